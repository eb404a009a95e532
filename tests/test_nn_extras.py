"""fasttensor.nn beyond test_nn.py: lazy modules before their first call
(copying, pickling, the errors for using their weights, load_state_dict),
F.linear's broadcasting cases, cross-entropy with class weights and label
smoothing, in-place dropout, the containers ModuleDict / ParameterList /
ParameterDict and Unflatten, Sequential and ModuleList arithmetic, forward
hooks, get_parameter / get_buffer, and an optimizer's duplicate parameters.
Checked against hand-computed and NumPy values always, and against PyTorch
where it is installed."""

from __future__ import annotations

import copy
import pickle
import re
import warnings
from collections import OrderedDict

import numpy as np
import pytest
from helpers import TORCH_IS_REFERENCE, check_op, ids, lib

import fasttensor as ft
from fasttensor import nn
from fasttensor.nn import functional as F

try:
    import torch

    torch.set_num_threads(1)  # reference computations only; keep the shared cores for ours
except ImportError:  # pragma: no cover - only where torch is absent
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")
# fasttensor always; torch too where installed: for the tests that run the same code on both.
LIBRARIES = [ft] if torch is None else [ft, torch]


def message_for(lib_, message: str) -> str:
    """The pattern an error's message must match: ours always the text of
    torch 2.13 (the release the test extra pins), an older torch's only
    when it is that release (2.11 on the GPU machines words some differently)."""
    return re.escape(message) if lib_ is ft or TORCH_IS_REFERENCE else ""


def arr(t) -> np.ndarray:
    return np.array(t.detach().cpu().numpy())


def torch_text(text: str) -> str:
    """Our text as PyTorch prints it: 'fasttensor' where torch says 'torch'."""
    return text.replace("fasttensor", "torch")


# --- lazy modules before their first call: copying ------------------------------------------------------


@pytest.mark.parametrize("copier", [copy.deepcopy, lambda m: pickle.loads(pickle.dumps(m))], ids=["deepcopy", "pickle"])
def test_an_uninitialized_lazy_linear_copies_and_materializes_at_its_first_call(copier):
    for lib_ in LIBRARIES:
        layer = lib_.nn.LazyLinear(2)
        clone = copier(layer)
        assert type(clone) is lib_.nn.LazyLinear and type(clone.weight) is lib_.nn.UninitializedParameter
        assert clone.weight is not layer.weight and clone.bias is not layer.bias
        assert repr(clone) == "LazyLinear(in_features=0, out_features=2, bias=True)"
        assert clone(lib_.randn(3, 4)).shape == (3, 2)
        assert type(clone) is lib_.nn.Linear and clone.weight.shape == (2, 4)
        assert repr(clone) == "Linear(in_features=4, out_features=2, bias=True)"
        assert type(layer) is lib_.nn.LazyLinear and type(layer.weight) is lib_.nn.UninitializedParameter


def test_uninitialized_parameter_copies_keep_its_settings_and_pickles_keep_requires_grad():
    for lib_ in LIBRARIES:
        param = lib_.nn.UninitializedParameter(requires_grad=False, dtype=lib_.float64)
        copied = copy.deepcopy(param)
        assert type(copied) is lib_.nn.UninitializedParameter and copied is not param
        assert copied.requires_grad is False and copied.dtype == lib_.float64
        assert copy.deepcopy([param, param])[1] is not param  # the memo: one copy for one object
        unpickled = pickle.loads(pickle.dumps(param))
        assert type(unpickled) is lib_.nn.UninitializedParameter and unpickled.requires_grad is False
        assert unpickled.dtype == lib_.float32  # PyTorch pickles requires_grad only
        assert repr(unpickled) == str(unpickled) == "<UninitializedParameter>"


# --- lazy modules before their first call: what their weights refuse -------------------------------------

SHAPE_MESSAGE = ("Can't access the shape of an uninitialized parameter or buffer. This error usually happens in "
                 "`load_state_dict` when trying to load an uninitialized parameter into an initialized one. Call "
                 "`forward` to initialize the parameters before accessing their attributes.")
USE_MESSAGE = ("Attempted to use an uninitialized parameter in {}. This error happens when you are using a "
               "`LazyModule` or explicitly manipulating `fasttensor.nn.parameter.UninitializedParameter` objects. "
               "When using LazyModules Call `forward` with a dummy batch to initialize the parameters before "
               "calling torch functions")


def test_an_uninitialized_parameter_has_no_shape_and_refuses_computation():
    weight = nn.LazyLinear(3).weight
    with pytest.raises(RuntimeError, match=re.escape(SHAPE_MESSAGE)):
        weight.shape
    uses = {"numel": lambda w: w.numel(), "dim": lambda w: w.dim(), "__add__": lambda w: w + 1,
            "__radd__": lambda w: 1 + w, "fill_": lambda w: w.fill_(1.0), "sum": lambda w: w.sum(),
            "__matmul__": lambda w: w @ w, "__getitem__": lambda w: w[0], "detach": lambda w: w.detach(),
            "requires_grad_": lambda w: w.requires_grad_(False), "__len__": len, "tolist": lambda w: w.tolist()}
    for name, use in uses.items():
        method = f"<method '{name}' of 'fasttensor.Tensor' objects>"
        with pytest.raises(ValueError, match=re.escape(USE_MESSAGE.format(method))):
            use(weight)
    # What PyTorch still allows: size(), dtype and device conversions, and the plain attributes.
    assert weight.size() == (0,) and weight.ndim == 1 and weight.dtype == ft.float32
    assert weight.device == ft.device("cpu") and weight.requires_grad and weight.is_leaf and weight.grad is None
    assert weight.is_floating_point() and weight.double().dtype == ft.float64 and weight.to(ft.float64).numel() == 0
    assert hash(weight) == hash(weight) and weight in [weight]


