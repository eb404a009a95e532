"""Still more of PyTorch's Tensor methods and top-level functions, composed of existing ops (so autograd
works unchanged): scatter_reduce (sum, prod, mean, amax, amin; include_self), put (accumulate), angle of
real tensors and narrow_copy. Exported as in _tensor_api: ``__all__`` at the top level, ``install`` adds
the Tensor methods.

scatter_reduce's sum and mean add with the core's accumulating kernel (_more._accumulate), in the order
torch's CPU loop adds (input's entry first, then src's along dim in order). prod, amax and amin lay each
written position's values out as one row of a padded matrix (input's entry first, then src's in order;
the rest filled with the reduction's identity) and reduce the rows with prod / amax / amin, whose own
gradients are torch's for scatter_reduce (a single zero's factor is the product of the others; equal
extremes share the gradient evenly). The matrix has (written positions) x (most values at one position)
entries, so a very skewed index (most of src at one position, many other positions written) costs
memory quadratic in src's size.
"""

from __future__ import annotations

import builtins
import math

from . import _C
from ._exports import Exports, method_form
from ._functional import _dtype_display, _not_a_tensor, _scalar_on, _type_name, _wrap_dim
from ._grad_names import grad_fn_named
from .autograd.function import Function
from ._more import (_accumulate, _arange, _commit, _grad_involved, _leading_block, _refuse_overlap, _scatter_check,
                    _scatter_offsets, _zero_grad_to)

Tensor = _C.Tensor

_exports = Exports()
__all__, _METHODS, _export, install = _exports.names, _exports.methods, _exports.export, _exports.install


# --- scatter_reduce ----------------------------------------------------------------------------------

# torch also takes the old names "max" and "min" for amax and amin
_REDUCTIONS = {"sum": "sum", "prod": "prod", "mean": "mean", "amax": "amax", "amin": "amin", "max": "amax",
               "min": "amin"}


_INT_RANGE = {_C.uint8: (0, 255), _C.int32: (-2 ** 31, 2 ** 31 - 1), _C.int64: (-2 ** 63, 2 ** 63 - 1)}


def _identity(reduce: str, dtype):
    """The value that leaves reduce's result unchanged (what the padded matrix is filled with)."""
    if reduce == "prod":
        return 1
    if dtype == _C.bool:
        return reduce == "amin"
    if dtype in _INT_RANGE:
        low, high = _INT_RANGE[dtype]
        return low if reduce == "amax" else high
    return -math.inf if reduce == "amax" else math.inf


def _reduce_rows(reduce: str, targets, values, dtype, device):
    """For the flat positions targets[i] receiving values[i] (in order), the distinct positions and the
    reduction of each one's values (in the order given), through a padded matrix reduced along its rows."""
    order = targets.sort(stable=True).indices
    t, v = targets.index_select(0, order), values.index_select(0, order)
    starts = _C._full([t.numel()], True, _C.bool, device, False)
    if t.numel() > 1:
        starts[1:] = t[1:] != t[:-1]
    row = starts._to_dtype(_C.int64).cumsum(0) - 1  # each value's row: its position's rank among the distinct ones
    first = starts.nonzero().reshape(-1)  # where each row's values start in t
    column = _arange(t.numel(), device) - first.index_select(0, row)
    rows, columns = first.numel(), int(column.max()) + 1
    work = _C.uint8 if dtype == _C.bool else dtype  # (amax/amin/prod of bool as bytes)
    matrix = _C._full([rows, columns], _identity(reduce, dtype), work, device, False)
    matrix[row, column] = v if work == dtype else v._to_dtype(work)
    reduced = matrix.prod(1) if reduce == "prod" else matrix.amax(1) if reduce == "amax" else matrix.amin(1)
    if reduced.dtype != dtype:  # (an integer prod is int64; it wraps to the dtype as torch's product does)
        reduced = reduced != 0 if dtype == _C.bool else reduced._to_dtype(dtype)
    return t.index_select(0, first), reduced


