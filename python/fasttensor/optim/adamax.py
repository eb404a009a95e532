"""Adamax (Kingma & Ba, 2015, section 7.1): Adam with the infinity norm."""

from __future__ import annotations

from typing import Any, Dict, Iterable, Optional, Tuple

from .. import _C
from .optimizer import Optimizer, Tensor, _advance_step, _check_adam_arguments, _decayed_grad, _step_tensor, _zeros_like


class Adamax(Optimizer):
    """PyTorch's Adamax. Per parameter p with gradient g at step t, in tensor ops (any device):

        g = -g (maximize);  g = g + weight_decay * p
        m = lerp(m, g, 1 - beta1)                          state['exp_avg']
        u = max(beta2 * u, |g| + eps)                      state['exp_inf']
        p -= lr / (1 - beta1^t) * m / u
    """

    def __init__(self, params: Iterable, lr: float = 2e-3, betas: Tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, foreach: Optional[bool] = None, *,
                 maximize: bool = False, differentiable: bool = False, capturable: bool = False) -> None:
        _check_adam_arguments(lr, betas, eps, weight_decay)
        if differentiable:
            raise NotImplementedError("Adamax(differentiable=True) is not supported")
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, foreach=foreach,
                                      maximize=maximize, differentiable=False, capturable=capturable))

    def _update(self, group: Dict[str, Any], p: Tensor, grad: Tensor, state: Dict[str, Any]) -> None:
        beta1, beta2 = group["betas"]
        if not state:  # key order as PyTorch's
            state["step"] = _step_tensor()
            state["exp_avg"] = _zeros_like(p)
            state["exp_inf"] = _zeros_like(p)
        step = _advance_step(state)
        grad = _decayed_grad(group, p, grad)
        exp_avg, exp_inf = state["exp_avg"], state["exp_inf"]
        exp_avg.lerp_(grad, 1 - beta1)
        _C.maximum(exp_inf.mul_(beta2), grad.abs().add_(group["eps"]), out=exp_inf)
        p.addcdiv_(exp_avg, exp_inf, value=-group["lr"] / (1 - beta1 ** step))
