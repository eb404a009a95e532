"""The functional forms of the elementwise ops (exp(x), add(a, b, out=c), ...)
are C functions that Python calls through its vectorcall protocol
(csrc/python/fastcall.cpp), not pybind11 functions. These tests pin what that
must keep: positional and keyword arguments, None as "not given", out=,
arity errors in PyTorch's words, the signature inspect reads and a docstring.
The values of the ops themselves are tested in test_elementwise.py."""

from __future__ import annotations

import inspect
import re

import numpy as np
import pytest

import fasttensor as ft
from helpers import HAVE_TORCH, compare_results, raises_like, torch

UNARY = ["exp", "log", "sigmoid", "tanh", "abs", "neg", "sqrt", "sin", "floor", "erf", "arctan"]
NO_OUT = ["relu", "isnan", "isinf", "isfinite"]  # PyTorch's take no out=
BINARY = ["mul", "multiply", "true_divide", "pow", "maximum", "minimum", "eq", "ne", "lt", "le", "gt", "ge",
          "greater", "less", "logical_and", "remainder", "fmod", "floor_divide", "bitwise_and"]
ADD_LIKE = ["add", "sub", "subtract"]
DIV = ["div", "divide"]
ALL = UNARY + NO_OUT + BINARY + ADD_LIKE + DIV


def _inputs(m, name):
    if name.startswith("bitwise") or name.startswith("logical"):
        return m.tensor([1, 2, 3]), m.tensor([3, 1, 2])
    return m.tensor([0.5, 1.5, 2.5]), m.tensor([2.0, 0.5, 1.0])


def _call(m, name, *args, **kwargs):
    return getattr(m, name)(*args, **kwargs)


@pytest.mark.parametrize("name", UNARY)
def test_unary_positional_keyword_and_out(name):
    x, _ = _inputs(ft, name)
    want = _call(ft, name, x).numpy()
    np.testing.assert_array_equal(_call(ft, name, input=x).numpy(), want)
    np.testing.assert_array_equal(_call(ft, name, x, out=None).numpy(), want)
    out = ft.empty(3, dtype=want.dtype == np.bool_ and ft.bool or x.dtype)
    r = _call(ft, name, x, out=out)
    assert r is out
    np.testing.assert_array_equal(out.numpy(), want)
    r = _call(ft, name, **{"".join(["in", "put"]): x, "out": out})  # keyword names built at run time
    assert r is out
    if HAVE_TORCH:
        tx, _ = _inputs(torch, name)
        np.testing.assert_allclose(want, _call(torch, name, input=tx).numpy(), rtol=1e-6)


@pytest.mark.parametrize("name", NO_OUT)
def test_unary_without_out(name):
    x = ft.tensor([-1.0, float("nan"), 2.0])
    want = _call(ft, name, x).numpy()
    np.testing.assert_array_equal(_call(ft, name, input=x).numpy(), want)
    raises_like(lambda m: _call(m, name, m.ones(3), out=m.empty(3, dtype=m.bool)), TypeError,
                rf"^{name}\(\) got an unexpected keyword argument 'out'$")
    if HAVE_TORCH:
        np.testing.assert_array_equal(want, _call(torch, name, torch.tensor([-1.0, float("nan"), 2.0])).numpy())


@pytest.mark.parametrize("name", BINARY + ADD_LIKE + DIV)
def test_binary_positional_keyword_and_out(name):
    a, b = _inputs(ft, name)
    other = "exponent" if name == "pow" else "other"
    want = _call(ft, name, a, b).numpy()
    np.testing.assert_array_equal(_call(ft, name, a, **{other: b}).numpy(), want)
    np.testing.assert_array_equal(_call(ft, name, **{other: b, "input": a}).numpy(), want)
    np.testing.assert_array_equal(_call(ft, name, a, b, out=None).numpy(), want)
    out = ft.empty(0, dtype=ft.tensor(want).dtype)  # resized to the result
    assert _call(ft, name, a, b, out=out) is out
    np.testing.assert_array_equal(out.numpy(), want)
    if HAVE_TORCH:
        ta, tb = _inputs(torch, name)
        np.testing.assert_allclose(want, _call(torch, name, **{other: tb, "input": ta}).numpy(), rtol=1e-6)


