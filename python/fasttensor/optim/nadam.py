"""NAdam (Dozat, 2016): Adam with Nesterov momentum."""

from __future__ import annotations

from typing import Any, Dict, Iterable, Optional, Tuple

from .. import _C
from .optimizer import Optimizer, Tensor, _advance_step, _check_adam_arguments, _decayed_grad, _step_tensor, _zeros_like


class NAdam(Optimizer):
    """PyTorch's NAdam. Per parameter p with gradient g at step t, in tensor ops (any device):

        g = -g (maximize);  g = g + wd * p  |  p *= 1 - lr * wd  (decoupled_weight_decay)
        mu_t = beta1 * (1 - 0.5 * 0.96^(t * momentum_decay));  prod *= mu_t   state['mu_product']
        m = lerp(m, g, 1 - beta1);  v = beta2 * v + (1 - beta2) * g²
        denom = sqrt(v / (1 - beta2^t)) + eps
        p -= lr * (1 - mu_t) / (1 - prod) * g / denom + lr * mu_{t+1} / (1 - prod * mu_{t+1}) * m / denom

    ``state['mu_product']`` is a 0-d tensor of the step's dtype (float32 unless the default dtype is
    float64), so it rounds as PyTorch's does.
    """

    def __init__(self, params: Iterable, lr: float = 2e-3, betas: Tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, foreach: Optional[bool] = None, maximize: bool = False,
                 capturable: bool = False, differentiable: bool = False) -> None:
        _check_adam_arguments(lr, betas, eps, weight_decay)
        if not 0.0 <= momentum_decay:
            raise ValueError(f"Invalid momentum_decay value: {momentum_decay}")
        if differentiable:
            raise NotImplementedError("NAdam(differentiable=True) is not supported")
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      momentum_decay=momentum_decay, decoupled_weight_decay=decoupled_weight_decay,
                                      maximize=maximize, foreach=foreach, capturable=capturable,
                                      differentiable=False))

    def __setstate__(self, state: Dict[str, Any]) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            for p in group["params"]:
                p_state = self.state.get(p)
                if p_state and not isinstance(p_state.get("mu_product"), _C.Tensor):
                    p_state["mu_product"] = _step_tensor(float(p_state["mu_product"]))

    def _update(self, group: Dict[str, Any], p: Tensor, grad: Tensor, state: Dict[str, Any]) -> None:
        lr, eps = group["lr"], group["eps"]
        beta1, beta2 = group["betas"]
        if not state:  # key order as PyTorch's
            state["step"] = _step_tensor()
            state["mu_product"] = _step_tensor(1.0)
            state["exp_avg"] = _zeros_like(p)
            state["exp_avg_sq"] = _zeros_like(p)
        step = _advance_step(state)
        grad = _decayed_grad(group, p, grad)
        momentum_decay = group["momentum_decay"]
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * momentum_decay))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * momentum_decay))
        mu_product = state["mu_product"].mul_(mu).item()
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        exp_avg.lerp_(grad, 1 - beta1)
        exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        denom = exp_avg_sq.div(1 - beta2 ** step).sqrt().add_(eps)
        p.addcdiv_(grad, denom, value=-lr * (1.0 - mu) / (1.0 - mu_product))
        p.addcdiv_(exp_avg, denom, value=(-lr * mu_next) / (1.0 - mu_product * mu_next))
