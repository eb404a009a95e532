"""Gradient clipping, as torch.nn.utils: by the norm of all gradients taken
together, or by value. Composed of tensor ops, so it runs where the
gradients live; the gradients are scaled in place."""

from __future__ import annotations

import math
from typing import Iterable, Union

from ... import _C

Tensor = _C.Tensor


def _grads(parameters: Union[Tensor, Iterable[Tensor]]) -> list:
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = False,
                    foreach=None) -> Tensor:
    """Scales the gradients by max_norm / (total_norm + 1e-6) where that is below 1; returns the total
    norm (the norm of the per-parameter norms)."""
    grads = _grads(parameters)
    norm_type = float(norm_type)
    if not grads:
        return _C._full([], 0.0, _C.get_default_dtype(), _C.device("cpu"), False)
    device = grads[0].device
    norms = [g.detach().norm(p=norm_type).to(device) for g in grads]
    stacked = _C.stack(norms, 0)
    total = stacked.amax() if math.isinf(norm_type) and norm_type > 0 else stacked.norm(p=norm_type)
    if error_if_nonfinite and not bool(total.isfinite()):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so it "
                           "cannot be clipped. To disable this error and scale the gradients by the non-finite norm "
                           "anyway, set `error_if_nonfinite=False`")
    scale = (max_norm / (total + 1e-6)).clamp(max=1.0)
    for g in grads:
        g.detach().mul_(scale.to(g.device, g.dtype))
    return total


def clip_grad_value_(parameters, clip_value: float, foreach=None) -> None:
    """Clamps every gradient entry to [-clip_value, clip_value] in place."""
    clip_value = float(clip_value)
    for g in _grads(parameters):
        g.detach().clamp_(min=-clip_value, max=clip_value)