def test_alpha_and_rounding_mode_as_keywords():
    a, b = ft.tensor([5.0, -7.0]), ft.tensor([2.0, 2.0])
    np.testing.assert_array_equal(ft.add(a, b, alpha=3).numpy(), [11.0, -1.0])
    np.testing.assert_array_equal(ft.sub(a, b, alpha=1).numpy(), [3.0, -9.0])
    np.testing.assert_array_equal(ft.div(a, b, rounding_mode="floor").numpy(), [2.0, -4.0])
    np.testing.assert_array_equal(ft.divide(a, b, rounding_mode=None).numpy(), [2.5, -3.5])
    out = ft.empty(2)
    assert ft.div(a, b, rounding_mode="trunc", out=out) is out
    np.testing.assert_array_equal(out.numpy(), [2.0, -3.0])
    assert ft.add(a, b, alpha=2, out=out) is out
    np.testing.assert_array_equal(out.numpy(), [9.0, -3.0])
    p = ft.nn.Parameter(ft.tensor([1.0, 2.0]))  # a subclass is a tensor argument too
    np.testing.assert_array_equal(ft.mul(p, p).detach().numpy(), [1.0, 4.0])
    # the inputs are left as they were
    np.testing.assert_array_equal(a.numpy(), [5.0, -7.0])
    np.testing.assert_array_equal(b.numpy(), [2.0, 2.0])


ARITY_ERRORS = [
    (lambda m: m.exp(m.ones(3), m.ones(3)), r"^exp\(\) takes 1 positional argument but 2 were given$"),
    (lambda m: m.exp(m.ones(3), None), r"^exp\(\) takes 1 positional argument but 2 were given$"),
    (lambda m: m.exp(), r'^exp\(\) missing 1 required positional arguments: "input"$'),
    (lambda m: m.exp(m.ones(3), foo=1), r"^exp\(\) got an unexpected keyword argument 'foo'$"),
    (lambda m: m.exp(m.ones(3), input=m.ones(3)), r"^exp\(\) got multiple values for argument 'input'$"),
    (lambda m: m.add(m.ones(3), m.ones(3), m.ones(3)), r"^add\(\) takes 2 positional arguments but 3 were given$"),
    (lambda m: m.sub(m.ones(3), m.ones(3), 2), r"^sub\(\) takes 2 positional arguments but 3 were given$"),
    (lambda m: m.add(m.ones(3), other=m.ones(3), input=m.ones(3)),
     r"^add\(\) got multiple values for argument 'input'$"),
    (lambda m: m.mul(m.ones(3)), r'^mul\(\) missing 1 required positional arguments: "other"$'),
    (lambda m: m.mul(), r'^mul\(\) missing 2 required positional argument: "input", "other"$'),
    (lambda m: m.maximum(m.ones(3)), r'^maximum\(\) missing 1 required positional arguments: "other"$'),
    (lambda m: m.mul(m.ones(3), m.ones(3), alpha=2), r"^mul\(\) got an unexpected keyword argument 'alpha'$"),
    (lambda m: m.exp(m.ones(3), out=3), r"^exp\(\): argument 'out' must be Tensor, not int$"),
    (lambda m: m.sub(m.ones(3), m.ones(3), out="x"), r"^sub\(\): argument 'out' must be Tensor, not str$"),
    (lambda m: m.sigmoid(m.ones(3), out=[1]), r"^sigmoid\(\): argument 'out' must be Tensor, not list$"),
]


@pytest.mark.parametrize("call,message", ARITY_ERRORS, ids=[e[1][1:40] for e in ARITY_ERRORS])
def test_arity_errors_are_pytorchs(call, message):
    raises_like(call, TypeError, message)


def test_inputs_unchanged_by_a_refused_call():
    x = ft.tensor([1.0, 2.0])
    out = ft.tensor([7.0, 8.0])
    with pytest.raises(TypeError):
        ft.add(x, x, out=out, foo=1)
    with pytest.raises(TypeError):
        ft.exp(x, out=out, input=x)
    np.testing.assert_array_equal(out.numpy(), [7.0, 8.0])
    np.testing.assert_array_equal(x.numpy(), [1.0, 2.0])


