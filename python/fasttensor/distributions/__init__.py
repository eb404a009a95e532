"""fasttensor.distributions: the multinomial distribution that D2L's section
2.6 samples coin tosses and die rolls from. Only sampling and the moments;
log_prob needs the log-gamma function, which fasttensor does not have yet."""

from .multinomial import Multinomial

__all__ = ["Multinomial"]
