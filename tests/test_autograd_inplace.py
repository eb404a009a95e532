"""In-place autograd and related fixes, pinned to PyTorch 2.13: filling ops on
non-leaves, views whose base (or a sibling) changes in place, in-place ops whose
backward needs the original self, copy_, pow/norm/std/max edge-case gradients,
autograd.grad and backward(inputs=), grad-mode decorators, tensor clamp bounds,
sub(alpha)/div(rounding_mode), argument type errors, large reductions and size
overflow.

Each case runs on fasttensor and, when torch is installed, on torch too; both
must give the same hand-computed expected values (so the expectation is
checked to be torch's behaviour, and fasttensor is never compared with itself).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import fasttensor
import helpers
from helpers import HAVE_TORCH

LIBS = [fasttensor] + ([helpers.torch] if HAVE_TORCH else [])
LIB_IDS = ["fasttensor"] + (["torch"] if HAVE_TORCH else [])


def _grad(t):
    return None if t.grad is None else t.grad.tolist()


def _fn_name(t):
    return type(t.grad_fn).__name__ if HAVE_TORCH and isinstance(t, helpers.torch.Tensor) else t.grad_fn.name()


def _f64(m, v, grad=True):
    return m.tensor(v, dtype=m.float64, requires_grad=grad)


def _close(got, want, rtol=1e-12, atol=1e-12, where=""):
    """Nested comparison: None/str/bool exactly, numbers and arrays with tolerances."""
    if want is None or isinstance(want, (str, bool)):
        assert got == want, where
        return
    try:
        w = np.asarray(want, dtype=float)
    except (ValueError, TypeError):  # ragged or mixed: compare item by item
        assert len(got) == len(want), where
        for g, w in zip(got, want):
            _close(g, w, rtol, atol, where)
        return
    np.testing.assert_allclose(np.asarray(got, dtype=float), w, rtol=rtol, atol=atol, err_msg=where)


def _agree(fn, expected, rtol=1e-12, atol=1e-12):
    """fn(m) for fasttensor and (if installed) torch must both equal expected."""
    for m in LIBS:
        _close(fn(m), expected, rtol, atol, where=m.__name__)


# --- 1. filling ops on a non-leaf cut the gradient ---------------------------------------------

@pytest.mark.parametrize("op,name", [("zero_", "ZeroBackward0"), ("fill_", "FillBackward2"),
                                     ("fill_tensor", "FillBackward3"), ("normal_", "NormalBackward0"),
                                     ("uniform_", "UniformBackward0")])
def test_fill_ops_on_nonleaf_give_zero_gradient(op, name):
    # torch: y = x*1; y.zero_() -> grad_fn ZeroBackward0, x.grad zeros (not None).
    # torch 2.13 names in-place fill_(scalar) FillBackward2 and fill_(tensor)
    # FillBackward3 (FillBackward0 is the out-of-place torch.fill).
    def run(m):
        x = _f64(m, [1.0, 2.0])
        y = x * 1
        if op == "fill_tensor":
            y.fill_(m.tensor(7.0, dtype=m.float64))
        else:
            getattr(y, op)(*((7.0,) if op == "fill_" else ()))
        n = _fn_name(y)
        (y * 3).sum().backward()
        return [n, y.requires_grad, _grad(x)]
    _agree(run, [name, True, [0.0, 0.0]])


def test_fill_on_slice_of_nonleaf():
    def run(m):
        x = _f64(m, [1.0, 2.0, 3.0])
        y = x * 1
        y[1:].fill_(7)
        y.sum().backward()
        return [y.tolist(), _grad(x)]
    _agree(run, [[1.0, 7.0, 7.0], [1.0, 0.0, 0.0]])


# --- 2. views created before an in-place change of their base ----------------------------------

def test_view_sees_inplace_change_of_base():
    # torch regenerates v.grad_fn as AsStridedBackward0 after y.mul_(w).
    def run(m):
        x, w = _f64(m, [1.0, 2.0, 3.0]), _f64(m, [2.0, 2.0, 2.0])
        y = x * 1
        v = y[1:]
        y.mul_(w)
        n = _fn_name(v)
        v.sum().backward()
        return [n, v.tolist(), _grad(x), _grad(w)]
    _agree(run, ["AsStridedBackward0", [4.0, 6.0], [0.0, 2.0, 2.0], [0.0, 2.0, 3.0]])


def test_view_sees_inplace_change_of_sibling_view():
    # v1 = h[:2] and v2 = h[1:] overlap at h[1]; v1.mul_(w) changes v2[0].
    def run(m):
        x, w = _f64(m, [1.0, 2.0, 3.0]), _f64(m, [5.0, 7.0])
        h = x * 1
        v1, v2 = h[:2], h[1:]
        v1.mul_(w)
        v2.sum().backward()
        return [v2.tolist(), _grad(x), _grad(w)]
    _agree(run, [[14.0, 3.0], [0.0, 7.0, 1.0], [0.0, 2.0]])


def test_view_after_copy_into_base():
    def run(m):
        x, x2 = _f64(m, [1.0, 2.0, 3.0]), _f64(m, [4.0, 5.0, 6.0])
        h = x * 1
        v = h[1:]
        h.copy_(x2)
        (v * v).sum().backward()
        return [v.tolist(), _grad(x), _grad(x2)]
    _agree(run, [[5.0, 6.0], [0.0, 0.0, 0.0], [0.0, 10.0, 12.0]])


def test_view_of_plain_tensor_gains_history_from_base():
    def run(m):
        y = m.ones(3, dtype=m.float64)
        w = _f64(m, [2.0, 3.0, 4.0])
        v = y[1:]
        assert not v.requires_grad
        y.mul_(w)
        rg = v.requires_grad
        v.sum().backward()
        return [rg, v.tolist(), _grad(w)]
    _agree(run, [True, [3.0, 4.0], [0.0, 1.0, 1.0]])


def test_expanded_view_sums_its_gradient():
    # e has stride 0 along dim 0: both rows feed y, so their gradients add up.
    def run(m):
        x, w = _f64(m, [1.0, 2.0, 3.0]), _f64(m, [2.0, 3.0, 4.0])
        y = x * 1
        e = y.unsqueeze(0).expand(2, 3)
        y.mul_(w)
        (e * m.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=m.float64)).sum().backward()
        return [_grad(x), _grad(w)]
    _agree(run, [[10.0, 21.0, 36.0], [5.0, 14.0, 27.0]])


# --- 3./4. in-place ops that need the original self; copy_ over history ------------------------

INPLACE_CASES = {
    # name: (f(m, x, w) -> output, x values, w values, expected x.grad, expected w.grad)
    "mul_": (lambda m, x, w: (x * 1).mul_(w), [1.0, 2.0], [3.0, 4.0], [3.0, 4.0], [1.0, 2.0]),
    "div_": (lambda m, x, w: (x * 1).div_(w), [1.0, 2.0], [3.0, 4.0], [1 / 3, 1 / 4], [-1 / 9, -2 / 16]),
    "pow_": (lambda m, x, w: (x + 0).pow_(2), [1.0, 2.0], None, [2.0, 4.0], None),
    "pow_tensor": (lambda m, x, w: (x + 0).pow_(w), [1.0, 2.0], [3.0, 2.0], [3.0, 4.0], [0.0, 4 * math.log(2)]),
    "clamp_": (lambda m, x, w: (x * 1).clamp_(0, 1.5), [1.0, 2.0], None, [1.0, 0.0], None),
    "log_": (lambda m, x, w: (x * 1).log_(), [1.0, 2.0], None, [1.0, 0.5], None),
    "abs_": (lambda m, x, w: (x * 1).abs_(), [-1.0, 2.0], None, [-1.0, 1.0], None),
}


def _ipow3(m, x, w):
    y = x * 1
    y **= 3
    return y


def _row_mul(m, x, w):
    y = x * 1
    y[0].mul_(w)
    return y


INPLACE_CASES["ipow"] = (_ipow3, [1.0, 2.0], None, [3.0, 12.0], None)
INPLACE_CASES["y[0].mul_"] = (_row_mul, [1.0, 2.0], 3.0, [3.0, 1.0], 1.0)


@pytest.mark.parametrize("name", list(INPLACE_CASES))
def test_inplace_op_on_nonleaf_gradients(name):
    f, xv, wv, gx, gw = INPLACE_CASES[name]

    def run(m):
        x = _f64(m, xv)
        w = None if wv is None else _f64(m, wv)
        f(m, x, w).sum().backward()
        return [_grad(x), None if w is None else _grad(w)]
    _agree(run, [gx, gw])


def test_copy_over_nonleaf_zeroes_overwritten_history():
    def run(m):
        x, b = _f64(m, [1.0, 2.0]), _f64(m, [4.0, 5.0])
        y = x * 1
        y.copy_(b)
        y.sum().backward()
        return [_grad(x), _grad(b)]
    _agree(run, [[0.0, 0.0], [1.0, 1.0]])


# --- 5.-8. pow, norm, std, max/min edge cases ---------------------------------------------------

def test_pow_gradient_zero_exponent_and_zero_base():
    # torch: d/dx x**0 = 0 everywhere (also at 0); d/dx x**x at 0 -> 0.
    _agree(lambda m: (lambda x: ((x ** 0).sum().backward(), _grad(x))[1])(_f64(m, [0.0, 1.0])), [0.0, 0.0])
    _agree(lambda m: (lambda x: ((x ** x).sum().backward(), _grad(x))[1])(_f64(m, [0.0, 1.0])), [0.0, 1.0])


def test_pow_gradient_exact_in_float64():
    def cube_root(m):
        x = _f64(m, [3.0, 0.7, 11.0])
        (x ** (1 / 3)).sum().backward()
        return _grad(x)

    def exp2(m):
        x = _f64(m, [0.5, 3.0, -1.2])
        (2 ** x).sum().backward()
        return _grad(x)
    xs = np.array([3.0, 0.7, 11.0])
    _agree(cube_root, (1 / 3) * xs ** (1 / 3 - 1), rtol=4e-16, atol=0)
    _agree(exp2, 2.0 ** np.array([0.5, 3.0, -1.2]) * math.log(2), rtol=4e-16, atol=0)
    if HAVE_TORCH:  # to the last bits of torch's own result
        np.testing.assert_allclose(cube_root(fasttensor), cube_root(helpers.torch), rtol=1e-15, atol=0)
        np.testing.assert_allclose(exp2(fasttensor), exp2(helpers.torch), rtol=1e-15, atol=0)


@pytest.mark.parametrize("p", [3, 0.5, 1.5])
def test_norm_p_gradient(p):
    v = np.array([1.0, -3.0, 0.5])
    norm = (np.abs(v) ** p).sum() ** (1 / p)
    expected = np.sign(v) * np.abs(v) ** (p - 1) / norm ** (p - 1)

    def run(m, vals):
        x = _f64(m, vals)
        x.norm(p).backward()
        return _grad(x)
    _agree(lambda m: run(m, v.tolist()), expected, rtol=1e-13)
    _agree(lambda m: run(m, [0.0, 0.0]), [0.0, 0.0], atol=0)  # not NaN
    if HAVE_TORCH:
        np.testing.assert_allclose(run(fasttensor, v.tolist()), run(helpers.torch, v.tolist()), rtol=1e-14, atol=0)


def test_std_gradient_is_zero_where_std_is_zero():
    def full(m):
        x = _f64(m, [2.0, 2.0, 2.0])
        x.std().backward()
        return _grad(x)

    def one(m):
        x = _f64(m, [2.0])
        x.std(correction=0).backward()
        return _grad(x)

    def rows(m):  # row 0 constant -> 0; row 1: (x - mean) / ((n - 1) * std) = [-1, 0, 1] / 2
        x = _f64(m, [[2.0, 2.0, 2.0], [1.0, 2.0, 3.0]])
        x.std(dim=1).sum().backward()
        return _grad(x)

    def col(m):
        x = _f64(m, [[2.0, 5.0]])
        x.std(dim=0, correction=0).sum().backward()
        return _grad(x)
    _agree(full, [0.0, 0.0, 0.0], atol=0)
    _agree(one, [0.0], atol=0)
    _agree(rows, [[0.0, 0.0, 0.0], [-0.5, 0.0, 0.5]])
    _agree(col, [[0.0, 0.0]], atol=0)


@pytest.mark.parametrize("red", ["max", "min"])
def test_full_max_min_gradient_goes_to_nan_and_splits_ties(red):
    def run(m, vals):
        x = _f64(m, vals)
        getattr(x, red)().backward()
        return _grad(x)
    _agree(lambda m: run(m, [1.0, float("nan"), 3.0]), [0.0, 1.0, 0.0], atol=0)
    tie = [3.0, 1.0, 3.0] if red == "max" else [1.0, 3.0, 1.0]
    _agree(lambda m: run(m, tie), [0.5, 0.0, 0.5], atol=0)


@pytest.mark.parametrize("op", ["maximum", "minimum"])
def test_maximum_minimum_gradient_with_nan_and_ties(op):
    def run(m, a, b):
        x, y = _f64(m, a), _f64(m, b)
        getattr(m, op)(x, y).sum().backward()
        return [_grad(x), _grad(y)]
    nan = float("nan")
    # NaN on either side: both inputs get the full gradient.
    _agree(lambda m: run(m, [nan, 2.0], [1.0, nan]), [[1.0, 1.0], [1.0, 1.0]], atol=0)
    # A tie splits in half; otherwise the winner takes it.
    win_x = [1.0, 0.0] if op == "maximum" else [0.0, 1.0]
    _agree(lambda m: run(m, [2.0, 4.0, 1.0], [2.0, 1.0, 4.0]),
           [[0.5] + win_x, [0.5] + [1 - g for g in win_x]], atol=0)


# --- 9.-11. autograd.grad, backward(inputs=), grad-mode decorators -----------------------------

def test_autograd_grad_runs_only_the_graph_below_inputs():
    def upstream_survives(m):
        x = _f64(m, [1.0, 2.0])
        h = x.exp()
        (gh,) = m.autograd.grad((h * h).sum(), h)
        h.sum().backward()  # no retain_graph needed: grad() never ran h's own node
        return [gh.tolist(), _grad(x)]

    def inplace_upstream(m):
        x = _f64(m, [1.0, 2.0])
        y = x * 1
        h = y * y
        y.add_(1)  # would fail the version check of h's node if it ran
        w = h * 3
        return [m.autograd.grad(w.sum(), w)[0].tolist(), m.autograd.grad(w.sum(), h)[0].tolist()]
    e = np.exp([1.0, 2.0])
    _agree(upstream_survives, [2 * e, e])
    _agree(inplace_upstream, [[1.0, 1.0], [3.0, 3.0]])


def test_backward_inputs_accumulates_only_into_given_tensors():
    def run(m):
        x, w = _f64(m, [1.0, 2.0]), _f64(m, [3.0, 4.0])
        (x * w).sum().backward(inputs=[x])
        return [_grad(x), _grad(w)]
    _agree(run, [[3.0, 4.0], None])
    for m in LIBS:
        x = m.ones(2, requires_grad=True)
        with pytest.raises(RuntimeError, match="cannot be empty"):
            x.sum().backward(inputs=[])


@pytest.mark.parametrize("m", LIBS, ids=LIB_IDS)
def test_grad_mode_decorators_without_parentheses(m):
    @m.no_grad
    def off(t):
        return t * 2

    @m.enable_grad
    def on(t):
        return t * 2

    @m.inference_mode
    def inf(t):
        return t * 2
    x = m.ones(2, requires_grad=True)
    assert not off(x).requires_grad and off(x).tolist() == [2.0, 2.0]
    with m.no_grad():
        assert on(x).requires_grad
    assert not inf(x).requires_grad


def test_no_grad_with_a_non_callable_fails_when_called():
    # As torch 2.13: no_grad(5) decorates 5; calling the result raises Python's TypeError.
    libs = [fasttensor] + ([helpers.torch] if HAVE_TORCH else [])
    for m in libs:
        wrapped = m.no_grad(5)
        with pytest.raises(TypeError, match="^'int' object is not callable$"):
            wrapped()


# --- 12. clamp with tensor bounds --------------------------------------------------------------

def test_clamp_with_tensor_bounds():
    xv = np.array([[0.5, 2.0, 3.0], [1.5, -1.0, 9.0]])
    lo, hi = np.array([1.5, 0.0, 2.0]), np.array([2.5, 1.0, 3.0])
    # Tie at a bound (1.5 vs lo, 3.0 vs hi): the gradient goes to the input.
    gx = ((xv >= lo) & (xv <= hi)).astype(float)
    glo, ghi = (xv < lo).sum(0).astype(float), (xv > hi).sum(0).astype(float)
    want = np.minimum(np.maximum(xv, lo), hi)
    for method in ("clamp", "clip", "clamp_"):
        def run(m):
            x, a, b = _f64(m, xv.tolist()), _f64(m, lo.tolist()), _f64(m, hi.tolist())
            out = (x * 1).clamp_(a, b) if method == "clamp_" else getattr(m, method)(x, a, b)
            out.sum().backward()
            return [out.tolist(), _grad(x), _grad(a), _grad(b)]
        _agree(run, [want, gx, glo, ghi], atol=0)

    def zero_d(m):
        x, a = _f64(m, [1.0, 1.5, 2.0]), _f64(m, 1.5)
        out = x.clamp(min=a)
        out.sum().backward()
        return [out.tolist(), _grad(x), _grad(a)]
    _agree(zero_d, [[1.5, 1.5, 2.0], [0.0, 1.0, 1.0], 1.0], atol=0)


# --- 13. detach_ on a view, NumPy conversion of a tensor requiring grad ------------------------

@pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")  # torch's __array__
@pytest.mark.parametrize("m", LIBS, ids=LIB_IDS)
def test_detach_view_inplace_and_numpy_of_grad_tensor_raise(m):
    v = (m.ones(2, requires_grad=True) * 2)[0:1]
    with pytest.raises(RuntimeError, match="Can't detach views in-place"):
        v.detach_()
    t = m.ones(2, requires_grad=True)
    for conv in (np.array, np.asarray):
        with pytest.raises(RuntimeError, match="requires grad"):
            conv(t)


# --- 14. sub(alpha=), div(rounding_mode=) -------------------------------------------------------

def test_sub_with_alpha():
    def run(m):
        a, b = _f64(m, [5.0, 1.0]), _f64(m, [1.0, 2.0])
        r1 = m.sub(a, b, alpha=2)
        r2 = a.sub(b, alpha=3)
        r1.sum().backward()
        c = a.detach().clone()
        c.sub_(b.detach(), alpha=0.5)
        return [r1.tolist(), r2.tolist(), c.tolist(), _grad(a), _grad(b)]
    _agree(run, [[3.0, -3.0], [2.0, -5.0], [4.5, 0.0], [1.0, 1.0], [-2.0, -2.0]])


def test_div_rounding_modes():
    def run(m):
        ai, bi = m.tensor([7, -7, 7, -7, 6]), m.tensor([2, 2, -2, -2, 3])
        af, bf = m.tensor([7.5, -7.5, 7.5, -7.5], dtype=m.float64), m.tensor([2.0, 2.0, -2.0, -2.0], dtype=m.float64)
        return [m.div(ai, bi, rounding_mode="trunc").tolist(), m.div(ai, bi, rounding_mode="floor").tolist(),
                m.divide(af, bf, rounding_mode="trunc").tolist(), af.div(bf, rounding_mode="floor").tolist()]
    _agree(run, [[3, -3, -3, 3, 2], [3, -4, -4, 3, 2], [3.0, -3.0, -3.0, 3.0], [3.0, -4.0, -4.0, 3.0]], atol=0)
    for m in LIBS:
        with pytest.raises(RuntimeError, match="rounding_mode"):
            m.div(m.ones(2), m.ones(2), rounding_mode="round")


# --- 15. wrong argument types raise TypeError ---------------------------------------------------

BAD_ARGS = {
    "exp(None)": lambda m, x: m.exp(None),
    "mm(None)": lambda m, x: x.mm(None),
    "where(None,x,x)": lambda m, x: m.where(None, x, x),
    "linear(x,None)": lambda m, x: m.nn.functional.linear(x, None),
    "sub_('a')": lambda m, x: x.sub_("a"),
    "mul_(None)": lambda m, x: x.mul_(None),
    "add(alpha='a')": lambda m, x: x.add(1, alpha="a"),
    "where(mask,'a')": lambda m, x: x.where(x > 0, "a"),
}


@pytest.mark.parametrize("m", LIBS, ids=LIB_IDS)
@pytest.mark.parametrize("case", list(BAD_ARGS))
def test_wrong_argument_type_raises_type_error(m, case):
    x = m.ones(2, 2)
    with pytest.raises(TypeError):
        BAD_ARGS[case](m, x)


# --- 16. large reductions (the GIL is released for >= 16384 elements) --------------------------

def test_norm_and_softmax_on_large_tensor():
    a = np.random.default_rng(0).standard_normal((128, 128))
    x = fasttensor.tensor(a, dtype=fasttensor.float64, requires_grad=True)
    n = x.norm(dim=1)
    np.testing.assert_allclose(n.detach().numpy(), np.linalg.norm(a, axis=1), rtol=1e-12)
    n.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), a / np.linalg.norm(a, axis=1, keepdims=True), rtol=1e-12)
    a32 = a.astype(np.float32)
    s = fasttensor.tensor(a32).softmax(1, dtype=fasttensor.float64)
    assert s.dtype == fasttensor.float64
    e = np.exp(a32.astype(np.float64) - a32.max(1, keepdims=True))
    np.testing.assert_allclose(s.numpy(), e / e.sum(1, keepdims=True), rtol=1e-12)
    np.testing.assert_allclose(fasttensor.softmax(x.detach(), 0, dtype=fasttensor.float64).numpy(),
                               np.exp(a) / np.exp(a).sum(0, keepdims=True), rtol=1e-12)


# --- 17. size overflow --------------------------------------------------------------------------

@pytest.mark.parametrize("m", LIBS, ids=LIB_IDS)
def test_size_overflow_raises(m):
    for make in (lambda: m.zeros(2 ** 62), lambda: m.zeros(2 ** 32, 2 ** 32), lambda: m.empty(2 ** 62)):
        with pytest.raises(RuntimeError, match="overflow"):
            make()
    with pytest.raises(IndexError):
        m.ones(2).size(2 ** 32)


# --- Tensor.register_hook ----------------------------------------------------------------------

@pytest.mark.parametrize("m", LIBS, ids=LIB_IDS)
def test_register_hook_sees_and_replaces_gradients(m):
    """A leaf's hook sees the gradient before accumulation; a non-leaf's hook may replace the
    gradient flowing on; handle.remove() unregisters it (PyTorch's Tensor.register_hook)."""
    x = m.tensor([1.0, 2.0, 3.0], dtype=m.float64, requires_grad=True)
    seen = []
    x.register_hook(lambda g: seen.append(g.tolist()))
    y = x * 2
    handle = y.register_hook(lambda g: g * 10)
    (y * y).sum().backward()
    # d/dx sum(4 x^2) = 8 x, scaled by 10 at y
    assert x.grad.tolist() == [80.0, 160.0, 240.0]
    assert seen == [[80.0, 160.0, 240.0]]
    handle.remove()
    x.grad = None
    y = x * 2
    y.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0, 2.0]
    assert seen[-1] == [2.0, 2.0, 2.0]


