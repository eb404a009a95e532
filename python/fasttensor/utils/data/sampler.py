"""Samplers: the orders in which DataLoader visits a map-style dataset.

A sampler is an iterable of dataset keys (usually ints), a batch sampler an
iterable of lists of keys. The built-in samplers draw a whole pass at once as
an int64 tensor (``randperm``, ``randint``, ``multinomial``, with an optional
fasttensor.Generator) and yield its values as Python ints, as PyTorch's do;
``index_tensor`` hands DataLoader that tensor directly, so batches of a
TensorDataset can be gathered without going through Python ints.
"""

from __future__ import annotations

import itertools
from typing import Generic, Iterable, Iterator, List, Optional, Sequence, Sized, TypeVar, Union

from ... import _C
from ..._creation import arange, as_tensor, randint, randperm
from ..._sampling import multinomial

Tensor = _C.Tensor
T_co = TypeVar("T_co", covariant=True)

__all__ = ["BatchSampler", "RandomSampler", "Sampler", "SequentialSampler", "SubsetRandomSampler",
           "WeightedRandomSampler"]


class Sampler(Generic[T_co]):
    """Base class of samplers: subclasses define ``__iter__`` (the keys, or lists of keys for a
    batch sampler) and may define ``__len__`` (how many they yield)."""

    def __iter__(self) -> Iterator[T_co]:
        raise NotImplementedError


class SequentialSampler(Sampler[int]):
    """0, 1, ..., len(data_source) - 1, every pass."""

    def __init__(self, data_source: Sized) -> None:
        self.data_source = data_source

    def _draw(self) -> Tensor:
        return arange(len(self.data_source))

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler[int]):
    """A new random order of ``data_source`` each pass: without replacement, whole permutations
    (as many as ``num_samples`` needs, the last one cut short); with replacement, ``num_samples``
    independent uniform draws. ``num_samples`` defaults to len(data_source)."""

    def __init__(self, data_source: Sized, replacement: bool = False, num_samples: Optional[int] = None,
                 generator=None) -> None:
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not isinstance(replacement, bool):
            raise TypeError(f"replacement should be a boolean value, but got replacement={replacement}")
        if not isinstance(self.num_samples, int) or self.num_samples <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got num_samples={self.num_samples}")

    @property
    def num_samples(self) -> int:
        """How many indices a pass yields (the dataset's length unless given)."""
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def _draw(self) -> Tensor:
        """One pass, drawn as PyTorch draws it: without a generator, a private one seeded from the
        default generator (one 63-bit draw); whole permutations, then one more cut to the rest."""
        n, count = len(self.data_source), self.num_samples
        generator = self.generator
        if generator is None:
            generator = _C.Generator().manual_seed(_seed_from(None))
        if self.replacement:
            return randint(0, n, (count,), generator=generator, dtype=_C.int64)
        whole, rest = divmod(count, n)  # an empty data source: ZeroDivisionError, as PyTorch
        perms = [randperm(n, generator=generator) for _ in range(whole)]
        perms.append(randperm(n, generator=generator)[:rest])
        return perms[0] if len(perms) == 1 else _C.cat(perms, 0)

    def __iter__(self) -> Iterator[int]:
        yield from self._draw().tolist()

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler[int]):
    """The elements of ``indices`` in a new random order each pass."""

    def __init__(self, indices: Sequence[int], generator=None) -> None:
        self.indices = indices
        self.generator = generator

    def __iter__(self) -> Iterator[int]:
        for i in randperm(len(self.indices), generator=self.generator).tolist():
            yield self.indices[i]

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler[int]):
    """``num_samples`` indices into ``weights``, index i drawn with probability proportional to
    weights[i]; without replacement an index comes at most once per pass."""

    def __init__(self, weights: Sequence[float], num_samples: int, replacement: bool = True,
                 generator=None) -> None:
        if not isinstance(num_samples, int) or isinstance(num_samples, bool) or num_samples <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got num_samples={num_samples}")
        if not isinstance(replacement, bool):
            raise ValueError(f"replacement should be a boolean value, but got replacement={replacement}")
        weights_tensor = as_tensor(weights, dtype=_C.float64)
        if weights_tensor.dim() != 1:
            raise ValueError("weights should be a 1d sequence but given "
                             f"weights have shape {tuple(weights_tensor.shape)}")
        self.weights = weights_tensor
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = generator

    def _draw(self) -> Tensor:
        return multinomial(self.weights, self.num_samples, self.replacement, generator=self.generator)

    def __iter__(self) -> Iterator[int]:
        yield from self._draw().tolist()

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler[List[int]]):
    """Groups the keys of ``sampler`` (a Sampler or any iterable) into lists of ``batch_size``;
    drop_last: leave out a last, shorter list."""

    def __init__(self, sampler: Union[Sampler[int], Iterable[int]], batch_size: int, drop_last: bool) -> None:
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self) -> Iterator[List[int]]:
        keys = iter(self.sampler)
        while True:
            batch = list(itertools.islice(keys, self.batch_size))
            if not batch or (self.drop_last and len(batch) < self.batch_size):
                return
            yield batch

    def __len__(self) -> int:
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return (len(self.sampler) + self.batch_size - 1) // self.batch_size


_TENSOR_SAMPLERS = (SequentialSampler, RandomSampler, WeightedRandomSampler)


def _seed_from(generator) -> int:
    """A 63-bit seed drawn from generator (None: the default one), as
    ``torch.empty((), dtype=torch.int64).random_(generator=generator).item()``."""
    return int(_C._random_distribution_(_C._empty([], _C.int64, "cpu", False), 5, 0.0, 0.0, generator).item())


def index_tensor(sampler: object) -> Optional[Tensor]:
    """One pass of a built-in sampler as an int64 tensor (drawing it as iterating would), or None
    for any other sampler, subclasses included, whose order only its ``__iter__`` knows."""
    if type(sampler) in _TENSOR_SAMPLERS:
        return sampler._draw()
    return None
