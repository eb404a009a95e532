"""nn.init: in-place weight initialisers with PyTorch's gain and fan rules.

Each function fills ``tensor`` in place without recording a graph and
returns it. Fans: for a weight of shape (out, in, *kernel), fan_in is
``in * prod(kernel)`` and fan_out is ``out * prod(kernel)``.
"""

from __future__ import annotations

import math
import warnings
from typing import Optional

from .. import _C
from .._creation import eye as _identity, randperm
from ..autograd import no_grad
from .parameter import is_lazy, uninitialized_use_error

Tensor = _C.Tensor

_LINEAR_NONLINEARITIES = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                          "conv_transpose3d")


def calculate_gain(nonlinearity: str, param: Optional[float] = None) -> float:
    """The recommended scale of weights for a nonlinearity (1, 5/3 for tanh, sqrt(2) for relu, ...)."""
    if nonlinearity in _LINEAR_NONLINEARITIES or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            negative_slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            negative_slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + negative_slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple:
    if tensor.dim() < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 dimensions")
    receptive_field_size = 1
    for s in tensor.shape[2:]:
        receptive_field_size *= s
    return tensor.shape[1] * receptive_field_size, tensor.shape[0] * receptive_field_size


def _calculate_correct_fan(tensor: Tensor, mode: str) -> int:
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of ['fan_in', 'fan_out']")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def _check_initialized(tensor: Tensor, initializer) -> None:
    """A lazy module's weight has no shape before its first forward call: filling it is an error, as in PyTorch
    (the initializers without this check reach a tensor method that raises it)."""
    if is_lazy(tensor):
        raise uninitialized_use_error(initializer)


def _sample(fill, *args, generator=None) -> Tensor:
    """Runs a sampling method (``tensor.uniform_``, ``tensor.normal_``) without recording a graph (a
    dtype the kernel lacks raises the kernel's NotImplementedError, as PyTorch's dispatch)."""
    with no_grad():
        return fill(*args, generator=generator)


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator=None) -> Tensor:
    """Fills with samples of U(a, b)."""
    _check_initialized(tensor, uniform_)
    return _sample(tensor.uniform_, a, b, generator=generator)


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator=None) -> Tensor:
    """Fills with samples of N(mean, std²)."""
    _check_initialized(tensor, normal_)
    return _sample(tensor.normal_, mean, std, generator=generator)


def constant_(tensor: Tensor, val: float) -> Tensor:
    _check_initialized(tensor, constant_)
    with no_grad():
        return tensor.fill_(val)


def zeros_(tensor: Tensor) -> Tensor:
    with no_grad():
        return tensor.zero_()


def ones_(tensor: Tensor) -> Tensor:
    with no_grad():
        return tensor.fill_(1)


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio, 2010)."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """N(0, std²) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return normal_(tensor, 0.0, std, generator)


def _kaiming_std(tensor: Tensor, a: float, mode: str, nonlinearity: str) -> Optional[float]:
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op")
        return None
    fan = _calculate_correct_fan(tensor, mode)
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(tensor: Tensor, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                     generator=None) -> Tensor:
    """U(-bound, bound) with bound = gain * sqrt(3 / fan) (He et al., 2015)."""
    _check_initialized(tensor, kaiming_uniform_)
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    if std is None:
        return tensor
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor: Tensor, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                    generator=None) -> Tensor:
    """N(0, std²) with std = gain / sqrt(fan)."""
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    if std is None:
        return tensor
    return normal_(tensor, 0.0, std, generator)


def eye_(tensor: Tensor) -> Tensor:
    """The 2-D identity (ones on the diagonal of a rectangular matrix too)."""
    if tensor.dim() != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    with no_grad():
        tensor.zero_()
        n = min(tensor.shape)
        tensor.diagonal().fill_(1) if n else None
        return tensor


