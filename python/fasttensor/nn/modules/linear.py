"""torch.nn.modules.linear's paths to Linear, LazyLinear and Identity."""

from ..layers import Identity, LazyLinear, Linear

__all__ = ["Identity", "Linear", "LazyLinear"]
