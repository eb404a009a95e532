"""autograd.functional (python/fasttensor/autograd/functional.py): jacobian, hessian, vjp,
jvp, hvp and vhp. Values against analytic derivatives always and against
torch.autograd.functional when torch is installed (then also the result structure:
tensor / tuple / nested tuple or list, dtypes and requires_grad), for elementwise,
matmul-based, reducing, tuple-in/out, 0-d, size-1-dim and non-contiguous functions, in
float64; create_graph (derivatives through the results), strict mode, the forward-mode
strategy, and torch's errors for bad arguments."""

from __future__ import annotations

import inspect
import re
from typing import Any, Callable, List, NamedTuple, Sequence

import numpy as np
import pytest

import fasttensor
from helpers import HAVE_TORCH, TORCH_IS_REFERENCE, assert_close, torch

FT = fasttensor.autograd.functional
RNG = np.random.default_rng(1234)
X23 = RNG.uniform(-1.5, 1.5, (2, 3))
Y23 = RNG.uniform(-1.5, 1.5, (2, 3))
X3 = RNG.uniform(-1.5, 1.5, 3)
Y3 = RNG.uniform(-1.5, 1.5, 3)
W34 = RNG.uniform(-1.0, 1.0, (3, 4))
A33 = RNG.uniform(-1.0, 1.0, (3, 3))
S = np.array(0.7)
X131 = RNG.uniform(-1.5, 1.5, (1, 3, 1))


def functional(mod: Any) -> Any:
    """autograd.functional of fasttensor or torch."""
    return mod.autograd.functional


def diag(d: np.ndarray) -> np.ndarray:
    """The Jacobian of an elementwise map with derivative d: shape d.shape + d.shape."""
    return (np.eye(d.size) * d.reshape(-1)).reshape(d.shape + d.shape)


def check(actual: Any, expected: Any, seq_types: tuple = (tuple,), what: str = "result") -> None:
    """actual (fasttensor, possibly nested) against NumPy arrays (values and shapes; containers of a
    type in seq_types) or against torch's result (also container types, dtypes, requires_grad)."""
    if isinstance(expected, (np.ndarray, np.generic, float)):
        assert_close(actual, np.asarray(expected), what=what)
    elif HAVE_TORCH and isinstance(expected, torch.Tensor):
        assert_close(actual, expected, what=what)
        assert actual.requires_grad == expected.requires_grad, f"{what}: requires_grad {actual.requires_grad}"
    else:
        is_torch = HAVE_TORCH and _holds_torch(expected)
        assert type(actual) is type(expected) if is_torch else isinstance(actual, seq_types), (
            f"{what}: {type(actual)} where {type(expected)} was expected")
        assert len(actual) == len(expected), f"{what}: length {len(actual)} != {len(expected)}"
        for i, (a, e) in enumerate(zip(actual, expected)):
            check(a, e, seq_types, f"{what}[{i}]")


def _holds_torch(x: Any) -> bool:
    return isinstance(x, torch.Tensor) or (isinstance(x, (tuple, list)) and any(_holds_torch(e) for e in x))


def make(mod: Any, arrays: Sequence[np.ndarray], as_tuple: bool, requires_grad: bool = False) -> Any:
    """The arrays as tensors of mod (a tuple, or the lone tensor)."""
    ts = tuple(mod.tensor(a, requires_grad=requires_grad) for a in arrays)
    return ts if as_tuple else ts[0]


# --- the cases -----------------------------------------------------------------------------------

class Case(NamedTuple):
    name: str
    fn: Callable  # fn(mod, *tensors)
    arrays: List[np.ndarray]
    as_tuple: bool  # inputs given as a tuple
    jac: Any  # the analytic Jacobian, nested as jacobian() returns it
    make_inputs: Callable = None  # optional mod -> inputs (non-contiguous views)


def _noncontiguous(mod: Any) -> Any:
    x = mod.tensor(np.ascontiguousarray(X23.T)).t()  # X23 through a transposed view
    assert not x.is_contiguous()
    return x


JACOBIAN_CASES = [
    Case("elementwise", lambda m, x: x.exp() * x.sin(), [X23], False,
         diag(np.exp(X23) * (np.sin(X23) + np.cos(X23)))),
    Case("matmul", lambda m, x: x @ m.tensor(W34), [X23], False, np.einsum("ik,lj->ijkl", np.eye(2), W34)),
    Case("matvec_tuple_inputs", lambda m, a, b: a @ b, [X23, X3], True,
         (np.einsum("ik,l->ikl", np.eye(2), X3), X23)),
    Case("sum_dim", lambda m, x: (x ** 2).sum(dim=1), [X23], False, np.einsum("ik,kl->ikl", np.eye(2), 2 * X23)),
    Case("mean_to_0d", lambda m, x: x.mean(), [X23], False, np.full((2, 3), 1 / 6)),
    Case("tuple_in_out", lambda m, x, y: (x * y, (x ** 2).sum()), [X3, Y3], True,
         ((diag(Y3), diag(X3)), (2 * X3, np.zeros(3)))),
    Case("tuple_out", lambda m, x: (x.sin(), x.cos().sum(dim=0)), [X23], False,
         (diag(np.cos(X23)), np.einsum("jl,kl->jkl", np.eye(3), -np.sin(X23)))),
    Case("0d_input", lambda m, s, x: (s * x, s ** 3), [S, X3], True,
         ((X3, diag(np.full(3, S))), (3 * S ** 2, np.zeros(3)))),
    Case("size1_dims", lambda m, x: x.tanh(), [X131], False, diag(1 - np.tanh(X131) ** 2)),
    Case("noncontiguous", lambda m, x: x.sin() * 2, [X23], False, diag(2 * np.cos(X23)), _noncontiguous),
]

