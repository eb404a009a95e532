"""logit, asinh / acosh / atanh (and the arc* aliases), erfc, isposinf / isneginf, dist, msort
(the C++ unary ops and fasttensor._math_extra). Values against NumPy / the math module always (in ulps
for the special functions, over wide ranges: tiny and huge |x|, near 1, erfc's tail down to the
subnormals); against mpmath, to the ulp, when it imports; values, dtypes, special values and
gradients (at the boundaries too, where torch gives inf or NaN) against torch 2.13 when installed."""

from __future__ import annotations

import math

import numpy as np
import pytest

import fasttensor
from fasttensor import _math_extra as mx
from helpers import assert_close, check_op, ids, to_numpy

inf, nan = math.inf, math.nan
F = ("float32", "float64")
UNARY = ("asinh", "acosh", "atanh", "erfc", "logit")
ALIASES = {"arcsinh": "asinh", "arccosh": "acosh", "arctanh": "atanh"}
PUBLIC = UNARY + tuple(ALIASES) + ("isposinf", "isneginf", "dist", "msort")
METHODS = PUBLIC + tuple(n + "_" for n in UNARY + tuple(ALIASES))
# Whether the package itself exports these (read before the fixture below adds the methods).
WIRED = {n: hasattr(fasttensor, n) for n in PUBLIC} | {"Tensor." + n: hasattr(fasttensor.Tensor, n) for n in METHODS}


@pytest.fixture(autouse=True, scope="module")
def _methods():
    mx.install(fasttensor.Tensor)  # what the package does on import (never replaces a method)


def ft_tensor(values, dtype, **kwargs):
    return fasttensor.tensor(np.asarray(values, dtype=dtype), **kwargs)


def ulps(actual, expected, dtype) -> np.ndarray:
    """|actual - expected| in ulps (of dtype) of expected; 0 where both are the same NaN/inf, inf
    where an infinity or a NaN is not matched."""
    a = np.asarray(actual, np.float64)
    e = np.asarray(expected, np.float64)
    with np.errstate(all="ignore"):
        spacing = np.spacing(np.abs(e).astype(dtype)).astype(np.float64)
        spacing = np.where(np.isfinite(spacing), spacing, float(np.spacing(np.finfo(dtype).max)))
        spacing = np.maximum(spacing, float(np.finfo(dtype).smallest_subnormal))
        out = np.abs(a - e) / spacing
    same = (a == e) | (np.isnan(a) & np.isnan(e))
    out = np.where(same, 0.0, out)
    return np.where(np.isnan(out), inf, out)


def assert_ulps(actual, expected, dtype, bound, xs, what=""):
    err = ulps(actual, expected, dtype)
    i = int(np.argmax(err))
    assert err[i] <= bound, f"{what} {dtype}: {err[i]:.3f} ulp at x={xs[i]!r} (got {actual[i]!r}, want {expected[i]!r})"


