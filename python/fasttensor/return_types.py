"""The named results of max(dim), min(dim), sort, topk, median, ... as PyTorch's ``torch.return_types``.

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

__all__ = ["max", "min", "sort", "topk", "median", "nanmedian", "mode", "kthvalue", "cummax", "cummin", "aminmax",
           "slogdet", "linalg_slogdet", "linalg_lstsq", "linalg_inv_ex", "linalg_solve_ex"]


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


def _named(name: str, fields: "tuple[str, ...]" = ("values", "indices")) -> type:
    """The result type `name`: a _StructSeq with these fields, each also an attribute."""
    body = {"__slots__": (), "_fields": fields, "__module__": __name__, "__qualname__": name}
    body.update({field: property(itemgetter(i)) for i, field in enumerate(fields)})
    return type(name, (_StructSeq,), body)


max = _named("max")  # noqa: A001 -- PyTorch's names
min = _named("min")  # noqa: A001
sort = _named("sort")
topk = _named("topk")
median = _named("median")
nanmedian = _named("nanmedian")
mode = _named("mode")
kthvalue = _named("kthvalue")
cummax = _named("cummax")
cummin = _named("cummin")
aminmax = _named("aminmax", ("min", "max"))
slogdet = _named("slogdet", ("sign", "logabsdet"))
linalg_slogdet = _named("linalg_slogdet", ("sign", "logabsdet"))
linalg_lstsq = _named("linalg_lstsq", ("solution", "residuals", "rank", "singular_values"))
linalg_inv_ex = _named("linalg_inv_ex", ("inverse", "info"))
linalg_solve_ex = _named("linalg_solve_ex", ("result", "info"))
