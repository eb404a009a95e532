"""Functions beyond the core set, as compositions of the core ops (so
autograd and CUDA work unchanged): each is exported at the top level
(``__all__``) and, where PyTorch has one, as a Tensor method (``install``)."""

from __future__ import annotations

from . import _C

Tensor = _C.Tensor

__all__: list = []


def install(T) -> None:
    """Adds this module's Tensor methods to the Tensor class."""
