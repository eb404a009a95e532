"""Function forms of Tensor methods (fasttensor.argmax(x, dim) and the like),
print options, and ops composed of others: flip, roll, triu/tril, diag,
trace, outer, and (below the others) logsumexp, the joins, tile,
repeat_interleave, diagonal, atan2, cumprod, nan_to_num, tensor_split and
more, with finfo/iinfo. Composites use views, elementwise ops, reductions,
index_select, cat, where and indexing, so they run and differentiate on every
device. The rest forward to the C++ methods (meshgrid first reads its
arguments as PyTorch does)."""

from __future__ import annotations

import builtins
import math
import warnings

import numpy as np

from . import _C, _tensor_str
from ._grad_names import grad_fn_named
from ._size import Size
from ._type_names import type_name as _type_name

Tensor = _C.Tensor


def _not_a_tensor(name: str, value, param: str = "input", position: int = 1) -> TypeError:
    """PyTorch's error for a function form given something else than a tensor (a list, an array)."""
    return TypeError(f"{name}(): argument '{param}' (position {position}) must be Tensor, not {_type_name(value)}")


def _check_tensors(name: str, *params, optional=()) -> None:
    """PyTorch's TypeError for the first of (param name, value) that is not a tensor, positions counted
    from 1 as in the function form (a method's are one less: _exports.method_form). The params named in
    `optional` may be None."""
    for position, (param, value) in enumerate(params, 1):
        if not isinstance(value, Tensor) and not (value is None and param in optional):
            raise _not_a_tensor(name, value, param, position)


def all(input, *args, **kwargs):
    if not isinstance(input, Tensor):
        raise _not_a_tensor("all", input)
    return input.all(*args, **kwargs)


def any(input, *args, **kwargs):
    if not isinstance(input, Tensor):
        raise _not_a_tensor("any", input)
    return input.any(*args, **kwargs)


def argmax(input, *args, **kwargs):
    if not isinstance(input, Tensor):
        raise _not_a_tensor("argmax", input)
    return input.argmax(*args, **kwargs)


def argmin(input, *args, **kwargs):
    if not isinstance(input, Tensor):
        raise _not_a_tensor("argmin", input)
    return input.argmin(*args, **kwargs)


def amax(input, dim=(), keepdim=False):
    if not isinstance(input, Tensor):
        raise _not_a_tensor("amax", input)
    return input.amax(dim, keepdim)


def amin(input, dim=(), keepdim=False):
    if not isinstance(input, Tensor):
        raise _not_a_tensor("amin", input)
    return input.amin(dim, keepdim)


def prod(input, *args, **kwargs):
    if not isinstance(input, Tensor):
        raise _not_a_tensor("prod", input)
    return input.prod(*args, **kwargs)


def cumsum(input, *args, **kwargs):
    if not isinstance(input, Tensor):
        raise _not_a_tensor("cumsum", input)
    return input.cumsum(*args, **kwargs)


def std(input, *args, **kwargs):
    if not isinstance(input, Tensor):
        raise _not_a_tensor("std", input)
    return input.std(*args, **kwargs)


def var(input, *args, **kwargs):
    if not isinstance(input, Tensor):
        raise _not_a_tensor("var", input)
    return input.var(*args, **kwargs)


def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    if not isinstance(input, Tensor):
        raise _not_a_tensor("norm", input)
    return input.norm(p, dim, keepdim, dtype)


def reshape(input, shape):
    if not isinstance(input, Tensor):
        raise _not_a_tensor("reshape", input)
    return input.reshape(shape)


def flatten(input, start_dim=0, end_dim=-1):
    if not isinstance(input, Tensor):
        raise _not_a_tensor("flatten", input)
    return input.flatten(start_dim, end_dim)


def transpose(input, dim0, dim1):
    if not isinstance(input, Tensor):
        raise _not_a_tensor("transpose", input)
    return input.transpose(dim0, dim1)


def permute(input, dims):
    if not isinstance(input, Tensor):
        raise _not_a_tensor("permute", input)
    return input.permute(dims)


def squeeze(input, dim=None):
    if not isinstance(input, Tensor):
        raise _not_a_tensor("squeeze", input)
    return input.squeeze(dim)


def unsqueeze(input, dim):
    if not isinstance(input, Tensor):
        raise _not_a_tensor("unsqueeze", input)
    return input.unsqueeze(dim)


def narrow(input, dim, start, length):
    if not isinstance(input, Tensor):
        raise _not_a_tensor("narrow", input)
    return input.narrow(dim, start, length)


def unbind(input, dim=0):
    if not isinstance(input, Tensor):
        raise _not_a_tensor("unbind", input)
    return input.unbind(dim)


def chunk(input, chunks, dim=0):
    if not isinstance(input, Tensor):
        raise _not_a_tensor("chunk", input)
    return input.chunk(chunks, dim)


def split(tensor, split_size_or_sections, dim=0):
    return tensor.split(split_size_or_sections, dim)


def index_select(input, dim, index):
    if not isinstance(input, Tensor):
        raise _not_a_tensor("index_select", input)
    if not isinstance(index, Tensor):
        raise _not_a_tensor("index_select", index, "index", 3)
    return input.index_select(dim, index)


def gather(input, dim, index, *, sparse_grad=False):
    if not isinstance(input, Tensor):
        raise _not_a_tensor("gather", input)
    if not isinstance(index, Tensor):
        raise _not_a_tensor("gather", index, "index", 3)
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
    if not isinstance(input, Tensor):
        raise _not_a_tensor("isclose", input)
    if not isinstance(other, Tensor):
        raise _not_a_tensor("isclose", other, "other", 2)
    return input.isclose(other, rtol, atol, equal_nan)


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    _check_tensors("allclose", ("input", input), ("other", other))
    return input.allclose(other, rtol, atol, equal_nan)