@needs_torch
def test_an_uninitialized_parameter_refuses_what_torchs_does():
    uses = [lambda w: w.shape, lambda w: w.numel(), lambda w: w.dim(), lambda w: w + 1, lambda w: w.fill_(1.0),
            lambda w: w.sum(), lambda w: w.detach(), lambda w: w.requires_grad_(False), lambda w: w[0],
            lambda w: w.size(), lambda w: w.double(), lambda w: w.ndim, lambda w: w.is_floating_point()]

    def outcome(use, weight):
        try:
            use(weight)
            return "ok"
        except (RuntimeError, ValueError) as e:
            return type(e).__name__

    for use in uses:
        assert outcome(use, nn.LazyLinear(3).weight) == outcome(use, torch.nn.LazyLinear(3).weight)


# What each initializer raises for a lazy weight (PyTorch's: the function itself, or the tensor method it uses).
INIT_ON_LAZY = {
    "uniform_": (ValueError, "<function uniform_ at 0x"),
    "normal_": (ValueError, "<function normal_ at 0x"),
    "constant_": (ValueError, "<function constant_ at 0x"),
    "kaiming_uniform_": (ValueError, "<function kaiming_uniform_ at 0x"),
    "zeros_": (ValueError, "<method 'zero_' of"),
    "ones_": (ValueError, "<method 'fill_' of"),
    "xavier_uniform_": (ValueError, "<method 'dim' of"),
    "xavier_normal_": (ValueError, "<method 'dim' of"),
    "kaiming_normal_": (RuntimeError, "Can't access the shape of an uninitialized parameter"),
}


@pytest.mark.parametrize("name", sorted(INIT_ON_LAZY))
def test_initializers_refuse_a_lazy_weight(name):
    error, text = INIT_ON_LAZY[name]
    args = (0.5,) if name == "constant_" else ()
    for lib_ in LIBRARIES:
        layer = lib_.nn.LazyLinear(3)
        with pytest.raises(error, match=re.escape(text)):
            getattr(lib_.nn.init, name)(layer.weight, *args)
        layer(lib_.ones(2, 4))
        getattr(lib_.nn.init, name)(layer.weight, *args)  # after the first call: a plain weight


def test_d2l_init_with_apply_before_the_first_call_raises_and_after_it_works():
    for lib_ in LIBRARIES:
        def init_normal(module):
            if isinstance(module, lib_.nn.Linear):  # a LazyLinear is a Linear
                lib_.nn.init.normal_(module.weight, mean=0, std=0.01)
                lib_.nn.init.zeros_(module.bias)

        net = lib_.nn.Sequential(lib_.nn.LazyLinear(8), lib_.nn.ReLU(), lib_.nn.LazyLinear(1))
        with pytest.raises(ValueError, match="Attempted to use an uninitialized parameter in <function normal_"):
            net.apply(init_normal)
        assert net(lib_.rand(2, 4)).shape == (2, 1)
        net.apply(init_normal)
        assert arr(net[0].bias).tolist() == [0.0] * 8 and np.abs(arr(net[0].weight)).max() < 0.1


def test_a_lazy_module_saves_builds_an_optimizer_and_converts_before_its_first_call():
    net = nn.Sequential(nn.LazyLinear(4), nn.ReLU(), nn.LazyLinear(2))
    state = net.state_dict()
    assert list(state) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert all(type(v) is nn.UninitializedParameter for v in state.values())  # as PyTorch's
    optimizer = ft.optim.SGD(net.parameters(), lr=0.1)
    net.double()
    assert net[0].weight.dtype == ft.float64
    net(ft.ones(3, 5, dtype=ft.float64)).sum().backward()
    optimizer.step()
    assert net[0].weight.shape == (4, 5) and net[0].weight.dtype == ft.float64
    assert type(net.state_dict()["0.weight"]) is ft.Tensor


# --- LazyLinear and load_state_dict (D2L section 6.6) -----------------------------------------------------


def test_a_lazy_linear_stays_lazy_after_load_state_dict_until_its_first_call():
    for lib_ in LIBRARIES:
        source = lib_.nn.Linear(20, 6)
        clone = lib_.nn.LazyLinear(6)
        assert str(clone.load_state_dict(source.state_dict())) == "<All keys matched successfully>"
        assert repr(clone.eval()) == "LazyLinear(in_features=0, out_features=6, bias=True)"
        assert type(clone.weight) is lib_.nn.Parameter and clone.weight.shape == (6, 20)
        x = lib_.randn(3, 20)
        np.testing.assert_array_equal(arr(clone(x)), arr(source(x)))
        assert type(clone) is lib_.nn.Linear and repr(clone) == "Linear(in_features=20, out_features=6, bias=True)"


def test_a_loaded_lazy_linear_called_with_another_width_raises_and_stays_lazy():
    for lib_ in LIBRARIES:
        layer = lib_.nn.LazyLinear(3)
        layer.load_state_dict(lib_.nn.Linear(5, 3).state_dict())
        with pytest.raises(AssertionError, match="The in_features inferred from input: 4 is not equal to "
                                                 "in_features from self.weight: 5"):
            layer(lib_.ones(1, 4))
        assert repr(layer) == "LazyLinear(in_features=0, out_features=3, bias=True)"