JACOBIAN_OPTIONS = {
    "default": {},
    "vectorize": {"vectorize": True},
    "create_graph": {"create_graph": True},
    "vectorize_create_graph": {"vectorize": True, "create_graph": True},
    "forward_mode": {"vectorize": True, "strategy": "forward-mode"},
}


def _inputs(case: Case, mod: Any) -> Any:
    return case.make_inputs(mod) if case.make_inputs else make(mod, case.arrays, case.as_tuple)


@pytest.mark.parametrize("option", list(JACOBIAN_OPTIONS))
@pytest.mark.parametrize("case", JACOBIAN_CASES, ids=lambda c: c.name)
def test_jacobian_values_and_structure(case: Case, option: str) -> None:
    kwargs = JACOBIAN_OPTIONS[option]
    result = FT.jacobian(lambda *a: case.fn(fasttensor, *a), _inputs(case, fasttensor), **kwargs)
    forward = option == "forward_mode"
    check(result, case.jac, seq_types=(list, tuple) if forward else (tuple,))
    if HAVE_TORCH:
        expected = functional(torch).jacobian(lambda *a: case.fn(torch, *a), _inputs(case, torch), **kwargs)
        check(result, expected)


HESSIAN_CASES = [
    Case("cubic_sum", lambda m, x: (x ** 3).sum(), [X23], False, diag(6 * X23)),
    Case("quadratic_form", lambda m, x: (m.tensor(A33) @ x * x).sum(), [X3], False, A33 + A33.T),
    Case("tuple_inputs", lambda m, x, y: (x ** 2 * y.sin()).sum(), [X3, Y3], True,
         ((diag(2 * np.sin(Y3)), diag(2 * X3 * np.cos(Y3))),
          (diag(2 * X3 * np.cos(Y3)), diag(-X3 ** 2 * np.sin(Y3))))),
    Case("independent_input", lambda m, x, y: (x ** 3).sum(), [X3, Y3], True,
         ((diag(6 * X3), np.zeros((3, 3))), (np.zeros((3, 3)), np.zeros((3, 3))))),
    Case("output_1x1", lambda m, x: x.exp().sum().reshape(1, 1), [X3], False, diag(np.exp(X3))),
    Case("0d_input", lambda m, s: s ** 4, [S], False, 12 * S ** 2),
    Case("matmul_softplus", lambda m, x: (x @ m.tensor(W34)).exp().log1p().sum(), [X23], False,
         np.einsum("ik,ijl->ijkl", np.eye(2), np.einsum("jn,ln,in->ijl", W34, W34,
                                                        (lambda z: np.exp(z) / (1 + np.exp(z)) ** 2)(X23 @ W34)))),
    Case("noncontiguous", lambda m, x: (x.sin() * x).sum(), [X23], False,
         diag(2 * np.cos(X23) - X23 * np.sin(X23)), _noncontiguous),
]

HESSIAN_OPTIONS = {
    "default": {},
    "vectorize": {"vectorize": True},
    "create_graph": {"create_graph": True},
    "vectorize_create_graph": {"vectorize": True, "create_graph": True},
    "forward_mode": {"vectorize": True, "outer_jacobian_strategy": "forward-mode"},
}


@pytest.mark.parametrize("option", list(HESSIAN_OPTIONS))
@pytest.mark.parametrize("case", HESSIAN_CASES, ids=lambda c: c.name)
def test_hessian_values_and_structure(case: Case, option: str) -> None:
    kwargs = HESSIAN_OPTIONS[option]
    result = FT.hessian(lambda *a: case.fn(fasttensor, *a), _inputs(case, fasttensor), **kwargs)
    forward = option == "forward_mode"
    check(result, case.jac, seq_types=(list, tuple) if forward else (tuple,))
    if HAVE_TORCH:
        expected = functional(torch).hessian(lambda *a: case.fn(torch, *a), _inputs(case, torch), **kwargs)
        check(result, expected)


# --- vector products -----------------------------------------------------------------------------

def _blocks(jac: Any, out_tuple: bool, in_tuple: bool) -> List[List[np.ndarray]]:
    """The analytic Jacobian as blocks[i][j] whatever its nesting."""
    rows = jac if out_tuple else (jac,)
    return [list(r) if in_tuple else [r] for r in rows]


def _vjp_expected(blocks: List[List[np.ndarray]], v: Sequence[np.ndarray]) -> List[np.ndarray]:
    n_in = len(blocks[0])
    return [sum(np.tensordot(vi, blocks[i][j], axes=vi.ndim) for i, vi in enumerate(v)) for j in range(n_in)]


