"""fasttensor.utils.data: TensorDataset, DataLoader (order, shuffling with a
generator, drop_last, background prefetch threads, collate), random_split and
Subset — with PyTorch's results and errors where it is installed."""

from __future__ import annotations

import collections
import threading
import time

import numpy as np
import pytest

import fasttensor as ft
from fasttensor.utils.data import DataLoader, Dataset, Subset, TensorDataset, default_collate, random_split

try:
    import torch
    import torch.utils.data as torch_data

    torch.set_num_threads(1)  # reference only; avoids OpenMP contention with our worker pool
except ImportError:  # pragma: no cover - only where torch is absent
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")


def arr(t) -> np.ndarray:
    return np.array(t.detach().cpu().numpy())


def make_dataset(n: int = 10) -> TensorDataset:
    return TensorDataset(ft.arange(2 * n, dtype=ft.float32).reshape(n, 2), ft.arange(n))


class GatherCounter(TensorDataset):
    """A TensorDataset that counts batch gathers and refuses per-sample access."""

    def __init__(self, *tensors):
        super().__init__(*tensors)
        self.gathers = 0

    def __getitem__(self, index):
        raise AssertionError("DataLoader fetched a single sample from a TensorDataset")

    def get_batch(self, indices):
        self.gathers += 1
        return super().get_batch(indices)


# --- datasets --------------------------------------------------------------------------------------


def test_tensor_dataset_items_and_length():
    ds = make_dataset(4)
    assert len(ds) == 4
    x, y = ds[2]
    np.testing.assert_array_equal(arr(x), [4.0, 5.0])
    assert int(y) == 2
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        TensorDataset(ft.zeros(3, 2), ft.zeros(4))


def test_subset_indexing():
    sub = Subset(make_dataset(6), [5, 0, 3])
    assert len(sub) == 3 and int(sub[0][1]) == 5 and int(sub[2][1]) == 3


# --- DataLoader -------------------------------------------------------------------------------------


def labels_of(loader) -> list:
    return [b[1].tolist() for b in loader]


