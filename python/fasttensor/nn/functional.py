"""nn.functional: stateless layers and losses. The D2L workhorses are one
call into C++ each: cross_entropy and mse_loss (_cross_entropy, _mse_loss),
linear (_linear, one GEMM pass with the bias) and dropout (_dropout) carry
their own backward formulas. The other activations and losses are composed
of tensor ops (so they run, and differentiate, on any device)."""

from __future__ import annotations

import math
import warnings
from typing import Optional, Sequence

from .. import _C
from .._creation import empty, empty_like
from .._functional import _broadcast_pair, _check_tensors, _not_a_tensor, _scalar_on
from .._tensor_api import hardshrink
from .._grad_names import grad_fn_named
from .._grad_names import stacklevel as _stacklevel
from ..autograd import Function, no_grad

Tensor = _C.Tensor


def _in_place_variant(stem: str, inplace_position: int):
    """PyTorch's node name for an activation whose in-place form is a node of its own (EluBackward0,
    EluBackward1 for elu(x, inplace=True)); inplace_position is the positional index of `inplace`."""
    def name(*args, **kwargs):
        inplace = kwargs.get("inplace", args[inplace_position] if len(args) > inplace_position else False)
        return stem + ("1" if inplace else "0")
    return name


def _pad_node_name(input, pad, mode="constant", value=None):
    """PyTorch's node for F.pad: ConstantPadNd, ReflectionPad1D-3D, ReplicationPad1D-3D; a circular pad
    is assembled from copies in PyTorch too (its node is left as ours)."""
    if mode == "constant":
        return "ConstantPadNdBackward0"
    if mode in ("reflect", "replicate") and len(pad) in (2, 4, 6):
        return ("ReflectionPad" if mode == "reflect" else "ReplicationPad") + f"{len(pad) // 2}DBackward0"
    return None

__all__ = ["relu", "sigmoid", "tanh", "softmax", "log_softmax", "cross_entropy", "mse_loss", "linear", "dropout",
           "one_hot", "leaky_relu", "elu", "gelu", "silu", "softplus", "l1_loss", "smooth_l1_loss", "huber_loss",
           "binary_cross_entropy", "binary_cross_entropy_with_logits", "nll_loss", "pad", "normalize",
           "cosine_similarity", "pairwise_distance", "hardtanh", "relu6", "logsigmoid", "softsign", "softmin",
           "hardsigmoid", "hardswish", "mish", "selu", "threshold", "glu", "tanhshrink", "prelu", "kl_div",
           "embedding", "layer_norm", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout",
           "feature_alpha_dropout", "gumbel_softmax", "rrelu", "rrelu_", "relu_", "leaky_relu_", "elu_", "celu_",
           "selu_", "hardtanh_", "threshold_", "celu", "softshrink", "hardshrink", "soft_margin_loss",
           "margin_ranking_loss", "hinge_embedding_loss", "cosine_embedding_loss", "gaussian_nll_loss",
           "poisson_nll_loss", "triplet_margin_loss", "multilabel_soft_margin_loss"]


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(input, 0) elementwise."""
    return _C.relu_(input) if inplace else _C.relu(input)


def sigmoid(input: Tensor) -> Tensor:
    if not isinstance(input, Tensor):
        return input.sigmoid()  # PyTorch's F.sigmoid calls the method: AttributeError for a list
    return _C.sigmoid(input)


def tanh(input: Tensor) -> Tensor:
    if not isinstance(input, Tensor):
        return input.tanh()  # as sigmoid
    return _C.tanh(input)


def _implicit_softmax_dim(name: str, ndim: int, stacklevel: int) -> int:
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. "
                  "Change the call to include dim=X as an argument.", stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input: Tensor, dim: Optional[int] = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """exp(x) / sum(exp(x)) along ``dim`` (PyTorch's implicit-dim rule, with its warning, when dim is None)."""
    if dim is None:
        dim = _implicit_softmax_dim("softmax", input.dim(), _stacklevel)
    if not isinstance(input, Tensor):  # PyTorch's F.softmax calls the method: AttributeError for a list
        return input.softmax(dim) if dtype is None else input.softmax(dim, dtype=dtype)
    return _C.softmax(input, dim, dtype)


def log_softmax(input: Tensor, dim: Optional[int] = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """log(softmax(x)) along ``dim``, computed stably in one kernel."""
    if dim is None:
        dim = _implicit_softmax_dim("log_softmax", input.dim(), _stacklevel)
    if not isinstance(input, Tensor):  # as softmax
        return input.log_softmax(dim) if dtype is None else input.log_softmax(dim, dtype=dtype)
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
    _check_tensors("cross_entropy_loss", ("input", input), ("target", target), ("weight", weight),
                     optional=("weight",))
    if label_smoothing > 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    # PyTorch's rule: a target of input's shape holds probabilities.
    probabilities = input.shape == target.shape
    if probabilities:
        if not target.is_floating_point():
            raise RuntimeError("Expected floating point type for target with class probabilities, got "
                               f"{_scalar_type_name(target)}")
        if ignore_index >= 0:
            raise RuntimeError("ignore_index is not supported for floating point target")
    # (a negative label_smoothing is ignored, as in PyTorch; empty probabilities: the mean is NaN below)
    if weight is None and label_smoothing <= 0.0 and not (probabilities and input.numel() == 0):
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
    if label_smoothing > 0.0 and n_classes:
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


@grad_fn_named("MseLossBackward0")
def mse_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """Mean squared error; warns (as PyTorch does) when target and input shapes differ and broadcast."""
    if target.size() != input.size():  # size(), as PyTorch's: what a non-tensor's AttributeError names
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input size ({input.shape}). "
                      "This will likely lead to incorrect results due to broadcasting. "
                      "Please ensure they have the same size.", stacklevel=_stacklevel(2))
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _require_floating_pair(input, target, "mse")
    return _C._mse_loss(input, target, reduction)


def _require_floating_pair(input: Tensor, target: Tensor, kernel: str) -> None:
    """PyTorch's error for a floating-point-only loss kernel when neither operand is floating."""
    if not (input.is_floating_point() or target.is_floating_point()):
        _require_floating(input, kernel)


def linear(input: Tensor, weight: Tensor, bias: Optional[Tensor] = None) -> Tensor:
    """input @ weight.T + bias; input (*, in), weight (out, in), bias (out,) → (*, out).

    That case is one fused C++ call. PyTorch also accepts a bias that broadcasts to
    the output (shape (1,), 0-d, (N, out), ...) and, without a bias, a 1-D weight
    (in,) giving (*,): those take matmul plus an add."""
    _check_tensors("linear", ("input", input), ("weight", weight), ("bias", bias), optional=("bias",))
    if _fused_linear_applies(input, weight, bias):
        return _C._linear(input, weight, bias)
    return _linear_broadcasting(input, weight, bias)


def _fused_linear_applies(input: Tensor, weight: Tensor, bias: Optional[Tensor]) -> bool:
    """The fused kernel's case: input at least 1-D, weight 2-D, bias None or (out,)."""
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
    _check_dropout_p(p)
    _check_tensors("dropout", ("input", input))
    if not inplace:
        return _C._dropout(input, float(p), bool(training))
    if not training or p == 0.0:
        return input
    # In place: the kernel's output written back into input (copy_ records the autograd step, and refuses a
    # leaf that requires grad, as PyTorch does); returns input itself.
    return input.copy_(_C._dropout(input, float(p), True))


def _check_dropout_p(p: float) -> None:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _noise_dropout(input: Tensor, p: float, train: bool, feature: bool, alpha: bool, inplace: bool) -> Tensor:
    """ATen's _dropout_impl: Bernoulli(1 - p) noise, per element or per (sample, channel) for the
    feature variants, drawn from the default generator as PyTorch's (same numbers after manual_seed);
    the alpha variants keep SELU's self-normalising mean and variance."""
    if p == 0 or not train or input.numel() == 0:
        return input
    if p == 1:
        zero = _scalar_on(0, input)
        return input.mul_(zero) if inplace else input * zero
    if feature:
        if input.dim() < 2:
            raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
        noise = empty([input.shape[0], input.shape[1]] + [1] * (input.dim() - 2), dtype=input.dtype,
                      device=input.device)
    else:
        noise = empty_like(input)
    noise.bernoulli_(1 - p)
    if not alpha:
        noise.div_(1 - p)
        return input.mul_(noise) if inplace else input * noise
    selu_alpha = 1.7580993408473766  # -SELU's alpha * scale: where the dropped units sit
    a = 1.0 / math.sqrt((selu_alpha * selu_alpha * p + 1) * (1 - p))
    b = noise.add(-1).mul_(selu_alpha * a).add_(selu_alpha * a * p)
    noise.mul_(a)
    return (input.mul_(noise) if inplace else input * noise).add_(b)


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zeroes whole channels input[n, c] (shape (N, C, L) or (C, L)) with probability p."""
    _check_dropout_p(p)
    if input.dim() not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {input.dim()}D input. Note that "
                           "dropout1d exists to provide channel-wise dropout on inputs with 1 spatial dimension, a "
                           "channel dimension, and an optional batch dimension (i.e. 2D or 3D inputs).")
    return _batched_feature_dropout(input, p, training, inplace, batched=input.dim() == 3)


def _batched_feature_dropout(input: Tensor, p: float, training: bool, inplace: bool, batched: bool) -> Tensor:
    if not batched:
        input = input.unsqueeze_(0) if inplace else input.unsqueeze(0)
    result = _noise_dropout(input, p, training, feature=True, alpha=False, inplace=inplace)
    if not batched:
        result = result.squeeze_(0) if inplace else result.squeeze(0)
    return result


def _warn_channel_dropout_dims(spatial: int, ndim: int) -> None:
    """PyTorch's deprecation warning for dropout2d/3d of an input without 1 + spatial or 2 + spatial dims."""
    name = f"dropout{spatial}d"
    warnings.warn(f"{name}: Received a {ndim}-D input to {name}, which is deprecated and will result in an error "
                  "in a future release. To retain the behavior and silence this warning, please use dropout "
                  f"instead. Note that {name} exists to provide channel-wise dropout on inputs with {spatial} "
                  "spatial dimensions, a channel dimension, and an optional batch dimension (i.e. "
                  f"{spatial + 1}D or {spatial + 2}D inputs).", stacklevel=3)


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zeroes whole channels input[n, c] (shape (N, C, H, W)) with probability p; a 3-D input is
    taken as (N, C, L), as PyTorch 2.13 does (with its warning)."""
    _check_dropout_p(p)
    ndim = input.dim()
    if ndim not in (3, 4):
        _warn_channel_dropout_dims(2, ndim)
    if ndim == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout "
                      "behavior is desired - input is interpreted as shape (N, C, L), where C is the channel dim. "
                      "This behavior will change in a future release to interpret the input as one without a "
                      "batch dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise dropout behavior, "
                      "please switch to using dropout1d instead.", stacklevel=2)
    return _noise_dropout(input, p, training, feature=True, alpha=False, inplace=inplace)


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zeroes whole channels input[n, c] (shape (N, C, D, H, W) or (C, D, H, W)) with probability p."""
    _check_dropout_p(p)
    ndim = input.dim()
    if ndim not in (4, 5):
        _warn_channel_dropout_dims(3, ndim)
    return _batched_feature_dropout(input, p, training, inplace, batched=ndim == 5)


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False) -> Tensor:
    """Dropout for SELU networks: dropped units take SELU's negative saturation value, and an affine
    map keeps the mean and variance."""
    _check_dropout_p(p)
    _check_tensors("alpha_dropout", ("input", input))
    return _noise_dropout(input, p, training, feature=False, alpha=True, inplace=inplace)


