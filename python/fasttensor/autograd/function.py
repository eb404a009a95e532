"""autograd.Function: an op whose forward and backward are Python code.

    class Exp(Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, grad):
            (y,) = ctx.saved_tensors
            return grad * y

    Exp.apply(x)

forward runs without recording a graph; apply then gives the output one node
(named ``<ClassName>Backward``) whose backward the C++ engine calls with the
output's gradient. One tensor output per Function (several outputs: not yet).
"""

from __future__ import annotations

from typing import Any, Tuple

from .. import _C

Tensor = _C.Tensor


class FunctionCtx:
    """The ``ctx`` of forward and backward: tensors saved for backward and what apply knows."""

    def __init__(self, needs_input_grad: Tuple[bool, ...]):
        self.needs_input_grad = needs_input_grad
        self._saved: Tuple[Any, ...] = ()
        self._versions: Tuple[Any, ...] = ()
        self._non_differentiable = False
        self.materialize_grads = True

    def save_for_backward(self, *tensors) -> None:
        for t in tensors:
            if t is not None and not isinstance(t, Tensor):
                raise TypeError("save_for_backward can only save variables, but argument "
                                f"{tensors.index(t)} is of type {type(t).__name__}")
        self._saved = tensors
        self._versions = tuple(None if t is None else t._version for t in tensors)

    @property
    def saved_tensors(self) -> Tuple[Any, ...]:
        """The saved tensors; an error if one was modified in place since it was saved (as torch)."""
        for t, v in zip(self._saved, self._versions):
            if t is not None and t._version != v:
                raise RuntimeError("one of the variables needed for gradient computation has been modified by an "
                                   f"inplace operation: is at version {t._version}; expected version {v} instead.")
        return self._saved

    def mark_non_differentiable(self, *outputs) -> None:
        self._non_differentiable = True

    def mark_dirty(self, *tensors) -> None:
        raise NotImplementedError("fasttensor: autograd.Function ctx.mark_dirty (in-place forward) is not supported")

    def set_materialize_grads(self, value: bool) -> None:
        self.materialize_grads = bool(value)


class Function:
    """Subclass with static ``forward(ctx, *args)`` and ``backward(ctx, grad_output)``; call
    ``YourFunction.apply(*args)``. backward returns one gradient (or None) per forward argument."""

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for your custom "
                                  "autograd.Function to use it with backward mode AD.")

    def __init__(self, *args, **kwargs):
        raise RuntimeError("Legacy autograd function with non-static forward method is deprecated. Please use new-style "
                           "autograd function with static forward method. (Example: "
                           "https://pytorch.org/docs/stable/autograd.html#torch.autograd.Function)")

    @classmethod
    def apply(cls, *args, **kwargs):
        needs = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        ctx = FunctionCtx(needs)
        from . import no_grad

        with no_grad():
            out = cls.forward(ctx, *args, **kwargs)
        returned = out
        if not (_C.is_grad_enabled() and any(needs)) or ctx._non_differentiable:
            return out
        if not isinstance(out, Tensor):
            raise NotImplementedError("fasttensor: an autograd.Function must return one tensor (several outputs are "
                                      f"not supported yet), got {type(out).__name__}")
        if any(out is a for a in args):
            out = out.detach()  # an input returned as is: the output is a new alias of it
        # The output, if saved, is kept as an alias without history: holding `out` itself would tie the
        # node to a tensor that holds the node (a cycle Python's collector cannot see through C++).
        ctx._saved = tuple(t.detach() if t is returned else t for t in ctx._saved)

        def backward(grad):
            if grad is None and ctx.materialize_grads:
                grad = _C._full(list(out.shape), 0, out.dtype, out.device, False)
            return cls.backward(ctx, grad)

        inputs = [a if isinstance(a, Tensor) else None for a in args]
        _C._record_python_function(out, inputs, backward, cls.__name__ + "Backward")
        return out