def test_a_partly_loaded_lazy_linear():
    for lib_ in LIBRARIES:
        layer = lib_.nn.LazyLinear(3)
        result = layer.load_state_dict({"weight": lib_.ones(3, 5)}, strict=False)
        assert result.missing_keys == ["bias"] and result.unexpected_keys == []
        assert type(layer.weight) is lib_.nn.Parameter and type(layer.bias) is lib_.nn.UninitializedParameter
        with pytest.raises(AttributeError, match="'Parameter' object has no attribute 'materialize'"):
            layer(lib_.ones(1, 5))  # PyTorch's own outcome: the weight is already materialized


def test_loading_an_uninitialized_state_into_a_linear_raises_the_shape_error():
    for lib_ in LIBRARIES:
        with pytest.raises(RuntimeError, match=re.escape(SHAPE_MESSAGE)):
            lib_.nn.Linear(5, 3).load_state_dict(lib_.nn.LazyLinear(3).state_dict())


# --- F.linear: a broadcast bias, a vector weight ---------------------------------------------------------


def numpy_linear(x, w, b=None):
    out = x @ (w.T if w.ndim == 2 else w)
    return out if b is None else out + b


@pytest.mark.parametrize("shapes", [
    [(3, 4), (2, 4), (2,)],  # the fused kernel's case
    [(3, 4), (2, 4), (1,)],
    [(3, 4), (2, 4), ()],
    [(3, 4), (2, 4), (3, 2)],
    [(3, 4), (2, 4), (3, 1)],
    [(5, 3, 4), (2, 4), (1,)],
    [(5, 3, 4), (2, 4), (3, 2)],
    [(4,), (2, 4), ()],
    [(3, 4), (4,), None],
    [(4,), (4,), None],
    [(5, 3, 4), (4,), None],
    [(0, 4), (4,), None],
], ids=ids)
def test_linear_with_a_broadcast_bias_or_a_vector_weight(shapes):
    check_op(shapes, lambda x, w, b: lib(x).nn.functional.linear(x, w, b), numpy_fn=numpy_linear,
             dtypes=("float32", "float64"))


@pytest.mark.parametrize("x_shape,w_shape,b_shape,message", [
    ((), (2, 4), None, "both arguments to linear need to be at least 1D, but they are 0D and 2D"),
    ((3, 4), (), None, "both arguments to linear need to be at least 1D, but they are 2D and 0D"),
    ((3, 4), (4,), (1,), "mat2 must be a matrix, got 1-D tensor"),
    ((3, 4), (2, 2, 4), None, "t() expects a tensor with <= 2 dimensions, but self is 3D"),
    ((3, 4), (2, 4), (4,), "The expanded size of the tensor (2) must match the existing size (4) at "
                           "non-singleton dimension 1.  Target sizes: [3, 2].  Tensor sizes: [4]"),
    ((3, 4), (2, 4), (2, 2), "The expanded size of the tensor (3) must match the existing size (2) at "
                             "non-singleton dimension 0.  Target sizes: [3, 2].  Tensor sizes: [2, 2]"),
], ids=ids)
def test_linear_errors(x_shape, w_shape, b_shape, message):
    for lib_ in LIBRARIES:
        bias = None if b_shape is None else lib_.ones(b_shape)
        with pytest.raises(RuntimeError, match=re.escape(message)):
            lib_.nn.functional.linear(lib_.ones(x_shape), lib_.ones(w_shape), bias)


def test_linear_with_a_bias_of_another_dtype():
    for lib_ in LIBRARIES:
        with pytest.raises(RuntimeError, match="self and mat2 must have the same dtype, but got Double and Float"):
            lib_.nn.functional.linear(lib_.ones(3, 4), lib_.ones(2, 4), lib_.ones(1, dtype=lib_.float64))


# --- cross-entropy with class weights and label smoothing --------------------------------------------------


def numpy_cross_entropy(x, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    """The definition, in float64: log-softmax over the class dim; class indices pick -w[t] log p[t], smoothed
    towards the uniform distribution; class probabilities give -sum_c w[c] q[c] log p[c]."""
    class_axis = 0 if x.ndim == 1 else 1
    n_classes = x.shape[class_axis]
    shifted = x - x.max(axis=class_axis, keepdims=True)
    log_p = np.moveaxis(shifted - np.log(np.exp(shifted).sum(axis=class_axis, keepdims=True)), class_axis, -1)
    w = np.ones(n_classes) if weight is None else weight
    if target.dtype.kind == "f":  # probabilities: (..., C) after the move
        q = np.moveaxis(target, class_axis, -1) * (1 - label_smoothing) + label_smoothing / n_classes
        loss = -(log_p * q * w).sum(-1)
        return {"none": loss, "sum": loss.sum(), "mean": loss.sum() / loss.size}[reduction]
    counted = target != ignore_index
    safe = np.where(counted, target, 0)
    target_w = w[safe] * counted
    nll = -np.take_along_axis(log_p, safe[..., None], -1)[..., 0] * target_w
    smooth = -(log_p * w).sum(-1) * counted
    loss = nll * (1 - label_smoothing) + smooth * (label_smoothing / n_classes)
    return {"none": loss, "sum": loss.sum(), "mean": loss.sum() / target_w.sum()}[reduction]


def class_targets(input_shape):
    """Targets that cover every class (so that ignore_index=1 skips some but not all)."""
    if len(input_shape) == 1:
        return np.array(2)
    shape = input_shape[:1] + input_shape[2:]
    return (np.arange(int(np.prod(shape))) % input_shape[1]).reshape(shape)


def probability_targets(input_shape, rng):
    p = rng.uniform(0.1, 1.0, input_shape)
    return p / p.sum(axis=0 if len(input_shape) == 1 else 1, keepdims=True)


CLASS_WEIGHTS = np.array([0.5, 2.0, 1.0, 3.0])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.25])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("ignore_index", [-100, 1])
@pytest.mark.parametrize("input_shape", [(6, 4), (4,), (3, 4, 2, 2)], ids=ids)
def test_cross_entropy_with_class_indices(input_shape, ignore_index, weighted, label_smoothing, reduction):
    weight = CLASS_WEIGHTS if weighted else None
    options = dict(ignore_index=ignore_index, reduction=reduction, label_smoothing=label_smoothing)

    def fn(x, t):
        w = None if weight is None else lib(x).tensor(weight).to(x.dtype)
        return lib(x).nn.functional.cross_entropy(x, t, weight=w, **options)

    check_op([input_shape, class_targets(input_shape).shape], fn,
             numpy_fn=lambda x, t: numpy_cross_entropy(x, t, weight, **options),
             dtypes=[("float64", "int64")], values=[None, class_targets(input_shape)])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.25])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("input_shape", [(6, 4), (4,), (3, 4, 2, 2)], ids=ids)