def wide_inputs(name: str, dtype: str, n: int = 2000, seed: int = 0) -> np.ndarray:
    """Inputs over each function's whole range: tiny and huge magnitudes, the branch points, and
    the neighbours of 1 (acosh, atanh) and of erfc's interval ends, in dtype."""
    rng = np.random.default_rng(seed)
    fi = np.finfo(dtype)

    def log_uniform(lo, hi, k):
        return np.exp(rng.uniform(np.log(lo), np.log(hi), k))

    def around(points, k=20):
        out = []
        for p in points:
            up = down = np.array(p, dtype)
            for _ in range(k):
                out += [up, down]
                up, down = np.nextafter(up, np.array(inf, dtype)), np.nextafter(down, np.array(-inf, dtype))
        return np.array(out, dtype)

    signs = rng.choice([-1.0, 1.0], n)
    if name == "asinh":
        xs = np.concatenate([signs * log_uniform(float(fi.smallest_subnormal) * 4, float(fi.max) / 4, n),
                             rng.uniform(-3, 3, n), around([2.0, -2.0, 2.0 ** 28, 2.0 ** -28]), [1e-30, 1e30, -1e30]])
    elif name == "acosh":
        xs = np.concatenate([1 + log_uniform(1e-16, float(fi.max) / 4, n), rng.uniform(1, 3, n),
                             around([1.0, 2.0, 2.0 ** 28])])
        xs = xs[xs.astype(dtype) >= 1]
    elif name == "atanh":
        xs = np.concatenate([signs * log_uniform(float(fi.smallest_subnormal) * 4, 1, n), rng.uniform(-1, 1, n),
                             signs * (1 - log_uniform(1e-16, 0.5, n)), around([0.5, -0.5, 2.0 ** -28]),
                             around([1.0, -1.0])[2:], [1e-20, -1e-20]])
        xs = xs[np.abs(xs.astype(dtype)) < 1]
    elif name == "erfc":
        lo, hi = (-6.0, 27.0) if dtype == "float64" else (-4.0, 10.0)
        xs = np.concatenate([rng.uniform(lo, hi, n), np.linspace(lo, hi, n),
                             signs[: n // 4] * log_uniform(1e-20, 1, n // 4),
                             around([0.25, 0.84375, 1.25, 1 / 0.35, 6.0, -0.84375, -1.25], 8), [10.0, 26.5, 27.0]])
    else:  # logit
        xs = np.concatenate([rng.uniform(0, 1, n), log_uniform(1e-30, 1, n), 1 - log_uniform(1e-16, 1, n)])
        xs = xs[(xs.astype(dtype) > 0) & (xs.astype(dtype) < 1)]
    return xs.astype(dtype)


def ours(name, xs):
    return getattr(fasttensor, name)(fasttensor.tensor(xs)).numpy().astype(np.float64)


# --- Values against NumPy and the math module (no torch needed) ----------------------------------

NUMPY_REFERENCE = {"asinh": np.arcsinh, "acosh": np.arccosh, "atanh": np.arctanh,
                   "erfc": np.vectorize(math.erfc), "logit": None}
# Bounds in ulps: NumPy's arcsinh/arccosh/arctanh and math.erfc (the C library, double) are within
# ~0.6 / ~3 ulp of exact, ours (the same library) as well. float32 asinh / acosh are the C library's
# float functions, as PyTorch's (measured up to 1.3 / 1.65 ulp); float32 atanh / erfc go through
# double and are rounded once: 0.5 + tiny.
NUMPY_BOUND = {("float64", "erfc"): 6.0, "float64": 2.5, ("float32", "asinh"): 2.0, ("float32", "acosh"): 2.0,
               "float32": 0.51}


@pytest.mark.parametrize("dtype", F)
@pytest.mark.parametrize("name", ("asinh", "acosh", "atanh", "erfc"))
def test_values_against_numpy(name, dtype):
    xs = wide_inputs(name, dtype)
    expected = NUMPY_REFERENCE[name](xs.astype(np.float64))  # float64 reference, also for float32 inputs
    bound = NUMPY_BOUND.get((dtype, name), NUMPY_BOUND[dtype])
    assert_ulps(ours(name, xs), expected, dtype, bound, xs, name)


@pytest.mark.parametrize("dtype", F)
def test_logit_values_follow_torch_formula(dtype):
    # torch computes log(x / (1 - x)) in the input's dtype (so do we, to match it near x = 0.5).
    xs = wide_inputs("logit", dtype)
    with np.errstate(all="ignore"):
        expected = np.log(xs / (np.asarray(1, dtype) - xs)).astype(np.float64)
    assert_ulps(ours("logit", xs), expected, dtype, 2.0, xs, "logit")


def test_erfc_tail_is_relative_accurate():
    # 1 - erf(x) would give 0 from x ~ 6 on; these are erfc's own values (math.erfc, 3 ulp at worst).
    xs = np.array([5.0, 6.0, 10.0, 15.0, 20.0, 25.0, 26.0, 26.5], np.float64)
    got = ours("erfc", xs)
    assert got[2] == pytest.approx(2.088487583762545e-45, rel=1e-14)
    np.testing.assert_allclose(got, [math.erfc(v) for v in xs], rtol=2e-15)
    assert ours("erfc", np.array([27.3, 28.0, 40.0, inf]))[:].tolist() == [0.0, 0.0, 0.0, 0.0]
    assert ours("erfc", np.array([-6.5, -28.0, -inf])).tolist() == [2.0, 2.0, 2.0]
    assert ours("erfc", np.array([10.0], np.float32))[0] == np.float32(1.4e-45)  # 2.09e-45 in float32 subnormals


@pytest.mark.parametrize("dtype", F)
def test_tiny_and_huge_arguments(dtype):
    tiny = np.array([1e-30, -1e-30, 1e-20, 2.0 ** -40], dtype)
    assert ours("asinh", tiny).tolist() == tiny.astype(np.float64).tolist()
    assert ours("atanh", tiny).tolist() == tiny.astype(np.float64).tolist()
    huge = np.array([1e30, -1e30, np.finfo(dtype).max], dtype)
    expected = np.sign(huge) * (np.log(np.abs(huge.astype(np.float64))) + math.log(2))
    assert_ulps(ours("asinh", huge), expected, dtype, 1.0, huge, "asinh")
    assert_ulps(ours("acosh", np.abs(huge)), np.abs(expected), dtype, 1.0, huge, "acosh")
    near_one = np.nextafter(np.array([1.0, 1.0], dtype), np.array([2.0, 0.0], dtype))
    # acosh(1 + u) ~ sqrt(2u), atanh(1 - u/2) ~ -log(u/4)/2: no cancellation
    assert_ulps(ours("acosh", near_one[:1]), np.arccosh(near_one[:1].astype(np.float64)), dtype, 1.0, near_one, "acosh")
    assert_ulps(ours("atanh", near_one[1:]), np.arctanh(near_one[1:].astype(np.float64)), dtype, 1.0, near_one, "atanh")


# Special values: (x, expected) pairs (a dict would merge 0.0 and -0.0); zeros' signs are checked too.
SPECIAL = {
    "asinh": [(-inf, -inf), (inf, inf), (-0.0, -0.0), (0.0, 0.0), (nan, nan), (1.0, math.asinh(1.0)),
              (-1.0, -math.asinh(1.0))],
    "acosh": [(-inf, nan), (inf, inf), (-0.0, nan), (0.0, nan), (nan, nan), (1.0, 0.0), (-1.0, nan), (0.5, nan),
              (2.0, math.acosh(2.0))],
    "atanh": [(-inf, nan), (inf, nan), (-0.0, -0.0), (0.0, 0.0), (nan, nan), (1.0, inf), (-1.0, -inf), (2.0, nan),
              (-2.0, nan)],
    "erfc": [(-inf, 2.0), (inf, 0.0), (-0.0, 1.0), (0.0, 1.0), (nan, nan), (1.0, math.erfc(1.0)),
             (-1.0, math.erfc(-1.0))],
    "logit": [(-inf, nan), (inf, nan), (-0.0, -inf), (0.0, -inf), (nan, nan), (1.0, inf), (-1.0, nan), (0.5, 0.0),
              (2.0, nan)],
    "isposinf": [(-inf, False), (inf, True), (0.0, False), (nan, False), (1.0, False)],
    "isneginf": [(-inf, True), (inf, False), (0.0, False), (nan, False), (-1.0, False)],
}


@pytest.mark.parametrize("dtype", F)
@pytest.mark.parametrize("name", tuple(SPECIAL))
def test_special_values(name, dtype):
    xs, expected = zip(*SPECIAL[name])
    got = getattr(fasttensor, name)(ft_tensor(xs, dtype))
    if name.startswith("is"):
        assert got.dtype == fasttensor.bool and got.tolist() == list(expected)
        return
    got = got.numpy().astype(np.float64)
    want = np.array(expected, np.float64).astype(dtype).astype(np.float64)
    assert_ulps(got, want, dtype, 1.0, xs, name)  # inf, NaN and 0 exactly
    zero = want == 0
    np.testing.assert_array_equal(np.signbit(got[zero]), np.signbit(want[zero]), err_msg=f"{name}: sign of zero")


@pytest.mark.parametrize("dtype", ("bool", "uint8", "int32", "int64"))
@pytest.mark.parametrize("name", UNARY + tuple(ALIASES))
def test_integers_promote_to_default_float(name, dtype):
    values = [0, 1] if dtype == "bool" else [0, 1, 2, 3]
    x = ft_tensor(values, dtype)
    got = getattr(fasttensor, name)(x)
    assert got.dtype == fasttensor.float32
    ref = ALIASES.get(name, name)
    np.testing.assert_array_equal(got.numpy(), getattr(fasttensor, ref)(x._to_dtype(fasttensor.float32)).numpy())
    fasttensor.set_default_dtype(fasttensor.float64)
    assert getattr(fasttensor, name)(x).dtype == fasttensor.float64


@pytest.mark.parametrize("dtype", ("bool", "uint8", "int32", "int64", "float32", "float64"))
def test_isposinf_isneginf(dtype):
    rng = np.random.default_rng(0)
    values = rng.choice([0, 1, 5] if dtype in ("bool", "uint8", "int32", "int64") else [0, -inf, inf, nan, 1.5], 30)
    a = values.astype(dtype)
    x = fasttensor.tensor(a)
    for fn, ref in ((mx.isposinf, np.isposinf), (mx.isneginf, np.isneginf)):
        got = fn(x)
        assert got.dtype == fasttensor.bool and not got.requires_grad
        np.testing.assert_array_equal(got.numpy(), ref(a.astype(np.float64)))
    assert fasttensor.isposinf(fasttensor.tensor(inf)).tolist() is True  # 0-d


def test_logit_eps():
    xs = np.array([-inf, -1.0, -0.0, 0.0, 1e-30, 0.05, 0.1, 0.5, 0.9, 0.95, 1.0, 2.0, inf, nan])
    x = fasttensor.tensor(xs)
    clamped = np.clip(xs, 0.1, 0.9)
    np.testing.assert_allclose(fasttensor.logit(x, 0.1).numpy(), np.log(clamped / (1 - clamped)), rtol=1e-15)
    np.testing.assert_array_equal(fasttensor.logit(x, -0.5).numpy(), fasttensor.logit(x).numpy())  # negative eps: none
    zero = fasttensor.logit(x, 0.0).numpy()  # clamped to [0, 1]: -inf .. inf, no NaN but NaN's own
    assert zero[0] == -inf and zero[-2] == inf and np.isnan(zero[-1]) and np.isnan(zero).sum() == 1


# --- mpmath: ulp errors against values exact to 160 bits ----------------------------------------


def exact(fn, xs):
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.prec = 160
    hi = np.empty(len(xs))
    lo = np.empty(len(xs))
    for i, v in enumerate(xs.astype(np.float64)):
        r = fn(mpmath, mpmath.mpf(float(v)))
        hi[i] = float(r)
        lo[i] = float(r - hi[i]) if np.isfinite(hi[i]) else 0.0
    return hi, lo


MPMATH = {"asinh": lambda m, v: m.asinh(v), "acosh": lambda m, v: m.acosh(v), "atanh": lambda m, v: m.atanh(v),
          "erfc": lambda m, v: m.erfc(v)}
# The C library's (glibc) documented and measured maxima: float64 within ~1.5 ulp (erfc ~2.5); float32
# asinhf / acoshf within 2 ulp (the functions PyTorch's CPU kernels call too); float32 atanh / erfc
# are evaluated in double, so correctly rounded but for rare double-rounding ties.
EXACT_BOUND = {"asinh": 1.75, "acosh": 1.75, "atanh": 1.75, "erfc": 2.6}
EXACT_BOUND_F32 = {"asinh": 2.0, "acosh": 2.0, "atanh": 0.501, "erfc": 0.501}


@pytest.mark.parametrize("dtype", F)
@pytest.mark.parametrize("name", tuple(MPMATH))
def test_ulp_error_against_mpmath(name, dtype):
    xs = wide_inputs(name, dtype, n=600, seed=1)
    hi, lo = exact(MPMATH[name], xs)
    got = ours(name, xs)
    with np.errstate(all="ignore"):
        spacing = np.maximum(np.spacing(np.abs(hi).astype(dtype)).astype(np.float64),
                             float(np.finfo(dtype).smallest_subnormal))
        err = np.abs((got - hi) - lo) / spacing
    err = np.where(got == hi, np.abs(lo) / spacing, err)
    bound = EXACT_BOUND[name] if dtype == "float64" else EXACT_BOUND_F32[name]
    i = int(np.argmax(err))
    assert err[i] <= bound, f"{name} {dtype}: {err[i]:.3f} ulp at x={xs[i]!r}"


# --- torch: values, dtypes, gradients ------------------------------------------------------------

# ulps between our value and torch's: asinh / acosh are the same C library calls (equal values);
# atanh / erfc differ from torch's SIMD versions by up to ~1.5 ulp (both within ~1.5 of exact).
TORCH_BOUND = {"float32": 2.0, "float64": 2.0}


@pytest.mark.parametrize("dtype", F)
@pytest.mark.parametrize("name", UNARY)
def test_values_against_torch(torch, name, dtype):
    xs = wide_inputs(name, dtype, seed=2)
    theirs = getattr(torch, name)(torch.from_numpy(xs.copy())).numpy().astype(np.float64)
    assert_ulps(ours(name, xs), theirs, dtype, TORCH_BOUND[dtype], xs, name)


BOUNDARY = [-inf, -2.0, -1.0, -0.5, -0.0, 0.0, 1e-30, 0.25, 0.5, 1.0, 2.0, 30.0, inf, nan]


def grads_of(module, name, values, dtype, upstream, *args, create_graph=False):
    """The values and gradients of x.name(*args) at values, each repeated 64 times: torch's CPU
    kernels then take every element through their vectorized path (the few left over at a
    tensor's end go through a scalar one, which for logit differs at -0.0 and at NaN)."""
    x = module.tensor(np.repeat(np.asarray(values, dtype), 64), requires_grad=True)
    y = getattr(x, name)(*args)
    g = module.tensor(np.repeat(np.asarray(upstream, dtype), 64))
    (gx,) = module.autograd.grad(y, x, g, create_graph=create_graph)
    return to_numpy(y), to_numpy(gx)


@pytest.mark.parametrize("dtype", F)
@pytest.mark.parametrize("name", UNARY)
def test_values_and_gradients_at_boundaries_match_torch(torch, name, dtype):
    upstream = np.linspace(-1.5, 2.0, len(BOUNDARY))
    upstream[BOUNDARY.index(0.0)] = 0.0  # dy = 0 where the slope is inf: NaN, as torch
    xs = np.repeat(BOUNDARY, 64)
    for create_graph in (False, True):
        y, g = grads_of(fasttensor, name, BOUNDARY, dtype, upstream, create_graph=create_graph)
        ty, tg = grads_of(torch, name, BOUNDARY, dtype, upstream, create_graph=create_graph)
        np.testing.assert_array_equal(np.isnan(y), np.isnan(ty))
        assert_ulps(y, ty, dtype, 2.0, xs, f"{name} value")
        np.testing.assert_array_equal(np.signbit(y[~np.isnan(y)]), np.signbit(ty[~np.isnan(ty)]))
        assert_ulps(g, tg, dtype, 4.0, xs, f"{name} grad (create_graph={create_graph})")


@pytest.mark.parametrize("eps", (0.0, 1e-6, 0.1, 0.25, 0.7, -0.1, nan))
@pytest.mark.parametrize("dtype", F)
def test_logit_eps_matches_torch(torch, eps, dtype):
    points = BOUNDARY + [0.1, 0.9, 0.75, 1e-6, 1 - 1e-6]
    upstream = np.linspace(-1.5, 2.0, len(points))
    xs = np.repeat(points, 64)
    for create_graph in (False, True):
        y, g = grads_of(fasttensor, "logit", points, dtype, upstream, eps, create_graph=create_graph)
        ty, tg = grads_of(torch, "logit", points, dtype, upstream, eps, create_graph=create_graph)
        assert_ulps(y, ty, dtype, 2.0, xs, f"logit(eps={eps})")
        assert_ulps(g, tg, dtype, 2.0, xs, f"logit(eps={eps}) grad (create_graph={create_graph})")


@pytest.mark.parametrize("name", ("asinh", "acosh", "atanh", "erfc", "logit"))
def test_second_derivative_matches_torch(torch, name):
    points = {"acosh": [1.5, 2.0, 7.0], "atanh": [-0.5, 0.1, 0.9]}.get(name, [-3.0, 0.2, 0.3, 0.9])
    if name == "logit":
        points = [0.2, 0.3, 0.9]
    results = []
    for module in (fasttensor, torch):
        x = module.tensor(points, dtype=module.float64, requires_grad=True)
        (g,) = module.autograd.grad(getattr(x, name)().sum(), x, create_graph=True)
        (gg,) = module.autograd.grad(g.sum(), x)
        results.append(to_numpy(gg))
    np.testing.assert_allclose(results[0], results[1], rtol=1e-13)


@pytest.mark.parametrize("dtype", ("bool", "uint8", "int32", "int64", "float32", "float64"))
@pytest.mark.parametrize("name", UNARY + ("isposinf", "isneginf", "msort"))
def test_result_dtype_matches_torch(torch, name, dtype):
    values = np.array([[0, 1], [1, 0]]).astype(dtype)
    got = getattr(fasttensor, name)(fasttensor.tensor(values))
    want = getattr(torch, name)(torch.tensor(values))
    assert_close(got, want)


@pytest.mark.parametrize("layout", ("contiguous", "transposed", "strided"))
@pytest.mark.parametrize("name", UNARY)
def test_check_op(name, layout):
    low, high = {"acosh": (1.0, 4.0), "atanh": (-0.95, 0.95), "logit": (0.02, 0.98)}.get(name, (-3.0, 3.0))
    check_op([(3, 4)], lambda x: getattr(x, name)(), dtypes=F, low=low, high=high, layouts=(layout,),
             rtol=2e-6, numpy_fn=NUMPY_REFERENCE[name] if name != "logit" else lambda x: np.log(x / (1 - x)))


# --- dist --------------------------------------------------------------------------------------

P_VALUES = (0, 1, 2, 3, 0.5, 1.5, inf, -inf, -1, -2.5)


def numpy_dist(a, b, p):
    d = np.abs(np.asarray(a, np.float64) - np.asarray(b, np.float64)).reshape(-1)
    if p == 0:
        return float(np.count_nonzero(d))
    if p == inf:
        return d.max()
    if p == -inf:
        return d.min()
    with np.errstate(divide="ignore"):
        return np.sum(d ** float(p)) ** (1.0 / p)


@pytest.mark.parametrize("p", P_VALUES, ids=ids)
@pytest.mark.parametrize("dtype", F)
def test_dist_values(p, dtype):
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(4, 5)).astype(dtype), rng.normal(size=(5,)).astype(dtype)
    b[1] = a[2, 1]  # one zero difference (p < 0: the norm is 0)
    got = fasttensor.dist(fasttensor.tensor(a), fasttensor.tensor(b), p)
    assert got.dtype == getattr(fasttensor, dtype) and got.shape == ()
    np.testing.assert_allclose(got.item(), numpy_dist(a, b, p), rtol=1e-5 if dtype == "float32" else 1e-13)
    assert fasttensor.dist(fasttensor.tensor(a), fasttensor.tensor(a), p).item() == 0.0
    assert fasttensor.tensor(a).dist(fasttensor.tensor(b), p).item() == got.item()


