"""fasttensor.torchvision: the transforms and FashionMNIST dataset the book's section 4.2 uses,
on a small synthetic Fashion-MNIST written to a temporary folder (never the network)."""

from __future__ import annotations

import os

import numpy as np
import pytest
from PIL import Image

import fasttensor as ft
from fasttensor import d2l
from fasttensor.datasets import write_idx


def arr(t) -> np.ndarray:
    return np.array(t.detach().cpu().numpy())


def write_fake(root, n_train=200, n_val=70, seed=0):
    rng = np.random.default_rng(seed)
    raw = os.path.join(root, "FashionMNIST", "raw")
    os.makedirs(raw, exist_ok=True)
    out = {}
    for split, n in (("train", n_train), ("t10k", n_val)):
        images = rng.integers(0, 256, (n, 28, 28)).astype(np.uint8)
        labels = rng.integers(0, 10, n).astype(np.uint8)
        write_idx(os.path.join(raw, f"{split}-images-idx3-ubyte.gz"), images)
        write_idx(os.path.join(raw, f"{split}-labels-idx1-ubyte.gz"), labels)
        out[split] = (images, labels)
    return out


@pytest.fixture
def fake(tmp_path):
    return str(tmp_path), write_fake(str(tmp_path))


def test_import_forms():
    from fasttensor import torchvision
    from fasttensor.torchvision import transforms
    import fasttensor.torchvision as tv

    assert tv is torchvision and torchvision.transforms is transforms
    assert torchvision.datasets.FashionMNIST is not None


def test_book_section_4_2_flow(fake):
    root, arrays = fake
    from fasttensor import torchvision
    from fasttensor.torchvision import transforms
    torch = ft

    class FashionMNIST(d2l.DataModule):
        def __init__(self, batch_size=64, resize=(28, 28)):
            super().__init__(root=root)
            self.save_hyperparameters()
            trans = transforms.Compose([transforms.Resize(resize), transforms.ToTensor()])
            self.train = torchvision.datasets.FashionMNIST(root=self.root, train=True, transform=trans, download=True)
            self.val = torchvision.datasets.FashionMNIST(root=self.root, train=False, transform=trans, download=True)

    @d2l.add_to_class(FashionMNIST)
    def get_dataloader(self, train):
        data = self.train if train else self.val
        return torch.utils.data.DataLoader(data, self.batch_size, shuffle=train, num_workers=self.num_workers)

    try:
        data = FashionMNIST(resize=(32, 32))
        assert (len(data.train), len(data.val)) == (200, 70)
        assert data.train[0][0].shape == ft.Size([1, 32, 32])
        assert str(data.train[0][0].shape) == "fasttensor.Size([1, 32, 32])"
        X, y = next(iter(data.train_dataloader()))
        assert (X.shape, X.dtype, y.shape, y.dtype) == (ft.Size([64, 1, 32, 32]), ft.float32, ft.Size([64]),
                                                        ft.int64)
        assert f"{X.shape} {X.dtype} {y.shape} {y.dtype}" == \
            "fasttensor.Size([64, 1, 32, 32]) fasttensor.float32 fasttensor.Size([64]) fasttensor.int64"
        batches = list(data.val_dataloader())
        assert [b[0].shape[0] for b in batches] == [64, 6]
        # Unshuffled validation batches are the samples in order.
        first = np.stack([arr(data.val[i][0]) for i in range(64)])
        np.testing.assert_array_equal(arr(batches[0][0]), first)
        np.testing.assert_array_equal(arr(batches[0][1]), arrays["t10k"][1][:64].astype(np.int64))
    finally:
        if hasattr(FashionMNIST, "get_dataloader"):
            del FashionMNIST.get_dataloader


def test_dataset_attributes_and_pil_samples(fake):
    root, arrays = fake
    from fasttensor.torchvision import datasets

    ds = datasets.FashionMNIST(root, train=True)
    images, labels = arrays["train"]
    assert len(ds) == 200 and ds.data.dtype == ft.uint8 and ds.data.shape == ft.Size([200, 28, 28])
    assert ds.targets.dtype == ft.int64
    np.testing.assert_array_equal(arr(ds.targets), labels.astype(np.int64))
    assert ds.classes[0] == "T-shirt/top" and ds.classes[9] == "Ankle boot"
    assert ds.class_to_idx["Ankle boot"] == 9
    img, target = ds[3]
    assert isinstance(img, Image.Image) and img.mode == "L" and img.size == (28, 28)
    np.testing.assert_array_equal(np.asarray(img), images[3])
    assert type(target) is int and target == labels[3]


