"""Type names as PyTorch's messages print them ("must be Tensor, not numpy.ndarray")."""

from __future__ import annotations

from . import _C


def type_name(value) -> str:
    """The type's name as PyTorch's argument parser prints it (the C type's tp_name): a class written in
    Python or a builtin by its bare name ('list', 'MyData'), a type of an extension module with its module
    ('numpy.ndarray', 'numpy.float64'), as are PyTorch's own C types (fasttensor.Size, fasttensor.dtype);
    tensors by their bare class name ('Tensor', 'Parameter': Python classes in PyTorch)."""
    t = type(value)
    written_in_python = t.__flags__ & (1 << 9)  # Py_TPFLAGS_HEAPTYPE
    if (written_in_python and t.__module__ != "fasttensor") or t.__module__ == "builtins" or issubclass(t, _C.Tensor):
        return t.__name__
    return f"{t.__module__}.{t.__name__}"
