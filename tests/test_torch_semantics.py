"""PyTorch 2.13 value rules pinned after the bitwise / overlap / accurate-sum
fixes: bitwise ops, integer pow with negative exponents, integer division of
the minimum, overlap refusals of in-place ops, float sum / mean / cumsum / var
accuracy, cumsum backward, tuple dims refused, integer linspace, scalar
overflow checks, masked_fill dtype, setitem with leading size-1 value dims and
NumPy operands.

Each case runs on fasttensor and, when torch is installed, on torch too; both
must give the same hand-computed (or NumPy-computed) expected values, so the
expectation is checked to be torch's behaviour and fasttensor is never
compared with itself.
"""

from __future__ import annotations

import math

import warnings

import numpy as np
import pytest

import fasttensor
import helpers
from helpers import HAVE_TORCH, dtype_name

LIBS = [fasttensor] + ([helpers.torch] if HAVE_TORCH else [])
LIB_IDS = ["fasttensor"] + (["torch"] if HAVE_TORCH else [])
libs = pytest.mark.parametrize("m", LIBS, ids=LIB_IDS)

OVERFLOW = r"value cannot be converted to type .* without overflow"


def _is(t, values, dtype):
    """t has exactly these values (nested lists) and this dtype name."""
    assert dtype_name(t.dtype) == dtype, f"{type(t).__module__}: dtype {dtype_name(t.dtype)} != {dtype}"
    assert t.tolist() == values, f"{type(t).__module__}: {t.tolist()} != {values}"


def _np(t):
    return helpers.to_numpy(t)


# --- 1. bitwise ops ---------------------------------------------------------------------------

BITWISE = [("and", np.bitwise_and, "__and__", "__iand__"),
           ("or", np.bitwise_or, "__or__", "__ior__"),
           ("xor", np.bitwise_xor, "__xor__", "__ixor__")]


@libs
@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool"])
@pytest.mark.parametrize("name,ref,op,iop", BITWISE, ids=[b[0] for b in BITWISE])
@pytest.mark.parametrize("shapes", [((3, 4), (3, 4)), ((3, 4), (4,)), ((), (5,)), ((0, 2), (2,)), ((1,), ())],
                         ids=helpers.ids)
def test_bitwise_binary_matches_numpy(m, dtype, name, ref, op, iop, shapes):
    # Same-dtype operands: torch keeps the dtype; values are NumPy's.
    rng = np.random.default_rng(1)
    a = helpers.random_array(shapes[0], dtype, rng, low=-100, high=100)
    b = helpers.random_array(shapes[1], dtype, rng, low=-100, high=100)
    want = ref(a, b)
    ta, tb = m.tensor(a), m.tensor(b)
    for got in (getattr(ta, op)(tb), getattr(m, "bitwise_" + name)(ta, tb), getattr(ta, "bitwise_" + name)(tb)):
        assert dtype_name(got.dtype) == dtype
        np.testing.assert_array_equal(_np(got), want)
    if want.shape == a.shape:  # in place (&=, |=, ^=) keeps the object and writes into it
        before = ta
        ta = getattr(ta, iop)(tb)
        assert ta is before
        np.testing.assert_array_equal(_np(before), want)


@libs
def test_bitwise_with_python_ints_and_mixed_dtypes(m):
    a = m.tensor([12, 10, 3, -7])
    _is(a & 1, [0, 0, 1, 1], "int64")
    _is(5 & a, [4, 0, 1, 1], "int64")
    _is(a | 5, [13, 15, 7, -3], "int64")
    _is(6 ^ a, [10, 12, 5, -1], "int64")
    _is(m.bitwise_or(m.tensor([1, 2]), 4), [5, 6], "int64")
    _is(m.bitwise_xor(3, m.tensor([1, 2])), [2, 1], "int64")
    u = m.tensor([3, 200], dtype=m.uint8)
    _is(u | -1, [255, 255], "uint8")  # the int is a wrapped number: uint8 stays, -1 wraps
    _is(u & 0x0F, [3, 8], "uint8")
    _is(u | m.tensor([256, 1], dtype=m.int32), [259, 201], "int32")  # tensor operands promote
    b = m.tensor([True, False])
    _is(b & True, [True, False], "bool")
    _is(b ^ 1, [0, 1], "int64")  # bool tensor with an int: int64
    _is(m.tensor([3], dtype=m.int32) ^ m.tensor([True]), [2], "int32")
    _is(m.tensor(5) ^ m.tensor([1, 2]), [4, 7], "int64")  # 0-d with 1-d
    _is(m.tensor([], dtype=m.int64) & 3, [], "int64")
    x = m.tensor([1, 2], dtype=m.uint8)
    x &= m.tensor([3, 3])  # int64 result cast back into uint8 in place
    _is(x, [1, 2], "uint8")
    y = m.tensor([True, False])
    with pytest.raises(RuntimeError, match="result type Long can't be cast to the desired output type Bool"):
        y |= m.tensor([2, 0])


@libs
@pytest.mark.parametrize("dtype,values,want", [
    ("int64", [0, 5, -1, -2**63], [-1, -6, 0, 2**63 - 1]),
    ("int32", [0, 5, -2**31], [-1, -6, 2**31 - 1]),
    ("uint8", [1, 0, 255], [254, 255, 0]),
    ("bool", [True, False], [False, True]),
], ids=["int64", "int32", "uint8", "bool"])
def test_bitwise_not(m, dtype, values, want):
    t = m.tensor(values, dtype=getattr(m, dtype))
    for got in (~t, m.bitwise_not(t), t.bitwise_not()):
        _is(got, want, dtype)
    _is(~m.tensor(7, dtype=getattr(m, dtype)) if dtype != "bool" else ~m.tensor(True),
        {"int64": -8, "int32": -8, "uint8": 248, "bool": False}[dtype], dtype)  # 0-d


@libs
@pytest.mark.parametrize("dtype,tname", [("float32", "Float"), ("float64", "Double")])
def test_bitwise_on_floats_raises(m, dtype, tname):
    # torch: NotImplementedError (a RuntimeError) '"bitwise_and_cpu" not implemented for 'Float''.
    f = m.tensor([1.0, 2.0], dtype=getattr(m, dtype))
    i = m.tensor([1, 2])
    for name, fn in [("and", lambda: f & 1), ("and", lambda: m.bitwise_and(f, f)), ("or", lambda: 1 | f),
                     ("or", lambda: f.bitwise_or(f)), ("xor", lambda: f ^ f), ("not", lambda: m.bitwise_not(f)),
                     ("not", lambda: f.bitwise_not())]:
        with pytest.raises(RuntimeError, match=f'"bitwise_{name}_cpu" not implemented for \'{tname}\''):
            fn()
    # An int tensor with a float operand promotes to float first, and fails the same way.
    with pytest.raises(RuntimeError, match='"bitwise_and_cpu" not implemented for \'Float\''):
        i & 1.0
    with pytest.raises(RuntimeError, match=f'"bitwise_xor_cpu" not implemented for \'{tname}\''):
        i ^ f
    y = m.tensor([1, 2])
    with pytest.raises(RuntimeError):  # torch: "result type Float can't be cast to ... Long"
        y &= f
    _is(y, [1, 2], "int64")


def test_invert_of_float_raises_like_torch():
    # torch 2.13's `~` on a float tensor raises TypeError ("~ (operator.invert) is
    # only implemented on integer and Boolean-type tensors"), not RuntimeError.
    expected = TypeError
    if HAVE_TORCH:
        with pytest.raises(expected):
            ~helpers.torch.tensor([1.0])
    with pytest.raises(expected):
        ~fasttensor.tensor([1.0])


@libs
def test_bitwise_inplace_methods(m):
    # torch has bitwise_and_/or_/xor_/not_ methods besides &=, |=, ^=.
    x = m.tensor([12, 10, 3])
    x.bitwise_and_(m.tensor(6))
    x.bitwise_or_(1)
    x.bitwise_xor_(m.tensor([1, 1, 1]))
    x.bitwise_not_()
    _is(x, [-5, -3, -3], "int64")


# --- 2. integer pow with negative exponents ---------------------------------------------------

@libs
@pytest.mark.parametrize("dtype", ["int64", "int32"])
def test_int_pow_negative_tensor_exponent(m, dtype):
    # torch: base 1 -> 1, base -1 -> +-1 by the exponent's parity, anything else (0 too) -> 0.
    d = getattr(m, dtype)
    _is(m.tensor([1, -1, 2], dtype=d) ** m.tensor(-1, dtype=d), [1, -1, 0], dtype)
    _is(m.pow(m.tensor([1, -1, -1, 2, -3, 0], dtype=d), m.tensor([-4, -2, -3, -1, -1, -1], dtype=d)),
        [1, 1, -1, 0, 0, 0], dtype)
    _is(m.tensor([2, 3], dtype=d) ** m.tensor([1, 2], dtype=d), [2, 9], dtype)
    _is(2 ** m.tensor([-1, 0, 1], dtype=d), [0, 1, 2], dtype)
    _is(m.tensor(-1, dtype=d) ** m.tensor(-5, dtype=d), -1, dtype)  # 0-d
    _is(m.tensor([], dtype=d) ** m.tensor(-1, dtype=d), [], dtype)


