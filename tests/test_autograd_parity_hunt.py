"""The autograd user API against PyTorch 2.13, a differential hunt: backward() and autograd.grad's
argument errors and warnings, the grad-mode switches (as context managers, decorators, on generators),
hooks and autograd.Function. Each case states PyTorch's answer, checked on fasttensor, and on PyTorch
itself when it is installed (the release the expectations are written for)."""

from __future__ import annotations

import warnings

import pytest

import fasttensor as ft

from helpers import TORCH_IS_REFERENCE, raised, torch

LIBS = [ft] + ([torch] if TORCH_IS_REFERENCE else [])



def warned(fn):
    """The (category name, message) of each warning fn() gives, with fasttensor's name as torch's and
    PyTorch's '(Triggered internally at <its build path>)' suffix left out."""
    with warnings.catch_warnings(record=True) as got:
        warnings.simplefilter("always")
        fn()
    return [(w.category.__name__, str(w.message).replace("fasttensor", "torch").split(" (Triggered internally")[0])
            for w in got]


# --- errors of backward() and autograd.grad --------------------------------------------------------------------

def _leaf(m):
    return m.arange(4.0, requires_grad=True)


BACKWARD_ERRORS = [
    # (case, PyTorch 2.13's exception, or None where it raises none)
    ("non-scalar without gradient", lambda m: (_leaf(m) * 2).backward(),
     ("RuntimeError", "grad can be implicitly created only for scalar outputs")),
    ("non-scalar without grad and no grad_fn", lambda m: m.arange(4.0).backward(),
     ("RuntimeError", "element 0 of tensors does not require grad and does not have a grad_fn")),
    ("gradient a Python number", lambda m: (_leaf(m) * 2).sum().backward(2.0),
     ("TypeError", "'float' object is not iterable")),
    ("gradient a list of a number", lambda m: (_leaf(m) * 2).sum().backward([2.0]),
     ("TypeError", "gradients can be either Tensors or None, but got float")),
    ("gradients beyond the outputs are ignored",
     lambda m: (_leaf(m) * 2).sum().backward([m.tensor(1.0), m.tensor(1.0)]), None),
    ("inputs=[]", lambda m: (_leaf(m) * 2).sum().backward(inputs=[]),
     ("RuntimeError", "`inputs` argument to `backward()` cannot be empty.")),
    ("autograd.backward inputs=()", lambda m: m.autograd.backward((_leaf(m) * 2).sum(), inputs=()),
     ("RuntimeError", "`inputs` argument to `backward()` cannot be empty.")),
    ("autograd.backward grad_tensors and grad_variables",
     lambda m: m.autograd.backward((_leaf(m) * 2).sum(), m.tensor(1.0), grad_variables=m.tensor(1.0)),
     ("RuntimeError", "`grad_tensors` and `grad_variables` (deprecated) arguments both passed to `backward()`. "
                      "Please only use `grad_tensors`.")),
    ("grad: an unused input names its index",
     lambda m: m.autograd.grad((_leaf(m) * 2).sum(), [_leaf(m)[0:1].detach().requires_grad_(), _leaf(m)]),
     ("RuntimeError", "The differentiated Tensor at index 0 appears to not have been used in the graph. Set "
                      "allow_unused=True if this is the desired behavior.")),
    ("grad: the second input unused",
     lambda m: (lambda x: m.autograd.grad((x * 2).sum(), [x, m.ones(2, requires_grad=True)]))(_leaf(m)),
     ("RuntimeError", "The differentiated Tensor at index 1 appears to not have been used in the graph. Set "
                      "allow_unused=True if this is the desired behavior.")),
    ("grad: fewer grad_outputs than outputs",
     lambda m: (lambda x: m.autograd.grad([x * 2, x * 3], x, grad_outputs=[m.ones(4)]))(_leaf(m)),
     ("RuntimeError", "got 2 tensors and 1 gradients")),
    ("grad: inputs a Mapping that is not a dict",
     lambda m: (lambda x: m.autograd.grad((x * 2).sum(), __import__("types").MappingProxyType({"x": x})))(_leaf(m)),
     ("TypeError", "`inputs` argument to `grad()` must be a dict, not mappingproxy. Other Mapping types are not "
                   "supported.")),
    ("grad: inputs={}", lambda m: m.autograd.grad((_leaf(m) * 2).sum(), {}),
     ("RuntimeError", "`inputs` argument to `grad()` cannot be empty.")),
]


