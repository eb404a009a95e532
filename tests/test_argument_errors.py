"""PyTorch's TypeError for an argument of the wrong kind (a list, a NumPy array, a string where a tensor
goes): the first line of the message, as torch 2.13 words it, for function forms (positions counted from
input) and method forms (counted from the argument after self). Each case carries torch's first line, so
it is checked without torch too; with torch installed (2.13), torch must raise the same."""

from __future__ import annotations

import numpy as np
import pytest

import fasttensor
from helpers import TORCH_IS_REFERENCE, torch

# expression over m (the module), x (3, 3), v (3,), b (1, 3, 3): first line of torch's TypeError
CASES = {
    'm.mm(x, "a")': "mm(): argument 'mat2' (position 2) must be Tensor, not str",
    'm.mm("a", x)': "mm(): argument 'input' (position 1) must be Tensor, not str",
    'x.mm(np.ones((3, 3), np.float32))': "mm(): argument 'mat2' (position 1) must be Tensor, not numpy.ndarray",
    'x.mm([1.0])': "mm(): argument 'mat2' (position 1) must be Tensor, not list",
    'm.mv(x, "a")': "mv(): argument 'vec' (position 2) must be Tensor, not str",
    'x.mv("a")': "mv(): argument 'vec' (position 1) must be Tensor, not str",
    'm.dot(v, "a")': "dot(): argument 'tensor' (position 2) must be Tensor, not str",
    'v.dot(None)': "dot(): argument 'tensor' (position 1) must be Tensor, not NoneType",
    'm.bmm(b, "a")': "bmm(): argument 'mat2' (position 2) must be Tensor, not str",
    'b.bmm("a")': "bmm(): argument 'mat2' (position 1) must be Tensor, not str",
    'm.matmul(x, np.ones(3))': "matmul(): argument 'other' (position 2) must be Tensor, not numpy.ndarray",
    'm.matmul("a", x)': "matmul(): argument 'input' (position 1) must be Tensor, not str",
    'x.matmul("a")': "matmul(): argument 'other' (position 1) must be Tensor, not str",
    'x.expand_as("a")': "expand_as(): argument 'other' (position 1) must be Tensor, not str",
    'x.view_as(np.ones(3))': "view_as(): argument 'other' (position 1) must be Tensor, not numpy.ndarray",
    'x.reshape_as("a")': "reshape_as(): argument 'other' (position 1) must be Tensor, not str",
    'x.index_select(0, "a")': "index_select(): argument 'index' (position 2) must be Tensor, not str",
    'm.index_select(x, 0, "a")': "index_select(): argument 'index' (position 3) must be Tensor, not str",
    'x.gather(0, "a")': "gather(): argument 'index' (position 2) must be Tensor, not str",
    'm.gather(x, 0, [0])': "gather(): argument 'index' (position 3) must be Tensor, not list",
    'm.outer(v, "a")': "outer(): argument 'vec2' (position 2) must be Tensor, not str",
    'v.outer("a")': "outer(): argument 'vec2' (position 1) must be Tensor, not str",
    'm.inner(v, "a")': "inner(): argument 'other' (position 2) must be Tensor, not str",
    'v.inner("a")': "inner(): argument 'other' (position 1) must be Tensor, not str",
    'm.kron(x, "a")': "kron(): argument 'other' (position 2) must be Tensor, not str",
    'x.kron("a")': "kron(): argument 'other' (position 1) must be Tensor, not str",
    'v.vdot("a")': "vdot(): argument 'other' (position 1) must be Tensor, not str",
    'm.take(x, "a")': "take(): argument 'index' (position 2) must be Tensor, not str",
    'x.take([0])': "take(): argument 'index' (position 1) must be Tensor, not list",
    'm.masked_select(x, "a")': "masked_select(): argument 'mask' (position 2) must be Tensor, not str",
    'x.masked_select("a")': "masked_select(): argument 'mask' (position 1) must be Tensor, not str",
    'x.type_as("a")': "type_as(): argument 'other' (position 1) must be Tensor, not str",
    'x.take_along_dim("a")': "take_along_dim(): argument 'indices' (position 1) must be Tensor, not str",
    'm.take_along_dim(x, "a")': "take_along_dim(): argument 'indices' (position 2) must be Tensor, not str",
    'x.cross("a")': "cross(): argument 'other' (position 1) must be Tensor, not str",
    'm.cross(x, "a", dim=0)': "cross(): argument 'other' (position 2) must be Tensor, not str",
    'm.linalg.cross(x, "a")': "linalg_cross(): argument 'other' (position 2) must be Tensor, not str",
    'm.cdist(x, "a")': "cdist(): argument 'x2' (position 2) must be Tensor, not str",
    'x.logaddexp(2)': "logaddexp(): argument 'other' (position 1) must be Tensor, not int",
    'm.logaddexp(x, 2)': "logaddexp(): argument 'other' (position 2) must be Tensor, not int",
    'x.hypot("a")': "hypot(): argument 'other' (position 1) must be Tensor, not str",
    'x.fmax("a")': "fmax(): argument 'other' (position 1) must be Tensor, not str",
    'x.atan2("a")': "atan2(): argument 'other' (position 1) must be Tensor, not str",
    'x.heaviside("a")': "heaviside(): argument 'values' (position 1) must be Tensor, not str",
    'x.dist("a")': "dist(): argument 'other' (position 1) must be Tensor, not str",
    'x.equal("a")': "equal(): argument 'other' (position 1) must be Tensor, not str",
    'm.equal(x, "a")': "equal(): argument 'other' (position 2) must be Tensor, not str",
    'x.allclose("a")': "allclose(): argument 'other' (position 1) must be Tensor, not str",
    'x.isclose("a")': "isclose(): argument 'other' (position 1) must be Tensor, not str",
    'm.isclose(x, "a")': "isclose(): argument 'other' (position 2) must be Tensor, not str",
    'x.index_put((m.tensor([0]),), 1.0)': "index_put(): argument 'values' (position 2) must be Tensor, not float",
    'm.index_put_(x, (m.tensor([0]),), 1.0)': "index_put_(): argument 'values' (position 3) must be Tensor, not float",
    'x.index_put(m.tensor([0]), m.tensor(1.0))':
        "index_put(): argument 'indices' (position 1) must be tuple of Tensors, not Tensor",
    'm.masked_scatter(x, x > 0, 1.0)': "masked_scatter(): argument 'source' (position 3) must be Tensor, not float",
    'x.masked_scatter(x > 0, 1.0)': "masked_scatter(): argument 'source' (position 2) must be Tensor, not float",
    'x.add("a")': "add(): argument 'other' (position 1) must be Tensor, not str",
    'x.sub("a")': "sub(): argument 'other' (position 1) must be Tensor, not str",
    'x.mul("a")': "mul(): argument 'other' (position 1) must be Tensor, not str",
    'x.div("a")': "div(): argument 'other' (position 1) must be Tensor, not str",
    'm.add(x, "a")': "add(): argument 'other' (position 2) must be Tensor, not str",
    'm.add("a", x)': "add(): argument 'input' (position 1) must be Tensor, not str",
    'm.mul("a", x)': "mul(): argument 'input' (position 1) must be Tensor, not str",
    'm.div(x, [1.0])': "div(): argument 'other' (position 2) must be Tensor, not list",
    'x.add_("a")': "add_(): argument 'other' (position 1) must be Tensor, not str",
    'x.mul_(np.ones(3))': "mul_(): argument 'other' (position 1) must be Tensor, not numpy.ndarray",
    'x.pow("a")': "pow() received an invalid combination of arguments - got (str), but expected one of:",
    'x.eq("a")': "eq() received an invalid combination of arguments - got (str), but expected one of:",
    'm.eq(x, "a")': "eq() received an invalid combination of arguments - got (Tensor, str), but expected one of:",
    'm.eq(2, 3)': "eq() received an invalid combination of arguments - got (int, int), but expected one of:",
    'x.floor_divide("a")':
        "floor_divide() received an invalid combination of arguments - got (str), but expected one of:",
    'm.fmod(x, "a")': "fmod() received an invalid combination of arguments - got (Tensor, str), but expected one of:",
    'x.remainder("a")': "remainder() received an invalid combination of arguments - got (str), but expected one of:",
    'x.multiply("a")': "multiply() received an invalid combination of arguments - got (str), but expected one of:",
    'm.sum("a")': "sum(): argument 'input' (position 1) must be Tensor, not str",
    'm.sum([1, 2])': "sum(): argument 'input' (position 1) must be Tensor, not list",
    'm.mean(np.ones(3))': "mean(): argument 'input' (position 1) must be Tensor, not numpy.ndarray",
    'm.max([1.0])': "max(): argument 'input' (position 1) must be Tensor, not list",
    'm.min([1.0])': "min(): argument 'input' (position 1) must be Tensor, not list",
    'm.softmax([1.0], 0)': "softmax(): argument 'input' (position 1) must be Tensor, not list",
    'm.log_softmax([1.0], 0)': "log_softmax(): argument 'input' (position 1) must be Tensor, not list",
    'm.cat([x, "a"])': "expected Tensor as element 1 in argument 0, but got str",
    'm.stack([x, [1.0, 2.0, 3.0]])': "expected Tensor as element 1 in argument 0, but got list",
    'm.cat(x)': "cat(): argument 'tensors' (position 1) must be tuple of Tensors, not Tensor",
}


