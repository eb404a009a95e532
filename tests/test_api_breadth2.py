"""scatter_reduce, put, angle, narrow_copy (fasttensor._api_more) and the fasttensor.special namespace:
values, dtypes, gradients, node names and errors against torch 2.13 (when installed), and against NumPy
or exact values where they give a reference without torch."""

from __future__ import annotations

import math

import numpy as np
import pytest

import fasttensor
from helpers import HAVE_TORCH, assert_close, both, raises_like, to_numpy

F = ("float32", "float64")
REDUCTIONS = ("sum", "prod", "mean", "amax", "amin")


def _with_grads(call, torch_module=None):
    """call(m) -> (output, leaves) in fasttensor and torch: values, node name and the leaves' gradients
    of sum(out * g) compared (g fixed, not all ones)."""
    got = {}
    for m in (fasttensor,) + ((torch_module,) if torch_module is not None else ()):
        out, leaves = call(m)
        g = m.tensor((np.arange(out.numel()).reshape(tuple(out.shape)) % 5 + 1).astype(np.float64)).to(out.dtype)
        (out * g).sum().backward()
        got[m] = (out.detach(), out.grad_fn.name(), [leaf.grad for leaf in leaves])
    if torch_module is not None:
        ours, theirs = got[fasttensor], got[torch_module]
        assert_close(ours[0], theirs[0])
        assert ours[1] == theirs[1]
        for a, b in zip(ours[2], theirs[2]):
            assert_close(a, b, what="grad")
    return got[fasttensor]


def _leaf(m, values, dtype="float32"):
    return m.tensor(np.asarray(values, dtype=dtype), requires_grad=True)


# --- scatter_reduce ------------------------------------------------------------------------------------

def _numpy_scatter_reduce(x, dim, index, src, reduce, include_self):
    """The reference loop: each position's values in src order along dim, input's first when included."""
    out = x.astype(np.float64).copy()
    groups = {}
    for pos in np.ndindex(*index.shape):
        target = list(pos)
        target[dim] = index[pos]
        groups.setdefault(tuple(target), []).append(float(src[pos]))
    for target, values in groups.items():
        values = ([float(x[target])] if include_self else []) + values
        out[target] = {"sum": np.sum, "prod": np.prod, "mean": np.mean, "amax": np.max, "amin": np.min}[reduce](values)
    return out


@pytest.mark.parametrize("reduce", REDUCTIONS)
@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("dtype", F)
def test_scatter_reduce_random_cases(torch_or_none, reduce, include_self, dtype):
    rng = np.random.default_rng(3)
    for _ in range(25):
        ndim = int(rng.integers(1, 4))
        shape = tuple(int(s) for s in rng.integers(1, 4, size=ndim))
        dim = int(rng.integers(0, ndim))
        ishape = [int(rng.integers(1, s + 1)) for s in shape]
        ishape[dim] = int(rng.integers(1, 6))  # repeats along dim: several values per position
        index = rng.integers(0, shape[dim], size=ishape)
        x = rng.integers(-3, 4, size=shape).astype(dtype)  # small integers: ties and zeros
        # (src of index's shape: torch's backward fails for a larger src, of which scatter_reduce reads a block)
        src = rng.integers(-3, 4, size=ishape).astype(dtype)
        out, _, _ = _with_grads(lambda m: (lambda a, b: (a.scatter_reduce(dim, m.tensor(index), b, reduce,
                                                                          include_self=include_self), [a, b]))(
            _leaf(m, x, dtype), _leaf(m, src, dtype)), torch_or_none)
        np.testing.assert_allclose(to_numpy(out), _numpy_scatter_reduce(x, dim, index, src, reduce, include_self),
                                   rtol=1e-6)


@pytest.fixture
def torch_or_none():
    return pytest.importorskip("torch") if HAVE_TORCH else None


