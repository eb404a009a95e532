"""The C++ fast paths of the commonest creation calls (csrc/python/convert.cpp
tensor_from_plain_data, csrc/python/functions.cpp _plain_full/_plain_random/
_plain_normal): tensor() of Python numbers in lists, empty/zeros/ones/rand/
randn with a plain size, normal(mean, std, size). Each must give what PyTorch
gives, and hand every other call to the Python layer unchanged: the same
results and the same errors as before, on either side of the line."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fasttensor
from helpers import dtype_name


def _outcome(lib, fn):
    """(dtype name, shape, bytes) of fn(lib)'s result, or the exception's type name."""
    try:
        t = fn(lib)
    except Exception as e:  # noqa: BLE001 - the type is what is compared
        return type(e).__name__
    arr = t.numpy()
    return dtype_name(t.dtype), tuple(t.shape), arr.tobytes()


def _same(torch, fn):
    assert _outcome(fasttensor, fn) == _outcome(torch, fn)


# --- tensor() -------------------------------------------------------------------------------

# Leaves that sit on the edges of each conversion: float32 rounding (0.1, 2^24 + 1, halfway
# cases), float32 overflow, ints through double to float (2^53 + 1, 2^63 - 1), -0.0, inf, nan.
_FLOATS = [0.0, -0.0, 0.1, -2.5, 1 / 3, 16777217.0, 1.0000000596046448, 3.4028235677973366e38, 1e300, -1e-320,
           math.inf, -math.inf, math.nan]
_INTS = [0, 1, -1, 7, 2**24 + 1, 2**31, -(2**31) - 1, 2**53 + 1, 2**62 + 2**9 + 1, 2**63 - 1, -(2**63)]

leaves = st.one_of(st.sampled_from(_FLOATS), st.sampled_from(_INTS), st.booleans(),
                   st.floats(allow_nan=False, width=64), st.integers(-(2**63), 2**63 - 1))


@st.composite
def rectangular(draw):
    """A rectangular nest of lists and tuples (up to 3 levels, sides 1-4) of leaves, or one leaf."""
    shape = draw(st.lists(st.integers(1, 4), min_size=0, max_size=3))

    def build(level):
        if level == len(shape):
            return draw(leaves)
        items = [build(level + 1) for _ in range(shape[level])]
        return tuple(items) if draw(st.booleans()) else items

    return build(0)


@settings(max_examples=300, deadline=None)
@given(data=rectangular(), dtype=st.sampled_from([None, "float32", "float64", "int64", "bool", "int32", "uint8"]))
def test_tensor_of_python_numbers_is_torchs(data, dtype):
    torch = pytest.importorskip("torch")
    if dtype in ("int32", "uint8", "int64"):
        flat = np.asarray(data, dtype=object).ravel().tolist() if isinstance(data, (list, tuple)) else [data]
        if any(isinstance(v, float) for v in flat):
            return  # float to integer outside the type's range is undefined in C and so in PyTorch
    _same(torch, lambda m: m.tensor(data, dtype=None if dtype is None else getattr(m, dtype)))


@pytest.mark.parametrize("data", [
    [2**63], [1, -(2**63) - 1], [[1, 2], [3]], [[1, 2], 3], [1, [2]], [[1], (2,)], [1, "a"], ["a"], [None],
    [1, None], [np.float32(1.5), 2.0], [np.int64(3)], [1, np.bool_(True)], [[]], [[], []], (), [[[]]],
    [1.5, float("nan")], [10**30], [1e300, 2**70],
], ids=str)
@pytest.mark.parametrize("dtype", [None, "float32", "int64"])
def test_tensor_outside_the_fast_path_is_unchanged(torch, data, dtype):
    """What the fast path declines (ints past int64, ragged or empty lists, non-numbers, NumPy
    scalars) gives torch's result or torch's exception type through the Python layer."""
    _same(torch, lambda m: m.tensor(data, dtype=None if dtype is None else getattr(m, dtype)))


def test_tensor_fast_path_keywords(torch):
    _same(torch, lambda m: m.tensor([1.0, 2.0], requires_grad=True).detach())
    t = fasttensor.tensor([[1.0, 2.0]], requires_grad=True)
    assert t.requires_grad and t.is_leaf and t.grad_fn is None
    for lib in (fasttensor, torch):
        with pytest.raises(RuntimeError, match="Only Tensors of floating point"):
            lib.tensor([1, 2], requires_grad=True)
        with pytest.raises(TypeError, match="must be bool"):
            lib.tensor([1.0], requires_grad=1)
    # Python types as dtypes go through the Python layer
    _same(torch, lambda m: m.tensor([1, 2], dtype=float))
    _same(torch, lambda m: m.tensor([1.5, 2], dtype=int))
    _same(torch, lambda m: m.tensor([1, 0], dtype=bool))
    assert fasttensor.tensor([1, 2], device="cpu").device == fasttensor.device("cpu")


def test_tensor_fast_path_follows_the_default_dtype(torch):
    try:
        for lib in (fasttensor, torch):
            lib.set_default_dtype(lib.float64)
        _same(torch, lambda m: m.tensor([0.1, 2]))
        _same(torch, lambda m: m.tensor(0.1))
        _same(torch, lambda m: m.tensor([1, 2]))
    finally:
        for lib in (fasttensor, torch):
            lib.set_default_dtype(lib.float32)


def test_tensor_of_self_holding_or_deep_lists_raises_without_crashing():
    loop = [1.0]
    loop[0] = loop
    with pytest.raises((ValueError, TypeError, RuntimeError, RecursionError)):
        fasttensor.tensor(loop)
    deep = 1.0
    for _ in range(13):  # one level past fasttensor's 12 dims
        deep = [deep]
    with pytest.raises(RuntimeError, match="at most 12"):
        fasttensor.tensor(deep)
    deep12 = 1.0
    for _ in range(12):
        deep12 = [deep12]
    assert fasttensor.tensor(deep12).shape == (1,) * 12


def test_tensor_copies_its_data():
    data = [[1.0, 2.0], [3.0, 4.0]]
    t = fasttensor.tensor(data)
    data[0][0] = 9.0
    assert t.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert t.is_contiguous() and t.stride() == (2, 1)


# --- empty / zeros / ones / rand / randn / normal ------------------------------------------

SIZES = [(), (0,), (3,), (2, 3), ((2, 3),), ([2, 3],), ((),), ([],), ((0, 4),), (1, 1, 1, 1)]


@pytest.mark.parametrize("name", ["zeros", "ones"])
@pytest.mark.parametrize("size", SIZES, ids=str)
@pytest.mark.parametrize("dtype", [None, "float64", "int64", "bool", "uint8"])
def test_filled_plain_sizes_are_torchs(torch, name, size, dtype):
    _same(torch, lambda m: getattr(m, name)(*size, **({} if dtype is None else {"dtype": getattr(m, dtype)})))


@pytest.mark.parametrize("size", SIZES, ids=str)
def test_empty_plain_sizes(torch, size):
    if size == ():
        for lib in (fasttensor, torch):
            with pytest.raises(TypeError):
                lib.empty(*size)
        return
    a, b = fasttensor.empty(*size), torch.empty(*size)
    assert tuple(a.shape) == tuple(b.shape) and dtype_name(a.dtype) == dtype_name(b.dtype)
    assert a.is_contiguous()


@pytest.mark.parametrize("call", [
    lambda m: m.zeros(-1), lambda m: m.ones(2, -3), lambda m: m.empty((2, -1)), lambda m: m.zeros(True),
    lambda m: m.zeros(2, True), lambda m: m.zeros(2.0), lambda m: m.ones((2, 3.0)), lambda m: m.zeros(2**63),
    lambda m: m.zeros(np.int64(3)), lambda m: m.ones(m.tensor(2)), lambda m: m.zeros(m.Size([2, 2])),
    lambda m: m.ones(2, dtype=m.int32), lambda m: m.zeros(2, dtype=float), lambda m: m.ones(2, dtype="x"),
    lambda m: m.zeros(2, device="cpu"), lambda m: m.zeros(2, device="nope"), lambda m: m.zeros(size=(2,)),
    lambda m: m.ones(2, requires_grad=True).detach(), lambda m: m.zeros(2, dtype=m.int64, requires_grad=True),
    lambda m: m.zeros((2, 3), 4), lambda m: m.zeros([2], [3]),
], ids=lambda f: f.__code__.co_firstlineno)
def test_filled_calls_beside_the_fast_path(torch, call):
    """Sizes and keywords the fast path declines: PyTorch's results and exception types."""
    _same(torch, call)


