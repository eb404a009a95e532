"""Autograd (csrc/autograd, python/fasttensor/autograd): requires_grad and
leaves, .grad accumulation, grad_fn names, retain_grad, backward()
arguments and errors, freed graphs, autograd.grad (second order), grad
modes, detach/.data, the version counter and in-place rules, and
composite gradients against torch and gradcheck."""

from __future__ import annotations

import sys
import warnings

import numpy as np
import pytest

import fasttensor
from fasttensor import autograd
import helpers
from helpers import check_op, lib, warn_always

SECOND_BACKWARD = "Trying to backward through the graph a second time"


# --- requires_grad and leaves ------------------------------------------------------------------

def test_requires_grad_on_creation_attribute_and_method():
    for make in (lambda **kw: fasttensor.ones(3, **kw), lambda **kw: fasttensor.zeros(2, 2, **kw),
                 lambda **kw: fasttensor.randn(3, **kw), lambda **kw: fasttensor.rand(3, **kw),
                 lambda **kw: fasttensor.tensor([1.0, 2.0], **kw), lambda **kw: fasttensor.arange(4.0, **kw),
                 lambda **kw: fasttensor.full((2,), 1.5, **kw), lambda **kw: fasttensor.empty(3, **kw),
                 lambda **kw: fasttensor.linspace(0, 1, 3, **kw), lambda **kw: fasttensor.eye(2, **kw)):
        t = make(requires_grad=True)
        assert t.requires_grad and t.is_leaf and t.grad is None and t.grad_fn is None
        assert not make().requires_grad
    x = fasttensor.arange(4.0)
    assert x.requires_grad_(True) is x and x.requires_grad
    x.requires_grad = False
    assert not x.requires_grad
    x.requires_grad_()
    assert x.requires_grad


def test_requires_grad_rules():
    with pytest.raises(RuntimeError, match="only Tensors of floating point dtype can require gradients"):
        fasttensor.arange(3).requires_grad_()
    with pytest.raises(RuntimeError, match="floating point"):
        fasttensor.zeros(3, dtype=fasttensor.int64, requires_grad=True)
    x = fasttensor.ones(3, requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match="you can only change requires_grad flags of leaf variables"):
        y.requires_grad_(False)
    y.requires_grad_(True)  # allowed: already true


def test_is_leaf_and_propagation():
    x = fasttensor.ones(3, requires_grad=True)
    c = fasttensor.ones(3)
    assert x.is_leaf and c.is_leaf and (c * 2).is_leaf and not (x * 2).is_leaf
    y = x * c
    assert y.requires_grad and y.grad_fn is not None
    assert not (c + 1).requires_grad
    assert x.detach().is_leaf and not x.detach().requires_grad
    # Integer and bool results never require grad.
    assert not (x > 0).requires_grad and not x.argmax().requires_grad
    # A view of a leaf is not a leaf.
    assert not x[1:].is_leaf and x[1:].requires_grad


def test_grad_accumulates_across_backward_calls():
    x = fasttensor.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x * x).sum().backward()
    assert x.grad.tolist() == [2.0, 4.0, 6.0]
    (x * x).sum().backward()
    assert x.grad.tolist() == [4.0, 8.0, 12.0]
    x.sum().backward()
    assert x.grad.tolist() == [5.0, 9.0, 13.0]
    x.grad = None
    (3 * x).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0, 3.0]


def test_grad_is_writable():
    x = fasttensor.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    g = x.grad
    assert x.grad.zero_() is g and x.grad.tolist() == [0.0, 0.0]
    (x * x).sum().backward()
    x.grad.data.zero_()
    assert x.grad.tolist() == [0.0, 0.0]
    x.grad = fasttensor.tensor([5.0, 5.0])
    x.sum().backward()
    assert x.grad.tolist() == [6.0, 6.0]
    x.grad = None
    assert x.grad is None
    with pytest.raises(RuntimeError):
        x.grad = fasttensor.ones(3)
    with pytest.raises(RuntimeError):
        x.grad = fasttensor.ones(2, dtype=fasttensor.float64)


def test_gradient_dtype_and_layout_follow_the_leaf():
    x = fasttensor.ones(2, 3, dtype=fasttensor.float64, requires_grad=True)
    x.T.sum().backward()
    assert x.grad.dtype == fasttensor.float64 and x.grad.shape == (2, 3)
    # A broadcast gradient is reduced back to the leaf's shape.
    b = fasttensor.ones(3, requires_grad=True)
    (fasttensor.ones(4, 3) * b).sum().backward()
    assert b.grad.tolist() == [4.0, 4.0, 4.0]
    s = fasttensor.tensor(2.0, requires_grad=True)
    (fasttensor.ones(4, 3) * s).sum().backward()
    assert s.grad.shape == () and s.grad.item() == 12.0


def test_grad_of_reused_tensor_sums_all_paths():
    check_op([(3, 4)], lambda x: x * x + x.exp() * x - x.T.T, numpy_fn=lambda x: x * x + np.exp(x) * x - x)
    check_op([(3, 4)], lambda x: (x @ x.T).sum(1) + x.sum(1), numpy_fn=lambda x: (x @ x.T).sum(1) + x.sum(1),
             atol=1e-5)


# --- grad_fn ---------------------------------------------------------------------------------

