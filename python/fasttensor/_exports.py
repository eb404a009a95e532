"""How a module of extra functions publishes them: each function decorated with ``export`` goes into
the module's ``__all__`` (for ``from module import *`` in the package) and, under the method names
given, onto the Tensor class when ``install`` runs."""

from __future__ import annotations

import functools
import re
from typing import Callable, Dict, List

_POSITION = re.compile(r"\w+\(\): argument '\w+' \(position (\d+)\)")


def method_form(fn: Callable, raised_as: str = "", renumber: bool = True) -> Callable:
    """fn(input, ...) as the Tensor method input.fn(...). PyTorch numbers a method's arguments from
    the one after self, so fn's TypeError naming one of its own arguments by position (counted as in
    the function form: hypot(): argument 'other' (position 2)) says one less (position 1). raised_as:
    the name fn's messages give when it is not fn's own (an in-place method built on the function:
    hypot_'s message names hypot); the method's name replaces it. renumber=False: fn's messages count
    as a method's already (only the name is replaced)."""
    raised_as = raised_as or fn.__name__
    prefix = raised_as + "()"

    @functools.wraps(fn)
    def method(self, *args, **kwargs):
        try:
            return fn(self, *args, **kwargs)
        except TypeError as e:
            message = e.args[0] if len(e.args) == 1 and isinstance(e.args[0], str) else ""
            if message.startswith(prefix):
                match = _POSITION.match(message)
                if renumber and match and int(match.group(1)) > 1:
                    message = message[:match.start(1)] + str(int(match.group(1)) - 1) + message[match.end(1):]
                e.args = (fn.__name__ + message[len(raised_as):],)
            raise
    return method


class Exports:
    def __init__(self) -> None:
        self.names: List[str] = []  # the module's __all__
        self.methods: Dict[str, Callable] = {}

    def export(self, *method_names: str):
        """Registers a function in __all__ and, under each of method_names, as a Tensor method."""
        def register(fn):
            self.names.append(fn.__name__)
            for name in method_names:
                self.methods[name] = method_form(fn)
            return fn
        return register

    def install(self, T) -> None:
        """Adds the registered Tensor methods to the Tensor class (never replacing one it has)."""
        for name, fn in self.methods.items():
            if not hasattr(T, name):
                setattr(T, name, fn)
