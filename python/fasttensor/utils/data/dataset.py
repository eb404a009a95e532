"""Datasets: the map-style base class and the iterable one, TensorDataset, StackDataset,
ConcatDataset, ChainDataset, Subset and random_split.

A dataset whose samples are rows of tensors also offers ``get_batch(indices)``:
the whole batch gathered with one indexing op per tensor (``t[indices]``),
which DataLoader uses instead of fetching and stacking samples one by one.
"""

from __future__ import annotations

import bisect
import itertools
import math
import warnings
from typing import (Any, Callable, Dict, Generic, Iterable, Iterator, List, Optional, Sequence, Sized, Tuple, TypeVar,
                    Union)

from ... import _C
from ..._creation import randperm, tensor

Tensor = _C.Tensor
T_co = TypeVar("T_co", covariant=True)


class Dataset(Generic[T_co]):
    """A map-style dataset: subclasses define ``__getitem__(index)`` and ``__len__()``.
    ``a + b`` is their ConcatDataset."""

    def __getitem__(self, index: int) -> T_co:
        raise NotImplementedError("Subclasses of Dataset should implement __getitem__.")

    def __add__(self, other: Dataset[T_co]) -> ConcatDataset[T_co]:
        return ConcatDataset([self, other])


class IterableDataset(Dataset[T_co], Iterable[T_co]):
    """A stream of samples: subclasses define ``__iter__`` (and may define ``__len__``).
    DataLoader reads it in order; ``a + b`` is their ChainDataset."""

    def __add__(self, other: Dataset[T_co]) -> ChainDataset:
        return ChainDataset([self, other])


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


class StackDataset(Dataset):
    """Datasets of equal length side by side: item i is ``(d[i] for d in args)``, or with keyword
    datasets ``{name: d[i]}``."""

    def __init__(self, *args: Dataset, **kwargs: Dataset) -> None:
        if args and kwargs:
            raise ValueError("Supported either ``tuple``- (via ``args``) or"
                             "``dict``- (via ``kwargs``) like input/output, but both types are given.")
        if not args and not kwargs:
            raise ValueError("At least one dataset should be passed")
        self.datasets: Union[Tuple[Dataset, ...], Dict[str, Dataset]] = args or kwargs
        parts = list(args or kwargs.values())
        self._length = len(parts[0])
        if any(len(d) != self._length for d in parts):
            raise ValueError("Size mismatch between datasets")

    def __getitem__(self, index):
        if isinstance(self.datasets, dict):
            return {name: d[index] for name, d in self.datasets.items()}
        return tuple(d[index] for d in self.datasets)

    def __getitems__(self, indices: list) -> list:
        """The samples at ``indices``, each part read with its dataset's own ``__getitems__`` if it has one."""
        named = isinstance(self.datasets, dict)
        columns = [_items_of(d, indices) for d in (self.datasets.values() if named else self.datasets)]
        if named:
            return [dict(zip(self.datasets, row)) for row in zip(*columns)]
        return [tuple(row) for row in zip(*columns)]

    def __len__(self) -> int:
        return self._length


def _items_of(dataset: Dataset, indices: list) -> list:
    getitems = getattr(dataset, "__getitems__", None)
    if not callable(getitems):
        return [dataset[i] for i in indices]
    items = getitems(indices)
    if len(items) != len(indices):
        raise ValueError(f"Nested dataset's output size mismatch. Expected {len(indices)}, got {len(items)}")
    return items


class ConcatDataset(Dataset[T_co]):
    """Map-style datasets one after another: index i falls in the first dataset whose
    ``cumulative_sizes`` entry exceeds it; negative indices count from the end."""

    @staticmethod
    def cumsum(sequence: Iterable[Sized]) -> List[int]:
        """The running totals of the lengths of ``sequence``."""
        return list(itertools.accumulate(len(d) for d in sequence))

    def __init__(self, datasets: Iterable[Dataset]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise AssertionError("datasets should not be an empty iterable")
        if any(isinstance(d, IterableDataset) for d in self.datasets):
            raise AssertionError("ConcatDataset does not support IterableDataset")
        self.cumulative_sizes = self.cumsum(self.datasets)

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx: int) -> T_co:
        if idx < 0:
            if -idx > len(self):
                raise ValueError("absolute value of index should not exceed dataset length")
            idx += len(self)
        which = bisect.bisect_right(self.cumulative_sizes, idx)
        start = self.cumulative_sizes[which - 1] if which > 0 else 0
        return self.datasets[which][idx - start]

    @property
    def cummulative_sizes(self) -> List[int]:
        """The old, misspelt name of ``cumulative_sizes``."""
        warnings.warn("`cummulative_sizes` attribute is renamed to `cumulative_sizes`", FutureWarning, stacklevel=2)
        return self.cumulative_sizes


class ChainDataset(IterableDataset):
    """IterableDatasets one after another, read as they are iterated."""

    def __init__(self, datasets: Iterable[Dataset]) -> None:
        self.datasets = datasets

    def _parts(self) -> Iterator[IterableDataset]:
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise AssertionError("ChainDataset only supports IterableDataset")
            yield d

    def __iter__(self) -> Iterator[Any]:
        for d in self._parts():
            yield from d

    def __len__(self) -> int:
        return sum(len(d) for d in self._parts())


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
    (its ``get_batch``, seen through Subsets), or None when it has none or reads
    batches with its own ``__getitems__``."""
    if callable(getattr(dataset, "__getitems__", None)):  # reads its batches its own way
        return None
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
