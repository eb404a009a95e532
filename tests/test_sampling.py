"""unique / unique_consecutive (against NumPy and torch) and the random draws
bernoulli / multinomial (exact edge cases, frequencies under a fixed seed,
PyTorch's errors)."""

from __future__ import annotations

import math

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
                          ((fasttensor.ones(2, 2, 2), 1), "prob_dist must be 1 or 2 dim"),
                          ((fasttensor.tensor([1, 2]), 1), "multinomial only supports floating-point dtypes for "
                                                            "input, got: Long"),
                          ((fasttensor.zeros(0), 1, True), r"aminmax\(\): cannot compute aminmax over an empty "
                                                           "dimension"),
                          ((fasttensor.zeros(3, 0), 1), r"cannot sample n_sample > prob_dist.size\(-1\)")):
        with pytest.raises(RuntimeError, match=message):
            fasttensor.multinomial(*args)


NEG = "invalid multinomial distribution (encountering probability entry < 0)"
INF = "invalid multinomial distribution (encountering probability entry = infinity or NaN)"
SUM = "invalid multinomial distribution (sum of probabilities <= 0)"
RACE = "probability tensor contains either `inf`, `nan` or element < 0"


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("weights, several, one", [
    ([1.0, -1.0], NEG, RACE), ([1.0, float("nan")], NEG, RACE), ([1.0, float("inf")], INF, RACE),
    ([0.0, 0.0], SUM, SUM), ([[1.0, 1.0], [0.0, 0.0]], SUM, SUM), ([[1.0, 1.0], [1.0, -2.0]], NEG, RACE),
    ([[0.0, 0.0], [1.0, -1.0]], SUM, RACE)])
def test_multinomial_invalid_distribution_messages(dtype, weights, several, one):
    # PyTorch checks several draws with replacement row by row, entry by entry; one draw (or none
    # replaced) with one message for the whole tensor.
    libs = [fasttensor] + ([torch] if HAVE_TORCH else [])
    for lib in libs:
        w = lib.tensor(weights, dtype=getattr(lib, dtype))
        for args, message in (((3, True), several), ((1, True), one), ((1, False), one)):
            with pytest.raises(RuntimeError) as info:
                lib.multinomial(w, *args)
            assert str(info.value) == message, (lib.__name__, args)


def test_multinomial_distribution_d2l_2_6():
    from fasttensor.distributions.multinomial import Multinomial

    fasttensor.manual_seed(9)
    fair = fasttensor.tensor([0.5, 0.5])
    one = Multinomial(100, fair).sample()
    assert one.dtype == fasttensor.float32 and one.shape == (2,) and one.sum().item() == 100
    counts = Multinomial(1, fair).sample((10000,))
    assert counts.shape == (10000, 2) and set(to_numpy(counts.sum(1)).tolist()) == {1.0}
    cum = counts.cumsum(dim=0)
    estimates = (cum / cum.sum(dim=1, keepdims=True)).numpy()
    assert abs(estimates[-1, 0] - 0.5) < 0.02  # 10000 tosses: 4 standard errors
    die = Multinomial(12, logits=fasttensor.zeros(3, 6))  # a batch of 3 fair dice, 12 rolls each
    rolls = die.sample((4,))
    assert rolls.shape == (4, 3, 6) and set(to_numpy(rolls.sum(-1)).ravel().tolist()) == {12.0}
    np.testing.assert_allclose(to_numpy(die.mean), np.full((3, 6), 2.0), rtol=1e-6)
    np.testing.assert_allclose(to_numpy(die.variance), np.full((3, 6), 12 * (1 / 6) * (5 / 6)), rtol=1e-6)
    assert die.batch_shape == (3,) and die.event_shape == (6,) and repr(die) == "Multinomial()"
    assert Multinomial(0, fair).sample((2,)).tolist() == [[0.0, 0.0], [0.0, 0.0]]
    with pytest.raises(ValueError, match="Either `probs` or `logits` must be specified"):
        Multinomial(3)
    values = fasttensor.tensor([[50.0, 50.0], [100.0, 0.0], [3.0, 97.0]])
    ours = to_numpy(Multinomial(100, fair).log_prob(values))
    ref = [math.lgamma(101) - math.lgamma(a + 1) - math.lgamma(b + 1) + 100 * math.log(0.5) for a, b in
           [(50, 50), (100, 0), (3, 97)]]
    np.testing.assert_allclose(ours, ref, rtol=1e-5)
    # Probabilities are clamped to [eps, 1 - eps] as PyTorch's are; a -inf logit with a zero count adds 0.
    sure = Multinomial(4, fasttensor.tensor([1.0, 0.0]))
    assert sure.log_prob(fasttensor.tensor([4.0, 0.0])).item() == pytest.approx(4 * math.log1p(-2.0 ** -23), rel=1e-6)
    certain = Multinomial(4, logits=fasttensor.tensor([0.0, float("-inf")]))
    assert certain.log_prob(fasttensor.tensor([4.0, 0.0])).item() == 0.0
    if HAVE_TORCH:
        theirs = torch.distributions.Multinomial(100, torch.tensor([0.5, 0.5])).log_prob(torch.tensor(to_numpy(values)))
        np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-5)


def test_d2l_plt_is_pyplot():
    pyplot = pytest.importorskip("matplotlib.pyplot")  # the plot extra; the test extra installs it
    from fasttensor import d2l

    assert d2l.plt is pyplot
    d2l.set_figsize((4.5, 3.5))
    assert tuple(pyplot.rcParams["figure.figsize"]) == (4.5, 3.5)
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        d2l.nope