def _jvp_expected(blocks: List[List[np.ndarray]], v: Sequence[np.ndarray]) -> List[np.ndarray]:
    return [sum(np.tensordot(row[j], vj, axes=vj.ndim) for j, vj in enumerate(v)) for row in blocks]


def _random_like(arrays: Sequence[Any]) -> List[np.ndarray]:
    rng = np.random.default_rng(7)
    return [np.asarray(rng.uniform(-1.0, 1.0, np.shape(a))) for a in arrays]


def _pack(arrays: List[np.ndarray], as_tuple: bool) -> Any:
    return tuple(arrays) if as_tuple else arrays[0]


def _run_product(api: str, case: Case, mod: Any, v_arrays: List[np.ndarray], v_tuple: bool, **kwargs) -> Any:
    v = make(mod, v_arrays, v_tuple)
    return getattr(functional(mod), api)(lambda *a: case.fn(mod, *a), _inputs(case, mod), v, **kwargs)


@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("api", ["vjp", "jvp"])
@pytest.mark.parametrize("case", JACOBIAN_CASES, ids=lambda c: c.name)
def test_vjp_jvp(case: Case, api: str, create_graph: bool) -> None:
    outputs = case.fn(fasttensor, *[fasttensor.tensor(a) for a in case.arrays])
    out_tuple = isinstance(outputs, tuple)
    out_arrays = [o.numpy() for o in (outputs if out_tuple else (outputs,))]
    blocks = _blocks(case.jac, out_tuple, case.as_tuple)
    if api == "vjp":
        v = _random_like(out_arrays)
        expected = _pack(_vjp_expected(blocks, v), case.as_tuple)
        v_tuple = out_tuple
    else:
        v = _random_like(case.arrays)
        expected = _pack(_jvp_expected(blocks, v), out_tuple)
        v_tuple = case.as_tuple
    func_out, product = _run_product(api, case, fasttensor, v, v_tuple, create_graph=create_graph)
    check(func_out, _pack(out_arrays, out_tuple))
    check(product, expected)
    if HAVE_TORCH:
        check((func_out, product), _run_product(api, case, torch, v, v_tuple, create_graph=create_graph))


@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("api", ["vhp", "hvp"])
@pytest.mark.parametrize("case", HESSIAN_CASES, ids=lambda c: c.name)
def test_vhp_hvp(case: Case, api: str, create_graph: bool) -> None:
    blocks = _blocks(case.jac, case.as_tuple, case.as_tuple)
    v = _random_like(case.arrays)
    expected = _vjp_expected(blocks, v) if api == "vhp" else _jvp_expected(blocks, v)
    func_out, product = _run_product(api, case, fasttensor, v, case.as_tuple, create_graph=create_graph)
    value = case.fn(fasttensor, *[fasttensor.tensor(a) for a in case.arrays])
    check(func_out, value.numpy())
    check(product, _pack(expected, case.as_tuple))
    if HAVE_TORCH:
        check((func_out, product), _run_product(api, case, torch, v, case.as_tuple, create_graph=create_graph))


def test_v_may_be_omitted_for_single_elements() -> None:
    x = fasttensor.tensor([0.3], dtype=fasttensor.float64)
    _, g = FT.vjp(lambda a: (a ** 3).sum(), fasttensor.tensor(X3))
    check(g, 3 * X3 ** 2)
    _, j = FT.jvp(lambda a: a.exp() * 2, x)
    check(j, 2 * np.exp([0.3]))
    for api in (FT.vhp, FT.hvp):
        out, h = api(lambda a: (a ** 4).sum(), x)
        check(out, np.array(0.3 ** 4))
        check(h, np.array([12 * 0.3 ** 2]))


def test_v_of_another_dtype_is_cast_to_the_output_dtype() -> None:
    x = fasttensor.tensor(X3)
    _, float_v = FT.vjp(lambda a: a ** 2, x, fasttensor.tensor([1.0, 2.0, 3.0], dtype=fasttensor.float64))
    for v in (fasttensor.tensor([1, 2, 3]), fasttensor.tensor([1.0, 2.0, 3.0], dtype=fasttensor.float32)):
        _, g = FT.vjp(lambda a: a ** 2, x, v)
        check(g, float_v.numpy())
    _, j = FT.jvp(lambda a: a ** 2, x, fasttensor.tensor([1, 2, 3]))
    check(j, 2 * X3 * [1, 2, 3])


# --- dtypes and forward-mode structure -------------------------------------------------------------

@pytest.mark.parametrize("strategy", ["reverse-mode", "forward-mode"])
def test_jacobian_dtype_follows_input_or_output(strategy: str) -> None:
    """reverse-mode blocks have the input's dtype, forward-mode blocks the output's (as PyTorch)."""
    x = fasttensor.tensor(X3)
    jac = FT.jacobian(lambda a: a.float() * 2, x, vectorize=True, strategy=strategy)
    assert jac.dtype == (fasttensor.float64 if strategy == "reverse-mode" else fasttensor.float32)
    np.testing.assert_array_equal(jac.numpy(), 2 * np.eye(3))
    if HAVE_TORCH:
        check(jac, functional(torch).jacobian(lambda a: a.float() * 2, torch.tensor(X3), vectorize=True,
                                              strategy=strategy))


