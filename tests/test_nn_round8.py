"""fasttensor.nn and optim, round 8 of the bug hunt: the class hierarchy and the module paths
(fasttensor.nn.modules.<file>, as torch.nn.modules.<file>), ParameterList / ParameterDict,
Sequential.insert, extra state and the state_dict hooks, nn.Buffer, set_submodule, F.pad and
F.linear edge cases, nn.init.dirac_, the clip_grad helpers, the optimizer step hooks, ASGD and
Rprop. Each case checks hand values, and PyTorch's results when it is installed."""

from __future__ import annotations

import inspect
import pickle
import warnings
from collections import OrderedDict

import numpy as np
import pytest

import fasttensor as ft
from fasttensor import nn
from fasttensor.nn import functional as F

from helpers import HAVE_TORCH, raised, torch

needs_torch = pytest.mark.skipif(not HAVE_TORCH, reason="PyTorch is not installed")


def arr(t) -> np.ndarray:
    return np.array(t.detach().numpy())



def nn_classes(lib):
    return {name: getattr(lib.nn, name) for name in dir(lib.nn) if inspect.isclass(getattr(lib.nn, name))}


# --- 1. class hierarchy and 8. module paths --------------------------------------------------


@pytest.mark.parametrize("a, b", [("SELU", "Mish"), ("Hardswish", "Hardsigmoid"), ("LogSoftmax", "Softmax"),
                                  ("Softmin", "Softmax")])
def test_activations_are_not_subclasses_of_each_other(a, b):
    assert not isinstance(getattr(nn, a)(), getattr(nn, b))
    assert isinstance(getattr(nn, a)(), nn.Module)


def test_torchs_own_subclass_relations_hold():
    assert issubclass(nn.ReLU6, nn.Hardtanh) and issubclass(nn.LazyLinear, nn.Linear)
    for loss in (nn.CrossEntropyLoss, nn.NLLLoss, nn.BCELoss):
        assert issubclass(loss, nn.modules.loss._WeightedLoss)
    assert not issubclass(nn.BCEWithLogitsLoss, nn.modules.loss._WeightedLoss)
    assert issubclass(nn.Dropout, nn.modules.dropout._DropoutNd)
    assert nn.CrossEntropyLoss(weight=ft.ones(3)).state_dict()["weight"].shape == (3,)


@needs_torch
def test_every_issubclass_relation_matches_torch():
    ours, theirs = nn_classes(ft), nn_classes(torch)
    names = sorted(set(ours) & set(theirs))
    assert len(names) >= 50
    mismatches = [(a, b) for a in names for b in names
                  if issubclass(ours[a], ours[b]) != issubclass(theirs[a], theirs[b])]
    assert mismatches == []


@pytest.mark.parametrize("name, path", [
    ("ReLU", "activation"), ("Softmin", "activation"), ("Linear", "linear"), ("Identity", "linear"),
    ("Sequential", "container"), ("ParameterDict", "container"), ("MSELoss", "loss"), ("Flatten", "flatten"),
    ("Dropout", "dropout"), ("Embedding", "sparse"), ("LayerNorm", "normalization"),
    ("CosineSimilarity", "distance"), ("Module", "module")])
def test_classes_live_at_torchs_module_paths(name, path):
    cls = getattr(nn, name)
    assert cls.__module__ == f"fasttensor.nn.modules.{path}"
    assert getattr(getattr(nn.modules, path), name) is cls
    assert nn.Parameter.__module__ == "fasttensor.nn.parameter"


@needs_torch
def test_module_paths_match_torchs():
    ours, theirs = nn_classes(ft), nn_classes(torch)
    for name in set(ours) & set(theirs):
        assert ours[name].__module__ == theirs[name].__module__.replace("torch", "fasttensor", 1), name


def test_modules_pickle_under_the_new_paths():
    net = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Dropout(0.2), nn.Flatten(), nn.MSELoss())
    data = pickle.dumps(net)
    assert b"fasttensor.nn.modules.activation" in data and b"fasttensor.nn.modules.container" in data
    back = pickle.loads(data)
    assert type(back[1]) is nn.ReLU and repr(back) == repr(net)
    np.testing.assert_array_equal(arr(back[0].weight), arr(net[0].weight))
    # classes stay reachable where they were defined (pickles from older fasttensor name nn.layers)
    from fasttensor.nn import containers, layers

    assert layers.ReLU is nn.ReLU and containers.Sequential is nn.Sequential


