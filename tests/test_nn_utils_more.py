"""nn.utils.parameters_to_vector / vector_to_parameters, nn.init extras (orthogonal_, the deprecated
aliases, integer tensors), nn.CELU, the nn.modules import paths and nn.utils.rnn.pad_sequence.
Checked against hand-computed values; where torch is installed, also against torch."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import fasttensor as ft
from fasttensor import nn
from fasttensor.nn.utils import parameters_to_vector, vector_to_parameters

try:
    import torch
except ImportError:  # pragma: no cover - only where torch is absent
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="compares with torch")


# --- parameters_to_vector / vector_to_parameters ------------------------------------------------------

def _linear() -> nn.Linear:
    model = nn.Linear(2, 3)
    with ft.no_grad():
        model.weight.copy_(ft.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]))
        model.bias.copy_(ft.tensor([7.0, 8.0, 9.0]))
    return model


def test_parameters_to_vector_concatenates_and_keeps_the_graph():
    model = _linear()
    vec = parameters_to_vector(model.parameters())
    assert vec.shape == (9,) and vec.tolist() == [1, 2, 3, 4, 5, 6, 7, 8, 9]
    assert vec.requires_grad
    (vec * ft.arange(9.0)).sum().backward()
    assert model.weight.grad.tolist() == [[0, 1], [2, 3], [4, 5]]
    assert model.bias.grad.tolist() == [6, 7, 8]


def test_vector_to_parameters_shares_the_vector_memory():
    model = _linear()
    weight = model.weight
    vec = ft.arange(9.0)
    assert vector_to_parameters(vec, model.parameters()) is None
    assert model.weight is weight and model.weight.requires_grad
    assert model.weight.tolist() == [[0, 1], [2, 3], [4, 5]] and model.bias.tolist() == [6, 7, 8]
    vec[0] = 100.0
    assert model.weight[0, 0].item() == 100.0
    # A longer vector leaves its tail unused, as in PyTorch.
    vector_to_parameters(ft.zeros(20), model.parameters())
    assert model.bias.tolist() == [0, 0, 0]


def test_conversion_errors_as_torch():
    model = _linear()
    with pytest.raises(TypeError, match="^expected torch.Tensor, but got: list$"):
        vector_to_parameters([1.0], model.parameters())
    with pytest.raises(ValueError, match="expected a non-empty list of Tensors"):
        parameters_to_vector([])
    with pytest.raises(RuntimeError, match=r"shape '\[3, 2\]' is invalid for input of size 3"):
        vector_to_parameters(ft.zeros(3), model.parameters())
    with pytest.raises(RuntimeError, match="view size is not compatible"):
        parameters_to_vector([ft.zeros(2, 3).t()])


@needs_torch
def test_parameters_to_vector_matches_torch():
    ours = parameters_to_vector([ft.ones(2, 2), ft.arange(3.0)])
    theirs = torch.nn.utils.parameters_to_vector([torch.ones(2, 2), torch.arange(3.0)])
    assert ours.tolist() == theirs.tolist() and ours.dtype == ft.float32
    with pytest.raises(TypeError) as expected:
        torch.nn.utils.vector_to_parameters((1.0,), [torch.zeros(1)])
    with pytest.raises(TypeError) as got:
        vector_to_parameters((1.0,), [ft.zeros(1)])
    assert str(got.value) == str(expected.value)


# --- nn.init ------------------------------------------------------------------------------------------

def _gram(weight: ft.Tensor) -> np.ndarray:
    """W Wᵀ for a wide (flattened) weight, Wᵀ W for a tall one, in float64."""
    m = weight.reshape(weight.shape[0], -1).numpy().astype(np.float64)
    return m @ m.T if m.shape[0] <= m.shape[1] else m.T @ m


@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (4, 4), (6, 2, 3, 3), (1, 7), (7, 1)])
@pytest.mark.parametrize("gain", [1.0, 2.5])
def test_orthogonal_rows_or_columns_are_orthonormal_times_gain(shape, gain):
    ft.manual_seed(0)
    weight = ft.empty(*shape)
    assert nn.init.orthogonal_(weight, gain=gain) is weight
    assert weight.shape == shape and weight.dtype == ft.float32
    gram = _gram(weight)
    np.testing.assert_allclose(gram, gain**2 * np.eye(gram.shape[0]), atol=1e-6 * gain**2)


def test_orthogonal_float64_is_orthonormal_to_rounding_and_follows_the_seed():
    weights = []
    for _ in range(2):
        ft.manual_seed(3)
        weights.append(nn.init.orthogonal_(ft.empty(20, 30, dtype=ft.float64)))
    assert ft.equal(weights[0], weights[1])
    np.testing.assert_allclose(_gram(weights[0]), np.eye(20), atol=1e-13)
    generator = ft.Generator().manual_seed(3)  # a generator seeded alike draws the same matrix
    assert ft.equal(nn.init.orthogonal_(ft.empty(20, 30, dtype=ft.float64), generator=generator), weights[0])


def test_orthogonal_special_shapes_and_errors():
    empty = ft.empty(0, 3)
    assert nn.init.orthogonal_(empty) is empty
    with pytest.raises(ValueError, match="^Only tensors with 2 or more dimensions are supported$"):
        nn.init.orthogonal_(ft.empty(3))
    with pytest.raises(NotImplementedError, match="\"normal_kernel_cpu\" not implemented for 'Long'"):
        nn.init.orthogonal_(ft.zeros(3, 3, dtype=ft.int64))


def test_householder_qr_by_hand_and_sign_convention():
    from fasttensor.nn.init import _householder_qr

    # [[3, 1], [4, 2]]: the first reflection sends (3, 4) to (-5, 0) (LAPACK's sign), so R[0, 0] = -5.
    q, r = _householder_qr(ft.tensor([[3.0, 1.0], [4.0, 2.0]], dtype=ft.float64))
    np.testing.assert_allclose(r.numpy(), [[-5.0, -2.2], [0.0, -0.4]], atol=1e-14)
    np.testing.assert_allclose(q.numpy(), [[-0.6, 0.8], [-0.8, -0.6]], atol=1e-14)
    a = np.random.default_rng(0).standard_normal((6, 4))
    q, r = _householder_qr(ft.tensor(a))
    np.testing.assert_allclose(q.numpy() @ r.numpy(), a, atol=1e-13)
    assert np.allclose(np.tril(r.numpy(), -1), 0)
    if torch is not None:
        tq, tr = torch.linalg.qr(torch.tensor(a))
        np.testing.assert_allclose(q.numpy(), tq.numpy(), atol=1e-13)
        np.testing.assert_allclose(r.numpy(), tr.numpy(), atol=1e-13)


def test_calculate_gain_identity_is_unsupported_as_torch():
    with pytest.raises(ValueError, match="^Unsupported nonlinearity identity$"):
        nn.init.calculate_gain("identity")
    assert nn.init.calculate_gain("conv_transpose3d") == 1


@pytest.mark.parametrize("dtype,name", [("int64", "Long"), ("int32", "Int"), ("bool", "Bool"), ("uint8", "Byte")])
def test_sampling_initializers_reject_integer_tensors_as_torch(dtype, name):
    tensor = ft.zeros(3, 4, dtype=getattr(ft, dtype))
    for init in (nn.init.uniform_, nn.init.xavier_uniform_, nn.init.kaiming_uniform_):
        with pytest.raises(NotImplementedError, match=f"^\"check_uniform_bounds\" not implemented for '{name}'$"):
            init(tensor)
    for init in (nn.init.normal_, nn.init.xavier_normal_, nn.init.kaiming_normal_):
        with pytest.raises(NotImplementedError, match=f"^\"normal_kernel_cpu\" not implemented for '{name}'$"):
            init(tensor)


def test_sparse_zeroes_a_fraction_of_each_column():
    ft.manual_seed(0)
    weight = nn.init.sparse_(ft.empty(10, 4), 0.25, std=0.5)
    assert (weight == 0).sum(0).tolist() == [3, 3, 3, 3]  # ceil(0.25 * 10)
    with pytest.raises(ValueError, match="^Only tensors with 2 dimensions are supported$"):
        nn.init.sparse_(ft.empty(2, 2, 2), 0.1)


_DEPRECATED = ["uniform", "normal", "constant", "eye", "xavier_uniform", "xavier_normal", "kaiming_uniform",
               "kaiming_normal", "orthogonal", "sparse"]


@pytest.mark.parametrize("old", _DEPRECATED)
def test_deprecated_aliases_warn_and_call_the_new_initializer(old):
    alias = getattr(nn.init, old)
    assert alias.__name__ == old
    tensor = ft.zeros(4, 4)
    with pytest.warns(FutureWarning, match=f"^`nn.init.{old}` is now deprecated in favor of `nn.init.{old}_`.$") as w:
        result = alias(tensor, 0.5) if old in ("constant", "sparse") else alias(tensor)
    assert result is tensor and w[0].filename == __file__
    if old == "constant":
        assert tensor.tolist() == [[0.5] * 4] * 4
    if old == "eye":
        assert tensor.tolist() == np.eye(4).tolist()
    if torch is not None:
        assert hasattr(torch.nn.init, old)


# --- nn.CELU and the nn.modules paths -----------------------------------------------------------------

@pytest.mark.parametrize("alpha", [1.0, 0.5, 2])
def test_celu_values_gradient_and_repr(alpha):
    values = [-2.0, -0.5, 0.0, 1.5]
    x = ft.tensor(values, requires_grad=True)
    layer = nn.CELU(alpha)
    y = layer(x)
    expected = [v if v > 0 else alpha * math.expm1(v / alpha) for v in values]
    np.testing.assert_allclose(y.tolist(), expected, rtol=1e-6)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.tolist(), [1.0 if v >= 0 else math.exp(v / alpha) for v in values], rtol=1e-6)
    assert repr(layer) == f"CELU(alpha={alpha})"
    assert repr(nn.CELU(alpha, inplace=True)) == f"CELU(alpha={alpha}, inplace=True)"
    if torch is not None:
        t = torch.tensor(values, requires_grad=True)
        torch.nn.CELU(alpha)(t).sum().backward()
        np.testing.assert_allclose(y.tolist(), torch.nn.CELU(alpha)(t).tolist(), rtol=1e-6)
        np.testing.assert_allclose(x.grad.tolist(), t.grad.tolist(), rtol=1e-6)
        assert repr(layer) == repr(torch.nn.CELU(alpha))


def test_celu_inplace_and_alpha_zero():
    x = ft.tensor([-1.0, 2.0])
    assert nn.CELU(inplace=True)(x) is x
    np.testing.assert_allclose(x.tolist(), [math.expm1(-1.0), 2.0], rtol=1e-6)
    with pytest.raises(RuntimeError, match="^ZeroDivisionError: alpha cannot be 0 for CELU$"):
        nn.CELU(0.0)(x)


def test_modules_import_paths_as_torch():
    from fasttensor.nn.modules.activation import CELU
    from fasttensor.nn.modules.container import Sequential
    from fasttensor.nn.modules.linear import Linear
    from fasttensor.nn.modules.loss import MSELoss, _Loss
    from fasttensor.nn.modules.module import Module

    assert (Module, Linear, Sequential, CELU, MSELoss) == (nn.Module, nn.Linear, nn.Sequential, nn.CELU, nn.MSELoss)
    assert nn.modules.Linear is nn.Linear and nn.modules.loss._Loss is _Loss

    class Half(_Loss):  # a custom loss in the usual pattern
        def forward(self, input, target):
            loss = (input - target).abs() / 2
            return loss.mean() if self.reduction == "mean" else loss.sum()

    assert Half()(ft.tensor([1.0, 3.0]), ft.zeros(2)).item() == 1.0
    assert Half(reduction="sum")(ft.tensor([1.0, 3.0]), ft.zeros(2)).item() == 2.0


# --- nn.utils.rnn.pad_sequence ------------------------------------------------------------------------

def test_pad_sequence_layouts_sides_and_values():
    from fasttensor.nn.utils.rnn import pad_sequence

    a, b = ft.tensor([1.0, 2.0, 3.0]), ft.tensor([4.0])
    assert pad_sequence([a, b]).tolist() == [[1, 4], [2, 0], [3, 0]]
    assert pad_sequence((a, b), batch_first=True).tolist() == [[1, 2, 3], [4, 0, 0]]
    assert pad_sequence([a, b], True, -1.0, "left").tolist() == [[1, 2, 3], [-1, -1, 4]]
    assert pad_sequence([a, b], padding_side="left").tolist() == [[1, 0], [2, 0], [3, 4]]
    out = pad_sequence([ft.ones(2, 2), ft.ones(1, 2), ft.zeros(0, 2)], batch_first=True)
    assert out.shape == (3, 2, 2) and out.is_contiguous()
    assert out.tolist() == [[[1, 1], [1, 1]], [[1, 1], [0, 0]], [[0, 0], [0, 0]]]
    mixed = pad_sequence([ft.tensor([1, 2]), ft.tensor([3.5])])  # the first sequence's dtype
    assert mixed.dtype == ft.int64 and mixed.tolist() == [[1, 3], [2, 0]]
    if torch is not None:
        theirs = torch.nn.utils.rnn.pad_sequence([torch.tensor([1.0, 2.0, 3.0]), torch.tensor([4.0])], True, -1.0,
                                                 "left")
        assert theirs.tolist() == pad_sequence([a, b], True, -1.0, "left").tolist()


def test_pad_sequence_gradient_and_errors():
    from fasttensor.nn.utils.rnn import pad_sequence

    a, b = ft.tensor([1.0, 2.0, 3.0], requires_grad=True), ft.tensor([4.0], requires_grad=True)
    padded = pad_sequence([a, b], padding_side="left")
    (padded * ft.arange(6.0).reshape(3, 2)).sum().backward()
    assert a.grad.tolist() == [0, 2, 4] and b.grad.tolist() == [5]
    with pytest.raises(RuntimeError, match="^Expected padding_side to be one of left or right, but got middle.$"):
        pad_sequence([a, b], padding_side="middle")
    with pytest.raises(RuntimeError, match="^received an empty list of sequences$"):
        pad_sequence([])
