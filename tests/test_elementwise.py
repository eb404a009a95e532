"""Elementwise ops (csrc/ops/elementwise.cpp): arithmetic with tensors and
Python scalars, unary math, comparisons, logic, where, clamp, in-place forms,
broadcasting, dtype promotion and the sizes that take each kernel path."""

from __future__ import annotations

import itertools
import math
import operator

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import fasttensor
import helpers
from helpers import HAVE_TORCH, assert_close, check_op, dtype_name, ids, lib

F = ("float32", "float64")

# --- binary arithmetic ------------------------------------------------------------

BINARY = [
    ("add", operator.add, np.add),
    ("sub", operator.sub, np.subtract),
    ("mul", operator.mul, np.multiply),
    ("truediv", operator.truediv, np.true_divide),
]


@pytest.mark.parametrize("name,op,ref", BINARY, ids=[b[0] for b in BINARY])
@pytest.mark.parametrize("shapes", [
    [(3, 4), (3, 4)], [(3, 4), (4,)], [(4,), (3, 4)], [(3, 1), (1, 4)], [(2, 1, 5), (3, 1)],
    [(), (3, 4)], [(3, 4), ()], [(), ()], [(0, 3), (3,)], [(1,), (7,)], [(5, 0), (5, 1)],
], ids=ids)
def test_binary_broadcasting(name, op, ref, shapes):
    check_op(shapes, op, numpy_fn=ref, dtypes=F, low=0.5, high=3.0)


@settings(max_examples=40, deadline=None)
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, min_side=0, max_side=5),
       op_index=st.integers(0, len(BINARY) - 1))
def test_binary_broadcasting_property(shapes, op_index):
    # Any pair of broadcastable shapes (size-0 and size-1 dims included), values and gradients.
    _, op, ref = BINARY[op_index]
    check_op(list(shapes.input_shapes), op, numpy_fn=ref, low=0.5, high=3.0, run_gradcheck=False)


@pytest.mark.parametrize("name,op,ref", BINARY, ids=[b[0] for b in BINARY])
@pytest.mark.parametrize("layout", ["transposed", "strided"])
def test_binary_noncontiguous(name, op, ref, layout):
    check_op([(5, 7), (5, 7)], op, numpy_fn=ref, layouts=[layout], low=0.5, high=3.0)
    check_op([(5, 7), (7,)], op, numpy_fn=ref, layouts=[layout], low=0.5, high=3.0)


@pytest.mark.parametrize("name,op,ref", BINARY, ids=[b[0] for b in BINARY])
@pytest.mark.parametrize("scalar", [2, 2.5, -0.75, 0.1, True])
def test_binary_python_scalar_both_sides(name, op, ref, scalar):
    if name == "sub" and scalar is True:
        for module in (fasttensor,):  # PyTorch refuses bool subtraction
            with pytest.raises(RuntimeError, match="Subtraction, the `-` operator, with a bool tensor"):
                module.ones(3) - True
        return
    check_op([(3, 5), scalar], op, numpy_fn=ref, dtypes=F + ("int64", "int32"), low=1, high=5)
    check_op([scalar, (3, 5)], op, numpy_fn=ref, dtypes=F + ("int64", "int32"), low=1, high=5)


def test_python_float_keeps_double_precision_on_float64():
    # A Python float is a double: float64 tensors must see all its digits.
    x = fasttensor.zeros(3, dtype=fasttensor.float64)
    assert (x + 0.1)[0].item() == 0.1
    assert (0.1 * (x + 1))[0].item() == 0.1
    assert (x - 1e-9)[0].item() == -1e-9
    assert fasttensor.full((2,), 0.1, dtype=fasttensor.float64)[0].item() == 0.1


def test_rsub_rdiv_values():
    x = fasttensor.tensor([1.0, 2.0, 4.0])
    np.testing.assert_array_equal((10 - x).numpy(), [9.0, 8.0, 6.0])
    np.testing.assert_allclose((1 / x).numpy(), [1.0, 0.5, 0.25])
    np.testing.assert_array_equal((2 ** x).numpy(), [2.0, 4.0, 16.0])


@pytest.mark.parametrize("shapes", [[(3, 4), (3, 4)], [(3, 4), (4,)], [(2, 1), (1, 3)], [(), (4,)]], ids=ids)
def test_pow_tensor_tensor(shapes):
    check_op(shapes, operator.pow, numpy_fn=np.power, dtypes=F, low=0.5, high=2.0)


@pytest.mark.parametrize("exponent", [2, 3, 0.5, -1, -2.5, 0, 1])
def test_pow_scalar_exponent(exponent):
    check_op([(4, 5), exponent], operator.pow, numpy_fn=np.power, dtypes=F, low=0.5, high=2.0)


@pytest.mark.parametrize("base", [2, 0.5, 3.0])
def test_pow_scalar_base(base):
    check_op([base, (4, 5)], operator.pow, numpy_fn=np.power, dtypes=F, low=-2.0, high=2.0)


def test_pow_integer():
    check_op([(4, 5), 2], operator.pow, numpy_fn=np.power, dtypes=("int64", "int32"), low=-5, high=5)
    check_op([(4, 5), (4, 5)], operator.pow, numpy_fn=np.power, dtypes=("int64",), low=0, high=4)


def test_pow_method_and_function():
    check_op([(3, 4), (3, 4)], lambda x, y: x.pow(y), numpy_fn=np.power, dtypes=F, low=0.5, high=2.0)
    check_op([(3, 4)], lambda x: lib(x).pow(x, 3), numpy_fn=lambda x: x ** 3, dtypes=F)


def _np_floor_divide(a, b):
    return np.floor_divide(a, b)


@pytest.mark.parametrize("shapes", [[(4, 6), (4, 6)], [(4, 6), (6,)], [(4, 6), 3], [(4, 6), -2.5], [7, (4, 6)]],
                         ids=ids)
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int32"])
def test_floor_divide(shapes, dtype):
    # Signs on both sides, and no zero divisors (integer // 0 raises: see test_errors).
    check_op(shapes, operator.floordiv, numpy_fn=_np_floor_divide, dtypes=[dtype], grad=False, low=1, high=9,
             values=_signed_nonzero(shapes, dtype))


