"""fasttensor.random: PyTorch's torch.random (seeding, generator state, fork_rng)."""

from __future__ import annotations

import contextlib
from typing import Iterable, Iterator, Optional

from . import _C
from ._creation import manual_seed, seed

default_generator = _C.default_generator

__all__ = ["manual_seed", "seed", "initial_seed", "get_rng_state", "set_rng_state", "fork_rng", "default_generator"]


def initial_seed() -> int:
    """The seed the default CPU generator was last seeded with."""
    return _C.default_generator.initial_seed()


def get_rng_state():
    """The default CPU generator's state: a uint8 tensor laid out as PyTorch's (5056 bytes)."""
    return _C.default_generator.get_state()


def set_rng_state(new_state) -> None:
    _C.default_generator.set_state(new_state)


@contextlib.contextmanager
def fork_rng(devices: Optional[Iterable] = None, enabled: bool = True, _caller: str = "fork_rng",
             _devices_kw: str = "devices", device_type: str = "cuda") -> Iterator[None]:
    """Runs the block with the default generators' states saved and put back afterwards, so draws
    inside it leave the streams outside as they were."""
    if not enabled:
        yield
        return
    cpu, cuda = _C.default_generator.get_state(), _C._cuda_default_generator.get_state()
    try:
        yield
    finally:
        _C.default_generator.set_state(cpu)
        _C._cuda_default_generator.set_state(cuda)