_MISSING = object()


def _check_scatter_reduce_args(input, reduce, include_self):
    if reduce is _MISSING:
        raise TypeError('scatter_reduce() missing 1 required positional arguments: "reduce"')
    if not isinstance(include_self, bool):
        raise TypeError(f"scatter_reduce(): argument 'include_self' must be bool, not {type(include_self).__name__}")
    if reduce not in _REDUCTIONS:
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}")
    reduce = _REDUCTIONS[reduce]
    if reduce == "mean" and input.dtype == _C.bool:
        raise NotImplementedError('"scatter_gather_tensor_cpu_reduce_mean" not implemented for \'Bool\'')
    return reduce


@_export()
@grad_fn_named("ScatterReduceBackward0")
def scatter_reduce(input, dim, index, src, reduce=_MISSING, *, include_self=True):
    """input with src's values reduced into it along dim at index (for dim 0, src[i][j] goes to
    input[index[i][j]][j]); reduce is "sum", "prod", "mean", "amax" or "amin"; include_self=False leaves
    input's own value out at each position written to (positions not written keep it)."""
    if not isinstance(input, Tensor):
        raise _not_a_tensor("scatter_reduce", input)
    if not isinstance(src, Tensor):  # (positions as the function form counts them: method_form says one less)
        raise _not_a_tensor("scatter_reduce", src, "src", 4)
    reduce = _check_scatter_reduce_args(input, reduce, include_self)
    d = _scatter_check("scatter", input, dim, index, src)
    if index.numel() == 0:  # nothing is written: src gets a zero gradient
        return _zero_grad_to(input.clone(), src.sum())
    device, n = input.device, input.numel()
    offsets = _scatter_offsets(list(input.shape), d, index._to_dtype(_C.int64))
    values = _leading_block(src.reshape(1) if src.dim() == 0 else src, list(index.shape) or [1]).reshape(-1)
    flat = input.reshape(-1)
    written = _accumulate(n, offsets, _C._full([offsets.numel()], 1, _C.int64, device, False))
    if reduce in ("sum", "mean"):
        # input's entries first (zeros where include_self=False leaves them out), then src's in order
        start = flat if include_self else _C.where(written > 0, _scalar_on(0, flat), flat)
        total = _accumulate(n, _C.cat([_arange(n, device), offsets], 0), _C.cat([start, values], 0))
        if reduce == "sum":
            return total.reshape(input.shape)
        # mean: the sum over the values taken (1 where none is: positions not written keep input's)
        count = (written + int(include_self)).clamp(min=1)
        if input.is_floating_point():
            return (total / count._to_dtype(input.dtype)).reshape(input.shape)
        return total.div(count._to_dtype(input.dtype), rounding_mode="floor").reshape(input.shape)
    if reduce == "prod":
        return _scatter_prod(flat, offsets, values, written, include_self).reshape(input.shape)
    return _ScatterExtreme.apply(flat, values, offsets, written > 0, reduce, include_self).reshape(input.shape)


def _with_own_entries(flat, offsets, values, written, include_self):
    """The (position, value) pairs reduced: input's entry at each written position first (include_self),
    then src's values in order."""
    if not include_self:
        return offsets, values
    hit = (written > 0).nonzero().reshape(-1)
    return _C.cat([hit, offsets], 0), _C.cat([flat.index_select(0, hit), values], 0)


def _scatter_prod(flat, offsets, values, written, include_self):
    """scatter_reduce's prod, differentiable (prod's own gradient: a lone zero's is the others' product)."""
    targets, values = _with_own_entries(flat, offsets, values, written, include_self)
    positions, reduced = _reduce_rows("prod", targets, values, flat.dtype, flat.device)
    out = flat.clone()
    out[positions] = reduced
    return out


