"""CPU random numbers are PyTorch's: after manual_seed(s) every sampling call gives PyTorch 2.13's
values, bit for bit, and leaves the generator where PyTorch's would be.

Two kinds of check:
- against NumPy's RandomState, whose legacy seeding gives the same MT19937 words as PyTorch's CPU
  generator: the words themselves (C++'s std::mt19937 check value included) and the formulas that
  turn them into uniform, integer, normal and permutation draws (no PyTorch needed);
- against PyTorch where it is installed: the same calls on both libraries, compared exactly, for
  the creation functions, in-place fills, distributions, nn.init, dropout, multinomial, the
  DataLoader's shuffling, samplers, random_split and the generator state bytes.
"""

from __future__ import annotations

import math
import threading
import warnings

import numpy as np
import pytest

import fasttensor as ft

SEEDS = [0, 1, 7, 12345, 2**40 + 3]


def words(seed: int, n: int) -> np.ndarray:
    """The first n 32-bit words of PyTorch's CPU generator after manual_seed(seed)."""
    rs = np.random.RandomState(seed & 0xFFFFFFFF)
    return rs.randint(0, 2**32, size=n, dtype=np.uint64)  # a full-range draw takes one word each


def u64(w: np.ndarray) -> np.ndarray:
    """Two-word draws, the first word high."""
    return (w[0::2] << np.uint64(32)) | w[1::2]


# --- the generator and the draw formulas, against NumPy's MT19937 --------------------------------


def test_mt19937_check_value():
    # The C++ standard's check for std::mt19937: the 10000th word after seeding with 5489 is
    # 4123659995. random_() on int64 keeps 63 bits of each two-word draw; word 10000 is the low half
    # of draw 5000.
    ft.manual_seed(5489)
    draws = ft.empty(5000, dtype=ft.int64).random_().numpy().astype(np.uint64)
    assert int(draws[-1]) & 0xFFFFFFFF == 4123659995


@pytest.mark.parametrize("seed", SEEDS)
def test_words_are_numpys_mt19937(seed):
    ft.manual_seed(seed)
    draws = ft.empty(1000, dtype=ft.int64).random_().numpy().astype(np.uint64)
    np.testing.assert_array_equal(draws, u64(words(seed, 2000)) & np.uint64(2**63 - 1))


@pytest.mark.parametrize("seed", SEEDS)
def test_uniform_formulas(seed):
    ft.manual_seed(seed)
    f = ft.rand(1001).numpy()
    np.testing.assert_array_equal(f, ((words(seed, 1001) & np.uint64(0xFFFFFF)) * 2.0**-24).astype(np.float32))
    ft.manual_seed(seed)
    d = ft.rand(301, dtype=ft.float64).numpy()
    np.testing.assert_array_equal(d, (u64(words(seed, 602)) & np.uint64(2**53 - 1)) * 2.0**-53)
    # uniform_(a, b) = fma(u, b - a, a): exact in double for float32 operands, then rounded once.
    ft.manual_seed(seed)
    g = ft.empty(1001).uniform_(-1.3, 2.9).numpy()
    lo, span = np.float32(-1.3), np.float32(2.9) - np.float32(-1.3)
    np.testing.assert_array_equal(g, (f.astype(np.float64) * span + lo).astype(np.float32))


@pytest.mark.parametrize("low,high", [(0, 10), (-5, 17), (0, 2**28 - 1), (0, 2**28), (-2**40, 2**40)])
def test_integer_formula(low, high):
    # One word per draw below a range of 2^28, two words from there on, as PyTorch.
    ft.manual_seed(3)
    got = ft.randint(low, high, (40,)).numpy()
    w = words(3, 80)
    bits = w[:40] if high - low < 2**28 else u64(w)
    np.testing.assert_array_equal(got, (bits % np.uint64(high - low)).astype(np.int64) + low)


@pytest.mark.parametrize("n", [1, 2, 5, 15])
def test_normal_one_at_a_time_in_double(n):
    # Below 16 elements: Box-Muller in double, u1 the angle, u2 the radius through log1p, the sine
    # kept for the next draw (so a second call starts from it).
    ft.manual_seed(11)
    got = np.concatenate([ft.randn(n, dtype=ft.float64).numpy(), ft.randn(3, dtype=ft.float64).numpy()])
    u = (u64(words(11, 4 * (n + 3))) & np.uint64(2**53 - 1)) * 2.0**-53
    ref = []
    for k in range(0, n + 3, 2):
        r = math.sqrt(-2.0 * math.log1p(-u[k + 1]))
        t = 2.0 * math.pi * u[k]
        ref += [r * math.cos(t), r * math.sin(t)]
    np.testing.assert_array_equal(got, ref[:n + 3])


@pytest.mark.parametrize("n", [16, 17, 48, 1021])
def test_normal_blocks_of_sixteen_in_double(n):
    # From 16 elements (contiguous): all uniforms first, element j paired with j + 8 in blocks of 16,
    # the last 16 redrawn when n is not a multiple of 16.
    ft.manual_seed(5)
    got = ft.randn(n, dtype=ft.float64).numpy()
    extra = 16 if n % 16 else 0
    u = list((u64(words(5, 2 * (n + extra))) & np.uint64(2**53 - 1)) * 2.0**-53)
    data = u[:n]

    def block(at):
        for j in range(8):
            radius = math.sqrt(-2.0 * math.log(1.0 - data[at + j]))
            theta = 2.0 * math.pi * data[at + j + 8]
            data[at + j], data[at + j + 8] = radius * math.cos(theta), radius * math.sin(theta)

    for at in range(0, n - 15, 16):
        block(at)
    if extra:
        data[n - 16:] = u[n:]
        block(n - 16)
    np.testing.assert_array_equal(got, data)


