#!/usr/bin/env python3
"""fasttensor beside NumPy and PyTorch on the CPU: the one benchmark command.

    python benchmarks/bench.py [--threads N] [--quick] [--only PATTERN] [--simd LEVEL]

One process times the three libraries on the same inputs. For every case each
library first computes its answer once and fasttensor's is checked against a
float64 NumPy reference (a wrong answer aborts that case, loudly); then, after a
warm-up, each repetition times fasttensor, NumPy and PyTorch in turn (each
sample after an idle wait and one untimed call), so load
that drifts during the run hits all three alike. A sample is a batch of calls
that lasts at least ~1-2 ms; the report gives the median per call and p25/p75.
All libraries run on the same number of threads (all cores by default).

Writes benchmarks/results/cpu-<cpu>-<date>.{json,md}; a full run (no --quick,
no --only) also refreshes benchmarks/results/latest-cpu.md. See README.md.
"""

from __future__ import annotations

import os

# OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE may be set on the shared machine and pick
# a slower kernel for NumPy's OpenBLAS; it reads them when it loads, so they go
# before NumPy is imported. The report says what was unset.
UNSET_ENVIRONMENT = {name: os.environ.pop(name) for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
                     if name in os.environ}

import argparse  # noqa: E402
import datetime  # noqa: E402
import functools  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import re  # noqa: E402
import resource  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import timeit  # noqa: E402
import traceback  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any, Callable  # noqa: E402

import numpy as np  # noqa: E402
import threadpoolctl  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as torch_functional  # noqa: E402

import fasttensor as ft  # noqa: E402

LIBRARIES = ("fasttensor", "numpy", "torch")
# The memory-bandwidth reference of a large elementwise case: fasttensor's
# c.copy_(a) of the same number of elements, timed as a fourth entry in the same
# interleaved reps, so that load drifting during the run hits it like the op.
# (The standalone "copy" cases compare the three libraries' copies.)
COPY = "copy"
RESULTS_DIR = Path(__file__).resolve().parent / "results"
REPO_ROOT = Path(__file__).resolve().parent.parent

# Elementwise sizes of the issue, with the labels the report uses.
ELEMENTWISE_SIZES = {1_000: "1e3", 64_000: "6.4e4", 1_000_000: "1e6", 16_000_000: "1.6e7"}
BANDWIDTH_SIZE = 16_000_000  # GB/s and % of copy bandwidth are reported at this size
MLP_SAMPLES, MLP_BATCH, MLP_LR = 60_000, 256, 0.1
FLOAT32_EPS = float(np.finfo(np.float32).eps)
FLOAT64_EPS = float(np.finfo(np.float64).eps)


# --------------------------------------------------------------------------- cases

@dataclass
class Impl:
    """How one library runs a case. `stmt` is what is timed; timeit compiles it
    into its loop, so no Python wrapper call is added per run. `result` is read
    after one run for the check (default: the value of `stmt`)."""

    stmt: str
    ns: dict
    result: str | None = None

    def output(self) -> Any:
        if self.result is None:
            return eval(self.stmt, self.ns)
        exec(self.stmt, self.ns)
        return eval(self.result, self.ns)


@dataclass
class Built:
    """A case's inputs, made just before it runs (and dropped after)."""

    impls: dict[str, Impl]
    expected: tuple            # float64 reference arrays
    allowed: tuple             # allowed |got - expected| (arrays or floats), one per expected
    outputs: dict[str, Callable[[], Any]] = field(default_factory=dict)  # overrides Impl.output
    long_call_reps: tuple[int, int] | None = None  # (fewest, most) samples of one call each (the MLP epoch)
    copy_reference: Impl | None = None  # a plain copy of the same size, timed in the same reps (see COPY)


@dataclass
class Case:
    group: str
    name: str
    build: Callable[[], Built]
    flops: float | None = None        # per call, for GFLOP/s
    bytes_moved: float | None = None  # bytes read + written per call, for GB/s
    tags: tuple[str, ...] = ()        # what the Targets section looks for
    elements: int | None = None       # output elements of an elementwise case (sizes its copy reference)
    note: str = ""

    @property
    def key(self) -> str:
        return f"{self.group}: {self.name}"


def namespace(**values: Any) -> dict:
    """Globals for an Impl's statement: the three modules plus the inputs."""
    return {"np": np, "torch": torch, "ft": ft, **values}


@functools.lru_cache(maxsize=6)
def standard_normal(shape: tuple[int, ...], seed: int) -> np.ndarray:
    """fp32 N(0, 1) values, made once per (shape, seed): the large elementwise
    cases share their inputs (each library gets its own copy, so nothing
    writes to these), which saves seconds of generating and page-faulting per case."""
    return np.random.default_rng(seed).standard_normal(shape, dtype=np.float32)


def three_copies(array: np.ndarray) -> dict[str, Any]:
    """The same values as a fasttensor tensor, a NumPy array and a torch tensor,
    each in memory its own library allocated."""
    return {"fasttensor": ft.from_numpy(array).clone(), "numpy": array.copy(),
            "torch": torch.from_numpy(array).clone()}


def three_zeros(shape: tuple[int, ...], dtype=np.float32) -> dict[str, Any]:
    """Output buffers (zeros, so their pages are touched before timing)."""
    return three_copies(np.zeros(shape, dtype=dtype))


def memory_traffic(size: int, arrays: int) -> float | None:
    """Bytes read + written by `arrays` fp32 passes over `size` elements, for GB/s;
    None below BANDWIDTH_SIZE, where the data sits in cache and GB/s would not
    be memory bandwidth."""
    return 4.0 * size * arrays if size >= BANDWIDTH_SIZE else None


def copy_reference(size: int) -> Impl | None:
    """fasttensor's copy of `size` fp32 elements into an existing buffer, for
    the cases that report GB/s (None below BANDWIDTH_SIZE)."""
    if memory_traffic(size, 2) is None:
        return None
    source = standard_normal((size,), seed=8)
    return Impl("c.copy_(a)", namespace(a=ft.from_numpy(source).clone(), c=ft.zeros(size)), "c")


def relative_tolerance(expected: np.ndarray, rtol: float = 1e-5, atol: float = 1e-6) -> np.ndarray:
    return atol + rtol * np.abs(expected)


def accumulation_tolerance(abs_result: np.ndarray, terms: int, eps: float) -> np.ndarray:
    """Allowed error of a sum of `terms` products: a few eps * sqrt(terms) times
    the same sum taken over absolute values (the random-walk bound), with
    sqrt(terms) capped at 64: a long sum done in blocks (as every library here
    does) grows its error like a 4096-term sum, and the cap keeps a lost row of
    a 4096x4096 sum visible. A wrong answer (a lost block, a wrong index) is off
    by far more."""
    return 4 * eps * min(math.sqrt(terms), 64.0) * abs_result + 1e-30


@functools.lru_cache(maxsize=None)
def fasttensor_cross_entropy() -> tuple[Callable, str]:
    """fasttensor.nn.functional.cross_entropy when the nn package is there and
    works with this build of the extension; otherwise the op behind it (the nn
    package is being written alongside; the report names which one ran, and why)."""
    fallback = (lambda x, t: ft._C._cross_entropy(x, t, "mean")), "fasttensor._C._cross_entropy(x, t, 'mean')"
    try:
        from fasttensor.nn import functional as fasttensor_functional
    except (ImportError, AttributeError) as exc:
        return fallback[0], f"{fallback[1]} (fasttensor.nn not importable: {type(exc).__name__})"
    try:  # a two-row probe: the Python package can be ahead of the built extension
        fasttensor_functional.cross_entropy(ft.zeros(2, 3), ft.from_numpy(np.array([0, 2])))
    except Exception as exc:
        first_line = (str(exc).strip().splitlines() or [""])[0][:120]
        print(f"warning: fasttensor.nn.functional.cross_entropy raised {type(exc).__name__}: {first_line}; "
              "using fasttensor._C._cross_entropy", file=sys.stderr)
        return fallback[0], f"{fallback[1]} (fasttensor.nn.functional.cross_entropy raised {type(exc).__name__}: {first_line})"
    return fasttensor_functional.cross_entropy, "fasttensor.nn.functional.cross_entropy"