@libs
def test_int_pow_negative_python_exponent_raises(m):
    msg = "Integers to negative integer powers are not allowed."
    for fn in (lambda: m.tensor([1, 2]) ** -1, lambda: m.pow(m.tensor([1, 2]), -2),
               lambda: m.tensor([1, 2]).pow(-1), lambda: m.tensor(1) ** -1,
               lambda: m.tensor([3], dtype=m.int32) ** -3):
        with pytest.raises(RuntimeError, match=msg):
            fn()
    _is(m.tensor([1, 2]) ** 0, [1, 1], "int64")
    _is(m.tensor([-1, 2]) ** -1.0, [-1.0, 0.5], "float32")  # a float exponent promotes


# --- 3. integer division of the minimum by -1 --------------------------------------------------

@libs
@pytest.mark.parametrize("dtype,lo", [("int64", -2**63), ("int32", -2**31)])
def test_min_floordiv_and_remainder_by_minus_one(m, dtype, lo):
    # torch: wraps to the minimum (no SIGFPE), remainder 0.
    d = getattr(m, dtype)
    x = m.tensor([lo, 7, -7, lo + 1], dtype=d)
    _is(x // -1, [lo, -7, 7, -(lo + 1)], dtype)
    _is(x % -1, [0, 0, 0, 0], dtype)
    _is(x // m.tensor(-1, dtype=d), [lo, -7, 7, -(lo + 1)], dtype)
    _is(m.floor_divide(x, m.tensor([-1, -1, 2, -1], dtype=d)), [lo, -7, -4, -(lo + 1)], dtype)
    _is(m.remainder(x, m.tensor(-1, dtype=d)), [0, 0, 0, 0], dtype)
    _is(m.tensor(lo, dtype=d) // -1, lo, dtype)  # 0-d


# --- 4. in-place ops refuse overlapping memory -------------------------------------------------

# name -> action on fresh x = arange(6.), y = arange(9.).reshape(3, 3), z = arange(3.)
OVERLAP = {
    "shifted_add": lambda m, x, y, z: x[1:].add_(x[:-1]),
    "add_transpose": lambda m, x, y, z: y.add_(y.t()),
    "copy_transpose": lambda m, x, y, z: y.copy_(y.t()),
    "mul_own_row": lambda m, x, y, z: y.mul_(y[0]),
    "mul_own_element": lambda m, x, y, z: z.mul_(z[1]),  # even a 0-d view of one element
    "expanded_add": lambda m, x, y, z: z.expand(3, 3).add_(1),
    "expanded_exp": lambda m, x, y, z: z.expand(2, 3).exp_(),
    "add_out_overlapping": lambda m, x, y, z: m.add(x[1:], 1, out=x[:-1]),
}


@libs
@pytest.mark.parametrize("case", list(OVERLAP))
def test_overlapping_inplace_raises_and_leaves_inputs(m, case):
    # torch: "unsupported operation: some elements of the input tensor and the written-to
    # tensor refer to a single memory location" (or "more than one element of the
    # written-to tensor refers to a single memory location"); nothing is written.
    inputs = [m.arange(6.0), m.arange(9.0).reshape(3, 3), m.arange(3.0)]
    with pytest.raises(RuntimeError, match="unsupported operation"):
        OVERLAP[case](m, *inputs)
    assert [t.tolist() for t in inputs] == [list(map(float, range(6))), [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0],
                                            [6.0, 7.0, 8.0]], [0.0, 1.0, 2.0]]


@libs
def test_allowed_inplace_overlaps(m):
    y = m.arange(4.0).reshape(2, 2)
    y.add_(y)  # same layout: elementwise, no hazard
    _is(y, [[0.0, 2.0], [4.0, 6.0]], "float32")
    x = m.arange(6.0)
    x[::2].add_(x[1::2])  # disjoint, non-dense views: torch doesn't check
    _is(x, [1.0, 1.0, 5.0, 3.0, 9.0, 5.0], "float32")
    z = m.arange(6.0).reshape(2, 3)
    z[0].copy_(z[1])  # disjoint rows of one storage
    _is(z, [[3.0, 4.0, 5.0], [3.0, 4.0, 5.0]], "float32")


# --- 5. accurate float32 sums -----------------------------------------------------------------

@libs
def test_sum_and_mean_of_many_float32_values(m):
    # torch: 999999.5625 (a naive float32 running sum is off by percents).
    s = m.full((10**7,), 0.1).sum()
    assert dtype_name(s.dtype) == "float32"
    assert s.item() == pytest.approx(1e6, rel=1e-6)
    assert m.full((10**6,), 0.1).mean().item() == pytest.approx(0.1, rel=1e-6)


@libs
def test_sum_of_random_float32_vector(m):
    x = np.random.default_rng(5).random(3_000_000, dtype=np.float32)
    want = np.sum(x, dtype=np.float64)
    t = m.tensor(x)
    assert t.sum().item() == pytest.approx(want, rel=1e-6)
    assert t.mean().item() == pytest.approx(want / x.size, rel=1e-6)


@libs
def test_sum_of_strided_float32_vector(m):
    # A non-contiguous input is summed as accurately (torch: rel. error ~1e-8).
    x = np.random.default_rng(5).random(3_000_000, dtype=np.float32)
    assert m.tensor(x)[::3].sum().item() == pytest.approx(np.sum(x[::3], dtype=np.float64), rel=1e-6)


@libs
def test_sum_along_dim_of_many_float32_values(m):
    # torch: 99999.9453 along dim 0, 100000.0078 along dim 1 (exact: 100000.0015).
    exact = 1e6 * float(np.float32(0.1))
    for got in (m.full((10**6, 2), 0.1).sum(0), m.full((2, 10**6), 0.1).sum(1)):
        np.testing.assert_allclose(_np(got), [exact, exact], rtol=1e-5)


# --- 6. cumsum accuracy and backward ----------------------------------------------------------

@libs
def test_float32_cumsum_accumulates_in_double(m):
    # torch's CPU cumsum accumulates float in double: the last of 1e6 x 0.1f is 100000.0015.
    exact = 1e6 * float(np.float32(0.1))
    assert m.full((10**6,), 0.1).cumsum(0)[-1].item() == pytest.approx(exact, rel=1e-6)
    half = exact / 2
    np.testing.assert_allclose(_np(m.full((2, 500_000), 0.1).cumsum(1)[:, -1]), [half, half], rtol=1e-6)
    np.testing.assert_allclose(_np(m.full((500_000, 2), 0.1).cumsum(0)[-1]), [half, half], rtol=1e-6)


def _rev_cumsum(g, axis):
    return np.flip(np.cumsum(np.flip(g, axis), axis), axis)


@libs
def test_cumsum_backward_is_exact_reversed_cumsum(m):
    # The gradient is the reversed cumsum of g; a tiny last element must survive
    # (total - prefix would cancel it to 0 or noise).
    rng = np.random.default_rng(3)
    g = rng.uniform(-1, 1, 1000)
    g[-1] = 1e-30
    x = m.ones(1000, dtype=m.float64, requires_grad=True)
    x.cumsum(0).backward(m.tensor(g))
    grad = _np(x.grad)
    np.testing.assert_allclose(grad, _rev_cumsum(g, 0), rtol=1e-12, atol=0)
    assert grad[-1] == 1e-30

    g2 = rng.uniform(-1, 1, (3, 400))
    g2[:, -1] = [1e-30, -2e-25, 3e-20]
    x2 = m.ones(3, 400, dtype=m.float64, requires_grad=True)
    x2.cumsum(1).backward(m.tensor(g2))
    np.testing.assert_allclose(_np(x2.grad), _rev_cumsum(g2, 1), rtol=1e-12, atol=0)

    # Non-contiguous input: every other column of a leaf, cumsum along dim 1.
    leaf = m.ones(3, 800, dtype=m.float64, requires_grad=True)
    leaf[:, ::2].cumsum(1).backward(m.tensor(g2))
    want = np.zeros((3, 800))
    want[:, ::2] = _rev_cumsum(g2, 1)
    np.testing.assert_allclose(_np(leaf.grad), want, rtol=1e-12, atol=0)
    # Transposed input, cumsum along dim 0.
    leaf_t = m.ones(400, 3, dtype=m.float64, requires_grad=True)
    g3 = g2.copy()
    g3[-1, :3] = [1e-30, -1e-28, 5e-22]
    leaf_t.t().cumsum(0).backward(m.tensor(g3))
    np.testing.assert_allclose(_np(leaf_t.grad).T, _rev_cumsum(g3, 0), rtol=1e-12, atol=0)


# --- 7. var / std with a large mean -----------------------------------------------------------

@libs
def test_var_std_float32_with_large_mean(m):
    rng = np.random.default_rng(7)
    x = (1e4 + rng.normal(0, 0.1, 1000)).astype(np.float32)
    x64 = x.astype(np.float64)
    t = m.tensor(x)
    assert t.var().item() == pytest.approx(np.var(x64, ddof=1), rel=1e-4)
    assert t.std().item() == pytest.approx(np.std(x64, ddof=1), rel=1e-4)
    rows = (np.array([[1e4], [-2e4], [5e3]]) + rng.normal(0, 0.1, (3, 1000))).astype(np.float32)
    r64, tr = rows.astype(np.float64), m.tensor(rows)
    np.testing.assert_allclose(_np(tr.var(1)), np.var(r64, axis=1, ddof=1), rtol=1e-4)
    np.testing.assert_allclose(_np(tr.std(dim=1, keepdim=True)), np.std(r64, axis=1, ddof=1, keepdims=True),
                               rtol=1e-4)
    np.testing.assert_allclose(_np(tr.t().var(0)), np.var(r64, axis=1, ddof=1), rtol=1e-4)  # non-contiguous
    cols = np.ascontiguousarray(rows.T)  # reduce over the outer dim
    np.testing.assert_allclose(_np(m.tensor(cols).var(0)), np.var(r64, axis=1, ddof=1), rtol=1e-4)


# --- 8. tuple dims refused; prod's dtype cast ---------------------------------------------------

@libs
def test_tuple_dim_raises_type_error(m):
    x = m.ones(2, 2)
    for fn in (lambda: x.prod((0, 1)), lambda: x.prod(dim=(0,)), lambda: x.argmax((0, 1)),
               lambda: x.argmin((0, 1)), lambda: x.argmax(dim=()), lambda: x.cumsum((0,))):
        with pytest.raises(TypeError):
            fn()


@libs
def test_prod_dtype_casts_first(m):
    # torch casts the input to the dtype before multiplying: 1*2 = 2, not int(3.75) = 3.
    _is(m.tensor([1.5, 2.5]).prod(dtype=m.int64), 2, "int64")
    _is(m.tensor([1.5, 2.5, 3.5]).prod(dtype=m.int64), 6, "int64")
    _is(m.tensor([[1.5, 2.5]]).prod(1, dtype=m.int64), [2], "int64")


# --- 9. linspace with integer dtypes ----------------------------------------------------------

@libs
@pytest.mark.parametrize("args,dtype,want", [
    ((0, 10, 5), "int64", [0, 2, 5, 7, 10]),
    ((-1, 1, 7), "int32", [-1, 0, 0, 0, 0, 0, 1]),
    ((0, 255, 3), "uint8", [0, 127, 255]),
    ((10, 0, 4), "int64", [10, 6, 3, 0]),
    ((3, 3, 4), "uint8", [3, 3, 3, 3]),
    ((0, 1, 1), "int64", [0]),
    ((0, 5, 0), "int64", []),
], ids=helpers.ids)
def test_linspace_integer_dtypes(m, args, dtype, want):
    # torch computes in double (halves from both ends) and truncates.
    _is(m.linspace(*args, dtype=getattr(m, dtype)), want, dtype)


@pytest.mark.skipif(not HAVE_TORCH, reason="the reference is torch")
def test_linspace_integer_random_vs_torch():
    torch = helpers.torch
    rng = np.random.default_rng(11)
    for _ in range(40):
        dtype = ["int64", "int32", "uint8"][rng.integers(3)]
        lo, hi = (0, 256) if dtype == "uint8" else (-1000, 1000)
        start, end = (int(v) for v in rng.integers(lo, hi, 2))
        steps = int(rng.integers(1, 60))
        want = torch.linspace(start, end, steps, dtype=getattr(torch, dtype))
        got = fasttensor.linspace(start, end, steps, dtype=getattr(fasttensor, dtype))
        assert got.tolist() == want.tolist(), (start, end, steps, dtype)


# --- 10. scalar overflow checks ---------------------------------------------------------------

def _setitem_uint8(m):
    x = m.zeros(2, dtype=m.uint8)
    x[0] = 256


OVERFLOWS = [
    ("full_uint8_300", lambda m: m.full((2,), 300, dtype=m.uint8)),
    ("full_uint8_-256", lambda m: m.full((2,), -256, dtype=m.uint8)),
    ("fill_uint8_256", lambda m: m.zeros(2, dtype=m.uint8).fill_(256)),
    ("setitem_uint8_256", _setitem_uint8),
    ("masked_fill_int64_-inf", lambda m: m.tensor([1, 2]).masked_fill(m.tensor([True, False]), float("-inf"))),
    ("masked_fill_uint8_300", lambda m: m.tensor([1, 2], dtype=m.uint8).masked_fill(m.tensor([True, False]), 300)),
    ("full_float32_1e300", lambda m: m.full((1,), 1e300, dtype=m.float32)),
    ("full_int64_nan", lambda m: m.full((1,), float("nan"), dtype=m.int64)),
    ("full_int32_2**31", lambda m: m.full((2,), 2**31, dtype=m.int32)),
    ("fill_int32_2**31", lambda m: m.zeros(2, dtype=m.int32).fill_(2**31)),
    ("full_int64_2**63", lambda m: m.full((2,), 2**63, dtype=m.int64)),
    ("linspace_uint8_out_of_range", lambda m: m.linspace(-5, 300, 4, dtype=m.uint8)),
]


@libs
@pytest.mark.parametrize("name,fn", OVERFLOWS, ids=[o[0] for o in OVERFLOWS])
def test_scalar_overflow_raises(m, name, fn):
    with pytest.raises(RuntimeError, match=OVERFLOW):
        fn(m)


@libs
def test_scalar_conversions_that_wrap_or_saturate(m):
    # torch allows -1 .. -255 into uint8 (wraps) and inf into float32.
    _is(m.full((2,), -1, dtype=m.uint8), [255, 255], "uint8")
    _is(m.full((), -129, dtype=m.uint8), 127, "uint8")
    _is(m.full((1,), -255, dtype=m.uint8), [1], "uint8")
    _is(m.zeros(2, dtype=m.uint8).fill_(255), [255, 255], "uint8")
    _is(m.full((2,), float("inf"), dtype=m.float32), [math.inf, math.inf], "float32")
    _is(m.zeros(2, dtype=m.bool).fill_(5), [True, True], "bool")
    _is(m.tensor([1, 2], dtype=m.uint8).masked_fill(m.tensor([True, False]), -1), [255, 2], "uint8")


# --- 11. masked_fill keeps the tensor's dtype --------------------------------------------------

@libs
def test_masked_fill_keeps_dtype(m):
    _is(m.tensor([1, 2]).masked_fill(m.tensor([True, True]), 2.7), [2, 2], "int64")
    _is(m.tensor([1, 2], dtype=m.uint8).masked_fill(m.tensor([True, False]), 2.7), [2, 2], "uint8")
    _is(m.tensor([True, False]).masked_fill(m.tensor([False, True]), 2), [True, True], "bool")
    _is(m.tensor([1.0, 2.0]).masked_fill(m.tensor([True, False]), True), [1.0, 2.0], "float32")
    _is(m.tensor([1, 2]).masked_fill(m.tensor(True), 3), [3, 3], "int64")  # 0-d mask broadcasts
    _is(m.tensor([], dtype=m.int32).masked_fill(m.tensor([], dtype=m.bool), 1.5), [], "int32")


# --- 12. setitem drops leading size-1 dims of the value ------------------------------------------

@libs
def test_setitem_value_with_leading_unit_dims(m):
    x = m.zeros(3, 4)
    x[0] = m.ones(1, 4)
    x[1, 1] = m.tensor([5.0])
    x[2:] = m.ones(1, 1, 4) * 2
    _is(x, [[1.0] * 4, [0.0, 5.0, 0.0, 0.0], [2.0] * 4], "float32")
    x[:] = m.ones(1, 3, 4)
    _is(x, [[1.0] * 4] * 3, "float32")
    y = m.zeros(3)
    y[0] = m.ones(1, 1, 1) * 7  # 0-d target
    _is(y, [7.0, 0.0, 0.0], "float32")
    y[0:0] = m.ones(1, 0)  # empty
    _is(y, [7.0, 0.0, 0.0], "float32")
    with pytest.raises(RuntimeError):  # a non-unit leading dim is still an error
        y[:] = m.ones(2, 3)


# --- 13. NumPy operands -----------------------------------------------------------------------

@libs
@pytest.mark.filterwarnings("ignore:__array_wrap__:DeprecationWarning")  # torch's, under NumPy 2
def test_numpy_operands(m):
    # torch converts the ndarray to a tensor (a dimensioned one: it takes part in promotion).
    t = m.tensor([1.0, 2.0, 3.0])
    _is(t == np.array([1.0, 0.0, 3.0]), [True, False, True], "bool")
    _is(np.array([1.0, 0.0, 3.0]) == t, [True, False, True], "bool")
    _is(t + np.array([0.5, 0.5, 0.5]), [1.5, 2.5, 3.5], "float64")
    _is(t * np.array([2.0, 2.0, 2.0], dtype=np.float32), [2.0, 4.0, 6.0], "float32")
    _is(m.tensor([1, 2]) + np.array([1.5, 2.0]), [2.5, 4.0], "float64")
    _is(m.tensor([1, 2], dtype=m.int32) + np.array([1, 2]), [2, 4], "int64")
    _is(m.ones(2, 3) + np.ones(3), [[2.0] * 3] * 2, "float64")
    _is(t + np.array(1.5), [2.5, 3.5, 4.5], "float64")  # a 0-d ndarray too
    _is(t + np.float64(1.5), [2.5, 3.5, 4.5], "float32")  # a NumPy scalar is a Python number


def test_numpy_left_operand_arithmetic():
    # ndarray + tensor: fasttensor's reflected ops return a tensor with the same
    # dtype as tensor + ndarray. (torch 2.13's __radd__ refuses an ndarray:
    # TypeError, so this is checked by hand.)
    t = fasttensor.tensor([1.0, 2.0, 3.0])
    _is(np.array([0.5, 0.5, 0.5]) + t, [1.5, 2.5, 3.5], "float64")
    _is(np.array([2.0, 2.0, 2.0]) * t, [2.0, 4.0, 6.0], "float64")
    _is(np.array([4.0, 4.0, 4.0]) - t, [3.0, 2.0, 1.0], "float64")
    _is(np.array([1, 1], dtype=np.float32) + fasttensor.tensor([1, 2]), [2.0, 3.0], "float32")


# --- dims and sizes given as NumPy integers or 0-d tensors --------------------------------------

@pytest.mark.parametrize("m", LIBS, ids=LIB_IDS)
def test_dims_and_sizes_from_numpy_integers_and_0d_tensors(m):
    x = m.arange(6.0).reshape(2, 3)
    assert x.sum(np.int64(1)).tolist() == [3.0, 12.0]
    assert x.sum(m.tensor(0)).tolist() == [3.0, 5.0, 7.0]
    assert x.argmax(np.int32(1)).tolist() == [2, 2]
    assert tuple(m.ones(m.tensor(3)).shape) == (3,)
    assert tuple(m.zeros(np.int64(2), m.tensor(4)).shape) == (2, 4)
    # a tensor is never read as a list of sizes or of dims
    with pytest.raises(TypeError):
        m.ones(m.arange(3.0))
    with pytest.raises(TypeError):
        m.zeros(m.tensor(2.0))


# --- Python conversions, alpha, normal, empty contiguity, slice assignment overlap, Parameter copies

@pytest.mark.parametrize("m", LIBS, ids=LIB_IDS)
def test_float_and_int_of_several_elements_raise_value_error(m):
    with pytest.raises(ValueError, match="only one element tensors"):
        float(m.ones(2))
    with pytest.raises(ValueError, match="only one element tensors"):
        int(m.ones(0))
    assert float(m.tensor([2.5])) == 2.5 and int(m.tensor(7)) == 7


@pytest.mark.parametrize("m", LIBS, ids=LIB_IDS)
def test_float_alpha_with_integer_tensors_raises(m):
    x = m.tensor([1, 2])
    for call in (lambda: x.add(x, alpha=0.5), lambda: m.add(x, x, alpha=0.5), lambda: x.sub(x, alpha=1.5),
                 lambda: x.clone().add_(x, alpha=0.5)):
        with pytest.raises(RuntimeError, match="alpha must not be a floating point number"):
            call()
    assert x.add(x, alpha=2).tolist() == [3, 6]
    assert m.tensor([1.0, 2.0]).add(m.tensor([1.0, 1.0]), alpha=0.5).tolist() == [1.5, 2.5]


@pytest.mark.parametrize("m", LIBS, ids=LIB_IDS)
def test_normal_refuses_a_negative_std(m):
    with pytest.raises(RuntimeError, match="normal expects std >= 0.0"):
        m.normal(m.zeros(2), -1.0)
    with pytest.raises(RuntimeError, match="normal expects all elements of std >= 0.0"):
        m.normal(m.zeros(2), m.tensor([1.0, -1.0]))


@pytest.mark.parametrize("m", LIBS, ids=LIB_IDS)
def test_empty_tensors_are_contiguous(m):
    assert m.zeros(3, 0).is_contiguous() and m.zeros(3, 0).t().is_contiguous()
    assert m.zeros(4, 5)[:, 0:0].is_contiguous()
    assert not m.zeros(4, 5).t().is_contiguous()


@pytest.mark.parametrize("m", LIBS, ids=LIB_IDS)
def test_slice_assignment_from_an_overlapping_slice_raises(m):
    x = m.arange(5.0)
    with pytest.raises(RuntimeError, match="unsupported operation"):
        x[1:] = x[:-1]
    assert x.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]
    x[1:] = x[:-1].clone()
    assert x.tolist() == [0.0, 0.0, 1.0, 2.0, 3.0]


@pytest.mark.parametrize("m", LIBS, ids=LIB_IDS)
def test_deepcopy_of_a_parameter_drops_its_grad_and_of_a_tensor_keeps_it(m):
    import copy

    p = m.nn.Parameter(m.zeros(2))
    p.grad = m.ones(2)
    assert copy.deepcopy(p).grad is None
    t = m.zeros(2, requires_grad=True)
    t.grad = m.ones(2)
    assert copy.deepcopy(t).grad.tolist() == [1.0, 1.0]


@pytest.mark.parametrize("m", LIBS, ids=LIB_IDS)
def test_tensor_dtype_from_numpy_scalars_arrays_and_tensors_in_lists(m):
    """Inside a list, NumPy scalars/arrays and 0-d tensors keep their dtypes (promoted with the
    Python numbers'); a one-element tensor stands for its value; larger ones are refused."""
    cases = [([np.float64(1.5), 2], [1.5, 2.0], "float64"),
             ([np.array([1.0, 2]), np.array([3.0, 4])], [[1.0, 2.0], [3.0, 4.0]], "float64"),
             ([m.tensor(1, dtype=m.int32), m.tensor(2, dtype=m.int32)], [1, 2], "int32"),
             ([m.tensor([1.0])], [1.0], "float32"),
             ([np.int32(1), 2.5], [1.0, 2.5], "float32"),
             ([1, 2.5], [1.0, 2.5], "float32")]
    for data, values, dtype in cases:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch: "a list of numpy.ndarrays is extremely slow"
            t = m.tensor(data)
        assert t.tolist() == values and t.dtype == getattr(m, dtype)
    with pytest.raises(ValueError, match="only one element tensors"):
        m.tensor([m.ones(2), m.ones(2)])


@pytest.mark.parametrize("m", LIBS, ids=LIB_IDS)
def test_view_ops_take_their_keyword_arguments(m):
    x = m.ones(2, 3, 4)
    assert tuple(x.transpose(dim0=0, dim1=2).shape) == (4, 3, 2)
    assert tuple(x.permute(dims=(2, 0, 1)).shape) == (4, 2, 3)
    assert tuple(x.view(size=(6, 4)).shape) == (6, 4)
    assert tuple(x.reshape(shape=(4, 6)).shape) == (4, 6)
    assert tuple(x.expand(size=(2, 2, 3, 4)).shape) == (2, 2, 3, 4)
    with pytest.raises(TypeError):
        x.view(shape=(24,))


@pytest.mark.parametrize("m", LIBS, ids=LIB_IDS)
def test_integer_trunc_division_is_exact(m):
    a = m.tensor([2**31 - 1, -7, 7, -7, 6, 2**60 + 1])
    b = m.tensor([3, 2, -2, -2, 3, 1])
    assert a.div(b, rounding_mode="trunc").tolist() == [715827882, -3, -3, 3, 2, 2**60 + 1]
    assert m.tensor([2**31 - 1], dtype=m.int32).div(3, rounding_mode="trunc").tolist() == [715827882]
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        m.tensor([7]).div(0, rounding_mode="trunc")


@pytest.mark.parametrize("m", LIBS, ids=LIB_IDS)
def test_tensor_from_python_numbers_checks_integer_ranges(m):
    with pytest.raises(RuntimeError, match="value cannot be converted to type uint8 without overflow"):
        m.tensor([256], dtype=m.uint8)
    with pytest.raises(RuntimeError, match="value cannot be converted to type int64 without overflow"):
        m.tensor([float("inf")], dtype=m.int64)
    with pytest.raises(ValueError, match="Overflow when unpacking long"):
        m.tensor([2**63])
    assert m.tensor([-1, 255], dtype=m.uint8).tolist() == [255, 255]
    assert m.tensor([2**63], dtype=m.float32).item() == 2.0**63
    assert m.tensor(np.array([300]), dtype=m.uint8).tolist() == [44]  # arrays are cast as they are


@pytest.mark.parametrize("m", LIBS, ids=LIB_IDS)
def test_tensor_values_are_cast_not_range_checked(m):
    assert m.zeros(2, dtype=m.uint8).fill_(m.tensor(256)).tolist() == [0, 0]
    assert m.nan_to_num(m.tensor([float("inf")]), posinf=1e300).tolist() == [float("inf")]


# --- round 3 of the differential hunt: promotion with alpha, dtype= of reductions, bool inputs ---------

@libs
def test_alpha_scales_in_the_result_dtype(m):
    # 200 * 2 must not wrap in uint8 when the result is float; bool + bool stays bool.
    _is(m.add(m.tensor([1.0]), m.tensor([200], dtype=m.uint8), alpha=2), [401.0], "float32")
    _is(m.tensor([1.0]).sub(m.tensor([200], dtype=m.uint8), alpha=2), [-399.0], "float32")
    _is(m.add(m.tensor([True]), m.tensor([True]), alpha=2), [True], "bool")
    _is(m.add(m.tensor([1], dtype=m.int32), m.tensor([True]), alpha=2), [3], "int32")
    x = m.tensor([True, False])
    x.add_(m.tensor([True, True]), alpha=2)
    _is(x, [True, True], "bool")
    with pytest.raises(RuntimeError, match="Subtraction, the `-` operator, with a bool tensor"):
        m.sub(m.ones(2), m.tensor([True, False]), alpha=2)
    with pytest.raises(TypeError):  # alpha is keyword-only
        m.ones(2).add(m.ones(2), 3)


def test_numpy_arrays_of_foreign_byte_order_are_refused():
    # Read as native, their bytes would give other numbers (16777216 for 1).
    for m in LIBS:
        for a in (np.array([1, 2], dtype=">i4"), np.array([1.5, -2.0], dtype=">f8")):
            for make in (m.from_numpy, m.tensor, m.as_tensor):
                with pytest.raises(ValueError, match="byte order different from the native byte order"):
                    make(a)
        _is(m.tensor(np.array([1, 2], dtype=">i4").astype("=i4")), [1, 2], "int32")


@libs
def test_clamp_with_a_nan_bound_gives_nan(m):
    x = m.tensor([1.0, 2.0])
    for r in (m.clamp(x, min=float("nan")), m.clamp(x, max=float("nan")), x.clamp(0.0, float("nan")),
              m.clamp(x, min=m.tensor(float("nan"))), m.clamp(x, max=m.tensor([float("nan"), 5.0]))):
        assert np.isnan(r.numpy()[0])
    assert m.clamp(x, max=m.tensor([float("nan"), 5.0])).tolist()[1] == 2.0
    y = x.clone()
    y.clamp_(min=float("nan"))
    assert np.isnan(y.numpy()).all()


@libs
def test_trunc_division_converts_the_divisor_first(m):
    # -2 as uint8 is 254.
    _is(m.div(m.tensor([1, 5, 200], dtype=m.uint8), -2, rounding_mode="trunc"), [0, 0, 0], "uint8")
    _is(m.div(m.tensor([-7, 7]), -2, rounding_mode="trunc"), [3, -3], "int64")


@libs
def test_reduction_dtype_argument_on_integers_and_bools(m):
    t = m.tensor([1, 2, 3], dtype=m.int32)
    _is(m.prod(t, dtype=m.int32), 6, "int32")
    _is(t.prod(0, dtype=m.uint8), 6, "uint8")
    _is(m.tensor([2, 0]).prod(dtype=m.bool), False, "bool")
    _is(m.tensor([2, 3]).prod(dtype=m.bool), True, "bool")
    _is(m.tensor([[True, False], [False, False]]).sum(1, dtype=m.bool), [True, False], "bool")
    _is(m.tensor([0, 0, 3], dtype=m.uint8).sum(dtype=m.bool), True, "bool")


@libs
def test_unary_ops_on_bool_tensors(m):
    b = m.tensor([True, False])
    _is(m.square(b), [1, 0], "int64")
    _is(m.clamp(b, 0, 1), [1, 0], "int64")
    _is(b.clamp(min=0), [1, 0], "int64")
    _is(m.sign(b), [True, False], "bool")
    for name, kernel in (("abs", "abs_cpu"), ("floor", "floor_vml_cpu"), ("ceil", "ceil_vml_cpu"),
                         ("round", "round_vml_cpu"), ("trunc", "trunc_vml_cpu")):
        with pytest.raises(NotImplementedError, match=f'"{kernel}" not implemented for \'Bool\''):
            getattr(m, name)(b)
    with pytest.raises(RuntimeError, match="Boolean inputs not supported for relu"):
        m.relu(b)
    with pytest.raises(RuntimeError, match=r"The `\+` operator, on a bool tensor is not supported"):
        +b


@libs
def test_legacy_constructors(m):
    _is(m.Tensor([1, 2]), [1.0, 2.0], "float32")
    _is(m.Tensor([[1, 2], [3, 4]]), [[1.0, 2.0], [3.0, 4.0]], "float32")
    assert tuple(m.Tensor(2, 3).shape) == (2, 3) and m.Tensor(2, 3).dtype == m.float32
    assert tuple(m.Tensor(m.Size([4, 1])).shape) == (4, 1)
    assert tuple(m.Tensor().shape) == (0,)
    _is(m.Tensor((2, 3)), [2.0, 3.0], "float32")
    _is(m.LongTensor([1, 2]), [1, 2], "int64")
    _is(m.DoubleTensor([1]), [1.0], "float64")
    assert tuple(m.IntTensor(3).shape) == (3,) and m.IntTensor(3).dtype == m.int32
    _is(m.BoolTensor([1, 0]), [True, False], "bool")
    _is(m.ByteTensor([255]), [255], "uint8")
    _is(m.LongTensor(m.tensor([1, 2])), [1, 2], "int64")
    with pytest.raises(TypeError):
        m.LongTensor(m.tensor([1.0]))
    for bad in (2.5, None, "a"):
        with pytest.raises(TypeError, match="new\\(\\)"):
            m.Tensor(bad)
    assert isinstance(m.ones(2), m.FloatTensor) and not isinstance(m.ones(2), m.LongTensor)
    assert isinstance(m.ones(2, dtype=m.int64), m.LongTensor)
    _is(m.ones(2).type(m.LongTensor), [1, 1], "int64")
    assert m.ones(2).long().type().endswith(".LongTensor")
    assert repr(m.FloatTensor) == f"<class '{m.__name__}.FloatTensor'>"


@libs
def test_messages_name_the_types_and_dims_as_torch(m):
    t = m.tensor([1 / 3, 2 / 3])
    with pytest.raises(TypeError, match=r"^unsupported format string passed to Tensor\.__format__$"):
        f"{t:.2f}"
    with pytest.raises(AttributeError, match=r"^'Tensor' object has no attribute 'foo'$"):
        t.foo
    x = m.ones(4, 784)
    with pytest.raises(IndexError, match=r"^index 784 is out of bounds for dimension 1 with size 784$"):
        x[0, 784]
    with pytest.raises(IndexError, match=r"^index 5 is out of bounds for dimension 0 with size 4$"):
        x[5]
    with pytest.raises(IndexError, match=r"^index 9 is out of bounds for dimension 1 with size 3$"):
        m.ones(2, 2, 3)[..., 9]  # torch counts the items of the index, not the dims
    with pytest.raises(RuntimeError, match=r"The size of tensor a \(3\) must match the size of tensor b \(2\) at "
                                           r"non-singleton dimension 1"):
        m.ones(2, 3) + m.ones(3, 2)
    y_hat = m.tensor([[.1, .3, .6], [.3, .2, .5], [.2, .2, .6]])
    with pytest.raises(IndexError, match=r"shape mismatch: indexing tensors could not be broadcast together with "
                                         r"shapes \[3\], \[2\]"):
        y_hat[list(range(3)), m.tensor([0, 2])]


@libs
def test_matmul_dtype_messages(m):
    a, b = m.ones(2, 3), m.ones(3, 2, dtype=m.int64)
    with pytest.raises(RuntimeError, match=r"expected m1 and m2 to have the same dtype, but got: float != long int"):
        a @ b
    with pytest.raises(RuntimeError, match=r"expected m1 and m2 to have the same dtype, but got: float != long int"):
        a.mm(b)
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 must have the same dtype, but got Long and Float"):
        m.nn.Linear(3, 4)(m.ones(2, 3, dtype=m.int64))
    with pytest.raises(RuntimeError, match=r"expected scalar type Float but found Double"):
        m.bmm(m.ones(1, 2, 3), m.ones(1, 3, 2, dtype=m.float64))


@libs
def test_amax_of_everything_records_amax_backward(m):
    x = m.ones(3, requires_grad=True)
    assert x.amax().grad_fn.name() == "AmaxBackward0" and x.amin().grad_fn.name() == "AminBackward0"
    assert x.max().grad_fn.name() == "MaxBackward1" and x.min().grad_fn.name() == "MinBackward1"


@libs
def test_in_place_division_with_a_rounding_mode(m):
    x = m.tensor([7, -7])
    x.div_(2, rounding_mode="floor")
    _is(x, [3, -4], "int64")
    y = m.tensor([7.5, -7.5])
    y.div_(2, rounding_mode="trunc")
    _is(y, [3.0, -3.0], "float32")
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        m.tensor([7]).div_(2.5, rounding_mode="floor")


@libs
def test_in_place_view_ops_and_resize(m):
    z = m.arange(6.0).reshape(2, 3)
    assert z.t_() is z and tuple(z.shape) == (3, 2) and z.stride() == (1, 3)
    _is(z, [[0.0, 3.0], [1.0, 4.0], [2.0, 5.0]], "float32")
    z.transpose_(0, 1)
    z.unsqueeze_(0)
    assert tuple(z.shape) == (1, 2, 3)
    z.squeeze_()
    _is(z, [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]], "float32")
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place operation"):
        m.ones(2, requires_grad=True).unsqueeze_(0)
    x = m.ones(2, 3, requires_grad=True)
    y = x * 2
    y.unsqueeze_(0)
    assert tuple(y.shape) == (1, 2, 3)
    (y * m.arange(3.0)).sum().backward()
    _is(x.grad, [[0.0, 2.0, 4.0], [0.0, 2.0, 4.0]], "float32")
    r = m.arange(6.0)
    r.resize_(2, 3)
    _is(r, [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]], "float32")
    r.resize_(4)
    _is(r, [0.0, 1.0, 2.0, 3.0], "float32")
    with pytest.raises(RuntimeError, match="cannot resize variables that require grad"):
        m.ones(2, requires_grad=True).resize_(3)


