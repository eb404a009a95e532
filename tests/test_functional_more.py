"""The nn.functional ops composed of tensor ops beyond the D2L core, and their
modules: pad (constant, reflect, replicate, circular), normalize,
cosine_similarity, pairwise_distance, the smaller activations (hardtanh ...
prelu), kl_div, embedding and layer_norm. Values against NumPy formulas,
values and gradients against torch, gradcheck in float64, the kinks whose
gradient PyTorch defines, module reprs and PyTorch's errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import fasttensor
from fasttensor import nn
from helpers import HAVE_TORCH, TORCH_IS_REFERENCE, check_op, ids, lib, raises_like, to_numpy, torch

F = ("float32", "float64")
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def fn_of(x):
    return lib(x).nn.functional


# --- pad ------------------------------------------------------------------------------------------


def np_pad(x, pad, mode="constant", value=0.0):
    """F.pad on NumPy: np.pad with the positive pads, then the negative ones crop (circular crops first and
    wraps around what is left, as PyTorch)."""
    n = len(pad) // 2
    widths = [(0, 0)] * (x.ndim - n) + [(pad[2 * k], pad[2 * k + 1]) for k in reversed(range(n))]
    if x.ndim == 0:
        return x.copy()
    crop = tuple(slice(max(-l, 0), s - max(-r, 0)) for (l, r), s in zip(widths, x.shape))
    grow = [(max(l, 0), max(r, 0)) for l, r in widths]
    if mode == "circular":
        return np.pad(x[crop], grow, mode="wrap")
    if mode == "constant":
        return np.pad(x[crop], grow, mode="constant", constant_values=value)
    padded = np.pad(x, grow, mode={"reflect": "reflect", "replicate": "edge"}[mode])
    return padded[tuple(slice(max(-l, 0), padded.shape[i] - max(-r, 0)) for i, (l, r) in enumerate(widths))]


CONSTANT_PADS = [((3, 4), (1, 2)), ((3, 4), (1, 2, 0, 3)), ((2, 3, 4), (1, 1, 1, 1, 1, 1)), ((3, 4), (-1, 2)),
                 ((2, 3, 5), (-2, -1, 2, -1)), ((3, 4), (-2, -2)), ((3, 4), (0, 0)), ((3, 4), ()), ((), ()),
                 ((5,), (3, 0)), ((2, 0, 3), (1, 1, 2, 0)), ((2, 3, 4, 5), (1, 0, 0, 2, 1, 1, 0, 1))]


@pytest.mark.parametrize("shape,pad", CONSTANT_PADS, ids=ids)
def test_pad_constant(shape, pad):
    check_op([shape], lambda x: fn_of(x).pad(x, pad, value=1.5), numpy_fn=lambda x: np_pad(x, pad, value=1.5),
             dtypes=F, layouts=("contiguous", "strided"))
    check_op([shape], lambda x: fn_of(x).pad(x, pad), numpy_fn=lambda x: np_pad(x, pad), dtypes=("int64",),
             grad=False)


def test_pad_constant_dtypes_and_copies():
    ints = fasttensor.tensor([1, 2, 3])
    out = nn.functional.pad(ints, (1, 1), value=2.7)  # the value takes the input's dtype, truncated
    assert out.dtype == fasttensor.int64 and out.tolist() == [2, 1, 2, 3, 2]
    assert nn.functional.pad(fasttensor.tensor([True, False]), (1, 1), value=1).tolist() == [True, True, False, True]
    x = fasttensor.ones(2, 3)
    for pad in [(0, 0), (-1, 0)]:  # never a view of the input, as PyTorch's
        out = nn.functional.pad(x, pad)
        out.add_(1)
        assert x.tolist() == [[1.0] * 3] * 2


NONCONSTANT_PADS = [((2, 5), (1, 2)), ((2, 3, 5), (4, 4)), ((2, 3, 5), (2, 1, 0, 2)), ((1, 2, 3, 4), (1, 2, 2, 1)),
                    ((2, 5), (-1, 2)), ((2, 3, 5), (-2, -1, 1, 2)), ((1, 2, 3, 4, 5), (1, 2, 2, 1, 1, 2)),
                    ((2, 3, 4, 5), (3, 0, -1, 2, 2, 2)), ((0, 3, 4), (1, 1))]


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("shape,pad", NONCONSTANT_PADS, ids=ids)
def test_pad_nonconstant(mode, shape, pad):
    # Repeated elements: their gradient is the sum of their copies' (index_select's backward).
    check_op([shape], lambda x: fn_of(x).pad(x, pad, mode=mode), numpy_fn=lambda x: np_pad(x, pad, mode),
             dtypes=F, layouts=("contiguous", "transposed"))
    check_op([shape], lambda x: fn_of(x).pad(x, pad, mode=mode, value=0.0), numpy_fn=lambda x: np_pad(x, pad, mode),
             dtypes=("int64",), grad=False)


LONG = "Padding length should be less than or equal to two times the input dimension but got padding length"
NOT_SUPPORTED = r"Padding size 6 is not supported for 3D input tensor.\nSupported combinations"
PAD_ERRORS = [
    ((2, 3), (1,), "constant", {}, RuntimeError, "Padding length must be divisible by 2"),
    ((2, 3), (1, 1, 1, 1, 1, 1), "constant", {}, RuntimeError, LONG + " 6 and input of dimension 2"),
    ((2, 3), (1, 1, 1, 1, 1, 1), "reflect", {}, RuntimeError, LONG + " 6 and input of dimension 2"),
    ((2, 4), (-5, 0), "constant", {}, RuntimeError, r"narrow\(\): length must be non-negative."),
    ((2, 4), (-2, -3), "constant", {}, RuntimeError, r"narrow\(\): length must be non-negative."),
    ((2, 4), (1, 1), "bogus", {}, NotImplementedError, "Unrecognised padding mode bogus"),
    ((2, 4), (1, 1), "reflect", {"value": 2.0}, RuntimeError, "Padding mode \"reflect\" doesn't take in value"),
    ((2, 4), (1, 1), "replicate", {"value": 1}, RuntimeError, "Padding mode \"replicate\" doesn't take in value"),
    ((2, 3, 4), (1, 1, 1, 1, 1, 1), "reflect", {}, NotImplementedError, NOT_SUPPORTED),
    ((2, 3, 4), (1, 1, 1, 1, 1, 1), "circular", {}, NotImplementedError, NOT_SUPPORTED),
    ((4,), (1, 1), "replicate", {}, NotImplementedError, "Padding size 2 is not supported for 1D input tensor"),
    ((2, 3, 4), (4, 1), "reflect", {}, RuntimeError,
     r"Argument #4: Padding size should be less than the corresponding input dimension, but got: padding \(4, 1\) "
     r"at dimension 2 of input \[2, 3, 4\]"),
    ((2, 3, 4), (0, 0, 3, 0), "reflect", {}, RuntimeError,
     r"Argument #6: Padding size should be less than the corresponding input dimension, but got: padding \(3, 0\) "
     r"at dimension 1 of input \[2, 3, 4\]"),
    ((2, 3, 4, 5), (0, 0, 0, 0, 3, 0), "reflect", {}, RuntimeError, r"Argument #8: .* padding \(3, 0\) at dimension 1"),
    ((3, 0, 4), (1, 1), "reflect", {}, RuntimeError,
     r"Expected 2D or 3D \(batch mode\) tensor with possibly 0 batch size and other non-zero dimensions for input, "
     r"but got: \[3, 0, 4\]"),
    ((0, 4), (1, 1), "replicate", {}, RuntimeError, r"Expected 2D or 3D \(batch mode\) .* but got: \[0, 4\]"),
    ((2, 3, 4), (-3, -2), "reflect", {}, RuntimeError, r"input \(W: 4\) is too small. Calculated output W: -1"),
    ((2, 3, 4), (-2, -2), "replicate", {}, RuntimeError, r"input \(W: 4\) is too small. Calculated output W: 0"),
    ((2, 3, 4), (0, 0, -3, -1), "replicate", {}, RuntimeError,
     r"Trying to create tensor with negative dimension -1: \[2, -1, 4\]"),
    ((2, 3), (4, 1), "circular", {}, RuntimeError, "Padding value causes wrapping around more than once."),
    ((2, 3, 4), (-3, -2), "circular", {}, RuntimeError, "Negative padding value is resulting in an empty dimension"),
]


@pytest.mark.parametrize("shape,pad,mode,kwargs,exc,match", PAD_ERRORS, ids=[str(i) for i in range(len(PAD_ERRORS))])
def test_pad_errors(shape, pad, mode, kwargs, exc, match):
    raises_like(lambda m: m.nn.functional.pad(m.zeros(shape), pad, mode=mode, **kwargs), exc, match)


def test_pad_argument_and_dtype_errors():
    x = fasttensor.zeros(2, 3)
    with pytest.raises(TypeError, match="must be tuple of ints, but found element of type float at pos 0"):
        nn.functional.pad(x, (1.5, 1))
    with pytest.raises(NotImplementedError, match="\"reflection_pad1d\" not implemented for 'Bool'"):
        nn.functional.pad(x.bool(), (1, 1), mode="reflect")
    assert nn.functional.pad(x.bool(), (1, 1), mode="circular").shape == (2, 5)
    with pytest.raises(RuntimeError, match="wrapping around more than once"):  # PyTorch reads past its input here
        nn.functional.pad(x, (-3, 1), mode="circular")


# --- normalize and distances ---------------------------------------------------------------------


def np_norm(x, p, axis, keepdims=False):
    if p == float("inf"):
        return np.abs(x).max(axis=axis, keepdims=keepdims)
    if p == 0:
        return (x != 0).sum(axis=axis, keepdims=keepdims).astype(x.dtype)
    return (np.abs(x) ** p).sum(axis=axis, keepdims=keepdims) ** (1 / p)


@pytest.mark.parametrize("shape,p,dim", [((3, 4), 2.0, 1), ((2, 3, 4), 1.0, -1), ((2, 3, 4), 3.0, 0),
                                         ((5,), 2.0, 0), ((2, 3), float("inf"), 1), ((2, 0, 3), 2.0, 1),
                                         ((2, 3, 4), 2.0, (1, 2))], ids=ids)
def test_normalize(shape, p, dim):
    check_op([shape], lambda x: fn_of(x).normalize(x, p=p, dim=dim),
             numpy_fn=lambda x: x / np.maximum(np_norm(x, p, dim, keepdims=True), 1e-12), dtypes=F,
             layouts=("contiguous", "transposed"))


def test_normalize_zero_rows_and_out():
    # A zero row divides by eps: 0, with a 0 gradient (the norm's gradient at 0 is 0, as PyTorch's).
    values = [np.array([[0.0, 0.0, 0.0], [3.0, 0.0, 4.0]])]
    check_op([(2, 3)], lambda x: fn_of(x).normalize(x), numpy_fn=lambda x: x / np.maximum(
        np.linalg.norm(x, axis=1, keepdims=True), 1e-12), values=values, dtypes=F, run_gradcheck=False)
    out = fasttensor.empty(2, 3)
    res = nn.functional.normalize(fasttensor.tensor(values[0], dtype=fasttensor.float32), out=out)
    assert res is out and out.tolist()[1] == pytest.approx([0.6, 0.0, 0.8])
    raises_like(lambda m: m.nn.functional.normalize(m.tensor([1, 2]), dim=0), RuntimeError,
                "linalg.vector_norm: Expected a floating point or complex tensor as input. Got Long")
    raises_like(lambda m: m.nn.functional.normalize(m.zeros(3)), IndexError, "Dimension out of range")


def np_cosine_similarity(x1, x2, dim=1, eps=1e-8):
    x1, x2 = np.broadcast_arrays(x1, x2)
    n1 = np.maximum(np.linalg.norm(x1, axis=dim, keepdims=True), eps)
    n2 = np.maximum(np.linalg.norm(x2, axis=dim, keepdims=True), eps)
    return ((x1 / n1) * (x2 / n2)).sum(axis=dim)


@pytest.mark.parametrize("s1,s2,dim", [((3, 4), (3, 4), 1), ((2, 3, 4), (3, 4), -1), ((4,), (2, 3, 4), 2),
                                       ((5,), (5,), 0), ((2, 1, 4), (1, 3, 4), 0), ((3, 0), (3, 0), 1)], ids=ids)
def test_cosine_similarity(s1, s2, dim):
    check_op([s1, s2], lambda a, b: fn_of(a).cosine_similarity(a, b, dim=dim),
             numpy_fn=lambda a, b: np_cosine_similarity(a, b, dim), dtypes=F, layouts=("contiguous", "strided"))


def test_cosine_similarity_mixed_dtypes():
    # float32 x1 with float64 x2: the result is float64, but x1 is normalised in float32 (as PyTorch does), so
    # against NumPy (all float64) it is good to float32's precision; against torch to float64's.
    check_op([(3, 4), (3, 4)], lambda a, b: fn_of(a).cosine_similarity(a, b), dtypes=[("float32", "float64")])
    x1 = np.random.default_rng(2).uniform(-2, 2, (3, 4)).astype(np.float32)
    x2 = np.random.default_rng(3).uniform(-2, 2, (3, 4))
    out = nn.functional.cosine_similarity(fasttensor.tensor(x1), fasttensor.tensor(x2))
    assert out.dtype == fasttensor.float64
    np.testing.assert_allclose(to_numpy(out), np_cosine_similarity(x1.astype(np.float64), x2), rtol=1e-6)


def test_cosine_similarity_tiny_norms_and_dtypes():
    # Norms under eps are clamped in the value only: the gradient still flows through the unclamped norm
    # (PyTorch 2.13 clamps in place under no_grad), so compare with torch there.
    values = [np.array([[1e-10, -2e-10, 0.0], [1.0, 2.0, 3.0]]), np.array([[1.0, 1.0, 1.0], [0.0, 0.0, 0.0]])]
    check_op([(2, 3), (2, 3)], lambda a, b: fn_of(a).cosine_similarity(a, b),
             numpy_fn=np_cosine_similarity, values=values, dtypes=F, run_gradcheck=False)
    ints = nn.functional.cosine_similarity(fasttensor.tensor([1, 2]), fasttensor.tensor([2.0, 4.0]), dim=0)
    assert ints.dtype == fasttensor.float32 and ints.item() == pytest.approx(1.0)
    raises_like(lambda m: m.nn.functional.cosine_similarity(m.tensor([1, 2]), m.tensor([1, 2]), dim=0), RuntimeError,
                "expected common dtype to be floating point, yet common dtype is Long")
    raises_like(lambda m: m.nn.functional.cosine_similarity(m.zeros(2, 3), m.zeros(4, 3)), RuntimeError,
                r"The size of tensor a \(2\) must match the size of tensor b \(4\) at non-singleton dimension 0")
    raises_like(lambda m: m.nn.functional.cosine_similarity(m.zeros(3), m.zeros(3)), IndexError,
                "Dimension out of range")


@pytest.mark.parametrize("s1,s2,p,keepdim", [((3, 4), (3, 4), 2.0, False), ((2, 3, 4), (3, 4), 1.0, True),
                                             ((4,), (2, 4), 3.0, False), ((3, 4), (3, 4), float("inf"), False),
                                             ((), (), 2.0, False), ((0, 4), (0, 4), 2.0, True)], ids=ids)
def test_pairwise_distance(s1, s2, p, keepdim):
    check_op([s1, s2], lambda a, b: fn_of(a).pairwise_distance(a, b, p=p, keepdim=keepdim),
             numpy_fn=lambda a, b: np_norm(np.atleast_1d(a - b + 1e-6), p, -1, keepdim).reshape(
                 np.broadcast_shapes(a.shape, b.shape)[:-1] + ((1,) if keepdim else ()) if a.ndim or b.ndim else ()),
             dtypes=F)


def test_pairwise_distance_integers():
    out = nn.functional.pairwise_distance(fasttensor.tensor([[1, 2]]), fasttensor.tensor([[4, 6]]))
    assert out.dtype == fasttensor.float32 and out.tolist() == pytest.approx([5.0], rel=1e-5)


# --- activations ---------------------------------------------------------------------------------


def np_softmax(x):
    """softmax along the last dim (a 0-d input is its own single-element row)."""
    if x.ndim == 0 or x.size == 0:
        return np.exp(x - x)
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


ACTIVATIONS = [
    ("hardtanh", lambda x: fn_of(x).hardtanh(x), lambda x: np.clip(x, -1, 1)),
    ("hardtanh_bounds", lambda x: fn_of(x).hardtanh(x, -2.0, 0.5), lambda x: np.clip(x, -2, 0.5)),
    ("relu6", lambda x: fn_of(x).relu6(x), lambda x: np.clip(x, 0, 6)),
    ("logsigmoid", lambda x: fn_of(x).logsigmoid(x), lambda x: -np.logaddexp(0, -x)),
    ("softsign", lambda x: fn_of(x).softsign(x), lambda x: x / (1 + np.abs(x))),
    ("hardsigmoid", lambda x: fn_of(x).hardsigmoid(x), lambda x: np.clip(x / 6 + 0.5, 0, 1)),
    ("hardswish", lambda x: fn_of(x).hardswish(x), lambda x: x * np.clip(x + 3, 0, 6) / 6),
    ("mish", lambda x: fn_of(x).mish(x), lambda x: x * np.tanh(np.logaddexp(0, x))),
    ("selu", lambda x: fn_of(x).selu(x),
     lambda x: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(np.minimum(x, 0)))),
    ("threshold", lambda x: fn_of(x).threshold(x, 0.5, -2.0), lambda x: np.where(x > 0.5, x, -2.0)),
    ("tanhshrink", lambda x: fn_of(x).tanhshrink(x), lambda x: x - np.tanh(x)),
    ("softmin", lambda x: fn_of(x).softmin(x, dim=-1), lambda x: np_softmax(-x)),
]


@pytest.mark.parametrize("name,fn,ref", ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
@pytest.mark.parametrize("shape", [(3, 5), (), (0,), (17,)], ids=ids)
def test_activation(name, fn, ref, shape):
    check_op([shape], fn, numpy_fn=ref, dtypes=F, low=-8, high=8, layouts=("contiguous", "transposed"))


KINKS = np.array([-1e4, -100.0, -30.0, -6.0, -3.0, -2.0, -1.0, -1e-3, 0.0, 1e-3, 0.5, 1.0, 3.0, 6.0, 30.0, 100.0,
                  1e4], np.float32)


@pytest.mark.parametrize("name,fn,ref", ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
def test_activation_kinks_and_extremes(name, fn, ref):
    # At the kinks (±1, 0, 6, ±3, the threshold) the gradient is the one PyTorch's backward defines, and
    # large inputs leak no inf / nan from the branch not taken.
    check_op([KINKS.shape], fn, numpy_fn=ref, values=[KINKS], dtypes=F, run_gradcheck=False)
    x = fasttensor.tensor(KINKS, requires_grad=True)
    fn(x).sum().backward()
    assert bool(x.grad.isfinite().all()), x.grad


def grad_at(fn, values):
    x = fasttensor.tensor(values, requires_grad=True)
    fn(x).sum().backward()
    return x.grad.tolist()


def test_activation_gradients_at_kinks_without_torch():
    Fn = nn.functional
    assert grad_at(Fn.hardtanh, [-1.0, 0.0, 1.0]) == [0.0, 1.0, 0.0]
    assert grad_at(Fn.relu6, [0.0, 3.0, 6.0]) == [0.0, 1.0, 0.0]
    assert grad_at(Fn.hardsigmoid, [-3.0, 0.0, 3.0]) == pytest.approx([0.0, 1 / 6, 0.0])
    assert grad_at(Fn.hardswish, [-3.0, 0.0, 3.0]) == pytest.approx([0.0, 0.5, 1.0])
    assert grad_at(Fn.logsigmoid, [0.0]) == [0.5]
    assert grad_at(lambda t: Fn.threshold(t, 1.0, 5.0), [1.0, 2.0]) == [0.0, 1.0]
    assert grad_at(Fn.selu, [0.0]) == pytest.approx([SELU_ALPHA * SELU_SCALE])


def test_activations_on_integers_and_nan():
    Fn = nn.functional
    ints = fasttensor.tensor([-7, 0, 2, 9])
    for fn, expected in ((Fn.hardtanh, [-1, 0, 1, 1]), (Fn.relu6, [0, 0, 2, 6]),
                         (lambda t: Fn.threshold(t, 1, 0.5), [0, 0, 2, 9])):
        out = fn(ints)
        assert out.dtype == fasttensor.int64 and out.tolist() == expected
    for fn in (Fn.softsign, Fn.tanhshrink):
        assert fn(ints).dtype == fasttensor.float32
    for name, kernel in (("logsigmoid", "log_sigmoid_cpu"), ("hardsigmoid", "hardsigmoid_cpu"),
                         ("hardswish", "hardswish_cpu"), ("mish", "mish_cpu"), ("selu", "elu_cpu"),
                         ("glu", "glu_cpu")):
        raises_like(lambda m: getattr(m.nn.functional, name)(m.tensor([-7, 0, 2, 9])), NotImplementedError,
                    f"\"{kernel}\" not implemented for 'Long'")
    nan = fasttensor.tensor([float("nan")])
    for fn in (Fn.hardtanh, Fn.relu6, Fn.hardsigmoid, Fn.hardswish, lambda t: Fn.threshold(t, 0.0, 1.0)):
        assert bool(fn(nan).isnan().all())


def test_activation_argument_errors():
    raises_like(lambda m: m.nn.functional.hardtanh(m.zeros(2), 2.0, 1.0), ValueError,
                "min_val cannot be greater than max_val")


def test_softmin_implicit_dim_and_dtype():
    x = np.random.default_rng(0).uniform(-2, 2, (3, 4)).astype(np.float32)
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmin has been deprecated"):
        out = nn.functional.softmin(fasttensor.tensor(x))
    e = np.exp(-x)
    np.testing.assert_allclose(to_numpy(out), e / e.sum(1, keepdims=True), rtol=1e-5)
    out64 = nn.functional.softmin(fasttensor.tensor(x), 0, dtype=fasttensor.float64)
    assert out64.dtype == fasttensor.float64
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmin"):
        nn.Softmin()(fasttensor.tensor(x))


@pytest.mark.parametrize("shape,dim", [((3, 4), -1), ((4, 3), 0), ((2, 6, 3), 1), ((2,), 0), ((2, 0), -1)], ids=ids)
def test_glu(shape, dim):
    def ref(x):
        a, b = np.split(x, 2, axis=dim)
        return a / (1 + np.exp(-b))
    check_op([shape], lambda x: fn_of(x).glu(x, dim), numpy_fn=ref, dtypes=F, layouts=("contiguous", "transposed"))


def test_glu_errors():
    raises_like(lambda m: m.nn.functional.glu(m.zeros(3)), RuntimeError,
                "Halving dimension must be even, but dimension 0 is size 3")
    raises_like(lambda m: m.nn.functional.glu(m.tensor(3.0)), RuntimeError,
                "glu does not support scalars because halving size must be even")
    raises_like(lambda m: m.nn.functional.glu(m.zeros(2, 4), 2), IndexError, "Dimension out of range")


@pytest.mark.parametrize("x_shape,w_shape", [((3, 4), (4,)), ((3, 4), (1,)), ((2, 3, 5), (3,)), ((5,), (1,)),
                                             ((), (1,)), ((), ()), ((2, 3, 2, 2), (3,))], ids=ids)
def test_prelu(x_shape, w_shape):
    def ref(x, w):
        w = w.reshape([1] * x.ndim if w.size == 1 else [1, -1] + [1] * (x.ndim - 2))
        return np.where(x > 0, x, w * x)
    check_op([x_shape, w_shape], lambda x, w: fn_of(x).prelu(x, w), numpy_fn=ref, dtypes=F)


def test_prelu_errors():
    raises_like(lambda m: m.nn.functional.prelu(m.zeros(2, 3), m.zeros(2)), RuntimeError,
                "Mismatch of parameter numbers and input channel size. Found parameter numbers = 2 and channel "
                "size = 3.")
    raises_like(lambda m: m.nn.functional.prelu(m.zeros(2, 3), m.zeros(3, dtype=m.float64)), RuntimeError,
                "prelu: Type promoting not supported. Got Float and Double")
    raises_like(lambda m: m.nn.functional.prelu(m.zeros(2, 3), m.zeros(1, 1)), RuntimeError,
                r"prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = 2")
    raises_like(lambda m: m.nn.functional.prelu(m.tensor(2.0), m.zeros(3)), RuntimeError,
                "Not allow zero-dim input tensor.")


def test_prelu_module_trains_its_slopes():
    module = nn.PReLU(3, init=0.1)
    assert module.weight.tolist() == pytest.approx([0.1] * 3) and module.weight.requires_grad
    x = np.random.default_rng(1).uniform(-2, 2, (4, 3, 2)).astype(np.float32)
    module(fasttensor.tensor(x)).sum().backward()
    # d/da of a*x where x <= 0, summed over the batch and spatial positions
    np.testing.assert_allclose(to_numpy(module.weight.grad), np.where(x > 0, 0, x).sum(axis=(0, 2)), rtol=1e-5)
    if HAVE_TORCH:
        t = torch.nn.PReLU(3, init=0.1)
        t(torch.tensor(x)).sum().backward()
        np.testing.assert_allclose(to_numpy(module.weight.grad), t.weight.grad.numpy(), rtol=1e-5, atol=1e-6)


MODULES = [
    (lambda m: m.Hardtanh(), "Hardtanh(min_val=-1.0, max_val=1.0)"),
    (lambda m: m.Hardtanh(-2, 3.5, True), "Hardtanh(min_val=-2, max_val=3.5, inplace=True)"),
    (lambda m: m.ReLU6(), "ReLU6()"), (lambda m: m.ReLU6(True), "ReLU6(inplace=True)"),
    (lambda m: m.LogSigmoid(), "LogSigmoid()"), (lambda m: m.Softsign(), "Softsign()"),
    (lambda m: m.Softmin(), "Softmin(dim=None)"), (lambda m: m.Softmin(1), "Softmin(dim=1)"),
    (lambda m: m.Hardsigmoid(), "Hardsigmoid()"), (lambda m: m.Hardsigmoid(True), "Hardsigmoid()"),
    (lambda m: m.Hardswish(), "Hardswish()"), (lambda m: m.Mish(), "Mish()"),
    (lambda m: m.Mish(True), "Mish(inplace=True)"), (lambda m: m.SELU(), "SELU()"),
    (lambda m: m.SELU(True), "SELU(inplace=True)"),
    (lambda m: m.Threshold(0.1, 20), "Threshold(threshold=0.1, value=20)"),
    (lambda m: m.Threshold(1, 2, True), "Threshold(threshold=1, value=2, inplace=True)"),
    (lambda m: m.GLU(), "GLU(dim=-1)"), (lambda m: m.GLU(0), "GLU(dim=0)"), (lambda m: m.Tanhshrink(), "Tanhshrink()"),
    (lambda m: m.PReLU(), "PReLU(num_parameters=1)"), (lambda m: m.PReLU(3, 0.1), "PReLU(num_parameters=3)"),
    (lambda m: m.KLDivLoss(), "KLDivLoss()"),
    (lambda m: m.Embedding(10, 3), "Embedding(10, 3)"),
    (lambda m: m.Embedding(10, 3, padding_idx=-1, max_norm=1.0, norm_type=1.0, scale_grad_by_freq=True, sparse=True),
     "Embedding(10, 3, padding_idx=9, max_norm=1.0, norm_type=1.0, scale_grad_by_freq=True, sparse=True)"),
    (lambda m: m.LayerNorm(5), "LayerNorm((5,), eps=1e-05, elementwise_affine=True, bias=True)"),
    (lambda m: m.LayerNorm([2, 3], eps=1e-3, elementwise_affine=False),
     "LayerNorm((2, 3), eps=0.001, elementwise_affine=False, bias=False)"),
    (lambda m: m.LayerNorm(4, bias=False), "LayerNorm((4,), eps=1e-05, elementwise_affine=True, bias=False)"),
]


@pytest.mark.parametrize("make,expected", MODULES, ids=[m[1] for m in MODULES])
def test_module_repr_and_state(make, expected):
    module = make(nn)
    assert repr(module) == expected
    if HAVE_TORCH:
        reference = make(torch.nn)
        assert repr(module) == repr(reference)
        ours = {k: (tuple(v.shape), str(v.dtype).split(".")[-1]) for k, v in module.state_dict().items()}
        theirs = {k: (tuple(v.shape), str(v.dtype).split(".")[-1]) for k, v in reference.state_dict().items()}
        assert ours == theirs


def test_activation_modules_call_functional():
    x = fasttensor.tensor([[-4.0, -0.5, 0.25, 2.0], [5.0, 7.0, -3.0, 3.0]])
    Fn = nn.functional
    for module, functional in ((nn.Hardtanh(-2.0, 2.0), lambda t: Fn.hardtanh(t, -2.0, 2.0)), (nn.ReLU6(), Fn.relu6),
                               (nn.LogSigmoid(), Fn.logsigmoid), (nn.Softsign(), Fn.softsign),
                               (nn.Softmin(1), lambda t: Fn.softmin(t, 1)), (nn.Hardsigmoid(), Fn.hardsigmoid),
                               (nn.Hardswish(), Fn.hardswish), (nn.Mish(), Fn.mish), (nn.SELU(), Fn.selu),
                               (nn.Threshold(0.3, -1.0), lambda t: Fn.threshold(t, 0.3, -1.0)),
                               (nn.GLU(), Fn.glu), (nn.Tanhshrink(), Fn.tanhshrink)):
        assert module(x).tolist() == functional(x).tolist()
    with pytest.warns(FutureWarning, match="`min_value` is deprecated"):
        assert nn.Hardtanh(min_value=-0.5).min_val == -0.5
    with pytest.raises(AssertionError, match=r"max_val \(1.0\) must be greater than min_val \(2\)"):
        nn.Hardtanh(2)


# --- kl_div --------------------------------------------------------------------------------------


def np_kl_div(log_q, p, reduction, log_target=False):
    if log_target:
        loss = np.exp(p) * (p - log_q)
    else:
        loss = np.where(p == 0, 0.0, p * np.log(np.where(p == 0, 1.0, p))) - p * log_q
    if reduction == "batchmean":
        return loss.sum() / (log_q.shape[0] if log_q.ndim else 1)
    return {"mean": np.mean, "sum": np.sum, "none": lambda v: v}[reduction](loss)


@pytest.mark.parametrize("reduction", ["batchmean", "sum", "none", "mean"])
@pytest.mark.parametrize("log_target", [False, True])
@pytest.mark.parametrize("shape", [(4, 5), (3,), (), (2, 3, 4)], ids=ids)
def test_kl_div(reduction, log_target, shape):
    rng = np.random.default_rng(3)
    log_q = np.log(rng.uniform(0.05, 1.0, shape))
    target = np.log(rng.uniform(0.05, 1.0, shape)) if log_target else rng.uniform(0.05, 1.0, shape)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # Both inputs require grad: the target's gradient is compared too (positive targets).
        check_op([shape, shape], lambda a, b: fn_of(a).kl_div(a, b, reduction=reduction, log_target=log_target),
                 numpy_fn=lambda a, b: np_kl_div(a, b, reduction, log_target), values=[log_q, target], dtypes=F)


def test_kl_div_zero_targets_and_broadcasting():
    # target 0 contributes 0 (xlogy), and input's gradient there is -target = 0.
    log_q = np.log(np.array([[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]]))
    target = np.array([[0.0, 0.5, 0.5], [1.0, 0.0, 0.0]])
    check_op([(2, 3), (2, 3)], lambda a, b: fn_of(a).kl_div(a, b.detach(), reduction="batchmean"),
             numpy_fn=lambda a, b: np_kl_div(a, b, "batchmean"), values=[log_q, target], dtypes=F, run_gradcheck=False)
    check_op([(2, 3), (3,)], lambda a, b: fn_of(a).kl_div(a, b, reduction="none"),
             numpy_fn=lambda a, b: np_kl_div(a, b, "none"), values=[log_q, target[0] + 0.1], dtypes=F)


def test_kl_div_warnings_and_errors():
    x, t = fasttensor.zeros(2, 3), fasttensor.full((2, 3), 0.5)
    message = ("reduction: 'mean' divides the total loss by both the batch size and the support size."
               "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
               "'mean' will be changed to behave the same as 'batchmean' in the next major release.")
    with pytest.warns(UserWarning) as record:
        nn.functional.kl_div(x, t)
    assert [str(w.message) for w in record] == [message]
    if HAVE_TORCH:
        with pytest.warns(UserWarning) as record:
            torch.nn.functional.kl_div(torch.zeros(2, 3), torch.full((2, 3), 0.5))
        assert [str(w.message) for w in record] == [message]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nn.functional.kl_div(x, t, reduction="batchmean")
        nn.KLDivLoss(reduction="sum")(x, t)
    with pytest.warns(UserWarning, match="reduction: 'mean' divides"):
        nn.KLDivLoss()(x, t)
    with pytest.warns(UserWarning, match="please use reduction='sum' instead"):
        legacy = nn.functional.kl_div(x, t, size_average=False)
    assert legacy.item() == pytest.approx(6 * 0.5 * np.log(0.5))
    raises_like(lambda m: m.nn.functional.kl_div(m.zeros(2), m.zeros(2), reduction="bogus"), ValueError,
                "bogus is not a valid value for reduction")
    raises_like(lambda m: m.nn.functional.kl_div(m.zeros(2), m.tensor([0, 1]), reduction="sum"), RuntimeError,
                "kl_div: Integral inputs not supported.")
    assert nn.functional.kl_div(fasttensor.tensor(-1.0), fasttensor.tensor(0.5), reduction="batchmean").item() == \
        pytest.approx(0.5 * (np.log(0.5) + 1))


def test_kl_div_module():
    rng = np.random.default_rng(4)
    log_q = fasttensor.tensor(np.log(rng.dirichlet(np.ones(4), 3)), requires_grad=True)
    p = fasttensor.tensor(rng.dirichlet(np.ones(4), 3))
    loss = nn.KLDivLoss(reduction="batchmean")(log_q, p)
    loss.backward()
    np.testing.assert_allclose(to_numpy(log_q.grad), -to_numpy(p) / 3, rtol=1e-12)
    module = nn.KLDivLoss(reduction="sum", log_target=True)
    assert module(log_q, p.log()).item() == pytest.approx(nn.functional.kl_div(log_q, p, reduction="sum").item())


# --- embedding -----------------------------------------------------------------------------------

INDICES = np.array([[1, 2, 1, 5], [0, 5, 5, 1]])


@pytest.mark.parametrize("kwargs", [{}, {"padding_idx": 1}, {"padding_idx": -1}, {"scale_grad_by_freq": True},
                                    {"padding_idx": 5, "scale_grad_by_freq": True}], ids=ids)
@pytest.mark.parametrize("index_dtype", ["int64", "int32"])
def test_embedding(kwargs, index_dtype):
    def ref(w, i):
        return w[i]
    rng = np.random.default_rng(5)
    # gradcheck only without padding_idx / scale_grad_by_freq: both deliberately differ from the true gradient
    # (the padding row's is 0, repeated rows' are divided by their count), so torch's gradients are the reference.
    check_op([(6, 3), INDICES.shape], lambda w, i: fn_of(w).embedding(i, w, **kwargs), numpy_fn=ref,
             values=[rng.normal(size=(6, 3)), INDICES], dtypes=[("float32", index_dtype), ("float64", index_dtype)],
             run_gradcheck=not kwargs)


def test_embedding_gradient_rows_without_torch():
    weight = fasttensor.ones(4, 2, requires_grad=True)
    out = nn.functional.embedding(fasttensor.tensor([[0, 2], [2, 3]]), weight, padding_idx=3)
    assert out.shape == (2, 2, 2)
    out.sum().backward()
    assert weight.grad.tolist() == [[1.0, 1.0], [0.0, 0.0], [2.0, 2.0], [0.0, 0.0]]  # repeats add; padding gets 0
    weight.grad = None
    nn.functional.embedding(fasttensor.tensor([2, 2, 0]), weight, scale_grad_by_freq=True).sum().backward()
    assert weight.grad.tolist() == [[1.0, 1.0], [0.0, 0.0], [1.0, 1.0], [0.0, 0.0]]


@pytest.mark.parametrize("norm_type", [2.0, 1.0])
def test_embedding_max_norm_renormalises_rows_in_place(norm_type):
    rng = np.random.default_rng(6)
    w = rng.normal(size=(5, 3)).astype(np.float32) * 2
    idx = np.array([[0, 2], [2, 4]])
    weight = fasttensor.tensor(w, requires_grad=True)
    out = nn.functional.embedding(fasttensor.tensor(idx), weight, max_norm=1.0, norm_type=norm_type)
    expected = w.copy()
    for row in np.unique(idx):
        norm = np_norm(w[row], norm_type, 0)
        if norm > 1.0:
            expected[row] = w[row] * (1.0 / (norm + 1e-7))
    np.testing.assert_allclose(to_numpy(weight), expected, rtol=1e-6)  # only the rows looked up change
    np.testing.assert_allclose(to_numpy(out), expected[idx], rtol=1e-6)
    if HAVE_TORCH:
        t_weight = torch.tensor(w, requires_grad=True)
        t_out = torch.nn.functional.embedding(torch.tensor(idx), t_weight, max_norm=1.0, norm_type=norm_type)
        np.testing.assert_allclose(to_numpy(weight), t_weight.detach().numpy(), rtol=1e-6)
        np.testing.assert_allclose(to_numpy(out), t_out.detach().numpy(), rtol=1e-6)


def test_embedding_errors():
    raises_like(lambda m: m.nn.functional.embedding(m.tensor([1, 5]), m.zeros(5, 3)), IndexError,
                "index out of range in self")
    raises_like(lambda m: m.nn.functional.embedding(m.tensor([1, -1]), m.zeros(5, 3)), IndexError,
                "index out of range in self")
    raises_like(lambda m: m.nn.functional.embedding(m.tensor([1.0]), m.zeros(5, 3)), RuntimeError,
                "Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int; "
                "but got")
    raises_like(lambda m: m.nn.functional.embedding(m.tensor([1]), m.zeros(5)), RuntimeError, "'weight' must be 2-D")
    raises_like(lambda m: m.nn.functional.embedding(m.tensor([1]), m.zeros(5, 3), padding_idx=5), AssertionError,
                "Padding_idx must be within num_embeddings")
    raises_like(lambda m: m.nn.Embedding(5, 3, padding_idx=-6), AssertionError,
                "Padding_idx must be within num_embeddings")
    with pytest.raises(NotImplementedError, match="sparse"):
        nn.Embedding(5, 3, sparse=True)(fasttensor.tensor([1]))


def test_embedding_module():
    fasttensor.manual_seed(0)
    module = nn.Embedding(1000, 50, padding_idx=3)
    w = to_numpy(module.weight)
    assert module.weight.shape == (1000, 50) and module.weight.requires_grad
    assert (w[3] == 0).all()  # the padding row starts at zero
    others = np.delete(w, 3, axis=0)
    assert abs(others.mean()) < 0.01 and abs(others.std() - 1.0) < 0.01  # N(0, 1)
    out = module(fasttensor.tensor([[3, 7]]))
    assert out.shape == (1, 2, 50) and (to_numpy(out)[0, 0] == 0).all()
    out.sum().backward()
    assert (to_numpy(module.weight.grad)[3] == 0).all() and (to_numpy(module.weight.grad)[7] == 1).all()
    table = fasttensor.tensor([[1.0, 2.0], [3.0, 4.0]])
    frozen = nn.Embedding.from_pretrained(table)
    assert not frozen.weight.requires_grad and frozen(fasttensor.tensor([1])).tolist() == [[3.0, 4.0]]
    assert nn.Embedding.from_pretrained(table, freeze=False).weight.requires_grad
    with pytest.raises(AssertionError, match="Shape of weight does not match"):
        nn.Embedding(3, 2, _weight=table)


# --- layer_norm ----------------------------------------------------------------------------------


def np_layer_norm(x, n, weight=None, bias=None, eps=1e-5):
    axes = tuple(range(x.ndim - n, x.ndim))
    mean = x.mean(axis=axes, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
    out = (x - mean) / np.sqrt(var + eps)
    return out * (1 if weight is None else weight) + (0 if bias is None else bias)


@pytest.mark.parametrize("shape,normalized", [((4, 5), (5,)), ((2, 3, 4), (3, 4)), ((7,), (7,)), ((0, 3), (3,)),
                                              ((2, 3, 4), (4,))], ids=ids)
def test_layer_norm(shape, normalized):
    n = len(normalized)
    check_op([shape], lambda x: fn_of(x).layer_norm(x, normalized), numpy_fn=lambda x: np_layer_norm(x, n),
             dtypes=F, layouts=("contiguous", "transposed"), grad_rtol=1e-4, grad_atol=1e-5)
    check_op([shape, normalized, normalized], lambda x, w, b: fn_of(x).layer_norm(x, normalized, w, b, eps=1e-3),
             numpy_fn=lambda x, w, b: np_layer_norm(x, n, w, b, eps=1e-3), dtypes=F, grad_rtol=1e-4, grad_atol=1e-5)


def test_layer_norm_errors():
    raises_like(lambda m: m.nn.functional.layer_norm(m.zeros(2, 3), (5,)), RuntimeError,
                r"Given normalized_shape=\[5\], expected input with shape \[\*, 5\], but got input of size\[2, 3\]")
    raises_like(lambda m: m.nn.functional.layer_norm(m.zeros(2, 3), (2, 3, 4)), RuntimeError,
                r"Given normalized_shape=\[2, 3, 4\], expected input with shape \[\*, 2, 3, 4\]")
    raises_like(lambda m: m.nn.functional.layer_norm(m.zeros(2, 3), 3), TypeError,
                "argument 'normalized_shape' \\(position 2\\) must be tuple of ints, not int")
    raises_like(lambda m: m.nn.functional.layer_norm(m.zeros(2, 3), [3], weight=m.ones(4)), RuntimeError,
                r"Expected weight to be of same shape as normalized_shape, but got weight of shape \[4\] and "
                r"normalized_shape = \[3\]")
    raises_like(lambda m: m.nn.functional.layer_norm(m.zeros(2, 3), [3], bias=m.ones(4)), RuntimeError,
                r"Expected bias to be of same shape as normalized_shape")
    raises_like(lambda m: m.nn.functional.layer_norm(m.zeros(2, 3), []), RuntimeError,
                "Expected normalized_shape to be at least 1-dimensional")
    raises_like(lambda m: m.nn.functional.layer_norm(m.zeros(2, 3, dtype=m.int64), [3]), NotImplementedError,
                "\"LayerNormKernelImpl\" not implemented for 'Long'")


def test_layer_norm_module():
    module = nn.LayerNorm(4)
    assert module.weight.tolist() == [1.0] * 4 and module.bias.tolist() == [0.0] * 4
    x = np.random.default_rng(7).normal(size=(3, 4)).astype(np.float32)
    out = module(fasttensor.tensor(x))
    np.testing.assert_allclose(to_numpy(out), np_layer_norm(x.astype(np.float64), 1), rtol=1e-5, atol=1e-6)
    (out * fasttensor.tensor(x)).sum().backward()
    assert module.weight.grad.shape == (4,) and module.bias.grad.shape == (4,)
    np.testing.assert_allclose(to_numpy(module.bias.grad), x.sum(0), rtol=1e-5, atol=1e-6)
    plain = nn.LayerNorm([4], elementwise_affine=False)
    assert list(plain.parameters()) == [] and plain(fasttensor.tensor(x)).tolist() == \
        nn.functional.layer_norm(fasttensor.tensor(x), (4,)).tolist()
