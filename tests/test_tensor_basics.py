"""Tensor basics: dtype, shape and Size, item/tolist/float/int/bool, NumPy
interop both ways, conversions (to/type/float/double/...), pickle, deepcopy
and repr of real tensors compared with PyTorch's."""

from __future__ import annotations

import copy
import io
import pickle

import numpy as np
import pytest

import fasttensor
import helpers
from helpers import ALL_DTYPES, check_op, dtype_name


def torch_repr(torch, t) -> str:
    return repr(t).replace("torch.", "fasttensor.")


# --- dtype, shape, Size ----------------------------------------------------------------

def test_dtypes_and_aliases():
    assert fasttensor.float is fasttensor.float32 or fasttensor.float == fasttensor.float32
    assert fasttensor.double == fasttensor.float64 and fasttensor.long == fasttensor.int64
    assert fasttensor.int == fasttensor.int32
    for name in ALL_DTYPES:
        d = getattr(fasttensor, name)
        assert repr(d) == f"fasttensor.{name}"
        assert d.is_floating_point == (name in ("float32", "float64"))
        assert d.itemsize == np.dtype(name).itemsize
    assert fasttensor.get_default_dtype() == fasttensor.float32
    assert fasttensor.float32 != fasttensor.float64
    assert len({fasttensor.float32, fasttensor.float32, fasttensor.int64}) == 2


def test_shape_is_size():
    x = fasttensor.zeros(2, 3, 4)
    assert isinstance(x.shape, fasttensor.Size) and isinstance(x.shape, tuple)
    assert x.shape == (2, 3, 4) and x.size() == (2, 3, 4) and x.size(1) == 3 and x.size(-1) == 4
    assert repr(x.shape) == "fasttensor.Size([2, 3, 4])" and str(x.shape) == "fasttensor.Size([2, 3, 4])"
    assert repr(fasttensor.tensor(1.0).shape) == "fasttensor.Size([])"
    assert x.shape[1:] == (3, 4) and isinstance(x.shape[1:], fasttensor.Size)
    assert x.shape.numel() == 24 and x.numel() == 24 and x.nelement() == 24
    assert x.dim() == 3 and x.ndim == 3 and x.ndimension() == 3
    assert len(x) == 2
    assert x.element_size() == 4
    a, b, c = x.shape
    assert (a, b, c) == (2, 3, 4)
    assert fasttensor.numel(x) == 24
    with pytest.raises(TypeError):
        len(fasttensor.tensor(1.0))
    assert pickle.loads(pickle.dumps(x.shape)) == (2, 3, 4)


def test_size_indexing_and_slicing():
    s = fasttensor.zeros(2, 3, 4, 5).shape
    assert s[0] == 2 and s[-1] == 5 and type(s[1]) is int
    for piece in (s[1:], s[::-2], s[:0], s[10:]):
        assert type(piece) is fasttensor.Size
    assert s[::-2] == (5, 3) and repr(s[:0]) == "fasttensor.Size([])" and s[1:3] == (3, 4)
    with pytest.raises(IndexError, match="tuple index out of range"):
        s[4]
    with pytest.raises(TypeError, match="tuple indices must be integers or slices, not str"):
        s["a"]
    assert fasttensor.Size([7, 8])[1:] == (8,) and type(fasttensor.Size([7, 8])[1:]) is fasttensor.Size
    assert s[1:] + (6,) == (3, 4, 5, 6) and type(s[1:] + (6,)) is fasttensor.Size


def test_device_attributes():
    x = fasttensor.zeros(2)
    assert str(x.device) == "cpu" and repr(x.device) == "device(type='cpu')"
    assert x.device == fasttensor.device("cpu") and x.is_cpu and not x.is_cuda
    assert x.cpu().data_ptr() == x.data_ptr()
    assert x.to("cpu").data_ptr() == x.data_ptr()


@pytest.mark.parametrize("m", [fasttensor] + ([helpers.torch] if helpers.HAVE_TORCH else []))
def test_cpu_device_objects_keep_an_index_tensors_do_not(m):
    d = m.device("cpu:0")
    assert repr(d) == "device(type='cpu', index=0)" and str(d) == "cpu:0" and d.index == 0
    assert d != m.device("cpu") and repr(m.device("cpu", 1)) == "device(type='cpu', index=1)"
    assert repr(pickle.loads(pickle.dumps(d))) == "device(type='cpu', index=0)"
    for t in (m.ones(2, device="cpu:0"), m.ones(2, device=d), m.ones(2).to("cpu:0")):
        assert str(t.device) == "cpu" and t.device == m.device("cpu")


