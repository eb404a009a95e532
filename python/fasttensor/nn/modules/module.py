"""torch.nn.modules.module's paths to Module, _addindent and _IncompatibleKeys (defined in nn/module.py)."""

from ..module import _EXTRA_STATE_KEY_SUFFIX, Module, _addindent, _IncompatibleKeys  # noqa: F401
from ._paths import adopt

__all__ = ["Module"]
adopt(globals(), ["Module", "_IncompatibleKeys"])