def test_messages_name_the_module_paths():
    m = nn.Linear(2, 2)
    assert raised(lambda: setattr(m, "weight", nn.ReLU())) == (
        "TypeError", "cannot assign 'torch.nn.modules.activation.ReLU' as parameter 'weight' "
        "(torch.nn.Parameter or None expected)")
    m.register_buffer("b", ft.zeros(1))
    assert raised(lambda: setattr(m, "b", 3)) == (
        "TypeError", "cannot assign 'int' as buffer 'b' (torch.nn.Buffer, torch.Tensor or None expected)")
    opt = ft.optim.SGD(m.parameters(), lr=0.1)
    assert raised(lambda: opt.add_param_group([{"params": [ft.zeros(1, requires_grad=True)]}])) == (
        "TypeError", "param_group must be a dict, but got <class 'list'>")
    assert raised(lambda: nn.Parameter(ft.zeros(2, dtype=ft.int64))) == (
        "RuntimeError", "Only Tensors of floating point and complex dtype can require gradients")
    assert not nn.Parameter(ft.zeros(2, dtype=ft.int64), requires_grad=False).requires_grad


@needs_torch
def test_messages_match_torch():
    def cases(lib):
        m = lib.nn.Linear(2, 2)
        m.register_buffer("b", lib.zeros(1))
        opt = lib.optim.SGD(m.parameters(), lr=0.1)
        return [raised(lambda: setattr(m, "weight", lib.nn.ReLU())), raised(lambda: setattr(m, "b", "x")),
                raised(lambda: opt.add_param_group([])),
                raised(lambda: lib.nn.Parameter(lib.zeros(2, dtype=lib.int64))),
                raised(lambda: m.register_buffer("c", 3)), str(type(lib.nn.Softmin())).replace("fasttensor", "torch")]
    assert cases(ft) == cases(torch)


# --- 2. ParameterList / ParameterDict ---------------------------------------------------------


def test_parameter_dict_missing_key_and_calls():
    d = nn.ParameterDict({"a": ft.ones(1)})
    assert raised(lambda: d["zz"]) == ("AttributeError", "'ParameterDict' object has no attribute 'zz'")
    assert raised(lambda: d[1])[0] == "TypeError"
    assert raised(lambda: d(ft.ones(1))) == ("RuntimeError", "ParameterDict should not be called.")
    assert raised(lambda: nn.ParameterList()(ft.ones(1))) == ("RuntimeError", "ParameterList should not be called.")
    assert raised(lambda: d.update(3)) == (
        "TypeError", "ParametersDict.update should be called with an iterable of key/value pairs, but got int")


def test_parameter_dict_fromkeys_and_or():
    d = nn.ParameterDict({"a": ft.ones(1)})
    e = d.fromkeys(["x", "y"], ft.zeros(2))
    assert list(e) == ["x", "y"] and type(e["x"]) is nn.Parameter and e["x"].shape == (2,) and list(d) == ["a"]
    f = d | nn.ParameterDict({"b": ft.zeros(1), "a": ft.zeros(3)})
    assert list(f) == ["a", "b"] and f["a"].shape == (3,) and d["a"].shape == (1,)
    g = {"z": ft.zeros(4)} | d
    assert list(g) == ["z", "a"] and g["a"] is d["a"]
    d |= {"c": ft.ones(1)}
    assert list(d) == ["a", "c"]


@needs_torch
def test_parameter_dict_matches_torch():
    def run(lib):
        d = lib.nn.ParameterDict({"b": lib.ones(1), "a": lib.ones(2)})
        merged = (d | {"c": lib.zeros(1)}) | lib.nn.ParameterDict(OrderedDict(z=lib.zeros(1), b=lib.zeros(5)))
        return (list(merged), [tuple(v.shape) for v in merged.values()], list(d.fromkeys("pq")),
                raised(lambda: d["zz"]), raised(lambda: d(1)), raised(lambda: lib.nn.ParameterList()(1)))
    assert run(ft) == run(torch)


# --- 3. Sequential.insert -------------------------------------------------------------------------


def named_sequential(lib=ft):
    return lib.nn.Sequential(OrderedDict(a=lib.nn.ReLU(), b=lib.nn.Tanh()))


