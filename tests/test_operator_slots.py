"""Python's operators on tensors are C functions in the Tensor class's number
slots (csrc/python/tensor.cpp, set_operator_slots). These tests pin what that
must keep: both operand orders, subclasses (nn.Parameter and a user's class
that overrides an operator), in-place operators returning the same object,
NotImplemented for operands Python should try elsewhere, and errors as
PyTorch raises them. The values of the ops themselves are tested in
test_elementwise.py and test_torch_semantics.py."""

from __future__ import annotations

import operator

import numpy as np
import pytest

import fasttensor as ft
from helpers import HAVE_TORCH, torch, warn_always

BINARY = [
    (operator.add, "__add__", "__radd__"),
    (operator.sub, "__sub__", "__rsub__"),
    (operator.mul, "__mul__", "__rmul__"),
    (operator.truediv, "__truediv__", "__rtruediv__"),
    (operator.floordiv, "__floordiv__", "__rfloordiv__"),
    (operator.mod, "__mod__", "__rmod__"),
    (operator.pow, "__pow__", "__rpow__"),
]
INT_BINARY = [
    (operator.and_, "__and__", "__rand__"),
    (operator.or_, "__or__", "__ror__"),
    (operator.xor, "__xor__", "__rxor__"),
    (operator.lshift, "__lshift__", "__rlshift__"),
    (operator.rshift, "__rshift__", "__rrshift__"),
]
INPLACE = [operator.iadd, operator.isub, operator.imul, operator.itruediv, operator.ifloordiv, operator.imod,
           operator.ipow]
INT_INPLACE = [operator.iand, operator.ior, operator.ixor, operator.ilshift, operator.irshift]

X = np.array([[1.5, -2.0, 3.25], [0.5, 4.0, -1.0]], dtype=np.float32)
Y = np.array([2.0, -3.0, 0.75], dtype=np.float32)
I = np.array([[5, 12, 7], [3, 9, 1]], dtype=np.int64)
J = np.array([1, 2, 3], dtype=np.int64)


def _reference(fn, a, b):
    """torch's result when torch is installed, else NumPy's (with Python's floor/mod signs)."""
    if HAVE_TORCH:
        to = lambda v: torch.from_numpy(v) if isinstance(v, np.ndarray) else v
        return fn(to(a), to(b)).numpy()
    return np.asarray(fn(a, b))


def _ft(v):
    return ft.from_numpy(v) if isinstance(v, np.ndarray) else v


@pytest.mark.parametrize("fn,name,rname", BINARY, ids=[b[1] for b in BINARY])
@pytest.mark.parametrize("left,right", [(X, Y), (X, 2.5), (3.0, Y), (X, 2)], ids=["tt", "ts", "st", "ti"])
def test_both_operand_orders(fn, name, rname, left, right):
    got = fn(_ft(left), _ft(right))
    np.testing.assert_allclose(got.numpy(), _reference(fn, left, right), rtol=1e-6)
    # The dunder methods Python made of the slot call it in the same way.
    if isinstance(left, np.ndarray):
        np.testing.assert_allclose(getattr(_ft(left), name)(_ft(right)).numpy(), got.numpy(), rtol=0)
    if isinstance(right, np.ndarray) and not (rname == "__rtruediv__" and isinstance(left, np.ndarray)):
        reflected = getattr(_ft(right), rname)(_ft(left))
        if rname == "__rtruediv__":  # number / x is x.reciprocal() * number, as PyTorch's: two roundings
            np.testing.assert_array_equal(reflected.numpy(), (np.float32(1) / right) * np.float32(left))
        else:
            np.testing.assert_allclose(reflected.numpy(), got.numpy(), rtol=0)
    # (x.__rtruediv__(y) called by name with a tensor y is y / x here, where PyTorch's is
    # x.reciprocal() * y: the slot Python calls for y / x cannot tell the two apart.)


@pytest.mark.parametrize("fn,name,rname", INT_BINARY, ids=[b[1] for b in INT_BINARY])
@pytest.mark.parametrize("left,right", [(I, J), (I, 1), (6, J)], ids=["tt", "ts", "st"])
def test_integer_operators_both_orders(fn, name, rname, left, right):
    got = fn(_ft(left), _ft(right))
    np.testing.assert_array_equal(got.numpy(), _reference(fn, left, right))
    assert got.dtype == ft.int64


