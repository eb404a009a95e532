"""PyTorch 2.13 behaviours a differential fuzzer found fasttensor missing: var_mean / std_mean's
Welford mean on infinite data, norms on 0-d and empty inputs, bool dtypes the sort/scan kernels
refuse, cat's dtype promotion and 0-d checks, ravel's layout, unflatten of empty dims, mH / H /
adjoint, split / chunk / roll of 0-d tensors, expand's type names, tensor() of big integers in
float lists, unsigned integer linspace, logspace's overflow and bool checks, arange's sign check,
masked_select's node name, writes into expanded tensors (refused, or warned and done), index_fill's
negative indices, and which functions take a Python number for which argument.

Each case runs on fasttensor and, when torch is installed, on torch too; both must give the same
hand-computed expected values, so the expectation is checked to be torch's behaviour and
fasttensor is never compared with itself.
"""

from __future__ import annotations

import math
import warnings

import pytest

import fasttensor
import helpers
from helpers import HAVE_TORCH, dtype_name

LIBS = [fasttensor] + ([helpers.torch] if HAVE_TORCH else [])
LIB_IDS = ["fasttensor"] + (["torch"] if HAVE_TORCH else [])
libs = pytest.mark.parametrize("m", LIBS, ids=LIB_IDS)

INF, NAN = math.inf, math.nan


def _is(t, values, dtype):
    """t has exactly these values (nested lists; NaN matches NaN) and this dtype name."""
    assert dtype_name(t.dtype) == dtype, f"{type(t).__module__}: dtype {dtype_name(t.dtype)} != {dtype}"
    got = t.tolist()

    def same(a, b):
        if isinstance(a, list):
            return isinstance(b, list) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
        return (isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b)) or a == b
    assert same(got, values), f"{type(t).__module__}: {got} != {values}"


# --- var_mean / std_mean: the mean of one Welford pass ----------------------------------------

WELFORD = [
    # (data, dim, keepdim, var or std, mean)
    ([[1.0], [INF]], 0, False, [NAN], [INF]),  # the one infinite entry comes last: mean inf
    ([[1.0, INF], [2.0, 3.0]], 0, False, [0.5, NAN], [1.5, NAN]),  # a finite entry after inf: NaN
    ([[1.0, INF], [2.0, 3.0]], 1, True, [[NAN], [0.5]], [[INF], [2.5]]),
    ([[1.0, INF], [2.0, 3.0]], None, False, NAN, NAN),
    ([INF, INF], None, False, NAN, NAN),  # inf - inf
    ([1.0, -INF], None, False, NAN, -INF),
    ([[-7.0], [1e-30], [INF], [9.0]], -2, True, [[NAN]], [[NAN]]),
    ([1.0, NAN, 3.0], 0, False, NAN, NAN),
    ([[1.0, 2.0], [3.0, 5.0]], (0, 1), False, 2.9166666666666665, 2.75),
]