def test_per_sample_equals_batched(fake):
    root, arrays = fake
    from fasttensor.torchvision import datasets, transforms as T

    trans = T.Compose([T.Resize((32, 32)), T.ToTensor(), T.Normalize((0.286,), (0.353,))])
    ds = datasets.FashionMNIST(root, train=False, transform=trans, target_transform=lambda t: t + 1)
    idx = ft.tensor([5, 0, 69, 5, 33])
    X, y = ds.get_batch(idx)
    assert X.shape == ft.Size([5, 1, 32, 32]) and X.dtype == ft.float32
    for row, i in enumerate(idx.tolist()):
        img, t = ds[i]
        np.testing.assert_array_equal(arr(X[row]), arr(img))
        assert int(y[row]) == t == int(arrays["t10k"][1][i]) + 1
        # The same pipeline on the PIL image, step by step.
        np.testing.assert_array_equal(arr(trans(Image.fromarray(arrays["t10k"][0][i]))), arr(img))
    assert ft.utils.data.dataset.batch_getter(ds) is not None


def test_resize_matches_d2l_and_pil(fake):
    root, arrays = fake
    from fasttensor.torchvision import datasets, transforms as T

    images = arrays["train"][0]
    for size in [(32, 32), 224, (14, 14), (40, 20), (20, 40), (56, 30)]:
        ds = datasets.FashionMNIST(root, transform=T.Compose([T.Resize(size), T.ToTensor()]))
        h, w = (size, size) if isinstance(size, int) else size
        got = arr(ds.get_batch(ft.arange(200))[0])[:, 0]
        pil = np.stack([np.asarray(Image.fromarray(a).resize((w, h), Image.BILINEAR)) for a in images])
        np.testing.assert_array_equal(got, pil.astype(np.float32) / np.float32(255))
        if h == w:
            ref = arr(d2l.resize_images(ft.from_numpy(images), (h, w)))
            np.testing.assert_array_equal(got, ref.astype(np.float32) / np.float32(255))
        # Resize on a PIL image is PIL's resize.
        one = T.Resize(size)(Image.fromarray(images[7]))
        np.testing.assert_array_equal(np.asarray(one), pil[7])


def test_resize_smaller_edge_and_errors():
    from fasttensor.torchvision import transforms as T

    img = Image.fromarray(np.zeros((20, 40), dtype=np.uint8))
    assert T.Resize(10)(img).size == (20, 10)
    assert T.Resize([10])(img).size == (20, 10)
    assert T.Resize(10, max_size=15)(img).size == (15, 7)
    assert T.Resize((20, 40))(img) is img
    with pytest.raises(TypeError, match="Size should be int or sequence"):
        T.Resize(2.5)
    with pytest.raises(ValueError, match="should have 1 or 2 values"):
        T.Resize((1, 2, 3))
    with pytest.raises(ValueError, match="max_size should only be passed"):
        T.Resize((4, 4), max_size=10)
    with pytest.raises(TypeError, match="PIL images only"):
        T.Resize((4, 4))(ft.rand(1, 8, 8))
    with pytest.raises(TypeError, match="img should be PIL Image"):
        T.Resize((4, 4))([[1]])


def test_to_tensor_and_normalize_values():
    from fasttensor.torchvision import transforms as T

    a = np.arange(12, dtype=np.uint8).reshape(3, 4) * 20
    t = T.ToTensor()(Image.fromarray(a))
    assert t.shape == ft.Size([1, 3, 4]) and t.dtype == ft.float32
    np.testing.assert_array_equal(arr(t)[0], a.astype(np.float32) / np.float32(255))
    rgb = np.arange(24, dtype=np.uint8).reshape(2, 4, 3)
    np.testing.assert_array_equal(arr(T.ToTensor()(rgb)), rgb.transpose(2, 0, 1).astype(np.float32) / np.float32(255))
    f = np.ones((2, 2), dtype=np.float32) * 3
    np.testing.assert_array_equal(arr(T.ToTensor()(f)), f[None])
    with pytest.raises(TypeError, match="pic should be PIL Image or ndarray"):
        T.ToTensor()(ft.zeros(2, 2))
    with pytest.raises(ValueError, match="pic should be 2/3 dimensional. Got 1 dimensions."):
        T.ToTensor()(np.zeros(3, dtype=np.uint8))

    x = ft.tensor([[[0.0, 0.5], [1.0, 0.25]], [[1.0, 1.0], [0.0, 0.5]]])
    y = T.Normalize([0.5, 0.25], [0.5, 2.0])(x)
    np.testing.assert_array_equal(arr(y), (arr(x) - np.array([0.5, 0.25], np.float32)[:, None, None])
                                  / np.array([0.5, 2.0], np.float32)[:, None, None])
    assert arr(x)[0, 0, 0] == 0.0  # not in place
    with pytest.raises(TypeError, match="Input tensor should be a float tensor"):
        T.Normalize([0.5], [0.5])(ft.zeros(1, 2, 2, dtype=ft.uint8))
    with pytest.raises(ValueError, match="Expected tensor to be a tensor image"):
        T.Normalize([0.5], [0.5])(ft.zeros(2, 2))
    with pytest.raises(ValueError, match="std evaluated to zero"):
        T.Normalize([0.5], [0.0])(ft.zeros(1, 2, 2))
    with pytest.raises(TypeError, match="img should be Tensor Image"):
        T.Normalize([0.5], [0.5])(np.zeros((1, 2, 2)))
    assert T.Lambda(lambda v: v * 2)(3) == 6
    with pytest.raises(TypeError, match="Argument lambd should be callable, got 'int'"):
        T.Lambda(3)