def test_forward_mode_structure_uses_lists_like_torch() -> None:
    """PyTorch's forward-mode Jacobian nests lists where reverse-mode nests tuples."""
    x, y = fasttensor.tensor(X3), fasttensor.tensor(Y3)
    fw = {"vectorize": True, "strategy": "forward-mode"}
    both = FT.jacobian(lambda a, b: (a * b, b.exp()), (x, y), **fw)
    assert type(both) is list and all(type(r) is list for r in both)
    assert type(FT.jacobian(lambda a: a * 2, (x,), **fw)) is list
    assert type(FT.jacobian(lambda a: (a, a * 2), x, **fw)) is tuple
    assert isinstance(FT.jacobian(lambda a: a * 2, x, **fw), fasttensor.Tensor)
    assert type(FT.jacobian(lambda a, b: (a * b, b.exp()), (x, y))) is tuple
    hess = FT.hessian(lambda a, b: (a * a * b).sum(), (x, y), vectorize=True, outer_jacobian_strategy="forward-mode")
    assert type(hess) is list and all(type(r) is list for r in hess)


def test_forward_mode_keeps_a_graph_to_inputs_that_require_grad() -> None:
    fw = {"vectorize": True, "strategy": "forward-mode"}
    x = fasttensor.tensor(X3, requires_grad=True)
    jac = FT.jacobian(lambda a: a ** 3, x, **fw)
    assert jac.requires_grad
    jac.sum().backward()
    check(x.grad, 6 * X3)
    with fasttensor.no_grad():
        assert not FT.jacobian(lambda a: a ** 3, x, **fw).requires_grad
    assert not FT.jacobian(lambda a: a ** 3, x.detach(), **fw).requires_grad
    # With every input requiring grad, each differentiable output's blocks keep a graph, constant or not.
    f = lambda m, a, b: (a * b, (a ** 2).sum(), b * 2, m.ones(2))  # noqa: E731
    ins = make(fasttensor, [X3, Y3], True, requires_grad=True)
    jac = FT.jacobian(lambda *a: f(fasttensor, *a), ins, **fw)
    assert [[b.requires_grad for b in row] for row in jac] == [[True] * 2] * 3 + [[False] * 2]
    if HAVE_TORCH:
        check(jac, functional(torch).jacobian(lambda *a: f(torch, *a), make(torch, [X3, Y3], True, True), **fw))


def test_forward_over_reverse_hessian_where_torch_vmap_fails() -> None:
    """x @ A @ x: PyTorch 2.13's vmapped forward-over-reverse Hessian raises a dot shape error here."""
    hess = FT.hessian(lambda a: a @ fasttensor.tensor(A33) @ a, fasttensor.tensor(X3), vectorize=True,
                      outer_jacobian_strategy="forward-mode")
    check(hess, A33 + A33.T)
    assert hess.requires_grad  # as PyTorch's forward-over-reverse Hessians (a graph to its dual inputs)


def test_empty_inputs_and_outputs() -> None:
    x = fasttensor.tensor(X3)
    check(FT.jacobian(lambda a: a.sum(), x[:0]), np.zeros(0))
    check(FT.jacobian(lambda a: a[:0], x, vectorize=True, strategy="forward-mode"), np.zeros((0, 3)))
    both = FT.jacobian(lambda a, b: a.sum() * 2 + b.sum(), (x, x[:0]), vectorize=True, strategy="forward-mode")
    check(both, [np.full(3, 2.0), np.zeros(0)], seq_types=(list,))
    with pytest.raises(RuntimeError, match="stack expects a non-empty TensorList"):
        FT.jacobian(lambda a: a[:0], x)
    if HAVE_TORCH:
        with pytest.raises(RuntimeError, match="stack expects a non-empty TensorList"):
            functional(torch).jacobian(lambda a: a[:0], torch.tensor(X3))


# --- create_graph and grad modes ------------------------------------------------------------------

def test_create_graph_gives_second_derivatives_through_the_jacobian() -> None:
    x = fasttensor.tensor(X3, requires_grad=True)
    jac = FT.jacobian(lambda a: a ** 3, x, create_graph=True)
    assert jac.requires_grad and jac.grad_fn is not None
    (jac * fasttensor.tensor(A33)).sum().backward()  # d/dx sum_ij A_ij 3 x_i^2 δ_ij
    check(x.grad, 6 * X3 * np.diag(A33))
    # A Jacobian of a Jacobian is the Hessian.
    hess = FT.jacobian(lambda a: FT.jacobian(lambda b: (b ** 3).sum(), a, create_graph=True), x.detach())
    check(hess, diag(6 * X3))
    check(hess, FT.hessian(lambda b: (b ** 3).sum(), x.detach()).numpy())
    if HAVE_TORCH:
        xt = torch.tensor(X3, requires_grad=True)
        (functional(torch).jacobian(lambda a: a ** 3, xt, create_graph=True) * torch.tensor(A33)).sum().backward()
        check(x.grad, xt.grad)