def equal(input, other):
    _check_tensors("equal", ("input", input), ("other", other))
    return input.equal(other)


def _wrap_dim(dim: int, ndim: int) -> int:
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return dim % n


def _dims(dims) -> tuple:
    return (dims,) if isinstance(dims, int) else tuple(dims)


def _varargs_dims(args: tuple, dims, name: str) -> tuple:
    """The dims of x.flip(0, 1) / x.flip((0, 1)) / flip(x, dims=(0, 1)) as one tuple."""
    if dims is not None:
        if args:
            raise TypeError(f"{name}() got multiple values for argument 'dims'")
        return _dims(dims)
    if not args:
        raise TypeError(f"{name}() missing 1 required positional argument: 'dims'")
    given = args[0] if len(args) == 1 else args
    out = (given,) if isinstance(given, int) or (isinstance(given, Tensor) and given.dim() == 0) else given
    if isinstance(out, (str, bytes)) or not hasattr(out, "__iter__") or \
            not builtins.all(hasattr(d, "__index__") and not isinstance(d, float) for d in out):
        raise TypeError(f"{name}(): argument 'dims' (position 1) must be tuple of ints, not {type(given).__name__}")
    return tuple(out)


@grad_fn_named("FlipBackward0")
def flip(input, *args, dims=None):
    """input with the order of its entries along each of dims reversed (a copy);
    dims as one sequence or, as the method x.flip(0, 1) takes them, as arguments."""
    dims = [_wrap_dim(d, input.dim()) for d in _varargs_dims(args, dims, "flip")]
    for d in dims:
        if dims.count(d) > 1:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
    out = input
    for d in dims:
        if input.dim() > 0:
            n = input.shape[d]
            out = out.index_select(d, _C._arange(n - 1, -1, -1, _C.int64, input.device, False))
    if out is input:
        return input.clone()
    if not input.is_contiguous():
        # PyTorch's flip is laid out as empty_like(input): a dense input's strides (x.t().flip(0) is
        # transposed too); a layout with gaps gives a contiguous result.
        like = _C._empty_like(input, None, None, False)
        if like.stride() == input.stride():
            return like.copy_(out)
    return out


@grad_fn_named("RollBackward0")
def roll(input, shifts, dims=None):
    """input rotated by shifts along dims (the flattened input when dims is None)."""
    if isinstance(shifts, bool):
        raise TypeError("roll(): argument 'shifts' (position 1) must be tuple of ints, not bool")
    if dims is None:
        if not isinstance(shifts, int) and len(_dims(shifts)) != 1:
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(_dims(shifts))}, dims:0")
        return roll(input.flatten(), shifts, 0).reshape(input.shape)
    shifts, dims = _dims(shifts), _dims(dims)
    if len(shifts) != len(dims):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dims)}")
    out = input
    for shift, d in zip(shifts, dims):
        if input.dim() == 0:  # dims name none of a 0-d tensor's (None above rolls it as 1-D)
            raise IndexError(f"Dimension specified as {d} but tensor has no dimensions")
        d = _wrap_dim(d, input.dim())
        n = input.shape[d]
        k = shift % n if n else 0
        if k:
            out = _C.cat([out.narrow(d, n - k, k), out.narrow(d, 0, n - k)], d)
    return out if out is not input else input._clone(False)  # contiguous either way (cat's are), as PyTorch's


def _band(input, diagonal: int, upper: bool, name: str):
    if input.dim() < 2:
        raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions")
    rows, cols = input.shape[-2], input.shape[-1]
    r = _C._arange(0, rows, 1, _C.int64, input.device, False).unsqueeze(1)
    c = _C._arange(0, cols, 1, _C.int64, input.device, False).unsqueeze(0)
    keep = (c - r >= diagonal) if upper else (c - r <= diagonal)
    # input made contiguous first: the result is contiguous whatever input's layout, as PyTorch's
    return _C.where(keep, input.contiguous(), _C._full([], 0, input.dtype, input.device, False))


@grad_fn_named("TriuBackward0")
def triu(input, diagonal=0):
    """input with the entries below the diagonal-th diagonal of its last two dims zeroed."""
    return _band(input, diagonal, True, "triu")


@grad_fn_named("TrilBackward0")
def tril(input, diagonal=0):
    """input with the entries above the diagonal-th diagonal of its last two dims zeroed."""
    return _band(input, diagonal, False, "tril")


@grad_fn_named(lambda input, diagonal=0: "DiagEmbedBackward0" if input.dim() == 1 else "DiagonalBackward0_copy")
def diag(input, diagonal=0):
    """A 1-D input: the square matrix with it on the diagonal-th diagonal; a 2-D input: that diagonal."""
    from ._creation import _int_arg
    diagonal = _int_arg(diagonal, lambda: f"diag(): argument 'diagonal' (position 2) must be int, not "
                                          f"{_type_name(diagonal)}")
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


@grad_fn_named("TraceBackward0")
def trace(input):
    """The sum of the main diagonal of a matrix."""
    if input.dim() != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input.dim()}")
    return diag(input).sum()


def outer(input, vec2):
    """input[i] * vec2[j] for 1-D input and vec2."""
    _check_tensors("outer", ("input", input), ("vec2", vec2))
    for name, v in (("self", input), ("vec2", vec2)):
        if v.dim() != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {v.dim()}-D")
    return input.unsqueeze(1) * vec2.unsqueeze(0)


def sort(input, dim=-1, descending=False, *, stable=False):
    if not isinstance(input, Tensor):
        raise _not_a_tensor("sort", input)
    return input.sort(dim, descending, stable=stable)


