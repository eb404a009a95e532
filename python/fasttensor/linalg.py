"""fasttensor.linalg: vector and matrix norms, those that need no singular values
(the spectral norms ord=2/-2 and the nuclear norm need them, and fasttensor does
not compute them: they raise NotImplementedError); inv, det, slogdet, logdet and
solve from an LU factorization with partial pivoting; matrix_power, multi_dot,
cross, vecdot, diagonal; lstsq and pinv for full-rank inputs (see their
docstrings for the limits)."""

from __future__ import annotations

import math
import warnings
from typing import Sequence

from . import _C
from ._fixed_nodes import no_gradient, zero_gradient
from ._functional import _broadcast_pair, _check_tensors, _not_a_tensor
from ._grad_names import grad_fn_named
from .autograd.function import Function
from . import return_types

Tensor = _C.Tensor

__all__ = ["norm", "vector_norm", "matrix_norm"]
# Functions also exported at the top level, by name (fasttensor.det, ...): set at the end.
__top_level__: dict = {}


def install(T) -> None:
    """Adds this module's Tensor methods (x.det(), ...) to the Tensor class."""
    T.det = _method_det
    T.inverse = _method_inverse
    T.slogdet = _top_slogdet
    T.logdet = logdet
    T.matrix_power = _method_matrix_power
    T.cross = _method_cross
    T.pinverse = _method_pinverse


def vector_norm(x: Tensor, ord=2, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """(Σ |x|^ord)^(1/ord) over dim (all dims when None); ord inf / -inf: max / min |x|; 0: nonzero count."""
    if isinstance(ord, str):
        raise TypeError("linalg.vector_norm(): argument 'ord' must be Number, not str")
    return x.norm(p=ord, dim=dim, keepdim=keepdim, dtype=dtype)


def _two_dims(dim, ndim: int, name: str):
    if len(dim) != 2:
        raise RuntimeError(f"linalg.{name}: dim must be a 2-tuple. Got {tuple(dim)}")
    d0, d1 = (d + ndim if d < 0 else d for d in dim)
    if not (0 <= d0 < ndim and 0 <= d1 < ndim):
        raise IndexError(f"Dimension out of range (expected to be in range of [{-ndim}, {ndim - 1}], "
                         f"but got {tuple(dim)})")
    if d0 == d1:
        raise RuntimeError(f"linalg.{name}: dims must be different. Got ({d0}, {d1})")
    return d0, d1


def matrix_norm(A: Tensor, ord="fro", dim=(-2, -1), keepdim: bool = False, *, dtype=None) -> Tensor:
    """Frobenius ('fro'), max column sum (1), min column sum (-1), max row sum (inf), min row sum (-inf)."""
    if A.dim() < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 dimensions.")
    d0, d1 = _two_dims(dim, A.dim(), "matrix_norm")
    if ord == "fro":
        return A.norm(p=2, dim=(d0, d1), keepdim=keepdim, dtype=dtype)
    if ord in ("nuc", 2, -2):
        raise NotImplementedError(f"linalg.matrix_norm: ord={ord!r} needs singular values, which fasttensor does "
                                  "not compute")
    if ord not in (1, -1, math.inf, -math.inf):
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    if not A.is_floating_point():
        raise RuntimeError(f"linalg.matrix_norm: Expected a floating point or complex tensor as input. "
                           f"Got {A.dtype}")
    a = (A if dtype is None else A.to(dtype)).abs()
    sums_over, pick_over = (d0, d1) if abs(ord) == 1 else (d1, d0)  # column sums for ±1, row sums for ±inf
    sums = a.sum(dim=sums_over, keepdim=True)
    out = sums.amax(dim=pick_over, keepdim=True) if ord > 0 else sums.amin(dim=pick_over, keepdim=True)
    return out if keepdim else out.squeeze((d0, d1))


def norm(A: Tensor, ord=None, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """A vector norm (ord None: 2-norm of all entries; a 1-D input or one dim) or a
    matrix norm (a 2-D input with ord given, or two dims)."""
    if isinstance(dim, int):
        dim = (dim,)
    if ord is None:
        return A.norm(p=2, dim=dim, keepdim=keepdim, dtype=dtype)
    if dim is None:
        if A.dim() == 1:
            return vector_norm(A, ord, None, keepdim, dtype=dtype)
        if A.dim() == 2:
            return matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype)
        raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. "
                           f"Got {A.dim()}D.")
    if len(dim) == 1:
        return vector_norm(A, ord, dim, keepdim, dtype=dtype)
    if len(dim) == 2:
        return matrix_norm(A, ord, dim, keepdim, dtype=dtype)
    raise RuntimeError(f"linalg.norm: If dim is specified, it must be of length 1 or 2. Got {list(dim)}")


# ---------------------------------------------------------------------------------------------------------
# Matrix functions: inv, det, slogdet, logdet, solve, matrix_power, multi_dot, cross, lstsq, pinv, vecdot.
#
# Everything below is composed of fasttensor's own tensor ops (indexing, gather, matmul, where, reductions),
# so it runs on every device the core supports. The one factorization is an LU decomposition with partial
# pivoting (PA = LU), blocked as in LAPACK's getrf: a panel of _PANEL columns is factored column by column with
# batched row swaps and rank-1 updates, then the rest of the matrix is updated with one triangular solve and
# one matmul. That is O(n) Python steps of O(n^2) tensor work each, with most flops in matmul.
#
# Gradients: inv, det, slogdet and solve are autograd.Functions with analytic backward formulas that reuse
# the forward's factorization; under create_graph=True (grad mode on in backward) the same formulas are built
# from these differentiable functions on the saved inputs instead, so higher derivatives are right too.
# Everything else is a composition of differentiable ops.
# ---------------------------------------------------------------------------------------------------------

