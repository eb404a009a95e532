"""fasttensor.utils.data samplers (Sampler, SequentialSampler, RandomSampler, SubsetRandomSampler,
WeightedRandomSampler, BatchSampler), the datasets IterableDataset, ConcatDataset, ChainDataset and
StackDataset, and DataLoader with sampler=, batch_sampler= and IterableDatasets.

Deterministic results and errors are checked against hand-written values, and against PyTorch
2.13 too where it is installed (the same case runs on both libraries). Random samplers are checked
for their properties (permutations, lengths, supports, frequencies, reproducibility) here; that
they draw PyTorch's very samples for a seed is tests/test_random_torch.py's part.
"""

from __future__ import annotations

import collections
import math
import threading
import warnings
from typing import Any, Callable, List

import pytest

import fasttensor as ft
from fasttensor.utils.data import (BatchSampler, ConcatDataset, DataLoader, Dataset, IterableDataset,
                                   RandomSampler, Sampler, SequentialSampler, StackDataset, Subset,
                                   SubsetRandomSampler, TensorDataset, WeightedRandomSampler)

try:
    import torch

    torch.set_num_threads(1)  # reference only; avoids OpenMP contention with our worker pool
except ImportError:  # pragma: no cover - only where torch is absent
    torch = None

LIBS = [ft] + ([torch] if torch is not None else [])


