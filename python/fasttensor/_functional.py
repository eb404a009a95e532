"""Function forms of Tensor methods (fasttensor.argmax(x, dim) and the like),
print options, and a few ops composed of others: flip, roll, triu/tril,
diag, trace and outer (index_select, cat, where and indexing, so they run and
differentiate on every device). The rest forward to the C++ methods
(meshgrid first reads its arguments as PyTorch does)."""

from __future__ import annotations

import warnings

from . import _C, _tensor_str


def all(input, *args, **kwargs):
    return input.all(*args, **kwargs)


def any(input, *args, **kwargs):
    return input.any(*args, **kwargs)


def argmax(input, *args, **kwargs):
    return input.argmax(*args, **kwargs)


def argmin(input, *args, **kwargs):
    return input.argmin(*args, **kwargs)


def amax(input, dim=(), keepdim=False):
    return input.amax(dim, keepdim)


def amin(input, dim=(), keepdim=False):
    return input.amin(dim, keepdim)


def prod(input, *args, **kwargs):
    return input.prod(*args, **kwargs)


def cumsum(input, *args, **kwargs):
    return input.cumsum(*args, **kwargs)


def std(input, *args, **kwargs):
    return input.std(*args, **kwargs)


def var(input, *args, **kwargs):
    return input.var(*args, **kwargs)


def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    return input.norm(p, dim, keepdim, dtype)


def reshape(input, shape):
    return input.reshape(shape)


def flatten(input, start_dim=0, end_dim=-1):
    return input.flatten(start_dim, end_dim)


def transpose(input, dim0, dim1):
    return input.transpose(dim0, dim1)


def permute(input, dims):
    return input.permute(dims)


def squeeze(input, dim=None):
    return input.squeeze(dim)


def unsqueeze(input, dim):
    return input.unsqueeze(dim)


def narrow(input, dim, start, length):
    return input.narrow(dim, start, length)


def unbind(input, dim=0):
    return input.unbind(dim)


def chunk(input, chunks, dim=0):
    return input.chunk(chunks, dim)


def split(tensor, split_size_or_sections, dim=0):
    return tensor.split(split_size_or_sections, dim)


def index_select(input, dim, index):
    return input.index_select(dim, index)


def gather(input, dim, index, *, sparse_grad=False):
    return input.gather(dim, index, sparse_grad=sparse_grad)


def meshgrid(*tensors, indexing=None):
    """Coordinate grids of 0-d/1-D tensors (given as arguments or one sequence),
    as views; ``indexing`` "ij" (matrix, the default) or "xy" (Cartesian)."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        warnings.warn("fasttensor.meshgrid: in an upcoming release, it will be required to pass the indexing argument.",
                      UserWarning, stacklevel=2)
        indexing = "ij"
    return _C._meshgrid(tensors, indexing)


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    return input.isclose(other, rtol, atol, equal_nan)


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    return input.allclose(other, rtol, atol, equal_nan)


def equal(input, other):
    return input.equal(other)


def _wrap_dim(dim: int, ndim: int) -> int:
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return dim % n


def _dims(dims) -> tuple:
    return (dims,) if isinstance(dims, int) else tuple(dims)


def flip(input, dims):
    """input with the order of its entries along each of dims reversed (a copy)."""
    dims = [_wrap_dim(d, input.dim()) for d in _dims(dims)]
    for d in dims:
        if dims.count(d) > 1:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
    out = input
    for d in dims:
        if input.dim() > 0:
            n = input.shape[d]
            out = out.index_select(d, _C._arange(n - 1, -1, -1, _C.int64, input.device, False))
    return out.clone() if out is input else out


def roll(input, shifts, dims=None):
    """input rotated by shifts along dims (the flattened input when dims is None)."""
    if dims is None:
        if not isinstance(shifts, int) and len(_dims(shifts)) != 1:
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(_dims(shifts))}, dims:0")
        return roll(input.flatten(), shifts, 0).reshape(input.shape)
    shifts, dims = _dims(shifts), _dims(dims)
    if len(shifts) != len(dims):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dims)}")
    out = input
    for shift, d in zip(shifts, dims):
        d = _wrap_dim(d, input.dim())
        n = input.shape[d] if input.dim() > 0 else 1
        k = shift % n if n else 0
        if k and input.dim() > 0:
            out = _C.cat([out.narrow(d, n - k, k), out.narrow(d, 0, n - k)], d)
    return out.clone() if out is input else out


def _band(input, diagonal: int, upper: bool, name: str):
    if input.dim() < 2:
        raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions")
    rows, cols = input.shape[-2], input.shape[-1]
    r = _C._arange(0, rows, 1, _C.int64, input.device, False).unsqueeze(1)
    c = _C._arange(0, cols, 1, _C.int64, input.device, False).unsqueeze(0)
    keep = (c - r >= diagonal) if upper else (c - r <= diagonal)
    return _C.where(keep, input, _C._full([], 0, input.dtype, input.device, False))


def triu(input, diagonal=0):
    """input with the entries below the diagonal-th diagonal of its last two dims zeroed."""
    return _band(input, diagonal, True, "triu")


def tril(input, diagonal=0):
    """input with the entries above the diagonal-th diagonal of its last two dims zeroed."""
    return _band(input, diagonal, False, "tril")


def diag(input, diagonal=0):
    """A 1-D input: the square matrix with it on the diagonal-th diagonal; a 2-D input: that diagonal."""
    if input.dim() == 1:
        n = input.shape[0] + abs(diagonal)
        out = _C._full([n, n], 0, input.dtype, input.device, False)
        i = _C._arange(0, input.shape[0], 1, _C.int64, input.device, False)
        out[i + max(-diagonal, 0), i + max(diagonal, 0)] = input
        return out
    if input.dim() != 2:
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input.dim()}D")
    rows, cols = input.shape
    start_r, start_c = max(-diagonal, 0), max(diagonal, 0)
    length = max(min(rows - start_r, cols - start_c), 0)
    i = _C._arange(0, length, 1, _C.int64, input.device, False)
    return input[i + start_r, i + start_c]


def trace(input):
    """The sum of the main diagonal of a matrix."""
    if input.dim() != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input.dim()}")
    return diag(input).sum()


def outer(input, vec2):
    """input[i] * vec2[j] for 1-D input and vec2."""
    for name, v in (("self", input), ("vec2", vec2)):
        if v.dim() != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {v.dim()}-D")
    return input.unsqueeze(1) * vec2.unsqueeze(0)


def sort(input, dim=-1, descending=False, *, stable=False):
    return input.sort(dim, descending, stable=stable)


def argsort(input, dim=-1, descending=False, *, stable=False):
    return input.argsort(dim, descending, stable=stable)


def topk(input, k, dim=-1, largest=True, sorted=True):
    return input.topk(k, dim, largest, sorted)


def t(input):
    return input.t()


def expand_copy(input, size):
    return input.expand(size).clone()


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None):
    """Print options, as torch.set_printoptions."""
    _tensor_str.set_printoptions(precision, threshold, edgeitems, linewidth, profile, sci_mode)
