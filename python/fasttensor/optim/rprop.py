"""Rprop: resilient backpropagation (Riedmiller & Braun, 1993)."""

from __future__ import annotations

from typing import Any, Dict, Iterable, Optional, Tuple

from .. import _C
from .optimizer import Optimizer, Tensor, _advance_step, _step_tensor, _zeros_like


class Rprop(Optimizer):
    """PyTorch's Rprop. Per parameter p with gradient g, in tensor ops (any device): with
    s = sign(g * prev) (g = -g for maximize),

        factor = etaplus where s > 0, etaminus where s < 0, 1 where s = 0
        step_size = clamp(step_size * factor, *step_sizes)    state['step_size'] (starts at lr)
        g = 0 where the sign flipped (factor = etaminus)
        p -= sign(g) * step_size;  prev = g                    state['prev']
    """

    def __init__(self, params: Iterable, lr: float = 1e-2, etas: Tuple[float, float] = (0.5, 1.2),
                 step_sizes: Tuple[float, float] = (1e-6, 50), *, capturable: bool = False,
                 foreach: Optional[bool] = None, maximize: bool = False, differentiable: bool = False) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        if differentiable:
            raise NotImplementedError("Rprop(differentiable=True) is not supported")
        super().__init__(params, dict(lr=lr, etas=etas, step_sizes=step_sizes, foreach=foreach, maximize=maximize,
                                      differentiable=False, capturable=capturable))

    def _update(self, group: Dict[str, Any], p: Tensor, grad: Tensor, state: Dict[str, Any]) -> None:
        etaminus, etaplus = group["etas"]
        step_size_min, step_size_max = group["step_sizes"]
        if not state:  # key order as PyTorch's
            state["step"] = _step_tensor()
            state["prev"] = _zeros_like(p)
            state["step_size"] = _C._full(list(grad.shape), float(group["lr"]), grad.dtype, grad.device,
                                          False)
        _advance_step(state)
        if group["maximize"]:
            grad = -grad
        prev, step_size = state["prev"], state["step_size"]
        factor = grad.mul(prev).sign()
        # In this order, as PyTorch's: a NaN sign matches none of the three and stays NaN.
        factor.masked_fill_(factor.gt(0), etaplus)
        factor.masked_fill_(factor.lt(0), etaminus)
        factor.masked_fill_(factor.eq(0), 1)
        step_size.mul_(factor).clamp_(step_size_min, step_size_max)
        grad = grad.clone()
        grad.masked_fill_(factor.eq(etaminus), 0)  # where the sign flipped, no step and no memory
        p.addcmul_(grad.sign(), step_size, value=-1)
        prev.copy_(grad)
