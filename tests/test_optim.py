"""fasttensor.optim: SGD, Adam, AdamW step for step against PyTorch (same
initial weights, same data), against a NumPy reference of each update rule,
and the Optimizer mechanics (groups, zero_grad, state_dict, errors)."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest

import fasttensor as ft
from fasttensor import nn, optim

try:
    import torch

    # Reference computations only; torch's OpenMP threads would contend with our worker pool on shared cores.
    torch.set_num_threads(1)
except ImportError:  # pragma: no cover - only where torch is absent
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")

RNG = np.random.default_rng(0)
W0 = RNG.standard_normal((5, 7)).astype(np.float32)
B0 = RNG.standard_normal(5).astype(np.float32)
X = RNG.standard_normal((16, 7)).astype(np.float32)
Y = RNG.integers(0, 5, 16)

CONFIGS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, weight_decay=0.05)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.3, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.01)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.02, weight_decay=0.3)),
]


def arr(t) -> np.ndarray:
    return np.array(t.detach().cpu().numpy())


def make_model(lib, nn_module):
    model = nn_module.Linear(7, 5)
    with lib.no_grad():
        model.weight.copy_(lib.tensor(W0))
        model.bias.copy_(lib.tensor(B0))
    return model


def train_steps(lib, nn_module, optimizer, model, steps: int) -> list:
    losses = []
    loss_fn = nn_module.CrossEntropyLoss()
    for _ in range(steps):
        optimizer.zero_grad()
        loss = loss_fn(model(lib.tensor(X)), lib.tensor(Y))
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


@needs_torch
@pytest.mark.parametrize("name,kwargs", CONFIGS)
def test_matches_torch_over_several_steps(name, kwargs):
    ours = make_model(ft, nn)
    theirs = make_model(torch, torch.nn)
    opt_ours = getattr(optim, name)(ours.parameters(), **kwargs)
    opt_theirs = getattr(torch.optim, name)(theirs.parameters(), **kwargs)
    losses_ours = train_steps(ft, nn, opt_ours, ours, 6)
    losses_theirs = train_steps(torch, torch.nn, opt_theirs, theirs, 6)
    np.testing.assert_allclose(losses_ours, losses_theirs, rtol=2e-5)
    np.testing.assert_allclose(arr(ours.weight), theirs.weight.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(arr(ours.bias), theirs.bias.detach().numpy(), rtol=1e-5, atol=1e-6)
    for p, q in zip(ours.parameters(), theirs.parameters()):
        for key, value in opt_theirs.state[q].items():
            ours_value = opt_ours.state[p][key]
            if key == "step":
                assert ours_value == int(value.item())
            else:
                np.testing.assert_allclose(arr(ours_value), value.numpy(), rtol=1e-5, atol=1e-6, err_msg=key)


@needs_torch
@pytest.mark.parametrize("name,kwargs", [("Adam", {}), ("AdamW", {"weight_decay": 0.01}),
                                         ("Adam", {"weight_decay": 0.1}), ("Adam", {"betas": (0.3, 0.5)})])
def test_float32_adam_follows_torch_to_rounding_over_100_steps(name, kwargs):
    # 1 - beta is rounded once from double, as torch (1 - float32(0.9) is 1.3e-5 off): the moments then
    # agree from the first step, and the parameters after 100 steps to about an ulp (they drifted 5.6e-6).
    rng = np.random.default_rng(1)
    w0 = rng.standard_normal((64, 32)).astype(np.float32)
    grads = [rng.standard_normal((64, 32)).astype(np.float32) for _ in range(100)]
    results = []
    for lib in (torch, ft):
        w = lib.tensor(w0.copy(), requires_grad=True)
        opt = getattr(lib.optim, name)([w], lr=0.01, **kwargs)
        for i, g in enumerate(grads):
            w.grad = lib.tensor(g)
            opt.step()
            if i == 0:
                first = [arr(opt.state[w][k]) for k in ("exp_avg", "exp_avg_sq")]
        results.append((arr(w), first))
    (w_theirs, first_theirs), (w_ours, first_ours) = results
    for a, b in zip(first_ours, first_theirs):
        np.testing.assert_allclose(a, b, rtol=2.5e-7, atol=0)
    assert np.abs(w_ours - w_theirs).max() / np.abs(w_theirs).max() < 3e-7


def numpy_sgd(p, grads, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
    buf = None
    for g in grads:
        d = g + weight_decay * p
        if momentum:
            buf = d.copy() if buf is None else momentum * buf + (1 - dampening) * d
            d = d + momentum * buf if nesterov else buf
        p = p - lr * d
    return p


def numpy_adam(p, grads, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, decoupled=False):
    m = np.zeros_like(p)
    v = np.zeros_like(p)
    for t, g in enumerate(grads, 1):
        if decoupled:
            p = p * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * p
        m = betas[0] * m + (1 - betas[0]) * g
        v = betas[1] * v + (1 - betas[1]) * g * g
        p = p - lr / (1 - betas[0] ** t) * m / (np.sqrt(v / (1 - betas[1] ** t)) + eps)
    return p


@pytest.mark.parametrize("name,kwargs", CONFIGS)
def test_update_rule_against_numpy_float64(name, kwargs):
    rng = np.random.default_rng(1)
    start = rng.standard_normal((3, 4))
    grads = [rng.standard_normal((3, 4)) for _ in range(4)]
    p = nn.Parameter(ft.tensor(start))
    opt = getattr(optim, name)([p], **kwargs)
    for g in grads:
        p.grad = ft.tensor(g)
        opt.step()
    if name == "SGD":
        expected = numpy_sgd(start, grads, **kwargs)
    else:
        expected = numpy_adam(start, grads, decoupled=name == "AdamW",
                              **{"weight_decay": 1e-2 if name == "AdamW" else 0.0, **kwargs})
    np.testing.assert_allclose(arr(p), expected, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW"])
def test_step_runs_outside_autograd_and_bumps_the_version(name):
    p = nn.Parameter(ft.ones(3))
    (p * 2).sum().backward()
    version = p._version
    opt = getattr(optim, name)([p], lr=0.1)
    opt.step()  # no `with no_grad()` around it: the optimizer takes care of that
    assert p.grad_fn is None and p.is_leaf and p.requires_grad
    assert p._version > version
    assert not np.allclose(arr(p), 1.0)


def test_a_stepped_parameter_cannot_be_used_by_a_stale_graph():
    p = nn.Parameter(ft.ones(3))
    loss = (p * p).sum()
    p.grad = ft.ones(3)
    optim.SGD([p], lr=0.1).step()
    with pytest.raises(RuntimeError):
        loss.backward()


def test_params_without_grad_are_skipped():
    a, b = nn.Parameter(ft.ones(2)), nn.Parameter(ft.ones(2))
    a.grad = ft.ones(2)
    opt = optim.Adam([a, b], lr=0.1)
    opt.step()
    np.testing.assert_array_equal(arr(b), [1.0, 1.0])
    assert b not in opt.state and not np.allclose(arr(a), 1.0)
    sgd = optim.SGD([a, b], lr=0.1, momentum=0.9)
    sgd.step()
    assert "momentum_buffer" in sgd.state[a] and b not in sgd.state


def test_plain_tensors_that_require_grad_are_optimizable():
    w = ft.zeros(2, requires_grad=True)
    (w - ft.tensor([1.0, 2.0])).square().sum().backward()
    optim.SGD([w], lr=0.25).step()
    np.testing.assert_allclose(arr(w), [0.5, 1.0])


@pytest.mark.parametrize("set_to_none", [True, False])
def test_zero_grad(set_to_none):
    model = nn.Linear(3, 2)
    opt = optim.SGD(model.parameters(), lr=0.1)
    model(ft.randn(4, 3)).sum().backward()
    opt.zero_grad(set_to_none=set_to_none)
    for p in model.parameters():
        assert (p.grad is None) if set_to_none else not arr(p.grad).any()


def test_param_groups_with_their_own_hyperparameters():
    model = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 1))
    opt = optim.SGD([{"params": model[0].parameters()}, {"params": model[1].parameters(), "lr": 0.0}],
                    lr=0.5, momentum=0.9)
    assert [g["lr"] for g in opt.param_groups] == [0.5, 0.0]
    assert all(g["momentum"] == 0.9 and g["nesterov"] is False for g in opt.param_groups)
    before = [arr(p).copy() for p in model.parameters()]
    model(ft.randn(3, 2)).sum().backward()
    opt.step()
    after = [arr(p) for p in model.parameters()]
    assert not np.array_equal(before[0], after[0])
    np.testing.assert_array_equal(before[2], after[2])  # lr 0 group untouched
    opt.add_param_group({"params": [nn.Parameter(ft.zeros(1))], "lr": 1.0})
    assert len(opt.param_groups) == 3 and opt.param_groups[2]["momentum"] == 0.9


def test_optimizer_argument_errors():
    p = nn.Parameter(ft.zeros(2))
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="params argument given to the optimizer should be an iterable"):
        optim.SGD(p, lr=0.1)
    with pytest.raises(TypeError, match="optimizer can only optimize Tensors"):
        optim.SGD([p, 3], lr=0.1)
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        optim.SGD([ft.ones(2, requires_grad=True) * 2], lr=0.1)
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter group"):
        optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1)
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        optim.SGD([p], lr=-1)
    with pytest.raises(ValueError, match="Nesterov momentum requires a momentum and zero dampening"):
        optim.SGD([p], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="Invalid beta parameter at index 1: 1.0"):
        optim.Adam([p], betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="Invalid epsilon value: -1"):
        optim.AdamW([p], eps=-1)


@needs_torch
def test_argument_error_messages_match_torch():
    def message(lib, fn):
        try:
            fn(lib)
        except (ValueError, TypeError) as e:
            return type(e), str(e)
        raise AssertionError("no error")

    cases = [
        lambda lib: lib.optim.SGD([], lr=0.1),
        lambda lib: lib.optim.SGD([lib.nn.Parameter(lib.zeros(1))], lr=-0.5),
        lambda lib: lib.optim.SGD([lib.nn.Parameter(lib.zeros(1))], momentum=-1),
        lambda lib: lib.optim.SGD([lib.nn.Parameter(lib.zeros(1))], lr=0.1, momentum=0.9, dampening=0.1,
                                  nesterov=True),
        lambda lib: lib.optim.Adam([lib.nn.Parameter(lib.zeros(1))], betas=(1.5, 0.9)),
        lambda lib: lib.optim.Adam([lib.nn.Parameter(lib.zeros(1))], weight_decay=-0.1),
        lambda lib: lib.optim.SGD([lib.ones(1, requires_grad=True) * 2], lr=0.1),
    ]
    for case in cases:
        assert message(ft, case) == message(torch, case)


def test_state_dict_round_trip_continues_identically():
    def run(split: bool):
        model = make_model(ft, nn)
        opt = optim.Adam(model.parameters(), lr=0.01, weight_decay=0.01)
        train_steps(ft, nn, opt, model, 3)
        if split:
            saved_model = copy.deepcopy(model.state_dict())
            saved_opt = copy.deepcopy(opt.state_dict())
            model = make_model(ft, nn)
            model.load_state_dict(saved_model)
            opt = optim.Adam(model.parameters(), lr=0.5)
            opt.load_state_dict(saved_opt)
            assert opt.param_groups[0]["lr"] == 0.01
        train_steps(ft, nn, opt, model, 3)
        return arr(model.weight)

    np.testing.assert_array_equal(run(split=False), run(split=True))


def test_state_dict_layout():
    model = nn.Linear(2, 2)
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(ft.randn(1, 2)).sum().backward()
    opt.step()
    sd = opt.state_dict()
    assert sorted(sd) == ["param_groups", "state"]
    assert sd["param_groups"][0]["params"] == [0, 1]
    assert sorted(sd["state"]) == [0, 1] and "momentum_buffer" in sd["state"][0]
    assert sd["param_groups"][0]["lr"] == 0.1


@needs_torch
def test_loads_a_torch_optimizer_state_dict():
    theirs_model = make_model(torch, torch.nn)
    theirs = torch.optim.Adam(theirs_model.parameters(), lr=0.01)
    train_steps(torch, torch.nn, theirs, theirs_model, 2)
    ours_model = make_model(ft, nn)
    ours_model.load_state_dict({k: ft.tensor(v.detach().numpy()) for k, v in theirs_model.state_dict().items()})
    ours = optim.Adam(ours_model.parameters(), lr=0.01)
    sd = theirs.state_dict()
    ours.load_state_dict({"state": {i: {k: (ft.tensor(v.numpy()) if k != "step" else ft.tensor(v.item()))
                                        for k, v in s.items()} for i, s in sd["state"].items()},
                          "param_groups": sd["param_groups"]})
    train_steps(torch, torch.nn, theirs, theirs_model, 2)
    train_steps(ft, nn, ours, ours_model, 2)
    np.testing.assert_allclose(arr(ours_model.weight), theirs_model.weight.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_load_state_dict_errors():
    a = optim.SGD([nn.Parameter(ft.zeros(1)), nn.Parameter(ft.zeros(1))], lr=0.1)
    b = optim.SGD([nn.Parameter(ft.zeros(1))], lr=0.1)
    with pytest.raises(ValueError, match="doesn't match the size of optimizer's group"):
        b.load_state_dict(a.state_dict())
    c = optim.SGD([{"params": [nn.Parameter(ft.zeros(1))]}, {"params": [nn.Parameter(ft.zeros(1))]}], lr=0.1)
    with pytest.raises(ValueError, match="different number of parameter groups"):
        c.load_state_dict(b.state_dict())


def test_closure_is_called_with_grad_enabled():
    p = nn.Parameter(ft.tensor([3.0]))
    opt = optim.SGD([p], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    with ft.no_grad():
        loss = opt.step(closure)
    assert float(loss) == 9.0
    np.testing.assert_allclose(arr(p), [3.0 - 0.1 * 6.0], rtol=1e-6)


def test_repr_lists_groups():
    text = repr(optim.SGD([nn.Parameter(ft.zeros(1))], lr=0.1, momentum=0.5))
    assert text.startswith("SGD (\nParameter Group 0\n") and "    lr: 0.1\n" in text and "    momentum: 0.5\n" in text
    assert "    foreach: None\n" in text and "    differentiable: False\n" in text and text.endswith(")")


@needs_torch
@pytest.mark.parametrize("make", [
    lambda lib, ps: lib.optim.SGD(ps, 0.03),
    lambda lib, ps: lib.optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True, foreach=False),
    lambda lib, ps: lib.optim.Adam(ps),
    lambda lib, ps: lib.optim.Adam(ps, lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, fused=None),
    lambda lib, ps: lib.optim.AdamW(ps, lr=0.01, foreach=True),
])
def test_repr_and_defaults_match_torch(make):
    ours = make(ft, [nn.Parameter(ft.zeros(1))])
    theirs = make(torch, [torch.nn.Parameter(torch.zeros(1))])
    assert repr(ours) == repr(theirs)
    assert ours.defaults == theirs.defaults


def test_adam_decoupled_weight_decay_is_adamw():
    def run(make):
        p = nn.Parameter(ft.tensor([1.0, -2.0]))
        opt = make([p])
        for _ in range(3):
            (p * p).sum().backward()
            opt.step()
            opt.zero_grad()
        return arr(p)

    np.testing.assert_array_equal(run(lambda ps: optim.Adam(ps, lr=0.1, weight_decay=0.5, decoupled_weight_decay=True)),
                                  run(lambda ps: optim.AdamW(ps, lr=0.1, weight_decay=0.5)))
    assert not np.array_equal(run(lambda ps: optim.Adam(ps, lr=0.1, weight_decay=0.5)),
                              run(lambda ps: optim.AdamW(ps, lr=0.1, weight_decay=0.5)))


def test_unsupported_options_raise_and_old_state_dicts_take_defaults():
    p = nn.Parameter(ft.zeros(1))
    for make in (lambda: optim.SGD([p], lr=0.1, differentiable=True), lambda: optim.Adam([p], differentiable=True)):
        with pytest.raises(NotImplementedError, match="differentiable=True"):
            make()
    opt = optim.AdamW([p], lr=0.1)
    saved = opt.state_dict()
    for key in ("decoupled_weight_decay", "foreach", "fused", "capturable", "differentiable"):
        del saved["param_groups"][0][key]  # as saved before these options existed
    opt.load_state_dict(saved)
    assert opt.param_groups[0]["decoupled_weight_decay"] is True and opt.param_groups[0]["foreach"] is None


# --- acceptance: models trained with nn + optim reach their thresholds ----------------------------------


def blobs(n: int, seed: int):
    """Four Gaussian blobs (centres on a circle of radius 3, std 0.5): linearly separable classes."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 4, n)
    angles = labels * (np.pi / 2)
    points = 3 * np.stack([np.cos(angles), np.sin(angles)], 1) + rng.normal(0, 0.5, (n, 2))
    return ft.tensor(points.astype(np.float32)), ft.tensor(labels)


