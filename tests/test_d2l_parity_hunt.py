"""fasttensor.d2l against the real D2L library (d2l 1.0.3, ``from d2l import torch as d2l``):
signatures and defaults, attribute values, results on seeded inputs and the exceptions of
misuse. The expected values are what d2l 1.0.3 with PyTorch gives for the same code."""

from __future__ import annotations

import contextlib
import inspect
import io
import os
import re

import numpy as np
import pytest

import fasttensor as ft
from fasttensor import d2l, nn
from fasttensor.datasets import write_idx
from helpers import plots_and_work_in, warn_always


@pytest.fixture(autouse=True)
def plots_in_tmp(tmp_path, monkeypatch):
    """Figures go to tmp/plots and relative paths (../data) resolve inside tmp."""
    return plots_and_work_in(tmp_path, monkeypatch)


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


# --- the book's helpers from before its 1.0 framework ----------------------------------------------


def test_synthetic_data_load_array_linreg_squared_loss_and_sgd():
    ft.manual_seed(0)
    features, labels = d2l.synthetic_data(ft.tensor([2, -3.4]), 4.2, 5)
    assert features.tolist() == [[1.5409960746765137, -0.293428897857666], [-2.1787893772125244, 0.5684312582015991],
                                 [-1.0845223665237427, -1.3985954523086548], [0.40334683656692505, 0.8380263447761536],
                                 [-0.7192575931549072, -0.40334352850914]]
    assert labels.tolist() == [[8.273683547973633], [-2.0884249210357666], [6.777612686157227],
                               [2.168410062789917], [4.122140884399414]]
    assert labels.shape == (5, 1)

    ft.manual_seed(0)
    it = d2l.load_array((features, labels), 2)
    assert len(it) == 3 and type(it.dataset).__name__ == "TensorDataset"
    rows = features.tolist()
    assert [x.tolist() for x, _ in it] == [[rows[1], rows[4]], [rows[2], rows[3]], [rows[0]]]
    ordered = [y.tolist() for _, y in d2l.load_array((features, labels), 2, is_train=False)]
    assert ordered == [labels.tolist()[0:2], labels.tolist()[2:4], labels.tolist()[4:]]

    w = ft.normal(0, 0.01, size=(2, 1), requires_grad=True)
    b = ft.zeros(1, requires_grad=True)
    l = d2l.squared_loss(d2l.linreg(features, w, b), labels)
    assert l.shape == (5, 1)
    assert l.reshape(-1).tolist() == [34.04924774169922, 2.1155576705932617, 22.995805740356445,
                                      2.352433919906616, 8.522102355957031]
    l.sum().backward()
    d2l.sgd([w, b], 0.03, 5)
    assert w.reshape(-1).tolist() == [0.0591375008225441, -0.08441223204135895]
    assert b.tolist() == [0.11564675718545914]
    assert w.grad.reshape(-1).tolist() == [0.0, 0.0]  # zeroed after the step
    with pytest.raises(TypeError, match=re.escape("unsupported operand type(s) for *: 'float' and 'NoneType'")):
        d2l.sgd([ft.zeros(1, requires_grad=True)], 0.1, 1)


def test_accuracy_counts_correct_predictions():
    yh = ft.tensor([[0.1, 0.3, 0.6], [0.3, 0.2, 0.5], [0.9, 0.05, 0.05]])
    y = ft.tensor([2, 1, 0])
    assert d2l.accuracy(yh, y) == 2.0 and type(d2l.accuracy(yh, y)) is float
    assert d2l.accuracy(ft.tensor([2, 2, 0]), y) == 2.0
    assert d2l.accuracy(ft.tensor([[2], [1], [1]]), y.reshape(-1, 1)) == 2.0
    assert d2l.accuracy(yh, y.float()) == 2.0
    # One column is taken as classes, not scores: (0.3, 0.2) cast to int64 are 0, compared by broadcasting.
    assert d2l.accuracy(ft.tensor([[0.3], [0.2]]), ft.tensor([0, 0])) == 4.0