GRAD_FN_CASES = {
    "x*y": lambda m, x, y: x * y, "x*2": lambda m, x, y: x * 2, "2*x": lambda m, x, y: 2 * x,
    "x+y": lambda m, x, y: x + y, "x+2": lambda m, x, y: x + 2, "x-y": lambda m, x, y: x - y,
    "2-x": lambda m, x, y: 2 - x, "x/y": lambda m, x, y: x / y, "2/x": lambda m, x, y: 2 / x,
    "x**2": lambda m, x, y: x ** 2, "x**y": lambda m, x, y: x ** y, "2**x": lambda m, x, y: 2 ** x,
    "-x": lambda m, x, y: -x, "exp": lambda m, x, y: x.exp(), "log": lambda m, x, y: x.log(),
    "sum": lambda m, x, y: x.sum(), "sum1": lambda m, x, y: x.sum(1), "mean": lambda m, x, y: x.mean(),
    "mean0": lambda m, x, y: x.mean(0), "max": lambda m, x, y: x.max(), "maxdim": lambda m, x, y: x.max(1).values,
    "min_all": lambda m, x, y: m.min(x), "amax": lambda m, x, y: x.amax(1), "T": lambda m, x, y: x.T,
    "t": lambda m, x, y: x.t(), "transpose": lambda m, x, y: x.transpose(0, 1),
    "permute": lambda m, x, y: x.permute(1, 0), "reshape": lambda m, x, y: x.reshape(-1),
    "reshape_copy": lambda m, x, y: x.T.reshape(-1), "view": lambda m, x, y: x.view(-1),
    "select": lambda m, x, y: x[0], "slice": lambda m, x, y: x[1:], "col": lambda m, x, y: x[:, 1],
    "index": lambda m, x, y: x[[0, 1]], "mask": lambda m, x, y: x[x > 0],
    "unsqueeze": lambda m, x, y: x.unsqueeze(0), "squeeze": lambda m, x, y: x[None].squeeze(0),
    "expand": lambda m, x, y: x[None].expand(2, 2, 3), "matmul": lambda m, x, y: x @ y.T,
    "mm": lambda m, x, y: m.mm(x, y.T), "dot": lambda m, x, y: m.dot(x[0], y[0]),
    "mv": lambda m, x, y: m.mv(x, y[0]), "relu": lambda m, x, y: m.relu(x), "sigmoid": lambda m, x, y: m.sigmoid(x),
    "tanh": lambda m, x, y: m.tanh(x), "softmax": lambda m, x, y: m.softmax(x, 1),
    "log_softmax": lambda m, x, y: m.log_softmax(x, 1), "cat": lambda m, x, y: m.cat([x, y]),
    "stack": lambda m, x, y: m.stack([x, y]), "where": lambda m, x, y: m.where(x > 0, x, y),
    "clamp": lambda m, x, y: x.clamp(0, 1), "maximum": lambda m, x, y: m.maximum(x, y),
    "max(x,y)": lambda m, x, y: m.max(x, y), "abs": lambda m, x, y: x.abs(), "sqrt": lambda m, x, y: x.sqrt(),
    "norm": lambda m, x, y: x.norm(), "std": lambda m, x, y: x.std(), "var": lambda m, x, y: x.var(),
    "prod": lambda m, x, y: x.prod(), "cumsum": lambda m, x, y: x.cumsum(1), "double": lambda m, x, y: x.double(),
    "clone": lambda m, x, y: x.clone(), "contiguous": lambda m, x, y: x.T.contiguous(),
    "unbind": lambda m, x, y: x.unbind(0)[0], "chunk": lambda m, x, y: x.chunk(2, 1)[0],
    "narrow": lambda m, x, y: x.narrow(1, 0, 2), "flatten": lambda m, x, y: x.flatten(),
    "sin": lambda m, x, y: x.sin(), "cos": lambda m, x, y: x.cos(), "rsqrt": lambda m, x, y: x.rsqrt(),
    "log1p": lambda m, x, y: x.log1p(), "square": lambda m, x, y: x.square(),
    "add_alpha": lambda m, x, y: x.add(y, alpha=2), "neg": lambda m, x, y: x.neg(),
    "expm1": lambda m, x, y: x.expm1(), "exp2": lambda m, x, y: x.exp2(), "log2": lambda m, x, y: x.log2(),
    "log10": lambda m, x, y: x.log10(), "sinh": lambda m, x, y: x.sinh(), "cosh": lambda m, x, y: x.cosh(),
    "tan": lambda m, x, y: x.tan(), "asin": lambda m, x, y: (x / 7).asin(), "acos": lambda m, x, y: (x / 7).acos(),
    "atan": lambda m, x, y: x.atan(), "erf": lambda m, x, y: x.erf(), "gather": lambda m, x, y: x.gather(1, m.tensor([[0], [2]])),
    "index_select": lambda m, x, y: x.index_select(1, m.tensor([2, 0])), "repeat": lambda m, x, y: x.repeat(2, 1),
    "lgamma": lambda m, x, y: x.lgamma(), "digamma": lambda m, x, y: x.digamma(),
}


@pytest.mark.parametrize("name", list(GRAD_FN_CASES))
def test_grad_fn_names_match_torch(torch, name):
    fn = GRAD_FN_CASES[name]
    names = []
    for m in (torch, fasttensor):
        x = m.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
        y = m.tensor([[1.0, -2.0, 3.0], [4.0, 5.0, -6.0]], requires_grad=True)
        out = fn(m, x, y)
        names.append(type(out.grad_fn).__name__ if m is torch else out.grad_fn.name())
    assert names[1] == names[0]


def test_grad_fn_repr_and_graph_structure():
    x = fasttensor.arange(4.0, requires_grad=True)
    y = 2 * fasttensor.dot(x, x)
    assert repr(y) == "tensor(28., grad_fn=<MulBackward0>)"
    assert y.grad_fn.name() == "MulBackward0"
    assert repr(y.grad_fn).startswith("<MulBackward0 object at 0x")
    (dot_fn, _), = [e for e in y.grad_fn.next_functions if e[0] is not None]
    assert dot_fn.name() == "DotBackward0"
    acc = dot_fn.next_functions[0][0]
    assert acc.name() == "torch::autograd::AccumulateGrad" and acc.variable is x
    assert repr(acc).startswith("<AccumulateGrad object at 0x")
    assert x.grad_fn is None


# --- retain_grad --------------------------------------------------------------------------------