@pytest.mark.parametrize("m", LIBS, ids=LIB_IDS)
def test_register_hook_needs_a_tensor_that_requires_grad(m):
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        m.ones(2).register_hook(lambda g: g)


def test_register_hook_removed_by_a_with_block_and_errors_propagate():
    x = fasttensor.ones(2, requires_grad=True)
    with x.register_hook(lambda g: g * 3):
        (x * 1).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]
    x.grad = None
    (x * 1).sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]

    def bad(g):
        raise ValueError("from the hook")

    x.register_hook(bad)
    with pytest.raises(ValueError, match="from the hook"):
        (x * 1).sum().backward()


# --- higher derivatives through slices; floor_divide's backward ------------------------------

@pytest.mark.parametrize("m", LIBS, ids=LIB_IDS)
def test_double_backward_through_slices_and_select(m):
    """grad(create_graph=True) through x[1:], x[0] and x.narrow is itself differentiable:
    d/dx sum((d/dx sum(x[1:]^3 + x[0]^3))^2) = 2 (3x^2)(6x) = 36 x^3."""
    x = m.tensor([1.0, 2.0, -1.5, 0.5], dtype=m.float64, requires_grad=True)
    y = (x[1:] ** 3).sum() + x[0] ** 3
    (g,) = m.autograd.grad(y, x, create_graph=True)
    assert g.requires_grad
    (g * g).sum().backward()
    np.testing.assert_allclose(x.grad.detach().numpy(), 36 * np.array([1.0, 2.0, -1.5, 0.5]) ** 3, rtol=1e-14)


