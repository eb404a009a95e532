"""Multinomial(total_count, probs): counts of total_count draws among the
categories of the last dim of probs (or softmax(logits)), as torch.distributions."""

from __future__ import annotations

import math
from typing import Optional

from .. import _C
from .._sampling import multinomial

Tensor = _C.Tensor


class Multinomial:
    def __init__(self, total_count: int = 1, probs: Optional[Tensor] = None, logits: Optional[Tensor] = None,
                 validate_args=None) -> None:
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if not isinstance(total_count, int):
            raise NotImplementedError("inhomogeneous total_count is not supported")
        if probs is not None:
            if probs.dim() < 1:
                raise ValueError("`probs` parameter must be at least one-dimensional.")
            self.probs = probs / probs.sum(-1, keepdim=True)
            # PyTorch's logits of probs: log of the probabilities clamped to [eps, 1 - eps].
            eps = 1.1920928955078125e-07 if self.probs.dtype == _C.float32 else 2.220446049250313e-16
            self.logits = self.probs.clamp(eps, 1 - eps).log()
        else:
            if logits.dim() < 1:
                raise ValueError("`logits` parameter must be at least one-dimensional.")
            self.logits = logits.log_softmax(-1)
            self.probs = logits.softmax(-1)
        self.total_count = total_count

    @property
    def batch_shape(self):
        return self.probs.shape[:-1]

    @property
    def event_shape(self):
        return self.probs.shape[-1:]

    @property
    def mean(self) -> Tensor:
        return self.probs * self.total_count

    @property
    def variance(self) -> Tensor:
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape=()) -> Tensor:
        """Counts of shape sample_shape + batch_shape + event_shape, in probs' dtype."""
        sample_shape = tuple(sample_shape)
        n_samples = math.prod(sample_shape)
        categories = self.probs.shape[-1]
        rows = self.probs.detach().reshape(-1, categories)                      # (B, C)
        counts = _C._full([rows.shape[0], n_samples, categories], 0, self.probs.dtype, self.probs.device, False)
        if n_samples and self.total_count:
            # PyTorch's order: draw t * S + s of a row is trial t of sample s.
            draws = multinomial(rows, n_samples * self.total_count, replacement=True)  # (B, total * S)
            draws = draws.reshape(rows.shape[0], self.total_count, n_samples)
            classes = _C._arange(0, categories, 1, _C.int64, self.probs.device, False)
            counts = (draws.unsqueeze(-1) == classes).to(self.probs.dtype).sum(-3)      # (B, S, C)
        counts = counts.transpose(0, 1)                                               # (S, B, C)
        return counts.reshape(sample_shape + tuple(self.batch_shape) + (categories,))

    def log_prob(self, value: Tensor) -> Tensor:
        """log(n! / prod(x_i!) * prod(p_i^x_i)) of counts value (..., C), with PyTorch's logits (see
        __init__); a zero count of an impossible category (logit -inf) adds 0."""
        log_powers = _C.where(value == 0, 0.0, self.logits * value).sum(-1)
        return (value.sum(-1) + 1).lgamma() - (value + 1).lgamma().sum(-1) + log_powers

    def __repr__(self) -> str:
        return "Multinomial()"
