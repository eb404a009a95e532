"""RMSprop (Hinton's lecture 6e; centered as Graves, 2013)."""

from __future__ import annotations

from typing import Any, Dict, Iterable, Optional

from .optimizer import Optimizer, Tensor, _advance_step, _lerp_, _step_tensor, _zeros_like


class RMSprop(Optimizer):
    """PyTorch's RMSprop. Per parameter p with gradient g, in tensor ops (any device):

        g = -g (maximize);  g = g + weight_decay * p
        v = alpha * v + (1 - alpha) * g²                         state['square_avg']
        avg = sqrt(v) + eps, or with centered=True:
            a = lerp(a, g, 1 - alpha);  avg = sqrt(v - a²) + eps  state['grad_avg']
        buf = momentum * buf + g / avg;  p -= lr * buf           (momentum > 0, state['momentum_buffer'])
        p -= lr * g / avg                                        (momentum == 0)
    """

    def __init__(self, params: Iterable, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0, momentum: float = 0, centered: bool = False, capturable: bool = False,
                 foreach: Optional[bool] = None, maximize: bool = False, differentiable: bool = False) -> None:
        # capturable and foreach pick one of PyTorch's implementations; the arithmetic is the same.
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        if differentiable:
            raise NotImplementedError("RMSprop(differentiable=True) is not supported")
        super().__init__(params, dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                                      weight_decay=weight_decay, capturable=capturable, foreach=foreach,
                                      maximize=maximize, differentiable=False))

    def _update(self, group: Dict[str, Any], p: Tensor, grad: Tensor, state: Dict[str, Any]) -> None:
        lr, alpha, eps = group["lr"], group["alpha"], group["eps"]
        weight_decay, momentum, centered = group["weight_decay"], group["momentum"], group["centered"]
        if not state:  # key order as PyTorch's
            state["step"] = _step_tensor()
            state["square_avg"] = _zeros_like(p)
            if momentum > 0:
                state["momentum_buffer"] = _zeros_like(p)
            if centered:
                state["grad_avg"] = _zeros_like(p)
        # Options switched on after the first steps (a schedule cycling momentum) start from zero.
        if momentum > 0 and "momentum_buffer" not in state:
            state["momentum_buffer"] = _zeros_like(p)
        if centered and "grad_avg" not in state:
            state["grad_avg"] = _zeros_like(p)
        _advance_step(state)
        if group["maximize"]:
            grad = -grad
        if weight_decay != 0:
            grad = grad.add(p, alpha=weight_decay)
        square_avg = state["square_avg"]
        square_avg.mul_(alpha).add_(grad * grad, alpha=1 - alpha)
        if centered:
            grad_avg = _lerp_(state["grad_avg"], grad, 1 - alpha)
            avg = (square_avg - grad_avg * grad_avg).sqrt_()
        else:
            avg = square_avg.sqrt()
        avg.add_(eps)
        if momentum > 0:
            buf = state["momentum_buffer"]
            buf.mul_(momentum).add_(grad / avg)
            p.add_(buf, alpha=-lr)
        else:
            p.add_(grad / avg, alpha=-lr)