def test_cross_entropy_with_class_probabilities(input_shape, weighted, label_smoothing, reduction):
    weight = CLASS_WEIGHTS if weighted else None
    options = dict(reduction=reduction, label_smoothing=label_smoothing)

    def fn(x, p):
        w = None if weight is None else lib(x).tensor(weight).to(x.dtype)
        return lib(x).nn.functional.cross_entropy(x, p, weight=w, **options)

    targets = probability_targets(input_shape, np.random.default_rng(3))
    check_op([input_shape, input_shape], fn, numpy_fn=lambda x, p: numpy_cross_entropy(x, p, weight, **options),
             dtypes=("float64",), values=[None, targets])


def test_cross_entropy_hand_computed_with_weights_and_smoothing():
    # logits [0, ln 3] → p = [1/4, 3/4]; target class 1 with weight 2, smoothing 0.5 (q = [1/4, 3/4]).
    x = ft.tensor([[0.0, np.log(3.0)]], dtype=ft.float64)
    w = ft.tensor([1.0, 2.0], dtype=ft.float64)
    nll = -2 * np.log(0.75)
    smooth = -(1 * np.log(0.25) + 2 * np.log(0.75))
    expected = 0.5 * nll + 0.25 * smooth
    loss = F.cross_entropy(x, ft.tensor([1]), weight=w, label_smoothing=0.5, reduction="sum")
    np.testing.assert_allclose(float(loss), expected, rtol=1e-12)
    np.testing.assert_allclose(float(F.cross_entropy(x, ft.tensor([1]), weight=w, label_smoothing=0.5)),
                               expected / 2, rtol=1e-12)  # 'mean' divides by the target's weight
    probs = ft.tensor([[0.0, 1.0]], dtype=ft.float64)  # the same target as probabilities: 'mean' over rows
    np.testing.assert_allclose(float(F.cross_entropy(x, probs, weight=w, label_smoothing=0.5)), expected,
                               rtol=1e-12)


def test_cross_entropy_loss_module_passes_weight_and_label_smoothing():
    rng = np.random.default_rng(5)
    logits = rng.standard_normal((5, 4))
    target = np.array([0, 3, 1, 1, 2])
    module = nn.CrossEntropyLoss(weight=ft.tensor(CLASS_WEIGHTS, dtype=ft.float64), label_smoothing=0.1,
                                 ignore_index=2)
    assert repr(module) == "CrossEntropyLoss()"
    np.testing.assert_allclose(float(module(ft.tensor(logits), ft.tensor(target))),
                               numpy_cross_entropy(logits, target, CLASS_WEIGHTS, 2, "mean", 0.1), rtol=1e-12)


def test_cross_entropy_every_target_ignored_gives_nan_and_zero_gradients():
    for lib_ in LIBRARIES:
        x = lib_.randn(2, 3, requires_grad=True)
        loss = lib_.nn.functional.cross_entropy(x, lib_.tensor([1, 1]), ignore_index=1, label_smoothing=0.2,
                                                weight=lib_.ones(3))
        assert np.isnan(float(loss.detach()))
        loss.backward()
        np.testing.assert_array_equal(arr(x.grad), np.zeros((2, 3)))


CROSS_ENTROPY_ERRORS = [
    (dict(target=[0, 1], reduction=None), ValueError, "None is not a valid value for reduction"),
    (dict(target="probabilities", ignore_index=1), RuntimeError,
     "ignore_index is not supported for floating point target"),
    (dict(target="probabilities", ignore_index=0, label_smoothing=0.1, reduction="none"), RuntimeError,
     "ignore_index is not supported for floating point target"),
    (dict(target=[0, 1], label_smoothing=1.5), RuntimeError, "label_smoothing must be between 0.0 and 1.0. Got: 1.5"),
    (dict(target=[0, 1], weight=[1.0, 2.0]), RuntimeError,
     "weight tensor should be defined either for all 3 classes or no classes but got weight tensor of shape: [2]"),
    (dict(target="probabilities", weight=[1.0, 2.0]), RuntimeError,
     "cross_entropy: weight tensor should be defined either for all 3 classes or no classes but got weight "
     "tensor of shape: [2]"),
    (dict(target=[0, 1], weight="float64"), RuntimeError, "expected scalar type Float but found Double"),
    (dict(target=[3, 0], weight=[1.0, 1.0, 1.0]), IndexError, "Target 3 is out of bounds."),
    (dict(target=[0, 1, 2], label_smoothing=0.1), ValueError,
     "Expected input batch_size (2) to match target batch_size (3)."),
    (dict(target="int32", label_smoothing=0.1), RuntimeError, "expected target dtype to be Long or Byte, but got Int"),
]


