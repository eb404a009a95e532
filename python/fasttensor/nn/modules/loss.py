"""torch.nn.modules.loss's paths: the loss bases _Loss and _WeightedLoss and the losses (defined in nn/layers.py)."""

from ..layers import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, KLDivLoss, L1Loss, MSELoss, NLLLoss,
                      SmoothL1Loss, _Loss, _WeightedLoss)
from ._paths import adopt

__all__ = ["L1Loss", "MSELoss", "SmoothL1Loss", "HuberLoss", "BCELoss", "BCEWithLogitsLoss", "NLLLoss",
           "CrossEntropyLoss", "KLDivLoss"]
adopt(globals(), ["_Loss", "_WeightedLoss", *__all__])
