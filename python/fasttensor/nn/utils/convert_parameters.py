"""Model parameters as one flat vector and back, as torch.nn.utils."""

from __future__ import annotations

from typing import Iterable, Optional

from ... import _C
from ..module import _typename

Tensor = _C.Tensor


def _check_param_device(param: Tensor, old_param_device: Optional[int]) -> int:
    """The device index of the first parameter (-1 for the CPU); a later one elsewhere is a TypeError."""
    device = param.get_device() if param.device.type == "cuda" else -1
    if old_param_device is not None and device != old_param_device:
        raise TypeError("Found two parameters on different devices, this is currently not supported.")
    return device if old_param_device is None else old_param_device


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """Flattens the parameters into one vector (``cat`` of their views: gradients flow back)."""
    device = None
    pieces = []
    for param in parameters:
        device = _check_param_device(param, device)
        pieces.append(param.view(-1))
    return _C.cat(pieces)


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Points each parameter's data at its slice of ``vec`` (shared memory, as PyTorch's ``.data``
    assignment)."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {_typename(vec)}")
    device = None
    pointer = 0
    for param in parameters:
        device = _check_param_device(param, device)
        count = param.numel()
        param.data = vec[pointer:pointer + count].view_as(param).data
        pointer += count
