"""The containers: Sequential, ModuleList and ModuleDict hold modules;
ParameterList and ParameterDict hold parameters. Each registers what it holds
in the Module registries, so parameters(), state_dict() and to() see it,
under the names PyTorch gives ('0', '1', ... or the dict's keys)."""

from __future__ import annotations

import operator
from collections import OrderedDict
from collections.abc import Iterable as IterableABC, Mapping
from itertools import chain
from typing import Any, Iterable, Iterator, Optional, Tuple, Union

from .. import _C
from .module import Module, _addindent
from .parameter import Parameter

Tensor = _C.Tensor


def _checked_index(idx: Any, size: int) -> int:
    idx = operator.index(idx)
    if not -size <= idx < size:
        raise IndexError(f"index {idx} is out of range")
    return idx % size


# --- modules in order ----------------------------------------------------------------------


class Sequential(Module):
    """Modules applied one after another: ``Sequential(nn.Flatten(), nn.Linear(784, 10))``
    or ``Sequential(OrderedDict(name=module, ...))``. Indexable, sliceable, appendable;
    ``a + b`` chains two Sequentials and ``seq * n`` repeats one (the same module objects)."""

    def __init__(self, *args: Any) -> None:
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for name, module in args[0].items():
                self.add_module(name, module)
        else:
            for i, module in enumerate(args):
                self.add_module(str(i), module)

    def __getitem__(self, idx: Union[int, slice]) -> Union[Module, "Sequential"]:
        if isinstance(idx, slice):
            return type(self)(OrderedDict(list(self._modules.items())[idx]))
        return list(self._modules.values())[_checked_index(idx, len(self))]

    def __setitem__(self, idx: int, module: Module) -> None:
        key = list(self._modules.keys())[_checked_index(idx, len(self))]
        setattr(self, key, module)

    def __delitem__(self, idx: Union[int, slice]) -> None:
        keys = list(self._modules.keys())
        for key in keys[idx] if isinstance(idx, slice) else [keys[_checked_index(idx, len(self))]]:
            delattr(self, key)
        # Renumber so that indices stay 0..n-1, as PyTorch does.
        items = list(self._modules.items())
        self._modules.clear()
        self._modules.update((str(i), m) for i, (_, m) in enumerate(items))

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __add__(self, other: "Sequential") -> "Sequential":
        if not isinstance(other, Sequential):
            raise ValueError(f"add operator supports only objects of Sequential class, but {type(other)} is given.")
        return Sequential(*self, *other)

    def __iadd__(self, other: "Sequential") -> "Sequential":
        if not isinstance(other, Sequential):
            raise ValueError(f"add operator supports only objects of Sequential class, but {type(other)} is given.")
        return self.extend(list(other))

    def _check_repeat_count(self, times: Any) -> None:
        if not isinstance(times, int):
            raise TypeError(f"unsupported operand type(s) for *: {type(self)} and {type(times)}")
        if times <= 0:
            raise ValueError(f"Non-positive multiplication factor {times} for {type(self)}")

    def __mul__(self, times: int) -> "Sequential":
        self._check_repeat_count(times)
        return Sequential(*(list(self) * times))

    __rmul__ = __mul__

    def __imul__(self, times: int) -> "Sequential":
        self._check_repeat_count(times)
        return self.extend(list(self) * (times - 1))

    def pop(self, idx: int) -> Module:
        """Removes and returns the module at ``idx`` (the rest are renumbered)."""
        module = self[idx]
        del self[idx]
        return module

    def append(self, module: Module) -> "Sequential":
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> "Sequential":
        for module in modules:
            self.append(module)
        return self

    def insert(self, index: int, module: Module) -> "Sequential":
        if not isinstance(module, Module):
            raise AssertionError(f"module should be of type: {Module}")
        n = len(self)
        if not -n <= index <= n:
            raise IndexError(f"Index out of range: {index}")
        if index < 0:
            index += n
        # PyTorch's shift by numeric names: the modules at index.. move up one name ('1' -> '2', ...).
        # A Sequential built from an OrderedDict keeps its names, so inserting anywhere but at the
        # end reads a name it lacks and raises KeyError, as in PyTorch.
        for i in range(n, index, -1):
            self._modules[str(i)] = self._modules[str(i - 1)]
        self._modules[str(index)] = module
        return self

    def forward(self, input):
        for module in self:
            input = module(input)
        return input


