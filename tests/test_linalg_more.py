"""fasttensor.linalg beyond matmul (python/fasttensor/linalg.py): inv, det,
slogdet, logdet, solve (+ the _ex forms), matrix_power, multi_dot, cross,
vecdot, diagonal, lstsq, pinv, their top-level and Tensor-method aliases, their
gradients, and their errors.

Every value is checked against NumPy's np.linalg (always) and torch (when
installed); tolerances follow the forward-error bound of an LU solve,
~ n * eps * cond(A), on well-conditioned inputs (random + n*I). Error types
and messages are torch 2.13's, written out so they are checked without torch.
The same checks run on CUDA when fasttensor has a GPU (skipped otherwise).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import fasttensor
from fasttensor.autograd import gradcheck
from helpers import HAVE_TORCH, TORCH_IS_REFERENCE, dtype_name, ids, to_numpy

if HAVE_TORCH:
    import torch

F = ("float32", "float64")
EPS = {"float32": 1.1920928955078125e-07, "float64": 2.220446049250313e-16}
HAVE_GPU = fasttensor.cuda.is_available()
DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.skipif(not HAVE_GPU, reason="no CUDA GPU"))]

# Square batches: 1x1, odd sizes, batches of 1-2 dims, 0-size batch, n = 0, and sizes past one LU panel (32).
SQUARE_SHAPES = [(1, 1), (2, 2), (3, 3), (5, 5), (4, 3, 3), (2, 3, 4, 4), (1, 6, 6), (0, 3, 3), (0, 0), (2, 0, 0),
                 (33, 33), (70, 70)]


# --- helpers ---------------------------------------------------------------------------------------------------

def well_conditioned(shape, dtype: str = "float64", seed: int = 0) -> np.ndarray:
    """Uniform(-1, 1) entries plus n on the diagonal: cond(A) stays below ~3 for any n."""
    rng = np.random.default_rng(seed)
    n = shape[-1]
    a = rng.uniform(-1.0, 1.0, size=shape) + n * np.eye(n) if n else np.zeros(shape)
    return a.astype(dtype)


def cond(a: np.ndarray) -> float:
    a = np.asarray(a, dtype=np.float64)
    if a.size == 0:
        return 1.0
    return float(np.max(np.linalg.cond(a.reshape((-1,) + a.shape[-2:]))))


def lu_tol(dtype: str, n: int, kappa: float = 1.0) -> float:
    """The forward-error bound of a solve, n * eps * cond(A), with a factor 10 of slack."""
    return 10.0 * max(n, 1) * EPS[dtype] * kappa


def ft_tensor(a: np.ndarray, device: str = "cpu", requires_grad: bool = False):
    t = fasttensor.tensor(a.copy())
    if device != "cpu":
        t = t.to(device)
    if requires_grad:
        t.requires_grad_(True)
    return t


def check(actual, expected, tol: float, what: str = "value") -> None:
    """Shape, dtype (by name) and values within tol relative to the largest entry of expected."""
    exp = to_numpy(expected) if not isinstance(expected, np.ndarray) else expected
    expected = exp if isinstance(expected, np.ndarray) else expected
    assert tuple(actual.shape) == tuple(exp.shape), f"{what}: shape {tuple(actual.shape)} != {tuple(exp.shape)}"
    assert dtype_name(actual.dtype) == dtype_name(expected.dtype), f"{what}: dtype {actual.dtype} != {expected.dtype}"
    got = to_numpy(actual.cpu() if hasattr(actual, "cpu") else actual).astype(np.float64)
    exp = exp.astype(np.float64)
    scale = float(np.max(np.abs(exp[np.isfinite(exp)]))) if np.isfinite(exp).any() else 1.0
    np.testing.assert_allclose(got, exp, rtol=tol, atol=tol * max(scale, 1e-30), equal_nan=True, err_msg=what)


def raises(exc, message: str, fn_ft, fn_torch=None):
    """fn_ft raises exc with exactly message; so does fn_torch under torch 2.13 when given."""
    with pytest.raises(exc) as info:
        fn_ft(fasttensor)
    assert str(info.value) == message
    if fn_torch is not None and TORCH_IS_REFERENCE:
        with pytest.raises(Exception) as ref:
            fn_torch(torch)
        assert str(ref.value) == message
        if exc is fasttensor.linalg.LinAlgError:
            assert isinstance(ref.value, torch.linalg.LinAlgError)
        else:
            assert isinstance(ref.value, exc)


# --- inv -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", F)
@pytest.mark.parametrize("shape", SQUARE_SHAPES, ids=ids)
def test_inv(shape, dtype, device):
    a = well_conditioned(shape, dtype)
    tol = lu_tol(dtype, shape[-1], cond(a))
    x = ft_tensor(a, device)
    out = fasttensor.linalg.inv(x)
    assert out.device.type == device
    check(out, np.linalg.inv(a.astype(np.float64)).astype(dtype) if a.size else a.copy(), tol)
    assert dtype_name(out.dtype) == dtype
    check(fasttensor.inverse(x), np.asarray(to_numpy(out.cpu())), EPS[dtype])
    check(x.inverse(), np.asarray(to_numpy(out.cpu())), EPS[dtype])
    np.testing.assert_array_equal(to_numpy(x.cpu()), a)  # the input is left as it was
    if HAVE_TORCH:
        check(out, torch.linalg.inv(torch.tensor(a)), 2 * tol)


def test_inv_noncontiguous_and_expanded():
    a = well_conditioned((3, 5, 5))
    x = fasttensor.tensor(np.ascontiguousarray(a.transpose(0, 2, 1))).transpose(-2, -1)
    check(fasttensor.linalg.inv(x), np.linalg.inv(a), lu_tol("float64", 5, cond(a)))
    one = fasttensor.tensor(a[0]).expand(4, 5, 5)
    check(fasttensor.linalg.inv(one), np.broadcast_to(np.linalg.inv(a[0]), (4, 5, 5)), lu_tol("float64", 5, cond(a)))
    wide = fasttensor.tensor(np.concatenate([a[0], a[1]], axis=1))[:, ::2]  # strided columns
    ref = np.concatenate([a[0], a[1]], axis=1)[:, ::2]
    check(fasttensor.linalg.inv(wide), np.linalg.inv(ref), lu_tol("float64", 5, cond(ref)))


def test_inv_needs_pivoting():
    # A zero on the diagonal: no inverse without row swaps.
    a = np.array([[0.0, 2.0, 1.0], [1.0, 0.0, 3.0], [4.0, 1.0, 0.0]])
    check(fasttensor.linalg.inv(fasttensor.tensor(a)), np.linalg.inv(a), lu_tol("float64", 3, cond(a)))
    p = np.eye(4)[[2, 0, 3, 1]]
    check(fasttensor.linalg.inv(fasttensor.tensor(p)), p.T, 0.0)


def test_inv_larger_matrix():
    a = well_conditioned((200, 200), seed=3)
    check(fasttensor.linalg.inv(fasttensor.tensor(a)), np.linalg.inv(a), lu_tol("float64", 200, cond(a)))


# --- det, slogdet, logdet ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", F)
@pytest.mark.parametrize("shape", SQUARE_SHAPES, ids=ids)
def test_det_slogdet_logdet(shape, dtype, device):
    a = well_conditioned(shape, dtype, seed=1)
    if len(shape) == 3 and shape[0] > 1 and shape[-1] > 1:
        a[0] = a[0][::-1].copy()  # some negative determinants
    n = shape[-1]
    tol = lu_tol(dtype, n, cond(a))
    x = ft_tensor(a, device)
    a64 = a.astype(np.float64)
    sign_ref, logabs_ref = np.linalg.slogdet(a64)
    det_ref = np.linalg.det(a64)
    with np.errstate(over="ignore"):  # float32 determinants of n >= 33 overflow to inf, as torch's
        det_ref_cast = np.asarray(det_ref).astype(dtype)
    for out in (fasttensor.linalg.det(x), fasttensor.det(x), x.det()):
        check(out, det_ref_cast, tol * max(n, 1))
        assert dtype_name(out.dtype) == dtype and out.device.type == device
    result = fasttensor.linalg.slogdet(x)
    assert type(result).__name__ == "linalg_slogdet"
    sign, logabsdet = result
    assert result.sign is sign and result.logabsdet is logabsdet
    check(sign, np.asarray(sign_ref).astype(dtype), 0.0)
    check(logabsdet, np.asarray(logabs_ref).astype(dtype), tol * max(n, 1))
    for top in (fasttensor.slogdet(x), x.slogdet()):
        assert type(top).__name__ == "slogdet"
        check(top.sign, np.asarray(sign_ref).astype(dtype), 0.0)
    with np.errstate(invalid="ignore"):
        logdet_ref = np.where(sign_ref < 0, np.nan, logabs_ref)
    check(fasttensor.logdet(x), np.asarray(logdet_ref).astype(dtype), tol * max(n, 1))
    check(x.logdet(), np.asarray(logdet_ref).astype(dtype), tol * max(n, 1))
    if HAVE_TORCH:
        t = torch.tensor(a)
        check(fasttensor.linalg.det(x), torch.linalg.det(t), 2 * tol * max(n, 1))
        ref = torch.linalg.slogdet(t)
        check(sign, ref.sign, 0.0)
        check(logabsdet, ref.logabsdet, 2 * tol * max(n, 1))
        check(fasttensor.logdet(x), torch.logdet(t), 2 * tol * max(n, 1))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_det_gradient_of_exactly_singular_matrices_is_zero(dtype):
    # torch gives 0 where the determinant came out exactly 0 (ours was NaN, from the inverse).
    mats = [[[1.0, 2.0], [2.0, 4.0]], [[0.0, 1.0], [0.0, 1.0]], [[1.0, 0.0], [0.0, 0.0]]]
    libs = [fasttensor] + ([torch] if HAVE_TORCH else [])
    for lib in libs:
        a = lib.tensor(mats, dtype=getattr(lib, dtype), requires_grad=True)  # a batch
        lib.linalg.det(a).sum().backward()
        assert a.grad.abs().max().item() == 0
        b = lib.tensor([[[2.0, 1.0], [1.0, 3.0]], [[1.0, 2.0], [2.0, 4.0]]], dtype=getattr(lib, dtype),
                       requires_grad=True)  # a regular matrix beside a singular one keeps its gradient
        lib.linalg.det(b).sum().backward()
        np.testing.assert_allclose(b.grad[0].tolist(), [[3.0, -1.0], [-1.0, 2.0]], rtol=1e-6)
        assert b.grad[1].abs().max().item() == 0


def test_det_of_singular_and_special_matrices():
    rows_equal = np.array([[1.0, 2.0], [1.0, 2.0]])
    for a in (np.zeros((3, 3)), rows_equal, np.array([[0.0, 1.0], [0.0, 1.0]])):
        x = fasttensor.tensor(a)
        assert float(fasttensor.linalg.det(x)) == 0.0
        sign, logabsdet = fasttensor.linalg.slogdet(x)
        assert float(sign) == 0.0 and np.signbit(float(sign)) == np.signbit(0.0)
        assert float(logabsdet) == -np.inf
        assert float(fasttensor.logdet(x)) == -np.inf
    assert np.isnan(float(fasttensor.logdet(-fasttensor.eye(3))))
    assert float(fasttensor.linalg.det(-fasttensor.eye(3))) == -1.0
    # A permutation's determinant is its sign.
    p = np.eye(5)[[1, 2, 0, 4, 3]]
    assert float(fasttensor.linalg.det(fasttensor.tensor(p))) == np.linalg.det(p) == -1.0
    # det = 1 and slogdet = (1, 0) for n = 0, as torch.
    assert float(fasttensor.linalg.det(fasttensor.zeros(0, 0))) == 1.0
    assert tuple(float(v) for v in fasttensor.linalg.slogdet(fasttensor.zeros(0, 0))) == (1.0, 0.0)
    assert fasttensor.linalg.det(fasttensor.zeros(0, 4, 4)).shape == (0,)
    # Overflow gives inf as LAPACK's product does; slogdet stays finite.
    big = fasttensor.eye(64) * 1e6
    assert float(fasttensor.linalg.det(big)) == np.inf
    check(fasttensor.linalg.slogdet(big).logabsdet, np.asarray(64 * np.log(1e6), dtype=np.float32), 1e-6)


# --- solve -------------------------------------------------------------------------------------------------------

# (A shape, B shape, left): vectors (1-D, or A's shape minus its last dim), matrices, broadcast batches.
SOLVE_CASES = [
    ((3, 3), (3,), True), ((3, 3), (3, 2), True), ((3, 3), (3, 0), True), ((1, 1), (1,), True),
    ((2, 3, 3), (3,), True), ((2, 3, 3), (2, 3), True), ((3, 3, 3), (3, 3), True), ((2, 3, 3), (3, 3), True),
    ((3, 3), (2, 3, 2), True), ((2, 1, 4, 4), (3, 4, 2), True), ((0, 3, 3), (3,), True), ((0, 3, 3), (0, 3, 2), True),
    ((0, 0), (0, 2), True), ((40, 40), (40, 5), True), ((3, 3), (2, 3), False), ((4, 3, 3), (2, 3), False),
    ((2, 1, 3, 3), (5, 4, 3), False), ((1, 1), (4, 1), False),
]


def numpy_solve(a: np.ndarray, b: np.ndarray, left: bool) -> np.ndarray:
    vector = b.ndim == 1 or (b.ndim == a.ndim - 1 and b.shape == a.shape[:-1])
    b_ = b[..., None] if vector else b
    inv = np.linalg.inv(a) if a.size else np.zeros(a.shape)
    x = inv @ b_ if left else b_ @ inv
    return x[..., 0] if vector else x


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", F)
@pytest.mark.parametrize("sa,sb,left", SOLVE_CASES, ids=ids)
def test_solve(sa, sb, left, dtype, device):
    a = well_conditioned(sa, dtype, seed=2)
    b = np.random.default_rng(5).uniform(-1, 1, sb).astype(dtype)
    tol = lu_tol(dtype, sa[-1], cond(a))
    out = fasttensor.linalg.solve(ft_tensor(a, device), ft_tensor(b, device), left=left)
    assert dtype_name(out.dtype) == dtype and out.device.type == device
    check(out, numpy_solve(a.astype(np.float64), b.astype(np.float64), left).astype(dtype), tol)
    if HAVE_TORCH:
        check(out, torch.linalg.solve(torch.tensor(a), torch.tensor(b), left=left), 2 * tol)


def test_solve_ex_and_inv_ex():
    a = well_conditioned((2, 4, 4))
    b = np.random.default_rng(1).uniform(-1, 1, (2, 4))
    result, info = fasttensor.linalg.solve_ex(fasttensor.tensor(a), fasttensor.tensor(b))
    check(result, numpy_solve(a, b, True), lu_tol("float64", 4, cond(a)))
    assert info.dtype == fasttensor.int32 and info.tolist() == [0, 0]
    inverse, info = fasttensor.linalg.inv_ex(fasttensor.tensor(a))
    check(inverse, np.linalg.inv(a), lu_tol("float64", 4, cond(a)))
    assert info.tolist() == [0, 0]
    singular = np.stack([np.eye(3), np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 1.0, 1.0]])])
    assert fasttensor.linalg.inv_ex(fasttensor.tensor(singular)).info.tolist() == [0, 3]
    assert fasttensor.linalg.solve_ex(fasttensor.zeros(2, 2), fasttensor.ones(2)).info.tolist() == 1
    if TORCH_IS_REFERENCE:
        assert torch.linalg.inv_ex(torch.tensor(singular)).info.tolist() == [0, 3]
        assert torch.linalg.solve_ex(torch.zeros(2, 2), torch.ones(2)).info.tolist() == 1


# --- errors of inv, det, slogdet, logdet, solve ------------------------------------------------------------------

SINGULAR = [[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 1.0, 1.0]]  # U[2, 2] is exactly 0 after pivoting


def test_linalg_error_is_runtime_error():
    assert issubclass(fasttensor.linalg.LinAlgError, RuntimeError)


@pytest.mark.parametrize("device", DEVICES)
def test_singular_errors(device):
    err = fasttensor.linalg.LinAlgError
    inv_msg = ("linalg.inv: The diagonal element {} is zero, the inversion could not be completed because the "
               "input matrix is singular.")

    def on(m, a):
        t = m.tensor(a)
        return t.to(device) if m is fasttensor and device != "cpu" else t

    raises(err, inv_msg.format(3), lambda m: m.linalg.inv(on(m, SINGULAR)), lambda m: m.linalg.inv(m.tensor(SINGULAR)))
    raises(err, inv_msg.format(1), lambda m: m.linalg.inv(on(m, [[0.0, 0.0], [0.0, 0.0]])),
           lambda m: m.linalg.inv(m.zeros(2, 2)))
    raises(err, inv_msg.format(2), lambda m: m.inverse(on(m, [[1.0, 1.0], [1.0, 1.0]])),
           lambda m: m.inverse(m.ones(2, 2)))
    batched = [np.eye(3).tolist(), SINGULAR]
    raises(err, inv_msg.format(3).replace("linalg.inv: ", "linalg.inv: (Batch element 1): "),
           lambda m: m.linalg.inv(on(m, batched)), lambda m: m.linalg.inv(m.tensor(batched)))
    raises(err, inv_msg.format(3).replace("linalg.inv: ", "linalg.inv: (Batch element 2): "),
           lambda m: m.linalg.inv(on(m, [batched[:1] * 2, batched[::-1]]).reshape(4, 3, 3)),
           lambda m: m.linalg.inv(m.tensor([batched[:1] * 2, batched[::-1]]).reshape(4, 3, 3)))
    solve_msg = "torch.linalg.solve: The solver failed because the input matrix is singular."
    raises(err, solve_msg, lambda m: m.linalg.solve(on(m, SINGULAR), on(m, [1.0, 2.0, 3.0])),
           lambda m: m.linalg.solve(m.tensor(SINGULAR), m.tensor([1.0, 2.0, 3.0])))
    raises(err, solve_msg.replace("solve: ", "solve: (Batch element 1): "),
           lambda m: m.linalg.solve(on(m, batched), on(m, [1.0, 2.0, 3.0])),
           lambda m: m.linalg.solve(m.tensor(batched), m.tensor([1.0, 2.0, 3.0])))
    raises(err, inv_msg.format(1).replace("linalg.inv:", "linalg.inv_ex:"),
           lambda m: m.linalg.inv_ex(on(m, [[0.0, 0.0], [0.0, 0.0]]), check_errors=True),
           lambda m: m.linalg.inv_ex(m.zeros(2, 2), check_errors=True))
    raises(err, solve_msg.replace("solve:", "solve_ex:"),
           lambda m: m.linalg.solve_ex(on(m, [[0.0, 0.0], [0.0, 0.0]]), on(m, [1.0, 1.0]), check_errors=True),
           lambda m: m.linalg.solve_ex(m.zeros(2, 2), m.ones(2), check_errors=True))
    raises(err, inv_msg.format(2), lambda m: m.linalg.matrix_power(on(m, [[1.0, 1.0], [1.0, 1.0]]), -1),
           lambda m: m.linalg.matrix_power(m.ones(2, 2), -1))


# (function, argument maker, exception, message): torch 2.13's.
ERROR_CASES = [
    (lambda m: m.linalg.inv(m.ones(2, 3)), RuntimeError,
     "linalg.inv: A must be batches of square matrices, but they are 2 by 3 matrices"),
    (lambda m: m.linalg.inv(m.ones(4, 2, 3)), RuntimeError,
     "linalg.inv: A must be batches of square matrices, but they are 2 by 3 matrices"),
    (lambda m: m.linalg.inv(m.ones(3)), RuntimeError,
     "linalg.inv: The input tensor A must have at least 2 dimensions."),
    (lambda m: m.linalg.inv(m.ones(3, 3, dtype=m.int64)), RuntimeError,
     "linalg.inv: Expected a floating point or complex tensor as input. Got Long"),
    (lambda m: m.linalg.inv(m.ones(2, 3, dtype=m.int64)), RuntimeError,
     "linalg.inv: A must be batches of square matrices, but they are 2 by 3 matrices"),
    (lambda m: m.inverse(m.ones(2, 3)), RuntimeError,
     "linalg.inv: A must be batches of square matrices, but they are 2 by 3 matrices"),
    (lambda m: m.linalg.det(m.ones(3, 3, dtype=m.int32)), RuntimeError,
     "linalg.det: Expected a floating point or complex tensor as input. Got Int"),
    (lambda m: m.linalg.det(m.ones(3, 3, dtype=m.uint8)), RuntimeError,
     "linalg.det: Expected a floating point or complex tensor as input. Got Byte"),
    (lambda m: m.linalg.det(m.ones(3, 3, dtype=m.bool)), RuntimeError,
     "linalg.det: Expected a floating point or complex tensor as input. Got Bool"),
    (lambda m: m.det(m.ones(2, 3)), RuntimeError,
     "linalg.det: A must be batches of square matrices, but they are 2 by 3 matrices"),
    (lambda m: m.ones(2, 3).det(), RuntimeError,
     "linalg.det: A must be batches of square matrices, but they are 2 by 3 matrices"),
    (lambda m: m.linalg.det(m.ones(3)), RuntimeError,
     "linalg.det: The input tensor A must have at least 2 dimensions."),
    (lambda m: m.linalg.slogdet(m.ones(2, 3)), RuntimeError,
     "linalg.slogdet: A must be batches of square matrices, but they are 2 by 3 matrices"),
    (lambda m: m.slogdet(m.ones(3, 3, dtype=m.int64)), RuntimeError,
     "linalg.slogdet: Expected a floating point or complex tensor as input. Got Long"),
    (lambda m: m.logdet(m.ones(2, 3)), RuntimeError,
     "logdet: A must be batches of square matrices, but they are 2 by 3 matrices"),
    (lambda m: m.ones(3, 3, dtype=m.int64).logdet(), RuntimeError,
     "logdet: Expected a floating point or complex tensor as input. Got Long"),
    (lambda m: m.linalg.solve(m.ones(3, 3, dtype=m.int64), m.ones(3)), RuntimeError,
     "linalg.solve: Expected a floating point or complex tensor as input. Got Long"),
    (lambda m: m.linalg.solve(m.ones(2, 3), m.ones(3)), RuntimeError,
     "linalg.solve: A must be batches of square matrices, but they are 2 by 3 matrices"),
    (lambda m: m.linalg.solve(m.ones(3), m.ones(3, 3)), RuntimeError,
     "linalg.solve: The input tensor A must have at least 2 dimensions."),
    (lambda m: m.linalg.solve(m.eye(3), m.ones(4)), RuntimeError,
     "linalg.solve: Incompatible shapes of A and B for the equation AX = B (3x3 and 4x1)"),
    (lambda m: m.linalg.solve(m.eye(3), m.ones(4, 2)), RuntimeError,
     "linalg.solve: Incompatible shapes of A and B for the equation AX = B (3x3 and 4x2)"),
    (lambda m: m.linalg.solve(m.eye(3).expand(2, 3, 3), m.ones(1, 3)), RuntimeError,
     "linalg.solve: Incompatible shapes of A and B for the equation AX = B (3x3 and 1x3)"),
    (lambda m: m.linalg.solve(m.eye(3).expand(4, 3, 3), m.ones(2, 4, 3)), RuntimeError,
     "linalg.solve: Incompatible shapes of A and B for the equation AX = B (3x3 and 4x3)"),
    (lambda m: m.linalg.solve(m.eye(3), m.ones(3, 2), left=False), RuntimeError,
     "linalg.solve: Incompatible shapes of A and B for the equation XA = B (3x3 and 3x2)"),
    (lambda m: m.linalg.solve(m.ones(1, 1), m.ones(4), left=False), RuntimeError,
     "linalg.solve: Vector broadcasting of the left hand side is not supported for left=False. In this case "
     "linalg.solve is equivalent to B / A.squeeze(-1)"),
    (lambda m: m.linalg.solve(m.eye(3), m.ones(3, dtype=m.float64)), RuntimeError,
     "linalg.solve: Expected A and B to have the same dtype, but found A of type Float and B of type Double instead"),
    (lambda m: m.linalg.solve(m.eye(3), m.ones(3, 3, dtype=m.int64)), RuntimeError,
     "linalg.solve: Expected A and B to have the same dtype, but found A of type Float and B of type Long instead"),
    (lambda m: m.linalg.solve(m.eye(3), m.ones(())), RuntimeError,
     "linalg.solve: The input tensor B must have at least 2 dimensions."),
    (lambda m: m.linalg.solve(m.eye(3).expand(2, 3, 3), m.ones(5, 3, 1)), RuntimeError,
     "The size of tensor a (5) must match the size of tensor b (2) at non-singleton dimension 0"),
    (lambda m: m.linalg.matrix_power(m.ones(2, 3), 2), RuntimeError,
     "linalg.matrix_power: A must be batches of square matrices, but they are 2 by 3 matrices"),
    (lambda m: m.linalg.matrix_power(m.ones(3), 2), RuntimeError,
     "linalg.matrix_power: The input tensor A must have at least 2 dimensions."),
    (lambda m: m.linalg.matrix_power(m.ones(2, 2, dtype=m.int64), -1), RuntimeError,
     "linalg.inv: Expected a floating point or complex tensor as input. Got Long"),
    (lambda m: m.linalg.matrix_power(m.ones(2, 2), 2.0), TypeError,
     "linalg_matrix_power(): argument 'n' (position 2) must be int, not float"),
    (lambda m: m.matrix_power(m.ones(2, 2), 2.0), TypeError,
     "matrix_power(): argument 'n' (position 2) must be int, not float"),
    (lambda m: m.ones(2, 2).matrix_power(2.0), TypeError,
     "matrix_power(): argument 'n' (position 1) must be int, not float"),
    (lambda m: m.linalg.multi_dot([m.ones(3)]), RuntimeError, "multi_dot(): expected at least 2 tensors but got 1"),
    (lambda m: m.linalg.multi_dot([]), RuntimeError, "multi_dot(): expected at least 2 tensors but got 0"),
    (lambda m: m.linalg.multi_dot([m.ones(2, 3), m.ones(4, 4)]), RuntimeError,
     "multi_dot(): tensors 0 and 1 with shapes [2, 3] and [4, 4] cannot be multiplied"),
    (lambda m: m.linalg.multi_dot([m.ones(2, 3, 3), m.ones(3, 4)]), RuntimeError,
     "multi_dot(): the first tensor must be 1D or 2D but got 3D"),
    (lambda m: m.linalg.multi_dot([m.ones(2, 3), m.ones(3, 2, 3), m.ones(3)]), RuntimeError,
     "multi_dot(): tensor 1 must be 2D but got 3D"),
    (lambda m: m.linalg.multi_dot([m.ones(2, 3), m.ones(3, 4, dtype=m.float64)]), RuntimeError,
     "multi_dot(): all tensors must have be the same dtype but tensor 0 is float and tensor 1 double"),
    (lambda m: m.linalg.multi_dot([m.ones(2, 3, dtype=m.int64), m.ones(3, 4)]), RuntimeError,
     "multi_dot(): all tensors must have be the same dtype but tensor 0 is long int and tensor 1 float"),
    (lambda m: m.linalg.cross(m.ones(3, 4), m.ones(3, 4)), RuntimeError,
     "linalg.cross: inputs dimension -1 must have length 3. Got 4 and 4"),
    (lambda m: m.cross(m.ones(3, 4), m.ones(3, 4), dim=1), RuntimeError,
     "linalg.cross: inputs dimension 1 must have length 3. Got 4 and 4"),
    (lambda m: m.linalg.cross(m.ones(3, 4), m.ones(3, 4), dim=2), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got 2)"),
    (lambda m: m.linalg.cross(m.ones(4, 3), m.ones(3)), RuntimeError,
     "linalg.cross: inputs must have the same number of dimensions."),
    (lambda m: m.linalg.cross(m.ones(2, 3), m.ones(4, 3)), RuntimeError,
     "The size of tensor a (2) must match the size of tensor b (4) at non-singleton dimension 0"),
    (lambda m: m.linalg.cross(m.ones(4, 3), m.ones(4, 3, dtype=m.float64)), RuntimeError,
     "expected scalar type Float but found Double"),
    (lambda m: m.linalg.cross(m.ones(3, dtype=m.bool), m.ones(3, dtype=m.bool)), NotImplementedError,
     "\"cross\" not implemented for 'Bool'"),
    (lambda m: m.cross(m.ones(5, 4), m.ones(5, 4)), RuntimeError, "no dimension of size 3 in input"),
    (lambda m: m.linalg.vecdot(m.ones(3, dtype=m.int64), m.ones(3, dtype=m.int64)), RuntimeError,
     "linalg.vecdot: Expected a floating point or complex tensor as input. Got Long"),
    (lambda m: m.linalg.vecdot(m.ones(3), m.ones(3, dtype=m.int64)), RuntimeError,
     "linalg.vecdot: Expected x and y to have the same dtype, but found x of type Float and y of type Long instead"),
    (lambda m: m.linalg.vecdot(m.ones(3, 4), m.ones(3, 5)), RuntimeError,
     "The size of tensor a (4) must match the size of tensor b (5) at non-singleton dimension 1"),
    (lambda m: m.linalg.vecdot(m.ones(3, 4), m.ones(3, 4), dim=3), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got 3)"),
    (lambda m: m.linalg.lstsq(m.ones(5, 3), m.ones(4, 2)), RuntimeError,
     "torch.linalg.lstsq: input.size(-2) should match other.size(-2)"),
    (lambda m: m.linalg.lstsq(m.ones(5, 3, dtype=m.float64), m.ones(5, 2)), RuntimeError,
     "torch.linalg.lstsq: Expected input and other to have the same dtype, but got input's dtype Double and "
     "other's dtype Float"),
    (lambda m: m.linalg.lstsq(m.ones(5, 3, dtype=m.int64), m.ones(5, 2, dtype=m.int64)), RuntimeError,
     "This function doesn't handle types other than float and double"),
    (lambda m: m.linalg.lstsq(m.ones(5, 3), m.ones(5, 2), driver="foo"), RuntimeError,
     "torch.linalg.lstsq: parameter `driver` should be one of (gels, gelsy, gelsd, gelss)"),
    (lambda m: m.linalg.lstsq(m.ones(5), m.ones(5)), RuntimeError,
     "torch.linalg.lstsq: input must have at least 2 dimensions."),
    (lambda m: m.linalg.lstsq(m.ones(3, 3), m.ones(())), RuntimeError,
     "torch.linalg.lstsq: other must have at least 1 dimension."),
    (lambda m: m.linalg.lstsq(m.ones(2, 3, 3), m.ones(3)), RuntimeError,
     "torch.linalg.lstsq: input.dim() must be greater or equal to other.dim() and (input.dim() - other.dim()) <= 1"),
    (lambda m: m.linalg.pinv(m.ones(5, 3, dtype=m.int64)), RuntimeError,
     "linalg.pinv(Long{[5, 3]}): expected a tensor with 2 or more dimensions of float, double, cfloat or cdouble "
     "types"),
    (lambda m: m.linalg.pinv(m.ones(5)), RuntimeError,
     "linalg.pinv(Float{[5]}): expected a tensor with 2 or more dimensions of float, double, cfloat or cdouble types"),
]


@pytest.mark.parametrize("case", range(len(ERROR_CASES)))
def test_errors_as_torch(case):
    fn, exc, message = ERROR_CASES[case]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raises(exc, message, fn, fn)


def test_failed_op_leaves_input_unchanged():
    a = np.array(SINGULAR)
    x = fasttensor.tensor(a)
    with pytest.raises(fasttensor.linalg.LinAlgError):
        fasttensor.linalg.inv(x)
    np.testing.assert_array_equal(x.numpy(), a)


# --- gradients ---------------------------------------------------------------------------------------------------

def _grad_case(fn, arrays, upstream_seed=7):
    """Gradients of Σ fn(*inputs) * g in fasttensor (and torch) for float64 inputs; returns (ft grads, torch grads)."""
    xs = [fasttensor.tensor(a.copy()).requires_grad_(True) for a in arrays]
    out = fn(fasttensor, *xs)
    g = np.random.default_rng(upstream_seed).uniform(-1, 1, tuple(out.shape))
    out.backward(fasttensor.tensor(g))
    ours = [x.grad.numpy() for x in xs]
    theirs = None
    if HAVE_TORCH:
        ts = [torch.tensor(a.copy(), requires_grad=True) for a in arrays]
        torch_out = fn(torch, *ts)
        torch_out.backward(torch.tensor(g))
        theirs = [t.grad.numpy() for t in ts]
    return ours, theirs, g


GRAD_SHAPES = [(1, 1), (3, 3), (2, 4, 4), (2, 1, 3, 3), (40, 40)]
GRAD_FUNCTIONS = {
    "inv": lambda m, x: m.linalg.inv(x),
    "det": lambda m, x: m.linalg.det(x),
    "logabsdet": lambda m, x: m.linalg.slogdet(x).logabsdet,
    "logdet": lambda m, x: m.logdet(x),
    "inverse_method": lambda m, x: x.inverse(),
    "det_method": lambda m, x: x.det(),
}


@pytest.mark.parametrize("name", sorted(GRAD_FUNCTIONS))
@pytest.mark.parametrize("shape", GRAD_SHAPES, ids=ids)
def test_inv_det_slogdet_gradients(shape, name):
    a = well_conditioned(shape, seed=4)  # diagonally dominant, positive diagonal: det > 0 (logdet is defined)
    if name == "logabsdet" and shape[-1] > 1:
        a = a[..., ::-1, :].copy()  # one row swap: negative determinants
    tol = lu_tol("float64", shape[-1], cond(a) ** 2)
    ours, theirs, g = _grad_case(GRAD_FUNCTIONS[name], [a])
    inv_t = np.swapaxes(np.linalg.inv(a), -1, -2)
    # NumPy references: d(A^-1) = -A^-1 dA A^-1, d det = det A^-T : dA, d log|det| = A^-T : dA.
    if name.startswith("inv"):
        ref = -(inv_t @ g @ inv_t)
    elif name.startswith("det"):
        ref = (g * np.linalg.det(a))[..., None, None] * inv_t
    else:
        ref = np.asarray(g)[..., None, None] * inv_t
    check(fasttensor.tensor(ours[0]), ref, tol, f"{name} grad")
    if theirs:
        check(fasttensor.tensor(ours[0]), theirs[0], 2 * tol, f"{name} grad vs torch")


def test_logdet_gradient_against_torch():
    a = well_conditioned((3, 3, 3), seed=6)
    ours, theirs, g = _grad_case(lambda m, x: m.logdet(x), [a])
    ref = g[..., None, None] * np.swapaxes(np.linalg.inv(a), -1, -2)
    check(fasttensor.tensor(ours[0]), ref, lu_tol("float64", 3, cond(a) ** 2))
    if theirs:
        check(fasttensor.tensor(ours[0]), theirs[0], lu_tol("float64", 3, cond(a) ** 2))


SOLVE_GRAD_CASES = [((3, 3), (3,), True), ((3, 3), (3, 2), True), ((2, 3, 3), (3,), True),
                    ((2, 3, 3), (2, 3), True), ((3, 3), (2, 3, 2), True), ((2, 1, 4, 4), (3, 4, 2), True),
                    ((4, 3, 3), (2, 3), False), ((35, 35), (35, 3), True)]


@pytest.mark.parametrize("sa,sb,left", SOLVE_GRAD_CASES, ids=ids)
def test_solve_gradients(sa, sb, left):
    a = well_conditioned(sa, seed=8)
    b = np.random.default_rng(9).uniform(-1, 1, sb)
    ours, theirs, g = _grad_case(lambda m, x, y: m.linalg.solve(x, y, left=left), [a, b])
    assert ours[0].shape == sa and ours[1].shape == sb
    tol = lu_tol("float64", sa[-1], cond(a) ** 2)
    # NumPy reference for the left, matrix case: grad_B = A^-T G, grad_A = -grad_B X^T, summed to the shapes.
    if left and len(sb) >= 2 and sb != sa[:-1]:
        inv_t = np.swapaxes(np.linalg.inv(a), -1, -2)
        x = np.linalg.inv(a) @ b
        grad_b = inv_t @ g
        grad_a = -grad_b @ np.swapaxes(x, -1, -2)
        while grad_a.ndim > a.ndim:
            grad_a = grad_a.sum(0)
        grad_a = grad_a.sum(axis=tuple(i for i, s in enumerate(sa) if s == 1 and grad_a.shape[i] != 1),
                            keepdims=True)
        while grad_b.ndim > b.ndim:
            grad_b = grad_b.sum(0)
        check(fasttensor.tensor(ours[0]), grad_a, tol, "grad A")
        check(fasttensor.tensor(ours[1]), grad_b.reshape(sb), tol, "grad B")
    if theirs:
        check(fasttensor.tensor(ours[0]), theirs[0], tol, "grad A vs torch")
        check(fasttensor.tensor(ours[1]), theirs[1], tol, "grad B vs torch")


def test_gradcheck_float64():
    a = fasttensor.tensor(well_conditioned((2, 3, 3), seed=10)).requires_grad_(True)
    b = fasttensor.tensor(np.random.default_rng(11).uniform(-1, 1, (2, 3, 2))).requires_grad_(True)
    assert gradcheck(lambda x: fasttensor.linalg.inv(x), (a,))
    assert gradcheck(lambda x: fasttensor.linalg.det(x), (a,))
    assert gradcheck(lambda x: fasttensor.linalg.slogdet(x).logabsdet, (a,))
    assert gradcheck(lambda x, y: fasttensor.linalg.solve(x, y), (a, b))
    assert gradcheck(lambda x, y: fasttensor.linalg.solve(x, y.mT, left=False), (a, b))
    assert gradcheck(lambda x: fasttensor.linalg.matrix_power(x, -2), (a,))
    assert gradcheck(lambda x: fasttensor.linalg.pinv(x[..., :2]), (a,))
    assert gradcheck(lambda x, y: fasttensor.linalg.lstsq(x[..., :2], y).solution, (a, b))
    assert gradcheck(lambda x, y: fasttensor.linalg.cross(x, y[..., :1].expand(2, 3, 3), dim=-2), (a, b))


SECOND_ORDER = {
    "inv": (lambda m, x, b: m.linalg.inv(x), False),
    "det": (lambda m, x, b: m.linalg.det(x), False),
    "logabsdet": (lambda m, x, b: m.linalg.slogdet(x).logabsdet, False),
    "solve": (lambda m, x, b: m.linalg.solve(x, b), True),
    "solve_left_false": (lambda m, x, b: m.linalg.solve(x, b.transpose(-2, -1), left=False), True),
}


@pytest.mark.parametrize("name", sorted(SECOND_ORDER))
def test_second_derivatives(name):
    """create_graph=True: the gradient is itself differentiable (d/dA of <grad_A, V>), as in torch."""
    fn, with_b = SECOND_ORDER[name]
    a = well_conditioned((2, 3, 3), seed=24)
    b = np.random.default_rng(25).uniform(-1, 1, (2, 3, 2))

    def second(m):  # the same random weights for each library: rng is reset before each call
        x = m.tensor(a.copy()).requires_grad_(True)
        y = m.tensor(b.copy()).requires_grad_(with_b)
        out = fn(m, x, y)
        w = m.tensor(rng.uniform(-1, 1, tuple(out.shape)))
        inputs = [x, y] if with_b else [x]
        grads = m.autograd.grad((out * w).sum(), inputs, create_graph=True)
        assert all(g.requires_grad for g in grads)
        total = sum((g * m.tensor(rng.uniform(-1, 1, tuple(g.shape)))).sum() for g in grads)
        total.backward()
        return [t.grad.numpy() for t in inputs]

    rng = np.random.default_rng(26)
    ours = second(fasttensor)
    tol = lu_tol("float64", 3, cond(a) ** 3)
    x = fasttensor.tensor(a.copy()).requires_grad_(True)
    y = fasttensor.tensor(b.copy()).requires_grad_(with_b)
    w = fasttensor.tensor(np.random.default_rng(27).uniform(-1, 1, tuple(fn(fasttensor, x, y).shape)))

    def first_grad(xx, yy):
        g = fasttensor.autograd.grad((fn(fasttensor, xx, yy) * w).sum(), [xx], create_graph=True)[0]
        return g

    assert gradcheck(first_grad, (x, y))  # second derivatives by finite differences of the first
    if HAVE_TORCH:
        rng = np.random.default_rng(26)
        theirs = second(torch)
        for o, t in zip(ours, theirs):
            check(fasttensor.tensor(o), t, tol)


def test_gradient_flags():
    a = fasttensor.tensor(well_conditioned((3, 3)))
    assert not fasttensor.linalg.inv(a).requires_grad
    a.requires_grad_(True)
    out = fasttensor.linalg.inv(a)
    assert out.requires_grad and out.grad_fn is not None
    sign, logabsdet = fasttensor.linalg.slogdet(a)
    # As PyTorch: both carry the node; the sign gives no gradient (tests/test_autograd.py FIXED_NODES).
    assert logabsdet.requires_grad and sign.requires_grad
    with fasttensor.no_grad():
        assert not fasttensor.linalg.det(a).requires_grad


# --- matrix_power, multi_dot -------------------------------------------------------------------------------------

@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", F)
@pytest.mark.parametrize("power", [-3, -1, 0, 1, 2, 3, 6, 7])
@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4), (1, 1), (0, 2, 2), (0, 0)], ids=ids)
def test_matrix_power(shape, power, dtype, device):
    a = (well_conditioned(shape, dtype, seed=12) / max(shape[-1], 1)).astype(dtype)  # entries ~ 1: no overflow
    tol = lu_tol(dtype, shape[-1], cond(a)) * max(abs(power), 1)
    x = ft_tensor(a, device)
    ref = np.linalg.matrix_power(a.astype(np.float64), power) if a.size or power >= 0 else a.astype(np.float64)
    if a.size == 0:
        ref = np.zeros(shape)
    out = fasttensor.linalg.matrix_power(x, power)
    check(out, ref.astype(dtype), tol)
    assert dtype_name(out.dtype) == dtype
    check(fasttensor.matrix_power(x, power), ref.astype(dtype), tol)
    check(x.matrix_power(power), ref.astype(dtype), tol)
    if HAVE_TORCH:
        check(out, torch.linalg.matrix_power(torch.tensor(a), power), 2 * tol)
    if power == 1 and a.size:
        out.add_(1)  # a copy, not the input
        np.testing.assert_array_equal(to_numpy(x.cpu()), a)


def test_matrix_power_integers_and_gradient():
    m = fasttensor.tensor([[1, 1], [1, 0]])
    assert fasttensor.linalg.matrix_power(m, 10).tolist() == [[89, 55], [55, 34]]
    assert fasttensor.linalg.matrix_power(m, 0).tolist() == [[1, 0], [0, 1]]
    assert fasttensor.linalg.matrix_power(m, 0).dtype == fasttensor.int64
    a = well_conditioned((2, 3, 3), seed=13) / 3
    for power in (3, -2):
        ours, theirs, g = _grad_case(lambda mod, x: mod.linalg.matrix_power(x, power), [a])
        if theirs:
            check(fasttensor.tensor(ours[0]), theirs[0], 1e-12)


MULTI_DOT_CASES = [[(2, 3), (3, 4)], [(3,), (3,)], [(3,), (3, 4), (4,)], [(2, 3), (3,)], [(3,), (3, 5)],
                   [(10, 2), (2, 30), (30, 3), (3, 8)], [(5, 1), (1, 6), (6, 2), (2, 7), (7,)], [(2, 0), (0, 3)]]


@pytest.mark.parametrize("shapes", MULTI_DOT_CASES, ids=ids)
def test_multi_dot(shapes):
    rng = np.random.default_rng(14)
    arrays = [rng.uniform(-1, 1, s) for s in shapes]
    out = fasttensor.linalg.multi_dot([fasttensor.tensor(a) for a in arrays])
    check(out, np.asarray(np.linalg.multi_dot(arrays)), 1e-13)
    ours, theirs, _ = _grad_case(lambda m, *xs: m.linalg.multi_dot(list(xs)), arrays)
    if theirs:
        for o, t in zip(ours, theirs):
            check(fasttensor.tensor(o), t, 1e-12)
            assert o.shape == t.shape


def test_multi_dot_integers_and_chain_matmul():
    ints = fasttensor.linalg.multi_dot([fasttensor.ones(2, 3, dtype=fasttensor.int64),
                                        fasttensor.ones(3, dtype=fasttensor.int64)])
    assert ints.tolist() == [3, 3] and ints.dtype == fasttensor.int64
    with pytest.warns(UserWarning, match="chain_matmul is deprecated"):
        out = fasttensor.chain_matmul(fasttensor.ones(2, 2), fasttensor.ones(2, 3))
    assert out.tolist() == [[2.0] * 3] * 2


# --- cross, vecdot, diagonal -------------------------------------------------------------------------------------

CROSS_CASES = [((3,), (3,), -1), ((4, 3), (4, 3), -1), ((1, 3), (4, 3), -1), ((3, 4), (3, 4), 0),
               ((2, 3, 5), (1, 3, 5), 1), ((2, 3, 5), (2, 3, 1), -2), ((0, 3), (0, 3), -1)]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("sa,sb,dim", CROSS_CASES, ids=ids)
def test_cross(sa, sb, dim, device):
    rng = np.random.default_rng(15)
    a, b = rng.uniform(-1, 1, sa), rng.uniform(-1, 1, sb)
    ref = np.cross(a, b, axis=dim)
    x, y = ft_tensor(a, device), ft_tensor(b, device)
    check(fasttensor.linalg.cross(x, y, dim=dim), ref, 1e-15)
    check(fasttensor.cross(x, y, dim=dim), ref, 1e-15)
    check(x.cross(y, dim), ref, 1e-15)
    ours, theirs, _ = _grad_case(lambda m, p, q: m.linalg.cross(p, q, dim=dim), [a, b])
    if theirs:
        for o, t in zip(ours, theirs):
            check(fasttensor.tensor(o), t, 1e-15)


def test_cross_default_dim_and_dtypes():
    a, b = np.arange(12.0).reshape(3, 4), np.arange(12.0)[::-1].reshape(3, 4).copy()
    with pytest.warns(UserWarning, match="Using torch.cross without specifying the dim arg is deprecated"):
        out = fasttensor.cross(fasttensor.tensor(a), fasttensor.tensor(b))  # the first dim of size 3: dim 0
    check(out, np.cross(a, b, axis=0), 0.0)
    with pytest.warns(UserWarning):
        check(fasttensor.tensor(a).cross(fasttensor.tensor(b)), np.cross(a, b, axis=0), 0.0)
    ints = fasttensor.linalg.cross(fasttensor.tensor([1, 2, 3]), fasttensor.tensor([4, 5, 6]))
    assert ints.tolist() == [-3, 6, -3] and ints.dtype == fasttensor.int64
    u8 = fasttensor.ones(3, dtype=fasttensor.uint8)
    bytes_ = fasttensor.linalg.cross(u8, u8)
    assert bytes_.tolist() == [0, 0, 0] and bytes_.dtype == fasttensor.uint8
    f32 = fasttensor.linalg.cross(fasttensor.ones(2, 3), fasttensor.ones(2, 3))
    assert f32.dtype == fasttensor.float32


@pytest.mark.parametrize("sa,sb,dim", [((4,), (4,), -1), ((3, 4), (4,), -1), ((3, 4), (3, 4), 0),
                                       ((2, 1, 5), (3, 5), -1), ((0, 4), (4,), -1)], ids=ids)
@pytest.mark.parametrize("dtype", F)
def test_vecdot(sa, sb, dim, dtype):
    rng = np.random.default_rng(16)
    a, b = rng.uniform(-1, 1, sa).astype(dtype), rng.uniform(-1, 1, sb).astype(dtype)
    out = fasttensor.linalg.vecdot(fasttensor.tensor(a), fasttensor.tensor(b), dim=dim)
    check(out, (a.astype(np.float64) * b).sum(dim).astype(dtype), 10 * EPS[dtype])
    if HAVE_TORCH:
        check(out, torch.linalg.vecdot(torch.tensor(a), torch.tensor(b), dim=dim), 10 * EPS[dtype])


def test_linalg_diagonal():
    a = np.arange(24.0).reshape(2, 3, 4)
    x = fasttensor.tensor(a)
    check(fasttensor.linalg.diagonal(x), np.diagonal(a, axis1=-2, axis2=-1), 0.0)
    check(fasttensor.linalg.diagonal(x, offset=1, dim1=0, dim2=2), np.diagonal(a, 1, 0, 2), 0.0)
    check(fasttensor.linalg.diagonal(x, offset=-1), np.diagonal(a, -1, -2, -1), 0.0)


# --- lstsq, pinv ------------------------------------------------------------------------------------------------

def tall(shape, dtype="float64", seed=0):
    """A random (..., m, n) matrix with orthonormal-ish columns scaled to cond ~ 2."""
    rng = np.random.default_rng(seed)
    a = rng.uniform(-1, 1, shape)
    m, n = shape[-2], shape[-1]
    k = min(m, n)
    if k:
        a[..., :k, :k] += np.sqrt(max(m, n)) * np.eye(k) * 2
    return a.astype(dtype)


LSTSQ_CASES = [((5, 3), (5, 2)), ((4, 4), (4, 1)), ((3, 5), (3, 2)), ((5, 3), (5,)), ((2, 6, 4), (2, 6, 3)),
               ((1, 6, 4), (3, 6, 2)), ((2, 5, 3), (2, 5)), ((0, 3), (0, 2)), ((5, 0), (5, 2)), ((50, 20), (50, 3))]


@pytest.mark.parametrize("dtype", F)
@pytest.mark.parametrize("sa,sb", LSTSQ_CASES, ids=ids)
def test_lstsq(sa, sb, dtype):
    a = tall(sa, dtype, seed=17)
    b = np.random.default_rng(18).uniform(-1, 1, sb).astype(dtype)
    m, n = sa[-2], sa[-1]
    vector = len(sb) == len(sa) - 1
    batch = np.broadcast_shapes(sa[:-2], (sb[:-1] if vector else sb[:-2]))
    a_b = np.broadcast_to(a, batch + (m, n)).astype(np.float64)
    b_b = np.broadcast_to(b[..., None] if vector else b, batch + (m, sb[-1] if not vector else 1)).astype(np.float64)
    ref = np.zeros(batch + (n, b_b.shape[-1]))
    for idx in np.ndindex(*batch):
        ref[idx] = np.linalg.lstsq(a_b[idx], b_b[idx], rcond=None)[0]
    ref = ref[..., 0] if vector else ref
    kappa = cond(a) if a.size else 1.0
    tol = lu_tol(dtype, max(m, n), kappa ** 2)  # the normal equations square the condition number
    result = fasttensor.linalg.lstsq(fasttensor.tensor(a), fasttensor.tensor(b))
    assert type(result).__name__ == "linalg_lstsq"
    check(result.solution, ref.astype(dtype), tol)
    assert dtype_name(result.solution.dtype) == dtype
    assert result.rank.dtype == fasttensor.int64 and result.rank.shape == sa[:-2]  # A's batch, as torch
    assert (result.rank.numpy() == min(m, n)).all()
    assert result.residuals.shape == (0,) and result.singular_values.shape == (0,)
    assert dtype_name(result.residuals.dtype) == dtype
    if HAVE_TORCH:
        expected = torch.linalg.lstsq(torch.tensor(a), torch.tensor(b))
        check(result.solution, expected.solution, 2 * tol)
        assert result.rank.tolist() == expected.rank.tolist()
        assert tuple(result.residuals.shape) == tuple(expected.residuals.shape)


def test_lstsq_gels_residuals_rank_and_gradient():
    a = tall((2, 6, 3), seed=19)
    b = np.random.default_rng(20).uniform(-1, 1, (2, 6, 2))
    result = fasttensor.linalg.lstsq(fasttensor.tensor(a), fasttensor.tensor(b), driver="gels")
    x = np.linalg.solve(np.swapaxes(a, -1, -2) @ a, np.swapaxes(a, -1, -2) @ b)
    check(result.solution, x, lu_tol("float64", 6, cond(a) ** 2))
    check(result.residuals, ((a @ x - b) ** 2).sum(-2), 1e-10)
    assert result.rank.shape == (0,) and result.rank.dtype == fasttensor.int64
    vector = fasttensor.linalg.lstsq(fasttensor.tensor(a[0]), fasttensor.tensor(b[0, :, 0]), driver="gels")
    assert vector.residuals.shape == (1,) and vector.solution.shape == (3,)
    # The rank from the column-pivoted QR, with rcond as gelsy's.
    diag = fasttensor.tensor(np.diag([3.0, 2.0, 1e-5]))
    assert int(fasttensor.linalg.lstsq(diag, fasttensor.ones(3, 1, dtype=fasttensor.float64)).rank) == 3
    with pytest.raises(NotImplementedError, match="rank-deficient"):
        fasttensor.linalg.lstsq(diag, fasttensor.ones(3, 1, dtype=fasttensor.float64), rcond=1e-4)
    with pytest.raises(NotImplementedError, match="rank-deficient"):
        fasttensor.linalg.lstsq(fasttensor.ones(5, 3), fasttensor.ones(5, 2))
    with pytest.raises(NotImplementedError, match="singular values"):
        fasttensor.linalg.lstsq(fasttensor.tensor(a), fasttensor.tensor(b), driver="gelsd")
    # (Not compared with torch: for diag with rcond=1e-4, torch 2.13's gelsy rank varies from call to call in
    # one process, 2 in about 5 calls of 6 and 1 otherwise.)
    if TORCH_IS_REFERENCE:
        assert int(torch.linalg.lstsq(torch.ones(5, 3), torch.ones(5, 2)).rank) == 1
        expected = torch.linalg.lstsq(torch.tensor(a), torch.tensor(b), driver="gels")
        check(result.residuals, expected.residuals, 1e-10)
    ours, theirs, _ = _grad_case(lambda m, p, q: m.linalg.lstsq(p, q).solution, [a, b])
    if theirs:
        check(fasttensor.tensor(ours[0]), theirs[0], 1e-10)
        check(fasttensor.tensor(ours[1]), theirs[1], 1e-10)


@pytest.mark.parametrize("dtype", F)
@pytest.mark.parametrize("shape", [(5, 3), (3, 5), (4, 4), (2, 6, 2), (1, 1), (0, 3), (3, 0)], ids=ids)
def test_pinv(shape, dtype):
    a = tall(shape, dtype, seed=21)
    kappa = cond(a) if a.size else 1.0
    tol = lu_tol(dtype, max(shape[-2:]), kappa ** 2)
    ref = np.linalg.pinv(a.astype(np.float64)) if a.size else np.zeros(shape[:-2] + (shape[-1], shape[-2]))
    out = fasttensor.linalg.pinv(fasttensor.tensor(a))
    check(out, ref.astype(dtype), tol)
    check(fasttensor.pinverse(fasttensor.tensor(a)), ref.astype(dtype), tol)
    check(fasttensor.tensor(a).pinverse(), ref.astype(dtype), tol)
    if HAVE_TORCH:
        check(out, torch.linalg.pinv(torch.tensor(a)), 2 * tol)
        if a.size:
            ours, theirs, _ = _grad_case(lambda m, x: m.linalg.pinv(x), [a.astype(np.float64)])
            check(fasttensor.tensor(ours[0]), theirs[0], lu_tol("float64", max(shape[-2:]), kappa ** 4))


# --- CUDA against the CPU -----------------------------------------------------------------------------------------

@pytest.mark.skipif(not HAVE_GPU, reason="no CUDA GPU")
def test_cuda_matches_cpu_with_gradients():
    a = well_conditioned((3, 6, 6), seed=22)
    b = np.random.default_rng(23).uniform(-1, 1, (3, 6, 2))
    for fn in (lambda x, y: fasttensor.linalg.inv(x), lambda x, y: fasttensor.linalg.det(x),
               lambda x, y: fasttensor.linalg.slogdet(x).logabsdet, lambda x, y: fasttensor.linalg.solve(x, y),
               lambda x, y: fasttensor.linalg.lstsq(x[..., :4], y).solution):
        results = []
        for device in ("cpu", "cuda"):
            x, y = ft_tensor(a, device, True), ft_tensor(b, device, True)
            out = fn(x, y)
            assert out.device.type == device
            out.sum().backward()
            results.append((out.cpu(), x.grad.cpu(), None if y.grad is None else y.grad.cpu()))
        tol = lu_tol("float64", 6, cond(a) ** 2)
        for cpu_t, cuda_t in zip(results[0], results[1]):
            if cpu_t is not None:
                check(cuda_t, to_numpy(cpu_t), tol)
    with pytest.raises(fasttensor.linalg.LinAlgError, match="diagonal element 3 is zero"):
        fasttensor.linalg.inv(fasttensor.tensor(SINGULAR).to("cuda"))


def test_pinv_refuses_what_needs_singular_values():
    # No SVD here: a rank-deficient matrix or a cutoff would need singular values; an honest refusal
    # rather than a wrong pseudo-inverse.
    a = fasttensor.tensor([[1.0, 2.0], [2.0, 4.0]])
    with pytest.raises(NotImplementedError, match="rank-deficient"):
        fasttensor.linalg.pinv(a)
    full = fasttensor.tensor([[2.0, 1.0], [1.0, 3.0], [0.0, 1.0]])
    for kwargs in ({"rtol": 0.5}, {"atol": 1.0}):
        with pytest.raises(NotImplementedError, match="atol / rtol"):
            fasttensor.linalg.pinv(full, **kwargs)
    with pytest.raises(NotImplementedError, match="atol / rtol"):
        fasttensor.pinverse(full, rcond=0.3)
    np.testing.assert_allclose(fasttensor.pinverse(full).numpy(), np.linalg.pinv(full.numpy()), rtol=1e-5,
                               atol=1e-6)


@pytest.mark.parametrize("lib", ["fasttensor", "torch"])
def test_mv_and_addmv_dtype_messages_name_all_operands(lib):
    m = pytest.importorskip(lib)
    cases = [(lambda: m.mv(m.arange(6).reshape(2, 3), m.ones(3)), "Float, Long, and Float"),
             (lambda: m.ones(2, 3) @ m.arange(3), "Long, Float, and Long"),
             (lambda: m.addmv(m.ones(2), m.ones(2, 3), m.arange(3)), "Float, Float, and Long"),
             (lambda: m.addmv(m.ones(2, dtype=m.float64), m.ones(2, 3), m.ones(3)), "Double, Float, and Float")]
    for call, names in cases:
        with pytest.raises(RuntimeError, match=f"^addmv input tensors must have the same dtype, but got {names}$"):
            call()
