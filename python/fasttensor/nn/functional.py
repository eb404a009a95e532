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

    The default case is one fused C++ kernel (log-softmax and the negative
    log-likelihood, and their backward). Class weights and
    ``label_smoothing`` (the target mixed with the uniform distribution:
    (1 - ε) one_hot + ε / C) are composed of log_softmax, gather and sums.
    ``reduction``: 'mean' | 'sum' | 'none'; targets equal to ``ignore_index`` are
    skipped (class indices only). With weights, 'mean' divides by the summed
    weights of the counted targets (class indices) or by the number of rows
    (probabilities), as PyTorch does.
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if label_smoothing > 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    # PyTorch's rule: a target of input's shape holds probabilities. (Non-tensors go on to the binding's TypeError.)
    probabilities = isinstance(input, Tensor) and isinstance(target, Tensor) and input.shape == target.shape
    if probabilities:
        if not target.is_floating_point():
            raise RuntimeError("Expected floating point type for target with class probabilities, got "
                               f"{_scalar_type_name(target)}")
        if ignore_index >= 0:
            raise RuntimeError("ignore_index is not supported for floating point target")
    if weight is None and label_smoothing <= 0.0:  # a negative label_smoothing is ignored, as in PyTorch
        return _C._cross_entropy(input, target, reduction, int(ignore_index))
    if probabilities:
        return _cross_entropy_with_probabilities(input, target, weight, reduction, label_smoothing)
    return _cross_entropy_with_classes(input, target, weight, int(ignore_index), reduction, label_smoothing)


def _weight_along_class_dim(weight: Tensor, ndim: int) -> Tensor:
    """weight (C,) shaped (C, 1, ..., 1) so that it broadcasts along dim 1 of an (N, C, d1, ...) tensor
    (or dim 0 of a (C,) one)."""
    trailing = ndim - (1 if ndim == 1 else 2)
    return weight.reshape(weight.shape[0], *([1] * trailing))


def _cross_entropy_with_probabilities(input: Tensor, target: Tensor, weight: Optional[Tensor], reduction: str,
                                      label_smoothing: float) -> Tensor:
    """-sum_c weight[c] target[c] log_softmax(input)[c] per row; 'mean' divides by the number of rows."""
    class_dim = 0 if input.dim() == 1 else 1
    n_classes = input.shape[class_dim]
    if weight is not None and (weight.dim() != 1 or weight.numel() != n_classes):
        raise RuntimeError(f"cross_entropy: weight tensor should be defined either for all {n_classes} classes or "
                           f"no classes but got weight tensor of shape: {list(weight.shape)}")
    if label_smoothing > 0.0:
        target = target * (1 - label_smoothing) + label_smoothing / n_classes
    terms = log_softmax(input, class_dim) * target
    if weight is not None:
        terms = terms * _weight_along_class_dim(weight, input.dim())
    if reduction == "none":
        return -terms.sum(class_dim)
    total = -terms.sum()
    if reduction == "sum":
        return total
    rows = input.numel() // n_classes if n_classes else 0
    return total / rows  # 0 rows: 0 / 0 = nan, as PyTorch's


def _cross_entropy_with_classes(input: Tensor, target: Tensor, weight: Optional[Tensor], ignore_index: int,
                                reduction: str, label_smoothing: float) -> Tensor:
    """(1 - ε) nll + ε / C * smooth, where nll = -weight[t] log p[t] and smooth = -sum_c weight[c] log p[c]
    (both 0 where the target is ignore_index); 'mean' divides both by the summed weight[t] of counted targets."""
    _check_class_targets(input, target, weight)
    class_dim = 0 if input.dim() == 1 else 1
    log_probs = log_softmax(input, class_dim)
    nll, target_weights = _target_log_likelihoods(log_probs, target, weight, ignore_index)
    nll = _reduced_by_target_weights(nll, target_weights, reduction)
    if label_smoothing <= 0.0:
        return nll
    weighted = log_probs if weight is None else log_probs * _weight_along_class_dim(weight, input.dim())
    smooth = _C.where(target.reshape(target_weights.shape) != ignore_index, -weighted.sum(class_dim), 0.0)
    smooth = _reduced_by_target_weights(smooth, target_weights, reduction)
    return nll * (1 - label_smoothing) + smooth * (label_smoothing / input.shape[class_dim])


def _reduced_by_target_weights(loss: Tensor, target_weights: Tensor, reduction: str) -> Tensor:
    """nll_loss's reductions: 'mean' divides the sum by the summed weights of the counted targets."""
    if reduction == "mean":
        return loss.sum() / target_weights.sum()
    return _reduced(loss, reduction)


def mse_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """Mean squared error; warns (as PyTorch does) when target and input shapes differ and broadcast."""
    if target.shape != input.shape:
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input size ({input.shape}). "
                      "This will likely lead to incorrect results due to broadcasting. "
                      "Please ensure they have the same size.", stacklevel=2)
    reduction = _legacy_reduction(size_average, reduce, reduction)
    return _C._mse_loss(input, target, reduction)


def linear(input: Tensor, weight: Tensor, bias: Optional[Tensor] = None) -> Tensor:
    """input @ weight.T + bias; input (*, in), weight (out, in), bias (out,) → (*, out).

    That case is one fused C++ call. PyTorch also accepts a bias that broadcasts to
    the output (shape (1,), 0-d, (N, out), ...) and, without a bias, a 1-D weight
    (in,) giving (*,): those take matmul plus an add."""
    if _fused_linear_applies(input, weight, bias):
        return _C._linear(input, weight, bias)
    return _linear_broadcasting(input, weight, bias)


