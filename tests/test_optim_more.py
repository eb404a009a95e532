"""fasttensor.optim beyond SGD/Adam's basics: the step count as PyTorch keeps it
(a 0-d float tensor), AMSGrad, maximize, RMSprop, Adagrad, and the
learning-rate schedules LinearLR ... OneCycleLR. Every update rule is checked
against a NumPy reference in float64 and every schedule against its closed form
(so the file means something without torch); where torch is installed, each is
also compared with torch step for step (rates equal to the last bit)."""

from __future__ import annotations

import copy
import math
import pickle
import warnings

import numpy as np
import pytest

import fasttensor as ft
from fasttensor import nn, optim

try:
    import torch

    torch.set_num_threads(1)  # reference computations only (see test_optim.py)
except ImportError:  # pragma: no cover - only where torch is absent
    torch = None

HAVE_GPU = ft.cuda.is_available()

RNG = np.random.default_rng(0)
W0 = RNG.standard_normal((5, 7)).astype(np.float32)
B0 = RNG.standard_normal(5).astype(np.float32)
X = RNG.standard_normal((16, 7)).astype(np.float32)
Y = RNG.integers(0, 5, 16)


def arr(t) -> np.ndarray:
    return np.array(t.detach().cpu().numpy())


def make_model(lib):
    model = lib.nn.Linear(7, 5)
    with lib.no_grad():
        model.weight.copy_(lib.tensor(W0))
        model.bias.copy_(lib.tensor(B0))
    return model


def train_steps(lib, optimizer, model, steps: int) -> list:
    losses = []
    loss_fn = lib.nn.CrossEntropyLoss()
    for _ in range(steps):
        optimizer.zero_grad()
        loss = loss_fn(model(lib.tensor(X)), lib.tensor(Y))
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


# --- NumPy references of the update rules (float64) -------------------------------------------------


def numpy_adam(p, grads, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False,
               maximize=False, decoupled=False):
    m, v, v_max = np.zeros_like(p), np.zeros_like(p), np.zeros_like(p)
    for t, g in enumerate(grads, 1):
        g = -g if maximize else g
        if decoupled:
            p = p * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * p
        m = betas[0] * m + (1 - betas[0]) * g
        v = betas[1] * v + (1 - betas[1]) * g * g
        v_max = np.maximum(v_max, v)
        denominator = np.sqrt((v_max if amsgrad else v) / (1 - betas[1] ** t)) + eps
        p = p - lr / (1 - betas[0] ** t) * m / denominator
    return p


def numpy_rmsprop(p, grads, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False,
                  maximize=False):
    v, a, buf = np.zeros_like(p), np.zeros_like(p), np.zeros_like(p)
    for g in grads:
        g = -g if maximize else g
        g = g + weight_decay * p
        v = alpha * v + (1 - alpha) * g * g
        if centered:
            a = alpha * a + (1 - alpha) * g
            avg = np.sqrt(v - a * a) + eps
        else:
            avg = np.sqrt(v) + eps
        if momentum > 0:
            buf = momentum * buf + g / avg
            p = p - lr * buf
        else:
            p = p - lr * g / avg
    return p


def numpy_adagrad(p, grads, lr=1e-2, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10,
                  maximize=False):
    s = np.full_like(p, initial_accumulator_value)
    for t, g in enumerate(grads, 1):
        g = -g if maximize else g
        g = g + weight_decay * p
        s = s + g * g
        p = p - lr / (1 + (t - 1) * lr_decay) * g / (np.sqrt(s) + eps)
    return p


def numpy_sgd_maximize(p, grads, lr, momentum=0.0, weight_decay=0.0):
    buf = None
    for g in grads:
        d = -g + weight_decay * p
        if momentum:
            buf = d.copy() if buf is None else momentum * buf + d
            d = buf
        p = p - lr * d
    return p


CONFIGS = [
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.1, betas=(0.8, 0.99))),
    ("Adam", dict(lr=0.01, maximize=True)),
    ("AdamW", dict(lr=0.02, amsgrad=True)),
    ("AdamW", dict(lr=0.02, amsgrad=True, weight_decay=0.3, maximize=True)),
    ("RMSprop", dict()),
    ("RMSprop", dict(lr=0.005, alpha=0.9, weight_decay=0.05)),
    ("RMSprop", dict(lr=0.005, momentum=0.9)),
    ("RMSprop", dict(lr=0.005, centered=True, eps=1e-6)),
    ("RMSprop", dict(lr=0.005, momentum=0.5, centered=True, weight_decay=0.01, maximize=True)),
    ("Adagrad", dict()),
    ("Adagrad", dict(lr=0.1, lr_decay=0.05, weight_decay=0.02)),
    ("Adagrad", dict(lr=0.1, initial_accumulator_value=0.5, eps=1e-6, maximize=True)),
    ("SGD", dict(lr=0.1, maximize=True)),
    ("SGD", dict(lr=0.1, momentum=0.9, weight_decay=0.01, maximize=True)),
]
CONFIG_IDS = [f"{name}-{'-'.join(f'{k}={v}' for k, v in kwargs.items()) or 'defaults'}" for name, kwargs in CONFIGS]


def numpy_reference(name, start, grads, kwargs):
    if name == "Adam":
        return numpy_adam(start, grads, **kwargs)
    if name == "AdamW":
        return numpy_adam(start, grads, decoupled=True, **{"weight_decay": 1e-2, **kwargs})
    if name == "RMSprop":
        return numpy_rmsprop(start, grads, **kwargs)
    if name == "Adagrad":
        return numpy_adagrad(start, grads, **kwargs)
    return numpy_sgd_maximize(start, grads, **{k: v for k, v in kwargs.items() if k != "maximize"})


