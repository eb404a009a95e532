"""Tensor methods that live in Python: printing, conversions to Python
objects, pickling, and the argument-rich forms (to, type, std, var, norm).
Nothing here loops over elements."""

from __future__ import annotations

import contextlib
import contextvars
import copy
import numbers
import warnings
import weakref

import numpy as np

from . import _C
from . import _tensor_str
from ._creation import (_check_bool_argument, _size, channels_last, channels_last_3d, contiguous_format,
                        preserve_format, tensor)
from ._exports import method_form
from ._functional import _not_a_tensor, _type_name
from ._legacy import legacy_new
from ._warn_once import warn_once

Tensor = _C.Tensor

_DTYPE_NAMES = {"torch.float32": "float32", "torch.float": "float32", "torch.float64": "float64",
                "torch.double": "float64", "torch.int64": "int64", "torch.long": "int64", "torch.int32": "int32",
                "torch.int": "int32", "torch.uint8": "uint8", "torch.bool": "bool",
                "torch.FloatTensor": "float32", "torch.DoubleTensor": "float64", "torch.LongTensor": "int64",
                "torch.IntTensor": "int32", "torch.ByteTensor": "uint8", "torch.BoolTensor": "bool"}


def _dtype_name(dt) -> str:
    return repr(dt).split(".")[-1]


def _host_array(t: Tensor) -> np.ndarray:
    return _C._to_numpy(t.detach().cpu())


def _repr(self: Tensor, *, tensor_contents=None) -> str:
    try:
        grad_fn = self.grad_fn
        grad_fn_name = grad_fn.name().removeprefix("torch::autograd::") if grad_fn is not None else None
    except RuntimeError:
        # A split view whose base changed in place has no history to show; PyTorch prints it so.
        grad_fn_name = "Invalid"
    return _tensor_str.format_tensor(
        _host_array(self),
        dtype=_dtype_name(self.dtype),
        default_dtype=_dtype_name(_C.get_default_dtype()),
        device=str(self.device),
        requires_grad=self.requires_grad and grad_fn_name is None,
        grad_fn=grad_fn_name,
    )


def __array__(self: Tensor, dtype=None):  # (named so: NumPy reads the name in the TypeError it gets)
    """np.asarray(t): the tensor's memory (a CPU tensor's, shared). As PyTorch's, it takes no copy
    keyword: NumPy then copies for np.array(t) itself (after its DeprecationWarning), so the array
    np.array(t) gives never writes into the tensor, and np.array(t, copy=False) raises NumPy's
    ValueError."""
    if self.requires_grad:
        raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
    arr = _host_array(self)
    return arr if dtype is None else arr.astype(dtype, copy=False)


def _format(self: Tensor, spec: str) -> str:
    # As PyTorch: a plain 0-d tensor formats its number; a Parameter or a
    # tensor of more dims formats as object does (str() for an empty spec).
    if self.dim() == 0 and type(self) is Tensor:
        return self.item().__format__(spec)
    return object.__format__(self, spec)


def _iter(self: Tensor):
    if self.dim() == 0:
        raise TypeError("iteration over a 0-d tensor")
    return iter(self.unbind(0))


def _contains(self: Tensor, element) -> bool:
    # Any number (NumPy's scalars, complex too), as PyTorch's; a complex number is in a real tensor
    # only with a zero imaginary part (there is no complex dtype here to compare in).
    if not isinstance(element, (Tensor, numbers.Number)):
        raise RuntimeError(f"Tensor.__contains__ only supports Tensor or scalar, but you passed in a {type(element)}.")
    if isinstance(element, complex):
        if element.imag != 0:
            return False
        element = element.real
    return bool((self == element).any().item())


def numpy(self: Tensor, *args, force=False) -> np.ndarray:
    """The tensor as a NumPy array sharing its memory; force=True detaches it and brings it to the CPU
    first. As PyTorch's, force is keyword-only and a bool (named numpy: Python's own TypeErrors for
    unknown keywords name it)."""
    if args:
        raise TypeError(f"numpy() takes 0 positional arguments but {len(args)} {'was' if len(args) == 1 else 'were'} "
                        "given")
    if force is not False and force is not True:
        raise TypeError(f"numpy(): argument 'force' must be bool, not {_type_name(force)}")
    return _numpy_binding(self, force)


