"""Synthetic linear-regression data: y = X w + b + noise."""

from __future__ import annotations

from typing import Tuple

from .. import _C
from .._creation import randn

Tensor = _C.Tensor


def synthetic_regression(w: Tensor, b: float, num_examples: int, noise: float = 0.01,
                         generator=None) -> Tuple[Tensor, Tensor]:
    """X (n, len(w)) ~ N(0, 1) and y (n, 1) = X @ w + b + N(0, noise²)."""
    X = randn(num_examples, len(w), generator=generator)
    y = _C.matmul(X, w.reshape((-1, 1))) + b + randn(num_examples, 1, generator=generator) * noise
    return X, y