@pytest.mark.parametrize("reduce", REDUCTIONS)
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_special_values_and_layouts(torch, reduce, include_self):
    nan, inf = math.nan, math.inf
    _with_grads(lambda m: (lambda a, b: (m.scatter_reduce(a, 0, m.tensor([0, 0, 1, 2, 2]), b, reduce,
                                                          include_self=include_self), [a, b]))(
        _leaf(m, [1, nan, 2, 3]), _leaf(m, [nan, 3, 5, -inf, inf])), torch)
    _with_grads(lambda m: (lambda a, b: (a.scatter_reduce(0, m.tensor([0, 0, 1, 2, 2]), b, reduce,
                                                          include_self=include_self), [a, b]))(
        _leaf(m, [0, 0, 2, 3]), _leaf(m, [0, 3, 0, 0, 2])), torch)  # zeros: prod's gradient
    # a transposed input and a strided src; 0-d tensors
    _with_grads(lambda m: (lambda a, b: (a.t().scatter_reduce(1, m.tensor([[0, 0], [1, 1], [0, 1]]), b[:, ::2],
                                                              reduce, include_self=include_self), [a, b]))(
        _leaf(m, [[1, 2, 3], [4, 5, 6]]), _leaf(m, [[1, 2, 3, 4], [4, 5, 6, 7], [0, 1, 2, 3]])), torch)
    _with_grads(lambda m: (lambda a, b: (a.scatter_reduce(0, m.tensor(0), b, reduce, include_self=include_self),
                                         [a, b]))(_leaf(m, 2.0), _leaf(m, 3.0)), torch)
    # nothing written: input unchanged, src a zero gradient (torch's backward fails here: values only)
    both(lambda m: m.ones(3, 1).scatter_reduce(1, m.zeros(3, 0, dtype=m.long), m.ones(3, 2), reduce,
                                               include_self=include_self))
    _, _, grads = _with_grads(lambda m: (lambda a, b: (a.scatter_reduce(1, m.zeros(3, 0, dtype=m.long), b, reduce,
                                                                        include_self=include_self), [a, b]))(
        _leaf(m, np.ones((3, 1))), _leaf(m, np.ones((3, 2)))))
    assert to_numpy(grads[1]).tolist() == [[0.0, 0.0]] * 3 and to_numpy(grads[0]).tolist() == [[1.0], [2.0], [3.0]]  # g itself


@pytest.mark.parametrize("reduce", REDUCTIONS)
@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool", "float64"])
def test_scatter_reduce_dtypes(reduce, include_self, dtype):
    def call(m):
        x = m.tensor([5, 0, 2, 7]).to(getattr(m, dtype))
        return x.scatter_reduce(0, m.tensor([0, 0, 1, 2, 2], dtype=m.int32),
                                m.tensor([3, 1, 4, 0, 6]).to(getattr(m, dtype)), reduce, include_self=include_self)
    if dtype == "bool" and reduce == "mean":
        raises_like(call, NotImplementedError, "not implemented for 'Bool'")
        return
    out = both(call)
    assert out.dtype == getattr(fasttensor, dtype)


def test_scatter_reduce_integer_mean_floors_and_wraps():
    # (-7 + 1 - 1) / 3 floors to -3; uint8's sum wraps before the division: (100 + 200) % 256 / 2 = 22
    assert both(lambda m: m.tensor([-7, 5]).scatter_reduce(0, m.tensor([0, 0]), m.tensor([1, -1]), "mean")).tolist() \
        == [-3, 5]
    assert both(lambda m: m.tensor([100, 3], dtype=m.uint8).scatter_reduce(
        0, m.tensor([0]), m.tensor([200], dtype=m.uint8), "mean")).tolist() == [22, 3]
    # an int64 product wraps exactly (no detour through float64): 2**40 * (2**40 + 1) = 2**40 mod 2**64
    assert both(lambda m: m.tensor([2 ** 40, 3]).scatter_reduce(0, m.tensor([0]), m.tensor([2 ** 40 + 1]),
                                                                "prod")).tolist() == [2 ** 40, 3]


