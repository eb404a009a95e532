"""Fashion-MNIST from the standard IDX files, in torchvision's layout:

    root/FashionMNIST/raw/train-images-idx3-ubyte[.gz]   (60000, 28, 28) uint8
    root/FashionMNIST/raw/train-labels-idx1-ubyte[.gz]   (60000,) uint8
    root/FashionMNIST/raw/t10k-images-idx3-ubyte[.gz]    (10000, 28, 28) uint8
    root/FashionMNIST/raw/t10k-labels-idx1-ubyte[.gz]    (10000,) uint8

Each split is decoded with NumPy in one pass; ``download=True`` fetches the
four files from torchvision's mirror, checking their MD5 sums.
"""

from __future__ import annotations

import gzip
import os
from typing import Any, Callable, List, Optional, Tuple

import numpy as np

from .. import _C
from ._download import download_file

Tensor = _C.Tensor

# IDX type codes (third byte of the magic number) → big-endian NumPy dtypes.
_IDX_DTYPES = {0x08: np.dtype(np.uint8), 0x09: np.dtype(np.int8), 0x0B: np.dtype(">i2"), 0x0C: np.dtype(">i4"),
               0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}


def read_idx(path: str) -> np.ndarray:
    """Decodes one IDX file (raw, or gzip-compressed when the name ends in .gz) into an array."""
    opener = gzip.open if path.endswith(".gz") else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError) as e:
        raise RuntimeError(f"{path}: cannot be read ({e})") from e
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES:
        raise RuntimeError(f"{path}: not an IDX file (bad magic number {raw[:4].hex()})")
    dtype, ndim = _IDX_DTYPES[raw[2]], raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise RuntimeError(f"{path}: truncated IDX header")
    shape = tuple(int(d) for d in np.frombuffer(raw, dtype=">i4", count=ndim, offset=4))
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(raw) - header != expected:
        raise RuntimeError(f"{path}: IDX header promises shape {shape} ({expected} bytes of data), "
                           f"found {len(raw) - header} bytes")
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def write_idx(path: str, array: np.ndarray) -> None:
    """Writes ``array`` as an IDX file (gzip-compressed when the name ends in .gz); the inverse of read_idx."""
    array = np.asarray(array)
    codes = {dtype.str.lstrip("<>|="): code for code, dtype in _IDX_DTYPES.items()}
    big_endian = array.dtype.newbyteorder(">")
    key = big_endian.str.lstrip("<>|=")
    if key not in codes:
        raise TypeError(f"write_idx: unsupported dtype {array.dtype}")
    header = bytes([0, 0, codes[key], array.ndim]) + np.asarray(array.shape, dtype=">i4").tobytes()
    payload = header + np.ascontiguousarray(array, dtype=big_endian).tobytes()
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "wb") as f:
        f.write(payload)