# --- conversions to Python --------------------------------------------------------------

def test_item_float_int_bool():
    a = fasttensor.tensor([3.5])
    assert a.item() == 3.5 and isinstance(a.item(), float)
    assert float(a) == 3.5 and int(a) == 3
    i = fasttensor.tensor(7)
    assert i.item() == 7 and isinstance(i.item(), int)
    b = fasttensor.tensor(True)
    assert b.item() is True
    assert bool(fasttensor.tensor([0.0])) is False and bool(fasttensor.tensor(2)) is True
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(fasttensor.tensor([1.0, 2.0]))
    with pytest.raises((RuntimeError, ValueError)):
        fasttensor.tensor([1.0, 2.0]).item()
    assert fasttensor.tensor([[[2.5]]]).item() == 2.5
    assert fasttensor.tensor(1e-45, dtype=fasttensor.float64).item() == 1e-45
    assert fasttensor.arange(5)[fasttensor.tensor(3)].item() == 3  # __index__
    assert [10, 20, 30][fasttensor.tensor(1)] == 20
    with pytest.raises(TypeError):
        [1, 2][fasttensor.tensor(1.0)]
    assert f"{fasttensor.tensor(3.14159):.2f}" == "3.14"


def test_tolist():
    assert fasttensor.arange(6).reshape(2, 3).tolist() == [[0, 1, 2], [3, 4, 5]]
    assert fasttensor.tensor(2.5).tolist() == 2.5
    assert fasttensor.tensor([True, False]).tolist() == [True, False]
    t = fasttensor.arange(6, dtype=fasttensor.float64).reshape(2, 3).T.tolist()
    assert t == [[0.0, 3.0], [1.0, 4.0], [2.0, 5.0]] and isinstance(t[0][0], float)
    assert fasttensor.zeros(0, 2).tolist() == []
    assert type(fasttensor.tensor([1]).tolist()[0]) is int


def test_contains_and_iteration():
    x = fasttensor.tensor([1, 2, 3])
    assert 2 in x and 5 not in x
    assert [v.item() for v in x] == [1, 2, 3]
    with pytest.raises(TypeError):
        iter(fasttensor.tensor(1))


# --- NumPy interop ------------------------------------------------------------------------

@pytest.mark.parametrize("name", ALL_DTYPES)
def test_numpy_shares_memory_and_dtypes_map(name):
    t = fasttensor.ones(2, 3, dtype=getattr(fasttensor, name))
    a = t.numpy()
    assert isinstance(a, np.ndarray) and a.dtype == np.dtype(name) and a.shape == (2, 3)
    a[0, 0] = 0
    assert t[0, 0].item() == 0  # same memory
    back = fasttensor.from_numpy(np.zeros(3, dtype=name))
    assert dtype_name(back.dtype) == name


def test_numpy_of_views_and_asarray():
    base = fasttensor.arange(12, dtype=fasttensor.float32).reshape(3, 4)
    v = base.T[1:]
    a = v.numpy()
    np.testing.assert_array_equal(a, np.arange(12, dtype=np.float32).reshape(3, 4).T[1:])
    a[0, 0] = -1
    assert base[0, 1].item() == -1  # the view's memory
    arr = np.asarray(base)
    assert arr.dtype == np.float32 and arr.shape == (3, 4)
    assert np.asarray(base, dtype=np.float64).dtype == np.float64
    e = fasttensor.zeros(3, 1).expand(3, 4).numpy()
    assert e.shape == (3, 4)
    assert fasttensor.tensor(2.0).numpy().shape == ()


def test_numpy_of_tensor_requiring_grad_raises_like_torch():
    x = fasttensor.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="requires grad"):
        x.numpy()
    assert x.detach().numpy().tolist() == [1.0, 1.0]
    assert x.numpy(force=True).tolist() == [1.0, 1.0]


def test_numpy_functions_accept_tensors():
    x = fasttensor.arange(6, dtype=fasttensor.float32).reshape(2, 3)
    assert np.sum(np.asarray(x)) == 15
    assert np.allclose(np.exp(np.asarray(x)), np.exp(np.arange(6).reshape(2, 3)))
    A = x.numpy()
    B = fasttensor.from_numpy(A)
    assert type(A) is np.ndarray and type(B) is fasttensor.Tensor