@pytest.mark.parametrize("reduce", REDUCTIONS)
def test_scatter_reduce_in_place(torch, reduce):
    for include_self in (True, False):
        def call(m):
            a, b = _leaf(m, [1, 2, 3, 4]), _leaf(m, [5, -1, 2])
            y = a * 1
            assert y.scatter_reduce_(0, m.tensor([3, 3, 0]), b, reduce, include_self=include_self) is y
            return y, [a, b]
        _with_grads(call, torch)


def test_scatter_reduce_old_names_and_errors():
    both(lambda m: m.tensor([1., 2, 3]).scatter_reduce(0, m.tensor([0, 0]), m.tensor([7., -1]), "max"))
    both(lambda m: m.tensor([1., 2, 3]).scatter_reduce(0, m.tensor([0, 0]), m.tensor([7., -1]), "min"))
    x = lambda m: m.tensor([1., 2, 3])  # noqa: E731
    raises_like(lambda m: x(m).scatter_reduce(0, m.tensor([0]), m.tensor([1.]), "add"), RuntimeError,
                "reduce argument must be either sum, prod, mean, amax or amin, got add")
    raises_like(lambda m: x(m).scatter_reduce(0, m.tensor([0]), m.tensor([1.])), TypeError,
                'missing 1 required positional arguments: "reduce"')
    raises_like(lambda m: x(m).scatter_reduce(0, m.tensor([0]), m.tensor([1.]), "sum", include_self=1), TypeError,
                "argument 'include_self' must be bool, not int")
    raises_like(lambda m: x(m).scatter_reduce(0, m.tensor([0]), m.tensor([1], dtype=m.float64), "sum"),
                RuntimeError, r"scatter\(\): Expected self.dtype to be equal to src.dtype")
    raises_like(lambda m: x(m).scatter_reduce(0, m.tensor([0.]), m.tensor([1.]), "sum"), RuntimeError,
                r"scatter\(\): Expected dtype int32/int64 for index")
    raises_like(lambda m: x(m).scatter_reduce(0, m.tensor([5]), m.tensor([1.]), "amax"), RuntimeError,
                "index 5 is out of bounds for dimension 0 with size 3")
    raises_like(lambda m: x(m).scatter_reduce(0, m.tensor([[0]]), m.tensor([[1.]]), "sum"), RuntimeError,
                "Index tensor must have the same number of dimensions as self tensor")
    raises_like(lambda m: x(m).scatter_reduce(1, m.tensor([0]), m.tensor([1.]), "sum"), IndexError,
                r"Dimension out of range \(expected to be in range of \[-1, 0\], but got 1\)")
    raises_like(lambda m: (lambda a: a.scatter_reduce_(0, m.tensor([0]), a[1:], "sum"))(x(m)), RuntimeError,
                "some elements of the input tensor and the written-to tensor refer to a single memory location")


# --- put -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("accumulate", [False, True])
def test_put_values_and_gradients(torch_or_none, accumulate):
    index = np.array([0, -1, 0, 4])
    out, name, _ = _with_grads(lambda m: (lambda a, b: (m.put(a, m.tensor(index), b, accumulate=accumulate),
                                                        [a, b]))(_leaf(m, np.arange(6.).reshape(2, 3)),
                                                                 _leaf(m, [9, 8, 7, 1])), torch_or_none)
    expected = np.arange(6.)
    for i, v in zip(index, [9, 8, 7, 1]):
        expected[i] = expected[i] + v if accumulate else v
    np.testing.assert_array_equal(to_numpy(out).reshape(-1), expected)
    assert name == "PutBackward0"
    # transposed input, 2-D index, strided source; a 0-d input; an empty index
    _with_grads(lambda m: (lambda a, b: (a.t().put(m.tensor([[0, -1], [1, 4]]), b[:, ::2], accumulate), [a, b]))(
        _leaf(m, np.arange(6.).reshape(2, 3)), _leaf(m, np.arange(8.).reshape(2, 4))), torch_or_none)
    _with_grads(lambda m: (lambda a, b: (a.put(m.tensor([0, 0]), b, accumulate), [a, b]))(
        _leaf(m, 2.0), _leaf(m, [9, 8])), torch_or_none)
    _with_grads(lambda m: (lambda a, b: (a.put(m.tensor([], dtype=m.long), b, accumulate), [a, b]))(
        _leaf(m, [2, 3]), _leaf(m, np.zeros(0))), torch_or_none)


