"""Gradient clipping, as torch.nn.utils: by the norm of all gradients taken
together, or by value. Composed of tensor ops, so it runs where the
gradients live; the gradients are scaled in place."""

from __future__ import annotations

import math
import types
import warnings
from typing import Iterable, Union

from ... import _C
from ...autograd import no_grad

Tensor = _C.Tensor


def _as_list(tensors: Union[Tensor, Iterable[Tensor]]) -> list:
    return [tensors] if isinstance(tensors, Tensor) else list(tensors)


def _grads(parameters: Union[Tensor, Iterable[Tensor]]) -> list:
    return [p.grad for p in _as_list(parameters) if p.grad is not None]


def get_total_norm(tensors: Union[Tensor, Iterable[Tensor]], norm_type: float = 2.0,
                   error_if_nonfinite: bool = False, foreach=None) -> Tensor:
    """The norm of the tensors' norms: the norm of all of them seen as one vector (on the first one's device)."""
    tensors = _as_list(tensors)
    norm_type = float(norm_type)
    if not tensors:
        return _C._full([], 0.0, _C.get_default_dtype(), _C.device("cpu"), False)
    device = tensors[0].device
    with no_grad():
        stacked = _C.stack([t.norm(p=norm_type).to(device) for t in tensors], 0)
        total = stacked.abs().amax() if math.isinf(norm_type) and norm_type > 0 else stacked.norm(p=norm_type)
    if error_if_nonfinite and not bool(total.isfinite()):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so it "
                           "cannot be clipped. To disable this error and scale the gradients by the non-finite norm "
                           "anyway, set `error_if_nonfinite=False`")
    return total


def clip_grads_with_norm_(parameters: Union[Tensor, Iterable[Tensor]], max_norm: float, total_norm: Tensor,
                          foreach=None) -> None:
    """Scales the gradients by min(max_norm / (total_norm + 1e-6), 1) in place, given their total norm
    (clip_grad_norm_ is get_total_norm followed by this)."""
    grads = _grads(parameters)
    if not grads:
        return
    with no_grad():
        scale = (float(max_norm) / (total_norm + 1e-6)).clamp(max=1.0)
        for g in grads:
            g.mul_(scale.to(g.device))


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = False,
                    foreach=None) -> Tensor:
    """Scales the gradients by max_norm / (total_norm + 1e-6) where that is below 1; returns the total
    norm (the norm of the per-parameter norms)."""
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    else:
        is_generator = isinstance(parameters, types.GeneratorType)
        parameters = list(parameters)  # a generator is read once
        if is_generator and not parameters:
            warnings.warn("`parameters` is an empty generator, no gradient clipping will occur.", stacklevel=2)
    total = get_total_norm(_grads(parameters), norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(parameters, max_norm, total, foreach)
    return total


def clip_grad_norm(parameters, max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = False,
                   foreach=None) -> Tensor:
    """Deprecated name of clip_grad_norm_ (warns, as PyTorch's)."""
    warnings.warn("`fasttensor.nn.utils.clip_grad_norm` is now deprecated in favor of "
                  "`fasttensor.nn.utils.clip_grad_norm_`.", FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters, clip_value: float, foreach=None) -> None:
    """Clamps every gradient entry to [-clip_value, clip_value] in place."""
    clip_value = float(clip_value)
    with no_grad():
        for g in _grads(parameters):
            g.clamp_(min=-clip_value, max=clip_value)
