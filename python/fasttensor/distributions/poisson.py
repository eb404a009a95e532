"""Poisson(rate): counts of mean rate, as torch.distributions.Poisson (no argument validation)."""

from __future__ import annotations

from .. import _C
from .._sampling import poisson
from ..autograd import no_grad
from ._utils import broadcast_all, extended_shape

Tensor = _C.Tensor


class Poisson:
    def __init__(self, rate, validate_args=None) -> None:
        (self.rate,) = broadcast_all(rate)
        self.batch_shape = self.rate.shape

    @property
    def mean(self) -> Tensor:
        return self.rate

    @property
    def mode(self) -> Tensor:
        return self.rate.floor()

    @property
    def variance(self) -> Tensor:
        return self.rate

    def sample(self, sample_shape=()) -> Tensor:
        """Counts of shape sample_shape + batch_shape: torch's draws for a seed (poisson of the expanded rate)."""
        with no_grad():
            return poisson(self.rate.expand(extended_shape(sample_shape, self.batch_shape)))

    def log_prob(self, value: Tensor) -> Tensor:
        """value log(rate) - rate - log(value!), with 0 log 0 = 0."""
        rate, value = broadcast_all(self.rate, value)
        return value.xlogy(rate) - rate - (value + 1).lgamma()

    def __repr__(self) -> str:
        return "Poisson()"
