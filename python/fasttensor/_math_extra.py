"""Elementwise functions and small reductions PyTorch has, composed of our ops: logit,
isposinf / isneginf, dist and msort. Each is exported at the top level (``__all__``) and, where
PyTorch has one, as a Tensor method (``install``), with ``logit_`` in place. (asinh, acosh, atanh
and erfc are C++ unary ops, bound with the others.)

logit keeps PyTorch's formula log(x / (1 - x)) in the input's dtype (torch's values, to an ulp
or two; like torch it loses relative accuracy near x = 0.5); its gradient is PyTorch's formula,
also where it gives inf or NaN at the boundaries, written with differentiable ops, so
create_graph=True gives second derivatives.
"""

from __future__ import annotations

import math

from . import _C
from ._grad_names import grad_fn_named
from ._exports import Exports
from ._creation import write_out
from ._functional import _dtype_display, _not_a_tensor, _scalar_on
from ._more import _CATEGORY, _inplace
from .autograd.function import Function

Tensor = _C.Tensor

_exports = Exports()
__all__, _METHODS, _export, install = _exports.names, _exports.methods, _exports.export, _exports.install


# --- Helpers ------------------------------------------------------------------------------------


def _check_tensor(name: str, input) -> None:
    if not isinstance(input, Tensor):
        raise _not_a_tensor(name, input)


def _floating(input):
    """input itself when floating, else (bool, integers) converted to the default float dtype."""
    if input.is_floating_point():
        return input
    return input._to_dtype(_C.get_default_dtype())


def _out(out, result, name: str):
    """PyTorch's out=: result written into out, which must be able to hold result's dtype."""
    if out is not None and isinstance(out, Tensor) and _CATEGORY[result.dtype] > _CATEGORY[out.dtype]:
        raise RuntimeError(f"result type {_dtype_display(result.dtype)} can't be cast to the desired output type "
                           f"{_dtype_display(out.dtype)}")
    return write_out(out, result, name)


# --- logit --------------------------------------------------------------------------------------


class Logit(Function):
    """log(x / (1 - x)), x first clamped to [eps, 1 - eps] when eps >= 0 (or NaN, which clamps
    nothing) is given. The gradient is torch's (its vectorized CPU kernel, which all but a
    tensor's last few elements go through, and its create_graph form): 1 / (x (1 - x)), so +-inf
    at 0 and 1 (-inf at -0.0); NaN outside [0, 1] without eps, 0 outside [eps, 1 - eps] with it.
    Under create_graph a negative eps also masks that way, as torch's differentiable form does."""

    _grad_fn_name = "LogitBackward0"

    @staticmethod
    def forward(ctx, x, eps):
        ctx.save_for_backward(x)
        ctx.eps = eps
        if eps is not None and not eps < 0:
            lo = _scalar_on(eps, x)  # in x's dtype, as torch's scalar_t lo and hi = 1 - lo
            hi = 1 - lo
            x = _C.where(x < lo, lo, _C.where(x > hi, hi, x))  # as torch, also for eps > 0.5; NaN stays
        return (x / (1 - x)).log()

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        eps = ctx.eps
        slope = grad / (x * (1 - x))
        masked_to_zero = eps is not None and (_C.is_grad_enabled() or not eps < 0)
        if not masked_to_zero:
            inside = (x >= 0) & (x <= 1)
            return _C.where(inside, slope, _scalar_on(math.nan, slope)), None
        lo = _scalar_on(eps, x)
        inside = (x >= lo) & (x <= 1 - lo)
        return _C.where(inside, slope, _scalar_on(0.0, slope)), None


@_export("logit")
def logit(input, eps=None, *, out=None):
    """log(p / (1 - p)), with p clamped to [eps, 1 - eps] first when eps is given (a negative eps
    means none, as torch); integers give the default float dtype."""
    _check_tensor("logit", input)
    return _out(out, Logit.apply(_floating(input), None if eps is None else float(eps)), "logit")


# --- isposinf, isneginf -------------------------------------------------------------------------


def _is_inf_of_sign(input, value: float, out, name: str):
    _check_tensor(name, input)
    if out is not None and isinstance(out, Tensor) and out.dtype != _C.bool:
        raise RuntimeError(f"{name} does not support non-boolean outputs.")
    if input.is_floating_point():
        result = input.detach() == value
    else:  # integers and bools are never infinite
        result = _C._full(list(input.shape), False, _C.bool, input.device, False)
    return write_out(out, result, name)


@_export("isposinf")
def isposinf(input, *, out=None):
    """True where input is +inf."""
    return _is_inf_of_sign(input, math.inf, out, "isposinf")


@_export("isneginf")
def isneginf(input, *, out=None):
    """True where input is -inf."""
    return _is_inf_of_sign(input, -math.inf, out, "isneginf")


# --- dist, msort --------------------------------------------------------------------------------


@_export("dist")
@grad_fn_named("DistBackward0")
def dist(input, other, p=2):
    """The p-norm of input - other (broadcast; dtypes promoted as subtraction): (sum |d|^p)^(1/p),
    the count of nonzero entries for p = 0, max |d| for inf, min |d| for -inf."""
    _check_tensor("dist", input)
    if not isinstance(other, Tensor):
        raise TypeError(f"dist(): argument 'other' (position 2) must be Tensor, not {type(other).__name__}")
    if isinstance(p, Tensor):
        p = p.item()
    if isinstance(p, bool) or not isinstance(p, (int, float)):
        raise TypeError(f"dist(): argument 'p' must be Number, not {type(p).__name__}")
    p = float(p)
    difference = input - other
    if not difference.is_floating_point():
        raise RuntimeError("norm(): input dtype should be either floating point or complex. Got "
                           f"{_dtype_display(difference.dtype)} instead.")
    if math.isinf(p) and difference.numel() == 0:
        raise RuntimeError(f"linalg.vector_norm cannot compute the {'' if p > 0 else '-'}inf norm on an empty "
                           "tensor because the operation does not have an identity")
    return difference.norm(p)


@_export("msort")
def msort(input, *, out=None):
    """input sorted along dim 0 (values only; NaN last; ties keep their order for the gradient)."""
    _check_tensor("msort", input)
    return write_out(out, input.sort(0, stable=True)[0], "msort")


# --- In-place methods -----------------------------------------------------------------------------


def _install_inplace() -> None:
    fn = _inplace(logit)
    fn.__name__ = "logit_"
    _METHODS["logit_"] = fn


_install_inplace()
