"""How a module of extra functions publishes them: each function decorated with ``export`` goes into
the module's ``__all__`` (for ``from module import *`` in the package) and, under the method names
given, onto the Tensor class when ``install`` runs."""

from __future__ import annotations

from typing import Callable, Dict, List


class Exports:
    def __init__(self) -> None:
        self.names: List[str] = []  # the module's __all__
        self.methods: Dict[str, Callable] = {}

    def export(self, *method_names: str):
        """Registers a function in __all__ and, under each of method_names, as a Tensor method."""
        def register(fn):
            self.names.append(fn.__name__)
            for name in method_names:
                self.methods[name] = fn
            return fn
        return register

    def install(self, T) -> None:
        """Adds the registered Tensor methods to the Tensor class (never replacing one it has)."""
        for name, fn in self.methods.items():
            if not hasattr(T, name):
                setattr(T, name, fn)
