"""The CUDA backend (csrc/cuda): every op and gradient on the GPU against our
CPU implementation on the same values (and against torch on CUDA where torch
sees a GPU), over odd sizes, empty and 0-d tensors, non-contiguous views,
broadcasting and every dtype; device semantics; memory statistics; an MLP
training step.

Tests that need a GPU live in classes marked ``requires_gpu`` and skip with
the reason when ``fasttensor.cuda.is_available()`` is False; the few tests
marked ``requires_no_gpu`` check what happens on a machine without one (the
module imports, CPU ops work, asking for a CUDA tensor raises RuntimeError).
"""

from __future__ import annotations

import gc
import io
import math
import os
import subprocess
import sys
from typing import Any, Callable, Optional, Sequence

import numpy as np
import pytest

import fasttensor

HAVE_GPU = fasttensor.cuda.is_available()
requires_gpu = pytest.mark.skipif(not HAVE_GPU, reason="no CUDA GPU")
requires_no_gpu = pytest.mark.skipif(HAVE_GPU, reason="checks the behaviour on a machine without a GPU")

try:
    import torch

    HAVE_TORCH_CUDA = torch.cuda.is_available()
except ImportError:  # torch is optional
    torch = None
    HAVE_TORCH_CUDA = False

FLOATS = ("float32", "float64")
INTS = ("uint8", "int32", "int64")
ALL_DTYPES = ("bool",) + INTS + FLOATS
# Shapes: odd sizes, a size-1 dim, a 0-d tensor, an empty tensor, and one
# large enough for many blocks and a vector-loop tail.
SHAPES = [(7,), (3, 5), (2, 1, 9), (), (0, 4), (1000003,)]
# The fp32 SIMT matmul kernels (tile of C x depth of a shared slice) a matmul may use.
SIMT_KERNELS = fasttensor._C._cuda.matmul_kernels() if fasttensor._C._cuda.compiled else []
SOFTMAX_LAUNCHES = fasttensor._C._cuda.softmax_launches() if fasttensor._C._cuda.compiled else []
# How an input is made from its leaf: the leaf itself, a transposed view, or every second element.
LAYOUTS = ("contiguous", "transposed", "strided")


# --- helpers ------------------------------------------------------------------------


def host(t: Any) -> np.ndarray:
    """A NumPy copy of a fasttensor or torch tensor from any device."""
    if isinstance(t, fasttensor.Tensor):
        return np.array(t.detach().cpu().numpy(), copy=True)
    return t.detach().cpu().numpy().copy()


def random_array(shape: Sequence[int], dtype: str, rng: np.random.Generator, low: float = -3.0,
                 high: float = 3.0) -> np.ndarray:
    """An array (0-d included, never a NumPy scalar) of random values of a dtype."""
    if dtype == "bool":
        return np.asarray(rng.random(shape) < 0.5)
    if dtype in INTS:
        lo = 0 if dtype == "uint8" else int(low)
        return np.asarray(rng.integers(lo, int(high) + 1, size=shape)).astype(dtype)
    return np.asarray(rng.uniform(low, high, size=shape)).astype(dtype)


def make_input(module: Any, arr: np.ndarray, layout: str, device: str, requires_grad: bool) -> tuple:
    """(leaf, view): the leaf holds arr in the given layout; the view has arr's shape and values."""
    if layout == "transposed" and arr.ndim >= 2:
        leaf_arr = np.ascontiguousarray(np.swapaxes(arr, -1, -2))
    elif layout == "strided" and arr.ndim >= 1:
        leaf_arr = np.zeros(arr.shape[:-1] + (2 * arr.shape[-1],), dtype=arr.dtype)
        leaf_arr[..., ::2] = arr
    else:
        leaf_arr = arr
    if module is torch:
        leaf = torch.tensor(leaf_arr.copy(), device=device)
    else:
        leaf = fasttensor.tensor(leaf_arr.copy(), device=device)
    if requires_grad:
        leaf.requires_grad_(True)
    if layout == "transposed" and arr.ndim >= 2:
        view = leaf.transpose(-1, -2)
    elif layout == "strided" and arr.ndim >= 1:
        view = leaf[..., ::2]
    else:
        view = leaf
    return leaf, view


def tolerance(dtype: str, terms: int = 1) -> tuple:
    """(rtol, atol) for results that add up `terms` values in another order on
    the GPU: rounding errors grow like sqrt(terms), and so does the size of a
    sum of random-signed terms (hence the absolute part for sums near zero)."""
    eps = {"float32": 1.2e-7, "float64": 2.3e-16}.get(dtype, 0.0)
    rtol = 8 * eps * math.sqrt(max(terms, 1))
    return rtol, rtol * (1.0 if terms <= 1 else math.sqrt(terms))


def assert_same(gpu: Any, ref: Any, rtol: float, atol: float, what: str) -> None:
    """gpu (a CUDA fasttensor) has ref's shape, dtype and values; NaN and inf in the same places."""
    assert isinstance(gpu, fasttensor.Tensor), f"{what}: not a tensor"
    assert gpu.device.type == "cuda", f"{what}: result on {gpu.device}, not cuda"
    assert tuple(gpu.shape) == tuple(ref.shape), f"{what}: shape {tuple(gpu.shape)} != {tuple(ref.shape)}"
    assert str(gpu.dtype).split(".")[-1] == str(ref.dtype).split(".")[-1], f"{what}: dtype {gpu.dtype} != {ref.dtype}"
    g, r = host(gpu), host(ref)
    if g.dtype.kind == "f":
        np.testing.assert_allclose(g, r, rtol=rtol, atol=atol, equal_nan=True, err_msg=what)
    else:
        np.testing.assert_array_equal(g, r, err_msg=what)


def outputs_of(out: Any) -> list:
    if isinstance(out, (tuple, list)):
        return [o for item in out for o in outputs_of(item)]
    return [out]


def check_cuda(fn: Callable, arrays: Sequence[Any], *, layout: str = "contiguous", grad: bool = True,
               terms: int = 1, grad_terms: Optional[int] = None, rtol: Optional[float] = None,
               atol: Optional[float] = None, compare_torch: bool = True, seed: int = 0) -> None:
    """Runs fn on CUDA tensors and on CPU tensors holding the same values (NumPy
    arrays become tensors in `layout`; anything else, a Python number say, is
    passed as is) and compares the results and the gradients of
    sum(out * w) for random w. With torch on a GPU, fn also runs on torch CUDA
    tensors and our CUDA results are compared with torch's. `terms` / `grad_terms`:
    how many values a result / a gradient element adds up (a broadcast input's
    gradient sums over the broadcast dims)."""
    grad_terms = terms if grad_terms is None else grad_terms
    rng = np.random.default_rng(seed)
    runs = [(fasttensor, "cpu"), (fasttensor, "cuda")]
    if compare_torch and HAVE_TORCH_CUDA:
        runs.append((torch, "cuda"))
    results = []
    for module, device in runs:
        leaves, args = [], []
        for a in arrays:
            if isinstance(a, np.ndarray):
                wants_grad = grad and a.dtype.kind == "f"
                leaf, view = make_input(module, a, layout, device, wants_grad)
                if wants_grad:
                    leaves.append(leaf)
                args.append(view)
            else:
                args.append(a)
        outs = outputs_of(fn(*args))
        grads = []
        float_outs = [o for o in outs if o.dtype in (module.float32, module.float64) and o.requires_grad]
        if leaves and float_outs:
            w_rng = np.random.default_rng(seed + 1)
            total = None
            for o in float_outs:
                w = w_rng.uniform(-1, 1, size=tuple(o.shape)).astype(str(o.dtype).split(".")[-1])
                wt = torch.tensor(w, device=device) if module is torch else fasttensor.tensor(w, device=device)
                term = (o * wt).sum()
                total = term if total is None else total + term
            try:
                total.backward()
                grads = [leaf.grad for leaf in leaves]
            except RuntimeError as e:  # no derivative for a few ops (floor_divide), in torch and in fasttensor
                if "derivative for" not in str(e):
                    raise
                grads = []
        results.append((outs, grads))
    (cpu_outs, cpu_grads), (gpu_outs, gpu_grads) = results[0], results[1]
    assert len(gpu_outs) == len(cpu_outs)
    for i, (g, c) in enumerate(zip(gpu_outs, cpu_outs)):
        dt = str(c.dtype).split(".")[-1]
        r, a = tolerance(dt, terms)
        assert_same(g, c, rtol if rtol is not None else r, atol if atol is not None else a, f"output {i} vs CPU")
    assert len(gpu_grads) == len(cpu_grads), "CPU and CUDA disagree on whether backward runs"
    for i, (g, c) in enumerate(zip(gpu_grads, cpu_grads)):
        assert (g is None) == (c is None), f"gradient {i}: CPU has {c is not None}, CUDA has {g is not None}"
        if c is not None:
            r, a = tolerance(str(c.dtype).split(".")[-1], grad_terms)
            assert_same(g, c, 4 * (rtol if rtol is not None else r), 4 * (atol if atol is not None else a),
                        f"gradient {i} vs CPU")
    if len(results) == 3:
        torch_outs, torch_grads = results[2]
        for i, (g, t) in enumerate(zip(gpu_outs, torch_outs)):
            r, a = tolerance(str(t.dtype).split(".")[-1], terms)
            assert_same(g, t, 4 * (rtol if rtol is not None else r), 4 * (atol if atol is not None else a),
                        f"output {i} vs torch")
        for i, (g, t) in enumerate(zip(gpu_grads, torch_grads)):
            if t is not None:
                r, a = tolerance(str(t.dtype).split(".")[-1], grad_terms)
                assert_same(g, t, 8 * (rtol if rtol is not None else r), 8 * (atol if atol is not None else a),
                            f"gradient {i} vs torch")


def lib(x: Any) -> Any:
    """fasttensor or torch, whichever x belongs to."""
    return torch if torch is not None and isinstance(x, torch.Tensor) else fasttensor


# --- without a GPU ------------------------------------------------------------------


@requires_no_gpu
def test_module_imports_without_gpu_and_cpu_ops_work() -> None:
    assert fasttensor.cuda.is_available() is False
    assert fasttensor.cuda.device_count() == 0
    assert fasttensor.cuda.memory_allocated() == 0
    x = fasttensor.arange(6, dtype=fasttensor.float32).reshape(2, 3)
    np.testing.assert_array_equal(host(x @ x.t()), np.array([[5.0, 14.0], [14.0, 50.0]], dtype=np.float32))


@requires_no_gpu
def test_cuda_tensor_without_gpu_raises() -> None:
    # As PyTorch: a build with CUDA on a machine without a GPU raises RuntimeError; a build
    # without CUDA raises AssertionError("Torch not compiled with CUDA enabled").
    expected, match = ((RuntimeError, "CUDA|NVIDIA|GPU") if fasttensor._C._cuda.compiled
                       else (AssertionError, "^Torch not compiled with CUDA enabled"))
    with pytest.raises(expected, match=match):
        fasttensor.zeros(3, device="cuda")
    with pytest.raises(expected, match=match):
        fasttensor.ones(2).cuda()
    with pytest.raises(expected, match=match):
        fasttensor.tensor([1.0, 2.0]).to("cuda:0")
    # The process is still fine afterwards.
    assert float(fasttensor.ones(4).sum()) == 4.0