@libs
@pytest.mark.parametrize("case", range(len(WELFORD)))
@pytest.mark.parametrize("fn", ["var_mean", "std_mean"])
def test_var_mean_and_std_mean_take_welfords_mean(m, case, fn):
    data, dim, keepdim, var, mean = WELFORD[case]
    x = m.tensor(data, dtype=m.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        v, mu = getattr(m, fn)(x, dim, keepdim=keepdim) if dim is not None else getattr(m, fn)(x)
    if fn == "std_mean":
        var = [[math.sqrt(e) for e in r] if isinstance(r, list) else math.sqrt(r) for r in var] \
            if isinstance(var, list) else math.sqrt(var)
    _is(v, var, "float64")
    _is(mu, mean, "float64")


@libs
def test_var_mean_of_expanded_and_transposed_inputs(m):
    x = m.tensor([[1.0, INF], [2.0, 3.0]])
    _is(m.var_mean(x.T, 0)[1], [INF, 2.5], "float32")  # x.T = [[1, 2], [inf, 3]]: inf ends column 0
    y = m.tensor([[1.0, 2.0], [3.0, INF]]).expand(2, 2, 2)  # the inf twice along dim 0
    _is(m.var_mean(y, 0)[1], [[1.0, 2.0], [3.0, NAN]], "float32")


@libs
def test_var_mean_gradient_of_the_mean_is_one_over_n(m):
    # NaN or not, the mean's gradient is that of a mean (PyTorch's VarMeanBackward0)
    x = m.tensor([[1.0, INF], [2.0, 3.0]], requires_grad=True)
    v, mu = m.var_mean(x, 0)
    assert mu.grad_fn.name() == "VarMeanBackward0"
    mu.sum().backward()
    _is(x.grad, [[0.5, 0.5], [0.5, 0.5]], "float32")


# --- norms of 0-d and empty inputs ------------------------------------------------------------

@libs
@pytest.mark.parametrize("p", [INF, -INF, -1, 2])
@pytest.mark.parametrize("dim", [0, -1, (0,)])
def test_norm_of_a_0d_tensor_over_its_dim(m, p, dim):
    _is(m.tensor(-3.0).norm(p=p, dim=dim), 3.0, "float32")


NO_IDENTITY = [
    # (shape, p, dim, message)
    ((0,), -1, None, "cannot compute the -1 norm on an empty tensor because"),
    ((0,), -1 / 3, None, "cannot compute the -0.333333 norm on an empty tensor because"),
    ((0,), -1e20, None, "cannot compute the -1e\\+20 norm on an empty tensor because"),
    ((0, 0), -1.0, (1, 0), "cannot compute the -1 norm on the dimension 1because this dimension is empty"),
    ((0, 3), -2, (0, 1), "cannot compute the -2 norm on the dimension 0because"),
    ((2, 0), INF, (0, 1), "cannot compute the inf norm on the dimension 1because"),
    ((0, 2), -INF, (), "cannot compute the -inf norm on an empty tensor because"),
]


@libs
@pytest.mark.parametrize("case", range(len(NO_IDENTITY)))
def test_norms_without_identity_refuse_empty_reductions(m, case):
    shape, p, dim, message = NO_IDENTITY[case]
    with pytest.raises(RuntimeError, match="linalg.vector_norm " + message):
        m.zeros(shape).norm(p, dim=dim)


@libs
def test_norms_of_empty_inputs_with_an_identity_or_no_empty_dim(m):
    _is(m.zeros(0).norm(1), 0.0, "float32")
    _is(m.zeros(0).norm(0.5), 0.0, "float32")
    _is(m.zeros(0, 3).norm(-1, dim=1), [], "float32")
    _is(m.linalg.vector_norm(m.zeros(2, 0), INF, dim=0), [], "float32")


# --- bool dtypes the scan and selection kernels refuse ----------------------------------------

@libs
@pytest.mark.parametrize("op", ["cumsum", "cumprod"])
def test_cumulative_ops_refuse_bool_results_unless_no_kernel_runs(m, op):
    with pytest.raises(NotImplementedError, match=f'"{op}_out_cpu" not implemented for \'Bool\''):
        getattr(m.tensor([1.0, 2.0]), op)(0, dtype=m.bool)
    with pytest.raises(NotImplementedError, match=f'"{op}_out_cpu" not implemented for \'Bool\''):
        getattr(m.tensor([[1, 2]]), op)(0, dtype=m.bool)
    _is(getattr(m.tensor(3.0), op)(0, dtype=m.bool), True, "bool")  # a 0-d result is filled
    _is(getattr(m.zeros(0), op)(0, dtype=m.bool), [], "bool")
    _is(getattr(m.tensor([True, False]), op)(0), [1, 1] if op == "cumsum" else [1, 0], "int64")


@libs
def test_median_kthvalue_and_topk_refuse_bool(m):
    x = m.tensor([True, False])
    for fn, kind, kernel in ((lambda: x.median(), NotImplementedError, '"median_cpu" not implemented for'),
                             (lambda: x.nanmedian(), NotImplementedError, '"median_cpu" not implemented for'),
                             (lambda: x.median(0), NotImplementedError, '"median_out" not implemented for'),
                             (lambda: m.zeros(0, 2, dtype=m.bool).median(1), NotImplementedError, '"median_out"'),
                             (lambda: x.kthvalue(1), NotImplementedError, '"kthvalue_cpu" not implemented for'),
                             (lambda: x.topk(1), RuntimeError, "topk does not support bool dtypes on CPU"),
                             (lambda: m.zeros(0, dtype=m.bool).topk(0), RuntimeError, "topk does not support bool"),
                             (lambda: m.zeros(0, 2, dtype=m.bool).median(0), IndexError,
                              r"median\(\): Expected reduction dim 0 to have non-zero size"),
                             (lambda: x.kthvalue(5), RuntimeError, "selected number k out of range")):
        with pytest.raises(kind, match=kernel):
            fn()
    _is(m.zeros(0, dtype=m.bool).median(), True, "bool")  # no kernel: NaN cast to bool
    _is(m.tensor(True).kthvalue(1)[0], True, "bool")  # a 0-d input is its own k-th value


# --- cat: every input takes part in promotion; 0-d inputs refused by position -------------------

@libs
@pytest.mark.parametrize("dtypes,shapes,want", [
    (("float32", "float64"), ((1,), (0,)), "float64"),  # a legacy 1-D empty tensor still promotes
    (("float32", "float64"), ((1, 2), (0, 2)), "float64"),
    (("float32", "float64"), ((1, 2), (0,)), "float64"),
    (("int64", "bool"), ((1, 2), (0,)), "int64"),
    (("uint8", "int32"), ((1,), (0,)), "int32"),
    (("int32", "float64"), ((0,), (0,)), "float64"),  # all skipped: still promoted
], ids=helpers.ids)
def test_cat_promotes_over_empty_inputs(m, dtypes, shapes, want):
    parts = [m.ones(s, dtype=getattr(m, dt)) for dt, s in zip(dtypes, shapes)]
    out = m.cat(parts)
    assert dtype_name(out.dtype) == want
    assert tuple(out.shape) == ((0,) if all(s == (0,) for s in shapes) else
                                (sum(s[0] for s in shapes if s != (0,)),) + next(s for s in shapes if s != (0,))[1:])


@libs
def test_cat_of_only_1d_empty_inputs_ignores_dim_and_records_the_node(m):
    x = m.zeros(0, requires_grad=True)
    out = m.cat([x, m.zeros(0, dtype=m.float64)], 5)
    _is(out, [], "float64")
    assert out.grad_fn.name() == "CatBackward0"
    y = m.cat([x, m.ones(2, dtype=m.float64)])
    y.sum().backward()
    _is(x.grad, [], "float32")


@libs
@pytest.mark.parametrize("make,message", [
    (lambda m: [m.ones(1), m.ones(1), m.tensor(5.0)], r"zero-dimensional tensor \(at position 2\) cannot be concatenated"),
    (lambda m: [m.zeros(0), m.tensor(5.0)], r"zero-dimensional tensor \(at position 1\) cannot be concatenated"),
    (lambda m: [m.tensor(5.0), m.ones(2, 2)], r"zero-dimensional tensor \(at position 0\) cannot be concatenated"),
    (lambda m: [m.zeros(0), m.ones(1, 2), m.ones(1, 3)], "Expected size 2 but got size 3 for tensor number 2 in the list"),
], ids=["third", "after_empty", "first", "mismatch_counts_skipped"])
def test_cat_errors_name_positions_in_the_list(m, make, message):
    with pytest.raises(RuntimeError, match=message):
        m.cat(make(m))


# --- ravel, unflatten ---------------------------------------------------------------------------

@libs
def test_ravel_is_contiguous_then_view(m):
    x = m.arange(6.0).reshape(3, 2)
    assert x[:, 0].ravel().stride() == (1,)  # a copy, dense (reshape(-1) would keep stride 2)
    assert x[:, 0].reshape(-1).stride() == (2,)
    _is(x[:, 0].ravel(), [0.0, 2.0, 4.0], "float32")
    flat = x.ravel()
    flat[0] = 7.0  # a contiguous input: a view
    assert x[0, 0].item() == 7.0
    assert m.tensor(5.0).ravel().stride() == (1,)


@libs
@pytest.mark.parametrize("shape,dim,sizes,want", [
    ((0, 2), 1, (-1, 1), (0, 2, 1)),  # -1 from the dim's size (2), not the tensor's (0)
    ((0, 2), 0, (-1, 1), (0, 1, 2)),
    ((2, 0), 1, (-1, 3), (2, 0, 3)),
    ((2, 6), 1, (3, -1), (2, 3, 2)),
], ids=helpers.ids)
def test_unflatten_infers_from_the_dims_size(m, shape, dim, sizes, want):
    assert tuple(m.zeros(shape).unflatten(dim, sizes).shape) == want


@libs
def test_unflatten_errors_with_a_zero_size(m):
    with pytest.raises(RuntimeError, match=r"unflatten: Provided sizes \[-1, 0\] don't multiply up to the size of "
                                           r"dim 1 \(2\) in the input tensor"):
        m.zeros(0, 2).unflatten(1, (-1, 0))
    with pytest.raises(RuntimeError, match=r"unflatten got an unexpected error:\ncannot reshape tensor of 0 elements "
                                           r"into shape \[-1, 0\] because the unspecified dimension size -1 can be"):
        m.zeros(0, 2).unflatten(0, (-1, 0))


# --- mT / mH / H / adjoint ---------------------------------------------------------------------------

@libs
@pytest.mark.parametrize("name", ["mT", "mH", "H", "adjoint"])
def test_matrix_transposes(m, name):
    get = (lambda t: t.adjoint()) if name == "adjoint" else (lambda t: getattr(t, name))
    x = m.arange(6, dtype=m.int64).reshape(2, 3)
    y = get(x)
    _is(y, [[0, 3], [1, 4], [2, 5]], "int64")
    assert y.stride() == (1, 3)
    y[0, 1] = 9  # a view
    assert x[1, 0].item() == 9
    w = m.ones(2, 3, requires_grad=True)
    assert get(w).grad_fn.name() == "TransposeBackward0"
    s = m.tensor(5.0, requires_grad=True)
    assert get(s) is s  # a 0-d tensor itself, not a view
    if name == "H":
        with pytest.raises(RuntimeError, match=r"tensor.H is only supported on matrices \(2-D tensors\). Got 1-D "
                                               r"tensor.$"):
            get(m.ones(3))
        with pytest.raises(RuntimeError, match=r"Got 3-D tensor. For batches of matrices, consider using tensor.mH"):
            get(m.ones(2, 3, 4))
    else:
        text = "adjoint()" if name == "adjoint" else name
        with pytest.raises(RuntimeError, match=rf"tensor.{text.replace('(', '.').replace(')', '.')} is only "
                                               r"supported on matrices or batches of matrices. Got 1-D tensor."):
            get(m.ones(3))
        assert tuple(get(m.ones(2, 3, 4)).shape) == (2, 4, 3)
    assert tuple(m.adjoint(m.ones(4, 2, 3)).shape) == (4, 3, 2)


# --- split / chunk / roll of 0-d tensors ------------------------------------------------------------

@libs
@pytest.mark.parametrize("fn,message", [
    (lambda x: x.split(1), "split expects at least a 1-dimensional tensor"),
    (lambda x: x.split([1]), "split expects at least a 1-dimensional tensor"),
    (lambda x: x.split(1, 5), "split expects at least a 1-dimensional tensor"),
    (lambda x: x.chunk(1), "chunk expects at least a 1-dimensional tensor"),
    (lambda x: x.chunk(0), "chunk expects at least a 1-dimensional tensor"),
], ids=["split", "split_sizes", "split_dim5", "chunk", "chunk0"])
def test_split_and_chunk_refuse_0d(m, fn, message):
    with pytest.raises(RuntimeError, match=message):
        fn(m.tensor(5.0))


@libs
def test_roll_of_0d(m):
    x = m.tensor(5.0)
    _is(x.roll(1), 5.0, "float32")  # no dims: rolled flat
    for dims in (0, -1, (0,)):
        with pytest.raises(IndexError, match=f"Dimension specified as {dims if isinstance(dims, int) else dims[0]} "
                                             "but tensor has no dimensions"):
            x.roll(1 if isinstance(dims, int) else (1,), dims)


@libs
@pytest.mark.parametrize("shifts,dims", [(1, 0), (0, 0), (3, 0), (1, None), ((1, 1), (0, 1))], ids=helpers.ids)
def test_roll_result_is_contiguous(m, shifts, dims):
    x = m.arange(6.0).reshape(2, 3).T  # strides (1, 3)
    out = x.roll(shifts, dims)
    assert out.stride() == (2, 1)
    want = {(1, 0): [[2.0, 5.0], [0.0, 3.0], [1.0, 4.0]], (1, None): [[5.0, 0.0], [3.0, 1.0], [4.0, 2.0]],
            ((1, 1), (0, 1)): [[5.0, 2.0], [3.0, 0.0], [4.0, 1.0]]}.get((shifts, dims), x.tolist())
    _is(out, want, "float32")


@libs
def test_unflatten_of_0d(m):
    x = m.tensor(4)
    with pytest.raises(RuntimeError, match="^unflatten got an unexpected error:\nDimension specified as 0 but tensor "
                                           "has no dimensions"):
        x.unflatten(-1, (-1, 1))
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-1, 0\], but got 1\)"):
        x.unflatten(1, (2,))
    with pytest.raises(RuntimeError, match="unflatten: sizes must be non-empty"):
        x.unflatten(0, ())