__all__ += ["inv", "inv_ex", "det", "slogdet", "solve", "solve_ex", "matrix_power", "multi_dot", "cross",
            "lstsq", "pinv", "vecdot", "diagonal", "LinAlgError"]

_PANEL = 32  # columns per LU panel / rows per triangular-solve block


class LinAlgError(RuntimeError):
    """A linear-algebra routine failed on its input (a singular matrix), as torch.linalg.LinAlgError."""


slogdet_result = return_types.slogdet
linalg_slogdet = return_types.linalg_slogdet
linalg_lstsq = return_types.linalg_lstsq
linalg_inv_ex = return_types.linalg_inv_ex
linalg_solve_ex = return_types.linalg_solve_ex


def _type_name(dtype) -> str:
    """PyTorch's scalar type name for messages: Float, Double, Long, Int, Byte, Bool."""
    from ._functional import _dtype_display

    return _dtype_display(dtype)


def _check_matrix(A: Tensor, op: str, square: bool = True) -> None:
    """torch's checks, in its order: at least 2 dims, square, then a floating dtype."""
    if A.dim() < 2:
        raise RuntimeError(f"{op}: The input tensor A must have at least 2 dimensions.")
    if square and A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"{op}: A must be batches of square matrices, but they are {A.shape[-2]} by "
                           f"{A.shape[-1]} matrices")
    if not A.is_floating_point():
        raise RuntimeError(f"{op}: Expected a floating point or complex tensor as input. Got {_type_name(A.dtype)}")


def _numel(shape) -> int:
    out = 1
    for s in shape:
        out *= int(s)
    return out


def _sum_to(x: Tensor, shape) -> Tensor:
    """x summed over the dims that broadcasting added or expanded to reach its shape from `shape`."""
    shape = tuple(shape)
    lead = x.dim() - len(shape)
    if lead > 0:
        x = x.sum(tuple(range(lead)))
    dims = tuple(i for i, s in enumerate(shape) if s == 1 and x.shape[i] != 1)
    return x.sum(dims, keepdim=True) if dims else x


def _fresh_copy(x: Tensor) -> Tensor:
    """A contiguous tensor that shares no memory with x (what the in-place factorizations write)."""
    return x.clone().contiguous() if x.is_contiguous() else x.contiguous()


def _eye(n: int, like: Tensor) -> Tensor:
    import fasttensor

    return fasttensor.eye(n, dtype=like.dtype, device=like.device)


# --- the factorization and the triangular solves (no autograd: callers hold it off) -------------------------

class _LU:
    """PA = LU of a batch of square matrices, packed as LAPACK's getrf packs it.

    lu: (*batch, n, n), L strictly below the diagonal (unit diagonal implied), U on and above it;
    perm: (*batch, n) int64, row i of PA is row perm[i] of A;
    swaps_odd: (*batch,) bool, whether P is an odd permutation (det P = -1);
    first_zero: (*batch,) int64, 1 + the index of the first exactly-zero pivot (0: none), LAPACK's info.
    """

    def __init__(self, A: Tensor):
        batch, n = tuple(A.shape[:-2]), A.shape[-1]
        count = _numel(batch)
        lu = _fresh_copy(A.detach().reshape(count, n, n))
        perm = _fresh_copy(_arange(n, A.device).expand(count, n))
        swaps_odd = _C._full([count], 0, _C.bool, A.device, False)
        rows_flat = lu.view(count * n, n)
        perm_flat = perm.view(count * n)
        base = _arange(count, A.device) * n  # (count,): the flat row index of each matrix's row 0
        for j0 in range(0, n if count else 0, _PANEL):
            j1 = min(j0 + _PANEL, n)
            for k in range(j0, j1):
                # The pivot: the largest |entry| of column k on or below the diagonal (the first on a tie).
                offset = lu[:, k:, k].abs().argmax(dim=1)  # (count,)
                if k + 1 < n:
                    at_k, at_p = base + k, base + k + offset
                    row_k, row_p = rows_flat[at_k], rows_flat[at_p]  # (count, n) copies
                    rows_flat[at_p] = row_k  # whole rows swap, as getrf's laswp
                    rows_flat[at_k] = row_p
                    pk, pp = perm_flat[at_k], perm_flat[at_p]
                    perm_flat[at_p] = pk
                    perm_flat[at_k] = pp
                    swaps_odd = swaps_odd.logical_xor(offset != 0)
                    pivot = lu[:, k, k]  # (count,)
                    # A zero pivot means the column below is zero too: divide by 1 and go on (getrf does).
                    safe = _C.where(pivot == 0, _C._full([], 1, pivot.dtype, pivot.device, False), pivot)
                    column = lu[:, k + 1:, k] / safe.unsqueeze(1)  # (count, n-k-1): the multipliers of L
                    lu[:, k + 1:, k] = column
                    if k + 1 < j1:  # the rank-1 update stays inside the panel
                        lu[:, k + 1:, k + 1:j1].sub_(column.unsqueeze(2) * lu[:, k:k + 1, k + 1:j1])
            if j1 < n:
                # U12 = L11^-1 A12, then the trailing block A22 -= L21 U12 (one matmul).
                _solve_triangular_(lu[:, j0:j1, j0:j1], lu[:, j0:j1, j1:], lower=True, unit=True)
                lu[:, j1:, j1:].sub_(lu[:, j1:, j0:j1] @ lu[:, j0:j1, j1:])
        if n == 0:
            first_zero = _C._full([count], 0, _C.int64, A.device, False)
        else:
            zero = lu.diagonal(dim1=-2, dim2=-1) == 0  # (count, n)
            first = zero.int().argmax(dim=1) + 1  # argmax: the first of the maxima
            first_zero = _C.where(zero.any(dim=1), first, _C._full([], 0, _C.int64, A.device, False))
        self.lu = lu.view(batch + (n, n))
        self.perm = perm.view(batch + (n,))
        self.swaps_odd = swaps_odd.view(batch)
        self.first_zero = first_zero.view(batch)
        self.n = n

    def diagonal(self) -> Tensor:
        return self.lu.diagonal(dim1=-2, dim2=-1)

    def raise_if_singular(self, op: str, message) -> None:
        """LinAlgError for the first batch element with a zero pivot: "{op}: (Batch element i): {message(k)}"
        (no batch prefix for a single matrix), k the 1-based index of the zero pivot."""
        if self.n == 0 or self.first_zero.numel() == 0:
            return
        flat = self.first_zero.reshape(-1)
        bad = flat != 0
        if not bool(bad.any()):
            return
        index = int(bad.int().argmax())
        prefix = f"(Batch element {index}): " if self.first_zero.dim() > 0 else ""
        raise LinAlgError(f"{op}: {prefix}{message(int(flat[index]))}")

    def solve(self, B: Tensor, transpose: bool = False) -> Tensor:
        """A X = B (transpose: A^T X = B) for B (*batch', n, k), batch' broadcastable with the factors'."""
        n = self.n
        batch = tuple(_broadcast_pair(self.lu.shape[:-2], B.shape[:-2]))
        if not transpose:
            # P A = L U: X = U^-1 L^-1 (P B), where P B gathers B's rows by perm.
            index = self.perm.unsqueeze(-1).expand(batch + (n, B.shape[-1]))
            Y = B.expand(batch + tuple(B.shape[-2:])).gather(-2, index).contiguous()  # gather: a new tensor
            _solve_triangular_(self.lu, Y, lower=True, unit=True)
            _solve_triangular_(self.lu, Y, lower=False, unit=False)
            return Y
        # A^T = U^T L^T P: X = P^T L^-T U^-T B, where P^T Z scatters Z's rows to perm.
        Y = _fresh_copy(B.expand(batch + tuple(B.shape[-2:])))
        LUt = self.lu.transpose(-2, -1)
        _solve_triangular_(LUt, Y, lower=True, unit=False)
        _solve_triangular_(LUt, Y, lower=False, unit=True)
        inverse_perm = self.perm.argsort(dim=-1)
        index = inverse_perm.unsqueeze(-1).expand(batch + (n, B.shape[-1]))
        return Y.gather(-2, index)


