"""Argument rules of the creation functions (python/fasttensor/_creation.py): what tensor() makes of
big Python ints, floats bound for integer dtypes, ragged data, strings and array-likes; the size,
int and keyword arguments of zeros/ones/empty/full/arange/linspace/eye/rand*/randint/randperm/normal;
out= with its dtype check; requires_grad on integer results; PyTorch's exception types and messages.

Every case runs in fasttensor against the hand-written expectation, then (when torch is installed)
in torch against the same expectation: `fn` gets the module (`m.zeros(...)`)."""

from __future__ import annotations

import re
import warnings
from typing import Any, Callable

import numpy as np
import pytest

import fasttensor
from helpers import HAVE_TORCH, TORCH_IS_REFERENCE, dtype_name
from helpers import torch as reference

try:
    import pandas as pd
except ImportError:  # pragma: no cover - pandas is optional
    pd = None

INF = float("inf")
BIG = 2**63  # one past int64
GRAD_ERROR = "Only Tensors of floating point and complex dtype can require gradients"
OVERFLOW = "Overflow when unpacking long long"


def libs(values: bool = True) -> list:
    """fasttensor, then torch where it is installed (for exact errors: where it is PyTorch 2.13)."""
    return [fasttensor] + ([reference] if (HAVE_TORCH if values else TORCH_IS_REFERENCE) else [])


def check_raises(exc: type, message: str, fn: Callable[[Any], Any]) -> None:
    for m in libs(values=False):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # (PyTorch warns of lists of ndarrays)
            with pytest.raises(exc, match=re.escape(message)):
                fn(m)


def check_values(fn: Callable[[Any], Any], expected: Any, dtype: str) -> None:
    for m in libs():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # (PyTorch warns of lists of ndarrays)
            t = fn(m)
        assert dtype_name(t.dtype) == dtype, f"{m.__name__}: {t.dtype}"
        np.testing.assert_array_equal(np.array(t.tolist()), np.array(expected), err_msg=m.__name__)


class ArrayLike:
    """A sequence that also offers __array__ (like a pandas Series): its NumPy dtype is kept."""

    def __init__(self, arr: np.ndarray):
        self.arr = arr

    def __array__(self, dtype=None, copy=None):
        return self.arr

    def __len__(self):
        return len(self.arr)

    def __getitem__(self, i):
        return self.arr[i]


# --- tensor(): values -----------------------------------------------------------------------

TENSOR_VALUES = [
    ("float-and-huge-int", lambda m: m.tensor([1.0, 2**1000]), [1.0, INF], "float32"),
    ("float-and-huge-negative-int", lambda m: m.tensor([1.0, -2**1000]), [1.0, -INF], "float32"),
    ("huge-int-in-float64", lambda m: m.tensor([1.0, 2**1000], dtype=m.float64), [1.0, float(2**1000)], "float64"),
    ("huge-int-nested", lambda m: m.tensor([[1.0], [2**1000]]), [[1.0], [INF]], "float32"),
    ("int64-past-with-float", lambda m: m.tensor([1, BIG, 1.5]), [1.0, float(BIG), 1.5], "float32"),
    ("uint64-past-with-float", lambda m: m.tensor([2**64, 1.5]), [float(2**64), 1.5], "float32"),
    ("big-int-to-float32", lambda m: m.tensor([1, BIG], dtype=m.float32), [1.0, float(BIG)], "float32"),
    ("big-int-to-bool", lambda m: m.tensor([BIG], dtype=m.bool), [True], "bool"),
    ("huge-negative-to-bool", lambda m: m.tensor([-BIG - 1, 2], dtype=m.bool), [True, True], "bool"),
    ("int-and-1e19", lambda m: m.tensor([1, 1e19]), [1.0, float(np.float32(1e19))], "float32"),
    ("int64-max", lambda m: m.tensor([BIG - 1]), [BIG - 1], "int64"),
    ("float-2-63-wraps", lambda m: m.tensor([2.0**63], dtype=m.int64), [-BIG], "int64"),
    ("float-truncates", lambda m: m.tensor([2.7, -2.7], dtype=m.int64), [2, -2], "int64"),
    ("uint8-int-wraps", lambda m: m.tensor([-1, 2.5, -255], dtype=m.uint8), [255, 2, 1], "uint8"),
    ("uint8-minus-zero", lambda m: m.tensor([-0.0, 255.0], dtype=m.uint8), [0, 255], "uint8"),
    ("int32-edges", lambda m: m.tensor([-2147483648.0, 2147483647.0], dtype=m.int32), [-2**31, 2**31 - 1], "int32"),
    ("tensor-row-in-list", lambda m: m.tensor([[1, 2], m.tensor([3, 4])]), [[1, 2], [3, 4]], "int64"),
    ("one-element-tensor-deeper", lambda m: m.tensor([[1], m.tensor([[2]])]), [[1], [2]], "int64"),
    ("ndarray-rows", lambda m: m.tensor([np.array([1, 2]), np.array([3, 4])]), [[1, 2], [3, 4]], "int64"),
    ("range", lambda m: m.tensor(range(3)), [0, 1, 2], "int64"),
    ("array-like-int32", lambda m: m.tensor(ArrayLike(np.array([1, 2], np.int32))), [1, 2], "int32"),
    ("array-like-float64", lambda m: m.as_tensor(ArrayLike(np.array([1.5, 2.0]))), [1.5, 2.0], "float64"),
]


