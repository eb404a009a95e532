"""torch.nn.modules.sparse's path to Embedding (defined in nn/layers.py)."""

from ..layers import Embedding
from ._paths import adopt

__all__ = ["Embedding"]
adopt(globals(), __all__)