def _arange(n: int, device) -> Tensor:
    import fasttensor

    return fasttensor.arange(n, dtype=fasttensor.int64, device=device)


def _solve_triangular_(T: Tensor, Y: Tensor, *, lower: bool, unit: bool) -> None:
    """Y <- T^-1 Y in place, for T (..., n, n) triangular (only that triangle is read) and Y (..., n, k).

    Blocked: each block of _PANEL rows is solved by substitution, row by row, then the rows still to
    solve are updated with one matmul by the block just solved."""
    n = T.shape[-1]
    starts = list(range(0, n, _PANEL))
    if not lower:
        starts.reverse()
    for j0 in starts:
        j1 = min(j0 + _PANEL, n)
        order = range(j0, j1) if lower else range(j1 - 1, j0 - 1, -1)
        for j in order:
            if not unit:
                Y[..., j:j + 1, :].div_(T[..., j:j + 1, j:j + 1])
            if lower and j + 1 < j1:
                Y[..., j + 1:j1, :].sub_(T[..., j + 1:j1, j:j + 1] * Y[..., j:j + 1, :])
            elif not lower and j > j0:
                Y[..., j0:j, :].sub_(T[..., j0:j, j:j + 1] * Y[..., j:j + 1, :])
        if lower and j1 < n:
            Y[..., j1:, :].sub_(T[..., j1:, j0:j1] @ Y[..., j0:j1, :])
        elif not lower and j0 > 0:
            Y[..., :j0, :].sub_(T[..., :j0, j0:j1] @ Y[..., j0:j1, :])


def _no_grad():
    from .autograd import no_grad

    return no_grad()


def _inv_message(k: int) -> str:
    return (f"The diagonal element {k} is zero, the inversion could not be completed because the input matrix "
            "is singular.")


def _solve_message(k: int) -> str:
    return "The solver failed because the input matrix is singular."


def _inverse_from(lu: _LU, like: Tensor) -> Tensor:
    n = lu.n
    eye = _eye(n, like)
    return lu.solve(eye.expand(tuple(lu.lu.shape[:-2]) + (n, n)))


# --- inv -----------------------------------------------------------------------------------------------------

class _Inverse(Function):
    # A: (..., n, n) -> A^-1; d(A^-1) = -A^-1 dA A^-1, so grad_A = -A^-T grad A^-T.
    # lu: A's factors when the caller has them (inv_ex), else None.
    _grad_fn_name = "LinalgInvExBackward0"

    @staticmethod
    def forward(ctx, A, lu=None):
        if lu is None:
            lu = _LU(A)
            lu.raise_if_singular("linalg.inv", _inv_message)
        out = _inverse_from(lu, A)
        ctx.save_for_backward(out)
        ctx.input = A
        return out

    @staticmethod
    def backward(ctx, grad):
        inverse = inv(ctx.input) if _C.is_grad_enabled() else ctx.saved_tensors[0]  # see "Gradients" above
        inverse_t = inverse.transpose(-2, -1)
        return -(inverse_t @ grad @ inverse_t), None


def inv(A: Tensor, *, out=None) -> Tensor:
    """The inverse of each square matrix of A (..., n, n); LinAlgError when one is singular."""
    _check_matrix(A, "linalg.inv")
    return _copy_out(_Inverse.apply(A, None), out)