@pytest.mark.parametrize("n", [0, 1, 2, 5, 17, 1000])
def test_randperm_swaps_from_the_front(n):
    ft.manual_seed(42)
    got = ft.randperm(n).tolist()
    w = words(42, max(n - 1, 0))
    ref = list(range(n))
    for i in range(n - 1):
        z = i + int(w[i] % np.uint64(n - i))
        ref[i], ref[z] = ref[z], ref[i]
    assert got == ref


def test_draws_do_not_depend_on_threads():
    values = []
    for threads in (1, 2):
        ft.set_num_threads(threads)
        ft.manual_seed(8)
        values.append([ft.rand(70000).numpy(), ft.randn(70001).numpy(), ft.randint(0, 9, (5000,)).numpy()])
    ft.set_num_threads(2)
    for a, b in zip(*values):
        np.testing.assert_array_equal(a, b)


def test_concurrent_draws_share_the_stream_safely():
    # Threads drawing from one generator take distinct words: together they consume exactly as many
    # as one thread would, and the generator ends where the sequential stream ends.
    g = ft.Generator().manual_seed(4)
    out = []

    def work():
        for _ in range(50):
            out.append(ft.rand(100, generator=g))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    after = ft.rand(3, generator=g).numpy()
    ref = ft.Generator().manual_seed(4)
    ft.rand(20000, generator=ref)
    np.testing.assert_array_equal(after, ft.rand(3, generator=ref).numpy())


# --- generator objects and state -------------------------------------------------------------------


def test_generator_api():
    assert ft.manual_seed(3) is ft.default_generator
    assert ft.initial_seed() == 3
    assert ft.Generator().initial_seed() == 67280421310721
    g = ft.Generator()
    assert g.manual_seed(-1) is g and g.initial_seed() == 2**64 - 1
    assert g.manual_seed(2**64 - 1).initial_seed() == 2**64 - 1
    with pytest.raises(ValueError, match="Overflow"):
        g.manual_seed(2**64)
    with pytest.raises(RuntimeError, match="expected a long"):
        g.manual_seed(1.5)
    s = g.seed()
    assert 0 <= s < 2**63 and g.initial_seed() == s
    assert str(g.device) == "cpu"
    # manual_seed(s) and seed s's low 32 bits give the same stream, as PyTorch's
    a = ft.rand(4, generator=ft.Generator().manual_seed(5)).numpy()
    np.testing.assert_array_equal(a, ft.rand(4, generator=ft.Generator().manual_seed(2**32 + 5)).numpy())


ERRORS = ["m.empty(3, dtype=m.uint8).random_(300)", "m.empty(3, dtype=m.uint8).random_(-3, 3)",
          "m.empty(3, dtype=m.bool).random_(2, 9)", "m.empty(3, dtype=m.int32).random_(2**32 + 5)",
          "m.empty(3).random_(2.5)", "m.empty(3, dtype=m.int64).random_(0, 2**63)",
          "m.empty(3).uniform_(0, float('inf'))", "m.empty(3).uniform_(-float('inf'), 0)",
          "m.empty(3).uniform_(-3e38, 3e38)", "m.empty(3, dtype=m.float64).uniform_(-1e308, 1e308)",
          "m.randperm(2**25, dtype=m.float32)", "m.manual_seed(2**64)", "m.Generator().manual_seed(2.5)",
          "m.empty(3, dtype=m.int64).exponential_()", "m.empty(3, dtype=m.int64).cauchy_()",
          "m.empty(3, dtype=m.int64).log_normal_()", "m.zeros(3).bernoulli_(m.ones(3, dtype=m.int64))",
          "m.empty(3, dtype=m.bool).geometric_(0.3)", "m.nn.functional.dropout(m.ones(3, dtype=m.int64), 0.5)",
          "m.poisson(m.tensor([1, 5]))", "m.poisson(m.tensor([True]))", "m.poisson(m.tensor([2.0, -1.0]))",
          "m.poisson(m.tensor([1.0, float('nan')]))", "m.poisson(m.ones(1), 3)", "m.poisson(m.ones(1), generator=3)",
          "m.poisson(3.0)", "m.poisson()", "m.poisson(m.ones(2), m.Generator(), 3)", "m.poisson(m.ones(2), foo=1)",
          "m.binomial(m.ones(2), m.ones(2, dtype=m.float64))", "m.binomial(m.ones(2, dtype=m.float64), m.ones(2))",
          "m.binomial(m.tensor([10, 20]), m.tensor([0.5, 0.2]))", "m.binomial(m.ones(2), m.tensor([1, 0]))",
          "m.binomial(m.ones(2), m.tensor([True, False]))", "m.binomial(m.ones(2, 3), m.ones(4))",
          "m.binomial(m.ones(2, 3), m.ones(4, dtype=m.float64))", "m.binomial(m.ones(2, 3), 0.5)",
          "m.binomial(10.0, m.ones(2))", "m.binomial(m.ones(3), m.ones(3), 3)", "m.binomial(m.ones(3))",
          "m.binomial(prob=m.ones(2))", "m.binomial(m.ones(2), m.ones(2), m.Generator(), 1)"]


@pytest.mark.parametrize("call", ERRORS)
def test_bad_arguments_raise_as_torch(torch, call):
    raised = []
    for m in (torch, ft):
        with pytest.raises(Exception) as info:
            eval(call, {"m": m})
        raised.append((type(info.value), str(info.value).split("\n")[0]))
    assert raised[1] == raised[0]


def test_normal_and_bernoulli_do_not_differentiate_the_draw(torch):
    grads = []
    for m in (torch, ft):
        mu, sd, p = m.zeros(4, requires_grad=True), m.ones(4, requires_grad=True), m.full((3,), 0.5, requires_grad=True)
        y = m.normal(mu, sd)
        (y * m.arange(4.)).sum().backward()
        b = m.bernoulli(p)
        b.sum().backward()
        names = [type(t.grad_fn).__name__ if m is torch else repr(t.grad_fn).split()[0].strip("<")
                 for t in (y, m.normal(mu, 1.0), m.normal(0.0, sd), b)]
        grads.append([mu.grad.tolist(), sd.grad.tolist(), p.grad.tolist(), names])
    assert grads[1] == grads[0]