def test_reprs(fake):
    root, _ = fake
    from fasttensor.torchvision import datasets, transforms as T

    trans = T.Compose([T.Resize((32, 32)), T.ToTensor()])
    assert repr(trans) == ("Compose(\n    Resize(size=(32, 32), interpolation=bilinear, max_size=None, antialias=True)"
                           "\n    ToTensor()\n)")
    assert repr(T.Normalize((0.5,), (0.25,))) == "Normalize(mean=(0.5,), std=(0.25,))"
    assert repr(T.Lambda(abs)) == "Lambda()"
    ds = datasets.FashionMNIST(root, train=True, transform=trans)
    assert repr(ds) == ("Dataset FashionMNIST\n    Number of datapoints: 200\n    Root location: " + root +
                        "\n    Split: Train\n    StandardTransform\nTransform: Compose(\n"
                        "               Resize(size=(32, 32), interpolation=bilinear, max_size=None, antialias=True)\n"
                        "               ToTensor()\n           )")
    plain = datasets.FashionMNIST(root, train=False)
    assert repr(plain) == ("Dataset FashionMNIST\n    Number of datapoints: 70\n    Root location: " + root +
                           "\n    Split: Test")


def test_other_transforms_run_per_sample(fake):
    root, arrays = fake
    from fasttensor.torchvision import datasets, transforms as T

    trans = T.Compose([T.Resize(14), T.Lambda(lambda im: im.transpose(Image.FLIP_LEFT_RIGHT)), T.ToTensor()])
    ds = datasets.FashionMNIST(root, train=False, transform=trans)
    expected = np.asarray(Image.fromarray(arrays["t10k"][0][2]).resize((14, 14), Image.BILINEAR))[:, ::-1]
    np.testing.assert_array_equal(arr(ds[2][0])[0], expected.astype(np.float32) / np.float32(255))
    X, y = next(iter(ft.utils.data.DataLoader(ds, batch_size=4)))
    assert X.shape == ft.Size([4, 1, 14, 14]) and y.dtype == ft.int64
    np.testing.assert_array_equal(arr(X[2]), arr(ds[2][0]))


def test_missing_files(tmp_path):
    from fasttensor.torchvision import datasets

    with pytest.raises(RuntimeError, match="pass download=True"):
        datasets.FashionMNIST(str(tmp_path), train=True)


def test_worker_threads_resize_the_dataset_once(fake, monkeypatch):
    # DataLoader's threads fetch batches at once: one resizes, the others wait (each resized it before)
    import copy
    import pickle

    from fasttensor import torchvision
    from fasttensor.torchvision import transforms as T

    root, _ = fake
    calls = []
    real = T.resize_uint8
    monkeypatch.setattr(T, "resize_uint8", lambda images, size: calls.append(size) or real(images, size))
    trans = T.Compose([T.Resize((32, 32)), T.ToTensor()])
    data = torchvision.datasets.FashionMNIST(root=root, train=True, transform=trans)
    batches = list(ft.utils.data.DataLoader(data, 16, shuffle=True, num_workers=4))
    assert len(calls) == 1 and sum(len(y) for _, y in batches) == len(data)
    assert tuple(pickle.loads(pickle.dumps(data))[0][0].shape) == (1, 32, 32)
    assert tuple(copy.deepcopy(data)[0][0].shape) == (1, 32, 32)