def test_retain_grad():
    x = fasttensor.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    y.retain_grad()
    assert y.retains_grad
    z = (y * y).sum()
    z.backward()
    assert y.grad.tolist() == [6.0, 12.0] and x.grad.tolist() == [18.0, 36.0]
    w = x * 2
    (w * 1).sum().backward()
    with pytest.warns(UserWarning, match="not a leaf Tensor is being accessed"):  # as PyTorch warns
        assert w.grad is None  # not retained
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert y.grad is not None and x.grad is not None  # retained / a leaf: no warning
    with pytest.raises(RuntimeError, match="can't retain_grad on Tensor that has requires_grad=False"):
        fasttensor.ones(2).retain_grad()
    x.retain_grad()  # a leaf: no-op


# --- backward() arguments and errors ----------------------------------------------------------------

def test_backward_non_scalar_needs_gradient():
    x = fasttensor.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        (x * 2).backward()
    (x * 2).backward(gradient=fasttensor.tensor([1.0, 0.5, 0.0]))
    assert x.grad.tolist() == [2.0, 1.0, 0.0]
    (x * x).backward(fasttensor.ones(3))
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        (x * 2).backward(fasttensor.ones(4))
    # A one-element non-0-d output is fine without gradient.
    (x[:1] * 2).backward()
    assert x.grad.tolist() == [6.0, 3.0, 2.0]


@pytest.mark.parametrize("m", [fasttensor] + ([helpers.torch] if helpers.HAVE_TORCH else []))
def test_given_output_gradients_are_checked_and_cast_to_the_output_dtype(m):
    # An integer or bool gradient of a float output is cast (it went unconverted into the backward
    # formulas: sigmoid's raised, others mixed dtypes); a wrong shape is refused, naming both.
    x = m.tensor([1.0, 2.0, 3.0], dtype=m.float64, requires_grad=True)
    v = np.array([1.0, 2.0, 3.0])
    s = 1 / (1 + np.exp(-v))
    for f, expected in ((lambda t: t.sigmoid(), s * (1 - s)), (lambda t: t.relu(), [1, 1, 1]),
                        (lambda t: t.tanh(), 1 - np.tanh(v) ** 2), (lambda t: t / 2, [0.5] * 3)):
        for g in (m.ones(3, dtype=m.int64), m.ones(3, dtype=m.bool)):
            (got,) = m.autograd.grad(f(x), x, grad_outputs=g)
            assert got.dtype == m.float64
            np.testing.assert_allclose(got.tolist(), expected, rtol=1e-14)
    x.grad = None
    (x * 2).float().backward(m.ones(3, dtype=m.int64))
    assert x.grad.dtype == m.float64 and x.grad.tolist() == [2.0, 2.0, 2.0]
    size = m.__name__ + ".Size"
    message = (rf"Mismatch in shape: grad_output\[0\] has a shape of {size}\(\[2\]\) and output\[0\] has a "
               rf"shape of {size}\(\[3\]\)\.")
    with pytest.raises(RuntimeError, match=message):
        m.autograd.grad(x * 2, x, grad_outputs=m.ones(2))
    with pytest.raises(RuntimeError, match=message):
        (x * 2).backward(m.ones(2))


def test_backward_of_tensor_without_graph_raises():
    with pytest.raises(RuntimeError, match="does not require grad and does not have a grad_fn"):
        fasttensor.ones(2).sum().backward()
    with fasttensor.no_grad():
        y = fasttensor.ones(2, requires_grad=True).sum()
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.backward()


def test_second_backward_raises_unless_retain_graph():
    x = fasttensor.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match=SECOND_BACKWARD):
        y.backward()
    y = x.exp().sum()
    y.backward()
    with pytest.raises(RuntimeError, match=SECOND_BACKWARD):
        y.backward()
    x.grad = None
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.tolist() == [4.0, 8.0]
    # A graph that saved no tensors can be walked again, as in PyTorch.
    s = x.sum()
    s.backward()
    s.backward()


def test_backward_inside_no_grad():
    x = fasttensor.tensor([1.0, 2.0], requires_grad=True)
    y = (x ** 3).sum()
    with fasttensor.no_grad():
        y.backward()
    assert x.grad.tolist() == [3.0, 12.0]


def test_autograd_backward_function():
    x = fasttensor.tensor([1.0, 2.0], requires_grad=True)
    autograd.backward((x * x).sum())
    assert x.grad.tolist() == [2.0, 4.0]
    autograd.backward([x * 1, x * 2], [fasttensor.ones(2), fasttensor.ones(2)])
    assert x.grad.tolist() == [5.0, 7.0]


def test_deep_graph_backward_is_iterative():
    # 20k chained nodes: a recursive walk would overflow the C stack.
    x = fasttensor.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(20_000):
        y = y + 1.0
    y.backward()
    assert x.grad.item() == 1.0
    del y


def test_wide_fan_out_accumulates():
    x = fasttensor.tensor([2.0], requires_grad=True)
    total = sum((x * float(i) for i in range(100)), fasttensor.zeros(1))
    total.sum().backward()
    assert x.grad.item() == sum(range(100))


# --- autograd.grad ------------------------------------------------------------------------------

def test_autograd_grad_basic_and_not_accumulating():
    x = fasttensor.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (g,) = autograd.grad((x * x).sum(), x)
    assert g.tolist() == [2.0, 4.0, 6.0] and x.grad is None
    y = x * x
    (g2,) = autograd.grad(y, [x], grad_outputs=fasttensor.tensor([1.0, 0.0, 2.0]))
    assert g2.tolist() == [2.0, 0.0, 12.0]
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        autograd.grad(x * 2, x)


def test_autograd_grad_retain_graph_and_multiple_inputs():
    a = fasttensor.tensor([1.0, 2.0], requires_grad=True)
    b = fasttensor.tensor([3.0, 4.0], requires_grad=True)
    z = (a * b).sum()
    ga, gb = autograd.grad(z, (a, b), retain_graph=True)
    assert ga.tolist() == [3.0, 4.0] and gb.tolist() == [1.0, 2.0]
    (ga_again,) = autograd.grad(z, a)
    assert ga_again.tolist() == [3.0, 4.0]
    with pytest.raises(RuntimeError, match=SECOND_BACKWARD):
        autograd.grad(z, a)