# matmul ------------------------------------------------------------------------

def matmul_case(name: str, a_shape: tuple[int, int], b_shape: tuple[int, int], expression: str,
                dtype=np.float32, tags: tuple[str, ...] = ()) -> Case:
    """`expression` in terms of a and b, e.g. 'a.T @ b'; the same text runs in all
    three libraries (.T is a view in each)."""
    rng = np.random.default_rng(0)
    a_numpy = rng.standard_normal(a_shape).astype(dtype)
    b_numpy = rng.standard_normal(b_shape).astype(dtype)
    a_eff = a_numpy.T if expression.startswith("a.T") else a_numpy
    b_eff = b_numpy.T if expression.endswith("b.T") else b_numpy
    m, k = a_eff.shape
    n = b_eff.shape[1]

    def build() -> Built:
        a, b = three_copies(a_numpy), three_copies(b_numpy)
        a64, b64 = a_eff.astype(np.float64), b_eff.astype(np.float64)
        eps = FLOAT32_EPS if dtype == np.float32 else FLOAT64_EPS
        return Built({lib: Impl(expression, namespace(a=a[lib], b=b[lib])) for lib in LIBRARIES},
                     (a64 @ b64,), (accumulation_tolerance(np.abs(a64) @ np.abs(b64), k, eps),))

    return Case("matmul", name, build, flops=2.0 * m * n * k, tags=tags)


def matmul_cases() -> list[Case]:
    cases = [matmul_case(f"fp32 {n}x{n} @ {n}x{n}", (n, n), (n, n), "a @ b", tags=("matmul-square",) +
                         (("matmul-large",) if n >= 512 else ()))
             for n in (64, 128, 256, 512, 1024, 2048)]
    mlp_shapes = [  # the MLP's products (X: 256x784, W1: 784x256, H/dH: 256x256, W2: 256x10, dO: 256x10)
        ("fp32 X @ W1 (256x784 @ 784x256)", (256, 784), (784, 256), "a @ b"),
        ("fp32 H @ W2 (256x256 @ 256x10)", (256, 256), (256, 10), "a @ b"),
        ("fp32 X.T @ dH (256x784 view-T @ 256x256)", (256, 784), (256, 256), "a.T @ b"),
        ("fp32 dH @ W1.T (256x256 @ 784x256 view-T)", (256, 256), (784, 256), "a @ b.T"),
        ("fp32 H.T @ dO (256x256 view-T @ 256x10)", (256, 256), (256, 10), "a.T @ b"),
    ]
    cases += [matmul_case(name, a, b, expr, tags=("matmul-mlp",)) for name, a, b, expr in mlp_shapes]
    cases.append(matmul_case("fp64 1024x1024 @ 1024x1024", (1024, 1024), (1024, 1024), "a @ b", dtype=np.float64))
    return cases


# elementwise -------------------------------------------------------------------

def float64_sigmoid(a: np.ndarray) -> np.ndarray:
    result = np.exp(np.negative(a, dtype=np.float64))
    result += 1
    return np.reciprocal(result, out=result)


# op -> (arity, float64 reference from the fp32 inputs, statements: allocating and into an existing c)
ELEMENTWISE_OPS: dict[str, tuple[int, Callable, dict[str, str], dict[str, tuple[str, str | None]]]] = {
    "add": (2, lambda a, b: np.add(a, b, dtype=np.float64),
            {"fasttensor": "a + b", "numpy": "a + b", "torch": "a + b"},
            {"fasttensor": ("ft.add(a, b, out=c)", None), "numpy": ("np.add(a, b, out=c)", None),
             "torch": ("torch.add(a, b, out=c)", None)}),
    "mul": (2, lambda a, b: np.multiply(a, b, dtype=np.float64),
            {"fasttensor": "a * b", "numpy": "a * b", "torch": "a * b"},
            {"fasttensor": ("ft.mul(a, b, out=c)", None), "numpy": ("np.multiply(a, b, out=c)", None),
             "torch": ("torch.mul(a, b, out=c)", None)}),
    "exp": (1, lambda a: np.exp(a, dtype=np.float64),
            {"fasttensor": "ft.exp(a)", "numpy": "np.exp(a)", "torch": "torch.exp(a)"},
            {"fasttensor": ("ft.exp(a, out=c)", None), "numpy": ("np.exp(a, out=c)", None),
             "torch": ("torch.exp(a, out=c)", None)}),
    # relu into c: PyTorch's relu has no out=; clamp_min(a, 0, out=c) and
    # np.maximum(a, 0, out=c) do the same one pass (read a, write c).
    "relu": (1, lambda a: np.maximum(a, 0, dtype=np.float64),
             {"fasttensor": "ft.relu(a)", "numpy": "np.maximum(a, 0)", "torch": "torch.relu(a)"},
             {"fasttensor": ("ft.relu(a, out=c)", None), "numpy": ("np.maximum(a, 0, out=c)", None),
              "torch": ("torch.clamp_min(a, 0, out=c)", None)}),
    # NumPy has no sigmoid: 1/(1+exp(-a)) is four passes (NumPy's cost, as a user pays it).
    "sigmoid": (1, float64_sigmoid,
                {"fasttensor": "ft.sigmoid(a)", "numpy": "1 / (1 + np.exp(-a))", "torch": "torch.sigmoid(a)"},
                {"fasttensor": ("ft.sigmoid(a, out=c)", None),
                 "numpy": ("np.negative(a, out=c); np.exp(c, out=c); np.add(c, 1, out=c); np.reciprocal(c, out=c)",
                           "c"),
                 "torch": ("torch.sigmoid(a, out=c)", None)}),
}


def elementwise_case(op: str, size: int, into_existing: bool) -> Case:
    arity, reference, allocating, existing = ELEMENTWISE_OPS[op]
    mode = "into existing" if into_existing else "allocating"

    def build() -> Built:
        arrays = [standard_normal((size,), seed=1 + i) for i in range(arity)]
        inputs = [three_copies(x) for x in arrays]
        out = three_zeros((size,)) if into_existing else None
        impls = {}
        for lib in LIBRARIES:
            values = dict(zip("ab", (x[lib] for x in inputs)))
            if out is not None:
                values["c"] = out[lib]
                stmt, result = existing[lib]
            else:
                stmt, result = allocating[lib], None
            impls[lib] = Impl(stmt, namespace(**values), result)
        expected = reference(*arrays)
        return Built(impls, (expected,), (relative_tolerance(expected),), copy_reference=copy_reference(size))

    tags = ("elementwise", "existing" if into_existing else "allocating", f"size={size}")
    return Case("elementwise", f"{op} {ELEMENTWISE_SIZES[size]} {mode}", build,
                bytes_moved=memory_traffic(size, arity + 1), tags=tags, elements=size)


def copy_case(size: int) -> Case:
    def build() -> Built:
        source = standard_normal((size,), seed=1)
        a, c = three_copies(source), three_zeros((size,))
        impls = {"fasttensor": Impl("c.copy_(a)", namespace(a=a["fasttensor"], c=c["fasttensor"]), "c"),
                 "numpy": Impl("np.copyto(c, a)", namespace(a=a["numpy"], c=c["numpy"]), "c"),
                 "torch": Impl("c.copy_(a)", namespace(a=a["torch"], c=c["torch"]), "c")}
        return Built(impls, (source.astype(np.float64),), (0.0,))

    return Case("elementwise", f"copy {ELEMENTWISE_SIZES[size]} into existing", build,
                bytes_moved=memory_traffic(size, 2), tags=("copy", f"size={size}"))


