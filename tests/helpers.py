"""Shared test helpers: ``check_op`` runs one function on the same random
inputs in fasttensor, NumPy and (when importable) PyTorch, and compares shape,
dtype, values and gradients; ``gradcheck`` of fasttensor verifies the backward
formula in float64 whether or not torch is installed.

Most op tests are one line::

    check_op([(3, 4), (4,)], lambda x, y: x + y, numpy_fn=np.add)

``fn`` receives tensors of either library (their APIs agree); it reaches a
module-level function through ``lib(x)`` (``lib(x).exp(x)`` is
``fasttensor.exp`` or ``torch.exp``).
"""

from __future__ import annotations

import contextlib
import http.server
import threading
from typing import Any, Callable, Dict, Optional, Sequence, Union

import numpy as np
import pytest

import fasttensor
from fasttensor.autograd import gradcheck

try:  # torch is optional: the comparisons with it run only when it imports
    import torch
except ImportError:  # pragma: no cover - exercised only where torch is absent
    torch = None

HAVE_TORCH = torch is not None
# The expected exception types are PyTorch 2.13's, the release the test extra
# pins; an older torch (2.11 on the lent GPU machines) differs in places,
# e.g. 2.11 raises RuntimeError for sum(dim="a") where 2.13 raises TypeError.
TORCH_IS_REFERENCE = HAVE_TORCH and tuple(int(p) for p in torch.__version__.split(".")[:2]) >= (2, 13)

FLOAT_DTYPES = ("float32", "float64")
INT_DTYPES = ("uint8", "int32", "int64")
ALL_DTYPES = ("bool",) + INT_DTYPES + FLOAT_DTYPES

# Tolerances by dtype for one rounding step per element (ops over many terms
# pass their own, derived from the number of terms).
RTOL = {"float32": 1e-5, "float64": 1e-12}
ATOL = {"float32": 1e-6, "float64": 1e-12}


def lib(x: Any):
    """The module (fasttensor or torch) a tensor belongs to."""
    if isinstance(x, (list, tuple)):
        x = x[0]
    if HAVE_TORCH and isinstance(x, torch.Tensor):
        return torch
    return fasttensor


def dtype_name(dt: Any) -> str:
    """'float32' for fasttensor.float32, torch.float32 or np.float32."""
    if isinstance(dt, str):
        return dt
    if HAVE_TORCH and isinstance(dt, torch.dtype):
        return str(dt).split(".")[-1]
    if isinstance(dt, fasttensor.dtype):
        return repr(dt).split(".")[-1]
    return np.dtype(dt).name


def ft_dtype(name: str):
    return getattr(fasttensor, name)


def torch_dtype(name: str):
    return getattr(torch, name)


def to_numpy(t: Any) -> np.ndarray:
    """Host array of a fasttensor / torch tensor, detached (a copy)."""
    if isinstance(t, fasttensor.Tensor):
        return np.array(t.detach().numpy(), copy=True)
    if HAVE_TORCH and isinstance(t, torch.Tensor):
        return t.detach().cpu().numpy().copy()
    return np.asarray(t)


def random_array(shape: Sequence[int], dtype: str, rng: np.random.Generator, low: float = -2.0,
                 high: float = 2.0) -> np.ndarray:
    """Random values of a dtype: uniform floats in [low, high), ints in [low, high], bools."""
    shape = tuple(shape)
    if dtype == "bool":  # np.asarray: a 0-d comparison gives a NumPy scalar, not an array
        return np.asarray(rng.random(shape) < 0.5)
    if dtype in INT_DTYPES:
        lo = max(int(np.floor(low)), 0) if dtype == "uint8" else int(np.floor(low))
        hi = max(int(np.ceil(high)), lo + 1)
        return np.asarray(rng.integers(lo, hi + 1, size=shape).astype(dtype))
    return np.asarray(rng.uniform(low, high, size=shape).astype(dtype))