@pytest.mark.parametrize("fn,expected,dtype", [c[1:] for c in TENSOR_VALUES], ids=[c[0] for c in TENSOR_VALUES])
def test_tensor_values(fn, expected, dtype):
    check_values(fn, expected, dtype)


def test_tensor_with_an_empty_row_is_empty_like_torch():
    for m in libs():
        t = m.tensor([[], [1]])
        assert tuple(t.shape) == (2, 0) and dtype_name(t.dtype) == "float32"


# --- tensor(): errors -----------------------------------------------------------------------

NOT_UINT8 = "value cannot be converted to type uint8 without overflow"
TENSOR_ERRORS = [
    # Python ints past int64 (NumPy would make them float64, uint64 or objects)
    ("int-past-int64", ValueError, OVERFLOW, lambda m: m.tensor([1, BIG])),
    ("int-past-int64-as-int64", ValueError, OVERFLOW, lambda m: m.tensor([1, BIG], dtype=m.int64)),
    ("tuple", ValueError, OVERFLOW, lambda m: m.tensor((1, BIG))),
    ("nested", ValueError, OVERFLOW, lambda m: m.tensor([[1, 2], [3, 2**70]])),
    ("after-bool", ValueError, OVERFLOW, lambda m: m.tensor([True, BIG])),
    ("after-numpy-int", ValueError, OVERFLOW, lambda m: m.tensor([np.int64(1), BIG])),
    ("scalar", ValueError, OVERFLOW, lambda m: m.tensor(BIG)),
    ("huge-to-uint8", ValueError, OVERFLOW, lambda m: m.tensor([1.0, 2**1000], dtype=m.uint8)),
    ("first-offender-int", ValueError, OVERFLOW, lambda m: m.tensor([BIG, -1.5], dtype=m.uint8)),
    ("first-offender-float", RuntimeError, NOT_UINT8, lambda m: m.tensor([-1.5, BIG], dtype=m.uint8)),
    ("past-float64", OverflowError, "int too large to convert to float", lambda m: m.tensor([1.0, 2**1100])),
    # floats into integer dtypes must fit (uint8: no negative floats)
    ("negative-float-uint8", RuntimeError, NOT_UINT8, lambda m: m.tensor([-1.5], dtype=m.uint8)),
    ("minus-half-uint8", RuntimeError, NOT_UINT8, lambda m: m.tensor([-0.5], dtype=m.uint8)),
    ("minus-one-float-uint8", RuntimeError, NOT_UINT8, lambda m: m.tensor([-1.0], dtype=m.uint8)),
    ("scalar-uint8", RuntimeError, NOT_UINT8, lambda m: m.tensor(-1.5, dtype=m.uint8)),
    ("numpy-float-uint8", RuntimeError, NOT_UINT8, lambda m: m.tensor([np.float64(-1.5)], dtype=m.uint8)),
    ("bool-then-float-uint8", RuntimeError, NOT_UINT8, lambda m: m.tensor([True, -1.5], dtype=m.uint8)),
    ("above-255", RuntimeError, NOT_UINT8, lambda m: m.tensor([255.5], dtype=m.uint8)),
    ("int-below-minus-255", RuntimeError, NOT_UINT8, lambda m: m.tensor([-256], dtype=m.uint8)),
    ("ndarray-in-list-uint8", RuntimeError, NOT_UINT8, lambda m: m.tensor([np.array([1.0, -1.5])], dtype=m.uint8)),
    ("int32-half-above", RuntimeError, "value cannot be converted to type int32 without overflow",
     lambda m: m.tensor([2147483647.5], dtype=m.int32)),
    ("nan-int32", RuntimeError, "value cannot be converted to type int32 without overflow",
     lambda m: m.tensor([float("nan")], dtype=m.int32)),
    ("inf-int64", RuntimeError, "value cannot be converted to type int64 without overflow",
     lambda m: m.tensor([1.0, INF], dtype=m.int64)),
    ("9.3e18-int64", RuntimeError, "value cannot be converted to type int64 without overflow",
     lambda m: m.tensor([9.3e18], dtype=m.int64)),
    # ragged data, with NumPy arrays and tensors inside
    ("ndarrays", ValueError, "expected sequence of length 2 at dim 1 (got 1)",
     lambda m: m.tensor([np.array([1, 2]), np.array([3])])),
    ("ndarrays-float32", ValueError, "expected sequence of length 2 at dim 1 (got 1)",
     lambda m: m.tensor([np.array([1, 2]), np.array([3])], dtype=m.float32)),
    ("list-then-ndarray", ValueError, "expected sequence of length 2 at dim 1 (got 1)",
     lambda m: m.tensor([[1, 2], np.array([3])])),
    ("list-then-tensor", ValueError, "expected sequence of length 2 at dim 1 (got 3)",
     lambda m: m.tensor([[1, 2], m.tensor([3, 4, 5])])),
    ("2d-then-1d-ndarray", ValueError, "expected sequence of length 1 at dim 1 (got 2)",
     lambda m: m.tensor([np.array([[1, 2]]), np.array([3, 4])])),
    ("ndarrays-at-dim-2", ValueError, "expected sequence of length 2 at dim 2 (got 1)",
     lambda m: m.tensor([[np.array([1, 2])], [np.array([3])]])),
    ("ndarray-where-number", TypeError, "only integer scalar arrays can be converted to a scalar index",
     lambda m: m.tensor([1, np.array([3, 4])])),
    ("int-tensor-where-number", TypeError, "only integer tensors of a single element can be converted to an index",
     lambda m: m.tensor([1, m.tensor([3, 4])])),
    ("float-tensor-where-number", ValueError, "only one element tensors can be converted to Python scalars",
     lambda m: m.tensor([1, m.tensor([3.0, 4.0])])),
    ("number-where-row", TypeError, "not a sequence", lambda m: m.tensor([np.array([1, 2]), 3])),
    ("list-where-int", TypeError, "'list' object cannot be interpreted as an integer", lambda m: m.tensor([1, [2]])),
    ("list-where-float", TypeError, "must be real number, not list", lambda m: m.tensor([1.5, [2]])),
    ("none", RuntimeError, "Could not infer dtype of NoneType", lambda m: m.tensor([[1, 2], [3, None]])),
    ("none-float32", TypeError, "must be real number, not NoneType",
     lambda m: m.tensor([[1, 2], [3, None]], dtype=m.float32)),
    ("none-int64", TypeError, "'NoneType' object cannot be interpreted as an integer",
     lambda m: m.tensor([1, None], dtype=m.int64)),
    # strings
    ("str", TypeError, "new(): invalid data type 'str'", lambda m: m.tensor("abc")),
    ("str-float32", TypeError, "new(): invalid data type 'str'", lambda m: m.tensor("abc", dtype=m.float32)),
    ("str-in-list", TypeError, "new(): invalid data type 'str'", lambda m: m.tensor([1, "a"])),
    ("str-row", TypeError, "new(): invalid data type 'str'", lambda m: m.tensor([[1, 2], "ab"])),
    ("bytes", TypeError, "new(): invalid data type 'bytes'", lambda m: m.tensor(b"ab")),
    ("as-tensor-str", TypeError, "new(): invalid data type 'str'", lambda m: m.as_tensor([1, "a"])),
    ("strs", ValueError, "too many dimensions 'str'", lambda m: m.tensor(["a", "b"])),
    ("str-float32-in-list", TypeError, "must be real number, not str", lambda m: m.tensor([1, "a"], dtype=m.float32)),
    ("as-tensor-negative-strides", ValueError, "At least one stride in the given numpy array is negative",
     lambda m: m.as_tensor(np.arange(6.0)[::-1])),
]