@pytest.mark.parametrize("name,kwargs", CONFIGS, ids=CONFIG_IDS)
def test_update_rule_against_numpy_float64(name, kwargs):
    rng = np.random.default_rng(1)
    start = rng.standard_normal((3, 4))
    grads = [rng.standard_normal((3, 4)) for _ in range(5)]
    p = nn.Parameter(ft.tensor(start))
    opt = getattr(optim, name)([p], **kwargs)
    for g in grads:
        p.grad = ft.tensor(g)
        opt.step()
    np.testing.assert_allclose(arr(p), numpy_reference(name, start, grads, kwargs), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name,kwargs", CONFIGS, ids=CONFIG_IDS)
def test_training_matches_torch_or_numpy(name, kwargs):
    """Six steps of a linear classifier: against torch (losses, weights, every state tensor), or without
    torch against the NumPy rule fed with our own gradients."""
    ours = make_model(ft)
    opt = getattr(optim, name)(ours.parameters(), **kwargs)
    if torch is None:
        start = arr(ours.weight).astype(np.float64)
        grads = []
        for _ in range(6):
            opt.zero_grad()
            nn.CrossEntropyLoss()(ours(ft.tensor(X)), ft.tensor(Y)).backward()
            grads.append(arr(ours.weight.grad).astype(np.float64))
            opt.step()
            start_next = arr(ours.weight).astype(np.float64)
        expected = numpy_reference(name, start, grads, kwargs)
        np.testing.assert_allclose(start_next, expected, rtol=1e-5, atol=1e-6)
        return
    theirs = make_model(torch)
    opt_theirs = getattr(torch.optim, name)(theirs.parameters(), **kwargs)
    np.testing.assert_allclose(train_steps(ft, opt, ours, 6), train_steps(torch, opt_theirs, theirs, 6), rtol=2e-5)
    for p, q in zip(ours.parameters(), theirs.parameters()):
        np.testing.assert_allclose(arr(p), q.detach().numpy(), rtol=1e-5, atol=1e-6)
        assert list(opt.state[p]) == list(opt_theirs.state[q])  # same keys, same order
        for key, value in opt_theirs.state[q].items():
            ours_value = opt.state[p][key]
            assert ours_value.dtype == getattr(ft, str(value.dtype).split(".")[1]) and ours_value.shape == value.shape
            np.testing.assert_allclose(arr(ours_value), value.numpy(), rtol=1e-5, atol=1e-6, err_msg=key)


# --- the step count: a 0-d float tensor, as PyTorch's ------------------------------------------------

STEP_OPTIMIZERS = [
    ("Adam", dict(lr=0.1)),
    ("AdamW", dict(lr=0.1)),
    ("AdamW", dict(lr=0.1, amsgrad=True)),
    ("RMSprop", dict(lr=0.1, momentum=0.5, centered=True)),
    ("Adagrad", dict(lr=0.1)),
]


def _stepped(lib, name, kwargs, steps=2):
    p = lib.nn.Parameter(lib.tensor([1.0, -2.0]))
    opt = getattr(lib.optim, name)([p], **kwargs)
    for _ in range(steps):
        opt.zero_grad()
        (p * p).sum().backward()
        opt.step()
    return p, opt


@pytest.mark.parametrize("name,kwargs", STEP_OPTIMIZERS)
def test_step_is_a_float_tensor_and_prints_as_torch(name, kwargs):
    p, opt = _stepped(ft, name, kwargs)
    step = opt.state[p]["step"]
    assert isinstance(step, ft.Tensor) and step.dim() == 0 and step.dtype == ft.float32
    assert step.device == ft.device("cpu") and not step.requires_grad
    assert repr(step) == "tensor(2.)" and float(step) == 2.0
    assert "{'step': tensor(2.), " in repr(opt.state_dict()["state"][0])
    if torch is not None:
        q, theirs = _stepped(torch, name, kwargs)
        assert repr(opt.state_dict()) == repr(theirs.state_dict())
        assert repr(opt) == repr(theirs)


def test_step_tensor_is_incremented_in_place():
    """As torch's `step_t += 1`: a state_dict taken earlier shares the count with the optimizer."""
    p, opt = _stepped(ft, "Adam", dict(lr=0.1), steps=1)
    saved = opt.state_dict()
    step = opt.state[p]["step"]
    (p * p).sum().backward()
    opt.step()
    assert opt.state[p]["step"] is step and float(saved["state"][0]["step"]) == 2.0


def test_step_follows_a_float64_default_dtype():
    ft.set_default_dtype(ft.float64)
    p, opt = _stepped(ft, "Adam", dict(lr=0.1), steps=1)
    assert opt.state[p]["step"].dtype == ft.float64
    if torch is not None:
        previous = torch.get_default_dtype()
        torch.set_default_dtype(torch.float64)
        try:
            q, theirs = _stepped(torch, "Adam", dict(lr=0.1), steps=1)
            assert theirs.state[q]["step"].dtype == torch.float64
        finally:
            torch.set_default_dtype(previous)


@pytest.mark.parametrize("name,kwargs", STEP_OPTIMIZERS)
def test_state_dict_round_trip_keeps_the_step_a_tensor(name, kwargs):
    def run(split: bool):
        model = make_model(ft)
        opt = getattr(optim, name)(model.parameters(), **kwargs)
        train_steps(ft, opt, model, 3)
        if split:
            saved_model = copy.deepcopy(model.state_dict())
            saved_opt = pickle.loads(pickle.dumps(opt.state_dict()))
            model = make_model(ft)
            model.load_state_dict(saved_model)
            opt = getattr(optim, name)(model.parameters(), lr=0.5)
            opt.load_state_dict(saved_opt)
            step = opt.state[model.weight]["step"]
            assert isinstance(step, ft.Tensor) and repr(step) == "tensor(3.)"
            assert opt.param_groups[0]["lr"] == kwargs["lr"]
        train_steps(ft, opt, model, 3)
        assert repr(opt.state[model.weight]["step"]) == "tensor(6.)"
        return arr(model.weight)

    np.testing.assert_array_equal(run(split=False), run(split=True))


@pytest.mark.parametrize("name,kwargs", STEP_OPTIMIZERS)
def test_loading_a_number_step_gives_a_tensor_and_continues_identically(name, kwargs):
    """Older saves hold the count as a number: loading turns it into tensor(3.), as torch does."""
    def run(lib, as_number: bool):
        p, opt = _stepped(lib, name, kwargs, steps=3)
        saved = opt.state_dict()
        if as_number:
            saved["state"][0]["step"] = 3
        fresh = getattr(lib.optim, name)([p], **kwargs)
        fresh.load_state_dict(saved)
        step = fresh.state[p]["step"]
        assert isinstance(step, lib.Tensor) and repr(step) == "tensor(3.)"
        for _ in range(2):
            fresh.zero_grad()
            (p * p).sum().backward()
            fresh.step()
        return p.detach().numpy().copy()

    np.testing.assert_array_equal(run(ft, True), run(ft, False))
    if torch is not None:
        np.testing.assert_allclose(run(ft, True), run(torch, True), rtol=1e-5, atol=1e-6)


def test_a_step_set_by_hand_to_a_number_still_counts():
    p, opt = _stepped(ft, "Adam", dict(lr=0.1), steps=1)
    opt.state[p]["step"] = 4
    (p * p).sum().backward()
    opt.step()
    assert repr(opt.state[p]["step"]) == "tensor(5.)"


# --- AMSGrad --------------------------------------------------------------------------------------


@pytest.mark.parametrize("cls", ["Adam", "AdamW"])
def test_amsgrad_state_and_its_running_maximum(cls):
    p = nn.Parameter(ft.tensor([1.0, -2.0, 3.0]))
    opt = getattr(optim, cls)([p], lr=0.1, amsgrad=True)
    grads = [np.array([3.0, -1.0, 0.5]), np.array([0.1, 2.0, 0.2]), np.array([0.0, 0.0, 4.0])]
    v, v_max = np.zeros(3), np.zeros(3)
    for g in grads:
        p.grad = ft.tensor(g, dtype=ft.float32)
        opt.step()
        v = 0.999 * v + 0.001 * g * g
        v_max = np.maximum(v_max, v)
        np.testing.assert_allclose(arr(opt.state[p]["max_exp_avg_sq"]), v_max, rtol=1e-5)
    assert list(opt.state[p]) == ["step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"]
    assert opt.param_groups[0]["amsgrad"] is True and "amsgrad: True" in repr(opt)


def test_amsgrad_turned_on_later_starts_its_maximum_then():
    p = nn.Parameter(ft.tensor([1.0, -2.0]))
    opt = optim.Adam([p], lr=0.1)
    p.grad = ft.tensor([1.0, 1.0])
    opt.step()
    opt.param_groups[0]["amsgrad"] = True
    opt.step()
    assert "max_exp_avg_sq" in opt.state[p]
    np.testing.assert_allclose(arr(opt.state[p]["max_exp_avg_sq"]), arr(opt.state[p]["exp_avg_sq"]))


@pytest.mark.parametrize("name,kwargs", [("Adam", dict(lr=0.1, amsgrad=True)), ("RMSprop", dict(momentum=0.9)),
                                         ("RMSprop", dict(centered=True)), ("Adagrad", dict(lr=0.1))])
def test_non_contiguous_parameters_step_in_place(name, kwargs):
    strided = nn.Parameter(ft.arange(6.0).reshape(3, 2).t())
    dense = nn.Parameter(ft.arange(6.0).reshape(3, 2).t().contiguous())
    opt_s, opt_d = getattr(optim, name)([strided], **kwargs), getattr(optim, name)([dense], **kwargs)
    for step in range(3):
        g = ft.full((2, 3), float(step + 1)) * ft.arange(6.0).reshape(2, 3)
        strided.grad, dense.grad = g.clone(), g.clone()
        opt_s.step()
        opt_d.step()
    assert strided.stride() == (1, 2)
    np.testing.assert_allclose(arr(strided), arr(dense), rtol=1e-6)
    assert not np.allclose(arr(dense), np.arange(6.0).reshape(3, 2).T)


# --- RMSprop and Adagrad: mechanics, repr, errors -------------------------------------------------


@pytest.mark.parametrize("name", ["RMSprop", "Adagrad"])
def test_defaults_and_repr(name):
    opt = getattr(optim, name)([nn.Parameter(ft.zeros(1))])
    expected = {
        "RMSprop": dict(lr=0.01, momentum=0, alpha=0.99, eps=1e-08, centered=False, weight_decay=0, capturable=False,
                        foreach=None, maximize=False, differentiable=False),
        "Adagrad": dict(lr=0.01, lr_decay=0, eps=1e-10, weight_decay=0, initial_accumulator_value=0, foreach=None,
                        maximize=False, differentiable=False, fused=None),
    }[name]
    assert opt.defaults == expected and list(opt.defaults) == list(expected)
    text = repr(opt)
    assert text.startswith(f"{name} (\nParameter Group 0\n") and text.endswith(")")
    assert "    lr: 0.01\n" in text and "    maximize: False\n" in text


@pytest.mark.parametrize("make", [
    lambda lib, ps: lib.optim.RMSprop(ps),
    lambda lib, ps: lib.optim.RMSprop(ps, 0.1, 0.9, 1e-6, 0.01, 0.5, True, False, True, True),
    lambda lib, ps: lib.optim.Adagrad(ps),
    lambda lib, ps: lib.optim.Adagrad(ps, 0.1, 0.01, 0.02, 0.3, 1e-8, False, maximize=True, fused=None),
    lambda lib, ps: lib.optim.Adam(ps, amsgrad=True, maximize=True),
    lambda lib, ps: lib.optim.AdamW(ps, lr=0.01, amsgrad=True),
    lambda lib, ps: lib.optim.SGD(ps, lr=0.1, maximize=True),
    lambda lib, ps: lib.optim.RMSprop([{"params": ps[:1]}, {"params": ps[1:], "lr": 0.5, "centered": True}]),
])
def test_repr_and_defaults_match_torch(make):
    ours = make(ft, [nn.Parameter(ft.zeros(1)), nn.Parameter(ft.zeros(2))])
    assert repr(ours).count("Parameter Group") == len(ours.param_groups)
    if torch is not None:
        theirs = make(torch, [torch.nn.Parameter(torch.zeros(1)), torch.nn.Parameter(torch.zeros(2))])
        assert repr(ours) == repr(theirs)
        assert ours.defaults == theirs.defaults


ARGUMENT_ERRORS = [
    (lambda lib, ps: lib.optim.RMSprop(ps, lr=-1), ValueError, "Invalid learning rate: -1"),
    (lambda lib, ps: lib.optim.RMSprop(ps, eps=-1e-3), ValueError, "Invalid epsilon value: -0.001"),
    (lambda lib, ps: lib.optim.RMSprop(ps, momentum=-0.5), ValueError, "Invalid momentum value: -0.5"),
    (lambda lib, ps: lib.optim.RMSprop(ps, weight_decay=-2), ValueError, "Invalid weight_decay value: -2"),
    (lambda lib, ps: lib.optim.RMSprop(ps, alpha=-0.1), ValueError, "Invalid alpha value: -0.1"),
    (lambda lib, ps: lib.optim.Adagrad(ps, lr=-1), ValueError, "Invalid learning rate: -1"),
    (lambda lib, ps: lib.optim.Adagrad(ps, lr_decay=-1), ValueError, "Invalid lr_decay value: -1"),
    (lambda lib, ps: lib.optim.Adagrad(ps, weight_decay=-0.1), ValueError, "Invalid weight_decay value: -0.1"),
    (lambda lib, ps: lib.optim.Adagrad(ps, initial_accumulator_value=-1), ValueError,
     "Invalid initial_accumulator_value value: -1"),
    (lambda lib, ps: lib.optim.Adagrad(ps, eps=-1), ValueError, "Invalid epsilon value: -1"),
    (lambda lib, ps: lib.optim.Adagrad(ps, foreach=True, fused=True), RuntimeError,
     "`fused` and `foreach` cannot be `True` together."),
    (lambda lib, ps: lib.optim.RMSprop([]), ValueError, "optimizer got an empty parameter list"),
    (lambda lib, ps: lib.optim.Adagrad(ps[0]), TypeError,
     "params argument given to the optimizer should be an iterable of Tensors or dicts"),
]


@pytest.mark.parametrize("make,error,message", ARGUMENT_ERRORS)
def test_argument_errors_as_torch(make, error, message):
    with pytest.raises(error) as ours:
        make(ft, [nn.Parameter(ft.zeros(1))])
    assert str(ours.value).startswith(message)
    if torch is not None:
        with pytest.raises(error) as theirs:
            make(torch, [torch.nn.Parameter(torch.zeros(1))])
        assert str(ours.value) == str(theirs.value).replace("torch.", "fasttensor.")


@pytest.mark.parametrize("name", ["RMSprop", "Adagrad"])
def test_param_groups_zero_grad_and_skipped_params(name):
    model = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 1))
    opt = getattr(optim, name)([{"params": model[0].parameters()}, {"params": model[1].parameters(), "lr": 0.0}],
                               lr=0.5)
    assert [g["lr"] for g in opt.param_groups] == [0.5, 0.0]
    before = [arr(p).copy() for p in model.parameters()]
    model(ft.randn(3, 2)).sum().backward()
    opt.step()
    after = [arr(p) for p in model.parameters()]
    assert not np.array_equal(before[0], after[0])
    np.testing.assert_array_equal(before[2], after[2])  # lr 0 group untouched
    opt.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    model(ft.randn(3, 2)).sum().backward()
    opt.zero_grad(set_to_none=False)
    assert all(not arr(p.grad).any() for p in model.parameters())
    # A parameter without a gradient is not moved; a group added later gets its state when it steps.
    extra = nn.Parameter(ft.ones(2))
    opt.add_param_group({"params": [extra], "lr": 0.1})
    opt.step()
    np.testing.assert_array_equal(arr(extra), [1.0, 1.0])
    extra.grad = ft.ones(2)
    opt.step()
    assert float(opt.state[extra]["step"]) == 1.0 and not np.allclose(arr(extra), 1.0)