def assert_close(actual: Any, expected: Any, *, rtol: Optional[float] = None, atol: Optional[float] = None,
                 check_dtype: bool = True, what: str = "value") -> None:
    """Compares a fasttensor result with a NumPy array or torch tensor: shape,
    dtype (by name) and values (exactly for integers and bools; NaNs and
    infinities must sit at the same places)."""
    assert isinstance(actual, fasttensor.Tensor), f"{what}: expected a fasttensor.Tensor, got {type(actual)}"
    exp_dtype = dtype_name(expected.dtype)
    act_dtype = dtype_name(actual.dtype)
    if check_dtype:
        assert act_dtype == exp_dtype, f"{what}: dtype {act_dtype} != expected {exp_dtype}"
    assert tuple(actual.shape) == tuple(expected.shape), (
        f"{what}: shape {tuple(actual.shape)} != expected {tuple(expected.shape)}")
    a = to_numpy(actual)
    e = to_numpy(expected)
    if exp_dtype in FLOAT_DTYPES or act_dtype in FLOAT_DTYPES:
        kind = act_dtype if act_dtype in FLOAT_DTYPES else exp_dtype
        r = RTOL[kind] if rtol is None else rtol
        at = ATOL[kind] if atol is None else atol
        np.testing.assert_allclose(a.astype(np.float64), e.astype(np.float64), rtol=r, atol=at, equal_nan=True,
                                   err_msg=f"{what} mismatch")
    else:
        np.testing.assert_array_equal(a, e, err_msg=f"{what} mismatch")


def _flatten_outputs(out: Any) -> list:
    if isinstance(out, (list, tuple)):
        return [o for item in out for o in _flatten_outputs(item)]
    return [out]


def _is_float_tensor(t: Any) -> bool:
    return dtype_name(t.dtype) in FLOAT_DTYPES


# Layouts: how an input of the requested shape is made from a leaf.
#   "contiguous": the leaf itself;
#   "transposed": the leaf has the last two dims swapped, the input is leaf.transpose(-1, -2);
#   "strided":    the leaf has the last dim doubled, the input is leaf[..., ::2] (offset 1 for 1 element).
LAYOUTS = ("contiguous", "transposed", "strided")


def _leaf_array(arr: np.ndarray, layout: str) -> np.ndarray:
    if layout == "transposed" and arr.ndim >= 2:
        return np.ascontiguousarray(np.swapaxes(arr, -1, -2))
    if layout == "strided" and arr.ndim >= 1:
        wide = np.zeros(arr.shape[:-1] + (2 * arr.shape[-1],), dtype=arr.dtype)
        wide[..., ::2] = arr
        return wide
    return arr


def _view_of_leaf(leaf: Any, ndim: int, layout: str) -> Any:
    if layout == "transposed" and ndim >= 2:
        return leaf.transpose(-1, -2)
    if layout == "strided" and ndim >= 1:
        return leaf[..., ::2]
    return leaf


class _Inputs:
    """The same inputs in one library: leaves (what requires grad) and the
    tensors fn receives (views of the leaves, or Python scalars as given)."""

    def __init__(self, module: Any, arrays: list, layout: str, requires_grad: bool):
        self.leaves: list = []
        self.args: list = []
        for arr in arrays:
            if not isinstance(arr, np.ndarray):  # a Python scalar, passed as is
                self.args.append(arr)
                continue
            leaf_arr = _leaf_array(arr, layout)
            leaf = module.tensor(leaf_arr.copy())
            if requires_grad and leaf_arr.dtype.kind == "f":
                leaf.requires_grad_(True)
                self.leaves.append(leaf)
            self.args.append(_view_of_leaf(leaf, arr.ndim, layout))


def _upstream_grads(outputs: list, rng: np.random.Generator) -> list:
    return [rng.uniform(-1.0, 1.0, size=tuple(o.shape)) for o in outputs]


def _backward(outputs: list, grads: list, module: Any) -> None:
    """Σ (out_i · g_i) backward, through out.backward(gradient)."""
    pairs = [(o, g) for o, g in zip(outputs, grads) if _is_float_tensor(o) and o.requires_grad]
    for i, (o, g) in enumerate(pairs):
        gt = module.tensor(g.astype(dtype_name(o.dtype)))
        o.backward(gt, retain_graph=i + 1 < len(pairs))


