"""Datasets: the map-style base class, TensorDataset, Subset and random_split.

A dataset whose samples are rows of tensors also offers ``get_batch(indices)``:
the whole batch gathered with one indexing op per tensor (``t[indices]``),
which DataLoader uses instead of fetching and stacking samples one by one.
"""

from __future__ import annotations

import itertools
import math
import warnings
from typing import Any, Callable, List, Optional, Sequence, Union

from ... import _C
from ..._creation import randperm, tensor

Tensor = _C.Tensor


class Dataset:
    """A map-style dataset: subclasses define ``__getitem__(index)`` and ``__len__()``."""

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError("Subclasses of Dataset should implement __getitem__.")


class TensorDataset(Dataset):
    """Samples are the rows of tensors of equal first dimension: item i is ``(t[i] for t in tensors)``."""

    def __init__(self, *tensors: Tensor) -> None:
        assert all(tensors[0].shape[0] == t.shape[0] for t in tensors), "Size mismatch between tensors"
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0]

    def get_batch(self, indices: Tensor) -> List[Tensor]:
        """The batch [t[indices] for t in tensors]: one gather per tensor."""
        return [t[indices] for t in self.tensors]


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order."""

    def __init__(self, dataset: Dataset, indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = indices
        self._index_tensor: Optional[Tensor] = None

    def __getitem__(self, idx):
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __len__(self) -> int:
        return len(self.indices)

    def index_tensor(self) -> Tensor:
        """The indices as an int64 tensor (built once)."""
        if self._index_tensor is None:
            self._index_tensor = tensor(list(self.indices), dtype=_C.int64)
        return self._index_tensor


def batch_getter(dataset: Dataset) -> Optional[Callable[[Tensor], Any]]:
    """The function that gathers a whole batch of ``dataset`` with one op per tensor
    (its ``get_batch``, seen through Subsets), or None when it has none."""
    mro = type(dataset).__mro__
    owner = {name: next((k for k in mro if name in vars(k)), None) for name in ("__getitem__", "get_batch")}
    if isinstance(dataset, Subset):
        if owner["__getitem__"] is not Subset:  # a subclass reads items its own way
            return None
        inner = batch_getter(dataset.dataset)
        if inner is None:
            return None
        index = dataset.index_tensor()
        return lambda indices: inner(index[indices])
    # get_batch stands for __getitem__ only where no subclass below it overrides __getitem__.
    if owner["get_batch"] is None or mro.index(owner["__getitem__"]) < mro.index(owner["get_batch"]):
        return None
    return dataset.get_batch


def _fraction_lengths(n: int, fractions: Sequence[float]) -> List[int]:
    """floor(n * f) for each fraction, then the remainder dealt out one by one from the first split."""
    lengths = []
    for i, frac in enumerate(fractions):
        if frac < 0 or frac > 1:
            raise ValueError(f"Fraction at index {i} is not between 0 and 1")
        lengths.append(int(math.floor(n * frac)))
    for i in range(n - sum(lengths)):
        lengths[i % len(lengths)] += 1
    for i, length in enumerate(lengths):
        if length == 0:
            warnings.warn(f"Length of split at index {i} is 0. This might result in an empty dataset.")
    return lengths


def random_split(dataset: Dataset, lengths: Sequence[Union[int, float]], generator=None) -> List[Subset]:
    """Splits ``dataset`` into non-overlapping random Subsets of the given lengths, or of
    the given fractions (summing to 1); ``generator`` makes the split reproducible."""
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        lengths = _fraction_lengths(len(dataset), lengths)
    if sum(lengths) != len(dataset):
        raise ValueError("Sum of input lengths does not equal the length of the input dataset!")
    indices = randperm(sum(lengths), generator=generator).tolist()
    return [Subset(dataset, indices[offset - length:offset])
            for offset, length in zip(itertools.accumulate(lengths), lengths)]
