"""fasttensor.optim: SGD, Adam, AdamW (each step one fused C++ call per
parameter, AMSGrad aside), RMSprop and Adagrad (tensor ops, any device), and
the learning-rate schedules of lr_scheduler."""

from . import lr_scheduler
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "lr_scheduler"]