def test_create_graph_reaches_the_leaf_behind_a_noncontiguous_input() -> None:
    leaf = fasttensor.tensor(np.ascontiguousarray(X23.T), requires_grad=True)
    jac = FT.jacobian(lambda a: a ** 3, leaf.t(), create_graph=True)
    assert tuple(jac.shape) == (2, 3, 2, 3) and jac.requires_grad
    jac.sum().backward()
    check(leaf.grad, 6 * X23.T)
    if HAVE_TORCH:
        tleaf = torch.tensor(np.ascontiguousarray(X23.T), requires_grad=True)
        functional(torch).jacobian(lambda a: a ** 3, tleaf.t(), create_graph=True).sum().backward()
        check(leaf.grad, tleaf.grad)


def test_create_graph_through_products_and_hessian() -> None:
    x = fasttensor.tensor(X3, requires_grad=True)
    v = fasttensor.tensor(Y3)
    _, g = FT.vjp(lambda a: a.sin(), x, v, create_graph=True)  # v * cos(x)
    (gx,) = fasttensor.autograd.grad(g.sum(), x)
    check(gx, -Y3 * np.sin(X3))
    _, hv = FT.hvp(lambda a: (a ** 4).sum(), x, v, create_graph=True)  # 12 x^2 v
    (gx,) = fasttensor.autograd.grad(hv.sum(), x)
    check(gx, 24 * X3 * Y3)
    hess = FT.hessian(lambda a: (a ** 4).sum(), x, create_graph=True)
    (gx,) = fasttensor.autograd.grad(hess.sum(), x)
    check(gx, 24 * X3)


def test_results_do_not_require_grad_without_create_graph() -> None:
    x = fasttensor.tensor(X3, requires_grad=True)
    f = lambda a: (a ** 3).sum()  # noqa: E731
    out, g = FT.vjp(f, x)
    assert not out.requires_grad and not g.requires_grad
    assert not FT.jacobian(lambda a: a ** 3, x).requires_grad
    assert not FT.hessian(f, x).requires_grad
    for api in (FT.jvp, FT.hvp, FT.vhp):
        out, r = api(f, x, fasttensor.ones(3, dtype=fasttensor.float64))
        assert not out.requires_grad and not r.requires_grad
    # A closed-over tensor that requires grad carries a graph only with create_graph.
    w = fasttensor.tensor(Y3, requires_grad=True)
    assert not FT.jacobian(lambda a: a * w, fasttensor.tensor(X3)).requires_grad
    assert FT.jacobian(lambda a: a * w, fasttensor.tensor(X3), create_graph=True).requires_grad
    # A constant Jacobian does not require grad even with create_graph.
    assert not FT.jacobian(lambda a: a * 2, x, create_graph=True).requires_grad


def test_grad_modes() -> None:
    x = fasttensor.tensor(X3)
    with fasttensor.no_grad():
        out, g = FT.vjp(lambda a: a ** 2, x, fasttensor.ones(3, dtype=fasttensor.float64))
        check(g, 2 * X3)
        assert not g.requires_grad and not fasttensor.is_grad_enabled()
        out, g = FT.vjp(lambda a: a ** 2, x, fasttensor.ones(3, dtype=fasttensor.float64), create_graph=True)
        assert out.requires_grad and g.requires_grad  # as in PyTorch
        check(FT.hessian(lambda a: (a ** 3).sum(), x), diag(6 * X3))
    assert fasttensor.is_grad_enabled()


def test_inputs_are_left_unchanged() -> None:
    x = fasttensor.tensor(X3)
    xr = fasttensor.tensor(Y3, requires_grad=True)
    f = lambda a, b: (a * b.exp()).sum()  # noqa: E731
    ones = (fasttensor.ones(3, dtype=fasttensor.float64),) * 2
    for create_graph in (False, True):
        FT.jacobian(f, (x, xr), create_graph=create_graph)
        FT.hessian(f, (x, xr), create_graph=create_graph)
        for api in (FT.vjp, FT.vhp, FT.hvp):
            api(f, (x, xr), None if api is FT.vjp else ones, create_graph=create_graph)
        FT.jvp(lambda a, b: a * b, (x, xr), ones, create_graph=create_graph)
    FT.jacobian(f, (x, xr), vectorize=True, strategy="forward-mode")
    FT.hessian(f, (x, xr), vectorize=True, outer_jacobian_strategy="forward-mode")
    assert not x.requires_grad and x.is_leaf and x.grad is None
    assert xr.requires_grad and xr.is_leaf and xr.grad is None
    np.testing.assert_array_equal(x.numpy(), X3)
    np.testing.assert_array_equal(xr.detach().numpy(), Y3)


def test_func_gets_new_tensor_objects() -> None:
    x = fasttensor.tensor(X3)
    seen = []
    FT.jacobian(lambda a: seen.append(a) or a * 2, x)
    assert seen[0] is not x and seen[0].requires_grad


# --- strict mode ----------------------------------------------------------------------------------

def _err(template: str) -> str:
    return "^" + re.escape(template) + "$"


