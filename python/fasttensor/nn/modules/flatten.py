"""torch.nn.modules.flatten's paths to Flatten and Unflatten (defined in nn/layers.py)."""

from ..layers import Flatten, Unflatten
from ._paths import adopt

__all__ = ["Flatten", "Unflatten"]
adopt(globals(), __all__)
