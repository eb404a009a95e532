"""fasttensor.datasets: Fashion-MNIST from small IDX files the tests write
(raw and .gz), its download against a local HTTP server (success, checksum
mismatch, a connection dropped mid-file, a missing file), the digits set and
synthetic regression data."""

from __future__ import annotations

import gzip
import hashlib
import os

import numpy as np
import pytest

import fasttensor as ft
from fasttensor.datasets import FashionMNIST, digits, read_idx, synthetic_regression, write_idx
from fasttensor.utils.data import DataLoader
from helpers import FileServer


def arr(t) -> np.ndarray:
    return np.array(t.detach().cpu().numpy())


def make_split(rng, n: int):
    return rng.integers(0, 256, (n, 28, 28)).astype(np.uint8), rng.integers(0, 10, n).astype(np.uint8)


def write_fashion_mnist(root, compress: bool, n_train: int = 40, n_test: int = 12, seed: int = 0) -> dict:
    """Writes the four IDX files under root/FashionMNIST/raw; returns the arrays written."""
    rng = np.random.default_rng(seed)
    raw = os.path.join(root, "FashionMNIST", "raw")
    os.makedirs(raw, exist_ok=True)
    arrays = {}
    for split, n in (("train", n_train), ("t10k", n_test)):
        images, labels = make_split(rng, n)
        arrays[split] = (images, labels)
        suffix = ".gz" if compress else ""
        write_idx(os.path.join(raw, f"{split}-images-idx3-ubyte{suffix}"), images)
        write_idx(os.path.join(raw, f"{split}-labels-idx1-ubyte{suffix}"), labels)
    return arrays


# --- IDX files ------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_idx_round_trip(tmp_path, dtype, suffix):
    data = (np.arange(60).reshape(3, 4, 5) - 20).astype(dtype)
    path = str(tmp_path / f"x{suffix}")
    write_idx(path, data)
    back = read_idx(path)
    assert back.dtype == np.dtype(dtype) and back.shape == (3, 4, 5)
    np.testing.assert_array_equal(back, data)


def test_idx_header_is_the_standard_one(tmp_path):
    path = str(tmp_path / "labels")
    write_idx(path, np.array([7, 2, 1], dtype=np.uint8))
    assert open(path, "rb").read() == bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 2, 1])


def test_corrupt_idx_files_name_the_file(tmp_path):
    truncated = str(tmp_path / "truncated")
    write_idx(truncated, np.zeros((4, 28, 28), dtype=np.uint8))
    with open(truncated, "r+b") as f:
        f.truncate(100)
    with pytest.raises(RuntimeError, match="truncated.*promises shape \\(4, 28, 28\\)"):
        read_idx(truncated)
    garbage = str(tmp_path / "garbage.gz")
    with gzip.open(garbage, "wb") as f:
        f.write(b"not an idx file")
    with pytest.raises(RuntimeError, match="garbage.gz: not an IDX file"):
        read_idx(garbage)
    not_gzip = str(tmp_path / "plain.gz")
    open(not_gzip, "wb").write(b"\x00\x00\x08\x01")
    with pytest.raises(RuntimeError, match="plain.gz: cannot be read"):
        read_idx(not_gzip)


# --- Fashion-MNIST from files -----------------------------------------------------------------------


@pytest.mark.parametrize("compress", [False, True])
@pytest.mark.parametrize("train", [True, False])
def test_fashion_mnist_reads_idx_files(tmp_path, compress, train):
    arrays = write_fashion_mnist(tmp_path, compress)
    images, labels = arrays["train" if train else "t10k"]
    ds = FashionMNIST(str(tmp_path), train=train)
    assert len(ds) == len(labels)
    assert ds.data.dtype == ft.uint8 and ds.data.shape == images.shape
    assert ds.targets.dtype == ft.int64
    np.testing.assert_array_equal(arr(ds.targets), labels)
    image, label = ds[3]
    assert image.shape == (1, 28, 28) and image.dtype == ft.float32
    np.testing.assert_allclose(arr(image)[0], images[3] / np.float32(255), rtol=1e-7)
    assert isinstance(label, int) and label == labels[3]
    assert float(image.max()) <= 1.0 and float(image.min()) >= 0.0


