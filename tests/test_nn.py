"""fasttensor.nn: Module mechanics, layers, losses, functional and init —
checked against NumPy and, where installed, against PyTorch (same weights
copied over → same forward, backward, reprs and error messages)."""

from __future__ import annotations

import copy
import math
import os
import pickle
import subprocess
import sys
import warnings
from collections import OrderedDict

import numpy as np
import pytest

import fasttensor as ft
from fasttensor import nn
from fasttensor.nn import functional as F

try:
    import torch

    # Reference computations only; torch's OpenMP threads would contend with our worker pool on shared cores.
    torch.set_num_threads(1)
except ImportError:  # pragma: no cover - only where torch is absent
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")


def arr(t) -> np.ndarray:
    return np.array(t.detach().cpu().numpy())


def copy_weights(ours: nn.Module, theirs) -> None:
    """Copies every parameter of a torch module into the fasttensor module of the same structure."""
    with ft.no_grad():
        for (name, p), (tname, tp) in zip(ours.named_parameters(), theirs.named_parameters()):
            assert name == tname
            p.copy_(ft.tensor(tp.detach().numpy()))


# --- Parameter ---------------------------------------------------------------------------------


def test_parameter_is_a_leaf_alias_that_requires_grad():
    data = ft.randn(2, 3)
    p = nn.Parameter(data)
    assert isinstance(p, ft.Tensor) and p.requires_grad and p.is_leaf
    assert p.data_ptr() == data.data_ptr()  # no copy
    assert not nn.Parameter(data, requires_grad=False).requires_grad
    assert nn.Parameter().shape == (0,)


def test_parameter_from_a_non_leaf_is_detached():
    x = ft.randn(3, requires_grad=True)
    p = nn.Parameter(x * 2)
    assert p.is_leaf and p.grad_fn is None and p.requires_grad


@needs_torch
def test_parameter_repr_matches_torch():
    values = np.array([[1.5, -2.25], [0.0, 3.0]], dtype=np.float32)
    assert repr(nn.Parameter(ft.tensor(values))) == repr(torch.nn.Parameter(torch.tensor(values)))
    assert repr(nn.Parameter(ft.tensor(values).double(), requires_grad=False)).replace("fasttensor", "torch") == \
        repr(torch.nn.Parameter(torch.tensor(values).double(), requires_grad=False))


@pytest.mark.parametrize("requires_grad", [True, False])
def test_parameter_survives_pickle_and_deepcopy(requires_grad):
    p = nn.Parameter(ft.tensor([1.0, 2.0, 3.0]), requires_grad=requires_grad)
    for q in (pickle.loads(pickle.dumps(p)), copy.deepcopy(p)):
        assert type(q) is nn.Parameter
        assert q.requires_grad == requires_grad
        assert q.data_ptr() != p.data_ptr()
        np.testing.assert_array_equal(arr(q), [1.0, 2.0, 3.0])


def test_pickled_module_round_trips():
    net = nn.Sequential(nn.Flatten(), nn.LazyLinear(3), nn.ReLU())
    net(ft.randn(2, 4))
    back = pickle.loads(pickle.dumps(net))
    assert repr(back) == repr(net) and type(back[1]) is nn.Linear and type(back[1].weight) is nn.Parameter
    x = ft.randn(5, 4)
    np.testing.assert_array_equal(arr(back(x)), arr(net(x)))


def test_deepcopy_of_a_module_copies_parameters():
    net = nn.Sequential(nn.Linear(3, 4), nn.ReLU())
    clone = copy.deepcopy(net)
    assert type(clone[0].weight) is nn.Parameter
    assert clone[0].weight is not net[0].weight
    np.testing.assert_array_equal(arr(clone[0].weight), arr(net[0].weight))
    with ft.no_grad():
        clone[0].weight.fill_(0)
    assert arr(net[0].weight).any()


# --- Module registration and traversal ----------------------------------------------------------


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 2)
        self.scale = nn.Parameter(ft.ones(2))
        self.register_buffer("running", ft.zeros(2))
        self.register_buffer("scratch", ft.zeros(1), persistent=False)
        self.plain = ft.zeros(5)  # a plain tensor attribute: neither parameter nor buffer

    def forward(self, x):
        return self.fc(x) * self.scale


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.block = Block()
        self.head = nn.Linear(2, 1, bias=False)

    def forward(self, x):
        return self.head(self.block(x))


def test_attribute_assignment_registers_parameters_modules_and_buffers():
    net = Net()
    assert [n for n, _ in net.named_parameters()] == ["block.scale", "block.fc.weight", "block.fc.bias",
                                                      "head.weight"]
    assert [n for n, _ in net.named_buffers()] == ["block.running", "block.scratch"]
    assert [n for n, _ in net.named_children()] == ["block", "head"]
    assert [n for n, _ in net.named_modules()] == ["", "block", "block.fc", "head"]
    assert [type(m).__name__ for m in net.modules()] == ["Net", "Block", "Linear", "Linear"]
    assert net.head.bias is None
    assert "plain" in net.block.__dict__ and all(p is not net.block.plain for p in net.parameters())
    assert list(net.parameters(recurse=False)) == []
    assert net.get_submodule("block.fc") is net.block.fc


