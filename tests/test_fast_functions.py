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
from helpers import HAVE_TORCH, raises_like, torch

UNARY = ["exp", "log", "sigmoid", "tanh", "relu", "abs", "neg", "sqrt", "sin", "floor", "isnan", "erf", "arctan"]
BINARY = ["mul", "multiply", "true_divide", "pow", "maximum", "minimum", "eq", "ne", "lt", "le", "gt", "ge",
          "greater", "less", "logical_and", "remainder", "fmod", "floor_divide", "bitwise_and"]
ADD_LIKE = ["add", "sub", "subtract"]
DIV = ["div", "divide"]
ALL = UNARY + BINARY + ADD_LIKE + DIV


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
    np.testing.assert_array_equal(ft.sub(a, b, alpha=None).numpy(), [3.0, -9.0])  # None: not given
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
    elif name in ADD_LIKE:
        assert names == ["input", "other", "alpha", "out"]
    elif name in DIV:
        assert names == ["input", "other", "rounding_mode", "out"]
    elif name == "pow":
        assert names == ["input", "exponent", "out"]
    else:
        assert names == ["input", "other", "out"]
    assert all(p.kind == p.KEYWORD_ONLY for p in params if p.name in ("out", "alpha", "rounding_mode"))
    assert all(p.default is None for p in params if p.name in ("out", "alpha", "rounding_mode"))
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
