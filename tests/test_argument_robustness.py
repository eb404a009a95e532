"""Findings of a differential fuzz against PyTorch 2.13 (random and ill-typed arguments to the
functions and methods both libraries share), each pinned here: no crash on a NumPy array where a
dim or a tensor list is expected, PyTorch's keyword names, a refused out= left as it was, and the
values of ops that computed in too narrow a dtype. Each case runs on fasttensor and, with torch
installed, on torch."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import fasttensor
from helpers import HAVE_TORCH, both, raises_like, torch, warn_always

# --- NumPy arrays where PyTorch takes no array: TypeError, not freed memory ---------------------


@pytest.mark.parametrize("call,message", [
    (lambda m: m.zeros(2, 3).sum(np.array([1])), r"sum\(\)"),
    (lambda m: m.zeros(5).std(np.array([[1.5, 2.5], [0.5, 1.0]])), r"std\(\)"),
    (lambda m: m.zeros(2, 3).mean(np.array([0, 1])), r"mean\(\)"),
    (lambda m: m.zeros(2, 3).amax(np.array([1])), r"amax\(\)"),
    (lambda m: m.stack(np.array(1)), r"^stack\(\): argument 'tensors' \(position 1\) must be tuple of Tensors, not numpy\.ndarray$"),
    (lambda m: m.cat(np.array([1.0, 2.0])), r"^cat\(\): argument 'tensors' \(position 1\) must be tuple of Tensors"),
])
def test_numpy_array_arguments_are_refused(call, message):
    raises_like(call, TypeError, message)


def test_numpy_dims_do_not_corrupt_memory():
    """A dim given as a NumPy array used to be read from items the array had already freed: the
    process crashed then or later, on an unrelated tensor. Run apart, so a crash fails this test."""
    code = ("import numpy as np, fasttensor as ft\n"
            "for _ in range(200):\n"
            "    for dim in (np.array([1]), np.array([[1.5, 2.5], [0.5, 1.0]]), np.array([0, 1])):\n"
            "        try: ft.zeros(2, 3).sum(dim)\n"
            "        except TypeError: pass\n"
            "print(ft.zeros(2).numpy().tolist(), ft.zeros(2, 3).sum(np.array(1)).tolist())\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[0.0, 0.0] [0.0, 0.0]"  # a 0-d integer array is an int dim, as in PyTorch


def test_chunk_of_an_empty_dim_into_too_many_pieces_is_refused_at_once():
    raises_like(lambda m: m.zeros(0).chunk(2**62), RuntimeError, r"^cannot create std::vector larger than max_size\(\)$")
    assert len(both(lambda m: m.zeros(0).chunk(5))) == 5


# --- keyword names of the methods, as PyTorch's ----------------------------------------------


@pytest.mark.parametrize("call", [
    lambda m, x: x.eq(other=x), lambda m, x: x.clone().ge_(other=2), lambda m, x: x.lt(other=3.0),
    lambda m, x: x.maximum(other=x * 2), lambda m, x: x.pow(exponent=2), lambda m, x: x.clone().pow_(exponent=2),
    lambda m, x: x.clone().mul_(other=2), lambda m, x: x.multiply(other=x),
    lambda m, x: x.masked_fill(x > 2, value=1.0), lambda m, x: x.masked_fill(mask=x > 2, value=1.0),
    lambda m, x: x.clone().masked_fill_(mask=x > 2, value=-1.0), lambda m, x: x.swapaxes(axis0=0, axis1=1),
    lambda m, x: x.long().bitwise_right_shift(other=1),
    lambda m, x: m.bitwise_not(x.long(), out=m.empty(2, 3, dtype=m.long)),
])
def test_method_keywords(call):
    both(lambda m: call(m, m.arange(6.0).reshape(2, 3)))


@pytest.mark.parametrize("method", ["float", "double", "long", "int", "bool", "byte", "cpu"])
def test_conversions_take_memory_format(method):
    def convert(m, fmt):
        x = m.arange(6.0).reshape(2, 3).t()
        r = getattr(x, method)(memory_format=getattr(m, fmt))
        return r, r.is_contiguous(), r is x
    for fmt in ("preserve_format", "contiguous_format"):
        ours = convert(fasttensor, fmt)
        if HAVE_TORCH:
            theirs = convert(torch, fmt)
            assert ours[1:] == theirs[1:]  # contiguous only when converted (x itself when nothing changes)
            np.testing.assert_array_equal(ours[0].numpy(), theirs[0].numpy())
    raises_like(lambda m: getattr(m.ones(2), method)(memory_format=3), TypeError,
                rf"^{method}\(\): argument 'memory_format' must be (torch|fasttensor)\.memory_format, not int$")


# --- out=: a refused call leaves out as it was -------------------------------------------------


@pytest.mark.parametrize("call,out", [
    (lambda m, o: m.cos(m.tensor([1, 2], dtype=m.int32), out=o), ([[1]], "long")),
    (lambda m, o: m.true_divide(2, m.tensor([-1, 3]), out=o), ([[1]], "uint8")),
    (lambda m, o: m.add(m.ones(3), 1, out=o), ([[1]], "long")),
    (lambda m, o: m.div(m.ones(3), 2, rounding_mode="floor", out=o), ([[1]], "long")),
    (lambda m, o: m.clamp(m.ones(3), 0, 1, out=o), ([[1]], "long")),
])
def test_refused_out_is_left_unchanged(call, out):
    values, dtype = out
    o = fasttensor.tensor(values, dtype=getattr(fasttensor, dtype))
    raises_like(lambda m: call(m, o if m is fasttensor else torch.tensor(values, dtype=getattr(torch, dtype))),
                RuntimeError)
    assert o.shape == (1, 1) and o.tolist() == values


def test_inplace_on_an_empty_array_with_zero_strides():
    """NumPy gives a (2, 0) array zero strides: no element is written twice, so in place is fine."""
    def run(m):
        x = m.from_numpy(np.zeros((2, 0), np.float32))
        return x.abs_(), m.neg(x, out=x)
    both(run)


# --- values that were computed in too narrow a dtype, or with an argument changed -------------


@pytest.mark.parametrize("call", [
    lambda m: m.addcmul(m.tensor([0.0], dtype=m.float64), m.tensor([200], dtype=m.uint8), m.tensor([2], dtype=m.uint8)),
    lambda m: m.addcdiv(m.tensor([0.0], dtype=m.float64), m.tensor([200], dtype=m.uint8), m.tensor([2.0]), value=-2),
    lambda m: m.tensor([0]).addcmul_(m.tensor(-1), m.tensor([3], dtype=m.uint8)),
    lambda m: m.addcmul(m.tensor([1.0, 2.0]), m.tensor([3.0, 4.0]), m.tensor([2.0, 0.5]), value=0.5),
    lambda m: m.searchsorted(m.tensor([-2, 1, 3, 5]), 1.5),
    lambda m: m.searchsorted(m.tensor([-2, 1, 3, 5]), 3, right=True),
    lambda m: m.nan_to_num(m.tensor([float("nan"), 1.0]), nan=None),
    lambda m: m.tensor([-3.0, 0.69, 2.94]).hardshrink(m.tensor(3, dtype=m.uint8)),
])
def test_values(call):
    both(call)


def test_rot90_with_a_tensor_k_is_refused_and_k_unchanged():
    k = fasttensor.tensor([5, 6])
    raises_like(lambda m: m.rot90(m.tensor([[1, 2], [3, 4]]), k if m is fasttensor else torch.tensor([5, 6])),
                TypeError, r"^rot90\(\): argument 'k' \(position 2\) must be int, not Tensor$")
    assert k.tolist() == [5, 6]
    both(lambda m: m.rot90(m.tensor([[1, 2], [3, 4]]), np.int64(3)))


@pytest.mark.parametrize("name", [
    "absolute", "aminmax", "combinations", "corrcoef", "cov", "deg2rad", "diag_embed", "diagflat", "diff", "erfinv",
    "fliplr", "flipud", "frac", "histc", "inverse", "logdet", "median", "mode", "nan_to_num", "nanmean", "nanmedian",
    "nansum", "pinverse", "positive", "rad2deg", "ravel", "rot90", "sgn", "signbit", "sinc", "slogdet",
    "unique_consecutive", "vander",
])
def test_a_list_for_the_input_tensor_is_a_type_error(name):
    """These used to reach a tensor method on the list and raise AttributeError."""
    param = "x" if name == "vander" else "input"
    raises_like(lambda m: getattr(m, name)([1.0]), TypeError,
                rf"^{name}\(\): argument '{param}' \(position 1\) must be Tensor, not list$")


# --- a bool where PyTorch takes an int (a dim, an index, k) is a TypeError, not 1 ---------------


@pytest.mark.parametrize("call", [
    lambda m, x: m.diag(x, True), lambda m, x: x.select(0, True), lambda m, x: x.topk(1, True),
    lambda m, x: m.nn.functional.log_softmax(x, True), lambda m, x: x.flatten(True), lambda m, x: x.transpose(True, 0),
    lambda m, x: x.unsqueeze(True), lambda m, x: x.sum((True, 0)), lambda m, x: x.unsqueeze(np.True_),
    lambda m, x: x.narrow(0, 0, True), lambda m, x: x.softmax(True), lambda m, x: x.argmax(True),
    lambda m, x: x.cumsum(True), lambda m, x: x.sum(True), lambda m, x: x.max(True), lambda m, x: x.roll(True),
    lambda m, x: x.squeeze(True), lambda m, x: m.rot90(x, True),
])
def test_a_bool_is_not_an_int(call):
    raises_like(lambda m: call(m, m.arange(6.0).reshape(2, 3)), TypeError)


@pytest.mark.parametrize("call", [
    lambda m, x: x.unsqueeze(np.int64(1)), lambda m, x: x.transpose(np.int32(0), 1), lambda m, x: x.unsqueeze(m.tensor(1)),
    lambda m, x: m.diag(x, m.tensor(1)), lambda m, x: x.select(1, np.int64(-1)), lambda m, x: x.topk(2, np.int64(1)),
])
def test_integers_pytorch_takes_as_ints(call):
    both(lambda m: call(m, m.arange(6.0).reshape(2, 3)))


# --- warnings PyTorch gives once per process, and dir() ------------------------------------------


def _run_apart(code: str) -> str:
    done = subprocess.run([sys.executable, "-W", "default", "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stderr


def test_transpose_of_a_3d_tensor_warns_once_per_process():
    stderr = _run_apart("import fasttensor as ft\nx = ft.ones(2, 3, 4)\nx.T\nx.T\ny = x.T\n")
    assert stderr.count("The use of `x.T` on tensors of dimension other than 2") == 1


def test_read_only_numpy_array_warns_once_per_process():
    stderr = _run_apart("import numpy as np, fasttensor as ft\na = np.arange(3.0)\na.setflags(write=False)\n"
                        "ft.from_numpy(a)\nft.as_tensor(a)\nft.from_numpy(a)\nft.tensor(a)\n"
                        "ft.from_numpy(np.arange(3.0))\n")
    assert stderr.count("The given NumPy array is not writable") == 1
    assert "<string>:4" in stderr  # at the caller's line


@pytest.mark.parametrize("call", [lambda m, a: m.from_numpy(a), lambda m, a: m.as_tensor(a)])
def test_read_only_numpy_array_warning(call):
    a = np.arange(3.0)
    a.setflags(write=False)
    with warn_always():  # (each warns once per process otherwise)
        for m in [fasttensor] + ([torch] if HAVE_TORCH else []):
            with pytest.warns(UserWarning, match=r"^The given NumPy array is not writable, and PyTorch does not support "
                                                 r"non-writable tensors\."):
                call(m, a)


def test_dir_lists_the_submodules():
    assert {"nn", "optim", "utils", "linalg", "special", "distributions", "autograd", "cuda"} <= set(dir(fasttensor))


def test_tensor_of_tensors_requiring_grad_warns_as_pytorch():
    for m in [fasttensor] + ([torch] if HAVE_TORCH else []):
        x = m.arange(4.0, requires_grad=True)
        with warn_always(), pytest.warns(UserWarning, match=r"^Converting a tensor with requires_grad=True to a scalar may lead to "
                                             r"unexpected behavior\.\nConsider using tensor\.detach\(\) first\."):
            t = m.tensor([x[0] * 2, x[1]])
        assert t.tolist() == [0.0, 1.0] and not t.requires_grad


@pytest.mark.parametrize("sizes", [(-1,), (-2,), (2, -1), (-1, -1)])
def test_resize_to_a_negative_size_is_refused(sizes):
    x = fasttensor.ones(3)
    raises_like(lambda m: (x if m is fasttensor else torch.ones(3)).resize_(*sizes), RuntimeError,
                r"^numel: integer multiplication overflow$")
    assert x.shape == (3,)


@pytest.mark.parametrize("call", [
    lambda m, x: x.transpose(0, 2**63), lambda m, x: x.size(2**64), lambda m, x: x.unsqueeze(-2**70),
    lambda m, x: x.select(0, 2**63), lambda m, x: x.sum(2**63),
])
def test_an_int_past_64_bits_is_a_value_error(call):
    raises_like(lambda m: call(m, m.ones(2, 3)), ValueError, r"^Overflow when unpacking long long")


@pytest.mark.parametrize("call", [
    lambda m: m.diff(m.tensor([1, 3, 6]), n=0, prepend=m.tensor([0])),
    lambda m: m.nn.functional.threshold(m.tensor([-7, 0, -1, 5], dtype=m.int32), -1.5, -3),
    lambda m: m.nn.functional.threshold(m.tensor([-7.0, 0.0, -1.0, 5.0]), -1.5, -3),
])
def test_edge_arguments(call):
    both(call)


# --- a review's findings ---------------------------------------------------------------------


@pytest.mark.parametrize("call,exc,message", [
    (lambda m, v: m.add(v[:4], v[2:6], alpha=2, out=v[4:8]), RuntimeError, r"^unsupported operation: some elements"),
    (lambda m, v: m.cat(tensors=[v, v], out=v), RuntimeError, r"^unsupported operation: some elements"),
    (lambda m, v: m.bitwise_not(v.long(), out=m.empty(8)), RuntimeError, r"^Found dtype Float but expected Long$"),
    (lambda m, v: m.bitwise_not(v.long(), out=m.empty(8, dtype=m.int32)), RuntimeError, r"^Found dtype Int but expected Long$"),
    (lambda m, v: m.nn.functional.threshold(v.int(), float("inf"), 0), RuntimeError,
     r"^value cannot be converted to type int without overflow$"),
    (lambda m, v: m.nn.functional.threshold(v.long(), float("nan"), 0), RuntimeError,
     r"^value cannot be converted to type int64_t without overflow$"),
    (lambda m, v: v.stride(True), TypeError, r"^stride\(\): argument 'dim' \(position 1\) must be int, not bool$"),
    (lambda m, v: v.split(True), TypeError, r""),
    (lambda m, v: m.ones(2, 3, 0) @ m.ones(5, 6), RuntimeError, r"^mat1 and mat2 shapes cannot be multiplied \(6x0 and 5x6\)$"),
    (lambda m, v: m.ones(2, 4, 3).transpose(1, 2) @ m.ones(5, 6), RuntimeError,  # (no fold: a's batch is not one block)
     r"^Expected size for first two dimensions of batch2 tensor to be: \[2, 4\] but got: \[2, 5\]\.$"),
])
def test_review_findings_refused(call, exc, message):
    v = fasttensor.arange(8.0)
    raises_like(lambda m: call(m, v if m is fasttensor else torch.arange(8.0)), exc, message)
    np.testing.assert_array_equal(v.numpy(), np.arange(8.0))


@pytest.mark.parametrize("call", [
    lambda m: m.clamp(m.ones(3), m.zeros(3, dtype=m.float64), out=m.empty(3)),  # tensor bounds: the cast rule
    lambda m: m.arange(6.0).reshape(m.tensor([6])), lambda m: m.ones(1).expand(m.tensor([3])),
    lambda m: m.arange(5)[: 10**20], lambda m: m.arange(5)[-(10**20):],
    lambda m: m.diff(m.tensor([1, 3, 6]), n=0, dim=5),
])
def test_review_findings_accepted(call):
    both(call)


def test_a_size_list_changed_by_an_elements_index_does_not_crash():
    """An element's __index__ may change the list being read: the parser reads a copy of it."""
    class Shrinking:
        def __init__(self, owner):
            self.owner = owner

        def __index__(self):
            self.owner.clear()
            return 2

    sizes = [2, 0, 3.5]  # (not all ints: the general parser)
    sizes[1] = Shrinking(sizes)
    with pytest.raises(TypeError, match=r"failed to unpack the object at pos 3"):  # the 3.5 of the copy
        fasttensor.zeros(12).view(sizes)
    assert sizes == []
    sizes = [2, 0, 3]
    sizes[1] = Shrinking(sizes)
    assert fasttensor.zeros(12).reshape(sizes).shape == (2, 2, 3) and sizes == []


