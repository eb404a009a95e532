"""Tests for fasttensor._tensor_str: tensor repr must match PyTorch byte for byte.

The module is loaded straight from its file, because the fasttensor package
(with its C++ core) need not be built for these tests.  Tests in the first
part compare against fixed strings and need no torch; the rest compare with
``repr(torch.from_numpy(arr))`` and are skipped only when torch is absent.
"""

from __future__ import annotations

import importlib.util
import math
import pathlib
import sys
from typing import Any, Iterator

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

_MODULE_PATH = pathlib.Path(__file__).resolve().parents[1] / "python" / "fasttensor" / "_tensor_str.py"
_spec = importlib.util.spec_from_file_location("fasttensor_tensor_str_under_test", _MODULE_PATH)
assert _spec is not None and _spec.loader is not None
ts = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = ts
_spec.loader.exec_module(ts)

format_tensor = ts.format_tensor

try:  # torch is optional: only the comparison tests need it
    import torch as _torch
except ImportError:  # pragma: no cover - exercised only where torch is absent
    _torch = None

DTYPES = ["bool", "uint8", "int32", "int64", "float32", "float64"]
EXTRA_DTYPES = ["int8", "int16", "float16"]
FLOAT_DTYPES = ["float32", "float64"]


@pytest.fixture
def torch() -> Any:
    """The torch module, or skip the test when torch is not installed."""
    return pytest.importorskip("torch")


@pytest.fixture(autouse=True)
def _restore_defaults() -> Iterator[None]:
    """Reset print options (ours and torch's) and torch's default dtype after each test."""
    yield
    ts.set_printoptions(profile="default")
    if _torch is not None:
        _torch.set_printoptions(profile="default")
        _torch.set_default_dtype(_torch.float32)


def set_both(**options: Any) -> None:
    """Apply the same print options to fasttensor and (if present) torch."""
    ts.set_printoptions(**options)
    if _torch is not None:
        _torch.set_printoptions(**options)


def torch_repr(tensor: Any) -> str:
    return repr(tensor).replace("torch.", "fasttensor.")


def default_dtype_name() -> str:
    return str(_torch.get_default_dtype()).removeprefix("torch.")


def assert_matches(arr: np.ndarray, requires_grad: bool = False, **kwargs: Any) -> None:
    """Compare format_tensor(arr) with repr(torch.from_numpy(arr)) under the current options."""
    arr = np.array(arr)  # own, writeable, contiguous copy for torch.from_numpy
    tensor = _torch.from_numpy(arr).requires_grad_(requires_grad)
    expected = torch_repr(tensor)
    got = format_tensor(
        arr, dtype=str(arr.dtype), default_dtype=default_dtype_name(), requires_grad=requires_grad, **kwargs
    )
    assert got == expected, f"\n--- fasttensor ---\n{got}\n--- torch ---\n{expected}"


# ---------------------------------------------------------------------------
# Fixed expected strings (no torch needed)
# ---------------------------------------------------------------------------

F32 = np.float32
F64 = np.float64