def test_autograd_grad_allow_unused():
    x = fasttensor.ones(2, requires_grad=True)
    unused = fasttensor.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="appears to not have been used in the graph"):
        autograd.grad((x * 2).sum(), [x, unused])
    gx, gu = autograd.grad((x * 2).sum(), [x, unused], allow_unused=True)
    assert gx.tolist() == [2.0, 2.0] and gu is None
    gx, gu = autograd.grad((x * 2).sum(), [x, unused], allow_unused=True, materialize_grads=True)
    assert gu.tolist() == [0.0, 0.0]


def test_autograd_grad_of_an_input_itself(torch):
    # grad(x, x) is the upstream gradient (PyTorch returns grad_outputs).
    x = fasttensor.ones(3, requires_grad=True)
    (g,) = autograd.grad(x, x, fasttensor.tensor([1.0, 2.0, 3.0]))
    assert g.tolist() == [1.0, 2.0, 3.0]


def test_views_of_a_tensor_are_new_objects():
    # Like PyTorch, t() of a 1-D tensor and x[...] are aliases, not x itself.
    x = fasttensor.ones(3, requires_grad=True)
    assert x.t() is not x and x.t().grad_fn is not None
    assert x[...] is not x


def test_autograd_grad_of_intermediate():
    x = fasttensor.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    out = (h * h).sum()
    (gh,) = autograd.grad(out, h)
    assert gh.tolist() == [6.0, 12.0]


def test_second_order_create_graph():
    x = fasttensor.tensor([1.0, 2.0, -1.5], requires_grad=True)
    y = (x ** 3).sum()
    (g,) = autograd.grad(y, x, create_graph=True)
    assert g.requires_grad
    np.testing.assert_allclose(g.detach().numpy(), 3 * np.array([1.0, 2.0, -1.5]) ** 2)
    (h,) = autograd.grad(g.sum(), x)
    np.testing.assert_allclose(h.numpy(), 6 * np.array([1.0, 2.0, -1.5]))


def test_second_order_matches_torch(torch):
    vals = np.array([[0.3, -1.2, 0.7], [1.1, 0.4, -0.6]])
    results = []
    for m in (torch, fasttensor):
        x = m.tensor(vals, requires_grad=True)
        w = m.tensor(vals.T.copy() * 0.5, requires_grad=True)
        loss = (m.tanh(x @ w) * x.sum(1, keepdim=True)).exp().sum()
        gx, gw = m.autograd.grad(loss, (x, w), create_graph=True)
        (gx.pow(2).sum() + gw.sin().sum()).backward()
        results.append([t.detach().numpy().copy() for t in (gx, gw, x.grad, w.grad)])
    for a, e in zip(results[1], results[0]):
        np.testing.assert_allclose(a, e, rtol=1e-10, atol=1e-12)


SECOND_ORDER_CASES = {
    "tanh": lambda m, x: m.tanh(x).sum(), "exp": lambda m, x: x.exp().sum(), "sin": lambda m, x: x.sin().sum(),
    "sigmoid": lambda m, x: x.sigmoid().sum(), "sqrt": lambda m, x: (x * x + 1).sqrt().sum(),
    "log": lambda m, x: (x * x + 1).log().sum(), "pow3": lambda m, x: (x ** 3).sum(),
    "div": lambda m, x: (1 / (x * x + 1)).sum(), "relu": lambda m, x: (x.relu() ** 2).sum(),
    "abs": lambda m, x: (x.abs() ** 3).sum(), "softmax": lambda m, x: (x.softmax(1) ** 2).sum(),
    "log_softmax": lambda m, x: (x.log_softmax(1) ** 2).sum(), "max_dim": lambda m, x: (x.max(1).values ** 2).sum(),
    "amax": lambda m, x: (x.amax(1) ** 2).sum(), "norm": lambda m, x: x.norm() ** 3, "var": lambda m, x: x.var() ** 2,
    "std": lambda m, x: x.std() ** 3, "mean": lambda m, x: (x.mean(0) ** 2).sum(),
    "matmul": lambda m, x: ((x @ x.T) ** 2).sum(), "broadcast": lambda m, x: (x * x.sum(1, keepdim=True)).sum(),
    "index": lambda m, x: (x[[0, 1, 1], [2, 0, 0]] ** 3).sum(), "where": lambda m, x: m.where(x > 0, x ** 3, x).sum(),
    "clamp": lambda m, x: (x.clamp(-1, 0.5) ** 3).sum(), "prod": lambda m, x: x.prod(1).sum(),
    "cumsum": lambda m, x: (x.cumsum(1) ** 2).sum(), "maximum": lambda m, x: (m.maximum(x, x * 0.5) ** 2).sum(),
}


@pytest.mark.parametrize("name", list(SECOND_ORDER_CASES))
def test_second_order_per_op_matches_torch(torch, name):
    fn = SECOND_ORDER_CASES[name]
    vals = np.array([[0.3, -1.2, 0.7], [1.1, 0.4, -0.6]])
    results = []
    for m in (torch, fasttensor):
        x = m.tensor(vals, requires_grad=True)
        (g,) = m.autograd.grad(fn(m, x), x, create_graph=True)
        (g ** 2).sum().backward()
        results.append((g.detach().numpy().copy(), x.grad.numpy().copy()))
    np.testing.assert_allclose(results[1][0], results[0][0], rtol=1e-10, atol=1e-12, err_msg="first derivative")
    np.testing.assert_allclose(results[1][1], results[0][1], rtol=1e-10, atol=1e-12, err_msg="second derivative")


def test_backward_create_graph_gives_differentiable_grad():
    x = fasttensor.tensor([2.0], requires_grad=True)
    (x ** 2).sum().backward(create_graph=True)
    assert x.grad.requires_grad
    g = x.grad
    x.grad = None
    g.sum().backward()
    assert x.grad.item() == 2.0


# --- grad modes --------------------------------------------------------------------------------

