"""autograd.functional: Jacobians, Hessians and vector products of whole functions, as
torch.autograd.functional, built on autograd.grad.

    jacobian(f, x)        # f(x).shape + x.shape
    hessian(f, (x, y))    # ((H_xx, H_xy), (H_yx, H_yy)) of a scalar f
    vjp(f, x, v)          # (f(x), v^T J)
    jvp(f, x, v)          # (f(x), J v)

fasttensor has no forward-mode AD, so jvp, hvp and the ``strategy="forward-mode"`` Jacobian use
the double-backward trick, as PyTorch's jvp does: the backward ``g(u) = J^T u`` is linear in a
dummy ``u``, so differentiating ``g`` with respect to ``u`` along ``v`` gives ``J v``.

The functions never change the caller's tensors: ``func`` gets new tensor objects (detached
leaves that require grad, or, with create_graph, views that keep the caller's graph), and the
results are detached unless create_graph asks for a differentiable result.
"""

from __future__ import annotations

from typing import Any, Callable, List, Optional, Sequence, Tuple, Union

from .. import _C
from .._creation import eye, zeros, zeros_like
from .._functional import stack
from . import enable_grad, grad, set_grad_enabled

Tensor = _C.Tensor
Tensors = Union[Tensor, Tuple[Tensor, ...]]

__all__ = ["vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"]

_OUTPUTS = "outputs of the user-provided function"


# --- argument handling --------------------------------------------------------------------------

def _as_tuple(value: Any, arg_name: str, fn_name: str) -> Tuple[bool, Tuple[Tensor, ...]]:
    """(whether value was a tuple, value as a tuple of tensors); TypeError for anything else."""
    is_tuple = isinstance(value, tuple)
    values = value if is_tuple else (value,)
    for i, el in enumerate(values):
        if not isinstance(el, Tensor):
            which = f"the value at index {i}" if is_tuple else f"the given {arg_name}"
            raise TypeError(f"The {arg_name} given to {fn_name} must be either a Tensor or a tuple of Tensors "
                            f"but {which} has type {type(el)}.")
    return is_tuple, values


def _unpack(res: Sequence, is_tuple: bool) -> Any:
    """Undoes _as_tuple: a lone tensor comes back for a lone tensor."""
    return res if is_tuple else res[0]


def _unpack_nested(res: Sequence[Sequence], outputs_is_tuple: bool, inputs_is_tuple: bool) -> Any:
    """res[i][j] (output i, input j) with the levels for non-tuple outputs / inputs removed."""
    if not inputs_is_tuple:
        res = tuple(row[0] for row in res)
    return res if outputs_is_tuple else res[0]


def _fresh(tensors: Tuple[Tensor, ...], create_graph: bool, need_graph: bool) -> Tuple[Tensor, ...]:
    """New tensor objects for the caller's tensors: with create_graph, a view of those that require
    grad (results stay connected to the caller's graph); otherwise detached leaves that require
    grad when need_graph. New objects also tell func's inputs apart from tensors it captured."""
    return tuple(t.view_as(t) if create_graph and t.requires_grad else t.detach().requires_grad_(need_graph)
                 for t in tensors)


def _finish(res: Sequence, create_graph: bool) -> tuple:
    """The (nested) results, detached unless create_graph asked to keep their graph."""
    if create_graph:
        return tuple(res)
    return tuple(r.detach() if isinstance(r, Tensor) else _finish(r, create_graph) for r in res)


def _check_v(v: Tuple[Tensor, ...], refs: Tuple[Tensor, ...], refs_is_tuple: bool) -> None:
    """v must have one tensor per reference tensor, each of the same size."""
    if len(v) != len(refs):
        if refs_is_tuple:
            raise RuntimeError(f"v is a tuple of invalid length: should be {len(refs)} but got {len(v)}.")
        raise RuntimeError("The given v should contain a single Tensor.")
    for i, (el, ref) in enumerate(zip(v, refs)):
        if el.size() != ref.size():
            entry = f"Entry {i} in " if refs_is_tuple else ""
            raise RuntimeError(f"{entry}v has invalid size: should be {ref.size()} but got {el.size()}.")


def _prepare_v(v: Any, refs: Tuple[Tensor, ...], refs_is_tuple: bool, create_graph: bool, fn_name: str,
               none_error: str) -> Optional[Tuple[Tensor, ...]]:
    """v as a checked tuple; v=None is allowed only where refs is a single one-element tensor."""
    if v is None:
        if len(refs) != 1 or refs[0].numel() != 1:
            raise RuntimeError(none_error)
        return None
    _, v = _as_tuple(v, "v", fn_name)
    v = _fresh(v, create_graph, need_graph=False)
    _check_v(v, refs, refs_is_tuple)
    return v


