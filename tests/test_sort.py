"""sort, argsort and topk (csrc/ops/index.cpp, cpu/sort.cpp, cuda/sort.cu):
stable orders (ties keep their positions, descending too), NaN as the largest
value, every dtype, any dim, 0-d and empty tensors, gradients through the
values, and PyTorch's results and errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

import fasttensor
from helpers import ALL_DTYPES, HAVE_TORCH, check_op, ids, lib, random_array, to_numpy, torch


def stable_order(row, descending):
    """Positions of a 1-D array in stable sorted order, NaN largest (Python's sort is stable, reverse too)."""
    def key(i):
        v = row[i]
        nan = isinstance(v, (float, np.floating)) and math.isnan(v)
        return (nan, 0 if nan else v)

    return sorted(range(len(row)), key=key, reverse=descending)


def ref_sort(x, dim, descending):
    a = np.asarray(x)
    if a.ndim == 0:
        return a.copy(), np.array(0)
    moved = np.moveaxis(a, dim, -1)
    order = np.zeros(moved.shape, np.int64)
    for idx in np.ndindex(moved.shape[:-1]):
        order[idx] = stable_order(list(moved[idx]), descending)
    return np.moveaxis(np.take_along_axis(moved, order, -1), -1, dim), np.moveaxis(order, -1, dim)


def with_ties_and_nans(shape, dtype, seed):
    rng = np.random.default_rng(seed)
    if dtype in ("float32", "float64"):
        a = rng.integers(-3, 4, size=shape).astype(dtype)  # many ties
        if a.size:
            a.reshape(-1)[rng.integers(0, a.size, size=max(1, a.size // 7))] = np.nan
        return a
    return random_array(shape, dtype, rng, -3, 3)


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("shape,dim", [((), 0), ((0,), 0), ((7,), 0), ((4, 9), 1), ((4, 9), 0), ((3, 1, 5), -1),
                                       ((3, 1, 5), 0), ((2, 0, 3), 2)], ids=ids)
@pytest.mark.parametrize("descending", [False, True])
def test_sort_is_stable_with_nan_largest(dtype, shape, dim, descending):
    a = with_ties_and_nans(shape, dtype, 1)
    values, indices = fasttensor.tensor(a).sort(dim, descending)
    ref_values, ref_indices = ref_sort(a, dim, descending)
    np.testing.assert_array_equal(to_numpy(indices), ref_indices)
    np.testing.assert_array_equal(to_numpy(values), ref_values)
    assert indices.dtype == fasttensor.int64 and values.dtype == fasttensor.tensor(a).dtype
    np.testing.assert_array_equal(to_numpy(fasttensor.argsort(fasttensor.tensor(a), dim, descending)), ref_indices)
    if HAVE_TORCH:
        theirs = torch.tensor(a).sort(dim=dim, descending=descending, stable=True)
        np.testing.assert_array_equal(to_numpy(indices), theirs.indices.numpy())
        np.testing.assert_array_equal(to_numpy(values), theirs.values.numpy())


@pytest.mark.parametrize("n", [100_003, 1025])
def test_sort_long_rows_and_many_rows(n):
    a = np.random.default_rng(2).standard_normal(n).astype(np.float32)
    values, indices = fasttensor.tensor(a).sort()
    np.testing.assert_array_equal(to_numpy(indices), np.argsort(a, kind="stable"))
    np.testing.assert_array_equal(to_numpy(values), np.sort(a))
    b = np.random.default_rng(3).integers(0, 5, size=(5000, 3)).astype(np.int64)
    np.testing.assert_array_equal(to_numpy(fasttensor.tensor(b).argsort(1)), np.argsort(b, 1, kind="stable"))


def test_sort_gradient_and_names():
    check_op([(3, 5)], lambda x: x.sort(1).values, numpy_fn=lambda x: np.sort(x, 1), dtypes=("float32", "float64"))
    check_op([(3, 5)], lambda x: lib(x).sort(x, 0, descending=True).values, numpy_fn=lambda x: -np.sort(-x, 0),
             layouts=["transposed", "strided"], run_gradcheck=False)
    x = fasttensor.tensor([[2.0, 1.0]], requires_grad=True)
    assert x.sort().values.grad_fn.name() == "SortBackward0" and x.topk(1).values.grad_fn.name() == "TopkBackward0"
    r = fasttensor.tensor([3, 1, 2]).sort()
    assert type(r) is fasttensor.return_types.sort
    assert repr(r) == ("fasttensor.return_types.sort(\nvalues=tensor([1, 2, 3]),\nindices=tensor([1, 2, 0]))")


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_sort_values_of_a_transposed_input_keep_its_layout_and_gradient(dim):
    a = np.array([[3.0, -1.0, 2.0, 2.0], [0.5, 7.0, -4.0, 1.0], [2.0, 2.0, 9.0, -3.0]])  # ties: stable order
    x = fasttensor.tensor(a, dtype=fasttensor.float64, requires_grad=True)
    values = x.t().sort(dim, descending=True).values
    assert values.stride() == x.t().stride() and values.grad_fn.name() == "SortBackward0"
    weight = np.arange(12.0).reshape(4, 3) - 5
    (values * fasttensor.tensor(weight)).sum().backward()
    # The gradient reaches each element of a.T where sorting put it.
    order = np.stack([stable_order(col, True) for col in np.moveaxis(a.T, dim, -1).reshape(-1, a.T.shape[dim])])
    want = np.zeros_like(np.moveaxis(a.T, dim, -1).reshape(order.shape))
    w = np.moveaxis(weight, dim, -1).reshape(order.shape)
    for r in range(order.shape[0]):
        want[r, order[r]] = w[r]
    want = np.moveaxis(want.reshape(np.moveaxis(a.T, dim, -1).shape), -1, dim).T
    np.testing.assert_array_equal(x.grad.numpy(), want)
    np.testing.assert_array_equal(values.detach().numpy(), -np.sort(-a.T, axis=dim, kind="stable"))


@pytest.mark.parametrize("k,dim,largest", [(2, 1, True), (1, 0, False), (5, -1, True), (0, 1, True), (3, 0, False)],
                         ids=ids)
def test_topk(k, dim, largest):
    def ref(x):
        order = np.argsort(-x if largest else x, axis=dim, kind="stable")
        idx = np.take(order, range(k), axis=dim)
        return np.take_along_axis(x, idx, dim), idx

    check_op([(3, 5)], lambda x: tuple(x.topk(k, dim, largest)), numpy_fn=ref, dtypes=("float32", "float64"))
    check_op([(3, 5)], lambda x: tuple(lib(x).topk(x, k, dim=dim, largest=largest)), numpy_fn=ref,
             dtypes=("int64",), grad=False, low=-50, high=50, layouts=["transposed"])


def test_topk_0d_and_errors():
    r = fasttensor.tensor(5.0).topk(1)
    assert r.values.item() == 5.0 and r.indices.item() == 0 and type(r) is fasttensor.return_types.topk
    for k in (4, -1):
        with pytest.raises(RuntimeError, match="selected index k out of range"):
            fasttensor.ones(3).topk(k)
    with pytest.raises(IndexError, match="Dimension out of range"):
        fasttensor.ones(3).sort(2)


def test_topk_partial_sort_equals_the_stable_sort_prefix():
    # topk sorts only its first k; with ties and NaNs it must give exactly the first k of the stable sort.
    rng = np.random.default_rng(9)
    for trial in range(60):
        n = int(rng.integers(1, 40))
        k = int(rng.integers(0, n + 1))
        a = rng.integers(-3, 3, (3, n)).astype(np.float32)
        if trial % 3 == 0:
            a[0, ::3] = np.nan
        for largest in (True, False):
            values, indices = fasttensor.tensor(a).topk(k, 1, largest)
            full_values, full_indices = fasttensor.tensor(a).sort(1, descending=largest, stable=True)
            np.testing.assert_array_equal(indices.numpy(), full_indices.numpy()[:, :k])
            np.testing.assert_array_equal(values.numpy(), full_values.numpy()[:, :k])
            order = np.argsort(-a if largest else a, axis=1, kind="stable")  # NumPy: NaN last either way
            if not np.isnan(a).any():
                np.testing.assert_array_equal(indices.numpy(), order[:, :k])
