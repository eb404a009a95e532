"""torch.nn.modules.container's paths to the containers (defined in nn/containers.py)."""

from ..containers import ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
from ._paths import adopt

__all__ = ["Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict"]
adopt(globals(), __all__)