@pytest.mark.parametrize("case", range(len(CROSS_ENTROPY_ERRORS)))
def test_cross_entropy_errors(case):
    options, error, message = CROSS_ENTROPY_ERRORS[case]
    for lib_ in LIBRARIES:
        kwargs = dict(options)
        target = kwargs.pop("target")
        if target == "probabilities":
            target = lib_.softmax(lib_.ones(2, 3), dim=1)
        elif target == "int32":
            target = lib_.tensor([0, 1], dtype=lib_.int32)
        else:
            target = lib_.tensor(target)
        if kwargs.get("weight") == "float64":
            kwargs["weight"] = lib_.ones(3, dtype=lib_.float64)
        elif "weight" in kwargs:
            kwargs["weight"] = lib_.tensor(kwargs["weight"])
        with pytest.raises(error, match=message_for(lib_, message)):
            lib_.nn.functional.cross_entropy(lib_.ones(2, 3), target, **kwargs)


NLL_ERRORS = [
    ((), [0], ValueError, "Expected 1 or more dimensions (got 0)"),
    ((2, 3), [[0, 1, 2], [0, 1, 2]], RuntimeError, "0D or 1D target tensor expected, multi-target not supported"),
    ((3,), [0, 1], ValueError, "For 1D input, 1D target must have size 1, but got target size: 2"),
    ((2, 3, 4), [[0, 1, 2]], ValueError, "Expected input batch_size (2) to match target batch_size (1)."),
    ((2, 3, 4), [[0, 1, 2], [0, 1, 2]], RuntimeError, "Expected target size [2, 4], got [2, 3]"),
    ((2, 3), [0.0, 1.0], RuntimeError, "expected target dtype to be Long or Byte, but got Float"),
]


@pytest.mark.parametrize("case", range(len(NLL_ERRORS)))
def test_nll_loss_errors(case):
    input_shape, target, error, message = NLL_ERRORS[case]
    for lib_ in LIBRARIES:
        with pytest.raises(error, match=message_for(lib_, message)):
            lib_.nn.functional.nll_loss(lib_.zeros(input_shape), lib_.tensor(target))


def test_nll_loss_of_a_1d_input_and_a_one_element_target():
    log_probs = ft.log_softmax(ft.tensor([1.0, 2.0, 3.0], dtype=ft.float64), dim=0)
    loss = F.nll_loss(log_probs, ft.tensor([1]), reduction="none")
    assert loss.shape == () and float(loss) == -float(log_probs[1])


# --- in-place dropout ------------------------------------------------------------------------------------


def test_inplace_dropout_overwrites_and_returns_its_input():
    ft.manual_seed(0)
    x = ft.ones(1000)
    assert F.dropout(x, 0.5, inplace=True) is x
    values = arr(x)
    assert set(values.tolist()) == {0.0, 2.0} and 350 < (values == 0).sum() < 650
    untouched = ft.ones(4)
    assert F.dropout(untouched, 0.5, training=False, inplace=True) is untouched
    assert F.dropout(untouched, 0.0, inplace=True) is untouched and arr(untouched).tolist() == [1.0] * 4
    assert arr(F.dropout(ft.ones(3), 1.0, inplace=True)).tolist() == [0.0] * 3
    rows = ft.ones(10, 100)
    F.dropout(rows[1], 0.5, inplace=True)  # a view: only that row changes
    assert (arr(rows)[0] == 1).all() and (arr(rows)[1] == 0).any()


def test_inplace_dropout_module():
    layer = nn.Dropout(0.5, inplace=True)
    assert repr(layer) == "Dropout(p=0.5, inplace=True)"
    x = ft.ones(100)
    assert layer(x) is x and set(arr(x).tolist()) <= {0.0, 2.0}
    layer.eval()
    y = ft.ones(5)
    assert layer(y) is y and arr(y).tolist() == [1.0] * 5


def test_inplace_dropout_gradient_and_leaf_error():
    for lib_ in LIBRARIES:
        lib_.manual_seed(0)
        a = lib_.ones(1000, requires_grad=True)
        hidden = a * 1
        out = lib_.nn.functional.dropout(hidden, 0.5, inplace=True)
        out.sum().backward()
        np.testing.assert_array_equal(arr(a.grad), arr(out))  # d out / d a = mask * 2 = out, as a = 1
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
            lib_.nn.functional.dropout(lib_.ones(3, requires_grad=True), 0.5, inplace=True)


# --- an optimizer's duplicate parameters ---------------------------------------------------------------------

DUPLICATE_WARNING = ("optimizer contains a parameter group with duplicate parameters; in future, this will cause an "
                     "error; see github.com/pytorch/pytorch/issues/40967 for more information")