@pytest.mark.parametrize("shapes", [[(4, 6), (4, 6)], [(4, 6), (6,)], [(4, 6), 3], [(4, 6), -2.5], [7, (4, 6)]],
                         ids=ids)
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int32"])
def test_remainder(shapes, dtype):
    # Python's (and PyTorch's) remainder takes the divisor's sign.
    check_op(shapes, operator.mod, numpy_fn=np.mod, dtypes=[dtype], grad=False,
             values=_signed_nonzero(shapes, dtype))


def _signed_nonzero(shapes, dtype):
    rng = np.random.default_rng(7)
    out = []
    for s in shapes:
        if isinstance(s, tuple):
            mag = rng.integers(1, 10, size=s) if dtype.startswith("int") else rng.uniform(0.5, 9.0, size=s)
            sign = np.where(rng.random(s) < 0.5, -1, 1)
            out.append((mag * sign).astype(dtype))
        else:
            out.append(None)
    return out


def test_floor_divide_and_remainder_functions():
    check_op([(3, 4), (3, 4)], lambda x, y: lib(x).floor_divide(x, y), numpy_fn=np.floor_divide,
             dtypes=["float32"], grad=False, values=_signed_nonzero([(3, 4), (3, 4)], "float32"))
    check_op([(3, 4), (3, 4)], lambda x, y: lib(x).remainder(x, y), numpy_fn=np.mod,
             dtypes=["int64"], grad=False, values=_signed_nonzero([(3, 4), (3, 4)], "int64"))