@libs
def test_round_with_decimals(m):
    _is(m.round(m.tensor([0.125, 0.375, -2.5]), decimals=2), [0.11999999731779099, 0.3799999952316284, -2.5],
        "float32")
    _is(m.tensor([1234.5, 1250.0]).round(decimals=-2), [1200.0, 1200.0], "float32")
    _is(m.round(m.tensor([1.5, 2.5])), [2.0, 2.0], "float32")
    _is(m.round(m.tensor([3, 4])), [3, 4], "int64")
    with pytest.raises(NotImplementedError, match="\"round_cpu\" not implemented for 'Long'"):
        m.round(m.tensor([1, 2]), decimals=1)


@libs
def test_small_apis_device_selection_code_uses(m):
    assert m.backends.mps.is_available() is False
    assert isinstance(m.initial_seed(), int)
    assert m.version.__version__
    t = m.ones(3)
    assert t.nbytes == 12 and t.itemsize == 4 and m.ones(2, dtype=m.float64).nbytes == 16
    assert t.layout == m.strided and repr(m.strided) == f"{m.__name__}.strided"
    assert t.get_device() == -1
    assert m.float32.is_signed and m.int64.is_signed and not m.uint8.is_signed and not m.bool.is_signed


@libs
def test_size_arithmetic_gives_sizes(m):
    s = m.ones(2, 3).shape
    for r, want in (((1,) + s, (1, 2, 3)), (s + (4,), (2, 3, 4)), (s * 2, (2, 3, 2, 3)), (2 * s, (2, 3, 2, 3)),
                    (s[::-1], (3, 2))):
        assert type(r) is type(s) and tuple(r) == want
    with pytest.raises(TypeError):
        s + [4]


