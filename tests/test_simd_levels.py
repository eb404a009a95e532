"""Every SIMD level the CPU has (scalar, AVX2, AVX-512 — forced through
fasttensor._C._set_simd_level) gives the reference results for
elementwise ops, reductions, softmax and matmul, with tails that are not
multiples of the vector width. The level is restored afterwards (conftest)."""

from __future__ import annotations

import operator

import numpy as np
import pytest

import fasttensor
from helpers import check_op, ids

ORDER = ["scalar", "avx2", "avx512"]
DETECTED = fasttensor._C._detected_simd_level()
LEVELS = ORDER[: ORDER.index(DETECTED) + 1] if DETECTED in ORDER else ["scalar"]


@pytest.fixture(params=LEVELS)
def level(request):
    fasttensor._C._set_simd_level(request.param)
    assert fasttensor._C._simd_level() == request.param
    yield request.param
    fasttensor._C._set_simd_level(DETECTED)


SIZES = [(1,), (7,), (15,), (16,), (17,), (33,), (1031,), (100_003,)]
FAST = dict(run_gradcheck=False)


def test_detected_level_is_known():
    assert DETECTED in ORDER
    assert fasttensor._C._simd_level() == DETECTED
    with pytest.raises(ValueError):
        fasttensor._C._set_simd_level("sse9")


@pytest.mark.parametrize("shape", SIZES, ids=ids)
def test_elementwise_at_level(level, shape):
    # Gradients run through the same kernels; check them on the smaller sizes only (time).
    FAST = dict(run_gradcheck=False, grad=shape[0] <= 1031)
    for op, ref in [(operator.add, np.add), (operator.mul, np.multiply), (operator.truediv, np.true_divide),
                    (operator.sub, np.subtract)]:
        check_op([shape, shape], op, numpy_fn=ref, dtypes=["float32", "float64"], low=0.5, high=2.0, **FAST)
    check_op([shape, 2.5], operator.mul, numpy_fn=np.multiply, **FAST)
    check_op([shape], lambda x: x.exp(), numpy_fn=np.exp, dtypes=["float32", "float64"], **FAST)
    check_op([shape], lambda x: x.log(), numpy_fn=np.log, low=0.1, high=5, **FAST)
    check_op([shape], lambda x: x.tanh(), numpy_fn=np.tanh, **FAST)
    check_op([shape], lambda x: x.sigmoid(), numpy_fn=lambda v: 1 / (1 + np.exp(-v)), **FAST)
    check_op([shape], lambda x: x.relu(), numpy_fn=lambda v: np.maximum(v, 0), **FAST)
    check_op([shape], lambda x: x.sqrt(), numpy_fn=np.sqrt, low=0.1, high=5, **FAST)
    check_op([shape], lambda x: x.sin(), numpy_fn=np.sin, **FAST)
    check_op([shape, shape], lambda a, b: a > b, numpy_fn=np.greater, grad=False)
    check_op([shape, shape], operator.add, numpy_fn=np.add, dtypes=["int64", "int32", "uint8"], low=0, high=100,
             grad=False)


def test_elementwise_noncontiguous_and_broadcast_at_level(level):
    check_op([(33, 17), (17,)], operator.mul, numpy_fn=np.multiply, layouts=["contiguous", "transposed", "strided"],
             **FAST)
    check_op([(300, 301), (300, 1)], operator.add, numpy_fn=np.add, grad_atol=1e-4, **FAST)


@pytest.mark.parametrize("shape,dim", [((100_003,), None), ((17, 33), 1), ((33, 17), 0), ((300, 301), 1),
                                       ((7,), None), ((1027, 1031), 0)], ids=ids)
def test_reductions_at_level(level, shape, dim):
    kw = {} if dim is None else {"dim": dim}
    tol = dict(rtol=1e-4, atol=1e-5, low=0.0, high=1.0, **FAST)
    check_op([shape], lambda x: x.sum(**kw), numpy_fn=lambda x: np.sum(x, axis=dim), **tol)
    check_op([shape], lambda x: x.mean(**kw), numpy_fn=lambda x: np.mean(x, axis=dim), **tol)
    check_op([shape], lambda x: x.amax() if dim is None else x.amax(dim), numpy_fn=lambda x: np.max(x, axis=dim),
             **tol)
    check_op([shape], lambda x: x.var(**kw), numpy_fn=lambda x: np.var(x, axis=dim, ddof=1), **tol)
    check_op([shape], lambda x: x.argmax() if dim is None else x.argmax(dim), numpy_fn=lambda x: np.argmax(x, dim),
             grad=False)
    check_op([shape], lambda x: x.sum(**kw), numpy_fn=lambda x: np.sum(x, axis=dim), dtypes=["float64"],
             rtol=1e-12, atol=1e-10, **FAST)