FIXED_CASES: list[tuple[np.ndarray, str, dict[str, Any], str]] = [
    (np.array(66.0, F32), "float32", {}, "tensor(66.)"),
    (np.array(5.5, F32), "float32", {}, "tensor(5.5000)"),
    (np.array(7, np.int64), "int64", {}, "tensor(7)"),
    (np.array(True), "bool", {}, "tensor(True)"),
    (np.array(np.nan, F32), "float32", {}, "tensor(nan)"),
    (np.array(-0.0, F32), "float32", {}, "tensor(-0.)"),
    (np.array(162754.7969, F32), "float32", {}, "tensor(162754.7969)"),
    (np.array(1e-5, F32), "float32", {}, "tensor(1.0000e-05)"),
    (np.array(3, np.int32), "int32", {}, "tensor(3, dtype=fasttensor.int32)"),
    (np.arange(3, dtype=F32), "float32", {}, "tensor([0., 1., 2.])"),
    (np.array([3, 4, 6, 10], F32), "float32", {}, "tensor([ 3.,  4.,  6., 10.])"),
    (np.array([1, 2], np.int64), "int64", {}, "tensor([1, 2])"),
    (np.array([True, False]), "bool", {}, "tensor([ True, False])"),
    (np.array([1, 2], np.uint8), "uint8", {}, "tensor([1, 2], dtype=fasttensor.uint8)"),
    (np.array([0.5, -1.25], F64), "float64", {}, "tensor([ 0.5000, -1.2500], dtype=fasttensor.float64)"),
    (np.array([1e8, 1.0], F32), "float32", {}, "tensor([1.0000e+08, 1.0000e+00])"),
    (np.array([np.nan, np.inf, -np.inf, 1.0], F32), "float32", {}, "tensor([nan, inf, -inf, 1.])"),
    (np.array([np.nan, 1.5], F32), "float32", {}, "tensor([   nan, 1.5000])"),
    (np.array([0.0, -0.0], F32), "float32", {}, "tensor([0., -0.])"),
    (np.zeros(0, F32), "float32", {}, "tensor([])"),
    (np.zeros(0, np.int64), "int64", {}, "tensor([], dtype=fasttensor.int64)"),
    (np.zeros(0, np.bool_), "bool", {}, "tensor([], dtype=fasttensor.bool)"),
    (np.zeros((0, 3), F32), "float32", {}, "tensor([], size=(0, 3))"),
    (np.zeros((2, 0), np.int32), "int32", {}, "tensor([], size=(2, 0), dtype=fasttensor.int32)"),
    (np.zeros(0, F32), "float32", {"default_dtype": "float64"}, "tensor([], dtype=fasttensor.float32)"),
    (np.ones(2, F64), "float64", {"default_dtype": "float64"}, "tensor([1., 1.])"),
    (np.ones(2, F32), "float32", {"default_dtype": "float64"}, "tensor([1., 1.], dtype=fasttensor.float32)"),
    (
        np.arange(4, dtype=F32).reshape(2, 2),
        "float32",
        {},
        "tensor([[0., 1.],\n        [2., 3.]])",
    ),
    (
        np.arange(8, dtype=np.int64).reshape(2, 2, 2),
        "int64",
        {},
        "tensor([[[0, 1],\n         [2, 3]],\n\n        [[4, 5],\n         [6, 7]]])",
    ),
    (
        np.arange(2000, dtype=F32),
        "float32",
        {},
        "tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9970e+03, 1.9980e+03,\n        1.9990e+03])",
    ),
    (
        np.arange(1001, dtype=np.int64),
        "int64",
        {},
        "tensor([   0,    1,    2,  ...,  998,  999, 1000])",
    ),
    (np.array([2.0], F32), "float32", {"grad_fn": "MulBackward0"}, "tensor([2.], grad_fn=<MulBackward0>)"),
    (np.array([2.0], F32), "float32", {"requires_grad": True}, "tensor([2.], requires_grad=True)"),
    (
        np.array([2.0], F32),
        "float32",
        {"requires_grad": True, "grad_fn": "SumBackward0"},
        "tensor([2.], grad_fn=<SumBackward0>)",
    ),
    (np.array([1, 2], np.int32), "int32", {"device": "cuda:0"}, "tensor([1, 2], device='cuda:0', dtype=fasttensor.int32)"),
    (
        np.zeros((0, 3), np.int64),
        "int64",
        {"device": "cuda:0", "requires_grad": True},
        "tensor([], device='cuda:0', size=(0, 3), dtype=fasttensor.int64, requires_grad=True)",
    ),
    (np.ones(2, F32), "float32", {"device": "cuda:0"}, "tensor([1., 1.], device='cuda:0')"),
    (np.ones(2, F32), "float32", {"device": "cuda:1", "default_device": "cuda:0"}, "tensor([1., 1.], device='cuda:1')"),
    (np.ones(2, F32), "float32", {"device": "cuda:0", "default_device": "cuda"}, "tensor([1., 1.])"),
    (np.ones(2, F32), "float32", {"prefix": "MyTensor("}, "MyTensor([1., 1.])"),
    (
        np.ones(3, F64),
        "float64",
        {"grad_fn": "AVeryLongCustomFunctionNameForTestingBackward"},
        "tensor([1., 1., 1.], dtype=fasttensor.float64,\n"
        "       grad_fn=<AVeryLongCustomFunctionNameForTestingBackward>)",
    ),
]


@pytest.mark.parametrize("arr, dtype, kwargs, expected", FIXED_CASES)
def test_fixed_strings(arr: np.ndarray, dtype: str, kwargs: dict[str, Any], expected: str) -> None:
    assert format_tensor(arr, dtype=dtype, **kwargs) == expected


