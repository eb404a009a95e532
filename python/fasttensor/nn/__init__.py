"""fasttensor.nn: Module, Parameter, layers, losses, functional, init and utils."""

from . import functional, init, utils
from .containers import ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
from .layers import (
    BCELoss,
    BCEWithLogitsLoss,
    CELU,
    CrossEntropyLoss,
    Dropout,
    ELU,
    Embedding,
    Flatten,
    GELU,
    GLU,
    Hardsigmoid,
    Hardswish,
    Hardtanh,
    HuberLoss,
    Identity,
    KLDivLoss,
    L1Loss,
    LayerNorm,
    LazyLinear,
    LeakyReLU,
    Linear,
    LogSigmoid,
    LogSoftmax,
    Mish,
    MSELoss,
    NLLLoss,
    PReLU,
    CosineSimilarity,
    PairwiseDistance,
    ReLU,
    ReLU6,
    SELU,
    Sigmoid,
    SiLU,
    SmoothL1Loss,
    Softmax,
    Softmin,
    Softplus,
    Softsign,
    Tanh,
    Tanhshrink,
    Threshold,
    Unflatten,
)
from .module import Module
from .parameter import Parameter, UninitializedParameter
from . import modules  # noqa: E402 (torch.nn.modules.* import paths)

__all__ = ["Module", "Parameter", "UninitializedParameter", "Sequential", "ModuleList", "ModuleDict", "ParameterList",
           "ParameterDict", "Linear", "LazyLinear", "Identity", "Flatten", "Unflatten", "ReLU", "Sigmoid", "Tanh",
           "Softmax", "LogSoftmax", "Dropout", "MSELoss", "CrossEntropyLoss", "LeakyReLU", "ELU", "CELU", "GELU", "SiLU",
           "Softplus", "L1Loss", "SmoothL1Loss", "HuberLoss", "BCELoss", "BCEWithLogitsLoss", "NLLLoss", "Hardtanh",
           "ReLU6", "LogSigmoid", "Softsign", "Softmin", "Hardsigmoid", "Hardswish", "Mish", "SELU", "Threshold", "GLU",
           "Tanhshrink", "PReLU", "CosineSimilarity", "PairwiseDistance", "KLDivLoss", "Embedding", "LayerNorm", "functional", "init", "utils"]