@pytest.mark.parametrize("accumulate", [False, True])
@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool", "float64"])
def test_put_dtypes_and_in_place(torch_or_none, dtype, accumulate):
    out = both(lambda m: m.tensor([5, 0, 2, 7]).to(getattr(m, dtype)).put(
        m.tensor([0, 0, 1]), m.tensor([200, 1, 4]).to(getattr(m, dtype)), accumulate))
    assert out.dtype == getattr(fasttensor, dtype)

    def call(m):
        a, b = _leaf(m, [1, 2, 3, 4]), _leaf(m, [5, -1, 2])
        y = a * 1
        assert y.put_(m.tensor([3, 3, 0]), b, accumulate=accumulate) is y
        return y, [a, b]
    _with_grads(call, torch_or_none)


def test_put_errors():
    z = lambda m: m.zeros(3)  # noqa: E731
    raises_like(lambda m: z(m).put(m.tensor([3]), m.tensor([1.])), IndexError,
                "out of range: tried to access index 3 on a tensor of 3 elements.")
    raises_like(lambda m: z(m).put(m.tensor([-4]), m.tensor([1.])), IndexError, "tried to access index -4")
    raises_like(lambda m: z(m).put(m.tensor([1], dtype=m.int32), m.tensor([1.])), RuntimeError,
                r"put_\(\): Expected a long tensor for index, but got Int")
    raises_like(lambda m: z(m).put(m.tensor([1]), m.tensor([1., 2])), IndexError,
                r"source.numel\(\) = 2, index.numel\(\) = 1")
    raises_like(lambda m: z(m).put(m.tensor([1]), m.tensor([1])), RuntimeError,
                "self.dtype = Float and source.dtype = Long")
    raises_like(lambda m: m.zeros(0).put(m.tensor([0]), m.tensor([1.])), IndexError,
                "Tried to put elements into an empty tensor")
    raises_like(lambda m: z(m).put([1], m.tensor([1.])), TypeError,
                r"argument 'index' \(position 1\) must be Tensor, not list")
    raises_like(lambda m: z(m).put(m.tensor([1]), m.tensor([1.]), 1), TypeError,
                r"argument 'accumulate' \(position 3\) must be bool, not int")
    raises_like(lambda m: m.put(z(m), m.tensor([1]), m.tensor([1.]), accumulate=1), TypeError,
                "argument 'accumulate' must be bool, not int")
    raises_like(lambda m: (lambda a: a.put_(m.tensor([0]), a[1:2]))(z(m)), RuntimeError, "single memory location")


