"""Functions beyond the core set, as compositions of the core ops (so
autograd and CUDA work unchanged): each is exported at the top level
(``__all__``) and, where PyTorch has one, as a Tensor method (``install``).

Sections: statistics (median, mode, quantile, cummax, bincount, cov, ...),
elementwise ops (copysign, lerp, logaddexp, fmax, addcmul, addmm, ...) and
the in-place methods PyTorch has, then shape and index ops (einsum,
tensordot, kron, searchsorted, scatter/index_add, ...).

Accumulation at repeated positions (scatter_add, index_add, bincount, histc)
uses the one accumulating kernel the core exposes: the backward of gather,
which adds its gradient into zeros at the gathered positions, in order.
"""

from __future__ import annotations

import builtins
import itertools
import math
import warnings

from . import _C, return_types
from ._fixed_nodes import no_derivative
from ._grad_names import grad_fn_named
from ._creation import _int_arg, tensor
from ._exports import Exports, method_form
from ._functional import (_broadcast_pair, _check_tensors, _dims, _dtype_display, _not_a_tensor, _scalar_on,
                          _tensor_list, _wrap_dim, diag, flip, movedim)
from .autograd import enable_grad, no_grad
from .autograd import grad as _autograd_grad
from .autograd.function import Function

Tensor = _C.Tensor

_exports = Exports()
__all__, _METHODS, _export, install = _exports.names, _exports.methods, _exports.export, _exports.install


# --- Small helpers ------------------------------------------------------------------------------


def _arange(n: int, device):
    return _C._arange(0, n, 1, _C.int64, device, False)


def _zeros(shape, dtype, device):
    return _C._full(list(shape), 0, dtype, device, False)


def _default_float():
    return _C.get_default_dtype()


def _float_dtype(*operands):
    """The result dtype of operands, integers and bools promoted to the default float dtype."""
    dtype = _C.result_type(*operands) if len(operands) == 2 else operands[0].dtype
    return dtype if dtype in (_C.float32, _C.float64) else _default_float()


def _as_tensor(value, dtype, device):
    """value (a Tensor or a Python number) as a tensor of dtype on device."""
    if isinstance(value, Tensor):
        return value if value.dtype == dtype else value._to_dtype(dtype)
    return _scalar_on(value, _zeros([], dtype, device))


def _device_of(*values):
    for v in values:
        if isinstance(v, Tensor):
            return v.device
    return _C.device("cpu")


def _contiguous_strides(shape) -> list:
    strides, step = [], 1
    for size in reversed(list(shape)):
        strides.append(step)
        step *= size
    return strides[::-1]


_median_result = return_types.median
_nanmedian_result = return_types.nanmedian
_mode_result = return_types.mode
_kthvalue_result = return_types.kthvalue
_aminmax_result = return_types.aminmax
_cummax_result = return_types.cummax
_cummin_result = return_types.cummin


def _grad_involved(*values) -> bool:
    return _C.is_grad_enabled() and builtins.any(isinstance(v, Tensor) and v.requires_grad for v in values)


def _accumulate(size: int, offsets, values):
    """A 1-D tensor of size zeros with values[i] added at offsets[i], in order (repeated
    offsets accumulate), differentiable w.r.t. values. Uses gather's backward (the core's
    accumulating scatter); integers go through float64 (exact below 2**53) and wrap as int64."""
    dtype = values.dtype
    work = values if values.is_floating_point() else values._to_dtype(_C.float64)
    if offsets.numel() == 0:
        out = _zeros([size], work.dtype, work.device)
    else:
        track = _grad_involved(work)
        with enable_grad():
            z = _C._full([size], 0, work.dtype, work.device, True)
            picked = z.gather(0, offsets.reshape(-1).contiguous())
            (out,) = _autograd_grad(picked, z, grad_outputs=work.reshape(-1).contiguous(), create_graph=track)
        if not track:
            out = out.detach()
    if dtype != out.dtype:
        out = out._to_dtype(_C.int64)
        if dtype != _C.int64:
            out = out._to_dtype(dtype)
    return out


def _reduced_shape(shape, d: int, keepdim: bool) -> list:
    shape = list(shape)
    if keepdim:
        shape[d] = 1
    else:
        del shape[d]
    return shape


# --- Statistics ---------------------------------------------------------------------------------


class Median(Function):
    """A selected value of input with its gradient spread evenly over the entries equal
    to it (the NaNs when it is NaN), as torch's median()/nanmedian() without a dim."""

    _grad_fn_name = "MedianBackward0"

    @staticmethod
    def forward(ctx, input, value):
        ctx.save_for_backward(input, value)
        return value.clone()

    @staticmethod
    def backward(ctx, grad):
        input, value = ctx.saved_tensors
        mask = _C.where(value.isnan(), input.isnan(), input == value)
        return _C.where(mask, grad / mask.sum(), _scalar_on(0, grad)), None


class NanMedian(Median):
    """nanmedian()'s node: Median's."""

    _grad_fn_name = "NanmedianBackward0"