def feature_alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False) -> Tensor:
    """alpha_dropout of whole channels input[n, c]."""
    _check_dropout_p(p)
    _check_tensors("feature_alpha_dropout", ("input", input))
    return _noise_dropout(input, p, training, feature=True, alpha=True, inplace=inplace)


def gumbel_softmax(logits: Tensor, tau: float = 1, hard: bool = False, eps: float = 1e-10, dim: int = -1) -> Tensor:
    """softmax((logits + g) / tau) with g ~ Gumbel(0, 1) (from exponential_ draws, as PyTorch's); hard=True
    returns one-hot vectors whose gradient is the soft sample's (straight-through)."""
    from .. import empty_like, zeros_like
    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", stacklevel=2)
    gumbels = -empty_like(logits).exponential_().log()
    y_soft = ((logits + gumbels) / tau).softmax(dim)
    if not hard:
        return y_soft
    index = y_soft.max(dim, keepdim=True)[1]
    y_hard = zeros_like(logits).scatter_(dim, index, 1.0)
    return y_hard - y_soft.detach() + y_soft


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 indicators: out[..., c] = 1 where tensor[...] == c, for c in [0, num_classes)
    (num_classes -1: the largest class + 1)."""
    _check_tensors("one_hot", ("input", tensor))
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


def _written_back(input: Tensor, inplace: bool, compute) -> Tensor:
    """compute(input), or with inplace its values written into input, which is returned (as
    PyTorch's in-place activations); under autograd computed from a copy of input, so that what
    the result's backward saved is not overwritten."""
    if not inplace:
        return compute(input)
    source = input.clone() if _C.is_grad_enabled() and input.requires_grad else input
    return input.copy_(compute(source))


@grad_fn_named(_in_place_variant("LeakyReluBackward", 2))
def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x where x > 0, else negative_slope * x."""
    _check_tensors("leaky_relu", ("input", input))
    _require_floating(input, "leaky_relu")
    return _written_back(input, inplace, lambda input: _C.where(input > 0, input, input * negative_slope))


class _RReLUWithNoise(Function):
    """input * noise, the noise being 1 where input > 0 and the drawn (training) or the mean
    (evaluation) slope elsewhere; the gradient is grad * noise."""

    _grad_fn_name = "RreluWithNoiseBackward0"

    @staticmethod
    def forward(ctx, input, noise):
        ctx.save_for_backward(noise)
        return input * noise

    @staticmethod
    def backward(ctx, grad):
        (noise,) = ctx.saved_tensors
        return grad * noise, None


def _rrelu_noise(input: Tensor, lower: float, upper: float, training: bool) -> Tensor:
    """ATen's rrelu_with_noise: in training a slope r ~ U(lower, upper) for each element <= 0, drawn
    in row-major order from the default generator (on the CPU the very numbers PyTorch draws: its
    r = u (upper - lower) + lower in double, unfused, with the bounds first rounded to the input's
    dtype); in evaluation the slope (lower + upper) / 2 everywhere (PyTorch's leaky_relu)."""
    import numpy as np

    from .. import empty, from_numpy
    from .._functional import _scalar_on
    one = _scalar_on(1, input)
    if not training:
        return _C.where(input > 0, one, _scalar_on((lower + upper) / 2, input))
    if input.is_cuda:  # the CUDA generator's numbers (Philox), not PyTorch's CUDA stream
        r = empty(input.shape, dtype=input.dtype, device=input.device).uniform_(lower, upper)
        return _C.where(input > 0, one, r)
    x = input.detach().contiguous().numpy()
    dtype = x.dtype
    low, high = float(dtype.type(lower)), float(dtype.type(upper))
    draw = x <= 0
    u = empty(int(draw.sum()), dtype=_C.float64).uniform_(0, 1).numpy()  # 53-bit u, one random64 each
    noise = np.ones(x.shape, dtype)
    noise[draw] = (u * (high - low) + low).astype(dtype)
    return from_numpy(noise)


@grad_fn_named(_in_place_variant("RreluWithNoiseBackward", 4))
def rrelu(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False,
          inplace: bool = False) -> Tensor:
    """Randomized leaky ReLU: x where x > 0, else x * r with r ~ U(lower, upper) per element in
    training, (lower + upper) / 2 in evaluation."""
    _check_tensors("rrelu", ("input", input))
    _require_floating(input, "rrelu_with_noise_out" if training else "leaky_relu")
    if lower > upper:
        raise RuntimeError("Lower bound should be less than or equal to the upper bound")
    noise = _rrelu_noise(input, lower, upper, training)
    return _written_back(input, inplace, lambda input: _RReLUWithNoise.apply(input, noise))


def rrelu_(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False) -> Tensor:
    """rrelu written into input."""
    return rrelu(input, lower, upper, training, inplace=True)


@grad_fn_named(_in_place_variant("EluBackward", 2))
def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x where x > 0, else alpha * (exp(x) - 1)."""
    _check_tensors("elu", ("input", input))
    _require_floating(input, "elu")
    return _written_back(input, inplace, lambda input: _C.where(input > 0, input, input.clamp(max=0).expm1() * alpha))


@grad_fn_named(_in_place_variant("CeluBackward", 2))
def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x where x > 0, else alpha * (exp(x / alpha) - 1)."""
    _check_tensors("celu", ("input", input))
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")

    def negative_part(x: Tensor) -> Tensor:
        # The value from expm1 (exact near 0), the gradient from exp (expm1's backward, result + 1,
        # cancels near -1): e - e.detach() is exactly 0 and carries exp(u) as its derivative.
        u = x.clamp(max=0) / alpha
        e = u.exp()
        return (u.expm1().detach() + (e - e.detach())) * alpha

    return _written_back(input, inplace, lambda x: _C.where(x > 0, x, negative_part(x)))


@grad_fn_named("GeluBackward0")
def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x * Φ(x) = x/2 * (1 + erf(x/√2)); approximate='tanh': x/2 * (1 + tanh(√(2/π) (x + 0.044715 x³)))."""
    _check_tensors("gelu", ("input", input))
    if not input.is_floating_point():
        kernel = "GeluCUDAKernelImpl" if input.is_cuda else "GeluKernelImpl"
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_scalar_type_name(input)}'")
    if approximate == "none":
        return input * 0.5 * (1.0 + (input * 0.7071067811865476).erf())
    if approximate == "tanh":
        return input * 0.5 * (1.0 + ((input + input * input * input * 0.044715) * 0.7978845608028654).tanh())
    raise RuntimeError(f"approximate argument must be either none or tanh, not {approximate!r}")


@grad_fn_named("SiluBackward0")
def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x * sigmoid(x)."""
    _check_tensors("silu", ("input", input))
    _require_floating(input, "silu")
    return _written_back(input, inplace, lambda input: input * input.sigmoid())


@grad_fn_named("SoftplusBackward0")
def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta x)) / beta, and x itself where beta x > threshold."""
    _check_tensors("softplus", ("input", input))
    _require_floating(input, "softplus")
    scaled = input * beta
    return _C.where(scaled > threshold, input, scaled.clamp(max=threshold).exp().log1p() / beta)


def _require_floating(input: Tensor, kernel: str) -> None:
    """PyTorch's error for its floating-point-only activation kernels ("mish_cpu" on an int64 tensor)."""
    if isinstance(input, Tensor) and not input.is_floating_point():
        device = "cuda" if input.is_cuda else "cpu"
        raise NotImplementedError(f"\"{kernel}_{device}\" not implemented for '{_scalar_type_name(input)}'")