def fit(model, loss_fn, optimizer, X, y, epochs: int, batch_size: int = 32) -> None:
    loader = ft.utils.data.DataLoader(ft.utils.data.TensorDataset(X, y), batch_size, shuffle=True,
                                      generator=ft.Generator().manual_seed(0))
    for _ in range(epochs):
        for Xb, yb in loader:
            optimizer.zero_grad()
            loss_fn(model(Xb), yb).backward()
            optimizer.step()


@pytest.mark.parametrize("make_model,make_optimizer", [
    (lambda: nn.Sequential(nn.Flatten(), nn.Linear(2, 4)), lambda p: optim.SGD(p, lr=0.1)),
    (lambda: nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 4)), lambda p: optim.SGD(p, lr=0.1, momentum=0.9)),
    (lambda: nn.Sequential(nn.LazyLinear(32), nn.Tanh(), nn.Linear(32, 4)), lambda p: optim.Adam(p, lr=0.01)),
], ids=["softmax-sgd", "mlp-momentum", "mlp-adam"])
def test_classifiers_reach_95_percent_on_blobs(make_model, make_optimizer):
    ft.manual_seed(0)
    X, y = blobs(800, seed=0)
    X_val, y_val = blobs(400, seed=1)
    model = make_model()
    model(X[:1])  # materialise lazy layers before handing the parameters over
    fit(model, nn.CrossEntropyLoss(), make_optimizer(model.parameters()), X, y, epochs=10)
    model.eval()
    with ft.no_grad():
        accuracy = float((model(X_val).argmax(dim=1) == y_val).float().mean())
    assert accuracy >= 0.95


