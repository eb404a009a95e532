"""PyTorch's node names for ops we compose from others.

``mse_loss`` here is a mean of squares, so its result's node would be MeanBackward0; PyTorch has one
node, MseLossBackward0, and prints it with the tensor (``tensor(0.25, grad_fn=<MseLossBackward0>)``).
``grad_fn_named`` gives a composite's result node PyTorch's name. Only a node the call itself recorded
is renamed (never an input's, when the composite returns one unchanged); the gradient it computes is
the composite's, so only the name changes, and the nodes before it keep their own names."""

from __future__ import annotations

import functools

from . import _C


def grad_fn_named(name):
    """Decorator: the tensors fn returns (each tensor of a returned tuple) get their grad_fn named
    `name`, or name(*args, **kwargs) when it is a function (None: leave them)."""
    def wrap(fn):
        @functools.wraps(fn)
        def composite(*args, **kwargs):
            if not _C.is_grad_enabled():
                return fn(*args, **kwargs)
            since = _C._next_sequence_nr()
            out = fn(*args, **kwargs)
            node_name = name(*args, **kwargs) if callable(name) else name
            if node_name is not None:
                for t in out if isinstance(out, tuple) else (out,):
                    _C._name_grad_fn(t, node_name, since)
            return out
        return composite
    return wrap