@grad_fn_named("HardtanhBackward0")
def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:
    """min_val where x <= min_val, max_val where x >= max_val, else x; the gradient is 0 at both bounds
    (as PyTorch's hardtanh_backward), which clamp's would not be. Keeps integer dtypes."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    _check_tensors("hardtanh", ("input", input))
    if input.dtype == _C.bool:
        raise RuntimeError("Bool inputs not supported for hardtanh")
    if input.dtype == _C.uint8 and (min_val < 0 or max_val < 0):
        raise RuntimeError("cannot do hardtanh on an unsigned type with negative limits")
    return _written_back(input, inplace, lambda input: input.masked_fill(input <= min_val, min_val).masked_fill(input >= max_val, max_val))


@grad_fn_named("HardtanhBackward0")
def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(x, 0), 6): hardtanh(x, 0, 6), as PyTorch computes it."""
    _check_tensors("relu6", ("input", input))
    return _written_back(input, inplace, lambda input: hardtanh(input, 0.0, 6.0))


@grad_fn_named("LogSigmoidBackward0")
def logsigmoid(input: Tensor) -> Tensor:
    """log(sigmoid(x)) = min(x, 0) - log(1 + exp(-|x|)), stable for large |x|. -|x| is written
    where(x < 0, x, -x) so that its gradient at 0 is -1 and the result's is sigmoid(-0) = 1/2."""
    _check_tensors("log_sigmoid", ("input", input))
    _require_floating(input, "log_sigmoid")
    negative = input < 0
    return _C.where(negative, input, 0.0) - _C.where(negative, input, -input).exp().log1p()


def softsign(input: Tensor) -> Tensor:
    """x / (1 + |x|)."""
    return input / (input.abs() + 1)


