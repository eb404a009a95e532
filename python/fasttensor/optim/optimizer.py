"""Optimizer: parameter groups, per-parameter state, zero_grad and
state_dict/load_state_dict. Subclasses implement ``step`` with one fused
C++ call per parameter (no chains of Python tensor arithmetic)."""

from __future__ import annotations

import copy
import functools
import warnings
from collections import OrderedDict, defaultdict
from itertools import chain
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

from .. import _C
from .._tensor import zero_grads
from ..autograd import enable_grad, no_grad
from ..utils.hooks import RemovableHandle

Tensor = _C.Tensor
_CPU = _C.device("cpu")


# Step hooks run for every optimizer (register_optimizer_step_pre_hook / _post_hook), by handle id.
_global_optimizer_pre_hooks: Dict[int, Callable] = OrderedDict()
_global_optimizer_post_hooks: Dict[int, Callable] = OrderedDict()


def register_optimizer_step_pre_hook(hook: Callable) -> RemovableHandle:
    """Calls ``hook(optimizer, args, kwargs)`` before every optimizer's step (before its own pre-hooks);
    a non-None result, (new_args, new_kwargs), replaces the arguments."""
    handle = RemovableHandle(_global_optimizer_pre_hooks)
    _global_optimizer_pre_hooks[handle.id] = hook
    return handle


def register_optimizer_step_post_hook(hook: Callable) -> RemovableHandle:
    """Calls ``hook(optimizer, args, kwargs)`` after every optimizer's step (after its own post-hooks)."""
    handle = RemovableHandle(_global_optimizer_post_hooks)
    _global_optimizer_post_hooks[handle.id] = hook
    return handle


# Each optimizer's hooks, by handle id (not pickled, as PyTorch's).
_HOOK_REGISTRIES = ("_optimizer_step_pre_hooks", "_optimizer_step_post_hooks", "_optimizer_state_dict_pre_hooks",
                    "_optimizer_state_dict_post_hooks", "_optimizer_load_state_dict_pre_hooks",
                    "_optimizer_load_state_dict_post_hooks")


def _add_hook(registry: Dict[int, Callable], hook: Callable, prepend: bool = False) -> RemovableHandle:
    """Adds ``hook`` to ``registry`` (first with ``prepend``); the handle's remove() takes it out."""
    handle = RemovableHandle(registry)
    registry[handle.id] = hook
    if prepend:
        registry.move_to_end(handle.id, last=False)
    return handle


def _step_with_hooks(step: Callable) -> Callable:
    """``step`` between the step hooks, as PyTorch's Optimizer.profile_hook_step runs them. The hooks get
    (optimizer, args, kwargs), args starting with the optimizer itself."""

    @functools.wraps(step)
    def wrapper(*args, **kwargs):
        self = args[0]
        hooks = self.__dict__  # (an optimizer whose __init__ did not run has none of its own)
        for hook in chain(_global_optimizer_pre_hooks.values(), hooks.get("_optimizer_step_pre_hooks", {}).values()):
            result = hook(self, args, kwargs)
            if result is not None:
                if not (isinstance(result, tuple) and len(result) == 2):
                    raise RuntimeError(f"{step} must return None or a tuple of (new_args, new_kwargs), but got "
                                       f"{result}.")
                args, kwargs = result
        out = step(*args, **kwargs)
        for hook in chain(hooks.get("_optimizer_step_post_hooks", {}).values(), _global_optimizer_post_hooks.values()):
            hook(self, args, kwargs)
        return out

    wrapper.hooked = True
    return wrapper


