"""DataLoader: batches of a dataset, in order or shuffled, optionally
prefetched by background threads.

The batch order is drawn in the calling thread when iteration starts (one
``randperm``), so ``num_workers`` changes only who fetches a batch, never which
batches come out. Datasets with ``get_batch`` (TensorDataset, Fashion-MNIST,
their Subsets) are gathered with one indexing op per tensor; other datasets are
fetched sample by sample and merged by ``collate_fn``.
"""

from __future__ import annotations

import collections
import itertools
import math
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Iterator, List, Optional

import numpy as np

from ... import _C
from ..._creation import arange, randperm, tensor
from .dataset import Dataset, batch_getter

Tensor = _C.Tensor


def default_collate(batch: List[Any]) -> Any:
    """Merges a list of samples into a batch, as PyTorch's default_collate:
    tensors and NumPy arrays are stacked (new first dim), Python floats become a
    float64 tensor, ints int64, bools bool; dicts, tuples and lists are collated
    field by field (tuples come back as lists); strings stay as they came (a field of
    strings: a tuple)."""
    elem = batch[0]
    if isinstance(elem, Tensor):
        return _C.stack(batch, 0)
    if isinstance(elem, np.ndarray):
        if elem.dtype.kind in "OSU":
            raise TypeError(f"default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
                            f"found {elem.dtype}")
        return tensor(np.stack(batch))
    if isinstance(elem, np.generic):
        return tensor(np.array(batch))
    if isinstance(elem, float):
        return tensor(batch, dtype=_C.float64)
    if isinstance(elem, int):  # bool too: tensor() infers bool for them
        return tensor(batch)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        collated = {key: default_collate([d[key] for d in batch]) for key in elem}
        try:
            return type(elem)(collated)
        except TypeError:
            return collated
    # Fields are collated from zip's tuples, as PyTorch: a field of strings comes back a tuple.
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return type(elem)(*(default_collate(samples) for samples in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        if any(len(sample) != len(elem) for sample in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        return [default_collate(samples) for samples in zip(*batch)]
    raise TypeError("default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
                    f"found {type(elem)}")


def default_convert(data: Any) -> Any:
    """A sample as DataLoader(batch_size=None) yields it, as PyTorch's default_convert: NumPy arrays
    and scalars become tensors, inside dicts, tuples and lists too; everything else stays."""
    if isinstance(data, (np.ndarray, np.generic)) and data.dtype.kind not in "OSU":
        return tensor(data)
    if isinstance(data, collections.abc.Mapping):
        return type(data)({key: default_convert(value) for key, value in data.items()})
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(x) for x in data))
    if isinstance(data, (list, tuple)):  # a plain tuple comes back a list, as in PyTorch
        return [default_convert(x) for x in data]
    return data


class DataLoader:
    """Iterates over ``dataset`` in batches of ``batch_size``.

    shuffle: a new random order each epoch, drawn from ``generator`` (a
    fasttensor.Generator) when given. drop_last: drop a last, smaller batch.
    num_workers > 0: that many background threads fetch batches ahead
    (``prefetch_factor`` each) — the same batches, in the same order.
    """

    def __init__(self, dataset: Dataset, batch_size: Optional[int] = 1, shuffle: Optional[bool] = False,
                 sampler=None, batch_sampler=None, num_workers: int = 0,
                 collate_fn: Optional[Callable[[List[Any]], Any]] = None, pin_memory: bool = False,
                 drop_last: bool = False, timeout: float = 0, worker_init_fn: Optional[Callable[[int], None]] = None,
                 generator=None, *, prefetch_factor: Optional[int] = None, persistent_workers: bool = False) -> None:
        if sampler is not None or batch_sampler is not None:
            raise NotImplementedError("DataLoader: custom samplers are not supported; use shuffle and generator")
        if batch_size is not None and (not isinstance(batch_size, int) or isinstance(batch_size, bool) or
                                       batch_size <= 0):
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size}")
        if batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive with drop_last")
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable multiprocessing.")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in multiprocessing."
                             "let num_workers > 0 to enable multiprocessing, otherwise set prefetch_factor to None.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if shuffle and len(dataset) == 0:
            raise ValueError(f"num_samples should be a positive integer value, but got num_samples={len(dataset)}")
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = bool(shuffle)
        self.num_workers = num_workers
        self.collate_fn = collate_fn if collate_fn is not None else default_collate
        self.pin_memory = pin_memory
        self.drop_last = drop_last
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.generator = generator
        self.prefetch_factor = 2 if prefetch_factor is None and num_workers > 0 else prefetch_factor
        self.persistent_workers = persistent_workers
        # One gather per tensor, when the dataset offers it and batches use the default collate.
        self._get_batch = batch_getter(dataset) if collate_fn is None and batch_size is not None else None
        if batch_size is None and collate_fn is None:  # no batching: samples as they are (arrays as tensors)
            self.collate_fn = default_convert

    def __len__(self) -> int:
        n = len(self.dataset)
        if self.batch_size is None:
            return n
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def _batch_indices(self) -> Iterator[Tensor]:
        """The int64 index tensor of each batch (each sample, without batching), from one order drawn now."""
        n = len(self.dataset)
        order = randperm(n, generator=self.generator) if self.shuffle else arange(n)
        step = self.batch_size or 1
        for start in range(0, len(self) * step, step):
            yield order[start:start + step]

    def _fetch(self, indices: Tensor) -> Any:
        if self._get_batch is not None:
            return self._get_batch(indices)
        if self.batch_size is None:
            return self.collate_fn(self.dataset[int(indices[0])])
        return self.collate_fn([self.dataset[i] for i in indices.tolist()])

    def __iter__(self) -> Iterator[Any]:
        batches = self._batch_indices()
        if self.num_workers == 0:
            return map(self._fetch, batches)
        return self._prefetching(batches)

    def _prefetching(self, batches: Iterator[Tensor]) -> Iterator[Any]:
        """Keeps num_workers * prefetch_factor batches in flight on a thread pool; yields them in order."""
        worker_ids = itertools.count()

        def start_worker() -> None:
            if self.worker_init_fn is not None:
                self.worker_init_fn(next(worker_ids))

        pool = ThreadPoolExecutor(self.num_workers, thread_name_prefix="fasttensor-dataloader",
                                  initializer=start_worker)
        pending: collections.deque = collections.deque()
        try:
            for indices in itertools.islice(batches, self.num_workers * self.prefetch_factor):
                pending.append(pool.submit(self._fetch, indices))
            while pending:
                batch = pending.popleft().result(timeout=self.timeout or None)
                for indices in itertools.islice(batches, 1):
                    pending.append(pool.submit(self._fetch, indices))
                yield batch
        finally:
            for future in pending:
                future.cancel()
            pool.shutdown(wait=False)