def dirac_(tensor: Tensor, groups: int = 1) -> Tensor:
    """The Dirac delta of a 3-, 4- or 5-D convolution weight (out, in, *kernel): 1 at the kernel's
    centre where out channel (within its group) equals in channel, 0 elsewhere, so the convolution
    passes min(out / groups, in) channels of each group through unchanged."""
    dimensions = tensor.dim()
    if dimensions not in (3, 4, 5):
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")
    sizes = tensor.size()
    if sizes[0] % groups != 0:
        raise ValueError("dim 0 must be divisible by groups")
    out_chans_per_grp = sizes[0] // groups
    min_dim = min(out_chans_per_grp, sizes[1])
    centre = tuple(size // 2 for size in sizes[2:])
    with no_grad():
        tensor.zero_()
        for g in range(groups):
            for d in range(min_dim):
                tensor[(g * out_chans_per_grp + d, d) + centre] = 1
    return tensor


def trunc_normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0, b: float = 2.0,
                  generator=None) -> Tensor:
    """N(mean, std²) truncated to [a, b] by rejection, drawn as PyTorch 2.13 draws it: when the window
    holds more than 30 % of the mass, normal draws with whole-tensor redraws for the samples outside;
    otherwise uniform proposals in [a, b] accepted against the density's peak in the window."""
    def cdf(x: float) -> float:
        return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0

    mass = cdf((b - mean) / std) - cdf((a - mean) / std)
    with no_grad():
        if mass > 0.3:
            result = _sample(tensor.normal_, mean, std, generator=generator).clone()
            while True:
                outside = (result < a) | (result > b)
                if not bool(outside.any()):
                    break
                result = _C.where(outside, _sample(tensor.normal_, mean, std, generator=generator), result)
            return tensor.copy_(result)
        mode = min(max(mean, a), b)
        log_peak = -0.5 * ((mode - mean) / std) ** 2

        def log_ratio(x: Tensor) -> Tensor:  # log density over its peak, float ops in PyTorch's order
            z = (x - mean) / std
            return z * z * -0.5 - log_peak

        def accept_log() -> Tensor:
            return _sample(tensor.new_empty(tensor.shape).uniform_, 0.0, 1.0, generator=generator).log()

        result = _sample(tensor.uniform_, a, b, generator=generator).clone()
        pending = accept_log() > log_ratio(result)
        while bool(pending.any()):
            proposal = _sample(tensor.uniform_, a, b, generator=generator).clone()
            result = _C.where(pending, proposal, result)
            pending = _C.where(pending, accept_log() > log_ratio(proposal), pending)
        return tensor.copy_(result)


def _householder_qr(a: Tensor) -> tuple:
    """Reduced QR of an (m, n) matrix with m >= n by Householder reflections, LAPACK's convention
    (R's diagonal is -sign(x0) * |x| of each column's reflected part, so it may be negative)."""
    m, n = a.shape
    r = a.clone()
    q = _identity(m, dtype=a.dtype, device=a.device)
    for k in range(n):
        x = r[k:, k]
        norm = x.norm().item()
        if norm == 0.0:
            continue
        alpha = -norm if x[0].item() >= 0 else norm
        v = x.clone()
        v[0] -= alpha
        v /= v.norm()
        block = r[k:, k:]
        block -= 2 * v.unsqueeze(1) * (v @ block).unsqueeze(0)
        columns = q[:, k:]
        columns -= 2 * (columns @ v).unsqueeze(1) * v.unsqueeze(0)
    return q[:, :n].contiguous(), r[:n, :].triu()


def orthogonal_(tensor: Tensor, gain: float = 1, generator=None) -> Tensor:
    """A (semi-)orthogonal matrix times ``gain`` (Saxe et al., 2013): Q of the QR of a standard normal
    matrix, its columns signed by R's diagonal so Q is uniform (Haar). Dimensions after the first are
    flattened; rows < cols gives orthonormal rows, else orthonormal columns."""
    if tensor.dim() < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    flattened = normal_(tensor.new_empty((rows, cols)), 0, 1, generator).to(_C.float64)
    if rows < cols:
        flattened = flattened.t()
    with no_grad():
        q, r = _householder_qr(flattened)
        q *= r.diagonal().sign()
        if rows < cols:
            q = q.t()
        tensor.view_as(q).copy_(q)
        return tensor.mul_(gain)


def sparse_(tensor: Tensor, sparsity: float, std: float = 0.01, generator=None) -> Tensor:
    """N(0, std²) with ceil(sparsity * rows) entries of each column, at random rows, set to zero
    (Martens, 2010). As PyTorch's, the rows are drawn from the global generator."""
    if tensor.dim() != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    rows, cols = tensor.shape
    num_zeros = math.ceil(sparsity * rows)
    normal_(tensor, 0, std, generator)
    with no_grad():
        for col in range(cols):
            tensor[randperm(rows)[:num_zeros], col] = 0
    return tensor


def _deprecated(method):
    """The old name of an initializer (``normal`` for ``normal_``): warns FutureWarning, then calls it."""
    new_name = method.__name__
    old_name = new_name[:-1]

    def deprecated_init(*args, **kwargs):
        warnings.warn(f"`nn.init.{old_name}` is now deprecated in favor of `nn.init.{new_name}`.", FutureWarning,
                      stacklevel=2)
        return method(*args, **kwargs)

    deprecated_init.__name__ = old_name
    deprecated_init.__doc__ = f"{old_name}(...): deprecated, use :func:`nn.init.{new_name}`."
    return deprecated_init


uniform = _deprecated(uniform_)
normal = _deprecated(normal_)
constant = _deprecated(constant_)
eye = _deprecated(eye_)
dirac = _deprecated(dirac_)
xavier_uniform = _deprecated(xavier_uniform_)
xavier_normal = _deprecated(xavier_normal_)
kaiming_uniform = _deprecated(kaiming_uniform_)
kaiming_normal = _deprecated(kaiming_normal_)
orthogonal = _deprecated(orthogonal_)
sparse = _deprecated(sparse_)

__all__ = ["calculate_gain", "uniform_", "normal_", "constant_", "zeros_", "ones_", "xavier_uniform_",
           "xavier_normal_", "kaiming_uniform_", "kaiming_normal_", "eye_", "dirac_", "trunc_normal_", "orthogonal_",
           "sparse_"]