def test_sequential_insert_keeps_names():
    s = named_sequential()
    s.insert(2, nn.Sigmoid())
    assert list(s._modules) == ["a", "b", "2"] and type(s[2]) is nn.Sigmoid
    for index in (0, 1, -1, -2):  # PyTorch shifts by numeric names, which a named Sequential lacks
        s = named_sequential()
        assert raised(lambda: s.insert(index, nn.Sigmoid())) == ("KeyError", "'1'")
        assert list(s._modules) == ["a", "b"]
    s = nn.Sequential(nn.ReLU(), nn.Tanh(), nn.ELU())
    s.insert(-1, nn.Sigmoid())
    assert list(s._modules) == ["0", "1", "2", "3"]
    assert [type(m).__name__ for m in s] == ["ReLU", "Tanh", "Sigmoid", "ELU"]
    assert raised(lambda: s.insert(5, nn.ReLU())) == ("IndexError", "Index out of range: 5")


@needs_torch
def test_sequential_insert_matches_torch():
    def run(lib):
        out = []
        for index in (0, 1, 2, -1, -2, 3, -3):
            s = named_sequential(lib)
            out.append((raised(lambda: s.insert(index, lib.nn.Sigmoid())), list(s._modules),
                        [type(m).__name__ for m in s._modules.values()]))
        for index in (0, 2, -1, 3):
            s = lib.nn.Sequential(lib.nn.ReLU(), lib.nn.Tanh(), lib.nn.ELU())
            s.insert(index, lib.nn.Sigmoid())
            out.append((list(s._modules), [type(m).__name__ for m in s]))
        return out
    assert run(ft) == run(torch)


# --- 4. extra state and the state_dict hooks -------------------------------------------------------


def with_extra_state(lib, get=True, set=True):
    body = {"__init__": lambda self: (lib.nn.Module.__init__(self), setattr(self, "fc", lib.nn.Linear(1, 1)),
                                      setattr(self, "k", 3))[-1]}
    if get:
        body["get_extra_state"] = lambda self: {"k": self.k}
    if set:
        body["set_extra_state"] = lambda self, state: setattr(self, "k", state["k"])
    return type("M", (lib.nn.Module,), body)


def test_extra_state_is_saved_and_loaded():
    M = with_extra_state(ft)
    m = M()
    sd = m.state_dict()
    assert list(sd) == ["_extra_state", "fc.weight", "fc.bias"] and sd["_extra_state"] == {"k": 3}
    m2 = M()
    m2.k = 0
    assert repr(m2.load_state_dict(sd)) == "<All keys matched successfully>" and m2.k == 3
    del sd["_extra_state"]
    err = raised(lambda: m2.load_state_dict(sd))
    assert err[0] == "RuntimeError" and 'Missing key(s) in state_dict: "_extra_state".' in err[1]
    assert m2.load_state_dict(sd, strict=False).missing_keys == ["_extra_state"]
    nested = nn.Sequential(M())
    assert "0._extra_state" in nested.state_dict()
    only_get = with_extra_state(ft, set=False)()
    result = only_get.load_state_dict(only_get.state_dict(), strict=False)
    assert result.unexpected_keys == ["_extra_state"]
    assert raised(lambda: nn.Module().get_extra_state())[0] == "RuntimeError"


@needs_torch
def test_extra_state_matches_torch():
    def run(lib):
        out = []
        for get, set_ in ((True, True), (True, False), (False, True)):
            M = with_extra_state(lib, get, set_)
            sd = M().state_dict()
            out.append(list(sd))
            m = M()
            m.k = 0
            out.append((raised(lambda: m.load_state_dict(sd)), m.k))
            r = m.load_state_dict(sd, strict=False)
            out.append((r.missing_keys, r.unexpected_keys))
        return out
    assert run(ft) == run(torch)


