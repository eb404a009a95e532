"""Module.register_full_backward_hook / register_full_backward_pre_hook, pinned to PyTorch 2.13.

Each case runs on fasttensor and, when torch is installed, on torch too; both must give the same
hand-computed expected values (so the expectation is checked to be torch's behaviour)."""

from __future__ import annotations

import warnings

import pytest

import fasttensor
import helpers
from helpers import HAVE_TORCH

LIBS = [fasttensor] + ([helpers.torch] if HAVE_TORCH else [])
LIB_IDS = ["fasttensor"] + (["torch"] if HAVE_TORCH else [])


def _lists(grads):
    return tuple(None if g is None else g.tolist() for g in grads)


def _linear(m):
    lin = m.nn.Linear(2, 1)
    with m.no_grad():
        lin.weight.copy_(m.tensor([[1.0, 2.0]]))
        lin.bias.fill_(0.5)
    return lin


@pytest.mark.parametrize("m", LIBS, ids=LIB_IDS)
def test_full_backward_hook_sees_input_and_output_gradients(m):
    lin = _linear(m)
    seen = []
    handle = lin.register_full_backward_hook(lambda mod, gi, go: seen.append((mod, _lists(gi), _lists(go))))
    x = m.tensor([[1.0, 1.0], [2.0, 0.0]], requires_grad=True)
    lin(x).sum().backward()
    assert seen == [(lin, ([[1.0, 2.0], [1.0, 2.0]],), ([[1.0], [1.0]],))]
    assert x.grad.tolist() == [[1.0, 2.0], [1.0, 2.0]] and lin.weight.grad.tolist() == [[3.0, 1.0]]
    handle.remove()
    lin(x).sum().backward()
    assert len(seen) == 1


@pytest.mark.parametrize("m", LIBS, ids=LIB_IDS)
def test_hooks_replace_gradients(m):
    lin = _linear(m)
    lin.register_full_backward_pre_hook(lambda mod, go: (go[0] * 10,))
    lin.register_full_backward_hook(lambda mod, gi, go: (gi[0] + 1,))
    x = m.tensor([[1.0, 1.0], [2.0, 0.0]], requires_grad=True)
    lin(x).sum().backward()
    # the pre-hook scales the output gradient (weights see it too); the hook shifts the input's only
    assert x.grad.tolist() == [[11.0, 21.0], [11.0, 21.0]] and lin.weight.grad.tolist() == [[30.0, 10.0]]


@pytest.mark.parametrize("m", LIBS, ids=LIB_IDS)
def test_several_arguments_and_outputs(m):
    class Two(m.nn.Module):
        def forward(self, a, k, b):
            return a * k, b + 1

    net = Two()
    seen = []
    net.register_full_backward_hook(lambda mod, gi, go: seen.append((_lists(gi), _lists(go))))
    a, b = m.ones(2, requires_grad=True), m.ones(2)
    o1, o2 = net(a, 3, b)
    assert o1.requires_grad and not o2.requires_grad
    assert (type(o1.grad_fn).__name__ if m is not fasttensor else o1.grad_fn.name()) == \
        "BackwardHookFunctionBackward"
    o1.sum().backward()
    b.requires_grad_()
    o1, o2 = net(a, 3, b)
    o2.sum().backward()
    # arguments: a gradient (zeros when unreached) per tensor, None for the int; outputs: None when unused
    assert seen == [(([3.0, 3.0], None, [0.0, 0.0]), ([1.0, 1.0], None)),
                    (([0.0, 0.0], None, [1.0, 1.0]), (None, [1.0, 1.0]))]


@pytest.mark.parametrize("m", LIBS, ids=LIB_IDS)
def test_inputs_without_gradient_fire_at_the_outputs_with_a_warning(m):
    lin = _linear(m)
    seen = []
    lin.register_full_backward_hook(lambda mod, gi, go: seen.append((_lists(gi), _lists(go))))
    with pytest.warns(UserWarning, match="Full backward hook is firing when gradients are computed with respect "
                                         "to module outputs since no inputs require gradients"):
        lin(m.ones(1, 2)).sum().backward()
    assert seen == [((None,), ([[1.0]],))]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with m.no_grad():
            y = lin(m.ones(1, 2, requires_grad=True))
    assert not y.requires_grad and len(seen) == 1


@pytest.mark.parametrize("m", LIBS, ids=LIB_IDS)
def test_hook_results_of_the_wrong_length_raise(m):
    lin = _linear(m)
    lin.register_full_backward_hook(lambda mod, gi, go: (gi[0], gi[0]))
    with pytest.raises(RuntimeError, match="Backward hook returned an invalid number of grad_input, got 2, but "
                                           "expected 1"):
        lin(m.ones(1, 2, requires_grad=True)).sum().backward()
    lin2 = _linear(m)
    lin2.register_full_backward_pre_hook(lambda mod, go: (go[0], go[0]))
    with pytest.raises(RuntimeError, match="Backward pre hook returned an invalid number of grad_output, got 2, "
                                           "but expected 1"):
        lin2(m.ones(1, 2, requires_grad=True)).sum().backward()


@pytest.mark.parametrize("m", LIBS, ids=LIB_IDS)
def test_hooks_in_a_sequential_run_last_module_first(m):
    net = m.nn.Sequential(m.nn.Linear(3, 4), m.nn.ReLU(), m.nn.Linear(4, 2))
    order = []
    for i, layer in enumerate(net):
        layer.register_full_backward_hook(lambda mod, gi, go, i=i: order.append((i, tuple(gi[0].shape),
                                                                                  tuple(go[0].shape))))
    net(m.ones(5, 3, requires_grad=True)).sum().backward()
    assert order == [(2, (5, 4), (5, 2)), (1, (5, 4), (5, 4)), (0, (5, 3), (5, 4))]


def test_deprecated_register_backward_hook_is_refused_by_name():
    with pytest.raises(NotImplementedError, match="register_full_backward_hook"):
        fasttensor.nn.Linear(2, 1).register_backward_hook(lambda *a: None)
