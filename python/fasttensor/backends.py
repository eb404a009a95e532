"""fasttensor.backends: switches for our kernels (TF32 on CUDA matmul)."""

from __future__ import annotations

import types

from . import _C


class _Matmul:
    @property
    def allow_tf32(self) -> bool:
        return bool(_C._cuda.compiled) and _C._cuda.get_allow_tf32()

    @allow_tf32.setter
    def allow_tf32(self, value: bool) -> None:
        if _C._cuda.compiled:
            _C._cuda.set_allow_tf32(bool(value))


cuda = types.SimpleNamespace(matmul=_Matmul())


class _Cpu:
    @staticmethod
    def get_cpu_capability() -> str:
        return _C._simd_level()


cpu = _Cpu()


# Apple's Metal backend: never present here (device-selection code asks).
mps = types.SimpleNamespace(is_available=lambda: False, is_built=lambda: False)

# cuDNN: not used (our own kernels); its switches are accepted so that code setting them for
# reproducibility (torch.backends.cudnn.deterministic = True) runs.
cudnn = types.SimpleNamespace(enabled=True, deterministic=False, benchmark=False, allow_tf32=True,
                              is_available=lambda: False, version=lambda: None)