def test_duplicate_parameters_in_one_group_warn_and_each_copy_is_stepped():
    results = []
    for lib_ in LIBRARIES:
        w = lib_.nn.Parameter(lib_.ones(2))
        with pytest.warns(UserWarning, match=re.escape(DUPLICATE_WARNING)):
            optimizer = lib_.optim.SGD([w, w], lr=0.1)
        assert len(optimizer.param_groups[0]["params"]) == 2
        (w * lib_.tensor([1.0, 2.0])).sum().backward()
        optimizer.step()
        results.append(arr(w))
        with pytest.raises(ValueError, match="some parameters appear in more than one parameter group"):
            lib_.optim.SGD([{"params": [w]}, {"params": [w]}], lr=0.1)
    np.testing.assert_allclose(results[0], [0.8, 0.6], rtol=1e-6)  # 1 - 2 * 0.1 * grad
    for other in results[1:]:
        np.testing.assert_allclose(results[0], other, rtol=1e-6)


def test_distinct_parameters_do_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ft.optim.SGD([nn.Parameter(ft.ones(2)), nn.Parameter(ft.ones(2))], lr=0.1)


# --- containers ------------------------------------------------------------------------------------------


def test_module_dict():
    d = nn.ModuleDict({"a": nn.Linear(2, 3), "b": nn.ReLU()})
    assert repr(d) == "ModuleDict(\n  (a): Linear(in_features=2, out_features=3, bias=True)\n  (b): ReLU()\n)"
    assert len(d) == 2 and list(d) == list(d.keys()) == ["a", "b"] and "a" in d and "z" not in d
    assert [type(m).__name__ for m in d.values()] == ["Linear", "ReLU"] and [k for k, _ in d.items()] == ["a", "b"]
    d["c"] = nn.Tanh()
    d.update({"e": nn.Sigmoid()})
    d.update([("f", nn.Identity())])
    assert list(d) == ["a", "b", "c", "e", "f"]
    assert [name for name, _ in d.named_parameters()] == ["a.weight", "a.bias"]
    linear = d.pop("a")
    del d["b"]
    assert type(linear) is nn.Linear and list(d) == ["c", "e", "f"] and len(list(d.parameters())) == 0
    d.clear()
    assert repr(d) == "ModuleDict()" and len(d) == 0
    with pytest.raises(KeyError, match="missing"):
        d["missing"]
    with pytest.raises(TypeError, match="int is not a Module subclass"):
        d["x"] = 3
    with pytest.raises(TypeError, match="module name should be a string. Got int"):
        d[1] = nn.ReLU()
    with pytest.raises(TypeError, match="ModuleDict update sequence element #0 should be Iterable; isReLU"):
        nn.ModuleDict([nn.ReLU()])
    with pytest.raises(ValueError, match="ModuleDict update sequence element #0 has length 3; 2 is required"):
        nn.ModuleDict([("a", nn.ReLU(), 1)])


def test_parameter_list():
    ft.manual_seed(0)
    plist = nn.ParameterList([nn.Parameter(ft.randn(2, 3)), ft.zeros(3)])
    assert repr(plist) == ("ParameterList(\n    (0): Parameter containing: [fasttensor.float32 of size 2x3]\n"
                           "    (1): Parameter containing: [fasttensor.float32 of size 3]\n)")
    assert type(plist[1]) is nn.Parameter and plist[1].requires_grad  # a tensor becomes a Parameter
    plist.append(nn.Parameter(ft.ones(1, dtype=ft.float64)))
    plist.extend([ft.ones(2, 2)])
    plist += [ft.ones(5)]
    assert len(plist) == 5 and len(list(plist.parameters())) == 5
    assert [tuple(p.shape) for p in plist] == [(2, 3), (3,), (1,), (2, 2), (5,)]
    plist[0] = nn.Parameter(ft.ones(4))
    assert plist[0].shape == (4,) and plist[-1].shape == (5,)
    assert [tuple(p.shape) for p in plist[1:3]] == [(3,), (1,)]
    with pytest.raises(IndexError, match="index 10 is out of range"):
        plist[10]
    assert repr(nn.ParameterList()) == "ParameterList()"
    owner = nn.Module()
    owner.ps = nn.ParameterList([nn.Parameter(ft.ones(2))])
    assert [name for name, _ in owner.named_parameters()] == ["ps.0"]
    assert repr(owner) == ("Module(\n  (ps): ParameterList(  (0): Parameter containing: [fasttensor.float32 of size 2])"
                           "\n)")


def test_parameter_dict():
    pdict = nn.ParameterDict({"w": nn.Parameter(ft.ones(2, 3)), "b": ft.zeros(3)})  # a dict: sorted keys
    assert repr(pdict) == ("ParameterDict(\n    (b): Parameter containing: [fasttensor.FloatTensor of size 3]\n"
                           "    (w): Parameter containing: [fasttensor.FloatTensor of size 2x3]\n)")
    assert len(pdict) == 2 and list(pdict) == ["b", "w"] and type(pdict["b"]) is nn.Parameter and "w" in pdict
    pdict["c"] = ft.ones(1)
    pdict.update(OrderedDict([("z", nn.Parameter(ft.ones(2))), ("d", nn.Parameter(ft.ones(2)))]))  # kept in order
    assert list(pdict.keys()) == ["b", "w", "c", "z", "d"]
    assert [name for name, _ in pdict.named_parameters()] == ["b", "w", "c", "z", "d"]
    assert pdict.pop("w").shape == (2, 3) and list(pdict) == ["b", "c", "z", "d"]
    del pdict["b"]
    assert [k for k, _ in pdict.items()] == ["c", "z", "d"] and len(pdict.values()) == 3
    assert pdict.get("missing") is None and pdict.get("c").shape == (1,)
    assert pdict.setdefault("c", ft.zeros(7)).shape == (1,) and pdict.popitem()[0] == "d"
    assert list(pdict.copy()) == ["c", "z"] and pdict.copy()["c"] is pdict["c"]
    with pytest.raises(AttributeError):
        pdict["missing"]
    pdict.clear()
    assert repr(pdict) == "ParameterDict()" and len(list(pdict.parameters())) == 0