def softmin(input: Tensor, dim: Optional[int] = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """softmax(-x) along ``dim`` (PyTorch's implicit-dim rule, with its warning, when dim is None)."""
    if dim is None:
        dim = _implicit_softmax_dim("softmin", input.dim(), _stacklevel)
    negated = -input
    if not isinstance(negated, Tensor):  # PyTorch calls (-input).softmax: AttributeError for a NumPy array
        return negated.softmax(dim) if dtype is None else negated.softmax(dim, dtype=dtype)
    return _C.softmax(negated, dim, dtype)


# PyTorch's hardsigmoid backward multiplies by 1/6 rounded to float32, in float64 too.
_ONE_SIXTH_FLOAT32 = 0.1666666716337204


@grad_fn_named("HardsigmoidBackward0")
def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """0 where x <= -3, 1 where x >= 3, else (x + 3) / 6; the gradient is 0 at ±3 and, between, PyTorch's
    float32 1/6. The value is (x + 3) / 6 exactly: a + (b - a) with a = (x + 3) * c, b = (x + 3) / 6 rounds
    to b (b - a is exact, a and b being within a factor 2), while the gradient flows through a only."""
    _check_tensors("hardsigmoid", ("input", input))
    _require_floating(input, "hardsigmoid")
    def compute(input: Tensor) -> Tensor:
        shifted = input + 3
        scaled = shifted * _ONE_SIXTH_FLOAT32
        scaled = scaled + (shifted / 6 - scaled).detach()
        return scaled.masked_fill(input <= -3, 0.0).masked_fill(input >= 3, 1.0)

    return _written_back(input, inplace, compute)


@grad_fn_named("HardswishBackward0")
def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * hardsigmoid(x): 0 where x <= -3, x where x >= 3, else x (x + 3) / 6 (so the gradient is 0 at -3 and 1
    at 3, as PyTorch's)."""
    _check_tensors("hardswish", ("input", input))
    _require_floating(input, "hardswish")
    return _written_back(input, inplace, lambda input: _C.where(input >= 3, input, (input * (input + 3) / 6).masked_fill(input <= -3, 0.0)))


@grad_fn_named("MishBackward0")
def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * tanh(softplus(x)); softplus's threshold keeps exp finite (tanh of it is 1 there either way)."""
    _check_tensors("mish", ("input", input))
    _require_floating(input, "mish")
    return _written_back(input, inplace, lambda input: input * softplus(input).tanh())


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


@grad_fn_named(_in_place_variant("EluBackward", 1))
def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """scale * elu(x, alpha) with PyTorch's constants (self-normalizing networks)."""
    _check_tensors("selu", ("input", input))
    _require_floating(input, "elu")
    return _written_back(input, inplace, lambda input: elu(input, _SELU_ALPHA) * _SELU_SCALE)


_C_INT_TYPE_NAMES = {_C.int32: "int", _C.int64: "int64_t", _C.uint8: "uint8_t", _C.bool: "bool"}


@grad_fn_named(_in_place_variant("ThresholdBackward", 3))
def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """x where x > threshold, else value (in input's dtype; NaN stays NaN, as PyTorch's)."""
    _check_tensors("threshold", ("input", input))
    if not input.is_floating_point() and isinstance(threshold, float):
        if not math.isfinite(threshold):
            raise RuntimeError(f"value cannot be converted to type {_C_INT_TYPE_NAMES[input.dtype]} without overflow")
        threshold = int(threshold)  # PyTorch compares in input's dtype: -1.5 is -1 for ints
    return _written_back(input, inplace, lambda input: input.masked_fill(input <= threshold, value))


# --- the in-place forms (PyTorch's F.relu_, F.elu_, ...): each returns its input, overwritten ----------


def relu_(input: Tensor) -> Tensor:
    return _C.relu_(input)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    return leaky_relu(input, negative_slope, inplace=True)


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return elu(input, alpha, inplace=True)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return celu(input, alpha, inplace=True)


def selu_(input: Tensor) -> Tensor:
    return selu(input, inplace=True)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    return hardtanh(input, min_val, max_val, inplace=True)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    return _threshold(input, threshold, value, inplace=True)


_threshold = threshold


# --- shrinkage -------------------------------------------------------------------------------------


@grad_fn_named("SoftshrinkBackward0")
def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x - lambd where x > lambd, x + lambd where x < -lambd, else 0 (x * 0, keeping x's sign; NaN stays
    NaN); the gradient is 1 outside [-lambd, lambd] and 0 inside, as PyTorch's softshrink_backward."""
    _check_tensors("softshrink", ("input", input))
    if not input.is_floating_point():
        raise NotImplementedError(f"\"softshrink_check\" not implemented for '{_scalar_type_name(input)}'")
    largest = 3.4028234663852886e38 if input.dtype == _C.float32 else 1.7976931348623157e308
    if not 0 <= lambd <= largest:
        raise RuntimeError(f"lambda must be in range [0, {largest:g}] for input dtype {_scalar_type_name(input)}, "
                           f"but found {lambd:g}")
    inside = (input >= -lambd) & (input <= lambd)
    shrunk = _C.where(input > lambd, input - lambd, input + lambd)
    return _C.where(inside, (input * 0).detach(), shrunk)


@grad_fn_named("GluBackward0")
def glu(input: Tensor, dim: int = -1) -> Tensor:
    """a * sigmoid(b), where a and b are the two halves of input along ``dim``."""
    if input.dim() == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    size = input.size(dim)  # IndexError for a dim out of range, worded as PyTorch's
    if size % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {dim % input.dim()} is size {size}")
    _require_floating(input, "glu")
    a, b = input.chunk(2, dim) if size else (input, input)
    return a * b.sigmoid()


def tanhshrink(input: Tensor) -> Tensor:
    """x - tanh(x)."""
    return input - input.tanh()


@grad_fn_named("PreluKernelBackward0")
def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """x where x > 0, else weight * x; weight is one slope (numel 1) or one per channel (dim 1 of input)."""
    _check_tensors("prelu", ("input", input), ("weight", weight))
    if weight.dtype != input.dtype:
        raise RuntimeError(f"prelu: Type promoting not supported. Got {_scalar_type_name(input)} and "
                           f"{_scalar_type_name(weight)}")
    if weight.numel() != 1:
        if input.dim() == 0:
            raise RuntimeError("Not allow zero-dim input tensor.")
        channels = input.shape[1] if input.dim() > 1 else 1
        if weight.numel() != channels:
            raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found parameter numbers = "
                               f"{weight.numel()} and channel size = {channels}.")
    if weight.dim() > 1:
        raise RuntimeError(f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = {weight.dim()}")
    if weight.dim() != input.dim():  # (C,) → (1, C, 1, ..., 1), broadcasting along input's channel dim
        shape = [1] * input.dim()
        if input.dim() > 1:
            shape[1] = weight.numel()
        weight = weight.reshape(shape)
    return _C.where(input > 0, input, weight * input)


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
    if target.size() != input.size():  # size(), as PyTorch's: what a non-tensor's AttributeError names
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input size ({input.shape}). "
                      "This will likely lead to incorrect results due to broadcasting. "
                      "Please ensure they have the same size.", stacklevel=_stacklevel(3))


def l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """|input - target|, reduced."""
    _check_same_size(input, target)
    return _reduced((input - target).abs(), _legacy_reduction(size_average, reduce, reduction))


@grad_fn_named("SmoothL1LossBackward0")
def smooth_l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:
    """0.5 d² / beta where d = |input - target| < beta, else d - beta / 2 (beta 0: the L1 loss)."""
    _check_same_size(input, target)
    _require_floating_pair(input, target, "smooth_l1")
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    d = (input - target).abs()
    loss = d if beta == 0 else _C.where(d < beta, d * d * (0.5 / beta), d - 0.5 * beta)
    return _reduced(loss, _legacy_reduction(size_average, reduce, reduction))


@grad_fn_named("HuberLossBackward0")
def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Optional[Tensor] = None) -> Tensor:
    """0.5 d² where d = |input - target| < delta, else delta (d - delta / 2)."""
    _check_same_size(input, target)
    _require_floating_pair(input, target, "huber")
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    d = (input - target).abs()
    loss = _C.where(d < delta, d * d * 0.5, (d - 0.5 * delta) * delta)
    return _reduced(loss if weight is None else loss * weight, reduction)