@pytest.mark.parametrize("exc,message,fn", [c[1:] for c in TENSOR_ERRORS], ids=[c[0] for c in TENSOR_ERRORS])
def test_tensor_errors(exc, message, fn):
    check_raises(exc, message, fn)


@pytest.mark.skipif(pd is None, reason="pandas is not installed")
def test_pandas_series_keep_their_dtype():
    check_values(lambda m: m.tensor(pd.Series([1.5, 2.0])), [1.5, 2.0], "float64")
    check_values(lambda m: m.tensor(pd.Series([1, 2], dtype="int32")), [1, 2], "int32")
    check_values(lambda m: m.as_tensor(pd.Series([1, 2], dtype="int32")), [1, 2], "int32")
    check_values(lambda m: m.tensor([pd.Series([1.5, 2.0]), pd.Series([3.0, 4.0])]), [[1.5, 2.0], [3.0, 4.0]],
                 "float64")
    check_values(lambda m: m.tensor(pd.Series([1.5, 2.0]), dtype=m.float32), [1.5, 2.0], "float32")
    check_raises(RuntimeError, NOT_UINT8, lambda m: m.tensor(pd.Series([-1.5, 2.0]), dtype=m.uint8))


def test_requires_grad_of_tensor():
    for m in libs():
        assert m.tensor([1, 2], dtype=m.float32, requires_grad=True).requires_grad
    check_raises(RuntimeError, GRAD_ERROR, lambda m: m.tensor([1], requires_grad=True))


# --- sizes ----------------------------------------------------------------------------------

SIZE_VALUES = [
    ("one-element-tensor-in-tuple", lambda m: m.zeros((m.tensor([2]),)), (2,)),
    ("one-element-tensor-arg", lambda m: m.zeros(m.tensor([2]), 3), (2, 3)),
    ("0d-tensor-arg", lambda m: m.zeros(m.tensor(2), 3), (2, 3)),
    ("2d-one-element-tensor", lambda m: m.ones((m.tensor([[2]]),)), (2,)),
    ("numpy-ints", lambda m: m.zeros(np.int64(2), 3), (2, 3)),
    ("0d-ndarray", lambda m: m.zeros(np.array(2)), (2,)),
    ("bool-after-first-vararg", lambda m: m.zeros(2, True), (2, 1)),
    ("empty-tuple", lambda m: m.zeros(()), ()),
    ("size-keyword", lambda m: m.empty(size=[2, 3]), (2, 3)),
    ("full-tensor-size", lambda m: m.full((m.tensor([2]),), 1), (2,)),
    ("randint-tensor-size", lambda m: m.randint(0, 10, (m.tensor([2]),)), (2,)),
    ("randn-bool-after-first", lambda m: m.randn(2, True), (2, 1)),
]


@pytest.mark.parametrize("fn,shape", [c[1:] for c in SIZE_VALUES], ids=[c[0] for c in SIZE_VALUES])
def test_size_arguments(fn, shape):
    for m in libs():
        assert tuple(fn(m).shape) == shape


