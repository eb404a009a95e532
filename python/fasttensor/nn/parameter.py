"""nn.Parameter: a tensor that a Module registers as one of its learnable weights."""

from __future__ import annotations

from typing import Any, Optional, Sequence

from .. import _C
from .. import _tensor_str
from .._tensor import _dtype_name, _host_array

Tensor = _C.Tensor


class Parameter(Tensor):
    """A leaf tensor that requires grad and is registered by ``Module.__setattr__``.

    ``Parameter(data)`` shares memory with ``data`` (a detached alias), so
    ``Parameter(torch.randn(3))`` costs no copy.
    """

    def __init__(self, data: Optional[Tensor] = None, requires_grad: bool = True):
        if data is None:
            data = _C._empty([0], None, None, False)
        elif not isinstance(data, Tensor):
            data.detach()  # PyTorch's Parameter detaches its data: a list's AttributeError names 'detach'
        if requires_grad and isinstance(data, Tensor) and not data.is_floating_point():
            raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
        super().__init__(data)
        # Tensor's own method: UninitializedParameter refuses requires_grad_ to its users.
        Tensor.requires_grad_(self, requires_grad)

    def __repr__(self) -> str:
        return _tensor_str.format_parameter(
            _host_array(self),
            dtype=_dtype_name(self.dtype),
            default_dtype=_dtype_name(_C.get_default_dtype()),
            device=str(self.device),
            requires_grad=self.requires_grad,
        )

    __str__ = __repr__


class _BufferMeta(type(Tensor)):
    """isinstance(t, Buffer) is True for the tensors Buffer(...) returns (they carry ``_is_buffer``)."""

    def __instancecheck__(cls, instance: Any) -> bool:
        if cls is Buffer and isinstance(instance, Tensor) and getattr(instance, "_is_buffer", False):
            return True
        return super().__instancecheck__(instance)


class Buffer(Tensor, metaclass=_BufferMeta):
    """Marks a tensor as module state that is not a parameter: ``self.running = nn.Buffer(t)``
    registers a buffer (persistent: saved in state_dict), as ``register_buffer`` does.

    As PyTorch's, ``Buffer(t)`` returns a plain Tensor (a detached alias of ``t`` keeping its
    requires_grad) flagged so that ``isinstance(b, nn.Buffer)`` holds."""

    def __new__(cls, data: Optional[Tensor] = None, *, persistent: bool = True):
        if data is None:
            data = _C._empty([0], None, None, False)
        buffer = data.detach().requires_grad_(data.requires_grad)
        buffer.persistent = persistent
        buffer._is_buffer = True
        return buffer


def uninitialized_use_error(what: Any) -> ValueError:
    """PyTorch's error for computing with a lazy module's weight before its first forward call;
    ``what`` is the function or method that was called."""
    return ValueError(f"Attempted to use an uninitialized parameter in {what}. This error happens when you are using "
                      "a `LazyModule` or explicitly manipulating `fasttensor.nn.parameter.UninitializedParameter` "
                      "objects. When using LazyModules Call `forward` with a dummy batch to initialize the parameters "
                      "before calling torch functions")


class UninitializedParameter(Parameter):
    """The weight of a lazy module before its first call: no shape yet.

    ``materialize(shape)`` gives it storage of that shape in place (the same
    object, now a plain Parameter), so an optimizer built before the first
    forward call still holds the real weight. Until then, as in PyTorch, only
    dtype / device conversions and ``size()`` work: ``.shape`` raises
    RuntimeError, and every other tensor method or operator raises ValueError
    (see ``_refuse_use_before_materialize`` below).
    """

    cls_to_become = Parameter

    def __init__(self, requires_grad: bool = True, device=None, dtype=None):
        super().__init__(_C._empty([0], dtype, device, False), requires_grad)

    def materialize(self, shape: Sequence[int], device=None, dtype=None) -> None:
        device = self.device if device is None else device
        dtype = self.dtype if dtype is None else dtype
        self.data = _C._empty([int(s) for s in shape], dtype, device, False)
        self.__class__ = self.cls_to_become

    @property
    def shape(self):
        raise RuntimeError("Can't access the shape of an uninitialized parameter or buffer. This error usually happens "
                           "in `load_state_dict` when trying to load an uninitialized parameter into an initialized "
                           "one. Call `forward` to initialize the parameters before accessing their attributes.")

    def share_memory_(self):
        raise RuntimeError("Can't share memory on an uninitialized parameter or buffer. Call `forward` to initialize "
                           "the parameters before calling `module.share_memory()`.")

    def __deepcopy__(self, memo):
        # A fresh uninitialized parameter with the same settings (there is no data to copy).
        if id(self) not in memo:
            memo[id(self)] = type(self)(self.requires_grad, self.device, self.dtype)
        return memo[id(self)]

    def __reduce_ex__(self, protocol):
        # Pickled as PyTorch does: only requires_grad survives (dtype and device are the defaults again).
        return (type(self), (self.requires_grad,))

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"

    __str__ = __repr__


# What an uninitialized parameter still allows (PyTorch's list): its size (torch.Size([0])),
# dtype and device conversions, copy_ and the dtype queries. Properties such as dtype,
# device, requires_grad, data and grad are not methods and stay readable.
_ALLOWED_BEFORE_MATERIALIZE = frozenset({
    "size", "copy_", "is_complex", "is_floating_point", "half", "float", "double", "char", "short", "int", "long",
    "cuda", "cpu", "to", "get_device",
})
# Python's protocol methods that compute with the values (arithmetic, comparison, indexing, conversion).
_OPERATOR_PROTOCOL = ("__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__format__")


def _refuse_use_before_materialize() -> None:
    """Gives UninitializedParameter, for every Tensor method that computes with the values,
    an override that raises PyTorch's ValueError. Materializing changes the object's class to
    Parameter, so the overrides vanish with the first forward call."""
    object_names = set(dir(object))
    for name in dir(Tensor):
        attr = getattr(Tensor, name)
        if isinstance(attr, property) or not callable(attr) or name in UninitializedParameter.__dict__:
            continue
        public = not name.startswith("_") and name not in _ALLOWED_BEFORE_MATERIALIZE
        operator = name.startswith("__") and (name not in object_names or name in _OPERATOR_PROTOCOL)
        if public or operator:
            setattr(UninitializedParameter, name, _refusing(name))


def _refusing(name: str):
    def refuse(self, *args, **kwargs):
        raise uninitialized_use_error(f"<method '{name}' of 'fasttensor.Tensor' objects>")

    refuse.__name__ = name
    return refuse


_refuse_use_before_materialize()


def is_lazy(param: Any) -> bool:
    """Whether ``param`` is an UninitializedParameter (a lazy module's weight before its first call)."""
    return isinstance(param, UninitializedParameter)