@pytest.mark.parametrize("name", ["rand", "randn"])
@pytest.mark.parametrize("size", SIZES[1:] + [(17,), (5, 7)], ids=str)
@pytest.mark.parametrize("dtype", [None, "float64"])
def test_random_plain_sizes_draw_torchs_numbers(torch, name, size, dtype):
    def draw(m):
        m.manual_seed(7)
        first = getattr(m, name)(*size, **({} if dtype is None else {"dtype": getattr(m, dtype)}))
        return m.cat([first.reshape(-1), getattr(m, name)(3)])  # the generator moved on as torch's

    _same(torch, draw)


@pytest.mark.parametrize("call", [
    lambda m: m.randn(2, dtype=m.int64), lambda m: m.rand(-1), lambda m: m.randn(2, generator=None).shape,
    lambda m: m.rand(2, generator=m.Generator().manual_seed(3)), lambda m: m.randn((2,), requires_grad=True).detach(),
    lambda m: m.randn(size=(3,)), lambda m: m.rand(2.5),
], ids=lambda f: f.__code__.co_firstlineno)
def test_random_calls_beside_the_fast_path(torch, call):
    def seeded(m):
        m.manual_seed(3)
        r = call(m)
        return r if isinstance(r, (fasttensor.Tensor, torch.Tensor)) else m.tensor(list(r))

    _same(torch, seeded)