def test_fixed_wrapping_and_nested_indent() -> None:
    arr = (np.arange(40, dtype=F32) * 1.5).reshape(2, 20)
    expected = (
        "tensor([[ 0.0000,  1.5000,  3.0000,  4.5000,  6.0000,  7.5000,  9.0000, 10.5000,\n"
        "         12.0000, 13.5000, 15.0000, 16.5000, 18.0000, 19.5000, 21.0000, 22.5000,\n"
        "         24.0000, 25.5000, 27.0000, 28.5000],\n"
        "        [30.0000, 31.5000, 33.0000, 34.5000, 36.0000, 37.5000, 39.0000, 40.5000,\n"
        "         42.0000, 43.5000, 45.0000, 46.5000, 48.0000, 49.5000, 51.0000, 52.5000,\n"
        "         54.0000, 55.5000, 57.0000, 58.5000]])"
    )
    assert format_tensor(arr, dtype="float32") == expected
    # A longer prefix indents continuation lines further (and fits fewer per line).
    expected_sub = (
        "MyTensor([[ 0.0000,  1.5000,  3.0000,  4.5000,  6.0000,  7.5000,  9.0000,\n"
        "           10.5000, 12.0000, 13.5000, 15.0000, 16.5000, 18.0000, 19.5000,\n"
        "           21.0000, 22.5000, 24.0000, 25.5000, 27.0000, 28.5000],\n"
        "          [30.0000, 31.5000, 33.0000, 34.5000, 36.0000, 37.5000, 39.0000,\n"
        "           40.5000, 42.0000, 43.5000, 45.0000, 46.5000, 48.0000, 49.5000,\n"
        "           51.0000, 52.5000, 54.0000, 55.5000, 57.0000, 58.5000]])"
    )
    assert format_tensor(arr, dtype="float32", prefix="MyTensor(") == expected_sub


def test_fixed_summarized_matrix() -> None:
    arr = np.arange(10000, dtype=np.int64).reshape(100, 100)
    expected = (
        "tensor([[   0,    1,    2,  ...,   97,   98,   99],\n"
        "        [ 100,  101,  102,  ...,  197,  198,  199],\n"
        "        [ 200,  201,  202,  ...,  297,  298,  299],\n"
        "        ...,\n"
        "        [9700, 9701, 9702,  ..., 9797, 9798, 9799],\n"
        "        [9800, 9801, 9802,  ..., 9897, 9898, 9899],\n"
        "        [9900, 9901, 9902,  ..., 9997, 9998, 9999]])"
    )
    assert format_tensor(arr, dtype="int64") == expected


def test_fixed_printoptions() -> None:
    arr = np.array([1.12345], F32)
    ts.set_printoptions(precision=2)
    assert format_tensor(arr, dtype="float32") == "tensor([1.12])"
    ts.set_printoptions(threshold=5)
    assert format_tensor(np.arange(10), dtype="int64") == "tensor([0, 1, 2,  ..., 7, 8, 9])"
    ts.set_printoptions(profile="default")
    assert format_tensor(arr, dtype="float32") == "tensor([1.1235])"
    assert format_tensor(np.arange(10), dtype="int64") == "tensor([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])"
    ts.set_printoptions(sci_mode=True)
    assert format_tensor(np.array([1.0, 2.0], F32), dtype="float32") == "tensor([1.0000e+00, 2.0000e+00])"
    ts.set_printoptions(edgeitems=0)
    assert format_tensor(np.arange(5, dtype=F32), dtype="float32") == "tensor([0., 1., 2., 3., 4.], size=(5,))"
    ts.set_printoptions(edgeitems=0, threshold=3)
    assert format_tensor(np.zeros((4, 5), F32), dtype="float32") == "tensor([...], size=(4, 5))"