INDEPENDENT = "The output of the user-provided function is independent of input {}. This is not allowed in strict mode."
NOT_DIFFERENTIABLE = ("Output {} of the user-provided function does not require gradients. The outputs must be "
                      "computed in a differentiable manner from the input when running in strict mode.")
CONSTANT_JACOBIAN = ("The jacobian of the user-provided function is independent of input {}. This is not allowed in "
                     "strict mode when create_graph=True.")
LINEAR_FOR_HESSIAN = (
    "While computing the hessian, found that the jacobian of the user-provided function with respect to input {} is "
    "independent of the input. This is not allowed in strict mode. You should ensure that your function is twice "
    "differentiable and that the jacobian depends on the inputs (this would be violated by a linear function for "
    "example).")

# (name, call(functional module, tensor module, x, y), message)
STRICT_ERRORS = [
    ("jacobian_unused_input", lambda F, m, x, y: F.jacobian(lambda a, b: a * 2, (x, y), strict=True),
     "Output 0 of the user-provided function is independent of input 1. This is not allowed in strict mode."),
    ("jacobian_constant_output", lambda F, m, x, y: F.jacobian(lambda a: m.ones(3), x, strict=True),
     NOT_DIFFERENTIABLE.format(0)),
    ("jacobian_second_output", lambda F, m, x, y: F.jacobian(lambda a: (a * 2, m.ones(2)), x, strict=True),
     NOT_DIFFERENTIABLE.format(1)),
    ("jacobian_constant_create_graph",
     lambda F, m, x, y: F.jacobian(lambda a: a * 2, x, strict=True, create_graph=True), CONSTANT_JACOBIAN.format(0)),
    ("jacobian_strict_vectorize", lambda F, m, x, y: F.jacobian(lambda a: a * 2, x, strict=True, vectorize=True),
     "torch.autograd.functional.jacobian: `strict=True` and `vectorized=True` are not supported together. Please "
     "either set `strict=False` or `vectorize=False`."),
    ("vjp_unused_input", lambda F, m, x, y: F.vjp(lambda a, b: a ** 2, (x, y), m.ones_like(x), strict=True),
     INDEPENDENT.format(1)),
    ("vjp_constant_create_graph",
     lambda F, m, x, y: F.vjp(lambda a: a * 2, x, m.ones_like(x), strict=True, create_graph=True),
     CONSTANT_JACOBIAN.format(0)),
    ("jvp_unused_input", lambda F, m, x, y: F.jvp(lambda a, b: a ** 2, (x, y), (x, y), strict=True),
     INDEPENDENT.format(1)),
    ("jvp_constant_output", lambda F, m, x, y: F.jvp(lambda a: (a * 2, m.ones(2)), x, x, strict=True),
     NOT_DIFFERENTIABLE.format(1)),
    ("jvp_constant_create_graph",
     lambda F, m, x, y: F.jvp(lambda a: a * 2, x, x, strict=True, create_graph=True), CONSTANT_JACOBIAN.format(0)),
    ("hessian_linear", lambda F, m, x, y: F.hessian(lambda a: (a * 2).sum(), x, strict=True),
     LINEAR_FOR_HESSIAN.format(0)),
    ("hessian_unused_input", lambda F, m, x, y: F.hessian(lambda a, b: (a ** 3).sum(), (x, y), strict=True),
     LINEAR_FOR_HESSIAN.format(1)),
    ("hessian_strict_vectorize", lambda F, m, x, y: F.hessian(lambda a: (a ** 3).sum(), x, strict=True, vectorize=True),
     "torch.autograd.functional.jacobian: `strict=True` and `vectorized=True` are not supported together. Please "
     "either set `strict=False` or `vectorize=False`."),
    ("vhp_linear", lambda F, m, x, y: F.vhp(lambda a: (a * 3).sum(), x, x, strict=True),
     LINEAR_FOR_HESSIAN.format(0)),
    ("vhp_unused_input", lambda F, m, x, y: F.vhp(lambda a, b: (a ** 3).sum(), (x, y), (x, y), strict=True),
     INDEPENDENT.format(1)),
    ("hvp_partly_linear",
     lambda F, m, x, y: F.hvp(lambda a, b: (a ** 3).sum() + (b * 2).sum(), (x, y), (x, y), strict=True),
     LINEAR_FOR_HESSIAN.format(1)),
    ("vhp_constant_output", lambda F, m, x, y: F.vhp(lambda a: m.ones(()), x, x, strict=True),
     NOT_DIFFERENTIABLE.format(0)),
]


@pytest.mark.parametrize("name,call,message", STRICT_ERRORS, ids=[e[0] for e in STRICT_ERRORS])
def test_strict_mode_errors(name: str, call: Callable, message: str) -> None:
    x, y = fasttensor.tensor(X3), fasttensor.tensor(Y3)
    with pytest.raises(RuntimeError, match=_err(message)):
        call(FT, fasttensor, x, y)
    if TORCH_IS_REFERENCE:
        with pytest.raises(RuntimeError, match=_err(message)):
            call(functional(torch), torch, torch.tensor(X3), torch.tensor(Y3))


