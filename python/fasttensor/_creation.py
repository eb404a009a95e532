"""Creation functions: tensor, zeros, ones, full, empty, arange, linspace,
eye, the *_like family and random tensors. Sizes and keywords are parsed
here; every fill runs in C++."""

from __future__ import annotations

import numbers
import warnings
from typing import Any, Optional

import numpy as np

from . import _C

_NUMPY_OK = {np.dtype(np.bool_), np.dtype(np.uint8), np.dtype(np.int32), np.dtype(np.int64),
             np.dtype(np.float32), np.dtype(np.float64)}


def _size(size: tuple, name: str) -> list:
    """The size as a list of ints: varargs or one sequence; a tensor counts only as one integer (0-d)."""
    if len(size) == 1 and not isinstance(size[0], (numbers.Integral, _C.Tensor)):
        size = tuple(size[0])
    out = []
    for s in size:
        is_int_tensor = isinstance(s, _C.Tensor) and s.dim() == 0 and not s.is_floating_point() and s.dtype != _C.bool
        if isinstance(s, bool) or not (isinstance(s, numbers.Integral) or is_int_tensor):
            raise TypeError(f"{name}(): argument 'size' must be tuple of ints, but found element of type "
                            f"{type(s).__name__} at pos {len(out)}")
        out.append(int(s))
    return out


def _size_kw(size: tuple, kwargs: dict, name: str) -> tuple:
    """Accepts the size as varargs, one sequence, or the `size=` keyword (`out=` stays in kwargs)."""
    if "size" in kwargs:
        if size:
            raise TypeError(f"{name}() got multiple values for argument 'size'")
        size = (kwargs.pop("size"),)
    for k in ("layout", "pin_memory", "memory_format"):
        kwargs.pop(k, None)
    kwargs = {k: v for k, v in kwargs.items() if k != "out"}
    if kwargs:
        raise TypeError(f"{name}() got an unexpected keyword argument '{next(iter(kwargs))}'")
    return size


def _finish(t: _C.Tensor, requires_grad: bool) -> _C.Tensor:
    if requires_grad:
        t.requires_grad_(True)
    return t


def _numpy_from_data(data: Any) -> np.ndarray:
    """Converts nested lists / scalars / tensors into a NumPy array (in C)."""
    if isinstance(data, _C.Tensor):
        return data.detach().cpu().numpy()
    if isinstance(data, (list, tuple)) and any(isinstance(x, _C.Tensor) for x in _flatten_first(data)):
        data = _tensors_to_lists(data)
    if isinstance(data, np.ndarray) and data.dtype.kind in "OSUV":
        raise TypeError(f"can't convert np.ndarray of type numpy.{data.dtype.type.__name__}. The only supported "
                        "types are: float64, float32, int64, int32, uint8, and bool.")
    try:
        arr = np.asarray(data)
    except ValueError:  # ragged
        raise _data_error(data) from None
    if (arr.dtype == object and not _all_ints(data)) or arr.dtype.kind in "SU":  # (big ints: tensor() decides)
        raise _data_error(data)
    return arr


def _all_ints(data) -> bool:
    return all(isinstance(x, int) and not isinstance(x, bool) for x in _leaves(data))


def _data_error(data) -> Exception:
    """The exception PyTorch raises for data that is not a rectangular nest of numbers: the
    shape comes from the first element at each depth, and the first element that breaks it
    (or that is no number) is named."""
    if isinstance(data, str):
        return ValueError("too many dimensions 'str'")
    if not isinstance(data, (list, tuple)):
        return RuntimeError(f"Could not infer dtype of {type(data).__name__}")
    for x in _leaves(data):
        if isinstance(x, str):
            return ValueError("too many dimensions 'str'")
        if not isinstance(x, (numbers.Number, np.generic, np.ndarray, _C.Tensor)):
            return RuntimeError(f"Could not infer dtype of {type(x).__name__}")
    shape = []
    first = data
    while isinstance(first, (list, tuple)):
        shape.append(len(first))
        if not first:
            break
        first = first[0]

    def check(x, dim):
        if dim == len(shape):
            if isinstance(x, (list, tuple)):
                return TypeError(f"'{type(x).__name__}' object cannot be interpreted as an integer")
            return None
        if not isinstance(x, (list, tuple)):
            return TypeError("not a sequence")
        if len(x) != shape[dim]:
            return ValueError(f"expected sequence of length {shape[dim]} at dim {dim} (got {len(x)})")
        for y in x:
            error = check(y, dim + 1)
            if error is not None:
                return error
        return None

    return check(data, 0) or TypeError(f"Could not infer dtype of {type(data).__name__}")


