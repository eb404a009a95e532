"""Stochastic gradient descent with momentum, dampening, Nesterov and weight decay."""

from __future__ import annotations

from typing import Any, Callable, Iterable, Optional

from .. import _C
from ..autograd import no_grad
from .optimizer import Optimizer


class SGD(Optimizer):
    """PyTorch's SGD. Per parameter p with gradient g (-g with maximize=True; one fused C++ pass):

        d = g + weight_decay * p
        buf = d (first step) or momentum * buf + (1 - dampening) * d
        d = d + momentum * buf (nesterov) or buf (momentum != 0)
        p -= lr * d
    """

    def __init__(self, params: Iterable, lr: float = 1e-3, momentum: float = 0, dampening: float = 0,
                 weight_decay: float = 0, nesterov: bool = False, *, maximize: bool = False,
                 foreach: Optional[bool] = None, differentiable: bool = False, fused: Optional[bool] = None) -> None:
        # foreach and fused pick one of PyTorch's implementations; ours is always one fused pass
        # per group, so they are kept (and shown) as given.
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        if differentiable:
            raise NotImplementedError("SGD(differentiable=True) is not supported")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                                      nesterov=nesterov, maximize=maximize, foreach=foreach, differentiable=False,
                                      fused=fused))

    def step(self, closure: Optional[Callable[[], Any]] = None):
        """One update of every parameter that has a gradient (those with grad None are skipped)."""
        loss = self._closure_loss(closure)
        with no_grad():
            for group in self.param_groups:
                momentum, maximize = group["momentum"], group["maximize"]
                params, grads, bufs, firsts = [], [], [], []
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    buf, first = None, False
                    if momentum != 0:
                        buf = self.state[p].get("momentum_buffer")
                        if buf is None:
                            buf = _C._empty(list(p.shape), p.dtype, p.device, False)
                            first = True
                        elif buf.dtype != p.dtype or buf.device != p.device:  # after module.double() / .to()
                            buf = buf.to(dtype=p.dtype, device=p.device)
                    params.append(p)
                    grads.append(-p.grad if maximize else p.grad)  # maximize: a step along +g
                    bufs.append(buf)
                    firsts.append(first)
                # The group in one call: on CUDA up to 32 parameters per launch (as PyTorch's foreach).
                if params:
                    _C._sgd_steps(params, grads, bufs, group["lr"], momentum, group["dampening"],
                                  group["weight_decay"], group["nesterov"], firsts)
                    # Kept only once the step succeeded (a failed step leaves no uninitialized buffer).
                    if momentum != 0:
                        for p, buf in zip(params, bufs):
                            self.state[p]["momentum_buffer"] = buf
        return loss