# --- angle ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", F)
def test_angle_real(torch_or_none, dtype):
    values = [-1.0, 0.0, -0.0, 2.0, math.nan, -math.inf, math.inf, -1e-30]
    out, name, grads = _with_grads(lambda m: (lambda a: (m.angle(a), [a]))(_leaf(m, values, dtype)), torch_or_none)
    x = np.array(values, dtype=dtype)  # (not np.angle: it gives pi for -0.0, torch 0)
    np.testing.assert_array_equal(to_numpy(out), np.where(np.isnan(x), x, np.where(x < 0, np.pi, 0)).astype(dtype))
    assert out.dtype == getattr(fasttensor, dtype) and name == "AngleBackward0"
    assert to_numpy(grads[0]).tolist() == [0.0] * len(values)
    both(lambda m: m.tensor(values, dtype=getattr(m, dtype))[::2].angle())
    both(lambda m: m.tensor(-3.0, dtype=getattr(m, dtype)).angle())
    both(lambda m: m.zeros(0, 2, dtype=getattr(m, dtype)).angle())


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool"])
def test_angle_integers_give_default_float(dtype):
    out = both(lambda m: m.angle(m.tensor([1, 0, 3]).to(getattr(m, dtype))))
    assert out.dtype == fasttensor.float32 and out.tolist() == [0.0, 0.0, 0.0]
    assert both(lambda m: m.tensor([-2, 0, 5]).angle()).tolist() == [np.float32(math.pi), 0.0, 0.0]
    fasttensor.set_default_dtype(fasttensor.float64)
    assert fasttensor.tensor([-2]).angle().dtype == fasttensor.float64
    raises_like(lambda m: m.angle([1.0]), TypeError, r"argument 'input' \(position 1\) must be Tensor, not list")


# --- narrow_copy ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("args", [(1, 1, 2), (0, -1, 1), (0, 1, 1), (-1, -3, 2), (0, 2, 0), (1, 0, 3)])
def test_narrow_copy(torch_or_none, args):
    base = np.arange(6.).reshape(2, 3)
    out, name, _ = _with_grads(lambda m: (lambda a: (a.narrow_copy(*args), [a]))(_leaf(m, base)), torch_or_none)
    dim, start, length = args
    expected = np.take(base, range(start % base.shape[dim] if start < 0 else start,
                                   (start % base.shape[dim] if start < 0 else start) + length), axis=dim)
    np.testing.assert_array_equal(to_numpy(out), expected)
    assert name == "NarrowCopyBackward0"
    t = fasttensor.narrow_copy(fasttensor.tensor(base).t(), 0, 1, 2)
    assert t.is_contiguous() and t.stride() == (2, 1)
    both(lambda m: m.narrow_copy(m.tensor(base).t(), 0, 1, 2))


def test_narrow_copy_is_a_copy_and_errors():
    x = fasttensor.arange(6.).reshape(2, 3)
    y = x.narrow_copy(0, 0, 1)
    y.fill_(-1)
    assert x.tolist() == [[0, 1, 2], [3, 4, 5]]
    a = lambda m: m.arange(6.).reshape(2, 3)  # noqa: E731
    raises_like(lambda m: a(m).narrow_copy(0, 1, 5), RuntimeError,
                r"start \(1\) \+ length \(5\) exceeds dimension size \(2\)\.")
    raises_like(lambda m: a(m).narrow_copy(0, 1, -1), RuntimeError, r"start \(1\) \+ length \(-1\) exceeds")
    raises_like(lambda m: a(m).narrow_copy(0, 3, 0), IndexError,
                r"start out of range \(expected to be in range of \[-2, 2\], but got 3\)")
    raises_like(lambda m: a(m).narrow_copy(-3, 0, 1), IndexError, "Dimension out of range")
    raises_like(lambda m: a(m).narrow_copy(2, 0, 1), RuntimeError, "Expected dim < ")
    raises_like(lambda m: a(m).narrow_copy(0, 1.0, 1), TypeError, "argument 'start' \\(position 2\\) must be int")
    raises_like(lambda m: m.tensor(3.).narrow_copy(0, 0, 1), RuntimeError,
                r"narrow\(\) cannot be applied to a 0-dim tensor\.")


# --- special -------------------------------------------------------------------------------------------

EDGE = [-40.0, -38.0, -30.0, -10.0, -5.5, -1.5, -1.0, -0.5, 0.0, 0.3, 1.0, 3.0, 8.0, 40.0, math.inf, -math.inf,
        math.nan]