def test_state_dict_hooks_and_metadata():
    m = nn.Linear(1, 1)
    calls = []
    pre = m.register_state_dict_pre_hook(lambda mod, prefix, keep_vars: calls.append(("pre", prefix, keep_vars)))
    m.register_state_dict_post_hook(lambda mod, sd, prefix, meta: calls.append(("post", prefix, list(sd), meta)))
    sd = nn.Sequential(m).state_dict()
    assert calls == [("pre", "0.", False), ("post", "0.", ["0.weight", "0.bias"], {"version": 1})]
    assert sd._metadata == OrderedDict([("", {"version": 1}), ("0", {"version": 1})])
    pre.remove()
    m.register_state_dict_post_hook(lambda mod, sd, prefix, meta: {})
    assert raised(m.state_dict) == ("RuntimeError", "state_dict post-hook must return None")
    m2 = nn.Linear(1, 1)
    m2._register_state_dict_hook(lambda mod, sd, prefix, meta: {"only": 1})
    assert m2.state_dict() == {"only": 1}  # the private hook's result counts at the root only
    assert list(nn.Sequential(m2).state_dict()) == ["0.weight", "0.bias"]


def test_load_state_dict_hooks():
    m = nn.Linear(1, 1)
    seen = []
    m.register_load_state_dict_pre_hook(
        lambda mod, sd, prefix, meta, strict, missing, unexpected, errors: seen.append((mod is m, prefix, dict(meta))))
    m.register_load_state_dict_post_hook(lambda mod, keys: keys.missing_keys.clear())
    assert repr(nn.Sequential(m).load_state_dict({"0.weight": ft.ones(1, 1)}, assign=True)) == \
        "<All keys matched successfully>"
    assert seen == [(True, "0.", {"assign_to_params_buffers": True})]
    assert m.weight.item() == 1.0 and type(m.weight) is nn.Parameter
    m.register_load_state_dict_post_hook(lambda mod, keys: 1)
    assert raised(lambda: m.load_state_dict(m.state_dict()))[0] == "AssertionError"


def test_load_from_state_dict_override_with_torchs_signature():
    class Renamed(nn.Linear):  # a checkpoint that names the weight 'w'
        def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing, unexpected, errors):
            if prefix + "w" in state_dict:
                state_dict[prefix + "weight"] = state_dict.pop(prefix + "w")
            super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing, unexpected, errors)

    m = Renamed(1, 1)
    m.load_state_dict({"w": ft.full((1, 1), 2.0), "bias": ft.zeros(1)})
    assert m.weight.item() == 2.0


# --- nn.Buffer, set_submodule -----------------------------------------------------------------------


def test_buffer_registers_a_buffer():
    m = nn.Module()
    m.b = nn.Buffer(ft.ones(2))
    m.c = nn.Buffer(ft.zeros(1), persistent=False)
    assert list(m._buffers) == ["b", "c"] and list(m.state_dict()) == ["b"]
    assert isinstance(m.b, nn.Buffer) and not isinstance(ft.ones(1), nn.Buffer) and issubclass(nn.Buffer, ft.Tensor)
    assert type(m.b) is ft.Tensor
    m.b = ft.zeros(3)
    assert m.b.shape == (3,) and "b" in m._buffers
    m.x = 1
    assert raised(lambda: setattr(m, "x", nn.Buffer(ft.ones(1)))) == ("KeyError", "\"attribute 'x' already exists\"")
    p = nn.Parameter(ft.ones(1))
    b = nn.Buffer(p)
    assert type(b) is ft.Tensor and b.requires_grad and b.is_leaf


def test_set_submodule():
    net = nn.Sequential(nn.Linear(1, 1), nn.Sequential(nn.ReLU()))
    net.set_submodule("1.0", nn.Tanh())
    net.set_submodule("1.new", nn.Sigmoid())
    assert type(net[1][0]) is nn.Tanh and list(net[1]._modules) == ["0", "new"]
    assert raised(lambda: net.set_submodule("", nn.ReLU())) == (
        "ValueError", "Cannot set the submodule without a target name!")
    assert raised(lambda: net.set_submodule("0", 3)) == (
        "ValueError", "`module` is not an nn.Module, found <class 'int'>")
    assert raised(lambda: net.set_submodule("1.zz", nn.ReLU(), True)) == (
        "AttributeError", "Sequential has no attribute `zz`")
    assert raised(lambda: net.set_submodule("0.weight", nn.ReLU())) == (
        "AttributeError", "`weight` is not an nn.Module")


# --- 5. F.pad, 6. F.linear, 7. Flatten ----------------------------------------------------------------