def test_printoptions_api() -> None:
    assert ts.get_printoptions() == {
        "precision": 4,
        "threshold": 1000,
        "edgeitems": 3,
        "linewidth": 80,
        "sci_mode": None,
    }
    ts.set_printoptions(profile="short", precision=3, sci_mode=False)
    assert ts.get_printoptions() == {
        "precision": 3,
        "threshold": 1000,
        "edgeitems": 2,
        "linewidth": 80,
        "sci_mode": False,
    }
    ts.set_printoptions(linewidth=100)  # like torch, this resets sci_mode
    assert ts.get_printoptions()["sci_mode"] is None
    ts.set_printoptions(profile="full")
    assert ts.get_printoptions()["threshold"] == math.inf
    with ts.printoptions(precision=1):
        assert format_tensor(np.array(0.25, F32), dtype="float32") == "tensor(0.2)"
    assert ts.get_printoptions()["precision"] == 4
    ts.set_printoptions(**ts.get_printoptions())  # round-trips


def test_parameter_and_validation() -> None:
    assert (
        ts.format_parameter(np.ones(2, F32), dtype="float32", requires_grad=True)
        == "Parameter containing:\ntensor([1., 1.], requires_grad=True)"
    )
    # Data of another dtype is converted.
    assert format_tensor([1, 2], dtype="float64") == "tensor([1., 2.], dtype=fasttensor.float64)"
    with pytest.raises(ValueError):
        format_tensor(np.ones(2), dtype="complex64")


# ---------------------------------------------------------------------------
# Comparison against PyTorch
# ---------------------------------------------------------------------------

VALUE_SETS: dict[str, list[float]] = {
    "ints": [0, 1, 2, 3],
    "padding": [3, 4, 6, 10],
    "mixed_ints": [-5, 17, 0, 123, -2],
    "halves": [0.5, -1.5, 2.25],
    "big_value": [162754.7969, 1.0, -3.5],
    "tiny": [1e-5, 0.5],
    "tiny_only": [1e-5, 2e-5],
    "huge": [1e8, 2.0],
    "huge_int": [1e9, 1.0],
    "above_1e8": [1.5e8, 1.0],
    "ratio_1000": [1000.0, 1.0],
    "ratio_1001": [1001.0, 1.0],
    "ratio_frac": [0.001, 1.0],
    "min_1e-4": [1e-4, 1.0e-4 * 5],
    "nan": [math.nan, 1.0, 2.5],
    "nan_int": [math.nan, 1.0, -2.0],
    "inf": [math.inf, -math.inf, 1.0],
    "inf_frac": [math.inf, 0.25],
    "all_nonfinite": [math.nan, math.inf, -math.inf],
    "neg_zero": [-0.0, 0.0, 1.0],
    "neg_zero_frac": [-0.0, 0.5],
    "zeros": [0.0, 0.0],
    "rounding": [9.99996, 0.1],
    "rounding_up": [0.99995, 0.00015],
    "neg_big": [-1e10, 1e-10],
    "float_max": [3.0e38, -1.0],
    "subnormal": [1e-40, 1.0],
    "large_ints": [123456789.0, 1.0],
    "sevenish": [1 / 3, 2 / 3, -7.0],
}

INT_VALUE_SETS: dict[str, list[int]] = {
    "small": [0, 1, -1, 7],
    "int8_extremes": [-128, 127, 0],
    "uint8_extremes": [0, 255, 17],
    "int32_extremes": [-(2**31), 2**31 - 1, 0],
    "int64_extremes": [-(2**63), 2**63 - 1, 5],
    "mixed_width": [5, -100, 1000, 3],
}

SHAPES = [(), (1,), (5,), (2, 3), (3, 1, 2), (2, 2, 2, 2), (1, 1, 1, 1), (4, 1)]


def _fill(values: list[Any], shape: tuple[int, ...], dtype: str) -> np.ndarray:
    n = int(np.prod(shape, dtype=np.int64))
    flat = [values[i % len(values)] for i in range(n)]
    return np.array(flat, dtype=dtype).reshape(shape)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", sorted(VALUE_SETS))
@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_float_values(torch: Any, dtype: str, name: str, shape: tuple[int, ...]) -> None:
    with np.errstate(over="ignore", under="ignore"):
        arr = _fill(VALUE_SETS[name], shape, dtype)
    assert_matches(arr)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", sorted(INT_VALUE_SETS))
@pytest.mark.parametrize("dtype", ["uint8", "int8", "int16", "int32", "int64"])
def test_int_values(torch: Any, dtype: str, name: str, shape: tuple[int, ...]) -> None:
    info = np.iinfo(dtype)
    values = [v for v in INT_VALUE_SETS[name] if info.min <= v <= info.max]
    if not values:
        pytest.skip("no representable values")
    assert_matches(_fill(values, shape, dtype))


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("values", [[True], [False], [True, False], [False, True, True]], ids=str)
def test_bool_values(torch: Any, values: list[bool], shape: tuple[int, ...]) -> None:
    assert_matches(_fill(values, shape, "bool"))