def argsort(input, dim=-1, descending=False, *, stable=False):
    if not isinstance(input, Tensor):
        raise _not_a_tensor("argsort", input)
    return input.argsort(dim, descending, stable=stable)


def topk(input, k, dim=-1, largest=True, sorted=True):
    return input.topk(k, dim, largest, sorted)


def t(input):
    if not isinstance(input, Tensor):
        raise _not_a_tensor("t", input)
    return input.t()


def adjoint(input):
    """The last two dims swapped (the conjugate is the tensor itself for fasttensor's real dtypes), a view."""
    if not isinstance(input, Tensor):
        raise _not_a_tensor("adjoint", input)
    return input.adjoint()


def expand_copy(input, size):
    return input.expand(size).clone()


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None):
    """Print options, as torch.set_printoptions."""
    _tensor_str.set_printoptions(precision, threshold, edgeitems, linewidth, profile, sci_mode)


# --- Composites added for PyTorch parity. Each is made of existing ops (views,
# elementwise ops, reductions, index_select, cat, where), so it runs on every
# device and autograd differentiates it through those ops.


def clone(input, *, memory_format=None):
    """A copy of input with its own storage, in input's layout when that is dense (preserve_format, the
    default), else contiguous."""
    if not isinstance(input, Tensor):
        raise _not_a_tensor("clone", input)
    return input.clone(memory_format=memory_format)


def _scalar_on(value, like):
    """A 0-d tensor of like's dtype and device (for where's branches); a float beyond the
    dtype's range rounds to +-inf there (nan_to_num(posinf=1e300) on float32), as in PyTorch."""
    if like.is_floating_point() and isinstance(value, float):
        return _C._full([], value, _C.float64, like.device, False)._to_dtype(like.dtype)
    return _C._full([], value, like.dtype, like.device, False)


@grad_fn_named("LogsumexpBackward0")
def logsumexp(input, dim, keepdim=False):
    """log(sum(exp(input))) over dim, stably: the (detached) max is subtracted
    first, so the gradient is softmax(input); integer inputs give the default float dtype."""
    x = input if input.is_floating_point() else input._to_dtype(_C.get_default_dtype())
    if x.numel() == 0:  # nothing to take the max of: log(0) = -inf where the reduced dims are empty
        return x.exp().sum(dim, keepdim).log()
    # A row's max of +-inf is replaced by 0 (as PyTorch), so inf - inf never makes a NaN.
    shift = x.detach().amax(dim, True)
    shift = _C.where(shift.isinf(), _scalar_on(0, shift), shift)
    out = (x - shift).exp().sum(dim, keepdim).log()
    return out + shift.reshape(out.shape)


def _broadcast_pair(a_shape, b_shape) -> list:
    """The broadcast of two shapes, with PyTorch's error for elementwise ops."""
    n = max(len(a_shape), len(b_shape))
    a = [1] * (n - len(a_shape)) + list(a_shape)
    b = [1] * (n - len(b_shape)) + list(b_shape)
    for i in reversed(range(n)):  # from the last dim, as PyTorch reports the first mismatch
        p, q = a[i], b[i]
        if p != q and p != 1 and q != 1:
            raise RuntimeError(f"The size of tensor a ({p}) must match the size of tensor b ({q}) "
                               f"at non-singleton dimension {i}")
    return [q if p == 1 else p for p, q in zip(a, b)]


def broadcast_shapes(*shapes):
    """The shape that tensors of the given shapes (ints or sequences of ints) broadcast to."""
    as_tuples = []
    for shape in shapes:
        if isinstance(shape, int) and not isinstance(shape, bool):
            shape = (shape,)
        elif not isinstance(shape, (tuple, list)):
            raise RuntimeError(f"Input shapes should be of type ints, a tuple of ints, or a list of ints, got {shape}")
        as_tuples.append(tuple(int(s) for s in shape))
    result = [1] * max((len(s) for s in as_tuples), default=0)
    for index, shape in enumerate(as_tuples):
        for i in range(-1, -len(shape) - 1, -1):
            size = shape[i]
            if size < 0:
                raise ValueError("Attempting to broadcast a dimension with negative length!")
            if size == 1 or size == result[i]:
                continue
            if result[i] != 1:
                raise RuntimeError(f"Attempting to broadcast a dimension of length {size} at {i}! Mismatching "
                                   f"argument at index {index} had {shape}; but expected shape should be "
                                   f"broadcastable to {result}")
            result[i] = size
    return Size(result)


def broadcast_to(input, *size):
    """input expanded (a view) to size; -1 keeps a dim's size."""
    if len(size) == 1 and not isinstance(size[0], int):
        size = tuple(size[0])
    return input.expand(list(size))


def _tensor_list(tensors, name: str) -> list:
    if not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{name}(): argument 'tensors' (position 1) must be tuple of Tensors, "
                        f"not {type(tensors).__name__}")
    if not tensors:
        raise RuntimeError(f"{name} expects a non-empty TensorList")
    return list(tensors)


def _at_least(t, ndim: int):
    """t viewed with leading size-1 dims up to ndim dims (a 1-D t of size n becomes (1, n))."""
    while t.dim() < ndim:
        t = t.unsqueeze(0)
    return t


def hstack(tensors):
    """The tensors joined along dim 1 (dim 0 when they are 1-D; 0-d ones count as 1-D)."""
    ts = [_at_least(t, 1) for t in _tensor_list(tensors, "hstack")]
    return _C.cat(ts, 0 if ts[0].dim() == 1 else 1)


def vstack(tensors):
    """The tensors joined along dim 0, 0-d and 1-D ones first viewed as rows."""
    return _C.cat([_at_least(t, 2) for t in _tensor_list(tensors, "vstack")], 0)


