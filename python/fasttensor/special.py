"""fasttensor.special: PyTorch's torch.special functions of real tensors that fasttensor's ops give, or
that compose from them (xlog1py, entr, ndtr, log_ndtr, multigammaln); the rest of torch.special (i0,
ndtri, polygamma, the Bessel functions and orthogonal polynomials, zeta, ...) needs numerical kernels
fasttensor does not have, so those names are absent (AttributeError), not approximated.

Each function gives torch's values, dtypes (integers give the default float dtype) and node names
(xlog1py's SpecialXlog1PyBackward0, entr's SpecialEntrBackward0, ...)."""

from __future__ import annotations

import math
import sys

from . import _C
from ._functional import _dtype_display, _not_a_tensor, _scalar_on
from ._grad_names import grad_fn_named
from ._more import _EITHER_A_NUMBER, _as_tensor, _device_of, _float_dtype, _invalid_combination
from .autograd.function import Function

Tensor = _C.Tensor

__all__ = ["expit", "logit", "erf", "erfc", "erfinv", "exp2", "expm1", "log1p", "xlogy", "xlog1py", "logsumexp",
           "softmax", "log_softmax", "sinc", "round", "gammaln", "digamma", "psi", "entr", "ndtr", "log_ndtr",
           "multigammaln"]


def _tensor_argument(name: str, input):
    if not isinstance(input, Tensor):
        raise _not_a_tensor(f"special_{name}", input)
    return input


def _floating(input):
    """input, or input in the default float dtype when it is an integer or bool tensor."""
    return input if input.is_floating_point() else input._to_dtype(_C.get_default_dtype())


# --- the ones fasttensor has under their own names ---------------------------------------------------


def _same_as(name: str, target: str):
    """special.<name>: fasttensor.<target> (a function of one tensor)."""
    def function(input):
        # (the package's function, looked up at the call: the package has loaded by then)
        return getattr(sys.modules[__package__], target)(_tensor_argument(name, input))
    function.__name__ = name
    function.__doc__ = f"fasttensor.{target} (torch.special.{name})."
    return function


expit = _same_as("expit", "sigmoid")
erf = _same_as("erf", "erf")
erfc = _same_as("erfc", "erfc")
erfinv = _same_as("erfinv", "erfinv")
exp2 = _same_as("exp2", "exp2")
expm1 = _same_as("expm1", "expm1")
log1p = _same_as("log1p", "log1p")
sinc = _same_as("sinc", "sinc")
gammaln = _same_as("gammaln", "lgamma")
digamma = _same_as("digamma", "digamma")
psi = _same_as("psi", "digamma")


def logit(input, eps=None):
    """log(p / (1 - p)), p clamped to [eps, 1 - eps] when eps is given."""
    from . import logit as _logit
    return _logit(_tensor_argument("logit", input), eps)


def xlogy(input, other):
    """input * log(other), 0 where input is 0 (unless other is NaN)."""
    from . import xlogy as _xlogy
    return _xlogy(input, other)


def logsumexp(input, dim, keepdim=False):
    """log(sum(exp(input))) over dim, computed stably."""
    from . import logsumexp as _logsumexp
    return _logsumexp(_tensor_argument("logsumexp", input), dim, keepdim)


def softmax(input, dim, *, dtype=None):
    """softmax along dim (in dtype, when given)."""
    return _tensor_argument("softmax", input).softmax(dim, dtype=dtype)


def log_softmax(input, dim, *, dtype=None):
    """log_softmax along dim (in dtype, when given)."""
    return _tensor_argument("log_softmax", input).log_softmax(dim, dtype=dtype)


@grad_fn_named("RoundBackward1")
def round(input, *, decimals=0):  # noqa: A001 - torch's name
    """input rounded half to even to `decimals` decimal places (torch.special.round always takes the
    decimals form: a floating tensor only, and the node is RoundBackward1)."""
    _tensor_argument("round", input)
    if not input.is_floating_point():
        raise NotImplementedError(f'"round_vml_cpu" not implemented for \'{_dtype_display(input.dtype)}\'')
    return input.round(decimals=decimals)


# --- compositions ----------------------------------------------------------------------------------


def _xlog1py_name(input, other):
    if not isinstance(input, Tensor):
        return "SpecialXlog1PyBackward1"
    return "SpecialXlog1PyBackward0" if isinstance(other, Tensor) else "SpecialXlog1PyBackward2"


class _Xlog1py(Function):
    """x * log1p(y), 0 where x is 0 (unless y is NaN), with torch's gradients: xlog1py(grad, y) to x
    (also at x = 0, but 0 there for y <= -1) and grad * x / (1 + y) to y."""

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return _xlog1py_values(x, y)

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        grad_x = _C.where((x == 0) & (y <= -1), _scalar_on(0, grad), _xlog1py_values(grad, y))
        return grad_x, grad * x / (y + 1)