@pytest.mark.parametrize("fn", INPLACE, ids=[f.__name__ for f in INPLACE])
def test_inplace_operators_return_the_same_object(fn):
    a = ft.from_numpy(X.copy())
    same = a
    a = fn(a, ft.from_numpy(Y))
    assert a is same
    np.testing.assert_allclose(a.numpy(), _reference(fn, X.copy(), Y), rtol=1e-6)


@pytest.mark.parametrize("fn", INT_INPLACE, ids=[f.__name__ for f in INT_INPLACE])
def test_integer_inplace_operators(fn):
    a = ft.from_numpy(I.copy())
    same = a
    a = fn(a, 1)
    assert a is same
    np.testing.assert_array_equal(a.numpy(), _reference(fn, I.copy(), 1))


def test_matmul_and_negation():
    a, b = ft.from_numpy(X), ft.from_numpy(X.T.copy())
    np.testing.assert_allclose((a @ b).numpy(), X @ X.T, rtol=1e-6)
    np.testing.assert_allclose(b.__rmatmul__(a).numpy(), X @ X.T, rtol=1e-6)
    np.testing.assert_array_equal((-a).numpy(), -X)
    with pytest.raises(TypeError, match=r"unsupported operand type\(s\) for @: 'Tensor' and 'int'"):
        a @ 1
    with pytest.raises(TypeError, match=r"unsupported operand type\(s\) for @: 'int' and 'Tensor'"):
        1 @ a


def test_division_with_parameters_as_pytorch():
    rng = np.random.default_rng(3)
    a_np, b_np = rng.uniform(0.1, 100, 2000).astype(np.float32), rng.uniform(0.1, 100, 2000).astype(np.float32)
    p = ft.nn.Parameter(ft.tensor(a_np))
    for q, expected, name in [(ft.tensor(b_np) / p, b_np / a_np, "DivBackward0"),
                              (p / ft.tensor(b_np), a_np / b_np, "DivBackward0"),
                              (p / 4, a_np / 4, "DivBackward0"),
                              (4 / p, (np.float32(1) / a_np) * 4, "MulBackward0")]:
        assert q.grad_fn.name() == name
        np.testing.assert_array_equal(q.detach().numpy(), expected)
    if HAVE_TORCH:
        pt = torch.nn.Parameter(torch.tensor(a_np))
        assert (torch.tensor(b_np) / pt).grad_fn.name() == "DivBackward0"
        assert (4 / pt).grad_fn.name() == "MulBackward0"
        np.testing.assert_array_equal((4 / pt).detach().numpy(), (np.float32(1) / a_np) * 4)


def test_parameter_inherits_the_operators_and_keeps_autograd():
    p = ft.nn.Parameter(ft.from_numpy(X.copy()))
    assert type(p).__add__ is ft.Tensor.__add__
    y = (2 * p - 1) ** 2 / p
    assert y.grad_fn.name() == "DivBackward0"
    y.sum().backward()
    x = X.astype(np.float64)
    np.testing.assert_allclose(p.grad.numpy(), (4 * (2 * x - 1) * x - (2 * x - 1) ** 2) / x ** 2, rtol=1e-5)
    p_before = p
    with ft.no_grad():
        p -= 0.1 * p.grad
    assert p is p_before and isinstance(p, ft.nn.Parameter)


def test_a_subclass_overriding_an_operator_is_called_first():
    class Logged(ft.Tensor):
        calls: list = []

        def __add__(self, other):
            Logged.calls.append("add")
            return super().__add__(other)

        def __radd__(self, other):
            Logged.calls.append("radd")
            return super().__radd__(other)

    t = Logged(ft.from_numpy(Y))
    np.testing.assert_array_equal((t + 1).numpy(), Y + 1)
    np.testing.assert_array_equal((1 + t).numpy(), 1 + Y)
    # A subclass's reflected method runs before the base class's own operator.
    np.testing.assert_array_equal((ft.from_numpy(Y) + t).numpy(), Y + Y)
    assert Logged.calls == ["add", "radd", "radd"]
    # Operators it does not override stay the C functions.
    np.testing.assert_array_equal((t * 2).numpy(), Y * 2)