def test_shared_parameters_are_listed_once():
    layer = nn.Linear(2, 2)
    net = nn.Sequential(layer, nn.ReLU(), layer)
    assert len(list(net.parameters())) == 2
    assert [n for n, _ in net.named_parameters()] == ["0.weight", "0.bias"]


def test_reassigning_and_deleting_attributes():
    net = Net()
    net.head = None
    assert net._modules["head"] is None and "head" not in [n for n, _ in net.named_children()]
    del net.block
    assert not hasattr(net, "block")
    m = nn.Module()
    m.w = nn.Parameter(ft.zeros(1))
    m.w = None
    assert m._parameters["w"] is None and list(m.parameters()) == []


def test_registration_errors_match_torch():
    m = nn.Linear(2, 2)
    with pytest.raises(TypeError, match=r"cannot assign 'fasttensor.FloatTensor' as parameter 'weight' "
                                        r"\(fasttensor.nn.Parameter or None expected\)"):
        m.weight = ft.zeros(2, 2)
    with pytest.raises(KeyError, match=r"parameter name can.*t contain"):
        m.register_parameter("a.b", None)
    with pytest.raises(KeyError, match="attribute 'training' already exists"):
        m.register_buffer("training", ft.zeros(1))
    with pytest.raises(TypeError, match="is not a Module subclass"):
        m.add_module("x", 3)
    with pytest.raises(TypeError, match="cannot assign 'fasttensor.FloatTensor' object to parameter 'p'"):
        m.register_parameter("p", ft.zeros(1))
    with pytest.raises(AttributeError, match="'Linear' object has no attribute 'nope'"):
        m.nope


def test_assigning_before_init_is_an_error():
    class Bad(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(ft.zeros(1))

    with pytest.raises(AttributeError, match="cannot assign parameters before Module.__init__\\(\\) call"):
        Bad()


def test_forward_must_be_defined():
    with pytest.raises(NotImplementedError, match=r'Module \[Module\] is missing the required "forward" function'):
        nn.Module()(ft.zeros(1))


def test_train_eval_apply_and_requires_grad():
    net = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.Dropout(0.5), nn.ReLU()))
    assert net.eval() is net
    assert all(not m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())
    visited = []
    net.apply(lambda m: visited.append(type(m).__name__))
    assert visited == ["Linear", "Dropout", "ReLU", "Sequential", "Sequential"]
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())
    with pytest.raises(ValueError, match="training mode is expected to be boolean"):
        net.train(1)


@pytest.mark.parametrize("set_to_none", [True, False])
def test_module_zero_grad(set_to_none):
    net = nn.Linear(3, 2)
    net(ft.randn(4, 3)).sum().backward()
    assert net.weight.grad is not None
    net.zero_grad(set_to_none=set_to_none)
    for p in net.parameters():
        if set_to_none:
            assert p.grad is None
        else:
            assert not arr(p.grad).any() and p.grad.shape == p.shape


def test_to_double_float_keep_parameter_objects():
    net = Net()
    weight = net.block.fc.weight
    net(ft.randn(2, 3)).sum().backward()
    assert net.double() is net
    assert net.block.fc.weight is weight and weight.dtype == ft.float64 and weight.grad.dtype == ft.float64
    assert net.block.running.dtype == ft.float64
    net.to(ft.float32)
    assert weight.dtype == ft.float32 and weight.requires_grad and type(weight) is nn.Parameter
    assert net.cpu() is net and weight.device == ft.device("cpu")
    net.to("cpu", ft.float64)
    assert weight.dtype == ft.float64
    with pytest.raises(TypeError, match="nn.Module.to only accepts floating point"):
        net.to(ft.int64)


def test_to_casts_only_floating_buffers():
    m = nn.Module()
    m.register_buffer("count", ft.tensor([3]))
    m.double()
    assert m.count.dtype == ft.int64


# --- state_dict ----------------------------------------------------------------------------------


def test_state_dict_keys_order_and_sharing():
    net = Net()
    sd = net.state_dict()
    assert list(sd) == ["block.scale", "block.running", "block.fc.weight", "block.fc.bias", "head.weight"]
    assert all(not t.requires_grad for t in sd.values())
    assert sd["block.fc.weight"].data_ptr() == net.block.fc.weight.data_ptr()
    kept = net.state_dict(keep_vars=True)
    assert kept["head.weight"] is net.head.weight


def test_state_dict_round_trip_into_a_fresh_model():
    a, b = Net(), Net()
    result = b.load_state_dict(a.state_dict())
    assert repr(result) == "<All keys matched successfully>"
    x = ft.randn(4, 3)
    np.testing.assert_array_equal(arr(a(x)), arr(b(x)))
    assert b.block.fc.weight.data_ptr() != a.block.fc.weight.data_ptr()