# --- the type names messages show ----------------------------------------------------------------

@libs
@pytest.mark.parametrize("dtype,name", [("int64", "torch.LongTensor"), ("int32", "torch.IntTensor"),
                                        ("uint8", "torch.ByteTensor"), ("float64", "torch.DoubleTensor"),
                                        ("float32", "torch.FloatTensor"), ("bool", "CPUBoolType")])
def test_expand_message_names_the_type(m, dtype, name):
    with pytest.raises(RuntimeError, match=rf"^expand\({name}\{{\[2\]\}}, size=\[\]\): the number of sizes "
                                           r"provided \(0\) must be greater or equal to the number of dimensions "
                                           r"in the tensor \(1\)$"):
        m.ones(2, dtype=getattr(m, dtype)).expand(())


@libs
def test_saved_bool_tensor_changed_in_place_is_named_as_torch(m):
    x = m.ones(2, requires_grad=True)
    mask = m.tensor([True, False])
    y = m.where(mask, x, 0.0)
    mask.logical_not_()
    with pytest.raises(RuntimeError, match=r"modified by an inplace operation: \[CPUBoolType \[2\]\]"):
        y.sum().backward()


# --- tensor(): ints among floats keep every bit in an integer dtype ---------------------------------

@libs
@pytest.mark.parametrize("data,dtype,want", [
    ([0.5, 2**63 - 1], "int64", [0, 2**63 - 1]),
    ([1.0, 2**62 + 1], "int64", [1, 2**62 + 1]),
    ([[1.0], [2**62 + 1]], "int64", [[1], [2**62 + 1]]),
    ([-1.7, -(2**62 + 1)], "int64", [-1, -(2**62 + 1)]),
    ([True, 2**62 + 1, 0.5], "int64", [1, 2**62 + 1, 0]),
    ([1e18, 2**62 + 1], "int64", [10**18, 2**62 + 1]),
    ([2.0**63, 1], "int64", [-2**63, 1]),  # x86's conversion of 2^63, as PyTorch prints it
    ([1.0, 2**62 + 1], "float64", [1.0, 4.611686018427388e18]),
], ids=helpers.ids)
def test_tensor_of_mixed_numbers_into_an_integer_dtype(m, data, dtype, want):
    _is(m.tensor(data, dtype=getattr(m, dtype)), want, dtype)


