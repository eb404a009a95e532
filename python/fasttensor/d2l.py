"""The framework of "Dive into Deep Learning" (chapters 3-5) on fasttensor.

``from fasttensor import d2l`` gives what ``from d2l import torch as d2l``
gives the book's code: HyperParameters, ProgressBoard, Module, Classifier,
DataModule, Trainer, the data modules (SyntheticRegressionData, FashionMNIST,
KaggleHouse) and the models of chapters 3-5, plus plot/show_images, device
helpers and download/extract (SHA-1-checked, cached), and the D2L library's
helpers from before its 1.0 framework (load_array, synthetic_data, sgd,
accuracy, evaluate_accuracy_gpu, Animator, ...), behaving as d2l 1.0.3 does.

Figures: in Jupyter they are shown live, as in the book. Elsewhere they are
written as PNG files (matplotlib's Agg renderer; no window ever opens) in
$FASTTENSOR_PLOT_DIR or the current directory. Without matplotlib, drawing
is a no-op announced by one warning.

Fashion-MNIST is read from the IDX files under ``root`` (torchvision's
layout); when they are missing it is downloaded if possible, otherwise a
one-line error says what is missing and how to get it.
"""

from __future__ import annotations

import atexit
import collections
import hashlib
import inspect
import io
import math
import os
import sys
import tarfile
import time
import warnings
import weakref
import zipfile
from typing import Any, Callable, Optional, Sequence

import numpy as np

from . import _C, cuda, nn, optim
from ._creation import normal, randn, tensor, zeros
from .autograd import no_grad
from .datasets import fashion_mnist as _fashion_mnist
from .datasets._download import download_file as _download_file
from .nn import functional as F
from .utils.data import DataLoader, TensorDataset

Tensor = _C.Tensor

d2l = sys.modules[__name__]

# --- devices ---------------------------------------------------------------------------------


def cpu():
    """The CPU device."""
    return _C.device("cpu")


def gpu(i: int = 0):
    """The i-th CUDA device."""
    return _C.device(f"cuda:{i}")


def num_gpus() -> int:
    """How many CUDA devices are visible (0 without a GPU or a CUDA build)."""
    return cuda.device_count()


def try_gpu(i: int = 0):
    """gpu(i) if it exists, else cpu()."""
    return gpu(i) if num_gpus() >= i + 1 else cpu()


def try_all_gpus() -> list:
    """All CUDA devices; as in the D2L library (1.0.3), an empty list without a GPU (its docstring's
    [cpu()] is not what its code returns)."""
    return [gpu(i) for i in range(num_gpus())]


# --- figures: live in Jupyter, PNG files elsewhere ----------------------------------------------

_figure_format = "png"
_warned_no_matplotlib = False
_announced_plot_dir = False
_figure_counts: collections.Counter = collections.Counter()


def _matplotlib():
    """matplotlib's Figure class, or None (warning once) when matplotlib is not installed."""
    global _warned_no_matplotlib
    try:
        from matplotlib.figure import Figure
    except ImportError:
        if not _warned_no_matplotlib:
            _warned_no_matplotlib = True
            warnings.warn("matplotlib is not installed: fasttensor.d2l draws nothing "
                          "(pip install 'fasttensor[plot]')", stacklevel=3)
        return None
    return Figure


def _in_jupyter() -> bool:
    shell = sys.modules.get("IPython") and sys.modules["IPython"].get_ipython()
    return shell is not None and "IPKernelApp" in getattr(shell, "config", {})


def _plot_dir() -> str:
    global _announced_plot_dir
    folder = os.environ.get("FASTTENSOR_PLOT_DIR", os.getcwd())
    os.makedirs(folder, exist_ok=True)
    if not _announced_plot_dir:
        _announced_plot_dir = True
        print(f"fasttensor.d2l: not in Jupyter, so figures are saved as PNG files in {folder} "
              "(set FASTTENSOR_PLOT_DIR to choose the folder)", file=sys.stderr)
    return folder


def _display_in_jupyter(fig, animate: bool = False) -> None:
    """Shows ``fig`` in the cell's output; ``animate``: the next frame replaces it (ProgressBoard)."""
    from IPython import display

    buffer = io.BytesIO()
    fig.savefig(buffer, format=_figure_format, bbox_inches="tight")
    image = display.SVG(buffer.getvalue()) if _figure_format == "svg" else display.Image(buffer.getvalue())
    display.display(image)
    if animate:
        display.clear_output(wait=True)


def _show(fig, name: str) -> Optional[str]:
    """Shows ``fig`` inline in Jupyter, or saves it as <plot dir>/<name>-<n>.png; returns the path."""
    if _in_jupyter():
        _display_in_jupyter(fig)
        return None
    folder = _plot_dir()
    _figure_counts[folder, name] += 1
    path = os.path.join(folder, f"{name}-{_figure_counts[folder, name]}.png")
    fig.savefig(path, bbox_inches="tight")
    return path


def use_svg_display() -> None:
    """Show figures as SVG in Jupyter (PNG files are written elsewhere either way)."""
    global _figure_format
    _figure_format = "svg"


def set_figsize(figsize=(3.5, 2.5)) -> None:
    """The size of pyplot's figures (d2l.plt, as section 2.6 draws); d2l.plot takes its own figsize."""
    use_svg_display()
    try:
        import matplotlib
    except ImportError:
        return
    matplotlib.rcParams["figure.figsize"] = figsize


# Modules the D2L library imports that the book's code reaches through it (d2l.plt, d2l.torch,
# d2l.pd, ...), imported on first use: the optional ones are fasttensor's extras, not requirements.
_LAZY_MODULES = {
    "plt": ("matplotlib.pyplot", None, "matplotlib (pip install 'fasttensor[plot]')"),
    "display": ("IPython.display", None, "IPython"),
    "pd": ("pandas", None, "pandas"),
    "Image": ("PIL.Image", None, "Pillow"),
    "torchvision": ("fasttensor.torchvision", None, None),
    "transforms": ("fasttensor.torchvision.transforms", None, None),
}


