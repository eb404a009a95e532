"""torch.nn.modules.dropout's paths to _DropoutNd and Dropout (defined in nn/layers.py)."""

from ..layers import Dropout, _DropoutNd
from ._paths import adopt

__all__ = ["Dropout"]
adopt(globals(), ["_DropoutNd", *__all__])