@libs
def test_tensor_of_mixed_numbers_infers_the_default_float_dtype(m):
    assert dtype_name(m.tensor([1.0, 2**62 + 1]).dtype) == "float32"
    with pytest.raises(RuntimeError, match="value cannot be converted to type int32 without overflow"):
        m.tensor([1.5, 2**62 + 1], dtype=m.int32)


# --- linspace / logspace with integer and bool dtypes, arange's checks -------------------------

@libs
@pytest.mark.parametrize("args,dtype,want", [
    ((-1, 3, 5), "uint8", [255, 192, 129, 66, 3]),  # -1 becomes 255 first, then 255 -> 3
    ((-5, 3, 4), "uint8", [251, 168, 85, 3]),
    ((3, -1, 5), "uint8", [3, 66, 129, 192, 255]),
    ((-3, 250, 7), "uint8", [253, 252, 252, 251, 251, 250, 250]),
    ((-1, 2.5, 4), "uint8", [255, 170, 86, 2]),
    ((-255, 255, 5), "uint8", [1, 64, 128, 191, 255]),
    ((0.5, -1, 3), "uint8", [0, 127, 255]),
    ((-1, 3, 5), "int32", [-1, 0, 1, 2, 3]),
    ((2.7, -3.7, 4), "int64", [2, 0, -1, -3]),
    ((1, 300, 1), "uint8", [1]),  # one point: start alone, end never checked
    ((1, 300, 0), "uint8", []),
    ((1, 3, 1), "bool", [True]),
    ((1, 3, 0), "bool", []),
], ids=helpers.ids)
def test_linspace_converts_its_ends_to_the_dtype_first(m, args, dtype, want):
    _is(m.linspace(*args, dtype=getattr(m, dtype)), want, dtype)