@pytest.mark.parametrize("p", P_VALUES, ids=ids)
def test_dist_matches_torch(torch, p):
    rng = np.random.default_rng(1)
    cases = [((3, 4), (4,)), ((2, 1, 3), (4, 1)), ((), (5,)), ((6,), ())]
    for dtype in F:
        for sa, sb in cases:
            a, b = rng.normal(size=sa).astype(dtype), rng.normal(size=sb).astype(dtype)
            results = []
            for module in (fasttensor, torch):
                ta = module.tensor(a, requires_grad=True)
                tb = module.tensor(b, requires_grad=True)
                out = module.dist(ta, tb, p) if module is torch else fasttensor.dist(ta, tb, p)
                if p != 0:  # torch's backward raises for p = 0 (ours gives zeros: see below)
                    out.backward()
                results.append((out, ta.grad, tb.grad))
            (out, ga, gb), (t_out, t_ga, t_gb) = results
            rtol = 2e-6 if dtype == "float32" else 1e-12
            assert_close(out, t_out, rtol=rtol)
            if p != 0:
                assert_close(ga, t_ga, rtol=rtol, atol=1e-6)
                assert_close(gb, t_gb, rtol=rtol, atol=1e-6)


def test_dist_special_cases():
    a = fasttensor.tensor([1.0, -2.0, 0.5], requires_grad=True)
    b = fasttensor.tensor([0.0, 0.0, 0.5])
    out = fasttensor.dist(a, b, 0)
    assert out.item() == 2.0 and out.requires_grad
    out.backward()
    assert a.grad is None  # a count: its node gives no gradient (torch's dist backward raises there)
    a = fasttensor.tensor([1.0, -1.0, 0.5], requires_grad=True)
    fasttensor.dist(a, fasttensor.zeros(3), inf).backward()
    assert a.grad.tolist() == [0.5, -0.5, 0.0]  # ties share the gradient, as torch
    assert fasttensor.dist(fasttensor.tensor([1, 2]), fasttensor.tensor([1.0, 4.0])).dtype == fasttensor.float32
    assert fasttensor.dist(fasttensor.tensor([1.0]), fasttensor.tensor([4.0], dtype=fasttensor.float64)).item() == 3.0
    assert fasttensor.dist(fasttensor.tensor([1.0, 2.0]), fasttensor.tensor([1.0]), p=fasttensor.tensor(3.0)).item() == 1.0
    nan_case = fasttensor.dist(fasttensor.tensor([1.0, nan]), fasttensor.zeros(2), inf)
    assert math.isnan(nan_case.item())
    assert fasttensor.dist(fasttensor.tensor([3e38, 3e38]), fasttensor.zeros(2)).item() == inf  # as torch: no rescaling
    assert fasttensor.dist(fasttensor.empty(0), fasttensor.empty(0)).item() == 0.0
    with pytest.raises(RuntimeError, match="cannot compute the -inf norm on an empty tensor"):
        fasttensor.dist(fasttensor.empty(0), fasttensor.empty(0), -inf)
    with pytest.raises(RuntimeError, match="input dtype should be either floating point or complex. Got Long"):
        fasttensor.dist(fasttensor.tensor([1, 2]), fasttensor.tensor([1, 2]))
    with pytest.raises(RuntimeError, match="two bool tensors is not supported"):
        fasttensor.dist(fasttensor.tensor([True]), fasttensor.tensor([False]))
    with pytest.raises(TypeError, match=r"dist\(\): argument 'other' \(position 2\) must be Tensor, not float"):
        fasttensor.dist(fasttensor.tensor([1.0]), 2.0)
    with pytest.raises(TypeError, match="must be Number, not str"):
        fasttensor.dist(fasttensor.tensor([1.0]), fasttensor.tensor([1.0]), "fro")