def broadcast_add_case(into_existing: bool) -> Case:
    rows = cols = 4096
    mode = "into existing" if into_existing else "allocating"

    def build() -> Built:
        a_numpy = standard_normal((rows, cols), seed=3)
        b_numpy = standard_normal((cols,), seed=4)
        a, b = three_copies(a_numpy), three_copies(b_numpy)
        out = three_zeros((rows, cols)) if into_existing else None
        stmts = ({"fasttensor": "ft.add(a, b, out=c)", "numpy": "np.add(a, b, out=c)", "torch": "torch.add(a, b, out=c)"}
                 if into_existing else dict.fromkeys(LIBRARIES, "a + b"))
        impls = {lib: Impl(stmts[lib], namespace(a=a[lib], b=b[lib], **({"c": out[lib]} if out else {})))
                 for lib in LIBRARIES}
        expected = np.add(a_numpy, b_numpy, dtype=np.float64)
        return Built(impls, (expected,), (relative_tolerance(expected),), copy_reference=copy_reference(rows * cols))

    tags = ("elementwise", "existing" if into_existing else "allocating", "broadcast")
    return Case("elementwise", f"broadcast add (4096x4096) + (4096,) {mode}", build,
                bytes_moved=8.0 * rows * cols, tags=tags, elements=rows * cols)


def elementwise_cases() -> list[Case]:
    cases = [copy_case(size) for size in ELEMENTWISE_SIZES]
    for op in ELEMENTWISE_OPS:
        for size in ELEMENTWISE_SIZES:
            cases += [elementwise_case(op, size, False), elementwise_case(op, size, True)]
    cases += [broadcast_add_case(False), broadcast_add_case(True)]
    return cases


# reductions, softmax, cross-entropy ---------------------------------------------

def sum_case(dim: int | None, rows: int = 4096, cols: int = 4096) -> Case:
    label = "all" if dim is None else f"dim {dim}"

    def build() -> Built:
        # Uniform [0, 1): a sum with a large value, so a lost block shows.
        x_numpy = np.random.default_rng(4).random((rows, cols), dtype=np.float32)
        x = three_copies(x_numpy)
        stmts = ({lib: "x.sum()" for lib in LIBRARIES} if dim is None else
                 {"fasttensor": f"x.sum({dim})", "numpy": f"x.sum(axis={dim})", "torch": f"x.sum({dim})"})
        expected = x_numpy.astype(np.float64).sum(axis=dim)
        terms = rows * cols if dim is None else (rows, cols)[dim]
        return Built({lib: Impl(stmts[lib], namespace(x=x[lib])) for lib in LIBRARIES},
                     (expected,), (accumulation_tolerance(expected, terms, FLOAT32_EPS),))

    return Case("reductions & softmax", f"sum {label} of {rows}x{cols}", build,
                bytes_moved=4.0 * rows * cols, tags=("reduction",))


def numpy_softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=1, keepdims=True))
    e /= e.sum(axis=1, keepdims=True)
    return e


def numpy_log_softmax(x: np.ndarray) -> np.ndarray:
    z = x - x.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def softmax_case(function: str, shape: tuple[int, int]) -> Case:
    def build() -> Built:
        x_numpy = np.random.default_rng(5).standard_normal(shape, dtype=np.float32)
        x = three_copies(x_numpy)
        stmts = {"fasttensor": f"ft.{function}(x, dim=1)", "numpy": f"numpy_{function}(x)",
                 "torch": f"torch.{function}(x, dim=1)"}
        expected = {"softmax": numpy_softmax, "log_softmax": numpy_log_softmax}[function](x_numpy.astype(np.float64))
        helpers = {"numpy_softmax": numpy_softmax, "numpy_log_softmax": numpy_log_softmax}
        return Built({lib: Impl(stmts[lib], namespace(x=x[lib], **helpers)) for lib in LIBRARIES},
                     (expected,), (relative_tolerance(expected, atol=1e-5 if function == "log_softmax" else 1e-6),))

    return Case("reductions & softmax", f"{function} dim 1 of {shape[0]}x{shape[1]}", build,
                bytes_moved=memory_traffic(shape[0] * shape[1], 2), tags=("softmax",),
                note="NumPy: the usual max-subtract, exp, sum, divide (several passes)")


def numpy_cross_entropy_forward_backward(logits: np.ndarray, targets: np.ndarray) -> tuple:
    """Mean cross-entropy and its gradient by hand (NumPy has no autograd)."""
    rows = np.arange(len(targets))
    shifted = logits - logits.max(axis=1, keepdims=True)
    exps = np.exp(shifted)
    sums = exps.sum(axis=1, keepdims=True)
    loss = (np.log(sums[:, 0]) - shifted[rows, targets]).mean()
    grad = exps / sums
    grad[rows, targets] -= 1
    grad /= len(targets)
    return loss, grad


def cross_entropy_case() -> Case:
    batch, classes = 256, 10
    cross_entropy, source = fasttensor_cross_entropy()

    def build() -> Built:
        rng = np.random.default_rng(6)
        logits = rng.standard_normal((batch, classes), dtype=np.float32)
        targets = rng.integers(0, classes, batch).astype(np.int64)
        x = {"fasttensor": ft.from_numpy(logits).clone().requires_grad_(True), "numpy": logits.copy(),
             "torch": torch.from_numpy(logits).clone().requires_grad_(True)}
        t = three_copies(targets)
        # The gradient accumulates in x.grad over the timed calls, the same in both libraries.
        impls = {"fasttensor": Impl("loss = cross_entropy(x, t); loss.backward()",
                                    namespace(x=x["fasttensor"], t=t["fasttensor"], cross_entropy=cross_entropy),
                                    "(loss, x.grad)"),
                 "numpy": Impl("numpy_cross_entropy_forward_backward(x, t)",
                               namespace(x=x["numpy"], t=t["numpy"],
                                         numpy_cross_entropy_forward_backward=numpy_cross_entropy_forward_backward)),
                 "torch": Impl("loss = torch_functional.cross_entropy(x, t); loss.backward()",
                               namespace(x=x["torch"], t=t["torch"], torch_functional=torch_functional),
                               "(loss, x.grad)")}
        loss, grad = numpy_cross_entropy_forward_backward(logits.astype(np.float64), targets)
        return Built(impls, (np.array(loss), grad), (relative_tolerance(np.array(loss)), relative_tolerance(grad)))

    return Case("reductions & softmax", "cross-entropy fwd+bwd (256, 10), int64 targets", build,
                tags=("cross-entropy", "autograd"),
                note=f"fasttensor: {source}; NumPy: forward and gradient by hand")


# per-op overhead ---------------------------------------------------------------

def overhead_cases() -> list[Case]:
    def build_add() -> Built:
        a, b = three_copies(np.array([1.5], np.float32)), three_copies(np.array([2.25], np.float32))
        return Built({lib: Impl("a + b", namespace(a=a[lib], b=b[lib])) for lib in LIBRARIES},
                     (np.array([3.75]),), (0.0,))

    def build_tiny_backward() -> Built:
        x_numpy = np.array([0.5, -1.0, 2.0, 3.0], np.float32)
        x = {"fasttensor": ft.from_numpy(x_numpy).clone().requires_grad_(True),
             "torch": torch.from_numpy(x_numpy).clone().requires_grad_(True)}
        impls = {lib: Impl("y = (x * x).sum(); y.backward()", namespace(x=x[lib]), "(y, x.grad)")
                 for lib in ("fasttensor", "torch")}
        x64 = x_numpy.astype(np.float64)
        return Built(impls, (np.array((x64 * x64).sum()), 2 * x64), (1e-6, 1e-6))

    values = [0.5 * i - 1.0 for i in range(10)]

    def build_tensor_of_list() -> Built:
        stmts = {"fasttensor": "ft.tensor(v)", "numpy": "np.array(v, np.float32)", "torch": "torch.tensor(v)"}
        return Built({lib: Impl(stmt, namespace(v=values)) for lib, stmt in stmts.items()},
                     (np.array(values),), (0.0,))

    def build_zeros() -> Built:
        stmts = {"fasttensor": "ft.zeros(2, 3)", "numpy": "np.zeros((2, 3), np.float32)", "torch": "torch.zeros(2, 3)"}
        return Built({lib: Impl(stmt, namespace()) for lib, stmt in stmts.items()}, (np.zeros((2, 3)),), (0.0,))

    def build_clone() -> Built:
        a = three_copies(np.array(values, np.float32))
        stmts = {"fasttensor": "a.clone()", "numpy": "a.copy()", "torch": "a.clone()"}
        return Built({lib: Impl(stmt, namespace(a=a[lib])) for lib, stmt in stmts.items()},
                     (np.array(values),), (0.0,))

    return [Case("per-op overhead", "add of two 1-element tensors", build_add, tags=("overhead-add",)),
            Case("per-op overhead", "(x * x).sum(); y.backward(), 4 elements", build_tiny_backward,
                 tags=("overhead-backward", "autograd"), note="no NumPy column (no autograd)"),
            Case("per-op overhead", "tensor() of a list of 10 floats", build_tensor_of_list, tags=("overhead-create",)),
            Case("per-op overhead", "zeros(2, 3)", build_zeros, tags=("overhead-create",)),
            Case("per-op overhead", "clone() of 10 elements", build_clone, tags=("overhead-create",)),
            Case("per-op overhead", "D2L 3.4 linear regression from scratch: one epoch, 1000 samples, batch 10",
                 build_linreg_epoch, tags=("overhead-d2l", "autograd"),
                 note="the book's loop: torch.tensor(batch indices), X @ w + b, squared loss, backward, "
                      "sgd under no_grad; NumPy: the gradient by hand")]