@libs
def test_linspace_integer_end_tensors_and_out_of_range_floats(m):
    _is(m.linspace(m.tensor(-1), 3, 5, dtype=m.uint8), [255, 192, 129, 66, 3], "uint8")
    for start in (-1.0, -1.5, -0.5, m.tensor(-1.0)):  # a negative float does not fit uint8, an int wraps
        with pytest.raises(RuntimeError, match="value cannot be converted to type uint8_t without overflow"):
            m.linspace(start, 3, 5, dtype=m.uint8)
    with pytest.raises(RuntimeError, match="value cannot be converted to type uint8_t without overflow"):
        m.full((1,), -1.0, dtype=m.uint8)
    _is(m.full((1,), -1, dtype=m.uint8), [255], "uint8")
    with pytest.raises(NotImplementedError, match="\"linspace_cpu\" not implemented for 'Bool'"):
        m.linspace(1, 3, 3, dtype=m.bool)


@libs
@pytest.mark.parametrize("args,kwargs,dtype,want", [
    ((2.5, 1.0, 3), {}, "uint8", [100, 31, 10]),  # ends truncated to 2 and 1 first
    ((2.5, 1.0, 3), {}, "int64", [100, 31, 10]),
    ((2.5, 1.0, 1), {}, "int32", [316]),  # one point: base ** start, not truncated first
    ((1, 3, 3), {"base": -2}, "int32", [-2, 4, -8]),
    ((1, 3, 4), {"base": 2}, "int64", [2, 3, 5, 8]),
    ((1, 3, 4), {"base": 2.5}, "int64", [2, 4, 8, 15]),
    ((-1, 1, 3), {}, "int32", [0, 1, 10]),
    ((1, 3, 0), {}, "uint8", []),
    ((2.5, 1.0, 1), {}, "bool", [True]),
    ((2.5, 1.0, 0), {}, "bool", []),
], ids=helpers.ids)
def test_logspace_integer_dtypes(m, args, kwargs, dtype, want):
    _is(m.logspace(*args, dtype=getattr(m, dtype), **kwargs), want, dtype)