def test_no_grad_enable_grad_context_managers():
    x = fasttensor.ones(2, requires_grad=True)
    assert fasttensor.is_grad_enabled()
    with fasttensor.no_grad():
        assert not fasttensor.is_grad_enabled()
        y = x * 2
        with fasttensor.enable_grad():
            assert fasttensor.is_grad_enabled()
            z = x * 2
        assert not fasttensor.is_grad_enabled()
    assert fasttensor.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad and z.grad_fn is not None


def test_grad_mode_restored_after_exception():
    with pytest.raises(ValueError):
        with fasttensor.no_grad():
            raise ValueError("boom")
    assert fasttensor.is_grad_enabled()


def test_no_grad_enable_grad_decorators():
    x = fasttensor.ones(2, requires_grad=True)

    @fasttensor.no_grad()
    def f(t):
        return t * 2

    @fasttensor.enable_grad()
    def g(t):
        return t * 2

    assert not f(x).requires_grad
    with fasttensor.no_grad():
        assert g(x).requires_grad
    assert f.__name__ == "f"


def test_set_grad_enabled():
    x = fasttensor.ones(2, requires_grad=True)
    with fasttensor.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert fasttensor.is_grad_enabled()
    fasttensor.set_grad_enabled(False)
    assert not fasttensor.is_grad_enabled() and not (x * 2).requires_grad
    fasttensor.set_grad_enabled(True)
    assert (x * 2).requires_grad
    with fasttensor.set_grad_enabled(True):
        assert (x * 2).requires_grad
    with fasttensor.inference_mode():
        assert not (x * 2).requires_grad
    assert autograd.no_grad is fasttensor.no_grad


def test_no_grad_ops_still_compute():
    x = fasttensor.tensor([1.0, 4.0], requires_grad=True)
    with fasttensor.no_grad():
        y = x.sqrt() @ fasttensor.ones(2)
    assert y.item() == 3.0 and not y.requires_grad


# --- detach, .data ------------------------------------------------------------------------------

def test_detach_shares_storage_and_cuts_graph():
    x = fasttensor.tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    u = y.detach()
    assert not u.requires_grad and u.grad_fn is None and u.is_leaf
    assert u._storage_ptr == y._storage_ptr
    z = u * x
    z.sum().backward()
    assert x.grad.tolist() == [1.0, 4.0]


def test_detach_inplace():
    x = fasttensor.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    assert y.detach_() is y
    assert not y.requires_grad and y.grad_fn is None and y.is_leaf


def test_data_attribute():
    x = fasttensor.tensor([1.0, 2.0], requires_grad=True)
    d = x.data
    assert not d.requires_grad and d._storage_ptr == x._storage_ptr
    d.mul_(10)  # no autograd error, and x sees it
    assert x.tolist() == [10.0, 20.0]
    x.data = fasttensor.tensor([5.0, 6.0])
    assert x.tolist() == [5.0, 6.0] and x.requires_grad and x.is_leaf


# --- version counter and in-place rules -----------------------------------------------------------

def test_inplace_on_saved_tensor_raises_at_backward():
    x = fasttensor.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x.exp()  # ExpBackward0 saves its result
    y.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()
    x2 = fasttensor.tensor([1.0, 2.0], requires_grad=True)
    h = x2 * 3
    out = (h * h).sum()  # MulBackward0 saves h
    h.zero_()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.backward()


def test_version_counter_message_and_versions():
    x = fasttensor.tensor([1.0, 2.0], requires_grad=True)
    a = x * 1
    assert a._version == 0
    b = a.sigmoid()  # saves its output
    b.mul_(2)
    assert b._version == 1
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        b.sum().backward()
    c = x * 1
    d = c * c  # saves c
    c += 1
    with pytest.raises(RuntimeError, match="is at version 1; expected version 0 instead"):
        d.sum().backward()


def test_inplace_on_unsaved_intermediate_is_fine():
    check_op([(3, 4)], lambda x: _inplace_chain(x), numpy_fn=lambda x: (x * 2 + 1) * 3 - x)
    check_op([(3, 4)], lambda x: _inplace_view_chain(x), run_gradcheck=False,
             numpy_fn=lambda x: np.concatenate([x[:1] * 5, x[1:] * 2], 0))


def _inplace_chain(x):
    y = x * 2
    y += 1
    y.mul_(3)
    y -= x
    return y


def _inplace_view_chain(x):
    y = x * 2
    y[:1].mul_(2.5)
    return y


def test_inplace_on_leaf_requiring_grad():
    param = fasttensor.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place operation"):
        param -= 1
    for op in (lambda p: p.add_(1), lambda p: p.mul_(2), lambda p: p.zero_(), lambda p: p.fill_(1),
               lambda p: p.copy_(fasttensor.ones(2)), lambda p: p.clamp_(0, 1), lambda p: p.__setitem__(0, 5.0)):
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            op(param)
    assert param.tolist() == [1.0, 2.0]
    (param * param).sum().backward()
    lr = 0.1
    with fasttensor.no_grad():
        param -= lr * param.grad
    np.testing.assert_allclose(param.detach().numpy(), [0.8, 1.6], rtol=1e-6)
    assert param.requires_grad and param.is_leaf
    param.grad.zero_()
    with fasttensor.no_grad():
        param[0] = 3.0
        param.mul_(2)
    assert param.tolist() == [6.0, 3.2000000476837158]


def test_inplace_on_view_of_leaf_requiring_grad_raises():
    x = fasttensor.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="in-place operation"):
        x[1:].add_(1)


# --- composite gradients vs torch and gradcheck ---------------------------------------------------

def test_mlp_gradients():
    def mlp(X, W1, b1, W2, b2):
        H = lib(X).relu(X @ W1 + b1)
        out = H @ W2 + b2
        return (out.log_softmax(1) * 0.5).sum() + (W1 ** 2).sum() * 1e-3

    check_op([(5, 4), (4, 6), (6,), (6, 3), (3,)], mlp, dtypes=["float32", "float64"], atol=1e-5,
             gradcheck_max=200)


