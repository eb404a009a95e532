"""The composites of python/fasttensor/_functional.py added for PyTorch parity:
logsumexp, joins (hstack, vstack, column_stack), tile, repeat_interleave,
masked_select, dim moves, diagonal, NaN-aware reductions, clamp_min/max,
atan2, cumprod, nonzero/argwhere/where(cond), nan_to_num, unflatten,
tensor_split, logspace, randint_like, finfo/iinfo — values, shapes and dtypes
against NumPy and torch, on empty, size-1, 0-d and non-contiguous inputs;
gradients against torch's and by gradcheck; PyTorch's errors."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

import fasttensor
from helpers import HAVE_TORCH, TORCH_IS_REFERENCE, assert_close, check_op, lib, to_numpy

if HAVE_TORCH:
    import torch

F = ("float32", "float64")
LAYOUTS = ("contiguous", "transposed", "strided")
NAN, INF = math.nan, math.inf


def _lse(a, axis, keepdims=False):
    m = np.max(a, axis=axis, keepdims=True)
    out = np.log(np.exp(a - m).sum(axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


def _with_nans(x):
    """x with NaN where x > 1 (the same places in either library)."""
    return lib(x).where(x > 1.0, NAN, x)


def _np_with_nans(a):
    return np.where(a > 1.0, np.nan, a)


def _tensor_split_ref(a, split, axis=0):
    return np.array_split(a, split, axis=axis)


# name, shapes, fn (either library), NumPy reference, check_op keywords.
# Each runs in float32 and float64 on contiguous, transposed and strided inputs,
# and compares the gradient with torch's (and runs gradcheck) unless grad=False.
CASES = [
    # logsumexp
    ("logsumexp", [(3, 4)], lambda x: lib(x).logsumexp(x, 1), lambda a: _lse(a, 1), {}),
    ("logsumexp_neg_keepdim", [(2, 3, 4)], lambda x: x.logsumexp(-1, keepdim=True), lambda a: _lse(a, -1, True), {}),
    ("logsumexp_tuple", [(2, 3, 4)], lambda x: lib(x).logsumexp(x, (0, 2)), lambda a: _lse(a, (0, 2)), {}),
    ("logsumexp_dim0", [(5, 3)], lambda x: x.logsumexp(0), lambda a: _lse(a, 0), {}),
    ("logsumexp_size1", [(1, 4)], lambda x: x.logsumexp(0), lambda a: _lse(a, 0), {}),
    ("logsumexp_0d", [()], lambda x: lib(x).logsumexp(x, 0), lambda a: a, {}),
    ("logsumexp_empty_rows", [(0, 3)], lambda x: x.logsumexp(1), lambda a: np.zeros((0,)), {}),
    # Large magnitudes: test_logsumexp_is_stable_and_its_gradient_is_softmax (float64, against
    # the exact softmax; torch's float32 backward, exp(x - result), loses digits there).
    # clone, broadcast_to
    ("clone_fn", [(3, 4)], lambda x: lib(x).clone(x), lambda a: a, {}),
    ("broadcast_to", [(3, 1)], lambda x: lib(x).broadcast_to(x, (2, 3, 5)),
     lambda a: np.broadcast_to(a, (2, 3, 5)), {}),
    ("broadcast_to_method_varargs", [(3, 1)], lambda x: x.broadcast_to(2, 3, 4),
     lambda a: np.broadcast_to(a, (2, 3, 4)), {}),
    ("broadcast_to_neg1", [(3, 1)], lambda x: x.broadcast_to((-1, 4)), lambda a: np.broadcast_to(a, (3, 4)), {}),
    ("broadcast_to_0d", [()], lambda x: lib(x).broadcast_to(x, (2, 2)), lambda a: np.broadcast_to(a, (2, 2)), {}),
    # joins
    ("hstack_1d", [(3,), (2,)], lambda a, b: lib(a).hstack([a, b]), lambda a, b: np.hstack([a, b]), {}),
    ("hstack_2d", [(2, 3), (2, 1)], lambda a, b: lib(a).hstack((a, b)), lambda a, b: np.hstack([a, b]), {}),
    ("hstack_0d", [(), (2,)], lambda a, b: lib(a).hstack([a, b]), lambda a, b: np.hstack([a, b]), {}),
    ("hstack_3d", [(2, 3, 4), (2, 1, 4)], lambda a, b: lib(a).hstack([a, b]), lambda a, b: np.hstack([a, b]), {}),
    ("vstack_1d", [(3,), (3,)], lambda a, b: lib(a).vstack([a, b]), lambda a, b: np.vstack([a, b]), {}),
    ("vstack_2d", [(2, 3), (1, 3)], lambda a, b: lib(a).vstack([a, b]), lambda a, b: np.vstack([a, b]), {}),
    ("vstack_0d", [(), ()], lambda a, b: lib(a).vstack([a, b]), lambda a, b: np.vstack([a, b]), {}),
    ("vstack_3d", [(2, 3, 4), (1, 3, 4)], lambda a, b: lib(a).vstack([a, b]), lambda a, b: np.vstack([a, b]), {}),
    ("column_stack", [(2,), (2, 3)], lambda a, b: lib(a).column_stack([a, b]),
     lambda a, b: np.column_stack([a, b]), {}),
    ("column_stack_0d", [(), ()], lambda a, b: lib(a).column_stack([a, b]), lambda a, b: np.column_stack([a, b]), {}),
    ("column_stack_3d", [(2, 3, 4), (2, 1, 4)], lambda a, b: lib(a).column_stack([a, b]),
     lambda a, b: np.concatenate([a, b], 1), {}),
    # tile, repeat_interleave
    ("tile_1d", [(3,)], lambda x: lib(x).tile(x, (2,)), lambda a: np.tile(a, (2,)), {}),
    ("tile_short_dims", [(2, 3)], lambda x: lib(x).tile(x, (2,)), lambda a: np.tile(a, (2,)), {}),
    ("tile_long_dims", [(2, 3)], lambda x: lib(x).tile(x, (2, 1, 3)), lambda a: np.tile(a, (2, 1, 3)), {}),
    ("tile_empty_dims", [(2, 3)], lambda x: lib(x).tile(x, ()), lambda a: a, {}),
    ("tile_0d", [()], lambda x: lib(x).tile(x, (3,)), lambda a: np.tile(a, 3), {}),
    ("tile_method_varargs", [(2, 3)], lambda x: x.tile(2, 1), lambda a: np.tile(a, (2, 1)), {}),
    ("tile_zero", [(2, 3)], lambda x: x.tile(0, 2), lambda a: np.tile(a, (0, 2)), {}),
    ("repeat_interleave_flat", [(3, 4)], lambda x: lib(x).repeat_interleave(x, 2), lambda a: np.repeat(a, 2), {}),
    ("repeat_interleave_dim", [(3, 4)], lambda x: x.repeat_interleave(3, dim=-1), lambda a: np.repeat(a, 3, -1), {}),
    ("repeat_interleave_zero", [(3, 4)], lambda x: x.repeat_interleave(0, 0), lambda a: np.repeat(a, 0, 0), {}),
    ("repeat_interleave_tensor", [(3, 4)], lambda x: x.repeat_interleave(lib(x).tensor([1, 0, 2]), dim=0),
     lambda a: np.repeat(a, [1, 0, 2], 0), {}),
    ("repeat_interleave_tensor_int32", [(3, 4)],
     lambda x: x.repeat_interleave(lib(x).tensor([2, 1, 1, 3], dtype=lib(x).int32), dim=1),
     lambda a: np.repeat(a, [2, 1, 1, 3], 1), {}),
    ("repeat_interleave_one_element_tensor", [(3, 4)], lambda x: x.repeat_interleave(lib(x).tensor([2]), dim=0),
     lambda a: np.repeat(a, 2, 0), {}),
    ("repeat_interleave_flat_tensor", [(2, 2)], lambda x: x.repeat_interleave(lib(x).tensor([1, 2, 0, 3])),
     lambda a: np.repeat(a.reshape(-1), [1, 2, 0, 3]), {}),
    ("repeat_interleave_0d", [()], lambda x: lib(x).repeat_interleave(x, 3), lambda a: np.repeat(a, 3), {}),
    ("repeat_interleave_empty", [(2, 0)], lambda x: x.repeat_interleave(2, dim=1), lambda a: np.repeat(a, 2, 1), {}),
    # masked_select
    ("masked_select", [(3, 4)], lambda x: lib(x).masked_select(x, x > 0), lambda a: a[a > 0], {}),
    ("masked_select_broadcast_mask", [(3, 4)],
     lambda x: x.masked_select(lib(x).tensor([True, False, True, True])), lambda a: a[:, [0, 2, 3]].reshape(-1), {}),
    ("masked_select_broadcast_input", [(4,)],
     lambda x: x.masked_select(lib(x).tensor([[True], [False], [True]])), lambda a: np.concatenate([a, a]), {}),
    ("masked_select_0d", [()], lambda x: lib(x).masked_select(x, lib(x).tensor([True, False, True])),
     lambda a: np.array([a, a]), {}),
    ("masked_select_none", [(2, 3)], lambda x: x.masked_select(x > 100), lambda a: a[a > 100], {}),
    # moving dims
    ("swapaxes_fn", [(2, 3, 4)], lambda x: lib(x).swapaxes(x, 0, -1), lambda a: np.swapaxes(a, 0, -1), {}),
    ("swapdims_fn", [(2, 3, 4)], lambda x: lib(x).swapdims(x, 1, 2), lambda a: np.swapaxes(a, 1, 2), {}),
    ("swapdims_method", [(2, 3)], lambda x: x.swapdims(-1, 0), lambda a: a.T, {}),
    ("movedim", [(2, 3, 4)], lambda x: lib(x).movedim(x, 0, -1), lambda a: np.moveaxis(a, 0, -1), {}),
    ("movedim_tuple", [(2, 3, 4, 5)], lambda x: x.movedim((0, 3), (2, 0)),
     lambda a: np.moveaxis(a, (0, 3), (2, 0)), {}),
    ("moveaxis", [(2, 3, 4)], lambda x: lib(x).moveaxis(x, (-1, 0), (0, 1)),
     lambda a: np.moveaxis(a, (-1, 0), (0, 1)), {}),
    ("moveaxis_method", [(2, 3)], lambda x: x.moveaxis(1, 0), lambda a: a.T, {}),
    ("movedim_0d", [()], lambda x: x.movedim(0, -1), lambda a: a, {}),
    ("ravel", [(3, 4)], lambda x: lib(x).ravel(x), lambda a: a.ravel(), {}),
    ("ravel_method_0d", [()], lambda x: x.ravel(), lambda a: a.reshape(1), {}),
    # diagonal
    ("diagonal", [(3, 4)], lambda x: lib(x).diagonal(x), lambda a: np.diagonal(a), {}),
    ("diagonal_offset", [(3, 4)], lambda x: x.diagonal(1), lambda a: np.diagonal(a, 1), {}),
    ("diagonal_offset_neg", [(4, 3)], lambda x: x.diagonal(-2), lambda a: np.diagonal(a, -2), {}),
    ("diagonal_offset_past_end", [(3, 4)], lambda x: x.diagonal(5), lambda a: np.diagonal(a, 5), {}),
    ("diagonal_one_entry", [(3, 4)], lambda x: x.diagonal(3), lambda a: np.diagonal(a, 3), {}),
    ("diagonal_swapped_dims", [(3, 4)], lambda x: x.diagonal(1, 1, 0), lambda a: np.diagonal(a, 1, 1, 0), {}),
    ("diagonal_3d", [(2, 3, 4)], lambda x: lib(x).diagonal(x, 1, -1, 0), lambda a: np.diagonal(a, 1, -1, 0), {}),
    ("diagonal_3d_last", [(2, 3, 4)], lambda x: x.diagonal(0, 1, 2), lambda a: np.diagonal(a, 0, 1, 2), {}),
    ("diagonal_empty", [(0, 3)], lambda x: x.diagonal(), lambda a: np.diagonal(a), {}),
    # NaN-aware reductions
    ("nansum", [(3, 4)], lambda x: lib(x).nansum(_with_nans(x)), lambda a: np.nansum(_np_with_nans(a)), {}),
    ("nansum_dim", [(3, 4)], lambda x: _with_nans(x).nansum(-1, keepdim=True),
     lambda a: np.nansum(_np_with_nans(a), -1, keepdims=True), {}),
    ("nansum_tuple_dtype", [(2, 3, 4)], lambda x: lib(x).nansum(_with_nans(x), (0, 2), dtype=lib(x).float64),
     lambda a: np.nansum(_np_with_nans(a), (0, 2)), {}),
    ("nansum_empty", [(0, 3)], lambda x: x.nansum(0), lambda a: np.nansum(a, 0), {}),
    ("nanmean", [(3, 4)], lambda x: lib(x).nanmean(_with_nans(x)), lambda a: np.nanmean(_np_with_nans(a)), {}),
    ("nanmean_dim", [(4, 5)], lambda x: _with_nans(x).nanmean(0),
     lambda a: np.nanmean(_np_with_nans(a), 0), {"low": -3.0, "high": 1.2}),
    ("nanmean_0d", [()], lambda x: x.nanmean(), lambda a: a, {}),
    # clamp_min / clamp_max
    ("clamp_min", [(3, 4)], lambda x: lib(x).clamp_min(x, 0.5), lambda a: np.maximum(a, 0.5), {}),
    ("clamp_max_method", [(3, 4)], lambda x: x.clamp_max(-0.25), lambda a: np.minimum(a, -0.25), {}),
    ("clamp_min_tensor", [(3, 4), (4,)], lambda x, m: x.clamp_min(m), lambda a, m: np.maximum(a, m), {}),
    ("clamp_max_tensor", [(3, 4), (3, 1)], lambda x, m: lib(x).clamp_max(x, m), lambda a, m: np.minimum(a, m), {}),
    ("clamp_min_0d", [()], lambda x: x.clamp_min(0.0), lambda a: np.maximum(a, 0.0), {}),
    # atan2
    ("atan2", [(3, 4), (3, 4)], lambda y, x: lib(y).atan2(y, x), np.arctan2, {"rtol": 3e-7}),
    ("atan2_broadcast", [(3, 4), (4,)], lambda y, x: y.atan2(x), np.arctan2, {"rtol": 3e-7}),
    ("arctan2", [(2, 3), (2, 1)], lambda y, x: lib(y).arctan2(y, x), np.arctan2, {"rtol": 3e-7}),
    ("arctan2_method_0d", [(), (3,)], lambda y, x: y.arctan2(x), np.arctan2, {"rtol": 3e-7}),
    ("atan2_empty", [(0, 3), (3,)], lambda y, x: y.atan2(x), np.arctan2, {}),
    # cumprod
    ("cumprod", [(3, 4)], lambda x: lib(x).cumprod(x, 1), lambda a: np.cumprod(a, 1), {"rtol": 1e-6}),
    ("cumprod_dim0_method", [(5, 3)], lambda x: x.cumprod(0), lambda a: np.cumprod(a, 0), {"rtol": 1e-6}),
    ("cumprod_neg_dim", [(2, 3, 4)], lambda x: x.cumprod(dim=-1), lambda a: np.cumprod(a, -1), {"rtol": 1e-6}),
    ("cumprod_0d", [()], lambda x: lib(x).cumprod(x, 0), lambda a: a, {}),
    ("cumprod_size1", [(1, 3)], lambda x: x.cumprod(0), lambda a: a, {}),
    ("cumprod_empty", [(0, 3)], lambda x: x.cumprod(0), lambda a: a, {}),
    ("cumprod_zeros", [(2, 5)], lambda x: x.cumprod(1), lambda a: np.cumprod(a, 1),
     {"values": [[[2.0, 0.0, 3.0, 0.5, -1.0], [0.0, 1.5, 0.0, 2.0, 3.0]]]}),
    # nan_to_num, type_as
    ("nan_to_num", [(3, 4)], lambda x: lib(x).nan_to_num(_with_nans(x), nan=0.5),
     lambda a: np.where(a > 1, 0.5, a), {}),
    ("type_as", [(3, 4)], lambda x: x.type_as(lib(x).zeros(1, dtype=lib(x).float64)), lambda a: a, {}),
    # unflatten, tensor_split
    ("unflatten", [(3, 4)], lambda x: lib(x).unflatten(x, 1, (2, -1)), lambda a: a.reshape(3, 2, 2), {}),
    ("unflatten_neg_dim", [(3, 4)], lambda x: x.unflatten(-1, (2, 2)), lambda a: a.reshape(3, 2, 2), {}),
    ("unflatten_first", [(6, 2)], lambda x: x.unflatten(0, [-1, 3, 1]), lambda a: a.reshape(2, 3, 1, 2), {}),
    ("unflatten_empty", [(3, 0)], lambda x: x.unflatten(1, (2, -1)), lambda a: a.reshape(3, 2, 0), {}),
    ("tensor_split_sections", [(7,)], lambda x: lib(x).tensor_split(x, 3), lambda a: _tensor_split_ref(a, 3), {}),
    ("tensor_split_more_sections", [(2,)], lambda x: x.tensor_split(4), lambda a: _tensor_split_ref(a, 4), {}),
    ("tensor_split_indices", [(7,)], lambda x: lib(x).tensor_split(x, [1, 5, 9]),
     lambda a: _tensor_split_ref(a, [1, 5, 9]), {}),
    ("tensor_split_unordered", [(7,)], lambda x: x.tensor_split([5, 2]), lambda a: _tensor_split_ref(a, [5, 2]), {}),
    ("tensor_split_negative", [(7,)], lambda x: x.tensor_split([-2]), lambda a: _tensor_split_ref(a, [-2]), {}),
    ("tensor_split_dim", [(3, 7)], lambda x: x.tensor_split(2, dim=-1), lambda a: _tensor_split_ref(a, 2, 1), {}),
    ("tensor_split_tensor_sections", [(3, 5)], lambda x: x.tensor_split(lib(x).tensor(2), 1),
     lambda a: _tensor_split_ref(a, 2, 1), {}),
    ("tensor_split_tensor_indices", [(5, 3)], lambda x: lib(x).tensor_split(x, lib(x).tensor([1, 3])),
     lambda a: _tensor_split_ref(a, [1, 3]), {}),
    ("tensor_split_keyword", [(6,)], lambda x: lib(x).tensor_split(x, indices=[2]), lambda a: np.split(a, [2]), {}),
]


@pytest.mark.parametrize("name,shapes,fn,ref,kw", CASES, ids=[c[0] for c in CASES])
def test_values_and_gradients(name, shapes, fn, ref, kw):
    check_op(shapes, fn, numpy_fn=ref, dtypes=F, layouts=LAYOUTS, **kw)


# Ops on integer and bool inputs (no gradient): name, shapes, fn, NumPy reference.
INT_CASES = [
    ("logsumexp_int", [(3, 4)], lambda x: x.logsumexp(1), lambda a: _lse(a.astype(np.float64), 1)),
    ("count_nonzero", [(3, 4)], lambda x: lib(x).count_nonzero(x), np.count_nonzero),
    ("count_nonzero_dim", [(3, 4)], lambda x: x.count_nonzero(-1), lambda a: np.count_nonzero(a, -1)),
    ("count_nonzero_tuple", [(2, 3, 4)], lambda x: lib(x).count_nonzero(x, dim=(0, 2)),
     lambda a: np.count_nonzero(a, (0, 2))),
    ("count_nonzero_0d", [()], lambda x: lib(x).count_nonzero(x, 0), np.count_nonzero),
    ("count_nonzero_empty", [(0, 2)], lambda x: x.count_nonzero(0), lambda a: np.count_nonzero(a, 0)),
    ("nansum_int", [(3, 4)], lambda x: lib(x).nansum(x, 0), lambda a: a.sum(0)),
    ("clamp_min_int", [(3, 4)], lambda x: x.clamp_min(1), lambda a: np.maximum(a, 1)),
    ("clamp_max_int_float_bound", [(3, 4)], lambda x: lib(x).clamp_max(x, 0.5), lambda a: np.minimum(a, 0.5)),
    ("atan2_int", [(3, 4), (3, 4)], lambda y, x: lib(y).atan2(y, x),
     lambda b, a: np.arctan2(b.astype(np.float64), a.astype(np.float64))),
    ("cumprod_int", [(3, 4)], lambda x: x.cumprod(1), lambda a: np.cumprod(a.astype(np.int64), 1)),
    ("cumprod_dtype", [(3, 4)], lambda x: x.cumprod(0, dtype=lib(x).float64), lambda a: np.cumprod(a, 0)),
    ("nonzero", [(3, 4)], lambda x: lib(x).nonzero(x), np.argwhere),
    ("nonzero_method_as_tuple", [(3, 4)], lambda x: x.nonzero(as_tuple=True), np.nonzero),
    ("nonzero_empty_as_tuple", [(0, 3)], lambda x: lib(x).nonzero(x, as_tuple=True), np.nonzero),
    ("argwhere", [(2, 3, 2)], lambda x: lib(x).argwhere(x), np.argwhere),
    ("argwhere_method_0d", [()], lambda x: x.argwhere(), np.argwhere),
    ("where_one_argument", [(3, 4)], lambda x: lib(x).where(x), np.nonzero),
    ("where_one_argument_0d", [()], lambda x: lib(x).where(x), lambda a: np.nonzero(a.reshape(1))),
    ("repeat_interleave_int", [(2, 3)], lambda x: x.repeat_interleave(2, 1), lambda a: np.repeat(a, 2, 1)),
    ("masked_select_int", [(3, 4)], lambda x: x.masked_select(x > 0), lambda a: a[a > 0]),
    ("diagonal_int", [(3, 4)], lambda x: x.diagonal(-1), lambda a: np.diagonal(a, -1)),
    ("nan_to_num_int", [(3, 4)], lambda x: x.nan_to_num(), lambda a: a),
    ("type_as_int", [(3, 4)], lambda x: x.type_as(lib(x).zeros(1)), lambda a: a.astype(np.float32)),
    ("tile_int", [(2,)], lambda x: x.tile(3), lambda a: np.tile(a, 3)),
]


@pytest.mark.parametrize("name,shapes,fn,ref", INT_CASES, ids=[c[0] for c in INT_CASES])
def test_integer_and_bool_inputs(name, shapes, fn, ref):
    dtypes = ("int64", "int32", "uint8") if "atan2" in name or "cumprod" in name else ("bool", "uint8", "int32",
                                                                                        "int64")
    check_op(shapes, fn, numpy_fn=ref, dtypes=dtypes, grad=False, layouts=LAYOUTS, low=-3, high=3)


# --- logsumexp ------------------------------------------------------------------------


def test_logsumexp_infinite_rows_and_empty_reductions():
    x = fasttensor.tensor([[-INF, -INF], [INF, 1.0], [-INF, 2.0], [NAN, 1.0]])
    np.testing.assert_array_equal(x.logsumexp(1).numpy(), [-INF, INF, 2.0, NAN])
    np.testing.assert_array_equal(fasttensor.logsumexp(fasttensor.zeros(0, 3), 0).numpy(), [-INF] * 3)
    assert fasttensor.logsumexp(fasttensor.zeros(0, 3), 1).shape == (0,)
    if HAVE_TORCH:
        t = torch.tensor(x.numpy())
        assert_close(x.logsumexp(1), t.logsumexp(1))


def test_logsumexp_is_stable_and_its_gradient_is_softmax():
    a = np.array([[1e4, 1e4 - 1.0, -1e4], [-50.0, 0.0, 50.0]])
    x = fasttensor.tensor(a, requires_grad=True)
    out = x.logsumexp(1)
    np.testing.assert_allclose(out.detach().numpy(), _lse(a, 1), rtol=1e-15)
    out.sum().backward()
    shifted = np.exp(a - a.max(1, keepdims=True))
    softmax = shifted / shifted.sum(1, keepdims=True)
    np.testing.assert_allclose(x.grad.numpy(), softmax, rtol=1e-14, atol=1e-300)


def test_logsumexp_of_integers_is_default_float():
    out = fasttensor.logsumexp(fasttensor.tensor([[1, 2], [3, 4]]), 1)
    assert out.dtype == fasttensor.float32
    np.testing.assert_allclose(out.numpy(), _lse(np.array([[1.0, 2], [3, 4]]), 1), rtol=1e-6)
    assert fasttensor.tensor([True]).logsumexp(0).dtype == fasttensor.float32


def test_logsumexp_gradient_at_infinite_rows_matches_torch():
    a = [[-INF, -INF], [INF, 1.0], [0.5, -INF]]
    x = fasttensor.tensor(a, requires_grad=True)
    x.logsumexp(1).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[NAN, NAN], [NAN, 0.0], [1.0, 0.0]])
    if HAVE_TORCH:
        t = torch.tensor(a, requires_grad=True)
        t.logsumexp(1).sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), t.grad.numpy())


# --- broadcast_shapes, joins, flip, squeeze -------------------------------------------------


@pytest.mark.parametrize("shapes", [((2, 1), (3,)), ((1,), (4, 1, 2), (3, 1)), ((),), (), (5, (2, 1)),
                                    ((0, 1), (3,)), ((2, 0), (1,)), (fasttensor.Size([2, 1]), [1, 4])])
def test_broadcast_shapes(shapes):
    out = fasttensor.broadcast_shapes(*shapes)
    assert isinstance(out, fasttensor.Size)
    assert tuple(out) == np.broadcast_shapes(*[(s,) if isinstance(s, int) else tuple(s) for s in shapes])
    if HAVE_TORCH:
        t_shapes = [torch.Size(s) if isinstance(s, fasttensor.Size) else s for s in shapes]
        assert tuple(out) == tuple(torch.broadcast_shapes(*t_shapes))


def test_flip_takes_dims_as_arguments_or_one_sequence():
    a = np.arange(24.0).reshape(2, 3, 4)
    x = fasttensor.tensor(a)
    np.testing.assert_array_equal(x.flip(0, 2).numpy(), a[::-1, :, ::-1])
    np.testing.assert_array_equal(x.flip((0, 2)).numpy(), a[::-1, :, ::-1])
    np.testing.assert_array_equal(x.flip(-1).numpy(), a[..., ::-1])
    np.testing.assert_array_equal(x.flip(dims=[1]).numpy(), a[:, ::-1])
    np.testing.assert_array_equal(fasttensor.flip(x, [0, 1]).numpy(), a[::-1, ::-1])
    with pytest.raises(TypeError):
        x.flip()
    with pytest.raises(RuntimeError, match="appears multiple times"):
        x.flip(0, -3)
    check_op([(2, 3, 4)], lambda t: t.flip(0, -1), numpy_fn=lambda b: b[::-1, :, ::-1], dtypes=F, layouts=LAYOUTS)


def test_squeeze_with_a_tuple_of_dims():
    check_op([(1, 3, 1, 1)], lambda t: lib(t).squeeze(t, (0, -1)), numpy_fn=lambda b: np.squeeze(b, (0, 3)),
             dtypes=F, layouts=LAYOUTS)
    assert fasttensor.zeros(1, 3, 1).squeeze((0, 1)).shape == (3, 1)


def test_joins_promote_dtypes_as_cat():
    out = fasttensor.hstack([fasttensor.tensor([1]), fasttensor.tensor([2.0])])
    assert out.dtype == fasttensor.float32 and out.tolist() == [1.0, 2.0]
    assert fasttensor.column_stack([fasttensor.tensor(1), fasttensor.tensor(2)]).tolist() == [[1, 2]]


# --- repeat_interleave ----------------------------------------------------------------


def test_repeat_interleave_of_repeats_alone_gives_the_index():
    out = fasttensor.repeat_interleave(fasttensor.tensor([1, 0, 3]))
    assert out.dtype == fasttensor.int64 and out.tolist() == [0, 2, 2, 2]
    assert fasttensor.repeat_interleave(fasttensor.tensor([0, 0], dtype=fasttensor.int32)).shape == (0,)
    if HAVE_TORCH:
        assert out.tolist() == torch.repeat_interleave(torch.tensor([1, 0, 3])).tolist()


def test_repeat_interleave_output_size():
    x = fasttensor.arange(6.0).reshape(3, 2)
    assert x.repeat_interleave(2, output_size=12).shape == (12,)
    assert x.repeat_interleave(fasttensor.tensor([1, 2, 3]), 0, output_size=6).shape == (6, 2)


# --- diagonal -------------------------------------------------------------------------


def _shares_storage(a, b) -> bool:
    return a._storage_ptr == b._storage_ptr


@pytest.mark.parametrize("make", [lambda t: t, lambda t: t.t(), lambda t: t[1:], lambda t: t[:, ::2],
                                  lambda t: t.unsqueeze(0).expand(2, 6, 8)[:, 1:].movedim(0, 2)],
                         ids=["contiguous", "transposed", "row_slice", "strided_columns", "expanded_batch"])
@pytest.mark.parametrize("offset", [-2, 0, 1])
def test_diagonal_is_a_view_that_writes_through(make, offset):
    base = fasttensor.arange(48.0).reshape(6, 8)
    view = make(base)
    ref = np.diagonal(view.numpy().copy(), offset)
    d = view.diagonal(offset)
    np.testing.assert_array_equal(d.numpy(), ref)
    assert _shares_storage(d, base)
    if view.dim() == 2:  # write through the diagonal: the base changes at the same places
        d.fill_(-1.0)
        assert np.all(np.diagonal(view.numpy(), offset) == -1.0)
        assert int((base == -1.0).sum()) == ref.size


def test_diagonal_of_an_unmergeable_layout_is_a_correct_copy():
    a = np.arange(54.0).reshape(6, 9)
    leaf = fasttensor.tensor(a, requires_grad=True)
    for offset in (-1, 0, 2):  # columns sliced: the rows cannot be merged into one dim
        np.testing.assert_array_equal(leaf[:, 1:].diagonal(offset).detach().numpy(), np.diagonal(a[:, 1:], offset))
    x = leaf[::2, ::3]  # strides (18, 3) for a 3x3 view: no single stride reaches the diagonal
    for offset in (-1, 0, 2):
        np.testing.assert_array_equal(x.diagonal(offset).detach().numpy(), np.diagonal(a[::2, ::3], offset))
    x.diagonal(1).sum().backward()
    expected = np.zeros_like(a)
    expected[[0, 2], [3, 6]] = 1.0
    np.testing.assert_array_equal(leaf.grad.numpy(), expected)


def test_diagonal_gradient_matches_torch_and_accumulates_through_views():
    check_op([(4, 5)], lambda x: x.diagonal(1)[:3] * 2.0 + x.diagonal(-1)[:3], dtypes=F, layouts=LAYOUTS,
             numpy_fn=lambda a: np.diagonal(a, 1)[:3] * 2.0 + np.diagonal(a, -1)[:3])


# --- atan2 ----------------------------------------------------------------------------


def test_atan2_signed_zeros_infinities_and_nan():
    y = [0.0, -0.0, 0.0, -0.0, 1.0, INF, INF, -INF, -INF, NAN, 1.0, 3.0, -3.0, 1e-30, -1e30, 5.0]
    x = [0.0, 0.0, -0.0, -0.0, INF, INF, -INF, 1.0, -INF, 1.0, NAN, -2.0, -2.0, -5.0, 1e-30, 0.0]
    for dt in ("float32", "float64"):
        out = fasttensor.atan2(fasttensor.tensor(np.array(y, dt)), fasttensor.tensor(np.array(x, dt))).numpy()
        ref = np.arctan2(np.array(y, dt), np.array(x, dt))
        np.testing.assert_allclose(out, ref, rtol=3e-7)
        number = ~np.isnan(ref)  # the sign of a zero result tells the quadrant; a NaN's sign means nothing
        np.testing.assert_array_equal(np.signbit(out)[number], np.signbit(ref)[number])
        if HAVE_TORCH:
            t = torch.atan2(torch.tensor(np.array(y, dt)), torch.tensor(np.array(x, dt))).numpy()
            np.testing.assert_allclose(out, t, rtol=3e-7)
            np.testing.assert_array_equal(np.signbit(out)[number], np.signbit(t)[number])


def test_atan2_is_accurate_to_a_few_ulps_over_many_magnitudes():
    rng = np.random.default_rng(1)
    for dt, ulps in (("float32", 2.0), ("float64", 1.0)):
        y = (rng.standard_normal(4000) * 10.0 ** rng.integers(-6, 6, 4000)).astype(dt)
        x = (rng.standard_normal(4000) * 10.0 ** rng.integers(-6, 6, 4000)).astype(dt)
        out = fasttensor.atan2(fasttensor.tensor(y), fasttensor.tensor(x)).numpy().astype(np.float64)
        ref = np.arctan2(y.astype(np.float64), x.astype(np.float64))
        assert np.all(np.abs(out - ref) <= ulps * np.spacing(np.abs(ref).astype(dt))), dt


def test_atan2_gradient_on_the_axes_and_at_the_origin():
    # On the axes abs() would give a zero derivative; PyTorch's is (x, -y) / (x^2 + y^2), and 0 at the origin.
    y = [0.0, -0.0, 0.0, 2.0, -2.0, 0.0, 0.0, 1.0]
    x = [2.0, 2.0, -2.0, 0.0, 0.0, 0.0, -0.0, -1.0]
    fy = fasttensor.tensor(y, dtype=fasttensor.float64, requires_grad=True)
    fx = fasttensor.tensor(x, dtype=fasttensor.float64, requires_grad=True)
    fasttensor.atan2(fy, fx).sum().backward()
    r2 = np.array(x) ** 2 + np.array(y) ** 2
    with np.errstate(invalid="ignore", divide="ignore"):
        gy = np.where(r2 == 0, 0.0, np.array(x) / r2)
        gx = np.where(r2 == 0, 0.0, -np.array(y) / r2)
    np.testing.assert_allclose(fy.grad.numpy(), gy, rtol=1e-15)
    np.testing.assert_allclose(fx.grad.numpy(), gx, rtol=1e-15)
    if HAVE_TORCH:
        ty = torch.tensor(y, dtype=torch.float64, requires_grad=True)
        tx = torch.tensor(x, dtype=torch.float64, requires_grad=True)
        torch.atan2(ty, tx).sum().backward()
        np.testing.assert_allclose(fy.grad.numpy(), ty.grad.numpy(), rtol=1e-15)
        np.testing.assert_allclose(fx.grad.numpy(), tx.grad.numpy(), rtol=1e-15)


def test_atan2_dtypes():
    f = fasttensor.ones(2)
    d, i = fasttensor.ones(2, dtype=fasttensor.float64), fasttensor.ones(2, dtype=fasttensor.int64)
    assert fasttensor.atan2(i, i).dtype == fasttensor.float32
    assert fasttensor.atan2(f, d).dtype == fasttensor.float64
    assert fasttensor.atan2(i, d).dtype == fasttensor.float64
    assert fasttensor.atan2(f, i).dtype == fasttensor.float32


# --- cumprod --------------------------------------------------------------------------


def test_cumprod_matches_torch_bit_for_bit_on_cpu():
    rng = np.random.default_rng(2)
    a = rng.uniform(0.5, 1.5, size=(4, 300)).astype(np.float32)
    out = fasttensor.tensor(a).cumprod(1).numpy()
    if HAVE_TORCH:
        np.testing.assert_array_equal(out, torch.tensor(a).cumprod(1).numpy())
    running = np.ones(4)  # PyTorch's CPU loop: a float64 running product, each output rounded to float32
    for j in range(a.shape[1]):
        running = running * a[:, j].astype(np.float64)
        np.testing.assert_array_equal(out[:, j], running.astype(np.float32))


def test_cumprod_integer_overflow_wraps_like_int64():
    x = fasttensor.full((70,), 2, dtype=fasttensor.int64)
    np.testing.assert_array_equal(x.cumprod(0).numpy(), np.cumprod(np.full(70, 2, np.int64)))


# --- nan_to_num -------------------------------------------------------------------------


@pytest.mark.parametrize("dt", F)
def test_nan_to_num_defaults_are_the_dtype_limits(dt):
    a = np.array([NAN, INF, -INF, 1.5, -0.0], dt)
    out = fasttensor.nan_to_num(fasttensor.tensor(a))
    assert out.dtype == getattr(fasttensor, dt)
    np.testing.assert_array_equal(out.numpy(), np.nan_to_num(a))
    custom = fasttensor.tensor(a).nan_to_num(nan=1.0, posinf=2.0, neginf=-3.0)
    np.testing.assert_array_equal(custom.numpy(), np.nan_to_num(a, nan=1.0, posinf=2.0, neginf=-3.0))
    if HAVE_TORCH:
        np.testing.assert_array_equal(out.numpy(), torch.nan_to_num(torch.tensor(a)).numpy())


def test_nan_to_num_in_place_and_gradient():
    x = fasttensor.tensor([NAN, 2.0, INF])
    assert x.nan_to_num_(posinf=9.0) is x
    assert x.tolist() == [0.0, 2.0, 9.0]
    fasttensor.nan_to_num_(x, nan=1.0)
    assert x.tolist() == [0.0, 2.0, 9.0]
    leaf = fasttensor.tensor([NAN, 2.0, -INF, 3.0], requires_grad=True)
    (leaf.nan_to_num() * fasttensor.tensor([1.0, 2.0, 3.0, 4.0])).sum().backward()
    assert leaf.grad.tolist() == [0.0, 2.0, 0.0, 4.0]  # PyTorch's: grad * isfinite(input)


def test_nan_to_num_keeps_integers_and_bools():
    for values in ([1, 2], [True, False]):
        x = fasttensor.tensor(values)
        out = x.nan_to_num(nan=0.5)
        assert out.dtype == x.dtype and out.tolist() == values and not _shares_storage(out, x)


# --- clamp_min_ / clamp_max_, type_as ------------------------------------------------------


def test_clamp_min_max_in_place():
    x = fasttensor.tensor([-2.0, 0.5, 3.0])
    assert x.clamp_min_(0.0) is x and x.tolist() == [0.0, 0.5, 3.0]
    assert fasttensor.clamp_max_(x, 1.0) is x and x.tolist() == [0.0, 0.5, 1.0]
    x.clamp_max_(fasttensor.tensor([0.25, 0.25, 2.0]))
    assert x.tolist() == [0.0, 0.25, 1.0]
    with pytest.raises(RuntimeError):
        fasttensor.tensor([1, 2]).clamp_max_(1.5)  # a float result cannot be written into int64


def test_type_as_converts_dtype_and_keeps_a_match():
    x = fasttensor.tensor([1, 2])
    assert x.type_as(fasttensor.zeros(1, dtype=fasttensor.float64)).dtype == fasttensor.float64
    f = fasttensor.ones(2)
    assert f.type_as(fasttensor.zeros(3)) is f


# --- nonzero / where(cond) ---------------------------------------------------------------


def test_nonzero_as_tuple_of_0d_and_where_with_one_argument():
    for value, expected in ((5, [0]), (0, [])):
        (idx,) = fasttensor.nonzero(fasttensor.tensor(value), as_tuple=True)
        assert idx.dtype == fasttensor.int64 and idx.tolist() == expected
    assert fasttensor.argwhere(fasttensor.tensor(5)).shape == (1, 0)
    assert fasttensor.nonzero(fasttensor.zeros(2, 3)).shape == (0, 2)
    rows, cols = fasttensor.where(fasttensor.tensor([[0.0, 1.0], [2.0, 0.0]]))
    assert rows.tolist() == [0, 1] and cols.tolist() == [1, 0]
    # the three-argument form is unchanged
    assert fasttensor.where(fasttensor.tensor([True, False]), 1.0, 0.0).tolist() == [1.0, 0.0]


# --- logspace, randint_like ----------------------------------------------------------------


@pytest.mark.parametrize("args,kw", [((0, 2, 3), {}), ((-1.5, 2.5, 9), {}), ((0, 2, 3, 2), {}),
                                     ((1, -2, 5), {"base": 3.0}), ((0, 2, 1), {}), ((0, 2, 0), {}),
                                     ((0, 3, 4), {"dtype": "float64"}), ((0, 2, 3), {"dtype": "int64"}),
                                     ((0, 10, 11), {"base": 2, "dtype": "int32"})])
def test_logspace(args, kw):
    dtype = kw.get("dtype")
    ft_kw = dict(kw, **({"dtype": getattr(fasttensor, dtype)} if dtype else {}))
    out = fasttensor.logspace(*args, **ft_kw)
    base = args[3] if len(args) > 3 else kw.get("base", 10.0)
    ref = np.logspace(args[0], args[1], args[2], base=base)
    assert out.dtype == (getattr(fasttensor, dtype) if dtype else fasttensor.float32)
    assert_close(out, ref.astype(dtype or "float32"), rtol=1e-6 if dtype != "float64" else 1e-14)
    if HAVE_TORCH:
        t_kw = dict(kw, **({"dtype": getattr(torch, dtype)} if dtype else {}))
        assert_close(out, torch.logspace(*args, **t_kw), rtol=1e-6)


def test_logspace_accepts_0d_tensors_and_requires_grad():
    out = fasttensor.logspace(fasttensor.tensor(0.0), fasttensor.tensor(2.0), 3, requires_grad=True)
    assert out.requires_grad and out.is_leaf and out.tolist() == [1.0, 10.0, 100.0]


def test_randint_like():
    fasttensor.manual_seed(0)
    x = fasttensor.zeros(200, 3)
    out = fasttensor.randint_like(x, 5)
    assert out.shape == (200, 3) and out.dtype == fasttensor.float32
    values = set(out.flatten().tolist())
    assert values == {0.0, 1.0, 2.0, 3.0, 4.0}
    out = fasttensor.randint_like(x, -3, 2, dtype=fasttensor.int64)
    assert out.dtype == fasttensor.int64 and set(out.flatten().tolist()) == {-3, -2, -1, 0, 1}
    assert fasttensor.randint_like(fasttensor.zeros(0, dtype=fasttensor.int32), high=7).dtype == fasttensor.int32
    assert fasttensor.randint_like(x, 3, requires_grad=True).requires_grad


# --- finfo / iinfo -------------------------------------------------------------------------


@pytest.mark.parametrize("name", F)
def test_finfo(name):
    info = fasttensor.finfo(getattr(fasttensor, name))
    ref = np.finfo(name)
    assert (info.bits, info.eps, info.max, info.min) == (ref.bits, float(ref.eps), float(ref.max), float(ref.min))
    assert info.tiny == info.smallest_normal == float(ref.smallest_normal)
    assert info.resolution == 10.0 ** -ref.precision and info.dtype == name
    assert all(isinstance(v, float) for v in (info.eps, info.max, info.min, info.tiny, info.resolution))
    assert info == fasttensor.finfo(getattr(fasttensor, name)) and isinstance(info, fasttensor.finfo)
    if HAVE_TORCH:
        t = torch.finfo(getattr(torch, name))
        assert (info.bits, info.eps, info.max, info.min, info.tiny, info.smallest_normal, info.resolution,
                info.dtype) == (t.bits, t.eps, t.max, t.min, t.tiny, t.smallest_normal, t.resolution, t.dtype)
        assert repr(info) == repr(t)


def test_finfo_default_and_python_float():
    assert fasttensor.finfo().dtype == "float32"
    assert fasttensor.finfo(float).dtype == "float64"
    fasttensor.set_default_dtype(fasttensor.float64)
    try:
        assert fasttensor.finfo().dtype == "float64"
    finally:
        fasttensor.set_default_dtype(fasttensor.float32)


@pytest.mark.parametrize("name", ("uint8", "int32", "int64"))
def test_iinfo(name):
    info = fasttensor.iinfo(getattr(fasttensor, name))
    ref = np.iinfo(name)
    assert (info.bits, info.max, info.min, info.dtype) == (ref.bits, int(ref.max), int(ref.min), name)
    assert isinstance(info.max, int)
    if HAVE_TORCH:
        t = torch.iinfo(getattr(torch, name))
        assert (info.bits, info.max, info.min, info.dtype) == (t.bits, t.max, t.min, t.dtype)
        assert repr(info) == repr(t)
    assert fasttensor.iinfo(int).dtype == "int64"


def test_finfo_bounds_match_the_tensors():
    big = fasttensor.tensor([fasttensor.finfo(fasttensor.float32).max])
    assert big.isfinite().all() and (big * 2).isinf().all()
    assert (fasttensor.tensor([fasttensor.iinfo(fasttensor.uint8).max], dtype=fasttensor.uint8) + 1).tolist() == [0]


# --- errors: PyTorch's exception types (and the message where we give its words) ---------


def _x(m):
    return m.arange(12.0).reshape(3, 4)


ERRORS = [
    ("logsumexp_dim_range", lambda m: _x(m).logsumexp(2), IndexError, r"Dimension out of range"),
    ("logsumexp_repeated_dim", lambda m: m.logsumexp(_x(m), (0, 0)), RuntimeError, r"appears multiple times"),
    ("logsumexp_no_dim", lambda m: m.logsumexp(_x(m)), TypeError, r"dim"),
    ("broadcast_shapes_mismatch", lambda m: m.broadcast_shapes((2, 3), (4,)), RuntimeError,
     r"Attempting to broadcast a dimension of length 4 at -1! Mismatching argument at index 1 had \(4,\); "
     r"but expected shape should be broadcastable to \[2, 3\]"),
    ("broadcast_shapes_negative", lambda m: m.broadcast_shapes((2, -1), (3,)), ValueError, r"negative length"),
    ("broadcast_shapes_type", lambda m: m.broadcast_shapes(2.5), RuntimeError, r"should be of type ints"),
    ("broadcast_to_mismatch", lambda m: m.broadcast_to(_x(m), (4, 4)), RuntimeError, r"expanded size"),
    ("hstack_empty", lambda m: m.hstack([]), RuntimeError, r"hstack expects a non-empty TensorList"),
    ("vstack_not_a_list", lambda m: m.vstack(_x(m)), TypeError, r"must be tuple of Tensors, not Tensor"),
    ("hstack_sizes", lambda m: m.hstack([_x(m), m.zeros(2, 4)]), RuntimeError, r"Sizes of tensors must match"),
    ("column_stack_sizes", lambda m: m.column_stack([m.zeros(3), m.zeros(2)]), RuntimeError, r""),
    ("tile_negative", lambda m: m.tile(_x(m), (-1,)), RuntimeError, r"negative dimension"),
    ("repeat_interleave_negative", lambda m: m.repeat_interleave(_x(m), -1), RuntimeError,
     r"Repeats must be non-negative"),
    ("repeat_interleave_negative_tensor", lambda m: _x(m).repeat_interleave(m.tensor([1, -1, 1]), 0), RuntimeError,
     r"repeats can not be negative"),
    ("repeat_interleave_size", lambda m: _x(m).repeat_interleave(m.tensor([1, 0]), 0), RuntimeError,
     r"repeats must have the same size as input along dim, but got repeats.size\(0\) = 2 and input.size\(0\) = 3"),
    ("repeat_interleave_float_repeats", lambda m: _x(m).repeat_interleave(m.tensor([1.0, 1.0, 1.0]), 0),
     NotImplementedError, r"not implemented for 'Float'"),
    ("repeat_interleave_2d_repeats", lambda m: _x(m).repeat_interleave(m.tensor([[1, 1, 1]]), 0), RuntimeError,
     r"repeats must be 0-dim or 1-dim tensor"),
    ("repeat_interleave_alone_2d", lambda m: m.repeat_interleave(m.tensor([[1, 0]])), RuntimeError,
     r"only accept 1D vector"),
    ("repeat_interleave_output_size", lambda m: _x(m).repeat_interleave(2, output_size=5), RuntimeError,
     r"Invalid output_size, expected 24 but got 5"),
    ("repeat_interleave_dim_range", lambda m: _x(m).repeat_interleave(2, dim=2), IndexError, r"out of range"),
    ("masked_select_not_bool", lambda m: m.masked_select(_x(m), m.tensor([1, 0, 1, 0])), RuntimeError,
     r"masked_select: expected BoolTensor for mask"),
    ("masked_select_broadcast", lambda m: m.masked_select(_x(m), m.tensor([True, False])), RuntimeError,
     r"size of tensor a \(4\) must match the size of tensor b \(2\) at non-singleton dimension 1"),
    ("swapdims_range", lambda m: m.swapdims(_x(m), 0, 2), IndexError, r"out of range"),
    ("movedim_count", lambda m: m.movedim(m.zeros(2, 3, 4), (0, 1), (2,)), RuntimeError,
     r"movedim: Invalid source or destination dims: source \(\[0, 1\] dims\) should contain the same number of "
     r"dims as destination \(\[2\] dims\)"),
    ("movedim_repeated_source", lambda m: m.movedim(m.zeros(2, 3, 4), (0, -3), (1, 2)), RuntimeError,
     r"movedim: repeated dim in `source` \(\[0, -3\]\)"),
    ("movedim_repeated_destination", lambda m: m.moveaxis(m.zeros(2, 3, 4), (0, 1), (-1, 2)), RuntimeError,
     r"movedim: repeated dim in `destination` \(\[-1, 2\]\)"),
    ("movedim_range", lambda m: m.zeros(2, 3, 4).movedim(3, 0), IndexError, r"\[-3, 2\], but got 3"),
    ("diagonal_same_dims", lambda m: m.diagonal(_x(m), 0, 1, -1), RuntimeError,
     r"diagonal dimensions cannot be identical 1, -1"),
    ("diagonal_1d", lambda m: m.diagonal(m.zeros(3)), IndexError, r"\[-1, 0\], but got 1"),
    ("count_nonzero_range", lambda m: m.count_nonzero(_x(m), 2), IndexError, r"out of range"),
    ("nansum_range", lambda m: m.nansum(_x(m), 2), IndexError, r"out of range"),
    ("nanmean_int", lambda m: m.nanmean(m.tensor([1, 2], dtype=m.int32)), RuntimeError,
     r"nanmean\(\): expected input to have floating point or complex dtype but got Int"),
    ("clamp_min_none", lambda m: m.clamp_min(_x(m), None), TypeError, r"clamp_min"),
    ("clamp_max_in_place_int", lambda m: m.tensor([1, 2]).clamp_max_(1.5), RuntimeError, r"can't be cast"),
    ("atan2_number", lambda m: m.atan2(_x(m), 2.0), TypeError, r"argument 'other' \(position 2\) must be Tensor"),
    ("atan2_method_number", lambda m: _x(m).atan2(2), TypeError, r"must be Tensor, not int"),
    ("atan2_broadcast", lambda m: m.atan2(_x(m), m.ones(3)), RuntimeError, r"size of tensor a"),
    ("cumprod_range", lambda m: m.cumprod(_x(m), 2), IndexError, r"out of range"),
    ("where_two_arguments", lambda m: m.where(_x(m) > 2, _x(m)), TypeError, r"where\(\)"),
    ("unflatten_empty_sizes", lambda m: m.unflatten(_x(m), 1, ()), RuntimeError, r"unflatten: sizes must be non-empty"),
    ("unflatten_two_inferred", lambda m: m.unflatten(_x(m), 1, (-1, -1)), RuntimeError,
     r"only one dimension can be inferred"),
    ("unflatten_product", lambda m: _x(m).unflatten(1, (3, -1)), RuntimeError,
     r"unflatten: Provided sizes \[3, -1\] don't multiply up to the size of dim 1 \(4\) in the input tensor"),
    ("unflatten_0d", lambda m: m.unflatten(m.tensor(1.0), 0, (1,)), RuntimeError,
     r"Dimension specified as 0 but tensor has no dimensions"),
    ("unflatten_float_size", lambda m: m.unflatten(_x(m), 1, (2, 2.0)), TypeError, r"sizes"),
    ("tensor_split_0d", lambda m: m.tensor_split(m.tensor(1.0), 1), RuntimeError,
     r"tensor_split expected at least a 1-dimensional tensor, but got a tensor with 0 dims"),
    ("tensor_split_zero_sections", lambda m: m.tensor_split(m.arange(7), 0), RuntimeError,
     r"number of sections must be larger than 0, got 0"),
    ("tensor_split_float_tensor", lambda m: m.tensor_split(m.arange(7), m.tensor([1.0, 3.0])), RuntimeError,
     r"to have dtype of long, but got Float"),
    ("tensor_split_2d_tensor", lambda m: m.tensor_split(m.arange(7), m.tensor([[1, 3]])), RuntimeError,
     r"zero-dimensional or one-dimensional tensor, but got a tensor with 2 dims"),
    ("tensor_split_float", lambda m: m.tensor_split(m.arange(7), 3.0), TypeError, r"tensor_split\(\)"),
    ("tensor_split_dim_range", lambda m: m.tensor_split(m.arange(7), (1, 3), dim=1), IndexError,
     r"out of range"),
    ("logspace_negative_steps", lambda m: m.logspace(0, 2, -1), RuntimeError, r"number of steps must be non-negative"),
    ("logspace_int_requires_grad", lambda m: m.logspace(0, 2, 3, dtype=m.int64, requires_grad=True), RuntimeError,
     r"floating point"),
    ("randint_like_empty_range", lambda m: m.randint_like(_x(m), 5, 3), RuntimeError,
     r"random_ expects 'from' to be less than 'to', but got from=5 >= to=3"),
    ("randint_like_int_requires_grad", lambda m: m.randint_like(m.zeros(2, dtype=m.int64), 3, requires_grad=True),
     RuntimeError, r"floating point"),
    ("finfo_int", lambda m: m.finfo(m.int64), TypeError, r"finfo\(\) requires a floating point input type"),
    ("finfo_str", lambda m: m.finfo("float32"), TypeError, r"must be (fasttensor|torch)\.dtype, not str"),
    ("iinfo_float", lambda m: m.iinfo(m.float32), TypeError, r"iinfo\(\) requires an integer input type"),
    ("iinfo_bool", lambda m: m.iinfo(m.bool), TypeError, r"bool is not supported by (fasttensor|torch)\.iinfo"),
]


@pytest.mark.parametrize("name,op,exc,pattern", ERRORS, ids=[c[0] for c in ERRORS])
def test_errors(name, op, exc, pattern):
    with pytest.raises(exc) as info:
        op(fasttensor)
    assert re.search(pattern, str(info.value)), f"message {str(info.value)!r} does not match {pattern!r}"
    if TORCH_IS_REFERENCE:
        with pytest.raises(exc):
            op(torch)


# --- everything is reachable both ways -----------------------------------------------------

FUNCTIONS = ["logsumexp", "clone", "broadcast_to", "broadcast_shapes", "hstack", "vstack", "column_stack", "tile",
             "repeat_interleave", "masked_select", "swapaxes", "swapdims", "moveaxis", "movedim", "ravel", "diagonal",
             "count_nonzero", "nansum", "nanmean", "clamp_min", "clamp_max", "clamp_min_", "clamp_max_", "atan2",
             "arctan2", "cumprod", "nonzero", "argwhere", "where", "nan_to_num", "nan_to_num_", "unflatten",
             "tensor_split", "logspace", "randint_like", "finfo", "iinfo"]
METHODS = ["logsumexp", "clone", "broadcast_to", "tile", "repeat_interleave", "masked_select", "swapaxes", "swapdims",
           "moveaxis", "movedim", "ravel", "diagonal", "count_nonzero", "nansum", "nanmean", "clamp_min", "clamp_max",
           "clamp_min_", "clamp_max_", "atan2", "arctan2", "cumprod", "nonzero", "argwhere", "nan_to_num",
           "nan_to_num_", "type_as", "unflatten", "tensor_split", "flip"]


def test_functions_and_methods_exist_where_torch_has_them():
    for name in FUNCTIONS:
        assert callable(getattr(fasttensor, name)), name
        if HAVE_TORCH:
            assert hasattr(torch, name), name
    for name in METHODS:
        assert callable(getattr(fasttensor.Tensor, name)), name
        if HAVE_TORCH:
            assert hasattr(torch.Tensor, name), name
    assert all(getattr(fasttensor, name).__doc__ for name in FUNCTIONS)


# --- the composites on a GPU: the same values and gradients as on the CPU ----------------

GPU_CASES = [
    ("logsumexp", lambda x: x.logsumexp(1)),
    ("atan2", lambda x: fasttensor.atan2(x, x.flip(0))),
    ("cumprod", lambda x: x.cumprod(1)),
    ("diagonal", lambda x: x.t().diagonal(1)),
    ("repeat_interleave_tensor", lambda x: x.repeat_interleave(fasttensor.tensor([2, 0, 1]).to(x.device), 0)),
    ("masked_select", lambda x: x.masked_select(x > 0)),
    ("nanmean", lambda x: _with_nans(x).nanmean(0)),
    ("nan_to_num", lambda x: (x / 0.0).nan_to_num()),
    ("tensor_split", lambda x: x.tensor_split([1, 3], 1)),
    ("nonzero_as_tuple", lambda x: (x > 0).nonzero(as_tuple=True)),
]


@pytest.mark.skipif(not fasttensor.cuda.is_available(), reason="no CUDA GPU")
@pytest.mark.parametrize("name,fn", GPU_CASES, ids=[c[0] for c in GPU_CASES])
def test_on_gpu_as_on_cpu(name, fn):
    a = np.random.default_rng(3).uniform(-2.0, 2.0, size=(3, 5))
    outs = []
    for device in ("cpu", "cuda"):
        x = fasttensor.tensor(a, device=device, requires_grad=True)
        out = fn(x)
        out = list(out) if isinstance(out, tuple) else [out]
        float_outs = [o for o in out if o.is_floating_point()]
        if float_outs:
            sum(o.sum() for o in float_outs).backward()
        outs.append(([o.detach().cpu().numpy() for o in out], None if x.grad is None else x.grad.cpu().numpy()))
    (cpu_values, cpu_grad), (gpu_values, gpu_grad) = outs
    for c, g in zip(cpu_values, gpu_values):
        np.testing.assert_allclose(g, c, rtol=1e-12, atol=1e-12)
    assert (cpu_grad is None) == (gpu_grad is None)
    if cpu_grad is not None:
        np.testing.assert_allclose(gpu_grad, cpu_grad, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("shape,dim", [((5000,), 0), ((3, 2001), 1), ((1500, 4), 0)])
def test_long_cumprod_runs_in_blocks_with_exact_values_and_gradients(shape, dim):
    """Past 1024 entries cumprod runs in blocks (about 2 sqrt(n) ops instead of n): float32 values
    equal to the sequential float64 product rounded once (NumPy's float64 cumprod here), a zero
    stays exact, and the gradient matches the exact one."""
    rng = np.random.default_rng(3)
    a = rng.uniform(0.9, 1.1, size=shape)
    a.flat[7] = 0.0
    ref = np.cumprod(a, dim)
    got32 = fasttensor.tensor(a.astype(np.float32)).cumprod(dim).numpy()
    np.testing.assert_array_equal(got32, np.cumprod(a.astype(np.float32).astype(np.float64), dim).astype(np.float32))
    x = fasttensor.tensor(a, dtype=fasttensor.float64, requires_grad=True)
    y = x.cumprod(dim)
    np.testing.assert_allclose(y.detach().numpy(), ref, rtol=1e-13, atol=0)
    w = rng.standard_normal(shape)
    (y * fasttensor.tensor(w)).sum().backward()
    # d/dx_i sum_j w_j prod_{k<=j} x_k = sum_{j>=i} w_j prod_{k<=j, k!=i} x_k (computed without division)
    moved, wm = np.moveaxis(a, dim, -1), np.moveaxis(w, dim, -1)
    expected = np.zeros_like(moved)
    n = moved.shape[-1]
    prefix = np.concatenate([np.ones(moved.shape[:-1] + (1,)), np.cumprod(moved, -1)[..., :-1]], -1)
    for i in range(n):
        after = np.cumprod(moved[..., i + 1:], -1)  # products of the entries after i
        expected[..., i] = prefix[..., i] * (wm[..., i] + (wm[..., i + 1:] * after).sum(-1))
    np.testing.assert_allclose(x.grad.numpy(), np.moveaxis(expected, -1, dim), rtol=1e-10, atol=1e-12)
    if HAVE_TORCH:
        import torch

        np.testing.assert_array_equal(got32, torch.tensor(a.astype(np.float32)).cumprod(dim).numpy())


# --- renorm -----------------------------------------------------------------------------------------

def _renorm_numpy(x, p, dim, maxnorm):
    moved = np.moveaxis(x, dim, 0).reshape(x.shape[dim], -1)
    norms = np.abs(moved).max(axis=1) if p == float("inf") else (np.abs(moved) ** p).sum(axis=1) ** (1 / p)
    factor = np.where(norms > maxnorm, maxnorm / (norms + 1e-7), 1.0)
    shape = [1] * x.ndim
    shape[dim] = x.shape[dim]
    return x * factor.reshape(shape)


@pytest.mark.parametrize("p", [1, 2, 3.5, float("inf")])
@pytest.mark.parametrize("shape,dim", [((4, 5), 0), ((4, 5), 1), ((3, 1, 6), -1), ((2, 3, 4), 1), ((3, 0), 0)])
def test_renorm_values_and_in_place(p, shape, dim):
    rng = np.random.default_rng(7)
    x = rng.standard_normal(shape) * 3
    if p == float("inf") and x.size == 0:  # the max over an empty slice: torch's vector_norm refuses it
        with pytest.raises(RuntimeError, match="cannot compute the inf norm on the dimension 1because this "
                                               "dimension is empty"):
            fasttensor.tensor(x).renorm(p, dim, 2.0)
        return
    got = fasttensor.tensor(x).renorm(p, dim, 2.0)
    np.testing.assert_allclose(got.numpy(), _renorm_numpy(x, p, dim, 2.0), rtol=1e-12, atol=1e-12)
    assert got.dtype == fasttensor.float64 and got.shape == x.shape
    # in-place and the function form give the same values
    y = fasttensor.tensor(x).transpose(0, -1)
    expected = fasttensor.renorm(y, p, 0, 2.0)
    assert y.renorm_(p, 0, 2.0) is y
    np.testing.assert_array_equal(y.numpy(), expected.numpy())


@pytest.mark.parametrize("p", [1, 2, float("inf")])
def test_renorm_matches_torch_with_gradient(torch, p):
    x = np.random.default_rng(3).standard_normal((3, 4, 2))
    outs = []
    for m in (fasttensor, torch):
        t = m.tensor(x, requires_grad=True)
        y = t.transpose(0, 2).renorm(p, 1, 1.5)
        (y * m.arange(24.0, dtype=m.float64).reshape(2, 4, 3)).sum().backward()
        outs.append((y.detach().numpy(), t.grad.numpy(), y.stride()))
    np.testing.assert_allclose(outs[0][0], outs[1][0], rtol=1e-12)
    np.testing.assert_allclose(outs[0][1], outs[1][1], rtol=1e-10, atol=1e-12)
    assert outs[0][2] == outs[1][2]


def test_renorm_errors_as_torch():
    x = fasttensor.ones(2, 3)
    with pytest.raises(RuntimeError, match="renorm: input needs at least 2 dimensions, got 1 dimensions"):
        fasttensor.ones(3).renorm(2, 0, 1.0)
    with pytest.raises(RuntimeError, match="renorm: non-positive-norm not supported"):
        x.renorm(0, 0, 1.0)
    with pytest.raises(RuntimeError, match="renorm: expected maxnorm to be >= 0 but got -1"):
        x.renorm(2, 0, -1.0)
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)"):
        x.renorm(2, 2, 1.0)
    with pytest.raises(RuntimeError, match="Expected a floating point or complex tensor as input. Got Long"):
        fasttensor.ones(2, 3, dtype=fasttensor.int64).renorm(2, 0, 1.0)


# --- sinc, Tensor.unfold ------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sinc_values_and_gradient(dtype):
    x = np.array([0.0, 0.5, -1.0, 2.0, 1e-20, -3.25, 7.0, 1e-3], dtype=dtype)
    t = fasttensor.tensor(x, requires_grad=True)
    y = t.sinc()
    assert y.dtype == t.dtype and y.grad_fn.name() == "SincBackward0"
    np.testing.assert_allclose(y.detach().numpy(), np.sinc(x.astype(np.float64)), rtol=2e-6 if dtype == "float32" else 1e-14,
                               atol=1e-7 if dtype == "float32" else 1e-16)
    y.sum().backward()
    xd = x.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        want = np.where(xd * xd * np.pi == 0, 0.0,
                        (np.pi * xd * np.cos(np.pi * xd) - np.sin(np.pi * xd)) / (np.pi * xd * xd))
    mask = np.abs(xd) > 1e-2  # away from 0 the formula is well conditioned in float32 too
    np.testing.assert_allclose(t.grad.numpy()[mask], want[mask], rtol=1e-4 if dtype == "float32" else 1e-12)
    assert t.grad.numpy()[0] == 0 and t.grad.numpy()[4] == 0  # x = 0 and x^2 pi underflowing to 0
    assert fasttensor.arange(3).sinc().dtype == fasttensor.float32


def test_sinc_matches_torch(torch):
    x = np.array([[0.0, 0.5, -1.0], [1e-20, 3.3, -0.1]], dtype=np.float32)
    for m in (fasttensor, torch):
        t = m.tensor(x, requires_grad=True)
        y = m.sinc(t.t())
        y.sum().backward()
        if m is fasttensor:
            got = (repr(y).replace("fasttensor.", "torch."), t.grad.numpy())
        else:
            want = (repr(y), t.grad.numpy())
    assert got[0] == want[0]
    np.testing.assert_allclose(got[1], want[1], rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("shape,dim,size,step", [((10,), 0, 3, 2), ((2, 7), 1, 3, 1), ((5, 4), 0, 5, 1),
                                                 ((4, 6, 3), 1, 2, 3), ((3, 5), -1, 0, 2), ((0, 4), 1, 2, 1)])
def test_unfold_is_a_view_of_the_windows(shape, dim, size, step):
    x = np.arange(float(np.prod(shape))).reshape(shape)
    t = fasttensor.tensor(x, requires_grad=True)
    u = t.unfold(dim, size, step)
    d = dim % len(shape)
    windows = np.lib.stride_tricks.sliding_window_view(x, size, axis=d) if size else None
    if windows is not None:
        windows = np.take(windows, np.arange(0, windows.shape[d], step), axis=d)
        np.testing.assert_array_equal(u.detach().numpy(), windows)
    assert u.grad_fn.name() == "UnfoldBackward0" and u.shape[-1] == size
    assert u._storage_ptr == t._storage_ptr
    weights = np.random.default_rng(0).standard_normal(tuple(u.shape))
    (u * fasttensor.tensor(weights)).sum().backward()
    want = np.zeros(shape)  # each window position adds its weight back where it came from
    idx = np.arange(float(np.prod(shape))).reshape(shape).astype(int)
    if windows is not None:
        w_idx = np.lib.stride_tricks.sliding_window_view(idx, size, axis=d)
        w_idx = np.take(w_idx, np.arange(0, w_idx.shape[d], step), axis=d)
        np.add.at(want.reshape(-1), w_idx.reshape(-1), weights.reshape(-1))
    np.testing.assert_allclose(t.grad.numpy(), want, rtol=1e-12, atol=1e-12)


def test_unfold_writes_through_and_handles_0d_and_errors():
    x = fasttensor.zeros(6)
    x.unfold(0, 2, 2)[:, 1] = 1.0
    np.testing.assert_array_equal(x.numpy(), [0, 1, 0, 1, 0, 1])
    t = fasttensor.tensor(3.0, requires_grad=True)
    u = t.unfold(0, 1, 1)
    assert u.shape == (1,) and u.item() == 3.0
    u.sum().backward()
    assert t.grad.item() == 1.0
    assert fasttensor.tensor(3.0).unfold(-1, 0, 1).shape == (0,)
    with pytest.raises(RuntimeError, match="maximum size for tensor at dimension 0 is 5 but size is 6"):
        fasttensor.arange(5.0).unfold(0, 6, 1)
    with pytest.raises(RuntimeError, match="step is 0 but must be > 0"):
        fasttensor.arange(5.0).unfold(0, 2, 0)
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-1, 0\], but got 1\)"):
        fasttensor.arange(5.0).unfold(1, 2, 1)


@pytest.mark.parametrize("args", [(1, 3, 2), (0, 2, 1), (2, 1, 1)])
def test_unfold_matches_torch(torch, args):
    x = np.random.default_rng(1).standard_normal((3, 5, 2))
    outs = []
    for m in (fasttensor, torch):
        t = m.tensor(x, requires_grad=True)
        u = t.transpose(0, 1).unfold(*args)
        (u * u).sum().backward()
        outs.append((u.detach().numpy(), tuple(u.shape), u.stride(), t.grad.numpy()))
    np.testing.assert_array_equal(outs[0][0], outs[1][0])
    assert outs[0][1:3] == outs[1][1:3]
    np.testing.assert_allclose(outs[0][3], outs[1][3], rtol=1e-12)
