"""fasttensor.autograd: grad(), backward(), grad-mode switches and gradcheck.
The tape and the engine are C++ (csrc/autograd)."""

from __future__ import annotations

import threading
import warnings
from collections.abc import Mapping
from typing import Optional

from .. import _C
from .._warn_once import warn_once
from . import anomaly_mode, grad_mode
from .anomaly_mode import detect_anomaly, set_detect_anomaly
from .grad_mode import (_inference_mode_enabled, enable_grad, inference_mode, no_grad,  # noqa: F401
                        set_grad_enabled)
from .gradcheck import gradcheck, gradgradcheck

Tensor = _C.Tensor


def _as_list(x) -> list:
    """A tensor or an iterable of tensors as a list (None: empty)."""
    if x is None:
        return []
    if isinstance(x, Tensor):
        return [x]
    return list(x)


def _grad_list(grads, n_outputs: int) -> list:
    """grad_tensors / grad_outputs as a list: None for each output, a tensor for the one output, else
    the items of the iterable (a number is not one: TypeError "'float' object is not iterable")."""
    if grads is None:
        return [None] * n_outputs
    if isinstance(grads, Tensor):
        return [grads]
    return list(grads)


def _inputs_list(inputs, fn_name: str) -> list:
    """backward's / grad's `inputs`: a tensor, an iterable of tensors or a dict (its values); never empty."""
    if isinstance(inputs, Tensor):
        return [inputs]
    if type(inputs) is dict:
        ins = list(inputs.values())
    elif isinstance(inputs, Mapping):
        raise TypeError(f"`inputs` argument to `{fn_name}()` must be a dict, not {type(inputs).__name__}. Other "
                        f"Mapping types are not supported.")
    else:
        ins = list(inputs)
    if not ins:
        raise RuntimeError(f"`inputs` argument to `{fn_name}()` cannot be empty.")
    return ins


def _grads_for(outputs: list, grad_outputs: list) -> list:
    """The gradient for each output: the one given, or ones for a scalar output that requires grad
    (the engine refuses an output that does not). Extra entries of either list are dropped here; the
    caller compares the counts."""
    grads = []
    for out, g in zip(outputs, grad_outputs):
        if g is None:
            if out.requires_grad:
                if out.numel() != 1:
                    raise RuntimeError("grad can be implicitly created only for scalar outputs")
                if not out.dtype.is_floating_point:
                    raise RuntimeError(f"grad can be implicitly created only for real scalar outputs but got "
                                       f"{out.dtype}")
                g = _C._full(list(out.shape), 1, out.dtype, out.device, False)
        elif not isinstance(g, Tensor):
            raise TypeError(f"gradients can be either Tensors or None, but got {type(g).__name__}")
        grads.append(g)
    return grads


def _check_counts(outputs: list, grads: list) -> None:
    if len(outputs) != len(grads):
        raise RuntimeError(f"got {len(outputs)} tensors and {len(grads)} gradients")


def _check_all_require_grad(grads: list) -> None:
    """The engine's error for an output left without a gradient: only one that does not require grad
    gets none (_grads_for), and the engine refuses it."""
    for i, g in enumerate(grads):
        if g is None:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a grad_fn")


def backward(tensors, grad_tensors=None, retain_graph: Optional[bool] = None, create_graph: bool = False,
             grad_variables=None, inputs=None) -> None:
    """Accumulates gradients of `tensors` into the leaves' .grad (only into `inputs`' when given)."""
    if grad_variables is not None:
        warnings.warn("`grad_variables` is deprecated. Use `grad_tensors` instead.", FutureWarning, stacklevel=2)
        if grad_tensors is not None:
            raise RuntimeError("`grad_tensors` and `grad_variables` (deprecated) arguments both passed to "
                               "`backward()`. Please only use `grad_tensors`.")
        grad_tensors = grad_variables
    ins = None if inputs is None else _inputs_list(inputs, "backward")
    outputs = _as_list(tensors)
    grads = _grads_for(outputs, _grad_list(grad_tensors, len(outputs)))
    _check_counts(outputs, grads)
    _check_all_require_grad(grads)
    keep = bool(create_graph if retain_graph is None else retain_graph)
    create_graph = bool(create_graph)
    if create_graph:  # as PyTorch's engine, once per process
        warn_once("Using backward() with create_graph=True will create a reference cycle between the parameter "
                  "and its gradient which can cause a memory leak. We recommend using autograd.grad when creating "
                  "the graph to avoid this. If you have to use this function, make sure to reset the .grad fields "
                  "of your parameters to None after use to break the cycle and avoid the leak.", stacklevel=3)
    with _collecting_accumulated() as accumulated:
        if ins is None:
            _C._run_backward(outputs, grads, keep, create_graph, [], False)
        else:
            got = _C._run_backward(outputs, grads, keep, create_graph, ins, True)
            with set_grad_enabled(create_graph):
                for t, g in zip(ins, got):
                    if g is not None:
                        old = _grad_quietly(t)
                        t.grad = g.clone() if old is None and not create_graph else (g if old is None else old + g)
    _run_post_accumulate_hooks(accumulated)