def column_stack(tensors):
    """The tensors joined along dim 1, 0-d and 1-D ones first made columns (n, 1)."""
    ts = _tensor_list(tensors, "column_stack")
    return _C.cat([t.reshape(t.numel(), 1) if t.dim() <= 1 else t for t in ts], 1)


def tile(input, *args, dims=None):
    """input repeated dims[i] times along each dim; a shorter dims is padded with 1s in front."""
    dims = _varargs_dims(args, dims, "tile")
    dims = (1,) * (input.dim() - len(dims)) + tuple(dims)
    return input.repeat(list(dims))


def _repeat_counts(repeats, size: int):
    """Host array of per-entry counts from an integer tensor of repeats (checked as PyTorch does)."""
    if repeats.is_floating_point() or repeats.dtype in (_C.bool, _C.uint8):
        raise NotImplementedError(f"\"repeat_interleave\" not implemented for '{_dtype_display(repeats.dtype)}'")
    if repeats.dim() > 1:
        raise RuntimeError("repeats must be 0-dim or 1-dim tensor")
    counts = _C._to_numpy(repeats.detach().cpu()).astype(np.int64).reshape(-1)
    if counts.size == 1:
        counts = np.repeat(counts, size)
    if counts.size != size:
        raise RuntimeError(f"repeats must have the same size as input along dim, but got "
                           f"repeats.size(0) = {counts.size} and input.size(0) = {size}")
    if (counts < 0).any():
        raise RuntimeError("repeats can not be negative")
    return counts


def _index_repeated(counts, device):
    """The int64 index 0, 1, ... with entry i repeated counts[i] times (built on the host, as the
    output size depends on the values), on device."""
    return _C.from_numpy(np.repeat(np.arange(counts.size, dtype=np.int64), counts)).clone()._to_device(device)


@grad_fn_named(lambda input, repeats=None, dim=None, *, output_size=None: "ViewBackward0" if isinstance(repeats, int) else None)
def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    """Each entry of input repeated along dim (the flattened input when dim is None):
    repeats times (an int), or repeats[i] times for entry i (an integer tensor).
    repeat_interleave(r) alone gives the indices 0, 1, ... repeated r[i] times."""
    if repeats is None:  # repeat_interleave(repeats): the index each output entry copies
        if input.dim() != 1:
            raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
        return _index_repeated(_repeat_counts(input, input.shape[0]), input.device)
    if dim is None:
        input, dim = input.flatten(), 0
    d = _wrap_dim(dim, input.dim())
    if isinstance(repeats, np.integer) or (isinstance(repeats, np.ndarray) and repeats.ndim == 0 and
                                           repeats.dtype.kind in "iu"):
        repeats = int(repeats)  # (a NumPy integer is an int, as PyTorch's parser reads it)
    if isinstance(repeats, _C.Tensor) and repeats.numel() == 1 and repeats.dim() <= 1:
        _repeat_counts(repeats, 1)  # checks dtype and sign
        repeats = int(repeats.item())
    if isinstance(repeats, int):
        if repeats < 0:
            raise RuntimeError("Repeats must be non-negative")
        shape = list(input.shape)
        if output_size is not None and output_size != shape[d] * repeats:
            raise RuntimeError(f"repeat_interleave: Invalid output_size, expected {shape[d] * repeats} "
                               f"but got {output_size}")
        # (.., n, ..) -> (.., n, r, ..) by a broadcast view, then merged into (.., n * r, ..)
        wide = input.unsqueeze(d + 1).expand(shape[:d + 1] + [repeats] + shape[d + 1:])
        return wide.reshape(shape[:d] + [shape[d] * repeats] + shape[d + 1:])
    if input.dim() == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    counts = _repeat_counts(repeats, input.shape[d])
    if output_size is not None and output_size != int(counts.sum()):
        raise RuntimeError("allocated size does not match required size")
    return input.index_select(d, _index_repeated(counts, input.device))


@grad_fn_named("MaskedSelectBackward0")
def masked_select(input, mask):
    """The 1-D tensor of input's entries where the bool mask is True (both broadcast first)."""
    _check_tensors("masked_select", ("input", input), ("mask", mask))
    if mask.dtype != _C.bool:
        raise RuntimeError("masked_select: expected BoolTensor for mask")
    shape = _broadcast_pair(input.shape, mask.shape)
    return input.expand(shape)[mask.expand(shape)]


def swapaxes(input, axis0, axis1):
    """input with the two dims exchanged (a view); also named swapdims and transpose."""
    return input.transpose(axis0, axis1)


def swapdims(input, dim0, dim1):
    """input with the two dims exchanged (a view)."""
    return input.transpose(dim0, dim1)


def movedim(input, source, destination):
    """input with its dims source moved to positions destination, the others keeping
    their order (a view)."""
    src, dst = _dims(source), _dims(destination)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({list(src)} dims) should contain "
                           f"the same number of dims as destination ({list(dst)} dims)")
    n = input.dim()
    src_w = [_wrap_dim(d, n) for d in src]
    dst_w = [_wrap_dim(d, n) for d in dst]
    for name, given, wrapped in (("source", src, src_w), ("destination", dst, dst_w)):
        if len(set(wrapped)) != len(wrapped):
            raise RuntimeError(f"movedim: repeated dim in `{name}` ({list(given)})")
    if n == 0:
        return input.permute([])
    order = [None] * n
    for s, d in zip(src_w, dst_w):
        order[d] = s
    rest = iter(d for d in range(n) if d not in src_w)
    return input.permute([s if s is not None else next(rest) for s in order])


def moveaxis(input, source, destination):
    """Alias of movedim."""
    return movedim(input, source, destination)


