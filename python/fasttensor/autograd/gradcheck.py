"""gradcheck: finite differences in float64 against the analytic gradients."""

from __future__ import annotations

from typing import Callable, Sequence

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

    Inputs that require grad must be float64 (as PyTorch warns, float32 is too
    coarse for finite differences). Returns True, or raises GradcheckError
    naming the input and the largest mismatch.
    """
    from .. import autograd

    inputs = _inputs_tuple(inputs)
    diff_inputs = [x for x in inputs if isinstance(x, _C.Tensor) and x.requires_grad]
    for x in diff_inputs:
        if x.dtype != _C.float64:
            raise GradcheckError(f"gradcheck expects float64 inputs that require grad, got {x.dtype}")
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
                err = np.abs(analytic[k] - numeric).max()
                if not raise_exception:
                    return False
                raise GradcheckError(
                    f"Jacobian mismatch for output {oi} with respect to input {k}: max abs difference {err:.3g}\n"
                    f"numerical:{numeric}\nanalytical:{analytic[k]}")
    return True
