"""torch.nn.modules.distance's paths to CosineSimilarity and PairwiseDistance (defined in nn/layers.py)."""

from ..layers import CosineSimilarity, PairwiseDistance
from ._paths import adopt

__all__ = ["CosineSimilarity", "PairwiseDistance"]
adopt(globals(), __all__)