@pytest.mark.parametrize("call", [
    lambda m, x: x.transpose(m.tensor(1.7), 0), lambda m, x: x.select(0, np.float32(1.0)),
    lambda m, x: x.unsqueeze(m.tensor(True)), lambda m, x: x.flatten(np.float64(0.0)),
])
def test_only_integers_are_ints(call):
    """Not a float tensor or a NumPy float (pybind11 read their __int__, truncating), nor a bool tensor."""
    raises_like(lambda m: call(m, m.ones(2, 3)), TypeError)


# --- a second fuzz round's findings ------------------------------------------------------------


@pytest.mark.parametrize("call,message", [
    (lambda m, x: x.sum(0, []), r"^sum\(\): argument 'keepdim' \(position 2\) must be bool, not list$"),
    (lambda m, x: x.sum(0, 1), r"^sum\(\): argument 'keepdim' \(position 2\) must be bool, not int$"),
    (lambda m, x: x.mean(0, keepdim=None), r"^mean\(\): argument 'keepdim' must be bool, not NoneType$"),
    (lambda m, x: x.amax(0, keepdim=1), r"keepdim"),
    (lambda m, x: m.addcmul(x, 1.5, x), r"^addcmul\(\)"), (lambda m, x: m.addmm(x, x, [[1.0]]), r"^addmm\(\)"),
    (lambda m, x: m.clamp_min([1.0], 0), r"^clamp_min\(\)"), (lambda m, x: m.quantile([1.0], 0.5), r"^quantile\(\)"),
])
def test_fuzz_round_two_type_errors(call, message):
    raises_like(lambda m: call(m, m.ones(2, 2)), TypeError, message)