def test_strict_mode_passes_for_well_behaved_functions() -> None:
    x, y = fasttensor.tensor(X3), fasttensor.tensor(Y3)
    f = lambda a, b: (a ** 2 * b.exp()).sum()  # noqa: E731
    jac = FT.jacobian(f, (x, y), strict=True, create_graph=True)
    check(jac, (2 * X3 * np.exp(Y3), X3 ** 2 * np.exp(Y3)))
    hess = FT.hessian(f, (x, y), strict=True)
    check(hess[1][1], diag(X3 ** 2 * np.exp(Y3)))
    for api in (FT.vjp, FT.vhp, FT.hvp):
        api(f, (x, y), None if api is FT.vjp else (x, y), strict=True, create_graph=True)
    FT.jvp(lambda a, b: a * b, (x, y), (x, y), strict=True)


def test_non_strict_gives_zeros_for_independent_inputs() -> None:
    x, y = fasttensor.tensor(X3), fasttensor.tensor(Y3)
    _, (gx, gy) = FT.vjp(lambda a, b: a ** 2, (x, y), fasttensor.ones_like(x))
    check(gy, np.zeros(3))
    _, (j0, j1) = FT.jvp(lambda a, b: (a ** 2, fasttensor.ones(2)), (x, y), (x, y))
    check(j1, np.zeros(2, dtype=np.float32))  # zeros like the (float32) output
    _, h = FT.vhp(lambda a: (a * 3).sum(), x, x)
    check(h, np.zeros(3))
    _, h = FT.hvp(lambda a, b: (a ** 3).sum(), (x, y), (x, y))
    check(h, (6 * X3 * X3, np.zeros(3)))
    check(FT.jacobian(lambda a: a.argmax(), x), np.zeros(3))  # an integer output: no gradient path


# --- bad arguments --------------------------------------------------------------------------------

def _size(shape: tuple) -> str:
    return r"(fasttensor|torch)\.Size\(\[" + ", ".join(map(str, shape)) + r"\]\)"


