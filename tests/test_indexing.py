"""Indexing (csrc/ops/index.cpp): ints, slices, steps, None, Ellipsis, integer
lists and tensors, boolean masks; reads, assignment with tensor or scalar
values and broadcasting; gradients (repeated indices accumulate)."""

from __future__ import annotations

import numpy as np
import pytest

import fasttensor
from helpers import HAVE_TORCH, assert_close, check_op, ids, lib, torch

F = ("float32", "float64")


def T(x, data, dtype=None):
    """An index tensor in x's library."""
    m = lib(x)
    return m.tensor(data) if dtype is None else m.tensor(data, dtype=getattr(m, dtype))


READS = [
    ("int", lambda x: x[1], lambda x: x[1]),
    ("neg_int", lambda x: x[-1], lambda x: x[-1]),
    ("int_int", lambda x: x[1, 2], lambda x: x[1, 2]),
    ("int_int_neg", lambda x: x[-2, -1], lambda x: x[-2, -1]),
    ("slice", lambda x: x[1:3], lambda x: x[1:3]),
    ("slice_open", lambda x: x[:2], lambda x: x[:2]),
    ("slice_step", lambda x: x[::2], lambda x: x[::2]),
    ("slice_step_start", lambda x: x[1::2, 1:4:2], lambda x: x[1::2, 1:4:2]),
    ("slice_empty", lambda x: x[3:1], lambda x: x[3:1]),
    ("slice_out_of_range", lambda x: x[2:99], lambda x: x[2:99]),
    ("col", lambda x: x[:, 1], lambda x: x[:, 1]),
    ("col_neg", lambda x: x[:, -1], lambda x: x[:, -1]),
    ("all", lambda x: x[:, :], lambda x: x[:, :]),
    ("ellipsis", lambda x: x[..., 2], lambda x: x[..., 2]),
    ("ellipsis_none", lambda x: x[..., None], lambda x: x[..., None]),
    ("none_front", lambda x: x[None], lambda x: x[None]),
    ("none_mid", lambda x: x[:, None, 1:], lambda x: x[:, None, 1:]),
    ("none_int", lambda x: x[None, 0, None], lambda x: x[None, 0, None]),
    ("tuple_ellipsis_slice", lambda x: x[..., 1:3], lambda x: x[..., 1:3]),
    ("list", lambda x: x[[0, 2]], lambda x: x[[0, 2]]),
    ("list_repeated", lambda x: x[[1, 1, 0, 1]], lambda x: x[[1, 1, 0, 1]]),
    ("list_neg", lambda x: x[[-1, 0]], lambda x: x[[-1, 0]]),
    ("tensor_idx", lambda x: x[T(x, [2, 0, 2])], lambda x: x[[2, 0, 2]]),
    ("tensor_idx_2d", lambda x: x[T(x, [[0, 1], [2, 2]])], lambda x: x[np.array([[0, 1], [2, 2]])]),
    ("pair_lists", lambda x: x[[0, 1], [3, 2]], lambda x: x[[0, 1], [3, 2]]),
    ("pair_list_tensor", lambda x: x[[0, 1, 2], T(x, [1, 1, 4])], lambda x: x[[0, 1, 2], [1, 1, 4]]),
    ("list_range", lambda x: x[list(range(3)), T(x, [4, 0, 2])], lambda x: x[[0, 1, 2], [4, 0, 2]]),
    ("col_list", lambda x: x[:, [4, 0]], lambda x: x[:, [4, 0]]),
    ("int_tensor_0d", lambda x: x[T(x, 1)], lambda x: x[1]),
    ("int32_idx", lambda x: x[T(x, [2, 1], "int32")], lambda x: x[[2, 1]]),
    ("slice_then_list", lambda x: x[1:, [0, 0, 3]], lambda x: x[1:, [0, 0, 3]]),
    ("bool_mask", lambda x: x[x > 0], lambda x: x[x > 0]),
    ("bool_row_mask", lambda x: x[T(x, [True, False, True])], lambda x: x[[True, False, True]]),
    ("bool_col_mask", lambda x: x[:, T(x, [True, False, True, True, False])],
     lambda x: x[:, [True, False, True, True, False]]),
    ("bool_all_false", lambda x: x[x > 100], lambda x: x[x > 100]),
    ("python_bool", lambda x: x[True], lambda x: x[None]),
]