def inv_ex(A: Tensor, *, check_errors: bool = False, out=None):
    """(inverse, info): info is 0, or k when U's k-th diagonal element (1-based) is zero (inverse: inf/nan)."""
    _check_matrix(A, "linalg.inv")
    with _no_grad():
        lu = _LU(A)
    if check_errors:
        lu.raise_if_singular("linalg.inv_ex", _inv_message)
    return linalg_inv_ex((_copy_out(_Inverse.apply(A, lu), out), lu.first_zero.int()))


def inverse(input: Tensor, *, out=None) -> Tensor:
    """Alias of linalg.inv."""
    return inv(input, out=out)


def _copy_out(result: Tensor, out, name: str = "linalg"):
    """out=: result written into out as PyTorch's out= (resized, dtype-checked, refused under autograd)."""
    from ._creation import write_out

    return write_out(out, result, name)


# --- det, slogdet, logdet ------------------------------------------------------------------------------------

def _det_parts(lu: _LU):
    """(sign of det P times the signs of U's diagonal, log |det|), from the factors."""
    diag = lu.diagonal()
    sign_p = _C.where(lu.swaps_odd, _C._full([], -1, diag.dtype, diag.device, False),
                      _C._full([], 1, diag.dtype, diag.device, False))
    sign = sign_p * diag.sign().prod(-1) + 0.0  # + 0.0: a singular matrix's sign is 0, never -0
    logabs = diag.abs().log().sum(-1)
    return sign, logabs


class _Det(Function):
    # A: (..., n, n) -> det A: (...); d det = det A^-T : dA, so grad_A = grad * det * A^-T.
    _grad_fn_name = "LinalgDetBackward0"

    @staticmethod
    def forward(ctx, A):
        lu = _LU(A)
        det = lu.diagonal().prod(-1)
        det = _C.where(lu.swaps_odd, -det, det)
        ctx.lu = lu
        ctx.save_for_backward(det)
        ctx.input = A
        return det

    @staticmethod
    def backward(ctx, grad):
        A = ctx.input
        if _C.is_grad_enabled():  # create_graph=True: see "Gradients" above
            det_A, inverse = _Det.apply(A), inv(A)
        else:  # inverse: inf/nan where A is singular (masked below)
            det_A, inverse = ctx.saved_tensors[0], _inverse_from(ctx.lu, A)
        grad_A = (grad * det_A).unsqueeze(-1).unsqueeze(-1) * inverse.transpose(-2, -1)
        # A matrix whose determinant came out exactly 0 gets a zero gradient, as PyTorch gives it.
        return _C.where((det_A == 0).unsqueeze(-1).unsqueeze(-1), 0.0, grad_A)


def det(A: Tensor, *, out=None) -> Tensor:
    """The determinant of each square matrix of A (..., n, n), from PA = LU: ±prod(diag U).
    A singular matrix has determinant 0 (no error), and where it is exactly 0 a zero gradient, as
    PyTorch's."""
    _check_matrix(A, "linalg.det")
    return _copy_out(_Det.apply(A), out)


class _LogAbsDet(Function):
    # A: (..., n, n) -> log |det A|: (...); grad_A = grad * A^-T. lu: A's factors.
    _grad_fn_name = "LinalgSlogdetBackward0"

    @staticmethod
    def forward(ctx, A, lu):
        _, logabs = _det_parts(lu)
        ctx.lu = lu
        ctx.input = A
        return logabs

    @staticmethod
    def backward(ctx, grad):
        A = ctx.input
        inverse = inv(A) if _C.is_grad_enabled() else _inverse_from(ctx.lu, A)  # see "Gradients" above
        return grad.unsqueeze(-1).unsqueeze(-1) * inverse.transpose(-2, -1), None


def _slogdet(A: Tensor):
    with _no_grad():
        lu = _LU(A)
        sign, _ = _det_parts(lu)
    return sign, _LogAbsDet.apply(A, lu)


def _slogdet_with_sign_node(A: Tensor):
    """_slogdet whose sign, too, shows PyTorch's LinalgSlogdetBackward0 (giving no gradient) when A
    requires grad."""
    sign, logabs = _slogdet(A)
    return no_gradient(sign, [A], "LinalgSlogdetBackward0"), logabs


def slogdet(A: Tensor, *, out=None):
    """(sign, logabsdet) of each square matrix: det A = sign * exp(logabsdet); (0, -inf) when singular.
    The gradient flows through logabsdet (sign is piecewise constant)."""
    _check_matrix(A, "linalg.slogdet")
    return linalg_slogdet(_slogdet_with_sign_node(A))


def _top_slogdet(input: Tensor):
    """torch.slogdet / Tensor.slogdet: linalg.slogdet with torch's older result type name."""
    _check_matrix(input, "linalg.slogdet")
    return slogdet_result(_slogdet_with_sign_node(input))


def logdet(input: Tensor) -> Tensor:
    """log det A: nan where det A < 0, -inf where A is singular."""
    _check_matrix(input, "logdet")
    sign, logabs = _slogdet(input)
    nan = _C._full([], math.nan, logabs.dtype, logabs.device, False)
    return _C.where(sign < 0, nan, logabs)


# --- solve ---------------------------------------------------------------------------------------------------