@pytest.mark.parametrize("expr,exc,message", [
    ("a + 'x'", TypeError, "unsupported operand type(s) for +: 'Tensor' and 'str'"),
    ("'x' * a", TypeError, "only integer tensors of a single element can be converted to an index"),
    ("a - None", TypeError, "unsupported operand type(s) for -: 'Tensor' and 'NoneType'"),
    ("pow(a, 2, 5)", TypeError, "unsupported operand type(s) for ** or pow(): 'Tensor', 'int', 'int'"),
    ("a.__add__('x')", None, "NotImplemented"),
    ("ft.ones(2, 3) + ft.ones(4)", RuntimeError,
     "The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 1"),
    ("-ft.ones(2, dtype=ft.bool)", RuntimeError,
     "Negation, the `-` operator, on a bool tensor is not supported. If you are trying to invert a mask, "
     "use the `~` or `logical_not()` operator instead."),
    ("ft.ones(2, requires_grad=True).__iadd__(1)", RuntimeError,
     "a leaf Variable that requires grad is being used in an in-place operation."),
    ("ft.ones(2, 3) @ ft.ones(2, 3)", RuntimeError,
     "mat1 and mat2 shapes cannot be multiplied (2x3 and 2x3)"),
])
def test_errors_as_pytorch(expr, exc, message):
    for lib in (ft, torch) if HAVE_TORCH else (ft,):
        env = {"ft": lib, "a": lib.ones(3)}
        if exc is None:
            assert repr(eval(expr, env)) == message
        else:
            with pytest.raises(exc) as info:
                eval(expr, env)
            assert str(info.value) == message


def test_an_uninitialized_tensor_is_refused_not_crashed():
    t = ft.Tensor.__new__(ft.Tensor)
    with pytest.raises(TypeError, match="initialized 'Tensor'"):
        t + 1
    with pytest.raises(TypeError, match="initialized 'Tensor'"):
        1 - t
    with pytest.raises(TypeError, match="initialized 'Tensor'"):
        -t


# A Python number is converted to the op's dtype without a copy kernel (ops/helpers.cpp, cast_to):
# the same conversion, checked on values where a detour through another type would round twice
# or wrap differently.
@pytest.mark.parametrize("dtype,number,expected", [
    # rounded once: up to 2^60 + 2^37 (through a double, 2^60 + 2^36 would then tie down to 2^60)
    ("float32", 2 ** 60 + 2 ** 36 + 1, np.float32(2 ** 60 + 2 ** 37)),
    ("float32", 0.1, np.float32(0.1)),
    ("float32", 16777217, np.float32(16777216)),
    ("float64", 2 ** 62 + 1, np.float64(2 ** 62)),
    ("uint8", 300, np.uint8(44)),
    ("int32", 2 ** 33 + 5, np.int32(5)),
    ("float32", True, np.float32(1)),
])
def test_python_number_operand_conversion(dtype, number, expected):
    t = ft.zeros(3, dtype=getattr(ft, dtype))
    got = (t + number).numpy()
    assert got.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(got, np.full(3, expected, dtype=dtype))
    np.testing.assert_array_equal((number + t).numpy(), got)
    if HAVE_TORCH:
        np.testing.assert_array_equal((torch.zeros(3, dtype=getattr(torch, dtype)) + number).numpy(), got)


# Indexing, len() and the conversions to Python numbers are slots too.
def test_sequence_size_and_a_0d_tensor_as_dim():
    # len() through the sequence protocol too (PySequence_Size, as PyTorch's), though a tensor is no
    # sequence for C code asking (PySequence_Check): a 0-d tensor is a dim, not a list of dims.
    import ctypes
    size = ctypes.pythonapi.PySequence_Size
    size.argtypes, size.restype = [ctypes.py_object], ctypes.c_ssize_t
    check = ctypes.pythonapi.PySequence_Check
    check.argtypes, check.restype = [ctypes.py_object], ctypes.c_int
    t = ft.from_numpy(X)
    assert size(t) == 2 and check(t) == 0
    assert ft.from_numpy(X).argmax(ft.tensor(1)).tolist() == [2, 1]
    assert ft.from_numpy(X).cumsum(ft.tensor(0)).shape == (2, 3)
    if HAVE_TORCH:
        assert size(torch.from_numpy(X)) == 2 and check(torch.from_numpy(X)) == 0
        assert torch.from_numpy(X).argmax(torch.tensor(1)).tolist() == [2, 1]


