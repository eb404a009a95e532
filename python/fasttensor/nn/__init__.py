"""fasttensor.nn: Module, Parameter, layers, losses, functional, init and utils."""

from . import functional, init, utils
from .layers import (
    CrossEntropyLoss,
    Dropout,
    Flatten,
    Identity,
    LazyLinear,
    Linear,
    LogSoftmax,
    ModuleList,
    MSELoss,
    ReLU,
    Sequential,
    Sigmoid,
    Softmax,
    Tanh,
)
from .module import Module
from .parameter import Parameter, UninitializedParameter

__all__ = ["Module", "Parameter", "UninitializedParameter", "Sequential", "ModuleList", "Linear", "LazyLinear",
           "Identity", "Flatten", "ReLU", "Sigmoid", "Tanh", "Softmax", "LogSoftmax", "Dropout", "MSELoss",
           "CrossEntropyLoss", "functional", "init", "utils"]
