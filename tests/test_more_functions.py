"""The functions of fasttensor._more: statistics (median ... corrcoef),
elementwise ops and the in-place methods, shape and index ops (take ...
einsum, scatter/index_add). Values against NumPy references always; values,
dtypes, shapes, gradients and error types against torch 2.13 when installed;
gradcheck in float64 through check_op."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import fasttensor
from helpers import HAVE_TORCH, TORCH_IS_REFERENCE, assert_close, both, check_op, ids, lib, raises_like, to_numpy, torch

F = ("float32", "float64")
L3 = ("contiguous", "transposed", "strided")


def lower_median(a, axis=None):
    """NumPy reference: the lower median (NaN where a NaN is present)."""
    s = np.sort(a.reshape(-1) if axis is None else a, axis=0 if axis is None else axis)
    n = s.shape[0 if axis is None else axis]
    return np.take(s, (n - 1) // 2, axis=0 if axis is None else axis)


# --- median, nanmedian, kthvalue, mode ------------------------------------------------------------


@pytest.mark.parametrize("shape", [(7,), (4, 5), (3, 1, 6), (1,), ()], ids=ids)
def test_median_all(shape):
    check_op([shape], lambda x: lib(x).median(x), numpy_fn=lambda x: lower_median(x), dtypes=F + ("int64",),
             layouts=L3 if len(shape) >= 1 else ("contiguous",))


@pytest.mark.parametrize("shape,dim,keepdim", [((7,), 0, False), ((4, 5), 1, True), ((4, 5), -2, False),
                                               ((3, 1, 6), 2, False), ((2, 3, 4), 1, True), ((), 0, False)], ids=ids)
def test_median_dim(shape, dim, keepdim):
    def ref(x):
        if x.ndim == 0:
            return x, np.array(0)
        v = lower_median(x, dim)
        return (np.expand_dims(v, dim) if keepdim else v), None

    def ft_fn(x):
        return lib(x).median(x, dim, keepdim)

    check_op([shape], ft_fn, dtypes=F, layouts=L3)
    x = np.random.default_rng(1).normal(size=shape).astype(np.float32)
    out = fasttensor.median(fasttensor.tensor(x), dim, keepdim)
    assert_close(out.values, ref(x)[0])
    if x.size and x.ndim:  # the index points at the value
        picked = np.take_along_axis(x, np.expand_dims(to_numpy(out.indices), dim) if not keepdim
                                    else to_numpy(out.indices), dim)
        np.testing.assert_array_equal(picked.reshape(-1), to_numpy(out.values).reshape(-1))


def test_median_nan_ties_and_gradient_spread():
    nan = math.nan
    raises_like(lambda m: m.median(m.ones(5, 0), 1), IndexError, "Expected reduction dim 1 to have non-zero size")
    both(lambda m: m.median(m.tensor([[1., nan, 0, nan], [3, 1, 2, 2]]), 1))
    both(lambda m: m.nanmedian(m.tensor([[nan, nan], [3, 1], [nan, 2]]), 1))
    both(lambda m: m.tensor([2., nan, 1]).median())
    both(lambda m: m.tensor([2., nan, 1, nan]).nanmedian())
    both(lambda m: m.tensor([nan, nan]).nanmedian())
    both(lambda m: m.median(m.tensor([2, 1, 2, 1, 2, 1]), 0))
    both(lambda m: m.median(m.tensor([[5, 5, 1, 5], [2, 2, 2, 2]]), 1))
    for values in ([1., 2., 2., 3., 0.], [1., 2., 2., 3., 2.], [4., nan, 1, nan]):
        x = fasttensor.tensor(values, requires_grad=True)
        x.median().backward()
        expect = {0.0: np.array([0, .5, .5, 0, 0]), 2.0: np.array([0, 1 / 3, 1 / 3, 0, 1 / 3])}.get(
            values[-1], np.array([0, .5, 0, .5]))
        np.testing.assert_allclose(to_numpy(x.grad), expect, rtol=1e-6)
        if HAVE_TORCH:
            t = torch.tensor(values, requires_grad=True)
            t.median().backward()
            np.testing.assert_allclose(to_numpy(x.grad), t.grad.numpy(), rtol=1e-6)
    assert math.isnan(fasttensor.tensor([]).median().item())
    assert isinstance(fasttensor.median(fasttensor.ones(2, 2), 0), fasttensor.return_types.median)
    assert repr(fasttensor.median(fasttensor.tensor([1., 2.]), 0)).startswith("fasttensor.return_types.median(\n")


@pytest.mark.parametrize("shape,dim", [((9,), 0), ((4, 5), 1), ((4, 5), 0), ((2, 3, 4), -1)], ids=ids)
def test_nanmedian_with_nans(shape, dim):
    rng = np.random.default_rng(3)
    x = rng.normal(size=shape)
    x[rng.random(shape) < 0.3] = np.nan

    def ref_all(a):
        v = np.sort(a[~np.isnan(a)])
        return v[(v.size - 1) // 2] if v.size else np.nan

    check_op([shape], lambda t: lib(t).nanmedian(t), numpy_fn=ref_all, values=[x], dtypes=F)
    check_op([shape], lambda t: lib(t).nanmedian(t, dim), values=[x], dtypes=F, run_gradcheck=False)
    out = fasttensor.nanmedian(fasttensor.tensor(x), dim).values
    assert_close(out, np.apply_along_axis(ref_all, dim, x))


@pytest.mark.parametrize("shape,k,dim,keepdim", [((7,), 3, 0, False), ((4, 5), 1, 1, True), ((4, 5), 4, 0, False),
                                                 ((2, 3, 6), 6, -1, False), ((), 1, 0, True)], ids=ids)
def test_kthvalue(shape, k, dim, keepdim):
    check_op([shape], lambda x: lib(x).kthvalue(x, k, dim, keepdim), dtypes=F, layouts=L3)
    # integers tie: the values agree (which of equal entries torch's selection reports is unspecified)
    xi = np.random.default_rng(0).integers(-3, 3, size=shape)
    ref = np.take(np.sort(xi, axis=dim), [k - 1], axis=dim) if xi.ndim else xi
    assert_close(fasttensor.kthvalue(fasttensor.tensor(xi), k, dim, keepdim).values,
                 ref if keepdim or not xi.ndim else ref.squeeze(dim))
    x = np.random.default_rng(0).normal(size=shape)
    v = fasttensor.kthvalue(fasttensor.tensor(x), k, dim, keepdim).values
    ref = np.take(np.sort(x, axis=dim), [k - 1], axis=dim) if x.ndim else x
    assert_close(v, ref if keepdim else ref.squeeze(dim) if x.ndim else x)


def test_kthvalue_errors():
    raises_like(lambda m: m.kthvalue(m.ones(3), 4), RuntimeError, "k out of range")
    raises_like(lambda m: m.kthvalue(m.ones(3), 0), RuntimeError, "k out of range")


@pytest.mark.parametrize("values,dim", [([1, 2, 2, 1, 3], 0), ([[3, 1, 3, 1, 2, 2]], 1), ([[4, 4], [1, 2]], 0),
                                        ([[0.5, 0.5, -1.0, -1.0, 2.0], [2.0, 1.0, 1.0, 3.0, 1.0]], -1),
                                        ([7], 0), (5, 0)], ids=ids)
def test_mode(values, dim):
    def ref(a):
        if a.ndim == 0:
            return a, np.array(0)
        moved = np.moveaxis(a, dim, -1)
        vals, idx = [], []
        for row in moved.reshape(-1, moved.shape[-1]):
            uniq, counts = np.unique(row, return_counts=True)
            best = uniq[np.argmax(counts)]  # np.unique sorts: the smallest of the most frequent
            vals.append(best)
            idx.append(np.nonzero(row == best)[0][-1])
        shape = moved.shape[:-1]
        return np.array(vals).reshape(shape), np.array(idx).reshape(shape)

    arr = np.array(values)
    dtypes = ("float32", "int64") if arr.dtype.kind == "f" else ("int64", "float64", "int32")
    for dt in dtypes:
        check_op([arr.shape], lambda x: lib(x).mode(x, dim), numpy_fn=ref, values=[arr], dtypes=(dt,),
                 run_gradcheck=False)  # ties: a nudge changes which entry is the mode


def test_mode_random_many_ties():
    x = np.random.default_rng(5).integers(0, 4, size=(6, 11))
    check_op([x.shape], lambda t: lib(t).mode(t, 1), values=[x], dtypes=("int64", "float32"), run_gradcheck=False)
    check_op([x.shape], lambda t: lib(t).mode(t, 0, True), values=[x], dtypes=("float64",), run_gradcheck=False)


# --- quantile, var_mean, std_mean, aminmax ---------------------------------------------------------


MODES = ("linear", "lower", "higher", "midpoint", "nearest")


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("shape,q,dim,keepdim", [((9,), 0.3, None, False), ((4, 5), 0.5, 1, False),
                                                 ((4, 5), [0.0, 0.25, 0.6, 1.0], 0, True),
                                                 ((2, 3, 4), [0.1, 0.9], -1, False), ((3, 4), 0.75, None, True),
                                                 ((), 0.4, None, False), ((5,), 0.125, 0, False)], ids=ids)
def test_quantile(mode, shape, q, dim, keepdim):
    def ft_fn(x):
        m = lib(x)
        qq = m.tensor(q, dtype=x.dtype) if isinstance(q, list) else q
        return m.quantile(x, qq, dim, keepdim, interpolation=mode)

    def ref(x):
        return np.quantile(x, q, axis=dim, keepdims=keepdim, method=mode)

    check_op([shape], ft_fn, numpy_fn=ref if mode != "nearest" else None, dtypes=F,
             layouts=L3 if shape else ("contiguous",))


@pytest.mark.parametrize("mode", MODES)
def test_nanquantile(mode):
    rng = np.random.default_rng(2)
    x = rng.normal(size=(4, 7))
    x[rng.random(x.shape) < 0.35] = np.nan
    x[2] = np.nan
    check_op([x.shape], lambda t: lib(t).nanquantile(t, 0.4, 1, interpolation=mode), values=[x], dtypes=F,
             run_gradcheck=False)
    check_op([x.shape], lambda t: lib(t).quantile(t, 0.4, 1, interpolation=mode), values=[x], dtypes=F,
             run_gradcheck=False)
    if mode != "nearest":
        out = fasttensor.nanquantile(fasttensor.tensor(x), 0.4, 1, interpolation=mode)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert_close(out, np.nanquantile(x, 0.4, axis=1, method=mode))


def test_quantile_errors():
    raises_like(lambda m: m.quantile(m.ones(3), 1.5), RuntimeError, r"q must be in the range \[0, 1\]")
    raises_like(lambda m: m.quantile(m.ones(3, dtype=m.int64), 0.5), RuntimeError, "float or double")
    raises_like(lambda m: m.quantile(m.ones(3), m.tensor([0.5], dtype=m.float64)), RuntimeError, "same dtype")
    raises_like(lambda m: m.quantile(m.ones(3), 0.5, interpolation="cubic"), RuntimeError, "interpolation must be")


@pytest.mark.parametrize("fn", ["var_mean", "std_mean"])
@pytest.mark.parametrize("args,kwargs", [((), {}), ((1,), {}), ((0,), {"keepdim": True}), ((1,), {"unbiased": False}),
                                         (((0, 1),), {"correction": 0}), ((-1,), {"correction": 2})], ids=ids)
def test_var_std_mean(fn, args, kwargs):
    def ref(x):
        ddof = kwargs.get("correction", 0 if kwargs.get("unbiased") is False else 1)
        axis = args[0] if args else None
        keep = kwargs.get("keepdim", False)
        spread = np.var(x, axis=axis, ddof=ddof, keepdims=keep)
        return (spread if fn == "var_mean" else np.sqrt(spread)), np.mean(x, axis=axis, keepdims=keep)

    check_op([(4, 5)], lambda x: getattr(lib(x), fn)(x, *args, **kwargs), numpy_fn=ref, dtypes=F, layouts=L3)


@pytest.mark.parametrize("shape,kwargs", [((4, 5), {}), ((4, 5), {"dim": 1}), ((4, 5), {"dim": -2, "keepdim": True}),
                                          ((), {}), ((7,), {"dim": 0}), ((2, 3), {"keepdim": True})], ids=ids)
def test_aminmax(shape, kwargs):
    def ref(x):
        axis = kwargs.get("dim")
        keep = kwargs.get("keepdim", False)
        return np.min(x, axis=axis, keepdims=keep), np.max(x, axis=axis, keepdims=keep)

    check_op([shape], lambda x: lib(x).aminmax(x, **kwargs), numpy_fn=ref, dtypes=F + ("int32", "uint8"),
             layouts=L3 if shape else ("contiguous",))
    out = fasttensor.aminmax(fasttensor.ones(2, 3), dim=1)
    assert type(out).__name__ == "aminmax" and out.min is out[0] and out.max is out[1]
    raises_like(lambda m: m.aminmax(m.ones(0)), RuntimeError)


# --- cummax, cummin, logcumsumexp ------------------------------------------------------------------


def ref_cum(a, dim, better):
    moved = np.moveaxis(a, dim, -1)
    vals, idx = np.empty_like(moved), np.zeros(moved.shape, dtype=np.int64)
    for pos in np.ndindex(moved.shape[:-1]):
        best, at = None, 0
        for i, v in enumerate(moved[pos]):
            if best is None or (np.isnan(v) if moved.dtype.kind == "f" else False) or better(v, best):
                best, at = v, i
            vals[pos + (i,)], idx[pos + (i,)] = best, at
    return np.moveaxis(vals, -1, dim), np.moveaxis(idx, -1, dim)


@pytest.mark.parametrize("name", ["cummax", "cummin"])
@pytest.mark.parametrize("shape,dim", [((9,), 0), ((4, 5), 1), ((4, 5), 0), ((2, 3, 17), -1), ((1,), 0),
                                       ((3, 0), 1)], ids=ids)
def test_cummax_cummin(name, shape, dim):
    better = (lambda v, b: v >= b) if name == "cummax" else (lambda v, b: v <= b)
    check_op([shape], lambda x: getattr(lib(x), name)(x, dim), numpy_fn=lambda a: ref_cum(a, dim, better),
             dtypes=F + ("int64", "uint8"), layouts=L3)


@pytest.mark.parametrize("name", ["cummax", "cummin"])
def test_cummax_ties_nan_0d(name):
    nan = math.nan
    better = (lambda v, b: v >= b) if name == "cummax" else (lambda v, b: v <= b)
    data = np.array([[1., 3., 3., nan, 2., nan, 0.], [2., 2., 1., 1., 5., 5., 2.]])
    check_op([data.shape], lambda x: getattr(lib(x), name)(x, 1), numpy_fn=lambda a: ref_cum(a, 1, better),
             values=[data], dtypes=F, run_gradcheck=False)
    check_op([()], lambda x: getattr(lib(x), name)(x, 0), dtypes=F)
    check_op([(3, 4)], lambda x: getattr(x, name)(dim=-1), dtypes=F)


@pytest.mark.parametrize("shape,dim", [((9,), 0), ((4, 5), 1), ((4, 5), -2), ((2, 3, 33), -1), ((), 0), ((3, 0), 1)],
                         ids=ids)
def test_logcumsumexp(shape, dim):
    def ref(a):
        return np.logaddexp.accumulate(a, axis=dim) if a.ndim else a

    check_op([shape], lambda x: lib(x).logcumsumexp(x, dim), numpy_fn=ref, dtypes=F, layouts=L3, low=-30, high=30)


def test_logcumsumexp_infinities():
    inf = math.inf
    both(lambda m: m.logcumsumexp(m.tensor([-inf, -inf, 0., inf, 1., -inf]), 0))
    both(lambda m: m.logcumsumexp(m.tensor([-1000., 0., -2000.]), 0))
    raises_like(lambda m: m.logcumsumexp(m.tensor([1, 2]), 0), RuntimeError)


# --- bincount, histc, diff, cov, corrcoef -------------------------------------------------------------


@pytest.mark.parametrize("n,high,minlength", [(20, 5, 0), (1, 0, 0), (0, 1, 3), (50, 9, 12), (7, 3, 2)], ids=ids)
def test_bincount(n, high, minlength):
    x = np.random.default_rng(n).integers(0, high + 1, size=n)
    w = np.random.default_rng(1).normal(size=n)
    both(lambda m: m.bincount(m.tensor(x, dtype=m.int64), minlength=minlength))
    assert_close(fasttensor.bincount(fasttensor.tensor(x), minlength=minlength), np.bincount(x, minlength=minlength))
    for wdt in ("float32", "float64", "int32"):
        out = both(lambda m: m.bincount(m.tensor(x), m.tensor(w.astype(wdt) if wdt[0] == "f" else (w * 3).astype(wdt)),
                                        minlength))
        weights = w.astype(wdt) if wdt[0] == "f" else (w * 3).astype(wdt)
        np.testing.assert_allclose(to_numpy(out), np.bincount(x, weights, minlength), rtol=1e-5, atol=1e-6)
    both(lambda m: m.tensor(x, dtype=m.uint8).bincount())


def test_bincount_errors():
    raises_like(lambda m: m.bincount(m.tensor([1, -1])), RuntimeError, "non-negative")
    raises_like(lambda m: m.bincount(m.tensor([[1]])), RuntimeError, "1-d non-negative")
    raises_like(lambda m: m.bincount(m.tensor([1.0])), RuntimeError)
    raises_like(lambda m: m.bincount(m.tensor([1, 2]), m.tensor([1.0])), RuntimeError)


@pytest.mark.parametrize("shape,bins,lo,hi", [((50,), 10, 0, 0), ((7, 9), 4, -1, 1), ((30,), 7, -0.5, 3),
                                              ((5,), 3, 2, 2), ((0,), 5, 0, 0), ((3, 4), 1, 0, 0)], ids=ids)
def test_histc(shape, bins, lo, hi):
    for dt in F:
        x = np.random.default_rng(bins).normal(size=shape).astype(dt)
        if x.size > 3:
            x.reshape(-1)[:3] = [np.nan if lo != hi else 0.5, x.max(), x.min()]
        out = both(lambda m: m.histc(m.tensor(x), bins, lo, hi))
        finite = x[~np.isnan(x)]
        r = (lo, hi) if lo != hi else ((finite.min(), finite.max()) if finite.size else (0, 0))
        if r[0] == r[1]:
            r = (r[0] - 1, r[1] + 1)
        ref, _ = np.histogram(finite, bins, range=r)
        np.testing.assert_array_equal(to_numpy(out), ref.astype(dt))
    raises_like(lambda m: m.histc(m.tensor([1, 2])), RuntimeError)
    raises_like(lambda m: m.histc(m.tensor([1.0, math.nan])), RuntimeError, "range of .* is not finite")
    raises_like(lambda m: m.histc(m.ones(3), 3, 2, 1), RuntimeError, "max must be larger than min")
    raises_like(lambda m: m.histc(m.ones(3), 0), RuntimeError, "bins must be > 0")


@pytest.mark.parametrize("shape,n,dim", [((7,), 1, -1), ((4, 5), 2, 1), ((4, 5), 1, 0), ((3, 4, 2), 3, -2),
                                         ((1,), 1, 0), ((4, 2), 5, 1)], ids=ids)
def test_diff(shape, n, dim):
    check_op([shape], lambda x: lib(x).diff(x, n, dim), numpy_fn=lambda a: np.diff(a, n, axis=dim),
             dtypes=F + ("int32",), layouts=L3)
    pre = list(shape)
    pre[dim] = 2
    check_op([shape, tuple(pre), tuple(pre)], lambda x, p, a: lib(x).diff(x, n, dim, prepend=p, append=a),
             numpy_fn=lambda x, p, a: np.diff(x, n, axis=dim, prepend=p, append=a), dtypes=F)


def test_diff_bool_and_errors():
    both(lambda m: m.diff(m.tensor([True, False, False, True])))
    both(lambda m: m.tensor([1, 5, 2]).diff(prepend=m.tensor([0])))
    raises_like(lambda m: m.diff(m.tensor(1.0)), RuntimeError, "at least one-dimensional")


@pytest.mark.parametrize("shape", [(3, 7), (1, 5), (6,), (4, 2)], ids=ids)
@pytest.mark.parametrize("correction", [0, 1, 2])
def test_cov(shape, correction):
    check_op([shape], lambda x: lib(x).cov(x, correction=correction),
             numpy_fn=lambda a: np.cov(a, ddof=correction) if shape[-1] > correction else None,
             dtypes=F, layouts=L3, rtol=1e-4, atol=1e-5) if shape[-1] > correction else None


def test_cov_weights_and_ints():
    x = np.random.default_rng(0).normal(size=(3, 6))
    fw = np.array([1, 2, 1, 3, 1, 2])
    aw = np.random.default_rng(1).uniform(0.5, 2, size=6)
    for kwargs, ref in (({"fweights": fw}, np.cov(x, fweights=fw)), ({"aweights": aw}, np.cov(x, aweights=aw)),
                        ({"fweights": fw, "aweights": aw}, np.cov(x, fweights=fw, aweights=aw))):
        check_op([x.shape], lambda t: lib(t).cov(t, **{k: lib(t).tensor(v) for k, v in kwargs.items()}),
                 numpy_fn=lambda a: ref, values=[x], dtypes=("float64",))
    both(lambda m: m.cov(m.tensor([[1, 2, 4], [3, 1, 0]])))
    raises_like(lambda m: m.cov(m.ones(2, 3, 4)), RuntimeError, "two or fewer dimensions")
    raises_like(lambda m: m.cov(m.ones(2, 3), fweights=m.ones(3)), RuntimeError, "integral dtype")


@pytest.mark.parametrize("shape", [(3, 7), (2, 4), (5,)], ids=ids)
def test_corrcoef(shape):
    check_op([shape], lambda x: lib(x).corrcoef(x), numpy_fn=lambda a: np.corrcoef(a), dtypes=F, layouts=L3,
             rtol=1e-4, atol=1e-5)


# --- elementwise -------------------------------------------------------------------------------------------


SHAPES2 = [((3, 4), (3, 4)), ((3, 1), (4,)), ((), (2, 3)), ((5,), ()), ((0, 3), (3,))]
FLOAT_PAIRS = ("float32", "float64", ("float32", "float64"))


@pytest.mark.parametrize("name,ref,low,high", [
    ("frac", lambda x: x - np.trunc(x), -5, 5),
    ("sgn", np.sign, -2, 2),
    ("deg2rad", np.deg2rad, -400, 400),
    ("rad2deg", np.rad2deg, -7, 7),
    ("absolute", np.abs, -2, 2),
    ("positive", lambda x: x, -2, 2),
    ("erfinv", None, -0.999, 0.999),
], ids=ids)
@pytest.mark.parametrize("shape", [(3, 4), (), (7,), (0, 2)], ids=ids)
def test_unary(name, ref, low, high, shape):
    grad = name != "sgn"  # torch's sgn gradient is a ZeroTensor, which has no NumPy form; ours is zeros
    check_op([shape], lambda x: getattr(lib(x), name)(x), numpy_fn=ref, dtypes=F, low=low, high=high, grad=grad,
             layouts=L3 if len(shape) else ("contiguous",))
    check_op([shape], lambda x: getattr(x, name)(), dtypes=F, low=low, high=high, run_gradcheck=False, grad=grad)


def test_unary_integers_and_specials():
    for name in ("sgn", "deg2rad", "rad2deg", "absolute", "positive", "erfinv"):
        both(lambda m: getattr(m, name)(m.tensor([-2, 0, 3])))
        both(lambda m: getattr(m, name)(m.tensor([-2, 0, 3], dtype=m.int32)))
    both(lambda m: m.frac(m.tensor([math.inf, -math.inf, math.nan, -0.0, 2.5, -2.5])))
    both(lambda m: m.erfinv(m.tensor([-1.0, 1.0, 1.5, -2.0, math.nan, 0.0, 1e-8, 0.9999, -0.99999])))
    both(lambda m: m.erfinv(m.tensor([0.3, 0.999999, -0.5], dtype=m.float64)))
    raises_like(lambda m: m.frac(m.tensor([1, 2])), RuntimeError, "not implemented for 'Long'")
    raises_like(lambda m: m.positive(m.tensor([True])), RuntimeError)


@pytest.mark.parametrize("shape", [(3, 4), (), (5,)], ids=ids)
def test_signbit(shape):
    check_op([shape], lambda x: lib(x).signbit(x), numpy_fn=np.signbit, dtypes=F + ("int32", "uint8", "bool"),
             grad=False)
    both(lambda m: m.signbit(m.tensor([-0.0, 0.0, -math.inf, math.inf, math.nan, -1e-45])))


@pytest.mark.parametrize("s1,s2", SHAPES2, ids=ids)
@pytest.mark.parametrize("name,ref,low", [
    ("copysign", np.copysign, -2), ("xlogy", None, 0.05), ("hypot", np.hypot, -2), ("logaddexp", np.logaddexp, -3),
    ("logaddexp2", np.logaddexp2, -3), ("fmax", np.fmax, -2), ("fmin", np.fmin, -2), ("float_power", None, 0.1),
], ids=ids)
def test_binary(s1, s2, name, ref, low):
    def xlogy_ref(x, y):
        return np.where(x == 0, 0.0, x * np.log(y))

    def float_power_ref(x, y):
        return np.power(x.astype(np.float64), y.astype(np.float64))

    ref = {"xlogy": xlogy_ref, "float_power": float_power_ref}.get(name, ref)
    # a 0-d tensor does not promote the other operand (float64 0-d with float32 computes in float32)
    dtypes = FLOAT_PAIRS if s1 and s2 else F
    check_op([s1, s2], lambda x, y: getattr(lib(x), name)(x, y), numpy_fn=ref, dtypes=dtypes, low=low,
             layouts=("contiguous", "transposed"))
    check_op([s1, s2], lambda x, y: getattr(x, name)(y), dtypes=("float32",), low=low, run_gradcheck=False)


def test_binary_specials_and_mixed():
    nan, inf = math.nan, math.inf
    a = [0.0, -0.0, 1.5, -2.0, nan, inf, -inf, 3.0, nan]
    b = [-1.0, 1.0, -0.0, 0.0, 2.0, -inf, 1.0, nan, nan]
    for name in ("copysign", "xlogy", "hypot", "logaddexp", "logaddexp2", "fmax", "fmin", "float_power"):
        both(lambda m: getattr(m, name)(m.tensor(a), m.tensor(b)))
        both(lambda m: getattr(m, name)(m.tensor([1, 2, 0]), m.tensor([2.0, 0.5, 3.0])))
    for name in ("copysign", "xlogy", "float_power", "fmax", "fmin"):
        both(lambda m: getattr(m, name)(m.tensor([1, -2, 0]), m.tensor([3, 1, -1])))
    for name in ("logaddexp", "logaddexp2"):
        raises_like(lambda m: getattr(m, name)(m.tensor([1, -2]), m.tensor([3, 1])), NotImplementedError,
                    "not implemented for 'Long'")
    for name in ("copysign", "xlogy", "float_power"):
        both(lambda m: getattr(m, name)(m.tensor([1.0, -2.0]), -1.5))
    both(lambda m: m.xlogy(2, m.tensor([1.0, 3.0])))
    both(lambda m: m.float_power(2, m.tensor([1.0, 3.0])))
    both(lambda m: m.logaddexp(m.tensor([inf, -inf, inf]), m.tensor([inf, -inf, -inf])))
    raises_like(lambda m: m.hypot(m.tensor([1, 2]), m.tensor([1, 2])), RuntimeError)


def test_binary_gradients_at_ties_and_zeros():
    cases = [("logaddexp", [1.0, 2.0, -3.0], [1.0, 0.5, -3.0]), ("logaddexp2", [0.0, 4.0], [0.0, -1.0]),
             ("fmax", [1.0, 2.0, nan := math.nan, 0.0], [1.0, 3.0, 1.0, nan]),
             ("fmin", [1.0, 2.0, math.nan, 0.0], [1.0, 3.0, 1.0, math.nan]),
             ("copysign", [0.0, -2.0, 3.0], [-1.0, 1.0, -0.0]), ("xlogy", [0.0, 2.0, 0.0], [2.0, 3.0, 0.5])]
    for name, a, b in cases:
        check_op([(len(a),), (len(b),)], lambda x, y: getattr(lib(x), name)(x, y), values=[a, b], dtypes=F,
                 run_gradcheck=False)


@pytest.mark.parametrize("weight", ["scalar", "tensor", 0.7, -0.3])
@pytest.mark.parametrize("s1,s2", [((3, 4), (3, 4)), ((3, 1), (4,)), ((), (5,)), ((2, 3), ())], ids=ids)
def test_lerp(weight, s1, s2):
    def ref(x, y, w=None):
        w = (0.25 if weight == "scalar" else weight) if w is None else w
        return x + w * (y - x)

    if weight == "tensor":
        check_op([s1, s2, s2], lambda x, y, w: lib(x).lerp(x, y, w), numpy_fn=ref, dtypes=F, low=-1, high=1.5,
                 layouts=("contiguous", "transposed"))
    else:
        w = 0.25 if weight == "scalar" else weight
        check_op([s1, s2], lambda x, y: lib(x).lerp(x, y, w), numpy_fn=ref, dtypes=F, layouts=("contiguous", "strided"))
        check_op([s1, s2], lambda x, y: x.lerp(y, w), dtypes=F, run_gradcheck=False)


def test_lerp_errors():
    raises_like(lambda m: m.lerp(m.ones(2), m.ones(2, dtype=m.float64), 0.5), RuntimeError, "expected dtype float")
    raises_like(lambda m: m.lerp(m.ones(2), m.ones(2), m.ones(2, dtype=m.float64)), RuntimeError, "for `weight`")


def test_heaviside_and_aliases():
    both(lambda m: m.heaviside(m.tensor([-1.5, 0.0, 2.0, math.nan]), m.tensor([0.5])))
    both(lambda m: m.heaviside(m.tensor([-1, 0, 2]), m.tensor([7, 8, 9])))
    raises_like(lambda m: m.heaviside(m.tensor([1.0]), m.tensor([1])), RuntimeError, "different dtypes")
    x = np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]])
    for name, ref in (("greater", np.greater), ("greater_equal", np.greater_equal), ("less", np.less),
                      ("less_equal", np.less_equal), ("not_equal", np.not_equal)):
        out = both(lambda m: getattr(m, name)(m.tensor(x), m.tensor([2.0, 2.0, 2.0])))
        np.testing.assert_array_equal(to_numpy(out), ref(x, 2.0))
        both(lambda m: getattr(m.tensor(x), name)(2))
    both(lambda m: m.tensor([3, 4]).true_divide(m.tensor([2, 8])))


@pytest.mark.parametrize("s0,s1,s2", [((3, 4), (3, 4), (3, 4)), ((4,), (3, 1), (1, 4)), ((), (2, 3), ())], ids=ids)
@pytest.mark.parametrize("name", ["addcmul", "addcdiv"])
@pytest.mark.parametrize("value", [1, 0.5, -2])
def test_addcmul_addcdiv(s0, s1, s2, name, value):
    def ref(x, a, b):
        return x + value * (a * b if name == "addcmul" else a / b)

    check_op([s0, s1, s2], lambda x, a, b: getattr(lib(x), name)(x, a, b, value=value), numpy_fn=ref, dtypes=F,
             low=0.5, high=2, layouts=("contiguous", "transposed"))
    check_op([s0, s1, s2], lambda x, a, b: getattr(x, name)(a, b, value=value), dtypes=("float32",), low=0.5,
             run_gradcheck=False)


def test_addcmul_integers_and_addcdiv_error():
    both(lambda m: m.addcmul(m.tensor([1, 2]), m.tensor([3, 4]), m.tensor([5, 6]), value=2))
    raises_like(lambda m: m.addcdiv(m.tensor([1, 2]), m.tensor([3, 4]), m.tensor([5, 6])), RuntimeError,
                "Integer division with addcdiv is no longer supported")


@pytest.mark.parametrize("beta,alpha", [(1, 1), (0.5, 2), (0, 1.5), (2, 0)], ids=ids)
def test_addmm_family(beta, alpha):
    check_op([(3, 5), (3, 4), (4, 5)], lambda i, a, b: lib(i).addmm(i, a, b, beta=beta, alpha=alpha),
             numpy_fn=lambda i, a, b: beta * i + alpha * a @ b, dtypes=F, layouts=L3, rtol=1e-5, atol=1e-5)
    check_op([(5,), (3, 4), (4, 5)], lambda i, a, b: i.addmm(a, b, beta=beta, alpha=alpha), dtypes=F,
             atol=1e-5)
    check_op([(3,), (3, 4), (4,)], lambda i, a, b: lib(i).addmv(i, a, b, beta=beta, alpha=alpha),
             numpy_fn=lambda i, a, b: beta * i + alpha * a @ b, dtypes=F, layouts=("contiguous", "transposed"),
             atol=1e-5)
    check_op([(2, 3, 5), (2, 3, 4), (2, 4, 5)], lambda i, a, b: lib(i).baddbmm(i, a, b, beta=beta, alpha=alpha),
             numpy_fn=lambda i, a, b: beta * i + alpha * a @ b, dtypes=F, layouts=L3, atol=1e-5)
    check_op([(3, 5), (2, 3, 4), (2, 4, 5)], lambda i, a, b: lib(i).addbmm(i, a, b, beta=beta, alpha=alpha),
             numpy_fn=lambda i, a, b: beta * i + alpha * (a @ b).sum(0), dtypes=F, layouts=L3, atol=1e-5)


def test_addmm_beta_zero_ignores_nan_and_errors():
    both(lambda m: m.addmm(m.full((2, 2), math.nan), m.ones(2, 3), m.ones(3, 2), beta=0))
    both(lambda m: m.addmm(m.tensor([[1, 2]]), m.tensor([[1, 2], [3, 4]]), m.tensor([[1, 0], [0, 1]]), alpha=2))
    raises_like(lambda m: m.addmm(m.ones(2, 2), m.ones(2, 3), m.ones(2, 2)), RuntimeError)
    raises_like(lambda m: m.addmm(m.ones(4, 2), m.ones(2, 3), m.ones(3, 2)), RuntimeError)
    raises_like(lambda m: m.addbmm(m.ones(2, 2), m.ones(2, 2), m.ones(2, 2, 2)), RuntimeError)


# --- in-place methods ----------------------------------------------------------------------------------------------


INPLACE = [("ceil_", ()), ("trunc_", ()), ("sign_", ()), ("sin_", ()), ("cos_", ()), ("tan_", ()), ("square_", ()),
           ("reciprocal_", ()), ("exp2_", ()), ("expm1_", ()), ("atan_", ()), ("sinh_", ()), ("cosh_", ()),
           ("erf_", ()), ("frac_", ()), ("deg2rad_", ()), ("rad2deg_", ()), ("negative_", ()),
           ("absolute_", ()), ("arctan_", ()), ("clip_", (-0.5, 0.7)), ("cumsum_", (1,)), ("cumprod_", (0,)),
           ("remainder_", (0.7,)), ("fmod_", (-0.7,)), ("lerp_", ("T", 0.3)),
           ("addcmul_", ("T", "T")), ("addcdiv_", ("T", "P")), ("atan2_", ("T",)), ("hypot_", ("T",)),
           ("copysign_", ("T",)), ("true_divide_", ("P",)), ("divide_", ("P",)), ("multiply_", ("T",)),
           ("subtract_", ("T",)), ("xlogy_", ("P",)), ("erfinv_", ())]


def _inplace_args(args, module, rng, shape):
    out = []
    for a in args:
        if a in ("T", "P"):
            v = rng.uniform(-1.5, 1.5, size=shape) if a == "T" else rng.uniform(0.5, 2.0, size=shape)
            out.append(module.tensor(v.astype(np.float32), requires_grad=True))
        else:
            out.append(a)
    return out


@pytest.mark.parametrize("name,args", INPLACE, ids=ids)
def test_inplace_methods(name, args):
    """x.op_(...) changes x to op(x, ...), returns x, and (on a non-leaf) gives torch's gradients to the
    leaf and the other operands."""
    shape = (3, 4)
    base = np.random.default_rng(0).uniform(-0.9, 0.9, size=shape).astype(np.float32)
    results = {}
    for module in (fasttensor, torch) if HAVE_TORCH else (fasttensor,):
        rng = np.random.default_rng(1)
        leaf = module.tensor(base, requires_grad=True)
        others = _inplace_args(args, module, rng, shape)
        x = leaf * 1.0
        out = getattr(x, name)(*others)
        assert out is x
        g = np.random.default_rng(2).normal(size=shape).astype(np.float32)
        x.backward(module.tensor(g))
        results[module.__name__] = (x, leaf.grad, [o.grad for o in others if hasattr(o, "grad")])
        # without autograd too
        y = module.tensor(base.copy())
        getattr(y, name)(*[o.detach() if hasattr(o, "detach") else o for o in others])
        results[module.__name__ + "_plain"] = y
    ours = results["fasttensor"]
    ref = getattr(fasttensor.Tensor, name[:-1])
    x_ref = fasttensor.tensor(base)
    expected = ref(x_ref, *[fasttensor.tensor(to_numpy(o)) if hasattr(o, "detach") else o
                            for o in _inplace_args(args, fasttensor, np.random.default_rng(1), shape)])
    assert_close(results["fasttensor_plain"], to_numpy(expected))
    assert_close(ours[0].detach(), to_numpy(expected))
    if HAVE_TORCH:
        theirs = results["torch"]
        assert_close(ours[0], theirs[0], rtol=1e-5, atol=1e-5)
        assert_close(results["fasttensor_plain"], results["torch_plain"], rtol=1e-5, atol=1e-5)
        assert_close(ours[1], theirs[1], rtol=1e-5, atol=1e-5)
        for a, b in zip(ours[2], theirs[2]):
            assert_close(a, b, rtol=1e-5, atol=1e-5)


def test_inplace_dtype_shape_and_leaf_errors():
    raises_like(lambda m: m.tensor([1, 2]).sin_(), RuntimeError, "result type Float can't be cast to the desired "
                                                                  "output type Long")
    raises_like(lambda m: m.tensor([1, 2]).true_divide_(m.tensor([2, 2])), RuntimeError, "can't be cast")
    raises_like(lambda m: m.ones(3).hypot_(m.ones(2, 3)), RuntimeError, "doesn't match the broadcast shape")
    raises_like(lambda m: m.ones(3, requires_grad=True).sin_(), RuntimeError, "a leaf Variable that requires grad")
    raises_like(lambda m: m.ones(3).float_power_(2), RuntimeError)
    both(lambda m: m.tensor([-1.5, 0.0, 2.0]).sgn_())  # (torch's sgn gradient is a ZeroTensor)
    for call in (lambda m: m.tensor([1, 2]).ceil_(), lambda m: m.tensor([3, -4]).sign_(),
                 lambda m: m.tensor([1.5, -2.0]).logical_not_(), lambda m: m.tensor([5, 7]).floor_divide_(2),
                 lambda m: m.tensor([5, 7]).remainder_(3), lambda m: m.tensor([1.0, 2.0]).eq_(m.tensor([1.0, 3.0])),
                 lambda m: m.tensor([1, 2]).lt_(2), lambda m: m.tensor([True, False]).logical_and_(m.tensor(True)),
                 lambda m: m.tensor([1.0, 2.0], dtype=m.float64).float_power_(2),
                 lambda m: m.tensor([2.0, -3.0]).square_(), lambda m: m.ones(2, 3).addmm_(m.ones(2, 4), m.ones(4, 3)),
                 lambda m: m.ones(2).addmv_(m.ones(2, 4), m.ones(4), beta=2),
                 lambda m: m.ones(2, 2, 3).baddbmm_(m.ones(2, 2, 4), m.ones(2, 4, 3), alpha=0.5)):
        both(call)
    x = fasttensor.tensor([1.0, 4.0])
    version = x._version
    x.sqrt_().ceil_()
    assert x._version > version


# --- shape and index ops ------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape,idx", [((3, 4), [[0, 5], [-1, 11]]), ((7,), [3, 3, -7]), ((), [0, -1]),
                                       ((2, 3), [])], ids=ids)
def test_take(shape, idx):
    index = np.array(idx, dtype=np.int64)
    check_op([shape], lambda x: lib(x).take(x, lib(x).tensor(index)), layouts=L3 if shape else ("contiguous",),
             numpy_fn=lambda a: np.take(a, index), dtypes=F + ("int32",))
    raises_like(lambda m: m.take(m.ones(shape), m.tensor([6 * 7])), IndexError, "out of range")
    raises_like(lambda m: m.take(m.ones(3), m.tensor([1], dtype=m.int32)), RuntimeError)


@pytest.mark.parametrize("xs,is_,dim", [((3, 4), (3, 2), 1), ((3, 4), (5, 4), 0), ((3, 1), (3, 6), 1),
                                        ((2, 3, 4), (1, 3, 2), -1), ((3, 4), (6,), None)], ids=ids)
def test_take_along_dim(xs, is_, dim):
    size = int(np.prod(xs)) if dim is None else xs[dim]
    index = np.random.default_rng(0).integers(0, size, size=is_)

    def ref(a):
        if dim is None:
            return np.take_along_axis(a.reshape(-1), index, 0)
        return np.take_along_axis(a, index, dim)

    # (torch's dim=None path views the input: it fails on non-contiguous inputs)
    check_op([xs], lambda x: lib(x).take_along_dim(x, lib(x).tensor(index), dim), numpy_fn=ref, dtypes=F,
             layouts=L3 if dim is not None else ("contiguous",))
    raises_like(lambda m: m.take_along_dim(m.ones(2, 3), m.zeros(2, dtype=m.int64), 1), RuntimeError)


@pytest.mark.parametrize("row,col,offset", [(3, 3, 0), (4, 6, 1), (5, 3, -2), (0, 3, 0), (3, 4, 10), (4, 4, -10)],
                         ids=ids)
def test_tri_indices(row, col, offset):
    out = both(lambda m: m.tril_indices(row, col, offset))
    np.testing.assert_array_equal(to_numpy(out), np.array(np.tril_indices(row, offset, col)).reshape(2, -1))
    out = both(lambda m: m.triu_indices(row, col, offset, dtype=m.int32))
    np.testing.assert_array_equal(to_numpy(out), np.array(np.triu_indices(row, offset, col)).reshape(2, -1))


def test_cartesian_prod_combinations():
    check_op([(3,), (2,), (4,)], lambda a, b, c: lib(a).cartesian_prod(a, b, c),
             numpy_fn=lambda a, b, c: np.array(list(__import__("itertools").product(a, b, c))), dtypes=F)
    both(lambda m: m.cartesian_prod(m.tensor([1, 2, 3])))
    both(lambda m: m.cartesian_prod(m.tensor([1, 2]), m.tensor([], dtype=m.int64)))
    import itertools
    for r in (0, 1, 2, 3, 5):
        for repl in (False, True):
            x = np.array([1.5, -2.0, 3.0, 0.5])
            pick = itertools.combinations_with_replacement if repl else itertools.combinations
            ref = np.array(list(pick(x, r))).reshape(-1, r) if r else np.zeros(0)
            check_op([(4,)], lambda t: lib(t).combinations(t, r, repl), values=[x], dtypes=F,
                     numpy_fn=lambda a: ref if r else np.zeros(0), run_gradcheck=r != 0)
    raises_like(lambda m: m.combinations(m.ones(2, 2)), RuntimeError, "Expect a 1D vector")


@pytest.mark.parametrize("s1,s2", [((2, 3), (4, 5)), ((3,), (2,)), ((2, 1, 3), (2, 2)), ((), (3,)), ((2, 2), ())],
                         ids=ids)
def test_kron(s1, s2):
    check_op([s1, s2], lambda a, b: lib(a).kron(a, b), numpy_fn=np.kron, dtypes=F + ("int64",))


@pytest.mark.parametrize("s1,s2,dims", [((3, 4, 5), (4, 5, 2), 2), ((3, 4), (4, 5), 1), ((3, 4), (5, 6), 0),
                                        ((3, 4, 5), (5, 3, 2), ([0, 2], [1, 0])), ((2, 3), (3, 2), ((1,), (0,))),
                                        ((4,), (4,), 1)], ids=ids)
def test_tensordot(s1, s2, dims):
    check_op([s1, s2], lambda a, b: lib(a).tensordot(a, b, dims), numpy_fn=lambda a, b: np.tensordot(a, b, dims),
             dtypes=F, layouts=("contiguous", "transposed"), atol=1e-5)
    raises_like(lambda m: m.tensordot(m.ones(2, 3), m.ones(4, 2), 1), RuntimeError, "contracted dimensions")


EINSUM = [("ij,jk->ik", [(3, 4), (4, 5)]), ("ij,jk", [(3, 4), (4, 5)]), ("ii->i", [(4, 4)]), ("ii", [(4, 4)]),
          ("ij->ji", [(3, 5)]), ("ij->", [(3, 5)]), ("i,i->", [(5,), (5,)]), ("i,j->ij", [(3,), (4,)]),
          ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]), ("...ij,...jk->...ik", [(2, 3, 4), (4, 5)]),
          ("...ij,...jk", [(2, 1, 3, 4), (5, 4, 2)]), ("b...,b->b...", [(2, 3, 4), (2,)]),
          ("iij->j", [(3, 3, 4)]), ("ijk,kj->i", [(2, 3, 4), (4, 3)]), ("ij,ij,ij->i", [(3, 4), (3, 4), (3, 4)]),
          ("i,j,k->ijk", [(2,), (3,), (4,)]), ("ba", [(3, 4)]), ("...->...", [(2, 3)]), ("ab,cd->", [(2, 3), (4, 5)]),
          ("i->", [(0,)]), ("ij,jk->ik", [(3, 0), (0, 2)]), ("bii->bi", [(2, 3, 3)]), ("iji->j", [(3, 4, 3)])]


@pytest.mark.parametrize("eq,shapes", EINSUM, ids=ids)
def test_einsum(eq, shapes):
    check_op(shapes, lambda *ts: lib(ts[0]).einsum(eq, *ts), numpy_fn=lambda *a: np.einsum(eq, *a), dtypes=F,
             layouts=("contiguous", "transposed"), atol=1e-5)
    check_op(shapes, lambda *ts: lib(ts[0]).einsum(eq, list(ts)), dtypes=("float32",), run_gradcheck=False,
             atol=1e-5)


def test_einsum_integers_and_errors():
    both(lambda m: m.einsum("ij,j->i", m.tensor([[1, 2], [3, 4]]), m.tensor([5, 6])))
    raises_like(lambda m: m.einsum("ij,jk->ik", m.ones(2, 3)), RuntimeError, "fewer operands were provided")
    raises_like(lambda m: m.einsum("ij->ij", m.ones(2)), RuntimeError,
                r"the number of subscripts in the equation \(2\) does not match the number of dimensions \(1\) "
                "for operand 0")
    raises_like(lambda m: m.einsum("ij,jk->ik", m.ones(2, 3), m.ones(4, 2)), RuntimeError,
                "subscript j has size 4 for operand 1 which does not broadcast with previously seen size 3")


@pytest.mark.parametrize("s1,s2", [((4,), (4,)), ((2, 3), (4, 3)), ((), (2, 3)), ((2, 1, 5), (5,))], ids=ids)
def test_inner_vdot(s1, s2):
    check_op([s1, s2], lambda a, b: lib(a).inner(a, b), numpy_fn=np.inner, dtypes=F, atol=1e-5,
             layouts=("contiguous", "transposed"))
    if len(s1) == len(s2) == 1:
        check_op([s1, s2], lambda a, b: lib(a).vdot(a, b), numpy_fn=np.vdot, dtypes=F + ("int64",), atol=1e-5)
    raises_like(lambda m: m.inner(m.ones(2, 3), m.ones(2)), RuntimeError, "last dimension must match")
    raises_like(lambda m: m.vdot(m.ones(2, 2), m.ones(2)), RuntimeError, "1D tensors expected")


@pytest.mark.parametrize("k,dims", [(1, (0, 1)), (2, (0, 1)), (3, (1, 0)), (-1, (0, 2)), (4, (0, 1)), (5, (-1, -2))],
                         ids=ids)
def test_rot90_flips(k, dims):
    check_op([(2, 3, 4)], lambda x: lib(x).rot90(x, k, dims), numpy_fn=lambda a: np.rot90(a, k, dims),
             dtypes=F + ("int32",), layouts=L3)
    check_op([(3, 4)], lambda x: lib(x).fliplr(x), numpy_fn=np.fliplr, dtypes=F, layouts=L3)
    check_op([(3, 4)], lambda x: x.flipud(), numpy_fn=np.flipud, dtypes=F, layouts=L3)
    check_op([(5,)], lambda x: lib(x).flipud(x), numpy_fn=np.flipud, dtypes=F)
    raises_like(lambda m: m.rot90(m.ones(3), 1), RuntimeError, "expected total dims >= 2")
    raises_like(lambda m: m.rot90(m.ones(3, 3), 1, (0, 0)), RuntimeError, "rotation dims to be different")
    raises_like(lambda m: m.fliplr(m.ones(3)), RuntimeError, "Input must be >= 2-d")


@pytest.mark.parametrize("name,shape,arg", [("hsplit", (4, 6), 3), ("hsplit", (6,), 2), ("hsplit", (4, 6), [1, 4]),
                                            ("vsplit", (4, 6), 2), ("vsplit", (5, 2), [2]), ("dsplit", (2, 3, 4), 2),
                                            ("dsplit", (2, 3, 4), [1, -1])], ids=ids)
def test_hvd_split(name, shape, arg):
    check_op([shape], lambda x: getattr(lib(x), name)(x, arg), numpy_fn=lambda a: getattr(np, name)(a, arg),
             dtypes=F, layouts=L3)
    check_op([shape], lambda x: getattr(x, name)(arg), dtypes=("float32",), run_gradcheck=False)


def test_split_errors():
    raises_like(lambda m: m.hsplit(m.ones(4, 5), 2), RuntimeError, "not divisible by the split_size 2")
    raises_like(lambda m: m.vsplit(m.ones(4), 2), RuntimeError, "at least 2 dimension")
    raises_like(lambda m: m.dsplit(m.ones(4, 4), 2), RuntimeError, "at least 3 dimension")
    raises_like(lambda m: m.hsplit(m.tensor(1.0), 2), RuntimeError)


@pytest.mark.parametrize("shapes", [[(3,), (3,)], [(2, 3), (2, 3)], [(), ()], [(2, 3, 1), (2, 3, 2)]], ids=ids)
def test_stacks_and_atleast(shapes):
    check_op(shapes, lambda *ts: lib(ts[0]).dstack(ts), numpy_fn=lambda *a: np.dstack(a), dtypes=F)
    if all(len(s) <= 2 for s in shapes):
        check_op(shapes, lambda *ts: lib(ts[0]).row_stack(list(ts)), numpy_fn=lambda *a: np.vstack(a), dtypes=F)
    for n in (1, 2, 3):
        check_op(shapes, lambda *ts: getattr(lib(ts[0]), f"atleast_{n}d")(*ts),
                 numpy_fn=lambda *a: getattr(np, f"atleast_{n}d")(*a), dtypes=F)
        check_op(shapes[:1], lambda t: getattr(lib(t), f"atleast_{n}d")(t),
                 numpy_fn=lambda a: getattr(np, f"atleast_{n}d")(a), dtypes=F)
        both(lambda m: getattr(m, f"atleast_{n}d")([m.ones(shapes[0]), m.ones(2, 2)]))


@pytest.mark.parametrize("shape,offset,d1,d2", [((3,), 0, -2, -1), ((2, 3), 1, 0, 2), ((2, 3), -2, -1, 0),
                                                ((2, 2, 4), 0, 1, 3), ((0,), 1, 0, 1)], ids=ids)
def test_diag_embed(shape, offset, d1, d2):
    def ref(a):
        a1 = a.reshape(1) if a.ndim == 0 else a
        n = a1.shape[-1] + abs(offset)
        out = np.zeros(a1.shape[:-1] + (n, n), a.dtype)
        i = np.arange(a1.shape[-1])
        out[..., i + max(-offset, 0), i + max(offset, 0)] = a1
        return np.moveaxis(out, (-2, -1), (d1 % (a1.ndim + 1), d2 % (a1.ndim + 1)))

    check_op([shape], lambda x: lib(x).diag_embed(x, offset, d1, d2), numpy_fn=ref, dtypes=F + ("int64",),
             layouts=L3)
    check_op([shape], lambda x: x.diag_embed(offset), dtypes=("float32",), run_gradcheck=False)
    raises_like(lambda m: m.diag_embed(m.tensor(2.0)), IndexError, "Dimension out of range")


@pytest.mark.parametrize("shape,offset", [((3,), 0), ((2, 2), 1), ((3, 1), -2), ((), 0)], ids=ids)
def test_diagflat(shape, offset):
    check_op([shape], lambda x: lib(x).diagflat(x, offset), numpy_fn=lambda a: np.diagflat(a, offset), dtypes=F,
             layouts=L3 if shape else ("contiguous",))


def test_block_diag_and_broadcast_tensors():
    check_op([(2, 3), (3,), (), (1, 2)], lambda *ts: lib(ts[0]).block_diag(*ts), dtypes=F)
    both(lambda m: m.block_diag(m.tensor([[1, 2]]), m.tensor([3.5]), m.tensor(True)))
    both(lambda m: m.block_diag(m.ones(0, 2), m.ones(2, 0)))
    raises_like(lambda m: m.block_diag(m.ones(2, 2, 2)), RuntimeError, "2 or fewer dimensions")
    check_op([(3, 1), (4,), ()], lambda *ts: lib(ts[0]).broadcast_tensors(*ts),
             numpy_fn=lambda *a: np.broadcast_arrays(*a), dtypes=F)
    raises_like(lambda m: m.broadcast_tensors(m.ones(2), m.ones(3)), RuntimeError)


@pytest.mark.parametrize("right", [False, True])
@pytest.mark.parametrize("seq,values", [([1, 3, 5, 7, 9], [[0, 3, 6], [9, 10, 5]]), ([1, 1, 2, 2, 2, 3], [1, 2, 3, 0]),
                                        ([], [1, 2]), ([2.5], 2.5), ([0.5, 1.5, 1.5, 4.0], [1.5, -1.0, 4.0, 9.0])],
                         ids=ids)
def test_searchsorted_bucketize(right, seq, values):
    def ref(m):
        s, v = m.tensor(seq, dtype=m.float32), (m.tensor(values, dtype=m.float32) if isinstance(values, list)
                                                else values)
        return (m.searchsorted(s, v, right=right), m.searchsorted(s, v, side="right" if right else "left"),
                m.searchsorted(s, v, right=right, out_int32=True))

    out = both(ref)
    np.testing.assert_array_equal(to_numpy(out[0]), np.searchsorted(np.array(seq), values,
                                                                   "right" if right else "left"))
    if isinstance(values, list):
        out = both(lambda m: m.bucketize(m.tensor(values, dtype=m.float64), m.tensor(seq, dtype=m.float64),
                                         right=right))


def test_searchsorted_nd_sorter_and_errors():
    rng = np.random.default_rng(0)
    seq = np.sort(rng.integers(0, 20, size=(3, 8)), axis=1)
    vals = rng.integers(-2, 22, size=(3, 5))
    for right in (False, True):
        out = both(lambda m: m.searchsorted(m.tensor(seq), m.tensor(vals), right=right))
        ref = np.stack([np.searchsorted(s, v, "right" if right else "left") for s, v in zip(seq, vals)])
        np.testing.assert_array_equal(to_numpy(out), ref)
    unsorted = np.array([3.0, 1.0, 2.0])
    both(lambda m: m.searchsorted(m.tensor(unsorted), m.tensor([2.5, 0.0]),
                                  sorter=m.tensor(np.argsort(unsorted))))
    both(lambda m: m.searchsorted(m.tensor([1.0, 2.0, math.nan]), m.tensor([math.nan, 3.0, 1.0])))
    raises_like(lambda m: m.searchsorted(m.ones(2, 3), m.ones(3, 3)), RuntimeError, "boundaries tensor should be")
    raises_like(lambda m: m.searchsorted(m.ones(3), m.ones(3), side="middle"), RuntimeError, "side can only be")


def test_isin():
    rng = np.random.default_rng(0)
    e = rng.integers(0, 10, size=(3, 4))
    t = rng.integers(0, 10, size=(5,))
    for invert in (False, True):
        out = both(lambda m: m.isin(m.tensor(e), m.tensor(t), invert=invert))
        np.testing.assert_array_equal(to_numpy(out), np.isin(e, t, invert=invert))
    both(lambda m: m.isin(m.tensor([1.0, math.nan, 2.5]), m.tensor([math.nan, 2.5])))
    both(lambda m: m.isin(m.tensor([1, 2]), m.tensor([], dtype=m.int64)))
    both(lambda m: m.isin(m.tensor([1, 2, 3]), 2))
    both(lambda m: m.isin(2, m.tensor([1, 2, 3])))
    both(lambda m: m.isin(m.tensor([1, 2, 3]), m.tensor([2.0, 3.5])))
    both(lambda m: m.isin(m.tensor([[1, 5], [3, 2]]), m.tensor([[2, 3]])))


def test_unravel_index_vander_range():
    for idx, shape in (([0, 5, 11, 7], (3, 4)), (13, (2, 3, 4)), ([[1, 2], [3, 0]], (4,)), ([-1, -12], (3, 4))):
        out = both(lambda m: m.unravel_index(m.tensor(idx), shape))
        ref = np.unravel_index(np.array(idx) % int(np.prod(shape)), shape)
        for a, b in zip(out, ref):
            np.testing.assert_array_equal(to_numpy(a), b)
    both(lambda m: m.unravel_index(m.tensor([12, -13, 25]), (3, 4)))  # wraps, as torch
    raises_like(lambda m: m.unravel_index(m.tensor([1.0]), (3, 4)), TypeError)
    for n, inc in ((None, False), (3, True), (1, False), (0, False), (5, True)):
        # (torch's vander backward fails: it saves a tensor it then changes in place)
        check_op([(4,)], lambda x: lib(x).vander(x, n, inc), numpy_fn=lambda a: np.vander(a, n, inc), dtypes=F,
                 grad=False)
        x = fasttensor.tensor([0.5, -1.5, 2.0], dtype=fasttensor.float64, requires_grad=True)
        assert fasttensor.autograd.gradcheck(lambda t: fasttensor.vander(t, n, inc), (x,))
        both(lambda m: m.vander(m.tensor([1, 2, 3]), n, inc))
    with pytest.warns(UserWarning, match="torch.range is deprecated"):
        out = fasttensor.range(1, 4)
    assert_close(out, np.arange(1, 5, dtype=np.float32))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for args, kwargs in (((1, 4), {}), ((0, 1, 0.25), {}), ((5, 1, -1.5), {}), ((0, 3), {"dtype": "int64"}),
                             ((2.5, 3), {}), ((1, 4, 1), {"dtype": "float64", "requires_grad": True})):
            both(lambda m: m.range(*args, **{k: getattr(m, v) if k == "dtype" else v for k, v in kwargs.items()}))
        raises_like(lambda m: m.range(1, 4, 0), RuntimeError)
        raises_like(lambda m: m.range(4), TypeError)
        raises_like(lambda m: m.range(4, 1, 1), RuntimeError)


@pytest.mark.parametrize("shape,dim", [((5,), -1), ((3, 4), 0), ((3, 4), 1), ((2, 3, 4), -2), ((1,), 0)], ids=ids)
def test_trapezoid(shape, dim):
    check_op([shape], lambda y: lib(y).trapezoid(y, dim=dim), numpy_fn=lambda a: np.trapezoid(a, axis=dim)
             if hasattr(np, "trapezoid") else np.trapz(a, axis=dim), dtypes=F, layouts=L3)
    check_op([shape], lambda y: lib(y).trapezoid(y, dx=0.5, dim=dim), dtypes=F)
    check_op([shape], lambda y: lib(y).trapz(y, dx=2, dim=dim), dtypes=F, run_gradcheck=False)
    n = shape[dim]
    check_op([shape, (n,)], lambda y, x: lib(y).trapezoid(y, x, dim=dim), dtypes=F)
    check_op([shape, shape], lambda y, x: lib(y).trapezoid(y, x, dim=dim), dtypes=F)
    check_op([shape, shape], lambda y, x: lib(y).trapz(y, x, dim=dim), dtypes=F, run_gradcheck=False)


@pytest.mark.parametrize("s1,s2", [((4, 3), (5, 3)), ((2, 4, 3), (2, 5, 3)), ((1, 2), (3, 2)), ((0, 3), (2, 3))],
                         ids=ids)
@pytest.mark.parametrize("p", [2.0, 1.0, 0.5, 3.0, 0.0, math.inf])
def test_cdist(s1, s2, p):
    def ref(a, b):
        d = np.abs(a[..., :, None, :] - b[..., None, :, :])
        if p == 0:
            return (d != 0).sum(-1).astype(a.dtype)
        if math.isinf(p):
            return d.max(-1) if d.shape[-1] else d.sum(-1)
        return (d ** p).sum(-1) ** (1 / p)

    check_op([s1, s2], lambda a, b: lib(a).cdist(a, b, p), numpy_fn=ref, dtypes=F, rtol=1e-5, atol=1e-5,
             layouts=("contiguous", "transposed"))


def test_cdist_zero_distance_gradient():
    check_op([(3, 2), (3, 2)], lambda a, b: lib(a).cdist(a, b), values=[[[1.0, 2.0], [0.0, 0.0], [3.0, -1.0]]] * 2,
             dtypes=F, run_gradcheck=False)
    check_op([(3, 2), (3, 2)], lambda a, b: lib(a).cdist(a, b, 0.5),
             values=[[[1.0, 2.0], [0.0, 1.0], [3.0, -1.0]], [[1.0, 2.0], [0.5, 1.0], [3.0, 2.0]]], dtypes=F,
             run_gradcheck=False)


# --- scatter, scatter_add, index_add, index_copy, index_fill -------------------------------------------------


def np_scatter(a, dim, index, src, add):
    if a.ndim == 0:
        return np_scatter(a.reshape(1), 0, index.reshape(1), src.reshape(1) if isinstance(src, np.ndarray) else src,
                          add).reshape(())
    out = a.copy()
    for pos in np.ndindex(index.shape):
        target = list(pos)
        target[dim] = index[pos]
        value = src[pos] if isinstance(src, np.ndarray) else src
        if add:
            out[tuple(target)] += value
        else:
            out[tuple(target)] = value
    return out


SCATTER = [((3, 5), 0, (2, 5), (2, 5)), ((3, 5), 1, (3, 4), (3, 6)), ((4, 3, 2), -2, (2, 6, 1), (4, 6, 2)),
           ((5,), 0, (8,), (9,)), ((3, 4), 1, (0, 4), (2, 4)), ((), 0, (), ())]


@pytest.mark.parametrize("xs,dim,is_,ss", SCATTER, ids=ids)
@pytest.mark.parametrize("add", [False, True])
def test_scatter(xs, dim, is_, ss, add):
    size = xs[dim] if xs else 1
    rng = np.random.default_rng(4)
    if add or not is_ or size == 1 or 0 in is_:
        index = rng.integers(0, size, size=is_)
    else:  # distinct targets per column: which of equal targets scatter writes last is unspecified
        moved = [rng.permutation(size)[:is_[dim]] for _ in range(int(np.prod(is_)) // max(is_[dim], 1))]
        index = np.moveaxis(np.array(moved).reshape(tuple(s for k, s in enumerate(is_) if k != dim) + (is_[dim],)),
                            -1, dim) if is_[dim] <= size else rng.integers(0, size, size=is_)
    name = "scatter_add" if add else "scatter"
    d = dim if xs else 0
    # A src larger than index: torch's backward fails (it returns index's shape), so only values there.
    same = tuple(ss) == tuple(is_)
    # scatter with repeated targets keeps one of the writes: a nudge of the others changes nothing
    columns = np.moveaxis(index, d, -1).reshape(-1, index.shape[d]) if index.ndim and index.size else []
    unique = add or all(len(set(col.tolist())) == len(col) for col in columns)
    check_op([xs, ss], lambda x, s: getattr(lib(x), name)(x, dim, lib(x).tensor(index), s),
             numpy_fn=lambda a, s: np_scatter(a, d, index, s, add), dtypes=F + ("int64",),
             layouts=L3 if xs else ("contiguous",), grad=same)
    check_op([is_, is_], lambda x, s: getattr(lib(x), name)(x.new_zeros(xs) + x.sum(), dim, lib(x).tensor(index), s),
             dtypes=F, layouts=L3 if xs else ("contiguous",), run_gradcheck=unique)
    check_op([xs, is_], lambda x, s: getattr(x, name)(dim, lib(x).tensor(index), s), dtypes=("float32",),
             run_gradcheck=False)
    if not add:
        check_op([xs], lambda x: lib(x).scatter(x, dim, lib(x).tensor(index), -2.5),
                 numpy_fn=lambda a: np_scatter(a, d, index, -2.5, False), dtypes=F)
        check_op([xs], lambda x: x.scatter(dim, lib(x).tensor(index), value=1.5), dtypes=F)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            check_op([xs, ss], lambda x, s: lib(x).scatter(x, dim, lib(x).tensor(index), s, reduce="add"), dtypes=F,
                     numpy_fn=lambda a, s: np_scatter(a, d, index, s, True), grad=False)  # torch: no derivative
        assert any("reduce argument of torch.scatter" in str(w.message) for w in caught)


def test_scatter_add_repeats_accumulate_in_place_forms():
    index = np.array([[0, 1, 0, 0], [0, 0, 0, 2]])
    src = np.arange(8, dtype=np.float32).reshape(2, 4) + 0.5
    out = both(lambda m: m.zeros(3, 4).scatter_add_(0, m.tensor(index), m.tensor(src)))
    np.testing.assert_array_equal(to_numpy(out), np_scatter(np.zeros((3, 4), np.float32), 0, index, src, True))
    both(lambda m: m.zeros(3, dtype=m.int64).scatter_add_(0, m.tensor([0, 0, 2, 0]), m.tensor([1, 2, 3, 4])))
    both(lambda m: m.zeros(3, dtype=m.uint8).scatter_add(0, m.tensor([0, 0, 2]), m.tensor([200, 100, 3],
                                                                                         dtype=m.uint8)))
    # in place on a non-leaf: gradients to the leaf (zero where overwritten) and to src
    for name in ("scatter_", "scatter_add_"):
        grads = []
        for m in (fasttensor, torch) if HAVE_TORCH else (fasttensor,):
            leaf = m.tensor(np.linspace(-1, 1, 12, dtype=np.float32).reshape(3, 4), requires_grad=True)
            s = m.tensor(src, requires_grad=True)
            x = leaf * 2
            assert getattr(x, name)(1, m.tensor([[0, 3, 1, 2], [2, 2, 2, 2]]), s[:, :4] if name else s) is x
            (x * m.tensor(np.arange(12, dtype=np.float32).reshape(3, 4))).sum().backward()
            grads.append((x, leaf.grad, s.grad))
        if HAVE_TORCH:
            for a, b in zip(grads[0], grads[1]):
                assert_close(a, b)
    x = fasttensor.zeros(2, 2)
    x.scatter_(1, fasttensor.tensor([[1], [0]]), 7.0)
    np.testing.assert_array_equal(to_numpy(x), [[0, 7], [7, 0]])


def test_scatter_errors():
    raises_like(lambda m: m.zeros(3).scatter(0, m.tensor([0], dtype=m.uint8), m.ones(1)), RuntimeError,
                "Expected dtype int32/int64 for index")
    both(lambda m: m.zeros(3).scatter(0, m.tensor([2, 0], dtype=m.int32), m.ones(2)))
    raises_like(lambda m: m.zeros(3).scatter_add(0, m.tensor([5]), m.ones(1)), RuntimeError, "out of bounds")
    raises_like(lambda m: m.zeros(3, 2).scatter(0, m.tensor([[0, 1, 2]]), m.ones(3, 3)), RuntimeError,
                "Expected index")
    raises_like(lambda m: m.zeros(3, 2).scatter(0, m.tensor([0, 1]), m.ones(3, 2)), RuntimeError,
                "same number of dimensions")
    raises_like(lambda m: m.zeros(3).scatter(0, m.tensor([0]), m.ones(1, dtype=m.float64)), RuntimeError,
                "Expected self.dtype to be equal to src.dtype")


INDEX_CASES = [((5, 3), 0, [4, 0, 2]), ((5, 3), 1, [2, 2, 0, 1]), ((2, 3, 4), -1, [3]), ((4,), 0, [1, 1, 3, 0, 1]),
               ((), 0, [0]), ((3, 2), 0, [])]


@pytest.mark.parametrize("xs,dim,idx", INDEX_CASES, ids=ids)
@pytest.mark.parametrize("alpha", [1, -0.5])
def test_index_add(xs, dim, idx, alpha):
    index = np.array(idx, dtype=np.int64)
    ss = list(xs)
    if xs:
        ss[dim] = len(idx)

    def ref(a, s):
        out = a.copy()
        if not xs:
            return out + alpha * s
        np.add.at(np.moveaxis(out, dim, 0), index, alpha * np.moveaxis(s, dim, 0))
        return out

    check_op([xs, tuple(ss)], lambda x, s: lib(x).index_add(x, dim, lib(x).tensor(index), s, alpha=alpha),
             numpy_fn=ref, dtypes=F, layouts=L3 if xs else ("contiguous",))
    check_op([xs, tuple(ss)], lambda x, s: x.index_add(dim, lib(x).tensor(index), s, alpha=alpha),
             dtypes=("float32",), run_gradcheck=False)
    if alpha == 1:
        check_op([xs, tuple(ss)], lambda x, s: (x * 1).index_add_(dim, lib(x).tensor(index), s),
                 numpy_fn=ref, dtypes=F + ("int64",), run_gradcheck=False)


@pytest.mark.parametrize("xs,dim,idx", INDEX_CASES, ids=ids)
def test_index_copy_fill(xs, dim, idx):
    index = np.array(list(dict.fromkeys(idx)), dtype=np.int64)  # distinct: copy's order on repeats is unspecified
    ss = list(xs)
    if xs:
        ss[dim] = len(index)

    def copy_ref(a, s):
        out = a.copy()
        if not xs:
            return s.copy()
        np.moveaxis(out, dim, 0)[index] = np.moveaxis(s, dim, 0)
        return out

    def fill_ref(a, v=-1.5):
        out = a.copy()
        if not xs:
            return np.full_like(a, v)
        np.moveaxis(out, dim, 0)[index] = v
        return out

    check_op([xs, tuple(ss)], lambda x, s: lib(x).index_copy(x, dim, lib(x).tensor(index), s), numpy_fn=copy_ref,
             dtypes=F + ("int32",), layouts=L3 if xs else ("contiguous",))
    check_op([xs, tuple(ss)], lambda x, s: (x * 1).index_copy_(dim, lib(x).tensor(index), s), dtypes=F,
             run_gradcheck=False)
    check_op([xs], lambda x: lib(x).index_fill(x, dim, lib(x).tensor(index), -1.5), numpy_fn=fill_ref, dtypes=F,
             layouts=L3 if xs else ("contiguous",))
    check_op([xs, ()], lambda x, v: x.index_fill(dim, lib(x).tensor(index), v),
             numpy_fn=lambda a, v: fill_ref(a, v), dtypes=F)
    check_op([xs], lambda x: (x * 1).index_fill_(dim, lib(x).tensor(index), 2), dtypes=F, run_gradcheck=False)


def test_index_ops_errors():
    raises_like(lambda m: m.zeros(3, 2).index_add(0, m.tensor([0, 1]), m.ones(3, 2)), RuntimeError)
    raises_like(lambda m: m.zeros(3, 2).index_add(0, m.tensor([0]), m.ones(1, 3)), RuntimeError,
                "source tensor shape must match self tensor shape")
    raises_like(lambda m: m.zeros(3, 2).index_copy(0, m.tensor([3]), m.ones(1, 2)), (RuntimeError, IndexError))
    raises_like(lambda m: m.zeros(3, 2).index_add(0, m.tensor([0.0]), m.ones(1, 2)), RuntimeError)
    raises_like(lambda m: m.zeros(3, 2).index_fill(0, m.tensor([0]), m.ones(2)), RuntimeError,
                "only supports a 0-dimensional value tensor")
    raises_like(lambda m: m.zeros(3, 2).index_add(0, m.tensor([0]), m.ones(1, 2, dtype=m.float64)), RuntimeError)
    both(lambda m: m.zeros(3, 2).index_add(0, m.tensor([0, 0], dtype=m.int32), m.ones(2, 2)))
