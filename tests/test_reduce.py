"""Reductions (csrc/ops/reduce.cpp): sum, mean, prod, max/min (all, per dim,
elementwise form), amax/amin, argmax/argmin, all/any, var/std, cumsum, norm —
dims as int, tuple or list, keepdim/keepdims, axis=, the function forms, and
their gradients."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest

import fasttensor
from helpers import HAVE_TORCH, assert_close, check_op, ids, lib, to_numpy, torch

F = ("float32", "float64")
# Sums of up to ~30 float32 terms in [-2, 2]: a few ulps of the largest partial sum.
SMALL = dict(rtol=1e-5, atol=1e-5)

DIMS_3D = [None, 0, 1, 2, -1, (0, 2), [1, 2], (0, 1, 2), (-1, 0)]


def _np_axis(dim):
    return tuple(dim) if isinstance(dim, list) else dim


def _kw(dim, keepdim):
    """Keyword arguments for a reduction; dim=None is spelled out only with keepdim
    (PyTorch's x.sum(keepdim=True) without dim is a TypeError)."""
    if keepdim:
        return {"dim": dim, "keepdim": True}
    return {} if dim is None else {"dim": dim}


@pytest.mark.parametrize("dim", DIMS_3D, ids=ids)
@pytest.mark.parametrize("keepdim", [False, True])
def test_sum(dim, keepdim):
    check_op([(2, 3, 4)], lambda x: x.sum(**_kw(dim, keepdim)),
             numpy_fn=lambda x: np.sum(x, axis=_np_axis(dim), keepdims=keepdim), dtypes=F, **SMALL)


@pytest.mark.parametrize("dim", DIMS_3D, ids=ids)
@pytest.mark.parametrize("keepdim", [False, True])
def test_mean(dim, keepdim):
    check_op([(2, 3, 4)], lambda x: x.mean(**_kw(dim, keepdim)),
             numpy_fn=lambda x: np.mean(x, axis=_np_axis(dim), keepdims=keepdim), dtypes=F, **SMALL)


def test_sum_mean_axis_and_keepdims_spellings():
    # d2l writes A.sum(axis=0), A.sum(axis=[0, 1]), A.sum(axis=1, keepdims=True).
    check_op([(3, 4)], lambda x: x.sum(axis=0), numpy_fn=lambda x: x.sum(axis=0), **SMALL)
    check_op([(3, 4)], lambda x: x.sum(axis=[0, 1]), numpy_fn=lambda x: x.sum(axis=(0, 1)), **SMALL)
    check_op([(3, 4)], lambda x: x.sum(axis=1, keepdims=True), numpy_fn=lambda x: x.sum(axis=1, keepdims=True),
             **SMALL)
    check_op([(3, 4)], lambda x: x.mean(axis=0), numpy_fn=lambda x: x.mean(axis=0), **SMALL)
    check_op([(3, 4)], lambda x: x.sum(1, True), numpy_fn=lambda x: x.sum(axis=1, keepdims=True), **SMALL)
    check_op([(3, 4)], lambda x: x.mean(-1, keepdim=True), numpy_fn=lambda x: x.mean(axis=-1, keepdims=True),
             **SMALL)


def test_function_forms():
    check_op([(3, 4)], lambda x: lib(x).sum(x), numpy_fn=np.sum, **SMALL)
    check_op([(3, 4)], lambda x: lib(x).sum(x, dim=1), numpy_fn=lambda x: x.sum(1), **SMALL)
    check_op([(3, 4)], lambda x: lib(x).sum(x, 0, keepdim=True), numpy_fn=lambda x: x.sum(0, keepdims=True),
             **SMALL)
    check_op([(3, 4)], lambda x: lib(x).mean(x), numpy_fn=np.mean, **SMALL)
    check_op([(3, 4)], lambda x: lib(x).max(x), numpy_fn=np.max)
    check_op([(3, 4)], lambda x: lib(x).min(x), numpy_fn=np.min)
    check_op([(3, 4)], lambda x: lib(x).prod(x), numpy_fn=np.prod, low=0.5, high=1.5)
    check_op([(3, 4)], lambda x: lib(x).argmax(x), numpy_fn=np.argmax, grad=False)
    check_op([(3, 4)], lambda x: lib(x).argmin(x, dim=1), numpy_fn=lambda x: np.argmin(x, 1), grad=False)
    check_op([(3, 4)], lambda x: lib(x).amax(x, dim=1), numpy_fn=lambda x: np.max(x, 1))
    check_op([(3, 4)], lambda x: lib(x).std(x), numpy_fn=lambda x: np.std(x, ddof=1), **SMALL)
    check_op([(3, 4)], lambda x: lib(x).var(x, 0), numpy_fn=lambda x: np.var(x, 0, ddof=1), **SMALL)
    check_op([(3, 4)], lambda x: lib(x).cumsum(x, dim=1), numpy_fn=lambda x: np.cumsum(x, 1), **SMALL)


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool"])
def test_sum_integer_gives_int64(dtype):
    # PyTorch sums integers and bools into int64; mean of integers is an error (test_errors).
    check_op([(3, 5)], lambda x: x.sum(), numpy_fn=lambda x: np.sum(x, dtype=np.int64), dtypes=[dtype],
             low=0, high=200, grad=False)
    check_op([(3, 5)], lambda x: x.sum(0), numpy_fn=lambda x: np.sum(x, 0, dtype=np.int64), dtypes=[dtype],
             low=0, high=200, grad=False)


def test_sum_and_mean_dtype_argument():
    check_op([(3, 5)], lambda x: x.sum(dtype=lib(x).float64), numpy_fn=lambda x: np.sum(x, dtype=np.float64),
             dtypes=["int64", "float32"], grad=False)
    check_op([(3, 5)], lambda x: x.mean(dtype=lib(x).float64), numpy_fn=lambda x: np.mean(x.astype(np.float64)),
             dtypes=["int64"], grad=False)


@pytest.mark.parametrize("shape,dim", [((0,), None), ((0, 3), 0), ((0, 3), 1), ((2, 0), 1), ((2, 0), None)],
                         ids=ids)
def test_sum_prod_over_empty(shape, dim):
    check_op([shape], lambda x: x.sum(**_kw(dim, False)), numpy_fn=lambda x: np.sum(x, axis=dim), dtypes=F)
    check_op([shape], lambda x: x.sum(**_kw(dim, True)), numpy_fn=lambda x: np.sum(x, axis=dim, keepdims=True))
    check_op([shape], lambda x: x.prod() if dim is None else x.prod(dim),
             numpy_fn=lambda x: np.prod(x, axis=dim), grad=False)


def test_mean_of_empty_is_nan():
    with np.errstate(all="ignore"):
        check_op([(0, 3)], lambda x: x.mean(), numpy_fn=np.mean, grad=False)
        check_op([(0, 3)], lambda x: x.mean(0), numpy_fn=lambda x: np.mean(x, 0), grad=False)


def test_zero_dim_reductions():
    check_op([()], lambda x: x.sum(), numpy_fn=np.sum, dtypes=F)
    check_op([()], lambda x: x.sum(0), numpy_fn=np.sum)
    check_op([()], lambda x: x.mean(dim=-1, keepdim=True), numpy_fn=np.mean)
    check_op([()], lambda x: x.max(), numpy_fn=np.max)
    check_op([()], lambda x: x.argmax(), numpy_fn=np.argmax, grad=False)
    check_op([()], lambda x: x.prod(), numpy_fn=np.prod)


@pytest.mark.parametrize("layout", ["transposed", "strided"])
@pytest.mark.parametrize("dim", [None, 0, 1, (0, 1)], ids=ids)
def test_sum_mean_noncontiguous(layout, dim):
    check_op([(6, 7)], lambda x: x.sum(**_kw(dim, False)), numpy_fn=lambda x: np.sum(x, axis=dim),
             layouts=[layout], run_gradcheck=False, **SMALL)
    check_op([(6, 7)], lambda x: x.mean(**_kw(dim, True)), numpy_fn=lambda x: np.mean(x, axis=dim, keepdims=True),
             layouts=[layout], run_gradcheck=False, **SMALL)


def test_sum_of_expanded():
    x = fasttensor.arange(5, dtype=fasttensor.float32).expand(4, 5)
    assert_close(x.sum(0), np.arange(5, dtype=np.float32) * 4)
    assert_close(x.sum(), np.array(40, dtype=np.float32))
    assert_close(x.T.sum(1), np.arange(5, dtype=np.float32) * 4)


@pytest.mark.parametrize("shape,dim", [((100_003,), None), ((300, 301), 0), ((300, 301), 1), ((300, 301), None),
                                       ((1031, 17), 0), ((17, 1031), 1),
                                       # past 2^20 elements, few outputs: rows cut into bands per thread
                                       ((1027, 1031), 0), ((33, 65, 500), (0, 1))], ids=ids)
def test_large_reductions(shape, dim):
    # Float32 sums of up to 1e5 terms in [0, 1): relative error a few 1e-6 with
    # blocked or pairwise summation; 1e-4 leaves room for the order of summing.
    big = dict(rtol=1e-4, atol=1e-5, low=0.0, high=1.0, run_gradcheck=False)
    check_op([shape], lambda x: x.sum(**_kw(dim, False)), numpy_fn=lambda x: np.sum(x, axis=dim), **big)
    check_op([shape], lambda x: x.mean(**_kw(dim, False)), numpy_fn=lambda x: np.mean(x, axis=dim), **big)
    check_op([shape], lambda x: x.var(**_kw(dim, False)), numpy_fn=lambda x: np.var(x, axis=dim, ddof=1), **big)
    check_op([shape], lambda x: x.amax() if dim is None else x.amax(dim), numpy_fn=lambda x: np.max(x, axis=dim),
             **big)
    if not isinstance(dim, tuple):  # argmin takes one dim
        check_op([shape], lambda x: x.argmin() if dim is None else x.argmin(dim),
                 numpy_fn=lambda x: np.argmin(x, dim), grad=False)
    check_op([shape], lambda x: x.sum(**_kw(dim, False)), numpy_fn=lambda x: np.sum(x, axis=dim),
             dtypes=["int64"], low=-1000, high=1000, grad=False)


def test_large_sum_float64_tight():
    check_op([(100_003,)], lambda x: x.sum(), numpy_fn=np.sum, dtypes=["float64"], rtol=1e-12, atol=1e-9,
             run_gradcheck=False)


# --- prod -----------------------------------------------------------------------

@pytest.mark.parametrize("dim", [None, 0, 1, -1], ids=ids)
@pytest.mark.parametrize("keepdim", [False, True])
def test_prod(dim, keepdim):
    def fn(x):
        if dim is None:
            return x.prod()
        return x.prod(dim, keepdim=keepdim)

    check_op([(3, 4)], fn, numpy_fn=lambda x: np.prod(x, axis=dim, keepdims=keepdim and dim is not None),
             dtypes=F, low=0.5, high=1.5)


def test_prod_with_zeros_gradient_as_torch():
    # The gradient of prod where an input is 0 (one or two zeros): no division by 0.
    vals = np.array([[2.0, 0.0, 3.0], [0.0, 0.0, 1.5], [1.0, 2.0, 4.0]], np.float32)
    check_op([(3, 3)], lambda x: x.prod(1), numpy_fn=lambda x: np.prod(x, 1), values=[vals], dtypes=F)
    check_op([(3, 3)], lambda x: x.prod(), numpy_fn=np.prod, values=[vals], dtypes=F)
    one_zero = np.array([2.0, 0.0, 3.0], np.float32)
    check_op([(3,)], lambda x: x.prod(), numpy_fn=np.prod, values=[one_zero], dtypes=F)


def test_prod_integers():
    check_op([(3, 4)], lambda x: x.prod(), numpy_fn=lambda x: np.prod(x, dtype=np.int64), dtypes=["int64", "int32"],
             low=-3, high=3, grad=False)
    check_op([(3, 4)], lambda x: x.prod(1), numpy_fn=lambda x: np.prod(x, 1, dtype=np.int64), dtypes=["int64"],
             low=-3, high=3, grad=False)


# --- max / min --------------------------------------------------------------------

@pytest.mark.parametrize("name,ref", [("max", np.max), ("min", np.min)])
def test_max_min_all(name, ref):
    check_op([(3, 4, 5)], lambda x: getattr(x, name)(), numpy_fn=ref, dtypes=F + ("int64", "int32", "uint8"),
             low=-50, high=50)


@pytest.mark.parametrize("name,nref,aref", [("max", np.max, np.argmax), ("min", np.min, np.argmin)])
@pytest.mark.parametrize("dim", [0, 1, 2, -1])
@pytest.mark.parametrize("keepdim", [False, True])
def test_max_min_dim_values_indices(name, nref, aref, dim, keepdim):
    def ref(x):
        v = nref(x, axis=dim, keepdims=keepdim)
        i = aref(x, axis=dim)
        return v, (np.expand_dims(i, dim) if keepdim else i)

    check_op([(3, 4, 5)], lambda x: tuple(getattr(x, name)(dim, keepdim=keepdim)), numpy_fn=ref,
             dtypes=F + ("int64",), low=-50, high=50)
    check_op([(3, 4, 5)], lambda x: tuple(getattr(x, name)(dim=dim, keepdim=keepdim)), numpy_fn=ref)
    check_op([(3, 4, 5)], lambda x: tuple(getattr(lib(x), name)(x, dim, keepdim)), numpy_fn=ref)


def test_max_dim_named_fields():
    x = fasttensor.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 7.0]])
    r = x.max(dim=1)
    assert_close(r.values, np.array([5.0, 7.0], np.float32))
    assert_close(r.indices, np.array([1, 0], np.int64))
    values, indices = x.min(0)
    assert_close(values, np.array([1.0, 0.0, 2.0], np.float32))
    assert_close(indices, np.array([0, 1, 0], np.int64))
    assert r[0] is r.values or (r[0] == r.values).all()
    assert type(r).__name__ == "max"