def _median_all(input, ignore_nan: bool):
    flat = input.detach().reshape(-1)
    n = flat.numel()
    if n == 0:
        if input.dtype == _C.bool:  # PyTorch's NaN, cast to bool
            return _C._full([], True, input.dtype, input.device, False)
        if not input.is_floating_point():
            raise IndexError("median() cannot compute median for an empty tensor of integer dtype")
        return _C._full([], math.nan, input.dtype, input.device, False)
    if input.dtype == _C.bool:  # PyTorch's sort-based kernels have no bool case (names: its CPU kernels')
        raise NotImplementedError("\"median_cpu\" not implemented for 'Bool'")
    ordered = flat.sort(stable=True)[0]
    if input.is_floating_point():
        valid = flat.isnan().logical_not().sum()
        if ignore_nan:
            pos = ((valid - 1).clamp(min=0)) // 2
        else:
            pos = _C.where(valid < n, _scalar_on(n - 1, valid), _scalar_on((n - 1) // 2, valid))
    else:
        pos = _C._full([], (n - 1) // 2, _C.int64, input.device, False)
    value = ordered.gather(0, pos.reshape(1)).reshape([])
    if not input.requires_grad:
        return value
    return (NanMedian if ignore_nan else Median).apply(input, value)


def _median_dim(input, dim, keepdim: bool, ignore_nan: bool, result):
    d = _wrap_dim(dim, input.dim())
    x = input.reshape(1) if input.dim() == 0 else input
    n = x.shape[d]
    if n == 0:
        raise IndexError(f"{result.__name__}(): Expected reduction dim {d} to have non-zero size.")
    if x.dtype == _C.bool:
        raise NotImplementedError("\"median_out\" not implemented for 'Bool'")
    ordered, order = x.detach().sort(d, stable=True)
    shape = _reduced_shape(x.shape, d, True)
    if x.is_floating_point():
        valid = x.detach().isnan().logical_not().sum(d, True)
        if ignore_nan:
            pos = (valid - 1).clamp(min=0) // 2
        else:  # a row with a NaN gives its first NaN (sorted after the numbers)
            pos = _C.where(valid < n, valid, _C._full(shape, (n - 1) // 2, _C.int64, x.device, False))
    else:
        pos = _C._full(shape, (n - 1) // 2, _C.int64, x.device, False)
    indices = order.gather(d, pos)
    values = x.gather(d, indices)
    if not keepdim or input.dim() == 0:
        values, indices = values.squeeze(d), indices.squeeze(d)
    return result((values, indices))


@_export("median")
@grad_fn_named(lambda input, dim=None, keepdim=False: "MedianBackward0" if dim is None else "MedianBackward1")
def median(input, dim=None, keepdim=False):
    """The lower median of all entries (NaN if any is NaN) or, with dim, the
    (values, indices) of the lower medians along dim."""
    if dim is None:
        return _median_all(input, False)
    return _median_dim(input, dim, keepdim, False, _median_result)


@_export("nanmedian")
@grad_fn_named(lambda input, dim=None, keepdim=False: "NanmedianBackward0" if dim is None else "NanmedianBackward1")
def nanmedian(input, dim=None, keepdim=False):
    """median ignoring NaNs (NaN only where all entries are NaN)."""
    if dim is None:
        return _median_all(input, True)
    return _median_dim(input, dim, keepdim, True, _nanmedian_result)


@_export("kthvalue")
@grad_fn_named("KthvalueBackward0")
def kthvalue(input, k, dim=-1, keepdim=False):
    """The (values, indices) of the k-th smallest entries along dim."""
    d = _wrap_dim(dim, input.dim())
    x = input.reshape(1) if input.dim() == 0 else input
    n = x.shape[d]
    if n == 0:
        raise IndexError(f"kthvalue(): Expected reduction dim {d} to have non-zero size.")
    if not 1 <= k <= n:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
    if x.dtype == _C.bool and input.dim() > 0:  # a 0-d input is its own k-th value: no kernel runs
        raise NotImplementedError("\"kthvalue_cpu\" not implemented for 'Bool'")
    order = x.detach().sort(d, stable=True)[1]
    indices = order.narrow(d, k - 1, 1)
    values = x.gather(d, indices)
    if not keepdim or input.dim() == 0:
        values, indices = values.squeeze(d), indices.squeeze(d)
    return _kthvalue_result((values, indices))


@_export("mode")
@grad_fn_named("ModeBackward0")
def mode(input, dim=-1, keepdim=False):
    """The (values, indices) of the most frequent entry along dim: the smallest of the
    most frequent values, and the last index holding it (as torch on the CPU)."""
    d = _wrap_dim(dim, input.dim())
    x = input.reshape(1) if input.dim() == 0 else input
    n = x.shape[d]
    if n == 0:
        raise IndexError(f"mode(): Expected reduction dim {d} to have non-zero size.")
    ordered, order = x.detach().sort(d, stable=True)
    ordered, order = ordered.movedim(d, -1), order.movedim(d, -1)
    position = _arange(n, x.device)
    starts = ordered.narrow(-1, 1, n - 1) != ordered.narrow(-1, 0, n - 1)  # a new run begins at i + 1
    starts = _C.cat([_C._full(list(starts.shape[:-1]) + [1], True, _C.bool, x.device, False), starts], -1)
    run_start = _cummax_values(_C.where(starts, position, _scalar_on(0, position)), -1)
    run_length = position - run_start  # the length so far minus 1; the longest run's end wins, the first on ties
    last = run_length.argmax(-1, True)
    indices = order.gather(-1, last).movedim(-1, d)
    values = x.gather(d, indices)
    if not keepdim or input.dim() == 0:
        values, indices = values.squeeze(d), indices.squeeze(d)
    return _mode_result((values, indices))


def _quantile(input, q, dim, keepdim, interpolation, ignore_nan: bool, name: str):
    if not input.is_floating_point():
        raise RuntimeError(f"{name}() input tensor must be either float or double dtype")
    if interpolation not in ("linear", "lower", "higher", "midpoint", "nearest"):
        raise RuntimeError(f"{name}() interpolation must be one of linear, lower, higher, midpoint or nearest, "
                           f"but got {interpolation}")
    scalar_q = not isinstance(q, Tensor)
    if scalar_q:
        if not 0 <= q <= 1:
            raise RuntimeError(f"{name}() q must be in the range [0, 1] but got {q}")
        q = _C._full([], float(q), _C.float64, input.device, False)._to_dtype(input.dtype)
    else:
        if q.dim() > 1:
            raise RuntimeError(f"{name}() q must be a scalar or 1D tensor")
        if q.dtype != input.dtype:
            raise RuntimeError(f"{name}() q tensor must be same dtype as the input tensor")
        if q.numel() and not bool(((q >= 0) & (q <= 1)).all()):
            raise RuntimeError(f"{name}() q values must be in the range [0, 1]")
    if input.numel() == 0:
        raise RuntimeError(f"{name}() input tensor must be non-empty")
    if dim is None:
        x = input.reshape(-1)
        out_shape = [1] * input.dim() if keepdim else []
        d = 0
    else:
        d = _wrap_dim(dim, input.dim())
        x = input.reshape(1) if input.dim() == 0 else input
        if input.dim() == 0:  # a 0-d input keeps its shape, keepdim or not
            out_shape = []
        else:
            out_shape = _reduced_shape(input.shape, d, keepdim)
    x = x.movedim(d, -1)  # (..., n)
    n = x.shape[-1]
    ordered = x.sort(-1, stable=True)[0]
    qs = q.reshape(-1)  # (m,)
    if ignore_nan:
        valid = x.detach().isnan().logical_not().sum(-1, True)._to_dtype(x.dtype)  # (..., 1)
        ranks = qs * (valid - 1)  # (..., m); all NaN: rank 0, a NaN (sorted first of the NaNs)
        ranks = _C.where(ranks < 0, _scalar_on(0, ranks), ranks)
    else:
        ranks = (qs * (n - 1)).expand(list(x.shape[:-1]) + [qs.numel()])
        has_nan = x.detach().isnan().any(-1, True)
        ranks = _C.where(has_nan, _scalar_on(n - 1, ranks), ranks)
    if interpolation == "lower":
        ranks = ranks.floor()
    elif interpolation == "higher":
        ranks = ranks.ceil()
    elif interpolation == "nearest":
        ranks = ranks.round()
    below = ranks.floor()._to_dtype(_C.int64)
    above = ranks.ceil()._to_dtype(_C.int64)
    lo = ordered.gather(-1, below)
    hi = ordered.gather(-1, above)
    if interpolation == "midpoint":
        out = lerp(lo, hi, 0.5)
    elif interpolation == "linear":
        out = lerp(lo, hi, ranks - below._to_dtype(ranks.dtype))
    else:
        out = lo
    out = out.movedim(-1, 0)  # (m, ...)
    if scalar_q or q.dim() == 0:
        return out.reshape(out_shape)
    return out.reshape([qs.numel()] + out_shape)


@_export("quantile")
@grad_fn_named("SqueezeBackward4")
def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    """The q-th quantiles of input (flattened when dim is None); NaN where a row holds a NaN."""
    return _quantile(input, q, dim, keepdim, interpolation, False, "quantile")


@_export("nanquantile")
@grad_fn_named("SqueezeBackward4")
def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    """quantile ignoring NaNs (NaN where a row is all NaN)."""
    return _quantile(input, q, dim, keepdim, interpolation, True, "nanquantile")


def _welford_mean(input, dim, keepdim):
    """The mean var_mean / std_mean return: PyTorch's comes out of one Welford pass, which updates it as
    mean += (x - mean) / n in iteration order (the reduced dims nested, so the entry at the last index
    of every reduced dim comes last). On finite data that is the mean; with an infinite entry it stays
    ±inf only when that entry is the one non-finite entry and comes last (inf - inf is NaN for any entry
    after it, or for a second one), and is NaN otherwise. Those rows are set to NaN here by adding a
    constant (NaN there, 0 elsewhere), so the gradient is the mean's, as PyTorch's."""
    mean = input.mean(() if dim is None else dim, keepdim)
    if input.dim() == 0 or input.numel() == 0 or not input.is_floating_point():
        return mean
    dims = () if dim is None else _dims(dim)
    dims = tuple(builtins.range(input.dim())) if not dims else tuple(_wrap_dim(d, input.dim()) for d in dims)
    with no_grad():
        nonfinite = input.isfinite().logical_not()
        count = nonfinite.sum(dims, True)  # non-finite entries per row, kept dims: (..., 1, ...)
        last = nonfinite
        for d in dims:
            last = last.narrow(d, input.shape[d] - 1, 1)
        to_nan = (count >= 2).logical_or(count.eq(1).logical_and(last.logical_not()))
        if not keepdim:
            to_nan = to_nan.squeeze(dims)
        nan_or_zero = _C.where(to_nan, _scalar_on(math.nan, mean), _scalar_on(0.0, mean))
    return mean + nan_or_zero


@_export()
@grad_fn_named("VarMeanBackward0")
def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """(var, mean) over dim, var with Bessel's correction unless correction/unbiased say otherwise."""
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    mean = _welford_mean(input, dim, keepdim)
    return input.var(dim, unbiased, keepdim, correction=correction), mean


@_export()
@grad_fn_named("StdMeanBackward0")
def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """(std, mean) over dim."""
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    mean = _welford_mean(input, dim, keepdim)
    return input.std(dim, unbiased, keepdim, correction=correction), mean


@_export("aminmax")
@grad_fn_named("AminmaxBackward0")
def aminmax(input, *, dim=None, keepdim=False):
    """(min, max) of input, over dim when given."""
    if input.numel() == 0 and dim is None:
        raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the operation has no "
                           "identity.")
    if dim is None:
        if keepdim:
            dims = tuple(builtins.range(input.dim()))
            return _aminmax_result((input.amin(dims, True), input.amax(dims, True)))
        return _aminmax_result((input.amin(), input.amax()))
    d = _wrap_dim(dim, input.dim())
    if input.dim() and input.shape[d] == 0:
        raise IndexError(f"aminmax(): Expected reduction dim {d} to have non-zero size.")
    return _aminmax_result((input.amin(dim, keepdim), input.amax(dim, keepdim)))


def _shifted(t, s: int):
    """t along the last dim shifted right by s (the first s entries dropped at the end)."""
    return t.narrow(-1, 0, t.shape[-1] - s)


def _scan_extreme(input, dim, take_later):
    """Running (values, indices) along dim by doubling steps: at step s each position
    compares its entry with the one s before, keeping the later where take_later says so."""
    d = _wrap_dim(dim, input.dim())
    x = input.reshape(1) if input.dim() == 0 else input
    values = x.detach().movedim(d, -1)
    n = values.shape[-1]
    indices = _arange(n, x.device).expand(list(values.shape)).contiguous()
    s = 1
    while s < n:
        prev_v, prev_i = _shifted(values, s), _shifted(indices, s)
        cur_v, cur_i = values.narrow(-1, s, n - s), indices.narrow(-1, s, n - s)
        keep = take_later(cur_v, prev_v)
        values = _C.cat([values.narrow(-1, 0, s), _C.where(keep, cur_v, prev_v)], -1)
        indices = _C.cat([indices.narrow(-1, 0, s), _C.where(keep, cur_i, prev_i)], -1)
        s *= 2
    indices = indices.movedim(-1, d).contiguous()  # contiguous results, as PyTorch's
    out = x.gather(d, indices) if x.requires_grad else values.movedim(-1, d).contiguous()
    if input.dim() == 0:
        out, indices = out.reshape([]), indices.reshape([])
    return out, indices


def _later_max(cur, prev):
    return (cur >= prev) | cur.isnan() if cur.is_floating_point() else cur >= prev


def _later_min(cur, prev):
    return (cur <= prev) | cur.isnan() if cur.is_floating_point() else cur <= prev


def _cummax_values(input, dim):
    return _scan_extreme(input, dim, _later_max)[0]


@_export("cummax")
@grad_fn_named("CummaxBackward0")
def cummax(input, dim):
    """Running maxima along dim and the index of each (the last on ties; NaN propagates)."""
    return _cummax_result(_scan_extreme(input, dim, _later_max))


@_export("cummin")
@grad_fn_named("CumminBackward0")
def cummin(input, dim):
    """Running minima along dim and the index of each (the last on ties; NaN propagates)."""
    return _cummin_result(_scan_extreme(input, dim, _later_min))


@_export("logcumsumexp")
@grad_fn_named("LogcumsumexpBackward0")
def logcumsumexp(input, dim):
    """log(cumsum(exp(input))) along dim, stably (pairwise logaddexp by doubling steps)."""
    if not input.is_floating_point():
        raise RuntimeError(f"\"logcumsumexp_out_cpu\" not implemented for '{_dtype_display(input.dtype)}'")
    d = _wrap_dim(dim, input.dim())
    x = (input.reshape(1) if input.dim() == 0 else input).movedim(d, -1)
    n = x.shape[-1]
    s = 1
    while s < n:
        x = _C.cat([x.narrow(-1, 0, s), logaddexp(x.narrow(-1, s, n - s), _shifted(x, s))], -1)
        s *= 2
    x = x.movedim(-1, d)
    return x.reshape([]) if input.dim() == 0 else (x.clone() if x is input else x.contiguous())


@_export("bincount")
def bincount(input, weights=None, minlength=0):
    """The count of each value 0..max(input) in a 1-D non-negative integer tensor
    (summed weights instead of counts when given); at least minlength bins."""
    if input.dim() != 1 or input.is_floating_point() or input.dtype == _C.bool:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    if weights is not None and (weights.dim() != 1 or weights.shape[0] != input.shape[0]):
        raise RuntimeError("weights should be 1-d and have the same length as input")
    if input.numel() and int(input.min()) < 0:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    size = builtins.max(int(input.max()) + 1 if input.numel() else 0, minlength)
    offsets = input._to_dtype(_C.int64)
    if input.numel() == 0:  # int64 zeros, weights or not (as torch)
        return _zeros([size], _C.int64, input.device)
    if weights is None:
        return _accumulate(size, offsets, _C._full([input.shape[0]], 1, _C.int64, input.device, False))
    w = weights if weights.is_floating_point() else weights._to_dtype(_C.float64)
    return _accumulate(size, offsets, w.detach())


@_export("histc")
def histc(input, bins=100, min=0, max=0):
    """Counts of input's entries in bins equal-width bins over [min, max] (the data's
    range when both are 0); entries outside and NaNs are not counted."""
    if not input.is_floating_point():
        raise RuntimeError(f"\"histogram_cpu\" not implemented for '{_dtype_display(input.dtype)}'")
    if bins <= 0:
        raise RuntimeError("torch.histogram(): bins must be > 0, but got " + str(bins) + " for dimension 0")
    x = input.detach().reshape(-1)
    lo, hi = float(min), float(max)
    if lo == hi and x.numel():
        lo, hi = float(x.amin()), float(x.amax())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if lo > hi:
        raise RuntimeError("torch.histc: max must be larger than min")
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise RuntimeError(f"torch.histc: range of [{lo}, {hi}] is not finite")
    inside = (x >= lo) & (x <= hi)
    x = x[inside]
    pos = ((x - lo) * bins / (hi - lo))._to_dtype(_C.int64).clamp(max=bins - 1)
    return _accumulate(bins, pos, _C._full([x.numel()], 1, input.dtype, input.device, False))


@_export("diff")
def diff(input, n=1, dim=-1, prepend=None, append=None):
    """The n-th forward difference along dim (logical xor for bools), after joining
    prepend and append to input along dim."""
    if input.dim() == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    if n == 0:  # (PyTorch: a copy of input, dim, prepend and append left out)
        return input.clone()
    d = _wrap_dim(dim, input.dim())
    parts = []
    for extra in (prepend, input, append):
        if extra is None:
            continue
        if not isinstance(extra, Tensor):  # a number: one slice of input's shape
            shape = list(input.shape)
            shape[d] = 1
            extra = _C._full(shape, extra, input.dtype, input.device, False)
        parts.append(extra)
    x = _C.cat(parts, d) if len(parts) > 1 else input
    for _ in builtins.range(n):
        m = x.shape[d]
        if m == 0:
            break
        a, b = x.narrow(d, 1, m - 1), x.narrow(d, 0, m - 1)
        x = a.logical_xor(b) if x.dtype == _C.bool else a - b
    return x.clone() if x is input else x


@_export("cov")
def cov(input, *, correction=1, fweights=None, aweights=None):
    """The covariance matrix of the variables in input's rows (observations in columns)."""
    if input.dim() > 2:
        raise RuntimeError(f"cov(): expected input to have two or fewer dimensions but got an input with "
                           f"{input.dim()} dimensions")
    x = input.reshape(1, -1) if input.dim() < 2 else input
    if not x.is_floating_point():
        x = x._to_dtype(_default_float())
    num_obs = x.shape[1]
    w = None
    if fweights is not None:
        if fweights.dim() > 1:
            raise RuntimeError(f"cov(): expected fweights to have one or fewer dimensions but got fweights with "
                               f"{fweights.dim()} dimensions")
        if fweights.is_floating_point():
            raise RuntimeError(f"cov(): expected fweights to have integral dtype but got fweights with "
                               f"{_dtype_display(fweights.dtype)} dtype")
        if fweights.numel() != num_obs:
            raise RuntimeError(f"cov(): expected fweights to have the same numel as there are observations in the "
                               f"input but got {fweights.numel()} != {num_obs}")
        if fweights.numel() and bool((fweights < 0).any()):
            raise RuntimeError("cov(): fweights cannot be negative")
        w = fweights
    if aweights is not None:
        if aweights.dim() > 1:
            raise RuntimeError(f"cov(): expected aweights to have one or fewer dimensions but got aweights with "
                               f"{aweights.dim()} dimensions")
        if not aweights.is_floating_point():
            raise RuntimeError(f"cov(): expected aweights to have floating point dtype but got aweights with "
                               f"{_dtype_display(aweights.dtype)} dtype")
        if aweights.numel() != num_obs:
            raise RuntimeError(f"cov(): expected aweights to have the same numel as there are observations in the "
                               f"input but got {aweights.numel()} != {num_obs}")
        if aweights.numel() and bool((aweights < 0).any()):
            raise RuntimeError("cov(): aweights cannot be negative")
        w = aweights if w is None else w * aweights
    if w is None:
        w_sum = _C._full([], num_obs, x.dtype, x.device, False)
        avg = x.mean(1)
    else:
        w = w.reshape(-1)
        w_sum = w.sum()
        avg = (x * w).sum(1) / w_sum
    if w is None:
        norm = w_sum - correction
    elif correction == 0:
        norm = w_sum
    elif aweights is None:
        norm = w_sum - correction
    else:
        norm = w_sum - correction * (w * aweights.reshape(-1)).sum() / w_sum
    if bool(norm <= 0):
        warnings.warn("cov(): degrees of freedom is <= 0. Correction should be strictly less than the number of "
                      "observations.", UserWarning, stacklevel=2)
        norm = _zeros([], norm.dtype, norm.device)
    xm = x - avg.unsqueeze(1)
    xw = xm if w is None else xm * w
    c = xw.mm(xm.t()) / norm._to_dtype(x.dtype) if isinstance(norm, Tensor) else xw.mm(xm.t()) / norm
    return c.squeeze()  # as torch: a single variable gives a 0-d result


@_export("corrcoef")
def corrcoef(input):
    """Pearson correlation coefficients of the variables in input's rows, clipped to [-1, 1]."""
    c = cov(input)
    if c.dim() == 0:
        return c / c
    d = diag(c)
    stddev = d.sqrt()
    c = c / stddev.unsqueeze(1)
    c = c / stddev.unsqueeze(0)
    return c.clamp(-1, 1)


# --- Elementwise --------------------------------------------------------------------------------


def _require_float_kernel(name: str, input):
    if not input.is_floating_point():
        raise NotImplementedError(f"\"{name}\" not implemented for '{_dtype_display(input.dtype)}'")


@_export("frac")
@grad_fn_named("FracBackward0")
def frac(input):
    """input - trunc(input), the fractional part with input's sign."""
    _require_float_kernel("frac_cpu", input)
    return input - input.trunc()


class _Sinc(Function):
    """sinc with PyTorch's backward formula: grad * (pi x cos(pi x) - sin(pi x)) / (pi x^2), 0 where
    pi x^2 is 0 (autograd through sin(p) / p would cancel two huge terms near 0)."""

    _grad_fn_name = "SincBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        one = _C._full([], 1, x.dtype, x.device, False)
        product = _C.where(x == 0, one, x) * math.pi
        return _C.where(x == 0, one, product.sin() / product)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        x_pi = x * math.pi
        x_squared_pi = x * x * math.pi
        out = grad * (x_pi * x_pi.cos() - x_pi.sin()) / x_squared_pi
        return _C.where(x_squared_pi == 0, _C._full([], 0, out.dtype, out.device, False), out)


@_export("sinc")
def sinc(input):
    """sin(pi x) / (pi x), and 1 at x = 0 (integers give floats)."""
    return _Sinc.apply(input if input.is_floating_point() else input.to(_C.get_default_dtype()))


@_export("unfold")
def unfold(input, dimension, size, step):
    """Tensor.unfold: the windows of `size` elements every `step` along `dimension`, as a view with the
    window in a new last dim."""
    return _C._unfold(input, dimension, size, step)


@_export("sgn")
@grad_fn_named("SgnBackward0")
def sgn(input):
    """sign(input) (the complex sign for complex inputs, which fasttensor has not)."""
    return input.sign()


@_export("signbit")
def signbit(input):
    """True where input's sign bit is set: negative numbers, -0.0, -inf and NaNs with the bit set."""
    if input.dtype == _C.bool or input.dtype == _C.uint8:
        return _C._full(list(input.shape), False, _C.bool, input.device, False)
    if not input.is_floating_point():
        return input < 0
    bits = input.detach().view(_C.int64 if input.dtype == _C.float64 else _C.int32)
    return bits < 0


def _zero_grad_to(out, other):
    """out, with a zero gradient flowing to other (as torch gives other a zero gradient)."""
    if not _grad_involved(other):
        return out
    never = _C._full([], False, _C.bool, out.device, False)
    return _C.where(never, other._to_dtype(out.dtype), out)


@_export("copysign")
@grad_fn_named(lambda input, other: "CopysignBackward0" if isinstance(other, Tensor) else "CopysignBackward1")
def copysign(input, other):
    """|input| with the sign of other, elementwise (integers give the default float dtype)."""
    if not isinstance(input, Tensor):
        raise TypeError(_invalid_combination("copysign", input, other, _TENSOR_OR_NUMBER_OTHER))
    device = _device_of(input, other)
    dtype = _float_dtype(input, other)
    a = _as_tensor(input, dtype, device)
    b = _as_tensor(other, dtype, device)
    magnitude = a.abs()  # its gradient at 0 is 0, as torch's copysign gradient there
    out = _C.where(signbit(b), -magnitude, magnitude)
    if isinstance(other, Tensor):
        out = _zero_grad_to(out, other)
    return out


@_export("xlogy")
@grad_fn_named(lambda input, other: ("XlogyBackward0" if isinstance(other, Tensor) else "XlogyBackward2") if isinstance(input, Tensor) else "XlogyBackward1")
def xlogy(input, other):
    """input * log(other), 0 where input is 0 (unless other is NaN)."""
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        raise TypeError(_invalid_combination("xlogy", input, other, _EITHER_A_NUMBER))
    device = _device_of(input, other)
    dtype = _float_dtype(input, other)
    x = _as_tensor(input, dtype, device)
    y = _as_tensor(other, dtype, device)
    # Where x is 0 and log(y) is not finite (y <= 0, y = inf) the product is 0; elsewhere the gradients
    # are torch's: g * log(y) to x (also at x = 0) and g * x / y to y. "+ 0.0" turns 0 * log(y < 1) = -0.0
    # into the +0.0 torch gives.
    undefined = (x == 0) & ((y <= 0) | (y == math.inf))
    log_y = _C.where(undefined, _scalar_on(0, y), _C.where(undefined, _scalar_on(1, y), y).log())
    return x * log_y + 0.0


@_export("lerp")
@grad_fn_named(lambda input, end, weight: "LerpBackward1" if isinstance(weight, Tensor) else "LerpBackward0")
def lerp(input, end, weight):
    """input + weight * (end - input), computed as torch does (from the nearer end)."""
    if not isinstance(input, Tensor):
        raise _not_a_tensor("lerp", input)
    if not isinstance(end, Tensor):
        raise _not_a_tensor("lerp", end, "end", 2)
    if end.dtype != input.dtype:
        raise RuntimeError(f"expected dtype {_dtype_repr(input.dtype)} for `end` but got dtype "
                           f"{_dtype_repr(end.dtype)}")
    if isinstance(weight, Tensor) and weight.dtype != input.dtype:
        raise RuntimeError(f"expected dtype {_dtype_repr(input.dtype)} for `weight` but got dtype "
                           f"{_dtype_repr(weight.dtype)}")
    if not input.is_floating_point():
        kernel = "lerp_kernel_tensor" if isinstance(weight, Tensor) else "lerp_kernel_scalar"
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_dtype_display(input.dtype)}'")
    diff = end - input
    if not isinstance(weight, Tensor):
        if abs(weight) < 0.5:
            return input + weight * diff
        return end - diff * (1 - weight)
    small = weight.abs() < 0.5
    return _C.where(small, input + weight * diff, end - diff * (1 - weight))


def _dtype_repr(dtype) -> str:
    return repr(dtype).replace("fasttensor.", "")


@_export("float_power")
def float_power(input, exponent):
    """input ** exponent in float64."""
    base = input._to_dtype(_C.float64) if isinstance(input, Tensor) else float(input)
    if isinstance(exponent, Tensor):
        return _C.pow(base, exponent._to_dtype(_C.float64))
    return _C.pow(base, float(exponent))


@_export("hypot")
def hypot(input, other):
    """sqrt(input**2 + other**2), elementwise."""
    _tensors_only("hypot", input, other)
    dtype = _C.result_type(input, other)
    if dtype not in (_C.float32, _C.float64):
        raise NotImplementedError(f"\"hypot_cpu\" not implemented for '{_dtype_display(dtype)}'")
    device = _device_of(input, other)
    a, b = _as_tensor(input, dtype, device), _as_tensor(other, dtype, device)
    return Hypot.apply(a, b)


class Hypot(Function):
    """sqrt(a^2 + b^2) without overflow or underflow in between: float32 in float64 (exact
    squares, one rounding at the end), float64 scaled by 2^-600 / 2^600 beyond 2^+-500; an
    infinite input gives inf even beside a NaN, as C's hypot. Gradient (a, b) / hypot."""

    _grad_fn_name = "HypotBackward0"

    @staticmethod
    def forward(ctx, a, b):
        if a.dtype == _C.float32:
            wa, wb = a._to_dtype(_C.float64), b._to_dtype(_C.float64)
            out = (wa * wa + wb * wb).sqrt()._to_dtype(_C.float32)
        else:  # scaled by an exact power of 2 where the squares would overflow or underflow
            big = _C.maximum(a.abs(), b.abs())
            one = _scalar_on(1.0, big)
            scale = _C.where(big > 2.0 ** 500, _scalar_on(2.0 ** -600, big),
                             _C.where(big < 2.0 ** -500, _scalar_on(2.0 ** 600, big), one))
            sa, sb = a * scale, b * scale
            out = (sa * sa + sb * sb).sqrt() / scale
        out = _C.where(a.isinf() | b.isinf(), _scalar_on(math.inf, out), out)
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, b, out = ctx.saved_tensors
        return grad * a / out, grad * b / out


def _log_add(input, other, base2: bool):
    device = _device_of(input, other)
    dtype = _C.result_type(input, other)
    if dtype not in (_C.float32, _C.float64):
        raise NotImplementedError(f"\"logaddexp{'2' if base2 else ''}_cpu\" not implemented for "
                                  f"'{_dtype_display(dtype)}'")
    a = _as_tensor(input, dtype, device)
    b = _as_tensor(other, dtype, device)
    m = _C.maximum(a, b)
    delta = _C.where(a == b, _scalar_on(0, a), a - b)  # equal infinities: no inf - inf
    if base2:
        return m + (-delta.abs()).exp2().log1p() * (1 / math.log(2))
    return m + (-delta.abs()).exp().log1p()


@_export("renorm")
@grad_fn_named("RenormBackward0")
def renorm(input, p, dim, maxnorm):
    """input with each slice along dim whose p-norm exceeds maxnorm scaled down to norm maxnorm
    (by maxnorm / (norm + 1e-7), as PyTorch); the other slices unchanged."""
    if input.dim() < 2:
        raise RuntimeError(f"renorm: input needs at least 2 dimensions, got {input.dim()} dimensions")
    if not p > 0:
        raise RuntimeError("renorm: non-positive-norm not supported")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm:g}")
    d = _wrap_dim(dim, input.dim())
    others = [k for k in builtins.range(input.dim()) if k != d]
    norm = input.norm(p=p, dim=others, keepdim=True)
    factor = _C.where(norm > maxnorm, maxnorm / (norm + 1e-7), _C._full([], 1, norm.dtype, norm.device, False))
    return input.contiguous() * factor  # contiguous whatever input's layout, as PyTorch's


def _tensors_only(name: str, input, other, other_name: str = "other") -> None:
    """PyTorch's TypeError for a function of two tensors given something else (hypot(x, 2)); as a
    method, x.hypot(2), other is position 1 (_exports.method_form)."""
    _check_tensors(name, ("input", input), (other_name, other))


_TENSOR_OR_NUMBER_OTHER = (" * (Tensor input, Tensor other, *, Tensor out = None)\n"
                           " * (Tensor input, Number other, *, Tensor out = None)\n")


# The signatures of PyTorch's functions of two operands either of which may be a number (xlogy, ...).
_EITHER_A_NUMBER = (" * (Tensor input, Tensor other, *, Tensor out = None)\n * (Number self, Tensor other, *, Tensor "
                    "out = None)\n * (Tensor input, Number other, *, Tensor out = None)\n")


def _invalid_combination(name: str, a, b, signatures: str) -> str:
    """PyTorch's text for arguments that fit none of a function's signatures."""
    def type_name(x):
        return "Tensor" if isinstance(x, Tensor) else type(x).__name__
    return (f"{name}() received an invalid combination of arguments - got ({type_name(a)}, {type_name(b)}), but "
            f"expected one of:\n{signatures}")


@_export("logaddexp")
@grad_fn_named("LogaddexpBackward0")
def logaddexp(input, other):
    """log(exp(input) + exp(other)), stably."""
    _tensors_only("logaddexp", input, other)
    return _log_add(input, other, False)


@_export("logaddexp2")
def logaddexp2(input, other):
    """log2(2**input + 2**other), stably."""
    _tensors_only("logaddexp2", input, other)
    return _log_add(input, other, True)


@_export("deg2rad")
@grad_fn_named("Deg2RadBackward0")
def deg2rad(input):
    """Degrees to radians."""
    x = input if input.is_floating_point() else input._to_dtype(_default_float())
    return x * (math.pi / 180)


@_export("rad2deg")
@grad_fn_named("Rad2DegBackward0")
def rad2deg(input):
    """Radians to degrees."""
    x = input if input.is_floating_point() else input._to_dtype(_default_float())
    return x * (180 / math.pi)


@_export("heaviside")
def heaviside(input, values):
    """0 where input < 0, values where input == 0, 1 where input > 0."""
    _tensors_only("heaviside", input, values, "values")
    if input.dtype != values.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes")
    one = _C._full([], 1, input.dtype, input.device, False)
    zero = _C._full([], 0, input.dtype, input.device, False)
    step = _C.where(input == 0, values.detach(), _C.where(input > 0, one, zero))
    return no_derivative(step, [input, values], "NotImplemented",
                         lambda: RuntimeError("derivative for aten::heaviside is not implemented"))


def _nan_ignoring(input, other, take_input):
    dtype = _C.result_type(input, other)
    a, b = input._to_dtype(dtype), other._to_dtype(dtype)
    if a.is_floating_point():
        take_input = take_input | b.isnan()
    return _C.where(take_input, a, b)


def _two_tensors(name: str, input, other):
    """PyTorch's TypeError when a function of two tensors gets something else."""
    for param, value, position in (("input", input, 1), ("other", other, 2)):
        if not isinstance(value, Tensor):
            raise _not_a_tensor(name, value, param, position)


@_export("fmax")
def fmax(input, other):
    """maximum(input, other), except that a NaN loses to a number."""
    _two_tensors("fmax", input, other)
    return _nan_ignoring(input, other, input >= other)


@_export("fmin")
def fmin(input, other):
    """minimum(input, other), except that a NaN loses to a number."""
    _two_tensors("fmin", input, other)
    return _nan_ignoring(input, other, input <= other)


@_export("absolute")
def absolute(input):
    """Alias of abs."""
    return input.abs()


@_export("greater_equal")
def greater_equal(input, other):
    return input.ge(other)


@_export("less_equal")
def less_equal(input, other):
    return input.le(other)


@_export("not_equal")
def not_equal(input, other):
    return input.ne(other)


_METHODS.update({"greater": _C.Tensor.gt, "less": _C.Tensor.lt, "true_divide": _C.Tensor.div,
                 "divide": _C.Tensor.div, "subtract": _C.Tensor.sub})


@_export("positive")
def positive(input):
    """input itself (an error for bool, as torch)."""
    if input.dtype == _C.bool:
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


class Erfinv(Function):
    """The inverse error function: an initial estimate refined by Newton steps on erf in float64;
    its derivative sqrt(pi)/2 * exp(erfinv(x)**2)."""

    _grad_fn_name = "ErfinvBackward0"

    @staticmethod
    def forward(ctx, input):
        x = input._to_dtype(_C.float64)
        # Giles' single-precision approximation as the start, then Newton steps y -= (erf(y) - x) / erf'(y).
        w = -((1 - x) * (1 + x)).log()
        small = w < 5
        ws = w - 2.5
        p = _polynomial(ws, [2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,
                             -0.00125372503, -0.00417768164, 0.246640727, 1.50140941])
        wl = w.clamp(min=5).sqrt() - 3
        pl = _polynomial(wl, [-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
                              -0.0076224613, 0.00943887047, 1.00167406, 2.83297682])
        a = x.abs()
        y = _C.where(small, p, pl) * a
        finite = a < 1
        # On |x| >= 0.5 the steps solve log erfc(y) = log(1 - |x|) (1 - |x| exact there): erf(y) - |x|
        # would lose the digits that decide y as |x| nears 1 (erfinv(1 - 1e-16) is 5.86), and in log
        # space the steps converge from the estimate's error there (the estimate is single precision's).
        tail = a >= 0.5
        log_rest = _C.where(tail, 1 - a, _scalar_on(1.0, a)).log()
        for _ in builtins.range(4):
            y_safe = _C.where(finite, y, _scalar_on(0, y))
            slope = (2 / math.sqrt(math.pi)) * (-(y_safe * y_safe)).exp()  # d erf / dy
            rest = y_safe.erfc()
            step = _C.where(tail, (log_rest - rest.log()) * rest, y_safe.erf() - a) / slope
            y = _C.where(finite, y_safe - step, y)
        y = y.copysign(x)
        y = _C.where(x == 1, _scalar_on(math.inf, y), _C.where(x == -1, _scalar_on(-math.inf, y), y))
        y = _C.where(x.abs() > 1, _scalar_on(math.nan, y), y)
        out = y._to_dtype(input.dtype)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * (math.sqrt(math.pi) / 2) * (y * y).exp()


def _polynomial(x, coefficients):
    out = _C._full(list(x.shape), coefficients[0], x.dtype, x.device, False)
    for c in coefficients[1:]:
        out = out * x + c
    return out


@_export("erfinv")
def erfinv(input):
    """The inverse of erf (integers give the default float dtype)."""
    x = input if input.is_floating_point() else input._to_dtype(_default_float())
    return Erfinv.apply(x)


def _value_times(value, t):
    return t if (not isinstance(value, Tensor) and value == 1) else value * t


def _scalar_in(value, *tensors):
    """A Python number in the tensors' common dtype, as PyTorch's kernels take value / alpha / beta
    (2.5 into an int32 sum is 2): it then cannot lift the result's dtype."""
    if isinstance(value, Tensor) or isinstance(value, bool):
        return value
    common = tensors[0].dtype
    for t in tensors[1:]:
        common = _C.promote_types(common, t.dtype)
    if common == _C.bool:
        return bool(value)
    if not common.is_floating_point and isinstance(value, float):
        return int(value)
    return value


def _in_common_dtype(*tensors):
    """The tensors in their promoted dtype, as PyTorch's pointwise kernels compute: addcmul of uint8
    tensors into a float64 input must not wrap around at 255."""
    common = tensors[0].dtype
    for t in tensors[1:]:
        common = _C.promote_types(common, t.dtype)
    return [t if t.dtype == common else t.to(common) for t in tensors]


@_export("addcmul")
@grad_fn_named("AddcmulBackward0")
def addcmul(input, tensor1, tensor2, *, value=1):
    """input + value * tensor1 * tensor2."""
    value = _scalar_in(value, input, tensor1, tensor2)
    _, tensor1, tensor2 = _in_common_dtype(input, tensor1, tensor2)
    return input + _value_times(value, tensor1) * tensor2


@_export("addcdiv")
@grad_fn_named("AddcdivBackward0")
def addcdiv(input, tensor1, tensor2, *, value=1):
    """input + value * tensor1 / tensor2 (integer tensors are refused, as torch)."""
    if not tensor1.is_floating_point() and not tensor2.is_floating_point():
        raise RuntimeError("Integer division with addcdiv is no longer supported, and in a future release addcdiv "
                           "will perform a true division of tensor1 and tensor2. The historic addcdiv behavior can "
                           "be implemented as (input + value * torch.trunc(tensor1 / tensor2)).to(input.dtype) for "
                           "integer inputs and as (input + value * tensor1 / tensor2) for float inputs. The future "
                           "addcdiv behavior is just the latter implementation: (input + value * tensor1 / tensor2), "
                           "for all dtypes.")
    _, tensor1, tensor2 = _in_common_dtype(input, tensor1, tensor2)
    return input + _value_times(value, tensor1) / tensor2


def _beta_alpha(input, product, beta, alpha):
    """beta * input + alpha * product, input ignored (NaNs too) when beta is 0; input must
    broadcast to product's shape."""
    _check_broadcast_to(input, list(product.shape))
    beta, alpha = _scalar_in(beta, input, product), _scalar_in(alpha, input, product)
    scaled = _value_times(alpha, product)
    if not isinstance(beta, Tensor) and beta == 0:  # input only gets a zero gradient
        out = (scaled + _zeros([], scaled.dtype, scaled.device)).expand(
            _broadcast_pair(input.shape, scaled.shape)).clone()
        return _zero_grad_to(out, input)
    return _value_times(beta, input) + scaled


def _check_broadcast_to(input, shape):
    if list(_broadcast_pair(input.shape, shape)) != list(shape):
        raise RuntimeError(f"The expanded size of the tensor ({shape[-1]}) must match the existing size "
                           f"({input.shape[-1]}) at non-singleton dimension {input.dim() - 1}.  Target sizes: "
                           f"{list(shape)}.  Tensor sizes: {list(input.shape)}")


@_export("addmm")
@grad_fn_named("AddmmBackward0")
def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    """beta * input + alpha * (mat1 @ mat2)."""
    product = mat1.mm(mat2)
    return _beta_alpha(input, product, beta, alpha)


@_export("addmv")
@grad_fn_named("AddmvBackward0")
def addmv(input, mat, vec, *, beta=1, alpha=1):
    """beta * input + alpha * (mat @ vec)."""
    if isinstance(input, _C.Tensor) and isinstance(mat, _C.Tensor) and isinstance(vec, _C.Tensor) and \
            len({input.dtype, mat.dtype, vec.dtype}) > 1:
        raise RuntimeError(f"addmv input tensors must have the same dtype, but got {_dtype_display(input.dtype)}, "
                           f"{_dtype_display(mat.dtype)}, and {_dtype_display(vec.dtype)}")
    product = mat.mv(vec)
    return _beta_alpha(input, product, beta, alpha)


@_export("baddbmm")
@grad_fn_named("BaddbmmBackward0")
def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """beta * input + alpha * bmm(batch1, batch2)."""
    product = batch1.bmm(batch2)
    return _beta_alpha(input, product, beta, alpha)


@_export("addbmm")
@grad_fn_named("AddbmmBackward0")
def addbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """beta * input + alpha * sum_b(batch1[b] @ batch2[b])."""
    for name, t in (("batch1", batch1), ("batch2", batch2)):
        if t.dim() != 3:
            raise RuntimeError(f"{name} must be a 3D tensor")
    b, n, m = batch1.shape
    if batch2.shape[0] != b or batch2.shape[1] != m:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{b}, {m}] but got: "
                           f"[{batch2.shape[0]}, {batch2.shape[1]}].")
    p = batch2.shape[2]
    # (n, b * m) @ (b * m, p): the batch and inner dims summed in one product
    product = batch1.permute([1, 0, 2]).reshape(n, b * m).mm(batch2.reshape(b * m, p))
    return _beta_alpha(input, product, beta, alpha)


# --- In-place methods ---------------------------------------------------------------------------

_CATEGORY = {_C.bool: 0, _C.uint8: 1, _C.int32: 1, _C.int64: 1, _C.float32: 2, _C.float64: 2}


def _commit(self, result):
    """self.copy_(result) after torch's checks: result's dtype must cast to self's, its shape be self's.
    self's new node takes the name of result's (sin_ leaves SinBackward0, as PyTorch's in-place op,
    not the copy's CopyBackwards); on a view the copy's CopySlices stays, as PyTorch's."""
    if _CATEGORY[result.dtype] > _CATEGORY[self.dtype]:
        raise RuntimeError(f"result type {_dtype_display(result.dtype)} can't be cast to the desired output type "
                           f"{_dtype_display(self.dtype)}")
    if list(result.shape) != list(self.shape):
        raise RuntimeError(f"output with shape {list(self.shape)} doesn't match the broadcast shape "
                           f"{list(result.shape)}")
    return _C._copy_result_(self, result)


def _inplace(op):
    """The in-place method of op: op on self (a clone when autograd records, so the saved
    tensors are not the ones overwritten), then self takes the result."""
    def method(self, *args, **kwargs):
        source = self.clone() if _grad_involved(self, *args, *kwargs.values()) else self
        return _commit(self, op(source, *args, **kwargs))
    method.__name__ = op.__name__ + "_"
    method.__doc__ = f"In-place {op.__name__}."
    # (an op that is a Tensor method (_method) already counts its arguments as a method does)
    return method_form(method, raised_as=op.__name__, renumber=not getattr(op, "is_method", False))


def _method(name):
    def call(self, *args, **kwargs):
        return getattr(self, name)(*args, **kwargs)
    call.__name__, call.is_method = name, True
    return call


def _function(name):
    return lambda *args, **kwargs: getattr(_C, name)(*args, **kwargs)


def _install_inplace() -> None:
    ops = {
        "ceil": _method("ceil"), "trunc": _method("trunc"), "sign": _method("sign"), "sin": _method("sin"),
        "cos": _method("cos"), "tan": _method("tan"), "square": _method("square"),
        "reciprocal": _method("reciprocal"), "logical_not": _method("logical_not"),
        "floor_divide": _method("floor_divide"), "remainder": _method("remainder"), "fmod": _method("fmod"),
        "exp2": _method("exp2"), "expm1": _method("expm1"), "log1p": _method("log1p"), "log2": _method("log2"),
        "log10": _method("log10"), "rsqrt": _method("rsqrt"), "asin": _method("asin"), "acos": _method("acos"),
        "atan": _method("atan"), "arcsin": _method("asin"), "arccos": _method("acos"), "arctan": _method("atan"),
        "sinh": _method("sinh"), "cosh": _method("cosh"), "erf": _method("erf"), "erfc": _method("erfc"),
        "digamma": _method("digamma"),
        "lgamma": _method("lgamma"), "atan2": _method("atan2"), "arctan2": _method("atan2"),
        "negative": _method("neg"), "absolute": _method("abs"), "true_divide": _method("div"),
        "divide": _method("div"), "multiply": _method("mul"), "subtract": _method("sub"),
        "logical_and": _method("logical_and"), "logical_or": _method("logical_or"),
        "logical_xor": _method("logical_xor"), "eq": _method("eq"), "ne": _method("ne"), "lt": _method("lt"),
        "le": _method("le"), "gt": _method("gt"), "ge": _method("ge"), "clip": _method("clamp"),
        "cumsum": _method("cumsum"), "cumprod": _method("cumprod"), "frac": frac, "lerp": lerp,
        "addcmul": addcmul, "addcdiv": addcdiv, "hypot": hypot, "copysign": copysign, "xlogy": xlogy,
        "deg2rad": deg2rad, "rad2deg": rad2deg, "heaviside": heaviside, "sgn": sgn, "addmm": addmm,
        "addmv": addmv, "baddbmm": baddbmm, "addbmm": addbmm, "erfinv": erfinv,
        "greater": _method("gt"), "greater_equal": _method("ge"), "less": _method("lt"),
        "less_equal": _method("le"), "not_equal": _method("ne"), "renorm": renorm,
    }
    for name, op in ops.items():
        fn = _inplace(op)
        fn.__name__ = name + "_"
        _METHODS[name + "_"] = fn
    _METHODS["float_power_"] = _float_power_


def _float_power_(self, exponent):
    """In-place float_power: self must be float64 (the result's dtype)."""
    if self.dtype != _C.float64:
        raise RuntimeError(f"the base given to float_power_ has dtype {_dtype_display(self.dtype)} but the "
                           f"operation's result requires dtype Double")
    source = self.clone() if _grad_involved(self, exponent) else self
    return _commit(self, float_power(source, exponent))


# --- Shape and index ----------------------------------------------------------------------------


def _check_index_dtype(index, name: str):
    if not isinstance(index, Tensor):
        raise TypeError(f"{name}(): argument 'index' must be Tensor, not {type(index).__name__}")
    if index.dtype not in (_C.int64, _C.int32):
        raise RuntimeError(f"{name}(): Expected dtype int32/int64 for index")


def _check_bounds(index, size: int, d: int, name: str, error=RuntimeError, prefix: str = "", wrap: bool = False):
    """Every index in [0, size) (in [-size, size) with wrap), or PyTorch's error for the first bad end."""
    if index.numel() == 0:
        return
    low, high = int(index.min()), int(index.max())
    bad = low if low < (-size if wrap else 0) else (high if high >= size else None)
    if bad is not None:
        raise error(f"{prefix}index {bad} is out of bounds for dimension {d} with size {size}")


def _scatter_check(name, input, dim, index, src):
    _check_index_dtype(index, name)
    d = _wrap_dim(dim, input.dim())
    if src is not None and src.dtype != input.dtype:
        raise RuntimeError(f"{name}(): Expected self.dtype to be equal to src.dtype")
    if index.numel() == 0:
        return d
    nd = builtins.max(input.dim(), 1)
    if builtins.max(index.dim(), 1) != nd:
        raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
    if src is not None and builtins.max(src.dim(), 1) != nd:
        raise RuntimeError("Index tensor must have the same number of dimensions as src tensor")
    ishape, sshape = list(index.shape) or [1], list(input.shape) or [1]
    srcshape = (list(src.shape) or [1]) if src is not None else None
    for k in builtins.range(nd):
        if (k != d and ishape[k] > sshape[k]) or (srcshape is not None and ishape[k] > srcshape[k]):
            detail = f" and to be no larger size than src {srcshape}" if srcshape is not None else ""
            raise RuntimeError(f"Expected index {ishape} to be no larger than self {sshape} apart from dimension "
                               f"{d}{detail}")
    _check_bounds(index, sshape[d], d, name)
    return d


def _scatter_offsets(shape, d: int, index):
    """Flat offsets into a contiguous tensor of shape for scatter's index (index's shape)."""
    if not shape:
        return index.reshape(-1)
    strides = _contiguous_strides(shape)
    offsets = index * strides[d]
    for k in builtins.range(index.dim()):
        if k != d and index.shape[k] > 1:
            view = [1] * index.dim()
            view[k] = -1
            offsets = offsets + _arange(index.shape[k], index.device).reshape(view) * strides[k]
    return offsets.reshape(-1)


def _leading_block(src, shape):
    """src[:shape[0], :shape[1], ...]: the part of src scatter reads."""
    out = src
    for k, size in enumerate(shape):
        if out.shape[k] != size:
            out = out.narrow(k, 0, size)
    return out


@_export("scatter")
@grad_fn_named(lambda input, dim, index, src=None, value=None, *, reduce=None: None if reduce is not None else "ScatterBackward0" if isinstance(src, Tensor) else "ScatterBackward1")
def scatter(input, dim, index, src=None, value=None, *, reduce=None):
    """input with input[index[i][j]][j] = src[i][j] (for dim 0; value instead of src: that number)."""
    if src is not None and not isinstance(src, Tensor):
        src, value = None, src
    if reduce is not None:
        if src is not None:
            warnings.warn("The reduce argument of torch.scatter with Tensor src is deprecated and will be removed in a "
                          "future PyTorch release. Use torch.scatter_reduce instead for more reduction options.",
                          UserWarning, stacklevel=2)
        if reduce == "add":
            if src is None:
                src = _C._full(list(index.shape), value, input.dtype, input.device, False)
            return scatter_add(input, dim, index, src)
        raise NotImplementedError(f"scatter(): reduce={reduce!r} is not supported by fasttensor (only 'add')")
    if src is None and value is None:
        raise TypeError("scatter() missing 1 required argument: 'src' or 'value'")
    d = _scatter_check("scatter", input, dim, index, src)
    if index.numel() == 0:
        return _zero_grad_to(input.clone(), src.sum()) if src is not None else input.clone()
    index = index._to_dtype(_C.int64)
    out = input.reshape(-1).clone()
    offsets = _scatter_offsets(list(input.shape), d, index)
    if src is not None:
        out[offsets] = _leading_block(src.reshape(1) if src.dim() == 0 else src, list(index.shape) or [1]).reshape(-1)
    elif index.numel():
        out[offsets] = value
    return out.reshape(input.shape)


@_export("scatter_add")
@grad_fn_named("ScatterAddBackward0")
def scatter_add(input, dim, index, src):
    """input with src[i][j] added at input[index[i][j]][j] (for dim 0); repeats accumulate."""
    d = _scatter_check("scatter_add", input, dim, index, src)
    if index.numel() == 0:  # src gets a zero gradient
        return _zero_grad_to(input.clone(), src.sum())
    index = index._to_dtype(_C.int64)
    offsets = _scatter_offsets(list(input.shape), d, index)
    values = _leading_block(src.reshape(1) if src.dim() == 0 else src, list(index.shape) or [1]).reshape(-1)
    n = input.numel()
    # input's own entries first, then src's in order: the additions torch's CPU kernel makes
    total = _accumulate(n, _C.cat([_arange(n, input.device), offsets], 0), _C.cat([input.reshape(-1), values], 0))
    return total.reshape(input.shape)


def _index_along(name, input, dim, index, source):
    """(d, index expanded to source's shape) for the index_* ops, checked as torch."""
    if not isinstance(index, Tensor) or index.dtype not in (_C.int64, _C.int32):
        raise RuntimeError(f"{name}(): Expected dtype int32/int64 for index")
    if index.dim() > 1:
        raise IndexError(f"{name}(): Index is supposed to be a vector")
    d = _wrap_dim(dim, input.dim())
    index = index.reshape(-1)._to_dtype(_C.int64)
    x_shape = list(input.shape) or [1]
    if source is not None:
        if input.dtype != source.dtype:
            raise RuntimeError(f"{name}(): self ({_dtype_display(input.dtype)}) and source "
                               f"({_dtype_display(source.dtype)}) must have the same scalar type")
        s_shape = list(source.shape) or [1]
        if len(s_shape) != len(x_shape) or builtins.any(
                a != b for k, (a, b) in enumerate(zip(x_shape, s_shape)) if k != d):
            raise RuntimeError(f"source tensor shape must match self tensor shape, excluding the specified "
                               f"dimension. Got self.shape = {list(input.shape)} source.shape = {list(source.shape)}")
        if index.numel() != s_shape[d]:
            raise RuntimeError(f"{name}(): Number of indices ({index.numel()}) should be equal to source.size(dim) "
                               f"({s_shape[d]})")
    if name == "index_fill":  # (PyTorch's index_fill takes negative indices from the end)
        _check_bounds(index, x_shape[d], d, name, IndexError, "", wrap=True)
        index = index + (index < 0)._to_dtype(_C.int64) * x_shape[d]
    elif name == "index_copy":
        _check_bounds(index, x_shape[d], d, name, IndexError, "index_copy_(): ")
    else:
        _check_bounds(index, x_shape[d], d, name)
    shape = list(x_shape)
    shape[d] = index.numel()
    view = [1] * len(shape)
    view[d] = -1
    return d, index.reshape(view).expand(shape)


@_export("index_add")
@grad_fn_named("IndexAddBackward0")
def index_add(input, dim, index, source, *, alpha=1):
    """input with alpha * source[i] added along dim at index[i]; repeats accumulate."""
    d, idx = _index_along("index_add", input, dim, index, source)
    x = input.reshape(1) if input.dim() == 0 else input
    s = source.reshape(1) if source.dim() == 0 else source
    return scatter_add(x, d, idx, _value_times(alpha, s)).reshape(input.shape)


@_export("index_copy")
@grad_fn_named("IndexCopyBackward0")
def index_copy(input, dim, index, source):
    """input with source[i] copied along dim to index[i]."""
    d, idx = _index_along("index_copy", input, dim, index, source)
    x = input.reshape(1) if input.dim() == 0 else input
    s = source.reshape(1) if source.dim() == 0 else source
    return scatter(x, d, idx, s).reshape(input.shape)


@_export("index_fill")
@grad_fn_named(lambda input, dim, index, value: "IndexFillBackward1" if isinstance(value, Tensor) else "IndexFillBackward0")
def index_fill(input, dim, index, value):
    """input with the entries at index along dim set to value (a number or a 0-d tensor)."""
    if isinstance(value, Tensor) and value.dim() != 0:
        raise RuntimeError(f"index_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                           f"{value.dim()} dimension(s).")
    d, idx = _index_along("index_fill", input, dim, index, None)
    x = input.reshape(1) if input.dim() == 0 else input
    if isinstance(value, Tensor):
        return scatter(x, d, idx, value._to_dtype(input.dtype).expand(list(idx.shape))).reshape(input.shape)
    return scatter(x, d, idx, value=value).reshape(input.shape)


def _memory_range(t):
    """[first byte, past the last byte) that t's elements occupy."""
    lo = hi = 0
    for size, stride in zip(t.shape, t.stride()):
        if size > 1:
            lo, hi = lo + min(0, (size - 1) * stride), hi + max(0, (size - 1) * stride)
    itemsize = t.element_size()
    return t.data_ptr() + lo * itemsize, t.data_ptr() + (hi + 1) * itemsize


def _refuse_overlap(self, args) -> None:
    """PyTorch's refusal of an in-place index op reading from memory it writes (a.index_add_(0, i, a[:2]))."""
    if self.numel() == 0:
        return
    start, end = _memory_range(self)
    for other in args:
        if isinstance(other, Tensor) and other.numel() and other.device == self.device and \
                other._storage_ptr == self._storage_ptr:
            o_start, o_end = _memory_range(other)
            if o_start < end and start < o_end:
                raise RuntimeError("unsupported operation: some elements of the input tensor and the written-to "
                                   "tensor refer to a single memory location. Please clone() the tensor before "
                                   "performing the operation.")


def _is_expanded(t) -> bool:
    """Several elements at one address (a stride 0 over a dim of size > 1)."""
    return any(stride == 0 and size > 1 for size, stride in zip(t.shape, t.stride()))


def _index_fill_expanded(self, dim, index, value):
    """index_fill_ into an expanded tensor: PyTorch warns, then fills every selected position."""
    warnings.warn("Use of index_fill_ on expanded tensors is deprecated. Please clone() the tensor before performing "
                  "this operation. This also applies to advanced indexing e.g. tensor[indices] = tensor",
                  UserWarning, stacklevel=3)
    if isinstance(value, Tensor) and value.dim() != 0:
        raise RuntimeError(f"index_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                           f"{value.dim()} dimension(s).")
    d, idx = _index_along("index_fill", self, dim, index, None)  # checked, negatives wrapped, along d
    positions = idx
    for k in reversed(builtins.range(idx.dim())):
        if k != d:
            positions = positions.select(k, 0)
    self._set_item_unwarned((slice(None),) * d + (positions,), value)
    return self


def _install_index_inplace() -> None:
    for op in (scatter, scatter_add, index_add, index_copy, index_fill):
        def method(self, *args, _fn=_inplace(op), _op=op, **kwargs):
            if _op is index_fill and _is_expanded(self):
                return _index_fill_expanded(self, *args, **kwargs)
            _refuse_overlap(self, (*args, *kwargs.values()))
            return _fn(self, *args, **kwargs)
        method.__name__ = op.__name__ + "_"
        _METHODS[op.__name__ + "_"] = method
        _METHODS[op.__name__] = op


@_export("take")
@grad_fn_named("TakeBackward0")
def take(input, index):
    """input flattened, at index (the result has index's shape)."""
    _check_tensors("take", ("input", input), ("index", index))
    if index.dtype != _C.int64:
        raise RuntimeError(f"take(): Expected a long tensor for index, but got {_dtype_display(index.dtype)}")
    n = input.numel()
    if index.numel():
        low, high = int(index.min()), int(index.max())
        bad = low if low < -n else (high if high >= n else None)
        if bad is not None:
            raise IndexError(f"out of range: tried to access index {bad} on a tensor of {n} elements.")
    flat_index = index.reshape(-1)
    flat_index = _C.where(flat_index < 0, flat_index + n, flat_index)
    return input.reshape(-1).index_select(0, flat_index).reshape(index.shape)


@_export("take_along_dim")
def take_along_dim(input, indices, dim=None):
    """input's entries at indices along dim (input and indices broadcast in the other dims);
    with dim None, take of the flattened input."""
    _check_tensors("take_along_dim", ("input", input), ("indices", indices))
    if indices.dtype != _C.int64:
        raise RuntimeError(f"torch.take_along_dim(): dtype of indices should be int64 but got "
                           f"{_dtype_display(indices.dtype)} instead.")
    if dim is None:
        return input.reshape(-1).gather(0, indices.reshape(-1))
    if input.dim() != indices.dim():
        raise RuntimeError(f"torch.take_along_dim(): input and indices should have the same number of dimensions, "
                           f"but got {input.dim()} dimensions for input, and {indices.dim()} dimensions for indices")
    d = _wrap_dim(dim, input.dim())
    shape_x, shape_i = list(input.shape), list(indices.shape)
    shape_x[d], shape_i[d] = 1, 1
    common = _broadcast_pair(shape_x, shape_i)
    sx, si = list(common), list(common)
    sx[d], si[d] = input.shape[d], indices.shape[d]
    return input.expand(sx).gather(d, indices.expand(si))


def _tri_indices(row, col, offset, lower: bool, dtype, device):
    if row < 0 or col < 0:
        which = "row" if row < 0 else "col"
        raise RuntimeError(f"{which} must be non-negative, got{row if row < 0 else col}")
    r = _arange(row, device).unsqueeze(1)
    c = _arange(col, device).unsqueeze(0)
    keep = (c - r <= offset) if lower else (c - r >= offset)
    return keep.nonzero().t().contiguous()._to_dtype(dtype if dtype is not None else _C.int64)


@_export()
def tril_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    """The (2, N) coordinates of the lower triangle of a row x col matrix, row by row."""
    return _tri_indices(row, col, offset, True, dtype, device if device is not None else "cpu")


@_export()
def triu_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    """The (2, N) coordinates of the upper triangle of a row x col matrix, row by row."""
    return _tri_indices(row, col, offset, False, dtype, device if device is not None else "cpu")


@_export()
def broadcast_tensors(*tensors):
    """The tensors expanded (views) to their common broadcast shape."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    shape: list = []
    for t in tensors:
        shape = _broadcast_pair(shape, list(t.shape))
    return tuple(t.expand(shape) for t in tensors)


@_export()
def cartesian_prod(*tensors):
    """The Cartesian product of 1-D tensors as rows of an (N, k) tensor (the tensor itself for one)."""
    for t in tensors:
        if t.dim() != 1:
            raise RuntimeError(f"Expect a 1D vector, but got shape {list(t.shape)}")
    if len(tensors) == 1:
        return tensors[0]
    sizes = [t.shape[0] for t in tensors]
    columns = []
    for k, t in enumerate(tensors):
        view = [1] * len(tensors)
        view[k] = -1
        columns.append(t.reshape(view).expand(sizes).reshape(-1))
    return _C.stack(columns, 1)


@_export()
def combinations(input, r=2, with_replacement=False):
    """The r-length combinations of a 1-D tensor's entries, as rows (itertools' order)."""
    if input.dim() != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(input.shape)}")
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return _zeros([0], input.dtype, input.device)
    if input.shape[0] ** r > 2**63 - 1:  # PyTorch builds the n^r grid of all index tuples first
        raise RuntimeError("numel: integer multiplication overflow")
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    rows = list(pick(builtins.range(input.shape[0]), r))  # positions only: the values are gathered on the device
    index = _index_tensor([p for row in rows for p in row], input.device)
    return input.index_select(0, index).reshape(len(rows), r)


def _index_tensor(values: list, device):
    """An int64 tensor of the given Python ints (host positions, not data), on device."""
    return tensor(values, dtype=_C.int64, device=device) if values else _zeros([0], _C.int64, device)


@_export("kron")
@grad_fn_named("UnsafeViewBackward0")
def kron(input, other):
    """The Kronecker product: blocks input[i] * other."""
    _check_tensors("kron", ("input", input), ("other", other))
    n = builtins.max(input.dim(), other.dim())
    a = input.reshape([1] * (n - input.dim()) + list(input.shape))
    b = other.reshape([1] * (n - other.dim()) + list(other.shape))
    a_view, b_view, shape = [], [], []
    for p, q in zip(a.shape, b.shape):
        a_view += [p, 1]
        b_view += [1, q]
        shape.append(p * q)
    return (a.reshape(a_view) * b.reshape(b_view)).reshape(shape)


@_export()
def tensordot(a, b, dims=2, out=None):
    """The sum over dims of a and b (the last dims of a with the first of b when dims is an int)."""
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > a.dim() or dims > b.dim():
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        dims_a = list(builtins.range(a.dim() - dims, a.dim()))
        dims_b = list(builtins.range(dims))
    else:
        dims_a, dims_b = dims
        dims_a, dims_b = list(_dims(dims_a)), list(_dims(dims_b))
    if len(dims_a) != len(dims_b):
        raise RuntimeError("both dimension lists should have same length")
    dims_a = [_wrap_dim(d, a.dim()) for d in dims_a]
    dims_b = [_wrap_dim(d, b.dim()) for d in dims_b]
    k = 1
    for da, db in zip(dims_a, dims_b):
        if a.shape[da] != b.shape[db]:
            raise RuntimeError(f"contracted dimensions need to match, but first has size {a.shape[da]} in dim "
                               f"{da} and second has size {b.shape[db]} in dim {db}")
        k *= a.shape[da]
    free_a = [d for d in builtins.range(a.dim()) if d not in dims_a]
    free_b = [d for d in builtins.range(b.dim()) if d not in dims_b]
    m = math.prod(a.shape[d] for d in free_a)
    n = math.prod(b.shape[d] for d in free_b)
    left = a.permute(free_a + dims_a).reshape(m, k)
    right = b.permute(dims_b + free_b).reshape(k, n)
    result = left.mm(right).reshape([a.shape[d] for d in free_a] + [b.shape[d] for d in free_b])
    if out is None:
        return result
    from ._creation import write_out

    return write_out(out, result, "tensordot")


@_export("inner")
def inner(input, other):
    """The sum over the last dims of input and other (a product for a 0-d operand)."""
    _check_tensors("inner", ("input", input), ("other", other))
    if input.dim() == 0 or other.dim() == 0:
        return input * other
    if input.shape[-1] != other.shape[-1]:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but got shapes "
                           f"{list(input.shape)} and {list(other.shape)}")
    return tensordot(input, other, ([-1], [-1]))


@_export("vdot")
def vdot(input, other):
    """The dot product of two 1-D tensors."""
    _check_tensors("vdot", ("input", input), ("other", other))
    if input.dim() != 1 or other.dim() != 1:
        raise RuntimeError(f"1D tensors expected, but got {input.dim()}D and {other.dim()}D tensors")
    return input.dot(other)


@_export("rot90")
@grad_fn_named("Rot90Backward0")
def rot90(input, k=1, dims=(0, 1)):
    """input rotated by 90 degrees k times, from the first dim of dims toward the second."""
    dims = list(dims)
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if input.dim() < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {input.dim()}")
    d0, d1 = _wrap_dim(dims[0], input.dim()), _wrap_dim(dims[1], input.dim())
    if d0 == d1:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {d0} and dim1 = {d1}")
    k = _int_arg(k, lambda: f"rot90(): argument 'k' (position 2) must be int, not {type(k).__name__}") % 4
    if k == 1:
        return flip(input, dims=[d1]).transpose(d0, d1)
    if k == 2:
        return flip(input, dims=[d0, d1])
    if k == 3:
        return flip(input, dims=[d0]).transpose(d0, d1)
    return input.clone()


@_export("fliplr")
def fliplr(input):
    """input with its columns (dim 1) reversed."""
    if input.dim() < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(input, dims=[1])


@_export("flipud")
def flipud(input):
    """input with its rows (dim 0) reversed."""
    if input.dim() < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip(input, dims=[0])


def _split_along(input, indices_or_sections, d: int, name: str):
    if isinstance(indices_or_sections, int):
        size = input.shape[d]
        if indices_or_sections == 0 or size % indices_or_sections:
            raise RuntimeError(f"torch.{name} attempted to split along dimension {d}, but the size of the dimension "
                               f"{size} is not divisible by the split_size {indices_or_sections}!")
    return input.tensor_split(indices_or_sections, d)


@_export("hsplit")
def hsplit(input, indices_or_sections):
    """tensor_split along dim 1 (dim 0 of a 1-D tensor), into equal parts when given an int."""
    if input.dim() < 1:
        raise RuntimeError(f"torch.hsplit requires a tensor with at least 1 dimension, but got a tensor with "
                           f"{input.dim()} dimensions!")
    return _split_along(input, indices_or_sections, 0 if input.dim() == 1 else 1, "hsplit")


@_export("vsplit")
def vsplit(input, indices_or_sections):
    """tensor_split along dim 0, into equal parts when given an int."""
    if input.dim() < 2:
        raise RuntimeError(f"torch.vsplit requires a tensor with at least 2 dimension, but got a tensor with "
                           f"{input.dim()} dimensions!")
    return _split_along(input, indices_or_sections, 0, "vsplit")


@_export("dsplit")
def dsplit(input, indices_or_sections):
    """tensor_split along dim 2, into equal parts when given an int."""
    if input.dim() < 3:
        raise RuntimeError(f"torch.dsplit requires a tensor with at least 3 dimension, but got a tensor with "
                           f"{input.dim()} dimensions!")
    return _split_along(input, indices_or_sections, 2, "dsplit")


def _at_least_each(tensors, fn):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        return tuple(fn(t) for t in tensors[0])
    if len(tensors) == 1:
        return fn(tensors[0])
    return tuple(fn(t) for t in tensors)


@_export()
def atleast_1d(*tensors):
    """Each tensor viewed with at least 1 dim."""
    return _at_least_each(tensors, lambda t: t.reshape(1) if t.dim() == 0 else t)


@_export()
def atleast_2d(*tensors):
    """Each tensor viewed with at least 2 dims ((n,) becomes (1, n))."""
    return _at_least_each(tensors, lambda t: t.reshape([1] * (2 - t.dim()) + list(t.shape)) if t.dim() < 2 else t)


def _three_d(t):
    if t.dim() == 0:
        return t.reshape(1, 1, 1)
    if t.dim() == 1:
        return t.reshape(1, -1, 1)
    if t.dim() == 2:
        return t.unsqueeze(-1)
    return t


@_export()
def atleast_3d(*tensors):
    """Each tensor viewed with at least 3 dims ((n,) becomes (1, n, 1), (m, n) becomes (m, n, 1))."""
    return _at_least_each(tensors, _three_d)




@_export()
def dstack(tensors):
    """The tensors joined along dim 2, each first viewed with at least 3 dims."""
    return _C.cat([_three_d(t) for t in _tensor_list(tensors, "dstack")], 2)


@_export()
def row_stack(tensors):
    """Alias of vstack."""
    from ._functional import vstack

    return vstack(tensors)


@_export("diag_embed")
@grad_fn_named("DiagEmbedBackward0")
def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    """A tensor whose (dim1, dim2) planes have input's last dim on their offset-th diagonal."""
    n_out = input.dim() + 1
    d1, d2 = _wrap_dim(dim1, n_out), _wrap_dim(dim2, n_out)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    x = input.reshape(1) if input.dim() == 0 else input
    n = x.shape[-1]
    m = n + abs(offset)
    batch = list(x.shape[:-1])
    out = _zeros(batch + [m, m], input.dtype, input.device)
    i = _arange(n, input.device)
    out[..., i + builtins.max(-offset, 0), i + builtins.max(offset, 0)] = x
    return movedim(out, (-2, -1), (d1, d2))


@_export()
def diagflat(input, offset=0):
    """The square matrix with input's entries (flattened) on its offset-th diagonal."""
    return diag(input.reshape(-1), offset)


@_export()
@grad_fn_named("BlockDiagBackward0")
def block_diag(*tensors):
    """The tensors (0-, 1- or 2-D) as blocks along the diagonal of a zero matrix."""
    blocks = []
    for k, t in enumerate(tensors):
        if t.dim() > 2:
            raise RuntimeError(f"torch.block_diag: Input tensors must have 2 or fewer dimensions. Input {k} has "
                               f"{t.dim()} dimensions")
        blocks.append(t.reshape(1, -1) if t.dim() < 2 else t)
    if not blocks:
        return _zeros([1, 0], _default_float(), "cpu")
    dtype = blocks[0].dtype
    for t in blocks[1:]:
        dtype = _C.promote_types(dtype, t.dtype)
    rows = builtins.sum(t.shape[0] for t in blocks)
    cols = builtins.sum(t.shape[1] for t in blocks)
    out = _zeros([rows, cols], dtype, blocks[0].device)
    r = c = 0
    for t in blocks:
        if t.numel():
            out[r:r + t.shape[0], c:c + t.shape[1]] = t._to_dtype(dtype)
        r += t.shape[0]
        c += t.shape[1]
    return out


def _binary_search(sorted_sequence, values, right: bool, nan_last: bool = False):
    """For each of values (..., m), the number of entries of the sorted last dim of
    sorted_sequence (..., n) below it (at most it, when right): by halving [lo, hi)."""
    n = sorted_sequence.shape[-1]
    lo = _zeros(list(values.shape), _C.int64, values.device)
    hi = _C._full(list(values.shape), n, _C.int64, values.device, False)
    if n == 0:
        return lo
    one_d = sorted_sequence.dim() == 1
    for _ in builtins.range(n.bit_length() + 1):
        mid = (lo + hi) // 2
        safe = mid.clamp(max=n - 1)
        probe = sorted_sequence.index_select(0, safe.reshape(-1)).reshape(safe.shape) if one_d else \
            sorted_sequence.gather(-1, safe)
        if nan_last:  # NaNs sorted last: every number is below a NaN
            go_right = (probe < values) | (values.isnan() & probe.isnan().logical_not()) if probe.is_floating_point() \
                else probe < values
        else:  # not (probe > value) / not (probe >= value): torch's comparisons, also with NaNs
            go_right = (probe > values).logical_not() if right else (probe >= values).logical_not()
        active = lo < hi
        lo = _C.where(active & go_right, mid + 1, lo)
        hi = _C.where(active & go_right.logical_not(), mid, hi)
    return lo


@_export()
def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None, sorter=None):
    """Where each of input would be inserted in the sorted last dim of sorted_sequence to keep
    it sorted: the first such place (the last when right or side='right')."""
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but got {side}")
        if right and side == "left":
            raise RuntimeError("torch.searchsorted(): side and right can't be set to opposites, got side of left "
                               "while right was True")
        right = side == "right"
    if sorter is not None:
        sorted_sequence = sorted_sequence.gather(-1, sorter)
    scalar = not isinstance(input, Tensor)
    # a number is compared in the dtype it promotes to with the boundaries (1.5 among ints is not 1)
    values = _C._full([], input, _C.result_type(sorted_sequence, input), sorted_sequence.device, False) if scalar \
        else input
    if sorted_sequence.dim() > 1:
        if scalar or list(sorted_sequence.shape[:-1]) != list(values.shape[:-1]):
            raise RuntimeError(f"torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 "
                               f"dimensions of boundaries tensor and input value tensor must match, but we got "
                               f"boundaries tensor {list(sorted_sequence.shape)} and input value tensor "
                               f"{list(values.shape)}")
    dtype = _C.promote_types(sorted_sequence.dtype, values.dtype)
    out = _binary_search(sorted_sequence.detach()._to_dtype(dtype), values.detach()._to_dtype(dtype), right)
    return out._to_dtype(_C.int32) if out_int32 else out


@_export()
def bucketize(input, boundaries, *, out_int32=False, right=False):
    """The bucket of each entry of input among the sorted 1-D boundaries (searchsorted)."""
    if boundaries.dim() != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries.dim()})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


