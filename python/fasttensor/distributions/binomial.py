"""Binomial(total_count, probs | logits): successes in total_count trials, as torch.distributions.Binomial
(no argument validation)."""

from __future__ import annotations

from .. import _C
from .._sampling import binomial
from ..autograd import no_grad
from ._utils import broadcast_all, extended_shape

Tensor = _C.Tensor


def _clamp_by_zero(x: Tensor) -> Tensor:
    # max(x, 0) with gradient 1/2 at 0, as torch's
    return (x.clamp(min=0) + x - x.clamp(max=0)) / 2


class Binomial:
    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None) -> None:
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        param = probs if probs is not None else logits
        total, param = broadcast_all(total_count, param)
        self.total_count = total.type_as(param)
        self._param = param
        if probs is not None:
            self.probs = param
            eps = 1.1920928955078125e-07 if param.dtype == _C.float32 else 2.220446049250313e-16
            clamped = param.clamp(min=eps, max=1 - eps)  # torch's probs_to_logits(is_binary=True)
            self.logits = clamped.log() - (-clamped).log1p()
        else:
            self.logits = param
            self.probs = param.sigmoid()
        self.batch_shape = param.shape

    @property
    def mean(self) -> Tensor:
        return self.total_count * self.probs

    @property
    def mode(self) -> Tensor:
        return ((self.total_count + 1) * self.probs).floor().clamp(max=self.total_count)

    @property
    def variance(self) -> Tensor:
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape=()) -> Tensor:
        """Counts of shape sample_shape + batch_shape: torch's draws for a seed."""
        shape = extended_shape(sample_shape, self.batch_shape)
        with no_grad():
            return binomial(self.total_count.expand(shape), self.probs.expand(shape))

    def log_prob(self, value: Tensor) -> Tensor:
        """log C(n, k) + k logit - n (max(logit, 0) + log1p(exp(-|logit|))), torch's stable form."""
        n, logits = self.total_count, self.logits
        normalize = n * _clamp_by_zero(logits) + n * (-logits.abs()).exp().log1p() - (n + 1).lgamma()
        return value * logits - (value + 1).lgamma() - (n - value + 1).lgamma() - normalize

    def __repr__(self) -> str:
        return "Binomial()"
