"""fasttensor.optim extras: optimizers given ``named_parameters()`` (the names kept in each group's
'param_names', as PyTorch 2.13 keeps them) and NAdam, RAdam, Adamax and Adadelta. Update rules are
checked against hand-written float64 references, so the file means something without torch; where
torch is installed, each is also compared with torch step for step."""

from __future__ import annotations

import math

import numpy as np
import pytest

import fasttensor as ft
from fasttensor import nn, optim

try:
    import torch

    torch.set_num_threads(1)
except ImportError:  # pragma: no cover - only where torch is absent
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="compares with torch")


# --- named_parameters -------------------------------------------------------------------------------

def _linear(lib):
    model = lib.nn.Linear(2, 3)
    with lib.no_grad():
        model.weight.copy_(lib.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]))
        model.bias.copy_(lib.tensor([0.5, -0.5, 1.0]))
    return model


def test_named_parameters_are_split_into_params_and_param_names():
    model = _linear(ft)
    opt = optim.SGD(model.named_parameters(), lr=0.1)
    group = opt.param_groups[0]
    assert list(group)[:3] == ["params", "param_names", "lr"]
    assert group["param_names"] == ["weight", "bias"]
    assert group["params"][0] is model.weight and group["params"][1] is model.bias
    assert "    param_names: ['weight', 'bias']\n" in repr(opt)
    packed = opt.state_dict()["param_groups"][0]
    assert packed["param_names"] == ["weight", "bias"] and packed["params"] == [0, 1]


def test_named_parameters_train_as_plain_ones():
    named, plain = _linear(ft), _linear(ft)
    opts = [optim.Adam(named.named_parameters(), lr=0.1), optim.Adam(plain.parameters(), lr=0.1)]
    for model, opt in zip([named, plain], opts):
        for _ in range(3):
            opt.zero_grad()
            model(ft.tensor([[1.0, -2.0]])).pow(2).sum().backward()
            opt.step()
    assert ft.equal(named.weight, plain.weight) and ft.equal(named.bias, plain.bias)


def test_named_and_unnamed_cannot_mix():
    model = _linear(ft)
    with pytest.raises(ValueError, match="^all optimizer params should be with/without names. Some param names "
                                         "are missing$"):
        optim.SGD([("weight", model.weight), model.bias], lr=0.1)
    opt = optim.SGD([("weight", model.weight)], lr=0.1)
    with pytest.raises(ValueError, match="^all optimizer param groups should be with/without names. cannot add "
                                         "param group without names to the optimizer$"):
        opt.add_param_group({"params": [model.bias]})
    opt = optim.SGD([model.weight], lr=0.1)
    with pytest.raises(ValueError, match="cannot add param group with names to the optimizer$"):
        opt.add_param_group({"params": [("bias", model.bias)]})


def test_load_state_dict_takes_saved_names_or_keeps_ours():
    model = _linear(ft)
    opt = optim.SGD([{"params": model.named_parameters(), "lr": 0.5}], lr=0.1)
    saved = opt.state_dict()
    saved["param_groups"][0]["param_names"] = ["a", "b"]
    opt.load_state_dict(saved)
    assert opt.param_groups[0]["param_names"] == ["a", "b"]
    del saved["param_groups"][0]["param_names"]
    opt.load_state_dict(saved)
    assert opt.param_groups[0]["param_names"] == ["a", "b"]
    assert opt.param_groups[0]["lr"] == 0.5


@needs_torch
def test_named_parameters_groups_and_repr_match_torch():
    ours, theirs = _linear(ft), _linear(torch)
    o1 = optim.Adam([{"params": ours.named_parameters(), "lr": 0.5}], lr=0.1)
    o2 = torch.optim.Adam([{"params": theirs.named_parameters(), "lr": 0.5}], lr=0.1)
    assert repr(o1) == repr(o2)
    assert list(o1.param_groups[0]) == list(o2.param_groups[0])
    s1, s2 = o1.state_dict(), o2.state_dict()
    assert s1["param_groups"] == s2["param_groups"]


# --- NAdam, RAdam, Adamax, Adadelta ------------------------------------------------------------------

RNG = np.random.default_rng(0)
START = [RNG.standard_normal((3, 4)), RNG.standard_normal(5)]
GRADS = [[RNG.standard_normal(p.shape) for p in START] for _ in range(12)]


def _nadam(p, grads, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, momentum_decay=4e-3,
           decoupled_weight_decay=False, maximize=False):
    """Dozat's NAdam as PyTorch writes it, in float64 NumPy (mu_product rounded to float32 as the
    0-d float32 tensor PyTorch keeps it in)."""
    b1, b2 = betas
    m, v, prod = np.zeros_like(p), np.zeros_like(p), np.float32(1.0)
    for t, g in enumerate(grads, 1):
        g = -g if maximize else g
        if decoupled_weight_decay:
            p = p * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * p
        mu = b1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))
        mu_next = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * momentum_decay))
        prod = np.float32(prod * np.float32(mu))
        m = m + (1 - b1) * (g - m)
        v = b2 * v + (1 - b2) * g * g
        denom = np.sqrt(v / (1 - b2 ** t)) + eps
        p = p - lr * (1 - mu) / (1 - float(prod)) * g / denom - lr * mu_next / (1 - float(prod) * mu_next) * m / denom
    return p