def test_pad_made_only_of_padding_keeps_the_graph():
    x = ft.ones(2, requires_grad=True)
    y = F.pad(x, (2, -2), value=3.0)
    assert y.requires_grad and y.grad_fn is not None
    np.testing.assert_array_equal(arr(y), [3.0, 3.0])
    y.sum().backward()
    np.testing.assert_array_equal(arr(x.grad), [0.0, 0.0])
    x = ft.ones(3, requires_grad=True)
    y = F.pad(x, (-3, 1), value=5.0)
    np.testing.assert_array_equal(arr(y), [5.0])
    y.sum().backward()
    np.testing.assert_array_equal(arr(x.grad), [0.0, 0.0, 0.0])


@needs_torch
@pytest.mark.parametrize("shape, pad", [((2,), (2, -2)), ((3,), (-3, 1)), ((2, 3), (1, -3)), ((2, 3), (0, 0, -2, 1)),
                                        ((4,), (-1, 2))])
def test_pad_gradients_match_torch(shape, pad):
    def run(lib):
        x = lib.arange(float(np.prod(shape))).reshape(shape).requires_grad_()
        y = lib.nn.functional.pad(x, pad, value=3.0)
        (y * lib.arange(float(y.numel())).reshape(y.shape)).sum().backward()
        return arr(y) if lib is ft else y.detach().numpy(), y.requires_grad, (arr(x.grad) if lib is ft else
                                                                            x.grad.numpy())
    (ours, ours_rg, ours_grad), (theirs, theirs_rg, theirs_grad) = run(ft), run(torch)
    np.testing.assert_array_equal(ours, theirs)
    np.testing.assert_array_equal(ours_grad, theirs_grad)
    assert ours_rg == theirs_rg


@pytest.mark.parametrize("x_shape, w_shape", [((0,), (3, 0)), ((2, 3, 0), (4, 0)), ((1, 0, 0), (0, 0)),
                                              ((0, 3, 0), (2, 0)), ((5, 0), (2, 0))])
def test_linear_with_no_input_features(x_shape, w_shape):
    x = ft.zeros(*x_shape, requires_grad=True)
    w = ft.zeros(*w_shape, requires_grad=True)
    b = ft.arange(float(w_shape[0])).requires_grad_()
    y = F.linear(x, w, b)
    assert tuple(y.shape) == x_shape[:-1] + (w_shape[0],)
    np.testing.assert_array_equal(arr(y), np.broadcast_to(np.arange(w_shape[0], dtype=np.float32), y.shape))
    assert tuple(F.linear(x, w).shape) == tuple(y.shape) and F.linear(x, w).abs().sum().item() == 0.0
    y.sum().backward()
    assert x.grad.shape == x.shape and w.grad.shape == w.shape
    np.testing.assert_array_equal(arr(b.grad), np.full(w_shape[0], np.prod(x_shape[:-1])))


@needs_torch
def test_linear_with_no_input_features_matches_torch():
    for x_shape, w_shape in [((0,), (3, 0)), ((2, 3, 0), (4, 0)), ((1, 0, 0), (0, 0))]:
        theirs = torch.nn.functional.linear(torch.zeros(x_shape), torch.zeros(w_shape), torch.ones(w_shape[0]))
        ours = F.linear(ft.zeros(*x_shape), ft.zeros(*w_shape), ft.ones(w_shape[0]))
        assert tuple(ours.shape) == tuple(theirs.shape)
        np.testing.assert_array_equal(arr(ours), theirs.numpy())


def test_flatten_checks_dims_of_a_0d_input():
    assert raised(lambda: nn.Flatten()(ft.tensor(3.0))) == (
        "IndexError", "Dimension out of range (expected to be in range of [-1, 0], but got 1)")
    assert raised(lambda: nn.Flatten(0, -2)(ft.tensor(3.0)))[1].endswith("but got -2)")
    np.testing.assert_array_equal(arr(nn.Flatten(0)(ft.tensor(3.0))), [3.0])
    np.testing.assert_array_equal(arr(nn.Flatten(-1, 0)(ft.tensor(3.0))), [3.0])


@needs_torch
def test_flatten_0d_matches_torch():
    for args in [(), (0,), (1,), (-2,), (0, -1), (0, 1), (-1, 0)]:
        assert raised(lambda: nn.Flatten(*args)(ft.tensor(3.0))) == \
            raised(lambda: torch.nn.Flatten(*args)(torch.tensor(3.0)))


# --- 9. small additions: init.dirac_, clip_grad helpers, nn.modules.utils / module / loss ----------------