def test_unflatten():
    layer = nn.Unflatten(1, (2, 5))
    assert repr(layer) == "Unflatten(dim=1, unflattened_size=(2, 5))"
    x = ft.arange(20.0).reshape(2, 10)
    np.testing.assert_array_equal(arr(layer(x)), np.arange(20.0).reshape(2, 2, 5))
    assert nn.Unflatten(-1, (5, -1))(x).shape == (2, 5, 2)
    assert nn.Sequential(nn.Flatten(), nn.Unflatten(1, (1, 4, 5)))(ft.ones(3, 20)).shape == (3, 1, 4, 5)
    with pytest.raises(RuntimeError, match=re.escape("unflatten: Provided sizes [3, 5] don't multiply up to the "
                                                     "size of dim 1 (10) in the input tensor")):
        nn.Unflatten(1, (3, 5))(x)
    with pytest.raises(TypeError, match="unflattened_size must be tuple of ints, but found element of type float"):
        nn.Unflatten(1, (2, 2.5))


@needs_torch
def test_container_reprs_match_torch():
    def build(m, lib_):
        return [m.ModuleDict({"a": m.Linear(2, 3), "b": m.Sequential(m.ReLU(), m.Unflatten(1, (2, 2)))}),
                m.ParameterList([m.Parameter(lib_.ones(2, 3)), lib_.zeros(3, dtype=lib_.float64), lib_.ones(())]),
                m.ParameterDict({"w": lib_.ones(2), "a": lib_.ones(1, 1)}),
                m.Sequential(m.ReLU()) * 2 + m.Sequential(m.Tanh())]

    for ours, theirs in zip(build(nn, ft), build(torch.nn, torch)):
        assert torch_text(repr(ours)) == repr(theirs)


def test_sequential_add_multiply_and_pop():
    first = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
    second = nn.Sequential(nn.Tanh())
    both = first + second
    assert [type(m).__name__ for m in both] == ["Linear", "ReLU", "Tanh"] and both[0] is first[0]
    tripled = second * 3
    assert list(tripled._modules) == ["0", "1", "2"] and tripled[0] is tripled[2] is second[0]
    assert [type(m).__name__ for m in 2 * second] == ["Tanh", "Tanh"]
    grown = nn.Sequential(nn.ReLU())
    same = grown
    grown *= 2
    grown += nn.Sequential(nn.Sigmoid())
    assert grown is same and [type(m).__name__ for m in grown] == ["ReLU", "ReLU", "Sigmoid"]
    assert type(first.pop(1)) is nn.ReLU and len(first) == 1
    chain = nn.Sequential(nn.ReLU(), nn.Tanh(), nn.Sigmoid())
    assert type(chain.pop(0)) is nn.ReLU and list(chain._modules) == ["0", "1"]
    with pytest.raises(ValueError, match="Non-positive multiplication factor 0 for <class "):
        second * 0
    with pytest.raises(TypeError, match="unsupported operand type"):
        second * "a"
    with pytest.raises(ValueError, match="add operator supports only objects of Sequential class, but "
                                         "<class 'list'> is given."):
        second + [nn.ReLU()]


def test_module_list_add_and_pop():
    modules = nn.ModuleList([nn.ReLU(), nn.Tanh()]) + nn.ModuleList([nn.Sigmoid()])
    assert type(modules) is nn.ModuleList and [type(m).__name__ for m in modules] == ["ReLU", "Tanh", "Sigmoid"]
    assert type(modules.pop(0)) is nn.ReLU and type(modules.pop(-1)) is nn.Sigmoid
    assert list(modules._modules) == ["0"] and type(modules[0]) is nn.Tanh
    assert len(nn.ModuleList([nn.ReLU()]) + [nn.Tanh()]) == 2  # any iterable of modules


# --- get_parameter / get_buffer ---------------------------------------------------------------------------


def test_get_parameter_buffer_and_submodule():
    for lib_ in LIBRARIES:
        net = lib_.nn.Sequential(lib_.nn.Linear(2, 3), lib_.nn.Sequential(lib_.nn.Linear(3, 1)))
        net.register_buffer("running", lib_.zeros(2))
        assert net.get_parameter("1.0.bias") is net[1][0].bias and net.get_buffer("running") is net.running
        assert net.get_submodule("1.0") is net[1][0] and net.get_submodule("") is net
        for getter, target, message in [
                ("get_parameter", "1.0.nope", "Linear has no attribute `nope`"),
                ("get_parameter", "2.weight", "Sequential has no attribute `2`"),
                ("get_parameter", "1.0", "`0` is not an nn.Parameter"),
                ("get_parameter", "weight", "Sequential has no attribute `weight`"),
                ("get_buffer", "0.weight", "`weight` is not a buffer"),
                ("get_buffer", "0.nope", "Linear has no attribute `nope`"),
                ("get_submodule", "0.weight", "`weight` is not an nn.Module")]:
            with pytest.raises(AttributeError, match=re.escape(message)):
                getattr(net, getter)(target)


# --- forward hooks ------------------------------------------------------------------------------------------


