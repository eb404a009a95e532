"""The node names results print with (``grad_fn=<...>``) and ``grad_fn.name()`` returns, as PyTorch
2.13's: ops we compose from others (scatter from an indexed write, clamp with tensor bounds from
where, a batched matmul from bmm and a reshape) and in-place ops written as a copy of their
out-of-place result take the one node name PyTorch's op has. Each case carries the name torch 2.13
gives, so it is checked without torch too; with torch installed the case also runs there and both
must agree. Only names are at stake here: the gradients are the composites' and are tested with
their ops (a few are checked again below where the node itself changed)."""

from __future__ import annotations

import numpy as np
import pytest

import fasttensor
from helpers import HAVE_TORCH, TORCH_IS_REFERENCE, torch

# case: (expression over torch-like module m, leaf x (2, 3), constant t (2, 3)), name()
OUT_OF_PLACE = {
    "x.clamp(t)": "ClampBackward0",
    "x.clamp(max=t)": "ClampBackward0",
    "x.clamp(0.1, 0.3)": "ClampBackward1",
    "x.clip(t)": "ClampBackward0",
    "m.clamp_min(x, 0.3)": "ClampMinBackward0",
    "m.clamp_min(x, t)": "ClampMinBackward1",
    "m.clamp_max(x, 0.3)": "ClampMaxBackward0",
    "m.clamp_max(x, t)": "ClampMaxBackward1",
    "x.clamp_min(0.2)": "ClampMinBackward0",
    "x.clamp_max(t)": "ClampMaxBackward1",
    "m.diag(x)": "DiagonalBackward0_copy",
    "m.diag(x, 1)": "DiagonalBackward0_copy",
    "m.diag(x[0])": "DiagEmbedBackward0",
    "m.diag_embed(x)": "DiagEmbedBackward0",
    "m.diagflat(x)": "DiagEmbedBackward0",
    "m.take(x, m.tensor([1, 4]))": "TakeBackward0",
    "x[0] @ x.T": "SqueezeBackward4",
    "x.unsqueeze(0) @ x.T.unsqueeze(0)": "UnsafeViewBackward0",
    "x.unsqueeze(0) @ x.T": "UnsafeViewBackward0",
    "x @ x.T.unsqueeze(0)": "CloneBackward0",
    "x.detach() @ x.T.unsqueeze(0)": "UnsafeViewBackward0",
    "x[0] @ x.T.unsqueeze(0)": "UnsafeViewBackward0",
    "x.unsqueeze(0) @ x[0]": "UnsafeViewBackward0",
    "m.matmul(x.unsqueeze(0).expand(2, 2, 3), x.T)": "UnsafeViewBackward0",
    "x @ x.T": "MmBackward0",
    "x @ x[0]": "MvBackward0",
    "m.nan_to_num(x)": "NanToNumBackward0",
    "x.masked_fill(x > 0.3, 0.0)": "MaskedFillBackward0",
    "x.masked_fill(x > 0.3, m.tensor(0.0))": "MaskedFillBackward1",
    "x.scatter(1, m.tensor([[0], [1]]), 2.0)": "ScatterBackward1",
    "x.scatter(1, m.tensor([[0], [1]]), m.ones(2, 1))": "ScatterBackward0",
    "x.scatter_add(1, m.tensor([[0], [1]]), m.ones(2, 1))": "ScatterAddBackward0",
    "x.index_add(1, m.tensor([0]), m.ones(2, 1))": "IndexAddBackward0",
    "x.index_copy(1, m.tensor([0]), m.ones(2, 1))": "IndexCopyBackward0",
    "x.index_fill(1, m.tensor([0]), 2.0)": "IndexFillBackward0",
    "x.index_fill(1, m.tensor([0]), m.tensor(2.0))": "IndexFillBackward1",
    "m.logit(x)": "LogitBackward0",
    "m.logit(x, 0.1)": "LogitBackward0",
    "m.fmod(x, 0.3)": "FmodBackward0",
    "m.fmod(x, t)": "FmodBackward1",
    "x % 0.3": "RemainderBackward0",
    "x % t": "RemainderBackward1",
    "m.remainder(x, t)": "RemainderBackward1",
    "0.3 % x": "torch::autograd::NotImplemented",
    "m.floor_divide(x, 2)": "torch::autograd::NotImplemented",
    "m.kron(x, x)": "UnsafeViewBackward0",
    "m.cross(x, x, dim=1)": "LinalgCrossBackward0",
    "m.linalg.cross(x, x)": "LinalgCrossBackward0",
    "m.block_diag(x, x[0])": "BlockDiagBackward0",
    "m.rot90(x)": "Rot90Backward0",
    "m.rot90(x, 2)": "Rot90Backward0",
    "m.sgn(x)": "SgnBackward0",
    "x.sign()": "SignBackward0",
    "m.baddbmm(m.ones(1, 2, 2), x.unsqueeze(0), x.T.unsqueeze(0))": "BaddbmmBackward0",
    "m.addmv(x[:, 0], x, x[0])": "AddmvBackward0",
    "m.addbmm(x, x.unsqueeze(0), m.ones(1, 3, 3))": "AddbmmBackward0",
    "m.norm(x, p=1)": "LinalgVectorNormBackward0",
    "m.norm(x, p=float('inf'))": "LinalgVectorNormBackward0",
    "x.norm(1, dim=1)": "LinalgVectorNormBackward0",
    "m.norm(x)": "LinalgVectorNormBackward0",
    "x.repeat_interleave(2)": "ViewBackward0",
    "x.repeat_interleave(2, dim=0)": "ViewBackward0",
    "x.repeat_interleave(m.tensor([1, 2]), dim=0)": "IndexSelectBackward0",
    "x.median()": "MedianBackward0",
    "x.median(1).values": "MedianBackward1",
    "x.nanmedian(0).values": "NanmedianBackward1",
    "x.quantile(0.5)": "SqueezeBackward4",
    "x.quantile(0.5, dim=1, keepdim=True)": "SqueezeBackward4",
    "m.copysign(x, t)": "CopysignBackward0",
    "m.copysign(x, -1.0)": "CopysignBackward1",
    "m.nn.functional.prelu(x, m.tensor([0.25]))": "PreluKernelBackward0",
    "m.nn.functional.pairwise_distance(x, t)": "NormBackward1",
    "m.heaviside(x, t)": "torch::autograd::NotImplemented",
}

