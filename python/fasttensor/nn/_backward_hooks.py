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
        if isinstance(output, Tensor):
            tensors = [output]
        elif isinstance(output, (tuple, list)):
            tensors = [o for o in output if isinstance(o, Tensor)]
        else:
            return output
        if not (_C.is_grad_enabled() and any(t.requires_grad for t in tensors)):
            return output
        wrapped = iter(BackwardHookFunction.apply(self._on_output_grads, False, *tensors))
        if isinstance(output, Tensor):
            return next(wrapped)
        return type(output)(next(wrapped) if isinstance(o, Tensor) else o for o in output)

    def _on_output_grads(self, grads: tuple) -> tuple:
        for hook in self.pre_hooks:
            result = hook(self.module, grads)
            if result is not None:
                grads = _checked(result, len(grads), "Backward pre hook", "grad_output")
        self.grad_output = grads
        if not self.inputs_wrapped and self.hooks:
            # Nothing upstream needs a gradient: the hooks run now, with grad_input all None.
            warnings.warn("Full backward hook is firing when gradients are computed with respect to module outputs "
                          "since no inputs require gradients. See https://docs.pytorch.org/docs/main/generated/"
                          "torch.nn.Module.html#torch.nn.Module.register_full_backward_hook for more details.")
            grad_input = (None,) * self.n_args
            for hook in self.hooks:
                result = hook(self.module, grad_input, grads)
                if result is not None and not all(r is None for r in _checked(result, self.n_args, "Backward hook",
                                                                               "grad_input")):
                    raise RuntimeError("Backward hook for Modules where no input requires gradient should always "
                                       "return None or None for all gradients.")
        return grads

    def _on_input_grads(self, grads: tuple) -> tuple:
        grad_input: tuple = tuple(None for _ in range(self.n_args))
        placed = list(grad_input)
        for i, g in zip(self.positions, grads):
            placed[i] = g
        grad_input = tuple(placed)
        for hook in self.hooks:
            result = hook(self.module, grad_input, self.grad_output)
            if result is not None:
                grad_input = _checked(result, self.n_args, "Backward hook", "grad_input")
        return tuple(grad_input[i] for i in self.positions)


def _checked(result: Any, expected: int, who: str, what: str) -> tuple:
    """A hook's replacement gradients: a tuple (a lone tensor allowed) of the expected length."""
    if isinstance(result, Tensor):
        result = (result,)
    if not isinstance(result, (tuple, list)):
        raise TypeError(f"{who} must return None, a Tensor or a tuple of Tensors, but got {type(result).__name__}")
    if len(result) != expected:
        raise RuntimeError(f"{who} returned an invalid number of {what}, got {len(result)}, but expected {expected}")
    return tuple(result)