def test_linear_regression_gradients():
    def loss(X, w, b, y):
        y_hat = lib(X).matmul(X, w) + b
        return ((y_hat - y.reshape(y_hat.shape)) ** 2 / 2).mean()

    check_op([(8, 2), (2, 1), (1,), (8,)], loss, dtypes=["float32", "float64"], atol=1e-5, gradcheck_max=200)


def test_softmax_regression_scratch_gradients():
    def model(X, W, b):
        O = X.reshape((-1, W.shape[0])) @ W + b
        X_exp = O.exp()
        P = X_exp / X_exp.sum(1, keepdims=True)
        y = lib(X).tensor([0, 2, 1, 2])
        return -lib(X).log(P[list(range(len(P))), y]).mean()

    check_op([(4, 6), (6, 3), (3,)], model, dtypes=["float32", "float64"], atol=1e-5, gradcheck_max=200)


def test_float_dtype_conversion_in_graph():
    # The float64 input's gradient passes through float32: float32 tolerances.
    check_op([(3, 2), (3, 2)], lambda a, b: (a.double() * b).float().exp(), dtypes=[("float32", "float64")],
             numpy_fn=lambda a, b: np.exp(a * b), grad_rtol=1e-5, grad_atol=1e-6, run_gradcheck=False)
    check_op([(3,)], lambda a: a.to(lib(a).float64).sum() * a.type(lib(a).float32), dtypes=["float64"],
             numpy_fn=lambda a: a.sum() * a.astype(np.float32), grad_rtol=1e-6, grad_atol=1e-6,
             run_gradcheck=False)
    # The same graph entirely in float64 is gradchecked.
    check_op([(3,)], lambda a: a.to(lib(a).float64).sum() * a.type(lib(a).float64), dtypes=["float64"],
             numpy_fn=lambda a: a.sum() * a)


def test_gradcheck_detects_a_wrong_gradient():
    # gradcheck is our oracle: it must reject a wrong backward.
    x = fasttensor.tensor([0.5, -0.3], dtype=fasttensor.float64, requires_grad=True)

    def wrong(t):
        return t * t.detach()  # analytic grad t, true grad 2t

    with pytest.raises(RuntimeError):
        autograd.gradcheck(wrong, (x,))
    assert autograd.gradcheck(lambda t: t * t, (x,))


def test_float_of_a_tensor_requiring_grad_warns_as_torch():
    x = fasttensor.tensor(2.0, requires_grad=True) * 1
    with warn_always(), pytest.warns(UserWarning, match="Converting a tensor with requires_grad=True to a scalar may "
                                                        "lead to unexpected behavior"):
        assert float(x) == 2.0
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert x.item() == 2.0 and int(x) == 2 and float(x.detach()) == 2.0


def _relu_second_order(m):
    x = m.tensor([-1.0, 2.0, 3.0, float("nan"), 0.0], requires_grad=True)
    y = (m.relu(x) * m.tensor([1.0, 2.0, 3.0, 4.0, 5.0])).sum()
    (g,) = m.autograd.grad(y, x, create_graph=True)
    (h,) = m.autograd.grad(g.sum(), x)
    w = m.tensor([1.0, -2.0, 3.0], requires_grad=True)
    x2 = m.tensor([-1.0, 2.0, 3.0], requires_grad=True)
    (gx,) = m.autograd.grad((m.relu(x2) * w).sum(), x2, create_graph=True)
    (gx * gx).sum().backward()
    return [g, h, w.grad, x2.grad], g.grad_fn.name()


def test_relu_second_derivative_is_zero_not_an_error():
    # relu's backward is a node of its own under create_graph (torch's ThresholdBackwardBackward0):
    # linear in the incoming gradient, constant in relu's output; its gradient passes at a NaN output.
    values, name = _relu_second_order(fasttensor)
    assert name == "ThresholdBackwardBackward0"
    want = [[0.0, 2.0, 3.0, 4.0, 0.0], [0.0] * 5, [0.0, -4.0, 6.0], [0.0, 0.0, 0.0]]
    for got, expected in zip(values, want):
        np.testing.assert_array_equal(got.detach().numpy(), expected)
    if helpers.HAVE_TORCH:
        t_values, t_name = _relu_second_order(helpers.torch)
        assert t_name == name
        for got, expected in zip(values, t_values):
            np.testing.assert_array_equal(got.detach().numpy(), expected.detach().numpy())


# --- node names of composite ops: PyTorch's, as printed with a tensor --------------------------------

def _leaf(m):
    return m.tensor([[0.5, 1.5, -2.0, 3.0], [1.0, -0.5, 2.5, 0.25], [2.0, 1.0, -1.0, 0.75]], dtype=m.float64,
                    requires_grad=True)