class _RequiredParameter:
    """Marks a hyperparameter that every group must give (none in our optimizers, kept for subclasses)."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()


def _typename(value: Any) -> str:
    if isinstance(value, Tensor):
        return "fasttensor." + value.type().split(".")[-1]
    return type(value).__name__


def _scalar_dtype():
    """The dtype of a step count: float64 when that is the default dtype, else float32 (PyTorch's rule)."""
    return _C.float64 if _C.get_default_dtype() == _C.float64 else _C.float32


def _step_tensor(value: float = 0.0) -> Tensor:
    """A step count as PyTorch keeps it: a 0-d float tensor on the CPU (``tensor(1.)``), whatever
    the parameter's device, so reading it back (``.item()``) never waits on a GPU."""
    return _C._full([], float(value), _scalar_dtype(), _CPU, False)


def _steps_as_tensors(optimizer: "Optimizer") -> None:
    """Turns step counts saved as numbers (older saves) into step tensors, as PyTorch's __setstate__ does."""
    for group in optimizer.param_groups:
        for p in group["params"]:
            state = optimizer.state.get(p)
            if state and "step" in state and not isinstance(state["step"], Tensor):
                state["step"] = _step_tensor(float(state["step"]))


def _lerp_(start: Tensor, end: Tensor, weight: float) -> Tensor:
    """start += weight * (end - start) in place, rounded as PyTorch's lerp_ (which branch depends on
    the weight), for the running averages of the optimizers written in tensor ops."""
    if weight < 0.5:
        return start.add_(end - start, alpha=weight)
    difference = end - start
    return start.copy_(end).add_(difference, alpha=weight - 1)


def _advance_step(state: Dict[str, Any]) -> float:
    """Adds one to ``state['step']`` in place (a 0-d tensor, PyTorch's `step_t += 1`) and returns the
    new count. item() then fill_() costs half of an in-place add on a 0-d tensor."""
    step_t = state["step"]
    if not isinstance(step_t, Tensor):  # set by hand to a number
        step_t = state["step"] = _step_tensor(step_t)
    step = step_t.item() + 1
    step_t.fill_(step)
    return step


def _zeros_like(p: Tensor) -> Tensor:
    """A state buffer: zeros shaped, typed and placed like p."""
    return _C._full(list(p.shape), 0, p.dtype, p.device, False)


def _check_adam_arguments(lr: float, betas: Tuple[float, float], eps: float, weight_decay: float) -> None:
    """PyTorch's checks of the hyperparameters the Adam family shares."""
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


def _decayed_grad(group: Dict[str, Any], p: Tensor, grad: Tensor) -> Tensor:
    """The gradient an update uses: negated for maximize, with weight decay added to it (L2) or, with
    decoupled_weight_decay, applied to p itself (p *= 1 - lr * weight_decay)."""
    if group.get("maximize"):
        grad = -grad
    weight_decay = group["weight_decay"]
    if weight_decay != 0:
        if group.get("decoupled_weight_decay"):
            p.mul_(1 - group["lr"] * weight_decay)
        else:
            grad = grad.add(p, alpha=weight_decay)
    return grad


def _split_names(params: List[Any]) -> Tuple[List[Any], List[str]]:
    """Splits ``named_parameters()`` pairs into (tensors, names); plain tensors give no names. A
    mix of named and unnamed parameters is an error, as in PyTorch."""
    names = [p[0] for p in params if isinstance(p, tuple)]
    if names and len(names) != len(params):
        raise ValueError("all optimizer params should be with/without names. Some param names are missing")
    return ([p[1] for p in params] if names else params), names


class Optimizer:
    """Base class: ``params`` is an iterable of tensors or of dicts (parameter
    groups, each with its own hyperparameters overriding ``defaults``)."""

    def __init__(self, params: Iterable, defaults: Dict[str, Any]) -> None:
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors or dicts, "
                            f"but got {_typename(params)}")
        self.defaults = defaults
        for hooks in _HOOK_REGISTRIES:
            setattr(self, hooks, OrderedDict())
        self._patch_step_function()
        self.state: Dict[Tensor, Dict[str, Any]] = defaultdict(dict)
        self.param_groups: List[Dict[str, Any]] = []
        groups = list(params)
        if len(groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, param_group: Dict[str, Any]) -> None:
        """Adds a group of parameters with its own hyperparameters (the defaults fill the rest)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but the ordering of "
                            "tensors in sets will change between runs. Please use a list instead.")
        else:
            params = list(params)
        params, names = _split_names(params)
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params is {_typename(p)}")
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
        group = dict(param_group, params=params)
        if names:
            group["param_names"] = names
        for name, default in self.defaults.items():
            if default is required and name not in group:
                raise ValueError(f"parameter group didn't specify a value of required optimization parameter {name}")
            group.setdefault(name, default)
        if len({id(p) for p in params}) != len(params):
            # Kept (each copy is stepped), as PyTorch does for now.
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in future, this will "
                          "cause an error; see github.com/pytorch/pytorch/issues/40967 for more information",
                          stacklevel=3)
        for other in self.param_groups:
            if ("param_names" in group) != ("param_names" in other):
                kind = "with names" if "param_names" in group else "without names"
                raise ValueError("all optimizer param groups should be with/without names. "
                                 f"cannot add param group {kind} to the optimizer")
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    def _patch_step_function(self) -> None:
        """Wraps this class's step (once per class, as PyTorch does) so that it runs the step hooks."""
        if not getattr(type(self).step, "hooked", False):
            type(self).step = _step_with_hooks(type(self).step)

    def register_step_pre_hook(self, hook: Callable) -> RemovableHandle:
        """Calls ``hook(optimizer, args, kwargs)`` before each step; a non-None result, a tuple
        (new_args, new_kwargs), replaces step's arguments. Returns a handle whose remove() unregisters it."""
        return _add_hook(self._optimizer_step_pre_hooks, hook)

    def register_step_post_hook(self, hook: Callable) -> RemovableHandle:
        """Calls ``hook(optimizer, args, kwargs)`` after each step. Returns a handle whose remove()
        unregisters it."""
        return _add_hook(self._optimizer_step_post_hooks, hook)

    def register_state_dict_pre_hook(self, hook: Callable, prepend: bool = False) -> RemovableHandle:
        """Calls ``hook(optimizer)`` before state_dict() builds the dict."""
        return _add_hook(self._optimizer_state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook: Callable, prepend: bool = False) -> RemovableHandle:
        """Calls ``hook(optimizer, state_dict)`` on what state_dict() built; a non-None result replaces it."""
        return _add_hook(self._optimizer_state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(self, hook: Callable, prepend: bool = False) -> RemovableHandle:
        """Calls ``hook(optimizer, state_dict)`` before load_state_dict() reads it; a non-None result
        is loaded instead."""
        return _add_hook(self._optimizer_load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(self, hook: Callable, prepend: bool = False) -> RemovableHandle:
        """Calls ``hook(optimizer)`` after load_state_dict() has loaded."""
        return _add_hook(self._optimizer_load_state_dict_post_hooks, hook, prepend)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Drops the gradients (``set_to_none``, the default) or zeroes them in place."""
        zero_grads((p for group in self.param_groups for p in group["params"]), set_to_none)

    def _closure_loss(self, closure: Optional[Callable[[], Any]]):
        if closure is None:
            return None
        with enable_grad():
            return closure()

    def step(self, closure: Optional[Callable[[], Any]] = None):
        """One update of every parameter that has a gradient (those with grad None are skipped):
        the subclass's ``_update(group, p, grad, state)`` for each, outside autograd; returns the
        closure's loss (computed with grad enabled first) or None."""
        loss = self._closure_loss(closure)
        with no_grad():
            for group, p, grad in self._params_with_grad():
                self._update(group, p, grad, self.state[p])
        return loss

    def _update(self, group: Dict[str, Any], p: Tensor, grad: Tensor, state: Dict[str, Any]) -> None:
        raise NotImplementedError

    # --- state_dict ---------------------------------------------------------------------

    def state_dict(self) -> Dict[str, Any]:
        """{'state': {param index: {...}}, 'param_groups': [{..., 'params': [indices]}]}, as PyTorch's."""
        for hook in list(self._optimizer_state_dict_pre_hooks.values()):
            hook(self)
        index_of: Dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            for p in group["params"]:
                index_of.setdefault(id(p), len(index_of))
            packed = {k: v for k, v in group.items() if k != "params"}
            packed["params"] = [index_of[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {index_of[id(p)]: dict(s) for p, s in self.state.items() if id(p) in index_of}
        state_dict = {"state": state, "param_groups": groups}
        for hook in list(self._optimizer_state_dict_post_hooks.values()):
            result = hook(self, state_dict)
            if result is not None:
                state_dict = result
        return state_dict

    def load_state_dict(self, state_dict: Dict[str, Any]) -> None:
        """Restores hyperparameters and per-parameter state saved by state_dict()."""
        state_dict = state_dict.copy()  # shallow: a pre-hook may change it without touching the caller's
        for hook in list(self._optimizer_load_state_dict_pre_hooks.values()):
            result = hook(self, state_dict)
            if result is not None:
                state_dict = result
        state_dict = copy.deepcopy(state_dict)
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(self.param_groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match the size of "
                             "optimizer's group")
        param_of = {}
        for group, saved in zip(self.param_groups, saved_groups):
            param_of.update(zip(saved["params"], group["params"]))
        state: Dict[Any, Dict[str, Any]] = defaultdict(dict)
        for index, saved_state in state_dict["state"].items():
            if index not in param_of:
                continue
            param = param_of[index]
            state[param] = {k: self._cast_state(k, v, param) for k, v in saved_state.items()}
        groups = []
        for group, saved in zip(self.param_groups, saved_groups):
            saved["params"] = group["params"]
            # Saved names replace ours; a save without names keeps them (PyTorch's rule).
            if "param_names" in group and "param_names" not in saved:
                saved["param_names"] = group["param_names"]
            # Keys a saved group lacks (an older save) take this optimizer's defaults, as PyTorch's do.
            for key, default in self.defaults.items():
                saved.setdefault(key, default)
            groups.append(saved)
        # As PyTorch: the subclasses' __setstate__ upgrade what an older save holds (a step count as a number).
        self.__setstate__({"state": state, "param_groups": groups})
        for hook in list(self._optimizer_load_state_dict_post_hooks.values()):
            hook(self)

    @staticmethod
    def _cast_state(key: str, value: Any, param: Tensor) -> Any:
        """State tensors follow the parameter's dtype and device; the step count is kept as saved (a
        tensor on the CPU, or a number that __setstate__ turns into one), as PyTorch keeps it."""
        if key == "step":
            return value
        if isinstance(value, Tensor):
            value = value.to(param.device, param.dtype if param.is_floating_point() else None)
            return value.contiguous().clone()
        return value

    def __getstate__(self) -> Dict[str, Any]:
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state: Dict[str, Any]) -> None:
        self.__dict__.update(state)
        for hooks in _HOOK_REGISTRIES:  # not pickled, as PyTorch's
            self.__dict__.setdefault(hooks, OrderedDict())
        self._patch_step_function()
        _steps_as_tensors(self)  # (for the optimizers that count steps)

    def _params_with_grad(self):
        """(group, parameter, gradient) for each parameter that has a gradient, group by group
        (those with grad None are skipped, as in PyTorch)."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    yield group, p, p.grad

    def __repr__(self) -> str:
        text = type(self).__name__ + " ("
        for i, group in enumerate(self.param_groups):
            text += f"\nParameter Group {i}\n"
            for key in sorted(group):
                if key != "params":
                    text += f"    {key}: {group[key]}\n"
        return text + ")"