SIZE_ERRORS = [
    ("zeros-no-size", 'zeros() missing 1 required positional arguments: "size"', lambda m: m.zeros()),
    ("ones-no-size", 'ones() missing 1 required positional arguments: "size"', lambda m: m.ones()),
    ("empty-no-size", 'empty() missing 1 required positional arguments: "size"', lambda m: m.empty()),
    ("randn-no-size", "randn() received an invalid combination of arguments - got ()", lambda m: m.randn()),
    ("rand-no-size", "rand() received an invalid combination of arguments - got ()", lambda m: m.rand()),
    ("bool-first-vararg", "zeros() takes 1 positional argument but 2 were given", lambda m: m.zeros(True, 2)),
    ("float-first-vararg", "zeros() takes 1 positional argument but 2 were given", lambda m: m.zeros(2.0, 3)),
    ("tuple-and-int", "ones() takes 1 positional argument but 2 were given", lambda m: m.ones((2, 3), 4)),
    ("float-later-vararg", "zeros(): argument 'size' failed to unpack the object at pos 2", lambda m: m.zeros(2, 3.0)),
    ("bool-in-tuple", "zeros(): argument 'size' (position 1) must be tuple of ints, but found element of type bool "
                      "at pos 0", lambda m: m.zeros((True, 2))),
    ("float-in-tuple", "must be tuple of ints, but found element of type float at pos 0", lambda m: m.zeros((2.0,))),
    ("float-tensor-in-tuple", "must be tuple of ints, but found element of type Tensor at pos 0",
     lambda m: m.zeros((m.tensor([2.0]),))),
    ("two-element-tensor", "zeros(): argument 'size' (position 1) must be tuple of ints, not Tensor",
     lambda m: m.zeros(m.tensor([2, 3]))),
    ("bool-alone", "zeros(): argument 'size' (position 1) must be tuple of ints, not bool", lambda m: m.zeros(True)),
    ("float-alone", "empty(): argument 'size' (position 1) must be tuple of ints, not float", lambda m: m.empty(2.0)),
    ("none-alone", "must be tuple of ints, not NoneType", lambda m: m.zeros(None)),
    ("ndarray-alone", "zeros(): argument 'size' (position 1) must be tuple of ints, not numpy.ndarray",
     lambda m: m.zeros(np.array([2, 3]))),
    ("int-size-keyword", "zeros(): argument 'size' must be tuple of ints, not int", lambda m: m.zeros(size=2)),
    ("size-twice", "zeros() got multiple values for argument 'size'", lambda m: m.zeros(2, size=(2,))),
    ("full-int-size", "full(): argument 'size' (position 1) must be tuple of ints, not int", lambda m: m.full(2, 7)),
    ("randint-int-size", "randint(): argument 'size' (position 2) must be tuple of ints, not int",
     lambda m: m.randint(0, 10)),
    ("randint-three-ints", "randint() received an invalid combination of arguments - got (int, int, int)",
     lambda m: m.randint(0, 10, 3)),
    ("normal-int-size", "normal() received an invalid combination of arguments", lambda m: m.normal(0.0, 1.0, 5)),
    ("normal-int-size-keyword", "normal() received an invalid combination of arguments",
     lambda m: m.normal(0.0, 1.0, size=5)),
    ("normal-no-size", "normal() received an invalid combination of arguments", lambda m: m.normal(0.0, 1.0)),
]


@pytest.mark.parametrize("message,fn", [c[1:] for c in SIZE_ERRORS], ids=[c[0] for c in SIZE_ERRORS])
def test_size_errors(message, fn):
    check_raises(TypeError, message, fn)


NEGATIVE_SIZES = [
    ("zeros", "zeros: Dimension size must be non-negative.", lambda m: m.zeros(-1)),
    ("zeros-2d", "zeros: Dimension size must be non-negative.", lambda m: m.zeros(2, -3)),
    ("ones", "Trying to create tensor with negative dimension -1: [-1]", lambda m: m.ones(-1)),
    ("empty", "Trying to create tensor with negative dimension -1: [-1]", lambda m: m.empty(-1)),
    ("full", "Trying to create tensor with negative dimension -1: [-1]", lambda m: m.full((-1,), 1)),
    ("rand", "Trying to create tensor with negative dimension -1: [-1]", lambda m: m.rand(-1)),
    ("randn", "Trying to create tensor with negative dimension -3: [2, -3]", lambda m: m.randn(2, -3)),
    ("randperm", "Trying to create tensor with negative dimension -1: [-1]", lambda m: m.randperm(-1)),
    ("eye", "n must be greater or equal to 0, got -1", lambda m: m.eye(-1)),
    ("linspace", "number of steps must be non-negative", lambda m: m.linspace(0, 1, -1)),
]


@pytest.mark.parametrize("message,fn", [c[1:] for c in NEGATIVE_SIZES], ids=[c[0] for c in NEGATIVE_SIZES])
def test_negative_sizes(message, fn):
    check_raises(RuntimeError, message, fn)


# --- full, eye, linspace, arange ------------------------------------------------------------

FILL_VALUES = [
    ("0d-float-tensor", lambda m: m.full((2,), m.tensor(3.5)), [3.5, 3.5], "float32"),
    ("0d-int-tensor", lambda m: m.full((2,), m.tensor(3)), [3, 3], "int64"),
    ("0d-bool-tensor", lambda m: m.full((2,), m.tensor(True)), [True, True], "bool"),
    ("numpy-int", lambda m: m.full((2,), np.int64(3)), [3, 3], "int64"),
    ("numpy-float32", lambda m: m.full((2,), np.float32(3)), [3.0, 3.0], "float32"),
    ("big-int-to-float", lambda m: m.full((1,), BIG, dtype=m.float32), [float(BIG)], "float32"),
    ("big-int-to-bool", lambda m: m.full((1,), BIG, dtype=m.bool), [True], "bool"),
    ("keywords", lambda m: m.full(size=[2], fill_value=1.5), [1.5, 1.5], "float32"),
]