@pytest.mark.parametrize("m", LIBS, ids=lambda m: m.__name__)
@pytest.mark.parametrize("name,case,expected", BACKWARD_ERRORS, ids=[c[0] for c in BACKWARD_ERRORS])
def test_backward_and_grad_errors(m, name, case, expected):
    assert raised(lambda: case(m)) == expected


@pytest.mark.parametrize("m", LIBS, ids=lambda m: m.__name__)
def test_gradient_given_in_a_list(m):
    # A one-tensor list as backward's gradient works as the tensor itself.
    x = _leaf(m)
    (x * x).backward([m.ones(4) * 2])
    assert x.grad.tolist() == [0.0, 4.0, 8.0, 12.0]


@pytest.mark.parametrize("m", LIBS, ids=lambda m: m.__name__)
def test_grad_with_dict_inputs_returns_a_dict(m):
    x, w = _leaf(m), m.ones(4, requires_grad=True)
    got = m.autograd.grad((x * w * w).sum(), {"w": w, "x": x})
    assert list(got) == ["w", "x"]
    assert got["w"].tolist() == [0.0, 2.0, 4.0, 6.0] and got["x"].tolist() == [1.0, 1.0, 1.0, 1.0]


@pytest.mark.parametrize("m", LIBS, ids=lambda m: m.__name__)
def test_backward_inputs_fills_a_non_leaf_quietly(m):
    # backward(inputs=[h]) for a non-leaf h fills h.grad, no warning on the way.
    x = _leaf(m)
    h = x * 2
    assert warned(lambda: (h * h).sum().backward(inputs=[h])) == []
    assert h.grad.tolist() == [0.0, 4.0, 8.0, 12.0] and x.grad is None


CREATE_GRAPH_WARNING = ("UserWarning", "Using backward() with create_graph=True will create a reference cycle "
                        "between the parameter and its gradient which can cause a memory leak. We recommend using "
                        "autograd.grad when creating the graph to avoid this. If you have to use this function, "
                        "make sure to reset the .grad fields of your parameters to None after use to break the "
                        "cycle and avoid the leak.")


@pytest.mark.parametrize("m", LIBS, ids=lambda m: m.__name__)
def test_backward_with_create_graph_warns_once(m):
    prev = m.is_warn_always_enabled()
    m.set_warn_always(True)  # PyTorch warns once per process; this makes it every time
    try:
        x = m.tensor([1.0, 2.0], requires_grad=True)
        assert warned(lambda: (x ** 3).sum().backward(create_graph=True)) == [CREATE_GRAPH_WARNING]
        assert warned(lambda: m.autograd.backward((x ** 3).sum(), create_graph=True)) == [CREATE_GRAPH_WARNING]
        assert warned(lambda: m.autograd.grad((x ** 3).sum(), x, create_graph=True)) == []  # grad: no cycle
        assert warned(lambda: (x ** 3).sum().backward()) == []
    finally:
        m.set_warn_always(prev)
    assert x.grad.tolist() == [9.0, 36.0]  # 3x^2 from each of the three backward calls


@pytest.mark.parametrize("m", LIBS, ids=lambda m: m.__name__)
def test_deprecated_arguments_warn(m):
    x = _leaf(m)
    assert warned(lambda: m.autograd.grad((x * x).sum(), x, only_inputs=False)) == [
        ("FutureWarning", "only_inputs argument is deprecated and is ignored now (defaults to True). To accumulate "
                          "gradient for other parts of the graph, please use torch.autograd.backward.")]
    assert warned(lambda: m.autograd.backward((x * x).sum(), grad_variables=m.tensor(2.0))) == [
        ("FutureWarning", "`grad_variables` is deprecated. Use `grad_tensors` instead.")]
    assert x.grad.tolist() == [0.0, 4.0, 8.0, 12.0]  # grad_variables counted as grad_tensors