# --- elementwise ------------------------------------------------------------------------

BINARY_ARITHMETIC = {
    "add": lambda x, y: x + y,
    "sub": lambda x, y: x - y,
    "mul": lambda x, y: x * y,
    "div": lambda x, y: x / y,
    "floor_divide": lambda x, y: x // y,
    "remainder": lambda x, y: x % y,
    "fmod": lambda x, y: lib(x).fmod(x, y),
    "pow": lambda x, y: x ** y,
    "maximum": lambda x, y: lib(x).maximum(x, y),
    "minimum": lambda x, y: lib(x).minimum(x, y),
}
COMPARISONS = {
    "eq": lambda x, y: x == y,
    "ne": lambda x, y: x != y,
    "lt": lambda x, y: x < y,
    "le": lambda x, y: x <= y,
    "gt": lambda x, y: x > y,
    "ge": lambda x, y: x >= y,
    "logical_and": lambda x, y: lib(x).logical_and(x, y),
    "logical_or": lambda x, y: lib(x).logical_or(x, y),
    "logical_xor": lambda x, y: lib(x).logical_xor(x, y),
}


def binary_operands(name: str, dtype: str, shape_a: tuple, shape_b: tuple, rng: np.random.Generator) -> tuple:
    a = random_array(shape_a, dtype, rng)
    b = random_array(shape_b, dtype, rng)
    if name in ("floor_divide", "remainder", "fmod", "div") and dtype != "bool":
        b = np.where(b == 0, np.ones_like(b), b)  # integer division by zero has its own test
    if name == "pow":
        a = np.abs(a) + (0.5 if dtype in FLOATS else 0)
        b = (np.abs(b) % 4).astype(dtype)
    return np.asarray(a, dtype=dtype), np.asarray(b, dtype=dtype)  # 0-d arrays stay arrays


# Arithmetic PyTorch defines for bool tensors (sub raises; //, % and ** are not defined).
BOOL_ARITHMETIC = ("add", "mul", "div", "maximum", "minimum")
BINARY_CASES = [(name, dtype) for dtype in ALL_DTYPES for name in list(BINARY_ARITHMETIC) + list(COMPARISONS)
                if dtype != "bool" or name in BOOL_ARITHMETIC or name in COMPARISONS]


@requires_gpu
class TestElementwise:
    @pytest.mark.parametrize("name,dtype", BINARY_CASES)
    def test_binary_every_dtype(self, name: str, dtype: str) -> None:
        fn = {**BINARY_ARITHMETIC, **COMPARISONS}[name]
        a, b = binary_operands(name, dtype, (37, 29), (37, 29), np.random.default_rng(1))
        check_cuda(fn, [a, b])

    @pytest.mark.parametrize("name", ["add", "mul", "div", "pow", "maximum", "lt", "remainder", "fmod", "floor_divide"])
    @pytest.mark.parametrize("shapes", [((3, 1, 7), (1, 5, 1)), ((1000003,), ()), ((0, 4), (4,)), ((), ()),
                                        ((4, 6), (6,))])
    @pytest.mark.parametrize("layout", LAYOUTS)
    def test_binary_broadcast_and_views(self, name: str, shapes: tuple, layout: str) -> None:
        a, b = binary_operands(name, "float32", shapes[0], shapes[1], np.random.default_rng(2))
        fn = {**BINARY_ARITHMETIC, **COMPARISONS}[name]
        out_numel = int(np.prod(np.broadcast_shapes(shapes[0], shapes[1])))
        check_cuda(fn, [a, b], layout=layout, grad_terms=out_numel)

    @pytest.mark.parametrize("dtype", ALL_DTYPES)
    @pytest.mark.parametrize("scalar", [2, -1.5, True])
    def test_binary_with_python_number(self, dtype: str, scalar: Any) -> None:
        a = random_array((5, 33), dtype, np.random.default_rng(3))
        check_cuda(lambda x: x * scalar, [a])
        check_cuda(lambda x: scalar + x, [a])
        check_cuda(lambda x: x < scalar, [a])
        if dtype != "bool":
            check_cuda(lambda x: x ** 2, [np.abs(a)])

    def test_bool_subtraction_raises_as_on_cpu(self) -> None:
        x = fasttensor.tensor([True, False], device="cuda")
        with pytest.raises(RuntimeError, match="Subtraction"):
            x - x

    def test_zero_dim_cpu_tensor_joins_cuda_op(self) -> None:
        x = fasttensor.arange(5, dtype=fasttensor.float32, device="cuda")
        s = fasttensor.tensor(2.5)  # 0-d, on the CPU
        np.testing.assert_allclose(host(x * s), np.arange(5, dtype=np.float32) * 2.5)
        np.testing.assert_allclose(host(s - x), 2.5 - np.arange(5, dtype=np.float32))

    @pytest.mark.parametrize("dtype", INTS)
    def test_integer_division_by_zero_raises(self, dtype: str) -> None:
        x = fasttensor.tensor(np.array([5, 7, 9], dtype=dtype), device="cuda")
        zero = fasttensor.tensor(np.array([1, 0, 2], dtype=dtype), device="cuda")
        with pytest.raises(RuntimeError, match="ZeroDivisionError"):
            x // zero
        with pytest.raises(RuntimeError, match="ZeroDivisionError"):
            x % zero
        with pytest.raises(RuntimeError, match="ZeroDivisionError"):
            x.fmod(zero)
        with pytest.raises(RuntimeError, match="ZeroDivisionError"):
            x // 0
        # The error is cleared: the next division works.
        np.testing.assert_array_equal(host(x // 2), np.array([2, 3, 4], dtype=dtype))

    def test_integer_negative_powers(self) -> None:
        # A tensor exponent below 0 gives 1 / base^|e| truncated (torch's 1, +-1 or 0); a Python number raises.
        x = fasttensor.tensor([2, 3, 1, -1, -1], device="cuda")
        got = x ** fasttensor.tensor([1, -1, -5, -3, -2], device="cuda")
        np.testing.assert_array_equal(host(got), np.array([2, 0, 1, -1, 1]))
        with pytest.raises(RuntimeError, match="negative integer powers"):
            x ** -2
        np.testing.assert_array_equal(host(x ** 2), np.array([4, 9, 1, 1, 1]))

    @pytest.mark.parametrize("dtype", ["bool", "uint8", "int32", "int64"])
    def test_bitwise_ops_match_cpu(self, dtype: str) -> None:
        rng = np.random.default_rng(7)
        a, b = random_array((37, 29), dtype, rng), random_array((29,), dtype, rng)
        check_cuda(lambda x, y: x & y, [a, b])
        check_cuda(lambda x, y: x | y, [a, b])
        check_cuda(lambda x, y: x ^ y, [a, b])
        check_cuda(lambda x: ~x, [a])
        if dtype != "bool":
            check_cuda(lambda x: x & 6, [a])
            # Shifts by amounts in and out of range (negative, the width and more).
            amounts = np.array([0, 1, 3, 7, 8, 31, 32, 63, 64, 70, -1, 2, 5]).astype(dtype)[:, None]  # -1: 255 in uint8
            check_cuda(lambda x, n: x << n, [a[:13], amounts])
            check_cuda(lambda x, n: x >> n, [a[:13], amounts])
            check_cuda(lambda x: 3 << x[:, ::3], [a])

    def test_float_special_values(self) -> None:
        a = np.array([0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan, 3.5, -7.25], dtype=np.float32)
        b = np.array([0.0, 2.0, -0.0, np.inf, 2.0, -3.0, 1.0, -2.0, 0.5], dtype=np.float32)
        for name in ("add", "mul", "div", "floor_divide", "remainder", "fmod", "maximum", "minimum", "eq", "lt"):
            fn = {**BINARY_ARITHMETIC, **COMPARISONS}[name]
            check_cuda(fn, [a, b], grad=False, rtol=0, atol=0)
        # Signs of zero, which the comparisons above cannot see: maximum / minimum ties give the first
        # operand, relu passes -0, and x ** 0.5 is sqrt for a Python number but pow for a tensor.
        cpu, cuda = fasttensor.tensor(a), fasttensor.tensor(a, device="cuda")
        zeros_first = fasttensor.tensor(np.zeros_like(a))
        for fn in (lambda x: fasttensor.maximum(x, zeros_first.to(x.device)), lambda x: fasttensor.minimum(x, -x),
                   lambda x: x.relu(), lambda x: x ** 0.5, lambda x: x ** -0.5, lambda x: x ** fasttensor.tensor(0.5)):
            want, got = fn(cpu).numpy(), host(fn(cuda))
            numbers = ~np.isnan(want)  # a NaN's sign bit is the hardware's own
            np.testing.assert_array_equal(np.signbit(got[numbers]), np.signbit(want[numbers]))
            np.testing.assert_array_equal(got, want)

    @pytest.mark.parametrize("name,fn,domain", [
        ("neg", lambda x: -x, None), ("abs", lambda x: x.abs(), None), ("sign", lambda x: x.sign(), None),
        ("exp", lambda x: x.exp(), None), ("log", lambda x: x.log(), "positive"),
        ("log1p", lambda x: x.log1p(), "positive"), ("sqrt", lambda x: x.sqrt(), "positive"),
        ("rsqrt", lambda x: x.rsqrt(), "positive"), ("sin", lambda x: x.sin(), None), ("cos", lambda x: x.cos(), None),
        ("tanh", lambda x: x.tanh(), None), ("sigmoid", lambda x: x.sigmoid(), None), ("relu", lambda x: x.relu(), None),
        ("reciprocal", lambda x: x.reciprocal(), "positive"), ("square", lambda x: x.square(), None),
        ("floor", lambda x: x.floor(), None), ("ceil", lambda x: x.ceil(), None), ("round", lambda x: x.round(), None),
        ("trunc", lambda x: x.trunc(), None), ("clamp", lambda x: x.clamp(-0.5, 1.25), None),
        ("clamp_min", lambda x: x.clamp(min=0.25), None), ("clamp_crossed", lambda x: x.clamp(1.0, -1.0), None),
        ("expm1", lambda x: x.expm1(), None), ("exp2", lambda x: x.exp2(), None), ("log2", lambda x: x.log2(), "positive"),
        ("log10", lambda x: x.log10(), "positive"), ("sinh", lambda x: x.sinh(), None), ("cosh", lambda x: x.cosh(), None),
        ("tan", lambda x: x.tan(), None), ("asin", lambda x: x.asin(), "unit"), ("acos", lambda x: x.acos(), "unit"),
        ("atan", lambda x: x.atan(), None), ("erf", lambda x: x.erf(), None),
        ("lgamma", lambda x: x.lgamma(), "positive"), ("digamma", lambda x: x.digamma(), "positive"),
    ])
    @pytest.mark.parametrize("dtype", FLOATS)
    @pytest.mark.parametrize("layout", LAYOUTS)
    def test_unary_float(self, name: str, fn: Callable, domain: Optional[str], dtype: str, layout: str) -> None:
        a = random_array((33, 65), dtype, np.random.default_rng(4))
        if domain == "positive":
            a = np.abs(a) + np.asarray(0.1, dtype=dtype)
        elif domain == "unit":  # inside (-1, 1), where the derivative is finite
            a = np.tanh(a).astype(dtype)
        # Transcendentals come from different math libraries on the two devices.
        tol = dict(rtol=4e-6 if dtype == "float32" else 1e-14, atol=1e-6 if dtype == "float32" else 1e-14)
        if name == "digamma" and dtype == "float64":
            # torch's CUDA trigamma (digamma's derivative) is good to ~5e-10 in float64 (measured on
            # an H200); ours is the CPU's series: values against torch, gradients against the CPU.
            check_cuda(fn, [a], layout=layout, grad=False, **tol)
            check_cuda(fn, [a], layout=layout, compare_torch=False, **tol)
            return
        check_cuda(fn, [a], layout=layout, **tol)

    @pytest.mark.parametrize("dtype", ALL_DTYPES)
    def test_unary_every_dtype(self, dtype: str) -> None:
        a = random_array((5, 9), dtype, np.random.default_rng(5))
        check_cuda(lambda x: lib(x).logical_not(x), [a])
        check_cuda(lambda x: lib(x).isnan(x), [a])
        check_cuda(lambda x: lib(x).isfinite(x), [a])
        check_cuda(lambda x: lib(x).isinf(x), [a])
        if dtype != "bool":
            check_cuda(lambda x: -x, [a])
            check_cuda(lambda x: x.abs(), [a])
            check_cuda(lambda x: x.sign(), [a])
            check_cuda(lambda x: x.clamp(1, 2), [a])
            check_cuda(lambda x: x.square(), [a])

    def test_unary_special_values(self) -> None:
        a = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e30, -1e30, 2.5, -2.5, 0.5, -0.5], dtype=np.float32)
        for fn in (lambda x: x.exp(), lambda x: x.tanh(), lambda x: x.sigmoid(), lambda x: x.relu(),
                   lambda x: x.round(), lambda x: x.abs(), lambda x: x.clamp(-1, 1), lambda x: lib(x).isinf(x)):
            check_cuda(fn, [a], grad=False, rtol=4e-6, atol=0)

    @pytest.mark.parametrize("dtype", ALL_DTYPES)
    @pytest.mark.parametrize("layout", LAYOUTS)
    def test_where(self, dtype: str, layout: str) -> None:
        rng = np.random.default_rng(6)
        cond = random_array((17, 23), "bool", rng)
        a, b = random_array((17, 23), dtype, rng), random_array((23,), dtype, rng)
        check_cuda(lambda c, x, y: lib(x).where(c, x, y), [cond, a, b], layout=layout)
        check_cuda(lambda c, x: lib(x).where(c, x, 0), [cond, a], layout=layout)

    @pytest.mark.parametrize("src", ALL_DTYPES)
    @pytest.mark.parametrize("dst", ALL_DTYPES)
    def test_cast_every_pair(self, src: str, dst: str) -> None:
        # Negative floats to uint8 are undefined in C++ and differ between torch's devices.
        low = 0 if (src in FLOATS and dst == "uint8") else -100
        a = random_array((9, 31), src, np.random.default_rng(7), low=low, high=100)
        check_cuda(lambda x: x.to(getattr(lib(x), dst)), [a], layout="transposed", grad=False)

    @pytest.mark.parametrize("shape", SHAPES)
    def test_copy_and_fill(self, shape: tuple) -> None:
        a = random_array(shape, "float32", np.random.default_rng(8))
        check_cuda(lambda x: x.contiguous() * 1, [a], layout="strided")
        check_cuda(lambda x: x.clone(), [a], layout="transposed")

        def fill(x):
            y = x.detach().clone()
            y.fill_(2.5)
            return y

        check_cuda(fill, [a], grad=False)

    def test_assignment_through_views(self) -> None:
        def assign(device: str) -> np.ndarray:
            x = fasttensor.zeros(6, 8, device=device)
            x[::2, 1::3] = fasttensor.arange(9, dtype=fasttensor.float32, device=device).reshape(3, 3)
            x[1] = 7  # a Python number into a CUDA view
            x[:, 0] = fasttensor.tensor(-1.0)  # a 0-d CPU tensor
            x.t()[2].fill_(4)
            return host(x)

        np.testing.assert_array_equal(assign("cuda"), assign("cpu"))


