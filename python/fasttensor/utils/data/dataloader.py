"""DataLoader: batches of a dataset, in the order of a sampler (sequential,
shuffled or the caller's own), optionally prefetched by background threads.

The batch order is drawn in the calling thread when iteration starts (for the
built-in samplers, one ``randperm`` or ``arange``), so ``num_workers`` changes
only who fetches a batch, never which batches come out. Datasets with
``get_batch`` (TensorDataset, Fashion-MNIST, their Subsets) are gathered with
one indexing op per tensor; other datasets are fetched sample by sample (or
with their ``__getitems__``) and merged by ``collate_fn``. An IterableDataset
is read in order, ``batch_size`` samples a batch, by one reader at a time.
"""

from __future__ import annotations

import collections
import itertools
import multiprocessing
import os
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Iterable, Iterator, List, Optional, Union

import numpy as np

from ... import _C
from ..._creation import tensor
from .dataset import Dataset, IterableDataset, batch_getter
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler, _seed_from, index_tensor

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


_END = object()  # a stream's marker: no more batches


class _InfiniteConstantSampler(Sampler):
    """None, forever: the sampler of a DataLoader over an IterableDataset, as in PyTorch."""

    def __iter__(self) -> Iterator[None]:
        return itertools.repeat(None)


def _usable_cpu_count() -> Optional[int]:
    """The CPUs this process may run on (its affinity where the system tells it), as torch's."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count()


class _StreamReader:
    """Reads the batches of one pass over an IterableDataset. The call with ticket k reads batch k,
    right after batch k - 1, whichever thread makes it; collating happens outside the lock."""

    def __init__(self, stream: Iterator[Any], batch_size: Optional[int], drop_last: bool,
                 collate_fn: Callable[[Any], Any]) -> None:
        self._stream = stream
        self._batch_size = batch_size
        self._drop_last = drop_last
        self._collate = collate_fn
        self._ended = False
        self._turn = 0
        self._turns = threading.Condition()

    def fetch(self, ticket: int) -> Any:
        with self._turns:
            self._turns.wait_for(lambda: self._turn == ticket)
            try:
                samples = self._read()
            finally:
                self._turn += 1
                self._turns.notify_all()
        return samples if samples is _END else self._collate(samples)

    def _read(self) -> Any:
        """The next sample (no batching) or list of samples, or _END."""
        if self._ended:
            return _END
        if self._batch_size is None:
            sample = next(self._stream, _END)
            self._ended = sample is _END
            return sample
        samples = list(itertools.islice(self._stream, self._batch_size))
        self._ended = len(samples) < self._batch_size
        if not samples or (self._drop_last and self._ended):
            return _END
        return samples


class DataLoader:
    """Iterates over ``dataset`` in batches of ``batch_size``, as PyTorch's DataLoader.

    The order comes from ``sampler`` (default: SequentialSampler, or with shuffle a RandomSampler
    drawing from ``generator``, a fasttensor.Generator), grouped by ``batch_sampler`` (default: a
    BatchSampler of batch_size and drop_last; batch_size=None: no batching). An IterableDataset is
    read in its own order. num_workers > 0: that many background threads fetch batches ahead
    (``prefetch_factor`` each) — the same batches, in the same order; ``multiprocessing_context``
    is checked but unused, as the workers are threads.
    """

    __initialized = False

    def __init__(self, dataset: Dataset, batch_size: Optional[int] = 1, shuffle: Optional[bool] = None,
                 sampler: Union[Sampler, Iterable, None] = None,
                 batch_sampler: Union[Sampler[List], Iterable[List], None] = None, num_workers: int = 0,
                 collate_fn: Optional[Callable[[List[Any]], Any]] = None, pin_memory: bool = False,
                 drop_last: bool = False, timeout: float = 0, worker_init_fn: Optional[Callable[[int], None]] = None,
                 multiprocessing_context=None, generator=None, *, prefetch_factor: Optional[int] = None,
                 persistent_workers: bool = False, pin_memory_device: str = "", in_order: bool = True) -> None:
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in multiprocessing."
                             "let num_workers > 0 to enable multiprocessing, otherwise set prefetch_factor to None.")
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        elif prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")
        _check_multiprocessing_context(multiprocessing_context, num_workers)

        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable:
            if shuffle not in {False, None}:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified shuffle option, "
                                 f"but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified sampler option, "
                                 f"but got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified batch_sampler option, "
                                 f"but got batch_sampler={batch_sampler}")
        shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, "
                                 "and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive with drop_last")
        if sampler is None:
            if self._iterable:
                sampler = _InfiniteConstantSampler()
            else:
                sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.num_workers = num_workers
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.drop_last = drop_last
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.generator = generator
        self.prefetch_factor = prefetch_factor
        self.persistent_workers = persistent_workers
        self.in_order = in_order
        if collate_fn is None:
            collate_fn = default_collate if batch_sampler is not None else default_convert
        self.collate_fn = collate_fn
        # One gather per tensor, when the dataset offers it and batches use the default collate.
        self._get_batch = batch_getter(dataset) if collate_fn is default_collate and not self._iterable else None
        self._IterableDataset_len_called: Optional[int] = None
        self.__initialized = True
        self.check_worker_number_rationality()

    def check_worker_number_rationality(self) -> None:
        """PyTorch's warning when num_workers is more than the CPUs this process may use (its text
        speaks of worker processes; ours are threads, which share the same CPUs)."""
        if not self.num_workers:
            return
        suggest = _usable_cpu_count()
        cpuset_checked = hasattr(os, "sched_getaffinity")
        if suggest is not None and self.num_workers <= suggest:
            return
        if suggest is None:
            suggested = "DataLoader is not able to compute a suggested max number of worker in current system."
        else:
            suggested = (f"Our suggested max number of worker in current system is {suggest}"
                         f"{'' if cpuset_checked else ' (`cpuset` is not taken into account)'}, which is smaller "
                         "than what this DataLoader is going to create.")
        warnings.warn(f"This DataLoader will create {self.num_workers} worker processes in total. {suggested} "
                      "Please be aware that excessive worker creation might get DataLoader running slow or even "
                      "freeze, lower the worker number to avoid potential slowness/freeze if necessary.",
                      stacklevel=2)

    def __setattr__(self, attr: str, val: Any) -> None:
        if self.__initialized and attr in ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset",
                                           "persistent_workers"):
            raise ValueError(f"{attr} attribute should not be set after {self.__class__.__name__} is initialized")
        super().__setattr__(attr, val)

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None

    @property
    def _index_sampler(self) -> Any:
        return self.batch_sampler if self._auto_collation else self.sampler

    def __len__(self) -> int:
        if not self._iterable:
            return len(self._index_sampler)
        length = self._IterableDataset_len_called = len(self.dataset)
        if self.batch_size is None:
            return length
        return length // self.batch_size if self.drop_last else -(-length // self.batch_size)

    def _batch_indices(self) -> Iterator[Any]:
        """What _fetch takes, one per batch, drawn when the first is asked for: slices of an int64
        index tensor (a BatchSampler over a built-in sampler), the lists of keys of any other batch
        sampler, or without batching the sampler's keys one by one."""
        batches = self.batch_sampler
        if batches is None:
            yield from self.sampler
            return
        order = index_tensor(batches.sampler) if type(batches) is BatchSampler else None
        if order is None:
            yield from batches
            return
        step = batches.batch_size
        count = len(order) // step if batches.drop_last else -(-len(order) // step)
        for start in range(0, count * step, step):
            yield order[start:start + step]

    def _fetch(self, indices: Any) -> Any:
        if self.batch_sampler is None:
            return self.collate_fn(self.dataset[indices])
        if self._get_batch is not None:
            if isinstance(indices, Tensor):
                return self._get_batch(indices)
            if isinstance(indices, (list, tuple)) and indices and all(type(i) is int for i in indices):
                return self._get_batch(tensor(indices, dtype=_C.int64))
        if isinstance(indices, Tensor):
            indices = indices.tolist()
        getitems = getattr(self.dataset, "__getitems__", None)
        samples = getitems(indices) if getitems else [self.dataset[i] for i in indices]
        return self.collate_fn(samples)

    def __iter__(self) -> Iterator[Any]:
        if self.num_workers:
            self.check_worker_number_rationality()  # again, as PyTorch's multi-worker iterator does
        # PyTorch's iterator draws a base seed for its workers first (one draw from the loader's
        # generator, or the default one), so the random stream after a pass is PyTorch's.
        self._base_seed = _seed_from(self.generator)
        if not self._iterable:
            batches = self._run(self._batch_indices(), self._fetch)
        else:
            reader = _StreamReader(iter(self.dataset), self.batch_size, self.drop_last, self.collate_fn)
            batches = self._until_end(self._run(itertools.count(), reader.fetch), self._IterableDataset_len_called)
        iterator = _MultiProcessingDataLoaderIter if self.num_workers else _SingleProcessDataLoaderIter
        return iterator(self, batches)

    def _run(self, jobs: Iterator[Any], fetch: Callable[[Any], Any]) -> Iterator[Any]:
        if self.num_workers == 0:
            return map(fetch, jobs)
        return self._prefetching(jobs, fetch)

    def _until_end(self, batches: Iterator[Any], reported: Optional[int]) -> Iterator[Any]:
        """A stream's batches up to its end; past the length len(loader) reported, warns as PyTorch."""
        try:
            for count, batch in enumerate(batches, 1):
                if batch is _END:
                    return
                if reported is not None and count > reported:
                    message = (f"Length of IterableDataset {self.dataset} was reported to be {reported}"
                               f"(when accessing len(dataloader)), but {count} samples have been fetched. ")
                    if self.num_workers > 0:
                        message += ("For multiprocessing data-loading, this could be caused by not properly "
                                    "configuring the IterableDataset replica at each worker. Please see "
                                    "https://pytorch.org/docs/stable/data.html#torch.utils.data.IterableDataset "
                                    "for examples.")
                    warnings.warn(message, stacklevel=2)
                yield batch
        finally:
            close = getattr(batches, "close", None)
            if close is not None:
                close()

    def _prefetching(self, jobs: Iterator[Any], fetch: Callable[[Any], Any]) -> Iterator[Any]:
        """Keeps num_workers * prefetch_factor batches in flight on a thread pool; yields them in order."""
        worker_ids = itertools.count()

        def start_worker() -> None:
            if self.worker_init_fn is not None:
                self.worker_init_fn(next(worker_ids))

        pool = ThreadPoolExecutor(self.num_workers, thread_name_prefix="fasttensor-dataloader",
                                  initializer=start_worker)
        pending: collections.deque = collections.deque()
        try:
            for job in itertools.islice(jobs, self.num_workers * self.prefetch_factor):
                pending.append(pool.submit(fetch, job))
            while pending:
                batch = pending.popleft().result(timeout=self.timeout or None)
                for job in itertools.islice(jobs, 1):
                    pending.append(pool.submit(fetch, job))
                yield batch
        finally:
            for future in pending:
                future.cancel()
            pool.shutdown(wait=False)