class ModuleList(Module):
    """A list of modules, registered so that parameters() and to() see them."""

    def __init__(self, modules: Optional[Iterable[Module]] = None) -> None:
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __getitem__(self, idx: Union[int, slice]) -> Union[Module, "ModuleList"]:
        if isinstance(idx, slice):
            return type(self)(list(self._modules.values())[idx])
        return self._modules[str(_checked_index(idx, len(self)))]

    def __setitem__(self, idx: int, module: Module) -> None:
        setattr(self, str(_checked_index(idx, len(self))), module)

    def __delitem__(self, idx: Union[int, slice]) -> None:
        items = list(self._modules.values())
        del items[idx if isinstance(idx, slice) else _checked_index(idx, len(self))]
        self._modules.clear()
        self._modules.update((str(i), m) for i, m in enumerate(items))

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __add__(self, other: Iterable[Module]) -> "ModuleList":
        return ModuleList(chain(self, other))

    def __iadd__(self, modules: Iterable[Module]) -> "ModuleList":
        return self.extend(modules)

    def pop(self, idx: int) -> Module:
        """Removes and returns the module at ``idx`` (the rest are renumbered)."""
        module = self[idx]
        del self[idx]
        return module

    def append(self, module: Module) -> "ModuleList":
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> "ModuleList":
        for module in modules:
            self.append(module)
        return self

    def insert(self, index: int, module: Module) -> None:
        items = list(self._modules.values())
        items.insert(index, module)
        self._modules.clear()
        self._modules.update((str(i), m) for i, m in enumerate(items))

    def __repr__(self) -> str:
        # Runs of identical children print once, as "(0-2): 3 x Linear(...)" (PyTorch 2.x).
        reprs = [repr(m) for m in self]
        if not reprs:
            return self._get_name() + "()"
        runs = []  # [start, end, repr]
        for i, r in enumerate(reprs):
            if runs and runs[-1][2] == r:
                runs[-1][1] = i
            else:
                runs.append([i, i, r])
        lines = []
        for start, end, r in runs:
            line = f"({start}): {r}" if start == end else f"({start}-{end}): {end - start + 1} x {r}"
            lines.append(_addindent(line, 2))
        return self._get_name() + "(\n  " + "\n  ".join(lines) + "\n)"


# --- modules by name ------------------------------------------------------------------------


def _key_value_pairs(container: str, pairs: Any) -> Iterator[Tuple[Any, Any]]:
    """The (key, value) pairs of an update() argument that is not a mapping, with PyTorch's errors."""
    if not isinstance(pairs, IterableABC):
        raise TypeError(f"{container}.update should be called with an iterable of key/value pairs, but got "
                        f"{type(pairs).__name__}")
    for i, pair in enumerate(pairs):
        if not isinstance(pair, IterableABC):
            raise TypeError(f"{container} update sequence element #{i} should be Iterable; is"
                            f"{type(pair).__name__}")
        pair = tuple(pair)
        if len(pair) != 2:
            raise ValueError(f"{container} update sequence element #{i} has length {len(pair)}; 2 is required")
        yield pair


class ModuleDict(Module):
    """An ordered dict of modules by name, registered as children (``d['fc'] = nn.Linear(2, 3)``)."""

    def __init__(self, modules: Optional[Mapping[str, Module]] = None) -> None:
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, module)

    def __delitem__(self, key: str) -> None:
        del self._modules[key]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def __contains__(self, key: str) -> bool:
        return key in self._modules

    def keys(self):
        return self._modules.keys()

    def items(self):
        return self._modules.items()

    def values(self):
        return self._modules.values()

    def clear(self) -> None:
        self._modules.clear()

    def pop(self, key: str) -> Module:
        """Removes the module named ``key`` and returns it."""
        module = self[key]
        del self[key]
        return module

    def update(self, modules: Any) -> None:
        """Adds (or replaces) modules from a mapping or an iterable of (name, module) pairs, in their order."""
        pairs = modules.items() if isinstance(modules, Mapping) else _key_value_pairs("ModuleDict", modules)
        for key, module in pairs:
            self[key] = module


# --- parameters --------------------------------------------------------------------------------


def _as_parameter(value: Any) -> Any:
    """A tensor stored in a ParameterList / ParameterDict becomes a Parameter (as in PyTorch 2.x);
    other objects are kept as they are."""
    if isinstance(value, Tensor) and not isinstance(value, Parameter):
        return Parameter(value)
    return value


def _entry_repr(key: Any, value: Any, type_name: str) -> str:
    """One line of a ParameterList / ParameterDict repr: '  (0): Parameter containing: [float32 of size 2x3]'."""
    if not isinstance(value, Tensor):
        return f"  ({key}): Object of type: {type(value).__name__}"
    kind = "Parameter" if isinstance(value, Parameter) else "Tensor"
    size = "x".join(str(s) for s in value.size())
    device = f" ({value.device})" if value.device.type == "cuda" else ""
    return f"  ({key}): {kind} containing: [{type_name} of size {size}{device}]"


