"""Views (csrc/ops/view.cpp) and joins (csrc/ops/join.cpp): reshape/view,
transposes, permute, flatten, squeeze/unsqueeze, expand, narrow, select,
unbind, chunk, split, cat and stack — values, shapes, storage sharing,
non-contiguous inputs and gradients."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import fasttensor
from helpers import HAVE_TORCH, check_op, compare_results, ids, lib, raises_like, torch

F = ("float32", "float64")
LAYOUTS = ("contiguous", "transposed", "strided")


def shares_storage(a, b) -> bool:
    return a._storage_ptr == b._storage_ptr


VIEWS = [
    ("reshape", (3, 4), lambda x: x.reshape(4, 3), lambda x: x.reshape(4, 3)),
    ("reshape_tuple", (3, 4), lambda x: x.reshape((2, -1)), lambda x: x.reshape(2, -1)),
    ("reshape_neg1_first", (3, 4), lambda x: x.reshape(-1, 4), lambda x: x.reshape(-1, 4)),
    ("reshape_flat", (3, 4), lambda x: x.reshape(-1), lambda x: x.reshape(-1)),
    ("reshape_to_0d", (1, 1), lambda x: x.reshape(()), lambda x: x.reshape(())),
    ("reshape_from_0d", (), lambda x: x.reshape(1, 1, 1), lambda x: x.reshape(1, 1, 1)),
    ("reshape_3d", (2, 3, 4), lambda x: x.reshape(4, 2, 3), lambda x: x.reshape(4, 2, 3)),
    ("view", (3, 4), lambda x: x.view(2, 6), lambda x: x.reshape(2, 6)),
    ("view_neg1", (3, 4), lambda x: x.view(-1, 2), lambda x: x.reshape(-1, 2)),
    ("T", (3, 4), lambda x: x.T, lambda x: x.T),
    ("mT", (2, 3, 4), lambda x: x.mT, lambda x: np.swapaxes(x, -1, -2)),
    ("t", (3, 4), lambda x: x.t(), lambda x: x.T),
    ("t_1d", (4,), lambda x: x.t(), lambda x: x),
    ("transpose", (2, 3, 4), lambda x: x.transpose(0, 2), lambda x: np.swapaxes(x, 0, 2)),
    ("transpose_neg", (2, 3, 4), lambda x: x.transpose(-1, 1), lambda x: np.swapaxes(x, -1, 1)),
    ("transpose_fn", (2, 3), lambda x: lib(x).transpose(x, 0, 1), lambda x: x.T),
    ("swapaxes", (2, 3, 4), lambda x: x.swapaxes(0, 1), lambda x: np.swapaxes(x, 0, 1)),
    ("permute", (2, 3, 4), lambda x: x.permute(2, 0, 1), lambda x: np.transpose(x, (2, 0, 1))),
    ("permute_tuple", (2, 3, 4), lambda x: x.permute((1, 2, 0)), lambda x: np.transpose(x, (1, 2, 0))),
    ("permute_neg", (2, 3, 4), lambda x: x.permute(-1, -3, -2), lambda x: np.transpose(x, (2, 0, 1))),
    ("flatten", (2, 3, 4), lambda x: x.flatten(), lambda x: x.reshape(-1)),
    ("flatten_1", (2, 3, 4), lambda x: x.flatten(1), lambda x: x.reshape(2, -1)),
    ("flatten_0_1", (2, 3, 4), lambda x: x.flatten(0, 1), lambda x: x.reshape(6, 4)),
    ("flatten_fn", (2, 3, 4), lambda x: lib(x).flatten(x, start_dim=1), lambda x: x.reshape(2, -1)),
    ("flatten_0d", (), lambda x: x.flatten(), lambda x: x.reshape(1)),
    ("squeeze", (1, 3, 1, 4), lambda x: x.squeeze(), lambda x: np.squeeze(x)),
    ("squeeze_dim", (1, 3, 1, 4), lambda x: x.squeeze(2), lambda x: np.squeeze(x, 2)),
    ("squeeze_dim_not1", (1, 3, 1, 4), lambda x: x.squeeze(1), lambda x: x),
    ("squeeze_neg", (3, 1), lambda x: x.squeeze(-1), lambda x: x[:, 0]),
    ("squeeze_tuple", (1, 3, 1, 4), lambda x: x.squeeze((0, 2)), lambda x: np.squeeze(x, (0, 2))),
    ("squeeze_fn", (1, 3), lambda x: lib(x).squeeze(x, 0), lambda x: x[0]),
    ("unsqueeze0", (3, 4), lambda x: x.unsqueeze(0), lambda x: x[None]),
    ("unsqueeze_last", (3, 4), lambda x: x.unsqueeze(-1), lambda x: x[..., None]),
    ("unsqueeze_mid", (3, 4), lambda x: x.unsqueeze(1), lambda x: x[:, None]),
    ("unsqueeze_0d", (), lambda x: x.unsqueeze(0), lambda x: x.reshape(1)),
    ("unsqueeze_fn", (3,), lambda x: lib(x).unsqueeze(x, 1), lambda x: x[:, None]),
    ("expand", (3, 1), lambda x: x.expand(3, 4), lambda x: np.broadcast_to(x, (3, 4))),
    ("expand_neg1", (3, 1), lambda x: x.expand(-1, 5), lambda x: np.broadcast_to(x, (3, 5))),
    ("expand_new_dims", (4,), lambda x: x.expand(2, 3, 4), lambda x: np.broadcast_to(x, (2, 3, 4))),
    ("expand_tuple", (1, 4), lambda x: x.expand((3, 4)), lambda x: np.broadcast_to(x, (3, 4))),
    ("expand_0d", (), lambda x: x.expand(2, 2), lambda x: np.broadcast_to(x, (2, 2))),
    ("expand_as", (1, 4), lambda x: x.expand_as(lib(x).zeros(3, 4)), lambda x: np.broadcast_to(x, (3, 4))),
    ("narrow", (5, 6), lambda x: x.narrow(1, 2, 3), lambda x: x[:, 2:5]),
    ("narrow_neg", (5, 6), lambda x: x.narrow(0, -3, 2), lambda x: x[2:4]),
    ("narrow_fn", (5, 6), lambda x: lib(x).narrow(x, 0, 1, 3), lambda x: x[1:4]),
    ("select", (5, 6), lambda x: x.select(1, 2), lambda x: x[:, 2]),
    ("select_neg", (5, 6), lambda x: x.select(0, -1), lambda x: x[-1]),
    ("slice_step", (7, 6), lambda x: x[1::3, ::2], lambda x: x[1::3, ::2]),
    ("slice_neg_bounds", (7, 6), lambda x: x[-4:-1, :-2], lambda x: x[-4:-1, :-2]),
    ("slice_past_end", (7, 6), lambda x: x[5:100, 10:], lambda x: x[5:100, 10:]),
    ("view_as", (3, 4), lambda x: x.view_as(lib(x).zeros(6, 2)), lambda x: x.reshape(6, 2)),
    ("reshape_as", (3, 4), lambda x: x.reshape_as(lib(x).zeros(2, 6)), lambda x: x.reshape(2, 6)),
    ("reshape_fn", (3, 4), lambda x: lib(x).reshape(x, (4, 3)), lambda x: x.reshape(4, 3)),
    ("permute_fn", (2, 3, 4), lambda x: lib(x).permute(x, (2, 1, 0)), lambda x: np.transpose(x)),
    ("t_fn", (2, 3), lambda x: lib(x).t(x), lambda x: x.T),
]


@pytest.mark.parametrize("name,shape,fn,ref", VIEWS, ids=[v[0] for v in VIEWS])
def test_view_values_and_grads(name, shape, fn, ref):
    check_op([shape], fn, numpy_fn=ref, dtypes=F)


@pytest.mark.parametrize("name,shape,fn,ref", [v for v in VIEWS if len(v[1]) >= 2],
                         ids=[v[0] for v in VIEWS if len(v[1]) >= 2])
@pytest.mark.parametrize("layout", ["transposed", "strided"])
def test_view_noncontiguous_inputs(name, shape, fn, ref, layout):
    # view() of a non-contiguous tensor can be impossible (test_errors); the rest must match.
    if name.startswith("view"):
        return
    check_op([shape], fn, numpy_fn=ref, layouts=[layout], run_gradcheck=False)


def test_view_op_on_noncontiguous_exercises_gradients_in_float64():
    check_op([(3, 4)], lambda x: x.reshape(-1), numpy_fn=lambda x: x.reshape(-1), layouts=["transposed"],
             dtypes=["float64"])
    check_op([(3, 4)], lambda x: x.unsqueeze(0).expand(2, 3, 4), numpy_fn=lambda x: np.broadcast_to(x, (2, 3, 4)),
             layouts=["strided"], dtypes=["float64"])


@pytest.mark.parametrize("make", [
    lambda x: x.reshape(4, 3), lambda x: x.view(-1), lambda x: x.T, lambda x: x.t(), lambda x: x.transpose(0, 1),
    lambda x: x.permute(1, 0), lambda x: x.flatten(), lambda x: x.unsqueeze(0), lambda x: x[None].squeeze(0),
    lambda x: x[:1].expand(5, 4), lambda x: x.narrow(1, 1, 2), lambda x: x[1:3], lambda x: x[::2, 1::2],
    lambda x: x[1], lambda x: x[:, 1], lambda x: x.select(1, 3), lambda x: x.unbind(0)[2],
    lambda x: x.chunk(2, 1)[1], lambda x: x.split(2)[1], lambda x: x.split([1, 3], 1)[1], lambda x: x.mT,
    lambda x: x[..., None], lambda x: x.view_as(x), lambda x: x.detach(), lambda x: x.data,
])
def test_views_share_storage_and_write_through(make):
    base = fasttensor.arange(12, dtype=fasttensor.float32).reshape(3, 4)
    view = make(base)
    assert shares_storage(view, base)
    expected = base.numpy().copy()
    view_np = make_numpy(make, expected)
    view.fill_(-5.0)
    view_np[...] = -5.0
    np.testing.assert_array_equal(base.numpy(), expected)


def make_numpy(make, arr):
    """The NumPy view that `make` builds on a fasttensor, via the same index arithmetic."""
    t = fasttensor.from_numpy(arr)
    v = make(t)
    assert shares_storage(v, t)
    # Map the fasttensor view back to a NumPy view with the same strides and offset.
    itemsize = arr.itemsize
    return np.lib.stride_tricks.as_strided(arr.reshape(-1)[v.storage_offset():], shape=tuple(v.shape),
                                           strides=tuple(s * itemsize for s in v.stride()))


def test_reshape_of_noncontiguous_copies_and_keeps_values():
    base = fasttensor.arange(12, dtype=fasttensor.float32).reshape(3, 4)
    r = base.T.reshape(-1)
    np.testing.assert_array_equal(r.numpy(), np.arange(12).reshape(3, 4).T.reshape(-1))
    r.fill_(0)
    assert base.numpy().sum() == 66  # a copy: the base is untouched


def test_reshape_of_contiguous_slice_is_a_view():
    base = fasttensor.arange(24, dtype=fasttensor.float32).reshape(4, 6)
    v = base[1:3].reshape(-1)
    assert shares_storage(v, base)
    v[0] = 100
    assert base[1, 0].item() == 100


def test_strides_and_contiguity():
    x = fasttensor.zeros(2, 3, 4)
    assert x.stride() == (12, 4, 1) and x.is_contiguous()
    assert x.transpose(0, 2).stride() == (1, 4, 12) and not x.transpose(0, 2).is_contiguous()
    assert x[:, ::2].stride() == (12, 8, 1)
    assert x[1].storage_offset() == 12
    e = fasttensor.zeros(3, 1).expand(3, 5)
    assert e.stride() == (1, 0)
    c = x.transpose(0, 1).contiguous()
    assert c.is_contiguous() and c.stride() == (8, 4, 1) and not shares_storage(c, x)
    assert x.contiguous() is x or shares_storage(x.contiguous(), x)
    assert x.stride(1) == 4 and x.stride(-1) == 1


def test_contiguous_of_views_matches():
    check_op([(3, 4, 5)], lambda x: x.permute(2, 0, 1).contiguous(), numpy_fn=lambda x: np.transpose(x, (2, 0, 1)))
    check_op([(3, 4, 5)], lambda x: x[:, ::2].contiguous(), numpy_fn=lambda x: x[:, ::2])
    check_op([(3, 4, 5)], lambda x: x.clone(), numpy_fn=lambda x: x, layouts=LAYOUTS)


def test_clone_is_a_copy():
    x = fasttensor.arange(4, dtype=fasttensor.float32)
    c = x.clone()
    assert not shares_storage(c, x)
    c[0] = 9
    assert x[0].item() == 0


# --- unbind / chunk / split --------------------------------------------------------------

@pytest.mark.parametrize("dim", [0, 1, -1])
def test_unbind(dim):
    check_op([(3, 4)], lambda x: x.unbind(dim), numpy_fn=lambda x: [np.take(x, i, dim) for i in range(
        x.shape[dim])], dtypes=F)
    check_op([(3, 4)], lambda x: lib(x).unbind(x, dim), numpy_fn=lambda x: [np.take(x, i, dim) for i in range(
        x.shape[dim])], layouts=["transposed"])


def test_unbind_and_iteration():
    x = fasttensor.arange(6).reshape(3, 2)
    rows = list(x)
    assert len(rows) == 3 and rows[1].tolist() == [2, 3]
    assert all(isinstance(r, fasttensor.Tensor) for r in x.unbind())


@pytest.mark.parametrize("chunks,dim", [(2, 0), (3, 0), (4, 1), (5, 1), (1, 0), (10, 0)], ids=ids)
def test_chunk(chunks, dim):
    def ref(x):
        size = -(-x.shape[dim] // chunks)
        return [np.take(x, range(i, min(i + size, x.shape[dim])), dim) for i in range(0, x.shape[dim], size)]

    check_op([(7, 5)], lambda x: x.chunk(chunks, dim), numpy_fn=ref, dtypes=F)
    check_op([(7, 5)], lambda x: lib(x).chunk(x, chunks, dim=dim), numpy_fn=ref, layouts=["strided"])


@pytest.mark.parametrize("split,dim", [(2, 0), (3, 1), (7, 0), (10, 1), ([2, 5], 0), ([1, 1, 3], 1), ((4, 0, 3), 0)],
                         ids=ids)
def test_split(split, dim):
    def ref(x):
        n = x.shape[dim]
        if isinstance(split, int):
            bounds = list(range(split, n, split))
        else:
            bounds = list(np.cumsum(split)[:-1])
        return np.split(x, bounds, axis=dim)

    check_op([(7, 5)], lambda x: x.split(split, dim), numpy_fn=ref, dtypes=F)
    check_op([(7, 5)], lambda x: lib(x).split(x, split, dim), numpy_fn=ref, layouts=["transposed"])


def test_unbind_chunk_split_return_tuples():
    # PyTorch returns tuples here; code that concatenates or compares with tuples relies on it.
    x = fasttensor.arange(6).reshape(3, 2)
    for pieces in (x.unbind(), x.chunk(2), x.split(2), x.split([1, 2]), fasttensor.unbind(x, 1),
                   fasttensor.chunk(x, 3), fasttensor.split(x, 1, dim=1)):
        assert type(pieces) is tuple
    assert [p.tolist() for p in x.split([1, 2])] == [[[0, 1]], [[2, 3], [4, 5]]]


def test_chunk_gradient_when_only_some_pieces_used():
    check_op([(6, 4)], lambda x: x.chunk(3)[1] * 2, numpy_fn=lambda x: x[2:4] * 2)
    check_op([(6, 4)], lambda x: x.unbind(1)[0] + x.unbind(1)[3], numpy_fn=lambda x: x[:, 0] + x[:, 3])


# --- repeat / meshgrid ----------------------------------------------------------------------

@pytest.mark.parametrize("shape,reps", [((3, 5), (2, 1)), ((3, 5), (1, 3)), ((3, 5), (2, 2, 3)), ((3, 5), (0, 1)),
                                        ((3, 5), (1, 1)), ((7,), (3,)), ((), (3,)), ((), (2, 2)), ((), ()),
                                        ((0, 4), (2, 2)), ((2, 1, 3), (1, 4, 1))], ids=ids)
def test_repeat(shape, reps):
    if reps:  # repeat() with no argument at all is a TypeError; repeat(()) is fine
        check_op([shape], lambda x: x.repeat(*reps), numpy_fn=lambda x: np.tile(x, reps), dtypes=F + ("int64",))
    check_op([shape], lambda x: x.repeat(reps), numpy_fn=lambda x: np.tile(x, reps), layouts=["transposed", "strided"])


def test_repeat_is_a_copy():
    x = fasttensor.arange(4.0)
    y = x.repeat(1)
    y[0] = 9
    assert x.tolist() == [0.0, 1.0, 2.0, 3.0]
    z = fasttensor.ones(2, requires_grad=True).repeat(3)
    assert z.grad_fn.name() == "RepeatBackward0"


@pytest.mark.parametrize("indexing", ["ij", "xy"])
@pytest.mark.parametrize("shapes", [[(3,), (4,)], [(2,), (3,), (4,)], [(5,)], [(), (3,)], [(0,), (2,)]], ids=ids)
def test_meshgrid(shapes, indexing):
    ref = lambda *xs: np.meshgrid(*xs, indexing=indexing)  # noqa: E731
    check_op(shapes, lambda *xs: lib(xs[0]).meshgrid(*xs, indexing=indexing), numpy_fn=ref)
    check_op(shapes, lambda *xs: lib(xs[0]).meshgrid(list(xs), indexing=indexing), numpy_fn=ref, dtypes=["int64"],
             layouts=["strided"], grad=False)


def test_meshgrid_default_indexing_warns_and_returns_views():
    x, y = fasttensor.arange(2), fasttensor.arange(3)
    with pytest.warns(UserWarning, match="it will be required to pass the indexing argument"):
        gx, gy = fasttensor.meshgrid(x, y)
    assert gx.tolist() == [[0, 0, 0], [1, 1, 1]] and gy.tolist() == [[0, 1, 2], [0, 1, 2]]
    assert isinstance(fasttensor.meshgrid(x, indexing="ij"), tuple)
    x[1] = 7  # the grids are views of the inputs, as PyTorch's
    assert gx.tolist() == [[0, 0, 0], [7, 7, 7]]


# --- cat / stack ---------------------------------------------------------------------------

@pytest.mark.parametrize("shapes,dim", [
    ([(3, 4), (2, 4)], 0), ([(3, 4), (3, 2)], 1), ([(3, 4), (3, 4), (3, 1)], -1), ([(2, 3, 4), (2, 1, 4)], 1),
    ([(3, 4), (0, 4)], 0), ([(5,), (3,)], 0), ([(1, 4)], 0),
], ids=ids)
def test_cat(shapes, dim):
    check_op(shapes, lambda *xs: lib(xs[0]).cat(xs, dim=dim), numpy_fn=lambda *xs: np.concatenate(xs, dim),
             dtypes=F)
    check_op(shapes, lambda *xs: lib(xs[0]).cat(list(xs), dim), numpy_fn=lambda *xs: np.concatenate(xs, dim),
             layouts=["transposed", "strided"])
    check_op(shapes, lambda *xs: lib(xs[0]).concat(xs, dim), numpy_fn=lambda *xs: np.concatenate(xs, dim),
             dtypes=["int64"], grad=False)


def test_cat_d2l():
    # d2l 2.1.3: torch.cat((X, Y), dim=0) and dim=1.
    X = fasttensor.arange(12, dtype=fasttensor.float32).reshape((3, 4))
    Y = fasttensor.tensor([[2.0, 1, 4, 3], [1, 2, 3, 4], [4, 3, 2, 1]])
    assert fasttensor.cat((X, Y), dim=0).shape == (6, 4)
    assert fasttensor.cat((X, Y), dim=1).tolist()[2] == [8.0, 9.0, 10.0, 11.0, 4.0, 3.0, 2.0, 1.0]


def test_cat_mixed_dtypes_promote():
    check_op([(2, 3), (1, 3)], lambda a, b: lib(a).cat([a, b]), numpy_fn=lambda a, b: np.concatenate([a, b]),
             dtypes=[("int64", "float32"), ("float32", "float64"), ("uint8", "int32")], grad=False)


def test_cat_large():
    check_op([(300, 301), (200, 301)], lambda a, b: lib(a).cat([a, b]), numpy_fn=lambda a, b: np.concatenate([a, b]),
             run_gradcheck=False)
    check_op([(300, 301), (300, 17)], lambda a, b: lib(a).cat([a, b], 1), numpy_fn=lambda a, b: np.concatenate(
        [a, b], 1), run_gradcheck=False, layouts=["transposed"])


@pytest.mark.parametrize("dim", [0, 1, 2, -1])
def test_stack(dim):
    check_op([(3, 4), (3, 4), (3, 4)], lambda *xs: lib(xs[0]).stack(xs, dim), numpy_fn=lambda *xs: np.stack(
        xs, dim), dtypes=F)
    check_op([(3, 4), (3, 4)], lambda *xs: lib(xs[0]).stack(list(xs), dim=dim), numpy_fn=lambda *xs: np.stack(
        xs, dim), layouts=["strided"])


def test_stack_0d_and_mixed():
    check_op([(), ()], lambda a, b: lib(a).stack([a, b]), numpy_fn=lambda a, b: np.stack([a, b]))
    check_op([(2,), (2,)], lambda a, b: lib(a).stack([a, b]), numpy_fn=lambda a, b: np.stack([a, b]),
             dtypes=[("int64", "float32")], grad=False)


def test_views_of_views_gradient():
    check_op([(4, 6)], lambda x: x.T[1:, ::2].reshape(-1).unsqueeze(0).expand(3, -1),
             numpy_fn=lambda x: np.broadcast_to(x.T[1:, ::2].reshape(-1)[None], (3, 10)))
    check_op([(2, 3, 4)], lambda x: x.permute(2, 0, 1).flatten(1)[::3].squeeze(),
             numpy_fn=lambda x: np.transpose(x, (2, 0, 1)).reshape(4, 6)[::3])


# --- flip / roll / triu / tril / diag / trace / outer (composed of indexing, cat and where) ------------

FLIP_ROLL = [
    ("flip0", lambda x: lib(x).flip(x, [0]), lambda x: np.flip(x, 0)),
    ("flip_both", lambda x: x.flip((0, -1)), lambda x: np.flip(x, (0, 1))),
    ("flip_none", lambda x: x.flip([]), lambda x: x.copy()),
    ("roll_flat", lambda x: lib(x).roll(x, 4), lambda x: np.roll(x, 4)),
    ("roll_neg", lambda x: x.roll(-7, 1), lambda x: np.roll(x, -7, 1)),
    ("roll_two", lambda x: lib(x).roll(x, (1, -2), (0, 1)), lambda x: np.roll(x, (1, -2), (0, 1))),
    ("roll_zero", lambda x: x.roll(0, 0), lambda x: x.copy()),
    ("triu", lambda x: lib(x).triu(x), np.triu),
    ("triu_1", lambda x: x.triu(1), lambda x: np.triu(x, 1)),
    ("triu_neg", lambda x: x.triu(-1), lambda x: np.triu(x, -1)),
    ("tril", lambda x: lib(x).tril(x), np.tril),
    ("tril_2", lambda x: x.tril(2), lambda x: np.tril(x, 2)),
    ("diag", lambda x: lib(x).diag(x), np.diag),
    ("diag_1", lambda x: x.diag(1), lambda x: np.diag(x, 1)),
    ("diag_neg", lambda x: lib(x).diag(x, -2), lambda x: np.diag(x, -2)),
    ("diag_far", lambda x: lib(x).diag(x, 9), lambda x: np.diag(x, 9)),
    ("trace", lambda x: lib(x).trace(x), np.trace),
]


@pytest.mark.parametrize("name,fn,ref", FLIP_ROLL, ids=[f[0] for f in FLIP_ROLL])
def test_flip_roll_band_diag(name, fn, ref):
    check_op([(4, 5)], fn, numpy_fn=ref, dtypes=F + ("int64",))
    check_op([(4, 5)], fn, numpy_fn=ref, layouts=["transposed", "strided"], run_gradcheck=False)


@pytest.mark.parametrize("shape", [(0, 3), (3,), (2, 3, 4)], ids=ids)
def test_flip_roll_band_other_shapes(shape):
    check_op([shape], lambda x: x.flip(-1), numpy_fn=lambda x: np.flip(x, -1))
    check_op([shape], lambda x: x.roll(2, -1), numpy_fn=lambda x: np.roll(x, 2, -1))
    if len(shape) >= 2:
        check_op([shape], lambda x: x.triu(1), numpy_fn=lambda x: np.triu(x, 1))
        check_op([shape], lambda x: x.tril(), numpy_fn=np.tril)


def test_diag_of_vector_and_outer():
    check_op([(3,)], lambda x: lib(x).diag(x), numpy_fn=np.diag, dtypes=F + ("int64",))
    check_op([(3,)], lambda x: x.diag(2), numpy_fn=lambda x: np.diag(x, 2))
    check_op([(3,)], lambda x: x.diag(-1), numpy_fn=lambda x: np.diag(x, -1), layouts=["strided"])
    check_op([(3,), (4,)], lambda x, y: lib(x).outer(x, y), numpy_fn=np.outer, dtypes=F + (("float32", "int64"),))


def test_flip_roll_band_errors():
    x = fasttensor.ones(2, 3)
    for fn, exc, message in (
            (lambda: x.flip([0, 0]), RuntimeError, "dim 0 appears multiple times in the list of dims"),
            (lambda: x.flip([3]), IndexError, "Dimension out of range"),
            (lambda: x.roll((1, 2), (0,)), RuntimeError, "shifts and dimensions must align. shifts: 2, dims:1"),
            (lambda: fasttensor.triu(fasttensor.ones(2)), RuntimeError, "triu: input tensor must have at least 2"),
            (lambda: fasttensor.diag(fasttensor.ones(2, 2, 2)), RuntimeError, r"diag\(\): Supports 1D or 2D tensors"),
            (lambda: fasttensor.trace(fasttensor.ones(3)), RuntimeError, "trace: expected a matrix"),
            (lambda: fasttensor.outer(x, fasttensor.ones(2)), RuntimeError, "outer: Expected 1-D argument self")):
        with pytest.raises(exc, match=message):
            fn()
    y = x.flip(0)
    y[0, 0] = 5  # flip and roll copy, as PyTorch's
    assert x[1, 0].item() == 1.0


def test_T_warns_outside_matrices_as_torch():
    with pytest.warns(UserWarning, match="Tensor.T is deprecated on 0-D tensors"):
        assert fasttensor.tensor(1.0).T.shape == ()
    with pytest.warns(UserWarning, match="other than 2 to reverse their shape is deprecated"):
        assert fasttensor.ones(2, 3, 4).T.shape == (4, 3, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert fasttensor.ones(2, 3).T.shape == (3, 2)



# --- layouts of copies: clone and *_like keep a dense input's strides (preserve_format) -------------


LAYOUT_INPUTS = {
    "transposed": lambda m: m.arange(6.).reshape(2, 3).t(),
    "permuted": lambda m: m.arange(60.).reshape(4, 3, 5).permute(2, 0, 1),
    "size-1 dims": lambda m: m.arange(6.).reshape(2, 1, 3).permute(2, 1, 0),
    "sliced (not dense)": lambda m: m.arange(24.).reshape(4, 6)[:, ::2],
    "expanded (overlapping)": lambda m: m.arange(3.).expand(4, 3),
    "contiguous": lambda m: m.arange(6.).reshape(2, 3),
    "empty": lambda m: m.zeros(0, 3).t(),
}


@pytest.mark.parametrize("case", list(LAYOUT_INPUTS))
def test_copies_keep_dense_layouts(case):
    x = LAYOUT_INPUTS[case](fasttensor)
    dense = case in ("transposed", "permuted", "size-1 dims", "empty")
    want = x.stride() if dense else fasttensor.empty(x.shape).stride()
    for made in (x.clone(), fasttensor.clone(x), fasttensor.empty_like(x), fasttensor.zeros_like(x),
                 fasttensor.ones_like(x), fasttensor.full_like(x, 2.0), fasttensor.rand_like(x), fasttensor.randn_like(x),
                 fasttensor.randint_like(x, 5)):
        assert made.shape == x.shape and made.stride() == want
    np.testing.assert_array_equal(x.clone().numpy(), x.numpy())
    assert x.clone(memory_format=fasttensor.contiguous_format).is_contiguous()
    assert fasttensor.zeros_like(x, memory_format=fasttensor.contiguous_format).is_contiguous()


def _views_flat(t) -> str:
    try:
        t.clone().view(-1)
        return "viewed"
    except RuntimeError:
        return "refused"


@pytest.mark.parametrize("case", list(LAYOUT_INPUTS))
def test_copy_layouts_match_torch(torch, case):
    x, tx = LAYOUT_INPUTS[case](fasttensor), LAYOUT_INPUTS[case](torch)
    for f in ("clone", "zeros_like", "empty_like", "rand_like"):
        assert getattr(fasttensor, f)(x).stride() == getattr(torch, f)(tx).stride(), f
    assert _views_flat(x) == _views_flat(tx)  # a transposed copy cannot be flattened by view, as torch's
    assert repr(fasttensor.contiguous_format) == "fasttensor.contiguous_format"


# --- layouts of elementwise results: the inputs' memory order (PyTorch's TensorIterator) ------------

OP_LAYOUTS = {
    "transposed + number": lambda m: m.arange(6.).reshape(2, 3).t() + 1,
    "transposed * transposed": lambda m: m.arange(6.).reshape(2, 3).t() * m.arange(6.).reshape(2, 3).t(),
    "transposed + contiguous": lambda m: m.arange(6.).reshape(2, 3).t() + m.ones(3, 2),
    "contiguous + transposed": lambda m: m.ones(3, 2) + m.arange(6.).reshape(2, 3).t(),
    "transposed + row": lambda m: m.arange(6.).reshape(2, 3).t() + m.arange(2.),
    "row + transposed": lambda m: m.arange(2.) + m.arange(6.).reshape(2, 3).t(),
    "exp of transposed": lambda m: m.arange(6.).reshape(2, 3).t().exp(),
    "neg of permuted": lambda m: -m.arange(24.).reshape(2, 3, 4).permute(2, 0, 1),
    "relu of transposed": lambda m: (m.arange(20.).reshape(4, 5).t() - 9).relu(),
    "comparison": lambda m: m.arange(20.).reshape(4, 5).t() > 9,
    "where": lambda m: m.where(m.arange(20.).reshape(4, 5).t() > 9, m.ones(5, 4), 0.0),
    "clamp": lambda m: m.arange(20.).reshape(4, 5).t().clamp(3, 9),
    "size-1 dim": lambda m: m.arange(4.).reshape(4, 1).t() + 1,
    "outer broadcast": lambda m: m.arange(3.).reshape(3, 1) + m.arange(4.).reshape(1, 4),
    "sliced": lambda m: m.arange(24.).reshape(4, 6)[:, ::2] * 2,
    "sliced transposed": lambda m: m.arange(24.).reshape(6, 4).t()[:, ::2] * 2,
    "expanded": lambda m: m.arange(3.).expand(4, 3) + 1,
    "two permutations": lambda m: m.ones(2, 3, 4).permute(2, 0, 1) + m.arange(24.).reshape(4, 2, 3),
    "empty transposed": lambda m: m.ones(0, 3).t() + 1,
    "int to float": lambda m: m.arange(6).reshape(2, 3).t() + 1.5,
    ".to(float64)": lambda m: m.arange(6.).reshape(2, 3).t().to(m.float64),
    ".double() of a slice": lambda m: m.arange(24.).reshape(4, 6)[:, ::2].double(),
    ".int()": lambda m: m.arange(6.).reshape(2, 3).t().int(),
}


@pytest.mark.parametrize("case", list(OP_LAYOUTS))
def test_elementwise_results_follow_the_inputs_layout(torch, case):
    got, want = OP_LAYOUTS[case](fasttensor), OP_LAYOUTS[case](torch)
    assert got.stride() == want.stride() and got.is_contiguous() == want.is_contiguous()
    np.testing.assert_array_equal(got.numpy(), want.numpy())


def test_transposed_results_are_one_contiguous_block():
    # exp of a transposed tensor is itself transposed (strides (1, 3)) and its values are exp of each
    # element; .t() of it is contiguous, so it views as one flat block.
    x = fasttensor.arange(6.).reshape(2, 3)
    y = x.t().exp()
    assert y.stride() == (1, 3) and y.t().is_contiguous()
    np.testing.assert_allclose(y.t().reshape(-1).numpy(), np.exp(np.arange(6.0)), rtol=1e-6)


# --- layouts of other results: contiguous, or the input's (sort) --------------------------------

def _transposed(m):
    return m.arange(24.).reshape(2, 3, 4).transpose(1, 2)  # strides (12, 1, 4)


def _permuted(m):
    return m.arange(24.).reshape(2, 3, 4).permute(2, 0, 1)  # strides (1, 12, 4)


RESULT_LAYOUTS = {  # name: (function, "contiguous" or the input whose strides the result has)
    "softmax over dim 0": (lambda m: _transposed(m).softmax(0), "contiguous"),
    "log_softmax over dim 1": (lambda m: _permuted(m).log_softmax(1), "contiguous"),
    "softmax of a slice": (lambda m: m.arange(24.).reshape(2, 3, 4)[:, ::2].softmax(0), "contiguous"),
    "masked_fill": (lambda m: _permuted(m).masked_fill(_permuted(m) > 5, 0.0), "contiguous"),
    "masked_fill, broadcast mask": (lambda m: _transposed(m).masked_fill(m.tensor([True, False, True]), -1.0),
                                    "contiguous"),
    "tril": (lambda m: _permuted(m).tril(), "contiguous"),
    "triu": (lambda m: m.arange(24.).reshape(2, 3, 4).transpose(0, 2).triu(1), "contiguous"),
    "cummax values": (lambda m: _transposed(m).cummax(0)[0], "contiguous"),
    "cummin indices": (lambda m: _permuted(m).cummin(2)[1], "contiguous"),
    "logcumsumexp": (lambda m: _transposed(m).logcumsumexp(0), "contiguous"),
    "layer_norm": (lambda m: m.nn.functional.layer_norm(_permuted(m), (3,)), "contiguous"),
    "sort values": (lambda m: _transposed(m).sort(0)[0], _transposed),
    "sort values, requires grad": (lambda m: _transposed(m).requires_grad_().sort(1, descending=True)[0],
                                   _transposed),
    "sort indices": (lambda m: _permuted(m).sort(1)[1], _permuted),
    "argsort": (lambda m: _transposed(m).argsort(-1), _transposed),
    "flip": (lambda m: _permuted(m).flip(0, 2), _permuted),
    "flip of a slice": (lambda m: m.arange(24.).reshape(2, 3, 4)[:, ::2].flip(1), "contiguous"),
}


@pytest.mark.parametrize("case", list(RESULT_LAYOUTS))
def test_result_layouts_follow_torchs_rule(case):
    fn, rule = RESULT_LAYOUTS[case]
    got = fn(fasttensor)
    if rule == "contiguous":
        assert got.is_contiguous()
    else:
        assert got.stride() == rule(fasttensor).stride() and not got.is_contiguous()


@pytest.mark.parametrize("case", list(RESULT_LAYOUTS))
def test_result_layouts_match_torch(torch, case):
    fn, _ = RESULT_LAYOUTS[case]
    got, want = fn(fasttensor), fn(torch)
    assert got.stride() == want.stride()
    np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-6)


# --- view(dtype): the same bytes as another dtype of the same size ----------------------------------

@pytest.mark.parametrize("src,dst", [("float32", "int32"), ("int32", "float32"), ("float64", "int64"),
                                     ("int64", "float64"), ("bool", "uint8"), ("uint8", "bool")])
def test_view_as_a_dtype_of_the_same_size_reinterprets_the_bytes(src, dst):
    values = np.array([[0.0, -0.0, 1.5, -2.0], [7.0, -9.0, 3.0, 0.25]])
    if src in ("bool", "uint8"):
        values = np.array([[0, 1, 1, 0], [1, 0, 0, 1]])
    a = np.ascontiguousarray(values.astype(src).T)  # the view of a transposed tensor keeps its strides
    t = fasttensor.tensor(values.astype(src)).t()
    v = t.view(getattr(fasttensor, dst))
    assert v.dtype == getattr(fasttensor, dst) and v.shape == t.shape and v.stride() == t.stride()
    np.testing.assert_array_equal(v.numpy(), a.view(dst))
    assert shares_storage(v, t) and t.view(dtype=getattr(fasttensor, dst)).dtype == v.dtype
    v[0, 0] = v[1, 1]  # writes through
    assert t.numpy()[0, 0] == t.numpy()[1, 1]


def test_view_dtype_edges():
    x = fasttensor.ones(3, requires_grad=True)
    assert not x.view(fasttensor.int32).requires_grad  # the bits are not differentiable
    same = x.view(fasttensor.float32)
    assert same.grad_fn.name() == "ViewBackward0" and shares_storage(same, x)
    with pytest.raises(NotImplementedError, match=r"only dtypes of the same size .*float32 has 4 bytes, uint8 1"):
        x.view(fasttensor.uint8)


def test_signbit_reads_the_sign_bit_of_nans_and_zeros():
    x = fasttensor.tensor([float("nan"), -float("nan"), -0.0, 0.0, -1.0, -float("inf"), 2.0])
    want = [False, True, True, False, True, True, False]
    assert fasttensor.signbit(x).tolist() == want and fasttensor.signbit(x.double()).tolist() == want
    assert fasttensor.copysign(fasttensor.ones(7), x).tolist() == [1.0, -1.0, -1.0, 1.0, -1.0, -1.0, 1.0]


# The size arguments of view / reshape / permute / expand in every form: exact Python ints (read
# straight from the argument tuple, csrc/python/convert.cpp exact_ints) and the others (bools,
# NumPy and tensor ints, ints beyond int64, mixed forms), which take the general path: the same
# shapes, or PyTorch's error type.
SIZE_FORMS = [
    ("view", (2, 6), lambda m, x: x.view(3, 4)), ("view", (2, 6), lambda m, x: x.view((3, -1))),
    ("view", (2, 6), lambda m, x: x.view([4, 3])), ("view", (2, 6), lambda m, x: x.view(m.Size([12]))),
    ("view", (2, 6), lambda m, x: x.view(size=(6, 2))), ("view", (1,), lambda m, x: x.view(())),
    ("view", (2, 6), lambda m, x: x.view(np.int64(3), 4)),
    ("view", (2, 6), lambda m, x: x.view(m.tensor(3), 4)), ("view", (2, 6), lambda m, x: x.view([np.int32(2), 6])),
    ("reshape", (2, 6), lambda m, x: x.reshape(x.shape[::-1])), ("reshape", (2, 6), lambda m, x: x.reshape(12, 1)),
    ("reshape", (2, 6), lambda m, x: x.reshape(shape=[3, 4])), ("permute", (2, 3, 1), lambda m, x: x.permute(2, 0, 1)),
    ("permute", (2, 3, 1), lambda m, x: x.permute((1, 2, 0))), ("permute", (2, 3, 1), lambda m, x: x.permute([-1, 0, 1])),
    ("expand", (3, 1), lambda m, x: x.expand(2, 3, 4)), ("expand", (3, 1), lambda m, x: x.expand((3, -1))),
]


@pytest.mark.parametrize("name,shape,call", SIZE_FORMS, ids=[f"{s[0]}{i}" for i, s in enumerate(SIZE_FORMS)])
def test_size_argument_forms(name, shape, call):
    n = int(np.prod(shape))
    got = call(fasttensor, fasttensor.arange(float(n)).reshape(shape))
    if HAVE_TORCH:
        want = call(torch, torch.arange(float(n)).reshape(shape))
        assert tuple(got.shape) == tuple(want.shape)
        np.testing.assert_array_equal(got.numpy(), want.numpy())


SIZE_ERRORS = [
    lambda m, x: x.view(2.0, 6), lambda m, x: x.view((3, "4")), lambda m, x: x.reshape(5, -1),
    lambda m, x: x.view(*([1] * 13)), lambda m, x: x.permute(0, 0), lambda m, x: x.view(2, (6,)),
]


@pytest.mark.parametrize("call", SIZE_ERRORS, ids=[str(i) for i in range(len(SIZE_ERRORS))])
def test_size_argument_errors(call):
    with pytest.raises((TypeError, RuntimeError, OverflowError)) as ours:
        call(fasttensor, fasttensor.zeros(2, 6))
    if HAVE_TORCH:
        with pytest.raises((TypeError, RuntimeError, OverflowError)) as theirs:
            call(torch, torch.zeros(2, 6))
        assert ours.type is theirs.type or issubclass(theirs.type, ours.type) or issubclass(ours.type, theirs.type), (
            ours.value, theirs.value)


@pytest.mark.parametrize("call,message", [
    (lambda m, x: x.view(2**63, 1), r"^view\(\): argument 'size' failed to unpack the object at pos 1 with error "
                                    r"\"Overflow when unpacking long long"),
    (lambda m, x: x.view((2, -2**63 - 1)), r"^view\(\): argument 'size' failed to unpack the object at pos 2 with error "
                                            r"\"Overflow when unpacking long long"),
    (lambda m, x: x.reshape([2**64]), r"^reshape\(\): argument 'shape' failed to unpack the object at pos 1"),
    (lambda m, x: x.permute(2**63, 0), r"^permute\(\): argument 'dims' failed to unpack the object at pos 1"),
    (lambda m, x: x.repeat(2**63), r"^repeat\(\): argument 'repeats' failed to unpack the object at pos 1"),
    (lambda m, x: x.reshape(), r'^reshape\(\) missing 1 required positional arguments: "shape"$'),
    (lambda m, x: x.expand(), r'^expand\(\) missing 1 required positional arguments: "size"$'),
    (lambda m, x: x.view(), r"^view\(\) received an invalid combination of arguments - got \(\), but expected one of:"),
], ids=["view_int", "view_tuple", "reshape", "permute", "repeat", "reshape_none", "expand_none", "view_none"])
def test_size_argument_type_errors_are_pytorchs(call, message):
    raises_like(lambda m: call(m, m.zeros(2, 6)), TypeError, message)


# PyTorch's parser of a size: the first element chooses the signature (a bool, float, None or str
# there is refused in the words of a signature mismatch), the rest are unpacked, where a bool
# counts as an int (view(2, True) is view(2, 1)) and anything else not an int is refused.
_NAMES = {"view": "size", "reshape": "shape", "expand": "size", "permute": "dims", "repeat": "repeats"}
_VIEW_MISMATCH = r"^view\(\) received an invalid combination of arguments - got \({}\), but expected one of:\n \* \((torch|fasttensor)\.dtype dtype\)\n"


@pytest.mark.parametrize("method", list(_NAMES))
@pytest.mark.parametrize("bad,type_name", [(True, "bool"), (2.0, "float"), (None, "NoneType"), ("a", "str")])
def test_size_element_types_are_refused_as_pytorch_does(method, bad, type_name):
    param = _NAMES[method]
    first = ({"view": _VIEW_MISMATCH.format(f"{type_name}, int")} |
             dict.fromkeys(["reshape", "expand", "permute", "repeat"], rf"^{method}\(\) takes 1 positional argument but 2 were given$"))
    raises_like(lambda m: getattr(m.zeros(2, 1), method)(bad, 1), TypeError, first[method])
    in_sequence = (_VIEW_MISMATCH.format("tuple") if method == "view" else
                   rf"^{method}\(\): argument '{param}' \(position 1\) must be tuple of ints, but found element of type {type_name} at pos 0$")
    raises_like(lambda m: getattr(m.zeros(2, 1), method)((bad, 1)), TypeError, in_sequence)
    alone = (_VIEW_MISMATCH.format(type_name) if method == "view" else
             rf"^{method}\(\): argument '{param}' \(position 1\) must be tuple of ints, not {type_name}$")
    raises_like(lambda m: getattr(m.zeros(2, 1), method)(bad), TypeError, alone)
    if bad is not True:  # after the first: "failed to unpack", for all but a bool
        raises_like(lambda m: getattr(m.zeros(2, 1), method)(1, bad), TypeError,
                    rf"^{method}\(\): argument '{param}' failed to unpack the object at pos 2 with error \"type must be tuple of ints,but got {type_name}\"$")


@pytest.mark.parametrize("call", [
    lambda m, x: x.view(2, True), lambda m, x: x.view((2, True)), lambda m, x: x.reshape([2, True, 1]),
    lambda m, x: x.expand(2, True), lambda m, x: x.repeat(1, True), lambda m, x: x.permute(0, True),
    lambda m, x: x.view(m.tensor(2), 1), lambda m, x: x.view(np.int64(2), 1), lambda m, x: x.view(m.tensor([2]), 1),
    lambda m, x: x.reshape(np.int32(2)), lambda m, x: x.view(m.tensor(2)),
])
def test_size_elements_pytorch_takes_as_ints(call):
    ours = call(fasttensor, fasttensor.arange(2.0).reshape(2, 1))
    if HAVE_TORCH:
        compare_results(ours, call(torch, torch.arange(2.0).reshape(2, 1)))