@pytest.mark.parametrize("name", ALL)
def test_signature_and_docstring(name):
    fn = getattr(ft, name)
    params = list(inspect.signature(fn).parameters.values())
    names = [p.name for p in params]
    if name in UNARY:
        assert names == ["input", "out"]
    elif name in NO_OUT:
        assert names == ["input"]
    elif name in ADD_LIKE:
        assert names == ["input", "other", "alpha", "out"]
    elif name in DIV:
        assert names == ["input", "other", "rounding_mode", "out"]
    elif name == "pow":
        assert names == ["input", "exponent", "out"]
    else:
        assert names == ["input", "other", "out"]
    assert all(p.kind == p.KEYWORD_ONLY for p in params if p.name in ("out", "alpha", "rounding_mode"))
    assert all(p.default is None for p in params if p.name in ("out", "rounding_mode"))
    assert all(p.default == 1 for p in params if p.name == "alpha")  # alpha=None is refused
    assert fn.__doc__ and fn.__name__ == name
    assert re.fullmatch(r"[a-z_0-9]+", fn.__name__)



class _NetWithActivation(ft.nn.Module):
    def __init__(self):
        super().__init__()
        self.act = ft.sigmoid


def test_functions_pickle_by_name():
    # A function's bound object is the module (as pybind11's and torch's), so pickle saves it by
    # name: a model holding one as an attribute can be saved whole, a partial sent to a process.
    import functools
    import io
    import pickle

    for name in ALL:
        fn = getattr(ft, name)
        assert pickle.loads(pickle.dumps(fn)) is fn
    part = pickle.loads(pickle.dumps(functools.partial(ft.add, alpha=2)))
    np.testing.assert_array_equal(part(ft.ones(2), ft.ones(2)).numpy(), [3.0, 3.0])

    buf = io.BytesIO()
    ft.save(_NetWithActivation(), buf)
    buf.seek(0)
    assert ft.load(buf, weights_only=False).act is ft.sigmoid


# alpha is a Number, as PyTorch's parser takes it: None is refused (not read as "not given"), a bool
# only for a bool result, a complex never; methods and in-place forms alike.
@pytest.mark.parametrize("call,exc,message", [
    (lambda m, a, b: m.add(a, b, alpha=None), TypeError, r"^add\(\): argument 'alpha' must be Number, not NoneType$"),
    (lambda m, a, b: m.sub(a, 2, alpha=None, out=None), TypeError, r"^sub\(\): argument 'alpha' must be Number, not NoneType$"),
    (lambda m, a, b: a.add(b, alpha=None), TypeError, r"^add\(\): argument 'alpha' must be Number, not NoneType$"),
    (lambda m, a, b: a.sub_(b, alpha=None), TypeError, r"^sub_\(\): argument 'alpha' must be Number, not NoneType$"),
    (lambda m, a, b: m.add(a, b, alpha="x"), TypeError, r"^add\(\): argument 'alpha' must be Number, not str$"),
    (lambda m, a, b: m.add(a, b, alpha=[2]), TypeError, r"^add\(\): argument 'alpha' must be Number, not list$"),
    (lambda m, a, b: m.add(a, b, alpha=m.tensor([2.0])), TypeError, r"^add\(\): argument 'alpha' must be Number, not Tensor$"),
    (lambda m, a, b: m.add(a, b, alpha=True), RuntimeError, r"^Boolean alpha only supported for Boolean results\.$"),
    (lambda m, a, b: a.add_(b, alpha=False), RuntimeError, r"^Boolean alpha only supported for Boolean results\.$"),
    (lambda m, a, b: m.sub(a.long(), b.long(), alpha=True), RuntimeError, r"^Boolean alpha only supported"),
    (lambda m, a, b: m.add(a, b, alpha=2 + 0j), RuntimeError,
     r"^For non-complex input tensors, argument alpha must not be a complex number\.$"),
])
def test_alpha_must_be_a_number(call, exc, message):
    a, b = fasttensor_pair = ft.tensor([5.0, -7.0]), ft.tensor([2.0, 2.0])
    raises_like(lambda m: call(m, *((a, b) if m is ft else (torch.tensor([5.0, -7.0]), torch.tensor([2.0, 2.0])))),
                exc, message)
    np.testing.assert_array_equal(a.numpy(), [5.0, -7.0])  # left as it was
    del fasttensor_pair


@pytest.mark.parametrize("call", [
    lambda m, a, b: m.add(a, b, alpha=1), lambda m, a, b: a.add(b, alpha=m.tensor(3.0)),
    lambda m, a, b: m.add(a > 0, b > 0, alpha=True), lambda m, a, b: m.sub(a, b, alpha=-2.5),
    lambda m, a, b: m.add(a.long(), b.long(), alpha=3), lambda m, a, b: a.clone().sub_(b, alpha=2),
])
def test_alpha_numbers_accepted(call):
    ours = call(ft, ft.tensor([5.0, -7.0]), ft.tensor([2.0, 0.0]))
    if HAVE_TORCH:
        compare_results(ours, call(torch, torch.tensor([5.0, -7.0]), torch.tensor([2.0, 0.0])))