def _run_gradcheck(fn: Callable, arrays: list, layout: str, max_elements: int) -> None:
    """fasttensor's gradcheck in float64 on the same values (small inputs only)."""
    float_arrays = [a for a in arrays if isinstance(a, np.ndarray) and a.dtype.kind == "f"]
    if not float_arrays or sum(a.size for a in float_arrays) > max_elements:
        return
    arrays64 = [a.astype(np.float64) if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a for a in arrays]
    inp = _Inputs(fasttensor, arrays64, layout, requires_grad=True)
    out = fn(*inp.args)
    outs = [o for o in _flatten_outputs(out) if isinstance(o, fasttensor.Tensor) and _is_float_tensor(o)]
    if not outs or sum(o.numel() for o in outs) > max_elements or not any(o.requires_grad for o in outs):
        return

    def on_leaves(*leaves):
        args = []
        it = iter(leaves)
        for a, orig in zip(inp.args, arrays64):
            if isinstance(orig, np.ndarray) and orig.dtype.kind == "f":
                args.append(_view_of_leaf(next(it), orig.ndim, layout))
            else:
                args.append(a)
        res = [o for o in _flatten_outputs(fn(*args)) if isinstance(o, fasttensor.Tensor) and _is_float_tensor(o)]
        return tuple(res)

    assert gradcheck(on_leaves, tuple(inp.leaves), eps=1e-6, atol=1e-5, rtol=1e-3)


def check_op(shapes: Sequence[Any], fn: Callable, torch_fn: Optional[Callable] = None,
             numpy_fn: Optional[Callable] = None, *, dtypes: Sequence[Union[str, Sequence[str]]] = ("float32",),
             grad: bool = True, low: float = -2.0, high: float = 2.0, rtol: Optional[float] = None,
             atol: Optional[float] = None, grad_rtol: Optional[float] = None, grad_atol: Optional[float] = None,
             layouts: Sequence[str] = ("contiguous",), run_gradcheck: bool = True, gradcheck_max: int = 64,
             seed: int = 0, values: Optional[Sequence[Any]] = None) -> None:
    """Runs fn on the same inputs in fasttensor, NumPy and torch and compares.

    shapes: one entry per argument: a shape tuple (a random tensor), or a
        Python number / other object (passed to fn as is).
    fn: called with fasttensor tensors; also with torch tensors unless
        torch_fn is given.
    numpy_fn: the reference on NumPy arrays (float64 for float inputs, cast
        back to the output's dtype name only for the value comparison).
    dtypes: cases to run; each a dtype name for all tensor arguments, or a
        tuple with one name per tensor argument.
    grad: compare gradients of Σ out·g (g random) with torch's, and run
        gradcheck in float64 on small inputs.
    layouts: see LAYOUTS; non-contiguous inputs are views of the leaves.
    values: fixed arrays to use instead of random ones (same order as shapes).
    """
    if numpy_fn is None and not (grad and run_gradcheck) and not HAVE_TORCH:
        pytest.skip("torch is not installed: it is this check's only reference")
    for case in dtypes:
        n_tensors = sum(1 for s in shapes if isinstance(s, (tuple, list)))
        case_dtypes = [case] * n_tensors if isinstance(case, str) else list(case)
        assert len(case_dtypes) == n_tensors, f"dtype case {case} does not match {n_tensors} tensor inputs"
        for layout in layouts:
            rng = np.random.default_rng(seed)
            arrays: list = []
            it = iter(case_dtypes)
            for i, s in enumerate(shapes):
                if isinstance(s, (tuple, list)):
                    dt = next(it)
                    if values is not None and values[i] is not None:
                        arrays.append(np.asarray(values[i]).astype(dt))
                    else:
                        arrays.append(random_array(s, dt, rng, low, high))
                else:
                    arrays.append(s)
            _check_case(arrays, fn, torch_fn, numpy_fn, grad, rtol, atol, grad_rtol, grad_atol, layout, rng,
                        f"dtypes={case_dtypes} layout={layout}")
            if grad and run_gradcheck and layout == layouts[0] and any(
                    isinstance(a, np.ndarray) and a.dtype.kind == "f" for a in arrays):
                _run_gradcheck(fn, arrays, layout, gradcheck_max)


