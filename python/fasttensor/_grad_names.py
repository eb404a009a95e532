"""PyTorch's node names for ops we compose from others.

``mse_loss`` here is a mean of squares, so its result's node would be MeanBackward0; PyTorch has one
node, MseLossBackward0, and prints it with the tensor (``tensor(0.25, grad_fn=<MseLossBackward0>)``).
``grad_fn_named`` gives a composite's result node PyTorch's name. Only a node the call itself recorded
is renamed (never an input's, when the composite returns one unchanged); the gradient it computes is
the composite's, so only the name changes, and the nodes before it keep their own names."""

from __future__ import annotations

import functools
import sys

from . import _C

_Tensor, _next_sequence_nr, _is_grad_enabled = _C.Tensor, _C._next_sequence_nr, _C.is_grad_enabled


def grad_fn_named(name):
    """Decorator: the tensors fn returns (each tensor of a returned tuple) get their grad_fn named
    `name`, or name(*args, **kwargs) when it is a function (None: leave them)."""
    def wrap(fn):
        @functools.wraps(fn)
        def composite(*args, **kwargs):
            if not _is_grad_enabled():
                return fn(*args, **kwargs)
            since = _next_sequence_nr()
            out = fn(*args, **kwargs)
            results = out if isinstance(out, tuple) else (out,)
            # (the name is worked out only for a result with a history: nothing to do for most calls)
            for t in results:
                if isinstance(t, _Tensor) and t.requires_grad:
                    break
            else:
                return out
            node_name = name(*args, **kwargs) if callable(name) else name
            if node_name is not None:
                for t in results:
                    _C._name_grad_fn(t, node_name, since)
            return out
        return composite
    return wrap


_WRAPPER_CODE = grad_fn_named("")(lambda: None).__code__


def stacklevel(level: int) -> int:
    """The stacklevel for a warnings.warn call whose `level` would point at the user's line were no
    grad_fn_named wrapper in between: each wrapper frame in the way adds one (torch's warnings name the
    caller's line, and so do ours)."""
    frame, result, k = sys._getframe(1), level, 1
    while frame is not None and k < result:
        frame = frame.f_back
        if frame is not None and frame.f_code is _WRAPPER_CODE:
            result += 1
        k += 1
    return result