class ParameterList(Module):
    """A list of parameters, registered under the names '0', '1', ... (tensors become Parameters)."""

    def __init__(self, values: Optional[Iterable[Any]] = None) -> None:
        super().__init__()
        self._size = 0
        if values is not None:
            self.extend(values)

    def __getitem__(self, idx: Union[int, slice]) -> Any:
        if isinstance(idx, slice):
            return type(self)([self[i] for i in range(len(self))[idx]])
        return getattr(self, str(_checked_index(idx, len(self))))

    def __setitem__(self, idx: int, value: Any) -> None:
        setattr(self, str(_checked_index(idx, len(self))), _as_parameter(value))

    def __len__(self) -> int:
        return self._size

    def __iter__(self) -> Iterator[Any]:
        return (self[i] for i in range(len(self)))

    def __iadd__(self, values: Iterable[Any]) -> "ParameterList":
        return self.extend(values)

    def append(self, value: Any) -> "ParameterList":
        self._size += 1
        self[self._size - 1] = value
        return self

    def extend(self, values: Iterable[Any]) -> "ParameterList":
        if not isinstance(values, IterableABC) or isinstance(values, Tensor):
            raise TypeError("ParameterList.extend should be called with an iterable, but got "
                            f"{type(values).__name__}")
        for value in values:
            self.append(value)
        return self

    def extra_repr(self) -> str:
        return "\n".join(_entry_repr(i, value, str(value.dtype) if isinstance(value, Tensor) else "")
                         for i, value in enumerate(self))

    def __call__(self, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError("ParameterList should not be called.")


class ParameterDict(Module):
    """An ordered dict of parameters by name (tensors become Parameters). A plain dict given to the
    constructor or to update() is added in sorted key order, an OrderedDict in its own, as PyTorch does."""

    def __init__(self, parameters: Any = None) -> None:
        super().__init__()
        self._keys: dict = {}  # the keys in order; the values live in _parameters or as attributes
        if parameters is not None:
            self.update(parameters)

    def __getitem__(self, key: str) -> Any:
        # An absent key raises AttributeError (the entries are attributes), as in PyTorch.
        if not isinstance(key, str):
            raise TypeError("Index given to ParameterDict cannot be used as a key as it is not a string (type is "
                            f"'{type(key).__name__}'). Open an issue on github if you need non-string keys.")
        return getattr(self, key)

    def __setitem__(self, key: str, value: Any) -> None:
        self._keys[key] = None
        setattr(self, key, _as_parameter(value))

    def __delitem__(self, key: str) -> None:
        del self._keys[key]
        delattr(self, key)

    def __len__(self) -> int:
        return len(self._keys)

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __reversed__(self) -> Iterator[str]:
        return reversed(list(self._keys))

    def __contains__(self, key: str) -> bool:
        return key in self._keys

    def keys(self):
        return self._keys.keys()

    def items(self):
        return [(key, self[key]) for key in self._keys]

    def values(self):
        return [self[key] for key in self._keys]

    def get(self, key: str, default: Any = None) -> Any:
        return self[key] if key in self._keys else default

    def setdefault(self, key: str, default: Any = None) -> Any:
        if key not in self._keys:
            self[key] = default
        return self[key]

    def pop(self, key: str) -> Any:
        """Removes the entry ``key`` and returns its value."""
        value = self[key]
        del self[key]
        return value

    def popitem(self) -> Tuple[str, Any]:
        """Removes and returns the last (key, value) pair."""
        key = next(reversed(self._keys))
        return key, self.pop(key)

    def clear(self) -> None:
        for key in list(self._keys):
            del self[key]

    def copy(self) -> "ParameterDict":
        """A new ParameterDict holding the same parameter objects."""
        return ParameterDict(OrderedDict(self.items()))

    def fromkeys(self, keys: Iterable[str], default: Any = None) -> "ParameterDict":
        """A new ParameterDict with ``keys``, each set to ``default`` (a method of the instance, as PyTorch's)."""
        return ParameterDict((key, default) for key in keys)

    def __or__(self, other: "ParameterDict") -> "ParameterDict":
        merged = self.copy()
        merged.update(other)
        return merged

    def __ror__(self, other: "ParameterDict") -> "ParameterDict":
        merged = other.copy()
        merged.update(self)
        return merged

    def __ior__(self, other: "ParameterDict") -> "ParameterDict":
        self.update(other)
        return self

    def __call__(self, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError("ParameterDict should not be called.")

    def update(self, values: Any) -> None:
        """Adds (or replaces) entries from a mapping or an iterable of (key, value) pairs."""
        if not isinstance(values, IterableABC):
            raise TypeError("ParametersDict.update should be called with an iterable of key/value pairs, but got "
                            f"{type(values).__name__}")  # (sic: PyTorch's spelling)
        if isinstance(values, (OrderedDict, ParameterDict)):
            pairs = values.items()
        elif isinstance(values, Mapping):
            pairs = sorted(values.items())
        else:
            pairs = _key_value_pairs("ParameterDict", values)
        for key, value in pairs:
            self[key] = value

    def extra_repr(self) -> str:
        return "\n".join(_entry_repr(key, value, value.type() if isinstance(value, Tensor) else "")
                         for key, value in self.items())