def test_dist_gradcheck():
    rng = np.random.default_rng(3)
    a = fasttensor.tensor(rng.normal(size=(3, 4)), requires_grad=True)
    b = fasttensor.tensor(rng.normal(size=(4,)), requires_grad=True)
    for p in (1, 2, 3, 0.5, 1.5, inf, -inf, -1.5):
        assert fasttensor.autograd.gradcheck(lambda x, y: fasttensor.dist(x, y, p), (a, b))


# --- msort -------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ("bool", "uint8", "int32", "int64", "float32", "float64"))
def test_msort_values(dtype):
    rng = np.random.default_rng(0)
    a = (rng.normal(size=(5, 3)) * 4).astype(dtype) if dtype != "bool" else rng.random((5, 3)) < 0.5
    if dtype in F:
        a[1, 2], a[3, 0], a[0, 0] = nan, -inf, inf
    got = fasttensor.msort(fasttensor.tensor(a))
    assert got.dtype == fasttensor.tensor(a).dtype
    np.testing.assert_array_equal(got.numpy(), np.sort(a, axis=0))  # NaN last, as NumPy
    assert fasttensor.msort(fasttensor.tensor(np.float32(3.0))).item() == 3.0  # 0-d
    np.testing.assert_array_equal(fasttensor.tensor(a).msort().numpy(), np.sort(a, axis=0))


