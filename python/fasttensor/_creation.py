"""Creation functions: tensor, zeros, ones, full, empty, arange, linspace,
eye, the *_like family and random tensors. Sizes and keywords are parsed
here, with PyTorch's argument rules and errors; every fill runs in C++."""

from __future__ import annotations

import collections.abc
import numbers
import warnings
from typing import Any, Callable, Iterable

import numpy as np

from . import _C
from ._warn_once import warn_once

_NUMPY_OK = {np.dtype(np.bool_), np.dtype(np.uint8), np.dtype(np.int32), np.dtype(np.int64),
             np.dtype(np.float32), np.dtype(np.float64)}
_INT64_MIN, _INT64_MAX = -2**63, 2**63 - 1
_GRAD_DTYPE_ERROR = "Only Tensors of floating point and complex dtype can require gradients"
# PyTorch's legacy scalar-type names, as its out= dtype check prints them.
_LEGACY_NAMES = {_C.bool: "Bool", _C.uint8: "Byte", _C.int32: "Int", _C.int64: "Long", _C.float32: "Float",
                 _C.float64: "Double"}


# --- argument parsing -----------------------------------------------------------------------

def _size(size: tuple, name: str) -> list:
    """The size as a list of ints: varargs or one sequence, as PyTorch reads them. Elements may be
    ints, NumPy integers or one-element integer tensors; bools and floats are refused (except that
    PyTorch takes a bool after the first of several varargs as an int)."""
    if len(size) == 1:
        s = size[0]
        if type(s) is int and _INT64_MIN <= s <= _INT64_MAX:
            return [s]
        if not isinstance(s, (tuple, list)):
            return _in_int64([_single_size(s, name)], name)
        size, varargs = s, False
    else:
        varargs = True
    out = list(size)
    for i, s in enumerate(out):
        if type(s) is not int:
            out[i] = _size_element(s, name, i, len(out) if varargs else 0)
    return _in_int64(out, name)


def _in_int64(sizes: list, name: str) -> list:
    """sizes, each within int64, or PyTorch's TypeError for the first that is not."""
    for i, s in enumerate(sizes):
        if not _INT64_MIN <= s <= _INT64_MAX:
            raise TypeError(f"{name}(): argument 'size' failed to unpack the object at pos {i + 1} with error "
                            "\"Overflow when unpacking long long\"")
    return sizes


def _single_size(s, name: str) -> int:
    """The size given as one non-sequence argument: an int (NumPy's too) or a one-element integer tensor."""
    if isinstance(s, numbers.Integral) and not isinstance(s, (bool, np.bool_)):
        return int(s)
    if _is_int_tensor(s) or (isinstance(s, np.ndarray) and s.ndim == 0 and s.dtype.kind in "iu"):
        return int(s.item())
    raise TypeError(f"{name}(): argument 'size' (position 1) must be tuple of ints, not {_type_name(s)}")


def _size_element(s, name: str, i: int, nargs: int) -> int:
    """Element i of a size; nargs: the number of varargs (0: the size came as one sequence).

    PyTorch's parser looks at the first element to choose the signature (a bad one: "takes 1 positional
    argument" for varargs, "found element of type float at pos 0" for a sequence), then unpacks the rest,
    where it reads a bool as an int (zeros(2, True) is zeros(2, 1)) and refuses any other non-integer
    with "failed to unpack the object at pos i + 1", whichever form the size came in."""
    if isinstance(s, (bool, np.bool_)):
        if i > 0:
            return int(s)
    elif isinstance(s, numbers.Integral):
        return int(s)
    elif _is_int_tensor(s):
        return int(s.item())
    if i > 0:
        raise TypeError(f"{name}(): argument 'size' failed to unpack the object at pos {i + 1} with error "
                        f"\"type must be tuple of ints,but got {_type_name(s)}\"")
    if nargs:
        raise TypeError(f"{name}() takes 1 positional argument but {nargs} were given")
    raise TypeError(f"{name}(): argument 'size' (position 1) must be tuple of ints, but found element of type "
                    f"{_type_name(s)} at pos {i}")


def _type_name(x) -> str:
    """A type's name as PyTorch prints it (NumPy's qualified: numpy.ndarray)."""
    t = type(x)
    return f"numpy.{t.__name__}" if t.__module__ == "numpy" else t.__name__


def _is_int_tensor(s) -> bool:
    """A one-element integer (not bool) tensor: PyTorch takes it wherever an int is expected."""
    return isinstance(s, _C.Tensor) and s.numel() == 1 and not s.is_floating_point() and s.dtype != _C.bool


def _size_sequence(size, name: str) -> list:
    """A size that must be a sequence (full, normal): an int alone is refused, as in PyTorch."""
    if isinstance(size, (tuple, list)):
        return _size((size,), name)
    raise TypeError(f"{name}(): argument 'size' (position 1) must be tuple of ints, not {_type_name(size)}")


def _int_arg(value, error: Callable[[], str]) -> int:
    """An int argument (n, steps, low, high): an int, a NumPy integer or a one-element integer tensor;
    bools and floats raise TypeError(error()); ints beyond int64 PyTorch's ValueError."""
    if isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_)):
        value = int(value)
    elif _is_int_tensor(value):
        value = int(value.item())
    else:
        raise TypeError(error())
    if not _INT64_MIN <= value <= _INT64_MAX:
        raise ValueError("Overflow when unpacking long long")
    return value


def _invalid_combination(name: str, args: tuple, kwargs: dict, signatures: str) -> str:
    """PyTorch's message for arguments that match none of a function's signatures."""
    got = [_type_name(a) for a in args] + [f"{k}={_type_name(v)}" for k, v in kwargs.items() if v is not None]
    return (f"{name}() received an invalid combination of arguments - got ({', '.join(got)}), but expected one "
            f"of:\n{signatures}")


def _size_kw(size: tuple, kwargs: dict, dtype, device, name: str):
    """(size, dtype, device) of zeros / ones / empty / rand / randn called with keywords: the size as
    varargs, one sequence, or `size=`; dtype and device default to out='s; the other keywords PyTorch
    accepts and ignores here are dropped."""
    out = kwargs.get("out")
    if out is not None:
        dtype, device = _out_defaults(out, dtype, device, name)
    if "size" in kwargs:
        if size:
            raise TypeError(f"{name}() got multiple values for argument 'size'")
        size = kwargs.pop("size")
        if not isinstance(size, (tuple, list)):
            raise TypeError(f"{name}(): argument 'size' must be tuple of ints, not {type(size).__name__}")
        size = (size,)
    for k in ("out", "layout", "pin_memory", "memory_format"):
        kwargs.pop(k, None)
    if kwargs:
        raise TypeError(f"{name}() got an unexpected keyword argument '{next(iter(kwargs))}'")
    return size, dtype, device


def _missing_size(name: str) -> TypeError:
    if name in ("rand", "randn"):
        return TypeError(_invalid_combination(name, (), {}, " * (tuple of ints size, *, torch.Generator generator, "
                                                            "torch.dtype dtype, ...)"))
    return TypeError(f'{name}() missing 1 required positional arguments: "size"')


def _check_bool_argument(name: str, argument: str, value) -> None:
    """PyTorch's parser takes only a bool for a bool argument (requires_grad=1 or "yes" is refused)."""
    if type(value) is not bool:
        raise TypeError(f"{name}(): argument '{argument}' must be bool, not {type(value).__name__}")


def _check_grad_dtype(dtype) -> None:
    """PyTorch refuses requires_grad for an integer or bool result (dtype None: the default float)."""
    if dtype is not None and not _to_dtype(dtype).is_floating_point:
        raise RuntimeError(_GRAD_DTYPE_ERROR)


def _finish(t: _C.Tensor, requires_grad: bool) -> _C.Tensor:
    if requires_grad:
        if not t.is_floating_point():
            raise RuntimeError(_GRAD_DTYPE_ERROR)
        t.requires_grad_(True)
    return t