# --- grad-mode switches ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("m", LIBS, ids=lambda m: m.__name__)
def test_grad_modes_live_in_autograd_grad_mode(m):
    assert m.no_grad is m.autograd.grad_mode.no_grad and m.enable_grad is m.autograd.grad_mode.enable_grad
    assert m.set_grad_enabled is m.autograd.grad_mode.set_grad_enabled
    assert m.inference_mode is m.autograd.grad_mode.inference_mode
    assert repr(m.no_grad()).replace("fasttensor", "torch").startswith("<torch.autograd.grad_mode.no_grad object at")
    try:
        s = m.set_grad_enabled(False)
        assert repr(s).replace("fasttensor", "torch") == "torch.autograd.grad_mode.set_grad_enabled(mode=False)"
        assert str(s) == repr(s) and s.mode is False and not m.is_grad_enabled()
    finally:
        m.set_grad_enabled(True)


@pytest.mark.parametrize("m", LIBS, ids=lambda m: m.__name__)
@pytest.mark.parametrize("value,type_name", [("a", "str"), (1, "int"), (None, "NoneType")])
def test_set_grad_enabled_takes_only_a_bool(m, value, type_name):
    try:
        assert raised(lambda: m.set_grad_enabled(value)) == (
            "TypeError", f"set_grad_enabled(): argument 'enabled' (position 1) must be bool, not {type_name}")
        assert m.is_grad_enabled()
    finally:
        m.set_grad_enabled(True)


@pytest.mark.parametrize("m", LIBS, ids=lambda m: m.__name__)
def test_clone_of_a_switch(m):
    assert type(m.no_grad().clone()) is m.no_grad
    assert type(m.enable_grad().clone()) is m.enable_grad
    copy = m.inference_mode(False).clone()
    assert type(copy) is m.inference_mode and copy.mode is False
    s = m.set_grad_enabled(True)
    assert s.clone().mode is True


@pytest.mark.parametrize("m", LIBS, ids=lambda m: m.__name__)
@pytest.mark.parametrize("switch", ["no_grad()", "no_grad", "set_grad_enabled(False)", "inference_mode()",
                                    "inference_mode"])
def test_decorated_generator_switches_only_inside_its_steps(m, switch):
    deco = eval("m." + switch)  # noqa: S307 - one of the cases above
    seen = []

    @deco
    def gen(x):
        got = yield x * 2
        seen.append((got, m.is_grad_enabled()))
        try:
            yield x * 3
        except ValueError as e:
            seen.append((str(e), m.is_grad_enabled()))
            yield 5
        return "done"

    x = m.ones(2, requires_grad=True)
    g = gen(x)
    first = next(g)
    assert not first.requires_grad and m.is_grad_enabled()  # the caller's mode between the steps
    assert not g.send("sent").requires_grad
    assert g.throw(ValueError("thrown")) == 5
    with pytest.raises(StopIteration) as stop:
        next(g)
    assert stop.value.value == "done"
    assert seen == [("sent", False), ("thrown", False)]
    assert gen.__name__ == "gen"

    def outer():
        result = yield from gen(x)
        return result

    assert len(list(outer())) == 2
    h = gen(x)
    next(h)
    h.close()
    assert m.is_grad_enabled()


@pytest.mark.parametrize("m", LIBS, ids=lambda m: m.__name__)
def test_no_grad_around_a_generator_is_left_between_steps(m):
    @m.enable_grad()
    def gen():
        yield m.is_grad_enabled()

    with m.no_grad():
        assert list(gen()) == [True]
        assert not m.is_grad_enabled()


@pytest.mark.parametrize("m", LIBS, ids=lambda m: m.__name__)
def test_decorating_a_class_is_deprecated(m):
    class A:
        def __init__(self, v):
            self.v = v

    with pytest.warns(FutureWarning, match="^Decorating classes is deprecated and will be disabled in future "
                                           "versions. You should only decorate functions or methods. To preserve "
                                           "the current behavior of class decoration, you can directly decorate "
                                           "the `__init__` method and nothing else.$"):
        make = m.no_grad(A)
    assert make(3).v == 3 and not isinstance(make, type)


@pytest.mark.parametrize("m", LIBS, ids=lambda m: m.__name__)
def test_inference_mode_false_turns_grad_on(m):
    with m.no_grad():
        with m.inference_mode(False):
            assert m.is_grad_enabled() and not m.is_inference_mode_enabled()
        assert not m.is_grad_enabled()
    with m.inference_mode():
        assert m.is_inference_mode_enabled() and not m.is_grad_enabled()
    assert m.is_grad_enabled() and not m.is_inference_mode_enabled()


# --- tensor hooks --------------------------------------------------------------------------------------------------

def _named_hook(g):
    return g[:2]