_V_NONE_FOR_INPUT = ("The vector v can only be None if the input to the user-provided function is a single "
                     "Tensor with a single element.")


# --- strict mode and missing gradients ----------------------------------------------------------

def _check_requires_grad(tensors: Sequence[Optional[Tensor]], kind: str, strict: bool) -> None:
    """In strict mode, RuntimeError for an output / gradient / Jacobian that is independent of the inputs."""
    if not strict:
        return
    for i, t in enumerate(tensors):
        if t is None:  # only gradients can be missing
            raise RuntimeError(f"The output of the user-provided function is independent of input {i}."
                               " This is not allowed in strict mode.")
        if t.requires_grad:
            continue
        if kind == "jacobian":
            raise RuntimeError(
                "While computing the hessian, found that the jacobian of the user-provided function with "
                f"respect to input {i} is independent of the input. This is not allowed in strict mode. You "
                "should ensure that your function is twice differentiable and that the jacobian depends on "
                "the inputs (this would be violated by a linear function for example).")
        if kind == "grad_inputs":
            raise RuntimeError(f"The gradient with respect to input {i} is independent of the inputs of the "
                               "user-provided function. This is not allowed in strict mode.")
        raise RuntimeError(f"Output {i} of the user-provided function does not require gradients. The outputs "
                           "must be computed in a differentiable manner from the input when running in strict mode.")


_MISSING = {
    "back": "The output of the user-provided function is independent of input {i}. This is not allowed in "
            "strict mode.",
    "back_trick": "The gradient with respect to the input is independent of entry {i} in the grad_outputs when "
                  "using the double backward trick to compute forward mode gradients. This is not allowed in "
                  "strict mode.",
    "double_back": "The jacobian of the user-provided function is independent of input {i}. This is not allowed "
                   "in strict mode.",
    "double_back_trick": "The hessian of the user-provided function is independent of entry {i} in the "
                         "grad_jacobian. This is not allowed in strict mode as it prevents from using the double "
                         "backward trick to replace forward mode AD.",
}


def _constant_error(i: int, second_order: bool) -> RuntimeError:
    what = "hessian" if second_order else "jacobian"
    return RuntimeError(f"The {what} of the user-provided function is independent of input {i}. This is not "
                        "allowed in strict mode when create_graph=True.")


def _zeros_for_missing(grads: Sequence[Optional[Tensor]], refs: Sequence[Tensor], strict: bool,
                       create_graph: bool, stage: str) -> Tuple[Tensor, ...]:
    """Missing gradients (None) become zeros shaped like refs, or a RuntimeError in strict mode; with
    strict and create_graph, a gradient that does not depend on the inputs is an error too."""
    res = []
    for i, (g, ref) in enumerate(zip(grads, refs)):
        if g is None:
            if strict:
                raise RuntimeError(_MISSING[stage].format(i=i))
            g = zeros_like(ref)
        elif strict and create_graph and not g.requires_grad:
            raise _constant_error(i, second_order="double" in stage)
        res.append(g)
    return tuple(res)


def _grad(outputs: Sequence[Optional[Tensor]], inputs: Sequence[Tensor],
          grad_outputs: Optional[Sequence[Optional[Tensor]]] = None, create_graph: bool = False,
          retain_graph: Optional[bool] = None) -> Tuple[Optional[Tensor], ...]:
    """autograd.grad over the outputs that exist and require grad (None for an input none of them
    reaches). grad_outputs are cast to their output's dtype, as PyTorch's engine does."""
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    outs, gouts = [], []
    for out, g in zip(outputs, grad_outputs):
        if out is not None and out.requires_grad:
            outs.append(out)
            gouts.append(g if g is None or g.dtype == out.dtype else g.to(out.dtype))
    if not outs:
        return (None,) * len(inputs)
    return grad(outs, list(inputs), gouts, retain_graph=retain_graph, create_graph=create_graph,
                allow_unused=True)


# --- vector products ----------------------------------------------------------------------------

