"""nn.modules: PyTorch's import paths (``nn.modules.loss._Loss``, ``nn.modules.module.Module``, ...)
for the classes defined in nn.module, nn.layers and nn.containers."""

from . import activation, container, linear, loss, module
from .activation import *  # noqa: F401,F403
from .container import *  # noqa: F401,F403
from .linear import *  # noqa: F401,F403
from .loss import *  # noqa: F401,F403
from .module import Module

__all__ = ["Module", *activation.__all__, *container.__all__, *linear.__all__, *loss.__all__]