# --- out= -----------------------------------------------------------------------------------

def write_out(out, result: _C.Tensor, name: str, warn_resize: bool = True, inputs=(), joins: bool = False) -> _C.Tensor:
    """PyTorch's out=: result written into out (resized to result's shape, with PyTorch's warning
    when out had elements, which its creation functions leave out), out returned; None: result.
    inputs: the tensors out must not overlap, where PyTorch checks that (where; with joins, cat and
    stack, not even as the same tensor)."""
    if out is None:
        return result
    if not isinstance(out, _C.Tensor):
        raise TypeError(f"{name}(): argument 'out' must be Tensor, not {type(out).__name__}")
    if inputs:
        _C._check_out_overlap(out, inputs, joins)
    if _C.is_grad_enabled() and (result.requires_grad or out.requires_grad):
        raise RuntimeError(f"{name}(): functions with out=... arguments don't support automatic differentiation, "
                           "but one of the arguments requires grad.")
    _check_out_dtype(out, result, name)
    if tuple(out.shape) != tuple(result.shape):
        if out.numel() != 0 and warn_resize:
            warnings.warn(f"An output with one or more elements was resized since it had shape {list(out.shape)}, "
                          f"which does not match the required output shape {list(result.shape)}. This behavior is "
                          "deprecated, and in a future PyTorch release outputs will not be resized unless they have "
                          "zero elements. You can explicitly reuse an out tensor t by resizing it, inplace, to zero "
                          "elements with t.resize_(0).", UserWarning, stacklevel=3)
        out.resize_(*result.shape)
    return out.copy_(result)


# out='s dtype rules where PyTorch's differ from the elementwise "can cast" one.
_JOINS = {"cat", "concat", "concatenate", "stack", "hstack", "vstack", "dstack", "column_stack", "row_stack"}
_PRODUCTS = {"mm", "bmm", "matmul", "mv", "dot"}
_C_TYPE_NAMES = {_C.bool: "bool", _C.uint8: "unsigned char", _C.int32: "int", _C.int64: "long int", _C.float32: "float",
                 _C.float64: "double"}


def _check_out_dtype(out, result: _C.Tensor, name: str) -> None:
    """out must hold result's dtype: products and where need it exactly, the others a cast that loses no kind
    (no float into an integer, nothing but bool into bool), with PyTorch's error for each."""
    if name in _PRODUCTS:
        if out.dtype != result.dtype:
            raise RuntimeError(f"Expected out tensor to have dtype {_C_TYPE_NAMES[result.dtype]}, but got "
                               f"{_C_TYPE_NAMES[out.dtype]} instead")
        return
    if name == "where" and out.dtype != result.dtype:
        raise RuntimeError(f"Expected out type to be {_LEGACY_NAMES[result.dtype]} but got {_LEGACY_NAMES[out.dtype]}")
    if (result.is_floating_point() and not out.is_floating_point()) or (out.dtype == _C.bool != result.dtype):
        if name in _JOINS:
            raise TypeError(f"torch.cat(): input types can't be cast to the desired output type "
                            f"{_LEGACY_NAMES[out.dtype]}")
        raise RuntimeError(f"result type {_LEGACY_NAMES[result.dtype]} can't be cast to the desired output type "
                           f"{_LEGACY_NAMES[out.dtype]}")  # (a float result would be truncated)


def _out_defaults(out, dtype, device, name: str):
    """A creation function's dtype and device when out= is given: out's, and PyTorch's error for an
    explicit dtype that differs from out's."""
    if not isinstance(out, _C.Tensor):
        raise TypeError(f"{name}(): argument 'out' must be Tensor, not {type(out).__name__}")
    if dtype is None:
        dtype = out.dtype
    elif _to_dtype(dtype) != out.dtype:
        raise RuntimeError(f"dtype {_LEGACY_NAMES[_to_dtype(dtype)]} does not match dtype of out parameter "
                           f"({_LEGACY_NAMES[out.dtype]})")
    return dtype, (out.device if device is None else device)


def _write_creation_out(out, result: _C.Tensor, name: str, requires_grad: bool) -> _C.Tensor:
    """result (made without requires_grad) written into out, which then requires grad if asked, as
    PyTorch's factories do; out is resized silently."""
    write_out(out, result, name, warn_resize=False)
    if requires_grad:
        out.requires_grad_(True)
    return out


def _write_range_out(out, result: _C.Tensor, name: str, requires_grad: bool, warn: bool) -> _C.Tensor:
    """arange / linspace / logspace into out: an out with the right number of elements keeps its
    shape; another is resized to 1-D (arange warns when out had elements, as PyTorch does)."""
    n = result.numel()
    if out.numel() == n:
        result = result.reshape(tuple(out.shape))
    elif warn and out.numel() != 0:
        warnings.warn(f"The number of elements in the out tensor of shape {list(out.shape)} is {out.numel()} which "
                      f"does not match the computed number of elements {n}. Note that this may occur as a result "
                      f"of rounding error. The out tensor will be resized to a tensor of shape ({n},).",
                      UserWarning, stacklevel=3)
    return _write_creation_out(out, result, name, requires_grad)


# --- tensor() -------------------------------------------------------------------------------

def tensor(data: Any, dtype=None, device=None, requires_grad: bool = False, pin_memory: bool = False) -> _C.Tensor:
    """A new tensor holding a copy of ``data`` (nested lists, numbers, NumPy arrays, tensors)."""
    _check_bool_argument("tensor", "requires_grad", requires_grad)
    t = _C._tensor_from_plain_data(data, dtype)  # Python numbers in lists: None for anything else
    if t is not None:
        if device is not None:
            t = t._to_device(device)
        return _finish(t, requires_grad)
    if isinstance(data, _C.Tensor):
        warnings.warn("To copy construct from a tensor, it is recommended to use sourceTensor.detach().clone() or "
                      "sourceTensor.detach().clone().requires_grad_(True), rather than torch.tensor(sourceTensor).",
                      UserWarning, stacklevel=2)
    target = None if dtype is None else _to_dtype(dtype)
    arr, inferred, python_values = _to_array(data, target)
    if target is None:
        target = inferred
    if python_values and isinstance(data, (list, tuple)) and target is not None and arr.size and \
            not target.is_floating_point and target != _C.bool:
        _check_integer_leaves(data)
    if python_values and target is not None and arr.size:
        if target.is_floating_point:
            if arr.dtype.kind in "uO":  # Python ints beyond int64 (float() of one past 1e308 raises OverflowError)
                arr = arr.astype(np.float64)
        elif target == _C.bool:
            if arr.dtype.kind in "uO":
                arr = arr.astype(np.bool_)
        else:  # Python numbers must fit an integer dtype (a NumPy array is cast as it is, as in PyTorch)
            _check_integer_range(arr, target, data)
            if arr.dtype.kind == "f" and isinstance(data, (list, tuple)) and np.abs(arr).max() >= 2.0**53:
                # ints mixed with floats went through float64 and may have lost their last bits: PyTorch
                # converts each number on its own (ints exactly, floats truncated toward zero)
                arr = np.asarray(_truncated_to_ints(_tensors_to_lists(data)), dtype=np.int64)
    if not arr.dtype.isnative:
        raise ValueError("given numpy array has byte order different from the native byte order. Conversion "
                         "between byte orders is currently not supported.")
    if arr.dtype not in _NUMPY_OK:
        if arr.dtype.kind == "f":
            arr = arr.astype(np.float64) if arr.dtype.itemsize > 4 else arr.astype(np.float32)
        elif arr.dtype.kind in "iu":  # int8/16, uint16/32 fit int64; uint64 only below 2^63
            if arr.dtype == np.uint64 and arr.size and int(arr.max()) > _INT64_MAX:
                raise TypeError("can't convert np.ndarray of type numpy.uint64 holding values past 2^63 - 1: "
                                "fasttensor has no uint64 dtype (convert it to float64 first)")
            arr = arr.astype(np.int64)
        elif arr.dtype.kind == "b":
            arr = arr.astype(np.bool_)
        else:
            raise TypeError(f"can't convert np.ndarray of type {arr.dtype}")
    t = _C.from_numpy(arr if arr.flags.c_contiguous else arr.copy(order="C")).clone()
    if target is not None:
        t = t._to_dtype(target)
    if device is not None:
        t = t._to_device(device)
    return _finish(t, requires_grad)