def test_dirac():
    w = nn.init.dirac_(ft.empty(4, 2, 3))
    assert [tuple(i) for i in np.argwhere(arr(w))] == [(0, 0, 1), (1, 1, 1)] and arr(w).sum() == 2
    w = nn.init.dirac_(ft.empty(6, 3, 2, 2), 2)
    assert [tuple(i) for i in np.argwhere(arr(w))] == [(0, 0, 1, 1), (1, 1, 1, 1), (2, 2, 1, 1), (3, 0, 1, 1),
                                                        (4, 1, 1, 1), (5, 2, 1, 1)]
    w = nn.init.dirac_(ft.empty(2, 2, 3, 3, 3))
    assert [tuple(i) for i in np.argwhere(arr(w))] == [(0, 0, 1, 1, 1), (1, 1, 1, 1, 1)]
    assert raised(lambda: nn.init.dirac_(ft.empty(2, 2))) == (
        "ValueError", "Only tensors with 3, 4, or 5 dimensions are supported")
    assert raised(lambda: nn.init.dirac_(ft.empty(3, 2, 2), 2)) == ("ValueError", "dim 0 must be divisible by groups")
    with pytest.warns(FutureWarning, match="nn.init.dirac_"):
        nn.init.dirac(ft.empty(1, 1, 1))


@needs_torch
@pytest.mark.parametrize("shape, groups", [((4, 2, 3), 1), ((6, 3, 2, 2), 2), ((2, 5, 3, 4, 2), 1), ((6, 1, 3), 3)])
def test_dirac_matches_torch(shape, groups):
    np.testing.assert_array_equal(arr(nn.init.dirac_(ft.empty(*shape), groups)),
                                  torch.nn.init.dirac_(torch.empty(shape), groups).numpy())


def grads_345():
    ps = [ft.ones(2, requires_grad=True), ft.ones(3, requires_grad=True)]
    ps[0].grad = ft.tensor([3.0, 4.0])
    ps[1].grad = ft.tensor([12.0, 0.0, 0.0])
    return ps


def test_total_norm_and_clip_with_norm():
    ps = grads_345()
    grads = [p.grad for p in ps]
    assert float(nn.utils.get_total_norm(grads)) == 13.0
    assert float(nn.utils.get_total_norm(grads, 1)) == 19.0
    assert float(nn.utils.get_total_norm(grads, float("inf"))) == 12.0
    assert float(nn.utils.get_total_norm([])) == 0.0 and float(nn.utils.get_total_norm(ps[0].grad)) == 5.0
    nn.utils.clip_grads_with_norm_(ps, 6.5, ft.tensor(13.0))
    np.testing.assert_allclose(arr(ps[0].grad), [1.5, 2.0], rtol=1e-6)
    np.testing.assert_allclose(arr(ps[1].grad), [6.0, 0.0, 0.0], rtol=1e-6)
    nn.utils.clip_grads_with_norm_(ps, 100.0, ft.tensor(13.0))  # never scaled up
    np.testing.assert_allclose(arr(ps[0].grad), [1.5, 2.0], rtol=1e-6)


def test_clip_grad_norm_deprecated_alias_and_empty_generator():
    p = ft.ones(3, requires_grad=True)
    p.grad = ft.tensor([3.0, 4.0, 0.0])
    with pytest.warns(FutureWarning, match="clip_grad_norm` is now deprecated in favor of"):
        total = nn.utils.clip_grad_norm([p], 1.0)
    assert float(total) == 5.0
    np.testing.assert_allclose(arr(p.grad), [0.6, 0.8, 0.0], rtol=1e-5)
    with pytest.warns(UserWarning, match="`parameters` is an empty generator"):
        assert float(nn.utils.clip_grad_norm_((q for q in []), 1.0)) == 0.0