def _check_case(arrays, fn, torch_fn, numpy_fn, grad, rtol, atol, grad_rtol, grad_atol, layout, rng, label):
    ft_in = _Inputs(fasttensor, arrays, layout, requires_grad=grad)
    ft_out = fn(*ft_in.args)
    ft_outs = _flatten_outputs(ft_out)

    if numpy_fn is not None:
        np_args = [a.astype(np.float64) if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a for a in arrays]
        np_outs = _flatten_outputs(numpy_fn(*np_args))
        assert len(np_outs) == len(ft_outs), f"{label}: {len(ft_outs)} outputs, NumPy gave {len(np_outs)}"
        for k, (o, e) in enumerate(zip(ft_outs, np_outs)):
            e = np.asarray(e)
            name = dtype_name(o.dtype)
            if name in FLOAT_DTYPES and e.dtype.kind == "f":
                e = e.astype(name)
            assert_close(o, e, rtol=rtol, atol=atol, check_dtype=False, what=f"{label} output {k} vs NumPy")

    if not HAVE_TORCH:
        return
    t_in = _Inputs(torch, arrays, layout, requires_grad=grad)
    t_out = (torch_fn or fn)(*t_in.args)
    t_outs = _flatten_outputs(t_out)
    assert len(t_outs) == len(ft_outs), f"{label}: {len(ft_outs)} outputs, torch gave {len(t_outs)}"
    for k, (o, e) in enumerate(zip(ft_outs, t_outs)):
        if isinstance(e, torch.Tensor):
            assert_close(o, e, rtol=rtol, atol=atol, what=f"{label} output {k} vs torch")
            assert o.requires_grad == e.requires_grad, (
                f"{label} output {k}: requires_grad {o.requires_grad} != torch's {e.requires_grad}")
        else:
            assert o == e, f"{label} output {k}: {o!r} != torch's {e!r}"

    if not grad:
        return
    t_tensors = [o for o in t_outs if isinstance(o, torch.Tensor)]
    ft_tensors = [o for o in ft_outs if isinstance(o, fasttensor.Tensor)]
    grads = _upstream_grads(t_tensors, rng)
    if not any(_is_float_tensor(o) and o.requires_grad for o in t_tensors):
        return
    _backward(t_tensors, grads, torch)
    _backward(ft_tensors, grads, fasttensor)
    for k, (a, e) in enumerate(zip(ft_in.leaves, t_in.leaves)):
        if e.grad is None:
            assert a.grad is None, f"{label}: input {k} got a grad; torch's is None"
            continue
        assert a.grad is not None, f"{label}: input {k} has no grad; torch has one"
        assert_close(a.grad, e.grad, rtol=grad_rtol if grad_rtol is not None else rtol,
                     atol=grad_atol if grad_atol is not None else atol, what=f"{label} grad of input {k}")


def plots_and_work_in(tmp_path: Any, monkeypatch: Any) -> Any:
    """A d2l test's folders: figures go to tmp/plots and the working folder is tmp/work (so relative
    paths such as ../data resolve inside tmp). Returns the plots folder."""
    plots = tmp_path / "plots"
    plots.mkdir()
    monkeypatch.setenv("FASTTENSOR_PLOT_DIR", str(plots))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return plots


def raised(fn: Callable) -> Any:
    """(exception type name, message) of what fn() raises, with fasttensor's name as torch's; None if
    it returns."""
    try:
        fn()
    except Exception as e:  # noqa: BLE001
        return type(e).__name__, str(e).replace("fasttensor", "torch")
    return None


@contextlib.contextmanager
def warn_always():
    """Warnings PyTorch gives once per process (TORCH_WARN_ONCE) given every time inside, in both
    libraries, so that a test sees them whatever ran before it."""
    modules = [fasttensor] + ([torch] if torch is not None else [])
    for m in modules:
        m.set_warn_always(True)
    try:
        yield
    finally:
        for m in modules:
            m.set_warn_always(False)