@pytest.mark.parametrize("fn,expected,dtype", [c[1:] for c in FILL_VALUES], ids=[c[0] for c in FILL_VALUES])
def test_full_fill_values(fn, expected, dtype):
    check_values(fn, expected, dtype)


ARG_ERRORS = [
    ("full-1d-tensor", TypeError, "full(): argument 'fill_value' (position 2) must be Number, not Tensor",
     lambda m: m.full((2,), m.tensor([3.5]))),
    ("full-str", TypeError, "full(): argument 'fill_value' (position 2) must be Number, not str",
     lambda m: m.full((2,), "a")),
    ("full-none", TypeError, "must be Number, not NoneType", lambda m: m.full((2,), None)),
    ("full-big-int", RuntimeError, "value cannot be converted to type int64_t without overflow",
     lambda m: m.full((2,), BIG)),
    ("eye-float", TypeError, "eye(): argument 'n' (position 1) must be int, not float", lambda m: m.eye(3.0)),
    ("eye-bool", TypeError, "eye(): argument 'n' (position 1) must be int, not bool", lambda m: m.eye(True)),
    ("eye-float-tensor", TypeError, "eye(): argument 'n' (position 1) must be int, not Tensor",
     lambda m: m.eye(m.tensor(2.0))),
    ("eye-float-m", TypeError, "eye() received an invalid combination of arguments - got (int, float)",
     lambda m: m.eye(3, 2.0)),
    ("linspace-float-steps", TypeError, "linspace() received an invalid combination of arguments - got (int, int, "
                                        "float)", lambda m: m.linspace(0, 1, 3.0)),
    ("linspace-bool-steps", TypeError, "linspace() received an invalid combination of arguments",
     lambda m: m.linspace(0, 1, True)),
    ("linspace-1d-start", RuntimeError, "linspace only supports 0-dimensional start and end tensors, but got start "
                                        "with 1 dimension(s).", lambda m: m.linspace(m.tensor([0.0]), 1, 3)),
    ("linspace-bool", NotImplementedError, "\"linspace_cpu\" not implemented for 'Bool'",
     lambda m: m.linspace(0, 1, 3, dtype=m.bool)),
    ("linspace-huge-steps", ValueError, OVERFLOW, lambda m: m.linspace(0, 1, BIG)),
    ("arange-bool", NotImplementedError, "\"arange_cpu\" not implemented for 'Bool'",
     lambda m: m.arange(5, dtype=m.bool)),
    ("arange-float-bool", NotImplementedError, "\"arange_cpu\" not implemented for 'Bool'",
     lambda m: m.arange(0.0, 5, dtype=m.bool)),
    ("like-out", TypeError, "zeros_like() got an unexpected keyword argument 'out'",
     lambda m: m.zeros_like(m.zeros(2), out=m.zeros(2))),
]


@pytest.mark.parametrize("exc,message,fn", [c[1:] for c in ARG_ERRORS], ids=[c[0] for c in ARG_ERRORS])
def test_argument_errors(exc, message, fn):
    check_raises(exc, message, fn)


INT_ARGUMENTS = [
    ("eye-0d-tensor", lambda m: m.eye(m.tensor(2)), [[1.0, 0.0], [0.0, 1.0]], "float32"),
    ("eye-numpy-int", lambda m: m.eye(np.int64(2), np.int64(1)), [[1.0], [0.0]], "float32"),
    ("eye-keywords", lambda m: m.eye(n=1, m=2), [[1.0, 0.0]], "float32"),
    ("linspace-numpy-steps", lambda m: m.linspace(0, 1, np.int64(3)), [0.0, 0.5, 1.0], "float32"),
    ("linspace-0d-tensors", lambda m: m.linspace(m.tensor(0), m.tensor(1.0), m.tensor(3)), [0.0, 0.5, 1.0],
     "float32"),
    ("linspace-keywords", lambda m: m.linspace(start=0, end=1, steps=3), [0.0, 0.5, 1.0], "float32"),
]


@pytest.mark.parametrize("fn,expected,dtype", [c[1:] for c in INT_ARGUMENTS], ids=[c[0] for c in INT_ARGUMENTS])
def test_int_arguments(fn, expected, dtype):
    check_values(fn, expected, dtype)


ARANGE_FORMS = [
    ("end-keyword", lambda m: m.arange(end=5), [0, 1, 2, 3, 4]),
    ("start-end-keywords", lambda m: m.arange(start=1, end=5), [1, 2, 3, 4]),
    ("start-then-end-keyword", lambda m: m.arange(1, end=5), [1, 2, 3, 4]),
    ("all-keywords", lambda m: m.arange(start=1, end=5, step=2), [1, 3]),
    ("step-keyword", lambda m: m.arange(0, 5, step=2), [0, 2, 4]),
    ("three-positional", lambda m: m.arange(1, 7, 3), [1, 4]),
]


@pytest.mark.parametrize("fn,expected", [c[1:] for c in ARANGE_FORMS], ids=[c[0] for c in ARANGE_FORMS])
def test_arange_keyword_forms(fn, expected):
    check_values(fn, expected, "int64")