def test_load_state_dict_errors():
    net = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    sd = net.state_dict()
    del sd["0.bias"]
    sd["extra"] = ft.zeros(1)
    sd["2.weight"] = ft.zeros(2, 5)
    with pytest.raises(RuntimeError) as info:
        net.load_state_dict(sd)
    assert str(info.value) == (
        "Error(s) in loading state_dict for Sequential:\n"
        '\tMissing key(s) in state_dict: "0.bias". \n'
        '\tUnexpected key(s) in state_dict: "extra". \n'
        "\tsize mismatch for 2.weight: copying a param with shape fasttensor.Size([2, 5]) from checkpoint, "
        "the shape in current model is fasttensor.Size([2, 3]).")
    with pytest.raises(TypeError, match="Expected state_dict to be dict-like"):
        net.load_state_dict([("0.weight", ft.zeros(3, 4))])


def test_load_state_dict_non_strict_reports_keys_but_still_checks_shapes():
    net = nn.Linear(2, 2)
    result = net.load_state_dict({"weight": ft.ones(2, 2), "junk": ft.zeros(1)}, strict=False)
    assert result.missing_keys == ["bias"] and result.unexpected_keys == ["junk"]
    np.testing.assert_array_equal(arr(net.weight), np.ones((2, 2)))
    with pytest.raises(RuntimeError, match="size mismatch for weight"):
        net.load_state_dict({"weight": ft.ones(3, 2)}, strict=False)


@needs_torch
def test_load_state_dict_messages_match_torch():
    def message(mod, fn):
        try:
            fn(mod)
        except RuntimeError as e:
            return str(e)
        raise AssertionError("no error")

    ours = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2))
    bad_ours = {"0.weight": ft.zeros(3, 4), "2.weight": ft.zeros(2, 5), "2.bias": ft.zeros(2), "x.y": ft.zeros(1)}
    bad_theirs = {k: torch.tensor(arr(v)) for k, v in bad_ours.items()}
    assert message(ours, lambda m: m.load_state_dict(bad_ours)).replace("fasttensor", "torch") == \
        message(theirs, lambda m: m.load_state_dict(bad_theirs))


def test_buffers_in_state_dict_and_load():
    block = Block()
    sd = block.state_dict()
    assert "running" in sd and "scratch" not in sd
    sd = {k: v.clone() for k, v in sd.items()}
    sd["running"] = ft.tensor([5.0, 6.0])
    block.load_state_dict(sd)
    np.testing.assert_array_equal(arr(block.running), [5.0, 6.0])


# --- repr --------------------------------------------------------------------------------------------


@needs_torch
def test_reprs_match_torch():
    def both(build):
        return repr(build(nn)), repr(build(torch.nn))

    cases = [
        lambda m: m.Sequential(m.Flatten(), m.Linear(784, 256), m.ReLU(), m.Dropout(0.2), m.Linear(256, 10)),
        lambda m: m.Sequential(m.Sigmoid(), m.Tanh(), m.Softmax(dim=1), m.LogSoftmax(dim=-1), m.Identity(),
                               m.ReLU(inplace=True), m.Linear(3, 2, bias=False), m.Flatten(0, 2)),
        lambda m: m.Sequential(OrderedDict(first=m.Linear(2, 3), rest=m.Sequential(m.ReLU(), m.Linear(3, 1)))),
        lambda m: m.ModuleList([m.Linear(2, 2), m.Linear(2, 2), m.Linear(2, 2), m.ReLU(), m.Linear(2, 2)]),
        lambda m: m.ModuleList(),
        lambda m: m.Sequential(),
        lambda m: m.LazyLinear(10),
        lambda m: m.Sequential(m.MSELoss(), m.CrossEntropyLoss(), m.Softmax()),
    ]
    for build in cases:
        ours, theirs = both(build)
        assert ours == theirs


@needs_torch
def test_custom_module_repr_matches_torch():
    def make(m):
        class Model(m.Module):
            def __init__(self):
                super().__init__()
                self.net = m.Sequential(m.Linear(2, 3), m.ModuleList([m.ReLU(), m.ReLU()]))
                self.w = m.Parameter(m.Linear(1, 1).weight.detach())

            def extra_repr(self):
                return "line one\nline two"

        return Model()

    assert repr(make(nn)) == repr(make(torch.nn))


# --- containers --------------------------------------------------------------------------------------


def test_sequential_indexing_slicing_append():
    layers = [nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)]
    net = nn.Sequential(*layers)
    assert len(net) == 3 and net[0] is layers[0] and net[-1] is layers[2]
    assert list(net) == layers
    tail = net[1:]
    assert isinstance(tail, nn.Sequential) and list(tail._modules) == ["1", "2"] and tail[0] is layers[1]
    with pytest.raises(IndexError, match="index 3 is out of range"):
        net[3]
    with pytest.raises(IndexError, match="index -4 is out of range"):
        net[-4]
    assert net.append(nn.Sigmoid()) is net and len(net) == 4 and isinstance(net[3], nn.Sigmoid)
    net[1] = nn.Tanh()
    assert isinstance(net[1], nn.Tanh)
    del net[1]
    assert list(net._modules) == ["0", "1", "2"] and isinstance(net[1], nn.Linear)
    out = net(ft.randn(5, 2))
    assert out.shape == (5, 1) and float(out.min()) > 0  # sigmoid last


