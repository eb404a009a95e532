"""nn.functional: stateless layers and losses. Each is one call into C++:
the losses (_cross_entropy, _mse_loss), linear (_linear, one GEMM pass with
the bias) and dropout (_dropout) carry their own backward formulas."""

from __future__ import annotations

import warnings
from typing import Optional

from .. import _C

Tensor = _C.Tensor

__all__ = ["relu", "sigmoid", "tanh", "softmax", "log_softmax", "cross_entropy", "mse_loss", "linear", "dropout",
           "one_hot"]


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
