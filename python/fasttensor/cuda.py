"""fasttensor.cuda: device queries and memory statistics for our CUDA backend."""

from __future__ import annotations

from . import _C

_cuda = _C._cuda


def is_available() -> bool:
    """True when fasttensor was built with CUDA and a GPU is visible."""
    return bool(_cuda.compiled) and _cuda.device_count() > 0


def device_count() -> int:
    return _cuda.device_count() if _cuda.compiled else 0


def _require() -> None:
    if not _cuda.compiled:
        raise AssertionError("Torch not compiled with CUDA enabled: fasttensor was built without CUDA")
    if _cuda.device_count() == 0:
        raise RuntimeError("No CUDA GPUs are available")


def get_device_name(device=None) -> str:
    _require()
    idx = 0 if device is None else (device if isinstance(device, int) else (_C.device(device).index or 0))
    return _cuda.get_device_name(idx)


def current_device() -> int:
    _require()
    return 0


def synchronize(device=None) -> None:
    _require()
    _cuda.synchronize()


def manual_seed(seed: int) -> None:
    """CPU and CUDA share one counter-based generator: seeds both."""
    _C.manual_seed(int(seed))


manual_seed_all = manual_seed


def memory_allocated(device=None) -> int:
    return _cuda.memory_allocated(0) if is_available() else 0


def max_memory_allocated(device=None) -> int:
    return _cuda.max_memory_allocated(0) if is_available() else 0


def reset_peak_memory_stats(device=None) -> None:
    if is_available():
        _cuda.reset_peak_memory_stats(0)


def empty_cache() -> None:
    if is_available():
        _cuda.empty_cache()