def _first_line(m, expression):
    x, v, b = m.ones(3, 3), m.ones(3), m.ones(1, 3, 3)
    with pytest.raises(TypeError) as info:
        eval(expression, {"m": m, "np": np, "x": x, "v": v, "b": b})
    return str(info.value).splitlines()[0]


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("expression", list(CASES))
def test_type_error_first_line(expression):
    assert _first_line(fasttensor, expression) == CASES[expression]
    if TORCH_IS_REFERENCE:
        assert _first_line(torch, expression) == CASES[expression]


def test_method_form_keeps_other_errors_and_results():
    """The method wrapper only renumbers a TypeError about the function's own argument: results, other
    exceptions and messages of inner calls pass through unchanged."""
    v = fasttensor.tensor([1.0, 2.0, 3.0])
    assert v.outer(v).shape == (3, 3)
    np.testing.assert_array_equal(v.kron(v).numpy(), np.kron(v.numpy(), v.numpy()))
    with pytest.raises(RuntimeError, match="outer: Expected 1-D argument self, but got 2-D"):
        v.reshape(3, 1).outer(v)
    assert fasttensor.Tensor.outer.__name__ == "outer"


# forms added with scatter_reduce, put, narrow_copy and angle (function and method numbering)
MORE_CASES = {
    'm.put(v, m.tensor([0]), "a")': "put(): argument 'source' (position 3) must be Tensor, not str",
    'm.put(v, "a", v)': "put(): argument 'index' (position 2) must be Tensor, not str",
    'v.put(m.tensor([0]), "a")': "put(): argument 'source' (position 2) must be Tensor, not str",
    'v.put_("a", v)': "put_(): argument 'index' (position 1) must be Tensor, not str",
    'v.put_(m.tensor([0]), v[:1], 1)': "put_(): argument 'accumulate' (position 3) must be bool, not int",
    'm.put(v, m.tensor([0]), v[:1], 1)': "put(): argument 'accumulate' (position 4) must be bool, not int",
    'm.narrow_copy(v, "a", 0, 1)': "narrow_copy(): argument 'dim' (position 2) must be int, not str",
    'v.narrow_copy(0, 1.0, 1)': "narrow_copy(): argument 'start' (position 2) must be int, not float",
    'm.narrow_copy(v, 0, 1.0, 1)': "narrow_copy(): argument 'start' (position 3) must be int, not float",
    'v.scatter_reduce(0, m.tensor([0]), "a", "sum")': "scatter_reduce(): argument 'src' (position 3) must be Tensor, not str",
    'm.scatter_reduce(v, 0, m.tensor([0]), "a", "sum")':
        "scatter_reduce(): argument 'src' (position 4) must be Tensor, not str",
    'v.scatter_reduce_(0, m.tensor([0]), "a", "sum")':
        "scatter_reduce_(): argument 'src' (position 3) must be Tensor, not str",
    'm.angle([1.0])': "angle(): argument 'input' (position 1) must be Tensor, not list",
    # in-place methods built on the function name themselves, counting as a method
    'v.hypot_(3)': "hypot_(): argument 'other' (position 1) must be Tensor, not int",
    'v.heaviside_(3)': "heaviside_(): argument 'values' (position 1) must be Tensor, not int",
    'v.atan2_("a")': "atan2_(): argument 'other' (position 1) must be Tensor, not str",
    'v.logical_and_("a")': "logical_and_(): argument 'other' (position 1) must be Tensor, not str",
    'v.fmod_("a")': "fmod_() received an invalid combination of arguments - got (str), but expected one of:",
}