def ravel(input):
    """input flattened to 1-D: input.contiguous().view(-1), as PyTorch's (so a copy is always
    contiguous, where reshape(-1) may keep a strided view)."""
    return input.contiguous().view(-1)


def diagonal(input, offset=0, dim1=0, dim2=1):
    """The offset-th diagonal over dims dim1 and dim2, as the last dim of the result: a view of input
    (writes through it reach input), whatever input's layout."""
    return _C._diagonal(input, offset, dim1, dim2)


def count_nonzero(input, dim=None):
    """The number of nonzero entries over dim (all dims when None), as int64."""
    return (input != 0).sum(() if dim is None else dim)


def _in_memory_order(input, fn):
    """fn(input) computed on input's dims in memory order (by stride) and permuted back: the
    result's dims lie in memory as input's do, as PyTorch lays out elementwise results (which
    decides the order a later sum adds them in)."""
    if input.dim() < 2 or input.is_contiguous():
        return fn(input)
    order = sorted(range(input.dim()), key=lambda d: -input.stride(d))
    return fn(input.permute(order)).permute([order.index(d) for d in range(input.dim())])


@grad_fn_named("NansumBackward0")
def nansum(input, dim=None, keepdim=False, *, dtype=None):
    """The sum over dim with NaNs counted as zero."""
    # PyTorch's nansum adds in the order its sum would over the same layout; without NaNs that is the
    # sum itself (a strided view keeps its order only when not copied).
    if input.is_floating_point() and (input.is_contiguous() or bool(input.isnan().any())):
        input = _in_memory_order(input, lambda x: _C.where(x.isnan(), _scalar_on(0, x), x))
    return input.sum(() if dim is None else dim, keepdim, dtype=dtype)


def nanmean(input, dim=None, keepdim=False, *, dtype=None):
    """The mean over dim of the entries that are not NaN (NaN where all are)."""
    if not input.is_floating_point():
        name = _dtype_display(input.dtype)
        raise RuntimeError(f"nanmean(): expected input to have floating point or complex dtype but got {name}")
    if dtype is not None and isinstance(dtype, _C.dtype) and not dtype.is_floating_point:
        raise RuntimeError("nanmean(): could not infer output dtype. Optional dtype must be either a floating point "
                           f"or complex dtype. Got: {_dtype_display(dtype)}")
    count = input.isnan().logical_not().sum(() if dim is None else dim, keepdim)
    return nansum(input, dim, keepdim, dtype=dtype) / count


def _dtype_display(dtype) -> str:
    """PyTorch's scalar type name in messages: Float, Double, Long, Int, Byte, Bool."""
    from ._tensor import _SCALAR_NAMES, _dtype_name

    return _SCALAR_NAMES[_dtype_name(dtype)]


def _bound(value, name: str, op: str):
    if value is None or not isinstance(value, (int, float, _C.Tensor)):
        raise TypeError(f"{op}(): argument '{name}' must be Tensor or Number, not {type(value).__name__}")
    return value


def _promoted_for_clamp(input, bound):
    """A bool input promoted to the result dtype first (clamp has no bool kernel; True/1 bounds give int64)."""
    if input.dtype == _C.bool:
        dtype = _C.result_type(input, bound)
        if dtype != _C.bool:
            return input._to_dtype(dtype)
    return input


@grad_fn_named(lambda input, min: "ClampMinBackward1" if isinstance(min, Tensor) else "ClampMinBackward0")
def clamp_min(input, min):
    """max(input, min) elementwise (min a number or a broadcastable tensor)."""
    return _promoted_for_clamp(input, _bound(min, "min", "clamp_min")).clamp(min=min)


@grad_fn_named(lambda input, max: "ClampMaxBackward1" if isinstance(max, Tensor) else "ClampMaxBackward0")
def clamp_max(input, max):
    """min(input, max) elementwise (max a number or a broadcastable tensor)."""
    return _promoted_for_clamp(input, _bound(max, "max", "clamp_max")).clamp(max=max)


@grad_fn_named(lambda input, min: "ClampMinBackward1" if isinstance(min, Tensor) else "ClampMinBackward0")
def clamp_min_(input, min):
    """In-place clamp_min."""
    return input.clamp_(min=_bound(min, "min", "clamp_min_"))


@grad_fn_named(lambda input, max: "ClampMaxBackward1" if isinstance(max, Tensor) else "ClampMaxBackward0")
def clamp_max_(input, max):
    """In-place clamp_max."""
    return input.clamp_(max=_bound(max, "max", "clamp_max_"))


def _is_negative(t):
    """t < 0, counting -0.0 as negative (its reciprocal is -inf): the sign bit."""
    return (t < 0) | ((t == 0) & (t.reciprocal() < 0))


@grad_fn_named("Atan2Backward0")
def atan2(input, other):
    """The angle of the point (other, input) in [-pi, pi], elementwise with broadcasting;
    integer inputs give the default float dtype.

    Built on atan of a ratio at most 1 in magnitude (so no overflow and no
    division by zero away from the origin); signed zeros and infinities give
    C's atan2 values. Its gradient is PyTorch's: (x, -y) / (x^2 + y^2), 0 at the
    origin (0, not NaN, at infinite inputs)."""
    for position, t in ((0, input), (1, other)):
        if not isinstance(t, _C.Tensor):
            raise TypeError(f"atan2(): argument '{'other' if position else 'input'}' (position {position + 1}) "
                            f"must be Tensor, not {type(t).__name__}")
    dtype = _C.result_type(input, other)
    if dtype not in (_C.float32, _C.float64):
        dtype = _C.get_default_dtype()
    y, x = input._to_dtype(dtype), other._to_dtype(dtype)
    y_neg, x_neg = _is_negative(y), _is_negative(x)
    ay = _C.where(y_neg, -y, y)  # |y| and |x|, with derivative +-1 also at 0 (abs's is 0 there)
    ax = _C.where(x_neg, -x, x)
    steep = ay > ax  # above the diagonal: atan(y/x) = pi/2 - atan(x/y)
    num = _C.where(steep, ax, ay)
    den = _C.where(steep, ay, ax)
    # (0, 0) and (+-inf, +-inf) have no usable ratio: 0/1 and 1/1 give their angles 0 and pi/4.
    origin = (den == 0) & (num == 0)  # not (NaN, 0): NaN / 0 stays NaN
    both_inf = ax.isinf() & ay.isinf()
    one = _scalar_on(1, den)
    num = _C.where(origin, _scalar_on(0, num), _C.where(both_inf, one, num))
    den = _C.where(origin | both_inf, one, den)
    t = (num / den).atan()  # in [0, pi/4]
    angle = _C.where(steep, math.pi / 2 - t, t)  # in [0, pi/2]: the first quadrant
    angle = _C.where(x_neg, math.pi - angle, angle)
    return _C.where(y_neg, -angle, angle)


