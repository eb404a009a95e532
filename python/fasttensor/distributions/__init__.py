"""fasttensor.distributions: the multinomial distribution that D2L's section
2.6 samples coin tosses and die rolls from, and Poisson and Binomial (sample
with torch's draws, log_prob, mean, mode, variance)."""

from .binomial import Binomial
from .multinomial import Multinomial
from .poisson import Poisson

__all__ = ["Binomial", "Multinomial", "Poisson"]