@pytest.mark.parametrize("dtype,low", [("int64", -2**63), ("int32", -2**31)])
def test_integer_division_of_the_minimum_by_minus_one(dtype, low):
    """min // -1 wraps to min and min % -1 is 0, as PyTorch (the CPU instruction would trap)."""
    x = fasttensor.tensor([low, 7, -7], dtype=getattr(fasttensor, dtype))
    assert (x // -1).tolist() == [low, -7, 7]
    assert (x % -1).tolist() == [0, 0, 0]
    assert x.fmod(-1).tolist() == [0, 0, 0]
    assert x.div(-1, rounding_mode="floor").tolist() == [low, -7, 7]


def test_fmod_takes_the_dividend_sign():
    vals = _signed_nonzero([(3, 4), (3, 4)], "float32")
    check_op([(3, 4), (3, 4)], lambda x, y: lib(x).fmod(x, y), numpy_fn=np.fmod, values=vals, grad=False)
    check_op([(3, 4), (3, 4)], lambda x, y: x.fmod(y), numpy_fn=np.fmod, dtypes=["int64"], grad=False,
             values=_signed_nonzero([(3, 4), (3, 4)], "int64"))


def test_remainder_grad_matches_torch():
    check_op([(3, 4), 1.5], operator.mod, numpy_fn=np.mod, low=-4, high=4)


# --- unary ----------------------------------------------------------------------------

UNARY = [
    ("neg", lambda x: -x, np.negative, -3, 3),
    ("neg_fn", lambda x: lib(x).neg(x), np.negative, -3, 3),
    ("abs", lambda x: x.abs(), np.abs, -3, 3),
    ("abs_builtin", lambda x: abs(x), np.abs, -3, 3),
    ("abs_fn", lambda x: lib(x).abs(x), np.abs, -3, 3),
    ("exp", lambda x: x.exp(), np.exp, -5, 5),
    ("exp_fn", lambda x: lib(x).exp(x), np.exp, -5, 5),
    ("log", lambda x: x.log(), np.log, 0.05, 10),
    ("log_fn", lambda x: lib(x).log(x), np.log, 0.05, 10),
    ("log1p", lambda x: x.log1p(), np.log1p, -0.9, 5),
    ("sqrt", lambda x: x.sqrt(), np.sqrt, 0.05, 9),
    ("sqrt_fn", lambda x: lib(x).sqrt(x), np.sqrt, 0.05, 9),
    ("rsqrt", lambda x: x.rsqrt(), lambda x: 1 / np.sqrt(x), 0.05, 9),
    ("sin", lambda x: x.sin(), np.sin, -7, 7),
    ("cos", lambda x: x.cos(), np.cos, -7, 7),
    ("cos_fn", lambda x: lib(x).cos(x), np.cos, -7, 7),
    ("tanh", lambda x: x.tanh(), np.tanh, -5, 5),
    ("tanh_fn", lambda x: lib(x).tanh(x), np.tanh, -5, 5),
    ("sigmoid", lambda x: x.sigmoid(), lambda x: 1 / (1 + np.exp(-x)), -8, 8),
    ("sigmoid_fn", lambda x: lib(x).sigmoid(x), lambda x: 1 / (1 + np.exp(-x)), -8, 8),
    ("relu", lambda x: x.relu(), lambda x: np.maximum(x, 0), -3, 3),
    ("relu_fn", lambda x: lib(x).relu(x), lambda x: np.maximum(x, 0), -3, 3),
    ("square", lambda x: x.square(), np.square, -3, 3),
    ("reciprocal", lambda x: x.reciprocal(), np.reciprocal, 0.3, 4),
    ("expm1", lambda x: x.expm1(), np.expm1, -3, 3),
    ("expm1_fn", lambda x: lib(x).expm1(x), np.expm1, -3, 3),
    ("exp2", lambda x: x.exp2(), np.exp2, -5, 5),
    ("log2", lambda x: x.log2(), np.log2, 0.05, 10),
    ("log10", lambda x: lib(x).log10(x), np.log10, 0.05, 10),
    ("sinh", lambda x: x.sinh(), np.sinh, -4, 4),
    ("cosh", lambda x: lib(x).cosh(x), np.cosh, -4, 4),
    ("tan", lambda x: x.tan(), np.tan, -1.4, 1.4),
    ("asin", lambda x: x.asin(), np.arcsin, -0.95, 0.95),
    ("acos", lambda x: lib(x).acos(x), np.arccos, -0.95, 0.95),
    ("atan", lambda x: x.atan(), np.arctan, -5, 5),
    ("arctan_fn", lambda x: lib(x).arctan(x), np.arctan, -5, 5),
    ("erf", lambda x: x.erf(), np.vectorize(math.erf, otypes=[np.float64]), -3, 3),
    ("erf_fn", lambda x: lib(x).erf(x), np.vectorize(math.erf, otypes=[np.float64]), -3, 3),
    # Away from digamma's roots (1.4616, -1.5734, -2.6107), where any float64 digamma has only absolute accuracy.
    ("lgamma", lambda x: x.lgamma(), np.vectorize(math.lgamma, otypes=[np.float64]), 0.1, 1.4),
    ("lgamma_fn", lambda x: lib(x).lgamma(x), np.vectorize(math.lgamma, otypes=[np.float64]), 1.6, 9),
    ("lgamma_negative", lambda x: lib(x).lgamma(x), np.vectorize(math.lgamma, otypes=[np.float64]), -2.5, -2.1),
]


def _digamma(x):
    """The derivative of math.lgamma by a 4th-order central difference: a reference independent of our
    series, good to ~1e-11 (enough for float32)."""
    h = 1e-4
    lg = np.vectorize(math.lgamma, otypes=[np.float64])
    return (lg(x - 2 * h) - 8 * lg(x - h) + 8 * lg(x + h) - lg(x + 2 * h)) / (12 * h)


@pytest.mark.parametrize("low,high", [(0.1, 1.4), (1.5, 30), (-1.45, -1.1), (-0.9, -0.1)], ids=ids)
def test_digamma(low, high):
    # float32 against the difference quotient of math.lgamma and against torch, values and gradients
    # (trigamma), with a float64 gradcheck; float64 values against torch (whose float64 trigamma is
    # itself only good to ~1e-9, so float64 gradients are left to the gradcheck).
    check_op([(4, 7)], lambda x: lib(x).digamma(x), numpy_fn=_digamma, low=low, high=high)
    if HAVE_TORCH:
        check_op([(4, 7)], lambda x: x.digamma(), dtypes=["float64"], grad=False, low=low, high=high)
    special = fasttensor.tensor([0.0, -0.0, -1.0, 1.0, float("inf"), float("-inf"), float("nan")],
                                dtype=fasttensor.float64).digamma().tolist()
    assert special[:2] == [float("-inf"), float("inf")] and math.isnan(special[2])
    assert special[3] == pytest.approx(-0.5772156649015329, rel=1e-15) and special[4] == float("inf")
    assert math.isnan(special[5]) and math.isnan(special[6])


@pytest.mark.parametrize("name,fn,ref,low,high", UNARY, ids=[u[0] for u in UNARY])
@pytest.mark.parametrize("shape", [(3, 5), (), (0,), (1, 1), (17,), (2, 3, 4)], ids=ids)
def test_unary(name, fn, ref, low, high, shape):
    check_op([shape], fn, numpy_fn=ref, dtypes=F, low=low, high=high)


# One entry per kernel (the function forms above call the same kernels).
UNARY_KERNELS = [u for u in UNARY if not u[0].endswith(("_fn", "_builtin"))]


@pytest.mark.parametrize("name,fn,ref,low,high", UNARY_KERNELS, ids=[u[0] for u in UNARY_KERNELS])
@pytest.mark.parametrize("layout", ["transposed", "strided"])
def test_unary_noncontiguous(name, fn, ref, low, high, layout):
    check_op([(6, 9)], fn, numpy_fn=ref, layouts=[layout], low=low, high=high, run_gradcheck=False)


@pytest.mark.parametrize("name,fn,ref,low,high", UNARY_KERNELS, ids=[u[0] for u in UNARY_KERNELS])
@pytest.mark.parametrize("n", [100_003, 1031])
def test_unary_large_and_tails(name, fn, ref, low, high, n):
    # Enough elements for the threaded path; a size that is no multiple of 16.
    check_op([(n,)], fn, numpy_fn=ref, dtypes=F, low=low, high=high, run_gradcheck=False)


# Worst error in units of the last place of float32 over a dense grid, against
# float64 math. PyTorch 2.13 (SLEEF) measures exp 0.56, log 0.50, log1p 0.60,
# tanh 0.56, sin/cos 0.60, sqrt 0.5, rsqrt 1.5, sigmoid 2.5 on the same grids;
# the bounds allow 1 ulp where PyTorch is near-correctly rounded.
ULP_BOUNDS = [
    ("exp", np.exp, -87.0, 88.0, 1.0), ("log", np.log, 1e-3, 1e4, 1.0), ("log1p", np.log1p, -0.99, 100.0, 1.0),
    ("tanh", np.tanh, -10.0, 10.0, 1.0), ("sin", np.sin, -100.0, 100.0, 1.0), ("cos", np.cos, -100.0, 100.0, 1.0),
    ("sqrt", np.sqrt, 0.0, 1e4, 0.5), ("rsqrt", lambda v: 1 / np.sqrt(v), 1e-3, 1e4, 1.5),
    ("sigmoid", lambda v: 1 / (1 + np.exp(-v)), -20.0, 20.0, 2.5), ("reciprocal", np.reciprocal, 0.01, 100.0, 0.5),
    # The C library's float functions (glibc: within 1-2 ulp).
    ("expm1", np.expm1, -20.0, 20.0, 1.0), ("exp2", np.exp2, -120.0, 120.0, 1.0), ("log2", np.log2, 1e-3, 1e4, 1.0),
    ("log10", np.log10, 1e-3, 1e4, 2.0), ("sinh", np.sinh, -20.0, 20.0, 2.0), ("cosh", np.cosh, -20.0, 20.0, 2.0),
    ("tan", np.tan, -1.5, 1.5, 2.0), ("asin", np.arcsin, -1.0, 1.0, 1.0), ("acos", np.arccos, -1.0, 1.0, 1.0),
    ("atan", np.arctan, -100.0, 100.0, 1.0), ("erf", np.vectorize(math.erf, otypes=[np.float64]), -5.0, 5.0, 1.0),
]


@pytest.mark.parametrize("name,ref,low,high,bound", ULP_BOUNDS, ids=[u[0] for u in ULP_BOUNDS])
def test_float32_accuracy_in_ulps(name, ref, low, high, bound):
    grid = np.linspace(low, high, 200_003).astype(np.float32)
    exact = ref(grid.astype(np.float64))
    got = getattr(fasttensor, name)(fasttensor.tensor(grid)).numpy().astype(np.float64)
    ulps = np.abs(got - exact) / np.spacing(np.abs(exact).astype(np.float32)).astype(np.float64)
    worst = int(np.argmax(ulps))
    assert ulps[worst] <= bound, (
        f"{name}({grid[worst]!r}) = {got[worst]!r}, exact {exact[worst]!r}: {ulps[worst]:.3f} ulp")


def test_sign():
    # Zeros and a tiny value: finite differences are meaningless at the jump, so
    # the zero gradient is compared with torch there and gradchecked elsewhere.
    vals = np.array([-2.5, -0.0, 0.0, 1.5, -1e-30, 3.0], dtype=np.float32)
    check_op([(6,)], lambda x: x.sign(), numpy_fn=np.sign, values=[vals], dtypes=F, run_gradcheck=False)
    check_op([(3, 4)], lambda x: x.sign(), numpy_fn=np.sign, dtypes=F)
    check_op([(4, 5)], lambda x: lib(x).sign(x), numpy_fn=np.sign, dtypes=("int64", "int32"), grad=False, low=-3,
             high=3)


@pytest.mark.parametrize("name,fn,ref", [
    ("neg", lambda x: -x, np.negative),
    ("abs", lambda x: x.abs(), np.abs),
    ("square", lambda x: x.square(), np.square),
])
@pytest.mark.parametrize("dtype", ["int64", "int32"])
def test_unary_integers(name, fn, ref, dtype):
    check_op([(4, 5)], fn, numpy_fn=ref, dtypes=[dtype], grad=False, low=-9, high=9)


@pytest.mark.parametrize("name,fn,ref", [
    ("exp", lambda x: x.exp(), np.exp), ("sqrt", lambda x: x.sqrt(), np.sqrt), ("sin", lambda x: x.sin(), np.sin),
    ("sigmoid", lambda x: x.sigmoid(), lambda x: 1 / (1 + np.exp(-x))), ("log", lambda x: x.log(), np.log),
])
def test_unary_integer_input_gives_float(name, fn, ref):
    # PyTorch: exp/sqrt/... of an int64 tensor are float32.
    check_op([(3, 4)], fn, numpy_fn=lambda x: ref(x.astype(np.float64)), dtypes=["int64", "int32", "uint8", "bool"],
             grad=False, low=1, high=6)


def test_exp_extremes():
    vals = np.array([-1000.0, -100.0, -88.0, 0.0, 80.0, 88.7, 89.0, 1000.0, np.inf, -np.inf, np.nan],
                    dtype=np.float32)
    check_op([(11,)], lambda x: x.exp(), numpy_fn=np.exp, values=[vals], grad=False)


def test_log_edge_values():
    with np.errstate(all="ignore"):
        vals = np.array([0.0, -1.0, 1e-38, 1.0, np.inf, np.nan], dtype=np.float32)
        check_op([(6,)], lambda x: x.log(), numpy_fn=np.log, values=[vals], grad=False, dtypes=F)
        check_op([(6,)], lambda x: x.sqrt(), numpy_fn=np.sqrt, values=[vals], grad=False, dtypes=F)


def test_tanh_sigmoid_saturate():
    vals = np.array([-100.0, -20.0, -1e-8, 0.0, 1e-8, 20.0, 100.0], dtype=np.float32)
    check_op([(7,)], lambda x: x.tanh(), numpy_fn=np.tanh, values=[vals], grad=False, dtypes=F)
    check_op([(7,)], lambda x: x.sigmoid(), numpy_fn=lambda x: 1 / (1 + np.exp(-x)), values=[vals], dtypes=F)


def test_float64_sigmoid_is_zero_where_torch_exp_overflows():
    # PyTorch's 1 / (1 + exp(-x)): subnormal results down to -log(DBL_MAX), exactly 0 below it.
    edge = -709.782712893384  # -log(DBL_MAX) rounded: exp(709.782712893384) is finite
    below = np.nextafter(edge, -np.inf)
    vals = np.array([-709.0, edge, below, -720.0, -745.2, -1e4, -np.inf, np.nan] * 3)
    expected = np.array([1 / (1 + np.exp(709.0)), 1 / (1 + np.exp(-edge)), 0, 0, 0, 0, 0, np.nan] * 3)
    assert 0 < expected[1] < np.finfo(np.float64).tiny  # a subnormal, kept
    got = fasttensor.tensor(vals).sigmoid().numpy()
    np.testing.assert_array_equal(got, expected)
    for v, e in zip(vals[:8], expected[:8]):  # 0-d tensors take the scalar path
        np.testing.assert_array_equal(fasttensor.tensor(v, dtype=fasttensor.float64).sigmoid().item(), e)
    if HAVE_TORCH:
        np.testing.assert_array_equal(helpers.torch.tensor(vals).sigmoid().numpy(), got)


def test_relu_gradient_zero_at_zero():
    x = fasttensor.tensor([-1.0, 0.0, 2.0], requires_grad=True)
    x.relu().sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, 1.0])