def test_msort_gradient_matches_torch(torch):
    a = np.array([[3.0, 1.0], [1.0, 2.0], [3.0, 0.0]])
    g = np.arange(1.0, 7.0).reshape(3, 2)
    grads = []
    for module in (fasttensor, torch):
        x = module.tensor(a, requires_grad=True)
        (module.msort(x) if module is torch else fasttensor.msort(x)).backward(module.tensor(g))
        grads.append(to_numpy(x.grad))
    np.testing.assert_array_equal(grads[0], grads[1])


# --- out=, in-place, methods, errors -------------------------------------------------------------


@pytest.mark.parametrize("name", UNARY + tuple(ALIASES) + ("msort",))
def test_out(name):
    x = fasttensor.tensor([0.25, 0.5, 2.0])
    expected = getattr(fasttensor, name)(x)
    out = fasttensor.empty(3, dtype=fasttensor.float64)
    assert getattr(fasttensor, name)(x, out=out) is out
    np.testing.assert_allclose(out.numpy(), expected.numpy(), rtol=1e-7, equal_nan=True)
    if name != "msort":
        with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
            getattr(fasttensor, name)(fasttensor.tensor([1, 2]), out=fasttensor.empty(2, dtype=fasttensor.int64))
    with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
        getattr(fasttensor, name)(fasttensor.tensor([0.5], requires_grad=True), out=fasttensor.empty(1))


