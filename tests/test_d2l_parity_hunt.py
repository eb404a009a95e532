"""fasttensor.d2l against the real D2L library (d2l 1.0.3, ``from d2l import torch as d2l``):
signatures and defaults, attribute values, results on seeded inputs and the exceptions of
misuse. The expected values are what d2l 1.0.3 with PyTorch gives for the same code."""

from __future__ import annotations

import inspect
import os
import re

import numpy as np
import pytest

import fasttensor as ft
from fasttensor import d2l, nn
from fasttensor.datasets import write_idx


@pytest.fixture(autouse=True)
def plots_in_tmp(tmp_path, monkeypatch):
    """Figures go to tmp/plots and relative paths (../data) resolve inside tmp."""
    plots = tmp_path / "plots"
    plots.mkdir()
    monkeypatch.setenv("FASTTENSOR_PLOT_DIR", str(plots))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return plots


# --- signatures, defaults and attributes -----------------------------------------------------------


def test_defaults_are_the_books_lists():
    board = inspect.signature(d2l.ProgressBoard).parameters
    assert board["ls"].default == ["-", "--", "-.", ":"]
    assert board["colors"].default == ["C0", "C1", "C2", "C3"]
    assert inspect.signature(d2l.plot).parameters["legend"].default == []
    assert inspect.signature(d2l.HyperParameters.save_hyperparameters).parameters["ignore"].default == []


def test_progress_board_hparams_are_the_books_arguments():
    b = d2l.ProgressBoard()
    assert b.hparams == {"xlabel": None, "ylabel": None, "xlim": None, "ylim": None, "xscale": "linear",
                         "yscale": "linear", "ls": ["-", "--", "-.", ":"], "colors": ["C0", "C1", "C2", "C3"],
                         "fig": None, "axes": None, "figsize": (3.5, 2.5), "display": True}
    assert b.ls == ["-", "--", "-.", ":"] and b.colors == ["C0", "C1", "C2", "C3"]
    assert b.fig is None and b.axes is None and b.figsize == (3.5, 2.5) and b.display is True


def test_try_all_gpus_lists_only_gpus():
    # d2l 1.0.3 returns [] without a GPU (its docstring's [cpu()] is not what the code does).
    assert d2l.try_all_gpus() == [d2l.gpu(i) for i in range(d2l.num_gpus())]
    if not ft.cuda.is_available():
        assert d2l.try_all_gpus() == []


def _write_tiny_fashion(root, n: int = 8) -> None:
    raw = os.path.join(root, "FashionMNIST", "raw")
    os.makedirs(raw)
    images = np.arange(n * 28 * 28, dtype=np.int64).reshape(n, 28, 28) % 256
    for split in ("train", "t10k"):
        write_idx(os.path.join(raw, f"{split}-images-idx3-ubyte.gz"), images.astype(np.uint8))
        write_idx(os.path.join(raw, f"{split}-labels-idx1-ubyte.gz"), (np.arange(n) % 10).astype(np.uint8))


def test_fashion_mnist_hparams_are_batch_size_and_resize(tmp_path):
    _write_tiny_fashion(tmp_path / "data")
    data = d2l.FashionMNIST(batch_size=16, root=str(tmp_path / "data"))
    assert data.hparams == {"batch_size": 16, "resize": (28, 28)}
    assert (data.batch_size, data.resize, data.num_workers) == (16, (28, 28), 4)
    assert data.root == str(tmp_path / "data") and data.download is True


# --- the from-scratch optimizer and gradient clipping ------------------------------------------------


def test_sgd_step_is_not_wrapped_in_no_grad():
    ft.manual_seed(1)
    model = d2l.LinearRegressionScratch(2, lr=0.03)
    opt = model.configure_optimizers()
    assert sorted(opt.hparams) == ["lr", "params"] and opt.lr == 0.03
    model.w.grad = ft.ones(2, 1)
    before = model.w.tolist()
    with pytest.raises(RuntimeError, match=re.escape("a leaf Variable that requires grad is being used in an "
                                                     "in-place operation.")):
        opt.step()
    assert model.w.tolist() == before == [[0.006613521836698055], [0.0026692410465329885]]
    model.b.grad = ft.ones(1)
    with ft.no_grad():
        opt.step()
    np.testing.assert_array_equal(np.array(model.w.tolist(), dtype=np.float32),
                                  np.array(before, dtype=np.float32) - np.float32(0.03))


def _softmax_with_grads(value: float):
    ft.manual_seed(5)
    net = d2l.SoftmaxRegression(2, 0.1)
    net.apply_init([ft.ones(1, 3)])
    for p in net.parameters():
        p.grad = ft.ones_like(p) * value
    return net


def test_clip_gradients_values_and_a_missing_grad():
    net = _softmax_with_grads(3.0)
    d2l.Trainer(1, gradient_clip_val=1).clip_gradients(1.0, net)
    expected = 0.3535534143447876  # d2l 1.0.3's value: 3 * (1 / sqrt(72)) in float32
    assert [p.grad.tolist() for p in net.parameters()] == [[[expected] * 3] * 2, [expected] * 2]
    net.net[1].bias.grad = None  # requires grad but has none: the book's clip_gradients fails on it
    with pytest.raises(TypeError, match=re.escape("unsupported operand type(s) for ** or pow(): 'NoneType' and "
                                                  "'int'")):
        d2l.Trainer(1).clip_gradients(100.0, net)


def test_download_prints_the_books_line(tmp_path, capsys):
    served = tmp_path / "served" / "table.csv"
    served.parent.mkdir()
    served.write_bytes(b"a,b\n1,2\n")
    url = "file://" + str(served)
    path = d2l.download(url, "data")
    assert capsys.readouterr().out == f"Downloading {os.path.join('data', 'table.csv')} from {url}...\n"
    assert open(path, "rb").read() == b"a,b\n1,2\n"


def test_visualize_labels_default_is_the_books_list():
    assert inspect.signature(d2l.FashionMNIST.visualize).parameters["labels"].default == []