@pytest.mark.parametrize("dtype", DTYPES + EXTRA_DTYPES)
@pytest.mark.parametrize("shape", [(0,), (0, 3), (3, 0), (2, 0, 4), (0, 0), (1, 0, 1, 1)], ids=str)
@pytest.mark.parametrize("default_dtype", ["float32", "float64"])
def test_empty(torch: Any, dtype: str, shape: tuple[int, ...], default_dtype: str) -> None:
    torch.set_default_dtype(getattr(torch, default_dtype))
    assert_matches(np.zeros(shape, dtype=dtype))


@pytest.mark.parametrize("dtype", DTYPES + EXTRA_DTYPES)
@pytest.mark.parametrize(
    "shape",
    [(2000,), (1001,), (100, 100), (3, 500), (500, 3), (10, 10, 11), (7, 7, 7, 7), (2, 1000), (1000, 2), (1, 1, 1001)],
    ids=str,
)
def test_summarized(torch: Any, dtype: str, shape: tuple[int, ...]) -> None:
    n = int(np.prod(shape))
    if dtype == "bool":
        arr = (np.arange(n) % 3 == 0).reshape(shape)
    elif dtype in ("float32", "float64", "float16"):
        # Distinct magnitudes at the edges vs. the middle check that only edges
        # feed the formatter.
        base = np.linspace(-2.5, 7.25, n)
        base[n // 2] = 1e12  # inf in float16
        with np.errstate(over="ignore"):
            arr = base.astype(dtype).reshape(shape)
    else:
        info = np.iinfo(dtype)
        arr = (np.arange(n) % min(int(info.max), 1000)).astype(dtype).reshape(shape)
        arr.reshape(-1)[n // 2] = info.max  # hidden by summarization
    assert_matches(arr)


@pytest.mark.parametrize("linewidth", [1, 10, 20, 37, 50, 79, 81, 120, 200])
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int32", "bool"])
@pytest.mark.parametrize("shape", [(30,), (3, 17), (2, 2, 13), (2000,), (40, 40)], ids=str)
def test_linewidths(torch: Any, linewidth: int, dtype: str, shape: tuple[int, ...]) -> None:
    set_both(linewidth=linewidth)
    rng = np.random.default_rng(linewidth)
    arr = (rng.standard_normal(shape) * 100).astype(dtype) if dtype != "bool" else rng.random(shape) > 0.5
    assert_matches(arr)
    assert_matches(arr, requires_grad=dtype.startswith("float"))


@pytest.mark.parametrize("precision", [0, 1, 2, 3, 6, 8, 12])
@pytest.mark.parametrize("name", ["halves", "tiny", "huge", "sevenish", "rounding", "nan", "ints", "big_value"])
@pytest.mark.parametrize("sci_mode", [None, True, False])
def test_precision_and_sci_mode(torch: Any, precision: int, name: str, sci_mode: Any) -> None:
    set_both(precision=precision, sci_mode=sci_mode)
    for dtype in FLOAT_DTYPES:
        assert_matches(_fill(VALUE_SETS[name], (2, 3), dtype))
        assert_matches(_fill(VALUE_SETS[name], (), dtype))


@pytest.mark.parametrize("profile", ["default", "short", "full"])
@pytest.mark.parametrize("shape", [(2000,), (30, 40), (5,)], ids=str)
def test_profiles(torch: Any, profile: str, shape: tuple[int, ...]) -> None:
    set_both(profile=profile)
    assert ts.get_printoptions() == torch._tensor_str.get_printoptions()
    arr = np.linspace(-3, 3, int(np.prod(shape)), dtype=np.float32).reshape(shape)
    assert_matches(arr)


@pytest.mark.parametrize("edgeitems", [0, 1, 2, 4])
@pytest.mark.parametrize("threshold", [0, 1, 5, 10, 1000])
@pytest.mark.parametrize("shape", [(), (3,), (12,), (4, 5), (3, 3, 3), (0, 2), (9, 2, 9)], ids=str)
def test_edgeitems_threshold(torch: Any, edgeitems: int, threshold: int, shape: tuple[int, ...]) -> None:
    set_both(edgeitems=edgeitems, threshold=threshold)
    n = int(np.prod(shape))
    arr = (np.arange(n, dtype=np.float64) * 1.25 - 3).reshape(shape)
    assert_matches(arr)
    assert_matches(arr.astype(np.int32))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(), (3,), (0,), (2, 0), (3, 4)], ids=str)