# in-place ops on y = x * 1 (a non-leaf; 'u' cases on y = (x * 1).unsqueeze(0), a view)
IN_PLACE = {
    "y.sin_()": "SinBackward0",
    "y.cos_()": "CosBackward0",
    "y.square_()": "PowBackward0",
    "y.reciprocal_()": "ReciprocalBackward0",
    "y.rsqrt_()": "RsqrtBackward0",
    "y.sign_()": "SignBackward0",
    "y.sgn_()": "SgnBackward0",
    "y.trunc_()": "TruncBackward0",
    "y.frac_()": "FracBackward0",
    "y.erf_()": "ErfBackward0",
    "y.expm1_()": "Expm1Backward0",
    "y.log1p_()": "Log1PBackward0",
    "y.sinh_()": "SinhBackward0",
    "y.asinh_()": "AsinhBackward1",
    "y.atanh_()": "AtanhBackward1",
    "y.acosh_()": "AcoshBackward1",
    "y.logit_(0.1)": "LogitBackward0",
    "y.nan_to_num_()": "NanToNumBackward0",
    "y.fmod_(t)": "FmodBackward1",
    "y.remainder_(0.3)": "RemainderBackward0",
    "y.remainder_(t)": "RemainderBackward1",
    "y.addcmul_(t, t)": "AddcmulBackward0",
    "y.addcdiv_(t, t)": "AddcdivBackward0",
    "y.lerp_(m.ones(2, 3), 0.5)": "LerpBackward0",
    "y.lerp_(m.ones(2, 3), t)": "LerpBackward1",
    "y.atan2_(t)": "Atan2Backward0",
    "y.hypot_(t)": "HypotBackward0",
    "y.xlogy_(t)": "XlogyBackward0",
    "y.xlogy_(2.0)": "XlogyBackward2",
    "y.clip_(0.2, 0.6)": "ClampBackward1",
    "y.clamp_(t)": "ClampBackward0",
    "y.clamp_(min=t)": "ClampBackward0",
    "y.clamp_min_(0.3)": "ClampMinBackward0",
    "y.clamp_min_(t)": "ClampMinBackward1",
    "y.clamp_max_(0.3)": "ClampMaxBackward0",
    "y.div_(2, rounding_mode='floor')": "DivBackward2",
    "y.div_(2, rounding_mode='trunc')": "DivBackward2",
    "y.masked_fill_(y > 0.5, 1.0)": "MaskedFillBackward0",
    "y.masked_fill_(y > 0.5, m.tensor(1.0))": "MaskedFillBackward1",
    "y.index_fill_(1, m.tensor([0]), 2.0)": "IndexFillBackward0",
    "y.index_fill_(1, m.tensor([0]), m.tensor(2.0))": "IndexFillBackward1",
    "y.scatter_(1, m.tensor([[0], [1]]), 2.0)": "ScatterBackward1",
    "y.scatter_(1, m.tensor([[0], [1]]), m.ones(2, 1))": "ScatterBackward0",
    "y.scatter_add_(1, m.tensor([[0], [1]]), m.ones(2, 1))": "ScatterAddBackward0",
    "y.index_add_(1, m.tensor([0]), m.ones(2, 1))": "IndexAddBackward0",
    "y.index_copy_(1, m.tensor([0]), m.ones(2, 1))": "IndexCopyBackward0",
    "y.copy_(m.ones(2, 3))": "torch::autograd::CopyBackwards",
    "y.transpose_(0, 1)": "TransposeBackward1",
    "y.t_()": "TBackward1",
    "y.swapdims_(0, 1)": "TransposeBackward1",
    "y.unsqueeze_(0)": "UnsqueezeBackward1",
    "u.squeeze_()": "SqueezeBackward3",
    "u.squeeze_(0)": "SqueezeBackward4",
    "u.squeeze_((0,))": "SqueezeBackward5",
    "u.unsqueeze_(0)": "UnsqueezeBackward1",
    "u.transpose_(1, 2)": "TransposeBackward1",
    "(lambda v: (v.sin_(), y)[1])(y[0])": "torch::autograd::CopySlices",
    "y[0].sin_()": "AsStridedBackward0",
    "y[:, 1].add_(1)": "AsStridedBackward0",
}


