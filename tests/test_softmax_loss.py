"""softmax / log_softmax (csrc/ops/softmax.cpp) and the fused losses
(csrc/ops/loss.cpp: cross-entropy, MSE), plus the from-scratch forms of
d2l chapter 4 built from elementwise ops and indexing."""

from __future__ import annotations

import numpy as np
import pytest

import fasttensor
from helpers import check_op, ids, lib

F = ("float32", "float64")


def np_softmax(x, dim):
    e = np.exp(x - np.max(x, axis=dim, keepdims=True))
    return e / np.sum(e, axis=dim, keepdims=True)


def np_log_softmax(x, dim):
    m = np.max(x, axis=dim, keepdims=True)
    return x - m - np.log(np.sum(np.exp(x - m), axis=dim, keepdims=True))


@pytest.mark.parametrize("shape,dim", [((4, 7), 1), ((4, 7), 0), ((4, 7), -1), ((2, 3, 5), 1), ((2, 3, 5), -1),
                                       ((5,), 0), ((3, 1), 1), ((1, 6), 0), ((), 0)], ids=ids)
def test_softmax_log_softmax(shape, dim):
    check_op([shape], lambda x: x.softmax(dim), numpy_fn=lambda x: np_softmax(x, dim), dtypes=F, low=-4, high=4)
    check_op([shape], lambda x: lib(x).softmax(x, dim=dim), numpy_fn=lambda x: np_softmax(x, dim), low=-4, high=4)
    check_op([shape], lambda x: x.log_softmax(dim), numpy_fn=lambda x: np_log_softmax(x, dim), dtypes=F, low=-4,
             high=4)
    check_op([shape], lambda x: lib(x).log_softmax(x, dim), numpy_fn=lambda x: np_log_softmax(x, dim), low=-4,
             high=4)


@pytest.mark.parametrize("layout", ["transposed", "strided"])
@pytest.mark.parametrize("dim", [0, 1])
def test_softmax_noncontiguous(layout, dim):
    check_op([(5, 9)], lambda x: x.softmax(dim), numpy_fn=lambda x: np_softmax(x, dim), layouts=[layout],
             run_gradcheck=False)
    check_op([(5, 9)], lambda x: x.log_softmax(dim), numpy_fn=lambda x: np_log_softmax(x, dim), layouts=[layout],
             run_gradcheck=False)


@pytest.mark.parametrize("shape,dim", [((300, 301), 1), ((300, 301), 0), ((7, 1031), 1), ((100_003,), 0),
                                       ((256, 10), 1), ((3, 17), 1), ((3, 33), 1),
                                       # many short rows: several row blocks per thread's chunk, the last partial
                                       ((20_000, 3), 1), ((1500, 7), 1)], ids=ids)