_numpy_binding = Tensor.numpy


def _array_wrap(self: Tensor, array):
    """NumPy's functions on a tensor give a tensor back (np.exp(t)), as PyTorch's: bool results as
    uint8, as there. Its one argument is PyTorch's too (NumPy 2 gives its DeprecationWarning for it)."""
    array = np.asarray(array)
    if array.dtype == np.bool_:
        array = array.astype(np.uint8)
    return _C.from_numpy(array if array.flags.c_contiguous else array.copy())


def _parse_to(args, kwargs):
    """to(dtype) / to(device) / to(device, dtype) / to(tensor) / keywords, then the flags
    non_blocking and copy (positional bools, in that order, or keywords): (dtype, device, copy)."""
    dtype = kwargs.pop("dtype", None)
    device = kwargs.pop("device", None)
    flags = [kwargs.pop("non_blocking", False), kwargs.pop("copy", False)]
    kwargs.pop("memory_format", None)
    if kwargs:
        raise TypeError(f"to() got an unexpected keyword argument '{next(iter(kwargs))}'")
    positional_flags = []
    for a in args:
        if isinstance(a, bool):
            positional_flags.append(a)
        elif isinstance(a, Tensor):
            dtype, device = a.dtype, a.device
        elif isinstance(a, _C.dtype) or a in (float, int, bool):
            dtype = a
        elif isinstance(a, (str, _C.device, int)):
            device = a
        elif a is not None:
            raise TypeError(f"to() received an invalid combination of arguments: got {type(a).__name__}")
    flags[:len(positional_flags)] = positional_flags[:2]
    return dtype, device, bool(flags[1])


def _to(self: Tensor, *args, **kwargs) -> Tensor:
    """Converts dtype and/or device; returns self when nothing changes, unless copy=True."""
    if len(args) == 1 and not kwargs:  # x.to(device) / x.to(dtype): the common calls, without the parser
        kind = type(args[0])
        if kind is str or kind is _C.device:
            return self._to_device(args[0])
        if kind is _C.dtype:
            return self._to_dtype(args[0])
    dtype, device, copy = _parse_to(args, dict(kwargs))
    t = self
    if device is not None:
        t = t._to_device(device)
    if dtype is not None:
        t = t._to_dtype(dtype)
    return t.clone() if copy and t is self else t


def _type(self: Tensor, dtype=None, non_blocking: bool = False, **kwargs):
    if dtype is None:
        prefix = "fasttensor.cuda." if self.is_cuda else "fasttensor."
        names = {"float32": "FloatTensor", "float64": "DoubleTensor", "int64": "LongTensor", "int32": "IntTensor",
                 "uint8": "ByteTensor", "bool": "BoolTensor"}
        return prefix + names[_dtype_name(self.dtype)]
    if isinstance(dtype, type) and isinstance(getattr(dtype, "dtype", None), _C.dtype):  # x.type(LongTensor)
        dtype = dtype.dtype
    if isinstance(dtype, str):
        dtype = dtype.replace("fasttensor.", "torch.", 1).replace("torch.cuda.", "torch.")
        if dtype not in _DTYPE_NAMES:
            raise ValueError(f"invalid type: '{dtype}'")
        dtype = getattr(_C, _DTYPE_NAMES[dtype])
    return self._to_dtype(dtype)


def _correction(unbiased, correction) -> float:
    if correction is not None:
        return float(correction)
    return 1.0 if unbiased is None or unbiased else 0.0


def _warn_if_no_dof(name: str, self: Tensor, out: Tensor, correction: float) -> None:
    """PyTorch's warning for a var / std (then NaN or inf) over no more elements than the correction."""
    reduced = self.numel() // out.numel() if out.numel() else 0
    if reduced - correction <= 0:
        warnings.warn(f"{name}(): degrees of freedom is <= 0. Correction should be strictly less than the reduction "
                      "factor (input numel divided by output numel).", UserWarning, stacklevel=3)