@pytest.mark.parametrize("args", [
    (0, 1, (3, 4)), (2, 0.5, [5]), (0.0, 0.01, (2, 1)), (1, 2, ()), (0, 1, (0, 3)), (0, -1.0, (2,)),
    (0, 1, 3), (True, 1, (2,)), (0, 1, (2.0,)), (0, 1, (-2,)), (np.float64(0), 1, (2,)),
], ids=str)
def test_normal_of_numbers_is_torchs(torch, args):
    def draw(m):
        m.manual_seed(11)
        return m.normal(*args)

    _same(torch, draw)
    _same(torch, lambda m: (m.manual_seed(11), m.normal(0, 1, (4,), dtype=m.float64))[1])


def test_normal_keywords_beside_the_fast_path(torch):
    def draw(m, **kw):
        m.manual_seed(5)
        return m.normal(0.5, 2.0, (3,), **kw)

    _same(torch, lambda m: draw(m, requires_grad=True).detach())
    _same(torch, lambda m: draw(m, generator=m.Generator().manual_seed(1)))
    _same(torch, lambda m: draw(m, out=m.empty(3)))
    _same(torch, lambda m: draw(m, dtype=m.int64))
    assert fasttensor.normal(0.0, 1.0, (2,), requires_grad=True).requires_grad


def test_generator_none_and_a_wrong_generator(torch):
    fasttensor.manual_seed(1)
    a = fasttensor.empty(5).normal_(generator=None)
    fasttensor.manual_seed(1)
    b = fasttensor.empty(5).uniform_(generator=None)
    assert not bool((a == b).all())
    fasttensor.manual_seed(1)
    assert bool((fasttensor.empty(5).normal_() == a).all())
    with pytest.raises(TypeError):
        fasttensor.empty(5).normal_(generator=5)
    with pytest.raises(TypeError):
        fasttensor.randn(3, generator="g")


# --- the *_like functions, .to() and .tolist() --------------------------------------------------

def _like_inputs(m):
    base = m.arange(24, dtype=m.float64).reshape(2, 3, 4)
    return [m.zeros(()), m.zeros(0, 3), base, base.transpose(0, 2), base[:, ::2], m.arange(5), m.tensor([True, False])]


@pytest.mark.parametrize("name, extra", [("zeros_like", ()), ("ones_like", ()), ("full_like", (2.5,)),
                                         ("full_like", (7,)), ("full_like", (2**40,)), ("empty_like", ())])