def __getattr__(name: str):
    if name in _LAZY_MODULES:
        import importlib

        module_name, _, needs = _LAZY_MODULES[name]
        try:
            return importlib.import_module(module_name)
        except ImportError as e:
            raise AttributeError(f"fasttensor.d2l.{name} needs {needs}") from e
    raise AttributeError(f"module 'fasttensor.d2l' has no attribute '{name}'")


def set_axes(axes, xlabel, ylabel, xlim, ylim, xscale, yscale, legend) -> None:
    """Labels, limits, scales, legend and grid of a matplotlib Axes."""
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    axes.set_xscale(xscale)
    axes.set_yscale(yscale)
    axes.set_xlim(xlim)
    axes.set_ylim(ylim)
    if legend:
        axes.legend(legend)
    axes.grid()


def _host(value: Any) -> Any:
    """Tensors → NumPy arrays (detached, on the CPU); anything else unchanged."""
    return value.detach().cpu().numpy() if isinstance(value, Tensor) else value


def plot(X, Y=None, xlabel=None, ylabel=None, legend=[], xlim=None, ylim=None, xscale="linear",  # noqa: B006
         yscale="linear", fmts=("-", "m--", "g-.", "r:"), figsize=(3.5, 2.5), axes=None):
    """Plots one or several curves (the book's d2l.plot; like it, returns None, so a notebook cell
    ending with it shows only the figure). Pass `axes` to draw into an Axes of your own."""
    Figure = _matplotlib()
    if Figure is None:
        return None
    legend = [] if legend is None else legend

    def has_one_axis(v) -> bool:
        return (hasattr(v, "ndim") and v.ndim == 1) or (isinstance(v, list) and not hasattr(v[0], "__len__"))

    if has_one_axis(X):
        X = [X]
    if Y is None:
        X, Y = [[]] * len(X), X
    elif has_one_axis(Y):
        Y = [Y]
    if len(X) != len(Y):
        X = X * len(Y)
    fig = axes.figure if axes is not None else Figure(figsize=figsize)
    axes = axes if axes is not None else fig.add_subplot()
    axes.cla()
    for x, y, fmt in zip(X, Y, fmts):
        x, y = _host(x), _host(y)
        if len(x):
            axes.plot(x, y, fmt)
        else:
            axes.plot(y, fmt)
    set_axes(axes, xlabel, ylabel, xlim, ylim, xscale, yscale, legend)
    _show(fig, "plot")


def show_images(imgs, num_rows: int, num_cols: int, titles=None, scale: float = 1.5):
    """Shows images (tensors or arrays of shape (H, W)) in a grid with optional titles."""
    Figure = _matplotlib()
    if Figure is None:
        return None
    fig = Figure(figsize=(num_cols * scale, num_rows * scale))
    axes = np.array(fig.subplots(num_rows, num_cols), dtype=object).flatten()
    for i, (ax, img) in enumerate(zip(axes, imgs)):
        ax.imshow(_host(img))
        ax.axes.get_xaxis().set_visible(False)
        ax.axes.get_yaxis().set_visible(False)
        if titles:
            ax.set_title(titles[i])
    _show(fig, "images")
    return axes


# --- utilities -----------------------------------------------------------------------------------


def add_to_class(Class: type) -> Callable:
    """Decorator: registers the function as a method of an existing class."""

    def wrapper(obj):
        setattr(Class, obj.__name__, obj)

    return wrapper


class Timer:
    """Records running times: start(), then stop() appends the seconds since start (and returns them)."""

    def __init__(self):
        self.times: list = []
        self.start()

    def start(self) -> None:
        self.tik = time.time()

    def stop(self) -> float:
        self.times.append(time.time() - self.tik)
        return self.times[-1]

    def avg(self) -> float:
        return sum(self.times) / len(self.times)

    def sum(self) -> float:
        return sum(self.times)

    def cumsum(self) -> list:
        """The running totals of the recorded times."""
        return np.cumsum(self.times).tolist()


class Accumulator:
    """Sums over n variables: add(a, b, ...) adds to each its value (as a float); acc[i] reads one."""

    def __init__(self, n: int):
        self.data = [0.0] * n

    def add(self, *args) -> None:
        self.data = [total + float(value) for total, value in zip(self.data, args)]

    def reset(self) -> None:
        self.data = [0.0] * len(self.data)

    def __getitem__(self, idx):
        return self.data[idx]


class HyperParameters:
    """Base class whose ``save_hyperparameters`` stores the caller's __init__ arguments as attributes."""

    def save_hyperparameters(self, ignore: Sequence[str] = []) -> None:  # noqa: B006 (the book's; not mutated)
        """Saves every argument of the calling __init__ (except ``ignore``) in self.hparams and as attributes."""
        frame = inspect.currentframe().f_back
        _, _, _, local_vars = inspect.getargvalues(frame)
        skip = set(ignore) | {"self"}
        self.hparams = {k: v for k, v in local_vars.items() if k not in skip and not k.startswith("_")}
        for k, v in self.hparams.items():
            setattr(self, k, v)


