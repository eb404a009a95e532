"""fasttensor.d2l: the book's framework (HyperParameters, ProgressBoard, Module,
Classifier, DataModule, Trainer, the data modules and models), the acceptance
thresholds on data the tests make, and the seed notes' chapter 3-5 code run end
to end with ``import fasttensor as torch`` and a tiny Fashion-MNIST stand-in."""

from __future__ import annotations

import contextlib
import io
import math
import os
import sys
import textwrap
import types

import numpy as np
import pytest

import fasttensor as ft
from fasttensor import d2l, nn
from fasttensor.datasets import FashionMNIST as FashionMNISTDataset
from fasttensor.datasets import write_idx
from helpers import FileServer, plots_and_work_in


def arr(t) -> np.ndarray:
    return np.array(t.detach().cpu().numpy())


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """Runs each test in its own folder with figures going to tmp/plots, and undoes any
    @d2l.add_to_class(...) a test (or the seed code) applies to d2l's classes."""
    plots = plots_and_work_in(tmp_path, monkeypatch)
    saved = {cls: dict(vars(cls)) for cls in (d2l.Module, d2l.Classifier, d2l.Trainer, d2l.DataModule,
                                               d2l.FashionMNIST, d2l.HyperParameters)}
    ft.manual_seed(0)
    yield plots
    for cls, attrs in saved.items():
        for name in set(vars(cls)) - set(attrs):
            delattr(cls, name)
        for name, value in attrs.items():
            if vars(cls).get(name) is not value and not name.startswith("__"):
                setattr(cls, name, value)


def write_fashion_like(root, n_train: int = 600, n_val: int = 300, seed: int = 0) -> None:
    """A learnable stand-in for Fashion-MNIST: each class is a fixed 28x28 pattern plus noise."""
    rng = np.random.default_rng(seed)
    templates = rng.integers(0, 256, (10, 28, 28))
    raw = os.path.join(root, "FashionMNIST", "raw")
    os.makedirs(raw, exist_ok=True)
    for split, n in (("train", n_train), ("t10k", n_val)):
        labels = rng.integers(0, 10, n)
        images = np.clip(templates[labels] + rng.normal(0, 40, (n, 28, 28)), 0, 255).astype(np.uint8)
        write_idx(os.path.join(raw, f"{split}-images-idx3-ubyte.gz"), images)
        write_idx(os.path.join(raw, f"{split}-labels-idx1-ubyte.gz"), labels.astype(np.uint8))


def pngs(folder) -> list:
    return sorted(p for p in os.listdir(folder) if p.endswith(".png"))


# --- utilities ---------------------------------------------------------------------------------------


def test_add_to_class_and_save_hyperparameters():
    class A:
        def __init__(self):
            self.b = 1

    @d2l.add_to_class(A)
    def do(self):
        return self.b + 1

    assert A().do() == 2

    class B(d2l.HyperParameters):
        def __init__(self, a, b, c, _private=0):
            self.save_hyperparameters(ignore=["c"])

    b = B(a=1, b=2, c=3)
    assert (b.a, b.b) == (1, 2) and not hasattr(b, "c") and not hasattr(b, "_private")
    assert b.hparams == {"a": 1, "b": 2}