@libs
def test_grad_mode_context_binds_none_and_parameter_formats_as_object(m):
    with m.no_grad() as g:
        assert g is None
    with m.enable_grad() as g:
        assert g is None
    with m.set_grad_enabled(False) as g:
        assert g is None
    p = m.nn.Parameter(m.tensor(1.5))
    assert f"{p}" == str(p) and f"{p}".startswith("Parameter containing:")
    with pytest.raises(TypeError, match="unsupported format string passed to Parameter.__format__"):
        f"{p:.2f}"
    assert f"{m.tensor(1.5):.2f}" == "1.50"


@libs
def test_views_made_under_no_grad_show_requires_grad_but_carry_no_gradient(m):
    x = m.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    with m.no_grad():
        views = [x[0], x.reshape(4), x.T, x.view(2, 2), x.unsqueeze(0), x[:, 1]]
        not_views = [x.detach(), x * 2]
    for v in views:
        assert v.requires_grad and v.is_leaf and v.grad_fn is None
        assert repr(v).endswith("requires_grad=True)")
    assert not any(t.requires_grad for t in not_views)
    (views[0] * 2).sum().backward()  # nothing to reach: no error, no gradient anywhere
    assert x.grad is None and views[0].grad is None
    w = views[1] + 1
    assert w.requires_grad and w.grad_fn is not None
    with pytest.raises(RuntimeError, match="A view was created in no_grad mode and is being modified inplace with "
                                           "grad mode enabled"):
        views[0].mul_(2)
    with m.no_grad():
        views[0].mul_(2)  # inside no_grad it is allowed
    _is(x.detach(), [[2.0, 4.0], [3.0, 4.0]], "float32")