@grad_fn_named("BinaryCrossEntropyBackward0")
def binary_cross_entropy(input: Tensor, target: Tensor, weight: Optional[Tensor] = None, size_average=None,
                         reduce=None, reduction: str = "mean") -> Tensor:
    """-(t log x + (1 - t) log(1 - x)) for probabilities x, each log clamped at -100 as PyTorch's."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if target.size() != input.size():  # size(), as PyTorch's: what a non-tensor's AttributeError names
        raise ValueError(f"Using a target size ({target.shape}) that is different to the input size ({input.shape}) "
                         "is deprecated. Please ensure they have the same size.")
    if not input.is_floating_point():
        raise NotImplementedError(f"\"binary_cross_entropy\" not implemented for '{_scalar_type_name(input)}'")
    _check_loss_target_dtype(input, target)
    if input.numel() > 0 and not bool(((input >= 0) & (input <= 1)).all()):
        raise RuntimeError("all elements of input should be between 0 and 1")
    return _reduced(_BinaryCrossEntropy.apply(input, target, weight), reduction)


def _check_loss_target_dtype(input: Tensor, target: Tensor) -> None:
    """PyTorch's binary_cross_entropy wants the target in the input's dtype."""
    if target.dtype != input.dtype:
        from .._tensor import _SCALAR_NAMES

        names = [_SCALAR_NAMES[str(t.dtype).split(".")[-1]] for t in (target, input)]
        raise RuntimeError(f"Found dtype {names[0]} but expected {names[1]}")


class _BinaryCrossEntropy(Function):
    """Elementwise -(t log x + (1 - t) log(1 - x)), logs clamped at -100, with PyTorch's backward:
    (x - t) / max(x (1 - x), 1e-12) for x (finite where a probability is exactly 0 or 1; the gradient
    through the clamped logs was NaN there) and log(1 - x) - log(x) for t. Both are differentiable."""

    @staticmethod
    def forward(ctx, input: Tensor, target: Tensor, weight: Optional[Tensor]) -> Tensor:
        ctx.save_for_backward(input, target, weight)
        loss = -(target * input.log().clamp(min=-100) + (1 - target) * (1 - input).log().clamp(min=-100))
        return loss if weight is None else loss * weight

    @staticmethod
    def backward(ctx, grad: Tensor):
        input, target, weight = ctx.saved_tensors
        if weight is not None:
            grad = grad * weight
        grad_input = grad_target = None
        if ctx.needs_input_grad[0]:
            grad_input = grad * (input - target) / ((1 - input) * input).clamp(min=1e-12)
        if ctx.needs_input_grad[1]:
            grad_target = -(grad * (input.log() - (-input).log1p()))
        return grad_input, grad_target, None


@grad_fn_named("BinaryCrossEntropyWithLogitsBackward0")
def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Optional[Tensor] = None,
                                     size_average=None, reduce=None, reduction: str = "mean",
                                     pos_weight: Optional[Tensor] = None) -> Tensor:
    """binary_cross_entropy(sigmoid(x), t) computed stably:
    (1 - t) x + (1 + (pos_weight - 1) t) (log(1 + exp(-|x|)) + max(-x, 0))."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if target.size() != input.size():  # size(), as PyTorch's: what a non-tensor's AttributeError names
        raise ValueError(f"Target size ({target.shape}) must be the same as input size ({input.shape})")
    if not target.is_floating_point():
        from .._tensor import _SCALAR_NAMES

        raise RuntimeError(f"result type {_SCALAR_NAMES[str(input.dtype).split('.')[-1]]} can't be cast to the "
                           f"desired output type {_SCALAR_NAMES[str(target.dtype).split('.')[-1]]}")
    # log(1 + exp(-x)) = max(-x, 0) + log(1 + exp(-|x|)), written with where() so that its gradient at
    # x = 0 is -sigmoid(0) = -1/2 (abs and clamp each put a kink there: the gradient came out as -t).
    negative = input < 0
    softplus_neg = _C.where(negative, -input, 0.0) + _C.where(negative, input, -input).exp().log1p()
    if pos_weight is None:
        loss = (1 - target) * input + softplus_neg
    else:
        loss = (1 - target) * input + (1 + (pos_weight - 1) * target) * softplus_neg
    return _reduced(loss if weight is None else loss * weight, reduction)


@grad_fn_named(lambda input, *args, **kwargs: "NllLoss2DBackward0" if input.dim() >= 3 else "NllLossBackward0")
def nll_loss(input: Tensor, target: Tensor, weight: Optional[Tensor] = None, size_average=None,
             ignore_index: int = -100, reduce=None, reduction: str = "mean") -> Tensor:
    """-weight[t] * input[t] for log-probabilities input (N, C), (C,) or (N, C, d1, ...) and classes
    target (N,), () or (N, d1, ...); 'mean' divides by the summed weights of the counted targets."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    _check_tensors("nll_loss_nd", ("input", input), ("target", target), ("weight", weight),
                     optional=("weight",))
    if not input.is_floating_point():
        raise NotImplementedError(f"\"nll_loss_out_frame\" not implemented for '{_scalar_type_name(input)}'")
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


# --- padding -------------------------------------------------------------------------------------

_PAD_MODES = ("constant", "reflect", "replicate", "circular")


@grad_fn_named(_pad_node_name)
def pad(input: Tensor, pad: Sequence[int], mode: str = "constant", value: Optional[float] = None) -> Tensor:
    """Pads the last len(pad) // 2 dims of input: pad = (left, right) for the last dim, then (top, bottom)
    for the one before, and so on; a negative pad crops.

    'constant' (any number of dims) fills with ``value`` (0 when None). 'reflect' (mirror without repeating
    the edge), 'replicate' (repeat the edge) and 'circular' (wrap around) pad the last 1, 2 or 3 dims of a
    2-3, 3-4 or 4-5-D input, as PyTorch: they gather input positions with index_select, one padded dim at
    a time, so the gradient of an element that appears several times is the sum of its copies'."""
    _check_tensors("pad", ("input", input))
    pad = _pad_ints(pad)
    if mode not in _PAD_MODES:
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) > 2 * input.dim():
        raise RuntimeError("Padding length should be less than or equal to two times the input dimension but got "
                           f"padding length {len(pad)} and input of dimension {input.dim()}")
    if mode == "constant":
        return _constant_pad(input, pad, 0 if value is None else value)
    if value is not None and value != 0:
        raise RuntimeError(f"Padding mode \"{mode}\" doesn't take in value argument")
    n_padded = len(pad) // 2
    if not 1 <= n_padded <= 3 or input.dim() not in (n_padded + 1, n_padded + 2):
        raise NotImplementedError(
            f"Padding size {len(pad)} is not supported for {input.dim()}D input tensor.\n"
            "Supported combinations for non-constant padding:\n"
            "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
            "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
            "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")
    if mode == "circular":
        _check_circular_pad(input, pad)
    else:
        _check_reflect_replicate_pad(input, pad, mode)
    out = input
    for k in range(n_padded):  # k = 0 is the last dim
        left, right = pad[2 * k], pad[2 * k + 1]
        if left == 0 and right == 0:
            continue
        dim = input.dim() - 1 - k
        size = input.shape[dim]
        positions = _C._arange(0, size + left + right, 1, _C.int64, input.device, False)
        if mode == "circular":
            # PyTorch crops first (negative pads), then wraps around what is left: [kept_from, kept_from + kept)
            kept_from, kept = max(-left, 0), size + min(left, 0) + min(right, 0)
            j = (positions - max(left, 0)).remainder(max(kept, 1)) + kept_from
        else:
            # output position o reads input position o - left, mapped back into [0, size)
            j = positions - left
            if mode == "reflect":
                j = _C.where(j < 0, -j, j)
                j = _C.where(j >= size, 2 * (size - 1) - j, j)
            else:
                j = j.clamp(0, size - 1)
        out = out.index_select(dim, j)
    return input.clone() if out is input else out