UNIT = [-1.0, -0.5, 0.0, 0.2, 0.5, 0.9, 1.0, 2.0]
ONE_ARGUMENT = {"expit": EDGE, "erf": EDGE, "erfc": EDGE, "exp2": EDGE, "expm1": EDGE, "sinc": EDGE,
                "gammaln": EDGE, "entr": EDGE, "ndtr": EDGE, "log_ndtr": EDGE, "round": EDGE, "logit": UNIT,
                "erfinv": UNIT, "log1p": UNIT,
                # (digamma's gradient at the poles -n is inf in fasttensor's polygamma, finite in torch's)
                "digamma": [-5.5, -1.5, -0.5, 0.3, 1.0, 3.0, 8.0, 40.0, math.inf, math.nan],
                "psi": [-5.5, -0.5, 0.3, 3.0, 40.0]}


@pytest.mark.parametrize("name", sorted(ONE_ARGUMENT))
@pytest.mark.parametrize("dtype", F)
def test_special_one_argument(torch, name, dtype):
    if name in ("digamma", "psi") and dtype == "float64":
        # (the gradient is fasttensor's polygamma(1, x), good to ~5e-10 relative, not float64's 1e-12:
        # values only here; the gradient is compared in float32)
        both(lambda m: getattr(m.special, name)(m.tensor(ONE_ARGUMENT[name], dtype=m.float64)))
        return
    _with_grads(lambda m: (lambda a: (getattr(m.special, name)(a), [a]))(_leaf(m, ONE_ARGUMENT[name], dtype)), torch)
    _with_grads(lambda m: (lambda a: (getattr(m.special, name)(a.t()[:, ::2]), [a]))(
        _leaf(m, np.linspace(0.05, 0.95, 12).reshape(3, 4), dtype)), torch)
    both(lambda m: getattr(m.special, name)(m.tensor(0.5, dtype=getattr(m, dtype))))
    both(lambda m: getattr(m.special, name)(m.zeros(0, 3, dtype=getattr(m, dtype))))


@pytest.mark.parametrize("name", sorted(ONE_ARGUMENT))
@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool"])
def test_special_integer_inputs(name, dtype):
    call = lambda m: getattr(m.special, name)(m.tensor([1, 0, 3]).to(getattr(m, dtype)))  # noqa: E731
    if name == "round":  # (torch.special.round is the decimals form: floating only)
        raises_like(call, NotImplementedError, "not implemented for")
    else:
        assert both(call).dtype == fasttensor.float32


def test_special_known_values_without_torch():
    x = np.array([-40.0, -10.0, -1.5, 0.0, 0.3, 3.0])
    t = fasttensor.tensor(x)
    # ndtr and log_ndtr against math.erfc; log_ndtr(-40) from the tail's series: -x^2/2 - log(-x sqrt(2 pi)) + ...
    # (ndtr is torch's composition (1 + erf(x / sqrt 2)) / 2, 0 in the far tail; log_ndtr is accurate there)
    ndtr = np.array([0.5 * (1 + math.erf(v / math.sqrt(2))) for v in x])
    np.testing.assert_allclose(to_numpy(fasttensor.special.ndtr(t)), ndtr, rtol=1e-12, atol=1e-16)
    exact = np.array([0.5 * math.erfc(-v / math.sqrt(2)) for v in x[1:]])  # (math.erfc underflows at -40)
    np.testing.assert_allclose(to_numpy(fasttensor.special.log_ndtr(t[1:])), np.log(exact), rtol=1e-12)
    assert abs(fasttensor.special.log_ndtr(fasttensor.tensor([-1e3], dtype=fasttensor.float64)).item()
               - (-5e5 - math.log(1e3 * math.sqrt(2 * math.pi)) + math.log1p(-1e-6 + 3e-12))) < 1e-6
    entr = fasttensor.special.entr(fasttensor.tensor([0.0, -1.0, 0.5, math.nan], dtype=fasttensor.float64))
    np.testing.assert_array_equal(to_numpy(entr), [0.0, -math.inf, -0.5 * math.log(0.5), math.nan])
    multi = fasttensor.special.multigammaln(fasttensor.tensor([2.5, 4.0], dtype=fasttensor.float64), 3)
    expected = [sum(math.lgamma(a - j / 2) for j in range(3)) + 1.5 * math.log(math.pi) for a in (2.5, 4.0)]
    np.testing.assert_allclose(to_numpy(multi), expected, rtol=1e-12)
    xl = fasttensor.special.xlog1py(fasttensor.tensor([0.0, 2.0, 0.0]), fasttensor.tensor([-1.0, 1.0, math.nan]))
    np.testing.assert_array_equal(to_numpy(xl), np.array([0.0, 2 * math.log(2), math.nan], np.float32))
    assert fasttensor.special.psi is not None and fasttensor.special.expit(fasttensor.tensor(0.0)).item() == 0.5


