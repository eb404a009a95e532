"""PyTorch's TORCH_WARN_ONCE: a warning given once per process, or every time once
``set_warn_always(True)`` asks for it (``is_warn_always_enabled()`` reads the switch)."""

from __future__ import annotations

import warnings

_state = {"always": False}
_given: set = set()


def set_warn_always(b: bool) -> None:
    """Warnings PyTorch gives once per process are given every time while this is True."""
    if not isinstance(b, bool):
        raise RuntimeError(f"setWarnOnlyOnce expects a bool, but got {type(b).__name__}")
    _state["always"] = b


def is_warn_always_enabled() -> bool:
    return _state["always"]


def warn_once(message: str, stacklevel: int = 2) -> None:
    """warnings.warn(message) the first time this message is given (every time with warn_always)."""
    if _state["always"] or message not in _given:
        _given.add(message)
        warnings.warn(message, UserWarning, stacklevel=stacklevel + 1)