def build_linreg_epoch() -> Built:
    """One epoch of D2L 3.4's linear regression from scratch, from the same start and in the same
    shuffled order for each library; checked against the same loop in float64 NumPy."""
    rng = np.random.default_rng(5)
    features = rng.standard_normal((1000, 2)).astype(np.float32)
    labels = (features @ np.array([2.0, -3.4], np.float32) + 4.2
              + 0.01 * rng.standard_normal(1000).astype(np.float32)).astype(np.float32).reshape(-1, 1)
    w0, b0 = (0.01 * rng.standard_normal((2, 1))).astype(np.float32), np.zeros(1, np.float32)
    order = [int(i) for i in rng.permutation(1000)]
    lr, batch = 0.03, 10

    def epoch_for(m):
        X_all, y_all = m.from_numpy(features.copy()), m.from_numpy(labels.copy())

        def epoch():
            w = m.from_numpy(w0.copy()).requires_grad_(True)
            b = m.from_numpy(b0.copy()).requires_grad_(True)
            for i in range(0, len(order), batch):
                idx = m.tensor(order[i:i + batch])
                X, y = X_all[idx], y_all[idx]
                y_hat = m.matmul(X, w) + b
                loss = (y_hat - y.reshape(y_hat.shape)) ** 2 / 2
                loss.sum().backward()
                with m.no_grad():
                    for param in (w, b):
                        param -= lr * param.grad / batch
                        param.grad.zero_()
            return w.detach(), b.detach()
        return epoch

    def numpy_epoch():
        X_all, y_all = features.astype(np.float64), labels.astype(np.float64)
        w, b = w0.astype(np.float64), b0.astype(np.float64)
        for i in range(0, len(order), batch):
            idx = np.array(order[i:i + batch])
            X, y = X_all[idx], y_all[idx]
            r = X @ w + b - y
            w, b = w - lr * (X.T @ r) / batch, b - lr * r.sum(0) / batch
        return w, b

    numpy_impl = Impl("w, b = epoch()", namespace(epoch=numpy_epoch), "(w, b)")
    impls = {"fasttensor": Impl("w, b = epoch()", namespace(epoch=epoch_for(ft)), "(w, b)"),
             "torch": Impl("w, b = epoch()", namespace(epoch=epoch_for(torch)), "(w, b)"),
             "numpy": numpy_impl}
    w, b = numpy_epoch()
    return Built(impls, (w, b), (1e-4, 1e-4))


# random numbers ----------------------------------------------------------------

RANDOM_CALLS = {
    "rand": "{m}.rand({n})",
    "randn": "{m}.randn({n})",
    "randint(0, 10)": "{m}.randint(0, 10, ({n},))",
    "dropout(p=0.5)": "{m}.nn.functional.dropout(x, 0.5)",
    "randperm": "{m}.randperm({n})",
}


def random_case(call: str, size: int, label: str) -> Case:
    """A sampling call; the check: after the same manual_seed, fasttensor draws torch's very values."""
    def build() -> Built:
        impls, outputs = {}, {}
        for lib, module in (("fasttensor", ft), ("torch", torch)):
            name = "ft" if lib == "fasttensor" else "torch"
            ns = namespace(x=module.ones(size))
            stmt = RANDOM_CALLS[call].format(m=name, n=size)
            impls[lib] = Impl(stmt, ns)
            outputs[lib] = functools.partial(lambda module, impl: (module.manual_seed(7), impl.output())[1],
                                             module, impls[lib])
        expected = np.asarray(outputs["torch"]().numpy(), dtype=np.float64)
        return Built(impls, (expected,), (0.0,), outputs=outputs)

    return Case("random numbers", f"{call} {label}", build, tags=("random",))


def random_cases() -> list[Case]:
    return ([random_case(call, size, label) for call in ("rand", "randn", "randint(0, 10)", "dropout(p=0.5)")
             for size, label in ((1_000, "1e3"), (1_000_000, "1e6"))]
            + [random_case("randperm", 60_000, "6e4")])


# MLP epoch ---------------------------------------------------------------------

def autograd_train_steps(lib, cross_entropy: Callable, batches: list, params: list, lr: float):
    """The d2l-style loop, the same text for fasttensor and PyTorch (`lib`)."""
    w1, b1, w2, b2 = params
    loss = None
    for x, y in batches:
        hidden = lib.relu(x @ w1 + b1)
        logits = hidden @ w2 + b2
        loss = cross_entropy(logits, y)
        loss.backward()
        with lib.no_grad():
            for p in params:
                p -= lr * p.grad
                p.grad.zero_()
    return loss


def numpy_train_steps(batches: list, params: list, lr: float):
    """The same steps with the backward written out (NumPy has no autograd); in
    float64 this is also the reference the check uses."""
    w1, b1, w2, b2 = params
    loss = None
    for x, y in batches:
        pre_activation = x @ w1 + b1             # (B, 256)
        hidden = np.maximum(pre_activation, 0)
        logits = hidden @ w2 + b2                # (B, 10)
        loss, d_logits = numpy_cross_entropy_forward_backward(logits, y)
        d_hidden = d_logits @ w2.T
        d_hidden *= pre_activation > 0
        grads = (x.T @ d_hidden, d_hidden.sum(axis=0), hidden.T @ d_logits, d_logits.sum(axis=0))
        for p, g in zip(params, grads):
            p -= lr * g
    return loss


def mlp_epoch_case(samples: int) -> Case:
    cross_entropy, source = fasttensor_cross_entropy()

    def build() -> Built:
        rng = np.random.default_rng(7)
        # Fashion-MNIST's shape: 60,000 images of 28x28 in [0, 1), 10 classes.
        images = rng.random((samples, 784), dtype=np.float32)
        labels = rng.integers(0, 10, samples).astype(np.int64)
        initial = [(rng.standard_normal((784, 256)) * 0.01).astype(np.float32), np.zeros(256, np.float32),
                   (rng.standard_normal((256, 10)) * 0.01).astype(np.float32), np.zeros(10, np.float32)]
        starts = range(0, samples, MLP_BATCH)  # 60,000 samples: 235 batches, the last one of 96
        batches_numpy = [(images[s:s + MLP_BATCH], labels[s:s + MLP_BATCH]) for s in starts]

        def tensors(lib: str) -> tuple[list, list]:
            convert = {"fasttensor": lambda a: ft.from_numpy(a).clone(), "torch": lambda a: torch.from_numpy(a).clone(),
                       "numpy": np.copy}[lib]
            batches = [(convert(x), convert(y)) for x, y in batches_numpy]
            params = [convert(p) for p in initial]
            if lib != "numpy":
                params = [p.requires_grad_(True) for p in params]
            return batches, params

        def epoch_runner(lib: str, batches: list, params: list) -> Callable[[], Any]:
            if lib == "numpy":
                return lambda: numpy_train_steps(batches, params, MLP_LR)
            module, loss_fn = (ft, cross_entropy) if lib == "fasttensor" else (torch, torch_functional.cross_entropy)
            return lambda: autograd_train_steps(module, loss_fn, batches, params, MLP_LR)

        impls, outputs = {}, {}
        check_steps = 3
        for lib in LIBRARIES:
            batches, params = tensors(lib)
            impls[lib] = Impl("epoch()", namespace(epoch=epoch_runner(lib, batches, params)))
            # The check: three steps from the same start, on fresh parameters.
            check_batches, check_params = tensors(lib)
            check_run = epoch_runner(lib, check_batches[:check_steps], check_params)
            outputs[lib] = (lambda run=check_run, ps=check_params: (run(), *ps))
        params64 = [p.astype(np.float64) for p in initial]
        loss64 = numpy_train_steps([(x.astype(np.float64), y) for x, y in batches_numpy[:check_steps]], params64, MLP_LR)
        expected = (np.array(loss64), *params64)
        allowed = tuple(relative_tolerance(e, rtol=1e-4, atol=1e-5) for e in expected)
        return Built(impls, expected, allowed, outputs=outputs, long_call_reps=(3, 5))

    return Case("MLP training", f"epoch 784-256-10 ReLU, batch 256, {samples:,} samples, SGD lr 0.1", build,
                tags=("mlp-epoch", "autograd"),
                note=f"fasttensor loss: {source}; the same Python loop for fasttensor and PyTorch "
                     "(p -= lr * p.grad; p.grad.zero_() under no_grad); NumPy: backward by hand")