def _to_array(data: Any, target):
    """(NumPy array of data, PyTorch's dtype for it or None to keep the array's, whether the values
    are Python/NumPy numbers that PyTorch range-checks against an integer dtype)."""
    if isinstance(data, _C.Tensor):
        return data.detach().cpu().numpy(), data.dtype, False
    if isinstance(data, np.ndarray):
        if data.dtype.kind in "OSUV":
            raise TypeError(f"can't convert np.ndarray of type numpy.{data.dtype.type.__name__}. The only supported "
                            "types are: float64, float32, int64, int32, uint8, and bool.")
        return data, None, False
    if isinstance(data, (list, tuple)):
        return _array_from_sequence(data, target)
    if isinstance(data, np.generic):  # (before float: np.float64 is one)
        return np.asarray(data), None, True
    if isinstance(data, (bool, int, float)):
        inferred = _C.bool if isinstance(data, bool) else _C.int64 if isinstance(data, int) else \
            _C.get_default_dtype()
        return np.asarray(data), inferred, True
    if isinstance(data, (str, bytes)):
        raise TypeError(f"new(): invalid data type '{type(data).__name__}'")
    if hasattr(data, "__array__"):  # pandas Series / DataFrame and other array-likes keep their NumPy dtype
        arr = np.asarray(data)
        if arr.dtype.kind in "OSUV":  # objects inside: read as the Python sequence they hold
            return _array_from_sequence(arr.tolist(), target)
        return arr, None, hasattr(data, "__len__")
    if isinstance(data, collections.abc.Sequence):  # range and other sequences
        return _array_from_sequence(list(data), target)
    raise _scalar_type_error(data, target is None, target is not None and target.is_floating_point)


_warned_of_ndarray_lists = False
_MAX_NESTING = 64  # (fasttensor's tensors have at most 12 dims: deeper data fails on that before)


def _array_from_sequence(data, target):
    global _warned_of_ndarray_lists
    if not _warned_of_ndarray_lists and data and isinstance(data[0], np.ndarray):  # (PyTorch warns once)
        _warned_of_ndarray_lists = True
        warnings.warn("Creating a tensor from a list of numpy.ndarrays is extremely slow. Please consider converting "
                      "the list to a single numpy.ndarray with numpy.array() before converting to a tensor.",
                      UserWarning, stacklevel=4)
    first, depth = data, 0
    while isinstance(first, (list, tuple)) and first:
        depth += 1
        if depth > _MAX_NESTING:  # (a list holding itself would never end)
            raise ValueError(f"too many dimensions '{type(first).__name__}'")
        first = first[0]
    values = data
    if isinstance(first, _C.Tensor):
        if any(isinstance(x, _C.Tensor) and x.requires_grad for x in _leaves(data)):  # as PyTorch's item() of each
            warn_once("Converting a tensor with requires_grad=True to a scalar may lead to unexpected behavior.\n"
                      "Consider using tensor.detach() first.", stacklevel=4)  # (once per process, as PyTorch's)
        values = _tensors_to_lists(data)
    try:
        arr = np.asarray(values)
    except ValueError:  # ragged (or one-element tensors where NumPy sees arrays of another depth)
        arr = _irregular_data(values, target)
    kind = arr.dtype.kind
    if kind in "OSU":  # Python ints beyond 64 bits, or something that is no number
        return _objects(values, arr, target)
    inferred = _sequence_dtype(data, first)
    if inferred is None:
        if kind == "f":
            inferred = _C.get_default_dtype()
            # NumPy gives float64 for ints past int64 mixed with smaller ones: PyTorch refuses those
            # unless a float is among them (the first number being an int keeps float lists fast)
            if target is None and not isinstance(first, float) and arr.size and arr.max() >= 2.0**63:
                if not any(isinstance(x, (float, np.floating)) for x in _leaves(data)):
                    raise ValueError("Overflow when unpacking long long")
        elif kind == "b":
            inferred = _C.bool
        elif kind in "iu":  # uint64: ints past int64, refused below unless the dtype is a float or bool
            inferred = _C.int64
        else:
            raise TypeError(f"Could not infer dtype of {arr.dtype}")
    return arr, inferred, True


def _objects(data, arr: np.ndarray, target):
    """A sequence NumPy could only hold as objects (or strings): fine when all are numbers (ints past
    64 bits: a float dtype takes them, int64 does not), else PyTorch's error for the first offender."""
    if not all(isinstance(x, (int, float, np.integer, np.floating, np.bool_)) for x in _leaves(data)):
        return _irregular_data(data, target), _C.get_default_dtype(), True  # (raises unless it is empty)
    inferred = _sequence_dtype(data, None)
    if target is None and inferred == _C.int64:
        raise ValueError("Overflow when unpacking long long")
    return arr, inferred, True


def _truncated_to_ints(data):
    """Nested numbers as Python ints: floats truncated toward zero (in range: checked before, but for
    2.0**63, which becomes int64's minimum as x86's conversion gives it in PyTorch)."""
    if isinstance(data, (list, tuple)):
        return [_truncated_to_ints(x) for x in data]
    value = int(data)
    return value if value <= _INT64_MAX else _INT64_MIN


def _tensors_to_lists(data):
    """Tensors inside a sequence stand for their one value (PyTorch refuses larger ones)."""
    if isinstance(data, _C.Tensor):
        if data.numel() != 1:  # PyTorch reads an integer tensor as an index, a float one as a number
            if data.is_floating_point():
                raise ValueError("only one element tensors can be converted to Python scalars")
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return data.item()
    if isinstance(data, (list, tuple)):
        return [_tensors_to_lists(x) for x in data]
    return data


def _check_integer_leaves(data) -> None:
    """PyTorch reads each number of a list for an integer dtype as a Python int: NumPy bools and
    NumPy floats other than float64 (a subclass of float) are refused."""
    for x in _leaves(data):
        if isinstance(x, (np.bool_, np.floating)) and not isinstance(x, float):
            raise TypeError(f"'{type(x).__module__}.{type(x).__name__}' object cannot be interpreted as an integer")


def _leaves(data) -> Iterable:
    if isinstance(data, (list, tuple)):
        for x in data:
            yield from _leaves(x)
    else:
        yield data


def _sequence_dtype(data, first):
    """PyTorch's dtype for a sequence holding NumPy scalars/arrays or tensors: their dtypes promoted
    with the Python numbers' (float: the default dtype, int: int64, bool). Only sequences whose first
    element is such an object are scanned (first None: always); plain Python numbers take the fast rule."""
    if first is not None and (type(first) in (float, int, bool) or not (
            isinstance(first, (_C.Tensor, np.generic, np.ndarray)) or hasattr(first, "__array__"))):
        return None
    result = None
    for x in _leaves(data):
        if isinstance(x, _C.Tensor):
            d = x.dtype
        elif isinstance(x, (np.generic, np.ndarray)) or hasattr(x, "__array__"):
            x = np.asarray(x)
            d = _C.from_numpy(np.zeros(1, dtype=x.dtype)).dtype if x.dtype in _NUMPY_OK else None
        elif isinstance(x, bool):
            d = _C.bool
        elif isinstance(x, int):
            d = _C.int64
        elif isinstance(x, float):
            d = _C.get_default_dtype()
        else:
            d = None
        if d is not None:
            result = d if result is None else _C.promote_types(result, d)
    return result