class _CallableHook:
    def __call__(self, g):
        return g[:2]


HOOK_ERRORS = [
    # (hook, leaf or non-leaf, PyTorch 2.13's exception from backward)
    ("a number", lambda m: lambda g: 3, True, ("TypeError", "expected Variable, but hook returned 'int'")),
    ("a list", lambda m: lambda g: [1.0], False, ("TypeError", "expected Variable, but hook returned 'list'")),
    ("another size", lambda m: lambda g: m.ones(2), True, ("RuntimeError", "hook '<lambda>' has changed the size "
                                                                           "of value")),
    ("another shape", lambda m: lambda g: g.reshape(1, 3), False, ("RuntimeError", "hook '<lambda>' has changed the "
                                                                                   "size of value")),
    ("named function", lambda m: _named_hook, True, ("RuntimeError", "hook '_named_hook' has changed the size of "
                                                                     "value")),
    ("callable object", lambda m: _CallableHook(), True, ("RuntimeError", "hook '<unknown>' has changed the size "
                                                                          "of value")),
    ("another dtype", lambda m: lambda g: g.double(), True,
     ("RuntimeError", "hook '<lambda>' has changed the type of value (was torch.FloatTensor got torch.DoubleTensor)")),
    ("an integer tensor", lambda m: lambda g: m.tensor([1, 2, 3]), False,
     ("RuntimeError", "hook '<lambda>' has changed the type of value (was torch.FloatTensor got torch.LongTensor)")),
    ("not callable", lambda m: 3, True, ("TypeError", "'int' object is not callable")),
]


@pytest.mark.parametrize("m", LIBS, ids=lambda m: m.__name__)
@pytest.mark.parametrize("name,make_hook,leaf,expected", HOOK_ERRORS, ids=[c[0] for c in HOOK_ERRORS])
def test_hook_results_are_checked(m, name, make_hook, leaf, expected):
    x = m.arange(3.0, requires_grad=True)
    t = x if leaf else x * 2
    t.register_hook(make_hook(m))  # taken (even a non-callable); backward finds the fault
    assert raised(lambda: (t * t).sum().backward()) == expected


@pytest.mark.parametrize("m", LIBS, ids=lambda m: m.__name__)
def test_post_accumulate_grad_hook(m):
    x, w = m.arange(3.0, requires_grad=True), m.ones(3, requires_grad=True)
    seen = []
    handle = x.register_post_accumulate_grad_hook(lambda p: seen.append((p is x, p.grad.tolist())))
    (x * x * w).sum().backward()
    (x * x * w).sum().backward()
    assert seen == [(True, [0.0, 2.0, 4.0]), (True, [0.0, 4.0, 8.0])]  # .grad as accumulated
    m.autograd.grad((x * x).sum(), x)  # fills no .grad: no call
    (x * w).sum().backward(inputs=[w])  # no gradient for x: no call
    assert len(seen) == 2
    handle.remove()
    (x * x).sum().backward()
    assert len(seen) == 2

    # The optimizer-in-backward pattern: the hook steps and clears the leaf's gradient.
    p = m.ones(2, requires_grad=True)
    def step(q):
        q.data.sub_(q.grad)
        q.grad = None

    p.register_post_accumulate_grad_hook(step)
    (p * m.tensor([1.0, 2.0])).sum().backward()
    assert p.tolist() == [0.0, -1.0] and p.grad is None


@pytest.mark.parametrize("m", LIBS, ids=lambda m: m.__name__)
def test_post_accumulate_grad_hook_refusals(m):
    x = m.arange(3.0, requires_grad=True)
    assert raised(lambda: (x * 2).register_post_accumulate_grad_hook(print)) == (
        "RuntimeError", "post accumulate grad hooks cannot be registered on non-leaf tensors")
    assert raised(lambda: m.arange(3.0).register_post_accumulate_grad_hook(print)) == (
        "RuntimeError", "cannot register a hook on a tensor that doesn't require gradient")


@pytest.mark.parametrize("m", LIBS, ids=lambda m: m.__name__)
@pytest.mark.parametrize("result,expected", [
    ("tensor", ("RuntimeError", "Tensor post accumulate grad hooks should return None.")),
    (5, ("TypeError", "expected Variable, but hook returned 'int'"))])
