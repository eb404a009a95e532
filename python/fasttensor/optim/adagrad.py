"""Adagrad (Duchi, Hazan & Singer, 2011)."""

from __future__ import annotations

from typing import Any, Dict, Iterable, Optional

from .. import _C
from .optimizer import Optimizer, Tensor, _advance_step, _step_tensor


class Adagrad(Optimizer):
    """PyTorch's Adagrad. Per parameter p with gradient g at step t, in tensor ops (any device):

        g = -g (maximize);  g = g + weight_decay * p
        s = s + g²                                      state['sum'], from initial_accumulator_value
        p -= lr / (1 + (t - 1) * lr_decay) * g / (sqrt(s) + eps)

    As PyTorch's, the state of every parameter given to the constructor exists from the start.
    """

    def __init__(self, params: Iterable, lr: float = 1e-2, lr_decay: float = 0, weight_decay: float = 0,
                 initial_accumulator_value: float = 0, eps: float = 1e-10, foreach: Optional[bool] = None, *,
                 maximize: bool = False, differentiable: bool = False, fused: Optional[bool] = None) -> None:
        # foreach and fused pick one of PyTorch's implementations; the arithmetic is the same.
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError(f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if differentiable:
            raise NotImplementedError("Adagrad(differentiable=True) is not supported")
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value, foreach=foreach,
                                      maximize=maximize, differentiable=False, fused=fused))
        if fused and foreach:
            raise RuntimeError("`fused` and `foreach` cannot be `True` together.")
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p)

    def _init_state(self, p: _C.Tensor) -> None:
        state = self.state[p]
        state["step"] = _step_tensor()
        # As PyTorch: the constructor's value, not a group's.
        state["sum"] = _C._full(list(p.shape), self.defaults["initial_accumulator_value"], p.dtype, p.device,
                                False)

    def _update(self, group: Dict[str, Any], p: Tensor, grad: Tensor, state: Dict[str, Any]) -> None:
        lr, lr_decay, eps, weight_decay = group["lr"], group["lr_decay"], group["eps"], group["weight_decay"]
        if not state:  # a parameter of a group added later
            self._init_state(p)
        step = _advance_step(state)
        if group["maximize"]:
            grad = -grad
        if weight_decay != 0:
            grad = grad.add(p, alpha=weight_decay)
        clr = lr / (1 + (step - 1) * lr_decay)
        state_sum = state["sum"].add_(grad * grad)
        std = state_sum.sqrt().add_(eps)
        p.add_(grad / std, alpha=-clr)
