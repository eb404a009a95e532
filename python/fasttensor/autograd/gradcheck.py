"""gradcheck: finite differences in float64 against the analytic gradients."""

from __future__ import annotations

from typing import Callable, Sequence

import warnings

import numpy as np

from .. import _C


class GradcheckError(RuntimeError):
    pass


def _inputs_tuple(inputs):
    return (inputs,) if isinstance(inputs, _C.Tensor) else tuple(inputs)


def _outputs_tuple(out):
    return (out,) if isinstance(out, _C.Tensor) else tuple(out)


def gradcheck(fn: Callable, inputs, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True, **_ignored) -> bool:
    """Compares d(fn)/d(inputs) from backward with central differences.

    Inputs that require grad should be float64 (others get PyTorch's warning: float32 is too coarse
    for finite differences); at least one must require grad. Returns True, or raises GradcheckError
    with both Jacobians, as PyTorch (False instead with raise_exception=False).
    """
    from .. import autograd

    inputs = _inputs_tuple(inputs)
    diff_inputs = [x for x in inputs if isinstance(x, _C.Tensor) and x.requires_grad]
    for idx, x in enumerate(inputs):
        if isinstance(x, _C.Tensor) and x.requires_grad and x.dtype != _C.float64:
            warnings.warn(f"Input #{idx} requires gradient and is not a double precision floating point or complex. "
                          f"This check will likely fail if all the inputs are not of double precision floating "
                          f"point or complex. ", stacklevel=2)
    if not diff_inputs:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but none of them have "
                         "requires_grad=True.")
    outputs = _outputs_tuple(fn(*inputs))
    for oi, out in enumerate(outputs):
        if not out.requires_grad:
            continue
        n_out = out.numel()
        # Analytic Jacobian: one backward per output element.
        analytic = [np.zeros((x.numel(), n_out)) for x in diff_inputs]
        for j in range(n_out):
            g = _C._full(list(out.shape), 0, out.dtype, out.device, False)
            g.reshape(-1)[j] = 1.0
            grads = autograd.grad(out, diff_inputs, g, retain_graph=True, allow_unused=True)
            for k, gk in enumerate(grads):
                if gk is not None:
                    analytic[k][:, j] = gk.detach().cpu().numpy().reshape(-1)
        # Numerical Jacobian by central differences, perturbing in place.
        for k, x in enumerate(diff_inputs):
            numeric = np.zeros((x.numel(), n_out))
            flat = x.data.reshape(-1)
            for i in range(x.numel()):
                orig = float(flat[i].item())
                flat[i] = orig + eps
                plus = _outputs_tuple(fn(*inputs))[oi].detach().cpu().numpy().reshape(-1).astype(np.float64)
                flat[i] = orig - eps
                minus = _outputs_tuple(fn(*inputs))[oi].detach().cpu().numpy().reshape(-1).astype(np.float64)
                flat[i] = orig
                numeric[i, :] = (plus - minus) / (2 * eps)
            if not np.allclose(analytic[k], numeric, atol=atol, rtol=rtol):
                if not raise_exception:
                    return False
                # As PyTorch prints them: the numerical Jacobian in the output's dtype, the analytical one
                # in the input's.
                from .. import tensor

                raise GradcheckError(
                    f"Jacobian mismatch for output {oi:d} with respect to input {k:d},\n"
                    f"numerical:{tensor(numeric, dtype=out.dtype)}\nanalytical:{tensor(analytic[k], dtype=x.dtype)}\n")
    return True


def gradgradcheck(fn: Callable, inputs, grad_outputs=None, *, eps: float = 1e-6, atol: float = 1e-5,
                  rtol: float = 1e-3, gen_non_contig_grad_outputs: bool = False, raise_exception: bool = True,
                  **_ignored) -> bool:
    """gradcheck of the gradients of fn: the function (inputs, grad_outputs) -> grad of fn's outputs
    w.r.t. the inputs that require grad, by grad_outputs (random in [-1, 1) where none are given),
    built with create_graph so that its own backward can be compared with finite differences."""
    from .. import autograd, rand

    inputs = _inputs_tuple(inputs)
    if grad_outputs is None:
        outs = [o for o in _outputs_tuple(fn(*inputs)) if o.requires_grad]
        grad_outputs = tuple((rand(tuple(o.shape), dtype=o.dtype if o.is_floating_point() else _C.float64) * 2 - 1)
                             .requires_grad_() for o in outs)
    else:
        grad_outputs = _inputs_tuple(grad_outputs)
    n_out = len(grad_outputs)
    diff_inputs = {i for i, x in enumerate(inputs) if isinstance(x, _C.Tensor) and x.requires_grad}

    def grads_of_fn(*args):
        ins, gos = args[:-n_out], args[-n_out:]
        outs = [o for o in _outputs_tuple(fn(*ins)) if o.requires_grad]
        wrt = [x for i, x in enumerate(ins) if i in diff_inputs]
        got = autograd.grad(outs, wrt, gos, create_graph=True, allow_unused=True)
        return tuple(g for g in got if g is not None)

    return gradcheck(grads_of_fn, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