def test_max_min_dim_result_type_as_torch():
    r = fasttensor.tensor([[1, 5, 3]]).max(dim=1)
    assert isinstance(r, tuple) and type(r) is fasttensor.return_types.max and len(r) == 2
    expected = "fasttensor.return_types.max(\nvalues=tensor([5]),\nindices=tensor([1]))"
    assert repr(r) == str(r) == expected
    if HAVE_TORCH:
        theirs = torch.tensor([[1, 5, 3]]).max(dim=1)
        assert repr(theirs).replace("torch.", "fasttensor.") == expected
    m = fasttensor.min(fasttensor.tensor([[2.0, 1.0]]), 1, keepdim=True)
    assert type(m) is fasttensor.return_types.min and m.values.shape == (1, 1) and m.indices.tolist() == [[1]]
    again = pickle.loads(pickle.dumps(r))
    assert type(again) is fasttensor.return_types.max and again.indices.tolist() == [1]
    assert fasttensor.return_types.max((1, 2)).indices == 2
    with pytest.raises(TypeError, match=r"takes a 2-sequence \(3-sequence given\)"):
        fasttensor.return_types.min((1, 2, 3))


def test_max_ties_gradient_as_torch():
    # max() over all spreads the gradient over ties; max(dim) gives it to the index it returns.
    vals = np.array([[3.0, 1.0, 3.0], [2.0, 2.0, 0.0]], np.float32)
    check_op([(2, 3)], lambda x: x.max(), numpy_fn=np.max, values=[vals], run_gradcheck=False)
    check_op([(2, 3)], lambda x: x.min(), numpy_fn=np.min, values=[vals + 0], run_gradcheck=False)
    check_op([(2, 3)], lambda x: tuple(x.max(1)), numpy_fn=lambda x: (x.max(1), x.argmax(1)), values=[vals],
             run_gradcheck=False)
    check_op([(2, 3)], lambda x: x.amax(1), numpy_fn=lambda x: x.max(1), values=[vals], run_gradcheck=False)
    x = fasttensor.tensor(vals, requires_grad=True)
    x.max().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0.5, 0, 0.5], [0, 0, 0]])