def _radam(p, grads, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, decoupled_weight_decay=False):
    b1, b2 = betas
    m, v = np.zeros_like(p), np.zeros_like(p)
    rho_inf = 2 / (1 - b2) - 1
    for t, g in enumerate(grads, 1):
        if decoupled_weight_decay:
            p = p * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * p
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat = m / (1 - b1 ** t)
        rho_t = rho_inf - 2 * t * b2 ** t / (1 - b2 ** t)
        if rho_t > 5:
            r = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
            p = p - lr * m_hat * math.sqrt(1 - b2 ** t) / (np.sqrt(v) + eps) * r
        else:
            p = p - lr * m_hat
    return p


def _adamax(p, grads, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, maximize=False):
    b1, b2 = betas
    m, u = np.zeros_like(p), np.zeros_like(p)
    for t, g in enumerate(grads, 1):
        g = (-g if maximize else g) + weight_decay * p
        m = b1 * m + (1 - b1) * g
        u = np.maximum(b2 * u, np.abs(g) + eps)
        p = p - lr / (1 - b1 ** t) * m / u
    return p


def _adadelta(p, grads, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0, maximize=False):
    v, u = np.zeros_like(p), np.zeros_like(p)
    for g in grads:
        g = (-g if maximize else g) + weight_decay * p
        v = rho * v + (1 - rho) * g * g
        delta = np.sqrt(u + eps) / np.sqrt(v + eps) * g
        u = rho * u + (1 - rho) * delta * delta
        p = p - lr * delta
    return p


CASES = [
    ("NAdam", {}, _nadam),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, momentum_decay=0.01), _nadam),
    ("NAdam", dict(weight_decay=0.1, decoupled_weight_decay=True, maximize=True), _nadam),
    ("RAdam", {}, _radam),
    ("RAdam", dict(lr=0.1, weight_decay=0.1), _radam),
    ("RAdam", dict(weight_decay=0.1, decoupled_weight_decay=True, betas=(0.5, 0.6)), _radam),
    ("Adamax", {}, _adamax),
    ("Adamax", dict(lr=0.1, weight_decay=0.1, maximize=True), _adamax),
    ("Adadelta", {}, _adadelta),
    ("Adadelta", dict(lr=0.5, rho=0.5, weight_decay=0.1, maximize=True), _adadelta),
]
NEW = ["NAdam", "RAdam", "Adamax", "Adadelta"]


def _run(lib, name, kwargs, dtype, steps=12):
    params = [lib.nn.Parameter(lib.tensor(p, dtype=getattr(lib, dtype))) for p in START]
    opt = getattr(lib.optim, name)(params, **kwargs)
    for grads in GRADS[:steps]:
        for p, g in zip(params, grads):
            p.grad = lib.tensor(g, dtype=p.dtype)
        opt.step()
    return params, opt


@pytest.mark.parametrize("name,kwargs,reference", CASES)
def test_update_rule_against_numpy_float64(name, kwargs, reference):
    params, _ = _run(ft, name, kwargs, "float64")
    for p, start, i in zip(params, START, range(2)):
        expected = reference(start, [g[i] for g in GRADS], **kwargs)
        np.testing.assert_allclose(p.detach().numpy(), expected, rtol=1e-12, atol=1e-12)


@needs_torch
@pytest.mark.parametrize("dtype,tol", [("float64", 1e-12), ("float32", 1e-6)])
@pytest.mark.parametrize("name,kwargs,reference", CASES)
def test_steps_match_torch(name, kwargs, reference, dtype, tol):
    ours, o1 = _run(ft, name, kwargs, dtype)
    theirs, o2 = _run(torch, name, kwargs, dtype)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=tol, atol=tol)
        assert list(o1.state[a]) == list(o2.state[b])
        for key in o2.state[b]:
            np.testing.assert_allclose(o1.state[a][key].numpy(), o2.state[b][key].numpy(), rtol=tol, atol=tol)
            assert str(o1.state[a][key].dtype).split(".")[-1] == str(o2.state[b][key].dtype).split(".")[-1]


@pytest.mark.parametrize("name", NEW)
def test_state_step_and_grad_none_skipped(name):
    used, unused = nn.Parameter(ft.ones(2)), nn.Parameter(ft.ones(2))
    opt = getattr(optim, name)([used, unused])
    used.grad = ft.tensor([0.5, -0.5])
    for _ in range(3):
        opt.step()
    assert unused.tolist() == [1.0, 1.0] and unused not in opt.state
    assert opt.state[used]["step"].item() == 3.0 and opt.state[used]["step"].dtype == ft.float32
    assert used.tolist() != [1.0, 1.0]


