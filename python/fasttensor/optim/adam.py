"""Adam and AdamW (Kingma & Ba, 2015; Loshchilov & Hutter, 2019)."""

from __future__ import annotations

from typing import Any, Dict, Iterable, Optional, Tuple

from .. import _C
from .optimizer import Optimizer, _advance_step, _check_adam_arguments, _lerp_, _step_tensor

Tensor = _C.Tensor
_maximum = _C.maximum


class Adam(Optimizer):
    """PyTorch's Adam. Per parameter, at step t (one fused C++ pass):

        g = g + weight_decay * p          (Adam)   |  p *= 1 - lr * weight_decay  (AdamW)
        m = lerp(m, g, 1 - beta1)
        v = beta2 * v + (1 - beta2) * g²
        p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)

    amsgrad=True divides by sqrt(max over steps of v) instead (tensor ops: the fused pass has no
    running maximum); maximize=True steps along +g. ``state['step']`` is a 0-d float tensor on the
    CPU, as PyTorch's, incremented in place.
    """

    def __init__(self, params: Iterable, lr: float = 1e-3, betas: Tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, amsgrad: bool = False, *,
                 foreach: Optional[bool] = None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False, fused: Optional[bool] = None,
                 decoupled_weight_decay: bool = False) -> None:
        # foreach, fused and capturable pick one of PyTorch's implementations (capturable: for CUDA
        # graphs); the arithmetic is the same, and ours is one fused pass per parameter.
        _check_adam_arguments(lr, betas, eps, weight_decay)
        if differentiable:
            raise NotImplementedError(f"{type(self).__name__}(differentiable=True) is not supported")
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                                      amsgrad=amsgrad, maximize=maximize, foreach=foreach, capturable=capturable,
                                      differentiable=False, fused=fused,
                                      decoupled_weight_decay=decoupled_weight_decay))

    def _update(self, group: Dict[str, Any], p: Tensor, grad: Tensor, state: Dict[str, Any]) -> None:
        beta1, beta2 = group["betas"]
        amsgrad, maximize = group["amsgrad"], group["maximize"]
        if not state:
            # Key order as PyTorch's, so a printed state_dict reads the same.
            state["step"] = _step_tensor()
            state["exp_avg"] = _C._full(list(p.shape), 0, p.dtype, p.device, False)
            state["exp_avg_sq"] = _C._full(list(p.shape), 0, p.dtype, p.device, False)
            if amsgrad:
                state["max_exp_avg_sq"] = _C._full(list(p.shape), 0, p.dtype, p.device, False)
        step = int(_advance_step(state))
        if maximize:
            grad = -grad
        if amsgrad:
            if "max_exp_avg_sq" not in state:  # amsgrad switched on after the first steps
                state["max_exp_avg_sq"] = _C._full(list(p.shape), 0, p.dtype, p.device, False)
            _amsgrad_update(p, grad, state["exp_avg"], state["exp_avg_sq"], state["max_exp_avg_sq"],
                            group["lr"], beta1, beta2, group["eps"], group["weight_decay"],
                            group["decoupled_weight_decay"], step)
        else:
            _C._adam_step(p, grad, state["exp_avg"], state["exp_avg_sq"], group["lr"], beta1, beta2,
                          group["eps"], group["weight_decay"], group["decoupled_weight_decay"], step)


def _amsgrad_update(param: Tensor, grad: Tensor, exp_avg: Tensor, exp_avg_sq: Tensor, max_exp_avg_sq: Tensor,
                    lr: float, beta1: float, beta2: float, eps: float, weight_decay: float, decoupled: bool,
                    step: int) -> None:
    """AMSGrad (Reddi et al., 2018): Adam whose denominator uses the running maximum of v, in tensor ops
    (PyTorch's single-tensor order). All tensors have the parameter's shape."""
    if weight_decay != 0:
        if decoupled:
            param.mul_(1 - lr * weight_decay)
        else:
            grad = grad.add(param, alpha=weight_decay)
    _lerp_(exp_avg, grad, 1 - beta1)
    exp_avg_sq.mul_(beta2).add_(grad * grad, alpha=1 - beta2)
    _maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
    step_size = lr / (1 - beta1 ** step)
    denom = (max_exp_avg_sq.sqrt() / (1 - beta2 ** step) ** 0.5).add_(eps)
    param.add_(exp_avg / denom, alpha=-step_size)


class AdamW(Adam):
    """Adam with decoupled weight decay: p *= 1 - lr * weight_decay before the Adam update."""

    def __init__(self, params: Iterable, lr: float = 1e-3, betas: Tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False, *,
                 maximize: bool = False, foreach: Optional[bool] = None, capturable: bool = False,
                 differentiable: bool = False, fused: Optional[bool] = None) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach, maximize=maximize,
                         capturable=capturable, differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)

    def __setstate__(self, state: Dict[str, Any]) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True
