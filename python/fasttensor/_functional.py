"""Function forms of Tensor methods (fasttensor.argmax(x, dim) and the like)
and print options. Each forwards to the C++ method (meshgrid first reads
its arguments as PyTorch does)."""

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


def t(input):
    return input.t()


def expand_copy(input, size):
    return input.expand(size).clone()


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None):
    """Print options, as torch.set_printoptions."""
    _tensor_str.set_printoptions(precision, threshold, edgeitems, linewidth, profile, sci_mode)
