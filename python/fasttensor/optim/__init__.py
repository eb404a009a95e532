"""fasttensor.optim: SGD, Adam, AdamW (each step one fused C++ call per
parameter, AMSGrad aside), RMSprop, Adagrad, Adadelta, Adamax, NAdam, RAdam, ASGD
and Rprop (tensor ops, any device), and the learning-rate schedules of lr_scheduler."""

from . import lr_scheduler
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .adamax import Adamax
from .asgd import ASGD
from .nadam import NAdam
from .optimizer import Optimizer
from .radam import RAdam
from .rmsprop import RMSprop
from .rprop import Rprop
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam", "ASGD",
           "Rprop", "lr_scheduler"]