# Per integer dtype: the range of integer values PyTorch stores (uint8 takes -255..255: negative
# numbers wrap), the range of float values (inclusive; NaN never fits), and its name in the message.
_INT_LIMITS = {_C.uint8: (-255, 255, 0.0, 255.0, "uint8"),
               _C.int32: (-2**31, 2**31 - 1, -2.0**31, 2.0**31 - 1, "int32"),
               _C.int64: (_INT64_MIN, _INT64_MAX, -2.0**63, 2.0**63, "int64")}


def _check_integer_range(arr: np.ndarray, target, data) -> None:
    """Python numbers stored into an integer dtype must fit it, as PyTorch checks each one. A cheap
    test on the whole array first; only when it fails are the values walked in order, so that the
    first offender decides the error (an int past int64 is a ValueError, the others RuntimeError)."""
    kind = arr.dtype.kind
    if kind == "b" or (kind == "i" and target == _C.int64):
        return
    lo, hi, flo, fhi, _ = _INT_LIMITS[target]
    if kind == "f":  # below 2^63 strictly: an int 2**63 becomes the float 2^63 here
        lo, hi = flo, min(fhi, 9223372036854774784.0)
    if kind in "iu":  # as Python ints: NumPy 1.x compares uint64 with a Python int in float64
        if lo <= int(arr.min()) and int(arr.max()) <= hi:
            return
    elif kind == "f" and lo <= arr.min() and arr.max() <= hi:  # NaN fails both
        return
    values = _leaves(data) if isinstance(data, (list, tuple)) else \
        (data,) if isinstance(data, (numbers.Number, np.generic)) else arr.ravel().tolist()
    _first_value_out_of_range(values, target)


def _first_value_out_of_range(values: Iterable, target) -> None:
    lo, hi, flo, fhi, name = _INT_LIMITS[target]
    for x in values:
        if isinstance(x, (np.ndarray, _C.Tensor)):  # arrays inside a list: PyTorch walks their elements
            _first_value_out_of_range(x.ravel().tolist() if isinstance(x, np.ndarray) else x.reshape(-1).tolist(),
                                      target)
        elif isinstance(x, (bool, np.bool_)):
            continue
        elif isinstance(x, (int, np.integer)):
            if not _INT64_MIN <= int(x) <= _INT64_MAX:
                raise ValueError("Overflow when unpacking long long")
            if not lo <= int(x) <= hi:
                raise RuntimeError(f"value cannot be converted to type {name} without overflow")
        elif isinstance(x, (float, np.floating)) and not flo <= float(x) <= fhi:
            raise RuntimeError(f"value cannot be converted to type {name} without overflow")


def _is_sequence(x) -> bool:
    """What PyTorch reads as one more dimension of nested data (a 0-d array or tensor is a number)."""
    if isinstance(x, (list, tuple, range)):
        return True
    if isinstance(x, np.ndarray):
        return x.ndim > 0
    return isinstance(x, _C.Tensor) and x.dim() > 0


def _scalar_type_error(x, inferring: bool, floating: bool) -> Exception:
    """PyTorch's error for something that is no number where a number belongs (inferring: no dtype
    was given; floating: the dtype is a float one)."""
    if inferring and not floating:
        return RuntimeError(f"Could not infer dtype of {type(x).__name__}")
    if floating:
        return TypeError(f"must be real number, not {type(x).__name__}")
    return TypeError(f"'{type(x).__name__}' object cannot be interpreted as an integer")


def _irregular_data(data, target) -> np.ndarray:
    """Data that is not a rectangular nest of numbers: raises PyTorch's error, found in its order:
    the shape from the first element at each depth (a string there has 'too many dimensions'), the
    dtype of every element (without dtype=: strings are invalid, other objects uninferable), then the
    elements in order (the first sequence of the wrong length, or non-number, is named). Data PyTorch
    takes after all (a zero in the shape, one-element tensors where numbers belong) comes back as an
    array."""
    sizes = []
    x = data
    while _is_sequence(x) or isinstance(x, str):
        if isinstance(x, str):
            raise ValueError("too many dimensions 'str'")
        sizes.append(len(x))
        if not len(x):
            break
        x = x[0]
    floating = target is not None and target.is_floating_point
    if target is None:
        for leaf in _leaves(data):
            if isinstance(leaf, (str, bytes)):
                raise TypeError(f"new(): invalid data type '{type(leaf).__name__}'")
            if isinstance(leaf, (float, np.floating)):
                floating = True
            elif not isinstance(leaf, (numbers.Number, np.generic, np.ndarray, _C.Tensor, range)):
                raise RuntimeError(f"Could not infer dtype of {type(leaf).__name__}")
    if 0 in sizes:
        return np.zeros(sizes, dtype=np.float64)

    def check(x, dim):
        if dim == len(sizes):  # a number belongs here
            if isinstance(x, np.ndarray) and x.ndim > 0:
                return TypeError("only length-1 arrays can be converted to Python scalars" if floating else
                                 "only integer scalar arrays can be converted to a scalar index")
            if isinstance(x, _C.Tensor) and x.numel() != 1:
                if x.is_floating_point():
                    return ValueError("only one element tensors can be converted to Python scalars")
                return TypeError("only integer tensors of a single element can be converted to an index")
            if not isinstance(x, (numbers.Number, np.generic, np.ndarray, _C.Tensor)):
                return _scalar_type_error(x, False, floating)
            return None
        if not _is_sequence(x):
            return TypeError("not a sequence")
        if len(x) != sizes[dim]:
            return ValueError(f"expected sequence of length {sizes[dim]} at dim {dim} (got {len(x)})")
        for y in x:
            error = check(y, dim + 1)
            if error is not None:
                return error
        return None

    error = check(data, 0)
    if error is not None:
        raise error
    return np.asarray(_numbers_at_depth(data, len(sizes)))  # regular after all: one-element arrays inside


def _numbers_at_depth(x, depth: int):
    """Nested data with the one-element tensors / arrays found at the given depth read as their number."""
    if depth == 0:
        return x.item() if isinstance(x, (_C.Tensor, np.ndarray)) else x
    return [_numbers_at_depth(y, depth - 1) for y in x]


def _to_dtype(d):
    """A dtype argument as a fasttensor dtype: Python's float, int and bool
    stand for float64, int64 and bool, as in PyTorch."""
    if d is float:
        return _C.float64
    if d is int:
        return _C.int64
    if d is bool:
        return _C.bool
    if not isinstance(d, _C.dtype):
        raise TypeError(f"dtype must be fasttensor.dtype, not {type(d).__name__}")
    return d


def as_tensor(data: Any, dtype=None, device=None) -> _C.Tensor:
    """Like tensor(), but shares memory with a NumPy array or tensor of matching dtype."""
    if isinstance(data, _C.Tensor):
        t = data
        if dtype is not None:
            t = t._to_dtype(_to_dtype(dtype))
        return t if device is None else t._to_device(device)
    if isinstance(data, np.ndarray) and data.dtype in _NUMPY_OK:
        t = _C.from_numpy(data)  # (negative strides: PyTorch's ValueError)
        _warn_if_read_only(data)
        if dtype is not None:
            t = t._to_dtype(_to_dtype(dtype))
        return t if device is None else t._to_device(device)
    return tensor(data, dtype=dtype, device=device)


def from_numpy(arr: np.ndarray) -> _C.Tensor:
    """A tensor sharing memory with ``arr``."""
    if not isinstance(arr, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(arr).__name__})")
    if arr.dtype not in _NUMPY_OK and arr.dtype.isnative:  # (a foreign byte order: the binding's ValueError)
        # named by its scalar type, as PyTorch (numpy.str_, numpy.object_; not the dtype's '<U1')
        raise TypeError(f"can't convert np.ndarray of type numpy.{arr.dtype.type.__name__}. The only supported "
                        "types are: float64, float32, int64, int32, uint8, and bool.")
    _warn_if_read_only(arr)
    return _C.from_numpy(arr)