def test_softmax_sizes(shape, dim):
    # Gradients of softmax over n entries sum n products: float32 rounding grows with n.
    big = dict(rtol=1e-5, atol=1e-6, grad_atol=1e-6 * max(1, shape[dim] // 100), run_gradcheck=False)
    check_op([shape], lambda x: x.softmax(dim), numpy_fn=lambda x: np_softmax(x, dim), low=-5, high=5, **big)
    check_op([shape], lambda x: x.log_softmax(dim), numpy_fn=lambda x: np_log_softmax(x, dim), low=-5, high=5,
             rtol=1e-5, atol=1e-5, grad_atol=1e-5, run_gradcheck=False)


def test_softmax_is_stable_for_large_and_infinite_inputs():
    vals = np.array([[1000.0, 1001.0, 1002.0], [-1000.0, -1001.0, -1000.5], [0.0, -np.inf, 1.0],
                     [88.0, 89.0, -89.0]], np.float32)
    check_op([(4, 3)], lambda x: x.softmax(1), numpy_fn=lambda x: np_softmax(x, 1), values=[vals], dtypes=F,
             grad=False)
    with np.errstate(all="ignore"):
        check_op([(4, 3)], lambda x: x.log_softmax(1), numpy_fn=lambda x: np_log_softmax(x, 1), values=[vals],
                 dtypes=F, grad=False)
    rows_sum = fasttensor.tensor(vals).softmax(1).sum(1)
    np.testing.assert_allclose(rows_sum.numpy(), np.ones(4), rtol=1e-6)


def test_softmax_dtype_argument_and_empty():
    check_op([(3, 4)], lambda x: x.softmax(1, dtype=lib(x).float64), numpy_fn=lambda x: np_softmax(x, 1))
    check_op([(3, 4)], lambda x: lib(x).log_softmax(x, 1, dtype=lib(x).float64),
             numpy_fn=lambda x: np_log_softmax(x, 1))
    check_op([(0, 4)], lambda x: x.softmax(1), numpy_fn=lambda x: x, grad=False)
    check_op([(3, 0)], lambda x: x.log_softmax(1), numpy_fn=lambda x: x, grad=False)


def test_softmax_from_scratch_d2l():
    # d2l 4.4.1: X_exp / X_exp.sum(1, keepdims=True).
    def softmax(X):
        X_exp = X.exp()
        partition = X_exp.sum(1, keepdims=True)
        return X_exp / partition

    check_op([(2, 5)], softmax, numpy_fn=lambda x: np_softmax(x, 1), dtypes=F)
    X = fasttensor.rand((2, 5))
    prob = softmax(X)
    np.testing.assert_allclose(prob.sum(1).numpy(), [1.0, 1.0], rtol=1e-6)


def test_cross_entropy_from_scratch_d2l():
    # d2l 4.4.2: -log(y_hat[list(range(len(y_hat))), y]).mean()
    y_hat = np.array([[0.1, 0.3, 0.6], [0.3, 0.2, 0.5]], np.float32)

    def cross_entropy(y_hat, y):
        return -lib(y_hat).log(y_hat[list(range(len(y_hat))), y]).mean()

    def fn(y_hat):
        y = lib(y_hat).tensor([0, 2])
        return cross_entropy(y_hat, y)

    check_op([(2, 3)], fn, numpy_fn=lambda p: -np.log(p[[0, 1], [0, 2]]).mean(), values=[y_hat], dtypes=F)
    y = fasttensor.tensor([0, 2])
    assert abs(cross_entropy(fasttensor.tensor(y_hat), y).item() - 1.4979) < 1e-4


# --- fused losses ---------------------------------------------------------------------------------

def _ce(x, target, reduction):
    if lib(x) is fasttensor:
        return fasttensor._C._cross_entropy(x, target, reduction)
    import torch

    return torch.nn.functional.cross_entropy(x, target, reduction=reduction)


def _mse(x, target, reduction):
    if lib(x) is fasttensor:
        return fasttensor._C._mse_loss(x, target, reduction)
    import torch

    return torch.nn.functional.mse_loss(x, target, reduction=reduction)


def np_ce(x, t, reduction):
    losses = -np_log_softmax(x, -1)[np.arange(len(t)), t] if x.ndim == 2 else -np_log_softmax(x, 0)[t]
    if reduction == "none":
        return losses
    return np.mean(losses) if reduction == "mean" else np.sum(losses)


@pytest.mark.parametrize("n,c", [(4, 3), (1, 10), (7, 1), (256, 10), (300, 301), (0, 5), (20_000, 3)], ids=ids)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy(n, c, reduction):
    target = np.random.default_rng(n * 1000 + c).integers(0, c, size=n)

    def fn(x):
        return _ce(x, lib(x).tensor(target, dtype=lib(x).int64), reduction)

    if n == 0 and reduction == "mean":
        with np.errstate(all="ignore"):
            check_op([(n, c)], fn, numpy_fn=lambda x: np_ce(x, target, reduction), grad=False)
        return
    small = n * c <= 24
    check_op([(n, c)], fn, numpy_fn=lambda x: np_ce(x, target, reduction), dtypes=F if small else ("float32",),
             low=-5, high=5, rtol=1e-5, atol=1e-5, grad_atol=1e-6, run_gradcheck=small)


def test_cross_entropy_unbatched_and_extreme_logits():
    check_op([(5,)], lambda x: _ce(x, lib(x).tensor(3), "mean"), numpy_fn=lambda x: np_ce(x, np.array(3), "mean"),
             dtypes=F)
    # Logits far from 0: (x - max) - log Σ exp(x - max) keeps float32 accuracy;
    # x - (max + log Σ ...) loses it to the rounding of the large sum.
    vals = np.array([[1000.0, 0.0, -1000.0], [-50.0, 50.0, 0.0], [1000.0, 1001.0, 1002.0],
                     [-1000.0, -1001.0, -1000.5]], np.float32)
    check_op([(4, 3)], lambda x: _ce(x, lib(x).tensor([2, 0, 0, 1]), "none"),
             numpy_fn=lambda x: np_ce(x, np.array([2, 0, 0, 1]), "none"), values=[vals], run_gradcheck=False)


def test_cross_entropy_noncontiguous_logits():
    target = np.array([0, 2, 1, 1])
    check_op([(4, 3)], lambda x: _ce(x, lib(x).tensor(target), "mean"), numpy_fn=lambda x: np_ce(x, target, "mean"),
             layouts=["transposed", "strided"], run_gradcheck=False)


def test_cross_entropy_bad_targets_raise():
    x = fasttensor.zeros(2, 3)
    with pytest.raises(IndexError):
        fasttensor._C._cross_entropy(x, fasttensor.tensor([0, 3]), "mean")
    with pytest.raises(IndexError):
        fasttensor._C._cross_entropy(x, fasttensor.tensor([-1, 0]), "mean")
    with pytest.raises(ValueError):
        fasttensor._C._cross_entropy(x, fasttensor.tensor([0, 1, 2]), "mean")
    with pytest.raises(RuntimeError):
        fasttensor._C._cross_entropy(x, fasttensor.tensor([0, 1], dtype=fasttensor.int32), "mean")
    with pytest.raises(ValueError):
        fasttensor._C._cross_entropy(x, fasttensor.tensor([0, 1]), "avg")


@pytest.mark.parametrize("shapes", [[(4, 3), (4, 3)], [(5,), (5,)], [(3, 1), (3, 1)], [(), ()]], ids=ids)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse_loss(shapes, reduction):
    def ref(x, t):
        d = (x - t) ** 2
        return {"none": d, "mean": np.mean(d), "sum": np.sum(d)}[reduction]

    check_op(shapes, lambda x, t: _mse(x, t, reduction), numpy_fn=ref, dtypes=F, atol=1e-5)