def test_max_nan_propagates():
    vals = np.array([[1.0, np.nan, 3.0], [2.0, 5.0, 4.0]], np.float32)
    check_op([(2, 3)], lambda x: x.max(), numpy_fn=np.max, values=[vals], grad=False)
    check_op([(2, 3)], lambda x: x.max(1).values, numpy_fn=lambda x: np.max(x, 1), values=[vals], grad=False)
    check_op([(2, 3)], lambda x: x.argmax(1), numpy_fn=lambda x: np.argmax(x, 1), values=[vals], grad=False)


@pytest.mark.parametrize("dim", [(), 0, (0, 2), [1, 2], -1], ids=ids)
@pytest.mark.parametrize("keepdim", [False, True])
def test_amax_amin(dim, keepdim):
    axis = None if dim == () else _np_axis(dim)
    check_op([(3, 4, 5)], lambda x: x.amax(dim, keepdim), numpy_fn=lambda x: np.max(x, axis=axis, keepdims=keepdim))
    check_op([(3, 4, 5)], lambda x: x.amin(dim=dim, keepdim=keepdim),
             numpy_fn=lambda x: np.min(x, axis=axis, keepdims=keepdim))


def test_max_of_empty_raises():
    with pytest.raises((RuntimeError, IndexError)):
        fasttensor.zeros(0).max()
    with pytest.raises((RuntimeError, IndexError)):
        fasttensor.zeros(2, 0).max(1)


