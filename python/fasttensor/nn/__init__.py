"""fasttensor.nn: Module, Parameter, layers, losses, functional, init and utils."""

from . import functional, init, utils
from .layers import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    Dropout,
    ELU,
    Flatten,
    GELU,
    HuberLoss,
    Identity,
    L1Loss,
    LazyLinear,
    LeakyReLU,
    Linear,
    LogSoftmax,
    ModuleList,
    MSELoss,
    NLLLoss,
    ReLU,
    Sequential,
    Sigmoid,
    SiLU,
    SmoothL1Loss,
    Softmax,
    Softplus,
    Tanh,
)
from .module import Module
from .parameter import Parameter, UninitializedParameter

__all__ = ["Module", "Parameter", "UninitializedParameter", "Sequential", "ModuleList", "Linear", "LazyLinear",
           "Identity", "Flatten", "ReLU", "Sigmoid", "Tanh", "Softmax", "LogSoftmax", "Dropout", "MSELoss",
           "CrossEntropyLoss", "LeakyReLU", "ELU", "GELU", "SiLU", "Softplus", "L1Loss", "SmoothL1Loss", "HuberLoss",
           "BCELoss", "BCEWithLogitsLoss", "NLLLoss", "functional", "init", "utils"]
