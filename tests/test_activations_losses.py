"""The activations and losses composed of tensor ops (nn.functional and their
modules): values against NumPy formulas, values and gradients against torch,
gradcheck in float64, the overflow-prone branches, and PyTorch's errors."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import fasttensor
from fasttensor import nn
from helpers import HAVE_TORCH, check_op, compare_results, ids, inplace_like_torch, lib, raises_like, torch

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


# --- shrinkage, the in-place forms, and more losses -------------------------------------------------------

SHRINK_VALUES = np.array([np.inf, -np.inf, 0.5, -0.5, 0.6, -0.6, 0.0, -0.0, 0.7, -0.9, 1e-30, 2.5], np.float32)


@pytest.mark.parametrize("lambd", [0.5, 0.6, 0.0], ids=ids)
def test_softshrink(lambd):
    # exactly at +-lambd too, and signed zeros (x * 0 between the bounds)
    ref = lambda x: np.where(x > lambd, x - lambd, np.where(x < -lambd, x + lambd, x * 0))  # noqa: E731
    # (exact against torch: lambd is rounded to the input's dtype first, which a NumPy reference in float64 is not)
    check_op([(12,)], lambda x: fn_of(x).softshrink(x, lambd), values=[SHRINK_VALUES], dtypes=F, rtol=0, atol=0,
             grad_rtol=0, grad_atol=0, run_gradcheck=False)
    check_op([(3, 5)], lambda x: lib(x).nn.Softshrink(lambd)(x), numpy_fn=ref, dtypes=F, layouts=("contiguous",
             "transposed", "strided"), grad_rtol=0, grad_atol=0)
    check_op([(3, 5)], lambda x: lib(x).nn.Hardshrink(lambd)(x), numpy_fn=lambda x: np.where(np.abs(x) > lambd, x, 0),
             dtypes=F, grad_rtol=0, grad_atol=0)
    both_nan = [m.nn.functional.softshrink(m.tensor([math.nan, 0.2]), lambd) for m in LIBS]
    assert math.isnan(both_nan[0][0].item()) and (len(LIBS) == 1 or math.isnan(both_nan[1][0].item()))


def test_shrink_errors_reprs_and_nodes():
    raises_like(lambda m: m.nn.functional.softshrink(m.ones(2), -1), RuntimeError,
                r"lambda must be in range \[0, 3.40282e\+38\] for input dtype Float, but found -1")
    raises_like(lambda m: m.nn.functional.softshrink(m.ones(2, dtype=m.float64), -0.25), RuntimeError,
                r"lambda must be in range \[0, 1.79769e\+308\] for input dtype Double, but found -0.25")
    raises_like(lambda m: m.nn.functional.softshrink(m.ones(2), 1e300), RuntimeError, "but found 1e\\+300")
    raises_like(lambda m: m.nn.functional.softshrink(m.ones(2), math.nan), RuntimeError, "but found nan")
    raises_like(lambda m: m.nn.functional.softshrink(m.tensor([1, 2])), NotImplementedError,
                "\"softshrink_check\" not implemented for 'Long'")
    raises_like(lambda m: m.nn.Hardshrink()(m.tensor([True])), NotImplementedError,
                "\"hardshrink_cpu\" not implemented for 'Bool'")
    for m in LIBS:
        x = m.ones(2, requires_grad=True)
        assert m.nn.functional.softshrink(x).grad_fn.name() == "SoftshrinkBackward0"
        assert m.nn.functional.hardshrink(x).grad_fn.name() == "HardshrinkBackward0"
    if HAVE_TORCH:
        for make in (lambda n: n.Softshrink(), lambda n: n.Softshrink(lambd=1), lambda n: n.Hardshrink(0.25)):
            assert repr(make(nn)) == repr(make(torch.nn))
        assert type(nn.Softshrink()).__module__ == "fasttensor.nn.modules.activation"


IN_PLACE_FORMS = [("relu_", ()), ("leaky_relu_", (0.2,)), ("elu_", (0.5,)), ("celu_", (0.5,)), ("selu_", ()),
                  ("hardtanh_", (-0.5, 0.7)), ("threshold_", (0.1, 2.0))]


@pytest.mark.parametrize("name,args", IN_PLACE_FORMS, ids=[n for n, _ in IN_PLACE_FORMS])
def test_functional_in_place_forms(torch, name, args):
    base = np.random.default_rng(8).uniform(-2, 2, (3, 4))
    inplace_like_torch(torch, lambda m, y, o: getattr(m.nn.functional, name)(y, *args), base, rtol=1e-6, atol=1e-7,
                       grad_rtol=1e-5, grad_atol=1e-6)
    raises_like(lambda m: getattr(m.nn.functional, name)(m.ones(2, requires_grad=True), *args), RuntimeError,
                "a leaf Variable that requires grad")


def test_threshold_nodes(torch):
    for m in (fasttensor, torch):
        x = m.ones(2, requires_grad=True)
        assert m.nn.functional.threshold(x, 0.5, 0.0).grad_fn.name() == "ThresholdBackward0"
        assert m.nn.functional.threshold(x * 1, 0.5, 0.0, True).grad_fn.name() == "ThresholdBackward1"
        assert m.nn.functional.threshold(x * 1, 0.5, 0.0, inplace=True).grad_fn.name() == "ThresholdBackward1"


def _np_logsigmoid(x):
    return -np.logaddexp(0, -x)


_EPS32 = float(np.float32(1e-12))  # ATen's float EPSILON in cosine_embedding_loss
rng_losses = np.random.default_rng(9)
SIGNS = np.sign(rng_losses.uniform(-1, 1, (4, 5))).astype(np.float64)
SIGNS_AND_ZEROS = np.where(rng_losses.random((4, 5)) < 0.2, 0.0, SIGNS)
TARGET_ROWS = np.array([1.0, -1.0, -1.0, 1.0])
LABELS = (rng_losses.random((4, 5)) < 0.5).astype(np.float64)
POSITIVE = rng_losses.uniform(0.2, 3.0, (4, 5))
COUNTS = np.round(rng_losses.uniform(0, 5, (4, 5)))


def _cos_ref(x, y, t, margin, dim=1):
    cos = (x * y).sum(dim) / np.sqrt(((x * x).sum(dim) + _EPS32) * ((y * y).sum(dim) + _EPS32))
    return np.where(t == 1, 1 - cos, 0) + np.where(t == -1, np.maximum(cos - margin, 0), 0)


def _pnll_ref(x, t, log_input, full, eps=1e-8):
    loss = np.exp(x) - t * x if log_input else x - t * np.log(x + eps)
    if full:
        with np.errstate(all="ignore"):
            stirling = t * np.log(t) - t + 0.5 * np.log(2 * np.pi * t)
        loss = loss + np.where(t <= 1, 0, stirling)
    return loss


def _pairwise(a, b, p, eps=1e-6):
    return (np.abs(a - b + eps) ** p).sum(-1) ** (1 / p)


def _c(values):
    return lambda x: lib(x).tensor(values, dtype=x.dtype)


# (name, input shapes, fasttensor/torch call given reduction, NumPy reference of the unreduced loss, values)
LOSSES = [
    ("soft_margin", [(4, 5)], lambda r: lambda x: fn_of(x).soft_margin_loss(x, _c(SIGNS)(x), reduction=r),
     lambda x: np.log1p(np.exp(-SIGNS * x)), None),
    ("margin_ranking", [(4, 5), (4, 5)],
     lambda r: lambda x, y: fn_of(x).margin_ranking_loss(x, y, _c(SIGNS)(x), margin=0.3, reduction=r),
     lambda x, y: np.maximum(-SIGNS * (x - y) + 0.3, 0), None),
    ("hinge_embedding", [(4, 5)],
     lambda r: lambda x: fn_of(x).hinge_embedding_loss(x, _c(SIGNS_AND_ZEROS)(x), margin=0.7, reduction=r),
     lambda x: np.where(SIGNS_AND_ZEROS != 1, np.maximum(0.7 - x, 0), 0) + np.where(SIGNS_AND_ZEROS != -1, x, 0), None),
    ("cosine_embedding", [(4, 5), (4, 5)],
     lambda r: lambda x, y: fn_of(x).cosine_embedding_loss(x, y, _c(TARGET_ROWS)(x), margin=0.2, reduction=r),
     lambda x, y: _cos_ref(x, y, TARGET_ROWS, 0.2), None),
    ("cosine_embedding_1d", [(5,), (5,)],
     lambda r: lambda x, y: fn_of(x).cosine_embedding_loss(x, y, lib(x).tensor(-1.0), margin=-0.5, reduction=r),
     lambda x, y: _cos_ref(x, y, -1.0, -0.5, 0), None),
    ("gaussian_nll", [(4, 5), (4, 5), (4, 5)],
     lambda r: lambda x, y, v: fn_of(x).gaussian_nll_loss(x, y, v, reduction=r),
     lambda x, y, v: 0.5 * (np.log(v) + (x - y) ** 2 / v), [None, None, POSITIVE]),
    ("gaussian_nll_rows", [(4, 5), (4, 5), (4,)],
     lambda r: lambda x, y, v: fn_of(x).gaussian_nll_loss(x, y, v, full=True, reduction=r),
     lambda x, y, v: 0.5 * (np.log(v[:, None]) + (x - y) ** 2 / v[:, None]) + 0.5 * np.log(2 * np.pi),
     [None, None, POSITIVE[:, 0]]),
    ("gaussian_nll_float", [(4, 5), (4, 5)],
     lambda r: lambda x, y: fn_of(x).gaussian_nll_loss(x, y, 0.5, eps=0.6, reduction=r),
     lambda x, y: 0.5 * (np.log(0.6) + (x - y) ** 2 / 0.6), None),
    ("poisson_nll", [(4, 5)], lambda r: lambda x: fn_of(x).poisson_nll_loss(x, _c(COUNTS)(x), reduction=r),
     lambda x: _pnll_ref(x, COUNTS, True, False), None),
    ("poisson_nll_full", [(4, 5)],
     lambda r: lambda x: fn_of(x).poisson_nll_loss(x, _c(COUNTS)(x), log_input=False, full=True, reduction=r),
     lambda x: _pnll_ref(x, COUNTS, False, True), [POSITIVE]),
    ("triplet_margin", [(4, 5), (4, 5), (4, 5)],
     lambda r: lambda a, p, n: fn_of(a).triplet_margin_loss(a, p, n, margin=0.5, reduction=r),
     lambda a, p, n: np.maximum(0.5 + _pairwise(a, p, 2) - _pairwise(a, n, 2), 0), None),
    ("triplet_margin_swap", [(4, 5), (4, 5), (4, 5)],
     lambda r: lambda a, p, n: fn_of(a).triplet_margin_loss(a, p, n, margin=2.0, p=1, swap=True, reduction=r),
     lambda a, p, n: np.maximum(2.0 + _pairwise(a, p, 1) - np.minimum(_pairwise(a, n, 1), _pairwise(p, n, 1)), 0),
     None),
    ("multilabel_soft_margin", [(4, 5)],
     lambda r: lambda x: fn_of(x).multilabel_soft_margin_loss(x, _c(LABELS)(x), reduction=r),
     lambda x: -(LABELS * _np_logsigmoid(x) + (1 - LABELS) * _np_logsigmoid(-x)).sum(-1) / 5, None),
    ("multilabel_soft_margin_weighted", [(4, 5), (5,)],
     lambda r: lambda x, w: fn_of(x).multilabel_soft_margin_loss(x, _c(LABELS)(x), weight=w, reduction=r),
     lambda x, w: -((LABELS * _np_logsigmoid(x) + (1 - LABELS) * _np_logsigmoid(-x)) * w).sum(-1) / 5, None),
]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name,shapes,make,ref,values", LOSSES, ids=[case[0] for case in LOSSES])
def test_more_losses(name, shapes, make, ref, values, reduction):
    # values: the same float ops as PyTorch's compositions, their exp/log/sqrt/norm kernels to an ulp or so
    check_op(shapes, make(reduction), numpy_fn=lambda *a: _reduce(ref(*a), reduction), dtypes=F, values=values,
             layouts=("contiguous", "transposed") if len(shapes[0]) == 2 else ("contiguous",), rtol=1e-5, atol=1e-6)


NODES = {"soft_margin": ("SoftMarginLossBackward0",) * 3, "margin_ranking": "ClampMinBackward0",
         "hinge_embedding": "AddBackward0", "cosine_embedding": "AddBackward0", "gaussian_nll": "MulBackward0",
         "gaussian_nll_rows": "AddBackward0", "poisson_nll": "SubBackward0", "poisson_nll_full": "AddBackward0",
         "triplet_margin": "ClampMinBackward0", "multilabel_soft_margin": "DivBackward0"}


@pytest.mark.parametrize("name", NODES)
def test_more_losses_nodes(torch, name):
    _, shapes, make, _, values = next(case for case in LOSSES if case[0] == name)
    nodes = NODES[name] if isinstance(NODES[name], tuple) else ("MeanBackward0", "SumBackward0", NODES[name])
    for m in (fasttensor, torch):
        args = [m.tensor(values[k] if values and values[k] is not None else np.ones(s), requires_grad=True)
                for k, s in enumerate(shapes)]
        assert tuple(make(r)(*args).grad_fn.name() for r in REDUCTIONS) == nodes


LEGACY = [(None, False, "none"), (False, None, "sum"), (True, True, "mean"), (False, False, "none")]


@pytest.mark.parametrize("size_average,reduce,reduction", LEGACY, ids=ids)
def test_more_losses_legacy_reduction_arguments(torch, size_average, reduce, reduction):
    x, y = (np.random.default_rng(k).uniform(0.2, 2, (4, 5)) for k in (1, 2))
    calls = [lambda F, a, b, **k: F.soft_margin_loss(a, b.sign(), **k),
             lambda F, a, b, **k: F.margin_ranking_loss(a, b, b.sign(), **k),
             lambda F, a, b, **k: F.hinge_embedding_loss(a, b.sign(), **k),
             lambda F, a, b, **k: F.cosine_embedding_loss(a, b, b[:, 0].sign(), **k),
             lambda F, a, b, **k: F.poisson_nll_loss(a, b, **k), lambda F, a, b, **k: F.triplet_margin_loss(a, b, a + b, **k),
             lambda F, a, b, **k: F.multilabel_soft_margin_loss(a, b, **k)]
    for call in calls:
        results = []
        for m in (fasttensor, torch):
            with pytest.warns(UserWarning, match=f"size_average and reduce args will be deprecated, please use "
                                                 f"reduction='{reduction}' instead."):
                results.append(call(m.nn.functional, m.tensor(x), m.tensor(y), size_average=size_average,
                                    reduce=reduce))
            results.append(call(m.nn.functional, m.tensor(x), m.tensor(y), reduction=reduction))
        compare_results(results[0], results[2], rtol=1e-6, atol=1e-7)  # ours and torch's
        np.testing.assert_array_equal(results[0].numpy(), results[1].numpy())  # legacy arguments = reduction


def test_more_losses_dtypes_and_broadcasting():
    def F(m):
        return m.nn.functional

    x, y = np.random.default_rng(3).uniform(-2, 2, (2, 4, 5))
    t = np.sign(y)
    for call in (lambda m: F(m).soft_margin_loss(m.tensor(x), m.tensor(t)[:, :1]),
                 lambda m: F(m).soft_margin_loss(m.tensor(x), m.tensor(t).long(), reduction="none"),
                 lambda m: F(m).soft_margin_loss(m.tensor(x, dtype=m.float32), m.tensor(t)),  # in input's dtype
                 lambda m: F(m).margin_ranking_loss(m.tensor(x), m.tensor(y)[:, :1], m.tensor(t)),
                 lambda m: F(m).margin_ranking_loss(m.tensor(x).long(), m.tensor(y).long(), m.tensor(t).long()),
                 lambda m: F(m).margin_ranking_loss(m.tensor(1.0), m.tensor(2.0), m.tensor(1.0)),
                 lambda m: F(m).hinge_embedding_loss(m.tensor(x).long(), m.tensor(t).long(), reduction="none"),
                 lambda m: F(m).hinge_embedding_loss(m.tensor(x), m.tensor(t).long(), margin=2, reduction="sum"),
                 lambda m: F(m).cosine_embedding_loss(m.tensor(x), m.tensor(y)[:, :1], m.tensor(t[:, 0])),
                 lambda m: F(m).cosine_embedding_loss(m.tensor(x).long(), m.tensor(y).long(), m.tensor(t[:, 0]).long()),
                 lambda m: F(m).cosine_embedding_loss(m.zeros(2, 3), m.ones(2, 3), m.tensor([1.0, -1.0])),
                 lambda m: F(m).triplet_margin_loss(m.tensor(x), m.tensor(y), m.tensor(x)[:, :1]),
                 lambda m: F(m).triplet_margin_loss(m.tensor(x[0]), m.tensor(y[0]), m.tensor(x[1])),
                 lambda m: F(m).triplet_margin_loss(m.tensor(x).long(), m.tensor(y).long(), m.tensor(x).long()),
                 lambda m: F(m).poisson_nll_loss(m.tensor(x), m.tensor(y)[:, :1]),
                 lambda m: F(m).poisson_nll_loss(m.tensor(x).long(), m.tensor(y).long()),
                 lambda m: F(m).gaussian_nll_loss(m.tensor(x), m.tensor(y)[:, :1], m.ones(4, 5)),
                 lambda m: F(m).gaussian_nll_loss(m.tensor(x), m.tensor(y), m.ones(1, 5) * 2),
                 lambda m: F(m).gaussian_nll_loss(m.tensor(x), m.tensor(y), m.ones(4, 1) * 2),
                 lambda m: F(m).multilabel_soft_margin_loss(m.tensor(x[0]), m.tensor(t[0] > 0).float()),
                 lambda m: F(m).multilabel_soft_margin_loss(m.tensor(np.stack([x, y])), m.tensor(np.stack([t, t])),
                                                            reduction="none"),
                 lambda m: F(m).soft_margin_loss(m.zeros(0), m.zeros(0))):
        compare_results(call(fasttensor), call(torch), rtol=1e-6, atol=1e-7) if HAVE_TORCH else call(fasttensor)


def test_more_losses_errors():
    def F(m):
        return m.nn.functional

    x = np.random.default_rng(3).uniform(-2, 2, (4, 5))
    for call, exc, match in [
        (lambda m: F(m).soft_margin_loss(m.tensor(x), m.tensor(x)[:3]), RuntimeError, "The size of tensor a"),
        (lambda m: F(m).soft_margin_loss(m.tensor(x)[0], m.tensor(x)), RuntimeError,
         r"output with shape \[5\] doesn't match the broadcast shape \[4, 5\]"),
        (lambda m: F(m).soft_margin_loss(m.tensor(x).long(), m.tensor(x).long()), RuntimeError,
         "result type Float can't be cast to the desired output type Long"),
        (lambda m: F(m).soft_margin_loss(m.tensor([True]), m.tensor([1.0])), RuntimeError,
         "Negation, the `-` operator, on a bool tensor is not supported"),
        (lambda m: F(m).soft_margin_loss(m.tensor(x), m.tensor(x), reduction="bad"), ValueError,
         "bad is not a valid value for reduction"),
        (lambda m: F(m).soft_margin_loss(m.tensor(x), m.tensor(x, requires_grad=True)), RuntimeError,
         "The function 'soft_margin_loss' is not differentiable with respect to argument 'target'. This input cannot "
         "have requires_grad True."),
        (lambda m: F(m).margin_ranking_loss(m.tensor(x), m.tensor(x), m.tensor(x)[0]), RuntimeError,
         "margin_ranking_loss : All input tensors should have same dimension but got sizes: input1: "),
        (lambda m: F(m).hinge_embedding_loss(m.tensor(x).long(), m.tensor(x).long()), RuntimeError,
         "mean\\(\\): could not infer output dtype"),
        (lambda m: F(m).hinge_embedding_loss(m.tensor(x), m.tensor(x)[:3]), RuntimeError, "The size of tensor a"),
        (lambda m: F(m).cosine_embedding_loss(m.tensor(x), m.tensor(x), m.tensor(x)), RuntimeError,
         "0D or 1D target tensor expected, multi-target not supported"),
        (lambda m: F(m).cosine_embedding_loss(m.tensor(x)[0], m.tensor(x), m.tensor(x)[:, 0]), RuntimeError,
         r"1D target tensor expects 2D input tensors, but found inputs with sizes \[5\] and \[4, 5\]\."),
        (lambda m: F(m).cosine_embedding_loss(m.tensor(x), m.tensor(x), m.tensor(x)[0, 0]), RuntimeError,
         r"0D target tensor expects 1D input tensors, but found inputs with sizes \[4, 5\] and \[4, 5\]\."),
        (lambda m: F(m).triplet_margin_loss(m.tensor(x), m.tensor(x), m.tensor(x)[0]), RuntimeError,
         "The anchor, positive, and negative tensors are expected to have the same number of dimensions, but got: "
         "anchor 2D, positive 2D, and negative 1D inputs"),
        (lambda m: F(m).triplet_margin_loss(m.tensor(x), m.tensor(x), m.tensor(x), margin=0), ValueError,
         "margin must be greater than 0, got 0"),
        (lambda m: F(m).poisson_nll_loss(m.tensor(x), m.tensor(x), reduction="bad"), ValueError,
         "bad is not a valid value for reduction"),
        (lambda m: F(m).poisson_nll_loss(m.tensor(x), m.tensor(x)[:3]), RuntimeError, "The size of tensor a"),
        (lambda m: F(m).gaussian_nll_loss(m.tensor(x), m.tensor(x), -1.0), ValueError, "var has negative entry"),
        (lambda m: F(m).gaussian_nll_loss(m.tensor(x), m.tensor(x), -m.ones(4, 5)), ValueError,
         "var has negative entry/entries"),
        (lambda m: F(m).gaussian_nll_loss(m.tensor(x), m.tensor(x), m.ones(5, 4)), ValueError,
         "var is of incorrect size"),
        (lambda m: F(m).gaussian_nll_loss(m.tensor(x), m.tensor(x), m.ones(4, 5), reduction="bad"), ValueError,
         "bad is not valid"),
        # (torch 2.13's TypeError here is an internal any() message; ours names the argument: the type only)
        (lambda m: F(m).gaussian_nll_loss(m.tensor(x), m.tensor(x), 1), TypeError, None),
        (lambda m: F(m).gaussian_nll_loss(m.tensor(x), m.tensor(x), m.ones(4, 5).long()), RuntimeError,
         "result type Float can't be cast to the desired output type"),
        (lambda m: F(m).multilabel_soft_margin_loss(m.tensor(x), m.tensor(x), reduction="bad"), ValueError,
         "bad is not valid"),
        (lambda m: F(m).multilabel_soft_margin_loss(m.tensor(1.0), m.tensor(1.0)), IndexError,
         "Dimension specified as -1 but tensor has no dimensions"),
        (lambda m: F(m).multilabel_soft_margin_loss(m.tensor(x).long(), m.tensor(x).long()), NotImplementedError,
         "\"log_sigmoid_cpu\" not implemented for 'Long'"),
    ]:
        raises_like(call, exc, match)


def test_gaussian_nll_loss_clamps_var_outside_the_gradient(torch):
    x, v = np.array([1.0, 1.0, 1.0]), np.array([0.01, 0.5, 0.0])
    grads = []
    for m in (fasttensor, torch):
        a, var = m.tensor(x, requires_grad=True), m.tensor(v, requires_grad=True)
        loss = m.nn.functional.gaussian_nll_loss(a, m.zeros(3, dtype=m.float64), var, eps=0.1)
        loss.backward()
        grads.append((loss, a.grad, var.grad, var.detach()))  # var itself is left as it was
    compare_results(*grads, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(grads[0][3].numpy(), v)


LOSS_MODULES = [
    ("SoftMarginLoss", {}, {"reduction": "sum"}), ("MarginRankingLoss", {}, {"margin": 0.5, "reduction": "none"}),
    ("HingeEmbeddingLoss", {}, {"margin": 2.0}), ("CosineEmbeddingLoss", {}, {"margin": -0.5, "size_average": False}),
    ("GaussianNLLLoss", {}, {"full": True, "eps": 0.01}), ("PoissonNLLLoss", {}, {"log_input": False, "full": True}),
    ("TripletMarginLoss", {}, {"margin": 0.5, "p": 1.0, "swap": True}),
    ("MultiLabelSoftMarginLoss", {}, {"reduce": False}),
]


@pytest.mark.parametrize("name,defaults,kwargs", LOSS_MODULES, ids=[c[0] for c in LOSS_MODULES])
def test_more_loss_modules(torch, name, defaults, kwargs):
    rng = np.random.default_rng(5)
    x, y = rng.uniform(0.2, 2, (2, 4, 5))
    args = {"MarginRankingLoss": (x, y, np.sign(y - 1)), "CosineEmbeddingLoss": (x, y, np.sign(y[:, 0] - 1)),
            "GaussianNLLLoss": (x, y, y), "TripletMarginLoss": (x, y, x * y),
            "SoftMarginLoss": (x, np.sign(y - 1)), "HingeEmbeddingLoss": (x, np.sign(y - 1))}.get(name, (x, y))
    results = []
    for m in (fasttensor, torch):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # (the legacy arguments' warning)
            plain, configured = getattr(m.nn, name)(**defaults), getattr(m.nn, name)(**kwargs)
        tensors = [m.tensor(a, requires_grad=k == 0) for k, a in enumerate(args)]
        out = configured(*tensors)
        out.sum().backward()
        results.append((repr(plain), repr(configured), plain.reduction, configured.reduction, plain(*tensors), out,
                        tensors[0].grad, sorted(configured.state_dict())))
    compare_results(*results, rtol=1e-6, atol=1e-7)
    assert type(getattr(nn, name)()).__module__ == "fasttensor.nn.modules.loss"


def test_more_loss_modules_arguments(torch):
    for m in (fasttensor, torch):
        with pytest.raises(ValueError, match="TripletMarginLoss: expected margin to be greater than 0, got 0 instead"):
            m.nn.TripletMarginLoss(margin=0)
        with pytest.raises(TypeError):
            m.nn.GaussianNLLLoss(True)  # keyword-only arguments
        loss = m.nn.MultiLabelSoftMarginLoss(weight=m.tensor([1.0, 2.0]))
        assert list(loss.state_dict()) == ["weight"] and loss.weight.tolist() == [1.0, 2.0]
        module = m.nn.PoissonNLLLoss(False, True, None, 1e-3)
        assert (module.log_input, module.full, module.eps, module.reduction) == (False, True, 1e-3, "mean")