def test_poisson_and_binomial_gradients_and_layout_like_torch(torch):
    # poisson: PoissonBackward0, a zero gradient in the rate's dtype (through a broadcast too); binomial:
    # a NotImplemented node whose backward raises. Outputs: contiguous, except where prob widens count
    # (torch resizes the output, with a warning, into the inputs' memory order).
    out = []
    for m in (torch, ft):
        rate = m.tensor([[1.0, 30.0]], dtype=m.float64, requires_grad=True)
        y = m.poisson(rate.expand(3, 2))
        (y * 2).sum().backward()
        count, prob = m.tensor([10.0, 3.0], requires_grad=True), m.tensor([0.5, 0.2], requires_grad=True)
        b, c = m.binomial(count, prob), m.binomial(count.detach(), prob)
        with pytest.raises(RuntimeError, match="derivative for aten::binomial is not implemented"):
            b.sum().backward()
        with m.no_grad():
            untracked = m.poisson(rate).requires_grad
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            widened = m.binomial(m.full((1,), 9.0), m.rand(4, 3).t())
            m.binomial(m.ones(3), m.ones(1))
            m.binomial(m.ones(0, 1), m.ones(1, 3))
        message = [str(w.message).split(" (Triggered")[0] for w in caught]
        names = [repr(t.grad_fn).split()[0].strip("<") for t in (y, b, c)]
        out.append([names, rate.grad.tolist(), str(rate.grad.dtype).split(".")[-1], untracked, b.requires_grad,
                    y.stride(), widened.stride(), message])
    assert out[1] == out[0]


def test_poisson_and_binomial_distributions_like_torch(torch):
    # log_prob goes through lgamma, xlogy, log1p and exp: within an ulp or two of torch's (the draws
    # themselves are compared exactly in CASES).
    out = []
    for m in (torch, ft):
        D = m.distributions
        rate = m.tensor([0.5, 4.0, 25.0], requires_grad=True)
        poisson, scalar = D.Poisson(rate), D.Poisson(3.5)
        k = m.tensor([0.0, 3.0, 30.0])
        lp = poisson.log_prob(k)
        lp.sum().backward()
        b = D.Binomial(20, m.tensor([0.1, 0.5, 0.9, 0.0, 1.0]))
        b64 = D.Binomial(m.tensor([[5.0], [60.0]]), logits=m.tensor([-1.0, 0.3, 2.0], dtype=m.float64))
        out.append([lp.detach(), scalar.log_prob(k), rate.grad, poisson.mean.detach(), poisson.variance.detach(),
                    poisson.mode.detach(), b.log_prob(m.tensor([0.0, 10.0, 18.0, 0.0, 20.0])),
                    b64.log_prob(m.tensor([1.0, 4.0, 5.0], dtype=m.float64)), b.mean, b.variance, b.mode, b.logits,
                    b64.mean, b64.variance, b64.probs, b64.total_count])
    for want, got in zip(*out):
        assert (tuple(got.shape), str(got.dtype).split(".")[-1]) == (tuple(want.shape), str(want.dtype).split(".")[-1])
        rtol = 1e-6 if want.dtype == torch.float32 else 1e-14
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=rtol, atol=0)


def test_poisson_small_rates_multiply_uniforms():
    # Below rate 10 the count is the number of 53-bit uniforms whose running product stays above
    # exp(-rate): checked here against NumPy's MT19937 words, element after element.
    rates = [0.5, 2.0, 9.5, 0.0, 3.25]
    ft.manual_seed(21)
    got = ft.poisson(ft.tensor(rates, dtype=ft.float64)).tolist()
    u = iter((u64(words(21, 400)) & np.uint64(2**53 - 1)) * 2.0**-53)
    ref = []
    for rate in rates:
        k, product, threshold = 0, 1.0, math.exp(-rate)
        while rate > 0:
            product *= next(u)
            if product <= threshold:
                break
            k += 1
        ref.append(float(k))
    assert got == ref


def test_binomial_small_means_sum_geometric_waits():
    # Under count * p = 10 (p <= 1/2): successes = the geometric waits ceil(log u / log1p(-p)) that fit
    # in count trials; p > 1/2 counts the failures with 1 - p.
    pairs = [(12.0, 0.3), (40.0, 0.2), (7.0, 0.75), (1.0, 0.5)]
    ft.manual_seed(4)
    got = ft.binomial(*[ft.tensor(list(c), dtype=ft.float64) for c in zip(*pairs)]).tolist()
    u = iter((u64(words(4, 800)) & np.uint64(2**53 - 1)) * 2.0**-53)
    ref = []
    for count, p in pairs:
        q = min(p, 1.0 - p)
        trials, successes = 0.0, 0
        while True:
            trials += math.ceil(math.log(next(u)) / math.log1p(-q))
            if trials > count:
                break
            successes += 1
        ref.append(float(successes if p <= 0.5 else count - successes))
    assert got == ref