class FashionMNIST:
    """The Fashion-MNIST dataset (Xiao et al., 2017): 28×28 grayscale images of 10 kinds of clothing.

    ``dataset[i]`` is ``(image, label)``: image float32 in [0, 1] of shape
    (1, 28, 28), label an int. ``.data`` holds all images as a uint8 tensor
    (N, 28, 28) and ``.targets`` the labels as int64 (N,), so a DataLoader
    gathers a batch with one indexing op per tensor (``get_batch``).
    ``transform`` (on the image tensor) and ``target_transform`` (on the label)
    apply per sample.
    """

    mirrors = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]
    resources = [
        ("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
        ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
        ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
        ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310"),
    ]
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
               "Ankle boot"]

    def __init__(self, root: str, train: bool = True, download: bool = False,
                 transform: Optional[Callable[[Tensor], Any]] = None,
                 target_transform: Optional[Callable[[int], Any]] = None) -> None:
        self.root = os.path.expanduser(str(root))
        self.train = train
        self.transform = transform
        self.target_transform = target_transform
        if download:
            self.download()
        if self.missing_files(self.root):
            raise RuntimeError(self.missing_message(self.root))
        split = "train" if train else "t10k"
        images = read_idx(self._existing_path(f"{split}-images-idx3-ubyte"))
        labels = read_idx(self._existing_path(f"{split}-labels-idx1-ubyte"))
        if images.ndim != 3 or labels.ndim != 1 or images.shape[0] != labels.shape[0]:
            raise RuntimeError(f"{self.raw_folder}: images {images.shape} and labels {labels.shape} do not match "
                               "(expected (N, H, W) and (N,))")
        self.data: Tensor = _C.from_numpy(np.ascontiguousarray(images, dtype=np.uint8))
        self.targets: Tensor = _C.from_numpy(labels.astype(np.int64))

    # --- files -------------------------------------------------------------------------

    @property
    def raw_folder(self) -> str:
        return self.raw_folder_of(self.root)

    @staticmethod
    def raw_folder_of(root: str) -> str:
        """root/FashionMNIST/raw, torchvision's place for the four files."""
        return os.path.join(os.path.expanduser(str(root)), "FashionMNIST", "raw")

    @classmethod
    def file_names(cls) -> List[str]:
        """The four files' names without .gz."""
        return [name[:-3] for name, _ in cls.resources]

    def _existing_path(self, name: str) -> str:
        """The raw file if present, else its .gz."""
        path = os.path.join(self.raw_folder, name)
        return path if os.path.isfile(path) else path + ".gz"

    @classmethod
    def missing_files(cls, root: str) -> List[str]:
        """The names (without .gz) of the files under root that are there neither raw nor as .gz."""
        folder = cls.raw_folder_of(root)
        return [name for name in cls.file_names()
                if not (os.path.isfile(os.path.join(folder, name)) or os.path.isfile(os.path.join(folder, name + ".gz")))]

    @classmethod
    def missing_message(cls, root: str, download_error: Optional[str] = None) -> str:
        """One line: which files are missing where, and how to get them (after a failed download:
        what failed, and that copying the files there is what is left)."""
        missing = ", ".join(name + "[.gz]" for name in cls.missing_files(root))
        where = f"Fashion-MNIST not found in {cls.raw_folder_of(root)}: missing {missing}; "
        if download_error is not None:
            return where + f"downloading them failed ({download_error}); copy the files there (or retry online)"
        return where + f"pass download=True to fetch them from {cls.mirrors[0]} (or copy the files there)"

    def download(self) -> None:
        """Fetches whichever of the four files are missing, verifying each MD5 sum.
        Files are written through temporary names, so a failure leaves nothing half-written."""
        os.makedirs(self.raw_folder, exist_ok=True)
        for filename, md5 in self.resources:
            if os.path.isfile(self._existing_path(filename[:-3])):
                continue
            errors = []
            for mirror in self.mirrors:
                try:
                    download_file(mirror + filename, os.path.join(self.raw_folder, filename), md5)
                    break
                except RuntimeError as e:
                    errors.append(f"{mirror}: {e}")
            else:
                raise RuntimeError(f"Error downloading {filename}: " + "; ".join(errors))

    # --- samples ------------------------------------------------------------------------

    def __len__(self) -> int:
        return self.data.shape[0]

    def __getitem__(self, index: int) -> Tuple[Any, Any]:
        image = self.data[index].float().div(255).unsqueeze(0)
        target: Any = int(self.targets[index])
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target

    def get_batch(self, indices: Tensor) -> List[Any]:
        """[images (B, 1, H, W) float32 in [0, 1], labels (B,) int64], one gather per tensor
        (per sample only when transforms are set)."""
        if self.transform is not None or self.target_transform is not None:
            from ..utils.data import default_collate

            return default_collate([self[i] for i in indices.tolist()])
        return [self.data[indices].float().div(255).unsqueeze(1), self.targets[indices]]

    def __repr__(self) -> str:
        lines = [f"Dataset {type(self).__name__}", f"    Number of datapoints: {len(self)}",
                 f"    Root location: {self.root}", f"    Split: {'Train' if self.train else 'Test'}"]
        return "\n".join(lines)