def test_sequential_from_ordered_dict_keeps_names():
    net = nn.Sequential(OrderedDict(hidden=nn.Linear(2, 2), act=nn.ReLU()))
    assert [n for n, _ in net.named_parameters()] == ["hidden.weight", "hidden.bias"]
    assert net.hidden is net[0]


def test_module_list():
    ml = nn.ModuleList([nn.Linear(1, 1)])
    ml.append(nn.ReLU())
    ml.extend([nn.Tanh()])
    ml.insert(0, nn.Sigmoid())
    assert [type(m).__name__ for m in ml] == ["Sigmoid", "Linear", "ReLU", "Tanh"]
    assert isinstance(ml[1:3], nn.ModuleList) and len(ml[1:3]) == 2
    assert len(list(ml.parameters())) == 2
    del ml[0]
    assert list(ml._modules) == ["0", "1", "2"]


# --- Linear and LazyLinear -------------------------------------------------------------------------------


def test_linear_default_init_bounds():
    layer = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)  # kaiming_uniform_(a=sqrt(5)) reduces to U(-1/sqrt(fan_in), 1/sqrt(fan_in))
    w, b = arr(layer.weight), arr(layer.bias)
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.02 * bound  # uniform: std = bound / sqrt(3)
    assert abs(w.mean()) < 0.02 * bound
    assert np.abs(w).max() > 0.99 * bound


@pytest.mark.parametrize("shape", [(5, 4), (1, 4), (0, 4), (2, 3, 4)])
def test_linear_forward_backward_against_numpy(shape):
    layer = nn.Linear(4, 3).double()
    x = ft.randn(*shape, dtype=ft.float64, requires_grad=True)
    out = layer(x)
    w, b, xv = arr(layer.weight), arr(layer.bias), arr(x)
    np.testing.assert_allclose(arr(out), xv @ w.T + b, rtol=1e-12, atol=1e-12)
    out.backward(ft.ones(*out.shape, dtype=ft.float64))
    flat = xv.reshape(-1, 4)
    np.testing.assert_allclose(arr(layer.weight.grad), np.ones((flat.shape[0], 3)).T @ flat, atol=1e-12)
    np.testing.assert_allclose(arr(layer.bias.grad), np.full(3, flat.shape[0]), atol=1e-12)
    np.testing.assert_allclose(arr(x.grad), np.broadcast_to(w.sum(0), shape), atol=1e-12)


def test_linear_wrong_width_names_both_shapes():
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(64x5 and 4x3\)"):
        nn.Linear(4, 3)(ft.randn(64, 5))


def test_lazy_linear_infers_in_features_and_becomes_linear():
    layer = nn.LazyLinear(3)
    assert repr(layer) == "LazyLinear(in_features=0, out_features=3, bias=True)"
    assert repr(layer.weight) == "<UninitializedParameter>"
    weight = layer.weight
    optimizer = ft.optim.SGD(layer.parameters(), lr=0.1)  # built before the first call, as d2l's Trainer does
    out = layer(ft.randn(8, 5))
    assert out.shape == (8, 3)
    assert type(layer) is nn.Linear and layer.in_features == 5
    assert repr(layer) == "Linear(in_features=5, out_features=3, bias=True)"
    assert layer.weight is weight and type(weight) is nn.Parameter and weight.shape == (3, 5)
    assert np.abs(arr(weight)).max() <= 1 / math.sqrt(5)
    before = arr(weight).copy()
    out.sum().backward()
    optimizer.step()
    assert not np.array_equal(arr(weight), before)


def test_lazy_linear_loads_a_state_dict_before_its_first_call():
    source = nn.Sequential(nn.Flatten(), nn.Linear(6, 2))
    target = nn.Sequential(nn.Flatten(), nn.LazyLinear(2))
    target.load_state_dict(source.state_dict())
    x = ft.randn(3, 2, 3)
    np.testing.assert_array_equal(arr(target(x)), arr(source(x)))
    assert type(target[1]) is nn.Linear


def test_lazy_linear_without_bias():
    layer = nn.LazyLinear(2, bias=False)
    layer(ft.randn(1, 4))
    assert layer.bias is None and layer.weight.shape == (2, 4)


# --- activations, flatten, dropout --------------------------------------------------------------------------


@needs_torch
@pytest.mark.parametrize("name,kwargs", [("ReLU", {}), ("Sigmoid", {}), ("Tanh", {}), ("Softmax", {"dim": 1}),
                                         ("LogSoftmax", {"dim": 0}), ("Flatten", {}), ("Identity", {}),
                                         ("Flatten", {"start_dim": 0, "end_dim": 1})])
