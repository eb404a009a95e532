"""torch.nn.modules.module's path to Module."""

from ..module import Module

__all__ = ["Module"]
