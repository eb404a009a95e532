"""nn.modules: PyTorch's import paths (``nn.modules.loss._Loss``, ``nn.modules.module.Module``, ...)
for the classes defined in nn.module, nn.layers and nn.containers. Each submodule here is the home
(``__module__``) of the classes it exports, as torch.nn.modules.<file> is of PyTorch's."""

from . import activation, container, distance, dropout, flatten, linear, loss, module, normalization, sparse, utils
from .activation import *  # noqa: F401,F403
from .container import *  # noqa: F401,F403
from .distance import *  # noqa: F401,F403
from .dropout import *  # noqa: F401,F403
from .flatten import *  # noqa: F401,F403
from .linear import *  # noqa: F401,F403
from .loss import *  # noqa: F401,F403
from .module import Module
from .normalization import *  # noqa: F401,F403
from .sparse import *  # noqa: F401,F403

__all__ = ["Module", *activation.__all__, *container.__all__, *distance.__all__, *dropout.__all__, *flatten.__all__,
           *linear.__all__, *loss.__all__, *normalization.__all__, *sparse.__all__]