def raises_like(call: Callable, exc: type, match: Optional[str] = None) -> None:
    """call(module) raises exc (matching ``match``) with fasttensor and, torch installed, the same type
    with torch, whose message must match too when torch is the pinned 2.13."""
    with pytest.raises(exc, match=match):
        call(fasttensor)
    if HAVE_TORCH:
        with pytest.raises(exc) as info:
            call(torch)
        if TORCH_IS_REFERENCE and match is not None:
            assert info.match(match)


def both(call: Callable) -> Any:
    """call(fasttensor) and, with torch, call(torch) compared (values, dtype, shape; nested tuples too)."""
    ours = call(fasttensor)
    if HAVE_TORCH:
        compare_results(ours, call(torch))
    return ours


def compare_results(ours: Any, theirs: Any, **tolerances: Any) -> None:
    """Results of the same call in both libraries: tensors by assert_close, tuples and lists (named
    tuples by name too) item by item, anything else by ==."""
    if isinstance(theirs, (tuple, list)):
        assert isinstance(ours, (tuple, list)) and len(ours) == len(theirs)
        if hasattr(theirs, "_fields") or type(theirs).__module__ == "torch.return_types":
            assert type(ours).__name__ == type(theirs).__name__
        for a, b in zip(ours, theirs):
            compare_results(a, b, **tolerances)
    elif HAVE_TORCH and isinstance(theirs, torch.Tensor):
        assert_close(ours, theirs, **tolerances)
    else:
        assert ours == theirs


def _upstream(shape: tuple, seed: int = 7) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-1, 1, shape).astype(np.float32)


def inplace_like_torch(torch: Any, call: Callable, base: Any, *, names: bool = True, rtol: float = 0.0,
                       atol: float = 0.0, grad_rtol: float = 1e-6, grad_atol: float = 1e-7) -> None:
    """call(module, y) on y = leaf * 1 (a non-leaf holding base, float32): returns y itself, its version
    counter moves, y holds torch's values and carries torch's node, and the leaf (and any tensor call
    made that requires grad) gets torch's gradient of sum(y * g)."""
    got = {}
    for m in (fasttensor, torch):
        leaf = m.tensor(np.asarray(base, np.float32), requires_grad=True)
        y = leaf * 1
        version = y._version
        others = []
        out = call(m, y, others)
        assert out is y
        assert y._version > version
        (y * m.tensor(_upstream(tuple(y.shape)))).sum().backward()
        got[m] = (y.detach(), y.grad_fn.name(), leaf.grad, [o.grad for o in others])
    ours, theirs = got[fasttensor], got[torch]
    assert_close(ours[0], theirs[0], rtol=rtol, atol=atol, what="value")
    if names:
        assert ours[1] == theirs[1]
    assert_close(ours[2], theirs[2], rtol=grad_rtol, atol=grad_atol, what="leaf grad")
    for a, b in zip(ours[3], theirs[3]):
        assert_close(a, b, rtol=grad_rtol, atol=grad_atol, what="operand grad")


def requires_grad_leaf(m: Any, values: Any, others: list) -> Any:
    """A leaf of values requiring grad, recorded in others (for its gradient's comparison)."""
    t = m.tensor(np.asarray(values, np.float32), requires_grad=True)
    others.append(t)
    return t


def ids(value: Any) -> str:
    """A parametrize id without spaces (so `--deselect` and `-k` can name it)."""
    return str(value).replace(" ", "")


# --- a local HTTP server for download tests ---------------------------------------------------

class FileServer:
    """Serves ``files`` (name -> bytes) at ``url`` (http://127.0.0.1:<port>/) from a thread while in a
    ``with`` block. ``requests`` lists the names asked for; a name in ``truncate`` is answered with its
    full length promised and half of it sent before hanging up; a name not in ``files`` gets a 404."""

    def __init__(self, files: Dict[str, bytes]):
        self.files, self.truncate, self.requests = files, set(), []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's naming)
                name = self.path.lstrip("/")
                server.requests.append(name)
                if name not in server.files:
                    self.send_error(404, "Not Found")
                    return
                body = server.files[name]
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if name in server.truncate:
                    self.wfile.write(body[: len(body) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self._httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}/"

    def __enter__(self) -> "FileServer":
        threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