# --- maximum / minimum / max(X, Y) ------------------------------------------------------

@pytest.mark.parametrize("shapes", [[(3, 4), (3, 4)], [(3, 4), (4,)], [(3, 1), (1, 4)], [(), (3,)]], ids=ids)
def test_maximum_minimum(shapes):
    check_op(shapes, lambda x, y: lib(x).maximum(x, y), numpy_fn=np.maximum, dtypes=F + ("int64",))
    check_op(shapes, lambda x, y: lib(x).minimum(x, y), numpy_fn=np.minimum, dtypes=F + ("int64",))
    check_op(shapes, lambda x, y: x.maximum(y), numpy_fn=np.maximum)
    check_op(shapes, lambda x, y: x.minimum(y), numpy_fn=np.minimum)


def test_max_min_elementwise_form():
    # torch.max(X, Y) is maximum: the d2l relu of chapter 5.2.
    check_op([(3, 4), (3, 4)], lambda x, y: lib(x).max(x, y), numpy_fn=np.maximum, dtypes=F)
    check_op([(3, 4), (3, 4)], lambda x, y: lib(x).min(x, y), numpy_fn=np.minimum, dtypes=F)
    check_op([(3, 4)], lambda x: lib(x).max(x, lib(x).zeros_like(x)), numpy_fn=lambda x: np.maximum(x, 0))
    check_op([(3, 4), (3, 4)], lambda x, y: x.max(y), numpy_fn=np.maximum)