BAD_DATA = [
    ("[[1, 2], [3]]", ValueError, r"expected sequence of length 2 at dim 1 \(got 1\)"),
    ("[[1, 2], [3, 4, 5]]", ValueError, r"expected sequence of length 2 at dim 1 \(got 3\)"),
    ("[[[1], [2]], [[3]]]", ValueError, r"expected sequence of length 2 at dim 1 \(got 1\)"),
    ("[1, None]", RuntimeError, "Could not infer dtype of NoneType"),
    ("['a']", ValueError, "too many dimensions 'str'"),
    ("[1, [2]]", TypeError, "'list' object cannot be interpreted as an integer"),
    ("[[1], 2]", TypeError, "not a sequence"),
    ("2**64", ValueError, "Overflow when unpacking long long"),
    ("[-2**63 - 1]", ValueError, "Overflow when unpacking long long"),
    ("{1: 2}", RuntimeError, "Could not infer dtype of dict"),
    ("{1, 2}", RuntimeError, "Could not infer dtype of set"),
    ("iter([1, 2])", RuntimeError, "Could not infer dtype of list_iterator"),
    ("[m.tensor([1, 2]), m.tensor([3, 4])]", TypeError,
     "only integer tensors of a single element can be converted to an index"),
]


@libs
@pytest.mark.parametrize("case", range(len(BAD_DATA)))
def test_tensor_of_bad_data_raises_as_torch(m, case):
    source, error, message = BAD_DATA[case]
    with pytest.raises(error, match=message):
        m.tensor(eval(source))


