"""scikit-learn's bundled 8×8 handwritten digits (1797 images, 10 classes), no download needed."""

from __future__ import annotations

from typing import Tuple

import numpy as np

from .. import _C
from ..utils.data import TensorDataset


def digits(val_fraction: float = 0.2, seed: int = 0) -> Tuple[TensorDataset, TensorDataset]:
    """(train, validation) TensorDatasets of images (N, 1, 8, 8) float32 in [0, 1] and labels (N,) int64.

    The split is a permutation from ``seed`` (NumPy's generator, leaving
    fasttensor's random state alone), so it is the same on every call.
    Needs scikit-learn (``pip install 'fasttensor[datasets]'``).
    """
    try:
        from sklearn.datasets import load_digits
    except ImportError as e:
        raise ImportError("fasttensor.datasets.digits needs scikit-learn: pip install 'fasttensor[datasets]'") from e
    if not 0 < val_fraction < 1:
        raise ValueError(f"val_fraction must be between 0 and 1, got {val_fraction}")
    bunch = load_digits()
    images = (bunch.images / 16.0).astype(np.float32).reshape(-1, 1, 8, 8)  # pixel values are 0..16
    labels = bunch.target.astype(np.int64)
    order = np.random.default_rng(seed).permutation(len(labels))
    num_val = int(round(len(labels) * val_fraction))
    val, train = order[:num_val], order[num_val:]

    def subset(idx: np.ndarray) -> TensorDataset:
        return TensorDataset(_C.from_numpy(np.ascontiguousarray(images[idx])), _C.from_numpy(labels[idx].copy()))

    return subset(train), subset(val)