def test_adagrad_state_exists_from_the_constructor_as_torch():
    p = nn.Parameter(ft.zeros(3))
    opt = optim.Adagrad([p], initial_accumulator_value=0.25)
    assert list(opt.state[p]) == ["step", "sum"] and repr(opt.state[p]["step"]) == "tensor(0.)"
    np.testing.assert_array_equal(arr(opt.state[p]["sum"]), [0.25] * 3)
    if torch is not None:
        theirs = torch.optim.Adagrad([torch.nn.Parameter(torch.zeros(3))], initial_accumulator_value=0.25)
        assert repr(opt.state_dict()) == repr(theirs.state_dict())


def test_rmsprop_state_keys_follow_the_options():
    for kwargs, keys in [(dict(), ["step", "square_avg"]),
                         (dict(momentum=0.9), ["step", "square_avg", "momentum_buffer"]),
                         (dict(momentum=0.9, centered=True), ["step", "square_avg", "momentum_buffer", "grad_avg"])]:
        p = nn.Parameter(ft.ones(2))
        opt = optim.RMSprop([p], **kwargs)
        p.grad = ft.ones(2)
        opt.step()
        assert list(opt.state[p]) == keys


@pytest.mark.parametrize("name", ["RMSprop", "Adagrad", "Adam"])
def test_step_runs_outside_autograd_and_takes_a_closure(name):
    p = nn.Parameter(ft.tensor([3.0]))
    opt = getattr(optim, name)([p], lr=0.1, **({"amsgrad": True} if name == "Adam" else {}))

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    with ft.no_grad():
        loss = opt.step(closure)
    assert float(loss) == 9.0 and p.is_leaf and p.grad_fn is None and float(p) < 3.0