# --- argmax / argmin ------------------------------------------------------------------

@pytest.mark.parametrize("name,ref", [("argmax", np.argmax), ("argmin", np.argmin)])
@pytest.mark.parametrize("dim", [None, 0, 1, -1])
@pytest.mark.parametrize("keepdim", [False, True])
def test_argmax_argmin(name, ref, dim, keepdim):
    def nref(x):
        r = ref(x, axis=dim)
        if keepdim:
            r = np.expand_dims(r, dim) if dim is not None else np.reshape(r, (1, 1))
        return r

    check_op([(4, 7)], lambda x: getattr(x, name)(dim=dim, keepdim=keepdim), numpy_fn=nref,
             dtypes=F + ("int64", "int32", "uint8"), low=-3, high=3, grad=False)


def test_argmax_of_bool_raises_like_torch():
    with pytest.raises(RuntimeError, match="does not support bool input"):
        fasttensor.ones(3, dtype=fasttensor.bool).argmax()
    with pytest.raises(RuntimeError, match="does not support bool input"):
        fasttensor.ones(3, dtype=fasttensor.bool).argmin(0)


def test_argmax_first_of_ties():
    x = fasttensor.tensor([[1, 3, 3, 0], [2, 2, 2, 2]])
    assert x.argmax(1).tolist() == [1, 0]
    assert x.argmin(1).tolist() == [3, 0]
    assert x.argmax().item() == 1


def test_argmax_large():
    check_op([(300, 301)], lambda x: x.argmax(1), numpy_fn=lambda x: np.argmax(x, 1), grad=False)
    check_op([(100_003,)], lambda x: x.argmax(), numpy_fn=np.argmax, grad=False)


# --- all / any -----------------------------------------------------------------------

@pytest.mark.parametrize("name,ref", [("all", np.all), ("any", np.any)])
@pytest.mark.parametrize("dim", [None, 0, 1, -1])
@pytest.mark.parametrize("dtype", ["bool", "float32", "int64", "uint8"])
def test_all_any(name, ref, dim, dtype):
    check_op([(4, 6)], lambda x: getattr(x, name)() if dim is None else getattr(x, name)(dim),
             numpy_fn=lambda x: ref(x, axis=dim), dtypes=[dtype], low=0, high=1, grad=False)
    check_op([(4, 6)], lambda x: getattr(lib(x), name)(x) if dim is None else getattr(lib(x), name)(x, dim, True),
             numpy_fn=lambda x: ref(x, axis=dim, keepdims=dim is not None), dtypes=[dtype], low=0, high=1,
             grad=False)


def test_all_any_edge_cases():
    assert fasttensor.ones(0, dtype=fasttensor.bool).all().item() is True
    assert fasttensor.ones(0, dtype=fasttensor.bool).any().item() is False
    assert fasttensor.tensor([0.0, float("nan")]).any().item() is True
    m = fasttensor.zeros(300, 301, dtype=fasttensor.bool)
    assert not m.any().item()
    m[299, 300] = True
    assert m.any().item() and not m.all().item()
    assert m.any(1).tolist() == [False] * 299 + [True]


# --- var / std ----------------------------------------------------------------------------

@pytest.mark.parametrize("name,ref", [("var", np.var), ("std", np.std)])
@pytest.mark.parametrize("dim", [None, 0, 1, (0, 1), [0, 2]], ids=ids)
@pytest.mark.parametrize("keepdim", [False, True])
def test_var_std(name, ref, dim, keepdim):
    axis = _np_axis(dim)
    check_op([(3, 4, 5)], lambda x: getattr(x, name)(**_kw(dim, keepdim)),
             numpy_fn=lambda x: ref(x, axis=axis, ddof=1, keepdims=keepdim), dtypes=F, **SMALL)


@pytest.mark.parametrize("name,ref", [("var", np.var), ("std", np.std)])
def test_var_std_unbiased_and_correction(name, ref):
    check_op([(4, 5)], lambda x: getattr(x, name)(unbiased=False), numpy_fn=lambda x: ref(x), **SMALL)
    check_op([(4, 5)], lambda x: getattr(x, name)(1, unbiased=False), numpy_fn=lambda x: ref(x, 1), **SMALL)
    check_op([(4, 5)], lambda x: getattr(x, name)(False), numpy_fn=lambda x: ref(x), **SMALL)
    check_op([(4, 5)], lambda x: getattr(x, name)(dim=0, correction=0), numpy_fn=lambda x: ref(x, 0), **SMALL)
    check_op([(4, 5)], lambda x: getattr(x, name)(axis=1, keepdims=True),
             numpy_fn=lambda x: ref(x, 1, ddof=1, keepdims=True), **SMALL)


def test_var_of_one_element_is_nan_like_torch(torch):
    with np.errstate(all="ignore"):
        check_op([(1,)], lambda x: x.var(), numpy_fn=lambda x: np.var(x, ddof=1), run_gradcheck=False)
        check_op([(3, 1)], lambda x: x.std(1), numpy_fn=lambda x: np.std(x, 1, ddof=1), run_gradcheck=False)


