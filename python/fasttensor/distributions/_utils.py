"""Helpers shared by the distributions, as torch.distributions.utils has them."""

from __future__ import annotations

import numbers

from .. import _C

Tensor = _C.Tensor


def broadcast_all(*values):
    """The values as tensors of one shape: numbers take the first tensor's dtype and device (the default
    dtype when all are numbers), then everything is broadcast."""
    if not all(isinstance(v, (Tensor, numbers.Number)) for v in values):
        raise ValueError("Input arguments must all be instances of Number, torch.Tensor or objects implementing "
                         "__torch_function__.")
    like = next((v for v in values if isinstance(v, Tensor)), None)
    dtype = like.dtype if like is not None else _C.get_default_dtype()
    device = like.device if like is not None else _C.device("cpu")
    tensors = [v if isinstance(v, Tensor) else _C._full([], v, dtype, device, False) for v in values]
    from .. import broadcast_tensors

    return tuple(broadcast_tensors(*tensors))


def extended_shape(sample_shape, batch_shape) -> tuple:
    return tuple(sample_shape) + tuple(batch_shape)
