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
    """Seeds the default CUDA generator (Philox) only, as torch.cuda.manual_seed."""
    _C._cuda_default_generator.manual_seed(int(seed))


manual_seed_all = manual_seed


def seed() -> int:
    """Seeds the default CUDA generator from the operating system; returns the seed."""
    return _C._cuda_default_generator.seed()


seed_all = seed


def initial_seed() -> int:
    return _C._cuda_default_generator.initial_seed()


def get_rng_state(device="cuda"):
    """The default CUDA generator's state (Philox seed and offset) as a uint8 tensor of 16 bytes."""
    return _C._cuda_default_generator.get_state()


def set_rng_state(new_state, device="cuda") -> None:
    _C._cuda_default_generator.set_state(new_state)


def get_rng_state_all() -> list:
    return [get_rng_state()]


def set_rng_state_all(new_states) -> None:
    for state in new_states:
        set_rng_state(state)


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