def plain(x: Any) -> Any:
    """x with tensors turned into ("tensor", dtype name, values), so both libraries compare equal."""
    if isinstance(x, (ft.Tensor,) + ((torch.Tensor,) if torch is not None else ())):
        return ("tensor", str(x.dtype).split(".")[-1], x.tolist())
    if isinstance(x, dict):
        return {k: plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return type(x)(plain(v) for v in x)
    return x


def outcome(make: Callable[[], Any]) -> Any:
    """("ok", plain result) of make(), or (exception type name, message)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ("ok", plain(make()))
    except Exception as e:  # noqa: BLE001 - the exception is the result under test
        return (type(e).__name__, str(e))


def check(case: Callable[[Any], Any], expected: Any) -> None:
    """case(lib) gives ``expected`` with fasttensor, and with PyTorch where it is installed."""
    for lib in LIBS:
        assert outcome(lambda: case(lib)) == expected, lib.__name__


def data(lib):
    return lib.utils.data


def stream(lib, n: int, with_len: bool = True):
    """An IterableDataset of lib yielding 0..n-1 (with a __len__ unless with_len is False)."""

    class Stream(data(lib).IterableDataset):
        def __iter__(self):
            return iter(range(n))

    if with_len:
        Stream.__len__ = lambda self: n
    return Stream()


def ints(t: Any) -> List[int]:
    return t.tolist()


def bad_num_samples(value: str) -> tuple:
    return ("ValueError", f"num_samples should be a positive integer value, but got num_samples={value}")


# --- deterministic samplers and their errors, against hand values and PyTorch -----------------------

CASES = {
    "sequential": (lambda l: (list(data(l).SequentialSampler(range(5))), len(data(l).SequentialSampler("abc"))),
                   ("ok", ([0, 1, 2, 3, 4], 3))),
    "sequential_empty": (lambda l: list(data(l).SequentialSampler([])), ("ok", [])),
    "batch": (lambda l: list(data(l).BatchSampler(range(10), 3, False)),
              ("ok", [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]])),
    "batch_drop_last": (lambda l: list(data(l).BatchSampler(range(10), 3, True)),
                        ("ok", [[0, 1, 2], [3, 4, 5], [6, 7, 8]])),
    "batch_list_len": (lambda l: [len(data(l).BatchSampler([4, 2, 9, 1], 3, d)) for d in (False, True)],
                       ("ok", [2, 1])),
    "batch_list_keys": (lambda l: list(data(l).BatchSampler(["a", "b", "c"], 2, False)), ("ok", [["a", "b"], ["c"]])),
    "batch_bigger_than_data": (lambda l: [list(data(l).BatchSampler(range(3), 10, d)) for d in (False, True)],
                               ("ok", [[[0, 1, 2]], []])),
    "batch_empty": (lambda l: (list(data(l).BatchSampler([], 2, False)), len(data(l).BatchSampler([], 2, False))),
                    ("ok", ([], 0))),
    "batch_of_sequential": (lambda l: list(data(l).BatchSampler(data(l).SequentialSampler(range(5)), 2, False)),
                            ("ok", [[0, 1], [2, 3], [4]])),
    "batch_size_zero": (lambda l: data(l).BatchSampler(range(3), 0, False),
                        ("ValueError", "batch_size should be a positive integer value, but got batch_size=0")),
    "batch_size_float": (lambda l: data(l).BatchSampler(range(3), 2.0, False),
                         ("ValueError", "batch_size should be a positive integer value, but got batch_size=2.0")),
    "batch_size_bool": (lambda l: data(l).BatchSampler(range(3), True, False),
                        ("ValueError", "batch_size should be a positive integer value, but got batch_size=True")),
    "batch_size_none": (lambda l: data(l).BatchSampler(range(3), None, False),
                        ("ValueError", "batch_size should be a positive integer value, but got batch_size=None")),
    "batch_drop_last_int": (lambda l: data(l).BatchSampler(range(3), 2, 1),
                            ("ValueError", "drop_last should be a boolean value, but got drop_last=1")),
    "random_replacement_not_bool": (lambda l: data(l).RandomSampler(range(3), replacement=1),
                                    ("TypeError", "replacement should be a boolean value, but got replacement=1")),
    "random_num_samples_float": (lambda l: data(l).RandomSampler(range(3), num_samples=2.0),
                                 bad_num_samples("2.0")),
    "random_num_samples_str": (lambda l: data(l).RandomSampler(range(3), num_samples="3"),
                               bad_num_samples("3")),
    "random_num_samples_zero": (lambda l: data(l).RandomSampler(range(3), num_samples=0),
                                bad_num_samples("0")),
    "random_empty_data": (lambda l: data(l).RandomSampler([]),
                          bad_num_samples("0")),
    "random_num_samples_bool": (lambda l: len(data(l).RandomSampler(range(3), num_samples=True)), ("ok", 1)),
    "random_empty_data_num_samples": (lambda l: list(data(l).RandomSampler([], num_samples=3)),
                                      ("ZeroDivisionError", "integer division or modulo by zero")),
    "random_empty_data_replacement": (lambda l: list(data(l).RandomSampler([], True, 3)),
                                      ("RuntimeError", "random_ expects 'from' to be less than 'to', "
                                                       "but got from=0 >= to=0")),
    "random_lengths": (lambda l: [len(data(l).RandomSampler(range(5), r, k))
                                  for r, k in ((False, None), (False, 12), (True, 70))],
                       ("ok", [5, 12, 70])),
    "subset_random_empty": (lambda l: (list(data(l).SubsetRandomSampler([])), len(data(l).SubsetRandomSampler([]))),
                            ("ok", ([], 0))),
    "weighted_num_samples_float": (lambda l: data(l).WeightedRandomSampler([1.0], 2.5),
                                   bad_num_samples("2.5")),
    "weighted_num_samples_bool": (lambda l: data(l).WeightedRandomSampler([1.0], True),
                                  bad_num_samples("True")),
    "weighted_num_samples_zero": (lambda l: data(l).WeightedRandomSampler([1.0], 0),
                                  bad_num_samples("0")),
    "weighted_replacement_not_bool": (lambda l: data(l).WeightedRandomSampler([1.0], 2, replacement=None),
                                      ("ValueError",
                                       "replacement should be a boolean value, but got replacement=None")),
    "weighted_2d": (lambda l: data(l).WeightedRandomSampler([[1.0, 2.0]], 2),
                    ("ValueError", "weights should be a 1d sequence but given weights have shape (1, 2)")),
    "weighted_0d": (lambda l: data(l).WeightedRandomSampler(3.0, 2),
                    ("ValueError", "weights should be a 1d sequence but given weights have shape ()")),
    "weighted_weights": (lambda l: (lambda w: (w.weights, len(w)))(data(l).WeightedRandomSampler([1, 2], 3)),
                         ("ok", (("tensor", "float64", [1.0, 2.0]), 3))),
    "weighted_too_many_without_replacement": (
        lambda l: list(data(l).WeightedRandomSampler([1.0, 2.0], 3, replacement=False)),
        ("RuntimeError", "cannot sample n_sample > prob_dist.size(-1) samples without replacement")),
    "weighted_all_zero": (lambda l: list(data(l).WeightedRandomSampler([0.0, 0.0], 2)),
                          ("RuntimeError", "invalid multinomial distribution (sum of probabilities <= 0)")),
    "sampler_base_iter": (lambda l: iter(data(l).Sampler()), ("NotImplementedError", "")),
}


@pytest.mark.parametrize("name", list(CASES))
def test_deterministic_sampler_cases(name):
    case, expected = CASES[name]
    check(case, expected)


def test_weighted_sampler_negative_weight_raises():
    for lib in LIBS:
        with pytest.raises(RuntimeError, match=r"invalid multinomial distribution \(encountering probability entry "
                                               r"< 0\)"):
            list(data(lib).WeightedRandomSampler([1.0, -1.0], 2))


def test_samplers_are_generic_and_subclassable():
    assert Sampler[int].__origin__ is Sampler and Dataset[int].__origin__ is Dataset

    class Evens(Sampler[int]):
        def __init__(self, n: int) -> None:
            self.n = n

        def __iter__(self):
            return iter(range(0, self.n, 2))

        def __len__(self) -> int:
            return (self.n + 1) // 2

    assert list(BatchSampler(Evens(7), 3, False)) == [[0, 2, 4], [6]]
    assert len(DataLoader(list(range(7)), 3, sampler=Evens(7))) == 2


# --- random samplers: properties ------------------------------------------------------------------------


def gen(seed: int) -> ft.Generator:
    return ft.Generator().manual_seed(seed)


def test_random_sampler_is_a_permutation_of_python_ints():
    sampler = RandomSampler(range(50), generator=gen(0))
    order = list(sampler)
    assert sorted(order) == list(range(50)) and order != list(range(50))
    assert all(type(i) is int for i in order) and len(sampler) == 50
    assert list(sampler) != order  # a new permutation each pass


def test_random_sampler_without_replacement_beyond_the_length():
    order = list(RandomSampler(range(5), num_samples=12, generator=gen(1)))
    assert len(order) == 12
    assert sorted(order[:5]) == sorted(order[5:10]) == list(range(5))  # whole permutations first
    assert len(set(order[10:])) == 2  # then the start of one more
    short = list(RandomSampler(range(5), num_samples=3, generator=gen(1)))
    assert len(short) == len(set(short)) == 3 and set(short) <= set(range(5))


def test_random_sampler_with_replacement_is_uniform():
    n, draws = 5, 10000
    order = list(RandomSampler(range(n), replacement=True, num_samples=draws, generator=gen(2)))
    assert len(order) == draws and all(type(i) is int and 0 <= i < n for i in order)
    counts = collections.Counter(order)
    sigma = math.sqrt(draws * (1 / n) * (1 - 1 / n))
    assert all(abs(counts[i] - draws / n) <= 6 * sigma for i in range(n))
    assert len(list(RandomSampler(range(3), True, 1, generator=gen(0)))) == 1


def test_random_samplers_reproduce_with_a_seeded_generator_and_the_global_seed():
    for make in (lambda g: RandomSampler(range(30), generator=g),
                 lambda g: RandomSampler(range(30), True, 40, generator=g),
                 lambda g: SubsetRandomSampler(list(range(100, 130)), generator=g),
                 lambda g: WeightedRandomSampler([1.0, 2.0, 3.0, 4.0], 25, generator=g),
                 lambda g: WeightedRandomSampler(list(range(1, 31)), 30, replacement=False, generator=g)):
        assert list(make(gen(7))) == list(make(gen(7)))
        assert list(make(gen(7))) != list(make(gen(8)))
        ft.manual_seed(3)
        first = list(make(None))
        ft.manual_seed(3)
        assert list(make(None)) == first


def test_subset_random_sampler_permutes_its_indices():
    keys = [7, 3, 9, 100, 42]
    sampler = SubsetRandomSampler(keys, generator=gen(0))
    passes = [list(sampler) for _ in range(20)]
    assert all(sorted(p) == sorted(keys) for p in passes) and len(sampler) == 5
    assert len({tuple(p) for p in passes}) > 1
    assert sorted(SubsetRandomSampler(["a", "b", "c"])) == ["a", "b", "c"]  # any sequence's elements


def test_weighted_sampler_never_picks_zero_weights_and_follows_the_weights():
    weights, draws = [1.0, 2.0, 0.0, 7.0], 20000
    order = list(WeightedRandomSampler(weights, draws, generator=gen(4)))
    assert len(order) == draws and all(type(i) is int for i in order)
    counts = collections.Counter(order)
    assert counts[2] == 0
    for i, w in enumerate(weights):
        p = w / sum(weights)
        assert abs(counts[i] - draws * p) <= 6 * math.sqrt(draws * p * (1 - p)) + 1e-9


def test_weighted_sampler_without_replacement():
    sampler = WeightedRandomSampler([1.0, 1.0, 0.0, 1.0, 1.0], 4, replacement=False, generator=gen(5))
    for _ in range(20):
        assert sorted(sampler) == [0, 1, 3, 4]  # each nonzero index once, the zero weight never
    g = gen(6)
    firsts = collections.Counter(next(iter(WeightedRandomSampler([1.0, 3.0], 1, False, g))) for _ in range(4000))
    assert abs(firsts[1] - 3000) <= 6 * math.sqrt(4000 * 0.75 * 0.25)


# --- datasets -------------------------------------------------------------------------------------------

DATASET_CASES = {
    "concat_indexing": (lambda l: (lambda c: ([c[i] for i in range(-7, 7)], c.cumulative_sizes, len(c)))(
        data(l).ConcatDataset([range(3), [], range(10, 14)])),
        ("ok", ([0, 1, 2, 10, 11, 12, 13, 0, 1, 2, 10, 11, 12, 13], [3, 3, 7], 7))),
    "concat_index_past_the_end": (lambda l: data(l).ConcatDataset([range(3), range(2)])[5],
                                  ("IndexError", "list index out of range")),
    "concat_negative_past_the_start": (lambda l: data(l).ConcatDataset([range(3), range(2)])[-6],
                                       ("ValueError", "absolute value of index should not exceed dataset length")),
    "concat_empty": (lambda l: data(l).ConcatDataset([]),
                     ("AssertionError", "datasets should not be an empty iterable")),
    "concat_iterable": (lambda l: data(l).ConcatDataset([range(2), stream(l, 3)]),
                        ("AssertionError", "ConcatDataset does not support IterableDataset")),
    "concat_cumsum": (lambda l: data(l).ConcatDataset.cumsum([[1], [], [2, 3]]), ("ok", [1, 1, 3])),
    "dataset_add": (lambda l: (lambda c: (type(c).__name__, len(c), [c[i][0] for i in range(len(c))]))(
        data(l).TensorDataset(l.arange(2)) + data(l).TensorDataset(l.arange(5, 8))),
        ("ok", ("ConcatDataset", 5, [("tensor", "int64", 0), ("tensor", "int64", 1), ("tensor", "int64", 5),
                                     ("tensor", "int64", 6), ("tensor", "int64", 7)]))),
    "chain": (lambda l: (lambda c: (type(c).__name__, list(c), len(c), list(c)))(stream(l, 2) + stream(l, 3)),
              ("ok", ("ChainDataset", [0, 1, 0, 1, 2], 5, [0, 1, 0, 1, 2]))),
    "chain_of_map_style": (lambda l: list(data(l).ChainDataset([stream(l, 1), range(3)])),
                           ("AssertionError", "ChainDataset only supports IterableDataset")),
    "chain_len_of_map_style": (lambda l: len(data(l).ChainDataset([range(3)])),
                               ("AssertionError", "ChainDataset only supports IterableDataset")),
    "chain_len_without_len": (lambda l: len(data(l).ChainDataset([stream(l, 1, with_len=False)])),
                              ("TypeError", "object of type 'Stream' has no len()")),
    "iterable_getitem": (lambda l: stream(l, 2)[0],
                         ("NotImplementedError", "Subclasses of Dataset should implement __getitem__.")),
    "stack": (lambda l: (data(l).StackDataset([1, 2], ["a", "b"])[1], data(l).StackDataset(x=[1, 2], y="ab")[0],
                         len(data(l).StackDataset([1, 2], [3, 4]))),
              ("ok", ((2, "b"), {"x": 1, "y": "a"}, 2))),
    "stack_getitems": (lambda l: (data(l).StackDataset([1, 2, 3], "abc").__getitems__([2, 0]),
                                  data(l).StackDataset(n=[1, 2, 3]).__getitems__([1])),
                       ("ok", ([(3, "c"), (1, "a")], [{"n": 2}]))),
    "stack_args_and_kwargs": (lambda l: data(l).StackDataset([1], y=[2]),
                              ("ValueError", "Supported either ``tuple``- (via ``args``) or``dict``- (via ``kwargs``) "
                                             "like input/output, but both types are given.")),
    "stack_nothing": (lambda l: data(l).StackDataset(), ("ValueError", "At least one dataset should be passed")),
    "stack_size_mismatch": (lambda l: data(l).StackDataset([1], [2, 3]),
                            ("ValueError", "Size mismatch between datasets")),
    "stack_kwargs_size_mismatch": (lambda l: data(l).StackDataset(a=[1], b=[2, 3]),
                                   ("ValueError", "Size mismatch between datasets")),
}


@pytest.mark.parametrize("name", list(DATASET_CASES))
def test_dataset_cases(name):
    case, expected = DATASET_CASES[name]
    check(case, expected)


def test_stack_dataset_uses_and_checks_nested_getitems():
    class Batched(Dataset):
        def __init__(self, short: bool = False) -> None:
            self.short, self.calls = short, 0

        def __len__(self) -> int:
            return 4

        def __getitem__(self, i):
            raise AssertionError("read item by item")

        def __getitems__(self, indices):
            self.calls += 1
            return [i * 10 for i in indices][:len(indices) - self.short]

    inner = Batched()
    stack = StackDataset(inner, [0, 1, 2, 3])
    assert stack.__getitems__([3, 1]) == [(30, 3), (10, 1)] and inner.calls == 1
    assert [b[0].tolist() for b in DataLoader(stack, batch_size=3)] == [[0, 10, 20], [30]]
    with pytest.raises(ValueError, match="Nested dataset's output size mismatch. Expected 2, got 1"):
        StackDataset(Batched(short=True)).__getitems__([0, 1])


def test_concat_dataset_old_attribute_name_warns():
    concat = ConcatDataset([range(2), range(3)])
    with pytest.warns(FutureWarning, match="`cummulative_sizes` attribute is renamed to `cumulative_sizes`"):
        assert concat.cummulative_sizes == [2, 5]
    assert isinstance(concat + ConcatDataset([range(1)]), ConcatDataset)


# --- DataLoader with sampler= and batch_sampler= -------------------------------------------------------

LOADER_CASES = {
    "sampler_list": (lambda l: (lambda d: (len(d), [ints(b) for b in d]))(
        data(l).DataLoader(list(range(10, 20)), batch_size=3, sampler=[9, 0, 5, 2, 2])),
        ("ok", (2, [[19, 10, 15], [12, 12]]))),
    "sampler_drop_last": (lambda l: (lambda d: (len(d), [ints(b) for b in d]))(
        data(l).DataLoader(list(range(10, 20)), batch_size=3, sampler=[9, 0, 5, 2, 2], drop_last=True)),
        ("ok", (1, [[19, 10, 15]]))),
    "sampler_without_batching": (lambda l: (lambda d: (len(d), list(d), d.batch_sampler))(
        data(l).DataLoader(list(range(10, 20)), batch_size=None, sampler=[9, 0, 5])),
        ("ok", (3, [19, 10, 15], None))),
    "sampler_with_shuffle": (lambda l: data(l).DataLoader(range(4), sampler=[0, 1], shuffle=True),
                             ("ValueError", "sampler option is mutually exclusive with shuffle")),
    "batch_sampler_lists": (lambda l: (lambda d: (len(d), [ints(b) for b in d], d.batch_size, d.drop_last,
                                                  type(d.sampler).__name__))(
        data(l).DataLoader(list(range(10, 20)), batch_sampler=[[3, 1], [0], [9, 8, 7]])),
        ("ok", (3, [[13, 11], [10], [19, 18, 17]], None, False, "SequentialSampler"))),
    "batch_sampler_over_tensor_dataset": (lambda l: [b for b in data(l).DataLoader(
        data(l).TensorDataset(l.arange(10) * 2),
        batch_sampler=data(l).BatchSampler(data(l).SequentialSampler(range(5)), 2, True))],
        ("ok", [[("tensor", "int64", [0, 2])], [("tensor", "int64", [4, 6])]])),
    "batch_sampler_with_batch_size": (lambda l: data(l).DataLoader(range(4), batch_size=2, batch_sampler=[[0]]),
                                      ("ValueError", "batch_sampler option is mutually exclusive with batch_size, "
                                                     "shuffle, sampler, and drop_last")),
    "batch_sampler_with_batch_size_none": (lambda l: data(l).DataLoader(range(4), batch_size=None, batch_sampler=[[0]]),
                                           ("ValueError", "batch_sampler option is mutually exclusive with batch_size, "
                                                          "shuffle, sampler, and drop_last")),
    "batch_sampler_with_shuffle": (lambda l: data(l).DataLoader(range(4), shuffle=True, batch_sampler=[[0]]),
                                   ("ValueError", "batch_sampler option is mutually exclusive with batch_size, "
                                                  "shuffle, sampler, and drop_last")),
    "batch_sampler_with_sampler": (lambda l: data(l).DataLoader(range(4), sampler=[0], batch_sampler=[[0]]),
                                   ("ValueError", "batch_sampler option is mutually exclusive with batch_size, "
                                                  "shuffle, sampler, and drop_last")),
    "batch_sampler_with_drop_last": (lambda l: data(l).DataLoader(range(4), drop_last=True, batch_sampler=[[0]]),
                                     ("ValueError", "batch_sampler option is mutually exclusive with batch_size, "
                                                    "shuffle, sampler, and drop_last")),
    "empty_batch_from_batch_sampler": (lambda l: list(data(l).DataLoader(range(4), batch_sampler=[[]])),
                                       ("IndexError", "list index out of range")),
    "default_samplers": (lambda l: [(type(d.sampler).__name__, type(d.batch_sampler).__name__,
                                     d.batch_sampler.batch_size, d.batch_sampler.drop_last,
                                     d.batch_sampler.sampler is d.sampler)
                                    for d in (data(l).DataLoader(range(5), 2, shuffle=True, drop_last=True),
                                              data(l).DataLoader(range(5)))],
                         ("ok", [("RandomSampler", "BatchSampler", 2, True, True),
                                 ("SequentialSampler", "BatchSampler", 1, False, True)])),
    "no_batching_samplers": (lambda l: (lambda d: (type(d.sampler).__name__, d.batch_sampler, len(d)))(
        data(l).DataLoader(range(5), None)), ("ok", ("SequentialSampler", None, 5))),
    "shuffle_sampler_generator": (lambda l: (lambda g: data(l).DataLoader(range(5), 2, shuffle=True, generator=g)
                                             .sampler.generator is g)(l.Generator()), ("ok", True)),
    "batch_size_larger_than_data": (lambda l: ([ints(b) for b in data(l).DataLoader(range(3), batch_size=10)],
                                               len(data(l).DataLoader(range(3), batch_size=10, drop_last=True)),
                                               list(data(l).DataLoader(range(3), batch_size=10, drop_last=True))),
                                    ("ok", ([[0, 1, 2]], 0, []))),
    "empty_dataset_with_sampler": (lambda l: (lambda d: (len(d), list(d)))(data(l).DataLoader([], 2, sampler=[])),
                                   ("ok", (0, []))),
    "drop_last_not_bool": (lambda l: data(l).DataLoader(range(5), 2, drop_last=1),
                           ("ValueError", "drop_last should be a boolean value, but got drop_last=1")),
    "batch_size_float": (lambda l: data(l).DataLoader(range(5), 2.0),
                         ("ValueError", "batch_size should be a positive integer value, but got batch_size=2.0")),
    "replacement_sampler_len": (lambda l: (lambda d: (len(d), [len(b) for b in d]))(
        data(l).DataLoader(range(4), 3, sampler=data(l).RandomSampler(range(4), True, 10))),
        ("ok", (4, [3, 3, 3, 1]))),
    "set_sampler_after_init": (lambda l: setattr(data(l).DataLoader(range(5), 2), "sampler", [0]),
                               ("ValueError", "sampler attribute should not be set after DataLoader is initialized")),
    "set_batch_size_after_init": (lambda l: setattr(data(l).DataLoader(range(5), 2), "batch_size", 3),
                                  ("ValueError",
                                   "batch_size attribute should not be set after DataLoader is initialized")),
    "set_other_attribute_after_init": (lambda l: setattr(data(l).DataLoader(range(5), 2), "num_workers", 1),
                                       ("ok", None)),
    "persistent_workers_without_workers": (lambda l: data(l).DataLoader(range(5), persistent_workers=True),
                                           ("ValueError", "persistent_workers option needs num_workers > 0")),
    "multiprocessing_context_without_workers": (
        lambda l: data(l).DataLoader(range(5), multiprocessing_context="spawn"),
        ("ValueError", "multiprocessing_context can only be used with multi-process loading (num_workers > 0), "
                       "but got num_workers=0")),
    "negative_prefetch_factor": (lambda l: data(l).DataLoader(range(5), num_workers=1, prefetch_factor=-1),
                                 ("ValueError", "prefetch_factor option should be non-negative")),
}


@pytest.mark.parametrize("name", list(LOADER_CASES))
def test_dataloader_cases(name):
    case, expected = LOADER_CASES[name]
    check(case, expected)


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


def test_custom_samplers_still_gather_whole_batches():
    ds = GatherCounter(ft.arange(20.0), ft.arange(20))
    for kwargs in (dict(batch_size=3, sampler=[4, 1, 19, 0, 7]),
                   dict(batch_size=3, sampler=SubsetRandomSampler([4, 1, 19, 0, 7])),
                   dict(batch_size=3, sampler=RandomSampler(ds, True, 5)),
                   dict(batch_size=3, sampler=WeightedRandomSampler([1.0] * 20, 5)),
                   dict(batch_sampler=[[4, 1, 19], [0, 7]]),
                   dict(batch_sampler=BatchSampler(RandomSampler(ds, num_samples=5), 3, False))):
        ds.gathers = 0
        batches = list(DataLoader(ds, **kwargs))
        assert ds.gathers == len(batches) == 2
        assert [len(b[1]) for b in batches] == [3, 2]
        assert all(b[0].tolist() == [float(i) for i in b[1].tolist()] for b in batches)
    batches = list(DataLoader(ds, batch_sampler=[[4, 1, 19], [0, 7]]))
    assert [b[1].tolist() for b in batches] == [[4, 1, 19], [0, 7]]


def test_a_sampler_subclass_order_is_followed():
    class Reversed(SequentialSampler):
        def __iter__(self):
            return iter(reversed(range(len(self.data_source))))

    class Pairs(BatchSampler):
        def __iter__(self):
            keys = list(self.sampler)
            return iter([keys[i:i + 2] for i in range(0, len(keys), 2)])

    ds = TensorDataset(ft.arange(5))
    assert [b[0].tolist() for b in DataLoader(ds, 2, sampler=Reversed(ds))] == [[4, 3], [2, 1], [0]]
    got = [b[0].tolist() for b in DataLoader(ds, batch_sampler=Pairs(SequentialSampler(ds), 3, False))]
    assert got == [[0, 1], [2, 3], [4]]


def test_a_shuffled_loader_is_its_random_sampler_batched():
    ds = TensorDataset(ft.arange(23))
    loader = DataLoader(ds, 5, shuffle=True, generator=gen(9))
    batches = [b[0].tolist() for b in loader]
    # As PyTorch's, a pass first draws one 63-bit base seed (for workers) from the loader's generator.
    after_base_seed = gen(9)
    ft.empty((), dtype=ft.int64).random_(generator=after_base_seed)
    assert sum(batches, []) == list(RandomSampler(ds, generator=after_base_seed))
    assert [len(b) for b in batches] == [5, 5, 5, 5, 3]
    assert isinstance(loader.sampler, RandomSampler) and isinstance(loader.batch_sampler, BatchSampler)


def test_weighted_sampler_in_a_loader():
    ds = TensorDataset(ft.arange(4))
    loader = DataLoader(ds, 8, sampler=WeightedRandomSampler([0.0, 1.0, 0.0, 1.0], 40, generator=gen(3)))
    labels = sum((b[0].tolist() for b in loader), [])
    assert len(loader) == 5 and len(labels) == 40 and set(labels) == {1, 3}


def test_datasets_with_getitems_are_read_a_batch_at_a_time():
    class Batched(Dataset):
        def __len__(self) -> int:
            return 5

        def __getitem__(self, i):
            raise AssertionError("read item by item")

        def __getitems__(self, indices):
            return [float(i) for i in indices]

    for kwargs in (dict(batch_size=2), dict(batch_size=2, sampler=[4, 0, 2]), dict(batch_sampler=[[1, 3]])):
        first = next(iter(DataLoader(Batched(), **kwargs)))
        assert first.dtype == ft.float64 and len(first.tolist()) == 2


@pytest.mark.parametrize("num_workers", [1, 3])
def test_workers_produce_the_same_batches_with_custom_samplers(num_workers):
    ds = TensorDataset(ft.arange(40.0), ft.arange(40))
    keys = list(range(40))
    loaders = [  # each makes a fresh loader, its random sampler seeded the same
        lambda **kw: DataLoader(ds, 6, sampler=SubsetRandomSampler(range(0, 40, 3), generator=gen(1)), **kw),
        lambda **kw: DataLoader(ds, batch_sampler=[[1, 2], [39], [5, 6, 7]], **kw),
        lambda **kw: DataLoader(keys, 4, sampler=RandomSampler(keys, generator=gen(2)), **kw),
        lambda **kw: DataLoader(keys, None, sampler=[3, 1, 2], **kw),
    ]
    for make in loaders:
        serial = [plain(b) for b in make()]
        threaded = [plain(b) for b in make(num_workers=num_workers)]
        assert serial == threaded and serial


# --- DataLoader over an IterableDataset -----------------------------------------------------------------

STREAM_CASES = {
    "batches": (lambda l: (lambda d: (len(d), [ints(b) for b in d]))(data(l).DataLoader(stream(l, 7), batch_size=3)),
                ("ok", (3, [[0, 1, 2], [3, 4, 5], [6]]))),
    "drop_last": (lambda l: (lambda d: (len(d), [ints(b) for b in d]))(
        data(l).DataLoader(stream(l, 7), batch_size=3, drop_last=True)), ("ok", (2, [[0, 1, 2], [3, 4, 5]]))),
    "drop_last_exact": (lambda l: (lambda d: (len(d), [ints(b) for b in d]))(
        data(l).DataLoader(stream(l, 6), batch_size=3, drop_last=True)), ("ok", (2, [[0, 1, 2], [3, 4, 5]]))),
    "no_batching": (lambda l: (lambda d: (len(d), list(d)))(data(l).DataLoader(stream(l, 3), batch_size=None)),
                    ("ok", (3, [0, 1, 2]))),
    "default_batch_size": (lambda l: list(data(l).DataLoader(stream(l, 2))),
                           ("ok", [("tensor", "int64", [0]), ("tensor", "int64", [1])])),
    "empty": (lambda l: (lambda d: (len(d), list(d)))(data(l).DataLoader(stream(l, 0), batch_size=2)), ("ok", (0, []))),
    "batch_larger_than_stream": (lambda l: [ints(b) for b in data(l).DataLoader(stream(l, 3), batch_size=10)],
                                 ("ok", [[0, 1, 2]])),
    "len_without_len": (lambda l: len(data(l).DataLoader(stream(l, 3, with_len=False), batch_size=2)),
                        ("TypeError", "object of type 'Stream' has no len()")),
    "iterates_without_len": (lambda l: [ints(b) for b in data(l).DataLoader(stream(l, 3, with_len=False), 2)],
                             ("ok", [[0, 1], [2]])),
    "collate_fn": (lambda l: list(data(l).DataLoader(stream(l, 5), batch_size=2, collate_fn=sum)), ("ok", [1, 5, 4])),
    "chain": (lambda l: [ints(b) for b in data(l).DataLoader(stream(l, 2) + stream(l, 3), batch_size=4)],
              ("ok", [[0, 1, 0, 1], [2]])),
    "samplers": (lambda l: (lambda d: (type(d.sampler).__name__, type(d.batch_sampler).__name__))(
        data(l).DataLoader(stream(l, 3), 2)), ("ok", ("_InfiniteConstantSampler", "BatchSampler"))),
    "shuffle_false_is_fine": (lambda l: len(data(l).DataLoader(stream(l, 3), shuffle=False)), ("ok", 3)),
    "shuffle": (lambda l: data(l).DataLoader(stream(l, 3), shuffle=True),
                ("ValueError", "DataLoader with IterableDataset: expected unspecified shuffle option, "
                               "but got shuffle=True")),
    "sampler": (lambda l: data(l).DataLoader(stream(l, 3), sampler=[1]),
                ("ValueError", "DataLoader with IterableDataset: expected unspecified sampler option, "
                               "but got sampler=[1]")),
    "batch_sampler": (lambda l: data(l).DataLoader(stream(l, 3), batch_sampler=[[1]]),
                      ("ValueError", "DataLoader with IterableDataset: expected unspecified batch_sampler option, "
                                     "but got batch_sampler=[[1]]")),
}


@pytest.mark.parametrize("name", list(STREAM_CASES))
def test_iterable_dataset_cases(name):
    case, expected = STREAM_CASES[name]
    check(case, expected)


def test_iterable_dataset_longer_than_its_reported_length_warns():
    class Liar(IterableDataset):
        def __iter__(self):
            return iter(range(5))

        def __len__(self) -> int:
            return 2

    loader = DataLoader(Liar(), batch_size=None)
    assert len(loader) == 2
    with pytest.warns(UserWarning, match=r"was reported to be 2\(when accessing len\(dataloader\)\), "
                                         r"but 3 samples have been fetched"):
        assert list(loader) == [0, 1, 2, 3, 4]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert list(DataLoader(Liar(), batch_size=None)) == [0, 1, 2, 3, 4]  # len never asked: no warning


@pytest.mark.parametrize("num_workers", [1, 2, 4])
def test_iterable_dataset_with_worker_threads_reads_the_stream_once_in_order(num_workers):
    """Worker threads share one iterator of the dataset (PyTorch's worker processes each iterate
    their own copy); batches come out as without workers."""
    seen = set()

    class Stream(IterableDataset):
        def __iter__(self):
            for i in range(23):
                seen.add(threading.current_thread().name)
                yield i

    for drop_last in (False, True):
        serial = [b.tolist() for b in DataLoader(Stream(), batch_size=5, drop_last=drop_last)]
        seen.clear()
        threaded = [b.tolist() for b in DataLoader(Stream(), batch_size=5, drop_last=drop_last,
                                                   num_workers=num_workers)]
        assert threaded == serial and sum(serial, []) == list(range(20 if drop_last else 23))
        assert seen and all(name.startswith("fasttensor-dataloader") for name in seen)
    assert list(DataLoader(Stream(), batch_size=None, num_workers=num_workers)) == list(range(23))


def test_iterable_dataset_errors_and_early_exit_with_workers():
    class Broken(IterableDataset):
        def __iter__(self):
            yield from range(4)
            raise KeyError("bad stream")

    with pytest.raises(KeyError, match="bad stream"):
        list(DataLoader(Broken(), batch_size=3, num_workers=2))
    for i, _ in enumerate(DataLoader(stream(ft, 1000), batch_size=2, num_workers=3)):
        if i == 2:
            break
    calls = []
    list(DataLoader(stream(ft, 40), batch_size=2, num_workers=3, worker_init_fn=calls.append))
    assert sorted(calls) == [0, 1, 2]


def test_existing_datasets_keep_the_whole_batch_gather():
    ds = GatherCounter(ft.randn(30, 2), ft.arange(30))
    loader = DataLoader(Subset(ds, list(range(0, 30, 2))), 4, shuffle=True)
    assert len(list(loader)) == 4 and ds.gathers == 4
