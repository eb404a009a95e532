"""fasttensor.Size: the shape of a tensor, a tuple that prints like PyTorch's."""

from __future__ import annotations

from . import _C


class Size(_C._SizeBase):
    """A tuple of ints: ``t.shape == (3, 4)`` and ``t.shape[0]`` work as in PyTorch. Indexing comes
    from the C base, a tuple whose slices are Sizes (``t.shape[1:]``)."""

    __slots__ = ()

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
            return NotImplemented
        return Size(tuple.__add__(self, other))

    def __radd__(self, other):  # (1,) + t.shape is a Size too
        if not isinstance(other, tuple):
            return NotImplemented
        return Size(tuple.__add__(other, self))

    def __mul__(self, n):
        return Size(tuple.__mul__(self, n))

    __rmul__ = __mul__

    def __reduce__(self):
        return (Size, (tuple(self),))


# As torch.Size: <class 'fasttensor.Size'>, and "'fasttensor.Size' object is not callable".
Size.__module__ = "fasttensor"
_C._set_type_name(Size, "fasttensor.Size")