def vjp(func: Callable[..., Tensors], inputs: Tensors, v: Optional[Tensors] = None, create_graph: bool = False,
        strict: bool = False) -> Tuple[Tensors, Tensors]:
    """(func(inputs), v^T J): the vector-Jacobian product, shaped like the inputs."""
    with enable_grad():
        inputs_is_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
        inputs = _fresh(inputs, create_graph, need_graph=True)
        outputs_is_tuple, outputs = _as_tuple(func(*inputs), _OUTPUTS, "vjp")
        _check_requires_grad(outputs, "outputs", strict)
        v = _prepare_v(v, outputs, outputs_is_tuple, create_graph, "vjp",
                       "The vector v can only be None if the user-provided function returns a single Tensor "
                       "with a single element.")
    with set_grad_enabled(create_graph or _C.is_grad_enabled()):
        grads = _grad(outputs, inputs, v, create_graph=create_graph)
        result = _zeros_for_missing(grads, inputs, strict, create_graph, "back")
    return (_unpack(_finish(outputs, create_graph), outputs_is_tuple),
            _unpack(_finish(result, create_graph), inputs_is_tuple))


def jvp(func: Callable[..., Tensors], inputs: Tensors, v: Optional[Tensors] = None, create_graph: bool = False,
        strict: bool = False) -> Tuple[Tensors, Tensors]:
    """(func(inputs), J v): the Jacobian-vector product, shaped like the outputs (double-backward trick)."""
    with enable_grad():
        inputs_is_tuple, inputs = _as_tuple(inputs, "inputs", "jvp")
        inputs = _fresh(inputs, create_graph, need_graph=True)
        v = _prepare_v(v, inputs, inputs_is_tuple, create_graph, "jvp", _V_NONE_FOR_INPUT)
        outputs_is_tuple, outputs = _as_tuple(func(*inputs), _OUTPUTS, "jvp")
        _check_requires_grad(outputs, "outputs", strict)
        # J^T u is linear in u: its value (zeros) never matters, only its graph.
        dummies = tuple(zeros_like(out, requires_grad=True) for out in outputs)
        grad_inputs = _grad(outputs, inputs, dummies, create_graph=True)
        _check_requires_grad(grad_inputs, "grad_inputs", strict)
    with set_grad_enabled(create_graph or _C.is_grad_enabled()):
        grads = _grad(grad_inputs, dummies, v, create_graph=create_graph)
        result = _zeros_for_missing(grads, outputs, strict, create_graph, "back_trick")
    return (_unpack(_finish(outputs, create_graph), outputs_is_tuple),
            _unpack(_finish(result, create_graph), outputs_is_tuple))


def _scalar_output(func: Callable[..., Tensors], inputs: Tuple[Tensor, ...], fn_name: str,
                   strict: bool) -> Tuple[Tensor, ...]:
    """func(*inputs) as a 1-tuple, after checking that it is a single one-element tensor."""
    outputs_is_tuple, outputs = _as_tuple(func(*inputs), _OUTPUTS, fn_name)
    _check_requires_grad(outputs, "outputs", strict)
    if outputs_is_tuple:
        raise RuntimeError(f"The function given to {fn_name} should return a single Tensor")
    if outputs[0].numel() != 1:
        raise RuntimeError(f"The Tensor returned by the function given to {fn_name} should contain a single element")
    return outputs


def vhp(func: Callable[..., Tensor], inputs: Tensors, v: Optional[Tensors] = None, create_graph: bool = False,
        strict: bool = False) -> Tuple[Tensor, Tensors]:
    """(func(inputs), v^T H) for a scalar func, shaped like the inputs."""
    with enable_grad():
        inputs_is_tuple, inputs = _as_tuple(inputs, "inputs", "vhp")
        inputs = _fresh(inputs, create_graph, need_graph=True)
        v = _prepare_v(v, inputs, inputs_is_tuple, create_graph, "vhp", _V_NONE_FOR_INPUT)
        outputs = _scalar_output(func, inputs, "vhp", strict)
        jac = _grad(outputs, inputs, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict)
    with set_grad_enabled(create_graph or _C.is_grad_enabled()):
        grads = _grad(jac, inputs, v, create_graph=create_graph)
        result = _zeros_for_missing(grads, inputs, strict, create_graph, "double_back")
    return _finish(outputs, create_graph)[0], _unpack(_finish(result, create_graph), inputs_is_tuple)