def _warn_if_read_only(arr: np.ndarray) -> None:
    """PyTorch's warning, once per process, for a tensor made on the memory of a read-only array."""
    if not arr.flags.writeable:
        warn_once("The given NumPy array is not writable, and PyTorch does not support non-writable tensors. This "
                  "means writing to this tensor will result in undefined behavior. You may want to copy the array "
                  "to protect its data or make it writable before converting it to a tensor. This type of warning "
                  "will be suppressed for the rest of this program.", stacklevel=3)


_NUMPY_OF_DTYPE = {_C.bool: np.bool_, _C.uint8: np.uint8, _C.int32: np.int32, _C.int64: np.int64,
                   _C.float32: np.float32, _C.float64: np.float64}
_ASARRAY_GRAD_WARNING = ("torch.asarray: unspecified requires_grad now defaults to obj.requires_grad instead of False. "
                         "Pass requires_grad=False explicitly to get the old behavior and silence this warning.")


def _asarray_source(obj, dtype, force_alias: bool):
    """(the tensor obj is or shares memory with, whether it must still be copied) for a tensor, a NumPy
    array or scalar, or an object with the buffer protocol; (None, False) for anything else."""
    if isinstance(obj, _C.Tensor):
        return obj, False
    if isinstance(obj, (np.ndarray, np.generic)):
        if not isinstance(obj, np.ndarray) and force_alias:
            raise RuntimeError("can't alias NumPy scalars. Either remove copy=False or transform it in a ndarray. ")
        if obj.ndim == 0:  # a NumPy scalar or 0-d array: a new tensor, never an alias (as PyTorch's)
            return _C.from_numpy(np.asarray(obj)).clone(), True
        return _C.from_numpy(obj), False
    try:
        view = memoryview(obj)
    except TypeError:
        return None, False
    element = np.dtype(_NUMPY_OF_DTYPE[dtype if dtype is not None else _C.get_default_dtype()])
    if view.nbytes % element.itemsize:
        raise ValueError(f"buffer length ({view.nbytes} bytes) after offset (0 bytes) must be a multiple of element "
                         f"size ({element.itemsize})")
    arr = np.frombuffer(obj, dtype=element)
    # a read-only buffer (bytes) is copied: a tensor here could write into it
    return _C.from_numpy(arr if arr.flags.writeable else arr.copy()), False


def asarray(obj: Any, *, dtype=None, device=None, copy=None, requires_grad=None) -> _C.Tensor:
    """obj as a tensor: a tensor, NumPy array or buffer (bytes, bytearray, array.array) is shared, not
    copied, when dtype and device allow (copy=True copies, copy=False refuses to); a scalar or a sequence
    is converted as tensor() does. requires_grad None: obj's own (a tensor's), with PyTorch's warning when
    that is True; a tensor's autograd history is kept unless requires_grad is False."""
    target = None if dtype is None else _to_dtype(dtype)
    force_copy = bool(copy)
    force_alias = copy is not None and not copy
    source, copied = _asarray_source(obj, target, force_alias)
    wants_grad = requires_grad if requires_grad is not None else (
        isinstance(obj, _C.Tensor) and obj.requires_grad)
    if wants_grad and requires_grad is None:
        warn_once(_ASARRAY_GRAD_WARNING)
    if source is None:  # a scalar or a sequence: always a new tensor
        if force_alias:
            raise ValueError("can't alias arbitrary sequence into a tensor.")
        return _finish(tensor(obj, dtype=target, device=device), wants_grad)
    wrong_device = device is not None and _C.device(device) != source.device
    wrong_dtype = target is not None and target != source.dtype
    if (force_copy and not copied) or (copy is None and (wrong_device or wrong_dtype)):
        t = source.to(device=device, dtype=target, copy=force_copy) if wrong_device or wrong_dtype else source.clone()
    else:
        if wrong_device:
            raise ValueError(f"can't alias tensor from device '{source.device}' to '{_C.device(device)}'.")
        if wrong_dtype:
            raise ValueError(f"can't alias tensor with dtype '{_LEGACY_NAMES[source.dtype]}' into dtype "
                             f"'{_LEGACY_NAMES[target]}'.")
        t = source
    if not t.is_leaf and not wants_grad:
        return t.detach()
    if t.is_leaf and t.requires_grad != bool(wants_grad):  # (as PyTorch, this changes obj when t is obj)
        if wants_grad and not t.is_floating_point():
            raise RuntimeError(_GRAD_DTYPE_ERROR)
        t.requires_grad_(bool(wants_grad))
    return t


# --- filled tensors -------------------------------------------------------------------------

def _filled(name: str, value, size: tuple, dtype, device, requires_grad: bool, kwargs: dict) -> _C.Tensor:
    """empty (value None) / zeros / ones over the size given as PyTorch's parser reads it."""
    _check_bool_argument(name, "requires_grad", requires_grad)
    out = kwargs.get("out")
    if kwargs:
        size, dtype, device = _size_kw(size, kwargs, dtype, device, name)
    if not size:
        raise _missing_size(name)
    if requires_grad:
        _check_grad_dtype(dtype)
    shape, grad = _size(size, name), requires_grad and out is None
    if value is None:
        result = _C._empty(shape, dtype, device, grad)
    else:
        result = _C._full(shape, value, dtype if dtype is not None else _C.get_default_dtype(), device, grad)
    return result if out is None else _write_creation_out(out, result, name, requires_grad)


def empty(*size, dtype=None, device=None, requires_grad: bool = False, **kwargs) -> _C.Tensor:
    if requires_grad is False and not kwargs:
        t = _C._plain_full(size, None, dtype, device)  # None: not a plain size
        if t is not None:
            return t
    return _filled("empty", None, size, dtype, device, requires_grad, kwargs)


def zeros(*size, dtype=None, device=None, requires_grad: bool = False, **kwargs) -> _C.Tensor:
    if requires_grad is False and not kwargs:
        t = _C._plain_full(size, 0, dtype, device)
        if t is not None:
            return t
    try:
        return _filled("zeros", 0, size, dtype, device, requires_grad, kwargs)
    except RuntimeError as e:  # PyTorch's zeros words a negative size its own way
        if str(e).startswith("Trying to create tensor with negative dimension"):
            raise RuntimeError("zeros: Dimension size must be non-negative.") from None
        raise


def ones(*size, dtype=None, device=None, requires_grad: bool = False, **kwargs) -> _C.Tensor:
    if requires_grad is False and not kwargs:
        t = _C._plain_full(size, 1, dtype, device)
        if t is not None:
            return t
    return _filled("ones", 1, size, dtype, device, requires_grad, kwargs)


def full(size, fill_value, *, out=None, dtype=None, device=None, requires_grad: bool = False, layout=None,
         pin_memory: bool = False) -> _C.Tensor:
    """A tensor of shape ``size`` (a sequence) filled with ``fill_value``; its dtype follows the value
    (bool, int64, or the default float dtype) unless given."""
    _check_bool_argument("full", "requires_grad", requires_grad)
    kind = type(fill_value)
    if kind is not float and kind is not int and kind is not bool:
        fill_value = _fill_number(fill_value)
        kind = type(fill_value)
    if out is not None:
        dtype, device = _out_defaults(out, dtype, device, "full")
    if dtype is None:
        dtype = _C.get_default_dtype() if kind is float else _C.int64 if kind is int else _C.bool
    if kind is int and not _INT64_MIN <= fill_value < 2**64:  # PyTorch's Python int to Scalar conversion
        raise OverflowError("can't convert negative int to unsigned" if fill_value < 0 else "int too big to convert")
    if kind is int and not _INT64_MIN <= fill_value <= _INT64_MAX and _to_dtype(dtype) == _C.int64:
        raise RuntimeError("value cannot be converted to type int64_t without overflow")
    if requires_grad:
        _check_grad_dtype(dtype)
    result = _C._full(_size_sequence(size, "full"), fill_value, dtype, device, requires_grad and out is None)
    return result if out is None else _write_creation_out(out, result, "full", requires_grad)


