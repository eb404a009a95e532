"""nn.Parameter: a tensor that a Module registers as one of its learnable weights."""

from __future__ import annotations

from typing import Optional, Sequence

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
        super().__init__(data)
        self.requires_grad_(requires_grad)

    def __repr__(self) -> str:
        return _tensor_str.format_parameter(
            _host_array(self),
            dtype=_dtype_name(self.dtype),
            default_dtype=_dtype_name(_C.get_default_dtype()),
            device=str(self.device),
            requires_grad=self.requires_grad,
        )

    __str__ = __repr__


class UninitializedParameter(Parameter):
    """The weight of a lazy module before its first call: no shape yet.

    ``materialize(shape)`` gives it storage of that shape in place (the same
    object, now a plain Parameter), so an optimizer built before the first
    forward call still holds the real weight.
    """

    def __init__(self, requires_grad: bool = True, device=None, dtype=None):
        super().__init__(_C._empty([0], dtype, device, False), requires_grad)

    def materialize(self, shape: Sequence[int], device=None, dtype=None) -> None:
        device = self.device if device is None else device
        dtype = self.dtype if dtype is None else dtype
        self.data = _C._empty([int(s) for s in shape], dtype, device, False)
        self.__class__ = Parameter

    def __repr__(self) -> str:
        return "<UninitializedParameter>"

    __str__ = __repr__


def is_lazy(param: Tensor) -> bool:
    return isinstance(param, UninitializedParameter)
