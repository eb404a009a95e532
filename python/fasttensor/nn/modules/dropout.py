"""torch.nn.modules.dropout's paths to _DropoutNd and the dropout layers (defined in nn/layers.py)."""

from ..layers import AlphaDropout, Dropout, Dropout1d, Dropout2d, Dropout3d, FeatureAlphaDropout, _DropoutNd
from ._paths import adopt

__all__ = ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout"]
adopt(globals(), ["_DropoutNd", *__all__])