def _xlog1py_values(x, y):
    zero_product = (x == 0) & (y == y)  # 0 whatever log1p(y) is there (-inf at -1, NaN below, inf at inf)
    return _C.where(zero_product, _scalar_on(0, x), x * y.log1p())


@grad_fn_named(_xlog1py_name)
def xlog1py(input, other):
    """input * log1p(other), 0 where input is 0 (unless other is NaN); a number for either operand is
    taken in the other's dtype; integers give the default float dtype."""
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        raise TypeError(_invalid_combination("special_xlog1py", input, other, _EITHER_A_NUMBER))
    device = _device_of(input, other)
    dtype = _float_dtype(input, other)
    x, y = _as_tensor(input, dtype, device), _as_tensor(other, dtype, device)
    return _Xlog1py.apply(x, y)


class _Entr(Function):
    """-x log(x) (0 at 0, -inf below 0, NaN at NaN) with torch's gradient -(log(x) + 1)."""

    _grad_fn_name = "SpecialEntrBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        positive = x > 0
        safe = _C.where(positive, x, _scalar_on(1, x))
        out = _C.where(positive, -(safe * safe.log()), _scalar_on(0, x))
        out = _C.where(x < 0, _scalar_on(-math.inf, x), out)
        return _C.where(x != x, x, out)  # NaN stays NaN

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * -(x.log() + 1)


def entr(input):
    """The elementwise entropy -x log(x): 0 at 0, -inf for negative x."""
    return _Entr.apply(_floating(_tensor_argument("entr", input)))


@grad_fn_named("MulBackward1")
def ndtr(input):
    """The standard normal distribution function, (1 + erf(x / sqrt(2))) / 2 (torch's own composition:
    its node is the final product's, MulBackward1)."""
    x = _floating(_tensor_argument("ndtr", input))
    return (1 + (x * (1 / math.sqrt(2))).erf()) * 0.5


def _log_ndtr_values(x):
    """log of the standard normal distribution function, computed in float64: log1p(-erfc(x/sqrt2)/2) from
    -1 up (ndtr near 1), log(erfc(-x/sqrt2)/2) below, and where erfc underflows (x < -37) the asymptotic
    series -x^2/2 - log(-x) - log(2 pi)/2 + log(1 - 1/x^2 + 3/x^4 - 15/x^6 + ...)."""
    z = x._to_dtype(_C.float64)
    upper = (-(z * (1 / math.sqrt(2))).erfc() * 0.5).log1p()
    lower_z = _C.where(z < -1, z, _scalar_on(-1.0, z))
    lower = ((-lower_z * (1 / math.sqrt(2))).erfc() * 0.5).log()
    far = _C.where(z < -37, z, _scalar_on(-37.0, z))
    inverse_square = 1 / (far * far)
    series, term = _C._full([], 1.0, _C.float64, z.device, False), _C._full([], 1.0, _C.float64, z.device, False)
    for k in range(1, 9):  # terms (-1)^k (2k - 1)!! / x^(2k); the ninth is below 1e-19 at x = -37
        term = term * -(2 * k - 1) * inverse_square
        series = series + term
    tail = -far * far * 0.5 - (-far).log() - 0.5 * math.log(2 * math.pi) + series.log()
    out = _C.where(z < -37, tail, _C.where(z < -1, lower, upper))
    return out._to_dtype(x.dtype)


class _LogNdtr(Function):
    """log_ndtr with torch's gradient: the normal density over the distribution function,
    exp(-x^2/2 - log_ndtr(x)) / sqrt(2 pi)."""

    _grad_fn_name = "SpecialLogNdtrBackward0"

    @staticmethod
    def forward(ctx, x):
        out = _log_ndtr_values(x)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        return grad / math.sqrt(2 * math.pi) * (-(out + x * x / 2)).exp()


def log_ndtr(input):
    """log of the standard normal distribution function, accurate far into the lower tail."""
    return _LogNdtr.apply(_floating(_tensor_argument("log_ndtr", input)))


@grad_fn_named("MvlgammaBackward0")
def multigammaln(input, p):
    """The multivariate log-gamma function of dimension p: sum of lgamma(x - j/2) for j < p, plus
    p (p - 1) / 4 log(pi) (inf where x <= (p - 1) / 2, as torch 2.13 gives)."""
    x = _floating(_tensor_argument("multigammaln", input))
    if not isinstance(p, int) or isinstance(p, bool):
        raise TypeError(f"special_multigammaln(): argument 'p' (position 2) must be int, not {type(p).__name__}")
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    if p * x.element_size() > 2**63 - 1:  # (as torch's arange of p would: no loop of 2^62 steps)
        raise RuntimeError(f"Storage size calculation overflowed with sizes=[{p}]")
    # the arguments x - (p - 1)/2, ..., x - 1/2, x along a new last dim, as torch lays them out
    offsets = _C._arange(0, p, 1, x.dtype, x.device, False) * 0.5 - (p - 1) * 0.5
    return (x.unsqueeze(-1) + offsets).lgamma().sum(-1) + p * (p - 1) * math.log(math.pi) / 4
