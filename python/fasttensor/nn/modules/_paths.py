"""How nn.modules gives our classes PyTorch's import paths."""

from typing import Any, Dict, Iterable


def adopt(namespace: Dict[str, Any], names: Iterable[str]) -> None:
    """Makes the module whose globals are ``namespace`` the home of the classes ``names`` (imported
    into it): their ``__module__`` becomes its name, e.g. fasttensor.nn.modules.activation as
    torch.nn.modules.activation. Type reprs and messages then print that path, and pickle, which
    finds a class by ``__module__`` + ``__qualname__``, finds it there."""
    for name in names:
        namespace[name].__module__ = namespace["__name__"]