@libs
def test_logspace_refusals(m):
    for args in ((2.5, 1.0, 1), (3, 1.0, 1), (-1.5, 3, 3)):
        with pytest.raises(RuntimeError, match="value cannot be converted to type uint8_t without overflow"):
            m.logspace(*args, dtype=m.uint8)
    with pytest.raises(RuntimeError, match="value cannot be converted to type int without overflow"):
        m.logspace(1.5, 3, 1, base=-2.5, dtype=m.int32)  # NaN
    with pytest.raises(NotImplementedError, match="\"logspace_cpu\" not implemented for 'Bool'"):
        m.logspace(2.5, 1.0, 3, dtype=m.bool)


@libs
@pytest.mark.parametrize("args,error,message", [
    ((1, -1.5, 0.3), RuntimeError, "upper bound and lower bound inconsistent with step sign"),
    ((1, 2, -1), RuntimeError, "upper bound and lower bound inconsistent with step sign"),
    ((1, 2, 0.3), ValueError, "step must be nonzero"),  # consistent, then truncated to 0
    ((5, 0, -0.5), ValueError, "step must be nonzero"),
], ids=helpers.ids)
def test_int64_arange_checks_the_sign_before_truncating(m, args, error, message):
    with pytest.raises(error, match=message):
        m.arange(*args, dtype=m.int64)
    _is(m.arange(0.5, 3, 1, dtype=m.int64), [0, 1, 2], "int64")


# --- masked_select's node ----------------------------------------------------------------------------

@libs
def test_masked_select_node_and_gradient(m):
    x = m.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    for out in (m.masked_select(x, m.tensor([True, False])), x.masked_select(m.tensor([[True], [False]]))):
        assert out.grad_fn.name() == "MaskedSelectBackward0"
    out = m.masked_select(x, m.tensor([True, False]))  # broadcast: the first column
    _is(out, [1.0, 3.0], "float32")
    (out * m.tensor([10.0, 20.0])).sum().backward()
    _is(x.grad, [[10.0, 0.0], [20.0, 0.0]], "float32")


# --- writes into expanded tensors ----------------------------------------------------------------

def _expanded(m):
    return m.zeros(3).expand(2, 3)  # one row of memory seen twice


def _set(t, index, value):
    t[index] = value
    return t


_OVERLAP = "more than one element of the written-to tensor refers to a single memory location"
_INDEX_PUT_WARNING = "Use of index_put_ on expanded tensors is deprecated"
_MASKED_FILL_WARNING = "Use of masked_fill_ on expanded tensors is deprecated"


@libs
@pytest.mark.parametrize("index", [Ellipsis, slice(None), (slice(None), 0), (slice(None), slice(1, 3))], ids=str)
@pytest.mark.parametrize("value", [7.0, "tensor"])
def test_basic_index_writes_refuse_a_view_holding_one_address_twice(m, index, value):
    t = _expanded(m)
    with pytest.raises(RuntimeError, match=_OVERLAP):
        _set(t, index, m.ones(3) if value == "tensor" and index in (Ellipsis, slice(None)) else
             (m.tensor(7.0) if value == "tensor" else value))
    _is(t, [[0.0] * 3] * 2, "float32")  # unchanged


@libs
def test_basic_index_writes_through_a_view_without_repeats(m):
    _is(_set(_expanded(m), 0, 7.0), [[7.0] * 3] * 2, "float32")  # row 0 is the whole memory once
    _is(_set(_expanded(m), (1, 2), 5.0), [[0.0, 0.0, 5.0]] * 2, "float32")
    _is(_set(_expanded(m), 1, m.tensor([1.0, 2.0, 3.0])), [[1.0, 2.0, 3.0]] * 2, "float32")
    t = m.zeros(2, 1).expand(2, 3)
    _is(_set(t, (slice(None), 1), 4.0), [[4.0] * 3] * 2, "float32")  # [:, 1] holds each address once


@libs
@pytest.mark.parametrize("case", ["index number", "index tensor", "mask number", "mask tensor"])
def test_advanced_index_writes_into_an_expanded_tensor_warn_and_write(m, case):
    t = _expanded(m)
    index = m.tensor([1]) if case.startswith("index") else m.tensor([[False, True, False], [False, False, False]])
    value = 7.0 if case.endswith("number") else (m.tensor([1.0, 2.0, 3.0]) if case == "index tensor" else
                                                 m.tensor([7.0]))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _set(t, index, value)
    messages = [str(w.message) for w in caught]
    assert any(_INDEX_PUT_WARNING in s for s in messages)
    # a mask with a one-element value is PyTorch's masked fill, which warns too
    assert any(_MASKED_FILL_WARNING in s for s in messages) == case.startswith("mask")
    expected = {"index number": [7.0] * 3, "index tensor": [1.0, 2.0, 3.0], "mask number": [0.0, 7.0, 0.0],
                "mask tensor": [0.0, 7.0, 0.0]}[case]
    _is(t, [expected] * 2, "float32")