ARANGE_ERRORS = [
    ("nothing", "arange() received an invalid combination of arguments - got ()", lambda m: m.arange()),
    ("start-only", 'arange() missing 1 required positional arguments: "end"', lambda m: m.arange(start=1)),
    ("step-only", 'arange() missing 1 required positional arguments: "end"', lambda m: m.arange(step=2)),
    ("end-and-step", "arange() received an invalid combination of arguments", lambda m: m.arange(end=5, step=2)),
    ("one-positional-and-step", "arange() received an invalid combination of arguments - got (int, step=int)",
     lambda m: m.arange(5, step=2)),
    ("four-positional", "arange() received an invalid combination of arguments - got (int, int, int, int)",
     lambda m: m.arange(1, 5, 2, 3)),
]


@pytest.mark.parametrize("message,fn", [c[1:] for c in ARANGE_ERRORS], ids=[c[0] for c in ARANGE_ERRORS])
def test_arange_argument_errors(message, fn):
    check_raises(TypeError, message, fn)


# --- randint / randperm ---------------------------------------------------------------------

RANDINT_FORMS = [
    ("high-size-keywords", lambda m: m.randint(high=10, size=(3,))),
    ("all-keywords", lambda m: m.randint(low=0, high=10, size=(3,))),
    ("high-then-size-keyword", lambda m: m.randint(10, size=(3,))),
    ("low-high-then-size-keyword", lambda m: m.randint(2, 10, size=(3,))),
    ("keywords-any-order", lambda m: m.randint(size=(3,), high=5)),
    ("0d-tensor-bounds", lambda m: m.randint(m.tensor(2), np.int64(10), [3])),
]


@pytest.mark.parametrize("fn", [c[1] for c in RANDINT_FORMS], ids=[c[0] for c in RANDINT_FORMS])
def test_randint_keyword_forms(fn):
    for m in libs():
        t = fn(m)
        assert tuple(t.shape) == (3,) and dtype_name(t.dtype) == "int64"
        assert all(0 <= v < 10 for v in t.tolist())


RANDOM_RANGES = [
    ("uint8-full-range", lambda m: m.randint(0, 256, (50,), dtype=m.uint8), "uint8", 0, 255),
    ("int32-full-range", lambda m: m.randint(-2**31, 2**31, (50,), dtype=m.int32), "int32", -2**31, 2**31 - 1),
    ("bool", lambda m: m.randint(0, 2, (50,), dtype=m.bool), "bool", 0, 1),
    ("bool-ones", lambda m: m.randint(1, 2, (5,), dtype=m.bool), "bool", 1, 1),
    ("float32", lambda m: m.randint(0, 10, (50,), dtype=m.float32), "float32", 0, 9),
    ("randperm-uint8", lambda m: m.randperm(256, dtype=m.uint8), "uint8", 0, 255),
    ("randperm-float64", lambda m: m.randperm(5, dtype=m.float64), "float64", 0, 4),
]


@pytest.mark.parametrize("fn,dtype,low,high", [c[1:] for c in RANDOM_RANGES], ids=[c[0] for c in RANDOM_RANGES])
def test_random_integers_fill_their_dtype_range(fn, dtype, low, high):
    for m in libs():
        t = fn(m)
        assert dtype_name(t.dtype) == dtype
        values = [int(v) for v in t.tolist()]
        assert low <= min(values) and max(values) <= high
    assert sorted(int(v) for v in fasttensor.randperm(256, dtype=fasttensor.uint8).tolist()) == list(range(256))


RANDOM_ERRORS = [
    ("int32-high", RuntimeError, "to - 1 is out of bounds for int",
     lambda m: m.randint(0, 2**40, (3,), dtype=m.int32)),
    ("int32-just-past", RuntimeError, "to - 1 is out of bounds for int",
     lambda m: m.randint(0, 2**31 + 1, (3,), dtype=m.int32)),
    ("int32-low", RuntimeError, "from is out of bounds for int",
     lambda m: m.randint(-2**31 - 1, 0, (3,), dtype=m.int32)),
    ("uint8-negative", RuntimeError, "from is out of bounds for unsigned char",
     lambda m: m.randint(-5, 5, (3,), dtype=m.uint8)),
    ("uint8-high", RuntimeError, "to - 1 is out of bounds for unsigned char",
     lambda m: m.randint(0, 257, (3,), dtype=m.uint8)),
    ("uint8-out", RuntimeError, "to - 1 is out of bounds for unsigned char",
     lambda m: m.randint(0, 300, (3,), out=m.empty(0, dtype=m.uint8))),
    ("bool-high", RuntimeError, "to - 1 is out of bounds for bool", lambda m: m.randint(0, 10, (3,), dtype=m.bool)),
    ("bool-low", RuntimeError, "from is out of bounds for bool", lambda m: m.randint(-1, 2, (3,), dtype=m.bool)),
    ("empty-range-first", RuntimeError, "random_ expects 'from' to be less than 'to', but got from=300 >= to=5",
     lambda m: m.randint(300, 5, (3,), dtype=m.uint8)),
    ("int64-past", ValueError, OVERFLOW, lambda m: m.randint(0, BIG, (3,))),
    ("float-bounds", TypeError, "randint() received an invalid combination of arguments - got (float, float, tuple)",
     lambda m: m.randint(0.5, 10.5, (3,))),
    ("float-high", TypeError, "randint(): argument 'high' (position 1) must be int, not float",
     lambda m: m.randint(10.5, (3,))),
    ("bool-bound", TypeError, "randint() received an invalid combination of arguments - got (bool, int, tuple)",
     lambda m: m.randint(True, 10, (3,))),
    ("high-only", TypeError, "randint() received an invalid combination of arguments", lambda m: m.randint(high=10)),
    ("one-int", TypeError, "randint() received an invalid combination of arguments - got (int)",
     lambda m: m.randint(10)),
    ("randperm-uint8", RuntimeError, "value cannot be converted to type uint8_t without overflow",
     lambda m: m.randperm(300, dtype=m.uint8)),
    ("randperm-257", RuntimeError, "value cannot be converted to type uint8_t without overflow",
     lambda m: m.randperm(257, dtype=m.uint8)),
    ("randperm-bool", NotImplementedError, "\"randperm\" not implemented for 'Bool'",
     lambda m: m.randperm(3, dtype=m.bool)),
    ("randperm-bool-empty", NotImplementedError, "\"randperm\" not implemented for 'Bool'",
     lambda m: m.randperm(0, dtype=m.bool)),
    ("randperm-float", TypeError, "randperm(): argument 'n' (position 1) must be int, not float",
     lambda m: m.randperm(2.5)),
    ("randperm-bool-n", TypeError, "randperm(): argument 'n' (position 1) must be int, not bool",
     lambda m: m.randperm(True)),
    ("randperm-past-int64", ValueError, OVERFLOW, lambda m: m.randperm(BIG)),
]