class _Solve(Function):
    # A: (*a, n, n), B: (*b, n, k) with b the broadcast batch -> X = A^-1 B: (*b, n, k).
    # grad_B = A^-T grad (a solve with the same factors), grad_A = -grad_B X^T summed to A's batch.
    # lu: A's factors when the caller has them (solve_ex), else None.
    _grad_fn_name = "LinalgSolveExBackward0"

    @staticmethod
    def forward(ctx, A, B, lu=None):
        if lu is None:
            lu = _LU(A)
            lu.raise_if_singular("torch.linalg.solve", _solve_message)
        X = lu.solve(B)
        ctx.lu = lu
        ctx.inputs = (A, B)
        ctx.save_for_backward(X)
        return X

    @staticmethod
    def backward(ctx, grad):
        A, B = ctx.inputs
        if _C.is_grad_enabled():  # create_graph=True: see "Gradients" above
            grad_B = _Solve.apply(A.transpose(-2, -1), grad, None)
            X = _Solve.apply(A, B, None)
        else:
            grad_B = ctx.lu.solve(grad, transpose=True)
            X = ctx.saved_tensors[0]
        grad_A = _sum_to(-(grad_B @ X.transpose(-2, -1)), tuple(A.shape)) if ctx.needs_input_grad[0] else None
        return grad_A, grad_B, None


def _is_vector_rhs(A: Tensor, B: Tensor) -> bool:
    # torch: B is a (batch of) vector(s) when 1-D, or when its shape is A's batch shape plus n.
    return B.dim() == 1 or (B.dim() == A.dim() - 1 and tuple(B.shape) == tuple(A.shape[:-1]))


def _prepare_solve(A: Tensor, B: Tensor, left: bool, op: str):
    _check_tensors(op.replace(".", "_"), ("A", A), ("B", B))  # (PyTorch names it linalg_solve here)
    _check_matrix(A, op)
    if A.dtype != B.dtype:
        raise RuntimeError(f"{op}: Expected A and B to have the same dtype, but found A of type "
                           f"{_type_name(A.dtype)} and B of type {_type_name(B.dtype)} instead")
    if A.device != B.device:
        raise RuntimeError(f"Expected all tensors to be on the same device, but found at least two devices, "
                           f"{A.device} and {B.device}!")
    vector = _is_vector_rhs(A, B)
    if vector and not left:
        raise RuntimeError(f"{op}: Vector broadcasting of the left hand side is not supported for left=False. "
                           "In this case linalg.solve is equivalent to B / A.squeeze(-1)")
    if B.dim() < 1 or (not vector and B.dim() < 2):
        raise RuntimeError(f"{op}: The input tensor B must have at least 2 dimensions.")
    B_ = B.unsqueeze(-1) if vector else B
    n = A.shape[-1]
    if (B_.shape[-2] if left else B_.shape[-1]) != n:
        equation = "AX = B" if left else "XA = B"
        raise RuntimeError(f"{op}: Incompatible shapes of A and B for the equation {equation} ({n}x{n} and "
                           f"{B_.shape[-2]}x{B_.shape[-1]})")
    batch = tuple(_broadcast_pair(B_.shape[:-2], A.shape[:-2]))
    return vector, B_, batch


def solve(A: Tensor, B: Tensor, *, left: bool = True, out=None) -> Tensor:
    """X with AX = B (left=False: XA = B), A (*, n, n), B (*, n, k) or a vector (*, n) per torch's rule
    (1-D, or A's shape without its last dim); batches broadcast. LinAlgError when A is singular."""
    return _copy_out(_solve(A, B, left, None, "linalg.solve"), out)


def _solve(A: Tensor, B: Tensor, left: bool, lu, op: str) -> Tensor:
    vector, B_, batch = _prepare_solve(A, B, left, op)
    if not left:  # XA = B  <=>  A^T X^T = B^T
        A, B_ = A.transpose(-2, -1), B_.transpose(-2, -1)
    B_ = B_.expand(batch + tuple(B_.shape[-2:]))
    X = _Solve.apply(A, B_, lu)
    if not left:
        X = X.transpose(-2, -1)
    return X.squeeze(-1) if vector else X


def solve_ex(A: Tensor, B: Tensor, *, left: bool = True, check_errors: bool = False, out=None):
    """(result, info) as linalg.solve, info 0 or the 1-based index of the first zero pivot of A's LU (the
    result then holds inf/nan where torch's holds nan)."""
    _prepare_solve(A, B, left, "linalg.solve")
    with _no_grad():
        lu = _LU(A if left else A.transpose(-2, -1))
    if check_errors:
        lu.raise_if_singular("torch.linalg.solve_ex", _solve_message)
    return linalg_solve_ex((_copy_out(_solve(A, B, left, lu, "linalg.solve"), out), lu.first_zero.int()))


# --- matrix_power, multi_dot ---------------------------------------------------------------------------------

def _matrix_power(A: Tensor, n, name: str, position: int) -> Tensor:
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"{name}(): argument 'n' (position {position}) must be int, not {type(n).__name__}")
    if A.dim() < 2:
        raise RuntimeError("linalg.matrix_power: The input tensor A must have at least 2 dimensions.")
    if A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"linalg.matrix_power: A must be batches of square matrices, but they are "
                           f"{A.shape[-2]} by {A.shape[-1]} matrices")
    if n == 0:  # the identity, with PyTorch's node giving A a zero gradient
        return zero_gradient(_eye(A.shape[-1], A).expand(tuple(A.shape)).clone(), [A], "CopyBackwards")
    if n < 0:
        A, n = inv(A), -n
    # Binary powering: A^n as the product of the squares A^(2^i) for the bits of n.
    result = None
    square = A
    while True:
        if n & 1:
            result = square if result is None else result @ square
        n >>= 1
        if not n:
            return result if result is not A else A.clone()
        square = square @ square


def matrix_power(A: Tensor, n: int, *, out=None) -> Tensor:
    """A^n for square matrices A (..., m, m): n = 0 the identity, n < 0 powers of inv(A)."""
    return _copy_out(_matrix_power(A, n, "linalg_matrix_power", 2), out)


