"""Linear algebra (csrc/ops/linalg.cpp, csrc/cpu/gemm*): dot, mv, mm, bmm,
matmul and @ for 1-D, 2-D and batched operands with broadcasting; odd and
empty sizes, non-contiguous operands, sizes that take the blocked and
threaded paths, and gradients."""

from __future__ import annotations

import operator

import numpy as np
import pytest

import fasttensor
from helpers import assert_close, check_op, ids, lib

F = ("float32", "float64")


def tol(k: int, grad_terms: int = 0) -> dict:
    """Tolerances for sums of k products of values in [-1, 1] (grad_terms: the
    longest sum in the gradients, e.g. m and n for an (m, k) @ (k, n) product):
    float32 rounding grows with the number of terms (float64 stays far below)."""
    g = max(k, grad_terms)
    return dict(rtol=1e-5, atol=max(1e-6, 3e-7 * k), grad_atol=max(1e-6, 3e-7 * g), low=-1.0, high=1.0)


MATMUL_SHAPES = [
    ((4,), (4,)), ((3, 4), (4,)), ((4,), (4, 5)), ((3, 4), (4, 5)), ((1, 1), (1, 1)), ((2, 3, 4), (4, 5)),
    ((3, 4), (2, 4, 5)), ((2, 3, 4), (2, 4, 5)), ((2, 1, 3, 4), (5, 4, 6)), ((1, 3, 4), (2, 4, 2)),
    ((4,), (2, 4, 5)), ((2, 3, 4), (4,)), ((0, 4), (4, 5)), ((3, 0), (0, 5)), ((2, 0, 4), (4, 3)), ((1,), (1,)),
    ((7, 13), (13, 9)), ((17, 33), (33, 65)),
]