@pytest.mark.parametrize("name,fn,ref", READS, ids=[r[0] for r in READS])
def test_read(name, fn, ref):
    check_op([(3, 5)], fn, numpy_fn=ref, dtypes=F)
    check_op([(3, 5)], fn, numpy_fn=ref, dtypes=["int64", "bool"], grad=False, low=-3, high=3)


@pytest.mark.parametrize("name,fn,ref", READS, ids=[r[0] for r in READS])
@pytest.mark.parametrize("layout", ["transposed", "strided"])
def test_read_noncontiguous(name, fn, ref, layout):
    check_op([(3, 5)], fn, numpy_fn=ref, layouts=[layout], run_gradcheck=False)


def test_read_3d_mixed():
    check_op([(4, 3, 5)], lambda x: x[1:, [0, 2], ::2], numpy_fn=lambda x: x[1:, [0, 2], ::2])
    check_op([(4, 3, 5)], lambda x: x[[0, 3], :, [1, 4]], numpy_fn=lambda x: x[[0, 3], :, [1, 4]])
    check_op([(4, 3, 5)], lambda x: x[:, [[0], [2]], [1, 4]], numpy_fn=lambda x: x[:, [[0], [2]], [1, 4]])
    check_op([(4, 3, 5)], lambda x: x[..., [1, 1]], numpy_fn=lambda x: x[..., [1, 1]])
    check_op([(4, 3, 5)], lambda x: x[x.sum(-1) > 0], numpy_fn=lambda x: x[x.sum(-1) > 0], run_gradcheck=False)
    check_op([(4, 3, 5)], lambda x: x[2, 1:, None, -1], numpy_fn=lambda x: x[2, 1:, None, -1])


def test_read_0d_and_empty():
    check_op([()], lambda x: x[None], numpy_fn=lambda x: x[None])
    check_op([()], lambda x: x[...], numpy_fn=lambda x: x[...])
    check_op([(0, 3)], lambda x: x[:, 1], numpy_fn=lambda x: x[:, 1])
    check_op([(4, 3)], lambda x: x[[]], numpy_fn=lambda x: x[np.array([], dtype=np.int64)], grad=False)


def test_cross_entropy_style_gather_gradient_accumulates():
    # d2l 4.1: y_hat[[0, 1], y] and y_hat[list(range(n)), y]; repeated rows add up.
    y_hat = np.array([[0.1, 0.3, 0.6], [0.3, 0.2, 0.5]], np.float32)
    check_op([(2, 3)], lambda x: x[[0, 1], T(x, [0, 2])], numpy_fn=lambda x: x[[0, 1], [0, 2]], values=[y_hat])
    check_op([(2, 3)], lambda x: x[list(range(2)), T(x, [0, 2])], numpy_fn=lambda x: x[[0, 1], [0, 2]],
             values=[y_hat])
    check_op([(3, 4)], lambda x: x[[0, 0, 2, 0], [1, 1, 3, 2]], numpy_fn=lambda x: x[[0, 0, 2, 0], [1, 1, 3, 2]])
    x = fasttensor.zeros(3, requires_grad=True)
    x[[0, 0, 2, 0]].sum().backward()
    assert x.grad.tolist() == [3.0, 0.0, 1.0]


def test_large_gather_and_mask():
    idx = np.random.default_rng(0).integers(0, 300, size=1000)
    check_op([(300, 301)], lambda x: x[T(x, idx)], numpy_fn=lambda x: x[idx], run_gradcheck=False)
    check_op([(300, 301)], lambda x: x[x > 0.5], numpy_fn=lambda x: x[x > 0.5], run_gradcheck=False)
    check_op([(100_003,)], lambda x: x[::7], numpy_fn=lambda x: x[::7], run_gradcheck=False)


# --- index_select and gather ---------------------------------------------------------------

@pytest.mark.parametrize("dim,idx", [(0, [2, 0, 2, 1]), (1, [4, 0, 4]), (-1, [3]), (0, [])], ids=ids)
def test_index_select(dim, idx):
    ref = lambda x: np.take(x, np.array(idx, np.int64), axis=dim)  # noqa: E731
    check_op([(3, 5)], lambda x: x.index_select(dim, T(x, idx, "int64")), numpy_fn=ref, dtypes=F)
    check_op([(3, 5)], lambda x: lib(x).index_select(x, dim, T(x, idx, "int32")), numpy_fn=ref,
             dtypes=["int64"], grad=False, layouts=["transposed", "strided"])


