"""fasttensor.Size: the shape of a tensor, a tuple that prints like PyTorch's."""

from __future__ import annotations

import operator

import numpy as np

from . import _C
from ._type_names import type_name as _type_name


def _entry(value, i: int):
    """One entry of a Size: an int, as PyTorch's constructor takes it (a bool or an integer tensor
    or 0-d array becomes an int, a NumPy integer is kept; a float, a NumPy bool or anything without
    an integer value is refused)."""
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool):
        try:
            value = operator.index(value)
        except TypeError:
            raise TypeError(f"fasttensor.Size() takes an iterable of 'int' (item {i} is '{_type_name(value)}')") \
                from None
    return value


class Size(_C._SizeBase):
    """A tuple of ints: ``t.shape == (3, 4)`` and ``t.shape[0]`` work as in PyTorch. Indexing comes
    from the C base, a tuple whose slices are Sizes (``t.shape[1:]``)."""

    __slots__ = ()

    def __new__(cls, sizes=()):
        # (t.shape builds its Size in C, without this check)
        entries = tuple(sizes)
        for s in entries:
            if type(s) is not int:
                entries = tuple(_entry(v, i) for i, v in enumerate(entries))
                break
        return super().__new__(cls, entries)

    def __repr__(self) -> str:
        return f"fasttensor.Size([{', '.join(str(int(s)) for s in self)}])"

    __str__ = __repr__

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n

    def __add__(self, other):
        if not isinstance(other, tuple):
            # As PyTorch's: other's __radd__ has its turn, then tuple's concatenation refuses. (Defining
            # __add__ here takes tuple's concatenation slot away, so Python would not get to it.)
            radd = getattr(type(other), "__radd__", None)
            result = NotImplemented if radd is None else radd(other, self)
            if result is NotImplemented:
                raise TypeError(f"can only concatenate tuple (not {type(other).__name__}) to fasttensor.Size")
            return result
        return Size(tuple.__add__(self, other))

    def __radd__(self, other):  # (1,) + t.shape is a Size too
        if not isinstance(other, tuple):
            return NotImplemented
        return Size(tuple.__add__(other, self))

    def __mul__(self, n):
        if not hasattr(n, "__index__"):  # tuple's message (Python does not reach tuple's repeat slot: see __add__)
            name = "fasttensor.Size" if isinstance(n, Size) else _type_name(n)
            raise TypeError(f"can't multiply sequence by non-int of type '{name}'")
        return _C._SizeBase.__new__(Size, tuple.__mul__(self, n))  # (its entries are already a Size's)

    __rmul__ = __mul__

    def __reduce__(self):
        return (Size, (tuple(self),))


# As torch.Size: <class 'fasttensor.Size'>, and "'fasttensor.Size' object is not callable".
Size.__module__ = "fasttensor"
_C._set_type_name(Size, "fasttensor.Size")