def test_evaluate_accuracy_gpu_and_evaluate_loss():
    ft.manual_seed(1)
    net = nn.Sequential(nn.Flatten(), nn.Linear(4, 3))
    X, Y = ft.randn(10, 4), ft.randint(0, 3, (10,))
    assert d2l.evaluate_accuracy_gpu(net, d2l.load_array((X, Y), 3, is_train=False)) == 0.5
    assert net.training is False
    with warn_always(), pytest.warns(UserWarning, match="Converting a tensor with requires_grad=True to a scalar"):
        loss = d2l.evaluate_loss(nn.Linear(4, 1), d2l.load_array((X, Y.float()), 4, False),
                                 nn.MSELoss(reduction="none"))
    assert loss == 1.3860569953918458


def test_grad_clipping_of_a_module_and_of_params():
    ft.manual_seed(2)
    net = nn.Linear(3, 2)
    net(ft.randn(4, 3)).sum().backward()
    d2l.grad_clipping(net, 0.5)
    row = [0.11430731415748596, -0.026144344359636307, -0.18876580893993378]
    assert net.weight.grad.tolist() == [row, row]
    assert net.bias.grad.tolist() == [0.2749868631362915, 0.2749868631362915]

    class Scratch:
        params = [ft.ones(2, requires_grad=True)]

    Scratch.params[0].grad = ft.tensor([3.0, 4.0])
    d2l.grad_clipping(Scratch(), 1)
    assert Scratch.params[0].grad.tolist() == [0.6000000238418579, 0.800000011920929]


def test_corr2d_init_cnn_and_checks():
    X, K = ft.arange(9.0).reshape(3, 3), ft.tensor([[0.0, 1.0], [2.0, 3.0]])
    assert d2l.corr2d(X, K).tolist() == [[19.0, 25.0], [37.0, 43.0]]
    assert d2l.corr2d(ft.arange(9).reshape(3, 3), ft.tensor([[0, 1], [2, 3]])).dtype == ft.float32
    ft.manual_seed(3)
    lin = nn.Linear(3, 2)
    d2l.init_cnn(lin)
    assert lin.weight.tolist() == [[0.20686650276184082, 0.8497514128684998, -0.10728499293327332],
                                   [0.6561511158943176, -0.767160177230835, -0.21587102115154266]]
    relu = nn.ReLU()
    d2l.init_cnn(relu)  # other modules are left alone
    with pytest.raises(AssertionError, match="list's length 2 != expected length 3"):
        d2l.check_len([1, 2], 3)
    with pytest.raises(AssertionError, match=r"tensor's shape \w+\.Size\(\[2, 3\]\) != expected shape \(2, 4\)"):
        d2l.check_shape(ft.ones(2, 3), (2, 4))
    assert d2l.check_shape(ft.ones(2, 3), (2, 3)) is None


def test_tokenize_labels_workers_and_download_extract():
    assert d2l.tokenize(["a b  c", "de"]) == [["a", "b", "c"], ["de"]]
    assert d2l.tokenize(["ab"], "char") == [["a", "b"]]
    with pytest.raises(AssertionError, match="Unknown token type: x"):
        d2l.tokenize(["ab"], "x")
    assert d2l.get_fashion_mnist_labels(ft.tensor([0, 5, 9])) == ["t-shirt", "sandal", "ankle boot"]
    assert d2l.get_dataloader_workers() == 4
    with pytest.raises(KeyError, match="nonexistent_name"):
        d2l.download_extract("nonexistent_name")