def _pad_ints(pad) -> list:
    """pad as a list of Python ints, with PyTorch's TypeError for anything else."""
    if not isinstance(pad, (list, tuple)):
        raise TypeError(f"pad(): argument 'pad' (position 2) must be tuple of ints, not {type(pad).__name__}")
    for i, p in enumerate(pad):
        if not isinstance(p, int):
            raise TypeError("pad(): argument 'pad' (position 2) must be tuple of ints, but found element of type "
                            f"{type(p).__name__} at pos {i}")
    return [int(p) for p in pad]


def _constant_pad(input: Tensor, pad: list, value: float) -> Tensor:
    """Negative pads narrow the input (outer dims first, left before right, as PyTorch); positive ones
    concatenate blocks of ``value`` on each side. The result is always a new tensor."""
    sides = [(input.dim() - 1 - k, pad[2 * k], pad[2 * k + 1]) for k in range(len(pad) // 2)]
    out = input
    for dim, left, right in reversed(sides):
        if left < 0:
            if out.shape[dim] + left < 0:
                raise RuntimeError("narrow(): length must be non-negative.")
            out = out.narrow(dim, -left, out.shape[dim] + left)
        if right < 0:
            if out.shape[dim] + right < 0:
                raise RuntimeError("narrow(): length must be non-negative.")
            out = out.narrow(dim, 0, out.shape[dim] + right)
    if all(p <= 0 for p in pad):
        return out.clone()
    for dim, left, right in sides:
        if left <= 0 and right <= 0:
            continue
        block = list(out.shape)
        pieces = []
        if left > 0:
            block[dim] = left
            pieces.append(out.new_full(block, value))
        pieces.append(out)
        if right > 0:
            block[dim] = right
            pieces.append(out.new_full(block, value))
        out = _C.cat(pieces, dim)
    return out


def _check_reflect_replicate_pad(input: Tensor, pad: list, mode: str) -> None:
    """PyTorch's checks of reflection_pad{1,2,3}d / replication_pad{1,2,3}d, in its order."""
    n_padded = len(pad) // 2
    kernel = f"{'reflection' if mode == 'reflect' else 'replication'}_pad{n_padded}d"
    shape = list(input.shape)
    non_batch = shape[1:] if input.dim() == n_padded + 2 else shape
    if any(size == 0 for size in non_batch):
        raise RuntimeError(f"Expected {n_padded + 1}D or {n_padded + 2}D (batch mode) tensor with possibly 0 batch "
                           f"size and other non-zero dimensions for input, but got: {shape}")
    if mode == "reflect":
        for k in range(n_padded):
            left, right, dim = pad[2 * k], pad[2 * k + 1], input.dim() - 1 - k
            if not (left < shape[dim] and right < shape[dim]):
                raise RuntimeError(f"Argument #{4 + 2 * k}: Padding size should be less than the corresponding input "
                                   f"dimension, but got: padding ({left}, {right}) at dimension {dim} of input {shape}")
    out_shape = shape[:]
    for k in range(n_padded):
        out_shape[input.dim() - 1 - k] += pad[2 * k] + pad[2 * k + 1]
    if n_padded == 1 and out_shape[-1] < 1:
        raise RuntimeError(f"input (W: {shape[-1]}) is too small. Calculated output W: {out_shape[-1]}")
    negative = [size for size in out_shape if size < 0]
    if negative:
        raise RuntimeError(f"Trying to create tensor with negative dimension {negative[0]}: {out_shape}")
    if input.dtype == _C.bool:
        raise NotImplementedError(f"\"{kernel}\" not implemented for 'Bool'")


def _check_circular_pad(input: Tensor, pad: list) -> None:
    """PyTorch's checks of circular padding: at most one wrap-around, and no negative output size."""
    n_padded = len(pad) // 2
    for k in reversed(range(n_padded)):  # outer padded dims first
        left, right, size = pad[2 * k], pad[2 * k + 1], input.shape[input.dim() - 1 - k]
        if left > size or right > size:
            raise RuntimeError("Padding value causes wrapping around more than once.")
        if size + left + right < 0:
            raise RuntimeError("Negative padding value is resulting in an empty dimension")
        if size + min(left, 0) + min(right, 0) <= 0 < size + left + right:  # PyTorch reads past the input here
            raise RuntimeError("Padding value causes wrapping around more than once.")


# --- normalization and distances --------------------------------------------------------------------

_DTYPE_NAMES = {"bool": "Bool", "uint8": "Byte", "int32": "Int", "int64": "Long", "float32": "Float",
                "float64": "Double"}


def normalize(input: Tensor, p: float = 2.0, dim=1, eps: float = 1e-12, out: Optional[Tensor] = None) -> Tensor:
    """input / max(||input||_p, eps), the norm taken along ``dim`` (an int or a tuple of ints)."""
    denom = input.norm(p, dim, keepdim=True).clamp_min(eps).expand_as(input)
    if out is None:
        return input / denom
    return _C.div(input, denom, out=out)


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """sum(x1 / max(||x1||, eps) * x2 / max(||x2||, eps)) along ``dim``, x1 and x2 broadcast together.

    PyTorch 2.13's formula: each input is divided by its own clamped norm first (the result stays in
    [-1, 1] and no product of norms can overflow), and the clamp is applied in place under no_grad, so the
    gradient flows through the unclamped norm."""
    _check_tensors("cosine_similarity", ("x1", x1), ("x2", x2))
    common = _C.result_type(x1, x2)
    if not common.is_floating_point:
        raise RuntimeError("expected common dtype to be floating point, yet common dtype is "
                           f"{_DTYPE_NAMES[repr(common).split('.')[-1]]}")
    if not x1.is_floating_point():
        x1 = x1.to(common)
    if not x2.is_floating_point():
        x2 = x2.to(common)
    if x1.shape != x2.shape:
        shape = _broadcast_pair(x1.shape, x2.shape)
        x1, x2 = x1.expand(*shape), x2.expand(*shape)
    x1_norm = x1.norm(2, dim, keepdim=True).clone()
    x2_norm = x2.norm(2, dim, keepdim=True).clone()
    with no_grad():
        x1_norm.clamp_min_(eps)
        x2_norm.clamp_min_(eps)
    return ((x1 / x1_norm) * (x2 / x2_norm)).sum(dim)


@grad_fn_named("NormBackward1")
def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> Tensor:
    """||x1 - x2 + eps||_p along the last dim of the broadcast inputs."""
    _check_tensors("pairwise_distance", ("x1", x1), ("x2", x2))
    innermost = max(x1.dim(), x2.dim()) - 1
    return (x1 - x2 + eps).norm(p, innermost, keepdim=keepdim)


# --- kl_div ---------------------------------------------------------------------------------------


def kl_div(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
           log_target: bool = False) -> Tensor:
    """target * (log target - input) for log-probabilities ``input``: 0 where target is 0, as xlogy
    (log_target: exp(target) * (target - input)). ``reduction``: 'mean' (over all elements; warns, as
    PyTorch does), 'batchmean' (the sum over the batch size, the true KL divergence), 'sum' or 'none'.
    Where target is 0, target's own gradient is -input (PyTorch's xlogy backward gives 0 / 0 = nan there)."""
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce, reduction)
    elif reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support size."
                      "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                      "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
                      stacklevel=2)
    if reduction != "batchmean":
        _check_reduction(reduction)
    _check_tensors("kl_div", ("input", input), ("target", target))
    if not (input.is_floating_point() and target.is_floating_point()):
        raise RuntimeError("kl_div: Integral inputs not supported.")
    if log_target:
        loss = target.exp() * (target - input)
    else:
        # xlogy(t, t): 0 where t == 0. log is taken of a safe stand-in there, so that the branch where()
        # drops stays finite and the target's gradient is not 0 * inf = nan.
        zero = target == 0
        loss = _C.where(zero, 0.0, target * _C.where(zero, 1.0, target).log()) - target * input
    if reduction == "batchmean":
        total = loss.sum()
        return total / input.shape[0] if input.dim() != 0 else total
    return _reduced(loss, reduction)