@pytest.mark.parametrize("exc,message,fn", [c[1:] for c in RANDOM_ERRORS], ids=[c[0] for c in RANDOM_ERRORS])
def test_random_argument_errors(exc, message, fn):
    check_raises(exc, message, fn)


@pytest.mark.parametrize("low,high,what,bits", [(0, 2**25, "to - 1", 24), (-2**25, 0, "from", 24)])
def test_randint_warns_where_float32_loses_integers(low, high, what, bits):
    for m in libs(values=False):
        with pytest.warns(UserWarning, match=re.escape(f"{what} is out of bounds [-(2^{bits}), 2^{bits}]")):
            m.randint(low, high, (2,), dtype=m.float32)


# --- requires_grad --------------------------------------------------------------------------

def test_random_integers_honour_requires_grad():
    for m in libs():
        assert m.randint(0, 10, (3,), dtype=m.float32, requires_grad=True).requires_grad
        assert m.randperm(5, dtype=m.float64, requires_grad=True).requires_grad
        assert m.normal(0.0, 1.0, (2,), requires_grad=True).requires_grad


GRAD_ERRORS = [
    ("randint", lambda m: m.randint(0, 10, (3,), requires_grad=True)),
    ("randperm", lambda m: m.randperm(5, requires_grad=True)),
    ("zeros", lambda m: m.zeros(2, dtype=m.int64, requires_grad=True)),
    ("empty", lambda m: m.empty(2, dtype=m.int64, requires_grad=True)),
    ("full", lambda m: m.full((2,), 1, requires_grad=True)),
    ("arange", lambda m: m.arange(3, requires_grad=True)),
    ("eye", lambda m: m.eye(2, dtype=m.int64, requires_grad=True)),
    ("zeros_like", lambda m: m.zeros_like(m.zeros(2), dtype=m.int64, requires_grad=True)),
]


@pytest.mark.parametrize("fn", [c[1] for c in GRAD_ERRORS], ids=[c[0] for c in GRAD_ERRORS])
def test_integer_results_refuse_requires_grad(fn):
    check_raises(RuntimeError, GRAD_ERROR, fn)


# --- out= -----------------------------------------------------------------------------------

OUT_DTYPE_MISMATCH = [
    ("zeros", "Long", "Float", lambda m: m.zeros(2, out=m.empty(2), dtype=m.int64)),
    ("ones", "Long", "Float", lambda m: m.ones(2, out=m.empty(2), dtype=m.int64)),
    ("empty", "Long", "Float", lambda m: m.empty(2, out=m.empty(2), dtype=m.int64)),
    ("full", "Long", "Float", lambda m: m.full((2,), 3, out=m.empty(2), dtype=m.int64)),
    ("rand", "Double", "Float", lambda m: m.rand(2, out=m.empty(2), dtype=m.float64)),
    ("randn", "Double", "Float", lambda m: m.randn(2, out=m.empty(2), dtype=m.float64)),
    ("arange", "Long", "Float", lambda m: m.arange(4, out=m.empty(0), dtype=m.int64)),
    ("linspace", "Double", "Float", lambda m: m.linspace(0, 1, 3, out=m.empty(0), dtype=m.float64)),
    ("eye", "Long", "Float", lambda m: m.eye(2, out=m.empty(0), dtype=m.int64)),
    ("randint", "Long", "Float", lambda m: m.randint(0, 10, (3,), out=m.empty(0), dtype=m.int64)),
    ("randperm", "Long", "Float", lambda m: m.randperm(4, out=m.empty(0), dtype=m.int64)),
    ("normal", "Double", "Float", lambda m: m.normal(0.0, 1.0, (3,), out=m.empty(0), dtype=m.float64)),
    ("with-requires-grad", "Long", "Float",
     lambda m: m.zeros(2, dtype=m.int64, requires_grad=True, out=m.empty(2))),
    ("uint8-out", "Int", "Byte", lambda m: m.ones(2, out=m.empty(2, dtype=m.uint8), dtype=m.int32)),
]


@pytest.mark.parametrize("given,out,fn", [c[1:] for c in OUT_DTYPE_MISMATCH], ids=[c[0] for c in OUT_DTYPE_MISMATCH])
def test_out_dtype_must_match(given, out, fn):
    check_raises(RuntimeError, f"dtype {given} does not match dtype of out parameter ({out})", fn)