@pytest.mark.parametrize("expression", list(MORE_CASES))
def test_type_error_first_line_more(expression):
    assert _first_line(fasttensor, expression) == MORE_CASES[expression]
    if TORCH_IS_REFERENCE:
        assert _first_line(torch, expression) == MORE_CASES[expression]


# --- messages of misuse a student meets (each torch 2.13's text) ---------------------------------------------

def _error(m, code):
    """(type name, message) of the exception code raises, run with m as torch."""
    namespace = {"torch": m, "np": np}
    with pytest.raises(Exception) as info:
        exec(code, namespace)
    return type(info.value).__name__, str(info.value)


def _both(code, expected):
    assert _error(fasttensor, code) == expected
    if TORCH_IS_REFERENCE:
        assert _error(torch, code) == expected


ZERO_DIM = ("IndexError", "invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` in "
            "C++ to convert a 0-dim tensor to a number")


@pytest.mark.parametrize("code,expected", [
    ("bool(torch.tensor([]))", ("RuntimeError", "Boolean value of Tensor with no values is ambiguous")),
    ("bool(torch.tensor([1.0, 2.0]))", ("RuntimeError", "Boolean value of Tensor with more than one value is ambiguous")),
    ("torch.tensor(1.0)[0]", ZERO_DIM),
    ("t = torch.tensor(1.0)\nt[0] = 1", ZERO_DIM),
    ("torch.tensor(1.0)[[0]]", ("IndexError", "too many indices for tensor of dimension 0")),
    ("torch.tensor(1.0)[None, 0]", ("IndexError", "too many indices for tensor of dimension 0")),
    ("torch.arange(5)[np.float64(2)]", ("IndexError", "only integers, slices (`:`), ellipsis (`...`), None and long or "
                                                      "byte Variables are valid indices (got numpy.float64)")),
    ("torch.ones(2).size(1.0)", ("TypeError", "size(): argument 'dim' (position 1) must be int, not float")),
    ("torch.ones(2).size('a')", ("TypeError", "size(): argument 'dim' (position 1) must be int, not str")),
    ("torch.ones(2).size(True)", ("TypeError", "size(): argument 'dim' (position 1) must be int, not bool")),
    ("torch.ones(2).size(5)", ("IndexError", "Dimension out of range (expected to be in range of [-1, 0], but got 5)")),
    ("x = torch.ones(2, requires_grad=True)\n(x * 2)[0:1].detach_()",
     ("RuntimeError", "Can't detach views in-place. Use detach() instead. If you are using DistributedDataParallel "
                      "(DDP) for training, and gradient_as_bucket_view is set as True, gradients are views of DDP "
                      "buckets, and hence detach_() cannot be called on these gradients. To fix this error, please "
                      "refer to the Optimizer.zero_grad() function in torch/optim/optimizer.py as the solution.")),
])
def test_misuse_messages(code, expected):
    _both(code, expected)


