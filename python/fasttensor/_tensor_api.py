"""More of PyTorch's Tensor methods and top-level functions, composed of existing ops (so autograd
and every device work unchanged). Each function is exported at the top level (``__all__``) and,
where PyTorch has one, as a Tensor method (``install``); the methods PyTorch has only on Tensor
(fill_diagonal_, sum_to_size, tril_, ...) go to ``_METHODS`` alone.

Sections: advanced-index writes (index_put, masked_scatter, fill_diagonal_), in-place forms of
views and triangles, predicates and the conjugate family (identities: fasttensor has no complex
dtypes), shape helpers (split_with_sizes, sum_to_size), elementwise extras (fix, sinc_, addr,
hardshrink, rsub), small top-level forms (select, detach, scalar_tensor, can_cast, ...), the
module-level in-place functions (torch.sin_(x) is x.sin_()), and the top-level forms of
nn.functional ops (torch.selu, torch.dropout, ...), which load nn on first call.

index_put(accumulate=True) adds with the core's one accumulating kernel (gather's backward, through
_more._accumulate), the entries of input first and then the values in order, as PyTorch's CPU loop.
"""

from __future__ import annotations

import builtins

from . import _C
from ._creation import _size, _to_dtype
from ._exports import Exports
from ._functional import _broadcast_pair, _dtype_display, _not_a_tensor, _scalar_on, _type_name, tril, triu
from ._grad_names import grad_fn_named
from ._more import (_accumulate, _arange, _beta_alpha, _commit, _grad_involved, _inplace,
                    _refuse_overlap, _zero_grad_to, sinc)

Tensor = _C.Tensor

_exports = Exports()
__all__, _METHODS, _export, install = _exports.names, _exports.methods, _exports.export, _exports.install

_INDEX_DTYPES = (_C.int64, _C.int32, _C.uint8, _C.bool)


def _check_tensor(name: str, value, param: str = "input", position: int = 1) -> None:
    if not isinstance(value, Tensor):
        raise _not_a_tensor(name, value, param, position)


# --- index_put, masked_scatter, fill_diagonal_ ----------------------------------------------------