def test_index_select_0d():
    check_op([()], lambda x: x.index_select(0, T(x, 0)), numpy_fn=lambda x: x)
    check_op([(4,)], lambda x: x.index_select(0, T(x, 2)), numpy_fn=lambda x: x[[2]])
    x = fasttensor.tensor([1.0, 2.0], requires_grad=True)
    assert x.index_select(0, fasttensor.tensor([1])).grad_fn.name() == "IndexSelectBackward0"


def _take_along(x, idx, dim):
    """gather's definition: idx may be smaller than x apart from dim."""
    if x.ndim == 0:
        return x.reshape(1)[idx.reshape(-1)].reshape(idx.shape)
    part = x[tuple(slice(0, n) if k != dim % x.ndim else slice(None) for k, n in enumerate(idx.shape))]
    return np.take_along_axis(part, idx, axis=dim)


GATHERS = [  # input shape, dim, index
    ((3, 5), 1, [[4, 0, 0, 2], [1, 1, 1, 1], [3, 2, 4, 0]]),
    ((3, 5), 0, [[2, 0, 1, 1, 0], [0, 0, 2, 1, 2]]),
    ((3, 5), -1, [[4], [0]]),  # smaller than the input apart from dim
    ((4, 3, 2), 1, [[[2, 0], [1, 1]], [[0, 0], [2, 2]], [[1, 0], [0, 1]], [[2, 1], [2, 1]]]),
    ((4, 3, 2), 0, [[[3, 0], [1, 2], [0, 0]]]),
    ((), 0, 0),
    ((), -1, [0, 0]),
    ((0, 3), 1, np.zeros((0, 2), np.int64)),
    ((3, 5), 1, np.zeros((3, 0), np.int64)),
]


@pytest.mark.parametrize("shape,dim,index", GATHERS, ids=ids)
def test_gather(shape, dim, index):
    idx = np.array(index, np.int64)
    check_op([shape], lambda x: x.gather(dim, T(x, idx)), numpy_fn=lambda x: _take_along(x, idx, dim), dtypes=F)
    check_op([shape], lambda x: lib(x).gather(x, dim, T(x, idx, "int32")), numpy_fn=lambda x: _take_along(x, idx, dim),
             dtypes=["int64", "bool"], grad=False, layouts=["transposed", "strided"])
    check_op([shape], lambda x: x.gather(dim, index=T(x, idx)), numpy_fn=lambda x: _take_along(x, idx, dim),
             layouts=["strided"], run_gradcheck=False)


def test_gather_d2l_cross_entropy_and_repeated_gradient():
    # y_hat.gather(1, y.unsqueeze(1)) picks each row's label; repeated picks add up in the gradient.
    x = fasttensor.tensor([[0.1, 0.3, 0.6], [0.3, 0.2, 0.5]], requires_grad=True)
    picked = x.gather(1, fasttensor.tensor([[2, 2, 0], [1, 1, 1]]))
    assert picked.tolist() == [[0.6000000238418579, 0.6000000238418579, 0.10000000149011612], [0.20000000298023224] * 3]
    assert picked.grad_fn.name() == "GatherBackward0"
    picked.sum().backward()
    assert x.grad.tolist() == [[1.0, 0.0, 2.0], [0.0, 3.0, 0.0]]
    with pytest.raises(NotImplementedError, match="sparse_grad"):
        x.gather(1, fasttensor.tensor([[0], [0]]), sparse_grad=True)


# --- assignment ---------------------------------------------------------------------------

SETS = [
    ("int", lambda i: (1,)),
    ("neg_int", lambda i: (-1,)),
    ("int_int", lambda i: (1, 2)),
    ("slice", lambda i: (slice(1, 3),)),
    ("all", lambda i: (slice(None), slice(None))),
    ("step", lambda i: (slice(None, None, 2),)),
    ("col", lambda i: (slice(None), 1)),
    ("cols_step", lambda i: (slice(None), slice(1, None, 2))),
    ("ellipsis", lambda i: (Ellipsis, 0)),
    ("list", lambda i: ([0, 2],)),
    ("tensor", lambda i: (i([2, 0]),)),
    ("pair", lambda i: ([0, 1, 2], i([4, 0, 1]))),
    ("col_list", lambda i: (slice(None), [3, 0])),
    ("row_mask", lambda i: (i([True, False, True]),)),
]