# --- embedding and layer_norm ------------------------------------------------------------------------


def _padding_index(padding_idx: Optional[int], num_embeddings: int) -> Optional[int]:
    """padding_idx checked against the table (PyTorch's AssertionError) and made non-negative."""
    if padding_idx is None:
        return None
    if padding_idx >= num_embeddings or padding_idx < -num_embeddings:
        raise AssertionError("Padding_idx must be within num_embeddings")
    return padding_idx + num_embeddings if padding_idx < 0 else padding_idx


@grad_fn_named("EmbeddingBackward0")
def embedding(input: Tensor, weight: Tensor, padding_idx: Optional[int] = None, max_norm: Optional[float] = None,
              norm_type: float = 2.0, scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """The rows of weight (num_embeddings, embedding_dim) at the indices ``input`` (int64 or int32, any
    shape): (*,) → (*, embedding_dim); one index_select, whose backward adds up repeated rows.

    padding_idx: that row gets no gradient. max_norm: the rows looked up are first rescaled in place (no
    grad) to norm max_norm where their ``norm_type`` norm exceeds it. scale_grad_by_freq: each row's gradient
    is divided by how often its index occurs in ``input``. Sparse gradients are not supported."""
    if not padding_idx:  # a nonzero one is first checked against weight.size(0), as in PyTorch
        _check_tensors("embedding", ("weight", weight), ("indices", input))
    num_embeddings = weight.size(0)
    padding_idx = _padding_index(padding_idx, num_embeddings)
    if weight.dim() != 2:
        raise RuntimeError("'weight' must be 2-D")
    if input.dtype not in (_C.int64, _C.int32):
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the following scalar types: "
                           f"Long, Int; but got {input.type()} instead (while checking arguments for embedding)")
    if sparse:
        raise NotImplementedError("embedding(sparse=True) is not supported: fasttensor has no sparse gradients; "
                                  "use sparse=False")
    flat = input.reshape(-1).to(_C.int64)
    if max_norm is not None:
        _embedding_renorm_(weight, flat, max_norm, norm_type)
    rows = weight.index_select(0, flat)  # (n, embedding_dim); IndexError for an index out of range
    if padding_idx is not None:
        rows = _C.where((flat == padding_idx).unsqueeze(1), rows.detach(), rows)
    if scale_grad_by_freq and rows.requires_grad:
        _, inverse, counts = flat.unique(return_inverse=True, return_counts=True)
        frequency = counts[inverse].to(rows.dtype).unsqueeze(1)
        rows.register_hook(lambda grad: grad / frequency)
    return rows.reshape(*input.shape, weight.shape[1])


def _embedding_renorm_(weight: Tensor, indices: Tensor, max_norm: float, norm_type: float) -> None:
    """Rows of weight at ``indices`` whose norm exceeds max_norm scaled by max_norm / (norm + 1e-7), in place."""
    with no_grad():
        rows = indices.unique()
        if rows.numel() == 0:
            return
        selected = weight.index_select(0, rows)
        norms = selected.norm(norm_type, 1, keepdim=True)
        scale = _C.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
        weight[rows] = selected * scale


@grad_fn_named("NativeLayerNormBackward0")
def layer_norm(input: Tensor, normalized_shape: Sequence[int], weight: Optional[Tensor] = None,
               bias: Optional[Tensor] = None, eps: float = 1e-5) -> Tensor:
    """(x - mean) / sqrt(var + eps) * weight + bias, mean and (biased) var taken over the last
    len(normalized_shape) dims, which must equal normalized_shape."""
    _check_tensors("layer_norm", ("input", input))
    if not isinstance(normalized_shape, (list, tuple)):
        raise TypeError("layer_norm(): argument 'normalized_shape' (position 2) must be tuple of ints, not "
                        f"{type(normalized_shape).__name__}")
    shape = [int(s) for s in normalized_shape]
    if not shape:
        raise RuntimeError("Expected normalized_shape to be at least 1-dimensional, i.e., containing at least one "
                           "element, but got normalized_shape = []")
    for name, param in (("weight", weight), ("bias", bias)):
        if param is not None and list(param.shape) != shape:
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but got {name} of shape "
                               f"{list(param.shape)} and normalized_shape = {shape}")
    if input.dim() < len(shape) or list(input.shape[input.dim() - len(shape):]) != shape:
        raise RuntimeError(f"Given normalized_shape={shape}, expected input with shape [*, "
                           f"{', '.join(str(s) for s in shape)}], but got input of size{list(input.shape)}")
    if not input.is_floating_point():
        raise NotImplementedError(f"\"LayerNormKernelImpl\" not implemented for '{_scalar_type_name(input)}'")
    dims = tuple(range(-len(shape), 0))
    input = input.contiguous()  # a contiguous result whatever input's layout, as PyTorch's
    centered = input - input.mean(dims, keepdim=True)
    out = centered * ((centered * centered).mean(dims, keepdim=True) + eps).rsqrt()
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


# --- more losses (PyTorch composes these of tensor ops too, but soft_margin_loss) --------------------
# The unreduced loss of reduction='none' carries the node of PyTorch's last op (ClampMinBackward0 where
# PyTorch clamps with clamp_min_, which is clamp here); 'mean' and 'sum' end in MeanBackward0 and
# SumBackward0, as PyTorch's.