def hvp(func: Callable[..., Tensor], inputs: Tensors, v: Optional[Tensors] = None, create_graph: bool = False,
        strict: bool = False) -> Tuple[Tensor, Tensors]:
    """(func(inputs), H v) for a scalar func, shaped like the inputs (double-backward trick; equal to
    vhp for twice continuously differentiable functions, and slower)."""
    with enable_grad():
        inputs_is_tuple, inputs = _as_tuple(inputs, "inputs", "hvp")
        inputs = _fresh(inputs, create_graph, need_graph=True)
        v = _prepare_v(v, inputs, inputs_is_tuple, create_graph, "hvp", _V_NONE_FOR_INPUT)
        outputs = _scalar_output(func, inputs, "hvp", strict)
        jac = _grad(outputs, inputs, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict)
        dummies = tuple(zeros_like(inp, requires_grad=True) for inp in inputs)
        double_back = _grad(jac, inputs, dummies, create_graph=True)
    with set_grad_enabled(create_graph or _C.is_grad_enabled()):
        grads = _grad(double_back, dummies, v, create_graph=create_graph)
        result = _zeros_for_missing(grads, inputs, strict, create_graph, "double_back_trick")
    return _finish(outputs, create_graph)[0], _unpack(_finish(result, create_graph), inputs_is_tuple)


# --- Jacobian and Hessian -----------------------------------------------------------------------

def _jacobian_reverse(outputs: Tuple[Tensor, ...], inputs: Tuple[Tensor, ...], create_graph: bool,
                      strict: bool, vectorize: bool) -> Tuple[Tuple[Tensor, ...], ...]:
    """J[i][j] of output i and input j, one backward per output element (a row of J). Each block is
    stacked on its own; with vectorize, as PyTorch's one batched backward per input, the rows of all
    outputs are stacked and then split (so an input's blocks share their requires_grad)."""
    rows: List[List[List[Tensor]]] = [[[] for _ in inputs] for _ in outputs]  # rows[i][j]: gradients
    for i, out in enumerate(outputs):
        flat = out.reshape(-1)
        for k in range(out.numel()):
            grads = _grad((flat[k],), inputs, retain_graph=True, create_graph=create_graph)
            for j, (g, inp) in enumerate(zip(grads, inputs)):
                if g is None:
                    if strict:
                        raise RuntimeError(f"Output {i} of the user-provided function is independent of input {j}."
                                           " This is not allowed in strict mode.")
                    g = zeros_like(inp)
                elif strict and create_graph and not g.requires_grad:
                    raise _constant_error(j, second_order=False)
                rows[i][j].append(g)
    if not vectorize:
        return tuple(tuple(stack(rows[i][j], dim=0).view(out.size() + inp.size()) for j, inp in enumerate(inputs))
                     for i, out in enumerate(outputs))
    numels = [out.numel() for out in outputs]
    per_input = [stack([g for r in rows for g in r[j]], dim=0).split(numels, dim=0) for j in range(len(inputs))]
    return tuple(tuple(per_input[j][i].view(out.size() + inp.size()) for j, inp in enumerate(inputs))
                 for i, out in enumerate(outputs))


def _jacobian_forward(func: Callable[..., Tensors], inputs: Any, strict: bool, vectorize: bool,
                      keep_graph: bool) -> Any:
    """jacobian(..., strategy="forward-mode"): one Jacobian-vector product per input element (a column
    of J), by the double-backward trick. As in PyTorch the blocks have the outputs' dtypes, come in
    lists where there are tuples, and are split from one tensor per output. Like PyTorch's forward
    AD, when grad mode is on and an input requires grad (or always with keep_graph), the blocks of
    a differentiable output keep a graph."""
    if strict:
        raise RuntimeError('torch.autograd.functional.jacobian: `strict=True` and `strategy="forward-mode"` are '
                           'not supported together (yet). Please either set `strict=False` or '
                           '`strategy="reverse-mode"`.')
    inputs_is_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
    if not vectorize:
        raise NotImplementedError("Computing Jacobian using forward-AD or forward-over-reverse Hessian is"
                                  "only implemented for `vectorize=True`.")
    for inp in inputs:
        if not inp.is_floating_point():
            raise ValueError(f"Expected primal to be floating point or complex, but got: {inp.dtype}")
    keep_graph = keep_graph or (_C.is_grad_enabled() and any(inp.requires_grad for inp in inputs))
    with enable_grad():
        inputs = _fresh(inputs, keep_graph, need_graph=True)
        outputs_is_tuple, outputs = _as_tuple(func(*inputs), _OUTPUTS, "jacobian")
        linked = [i for i, out in enumerate(outputs) if out.requires_grad]
        dummies = [zeros_like(outputs[i], requires_grad=True) for i in linked]
        grad_inputs = _grad([outputs[i] for i in linked], inputs, dummies, create_graph=True)
        columns: List[List[Tensor]] = [[] for _ in outputs]  # columns[i]: J v of output i, v over all inputs
        for inp, grad_inp in zip(inputs, grad_inputs):
            basis = eye(inp.numel(), dtype=inp.dtype, device=inp.device)
            for k in range(inp.numel()):
                jv = dict(zip(linked, _grad((grad_inp,), dummies, (basis[k].view_as(inp),), retain_graph=True,
                                            create_graph=keep_graph)))
                for i, out in enumerate(outputs):
                    columns[i].append(zeros_like(out) if jv.get(i) is None else jv[i])
    numels = [inp.numel() for inp in inputs]
    jac = []
    for out, cols in zip(outputs, columns):
        whole = stack(cols, dim=-1) if cols else zeros(out.size() + (0,), dtype=out.dtype, device=out.device)
        if keep_graph and out.requires_grad and not whole.requires_grad:
            whole.requires_grad_()  # PyTorch's tangent of a differentiable output has a graph, even a constant one
        jac.append([b.reshape(out.size() + inp.size()) for b, inp in zip(whole.split(numels, dim=-1), inputs)])
    return _unpack_nested(jac, outputs_is_tuple, inputs_is_tuple)