class _ScatterExtreme(Function):
    """scatter_reduce's amax / amin with torch's gradient: each position's gradient is shared evenly by
    the values equal to its result, input's own entry counted among them even where include_self=False
    leaves it out of the result (which then gets no share of it)."""

    _grad_fn_name = "ScatterReduceBackward0"

    @staticmethod
    def forward(ctx, flat, values, offsets, written, reduce, include_self):
        targets, taken = _with_own_entries(flat, offsets, values, written, include_self)
        positions, reduced = _reduce_rows(reduce, targets, taken, flat.dtype, flat.device)
        out = flat.clone()
        out[positions] = reduced
        ctx.save_for_backward(flat, values, offsets, written, out)
        ctx.include_self = include_self
        return out

    @staticmethod
    def backward(ctx, grad):
        flat, values, offsets, written, out = ctx.saved_tensors
        n = flat.numel()
        own_equal = (flat == out)._to_dtype(grad.dtype)
        src_equal = (values == out.index_select(0, offsets))._to_dtype(grad.dtype)
        shared = grad / (own_equal + _accumulate(n, offsets, src_equal))
        grad_flat = own_equal * shared
        if not ctx.include_self:
            grad_flat = _C.where(written, _scalar_on(0, grad_flat), grad_flat)
        return grad_flat, src_equal * shared.index_select(0, offsets), None, None, None, None


def scatter_reduce_(self, dim, index, src, reduce=_MISSING, *, include_self=True):
    """In-place scatter_reduce; returns self."""
    if not isinstance(src, Tensor):
        raise _not_a_tensor("scatter_reduce_", src, "src", 4)
    _check_scatter_reduce_args(self, reduce, include_self)
    _refuse_overlap(self, (index, src))
    source = self.clone() if _grad_involved(self, src) else self
    return _commit(self, scatter_reduce(source, dim, index, src, reduce, include_self=include_self))


# --- put ---------------------------------------------------------------------------------------------


def _put_checks(name, input, index, source, accumulate):
    """torch's checks of put's arguments (positions as the function form counts them; method_form says one
    less), then index flattened with negative positions counted from the end."""
    for value, param, position in ((index, "index", 2), (source, "source", 3)):
        if not isinstance(value, Tensor):
            raise _not_a_tensor(name, value, param, position)
    if not isinstance(accumulate, bool):
        raise TypeError(f"{name}(): argument 'accumulate' must be bool, not {_type_name(accumulate)}")
    if index.dtype != _C.int64:
        raise RuntimeError(f"put_(): Expected a long tensor for index, but got {_dtype_display(index.dtype)}")
    if source.dtype != input.dtype:
        raise RuntimeError(f"put_(): self and source expected to have the same dtype, but got self.dtype = "
                           f"{_dtype_display(input.dtype)} and source.dtype = {_dtype_display(source.dtype)}")
    if source.numel() != index.numel():
        raise IndexError(f"put_(): Expected source and index to have the same number of elements, but got "
                         f"source.numel() = {source.numel()}, index.numel() = {index.numel()}")
    n = input.numel()
    flat_index = index.reshape(-1)
    if flat_index.numel():
        if n == 0:
            raise IndexError("put_(): Tried to put elements into an empty tensor")
        low, high = int(flat_index.min()), int(flat_index.max())
        bad = low if low < -n else (high if high >= n else None)
        if bad is not None:
            raise IndexError(f"out of range: tried to access index {bad} on a tensor of {n} elements.")
    return _C.where(flat_index < 0, flat_index + n, flat_index)


def _put(input, positions, source, accumulate):
    """input with source's elements (in order) written at the flat positions; accumulate adds them (input's
    entries first, then source's in order)."""
    n = input.numel()
    flat = input.reshape(-1)
    if positions.numel() == 0:  # nothing is written: source gets a zero gradient
        return _zero_grad_to(input.clone(), source.sum())
    values = source.reshape(-1)
    if accumulate:
        return _accumulate(n, _C.cat([_arange(n, input.device), positions], 0), _C.cat([flat, values], 0)).reshape(
            input.shape)
    out = flat.clone()
    out[positions] = values
    return out.reshape(input.shape)