@pytest.mark.parametrize("make", [lambda ps: optim.RMSprop(ps, lr=0.01), lambda ps: optim.Adagrad(ps, lr=0.5),
                                  lambda ps: optim.AdamW(ps, lr=0.05, amsgrad=True)])
def test_classifier_reaches_95_percent_on_blobs(make):
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 4, 400)
    points = 3 * np.stack([np.cos(labels * np.pi / 2), np.sin(labels * np.pi / 2)], 1) + rng.normal(0, 0.5, (400, 2))
    X_, y_ = ft.tensor(points.astype(np.float32)), ft.tensor(labels)
    ft.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 4))
    opt = make(model.parameters())
    for _ in range(60):
        opt.zero_grad()
        nn.CrossEntropyLoss()(model(X_), y_).backward()
        opt.step()
    with ft.no_grad():
        assert float((model(X_).argmax(dim=1) == y_).float().mean()) >= 0.95


DEVICES = ["cpu"] + (["cuda"] if HAVE_GPU else [])


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name,kwargs", CONFIGS, ids=CONFIG_IDS)
def test_steps_on_each_device_as_the_float64_reference(name, kwargs, device):
    """The optimizers are tensor ops (or fused kernels), so they run on every device we have: float32
    on the CPU and, with a GPU, on CUDA, against the float64 NumPy rule; the step count stays on the CPU."""
    rng = np.random.default_rng(2)
    start = rng.standard_normal((33, 17)).astype(np.float32)
    grads = [rng.standard_normal((33, 17)).astype(np.float32) for _ in range(4)]
    p = nn.Parameter(ft.tensor(start, device=device))
    opt = getattr(optim, name)([p], **kwargs)
    for g in grads:
        p.grad = ft.tensor(g, device=device)
        opt.step()
    assert p.device.type == device
    if name != "SGD":
        assert opt.state[p]["step"].device == ft.device("cpu") and float(opt.state[p]["step"]) == 4.0
    expected = numpy_reference(name, start.astype(np.float64), [g.astype(np.float64) for g in grads], kwargs)
    np.testing.assert_allclose(arr(p), expected, rtol=1e-5, atol=1e-5)