def _fused_linear_applies(input: Tensor, weight: Tensor, bias: Optional[Tensor]) -> bool:
    """The fused kernel's case: input at least 1-D, weight 2-D, bias None or (out,). A non-tensor
    argument also goes to the binding, which raises TypeError naming it."""
    if not (isinstance(input, Tensor) and isinstance(weight, Tensor) and (bias is None or isinstance(bias, Tensor))):
        return True
    return input.dim() >= 1 and weight.dim() == 2 and (bias is None or (bias.dim() == 1 and bias.size(0) == weight.size(0)))


def _scalar_type_name(t: Tensor) -> str:
    """PyTorch's scalar type name, as its matmul errors print it: 'Float', 'Double', 'Long'."""
    return t.type().split(".")[-1][: -len("Tensor")]


def _linear_broadcasting(input: Tensor, weight: Tensor, bias: Optional[Tensor]) -> Tensor:
    """linear's cases beyond the fused kernel, with PyTorch's errors for the ones it rejects."""
    if input.dim() == 0 or weight.dim() == 0:
        raise RuntimeError(f"both arguments to linear need to be at least 1D, but they are {input.dim()}D and "
                           f"{weight.dim()}D")
    if weight.dim() > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {weight.dim()}D")
    if weight.dim() == 1:
        if bias is not None:  # PyTorch adds a bias through addmm, which needs a matrix
            raise RuntimeError("mat2 must be a matrix, got 1-D tensor")
        return input.matmul(weight)  # (*, in) @ (in,) → (*,)
    out = _C._linear(input, weight, None)
    if bias.dtype != weight.dtype:
        raise RuntimeError(f"self and mat2 must have the same dtype, but got {_scalar_type_name(bias)} and "
                           f"{_scalar_type_name(weight)}")
    # expand, not broadcasting +: the bias may not grow the output (PyTorch's error if it would).
    return out + bias.expand(*out.shape)


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zeroes each element with probability p and scales the rest by 1/(1-p) (training only)."""
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not inplace:
        return _C._dropout(input, float(p), bool(training))
    if not training or p == 0.0:
        return input
    # In place: the kernel's output written back into input (copy_ records the autograd step, and refuses a
    # leaf that requires grad, as PyTorch does); returns input itself.
    return input.copy_(_C._dropout(input, float(p), True))


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


_REDUCTIONS = ("mean", "sum", "none")


def _check_reduction(reduction: str) -> None:
    if not isinstance(reduction, str) or reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")


def _reduced(loss: Tensor, reduction: str) -> Tensor:
    _check_reduction(reduction)
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


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
    _check_reduction(reduction)
    _check_class_targets(input, target, weight)
    loss, target_weights = _target_log_likelihoods(input, target, weight, int(ignore_index))
    return _reduced_by_target_weights(loss, target_weights, reduction)


def _check_class_targets(input: Tensor, target: Tensor, weight: Optional[Tensor]) -> None:
    """PyTorch's checks of class-index targets (and class weights) against (log-)probabilities, in its order."""
    if input.dim() < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {input.dim()})")
    if input.dim() != 1 and input.shape[0] != (target.shape[0] if target.dim() > 0 else 0):
        raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target batch_size "
                         f"({target.shape[0] if target.dim() > 0 else 0}).")
    if input.dim() <= 2:
        if target.dim() > 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        if input.dim() == 1 and target.dim() == 1 and target.shape[0] != 1:
            raise ValueError(f"For 1D input, 1D target must have size 1, but got target size: {target.shape[0]}")
    elif target.shape != input.shape[:1] + input.shape[2:]:
        raise RuntimeError(f"Expected target size {list(input.shape[:1] + input.shape[2:])}, got "
                           f"{list(target.shape)}")
    if target.dtype not in (_C.int64, _C.uint8):
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {_scalar_type_name(target)}")
    if weight is not None:
        n_classes = input.shape[0 if input.dim() == 1 else 1]
        if weight.dim() != 1 or weight.numel() != n_classes:
            if input.dim() > 2:  # PyTorch's 2-d-and-beyond kernel words it so
                raise RuntimeError("weight tensor should be defined either for all or no classes")
            raise RuntimeError(f"weight tensor should be defined either for all {n_classes} classes or no classes "
                               f"but got weight tensor of shape: {list(weight.shape)}")
        if weight.dtype != input.dtype:
            raise RuntimeError(f"expected scalar type {_scalar_type_name(input)} but found "
                               f"{_scalar_type_name(weight)}")


def _target_log_likelihoods(log_probs: Tensor, target: Tensor, weight: Optional[Tensor], ignore_index: int):
    """(-weight[t] * log_probs[t], weight[t]) per target element, both 0 where t is ignore_index; the shape of
    target (a 1-element target of a 1-D input gives a 0-d result)."""
    class_dim = 0 if log_probs.dim() == 1 else 1
    if log_probs.dim() == 1:
        target = target.reshape(())
    target = target.to(_C.int64)
    counted = target != ignore_index
    safe = _C.where(counted, target, 0)
    n_classes = log_probs.shape[class_dim]
    if safe.numel() > 0 and (int(safe.amin()) < 0 or int(safe.amax()) >= n_classes):
        bad = int(safe.amin()) if int(safe.amin()) < 0 else int(safe.amax())
        raise IndexError(f"Target {bad} is out of bounds.")
    picked = -log_probs.gather(class_dim, safe.unsqueeze(class_dim)).squeeze(class_dim)
    if weight is None:
        target_weights = counted.to(log_probs.dtype)
    else:
        target_weights = _C.where(counted, weight[safe], 0.0)
        picked = picked * weight[safe]
    # where, not a product with the 0/1 mask: when every target is ignored, 'mean' divides by 0 and the
    # ignored elements must get a 0 gradient rather than 0 * inf = nan (PyTorch gives 0).
    return _C.where(counted, picked, 0.0), target_weights