def test_out_isposinf():
    out = fasttensor.empty(2, dtype=fasttensor.bool)
    assert fasttensor.isposinf(fasttensor.tensor([inf, 1.0]), out=out) is out and out.tolist() == [True, False]
    assert fasttensor.isneginf(fasttensor.tensor([inf, -inf]), out=out) is out and out.tolist() == [False, True]
    with pytest.raises(RuntimeError, match="isposinf does not support non-boolean outputs."):
        fasttensor.isposinf(fasttensor.tensor([inf]), out=fasttensor.empty(1))


@pytest.mark.parametrize("name", UNARY + tuple(ALIASES))
def test_in_place(name):
    x = fasttensor.tensor([0.25, 0.5, 1.5, -0.5])
    expected = getattr(x, name)()
    y = x.clone()
    assert getattr(y, name + "_")() is y
    np.testing.assert_array_equal(y.numpy(), expected.numpy())
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        getattr(fasttensor.tensor([1, 2]), name + "_")()
    # through autograd: the gradient of the in-place op on a non-leaf is the op's, except for PyTorch's
    # in-place asinh_/acosh_/atanh_, which have no derivative
    leaf = fasttensor.tensor([0.25, 0.5, 0.75], dtype=fasttensor.float64, requires_grad=True)
    h = leaf * 1.0
    getattr(h, name + "_")()
    canonical = ALIASES.get(name, name)
    if canonical in ("asinh", "acosh", "atanh"):
        assert h.grad_fn.name() == canonical.capitalize() + "Backward1"
        with pytest.raises(NotImplementedError,
                           match=f"the derivative for 'inplace version of {canonical}' is not implemented."):
            h.sum().backward()
        return
    h.sum().backward()
    leaf2 = fasttensor.tensor([0.25, 0.5, 0.75], dtype=fasttensor.float64, requires_grad=True)
    getattr(leaf2, name)().sum().backward()
    np.testing.assert_array_equal(leaf.grad.numpy(), leaf2.grad.numpy())


