"""ASGD: averaged stochastic gradient descent (Polyak & Juditsky, 1992)."""

from __future__ import annotations

from typing import Any, Dict, Iterable, Optional

from .. import _C
from .optimizer import Optimizer, Tensor, _advance_step, _scalar_dtype, _zeros_like


def _scalar_tensor(value: float, device) -> Any:
    """A 0-d tensor of the step count's dtype on ``device`` (ASGD keeps eta and mu so, as PyTorch)."""
    return _C._full([], float(value), _scalar_dtype(), device, False)


class ASGD(Optimizer):
    """PyTorch's ASGD. Per parameter p with gradient g at step t, in tensor ops (any device):

        g = -g (maximize);  g = g + weight_decay * p
        p = p * (1 - lambd * eta) - eta * g
        ax = ax + mu * (p - ax)   (ax = p while mu is 1)         state['ax']: the average
        eta = lr / (1 + lambd * lr * t) ** alpha                  state['eta']
        mu = 1 / max(1, t - t0)                                   state['mu']

    eta and mu are 0-d tensors of the step count's dtype (float32 unless float64 is the default
    dtype), read back as numbers, so the rounding is PyTorch's.
    """

    def __init__(self, params: Iterable, lr: float = 1e-2, lambd: float = 1e-4, alpha: float = 0.75,
                 t0: float = 1e6, weight_decay: float = 0, foreach: Optional[bool] = None, maximize: bool = False,
                 differentiable: bool = False, capturable: bool = False) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if differentiable:
            raise NotImplementedError("ASGD(differentiable=True) is not supported")
        super().__init__(params, dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay,
                                      foreach=foreach, maximize=maximize, differentiable=False,
                                      capturable=capturable))

    def __setstate__(self, state: Dict[str, Any]) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            for p in group["params"]:
                p_state = self.state.get(p)
                for key in ("eta", "mu"):  # numbers in an older save
                    if p_state and key in p_state and not isinstance(p_state[key], _C.Tensor):
                        p_state[key] = _scalar_tensor(p_state[key], p.device)

    def _update(self, group: Dict[str, Any], p: Tensor, grad: Tensor, state: Dict[str, Any]) -> None:
        lr, lambd = group["lr"], group["lambd"]
        if not state:  # key order as PyTorch's; the counters live on p's device, as there
            state["step"] = _scalar_tensor(0.0, p.device)
            state["eta"] = _scalar_tensor(lr, p.device)
            state["mu"] = _scalar_tensor(1.0, p.device)
            state["ax"] = _zeros_like(p)
        step = _advance_step(state)
        if group["maximize"]:
            grad = -grad
        if group["weight_decay"] != 0:
            grad = grad.add(p, alpha=group["weight_decay"])
        eta, mu, ax = state["eta"], state["mu"], state["ax"]
        eta_value = eta.item()
        p.mul_(1 - lambd * eta_value)
        p.add_(grad, alpha=-eta_value)
        mu_value = mu.item()
        if mu_value != 1:
            ax.add_(p.sub(ax).mul_(mu_value))
        else:
            ax.copy_(p)
        eta.fill_(lr / ((1 + lambd * lr * step) ** group["alpha"]))
        mu.fill_(1 / max(1, step - group["t0"]))