def _value_shape(x_shape, key_np):
    return np.zeros(x_shape)[key_np].shape


def _np_key(key):
    return tuple(np.asarray(k.numpy()) if isinstance(k, fasttensor.Tensor) else k for k in key)


@pytest.mark.parametrize("name,make_key", SETS, ids=[s[0] for s in SETS])
@pytest.mark.parametrize("value_kind", ["scalar_int", "scalar_float", "tensor_full", "tensor_broadcast", "tensor_0d"])
@pytest.mark.parametrize("dtype", ["float32", "int64"])
def test_setitem(name, make_key, value_kind, dtype):
    rng = np.random.default_rng(0)
    base = rng.integers(-9, 9, size=(3, 5)).astype(dtype)
    x = fasttensor.tensor(base)
    key = make_key(lambda d: fasttensor.tensor(d))
    key_np = _np_key(key)
    vshape = _value_shape(base.shape, key_np)
    if value_kind == "scalar_int":
        value, value_np = 7, 7
    elif value_kind == "scalar_float":
        value, value_np = 2.5, 2.5
    elif value_kind == "tensor_full":
        value_np = rng.integers(10, 20, size=vshape).astype(dtype)
        value = fasttensor.tensor(value_np)
    elif value_kind == "tensor_0d":
        value_np = np.array(-4, dtype=dtype)
        value = fasttensor.tensor(value_np)
    else:  # broadcast along the leading dims: a trailing-dim vector
        value_np = rng.integers(10, 20, size=vshape[-1:]).astype(dtype)
        value = fasttensor.tensor(value_np)
    ptr = x.data_ptr()
    before = id(x)
    x[key] = value
    expected = base.copy()
    expected[key_np] = value_np if dtype == "float32" or not isinstance(value_np, float) else int(value_np)
    assert id(x) == before and x.data_ptr() == ptr
    assert_close(x, expected)


def test_setitem_d2l():
    # d2l 2.1.2: X[1, 2] = 17 and X[:2, :] = 12.
    X = fasttensor.arange(12, dtype=fasttensor.float32).reshape(3, 4)
    X[1, 2] = 17
    X[:2, :] = 12
    assert X.tolist() == [[12.0] * 4, [12.0] * 4, [8.0, 9.0, 10.0, 11.0]]


def test_setitem_bool_mask_and_tensor_values():
    x = fasttensor.tensor([[1.0, -2.0, 3.0], [-4.0, 5.0, -6.0]])
    x[x < 0] = 0
    assert x.tolist() == [[1.0, 0.0, 3.0], [0.0, 5.0, 0.0]]
    x[x > 2] = fasttensor.tensor([30.0, 50.0])
    assert x.tolist() == [[1.0, 0.0, 30.0], [0.0, 50.0, 0.0]]
    x[fasttensor.tensor([True, False])] = fasttensor.tensor([7.0, 8.0, 9.0])
    assert x.tolist() == [[7.0, 8.0, 9.0], [0.0, 50.0, 0.0]]


def test_setitem_converts_value_dtype_and_noncontiguous_target():
    x = fasttensor.zeros(4, 6, dtype=fasttensor.int64)
    x[1] = fasttensor.tensor([1.9, 2.2, -1.5, 0.0, 3.0, 4.0])  # truncated like torch's copy_
    assert x[1].tolist() == [1, 2, -1, 0, 3, 4]
    t = fasttensor.zeros(4, 6).T
    t[2:4] = fasttensor.arange(8, dtype=fasttensor.float32).reshape(2, 4)
    expected = np.zeros((4, 6), np.float32).T.copy()
    expected[2:4] = np.arange(8).reshape(2, 4)
    np.testing.assert_array_equal(t.numpy(), expected)


def test_setitem_repeated_indices_and_large():
    x = fasttensor.zeros(5)
    x[[1, 1, 3]] = fasttensor.tensor([1.0, 2.0, 3.0])
    assert x[3].item() == 3.0 and x[1].item() in (1.0, 2.0)
    big = fasttensor.zeros(300, 301)
    big[::2, 1::3] = 1.0
    ref = np.zeros((300, 301), np.float32)
    ref[::2, 1::3] = 1.0
    np.testing.assert_array_equal(big.numpy(), ref)
    big[big > 0] = fasttensor.tensor(2.0)
    np.testing.assert_array_equal(big.numpy(), ref * 2)


