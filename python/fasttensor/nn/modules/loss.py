"""torch.nn.modules.loss's paths: the loss bases _Loss and _WeightedLoss and the losses (defined in nn/layers.py)."""

from ..layers import (BCELoss, BCEWithLogitsLoss, CosineEmbeddingLoss, CrossEntropyLoss, GaussianNLLLoss,
                      HingeEmbeddingLoss, HuberLoss, KLDivLoss, L1Loss, MarginRankingLoss, MSELoss,
                      MultiLabelSoftMarginLoss, NLLLoss, PoissonNLLLoss, SmoothL1Loss, SoftMarginLoss, TripletMarginLoss,
                      _Loss, _WeightedLoss)
from ._paths import adopt

__all__ = ["L1Loss", "MSELoss", "SmoothL1Loss", "HuberLoss", "BCELoss", "BCEWithLogitsLoss", "NLLLoss",
           "CrossEntropyLoss", "KLDivLoss", "SoftMarginLoss", "MarginRankingLoss", "HingeEmbeddingLoss",
           "CosineEmbeddingLoss", "GaussianNLLLoss", "PoissonNLLLoss", "TripletMarginLoss", "MultiLabelSoftMarginLoss"]
adopt(globals(), ["_Loss", "_WeightedLoss", *__all__])
