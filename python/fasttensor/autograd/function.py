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
output's gradient.

Several outputs (a tuple): the engine's nodes have one output each, so every
differentiable output gets a node of its own that only hands its gradient
over, and one shared node, below them all, calls ``backward`` once with every
output's gradient (zeros for outputs that got none, or None after
``ctx.set_materialize_grads(False)``). ``ctx.mark_dirty(x)`` for an input
changed in place by forward: apply returns ``x`` itself with the Function as
its new grad_fn.
"""

from __future__ import annotations

import functools
import warnings
from typing import Any, Optional, Tuple

from .. import _C
from . import no_grad  # (autograd imports this module once no_grad is defined)

Tensor = _C.Tensor


class FunctionCtx:
    """The ``ctx`` of forward and backward: tensors saved for backward and what apply knows."""

    def __init__(self, needs_input_grad: Tuple[bool, ...]):
        self.needs_input_grad = needs_input_grad
        self._saved: Tuple[Any, ...] = ()
        self._unpacked: Optional[Tuple[Any, ...]] = None
        self._non_differentiable: Tuple[Any, ...] = ()
        self._dirty: Tuple[Any, ...] = ()
        self.materialize_grads = True

    def save_for_backward(self, *tensors) -> None:
        for i, t in enumerate(tensors):
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(f"save_for_backward can only save variables, but argument {i} is of type "
                                f"{type(t).__name__}")
        self._saved = tensors

    @property
    def saved_tensors(self) -> Tuple[Any, ...]:
        """The saved tensors. In backward they come from the node, which checked that none was modified in
        place since forward ended (and refuses after the graph was freed), as torch."""
        return self._unpacked if self._unpacked is not None else self._saved

    def mark_non_differentiable(self, *outputs) -> None:
        self._non_differentiable = outputs

    def mark_dirty(self, *tensors) -> None:
        self._dirty = tensors

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

    @staticmethod
    def setup_context(ctx, inputs, output):
        """PyTorch 2's split style: a Function that defines this has ``forward(*args)`` without ctx, and
        this fills ctx from the inputs and the output."""
        raise NotImplementedError("setup_context is not implemented.")

    # The other name of backward: a Function may define either (not both).
    vjp = backward

    def __init__(self, *args, **kwargs):
        warnings.warn(f"{self.__class__} should not be instantiated. Methods on autograd functions are all static, "
                      f"so you should invoke them on the class itself. Instantiating an autograd function will raise "
                      f"an error in a future version of PyTorch.", DeprecationWarning, stacklevel=2)

    def __call__(self, *args, **kwargs):
        raise RuntimeError("Legacy autograd function with non-static forward method is deprecated. Please use new-style "
                           "autograd function with static forward method. (Example: "
                           "https://pytorch.org/docs/stable/autograd.html#torch.autograd.Function)")

    @classmethod
    def _ctx_class(cls) -> type:
        """The class of this Function's ctx: a FunctionCtx named as its node (``ExpBackward``), as in PyTorch,
        where ctx is the node."""
        ctx_cls = cls.__dict__.get("_backward_cls")
        if ctx_cls is None:
            ctx_cls = type(cls.__name__ + "Backward", (FunctionCtx,), {"_forward_cls": cls})
            cls._backward_cls = ctx_cls
        return ctx_cls

    @classmethod
    def _user_backward(cls):
        """backward, or vjp where the Function defines that instead."""
        backward_fn, vjp_fn = cls.backward, cls.vjp
        if backward_fn is not Function.backward and vjp_fn is not Function.vjp:
            raise RuntimeError("Implementing both 'backward' and 'vjp' for a custom Function is not allowed. You should "
                               "only implement one of them.")
        return vjp_fn if vjp_fn is not Function.vjp else backward_fn

    @classmethod
    def apply(cls, *args, **kwargs):
        needs = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        ctx = cls._ctx_class()(needs)
        with no_grad():
            if cls.setup_context is not Function.setup_context:
                out = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, out)
            else:
                out = cls.forward(ctx, *args, **kwargs)
        if not (_C.is_grad_enabled() and any(needs)):
            return out
        outs = out if isinstance(out, tuple) else (out,)
        dirty = _checked_dirty(ctx, args, outs)

        def is_in(t, group) -> bool:
            return any(t is g for g in group)

        results = list(outs)
        differentiable = []
        for i, o in enumerate(outs):
            if not isinstance(o, Tensor):
                continue
            if is_in(o, args) and not is_in(o, dirty):
                results[i] = o.detach()  # an input returned as is: the output is a new alias of it
            if o.dtype.is_floating_point and not is_in(o, ctx._non_differentiable):
                differentiable.append(i)
        if not differentiable:
            return out
        inputs = [a if isinstance(a, Tensor) else None for a in args]
        # Our own Functions that stand for a PyTorch op carry that op's node name (MedianBackward0).
        name = cls.__dict__.get("_grad_fn_name") or cls.__name__ + "Backward"
        # The node keeps the saved tensors (their versions as forward ended). An output is saved as the
        # node's own output (holding it would tie the node to a tensor that holds the node, a cycle
        # Python's collector cannot see through C++); with several outputs, as an alias without history.
        saved, ctx._saved = ctx._saved, ()
        single = not isinstance(out, tuple)
        saved_is_output = [single and t is not None and t is results[0] for t in saved]
        if not single:
            saved = tuple(t.detach() if t is not None and is_in(t, outs) else t for t in saved)

        def zeros_like(o):
            return _C._full(list(o.shape), 0, o.dtype, o.device, False)

        def run_backward(grads, saved_now):
            ctx._unpacked = saved_now
            try:
                return cls._user_backward()(ctx, *grads)
            finally:
                ctx._unpacked = None

        if single:
            def backward(grad, saved_now):
                if grad is None and ctx.materialize_grads:
                    grad = zeros_like(outs[0])
                return run_backward((grad,), saved_now)

            _C._record_python_function(results[0], inputs, backward, name, list(saved), saved_is_output)
            return results[0]

        # One node per differentiable output hands its gradient to the shared node `hub` below them all,
        # which the engine runs once they all have run; the gradients travel beside the graph.
        arrived = {}
        hub = _C._full([], 0, _C.float32, results[differentiable[0]].device, False)
        hub_grad = _C._full([], 0, _C.float32, hub.device, False)

        def backward_all(_, saved_now):
            grads = []
            for i, o in enumerate(outs):
                g = arrived.pop(i, None)
                if g is None and isinstance(o, Tensor) and ctx.materialize_grads:
                    g = zeros_like(o)
                grads.append(g)
            return run_backward(grads, saved_now)

        _C._record_python_function(hub, inputs, backward_all, name, list(saved), [False] * len(saved))
        for i in differentiable:
            def hand_over(grad, _, i=i):
                arrived[i] = grad
                return hub_grad  # a gradient for the hub, so that the engine runs it

            _C._record_python_function(results[i], [hub], hand_over, name, [], [])
        return tuple(results)


def _checked_dirty(ctx: FunctionCtx, args, outs) -> Tuple[Any, ...]:
    """The tensors forward marked dirty, after torch's checks: inputs, returned, and not leaves
    requiring grad (an in-place change of those cannot be differentiated)."""
    for t in ctx._dirty:
        if not any(t is a for a in args):
            import warnings

            warnings.warn("ctx.mark_dirty() received a tensor that was not an input. Only input Tensors that have "
                          "been mutated should be passed to ctx.mark_dirty().")
            continue
        if not any(t is o for o in outs):
            raise RuntimeError("Some elements marked as dirty during the forward method were not returned as output. "
                               "The inputs that are modified inplace must all be outputs of the Function.")
        if t.is_leaf and t.requires_grad:
            raise RuntimeError("a leaf Variable that requires grad has been used in an in-place operation.")
        if t._is_view():
            raise NotImplementedError("fasttensor: ctx.mark_dirty() of a view (an in-place custom Function on a "
                                      "view) is not supported")
    return tuple(t for t in ctx._dirty if any(t is a for a in args))


class _DelayedError(Function):
    """The node once_differentiable puts on a backward's results when a graph of them is being built: it
    raises if that graph is ever differentiated."""

    _grad_fn_name = "DelayedError"

    @staticmethod
    def forward(ctx, *tensors):
        return tensors[0] if len(tensors) == 1 else tensors

    @staticmethod
    def backward(ctx, *grads):
        raise RuntimeError("trying to differentiate twice a function that was marked with @once_differentiable")


def once_differentiable(fn):
    """Decorator of a Function's backward that is not itself differentiable: it runs without recording a
    graph, and where a graph was asked for (create_graph), differentiating its results raises."""

    @functools.wraps(fn)
    def wrapper(ctx, *args, **kwargs):
        with no_grad():
            outputs = fn(ctx, *args, **kwargs)
        if not _C.is_grad_enabled():
            return outputs
        # Only gradients that require grad would have given the results a history.
        if not any(isinstance(a, Tensor) and a.requires_grad for a in args):
            return outputs
        outs = outputs if isinstance(outputs, tuple) else (outputs,)
        marked = [o.detach().requires_grad_() if o is not None else None for o in outs]
        return _DelayedError.apply(*marked)

    return wrapper
