"""Results whose autograd node has a fixed answer, as PyTorch's: a zero gradient for each input
(a random draw, the identity of matrix_power(A, 0)), no gradient (slogdet's sign) or an error when
a backward reaches it (heaviside, unique). The node carries PyTorch's name, so the result prints as
PyTorch's."""

from __future__ import annotations

from . import _C

_ZEROS, _NONE = "zeros", "none"
_NODES: dict = {}


def _node(name: str, answer):
    """The Function class named `name` whose backward gives `answer`: _ZEROS, _NONE, or a function
    making the exception it raises."""
    key = (name, answer)
    node = _NODES.get(key)
    if node is None:
        from .autograd import Function

        class node(Function):  # noqa: N801 - named by _grad_fn_name
            _grad_fn_name = name

            @staticmethod
            def forward(ctx, result, *tensors):
                ctx.inputs = [(list(t.shape), t.dtype, t.device) for t in tensors]
                return result.clone()

            @staticmethod
            def backward(ctx, grad):
                if answer == _NONE:
                    return (None,) * (1 + len(ctx.inputs))
                if answer != _ZEROS:
                    raise answer()
                return (None,) + tuple(_C._full(shape, 0, dtype, device, False) for shape, dtype, device in ctx.inputs)

        _NODES[key] = node
    return node


def _record(result, inputs, name: str, answer):
    if not (_C.is_grad_enabled() and any(t.requires_grad for t in inputs)):
        return result
    return _node(name, answer).apply(result.detach(), *inputs)


def zero_gradient(result, inputs, name: str):
    """result, recorded (when an input requires grad) as a node named `name` that gives each input
    a zero gradient."""
    return _record(result, inputs, name, _ZEROS)


def no_gradient(result, inputs, name: str):
    """result, recorded (when an input requires grad) as a node named `name` that gives the inputs
    no gradient (their .grad stays None unless another path reaches them)."""
    return _record(result, inputs, name, _NONE)


def no_derivative(result, inputs, name: str, error):
    """result, recorded (when an input requires grad) as a node named `name` whose backward raises
    error() (an exception class, or a function making the exception)."""
    return _record(result, inputs, name, error)