COMPOSITE_NODES = {  # case: (function of (module, leaf), PyTorch 2.13's node name)
    "tril": (lambda m, x: x.tril(), "TrilBackward0"),
    "triu": (lambda m, x: x.triu(1), "TriuBackward0"),
    "flip": (lambda m, x: x.flip(0), "FlipBackward0"),
    "roll": (lambda m, x: x.roll(1, 0), "RollBackward0"),
    "masked_fill": (lambda m, x: x.masked_fill(x > 1, 0.0), "MaskedFillBackward0"),
    "masked_fill_": (lambda m, x: (x * 1).masked_fill_(x > 1, 0.0), "MaskedFillBackward0"),
    "cummax": (lambda m, x: x.cummax(0)[0], "CummaxBackward0"),
    "cummin": (lambda m, x: x.cummin(1)[0], "CumminBackward0"),
    "logcumsumexp": (lambda m, x: x.logcumsumexp(0), "LogcumsumexpBackward0"),
    "layer_norm": (lambda m, x: m.nn.functional.layer_norm(x, (4,)), "NativeLayerNormBackward0"),
    "renorm": (lambda m, x: x.renorm(2, 0, 1.0), "RenormBackward0"),
    "lerp, number weight": (lambda m, x: x.lerp(x * 2, 0.3), "LerpBackward0"),
    "lerp, tensor weight": (lambda m, x: x.lerp(x * 2, x.detach()), "LerpBackward1"),
    "xlogy": (lambda m, x: m.xlogy(x, x), "XlogyBackward0"),
    "xlogy, number input": (lambda m, x: m.xlogy(2.0, x), "XlogyBackward1"),
    "xlogy, number other": (lambda m, x: m.xlogy(x, 2.0), "XlogyBackward2"),
    "addcmul": (lambda m, x: x.addcmul(x, x), "AddcmulBackward0"),
    "addcdiv": (lambda m, x: x.addcdiv(x, x), "AddcdivBackward0"),
    "logaddexp": (lambda m, x: m.logaddexp(x, x), "LogaddexpBackward0"),
    "frac": (lambda m, x: x.frac(), "FracBackward0"),
    "deg2rad": (lambda m, x: x.deg2rad(), "Deg2RadBackward0"),
    "rad2deg": (lambda m, x: x.rad2deg(), "Rad2DegBackward0"),
    "trace": (lambda m, x: x[:, :3].trace(), "TraceBackward0"),
    "dist": (lambda m, x: m.dist(x, x * 2), "DistBackward0"),
    "cdist": (lambda m, x: m.cdist(x, x * 2), "CdistBackward0"),
    "logsumexp": (lambda m, x: x.logsumexp(1), "LogsumexpBackward0"),
    "cumprod": (lambda m, x: x.cumprod(1), "CumprodBackward0"),
    "nansum": (lambda m, x: x.nansum(0), "NansumBackward0"),
    "kthvalue": (lambda m, x: x.kthvalue(2)[0], "KthvalueBackward0"),
    "mode": (lambda m, x: x.mode(0)[0], "ModeBackward0"),
    "var_mean, var": (lambda m, x: m.var_mean(x, 0)[0], "VarMeanBackward0"),
    "var_mean, mean": (lambda m, x: m.var_mean(x, 0)[1], "VarMeanBackward0"),
    "std_mean": (lambda m, x: m.std_mean(x)[0], "StdMeanBackward0"),
    "aminmax": (lambda m, x: m.aminmax(x, dim=0)[1], "AminmaxBackward0"),
    "atan2": (lambda m, x: m.atan2(x, x), "Atan2Backward0"),
    "addmm": (lambda m, x: m.addmm(x, x, m.eye(4, dtype=m.float64)), "AddmmBackward0"),
    "mse_loss": (lambda m, x: m.nn.functional.mse_loss(x, x.detach() * 2), "MseLossBackward0"),
    "MSELoss none": (lambda m, x: m.nn.MSELoss(reduction="none")(x, x.detach() * 2), "MseLossBackward0"),
    "smooth_l1_loss": (lambda m, x: m.nn.functional.smooth_l1_loss(x, x.detach() * 2), "SmoothL1LossBackward0"),
    "huber_loss": (lambda m, x: m.nn.functional.huber_loss(x, x.detach() * 2), "HuberLossBackward0"),
    "binary_cross_entropy": (lambda m, x: m.nn.functional.binary_cross_entropy(x.sigmoid(), m.ones(3, 4, dtype=m.float64)),
                             "BinaryCrossEntropyBackward0"),
    "bce with logits": (lambda m, x: m.nn.functional.binary_cross_entropy_with_logits(x, m.ones(3, 4, dtype=m.float64)),
                        "BinaryCrossEntropyWithLogitsBackward0"),
    "nll_loss": (lambda m, x: m.nn.functional.nll_loss(x, m.tensor([0, 1, 2])), "NllLossBackward0"),
    "nll_loss 3-d": (lambda m, x: m.nn.functional.nll_loss(x.reshape(1, 3, 4), m.zeros(1, 4, dtype=m.int64)),
                     "NllLoss2DBackward0"),
    "softplus": (lambda m, x: m.nn.functional.softplus(x), "SoftplusBackward0"),
    "gelu": (lambda m, x: m.nn.functional.gelu(x), "GeluBackward0"),
    "silu": (lambda m, x: m.nn.functional.silu(x), "SiluBackward0"),
    "elu": (lambda m, x: m.nn.functional.elu(x), "EluBackward0"),
    "elu in place": (lambda m, x: m.nn.functional.elu(x * 1, inplace=True), "EluBackward1"),
    "selu": (lambda m, x: m.nn.functional.selu(x), "EluBackward0"),
    "selu in place": (lambda m, x: m.nn.functional.selu(x * 1, True), "EluBackward1"),
    "celu in place": (lambda m, x: m.nn.functional.celu(x * 1, inplace=True), "CeluBackward1"),
    "leaky_relu": (lambda m, x: m.nn.functional.leaky_relu(x, 0.2), "LeakyReluBackward0"),
    "leaky_relu in place": (lambda m, x: m.nn.functional.leaky_relu(x * 1, 0.2, True), "LeakyReluBackward1"),
    "hardtanh": (lambda m, x: m.nn.functional.hardtanh(x), "HardtanhBackward0"),
    "relu6": (lambda m, x: m.nn.functional.relu6(x), "HardtanhBackward0"),
    "mish": (lambda m, x: m.nn.functional.mish(x), "MishBackward0"),
    "logsigmoid": (lambda m, x: m.nn.functional.logsigmoid(x), "LogSigmoidBackward0"),
    "hardswish": (lambda m, x: m.nn.functional.hardswish(x), "HardswishBackward0"),
    "hardsigmoid": (lambda m, x: m.nn.functional.hardsigmoid(x), "HardsigmoidBackward0"),
    "glu": (lambda m, x: m.nn.functional.glu(x), "GluBackward0"),
    "embedding": (lambda m, x: m.nn.functional.embedding(m.tensor([0, 2]), x), "EmbeddingBackward0"),
    "pad constant": (lambda m, x: m.nn.functional.pad(x, (1, 1)), "ConstantPadNdBackward0"),
    "pad reflect": (lambda m, x: m.nn.functional.pad(x[None], (1, 1), mode="reflect"), "ReflectionPad1DBackward0"),
    "pad replicate": (lambda m, x: m.nn.functional.pad(x[None, None], (1, 1, 1, 1), mode="replicate"),
                      "ReplicationPad2DBackward0"),
}