def test_size_takes_numpy_integers():
    assert fasttensor.ones(2, 3).size(np.int64(1)) == 3


VIEW_OF_LEAF = ("RuntimeError", "a view of a leaf Variable that requires grad is being used in an in-place operation.")
LEAF = ("RuntimeError", "a leaf Variable that requires grad is being used in an in-place operation.")


@pytest.mark.parametrize("index,expected", [
    ("[0]", VIEW_OF_LEAF), ("[None]", VIEW_OF_LEAF), ("[True]", VIEW_OF_LEAF), ("[0, [0]]", VIEW_OF_LEAF),
    ("[torch.tensor(0)]", VIEW_OF_LEAF), ("[0:1]", VIEW_OF_LEAF), ("[:, 0:1]", VIEW_OF_LEAF), ("[-5:]", VIEW_OF_LEAF),
    ("[::2]", VIEW_OF_LEAF), ("[[0]]", LEAF), ("[x > 0]", LEAF), ("[...]", LEAF), ("[:]", LEAF), ("[:, :]", LEAF),
    ("[:, 0:2]", LEAF), ("[0:5]", LEAF),
])
def test_writing_into_a_leaf_names_the_view(index, expected):
    """PyTorch's indexing writes through a view for an integer, None, a bool or a partial slice (the
    message names the view), into the leaf itself otherwise."""
    _both(f"x = torch.ones(2, 2, requires_grad=True)\nx{index} = 1", expected)


HINT = (" instead. Hint: enable anomaly detection to find the operation that failed to compute its gradient, with "
        "torch.autograd.set_detect_anomaly(True, check_nan=False).")


@pytest.mark.parametrize("code,what", [
    ("y = x + 1; z = y * y; y.mul_(2); z.sum().backward()", "[torch.FloatTensor [2]], which is output 0 of Mul,"),
    ("y = x.exp(); y.add_(1); y.sum().backward()", "[torch.FloatTensor [2]], which is output 0 of Exp,"),
    ("y = x + 1; z = y * y; y.sin_(); y.add_(1); z.sum().backward()", "[torch.FloatTensor [2]], which is output 0 of Add,"),
    ("y = x.exp(); z = y.sin(); y.add_(1); z.sum().backward()", "[torch.FloatTensor [2]], which is output 0 of Add,"),
    ("w = torch.ones(2, requires_grad=True); z = (x * w).sum()\nwith torch.no_grad(): w.add_(1)\nz.backward()",
     "[torch.FloatTensor [2]]"),
])
def test_saved_tensor_changed_in_place(code, what):
    """The tensor is named by the node that made it: an output its own node saved, or an input by the
    node it has now (the in-place op's); a leaf by nothing."""
    version = "2" if "sin_" in code else "1"
    _both("x = torch.ones(2, requires_grad=True)\n" + code,
          ("RuntimeError", "one of the variables needed for gradient computation has been modified by an inplace "
                           f"operation: {what} is at version {version}; expected version 0" + HINT))


