"""The grad-mode switches: no_grad, enable_grad, set_grad_enabled and inference_mode, each a context
manager and a decorator (PyTorch's torch.autograd.grad_mode, whose module name their reprs show).

A decorated function runs inside a fresh copy of the switch (``clone()``); a decorated generator
function gets a generator that switches the mode around each of its steps only (the caller's code
between two ``next()`` calls runs in the caller's mode), as PyTorch's decorators do.
"""

from __future__ import annotations

import functools
import inspect
import warnings

from .. import _C
from .._type_names import type_name

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "inference_mode"]


def _set_grad_enabled_checked(mode) -> None:
    """_C.set_grad_enabled, refusing anything but a bool with the TypeError of PyTorch's parser."""
    if not isinstance(mode, bool):
        raise TypeError(f"set_grad_enabled(): argument 'enabled' (position 1) must be bool, not {type_name(mode)}")
    _C.set_grad_enabled(mode)


def _in_context(make_ctx, func):
    """func wrapped to run inside make_ctx() (a new context each call). A generator function's
    generator runs each step (the first next(), every send() and throw()) inside a context of its own."""
    if inspect.isgeneratorfunction(func):
        @functools.wraps(func)
        def generator_context(*args, **kwargs):
            with make_ctx():
                gen = func(*args, **kwargs)
            step, arg = gen.send, None  # the next step: send(value) or throw(exception)
            while True:
                try:
                    with make_ctx():
                        value = step(arg)
                except StopIteration as stop:  # the generator returned: so does this one
                    return stop.value
                try:
                    step, arg = gen.send, (yield value)
                except GeneratorExit:
                    with make_ctx():
                        gen.close()
                    raise
                except BaseException as exc:  # thrown in by the caller: pass it on
                    step, arg = gen.throw, exc

        return generator_context

    @functools.wraps(func)
    def decorate_context(*args, **kwargs):
        with make_ctx():
            return func(*args, **kwargs)

    return decorate_context


class _DecoratorContextManager:
    """Base of the switches: a context manager that also decorates functions (see the module doc)."""

    def __call__(self, orig_func):  # PyTorch's parameter name, which its TypeError names
        if inspect.isclass(orig_func):
            warnings.warn("Decorating classes is deprecated and will be disabled in future versions. You should only "
                          "decorate functions or methods. To preserve the current behavior of class decoration, you "
                          "can directly decorate the `__init__` method and nothing else.", FutureWarning, stacklevel=2)
            cls = orig_func
            orig_func = lambda *args, **kwargs: cls(*args, **kwargs)  # noqa: E731
        return _in_context(self.clone, orig_func)

    def clone(self):
        """A new switch like this one (a decorated function enters a fresh one on each call)."""
        return self.__class__()


class _NoParamDecoratorContextManager(_DecoratorContextManager):
    """no_grad / enable_grad: also usable as a decorator without parentheses."""

    def __new__(cls, orig_func=None):
        if orig_func is None:
            return super().__new__(cls)
        return cls()(orig_func)


class no_grad(_NoParamDecoratorContextManager):
    """Ops inside record no graph (parameter updates, evaluation)."""

    def __init__(self) -> None:
        self.prev = False

    def __enter__(self) -> None:  # `with no_grad() as g` binds None, as in PyTorch
        self.prev = _C.is_grad_enabled()
        _C.set_grad_enabled(False)

    def __exit__(self, *exc) -> None:
        _C.set_grad_enabled(self.prev)


class enable_grad(_NoParamDecoratorContextManager):
    """Turns recording back on inside a no_grad block."""

    def __enter__(self) -> None:
        self.prev = _C.is_grad_enabled()
        _C.set_grad_enabled(True)

    def __exit__(self, *exc) -> None:
        _C.set_grad_enabled(self.prev)


class set_grad_enabled(_DecoratorContextManager):
    """set_grad_enabled(False) switches grad mode at once and, used with `with`, restores it after;
    as a decorator it leaves the mode as it was and switches it for each call."""

    def __init__(self, mode: bool) -> None:
        self.prev = _C.is_grad_enabled()
        self.mode = mode
        _set_grad_enabled_checked(mode)

    def __call__(self, orig_func):
        _C.set_grad_enabled(self.prev)  # the switch made by __init__ was for a `with`, not for the decorator
        return super().__call__(orig_func)

    def __enter__(self) -> None:
        _C.set_grad_enabled(self.mode)

    def __exit__(self, *exc) -> None:
        _C.set_grad_enabled(self.prev)

    def __repr__(self) -> str:
        return f"fasttensor.autograd.grad_mode.set_grad_enabled(mode={self.mode})"

    __str__ = __repr__

    def clone(self) -> "set_grad_enabled":
        return self.__class__(self.mode)


_inference_mode = [False]  # inside inference_mode(True), until its exit or an inference_mode(False)


def _inference_mode_enabled() -> bool:
    return _inference_mode[0]


class inference_mode(_DecoratorContextManager):
    """Like no_grad (fasttensor has no separate inference tensors); is_inference_mode_enabled()
    says whether one is active. inference_mode(False) turns grad mode on, as PyTorch's."""

    def __new__(cls, mode=True):
        if isinstance(mode, bool):
            return super().__new__(cls)
        return cls()(mode)  # @inference_mode without parentheses

    def __init__(self, mode: bool = True) -> None:
        self.mode = mode

    def __enter__(self) -> None:
        self._prev = (_C.is_grad_enabled(), _inference_mode[0])
        _inference_mode[0] = self.mode
        _C.set_grad_enabled(not self.mode)

    def __exit__(self, *exc) -> None:
        _C.set_grad_enabled(self._prev[0])
        _inference_mode[0] = self._prev[1]

    def clone(self) -> "inference_mode":
        return self.__class__(self.mode)