@libs
def test_huge_python_ints_fit_a_float_dtype(m):
    _is(m.tensor(2**64, dtype=m.float32), 1.8446744073709552e19, "float32")
    _is(m.tensor([2**70, 1], dtype=m.float64), [1.1805916207174113e21, 1.0], "float64")


# --- round 4: silent results of to(copy=True), out=, foreign NumPy dtypes; small APIs ---------------------

@libs
def test_to_with_copy_gives_a_new_tensor(m):
    x = m.tensor([1, 2, 3])
    for y in (x.to("cpu", copy=True), x.to(copy=True), x.to(m.int64, copy=True), x.to(m.int64, False, True)):
        assert y is not x
        y[0] = 100
    _is(x, [1, 2, 3], "int64")
    assert x.to(m.int64) is x and x.to("cpu") is x


@libs
def test_out_argument_of_creation_and_matmul_family(m):
    o = m.ones(2)
    r = m.zeros(2, out=o)
    assert r is o
    _is(o, [0.0, 0.0], "float32")
    i = m.empty(0, dtype=m.int64)
    m.ones(3, out=i)
    _is(i, [1, 1, 1], "int64")
    t = m.ones(2, 3)
    y = m.empty(2, 2)
    assert m.matmul(t, t.T, out=y) is y
    _is(y, [[3.0, 3.0], [3.0, 3.0]], "float32")
    c = m.empty(0)
    m.cat([m.ones(2), m.zeros(1)], out=c)
    _is(c, [1.0, 1.0, 0.0], "float32")
    s = m.empty(0)
    m.stack([m.ones(2), m.zeros(2)], out=s)
    assert tuple(s.shape) == (2, 2)
    with pytest.warns(UserWarning, match="An output with one or more elements was resized"):
        m.matmul(t, t.T, out=m.ones(3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        grown = m.ones(2)
        m.ones(3, out=grown)  # creation functions resize silently
        assert tuple(grown.shape) == (3,)
    x = m.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="out=... arguments don't support automatic differentiation"):
        m.mm(x.view(1, 2), x.view(2, 1), out=m.empty(1, 1))


@libs
def test_numpy_arrays_of_unsupported_dtypes(m):
    for arr in (np.array([1, "a"], dtype=object), np.array(["1", "2"])):
        with pytest.raises(TypeError, match="can't convert np.ndarray of type numpy"):
            m.tensor(arr)


def test_uint64_arrays_past_int64_are_refused_not_wrapped():
    with pytest.raises(TypeError, match="uint64"):
        fasttensor.tensor(np.array([2**64 - 1], dtype=np.uint64))
    _is(fasttensor.tensor(np.array([5], dtype=np.uint64)), [5], "int64")


@libs
def test_checkpoints_with_devices_load_under_weights_only(m, tmp_path):
    path = str(tmp_path / "ckpt.pt")
    m.save({"device": m.device("cpu"), "w": m.ones(2)}, path)
    loaded = m.load(path)
    assert loaded["device"] == m.device("cpu") and loaded["w"].tolist() == [1.0, 1.0]


@libs
def test_constants_determinism_switches_rng_state_and_accelerator(m):
    assert (m.pi, m.e, m.inf) == (math.pi, math.e, math.inf) and math.isnan(m.nan)
    m.backends.cudnn.deterministic = True
    m.backends.cudnn.benchmark = False
    m.use_deterministic_algorithms(True)
    assert m.are_deterministic_algorithms_enabled()
    m.use_deterministic_algorithms(False)
    m.manual_seed(3)
    state = m.get_rng_state()
    a = m.rand(3)
    m.set_rng_state(state)
    assert m.equal(a, m.rand(3)) and state.dtype == m.uint8
    assert m.accelerator.is_available() == m.cuda.is_available()


@libs
def test_legacy_new_variable_and_small_modules(m):
    x = m.ones(2, 3)
    assert tuple(x.new(2).shape) == (2,) and x.new().numel() == 0
    _is(x.new([1, 2]), [1.0, 2.0], "float32")
    v = m.autograd.Variable(x, requires_grad=True)
    assert v is not x and v.requires_grad and v.is_leaf and not x.requires_grad
    z = m.ones(2)
    z.resize_as_(m.ones(2, 2))
    assert tuple(z.shape) == (2, 2)
    y = m.tensor([1.234, 5.678])
    y.round_(decimals=1)
    np.testing.assert_allclose(y.numpy(), [1.2, 5.7], rtol=1e-6)
    assert repr(m.nn.CosineSimilarity()) == "CosineSimilarity()" and repr(m.nn.PairwiseDistance()) == "PairwiseDistance()"
    np.testing.assert_allclose(m.nn.CosineSimilarity(dim=0)(m.tensor([1.0, 0.0]), m.tensor([1.0, 1.0])).item(),
                               2 ** -0.5, rtol=1e-6)
    np.testing.assert_allclose(m.nn.PairwiseDistance()(m.tensor([[0.0, 0.0]]), m.tensor([[3.0, 4.0]])).item(), 5.0,
                               rtol=1e-5)
    w = m.empty(3, 5)
    m.nn.init.eye_(w)
    assert w.tolist() == np.eye(3, 5).tolist()
    t = m.empty(20000)
    m.nn.init.trunc_normal_(t, std=0.02, a=-0.04, b=0.04)
    assert -0.04 <= t.min().item() and t.max().item() <= 0.04 and abs(t.std().item() - 0.0176) < 0.001


@libs
def test_round4_function_edges(m):
    i = m.tensor([1, 4], dtype=m.int32)
    _is(m.addcmul(i, i, i, value=2.5), [3, 36], "int32")  # value taken as the int 2, as torch
    _is(m.addmm(m.tensor([[1]]), m.tensor([[1]]), m.tensor([[2]]), beta=0.5), [[2]], "int64")
    w = m.tensor([1, 2, 3])
    with pytest.raises(RuntimeError, match="fweights cannot be negative"):
        m.cov(m.rand(2, 3), fweights=-w)
    with pytest.raises(RuntimeError, match="aweights cannot be negative"):
        m.cov(m.rand(2, 3), aweights=-w.float())
    _is(m.quantile(m.tensor(1.0), 0.3, 0, True), 1.0, "float32")
    with pytest.raises(RuntimeError, match=r"quantile\(\) input tensor must be non-empty"):
        m.quantile(m.ones(2, 0, 3), 0.3, 0)


@libs
def test_in_place_index_ops_refuse_to_read_what_they_write(m):
    a = m.arange(6.0).reshape(3, 2)
    idx = m.tensor([0, 1])
    message = "some elements of the input tensor and the written-to tensor refer to a single memory location"
    for op in (lambda: a.index_add_(0, idx, a[:2]), lambda: a.index_add_(0, idx, a[1:]),
               lambda: a.index_copy_(0, idx, a[:2]),
               lambda: a.scatter_add_(0, m.zeros(2, 2, dtype=m.int64), a[:2])):
        with pytest.raises(RuntimeError, match=message):
            op()
    _is(a, [[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]], "float32")  # left unchanged
    a.index_add_(0, idx, a[:2].clone())
    _is(a, [[0.0, 2.0], [4.0, 6.0], [4.0, 5.0]], "float32")


@pytest.mark.parametrize("name", ["argmax", "flatten", "zeros_like", "cumsum", "topk", "clone", "sort", "diag",
                                  "unique", "logsumexp", "where"])
def test_function_forms_refuse_a_list_with_torchs_type_error(name):
    # a list reached a method call (AttributeError); PyTorch says which argument must be a Tensor
    param = "condition" if name == "where" else "input"
    with pytest.raises(TypeError, match=rf"{name}\(\): argument '{param}' \(position 1\) must be Tensor, not list"):
        getattr(fasttensor, name)([1, 2, 3])
    assert fasttensor.argmax(input=fasttensor.tensor([1, 3, 2])).item() == 1  # keyword form still works


def test_dim_functions_take_numpys_axis_and_keepdims():
    # as PyTorch's argument parser: torch.cat((X, Y), axis=1), x.softmax(axis=1), x.amax(axis=0, keepdims=True)
    x = fasttensor.tensor([[3.0, 1.0, 2.0], [0.0, 5.0, 4.0]])
    assert tuple(fasttensor.cat((x, x), axis=1).shape) == (2, 6)
    assert tuple(fasttensor.stack((x, x), axis=1).shape) == (2, 2, 3)
    assert x.softmax(axis=1).sum(1).tolist() == pytest.approx([1.0, 1.0])
    assert x.amax(axis=0, keepdims=True).tolist() == [[3.0, 5.0, 4.0]]
    assert x.sort(axis=1).values.tolist() == [[1.0, 2.0, 3.0], [0.0, 4.0, 5.0]]
    assert x.topk(1, axis=1).values.tolist() == [[3.0], [5.0]]
    assert fasttensor.cumprod(x, axis=0).tolist() == [[3.0, 1.0, 2.0], [0.0, 5.0, 8.0]]
    assert x.index_select(axis=1, index=fasttensor.tensor([0])).tolist() == [[3.0], [0.0]]
    with pytest.raises(TypeError, match="cat\\(\\) got an unexpected keyword argument 'axis'"):
        fasttensor.cat((x, x), dim=0, axis=1)


def test_dtype_unsupported_kernels_raise_not_implemented_error():
    # torch's dispatch raises NotImplementedError (a RuntimeError subclass) naming its kernel
    x = fasttensor.tensor([[1, 0], [0, 1]])
    for f, kernel in ((lambda: x.softmax(1), "softmax_lastdim_kernel_impl"),
                      (lambda: x.softmax(0), "softmax_kernel_impl"),
                      (lambda: x.log_softmax(1), "log_softmax_lastdim_kernel_impl"),
                      (lambda: fasttensor.rand(2, dtype=fasttensor.int64), "check_uniform_bounds"),
                      (lambda: fasttensor.empty(2, dtype=fasttensor.uint8).normal_(), "normal_kernel_cpu")):
        with pytest.raises(NotImplementedError, match=f'"{kernel}" not implemented for'):
            f()


# --- the type names Python's own messages show ------------------------------------------------------

@libs
@pytest.mark.parametrize("make,name", [(lambda m: m.arange(3).shape, "Size"), (lambda m: m.float32, "dtype"),
                                       (lambda m: m.device("cpu"), "device"), (lambda m: m.finfo(m.float32), "finfo"),
                                       (lambda m: m.iinfo(m.int64), "iinfo")], ids=["Size", "dtype", "device",
                                                                                    "finfo", "iinfo"])
def test_types_are_named_as_the_librarys_own(m, make, name):
    obj = make(m)
    lib = m.__name__
    with pytest.raises(TypeError) as err:
        obj()  # the notes' x.shape()
    assert str(err.value) == f"'{lib}.{name}' object is not callable"
    assert repr(type(obj)) == f"<class '{lib}.{name}'>" and type(obj).__name__ == name
    assert type(obj).__module__ == lib


@libs
def test_grad_mode_decorator_needs_a_function(m):
    with pytest.raises(TypeError, match=r"^_DecoratorContextManager.__call__\(\) missing 1 required positional "
                                        r"argument: 'orig_func'$"):
        m.no_grad()()


@libs
def test_alpha_times_a_python_number_is_computed_in_the_result_dtype(m):
    t = m.tensor([2.441], dtype=m.float64)
    # 2.441 + 2 * 0.1 in float64: 0.2 must not pass through float32 (2.641000002980232).
    assert t.add(0.1, alpha=2).item() == 2.441 + 2 * 0.1
    assert t.sub(0.1, alpha=3).item() == 2.441 - 3 * 0.1
    assert m.add(t, 0.1, alpha=2).item() == 2.441 + 2 * 0.1
    assert t.clone().add_(0.1, alpha=2).item() == 2.441 + 2 * 0.1
    assert m.sub(t, 0.1, alpha=2).item() == 2.441 - 2 * 0.1
    _is(m.tensor([1], dtype=m.uint8).add(200, alpha=2), [145], "uint8")  # 1 + 400, wrapped in uint8
    _is(m.tensor([1.5]).add(m.tensor(0.1, dtype=m.float64), alpha=3), [float(np.float32(1.5) + np.float32(3) *
                                                                          np.float32(0.1))], "float32")


# --- shifts ---------------------------------------------------------------------------------------

@libs
def test_shift_operators_and_functions(m):
    t = m.tensor([1, -8, 5, 7])
    _is(t << 2, [4, -32, 20, 28], "int64")
    _is(t >> 1, [0, -4, 2, 3], "int64")  # arithmetic: -8 >> 1 is -4
    # A shift by the width or more, or by a negative amount: 0, or the sign for a right shift.
    _is(t << 64, [0, 0, 0, 0], "int64")
    _is(t >> 64, [0, -1, 0, 0], "int64")
    _is(t << -1, [0, 0, 0, 0], "int64")
    _is(t >> -1, [0, -1, 0, 0], "int64")
    _is(t << 63, [-2 ** 63, 0, -2 ** 63, -2 ** 63], "int64")
    _is(t << m.tensor([0, 1, 2, 70]), [1, -16, 20, 0], "int64")
    _is(m.tensor([1, 200], dtype=m.uint8) << 1, [2, 144], "uint8")  # wraps
    _is(m.tensor([1, 200], dtype=m.uint8) >> 9, [0, 0], "uint8")
    _is(m.tensor([-5], dtype=m.int32) >> 40, [-1], "int32")
    _is(m.tensor([5], dtype=m.int32) << 31, [-2 ** 31], "int32")
    _is(m.tensor([True]) << 1, [2], "int64")
    _is(2 << m.tensor([1, 2]), [4, 8], "int64")
    _is(64 >> m.tensor([1, 2]), [32, 16], "int64")
    _is(m.bitwise_left_shift(t, 1), [2, -16, 10, 14], "int64")
    _is(m.bitwise_right_shift(t, m.tensor(1)), [0, -4, 2, 3], "int64")
    _is(t.bitwise_left_shift(1), [2, -16, 10, 14], "int64")
    x = t.clone()
    assert x.bitwise_right_shift_(1) is x and x.tolist() == [0, -4, 2, 3]
    x <<= 2
    _is(x, [0, -16, 8, 12], "int64")
    x >>= 1
    _is(x, [0, -8, 4, 6], "int64")
    _is(t[1::2] << 1, [-16, 14], "int64")  # a strided view
    for bad, dtype in [(lambda: m.tensor([1.5]) << 1, "Float"), (lambda: m.tensor([1]) >> 1.5, "Float"),
                       (lambda: m.tensor([True]) << m.tensor([True]), "Bool")]:
        with pytest.raises(NotImplementedError, match=f"not implemented for '{dtype}'"):
            bad()


@libs
def test_in_place_ops_check_the_result_type_before_the_ops_own_dtype_rules(m):
    t = m.tensor([1, 2])
    for op in (lambda: t.bitwise_or_(0.5), lambda: t.__ior__(0.5), lambda: t.__ilshift__(m.tensor([1.0])),
               lambda: t.div_(2)):
        with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
            op()
    assert t.tolist() == [1, 2]


# --- signed zeros and the edges of pow ---------------------------------------------------------------

def _bits(values):
    """Values with the sign of zero visible (-0.0 vs 0.0) and NaN as a string, for exact comparisons."""
    return [("nan" if math.isnan(v) else (v, math.copysign(1.0, v))) for v in values]


@libs
def test_pow_edges_follow_pytorchs_python_number_forms(m):
    x = m.tensor([-math.inf, -0.0, 0.0, 4.0])
    # A Python number exponent: 0.5 is sqrt, -0.5 is 1 / sqrt, -1 is the reciprocal.
    assert _bits((x ** 0.5).tolist()) == _bits([math.nan, -0.0, 0.0, 2.0])
    assert _bits((x ** -0.5).tolist()) == _bits([math.nan, -math.inf, math.inf, 0.5])
    assert _bits((x ** -1).tolist()) == _bits([-0.0, -math.inf, math.inf, 0.25])
    # A tensor exponent (0-d too) is pow's: (-inf) ** 0.5 = inf, (-0) ** 0.5 = +0.
    assert _bits(m.pow(x, m.tensor(0.5)).tolist()) == _bits([math.inf, 0.0, 0.0, 2.0])
    assert _bits(m.pow(x, m.tensor([0.5])).tolist()) == _bits([math.inf, 0.0, 0.0, 2.0])
    assert _bits(m.pow(x, m.tensor(-0.5)).tolist()) == _bits([0.0, math.inf, math.inf, 0.5])
    _is(m.tensor([4, 9]) ** 0.5, [2.0, 3.0], "float32")
    y = m.tensor([4.0, 9.0], dtype=m.float64, requires_grad=True)
    z = y ** 0.5
    node = z.grad_fn.name() if m.__name__ == "fasttensor" else type(z.grad_fn).__name__
    assert node == "PowBackward0"
    z.sum().backward()
    assert y.grad.tolist() == [0.25, 1 / 6]


@libs
def test_maximum_minimum_ties_and_relu_keep_signed_zeros(m):
    a = m.tensor([-0.0, 0.0, -0.0, math.nan, 1.0])
    b = m.tensor([0.0, -0.0, -0.0, 1.0, math.nan])
    # A tie gives the first operand; NaN propagates from either.
    assert _bits(m.maximum(a, b).tolist()) == _bits([-0.0, 0.0, -0.0, math.nan, math.nan])
    assert _bits(m.minimum(a, b).tolist()) == _bits([-0.0, 0.0, -0.0, math.nan, math.nan])
    assert _bits(m.maximum(b, a).tolist()) == _bits([0.0, -0.0, -0.0, math.nan, math.nan])
    assert _bits(m.relu(m.tensor([-0.0, 0.0, math.nan, -1.0, 2.0])).tolist()) == _bits([-0.0, 0.0, math.nan, 0.0, 2.0])
    _is(m.relu(m.tensor([3, 0, 7], dtype=m.uint8)), [3, 0, 7], "uint8")
    _is(m.relu(m.tensor([-3, 0, 7])), [0, 0, 7], "int64")


# --- indexing: bool scalars, lists of floats, a one-element value under a mask ----------------------

@libs
def test_a_bool_index_is_an_advanced_index(m):
    a = m.arange(12).reshape(3, 4)
    assert tuple(a[True].shape) == (1, 3, 4) and tuple(a[False].shape) == (0, 3, 4)
    assert tuple(a[True, [0]].shape) == (1, 4) and a[True, [0]].tolist() == [[0, 1, 2, 3]]
    assert tuple(a[None, True].shape) == (1, 1, 3, 4)
    b = m.arange(3)
    b[True].zero_()  # a copy, not a view
    assert b.tolist() == [0, 1, 2]
    b[True] = 7
    assert b.tolist() == [7, 7, 7]
    b[False] = 9
    assert b.tolist() == [7, 7, 7]


@libs
def test_a_list_of_floats_indexes_as_longs(m):
    a = m.arange(24).reshape(2, 3, 4)
    assert tuple(a[[1.0]].shape) == (1, 3, 4) and a[[1.7]].tolist() == a[[1]].tolist()
    assert a[np.array([1.0, 0.0])].tolist() == a[[1, 0]].tolist()
    with pytest.raises(IndexError, match="tensors used as indices must be long, int, byte or bool tensors"):
        a[m.tensor([1.0])]


@libs
def test_one_element_value_under_a_mask_is_cast_as_a_number(m):
    for value, want in [(m.tensor([5]), [5.0, 5.0, 5.0]), (m.tensor(5.5, dtype=m.float64), [5.5] * 3),
                        (m.tensor([[5]]), [5.0] * 3)]:
        b = m.zeros(3)
        b[b < 1] = value
        _is(b, want, "float32")
    c = m.zeros(2, 3)
    c[:, m.tensor([True, False, True])] = m.tensor([7])
    _is(c, [[7.0, 0.0, 7.0], [7.0, 0.0, 7.0]], "float32")
    d = m.zeros(3, dtype=m.int64)
    d[d < 1] = m.tensor([7.9])
    _is(d, [7, 7, 7], "int64")
    e = m.zeros(3, dtype=m.uint8)
    with pytest.raises(RuntimeError, match=OVERFLOW):
        e[e < 1] = m.tensor([300])
    assert e.tolist() == [0, 0, 0]
    # Other advanced indices still need the destination's dtype.
    with pytest.raises(RuntimeError, match="Index put requires the source and destination dtypes match, got "
                                           "Float for the destination and Long for the source."):
        m.zeros(3)[m.tensor([0, 1])] = m.tensor([5])
    with pytest.raises(RuntimeError, match="Index put requires the source and destination dtypes match"):
        m.zeros(3)[m.tensor([True, False, True])] = m.tensor([5, 6])
    # With autograd the value keeps its gradient: one per element it filled.
    x = m.zeros(3, requires_grad=True).clone()
    v = m.tensor([2.0], dtype=m.float64, requires_grad=True)
    x[x < 1] = v
    x.sum().backward()
    assert v.grad.tolist() == [3.0] and v.grad.dtype == m.float64


# --- bool operands, integer exponents, where's numbers, number / tensor -------------------------------

@libs
def test_bool_operands_without_a_kernel_raise_as_pytorch_even_when_empty(m):
    for shape in [(1,), (0,)]:
        b = m.ones(shape, dtype=m.bool)
        for call, kernel in [(lambda: b % b, "remainder_cpu"), (lambda: b // b, "div_floor_cpu"),
                             (lambda: m.fmod(b, b), "fmod_cpu"), (lambda: m.div(b, b, rounding_mode="trunc"), "div_trunc_cpu"),
                             (lambda: m.div(b, b, rounding_mode="floor"), "div_floor_cpu"), (lambda: b ** b, "pow"),
                             (lambda: b.clone().pow_(b), "pow"), (lambda: b.clamp(min=False), "clamp_min_scalar_cpu"),
                             (lambda: b.clamp(max=True), "clamp_max_scalar_cpu"), (lambda: b.clamp(False, True), "clamp_scalar_cpu")]:
            with pytest.raises(NotImplementedError, match=f"^\"{kernel}\" not implemented for 'Bool'$"):
                call()
    # A number of another kind lifts the bool first: these have kernels.
    t = m.tensor([True, False])
    _is(t ** 2, [1, 0], "int64")
    _is(t % 2, [1, 0], "int64")
    _is(t.clamp(min=0), [1, 0], "int64")


@libs
def test_integer_exponents_and_where_numbers_must_fit_the_dtype(m):
    with pytest.raises(RuntimeError, match=OVERFLOW):
        m.tensor([1], dtype=m.int32) ** 2 ** 31
    with pytest.raises(RuntimeError, match=OVERFLOW):
        m.tensor([1], dtype=m.uint8) ** 256
    with pytest.raises(RuntimeError, match=OVERFLOW):
        m.where(m.tensor([True]), m.tensor([1], dtype=m.int32), 2 ** 40)
    _is(m.tensor([3], dtype=m.int32) ** 2, [9], "int32")
    _is(m.where(m.tensor([True, False]), m.tensor([1, 2], dtype=m.int32), 7), [1, 7], "int32")


@libs
def test_float_only_functions_raise_not_implemented_and_want_tensors(m):
    for call, kernel in [(lambda: m.tensor([1]).frac(), "frac_cpu"), (lambda: m.hypot(m.tensor([1]), m.tensor([2])), "hypot_cpu"),
                         (lambda: m.lerp(m.tensor([1]), m.tensor([2]), 0.5), "lerp_kernel_scalar"),
                         (lambda: m.lerp(m.tensor([1]), m.tensor([2]), m.tensor([1])), "lerp_kernel_tensor")]:
        with pytest.raises(NotImplementedError, match=f"^\"{kernel}\" not implemented for 'Long'$"):
            call()
    with pytest.raises(TypeError, match=r"^fmax\(\): argument 'other' \(position 2\) must be Tensor, not float$"):
        m.fmax(m.tensor([1.0]), 2.0)
    with pytest.raises(TypeError, match=r"^fmin\(\): argument 'input' \(position 1\) must be Tensor, not float$"):
        m.fmin(2.0, m.tensor([1.0]))
    with pytest.raises(TypeError):
        m.lerp(0.0, m.tensor([1.0]), 0.5)


@libs
def test_a_number_divided_by_a_tensor_is_the_reciprocal_times_the_number(m):
    x = m.tensor([30.0], requires_grad=True)
    y = 3 / x
    # float32(1/30) * 3, rounded twice, as PyTorch: not the correctly rounded 3/30.
    assert y.item() == float(np.float32(np.float32(1) / np.float32(30)) * np.float32(3))
    node = y.grad_fn.name() if m.__name__ == "fasttensor" else type(y.grad_fn).__name__
    assert node == "MulBackward0"
    y.backward()
    assert x.grad.item() == pytest.approx(-3 / 900, rel=1e-6)
    _is(3 / m.tensor([4]), [0.75], "float32")
    _is(3.5 / m.tensor([True]), [3.5], "float32")