def _top_matrix_power(input: Tensor, n: int) -> Tensor:
    return _matrix_power(input, n, "matrix_power", 2)


def _method_matrix_power(self: Tensor, n: int) -> Tensor:
    return _matrix_power(self, n, "matrix_power", 1)


def _chain_order(dims: "list[int]") -> "list[list[int]]":
    """The cheapest parenthesization of a chain of matrices p0 x p1, p1 x p2, ... (dynamic programming):
    split[i][j] is where the product of matrices i..j splits."""
    count = len(dims) - 1
    cost = [[0] * count for _ in range(count)]
    split = [[0] * count for _ in range(count)]
    for length in range(1, count):
        for i in range(count - length):
            j = i + length
            cost[i][j] = None
            for k in range(i, j):
                c = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1]
                if cost[i][j] is None or c < cost[i][j]:
                    cost[i][j], split[i][j] = c, k
    return split


def multi_dot(tensors: "Sequence[Tensor]", *, out=None) -> Tensor:
    """The product of a chain of matrices, in the order that needs the fewest multiplications; the first
    may be 1-D (a row vector) and the last 1-D (a column vector), the others are 2-D."""
    tensors = list(tensors)
    count = len(tensors)
    if count < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {count}")
    for i, t in enumerate(tensors):
        first_or_last = i == 0 or i == count - 1
        if first_or_last and t.dim() not in (1, 2):
            which = "first" if i == 0 else "last"
            raise RuntimeError(f"multi_dot(): the {which} tensor must be 1D or 2D but got {t.dim()}D")
        if not first_or_last and t.dim() != 2:
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D but got {t.dim()}D")
    for i, t in enumerate(tensors[1:], 1):
        if t.dtype != tensors[0].dtype:
            from ._tensor import _dtype_name

            short = {"float32": "float", "float64": "double", "int64": "long int", "int32": "int",
                     "uint8": "unsigned char", "bool": "bool"}
            raise RuntimeError(f"multi_dot(): all tensors must have be the same dtype but tensor 0 is "
                               f"{short[_dtype_name(tensors[0].dtype)]} and tensor {i} "
                               f"{short[_dtype_name(t.dtype)]}")
    squeeze_first = tensors[0].dim() == 1
    squeeze_last = tensors[-1].dim() == 1
    mats = list(tensors)
    if squeeze_first:
        mats[0] = mats[0].unsqueeze(0)
    if squeeze_last:
        mats[-1] = mats[-1].unsqueeze(-1)
    for i in range(count - 1):
        if mats[i].shape[1] != mats[i + 1].shape[0]:
            shape_a = list(tensors[i].shape)
            shape_b = list(tensors[i + 1].shape)
            raise RuntimeError(f"multi_dot(): tensors {i} and {i + 1} with shapes {shape_a} and {shape_b} "
                               "cannot be multiplied")
    dims = [mats[0].shape[0]] + [m.shape[1] for m in mats]
    split = _chain_order(dims)

    def product(i: int, j: int) -> Tensor:
        if i == j:
            return mats[i]
        k = split[i][j]
        return product(i, k) @ product(k + 1, j)

    result = product(0, count - 1)
    if squeeze_first:
        result = result.squeeze(0)
    if squeeze_last:
        result = result.squeeze(-1)
    return _copy_out(result, out)


def chain_matmul(*matrices, out=None) -> Tensor:
    """Deprecated in torch: multi_dot of 2-D matrices given as arguments (one matrix: itself)."""
    warnings.warn("torch.chain_matmul is deprecated and will be removed in a future PyTorch release. Use "
                  "torch.linalg.multi_dot instead, which accepts a list of two or more tensors rather than "
                  "multiple parameters.", UserWarning, stacklevel=2)
    if len(matrices) == 1:
        if matrices[0].dim() != 2:
            raise RuntimeError(f"Tensor dimension is {matrices[0].dim()}, expected 2 instead.")
        return _copy_out(matrices[0].clone(), out)
    for m in matrices:
        if m.dim() != 2:
            raise RuntimeError(f"Tensor dimension is {m.dim()}, expected 2 instead.")
    return multi_dot(matrices, out=out)


# --- cross, vecdot, diagonal ---------------------------------------------------------------------------------

def cross(input: Tensor, other: Tensor, *, dim: int = -1, out=None) -> Tensor:
    """The 3-vector cross product along dim (size 3 in both), the other dims broadcast."""
    _check_tensors("linalg_cross", ("input", input), ("other", other))
    return _copy_out(_cross(input, other, dim), out)


@grad_fn_named("LinalgCrossBackward0")
def _cross(input: Tensor, other: Tensor, dim: int) -> Tensor:
    if input.dim() != other.dim():
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    ndim = input.dim()
    if not -max(ndim, 1) <= dim < max(ndim, 1):
        raise IndexError(f"Dimension out of range (expected to be in range of [{-max(ndim, 1)}, "
                         f"{max(ndim, 1) - 1}], but got {dim})")
    d = dim + ndim if dim < 0 else dim
    if input.shape[d] != 3 or other.shape[d] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got {input.shape[d]} and "
                           f"{other.shape[d]}")
    if input.dtype != other.dtype:
        raise RuntimeError(f"expected scalar type {_type_name(input.dtype)} but found {_type_name(other.dtype)}")
    if input.dtype == _C.bool:
        raise NotImplementedError("\"cross\" not implemented for 'Bool'")
    a = [input.select(d, i) for i in range(3)]
    b = [other.select(d, i) for i in range(3)]
    import fasttensor

    parts = [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]
    return fasttensor.stack(parts, dim=d)