@pytest.mark.parametrize("sa,sb", MATMUL_SHAPES, ids=ids)
def test_matmul(sa, sb):
    k = sa[-1]
    # Gradients sum over the other operand's rows/columns and over broadcast batches.
    g = int(np.prod(sa[:-1] or (1,)) * np.prod(sb[:-2] or (1,)) + np.prod(sb) // max(k, 1))
    check_op([sa, sb], lambda a, b: a @ b, numpy_fn=np.matmul, dtypes=F, **tol(k, g))
    check_op([sa, sb], lambda a, b: lib(a).matmul(a, b), numpy_fn=np.matmul, run_gradcheck=False, **tol(k, g))
    check_op([sa, sb], lambda a, b: a.matmul(b), numpy_fn=np.matmul, run_gradcheck=False, **tol(k, g))


@pytest.mark.parametrize("sa,sb", [((3, 4), (4, 5)), ((2, 3, 4), (2, 4, 5)), ((5, 4), (4,)), ((6, 7), (7, 3))],
                         ids=ids)
@pytest.mark.parametrize("layout", ["transposed", "strided"])
def test_matmul_noncontiguous(sa, sb, layout):
    check_op([sa, sb], lambda a, b: a @ b, numpy_fn=np.matmul, layouts=[layout], dtypes=F, run_gradcheck=False,
             **tol(sa[-1]))


def test_matmul_expanded_and_sliced_operands():
    a = np.random.default_rng(0).uniform(-1, 1, (1, 5)).astype(np.float32)
    b = np.random.default_rng(1).uniform(-1, 1, (5, 7)).astype(np.float32)
    fa = fasttensor.tensor(a).expand(4, 5)
    assert_close(fa @ fasttensor.tensor(b), np.broadcast_to(a, (4, 5)) @ b)
    fb = fasttensor.tensor(b)[:, ::3]
    assert_close(fasttensor.tensor(a) @ fb, a @ b[:, ::3])
    big = fasttensor.tensor(np.arange(40, dtype=np.float32).reshape(8, 5))[1::2]
    assert_close(big @ fasttensor.tensor(b), np.arange(40, dtype=np.float32).reshape(8, 5)[1::2] @ b, rtol=1e-5)


@pytest.mark.parametrize("m,k,n", [(300, 301, 17), (64, 256, 48), (129, 65, 257), (1, 301, 300), (300, 1, 301),
                                   (33, 1000, 3)], ids=ids)
def test_matmul_large_and_odd(m, k, n):
    check_op([(m, k), (k, n)], operator.matmul, numpy_fn=np.matmul, run_gradcheck=False, **tol(k, max(m, n)))


def test_matmul_large_float64_and_batched():
    check_op([(130, 70), (70, 90)], operator.matmul, numpy_fn=np.matmul, dtypes=["float64"], rtol=1e-12,
             atol=1e-12, run_gradcheck=False)
    check_op([(8, 40, 50), (8, 50, 30)], operator.matmul, numpy_fn=np.matmul, run_gradcheck=False, **tol(50, 40))
    # The second operand's gradient also sums over the 3 broadcast batches.
    check_op([(3, 1, 20, 30), (4, 30, 10)], operator.matmul, numpy_fn=np.matmul, run_gradcheck=False,
             **tol(30, 60))


def test_matmul_integers():
    check_op([(3, 4), (4, 5)], operator.matmul, numpy_fn=np.matmul, dtypes=["int64", "int32"], low=-9, high=9,
             grad=False)
    check_op([(2, 3, 4), (4,)], operator.matmul, numpy_fn=np.matmul, dtypes=["int64"], low=-9, high=9, grad=False)


def test_matmul_mixed_dtypes_follow_torch(torch):
    # torch.matmul needs equal dtypes: a float32 @ float64 raises.
    with pytest.raises(RuntimeError):
        fasttensor.ones(2, 3) @ fasttensor.ones(3, 2, dtype=fasttensor.float64)


@pytest.mark.parametrize("n", [1, 4, 17, 1000, 100_003])
def test_dot(n):
    check_op([(n,), (n,)], lambda a, b: lib(a).dot(a, b), numpy_fn=np.dot, dtypes=F,
             run_gradcheck=n <= 17, **tol(n))
    check_op([(n,), (n,)], lambda a, b: a.dot(b), numpy_fn=np.dot, run_gradcheck=False, **tol(n))


def test_dot_noncontiguous_and_integer():
    x = np.random.default_rng(0).uniform(-1, 1, (7, 7)).astype(np.float32)
    check_op([(7, 7)], lambda x: lib(x).dot(x[:, 1], x[2]), numpy_fn=lambda x: np.dot(x[:, 1], x[2]), values=[x])
    check_op([(5,), (5,)], lambda a, b: lib(a).dot(a, b), numpy_fn=np.dot, dtypes=["int64"], low=-9, high=9,
             grad=False)


@pytest.mark.parametrize("m,n", [(2, 3), (1, 1), (17, 33), (300, 301), (0, 3), (3, 0)], ids=ids)
def test_mv(m, n):
    check_op([(m, n), (n,)], lambda a, v: lib(a).mv(a, v), numpy_fn=np.matmul, dtypes=F,
             run_gradcheck=m * n <= 64, **tol(n, m))
    check_op([(m, n), (n,)], lambda a, v: a.mv(v), numpy_fn=np.matmul, layouts=["transposed"], run_gradcheck=False,
             **tol(n, m))


@pytest.mark.parametrize("m,k,n", [(2, 3, 4), (1, 1, 1), (5, 1, 3), (17, 33, 9), (0, 3, 2), (4, 0, 3)], ids=ids)
def test_mm(m, k, n):
    check_op([(m, k), (k, n)], lambda a, b: lib(a).mm(a, b), numpy_fn=np.matmul, dtypes=F,
             run_gradcheck=m * k + k * n <= 64, **tol(k))
    check_op([(m, k), (k, n)], lambda a, b: a.mm(b), numpy_fn=np.matmul, layouts=["transposed", "strided"],
             run_gradcheck=False, **tol(k))


def test_bmm():
    check_op([(3, 4, 5), (3, 5, 2)], lambda a, b: lib(a).bmm(a, b), numpy_fn=np.matmul, dtypes=F, **tol(5))
    check_op([(3, 4, 5), (3, 5, 2)], lambda a, b: a.bmm(b), numpy_fn=np.matmul, layouts=["transposed"],
             run_gradcheck=False, **tol(5))


def test_d2l_linear_algebra_examples():
    A = fasttensor.arange(6, dtype=fasttensor.float32).reshape(2, 3)
    x = fasttensor.arange(3, dtype=fasttensor.float32)
    y = fasttensor.ones(3, dtype=fasttensor.float32)
    assert fasttensor.dot(x, y).item() == 3.0 and fasttensor.sum(x * y).item() == 3.0 and x.dot(y).item() == 3.0
    assert fasttensor.mv(A, x).tolist() == [5.0, 14.0] and (A @ x).tolist() == [5.0, 14.0]
    B = fasttensor.ones(3, 4)
    assert fasttensor.mm(A, B).tolist() == [[3.0] * 4, [12.0] * 4] and (A @ B).tolist() == [[3.0] * 4, [12.0] * 4]


def test_matmul_result_is_fresh_and_inputs_unchanged():
    a = fasttensor.ones(3, 4)
    b = fasttensor.ones(4, 2)
    c = a @ b
    c.fill_(0)
    assert a.numpy().sum() == 12 and b.numpy().sum() == 8
