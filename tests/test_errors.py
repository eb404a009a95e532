"""Bad input raises PyTorch's exception type with a message naming the
shapes, sizes or dtypes involved; the process survives and the inputs are
unchanged after the failed op."""

from __future__ import annotations

import re

import numpy as np
import pytest

import fasttensor
from helpers import TORCH_IS_REFERENCE


def _ones(*shape, dtype=None):
    return lambda m: (m.ones(*shape, dtype=getattr(m, dtype)) if dtype else m.ones(*shape),)


def _pair(sa, sb, da=None, db=None):
    return lambda m: (m.ones(*sa, dtype=getattr(m, da) if da else None),
                      m.ones(*sb, dtype=getattr(m, db) if db else None))


def _ints(*vals):
    return lambda m: tuple(m.tensor(v) for v in vals)


# name, inputs(m) -> tuple, op(m, *inputs), exception type, regex our message must match
CASES = [
    ("broadcast", _pair((2, 3), (2, 4)), lambda m, a, b: a + b, RuntimeError,
     r"size of tensor a \(3\) must match the size of tensor b \(4\) at non-singleton dimension 1"),
    ("broadcast_mul_3d", _pair((2, 3, 5), (4, 5)), lambda m, a, b: a * b, RuntimeError, r"\(3\).*\(4\)"),
    ("broadcast_inplace", _pair((2, 3), (3, 3)), lambda m, a, b: a.add_(b), RuntimeError, r"\(2\).*\(3\)"),
    ("broadcast_iadd_grows", _pair((3,), (2, 3)), lambda m, a, b: a.__iadd__(b), RuntimeError, r""),
    ("mm", _pair((2, 3), (4, 5)), lambda m, a, b: a @ b, RuntimeError,
     r"mat1 and mat2 shapes cannot be multiplied \(2x3 and 4x5\)"),
    ("mm_fn", _pair((2, 3), (2, 3)), lambda m, a, b: m.mm(a, b), RuntimeError, r"2x3 and 2x3"),
    ("mv", _pair((2, 3), (4,)), lambda m, a, b: m.mv(a, b), RuntimeError, r"mat \(2x3\), vec \(4\)"),
    ("mv_2d_vec", _pair((2, 3), (3, 1)), lambda m, a, b: m.mv(a, b), RuntimeError,
     r"^vector \+ matrix @ vector expected, got 1, 2, 2$"),
    # matmul's messages are those of the path PyTorch takes: 1-D @ 2-D and a batch @ a matrix are
    # folded into an mm (an mv for a vector), batches into a bmm
    ("matmul_vec_mat", _pair((3,), (4, 5)), lambda m, a, b: a @ b, RuntimeError,
     r"^mat1 and mat2 shapes cannot be multiplied \(1x3 and 4x5\)$"),
    ("matmul_batch_mat", _pair((2, 3, 4), (5, 6)), lambda m, a, b: a @ b, RuntimeError,
     r"^mat1 and mat2 shapes cannot be multiplied \(6x4 and 5x6\)$"),
    ("matmul_batch_vec", _pair((2, 3, 4), (5,)), lambda m, a, b: a @ b, RuntimeError,
     r"^size mismatch, got input \(6\), mat \(6x4\), vec \(5\)$"),
    ("matmul_batch_batch", _pair((2, 1, 3, 4), (3, 5, 6)), lambda m, a, b: a @ b, RuntimeError,
     r"^Expected size for first two dimensions of batch2 tensor to be: \[6, 4\] but got: \[6, 5\]\.$"),
    ("dot", _pair((3,), (4,)), lambda m, a, b: m.dot(a, b), RuntimeError, r"\[3\].*\[4\]"),
    ("dot_2d", _pair((3, 1), (3, 1)), lambda m, a, b: m.dot(a, b), RuntimeError, r"1D tensors expected"),
    ("matmul_batched", _pair((2, 3, 4), (3, 5, 6)), lambda m, a, b: a @ b, RuntimeError, r""),
    ("matmul_inner", _pair((2, 3, 4), (2, 5, 6)), lambda m, a, b: a @ b, RuntimeError,
     r"^Expected size for first two dimensions of batch2 tensor to be: \[2, 4\] but got: \[2, 5\]\.$"),
    ("matmul_1d", _pair((3,), (4,)), lambda m, a, b: a @ b, RuntimeError, r"3.*4"),
    ("matmul_0d", lambda m: (m.tensor(1.0), m.ones(3)), lambda m, a, b: m.matmul(a, b), RuntimeError,
     r"at least 1D"),
    ("matmul_dtypes", _pair((2, 2), (2, 2), None, "float64"), lambda m, a, b: a @ b, RuntimeError,
     r"same dtype"),
    ("bmm_2d", _pair((2, 3), (3, 2)), lambda m, a, b: m.bmm(a, b), RuntimeError, r"3D|3-D|3d"),
    ("reshape", lambda m: (m.arange(12),), lambda m, a: a.reshape(5, 3), RuntimeError,
     r"shape '\[5, 3\]' is invalid for input of size 12"),
    ("reshape_two_inferred", lambda m: (m.arange(12),), lambda m, a: a.reshape(-1, -1), RuntimeError,
     r"only one dimension can be inferred"),
    ("view_impossible", lambda m: (m.arange(12),), lambda m, a: a.view(7, -1), RuntimeError,
     r"shape '\[7, -1\]' is invalid for input of size 12"),
    ("view_noncontiguous", _ones(3, 4), lambda m, a: a.T.view(12), RuntimeError,
     r"view size is not compatible with input tensor's size and stride"),
    ("index_out_of_range", _ones(3), lambda m, a: a[5], IndexError,
     r"index 5 is out of bounds for dimension 0 with size 3"),
    ("index_negative_out_of_range", _ones(3), lambda m, a: a[-4], IndexError, r"index -4 is out of bounds"),
    ("index_col_out_of_range", _ones(2, 3), lambda m, a: a[:, 3], IndexError,
     r"index 3 is out of bounds for dimension 1 with size 3"),
    ("index_list_out_of_range", _ones(3), lambda m, a: a[[0, 3]], IndexError, r"index 3 is out of bounds"),
    ("index_tensor_out_of_range", _ones(3), lambda m, a: a[m.tensor([-5])], IndexError, r"-5"),
    ("index_too_many", _ones(3), lambda m, a: a[0, 0], IndexError, r"too many indices for tensor of dimension 1"),
    ("index_float_tensor", _ones(3), lambda m, a: a[m.tensor([0.0])], IndexError,
     r"tensors used as indices must be long, int, byte or bool tensors"),
    ("index_float", _ones(3), lambda m, a: a[1.5], IndexError, r""),
    ("index_mask_shape", _ones(3), lambda m, a: a[m.tensor([True, False])], IndexError,
     r"shape of the mask \[2\] at index 0 does not match the shape of the indexed tensor \[3\]"),
    ("setitem_shape", _ones(3), lambda m, a: a.__setitem__(slice(None), m.ones(4)), RuntimeError, r"3.*4"),
    ("setitem_out_of_range", _ones(3), lambda m, a: a.__setitem__(3, 1.0), IndexError,
     r"index 3 is out of bounds"),
    ("setitem_mask_values", lambda m: (m.zeros(4),), lambda m, a: a.__setitem__(a == 0, m.ones(3)),
     RuntimeError, r"^shape mismatch: value tensor of shape \[3\] cannot be broadcast to indexing result of shape \[4\]$"),
    ("setitem_index_values", _ones(3, 4), lambda m, a: a.__setitem__([0, 1], m.ones(3, 3)), RuntimeError,
     r"^shape mismatch: value tensor of shape \[3, 3\] cannot be broadcast to indexing result of shape \[2, 4\]$"),
    ("setitem_index_values_extra_dims", _ones(3, 4), lambda m, a: a.__setitem__([0, 1], m.ones(2, 2, 4)), RuntimeError,
     r"^shape mismatch: value tensor of shape \[2, 2, 4\] cannot be broadcast to indexing result of shape \[2, 4\]$"),
    # expand and broadcasting name the last mismatching dim, as PyTorch checks from there
    ("expand_last_dim_first", _ones(2, 3), lambda m, a: a.expand(3, 4), RuntimeError,
     r"^The expanded size of the tensor \(4\) must match the existing size \(3\) at non-singleton dimension 1\.  "
     r"Target sizes: \[3, 4\]\.  Tensor sizes: \[2, 3\]$"),
    ("expand_new_dim", _ones(2, 3), lambda m, a: a.expand(-1, -1, 4), RuntimeError,
     r"^The expanded size of the tensor \(4\) must match the existing size \(3\) at non-singleton dimension 2\."),
    ("setitem_slice_values", _ones(3, 4), lambda m, a: a.__setitem__(slice(0, 1), m.ones(2, 2)), RuntimeError,
     r"^The expanded size of the tensor \(4\) must match the existing size \(2\) at non-singleton dimension 1\."),
    ("broadcast_tensors", _pair((2, 3), (3, 2)), lambda m, a, b: m.broadcast_tensors(a, b), RuntimeError,
     r"^The size of tensor a \(3\) must match the size of tensor b \(2\) at non-singleton dimension 1$"),
    ("dim_out_of_range", _ones(2, 3), lambda m, a: a.sum(2), IndexError,
     r"Dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)"),
    ("dim_negative_out_of_range", _ones(2, 3), lambda m, a: a.mean(-3), IndexError, r"but got -3"),
    ("transpose_dim", _ones(2, 3), lambda m, a: a.transpose(0, 2), IndexError, r"Dimension out of range"),
    ("squeeze_dim", _ones(2, 3), lambda m, a: a.squeeze(3), IndexError, r"Dimension out of range"),
    ("unsqueeze_dim", _ones(2, 3), lambda m, a: a.unsqueeze(4), IndexError, r"\[-3, 2\], but got 4"),
    ("softmax_dim", _ones(2, 3), lambda m, a: a.softmax(2), IndexError, r"Dimension out of range"),
    ("max_dim", _ones(2, 3), lambda m, a: a.max(5), IndexError, r"Dimension out of range"),
    ("cumsum_dim", _ones(2, 3), lambda m, a: a.cumsum(2), IndexError, r"Dimension out of range"),
    ("narrow", _ones(3), lambda m, a: a.narrow(0, 2, 2), RuntimeError,
     r"start \(2\) \+ length \(2\) exceeds dimension size \(3\)"),
    ("select", _ones(3, 2), lambda m, a: a.select(1, 2), IndexError, r"2"),
    ("permute_length", _ones(2, 3), lambda m, a: a.permute(0), RuntimeError, r"number of dimensions"),
    ("permute_duplicate", _ones(2, 3), lambda m, a: a.permute(0, 0), RuntimeError, r"duplicate dims"),
    ("expand", _ones(1, 3), lambda m, a: a.expand(2, 4), RuntimeError,
     r"expanded size of the tensor \(4\) must match the existing size \(3\) at non-singleton dimension 1"),
    ("expand_fewer_dims", _ones(2, 3), lambda m, a: a.expand(3), RuntimeError, r"number of sizes provided \(1\)"),
    ("cat_shapes", _pair((2, 3), (2, 4)), lambda m, a, b: m.cat([a, b]), RuntimeError,
     r"Sizes of tensors must match except in dimension 0. Expected size 3 but got size 4 for tensor number 1"),
    ("cat_empty_list", lambda m: (), lambda m: m.cat([]), ValueError, r"expected a non-empty list of Tensors"),
    ("cat_dim", _pair((2, 3), (2, 3)), lambda m, a, b: m.cat([a, b], 2), IndexError, r"Dimension out of range"),
    ("cat_ndim", _pair((2, 3), (3,)), lambda m, a, b: m.cat([a, b]), RuntimeError, r""),
    ("cat_not_a_list", _ones(2), lambda m, a: m.cat(a), TypeError, r"tuple of Tensors"),
    ("stack_shapes", _pair((3,), (4,)), lambda m, a, b: m.stack([a, b]), RuntimeError,
     r"stack expects each tensor to be equal size, but got \[3\] at entry 0 and \[4\] at entry 1"),
    ("floordiv_int_zero", _ints([1, 2]), lambda m, a: a // 0, RuntimeError, r"ZeroDivisionError"),
    ("mod_int_zero", _ints([1, 2]), lambda m, a: a % 0, RuntimeError, r"ZeroDivisionError"),
    ("floordiv_int_zero_tensor", _ints([1, 2], [1, 0]), lambda m, a, b: a // b, RuntimeError,
     r"ZeroDivisionError"),
    ("mod_int_zero_tensor", _ints([1, 2], [0, 1]), lambda m, a, b: a % b, RuntimeError, r"ZeroDivisionError"),
    ("floordiv_int32_zero", lambda m: (m.tensor([3], dtype=m.int32),), lambda m, a: a // 0, RuntimeError,
     r"ZeroDivisionError"),
    ("rfloordiv_int_zero", _ints([0, 2]), lambda m, a: 5 // a, RuntimeError, r"ZeroDivisionError"),
    ("ifloordiv_int_zero", _ints([1, 2]), lambda m, a: a.__ifloordiv__(0), RuntimeError, r"ZeroDivisionError"),
    ("mean_of_int", _ints([1, 2]), lambda m, a: a.mean(), RuntimeError,
     r"mean\(\): could not infer output dtype. Input dtype must be either a floating point or complex dtype. "
     r"Got: Long"),
    ("item_of_many", _ones(2), lambda m, a: a.item(), RuntimeError,
     r"a Tensor with 2 elements cannot be converted to Scalar"),
    ("bool_of_many", _ones(2), lambda m, a: bool(a), RuntimeError, r"ambiguous"),
    ("add_str", _ones(2), lambda m, a: a + "a", TypeError, r""),
    ("mul_list", _ones(2), lambda m, a: a * [1, 2], TypeError, r""),
    ("exp_of_list", lambda m: (), lambda m: m.exp([1.0, 2.0]), TypeError, r""),
    ("reshape_str", _ones(2), lambda m, a: a.reshape("a"), TypeError, r""),
    ("sum_dim_str", _ones(2), lambda m, a: a.sum(dim="a"), TypeError, r""),
    ("zeros_float_size", lambda m: (), lambda m: m.zeros(2.5), TypeError, r""),
    ("full_str_value", lambda m: (), lambda m: m.full((2,), "a"), TypeError, r""),
    ("bool_sub", lambda m: (m.tensor([True]), m.tensor([False])), lambda m, a, b: a - b, RuntimeError,
     r"Subtraction, the `-` operator, with two bool tensors is not supported"),
    ("bool_neg", lambda m: (m.tensor([True]),), lambda m, a: -a, RuntimeError,
     r"Negation, the `-` operator, on a bool tensor is not supported"),
    ("where_float_condition", _pair((2,), (2,)), lambda m, a, b: m.where(a, a, b), RuntimeError,
     r"where expected condition to be a boolean tensor, but got a tensor with dtype Float"),
    ("negative_size", lambda m: (), lambda m: m.rand(-1), RuntimeError,
     r"Trying to create tensor with negative dimension -1"),
    ("copy_shapes", _pair((3,), (4,)), lambda m, a, b: a.copy_(b), RuntimeError, r"\(3\).*\(4\)"),
    ("int_inplace_float_result", lambda m: (m.ones(2, dtype=m.int64),), lambda m, a: a.add_(1.5), RuntimeError,
     r"result type Float can't be cast to the desired output type Long"),
    ("int_inplace_div", lambda m: (m.ones(2, dtype=m.int64),), lambda m, a: a.__itruediv__(2), RuntimeError,
     r"result type Float can't be cast to the desired output type Long"),
    ("unbind_0d", lambda m: (m.tensor(1.0),), lambda m, a: a.unbind(), IndexError,
     r"Dimension specified as 0 but tensor has no dimensions"),
    ("chunk_zero", _ones(4), lambda m, a: a.chunk(0), RuntimeError, r"chunk expects `chunks` to be greater than 0"),
    ("split_sizes", _ones(4), lambda m, a: a.split([1, 2]), RuntimeError, r"sum exactly to 4"),
    ("gather_float_index", lambda m: (m.ones(2, 2), m.zeros(2, 1)), lambda m, a, i: m.gather(a, 1, i),
     RuntimeError, r"gather\(\): Expected dtype int32/int64 for index"),
    ("gather_dims", lambda m: (m.ones(2, 2), m.tensor([0, 1])), lambda m, a, i: a.gather(1, i), RuntimeError,
     r"Index tensor must have the same number of dimensions as input tensor"),
    ("gather_out_of_range", lambda m: (m.ones(2, 2), m.tensor([[5], [0]])), lambda m, a, i: a.gather(1, i),
     RuntimeError, r"index 5 is out of bounds for dimension 1 with size 2"),
    ("gather_negative", lambda m: (m.ones(2, 2), m.tensor([[-1], [0]])), lambda m, a, i: a.gather(1, i),
     RuntimeError, r"index -1 is out of bounds for dimension 1 with size 2"),
    ("gather_index_too_large", lambda m: (m.ones(2, 2), m.tensor([[0], [1], [1]])), lambda m, a, i: a.gather(1, i),
     RuntimeError, r"Size does not match at dimension 0 expected index \[3, 1\] to be no larger than self \[2, 2\] "
     r"apart from dimension 1"),
    ("gather_dim", lambda m: (m.ones(2, 2), m.tensor([[0]])), lambda m, a, i: a.gather(2, i), IndexError,
     r"Dimension out of range"),
    ("index_select_negative", lambda m: (m.ones(2, 2), m.tensor([-1])), lambda m, a, i: a.index_select(0, i),
     IndexError, r"index out of range in self"),
    ("index_select_float", lambda m: (m.ones(2, 2), m.tensor([1.0])), lambda m, a, i: m.index_select(a, 0, i),
     RuntimeError, r"index_select\(\): Expected dtype int32 or int64 for index"),
    ("index_select_2d", lambda m: (m.ones(2, 2), m.tensor([[1]])), lambda m, a, i: a.index_select(0, i),
     IndexError, r"index_select\(\): Index is supposed to be a vector"),
    ("index_select_scalar_many", lambda m: (m.tensor(5.0), m.tensor([0, 0])), lambda m, a, i: a.index_select(0, i),
     RuntimeError, r"Index to scalar can have only 1 value, got 2 value\(s\)"),
    ("repeat_too_few", _ones(2, 2), lambda m, a: a.repeat(2), RuntimeError,
     r"Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor"),
    ("repeat_negative", _ones(2, 2), lambda m, a: a.repeat(2, -1), RuntimeError,
     r"Trying to create tensor with negative dimension -2: \[4, -2\]"),
    ("repeat_nothing", _ones(2), lambda m, a: a.repeat(), TypeError, r"repeat\(\) missing 1 required positional"),
    ("meshgrid_2d", _ones(2, 2), lambda m, a: m.meshgrid(a, indexing="ij"), RuntimeError,
     r"meshgrid: Expected 0D or 1D tensor in the tensor list"),
    ("meshgrid_dtypes", lambda m: (m.arange(2), m.arange(3.0)), lambda m, a, b: m.meshgrid(a, b, indexing="ij"),
     RuntimeError, r"meshgrid expects all tensors to have the same dtype"),
    ("meshgrid_indexing", _ones(2), lambda m, a: m.meshgrid(a, a, indexing="ab"), RuntimeError,
     r"meshgrid: indexing must be one of \"xy\" or \"ij\", but received: ab"),
    ("meshgrid_nothing", lambda m: (), lambda m: m.meshgrid(indexing="ij"), RuntimeError,
     r"meshgrid expects a non-empty TensorList"),
    ("max_of_empty", lambda m: (m.ones(0),), lambda m, a: a.max(), RuntimeError,
     r"Expected reduction dim to be specified for input.numel\(\) == 0"),
    ("argmax_of_empty", lambda m: (m.ones(0),), lambda m, a: a.argmax(), IndexError,
     r"Expected reduction dim to be specified for input.numel\(\) == 0"),
    ("len_0d", lambda m: (m.tensor(1.0),), lambda m, a: len(a), TypeError, r"len\(\) of a 0-d tensor"),
    ("eye_negative", lambda m: (), lambda m: m.eye(-1), RuntimeError, r"n must be greater or equal to 0, got -1"),
    ("randint_bounds", lambda m: (), lambda m: m.randint(5, 3, (2,)), RuntimeError, r"from=5 >= to=3"),
    ("int_negative_power", _ints([2]), lambda m, a: a ** -1, RuntimeError,
     r"Integers to negative integer powers are not allowed"),
    ("arange_zero_step", lambda m: (), lambda m: m.arange(0, 5, 0), RuntimeError, r""),
    ("tensor_ragged", lambda m: (), lambda m: m.tensor([[1, 2], [3]]), ValueError, r""),
    ("requires_grad_int", lambda m: (m.arange(3),), lambda m, a: a.requires_grad_(), RuntimeError,
     r"only Tensors of floating point dtype can require gradients"),
    ("backward_non_scalar", lambda m: (m.ones(3, requires_grad=True),), lambda m, a: (a * 2).backward(),
     RuntimeError, r"grad can be implicitly created only for scalar outputs"),
]


def _snapshot(inputs):
    return [t.detach().numpy().copy() for t in inputs]


@pytest.mark.parametrize("name,make,op,exc,pattern", CASES, ids=[c[0] for c in CASES])
def test_error(name, make, op, exc, pattern):
    inputs = make(fasttensor)
    before = _snapshot(inputs)
    versions = [t._version for t in inputs]
    with pytest.raises(exc) as info:
        op(fasttensor, *inputs)
    assert re.search(pattern, str(info.value)), f"message {str(info.value)!r} does not match {pattern!r}"
    for t, b, v in zip(inputs, before, versions):
        np.testing.assert_array_equal(t.detach().numpy(), b)  # a failed op leaves its inputs as they were
        assert t._version == v
    if TORCH_IS_REFERENCE:
        import torch

        with pytest.raises(exc):
            op(torch, *make(torch))


def test_process_survives_many_errors():
    x = fasttensor.ones(3)
    for _ in range(200):
        with pytest.raises(IndexError):
            x[10]
        with pytest.raises(RuntimeError):
            x + fasttensor.ones(4)
    assert (x + 1).tolist() == [2.0, 2.0, 2.0]


def test_integer_division_by_zero_in_large_tensor_leaves_output_unwritten():
    a = fasttensor.arange(100_003)
    b = fasttensor.ones(100_003, dtype=fasttensor.int64)
    b[77_777] = 0
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        a // b
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        a.__ifloordiv__(b)
    np.testing.assert_array_equal(a.numpy(), np.arange(100_003))


def test_float_division_by_zero_is_not_an_error():
    assert (fasttensor.tensor([1.0]) // 0).tolist() == [float("inf")]
    assert np.isnan((fasttensor.tensor([0.0]) % 0).tolist()[0])


def test_error_types_are_the_python_builtins():
    with pytest.raises(IndexError):
        fasttensor.ones(2)[2]
    try:
        fasttensor.ones(2) + fasttensor.ones(3)
    except RuntimeError as e:
        assert type(e) is RuntimeError


@pytest.mark.parametrize("name,call", [
    ("tensor", lambda m: m.tensor([1.0], requires_grad=1)),
    ("tensor", lambda m: m.tensor([1.0], requires_grad=None)),
    ("ones", lambda m: m.ones(2, requires_grad="yes")),
    ("zeros", lambda m: m.zeros(2, requires_grad=1)),
    ("empty", lambda m: m.empty(2, requires_grad=[])),
    ("full", lambda m: m.full((2,), 1.0, requires_grad=2)),
    ("arange", lambda m: m.arange(3.0, requires_grad="x")),
    ("linspace", lambda m: m.linspace(0, 1, 3, requires_grad=1)),
    ("randn", lambda m: m.randn(2, requires_grad="x")),
    ("zeros_like", lambda m: m.zeros_like(m.ones(2), requires_grad="a")),
    ("new_zeros", lambda m: m.ones(2).new_zeros(2, requires_grad=1)),
])
def test_requires_grad_must_be_a_bool(name, call):
    # PyTorch's parser refuses a truthy non-bool rather than reading it as True.
    with pytest.raises(TypeError, match=rf"^{name}\(\): argument 'requires_grad' must be bool, not "):
        call(fasttensor)
    with pytest.raises(TypeError, match=r"^requires_grad_\(\): argument 'requires_grad' \(position 1\) must be bool, "
                                        r"not int$"):
        fasttensor.ones(2).requires_grad_(1)


def test_squeeze_takes_several_dims_once_each():
    x = fasttensor.ones(1, 2, 1)
    assert x.squeeze(0, 2).shape == (2,) and x.squeeze((0, 2)).shape == (2,) and x.squeeze(0, 1).shape == (2, 1)
    with pytest.raises(RuntimeError, match="dim 0 appears multiple times in the list of dims"):
        x.squeeze(0, 0)
    with pytest.raises(RuntimeError, match="dim 2 appears multiple times in the list of dims"):
        x.squeeze((2, -1))
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-3, 2\], but got 3\)"):
        x.squeeze(0, 3)


@pytest.mark.parametrize("name,call,kind", [
    ("sum", lambda x: x.sum("a"), "str"),
    ("sum", lambda x: x.sum(dim=1.5), "float"),
    ("mean", lambda x: x.mean(dim=[0, "a"]), "list"),
    ("argmax", lambda x: x.argmax(dim="x"), "str"),
    ("amax", lambda x: x.amax("a"), "str"),
    ("max", lambda x: x.max(dim="a"), "str"),
    ("std", lambda x: x.std(dim="a"), "str"),
    ("squeeze", lambda x: x.squeeze("a"), "str"),
    ("cumsum", lambda x: x.cumsum("a"), "str"),
])
def test_a_dim_that_is_not_an_int_names_the_function_and_the_type(name, call, kind):
    with pytest.raises(TypeError, match=rf"^{name}\(\): argument 'dim' must be int or tuple of ints, not {kind}$"):
        call(fasttensor.ones(2, 3))


def test_flip_dims_must_be_ints():
    x = fasttensor.arange(6.0).reshape(2, 3)
    for bad, kind in (("a", "str"), (1.5, "float"), ([0, 1.0], "list")):
        with pytest.raises(TypeError, match=rf"^flip\(\): argument 'dims' \(position 1\) must be tuple of ints, not {kind}$"):
            x.flip(bad)
    assert x.flip(fasttensor.tensor(1)).tolist() == [[2.0, 1.0, 0.0], [5.0, 4.0, 3.0]]
    assert x.flip(0, 1).tolist() == x.flip((0, 1)).tolist() == [[5.0, 4.0, 3.0], [2.0, 1.0, 0.0]]
