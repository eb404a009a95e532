"""nn.functional: stateless layers and losses. The D2L workhorses are one
call into C++ each: cross_entropy and mse_loss (_cross_entropy, _mse_loss),
linear (_linear, one GEMM pass with the bias) and dropout (_dropout) carry
their own backward formulas. The other activations and losses are composed
of tensor ops (so they run, and differentiate, on any device)."""

from __future__ import annotations

import warnings
from typing import Optional

from .. import _C

Tensor = _C.Tensor

__all__ = ["relu", "sigmoid", "tanh", "softmax", "log_softmax", "cross_entropy", "mse_loss", "linear", "dropout",
           "one_hot", "leaky_relu", "elu", "gelu", "silu", "softplus", "l1_loss", "smooth_l1_loss", "huber_loss",
           "binary_cross_entropy", "binary_cross_entropy_with_logits", "nll_loss"]


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(input, 0) elementwise."""
    return _C.relu_(input) if inplace else _C.relu(input)


def sigmoid(input: Tensor) -> Tensor:
    return _C.sigmoid(input)


def tanh(input: Tensor) -> Tensor:
    return _C.tanh(input)


def _implicit_softmax_dim(name: str, ndim: int, stacklevel: int) -> int:
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. "
                  "Change the call to include dim=X as an argument.", stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input: Tensor, dim: Optional[int] = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """exp(x) / sum(exp(x)) along ``dim`` (PyTorch's implicit-dim rule, with its warning, when dim is None)."""
    if dim is None:
        dim = _implicit_softmax_dim("softmax", input.dim(), _stacklevel)
    return _C.softmax(input, dim, dtype)


def log_softmax(input: Tensor, dim: Optional[int] = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """log(softmax(x)) along ``dim``, computed stably in one kernel."""
    if dim is None:
        dim = _implicit_softmax_dim("log_softmax", input.dim(), _stacklevel)
    return _C.log_softmax(input, dim, dtype)


def _legacy_reduction(size_average: Optional[bool], reduce: Optional[bool], reduction: str) -> str:
    """Maps the deprecated size_average/reduce pair onto ``reduction``, as PyTorch does."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    reduction = ("mean" if size_average else "sum") if reduce else "none"
    warnings.warn(f"size_average and reduce args will be deprecated, please use reduction='{reduction}' instead.")
    return reduction


def cross_entropy(input: Tensor, target: Tensor, weight: Optional[Tensor] = None, size_average=None,
                  ignore_index: int = -100, reduce=None, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """Cross-entropy between logits ``input`` (N, C), (C,) or (N, C, d1, ...) and class indices
    ``target`` (N,), () or (N, d1, ...) (int64 or uint8), or class probabilities of input's shape.

    One fused C++ kernel computes log-softmax and the negative log-likelihood
    (and their backward). ``reduction``: 'mean' | 'sum' | 'none'; rows whose
    target is ``ignore_index`` are skipped.
    """
    if weight is not None:
        raise NotImplementedError("cross_entropy: class weights are not supported")
    if label_smoothing != 0.0:
        raise NotImplementedError("cross_entropy: label_smoothing is not supported")
    reduction = _legacy_reduction(size_average, reduce, reduction)
    return _C._cross_entropy(input, target, reduction, int(ignore_index))


def mse_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """Mean squared error; warns (as PyTorch does) when target and input shapes differ and broadcast."""
    if target.shape != input.shape:
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input size ({input.shape}). "
                      "This will likely lead to incorrect results due to broadcasting. "
                      "Please ensure they have the same size.", stacklevel=2)
    reduction = _legacy_reduction(size_average, reduce, reduction)
    return _C._mse_loss(input, target, reduction)


def linear(input: Tensor, weight: Tensor, bias: Optional[Tensor] = None) -> Tensor:
    """input @ weight.T + bias; input (*, in), weight (out, in), bias (out,) → (*, out)."""
    return _C._linear(input, weight, bias)


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zeroes each element with probability p and scales the rest by 1/(1-p) (training only)."""
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if inplace:
        raise NotImplementedError("dropout(inplace=True) is not supported; use inplace=False")
    return _C._dropout(input, float(p), bool(training))


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 indicators: out[..., c] = 1 where tensor[...] == c, for c in [0, num_classes)
    (num_classes -1: the largest class + 1)."""
    if tensor.dtype != _C.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if tensor.numel() == 0:
        if num_classes == -1:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
    else:
        if int(tensor.amin()) < 0:
            raise RuntimeError("Class values must be non-negative.")
        largest = int(tensor.amax())
        if num_classes == -1:
            num_classes = largest + 1
        elif largest >= num_classes:
            raise RuntimeError("Class values must be smaller than num_classes.")
    classes = _C._arange(0, num_classes, 1, _C.int64, tensor.device, False)
    return (tensor.unsqueeze(-1) == classes).to(_C.int64)


# --- activations composed of tensor ops ------------------------------------------------------------
# Where a branch could overflow (exp of a large input), its input is clamped
# first: the branch `where` does not pick must stay finite, or its zero
# gradient would become 0 * inf = nan.


def _no_inplace(name: str, inplace: bool) -> None:
    if inplace:
        raise NotImplementedError(f"{name}(inplace=True) is not supported; use inplace=False")


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x where x > 0, else negative_slope * x."""
    _no_inplace("leaky_relu", inplace)
    return _C.where(input > 0, input, input * negative_slope)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x where x > 0, else alpha * (exp(x) - 1)."""
    _no_inplace("elu", inplace)
    return _C.where(input > 0, input, input.clamp(max=0).expm1() * alpha)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x * Φ(x) = x/2 * (1 + erf(x/√2)); approximate='tanh': x/2 * (1 + tanh(√(2/π) (x + 0.044715 x³)))."""
    if approximate == "none":
        return input * 0.5 * (1.0 + (input * 0.7071067811865476).erf())
    if approximate == "tanh":
        return input * 0.5 * (1.0 + ((input + input * input * input * 0.044715) * 0.7978845608028654).tanh())
    raise RuntimeError(f"approximate argument must be either none or tanh, not {approximate!r}")


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x * sigmoid(x)."""
    _no_inplace("silu", inplace)
    return input * input.sigmoid()


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta x)) / beta, and x itself where beta x > threshold."""
    scaled = input * beta
    return _C.where(scaled > threshold, input, scaled.clamp(max=threshold).exp().log1p() / beta)


# --- losses composed of tensor ops ---------------------------------------------------------------


def _reduced(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"{reduction} is not a valid value for reduction")


def _check_same_size(input: Tensor, target: Tensor) -> None:
    if target.shape != input.shape:
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input size ({input.shape}). "
                      "This will likely lead to incorrect results due to broadcasting. "
                      "Please ensure they have the same size.", stacklevel=3)


def l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """|input - target|, reduced."""
    _check_same_size(input, target)
    return _reduced((input - target).abs(), _legacy_reduction(size_average, reduce, reduction))


def smooth_l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:
    """0.5 d² / beta where d = |input - target| < beta, else d - beta / 2 (beta 0: the L1 loss)."""
    _check_same_size(input, target)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    d = (input - target).abs()
    loss = d if beta == 0 else _C.where(d < beta, d * d * (0.5 / beta), d - 0.5 * beta)
    return _reduced(loss, _legacy_reduction(size_average, reduce, reduction))


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Optional[Tensor] = None) -> Tensor:
    """0.5 d² where d = |input - target| < delta, else delta (d - delta / 2)."""
    _check_same_size(input, target)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    d = (input - target).abs()
    loss = _C.where(d < delta, d * d * 0.5, (d - 0.5 * delta) * delta)
    return _reduced(loss if weight is None else loss * weight, reduction)


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Optional[Tensor] = None, size_average=None,
                         reduce=None, reduction: str = "mean") -> Tensor:
    """-(t log x + (1 - t) log(1 - x)) for probabilities x, each log clamped at -100 as PyTorch's."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if target.shape != input.shape:
        raise ValueError(f"Using a target size ({target.shape}) that is different to the input size ({input.shape}) "
                         "is deprecated. Please ensure they have the same size.")
    if input.numel() > 0 and not bool(((input >= 0) & (input <= 1)).all()):
        raise RuntimeError("all elements of input should be between 0 and 1")
    log_x = input.log().clamp(min=-100)
    log_1mx = (1 - input).log().clamp(min=-100)
    loss = -(target * log_x + (1 - target) * log_1mx)
    return _reduced(loss if weight is None else loss * weight, reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Optional[Tensor] = None,
                                     size_average=None, reduce=None, reduction: str = "mean",
                                     pos_weight: Optional[Tensor] = None) -> Tensor:
    """binary_cross_entropy(sigmoid(x), t) computed stably:
    (1 - t) x + (1 + (pos_weight - 1) t) (log(1 + exp(-|x|)) + max(-x, 0))."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if target.shape != input.shape:
        raise ValueError(f"Target size ({target.shape}) must be the same as input size ({input.shape})")
    softplus_neg = (-input.abs()).exp().log1p() + (-input).clamp(min=0)  # log(1 + exp(-x))
    if pos_weight is None:
        loss = (1 - target) * input + softplus_neg
    else:
        loss = (1 - target) * input + (1 + (pos_weight - 1) * target) * softplus_neg
    return _reduced(loss if weight is None else loss * weight, reduction)


