"""RemovableHandle: what Tensor.register_hook and Module.register_forward_(pre_)hook return."""

from __future__ import annotations

import itertools
from typing import Any, Callable, Dict, Optional


class RemovableHandle:
    """``handle.remove()`` unregisters the hook (also usable as ``with x.register_hook(f): ...``).
    The hook is kept under ``handle.id`` in each of ``registries`` (the first holds the hook, the
    others its flags), or removed by ``on_remove`` when it lives elsewhere (a tensor's C++ hooks)."""

    _next_id = itertools.count()

    def __init__(self, *registries: Dict[int, Any], on_remove: Optional[Callable[[], None]] = None) -> None:
        self.id = next(RemovableHandle._next_id)
        self._registries = registries
        self._on_remove = on_remove

    def remove(self) -> None:
        for registry in self._registries:
            registry.pop(self.id, None)
        if self._on_remove is not None:
            self._on_remove()
            self._on_remove = None

    def __enter__(self) -> "RemovableHandle":
        return self

    def __exit__(self, *exc_info) -> None:
        self.remove()