def test_poisson_and_binomial_moments_and_edges():
    # No torch needed. Fixed seed; bounds about 5 standard errors wide: the mean's is sqrt(var / N),
    # the sample variance's sqrt((mu4 - var^2) / N).
    ft.manual_seed(2024)
    n = 200_000
    for rate in (3.5, 40.0):  # product of uniforms; PTRS
        x = ft.poisson(ft.full((n,), rate, dtype=ft.float64)).numpy()
        assert abs(x.mean() - rate) < 5 * math.sqrt(rate / n)
        assert abs(x.var() - rate) < 5 * math.sqrt((rate + 2 * rate**2) / n)
        assert (x == np.round(x)).all() and x.min() >= 0
    for count, p in ((5.0, 0.3), (100.0, 0.3), (100.0, 0.8), (8.0, 0.9)):  # inversion, BTRS, and mirrored
        x = ft.binomial(ft.full((n,), count), ft.full((n,), p)).numpy().astype(np.float64)
        mean, var = count * p, count * p * (1 - p)
        mu4 = var * (1 + 3 * (count - 2) * p * (1 - p))  # the binomial's fourth central moment
        assert abs(x.mean() - mean) < 5 * math.sqrt(var / n)
        assert abs(x.var() - var) < 5 * math.sqrt((mu4 - var**2) / n)
        assert (x == np.round(x)).all() and x.min() >= 0 and x.max() <= count
    edges = ft.binomial(ft.tensor([0.0, 5.0, 5.0, 5.0, 5.0, -2.0, 6.0, float("nan"), float("nan")]),
                        ft.tensor([0.5, 0.0, 1.0, 1.5, -0.5, 0.5, float("nan"), 0.0, 0.4])).tolist()
    assert edges[:6] == [0.0, 0.0, 5.0, 5.0, 0.0, 0.0] and math.isnan(edges[6]) and edges[7] == 0.0
    # A NaN count with 0 < p < 1: NaN (PyTorch's inversion loop never ends there).
    assert math.isnan(edges[8])
    assert ft.poisson(ft.zeros(4)).tolist() == [0.0] * 4
    assert ft.poisson(ft.tensor(7.0)).shape == () and ft.poisson(ft.zeros(0, 2)).shape == (0, 2)
    # the generator given is the one drawn from, and the failed draw left the default one moved on
    g = ft.Generator().manual_seed(5)
    a = ft.poisson(ft.full((50,), 4.0), generator=g)
    again = ft.poisson(ft.full((50,), 4.0), generator=ft.Generator().manual_seed(5))
    np.testing.assert_array_equal(a.numpy(), again.numpy())
    ft.manual_seed(1)
    with pytest.raises(RuntimeError, match="invalid Poisson rate"):
        ft.poisson(ft.tensor([2.0, -1.0]))
    after_error = ft.rand(2, dtype=ft.float64).tolist()
    ft.manual_seed(1)
    ft.poisson(ft.tensor([2.0]))
    assert ft.rand(2, dtype=ft.float64).tolist() == after_error
    # the distributions' log-probabilities, from the formulas
    lp = ft.distributions.Poisson(ft.tensor([2.5], dtype=ft.float64)).log_prob(ft.tensor([0.0, 4.0], dtype=ft.float64))
    np.testing.assert_allclose(lp.numpy(), [-2.5, 4 * math.log(2.5) - 2.5 - math.log(24)], rtol=1e-14)
    lb = ft.distributions.Binomial(10, ft.tensor([0.3], dtype=ft.float64)).log_prob(ft.tensor([0.0, 3.0, 10.0],
                                                                                              dtype=ft.float64))
    want = [math.log(math.comb(10, j) * 0.3**j * 0.7**(10 - j)) for j in (0, 3, 10)]
    np.testing.assert_allclose(lb.numpy(), want, rtol=1e-13)


def test_generator_copies(torch):
    import copy
    import pickle

    out = []
    for m in (torch, ft):
        g = m.Generator().manual_seed(3)
        m.rand(5, generator=g)
        copies = [copy.deepcopy(g), pickle.loads(pickle.dumps(g)), g.clone_state()]
        out.append([m.rand(3, generator=c).numpy() for c in copies + [g]] + [copies[0].initial_seed()])
    for want, got in zip(*out):
        np.testing.assert_array_equal(got, want)


def test_state_round_trip_and_errors():
    ft.manual_seed(9)
    ft.randn(3)  # leaves a kept normal in the state
    state = ft.get_rng_state()
    assert state.dtype == ft.uint8 and state.shape == (5056,)
    a = [ft.randn(1).item(), ft.rand(5).tolist()]
    ft.set_rng_state(state)
    assert [ft.randn(1).item(), ft.rand(5).tolist()] == a
    g = ft.Generator().set_state(state)
    assert g.initial_seed() == 9 and ft.randn(1, generator=g).item() == a[0]
    with pytest.raises(RuntimeError, match="5048.*5056.*found the input RNG state size to be 10"):
        ft.set_rng_state(state[:10])
    with pytest.raises(TypeError, match="ByteTensor"):
        ft.set_rng_state(state.float())
    broken = state.clone()
    broken[8:12] = 0  # "left" = 0
    with pytest.raises(RuntimeError, match="Invalid mt19937 state"):
        ft.set_rng_state(broken)
    ft.set_rng_state(state)  # the refused states left nothing behind
    assert ft.randn(1).item() == a[0]


# --- against PyTorch: the same calls, the same values ----------------------------------------------


def _loader(m, epochs=2, **kw):
    ds = m.utils.data.TensorDataset(m.arange(23))
    out = []
    for _ in range(epochs):
        out += [b for (b,) in m.utils.data.DataLoader(ds, batch_size=5, **kw)]
    return out + [m.rand(3)]  # where the default generator ended


def _mlp(m):
    net = m.nn.Sequential(m.nn.Flatten(), m.nn.Linear(784, 256), m.nn.ReLU(), m.nn.Linear(256, 10))
    return [p.detach() for p in net.parameters()]