def test_in_order_batches_and_len():
    loader = DataLoader(make_dataset(10), batch_size=4)
    assert len(loader) == 3
    batches = list(loader)
    assert [b[1].tolist() for b in batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert isinstance(batches[0], list) and batches[0][0].shape == (4, 2) and batches[0][0].dtype == ft.float32
    assert batches[0][1].dtype == ft.int64


def test_drop_last():
    loader = DataLoader(make_dataset(10), batch_size=4, drop_last=True)
    assert len(loader) == 2 and labels_of(loader) == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert len(DataLoader(make_dataset(3), batch_size=4, drop_last=True)) == 0


def test_shuffle_is_a_permutation_reproducible_with_a_generator():
    ds = make_dataset(23)
    first = labels_of(DataLoader(ds, 5, shuffle=True, generator=ft.Generator().manual_seed(3)))
    again = labels_of(DataLoader(ds, 5, shuffle=True, generator=ft.Generator().manual_seed(3)))
    assert first == again
    assert sorted(sum(first, [])) == list(range(23)) and [len(b) for b in first] == [5, 5, 5, 5, 3]
    assert sum(first, []) != list(range(23))
    loader = DataLoader(ds, 5, shuffle=True, generator=ft.Generator().manual_seed(3))
    assert labels_of(loader) != labels_of(loader)  # a new order each epoch


@pytest.mark.parametrize("num_workers", [1, 2, 4])
def test_workers_produce_the_same_batches(num_workers):
    ds = make_dataset(50)
    plain = list(DataLoader(ds, 7, shuffle=True, generator=ft.Generator().manual_seed(1)))
    threaded = list(DataLoader(ds, 7, shuffle=True, generator=ft.Generator().manual_seed(1),
                               num_workers=num_workers))
    assert len(plain) == len(threaded)
    for a, b in zip(plain, threaded):
        np.testing.assert_array_equal(arr(a[0]), arr(b[0]))
        np.testing.assert_array_equal(arr(a[1]), arr(b[1]))


def test_tensor_dataset_batches_use_one_gather_per_batch():
    ds = GatherCounter(ft.randn(100, 3), ft.arange(100))
    for workers in (0, 2):
        ds.gathers = 0
        loader = DataLoader(ds, 16, shuffle=True, num_workers=workers)
        batches = list(loader)
        assert ds.gathers == len(loader) == len(batches) == 7
    sub = random_split(ds, [60, 40], generator=ft.Generator().manual_seed(0))[0]
    ds.gathers = 0
    xs = [b[0] for b in DataLoader(sub, 16)]
    assert ds.gathers == 4
    np.testing.assert_array_equal(arr(ft.cat(xs, 0)), arr(ds.tensors[0])[sub.indices])


def test_a_subclass_getitem_is_used_not_the_batch_fast_path():
    """DataLoader gathers whole batches only where __getitem__ is the dataset's own: a subclass
    that changes items (augmentation, noise) must be called item by item, as in PyTorch."""

    class Scaled(TensorDataset):
        def __getitem__(self, i):
            x, y = super().__getitem__(i)
            return x * 100, y

    ds = Scaled(ft.arange(4.0), ft.arange(4))
    batches = list(DataLoader(ds, batch_size=2))
    np.testing.assert_array_equal(arr(batches[1][0]), [200.0, 300.0])
    np.testing.assert_array_equal(arr(batches[1][1]), [2, 3])
    sub = list(DataLoader(Subset(ds, [1, 2]), batch_size=2))
    np.testing.assert_array_equal(arr(sub[0][0]), [100.0, 200.0])

    class Doubled(Subset):
        def __getitem__(self, i):
            x, y = super().__getitem__(i)
            return x * 2, y

    got = list(DataLoader(Doubled(TensorDataset(ft.arange(4.0), ft.arange(4)), [3, 0]), batch_size=2))
    np.testing.assert_array_equal(arr(got[0][0]), [6.0, 0.0])


def test_workers_run_in_background_threads_and_prefetch():
    seen = set()

    class Slow(Dataset):
        def __len__(self):
            return 8

        def __getitem__(self, i):
            seen.add(threading.current_thread().name)
            time.sleep(0.01)
            return i

    batches = [b.tolist() for b in DataLoader(Slow(), 2, num_workers=2)]
    assert batches == [[0, 1], [2, 3], [4, 5], [6, 7]]
    assert all(name.startswith("fasttensor-dataloader") for name in seen)


def test_breaking_out_of_a_prefetching_loop_and_worker_errors():
    loader = DataLoader(make_dataset(100), 3, num_workers=2)
    for i, _ in enumerate(loader):
        if i == 2:
            break

    class Broken(Dataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            if i == 3:
                raise KeyError("bad sample")
            return i

    with pytest.raises(KeyError, match="bad sample"):
        list(DataLoader(Broken(), 2, num_workers=2))


def test_worker_init_fn_is_called_once_per_worker():
    calls = []
    list(DataLoader(make_dataset(40), 2, num_workers=3, worker_init_fn=calls.append))
    assert sorted(calls) == [0, 1, 2]


def test_empty_dataset():
    empty = TensorDataset(ft.zeros(0, 3), ft.zeros(0, dtype=ft.int64))
    loader = DataLoader(empty, batch_size=4)
    assert len(loader) == 0 and list(loader) == []
    with pytest.raises(ValueError, match="num_samples should be a positive integer value, but got num_samples=0"):
        DataLoader(empty, batch_size=4, shuffle=True)


@needs_torch
def test_empty_dataset_errors_match_torch():
    def outcome(make):
        try:
            loader = make()
            return ("ok", len(loader), list(loader))
        except ValueError as e:
            return ("ValueError", str(e))

    ours = outcome(lambda: DataLoader(TensorDataset(ft.zeros(0, 3)), 4, shuffle=True))
    theirs = outcome(lambda: torch_data.DataLoader(torch_data.TensorDataset(torch.zeros(0, 3)), 4, shuffle=True))
    assert ours == theirs
    ours = outcome(lambda: DataLoader(TensorDataset(ft.zeros(0, 3)), 4))
    theirs = outcome(lambda: torch_data.DataLoader(torch_data.TensorDataset(torch.zeros(0, 3)), 4))
    assert ours == theirs == ("ok", 0, [])


def test_bad_arguments():
    ds = make_dataset(4)
    with pytest.raises(ValueError, match="batch_size should be a positive integer value, but got batch_size=0"):
        DataLoader(ds, batch_size=0)
    with pytest.raises(ValueError, match="num_workers option should be non-negative"):
        DataLoader(ds, num_workers=-1)
    with pytest.raises(ValueError, match="prefetch_factor option could only be specified"):
        DataLoader(ds, prefetch_factor=2)


def test_custom_collate_fn_sees_samples():
    loader = DataLoader(make_dataset(5), 2, collate_fn=lambda samples: len(samples))
    assert list(loader) == [2, 2, 1]


# --- collate ------------------------------------------------------------------------------------------


def test_default_collate_kinds():
    batch = default_collate([ft.tensor([1.0, 2.0]), ft.tensor([3.0, 4.0])])
    np.testing.assert_array_equal(arr(batch), [[1, 2], [3, 4]])
    assert default_collate([np.array([1, 2], dtype=np.int32), np.array([3, 4], dtype=np.int32)]).dtype == ft.int32
    assert default_collate([1.5, 2.5]).dtype == ft.float64
    assert default_collate([1, 2]).dtype == ft.int64
    assert default_collate([True, False]).dtype == ft.bool
    assert default_collate([np.float32(1), np.float32(2)]).dtype == ft.float32
    assert default_collate(["a", "b"]) == ["a", "b"]
    collated = default_collate([{"x": 1, "y": (2.0, "s")}, {"x": 3, "y": (4.0, "t")}])
    # (a field of strings is a tuple, as zip gives it: torch too)
    assert collated["x"].tolist() == [1, 3] and collated["y"][0].tolist() == [2.0, 4.0] and collated["y"][1] == ("s", "t")
    Point = collections.namedtuple("Point", "a b")
    point = default_collate([Point(1, 2.0), Point(3, 4.0)])
    assert isinstance(point, Point) and point.a.tolist() == [1, 3]
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal size"):
        default_collate([[1, 2], [3]])
    with pytest.raises(TypeError, match="default_collate: batch must contain tensors"):
        default_collate([object(), object()])


@needs_torch
def test_default_collate_matches_torch():
    samples = [
        [(np.arange(3, dtype=np.float64), 1, 0.5, True), (np.arange(3, 6, dtype=np.float64), 2, 1.5, False)],
        [{"a": np.float32(1.0), "b": [1, 2]}, {"a": np.float32(2.0), "b": [3, 4]}],
    ]

    def flatten(x):
        if isinstance(x, dict):
            return {k: flatten(v) for k, v in x.items()}
        if isinstance(x, (list, tuple)):
            return type(x).__name__, [flatten(v) for v in x]
        return str(x.dtype).split(".")[-1], x.tolist()

    for batch in samples:
        assert flatten(default_collate(batch)) == flatten(torch_data.default_collate(batch))


# --- random_split ---------------------------------------------------------------------------------------


def test_random_split_lengths():
    ds = make_dataset(10)
    parts = random_split(ds, [3, 7], generator=ft.Generator().manual_seed(0))
    assert [len(p) for p in parts] == [3, 7]
    indices = parts[0].indices + parts[1].indices
    assert sorted(indices) == list(range(10))
    again = random_split(ds, [3, 7], generator=ft.Generator().manual_seed(0))
    assert again[0].indices == parts[0].indices
    with pytest.raises(ValueError, match="Sum of input lengths does not equal the length of the input dataset!"):
        random_split(ds, [3, 3])


@needs_torch
@pytest.mark.parametrize("n,fractions", [(10, [0.33, 0.33, 0.34]), (11, [0.5, 0.5]), (7, [0.1, 0.9]),
                                          (5, [0.2, 0.2, 0.2, 0.2, 0.2])])
def test_random_split_fractions_give_torchs_lengths(n, fractions):
    ours = random_split(make_dataset(n), fractions)
    theirs = torch_data.random_split(range(n), fractions)
    assert [len(p) for p in ours] == [len(p) for p in theirs]
    assert sorted(sum((p.indices for p in ours), [])) == list(range(n))


def test_random_split_fraction_errors():
    with pytest.raises(ValueError, match="Fraction at index 0 is not between 0 and 1"):
        random_split(make_dataset(4), [1.5, -0.5])
    with pytest.warns(UserWarning, match="Length of split at index 1 is 0"):
        random_split(make_dataset(2), [1.0, 0.0])


def test_string_fields_collate_to_tuples_and_unbatched_loading():
    for lib_ in [ft] + ([torch] if torch is not None else []):
        ds = [(lib_.tensor([1.0, 2.0]), "a", 3), (lib_.tensor([3.0, 4.0]), "b", 4)]
        x, names, ys = next(iter(lib_.utils.data.DataLoader(ds, batch_size=2)))
        assert names == ("a", "b") and ys.tolist() == [3, 4] and x.shape == (2, 2)
        loader = lib_.utils.data.DataLoader(ds, batch_size=None)
        assert len(loader) == 2
        first = next(iter(loader))
        assert isinstance(first, list) and first[1] == "a" and first[2] == 3 and first[0].tolist() == [1.0, 2.0]
        arrays = list(lib_.utils.data.DataLoader([np.array([1, 2]), {"k": np.float64(3.0)}], batch_size=None))
        assert arrays[0].tolist() == [1, 2] and arrays[1]["k"].item() == 3.0
        assert isinstance(arrays[1]["k"], lib_.Tensor)
        with pytest.raises(ValueError, match="mutually exclusive with drop_last"):
            lib_.utils.data.DataLoader(ds, batch_size=None, drop_last=True)


def _worker_warnings(lib, num_workers):
    import warnings

    dataset = lib.utils.data.TensorDataset(lib.arange(10.0))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loader = lib.utils.data.DataLoader(dataset, 4, num_workers=num_workers)
        next(iter(loader))
    return [str(w.message) for w in caught if "worker" in str(w.message)]


@pytest.mark.parametrize("lib", ["fasttensor", "torch"])
def test_more_workers_than_cpus_warns_as_pytorch(lib, monkeypatch):
    import os

    m = pytest.importorskip(lib)
    if hasattr(os, "sched_getaffinity"):
        monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1})
    else:
        monkeypatch.setattr(os, "cpu_count", lambda: 2)
    text = ("This DataLoader will create 4 worker processes in total. Our suggested max number of worker in current "
            f"system is 2{'' if hasattr(os, 'sched_getaffinity') else ' (`cpuset` is not taken into account)'}, "
            "which is smaller than what this DataLoader is going to create. Please be aware that excessive worker "
            "creation might get DataLoader running slow or even freeze, lower the worker number to avoid potential "
            "slowness/freeze if necessary.")
    assert _worker_warnings(m, 4) == [text, text]  # when made, and when iterated
    assert _worker_warnings(m, 2) == [] and _worker_warnings(m, 0) == []