def _top_cross(input: Tensor, other: Tensor, dim=None, *, out=None) -> Tensor:
    """torch.cross: dim None (deprecated, with torch's warning) is the first dim of input of size 3."""
    _check_tensors("cross", ("input", input), ("other", other))
    if dim is None:
        warnings.warn("Using torch.cross without specifying the dim arg is deprecated.\nPlease either pass the dim "
                      "explicitly or simply use torch.linalg.cross.\nThe default value of dim will change to agree "
                      "with that of linalg.cross in a future release.", UserWarning, stacklevel=2)
        sizes = list(input.shape)
        if 3 not in sizes:
            raise RuntimeError("no dimension of size 3 in input")
        dim = sizes.index(3)
    return _copy_out(_cross(input, other, dim), out)


def _method_cross(self: Tensor, other: Tensor, dim=None) -> Tensor:
    if not isinstance(other, Tensor):
        raise _not_a_tensor("cross", other, "other", 1)
    return _top_cross(self, other, dim)


def vecdot(x: Tensor, y: Tensor, *, dim: int = -1, out=None) -> Tensor:
    """Σ x * y over dim (real inputs: no conjugation), the other dims broadcast."""
    if x.dtype != y.dtype:
        raise RuntimeError(f"linalg.vecdot: Expected x and y to have the same dtype, but found x of type "
                           f"{_type_name(x.dtype)} and y of type {_type_name(y.dtype)} instead")
    if not x.is_floating_point():
        raise RuntimeError(f"linalg.vecdot: Expected a floating point or complex tensor as input. "
                           f"Got {_type_name(x.dtype)}")
    return _copy_out((x * y).sum(dim), out)