# --- reductions ---------------------------------------------------------------------------

REDUCTIONS = {
    "sum": lambda x, d: x.sum() if d is None else x.sum(d),
    "mean": lambda x, d: x.mean() if d is None else x.mean(d),
    "prod": lambda x, d: x.prod() if d is None else x.prod(d if isinstance(d, int) else d[0]),
    "amax": lambda x, d: lib(x).amax(x, () if d is None else d),
    "amin": lambda x, d: lib(x).amin(x, () if d is None else d),
    "max_dim": lambda x, d: x.max(d if isinstance(d, int) else d[0]) if d is not None else x.max(),
    "argmax": lambda x, d: x.argmax() if d is None else x.argmax(d if isinstance(d, int) else d[0]),
    "argmin": lambda x, d: x.argmin() if d is None else x.argmin(d if isinstance(d, int) else d[0]),
    "all": lambda x, d: x.all() if d is None else x.all(d if isinstance(d, int) else d[0]),
    "any": lambda x, d: x.any() if d is None else x.any(d if isinstance(d, int) else d[0]),
    "var": lambda x, d: x.var() if d is None else x.var(d),
    "std": lambda x, d: x.std() if d is None else x.std(d),
}


ONE_DIM_REDUCTIONS = ("prod", "max_dim", "argmax", "argmin", "all", "any")
REDUCE_SHAPES = [((7,), None), ((7,), 0), ((5, 6), 1), ((5, 6), 0), ((4, 5, 6), (0, 2)), ((4, 5, 6), 1),
                 ((3, 4000), 1), ((3000, 3), 0), ((2, 3, 4, 5), (1, 3))]
REDUCE_CASES = [(name, shape, dims) for name in REDUCTIONS for shape, dims in REDUCE_SHAPES
                if not (name in ONE_DIM_REDUCTIONS and isinstance(dims, tuple))]
# PyTorch has no max / argmax of bool tensors.
DTYPE_REDUCE_CASES = [(dtype, name) for dtype in ALL_DTYPES
                      for name in ("sum", "prod", "amax", "amin", "argmax", "argmin", "all", "any")
                      if not (dtype == "bool" and name in ("amax", "amin", "argmax", "argmin"))]


@requires_gpu
class TestReduce:
    @pytest.mark.parametrize("name,shape,dims", REDUCE_CASES)
    @pytest.mark.parametrize("layout", LAYOUTS)
    def test_float(self, name: str, shape: tuple, dims: Any, layout: str) -> None:
        a = random_array(shape, "float32", np.random.default_rng(9), low=0.5 if name == "prod" else -3,
                         high=1.5 if name == "prod" else 3)
        check_cuda(lambda x: REDUCTIONS[name](x, dims), [a], layout=layout, terms=int(np.prod(shape)))

    @pytest.mark.parametrize("dtype,name", DTYPE_REDUCE_CASES)
    def test_every_dtype(self, dtype: str, name: str) -> None:
        low, high = (0.9, 1.1) if name == "prod" else (-3, 3)
        a = random_array((13, 70), dtype, np.random.default_rng(10), low=low, high=high)
        for dims in (None, 0, 1):
            check_cuda(lambda x: REDUCTIONS[name](x, dims), [a], layout="transposed", terms=910)

    @pytest.mark.parametrize("shape,dim", [(((1 << 22) + 3,), None), ((100000, 3), 0), ((3, 100000), 1),
                                           ((37, 5000), 1), ((5000, 37), 0), ((64, 64, 64), (0, 2))])
    def test_large_split_reductions(self, shape: tuple, dim: Any) -> None:
        a = random_array(shape, "float32", np.random.default_rng(11))
        n = int(np.prod(shape))
        check_cuda(lambda x: x.sum() if dim is None else x.sum(dim), [a], terms=n, grad=False)
        check_cuda(lambda x: x.amax() if dim is None else lib(x).amax(x, dim), [a], grad=False)
        if dim is None or isinstance(dim, int):
            check_cuda(lambda x: x.argmax() if dim is None else x.argmax(dim), [a], grad=False)
            a64 = a.astype(np.int64)
            check_cuda(lambda x: x.sum() if dim is None else x.sum(dim), [a64], grad=False)

    def test_argmax_ties_and_nan_pick_first(self) -> None:
        a = np.array([[1.0, 3.0, 3.0, 2.0], [np.nan, 1.0, np.nan, 5.0], [-np.inf] * 4], dtype=np.float32)
        check_cuda(lambda x: x.argmax(1), [a], grad=False)
        check_cuda(lambda x: x.argmin(1), [a], grad=False)
        check_cuda(lambda x: x.amax(1), [a], grad=False)
        check_cuda(lambda x: x.sum(1), [a], grad=False)

    def test_empty_and_zero_dim(self) -> None:
        check_cuda(lambda x: x.sum(1), [np.zeros((3, 0), dtype=np.float32)])
        check_cuda(lambda x: x.sum(0), [np.zeros((0, 3), dtype=np.float32)])
        check_cuda(lambda x: x.mean(), [np.array(2.5, dtype=np.float32)])
        check_cuda(lambda x: x.sum(), [np.array(4, dtype=np.int64)], grad=False)

    @pytest.mark.parametrize("dtype", ("uint8", "int32", "int64", "float32", "float64"))
    @pytest.mark.parametrize("shape,dim", [((7,), 0), ((5, 70), 1), ((70, 5), 0), ((3, 4, 5), 1), ((100003,), 0),
                                           ((), 0)])
    @pytest.mark.parametrize("layout", LAYOUTS)
    def test_cumsum(self, dtype: str, shape: tuple, dim: int, layout: str) -> None:
        a = random_array(shape, dtype, np.random.default_rng(12))
        check_cuda(lambda x: x.cumsum(dim), [a], layout=layout, terms=shape[dim] if shape else 1)


# --- matmul ---------------------------------------------------------------------------------


