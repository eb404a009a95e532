"""fasttensor.optim: SGD, Adam, AdamW — each step one fused C++ call per parameter."""

from .adam import Adam, AdamW
from .optimizer import Optimizer
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW"]