def test_maximum_ties_split_gradient_as_torch():
    # PyTorch gives each side half the gradient where the inputs are equal.
    a = np.array([1.0, 2.0, 3.0, -1.0], dtype=np.float32)
    b = np.array([1.0, 5.0, 3.0, -2.0], dtype=np.float32)
    for fname in ("maximum", "minimum"):
        x = fasttensor.tensor(a, requires_grad=True)
        y = fasttensor.tensor(b, requires_grad=True)
        getattr(fasttensor, fname)(x, y).sum().backward()
        is_max = fname == "maximum"
        expect_x = np.where(a == b, 0.5, np.where((a > b) == is_max, 1.0, 0.0))
        np.testing.assert_array_equal(x.grad.numpy(), expect_x)
        np.testing.assert_array_equal(y.grad.numpy(), 1.0 - expect_x)


def test_maximum_nan_propagates():
    vals = [np.array([np.nan, 1.0, 2.0], np.float32), np.array([0.0, np.nan, 1.0], np.float32)]
    check_op([(3,), (3,)], lambda x, y: lib(x).maximum(x, y), numpy_fn=np.maximum, values=vals, grad=False)
    check_op([(3,), (3,)], lambda x, y: lib(x).minimum(x, y), numpy_fn=np.minimum, values=vals, grad=False)


# --- clamp ----------------------------------------------------------------------------------

@pytest.mark.parametrize("lo,hi", [(-0.5, 0.5), (None, 0.3), (-0.3, None), (0, 1), (1, 0.5)])
def test_clamp(lo, hi):
    def ref(x):
        out = x
        if lo is not None:
            out = np.maximum(out, lo)
        if hi is not None:
            out = np.minimum(out, hi)
        return out

    check_op([(4, 6)], lambda x: x.clamp(lo, hi), numpy_fn=ref, dtypes=F, low=-1.5, high=1.5)
    check_op([(4, 6)], lambda x: lib(x).clamp(x, min=lo, max=hi), numpy_fn=ref, low=-1.5, high=1.5)
    check_op([(4, 6)], lambda x: x.clip(lo, hi), numpy_fn=ref, low=-1.5, high=1.5)


def test_clamp_integers():
    check_op([(4, 6)], lambda x: x.clamp(-2, 3), numpy_fn=lambda x: np.clip(x, -2, 3), dtypes=("int64", "int32"),
             low=-6, high=6, grad=False)


def test_clamp_float_bound_on_int_tensor_promotes():
    check_op([(4, 6)], lambda x: x.clamp(min=0.5), numpy_fn=lambda x: np.maximum(x, 0.5), dtypes=("int64",),
             low=-6, high=6, grad=False)


def test_clamp_gradient_at_bounds_as_torch(torch):
    vals = np.array([-1.0, -0.5, 0.0, 0.5, 1.0], np.float32)
    check_op([(5,)], lambda x: x.clamp(-0.5, 0.5), values=[vals], run_gradcheck=False)


# --- comparisons and logic --------------------------------------------------------------------

COMPARE = [("eq", operator.eq, np.equal), ("ne", operator.ne, np.not_equal), ("lt", operator.lt, np.less),
           ("le", operator.le, np.less_equal), ("gt", operator.gt, np.greater), ("ge", operator.ge, np.greater_equal)]


@pytest.mark.parametrize("name,op,ref", COMPARE, ids=[c[0] for c in COMPARE])
@pytest.mark.parametrize("shapes", [[(4, 5), (4, 5)], [(4, 5), (5,)], [(4, 1), (1, 5)], [(4, 5), 1], [1.5, (4, 5)],
                                    [(), (3,)]], ids=ids)
def test_comparisons(name, op, ref, shapes):
    n_tensors = sum(isinstance(s, tuple) for s in shapes)
    mixed = [("int64", "float32")] if n_tensors == 2 else []
    check_op(shapes, op, numpy_fn=ref, dtypes=["float32", "int64"] + mixed, low=-2, high=2, grad=False)


@pytest.mark.parametrize("name", ["eq", "ne", "lt", "le", "gt", "ge"])
def test_comparison_functions_and_methods(name):
    ref = dict((c[0], c[2]) for c in COMPARE)[name]
    check_op([(3, 4), (3, 4)], lambda x, y: getattr(lib(x), name)(x, y), numpy_fn=ref, low=-1, high=1,
             dtypes=["int64"], grad=False)
    check_op([(3, 4), (3, 4)], lambda x, y: getattr(x, name)(y), numpy_fn=ref, low=-1, high=1,
             dtypes=["int64"], grad=False)


def test_comparisons_with_nan():
    a = np.array([np.nan, 1.0, np.nan, 2.0], np.float32)
    b = np.array([np.nan, np.nan, 1.0, 2.0], np.float32)
    for name, op, ref in COMPARE:
        check_op([(4,), (4,)], op, numpy_fn=ref, values=[a, b], grad=False)


def test_comparison_result_not_requiring_grad():
    x = fasttensor.randn(3, requires_grad=True)
    c = x > 0
    assert c.dtype == fasttensor.bool and not c.requires_grad and c.grad_fn is None