def test_default_dtype_float64(torch: Any, dtype: str, shape: tuple[int, ...]) -> None:
    torch.set_default_dtype(torch.float64)
    n = int(np.prod(shape))
    arr = (np.arange(n) % 2 == 0).reshape(shape) if dtype == "bool" else (np.arange(n) * 1.5).astype(dtype).reshape(shape)
    assert_matches(arr)


def test_autograd_suffixes(torch: Any) -> None:
    for default in (torch.float32, torch.float64):
        torch.set_default_dtype(default)
        default_name = default_dtype_name()
        for dtype in (torch.float32, torch.float64):
            for shape in [(), (3,), (2, 3), (0,), (0, 2), (40,)]:
                leaf = torch.linspace(-2, 5, int(np.prod(shape)), dtype=dtype).reshape(shape).requires_grad_()
                outputs = [leaf, leaf * 2, leaf.sum(), leaf.exp(), leaf[..., None] + 1, leaf.detach()]
                for t in outputs:
                    node = None if t.grad_fn is None else type(t.grad_fn).__name__
                    got = format_tensor(
                        t.detach().numpy(),
                        dtype=str(t.dtype).removeprefix("torch."),
                        default_dtype=default_name,
                        requires_grad=t.requires_grad,
                        grad_fn=node,
                    )
                    assert got == torch_repr(t)


def test_suffix_wrapping(torch: Any) -> None:
    class AVeryLongCustomFunctionNameForTesting(torch.autograd.Function):
        @staticmethod
        def forward(ctx: Any, x: Any) -> Any:
            return x * 1

        @staticmethod
        def backward(ctx: Any, g: Any) -> Any:
            return g

    # Every line width, so that each suffix hits the wrap boundary, including the
    # widths where "torch.float64" fits but "fasttensor.float64" would not.
    for linewidth in range(10, 131):
        set_both(linewidth=linewidth)
        for n in (1, 3, 12):
            for dtype in (torch.float64, torch.float32):
                x = torch.arange(n, dtype=dtype, requires_grad=True)
                y = AVeryLongCustomFunctionNameForTesting.apply(x)
                for t in (x, y):
                    node = None if t.grad_fn is None else type(t.grad_fn).__name__
                    got = format_tensor(
                        t.detach().numpy(),
                        dtype=str(t.dtype).removeprefix("torch."),
                        requires_grad=t.requires_grad,
                        grad_fn=node,
                    )
                    assert got == torch_repr(t)


def test_parameter(torch: Any) -> None:
    for arr, requires_grad in [(np.ones(2, F32), True), (np.ones((2, 3), F64), False), (np.zeros((0, 3), F32), True)]:
        p = torch.nn.Parameter(torch.from_numpy(arr.copy()), requires_grad=requires_grad)
        got = ts.format_parameter(arr, dtype=str(arr.dtype), requires_grad=requires_grad)
        assert got == torch_repr(p)


def test_subclass_prefix(torch: Any) -> None:
    class MyTensor(torch.Tensor):
        pass

    for shape in [(), (5,), (2, 20), (3, 2, 30), (2000,)]:
        arr = (np.arange(int(np.prod(shape)), dtype=np.float32) * 1.5).reshape(shape)
        t = torch.Tensor._make_subclass(MyTensor, torch.from_numpy(arr.copy()))
        assert format_tensor(arr, dtype="float32", prefix="MyTensor(") == torch_repr(t)


