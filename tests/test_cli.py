"""The command line: python -m fasttensor {train,info}. Training runs in
process (main(argv)) except for the checks of the module entry point and
its exit codes, which run `python -m fasttensor` as a user would."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import numpy as np
import pytest

import fasttensor as ft
from fasttensor import __main__ as cli
from fasttensor.datasets import FashionMNIST, write_idx

# Where the fasttensor under test was imported from (a checkout's python/ with a
# development build, or site-packages after `pip install`): subprocesses use the same.
PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(ft.__file__)))


def run_module(*args: str, cwd=None) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=PYTHON_DIR + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, "-m", "fasttensor", *args], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=300)


def train(capsys, *args: str) -> str:
    assert cli.main(["train", *args]) == 0
    return capsys.readouterr().out


def val_acc(output: str) -> float:
    return float(re.findall(r"val_acc=(\d\.\d+)", output)[-1])


# --- the entry point, as a user runs it ----------------------------------------------------------------


def test_info():
    result = run_module("info")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert f"fasttensor {ft.__version__}" in out
    assert re.search(r"SIMD level: \w+ \(detected: \w+\)", out)
    assert f"threads: {ft.get_num_threads()}" in out
    assert "CUDA: " in out


def test_missing_data_dir_is_a_usage_error(tmp_path):
    missing = tmp_path / "no-such-dir"
    result = run_module("train", "mlp", "--data-dir", str(missing))
    assert result.returncode == 2
    assert f"--data-dir {missing}: no such directory" in result.stderr
    assert result.stdout == ""


def test_usage_errors_exit_with_2(tmp_path):
    assert run_module("train", "resnet").returncode == 2
    assert run_module("train", "mlp", "--epochs", "-1").returncode == 2
    assert run_module().returncode == 2


# --- training on the digits fallback -------------------------------------------------------------------


def test_softmax_on_digits_reaches_93_percent(tmp_path, capsys):
    out = train(capsys, "softmax", "--data-dir", str(tmp_path))
    notice = [line for line in out.splitlines() if line.startswith("Fashion-MNIST not found")]
    assert len(notice) == 1 and str(tmp_path) in notice[0] and "8x8 digits instead" in notice[0]
    assert "softmax on digits" in out
    assert re.search(r"train_loss=\d+\.\d+ val_loss=\d+\.\d+ val_acc=", out)
    assert val_acc(out) >= 0.93


def test_mlp_on_digits_reaches_95_percent_and_saves_plot_and_parameters(tmp_path, capsys):
    plot, weights = tmp_path / "curves.png", tmp_path / "mlp.safetensors"
    out = train(capsys, "mlp", "--data-dir", str(tmp_path), "--plot", str(plot), "--save", str(weights))
    accuracy = val_acc(out)
    assert accuracy >= 0.95
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    from safetensors.numpy import load_file

    saved = load_file(str(weights))
    assert sorted(saved) == ["1.bias", "1.weight", "3.bias", "3.weight"]
    assert saved["1.weight"].shape == (128, 64) and saved["1.weight"].dtype == np.float32
    # Loading them back and training 0 epochs evaluates the same model.
    again = train(capsys, "mlp", "--data-dir", str(tmp_path), "--load", str(weights), "--epochs", "0")
    assert val_acc(again) == accuracy


def test_load_with_another_shape_fails_clearly(tmp_path, capsys):
    weights = tmp_path / "small.safetensors"
    train(capsys, "mlp", "--data-dir", str(tmp_path), "--hidden", "8", "--epochs", "1", "--save", str(weights))
    with pytest.raises(SystemExit) as info:
        cli.main(["train", "mlp", "--data-dir", str(tmp_path), "--hidden", "16", "--load", str(weights)])
    assert info.value.code == 1
    assert "size mismatch for 1.weight" in capsys.readouterr().err


def test_plain_lines_without_tqdm(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(cli, "_has_tqdm", lambda: False)
    out = train(capsys, "softmax", "--data-dir", str(tmp_path), "--epochs", "2")
    assert re.search(r"^epoch 1/2 train_loss=\d\.\d{4} val_loss=\d\.\d{4} val_acc=\d\.\d{3}$", out, re.M)
    assert re.search(r"^epoch 2/2 ", out, re.M)


def test_seed_makes_runs_reproducible(tmp_path, capsys):
    first = train(capsys, "softmax", "--data-dir", str(tmp_path), "--epochs", "2", "--seed", "5")
    second = train(capsys, "softmax", "--data-dir", str(tmp_path), "--epochs", "2", "--seed", "5")
    summary = [line for line in first.splitlines() if line.startswith("train_loss=")]
    assert summary and summary[0].split(" (")[0] in second


def test_linear_regression_recovers_the_weights(capsys):
    out = train(capsys, "linreg")
    w = [float(v) for v in re.search(r"w=\[([^\]]+)\]", out).group(1).split(",")]
    b = float(re.search(r" b=(-?\d+\.\d+)", out).group(1))
    np.testing.assert_allclose(w, [2.0, -3.4], atol=0.05)
    assert abs(b - 4.2) < 0.05
    assert "val_acc" not in out


# --- Fashion-MNIST ----------------------------------------------------------------------------------------


def write_tiny_fashion_mnist(root, n_train=64, n_test=32):
    rng = np.random.default_rng(0)
    raw = os.path.join(root, "FashionMNIST", "raw")
    os.makedirs(raw)
    for split, n in (("train", n_train), ("t10k", n_test)):
        write_idx(os.path.join(raw, f"{split}-images-idx3-ubyte.gz"), rng.integers(0, 256, (n, 28, 28)).astype(np.uint8))
        write_idx(os.path.join(raw, f"{split}-labels-idx1-ubyte.gz"), rng.integers(0, 10, n).astype(np.uint8))


def test_trains_on_fashion_mnist_when_its_files_are_there(tmp_path, capsys):
    write_tiny_fashion_mnist(tmp_path)
    out = train(capsys, "mlp", "--data-dir", str(tmp_path), "--epochs", "1")
    assert "mlp on fashion-mnist: 64 training / 32 validation examples; epochs=1 batch_size=256 lr=0.1 hidden=256" \
        in out
    assert "Fashion-MNIST not found" not in out
    assert 0.0 <= val_acc(out) <= 1.0


def test_unreadable_fashion_mnist_files_are_an_error_not_a_fallback(tmp_path, capsys):
    write_tiny_fashion_mnist(tmp_path)
    (tmp_path / "FashionMNIST" / "raw" / "t10k-labels-idx1-ubyte.gz").write_bytes(b"junk")
    with pytest.raises(SystemExit) as info:
        cli.main(["train", "softmax", "--data-dir", str(tmp_path)])
    assert info.value.code == 1
    assert "t10k-labels-idx1-ubyte.gz: cannot be read" in capsys.readouterr().err


def test_download_failure_is_one_clear_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(FashionMNIST, "mirrors", ["http://127.0.0.1:9/"])
    with pytest.raises(SystemExit) as info:
        cli.main(["train", "softmax", "--data-dir", str(tmp_path), "--download"])
    assert info.value.code == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: Error downloading train-images-idx3-ubyte.gz") and "\n" not in err


def test_cuda_device(tmp_path, capsys):
    args = ["train", "softmax", "--data-dir", str(tmp_path), "--device", "cuda", "--epochs", "2"]
    if ft.cuda.is_available():
        out = train(capsys, *args[1:])
        assert "device=cuda" in out and val_acc(out) > 0.8
        return
    with pytest.raises(SystemExit) as info:
        cli.main(args)
    assert info.value.code == 2
    assert "--device cuda: CUDA is not available" in capsys.readouterr().err