def test_linear_regression_recovers_w_and_b():
    ft.manual_seed(0)
    X, y = ft.datasets.synthetic_regression(ft.tensor([2.0, -3.4]), 4.2, 1000)
    model = nn.Linear(2, 1)
    fit(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.03), X, y, epochs=3)
    np.testing.assert_allclose(arr(model.weight).reshape(-1), [2.0, -3.4], atol=0.05)
    np.testing.assert_allclose(arr(model.bias), [4.2], atol=0.05)


# --- learning-rate schedules ---------------------------------------------------------------------

SCHEDULES = [
    ("step", lambda lib, opt: lib.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)),
    ("multistep", lambda lib, opt: lib.optim.lr_scheduler.MultiStepLR(opt, milestones=[2, 5, 5], gamma=0.3)),
    ("exponential", lambda lib, opt: lib.optim.lr_scheduler.ExponentialLR(opt, gamma=0.9)),
    ("cosine", lambda lib, opt: lib.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=4, eta_min=0.01)),
    ("lambda", lambda lib, opt: lib.optim.lr_scheduler.LambdaLR(opt, lambda epoch: 1 / (1 + epoch))),
    ("lambda_per_group", lambda lib, opt: lib.optim.lr_scheduler.LambdaLR(opt, [lambda e: 0.5 ** e, lambda e: e + 1])),
]