def _flatten_first(data):
    while isinstance(data, (list, tuple)) and data:
        yield data[0]
        data = data[0]


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


def _leaves(data):
    if isinstance(data, (list, tuple)):
        for x in data:
            yield from _leaves(x)
    else:
        yield data


def _sequence_dtype(data):
    """PyTorch's dtype for a sequence holding NumPy scalars/arrays or tensors: their dtypes promoted
    with the Python numbers' (float: the default dtype, int: int64, bool). Only sequences whose first
    element is such an object are scanned; plain Python numbers take the fast rule."""
    first = next(_flatten_first(data), None)
    if not isinstance(first, (_C.Tensor, np.generic, np.ndarray)):
        return None
    result = None
    for x in _leaves(data):
        if isinstance(x, _C.Tensor):
            d = x.dtype
        elif isinstance(x, (np.generic, np.ndarray)):
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


def _infer_dtype(data: Any, arr: np.ndarray):
    """PyTorch's rule: Python floats → default dtype, ints → int64, bools →
    bool; NumPy arrays and tensors keep their dtype (also inside sequences)."""
    if isinstance(data, np.ndarray) or isinstance(data, np.generic):
        return None  # keep
    if isinstance(data, _C.Tensor):
        return data.dtype
    if isinstance(data, (list, tuple)):
        inner = _sequence_dtype(data)
        if inner is not None:
            return inner
    kind = arr.dtype.kind
    if kind == "b":
        return _C.bool
    if kind in "iu":
        return _C.int64
    if kind == "f":
        return _C.get_default_dtype()
    if kind == "O":  # Python ints beyond 64 bits (tensor() refuses them unless the dtype is floating)
        return _C.int64
    raise TypeError(f"Could not infer dtype of {arr.dtype}")


def tensor(data: Any, dtype=None, device=None, requires_grad: bool = False, pin_memory: bool = False) -> _C.Tensor:
    """A new tensor holding a copy of ``data`` (nested lists, numbers, NumPy arrays, tensors)."""
    if isinstance(data, _C.Tensor):
        warnings.warn("To copy construct from a tensor, it is recommended to use sourceTensor.detach().clone() or "
                      "sourceTensor.detach().clone().requires_grad_(True), rather than torch.tensor(sourceTensor).",
                      UserWarning, stacklevel=2)
    arr = _numpy_from_data(data)
    inferred = _infer_dtype(data, arr)
    target = _to_dtype(dtype) if dtype is not None else inferred
    if (arr.dtype == np.uint64 or arr.dtype == object) and not isinstance(data, np.ndarray):  # ints beyond int64
        if target is None or not target.is_floating_point:
            raise ValueError("Overflow when unpacking long long")
        arr = arr.astype(np.float64)
    # Python numbers must fit an integer dtype (a NumPy array is cast as it is, as in PyTorch).
    if target is not None and not target.is_floating_point and target != _C.bool and arr.size and \
            not isinstance(data, np.ndarray):
        _check_integer_range(arr, target)
    if not arr.dtype.isnative:
        raise ValueError("given numpy array has byte order different from the native byte order. Conversion "
                         "between byte orders is currently not supported.")
    if arr.dtype not in _NUMPY_OK:
        if arr.dtype.kind == "f":
            arr = arr.astype(np.float64) if arr.dtype.itemsize > 4 else arr.astype(np.float32)
        elif arr.dtype.kind in "iu":  # int8/16, uint16/32 fit int64; uint64 only below 2^63
            if arr.dtype == np.uint64 and arr.size and int(arr.max()) > np.iinfo(np.int64).max:
                raise TypeError("can't convert np.ndarray of type numpy.uint64 holding values past 2^63 - 1: "
                                "fasttensor has no uint64 dtype (convert it to float64 first)")
            arr = arr.astype(np.int64)
        elif arr.dtype.kind == "b":
            arr = arr.astype(np.bool_)
        else:
            raise TypeError(f"can't convert np.ndarray of type {arr.dtype}")
    t = _C.from_numpy(arr if arr.flags.c_contiguous else arr.copy(order="C")).clone()
    if target is not None:
        t = t._to_dtype(_to_dtype(target))
    if device is not None:
        t = t._to_device(device)
    return _finish(t, requires_grad)


_INT_RANGES = {"uint8": (-255, 255), "int32": (-2**31, 2**31 - 1), "int64": (-2**63, 2**63 - 1)}


