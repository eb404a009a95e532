"""fasttensor.linalg: vector and matrix norms, those that need no matrix
decomposition (the spectral norms ord=2/-2 and the nuclear norm need singular
values, which fasttensor does not compute: they raise NotImplementedError)."""

from __future__ import annotations

import math

from . import _C

Tensor = _C.Tensor

__all__ = ["norm", "vector_norm", "matrix_norm"]
# Functions also exported at the top level (fasttensor.det, ...).
__top_level__: list = []


def install(T) -> None:
    """Adds this module's Tensor methods (x.det(), ...) to the Tensor class."""


def vector_norm(x: Tensor, ord=2, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """(Σ |x|^ord)^(1/ord) over dim (all dims when None); ord inf / -inf: max / min |x|; 0: nonzero count."""
    if isinstance(ord, str):
        raise TypeError("linalg.vector_norm(): argument 'ord' must be Number, not str")
    return x.norm(p=ord, dim=dim, keepdim=keepdim, dtype=dtype)


def _two_dims(dim, ndim: int, name: str):
    if len(dim) != 2:
        raise RuntimeError(f"linalg.{name}: dim must be a 2-tuple. Got {tuple(dim)}")
    d0, d1 = (d + ndim if d < 0 else d for d in dim)
    if not (0 <= d0 < ndim and 0 <= d1 < ndim):
        raise IndexError(f"Dimension out of range (expected to be in range of [{-ndim}, {ndim - 1}], "
                         f"but got {tuple(dim)})")
    if d0 == d1:
        raise RuntimeError(f"linalg.{name}: dims must be different. Got ({d0}, {d1})")
    return d0, d1


def matrix_norm(A: Tensor, ord="fro", dim=(-2, -1), keepdim: bool = False, *, dtype=None) -> Tensor:
    """Frobenius ('fro'), max column sum (1), min column sum (-1), max row sum (inf), min row sum (-inf)."""
    if A.dim() < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 dimensions.")
    d0, d1 = _two_dims(dim, A.dim(), "matrix_norm")
    if ord == "fro":
        return A.norm(p=2, dim=(d0, d1), keepdim=keepdim, dtype=dtype)
    if ord in ("nuc", 2, -2):
        raise NotImplementedError(f"linalg.matrix_norm: ord={ord!r} needs singular values, which fasttensor does "
                                  "not compute")
    if ord not in (1, -1, math.inf, -math.inf):
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    if not A.is_floating_point():
        raise RuntimeError(f"linalg.matrix_norm: Expected a floating point or complex tensor as input. "
                           f"Got {A.dtype}")
    a = (A if dtype is None else A.to(dtype)).abs()
    sums_over, pick_over = (d0, d1) if abs(ord) == 1 else (d1, d0)  # column sums for ±1, row sums for ±inf
    sums = a.sum(dim=sums_over, keepdim=True)
    out = sums.amax(dim=pick_over, keepdim=True) if ord > 0 else sums.amin(dim=pick_over, keepdim=True)
    return out if keepdim else out.squeeze((d0, d1))


def norm(A: Tensor, ord=None, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """A vector norm (ord None: 2-norm of all entries; a 1-D input or one dim) or a
    matrix norm (a 2-D input with ord given, or two dims)."""
    if isinstance(dim, int):
        dim = (dim,)
    if ord is None:
        return A.norm(p=2, dim=dim, keepdim=keepdim, dtype=dtype)
    if dim is None:
        if A.dim() == 1:
            return vector_norm(A, ord, None, keepdim, dtype=dtype)
        if A.dim() == 2:
            return matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype)
        raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. "
                           f"Got {A.dim()}D.")
    if len(dim) == 1:
        return vector_norm(A, ord, dim, keepdim, dtype=dtype)
    if len(dim) == 2:
        return matrix_norm(A, ord, dim, keepdim, dtype=dtype)
    raise RuntimeError(f"linalg.norm: If dim is specified, it must be of length 1 or 2. Got {list(dim)}")