def _schedule_rates(lib, make, epochs: int = 12):
    params = [lib.nn.Parameter(lib.zeros(2)), lib.nn.Parameter(lib.zeros(1))]
    opt = lib.optim.SGD([{"params": params[:1]}, {"params": params[1:], "lr": 0.2}], lr=0.1, momentum=0.9)
    sched = make(lib, opt)
    rates = [sched.get_last_lr()]
    for _ in range(epochs):
        (params[0].sum() + params[1].sum()).backward()
        opt.step()
        sched.step()
        rates.append([g["lr"] for g in opt.param_groups])
        assert rates[-1] == sched.get_last_lr()
    return rates, params


@pytest.mark.parametrize("name,make", SCHEDULES, ids=[s[0] for s in SCHEDULES])
def test_lr_schedules(name, make):
    rates, params = _schedule_rates(ft, make)
    closed = {
        "step": lambda e, base: base * 0.5 ** (e // 3),
        "multistep": lambda e, base: base * 0.3 ** ((e >= 2) + 2 * (e >= 5)),
        "exponential": lambda e, base: base * 0.9 ** e,
        "cosine": lambda e, base: 0.01 + (base - 0.01) * (1 + math.cos(math.pi * e / 4)) / 2,
        "lambda": lambda e, base: base / (1 + e),
    }
    if name in closed:
        for e, row in enumerate(rates):
            np.testing.assert_allclose(row, [closed[name](e, 0.1), closed[name](e, 0.2)], rtol=1e-12, atol=1e-15)
    if torch is not None:
        theirs, their_params = _schedule_rates(torch, make)
        assert rates == theirs  # the same recurrences: equal to the last bit
        for p, q in zip(params, their_params):
            np.testing.assert_allclose(arr(p), q.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_lr_scheduler_state_and_errors():
    p = nn.Parameter(ft.zeros(1))
    opt = optim.SGD([p], lr=1.0)
    sched = optim.lr_scheduler.StepLR(opt, step_size=2)
    for _ in range(3):
        opt.step()  # before the scheduler's step, as PyTorch asks (else a UserWarning)
        sched.step()
    state = sched.state_dict()
    assert state["last_epoch"] == 3 and "optimizer" not in state
    opt2 = optim.SGD([p], lr=1.0)
    opt2.param_groups[0]["initial_lr"] = 1.0
    again = optim.lr_scheduler.StepLR(opt2, step_size=2, last_epoch=0)
    again.load_state_dict(state)
    again.step()
    sched.step()
    assert again.last_epoch == sched.last_epoch == 4
    with pytest.raises(KeyError, match="initial_lr"):
        optim.lr_scheduler.StepLR(optim.SGD([p], lr=1.0), step_size=2, last_epoch=3)
    with pytest.raises(TypeError, match="is not an Optimizer"):
        optim.lr_scheduler.ExponentialLR(object(), gamma=0.5)
    with pytest.raises(ValueError, match="Expected 1 lr_lambdas, but got 2"):
        optim.lr_scheduler.LambdaLR(opt, [lambda e: 1.0, lambda e: 1.0])


@pytest.mark.parametrize("make", [lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9),
                                  lambda ps: optim.Adam(ps, lr=0.1), lambda ps: optim.AdamW(ps, lr=0.1)])
def test_non_contiguous_parameters_are_updated_in_place(make):
    """A transposed or sliced Parameter steps like its contiguous copy, and stays the same object
    (PyTorch accepts any strided parameter)."""
    strided = nn.Parameter(ft.arange(6.0).reshape(3, 2).t())
    dense = nn.Parameter(ft.arange(6.0).reshape(3, 2).t().contiguous())
    opt_s, opt_d = make([strided]), make([dense])
    for step in range(3):
        g = ft.full((2, 3), float(step + 1)) * ft.arange(6.0).reshape(2, 3)
        strided.grad, dense.grad = g.clone(), g.clone()
        opt_s.step()
        opt_d.step()
    assert strided.stride() == (1, 2)
    np.testing.assert_allclose(strided.detach().numpy(), dense.detach().numpy(), rtol=1e-6)
    assert not np.allclose(dense.detach().numpy(), np.arange(6.0).reshape(3, 2).T)


def test_a_failed_sgd_step_leaves_no_momentum_state():
    """A step that raises (a gradient of the wrong shape) must not leave an uninitialized
    momentum buffer behind for the next step to use."""
    a = nn.Parameter(ft.zeros(4))
    b = nn.Parameter(ft.zeros(3))
    opt = optim.SGD([a, b], lr=0.1, momentum=0.9)
    a.grad, b.grad = ft.ones(4), ft.ones(3)
    b.data = ft.zeros(5)  # the gradient no longer fits the parameter
    with pytest.raises(RuntimeError, match="shape"):
        opt.step()
    assert "momentum_buffer" not in opt.state[a] and "momentum_buffer" not in opt.state[b]
    np.testing.assert_array_equal(a.detach().numpy(), np.zeros(4))
    b.data = ft.zeros(3)
    opt.step()
    opt.step()
    # two momentum steps from zero: -0.1 * (1 + 1.9)
    np.testing.assert_allclose(a.detach().numpy(), np.full(4, -0.29), rtol=1e-6)


def test_momentum_buffer_follows_the_parameter_dtype():
    """After module.double() the float32 momentum buffer keeps working (PyTorch carries on)."""
    model = nn.Linear(2, 1)
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(ft.ones(1, 2)).sum().backward()
    opt.step()
    model.double()
    opt.zero_grad()
    model(ft.ones(1, 2, dtype=ft.float64)).sum().backward()
    opt.step()
    assert model.weight.dtype == ft.float64