def _fill_number(value):
    """full()'s fill_value as a Python number: a 0-d tensor gives its value, NumPy scalars theirs
    (PyTorch reads a NumPy bool as a float)."""
    if isinstance(value, _C.Tensor):
        if value.dim() != 0:
            raise TypeError("full(): argument 'fill_value' (position 2) must be Number, not Tensor")
        return value.item()
    if isinstance(value, np.bool_):
        return float(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, (numbers.Real, np.floating)):
        return float(value)
    raise TypeError(f"full(): argument 'fill_value' (position 2) must be Number, not {type(value).__name__}")


class memory_format:
    """How a new tensor lays out its elements (torch.memory_format)."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return f"fasttensor.{self._name}"

    def __reduce__(self):
        return self._name


contiguous_format = memory_format("contiguous_format")
preserve_format = memory_format("preserve_format")
memory_format.__module__ = "fasttensor"  # <class 'fasttensor.memory_format'>, as torch.memory_format
channels_last = memory_format("channels_last")  # accepted; the result is laid out contiguously
channels_last_3d = memory_format("channels_last_3d")


def _keeps_layout(kwargs: dict) -> bool:
    """preserve_format (the default): a *_like result keeps a dense input's strides."""
    fmt = kwargs.get("memory_format")
    return fmt is None or fmt is preserve_format


def _like(t: _C.Tensor, dtype, device, requires_grad: bool, kwargs: dict, name: str):
    """dtype and device of a *_like result: input's unless given."""
    _check_bool_argument(name, "requires_grad", requires_grad)
    for k in kwargs:
        if k not in ("memory_format", "layout", "pin_memory"):
            raise TypeError(f"{name}() got an unexpected keyword argument '{k}'")
    d = dtype if dtype is not None else t.dtype
    if requires_grad:
        _check_grad_dtype(d)
    return d, (device if device is not None else t.device)


def _empty_in_layout(input, d, dev, kwargs: dict) -> _C.Tensor:
    if _keeps_layout(kwargs):
        return _C._empty_like(input, d, dev, False)
    return _C._empty(list(input.shape), d, dev, False)


def empty_like(input, dtype=None, device=None, requires_grad: bool = False, **kwargs) -> _C.Tensor:
    if dtype is None and device is None and requires_grad is False and not kwargs:
        t = _C._plain_like(input, None)  # None: input is no tensor
        if t is not None:
            return t
    d, dev = _like(input, dtype, device, requires_grad, kwargs, "empty_like")
    return _empty_in_layout(input, d, dev, kwargs).requires_grad_(requires_grad)


def zeros_like(input, dtype=None, device=None, requires_grad: bool = False, **kwargs) -> _C.Tensor:
    if dtype is None and device is None and requires_grad is False and not kwargs:
        t = _C._plain_like(input, 0)  # None: input is no tensor
        if t is not None:
            return t
    d, dev = _like(input, dtype, device, requires_grad, kwargs, "zeros_like")
    return _C._full(list(input.shape), 0, d, dev, requires_grad, input if _keeps_layout(kwargs) else None)


def ones_like(input, dtype=None, device=None, requires_grad: bool = False, **kwargs) -> _C.Tensor:
    if dtype is None and device is None and requires_grad is False and not kwargs:
        t = _C._plain_like(input, 1)  # None: input is no tensor
        if t is not None:
            return t
    d, dev = _like(input, dtype, device, requires_grad, kwargs, "ones_like")
    return _C._full(list(input.shape), 1, d, dev, requires_grad, input if _keeps_layout(kwargs) else None)


def full_like(input, fill_value, dtype=None, device=None, requires_grad: bool = False, **kwargs) -> _C.Tensor:
    if dtype is None and device is None and requires_grad is False and not kwargs:
        t = _C._plain_like(input, fill_value)  # None: not a tensor and a Python number
        if t is not None:
            return t
    d, dev = _like(input, dtype, device, requires_grad, kwargs, "full_like")
    return _C._full(list(input.shape), fill_value, d, dev, requires_grad, input if _keeps_layout(kwargs) else None)


def rand_like(input, dtype=None, device=None, requires_grad: bool = False, generator=None, **kwargs) -> _C.Tensor:
    """Uniform draws in input's layout: a transposed input's result takes its draws in memory order,
    as PyTorch's."""
    if dtype is None and device is None and requires_grad is False and generator is None and not kwargs:
        t = _C._plain_random_like(input, False)
        if t is not None:
            return t
    d, dev = _like(input, dtype, device, requires_grad, kwargs, "rand_like")
    return _empty_in_layout(input, d, dev, kwargs).uniform_(generator=generator).requires_grad_(requires_grad)


def randn_like(input, dtype=None, device=None, requires_grad: bool = False, generator=None, **kwargs) -> _C.Tensor:
    if dtype is None and device is None and requires_grad is False and generator is None and not kwargs:
        t = _C._plain_random_like(input, True)
        if t is not None:
            return t
    d, dev = _like(input, dtype, device, requires_grad, kwargs, "randn_like")
    return _empty_in_layout(input, d, dev, kwargs).normal_(generator=generator).requires_grad_(requires_grad)


# --- ranges ---------------------------------------------------------------------------------

_ARANGE_SIGNATURES = (" * (Number end, *, Tensor out = None, torch.dtype dtype = None, ...)\n"
                      " * (Number start, Number end, *, torch.dtype dtype = None, ...)\n"
                      " * (Number start, Number end, Number step = 1, *, Tensor out = None, ...)")


def arange(*args, start=None, end=None, step=None, out=None, dtype=None, device=None, requires_grad: bool = False,
           layout=None, pin_memory: bool = False) -> _C.Tensor:
    """Values from start to end (exclusive) by step; ints give int64, floats the default dtype.
    arange(end), arange(start, end[, step]), each argument also by keyword."""
    _check_bool_argument("arange", "requires_grad", requires_grad)
    n = len(args)
    if n == 1 and start is None and end is None and step is None:
        start, end, step = 0, args[0], 1
    elif 1 < n < 4 and start is None and end is None and step is None:
        start, end, step = args if n == 3 else (args[0], args[1], 1)
    else:
        start, end, step = _arange_args(args, start, end, step)
    if isinstance(start, _C.Tensor) or isinstance(end, _C.Tensor) or isinstance(step, _C.Tensor):
        start, end, step = (x.item() if isinstance(x, _C.Tensor) else x for x in (start, end, step))
    if out is not None:
        dtype, device = _out_defaults(out, dtype, device, "arange")
    if dtype is not None and _to_dtype(dtype) == _C.bool:
        raise NotImplementedError("\"arange_cpu\" not implemented for 'Bool'")
    if requires_grad:  # (integer arguments alone give int64)
        _check_grad_dtype(dtype if dtype is not None or not all(isinstance(x, numbers.Integral) for x in
                                                                 (start, end, step)) else _C.int64)
    result = _C._arange(start, end, step, dtype, device, requires_grad and out is None)
    return result if out is None else _write_range_out(out, result, "arange", requires_grad, warn=True)


def _arange_args(args: tuple, start, end, step):
    """(start, end, step) from arange's positional and keyword arguments, with PyTorch's errors."""
    if len(args) > 3:
        raise TypeError(_invalid_combination("arange", args, {}, _ARANGE_SIGNATURES))
    keywords = {"start": start, "end": end, "step": step}
    given = dict(keywords)
    names = ("end",) if len(args) == 1 and start is None and end is None else ("start", "end", "step")
    for name, value in zip(names, args):
        if given[name] is not None:
            raise TypeError(f"arange() got multiple values for argument '{name}'")
        given[name] = value
    start, end, step = given["start"], given["end"], given["step"]
    if end is None:
        if not args and start is None and step is None:
            raise TypeError(_invalid_combination("arange", args, keywords, _ARANGE_SIGNATURES))
        raise TypeError('arange() missing 1 required positional arguments: "end"')
    if start is None:
        if step is not None:  # a step needs a start
            raise TypeError(_invalid_combination("arange", args, keywords, _ARANGE_SIGNATURES))
        start = 0
    return start, end, 1 if step is None else step