def test_fashion_mnist_batches_are_gathered_whole(tmp_path):
    arrays = write_fashion_mnist(tmp_path, compress=True)
    ds = FashionMNIST(str(tmp_path), train=True)
    X, y = next(iter(DataLoader(ds, 16, shuffle=True, generator=ft.Generator().manual_seed(0))))
    assert X.shape == (16, 1, 28, 28) and X.dtype == ft.float32 and y.shape == (16,) and y.dtype == ft.int64
    images, labels = arrays["train"]
    rows = [int(np.flatnonzero((images.reshape(40, -1) == np.round(arr(x).reshape(-1) * 255)).all(1))[0]) for x in X]
    np.testing.assert_array_equal(labels[rows], arr(y))
    stacked = ft.stack([ds[i][0] for i in range(5)])
    np.testing.assert_array_equal(arr(ds.get_batch(ft.arange(5))[0]), arr(stacked))


def test_fashion_mnist_transforms_apply_per_sample(tmp_path):
    write_fashion_mnist(tmp_path, compress=False)
    ds = FashionMNIST(str(tmp_path), train=False, transform=lambda img: img * 2, target_transform=lambda t: t + 100)
    image, label = ds[0]
    np.testing.assert_allclose(arr(image), arr(FashionMNIST(str(tmp_path), train=False)[0][0]) * 2)
    assert label >= 100
    X, y = next(iter(DataLoader(ds, 4)))
    assert X.shape == (4, 1, 28, 28) and y.min() >= 100


def test_prefers_raw_file_over_gz_and_mixes_them(tmp_path):
    arrays = write_fashion_mnist(tmp_path, compress=True)
    raw = tmp_path / "FashionMNIST" / "raw"
    os.remove(raw / "train-labels-idx1-ubyte.gz")
    write_idx(str(raw / "train-labels-idx1-ubyte"), arrays["train"][1])
    np.testing.assert_array_equal(arr(FashionMNIST(str(tmp_path)).targets), arrays["train"][1])


def test_missing_files_error_names_folder_files_and_remedy(tmp_path):
    write_fashion_mnist(tmp_path, compress=True)
    os.remove(tmp_path / "FashionMNIST" / "raw" / "t10k-images-idx3-ubyte.gz")
    with pytest.raises(RuntimeError) as info:
        FashionMNIST(str(tmp_path), train=False)
    message = str(info.value)
    assert str(tmp_path / "FashionMNIST" / "raw") in message
    assert "t10k-images-idx3-ubyte" in message and "train-images" not in message
    assert "download=True" in message and "\n" not in message


def test_mismatched_image_and_label_counts(tmp_path):
    write_fashion_mnist(tmp_path, compress=False)
    write_idx(str(tmp_path / "FashionMNIST" / "raw" / "t10k-labels-idx1-ubyte"), np.zeros(5, dtype=np.uint8))
    with pytest.raises(RuntimeError, match="do not match"):
        FashionMNIST(str(tmp_path), train=False)


# --- download against a local server -------------------------------------------------------------------


@pytest.fixture
def server(tmp_path, monkeypatch):
    """Serves gzip IDX files of a tiny Fashion-MNIST at http://127.0.0.1:<port>/ and points
    FashionMNIST's mirrors and checksums at them."""
    source = tmp_path / "source"
    arrays = write_fashion_mnist(source, compress=True, seed=1)
    raw = source / "FashionMNIST" / "raw"
    files = {name: (raw / name).read_bytes() for name in os.listdir(raw)}

    with FileServer(files) as served:
        monkeypatch.setattr(FashionMNIST, "mirrors", [served.url])
        monkeypatch.setattr(FashionMNIST, "resources",
                            [(name, hashlib.md5(files[name]).hexdigest()) for name, _ in FashionMNIST.resources])
        yield served, arrays


def leftovers(root) -> list:
    folder = os.path.join(root, "FashionMNIST", "raw")
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