@pytest.mark.parametrize("case", list(COMPOSITE_NODES))
def test_composite_ops_carry_pytorchs_node_names(case):
    fn, name = COMPOSITE_NODES[case]
    out = fn(fasttensor, _leaf(fasttensor))
    assert out.grad_fn.name() == name
    assert f"grad_fn=<{name}>" in repr(out)


@pytest.mark.parametrize("case", list(COMPOSITE_NODES))
def test_composite_node_names_and_gradients_match_torch(torch, case):
    fn, name = COMPOSITE_NODES[case]
    x, tx = _leaf(fasttensor), _leaf(torch)
    out, want = fn(fasttensor, x), fn(torch, tx)
    assert type(want.grad_fn).__name__ == name == out.grad_fn.name()
    out.sum().backward()
    want.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-10, atol=1e-12)


# Ops whose node has a fixed answer: a zero gradient, or an error when a backward reaches it.
FIXED_NODES = {  # case: (function of (module, leaf), node name, "zeros", "none" or (exception type, message))
    "heaviside": (lambda m, x: m.heaviside(x, m.tensor([0.5], dtype=m.float64)), "torch::autograd::NotImplemented",
                  (RuntimeError, "derivative for aten::heaviside is not implemented")),
    "heaviside, values": (lambda m, x: m.heaviside(x.detach(), x[0, 1:2]), "torch::autograd::NotImplemented",
                          (RuntimeError, "derivative for aten::heaviside is not implemented")),
    "unique": (lambda m, x: m.unique(x), "Unique2Backward0",
               (NotImplementedError, "the derivative for '_unique2' is not implemented.")),
    "unique, with counts": (lambda m, x: m.unique(x, return_inverse=True, return_counts=True)[0], "Unique2Backward0",
                            (NotImplementedError, "the derivative for '_unique2' is not implemented.")),
    "Tensor.unique": (lambda m, x: x.unique(), "Unique2Backward0",
                      (NotImplementedError, "the derivative for '_unique2' is not implemented.")),
    "unique_consecutive": (lambda m, x: m.unique_consecutive(x), "UniqueConsecutiveBackward0",
                           (NotImplementedError, "the derivative for 'unique_consecutive' is not implemented.")),
    "slogdet sign": (lambda m, x: m.linalg.slogdet(x[:, :3]).sign, "LinalgSlogdetBackward0", "none"),
    "slogdet sign, top level": (lambda m, x: m.slogdet(x[:, 1:]).sign, "LinalgSlogdetBackward0", "none"),
    "matrix_power 0": (lambda m, x: m.linalg.matrix_power(x[:, :3].expand(2, 3, 3), 0),
                       "torch::autograd::CopyBackwards", "zeros"),
}


@pytest.mark.parametrize("case", list(FIXED_NODES))
def test_fixed_answer_nodes(case):
    fn, name, error = FIXED_NODES[case]
    for m in [fasttensor] + ([helpers.torch] if helpers.HAVE_TORCH else []):
        x = _leaf(m)
        out = fn(m, x)
        # name() is PyTorch's (its C++-defined nodes carry their namespace), the repr the short name
        short = name.removeprefix("torch::autograd::")
        assert out.grad_fn.name() == name and f"grad_fn=<{short}>" in repr(out)
        assert repr(out.grad_fn).startswith(f"<{short} object at 0x")
        if error == "zeros":
            out.sum().backward()
            np.testing.assert_array_equal(x.grad.numpy(), np.zeros((3, 4)))
        elif error == "none":
            out.sum().backward()
            assert x.grad is None
        else:
            with pytest.raises(error[0]) as err:
                out.sum().backward()
            assert str(err.value) == error[1]
        with m.no_grad():
            assert fn(m, x).grad_fn is None


def test_fixed_answer_nodes_keep_the_values():
    x = _leaf(fasttensor)
    np.testing.assert_array_equal(fasttensor.heaviside(x, fasttensor.tensor([0.5], dtype=fasttensor.float64)).detach()
                                  .numpy(), np.heaviside(x.detach().numpy(), 0.5))
    np.testing.assert_array_equal(x.unique().detach().numpy(), np.unique(x.detach().numpy()))
    power = fasttensor.linalg.matrix_power(x[:, :3].expand(2, 3, 3), 0)
    assert power.is_contiguous() and power.tolist() == [np.eye(3).tolist()] * 2
    assert fasttensor.linalg.slogdet(x[:, :3]).sign.item() == np.sign(np.linalg.det(x.detach().numpy()[:, :3]))


def test_a_composite_never_renames_its_inputs_node():
    from fasttensor._grad_names import grad_fn_named

    @grad_fn_named("SomeOpBackward0")
    def passthrough_or_double(t, double):
        return t * 2 if double else t

    x = _leaf(fasttensor)
    y = x * 2
    assert passthrough_or_double(y, False) is y and y.grad_fn.name() == "MulBackward0"  # an input's node
    assert passthrough_or_double(y, True).grad_fn.name() == "SomeOpBackward0"  # the call's own node
    assert y.grad_fn.name() == "MulBackward0"
    with fasttensor.no_grad():
        assert fasttensor.nn.functional.mse_loss(x, x).grad_fn is None


@pytest.mark.parametrize("loss", ["mse_loss", "smooth_l1_loss", "huber_loss", "l1_loss"])
@pytest.mark.parametrize("grad", [True, False])
def test_named_composites_warn_at_the_callers_line(loss, grad):
    # The naming wrapper is a frame of its own: the size warning must still name the caller's line.
    x = fasttensor.ones(2, 3, requires_grad=grad)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        getattr(fasttensor.nn.functional, loss)(x, fasttensor.ones(3)); line = sys._getframe().f_lineno  # noqa: E702
    assert [(w.filename, w.lineno) for w in caught] == [(__file__, line)]