# ATen's EPSILON in cosine_embedding_loss: the float 1e-12 (added as that value to a double tensor)
_EPSILON_FLOAT = 9.999999960041972e-13


def _reduction_of(size_average, reduce, reduction: str) -> str:
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    return reduction


@grad_fn_named("ClampMinBackward0")
def _clamp_min(t: Tensor, low: float) -> Tensor:
    return t.clamp(min=low)


@grad_fn_named("SoftMarginLossBackward0")
def soft_margin_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """log(1 + exp(-target * input)) in input's dtype (and shape: target broadcasts to it), reduced."""
    reduction = _reduction_of(size_average, reduce, reduction)
    if _C.is_grad_enabled() and target.requires_grad:
        raise RuntimeError("The function 'soft_margin_loss' is not differentiable with respect to argument "
                           "'target'. This input cannot have requires_grad True.")
    shape = _broadcast_pair(input.shape, target.shape)
    if shape != list(input.shape):
        raise RuntimeError(f"output with shape {list(input.shape)} doesn't match the broadcast shape {shape}")
    z = -input * target  # PyTorch writes each step into a tensor of input's dtype
    if not z.is_floating_point() or not input.is_floating_point():
        raise RuntimeError(f"result type Float can't be cast to the desired output type {_scalar_type_name(input)}")
    if z.dtype != input.dtype:
        z = z.to(input.dtype)
    return _reduced((z.exp() + 1).log(), reduction)


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0, size_average=None,
                        reduce=None, reduction: str = "mean") -> Tensor:
    """max(0, -target * (input1 - input2) + margin), reduced."""
    reduction = _reduction_of(size_average, reduce, reduction)
    if input1.dim() != input2.dim() or input1.dim() != target.dim():
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same dimension but got sizes: "
                           f"input1: {input1.size()}, input2: {input2.size()}, target: {target.size()} ")
    # (margin is a double in PyTorch's signature: integer inputs give the default float dtype)
    return _reduced(_clamp_min(-target * (input1 - input2) + float(margin), 0), reduction)


def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0, size_average=None, reduce=None,
                         reduction: str = "mean") -> Tensor:
    """x where target is 1, max(0, margin - x) where it is -1 (both terms where it is neither), reduced."""
    reduction = _reduction_of(size_average, reduce, reduction)
    zeros = _scalar_on(0, input)
    margin_clamp = _clamp_min(_scalar_on(margin, input) - input, 0)  # margin in input's dtype, as ATen's
    output_margin = _C.where(target != 1, margin_clamp, zeros)
    output_self = _C.where(target != -1, input, zeros)
    return _reduced(output_margin + output_self, reduction)


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0, size_average=None,
                          reduce=None, reduction: str = "mean") -> Tensor:
    """1 - cos(input1, input2) where target is 1, max(0, cos - margin) where it is -1, cos over the last
    dim of 1-D (target 0-D) or 2-D (target 1-D) inputs, reduced."""
    reduction = _reduction_of(size_average, reduce, reduction)
    dim = target.dim()
    if dim not in (0, 1):
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if input1.dim() != dim + 1 or input2.dim() != dim + 1:
        raise RuntimeError(f"{dim}D target tensor expects {dim + 1}D input tensors, but found inputs with sizes "
                           f"{list(input1.shape)} and {list(input2.shape)}.")
    prod_sum = (input1 * input2).sum(dim)
    mag_square1 = (input1 * input1).sum(dim) + _EPSILON_FLOAT
    mag_square2 = (input2 * input2).sum(dim) + _EPSILON_FLOAT
    cos = prod_sum / (mag_square1 * mag_square2).sqrt()
    zeros = _scalar_on(0, cos)
    pos = _scalar_on(1, cos) - cos
    neg = _clamp_min(cos - margin, 0)
    output = _C.where(target == 1, pos, zeros) + _C.where(target == -1, neg, zeros)
    return _reduced(output, reduction)


def gaussian_nll_loss(input: Tensor, target: Tensor, var, full: bool = False, eps: float = 1e-6,
                      reduction: str = "mean") -> Tensor:
    """0.5 (log(max(var, eps)) + (input - target)^2 / max(var, eps)) (+ 0.5 log(2 pi) with full), reduced;
    var: one variance per entry, one per row (input's shape without its last dim, or with one dim of size
    1), or a float. The clamp at eps is left out of the gradient, as PyTorch's."""
    if isinstance(var, float):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = var * _C._full(list(input.shape), 1, input.dtype, input.device, False)
    elif not isinstance(var, Tensor):
        raise TypeError(f"gaussian_nll_loss(): argument 'var' must be Tensor or float, not {type(var).__name__}")
    elif (var < 0).any():
        raise ValueError("var has negative entry/entries")
    if var.shape != input.shape:
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        elif not (input.dim() == var.dim() and sum(y for x, y in zip(input.shape, var.shape) if x != y) == 1):
            raise ValueError("var is of incorrect size")
    if reduction not in _REDUCTIONS:
        raise ValueError(reduction + " is not valid")
    var = var.clone()
    with no_grad():
        var.clamp_(min=eps)
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduced(loss, reduction)


def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool = True, full: bool = False, size_average=None,
                     eps: float = 1e-8, reduce=None, reduction: str = "mean") -> Tensor:
    """exp(input) - target * input (log_input), else input - target * log(input + eps); full adds
    Stirling's approximation of log(target!) where target > 1. Reduced."""
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce, reduction)
    if reduction not in _REDUCTIONS:
        raise ValueError(reduction + " is not a valid value for reduction")
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        stirling_term = target * target.log() - target + 0.5 * (2 * math.pi * target).log()
        loss = loss + stirling_term.masked_fill(target <= 1, 0)
    return _reduced(loss, reduction)


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: float = 1.0, p: float = 2,
                        eps: float = 1e-6, swap: bool = False, size_average=None, reduce=None,
                        reduction: str = "mean") -> Tensor:
    """max(0, margin + d(anchor, positive) - d(anchor, negative)) with d the pairwise p-distance (swap: the
    smaller of d(anchor, negative) and d(positive, negative)), reduced."""
    reduction = _reduction_of(size_average, reduce, reduction)
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    dims = (anchor.dim(), positive.dim(), negative.dim())
    if len(set(dims)) != 1:
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have the same number of "
                           f"dimensions, but got: anchor {dims[0]}D, positive {dims[1]}D, and negative {dims[2]}D "
                           f"inputs")
    dist_pos = pairwise_distance(anchor, positive, p, eps)
    dist_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        dist_neg = _C.minimum(dist_neg, pairwise_distance(positive, negative, p, eps))
    return _reduced(_clamp_min(margin + dist_pos - dist_neg, 0), reduction)


def multilabel_soft_margin_loss(input: Tensor, target: Tensor, weight: Optional[Tensor] = None, size_average=None,
                                reduce=None, reduction: str = "mean") -> Tensor:
    """-(target log sigmoid(x) + (1 - target) log sigmoid(-x)) (times weight), averaged over the classes (the
    last dim), then reduced over the samples."""
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce, reduction)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    class_dim = input.dim() - 1
    classes = input.size(class_dim)
    loss = loss.sum(class_dim) / classes
    if reduction not in _REDUCTIONS:
        raise ValueError(reduction + " is not valid")
    return _reduced(loss, reduction)