def test_logit_in_place_with_eps():
    x = fasttensor.tensor([0.0, 0.5, 1.0])
    assert x.logit_(0.25) is x
    np.testing.assert_allclose(x.numpy(), [-math.log(3), 0.0, math.log(3)], rtol=1e-6)


def test_methods_and_aliases():
    x = fasttensor.tensor([1.5, 2.5, 0.5])
    for alias, name in ALIASES.items():
        np.testing.assert_array_equal(getattr(x, alias)().numpy(), getattr(x, name)().numpy())
        np.testing.assert_array_equal(getattr(fasttensor, alias)(x).numpy(), getattr(fasttensor, name)(x).numpy())
    assert x.logit(0.6).tolist() == fasttensor.logit(x, eps=0.6).tolist()
    assert x.isposinf().tolist() == [False] * 3 and x.isneginf().tolist() == [False] * 3


@pytest.mark.parametrize("name", UNARY + tuple(ALIASES) + ("isposinf", "isneginf", "msort", "dist"))
def test_non_tensor_input_raises_type_error(name):
    with pytest.raises(TypeError, match=rf"{name}\(\): argument 'input' \(position 1\) must be Tensor, not list"):
        getattr(fasttensor, name)([0.5], fasttensor.tensor([0.5])) if name == "dist" else getattr(fasttensor, name)([0.5])


def test_float32_never_overflows_through_intermediates():
    big = fasttensor.tensor([3e38, -3e38, 1e30])
    assert np.isfinite(fasttensor.asinh(big).numpy()).all() and np.isfinite(fasttensor.acosh(big.abs()).numpy()).all()


@pytest.mark.parametrize("name", sorted(WIRED))
def test_exported_by_the_package(name):
    """fasttensor.<name> and Tensor.<name> exist without this file's fixture (the package wires them)."""
    assert WIRED[name], f"{name} is not wired into fasttensor (see _math_extra's __all__ and install)"


def test_torch_has_the_same_names(torch):
    for name in PUBLIC:
        assert hasattr(torch, name), name
        assert getattr(fasttensor, name).__doc__, name
    for name in METHODS:
        assert hasattr(torch.Tensor, name), name
