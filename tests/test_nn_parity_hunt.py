"""fasttensor.nn, optim and utils.data against PyTorch 2.13, a differential hunt: what a D2L student
meets first (the errors of a layer or a loss given a list or a NumPy array instead of a tensor, the
generators of Module.named_parameters as they print, ...). Each case states PyTorch's answer, and
compares with PyTorch itself when it is installed."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

import fasttensor as ft
from fasttensor import nn
from fasttensor.nn import functional as F

from helpers import HAVE_TORCH, raised, torch

needs_torch = pytest.mark.skipif(not HAVE_TORCH, reason="PyTorch is not installed")



def on(lib, case):
    """case(lib, nn, F) for fasttensor or torch."""
    return lambda: case(lib, lib.nn, lib.nn.functional)


# --- non-tensor arguments to layers, activations and losses ------------------------------------------------

ONES = object()  # stands for a one-element float tensor of the library under test

NOT_A_TENSOR = [
    # (call, arguments, PyTorch's exception)
    ("linear", ([1.0], "W"), ("TypeError", "linear(): argument 'input' (position 1) must be Tensor, not list")),
    ("linear", (np.ones(1), "W"), ("TypeError", "linear(): argument 'input' (position 1) must be Tensor, "
                                                "not numpy.ndarray")),
    ("linear", (np.float64(1.0), "W"), ("TypeError", "linear(): argument 'input' (position 1) must be Tensor, "
                                                     "not numpy.float64")),
    ("linear", (ONES, 5), ("TypeError", "linear(): argument 'weight' (position 2) must be Tensor, not int")),
    ("linear", (ONES, "W", 5), ("TypeError", "linear(): argument 'bias' (position 3) must be Tensor, not int")),
    ("relu", (np.ones(2),), ("TypeError", "relu(): argument 'input' (position 1) must be Tensor, "
                                          "not numpy.ndarray")),
    ("sigmoid", ([1.0],), ("AttributeError", "'list' object has no attribute 'sigmoid'")),
    ("tanh", ([1.0],), ("AttributeError", "'list' object has no attribute 'tanh'")),
    ("softmax", ([1.0], 0), ("AttributeError", "'list' object has no attribute 'softmax'")),
    ("log_softmax", ([1.0], 0), ("AttributeError", "'list' object has no attribute 'log_softmax'")),
    ("softmin", (np.ones(2), 0), ("AttributeError", "'numpy.ndarray' object has no attribute 'softmax'")),
    ("cross_entropy", ([[1.0]], "C"), ("TypeError", "cross_entropy_loss(): argument 'input' (position 1) must "
                                                    "be Tensor, not list")),
    ("cross_entropy", ("X", [0, 1]), ("TypeError", "cross_entropy_loss(): argument 'target' (position 2) must "
                                                   "be Tensor, not list")),
    ("nll_loss", ([[1.0]], "C"), ("TypeError", "nll_loss_nd(): argument 'input' (position 1) must be Tensor, "
                                               "not list")),
    ("nll_loss", ("X", [0, 1]), ("TypeError", "nll_loss_nd(): argument 'target' (position 2) must be Tensor, "
                                              "not list")),
    ("mse_loss", ([1.0], ONES), ("AttributeError", "'list' object has no attribute 'size'")),
    ("mse_loss", (ONES, [1.0]), ("AttributeError", "'list' object has no attribute 'size'")),
    ("l1_loss", ([1.0], ONES), ("AttributeError", "'list' object has no attribute 'size'")),
    ("smooth_l1_loss", (ONES, [1.0]), ("AttributeError", "'list' object has no attribute 'size'")),
    ("huber_loss", ([1.0], ONES), ("AttributeError", "'list' object has no attribute 'size'")),
    ("binary_cross_entropy", ([0.5], ONES), ("AttributeError", "'list' object has no attribute 'size'")),
    ("binary_cross_entropy_with_logits", (ONES, [1.0]), ("AttributeError", "'list' object has no attribute "
                                                                           "'size'")),
    ("kl_div", ([1.0], ONES), ("TypeError", "kl_div(): argument 'input' (position 1) must be Tensor, not list")),
    ("dropout", ([1.0],), ("TypeError", "dropout(): argument 'input' (position 1) must be Tensor, not list")),
    ("dropout", ([1.0], 2.0), ("ValueError", "dropout probability has to be between 0 and 1, but got 2.0")),
    ("alpha_dropout", ([1.0],), ("TypeError", "alpha_dropout(): argument 'input' (position 1) must be Tensor, "
                                              "not list")),
    ("one_hot", ([1, 2],), ("TypeError", "one_hot(): argument 'input' (position 1) must be Tensor, not list")),
    ("leaky_relu", ([1.0],), ("TypeError", "leaky_relu(): argument 'input' (position 1) must be Tensor, "
                                           "not list")),
    ("gelu", ([1.0],), ("TypeError", "gelu(): argument 'input' (position 1) must be Tensor, not list")),
    ("silu", ([1.0],), ("TypeError", "silu(): argument 'input' (position 1) must be Tensor, not list")),
    ("elu", ([1.0],), ("TypeError", "elu(): argument 'input' (position 1) must be Tensor, not list")),
    ("selu", ([1.0],), ("TypeError", "selu(): argument 'input' (position 1) must be Tensor, not list")),
    ("celu", ([1.0],), ("TypeError", "celu(): argument 'input' (position 1) must be Tensor, not list")),
    ("rrelu", ([1.0],), ("TypeError", "rrelu(): argument 'input' (position 1) must be Tensor, not list")),
    ("softplus", ([1.0],), ("TypeError", "softplus(): argument 'input' (position 1) must be Tensor, not list")),
    ("hardtanh", ([1.0],), ("TypeError", "hardtanh(): argument 'input' (position 1) must be Tensor, not list")),
    ("relu6", ([1.0],), ("TypeError", "relu6(): argument 'input' (position 1) must be Tensor, not list")),
    ("logsigmoid", ([1.0],), ("TypeError", "log_sigmoid(): argument 'input' (position 1) must be Tensor, "
                                           "not list")),
    ("hardsigmoid", ([1.0],), ("TypeError", "hardsigmoid(): argument 'input' (position 1) must be Tensor, "
                                            "not list")),
    ("hardswish", ([1.0],), ("TypeError", "hardswish(): argument 'input' (position 1) must be Tensor, "
                                          "not list")),
    ("mish", ([1.0],), ("TypeError", "mish(): argument 'input' (position 1) must be Tensor, not list")),
    ("threshold", ([1.0], 0.0, 0.0), ("TypeError", "threshold(): argument 'input' (position 1) must be Tensor, "
                                                   "not list")),
    ("softshrink", ([1.0],), ("TypeError", "softshrink(): argument 'input' (position 1) must be Tensor, "
                                           "not list")),
    ("prelu", ([1.0], ONES), ("TypeError", "prelu(): argument 'input' (position 1) must be Tensor, not list")),
    ("layer_norm", ([1.0], (1,)), ("TypeError", "layer_norm(): argument 'input' (position 1) must be Tensor, "
                                                "not list")),
    ("cosine_similarity", ([1.0], ONES), ("TypeError", "cosine_similarity(): argument 'x1' (position 1) must be "
                                                       "Tensor, not list")),
    ("pairwise_distance", (ONES, [1.0]), ("TypeError", "pairwise_distance(): argument 'x2' (position 2) must be "
                                                       "Tensor, not list")),
    ("embedding", ([0], "W"), ("TypeError", "embedding(): argument 'indices' (position 2) must be Tensor, "
                                            "not list")),
    ("embedding", ("C", [[1.0]]), ("TypeError", "embedding(): argument 'weight' (position 1) must be Tensor, "
                                                "not list")),
    ("pad", ([1.0], (1, 1)), ("TypeError", "pad(): argument 'input' (position 1) must be Tensor, not list")),
]


def _call_functional(lib, name, args):
    stand_ins = {"W": lambda: lib.ones(2, 2), "X": lambda: lib.ones(2, 3), "C": lambda: lib.tensor([0, 1])}
    values = [lib.ones(1) if a is ONES else stand_ins[a]() if isinstance(a, str) and a in stand_ins else a
              for a in args]
    return getattr(lib.nn.functional, name)(*values)


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("name, args, expected", NOT_A_TENSOR, ids=[f"{c[0]}-{i}" for i, c in enumerate(NOT_A_TENSOR)])
def test_functional_given_a_non_tensor_raises_torchs_error(name, args, expected):
    assert raised(lambda: _call_functional(ft, name, args)) == expected
    if HAVE_TORCH:
        assert raised(lambda: _call_functional(torch, name, args)) == expected


LAYERS_GIVEN_AN_ARRAY = [
    (lambda nn: nn.Linear(2, 2), ("TypeError", "linear(): argument 'input' (position 1) must be Tensor, "
                                               "not numpy.ndarray")),
    (lambda nn: nn.ReLU(), ("TypeError", "relu(): argument 'input' (position 1) must be Tensor, not numpy.ndarray")),
    # The modules call torch.sigmoid / torch.tanh, not F.sigmoid's method call.
    (lambda nn: nn.Sigmoid(), ("TypeError", "sigmoid(): argument 'input' (position 1) must be Tensor, "
                                            "not numpy.ndarray")),
    (lambda nn: nn.Tanh(), ("TypeError", "tanh(): argument 'input' (position 1) must be Tensor, not numpy.ndarray")),
    (lambda nn: nn.Softmin(0), ("AttributeError", "'numpy.ndarray' object has no attribute 'softmax'")),
    (lambda nn: nn.Embedding(3, 2), ("TypeError", "embedding(): argument 'indices' (position 2) must be Tensor, "
                                                  "not numpy.ndarray")),
]


@pytest.mark.parametrize("make, expected", LAYERS_GIVEN_AN_ARRAY)
def test_layer_given_a_numpy_array_raises_torchs_error(make, expected):
    assert raised(lambda: make(nn)(np.ones(2))) == expected
    if HAVE_TORCH:
        assert raised(lambda: make(torch.nn)(np.ones(2))) == expected


@pytest.mark.parametrize("loss", ["MSELoss", "L1Loss", "BCEWithLogitsLoss", "CrossEntropyLoss", "NLLLoss"])
def test_loss_module_given_a_list_target_raises_torchs_error(loss):
    def case(lib):
        return raised(lambda: getattr(lib.nn, loss)()(lib.ones(2, 2), [[1.0, 0.0], [0.0, 1.0]]))

    ours = case(ft)
    assert ours[0] in ("TypeError", "AttributeError") and "list" in ours[1]
    if HAVE_TORCH:
        assert ours == case(torch)


def test_tensor_parser_names_torchs_own_types_qualified():
    # A type of PyTorch's (or an extension module's) by its qualified name, a Python class by its bare one.
    class Mine:
        pass

    assert raised(lambda: ft.argmax(ft.Size([1]))) == (
        "TypeError", "argmax(): argument 'input' (position 1) must be Tensor, not torch.Size")
    assert raised(lambda: ft.argmax(Mine())) == (
        "TypeError", "argmax(): argument 'input' (position 1) must be Tensor, not Mine")
    if HAVE_TORCH:
        assert raised(lambda: torch.argmax(torch.Size([1]))) == raised(lambda: ft.argmax(ft.Size([1])))
        assert raised(lambda: torch.argmax(Mine())) == raised(lambda: ft.argmax(Mine()))


def test_valid_calls_are_unchanged_by_the_checks():
    x = ft.tensor([[1.0, -2.0], [3.0, 4.0]])
    w = ft.tensor([[0.5, 1.0], [-1.0, 2.0]])
    assert F.linear(x, w, ft.tensor([1.0, 0.0])).tolist() == [[-0.5, -5.0], [6.5, 5.0]]
    assert F.relu(x).tolist() == [[1.0, 0.0], [3.0, 4.0]]
    assert F.mse_loss(x, ft.zeros(2, 2)).item() == 7.5
    assert F.embedding(ft.tensor([1]), w).tolist() == [[-1.0, 2.0]]
    assert F.embedding(ft.tensor([1]), w, padding_idx=1).tolist() == [[-1.0, 2.0]]


# --- Module generators print as PyTorch's ------------------------------------------------------------------


@pytest.mark.parametrize("method", ["parameters", "named_parameters", "buffers", "named_buffers", "children",
                                    "named_children", "modules", "named_modules"])
def test_module_iterators_are_generators_named_as_torchs(method):
    def shown(lib):
        return re.sub(r" at 0x[0-9a-f]+", "", repr(getattr(lib.nn.Sequential(lib.nn.Linear(2, 3)), method)()))

    assert shown(ft) == f"<generator object Module.{method}>"
    if HAVE_TORCH:
        assert shown(ft) == shown(torch)


# --- layer sizes that are not ints; Parameter of a non-tensor ------------------------------------------------

BAD_SIZES = [
    # nn.Linear(256, 256 / 2): the weight's torch.empty((out, in)) sees a float first.
    (lambda nn: nn.Linear(256, 256 / 2), ("TypeError", "empty(): argument 'size' (position 1) must be tuple of "
                                                       "ints, but found element of type float at pos 0")),
    (lambda nn: nn.Linear(2.5, 2), ("TypeError", "empty(): argument 'size' failed to unpack the object at pos 2 "
                                                 "with error \"type must be tuple of ints,but got float\"")),
    (lambda nn: nn.Linear("a", 2), ("TypeError", "empty(): argument 'size' failed to unpack the object at pos 2 "
                                                 "with error \"type must be tuple of ints,but got str\"")),
    (lambda nn: nn.Embedding(2.5, 2), ("TypeError", "empty(): argument 'size' (position 1) must be tuple of ints, "
                                                    "but found element of type float at pos 0")),
    (lambda nn: nn.PReLU(2.5), ("TypeError", "empty(): argument 'size' (position 1) must be tuple of ints, "
                                             "not float")),
    (lambda nn: nn.Parameter([1.0, 2.0]), ("AttributeError", "'list' object has no attribute 'detach'")),
    (lambda nn: nn.Parameter(np.ones(2)), ("AttributeError", "'numpy.ndarray' object has no attribute 'detach'")),
]


@pytest.mark.parametrize("make, expected", BAD_SIZES)
def test_layer_of_a_non_int_size_raises_torchs_error(make, expected):
    assert raised(lambda: make(nn)) == expected
    if HAVE_TORCH:
        assert raised(lambda: make(torch.nn)) == expected


@pytest.mark.parametrize("size, expected", [
    ((2, 2.5), "empty(): argument 'size' failed to unpack the object at pos 2 with error \"type must be tuple of "
               "ints,but got float\""),
    ([2, 3, None], "empty(): argument 'size' failed to unpack the object at pos 3 with error \"type must be tuple "
                   "of ints,but got NoneType\""),
    ((2.5, 2), "empty(): argument 'size' (position 1) must be tuple of ints, but found element of type float "
               "at pos 0"),
])
def test_size_sequence_with_a_later_non_int_raises_torchs_unpack_error(size, expected):
    assert raised(lambda: ft.empty(size)) == ("TypeError", expected)
    if HAVE_TORCH:
        assert raised(lambda: torch.empty(size)) == ("TypeError", expected)


def test_size_sequence_reads_a_later_bool_as_an_int():
    assert ft.empty((2, True)).shape == (2, 1)
    if HAVE_TORCH:
        assert tuple(torch.empty((2, True)).shape) == (2, 1)


def test_layers_of_numpy_int_sizes_are_built():
    lin = nn.Linear(np.int64(3), np.int64(2))
    assert lin.weight.shape == (2, 3) and lin.bias.shape == (2,)
    assert nn.Embedding(np.int64(4), 2).weight.shape == (4, 2)


# --- iter(DataLoader) ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("workers, kind", [(0, "_SingleProcessDataLoaderIter"), (1, "_MultiProcessingDataLoaderIter")])
def test_dataloader_iterator_has_torchs_class_and_len(workers, kind):
    def case(lib):
        loader = lib.utils.data.DataLoader(list(range(5)), batch_size=2, num_workers=workers)
        it = iter(loader)
        first = next(it)
        return type(it).__name__, len(it), iter(it) is it, first.tolist(), [b.tolist() for b in it]

    ours = case(ft)
    assert ours == (kind, 3, True, [0, 1], [[2, 3], [4]])
    if HAVE_TORCH:
        assert ours == case(torch)


def test_dataloader_iterator_of_an_iterable_dataset_has_no_len():
    def case(lib):
        class Stream(lib.utils.data.IterableDataset):
            def __iter__(self):
                return iter(range(7))

        it = iter(lib.utils.data.DataLoader(Stream(), batch_size=3))
        return next(it).tolist(), raised(lambda: len(it))

    ours = case(ft)
    assert ours == ([0, 1, 2], ("TypeError", "object of type '_InfiniteConstantSampler' has no len()"))
    if HAVE_TORCH:
        assert ours == case(torch)


def test_module_registries_are_plain_dicts_and_hook_registries_ordered():
    def kinds(lib):
        layer = lib.nn.Linear(1, 1)
        return {name: type(getattr(layer, name)).__name__
                for name in ("_parameters", "_buffers", "_modules", "_forward_hooks", "_forward_pre_hooks")}

    assert kinds(ft) == {"_parameters": "dict", "_buffers": "dict", "_modules": "dict",
                         "_forward_hooks": "OrderedDict", "_forward_pre_hooks": "OrderedDict"}
    if HAVE_TORCH:
        assert kinds(ft) == kinds(torch)
    layer = nn.Linear(1, 1)
    assert repr(layer._parameters.keys()) == "dict_keys(['weight', 'bias'])"


@pytest.mark.parametrize("call, expected", [
    (lambda lib: lib.nn.functional.linear(lib.ones(2), None),
     "linear(): argument 'weight' (position 2) must be Tensor, not NoneType"),
    (lambda lib: lib.nn.functional.linear(None, lib.ones(2, 2)),
     "linear(): argument 'input' (position 1) must be Tensor, not NoneType"),
    (lambda lib: lib.nn.functional.relu(None), "relu(): argument 'input' (position 1) must be Tensor, not NoneType"),
    (lambda lib: lib.nn.functional.cross_entropy(lib.ones(2, 3), None),
     "cross_entropy_loss(): argument 'target' (position 2) must be Tensor, not NoneType"),
])
def test_none_for_a_required_tensor_raises_torchs_error(call, expected):
    assert raised(lambda: call(ft)) == ("TypeError", expected)
    if HAVE_TORCH:
        assert raised(lambda: call(torch)) == ("TypeError", expected)


def test_none_for_an_optional_tensor_is_accepted():
    x = ft.tensor([[1.0, 2.0]])
    assert F.linear(x, ft.tensor([[1.0, 1.0]]), None).tolist() == [[3.0]]
    assert F.cross_entropy(ft.zeros(2, 2), ft.tensor([0, 1]), weight=None).item() == pytest.approx(math.log(2))
    assert F.nll_loss(ft.zeros(2, 2), ft.tensor([0, 1]), weight=None).item() == 0.0