def diagonal(A: Tensor, *, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """A view of the offset-th diagonals of the matrices over dims dim1, dim2 (linalg's defaults: the last two)."""
    return A.diagonal(offset, dim1, dim2)


# --- lstsq, pinv ---------------------------------------------------------------------------------------------

def _numerical_rank(A: Tensor, rcond: float) -> Tensor:
    """The rank of each matrix of A (..., m, n) from a QR factorization with column pivoting (as gelsy's
    xGEQP3): R's k-th diagonal element is the largest remaining column norm after k Householder steps, and
    the rank counts those above rcond * |R_00|. (gelsy refines this with an incremental condition estimate;
    the two agree but for matrices whose singular values sit right at the threshold.)"""
    batch, m, n = tuple(A.shape[:-2]), A.shape[-2], A.shape[-1]
    count = _numel(batch)
    steps = min(m, n)
    if steps == 0 or count == 0:
        return _C._full(list(batch), 0, _C.int64, A.device, False)
    At = _fresh_copy(A.detach().reshape(count, m, n).transpose(-2, -1))  # (count, n, m): a row per column
    cols_flat = At.view(count * n, m)
    base = _arange(count, A.device) * n
    diag = []
    for k in range(steps):
        rest = At[:, k:, k:]  # (count, n-k, m-k): the columns still to process, rows k.. of A
        norms = (rest * rest).sum(-1)  # (count, n-k)
        offset = norms.argmax(dim=1)
        diag.append(norms.gather(1, offset.unsqueeze(1)).squeeze(1).sqrt())
        at_k, at_p = base + k, base + k + offset
        col_k, col_p = cols_flat[at_k], cols_flat[at_p]
        cols_flat[at_p] = col_k
        cols_flat[at_k] = col_p
        if k + 1 == steps:
            break
        # Householder reflection H = I - beta v v^T mapping column k's x = A[k:, k] to -sign(x0) |x| e1.
        x = At[:, k, k:]  # (count, m-k)
        x0 = x[:, 0]
        norm_x = diag[-1]
        alpha = _C.where(x0 >= 0, -norm_x, norm_x)
        v = x.clone()
        v[:, 0] = x0 - alpha
        vv = (v * v).sum(-1)
        beta = _C.where(vv > 0, 2 / _C.where(vv > 0, vv, vv + 1), vv * 0)
        rest = At[:, k + 1:, k:]  # (count, n-k-1, m-k)
        w = (rest @ v.unsqueeze(2)) * beta.view(count, 1, 1)  # (count, n-k-1, 1)
        rest -= w * v.unsqueeze(1)
    import fasttensor

    R = fasttensor.stack(diag, dim=1)  # (count, steps), non-increasing
    threshold = R[:, :1] * rcond
    rank = (R > threshold).sum(-1)
    return rank.view(batch)


def lstsq(A: Tensor, B: Tensor, rcond=None, *, driver=None):
    """The least-squares solution X of A X ≈ B: (solution, residuals, rank, singular_values) as torch's
    default driver ('gelsy' on the CPU, 'gels' on CUDA) returns them.

    Limitations: the solution comes from the normal equations (A^T A X = A^T B when m >= n, the minimum-norm
    X = A^T (A A^T)^-1 B when m < n), solved by LU: exact for full-rank inputs, with relative error about
    cond(A)^2 * eps rather than gelsy's cond(A) * eps. Rank-deficient inputs (rank < min(m, n)) raise
    NotImplementedError (gelsy's minimum-norm solution needs a complete orthogonal factorization); the
    drivers 'gelsd' and 'gelss' need singular values and raise NotImplementedError. rank ('gelsy') comes
    from a column-pivoted QR; the gradient flows through the solution."""
    if driver is not None and driver not in ("gels", "gelsy", "gelsd", "gelss"):
        raise RuntimeError("torch.linalg.lstsq: parameter `driver` should be one of (gels, gelsy, gelsd, gelss)")
    if A.dtype != B.dtype:
        raise RuntimeError(f"torch.linalg.lstsq: Expected input and other to have the same dtype, but got input's "
                           f"dtype {_type_name(A.dtype)} and other's dtype {_type_name(B.dtype)}")
    if A.dim() < 2:
        raise RuntimeError("torch.linalg.lstsq: input must have at least 2 dimensions.")
    if B.dim() < 1:
        raise RuntimeError("torch.linalg.lstsq: other must have at least 1 dimension.")
    if not (A.dim() >= B.dim() and A.dim() - B.dim() <= 1):
        raise RuntimeError("torch.linalg.lstsq: input.dim() must be greater or equal to other.dim() and "
                           "(input.dim() - other.dim()) <= 1")
    if not A.is_floating_point():
        raise RuntimeError("This function doesn't handle types other than float and double")
    vector = A.dim() - B.dim() == 1
    B_ = B.unsqueeze(-1) if vector else B
    if A.shape[-2] != B_.shape[-2]:
        raise RuntimeError("torch.linalg.lstsq: input.size(-2) should match other.size(-2)")
    if driver is None:
        driver = "gels" if A.device.type == "cuda" else "gelsy"
    if driver in ("gelsd", "gelss"):
        raise NotImplementedError(f"fasttensor.linalg.lstsq: driver '{driver}' needs singular values, which "
                                  "fasttensor does not compute (use 'gelsy' or 'gels')")
    m, n, k = A.shape[-2], A.shape[-1], B_.shape[-1]
    batch = tuple(_broadcast_pair(A.shape[:-2], B_.shape[:-2]))
    A_b = A.expand(batch + (m, n))
    B_b = B_.expand(batch + (m, k))
    eps = 1.1920928955078125e-07 if A.dtype == _C.float32 else 2.220446049250313e-16
    tolerance = eps * max(m, n) if rcond is None else float(rcond)
    with _no_grad():
        rank = _numerical_rank(A, tolerance)  # torch: the rank of A's own batch, not the broadcast one
    if min(m, n) > 0 and rank.numel() and bool((rank < min(m, n)).any()):
        raise NotImplementedError(f"fasttensor.linalg.lstsq: a rank-deficient input (rank {int(rank.min())} < "
                                  f"{min(m, n)}) is not supported: fasttensor solves the normal equations")
    if m == 0 or n == 0:
        solution = _C._full(list(batch) + [n, k], 0, A.dtype, A.device, False)
    elif m >= n:
        At = A_b.transpose(-2, -1)
        solution = solve(At @ A_b, At @ B_b)
    else:
        solution = A_b.transpose(-2, -1) @ solve(A_b @ A_b.transpose(-2, -1), B_b)
    empty = _C._full([0], 0, A.dtype, A.device, False)
    if driver == "gels":
        if m > n and n > 0:
            residual = A_b @ solution - B_b
            residuals = (residual * residual).sum(-2)  # (*batch, k)
        else:
            residuals = empty
        rank_out = _C._full([0], 0, _C.int64, A.device, False)
    else:
        residuals = empty
        rank_out = rank
    if vector:
        solution = solution.squeeze(-1)  # residuals keep their k = 1 dim, as torch's
    return linalg_lstsq((solution, residuals, rank_out, empty))


def pinv(A: Tensor, *, atol=None, rtol=None, hermitian: bool = False, out=None) -> Tensor:
    """The Moore–Penrose pseudo-inverse (..., n, m) of A (..., m, n), for full-rank A only:
    (A^T A)^-1 A^T when m >= n, A^T (A A^T)^-1 when m < n (fasttensor computes no SVD, so atol/rtol
    cut nothing: a rank-deficient A raises LinAlgError or gives an ill-conditioned result)."""
    if A.dim() < 2 or not A.is_floating_point():
        raise RuntimeError(f"linalg.pinv({_type_name(A.dtype)}{{{list(A.shape)}}}): expected a tensor with 2 or more "
                           "dimensions of float, double, cfloat or cdouble types")
    if atol is not None or rtol is not None:
        raise NotImplementedError("linalg.pinv: atol / rtol cut singular values, which fasttensor does not compute; "
                                  "only the pseudo-inverse of a full-rank matrix (no cutoff) is available")
    m, n = A.shape[-2], A.shape[-1]
    if m == 0 or n == 0:
        return _copy_out(_C._full(list(A.shape[:-2]) + [n, m], 0, A.dtype, A.device, False), out)
    At = A.transpose(-2, -1)
    try:
        if m >= n:
            return _copy_out(solve(At @ A, At), out)
        return _copy_out(solve(A @ At, A).transpose(-2, -1), out)
    except LinAlgError as e:
        raise NotImplementedError("linalg.pinv of a rank-deficient matrix needs its singular values, which "
                                  "fasttensor does not compute") from e


def pinverse(input: Tensor, rcond: float = 1e-15) -> Tensor:
    """torch.pinverse: linalg.pinv (full-rank inputs, see pinv; rcond other than the default is refused
    there, as a cutoff needs singular values)."""
    return pinv(input, rtol=None if rcond == 1e-15 else rcond)


def _method_det(self: Tensor) -> Tensor:
    return det(self)


def _method_inverse(self: Tensor) -> Tensor:
    return inv(self)


def _method_pinverse(self: Tensor, rcond: float = 1e-15) -> Tensor:
    return pinverse(self, rcond)


# fasttensor.cross, .slogdet and .matrix_power differ from their linalg namesakes (cross's dim=None default,
# slogdet's result type name, matrix_power's message).
__top_level__ = {"inverse": inverse, "det": det, "logdet": logdet, "pinverse": pinverse, "chain_matmul": chain_matmul,
                 "cross": _top_cross, "slogdet": _top_slogdet, "matrix_power": _top_matrix_power}
for _name, _fn in (("cross", _top_cross), ("slogdet", _top_slogdet), ("matrix_power", _top_matrix_power)):
    _fn.__name__ = _fn.__qualname__ = _name  # (named in messages as fasttensor.<name>)
del _name, _fn