def _var(self: Tensor, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None, keepdims=None) -> Tensor:
    if isinstance(dim, bool):  # var(unbiased)
        dim, unbiased = None, dim
    dim = axis if dim is None else dim
    keepdim = keepdims if keepdims is not None else keepdim
    correction = _correction(unbiased, correction)
    out = _C._var(self, dim, correction, bool(keepdim))
    _warn_if_no_dof("var", self, out, correction)
    return out


def _std(self: Tensor, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None, keepdims=None) -> Tensor:
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    dim = axis if dim is None else dim
    keepdim = keepdims if keepdims is not None else keepdim
    correction = _correction(unbiased, correction)
    out = _C._std(self, dim, correction, bool(keepdim))
    _warn_if_no_dof("std", self, out, correction)
    return out


def _norm(self: Tensor, p="fro", dim=None, keepdim=False, dtype=None) -> Tensor:
    if p is None or p == "fro":
        p = 2.0
    elif p == "nuc":
        raise NotImplementedError("nuclear norm is not supported")
    elif isinstance(p, str):
        raise ValueError(f"unknown norm type {p!r}")
    t = self if dtype is None else self._to_dtype(dtype)
    return _C._norm(t, float(p), dim, bool(keepdim))


def _reduce(self: Tensor):
    return (_rebuild, (_host_array(self).copy(), _dtype_name(self.dtype), str(self.device), self.requires_grad,
                       type(self), self.__dict__ if hasattr(self, "__dict__") else {}))


# Where unpickled tensors go (fasttensor.load's map_location): None (where they
# were saved), a device, or a dict from saved device names to new ones.
_map_location: contextvars.ContextVar = contextvars.ContextVar("fasttensor_map_location", default=None)


@contextlib.contextmanager
def map_location(location):
    token = _map_location.set(location)
    try:
        yield
    finally:
        _map_location.reset(token)


def _mapped_device(device: str, t: Tensor) -> str:
    """Where a tensor saved on `device` is loaded: map_location's device, its dict entry, or what its
    callable (PyTorch's ``f(storage, location)``, here given the tensor on the CPU) returns the
    tensor on (None: the saved device)."""
    location = _map_location.get()
    if location is None:
        return device
    if isinstance(location, dict):
        return str(location.get(device, device))
    if callable(location) and not isinstance(location, (str, _C.device)):
        moved = location(t, device)
        return device if moved is None else str(moved.device)
    return str(location)


def _rebuild(arr, dtype_name, device, requires_grad, cls=Tensor, state=None):
    t = _C.from_numpy(arr).clone()._to_dtype(getattr(_C, dtype_name))
    device = _mapped_device(device, t)
    if device != "cpu":
        t = t._to_device(device)
    if cls is not Tensor:
        t = cls(t) if requires_grad is None else cls(t, requires_grad) if _accepts_requires_grad(cls) else cls(t)
    if requires_grad and t.is_leaf:
        t.requires_grad_(True)
    if state:
        t.__dict__.update({k: v for k, v in state.items() if k not in t.__dict__})
    return t


def _accepts_requires_grad(cls) -> bool:
    import inspect

    try:
        return "requires_grad" in inspect.signature(cls.__init__).parameters
    except (TypeError, ValueError):
        return False


def _clone(self: Tensor, *, memory_format=None) -> Tensor:
    """A copy with its own storage: in self's layout when that is dense (preserve_format, the default,
    as PyTorch), contiguous with memory_format=contiguous_format."""
    return self._clone(memory_format is None or memory_format is preserve_format)


def _like_self(self: Tensor, data: Tensor) -> Tensor:
    """data (no history) as a leaf of self's class with self's requires_grad."""
    cls = type(self)
    if cls is Tensor:
        new = data
    else:
        new = cls(data, self.requires_grad) if _accepts_requires_grad(cls) else cls(data)
    if self.requires_grad and new.is_leaf:
        new.requires_grad_(True)
    return new