@pytest.mark.parametrize("m", LIBS, ids=LIB_IDS)
def test_floor_divide_backward_is_not_implemented(m):
    x = m.tensor([1.0, 2.5], requires_grad=True)
    y = m.floor_divide(x, 0.7)
    with pytest.raises(RuntimeError, match="derivative for aten::floor_divide is not implemented"):
        y.sum().backward()


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_double_backward_matches_torch(reduction):
    """create_graph through the fused cross-entropy: its gradient is rebuilt from differentiable
    ops, so d/dw of |d loss/dx|^2 exists (it was silently wrong); an ignored row contributes 0."""
    if not HAVE_TORCH:
        pytest.skip("needs torch for the reference")
    data = [[1.5, 0.7, 2.2], [0.1, -1.0, 0.3], [2.0, 2.0, 2.0]]
    results = []
    for m in (fasttensor, helpers.torch):
        x = m.tensor(data, dtype=m.float64, requires_grad=True)
        w = m.tensor([2.0], dtype=m.float64, requires_grad=True)
        loss = m.nn.functional.cross_entropy(x * w, m.tensor([1, 2, -100]), reduction=reduction)
        (gx,) = m.autograd.grad(loss.sum(), x, create_graph=True)
        (gx * gx).sum().backward()
        results.append((w.grad.tolist(), x.grad.tolist()))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-12)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-12, atol=1e-14)