# --- learning-rate schedules ------------------------------------------------------------------------

EPOCHS = 30
BASES = (0.1, 0.2)


def _cos_restart_reference(T_0, T_mult, eta_min):
    def rate(e, base):
        T_i, T_cur = T_0, e
        while T_cur >= T_i:
            T_cur -= T_i
            T_i *= T_mult
        return eta_min + (base - eta_min) * (1 + math.cos(math.pi * T_cur / T_i)) / 2
    return rate


def _one_cycle_reference(max_lrs, total, pct=0.3, div=25.0, final_div=1e4, three_phase=False, anneal="cos"):
    def anneal_fn(start, end, t):
        if anneal == "cos":
            return end + (start - end) / 2 * (math.cos(math.pi * t) + 1)
        return (end - start) * t + start

    def rate(e, base):
        top = max_lrs[BASES.index(base)]
        low, bottom = top / div, top / div / final_div
        up = pct * total - 1
        if three_phase:
            phases = [(up, low, top), (2 * pct * total - 2, top, low), (total - 1, low, bottom)]
        else:
            phases = [(up, low, top), (total - 1, top, bottom)]
        begin = 0.0
        for i, (end, a, b) in enumerate(phases):
            if e <= end or i == len(phases) - 1:
                return anneal_fn(a, b, (e - begin) / (end - begin))
            begin = end
    return rate


def _cyclic_reference(base_lrs, max_lrs, up, down, mode="triangular", gamma=1.0):
    def rate(e, base):
        low, top = base_lrs[BASES.index(base)], max_lrs[BASES.index(base)]
        total = up + down
        cycle = math.floor(1 + e / total)
        x = 1.0 + e / total - cycle
        ratio = up / total
        s = x / ratio if x <= ratio else (x - 1) / (ratio - 1)
        scale = {"triangular": 1.0, "triangular2": 1 / 2.0 ** (cycle - 1), "exp_range": gamma ** e}[mode]
        return low + (top - low) * s * scale
    return rate


