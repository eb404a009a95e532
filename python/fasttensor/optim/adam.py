"""Adam and AdamW (Kingma & Ba, 2015; Loshchilov & Hutter, 2019)."""

from __future__ import annotations

from typing import Any, Callable, Iterable, Optional, Tuple

from .. import _C
from ..autograd import no_grad
from .optimizer import Optimizer


class Adam(Optimizer):
    """PyTorch's Adam. Per parameter, at step t (one fused C++ pass):

        g = g + weight_decay * p          (Adam)   |  p *= 1 - lr * weight_decay  (AdamW)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g²
        p -= lr / (1 - beta1^t) * m / (sqrt(v / (1 - beta2^t)) + eps)
    """

    def __init__(self, params: Iterable, lr: float = 1e-3, betas: Tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, amsgrad: bool = False, *,
                 foreach: Optional[bool] = None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False, fused: Optional[bool] = None,
                 decoupled_weight_decay: bool = False) -> None:
        # foreach, fused and capturable pick one of PyTorch's implementations (capturable: for CUDA
        # graphs); the arithmetic is the same, and ours is one fused pass per parameter.
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if amsgrad:
            raise NotImplementedError(f"{type(self).__name__}(amsgrad=True) is not supported")
        if maximize:
            raise NotImplementedError(f"{type(self).__name__}(maximize=True) is not supported")
        if differentiable:
            raise NotImplementedError(f"{type(self).__name__}(differentiable=True) is not supported")
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                                      amsgrad=False, maximize=False, foreach=foreach, capturable=capturable,
                                      differentiable=False, fused=fused,
                                      decoupled_weight_decay=decoupled_weight_decay))

    def step(self, closure: Optional[Callable[[], Any]] = None):
        """One update of every parameter that has a gradient (those with grad None are skipped)."""
        loss = self._closure_loss(closure)
        with no_grad():
            for group in self.param_groups:
                beta1, beta2 = group["betas"]
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    state = self.state[p]
                    if not state:
                        state["step"] = 0
                        state["exp_avg"] = _C._full(list(p.shape), 0, p.dtype, p.device, False)
                        state["exp_avg_sq"] = _C._full(list(p.shape), 0, p.dtype, p.device, False)
                    state["step"] += 1
                    _C._adam_step(p, p.grad, state["exp_avg"], state["exp_avg_sq"], group["lr"], beta1, beta2,
                                  group["eps"], group["weight_decay"], group["decoupled_weight_decay"], state["step"])
        return loss


class AdamW(Adam):
    """Adam with decoupled weight decay: p *= 1 - lr * weight_decay before the Adam update."""

    def __init__(self, params: Iterable, lr: float = 1e-3, betas: Tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False, *,
                 maximize: bool = False, foreach: Optional[bool] = None, capturable: bool = False,
                 differentiable: bool = False, fused: Optional[bool] = None) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach, maximize=maximize,
                         capturable=capturable, differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)