def _copy(self: Tensor):
    """copy.copy(t): a new tensor over the same memory, as PyTorch's (a leaf, with t's requires_grad,
    class and attributes)."""
    new = _like_self(self, self.detach())
    for k, v in getattr(self, "__dict__", {}).items():
        if k not in new.__dict__:
            setattr(new, k, v)
    return new


def _deepcopy(self: Tensor, memo):
    if id(self) in memo:
        return memo[id(self)]
    if not self.is_leaf:
        raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) support the deepcopy protocol "
                           "at the moment.  If you were attempting to deepcopy a module, this may be because of a "
                           "torch.nn.utils.weight_norm usage, see https://github.com/pytorch/pytorch/pull/103001")
    new = _like_self(self, self.detach().clone())
    from .nn.parameter import Parameter

    if self.grad is not None and not isinstance(self, Parameter):  # a Parameter's copy starts without .grad, as torch
        new.grad = copy.deepcopy(self.grad, memo)
    for k, v in getattr(self, "__dict__", {}).items():
        if k not in new.__dict__:
            new.__dict__[k] = copy.deepcopy(v, memo)
    memo[id(self)] = new
    return new


def _new_tensor(self: Tensor, data, dtype=None, device=None, requires_grad=False):
    _check_bool_argument("new_tensor", "requires_grad", requires_grad)
    return tensor(data, dtype=dtype if dtype is not None else self.dtype,
                  device=device if device is not None else self.device, requires_grad=requires_grad)


def _new_size(size: tuple, name: str) -> list:
    """new_zeros / new_ones / new_empty's size; as PyTorch, one must be given (() for 0-d)."""
    if not size:
        raise TypeError(f'{name}() missing 1 required positional arguments: "size"')
    return _size(size, name)


def _new_zeros(self: Tensor, *size, dtype=None, device=None, requires_grad=False):
    _check_bool_argument("new_zeros", "requires_grad", requires_grad)
    return _C._full(_new_size(size, "new_zeros"), 0, dtype if dtype is not None else self.dtype,
                    device if device is not None else self.device, requires_grad)


def _new_ones(self: Tensor, *size, dtype=None, device=None, requires_grad=False):
    _check_bool_argument("new_ones", "requires_grad", requires_grad)
    return _C._full(_new_size(size, "new_ones"), 1, dtype if dtype is not None else self.dtype,
                    device if device is not None else self.device, requires_grad)


def _new_full(self: Tensor, size, fill_value, dtype=None, device=None, requires_grad=False):
    _check_bool_argument("new_full", "requires_grad", requires_grad)
    return _C._full(_size((size,), "new_full"), fill_value, dtype if dtype is not None else self.dtype,
                    device if device is not None else self.device, requires_grad)


def _new_empty(self: Tensor, *size, dtype=None, device=None, requires_grad=False):
    _check_bool_argument("new_empty", "requires_grad", requires_grad)
    return _C._empty(_new_size(size, "new_empty"), dtype if dtype is not None else self.dtype,
                     device if device is not None else self.device, requires_grad)


def zero_grads(params, set_to_none: bool = True) -> None:
    """Drops (``set_to_none``) or zeroes in place the .grad of each tensor: the one
    implementation behind Module.zero_grad and Optimizer.zero_grad."""
    for p in params:
        if p.grad is None:
            continue
        if set_to_none:
            p.grad = None
        else:
            grad = p.grad
            if grad.grad_fn is not None:
                grad.detach_()
            else:
                grad.requires_grad_(False)
            grad.zero_()


_DTYPE_ABBREVIATIONS = {"float32": "f32", "float64": "f64", "int64": "i64", "int32": "i32", "uint8": "u8",
                        "bool": "b8"}

_SCALAR_NAMES = {"float32": "Float", "float64": "Double", "int64": "Long", "int32": "Int", "uint8": "Byte",
                 "bool": "Bool"}