@pytest.mark.parametrize("name,ref", [("logical_and", np.logical_and), ("logical_or", np.logical_or),
                                      ("logical_xor", np.logical_xor)])
def test_logical_binary(name, ref):
    for dt in ["bool", "float32", "int64", ("bool", "float32")]:
        check_op([(4, 5), (4, 5)], lambda x, y: getattr(lib(x), name)(x, y), numpy_fn=ref, dtypes=[dt], low=-1,
                 high=1, grad=False)
        check_op([(4, 5), (5,)], lambda x, y: getattr(x, name)(y), numpy_fn=ref, dtypes=[dt], low=-1, high=1,
                 grad=False)


def test_logical_not():
    check_op([(4, 5)], lambda x: lib(x).logical_not(x), numpy_fn=np.logical_not,
             dtypes=["bool", "float32", "int64"], low=-1, high=1, grad=False)
    check_op([(4, 5)], lambda x: x.logical_not(), numpy_fn=np.logical_not, dtypes=["bool"], grad=False)


def test_bool_operators():
    check_op([(4, 5), (4, 5)], operator.and_, numpy_fn=np.logical_and, dtypes=["bool"], grad=False)
    check_op([(4, 5), (4, 5)], operator.or_, numpy_fn=np.logical_or, dtypes=["bool"], grad=False)
    check_op([(4, 5), (4, 5)], operator.xor, numpy_fn=np.logical_xor, dtypes=["bool"], grad=False)
    check_op([(4, 5)], operator.invert, numpy_fn=np.logical_not, dtypes=["bool"], grad=False)


def test_isnan_isfinite_isinf():
    vals = np.array([np.nan, np.inf, -np.inf, 0.0, -1.5, 3e38], np.float32)
    for name, ref in [("isnan", np.isnan), ("isfinite", np.isfinite), ("isinf", np.isinf)]:
        check_op([(6,)], lambda x: getattr(lib(x), name)(x), numpy_fn=ref, values=[vals], dtypes=F, grad=False)
        check_op([(6,)], lambda x: getattr(x, name)(), numpy_fn=ref, values=[vals], grad=False)
    check_op([(3, 4)], lambda x: x.isnan(), numpy_fn=np.isnan, dtypes=["int64"], grad=False)
    check_op([(3, 4)], lambda x: x.isfinite(), numpy_fn=np.isfinite, dtypes=["int64"], grad=False)


# --- where ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("shapes", [[(3, 4), (3, 4), (3, 4)], [(3, 4), (4,), (3, 1)], [(1, 4), (3, 1), ()],
                                    [(3, 4), (3, 4), 0.0], [(3, 4), 1.5, (3, 4)]], ids=ids)
def test_where(shapes):
    def fn(c, x, y):
        return lib(c).where(c > 0, x, y)

    def ref(c, x, y):
        return np.where(c > 0, x, y)

    n_values = sum(isinstance(s, tuple) for s in shapes) - 1
    check_op(shapes, fn, numpy_fn=ref, dtypes=["float32", "float64", tuple(["float32"] + ["float64"] * n_values)])


def test_where_method_and_mixed_dtypes():
    check_op([(3, 4), (3, 4), (3, 4)], lambda c, x, y: x.where(c > 0, y), numpy_fn=lambda c, x, y: np.where(
        c > 0, x, y))
    check_op([(3, 4), (3, 4), (3, 4)], lambda c, x, y: lib(c).where(c > 0, x, y),
             numpy_fn=lambda c, x, y: np.where(c > 0, x, y), dtypes=[("float32", "int64", "float32")], grad=False)


# --- in-place forms ---------------------------------------------------------------------------

INPLACE = [
    ("iadd", lambda a, b: operator.iadd(a, b), np.add),
    ("isub", lambda a, b: operator.isub(a, b), np.subtract),
    ("imul", lambda a, b: operator.imul(a, b), np.multiply),
    ("itruediv", lambda a, b: operator.itruediv(a, b), np.true_divide),
    ("add_", lambda a, b: a.add_(b), np.add),
    ("sub_", lambda a, b: a.sub_(b), np.subtract),
    ("mul_", lambda a, b: a.mul_(b), np.multiply),
    ("div_", lambda a, b: a.div_(b), np.true_divide),
]