def _check_integer_range(arr: np.ndarray, target) -> None:
    """Values stored into an integer dtype must fit it, as PyTorch checks (uint8 takes
    -255..255: negative numbers wrap); NaN and infinities never fit."""
    ctype = str(target).split(".")[-1]
    lo, hi = _INT_RANGES[ctype]
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        raise RuntimeError(f"value cannot be converted to type {ctype} without overflow")
    if arr.dtype.kind in "iuf" and (arr.min() < lo or arr.max() > hi):
        raise RuntimeError(f"value cannot be converted to type {ctype} without overflow")


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
    if isinstance(data, np.ndarray) and data.dtype in _NUMPY_OK and all(s >= 0 for s in data.strides):
        t = _C.from_numpy(data)
        if dtype is not None:
            t = t._to_dtype(_to_dtype(dtype))
        return t if device is None else t._to_device(device)
    return tensor(data, dtype=dtype, device=device)


def from_numpy(arr: np.ndarray) -> _C.Tensor:
    """A tensor sharing memory with ``arr``."""
    if not isinstance(arr, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(arr).__name__})")
    return _C.from_numpy(arr)


def write_out(out, result: _C.Tensor, name: str, warn_resize: bool = True) -> _C.Tensor:
    """PyTorch's out=: result written into out (resized to result's shape, with PyTorch's warning
    when out had elements, which its creation functions leave out), out returned; None: result."""
    if out is None:
        return result
    if not isinstance(out, _C.Tensor):
        raise TypeError(f"{name}(): argument 'out' must be Tensor, not {type(out).__name__}")
    if _C.is_grad_enabled() and (result.requires_grad or out.requires_grad):
        raise RuntimeError(f"{name}(): functions with out=... arguments don't support automatic differentiation, "
                           "but one of the arguments requires grad.")
    if tuple(out.shape) != tuple(result.shape):
        if out.numel() != 0 and warn_resize:
            warnings.warn(f"An output with one or more elements was resized since it had shape {list(out.shape)}, "
                          f"which does not match the required output shape {list(result.shape)}. This behavior is "
                          "deprecated, and in a future PyTorch release outputs will not be resized unless they have "
                          "zero elements. You can explicitly reuse an out tensor t by resizing it, inplace, to zero "
                          "elements with t.resize_(0).", UserWarning, stacklevel=3)
        out.resize_(*result.shape)
    return out.copy_(result)


def _out_defaults(kwargs: dict, dtype, device):
    """A creation function's out=, and its dtype / device defaulting to out's."""
    out = kwargs.get("out")
    if out is not None and isinstance(out, _C.Tensor):
        dtype = out.dtype if dtype is None else dtype
        device = out.device if device is None else device
    return out, dtype, device


def empty(*size, dtype=None, device=None, requires_grad: bool = False, **kwargs) -> _C.Tensor:
    out, dtype, device = _out_defaults(kwargs, dtype, device)
    size = _size_kw(size, kwargs, "empty")
    result = _C._empty(_size(size, "empty"), dtype, device, requires_grad)
    return write_out(out, result, "empty", warn_resize=False)


def zeros(*size, dtype=None, device=None, requires_grad: bool = False, **kwargs) -> _C.Tensor:
    out, dtype, device = _out_defaults(kwargs, dtype, device)
    size = _size_kw(size, kwargs, "zeros")
    result = _C._full(_size(size, "zeros"), 0, dtype if dtype is not None else _C.get_default_dtype(), device,
                      requires_grad)
    return write_out(out, result, "zeros", warn_resize=False)


def ones(*size, dtype=None, device=None, requires_grad: bool = False, **kwargs) -> _C.Tensor:
    out, dtype, device = _out_defaults(kwargs, dtype, device)
    size = _size_kw(size, kwargs, "ones")
    result = _C._full(_size(size, "ones"), 1, dtype if dtype is not None else _C.get_default_dtype(), device,
                      requires_grad)
    return write_out(out, result, "ones", warn_resize=False)


def full(size, fill_value, dtype=None, device=None, requires_grad: bool = False) -> _C.Tensor:
    if isinstance(fill_value, _C.Tensor):
        fill_value = fill_value.item()
    if dtype is None and isinstance(fill_value, float):
        dtype = _C.get_default_dtype()
    return _C._full(_size((size,), "full"), fill_value, dtype, device, requires_grad)


def _like(t: _C.Tensor, dtype, device):
    return (dtype if dtype is not None else t.dtype), (device if device is not None else t.device)


def empty_like(input, dtype=None, device=None, requires_grad: bool = False, **_ignored) -> _C.Tensor:
    d, dev = _like(input, dtype, device)
    return _C._empty(list(input.shape), d, dev, requires_grad)


def zeros_like(input, dtype=None, device=None, requires_grad: bool = False, **_ignored) -> _C.Tensor:
    d, dev = _like(input, dtype, device)
    return _C._full(list(input.shape), 0, d, dev, requires_grad)