@libs
def test_masked_fill_and_index_fill_into_an_expanded_tensor_warn_and_write(m):
    # any selected position of a shared address sets it; the unselected ones do not clear it
    mask = m.tensor([[True, False, False], [False, False, True]])
    for value in (2.5, m.tensor(2.5)):
        with pytest.warns(UserWarning, match=_MASKED_FILL_WARNING):
            _is(_expanded(m).masked_fill_(mask, value), [[2.5, 0.0, 2.5]] * 2, "float32")
    with pytest.warns(UserWarning, match=_MASKED_FILL_WARNING):
        _is(_expanded(m).masked_fill_(m.tensor([False, True, False]), 1.0), [[0.0, 1.0, 0.0]] * 2, "float32")
    with pytest.warns(UserWarning, match="Use of index_fill_ on expanded tensors is deprecated"):
        _is(_expanded(m).index_fill_(1, m.tensor([0, -1]), 4.0), [[4.0, 0.0, 4.0]] * 2, "float32")
    with pytest.warns(UserWarning, match="Use of index_fill_ on expanded tensors is deprecated"):
        _is(m.zeros(2, 1, 3).expand(2, 4, 3).index_fill_(2, m.tensor([1]), 4.0)[:, 0], [[0.0, 4.0, 0.0]] * 2,
            "float32")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(RuntimeError, match="0-dimensional value tensor"):
            _expanded(m).masked_fill_(mask, m.tensor([1.0]))
        with pytest.raises(RuntimeError, match="value cannot be converted"):
            m.zeros(3, dtype=m.uint8).expand(2, 3).masked_fill_(mask, 300)
    for op in (lambda t: t.index_copy_(1, m.tensor([0]), m.ones(2, 1)), lambda t: t.index_add_(1, m.tensor([0]), m.ones(2, 1)),
               lambda t: t.scatter_(1, m.tensor([[0], [1]]), 5.0), lambda t: t.add_(1), lambda t: t.copy_(m.ones(3))):
        with pytest.raises(RuntimeError, match=_OVERLAP):
            op(_expanded(m))
    _is(_expanded(m).fill_(3.0), [[3.0] * 3] * 2, "float32")  # fill_ and zero_ write each address anyway
    _is(_expanded(m).zero_(), [[0.0] * 3] * 2, "float32")


@libs
def test_index_fill_takes_negative_indices_and_index_copy_its_own_error(m):
    x = m.zeros(2, 4)
    _is(x.index_fill(1, m.tensor([-1, 0]), 1.0), [[1.0, 0.0, 0.0, 1.0]] * 2, "float32")
    _is(m.zeros(()).index_fill(0, m.tensor([-1]), 1.0), 1.0, "float32")
    for bad in (-5, 4):
        with pytest.raises(IndexError, match=f"index {bad} is out of bounds for dimension 1 with size 4"):
            x.index_fill(1, m.tensor([bad]), 1.0)
    with pytest.raises(IndexError, match=r"index_copy_\(\): index -1 is out of bounds for dimension 1 with size 4"):
        m.index_copy(x, 1, m.tensor([-1]), m.ones(2, 1))
    with pytest.raises(RuntimeError, match="index 4 is out of bounds for dimension 1 with size 4"):
        x.index_add(1, m.tensor([4]), m.ones(2, 1))


# --- which arguments may be numbers --------------------------------------------------------------

@libs
@pytest.mark.parametrize("name", ["maximum", "minimum", "logical_and", "logical_or", "logical_xor", "logaddexp",
                                  "logaddexp2", "hypot", "heaviside", "isclose"])
def test_functions_of_two_tensors_refuse_numbers(m, name):
    t = m.tensor([1.0, -2.0])
    second = "values" if name == "heaviside" else "other"
    with pytest.raises(TypeError, match=rf"{name}\(\): argument '{second}' \(position 2\) must be Tensor, not int"):
        getattr(m, name)(t, 2)
    with pytest.raises(TypeError, match=rf"{name}\(\): argument 'input' \(position 1\) must be Tensor, not float"):
        getattr(m, name)(2.5, t)


@libs
@pytest.mark.parametrize("name", ["maximum", "minimum", "logical_and", "logical_or", "logical_xor"])
def test_methods_of_two_tensors_refuse_numbers(m, name):
    with pytest.raises(TypeError, match=rf"{name}\(\): argument 'other' \(position 1\) must be Tensor, not int"):
        getattr(m.tensor([1.0, -2.0]), name)(2)


