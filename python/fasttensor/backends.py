"""fasttensor.backends: switches for our kernels (TF32 on CUDA matmul)."""

from __future__ import annotations

import types
import warnings

from . import _C

# PyTorch's one state behind both switches: float32 matmul precision 'highest' (full fp32), 'high' or
# 'medium' (TF32 allowed). backends.cuda.matmul.allow_tf32 reads it (anything but 'highest') and sets it
# ('high' / 'highest'); set_float32_matmul_precision sets it. Only CUDA matmuls read it (TF32 tensor
# cores); on the CPU the precision changes nothing.
_float32_matmul_precision = ["high" if _C._cuda.compiled and _C._cuda.get_allow_tf32() else "highest"]


def _set_precision(precision: str) -> None:
    _float32_matmul_precision[0] = precision
    if _C._cuda.compiled:
        _C._cuda.set_allow_tf32(precision != "highest")


def get_float32_matmul_precision() -> str:
    """'highest', 'high' or 'medium': what set_float32_matmul_precision (or allow_tf32) last set."""
    return _float32_matmul_precision[0]


def set_float32_matmul_precision(precision: str) -> None:
    """'highest' keeps CUDA float32 matmuls in full precision; 'high' and 'medium' allow TF32 tensor cores
    (backends.cuda.matmul.allow_tf32 becomes True). Another string warns and changes nothing, as PyTorch."""
    if not isinstance(precision, str):
        raise RuntimeError(f"set_float32_matmul_precision expects a str, but got {type(precision).__name__}")
    if precision not in ("highest", "high", "medium"):
        # (PyTorch's message runs "current" and "setFloat32MatmulPrecision" together)
        warnings.warn(f"{precision} is not one of 'highest', 'high', or 'medium'; the current"
                      "setFloat32MatmulPrecision call has no effect.", UserWarning, stacklevel=3)
        return
    _set_precision(precision)


class _Matmul:
    @property
    def allow_tf32(self) -> bool:
        return _float32_matmul_precision[0] != "highest"

    @allow_tf32.setter
    def allow_tf32(self, value: bool) -> None:
        _set_precision("high" if value else "highest")


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