def test_post_accumulate_grad_hook_must_return_none(m, result, expected):
    x = m.arange(3.0, requires_grad=True)
    x.register_post_accumulate_grad_hook(lambda p: m.ones(3) if result == "tensor" else result)
    assert raised(lambda: (x * x).sum().backward()) == expected


# --- autograd.Function -------------------------------------------------------------------------------------------

def _square(m, decorate_backward=lambda f: f):
    """A Function computing x**2 whose backward is decorated as asked."""

    class Square(m.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 2

        @staticmethod
        @decorate_backward
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g

    return Square


@pytest.mark.parametrize("m", LIBS, ids=lambda m: m.__name__)
def test_function_ctx_is_named_as_the_node(m):
    seen = []

    class Exp(m.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            seen.append((type(ctx).__name__, isinstance(ctx, m.autograd.function.FunctionCtx)))
            return x.exp()

        @staticmethod
        def backward(ctx, g):
            seen.append(type(ctx).__name__)
            return g

    Exp.apply(m.ones(1, requires_grad=True)).sum().backward()
    Exp.apply(m.ones(1))
    assert seen == [("ExpBackward", True), "ExpBackward", ("ExpBackward", True)]


@pytest.mark.parametrize("m", LIBS, ids=lambda m: m.__name__)
def test_function_instance_warns_and_refuses_calls(m):
    square = _square(m)
    with pytest.warns(DeprecationWarning, match=r"^<class '.*Square'> should not be instantiated. Methods on autograd "
                                                r"functions are all static, so you should invoke them on the class "
                                                r"itself. Instantiating an autograd function will raise an error in a "
                                                r"future version of PyTorch.$"):
        f = square()
    assert raised(lambda: f(m.ones(1))) == (
        "RuntimeError", "Legacy autograd function with non-static forward method is deprecated. Please use new-style "
                        "autograd function with static forward method. (Example: "
                        "https://pytorch.org/docs/stable/autograd.html#torch.autograd.Function)")


@pytest.mark.parametrize("m", LIBS, ids=lambda m: m.__name__)
def test_function_with_vjp_instead_of_backward(m):
    class Twice(m.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def vjp(ctx, g):
            return g * 5

    x = m.ones(2, requires_grad=True)
    Twice.apply(x).sum().backward()
    assert x.grad.tolist() == [5.0, 5.0]

    class Both(Twice):
        @staticmethod
        def backward(ctx, g):
            return g

    assert raised(lambda: Both.apply(x).sum().backward()) == (
        "RuntimeError", "Implementing both 'backward' and 'vjp' for a custom Function is not allowed. You should only "
                        "implement one of them.")


@pytest.mark.parametrize("m", LIBS, ids=lambda m: m.__name__)
def test_once_differentiable(m):
    square = _square(m, m.autograd.function.once_differentiable)
    x = m.tensor([1.0, 3.0], requires_grad=True)
    # A gradient without history: the backward's result has none either.
    (g,) = m.autograd.grad(square.apply(x).sum(), x, create_graph=True)
    assert g.tolist() == [2.0, 6.0] and not g.requires_grad
    # A gradient with history (the product rule's x * dy): the result is marked, and differentiating it raises.
    (g,) = m.autograd.grad((square.apply(x) * x).sum(), x, create_graph=True)
    assert g.requires_grad and g.tolist() == [3.0, 27.0]
    assert raised(lambda: g.sum().backward()) == (
        "RuntimeError", "trying to differentiate twice a function that was marked with @once_differentiable")
    # Without create_graph nothing changes.
    square.apply(x).sum().backward()
    assert x.grad.tolist() == [2.0, 6.0]


# --- anomaly detection switches ----------------------------------------------------------------------------------

@pytest.mark.parametrize("m", LIBS, ids=lambda m: m.__name__)
def test_anomaly_switches(m):
    assert (m.is_anomaly_enabled(), m.is_anomaly_check_nan_enabled()) == (False, True)
    with pytest.warns(UserWarning, match="^Anomaly Detection has been enabled. This mode will increase the runtime and "
                                         "should only be enabled for debugging.$"):
        with m.autograd.detect_anomaly(check_nan=False):
            assert (m.is_anomaly_enabled(), m.is_anomaly_check_nan_enabled()) == (True, False)
    assert (m.is_anomaly_enabled(), m.is_anomaly_check_nan_enabled()) == (False, True)
    try:
        m.autograd.set_detect_anomaly(True)
        assert m.is_anomaly_enabled()
        with m.autograd.set_detect_anomaly(False, check_nan=False):
            assert (m.is_anomaly_enabled(), m.is_anomaly_check_nan_enabled()) == (False, False)
        assert (m.is_anomaly_enabled(), m.is_anomaly_check_nan_enabled()) == (True, True)
        # Detection changes no result.
        x = m.tensor([1.0, 2.0], requires_grad=True)
        (x * x).sum().backward()
        assert x.grad.tolist() == [2.0, 4.0]
    finally:
        m.set_anomaly_enabled(False)
    assert raised(lambda: m.set_anomaly_enabled(1)) == (
        "TypeError", "set_anomaly_enabled(): argument 'enabled' (position 1) must be bool, not int")
    assert raised(lambda: m.set_anomaly_enabled(True, "no")) == (
        "TypeError", "set_anomaly_enabled(): argument 'check_nan' (position 2) must be bool, not str")
    assert not m.is_anomaly_enabled()


# --- gradcheck and gradgradcheck ---------------------------------------------------------------------------------

def _wrong_backward(m, factor):
    """x * 2 whose backward claims the factor given."""

    class Wrong(m.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * factor

    return Wrong


@pytest.mark.parametrize("m", LIBS, ids=lambda m: m.__name__)
def test_gradcheck_failure_message_shows_both_jacobians(m):
    x = m.ones(2, dtype=m.float64, requires_grad=True)
    wrong = _wrong_backward(m, 3)
    assert m.autograd.gradcheck(wrong.apply, (x,), raise_exception=False) is False
    kind, message = raised(lambda: m.autograd.gradcheck(wrong.apply, (x,)))
    assert kind == "GradcheckError"
    assert message == ("Jacobian mismatch for output 0 with respect to input 0,\n"
                       "numerical:tensor([[2.0000, 0.0000],\n        [0.0000, 2.0000]], dtype=torch.float64)\n"
                       "analytical:tensor([[3., 0.],\n        [0., 3.]], dtype=torch.float64)\n")
    assert m.autograd.gradcheck(_wrong_backward(m, 2).apply, x)


@pytest.mark.parametrize("m", LIBS, ids=lambda m: m.__name__)
def test_gradcheck_input_checks(m):
    assert raised(lambda: m.autograd.gradcheck(lambda t: t * 2, (m.ones(2, dtype=m.float64),))) == (
        "ValueError", "gradcheck expects at least one input tensor to require gradient, but none of them have "
                      "requires_grad=True.")
    x = m.tensor([1.0, 2.0], requires_grad=True)  # float32: warned, and checked all the same
    with pytest.warns(UserWarning, match=r"^Input #1 requires gradient and is not a double precision floating point "
                                         r"or complex. This check will likely fail if all the inputs are not of "
                                         r"double precision floating point or complex. $"):
        assert m.autograd.gradcheck(lambda k, t: t * k, (3, x), eps=1e-2, atol=1e-2)


@pytest.mark.parametrize("m", LIBS, ids=lambda m: m.__name__)
def test_gradgradcheck(m):
    x = m.tensor([1.0, 2.0], dtype=m.float64, requires_grad=True)
    assert m.autograd.gradgradcheck(lambda t: (t ** 3).sum(), (x,))
    assert m.autograd.gradgradcheck(lambda t: t.exp() * t, x)

    class DetachedBackward(m.autograd.Function):  # a right first derivative, but a graph-less one
        @staticmethod
        def forward(ctx, t):
            ctx.save_for_backward(t)
            return t ** 2

        @staticmethod
        def backward(ctx, g):
            (t,) = ctx.saved_tensors
            return 2 * t.detach() * g

    assert m.autograd.gradcheck(DetachedBackward.apply, (x,))
    assert m.autograd.gradgradcheck(DetachedBackward.apply, (x,), raise_exception=False) is False
    go = m.ones(2, dtype=m.float64, requires_grad=True)
    assert raised(lambda: m.autograd.gradgradcheck(DetachedBackward.apply, (x,), grad_outputs=go)) == (
        "GradcheckError", "Jacobian mismatch for output 0 with respect to input 0,\n"
                          "numerical:tensor([[2.0000, 0.0000],\n        [0.0000, 2.0000]], dtype=torch.float64)\n"
                          "analytical:tensor([[0., 0.],\n        [0., 0.]], dtype=torch.float64)\n")
