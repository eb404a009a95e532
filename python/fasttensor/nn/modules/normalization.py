"""torch.nn.modules.normalization's path to LayerNorm (defined in nn/layers.py)."""

from ..layers import LayerNorm
from ._paths import adopt

__all__ = ["LayerNorm"]
adopt(globals(), __all__)