def ones_like(input, dtype=None, device=None, requires_grad: bool = False, **_ignored) -> _C.Tensor:
    d, dev = _like(input, dtype, device)
    return _C._full(list(input.shape), 1, d, dev, requires_grad)


def full_like(input, fill_value, dtype=None, device=None, requires_grad: bool = False, **_ignored) -> _C.Tensor:
    d, dev = _like(input, dtype, device)
    return _C._full(list(input.shape), fill_value, d, dev, requires_grad)


def rand_like(input, dtype=None, device=None, requires_grad: bool = False, **_ignored) -> _C.Tensor:
    d, dev = _like(input, dtype, device)
    return _C._rand(list(input.shape), d, dev, None, requires_grad)


def randn_like(input, dtype=None, device=None, requires_grad: bool = False, **_ignored) -> _C.Tensor:
    d, dev = _like(input, dtype, device)
    return _C._randn(list(input.shape), d, dev, None, requires_grad)


def arange(start, end=None, step=1, *, dtype=None, device=None, requires_grad: bool = False) -> _C.Tensor:
    """Values from start to end (exclusive) by step; ints give int64, floats the default dtype."""
    if end is None:
        start, end = 0, start
    start, end, step = (x.item() if isinstance(x, _C.Tensor) else x for x in (start, end, step))
    return _C._arange(start, end, step, dtype, device, requires_grad)


def linspace(start, end, steps, *, dtype=None, device=None, requires_grad: bool = False) -> _C.Tensor:
    return _C._linspace(float(start), float(end), int(steps), dtype, device, requires_grad)


def eye(n, m=None, *, dtype=None, device=None, requires_grad: bool = False) -> _C.Tensor:
    return _C._eye(int(n), m, dtype, device, requires_grad)


def rand(*size, generator=None, dtype=None, device=None, requires_grad: bool = False, **kwargs) -> _C.Tensor:
    out, dtype, device = _out_defaults(kwargs, dtype, device)
    size = _size_kw(size, kwargs, "rand")
    result = _C._rand(_size(size, "rand"), dtype, device, generator, requires_grad)
    return write_out(out, result, "rand", warn_resize=False)


def randn(*size, generator=None, dtype=None, device=None, requires_grad: bool = False, **kwargs) -> _C.Tensor:
    out, dtype, device = _out_defaults(kwargs, dtype, device)
    size = _size_kw(size, kwargs, "randn")
    result = _C._randn(_size(size, "randn"), dtype, device, generator, requires_grad)
    return write_out(out, result, "randn", warn_resize=False)


def randint(low, high=None, size=None, *, generator=None, dtype=None, device=None, requires_grad: bool = False) -> _C.Tensor:
    if size is None:
        if high is None or not isinstance(high, (tuple, list)):
            raise TypeError("randint() missing 1 required positional arguments: \"size\"")
        low, high, size = 0, low, high
    elif high is None:
        low, high = 0, low
    return _C._randint(int(low), int(high), _size((size,), "randint"), dtype, device, generator)


def randperm(n, *, generator=None, dtype=None, device=None, requires_grad: bool = False) -> _C.Tensor:
    return _C._randperm(int(n), dtype, device, generator)


def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None, device=None,
           requires_grad: bool = False) -> _C.Tensor:
    """Samples from N(mean, std²): with float mean/std and a size, or elementwise with tensors."""
    if isinstance(mean, _C.Tensor) or isinstance(std, _C.Tensor):
        if isinstance(std, _C.Tensor) and bool((std < 0).any()):
            raise RuntimeError("normal expects all elements of std >= 0.0")
        if not isinstance(std, _C.Tensor) and std < 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {std:g}")
        ref = mean if isinstance(mean, _C.Tensor) else std
        shape = list(ref.shape) if size is None else _size((size,), "normal")
        z = _C._randn(shape, dtype if dtype is not None else ref.dtype, device if device is not None else ref.device,
                      generator, False)
        return _finish(z * std + mean, requires_grad)
    if size is None:
        raise TypeError("normal() received an invalid combination of arguments: with float mean and std, size is required")
    t = _C._empty(_size((size,), "normal"), dtype, device, False)
    t.normal_(float(mean), float(std), generator=generator)
    return _finish(t, requires_grad)


def manual_seed(seed: int):
    """Seeds the default generator (CPU and CUDA share one counter-based stream)."""
    _C.manual_seed(int(seed))
    return _C.Generator().manual_seed(int(seed))


def seed() -> int:
    import random

    s = random.getrandbits(63)
    _C.manual_seed(s)
    return s
