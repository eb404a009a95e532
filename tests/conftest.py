"""pytest configuration shared by the fasttensor tests.

Each test starts from the same global state (grad mode on, float32 default
dtype, seeded generator, detected SIMD level) and leaves it that way.
"""

from __future__ import annotations

import os
import sys
from typing import Any, Iterator

import pytest

sys.path.insert(0, os.path.dirname(__file__))  # `import helpers` from any test file


@pytest.fixture
def torch() -> Any:
    """The torch module, or skip: only the comparisons with PyTorch need it."""
    return pytest.importorskip("torch")


@pytest.fixture(autouse=True)
def _fresh_state() -> Iterator[None]:
    try:
        import fasttensor
    except ImportError:  # tests that load modules by file need no built package
        yield
        return
    fasttensor.manual_seed(0)
    yield
    fasttensor.set_grad_enabled(True)
    fasttensor.set_default_dtype(fasttensor.float32)
    fasttensor._C._set_simd_level(fasttensor._C._detected_simd_level())