@requires_gpu
class TestMatmul:
    @pytest.mark.parametrize("shapes", [
        ((1, 1), (1, 1)), ((7, 13), (13, 5)), ((128, 256), (256, 64)), ((300, 520), (520, 270)),
        ((4, 33, 65), (4, 65, 17)), ((33, 65), (4, 65, 17)), ((8, 4096), (4096, 8)), ((5,), (5, 3)), ((6,), (6,)),
        ((0, 4), (4, 3)), ((3, 0), (0, 4)), ((2, 3, 1, 9), (3, 9, 2)),
    ])
    @pytest.mark.parametrize("dtype", FLOATS)
    @pytest.mark.parametrize("layout", LAYOUTS)
    def test_float(self, shapes: tuple, dtype: str, layout: str) -> None:
        rng = np.random.default_rng(13)
        a, b = random_array(shapes[0], dtype, rng, -1, 1), random_array(shapes[1], dtype, rng, -1, 1)
        k = shapes[0][-1]
        check_cuda(lambda x, y: x @ y, [a, b], layout=layout, terms=k)

    def test_large_tiles(self) -> None:
        rng = np.random.default_rng(14)
        a, b = random_array((1024, 768), "float32", rng, -1, 1), random_array((768, 1040), "float32", rng, -1, 1)
        check_cuda(lambda x, y: x @ y, [a, b], terms=768, grad=False)
        check_cuda(lambda x, y: x.t() @ y.t(), [a.T.copy(), b.T.copy()], terms=768, grad=False)
        # 13 x 14 tiles of 128 x 128: the large-tile kernel on any GPU of up to 182 SMs.
        a, b = random_array((1601, 40), "float32", rng, -1, 1), random_array((40, 1700), "float32", rng, -1, 1)
        check_cuda(lambda x, y: x @ y, [a, b], terms=40, grad=False)
        check_cuda(lambda x, y: x.t() @ y, [a.T.copy(), b], terms=40, grad=False)

    @pytest.mark.parametrize("kernel", SIMT_KERNELS)
    @pytest.mark.parametrize("shapes", [
        ((7, 13), (13, 5)), ((130, 70), (70, 200)), ((3, 65, 33), (3, 33, 129)),
        ((256, 64), (64, 300)), ((2, 128, 32), (2, 32, 128)),  # interior tiles (and edges)
        ((20, 3000), (3000, 30)), ((128, 1024), (1024, 128)),  # long K, few tiles: split across blocks
        ((0, 4), (4, 3)), ((3, 0), (0, 4)),
    ])
    @pytest.mark.parametrize("layout", LAYOUTS)
    def test_every_simt_kernel(self, kernel: str, shapes: tuple, layout: str) -> None:
        """Each fp32 kernel the shape heuristic or the benchmark's sweep may pick,
        forced, over odd sizes, tails of every tile, batches, split-K and views."""
        rng = np.random.default_rng(18)
        a, b = random_array(shapes[0], "float32", rng, -1, 1), random_array(shapes[1], "float32", rng, -1, 1)
        assert fasttensor._C._cuda.forced_matmul_kernel() == ""
        fasttensor._C._cuda.force_matmul_kernel(kernel)
        try:
            assert fasttensor._C._cuda.forced_matmul_kernel() == kernel
            check_cuda(lambda x, y: x @ y, [a, b], layout=layout, terms=shapes[0][-1])
        finally:
            fasttensor._C._cuda.force_matmul_kernel("")

    def test_forcing_an_unknown_kernel_raises(self) -> None:
        with pytest.raises(ValueError, match="unknown CUDA matmul kernel 'huge'.*64x64x16"):
            fasttensor._C._cuda.force_matmul_kernel("huge")
        assert fasttensor._C._cuda.forced_matmul_kernel() == ""

    @pytest.mark.parametrize("dtype", INTS)
    def test_integers(self, dtype: str) -> None:
        rng = np.random.default_rng(15)
        a, b = random_array((3, 17, 9), dtype, rng, 0, 5), random_array((3, 9, 11), dtype, rng, 0, 5)
        # torch has no integer matmul on CUDA ("baddbmm_cuda" not implemented): against the CPU only.
        check_cuda(lambda x, y: x @ y, [a, b], layout="transposed", compare_torch=False)

    def test_linear_accumulates_into_bias(self) -> None:
        rng = np.random.default_rng(16)
        x, w, bias = (random_array(s, "float32", rng, -1, 1) for s in ((37, 784), (50, 784), (50,)))
        check_cuda(lambda x, w, b: lib(x).nn.functional.linear(x, w, b), [x, w, bias], terms=784)

    def test_tf32_tensor_cores_when_enabled(self) -> None:
        rng = np.random.default_rng(17)
        a, b = random_array((257, 300), "float32", rng, -1, 1), random_array((300, 129), "float32", rng, -1, 1)
        expected = a.astype(np.float64) @ b.astype(np.float64)
        old = fasttensor.backends.cuda.matmul.allow_tf32
        try:
            fasttensor.backends.cuda.matmul.allow_tf32 = True
            for x, y in ((a, b), (a.T.copy(), b.T.copy())):
                xt, yt = fasttensor.tensor(x, device="cuda"), fasttensor.tensor(y, device="cuda")
                if x is not a:  # the same values through transposed views
                    xt, yt = xt.t(), yt.t()
                got = host(xt @ yt)
                # TF32 inputs keep 10 mantissa bits (rounding error <= 2^-11 each), so
                # each product of values in [-1, 1] is off by at most 2^-10; K = 300.
                err = np.abs(got - expected)
                assert err.max() <= 300 * 2.0 ** -10
                assert err.max() > 1e-4  # far above fp32 rounding: the tensor-core path ran
        finally:
            fasttensor.backends.cuda.matmul.allow_tf32 = old
        got = host(fasttensor.tensor(a, device="cuda") @ fasttensor.tensor(b, device="cuda"))
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)

    def test_bool_matmul_raises(self) -> None:
        x = fasttensor.ones(2, 2, dtype=fasttensor.bool, device="cuda")
        with pytest.raises(RuntimeError):
            x @ x


# --- softmax and losses ----------------------------------------------------------------------