@pytest.mark.parametrize("shape", [(4, 7), (3, 17), (5, 33), (300, 301), (2, 1031)], ids=ids)
def test_softmax_at_level(level, shape):
    def np_softmax(x):
        e = np.exp(x - x.max(1, keepdims=True))
        return e / e.sum(1, keepdims=True)

    check_op([shape], lambda x: x.softmax(1), numpy_fn=np_softmax, low=-5, high=5, **FAST)
    check_op([shape], lambda x: x.log_softmax(1), numpy_fn=lambda x: np.log(np_softmax(x)), low=-5, high=5,
             atol=1e-5, grad_atol=1e-5, **FAST)


@pytest.mark.parametrize("m,k,n", [(1, 1, 1), (3, 5, 7), (17, 33, 9), (64, 64, 64), (129, 65, 257),
                                   (300, 301, 17)], ids=ids)
def test_matmul_at_level(level, m, k, n):
    g = max(m, k, n)
    check_op([(m, k), (k, n)], operator.matmul, numpy_fn=np.matmul, low=-1, high=1, rtol=1e-5,
             atol=max(1e-6, 3e-7 * k), grad_atol=max(1e-6, 3e-7 * g), **FAST)
    check_op([(m, k), (k, n)], operator.matmul, numpy_fn=np.matmul, dtypes=["float64"], low=-1, high=1,
             rtol=1e-12, atol=1e-12, **FAST)
    check_op([(m, k), (k, n)], operator.matmul, numpy_fn=np.matmul, layouts=["transposed"], low=-1, high=1,
             rtol=1e-5, atol=max(1e-6, 3e-7 * k), grad_atol=max(1e-6, 3e-7 * g), **FAST)


def test_levels_agree_with_each_other():
    # Same inputs at every level: results within rounding of each other (and exact for integer ops).
    rng = np.random.default_rng(0)
    a = fasttensor.tensor(rng.uniform(-3, 3, 10_007).astype(np.float32))
    ints = fasttensor.tensor(rng.integers(-1000, 1000, 10_007))
    results = {}
    for lv in LEVELS:
        fasttensor._C._set_simd_level(lv)
        results[lv] = ((a.exp() * a).numpy(), a.softmax(0).numpy(), (ints * 3 + 1).numpy(), a.sum().item())
    fasttensor._C._set_simd_level(DETECTED)
    base = results[LEVELS[0]]
    for lv in LEVELS[1:]:
        np.testing.assert_allclose(results[lv][0], base[0], rtol=2e-6, atol=1e-6)
        np.testing.assert_allclose(results[lv][1], base[1], rtol=2e-6, atol=1e-9)
        np.testing.assert_array_equal(results[lv][2], base[2])
        assert results[lv][3] == pytest.approx(base[3], rel=1e-5, abs=1e-3)


def test_random_fills_are_the_same_at_every_level():
    # A seed gives the same numbers whatever the CPU (and the CUDA kernels, which
    # compute low + span * u and Box-Muller in the same separate roundings).
    results = {}
    for lv in LEVELS:
        fasttensor._C._set_simd_level(lv)
        draws = []
        for dtype in (fasttensor.float32, fasttensor.float64):
            fasttensor.manual_seed(7)
            draws.append(fasttensor.empty(10_007, dtype=dtype).uniform_(-2, 3).numpy())
            draws.append(fasttensor.empty(10_007, dtype=dtype).normal_(1.5, 0.25).numpy())
        draws.append(fasttensor.randint(-50, 50, (1001,)).numpy())
        results[lv] = draws
    fasttensor._C._set_simd_level(DETECTED)
    for lv in LEVELS[1:]:
        for got, base in zip(results[lv], results[LEVELS[0]]):
            np.testing.assert_array_equal(got, base)


SIGMOID_ULP_BOUND = 2.5  # PyTorch's 1/(1+exp(-x)) in float: 2.48 at worst over all 2^32 inputs (vec_math_dev)