def test_setitem_python_loop_d2l_3_1_2():
    n = 1000
    a, b, c = fasttensor.ones(n), fasttensor.ones(n), fasttensor.zeros(n)
    for i in range(n):
        c[i] = a[i] + b[i]
    assert (c.numpy() == 2).all()


def test_setitem_gradient_flows_like_torch(torch):
    # Writing into a non-leaf copy: gradient to the written value and to the untouched part.
    def fn(x, v):
        y = x * 1
        y[1:3] = v
        return y

    check_op([(4, 3), (3,)], fn, run_gradcheck=False)
    check_op([(4, 3), (2, 3)], lambda x, v: _put(x, [[0, 3]], v), run_gradcheck=False)


def _put(x, key, v):
    y = x.clone()
    y[key] = v
    return y


def test_index_with_float_tensor_raises():
    x = fasttensor.zeros(3)
    with pytest.raises(IndexError):
        x[fasttensor.tensor([0.0, 1.0])]


def _libs():
    import helpers

    return [fasttensor] + ([helpers.torch] if helpers.HAVE_TORCH else [])


@pytest.mark.parametrize("m", _libs(), ids=lambda m: m.__name__)
def test_augmented_assignment_on_views_with_size_one_dims(m):
    # x[:1] += 1 reads x[:1] back with its leading 1-dim re-expanded: the same memory, not a partial
    # overlap (it raised "refer to a single memory location").
    c = m.zeros(1, 3)
    c[:] += 1
    c[...] += 1
    c[0:1, :] -= 3
    assert c.tolist() == [[-1.0, -1.0, -1.0]]
    y = m.arange(12.0).reshape(3, 4)
    y[0:1] += 1
    y[-1:] /= 2
    y[1:2, :] -= 3
    y[None] += 1
    y[2:3, 1] += 1
    assert y.tolist() == [[2.0, 3.0, 4.0, 5.0], [2.0, 3.0, 4.0, 5.0], [5.0, 6.5, 6.0, 6.5]]
    z = m.arange(12.0).reshape(3, 4)
    z[:] = z[0]  # a broadcast source: allowed, as copy_
    assert z.tolist() == [[0.0, 1.0, 2.0, 3.0]] * 3
    with pytest.raises(RuntimeError, match="refer to a single memory location"):
        x = m.arange(6.0)
        x[1:] = x[:-1]
    with pytest.raises(RuntimeError, match=r"The expanded size of the tensor \(1\) must match the existing size \(2\) "
                                           r"at non-singleton dimension 0"):
        m.zeros(3, 4)[0:1] = m.ones(2, 4)


@pytest.mark.parametrize("m", _libs(), ids=lambda m: m.__name__)
def test_a_list_holding_sequences_indexes_as_a_tuple(m):
    # torch 2.13 still reads x[[[0, 1], [1, 2]]] as x[[0, 1], [1, 2]] (with a deprecation warning)
    x = m.arange(12.0).reshape(3, 4)
    with pytest.warns(UserWarning, match="Using a non-tuple sequence for multidimensional indexing is deprecated"):
        assert x[[[0, 1], [1, 2]]].tolist() == [1.0, 6.0]
    with pytest.warns(UserWarning):
        assert x[[slice(None), 0]].tolist() == [0.0, 4.0, 8.0]
    with pytest.warns(UserWarning):
        assert x[[m.tensor([0, 1]), 1]].tolist() == [1.0, 5.0]
    with pytest.warns(UserWarning):
        assert tuple(x[[[0, 1]]].shape) == (2, 4)
    y = x.clone()
    with pytest.warns(UserWarning):
        y[[m.tensor([0, 1]), m.tensor([1, 2])]] = -1
    assert (y == -1).sum().item() == 2 and y[0, 1].item() == -1 and y[1, 2].item() == -1
    assert tuple(x[[0, 1]].shape) == (2, 4)  # a flat list of ints stays one index
    assert tuple(x[m.tensor(1, dtype=m.uint8)].shape) == (1, 3, 4)  # a 0-d uint8 tensor is a mask
    with pytest.raises(TypeError, match="slice indices must be integers or None or have an __index__ method"):
        x[1.0:2]