def _values():
    return np.array([[0.5, 0.25, 0.75], [0.1, 0.2, 0.3]]), np.array([[0.2, 0.4, 0.1], [0.3, 0.1, 0.6]])


def _node_name(m, expression):
    xv, tv = _values()
    x = m.tensor(xv, dtype=m.float32, requires_grad=True)
    t = m.tensor(tv, dtype=m.float32)
    y = x * 1
    u = (x * 1).unsqueeze(0)
    out = eval(expression, {"m": m, "x": x, "t": t, "y": y, "u": u})
    return out.grad_fn.name(), repr(out)


@pytest.mark.parametrize("expression", list(OUT_OF_PLACE) + list(IN_PLACE))
def test_node_name(expression):
    name = {**OUT_OF_PLACE, **IN_PLACE}[expression]
    ours, text = _node_name(fasttensor, expression)
    assert ours == name
    assert text.endswith(f"grad_fn=<{name.removeprefix('torch::autograd::')}>)")
    if TORCH_IS_REFERENCE:
        assert _node_name(torch, expression)[0] == name


@pytest.mark.parametrize("expression", ["0.3 % x", "m.remainder(0.3, x)", "m.floor_divide(x, 2)"])
def test_no_derivative_nodes_refuse_backward(expression):
    modules = [fasttensor] + ([torch] if HAVE_TORCH else [])
    for m in modules:
        x = m.tensor([[0.5, 0.25, 0.75]], requires_grad=True)
        out = eval(expression, {"m": m, "x": x})
        op = "floor_divide" if "floor_divide" in expression else "remainder"
        with pytest.raises(RuntimeError, match=f"derivative for aten::{op} is not implemented"):
            out.sum().backward()


@pytest.mark.parametrize("call", [
    lambda v: v.squeeze_(), lambda v: v.squeeze_(0), lambda v: v.unsqueeze_(2), lambda v: v.transpose_(1, 2),
    lambda v: v.squeeze_(0).t_(),
])
@pytest.mark.parametrize("as_view", [False, True])
def test_in_place_view_ops_keep_gradients(call, as_view):
    """The in-place view ops on a tensor or on a view of one: the node the tensor adopts (now kept
    on a view rather than rebuilt from its base) carries the gradient back. Expected: entry k of the
    result is entry position[k] of x, so x's gradient there is 2 * weight[k]."""
    rng = np.random.default_rng(3)
    xv = rng.normal(size=(2, 3))
    position = call(fasttensor.arange(6).reshape(1, 2, 3).clone()).reshape(-1).tolist()
    for m in [fasttensor] + ([torch] if HAVE_TORCH else []):
        x = m.tensor(xv, requires_grad=True)
        v = (x * 2).unsqueeze(0) if as_view else (x * 2).unsqueeze(0).contiguous()
        assert call(v) is v
        weights = np.arange(1.0, 7.0)
        (v * m.tensor(weights.reshape(tuple(v.shape)))).sum().backward()
        expected = np.zeros(6)
        expected[position] = 2 * weights
        np.testing.assert_array_equal(x.grad.numpy().reshape(-1), expected)