@pytest.mark.parametrize("name", NEW)
def test_state_dict_round_trip_continues_identically(name):
    # float32: loading casts NAdam's float32 mu_product to the parameter's dtype (as PyTorch does).
    params, opt = _run(ft, name, {}, "float32", steps=4)
    saved = opt.state_dict()
    copies = [nn.Parameter(p.detach().clone()) for p in params]
    other = getattr(optim, name)(copies)
    other.load_state_dict(saved)
    for ps, o in [(params, opt), (copies, other)]:
        for grads in GRADS[4:8]:
            for p, g in zip(ps, grads):
                p.grad = ft.tensor(g, dtype=ft.float32)
            o.step()
    for a, b in zip(params, copies):
        assert ft.equal(a, b)


def test_nadam_mu_product_from_a_number_becomes_a_tensor():
    params, opt = _run(ft, "NAdam", {}, "float64", steps=2)
    saved = opt.state_dict()
    for state in saved["state"].values():
        state["mu_product"] = state["mu_product"].item()
        state["step"] = state["step"].item()
    opt.load_state_dict(saved)
    state = opt.state[params[0]]
    assert isinstance(state["mu_product"], ft.Tensor) and state["mu_product"].dim() == 0
    opt.load_state_dict(opt.state_dict())  # a tensor mu_product takes the parameter's dtype, as PyTorch's
    state = opt.state[params[0]]
    assert state["mu_product"].dtype == ft.float64 and state["step"].dtype == ft.float32
    assert isinstance(state["step"], ft.Tensor)
    opt.step()
    assert state["step"].item() == 3.0


DEFAULTS = {
    "NAdam": dict(lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
                  decoupled_weight_decay=False, maximize=False, foreach=None, capturable=False, differentiable=False),
    "RAdam": dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, maximize=False, foreach=None,
                  capturable=False, decoupled_weight_decay=False, differentiable=False),
    "Adamax": dict(lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, foreach=None, maximize=False,
                   differentiable=False, capturable=False),
    "Adadelta": dict(lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, maximize=False, capturable=False, foreach=None,
                     differentiable=False),
}


@pytest.mark.parametrize("name", NEW)
def test_defaults_and_repr(name):
    opt = getattr(optim, name)([nn.Parameter(ft.zeros(1))])
    assert opt.defaults == DEFAULTS[name] and list(opt.defaults) == list(DEFAULTS[name])
    lines = repr(opt).splitlines()
    assert lines[:2] == [f"{name} (", "Parameter Group 0"] and lines[-1] == ")"
    assert lines[2:-1] == [f"    {k}: {DEFAULTS[name][k]}" for k in sorted(DEFAULTS[name])]
    if torch is not None:
        theirs = getattr(torch.optim, name)([torch.nn.Parameter(torch.zeros(1))])
        assert repr(opt) == repr(theirs) and opt.defaults == theirs.defaults


ERRORS = [
    ("NAdam", dict(lr=-1), "Invalid learning rate: -1"),
    ("NAdam", dict(eps=-1e-3), "Invalid epsilon value: -0.001"),
    ("NAdam", dict(betas=(1.0, 0.9)), "Invalid beta parameter at index 0: 1.0"),
    ("NAdam", dict(betas=(0.9, -0.1)), "Invalid beta parameter at index 1: -0.1"),
    ("NAdam", dict(weight_decay=-2), "Invalid weight_decay value: -2"),
    ("NAdam", dict(momentum_decay=-1), "Invalid momentum_decay value: -1"),
    ("RAdam", dict(lr=-0.5), "Invalid learning rate: -0.5"),
    ("RAdam", dict(betas=(0.9, 1.0)), "Invalid beta parameter at index 1: 1.0"),
    ("Adamax", dict(eps=-1), "Invalid epsilon value: -1"),
    ("Adamax", dict(betas=(-0.1, 0.9)), "Invalid beta parameter at index 0: -0.1"),
    ("Adamax", dict(weight_decay=-1e-2), "Invalid weight_decay value: -0.01"),
    ("Adadelta", dict(lr=-1), "Invalid learning rate: -1"),
    ("Adadelta", dict(rho=1.5), "Invalid rho value: 1.5"),
    ("Adadelta", dict(eps=-1), "Invalid epsilon value: -1"),
    ("Adadelta", dict(weight_decay=-1), "Invalid weight_decay value: -1"),
]


@pytest.mark.parametrize("name,kwargs,message", ERRORS)
def test_argument_errors_as_torch(name, kwargs, message):
    with pytest.raises(ValueError, match=f"^{message}$".replace("(", r"\(").replace(")", r"\)")):
        getattr(optim, name)([nn.Parameter(ft.zeros(1))], **kwargs)
    if torch is not None:
        with pytest.raises(ValueError) as theirs:
            getattr(torch.optim, name)([torch.nn.Parameter(torch.zeros(1))], **kwargs)
        assert str(theirs.value) == message


@pytest.mark.parametrize("name", NEW)
def test_new_optimizers_take_named_parameters(name):
    model = _linear(ft)
    opt = getattr(optim, name)(model.named_parameters())
    assert opt.param_groups[0]["param_names"] == ["weight", "bias"]
    model(ft.tensor([[1.0, 1.0]])).sum().backward()
    opt.step()
    assert model.weight.tolist() != [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]