def test_var_large_offset_is_stable():
    # A mean far from 0 must not swamp the variance (two-pass or Welford).
    rng = np.random.default_rng(0)
    vals = (1000.0 + rng.standard_normal(10_001)).astype(np.float32)
    check_op([(10_001,)], lambda x: x.var(), numpy_fn=lambda x: np.var(x, ddof=1), values=[vals], rtol=1e-3,
             run_gradcheck=False, grad_rtol=1e-3, grad_atol=1e-6)


# --- cumsum --------------------------------------------------------------------------------

@pytest.mark.parametrize("dim", [0, 1, -1, 2])
def test_cumsum(dim):
    check_op([(3, 4, 5)], lambda x: x.cumsum(dim), numpy_fn=lambda x: np.cumsum(x, dim), dtypes=F, **SMALL)
    check_op([(3, 4, 5)], lambda x: x.cumsum(dim=dim), numpy_fn=lambda x: np.cumsum(x, dim), dtypes=["int64"],
             grad=False, low=-9, high=9)


def test_cumsum_axis_keyword_and_int_promotion():
    # d2l 2.3.7: A.cumsum(axis=0).
    check_op([(2, 3)], lambda x: x.cumsum(axis=0), numpy_fn=lambda x: np.cumsum(x, 0), **SMALL)
    check_op([(2, 3)], lambda x: x.cumsum(0), numpy_fn=lambda x: np.cumsum(x, 0, dtype=np.int64),
             dtypes=["int32", "uint8", "bool"], grad=False, low=0, high=9)


def test_cumsum_noncontiguous_and_large():
    check_op([(6, 7)], lambda x: x.cumsum(1), numpy_fn=lambda x: np.cumsum(x, 1), layouts=["transposed", "strided"],
             run_gradcheck=False, **SMALL)
    # The gradient is a reversed cumsum of 1e4 upstream values in [-1, 1]: float32
    # partial sums carry absolute errors up to ~1e4 * 6e-8.
    check_op([(10_007,)], lambda x: x.cumsum(0), numpy_fn=lambda x: np.cumsum(x), low=0, high=1, rtol=1e-4,
             run_gradcheck=False, grad_rtol=1e-4, grad_atol=5e-4)


# --- norm -------------------------------------------------------------------------------------

@pytest.mark.parametrize("p", [None, 2, 1, "fro", 3, float("inf")], ids=ids)
def test_norm_all(p):
    def fn(x):
        return x.norm() if p is None else x.norm(p)

    def ref(x):
        flat = x.reshape(-1)
        if p == float("inf"):
            return np.max(np.abs(flat))
        q = 2 if p in (None, "fro") else p
        return np.sum(np.abs(flat) ** q) ** (1.0 / q)

    check_op([(3, 4)], fn, numpy_fn=ref, dtypes=F, **SMALL)


@pytest.mark.parametrize("dim", [0, 1, -1, (0, 1)], ids=ids)
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("p", [2, 1])
def test_norm_dim(dim, keepdim, p):
    check_op([(3, 4)], lambda x: x.norm(p, dim, keepdim),
             numpy_fn=lambda x: np.sum(np.abs(x) ** p, axis=dim, keepdims=keepdim) ** (1.0 / p), dtypes=F, **SMALL)
    check_op([(3, 4)], lambda x: lib(x).norm(x, p=p, dim=dim, keepdim=keepdim),
             numpy_fn=lambda x: np.sum(np.abs(x) ** p, axis=dim, keepdims=keepdim) ** (1.0 / p), **SMALL)


@pytest.mark.parametrize("p", [-1, -2, -0.5, -3.0], ids=ids)
@pytest.mark.parametrize("dim", [None, 1], ids=ids)
def test_norm_negative_p(p, dim):
    # (sum |x|^p)^(1/p): 0 when an entry is 0 (|0|^p = inf), with its gradient 0 there (clip_grad_norm_
    # with a negative norm_type raised "not supported").
    def ref(x):
        return np.sum(np.abs(x) ** p, axis=dim) ** (1.0 / p)

    check_op([(3, 4)], lambda x: x.norm(p=p, dim=dim), numpy_fn=ref, dtypes=F, low=0.25, high=2, **SMALL)
    x = fasttensor.tensor([[1.0, 2.0, 0.0], [3.0, -4.0, 0.5]], dtype=fasttensor.float64, requires_grad=True)
    n = x.norm(p=p, dim=dim)
    n.sum().backward()
    with np.errstate(divide="ignore"):
        expected = ref(x.detach().numpy())
    np.testing.assert_allclose(n.tolist(), expected, rtol=1e-12)
    if dim is None:
        assert x.grad.tolist() == [[0.0] * 3] * 2
    else:
        assert x.grad.tolist()[0] == [0.0] * 3 and all(v != 0 for v in x.grad.tolist()[1])


def _linalg(x):
    return fasttensor.linalg if isinstance(x, fasttensor.Tensor) else torch.linalg


@pytest.mark.parametrize("ord_,dim", [(None, None), (None, 1), (2, 0), (1, None), (-1, None), (float("inf"), None),
                                      (float("-inf"), None), ("fro", None), (1, (1, 0)), (float("inf"), (0, 1)),
                                      (3, -1), (0.5, (0,)), (float("inf"), 1)], ids=ids)
