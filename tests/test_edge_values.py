"""Edge values and argument forms found by differential hunts against torch 2.13: NaN and
infinite inputs, empty reductions, gradients of piecewise-constant ops, the nodes' names,
argument combinations torch refuses. Hand-computed values always; torch's values, dtypes
and exception types too when it is installed."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import fasttensor
from helpers import HAVE_TORCH, torch

nan, inf = math.nan, math.inf


def libs():
    return [fasttensor, torch] if HAVE_TORCH else [fasttensor]


def equal_nan(actual, expected) -> None:
    got = actual.detach().numpy()
    np.testing.assert_array_equal(got, np.asarray(expected, dtype=got.dtype))


# --- values ---------------------------------------------------------------------------------


@pytest.mark.parametrize("m", libs(), ids=lambda m: m.__name__)
def test_atan2_of_nan_over_zero_is_nan(m) -> None:
    y = m.tensor([nan, nan, 0.0, -0.0, 0.0, 1.0])
    x = m.tensor([0.0, -0.0, 0.0, -0.0, nan, 0.0])
    equal_nan(m.atan2(y, x), [nan, nan, 0.0, -math.pi, nan, math.pi / 2])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_hypot_without_overflow_or_underflow(dtype) -> None:
    big = 1e19 if dtype == "float32" else 1e300
    tiny = 1e-30 if dtype == "float32" else 1e-300
    top = 1e38 if dtype == "float32" else 1e308
    a = [3 * big, tiny, 0.0, inf, nan, 0.0, -3.0, top, -inf]
    b = [4 * big, tiny, top, nan, -inf, -0.0, 4.0, top, 2.0]
    expected = np.array([5 * big, math.sqrt(2) * tiny, top, inf, inf, 0.0, 5.0, math.sqrt(2) * top, inf],
                        dtype=dtype)
    for m in libs():
        out = m.hypot(m.tensor(a, dtype=getattr(m, dtype)), m.tensor(b, dtype=getattr(m, dtype)))
        np.testing.assert_allclose(out.numpy(), expected, rtol=2 * np.finfo(dtype).eps)
        assert out.dtype == getattr(m, dtype)


def test_hypot_matches_torch_and_its_gradient() -> None:
    rng = np.random.default_rng(0)
    data = rng.standard_normal((2, 5, 7)) * np.exp(rng.uniform(-40, 40, (2, 5, 7)))
    for dtype in ("float32", "float64"):
        a = fasttensor.tensor(data[0].astype(dtype), requires_grad=True)
        b = fasttensor.tensor(data[1, :1].astype(dtype), requires_grad=True)  # broadcast (1, 7)
        out = fasttensor.hypot(a, b)
        assert out.grad_fn.name() == "HypotBackward0"
        out.backward(fasttensor.ones_like(out))
        exact = np.hypot(data[0], data[1, :1])
        np.testing.assert_allclose(out.detach().numpy(), exact, rtol=2 * np.finfo(dtype).eps)
        np.testing.assert_allclose(a.grad.numpy(), data[0] / exact, rtol=10 * np.finfo(dtype).eps)
        np.testing.assert_allclose(b.grad.numpy(), (data[1, :1] / exact).sum(0, keepdims=True),
                                   rtol=50 * np.finfo(dtype).eps)
    # At the origin the gradient is 0/0, as torch's.
    z = fasttensor.zeros(2, requires_grad=True)
    fasttensor.hypot(z, fasttensor.zeros(2)).sum().backward()
    assert np.isnan(z.grad.numpy()).all()


@pytest.mark.parametrize("m", libs(), ids=lambda m: m.__name__)
def test_var_and_std_of_no_data_are_nan_whatever_the_correction(m) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for correction in (-1, 0, 1, 2):
            assert math.isnan(m.var(m.zeros(0), correction=correction).item())
            assert math.isnan(m.std(m.zeros(0), correction=correction).item())
        equal_nan(m.var(m.zeros(0, 3), 0, correction=-1), [nan] * 3)
        equal_nan(m.var(m.ones(2), correction=3), nan)  # negative degrees of freedom: 0 / 0


@pytest.mark.parametrize("m", libs(), ids=lambda m: m.__name__)
def test_all_any_with_an_empty_dim_tuple_reduce_nothing(m) -> None:
    # Unlike sum(dim=()), which reduces everything.
    x = m.tensor([[1, 0, 2]], dtype=m.uint8)
    for fn in (m.all, m.any):
        out = fn(x, dim=())
        assert out.dtype == m.uint8 and out.tolist() == [[1, 0, 1]]
        out = fn(m.tensor([[1.0, 0.0, nan]]), dim=())
        assert out.dtype == m.bool and out.tolist() == [[True, False, True]]
    assert m.tensor([[1.0, 0.0]]).sum(dim=()).item() == 1.0


def test_where_takes_a_uint8_condition_with_a_deprecation_warning() -> None:
    m = fasttensor  # torch warns once a process, so only its values are compared
    cond = m.tensor([1, 0, 7], dtype=m.uint8)
    with pytest.warns(UserWarning, match="where received a uint8 condition tensor"):
        out = m.where(cond, 1.0, 0.0)
    assert out.tolist() == [1.0, 0.0, 1.0]
    with pytest.warns(UserWarning, match="uint8 condition"):
        assert m.ones(3).where(cond, m.zeros(3)).tolist() == [1.0, 0.0, 1.0]
    if HAVE_TORCH:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert torch.where(torch.tensor([1, 0, 7], dtype=torch.uint8), 1.0, 0.0).tolist() == [1.0, 0.0, 1.0]


# --- gradients ------------------------------------------------------------------------------


@pytest.mark.parametrize("m", libs(), ids=lambda m: m.__name__)
@pytest.mark.parametrize("mode", ["floor", "trunc"])
def test_div_with_rounding_has_a_zero_gradient(m, mode) -> None:
    x = m.tensor([1.0, -2.0, 7.5], requires_grad=True)
    d = m.tensor([3.0], requires_grad=True)
    out = m.div(x, d, rounding_mode=mode)
    assert out.grad_fn.name() == "DivBackward2"
    expected = [0.0, -1.0, 2.0] if mode == "floor" else [0.0, -0.0, 2.0]
    assert out.tolist() == expected
    out.sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0] and d.grad.tolist() == [0.0]
    # Integers: no graph, same quotients as floor_divide / C division.
    assert m.div(m.tensor([7, -7]), 2, rounding_mode=mode).tolist() == ([3, -4] if mode == "floor" else [3, -3])
    # floor_divide itself still refuses its derivative, as torch.
    with pytest.raises(RuntimeError, match="floor_divide"):
        (m.tensor([1.0], requires_grad=True) // 2).sum().backward()


@pytest.mark.parametrize("m", libs(), ids=lambda m: m.__name__)
def test_amax_gradient_at_a_nan_result_is_nan_but_max_goes_to_the_nan(m) -> None:
    a = m.tensor([1.0, nan, 3.0], requires_grad=True)
    m.amax(a).backward()
    assert np.isnan(a.grad.numpy()).all()
    b = m.tensor([[1.0, nan], [2.0, 4.0]], requires_grad=True)
    b.amin(1).sum().backward()
    equal_nan(b.grad, [[nan, nan], [1.0, 0.0]])
    c = m.tensor([1.0, nan, 3.0], requires_grad=True)
    c.max().backward()
    assert c.grad.tolist() == [0.0, 1.0, 0.0]


@pytest.mark.parametrize("m", libs(), ids=lambda m: m.__name__)
def test_zero_norm_keeps_the_graph_without_a_gradient(m) -> None:
    x = m.tensor([[0.0, 2.0, -1.0], [0.0, 0.0, 3.0]], requires_grad=True)
    n = x.norm(p=0)
    assert n.item() == 3.0 and n.requires_grad and n.dtype == m.float32
    assert m.linalg.vector_norm(x, 0, dim=1).tolist() == [2.0, 1.0]
    assert m.linalg.vector_norm(x, 0, dim=1, keepdim=True).shape == (2, 1)
    n.backward()
    assert x.grad is None  # the node gives no gradient
    (x.norm(p=0) + x.sum()).backward()
    assert x.grad.tolist() == [[1.0] * 3] * 2


def test_grad_fn_names_of_python_nodes_are_torch_names() -> None:
    x = fasttensor.tensor([[2.0, 1.0], [1.0, 3.0]], dtype=fasttensor.float64, requires_grad=True)
    names = {
        "LinalgInvExBackward0": fasttensor.linalg.inv(x),
        "LinalgDetBackward0": fasttensor.det(x),
        "LinalgSlogdetBackward0": fasttensor.slogdet(x)[1],
        "LinalgSolveExBackward0": fasttensor.linalg.solve(x, x),
        "MedianBackward0": x.median(),
        "NanmedianBackward0": x.nanmedian(),
        "ErfinvBackward0": fasttensor.erfinv(x * 0.1),
    }
    for name, out in names.items():
        assert out.grad_fn.name() == name, (name, out.grad_fn)
        if HAVE_TORCH:
            tx = torch.tensor(x.tolist(), dtype=torch.float64, requires_grad=True)
            theirs = {"LinalgInvExBackward0": torch.linalg.inv(tx), "LinalgDetBackward0": torch.det(tx),
                      "LinalgSlogdetBackward0": torch.slogdet(tx)[1],
                      "LinalgSolveExBackward0": torch.linalg.solve(tx, tx), "MedianBackward0": tx.median(),
                      "NanmedianBackward0": tx.nanmedian(), "ErfinvBackward0": torch.erfinv(tx * 0.1)}[name]
            assert type(theirs.grad_fn).__name__ == name


# --- arguments ------------------------------------------------------------------------------


@pytest.mark.parametrize("m", libs(), ids=lambda m: m.__name__)
def test_nanmean_refuses_an_integer_dtype(m) -> None:
    with pytest.raises(RuntimeError, match="nanmean\\(\\): could not infer output dtype.*Got: Long"):
        m.nanmean(m.tensor([1.0, -1.0, nan]), dtype=m.int64)
    assert m.nanmean(m.tensor([1.0, nan, 2.0]), dtype=m.float64).item() == 1.5


@pytest.mark.parametrize("m", libs(), ids=lambda m: m.__name__)
def test_clamp_bounds_are_both_tensors_or_both_numbers(m) -> None:
    x = m.tensor([5, -7, 3])
    with pytest.raises(TypeError, match="clamp\\(\\) received an invalid combination of arguments"):
        m.clamp(x, min=m.tensor([0]), max=1)
    with pytest.raises(TypeError, match="clamp\\(\\) received an invalid combination of arguments"):
        x.clamp(m.tensor([2]), 4)
    assert x.clamp(2, m.tensor(4)).tolist() == [4, 2, 3]  # a 0-d tensor is a number there
    assert x.clamp(m.tensor(2.5), 4).tolist() == [4.0, 2.5, 3.0]
    # In place, the result must fit the tensor's dtype; x is left as it was.
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        x.clamp_(max=m.tensor([1.5, 1.5, 1.5]))
    assert x.tolist() == [5, -7, 3]
    assert x.clamp(max=m.tensor([1.5, 1.5, 1.5])).tolist() == [1.5, -7.0, 1.5]
    assert x.clamp_(max=m.tensor([1, 1, 1])).tolist() == [1, -7, 1]


def test_erfinv_near_plus_minus_one_in_float64() -> None:
    # Residuals erf(y) - x lose the digits that decide y there; erfc(5.863584748755168) = 1.1102e-16.
    x = fasttensor.tensor([1 - 2.0 ** -53, -1 + 2.0 ** -53, 1 - 1e-10, 0.5, -0.0], dtype=fasttensor.float64)
    y = fasttensor.erfinv(x).numpy()
    np.testing.assert_allclose(y[:4], [5.863584748755168, -5.863584748755168, 4.572824958544925,
                                       0.4769362762044699], rtol=1e-14)
    assert y[4] == 0.0 and math.copysign(1.0, y[4]) == -1.0  # -0.0 keeps its sign
    for v, r in zip(y[:3], (2.0 ** -53, 2.0 ** -53, 1e-10)):
        assert math.erfc(abs(v)) == pytest.approx(r, rel=1e-13)
    if HAVE_TORCH:
        grid = np.concatenate([np.linspace(-1, 1, 20001), 1 - np.logspace(-16, -1, 200)])
        ours = fasttensor.erfinv(fasttensor.tensor(grid)).numpy()
        theirs = torch.erfinv(torch.tensor(grid)).numpy()
        finite = np.isfinite(theirs)
        np.testing.assert_array_equal(np.isinf(ours), np.isinf(theirs))
        np.testing.assert_allclose(ours[finite], theirs[finite], rtol=1e-15, atol=1e-300)


# --- autograd through views, casts and zeros -------------------------------------------------


@pytest.mark.parametrize("m", libs(), ids=lambda m: m.__name__)
def test_in_place_on_a_view_of_a_leaf_view_that_requires_grad_raises(m) -> None:
    # x is itself a view (of arange / randn) and a leaf requiring grad: its views are refused too.
    for make in (lambda: m.arange(6.0).reshape(2, 3).requires_grad_(), lambda: m.ones(3, 4).T.requires_grad_()):
        x = make()
        before = x.detach().clone()
        with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad"):
            x[0].mul_(2)
        assert m.equal(x.detach(), before) and x.is_leaf
    base = m.zeros(4)  # a view of a leaf that does not require grad may be written
    v = base[1:3]
    v.add_(m.ones(2, requires_grad=True))
    assert base.tolist() == [0.0, 1.0, 1.0, 0.0] and base.requires_grad and not base.is_leaf


@pytest.mark.parametrize("m", libs(), ids=lambda m: m.__name__)
def test_alpha_keeps_the_gradient_of_an_operand_of_another_dtype(m) -> None:
    a = m.tensor([0.5, -1.5, 2.0], requires_grad=True)
    b = m.tensor(1.25, dtype=m.float64, requires_grad=True)
    out = m.sub(a, b, alpha=2)
    assert out.dtype == m.float32
    out.sum().backward()
    assert b.grad.tolist() == -6.0 and b.grad.dtype == m.float64 and a.grad.tolist() == [1.0] * 3
    c = m.tensor(0.5, dtype=m.float64, requires_grad=True)
    y = m.zeros(3, requires_grad=True).clone()
    y.add_(c, alpha=3)
    y.sum().backward()
    assert c.grad.tolist() == 9.0


@pytest.mark.parametrize("m", libs(), ids=lambda m: m.__name__)
def test_second_derivatives_of_prod_and_norm_at_zero_entries(m) -> None:
    x = m.tensor([2.0, 0.0, 3.0], dtype=m.float64, requires_grad=True)
    (g,) = m.autograd.grad(x.prod(), x, create_graph=True)
    assert g.tolist() == [0.0, 6.0, 0.0]
    assert m.autograd.grad(g.sum(), x)[0].tolist() == [3.0, 5.0, 2.0]  # was NaN: 0 * inf through x / 0
    n13 = math.sqrt(13.0)
    (g,) = m.autograd.grad(x.norm(), x, create_graph=True)
    np.testing.assert_allclose(m.autograd.grad(g[1], x)[0].numpy(), [0.0, 1 / n13, 0.0], atol=1e-15)
    (g,) = m.autograd.grad(x.norm(3), x, create_graph=True)
    n3 = 35.0 ** (1 / 3)
    np.testing.assert_allclose(g.detach().numpy(), [4 / n3 ** 2, 0.0, 9 / n3 ** 2], rtol=1e-14)
    (g,) = m.autograd.grad(x.norm(1.5), x, create_graph=True)
    second = m.autograd.grad(g[0] + g[2], x)[0].numpy()
    assert np.isfinite(second[[0, 2]]).all() and np.isnan(second[1])  # inf slope of |x|^0.5 at 0 only


@pytest.mark.parametrize("m", libs(), ids=lambda m: m.__name__)
def test_second_derivatives_of_prod_with_two_or_more_zeros(m) -> None:
    # d2 prod / dx_i dx_j is the product of the rest: 6 for the two zeros of [0, 2, 0, 3], nonzero
    # only where the pair covers all the zeros.
    x = m.tensor([0.0, 2.0, 0.0, 3.0], dtype=m.float64, requires_grad=True)
    (g,) = m.autograd.grad(x.prod(), x, create_graph=True)
    assert g.tolist() == [0.0, 0.0, 0.0, 0.0]
    weight = m.tensor([1.0, 2.0, 3.0, 4.0], dtype=m.float64)
    assert m.autograd.grad((g * weight).sum(), x)[0].tolist() == [18.0, 0.0, 6.0, 0.0]
    # Per dim, keepdim: columns [0, 0, 5] (two zeros), [1, 0, 2] (one), [0, 0, 0] (three).
    y = m.tensor([[0.0, 1.0, 0.0], [0.0, 0.0, 0.0], [5.0, 2.0, 0.0]], dtype=m.float64, requires_grad=True)
    (g,) = m.autograd.grad(y.prod(0, keepdim=True).sum(), y, create_graph=True)
    assert g.tolist() == [[0.0, 0.0, 0.0], [0.0, 2.0, 0.0], [0.0, 0.0, 0.0]]
    (h,) = m.autograd.grad((g * m.arange(1.0, 10.0, dtype=m.float64).reshape(3, 3)).sum(), y)
    # The sum is w0 y1 y2 + w1 y0 y2 + w2 y0 y1 per column (w: that column's weights 1..9).
    # Column 0 (w 1, 4, 7): d/dy00 = 4 * 5, d/dy10 = 1 * 5, d/dy20 = 0 (y00 = y10 = 0).
    # Column 1 (w 2, 5, 8): d/dy01 = 5 * 2 + 8 * 0, d/dy11 = 2 * 2 + 8 * 1, d/dy21 = 2 * 0 + 5 * 1.
    # Column 2: three zeros, all 0.
    assert h.tolist() == [[20.0, 10.0, 0.0], [5.0, 12.0, 0.0], [0.0, 5.0, 0.0]]


@pytest.mark.parametrize("m", libs(), ids=lambda m: m.__name__)
def test_squeeze_of_an_empty_dim_list_and_chunks_of_an_empty_dim(m) -> None:
    x = m.ones(1, 3, 1, requires_grad=True)
    assert x.squeeze(()).shape == (1, 3, 1) and x.squeeze([]).shape == (1, 3, 1)
    assert x.squeeze().shape == (3,) and m.squeeze(x, (0, 2)).shape == (3,)
    x.squeeze(()).sum().backward()
    assert x.grad.shape == (1, 3, 1)
    assert [tuple(t.shape) for t in m.zeros(0).chunk(3)] == [(0,)] * 3
    assert [tuple(t.shape) for t in m.zeros(1, 0).chunk(2, 1)] == [(1, 0)] * 2
    assert [tuple(t.shape) for t in m.zeros(5).chunk(3)] == [(2,), (2,), (1,)]


# --- conversions and Python protocols ---------------------------------------------------------


@pytest.mark.parametrize("m", libs(), ids=lambda m: m.__name__)
def test_int_of_a_float_tensor_is_pythons_int(m) -> None:
    assert int(m.tensor(1e20)) == int(np.float32(1e20)) and int(m.tensor(2.0 ** 63)) == 2 ** 63  # float32 1e20
    assert int(m.tensor(-3.7)) == -3 and int(m.tensor([5])) == 5
    with pytest.raises(ValueError, match="cannot convert float NaN to integer"):
        int(m.tensor(nan))
    with pytest.raises(OverflowError, match="cannot convert float infinity to integer"):
        int(m.tensor(-inf))


@pytest.mark.parametrize("m", libs(), ids=lambda m: m.__name__)
def test_data_of_a_tensor_requiring_grad_must_stay_floating(m) -> None:
    x = m.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="data set to a tensor that requires gradients must be floating point"):
        x.data = m.zeros(2, dtype=m.int64)
    assert x.dtype == m.float32 and x.tolist() == [1.0, 1.0]
    x.data = m.zeros(3, dtype=m.float64)
    assert x.dtype == m.float64 and x.shape == (3,) and x.requires_grad


@pytest.mark.parametrize("m", libs(), ids=lambda m: m.__name__)
def test_numpy_arrays_of_int64_tensors_print_as_numpys_own(m) -> None:
    arr = m.arange(3).numpy()
    assert repr(arr) == "array([0, 1, 2])" and arr.dtype == np.dtype(np.int64)
    assert repr(np.asarray(m.tensor([[1, 2]]))) == "array([[1, 2]])"
    assert m.from_numpy(np.arange(3)).tolist() == [0, 1, 2]


@pytest.mark.parametrize("m", libs(), ids=lambda m: m.__name__)
def test_numpy_functions_of_a_tensor_give_a_tensor(m) -> None:
    import warnings as w

    t = m.tensor([1.0, 4.0])
    with w.catch_warnings():
        w.simplefilter("ignore", DeprecationWarning)  # torch's __array_wrap__ lacks NumPy 2's arguments
        out = np.sqrt(t)
        assert isinstance(out, m.Tensor) and out.dtype == m.float32 and out.tolist() == [1.0, 2.0]
        zero_d = np.sqrt(m.tensor(4.0))
        assert isinstance(zero_d, m.Tensor) and zero_d.shape == () and zero_d.item() == 2.0
        mask = np.isnan(t)
        assert isinstance(mask, m.Tensor) and mask.dtype == m.uint8 and mask.tolist() == [0, 0]
        assert np.maximum(t, 2).tolist() == [2.0, 4.0]
        product = t @ np.array([1.0, 2.0])
        assert isinstance(product, m.Tensor) and product.dtype == m.float64 and product.item() == 9.0
    assert isinstance(np.asarray(t), np.ndarray) and isinstance(np.concatenate([t, t]), np.ndarray)


@pytest.mark.parametrize("m", libs(), ids=lambda m: m.__name__)
def test_reversed_and_contains(m) -> None:
    t = m.tensor([[1.0, 2.0], [3.0, 4.0]])
    r = reversed(t)
    assert isinstance(r, m.Tensor) and r.tolist() == [[3.0, 4.0], [1.0, 2.0]]
    assert reversed(m.tensor(5.0)).item() == 5.0
    assert 4.0 in t and 7 not in t and m.tensor(2.0) in t
    for bad in ("a", None, [1, 2]):
        with pytest.raises(RuntimeError, match="Tensor.__contains__ only supports Tensor or scalar"):
            bad in t  # noqa: B015


@pytest.mark.parametrize("m", libs(), ids=lambda m: m.__name__)
def test_python_ints_beyond_64_bits_raise_overflow_error(m) -> None:
    t = m.tensor([3])
    for big in (2 ** 64, 2 ** 70, -(2 ** 70)):
        with pytest.raises(OverflowError):  # torch: "can't convert negative int to unsigned" for the last
            t + big
        with pytest.raises(OverflowError):
            m.tensor([3.0]) * big
    with pytest.raises(OverflowError, match="int too big to convert"):
        t + 2 ** 70
    with pytest.raises(RuntimeError, match="value cannot be converted to type int64_t without overflow"):
        t.clone().fill_(2 ** 63)
    assert t.tolist() == [3]


@pytest.mark.parametrize("m", libs(), ids=lambda m: m.__name__)
def test_keepdim_without_a_dim_is_refused_where_torch_refuses_it(m) -> None:
    x = m.ones(2, 3)
    for call in (lambda: x.sum(keepdim=True), lambda: x.mean(keepdim=True), lambda: x.prod(keepdim=True),
                 lambda: x.max(keepdim=True), lambda: m.sum(x, keepdim=True), lambda: m.max(x, dim=None)):
        with pytest.raises(TypeError, match="received an invalid combination of arguments"):
            call()
    assert x.sum(dim=None, keepdim=True).shape == (1, 1) and x.mean(None, True).shape == (1, 1)
    assert x.amax(keepdim=True).shape == (1, 1) and x.std(keepdim=True).shape == (1, 1)
    assert x.prod(1, keepdim=True).shape == (2, 1) and x.max(dim=1, keepdim=True).values.shape == (2, 1)


@pytest.mark.parametrize("m", libs(), ids=lambda m: m.__name__)
def test_empty_reductions_without_an_identity(m) -> None:
    with pytest.raises(RuntimeError, match="cannot compute the inf norm on an empty tensor"):
        m.linalg.vector_norm(m.zeros(0, 2), inf)
    with pytest.raises(RuntimeError, match="cannot compute the -inf norm on the dimension 0"):
        m.norm(m.zeros(0, 2), -inf, dim=(0, 1))
    assert m.linalg.vector_norm(m.zeros(0, 2), inf, dim=1).shape == (0,)
    with pytest.raises(IndexError, match="kthvalue\\(\\): Expected reduction dim 1 to have non-zero size"):
        m.kthvalue(m.zeros(3, 0), 1, dim=1)
    assert m.kthvalue(m.zeros(0, 3), 1, dim=1).values.shape == (0,)


@pytest.mark.parametrize("m", libs(), ids=lambda m: m.__name__)
def test_requires_grad_messages_and_new_factories_need_a_size(m) -> None:
    x = m.zeros(2, dtype=m.int64)
    with pytest.raises(RuntimeError, match="^only Tensors of floating point dtype can require gradients"):
        x.requires_grad_()
    with pytest.raises(RuntimeError, match="^only Tensors of floating point and complex dtype can require gradients"):
        x.requires_grad = True
    with pytest.raises(RuntimeError, match="^Only Tensors of floating point and complex dtype can require gradients"):
        m.zeros(2, dtype=m.int64, requires_grad=True)
    assert not x.requires_grad
    for name in ("new_zeros", "new_ones", "new_empty"):
        with pytest.raises(TypeError, match=f'{name}\\(\\) missing 1 required positional arguments: "size"'):
            getattr(x, name)()
        assert getattr(x, name)(()).shape == () and getattr(x, name)(2, 3).shape == (2, 3)


# --- ranges, rounded as PyTorch's CPU kernels round them ----------------------------------------


def test_linspace_and_arange_round_as_torch_by_hand() -> None:
    # linspace: in the dtype, step = (end - start) / (n - 1) = fl(20 / 6), the second half counted back
    # from end with one (fused) rounding: 10 - 3 * 3.3333332538604736 = 2.384185791015625e-07.
    x = fasttensor.linspace(-10, 10, 7)
    assert x[3].item() == 2.384185791015625e-07 and x[6].item() == 10.0 and x[0].item() == -10.0
    assert fasttensor.linspace(0.5, 10.7, 5, dtype=fasttensor.int64).tolist() == [0, 2, 5, 7, 10]  # ends truncated
    assert fasttensor.linspace(3, 5, 1).tolist() == [3.0] and fasttensor.linspace(0, 1, 0).shape == (0,)
    # arange: elements 8..15 of a 20-long float arange come from base = fl32(start + 8 step) plus j step in
    # double: fl32(-0.19999999999999996) + 2 * 0.1 = -2.98e-09, where start + 10 step would be 0.
    y = fasttensor.arange(-1, 1, 0.1)
    assert y[10].item() == float(np.float32(np.float64(np.float32(-1 + 8 * 0.1)) + 2 * 0.1))
    assert y[10].item() == pytest.approx(-2.9802322e-09, rel=1e-6)
    assert fasttensor.arange(-8.0, 8.0, 0.1)[80].item() == 4.440892098500626e-16  # fma(0.1, 80, -8) exactly


@pytest.mark.skipif(not HAVE_TORCH, reason="compares with torch's values")
@pytest.mark.parametrize("threads", [1, 2])
def test_linspace_and_arange_equal_torch_bit_for_bit(threads) -> None:
    before = (fasttensor.get_num_threads(), torch.get_num_threads())
    fasttensor.set_num_threads(threads)
    torch.set_num_threads(threads)
    try:
        for dt in ("float32", "float64"):
            for a, b, step in [(-1, 1, 0.1), (-8.0, 8.0, 0.1), (0, 100, 0.37), (-1000, 1000, 0.01), (5, -5, -0.003)]:
                ours = fasttensor.arange(a, b, step, dtype=getattr(fasttensor, dt)).numpy()
                theirs = torch.arange(a, b, step, dtype=getattr(torch, dt)).numpy()
                np.testing.assert_array_equal(ours, theirs)
            for a, b, n in [(-10, 10, 7), (-1, 1, 21), (-5, 5, 100001), (-3.3, 7.1, 77), (3, -2, 50000)]:
                ours = fasttensor.linspace(a, b, n, dtype=getattr(fasttensor, dt)).numpy()
                np.testing.assert_array_equal(ours, torch.linspace(a, b, n, dtype=getattr(torch, dt)).numpy())
        for a, b, n, dt in [(2.9, -3.9, 5, "int64"), (-3, 1000, 33, "int32"), (0, 255, 7, "uint8")]:
            ours = fasttensor.linspace(a, b, n, dtype=getattr(fasttensor, dt)).numpy()
            np.testing.assert_array_equal(ours, torch.linspace(a, b, n, dtype=getattr(torch, dt)).numpy())
    finally:
        fasttensor.set_num_threads(before[0])
        torch.set_num_threads(before[1])


# --- in-place layout changes and out= ---------------------------------------------------------


@pytest.mark.parametrize("m", libs(), ids=lambda m: m.__name__)
@pytest.mark.parametrize("change", ["t_", "transpose_", "squeeze_", "unsqueeze_"])
def test_in_place_layout_changes_count_as_in_place_for_autograd(m, change) -> None:
    x = m.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    w = m.tensor([[1.0, 0.0], [0.0, 0.0]], requires_grad=True)
    a = x * 1
    z = a * w  # saves a
    {"t_": lambda: a.t_(), "transpose_": lambda: a.transpose_(0, 1), "squeeze_": lambda: a.unsqueeze_(0).squeeze_(0),
     "unsqueeze_": lambda: a.unsqueeze_(0)}[change]()
    assert a._version >= 1
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()


@pytest.mark.parametrize("m", libs(), ids=lambda m: m.__name__)
def test_out_is_resized_checked_and_refused_under_autograd(m) -> None:
    import warnings as w

    o = m.empty(0)
    assert m.add(m.ones(2), 1, out=o) is o and o.tolist() == [2.0, 2.0]
    o = m.empty(3)
    with pytest.warns(UserWarning, match="An output with one or more elements was resized"):
        m.exp(m.zeros(2), out=o)
    assert o.tolist() == [1.0, 1.0]
    x = m.ones(3, requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match="functions with out=... arguments don't support automatic differentiation"):
        m.exp(m.ones(3), out=y)
    with w.catch_warnings():
        w.simplefilter("error")  # a comparison into out has no gradient to refuse
        assert m.eq(m.ones(2, requires_grad=True), 1, out=m.empty(2, dtype=m.bool)).tolist() == [True, True]
    with pytest.raises(TypeError, match="cat\\(\\): input types can't be cast to the desired output type Long"):
        m.cat([m.full((2,), 0.7)], out=m.empty(2, dtype=m.int64))
    with pytest.raises(RuntimeError, match="Expected out tensor to have dtype float, but got long int instead"):
        m.mm(m.ones(2, 2), m.ones(2, 2), out=m.empty(2, 2, dtype=m.int64))
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        m.exp(m.ones(2), out=m.empty(2, dtype=m.int64))
    o = m.empty(2, 2)
    assert m.tensordot(m.ones(2, 3), m.ones(3, 2), dims=1, out=o) is o and o.tolist() == [[3.0, 3.0]] * 2
    o = m.empty(2)
    assert m.div(m.tensor([7.0, -7.0]), 2, rounding_mode="floor", out=o) is o and o.tolist() == [3.0, -4.0]
    t = m.zeros(3)
    assert t.copy_(m.ones(3), non_blocking=True) is t and t.copy_(3.0).tolist() == [3.0] * 3


# --- masks: nonzero, x[mask], x[mask] = v (the blocked / one-pass kernels) --------------------------


@pytest.mark.parametrize("shape", [(), (0,), (5,), (3, 4, 5), (256, 100), (0, 3), (2, 0, 3), (40000,), (7, 5000, 3),
                                   (3, 1, 20000)], ids=str)
def test_nonzero_and_masks_against_numpy(shape) -> None:
    rng = np.random.default_rng(len(shape))
    data = rng.standard_normal(shape).astype(np.float32)
    mask = data > 0.3
    np.testing.assert_array_equal(fasttensor.tensor(mask).nonzero().numpy(), np.argwhere(mask))
    if len(shape) >= 2:  # a transposed (non-contiguous) mask
        np.testing.assert_array_equal(fasttensor.tensor(mask).transpose(0, 1).nonzero().numpy(),
                                      np.argwhere(mask.swapaxes(0, 1)))
    x = fasttensor.tensor(data)
    np.testing.assert_array_equal(x[fasttensor.tensor(mask)].numpy(), data[mask])
    y = x.clone()
    y[y > 0.3] = -1.0
    expected = data.copy()
    expected[mask] = -1.0
    np.testing.assert_array_equal(y.numpy(), expected)


def test_masks_over_views_write_through_and_keep_gradients() -> None:
    base = fasttensor.arange(12.0).reshape(3, 4)
    view = base.t()  # (4, 3), not contiguous: the mask's dims do not merge
    view[view > 6] = 0.0
    assert base.tolist() == [[0.0, 1.0, 2.0, 3.0], [4.0, 5.0, 6.0, 0.0], [0.0, 0.0, 0.0, 0.0]]
    block = fasttensor.arange(24.0).reshape(2, 3, 4)[:, 1:]  # dims 1, 2 merge; dim 0 strides over them
    block[block > 15] = -1.0
    assert block.tolist() == [[[4.0, 5.0, 6.0, 7.0], [8.0, 9.0, 10.0, 11.0]],
                              [[-1.0] * 4, [-1.0] * 4]]
    x = fasttensor.tensor([[1.0, -2.0, 3.0], [4.0, -5.0, 6.0]], requires_grad=True)
    picked = x[x > 0]
    assert picked.grad_fn.name() == "IndexBackward0" and picked.tolist() == [1.0, 3.0, 4.0, 6.0]
    (picked * fasttensor.tensor([1.0, 2.0, 3.0, 4.0])).sum().backward()
    assert x.grad.tolist() == [[1.0, 0.0, 2.0], [3.0, 0.0, 4.0]]


@pytest.mark.parametrize("m", libs(), ids=lambda m: m.__name__)
def test_shallow_copy_shares_memory(m) -> None:
    import copy

    t = m.ones(2, requires_grad=True)
    c = copy.copy(t)
    assert c.requires_grad and c.is_leaf and c.data_ptr() == t.data_ptr() and c is not t
    p = m.nn.Parameter(m.ones(2))
    cp = copy.copy(p)
    assert type(cp) is type(p) and cp.data_ptr() == p.data_ptr()
    x = m.ones(2)
    x.note = "kept"
    y = copy.copy(x)
    y[0] = 5.0
    assert x.tolist() == [5.0, 1.0] and y.note == "kept"


@pytest.mark.parametrize("m", libs(), ids=lambda m: m.__name__)
def test_remainder_is_twice_differentiable(m) -> None:
    a = m.tensor([5.0, -7.0, 3.5], dtype=m.float64, requires_grad=True)
    b = m.tensor([2.0, 3.0, -1.5], dtype=m.float64, requires_grad=True)
    ga, gb = m.autograd.grad(m.remainder(a, b).sum(), (a, b), create_graph=True)
    assert ga.tolist() == [1.0, 1.0, 1.0] and gb.tolist() == [-2.0, 3.0, 3.0]  # -floor(a / b)
    second = m.autograd.grad(gb.sum(), (a, b))
    assert second[0].tolist() == [0.0] * 3 and second[1].tolist() == [0.0] * 3


@pytest.mark.parametrize("m", libs(), ids=lambda m: m.__name__)
def test_permute_needs_its_dims(m) -> None:
    with pytest.raises(TypeError, match="permute\\(\\) missing 1 required positional arguments"):
        m.tensor(1.0).permute()
    assert m.tensor(1.0).permute(()).shape == () and m.ones(2, 3).permute(dims=(1, 0)).shape == (3, 2)


# --- integers at their limits (each a C++ undefined behaviour before: a plain cast or a signed
# overflow; one compiler's result is no specification, so the values are written out) ------------


@pytest.mark.parametrize("m", libs(), ids=lambda m: m.__name__)
def test_int64_clamp_with_one_bound_keeps_the_other_open(m) -> None:
    x = m.tensor([3, -2, 2**62, -(2**62)])
    assert x.clamp(min=0).tolist() == [3, 0, 2**62, 0]
    assert x.clamp(max=0).tolist() == [0, -2, 0, -(2**62)]
    assert x.clamp(min=-(2**63), max=2**63 - 1).tolist() == x.tolist()
    # Bounds are numbers of the tensor's dtype: out of its range raises as fill_ does; uint8 wraps
    # negative ones (-5 is 251).
    for dtype, kwargs, name in [(m.int32, {"min": -(2**40)}, "int"), (m.int32, {"max": 2**31}, "int"),
                                (m.uint8, {"max": 256}, "uint8_t"), (m.uint8, {"min": -256}, "uint8_t")]:
        x = m.tensor([3, 2], dtype=dtype)
        with pytest.raises(RuntimeError, match=f"value cannot be converted to type {name} without overflow"):
            x.clamp(**kwargs)
        with pytest.raises(RuntimeError, match=f"value cannot be converted to type {name} without overflow"):
            x.clamp_(**kwargs)
        assert x.tolist() == [3, 2]
    assert m.tensor([3, 252], dtype=m.uint8).clamp(min=-5).tolist() == [251, 252]
    assert m.tensor([3, 252], dtype=m.uint8).clamp(max=-5).tolist() == [3, 251]
    assert m.tensor([3, -2], dtype=m.int32).clamp(min=-(2**31), max=2**31 - 1).tolist() == [3, -2]


FLOATS_OUT_OF_RANGE = [300.0, -1.0, -129.0, 2.5, -2.5, 65543.0, 1e10, -1e10, 3e9, 2.0**31, -(2.0**31),
                       2.0**63, -(2.0**63), 1e19, nan, inf, -inf]
# x86's truncating conversions (PyTorch's CPU results): out of range or NaN -> the type's minimum
# for int32/int64; uint8 goes through int32 and wraps.
TO_INT = {
    "uint8": [44, 255, 127, 2, 254, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    "int32": [300, -1, -129, 2, -2, 65543] + [-(2**31)] * 11,
    "int64": [300, -1, -129, 2, -2, 65543, 10**10, -(10**10), 3 * 10**9, 2**31, -(2**31)] + [-(2**63)] * 6,
}


@pytest.mark.parametrize("m", libs(), ids=lambda m: m.__name__)
@pytest.mark.parametrize("src", ["float32", "float64"])
@pytest.mark.parametrize("dst", sorted(TO_INT))
def test_float_to_integer_conversion_outside_the_range(m, src, dst) -> None:
    x = m.tensor(FLOATS_OUT_OF_RANGE, dtype=getattr(m, src))
    assert x.to(getattr(m, dst)).tolist() == TO_INT[dst]
    assert x[::2].to(getattr(m, dst)).tolist() == TO_INT[dst][::2]  # the strided loop


@pytest.mark.parametrize("m", libs(), ids=lambda m: m.__name__)
def test_integer_arithmetic_wraps_around(m) -> None:
    big = m.tensor([2**62, 2**63 - 1, -(2**63)])
    assert (big * 2).tolist() == [-(2**63), -2, 0]
    assert (big + big).tolist() == [-(2**63), -2, 0]
    assert (big - m.tensor([-(2**62), -1, 1])).tolist() == [-(2**63), -(2**63), 2**63 - 1]
    i32 = m.tensor([2**30, 2**31 - 1], dtype=m.int32)
    assert (i32 * 4).tolist() == [0, -4]
    assert (i32 + i32).tolist() == [-(2**31), -2]
    u8 = m.tensor([255, 16, 0], dtype=m.uint8)
    assert (u8 * u8).tolist() == [1, 0, 0]
    assert (u8 + u8).tolist() == [254, 32, 0]
    assert (m.tensor([0], dtype=m.uint8) - m.tensor([1], dtype=m.uint8)).tolist() == [255]