def arctan2(input, other):
    """Alias of atan2."""
    return atan2(input, other)


@grad_fn_named("CumprodBackward0")
def cumprod(input, dim, *, dtype=None):
    """Running products along dim (integers and bools give int64, as cumsum).

    One multiply per position along dim, each over all the other dims at once,
    in sequential order with a float64 running product for float32 (as
    PyTorch's CPU kernel, so the values are its values); autograd
    differentiates through the multiplies, so zeros in the input are exact."""
    x = input
    if dtype is not None:
        x = x._to_dtype(dtype)
    elif not x.is_floating_point():
        x = x._to_dtype(_C.int64)
    d = _wrap_dim(dim, x.dim())
    if x.dim() == 0 or x.numel() == 0:  # PyTorch fills these without its kernel, so bool passes
        return x.clone()
    if x.dtype == _C.bool:  # the kernel has no bool case (PyTorch's CPU kernel's name)
        raise NotImplementedError("\"cumprod_out_cpu\" not implemented for 'Bool'")
    wide = x._to_dtype(_C.float64) if x.dtype == _C.float32 else x
    if wide.shape[d] > _CUMPROD_SEQUENTIAL:
        return _cumprod_blocked(wide, d)._to_dtype(x.dtype)
    running = [wide.narrow(d, 0, 1)]
    for i in range(1, wide.shape[d]):
        running.append(running[-1] * wide.narrow(d, i, 1))
    return _C.cat(running, d)._to_dtype(x.dtype)


# Longer than this, cumprod runs in blocks: one multiply per position would mean
# n Python-level ops and an n-node graph (1e5 elements took seconds).
_CUMPROD_SEQUENTIAL = 1024