def _steps_arg(steps, name: str, start, end) -> int:
    """linspace / logspace's steps: an int (a float or bool matches none of PyTorch's signatures)."""
    return _int_arg(steps, lambda: _invalid_combination(
        name, (start, end, steps), {}, " * (Number start, Number end, int steps, *, Tensor out = None, ...)"))


def _range_end(value, name: str, which: str):
    """A linspace / logspace start or end (a number or a 0-d tensor) as a Python number: ints stay ints,
    as PyTorch's integer dtypes take them (-1 into uint8 is 255, -1.0 does not fit)."""
    if isinstance(value, _C.Tensor):
        if value.dim() != 0:
            raise RuntimeError(f"{name} only supports 0-dimensional start and end tensors, but got {which} with "
                               f"{value.dim()} dimension(s).")
        value = value.item()
    if isinstance(value, numbers.Integral) and _INT64_MIN <= int(value) <= _INT64_MAX:
        return bool(value) if isinstance(value, (bool, np.bool_)) else int(value)
    return float(value)


def linspace(start, end, steps, *, out=None, dtype=None, device=None, requires_grad: bool = False, layout=None,
             pin_memory: bool = False) -> _C.Tensor:
    """``steps`` values evenly spaced from start to end (both included)."""
    _check_bool_argument("linspace", "requires_grad", requires_grad)
    if type(steps) is not int or steps > _INT64_MAX:
        steps = _steps_arg(steps, "linspace", start, end)
    start = _range_end(start, "linspace", "start")
    end = _range_end(end, "linspace", "end")
    if out is not None:
        dtype, device = _out_defaults(out, dtype, device, "linspace")
    if requires_grad:
        _check_grad_dtype(dtype)
    result = _C._linspace(start, end, steps, dtype, device, requires_grad and out is None)
    return result if out is None else _write_range_out(out, result, "linspace", requires_grad, warn=False)


_EYE_SIGNATURES = " * (int n, *, Tensor out = None, ...)\n * (int n, int m, *, Tensor out = None, ...)"


def eye(n, m=None, *, out=None, dtype=None, device=None, requires_grad: bool = False, layout=None,
        pin_memory: bool = False) -> _C.Tensor:
    """The n x m (default n x n) identity matrix."""
    _check_bool_argument("eye", "requires_grad", requires_grad)
    if type(n) is not int:
        n = _int_arg(n, lambda: f"eye(): argument 'n' (position 1) must be int, not {type(n).__name__}")
    if m is not None and type(m) is not int:
        m = _int_arg(m, lambda: _invalid_combination("eye", (n, m), {}, _EYE_SIGNATURES))
    if out is not None:
        dtype, device = _out_defaults(out, dtype, device, "eye")
    if requires_grad:
        _check_grad_dtype(dtype)
    result = _C._eye(n, m, dtype, device, requires_grad and out is None)
    return result if out is None else _write_creation_out(out, result, "eye", requires_grad)


# --- random tensors -------------------------------------------------------------------------

def _fills_out(out, shape, dtype) -> bool:
    """Whether a random creation call draws straight into out (in out's memory order, as PyTorch's):
    out already has the shape and dtype and takes no graph."""
    return (isinstance(out, _C.Tensor) and tuple(out.shape) == tuple(shape) and not out.requires_grad
            and (dtype is None or dtype == out.dtype))


def _random(fill, name: str, size: tuple, generator, dtype, device, requires_grad: bool, kwargs: dict) -> _C.Tensor:
    """rand / randn: fill (_C._rand or _C._randn) over the size given as PyTorch's parser reads it."""
    _check_bool_argument(name, "requires_grad", requires_grad)
    out = kwargs.get("out")
    if kwargs:
        size, dtype, device = _size_kw(size, kwargs, dtype, device, name)
    if not size:
        raise _missing_size(name)
    shape = _size(size, name)
    if out is not None and out.is_floating_point() and _fills_out(out, shape, dtype):
        (out.uniform_ if fill is _C._rand else out.normal_)(generator=generator)
        return out.requires_grad_(True) if requires_grad else out
    result = fill(shape, dtype, device, generator, requires_grad and out is None)
    return result if out is None else _write_creation_out(out, result, name, requires_grad)


def rand(*size, generator=None, dtype=None, device=None, requires_grad: bool = False, **kwargs) -> _C.Tensor:
    if generator is None and requires_grad is False and not kwargs:
        t = _C._plain_random(size, False, dtype, device)
        if t is not None:
            return t
    return _random(_C._rand, "rand", size, generator, dtype, device, requires_grad, kwargs)


def randn(*size, generator=None, dtype=None, device=None, requires_grad: bool = False, **kwargs) -> _C.Tensor:
    if generator is None and requires_grad is False and not kwargs:
        t = _C._plain_random(size, True, dtype, device)
        if t is not None:
            return t
    return _random(_C._randn, "randn", size, generator, dtype, device, requires_grad, kwargs)


_RANDINT_SIGNATURES = (" * (int high, tuple of ints size, *, torch.Generator generator, Tensor out = None, "
                       "torch.dtype dtype = None, ...)\n"
                       " * (int low, int high, tuple of ints size, *, torch.Generator generator, Tensor out = None, "
                       "torch.dtype dtype = None, ...)")
# Per dtype: the range randint's bounds must lie in, and the C type PyTorch names in its error.
_RANDINT_LIMITS = {_C.bool: (0, 1, "bool"), _C.uint8: (0, 255, "unsigned char"),
                   _C.int32: (-2**31, 2**31 - 1, "int")}
# Per float dtype: the exponent of the largest range of consecutive integers it holds, and its C name.
_RANDINT_FLOAT_DIGITS = {_C.float32: (24, "float"), _C.float64: (53, "double")}


def randint(*args, generator=None, out=None, dtype=None, device=None, requires_grad: bool = False, low=None,
            high=None, size=None, layout=None, pin_memory: bool = False) -> _C.Tensor:
    """Random integers in [low, high) (low defaults to 0): randint(high, size) or randint(low, high,
    size), each argument also by keyword; int64 unless dtype (or out) says otherwise."""
    _check_bool_argument("randint", "requires_grad", requires_grad)
    if len(args) == 3 and low is None and high is None and size is None:
        low, high, size = args
        keywords = {}
    else:
        keywords = {k: v for k, v in (("low", low), ("high", high), ("size", size)) if v is not None}
        low, high, size = _randint_args(args, keywords)
    if type(low) is not int or type(high) is not int or low < _INT64_MIN or high > _INT64_MAX:
        low, high = _randint_bounds(low, high, args, keywords)
    if isinstance(size, (tuple, list)):
        shape = _size((size,), "randint")
    elif len(args) == 2 and not keywords:  # randint(high, size)
        raise TypeError(f"randint(): argument 'size' (position 2) must be tuple of ints, not {_type_name(size)}")
    else:
        raise TypeError(_invalid_combination("randint", args, keywords, _RANDINT_SIGNATURES))
    if out is not None:
        dtype, device = _out_defaults(out, dtype, device, "randint")
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    if dtype is not None:
        _check_randint_bounds(low, high, _to_dtype(dtype))
    if requires_grad:
        _check_grad_dtype(dtype if dtype is not None else _C.int64)
    if out is not None and _fills_out(out, shape, dtype):
        out.random_(low, high, generator=generator)
        return out.requires_grad_(True) if requires_grad else out
    result = _C._randint(low, high, shape, dtype, device, generator)
    if out is not None:
        return _write_creation_out(out, result, "randint", requires_grad)
    return _finish(result, requires_grad)