def _isclose(self: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> Tensor:
    """|self - other| <= atol + rtol * |other| elementwise (broadcast); equal infinities are close, NaNs only
    with equal_nan."""
    if not isinstance(other, Tensor):
        raise _not_a_tensor("isclose", other, "other", 1)
    if self.dtype != other.dtype:
        raise RuntimeError(f"{_SCALAR_NAMES[_dtype_name(self.dtype)]} did not match "
                           f"{_SCALAR_NAMES[_dtype_name(other.dtype)]}")
    if rtol < 0:
        raise RuntimeError(f"rtol must be greater than or equal to zero, but got {rtol}")
    if atol < 0:
        raise RuntimeError(f"atol must be greater than or equal to zero, but got {atol}")
    close = self == other
    a, b = (self, other) if self.is_floating_point() else (self._to_dtype(_C.float64), other._to_dtype(_C.float64))
    diff = (a - b).abs()
    close = close | (diff.isfinite() & (diff <= atol + rtol * b.abs()))
    if equal_nan:
        close = close | (a.isnan() & b.isnan())
    return close


def _allclose(self: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> bool:
    if not isinstance(other, Tensor):
        raise _not_a_tensor("allclose", other, "other", 1)
    return bool(_isclose(self, other, rtol, atol, equal_nan).all())


def _equal(self: Tensor, other: Tensor) -> bool:
    """Same shape and the same values (True for two empty tensors of one shape)."""
    if not isinstance(other, Tensor):
        raise _not_a_tensor("equal", other, "other", 1)
    return self.shape == other.shape and bool((self == other).all())


def _resize_(self: Tensor, *sizes) -> Tensor:
    """Gives the tensor the shape `sizes`, contiguous, keeping its first elements in order (new
    ones are zeros here, uninitialized in PyTorch)."""
    if self.requires_grad:
        raise RuntimeError("cannot resize variables that require grad")
    shape = _size(sizes, "resize_")
    if any(s < 0 for s in shape):  # (a -1 is no size to infer here)
        raise RuntimeError("numel: integer multiplication overflow")
    n = 1
    for s in shape:
        n *= s
    flat = self.reshape(-1)
    if n <= self.numel() and self.is_contiguous():
        self.data = flat[:n].view(shape)
    else:
        new = _C._full(list(shape), 0, self.dtype, self.device, False)
        keep = min(n, self.numel())
        new.view(-1)[:keep].copy_(flat[:keep])
        self.data = new
    return self


def _round_to(input: Tensor, decimals: int) -> Tensor:
    """Rounds to `decimals` places as PyTorch does, in the tensor's dtype: round(x * 10^d) / 10^d, or
    round(x / 10^-d) * 10^-d for negative d (ties to even)."""
    if not input.is_floating_point():
        name = {"int64": "Long", "int32": "Int", "uint8": "Byte", "bool": "Bool"}[_dtype_name(input.dtype)]
        raise NotImplementedError(f"\"round_cpu\" not implemented for '{name}'")
    scale = 10.0 ** abs(decimals)
    return _round_plain(input * scale) / scale if decimals > 0 else _round_plain(input / scale) * scale


def _round_method(self: Tensor, *, decimals: int = 0) -> Tensor:
    return _round_plain(self) if decimals == 0 else _round_to(self, decimals)


def round(input: Tensor, *, decimals: int = 0, out=None) -> Tensor:  # noqa: A001 - PyTorch's name
    """Rounds half to even; with `decimals`, to that many decimal places (negative: tens, hundreds...)."""
    if decimals == 0:
        return _C.round(input) if out is None else _C.round(input, out=out)
    r = _round_to(input, decimals)
    return r if out is None else out.copy_(r)


_round_plain = _C.round


def _new(self: Tensor, *args, device=None) -> Tensor:
    """The legacy x.new(...): Tensor(...) in x's dtype, on x's device."""
    return legacy_new(self.dtype, *args, device=self.device if device is None else device)


def _round_(self: Tensor, *, decimals: int = 0) -> Tensor:
    """In place: round half to even, to `decimals` places."""
    if decimals == 0:
        return _round_in_place(self)
    return self.copy_(_round_to(self, decimals))  # (nothing of self is saved for a backward)


_round_in_place = Tensor.round_


def _get_device(self: Tensor) -> int:
    """The CUDA device index, -1 for the CPU."""
    return self.device.index if self.is_cuda else -1


class layout:
    """The type of fasttensor.strided, the one memory layout (PyTorch also has sparse ones)."""

    def __repr__(self) -> str:
        return "fasttensor.strided"

    def __reduce__(self) -> str:
        return "strided"  # pickled by name: copies and unpickled values are fasttensor.strided itself


layout.__module__ = "fasttensor"  # <class 'fasttensor.layout'>, as torch.layout
strided = layout()


def is_contiguous(self: Tensor, *args, memory_format=preserve_format) -> bool:
    """Whether the elements lie densely in the order of memory_format: row-major
    (contiguous_format, the default; preserve_format reads the same), or channels last
    (channels_last for 4-D: N, H, W, C from the outermost; channels_last_3d for 5-D). Named so that
    Python's own TypeErrors name it as PyTorch's do."""
    if memory_format is preserve_format or memory_format is contiguous_format:
        if args:
            raise TypeError(f"is_contiguous() takes 0 positional arguments but {len(args)} "
                            f"{'was' if len(args) == 1 else 'were'} given")
        return _is_contiguous_binding(self)
    if not isinstance(memory_format, type(preserve_format)):
        raise TypeError(f"is_contiguous(): argument 'memory_format' must be fasttensor.memory_format, not "
                        f"{_type_name(memory_format)}")
    # the dims from the innermost (stride 1) out: channels, then the spatial ones from the last, then N
    order = {channels_last: (1, 3, 2, 0), channels_last_3d: (1, 4, 3, 2, 0)}[memory_format]
    if self.dim() != len(order):
        return False
    expected = 1
    for d in order:
        size = self.shape[d]
        if size != 1:  # a dim of one element may have any stride
            if self.stride(d) != expected:
                return False
            expected *= size
    return True


_is_contiguous_binding = Tensor.is_contiguous


def _data_ptr(self: Tensor) -> int:
    """The address of the first element; 0 for a tensor without elements, as PyTorch's."""
    return _data_ptr_binding(self) if self.numel() else 0


_data_ptr_binding = Tensor.data_ptr


def _is_set_to(self: Tensor, tensor) -> bool:
    """Whether tensor is the same view of the same memory: storage, offset, sizes and strides."""
    if not isinstance(tensor, Tensor):
        raise _not_a_tensor("is_set_to", tensor, "tensor")
    return (self._storage_ptr == tensor._storage_ptr and self.storage_offset() == tensor.storage_offset()
            and self.shape == tensor.shape and self.stride() == tensor.stride())


def _is_pinned(self: Tensor, device=None) -> bool:
    """False: there is no pinned host memory here."""
    if device is not None:
        warnings.warn("The argument 'device' of Tensor.is_pinned() is deprecated. Please do not pass this argument.",
                      DeprecationWarning, stacklevel=2)
    return False


def _warn_on_0d(binding: property, name: str, advice: str) -> property:
    """The property binding (x.mT, x.mH, x.H) with PyTorch's once-per-process warning on a 0-d
    tensor, which it returns as it is."""
    get = binding.fget
    message = f"Tensor.{name} is deprecated on 0-D tensors. {advice}"

    def warned(self):
        if self.dim() == 0:
            warn_once(message)
        return get(self)

    return property(warned, doc=binding.__doc__)


# Properties and methods PyTorch has for its other devices, layouts and kinds of tensor: here
# always False (is_coalesced, for sparse tensors only, raises).
_NEVER = ("is_meta", "is_sparse", "is_sparse_csr", "is_quantized", "is_mkldnn", "is_nested", "is_mps", "is_xpu",
          "is_ipu", "is_xla", "is_vulkan", "is_maia", "is_mtia")


def _is_coalesced(self: Tensor):
    raise RuntimeError("is_coalesced expected sparse coordinate tensor layout but got Strided")


def _register_hook(self: Tensor, hook):
    """hook(grad) runs when this tensor's gradient is computed; a tensor it returns replaces the gradient
    (it must keep the gradient's type and size, as PyTorch checks). A hook that is not callable is taken,
    and fails when backward calls it, as in PyTorch."""
    from .utils.hooks import RemovableHandle

    def checked(grad):
        result = hook(grad)
        if result is None:
            return None
        if not isinstance(result, Tensor):
            raise TypeError(f"expected Variable, but hook returned '{type(result).__name__}'")
        name = getattr(hook, "__name__", "<unknown>")
        if result.dtype != grad.dtype or result.device != grad.device:
            raise RuntimeError(f"hook '{name}' has changed the type of value (was {grad.type()} got "
                               f"{result.type()})")
        if result.shape != grad.shape:
            raise RuntimeError(f"hook '{name}' has changed the size of value")
        return result

    hook_id = self._register_hook(checked)
    return RemovableHandle(on_remove=lambda: self._remove_hook(hook_id))


def _register_post_accumulate_grad_hook(self: Tensor, hook):
    """hook(tensor) runs once backward has accumulated this leaf's gradient into .grad. PyTorch calls it
    right after the accumulation; here it runs when the backward call (not autograd.grad, which
    accumulates nothing) has finished, in the order the leaves got their gradients."""
    if not self.requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    if not self.is_leaf:
        raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
    from . import autograd
    from .utils.hooks import RemovableHandle

    leaf = weakref.ref(self)  # (the hook lives in C++, out of the collector's sight: no cycle through it)

    def note_arrival(grad):
        tensor = leaf()
        if tensor is not None:
            autograd._note_accumulated(tensor, hook)

    autograd._post_accumulate_hooks_used = True  # (Tensor.backward's plain call no longer skips the collecting)

    hook_id = self._register_hook(note_arrival)
    return RemovableHandle(on_remove=lambda: self._remove_hook(hook_id))


def _apply_methods() -> None:
    T = Tensor
    T.__repr__ = _repr
    T.__str__ = _repr
    T.__format__ = _format
    T.__iter__ = _iter
    T.__contains__ = _contains
    T.__array_wrap__ = _array_wrap
    T.__reversed__ = lambda self: self if self.dim() == 0 else self.flip(0)  # as PyTorch
    T.__array__ = __array__
    T.numpy = numpy
    T.__array_priority__ = 1000
    T.__reduce__ = _reduce
    T.__deepcopy__ = _deepcopy
    T.__copy__ = _copy
    T.to = _to
    T.type = _type
    T.var = _var
    T.std = _std
    T.norm = _norm
    from . import _functional as fn

    for name in ("flip", "roll", "triu", "tril", "diag", "trace", "outer", "logsumexp", "broadcast_to", "tile",
                 "repeat_interleave", "masked_select", "swapdims", "movedim", "moveaxis", "ravel", "diagonal",
                 "count_nonzero", "nansum", "nanmean", "clamp_min", "clamp_max", "clamp_min_", "clamp_max_",
                 "atan2", "arctan2", "cumprod", "nonzero", "argwhere", "nan_to_num", "nan_to_num_", "type_as",
                 "unflatten", "tensor_split"):
        setattr(T, name, method_form(getattr(fn, name)))
    T.ger = method_form(fn.outer)
    from . import _sampling

    for name in ("unique", "unique_consecutive", "bernoulli", "bernoulli_", "multinomial", "random_", "exponential_",
                 "geometric_", "cauchy_", "log_normal_"):
        setattr(T, name, getattr(_sampling, name))
    T.clone = _clone
    T.isclose = _isclose
    T.allclose = _allclose
    T.equal = _equal
    T.new_tensor = _new_tensor
    T.new_zeros = _new_zeros
    T.new_ones = _new_ones
    T.new_full = _new_full
    T.new_empty = _new_empty
    T.register_hook = _register_hook
    T.register_post_accumulate_grad_hook = _register_post_accumulate_grad_hook
    T.resize_ = _resize_
    T.resize_as_ = lambda self, other: _resize_(self, *other.shape)
    T.new = _new
    T.round_ = _round_
    T.round = _round_method
    T.get_device = _get_device
    T.layout = property(lambda self: strided)
    T.is_contiguous = is_contiguous
    T.data_ptr = _data_ptr
    T.is_set_to = _is_set_to
    T.is_pinned = _is_pinned
    T.is_shared = lambda self: False  # (no shared-memory tensors here)
    T.is_distributed = lambda self: False
    T.is_coalesced = _is_coalesced
    for name in _NEVER:
        setattr(T, name, property(lambda self: False))
    T.mT = _warn_on_0d(T.mT, "mT", "This function is the identity in these cases.")
    T.mH = _warn_on_0d(T.mH, "mH", "Consider using x.conj().")
    T.H = _warn_on_0d(T.H, "H", "Consider using x.conj().")
    T.itemsize = property(lambda self: self.element_size())
    T.nbytes = property(lambda self: self.numel() * self.element_size())
    _C.dtype.is_signed = property(lambda d: d not in (_C.uint8, _C.bool))
    _C.dtype.is_complex = property(lambda d: False)  # (no complex dtypes here)
    _C.dtype.to_real = lambda d: d  # the real dtype of a real one is itself
    _C.dtype.abbr = property(lambda d: _DTYPE_ABBREVIATIONS[_dtype_name(d)])
    from . import _api_more, _math_extra, _more, _tensor_api, linalg

    _more.install(T)
    _math_extra.install(T)
    _tensor_api.install(T)
    _api_more.install(T)
    linalg.install(T)
    for name in _DIM_FUNCTIONS:
        if _needs_numpy_dim_names(getattr(T, name, None)):
            setattr(T, name, _numpy_dim_names(getattr(T, name), name))


# Functions and methods taking dim (and keepdim) that also accept NumPy's names axis (and keepdims), as
# PyTorch's argument parser does for all of them. The C++ ones take them in C++ (sum, mean, argmax,
# cumsum through their parser; softmax, cat, sort, ... through a fallback overload: add_numpy_dim_names),
# as do the Python forms that pass their keywords on to them; the Python ones with fixed signatures are
# wrapped here.
_DIM_FUNCTIONS = ("cat", "concat", "concatenate", "stack", "softmax", "log_softmax", "squeeze", "unsqueeze",
                  "amax", "amin", "logsumexp", "cumprod", "argsort", "sort", "topk", "median", "nanmedian", "mode",
                  "kthvalue", "count_nonzero", "nansum", "nanmean", "unbind", "chunk", "index_select", "gather",
                  "var_mean", "std_mean", "aminmax", "cummax", "cummin", "diff", "logcumsumexp",
                  "repeat_interleave", "flip", "narrow", "split", "tensor_split", "norm", "quantile", "nanquantile")


def _needs_numpy_dim_names(fn) -> bool:
    """A Python function (C++ ones take the names in C++) without **kwargs to pass them on."""
    import inspect

    if not inspect.isfunction(fn):
        return False
    return all(p.kind != p.VAR_KEYWORD for p in inspect.signature(fn).parameters.values())


def _numpy_dim_names(fn, name: str):
    """fn, taking axis= for dim= and keepdims= for keepdim= as well."""
    import functools

    @functools.wraps(fn)
    def aliased(*args, **kwargs):
        if kwargs and ("axis" in kwargs or "keepdims" in kwargs):
            for numpy_name, torch_name in (("axis", "dim"), ("keepdims", "keepdim")):
                if numpy_name in kwargs:
                    if torch_name in kwargs:
                        raise TypeError(f"{name}() got an unexpected keyword argument '{numpy_name}'")
                    kwargs[torch_name] = kwargs.pop(numpy_name)
        return fn(*args, **kwargs)

    return aliased


_apply_methods()