def test_requires_grad_attribute_takes_a_bool_only():
    for value in ("a", 1, None):
        raises_like(lambda m: setattr(m.ones(3), "requires_grad", value), RuntimeError, r"^requires_grad must be a bool$")


@pytest.mark.parametrize("call,message", [
    (lambda m: m.combinations(m.arange(5.0), 100, True), r"^numel: integer multiplication overflow$"),
    (lambda m: m.combinations(m.arange(5.0), 30), r"^numel: integer multiplication overflow$"),
    (lambda m: m.special.multigammaln(m.tensor([1.0]), 2**62),
     r"^Storage size calculation overflowed with sizes=\[4611686018427387904\]$"),
])
def test_huge_sizes_are_refused_at_once(call, message):
    """These ran for minutes (a Python loop over every combination or every offset) before."""
    raises_like(call, RuntimeError, message)
    both(lambda m: m.special.multigammaln(m.tensor([3.0, 50.0]), 7))
    both(lambda m: m.combinations(m.arange(4.0), 3, True))


@pytest.mark.parametrize("call", [
    lambda m: m.repeat_interleave(m.tensor([1, 2]), np.int64(2)), lambda m: m.ones(2, 1, 1).squeeze_(1, 2),
    lambda m: m.tensor([4]).bitwise_left_shift_(other=3), lambda m: m.tensor([4]).bitwise_right_shift_(other=1),
    lambda m: m.tensor([6]).bitwise_and_(other=3), lambda m: m.tensor([6]).bitwise_xor_(other=3),
])
def test_fuzz_round_two_accepted(call):
    both(call)


def test_linalg_solve_names_a_non_tensor():
    raises_like(lambda m: m.linalg.solve(m.eye(2), np.array([1.0, 2.0])), TypeError,
                r"^linalg_solve\(\): argument 'B' \(position 2\) must be Tensor, not numpy\.ndarray$")


@pytest.mark.parametrize("call", [
    lambda m: m.nn.functional.cross_entropy(m.zeros(0), m.zeros(0)),
    lambda m: m.nn.functional.cross_entropy(m.zeros(0), m.zeros(0), weight=m.zeros(0), label_smoothing=0.5),
    lambda m: m.nn.functional.cross_entropy(m.zeros(0, 3), m.zeros(0, 3), label_smoothing=0.5),
    lambda m: m.nn.functional.cross_entropy(m.zeros(0, 0), m.zeros(0, 0)),
    lambda m: m.nn.functional.cross_entropy(m.zeros(0, 3), m.zeros(0, 3), reduction="sum"),
])
def test_cross_entropy_of_empty_probabilities(call):
    """PyTorch's mean over no rows is NaN (a ZeroDivisionError with label smoothing and a 1-D input, 0 without)."""
    both(call)