def nll_loss(input: Tensor, target: Tensor, weight: Optional[Tensor] = None, size_average=None,
             ignore_index: int = -100, reduce=None, reduction: str = "mean") -> Tensor:
    """-weight[t] * input[t] for log-probabilities input (N, C), (C,) or (N, C, d1, ...) and classes
    target (N,), () or (N, d1, ...); 'mean' divides by the summed weights of the counted targets."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if target.dtype not in (_C.int64, _C.uint8):
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {target.dtype}")
    class_dim = 0 if input.dim() == 1 else 1
    expected = input.shape[:class_dim] + input.shape[class_dim + 1:]
    if target.shape != expected:
        raise ValueError(f"Expected target size {tuple(expected)}, got {tuple(target.shape)}")
    target = target.to(_C.int64)
    counted = target != ignore_index
    safe = _C.where(counted, target, 0)
    n_classes = input.shape[class_dim]
    if safe.numel() > 0 and (int(safe.amin()) < 0 or int(safe.amax()) >= n_classes):
        bad = int(safe.amin()) if int(safe.amin()) < 0 else int(safe.amax())
        raise IndexError(f"Target {bad} is out of bounds.")
    picked = -input.gather(class_dim, safe.unsqueeze(class_dim)).squeeze(class_dim)
    w = counted.to(input.dtype) if weight is None else weight[safe] * counted.to(input.dtype)
    loss = picked * w
    if reduction == "mean":
        return loss.sum() / w.sum()
    return _reduced(loss, reduction)
