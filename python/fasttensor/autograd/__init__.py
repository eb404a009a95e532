"""fasttensor.autograd: grad(), backward(), grad-mode switches and gradcheck.
The tape and the engine are C++ (csrc/autograd)."""

from __future__ import annotations

import functools
from typing import Optional, Sequence, Union

from .. import _C
from .gradcheck import gradcheck

Tensor = _C.Tensor


class _DecoratorContextManager:
    """Base of no_grad / enable_grad / set_grad_enabled: context manager and decorator."""

    _mode: bool

    def __enter__(self) -> None:  # `with no_grad() as g` binds None, as in PyTorch
        self._prev = _C.is_grad_enabled()
        _C.set_grad_enabled(self._mode)

    def __exit__(self, *exc) -> None:
        _C.set_grad_enabled(self._prev)

    def __call__(self, orig_func):  # PyTorch's parameter name, which its TypeError names
        @functools.wraps(orig_func)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return orig_func(*args, **kwargs)

        return wrapper


class _NoArgsMode(_DecoratorContextManager):
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


_inference_mode = [False]  # inside inference_mode(True), until its exit or an inference_mode(False)


def _inference_mode_enabled() -> bool:
    return _inference_mode[0]


class inference_mode(_DecoratorContextManager):
    """Like no_grad (fasttensor has no separate inference tensors); is_inference_mode_enabled()
    says whether one is active."""

    _mode = False

    def __new__(cls, mode=True):
        if callable(mode):  # @inference_mode without parentheses
            return cls()(mode)
        return super().__new__(cls)

    def __init__(self, mode: bool = True):
        self._mode = not mode

    def __enter__(self) -> None:
        super().__enter__()
        self._prev_inference = _inference_mode[0]
        _inference_mode[0] = not self._mode

    def __exit__(self, *exc) -> None:
        _inference_mode[0] = self._prev_inference
        super().__exit__(*exc)

    def __call__(self, orig_func):
        mode = not self._mode

        @functools.wraps(orig_func)
        def wrapper(*args, **kwargs):
            with inference_mode(mode):
                return orig_func(*args, **kwargs)

        return wrapper


class set_grad_enabled(_DecoratorContextManager):
    """set_grad_enabled(False) switches grad mode at once and, used with `with`, restores it after."""

    def __init__(self, mode: bool):
        self._prev = _C.is_grad_enabled()
        self._mode = bool(mode)
        _C.set_grad_enabled(self._mode)

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc) -> None:
        _C.set_grad_enabled(self._prev)

    def __call__(self, orig_func):
        mode = self._mode
        _C.set_grad_enabled(self._prev)

        @functools.wraps(orig_func)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return orig_func(*args, **kwargs)

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


def backward(tensors, grad_tensors=None, retain_graph: Optional[bool] = None, create_graph: bool = False,
             grad_variables=None, inputs=None) -> None:
    """Accumulates gradients of `tensors` into the leaves' .grad (only into `inputs`' when given)."""
    outputs = _as_list(tensors)
    grads = _grads_for(outputs, _as_list(grad_tensors if grad_tensors is not None else grad_variables))
    keep = create_graph if retain_graph is None else retain_graph
    if inputs is None:
        _C._run_backward(outputs, grads, keep, create_graph, [], False)
        return
    ins = _as_list(inputs)
    if not ins:
        raise RuntimeError("'inputs' argument to backward() cannot be empty.")
    got = _C._run_backward(outputs, grads, keep, create_graph, ins, True)
    with set_grad_enabled(create_graph):
        for t, g in zip(ins, got):
            if g is not None:
                t.grad = g.clone() if t.grad is None and not create_graph else (g if t.grad is None else t.grad + g)


def grad(outputs, inputs, grad_outputs=None, retain_graph: Optional[bool] = None, create_graph: bool = False,
         only_inputs: bool = True, allow_unused: Optional[bool] = None, is_grads_batched: bool = False,
         materialize_grads: bool = False):
    """Gradients of outputs w.r.t. inputs, returned (not accumulated into .grad). is_grads_batched: each
    grad_output has a leading batch dimension, one backward per entry, the results stacked."""
    if materialize_grads and allow_unused is False:
        raise ValueError("Expected allow_unused to be True or not passed when materialize_grads=True, but got: "
                         "allow_unused=False.")
    outs = _as_list(outputs)
    ins = _as_list(inputs)
    if not ins:
        raise RuntimeError("`inputs` argument to `grad()` cannot be empty.")
    if is_grads_batched:
        return _batched_grad(outs, ins, _as_list(grad_outputs), retain_graph, create_graph, allow_unused,
                             materialize_grads)
    grads = _grads_for(outs, _as_list(grad_outputs))
    keep = create_graph if retain_graph is None else retain_graph
    result = _C._run_backward(outs, grads, keep, create_graph, ins, bool(allow_unused) or materialize_grads)
    if materialize_grads:
        result = [g if g is not None else _C._full(list(i.shape), 0, i.dtype, i.device, create_graph)
                  for g, i in zip(result, ins)]
    return tuple(result)


def _batched_grad(outs: list, ins: list, grad_outputs: list, retain_graph, create_graph: bool, allow_unused,
                  materialize_grads: bool) -> tuple:
    """grad for each entry of the grad_outputs' leading dimension, stacked (None stays None)."""
    if len(grad_outputs) != len(outs) or any(g is None for g in grad_outputs):
        raise RuntimeError("If `is_grads_batched=True`, we interpret the first dimension of each grad_output as "
                           "the batch dimension. Every grad_output must be a Tensor.")
    sizes = {g.shape[0] if g.dim() > 0 else None for g in grad_outputs}
    for i, (g, o) in enumerate(zip(grad_outputs, outs)):
        if g.dim() == 0 or tuple(g.shape[1:]) != tuple(o.shape):
            raise RuntimeError("If `is_grads_batched=True`, we interpret the first dimension of each grad_output as "
                               f"the batch dimension. The sizes of the remaining dimensions are expected to match "
                               f"the shape of corresponding output, but a mismatch was detected: grad_output[{i}] has "
                               f"a shape of {g.shape[1:]} and output[{i}] has a shape of {o.shape}. If you only want "
                               f"some tensors in `grad_output` to be considered batched, consider using vmap.")
    (batch,) = sizes if len(sizes) == 1 else (None,)
    if batch is None:
        raise RuntimeError("If `is_grads_batched=True`, every grad_output must have the same batch size")
    rows = [grad(outs, ins, [g[b] for g in grad_outputs], retain_graph=True if b < batch - 1 else retain_graph,
                 create_graph=create_graph, allow_unused=allow_unused, materialize_grads=materialize_grads)
            for b in range(batch)]
    from .._functional import stack

    return tuple(None if any(r[k] is None for r in rows) else stack([r[k] for r in rows]) for k in range(len(ins)))


from .function import Function, FunctionCtx  # noqa: E402 (uses no_grad above)
from . import functional  # noqa: E402 (uses grad and the grad modes above)

__all__ = ["backward", "grad", "no_grad", "enable_grad", "set_grad_enabled", "inference_mode", "gradcheck", "Function",
           "FunctionCtx"]


def Variable(data, requires_grad: bool = False, volatile: bool = False):  # noqa: N802 - PyTorch's name
    """PyTorch's pre-0.4 wrapper, now a tensor: a new tensor sharing data's memory, a leaf that
    requires grad as asked."""
    return data.detach().requires_grad_(requires_grad)