class ProgressBoard(HyperParameters):
    """Plots data points as they come, averaging every ``every_n`` points of a curve into one.

    In Jupyter it redraws inline; elsewhere it writes ``save_path`` (default
    <plot dir>/progress.png, then progress-2.png, ... for later boards) at most
    every ``save_every_s`` seconds, after Trainer.fit, and when the program ends.
    """

    def __init__(self, xlabel=None, ylabel=None, xlim=None, ylim=None, xscale="linear", yscale="linear",
                 ls=["-", "--", "-.", ":"], colors=["C0", "C1", "C2", "C3"], fig=None, axes=None,  # noqa: B006
                 figsize=(3.5, 2.5), display=True, save_path: Optional[str] = None, save_every_s: float = 2.0):
        # hparams holds the book's arguments only; where and how often to save are ours.
        self.save_hyperparameters(ignore=["save_path", "save_every_s"])
        self.save_path, self.save_every_s = save_path, save_every_s
        self._last_save = -math.inf
        self._unsaved = False

    def draw(self, x, y, label: str, every_n: int = 1) -> None:
        Point = collections.namedtuple("Point", ["x", "y"])
        if not hasattr(self, "raw_points"):
            self.raw_points = collections.OrderedDict()
            self.data = collections.OrderedDict()
        if label not in self.raw_points:
            self.raw_points[label] = []
            self.data[label] = []
        points = self.raw_points[label]
        points.append(Point(x, y))
        if len(points) != every_n:
            return
        # The book's mean, sum / len, so the stored values keep its types (NumPy scalars from a loss).
        mean = lambda values: sum(values) / len(values)  # noqa: E731
        self.data[label].append(Point(mean([p.x for p in points]), mean([p.y for p in points])))
        points.clear()
        if self.display:
            self._render()

    def _render(self) -> None:
        """Redraws every curve: inline at once in Jupyter, else into the PNG (at most every save_every_s)."""
        if _in_jupyter():
            if self._draw_figure():
                _display_in_jupyter(self.fig, animate=True)
            return
        self._unsaved = True
        if not hasattr(self, "_registered_exit_save"):
            self._registered_exit_save = True
            if self.save_path is None:  # fixed now, so a save at exit lands where the drawing happened
                self.save_path = self._next_default_path()
            atexit.register(_save_board_at_exit, weakref.ref(self))
        if time.monotonic() - self._last_save >= self.save_every_s:
            self.save()

    def _draw_figure(self) -> bool:
        """Draws the curves on the figure (made on first use); False without matplotlib."""
        Figure = _matplotlib()
        if Figure is None:
            return False
        if self.fig is None:
            self.fig = Figure(figsize=self.figsize)
        axes = self.axes if self.axes is not None else (self.fig.axes[0] if self.fig.axes else self.fig.add_subplot())
        axes.cla()
        lines, labels = [], []
        for (label, points), ls, color in zip(self.data.items(), self.ls, self.colors):
            lines.append(axes.plot([_host(p.x) for p in points], [_host(p.y) for p in points], linestyle=ls,
                                   color=color)[0])
            labels.append(label)
        if self.xlim:
            axes.set_xlim(self.xlim)
        if self.ylim:
            axes.set_ylim(self.ylim)
        axes.set_xlabel(self.xlabel)
        axes.set_ylabel(self.ylabel)
        axes.set_xscale(self.xscale)
        axes.set_yscale(self.yscale)
        axes.legend(lines, labels)
        return True

    @staticmethod
    def _next_default_path() -> str:
        """Each board its own file in the plot folder: progress.png, progress-2.png, ..."""
        return _next_numbered_path("progress")

    def save(self, path: Optional[str] = None) -> Optional[str]:
        """Writes the curves as a PNG (when something changed, or to an explicit path); returns the path."""
        if not (self._unsaved or path) or not getattr(self, "data", None) or not self._draw_figure():
            return None
        if path is None:
            if self.save_path is None:
                self.save_path = self._next_default_path()
            path = self.save_path
        self.fig.savefig(path, bbox_inches="tight")
        self._last_save, self._unsaved = time.monotonic(), False
        return path


def _next_numbered_path(name: str) -> str:
    """A new file in the plot folder for a live figure: <name>.png, then <name>-2.png, ..."""
    folder = _plot_dir()
    _figure_counts[folder, name] += 1
    n = _figure_counts[folder, name]
    return os.path.join(folder, f"{name}.png" if n == 1 else f"{name}-{n}.png")


def _save_board_at_exit(board_ref) -> None:
    """Writes a live figure's last points (a ProgressBoard's or an Animator's) when the program ends
    (a vanished folder is not worth a traceback)."""
    board = board_ref()
    if board is not None:
        try:
            board.save()
        except OSError as e:
            print(f"fasttensor.d2l: could not save the progress plot: {e}", file=sys.stderr)


# --- models --------------------------------------------------------------------------------------


class Module(nn.Module, HyperParameters):
    """The base class of models: a network, its loss, and how it trains (training_step,
    validation_step, configure_optimizers), plotting its progress as it goes."""

    def __init__(self, plot_train_per_epoch: int = 2, plot_valid_per_epoch: int = 1):
        super().__init__()
        self.save_hyperparameters()
        self.board = ProgressBoard()

    def loss(self, y_hat, y):
        raise NotImplementedError

    def forward(self, X):
        assert hasattr(self, "net"), "Neural network is defined"
        return self.net(X)

    def plot(self, key: str, value, train: bool) -> None:
        """Plots a point of a training curve (train_<key>) or validation curve (val_<key>)."""
        assert hasattr(self, "trainer"), "Trainer is not inited"
        self.board.xlabel = "epoch"
        if train:
            x = self.trainer.train_batch_idx / self.trainer.num_train_batches
            n = self.trainer.num_train_batches / self.plot_train_per_epoch
        else:
            x = self.trainer.epoch + 1
            n = self.trainer.num_val_batches / self.plot_valid_per_epoch
        self.board.draw(x, value.to(cpu()).detach().numpy(), ("train_" if train else "val_") + key, every_n=int(n))

    def training_step(self, batch):
        l = self.loss(self(*batch[:-1]), batch[-1])
        self.plot("loss", l, train=True)
        return l

    def validation_step(self, batch):
        l = self.loss(self(*batch[:-1]), batch[-1])
        self.plot("loss", l, train=False)

    def configure_optimizers(self):
        return optim.SGD(self.parameters(), lr=self.lr)

    def apply_init(self, inputs, init=None):
        """Runs one forward pass (materialising lazy layers), then applies ``init`` to the net."""
        self.forward(*inputs)
        if init is not None:
            self.net.apply(init)