def jacobian(func: Callable[..., Tensors], inputs: Tensors, create_graph: bool = False, strict: bool = False,
             vectorize: bool = False, strategy: str = "reverse-mode") -> Any:
    """The Jacobian of func at inputs: J[i][j] has shape outputs[i].shape + inputs[j].shape and the
    input's dtype, a tensor / tuple / tuple of tuples as inputs and outputs are tensors or tuples.
    vectorize=True gives the same result (computed row by row: fasttensor has no vmap).
    strategy="forward-mode" (needs vectorize=True) computes it a column at a time."""
    return _jacobian(func, inputs, create_graph, strict, vectorize, strategy)


def _jacobian(func: Callable[..., Tensors], inputs: Any, create_graph: bool, strict: bool, vectorize: bool,
              strategy: str, forward_keeps_graph: bool = False) -> Any:
    """jacobian(); forward_keeps_graph: a forward-mode result keeps its graph in any case."""
    if strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode". Hint: If your '
                             'function has more outputs than inputs, "forward-mode" tends to be more performant. '
                             'Otherwise, prefer to use "reverse-mode".')
    if strategy == "forward-mode":
        if create_graph:
            raise NotImplementedError('torch.autograd.functional.jacobian: `create_graph=True` and '
                                      '`strategy="forward-mode"` are not supported together (yet). Please either '
                                      'set `create_graph=False` or `strategy="reverse-mode"`.')
        return _jacobian_forward(func, inputs, strict, vectorize, forward_keeps_graph)
    with enable_grad():
        inputs_is_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
        inputs = _fresh(inputs, create_graph, need_graph=True)
        outputs_is_tuple, outputs = _as_tuple(func(*inputs), _OUTPUTS, "jacobian")
        _check_requires_grad(outputs, "outputs", strict)
        if vectorize and strict:
            raise RuntimeError("torch.autograd.functional.jacobian: `strict=True` and `vectorized=True` are not "
                               "supported together. Please either set `strict=False` or `vectorize=False`.")
        jac = _jacobian_reverse(outputs, inputs, create_graph, strict, vectorize)
    return _unpack_nested(_finish(jac, create_graph), outputs_is_tuple, inputs_is_tuple)


def hessian(func: Callable[..., Tensor], inputs: Tensors, create_graph: bool = False, strict: bool = False,
            vectorize: bool = False, outer_jacobian_strategy: str = "reverse-mode") -> Any:
    """The Hessian of a scalar func: the Jacobian of its gradient. H[i][j] has shape
    inputs[i].shape + inputs[j].shape; a lone tensor for a lone input, else a tuple of tuples."""
    inputs_is_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")
    if outer_jacobian_strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode".')

    def scalar_func(*inp: Tensor) -> Tensor:
        return _scalar_output(func, inp, "hessian", strict)[0].squeeze()

    def gradient(*inp: Tensor) -> Tuple[Tensor, ...]:
        jac = jacobian(scalar_func, inp, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict)
        return jac

    # PyTorch's forward-over-reverse makes its dual inputs require grad, so that Hessian keeps a graph.
    res = _jacobian(gradient, inputs, create_graph, strict, vectorize, outer_jacobian_strategy,
                    forward_keeps_graph=True)
    return _unpack_nested(res, inputs_is_tuple, inputs_is_tuple)