@needs_torch
def test_clip_helpers_match_torch():
    def run(lib):
        ps = [lib.ones(2, requires_grad=True), lib.ones(3, requires_grad=True)]
        ps[0].grad = lib.tensor([3.0, -4.0])
        ps[1].grad = lib.tensor([1.0, 0.5, -2.0])
        norms = [float(lib.nn.utils.get_total_norm([p.grad for p in ps], t)) for t in (2, 1, 3.5, float("inf"))]
        lib.nn.utils.clip_grads_with_norm_(ps, 1.5, lib.nn.utils.get_total_norm([p.grad for p in ps]))
        return norms, [p.grad.tolist() for p in ps]
    ours, theirs = run(ft), run(torch)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-6)
    for a, b in zip(ours[1], theirs[1]):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_modules_utils_and_private_names():
    from fasttensor.nn.modules.utils import _pair, _quadruple, _single, _triple

    assert _pair(3) == (3, 3) and _pair((1, 2)) == (1, 2) and _single(2) == (2,) and _triple([1, 2, 3]) == (1, 2, 3)
    assert _quadruple(0) == (0, 0, 0, 0) and _pair.__name__ == "_pair"
    assert nn.modules.module._addindent("a\nb\n\nc", 2) == "a\n  b\n\n  c"
    assert nn.modules.module._addindent("one line", 4) == "one line"
    loss = nn.modules.loss._WeightedLoss(ft.ones(2))
    assert list(loss.state_dict()) == ["weight"] and nn.modules.loss._WeightedLoss().weight is None
    assert loss.reduction == "mean"
    sd = OrderedDict([("module.a", 1), ("b", 2)])
    nn.modules.utils.consume_prefix_in_state_dict_if_present(sd, "module.")
    assert list(sd) == ["b", "a"]


# --- optimizer step hooks, ASGD, Rprop -----------------------------------------------------------------


def test_optimizer_step_hooks():
    p = ft.ones(1, requires_grad=True)
    p.grad = ft.ones(1)
    opt = ft.optim.SGD([p], lr=0.5)
    calls = []
    pre = opt.register_step_pre_hook(lambda o, args, kwargs: calls.append(("pre", o is opt, len(args), kwargs)))
    opt.register_step_post_hook(lambda o, args, kwargs: calls.append(("post", p.item())))
    opt.step()
    assert calls == [("pre", True, 1, {}), ("post", 0.5)]
    pre.remove()
    calls.clear()
    opt.register_step_pre_hook(lambda o, args, kwargs: (args, {"closure": lambda: 7.0}))
    assert opt.step() == 7.0 and calls == [("post", 0.0)]
    opt.register_step_pre_hook(lambda o, args, kwargs: 3)
    assert raised(opt.step)[0] == "RuntimeError"
    # hooks are not pickled, and an unpickled optimizer takes new ones
    back = pickle.loads(pickle.dumps(ft.optim.Adam([ft.ones(1, requires_grad=True)])))
    assert back._optimizer_step_pre_hooks == {} and back.register_step_post_hook(lambda *a: None) is not None


def optimizer_state_dict_hooks(lib):
    p = lib.ones(1, requires_grad=True)
    opt = lib.optim.SGD([p], lr=0.5)
    calls = []
    opt.register_state_dict_pre_hook(lambda o: calls.append("pre"))
    opt.register_state_dict_pre_hook(lambda o: calls.append("pre-first"), prepend=True)
    opt.register_state_dict_post_hook(lambda o, sd: dict(sd, extra=1))
    sd = opt.state_dict()
    opt.register_load_state_dict_pre_hook(lambda o, sd: calls.append(("load-pre", sorted(sd))))
    opt.register_load_state_dict_pre_hook(
        lambda o, sd: {"state": {}, "param_groups": [dict(sd["param_groups"][0], lr=0.25)]})
    opt.register_load_state_dict_post_hook(lambda o: calls.append(("load-post", o.param_groups[0]["lr"])))
    opt.load_state_dict(sd)
    return calls, sorted(sd), sorted(opt.state_dict())


def test_optimizer_state_dict_hooks():
    assert optimizer_state_dict_hooks(ft) == (
        ["pre-first", "pre", ("load-pre", ["extra", "param_groups", "state"]), ("load-post", 0.25), "pre-first",
         "pre"], ["extra", "param_groups", "state"], ["extra", "param_groups", "state"])


@needs_torch
def test_optimizer_hooks_match_torch():
    assert optimizer_state_dict_hooks(ft) == optimizer_state_dict_hooks(torch)


def test_common_types():
    from fasttensor.nn.common_types import _size_2_t, _size_any_t  # noqa: F401 (the import is the test)


def test_global_step_hooks():
    from fasttensor.optim.optimizer import register_optimizer_step_post_hook, register_optimizer_step_pre_hook

    seen = []
    handles = [register_optimizer_step_pre_hook(lambda o, a, k: seen.append("pre")),
               register_optimizer_step_post_hook(lambda o, a, k: seen.append("post"))]
    try:
        p = ft.ones(1, requires_grad=True)
        p.grad = ft.ones(1)
        ft.optim.Rprop([p]).step()
    finally:
        for h in handles:
            h.remove()
    assert seen == ["pre", "post"]