# out= must not overlap an input (or itself), as PyTorch checks before it resizes out: the
# call is refused and nothing is written (exp(a, out=a[:1]) used to move out to new memory).
_OVERLAP = r"^unsupported operation: some elements of the input tensor and the written-to tensor refer to a single memory location"
_INTERNAL = r"^unsupported operation: more than one element of the written-to tensor refers to a single memory location"


@pytest.mark.parametrize("call,message", [
    (lambda m, v: m.exp(v[:6].view(2, 3), out=v[:3]), _OVERLAP),
    (lambda m, v: m.neg(v[:7], out=v[1:]), _OVERLAP),
    (lambda m, v: m.abs(v[:6].view(2, 3).t(), out=v[:6].view(2, 3)), _OVERLAP),
    (lambda m, v: m.add(v[:4], v[4:], out=v[2:6]), _OVERLAP),
    (lambda m, v: m.add(v[:6].view(2, 3), 1, out=v[:6].view(2, 3).t()), _OVERLAP),
    (lambda m, v: m.div(v[:4], v[4:], rounding_mode="floor", out=v[1:5]), _OVERLAP),
    (lambda m, v: m.clamp(v[1:], 0, 3, out=v[:7]), _OVERLAP),
    (lambda m, v: m.where(v > 2, v, v * 0, out=v[1:]), _OVERLAP),
    (lambda m, v: m.cat([v[:2]], out=v[1:3]), _OVERLAP),
    (lambda m, v: m.cat([v, v], out=v), _OVERLAP),
    (lambda m, v: m.stack([v[:2], v[2:4]], out=v[:4].view(2, 2)), _OVERLAP),
    (lambda m, v: m.exp(v, out=m.zeros(1).expand(8)), _INTERNAL),
    (lambda m, v: m.clamp(v, 0, 3, out=m.zeros(1).expand(8)), _INTERNAL),
    (lambda m, v: m.where(v > 2, v, v * 0, out=m.zeros(1).expand(8)), _INTERNAL),
])
def test_out_overlapping_an_input_is_refused(call, message):
    v = ft.arange(8.0)
    raises_like(lambda m: call(m, v if m is ft else torch.arange(8.0)), RuntimeError, message)
    np.testing.assert_array_equal(v.numpy(), np.arange(8.0))


@pytest.mark.parametrize("call", [
    lambda m, v: m.neg(v[:4], out=v[4:]), lambda m, v: m.neg(v[:4], out=v[:4]), lambda m, v: m.add(v, v, out=v),
    lambda m, v: m.clamp(v, 1, 3, out=v), lambda m, v: m.clip(v, max=3, out=m.empty(0)),
    lambda m, v: m.where(v > 2, v, v * 0, out=v), lambda m, v: m.cat([v[:2]], out=v[2:4]),
    lambda m, v: m.stack([v[:2], v[2:4]], out=v[4:8].view(2, 2)), lambda m, v: m.add(v[::2], 1, out=v[1::2]),
])
def test_out_alongside_an_input_is_written(call):
    v = ft.arange(8.0)
    ours = call(ft, v)
    if HAVE_TORCH:
        tv = torch.arange(8.0)
        compare_results(ours, call(torch, tv))
        compare_results(v, tv)


def test_where_and_clamp_out_arguments():
    raises_like(lambda m: m.where(m.ones(3) > 0, 1.0, m.ones(3), out=m.empty(3)), TypeError,
                r"^where\(\): argument 'input' \(position 2\) must be Tensor, not float$")
    raises_like(lambda m: m.where(m.ones(3) > 0, m.ones(3), 0, out=m.empty(3)), TypeError,
                r"^where\(\): argument 'other' \(position 3\) must be Tensor, not int$")
    # both write their result's dtype only (not any that it casts to, as the elementwise ops)
    raises_like(lambda m: m.clamp(m.ones(3), 0, 1, out=m.empty(3, dtype=m.float64)), RuntimeError,
                r"^Found dtype Double but expected Float$")
    raises_like(lambda m: m.where(m.ones(3) > 0, m.ones(3), m.ones(3), out=m.empty(3, dtype=m.long)), RuntimeError,
                r"^Expected out type to be Float but got Long$")