def test_device_suffix_order(torch: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """With a non-CPU default device torch prints device='cpu'; check its place among suffixes."""
    monkeypatch.setattr(torch._C, "_get_default_device", lambda: "meta")
    cases = [
        (np.ones(3, F32), False),
        (np.ones(3, F64), True),
        (np.zeros((0, 3), np.int32), False),
        (np.zeros((0, 3), F32), True),
        (np.arange(30, dtype=np.int16), False),
    ]
    for arr, requires_grad in cases:
        t = torch.from_numpy(arr.copy())
        if requires_grad:
            t.requires_grad_()
        expected = torch_repr(t)
        assert "device='cpu'" in expected
        got = format_tensor(arr, dtype=str(arr.dtype), device="cpu", default_device="meta", requires_grad=requires_grad)
        assert got == expected
    set_both(edgeitems=0, linewidth=30)
    arr = np.ones((2, 3), F64)
    t = torch.from_numpy(arr.copy()).requires_grad_()
    assert format_tensor(arr, dtype="float64", default_device="meta", requires_grad=True) == torch_repr(t)


@pytest.mark.parametrize("dtype", DTYPES + EXTRA_DTYPES)
def test_random_normal_scales(torch: Any, dtype: str) -> None:
    rng = np.random.default_rng(0)
    for scale in (1e-9, 1e-5, 1e-3, 0.1, 1, 10, 1e3, 1e5, 1e9):
        for shape in [(), (4,), (3, 5), (2, 3, 4), (2, 1, 3, 2)]:
            raw = rng.standard_normal(shape) * scale
            if dtype == "bool":
                arr = raw > 0
            elif dtype.startswith("float"):
                with np.errstate(over="ignore"):
                    arr = np.asarray(raw).astype(dtype)
            else:
                info = np.iinfo(dtype)
                arr = np.clip(np.round(raw), info.min, info.max).astype(dtype)
            assert_matches(arr)


# --- hypothesis sweep --------------------------------------------------------

_SPECIAL_FLOATS = [0.0, -0.0, math.nan, math.inf, -math.inf, 1.0, -1.0, 0.5, 1e-5, 1e8, 1e9, 123.456, 1e-4, 1000.0]


def _round_to(value: float, dtype: str) -> float:
    with np.errstate(over="ignore"):
        return float(np.array(value).astype(dtype))


def _float_elements(dtype: str) -> st.SearchStrategy[float]:
    width = {"float16": 16, "float32": 32, "float64": 64}[dtype]
    return st.one_of(
        st.sampled_from(_SPECIAL_FLOATS).map(lambda v: _round_to(v, dtype)),
        st.integers(-1000, 1000).map(float),
        st.floats(width=width, allow_nan=True, allow_infinity=True),
        st.floats(-10, 10, width=width),
    )


@st.composite
def _arrays(draw: st.DrawFn) -> np.ndarray:
    dtype = draw(st.sampled_from(DTYPES + EXTRA_DTYPES))
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=6))
    if dtype == "bool":
        elements: st.SearchStrategy[Any] = st.booleans()
    elif dtype.startswith("float"):
        elements = _float_elements(dtype)
    else:
        info = np.iinfo(dtype)
        elements = st.one_of(st.integers(int(info.min), int(info.max)), st.integers(-20, 20).filter(lambda v: info.min <= v <= info.max))
    return draw(hnp.arrays(np.dtype(dtype), shape, elements=elements))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    arr=_arrays(),
    precision=st.sampled_from([None, 0, 1, 2, 4, 6]),
    linewidth=st.sampled_from([None, 10, 30, 80, 120]),
    threshold=st.sampled_from([None, 0, 4, 20, 1000]),
    edgeitems=st.sampled_from([None, 0, 1, 2, 3]),
    sci_mode=st.sampled_from([None, True, False]),
    default64=st.booleans(),
    requires_grad=st.booleans(),
)
def test_hypothesis_sweep(
    arr: np.ndarray,
    precision: Any,
    linewidth: Any,
    threshold: Any,
    edgeitems: Any,
    sci_mode: Any,
    default64: bool,
    requires_grad: bool,
) -> None:
    torch = pytest.importorskip("torch")
    set_both(profile="default")
    set_both(precision=precision, linewidth=linewidth, threshold=threshold, edgeitems=edgeitems, sci_mode=sci_mode)
    torch.set_default_dtype(torch.float64 if default64 else torch.float32)
    try:
        t = torch.from_numpy(np.array(arr))
        requires_grad = requires_grad and t.dtype.is_floating_point
        t.requires_grad_(requires_grad)
        got = format_tensor(arr, dtype=str(arr.dtype), default_dtype=default_dtype_name(), requires_grad=requires_grad)
        assert got == torch_repr(t)
    finally:
        set_both(profile="default")
        torch.set_default_dtype(torch.float32)
