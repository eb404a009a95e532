"""fasttensor.autograd: grad(), backward(), grad-mode switches and gradcheck.
The tape and the engine are C++ (csrc/autograd)."""

from __future__ import annotations

import functools
from typing import Optional, Sequence, Union

from .. import _C
from .gradcheck import gradcheck

Tensor = _C.Tensor


class _GradMode:
    """Base of no_grad / enable_grad / set_grad_enabled: context manager and decorator."""

    _mode: bool

    def __enter__(self) -> None:  # `with no_grad() as g` binds None, as in PyTorch
        self._prev = _C.is_grad_enabled()
        _C.set_grad_enabled(self._mode)

    def __exit__(self, *exc) -> None:
        _C.set_grad_enabled(self._prev)

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return fn(*args, **kwargs)

        return wrapper


class _NoArgsMode(_GradMode):
    """no_grad / enable_grad: also usable as a decorator without parentheses."""

    def __new__(cls, orig_func=None):
        if orig_func is None:
            return super().__new__(cls)
        if not callable(orig_func):
            raise TypeError(f"{cls.__name__}() takes no arguments")
        return cls()(orig_func)


class no_grad(_NoArgsMode):
    """Ops inside record no graph (parameter updates, evaluation)."""

    _mode = False


class enable_grad(_NoArgsMode):
    """Turns recording back on inside a no_grad block."""

    _mode = True


class inference_mode(_GradMode):
    """Like no_grad (fasttensor has no separate inference tensors)."""

    _mode = False

    def __new__(cls, mode=True):
        if callable(mode):  # @inference_mode without parentheses
            return cls()(mode)
        return super().__new__(cls)

    def __init__(self, mode: bool = True):
        self._mode = not mode


class set_grad_enabled(_GradMode):
    """set_grad_enabled(False) switches grad mode at once and, used with `with`, restores it after."""

    def __init__(self, mode: bool):
        self._prev = _C.is_grad_enabled()
        self._mode = bool(mode)
        _C.set_grad_enabled(self._mode)

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc) -> None:
        _C.set_grad_enabled(self._prev)

    def __call__(self, fn):
        mode = self._mode
        _C.set_grad_enabled(self._prev)

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)

        return wrapper


def _as_list(x) -> list:
    if x is None:
        return []
    if isinstance(x, Tensor):
        return [x]
    return list(x)


def _grads_for(outputs: list, grad_outputs: list) -> list:
    grads = []
    for i, out in enumerate(outputs):
        g = grad_outputs[i] if i < len(grad_outputs) else None
        if g is None:
            if out.numel() != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            g = _C._full(list(out.shape), 1, out.dtype, out.device, False)
        grads.append(g)
    return grads


def backward(tensors, grad_tensors=None, retain_graph: Optional[bool] = None, create_graph: bool = False) -> None:
    """Accumulates gradients of `tensors` into the leaves' .grad."""
    outputs = _as_list(tensors)
    grads = _grads_for(outputs, _as_list(grad_tensors))
    keep = create_graph if retain_graph is None else retain_graph
    _C._run_backward(outputs, grads, keep, create_graph, [], False)


def grad(outputs, inputs, grad_outputs=None, retain_graph: Optional[bool] = None, create_graph: bool = False,
         only_inputs: bool = True, allow_unused: Optional[bool] = None, is_grads_batched: bool = False,
         materialize_grads: bool = False):
    """Gradients of outputs w.r.t. inputs, returned (not accumulated into .grad)."""
    outs = _as_list(outputs)
    ins = _as_list(inputs)
    grads = _grads_for(outs, _as_list(grad_outputs))
    keep = create_graph if retain_graph is None else retain_graph
    result = _C._run_backward(outs, grads, keep, create_graph, ins, bool(allow_unused) or materialize_grads)
    if materialize_grads:
        result = [g if g is not None else _C._full(list(i.shape), 0, i.dtype, i.device, False)
                  for g, i in zip(result, ins)]
    return tuple(result)


from .function import Function, FunctionCtx  # noqa: E402 (uses no_grad above)
from . import functional  # noqa: E402 (uses grad and the grad modes above)

__all__ = ["backward", "grad", "no_grad", "enable_grad", "set_grad_enabled", "inference_mode", "gradcheck", "Function",
           "FunctionCtx"]


def Variable(data, requires_grad: bool = False, volatile: bool = False):  # noqa: N802 - PyTorch's name
    """PyTorch's pre-0.4 wrapper, now a tensor: a new tensor sharing data's memory, a leaf that
    requires grad as asked."""
    return data.detach().requires_grad_(requires_grad)