def test_numpy_array_scalars_with_tensors():
    x = fasttensor.ones(3)
    y = x * np.float32(2.0)
    assert isinstance(y, fasttensor.Tensor) and y.dtype == fasttensor.float32 and y.tolist() == [2.0] * 3
    z = x + np.int64(1)
    assert isinstance(z, fasttensor.Tensor) and z.tolist() == [2.0] * 3


# --- conversions between dtypes -------------------------------------------------------------

@pytest.mark.parametrize("src", ALL_DTYPES)
@pytest.mark.parametrize("dst", ALL_DTYPES)
def test_to_dtype_matches_numpy(src, dst):
    vals = np.array([-3.7, -1.0, -0.2, 0.0, 0.6, 1.0, 2.5, 200.0]) if src in ("float32", "float64") else \
        np.array([0, 1, 2, 7, 100, 255]) if src == "uint8" else np.array([True, False, True]) if src == "bool" else \
        np.array([-5, -1, 0, 1, 3, 100])
    if dst == "uint8" and src in ("float32", "float64", "int32", "int64"):
        vals = np.abs(vals)  # negative → uint8 is implementation-defined
    arr = vals.astype(src)
    t = fasttensor.tensor(arr)
    out = t.to(getattr(fasttensor, dst))
    assert dtype_name(out.dtype) == dst
    np.testing.assert_array_equal(out.numpy(), arr.astype(dst))


def test_conversion_methods():
    x = fasttensor.tensor([1.7, -2.2, 0.0])
    assert x.float().dtype == fasttensor.float32 and x.double().dtype == fasttensor.float64
    assert x.long().tolist() == [1, -2, 0] and x.long().dtype == fasttensor.int64
    assert x.int().dtype == fasttensor.int32 and x.bool().tolist() == [True, True, False]
    assert x.type(fasttensor.float64).dtype == fasttensor.float64
    assert x.type() == "fasttensor.FloatTensor"  # torch.FloatTensor, with the project's torch. → fasttensor.
    assert x.to(dtype=fasttensor.int64).dtype == fasttensor.int64
    assert x.to("cpu", fasttensor.float64).dtype == fasttensor.float64
    assert x.to(fasttensor.zeros(1, dtype=fasttensor.int32)).dtype == fasttensor.int32
    assert x.to(fasttensor.float32) is x  # nothing to change: the same tensor, as in PyTorch
    assert x.float() is x


def test_float_dtype_conversion_gradients():
    check_op([(3, 4)], lambda x: x.double() * 2, numpy_fn=lambda x: x * 2, dtypes=["float32"])
    # Through float32 the values lose digits that finite differences need: no gradcheck.
    check_op([(3, 4)], lambda x: x.float(), numpy_fn=lambda x: x, dtypes=["float64"], run_gradcheck=False)
    check_op([(3, 4)], lambda x: x.to(x.dtype) * 3, numpy_fn=lambda x: x * 3, dtypes=["float64"])


def test_int_conversion_cuts_gradient():
    x = fasttensor.ones(2, requires_grad=True)
    y = x.long()
    assert not y.requires_grad and y.grad_fn is None


# --- pickle and deepcopy -----------------------------------------------------------------------

@pytest.mark.parametrize("name", ALL_DTYPES)
def test_pickle_roundtrip(name):
    t = (fasttensor.arange(6) % 3).to(getattr(fasttensor, name)).reshape(2, 3)
    u = pickle.loads(pickle.dumps(t))
    assert u.dtype == t.dtype and u.shape == t.shape and u.tolist() == t.tolist()
    assert u.data_ptr() != t.data_ptr()


def test_pickle_views_grad_flags_and_dtype_objects():
    v = fasttensor.arange(12, dtype=fasttensor.float32).reshape(3, 4).T[1:]
    u = pickle.loads(pickle.dumps(v))
    assert u.tolist() == v.tolist() and u.shape == (3, 3)
    p = fasttensor.ones(3, requires_grad=True)
    q = pickle.loads(pickle.dumps(p))
    assert q.requires_grad and q.is_leaf
    assert pickle.loads(pickle.dumps(fasttensor.float64)) == fasttensor.float64
    assert pickle.loads(pickle.dumps(fasttensor.device("cpu"))) == fasttensor.device("cpu")
    buf = io.BytesIO()
    pickle.dump({"w": p, "b": fasttensor.zeros(2)}, buf)
    buf.seek(0)
    d = pickle.load(buf)
    assert d["w"].tolist() == [1.0] * 3