OUT_VALUES = [
    ("arange", lambda m, o: m.arange(4, out=o), "float32", [0.0, 1.0, 2.0, 3.0]),
    ("arange-int64-float-end", lambda m, o: m.arange(4.5, out=o), "int64", [0, 1, 2, 3]),
    ("arange-step", lambda m, o: m.arange(0, 4, 2, out=o), "float64", [0.0, 2.0]),
    ("arange-uint8", lambda m, o: m.arange(3, out=o), "uint8", [0, 1, 2]),
    ("linspace", lambda m, o: m.linspace(0, 1, 3, out=o), "float32", [0.0, 0.5, 1.0]),
    ("linspace-int64", lambda m, o: m.linspace(0, 4, 3, out=o), "int64", [0, 2, 4]),
    ("eye-int64", lambda m, o: m.eye(2, 3, out=o), "int64", [[1, 0, 0], [0, 1, 0]]),
    ("eye-bool", lambda m, o: m.eye(2, out=o), "bool", [[True, False], [False, True]]),
    ("full-int64", lambda m, o: m.full((2,), 3, out=o), "int64", [3, 3]),
    ("full-float-into-int64", lambda m, o: m.full((2,), 3.5, out=o), "int64", [3, 3]),
    ("zeros-float64", lambda m, o: m.zeros(2, 3, out=o), "float64", [[0.0] * 3] * 2),
    ("ones-int32", lambda m, o: m.ones(2, out=o), "int32", [1, 1]),
]


@pytest.mark.parametrize("fn,dtype,expected", [c[1:] for c in OUT_VALUES], ids=[c[0] for c in OUT_VALUES])
def test_out_is_filled_in_its_dtype(fn, dtype, expected):
    for m in libs():
        out = m.empty(0, dtype=getattr(m, dtype))
        result = fn(m, out)
        for t in (result, out):
            assert dtype_name(t.dtype) == dtype
            np.testing.assert_array_equal(np.array(t.tolist()), np.array(expected), err_msg=m.__name__)


def test_random_functions_write_into_out():
    for m in libs():
        r = m.randint(0, 10, (3,), out=m.empty(0))
        assert dtype_name(r.dtype) == "float32" and all(v == int(v) and 0 <= v < 10 for v in r.tolist())
        p = m.randperm(4, out=m.empty(7, dtype=m.int64))
        assert tuple(p.shape) == (4,) and sorted(p.tolist()) == [0, 1, 2, 3]
        n = m.normal(0.0, 1.0, (3,), out=m.empty(0, dtype=m.float64))
        assert dtype_name(n.dtype) == "float64" and tuple(n.shape) == (3,)
        e = m.normal(m.zeros(3), m.ones(3), out=m.empty(0))
        assert tuple(e.shape) == (3,)


def test_out_keeps_its_shape_when_the_count_matches():
    for m in libs():
        assert m.arange(4, out=m.empty(2, 2)).tolist() == [[0.0, 1.0], [2.0, 3.0]]
        assert tuple(m.linspace(0, 1, 4, out=m.empty(2, 2)).shape) == (2, 2)
        assert tuple(m.zeros(4, out=m.empty(2, 2)).shape) == (4,)  # the others are resized
        assert tuple(m.eye(2, out=m.empty(1, 4)).shape) == (2, 2)


def test_only_arange_warns_when_resizing_out():
    for m in libs():
        with pytest.warns(UserWarning, match=re.escape("The number of elements in the out tensor of shape [3] is 3 "
                                                       "which does not match the computed number of elements 4")):
            assert m.arange(4, out=m.empty(3)).tolist() == [0.0, 1.0, 2.0, 3.0]
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            m.linspace(0, 1, 3, out=m.empty(5))
            m.eye(2, out=m.empty(5))
            m.randint(0, 3, (2,), out=m.empty(5))
            m.randperm(3, out=m.empty(5))
            m.normal(0.0, 1.0, (2,), out=m.empty(5))
            m.full((2,), 1, out=m.empty(5))
            m.rand(2, out=m.empty(5))
            m.zeros(2, out=m.empty(5))


def test_out_requires_grad_when_asked():
    for m in libs():
        out = m.empty(2)
        result = m.zeros(2, out=out, requires_grad=True)
        assert out.requires_grad and result.requires_grad and result.tolist() == [0.0, 0.0]
        assert m.arange(3.0, out=m.empty(0), requires_grad=True).requires_grad


def test_rand_like_takes_a_generator():
    a = fasttensor.rand_like(fasttensor.zeros(3), generator=fasttensor.Generator().manual_seed(3))
    b = fasttensor.rand_like(fasttensor.zeros(3), generator=fasttensor.Generator().manual_seed(3))
    assert a.tolist() == b.tolist()
    if HAVE_TORCH:
        assert tuple(reference.randn_like(reference.zeros(3), generator=reference.Generator()).shape) == (3,)


def test_a_list_of_ndarrays_warns_once_as_in_torch():
    from fasttensor import _creation

    _creation._warned_of_ndarray_lists = False
    with pytest.warns(UserWarning, match="Creating a tensor from a list of numpy.ndarrays is extremely slow"):
        assert fasttensor.tensor([np.array([1, 2]), np.array([3, 4])]).tolist() == [[1, 2], [3, 4]]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fasttensor.tensor([np.array([1, 2])])