# --- higher derivatives through in-place writes into views (CopySlices, IndexPut) --------------

def _inplace_patterns(m):
    """Pairs (in-place form, the same function written out of place) of x (4 elements)."""
    def mul_slice(x):
        y = x * x
        y[1:] *= x[:3]
        return y

    def mul_slice_ref(x):
        y = x * x
        return m.cat([y[:1], y[1:] * x[:3]])

    def set_column(x):
        b = (x * 1).reshape(2, 2)
        b[:, 0] = x[2:] ** 3
        return b

    def set_column_ref(x):
        return m.stack([x[2:] ** 3, x.reshape(2, 2)[:, 1]], 1)

    def index_put(x):
        y = x.sin()
        y[m.tensor([3, 0])] = x[:2] ** 2
        return y

    def index_put_ref(x):
        s = x.sin()
        return m.stack([x[1] ** 2, s[1], s[2], x[0] ** 2])

    def diagonal_add(x):
        b = (x * x).reshape(2, 2)
        b.t().diagonal().mul_(x[1:3])
        return b

    def diagonal_add_ref(x):
        q = x * x
        return m.stack([q[0] * x[1], q[1], q[2], q[3] * x[2]]).reshape(2, 2)

    return [(mul_slice, mul_slice_ref), (set_column, set_column_ref), (index_put, index_put_ref),
            (diagonal_add, diagonal_add_ref)]