# (name, call(functional module, tensor module, x), exception type, message regex)
ARGUMENT_ERRORS = [
    ("vjp_v_needed", lambda F, m, x: F.vjp(lambda a: a ** 2, x), RuntimeError,
     _err("The vector v can only be None if the user-provided function returns a single Tensor with a single "
          "element.")),
    ("jvp_v_needed", lambda F, m, x: F.jvp(lambda a: a ** 2, x), RuntimeError,
     _err("The vector v can only be None if the input to the user-provided function is a single Tensor with a "
          "single element.")),
    ("hvp_v_needed", lambda F, m, x: F.hvp(lambda a: a.sum(), x), RuntimeError, "The vector v can only be None"),
    ("vjp_v_size", lambda F, m, x: F.vjp(lambda a: a ** 2, x, m.ones(2)), RuntimeError,
     f"^v has invalid size: should be {_size((3,))} but got {_size((2,))}.$"),
    ("vjp_v_size_0d", lambda F, m, x: F.vjp(lambda a: a.sum(), x, m.ones(1)), RuntimeError,
     f"^v has invalid size: should be {_size(())} but got {_size((1,))}.$"),
    ("jvp_v_entry_size", lambda F, m, x: F.jvp(lambda a, b: a * b, (x, x), (m.ones(3), m.ones(2))), RuntimeError,
     f"^Entry 1 in v has invalid size: should be {_size((3,))} but got {_size((2,))}.$"),
    ("vjp_v_length", lambda F, m, x: F.vjp(lambda a: (a, a), x, (m.ones(3),)), RuntimeError,
     _err("v is a tuple of invalid length: should be 2 but got 1.")),
    ("vjp_v_single", lambda F, m, x: F.vjp(lambda a: a, x, (m.ones(3), m.ones(3))), RuntimeError,
     _err("The given v should contain a single Tensor.")),
    ("vjp_v_list", lambda F, m, x: F.vjp(lambda a: a, x, [m.ones(3)]), TypeError,
     _err("The v given to vjp must be either a Tensor or a tuple of Tensors but the given v has type "
          "<class 'list'>.")),
    ("jacobian_inputs_list", lambda F, m, x: F.jacobian(lambda a: a, [x]), TypeError,
     _err("The inputs given to jacobian must be either a Tensor or a tuple of Tensors but the given inputs has type "
          "<class 'list'>.")),
    ("jacobian_inputs_entry", lambda F, m, x: F.jacobian(lambda a, b: a, (x, 1.0)), TypeError,
     _err("The inputs given to jacobian must be either a Tensor or a tuple of Tensors but the value at index 1 has "
          "type <class 'float'>.")),
    ("jacobian_float_output", lambda F, m, x: F.jacobian(lambda a: 3.0, x), TypeError,
     _err("The outputs of the user-provided function given to jacobian must be either a Tensor or a tuple of "
          "Tensors but the given outputs of the user-provided function has type <class 'float'>.")),
    ("vjp_output_entry", lambda F, m, x: F.vjp(lambda a: (a, 2), x, (x, x)), TypeError,
     _err("The outputs of the user-provided function given to vjp must be either a Tensor or a tuple of Tensors "
          "but the value at index 1 has type <class 'int'>.")),
    ("hessian_int_output", lambda F, m, x: F.hessian(lambda a: 3, x), TypeError,
     "^The outputs of the user-provided function given to hessian must be"),
    ("jacobian_int_input", lambda F, m, x: F.jacobian(lambda a: a * 2, m.tensor([1, 2])), RuntimeError,
     "only Tensors of floating point dtype can require gradients"),
    ("vjp_int_input", lambda F, m, x: F.vjp(lambda a: a.sum(), m.tensor([1, 2])), RuntimeError,
     "only Tensors of floating point dtype can require gradients"),
    ("hessian_not_scalar", lambda F, m, x: F.hessian(lambda a: a ** 3, x), RuntimeError,
     _err("The Tensor returned by the function given to hessian should contain a single element")),
    ("hessian_tuple_output", lambda F, m, x: F.hessian(lambda a: ((a ** 3).sum(),), x), RuntimeError,
     _err("The function given to hessian should return a single Tensor")),
    ("vhp_not_scalar", lambda F, m, x: F.vhp(lambda a: a ** 3, x, x), RuntimeError,
     _err("The Tensor returned by the function given to vhp should contain a single element")),
    ("hvp_tuple_output", lambda F, m, x: F.hvp(lambda a: ((a ** 3).sum(),), x, x), RuntimeError,
     _err("The function given to hvp should return a single Tensor")),
    ("jacobian_bad_strategy", lambda F, m, x: F.jacobian(lambda a: a, x, strategy="sideways"), AssertionError,
     _err('Expected strategy to be either "forward-mode" or "reverse-mode". Hint: If your function has more outputs '
          'than inputs, "forward-mode" tends to be more performant. Otherwise, prefer to use "reverse-mode".')),
    ("hessian_bad_strategy",
     lambda F, m, x: F.hessian(lambda a: a.sum(), x, outer_jacobian_strategy="sideways"), AssertionError,
     _err('Expected strategy to be either "forward-mode" or "reverse-mode".')),
    ("forward_needs_vectorize", lambda F, m, x: F.jacobian(lambda a: a, x, strategy="forward-mode"),
     NotImplementedError,
     _err("Computing Jacobian using forward-AD or forward-over-reverse Hessian isonly implemented for "
          "`vectorize=True`.")),
    ("hessian_forward_needs_vectorize",
     lambda F, m, x: F.hessian(lambda a: a.sum(), x, outer_jacobian_strategy="forward-mode"), NotImplementedError,
     "only implemented for `vectorize=True`"),
    ("forward_strict",
     lambda F, m, x: F.jacobian(lambda a: a, x, strict=True, vectorize=True, strategy="forward-mode"), RuntimeError,
     _err('torch.autograd.functional.jacobian: `strict=True` and `strategy="forward-mode"` are not supported '
          'together (yet). Please either set `strict=False` or `strategy="reverse-mode"`.')),
    ("forward_create_graph",
     lambda F, m, x: F.jacobian(lambda a: a, x, create_graph=True, vectorize=True, strategy="forward-mode"),
     NotImplementedError,
     _err('torch.autograd.functional.jacobian: `create_graph=True` and `strategy="forward-mode"` are not supported '
          'together (yet). Please either set `create_graph=False` or `strategy="reverse-mode"`.')),
    ("forward_int_input",
     lambda F, m, x: F.jacobian(lambda a: a, m.tensor([1, 2]), vectorize=True, strategy="forward-mode"), ValueError,
     r"^Expected primal to be floating point or complex, but got: (fasttensor|torch)\.int64$"),
]


@pytest.mark.parametrize("name,call,exc,pattern", ARGUMENT_ERRORS, ids=[e[0] for e in ARGUMENT_ERRORS])
def test_argument_errors(name: str, call: Callable, exc: type, pattern: str) -> None:
    with pytest.raises(exc, match=pattern):
        call(FT, fasttensor, fasttensor.tensor(X3))
    if TORCH_IS_REFERENCE:
        with pytest.raises(exc, match=pattern):
            call(functional(torch), torch, torch.tensor(X3))


def test_signatures_match_torch() -> None:
    expected = {
        "jacobian": "(func, inputs, create_graph=False, strict=False, vectorize=False, strategy='reverse-mode')",
        "hessian": "(func, inputs, create_graph=False, strict=False, vectorize=False, "
                   "outer_jacobian_strategy='reverse-mode')",
        "vjp": "(func, inputs, v=None, create_graph=False, strict=False)",
        "jvp": "(func, inputs, v=None, create_graph=False, strict=False)",
        "hvp": "(func, inputs, v=None, create_graph=False, strict=False)",
        "vhp": "(func, inputs, v=None, create_graph=False, strict=False)",
    }
    for name, sig in expected.items():
        params = inspect.signature(getattr(FT, name)).parameters.values()
        assert "(" + ", ".join(p.replace(annotation=inspect.Parameter.empty).__str__() for p in params) + ")" == sig
        if HAVE_TORCH:
            assert str(inspect.signature(getattr(functional(torch), name))) == sig
    assert sorted(FT.__all__) == ["hessian", "hvp", "jacobian", "jvp", "vhp", "vjp"]
    assert fasttensor.autograd.functional is FT
