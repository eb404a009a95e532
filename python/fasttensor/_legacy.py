"""PyTorch's legacy constructors: ``Tensor(2, 3)`` / ``Tensor([1, 2])`` (the
default dtype) and the typed ``FloatTensor``, ``LongTensor``, ... (which are
also what ``isinstance`` and ``x.type(fasttensor.LongTensor)`` take)."""

from __future__ import annotations

import numbers

import numpy as np

from . import _C
from ._size import Size

Tensor = _C.Tensor


def legacy_new(dtype, *args, device=None):
    """Tensor(*sizes) (uninitialized in PyTorch: zeros here), Tensor(size), Tensor(data) or
    Tensor(tensor) (the same data) in ``dtype``."""
    from ._creation import tensor

    if not args:
        return _C._empty([0], dtype, device, False)
    if len(args) == 1:
        data = args[0]
        if isinstance(data, Tensor):
            if data.dtype != dtype:
                raise TypeError(f"expected {_type_name(dtype)} (got {_type_name(data.dtype)})")
            return data
        if isinstance(data, Size):
            return _C._full(list(data), 0, dtype, device, False)
        if isinstance(data, (list, tuple, np.ndarray)):
            return tensor(data, dtype=dtype, device=device)
        if isinstance(data, str):
            raise TypeError(f"new(): invalid data type '{type(data).__name__}'")
        if not isinstance(data, numbers.Integral) or isinstance(data, bool):
            raise TypeError(f"new(): data must be a sequence (got {type(data).__name__})")
    for a in args:
        if isinstance(a, bool) or not isinstance(a, numbers.Integral):
            raise TypeError(f"new() received an invalid combination of arguments - got ({', '.join(type(x).__name__ for x in args)}, )")
    return _C._full([int(a) for a in args], 0, dtype, device, False)


def _type_name(dtype) -> str:
    from ._tensor import _SCALAR_NAMES

    return _SCALAR_NAMES[str(dtype).split(".")[-1]]


class _TensorType(type):
    """The class of FloatTensor and friends: an instance is a tensor of that dtype on the CPU."""

    def __instancecheck__(cls, obj) -> bool:
        return isinstance(obj, Tensor) and obj.dtype == cls.dtype and not obj.is_cuda

    def __repr__(cls) -> str:
        return f"<class 'fasttensor.{cls.__name__}'>"


def _typed(name: str, dtype):
    def __new__(cls, *args, device=None):
        return legacy_new(dtype, *args, device=device)

    return _TensorType(name, (), {"__new__": __new__, "dtype": dtype, "__module__": "fasttensor"})


FloatTensor = _typed("FloatTensor", _C.float32)
DoubleTensor = _typed("DoubleTensor", _C.float64)
LongTensor = _typed("LongTensor", _C.int64)
IntTensor = _typed("IntTensor", _C.int32)
ByteTensor = _typed("ByteTensor", _C.uint8)
BoolTensor = _typed("BoolTensor", _C.bool)

__all__ = ["FloatTensor", "DoubleTensor", "LongTensor", "IntTensor", "ByteTensor", "BoolTensor"]