@pytest.mark.parametrize("code,expected", [
    ("torch.tensor(5.0)[-1]", ("IndexError", "index -1 is out of bounds for dimension 0 with size 0")),
    ("torch.tensor(5.0)[1]", ("IndexError", "index 1 is out of bounds for dimension 0 with size 0")),
    ("torch.tensor(5.0)[np.int64(0)]", ZERO_DIM),
    ("torch.tensor(5.0)[(0,)]", ("IndexError", "too many indices for tensor of dimension 0")),
    ("torch.tensor(5.0)[torch.tensor(0)]", ("IndexError", "too many indices for tensor of dimension 0")),
    ("torch.tensor(5.0)[:]", ("IndexError", "slice() cannot be applied to a 0-dim tensor.")),
    ("t = torch.tensor(5.0)\nt[1] = 2", ("IndexError", "index 1 is out of bounds for dimension 0 with size 0")),
    ("a = torch.zeros(3, requires_grad=True)\na[5] = 1.0",
     ("IndexError", "index 5 is out of bounds for dimension 0 with size 3")),
    ("a = torch.zeros(3, requires_grad=True)\na[0, 0] = 1.0", ("IndexError", "too many indices for tensor of dimension 1")),
    ("a = torch.zeros(3, 4, requires_grad=True)\na[:, :, :] = 1.0",
     ("IndexError", "too many indices for tensor of dimension 2")),
    ("torch.cat('ab')", ("TypeError", "cat(): argument 'tensors' (position 1) must be tuple of Tensors, not str")),
    ("torch.ones(2).size(torch.tensor(1.0))", ("TypeError", "size(): argument 'dim' (position 1) must be int, not Tensor")),
    ("class Idx:\n    def __index__(self): return 0\ntorch.ones(2).size(Idx())",
     ("TypeError", "size(): argument 'dim' (position 1) must be int, not Idx")),
])
def test_misuse_messages_more(code, expected):
    _both(code, expected)


@pytest.mark.parametrize("code,first_line", [
    ("torch.ones(2).pow_('a')", "pow_() received an invalid combination of arguments - got (str), but expected one of:"),
    ("torch.ones(2, dtype=torch.int64).bitwise_and_('a')",
     "bitwise_and_() received an invalid combination of arguments - got (str), but expected one of:"),
    ("torch.div(torch.ones(2), 'a', rounding_mode='floor')",
     "div() received an invalid combination of arguments - got (Tensor, str, rounding_mode=str), but expected one of:"),
    ("torch.ones(2).div('a', rounding_mode='floor')",
     "div() received an invalid combination of arguments - got (str, rounding_mode=str), but expected one of:"),
    ("torch.ones(2).div_('a', rounding_mode='floor')",
     "div_() received an invalid combination of arguments - got (str, rounding_mode=str), but expected one of:"),
    ("torch.ones(2).div_('a')", "div_(): argument 'other' (position 1) must be Tensor, not str"),
])
def test_operand_messages(code, first_line):
    for m in [fasttensor] + ([torch] if TORCH_IS_REFERENCE else []):
        kind, message = _error(m, code)
        assert kind == "TypeError" and message.splitlines()[0] == first_line


def test_sizes_and_products_by_keyword():
    x, p, v = fasttensor.ones(2, 3), fasttensor.ones(3, 4), fasttensor.ones(3)
    assert fasttensor.mm(x, mat2=p).shape == (2, 4) and x.mm(mat2=p).shape == (2, 4)
    assert fasttensor.matmul(input=x, other=p).shape == (2, 4) and x.matmul(other=p).shape == (2, 4)
    assert fasttensor.mv(x, vec=v).shape == (2,) and x.mv(vec=v).shape == (2,)
    assert float(fasttensor.dot(v, tensor=v)) == 3.0 and float(v.dot(tensor=v)) == 3.0
    assert fasttensor.bmm(x[None], mat2=p[None]).shape == (1, 2, 4)
    assert x.view_as(other=x.t()).shape == (3, 2) and x.expand_as(other=fasttensor.ones(4, 2, 3)).shape == (4, 2, 3)
    assert x.size(np.int64(1)) == 3 and x.size(fasttensor.tensor(1)) == 3
