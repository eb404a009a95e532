"""fasttensor.save and fasttensor.load: an object (a tensor, a state_dict, any
picklable structure holding tensors) written with pickle, each tensor as its
host data, dtype, device and requires_grad.

``load`` unpickles, by default (``weights_only=True``, PyTorch's default since
2.6), only tensors, parameters, sizes, dtypes, NumPy arrays, numbers, strings
and the built-in containers, so loading a file cannot run code; a whole
``nn.Module`` or other objects need ``weights_only=False`` (trusted files
only). The file format is ours: PyTorch's zip archives are not read.
"""

from __future__ import annotations

import builtins
import contextlib
import io
import os
import pickle
from typing import Any, BinaryIO, Union

from . import _tensor, return_types

__all__ = ["save", "load"]

FileLike = Union[str, os.PathLike, BinaryIO]

_ALLOWED_GLOBALS = {
    ("fasttensor._tensor", "_rebuild"),
    ("fasttensor", "Tensor"),
    ("fasttensor.nn.parameter", "Parameter"),
    ("fasttensor", "Size"),
    ("fasttensor._size", "Size"),  # files saved before Size was shown as fasttensor.Size
    ("fasttensor._dtype_pickle", "dtype_from_name"),
    ("fasttensor", "device"),  # made from its string ('cuda:0'), as torch.load allows
    ("collections", "OrderedDict"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
    ("_codecs", "encode"),  # how pickle protocols 0-2 write an array's bytes (as torch.load allows)
} | {("builtins", name) for name in ("set", "frozenset", "complex", "slice", "range", "bytearray")} | {
    ("fasttensor.return_types", name) for name in return_types.__all__}


class _WeightsUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _ALLOWED_GLOBALS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(
            f"Weights only load failed: unsupported global {module}.{name}. fasttensor.load(weights_only=True) "
            "reads only tensors, numbers, strings and containers; re-run with weights_only=False if (and only if) "
            "you trust the file, since unpickling other objects can run arbitrary code.")


@contextlib.contextmanager
def _opened(f: FileLike, mode: str):
    if isinstance(f, (str, os.PathLike)):
        with builtins.open(f, mode) as handle:
            yield handle
    else:
        yield f


def save(obj: Any, f: FileLike, pickle_protocol: int = pickle.DEFAULT_PROTOCOL) -> None:
    """Writes obj to a path or a binary file object."""
    # PyTorch's checks and messages, before anything is pickled
    if isinstance(f, (str, os.PathLike)):
        parent = os.path.dirname(os.fspath(f))
        if parent and not os.path.isdir(parent):
            raise RuntimeError(f"Parent directory {parent} does not exist.")
    elif not hasattr(f, "write"):
        raise AttributeError("expected 'f' to be string, path, or a file-like object with a 'write' attribute")
    with _opened(f, "wb") as handle:
        pickle.dump(obj, handle, protocol=pickle_protocol)


def load(f: FileLike, map_location=None, *, weights_only: bool = True) -> Any:
    """Reads what save wrote. ``map_location``: a device (or its name) every
    tensor goes to, a dict mapping saved device names to new ones, or a function
    ``f(tensor_on_cpu, saved_device)`` returning the tensor where it should be
    (PyTorch passes a storage; ``lambda storage, loc: storage`` keeps the CPU)."""
    if map_location is not None and not isinstance(map_location, (str, dict)) and not hasattr(map_location, "type") \
            and not callable(map_location):
        raise TypeError(f"map_location should be a device, a str, a dict or a function, not "
                        f"{type(map_location).__name__}")
    if not isinstance(f, (str, os.PathLike)):
        try:  # PyTorch reads only from a seekable file, and says so
            f.seek(f.tell())
        except (io.UnsupportedOperation, AttributeError) as e:
            raise type(e)(f"{e}. You can only fasttensor.load from a file that is seekable. Please pre-load the data "
                          "into a buffer like io.BytesIO and try to load from it instead.") from None
    with _opened(f, "rb") as handle:
        data = handle.read()
    if not data:
        raise EOFError  # (PyTorch's, without a message)
    unpickler = (_WeightsUnpickler if weights_only else pickle.Unpickler)(io.BytesIO(data))
    with _tensor.map_location(map_location):
        return unpickler.load()