def test_layers_match_torch(name, kwargs):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 4, 5)).astype(np.float32)
    ours_in = ft.tensor(x, requires_grad=True)
    theirs_in = torch.tensor(x, requires_grad=True)
    ours, theirs = getattr(nn, name)(**kwargs)(ours_in), getattr(torch.nn, name)(**kwargs)(theirs_in)
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(arr(ours), theirs.detach().numpy(), rtol=1e-5, atol=1e-6)
    weights = rng.standard_normal(tuple(theirs.shape)).astype(np.float32)
    (ours * ft.tensor(weights)).sum().backward()
    (theirs * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(arr(ours_in.grad), theirs_in.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_softmax_without_dim_warns_and_picks_torchs_dim():
    x = ft.randn(2, 3)
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax has been deprecated"):
        y = F.softmax(x)
    np.testing.assert_allclose(arr(y).sum(1), [1.0, 1.0], rtol=1e-6)
    with pytest.warns(UserWarning, match="log_softmax"):
        nn.LogSoftmax()(ft.randn(4))


def test_dropout_train_and_eval():
    layer = nn.Dropout(0.25)
    x = ft.ones(200, 200)
    y = arr(layer(x))
    kept = y != 0
    assert abs(kept.mean() - 0.75) < 0.02
    np.testing.assert_allclose(y[kept], 1 / 0.75, rtol=1e-6)
    layer.eval()
    assert layer(x) is x or np.array_equal(arr(layer(x)), arr(x))
    assert not arr(nn.Dropout(1.0)(x)).any()
    for p in (-0.1, 1.5):
        with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but got"):
            nn.Dropout(p)
        with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1"):
            F.dropout(x, p)


def test_dropout_gradient_uses_the_same_mask():
    x = ft.ones(50, 50, requires_grad=True)
    y = F.dropout(x, 0.5, training=True)
    y.sum().backward()
    np.testing.assert_array_equal(arr(x.grad), arr(y))


# --- losses ----------------------------------------------------------------------------------------------------


@needs_torch
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("shape", [(7, 5), (1, 3), (5,)])
def test_cross_entropy_matches_torch(reduction, shape):
    rng = np.random.default_rng(2)
    logits = (rng.standard_normal(shape) * 3).astype(np.float32)
    target = rng.integers(0, shape[-1], shape[:-1])
    ours_in, theirs_in = ft.tensor(logits, requires_grad=True), torch.tensor(logits, requires_grad=True)
    ours = nn.CrossEntropyLoss(reduction=reduction)(ours_in, ft.tensor(target))
    theirs = torch.nn.CrossEntropyLoss(reduction=reduction)(theirs_in, torch.tensor(target))
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(arr(ours), theirs.detach().numpy(), rtol=1e-5, atol=1e-6)
    upstream = rng.standard_normal(tuple(theirs.shape)).astype(np.float32)
    ours.backward(ft.tensor(upstream))
    theirs.backward(torch.tensor(upstream))
    np.testing.assert_allclose(arr(ours_in.grad), theirs_in.grad.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("reduction", ["sum", "none"])
def test_cross_entropy_against_numpy_float64(reduction):
    rng = np.random.default_rng(3)
    logits = rng.standard_normal((6, 4)) * 10
    target = rng.integers(0, 4, 6)
    x = ft.tensor(logits, requires_grad=True)
    loss = F.cross_entropy(x, ft.tensor(target), reduction=reduction)
    shifted = logits - logits.max(1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(1, keepdims=True))
    per_row = -log_probs[np.arange(6), target]
    np.testing.assert_allclose(arr(loss), per_row.sum() if reduction == "sum" else per_row, rtol=1e-12, atol=1e-13)
    loss.backward(ft.ones(loss.shape, dtype=ft.float64))
    expected = np.exp(log_probs)
    expected[np.arange(6), target] -= 1
    np.testing.assert_allclose(arr(x.grad), expected, rtol=1e-10, atol=1e-14)


def test_cross_entropy_bad_targets():
    logits = ft.randn(4, 3)
    with pytest.raises(RuntimeError, match="Long.*Float|Float.*Long"):
        F.cross_entropy(logits, ft.tensor([0.0, 1.0, 2.0, 1.0]))  # float class indices
    with pytest.raises(RuntimeError, match="Long"):
        nn.CrossEntropyLoss()(logits, ft.tensor([0, 1, 2, 1], dtype=ft.int32))
    with pytest.raises(ValueError, match=r"Expected input batch_size \(4\) to match target batch_size \(3\)"):
        nn.CrossEntropyLoss()(logits, ft.tensor([0, 1, 2]))
    with pytest.raises(IndexError, match="Target 3 is out of bounds"):
        F.cross_entropy(logits, ft.tensor([0, 1, 2, 3]))
    with pytest.raises(ValueError, match="avg is not a valid value for reduction"):
        F.cross_entropy(logits, ft.tensor([0, 1, 2, 1]), reduction="avg")
    with pytest.raises(ValueError, match="None is not a valid value for reduction"):
        F.cross_entropy(logits, ft.tensor([0, 1, 2, 1]), reduction=None)
    with pytest.raises(RuntimeError, match="ignore_index is not supported for floating point target"):
        F.cross_entropy(logits, ft.softmax(ft.randn(4, 3), dim=1), ignore_index=1)
    with pytest.raises(RuntimeError, match=r"label_smoothing must be between 0.0 and 1.0. Got: 1.5"):
        F.cross_entropy(logits, ft.tensor([0, 1, 2, 1]), label_smoothing=1.5)


@needs_torch
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse_loss_matches_torch(reduction):
    rng = np.random.default_rng(4)
    a, b = rng.standard_normal((2, 6, 3)).astype(np.float32)
    ours_in, theirs_in = ft.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    ours = nn.MSELoss(reduction=reduction)(ours_in, ft.tensor(b))
    theirs = torch.nn.MSELoss(reduction=reduction)(theirs_in, torch.tensor(b))
    np.testing.assert_allclose(arr(ours), theirs.detach().numpy(), rtol=1e-5, atol=1e-6)
    ours.sum().backward()
    theirs.sum().backward()
    np.testing.assert_allclose(arr(ours_in.grad), theirs_in.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_mse_loss_bad_targets():
    x = ft.randn(4, 3)
    with pytest.warns(UserWarning, match=r"Using a target size \(fasttensor.Size\(\[4, 1\]\)\) that is different "
                                         r"to the input size \(fasttensor.Size\(\[4, 3\]\)\)"):
        F.mse_loss(x, ft.randn(4, 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(RuntimeError, match=r"The size of tensor a \(3\) must match the size of tensor b \(4\)"):
            nn.MSELoss()(x, ft.randn(4, 4))
    with pytest.raises(ValueError, match="bad is not a valid value for reduction"):
        F.mse_loss(x, x, reduction="bad")
    # An integer target promotes, as in PyTorch.
    np.testing.assert_allclose(float(F.mse_loss(ft.zeros(3), ft.tensor([1, 2, 3]))), 14 / 3, rtol=1e-6)


def test_legacy_reduction_arguments():
    x, y = ft.tensor([1.0, 2.0]), ft.tensor([0.0, 0.0])
    with pytest.warns(UserWarning, match="reduction='sum'"):
        assert float(F.mse_loss(x, y, size_average=False)) == 5.0
    with pytest.warns(UserWarning, match="reduction='none'"):
        assert nn.MSELoss(reduce=False)(x, y).shape == (2,)


# --- functional -------------------------------------------------------------------------------------------------


def test_functional_linear_and_activations_against_numpy():
    rng = np.random.default_rng(5)
    x, w, b = rng.standard_normal((3, 4)), rng.standard_normal((2, 4)), rng.standard_normal(2)
    np.testing.assert_allclose(arr(F.linear(ft.tensor(x), ft.tensor(w), ft.tensor(b))), x @ w.T + b, rtol=1e-12)
    np.testing.assert_allclose(arr(F.linear(ft.tensor(x), ft.tensor(w))), x @ w.T, rtol=1e-12)
    np.testing.assert_allclose(arr(F.relu(ft.tensor(x))), np.maximum(x, 0))
    np.testing.assert_allclose(arr(F.sigmoid(ft.tensor(x))), 1 / (1 + np.exp(-x)), rtol=1e-12)
    np.testing.assert_allclose(arr(F.tanh(ft.tensor(x))), np.tanh(x), rtol=1e-12)
    e = np.exp(x - x.max(0))
    np.testing.assert_allclose(arr(F.softmax(ft.tensor(x), dim=0)), e / e.sum(0), rtol=1e-12)
    np.testing.assert_allclose(arr(F.log_softmax(ft.tensor(x), dim=0)), np.log(e / e.sum(0)), rtol=1e-12)
    t = ft.tensor(x)
    assert F.relu(t, inplace=True) is t and arr(t).min() >= 0


# --- init -----------------------------------------------------------------------------------------------------


@needs_torch
@pytest.mark.parametrize("args", [("linear",), ("sigmoid",), ("tanh",), ("relu",), ("leaky_relu",),
                                  ("leaky_relu", 0.2), ("selu",), ("conv2d",)])
def test_calculate_gain_matches_torch(args):
    assert nn.init.calculate_gain(*args) == pytest.approx(torch.nn.init.calculate_gain(*args))


def test_init_errors():
    with pytest.raises(ValueError, match="Unsupported nonlinearity foo"):
        nn.init.calculate_gain("foo")
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        nn.init.xavier_uniform_(ft.empty(5))
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        nn.init.kaiming_uniform_(ft.empty(3, 3), mode="fan_avg")
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        nn.init.kaiming_uniform_(ft.empty(0, 3))


@pytest.mark.parametrize("shape", [(300, 200), (40, 30, 3, 3)])
@pytest.mark.parametrize("init_name,kwargs,bound_fn", [
    ("xavier_uniform_", {"gain": 2.0}, lambda fi, fo: 2.0 * math.sqrt(6 / (fi + fo))),
    ("kaiming_uniform_", {}, lambda fi, fo: math.sqrt(6 / fi)),  # a=0: gain sqrt(2)
    ("kaiming_uniform_", {"a": math.sqrt(5)}, lambda fi, fo: 1 / math.sqrt(fi)),
    ("kaiming_uniform_", {"mode": "fan_out", "nonlinearity": "relu"}, lambda fi, fo: math.sqrt(6 / fo)),
])
def test_uniform_initialisers_follow_gain_and_fan_rules(shape, init_name, kwargs, bound_fn):
    receptive = int(np.prod(shape[2:]))
    fan_in, fan_out = shape[1] * receptive, shape[0] * receptive
    bound = bound_fn(fan_in, fan_out)
    w = ft.empty(*shape, requires_grad=True)  # in place on a leaf that requires grad: no graph, no error
    assert getattr(nn.init, init_name)(w, **kwargs) is w
    values = arr(w)
    assert np.abs(values).max() <= bound * (1 + 1e-6)
    assert np.abs(values).max() > 0.98 * bound
    assert abs(values.std() - bound / math.sqrt(3)) < 0.03 * bound
    assert w.grad_fn is None and w.requires_grad


@pytest.mark.parametrize("init_name,kwargs,std_fn", [
    ("xavier_normal_", {}, lambda fi, fo: math.sqrt(2 / (fi + fo))),
    ("kaiming_normal_", {"nonlinearity": "relu"}, lambda fi, fo: math.sqrt(2 / fi)),
    ("normal_", {"mean": 0.0, "std": 0.3}, lambda fi, fo: 0.3),
])
def test_normal_initialisers(init_name, kwargs, std_fn):
    w = ft.empty(400, 300)
    getattr(nn.init, init_name)(w, **kwargs)
    values = arr(w)
    assert abs(values.std() - std_fn(300, 400)) < 0.02 * std_fn(300, 400)
    assert abs(values.mean()) < 0.02 * std_fn(300, 400)


def test_constant_initialisers_and_uniform_range():
    w = ft.empty(3, 4)
    assert not arr(nn.init.zeros_(w)).any()
    np.testing.assert_array_equal(arr(nn.init.ones_(w)), np.ones((3, 4)))
    np.testing.assert_array_equal(arr(nn.init.constant_(w, 2.5)), np.full((3, 4), 2.5))
    values = arr(nn.init.uniform_(ft.empty(10000), -0.5, 2.0))
    assert values.min() >= -0.5 and values.max() < 2.0 and abs(values.mean() - 0.75) < 0.03


def test_generator_makes_init_reproducible():
    a, b = ft.empty(5, 5), ft.empty(5, 5)
    nn.init.kaiming_uniform_(a, generator=ft.Generator().manual_seed(7))
    nn.init.kaiming_uniform_(b, generator=ft.Generator().manual_seed(7))
    np.testing.assert_array_equal(arr(a), arr(b))


# --- whole-model parity ---------------------------------------------------------------------------------------


@needs_torch
def test_mlp_forward_backward_matches_torch():
    def build(m):
        return m.Sequential(m.Flatten(), m.Linear(12, 16), m.ReLU(), m.Linear(16, 8), m.Tanh(), m.Linear(8, 4))

    ours, theirs = build(nn), build(torch.nn)
    copy_weights(ours, theirs)
    rng = np.random.default_rng(6)
    x = rng.standard_normal((9, 3, 4)).astype(np.float32)
    y = rng.integers(0, 4, 9)
    loss_ours = nn.CrossEntropyLoss()(ours(ft.tensor(x)), ft.tensor(y))
    loss_theirs = torch.nn.CrossEntropyLoss()(theirs(torch.tensor(x)), torch.tensor(y))
    np.testing.assert_allclose(loss_ours.item(), loss_theirs.item(), rtol=1e-5)
    loss_ours.backward()
    loss_theirs.backward()
    for (name, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(arr(p.grad), q.grad.numpy(), rtol=1e-4, atol=1e-6, err_msg=name)


# --- cross-entropy edge cases and float64 exactness --------------------------------------------------------


def test_float64_mean_cross_entropy_gradient_is_exact():
    x = ft.tensor(np.zeros((6, 4)), requires_grad=True)
    F.cross_entropy(x, ft.tensor([0, 1, 2, 3, 0, 1])).backward()
    expected = np.full((6, 4), 0.25)
    expected[np.arange(6), [0, 1, 2, 3, 0, 1]] -= 1
    np.testing.assert_allclose(arr(x.grad), expected / 6, rtol=1e-12)


def test_cross_entropy_ignores_ignore_index():
    loss = F.cross_entropy(ft.zeros(3, 2), ft.tensor([0, -100, 1]), reduction="sum")
    assert float(loss) == pytest.approx(2 * math.log(2))


def test_cross_entropy_checks_batch_size_before_dtype():
    with pytest.raises(ValueError, match="Expected input batch_size"):
        F.cross_entropy(ft.randn(4, 3), ft.tensor([0.0, 1.0, 2.0]))


def test_cross_entropy_of_an_empty_batch_does_not_crash():
    code = ("import fasttensor as ft\nfrom fasttensor.nn import functional as F\n"
            "print(F.cross_entropy(ft.zeros(0, 3), ft.zeros(0, dtype=ft.int64)))")
    python_dir = os.path.dirname(os.path.dirname(os.path.abspath(ft.__file__)))  # the fasttensor under test
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                            env=dict(os.environ, PYTHONPATH=python_dir))
    assert result.returncode == 0 and "nan" in result.stdout  # PyTorch: tensor(nan)


def test_cross_entropy_ignore_index_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    logits = rng.standard_normal((6, 4)).astype(np.float32)
    target = np.array([0, 3, 1, 3, 2, 3])
    for reduction in ("mean", "sum", "none"):
        x = ft.tensor(logits, requires_grad=True)
        xt = torch.tensor(logits, requires_grad=True)
        ours = F.cross_entropy(x, ft.tensor(target), ignore_index=3, reduction=reduction)
        theirs = torch.nn.functional.cross_entropy(xt, torch.tensor(target), ignore_index=3, reduction=reduction)
        np.testing.assert_allclose(arr(ours.detach()), theirs.detach().numpy(), rtol=1e-6, atol=1e-7)
        ours.sum().backward()
        theirs.sum().backward()
        np.testing.assert_allclose(arr(x.grad), xt.grad.numpy(), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_cross_entropy_with_every_target_ignored_matches_torch(dtype):
    # The mean divides by the number of valid rows, 0 here: nan, as in PyTorch; gradients follow torch's.
    torch = pytest.importorskip("torch")
    logits = np.random.default_rng(4).standard_normal((3, 4)).astype(dtype)
    for reduction in ("mean", "sum", "none"):
        x = ft.tensor(logits, requires_grad=True)
        xt = torch.tensor(logits, requires_grad=True)
        ours = F.cross_entropy(x, ft.tensor([2, 2, 2]), ignore_index=2, reduction=reduction)
        theirs = torch.nn.functional.cross_entropy(xt, torch.tensor([2, 2, 2]), ignore_index=2, reduction=reduction)
        assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
        np.testing.assert_allclose(arr(ours.detach()), theirs.detach().numpy(), equal_nan=True)
        ours.sum().backward()
        theirs.sum().backward()
        np.testing.assert_allclose(arr(x.grad), xt.grad.numpy(), equal_nan=True)


# --- one_hot and gradient clipping ---------------------------------------------------------------


def test_one_hot_matches_torch_and_numpy():
    cases = [([0, 2, 1], 3), ([[0], [4]], -1), (1, 4), ([], 2)]
    for values, n in cases:
        x = ft.tensor(values, dtype=ft.int64)
        got = F.one_hot(x, n)
        width = n if n != -1 else max(np.ravel(values)) + 1
        expected = (np.asarray(values)[..., None] == np.arange(width)).astype(np.int64)
        assert got.dtype == ft.int64 and got.shape == expected.shape
        np.testing.assert_array_equal(arr(got), expected)
        if torch is not None:
            np.testing.assert_array_equal(arr(got), torch.nn.functional.one_hot(torch.tensor(values, dtype=torch.int64),
                                                                                n).numpy())
    for values, n, message in (([0, 3], 3, "Class values must be smaller than num_classes."),
                               ([-1], 3, "Class values must be non-negative."),
                               ([], -1, "Can not infer total number of classes from empty tensor.")):
        with pytest.raises(RuntimeError, match=message):
            F.one_hot(ft.tensor(values, dtype=ft.int64), n)
    with pytest.raises(RuntimeError, match="index tensor of type LongTensor"):
        F.one_hot(ft.tensor([1.0]), 3)


@pytest.mark.parametrize("norm_type", [2.0, 1.0, float("inf")])
@pytest.mark.parametrize("max_norm", [0.5, 100.0])
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    rng = np.random.default_rng(5)
    grads = [rng.standard_normal(s).astype(np.float32) for s in ((3, 4), (4,), ())]
    ours = [nn.Parameter(ft.zeros(g.shape)) for g in grads] + [nn.Parameter(ft.zeros(2))]  # the last has no grad
    for p, g in zip(ours, grads):
        p.grad = ft.tensor(g)
    total = nn.utils.clip_grad_norm_(ours, max_norm, norm_type)
    flat = np.concatenate([g.reshape(-1) for g in grads]).astype(np.float64)
    expected = np.max(np.abs(flat)) if norm_type == float("inf") else np.sum(np.abs(flat) ** norm_type) ** (1 / norm_type)
    np.testing.assert_allclose(total.item(), expected, rtol=1e-5)
    scale = min(max_norm / (expected + 1e-6), 1.0)
    for p, g in zip(ours, grads):
        np.testing.assert_allclose(arr(p.grad), g * scale, rtol=1e-5, atol=1e-7)
    assert ours[-1].grad is None
    if torch is not None:
        theirs = [torch.nn.Parameter(torch.zeros(g.shape)) for g in grads]
        for p, g in zip(theirs, grads):
            p.grad = torch.tensor(g)
        np.testing.assert_allclose(total.item(), torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type).item(),
                                   rtol=1e-6)
        for p, q in zip(ours, theirs):
            np.testing.assert_allclose(arr(p.grad), q.grad.numpy(), rtol=1e-6, atol=1e-7)


def test_clip_grad_value_and_edge_cases():
    p = nn.Parameter(ft.zeros(3))
    p.grad = ft.tensor([1.0, -5.0, 2.0])
    nn.utils.clip_grad_value_(p, 1.5)
    assert p.grad.tolist() == [1.0, -1.5, 1.5]
    assert nn.utils.clip_grad_norm_([], 1.0).item() == 0.0
    p.grad = ft.tensor([float("inf"), 0.0, 0.0])
    with pytest.raises(RuntimeError, match="is non-finite, so it cannot be clipped"):
        nn.utils.clip_grad_norm_(p, 1.0, error_if_nonfinite=True)
    assert p.grad.tolist()[0] == float("inf")  # left as it was