def all_cases(options: argparse.Namespace) -> list[Case]:
    return (matmul_cases() + elementwise_cases()
            + [sum_case(None), sum_case(0), sum_case(1), sum_case(1, 256, 10)]
            + [softmax_case(f, shape) for f in ("softmax", "log_softmax") for shape in ((256, 10), (4096, 4096))]
            + [cross_entropy_case()] + overhead_cases() + random_cases() + [mlp_epoch_case(MLP_SAMPLES // 10 if options.quick else MLP_SAMPLES)])


# --------------------------------------------------------------------------- checking

class WrongAnswer(Exception):
    pass


def as_arrays(value: Any) -> tuple[np.ndarray, ...]:
    """A result (tensor, array, number or a tuple of them) as float64 arrays."""
    items = value if isinstance(value, tuple) else (value,)
    arrays = []
    for item in items:
        if isinstance(item, (ft.Tensor, torch.Tensor)):
            item = item.detach().numpy()
        arrays.append(np.array(item, dtype=np.float64))  # a fresh copy: error_ratio works in place
    return tuple(arrays)


def error_ratio(got: tuple, expected: tuple, allowed: tuple) -> float:
    """The largest |got - expected| / allowed (≤ 1 passes); inf on a shape or
    NaN/inf mismatch. Works in place on `got` (fresh float64 copies): the large
    cases have 16M elements."""
    if len(got) != len(expected):
        return math.inf
    worst = 0.0
    for g, e, a in zip(got, expected, allowed):
        if g.shape != e.shape or not np.array_equal(np.isfinite(g), np.isfinite(e)):
            return math.inf
        error = np.abs(np.subtract(g, e, out=g), out=g)
        bound = np.asarray(a, dtype=np.float64)
        if not np.any(bound):  # exact results expected (copies)
            worst = max(worst, 0.0 if not np.any(error) else math.inf)
            continue
        worst = max(worst, float(np.max(np.divide(error, bound, out=error), initial=0.0)))
    return worst


# --------------------------------------------------------------------------- timing

@dataclass
class Timing:
    median: float  # seconds per call
    p25: float
    p75: float
    samples: int
    calls_per_sample: int


class LoadMeter:
    """CPU time other processes used while we ran, in cores: all busy time
    (/proc/stat) minus our own (getrusage, all threads), over the wall time."""

    def __init__(self) -> None:
        self.start = self.snapshot()

    @staticmethod
    def snapshot() -> tuple[float, float, float, float]:
        busy = steal = 0.0
        try:
            fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
            user, nice, system, idle, iowait, irq, softirq, steal_ticks = (fields + [0] * 8)[:8]
            tick = os.sysconf("SC_CLK_TCK")
            busy = (user + nice + system + irq + softirq) / tick
            steal = steal_ticks / tick
        except (OSError, ValueError):
            pass
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return time.monotonic(), busy, usage.ru_utime + usage.ru_stime, steal

    def others_cores(self) -> float:
        wall0, busy0, ours0, _ = self.start
        wall1, busy1, ours1, _ = self.snapshot()
        return max(0.0, ((busy1 - busy0) - (ours1 - ours0)) / max(wall1 - wall0, 1e-9))


def calibrate(timer: timeit.Timer, target_s: float) -> tuple[int, float]:
    """Calls per sample so that one sample lasts at least target_s; the runs
    double as warm-up. Returns (calls, seconds per call)."""
    calls = 1
    while True:
        elapsed = timer.timeit(calls) * 1e-9
        if elapsed >= target_s or calls >= 1 << 22:
            return calls, elapsed / calls
        growth = min(100.0, 1.2 * target_s / max(elapsed, 1e-8))
        calls = max(calls + 1, int(calls * growth))


def wait_until_threads_idle(window_s: float = 0.003, quiet_windows: int = 2, max_wait_s: float = 0.4) -> None:
    """Sleep until this process's threads stop using CPU. A library's thread pool
    spins for a while after its last job (OpenBLAS's for ~0.1 s, OpenMP's for a
    few ms, fasttensor's for ~50 us); without this wait the next library's sample
    would share the cores with those spinning threads, which no user running one
    library sees. Quiet: under a quarter of a core for `quiet_windows` windows in a row."""
    deadline = time.monotonic() + max_wait_s
    quiet, cpu, wall = 0, time.process_time(), time.monotonic()
    while quiet < quiet_windows and wall < deadline:
        time.sleep(window_s)
        cpu_now, wall_now = time.process_time(), time.monotonic()
        quiet = quiet + 1 if (cpu_now - cpu) < 0.25 * (wall_now - wall) else 0
        cpu, wall = cpu_now, wall_now


def time_interleaved(impls: dict[str, Impl], options: argparse.Namespace,
                     long_call_reps: tuple[int, int] | None) -> dict[str, Timing]:
    """Warm up and calibrate each library, then take the samples in turns:
    fasttensor, NumPy, PyTorch, fasttensor, ... with the previous library's
    threads idle before each sample, and one untimed call of the sampled
    library just before it. That call matters on these VMs: after the idle
    wait a core runs the first few milliseconds several times slower (a
    one-thread sum over 4 MB: 0.17 ms back to back, 0.53 ms after 20 ms of
    sleep, no thread pool involved), and that would be timed instead of the
    steady state a loop sees. Long calls (the epoch) are not re-warmed."""
    timers = {lib: timeit.Timer(impl.stmt, globals=impl.ns, timer=time.perf_counter_ns) for lib, impl in impls.items()}
    calls: dict[str, int] = {}
    per_call: dict[str, float] = {}
    for lib, timer in timers.items():
        wait_until_threads_idle()
        if long_call_reps is not None:  # one long call per sample (an epoch): one warm-up call
            calls[lib], per_call[lib] = 1, timer.timeit(1) * 1e-9
        else:
            timer.timeit(2)
            calls[lib], per_call[lib] = calibrate(timer, options.sample_s)
    if long_call_reps is not None:  # as many as fit the long-call budget, within (fewest, most)
        fewest, most = long_call_reps
        reps = int(min(most, max(fewest, options.long_call_budget_s / sum(per_call.values()))))
    else:
        started = time.monotonic()
        for lib in timers:  # what one rep costs, the idle waits included
            wait_until_threads_idle()
            timers[lib].timeit(calls[lib])
        rep_seconds = time.monotonic() - started
        reps = int(min(options.max_reps, max(options.min_reps, options.case_budget_s / rep_seconds)))
    samples: dict[str, list[float]] = {lib: [] for lib in timers}
    for _ in range(reps):
        for lib, timer in timers.items():
            wait_until_threads_idle()
            if long_call_reps is None:
                timer.timeit(1)  # re-warm after the idle wait (docstring)
            samples[lib].append(timer.timeit(calls[lib]) * 1e-9 / calls[lib])
    result = {}
    for lib, values in samples.items():
        p25, median, p75 = np.percentile(values, [25, 50, 75])
        result[lib] = Timing(float(median), float(p25), float(p75), len(values), calls[lib])
    return result


@dataclass
class Outcome:
    case: Case
    status: str                                   # "ok", "wrong answer", "error", "skipped"
    timings: dict[str, Timing] = field(default_factory=dict)
    errors: dict[str, float] = field(default_factory=dict)  # error / allowed per library
    missing: dict[str, str] = field(default_factory=dict)   # library -> why it has no time
    message: str = ""
    others_cores: float = 0.0
    wall_s: float = 0.0  # the whole case: building, checking, warming up, timing

    def ratio(self, other: str) -> float | None:
        ours, theirs = self.timings.get("fasttensor"), self.timings.get(other)
        return ours.median / theirs.median if ours and theirs else None

    def rate(self, lib: str) -> float | None:
        """GFLOP/s or GB/s of one library (or of the COPY reference), from its median."""
        timing = self.timings.get(lib)
        if lib == COPY:  # a copy of the op's output size reads and writes 8 bytes per fp32 element
            return 8.0 * self.case.elements / timing.median * 1e-9 if timing and self.case.elements else None
        amount = self.case.flops or self.case.bytes_moved
        return amount / timing.median * 1e-9 if timing and amount else None

    def share_of_copy(self) -> float | None:
        """fasttensor's GB/s over the in-case copy's GB/s."""
        ours, copy = self.rate("fasttensor"), self.rate(COPY)
        return ours / copy if ours and copy else None


def run_case(case: Case, options: argparse.Namespace) -> Outcome:
    meter = LoadMeter()
    try:
        built = case.build()
    except Exception as exc:  # a builder that fails is a bug in this file or a missing API
        return Outcome(case, "error", message=f"building inputs: {exc!r}")
    outcome = Outcome(case, "ok")
    runnable: dict[str, Impl] = {}
    for lib, impl in built.impls.items():
        try:
            got = as_arrays(built.outputs[lib]() if lib in built.outputs else impl.output())
        except Exception as exc:
            first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            outcome.missing[lib] = f"{type(exc).__name__}: {first_line}"[:200]
            continue
        outcome.errors[lib] = error_ratio(got, built.expected, built.allowed)
        runnable[lib] = impl
    if "fasttensor" in outcome.missing:
        outcome.status = "error"
        outcome.message = f"fasttensor raised {outcome.missing['fasttensor']}"
    elif "fasttensor" in outcome.errors and outcome.errors["fasttensor"] > 1:
        outcome.status = "wrong answer"
        outcome.message = (f"fasttensor's result is off by {outcome.errors['fasttensor']:.3g}x the allowed error "
                           f"(numpy: {outcome.errors.get('numpy', math.nan):.3g}x, "
                           f"torch: {outcome.errors.get('torch', math.nan):.3g}x)")
        return outcome  # a benchmark of a wrong answer is worthless
    for lib in ("numpy", "torch"):
        if outcome.errors.get(lib, 0) > 1:  # the reference or the tolerance is off, not fasttensor
            print(f"    warning: {lib} fails this case's check ({outcome.errors[lib]:.3g}x allowed)", file=sys.stderr)
    if built.copy_reference is not None:
        runnable[COPY] = built.copy_reference
    gc.collect()
    outcome.timings = time_interleaved(runnable, options, built.long_call_reps)
    outcome.others_cores = meter.others_cores()
    return outcome


# --------------------------------------------------------------------------- machine

def machine_info(threads: int) -> dict:
    cpu_model = ft._C._cpu_model_name() if hasattr(ft._C, "_cpu_model_name") else platform.processor()
    numpy_features = getattr(getattr(np, "_core", np), "_multiarray_umath", None)
    numpy_simd = [k for k, v in getattr(numpy_features, "__cpu_features__", {}).items() if v]
    blas = [{k: v for k, v in entry.items() if k in ("user_api", "internal_api", "prefix", "version",
                                                      "architecture", "threading_layer", "num_threads", "filepath")}
            for entry in threadpoolctl.threadpool_info()]
    return {
        "host": socket.gethostname(),
        "cpu_model": cpu_model,
        "logical_cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)),
        "threads": threads,
        "fasttensor_threads": ft.get_num_threads(),
        "torch_threads": torch.get_num_threads(),
        "fasttensor_simd_level": ft._C._simd_level(),
        "fasttensor_detected_simd_level": getattr(ft._C, "_detected_simd_level", lambda: None)(),
        "torch_cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "isa_environment": {k: os.environ[k] for k in ("ATEN_CPU_CAPABILITY", "MKL_ENABLE_INSTRUCTIONS",
                                                       "ONEDNN_MAX_CPU_ISA") if k in os.environ},
        "numpy_simd_highest": numpy_simd[-1] if numpy_simd else None,
        "blas_and_openmp": blas,
        "openblas_core_type": [e.get("architecture") for e in blas if e.get("internal_api") == "openblas"],
        "unset_environment": UNSET_ENVIRONMENT,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "torch": torch.__version__,
        "fasttensor": getattr(ft, "__version__", "?"),
        "fasttensor_path": str(Path(ft.__file__).parent),
        "git": git_state(),
        "kernel": platform.release(),
    }


def git_state() -> str | None:
    try:
        head = subprocess.run(["git", "-C", str(REPO_ROOT), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(REPO_ROOT), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return f"{head}{' + uncommitted changes' if dirty else ''}" if head else None
    except (OSError, subprocess.SubprocessError):
        return None


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def cpu_slug(model: str) -> str:
    model = re.sub(r"\((r|tm)\)|\bcpu\b|@.*", "", model, flags=re.I)
    return re.sub(r"[^a-z0-9]+", "-", model.lower()).strip("-") or "cpu"


# --------------------------------------------------------------------------- report

def format_seconds(seconds: float, unit: tuple[str, float] | None = None) -> str:
    _, scale = unit or time_unit(seconds)
    value = seconds / scale
    return f"{value:.3g}" if value < 100 else f"{value:.0f}"


def time_unit(seconds: float) -> tuple[str, float]:
    for name, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return name, scale
    return "ns", 1e-9


def format_timing(timing: Timing | None) -> str:
    if timing is None:
        return "n/a"
    unit = time_unit(timing.median)
    return (f"{format_seconds(timing.median, unit)} {unit[0]} "
            f"({format_seconds(timing.p25, unit)}–{format_seconds(timing.p75, unit)})")


def format_ratio(ratio: float | None) -> str:
    if ratio is None:
        return "n/a"
    return f"{ratio:.2f}" if ratio >= 0.1 else f"{ratio:.2g}"


def rate_cell(outcome: Outcome) -> str:
    """GFLOP/s or GB/s of the three libraries (cases that set flops or bytes_moved)."""
    if not outcome.timings or not (outcome.case.flops or outcome.case.bytes_moved):
        return ""
    unit = "GFLOP/s" if outcome.case.flops else "GB/s"
    rates = " / ".join("n/a" if outcome.rate(lib) is None else f"{outcome.rate(lib):.1f}" for lib in LIBRARIES)
    cell = f"{rates} {unit}"
    if outcome.share_of_copy() is not None:
        cell += f"; copy {outcome.rate(COPY):.1f} GB/s, ft at {100 * outcome.share_of_copy():.0f}% of it"
    return cell


def case_row(outcome: Outcome) -> list[str]:
    if outcome.status in ("wrong answer", "error") and not outcome.timings:
        return [outcome.case.name, f"**{outcome.status.upper()}**: {outcome.message}", "", "", "", "", "", ""]
    cells = [format_timing(outcome.timings.get(lib)) if lib in outcome.timings else
             ("n/a" if lib not in outcome.missing else f"n/a ({outcome.missing[lib]})") for lib in LIBRARIES]
    return [outcome.case.name, *cells, format_ratio(outcome.ratio("numpy")), format_ratio(outcome.ratio("torch")),
            rate_cell(outcome), f"{outcome.others_cores:.1f}"]


# Targets of the issue: (label, which cases, compared against, threshold, strict "<").
TARGETS: list[tuple[str, Callable[[Case], bool], str, float, bool]] = [
    ("fp32 matmul n=512…2048 vs torch ≤ 1.1", lambda c: "matmul-large" in c.tags, "torch", 1.1, False),
    ("fp32 matmul n=512…2048 vs numpy < 1", lambda c: "matmul-large" in c.tags, "numpy", 1.0, True),
    ("MLP matmul shapes vs torch ≤ 1.0", lambda c: "matmul-mlp" in c.tags, "torch", 1.0, False),
    ("MLP matmul shapes vs numpy ≤ 1.0", lambda c: "matmul-mlp" in c.tags, "numpy", 1.0, False),
    ("elementwise at 1.6e7 into existing ≥ 90% of copy bandwidth",
     lambda c: "existing" in c.tags and (f"size={BANDWIDTH_SIZE}" in c.tags or "broadcast" in c.tags),
     "copy", 0.9, False),
    ("elementwise allocating vs torch ≤ 1.0", lambda c: "allocating" in c.tags, "torch", 1.0, False),
    ("elementwise allocating vs numpy ≤ 1.0", lambda c: "allocating" in c.tags, "numpy", 1.0, False),
    ("elementwise at 1e3 vs torch ≤ 1.0", lambda c: "size=1000" in c.tags and "elementwise" in c.tags,
     "torch", 1.0, False),
    ("elementwise at 1e3 vs numpy ≤ 1.0", lambda c: "size=1000" in c.tags and "elementwise" in c.tags,
     "numpy", 1.0, False),
    ("softmax / log_softmax / reductions vs torch ≤ 1.0",
     lambda c: "softmax" in c.tags or "reduction" in c.tags, "torch", 1.0, False),
    ("softmax / log_softmax / reductions vs numpy ≤ 1.0",
     lambda c: "softmax" in c.tags or "reduction" in c.tags, "numpy", 1.0, False),
    ("cross-entropy fwd+bwd vs torch ≤ 1.0", lambda c: "cross-entropy" in c.tags, "torch", 1.0, False),
    ("add of 1-element tensors vs torch ≤ 0.5", lambda c: "overhead-add" in c.tags, "torch", 0.5, False),
    ("tiny fwd+bwd vs torch ≤ 1.0", lambda c: "overhead-backward" in c.tags, "torch", 1.0, False),
    ("MLP epoch vs torch ≤ 1.0", lambda c: "mlp-epoch" in c.tags, "torch", 1.0, False),
]


def evaluate_targets(outcomes: list[Outcome]) -> list[dict]:
    rows = []
    for label, selects, against, threshold, strict in TARGETS:
        for outcome in outcomes:
            if not selects(outcome.case):
                continue
            row = {"target": label, "case": outcome.case.name}
            if against == "copy":
                value = outcome.share_of_copy()
                met = value is not None and value >= threshold
                margin = None if value is None else threshold / value - 1  # how much faster it must get
            else:
                value = outcome.ratio(against)
                met = value is not None and (value < threshold if strict else value <= threshold)
                margin = None if value is None else value / threshold - 1
            row.update(value=value, met=met, missed_by=None if met or margin is None else margin)
            if value is None:
                row["status"] = f"not measured ({outcome.status}: {outcome.message})" if outcome.message else "not measured"
            else:
                row["status"] = "met" if met else f"missed by {100 * margin:.0f}%"
            rows.append(row)
    return rows


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    escape = lambda s: str(s).replace("|", "\\|")  # noqa: E731
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(escape(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


GROUP_NOTES = {
    "matmul": "Rate: GFLOP/s (2·m·n·k per call), fasttensor / numpy / torch. `.T` operands are views.",
    "elementwise": (
        "fp32, inputs ~N(0, 1). *allocating*: `a + b`, `ft.exp(a)`, ... return a new tensor; *into existing*: "
        "`out=c` (NumPy `np.add(a, b, out=c)`). relu into existing: fasttensor `ft.relu(a, out=c)`, torch "
        "`torch.clamp_min(a, 0, out=c)` (torch.relu has no out=), NumPy `np.maximum(a, 0, out=c)` — one pass each. "
        "NumPy sigmoid is `1/(1+np.exp(-a))` (allocating) or four out= passes (into existing). NumPy's ufuncs run on "
        "one thread whatever the thread count. Rate at 1.6e7 and for broadcast: GB/s = (bytes read + bytes written) "
        "per second, fasttensor / numpy / torch; then the GB/s of a plain copy of the same size (fasttensor's "
        "`c.copy_(a)`) timed in the same interleaved reps, and fasttensor's GB/s as a % of it."),
    "reductions & softmax": (
        "sum inputs uniform [0, 1); softmax inputs ~N(0, 1). GB/s counts the input once (and the output for softmax). "
        "NumPy's softmax is the hand-written multi-pass formula; cross-entropy's NumPy column is forward + "
        "gradient by hand. For fwd+bwd cases x.grad accumulates over the timed calls in both libraries."),
    "per-op overhead": "Many calls per sample; time per call.",
    "random numbers": ("float32 draws from the default generator; each case is checked to give torch's very values "
                       "after the same manual_seed (exact), so no NumPy column (its generators are other algorithms)."),
    "MLP training": "Each sample is one epoch (batches of 256, the last one partial); median over 3-5 "
                    "timed epochs after one warm-up epoch. Random data of Fashion-MNIST's shape, fixed seed. Before "
                    "timing, three steps from the same start are checked against a float64 NumPy run.",
}


def write_reports(outcomes: list[Outcome], info: dict, options: argparse.Namespace, run: dict) -> tuple[Path, Path]:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    suffix = "-quick" if options.quick else ""
    suffix += "-partial" if options.only else ""
    suffix += f"-{options.simd}" if options.simd else ""
    threads_part = "" if options.threads == info["usable_cores"] else f"-t{options.threads}"
    stem = f"cpu-{cpu_slug(info['cpu_model'])}-{info['usable_cores']}c{threads_part}-{run['date']}{suffix}"
    targets = evaluate_targets(outcomes)

    json_cases = []
    for o in outcomes:
        json_cases.append({
            "group": o.case.group, "name": o.case.name, "status": o.status, "message": o.message, "note": o.case.note,
            "flops_per_call": o.case.flops, "bytes_per_call": o.case.bytes_moved,
            "timings": {lib: vars(t) for lib, t in o.timings.items()},
            "ratio_vs_numpy": o.ratio("numpy"), "ratio_vs_torch": o.ratio("torch"),
            "rate": {lib: o.rate(lib) for lib in o.timings}, "rate_unit": "GFLOP/s" if o.case.flops else "GB/s",
            "fasttensor_share_of_copy_bandwidth": o.share_of_copy(),
            "error_over_allowed": o.errors, "not_run": o.missing, "other_processes_cores": o.others_cores,
            "case_wall_s": o.wall_s,
        })
    json_path = RESULTS_DIR / f"{stem}.json"
    json_path.write_text(json.dumps({"machine": info, "run": run, 
                                     "cases": json_cases, "targets": targets}, indent=1, default=str) + "\n")

    blas_lines = [f"{e.get('internal_api')} {e.get('version') or ''} ({e.get('prefix')}"
                  + (f", kernel/core type **{e['architecture']}**" if e.get("architecture") else "")
                  + f", {e.get('num_threads')} threads)" for e in info["blas_and_openmp"]]
    lines = [
        f"# fasttensor vs NumPy vs PyTorch — CPU, {run['date']}",
        "",
        f"Command: `{run['command']}`" + (" (quick smoke run)" if options.quick else ""),
        "",
        f"- Machine: {info['cpu_model']}, {info['usable_cores']} cores usable ({info['logical_cores']} logical), "
        f"host `{info['host']}`, Linux {info['kernel']}",
        f"- Threads: {options.threads} for all three (fasttensor {info['fasttensor_threads']}, "
        f"torch {info['torch_threads']}, BLAS/OpenMP via threadpoolctl)",
        f"- fasttensor {info['fasttensor']} ({info['fasttensor_path']}, git {info['git']}), SIMD level in use "
        f"**{info['fasttensor_simd_level']}** (detected {info['fasttensor_detected_simd_level']})",
        f"- NumPy {info['numpy']} (highest SIMD {info['numpy_simd_highest']}); BLAS/OpenMP: " + "; ".join(blas_lines),
        f"- PyTorch {info['torch']} (CPU capability {info['torch_cpu_capability']}"
        + "".join(f", {k}={v}" for k, v in info["isa_environment"].items()) + f"); Python {info['python']}",
        "- Environment unset at startup: " + (", ".join(f"{k}={v}" for k, v in info["unset_environment"].items())
                                              or "none was set (OPENBLAS_CORETYPE, OPENBLAS_L2_SIZE)"),
        f"- Load: /proc/loadavg {run['loadavg_before']} before, {run['loadavg_after']} after; other processes used "
        f"{run['others_cores']:.2f} cores on average during the run (per case: column *bg*). "
        f"Wall time {run['wall_s']:.0f} s.",
        "",
        "Times: median per call (p25–p75). Ratio = fasttensor's time / the other's: below 1 means fasttensor is "
        "faster. Each case is checked against a float64 NumPy reference before it is timed.",
    ]
    header = ["case", "fasttensor", "numpy", "torch", "ft/np", "ft/torch", "rate (ft / np / torch)", "bg"]
    for group in dict.fromkeys(o.case.group for o in outcomes):
        members = [o for o in outcomes if o.case.group == group]
        lines += ["", f"## {group}", "", GROUP_NOTES.get(group, ""), ""]
        lines.append(markdown_table(header, [case_row(o) for o in members]))
        notes = sorted({o.case.note for o in members if o.case.note})
        lines += [""] + [f"- {n}" for n in notes] if notes else []
    lines += ["", "## Targets", "",
              "Ratios are fasttensor / other (lower is better); the copy-bandwidth target is fasttensor's GB/s "
              "over the GB/s of a plain copy of the same size timed in the same reps. 'missed by' says how much "
              "slower than the target it is.", ""]
    lines.append(markdown_table(["target", "case", "value", "status"],
                                [[t["target"], t["case"], "n/a" if t["value"] is None else f"{t['value']:.2f}",
                                  "met" if t["met"] else f"**{t['status']}**"] for t in targets]))
    met = sum(t["met"] for t in targets)
    lines += ["", f"{met} of {len(targets)} target checks met."]
    failures = [o for o in outcomes if o.status in ("wrong answer", "error")]
    if failures:
        lines += ["", "## Failed cases", ""] + [f"- {o.case.key}: {o.status}: {o.message}" for o in failures]
    markdown = "\n".join(lines) + "\n"
    markdown_path = RESULTS_DIR / f"{stem}.md"
    markdown_path.write_text(markdown)
    if not options.quick and not options.only and not options.simd:
        (RESULTS_DIR / "latest-cpu.md").write_text(markdown)
    return json_path, markdown_path


# --------------------------------------------------------------------------- main

def parse_options(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)),
                        help="threads for all three libraries (default: all usable cores)")
    parser.add_argument("--quick", action="store_true", help="a ~1-minute smoke run (fewer, shorter samples)")
    parser.add_argument("--only", metavar="PATTERN",
                        help="run only cases whose 'group: name' matches this regular expression (case-insensitive)")
    parser.add_argument("--simd", choices=("scalar", "avx2", "avx512"),
                        help="force fasttensor's SIMD level (default: the best the CPU has), e.g. avx2 to see what "
                             "a laptop without AVX-512 gets; set ATEN_CPU_CAPABILITY=avx2, MKL_ENABLE_INSTRUCTIONS=AVX2 "
                             "and ONEDNN_MAX_CPU_ISA=AVX2 in the environment so PyTorch's own kernels, its MKL GEMM "
                             "and oneDNN do the same (the report names the levels and these variables)")
    options = parser.parse_args(argv)
    # Per-case sampling: each sample lasts ≥ sample_s; reps fill case_budget_s within [min_reps, max_reps].
    # The MLP epoch: 3-5 timed epochs, as many as fit long_call_budget_s (quick: a tenth of the data).
    options.sample_s, options.case_budget_s, options.min_reps, options.max_reps, options.long_call_budget_s = (
        (1e-3, 0.25, 3, 15, 5.0) if options.quick else (2e-3, 2.5, 7, 51, 60.0))
    return options


def main(argv: list[str] | None = None) -> int:
    options = parse_options(argv)
    if options.simd:
        ft._C._set_simd_level(options.simd)
        torch_level = torch.backends.cpu.get_cpu_capability().lower()
        if torch_level != options.simd.replace("scalar", "default"):
            print(f"note: PyTorch runs its {torch_level} kernels; set ATEN_CPU_CAPABILITY={options.simd.replace('scalar', 'default')} "
                  "to compare like with like", file=sys.stderr)
    ft.set_num_threads(options.threads)
    torch.set_num_threads(options.threads)
    blas_limits = threadpoolctl.threadpool_limits(limits=options.threads)  # noqa: F841 (held for the run)
    info = machine_info(options.threads)
    cases = all_cases(options)
    if options.only:
        pattern = re.compile(options.only, re.I)
        cases = [c for c in cases if pattern.search(c.key)]
        if not cases:
            print(f"no case matches {options.only!r}", file=sys.stderr)
            return 2
    print(f"{info['cpu_model']}: {options.threads} threads, fasttensor SIMD {info['fasttensor_simd_level']}, "
          f"OpenBLAS core type {info['openblas_core_type']}, unset env {info['unset_environment'] or 'none'}")
    one_minute_load = float(loadavg().split()[0]) if loadavg() != "?" else 0.0
    if one_minute_load > 0.5 * info["usable_cores"]:
        print(f"note: load average {one_minute_load:.1f} on {info['usable_cores']} cores: other processes compete "
              "for the cores, and thread pools that spin-wait (OpenMP, OpenBLAS) suffer most; see the report's bg column")
    print(f"{len(cases)} cases; ratio = fasttensor / other (below 1: fasttensor faster)\n")
    run = {"command": "python benchmarks/bench.py" + "".join(f" {a}" for a in (argv or sys.argv[1:])),
           "date": datetime.date.today().isoformat(), "started": datetime.datetime.now().isoformat(timespec="seconds"),
           "loadavg_before": loadavg(), "options": {k: v for k, v in vars(options).items()}}
    started, meter = time.monotonic(), LoadMeter()
    outcomes = []
    for case in cases:
        case_started = time.monotonic()
        try:
            outcome = run_case(case, options)
        except Exception:  # keep going: one broken case must not lose the others' numbers
            outcome = Outcome(case, "error", message=traceback.format_exc(limit=2).strip().splitlines()[-1])
        outcome.wall_s = time.monotonic() - case_started
        outcomes.append(outcome)
        print_progress(outcome)
        gc.collect()
    run.update(loadavg_after=loadavg(), wall_s=time.monotonic() - started, others_cores=meter.others_cores())
    json_path, markdown_path = write_reports(outcomes, info, options, run)
    print("\nTargets:")
    for t in evaluate_targets(outcomes):
        value = "n/a" if t["value"] is None else f"{t['value']:.2f}"
        print(f"  {'MET   ' if t['met'] else 'MISSED'} {t['target']}: {t['case']} = {value} ({t['status']})")
    print(f"\nload: {run['loadavg_before']} -> {run['loadavg_after']}; other processes {run['others_cores']:.2f} cores; "
          f"{run['wall_s']:.0f} s\nwrote {json_path}\n      {markdown_path}")
    failed = [o for o in outcomes if o.status in ("wrong answer", "error")]
    for o in failed:
        print(f"FAILED {o.case.key}: {o.status}: {o.message}", file=sys.stderr)
    return 1 if failed else 0


def print_progress(outcome: Outcome) -> None:
    if outcome.status in ("wrong answer", "error") and not outcome.timings:
        print(f"!! {outcome.case.key}: {outcome.status.upper()}: {outcome.message}", file=sys.stderr, flush=True)
        return
    cells = [format_timing(outcome.timings.get(lib)) for lib in LIBRARIES]
    missing = "".join(f"  [{lib}: {why}]" for lib, why in outcome.missing.items())
    print(f"{outcome.case.key:62s} ft {cells[0]:>24s} | np {cells[1]:>24s} | torch {cells[2]:>24s} | "
          f"ft/np {format_ratio(outcome.ratio('numpy')):>5s} ft/torch {format_ratio(outcome.ratio('torch')):>5s}"
          f"  bg {outcome.others_cores:.1f}  [{outcome.wall_s:.1f} s]{missing}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
