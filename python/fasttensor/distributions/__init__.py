"""fasttensor.distributions: the multinomial distribution that D2L's section
2.6 samples coin tosses and die rolls from (sample, log_prob, mean, variance)."""

from .multinomial import Multinomial

__all__ = ["Multinomial"]