def test_download_fetches_verifies_and_loads(tmp_path, server, capsys):
    handler, arrays = server
    root = str(tmp_path / "data")
    ds = FashionMNIST(root, train=True, download=True)
    np.testing.assert_array_equal(arr(ds.targets), arrays["train"][1])
    np.testing.assert_array_equal(arr(ds.data), arrays["train"][0])
    assert leftovers(root) == sorted(name for name, _ in FashionMNIST.resources)
    assert "Downloading http://127.0.0.1" in capsys.readouterr().out
    handler.requests.clear()
    FashionMNIST(root, train=False, download=True)  # everything present: nothing fetched again
    assert handler.requests == []


def test_download_checksum_mismatch_leaves_nothing(tmp_path, server, monkeypatch):
    resources = list(FashionMNIST.resources)
    resources[2] = (resources[2][0], "0" * 32)
    monkeypatch.setattr(FashionMNIST, "resources", resources)
    root = str(tmp_path / "data")
    with pytest.raises(RuntimeError, match=r"t10k-images-idx3-ubyte.gz.*checksum mismatch.*expected MD5 0{32}"):
        FashionMNIST(root, train=False, download=True)
    assert leftovers(root) == sorted(name for name, _ in FashionMNIST.resources[:2])


def test_download_connection_dropped_mid_file_leaves_nothing(tmp_path, server):
    handler, _ = server
    handler.truncate.add("train-images-idx3-ubyte.gz")
    root = str(tmp_path / "data")
    with pytest.raises(RuntimeError, match="train-images-idx3-ubyte.gz.*connection closed after"):
        FashionMNIST(root, train=True, download=True)
    assert leftovers(root) == []
    handler.truncate.clear()
    assert len(FashionMNIST(root, train=True, download=True)) == 40  # a retry completes


def test_download_missing_on_server(tmp_path, server):
    handler, _ = server
    del handler.files["train-labels-idx1-ubyte.gz"]
    root = str(tmp_path / "data")
    with pytest.raises(RuntimeError, match="Error downloading train-labels-idx1-ubyte.gz.*404"):
        FashionMNIST(root, download=True)
    assert leftovers(root) == ["train-images-idx3-ubyte.gz"]


def test_download_unreachable_mirror(tmp_path, monkeypatch):
    monkeypatch.setattr(FashionMNIST, "mirrors", ["http://127.0.0.1:9/"])  # discard port: refused
    with pytest.raises(RuntimeError, match="Error downloading train-images-idx3-ubyte.gz.*127.0.0.1:9"):
        FashionMNIST(str(tmp_path), download=True)
    assert leftovers(str(tmp_path)) == []


def test_official_mirror_and_checksums_are_torchvisions():
    assert FashionMNIST.mirrors == ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]
    assert dict(FashionMNIST.resources) == {
        "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
        "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
        "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
    }


# --- digits and synthetic data ------------------------------------------------------------------------------


def test_digits_split():
    pytest.importorskip("sklearn")
    train, val = digits()
    assert len(train) + len(val) == 1797 and len(val) == 359
    X, y = train.tensors
    assert X.shape == (len(train), 1, 8, 8) and X.dtype == ft.float32 and y.dtype == ft.int64
    assert float(X.min()) == 0.0 and float(X.max()) == 1.0
    assert set(y.tolist()) == set(range(10))
    again_train, again_val = digits()
    np.testing.assert_array_equal(arr(again_val.tensors[0]), arr(val.tensors[0]))
    from sklearn.datasets import load_digits

    flat = load_digits().images.reshape(1797, -1) / 16.0
    rows = {tuple(r) for r in np.round(flat, 6)}
    assert all(tuple(r) in rows for r in np.round(arr(val.tensors[0]).reshape(len(val), -1), 6))
    with pytest.raises(ValueError, match="val_fraction"):
        digits(val_fraction=1.5)


def test_synthetic_regression():
    w = ft.tensor([2.0, -3.4])
    X, y = synthetic_regression(w, 4.2, 1000, noise=0.01, generator=ft.Generator().manual_seed(0))
    assert X.shape == (1000, 2) and y.shape == (1000, 1)
    residual = arr(y)[:, 0] - (arr(X) @ np.array([2.0, -3.4]) + 4.2)
    assert abs(residual.std() - 0.01) < 0.002 and abs(residual.mean()) < 0.002