def test_deepcopy():
    x = fasttensor.randn(3, 4, requires_grad=True)
    x.sum().backward()
    y = copy.deepcopy(x)
    assert y.requires_grad and y.is_leaf and y.data_ptr() != x.data_ptr()
    assert y.tolist() == x.tolist() and y.grad.tolist() == x.grad.tolist()
    memo_pair = copy.deepcopy([x, x])
    assert memo_pair[0] is memo_pair[1]
    z = copy.copy(fasttensor.arange(3))
    assert z.tolist() == [0, 1, 2]
    with pytest.raises(RuntimeError, match="graph leaves"):
        copy.deepcopy(x * 2)


# --- repr of real tensors ------------------------------------------------------------------------

REPR_CASES = [
    lambda m: m.arange(12, dtype=m.float32),
    lambda m: m.arange(12),
    lambda m: m.arange(24).reshape(2, 3, 4),
    lambda m: m.zeros((2, 3, 4), dtype=m.float32),
    lambda m: m.tensor([[2, 1, 4, 3.0], [1, 2, 3, 4], [4, 3, 2, 1]]),
    lambda m: m.tensor(3.0) / m.tensor(2.0),
    lambda m: m.tensor([3.5]),
    lambda m: m.tensor([1.0, 2, 4, 8]) / m.tensor([2, 2, 2, 2]),
    lambda m: m.exp(m.arange(12, dtype=m.float32)),
    lambda m: m.arange(6, dtype=m.float32).reshape(2, 3) / m.tensor([[3.0], [12.0]]),
    lambda m: m.tensor([[3.0, 0.0, 1.0], [2.0, 0.0, 1.0]], dtype=m.float64),
    lambda m: m.tensor([127500.0, 106000.0, 178100.0, 140000.0], dtype=m.float64),
    lambda m: m.arange(12, dtype=m.float32).reshape(3, 4) == m.arange(12, dtype=m.float32).reshape(3, 4).T.T,
    lambda m: m.tensor(True),
    lambda m: m.tensor([1, 2], dtype=m.int32),
    lambda m: m.tensor([1, 2], dtype=m.uint8),
    lambda m: m.zeros(0),
    lambda m: m.zeros(2, 0),
    lambda m: m.tensor([1e-8, 1.0, 1e8]),
    lambda m: m.tensor([float("nan"), float("inf"), -float("inf"), 1.5]),
    lambda m: m.arange(2000, dtype=m.float32).reshape(40, 50),
    lambda m: m.linspace(0, 3, 7, dtype=m.float64).reshape(7, 1).T,
    lambda m: m.arange(4.0, requires_grad=True),
    lambda m: 2 * m.dot(m.arange(4.0, requires_grad=True), m.arange(4.0, requires_grad=True)),
    lambda m: m.arange(4.0, requires_grad=True) * 1,
    lambda m: m.arange(4.0, requires_grad=True).sum(),
    lambda m: m.arange(4.0, requires_grad=True) / m.tensor(2.0),
]


@pytest.mark.parametrize("make", REPR_CASES, ids=[str(i) for i in range(len(REPR_CASES))])
def test_repr_matches_torch(torch, make):
    assert repr(make(fasttensor)) == torch_repr(torch, make(torch))
    assert str(make(fasttensor)) == str(make(torch)).replace("torch.", "fasttensor.")


def test_repr_float64_default_dtype(torch):
    fasttensor.set_default_dtype(fasttensor.float64)
    prev = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        for make in (lambda m: m.tensor([1.5, 2.0]), lambda m: m.tensor([1.5], dtype=m.float32)):
            assert repr(make(fasttensor)) == torch_repr(torch, make(torch))
    finally:
        torch.set_default_dtype(prev)


def test_repr_without_torch():
    assert repr(fasttensor.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert repr(fasttensor.tensor(2, dtype=fasttensor.int32)) == "tensor(2, dtype=fasttensor.int32)"
    x = fasttensor.arange(4.0, requires_grad=True)
    assert repr(x) == "tensor([0., 1., 2., 3.], requires_grad=True)"
    assert repr(2 * fasttensor.dot(x, x)) == "tensor(28., grad_fn=<MulBackward0>)"