class Classifier(Module):
    """The base class of classification models: validation reports loss and accuracy."""

    def validation_step(self, batch):
        Y_hat = self(*batch[:-1])
        self.plot("loss", self.loss(Y_hat, batch[-1]), train=False)
        self.plot("acc", self.accuracy(Y_hat, batch[-1]), train=False)

    def accuracy(self, Y_hat, Y, averaged: bool = True):
        """Fraction (or per-example 0/1) of predictions argmax(Y_hat) equal to Y."""
        Y_hat = Y_hat.reshape((-1, Y_hat.shape[-1]))
        preds = Y_hat.argmax(axis=1).type(Y.dtype)
        compare = (preds == Y.reshape(-1)).type(_C.float32)
        return compare.mean() if averaged else compare

    def loss(self, Y_hat, Y, averaged: bool = True):
        Y_hat = Y_hat.reshape((-1, Y_hat.shape[-1]))
        Y = Y.reshape((-1,))
        return F.cross_entropy(Y_hat, Y, reduction="mean" if averaged else "none")

    def layer_summary(self, X_shape):
        """Prints each layer of self.net with the shape of its output for a random input of X_shape."""
        X = randn(*X_shape)
        for layer in self.net:
            X = layer(X)
            print(layer.__class__.__name__, "output shape:\t", X.shape)


class SGD(HyperParameters):
    """Minibatch stochastic gradient descent, from scratch (section 3.4)."""

    def __init__(self, params, lr):
        self.save_hyperparameters()

    def step(self):
        # No no_grad() of its own, as in the book: Trainer.fit_epoch calls it under no_grad(), and
        # outside one the in-place update of a leaf raises autograd's RuntimeError.
        for param in self.params:
            param -= self.lr * param.grad

    def zero_grad(self):
        for param in self.params:
            if param.grad is not None:
                param.grad.zero_()


class LinearRegressionScratch(Module):
    """Linear regression from scratch: w ~ N(0, sigma²), b = 0, squared loss, our SGD."""

    def __init__(self, num_inputs: int, lr: float, sigma: float = 0.01):
        super().__init__()
        self.save_hyperparameters()
        self.w = normal(0, sigma, (num_inputs, 1), requires_grad=True)
        self.b = zeros(1, requires_grad=True)

    def forward(self, X):
        return _C.matmul(X, self.w) + self.b

    def loss(self, y_hat, y):
        l = (y_hat - y) ** 2 / 2
        return l.mean()

    def configure_optimizers(self):
        return SGD([self.w, self.b], self.lr)


class LinearRegression(Module):
    """Linear regression with nn.LazyLinear(1), MSELoss and optim.SGD (section 3.5)."""

    def __init__(self, lr: float):
        super().__init__()
        self.save_hyperparameters()
        self.net = nn.LazyLinear(1)
        self.net.weight.data.normal_(0, 0.01)
        self.net.bias.data.fill_(0)

    def forward(self, X):
        return self.net(X)

    def loss(self, y_hat, y):
        return nn.MSELoss()(y_hat, y)

    def configure_optimizers(self):
        return optim.SGD(self.parameters(), self.lr)

    def get_w_b(self):
        return self.net.weight.data, self.net.bias.data


class SoftmaxRegression(Classifier):
    """Softmax regression: Flatten then LazyLinear(num_outputs) (section 4.5)."""

    def __init__(self, num_outputs: int, lr: float):
        super().__init__()
        self.save_hyperparameters()
        self.net = nn.Sequential(nn.Flatten(), nn.LazyLinear(num_outputs))

    def forward(self, X):
        return self.net(X)


def relu(X):
    a = zeros(X.shape, dtype=X.dtype, device=X.device)
    return _C.maximum(X, a)


class MLPScratch(Classifier):
    """A one-hidden-layer MLP from scratch (section 5.2.1)."""

    def __init__(self, num_inputs: int, num_outputs: int, num_hiddens: int, lr: float, sigma: float = 0.01):
        super().__init__()
        self.save_hyperparameters()
        self.W1 = nn.Parameter(randn(num_inputs, num_hiddens) * sigma)
        self.b1 = nn.Parameter(zeros(num_hiddens))
        self.W2 = nn.Parameter(randn(num_hiddens, num_outputs) * sigma)
        self.b2 = nn.Parameter(zeros(num_outputs))

    def forward(self, X):
        X = X.reshape((-1, self.num_inputs))
        H = relu(_C.matmul(X, self.W1) + self.b1)
        return _C.matmul(H, self.W2) + self.b2


class MLP(Classifier):
    """Flatten, LazyLinear(num_hiddens), ReLU, LazyLinear(num_outputs) (section 5.2.2)."""

    def __init__(self, num_outputs: int, num_hiddens: int, lr: float):
        super().__init__()
        self.save_hyperparameters()
        self.net = nn.Sequential(nn.Flatten(), nn.LazyLinear(num_hiddens), nn.ReLU(), nn.LazyLinear(num_outputs))


# --- data ----------------------------------------------------------------------------------------


class DataModule(HyperParameters):
    """The base class of data: train_dataloader() and val_dataloader() from get_dataloader(train)."""

    def __init__(self, root: str = "../data", num_workers: int = 4):
        self.save_hyperparameters()

    def get_dataloader(self, train: bool):
        raise NotImplementedError

    def train_dataloader(self):
        return self.get_dataloader(train=True)

    def val_dataloader(self):
        return self.get_dataloader(train=False)

    def get_tensorloader(self, tensors, train: bool, indices=slice(0, None)):
        """A DataLoader over the rows ``indices`` of ``tensors`` (shuffled when training)."""
        tensors = tuple(a[indices] for a in tensors)
        dataset = TensorDataset(*tensors)
        return DataLoader(dataset, self.batch_size, shuffle=train)


