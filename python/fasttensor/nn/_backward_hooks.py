"""Module backward hooks (register_full_backward_hook / register_full_backward_pre_hook).

As PyTorch does it: one call of a hooked module passes its tensor arguments,
and later its tensor outputs, through an identity autograd.Function
(``BackwardHookFunction``). The outputs' identity node sees the gradients of
the outputs (pre-hooks may replace them), the arguments' identity node the
gradients of the arguments: there the hooks get ``(module, grad_input,
grad_output)`` and may replace ``grad_input``.
"""

from __future__ import annotations

import warnings
from typing import Any, Callable, Dict, List, Optional, Tuple

from .. import _C
from ..autograd.function import Function

Tensor = _C.Tensor


class BackwardHookFunction(Function):
    """Identity on its tensors; backward hands their gradients to ``on_grads`` and passes on its result."""

    @staticmethod
    def forward(ctx, on_grads: Callable, materialize: bool, *tensors: Tensor):
        ctx.on_grads = on_grads
        ctx.set_materialize_grads(materialize)
        ctx.mark_non_differentiable(*[t for t in tensors if not t.requires_grad])
        return tensors

    @staticmethod
    def backward(ctx, *grads):
        return (None, None) + tuple(ctx.on_grads(grads))


class BackwardHook:
    """The hooks' view of one call of ``module``: set up around forward, run during backward."""

    def __init__(self, module: Any, hooks: Dict[int, Callable], pre_hooks: Dict[int, Callable]) -> None:
        self.module = module
        self.hooks = list(hooks.values())
        self.pre_hooks = list(pre_hooks.values())
        self.n_args = 0
        self.positions: List[int] = []  # where the tensor arguments are
        self.inputs_wrapped = False
        self.n_outputs = 0
        self.output_positions: List[int] = []  # where the tensor outputs are
        self.grad_output: Optional[Tuple[Any, ...]] = None

    def setup_input_hook(self, args: tuple) -> tuple:
        self.n_args = len(args)
        self.positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        tensors = [args[i] for i in self.positions]
        if not (_C.is_grad_enabled() and any(t.requires_grad for t in tensors)):
            return args
        self.inputs_wrapped = True
        wrapped = BackwardHookFunction.apply(self._on_input_grads, True, *tensors)
        new_args = list(args)
        for i, t in zip(self.positions, wrapped):
            new_args[i] = t
        return tuple(new_args)

    def setup_output_hook(self, output: Any) -> Any:
        """A tensor or a tuple's tensors pass through the identity (anything else, as in PyTorch, is left
        alone and fires no hook); grad_output has an entry per element of the tuple, None for non-tensors."""
        outputs = output if isinstance(output, tuple) else (output,)
        self.n_outputs = len(outputs)
        self.output_positions = [i for i, o in enumerate(outputs) if isinstance(o, Tensor)]
        tensors = [outputs[i] for i in self.output_positions]
        if not (_C.is_grad_enabled() and any(t.requires_grad for t in tensors)):
            return output
        wrapped = BackwardHookFunction.apply(self._on_output_grads, False, *tensors)
        new_outputs = list(outputs)
        for i, t in zip(self.output_positions, wrapped):
            new_outputs[i] = t
        return tuple(new_outputs) if isinstance(output, tuple) else new_outputs[0]

    def _on_output_grads(self, grads: tuple) -> tuple:
        placed = [None] * self.n_outputs
        for i, g in zip(self.output_positions, grads):
            placed[i] = g
        grad_output = tuple(placed)
        for hook in self.pre_hooks:
            result = hook(self.module, grad_output)
            if result is not None:
                grad_output = _checked(result, len(grad_output), "Backward pre hook", "grad_output")
        self.grad_output = grad_output
        if not self.inputs_wrapped and self.hooks:
            # Nothing upstream needs a gradient: the hooks run now, with grad_input all None.
            warnings.warn("Full backward hook is firing when gradients are computed with respect to module outputs "
                          "since no inputs require gradients. See https://docs.pytorch.org/docs/main/generated/"
                          "torch.nn.Module.html#torch.nn.Module.register_full_backward_hook for more details.")
            grad_input = (None,) * self.n_args
            for hook in self.hooks:
                result = hook(self.module, grad_input, grad_output)
                if result is not None and not (isinstance(result, tuple) and all(r is None for r in result)):
                    raise RuntimeError("Backward hook for Modules where no input requires gradient should always "
                                       "return None or None for all gradients.")
            self.grad_output = None
        return tuple(grad_output[i] for i in self.output_positions)

    def _on_input_grads(self, grads: tuple) -> tuple:
        if self.grad_output is None:
            # The gradient reached the inputs without passing the outputs (double backward): no hook.
            return grads
        placed: List[Any] = [None] * self.n_args
        for i, g in zip(self.positions, grads):
            placed[i] = g
        grad_input = tuple(placed)
        for hook in self.hooks:
            result = hook(self.module, grad_input, self.grad_output)
            if result is not None:
                grad_input = _checked(result, self.n_args, "Backward hook", "grad_input")
        self.grad_output = None
        return tuple(grad_input[i] for i in self.positions)


def _checked(result: Any, expected: int, who: str, what: str) -> tuple:
    """A hook's replacement gradients, of the expected length (PyTorch takes len() of whatever came back)."""
    if len(result) != expected:
        raise RuntimeError(f"{who} returned an invalid number of {what}, got {len(result)}, but expected {expected}")
    return tuple(result)