@pytest.mark.parametrize("keepdim", [False, True])
def test_linalg_norm(ord_, dim, keepdim):
    def ref(x):  # NumPy's norm has the same conventions for these orders
        return np.linalg.norm(x, ord=ord_, axis=dim, keepdims=keepdim)

    check_op([(3, 4)], lambda x: _linalg(x).norm(x, ord_, dim, keepdim), numpy_fn=ref, dtypes=F, **SMALL)
    dims3 = dim if dim is not None else (1, 2)  # a batch of matrices needs its dims named
    check_op([(2, 3, 4)], lambda x: _linalg(x).norm(x, ord_, dims3, keepdim),
             numpy_fn=lambda x: np.linalg.norm(x, ord=ord_, axis=dims3, keepdims=keepdim),
             layouts=["transposed"], run_gradcheck=False, **SMALL)


@pytest.mark.parametrize("ord_", [2, 1, 0, 3.5, float("inf"), float("-inf")], ids=ids)
def test_linalg_vector_and_matrix_norm(ord_):
    def ref(x):
        flat = np.abs(x.reshape(-1))
        if ord_ == 0:
            return np.asarray(np.count_nonzero(flat)).astype(x.dtype)  # a Python int before NumPy 2
        return np.linalg.norm(flat, ord=ord_)

    values = [np.array([[0.0, -3.0, 4.0], [0.0, 1.5, -2.0]], np.float32)]
    check_op([(2, 3)], lambda x: _linalg(x).vector_norm(x, ord_), numpy_fn=ref, values=values,
             grad=ord_ != 0)
    check_op([(2, 3)], lambda x: x.norm(p=ord_, dim=1), numpy_fn=lambda x: np.linalg.norm(x, ord_, axis=1),
             values=values, grad=ord_ != 0)
    if ord_ in (1, float("inf"), float("-inf")):
        check_op([(2, 3, 4)], lambda x: _linalg(x).matrix_norm(x, ord_, dim=(2, 0)),
                 numpy_fn=lambda x: np.linalg.norm(x, ord_, axis=(2, 0)), dtypes=F, **SMALL)


def test_linalg_norm_errors():
    x = fasttensor.ones(2, 3, 4)
    with pytest.raises(RuntimeError, match="If dim is not specified but ord is, the input must be 1D or 2D. Got 3D"):
        fasttensor.linalg.norm(x, 1)
    with pytest.raises(RuntimeError, match="must have at least 2 dimensions"):
        fasttensor.linalg.matrix_norm(fasttensor.ones(3))
    with pytest.raises(NotImplementedError, match="singular values"):
        fasttensor.linalg.matrix_norm(fasttensor.ones(2, 2), 2)
    with pytest.raises(NotImplementedError, match="singular values"):
        fasttensor.linalg.norm(fasttensor.ones(2, 2), "nuc")
    with pytest.raises(RuntimeError, match="Expected a floating point or complex tensor as input. Got Long"):
        fasttensor.linalg.vector_norm(fasttensor.arange(3))
    with pytest.raises(RuntimeError, match="dims must be different"):
        fasttensor.linalg.matrix_norm(fasttensor.ones(2, 2), dim=(1, 1))


# --- isclose / allclose / equal ------------------------------------------------------------------

def test_isclose_allclose_equal():
    inf, nan = float("inf"), float("nan")
    a = [1.0, 1.0, inf, inf, nan, 1e-9, 100.0, -inf]
    b = [1.0 + 1e-6, 1.1, inf, -inf, nan, 0.0, 100.001, -inf]
    for lib_ in [fasttensor] + ([torch] if HAVE_TORCH else []):
        x, y = lib_.tensor(a), lib_.tensor(b)
        got = [x.isclose(y).tolist(), lib_.isclose(x, y, equal_nan=True).tolist(),
               lib_.isclose(x, y, rtol=0, atol=0.01).tolist(),
               lib_.isclose(lib_.tensor([1, 2]), lib_.tensor([[1], [3]])).tolist(),
               lib_.allclose(x[:2], y[:2], rtol=0.2), lib_.allclose(x, x), lib_.allclose(x, x, equal_nan=True),
               lib_.equal(x[:4], x[:4].clone()), lib_.equal(x[:2], x[:3]), x[:0].equal(y[:0]),
               lib_.equal(lib_.ones(2), lib_.ones(2, dtype=lib_.int64))]
        assert got == [[True, False, True, False, False, True, True, True],
                       [True, False, True, False, True, True, True, True],
                       [True, False, True, False, False, True, True, True],
                       [[True, False], [False, False]],
                       True, False, True, True, False, True, True], lib_.__name__
    with pytest.raises(RuntimeError, match="Float did not match Long"):
        fasttensor.isclose(fasttensor.ones(2), fasttensor.ones(2, dtype=fasttensor.int64))
    with pytest.raises(RuntimeError, match="rtol must be greater than or equal to zero"):
        fasttensor.allclose(fasttensor.ones(2), fasttensor.ones(2), rtol=-1)
    with pytest.raises(RuntimeError, match=r"size of tensor a \(2\) must match the size of tensor b \(3\)"):
        fasttensor.allclose(fasttensor.ones(2), fasttensor.ones(3))


def test_norm_d2l_examples():
    u = fasttensor.tensor([3.0, -4.0])
    assert fasttensor.norm(u).item() == 5.0
    assert fasttensor.abs(u).sum().item() == 7.0
    assert fasttensor.norm(fasttensor.ones((4, 9))).item() == 6.0


def test_norm_gradient_at_zero_is_zero_like_torch(torch):
    check_op([(3,)], lambda x: x.norm(), values=[np.zeros(3, np.float32)], numpy_fn=lambda x: np.linalg.norm(x),
             run_gradcheck=False)


def test_norm_large():
    check_op([(300, 301)], lambda x: x.norm(), numpy_fn=lambda x: np.linalg.norm(x), rtol=1e-4,
             run_gradcheck=False)


