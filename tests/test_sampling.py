"""unique / unique_consecutive (against NumPy and torch) and the random draws
bernoulli / multinomial (exact edge cases, frequencies under a fixed seed,
PyTorch's errors)."""

from __future__ import annotations

import numpy as np
import pytest

import fasttensor
from helpers import ALL_DTYPES, HAVE_TORCH, random_array, to_numpy, torch


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("shape", [(), (0,), (9,), (4, 6)], ids=str)
def test_unique_against_numpy_and_torch(dtype, shape):
    a = random_array(shape, dtype, np.random.default_rng(1), -3, 3)
    values, inverse, counts = fasttensor.unique(fasttensor.tensor(a), return_inverse=True, return_counts=True)
    ref_values, ref_inverse, ref_counts = np.unique(a, return_inverse=True, return_counts=True)
    np.testing.assert_array_equal(to_numpy(values), ref_values)
    np.testing.assert_array_equal(to_numpy(inverse), ref_inverse.reshape(a.shape))
    np.testing.assert_array_equal(to_numpy(counts), ref_counts)
    assert to_numpy(fasttensor.tensor(a).unique()).tolist() == ref_values.tolist()
    if HAVE_TORCH:
        for ours, theirs in zip((values, inverse, counts),
                                torch.unique(torch.tensor(a), return_inverse=True, return_counts=True)):
            assert ours.shape == tuple(theirs.shape)
            np.testing.assert_array_equal(to_numpy(ours), theirs.numpy())


def test_unique_nans_are_distinct_and_consecutive_runs():
    x = fasttensor.tensor([3.0, float("nan"), 1.0, 3.0, float("nan")])
    assert str(fasttensor.unique(x)) == "tensor([1., 3., nan, nan])"
    runs = fasttensor.unique_consecutive(fasttensor.tensor([1, 1, 2, 2, 3, 1, 1, 2]), return_inverse=True,
                                         return_counts=True)
    assert [t.tolist() for t in runs] == [[1, 2, 3, 1, 2], [0, 0, 1, 1, 2, 3, 3, 4], [2, 2, 1, 2, 1]]
    with pytest.raises(NotImplementedError, match="dim"):
        fasttensor.unique(x, dim=0)


def test_bernoulli():
    fasttensor.manual_seed(7)
    p = fasttensor.tensor([0.0, 1.0, 0.25, 0.5]).repeat(20000, 1)
    draws = fasttensor.bernoulli(p)
    assert draws.dtype == fasttensor.float32 and draws.shape == p.shape
    freq = to_numpy(draws.mean(0))
    assert freq[0] == 0.0 and freq[1] == 1.0
    np.testing.assert_allclose(freq[2:], [0.25, 0.5], atol=0.015)  # 20000 draws: 5 standard errors
    x = fasttensor.empty(10000)
    x.bernoulli_(0.3)
    assert set(to_numpy(x).tolist()) == {0.0, 1.0} and abs(x.mean().item() - 0.3) < 0.025
    x.bernoulli_(fasttensor.tensor(1.0))
    assert x.sum().item() == 10000
    with pytest.raises(RuntimeError, match="Expected p_in >= 0 && p_in <= 1"):
        fasttensor.bernoulli(fasttensor.tensor([1.5]))
    with pytest.raises(NotImplementedError, match="bernoulli"):
        fasttensor.bernoulli(fasttensor.tensor([1, 0]))


def test_multinomial_frequencies_and_rules():
    fasttensor.manual_seed(8)
    probs = fasttensor.tensor([[1.0, 0.0, 3.0, 4.0], [0.0, 0.0, 0.0, 2.0]])
    with_repl = fasttensor.multinomial(probs, 40000, replacement=True)
    assert with_repl.dtype == fasttensor.int64 and with_repl.shape == (2, 40000)
    counts = np.bincount(to_numpy(with_repl[0]), minlength=4) / 40000
    np.testing.assert_allclose(counts, [0.125, 0.0, 0.375, 0.5], atol=0.012)
    assert set(to_numpy(with_repl[1]).tolist()) == {3}
    # Without replacement: distinct categories; the first pick follows the probabilities.
    picks = fasttensor.multinomial(fasttensor.tensor([1.0, 2.0, 3.0, 4.0]).repeat(20000, 1), 3)
    rows = to_numpy(picks)
    assert all(len(set(r)) == 3 for r in rows[:500])
    np.testing.assert_allclose(np.bincount(rows[:, 0], minlength=4) / 20000, [0.1, 0.2, 0.3, 0.4], atol=0.015)
    assert sorted(fasttensor.multinomial(fasttensor.tensor([1.0, 0.0, 0.0]), 3).tolist())[0] == 0
    assert fasttensor.multinomial(fasttensor.tensor([1.0, 0.0, 0.0]), 1).tolist() == [0]
    for args, message in (((fasttensor.tensor([0.5, 0.5]), 3), "cannot sample n_sample > prob_dist.size"),
                          ((fasttensor.tensor([0.0, 0.0]), 1), r"sum of probabilities <= 0"),
                          ((fasttensor.tensor([-1.0, 2.0]), 1), "element < 0"),
                          ((fasttensor.ones(2, 2, 2), 1), "prob_dist must be 1 or 2 dim")):
        with pytest.raises(RuntimeError, match=message):
            fasttensor.multinomial(*args)