def test_in_place_on_views_then_double_backward():
    """A view written in place takes its history from its base's CopySlices (AsStridedBackward0, as
    torch's); the gradient through it and the second derivative agree with the same computation written
    out of place, and with torch's."""
    def run(m, in_place):
        x = m.tensor([[0.5, -0.25, 0.75], [0.1, 0.2, -0.3]], dtype=m.float64, requires_grad=True)
        y = x * 2
        if in_place:
            v = y[0]
            v.mul_(3).sin_()
            y[:, 1].add_(1)
        else:  # the same values, out of place (v is a view of y: the column's + 1 reaches it too)
            s = (y[0] * 3).sin()
            v = m.stack([s[0], s[1] + 1, s[2]])
            y = m.stack([v, m.stack([y[1, 0], y[1, 1] + 1, y[1, 2]])])
        z = (y * m.arange(1.0, 7.0, dtype=m.float64).reshape(2, 3)).sum() + (v ** 2).sum()
        (gx,) = m.autograd.grad(z, x, create_graph=True)
        (ggx,) = m.autograd.grad(gx.sum(), x)
        return gx.detach().numpy(), ggx.numpy(), (v.grad_fn.name() if in_place else None)

    got, want = run(fasttensor, True), run(fasttensor, False)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-12, atol=1e-12)
    assert got[2] == "AsStridedBackward0"
    if HAVE_TORCH:
        theirs = run(torch, True)
        np.testing.assert_allclose(got[0], theirs[0], rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(got[1], theirs[1], rtol=1e-12, atol=1e-12)
        assert theirs[2] == got[2]


@pytest.mark.parametrize("expression,name", [
    ("(m.ones(1, 2, 3, requires_grad=True) @ m.ones(4, 3, 5))", "CloneBackward0"),
    ("(m.ones(1, 2, 3) @ m.ones(4, 3, 5, requires_grad=True))", "UnsafeViewBackward0"),
    ("(m.ones(1, 1, 2, 3, requires_grad=True) @ m.ones(4, 3, 5))", "UnsafeViewBackward0"),
    ("(m.ones(1, 2, 3, requires_grad=True) @ m.ones(1, 3, 5))", "UnsafeViewBackward0"),
    ("(m.ones(2, 3, requires_grad=True) @ m.ones(1, 3, 5))", "CloneBackward0"),
    ("(m.ones(1, 2, requires_grad=True) * 1).squeeze_(np.int64(0))", "SqueezeBackward4"),
    ("(m.ones(1, 2, requires_grad=True) * 1).squeeze_(m.tensor(0))", "SqueezeBackward4"),
    ("(m.ones(1, 2, requires_grad=True) * 1).squeeze_([0])", "SqueezeBackward5"),
    ("(lambda v: v.put_(m.tensor([0]), m.tensor([5.0])))((m.arange(1.0, 7.0, requires_grad=True) * 1).view(2, 3)[1])",
     "AsStridedBackward0"),
    ("(lambda v: v.index_put_((m.tensor([0]),), m.tensor(5.0)))((m.arange(1.0, 7.0, requires_grad=True) * 1)[1:4])",
     "AsStridedBackward0"),
])
def test_more_node_names(expression, name):
    for m in [fasttensor] + ([torch] if TORCH_IS_REFERENCE else []):
        assert eval(expression, {"m": m, "np": np}).grad_fn.name() == name


def test_saved_view_changed_through_its_base_is_named_as_strided():
    code = ("a = m.arange(1.0, 7.0, requires_grad=True); b = a.clone(); v = b[1:3]\n"
            "y = v * a[:2]; b.mul_(2); y.sum().backward()")
    for m in [fasttensor] + ([torch] if TORCH_IS_REFERENCE else []):
        with pytest.raises(RuntimeError, match=r"^one of the variables needed for gradient computation has been "
                                               r"modified by an inplace operation: \[torch.FloatTensor \[2\]\], "
                                               r"which is output 0 of AsStrided, is at version 1"):
            exec(code, {"m": m})