# (id, constructor, closed form rate(epoch, base_lr) or None)
SCHEDULES = [
    ("linear", lambda lib, opt: lib.optim.lr_scheduler.LinearLR(opt),
     lambda e, b: b * (1 / 3 + (1 - 1 / 3) * min(e, 5) / 5)),
    ("linear_down", lambda lib, opt: lib.optim.lr_scheduler.LinearLR(opt, start_factor=1.0, end_factor=0.05,
                                                                     total_iters=12),
     lambda e, b: b * (1.0 + (0.05 - 1.0) * min(e, 12) / 12)),
    ("constant", lambda lib, opt: lib.optim.lr_scheduler.ConstantLR(opt, factor=0.5, total_iters=4),
     lambda e, b: b * (0.5 if e < 4 else 1.0)),
    ("constant_default", lambda lib, opt: lib.optim.lr_scheduler.ConstantLR(opt),
     lambda e, b: b * (1 / 3 if e < 5 else 1.0)),
    ("multiplicative", lambda lib, opt: lib.optim.lr_scheduler.MultiplicativeLR(opt, lambda e: 0.95),
     lambda e, b: b * 0.95 ** e),
    ("multiplicative_per_group", lambda lib, opt: lib.optim.lr_scheduler.MultiplicativeLR(
        opt, [lambda e: 0.9, lambda e: 1.0 if e % 2 else 0.8]),
     lambda e, b: b * (0.9 ** e if b == 0.1 else 0.8 ** (e // 2))),
    ("polynomial", lambda lib, opt: lib.optim.lr_scheduler.PolynomialLR(opt, total_iters=10, power=2.0),
     lambda e, b: b * (1 - min(e, 10) / 10) ** 2),
    ("polynomial_default", lambda lib, opt: lib.optim.lr_scheduler.PolynomialLR(opt),
     lambda e, b: b * (1 - min(e, 5) / 5)),
    ("sequential", lambda lib, opt: lib.optim.lr_scheduler.SequentialLR(
        opt, [lib.optim.lr_scheduler.LinearLR(opt, start_factor=0.1, total_iters=5),
              lib.optim.lr_scheduler.ExponentialLR(opt, gamma=0.9)], milestones=[5]),
     lambda e, b: b * (0.1 + 0.9 * e / 5) if e < 5 else b * 0.9 ** (e - 5)),
    ("sequential_three", lambda lib, opt: lib.optim.lr_scheduler.SequentialLR(
        opt, [lib.optim.lr_scheduler.ConstantLR(opt, factor=0.25, total_iters=100),
              lib.optim.lr_scheduler.StepLR(opt, step_size=4, gamma=0.5),
              lib.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=8, eta_min=0.001)], milestones=[3, 15]),
     lambda e, b: (b * 0.25 if e < 3 else b * 0.5 ** ((e - 3) // 4) if e < 15
                   else 0.001 + (b - 0.001) * (1 + math.cos(math.pi * (e - 15) / 8)) / 2)),
    ("chained", lambda lib, opt: lib.optim.lr_scheduler.ChainedScheduler(
        [lib.optim.lr_scheduler.ConstantLR(opt, factor=0.5, total_iters=3),
         lib.optim.lr_scheduler.ExponentialLR(opt, gamma=0.9)]),
     lambda e, b: b * 0.9 ** e * (0.5 if e < 3 else 1.0)),
    ("warm_restarts", lambda lib, opt: lib.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=5),
     _cos_restart_reference(5, 1, 0.0)),
    ("warm_restarts_mult", lambda lib, opt: lib.optim.lr_scheduler.CosineAnnealingWarmRestarts(
        opt, T_0=3, T_mult=2, eta_min=0.01), _cos_restart_reference(3, 2, 0.01)),
    ("one_cycle", lambda lib, opt: lib.optim.lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=EPOCHS + 1),
     _one_cycle_reference((1.0, 1.0), EPOCHS + 1)),
    ("one_cycle_linear_three_phase", lambda lib, opt: lib.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=[0.5, 2.0], epochs=4, steps_per_epoch=8, pct_start=0.25, anneal_strategy="linear",
        three_phase=True, div_factor=10.0, final_div_factor=100.0),
     _one_cycle_reference((0.5, 2.0), 32, pct=0.25, div=10.0, final_div=100.0, three_phase=True, anneal="linear")),
    ("cyclic", lambda lib, opt: lib.optim.lr_scheduler.CyclicLR(opt, base_lr=0.01, max_lr=[0.1, 0.3],
                                                                step_size_up=4, step_size_down=6),
     _cyclic_reference((0.01, 0.01), (0.1, 0.3), 4, 6)),
    ("cyclic_triangular2", lambda lib, opt: lib.optim.lr_scheduler.CyclicLR(
        opt, base_lr=[0.01, 0.02], max_lr=0.2, step_size_up=3, mode="triangular2", cycle_momentum=False),
     _cyclic_reference((0.01, 0.02), (0.2, 0.2), 3, 3, "triangular2")),
    ("cyclic_exp_range", lambda lib, opt: lib.optim.lr_scheduler.CyclicLR(
        opt, base_lr=0.01, max_lr=0.2, step_size_up=5, mode="exp_range", gamma=0.97),
     _cyclic_reference((0.01, 0.01), (0.2, 0.2), 5, 5, "exp_range", 0.97)),
    # The schedules test_optim.py covers over 12 epochs, here over 30 (and past T_max for the cosine).
    ("cosine", lambda lib, opt: lib.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=7, eta_min=0.01),
     lambda e, b: 0.01 + (b - 0.01) * (1 + math.cos(math.pi * e / 7)) / 2),
    ("step", lambda lib, opt: lib.optim.lr_scheduler.StepLR(opt, step_size=4, gamma=0.7),
     lambda e, b: b * 0.7 ** (e // 4)),
]


def _schedule_rates(lib, make, optimizer="SGD", epochs: int = EPOCHS):
    params = [lib.nn.Parameter(lib.zeros(2)), lib.nn.Parameter(lib.zeros(1))]
    groups = [{"params": params[:1]}, {"params": params[1:], "lr": BASES[1]}]
    if optimizer == "SGD":
        opt = lib.optim.SGD(groups, lr=BASES[0], momentum=0.9)
    else:
        opt = getattr(lib.optim, optimizer)(groups, lr=BASES[0])
    sched = make(lib, opt)
    rates, momenta = [sched.get_last_lr()], []
    for _ in range(epochs):
        (params[0].sum() + params[1].sum()).backward()
        opt.step()
        sched.step()
        rates.append([g["lr"] for g in opt.param_groups])
        momenta.append([g.get("momentum", g.get("betas")) for g in opt.param_groups])
        assert rates[-1] == sched.get_last_lr()
    return rates, momenta, params


@pytest.mark.parametrize("name,make,closed", SCHEDULES, ids=[s[0] for s in SCHEDULES])
def test_schedules_against_closed_form_and_torch(name, make, closed):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # stepped in the right order: no warning
        rates, momenta, params = _schedule_rates(ft, make)
    assert len(rates) == EPOCHS + 1
    for e, row in enumerate(rates):
        np.testing.assert_allclose(row, [closed(e, BASES[0]), closed(e, BASES[1])], rtol=1e-12, atol=1e-15,
                                   err_msg=f"epoch {e}")
    if torch is not None:
        theirs, their_momenta, their_params = _schedule_rates(torch, make)
        assert rates == theirs  # the same recurrences: equal to the last bit
        assert momenta == their_momenta
        for p, q in zip(params, their_params):
            np.testing.assert_allclose(arr(p), q.detach().numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("optimizer", ["Adam", "RMSprop"])
def test_one_cycle_cycles_adam_beta1_or_rmsprop_momentum(optimizer):
    make = lambda lib, opt: lib.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.5, total_steps=20, pct_start=0.4)
    rates, momenta, _ = _schedule_rates(ft, make, optimizer, epochs=19)
    first = [m[0] for m in momenta]
    if optimizer == "Adam":
        assert all(m[1] == 0.999 for m in first)
        first = [m[0] for m in first]
    reference = _one_cycle_reference((0.5, 0.5), 20, pct=0.4)
    # The momentum runs from 0.95 down to 0.85 (where the rate peaks) and back.
    assert abs(min(first) - 0.85) < 1e-12 and first.index(min(first)) == 6
    np.testing.assert_allclose([r[0] for r in rates], [reference(e, 0.1) for e in range(20)], rtol=1e-12)
    if torch is not None:
        theirs, their_momenta, _ = _schedule_rates(torch, make, optimizer, epochs=19)
        assert rates == theirs and momenta == their_momenta


def test_one_cycle_refuses_steps_past_the_total():
    opt = optim.SGD([nn.Parameter(ft.zeros(1))], lr=0.1, momentum=0.9)
    sched = optim.lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=3)
    for _ in range(3):
        opt.step()
        sched.step()
    with pytest.raises(ValueError, match="Tried to step 4 times. The specified number of total steps is 3"):
        opt.step()
        sched.step()