@pytest.mark.parametrize("dtype", F)
def test_special_two_arguments_and_reductions(torch, dtype):
    x = [0.0, 0.0, 0.0, 1.0, 0.0, 2.0, -1.0, 0.5, math.nan, 0.0]
    y = [-1.0, math.nan, math.inf, -1.0, -2.0, 3.0, 0.5, -0.5, 1.0, 0.0]
    _with_grads(lambda m: (lambda a, b: (m.special.xlog1py(a, b), [a, b]))(_leaf(m, x, dtype), _leaf(m, y, dtype)),
                torch)
    _with_grads(lambda m: (lambda b: (m.special.xlog1py(2, b), [b]))(_leaf(m, y, dtype)), torch)
    _with_grads(lambda m: (lambda a: (m.special.xlog1py(a, 3), [a]))(_leaf(m, x, dtype)), torch)
    _with_grads(lambda m: (lambda a, b: (m.special.xlogy(a, b), [a, b]))(_leaf(m, [0.5, 2, 3], dtype),
                                                                         _leaf(m, [0.5, 3, 1], dtype)), torch)
    values = np.random.default_rng(0).normal(size=(3, 4))
    _with_grads(lambda m: (lambda a: (m.special.logsumexp(a, 1), [a]))(_leaf(m, values, dtype)), torch)
    _with_grads(lambda m: (lambda a: (m.special.softmax(a, 0), [a]))(_leaf(m, values, dtype)), torch)
    _with_grads(lambda m: (lambda a: (m.special.log_softmax(a.t(), -1), [a]))(_leaf(m, values, dtype)), torch)
    _with_grads(lambda m: (lambda a: (m.special.logit(a, eps=0.1), [a]))(_leaf(m, UNIT, dtype)), torch)
    _with_grads(lambda m: (lambda a: (m.special.round(a, decimals=1), [a]))(
        _leaf(m, [-1.25, -0.55, 0.26, 0.95, 2], dtype)), torch)
    for p in (1, 2, 3):
        _with_grads(lambda m: (lambda a: (m.special.multigammaln(a, p), [a]))(
            _leaf(m, [0.4, 0.6, 1, 1.5, 2, 3.7, 10], dtype)), torch)
    both(lambda m: m.special.multigammaln(m.tensor([3, 2]), 2))
    both(lambda m: m.special.softmax(m.tensor([1, 2]), 0, dtype=m.float64))
    both(lambda m: m.special.xlog1py(m.tensor([1, 2]), m.tensor([1, 2])))


def test_special_errors():
    raises_like(lambda m: m.special.multigammaln(m.tensor([3.0]), 0), RuntimeError,
                "p has to be greater than or equal to 1")
    raises_like(lambda m: m.special.entr([1.0]), TypeError, "must be Tensor, not list")
    raises_like(lambda m: m.special.xlog1py(1, 2), TypeError, "received an invalid combination of arguments")
    with pytest.raises(AttributeError):
        fasttensor.special.i0  # noqa: B018 - needs a kernel fasttensor does not have