def _three_derivatives(m, f, values):
    x = m.tensor(values, dtype=m.float64, requires_grad=True)
    w = m.tensor([0.5, -1.0, 2.0, 1.5], dtype=m.float64).reshape(f(x).shape)
    (g1,) = m.autograd.grad((f(x) * w).sum(), x, create_graph=True)
    (g2,) = m.autograd.grad((g1 * g1).sum(), x, create_graph=True)
    (g3,) = m.autograd.grad((g2 * g2).sum(), x)
    return [g.tolist() for g in (g1, g2, g3)]


@pytest.mark.parametrize("case", range(4))
def test_higher_derivatives_through_in_place_writes_into_views(case):
    # The gradient through CopySlices / IndexPut used to drop its own history (raw copies and fills):
    # second and third derivatives were wrong. Checked against the same function written out of place,
    # and against torch where installed.
    values = [0.7, -1.3, 2.1, 0.4]
    f, ref = _inplace_patterns(fasttensor)[case]
    got = _three_derivatives(fasttensor, f, values)
    expected = _three_derivatives(fasttensor, ref, values)
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    if HAVE_TORCH:
        tf, _ = _inplace_patterns(helpers.torch)[case]
        np.testing.assert_allclose(got, _three_derivatives(helpers.torch, tf, values), rtol=1e-12)


# --- autograd.Function ---------------------------------------------------------------------------

def _custom_functions(m):
    class Exp(m.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, grad):
            (y,) = ctx.saved_tensors
            return grad * y

    class Scale(m.autograd.Function):
        @staticmethod
        def forward(ctx, x, k):
            ctx.k = k
            return x * k

        @staticmethod
        def backward(ctx, grad):
            return grad * ctx.k, None

    class Cube(m.autograd.Function):  # saves its input: differentiable twice
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 3 * x ** 2

    return Exp, Scale, Cube


@pytest.mark.parametrize("m", LIBS, ids=LIB_IDS)
def test_custom_function_forward_backward_and_node(m):
    Exp, Scale, Cube = _custom_functions(m)
    x = m.tensor([0.0, 1.0, 2.0], dtype=m.float64, requires_grad=True)
    y = Exp.apply(x)
    assert y.requires_grad and _fn_name(y) == "ExpBackward"
    Scale.apply(y, 3.0).sum().backward()
    np.testing.assert_allclose(_grad(x), 3 * np.exp([0.0, 1.0, 2.0]), rtol=1e-15)
    # inputs that need no gradient: no node, the plain result
    assert not Exp.apply(m.ones(2)).requires_grad
    with m.no_grad():
        assert not Exp.apply(x).requires_grad


@pytest.mark.parametrize("m", LIBS, ids=LIB_IDS)
def test_custom_function_double_backward_through_saved_inputs(m):
    _, _, Cube = _custom_functions(m)
    x = m.tensor([1.0, -2.0], dtype=m.float64, requires_grad=True)
    (g,) = m.autograd.grad(Cube.apply(x).sum(), x, create_graph=True)
    g.sum().backward()
    np.testing.assert_allclose(_grad(x), [6.0, -12.0], rtol=1e-15)


@pytest.mark.parametrize("m", LIBS, ids=LIB_IDS)
def test_custom_function_errors(m):
    class TwoGrads(m.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            return grad, grad

    x = m.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="incorrect number of gradients"):
        TwoGrads.apply(x).sum().backward()
    Exp, _, _ = _custom_functions(m)
    y = Exp.apply(x)
    with m.no_grad():
        y.mul_(2)  # the saved output changed
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def _two_outputs(m):
    class SinCos(m.autograd.Function):  # two outputs, an integer one, a non-tensor one
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            idx = x.argmax()
            ctx.mark_non_differentiable(idx)
            return x.sin(), x.cos(), idx, "label"

        @staticmethod
        def backward(ctx, gs, gc, gi, gl):
            (x,) = ctx.saved_tensors
            ctx.seen = (tuple(gi.shape), gi.tolist(), gl)
            return gs * x.cos() - gc * x.sin()

    return SinCos


@pytest.mark.parametrize("m", LIBS, ids=LIB_IDS)
def test_custom_function_with_several_outputs(m):
    SinCos = _two_outputs(m)
    x = m.tensor([0.5, 1.0, -2.0], dtype=m.float64, requires_grad=True)
    s, c, i, label = SinCos.apply(x)
    assert label == "label" and not i.requires_grad and i.dtype == m.int64
    assert _fn_name(s) == _fn_name(c) == "SinCosBackward" and s.requires_grad and c.requires_grad
    xs = np.array([0.5, 1.0, -2.0])
    (3 * s + 5 * c).sum().backward(retain_graph=True)
    np.testing.assert_allclose(_grad(x), 3 * np.cos(xs) - 5 * np.sin(xs), rtol=1e-15)
    # one output used: the other's gradient is zeros
    (g,) = m.autograd.grad(c.sum(), x, retain_graph=True)
    np.testing.assert_allclose(g.tolist(), -np.sin(xs), rtol=1e-15)
    # a hook on one output changes what backward receives
    s.register_hook(lambda g: g * 10)
    (g,) = m.autograd.grad((s + c).sum(), x, retain_graph=True)
    np.testing.assert_allclose(g.tolist(), 10 * np.cos(xs) - np.sin(xs), rtol=1e-15)
    # second derivative through the shared backward
    x2 = m.tensor([0.5, 1.0], dtype=m.float64, requires_grad=True)
    s2, c2, _, _ = SinCos.apply(x2)
    (g,) = m.autograd.grad((s2 + c2).sum(), x2, create_graph=True)
    (gg,) = m.autograd.grad(g.sum(), x2)
    np.testing.assert_allclose(gg.tolist(), -np.sin([0.5, 1.0]) - np.cos([0.5, 1.0]), rtol=1e-15)