@pytest.mark.parametrize("name,op,ref", INPLACE, ids=[i[0] for i in INPLACE])
@pytest.mark.parametrize("other_kind", ["same", "broadcast", "scalar", "zero_dim"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_inplace_keeps_identity_and_storage(name, op, ref, other_kind, dtype):
    rng = np.random.default_rng(1)
    a_np = rng.uniform(0.5, 2.0, size=(3, 4)).astype(dtype)
    b_np = {"same": rng.uniform(0.5, 2.0, size=(3, 4)), "broadcast": rng.uniform(0.5, 2.0, size=(4,)),
            "scalar": 1.75, "zero_dim": np.array(1.25)}[other_kind]
    if isinstance(b_np, np.ndarray):
        b_np = b_np.astype(dtype)
    a = fasttensor.tensor(a_np)
    b = fasttensor.tensor(b_np) if isinstance(b_np, np.ndarray) else b_np
    before_id, before_ptr = id(a), a.data_ptr()
    out = op(a, b)
    assert id(a) == before_id and a.data_ptr() == before_ptr
    assert out is a
    np.testing.assert_allclose(a.numpy(), ref(a_np, b_np).astype(dtype), rtol=1e-6)


def test_inplace_on_view_writes_through_to_base():
    base = fasttensor.zeros(4, 6)
    view = base[:, ::2]
    view += 1.0
    view.mul_(3.0)
    expected = np.zeros((4, 6), np.float32)
    expected[:, ::2] = 3.0
    np.testing.assert_array_equal(base.numpy(), expected)
    col = base.T[1]
    col.add_(fasttensor.arange(4, dtype=fasttensor.float32))
    expected[:, 1] += np.arange(4)
    np.testing.assert_array_equal(base.numpy(), expected)


def test_inplace_integer_and_promotion_rules():
    a = fasttensor.tensor([1, 2, 3])
    a += 2
    assert a.dtype == fasttensor.int64 and a.tolist() == [3, 4, 5]
    a *= fasttensor.tensor([2, 2, 2], dtype=fasttensor.int32)
    assert a.tolist() == [6, 8, 10]
    f = fasttensor.tensor([1.0, 2.0])
    f += fasttensor.tensor([1, 1])
    assert f.dtype == fasttensor.float32 and f.tolist() == [2.0, 3.0]
    # int tensor += float: PyTorch refuses the cast of the float result.
    with pytest.raises(RuntimeError):
        a += 1.5
    assert a.tolist() == [6, 8, 10]
    with pytest.raises(RuntimeError):
        a /= 2


def test_inplace_broadcast_target_must_not_grow():
    a = fasttensor.ones(4)
    with pytest.raises(RuntimeError):
        a += fasttensor.ones(3, 4)
    np.testing.assert_array_equal(a.numpy(), np.ones(4))


def test_zero_fill_copy_clamp_inplace():
    a = fasttensor.arange(12, dtype=fasttensor.float32).reshape(3, 4)
    ptr = a.data_ptr()
    assert a.zero_() is a and a.data_ptr() == ptr and not a.numpy().any()
    assert a.fill_(2.5) is a and (a.numpy() == 2.5).all()
    src = fasttensor.arange(4, dtype=fasttensor.float64)
    assert a.copy_(src) is a and a.dtype == fasttensor.float32  # broadcast and converted
    np.testing.assert_array_equal(a.numpy(), np.tile(np.arange(4, dtype=np.float32), (3, 1)))
    assert a.clamp_(1, 2) is a and a.data_ptr() == ptr
    np.testing.assert_array_equal(a.numpy(), np.tile([1, 1, 2, 2], (3, 1)).astype(np.float32))
    a.fill_(fasttensor.tensor(7.0))
    assert (a.numpy() == 7).all()
    a[:, 1:3].zero_()
    np.testing.assert_array_equal(a.numpy()[0], [7, 0, 0, 7])
    t = fasttensor.zeros(2, 3).T
    t.copy_(fasttensor.arange(6, dtype=fasttensor.float32).reshape(3, 2))
    np.testing.assert_array_equal(t.numpy(), np.arange(6).reshape(3, 2))


def test_inplace_unary_methods():
    for name, ref in [("neg_", np.negative), ("abs_", np.abs), ("exp_", np.exp), ("tanh_", np.tanh),
                      ("relu_", lambda v: np.maximum(v, 0)), ("sigmoid_", lambda v: 1 / (1 + np.exp(-v)))]:
        x_np = np.random.default_rng(3).uniform(-2, 2, size=(3, 5)).astype(np.float32)
        x = fasttensor.tensor(x_np)
        ptr = x.data_ptr()
        assert getattr(x, name)() is x and x.data_ptr() == ptr
        np.testing.assert_allclose(x.numpy(), ref(x_np.astype(np.float64)), rtol=1e-5, atol=1e-6, err_msg=name)


def test_slice_assignment_keeps_identity():
    # d2l 2.1.5: Z[:] = X + Y keeps id(Z).
    X = fasttensor.arange(12, dtype=fasttensor.float32).reshape(3, 4)
    Y = fasttensor.ones(3, 4)
    Z = fasttensor.zeros_like(Y)
    before, ptr = id(Z), Z.data_ptr()
    Z[:] = X + Y
    assert id(Z) == before and Z.data_ptr() == ptr
    np.testing.assert_array_equal(Z.numpy(), X.numpy() + 1)
    before = id(X)
    X = X + Y
    assert id(X) != before


# --- dtype promotion -------------------------------------------------------------------------

_PROMO_TENSORS = {
    "b1": ("bool", (3,)), "u8": ("uint8", (3,)), "i32": ("int32", (3,)), "i64": ("int64", (3,)),
    "f32": ("float32", (3,)), "f64": ("float64", (3,)),
    "b1_0d": ("bool", ()), "u8_0d": ("uint8", ()), "i32_0d": ("int32", ()), "i64_0d": ("int64", ()),
    "f32_0d": ("float32", ()), "f64_0d": ("float64", ()),
}
_PROMO_SCALARS = {"int": 2, "float": 2.5, "bool": True}
_PROMO_OPERANDS = list(_PROMO_TENSORS) + list(_PROMO_SCALARS)


def _promo_operand(module, key):
    if key in _PROMO_SCALARS:
        return _PROMO_SCALARS[key]
    dt, shape = _PROMO_TENSORS[key]
    return module.ones(shape, dtype=getattr(module, dt))


@pytest.mark.parametrize("a,b", [(a, b) for a, b in itertools.product(_PROMO_OPERANDS, repeat=2)
                                 if a in _PROMO_TENSORS or b in _PROMO_TENSORS])
def test_result_type_matches_torch(torch, a, b):
    fa, fb = _promo_operand(fasttensor, a), _promo_operand(fasttensor, b)
    ta, tb = _promo_operand(torch, a), _promo_operand(torch, b)
    expected = dtype_name(torch.result_type(ta, tb))
    assert dtype_name(fasttensor.result_type(fa, fb)) == expected
    for op in (operator.add, operator.mul):
        assert dtype_name(op(fa, fb).dtype) == dtype_name(op(ta, tb).dtype)
    # Comparisons are bool whatever the inputs.
    assert dtype_name((fa == fb).dtype) == "bool" and dtype_name((fa < fb).dtype) == "bool"
    # Division is floating (the default dtype for integers).
    if not (a == "bool" and b == "bool"):
        assert dtype_name((fa / fb).dtype) == dtype_name((ta / tb).dtype)


def test_promotion_examples():
    i = fasttensor.tensor([1, 2, 3])
    assert (i * 2.5).dtype == fasttensor.float32
    assert (i * 2).dtype == fasttensor.int64
    assert (fasttensor.ones(2) + fasttensor.ones(2, dtype=fasttensor.float64)).dtype == fasttensor.float64
    assert (fasttensor.ones(2) + fasttensor.tensor(1.0, dtype=fasttensor.float64)).dtype == fasttensor.float32
    assert (fasttensor.ones(2, dtype=fasttensor.uint8) + fasttensor.ones(2, dtype=fasttensor.int32)).dtype == \
        fasttensor.int32
    assert (fasttensor.ones(2, dtype=fasttensor.uint8) + 300).dtype == fasttensor.uint8
    assert (fasttensor.ones(2, dtype=fasttensor.int32) + fasttensor.tensor(5)).dtype == fasttensor.int32
    assert (fasttensor.ones(2, dtype=fasttensor.bool) + fasttensor.tensor(5)).dtype == fasttensor.int64
    assert fasttensor.promote_types(fasttensor.int32, fasttensor.float32) == fasttensor.float32
    assert (fasttensor.tensor([1, 2]) / fasttensor.tensor([2, 2])).dtype == fasttensor.float32


def test_promotion_default_dtype_float64():
    fasttensor.set_default_dtype(fasttensor.float64)
    assert (fasttensor.tensor([1, 2]) * 2.5).dtype == fasttensor.float64
    assert fasttensor.tensor([1.5]).dtype == fasttensor.float64
    assert (fasttensor.tensor([1, 2]) / 2).dtype == fasttensor.float64


@pytest.mark.parametrize("da,db", [("uint8", "int64"), ("int32", "int64"), ("uint8", "int32"), ("bool", "uint8"),
                                   ("int32", "float32"), ("int64", "float64"), ("float32", "float64")])
def test_mixed_dtype_arithmetic_values(da, db):
    for op, ref in [(operator.add, np.add), (operator.mul, np.multiply), (operator.sub, np.subtract)]:
        if "bool" in (da, db) and op is operator.sub:
            continue  # PyTorch refuses bool subtraction (test_errors)
        check_op([(3, 4), (3, 4)], op, numpy_fn=ref, dtypes=[(da, db)], low=0, high=9, grad=False)


def test_uint8_wraps_like_torch():
    a = fasttensor.tensor([250, 3], dtype=fasttensor.uint8)
    assert (a + 10).tolist() == [4, 13]
    assert (a - 5).tolist() == [245, 254]


def test_bool_arithmetic_errors_and_adds(torch):
    a = fasttensor.tensor([True, False])
    assert (a + a).dtype == fasttensor.bool and (a + a).tolist() == [True, False]
    assert (a * 3).tolist() == [3, 0]


# --- many elements, threads, tails ------------------------------------------------------------

@pytest.mark.parametrize("shape", [(100_003,), (300, 301), (17,), (31,), (33,), (15,), (65,)], ids=ids)
@pytest.mark.parametrize("name,op,ref", BINARY, ids=[b[0] for b in BINARY])
def test_binary_sizes(shape, name, op, ref):
    check_op([shape, shape], op, numpy_fn=ref, dtypes=F, low=0.5, high=3.0, run_gradcheck=False)


@pytest.mark.parametrize("shapes", [[(300, 301), (301,)], [(300, 1), (1, 301)], [(300, 301), ()],
                                    [(2, 150, 301), (150, 1)]], ids=ids)
def test_binary_large_broadcast(shapes):
    # The broadcast input's gradient sums up to 300 float32 terms of size <= 2.
    check_op(shapes, operator.add, numpy_fn=np.add, run_gradcheck=False, grad_atol=1e-4)
    check_op(shapes, operator.mul, numpy_fn=np.multiply, run_gradcheck=False, grad_atol=1e-4)


def test_large_noncontiguous_and_expanded():
    check_op([(300, 301), (300, 301)], operator.mul, numpy_fn=np.multiply, layouts=["transposed", "strided"],
             run_gradcheck=False)
    x = fasttensor.arange(301, dtype=fasttensor.float32) / 100
    e = x.expand(300, 301)
    y = e * 2.0 + e.exp().log()
    np.testing.assert_allclose(y.numpy(), np.tile(np.arange(301) * 0.03, (300, 1)), rtol=1e-5, atol=1e-5)


def test_large_integer_ops():
    check_op([(100_003,), (100_003,)], operator.add, numpy_fn=np.add, dtypes=["int64", "int32", "uint8"],
             low=0, high=100, grad=False)
    check_op([(100_003,), 7], operator.floordiv, numpy_fn=np.floor_divide, dtypes=["int64"], low=-100,
             high=100, grad=False)
    check_op([(100_003,), (100_003,)], operator.lt, numpy_fn=np.less, dtypes=["float32"], grad=False)


def test_expanded_inputs():
    a = np.random.default_rng(0).uniform(-1, 1, size=(1, 5)).astype(np.float32)
    b = np.random.default_rng(1).uniform(-1, 1, size=(4, 1)).astype(np.float32)
    fa, fb = fasttensor.tensor(a).expand(4, 5), fasttensor.tensor(b).expand(4, 5)
    for op, ref in [(operator.add, np.add), (operator.mul, np.multiply), (lambda x, y: lib(x).maximum(x, y),
                                                                          np.maximum)]:
        assert_close(op(fa, fb), ref(a, b).astype(np.float32))
    assert_close(fa.exp(), np.broadcast_to(np.exp(a), (4, 5)).astype(np.float32))


def test_scalar_ops_on_0d_tensors():
    x, y = fasttensor.tensor(3.0), fasttensor.tensor(2.0)
    outs = [x + y, x * y, x / y, x ** y]
    assert [o.item() for o in outs] == [5.0, 6.0, 1.5, 9.0]
    assert all(o.shape == () for o in outs)


def test_division_by_zero_floats():
    with np.errstate(all="ignore"):
        vals = [np.array([1.0, -1.0, 0.0, 2.0], np.float32), np.array([0.0, 0.0, 0.0, -0.0], np.float32)]
        check_op([(4,), (4,)], operator.truediv, numpy_fn=np.true_divide, values=vals, grad=False)
    ints = fasttensor.tensor([1, 0, -3])
    np.testing.assert_array_equal((ints / 0).numpy(), np.array([np.inf, np.nan, -np.inf], np.float32))