def test_indexing_len_and_conversions_through_the_slots():
    t = ft.from_numpy(X.copy())
    np.testing.assert_array_equal(t[1].numpy(), X[1])
    np.testing.assert_array_equal(ft.Tensor.__getitem__(t, (slice(None), 2)).numpy(), X[:, 2])
    t[0, 1] = 7.0
    ft.Tensor.__setitem__(t, (1, 0), 8.0)
    assert t[0, 1].item() == 7.0 and t[1, 0].item() == 8.0
    assert len(t) == 2 and ft.Tensor.__len__(t) == 2
    assert float(t[0, 1]) == 7.0 and int(t[0, 1]) == 7 and bool(t[0, 1]) is True
    assert operator.index(ft.tensor(3)) == 3 and [10, 20, 30, 40][ft.tensor(2)] == 30
    p = ft.nn.Parameter(ft.from_numpy(X.copy()))
    assert p[1].grad_fn.name() == "SelectBackward0" and len(p) == 2
    assert float(p[0, 0].detach()) == 1.5


@pytest.mark.parametrize("expr,exc,message", [
    ("del a[0]", TypeError, "Tensor does not support deleting items"),
    ("len(ft.tensor(1.0))", TypeError, "len() of a 0-d tensor"),
    ("bool(ft.ones(2))", RuntimeError, "Boolean value of Tensor with more than one value is ambiguous"),
    ("bool(ft.ones(0))", RuntimeError, "Boolean value of Tensor with no values is ambiguous"),
    ("float(ft.ones(2))", ValueError, "only one element tensors can be converted to Python scalars"),
    ("int(ft.tensor(float('nan')))", ValueError, "cannot convert float NaN to integer"),
    ("int(ft.tensor(float('inf')))", OverflowError, "cannot convert float infinity to integer"),
    ("operator.index(ft.tensor(2.0))", TypeError, "only integer tensors of a single element can be converted to an index"),
    ("a[5]", IndexError, "index 5 is out of bounds for dimension 0 with size 3"),
    ("a[0] = 'x'", TypeError, "can't assign a str to a torch.FloatTensor"),
])
def test_slot_errors_as_pytorch(expr, exc, message):
    for lib in (ft, torch) if HAVE_TORCH else (ft,):
        env = {"ft": lib, "a": lib.ones(3), "operator": operator}
        with pytest.raises(exc) as info:
            exec(expr, env)
        assert str(info.value) == message


def test_indexing_warning_raised_as_an_error():
    import warnings
    message = ("Using a non-tuple sequence for multidimensional indexing is deprecated and will be changed in "
               "pytorch 2.9; use x[tuple(seq)] instead of x[seq]. In pytorch 2.9 this will be interpreted as tensor "
               "index, x[torch.tensor(seq)], which will result either in an error or a different result")
    for lib in (ft, torch) if HAVE_TORCH else (ft,):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with pytest.raises(UserWarning) as info:
                lib.ones(3, 3)[[0, [1, 2]]]
        # (PyTorch's adds where in its C++ it warned.)
        assert str(info.value).split(" (Triggered internally")[0] == message


def test_float_of_a_tensor_requiring_grad_warns_and_the_warning_can_be_an_error():
    t = ft.tensor(2.5, requires_grad=True)
    with warn_always():  # (PyTorch gives it once per process)
        with pytest.warns(UserWarning, match="Converting a tensor with requires_grad=True to a scalar"):
            assert float(t) == 2.5
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with pytest.raises(UserWarning):
                float(t)


def test_a_subclass_overriding_getitem_and_len_is_called():
    class Rows(ft.Tensor):
        def __getitem__(self, idx):
            return super().__getitem__(idx) * 10

        def __len__(self):
            return 99

    r = Rows(ft.from_numpy(Y))
    np.testing.assert_array_equal(r[1:].numpy(), Y[1:] * 10)
    assert len(r) == 99