def test_progress_board_averages_every_n_points_and_writes_a_png(isolated):
    board = d2l.ProgressBoard("x")
    for x in np.arange(0, 10, 0.1):
        board.draw(x, np.sin(x), "sin", every_n=2)
        board.draw(x, np.cos(x), "cos", every_n=10)
    assert len(board.data["sin"]) == 50 and len(board.data["cos"]) == 10
    assert board.data["sin"][0].x == pytest.approx(0.05) and board.data["sin"][0].y == pytest.approx(
        (np.sin(0) + np.sin(0.1)) / 2)
    path = board.save()
    assert path == str(isolated / "progress.png") and os.path.getsize(path) > 1000
    with open(path, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    assert board.save(str(isolated / "explicit.png")) == str(isolated / "explicit.png")


def test_progress_board_display_false_draws_nothing(isolated):
    board = d2l.ProgressBoard(display=False)
    board.draw(1, 2, "a", every_n=1)
    assert board.data["a"] == [(1.0, 2.0)] and board.save() is None and pngs(isolated) == []


def test_progress_board_keeps_the_types_of_the_books_mean(isolated):
    # The book averages with sum(values) / len(values): a loss drawn as a NumPy value stays one.
    board = d2l.ProgressBoard(display=False)
    loss = ft.tensor(0.75, dtype=ft.float64).numpy()
    board.draw(0.5, loss, "loss", every_n=2)
    board.draw(np.float64(1.0), loss * 2, "loss", every_n=2)
    (point,) = board.data["loss"]
    assert type(point.x) is np.float64 and type(point.y) is np.float64 and point == (0.75, 1.125)
    board.draw(1, 3, "steps", every_n=1)
    assert board.data["steps"] == [(1.0, 3.0)] and type(board.data["steps"][0].x) is float


def test_without_matplotlib_drawing_is_a_no_op_with_one_warning(isolated, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    monkeypatch.setattr(d2l, "_warned_no_matplotlib", False)
    board = d2l.ProgressBoard()
    with pytest.warns(UserWarning, match="matplotlib is not installed") as record:
        for i in range(5):
            board.draw(i, i, "loss", every_n=1)
        assert d2l.plot([1, 2, 3], [4, 5, 6]) is None
        assert d2l.show_images([np.zeros((2, 2))], 1, 1) is None
    assert len(record) == 1
    assert pngs(isolated) == [] and board.save() is None


def test_in_jupyter_figures_are_displayed_inline_not_saved(isolated, monkeypatch):
    import types

    shown = []
    display = types.ModuleType("IPython.display")
    display.Image = lambda data: ("png", data)
    display.SVG = lambda data: ("svg", data)
    display.display = shown.append
    display.clear_output = lambda wait=False: None
    ipython = types.ModuleType("IPython")
    ipython.display = display
    ipython.version_info = (8, 0, 0)
    ipython.get_ipython = lambda: None  # what matplotlib asks; d2l's own check is patched below
    monkeypatch.setitem(sys.modules, "IPython", ipython)
    monkeypatch.setitem(sys.modules, "IPython.display", display)
    monkeypatch.setattr(d2l, "_in_jupyter", lambda: True)
    monkeypatch.setattr(d2l, "_figure_format", "png")
    board = d2l.ProgressBoard()
    for i in range(4):
        board.draw(i, i * i, "loss", every_n=2)
    assert [kind for kind, _ in shown] == ["png", "png"] and shown[0][1][:8] == b"\x89PNG\r\n\x1a\n"
    d2l.use_svg_display()
    d2l.plot([1, 2, 3], [3, 1, 2])
    assert shown[-1][0] == "svg" and b"<svg" in shown[-1][1]
    assert pngs(isolated) == []


def test_plot_and_show_images_write_pngs(isolated):
    x = ft.arange(-8.0, 8.0, 0.1, requires_grad=True)
    y = ft.relu(x)
    from matplotlib.figure import Figure

    axes = Figure().add_subplot()
    assert d2l.plot(x.detach(), y.detach(), "x", "relu(x)", figsize=(5, 2.5), axes=axes) is None  # as the book's
    assert axes.get_xlabel() == "x" and len(axes.lines) == 1
    xs = np.arange(-7, 7, 0.01)
    d2l.plot(xs, [np.exp(-xs**2), np.exp(-(xs - 3) ** 2)], xlabel="x", ylabel="p(x)", legend=["a", "b"], axes=axes)
    assert len(axes.lines) == 2 and axes.get_ylabel() == "p(x)"
    d2l.show_images(ft.rand(3, 8, 8), 1, 3, titles=["a", "b", "c"])
    assert pngs(isolated) == ["images-1.png", "plot-1.png", "plot-2.png"]


def test_devices():
    assert d2l.cpu() == ft.device("cpu")
    assert str(d2l.gpu(1)) == "cuda:1"
    assert d2l.num_gpus() == ft.cuda.device_count()
    assert d2l.try_gpu() == (d2l.gpu() if d2l.num_gpus() else d2l.cpu())
    assert d2l.try_all_gpus() == [d2l.gpu(i) for i in range(d2l.num_gpus())]  # [] without a GPU, as d2l 1.0.3


def test_timer_records_times_as_the_d2l_library(monkeypatch):
    clock = iter([10.0, 10.5, 20.0, 22.0])  # start at construction, stop, start, stop
    monkeypatch.setattr(d2l, "time", types.SimpleNamespace(time=lambda: next(clock)))  # d2l's clock only
    timer = d2l.Timer()
    assert timer.stop() == 0.5
    timer.start()
    assert timer.stop() == 2.0
    assert timer.times == [0.5, 2.0]
    assert timer.sum() == 2.5 and timer.avg() == 1.25 and timer.cumsum() == [0.5, 2.5]


def test_accumulator_sums_floats_of_tensors_and_numbers():
    metric = d2l.Accumulator(3)
    metric.add(1, ft.tensor(2.5), np.float32(0.25))
    metric.add(2, ft.tensor(1), 0)
    assert metric.data == [3.0, 3.5, 0.25] and metric[1] == 3.5 and metric[0:2] == [3.0, 3.5]
    assert all(type(v) is float for v in metric.data)
    metric.reset()
    assert metric.data == [0.0, 0.0, 0.0]


def test_framework_neutral_aliases_map_onto_fasttensor():
    x = d2l.arange(6, dtype=d2l.float32)
    m = d2l.reshape(x, (2, 3))
    np.testing.assert_array_equal(d2l.numpy(m), np.arange(6, dtype=np.float32).reshape(2, 3))
    assert d2l.size(m) == 6 and d2l.transpose(m).shape == (3, 2) and d2l.expand_dims(x, 0).shape == (1, 6)
    assert float(d2l.reduce_sum(x)) == 15.0 and float(d2l.reduce_mean(x)) == 2.5
    assert int(d2l.argmax(m, axis=1)[1]) == 2
    assert d2l.astype(x, d2l.int32).dtype == ft.int32 and d2l.to(x, d2l.int64).dtype == ft.int64
    assert d2l.swapaxes(m, 0, 1).shape == (3, 2) and d2l.repeat(x, 2).shape == (12,)
    assert d2l.concat([x, x]).shape == (12,) and d2l.stack([x, x]).shape == (2, 6)
    assert d2l.matmul(m, d2l.transpose(m)).shape == (2, 2)
    assert d2l.batch_matmul(d2l.ones(4, 2, 3), d2l.ones(4, 3, 5)).shape == (4, 2, 5)
    np.testing.assert_allclose(d2l.numpy(d2l.exp(d2l.log(d2l.tensor([1.0, 2.0])))), [1.0, 2.0], rtol=1e-6)
    np.testing.assert_allclose(d2l.numpy(d2l.linspace(0, 1, 3)), [0.0, 0.5, 1.0])
    np.testing.assert_array_equal(d2l.numpy(d2l.eye(2)), np.eye(2, dtype=np.float32))
    np.testing.assert_allclose(d2l.numpy(d2l.sin(d2l.zeros(2)) + d2l.cos(d2l.zeros(2))), [1.0, 1.0])
    np.testing.assert_allclose(float(d2l.tanh(d2l.tensor(0.5))), math.tanh(0.5), rtol=1e-6)
    np.testing.assert_allclose(float(d2l.sigmoid(d2l.tensor(0.0))), 0.5)
    np.testing.assert_allclose(float(d2l.sinh(d2l.tensor(1.0))), math.sinh(1.0), rtol=1e-6)
    np.testing.assert_allclose(float(d2l.cosh(d2l.tensor(1.0))), math.cosh(1.0), rtol=1e-6)
    assert float(d2l.abs(d2l.tensor(-3.0))) == 3.0
    assert d2l.normal(0, 1, (3, 2)).shape == (3, 2) and d2l.rand(2, 2).shape == (2, 2)
    assert d2l.randn(2, 3).shape == (2, 3) and d2l.ones_like(x).shape == d2l.zeros_like(x).shape == (6,)
    grid = d2l.meshgrid(d2l.arange(2), d2l.arange(3), indexing="ij")
    assert grid[0].shape == (2, 3)
    assert d2l.nn_Module is nn.Module


# --- acceptance: models reach their thresholds ----------------------------------------------------------


def test_linear_regression_scratch_recovers_w_and_b():
    model = d2l.LinearRegressionScratch(2, lr=0.03)
    data = d2l.SyntheticRegressionData(w=ft.tensor([2, -3.4]), b=4.2)
    d2l.Trainer(max_epochs=10).fit(model, data)
    np.testing.assert_allclose(arr(model.w).reshape(-1), [2.0, -3.4], atol=0.05)
    np.testing.assert_allclose(arr(model.b), [4.2], atol=0.05)


def test_linear_regression_concise_recovers_w_and_b():
    model = d2l.LinearRegression(lr=0.03)
    data = d2l.SyntheticRegressionData(w=ft.tensor([2, -3.4]), b=4.2)
    d2l.Trainer(max_epochs=3).fit(model, data)
    w, b = model.get_w_b()
    np.testing.assert_allclose(arr(w).reshape(-1), [2.0, -3.4], atol=0.05)
    np.testing.assert_allclose(arr(b), [4.2], atol=0.05)
    assert type(model.net) is nn.Linear


class Blobs(d2l.DataModule):
    """Four Gaussian blobs in the plane (centres on a circle of radius 3, std 0.5): separable."""

    def __init__(self, num_train=800, num_val=400, batch_size=32):
        super().__init__()
        self.save_hyperparameters()
        rng = np.random.default_rng(0)
        n = num_train + num_val
        labels = rng.integers(0, 4, n)
        angles = labels * (np.pi / 2)
        centres = 3 * np.stack([np.cos(angles), np.sin(angles)], 1)
        self.X = ft.tensor((centres + rng.normal(0, 0.5, (n, 2))).astype(np.float32))
        self.y = ft.tensor(labels)

    def get_dataloader(self, train):
        i = slice(0, self.num_train) if train else slice(self.num_train, None)
        return self.get_tensorloader((self.X, self.y), train, i)


def validation_accuracy(model, data) -> float:
    model.eval()
    with ft.no_grad():
        X, y = data.X[data.num_train:], data.y[data.num_train:]
        return float(model.accuracy(model(X), y))


@pytest.mark.parametrize("make_model", [
    lambda: d2l.SoftmaxRegression(num_outputs=4, lr=0.1),
    lambda: d2l.MLP(num_outputs=4, num_hiddens=32, lr=0.1),
    lambda: d2l.MLPScratch(num_inputs=2, num_outputs=4, num_hiddens=32, lr=0.1),
], ids=["softmax", "mlp", "mlp_scratch"])
def test_classifiers_reach_95_percent_on_blobs(make_model):
    model, data = make_model(), Blobs()
    d2l.Trainer(max_epochs=10).fit(model, data)
    assert validation_accuracy(model, data) >= 0.95
    assert {"train_loss", "val_loss", "val_acc"} <= set(model.board.data)


def test_classifier_loss_and_accuracy():
    clf = d2l.Classifier()
    logits = ft.tensor([[2.0, 1.0, 0.0], [0.0, 3.0, 1.0], [1.0, 0.0, 5.0], [4.0, 0.0, 0.0]])
    y = ft.tensor([0, 1, 0, 1])
    assert float(clf.accuracy(logits, y)) == 0.5
    assert clf.accuracy(logits, y, averaged=False).tolist() == [1.0, 1.0, 0.0, 0.0]
    expected = -np.log(np.exp(arr(logits))[np.arange(4), [0, 1, 0, 1]] / np.exp(arr(logits)).sum(1))
    np.testing.assert_allclose(arr(clf.loss(logits, y, averaged=False)), expected, rtol=1e-6)
    np.testing.assert_allclose(float(clf.loss(logits, y)), expected.mean(), rtol=1e-6)


def test_trainer_clips_gradients():
    model = d2l.MLP(num_outputs=4, num_hiddens=8, lr=0.1)
    model(ft.randn(3, 2))
    for p in model.parameters():
        p.grad = ft.ones(*p.shape) * 10
    d2l.Trainer(max_epochs=1, gradient_clip_val=1.0).clip_gradients(1.0, model)
    norm = math.sqrt(sum(float((p.grad**2).sum()) for p in model.parameters()))
    assert norm == pytest.approx(1.0, rel=1e-5)
    model = d2l.SoftmaxRegression(num_outputs=4, lr=0.1)
    d2l.Trainer(max_epochs=2, gradient_clip_val=0.5).fit(model, Blobs())
    assert validation_accuracy(model, Blobs()) > 0.9


def test_trainer_num_gpus_uses_cuda_when_available():
    trainer = d2l.Trainer(max_epochs=1, num_gpus=1)
    expected = [d2l.gpu(0)] if ft.cuda.is_available() else []
    assert trainer.gpus == expected
    model = d2l.SoftmaxRegression(num_outputs=4, lr=0.1)
    trainer.fit(model, Blobs(num_train=64, num_val=32))
    assert all(p.device == (expected[0] if expected else d2l.cpu()) for p in model.parameters())


# --- the Fashion-MNIST data module ----------------------------------------------------------------------


def test_fashion_mnist_data_module(tmp_path, isolated):
    write_fashion_like(tmp_path / "data", n_train=100, n_val=50)
    data = d2l.FashionMNIST(batch_size=16, resize=(32, 32), root=str(tmp_path / "data"))
    assert (len(data.train), len(data.val)) == (100, 50)
    assert data.train[0][0].shape == (1, 32, 32)
    X, y = next(iter(data.train_dataloader()))
    assert X.shape == (16, 1, 32, 32) and X.dtype == ft.float32 and y.dtype == ft.int64
    assert data.text_labels([0, 9, ft.tensor(3)]) == ["t-shirt", "ankle boot", "dress"]
    data.visualize(next(iter(data.val_dataloader())))
    assert pngs(isolated) == ["images-1.png"]
    same = d2l.FashionMNIST(batch_size=16, root=str(tmp_path / "data"))
    assert same.train[0][0].shape == (1, 28, 28)


def test_resize_images_rounds_as_pil():
    # PIL's passes (width, then height) each round half up in fixed point: 0.5 -> 1, 1.5 -> 2, 2.5 -> 3
    # (one float pass rounded half to even gave [0, 0, 2, 2] on the first row).
    out = d2l.resize_images(ft.tensor([[[0, 2], [2, 4]]], dtype=ft.uint8), (4, 4))
    assert out.dtype == ft.uint8
    assert out[0].tolist() == [[0, 1, 2, 2], [1, 2, 3, 3], [2, 3, 4, 4], [2, 3, 4, 4]]
    flat = d2l.resize_images(ft.full((3, 28, 28), 77, dtype=ft.uint8), 32)
    assert flat.shape == (3, 32, 32) and bool((flat == 77).all())


def test_resize_images_equals_pil_for_the_books_sizes():
    pil = pytest.importorskip("PIL.Image", reason="Pillow (the reference for torchvision's Resize) is not installed")
    rng = np.random.default_rng(5)
    images = rng.integers(0, 256, (6, 28, 28), dtype=np.uint8)
    images[:, 3:9, 10:20] = 255  # flat and saturated regions
    for size in (32, 64, 96, 224, 20, 14, 7):
        want = np.stack([np.array(pil.fromarray(im).resize((size, size), pil.BILINEAR)) for im in images])
        np.testing.assert_array_equal(d2l.resize_images(ft.tensor(images), size).numpy(), want)


def test_fashion_mnist_missing_says_what_and_how_in_one_line(tmp_path, monkeypatch):
    monkeypatch.setattr(FashionMNISTDataset, "mirrors", ["http://127.0.0.1:9/"])
    with pytest.raises(RuntimeError) as info:
        d2l.FashionMNIST(root=str(tmp_path / "nowhere"))
    message = str(info.value)
    assert "\n" not in message and "train-images-idx3-ubyte" in message and "downloading them failed" in message
    assert "pass download=True" not in message  # it was True: what is left is copying the files
    assert str(tmp_path / "nowhere" / "FashionMNIST" / "raw") in message
    with pytest.raises(RuntimeError, match="pass download=True") as info:
        d2l.FashionMNIST(root=str(tmp_path / "nowhere"), download=False)
    assert "\n" not in str(info.value)


# --- the seed notes, chapters 3-5 -------------------------------------------------------------------------

# Each block is the notes' code with `import fasttensor as torch`, `from fasttensor import d2l` and
# `from fasttensor import nn`. Changes, each marked `# changed:` — typos fixed (the notes' "/ W" and
# stray lines in Module.plot, the optimizer step outside no_grad, visualize calling itself, "Wn" for
# "\n", nn.Linear(num_hidden) for nn.LazyLinear), notebook outputs printed, fewer epochs, and a
# Fashion-MNIST stand-in (the notes' version reads it with torchvision) on IDX files at ../data.
SEED_BLOCKS = [
    ("3.1.2 vectorization", """
import math
import time
import numpy as np
import fasttensor as torch
from fasttensor import nn
from fasttensor import d2l

n = 10000
a = torch.ones(n)
b = torch.ones(n)
c = torch.zeros(n)
t = time.time()
for i in range(n):
    c[i] = a[i] + b[i]
f'{time.time() - t:.5f} sec'
t = time.time()
d = a + b
f'{time.time() - t:.5f} sec'
print(c.sum(), d.sum())
"""),
    ("3.1.3 normal distribution", """
def normal(x, mu, sigma):
    p = 1 / math.sqrt(2*math.pi*sigma**2)
    return p*np.exp(-0.5 * (x-mu)**2 / sigma**2)

x = np.arange(-7, 7, 0.01)
params = [(0, 1), (0, 2), (3, 1)]
d2l.plot(x, [normal(x, mu, sigma) for mu, sigma in params], xlabel='x',
        ylabel='p(x)', figsize=(4.5, 2.5),
        legend=[f'mean {mu}, std {sigma}' for mu, sigma in params])
"""),
    ("3.2.1 utilities", """
def add_to_class(Class):
    \"\"\"Register functions as methods in created class.\"\"\"
    def wrapper(obj):
        setattr(Class, obj.__name__, obj)
    return wrapper

class A:
    def __init__(self):
        self.b = 1

a = A()

@add_to_class(A)
def do(self):
    print('Class attribute "b" is', self.b)

a.do()

class B(d2l.HyperParameters):
    def __init__(self, a, b, c):
        self.save_hyperparameters(ignore=['c'])
        print('self.a =', self.a, 'self.b =', self.b)
        print('There is no self.c =', not hasattr(self, 'c'))

b = B(a=1, b=2, c=3)

board = d2l.ProgressBoard('x')
for x in np.arange(0, 10, 0.1):
    board.draw(x, np.sin(x), 'sin', every_n=2)
    board.draw(x, np.cos(x), 'cos', every_n=10)
"""),
    ("3.2.2-3.2.4 Module, DataModule, Trainer", """
class Module(nn.Module, d2l.HyperParameters):
    \"\"\"The base class of models.\"\"\"
    def __init__(self, plot_train_per_epoch=2, plot_valid_per_epoch=1):
        super().__init__()
        self.save_hyperparameters()
        self.board = d2l.ProgressBoard()

    def loss(self, y_hat, y):
        raise NotImplementedError

    def forward(self, X):
        assert hasattr(self, 'net'), 'Neural network is defined'
        return self.net(X)

    def plot(self, key, value, train):
        \"\"\"Plot a point in animation.\"\"\"
        assert hasattr(self, 'trainer'), 'Trainer is not initied'
        self.board.xlabel = 'epoch'
        if train:
            x = self.trainer.train_batch_idx / \\
                self.trainer.num_train_batches  # changed: "/ W" typo
            n = self.trainer.num_train_batches / \\
                self.plot_train_per_epoch  # changed: "/ W" typo
        else:
            x = self.trainer.epoch + 1
            n = self.trainer.num_val_batches / \\
                self.plot_valid_per_epoch  # changed: "/ W" typo
        self.board.draw(x, value.to(d2l.cpu()).detach().numpy(),
                        ('train_' if train else 'val_') + key,
                        every_n=int(n))

    def training_step(self, batch):
        l = self.loss(self(*batch[:-1]), batch[-1])
        self.plot('loss', l, train=True)
        return l

    def validation_step(self, batch):
        l = self.loss(self(*batch[:-1]), batch[-1])
        self.plot('loss', l, train=False)

    def configure_optimizers(self):
        raise NotImplementedError

class DataModule(d2l.HyperParameters):
    \"\"\"The base class of data.\"\"\"
    def __init__(self, root='../data', num_workers=4):
        self.save_hyperparameters()

    def get_dataloader(self, train):
        raise NotImplementedError

    def train_dataloader(self):
        return self.get_dataloader(train=True)

    def val_dataloader(self):
        return self.get_dataloader(train=False)

class Trainer(d2l.HyperParameters):
    \"\"\"The base class for training models with data.\"\"\"
    def __init__(self, max_epochs, num_gpus=0, gradient_clip_val=0):
        self.save_hyperparameters()
        assert num_gpus == 0, 'No GPU support yet'

    def prepare_data(self, data):
        self.train_dataloader = data.train_dataloader()
        self.val_dataloader = data.val_dataloader()
        self.num_train_batches = len(self.train_dataloader)
        self.num_val_batches = (len(self.val_dataloader)
                                if self.val_dataloader is not None else 0)

    def prepare_model(self, model):
        model.trainer = self
        model.board.xlim = [0, self.max_epochs]
        self.model = model

    def fit(self, model, data):
        self.prepare_data(data)
        self.prepare_model(model)
        self.optim = model.configure_optimizers()
        self.epoch = 0
        self.train_batch_idx = 0
        self.val_batch_idx = 0
        for self.epoch in range(self.max_epochs):
            self.fit_epoch()

    def fit_epoch(self):
        raise NotImplementedError
"""),
    ("3.4 linear regression from scratch", """
class LinearRegressionScratch(d2l.Module):
    \"\"\"The linear regression model implemented from scratch.\"\"\"
    def __init__(self, num_inputs, lr, sigma=0.01):
        super().__init__()
        self.save_hyperparameters()
        self.w = torch.normal(0, sigma, (num_inputs, 1), requires_grad=True)
        self.b = torch.zeros(1, requires_grad=True)

@d2l.add_to_class(LinearRegressionScratch)
def forward(self, X):
    return torch.matmul(X, self.w) + self.b

@d2l.add_to_class(LinearRegressionScratch)
def loss(self, y_hat, y):
    l = (y_hat - y) ** 2 / 2
    return l.mean()

class SGD(d2l.HyperParameters):
    \"\"\"Minibatch stochastic gradient descent.\"\"\"
    def __init__(self, params, lr):
        self.save_hyperparameters()

    def step(self):
        for param in self.params:
            param -= self.lr * param.grad

    def zero_grad(self):
        for param in self.params:
            if param.grad is not None:
                param.grad.zero_()

@d2l.add_to_class(LinearRegressionScratch)
def configure_optimizers(self):
    return SGD([self.w, self.b], self.lr)

@d2l.add_to_class(d2l.Trainer)
def prepare_batch(self, batch):
    return batch

@d2l.add_to_class(d2l.Trainer)
def fit_epoch(self):
    self.model.train()
    for batch in self.train_dataloader:
        loss = self.model.training_step(self.prepare_batch(batch))
        self.optim.zero_grad()
        with torch.no_grad():
            loss.backward()
            if self.gradient_clip_val > 0: # To be discussed later
                self.clip_gradients(self.gradient_clip_val, self.model)
            self.optim.step()  # changed: inside no_grad, as in the book
        self.train_batch_idx += 1
    if self.val_dataloader is None:
        return
    self.model.eval()
    for batch in self.val_dataloader:
        with torch.no_grad():
            self.model.validation_step(self.prepare_batch(batch))
        self.val_batch_idx += 1

model = LinearRegressionScratch(2, lr=0.03)
data = d2l.SyntheticRegressionData(w=torch.tensor([2, -3.4]), b=4.2)
trainer = d2l.Trainer(max_epochs=3)
trainer.fit(model, data)

with torch.no_grad():
    print(f'error in estimating w: {data.w - model.w.reshape(data.w.shape)}')
    print(f'error in estimating b: {data.b - model.b}')
"""),
    ("3.2 the notes' own Module and Trainer classes", """
# changed: not in the notes — runs the notes' own base classes (3.2.2-3.2.4) once, with the 3.4 fit_epoch.
add_to_class(Trainer)(d2l.Trainer.fit_epoch)  # the 3.4 versions (the decorator left None behind)
add_to_class(Trainer)(d2l.Trainer.prepare_batch)

class OwnLinearRegression(Module):
    def __init__(self, lr):
        super().__init__()
        self.save_hyperparameters()
        self.w = torch.normal(0, 0.01, (2, 1), requires_grad=True)
        self.b = torch.zeros(1, requires_grad=True)

    def forward(self, X):
        return torch.matmul(X, self.w) + self.b

    def loss(self, y_hat, y):
        return ((y_hat - y) ** 2 / 2).mean()

    def configure_optimizers(self):
        return SGD([self.w, self.b], self.lr)

own = OwnLinearRegression(lr=0.03)
Trainer(max_epochs=3).fit(own, data)
print('own classes trained:', float(((own.w.reshape(-1) - data.w) ** 2).sum()) < 0.1)
"""),
    ("4.2 the image classification dataset", """
import time

d2l.use_svg_display()

class FashionMNIST(d2l.FashionMNIST):  # changed: a stand-in for the notes' torchvision-based class
    \"\"\"The Fashion-MNIST dataset.\"\"\"
    def __init__(self, batch_size=64, resize=(28, 28)):
        super().__init__(batch_size=batch_size, resize=resize)

data = FashionMNIST(resize=(32, 32))
print(len(data.train), len(data.val))  # changed: printed (a notebook output)
print(data.train[0][0].shape)

@d2l.add_to_class(FashionMNIST)
def text_labels(self, indices):
    \"\"\"Return text labels.\"\"\"
    labels = ['t-shirt', 'trouser', 'pullover', 'dress', 'coat',
              'sandal', 'shirt', 'sneaker', 'bag', 'ankle boot']
    return [labels[int(i)] for i in indices]

@d2l.add_to_class(FashionMNIST)
def get_dataloader(self, train):
    data = self.train if train else self.val
    return torch.utils.data.DataLoader(data, self.batch_size, shuffle=train,
                                       num_workers=self.num_workers)

X, y = next(iter(data.train_dataloader()))
print(X.shape, X.dtype, y.shape, y.dtype)

tic = time.time()
for X, y in data.train_dataloader():
    continue
f'{time.time() - tic:.2f} sec'

@d2l.add_to_class(FashionMNIST)
def visualize(self, batch, nrows=1, ncols=8, labels=[]):
    X, y = batch
    if not labels:
        labels = self.text_labels(y)
    d2l.show_images(X.squeeze(1), nrows, ncols, titles=labels)

batch = next(iter(data.val_dataloader()))  # changed: dedented (it recursed inside visualize)
data.visualize(batch)
"""),
    ("4.3 the base classification model", """
class Classifier(d2l.Module):
    \"\"\"The base class of classification models.\"\"\"
    def validation_step(self, batch):
        Y_hat = self(*batch[:-1])
        self.plot('loss', self.loss(Y_hat, batch[-1]), train=False)
        self.plot('acc', self.accuracy(Y_hat, batch[-1]), train=False)

@d2l.add_to_class(d2l.Module)
def configure_optimizers(self):
    return torch.optim.SGD(self.parameters(), lr=self.lr)

@d2l.add_to_class(Classifier)
def accuracy(self, Y_hat, Y, averaged=True):
    \"\"\"Compute the number of correct predictions.\"\"\"
    Y_hat = Y_hat.reshape((-1, Y_hat.shape[-1]))
    preds = Y_hat.argmax(axis=1).type(Y.dtype)
    compare = (preds == Y.reshape(-1)).type(torch.float32)
    return compare.mean() if averaged else compare
"""),
    ("4.4 softmax regression from scratch", """
X = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
print(X.sum(0, keepdims=True), X.sum(1, keepdims=True))

def softmax(X):
    X_exp = torch.exp(X)
    partition = X_exp.sum(1, keepdims=True)
    return X_exp / partition

X = torch.rand((2,5))
X_prob = softmax(X)
print(X_prob.sum(1))

class SoftmaxRegressionScratch(d2l.Classifier):
    def __init__(self, num_inputs, num_outputs, lr, sigma=0.01):
        super().__init__()
        self.save_hyperparameters()
        self.W = torch.normal(0, sigma, size=(num_inputs, num_outputs),
                               requires_grad=True)
        self.b = torch.zeros(num_outputs, requires_grad=True)

    def parameters(self):
        return [self.W, self.b]

@d2l.add_to_class(SoftmaxRegressionScratch)
def forward(self, X):
    X = X.reshape((-1, self.W.shape[0]))
    return softmax(torch.matmul(X, self.W) + self.b)

y = torch.tensor([0, 2])
y_hat = torch.tensor([[0.1, 0.3, 0.6], [0.3, 0.2, 0.5]])
print(y_hat[[0, 1], y])

def cross_entropy(y_hat, y):
    return -torch.log(y_hat[list(range(len(y_hat))), y]).mean()

print(cross_entropy(y_hat, y))

@d2l.add_to_class(SoftmaxRegressionScratch)
def loss(self, y_hat, y):
    return cross_entropy(y_hat, y)

data = d2l.FashionMNIST(batch_size=256)
model = SoftmaxRegressionScratch(num_inputs=784, num_outputs=10, lr=0.1)
trainer = d2l.Trainer(max_epochs=3)  # changed: 3 epochs, not 10
trainer.fit(model, data)

X, y = next(iter(data.val_dataloader()))
preds = model(X).argmax(axis=1)
print(preds.shape)

wrong = preds.type(y.dtype) != y
X, y, preds = X[wrong], y[wrong], preds[wrong]
labels = [a+'\\n'+b for a, b in zip(
    data.text_labels(y), data.text_labels(preds))]  # changed: 'Wn' typo
data.visualize([X, y], labels=labels)
with torch.no_grad():
    X, y = next(iter(data.val_dataloader()))
    print('softmax scratch accuracy', float(model.accuracy(model(X), y)))  # changed: printed
"""),
    ("5.1 activation functions", """
x = torch.arange(-8.0, 8.0, 0.1, requires_grad=True)
y = torch.relu(x)
d2l.plot(x.detach(), y.detach(), 'x', 'relu(x)', figsize=(5, 2.5))
y.backward(torch.ones_like(x), retain_graph=True)
d2l.plot(x.detach(), x.grad, 'x', 'grad of relu', figsize=(5, 2.5))

y = torch.sigmoid(x)
d2l.plot(x.detach(), y.detach(), 'x', 'sigmoid(x)', figsize=(5, 2.5))
# Clear out previous gradients
x.grad.data.zero_()
y.backward(torch.ones_like(x), retain_graph=True)
d2l.plot(x.detach(), x.grad, 'x', 'grad of sigmoid', figsize=(5, 2.5))
print('max sigmoid grad', float(x.grad.max()))  # changed: printed

y = torch.tanh(x)
d2l.plot(x.detach(), y.detach(), 'x', 'tanh(x)', figsize=(5, 2.5))
# Clear out previous gradients
x.grad.data.zero_()
y.backward(torch.ones_like(x), retain_graph=True)
d2l.plot(x.detach(), x.grad, 'x', 'grad of tanh', figsize=(5, 2.5))
print('max tanh grad', float(x.grad.max()))  # changed: printed
"""),
    ("5.2 implementation of multilayer perceptrons", """
class MLPScratch(d2l.Classifier):
    def __init__(self, num_inputs, num_outputs, num_hiddens, lr, sigma=0.01):
        super().__init__()
        self.save_hyperparameters()
        self.W1 = nn.Parameter(torch.randn(num_inputs, num_hiddens) * sigma)
        self.b1 = nn.Parameter(torch.zeros(num_hiddens))
        self.W2 = nn.Parameter(torch.randn(num_hiddens, num_outputs) * sigma)
        self.b2 = nn.Parameter(torch.zeros(num_outputs))

def relu(X):
    a = torch.zeros_like(X)
    return torch.max(X, a)

@d2l.add_to_class(MLPScratch)
def forward(self, X):
    X = X.reshape((-1, self.num_inputs))
    H = relu(torch.matmul(X, self.W1) + self.b1)
    return torch.matmul(H, self.W2) + self.b2

model = MLPScratch(num_inputs=784, num_outputs=10, num_hiddens=256, lr=0.1)
data = d2l.FashionMNIST(batch_size=256)
trainer = d2l.Trainer(max_epochs=3)  # changed: 3 epochs, not 10
trainer.fit(model, data)
print('mlp scratch parameters', len(list(model.parameters())))  # changed: printed

class MLP(d2l.Classifier):
    def __init__(self, num_outputs, num_hidden, lr):
        super().__init__()
        self.save_hyperparameters()
        self.net = nn.Sequential(nn.Flatten(), nn.LazyLinear(num_hidden),
                                 nn.ReLU(), nn.LazyLinear(num_outputs))  # changed: nn.Linear(n) typo

model = MLP(num_outputs=10, num_hidden=256, lr=0.1)
trainer.fit(model, data)
print(model)  # changed: printed
with torch.no_grad():
    X, y = next(iter(data.val_dataloader()))
    print('mlp accuracy', float(model.accuracy(model(X), y)))  # changed: printed
"""),
]


def test_seed_notes_chapters_3_to_5_run_end_to_end(tmp_path, isolated):
    write_fashion_like(tmp_path / "data")  # the notes' default root: ../data from the working folder
    namespace: dict = {"__name__": "seed_notes"}
    out = io.StringIO()
    for title, code in SEED_BLOCKS:
        with contextlib.redirect_stdout(out):
            try:
                exec(compile(textwrap.dedent(code), f"<seed {title}>", "exec"), namespace)
            except Exception as e:  # name the block that failed
                raise AssertionError(f"seed block {title!r} failed: {type(e).__name__}: {e}") from e
    lines = out.getvalue().splitlines()
    text = out.getvalue()
    assert "tensor(20000.) tensor(20000.)" in lines
    assert 'Class attribute "b" is 1' in lines
    assert "self.a = 1 self.b = 2" in lines and "There is no self.c = True" in lines
    assert any(line.startswith("error in estimating w: tensor([") for line in lines)
    assert any(line.startswith("error in estimating b: tensor([") for line in lines)
    assert "own classes trained: True" in lines
    assert "600 300" in lines and "fasttensor.Size([1, 32, 32])" in lines
    assert "fasttensor.Size([64, 1, 32, 32]) fasttensor.float32 fasttensor.Size([64]) fasttensor.int64" in lines
    assert "tensor([[5., 7., 9.]]) tensor([[ 6.],\n        [15.]])" in text
    assert "tensor([1., 1.])" in lines or "tensor([1.0000, 1.0000])" in lines
    assert "tensor([0.1000, 0.5000])" in lines and "tensor(1.4979)" in lines
    assert "fasttensor.Size([256])" in lines
    assert "max sigmoid grad 0.25" in lines and "max tanh grad 1.0" in lines
    assert "mlp scratch parameters 4" in lines
    assert ("Linear(in_features=784, out_features=256, bias=True)" in text
            and "Linear(in_features=256, out_features=10, bias=True)" in text)
    accuracies = {line.split(" accuracy ")[0]: float(line.split()[-1]) for line in lines if " accuracy " in line}
    assert accuracies["softmax scratch"] > 0.9 and accuracies["mlp"] > 0.9
    assert error_within(lines, "w", 0.5) and error_within(lines, "b", 0.5)
    figures = pngs(isolated)
    assert "progress.png" in figures and len([f for f in figures if f.startswith("plot-")]) == 7
    assert len([f for f in figures if f.startswith("progress")]) >= 5  # the sin/cos board and each model's
    assert len([f for f in figures if f.startswith("images-")]) == 2


def error_within(lines, name: str, bound: float) -> bool:
    line = next(line for line in lines if line.startswith(f"error in estimating {name}: tensor(["))
    values = [float(v) for v in line.split("[")[1].split("]")[0].split(",")]
    return all(abs(v) < bound for v in values)


# --- d2l.download / extract / KaggleHouse (section 5.7), against a local server -----------------------

@pytest.fixture
def file_server():
    with FileServer({}) as served:
        yield served, served.url


def test_download_caches_by_sha1_and_refuses_a_wrong_file(file_server, capsys):
    import hashlib

    handler, url = file_server
    body = b"a,b\n1,2\n"
    handler.files["table.csv"] = body
    sha1 = hashlib.sha1(body).hexdigest()
    path = d2l.download(url + "table.csv", "data", sha1_hash=sha1)
    assert path == os.path.join("data", "table.csv") and open(path, "rb").read() == body
    assert "Downloading" in capsys.readouterr().out
    assert d2l.download(url + "table.csv", "data", sha1_hash=sha1) == path  # the copy there is used
    assert handler.requests == ["table.csv"]
    d2l.DATA_HUB["table"] = (url + "table.csv", sha1)
    assert d2l.download("table", "data") == path and handler.requests == ["table.csv"]
    del d2l.DATA_HUB["table"]
    handler.files["table.csv"] = b"tampered\n"
    with pytest.raises(RuntimeError, match="checksum mismatch .* expected SHA1 " + sha1):
        d2l.download(url + "table.csv", "other", sha1_hash=sha1)
    assert os.listdir("other") == []  # nothing half-written left
    with pytest.raises(RuntimeError, match="failed to download .*missing.csv"):
        d2l.download(url + "missing.csv", "data")


def test_extract_unpacks_zip_and_tar(tmp_path):
    import tarfile
    import zipfile

    with zipfile.ZipFile("a.zip", "w") as z:
        z.writestr("inside/x.txt", "zip")
    with tarfile.open("b.tar.gz", "w:gz") as t:
        (tmp_path / "y.txt").write_text("tar")
        t.add(tmp_path / "y.txt", arcname="y.txt")
    d2l.extract("a.zip", "out")
    d2l.extract(os.path.abspath("b.tar.gz"))
    assert open("out/inside/x.txt").read() == "zip" and open("y.txt").read() == "tar"
    with pytest.raises(ValueError, match="not a .zip, .tar or .gz archive"):
        d2l.extract("c.rar")


def _house_frames(rng, n, with_price):
    import pandas as pd

    frame = pd.DataFrame({
        "Id": np.arange(1, n + 1),
        "LotArea": rng.integers(2000, 20000, n).astype(float),
        "YearBuilt": rng.integers(1900, 2010, n).astype(float),
        "Street": rng.choice(["Pave", "Grvl", None], n),
    })
    frame.loc[::7, "LotArea"] = np.nan
    if with_price:
        frame["SalePrice"] = (50 * frame["LotArea"].fillna(8000) + 900 * (frame["YearBuilt"] - 1900)
                              + rng.normal(0, 5000, n))
    return frame


def test_kaggle_house_preprocesses_and_trains(monkeypatch):
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(0)
    train, test = _house_frames(rng, 300, True), _house_frames(rng, 120, False)
    train.to_csv("train.csv", index=False)
    test.to_csv("test.csv", index=False)
    fetched = []

    def local(url, folder="../data", sha1_hash=None):
        fetched.append((url.rsplit("/", 1)[1], sha1_hash))
        return "train.csv" if "train" in url else "test.csv"

    monkeypatch.setattr(d2l, "download", local)
    data = d2l.KaggleHouse(batch_size=64)
    assert [name for name, _ in fetched] == ["kaggle_house_pred_train.csv", "kaggle_house_pred_test.csv"]
    assert all(len(h) == 40 for _, h in fetched) and data.raw_train.shape == (300, 5)
    data.preprocess()
    # numeric columns standardized over train and test together, NaN -> 0; Street one-hot with a NaN column
    both = pd.concat((train.drop(columns=["Id", "SalePrice"]), test.drop(columns=["Id"])))
    lot = (both["LotArea"] - both["LotArea"].mean()) / both["LotArea"].std()
    np.testing.assert_allclose(data.train["LotArea"].to_numpy(), lot.fillna(0).to_numpy()[:300])
    assert {"Street_Pave", "Street_Grvl", "Street_nan"} <= set(data.train.columns)
    assert data.val.shape[0] == 120 and "SalePrice" not in data.val
    X, y = next(iter(data.train_dataloader()))
    assert X.dtype == ft.float32 and tuple(X.shape) == (64, data.train.shape[1] - 1) and tuple(y.shape) == (64, 1)
    every_y = np.concatenate([arr(yb).ravel() for _, yb in data.train_dataloader()])  # one shuffled pass: log prices
    np.testing.assert_allclose(np.sort(every_y), np.sort(np.log(train["SalePrice"].to_numpy()).astype(np.float32)),
                               rtol=1e-6)
    assert data.val_dataloader() is None  # the test rows have no price
    model = d2l.LinearRegression(lr=0.01)
    trainer = d2l.Trainer(max_epochs=3)
    model.board.display = False
    trainer.fit(model, data)
    w, b = model.get_w_b()
    assert np.isfinite(arr(w)).all() and np.isfinite(arr(b)).all()