def test_like_functions_keep_dtype_shape_and_dense_layout(torch, name, extra):
    for a, b in zip(_like_inputs(fasttensor), _like_inputs(torch)):
        r, e = getattr(fasttensor, name)(a, *extra), getattr(torch, name)(b, *extra)
        assert dtype_name(r.dtype) == dtype_name(e.dtype) and tuple(r.shape) == tuple(e.shape)
        assert r.stride() == e.stride(), (name, a.shape, a.stride())
        if name != "empty_like":
            np.testing.assert_array_equal(r.numpy(), e.numpy())


@pytest.mark.parametrize("call", [
    lambda m, x: m.full_like(x, True), lambda m, x: m.full_like(x, 2**70), lambda m, x: m.full_like(x, np.float32(1.5)),
    lambda m, x: m.zeros_like(x, dtype=m.int64), lambda m, x: m.ones_like(x, requires_grad=True).detach(),
    lambda m, x: m.empty_like(x, memory_format=m.contiguous_format).stride(), lambda m, x: m.zeros_like([1, 2]),
    lambda m, x: m.full_like(x, "a"), lambda m, x: m.zeros_like(x, device="cpu"),
], ids=lambda f: f.__code__.co_firstlineno)
def test_like_calls_beside_the_fast_path(torch, call):
    def run(m):
        r = call(m, m.arange(6.0).reshape(2, 3).t())
        return m.tensor(list(r)) if isinstance(r, tuple) else r
    _same(torch, run)


@pytest.mark.parametrize("name", ["rand_like", "randn_like"])
def test_random_like_draws_torchs_numbers_in_the_input_layout(torch, name):
    def draw(m):
        m.manual_seed(4)
        x = getattr(m, name)(m.zeros(3, 5).t())
        assert x.stride() == (1, 5)
        return m.cat([x.reshape(-1), getattr(m, name)(m.zeros(2, dtype=m.float64)).float()])

    _same(torch, draw)
    for lib in (fasttensor, torch):
        with pytest.raises(RuntimeError):
            getattr(lib, name)(lib.zeros(2, dtype=lib.int64))


def test_to_and_tolist(torch):
    for m in (fasttensor, torch):
        x = m.arange(6).reshape(2, 3)
        assert x.to("cpu") is x and x.to(m.device("cpu")) is x and x.to(m.int64) is x
        assert x.to(m.float64).dtype == m.float64 and x.to("cpu", m.float32).dtype == m.float32
        assert x.to(m.float32, copy=True) is not x and x.to(x) is x
        assert x.t().tolist() == [[0, 3], [1, 4], [2, 5]]
        assert m.tensor([1.5, 2.0], requires_grad=True).tolist() == [1.5, 2.0]
        assert m.tensor(3.5).tolist() == 3.5 and m.tensor([True]).tolist() == [True]
        with pytest.raises(TypeError):
            x.to([1])


@pytest.mark.parametrize("call", [
    lambda m: m.full((2,), 2**70), lambda m: m.full((2,), -(2**63) - 1), lambda m: m.full((2,), 2**63),
    lambda m: m.full((2,), 2**63, dtype=m.float32), lambda m: m.full((2,), 2**64, dtype=m.float32),
    lambda m: m.full_like(m.zeros(2), 2**70), lambda m: m.full_like(m.zeros(2), -(2**63) - 1),
    lambda m: m.full_like(m.zeros(2), 2**63), lambda m: m.zeros(2).fill_(2**70),
], ids=lambda f: f.__code__.co_firstlineno)
def test_fill_values_past_64_bits(torch, call):
    _same(torch, call)


@pytest.mark.parametrize("make", [
    lambda m: m.arange(24.0).reshape(2, 3, 4).transpose(0, 2), lambda m: m.arange(24).reshape(2, 3, 4)[:, ::2, 1:],
    lambda m: m.tensor(0.1), lambda m: m.zeros(0, 3), lambda m: m.zeros(2, 0), lambda m: m.tensor([True, False]),
    lambda m: m.arange(4, dtype=m.uint8), lambda m: m.arange(4, dtype=m.int32).expand(2, 4),
    lambda m: m.tensor([float("inf"), -0.0], dtype=m.float64), lambda m: m.tensor([0.5], requires_grad=True) * 3,
], ids=lambda f: f.__code__.co_firstlineno)
def test_tolist_is_torchs(torch, make):
    got, expected = make(fasttensor).tolist(), make(torch).tolist()
    assert repr(got) == repr(expected)  # the same Python types and values, -0.0 included