@pytest.mark.parametrize("m", LIBS, ids=LIB_IDS)
def test_custom_function_outputs_without_gradient_get_zeros_or_none(m):
    SinCos = _two_outputs(m)
    x = m.tensor([0.5, 2.0], requires_grad=True)
    outs = SinCos.apply(x)
    outs[0].sum().backward()
    assert x.grad_fn is None and _grad(x) == pytest.approx(np.cos([0.5, 2.0]).tolist(), rel=1e-6)

    class Lazy(m.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, a, b):
            ctx.got = (a is None, b is None)
            return (0 if a is None else a * 2) + (0 if b is None else b * 3)

    y = m.tensor([1.0, 2.0], requires_grad=True)
    a, b = Lazy.apply(y)
    assert m.autograd.grad(b.sum(), y)[0].tolist() == [3.0, 3.0]
    assert b.grad_fn is not None
    # without grad mode, or inputs that need none: the plain results
    with m.no_grad():
        r = SinCos.apply(x)
    assert not r[0].requires_grad and r[0].grad_fn is None
    assert not SinCos.apply(m.ones(2))[1].requires_grad


@pytest.mark.parametrize("m", LIBS, ids=LIB_IDS)
def test_custom_function_mark_dirty(m):
    class Double_(m.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            x.mul_(2)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 2

    x = m.tensor([1.0, -3.0], requires_grad=True)
    y = x * 1
    z = Double_.apply(y)
    assert z is y and y.tolist() == [2.0, -6.0] and _fn_name(y) == "Double_Backward"
    (z * z).sum().backward()
    assert _grad(x) == [8.0, -24.0]  # d/dx (2x)^2 = 8x
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad has been used in an in-place "
                                           "operation"):
        Double_.apply(x)

    class Forgets(m.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            x.mul_(2)
            ctx.mark_dirty(x)
            return x * 1

        @staticmethod
        def backward(ctx, g):
            return g

    with pytest.raises(RuntimeError, match="marked as dirty during the forward method were not returned"):
        Forgets.apply(x * 1)


def test_custom_function_mark_dirty_of_a_view_is_refused_by_name():
    class Double_(fasttensor.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            x.mul_(2)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 2

    base = fasttensor.ones(3, requires_grad=True) * 1
    with pytest.raises(NotImplementedError, match="mark_dirty.*view"):
        Double_.apply(base[1:])


@pytest.mark.parametrize("m", LIBS, ids=LIB_IDS)
def test_is_view_and_base(m):
    x = m.ones(2, 3)
    v = x[1:].t()
    assert v._is_view() and v._base is x and not x._is_view() and x._base is None
    assert not x.detach()._is_view() and not x.clone()._is_view()


# --- round-2 fixes: graph release, retain_grad and hooks around in-place ops and autograd.grad ---

def test_a_very_long_graph_is_freed_without_recursion():
    """A chain of 2e5 nodes (and one holding saved tensors) is released iteratively: nested
    destructors would overflow the C stack (it crashed)."""
    x = fasttensor.ones(3, requires_grad=True)
    w = fasttensor.ones(3, requires_grad=True)
    y = x
    for _ in range(200_000):
        y = y * 1.0
    del y
    y = x
    for _ in range(200_000):
        y = y * w
    y.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0, 1.0]
    del y


@pytest.mark.parametrize("m", LIBS, ids=LIB_IDS)
def test_retain_grad_follows_an_in_place_op(m):
    x = m.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    y.retain_grad()
    y.mul_(2)
    (y * y).sum().backward()
    assert y.grad.tolist() == [4.0, 8.0]  # d/dy of y^2 at the new y = [2, 4]
    assert x.grad.tolist() == [8.0, 16.0]


@pytest.mark.parametrize("m", LIBS, ids=LIB_IDS)
def test_leaf_hooks_apply_to_autograd_grad_and_backward_inputs(m):
    x = m.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x.register_hook(lambda g: g * 2)
    (g,) = m.autograd.grad((x * x).sum(), x)
    assert g.tolist() == [4.0, 8.0, 12.0]
    (x * x).sum().backward(inputs=[x])
    assert x.grad.tolist() == [4.0, 8.0, 12.0]


@pytest.mark.parametrize("m", LIBS, ids=LIB_IDS)
def test_a_hook_may_not_change_the_dtype(m):
    x = m.ones(2, requires_grad=True)
    x.register_hook(lambda g: g.double())
    with pytest.raises(RuntimeError, match="hook.*changed the type of value"):
        (x * 2).sum().backward()


@pytest.mark.parametrize("m", LIBS, ids=LIB_IDS)
def test_autograd_grad_does_not_run_hooks_of_pruned_branches(m):
    x = m.ones(2, requires_grad=True)
    w = m.ones(2, requires_grad=True)
    a = x * 2
    fired = []
    a.register_hook(lambda g: fired.append(1))
    m.autograd.grad((a + w).sum(), w)
    assert fired == []


@pytest.mark.parametrize("m", LIBS, ids=LIB_IDS)
def test_reductions_with_dtype_give_gradients_in_the_input_dtype(m):
    x = m.ones(3, requires_grad=True)
    x.mean(dtype=m.float64).backward()
    assert x.grad.dtype == m.float32
    x.grad = None
    x.cumsum(0, dtype=m.float64).sum().backward()
    assert x.grad.dtype == m.float32 and x.grad.tolist() == [3.0, 2.0, 1.0]


@pytest.mark.parametrize("m", LIBS, ids=LIB_IDS)
def test_masked_fill_with_a_tensor_value_that_requires_grad(m):
    v = m.tensor(1.0, requires_grad=True)
    m.zeros(3).masked_fill(m.tensor([True, False, True]), v).sum().backward()
    assert v.grad.item() == 2.0


# --- round-5 fixes: the engine's checks of returned gradients, several roots, custom Function details ---

@pytest.mark.parametrize("m", LIBS, ids=LIB_IDS)
def test_custom_backward_gradients_are_cast_summed_and_checked(m):
    class Cast(m.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x.clone()

        @staticmethod
        def backward(ctx, g):
            return (g * 3).long()  # another dtype than the input's: cast (it crashed / gave garbage)

    x = m.tensor([0.5, -1.0, 2.0], requires_grad=True)
    Cast.apply(m.log_softmax(x, 0)).sum().backward()
    np.testing.assert_allclose(_grad(x), [1.4224, 2.6480, -4.0704], atol=1e-4)
    big = m.zeros(100_000, dtype=m.float64, requires_grad=True)
    Cast.apply(big * 2).sum().backward()
    assert big.grad.dtype == m.float64 and float(big.grad.min()) == 6.0 == float(big.grad.max())

    class Wide(m.autograd.Function):  # a gradient broadcasting to the input's shape is summed down
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return m.ones(3, 2)

    y = m.ones(2, requires_grad=True)
    Wide.apply(y).sum().backward()
    assert _grad(y) == [3.0, 3.0]

    class ForNonTensor(m.autograd.Function):
        @staticmethod
        def forward(ctx, x, k):
            return x * k

        @staticmethod
        def backward(ctx, g):
            return g * 2, g

    with pytest.raises(RuntimeError, match="returned a gradient different than None at position 2, but the "
                                           "corresponding forward input was not a Variable"):
        ForNonTensor.apply(m.ones(2, requires_grad=True), 2).sum().backward()

    class TrailingNone(m.autograd.Function):
        @staticmethod
        def forward(ctx, x, scale=2.0):
            ctx.scale = scale
            return x * scale

        @staticmethod
        def backward(ctx, g):
            return g * ctx.scale, None

    z = m.ones(2, requires_grad=True)
    TrailingNone.apply(z).sum().backward()
    assert _grad(z) == [2.0, 2.0]


@pytest.mark.parametrize("m", LIBS, ids=LIB_IDS)
def test_a_none_gradient_leaves_grad_none(m):
    class OnlyX(m.autograd.Function):
        @staticmethod
        def forward(ctx, x, w):
            return x * w

        @staticmethod
        def backward(ctx, g):
            return g, None

    x, w = m.ones(2, requires_grad=True), m.ones(2, requires_grad=True)
    OnlyX.apply(x, w).sum().backward()
    assert _grad(x) == [1.0, 1.0] and w.grad is None  # was zeros: weight decay then moved w
    opt = m.optim.SGD([w], lr=0.1, weight_decay=0.5)
    opt.step()
    assert w.tolist() == [1.0, 1.0]
    (g,) = m.autograd.grad(OnlyX.apply(x, w).sum(), w, allow_unused=True)
    assert g is None


@pytest.mark.parametrize("m", LIBS, ids=LIB_IDS)
def test_grad_of_several_outputs_where_one_feeds_the_other(m):
    x = m.tensor([1.0, 2.0], requires_grad=True)
    y = (x * 3).sum()
    assert m.autograd.grad([y, y * 2], x, retain_graph=True)[0].tolist() == [9.0, 9.0]
    assert m.autograd.grad([y * 2, y], x)[0].tolist() == [9.0, 9.0]

    def f(t):
        h = t * 2
        return h, h.sum()

    assert m.autograd.functional.vjp(f, m.tensor([1.0, 2.0]), (m.ones(2), m.tensor(1.0)))[1].tolist() == [4.0, 4.0]


@pytest.mark.parametrize("m", LIBS, ids=LIB_IDS)
def test_hooks_of_the_differentiated_tensor_run(m):
    x = m.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    h.register_hook(lambda g: g * 10)
    assert m.autograd.grad((h ** 2).sum(), h)[0].tolist() == [40.0, 80.0]


@pytest.mark.parametrize("m", LIBS, ids=LIB_IDS)
def test_custom_function_saved_tensors_live_in_the_node(m):
    class MySigmoid(m.autograd.Function):  # saves its output: differentiable twice through it
        @staticmethod
        def forward(ctx, x):
            y = 1 / (1 + m.exp(-x))
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, g):
            (y,) = ctx.saved_tensors
            return g * y * (1 - y)

    v = np.array([0.5, -1.0])
    s = 1 / (1 + np.exp(-v))
    h = m.autograd.functional.hessian(lambda t: MySigmoid.apply(t).sum(), m.tensor(v, dtype=m.float64))
    np.testing.assert_allclose(h.tolist(), np.diag(s * (1 - s) * (1 - 2 * s)), rtol=1e-12, atol=1e-15)
    x = m.ones(2, requires_grad=True)
    y = MySigmoid.apply(x)
    y.sum().backward()
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        y.sum().backward()

    class ClampDirty(m.autograd.Function):  # saved, then changed in place within forward: fine
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            x.clamp_(min=0)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            (y,) = ctx.saved_tensors
            return g * (y > 0)

    a = m.tensor([-1.0, 2.0], requires_grad=True)
    ClampDirty.apply(a * 1).sum().backward()
    assert _grad(a) == [0.0, 1.0]

    class SavesInt(m.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x, 3)
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g

    with pytest.raises(TypeError, match="save_for_backward can only save variables, but argument 1 is of type int"):
        SavesInt.apply(m.ones(2, requires_grad=True))


@pytest.mark.parametrize("m", LIBS, ids=LIB_IDS)
def test_custom_function_with_setup_context(m):
    class Scale(m.autograd.Function):
        @staticmethod
        def forward(x, k):
            return x * k

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.k = inputs[1]

        @staticmethod
        def backward(ctx, g):
            return g * ctx.k, None

    x = m.ones(2, requires_grad=True)
    y = Scale.apply(x, 3.0)
    assert _fn_name(y) == "ScaleBackward"
    y.sum().backward()
    assert _grad(x) == [3.0, 3.0]


@pytest.mark.parametrize("m", LIBS, ids=LIB_IDS)
def test_grad_and_backward_arguments(m):
    x = m.tensor([1.0, 2.0], requires_grad=True)
    assert m.autograd.grad(x ** 2, x, m.eye(2), is_grads_batched=True)[0].tolist() == [[2.0, 0.0], [0.0, 4.0]]
    with pytest.raises(RuntimeError, match="mismatch was detected: grad_output\\[0\\] has a shape of"):
        m.autograd.grad(x ** 2, x, m.ones(2), is_grads_batched=True)
    with pytest.raises(ValueError, match="Expected allow_unused to be True or not passed when materialize_grads=True"):
        m.autograd.grad(x.sum(), [x], allow_unused=False, materialize_grads=True)
    with pytest.raises(RuntimeError, match="`inputs` argument to `grad\\(\\)` cannot be empty"):
        m.autograd.grad(x.sum(), [])
    z = m.ones(2, requires_grad=True)
    m.autograd.backward((x * z).sum(), inputs=[x])
    assert _grad(x) == [1.0, 1.0] and z.grad is None


@pytest.mark.parametrize("m", LIBS, ids=LIB_IDS)
def test_module_backward_hook_grad_output_keeps_non_tensor_positions(m):
    class Tagged(m.nn.Module):
        def forward(self, a):
            return a * 2, "tag"

    net, seen = Tagged(), []
    net.register_full_backward_hook(lambda mod, gi, go: seen.append(tuple(None if g is None else g.tolist()
                                                                          for g in go)))
    a = m.ones(2, requires_grad=True)
    net(a)[0].sum().backward()
    assert seen == [([1.0, 1.0], None)]


@pytest.mark.parametrize("m", LIBS, ids=LIB_IDS)
def test_retain_grad_follows_in_place_ops_through_views(m):
    x = m.ones(3, requires_grad=True)
    y = x * 2
    y.retain_grad()
    y[:2].mul_(3)  # the base gets a new node: its .grad is the new version's (was the old one's, [3, 6, 3])
    (y * m.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert _grad(y) == [1.0, 2.0, 3.0] and _grad(x) == [6.0, 12.0, 6.0]
    x = m.ones(3, requires_grad=True)
    y = x * 2
    v = y[:2]
    v.retain_grad()
    y.mul_(3)  # the view's node is remade from the base's new history (its .grad was None)
    (v * m.tensor([1.0, 2.0])).sum().backward()
    assert _grad(v) == [1.0, 2.0] and _grad(x) == [6.0, 12.0, 0.0]


# --- views from split / chunk / unbind ---------------------------------------
_MULTI = ("This view is the output of a function that returns multiple views. Such functions do not allow the "
          "output views to be modified inplace. You should replace the inplace operation by an out-of-place one.")


def _direct(nr, op):
    return f"Output {nr} of {op} is a view and is being modified inplace. " + _MULTI


def _indirect(nr, op):
    return f"Output {nr} of {op} is a view and its base or another view of its base has been modified inplace. " + _MULTI


def _raises(f, text):
    with pytest.raises(RuntimeError) as err:
        f()
    assert str(err.value) == text


# (make the view from x, the in-place op, the message)
_MULTI_OUTPUT_CASES = {
    "split": (lambda x: x.split(2)[1], lambda v: v.add_(1), _direct(1, "Split")),
    "chunk": (lambda x: x.chunk(3)[1], lambda v: v.mul_(2), _direct(1, "Split")),
    "split_with_sizes": (lambda x: x.split([1, 3])[1], lambda v: v.zero_(), _direct(1, "SplitWithSizes")),
    "unbind": (lambda x: x.unbind()[3], lambda v: v.fill_(0), _direct(3, "Unbind")),
    "unbind_dim1": (lambda x: x.unbind(1)[0], lambda v: v.copy_(v * 0), _direct(0, "Unbind")),
    "t_of_unbind": (lambda x: x.unbind()[3].unsqueeze(0).t(), lambda v: v.sub_(1), _direct(0, "T")),
    "slice_of_unbind": (lambda x: x.unbind()[3][1:], lambda v: v.add_(1), _direct(0, "Slice")),
    "view_of_split": (lambda x: x.split(2)[0].view(-1), lambda v: v.clamp_(0, 1), _direct(0, "View")),
    "relu_inplace": (lambda x: x.split(2)[0], lambda v: v.relu_(), _direct(0, "Split")),
}


@pytest.mark.parametrize("m", LIBS, ids=LIB_IDS)
@pytest.mark.parametrize("case", list(_MULTI_OUTPUT_CASES))
def test_multi_output_views_refuse_inplace_ops(m, case):
    make, op, text = _MULTI_OUTPUT_CASES[case]
    x = m.arange(16.0).reshape(4, 4).requires_grad_().clone()
    v = make(x)
    before = x.tolist()
    _raises(lambda: op(v), text)
    assert x.tolist() == before  # refused before anything was written
    # Out of place, the view still works and gives its gradient.
    (v * 2).sum().backward()
    assert x.grad_fn is not None


@pytest.mark.parametrize("m", LIBS, ids=LIB_IDS)
def test_multi_output_views_of_a_leaf_and_without_grad(m):
    leaf = m.ones(4, requires_grad=True)
    # The multi-output refusal comes before the "view of a leaf" one, as PyTorch.
    _raises(lambda: leaf.split(2)[0].mul_(2), _direct(0, "Split"))
    # Nothing requires grad: allowed.
    plain = m.ones(4)
    a = plain.split(2)[0]
    a.mul_(2)
    assert plain.tolist() == [2.0, 2.0, 1.0, 1.0]
    # The other operand requires grad: refused, and the view has no node to name.
    _raises(lambda: plain.split(2)[1].mul_(m.ones(2, requires_grad=True)),
            "A view was created in no_grad mode and is being modified inplace with grad mode enabled. " + _MULTI)
    assert plain.tolist() == [2.0, 2.0, 1.0, 1.0]
    # A detached piece is a plain tensor again.
    x = m.ones(4, requires_grad=True).clone()
    x.split(2)[0].detach().mul_(3)
    assert x.tolist() == [3.0, 3.0, 1.0, 1.0]
    # Under no_grad the in-place op is allowed (and split there makes no multi-output views).
    with m.no_grad():
        x.split(2)[1].add_(1)
        pieces = x.split(2)
    assert x.tolist() == [3.0, 3.0, 2.0, 2.0]
    pieces[0].detach().add_(0)  # no error
    # tensor_split and hsplit slice one piece at a time: their views are ordinary.
    x.tensor_split(2)[1].add_(1)
    x.hsplit(2)[0].add_(1)
    assert x.tolist() == [4.0, 4.0, 3.0, 3.0]


@pytest.mark.parametrize("m", LIBS, ids=LIB_IDS)
@pytest.mark.parametrize("change", ["base", "sibling", "base_no_grad", "leaf_update"])
def test_multi_output_view_is_unusable_once_its_base_changed(m, change):
    if change == "leaf_update":  # an optimizer's step on a parameter the view was split from
        x = m.ones(4, 4, requires_grad=True)
    else:
        x = m.ones(4, 4, requires_grad=True).clone()
    v = x.split(2)[1]
    ordinary = x[2:]
    if change == "base":
        x.add_(1)
    elif change == "sibling":
        x.split(2)[0].detach().add_(1)
    else:
        with m.no_grad():
            x.add_(1)
    for use in (lambda: v.grad_fn, lambda: v * 2, lambda: v.sum(), lambda: v.is_leaf):
        _raises(use, _indirect(1, "Split"))
    assert v.requires_grad  # answered without the history
    assert "grad_fn=<Invalid>" in repr(v)
    with m.no_grad():
        assert (v * 2).tolist() == [[2.0 if change == "sibling" else 4.0] * 4] * 2
    # A view by slicing rebuilds its history instead.
    (ordinary * 1).sum().backward()
