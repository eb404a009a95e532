"""The command line.

    python -m fasttensor train {linreg,softmax,mlp} [options]   train a chapter 3-5 model
    python -m fasttensor info                                  version, SIMD level, threads, CUDA

``train`` uses Fashion-MNIST when its files are under --data-dir (or with
--download), and otherwise scikit-learn's 8×8 digits, with defaults chosen
for that dataset; linreg trains on synthetic data y = 2 x1 - 3.4 x2 + 4.2.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from dataclasses import dataclass
from typing import List, Optional

import fasttensor as ft
from fasttensor import nn, optim
from fasttensor.datasets import FashionMNIST, digits, synthetic_regression
from fasttensor.utils.data import DataLoader, Dataset, TensorDataset

TRUE_W, TRUE_B = [2.0, -3.4], 4.2


@dataclass
class Defaults:
    epochs: int
    batch_size: int
    lr: float
    hidden: int = 0


# Measured on a 2-core machine: each reaches its accuracy well within a minute.
DEFAULTS = {
    ("linreg", "synthetic"): Defaults(epochs=3, batch_size=32, lr=0.03),
    ("softmax", "digits"): Defaults(epochs=30, batch_size=32, lr=0.2),
    ("mlp", "digits"): Defaults(epochs=30, batch_size=32, lr=0.3, hidden=128),
    ("softmax", "fashion-mnist"): Defaults(epochs=10, batch_size=256, lr=0.1),
    ("mlp", "fashion-mnist"): Defaults(epochs=10, batch_size=256, lr=0.1, hidden=256),
}


@dataclass
class Data:
    name: str
    train: Dataset  # TensorDataset or FashionMNIST: both gather batches with get_batch
    val: Dataset
    num_inputs: int
    num_classes: int  # 0 for regression


@dataclass
class History:
    train_loss: List[float]
    val_loss: List[float]
    val_acc: List[float]


# --- data -------------------------------------------------------------------------------------


def _has_tqdm() -> bool:
    try:
        import tqdm  # noqa: F401
    except ImportError:
        return False
    return True


def load_data(args: argparse.Namespace, parser: argparse.ArgumentParser) -> Data:
    if args.model == "linreg":
        w = ft.tensor(TRUE_W)
        X, y = synthetic_regression(w, TRUE_B, 2000)
        return Data("synthetic", TensorDataset(X[:1000], y[:1000]), TensorDataset(X[1000:], y[1000:]), 2, 0)
    root = args.data_dir
    if FashionMNIST.missing_files(root) and not args.download:
        print(f"{FashionMNIST.missing_message(root)}. Training on scikit-learn's 8x8 digits instead.")
        train_set, val_set = digits()
        return Data("digits", train_set, val_set, 64, 10)
    try:
        train = FashionMNIST(root, train=True, download=args.download)
        val = FashionMNIST(root, train=False, download=args.download)
    except RuntimeError as e:  # a failed download, or files that are there but unreadable
        parser.exit(1, f"error: {e}\n")
    return Data("fashion-mnist", train, val, 784, 10)


# --- model and training --------------------------------------------------------------------------


def build_model(kind: str, data: Data, hidden: int) -> nn.Module:
    if kind == "linreg":
        return nn.Linear(data.num_inputs, 1)
    if kind == "softmax":
        return nn.Sequential(nn.Flatten(), nn.Linear(data.num_inputs, data.num_classes))
    return nn.Sequential(nn.Flatten(), nn.Linear(data.num_inputs, hidden), nn.ReLU(),
                         nn.Linear(hidden, data.num_classes))


def evaluate(model: nn.Module, loss_fn: nn.Module, dataset: Dataset, device: str) -> tuple:
    """(mean loss, accuracy or nan) over the whole dataset in one batch."""
    model.eval()
    X, y = (t.to(device) for t in dataset.get_batch(ft.arange(len(dataset))))
    with ft.no_grad():
        out = model(X)
        loss = float(loss_fn(out, y))
        acc = float((out.argmax(dim=1) == y).float().mean()) if out.shape[-1] > 1 else math.nan
    return loss, acc


def _epoch_line(epoch: int, epochs: int, train_loss: float, val_loss: float, val_acc: float) -> str:
    line = f"epoch {epoch}/{epochs} train_loss={train_loss:.4f} val_loss={val_loss:.4f}"
    return line if math.isnan(val_acc) else line + f" val_acc={val_acc:.3f}"


def train(model: nn.Module, data: Data, args: argparse.Namespace, device: str) -> History:
    loss_fn = nn.MSELoss() if data.num_classes == 0 else nn.CrossEntropyLoss()
    optimizer = optim.SGD(model.parameters(), lr=args.lr)
    generator = ft.Generator().manual_seed(args.seed)
    loader = DataLoader(data.train, args.batch_size, shuffle=True, generator=generator)
    history = History([], [], [])
    bar = None
    if _has_tqdm() and args.epochs > 0:
        from tqdm import tqdm

        bar = tqdm(total=args.epochs * len(loader), desc=f"{args.model} on {data.name}", unit="batch",
                   file=sys.stdout, dynamic_ncols=True)
    say = bar.write if bar is not None else print
    for epoch in range(1, args.epochs + 1):
        model.train()
        total, count = 0.0, 0
        for X, y in loader:
            X, y = X.to(device), y.to(device)
            loss = loss_fn(model(X), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            value = loss.item()
            total, count = total + value * y.shape[0], count + y.shape[0]
            if bar is not None:
                bar.set_postfix(loss=f"{value:.4f}", refresh=False)
                bar.update(1)
        val_loss, val_acc = evaluate(model, loss_fn, data.val, device)
        history.train_loss.append(total / count)
        history.val_loss.append(val_loss)
        history.val_acc.append(val_acc)
        say(_epoch_line(epoch, args.epochs, total / count, val_loss, val_acc))
    if bar is not None:
        bar.close()
    return history


def plot_history(history: History, path: str, title: str) -> None:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(5, 3.5))
    axes = fig.add_subplot()
    epochs = list(range(1, len(history.train_loss) + 1))
    axes.plot(epochs, history.train_loss, "-", label="train_loss")
    axes.plot(epochs, history.val_loss, "--", label="val_loss")
    if history.val_acc and not math.isnan(history.val_acc[0]):
        axes.plot(epochs, history.val_acc, "-.", label="val_acc")
    axes.set_xlabel("epoch")
    axes.set_title(title)
    axes.grid()
    axes.legend()
    fig.savefig(path, bbox_inches="tight")


def save_parameters(model: nn.Module, path: str, metadata: dict) -> None:
    from safetensors.numpy import save_file

    save_file({name: t.detach().cpu().numpy() for name, t in model.state_dict().items()}, path,
              metadata={k: str(v) for k, v in metadata.items()})


def load_parameters(model: nn.Module, path: str) -> None:
    from safetensors.numpy import load_file

    model.load_state_dict({name: ft.tensor(array) for name, array in load_file(path).items()})


# --- commands ----------------------------------------------------------------------------------------


def command_train(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    if args.data_dir is not None and not os.path.isdir(args.data_dir):
        parser.error(f"--data-dir {args.data_dir}: no such directory")
    if args.data_dir is None:
        args.data_dir = os.path.join(".", "data")
    if args.device == "cuda" and not ft.cuda.is_available():
        parser.error("--device cuda: CUDA is not available (no GPU visible, or fasttensor was built without CUDA)")
    if args.plot:
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            parser.error("--plot needs matplotlib: pip install 'fasttensor[plot]'")
    if args.save or args.load:
        try:
            import safetensors  # noqa: F401
        except ImportError:
            parser.error("--save/--load need safetensors: pip install 'fasttensor[datasets]'")
    if args.load and not os.path.isfile(args.load):
        parser.error(f"--load {args.load}: no such file")
    ft.manual_seed(args.seed)
    data = load_data(args, parser)
    defaults = DEFAULTS[(args.model, data.name)]
    for name in ("epochs", "batch_size", "lr", "hidden"):
        if getattr(args, name) is None:
            setattr(args, name, getattr(defaults, name))
    print(f"{args.model} on {data.name}: {len(data.train)} training / {len(data.val)} validation examples; "
          f"epochs={args.epochs} batch_size={args.batch_size} lr={args.lr}"
          + (f" hidden={args.hidden}" if args.model == "mlp" else "") + f" device={args.device}")
    model = build_model(args.model, data, args.hidden)
    if args.load:
        try:
            load_parameters(model, args.load)
        except (RuntimeError, OSError, ValueError) as e:
            parser.exit(1, f"error: cannot load {args.load}: {e}\n")
    model.to(args.device)
    start = time.perf_counter()
    history = train(model, data, args, args.device)
    seconds = time.perf_counter() - start
    loss_fn = nn.MSELoss() if data.num_classes == 0 else nn.CrossEntropyLoss()
    val_loss, val_acc = evaluate(model, loss_fn, data.val, args.device)
    train_loss = history.train_loss[-1] if history.train_loss else evaluate(model, loss_fn, data.train,
                                                                            args.device)[0]
    summary = f"train_loss={train_loss:.4f} val_loss={val_loss:.4f}"
    if data.num_classes:
        summary += f" val_acc={val_acc:.3f}"
    else:
        w = model.weight.detach().reshape(-1).tolist()
        b = float(model.bias.detach()[0])
        summary += " w=[" + ", ".join(f"{v:.4f}" for v in w) + f"] b={b:.4f}"
    print(f"{summary} ({seconds:.1f} s)")
    if args.plot:
        plot_history(history, args.plot, f"{args.model} on {data.name}")
        print(f"wrote {args.plot}")
    if args.save:
        save_parameters(model, args.save, {"model": args.model, "hidden": args.hidden, "dataset": data.name})
        print(f"wrote {args.save}")
    return 0


def command_info(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from fasttensor import _C

    print(f"fasttensor {ft.__version__}")
    print(f"CPU: {_C._cpu_model_name()}")
    print(f"SIMD level: {_C._simd_level()} (detected: {_C._detected_simd_level()})")
    print(f"threads: {ft.get_num_threads()}")
    if not _C._cuda.compiled:
        print("CUDA: not built (fasttensor was compiled without CUDA)")
    elif not ft.cuda.is_available():
        print("CUDA: built, but no GPU is visible")
    else:
        names = ", ".join(ft.cuda.get_device_name(i) for i in range(ft.cuda.device_count()))
        print(f"CUDA: available, {ft.cuda.device_count()} device(s): {names}")
    return 0


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m fasttensor", description=__doc__.split("\n\n")[0].strip(),
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    t = commands.add_parser("train", help="train a linear regression, softmax regression or MLP")
    t.add_argument("model", choices=["linreg", "softmax", "mlp"])
    t.add_argument("--epochs", type=int, help="passes over the training data (default: per dataset)")
    t.add_argument("--batch-size", type=int, help="examples per step (default: per dataset)")
    t.add_argument("--lr", type=float, help="SGD learning rate (default: per dataset)")
    t.add_argument("--hidden", type=int, help="hidden units of the MLP (default: per dataset)")
    t.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    t.add_argument("--data-dir", help="folder holding FashionMNIST/raw (default: ./data)")
    t.add_argument("--download", action="store_true", help="download Fashion-MNIST if it is missing")
    t.add_argument("--plot", metavar="PNG", help="write the loss and accuracy curves to this PNG file")
    t.add_argument("--save", metavar="FILE", help="write the trained parameters (safetensors)")
    t.add_argument("--load", metavar="FILE", help="start from parameters saved with --save")
    t.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    t.set_defaults(run=command_train, parser=t)
    i = commands.add_parser("info", help="version, SIMD level, threads and CUDA availability")
    i.set_defaults(run=command_info, parser=i)
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    args = make_parser().parse_args(argv)
    for name in ("epochs", "batch_size", "hidden"):
        value = getattr(args, name, None)
        if value is not None and value < (0 if name == "epochs" else 1):
            args.parser.error(f"--{name.replace('_', '-')} must be {'>= 0' if name == 'epochs' else '>= 1'}")
    return args.run(args, args.parser)


if __name__ == "__main__":
    sys.exit(main())