def _run_post_accumulate_hooks(accumulated: list) -> None:
    for tensor, hook in accumulated:
        result = hook(tensor)
        if result is not None:  # PyTorch's checks of a hook's result (a tensor is refused after them)
            if not isinstance(result, Tensor):
                raise TypeError(f"expected Variable, but hook returned '{type(result).__name__}'")
            raise RuntimeError("Tensor post accumulate grad hooks should return None.")


# Post-accumulate-grad hooks (Tensor.register_post_accumulate_grad_hook): a leaf's gradient hook notes
# (leaf, hook) in the list of the innermost backward call running; that call runs the hooks once its
# gradients are in .grad. Calls of autograd.grad (which fill no .grad) collect into a list of their own
# that nobody runs.
# The stack of collecting lists is per thread: each thread's backward calls collect their own leaves'.
_accumulating = threading.local()


def _collecting_stack() -> list:
    stack = getattr(_accumulating, "stack", None)
    if stack is None:
        stack = _accumulating.stack = []
    return stack


class _collecting_accumulated:
    def __enter__(self) -> list:
        stack = _collecting_stack()
        stack.append([])
        return stack[-1]

    def __exit__(self, *exc) -> None:
        _collecting_stack().pop()


def _note_accumulated(tensor: Tensor, hook) -> None:
    stack = _collecting_stack()
    if stack:
        stack[-1].append((tensor, hook))


def _grad_quietly(t: Tensor):
    """t.grad without the warning that reading a non-leaf's unset .grad gives (backward(inputs=...) fills
    it for a non-leaf input, as PyTorch's)."""
    if t.is_leaf or t.retains_grad:
        return t.grad
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return t.grad


def _tensor_backward(self: Tensor, gradient=None, retain_graph: Optional[bool] = None, create_graph: bool = False,
                     inputs=None) -> None:
    """Tensor.backward: autograd.backward of this tensor (see there). The training loop's loss.backward()
    (no arguments, a tensor that requires grad, no post-accumulate hook anywhere) goes straight to the
    binding's backward, which runs the same engine call without the argument handling (about 3 us)."""
    if (gradient is None and retain_graph is None and create_graph is False and inputs is None
            and self.requires_grad and not _post_accumulate_hooks_used):
        return _engine_backward(self)
    backward(self, gradient, retain_graph, create_graph, inputs=inputs)


def grad(outputs, inputs, grad_outputs=None, retain_graph: Optional[bool] = None, create_graph: bool = False,
         only_inputs: bool = True, allow_unused: Optional[bool] = None, is_grads_batched: bool = False,
         materialize_grads: bool = False):
    """Gradients of outputs w.r.t. inputs, returned (not accumulated into .grad). is_grads_batched: each
    grad_output has a leading batch dimension, one backward per entry, the results stacked. `inputs` a
    dict: the gradients come as a dict with its keys."""
    if materialize_grads and allow_unused is False:
        raise ValueError("Expected allow_unused to be True or not passed when materialize_grads=True, but got: "
                         "allow_unused=False.")
    if allow_unused is None:
        allow_unused = materialize_grads
    outs = _as_list(outputs)
    ins = _inputs_list(inputs, "grad")
    if not only_inputs:
        warnings.warn("only_inputs argument is deprecated and is ignored now (defaults to True). To accumulate "
                      "gradient for other parts of the graph, please use fasttensor.autograd.backward.",
                      FutureWarning, stacklevel=2)
    if is_grads_batched:
        result = _batched_grad(outs, ins, _as_list(grad_outputs), retain_graph, create_graph, allow_unused,
                               materialize_grads)
    else:
        grads = _grads_for(outs, _grad_list(grad_outputs, len(outs)))
        _check_counts(outs, grads)
        _check_all_require_grad(grads)
        keep = bool(create_graph if retain_graph is None else retain_graph)
        # Unused inputs are found here, to name the first one's index as PyTorch does.
        with _collecting_accumulated():  # grad accumulates nothing: no post-accumulate hook runs
            result = _C._run_backward(outs, grads, keep, bool(create_graph), ins, True)
        if not allow_unused:
            for i, g in enumerate(result):
                if g is None:
                    raise RuntimeError(f"The differentiated Tensor at index {i} appears to not have been used in "
                                       f"the graph. Set allow_unused=True if this is the desired behavior.")
        if materialize_grads:
            result = [g if g is not None else _C._full(list(i.shape), 0, i.dtype, i.device, bool(create_graph))
                      for g, i in zip(result, ins)]
        result = tuple(result)
    if type(inputs) is dict:
        return dict(zip(inputs.keys(), result))
    return result


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

__all__ = ["backward", "grad", "detect_anomaly", "set_detect_anomaly", "no_grad", "enable_grad", "set_grad_enabled",
           "inference_mode", "gradcheck", "gradgradcheck", "Function", "FunctionCtx"]


# Tensor.backward is autograd.backward (the binding's own form skips its argument checks and warning).
_engine_backward = Tensor.backward  # the binding's (the one defined in C++)
_post_accumulate_hooks_used = False  # set by Tensor.register_post_accumulate_grad_hook
Tensor.backward = _tensor_backward


def Variable(data, requires_grad: bool = False, volatile: bool = False):  # noqa: N802 - PyTorch's name
    """PyTorch's pre-0.4 wrapper, now a tensor: a new tensor sharing data's memory, a leaf that
    requires grad as asked."""
    return data.detach().requires_grad_(requires_grad)