def test_download_extract_unpacks_a_data_hub_archive(tmp_path, monkeypatch):
    import zipfile

    archive = tmp_path / "served" / "pack.zip"
    archive.parent.mkdir()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("pack/x.txt", "hi")
    import hashlib

    sha1 = hashlib.sha1(archive.read_bytes()).hexdigest()
    monkeypatch.setitem(d2l.DATA_HUB, "pack", ("file://" + str(archive), sha1))
    assert d2l.download_extract("pack") == os.path.join("..", "data", "pack")
    assert open(os.path.join("..", "data", "pack", "x.txt")).read() == "hi"
    assert d2l.download_extract("pack", "pack") == os.path.join("..", "data", "pack")


def test_animator_keeps_points_and_axes_as_the_book(plots_in_tmp):
    an = d2l.Animator(xlabel="epoch", xlim=[1, 3], legend=["a", "b", "c"])
    an.add(1, (0.5, 0.2, None))
    an.add(2, (0.4, 0.3, 0.9))
    an.add(2.5, [0.1, None, None])
    assert an.X == [[1, 2, 2.5], [1, 2], [2]] and an.Y == [[0.5, 0.4, 0.1], [0.2, 0.3], [0.9]]
    assert an.fmts == ("-", "m--", "g-.", "r:")
    assert isinstance(an.axes, list) and len(an.axes) == 1
    ax = an.axes[0]
    assert ax.get_xlabel() == "epoch" and ax.get_xlim() == (1.0, 3.0) and len(ax.lines) == 3
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a", "b", "c"]
    grid = d2l.Animator(nrows=2, ncols=2)
    assert type(grid.axes).__name__ == "ndarray" and grid.axes.shape == (2, 2)
    one = d2l.Animator()
    one.add(1, 5)
    assert (one.X, one.Y) == ([[1]], [[5]])
    # Outside Jupyter the figure is written as a PNG (the first at once, later ones throttled).
    assert sorted(os.listdir(plots_in_tmp)) == ["animator-2.png", "animator.png"]


def test_layer_summary_prints_each_layers_output_shape():
    clf = d2l.Classifier()
    clf.net = nn.Sequential(nn.Flatten(), nn.Linear(4, 3), nn.ReLU())
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        clf.layer_summary((2, 1, 2, 2))
    shapes = [f"{ft.Size(s)!r}" for s in ([2, 4], [2, 3], [2, 3])]
    assert out.getvalue() == (f"Flatten output shape:\t {shapes[0]}\nLinear output shape:\t {shapes[1]}\n"
                              f"ReLU output shape:\t {shapes[2]}\n")


def test_module_level_names_of_the_d2l_library():
    import collections
    import random
    import shutil

    assert d2l.torch is ft and d2l.nn is ft.nn and d2l.data is ft.utils.data
    assert d2l.random is random and d2l.re is re and d2l.shutil is shutil
    assert d2l.defaultdict is collections.defaultdict and d2l.np is np
    assert d2l.transforms.ToTensor is d2l.torchvision.transforms.ToTensor
    assert d2l.torchvision.datasets.FashionMNIST is not None
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        d2l.nope


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


def test_load_data_fashion_mnist_reads_data_beside_the_working_folder(tmp_path):
    _write_tiny_fashion(tmp_path / "data")  # "../data" from the test's working folder
    train_iter, test_iter = d2l.load_data_fashion_mnist(4)
    assert (train_iter.batch_size, train_iter.num_workers, test_iter.num_workers) == (4, 4, 4)
    assert type(train_iter.sampler).__name__ == "RandomSampler"
    assert type(test_iter.sampler).__name__ == "SequentialSampler"
    X, y = next(iter(test_iter))
    assert X.shape == (4, 1, 28, 28) and X.dtype == ft.float32 and y.dtype == ft.int64
    assert y.tolist() == [0, 1, 2, 3]
    expected = (np.arange(28 * 28) % 256).reshape(28, 28) / np.float32(255)  # ToTensor: uint8 / 255
    np.testing.assert_array_equal(X[0, 0].numpy(), expected.astype(np.float32))
    X, _ = next(iter(d2l.load_data_fashion_mnist(2, resize=64)[1]))
    assert X.shape == (2, 1, 64, 64)