def _edge_inputs():
    rng = np.random.default_rng(5)
    return np.concatenate([rng.uniform(-90, 90, 20_000), rng.standard_normal(20_000),
                           [0.0, -0.0, 8, 9, 10, 11, 12, -16.6, 17.3, -17.3, -86.0, -87.0, -87.00001, -88.0, -88.72,
                            -88.7228, -88.73, 88.0, 88.00001, 88.72, 88.73, -103.9, -104.0, -150.0, 1e-30, -1e-30,
                            np.inf, -np.inf, np.nan]]).astype(np.float32)


def test_float_exp_tanh_correctly_rounded_sigmoid_within_bound_at_level(level):
    # exp and tanh round once from a higher-precision value (AVX2 and AVX-512 exp: float lanes with
    # a double fallback): every value, vectorized and as a 0-d tensor, equals that bit for bit,
    # including the edges of the fast path (-87, 88), overflow, subnormal results and -0.
    # sigmoid is 1/(1+exp(-x)) with each step rounded to float, as PyTorch evaluates it: on the
    # correctly rounded exp at the scalar level (bit for bit), on a 1-ulp float-lane exp at AVX2
    # and AVX-512; within SIGMOID_ULP_BOUND of the exact sigmoid either way, and exactly 0 where
    # exp(-x) overflows a float (PyTorch's 1/(1+inf)), subnormal just above.
    x = _edge_inputs()
    x64 = x.astype(np.float64)
    with np.errstate(over="ignore"):
        exp_ref = np.exp(x64).astype(np.float32)
        e_neg = np.exp(-x64)
        formula = (np.float32(1) / (np.float32(1) + e_neg.astype(np.float32))).astype(np.float32)
    tanh_ref = np.tanh(x64).astype(np.float32)
    checks = [(fasttensor.exp, exp_ref), (fasttensor.tanh, tanh_ref)]
    if level == "scalar":
        checks.append((fasttensor.sigmoid, formula))
    finite = ~np.isnan(x)
    for fn, ref in checks:
        got = fn(fasttensor.tensor(x)).numpy()
        np.testing.assert_array_equal(got.view(np.uint32)[finite], ref.view(np.uint32)[finite])
        assert np.isnan(got[~finite]).all()
    for fn in (fasttensor.exp, fasttensor.tanh, fasttensor.sigmoid):
        got = fn(fasttensor.tensor(x)).numpy()
        for i in list(range(21)) + list(range(len(x) - 40, len(x))):  # the 0-d path (one broadcast lane)
            one = fn(fasttensor.tensor(x[i])).numpy()
            assert one.view(np.uint32) == got[i].view(np.uint32) or (np.isnan(one) and np.isnan(got[i])), x[i]
    sig = fasttensor.sigmoid(fasttensor.tensor(x)).numpy()
    assert np.isnan(sig[~finite]).all()
    overflow = finite & np.isinf(e_neg.astype(np.float32))
    assert overflow.sum() > 100 and (sig[overflow] == 0).all()
    exact = 1 / (1 + e_neg[finite & ~overflow])
    ulps = np.abs(sig[finite & ~overflow] - exact) / np.spacing(exact.astype(np.float32)).astype(np.float64)
    worst = int(np.argmax(ulps))
    assert ulps[worst] <= SIGMOID_ULP_BOUND, (x[finite & ~overflow][worst], ulps[worst])
    assert (sig[finite & ~overflow & (x64 < -87.4)] > 0).all()  # subnormal results, not flushed


def test_float_sigmoid_same_at_avx2_and_avx512():
    # The float-lane sigmoid uses explicit FMAs and an exact 2^n scaling at both levels.
    lane_levels = [lv for lv in LEVELS if lv != "scalar"]
    if len(lane_levels) < 2:
        pytest.skip(f"needs AVX2 and AVX-512; this CPU's levels: {LEVELS}")
    x = np.concatenate([_edge_inputs(), np.random.default_rng(6).uniform(-100, 100, 100_003).astype(np.float32)])
    results = []
    for lv in lane_levels:
        fasttensor._C._set_simd_level(lv)
        results.append(fasttensor.sigmoid(fasttensor.tensor(x)).numpy())
    fasttensor._C._set_simd_level(DETECTED)
    np.testing.assert_array_equal(results[0], results[1])