def _plateau_run(lib, metrics, **kwargs):
    params = [lib.nn.Parameter(lib.zeros(1)), lib.nn.Parameter(lib.zeros(1))]
    opt = lib.optim.SGD([{"params": params[:1]}, {"params": params[1:], "lr": 0.2}], lr=0.1)
    sched = lib.optim.lr_scheduler.ReduceLROnPlateau(opt, **kwargs)
    rates = [sched.get_last_lr()]
    for metric in metrics:
        opt.step()
        sched.step(metric)
        rates.append(sched.get_last_lr())
        assert rates[-1] == [g["lr"] for g in opt.param_groups]
    return rates, sched


def test_reduce_lr_on_plateau_by_hand():
    # patience 2: the third epoch without improvement (by more than 1e-4 relative) halves the rate.
    metrics = [10.0, 9.0, 9.0, 9.0, 9.0, 8.0, 8.0, 8.0, 8.0, 8.0, 8.0, 8.0]
    rates, sched = _plateau_run(ft, metrics, factor=0.5, patience=2)
    assert [r[0] for r in rates] == [0.1, 0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025, 0.0125]
    assert [r[1] for r in rates] == [0.2, 0.2, 0.2, 0.2, 0.2, 0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025]
    assert sched.best == 8.0 and sched.last_epoch == len(metrics)
    # Cooldown 2: after a cut, two epochs where bad epochs do not count; min_lr per group floors the cut.
    rates, _ = _plateau_run(ft, [1.0] * 12, factor=0.1, patience=1, cooldown=2, min_lr=[0.001, 0.05])
    # (epochs 1-2 bad, cut at 3; 4-5 cooldown; 6-7 bad, cut at 7; then min_lr holds it)
    assert [r[0] for r in rates] == pytest.approx([0.1] * 3 + [0.01] * 4 + [0.001] * 6, rel=1e-12)
    assert [r[1] for r in rates] == pytest.approx([0.2] * 3 + [0.05] * 10, rel=1e-12)
    # mode max with an absolute threshold: 0.5 -> 0.55 is no improvement over 0.5 + 0.1.
    rates, _ = _plateau_run(ft, [0.5, 0.55, 0.58, 0.61, 0.62], mode="max", threshold=0.1, threshold_mode="abs",
                            patience=1, factor=0.5)
    assert [r[0] for r in rates] == [0.1, 0.1, 0.1, 0.05, 0.05, 0.05]
    # A 0-d tensor metric is accepted.
    rates, _ = _plateau_run(ft, [ft.tensor(3.0)] * 3, patience=0)
    assert rates[-1] == pytest.approx([0.001, 0.002], rel=1e-12)


PLATEAU_CASES = [
    dict(),
    dict(factor=0.5, patience=3),
    dict(mode="max", factor=0.3, patience=2, cooldown=3),
    dict(threshold=0.05, threshold_mode="abs", patience=1, min_lr=0.01),
    dict(mode="max", threshold=0.02, threshold_mode="rel", patience=0, min_lr=[0.02, 0.0], eps=1e-3),
]


@pytest.mark.parametrize("kwargs", PLATEAU_CASES)
def test_reduce_lr_on_plateau_matches_torch(kwargs):
    rng = np.random.default_rng(3)
    metrics = list(np.round(1.0 + 0.1 * np.sin(np.arange(30)) + 0.05 * rng.standard_normal(30), 3))
    rates, sched = _plateau_run(ft, metrics, **kwargs)
    assert len(rates) == 31 and rates[0] == [0.1, 0.2]
    # Rates only ever fall, by whole factors, never below min_lr.
    for before, after in zip(rates, rates[1:]):
        assert all(a <= b for a, b in zip(after, before))
    if torch is not None:
        theirs, their_sched = _plateau_run(torch, metrics, **kwargs)
        assert rates == theirs
        for key in ("best", "num_bad_epochs", "cooldown_counter", "last_epoch", "min_lrs"):
            assert getattr(sched, key) == getattr(their_sched, key), key


def test_reduce_lr_on_plateau_errors_and_state():
    opt = optim.SGD([nn.Parameter(ft.zeros(1))], lr=0.1)
    with pytest.raises(ValueError, match="Factor should be < 1.0."):
        optim.lr_scheduler.ReduceLROnPlateau(opt, factor=1.0)
    with pytest.raises(ValueError, match="mode avg is unknown!"):
        optim.lr_scheduler.ReduceLROnPlateau(opt, mode="avg")
    with pytest.raises(ValueError, match="threshold mode both is unknown!"):
        optim.lr_scheduler.ReduceLROnPlateau(opt, threshold_mode="both")
    with pytest.raises(ValueError, match="expected 1 min_lrs, got 2"):
        optim.lr_scheduler.ReduceLROnPlateau(opt, min_lr=[0.1, 0.2])
    with pytest.raises(TypeError, match="is not an Optimizer"):
        optim.lr_scheduler.ReduceLROnPlateau(object())
    sched = optim.lr_scheduler.ReduceLROnPlateau(opt, patience=1)
    for metric in (1.0, 2.0):
        sched.step(metric)
    state = sched.state_dict()
    assert "optimizer" not in state and state["num_bad_epochs"] == 1 and state["best"] == 1.0
    again = optim.lr_scheduler.ReduceLROnPlateau(opt)
    again.load_state_dict(pickle.loads(pickle.dumps(state)))
    again.step(3.0)
    assert again.get_last_lr() == pytest.approx([0.01])