class SyntheticRegressionData(DataModule):
    """y = X w + b + noise, X ~ N(0, 1): num_train rows for training, num_val for validation."""

    def __init__(self, w, b, noise: float = 0.01, num_train: int = 1000, num_val: int = 1000, batch_size: int = 32):
        super().__init__()
        self.save_hyperparameters()
        n = num_train + num_val
        self.X = randn(n, len(w))
        noise = randn(n, 1) * noise
        self.y = _C.matmul(self.X, w.reshape((-1, 1))) + b + noise

    def get_dataloader(self, train: bool):
        i = slice(0, self.num_train) if train else slice(self.num_train, None)
        return self.get_tensorloader((self.X, self.y), train, i)


# --- downloads and the Kaggle house-price data (section 5.7) -----------------------------------

DATA_URL = "http://d2l-data.s3-accelerate.amazonaws.com/"
DATA_HUB: dict = {}  # name -> (url, sha1): the book's older way to name a file for download()


def _sha1_of(path: str) -> str:
    digest = hashlib.sha1()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def download(url: str, folder: str = "../data", sha1_hash: Optional[str] = None) -> str:
    """The path of url's file in folder: a copy already there whose SHA-1 is sha1_hash is used as it is,
    otherwise the file is downloaded (and must have that SHA-1 when one is given). url may also be a
    name in DATA_HUB."""
    if not url.startswith(("http://", "https://", "file:")):
        url, sha1_hash = DATA_HUB[url]
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, url.split("/")[-1])
    if os.path.exists(path) and sha1_hash and _sha1_of(path) == sha1_hash:
        return path
    _download_file(url, path, sha1_hash, algorithm="sha1", message=f"Downloading {path} from {url}...")
    return path


def extract(filename: str, folder: Optional[str] = None) -> None:
    """Unpacks a .zip or .tar(.gz) archive into folder (default: the archive's own folder)."""
    folder = os.path.dirname(filename) if folder is None else folder
    if filename.endswith(".zip"):
        with zipfile.ZipFile(filename) as archive:
            archive.extractall(folder)
    elif filename.endswith((".tar", ".gz", ".tgz")):
        with tarfile.open(filename) as archive:
            archive.extractall(folder)
    else:
        raise ValueError(f"extract: {filename} is not a .zip, .tar or .gz archive")


class KaggleHouse(DataModule):
    """The Kaggle house-price data of section 5.7 (pandas needed): raw_train / raw_val as read from the
    CSV files; preprocess() standardizes the numeric features (missing ones 0) and one-hot encodes the
    others, train and val sharing one encoding; the loaders give (features, log SalePrice)."""

    LABEL = "SalePrice"

    def __init__(self, batch_size: int, train=None, val=None):
        super().__init__()
        self.save_hyperparameters()
        if self.train is None:
            try:
                import pandas as pd
            except ImportError as e:
                raise ImportError("d2l.KaggleHouse reads CSV files with pandas: pip install pandas") from e
            self.raw_train = pd.read_csv(download(DATA_URL + "kaggle_house_pred_train.csv", self.root,
                                                  sha1_hash="585e9cc93e70b39160e7921475f9bcd7d31219ce"))
            self.raw_val = pd.read_csv(download(DATA_URL + "kaggle_house_pred_test.csv", self.root,
                                                sha1_hash="fa19780a7b011d9b009e8bff8e99922a8ee2eb90"))

    def preprocess(self) -> None:
        import pandas as pd

        label = self.LABEL
        features = pd.concat((self.raw_train.drop(columns=["Id", label]), self.raw_val.drop(columns=["Id"])))
        numeric = features.select_dtypes(include="number").columns  # (pandas 3 reads text as "str", not object)
        features[numeric] = features[numeric].apply(lambda column: (column - column.mean()) / column.std())
        features[numeric] = features[numeric].fillna(0)
        features = pd.get_dummies(features, dummy_na=True)
        n_train = self.raw_train.shape[0]
        self.train = features[:n_train].copy()
        self.train[label] = self.raw_train[label]
        self.val = features[n_train:].copy()

    def get_dataloader(self, train: bool):
        data = self.train if train else self.val
        if self.LABEL not in data:  # the test rows have no price: nothing to load
            return None

        def as_tensor(frame):
            return tensor(frame.values.astype(float), dtype=_C.float32)

        tensors = (as_tensor(data.drop(columns=[self.LABEL])), as_tensor(data[self.LABEL]).log().reshape((-1, 1)))
        return self.get_tensorloader(tensors, train)


_PIL_BITS = 22  # the fixed-point precision of PIL's 8-bit resampling (32 - 8 - 2)


def _bilinear_taps(size_in: int, size_out: int):
    """PIL's bilinear filter along one axis, as torchvision's Resize applies it to the book's PIL images:
    for each output pixel the source pixels (K taps, padded with weight 0) and their weights in fixed
    point. Output pixel i is centred at (i + 0.5) * scale in the input; the triangle filter is widened
    by the scale when shrinking (antialiasing); weights are normalized, then rounded to 2^-22."""
    scale = size_in / size_out
    filter_scale = max(scale, 1.0)
    support = 1.0 * filter_scale
    taps = []
    for i in range(size_out):
        centre = (i + 0.5) * scale
        lo = max(int(centre - support + 0.5), 0)
        hi = min(int(centre + support + 0.5), size_in)
        weights = [max(0.0, 1.0 - math.fabs((x - centre + 0.5) / filter_scale)) for x in range(lo, hi)]
        total = sum(weights)
        weights = [w / total if total else 0.0 for w in weights]
        taps.append([(x, int(w * (1 << _PIL_BITS) + (0.5 if w >= 0 else -0.5))) for x, w in zip(range(lo, hi), weights)])
    k = max(len(t) for t in taps)
    index = [[t[j][0] if j < len(t) else 0 for j in range(k)] for t in taps]
    weight = [[t[j][1] if j < len(t) else 0 for j in range(k)] for t in taps]
    return tensor(index).t().contiguous(), tensor(weight).t().contiguous()  # (K, size_out) each