def _cumprod_blocked(x, d):
    """cumprod along d in about 2 sqrt(n) ops: the dim is cut into blocks of b; running
    products inside every block at once (b steps), then the blocks' totals carried from
    block to block (n / b steps). Products only, so zeros stay exact; the order of the
    multiplications differs from the sequential one (float64: a last-bit difference)."""
    n = x.shape[d]
    b = math.isqrt(n - 1) + 1
    nb = -(-n // b)
    t = x.movedim(d, -1)
    lead = list(t.shape[:-1])
    if nb * b > n:
        t = _C.cat([t, _C._full(lead + [nb * b - n], 1, t.dtype, t.device, False)], -1)
    blocks = t.reshape(lead + [nb, b])
    inner = [blocks.narrow(-1, 0, 1)]
    for j in range(1, b):
        inner.append(inner[-1] * blocks.narrow(-1, j, 1))
    inner = _C.cat(inner, -1)
    totals = inner.narrow(-1, b - 1, 1)
    carry = [_C._full(lead + [1, 1], 1, t.dtype, t.device, False)]
    for k in range(1, nb):
        carry.append(carry[-1] * totals.narrow(-2, k - 1, 1))
    out = (inner * _C.cat(carry, -2)).reshape(lead + [nb * b]).narrow(-1, 0, n)
    return out.movedim(-1, d)


# Tensor.nonzero from C++ (the (n, ndim) index matrix); Tensor.nonzero is then
# replaced by the Python nonzero below, which adds as_tuple.
_nonzero_rows = _C.Tensor.nonzero


def nonzero(input, *, as_tuple=False):
    """The indices of the nonzero entries: an (n, ndim) int64 tensor, or with
    as_tuple one 1-D tensor per dim (a 0-d input counts as 1-D)."""
    if not as_tuple:
        return _nonzero_rows(input)
    return _nonzero_rows(input.reshape(1) if input.dim() == 0 else input).unbind(1)


def argwhere(input):
    """The (n, ndim) int64 indices of the nonzero entries (nonzero(input))."""
    return _nonzero_rows(input)


def where(condition, input=None, other=None, *, out=None):
    """input where condition is True, else other (broadcast); where(condition)
    alone is nonzero(condition, as_tuple=True)."""
    if input is None and other is None:
        return nonzero(condition, as_tuple=True)
    if input is None or other is None:
        raise TypeError("where() received an invalid combination of arguments: give both input and other, "
                        "or neither")
    if out is None:
        return _C.where(condition, input, other)
    for position, (param, value) in enumerate((("input", input), ("other", other)), 2):  # no numbers with out=
        if not isinstance(value, _C.Tensor):
            raise TypeError(f"where(): argument '{param}' (position {position}) must be Tensor, not {type(value).__name__}")
    from ._creation import write_out
    return write_out(out, _C.where(condition, input, other), "where", inputs=(condition, input, other))


@grad_fn_named("NanToNumBackward0")
def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    """input with NaN, +inf and -inf replaced by nan, posinf and neginf (by default
    0 and the dtype's largest and lowest finite values); other dtypes are copied."""
    if not input.is_floating_point():
        return input.clone()
    info = finfo(input.dtype)
    nan = 0.0 if nan is None else nan  # (None: the default, as PyTorch's optional)
    posinf = info.max if posinf is None else posinf
    neginf = info.min if neginf is None else neginf
    out = _C.where(input.isnan(), _scalar_on(nan, input), input)
    out = _C.where(input == math.inf, _scalar_on(posinf, input), out)
    return _C.where(input == -math.inf, _scalar_on(neginf, input), out)


def nan_to_num_(input, nan=0.0, posinf=None, neginf=None):
    """In-place nan_to_num."""
    return _C._copy_result_(input, nan_to_num(input, nan, posinf, neginf))


def type_as(input, other):
    """input converted to other's dtype and device (input itself when they already match)."""
    _check_tensors("type_as", ("input", input), ("other", other))
    return input.to(other.device, other.dtype)


def unflatten(input, dim, sizes):
    """input with dim split into dims of the given sizes (one may be -1), a view."""
    sizes = [int(s) if isinstance(s, _C.Tensor) else s for s in sizes]
    if builtins.any(not isinstance(s, int) or isinstance(s, bool) for s in sizes):
        raise TypeError("unflatten(): argument 'sizes' must be tuple of ints")
    d = _wrap_dim(dim, input.dim())
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    if input.dim() == 0:  # PyTorch's inner error, wrapped (a 0-d tensor's dim 0 or -1 reads as 0)
        raise RuntimeError("unflatten got an unexpected error:\nDimension specified as 0 but tensor has no dimensions")
    if sizes.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = 1
    for s in sizes:
        known *= s if s != -1 else 1
    size = input.shape[d]
    if (-1 not in sizes and known != size) or (-1 in sizes and (size % known != 0 if known else size != 0)):
        raise RuntimeError(f"unflatten: Provided sizes {sizes} don't multiply up to the size of dim {dim} "
                           f"({size}) in the input tensor")
    if -1 in sizes:  # inferred from the one dim's size, not the tensor's (which may be 0 for other reasons)
        if known == 0:
            raise RuntimeError(f"unflatten got an unexpected error:\ncannot reshape tensor of 0 elements into shape "
                               f"{sizes} because the unspecified dimension size -1 can be any value and is "
                               "ambiguous")
        sizes = [size // known if s == -1 else s for s in sizes]
    shape = list(input.shape)
    return input.view(shape[:d] + sizes + shape[d + 1:])


def tensor_split(input, indices_or_sections=None, dim=0, *, indices=None, sections=None):
    """Views of input split along dim: into `sections` nearly equal parts (the
    first size % sections one entry longer), or at the given indices (slices
    input[i_k : i_k+1] with Python's rules for negative and large indices)."""
    given = [a for a in (indices_or_sections, indices, sections) if a is not None]
    if len(given) != 1:
        raise TypeError("tensor_split() takes one of indices_or_sections, indices or sections")
    split = given[0]
    if input.dim() == 0:
        raise RuntimeError("tensor_split expected at least a 1-dimensional tensor, but got a tensor with 0 dims")
    d = _wrap_dim(dim, input.dim())
    n = input.shape[d]
    if isinstance(split, _C.Tensor):
        if split.dtype != _C.int64:
            raise RuntimeError(f"tensor_split expected tensor_indices_or_sections to have dtype of long, but got "
                               f"{_dtype_display(split.dtype)}")
        if split.dim() > 1:
            raise RuntimeError("tensor_split expected tensor_indices_or_sections to be a zero-dimensional or "
                               f"one-dimensional tensor, but got a tensor with {split.dim()} dims")
        split = int(split.item()) if split.dim() == 0 else split.tolist()
    if isinstance(split, bool) or not isinstance(split, (int, list, tuple)):
        raise TypeError(f"tensor_split(): argument 'indices_or_sections' must be int, tuple of ints or Tensor, "
                        f"not {type(split).__name__}")
    if isinstance(split, int):
        if split <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {split}")
        base, extra = divmod(n, split)
        lengths = [base + 1] * extra + [base] * (split - extra)
        starts = [sum(lengths[:k]) for k in range(split)]
        return tuple(input.narrow(d, s, length) for s, length in zip(starts, lengths))
    bounds = [0] + [(i + n if i < 0 else i) for i in split] + [n]
    bounds = [min(max(b, 0), n) for b in bounds]
    return tuple(input.narrow(d, start, max(end - start, 0)) for start, end in zip(bounds[:-1], bounds[1:]))


def logspace(start, end, steps, base=10.0, *, out=None, dtype=None, device=None, requires_grad=False, layout=None,
             pin_memory=False):
    """base ** linspace(start, end, steps): steps values evenly spaced in the exponent."""
    from ._creation import _check_bool_argument
    _check_bool_argument("logspace", "requires_grad", requires_grad)
    from ._creation import _check_grad_dtype, _out_defaults, _range_end, _steps_arg, _write_range_out

    if type(steps) is not int:
        steps = _steps_arg(steps, "logspace", start, end)
    start, end = _range_end(start, "logspace", "start"), _range_end(end, "logspace", "end")
    if out is not None:
        dtype, device = _out_defaults(out, dtype, device, "logspace")
    out_dtype = dtype if dtype is not None else _C.get_default_dtype()
    if requires_grad:
        _check_grad_dtype(out_dtype)
    if out_dtype in (_C.float32, _C.float64):
        result = _C.pow(float(base), _C._linspace(start, end, steps, out_dtype, device, False))
    elif steps <= 1:  # PyTorch fills one point with base ** start, checked to fit the dtype (bool too)
        power = _C.pow(float(base), _C._linspace(start, start, steps, _C.float64, device, False))
        result = _C._full([steps], power.item() if steps else 0, out_dtype, device, False)
    elif out_dtype == _C.bool:
        raise NotImplementedError("\"logspace_cpu\" not implemented for 'Bool'")
    else:  # integers: the ends converted to the dtype first (checked), then base ** the float64 points
        start, end = (_C._full([], v, out_dtype, device, False).item() for v in (start, end))
        result = _C.pow(float(base), _C._linspace(start, end, steps, _C.float64, device, False))._to_dtype(out_dtype)
    if out is not None:
        return _write_range_out(out, result, "logspace", requires_grad, warn=False)
    if requires_grad:
        result.requires_grad_(True)
    return result


def randint_like(input, low=0, high=None, *, dtype=None, device=None, requires_grad=False, memory_format=None,
                 generator=None):
    """Random integers in [low, high) with input's shape (and its dtype and device unless given);
    randint_like(input, high) draws from [0, high)."""
    from ._creation import _check_bool_argument
    _check_bool_argument("randint_like", "requires_grad", requires_grad)
    from ._creation import _empty_in_layout

    if high is None:
        low, high = 0, low
    if int(low) >= int(high):
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={int(low)} >= to={int(high)}")
    out = _empty_in_layout(input, dtype if dtype is not None else input.dtype,
                           device if device is not None else input.device, {"memory_format": memory_format})
    out.random_(int(low), int(high), generator=generator)
    if requires_grad:
        out.requires_grad_(True)
    return out


class finfo:
    """Machine limits of a floating dtype (the default dtype when none is given):
    bits, eps, max, min, tiny (= smallest_normal), resolution, dtype (its name)."""

    def __init__(self, type=None):
        if type is None:
            type = _C.get_default_dtype()
        elif type is float:
            type = _C.float64
        if not isinstance(type, _C.dtype):
            raise TypeError(f"finfo(): argument 'type' (position 1) must be fasttensor.dtype, not "
                            f"{builtins.type(type).__name__}")
        if type not in (_C.float32, _C.float64):
            raise TypeError("fasttensor.finfo() requires a floating point input type. Use fasttensor.iinfo to "
                            "handle 'fasttensor.finfo'")
        name = repr(type).split(".")[-1]
        info = np.finfo(name)
        self.bits = int(info.bits)
        self.eps = float(info.eps)
        self.max = float(info.max)
        self.min = float(info.min)
        self.tiny = float(info.smallest_normal)
        self.smallest_normal = self.tiny
        self.resolution = 10.0 ** -int(info.precision)
        self.dtype = name

    def __eq__(self, other):
        return isinstance(other, finfo) and self.dtype == other.dtype

    __hash__ = None  # as torch.finfo: comparable, not hashable

    def __repr__(self):
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, eps={self.eps:g}, "
                f"smallest_normal={self.smallest_normal:g}, tiny={self.tiny:g}, dtype={self.dtype})")


class iinfo:
    """Machine limits of an integer dtype: bits, max, min, dtype (its name)."""

    def __init__(self, type=None):
        if type is None:  # required, as PyTorch's (with its parser's message)
            raise TypeError('iinfo() missing 1 required positional arguments: "type"')
        if type is int:
            type = _C.int64
        if not isinstance(type, _C.dtype):
            raise TypeError(f"iinfo(): argument 'type' (position 1) must be fasttensor.dtype, not "
                            f"{builtins.type(type).__name__}")
        if type == _C.bool:
            raise TypeError("fasttensor.bool is not supported by fasttensor.iinfo")
        if type not in (_C.uint8, _C.int32, _C.int64):
            raise TypeError("fasttensor.iinfo() requires an integer input type. Use fasttensor.finfo to handle "
                            "'fasttensor.iinfo'")
        name = repr(type).split(".")[-1]
        info = np.iinfo(name)
        self.bits = int(info.bits)
        self.max = int(info.max)
        self.min = int(info.min)
        self.dtype = name

    def __eq__(self, other):
        return isinstance(other, iinfo) and self.dtype == other.dtype

    __hash__ = None

    def __repr__(self):
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"


for _info in (finfo, iinfo):  # shown as torch's: <class 'fasttensor.finfo'>, 'fasttensor.finfo' in messages
    _info.__module__ = "fasttensor"
    _C._set_type_name(_info, f"fasttensor.{_info.__name__}")
del _info


def _with_out(op, name: str, joins: bool = False):
    """op with PyTorch's out= keyword (the result written into out: _creation.write_out). joins: op
    takes a sequence of tensors first, none of which out may overlap (cat, stack), as PyTorch checks."""
    from ._creation import write_out

    def with_out(*args, out=None, **kwargs):
        given = args[0] if args else kwargs.get("tensors")
        inputs = list(given) if joins and out is not None and isinstance(given, (list, tuple)) else ()
        return write_out(out, op(*args, **kwargs), name, inputs=inputs, joins=joins)

    with_out.__name__ = with_out.__qualname__ = name
    with_out.__doc__ = op.__doc__
    return with_out


# The C++ forms of these take no out=; these do (torch.matmul(a, b, out=c), as PyTorch's tutorial writes).
matmul = _with_out(_C.matmul, "matmul")
mm = _with_out(_C.mm, "mm")
bmm = _with_out(_C.bmm, "bmm")
mv = _with_out(_C.mv, "mv")
dot = _with_out(_C.dot, "dot")
cat = _with_out(_C.cat, "cat", joins=True)
concat = _with_out(_C.concat, "concat", joins=True)
concatenate = _with_out(_C.concatenate, "concatenate", joins=True)
stack = _with_out(_C.stack, "stack", joins=True)
