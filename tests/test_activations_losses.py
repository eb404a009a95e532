"""The activations and losses composed of tensor ops (nn.functional and their
modules): values against NumPy formulas, values and gradients against torch,
gradcheck in float64, the overflow-prone branches, and PyTorch's errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

import fasttensor
from fasttensor import nn
from helpers import HAVE_TORCH, check_op, ids, lib, torch

LIBS = [fasttensor] + ([torch] if HAVE_TORCH else [])

F = ("float32", "float64")
_erf = np.vectorize(math.erf, otypes=[np.float64])


def fn_of(x):
    return lib(x).nn.functional


ACTIVATIONS = [
    ("leaky_relu", lambda x: fn_of(x).leaky_relu(x), lambda x: np.where(x > 0, x, 0.01 * x)),
    ("leaky_relu_slope", lambda x: fn_of(x).leaky_relu(x, 0.2), lambda x: np.where(x > 0, x, 0.2 * x)),
    ("elu", lambda x: fn_of(x).elu(x), lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0)))),
    ("elu_alpha", lambda x: fn_of(x).elu(x, alpha=0.5), lambda x: np.where(x > 0, x, 0.5 * np.expm1(np.minimum(x, 0)))),
    ("gelu", lambda x: fn_of(x).gelu(x), lambda x: 0.5 * x * (1 + _erf(x / np.sqrt(2)))),
    ("gelu_tanh", lambda x: fn_of(x).gelu(x, approximate="tanh"),
     lambda x: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))),
    ("silu", lambda x: fn_of(x).silu(x), lambda x: x * 0.5 * (1 + np.tanh(x / 2))),
    ("softplus", lambda x: fn_of(x).softplus(x), lambda x: np.where(x > 20, x, np.log1p(np.exp(np.minimum(x, 20))))),
    ("softplus_beta", lambda x: fn_of(x).softplus(x, beta=2, threshold=3),
     lambda x: np.where(2 * x > 3, x, np.log1p(np.exp(2 * np.minimum(x, 1.5))) / 2)),
]


@pytest.mark.parametrize("name,fn,ref", ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
@pytest.mark.parametrize("shape", [(3, 5), (), (0,), (17,)], ids=ids)
def test_activation(name, fn, ref, shape):
    check_op([shape], fn, numpy_fn=ref, dtypes=F, low=-4, high=4)


@pytest.mark.parametrize("name,fn,ref", ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
def test_activation_extremes_have_finite_gradients(name, fn, ref):
    # Large inputs must not leak inf / nan from the branch that is not taken.
    values = [np.array([-1e4, -100.0, -30.0, 0.0, 30.0, 100.0, 1e4], np.float32)]
    check_op([(7,)], fn, numpy_fn=ref, values=values, run_gradcheck=False)
    x = fasttensor.tensor(values[0], requires_grad=True)
    fn(x).sum().backward()
    assert bool(x.grad.isfinite().all()), x.grad


def test_activation_modules_and_errors():
    x = fasttensor.tensor([-2.0, 0.5])
    Fn = nn.functional
    for module, functional in ((nn.LeakyReLU(0.1), lambda t: Fn.leaky_relu(t, 0.1)), (nn.ELU(), Fn.elu),
                               (nn.GELU("tanh"), lambda t: Fn.gelu(t, "tanh")), (nn.SiLU(), Fn.silu),
                               (nn.Softplus(beta=2.0), lambda t: Fn.softplus(t, 2.0))):
        assert module(x).tolist() == functional(x).tolist()
    if HAVE_TORCH:
        for make in (lambda m: m.LeakyReLU(), lambda m: m.LeakyReLU(0.2, True), lambda m: m.ELU(alpha=0.5),
                     lambda m: m.GELU(), lambda m: m.GELU("tanh"), lambda m: m.SiLU(), lambda m: m.Softplus()):
            assert repr(make(nn)) == repr(make(torch.nn))
    with pytest.raises(RuntimeError, match="approximate argument must be either none or tanh"):
        nn.functional.gelu(x, approximate="erf")


INPLACE_ACTIVATIONS = [
    ("LeakyReLU", (0.2,)), ("ELU", (0.5,)), ("SiLU", ()), ("Hardtanh", (-0.5, 0.5)), ("ReLU6", ()),
    ("Hardsigmoid", ()), ("Hardswish", ()), ("Mish", ()), ("SELU", ()), ("Threshold", (0.1, 20.0)),
]


@pytest.mark.parametrize("name,args", INPLACE_ACTIVATIONS, ids=[n for n, _ in INPLACE_ACTIVATIONS])
def test_inplace_activations_overwrite_their_input_and_keep_gradients(name, args):
    # nn.LeakyReLU(inplace=True) and friends: the input itself holds the result (the same object is
    # returned), and the gradient through the overwritten non-leaf is the out-of-place one.
    rng = np.random.default_rng(6)
    data = rng.uniform(-4, 4, (3, 5))
    for lib_ in LIBS:
        x = lib_.tensor(data, requires_grad=True)
        y = x * 1.0
        out = getattr(lib_.nn, name)(*args, inplace=True)(y)
        assert out is y
        want = getattr(lib_.nn, name)(*args)(lib_.tensor(data))
        np.testing.assert_allclose(y.detach().numpy(), want.numpy(), rtol=1e-12)
        (out * lib_.tensor(data)).sum().backward()
        x2 = lib_.tensor(data, requires_grad=True)
        (getattr(lib_.nn, name)(*args)(x2) * lib_.tensor(data)).sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), x2.grad.numpy(), rtol=1e-12)
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
            getattr(lib_.nn, name)(*args, inplace=True)(lib_.tensor(data, requires_grad=True))


# --- losses ---------------------------------------------------------------------------------------

def _reduce(loss, reduction):
    return {"mean": np.mean, "sum": np.sum, "none": lambda v: v}[reduction](loss)


REDUCTIONS = ["mean", "sum", "none"]


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_regression_losses(reduction):
    def smooth(d, beta):
        return np.where(d < beta, 0.5 * d * d / beta, d - 0.5 * beta)

    def huber(d, delta):
        return np.where(d < delta, 0.5 * d * d, delta * (d - 0.5 * delta))

    cases = [
        (lambda x, y: fn_of(x).l1_loss(x, y, reduction=reduction), lambda x, y: _reduce(np.abs(x - y), reduction)),
        (lambda x, y: fn_of(x).smooth_l1_loss(x, y, reduction=reduction),
         lambda x, y: _reduce(smooth(np.abs(x - y), 1.0), reduction)),
        (lambda x, y: fn_of(x).smooth_l1_loss(x, y, reduction=reduction, beta=0.5),
         lambda x, y: _reduce(smooth(np.abs(x - y), 0.5), reduction)),
        (lambda x, y: fn_of(x).huber_loss(x, y, reduction=reduction, delta=0.7),
         lambda x, y: _reduce(huber(np.abs(x - y), 0.7), reduction)),
        (lambda x, y: lib(x).nn.L1Loss(reduction=reduction)(x, y), lambda x, y: _reduce(np.abs(x - y), reduction)),
        (lambda x, y: lib(x).nn.HuberLoss(reduction=reduction)(x, y),
         lambda x, y: _reduce(huber(np.abs(x - y), 1.0), reduction)),
    ]
    for fn, ref in cases:
        check_op([(4, 5), (4, 5)], fn, numpy_fn=ref, dtypes=F, low=-3, high=3)
        check_op([(7,), (7,)], fn, numpy_fn=ref, layouts=["strided"], run_gradcheck=False)


def _bce(p, t):
    return -(t * np.maximum(np.log(p), -100) + (1 - t) * np.maximum(np.log(1 - p), -100))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy(reduction):
    rng = np.random.default_rng(3)
    p = rng.uniform(0.02, 0.98, (4, 3))
    t = rng.uniform(0, 1, (4, 3))
    w = rng.uniform(0.5, 2, (3,))
    check_op([(4, 3), (4, 3)], lambda x, y: fn_of(x).binary_cross_entropy(x, y, reduction=reduction),
             numpy_fn=lambda x, y: _reduce(_bce(x, y), reduction), values=[p, t], dtypes=F)
    # Class weights are constants (PyTorch does not differentiate through them).
    check_op([(4, 3), (4, 3)],
             lambda x, y: lib(x).nn.BCELoss(weight=lib(x).tensor(w, dtype=x.dtype), reduction=reduction)(x, y),
             numpy_fn=lambda x, y: _reduce(_bce(x, y) * w, reduction), values=[p, t], dtypes=F)
    # Probabilities of exactly 0 and 1: the logs are clamped at -100, as PyTorch's.
    check_op([(2,), (2,)], lambda x, y: fn_of(x).binary_cross_entropy(x, y, reduction=reduction),
             numpy_fn=lambda x, y: _reduce(np.array([100.0, 100.0], x.dtype), reduction),
             values=[np.array([0.0, 1.0]), np.array([1.0, 0.0])], grad=False)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy_with_logits(reduction):
    rng = np.random.default_rng(4)
    z = np.concatenate([rng.uniform(-5, 5, 10), [-80.0, 80.0]]).reshape(3, 4)
    t = rng.uniform(0, 1, (3, 4))
    pw = rng.uniform(0.5, 3, (4,))

    def ref(x, y, pos_weight=1.0):
        log_sig = -np.logaddexp(0, -x)      # log sigmoid(x)
        log_1m_sig = -np.logaddexp(0, x)    # log(1 - sigmoid(x))
        return _reduce(-(pos_weight * y * log_sig + (1 - y) * log_1m_sig), reduction)

    check_op([(3, 4), (3, 4)], lambda x, y: fn_of(x).binary_cross_entropy_with_logits(x, y, reduction=reduction),
             numpy_fn=ref, values=[z, t], dtypes=F)
    check_op([(3, 4), (3, 4)],
             lambda x, y: lib(x).nn.BCEWithLogitsLoss(pos_weight=lib(x).tensor(pw, dtype=x.dtype),
                                                      reduction=reduction)(x, y),
             numpy_fn=lambda x, y: ref(x, y, pw), values=[z, t], dtypes=F)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_nll_loss(reduction, weighted):
    rng = np.random.default_rng(5)
    logp = np.log(rng.dirichlet(np.ones(4), size=6))
    target = np.array([0, 3, -100, 1, 3, 2])
    w = rng.uniform(0.5, 2, 4)

    def ref(x, *weight):
        ww = weight[0] if weight else np.ones(4)
        counted = target != -100
        safe = np.where(counted, target, 0)
        per = -x[np.arange(6), safe] * ww[safe] * counted
        if reduction == "mean":
            return per.sum() / (ww[safe] * counted).sum()
        return _reduce(per, reduction)

    tgt = lambda x: lib(x).tensor(target)  # noqa: E731
    if weighted:  # class weights are constants, as in PyTorch
        check_op([(6, 4)], lambda x: fn_of(x).nll_loss(x, tgt(x), weight=lib(x).tensor(w, dtype=x.dtype),
                                                       reduction=reduction),
                 numpy_fn=lambda x: ref(x, w), values=[logp], dtypes=F)
    else:
        check_op([(6, 4)], lambda x: lib(x).nn.NLLLoss(reduction=reduction)(x, tgt(x)), numpy_fn=ref,
                 values=[logp], dtypes=F)
    # (N, C, d) inputs and a single (C,) row
    check_op([(2, 3, 5)], lambda x: fn_of(x).nll_loss(x, lib(x).tensor([[0, 1, 2, 1, 0], [2, 2, 0, 1, 1]]),
                                                      reduction=reduction), run_gradcheck=False,
             numpy_fn=lambda x: _reduce(-np.take_along_axis(x, np.array([[[0, 1, 2, 1, 0]], [[2, 2, 0, 1, 1]]]),
                                                            1)[:, 0], reduction))
    check_op([(3,)], lambda x: fn_of(x).nll_loss(x, lib(x).tensor(2), reduction=reduction),
             numpy_fn=lambda x: -x[2])


def test_nll_loss_of_log_softmax_is_cross_entropy():
    x = fasttensor.randn(5, 4)
    t = fasttensor.tensor([0, 3, 1, 1, 2])
    np.testing.assert_allclose(nn.functional.nll_loss(nn.functional.log_softmax(x, 1), t).item(),
                               nn.functional.cross_entropy(x, t).item(), rtol=1e-6)


def test_loss_errors_and_reprs():
    x = fasttensor.tensor([0.5, 0.2])
    with pytest.raises(RuntimeError, match="all elements of input should be between 0 and 1"):
        nn.functional.binary_cross_entropy(fasttensor.tensor([1.5]), fasttensor.tensor([1.0]))
    with pytest.raises(ValueError, match="Using a target size .* that is different to the input size"):
        nn.functional.binary_cross_entropy(x, fasttensor.ones(1, 2))
    with pytest.raises(ValueError, match=r"Target size \(fasttensor.Size\(\[3\]\)\) must be the same as input size"):
        nn.functional.binary_cross_entropy_with_logits(fasttensor.zeros(2), fasttensor.zeros(3))
    with pytest.raises(IndexError, match="Target 5 is out of bounds."):
        nn.functional.nll_loss(fasttensor.zeros(2, 3), fasttensor.tensor([0, 5]))
    with pytest.raises(RuntimeError, match="expected target dtype to be Long or Byte"):
        nn.functional.nll_loss(fasttensor.zeros(2, 3), fasttensor.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match="avg is not a valid value for reduction"):
        nn.functional.l1_loss(x, x, reduction="avg")
    with pytest.warns(UserWarning, match="Using a target size"):
        nn.functional.l1_loss(x, fasttensor.ones(1, 2))
    assert np.isnan(nn.functional.nll_loss(fasttensor.zeros(2, 3), fasttensor.tensor([-100, -100])).item())
    if HAVE_TORCH:
        for make in (lambda m: m.L1Loss(), lambda m: m.SmoothL1Loss(beta=0.5), lambda m: m.HuberLoss(delta=2.0),
                     lambda m: m.BCELoss(), lambda m: m.BCEWithLogitsLoss(), lambda m: m.NLLLoss(ignore_index=1)):
            assert repr(make(nn)) == repr(make(torch.nn))


@pytest.mark.parametrize("m", LIBS)
def test_bce_with_logits_gradient_at_zero_logits(m):
    # d/dx = (sigmoid(x) - t) / n: 1/2 - t at x = 0 (abs/clamp kinks gave -t), with pos_weight p:
    # (1 - t) - (1 + (p - 1) t) sigmoid(-x).
    F = m.nn.functional
    t = m.tensor([0.0, 1.0, 0.5])
    x = m.zeros(3, requires_grad=True)
    F.binary_cross_entropy_with_logits(x, t).backward()
    np.testing.assert_allclose(x.grad.tolist(), np.array([0.5, -0.5, 0.0]) / 3, rtol=1e-6)
    x = m.zeros(3, requires_grad=True)
    F.binary_cross_entropy_with_logits(x, t, pos_weight=m.tensor([2.0, 3.0, 4.0]), reduction="sum").backward()
    np.testing.assert_allclose(x.grad.tolist(), [0.5, -1.5, -0.75], rtol=1e-6)
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        F.binary_cross_entropy_with_logits(m.zeros(2), m.zeros(2, dtype=m.int64))


@pytest.mark.parametrize("m", LIBS)
def test_bce_gradient_at_probabilities_zero_and_one(m):
    # PyTorch's backward (x - t) / max(x (1 - x), 1e-12): finite where the clamped logs gave NaN.
    F = m.nn.functional
    z = m.tensor([20.0, 3.0], requires_grad=True)  # sigmoid(20) is exactly 1 in float32
    m.nn.BCELoss()(m.sigmoid(z), m.tensor([1.0, 1.0])).backward()
    np.testing.assert_allclose(z.grad.tolist(), [0.0, -(1 - 1 / (1 + math.exp(-3.0))) / 2], rtol=1e-5, atol=1e-12)
    x = m.tensor([0.0, 0.5, 1.0, 1e-50], requires_grad=True)
    t = m.tensor([1.0, 0.3, 0.0, 0.5], requires_grad=True)
    loss = F.binary_cross_entropy(x, t, reduction="sum")
    loss.backward()
    assert loss.item() == pytest.approx(100 + math.log(2) + 100 + 50, rel=1e-6)
    np.testing.assert_allclose(x.grad.tolist(), [-1e12, 0.8, 1e12, -5e11], rtol=1e-6)
    assert t.grad.tolist()[0] == math.inf and t.grad.tolist()[2] == -math.inf and t.grad.tolist()[1] == 0
    # weighted, twice differentiable
    x = m.tensor([0.2, 0.5], dtype=m.float64, requires_grad=True)
    t = m.tensor([1.0, 0.3], dtype=m.float64, requires_grad=True)
    loss = F.binary_cross_entropy(x, t, weight=m.tensor([2.0, 3.0], dtype=m.float64))
    gx, gt = m.autograd.grad(loss, (x, t), create_graph=True)
    np.testing.assert_allclose(gx.tolist(), [-5.0, 1.2], rtol=1e-12)
    np.testing.assert_allclose(gt.tolist(), [math.log(4.0), 0.0], rtol=1e-12, atol=1e-15)
    hx, ht = m.autograd.grad(gx.sum(), (x, t))
    np.testing.assert_allclose(hx.tolist(), [25.0, 6.0], rtol=1e-10)  # a quotient's derivative: ~1e-11 rounding
    np.testing.assert_allclose(ht.tolist(), [-6.25, -6.0], rtol=1e-10)
    for target, name in ((m.zeros(2, dtype=m.int64), "Long"), (m.zeros(2, dtype=m.float64), "Double")):
        with pytest.raises(RuntimeError, match=f"Found dtype {name} but expected Float"):
            F.binary_cross_entropy(m.zeros(2), target)


@pytest.mark.parametrize("m", LIBS)
def test_float_only_losses_refuse_integer_tensors_as_torch(m):
    F = m.nn.functional
    a, b = m.tensor([1, 2]), m.tensor([2, 2])
    for f, kernel in ((F.mse_loss, "mse_cpu"), (F.smooth_l1_loss, "smooth_l1_cpu"), (F.huber_loss, "huber_cpu"),
                      (F.binary_cross_entropy, "binary_cross_entropy")):
        for reduction in ("mean", "sum", "none"):
            with pytest.raises(NotImplementedError, match=f'"{kernel}" not implemented for \'Long\''):
                f(a, b, reduction=reduction)
    # one floating operand: computed in the promoted dtype
    assert F.mse_loss(a.float(), b).item() == 0.5


@pytest.mark.parametrize("m", LIBS)
def test_float_only_activations_and_nll_refuse_integer_tensors_as_torch(m):
    F = m.nn.functional
    for dt, name in ((m.int64, "Long"), (m.int32, "Int"), (m.uint8, "Byte"), (m.bool, "Bool")):
        x = m.tensor([1, 0], dtype=dt)
        for f, kernel in ((F.gelu, "GeluKernelImpl"), (F.silu, "silu_cpu"), (F.elu, "elu_cpu"),
                          (F.leaky_relu, "leaky_relu_cpu"), (F.softplus, "softplus_cpu")):
            with pytest.raises(NotImplementedError, match=f'"{kernel}" not implemented for \'{name}\''):
                f(x)  # they computed float results
        with pytest.raises(NotImplementedError, match=f'"nll_loss_out_frame" not implemented for \'{name}\''):
            F.nll_loss(m.tensor([[1, 0, 2]], dtype=dt), m.tensor([0]))  # uint8 gave 255
    with pytest.raises(RuntimeError, match="Bool inputs not supported for hardtanh"):
        F.relu6(m.tensor([True, False]))
    with pytest.raises(RuntimeError, match="cannot do hardtanh on an unsigned type with negative limits"):
        F.hardtanh(m.tensor([1, 0], dtype=m.uint8))
    assert F.relu6(m.tensor([1, 9], dtype=m.uint8)).tolist() == [1, 6]


@pytest.mark.parametrize("m", LIBS)
def test_cross_entropy_of_1d_input_takes_a_one_element_target(m):
    F = m.nn.functional
    assert F.cross_entropy(m.zeros(5), m.tensor([2])).item() == pytest.approx(math.log(5), rel=1e-6)
    with pytest.raises(ValueError, match="For 1D input, 1D target must have size 1, but got target size: 2"):
        F.cross_entropy(m.zeros(5), m.tensor([2, 1]))