def _resample(x: Tensor, dim: int, index: Tensor, weight: Tensor) -> Tensor:
    """One pass of PIL's resampling along `dim` of int64 images: the weighted sum of the taps in fixed
    point, rounded half up and clipped to 0..255."""
    shape = [1, 1, 1]
    shape[dim] = weight.shape[1]
    acc = None
    for j in range(index.shape[0]):
        term = x.index_select(dim, index[j]) * weight[j].reshape(shape)
        acc = term if acc is None else acc + term
    return ((acc + (1 << (_PIL_BITS - 1))) // (1 << _PIL_BITS)).clamp(0, 255)


def resize_images(images: Tensor, size, chunk: int = 8192) -> Tensor:
    """Bilinear resize of a stack of uint8 images (N, H, W) → (N, h, w), uint8, with the values
    torchvision's ``Resize`` gives the book's PIL images (PIL's two passes, each rounded to 8 bits
    in fixed point: the same pixels, not within 1 of them; see the note on the order below).

    Whole chunks of the dataset at a time, each pass a few index_selects weighted per column / row.
    """
    h, w = (size, size) if isinstance(size, int) else tuple(size)
    cols, col_w = _bilinear_taps(images.shape[2], w)
    rows, row_w = _bilinear_taps(images.shape[1], h)
    # Width first, as PIL's resampling core. (Pillow 13 runs the height pass first for some sizes
    # that scale the two axes differently - the rule is not known here - and the order moves
    # some pixels by 1 there; square images, as the book resizes, match PIL exactly.)
    passes = [(2, cols, col_w), (1, rows, row_w)]
    parts = []
    for start in range(0, images.shape[0], chunk):
        x = images[start:start + chunk].long()                                     # (n, H, W)
        for dim, index, weight in passes:
            x = _resample(x, dim, index, weight)
        parts.append(x.to(_C.uint8))
    return _C.cat(parts, 0) if parts else zeros((0, h, w), dtype=_C.uint8)


class FashionMNIST(DataModule):
    """The Fashion-MNIST dataset as a DataModule (section 4.2).

    Reads root/FashionMNIST/raw (torchvision's layout), downloading the files
    when they are missing and ``download`` is true. ``resize`` other than
    (28, 28) resizes the whole dataset once (bilinear).
    """

    def __init__(self, batch_size: int = 64, resize=(28, 28), root: str = "../data", num_workers: int = 4,
                 download: bool = True):
        super().__init__(root=root, num_workers=num_workers)
        # hparams as the book's FashionMNIST(batch_size, resize): root and num_workers are the
        # DataModule's (set above), download is ours.
        self.save_hyperparameters(ignore=["root", "num_workers", "download"])
        self.download = download
        self.train = self._load(train=True)
        self.val = self._load(train=False)
        size = (resize, resize) if isinstance(resize, int) else tuple(resize)
        if size != tuple(self.train.data.shape[1:]):
            for dataset in (self.train, self.val):
                dataset.data = resize_images(dataset.data, size)

    def _load(self, train: bool):
        Dataset = _fashion_mnist.FashionMNIST
        missing = Dataset.missing_files(self.root)
        if missing and not self.download:
            raise RuntimeError(Dataset.missing_message(self.root))
        try:
            return Dataset(self.root, train=train, download=bool(missing))
        except RuntimeError as e:
            if not missing:
                raise  # the files are there but unreadable: that error names the file
            raise RuntimeError(Dataset.missing_message(self.root, download_error=str(e))) from None

    def text_labels(self, indices):
        """Text labels of class indices."""
        labels = ["t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag",
                  "ankle boot"]
        return [labels[int(i)] for i in indices]

    def get_dataloader(self, train: bool):
        data = self.train if train else self.val
        return DataLoader(data, self.batch_size, shuffle=train, num_workers=self.num_workers)

    def visualize(self, batch, nrows: int = 1, ncols: int = 8, labels=[]):  # noqa: B006 (the book's; never mutated)
        X, y = batch
        if not labels:
            labels = self.text_labels(y)
        show_images(X.squeeze(1), nrows, ncols, titles=labels)


# --- training --------------------------------------------------------------------------------------


class Trainer(HyperParameters):
    """Trains a Module on a DataModule: max_epochs passes of training, then validation.
    num_gpus=1 trains on the first CUDA device when there is one."""

    def __init__(self, max_epochs: int, num_gpus: int = 0, gradient_clip_val: float = 0):
        self.save_hyperparameters()
        self.gpus = [gpu(i) for i in range(min(num_gpus, d2l.num_gpus()))]

    def prepare_data(self, data) -> None:
        self.train_dataloader = data.train_dataloader()
        self.val_dataloader = data.val_dataloader()
        self.num_train_batches = len(self.train_dataloader)
        self.num_val_batches = len(self.val_dataloader) if self.val_dataloader is not None else 0

    def prepare_model(self, model) -> None:
        model.trainer = self
        model.board.xlim = [0, self.max_epochs]
        if self.gpus:
            model.to(self.gpus[0])
        self.model = model

    def fit(self, model, data) -> None:
        self.prepare_data(data)
        self.prepare_model(model)
        self.optim = model.configure_optimizers()
        self.epoch = 0
        self.train_batch_idx = 0
        self.val_batch_idx = 0
        for self.epoch in range(self.max_epochs):
            self.fit_epoch()
        board = getattr(model, "board", None)
        if isinstance(board, ProgressBoard):
            board.save()

    def prepare_batch(self, batch):
        if self.gpus:
            batch = [a.to(self.gpus[0]) for a in batch]
        return batch

    def fit_epoch(self) -> None:
        self.model.train()
        for batch in self.train_dataloader:
            loss = self.model.training_step(self.prepare_batch(batch))
            self.optim.zero_grad()
            with no_grad():
                loss.backward()
                if self.gradient_clip_val > 0:
                    self.clip_gradients(self.gradient_clip_val, self.model)
                self.optim.step()
            self.train_batch_idx += 1
        if self.val_dataloader is None:
            return
        self.model.eval()
        for batch in self.val_dataloader:
            with no_grad():
                self.model.validation_step(self.prepare_batch(batch))
            self.val_batch_idx += 1

    def clip_gradients(self, grad_clip_val: float, model) -> None:
        """Rescales all gradients together so that their global L2 norm is at most grad_clip_val.
        Every parameter that requires grad must have one (a missing one is a TypeError, as in the book)."""
        params = [p for p in model.parameters() if p.requires_grad]
        norm = _C.sqrt(sum(_C.sum(p.grad ** 2) for p in params))
        if norm > grad_clip_val:
            scale = grad_clip_val / norm
            for param in params:
                param.grad.mul_(scale)


# --- the book's helpers from before its 1.0 framework (still in the D2L library) -------------------


def load_array(data_arrays, batch_size: int, is_train: bool = True):
    """A DataLoader over tensors of equal length (shuffled when is_train)."""
    return DataLoader(TensorDataset(*data_arrays), batch_size, shuffle=is_train)


def synthetic_data(w, b, num_examples: int):
    """(X, y) with y = X w + b + noise: X ~ N(0, 1) drawn first, then noise ~ N(0, 0.01²); y a column."""
    X = normal(0, 1, (num_examples, len(w)))
    y = _C.matmul(X, w) + b
    y += normal(0, 0.01, y.shape)
    return X, y.reshape((-1, 1))


def linreg(X, w, b):
    """The linear regression model X w + b."""
    return _C.matmul(X, w) + b


def squared_loss(y_hat, y):
    """Half the squared error per example (y reshaped as y_hat)."""
    return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2


def sgd(params, lr: float, batch_size: int) -> None:
    """One minibatch SGD step on summed gradients (divided by batch_size), then zeroes them."""
    with no_grad():
        for param in params:
            param -= lr * param.grad / batch_size
            param.grad.zero_()


def get_dataloader_workers() -> int:
    """How many workers the book's Fashion-MNIST loaders use."""
    return 4


def get_fashion_mnist_labels(labels):
    """The text labels of Fashion-MNIST class indices."""
    names = ["t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag",
             "ankle boot"]
    return [names[int(i)] for i in labels]


def load_data_fashion_mnist(batch_size: int, resize=None):
    """(train loader, test loader) of Fashion-MNIST in ../data (downloaded when missing): images
    float32 in [0, 1] of shape (1, 28, 28), or resized to ``resize`` first."""
    from .torchvision import datasets, transforms

    steps = [transforms.ToTensor()]
    if resize:
        steps.insert(0, transforms.Resize(resize))
    trans = transforms.Compose(steps)
    train = datasets.FashionMNIST(root="../data", train=True, transform=trans, download=True)
    test = datasets.FashionMNIST(root="../data", train=False, transform=trans, download=True)
    return (DataLoader(train, batch_size, shuffle=True, num_workers=get_dataloader_workers()),
            DataLoader(test, batch_size, shuffle=False, num_workers=get_dataloader_workers()))


def accuracy(y_hat, y) -> float:
    """The number (a float) of correct predictions: rows of y_hat are scores (argmax taken) or classes."""
    if len(y_hat.shape) > 1 and y_hat.shape[1] > 1:
        y_hat = y_hat.argmax(axis=1)
    correct = y_hat.type(y.dtype) == y
    return float(correct.type(y.dtype).sum())


def evaluate_accuracy_gpu(net, data_iter, device=None) -> float:
    """The accuracy of net over data_iter, batches moved to ``device`` (default: where net's
    parameters are); an nn.Module is put in eval mode first."""
    if isinstance(net, nn.Module):
        net.eval()
        if not device:
            device = next(iter(net.parameters())).device
    metric = Accumulator(2)  # correct predictions, predictions
    with no_grad():
        for X, y in data_iter:
            X = [x.to(device) for x in X] if isinstance(X, list) else X.to(device)
            y = y.to(device)
            metric.add(accuracy(net(X), y), y.numel())
    return metric[0] / metric[1]


def evaluate_loss(net, data_iter, loss) -> float:
    """The mean of loss(net(X), y) over every example of data_iter (y reshaped as the output)."""
    metric = Accumulator(2)  # summed loss, examples
    for X, y in data_iter:
        out = net(X)
        l = loss(out, y.reshape(out.shape))
        metric.add(l.sum(), l.numel())
    return metric[0] / metric[1]


def grad_clipping(net, theta: float) -> None:
    """Rescales the gradients of net's parameters (net.params for a model from scratch) together
    so that their global L2 norm is at most theta."""
    params = [p for p in net.parameters() if p.requires_grad] if isinstance(net, nn.Module) else net.params
    norm = _C.sqrt(sum(_C.sum(p.grad ** 2) for p in params))
    if norm > theta:
        for param in params:
            param.grad.mul_(theta / norm)


def corr2d(X, K):
    """The 2-D cross-correlation of X with the kernel K (no padding, stride 1), float32."""
    h, w = K.shape
    Y = zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
    return Y


def init_cnn(module) -> None:
    """Xavier-uniform weights for exactly nn.Linear and nn.Conv2d modules (use with net.apply)."""
    kinds = (nn.Linear, getattr(nn, "Conv2d", nn.Linear))  # (fasttensor has no convolutions yet)
    if type(module) in kinds:
        nn.init.xavier_uniform_(module.weight)


def check_len(a, n: int) -> None:
    assert len(a) == n, f"list's length {len(a)} != expected length {n}"


def check_shape(a, shape) -> None:
    assert a.shape == shape, f"tensor's shape {a.shape} != expected shape {shape}"


def tokenize(lines, token: str = "word"):
    """Each line split into words (at whitespace) or characters."""
    assert token in ("word", "char"), "Unknown token type: " + token
    return [line.split() if token == "word" else list(line) for line in lines]


def download_extract(name: str, folder: Optional[str] = None) -> str:
    """Downloads DATA_HUB[name] (a .zip, .tar or .gz archive) into ../data and unpacks it there;
    returns base/folder, or the archive's path without its extension."""
    path = download(name)
    base_dir = os.path.dirname(path)
    data_dir, ext = os.path.splitext(path)
    assert ext in (".zip", ".tar", ".gz"), "Only zip/tar files can be extracted."
    extract(path, base_dir)
    return os.path.join(base_dir, folder) if folder else data_dir


class Animator:
    """Curves drawn point by point (the book's training loops before its 1.0 framework):
    add(x, ys) appends one point to each curve (a None skips that curve) and redraws.
    Shown as ProgressBoard is: inline in Jupyter, else written to <plot dir>/animator.png
    (animator-2.png, ... for later ones) at most every 2 seconds and when the program ends."""

    def __init__(self, xlabel=None, ylabel=None, legend=None, xlim=None, ylim=None, xscale="linear",
                 yscale="linear", fmts=("-", "m--", "g-.", "r:"), nrows=1, ncols=1, figsize=(3.5, 2.5)):
        if legend is None:
            legend = []
        use_svg_display()
        Figure = _matplotlib()
        self.fig = Figure(figsize=figsize) if Figure is not None else None
        self.axes = self.fig.subplots(nrows, ncols) if self.fig is not None else None
        if nrows * ncols == 1:
            self.axes = [self.axes]
        self.config_axes = lambda: set_axes(self.axes[0], xlabel, ylabel, xlim, ylim, xscale, yscale, legend)
        self.X, self.Y, self.fmts = None, None, fmts
        self.save_path: Optional[str] = None
        self._last_save, self._unsaved = -math.inf, False

    def add(self, x, y) -> None:
        if not hasattr(y, "__len__"):
            y = [y]
        n = len(y)
        if not hasattr(x, "__len__"):
            x = [x] * n
        if not self.X:
            self.X = [[] for _ in range(n)]
        if not self.Y:
            self.Y = [[] for _ in range(n)]
        for i, (a, b) in enumerate(zip(x, y)):
            if a is not None and b is not None:
                self.X[i].append(a)
                self.Y[i].append(b)
        if self.fig is None:  # no matplotlib: the points are kept, nothing is drawn
            return
        self.axes[0].cla()
        for xs, ys, fmt in zip(self.X, self.Y, self.fmts):
            self.axes[0].plot([_host(v) for v in xs], [_host(v) for v in ys], fmt)
        self.config_axes()
        if _in_jupyter():
            _display_in_jupyter(self.fig, animate=True)
            return
        self._unsaved = True
        if self.save_path is None:
            self.save_path = _next_numbered_path("animator")
            atexit.register(_save_board_at_exit, weakref.ref(self))
        if time.monotonic() - self._last_save >= 2.0:
            self.save()

    def save(self, path: Optional[str] = None) -> Optional[str]:
        """Writes the figure as a PNG (when something changed, or to an explicit path); returns the path."""
        if self.fig is None or not (self._unsaved or path):
            return None
        path = path or self.save_path
        self.fig.savefig(path, bbox_inches="tight")
        self._last_save, self._unsaved = time.monotonic(), False
        return path


# --- the book's framework-neutral names (d2l.reshape(x, shape), d2l.float32, ...) ---------------
# The D2L library maps these onto each framework; these are its PyTorch mapping, on fasttensor.

# Imported here, beside the rest of the list. `abs` replaces the builtin in this module (which calls math.fabs).
from . import (  # noqa: E402
    abs, arange, bmm as batch_matmul, cat as concat, cos, cosh, exp, eye, float32, int32, int64, linspace, log,
    meshgrid, ones, ones_like, rand, sigmoid, sin, sinh, stack, tanh, zeros_like, matmul,
)

nn_Module = nn.Module

# The modules the D2L library imports under these names: d2l.torch is fasttensor (as `import fasttensor
# as torch`), d2l.data its utils.data; others are lazy (see __getattr__ above).
import random  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
from collections import defaultdict  # noqa: E402

from . import utils as _utils  # noqa: E402

torch = sys.modules[__package__]
data = _utils.data


def numpy(x, *args, **kwargs):
    return x.detach().numpy(*args, **kwargs)


def size(x, *args, **kwargs):
    """The number of elements."""
    return x.numel(*args, **kwargs)


def reshape(x, *args, **kwargs):
    return x.reshape(*args, **kwargs)


def to(x, *args, **kwargs):
    return x.to(*args, **kwargs)


def reduce_sum(x, *args, **kwargs):
    return x.sum(*args, **kwargs)


def reduce_mean(x, *args, **kwargs):
    return x.mean(*args, **kwargs)


def argmax(x, *args, **kwargs):
    return x.argmax(*args, **kwargs)


def astype(x, *args, **kwargs):
    return x.type(*args, **kwargs)


def transpose(x, *args, **kwargs):
    return x.t(*args, **kwargs)


def expand_dims(x, *args, **kwargs):
    return x.unsqueeze(*args, **kwargs)


def swapaxes(x, *args, **kwargs):
    return x.swapaxes(*args, **kwargs)


def repeat(x, *args, **kwargs):
    return x.repeat(*args, **kwargs)