def test_asgd_and_rprop_by_hand():
    p = ft.tensor([1.0, -2.0], dtype=ft.float64, requires_grad=True)
    opt = ft.optim.ASGD([p], lr=0.1, lambd=0.5, alpha=1.0, t0=0)
    p.grad = ft.tensor([1.0, 1.0], dtype=ft.float64)
    opt.step()  # p = p * (1 - lambd * eta) - eta * g; mu = 1, so ax = p
    eta = float(np.float32(0.1))  # eta is kept as a float32 0-d tensor (the default dtype), as PyTorch keeps it
    expected = [1.0 * (1 - 0.5 * eta) - eta, -2.0 * (1 - 0.5 * eta) - eta]
    np.testing.assert_allclose(arr(p), expected, rtol=1e-15)
    np.testing.assert_allclose(arr(opt.state[p]["ax"]), expected, rtol=1e-15)
    assert list(opt.state[p]) == ["step", "eta", "mu", "ax"] and opt.state[p]["eta"].dtype == ft.float32
    assert opt.state[p]["eta"].item() == float(np.float32(0.1 / (1 + 0.5 * 0.1 * 1)))
    q = ft.tensor([1.0, 1.0], dtype=ft.float64, requires_grad=True)
    opt = ft.optim.Rprop([q], lr=0.1, etas=(0.5, 2.0), step_sizes=(0.01, 0.3))
    for grad in ([1.0, 1.0], [1.0, -1.0], [1.0, 1.0]):
        q.grad = ft.tensor(grad, dtype=ft.float64)
        opt.step()
    # steps: -0.1, -0.1 | same sign: step 0.2 -> 0.8; flipped: step 0.05, no move | 0.3 (clamped); 0 prev -> 0.05
    np.testing.assert_allclose(arr(q), [1.0 - 0.1 - 0.2 - 0.3, 1.0 - 0.1 - 0.05], rtol=1e-12)
    assert list(opt.state[q]) == ["step", "prev", "step_size"]
    assert raised(lambda: ft.optim.Rprop([q], etas=(1.5, 2.0))) == ("ValueError", "Invalid eta values: 1.5, 2.0")
    assert raised(lambda: ft.optim.ASGD([q], lr=-1)) == ("ValueError", "Invalid learning rate: -1")


OPTIMIZER_CASES = [("ASGD", {}), ("ASGD", dict(lr=0.05, lambd=1e-2, alpha=0.5, t0=5, weight_decay=0.1)),
                   ("ASGD", dict(lr=0.03, t0=0, maximize=True)), ("Rprop", {}),
                   ("Rprop", dict(lr=0.05, etas=(0.3, 1.5), step_sizes=(1e-3, 0.2))), ("Rprop", dict(maximize=True))]


@needs_torch
@pytest.mark.parametrize("name, kwargs", OPTIMIZER_CASES)
def test_asgd_rprop_match_torch_over_20_steps(name, kwargs):
    rng = np.random.default_rng(0)
    w0, b0, x = rng.standard_normal((3, 4)), rng.standard_normal(3), rng.standard_normal((5, 4))

    def run(lib):
        w = lib.tensor(w0, dtype=lib.float64, requires_grad=True)
        b = lib.tensor(b0, dtype=lib.float64, requires_grad=True)
        xs = lib.tensor(x, dtype=lib.float64)
        opt = getattr(lib.optim, name)([w, b], **kwargs)
        for _ in range(20):
            opt.zero_grad()
            (((xs @ w.T + b).tanh() ** 2).sum() + (w ** 3).sum() * 0.1).backward()
            opt.step()
        state = {k: np.array(v.detach().numpy()) for k, v in opt.state[w].items()}
        return np.array(w.detach().numpy()), np.array(b.detach().numpy()), state, opt.state_dict()["param_groups"]

    ours, theirs = run(ft), run(torch)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-12, atol=1e-12)
    assert list(ours[2]) == list(theirs[2])
    for key in ours[2]:
        np.testing.assert_allclose(ours[2][key], theirs[2][key], rtol=1e-12, atol=1e-12)
    assert ours[3] == theirs[3]