@_export()
def isin(elements, test_elements, *, assume_unique=False, invert=False):
    """True where an entry of elements equals one of test_elements (False where invert)."""
    device = _device_of(elements, test_elements)
    if not isinstance(elements, Tensor):
        elements = _C._full([], elements, test_elements.dtype, device, False)
    if not isinstance(test_elements, Tensor):
        test_elements = _C._full([], test_elements, elements.dtype, device, False)
    dtype = _C.promote_types(elements.dtype, test_elements.dtype)
    values = elements.detach()._to_dtype(dtype)
    pool = test_elements.detach().reshape(-1)._to_dtype(dtype).sort()[0]
    if pool.numel() == 0:
        found = _C._full(list(values.shape), False, _C.bool, device, False)
    else:
        at = _binary_search(pool, values, False, nan_last=True).clamp(max=pool.numel() - 1)
        found = pool.index_select(0, at.reshape(-1)).reshape(values.shape) == values
    return found.logical_not() if invert else found


@_export()
def unravel_index(indices, shape):
    """The coordinates (one tensor per dim) of flat indices into a tensor of shape."""
    if not isinstance(indices, Tensor):
        from ._creation import tensor

        indices = tensor(indices)
    if indices.is_floating_point() or indices.dtype == _C.bool:
        raise TypeError(f"expected 'indices' to be integer dtype, but got {indices.dtype}")
    shape = [int(shape)] if isinstance(shape, int) else [int(s) for s in shape]
    if builtins.any(s < 0 for s in shape):
        raise ValueError("'shape' cannot have negative values, but got " + str(tuple(shape)))
    flat = indices._to_dtype(_C.int64)  # floor division and modulo: out-of-range indices wrap, as torch
    coords = []
    for stride, size in zip(_contiguous_strides(shape), shape):
        coords.append((flat // stride) % size if size else flat * 0)
    return tuple(coords)


@_export()
def vander(x, N=None, increasing=False):
    """The Vandermonde matrix of 1-D x: columns x**(N-1), ..., x**0 (reversed when increasing)."""
    if x.dim() != 1:
        raise RuntimeError("x must be a one-dimensional tensor.")
    n = x.shape[0] if N is None else N
    if n < 0:
        raise RuntimeError("N must be non-negative.")
    dtype = x.dtype if x.is_floating_point() else _C.int64
    if n == 0:
        return _zeros([x.shape[0], 0], dtype, x.device)
    ones = _C._full([x.shape[0], 1], 1, dtype, x.device, False)
    if n == 1:
        out = ones
    else:
        out = _C.cat([ones, x._to_dtype(dtype).unsqueeze(1).expand([x.shape[0], n - 1])], 1).cumprod(1)
    return out if increasing else flip(out, dims=[1])


@_export()
def trapezoid(y, x=None, *, dx=None, dim=-1):
    """The integral of y along dim by the trapezoidal rule, at points x (spacing dx, default 1)."""
    if x is not None and not isinstance(x, Tensor):
        dx, x = x, None
    d = _wrap_dim(dim, y.dim())
    n = y.shape[d] if y.dim() else 1
    if n == 0:
        return y.sum(d) * 0 if y.dim() else y * 0
    pairs = y.narrow(d, 1, n - 1) + y.narrow(d, 0, n - 1)
    if x is None:
        step = 1 if dx is None else dx
        return pairs.sum(d) * (step / 2) if step != 1 else pairs.sum(d) / 2
    if x.dim() == 1:
        if x.shape[0] != n:
            raise RuntimeError(f"trapezoid: There must be one `x` value for each sample point")
        view = [1] * y.dim()
        view[d] = -1
        dxs = diff(x).reshape(view)
    else:
        dxs = diff(x, dim=d)
    return (dxs * pairs).sum(d) / 2


@_export()
def trapz(y, x=None, *, dx=None, dim=-1):
    """Alias of trapezoid."""
    return trapezoid(y, x, dx=dx, dim=dim)


@_export()
@grad_fn_named("CdistBackward0")
def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    """The p-norm distances between the rows of x1 (..., P, M) and of x2 (..., R, M): (..., P, R)."""
    _check_tensors("cdist", ("x1", x1), ("x2", x2))
    if x1.dim() < 2 or x2.dim() < 2:
        raise RuntimeError(f"cdist only supports at least 2D tensors, X{1 if x1.dim() < 2 else 2} got: "
                           f"{(x1 if x1.dim() < 2 else x2).dim()}D")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: {x1.shape[-1]} X2: {x2.shape[-1]}")
    if not x1.is_floating_point() or not x2.is_floating_point():
        raise RuntimeError(f"cdist only supports floating-point dtypes, X1 got: {_dtype_display(x1.dtype)}")
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    delta = x1.unsqueeze(-2) - x2.unsqueeze(-3)  # (..., P, R, M)
    ad = _C.where(delta < 0, -delta, delta)  # |delta| with gradient +-1 at 0 (masked below)
    zero = ad == 0
    if p == 0:  # a count; its gradient is zero (torch's output still requires grad)
        never = _C._full([], False, _C.bool, delta.device, False)
        return (delta != 0).sum(-1)._to_dtype(delta.dtype) + _C.where(never, delta, _scalar_on(0, delta)).sum(-1)
    if math.isinf(p):
        return ad.amax(-1) if delta.shape[-1] else ad.sum(-1)
    if p == 1:
        return ad.sum(-1)
    if p == 2:
        total = (delta * delta).sum(-1)
    else:
        powered = _C.where(zero, _scalar_on(1, ad), ad) ** p
        total = _C.where(zero, _scalar_on(0, ad), powered).sum(-1)
    at_zero = total == 0  # the distance's gradient there is 0, as torch's
    root = _C.where(at_zero, _scalar_on(1, total), total)
    root = root.sqrt() if p == 2 else root ** (1 / p)
    return _C.where(at_zero, _scalar_on(0, root), root)


@_export()
def range(start, end, step=1, *, dtype=None, device=None, requires_grad=False):  # noqa: A001
    """Deprecated: start, start + step, ... up to and including end, in the default float dtype."""
    from ._creation import _check_bool_argument
    _check_bool_argument("range", "requires_grad", requires_grad)
    warnings.warn("torch.range is deprecated and will be removed in a future release because its behavior is "
                  "inconsistent with Python's range builtin. Instead, use torch.arange, which produces values in "
                  "[start, end).", UserWarning, stacklevel=2)
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (step > 0 and end < start) or (step < 0 and end > start):
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    count = int(math.floor((end - start) / step)) + 1
    dtype = dtype if dtype is not None else _default_float()
    positions = _C._arange(0, count, 1, _C.float64, device if device is not None else "cpu", False)
    out = (positions * float(step) + float(start))._to_dtype(dtype)
    if requires_grad:
        out.requires_grad_(True)
    return out


# --- einsum -------------------------------------------------------------------------------------


def _parse_operand(term: str, t, ellipsis_letters: str, k: int):
    """The operand's subscripts with '...' spelled out as letters of its broadcast dims."""
    if "..." in term:
        before, after = term.split("...")
        n_ell = t.dim() - len(before) - len(after)
        if n_ell < 0:
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({len(before) + len(after)}) is "
                               f"more than the number of dimensions ({t.dim()}) for operand {k}")
        return before + ellipsis_letters[len(ellipsis_letters) - n_ell:] + after
    if len(term) != t.dim():
        raise RuntimeError(f"einsum(): the number of subscripts in the equation ({len(term)}) does not match the "
                           f"number of dimensions ({t.dim()}) for operand {k} and no ellipsis was given")
    return term


def _take_diagonals(t, letters: str):
    """t with repeated letters reduced to their diagonal (one dim per distinct letter)."""
    while True:
        repeated = next((c for c in letters if letters.count(c) > 1), None)
        if repeated is None:
            return t, letters
        i = letters.index(repeated)
        j = letters.index(repeated, i + 1)
        if t.shape[i] != t.shape[j]:
            raise RuntimeError(f"einsum(): subscript {repeated} is repeated for operand but the sizes don't match, "
                               f"{t.shape[i]} != {t.shape[j]}")
        t = t.diagonal(0, i, j)  # the diagonal goes last
        letters = letters[:i] + letters[i + 1:j] + letters[j + 1:] + repeated


def _sum_letters(t, letters: str, drop: str):
    dims = [k for k, c in enumerate(letters) if c in drop]
    if dims:
        t = t.sum(dims)
        letters = "".join(c for c in letters if c not in drop)
    return t, letters


def _contract_pair(a, la: str, b, lb: str, keep: set):
    """a (subscripts la) times b (lb), summed over the shared letters not in keep, by bmm."""
    shared = [c for c in la if c in lb]
    batch = [c for c in shared if c in keep]
    summed = [c for c in shared if c not in keep]
    left = [c for c in la if c not in lb]
    right = [c for c in lb if c not in la]
    size = {}
    for c in batch + summed:
        sa, sb = a.shape[la.index(c)], b.shape[lb.index(c)]
        if sa != sb and sa != 1 and sb != 1:
            raise RuntimeError(f"einsum(): operands do not broadcast with remapped shapes (original->remapped): "
                               f"{list(a.shape)} and {list(b.shape)}")
        size[c] = builtins.max(sa, sb)
    a = a.permute([la.index(c) for c in batch + left + summed])
    b = b.permute([lb.index(c) for c in batch + summed + right])
    left_sizes = list(a.shape[len(batch):len(batch) + len(left)])
    right_sizes = list(b.shape[len(batch) + len(summed):])
    a = a.expand([size[c] for c in batch] + left_sizes + [size[c] for c in summed])
    b = b.expand([size[c] for c in batch + summed] + right_sizes)
    nb = math.prod(size[c] for c in batch)
    nl, ns, nr = math.prod(left_sizes), math.prod(size[c] for c in summed), math.prod(right_sizes)
    out_shape = [size[c] for c in batch] + left_sizes + right_sizes
    product = a.reshape(nb, nl, ns).bmm(b.reshape(nb, ns, nr)).reshape(out_shape)
    return product, "".join(batch + left + right)


@_export()
def einsum(equation, *operands):
    """Sums of products of the operands' entries over the subscripts the equation names
    ('ij,jk->ik'; '...' for broadcast dims; a letter repeated in one operand takes a
    diagonal; without '->' the output is the letters seen once, in alphabetical order)."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    equation = equation.replace(" ", "")
    lhs, arrow, rhs = equation.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(operands):
        raise RuntimeError("einsum(): more operands were provided than specified in the equation" if
                         len(operands) > len(terms) else
                         "einsum(): fewer operands were provided than specified in the equation")
    for term in terms + ([rhs] if arrow else []):
        for c in term.replace("...", ""):
            if not c.isalpha():
                raise RuntimeError(f"einsum(): invalid subscript given at index {equation.index(c)} in the equation "
                                 f"string, subscripts must be in [a-zA-Z]")
    used = set(lhs.replace("...", "").replace(",", "")) | set(rhs.replace("...", ""))
    spare = [c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" if c not in used]
    n_ell = builtins.max((t.dim() - len(term.replace("...", "")) for term, t in zip(terms, operands)
                          if "..." in term), default=0)
    ellipsis_letters = "".join(spare[:n_ell])
    letters = [_parse_operand(term, t, ellipsis_letters, k) for k, (term, t) in enumerate(zip(terms, operands))]
    seen = {}
    for k, (t, la) in enumerate(zip(operands, letters)):
        for c, size in zip(la, t.shape):
            if c in seen and size != seen[c] and 1 not in (size, seen[c]):
                raise RuntimeError(f"einsum(): subscript {c} has size {size} for operand {k} which does not "
                                   f"broadcast with previously seen size {seen[c]}")
            if c not in seen or seen[c] == 1:
                seen[c] = size
    if arrow:
        out = rhs.replace("...", ellipsis_letters)
        for c in out:
            if out.count(c) > 1:
                raise RuntimeError(f"einsum(): output subscript {c} appears more than once in the output")
            if not builtins.any(c in la for la in letters):
                raise RuntimeError(f"einsum(): output subscript {c} does not appear in the equation for any input "
                                 f"operand")
    else:
        counts = {}
        for la in letters:
            for c in la:
                counts[c] = counts.get(c, 0) + 1
        named = sorted(c for c in counts if counts[c] == 1 and c not in ellipsis_letters)
        out = ellipsis_letters + "".join(named)
    dtype = operands[0].dtype
    for t in operands[1:]:
        dtype = _C.promote_types(dtype, t.dtype)
    tensors = []
    for t, la in zip(operands, letters):
        t = t._to_dtype(dtype) if t.dtype != dtype else t
        t, la = _take_diagonals(t, la)
        tensors.append([t, la])
    # Sum early the letters that appear in one operand only and not in the output.
    for k, (t, la) in enumerate(tensors):
        elsewhere = set(out).union(*[set(other) for j, (_, other) in enumerate(tensors) if j != k])
        tensors[k] = list(_sum_letters(t, la, "".join(c for c in la if c not in elsewhere)))
    t, la = tensors[0]
    for k in builtins.range(1, len(tensors)):
        b, lb = tensors[k]
        keep = set(out).union(*[set(other) for _, other in tensors[k + 1:]])
        t, la = _contract_pair(t, la, b, lb, keep)
    t, la = _sum_letters(t, la, "".join(c for c in la if c not in out))
    # size-1 ellipsis dims of a single operand stay as they are
    return t.permute([la.index(c) for c in out]) if la != out else (t.clone() if t is operands[0] else t)


_install_inplace()
_install_index_inplace()