@pytest.mark.parametrize("n", [1, 3, 7, 8, 9, 15, 16, 17, 63, 64, 65, 130], ids=ids)
def test_short_and_odd_rows(n):
    # Rows shorter than the 64-lane accumulator block take their own path (8 lanes, then one by one).
    check_op([(5, n)], lambda x: x.sum(1), numpy_fn=lambda x: x.sum(1), dtypes=F, **SMALL)
    check_op([(5, n)], lambda x: x.mean(1, keepdim=True), numpy_fn=lambda x: x.mean(1, keepdims=True), **SMALL)
    check_op([(5, n)], lambda x: x.amax(1), numpy_fn=lambda x: x.max(1), dtypes=F + ("int64",), **SMALL)
    check_op([(5, n)], lambda x: x.prod(1), numpy_fn=lambda x: x.prod(1), low=0.5, high=1.5, **SMALL)
    for k in {0, n // 2, n - 1}:  # a NaN in a block of 8 or in the tail propagates
        a = np.random.default_rng(k).standard_normal((3, n)).astype(np.float32)
        a[1, k] = np.nan
        got = fasttensor.tensor(a)
        assert np.isnan(got.amax(1)[1].item()) and np.isnan(got.sum(1)[1].item()) and np.isnan(got.amin(1)[1].item())
        np.testing.assert_array_equal(to_numpy(got.amax(1))[[0, 2]], a[[0, 2]].max(1))


# --- small float sums add up in PyTorch's order -----------------------------------------------------
# A model of ATen's CPU sum order (cascade_sum in SumKernel.cpp, one thread: up to 32768 elements),
# written from its structure, against which csrc/cpu/reduce.cpp's torch-order path is checked bit for
# bit (and against torch itself where installed): equal sums print equal digits.

def _ceil_log2(x: int) -> int:
    return 0 if x <= 1 else (x - 1).bit_length()


def _level_sums(items: np.ndarray) -> np.ndarray:
    """Sum over axis 0 in blocks of 2^p items carried through four levels of partial sums."""
    dt, size = items.dtype, items.shape[0]
    power = max(4, _ceil_log2(size) // 4)
    step, mask = 1 << power, (1 << power) - 1
    acc = [np.zeros(items.shape[1:], dt) for _ in range(4)]
    i = 0
    while i + step <= size:
        for _ in range(step):
            acc[0] = (acc[0] + items[i]).astype(dt)
            i += 1
        for j in range(1, 4):
            acc[j] = (acc[j] + acc[j - 1]).astype(dt)
            acc[j - 1] = np.zeros_like(acc[j - 1])
            if i & (mask << (j * power)):
                break
    for k in range(i, size):
        acc[0] = (acc[0] + items[k]).astype(dt)
    for j in range(1, 4):
        acc[0] = (acc[0] + acc[j]).astype(dt)
    return acc[0]


def _ilp_sum(items: np.ndarray) -> np.ndarray:
    """Items read as steps of 4 independent level sums, leftovers into the first, then the four added."""
    dt, size = items.dtype, items.shape[0]
    steps = size // 4
    part = list(_level_sums(items[:4 * steps].reshape((steps, 4) + items.shape[1:])).astype(dt)) if steps else \
        [np.zeros(items.shape[1:], dt) for _ in range(4)]
    for k in range(4 * steps, size):
        part[0] = (part[0] + items[k]).astype(dt)
    for k in range(1, 4):
        part[0] = (part[0] + part[k]).astype(dt)
    return part[0]


def _torch_row_sum(x: np.ndarray):
    width = 32 // x.itemsize  # one 256-bit vector
    if len(x) < width:
        return _ilp_sum(x)
    vecs = len(x) // width
    lanes = _ilp_sum(x[:vecs * width].reshape(vecs, width))
    total = x.dtype.type(0)
    for v in list(x[vecs * width:]) + list(lanes):
        total = x.dtype.type(total + v)
    return total


def _torch_column_sums(x: np.ndarray) -> np.ndarray:
    rows, cols = x.shape
    width = 32 // x.itemsize
    group = 4 * width if cols >= width else 4
    leveled = cols // group * group
    out = np.empty(cols, x.dtype)
    if leveled:
        out[:leveled] = _level_sums(x[:, :leveled])
    for j in range(leveled, cols):
        out[j] = _ilp_sum(x[:, j])
    return out


@pytest.mark.parametrize("dtype", F)
@pytest.mark.parametrize("n", [1, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 31, 33, 64, 100, 255, 257, 1000, 4099, 32768])
def test_small_sums_in_torch_order(dtype, n):
    rng = np.random.default_rng(n)
    for trial in range(4):
        a = (rng.standard_normal(n) * [1, 100, 0.01, 1e4][trial]).astype(dtype)
        x = fasttensor.tensor(a)
        want = _torch_row_sum(a)
        assert x.sum().item() == want
        assert x.mean().item() == np.dtype(dtype).type(want / np.dtype(dtype).type(n))
        if HAVE_TORCH:
            assert x.sum().item() == torch.tensor(a).sum().item()
            assert x.mean().item() == torch.tensor(a).mean().item()


@pytest.mark.parametrize("dtype", F)
@pytest.mark.parametrize("shape", [(5, 3), (5, 4), (17, 3), (40, 7), (40, 9), (100, 33), (33, 100), (300, 20),
                                   (1000, 32), (7, 5), (64, 16), (2048, 16), (181, 181), (4, 6, 5)])
def test_small_row_and_column_sums_in_torch_order(dtype, shape):
    rng = np.random.default_rng(sum(shape))
    a = rng.standard_normal(shape).astype(dtype)
    x = fasttensor.tensor(a)
    flat = a.reshape(shape[0], -1)
    rows = np.array([_torch_row_sum(r) for r in a.reshape(-1, shape[-1])]).reshape(shape[:-1])
    np.testing.assert_array_equal(x.sum(-1).numpy(), rows)
    np.testing.assert_array_equal(x.sum(0).numpy(), _torch_column_sums(flat).reshape(shape[1:]))
    np.testing.assert_array_equal(x.mean(0).numpy(), (_torch_column_sums(flat) / np.dtype(dtype).type(shape[0]))
                                  .astype(dtype).reshape(shape[1:]))
    np.testing.assert_array_equal(x.sum(0, keepdim=True).numpy()[0], x.sum(0).numpy())
    if HAVE_TORCH:
        t = torch.tensor(a)
        for fn in (lambda v: v.sum(-1), lambda v: v.sum(0), lambda v: v.mean(0), lambda v: v.mean(-1),
                   lambda v: v.sum(), lambda v: v.sum(tuple(range(1, len(shape))))):
            np.testing.assert_array_equal(fn(x).numpy(), fn(t).numpy())


def test_d2l_sum_prints_as_torch():
    # Chapter 4.4's W.sum(): 2.0000 under sequential float32 addition, 2. in PyTorch's order.
    w = fasttensor.tensor([[.1, .2, .7], [.3, .3, .4]])
    assert repr(w.sum()) == "tensor(2.)"
    assert repr(fasttensor.tensor([.1, .2, .7, .3, .3, .4]).sum()) == "tensor(2.)"


@pytest.mark.parametrize("dtype", F)
@pytest.mark.parametrize("shape", [(2, 9, 2), (2, 5, 3), (3, 9, 2), (7, 9, 11), (4, 64, 33), (8, 8, 8, 8), (40, 33)])
def test_sums_of_any_layout_and_dims_in_torch_order(dtype, shape):
    # Middle dims, several dims, transposed / stepped / sliced views: TensorIterator's walk.
    rng = np.random.default_rng(len(shape) * 100 + shape[-1])
    a = (rng.standard_normal(shape) * 100).astype(dtype)
    views = {"plain": lambda m, t: t, "T": lambda m, t: t.transpose(0, -1), "step": lambda m, t: t[::2],
             "slice": lambda m, t: t[..., 1:], "expanded": lambda m, t: t[:1].expand(3, *t.shape[1:])}
    for name, view in views.items():
        x = view(fasttensor, fasttensor.tensor(a))
        arr = x.numpy()
        for dims in [None] + list(range(x.dim())) + [(0, x.dim() - 1)]:
            got = x.sum() if dims is None else x.sum(dims)
            # Always: the exact sum within a float's rounding of each addition (no lost terms).
            want = arr.astype(np.float64).sum(axis=dims)
            np.testing.assert_allclose(got.numpy(), want, rtol=1e-5 if dtype == "float32" else 1e-12,
                                       atol=1e-3 if dtype == "float32" else 1e-9)
            mean = x.mean() if dims is None else x.mean(dims)
            count = arr.size if dims is None else int(np.prod([arr.shape[d] for d in np.atleast_1d(dims)]))
            np.testing.assert_array_equal(mean.numpy(), (got.numpy() / np.dtype(dtype).type(count)).astype(dtype))
            if HAVE_TORCH:  # and the same bits as torch's
                t = view(torch, torch.tensor(a))
                np.testing.assert_array_equal(got.numpy(), (t.sum() if dims is None else t.sum(dims)).numpy())
                np.testing.assert_array_equal(mean.numpy(), (t.mean() if dims is None else t.mean(dims)).numpy())
                np.testing.assert_array_equal(fasttensor.nansum(x, dims).numpy(),
                                              torch.nansum(t, dims).numpy() if dims is not None else
                                              torch.nansum(t).numpy())


def test_middle_dim_sum_adds_in_torch_order():
    # Along dim 1, [1e8, 1 x 7, -1e8] in 4 interleaved sums: (1e8 + 1) + -1e8 = 0 (the 1 is lost in
    # float32), then 0 + (1 + 1) + (1 + 1) + (1 + 1) = 6; in sequence every 1 would be lost: 0.
    x = np.zeros((2, 9, 2), "f4")
    x[:, 0] = 1e8
    x[:, 1:8] = 1
    x[:, 8] = -1e8
    got = fasttensor.tensor(x).sum(1)
    assert got.tolist() == [[6.0, 6.0], [6.0, 6.0]]
    if HAVE_TORCH:
        np.testing.assert_array_equal(got.numpy(), torch.tensor(x).sum(1).numpy())


@pytest.mark.parametrize("call,name", [
    (lambda m: m.tensor([3.0]).std(), "std"), (lambda m: m.tensor([3.0]).var(), "var"),
    (lambda m: m.tensor(3.0).std(), "std"), (lambda m: m.ones(0).var(), "var"),
    (lambda m: m.ones(2, 1).std(1), "std"), (lambda m: m.ones(3, 2).var(0, correction=3), "var"),
    (lambda m: m.std(m.ones(4, 0), 1), "std"),
])
def test_var_std_warn_without_degrees_of_freedom(call, name):
    """PyTorch warns when the reduction covers no more elements than the correction (the result is
    NaN or inf) and only then."""
    message = (rf"^{name}\(\): degrees of freedom is <= 0\. Correction should be strictly less than the reduction "
               r"factor \(input numel divided by output numel\)\.")
    with pytest.warns(UserWarning, match=message):
        ours = call(fasttensor)
    if HAVE_TORCH:
        with pytest.warns(UserWarning, match=message):
            theirs = call(torch)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fasttensor.ones(2).std(), fasttensor.ones(3, 2).var(0, correction=2), fasttensor.tensor([3.0]).std(correction=0)