class _BaseDataLoaderIter:
    """What iter(loader) returns, as PyTorch's iterator classes: an iterator over the loader's batches
    whose len() is the loader's number of batches (len of its index sampler)."""

    def __init__(self, loader: DataLoader, batches: Iterator[Any]) -> None:
        self._index_sampler = loader._index_sampler
        self._batches = batches

    def __iter__(self) -> "_BaseDataLoaderIter":
        return self

    def __next__(self) -> Any:
        return next(self._batches)

    def __len__(self) -> int:
        return len(self._index_sampler)


class _SingleProcessDataLoaderIter(_BaseDataLoaderIter):
    """The iterator of a loader with num_workers=0 (batches fetched on demand)."""


class _MultiProcessingDataLoaderIter(_BaseDataLoaderIter):
    """The iterator of a loader with num_workers > 0 (here worker threads fetch ahead; see DataLoader)."""


def _check_multiprocessing_context(context: Any, num_workers: int) -> None:
    """PyTorch's checks of multiprocessing_context (which thread workers do not use)."""
    if context is None:
        return
    if num_workers == 0:
        raise ValueError("multiprocessing_context can only be used with multi-process loading (num_workers > 0), "
                         f"but got num_workers={num_workers}")
    methods = multiprocessing.get_all_start_methods()
    if isinstance(context, str) and context not in methods:
        raise ValueError(f"multiprocessing_context option should specify a valid start method in {methods!r}, "
                         f"but got multiprocessing_context={context!r}")