def _index_put_positions(name, input, indices, values):
    """PyTorch's checks of index_put's arguments (positions counted as in the function form; the method
    form says one less), then the flat offsets (into input's elements in row-major order) that
    input[indices] reads, in the indexing result's shape."""
    if not isinstance(indices, (tuple, list)):
        raise TypeError(f"{name}(): argument 'indices' (position 2) must be tuple of Tensors, not "
                        f"{_type_name(indices)}")
    for i, index in enumerate(indices):
        if not isinstance(index, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got {type(index).__name__}")
    if not isinstance(values, Tensor):
        raise _not_a_tensor(name, values, "values", 3)
    if values.dtype != input.dtype:
        raise RuntimeError(f"Index put requires the source and destination dtypes match, got "
                           f"{_dtype_display(input.dtype)} for the destination and {_dtype_display(values.dtype)} "
                           f"for the source.")
    if builtins.any(index.dtype not in _INDEX_DTYPES for index in indices):
        raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    if len(indices) > input.dim():
        raise IndexError(f"too many indices for tensor of dimension {input.dim()} (got {len(indices)})")
    # indexing a map of flat offsets gives the bounds, mask and broadcast checks of indexing itself
    positions = _arange(input.numel(), input.device).reshape(input.shape)[tuple(indices)]
    shape = list(positions.shape)
    value_shape = list(values.shape)
    if len(value_shape) > len(shape) or builtins.any(
            v != 1 and v != s for v, s in zip(reversed(value_shape), reversed(shape))):
        raise RuntimeError(f"shape mismatch: value tensor of shape {value_shape} cannot be broadcast to indexing "
                           f"result of shape {shape}")
    return positions


def _index_put_accumulated(input, positions, values):
    """input with values (broadcast to positions' shape) added at the flat positions; repeats add up."""
    n = input.numel()
    if positions.numel() == 0:  # nothing is added: values get a zero gradient
        return _zero_grad_to(input.clone(), values.sum())
    added = values.expand(list(positions.shape)).reshape(-1)
    total = _accumulate(n, _C.cat([_arange(n, input.device), positions.reshape(-1)], 0),
                        _C.cat([input.reshape(-1), added], 0))
    return total.reshape(input.shape)


@_export("index_put")
@grad_fn_named("IndexPutBackward0")
def index_put(input, indices, values, accumulate=False):
    """input with input[indices] = values (indices: a tuple of long, int or bool tensors, as advanced
    indexing reads them; values broadcast to the indexed shape); accumulate adds instead, repeated
    positions adding up."""
    _check_tensor("index_put", input)
    positions = _index_put_positions("index_put", input, indices, values)
    if accumulate:
        return _index_put_accumulated(input, positions, values)
    out = input.clone()
    out[tuple(indices)] = values
    return out


@_export("index_put_")
@grad_fn_named("IndexPutBackward0")
def index_put_(input, indices, values, accumulate=False):
    """In-place index_put; returns input."""
    _check_tensor("index_put_", input)
    positions = _index_put_positions("index_put_", input, indices, values)
    _refuse_overlap(input, (values,))
    if not accumulate:
        input[tuple(indices)] = values
        return input
    source = input.clone() if _grad_involved(input, values) else input
    return _commit(input, _index_put_accumulated(source, positions, values))


def _check_bool_mask(mask, name: str) -> None:
    if mask.dtype != _C.bool:
        raise RuntimeError(f"{name} only supports boolean masks, but got mask with dtype {_dtype_display(mask.dtype)}")


def _check_same_dtype_source(input, source, name: str = "masked_scatter", position: int = 3) -> None:
    _check_tensor(name, source, "source", position)
    if source.dtype != input.dtype:
        # (PyTorch's message has no space after "got")
        raise RuntimeError(f"masked_scatter: expected self and source to have same dtypes but got"
                           f"{_dtype_display(input.dtype)} and {_dtype_display(source.dtype)}")


def _masked_scatter(input, mask, source):
    """input (mask's shape) with its entries where mask is True replaced by source's first elements in
    order: a gather of source at the running count of True entries, picked by where."""
    flat_mask = mask.reshape(-1)
    count = int(flat_mask.sum()) if flat_mask.numel() else 0
    if count > source.numel():
        raise RuntimeError("Number of elements of source < number of ones in mask")
    flat_input = input.reshape(-1)
    if source.numel() == 0:  # nothing is taken from source (count is 0): it gets a zero gradient
        out = _C.where(flat_mask, _scalar_on(0, flat_input), flat_input).reshape(input.shape)
        return _zero_grad_to(out, source.sum())
    taken = (flat_mask._to_dtype(_C.int64).cumsum(0) - 1).clamp(min=0)  # source index at each True entry
    picked = source.reshape(-1).index_select(0, taken)
    return _C.where(flat_mask, picked, flat_input).reshape(input.shape)


@_export("masked_scatter")
@grad_fn_named("MaskedScatterBackward0")
def masked_scatter(input, mask, source):
    """input and the bool mask broadcast together, with source's elements (in order) written where
    mask is True."""
    _check_tensor("masked_scatter", input)
    _check_tensor("masked_scatter", mask, "mask", 2)
    shape = _broadcast_pair(mask.shape, input.shape)
    _check_same_dtype_source(input, source)
    _check_bool_mask(mask, "masked_scatter_")
    return _masked_scatter(input.expand(shape), mask.expand(shape), source)


@grad_fn_named("MaskedScatterBackward0")
def _masked_scatter_(self, mask, source):
    """In-place masked_scatter: mask broadcast to self's shape."""
    _check_tensor("masked_scatter_", mask, "mask", 1)
    _check_same_dtype_source(self, source, "masked_scatter_", 2)
    _check_bool_mask(mask, "masked_scatter_")
    mask = mask.expand(list(self.shape))
    _refuse_overlap(self, (source,))
    base = self.clone() if _grad_involved(self, source) else self
    return _commit(self, _masked_scatter(base, mask, source))


def _diagonal_mask(shape, wrap: bool, device):
    """True on the main diagonal (all indices equal); for a tall 2-D shape with wrap, also every
    (cols + 1)-th element after it in row-major order, as PyTorch's strided fill."""
    if wrap and len(shape) == 2 and shape[0] > shape[1] + 1:
        flat = _arange(shape[0] * shape[1], device).reshape(shape)
        return flat.remainder(shape[1] + 1) == 0
    mask = None
    first = _arange(shape[0], device).reshape([-1] + [1] * (len(shape) - 1))
    for d in builtins.range(1, len(shape)):
        index = _arange(shape[d], device).reshape([1] * d + [-1] + [1] * (len(shape) - 1 - d))
        equal = first == index
        mask = equal if mask is None else mask & equal
    return mask


@grad_fn_named("CopySlices")
def fill_diagonal_(self, fill_value, wrap=False):
    """Fills the main diagonal of a 2-D tensor, or of an n-D one with all dims equal; with wrap, a tall
    matrix's diagonal starts again after every cols + 1 rows (row-major order, as PyTorch's for a
    contiguous tensor)."""
    if not isinstance(wrap, bool):
        raise TypeError(f"fill_diagonal_(): argument 'wrap' (position 2) must be bool, not {type(wrap).__name__}")
    if self.dim() < 2:
        raise RuntimeError("dimensions must larger than 1")
    if self.dim() > 2 and builtins.any(s != self.shape[0] for s in self.shape):
        raise RuntimeError("all dimensions of input must be of equal length")
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()  # a Scalar in PyTorch: no gradient reaches it
    if self.is_leaf and self.requires_grad and _C.is_grad_enabled():  # PyTorch fills a strided view of self
        raise RuntimeError("a view of a leaf Variable that requires grad is being used in an in-place operation.")
    return self.masked_fill_(_diagonal_mask(list(self.shape), wrap, self.device), fill_value)


# --- in-place triangles and transposes -------------------------------------------------------------


def _check_diagonal(name: str, diagonal) -> None:
    if isinstance(diagonal, bool) or not isinstance(diagonal, int):
        raise TypeError(f"{name}(): argument 'diagonal' (position 1) must be int, not {type(diagonal).__name__}")


def _band_(name: str, op, node: str):
    @grad_fn_named(node)
    def method(self, diagonal=0):
        _check_diagonal(name, diagonal)
        base = self.clone() if _grad_involved(self) else self
        return _commit(self, op(base, diagonal))
    method.__name__ = method.__qualname__ = name
    method.__doc__ = f"In-place {name[:-1]}: self with the entries {'above' if name == 'tril_' else 'below'} the " \
                     f"diagonal-th diagonal of its last two dims zeroed."
    return method


@grad_fn_named("TransposeBackward1")
def _swapdims_(self, dim0, dim1):
    """In-place swapdims: self's two dims exchanged (transpose_)."""
    return self.transpose_(dim0, dim1)


# --- predicates and the conjugate family -----------------------------------------------------------


@_export("is_nonzero")
def is_nonzero(input):
    """Whether the one element of input is nonzero (NaN counts as nonzero)."""
    _check_tensor("is_nonzero", input)
    n = input.numel()
    if n == 0:
        raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
    if n > 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    return input.item() != 0


@_export("is_same_size")
def is_same_size(input, other):
    """Whether the two tensors have the same shape."""
    _check_tensor("is_same_size", input)
    if not isinstance(other, Tensor):
        # (PyTorch counts the method's argument: position 1 there, 2 for the function)
        raise _not_a_tensor("is_same_size", other, "other", 2)
    return input.shape == other.shape


def _is_same_size_method(self, other):
    if not isinstance(other, Tensor):
        raise _not_a_tensor("is_same_size", other, "other", 1)
    return self.shape == other.shape


@_export("is_signed")
def is_signed(input):
    """Whether input's dtype holds negative numbers (all but uint8 and bool)."""
    _check_tensor("is_signed", input)
    return input.dtype not in (_C.uint8, _C.bool)


def _answer(name: str, doc: str, answer):
    """A one-argument function of a tensor whose result does not depend on fasttensor's real dtypes'
    values: answer(input)."""
    def function(input):
        _check_tensor(name, input)
        return answer(input)
    function.__name__ = function.__qualname__ = name
    function.__doc__ = doc
    return _export(name)(function)


def _false(_input):
    return False


def _itself(input):
    return input


is_complex = _answer("is_complex", "False: fasttensor has no complex dtypes.", _false)
is_conj = _answer("is_conj", "False: no tensor here carries a lazy conjugation (no complex dtypes).", _false)
is_neg = _answer("is_neg", "False: no tensor here carries a lazy negation (no complex dtypes).", _false)
is_inference = _answer("is_inference", "False: fasttensor makes no inference tensors (inference_mode is no_grad "
                                       "here).", _false)
conj = _answer("conj", "input itself: the conjugate of a real tensor (PyTorch returns self too).", _itself)
conj_physical = _answer("conj_physical", "input itself: the conjugate of a real tensor (as PyTorch's, self).",
                        _itself)
resolve_conj = _answer("resolve_conj", "input itself (no lazy conjugation to resolve).", _itself)
resolve_neg = _answer("resolve_neg", "input itself (no lazy negation to resolve).", _itself)


@_export("conj_physical_")
@grad_fn_named("ConjPhysicalBackward1")
def conj_physical_(input):
    """In place, the conjugate of a real tensor: its values stay; the version counter moves and autograd
    records the step, as PyTorch's."""
    _check_tensor("conj_physical_", input)
    return input.copy_(input)


# --- split_with_sizes, sum_to_size ----------------------------------------------------------------


@_export("split_with_sizes")
def split_with_sizes(input, split_sizes, dim=0):
    """input split along dim into pieces of the given (non-negative) sizes, which must add up to its size."""
    _check_tensor("split_with_sizes", input)
    if not isinstance(split_sizes, (list, tuple)) or builtins.any(
            isinstance(s, bool) or not hasattr(s, "__index__") for s in split_sizes):
        raise TypeError(f"split_with_sizes(): argument 'split_sizes' (position 1) must be tuple of ints, not "
                        f"{type(split_sizes).__name__}")
    sizes = [int(s) for s in split_sizes]
    if builtins.any(s < 0 for s in sizes):
        raise RuntimeError(f"split_with_sizes expects split_sizes have only non-negative entries, but got "
                           f"split_sizes={sizes}")
    return input.split(sizes, dim)


def _is_expandable_to(shape, target) -> bool:
    if len(shape) > len(target):
        return False
    return builtins.all(s == t or s == 1 for s, t in zip(reversed(shape), reversed(target)))


def sum_to_size(self, *size):
    """self summed down to `size` (which must expand to self's shape): the leading dims summed away and
    the dims of size 1 in `size` summed with keepdim; self itself when nothing is summed."""
    if not size:
        raise TypeError('sum_to_size() missing 1 required positional arguments: "size"')
    shape = _size(size, "sum_to_size")
    target = list(self.shape)
    if not _is_expandable_to(shape, target):
        raise RuntimeError(f"size {{{shape}}} is not expandable to size {{{target}}}.")
    if not shape:
        return self.sum()
    leading = len(target) - len(shape)
    dims = list(builtins.range(leading)) + [leading + k for k, s in enumerate(shape)
                                            if s == 1 and target[leading + k] != 1]
    out = self.sum(tuple(dims), True) if dims else self
    return out.view(shape) if leading > 0 else out


# --- fix, sinc_, addr, hardshrink, rsub ----------------------------------------------------------------


@_export("fix")
def fix(input, *, out=None):
    """trunc(input): rounds toward zero."""
    _check_tensor("fix", input)
    return _C.trunc(input) if out is None else _C.trunc(input, out=out)


@_export("fix_")
@grad_fn_named("TruncBackward0")
def fix_(input):
    """In-place fix (trunc_)."""
    _check_tensor("fix_", input)
    return input.trunc_()


_sinc_in_place = _inplace(sinc)


@_export("sinc_")
@grad_fn_named("SincBackward0")
def sinc_(input):
    """In-place sinc (of a floating tensor: sinc's result is floating)."""
    _check_tensor("sinc_", input)
    return _sinc_in_place(input)


def _check_addr_scalar(dtype, value, name: str) -> None:
    if isinstance(value, bool) and dtype != _C.bool:
        raise RuntimeError(f"Boolean {name} only supported for Boolean results.")
    if not dtype.is_floating_point and isinstance(value, float):
        raise RuntimeError(f"For integral input tensors, argument {name} must not be a floating point number.")


def _addr(input, vec1, vec2, beta, alpha):
    for name, v in (("vec1", vec1), ("vec2", vec2)):
        if v.dim() != 1:
            raise RuntimeError(f"addr: Expected 1-D argument {name}, but got {v.dim()}-D")
    dtype = _C.promote_types(_C.promote_types(input.dtype, vec1.dtype), vec2.dtype)
    _check_addr_scalar(dtype, beta, "beta")
    _check_addr_scalar(dtype, alpha, "alpha")
    shape = [vec1.shape[0], vec2.shape[0]]
    input.expand(shape)  # (PyTorch's error when input does not expand to the result)
    input, vec1, vec2 = (t if t.dtype == dtype else t._to_dtype(dtype) for t in (input, vec1, vec2))
    if dtype == _C.bool:  # (beta and input) or (alpha and vec1 and vec2), input ignored when beta is False
        product = vec1.unsqueeze(1).logical_and(vec2.unsqueeze(0))
        if not alpha:
            product = product.logical_and(_scalar_on(False, product))
        return (input.logical_or(product) if beta else product).expand(shape).clone()
    # (alpha * vec1) * vec2, the products PyTorch's kernel forms, then beta * input added
    scaled = vec1 if not isinstance(alpha, Tensor) and alpha == 1 else vec1 * alpha
    return _beta_alpha(input, scaled.unsqueeze(1) * vec2.unsqueeze(0), beta, 1)


@_export("addr")
@grad_fn_named("AddrBackward0")
def addr(input, vec1, vec2, *, beta=1, alpha=1):
    """beta * input + alpha * outer(vec1, vec2) (input ignored, NaNs too, when beta is 0)."""
    _check_tensor("addr", input)
    _check_tensor("addr", vec1, "vec1", 2)
    _check_tensor("addr", vec2, "vec2", 3)
    return _addr(input, vec1, vec2, beta, alpha)


@grad_fn_named("AddrBackward0")
def _addr_(self, vec1, vec2, *, beta=1, alpha=1):
    """In-place addr: self must be the (len(vec1), len(vec2)) matrix."""
    _check_tensor("addr_", vec1, "vec1", 1)
    _check_tensor("addr_", vec2, "vec2", 2)
    if self.dim() != 2:
        raise RuntimeError(f"2D tensor expected, got {self.dim()}D tensor for input")
    if vec1.dim() == 1 and vec2.dim() == 1 and list(self.shape) != [vec1.shape[0], vec2.shape[0]]:
        raise RuntimeError(f"size mismatch, input: {list(self.shape)}, v1: {list(vec1.shape)}, v2: "
                           f"{list(vec2.shape)}")
    base = self.clone() if _grad_involved(self, vec1, vec2) else self
    return _commit(self, _addr(base, vec1, vec2, beta, alpha))


@_export("ger")
def ger(input, vec2):
    """outer(input, vec2) (PyTorch's older name)."""
    _check_tensor("ger", input)
    return input.ger(vec2)


@_export("hardshrink")
@grad_fn_named("HardshrinkBackward0")
def hardshrink(input, lambd=0.5):
    """0 where -lambd <= x <= lambd, else x (NaN stays NaN)."""
    _check_tensor("hardshrink", input)
    if not input.is_floating_point():
        device = "cuda" if input.is_cuda else "cpu"
        raise NotImplementedError(f"\"hardshrink_{device}\" not implemented for '{_dtype_display(input.dtype)}'")
    if isinstance(lambd, Tensor):  # a Scalar, as PyTorch reads it (-lambd of a uint8 tensor would wrap)
        lambd = lambd.item()
    inside = (input >= -lambd) & (input <= lambd)
    return _C.where(inside, _scalar_on(0, input), input)


@_export("rsub")
def rsub(input, other, *, alpha=1):
    """other - alpha * input."""
    if not isinstance(input, Tensor):
        raise TypeError(f"rsub() received an invalid combination of arguments - got ({type(input).__name__}, "
                        f"{type(other).__name__}), but expected one of:\n * (Tensor input, Tensor other, *, Number "
                        f"alpha = 1)\n * (Tensor input, Number other, Number alpha = 1)\n")
    return (_sub_of_tensor if isinstance(other, Tensor) else _sub_of_number)(other, input, alpha=alpha)


_sub_of_tensor = grad_fn_named("RsubBackward0")(_C.sub)
_sub_of_number = grad_fn_named("RsubBackward1")(_C.sub)


# --- small top-level forms ---------------------------------------------------------------------------


@_export()
def select(input, dim, index):
    """input[..., index, ...] along dim: a view without that dim."""
    _check_tensor("select", input)
    if input.dim() == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    size = input.size(dim)  # (IndexError for a dim out of range)
    if not -size <= index < size:
        raise IndexError(f"select(): index {index} out of range for tensor of size {list(input.shape)} at "
                         f"dimension {dim if dim >= 0 else dim + input.dim()}")
    return input.select(dim, index)


@_export()
def detach(input):
    """A tensor sharing input's memory, out of autograd."""
    _check_tensor("detach", input)
    return input.detach()


@_export()
def masked_fill(input, mask, value):
    """input with value where the bool mask (broadcast) is True."""
    _check_tensor("masked_fill", input)
    return input.masked_fill(mask, value)


@_export()
def scalar_tensor(s, *, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=None):
    """A 0-d tensor holding s, in the default float dtype unless dtype says otherwise."""
    if isinstance(s, Tensor):
        s = s.item()
    if not isinstance(s, (int, float, bool)):
        raise TypeError(f"scalar_tensor(): argument 's' (position 1) must be Number, not {type(s).__name__}")
    dtype = _C.get_default_dtype() if dtype is None else _to_dtype(dtype)
    if requires_grad and not dtype.is_floating_point:
        raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
    return _C._full([], s, dtype, device, bool(requires_grad))


def _dtype_argument(value, position: int, name: str):
    if isinstance(value, _C.dtype) or value in (float, int, bool):
        return _to_dtype(value)
    raise TypeError(f"can_cast(): argument '{name}' (position {position}) must be fasttensor.dtype, not "
                    f"{type(value).__name__}")


_CATEGORY = {_C.bool: 0, _C.uint8: 1, _C.int32: 1, _C.int64: 1, _C.float32: 2, _C.float64: 2}


@_export()
def can_cast(from_, to):
    """Whether PyTorch's casting rules allow from_ to to in an in-place op: never floating to integral,
    nor anything but bool to bool."""
    source = _dtype_argument(from_, 1, "from_")
    target = _dtype_argument(to, 2, "to")
    return _CATEGORY[source] <= _CATEGORY[target]


# --- methods --------------------------------------------------------------------------------------------


def _install_methods() -> None:
    _METHODS["masked_scatter_"] = _masked_scatter_
    _METHODS["fill_diagonal_"] = fill_diagonal_
    _METHODS["tril_"] = _band_("tril_", tril, "TrilBackward0")
    _METHODS["triu_"] = _band_("triu_", triu, "TriuBackward0")
    _METHODS["swapaxes_"] = _swapdims_
    _METHODS["swapdims_"] = _swapdims_
    _METHODS["is_same_size"] = _is_same_size_method
    _METHODS["sum_to_size"] = sum_to_size
    _METHODS["addr_"] = _addr_


_install_methods()


# --- module-level in-place functions -----------------------------------------------------------------

# PyTorch's torch.<name>(input, ...) for these is input.<name>(...).
_INPLACE_FUNCTIONS = (
    "abs_", "acos_", "acosh_", "addmv_", "arccos_", "arccosh_", "arcsin_", "arcsinh_", "arctan_", "arctanh_",
    "asin_", "asinh_", "atan_", "atanh_", "ceil_", "clamp_", "clip_", "cos_", "cosh_", "deg2rad_", "detach_",
    "erf_", "erfc_", "exp2_", "exp_", "expm1_", "fill_", "floor_", "frac_", "log10_", "log1p_", "log2_", "log_",
    "logit_", "neg_", "negative_", "rad2deg_", "reciprocal_", "resize_as_", "round_", "rsqrt_", "sigmoid_", "sin_",
    "sinh_", "sqrt_", "square_", "tan_", "tanh_", "trunc_", "xlogy_", "zero_",
)


def _method_as_function(name: str):
    def function(input, *args, **kwargs):
        if not isinstance(input, Tensor):
            raise _not_a_tensor(name, input)
        return getattr(input, name)(*args, **kwargs)
    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"input.{name}(...): in place, returns input."
    return function


for _name in _INPLACE_FUNCTIONS:
    globals()[_name] = _export()(_method_as_function(_name))
del _name


# --- top-level forms of nn.functional ops ------------------------------------------------------------------

_nn_functional = []


def _F():
    """fasttensor.nn.functional, imported on first use (nn loads lazily)."""
    if not _nn_functional:
        from .nn import functional

        _nn_functional.append(functional)
    return _nn_functional[0]


def _check_p(p) -> None:
    if p < 0 or p > 1:
        raise RuntimeError(f"dropout probability has to be between 0 and 1, but got {p}")


def _dropout_function(name: str, variant: str, inplace: bool):
    """torch.dropout / alpha_dropout / feature_dropout / feature_alpha_dropout (and their _ forms):
    (input, p, train), all required, p checked with PyTorch's RuntimeError."""
    def function(input, p, train):
        _check_tensor(name, input)
        _check_p(p)
        F = _F()
        if variant == "dropout":
            return F.dropout(input, p, train, inplace)
        return F._noise_dropout(input, p, train, feature=variant.startswith("feature"),
                                alpha=variant.endswith("alpha_dropout"), inplace=inplace)
    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"nn.functional's {variant} with the training flag required{', in place' if inplace else ''}."
    return _export()(function)


for _variant in ("dropout", "alpha_dropout", "feature_dropout", "feature_alpha_dropout"):
    globals()[_variant] = _dropout_function(_variant, _variant, False)
    globals()[_variant + "_"] = _dropout_function(_variant + "_", _variant, True)
del _variant


@_export()
def selu(input):
    return _F().selu(input)


@_export()
def selu_(input):
    return _F().selu(input, inplace=True)


@_export()
def celu(input, alpha=1.0):
    return _F().celu(input, alpha)


@_export()
def celu_(input, alpha=1.0):
    return _F().celu(input, alpha, inplace=True)


@_export()
def threshold(input, threshold, value):
    return _F().threshold(input, threshold, value)


@_export()
def threshold_(input, threshold, value):
    return _F().threshold(input, threshold, value, inplace=True)


@_export()
def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, generator=None):
    return _F().rrelu(input, lower, upper, training)


@_export()
def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False, generator=None):
    return _F().rrelu(input, lower, upper, training, inplace=True)


@_export()
def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-05, cudnn_enable=True):
    return _F().layer_norm(input, normalized_shape, weight, bias, eps)


@_export()
def cosine_similarity(x1, x2, dim=1, eps=1e-08):
    return _F().cosine_similarity(x1, x2, dim, eps)


@_export()
def pairwise_distance(x1, x2, p=2.0, eps=1e-06, keepdim=False):
    return _F().pairwise_distance(x1, x2, p, eps, keepdim)


@_export()
def embedding_renorm_(input, indices, max_norm, norm_type):
    """The rows of input at indices rescaled in place to norm max_norm where theirs exceeds it; returns input."""
    _F()._embedding_renorm_(input, indices.reshape(-1), max_norm, norm_type)
    return input