@pytest.mark.parametrize("m", _libs(), ids=lambda m: m.__name__)
def test_diagonal_is_a_view_of_any_layout(m):
    # writes through the diagonal of a sliced or stepped tensor reach it (it was a copy there)
    y = m.arange(12.0).reshape(4, 3)
    y[:, 1:].diagonal().fill_(-1)
    assert y.tolist() == [[0.0, -1.0, 2.0], [3.0, 4.0, -1.0], [6.0, 7.0, 8.0], [9.0, 10.0, 11.0]]
    y = m.arange(12.0).reshape(4, 3)
    y[::2].diagonal().zero_()
    assert y.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 0.0, 8.0], [9.0, 10.0, 11.0]]
    x = m.ones(4, 3, requires_grad=True)
    z = x * 1
    z[:, 1:].diagonal().mul_(5)
    z.sum().backward()
    assert x.grad.tolist() == [[1.0, 5.0, 1.0], [1.0, 1.0, 5.0], [1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]
    a = m.arange(24.0).reshape(2, 3, 4)
    for args, shape, stride, offset in (((0, 0, 1), (4, 2), (1, 16), 0), ((1, 0, 2), (3, 2), (4, 13), 1),
                                        ((-1, 1, 2), (2, 2), (12, 5), 4), ((2, 2, 0), (3, 0), (4, 13), 0)):
        d = a.diagonal(*args)
        assert (tuple(d.shape), d.stride(), d.storage_offset()) == (shape, stride, offset)
        assert d._base is a._base  # the root of the view chain (a is a view of arange)
    p = a.permute(2, 0, 1)[1:]
    assert p.diagonal(0, 1, 2).tolist() == [[1.0, 17.0], [2.0, 18.0], [3.0, 19.0]]
    # twice differentiable through a transposed input's off-diagonal
    w = m.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=m.float64, requires_grad=True)
    (g,) = m.autograd.grad((w.t().diagonal(-1) ** 3).sum(), w, create_graph=True)
    (gg,) = m.autograd.grad(g.sum(), w)
    assert g.tolist() == [[0.0, 12.0, 0.0], [0.0, 0.0, 108.0]]
    assert gg.tolist() == [[0.0, 12.0, 0.0], [0.0, 0.0, 36.0]]
    with pytest.raises(IndexError, match="Dimension out of range"):
        m.ones(3).diagonal()
    with pytest.raises(RuntimeError, match="diagonal dimensions cannot be identical 1, 1"):
        m.ones(3, 3).diagonal(0, 1, 1)


@pytest.mark.parametrize("m", _libs(), ids=lambda m: m.__name__)
def test_advanced_setitem_wants_the_destination_dtype(m):
    # index_put_ refuses a tensor value of another dtype (it was cast silently); numbers, basic indexing
    # and a 0-d value under one boolean mask (a masked fill) still cast
    x = m.zeros(4)
    for value, name in ((m.tensor([1, 2]), "Long"), (m.tensor(2), "Long"),
                        (m.tensor([1.0, 2.0], dtype=m.float64), "Double")):
        with pytest.raises(RuntimeError, match=f"Index put requires the source and destination dtypes match, got "
                                               f"Float for the destination and {name} for the source"):
            x[[0, 2]] = value
    with pytest.raises(RuntimeError, match="Index put requires the source and destination dtypes match"):
        x[x >= 0] = m.arange(4)
    x[[0, 2]] = 3
    x[x > 1] = m.tensor(1)
    x[0:2] = m.tensor([5, 6])
    assert x.tolist() == [5.0, 6.0, 1.0, 0.0]
    for value, name in (([1, 2], "list"), (np.array([1.0, 2.0]), "numpy.ndarray")):
        with pytest.raises(TypeError, match=f"can't assign a {name} to a torch.FloatTensor"):
            x[[0, 2]] = value


def test_index_put_value_with_leading_ones_fits_as_pytorch():
    """x[[0, 1]] = v: v broadcasts to the indexed (2, 4) from its last dim; leading dims of size 1
    beyond that are dropped, as PyTorch's index_put_ does (a (1, 2, 4) value was refused)."""
    def put(m):
        x = m.zeros(3, 4)
        x[[0, 1]] = m.arange(8.0).reshape(1, 2, 4)
        x[x > 6] = m.full((1, 1), -1.0)
        return x
    ours = put(fasttensor)
    np.testing.assert_array_equal(ours.numpy(), [[0, 1, 2, 3], [4, 5, 6, -1], [0, 0, 0, 0]])
    if HAVE_TORCH:
        np.testing.assert_array_equal(ours.numpy(), put(torch).numpy())