CASES = {
    "rand": lambda m: [m.rand(5), m.rand(2, 3, dtype=m.float64), m.rand_like(m.zeros(4))],
    "uniform_": lambda m: [m.empty(1000).uniform_(-1.3, 2.9), m.empty(37, dtype=m.float64).uniform_(-0.25, 7)],
    "uniform_ views": lambda m: [m.empty(4, 5).t().uniform_(), m.empty(6, 8)[:, ::2].uniform_(),
                                 m.empty(3, 4, 5).permute(2, 0, 1).uniform_()],
    "randn small": lambda m: [m.randn(3), m.randn(2), m.randn(5, dtype=m.float64), m.randn(15)],
    "randn blocks": lambda m: [m.randn(16), m.randn(17), m.randn(4, 4), m.randn(1000), m.randn(37, dtype=m.float64)],
    "randn large": lambda m: m.randn(100003),
    "normal_": lambda m: [m.empty(1000).normal_(0.5, 2.0), m.empty(100, dtype=m.float64).normal_(-1.3, 0.37),
                          m.empty(5).normal_(0.5, 2.0), m.empty(4, 5).t().normal_()],
    "normal": lambda m: [m.normal(0, 0.01, (2, 1)), m.normal(m.arange(20.), m.arange(1., 21.)),
                         m.normal(m.arange(5.), 0.5), m.normal(2.0, m.arange(1., 21.))],
    "randint": lambda m: [m.randint(0, 10, (8,)), m.randint(3, 100, (50,), dtype=m.int32),
                          m.randint(0, 2**28, (6,)), m.randint(-2**40, 2**40, (8,)), m.randint_like(m.zeros(5), 10)],
    "like on views": lambda m: [m.rand_like(m.zeros(20, 30).t()), m.randn_like(m.zeros(20, 30).t()),
                                m.randint_like(m.zeros(4, 6, dtype=m.int64).t(), 9)],
    "randperm": lambda m: [m.randperm(10), m.randperm(1000), m.randperm(12, generator=m.Generator().manual_seed(3))],
    "random_": lambda m: [m.empty(6, dtype=dt).random_() for dt in (m.int64, m.int32, m.uint8, m.bool, m.float32,
                                                                    m.float64)]
                         + [m.empty(6).random_(10), m.empty(6, dtype=m.int64).random_(3, 10)],
    "distributions": lambda m: [m.empty(20, dtype=m.float64).exponential_(2.5), m.empty(20).exponential_(),
                                m.empty(20).geometric_(0.3), m.empty(20, dtype=m.int64).geometric_(0.3),
                                m.empty(20, dtype=m.float64).cauchy_(1.0, 2.0), m.empty(20, dtype=m.float64).log_normal_(),
                                m.empty(5).log_normal_(0.5, 0.25)],
    "bernoulli": lambda m: [m.bernoulli(m.full((30,), 0.3)), m.bernoulli(m.full((30,), 0.3, dtype=m.float64)),
                            m.bernoulli(m.zeros(30), p=0.3), m.zeros(30, dtype=m.int64).bernoulli_(0.6),
                            m.zeros(4, 5).bernoulli_(m.tensor([0.1, 0.5, 0.9, 0.2, 0.7]))],
    "multinomial": lambda m: [m.multinomial(m.tensor([[0.1, 0.2, 0.7, 0.0, 1.5], [1.0, 1, 1, 1, 1]]), 3),
                              m.multinomial(m.tensor([0.1, 0.2, 0.7]), 1),
                              m.multinomial(m.tensor([[0.1, 0.2, 0.7], [3.0, 0, 1]], dtype=m.float64), 11, True)],
    "distributions.Multinomial": lambda m: [
        m.distributions.multinomial.Multinomial(10, m.ones(6) / 6).sample(),
        m.distributions.multinomial.Multinomial(10, m.ones(6) / 6).sample((3,)),
        m.distributions.multinomial.Multinomial(7, m.tensor([[0.1, 0.2, 0.7], [0.5, 0.25, 0.25]])).sample((2, 4)),
        m.distributions.multinomial.Multinomial(1, m.tensor([0.3, 0.7])).sample((5,))],
    "normal broadcast": lambda m: [m.normal(m.zeros(3, 1), m.ones(1, 4)), m.normal(m.zeros(2), m.ones(3, 2))],
    "out= views": lambda m: [m.rand(3, 4, out=m.empty(4, 3).t()), m.randn(4, 5, out=m.empty(5, 4).t()),
                             m.randint(0, 9, (3, 4), out=m.empty(4, 3, dtype=m.int64).t()),
                             m.normal(0.5, 2.0, (4, 5), out=m.empty(5, 4).t())],
    "views in": lambda m: [m.nn.functional.dropout(m.arange(20.).view(5, 4).t(), 0.5),
                           m.zeros(5, 4).t().bernoulli_(m.rand(4, 5)), m.multinomial(m.rand(4, 3).t(), 2),
                           m.rand_like(m.zeros(5, 6).t()[1:4])],
    "multinomial sums": lambda m: [m.multinomial(m.rand(1000), 500, True),
                                   m.multinomial(m.rand(7, 300, dtype=m.float64), 900, True)],
    "bounds": lambda m: [m.bernoulli(m.zeros(20, dtype=m.int64), 0.7), m.empty(5, dtype=m.int64).random_(3, None),
                         m.empty(5, dtype=m.int64).random_(-2**63, None), m.empty(5, dtype=m.float64).random_(3, None)],
    "dropout": lambda m: [m.nn.functional.dropout(m.ones(100), 0.3), m.nn.Dropout(0.2)(m.ones(3, 7)),
                          m.nn.functional.dropout(m.ones(30, dtype=m.float64), 0.25)],
    "channel dropout": lambda m: [m.nn.functional.dropout1d(m.ones(4, 5, 7), 0.3), m.nn.Dropout1d(0.5)(m.ones(6, 3)),
                                  m.nn.functional.dropout2d(m.ones(4, 5, 3, 3), 0.3),
                                  m.nn.Dropout3d(0.6)(m.ones(5, 2, 2, 2, dtype=m.float64)),
                                  m.nn.functional.dropout3d(m.ones(2, 5, 2, 2, 3), 0.6)],
    "alpha dropout": lambda m: [m.nn.functional.alpha_dropout(m.arange(60.).view(6, 10).t(), 0.2, True),
                                m.nn.AlphaDropout(0.5)(m.ones(7, dtype=m.float64)),
                                m.nn.FeatureAlphaDropout(0.3)(m.arange(24.).view(4, 3, 2))],
    "rrelu": lambda m: [m.nn.functional.rrelu(m.randn(6, 5).t(), training=True),
                        m.nn.functional.rrelu(m.randn(40, dtype=m.float64), 0.2, 0.9, training=True),
                        m.nn.functional.rrelu_(m.randn(3, 4), training=True), m.nn.RReLU(0.05, 0.5)(m.randn(9)),
                        m.nn.RReLU().eval()(m.randn(9)), m.nn.functional.rrelu(m.tensor([0.0, -0.0, 2.0]), training=True)],
    "gumbel hard": lambda m: [m.nn.functional.gumbel_softmax(m.zeros(5, 7), hard=True),
                              m.nn.functional.gumbel_softmax(m.arange(12.).view(3, 4), 0.5, hard=True, dim=0)],
    "nn.init": lambda m: [m.nn.init.xavier_uniform_(m.empty(5, 17)), m.nn.init.xavier_normal_(m.empty(5, 17)),
                          m.nn.init.kaiming_normal_(m.empty(5, 17)), m.nn.init.kaiming_uniform_(m.empty(5, 17), a=0.1),
                          m.nn.init.normal_(m.empty(4, 3), 0.0, 0.01), m.nn.init.uniform_(m.empty(9), -2, 3)],
    "trunc_normal_": lambda m: [m.nn.init.trunc_normal_(m.empty(50, 7)),
                                m.nn.init.trunc_normal_(m.empty(50, 7), 0.0, 0.02, -0.04, 0.04),
                                m.nn.init.trunc_normal_(m.empty(50, 7), 0.0, 1.0, 1.5, 4.0)],
    "layers": _mlp,
    "loader shuffled": lambda m: _loader(m, shuffle=True),
    "loader in order": lambda m: _loader(m, shuffle=False),
    "loader generator": lambda m: _loader(m, shuffle=True, generator=m.Generator().manual_seed(5)),
    "loader drop_last": lambda m: _loader(m, shuffle=True, drop_last=True),
    "samplers": lambda m: [m.tensor(list(m.utils.data.SubsetRandomSampler([3, 5, 7, 9, 11]))),
                           m.tensor(list(m.utils.data.WeightedRandomSampler([0.1, 0.5, 0.4, 2.0], 9))),
                           m.tensor(list(m.utils.data.WeightedRandomSampler([0.1, 0.5, 0.4, 2.0], 3, False))),
                           m.tensor(list(m.utils.data.RandomSampler(range(7), replacement=True, num_samples=40))),
                           m.tensor(list(m.utils.data.RandomSampler(range(7), num_samples=17)))],
    "random_split": lambda m: [m.tensor(list(s)) for s in m.utils.data.random_split(range(10), [7, 3])]
                              + [m.tensor(list(s)) for s in m.utils.data.random_split(
                                  range(10), [0.5, 0.3, 0.2], generator=m.Generator().manual_seed(42))],
    "state": lambda m: [m.randn(3), m.get_rng_state()],
    "poisson": lambda m: [m.poisson(m.arange(0, 40, 0.37)), m.poisson(m.arange(0, 40, 0.37, dtype=m.float64)),
                          m.poisson(m.tensor([0.0, 1e-3, 0.5, 9.99, 10.0, 10.5, 50.0, 1e3, 1e6, 1e12])),
                          m.poisson(m.tensor(25.0)), m.poisson(m.tensor(2.5, dtype=m.float64)),
                          m.poisson(m.empty(0, 3)), m.poisson(m.rand(3000, dtype=m.float64) * 60),
                          m.poisson(m.rand(500) * 12, generator=m.Generator().manual_seed(3))],
    "poisson views": lambda m: [m.poisson(m.arange(35.).view(7, 5).t()),
                                m.poisson(m.arange(48.).view(4, 12)[:, ::3]),
                                m.poisson(m.full((1, 3), 12.5, dtype=m.float64).expand(4, 3)),
                                m.poisson(m.arange(60.).view(3, 4, 5).permute(2, 0, 1))],
    "poisson overflow": lambda m: [m.poisson(m.tensor([float("inf"), 1e30, 2.0**63, 1e19])),
                                   m.poisson(m.tensor([1e300, 9.3e18], dtype=m.float64))],
    "binomial": lambda m: [m.binomial(m.tensor([0, 1, 5, 10, 20, 50, 100, 1000, 1e5, 7.5, 20.25, -3, 40]),
                                      m.tensor([0.3, 0.5, 0.7, 0.01, 0.5, 0.2, 0.9, 0.999, 0.33, 0.6, 0.45, 0.5,
                                                0.75])),
                           m.binomial(m.arange(300, dtype=m.float64), m.rand(300, dtype=m.float64)),
                           m.binomial(m.arange(300.) * 7, m.rand(300)), m.binomial(m.tensor(30.0), m.tensor(0.5)),
                           m.binomial(m.empty(0), m.empty(0)),
                           m.binomial(m.tensor([10.0, 5.0, 8.0, 0.0, 4.0, 1e9]),
                                      m.tensor([float("nan"), 1.5, -0.2, 0.5, 1.0, 0.3])),
                           m.binomial(m.full((3,), 20.0), m.tensor([10 / 20, 0.5000001, 0.4999999])),
                           m.binomial(m.tensor([50.0]), m.tensor([0.3]), generator=m.Generator().manual_seed(8))],
    "distributions.Poisson": lambda m: [
        m.distributions.Poisson(m.tensor([0.5, 4.0, 25.0])).sample(), m.distributions.Poisson(3.5).sample((5,)),
        m.distributions.Poisson(m.tensor([[2.0], [40.0]], dtype=m.float64)).sample((2, 3))],
    "distributions.Binomial": lambda m: [
        m.distributions.Binomial(20, m.tensor([0.1, 0.5, 0.9, 0.0, 1.0])).sample(),
        m.distributions.Binomial(20, m.tensor([0.1, 0.5, 0.9])).sample((4,)),
        m.distributions.Binomial(m.tensor([[5.0], [60.0]]), logits=m.tensor([-1.0, 0.3, 2.0])).sample((2,))],
    "binomial views": lambda m: [m.binomial(m.full((6, 4), 30.0).t(), m.linspace(0, 1, 24).view(4, 6)),
                                 m.binomial(m.full((4, 6), 60.0, dtype=m.float64),
                                            m.linspace(0, 1, 24, dtype=m.float64).view(6, 4).t()),
                                 m.binomial(m.arange(20.).view(4, 5)[:, 1::2] * 5, m.full((4, 1), 0.4))],
}


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("seed", SEEDS)
def test_same_numbers_as_torch(torch, case, seed):
    results = []
    for m in (torch, ft):
        m.manual_seed(seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # binomial's resize warning (tested below)
            out = CASES[case](m)
        out = list(out) if isinstance(out, (list, tuple)) else [out]
        results.append(out + [m.rand(2, dtype=m.float64)])  # and the generator ends in the same place
    assert len(results[0]) == len(results[1])
    for want, got in zip(*results):
        assert (tuple(got.shape), str(got.dtype).split(".")[-1]) == (tuple(want.shape), str(want.dtype).split(".")[-1])
        np.testing.assert_array_equal(got.numpy(), want.numpy(), err_msg=case)  # NaN matches NaN


def test_channel_and_alpha_dropout_like_torch(torch):
    """Gradients, modes and edge arguments of dropout1d/2d/3d, alpha_dropout and feature_alpha_dropout."""
    x = np.random.default_rng(3).standard_normal((4, 6, 5)).astype(np.float32)
    for name, kw in [("dropout1d", {}), ("dropout2d", {}), ("alpha_dropout", {"training": True}),
                     ("feature_alpha_dropout", {"training": True})]:
        grads = []
        for m in (torch, ft):
            m.manual_seed(11)
            t = m.tensor(x, requires_grad=True)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # dropout2d of a 3-D input warns, in both
                y = getattr(m.nn.functional, name)(t, 0.4, **kw)
            (y * m.arange(120.).view(4, 6, 5)).sum().backward()
            grads.append((y.detach().numpy(), t.grad.numpy(), y.grad_fn.name()))
        np.testing.assert_array_equal(grads[1][0], grads[0][0], err_msg=name)
        np.testing.assert_array_equal(grads[1][1], grads[0][1], err_msg=name)
        assert grads[1][2] == grads[0][2], name
    for m in (torch, ft):
        F = m.nn.functional
        t = m.ones(2, 3, 4)
        assert F.dropout2d(m.ones(2, 3, 4, 4), 0.5, training=False) is not None
        assert (F.dropout1d(t, 1.0) == 0).all() and (F.alpha_dropout(t, 0.7) == t).all()  # alpha: training=False
        assert F.dropout3d(m.ones(2, 3, 1, 1, 1), 0.0).equal(m.ones(2, 3, 1, 1, 1))
        with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but got 1.5"):
            F.dropout2d(t, 1.5)
        with pytest.raises(RuntimeError, match="dropout1d: Expected 2D or 3D input, but received a 4D input"):
            F.dropout1d(m.ones(1, 2, 3, 4))
        with pytest.warns(UserWarning, match="dropout2d: Received a 2-D input to dropout2d"):
            F.dropout2d(m.ones(3, 4))
        with pytest.warns(UserWarning, match="dropout3d: Received a 3-D input to dropout3d"):
            F.dropout3d(m.ones(2, 3, 4))
        with pytest.raises(RuntimeError, match="Feature dropout requires at least 2 dimensions in the input"):
            F.feature_alpha_dropout(m.ones(5), 0.5, True)
        u = m.ones(3, 4)
        assert F.dropout1d(u, 0.5, inplace=True) is u and set(u.unique().tolist()) <= {0.0, 2.0}
        assert repr(m.nn.Dropout2d(0.25, inplace=True)) == "Dropout2d(p=0.25, inplace=True)"
        assert repr(m.nn.AlphaDropout()) == "AlphaDropout(p=0.5, inplace=False)"


def test_channel_dropout_drops_whole_channels_and_alpha_dropout_keeps_moments():
    # Without torch: the structure. Channel dropout zeroes input[n, c] as a whole, keeps the
    # others scaled by 1/(1-p); alpha dropout of N(0, 1) keeps mean 0 and variance 1 (SELU's fixed
    # point) with its dropped units at one value; feature variants per channel.
    ft.manual_seed(0)
    y = ft.nn.functional.dropout2d(ft.ones(50, 8, 3, 3), 0.25).numpy()
    per_channel = y.reshape(50, 8, 9)
    assert ((per_channel == 0).all(-1) | (per_channel == 1 / 0.75).all(-1)).all()
    assert 0.15 < (per_channel[..., 0] == 0).mean() < 0.35
    x = ft.randn(400, 500, dtype=ft.float64)
    z = ft.nn.functional.alpha_dropout(x, 0.3, training=True).numpy()
    assert abs(z.mean()) < 0.01 and abs(z.var() - 1) < 0.02
    a = 1 / math.sqrt((1.7580993408473766**2 * 0.3 + 1) * 0.7)
    dropped = np.isclose(z, -1.7580993408473766 * a * 0.7, rtol=0, atol=1e-12)  # alpha' a (p - 1)
    assert 0.29 < dropped.mean() < 0.31
    f = ft.nn.functional.feature_alpha_dropout(ft.ones(30, 4, 5), 0.5, training=True).numpy()
    assert (f == f[:, :, :1]).all() and len(np.unique(f)) == 2


def test_rrelu_like_torch(torch):
    x = np.random.default_rng(5).standard_normal((8, 6)).astype(np.float32)
    x[0, :3] = [np.nan, 0.0, -np.inf]
    outs = []
    for m in (torch, ft):
        m.manual_seed(9)
        t = m.tensor(x, requires_grad=True)
        y = m.nn.functional.rrelu(t, training=True)
        (y * m.arange(48.).view(8, 6)).sum().backward()
        e = m.tensor(x, requires_grad=True)
        z = m.nn.functional.rrelu(e, 0.2, 0.3)  # evaluation: slope 0.25
        z.sum().backward()
        outs.append([y.detach().numpy(), t.grad.numpy(), z.detach().numpy(), e.grad.numpy(), y.grad_fn.name()])
        with pytest.raises(RuntimeError, match="Lower bound should be less than or equal to the upper bound"):
            m.nn.functional.rrelu(t, 0.5, 0.2)
        with pytest.raises(NotImplementedError, match="\"rrelu_with_noise_out_cpu\" not implemented for 'Long'"):
            m.nn.functional.rrelu(m.ones(3, dtype=m.int64), training=True)
        with pytest.raises(NotImplementedError, match="\"leaky_relu_cpu\" not implemented for 'Long'"):
            m.nn.functional.rrelu(m.ones(3, dtype=m.int64))
        assert repr(m.nn.RReLU(0.1, 0.3, True)) == "RReLU(lower=0.1, upper=0.3, inplace=True)"
    for want, got in zip(*outs):
        if isinstance(want, str):
            assert got == want
        else:
            np.testing.assert_array_equal(got, want)
    ft.manual_seed(0)
    u = ft.ones(4, 5).neg_()
    assert ft.nn.functional.rrelu_(u, training=True) is u
    assert ((u.numpy() <= -0.125) & (u.numpy() >= -1 / 3)).all()  # no torch needed: the slopes' range


def test_gumbel_softmax_like_torch(torch):
    logits = np.random.default_rng(4).standard_normal((6, 9))
    outs = []
    for m in (torch, ft):
        m.manual_seed(2)
        t = m.tensor(logits, requires_grad=True)
        soft = m.nn.functional.gumbel_softmax(t, tau=0.7)
        hard = m.nn.functional.gumbel_softmax(t, hard=True, dim=0)
        (soft * m.arange(54.).view(6, 9)).sum().backward()
        g_soft = t.grad.clone()
        t.grad = None
        (hard * m.arange(54.).view(6, 9)).sum().backward()
        outs.append([soft.detach().numpy(), hard.detach().numpy(), g_soft.numpy(), t.grad.numpy()])
    np.testing.assert_allclose(outs[1][0], outs[0][0], rtol=1e-12, atol=0)  # softmax's last bits differ
    np.testing.assert_array_equal(outs[1][1], outs[0][1])
    np.testing.assert_allclose(outs[1][2], outs[0][2], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(outs[1][3], outs[0][3], rtol=1e-10, atol=1e-12)
    with pytest.warns(UserWarning, match="`eps` parameter is deprecated"):
        ft.nn.functional.gumbel_softmax(ft.zeros(2, 3), eps=1e-5)


def test_random_module_and_fork_rng():
    assert ft.random.manual_seed(21) is ft.default_generator and ft.random.initial_seed() == 21
    before = ft.random.get_rng_state()
    with ft.random.fork_rng():
        ft.rand(100)
        ft.cuda.manual_seed(5)
    np.testing.assert_array_equal(ft.random.get_rng_state().numpy(), before.numpy())
    ft.random.set_rng_state(before)
    with ft.random.fork_rng(enabled=False):
        ft.rand(1)
    assert not np.array_equal(ft.get_rng_state().numpy(), before.numpy())


def test_cuda_generator_state_is_seed_and_offset():
    # The CUDA generator (Philox) keeps a key and a counter: 16 bytes, as PyTorch's; a CPU state does
    # not fit it. (No GPU needed: the generator exists without one.)
    ft.cuda.manual_seed(77)
    state = ft.cuda.get_rng_state()
    assert state.dtype == ft.uint8 and state.shape == (16,)
    assert int(state[:8].numpy().view(np.uint64)[0]) == 77 == ft.cuda.initial_seed()
    assert int(state[8:].numpy().view(np.uint64)[0]) == 0
    with pytest.raises(RuntimeError, match="wrong size"):
        ft.cuda.set_rng_state(ft.get_rng_state())
    ft.cuda.set_rng_state(state)
    assert ft.cuda.initial_seed() == 77


def _seeded_training(m):
    """A seeded regression run using every random piece: data, layer init, shuffling, dropout."""
    m.manual_seed(0)
    X = m.randn(1000, 2)
    y = X @ m.tensor([2, -3.4]) + 4.2 + m.randn(1000) * 0.01
    loader = m.utils.data.DataLoader(m.utils.data.TensorDataset(X, y.reshape(-1, 1)), batch_size=32, shuffle=True)
    net = m.nn.Sequential(m.nn.Linear(2, 64), m.nn.ReLU(), m.nn.Dropout(0.1), m.nn.Linear(64, 1))
    opt = m.optim.SGD(net.parameters(), lr=0.03)
    losses = []
    for _ in range(3):
        for xb, yb in loader:
            loss = m.nn.functional.mse_loss(net(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
        losses.append(loss.item())
    return losses, [p.detach().numpy() for p in net.parameters()]


def test_seeded_training_follows_torchs_run(torch):
    # Same draws everywhere, so the runs differ only by floating-point summation order inside the
    # matrix products (ours and MKL's), a few ulp per step: the printed losses agree.
    want, got = _seeded_training(torch), _seeded_training(ft)
    assert [f"{v:.4f}" for v in got[0]] == [f"{v:.4f}" for v in want[0]]
    np.testing.assert_allclose(got[0], want[0], rtol=1e-5)
    for a, b in zip(got[1], want[1]):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-5)