@_export()
@grad_fn_named("PutBackward0")
def put(input, index, source, *positional, accumulate=False):
    """input with source's elements written at the flat positions index (input read as 1-D in row-major
    order; negative positions count from the end); accumulate adds them, repeats adding up."""
    if not isinstance(input, Tensor):
        raise _not_a_tensor("put", input)
    accumulate = _accumulate_argument("put", positional, accumulate)
    return _put(input, _put_checks("put", input, index, source, accumulate), source, accumulate)


def _accumulate_argument(name, positional, accumulate):
    """put's accumulate, given by keyword or as the one positional argument after source."""
    if len(positional) > 1:
        raise TypeError(f"{name}() takes from 2 to 3 positional arguments but {2 + len(positional)} were given")
    if positional:
        accumulate = positional[0]
        if not isinstance(accumulate, bool):
            raise TypeError(f"{name}(): argument 'accumulate' (position 4) must be bool, not "
                            f"{_type_name(accumulate)}")
    return accumulate


@grad_fn_named("PutBackward0")
def put_(self, index, source, *positional, accumulate=False):
    """In-place put; returns self."""
    accumulate = _accumulate_argument("put_", positional, accumulate)
    positions = _put_checks("put_", self, index, source, accumulate)
    _refuse_overlap(self, (index, source))
    base = self.clone() if _grad_involved(self, source) else self
    return _commit(self, _put(base, positions, source, accumulate))


# --- angle, narrow_copy ------------------------------------------------------------------------------


@_export()
@grad_fn_named("AngleBackward0")
def angle(input):
    """The argument of each (real) element as a complex number: pi for a negative one, 0 otherwise (-0.0
    too), NaN for NaN; integers and bools give the default float dtype. The gradient is zero."""
    if not isinstance(input, Tensor):
        raise _not_a_tensor("angle", input)
    x = input if input.is_floating_point() else input._to_dtype(_C.get_default_dtype())
    out = _C.where(x < 0, _scalar_on(math.pi, x), _scalar_on(0.0, x))
    out = _C.where(x != x, x.detach(), out)  # NaN stays NaN
    return _zero_grad_to(out, x)


@_export()
@grad_fn_named("NarrowCopyBackward0")
def narrow_copy(input, dim, start, length):
    """A new (contiguous) tensor holding input.narrow(dim, start, length)."""
    if not isinstance(input, Tensor):
        raise _not_a_tensor("narrow_copy", input)
    for value, param, position in ((dim, "dim", 2), (start, "start", 3), (length, "length", 4)):
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"narrow_copy(): argument '{param}' (position {position}) must be int, not "
                            f"{_type_name(value)}")
    if input.dim() == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    if dim >= input.dim():  # (torch's message for this case is its internal check's)
        raise RuntimeError("Expected dim < static_cast<int64_t>(self_sizes.size()) to be true, but got false.  "
                           "(Could this error message be improved?  If so, please report an enhancement request "
                           "to PyTorch.)")
    d = _wrap_dim(dim, input.dim())
    size = input.shape[d]
    if not -size <= start <= size:
        raise IndexError(f"start out of range (expected to be in range of [{-size}, {size}], but got {start})")
    # torch's backward writes the gradient into the slice [start, start + length) of zeros, so a negative
    # start whose slice ends at 0 (narrowing up to the end: x.narrow_copy(0, -1, 1)) gives input a zero
    # gradient in torch; so it does here
    gradient_lost = start < 0 and start + length == 0
    if start < 0:
        start += size
    if length < 0 or start + length > size:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
    part = input.narrow(d, start, length)
    if gradient_lost:
        return _zero_grad_to(part.detach().clone(), input.sum())
    return part.clone() if part.is_contiguous() else part.contiguous()


# The in-place forms are methods only; all take their arguments' positions as the function form counts
# them (method_form renumbers).
for _fn in (scatter_reduce, scatter_reduce_, put, put_, angle, narrow_copy):
    _METHODS[_fn.__name__] = method_form(_fn)
del _fn