@libs
@pytest.mark.parametrize("name", ["eq", "ne", "lt", "le", "gt", "ge", "greater", "less", "fmod", "copysign"])
def test_number_only_as_other(m, name):
    t = m.tensor([1.0, -2.0])
    assert getattr(m, name)(t, 2).shape == (2,)
    with pytest.raises(TypeError, match=rf"{name}\(\) received an invalid combination of arguments - got "
                                        r"\(int, Tensor\), but expected one of:\n \* \(Tensor input, Tensor other, "
                                        r"\*, Tensor out = None\)\n \* \(Tensor input, Number other, \*, Tensor out "
                                        r"= None\)\n"):
        getattr(m, name)(2, t)


@libs
def test_xlogy_needs_a_tensor_on_one_side(m):
    _is(m.xlogy(2, m.tensor([1.0])), [0.0], "float32")
    with pytest.raises(TypeError, match=r"xlogy\(\) received an invalid combination of arguments - got \(int, int\)"):
        m.xlogy(2, 3)


# --- index bounds where nothing is gathered; bool products --------------------------------------

@libs
def test_advanced_indices_are_checked_only_where_an_element_is_gathered(m):
    x, z = m.zeros(3, 4), m.zeros(0, 4)
    assert x[2:2, [7]].shape == (0, 1) and z[:, [9]].shape == (0, 1) and z[..., m.tensor([5])].shape == (0, 1)
    z[:, [9]] = 1.0  # nothing written, nothing checked
    with pytest.raises(IndexError, match="index 7 is out of bounds for dimension 1 with size 4"):
        x[[], 7]  # a basic index is checked whatever the result
    # the dimension PyTorch names is the index tensor's place among the index tensors
    with pytest.raises(IndexError, match="index 5 is out of bounds for dimension 0 with size 4"):
        x[0:1, [5]]
    with pytest.raises(IndexError, match="index 9 is out of bounds for dimension 1 with size 4"):
        m.zeros(2, 3, 4)[[0], :, [9]]
    with pytest.raises(IndexError, match="index is out of bounds for dimension with size 0"):
        z[[0]]


@libs
def test_bool_products_only_where_no_kernel_runs(m):
    f = False
    B = m.bool
    _is(m.ones(2, 0, dtype=B) @ m.ones(0, 2, dtype=B), [[f, f], [f, f]], "bool")
    assert (m.ones(0, 3, dtype=B) @ m.ones(3, 2, dtype=B)).shape == (0, 2)
    _is(m.mv(m.ones(2, 0, dtype=B), m.ones(0, dtype=B)), [f, f], "bool")
    _is(m.bmm(m.ones(1, 1, 0, dtype=B), m.ones(1, 0, 1, dtype=B)), [[[f]]], "bool")
    _is(m.matmul(m.ones(0, dtype=B), m.ones(0, 2, dtype=B)), [f, f], "bool")
    for call, kernel in ((lambda: m.ones(2, 3, dtype=B) @ m.ones(3, 2, dtype=B), "addmm_impl_cpu_"),
                         (lambda: m.mv(m.ones(2, 3, dtype=B), m.ones(3, dtype=B)), "addmv_impl_cpu"),
                         (lambda: m.bmm(m.ones(1, 2, 3, dtype=B), m.ones(1, 3, 2, dtype=B)), "bmm"),
                         (lambda: m.dot(m.ones(0, dtype=B), m.ones(0, dtype=B)), "dot")):
        with pytest.raises(NotImplementedError, match=f'"{kernel}" not implemented for \'Bool\''):
            call()



@libs
@pytest.mark.parametrize("call, expected, dtype", [
    (lambda m: m.add(2, 3), 5, "int64"), (lambda m: m.add(2, 3.5), 5.5, "float32"),
    (lambda m: m.add(True, True), True, "bool"), (lambda m: m.sub(2, 3.5), -1.5, "float32"),
    (lambda m: m.mul(2.5, 2), 5.0, "float32"), (lambda m: m.div(3, 4), 0.75, "float32"),
    (lambda m: m.floor_divide(7, 2), 3, "int64"), (lambda m: m.add(2, 3, alpha=2), 8, "int64"),
    (lambda m: m.div(7, 2, rounding_mode="floor"), 3, "int64"), (lambda m: m.subtract(3, 4), -1, "int64"),
], ids=helpers.ids)
def test_arithmetic_functions_take_two_numbers(m, call, expected, dtype):
    _is(call(m), expected, dtype)


@libs
def test_other_functions_refuse_two_numbers(m):
    for name in ("remainder", "pow", "maximum", "eq", "fmod"):
        with pytest.raises(TypeError):
            getattr(m, name)(7, 2)
