"""fasttensor.optim: SGD, Adam, AdamW — each step one fused C++ call per
parameter — and the learning-rate schedules of lr_scheduler."""

from . import lr_scheduler
from .adam import Adam, AdamW
from .optimizer import Optimizer
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "lr_scheduler"]