@requires_gpu
class TestSoftmax:
    # Row lengths for every register-cached variant (a warp per row up to 1024: 1, 2, 4, ... 32
    # elements a lane; a block of 256 or 512 threads up to 16384) and past it (two passes).
    @pytest.mark.parametrize("shape,dim", [((5, 7), 1), ((6, 50), 1), ((9, 100), 1), ((4, 250), 1), ((3, 500), 1),
                                           ((64, 1000), 1), ((4, 2000), 1), ((5, 3000), 1), ((8, 5000), 1),
                                           ((2, 12000), 1), ((3, 20000), 1), ((3, 40000), 1),
                                           ((3, 1024), 1), ((2, 4096), 1), ((5, 96), 1),
                                           ((7, 5), 0), ((2, 3, 4), 1), ((9,), 0), ((), 0), ((0, 5), 1)])
    @pytest.mark.parametrize("log", [False, True])
    @pytest.mark.parametrize("dtype", FLOATS)
    def test_softmax(self, shape: tuple, dim: int, log: bool, dtype: str) -> None:
        a = random_array(shape, dtype, np.random.default_rng(18), -5, 5)
        fn = (lambda x: lib(x).log_softmax(x, dim)) if log else (lambda x: lib(x).softmax(x, dim))
        check_cuda(fn, [a], rtol=4e-6 if dtype == "float32" else 1e-13, atol=1e-6 if dtype == "float32" else 1e-13)

    @pytest.mark.parametrize("launch", SOFTMAX_LAUNCHES)
    @pytest.mark.parametrize("shape", [(5, 7), (9, 100), (70, 1024), (3, 96), (4, 1000), (2, 4096), (3, 3000),
                                       (1, 16384), (2, 20000)])
    @pytest.mark.parametrize("dtype", FLOATS)
    def test_every_forced_launch(self, launch: str, shape: tuple, dtype: str) -> None:
        """Each launch shape the benchmark's sweep may force on the forward's
        register-cached path (a warp per row in blocks of 1-8 warps, or a block
        per row), where the rows fit it, and the default elsewhere; misaligned
        rows take the scalar loads."""
        a = random_array((shape[0] * shape[1] + 1,), dtype, np.random.default_rng(23), -5, 5)
        tol = dict(rtol=4e-6, atol=1e-6) if dtype == "float32" else dict(rtol=1e-13, atol=1e-13)
        assert fasttensor._C._cuda.forced_softmax_launch() == ""
        fasttensor._C._cuda.force_softmax_launch(launch)
        try:
            assert fasttensor._C._cuda.forced_softmax_launch() == launch
            for log in (False, True):
                for view in (lambda x: x[:-1].reshape(shape), lambda x: x[1:].reshape(shape)):
                    fn = (lambda x: lib(x).log_softmax(view(x), 1)) if log else (lambda x: lib(x).softmax(view(x), 1))
                    check_cuda(fn, [a], grad=False, **tol)
        finally:
            fasttensor._C._cuda.force_softmax_launch("")

    def test_forcing_an_unknown_launch_raises(self) -> None:
        with pytest.raises(ValueError, match="unknown CUDA softmax launch '32x16'.*32x256 scalar"):
            fasttensor._C._cuda.force_softmax_launch("32x16")
        assert fasttensor._C._cuda.forced_softmax_launch() == ""

    @pytest.mark.parametrize("log", [False, True])
    def test_misaligned_rows_and_special_values(self, log: bool) -> None:
        a = random_array((6, 13), "float32", np.random.default_rng(19), -5, 5)
        a[0, 3] = -np.inf
        a[1, :] = -np.inf
        a[2, 5] = np.inf
        a[3, 7] = np.nan
        fn = (lambda x: lib(x).log_softmax(x[1:, 1:], 1)) if log else (lambda x: lib(x).softmax(x[1:, 1:], 1))
        check_cuda(fn, [a], grad=False, rtol=4e-6, atol=1e-6)

    @pytest.mark.parametrize("log", [False, True])
    @pytest.mark.parametrize("cols", [96, 1024, 4096])
    def test_rows_not_16_byte_aligned(self, log: bool, cols: int) -> None:
        """A contiguous input that starts one float into its storage: rows a
        multiple of 16 bytes long but not 16-byte aligned take the scalar loads."""
        a = random_array((3 * cols + 1,), "float32", np.random.default_rng(22), -5, 5)
        fn = (lambda x: lib(x).log_softmax(x[1:].reshape(3, cols), 1)) if log else \
            (lambda x: lib(x).softmax(x[1:].reshape(3, cols), 1))
        check_cuda(fn, [a], rtol=4e-6, atol=1e-6)

    @pytest.mark.parametrize("n,c", [(1, 3), (37, 10), (64, 1000), (5, 5000)])
    @pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
    def test_cross_entropy(self, n: int, c: int, reduction: str) -> None:
        rng = np.random.default_rng(20)
        logits = random_array((n, c), "float32", rng, -4, 4)
        target = rng.integers(0, c, size=n).astype(np.int64)
        check_cuda(lambda x, t: lib(x).nn.functional.cross_entropy(x, t, reduction=reduction), [logits, target],
                   rtol=4e-6, atol=1e-6, terms=c)

    @pytest.mark.parametrize("ignore_index", [-100, 3])
    @pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
    def test_cross_entropy_ignore_index(self, ignore_index: int, reduction: str) -> None:
        rng = np.random.default_rng(21)
        logits = random_array((41, 7), "float32", rng, -4, 4)
        target = rng.integers(0, 7, size=41).astype(np.int64)
        target[::3] = ignore_index  # a third of the rows ignored, the rest counted in the mean
        check_cuda(lambda x, t: lib(x).nn.functional.cross_entropy(x, t, ignore_index=ignore_index,
                                                                  reduction=reduction), [logits, target],
                   rtol=4e-6, atol=1e-6, terms=7)
        # Every row ignored: the mean is 0 / 0 = NaN and the gradient 0, as in PyTorch.
        x = fasttensor.tensor(logits[:4], device="cuda", requires_grad=True)
        loss = fasttensor.nn.functional.cross_entropy(x, fasttensor.full((4,), ignore_index, device="cuda"),
                                                      ignore_index=ignore_index, reduction=reduction)
        loss.sum().backward()
        assert (math.isnan(loss.item()) if reduction == "mean" else not host(loss).any())
        assert not host(x.grad).any()

    def test_cross_entropy_bad_target_raises_index_error(self) -> None:
        # The check is queued with the kernel (no synchronization per call) and raises
        # at the next read of a result, as PyTorch's device-side assert does on a GPU.
        logits = fasttensor.zeros(3, 4, device="cuda", requires_grad=True)
        loss = fasttensor.nn.functional.cross_entropy(logits, fasttensor.tensor([0, 7, 1], device="cuda"))
        with pytest.raises(IndexError, match="Target 7 is out of bounds"):
            loss.item()
        # Raised once; the device is still usable and the error word was cleared.
        assert loss.shape == () and fasttensor.zeros(2, device="cuda").sum().item() == 0
        loss = fasttensor.nn.functional.cross_entropy(logits, fasttensor.tensor([0, 3, 1], device="cuda"))
        assert abs(loss.item() - math.log(4)) < 1e-6
        # cuda.synchronize() and .cpu() are reads too; the first of several bad targets is named.
        fasttensor.nn.functional.cross_entropy(logits, fasttensor.tensor([-2, 0, 9], device="cuda"), reduction="none")
        with pytest.raises(IndexError, match="Target (-2|9) is out of bounds"):
            fasttensor.cuda.synchronize()
        bad = fasttensor.nn.functional.cross_entropy(logits, fasttensor.tensor([4, 0, 1], device="cuda"))
        with pytest.raises(IndexError, match="Target 4 is out of bounds"):
            bad.cpu()

    def test_deferred_target_check_is_settled_before_an_immediate_one(self) -> None:
        # An integer division by zero reads the error words at once: a bad target queued
        # before it is raised first, under its own name, and never as a division by zero.
        logits = fasttensor.zeros(2, 3, device="cuda")
        fasttensor.nn.functional.cross_entropy(logits, fasttensor.tensor([5, 0], device="cuda"))
        a, b = fasttensor.tensor([4, 6], device="cuda"), fasttensor.tensor([2, 3], device="cuda")
        with pytest.raises(IndexError, match="Target 5 is out of bounds"):
            a // b
        assert (a // b).tolist() == [2, 2]
        with pytest.raises(RuntimeError, match="ZeroDivisionError"):
            a // fasttensor.tensor([1, 0], device="cuda")
        assert fasttensor.nn.functional.cross_entropy(logits, fasttensor.tensor([2, 0], device="cuda")).item() == \
            pytest.approx(math.log(3))


# --- indexing ---------------------------------------------------------------------------------


@requires_gpu
class TestIndex:
    @pytest.mark.parametrize("dtype", ALL_DTYPES)
    def test_gather_every_dtype(self, dtype: str) -> None:
        a = random_array((7, 9, 5), dtype, np.random.default_rng(21))
        idx = np.array([3, -1, 0, 3, 6])
        for fn in (lambda x: x[lib(x).tensor(idx, device=x.device)],
                   lambda x: x[:, lib(x).tensor(idx, device=x.device)],
                   lambda x: x[lib(x).tensor(idx[:3], device=x.device), :, lib(x).tensor([0, 4, 2], device=x.device)],
                   lambda x: x[x] if dtype == "bool" else x[x > 1]):
            check_cuda(fn, [a], layout="strided")

    @pytest.mark.parametrize("dtype", ("int64",) + FLOATS)
    def test_gather_index_select_repeat_meshgrid(self, dtype: str) -> None:
        rng = np.random.default_rng(26)
        a = random_array((7, 9, 5), dtype, rng)
        idx = rng.integers(0, 9, size=(7, 12, 5))
        rows = np.array([6, 0, 6, 3])
        check_cuda(lambda x: x.gather(1, lib(x).tensor(idx, device=x.device)), [a], layout="strided", terms=3)
        check_cuda(lambda x: lib(x).gather(x, -1, lib(x).tensor(idx[:, :2, :3] % 5, device=x.device)), [a],
                   layout="transposed")
        check_cuda(lambda x: x.index_select(0, lib(x).tensor(rows, device=x.device)), [a], layout="strided", terms=2)
        check_cuda(lambda x: x.repeat(2, 1, 3, 1), [a], layout="transposed", terms=6)
        check_cuda(lambda x, y: lib(x).meshgrid(x[:, 0, 0], y, indexing="xy"), [a, a[0, :, 1]])

    def test_index_with_cpu_index_tensor(self) -> None:
        x = fasttensor.arange(12, dtype=fasttensor.float32, device="cuda").reshape(3, 4)
        np.testing.assert_array_equal(host(x[fasttensor.tensor([2, 0])]), np.arange(12.0).reshape(3, 4)[[2, 0]])

    def test_gradient_of_repeated_indices_accumulates(self) -> None:
        a = random_array((50, 3), "float32", np.random.default_rng(22))
        idx = np.random.default_rng(23).integers(0, 50, size=5000)
        check_cuda(lambda x: x[lib(x).tensor(idx, device=x.device)] * 2, [a], terms=200)
        check_cuda(lambda x: x.max(0)[0], [a])  # MaxBackward scatters into a 0-d view

    @pytest.mark.parametrize("dtype", ALL_DTYPES)
    def test_index_put(self, dtype: str) -> None:
        rng = np.random.default_rng(24)
        a = random_array((6, 5), dtype, rng)
        v = random_array((3, 5), dtype, rng)

        def put(device: str) -> np.ndarray:
            x = fasttensor.tensor(a, device=device)
            x[fasttensor.tensor([4, 0, 2], device=device)] = fasttensor.tensor(v, device=device)
            x[fasttensor.tensor([1], device=device), fasttensor.tensor([3], device=device)] = 1
            x[x.to(fasttensor.float32) > 2.5] = 0  # a bool mask and a Python number
            return host(x)

        np.testing.assert_array_equal(put("cuda"), put("cpu"))

    @pytest.mark.parametrize("dtype", ALL_DTYPES)
    @pytest.mark.parametrize("shape", [(), (0,), (9,), (4, 7), (3, 1, 5), (3000, 1000)])
    def test_nonzero(self, dtype: str, shape: tuple) -> None:
        a = random_array(shape, dtype, np.random.default_rng(25), -1, 1)
        if dtype in FLOATS:
            a = np.where(np.abs(a) < 0.5, 0, a).astype(dtype)
        check_cuda(lambda x: x.nonzero(), [a], layout="transposed", grad=False)


# --- sorting ---------------------------------------------------------------------------------------


@requires_gpu
class TestSort:
    @pytest.mark.parametrize("dtype", ALL_DTYPES)
    @pytest.mark.parametrize("shape,dim", [((), 0), ((0, 3), 1), ((7,), 0), ((5, 9), 1), ((5, 9), 0), ((3, 2, 33), -1),
                                           ((2, 3000), 1), ((2000, 3), 1)], ids=str)
    @pytest.mark.parametrize("descending", [False, True])
    def test_sort_matches_the_cpu(self, dtype: str, shape: tuple, dim: int, descending: bool) -> None:
        rng = np.random.default_rng(30)
        if dtype in FLOATS:  # ties and NaNs: the order is the stable one on both devices
            a = rng.integers(-4, 5, size=shape).astype(dtype)
            if a.size:
                a.reshape(-1)[rng.integers(0, a.size, size=max(1, a.size // 9))] = np.nan
        else:
            a = random_array(shape, dtype, rng)
        check_cuda(lambda x: tuple(x.sort(dim=dim, descending=descending, stable=True)), [a], layout="strided",
                   grad=False)
        check_cuda(lambda x: lib(x).argsort(x, dim=dim, descending=descending, stable=True), [a], grad=False)

    @pytest.mark.parametrize("dtype", FLOATS)
    def test_topk_and_gradients(self, dtype: str) -> None:
        a = random_array((6, 1000), dtype, np.random.default_rng(31))  # distinct values: torch's tie order is free
        check_cuda(lambda x: tuple(x.topk(7, 1)), [a], layout="transposed")
        check_cuda(lambda x: tuple(lib(x).topk(x, 2, dim=0, largest=False)), [a])
        check_cuda(lambda x: x.sort(1, descending=True).values * 2, [a], layout="strided")


# --- random numbers ------------------------------------------------------------------------------


def philox(counters: np.ndarray, seed: int, high: int = 0) -> np.ndarray:
    """Philox 4x32-10 of each counter under key seed, as (len, 4) uint64 words (NumPy reference); `high`:
    the upper 64 bits of the 128-bit counters."""
    mask = np.uint64(0xFFFFFFFF)
    c0, c1 = counters & mask, counters >> np.uint64(32)
    c2, c3 = np.full_like(counters, high & 0xFFFFFFFF), np.full_like(counters, high >> 32)
    k0, k1 = np.uint64(seed & 0xFFFFFFFF), np.uint64(seed >> 32)
    for _ in range(10):
        p0, p1 = np.uint64(0xD2511F53) * c0, np.uint64(0xCD9E8D57) * c2
        c0, c1, c2, c3 = (p1 >> np.uint64(32)) ^ c1 ^ k0, p1 & mask, (p0 >> np.uint64(32)) ^ c3 ^ k1, p0 & mask
        k0, k1 = (k0 + np.uint64(0x9E3779B9)) & mask, (k1 + np.uint64(0xBB67AE85)) & mask
    return np.stack([c0, c1, c2, c3], axis=1)


def philox_words(n: int, seed: int, offset: int, second: bool = False) -> np.ndarray:
    """The n words a CUDA fill draws: element i is lane i % 4 of counter offset + i // 4."""
    key = seed ^ 0x9E3779B97F4A7C15 if second else seed
    return philox(np.arange(offset, offset + (n + 3) // 4, dtype=np.uint64), key).reshape(-1)[:n]


def element_uniforms(seed: int, counters: np.ndarray, blocks: int) -> np.ndarray:
    """(len, 2 * blocks): the first uniforms of the Poisson / binomial stream of each element, whose counter
    is c: block j is Philox at counter (j << 64) | c, lanes 0-1 and 2-3 two 53-bit uniforms."""
    out = np.empty((len(counters), 2 * blocks))
    for j in range(blocks):
        w = philox(counters, seed, j)
        for half in range(2):
            bits = ((w[:, 2 * half] << np.uint64(21)) ^ (w[:, 2 * half + 1] >> np.uint64(11))) & np.uint64(2**53 - 1)
            out[:, 2 * j + half] = bits.astype(np.float64) * 2.0**-53
    return out


def check_counts(x: np.ndarray, log_pmf: Callable[[np.ndarray], np.ndarray], mean: float, var: float,
                 mu4: float) -> None:
    """Draws x against a count distribution (fixed seeds: each bound about 5 standard errors): the mean (its
    error sqrt(var / N)), the sample variance (sqrt((mu4 - var^2) / N)), the lag-1 correlation of neighbours
    (1 / sqrt(N)), and a chi-square test of the histogram over the counts expected >= 20 times and the rest
    lumped, against the chi-square quantile of p = 3e-7 (Wilson-Hilferty)."""
    n = len(x)
    assert (x == np.round(x)).all() and x.min() >= 0
    assert abs(x.mean() - mean) < 5 * math.sqrt(var / n)
    assert abs(x.var() - var) < 5 * math.sqrt((mu4 - var**2) / n)
    if var > 0:
        assert abs(np.corrcoef(x[:-1], x[1:])[0, 1]) < 5 / math.sqrt(n)
    ks = np.arange(int(max(0.0, mean - 12 * math.sqrt(var) - 2)), int(mean + 12 * math.sqrt(var) + 3))
    expected = n * np.exp(log_pmf(ks.astype(np.float64)))
    kept = expected >= 20
    at = x.astype(np.int64) - ks[0]
    observed = np.bincount(at[(at >= 0) & (at < len(ks))], minlength=len(ks))[kept].astype(np.float64)
    rest_observed, rest_expected = n - observed.sum(), max(0.0, n - expected[kept].sum())
    chi2 = (((observed - expected[kept]) ** 2) / expected[kept]).sum()
    df = int(kept.sum()) - 1
    if rest_expected >= 20:
        chi2 += (rest_observed - rest_expected) ** 2 / rest_expected
        df += 1
    else:
        assert rest_observed < rest_expected + 5 * math.sqrt(rest_expected) + 5
    z = 5.0  # standard normal quantile of 1 - 3e-7
    assert df >= 1 and chi2 < df * (1 - 2 / (9 * df) + z * math.sqrt(2 / (9 * df))) ** 3


def poisson_log_pmf(rate: float) -> Callable[[np.ndarray], np.ndarray]:
    lgamma = np.vectorize(math.lgamma)
    return lambda k: k * math.log(rate) - rate - lgamma(k + 1)


def binomial_log_pmf(count: float, p: float) -> Callable[[np.ndarray], np.ndarray]:
    lgamma = np.vectorize(math.lgamma)

    def log_pmf(k: np.ndarray) -> np.ndarray:
        inside = (k >= 0) & (k <= count)
        k = np.clip(k, 0, count)
        value = (math.lgamma(count + 1) - lgamma(k + 1) - lgamma(count - k + 1) + k * math.log(p)
                 + (count - k) * math.log1p(-p))
        return np.where(inside, value, -np.inf)
    return log_pmf


# Draws per distribution checked on CUDA.
N_DRAWS = 1_000_000


# A script that saves Poisson and binomial counts drawn on CUDA (for runs under other launch grids).
LAUNCH_SCRIPT = """
import sys
import numpy as np
import fasttensor as ft
ft.manual_seed(77)
n = 60000
rate = (ft.arange(n, dtype=ft.float64, device="cuda") % 61) * 0.5
prob = ft.rand(n, device="cuda")
counts = [ft.poisson(rate), ft.poisson(rate.float()), ft.binomial(ft.full((n,), 40.0, device="cuda"), prob),
          ft.binomial(ft.full((n,), 3.0, device="cuda"), prob)]
np.save(sys.argv[1], np.stack([c.cpu().numpy().astype(np.float64) for c in counts]))
"""


@requires_gpu
class TestRandom:
    def test_bernoulli_multinomial_unique(self) -> None:
        fasttensor.manual_seed(99)
        p = fasttensor.tensor([0.1, 0.5, 0.9], device="cuda").repeat(1000, 1)
        draws = host(fasttensor.bernoulli(p))
        fasttensor.manual_seed(99)
        np.testing.assert_array_equal(draws, host(fasttensor.rand(1000, 3, device="cuda") < p))  # uniforms below p
        np.testing.assert_allclose(draws.mean(0), [0.1, 0.5, 0.9], atol=0.05)
        probs = fasttensor.tensor([[1.0, 0.0, 3.0], [0.0, 2.0, 2.0]], device="cuda")
        with_repl = fasttensor.multinomial(probs, 5000, replacement=True)
        assert with_repl.is_cuda
        counts = np.bincount(host(with_repl[0]), minlength=3) / 5000
        np.testing.assert_allclose(counts, [0.25, 0.0, 0.75], atol=0.03)
        picks = host(fasttensor.multinomial(probs, 2))
        assert sorted(picks[0].tolist()) == [0, 2] and sorted(picks[1].tolist()) == [1, 2]
        kept = host(fasttensor.nn.functional.dropout(fasttensor.ones(4000, device="cuda"), 0.25))
        assert set(np.unique(kept).tolist()) == {0.0, np.float32(1) / np.float32(0.75)}
        assert abs((kept == 0).mean() - 0.25) < 0.03
        a = random_array((40, 7), "int64", np.random.default_rng(32))
        check_cuda(lambda x: lib(x).unique(x, return_inverse=True, return_counts=True), [a], grad=False)

    @pytest.mark.parametrize("n", [1, 5, 1000003])
    @pytest.mark.parametrize("dtype", FLOATS)
    def test_philox_streams(self, n: int, dtype: str) -> None:
        # CUDA draws the counter-based Philox stream: each fill takes the next (n + 3) // 4 counters
        # of the CUDA generator (seeded by manual_seed, or a Generator of its own).
        dt = getattr(fasttensor, dtype)
        seed, counters = 1234, (n + 3) // 4
        fasttensor.manual_seed(seed)
        u = host(fasttensor.rand(n, dtype=dt, device="cuda"))
        z = host(fasttensor.randn(n, dtype=dt, device="cuda").double())
        i = host(fasttensor.randint(-5, 17, (n,), device="cuda"))
        ug = host(fasttensor.rand(n, generator=fasttensor.Generator("cuda").manual_seed(99), dtype=dt,
                                  device="cuda"))

        def uniform(offset: int, key: int, count: int = n) -> np.ndarray:
            w = philox_words(count, key, offset)
            if dtype == "float32":
                return ((w >> np.uint64(8)).astype(np.float64) * 2.0**-24).astype(np.float32)
            lo = philox_words(count, key, offset, second=True)
            bits = ((w << np.uint64(21)) ^ (lo >> np.uint64(11))) & np.uint64(2**53 - 1)
            return bits.astype(np.float64) * 2.0**-53

        np.testing.assert_array_equal(u, uniform(0, seed))
        np.testing.assert_array_equal(ug, uniform(0, 99))
        un = uniform(counters, seed, 2 * ((n + 1) // 2)).astype(np.float64)  # whole pairs: a counter has 4 lanes
        radius = np.sqrt(-2.0 * np.log(1.0 - un[0::2]))
        angle = 6.283185307179586 * un[1::2]
        ref = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1).reshape(-1)[:n]
        np.testing.assert_allclose(z, ref.astype(np.float32 if dtype == "float32" else np.float64),
                                   rtol=1e-6 if dtype == "float32" else 1e-14, atol=1e-6 if dtype == "float32" else 1e-14)
        hi = philox_words(n, seed, 2 * counters)
        lo = philox_words(n, seed, 2 * counters, second=True)
        np.testing.assert_array_equal(i, (((hi << np.uint64(32)) | lo) % np.uint64(22)).astype(np.int64) - 5)

    def test_uniform_and_normal_in_place(self) -> None:
        # A non-contiguous tensor takes its draws in memory order.
        fasttensor.manual_seed(5)
        x = fasttensor.empty(10, 7, device="cuda").t()
        x.uniform_(-2, 3)
        y = fasttensor.empty(33, device="cuda").normal_(1.5, 0.25)
        fasttensor.manual_seed(5)
        np.testing.assert_array_equal(host(x.t()), host(fasttensor.empty(10, 7, device="cuda").uniform_(-2, 3)))
        np.testing.assert_array_equal(host(y), host(fasttensor.empty(33, device="cuda").normal_(1.5, 0.25)))
        assert host(x).min() >= -2 and host(x).max() < 3

    # Poisson: a product of uniforms under rate 10, PTRS from 10; binomial: inversion under count * p = 10,
    # BTRS from there, p > 1/2 by symmetry (cpu/random_counts.h, the CPU's samplers); N_DRAWS draws of
    # each, against the bounds of check_counts.
    @pytest.mark.parametrize("rate", [0.05, 1.0, 3.5, 9.9, 10.0, 25.0, 400.0, 1e6])
    @pytest.mark.parametrize("dtype", FLOATS)
    def test_poisson_distribution(self, rate: float, dtype: str) -> None:
        fasttensor.manual_seed(31)
        dt = getattr(fasttensor, dtype)
        x = host(fasttensor.poisson(fasttensor.full((N_DRAWS,), rate, dtype=dt, device="cuda")))
        assert x.dtype == dtype
        rate = float(np.array(rate, dtype=dtype))  # the rate as stored
        check_counts(x.astype(np.float64), poisson_log_pmf(rate), rate, rate, rate * (1 + 3 * rate))

    @pytest.mark.parametrize("count, p", [(5.0, 0.3), (19.0, 0.5), (8.0, 0.9), (39.0, 0.75), (30.0, 0.5),
                                          (100.0, 0.3), (100.0, 0.8), (1000.0, 0.02), (1e6, 0.5)])
    @pytest.mark.parametrize("dtype", FLOATS)
    def test_binomial_distribution(self, count: float, p: float, dtype: str) -> None:
        dt = getattr(fasttensor, dtype)
        fasttensor.manual_seed(32)
        x = host(fasttensor.binomial(fasttensor.full((N_DRAWS,), count, dtype=dt, device="cuda"),
                                     fasttensor.full((N_DRAWS,), p, dtype=dt, device="cuda")))
        assert x.dtype == dtype and x.max() <= count
        p = float(np.array(p, dtype=dtype))
        mean, var = count * p, count * p * (1 - p)
        check_counts(x.astype(np.float64), binomial_log_pmf(count, p), mean, var,
                     var * (1 + 3 * (count - 2) * p * (1 - p)))

    @pytest.mark.parametrize("dtype", FLOATS)
    def test_poisson_and_binomial_streams(self, dtype: str) -> None:
        # Element i of a call whose generator stands at counter c draws its own stream: block j at Philox
        # counter (j << 64) | (c + i), two 53-bit uniforms each; the call moves the generator on by one
        # counter per element. NumPy redoes the small-mean samplers from those uniforms: the count of
        # running products above exp(-rate); successes = geometric waits ceil(log u / log1p(-p)) that fit
        # in count (with 1 - p above 1/2; float64 only: float's log1pf may round otherwise).
        dt = getattr(fasttensor, dtype)
        rng = np.random.default_rng(41)
        n, seed, start = 3001, 4321, 10
        rates = rng.uniform(0, 9.99, n).astype(dtype)
        rates[::7] = 0
        fasttensor.manual_seed(seed)
        fasttensor.rand(4 * start, device="cuda")  # the generator now stands at counter `start`
        got = host(fasttensor.poisson(fasttensor.tensor(rates, device="cuda")))
        u = element_uniforms(seed, np.arange(start, start + n, dtype=np.uint64), 20)
        products = np.cumprod(u, axis=1)
        threshold = np.exp(-rates.astype(np.float64))[:, None]
        assert (products[:, -1] <= threshold[:, 0]).all()  # 40 uniforms were enough for every element
        np.testing.assert_array_equal(got, (products > threshold).sum(axis=1).astype(dtype))
        count = rng.integers(0, 40, n).astype(dtype)
        p = rng.uniform(0, 1, n).astype(dtype)
        q = np.minimum(p, 1 - p)
        small = count * q < 10
        got = host(fasttensor.binomial(fasttensor.tensor(count, device="cuda"), fasttensor.tensor(p, device="cuda")))
        if dtype == "float64":
            u = element_uniforms(seed, np.arange(start + n, start + 2 * n, dtype=np.uint64), 20)
            waits = np.cumsum(np.ceil(np.log(u) / np.log1p(-q)[:, None]), axis=1)
            successes = (waits <= count[:, None]).sum(axis=1)  # 40 waits of >= 1 trial pass any count < 40
            want = np.where(p <= 0.5, successes, count - successes)
            np.testing.assert_array_equal(got[small], want[small])
        assert (got == np.round(got)).all() and (got >= 0).all() and (got <= count).all()
        after = host(fasttensor.rand(8, device="cuda"))
        fasttensor.manual_seed(seed)
        fasttensor.rand(4 * (start + 2 * n), device="cuda")
        np.testing.assert_array_equal(after, host(fasttensor.rand(8, device="cuda")))

    def test_poisson_and_binomial_seeds(self) -> None:
        rate = fasttensor.full((1000,), 30.0, device="cuda")
        count, prob = fasttensor.full((1000,), 50.0, device="cuda"), fasttensor.full((1000,), 0.4, device="cuda")
        fasttensor.manual_seed(12)
        first = [host(fasttensor.poisson(rate)), host(fasttensor.binomial(count, prob))]
        again = [host(fasttensor.poisson(rate)), host(fasttensor.binomial(count, prob))]
        fasttensor.manual_seed(12)
        np.testing.assert_array_equal(host(fasttensor.poisson(rate)), first[0])
        np.testing.assert_array_equal(host(fasttensor.binomial(count, prob)), first[1])
        g = fasttensor.Generator("cuda").manual_seed(12)
        np.testing.assert_array_equal(host(fasttensor.poisson(rate, generator=g)), first[0])
        np.testing.assert_array_equal(host(fasttensor.binomial(count, prob, generator=g)), first[1])
        assert (again[0] != first[0]).mean() > 0.9 and (again[1] != first[1]).mean() > 0.8

    @pytest.mark.parametrize("dtype", FLOATS)
    def test_poisson_and_binomial_edges(self, dtype: str) -> None:
        # The CPU's values: rate 0 -> 0, a count past int64 (an infinite rate too) -> -2^63 (torch's CPU
        # value); count <= 0 or p <= 0 -> 0, p >= 1 -> count, a NaN p, or a NaN count with 0 < p < 1 -> NaN.
        dt = getattr(fasttensor, dtype)
        rates = [0.0, float("inf"), 1e30, 1e19] + ([1e300, 9.3e18] if dtype == "float64" else [])
        got = host(fasttensor.poisson(fasttensor.tensor(rates, dtype=dt, device="cuda")))
        assert got.tolist() == [0.0] + [-(2.0**63)] * (len(rates) - 1)
        np.testing.assert_array_equal(got, fasttensor.poisson(fasttensor.tensor(rates, dtype=dt)).numpy())
        nan = float("nan")
        count = [0.0, 5.0, 5.0, 5.0, 5.0, -2.0, 6.0, nan, nan, 0.0, nan, nan, 7.0]
        p = [0.5, 0.0, 1.0, 1.5, -0.5, 0.5, nan, 0.0, 0.4, nan, 1.0, -1.0, 1.0]
        got = host(fasttensor.binomial(fasttensor.tensor(count, dtype=dt, device="cuda"),
                                       fasttensor.tensor(p, dtype=dt, device="cuda")))
        np.testing.assert_array_equal(got, [0, 0, 5, 5, 0, 0, nan, 0, nan, 0, nan, 0, 7])
        zero = fasttensor.poisson(fasttensor.zeros(4, 3, dtype=dt, device="cuda"))
        assert zero.is_cuda and zero.dtype == dt and host(zero).tolist() == [[0.0] * 3] * 4
        # 0-d and empty tensors; an empty call leaves the generator where it was
        assert fasttensor.poisson(fasttensor.tensor(7.0, dtype=dt, device="cuda")).shape == ()
        fasttensor.manual_seed(3)
        empty = [fasttensor.poisson(fasttensor.empty(0, 3, dtype=dt, device="cuda")),
                 fasttensor.binomial(fasttensor.empty(0, dtype=dt, device="cuda"),
                                     fasttensor.empty(0, dtype=dt, device="cuda"))]
        assert [tuple(e.shape) for e in empty] == [(0, 3), (0,)] and all(e.is_cuda for e in empty)
        u = host(fasttensor.rand(5, device="cuda"))
        fasttensor.manual_seed(3)
        np.testing.assert_array_equal(u, host(fasttensor.rand(5, device="cuda")))

    @pytest.mark.parametrize("dtype", FLOATS)
    def test_poisson_rate_errors(self, dtype: str) -> None:
        # A negative or NaN rate raises the CPU's error (PyTorch's CUDA kernel fails a device assert, which
        # spoils the context) once the kernel is done, the generator moved on by the call; the device works on.
        dt = getattr(fasttensor, dtype)
        for bad in (-1.0, float("nan"), -float("inf")):
            fasttensor.manual_seed(1)
            with pytest.raises(RuntimeError, match="invalid Poisson rate, expected rate to be non-negative"):
                fasttensor.poisson(fasttensor.tensor([[2.0, 40.0, bad, 3.0]], dtype=dt, device="cuda").t())
            after_error = host(fasttensor.rand(3, device="cuda"))
            fasttensor.manual_seed(1)
            fasttensor.poisson(fasttensor.full((4, 1), 2.0, dtype=dt, device="cuda"))
            np.testing.assert_array_equal(host(fasttensor.rand(3, device="cuda")), after_error)
        with pytest.raises(NotImplementedError, match="\"poisson_cuda\" not implemented for 'Long'"):
            fasttensor.poisson(fasttensor.ones(3, dtype=fasttensor.int64, device="cuda"))
        with pytest.raises(ValueError, match="binomial only supports floating-point dtypes for count"):
            fasttensor.binomial(fasttensor.ones(2, dtype=fasttensor.int64, device="cuda"),
                                fasttensor.ones(2, device="cuda"))
        with pytest.raises(RuntimeError, match=r"(?=.*cpu)(?=.*cuda)"):
            fasttensor.binomial(fasttensor.ones(2, device="cuda"), fasttensor.ones(2))
        assert host(fasttensor.poisson(fasttensor.full((2,), 3.0, dtype=dt, device="cuda"))).min() >= 0

    def test_poisson_and_binomial_layouts(self) -> None:
        # The elements draw in the output's memory order whatever the inputs' layout: a view or a broadcast
        # gives the counts of its contiguous copy; where prob widens count, the output takes prob's
        # memory order (as the CPU's, with its warning).
        def same(make: Callable[[], Any], reference: Callable[[], Any]) -> None:
            fasttensor.manual_seed(8)
            got = make()
            fasttensor.manual_seed(8)
            want = reference()
            assert got.is_cuda and got.shape == want.shape and got.stride() == want.stride()
            np.testing.assert_array_equal(host(got), host(want))

        f = fasttensor
        r = f.arange(35.0, device="cuda").view(7, 5)
        same(lambda: f.poisson(r.t()), lambda: f.poisson(r.t().contiguous()))
        r = f.arange(48.0, device="cuda").view(4, 12)[:, ::3]
        same(lambda: f.poisson(r), lambda: f.poisson(r.contiguous()))
        same(lambda: f.poisson(f.full((1, 3), 12.5, dtype=f.float64, device="cuda").expand(4, 3)),
             lambda: f.poisson(f.full((4, 3), 12.5, dtype=f.float64, device="cuda")))
        c, p = f.full((6, 4), 30.0, device="cuda").t(), f.linspace(0, 1, 24, device="cuda").view(4, 6)
        same(lambda: f.binomial(c, p), lambda: f.binomial(c.contiguous(), p))
        c, p = f.arange(20.0, device="cuda").view(4, 5)[:, ::2] * 5, f.full((4, 1), 0.4, device="cuda")
        same(lambda: f.binomial(c, p), lambda: f.binomial(c.contiguous(), p.expand(4, 3).contiguous()))
        p = f.rand(3, 4, device="cuda")
        with pytest.warns(UserWarning, match="was resized"):
            same(lambda: f.binomial(f.full((1,), 9.0, device="cuda"), p.t()),
                 lambda: f.binomial(f.full((3, 4), 9.0, device="cuda"), p).t())

    def test_poisson_and_binomial_gradients(self) -> None:
        # poisson: PoissonBackward0, a zero gradient (through a broadcast too); binomial: a node whose
        # backward raises, as on the CPU.
        rate = fasttensor.tensor([[1.0, 30.0]], dtype=fasttensor.float64, device="cuda", requires_grad=True)
        y = fasttensor.poisson(rate.expand(3, 2))
        (y * 2).sum().backward()
        assert repr(y.grad_fn).split()[0].strip("<") == "PoissonBackward0"
        assert rate.grad.is_cuda and rate.grad.dtype == fasttensor.float64 and host(rate.grad).tolist() == [[0.0, 0.0]]
        with fasttensor.no_grad():
            assert not fasttensor.poisson(rate).requires_grad
        count = fasttensor.tensor([10.0, 3.0], device="cuda", requires_grad=True)
        b = fasttensor.binomial(count, fasttensor.tensor([0.5, 0.2], device="cuda"))
        assert b.requires_grad and repr(b.grad_fn).split()[0].strip("<") == "NotImplemented"
        with pytest.raises(RuntimeError, match="derivative for aten::binomial is not implemented"):
            b.sum().backward()

    def test_poisson_and_binomial_do_not_depend_on_the_launch(self, tmp_path: Any) -> None:
        # The emulator's multiprocessor count sizes the grids (at most 64 blocks per multiprocessor): with
        # one, each thread of the grid-stride loop draws several elements, with 132 one each.
        if fasttensor.cuda.get_device_name(0) != "fasttensor CUDA emulator":
            pytest.skip("only the CUDA emulator lets a test choose the launch grid (FT_CUDA_EMU_SMS)")
        package_dir = os.path.dirname(os.path.dirname(os.path.abspath(fasttensor.__file__)))
        runs = []
        for sms in ("1", "132"):
            env = dict(os.environ, FT_CUDA_EMU_SMS=sms,
                       PYTHONPATH=package_dir + os.pathsep + os.environ.get("PYTHONPATH", ""))
            out = tmp_path / f"counts_{sms}.npy"
            subprocess.run([sys.executable, "-c", LAUNCH_SCRIPT, str(out)], env=env, check=True, timeout=600)
            runs.append(np.load(out))
        np.testing.assert_array_equal(runs[0], runs[1])
        assert np.unique(runs[0][0]).size > 20 and np.unique(runs[0][2]).size > 10


# --- optimizers and training ----------------------------------------------------------------------


def train_mlp(device: str, optimizer: str, steps: int = 3) -> tuple:
    """A 784-256-10 MLP trained for a few steps on fixed data; returns (losses, weights)."""
    nn = fasttensor.nn
    fasttensor.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10)).to(device)
    rng = np.random.default_rng(26)
    x = fasttensor.tensor(rng.uniform(0, 1, size=(64, 1, 28, 28)).astype(np.float32), device=device)
    y = fasttensor.tensor(rng.integers(0, 10, size=64), device=device)
    if optimizer == "sgd":
        opt = fasttensor.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-3)
    elif optimizer == "adam":
        opt = fasttensor.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-3)
    else:
        opt = fasttensor.optim.AdamW(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return np.array(losses), [host(p) for p in model.parameters()]


@requires_gpu
class TestTraining:
    @pytest.mark.parametrize("optimizer", ["sgd", "adam", "adamw"])
    def test_mlp_training_steps_match_cpu(self, optimizer: str) -> None:
        cpu_losses, cpu_weights = train_mlp("cpu", optimizer)
        gpu_losses, gpu_weights = train_mlp("cuda", optimizer)
        np.testing.assert_allclose(gpu_losses, cpu_losses, rtol=1e-4)
        for g, c in zip(gpu_weights, cpu_weights):
            np.testing.assert_allclose(g, c, rtol=1e-3, atol=1e-5)

    def test_plain_sgd_step(self) -> None:
        rng = np.random.default_rng(27)
        w0, g0 = random_array((1001,), "float32", rng), random_array((1001,), "float32", rng)
        results = []
        for device in ("cpu", "cuda"):
            w = fasttensor.tensor(w0, device=device, requires_grad=True)
            opt = fasttensor.optim.SGD([w], lr=0.05)
            w.grad = fasttensor.tensor(g0, device=device)
            opt.step()
            results.append(host(w))
        np.testing.assert_allclose(results[1], results[0], rtol=1e-6, atol=1e-7)

    @pytest.mark.parametrize("options", [dict(), dict(momentum=0.9, weight_decay=0.01),
                                         dict(momentum=0.8, nesterov=True), dict(momentum=0.5, dampening=0.3)])
    def test_sgd_over_many_parameters(self, options: dict) -> None:
        # 46 float32 parameters (36 with elements and a gradient: two launches of at most 32),
        # then 5 float64 ones (a run of their own), odd and empty sizes, some without a
        # gradient; three steps, so that the momentum buffers are made and then reused.
        rng = np.random.default_rng(28)
        shapes = [(int(rng.integers(1, 3000)),) if i % 7 else (0,) for i in range(50)] + [(3, 1025)]
        dtypes = ["float32"] * 46 + ["float64"] * 5
        values = [random_array(sh, dt, rng) for sh, dt in zip(shapes, dtypes)]
        grads = [[random_array(sh, dt, rng) for sh, dt in zip(shapes, dtypes)] for _ in range(3)]
        results = {}
        for device in ("cpu", "cuda"):
            params = [fasttensor.tensor(v, device=device, requires_grad=True) for v in values]
            opt = fasttensor.optim.SGD(params, lr=0.05, **options)
            for step in range(3):
                for i, p in enumerate(params):
                    p.grad = None if i % 11 == 3 else fasttensor.tensor(grads[step][i], device=device)
                opt.step()
            results[device] = [host(p) for p in params]
        for g, c in zip(results["cuda"], results["cpu"]):
            np.testing.assert_allclose(g, c, rtol=1e-6, atol=1e-7)


# --- device semantics --------------------------------------------------------------------------------


@requires_gpu
class TestDevice:
    def test_moving_between_devices(self) -> None:
        a = np.arange(12, dtype=np.float32).reshape(3, 4)
        x = fasttensor.tensor(a)
        for g in (x.to("cuda"), x.cuda(), x.to(fasttensor.device("cuda", 0)), x.to("cuda:0")):
            assert g.is_cuda and g.device.type == "cuda" and g.device.index == 0
            back = g.cpu()
            assert back.device.type == "cpu"
            np.testing.assert_array_equal(back.numpy(), a)
        np.testing.assert_array_equal(host(x.t().cuda()), a.T)  # a non-contiguous source

    def test_save_and_load_keep_or_map_the_device(self) -> None:
        buf = io.BytesIO()
        fasttensor.save({"w": fasttensor.nn.Parameter(fasttensor.arange(6.0, device="cuda").reshape(2, 3).T)}, buf)
        for location, device in ((None, "cuda:0"), ("cpu", "cpu"), ({"cuda:0": "cpu"}, "cpu"), ("cuda", "cuda:0")):
            buf.seek(0)
            w = fasttensor.load(buf, map_location=location)["w"]
            assert str(w.device) == device and isinstance(w, fasttensor.nn.Parameter) and w.requires_grad
            np.testing.assert_array_equal(host(w.detach()), np.arange(6.0, dtype=np.float32).reshape(2, 3).T)

    def test_composite_helpers_run_on_the_gpu(self) -> None:
        # linalg norms, isclose, one_hot and gradient clipping are composed of other ops: they stay on the device.
        a = random_array((3, 4, 5), "float32", np.random.default_rng(27))
        for ord_, dim in ((None, None), (1, (2, 0)), (float("inf"), (1, 2)), (0, 1)):
            check_cuda(lambda x: (fasttensor.linalg if lib(x) is fasttensor else torch.linalg).norm(x, ord_, dim), [a],
                       layout="strided", terms=20, grad=ord_ != 0)
        t = np.random.default_rng(28).uniform(0, 1, a.shape).astype(np.float32)
        labels_np = np.random.default_rng(29).integers(0, 4, (3, 5))
        for fn in (lambda x, y: lib(x).nn.functional.gelu(x), lambda x, y: lib(x).nn.functional.elu(x * 40),
                   lambda x, y: lib(x).nn.functional.softplus(x * 40), lambda x, y: lib(x).nn.functional.silu(x),
                   lambda x, y: lib(x).nn.functional.leaky_relu(x, 0.2),
                   lambda x, y: lib(x).nn.functional.huber_loss(x, y, delta=0.5),
                   lambda x, y: lib(x).nn.functional.binary_cross_entropy_with_logits(x, y),
                   lambda x, y: lib(x).nn.functional.binary_cross_entropy(y, x.sigmoid()),
                   lambda x, y: lib(x).nn.functional.nll_loss(x.log_softmax(1),
                                                              lib(x).tensor(labels_np, device=x.device))):
            check_cuda(fn, [a, t], terms=60)
        for fn in (lambda x, y: x.flip((0, 2)), lambda x, y: x.roll((2, -1), (1, 2)), lambda x, y: x.triu(1),
                   lambda x, y: x.tril(-1), lambda x, y: x[1].diag(1), lambda x, y: x[0, 1].diag(-2),
                   lambda x, y: lib(x).outer(x[0, 0], y[1, 1]), lambda x, y: x[2].trace()):
            check_cuda(fn, [a, t], layout="strided")
        x = fasttensor.tensor(a, device="cuda")
        assert bool(x.isclose(x + 1e-7).all()) and not fasttensor.allclose(x, x + 1) and fasttensor.equal(x, x.clone())
        labels = fasttensor.tensor([2, 0, 4], device="cuda")
        hot = fasttensor.nn.functional.one_hot(labels, 5)
        assert hot.is_cuda and host(hot).tolist() == [[0, 0, 1, 0, 0], [1, 0, 0, 0, 0], [0, 0, 0, 0, 1]]
        p = fasttensor.nn.Parameter(fasttensor.zeros(3, 4, 5, device="cuda"))
        p.grad = x.clone()
        total = fasttensor.nn.utils.clip_grad_norm_([p], 1.0)
        assert total.is_cuda and p.grad.is_cuda
        np.testing.assert_allclose(host(total), np.linalg.norm(a), rtol=1e-5)
        np.testing.assert_allclose(host(p.grad), a / (np.linalg.norm(a) + 1e-6), rtol=1e-5, atol=1e-7)

    def test_cuda_and_cuda0_are_one_device(self) -> None:
        x = fasttensor.ones(3)
        total = x.to("cuda") + x.cuda()  # "cuda" and "cuda:0" name the same GPU, as in PyTorch
        np.testing.assert_array_equal(host(total), np.full(3, 2.0, dtype=np.float32))
        assert fasttensor.zeros(2, device="cuda").device == fasttensor.zeros(2, device="cuda:0").device

    def test_creation_functions_take_device(self) -> None:
        d = "cuda"
        made = [fasttensor.zeros(2, 3, device=d), fasttensor.ones(4, device=d), fasttensor.full((2,), 7.0, device=d),
                fasttensor.arange(10, device=d), fasttensor.linspace(0, 1, 5, device=d), fasttensor.eye(3, device=d),
                fasttensor.rand(3, device=d), fasttensor.randn(3, device=d), fasttensor.randint(0, 5, (3,), device=d),
                fasttensor.randperm(7, device=d), fasttensor.tensor([1, 2], device=d), fasttensor.empty(2, device=d)]
        for t in made:
            assert t.device.type == "cuda", t
        like = fasttensor.zeros_like(made[0])
        assert like.device.type == "cuda"
        np.testing.assert_array_equal(host(made[3]), np.arange(10))
        np.testing.assert_allclose(host(made[4]), np.linspace(0, 1, 5, dtype=np.float32))
        np.testing.assert_array_equal(host(made[5]), np.eye(3, dtype=np.float32))
        np.testing.assert_array_equal(np.sort(host(made[9])), np.arange(7))

    def test_mixed_devices_raise_naming_both(self) -> None:
        x, y = fasttensor.ones(3), fasttensor.ones(3, device="cuda")
        with pytest.raises(RuntimeError, match=r"(?=.*cpu)(?=.*cuda)"):
            x + y
        with pytest.raises(RuntimeError, match=r"(?=.*cpu)(?=.*cuda)"):
            fasttensor.ones(2, 3) @ fasttensor.ones(3, 2, device="cuda")

    def test_numpy_of_cuda_tensor_raises_type_error(self) -> None:
        with pytest.raises(TypeError, match="cuda"):
            fasttensor.ones(2, device="cuda").numpy()

    def test_item_repr_and_scalars(self) -> None:
        x = fasttensor.tensor([1.5, 2.5], device="cuda")
        assert x.sum().item() == 4.0
        assert "cuda" in repr(x)
        assert float(x[1]) == 2.5

    def test_memory_allocated_tracks_tensors(self) -> None:
        gc.collect()  # tensors of earlier tests must not be freed halfway through
        fasttensor.cuda.synchronize()
        before = fasttensor.cuda.memory_allocated()
        x = fasttensor.empty(1 << 20, device="cuda")  # 4 MiB
        assert fasttensor.cuda.memory_allocated() >= before + 4 * (1 << 20)
        assert fasttensor.cuda.max_memory_allocated() >= fasttensor.cuda.memory_allocated()
        del x
        assert fasttensor.cuda.memory_allocated() == before
        fasttensor.cuda.empty_cache()
        fasttensor.cuda.reset_peak_memory_stats()
        assert fasttensor.cuda.max_memory_allocated() == fasttensor.cuda.memory_allocated()

    def test_out_of_memory_raises_and_device_recovers(self) -> None:
        with pytest.raises(RuntimeError, match="CUDA out of memory"):
            fasttensor.empty(1 << 45, device="cuda")  # 128 TiB
        y = fasttensor.ones(1000, device="cuda") * 2
        assert y.sum().item() == 2000.0

    def test_device_queries(self) -> None:
        assert fasttensor.cuda.device_count() >= 1
        assert isinstance(fasttensor.cuda.get_device_name(0), str) and fasttensor.cuda.get_device_name(0)
        fasttensor.cuda.synchronize()