def test_forward_hooks_see_and_replace_inputs_and_outputs():
    for lib_ in LIBRARIES:
        net = lib_.nn.Sequential(lib_.nn.Linear(2, 2), lib_.nn.ReLU())
        log = []
        post = net[0].register_forward_hook(lambda m, args, out: log.append(("post", len(args), tuple(out.shape))))
        pre = net[0].register_forward_pre_hook(lambda m, args: log.append(("pre", type(args).__name__)))
        zero = net.register_forward_hook(lambda m, args, out: out * 0)
        assert np.abs(arr(net(lib_.ones(3, 2)))).sum() == 0.0
        assert log == [("pre", "tuple"), ("post", 1, (3, 2))]
        zero.remove()
        post.remove()
        pre.remove()
        post.remove()  # twice: nothing happens
        net(lib_.ones(1, 2))
        assert len(log) == 2
        assert len({post.id, pre.id, zero.id}) == 3

        with net.register_forward_pre_hook(lambda m, args: args[0] * 0):  # a bare tensor: the new only argument
            np.testing.assert_array_equal(arr(net(lib_.ones(1, 2))), arr(net[1](net[0].bias.reshape(1, 2))))
        with net.register_forward_hook(lambda m, args, out: out + 100):
            assert arr(net(lib_.zeros(1, 2))).min() >= 100
        assert arr(net(lib_.zeros(1, 2))).min() < 100


def test_forward_hooks_with_kwargs_prepend_and_always_call():
    for lib_ in LIBRARIES:
        layer = lib_.nn.Identity()
        log = []
        handles = [
            layer.register_forward_pre_hook(lambda m, args, kwargs: ((args[0] + 1,), kwargs), with_kwargs=True),
            layer.register_forward_hook(lambda m, args, kwargs, out: log.append(("kwargs", dict(kwargs))),
                                        with_kwargs=True),
            layer.register_forward_hook(lambda m, args, out: log.append("first")),
            layer.register_forward_hook(lambda m, args, out: log.append("prepended"), prepend=True),
        ]
        assert float(layer(lib_.zeros(()))) == 1.0
        assert log == ["prepended", ("kwargs", {}), "first"]
        for handle in handles:
            handle.remove()

        failing = lib_.nn.Linear(2, 2)
        calls = []
        failing.register_forward_hook(lambda m, args, out: calls.append(out), always_call=True)
        failing.register_forward_hook(lambda m, args, out: calls.append("plain"))
        with pytest.raises(RuntimeError):
            failing(lib_.ones(1, 3))
        assert calls == [None]  # only the always_call hook, with no output


def test_a_pre_hook_with_kwargs_must_return_args_and_kwargs():
    for lib_ in LIBRARIES:
        layer = lib_.nn.Identity()
        layer.register_forward_pre_hook(lambda m, args, kwargs: args, with_kwargs=True)
        with pytest.raises(RuntimeError, match="forward pre-hook must return None or a tuple of "
                                               r"\(new_args, new_kwargs\), but got"):
            layer(lib_.zeros(1), lib_.zeros(1), lib_.zeros(1))


def test_a_module_with_hooks_deepcopies_and_a_hookless_one_pickles():
    net = nn.Linear(2, 2)
    net.register_forward_hook(lambda m, args, out: out * 0)
    clone = copy.deepcopy(net)
    assert np.abs(arr(clone(ft.ones(1, 2)))).sum() == 0.0
    plain = pickle.loads(pickle.dumps(nn.Linear(2, 2)))
    assert plain(ft.ones(1, 2)).shape == (1, 2) and plain.register_forward_hook(lambda *a: None).id >= 0


def _reference_libs():
    import helpers

    return [ft] + ([helpers.torch] if TORCH_IS_REFERENCE else [])


@pytest.mark.parametrize("m", _reference_libs(), ids=lambda m: m.__name__)
def test_grad_assignment_cross_entropy_target_and_module_init_messages(m):
    p = m.nn.Parameter(m.ones(2))
    with pytest.raises(RuntimeError, match="attempting to assign a gradient with dtype 'double' to a tensor with "
                                           "grad_dtype 'Float'"):
        p.grad = m.ones(2, dtype=m.float64)
    with pytest.raises(RuntimeError, match="attempting to assign a gradient with dtype 'long int'"):
        p.grad = m.ones(2, dtype=m.int64)
    with pytest.raises(RuntimeError, match=re.escape("attempting to assign a gradient of size '[3]' to a tensor of "
                                                     "size '[2]'. Please ensure")):
        p.grad = m.ones(3)
    with pytest.raises(TypeError, match="assigned grad expected to be a Tensor or None but got grad of type list"):
        p.grad = [1.0, 2.0]
    F = m.nn.functional
    # a float target not shaped like the input is taken for class indices, as torch
    with pytest.raises(RuntimeError, match="0D or 1D target tensor expected, multi-target not supported"):
        F.cross_entropy(m.ones(5, 4), m.ones(5, 3))
    for inp, tgt in ((m.ones(5, 4), m.ones(5)), (m.ones(4), m.ones(3))):
        with pytest.raises(RuntimeError, match="expected target dtype to be Long or Byte, but got Float"):
            F.cross_entropy(inp, tgt)
    with pytest.raises(TypeError, match=re.escape("Module.__init__() takes 1 positional argument but 2 were given")):
        m.nn.Module(3)
    with pytest.raises(TypeError, match=re.escape("Module.__init__() got an unexpected keyword argument 'a'")):
        m.nn.Module(a=3)
