"""The named results of max(dim), min(dim), sort and topk, as PyTorch's ``torch.return_types``.

Each is a tuple of fixed length with its fields by name too (``values``,
``indices``), built from one sequence as PyTorch's are, and shown as PyTorch
shows them, a field a line::

    fasttensor.return_types.max(
    values=tensor([5]),
    indices=tensor([1]))
"""

from __future__ import annotations

import builtins
from operator import itemgetter

__all__ = ["max", "min", "sort", "topk"]


class _StructSeq(tuple):
    """A tuple of ``len(_fields)`` items, made from a single sequence."""

    __slots__ = ()
    _fields: "tuple[str, ...]" = ()

    def __new__(cls, sequence):
        items = builtins.tuple(sequence)
        if len(items) != len(cls._fields):
            raise TypeError(f"fasttensor.return_types.{cls.__name__}() takes a {len(cls._fields)}-sequence "
                            f"({len(items)}-sequence given)")
        return super().__new__(cls, items)

    def __repr__(self) -> str:
        fields = ",\n".join(f"{name}={value!r}" for name, value in zip(self._fields, self))
        return f"fasttensor.return_types.{type(self).__name__}(\n{fields})"

    def __reduce__(self):
        return type(self), (builtins.tuple(self),)


def _values_indices(name: str) -> type:
    return type(name, (_StructSeq,), {"__slots__": (), "_fields": ("values", "indices"),
                                      "values": property(itemgetter(0)), "indices": property(itemgetter(1)),
                                      "__module__": __name__, "__qualname__": name})


max = _values_indices("max")  # noqa: A001 -- PyTorch's names
min = _values_indices("min")  # noqa: A001
sort = _values_indices("sort")
topk = _values_indices("topk")