SCHEDULE_ERRORS = [
    (lambda lib, opt: lib.optim.lr_scheduler.LinearLR(opt, start_factor=0), ValueError,
     "Starting multiplicative factor expected to be greater than 0 and less or equal to 1."),
    (lambda lib, opt: lib.optim.lr_scheduler.LinearLR(opt, end_factor=1.5), ValueError,
     "Ending multiplicative factor expected to be between 0 and 1."),
    (lambda lib, opt: lib.optim.lr_scheduler.ConstantLR(opt, factor=2), ValueError,
     "Constant multiplicative factor expected to be between 0 and 1."),
    (lambda lib, opt: lib.optim.lr_scheduler.MultiplicativeLR(opt, 0.5), TypeError,
     "lr_lambda should be a function, but got float"),
    (lambda lib, opt: lib.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=0), ValueError,
     "Expected positive integer T_0, but got 0"),
    (lambda lib, opt: lib.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=0), ValueError,
     "Expected integer T_mult >= 1, but got 0"),
    (lambda lib, opt: lib.optim.lr_scheduler.OneCycleLR(opt, max_lr=1.0), ValueError,
     "You must define either total_steps OR (epochs AND steps_per_epoch)"),
    (lambda lib, opt: lib.optim.lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=10, pct_start=1), ValueError,
     "Expected float between 0 and 1 pct_start, but got 1"),
    (lambda lib, opt: lib.optim.lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=10, anneal_strategy="exp"),
     ValueError, "anneal_strategy must be one of 'cos' or 'linear', instead got exp"),
    (lambda lib, opt: lib.optim.lr_scheduler.OneCycleLR(opt, max_lr=[1.0, 2.0], total_steps=10, cycle_momentum=False),
     ValueError,
     "max_lr must have the same length as optimizer.param_groups. max_lr has 2 values, param_groups has 1."),
    (lambda lib, opt: lib.optim.lr_scheduler.OneCycleLR(lib.optim.Adagrad([lib.nn.Parameter(lib.zeros(1))]),
                                                        max_lr=1.0, total_steps=10),
     ValueError, "optimizer must support momentum or beta1 with `cycle_momentum` option enabled"),
    (lambda lib, opt: lib.optim.lr_scheduler.SequentialLR(opt, [lib.optim.lr_scheduler.ConstantLR(opt)],
                                                          milestones=[2]), ValueError,
     "Sequential Schedulers expects number of schedulers provided to be one more than the number of milestone "
     "points, but got number of schedulers 1 and the number of milestones to be equal to 1"),
    (lambda lib, opt: lib.optim.lr_scheduler.SequentialLR(opt, [], milestones=[]), ValueError,
     "SequentialLR expects at least one scheduler, but got no scheduler."),
    (lambda lib, opt: lib.optim.lr_scheduler.SequentialLR(opt, [lib.optim.lr_scheduler.ReduceLROnPlateau(opt)],
                                                          milestones=[]), ValueError,
     "SequentialLR does not support `ReduceLROnPlateau` scheduler"),
    (lambda lib, opt: lib.optim.lr_scheduler.ExponentialLR(opt, 0.5, last_epoch=3), KeyError,
     "\"param 'initial_lr' is not specified in param_groups[0] when resuming scheduler with last_epoch >= 0."),
]


@pytest.mark.parametrize("make,error,message", SCHEDULE_ERRORS)
def test_schedule_argument_errors_as_torch(make, error, message):
    with pytest.raises(error) as ours:
        make(ft, optim.SGD([nn.Parameter(ft.zeros(1))], lr=0.1))
    assert str(ours.value).startswith(message), str(ours.value)
    if torch is not None:
        with pytest.raises(error) as theirs:
            make(torch, torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1))
        assert str(ours.value) == str(theirs.value)


def test_schedulers_resume_from_state_dict_and_warn_as_torch():
    def make(opt):
        return optim.lr_scheduler.SequentialLR(
            opt, [optim.lr_scheduler.LinearLR(opt, start_factor=0.2, total_iters=4),
                  optim.lr_scheduler.PolynomialLR(opt, total_iters=10, power=1.5)], milestones=[4])

    p = nn.Parameter(ft.zeros(1))
    opt = optim.SGD([p], lr=1.0)
    sched = make(opt)
    for _ in range(6):
        opt.step()
        sched.step()
    saved = pickle.loads(pickle.dumps(sched.state_dict()))
    assert [type(s) for s in saved["_schedulers"]] == [dict, dict]
    opt2 = optim.SGD([nn.Parameter(ft.zeros(1))], lr=1.0)
    resumed = make(opt2)
    resumed.load_state_dict(saved)
    opt2.param_groups[0]["lr"] = opt.param_groups[0]["lr"]
    for _ in range(8):
        opt.step()
        sched.step()
        opt2.step()
        resumed.step()
        assert resumed.get_last_lr() == sched.get_last_lr()
    # Stepping the schedule before the optimizer warns, as torch does.
    opt3 = optim.SGD([nn.Parameter(ft.zeros(1))], lr=1.0)
    linear = optim.lr_scheduler.LinearLR(opt3)
    with pytest.warns(UserWarning, match="Detected call of `lr_scheduler.step\\(\\)` before `optimizer.step\\(\\)`"):
        linear.step()
    with pytest.warns(UserWarning, match="please use `get_last_lr\\(\\)`"):
        linear.get_lr()


def test_step_with_an_epoch_uses_the_closed_form():
    opt = optim.SGD([nn.Parameter(ft.zeros(1))], lr=1.0)
    sched = optim.lr_scheduler.LinearLR(opt, start_factor=0.5, total_iters=4)
    opt.step()
    with pytest.warns(UserWarning, match="The epoch parameter in `scheduler.step\\(\\)` was not necessary"):
        sched.step(2)
    assert sched.get_last_lr() == [0.75] and sched.last_epoch == 2
    restarts = optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=4, T_mult=2)
    restarts.step(4.0 + 8.0 + 4.0)  # halfway through the third cycle (16 epochs long)
    assert restarts.T_i == 16 and restarts.T_cur == 4.0
    assert restarts.get_last_lr() == pytest.approx([(1 + math.cos(math.pi * 4 / 16)) / 2], rel=1e-12)