def _randint_args(args: tuple, keywords: dict):
    """(low, high, size) from randint's positional and keyword arguments, with PyTorch's errors."""
    given = {"low": None, "high": None, "size": None, **keywords}
    if len(args) > 3:
        raise TypeError(_invalid_combination("randint", args, keywords, _RANDINT_SIGNATURES))
    if len(args) == 3:
        names = ("low", "high", "size")
    elif len(args) == 2:
        names = ("low", "high") if given["size"] is not None else ("high", "size")
    else:
        names = ("low",) if given["high"] is not None else ("high",)
    for name, value in zip(names, args):
        if given[name] is not None:
            raise TypeError(f"randint() got multiple values for argument '{name}'")
        given[name] = value
    low, high, size = given["low"], given["high"], given["size"]
    if high is None or size is None:
        raise TypeError(_invalid_combination("randint", args, keywords, _RANDINT_SIGNATURES))
    return (0 if low is None else low), high, size


def _randint_bounds(low, high, args: tuple, keywords: dict):
    """randint's low and high as ints (ints beyond int64: PyTorch's ValueError)."""
    if len(args) == 2 and not keywords:  # randint(high, size)
        error = lambda: f"randint(): argument 'high' (position 1) must be int, not {_type_name(high)}"  # noqa: E731
    else:
        error = lambda: _invalid_combination("randint", args, keywords, _RANDINT_SIGNATURES)  # noqa: E731
    return _int_arg(low, error), _int_arg(high, error)


def _check_randint_bounds(low: int, high: int, dtype) -> None:
    """PyTorch's checks of randint's range against the dtype: errors for integer dtypes, a warning
    where a float dtype cannot hold every integer of the range."""
    limits = _RANDINT_LIMITS.get(dtype)
    if limits is not None:
        lo, hi, name = limits
        if not lo <= low <= hi:
            raise RuntimeError(f"from is out of bounds for {name}")
        if not lo <= high - 1 <= hi:
            raise RuntimeError(f"to - 1 is out of bounds for {name}")
        return
    digits = _RANDINT_FLOAT_DIGITS.get(dtype)
    if digits is not None:
        bits, name = digits
        for value, label in ((low, "from"), (high - 1, "to - 1")):
            if not -2**bits <= value <= 2**bits:
                warnings.warn(f"{label} is out of bounds [-(2^{bits}), 2^{bits}]. Due to precision limitations {name} "
                              "can support discrete uniform distribution only within this range. This warning will "
                              "become an error in version 1.7 release, please fix the code in advance",
                              UserWarning, stacklevel=3)


# Per dtype: the largest n - 1 randperm can store, and the C type PyTorch names in its error.
_RANDPERM_LIMITS = {_C.uint8: (255, "uint8_t"), _C.int32: (2**31 - 1, "int")}


def randperm(n, *, generator=None, out=None, dtype=None, device=None, requires_grad: bool = False, layout=None,
             pin_memory: bool = False) -> _C.Tensor:
    """A random permutation of 0 .. n-1 (int64 unless dtype or out says otherwise)."""
    _check_bool_argument("randperm", "requires_grad", requires_grad)
    if type(n) is not int or n > _INT64_MAX:
        n = _int_arg(n, lambda: f"randperm(): argument 'n' (position 1) must be int, not {type(n).__name__}")
    if out is not None:
        dtype, device = _out_defaults(out, dtype, device, "randperm")
    if dtype is not None:
        dtype = _to_dtype(dtype)
        if dtype == _C.bool:
            raise NotImplementedError("\"randperm\" not implemented for 'Bool'")
        limit = _RANDPERM_LIMITS.get(dtype)
        if limit is not None and n - 1 > limit[0]:
            raise RuntimeError(f"value cannot be converted to type {limit[1]} without overflow")
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    if requires_grad:
        _check_grad_dtype(dtype if dtype is not None else _C.int64)
    result = _C._randperm(n, dtype, device, generator)
    if out is not None:
        return _write_creation_out(out, result, "randperm", requires_grad)
    return _finish(result, requires_grad)


def normal(mean=0.0, std=1.0, size=None, *, generator=None, out=None, dtype=None, device=None,
           requires_grad: bool = False, layout=None, pin_memory: bool = False) -> _C.Tensor:
    """Samples from N(mean, std²): with float mean/std and a size (a sequence), or elementwise with tensors."""
    if out is None and generator is None and requires_grad is False:
        t = _C._plain_normal(mean, std, size, dtype, device)  # None: not numbers and a plain size
        if t is not None:
            return t
    if isinstance(mean, _C.Tensor) or isinstance(std, _C.Tensor):
        return _normal_of_tensors(mean, std, size, generator, out, dtype, device, requires_grad)
    shape = _normal_size(mean, std, size)
    if out is not None:
        dtype, device = _out_defaults(out, dtype, device, "normal")
        if _fills_out(out, shape, dtype):
            out.normal_(float(mean), float(std), generator=generator)
            return out.requires_grad_(True) if requires_grad else out
    t = _C._empty(shape, dtype, device, False)
    t.normal_(float(mean), float(std), generator=generator)
    if out is not None:
        return _write_creation_out(out, t, "normal", requires_grad)
    return _finish(t, requires_grad)


def _normal_of_tensors(mean, std, size, generator, out, dtype, device, requires_grad):
    """normal with a tensor mean and/or std, as PyTorch draws it: standard normals over the broadcast
    shape, times std, plus mean (a number std is applied in the fill). The draw is not differentiated:
    mean and std get zero gradients (NormalBackward1/2/3)."""
    from ._functional import broadcast_shapes
    from ._fixed_nodes import zero_gradient
    from .autograd import no_grad

    if size is not None:
        raise TypeError(_invalid_combination("normal", (mean, std, size), {}, " * (Tensor mean, Tensor std, *, "
                                                                           "torch.Generator generator, Tensor out = None)"))
    if isinstance(std, _C.Tensor):
        if bool((std < 0).any()):
            raise RuntimeError("normal expects all elements of std >= 0.0")
    elif std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std:g}")
    tensors = [t for t in (mean, std) if isinstance(t, _C.Tensor)]
    ref = tensors[0]
    shape = list(broadcast_shapes(*(t.shape for t in tensors))) if len(tensors) == 2 else list(ref.shape)
    kind = _C.result_type(mean, std) if len(tensors) == 2 else ref.dtype
    z = _C._empty(shape, dtype if dtype is not None else kind, device if device is not None else ref.device, False)
    with no_grad():
        if isinstance(std, _C.Tensor):
            z.normal_(0.0, 1.0, generator=generator).mul_(std)
        else:
            z.normal_(0.0, float(std), generator=generator)
        z.add_(mean)
    name = {(True, True): "NormalBackward3", (True, False): "NormalBackward1", (False, True): "NormalBackward2"}[
        (isinstance(mean, _C.Tensor), isinstance(std, _C.Tensor))]
    z = zero_gradient(z, tensors, name)
    return write_out(out, _finish(z, requires_grad and out is None), "normal")


def _normal_size(mean, std, size) -> list:
    if isinstance(size, (tuple, list)):
        return _size((size,), "normal")
    given = (mean, std) if size is None else (mean, std, size)
    raise TypeError(_invalid_combination("normal", given, {}, " * (float mean, float std, tuple of ints size, *, "
                                                              "torch.Generator generator, Tensor out = None, ...)"))


def manual_seed(seed: int):
    """Seeds the default generators and returns the CPU one: CPU draws then follow PyTorch's CPU
    stream for that seed (the same numbers), CUDA draws our Philox stream."""
    seed = int(seed)
    _C._cuda_default_generator.manual_seed(seed)
    return _C.default_generator.manual_seed(seed)


def seed() -> int:
    """Seeds the default generators from the operating system; returns the seed."""
    s = _C.default_generator.seed()
    _C._cuda_default_generator.manual_seed(s)
    return s
