"""torchvision.datasets.FashionMNIST on fasttensor's IDX reader.

A sample is ``(image, label)``: without a transform the image is a PIL image in mode
'L' (as torchvision; this needs Pillow, and raises ImportError without it). When the
transform is a Compose of Resize / ToTensor / Normalize (the book's), the whole uint8
dataset is resized once (on first use, cached), so ``dataset[i]`` and DataLoader's
batches (``get_batch``: one gather per tensor) read from that cache with the same
values a per-image pipeline gives. Other transforms run per sample on PIL images.
"""

from __future__ import annotations

import threading
from typing import Any, Callable, List, Optional, Tuple

from .. import _C
from ..datasets import fashion_mnist as _fashion_mnist
from . import transforms as _T

Tensor = _C.Tensor


class StandardTransform:
    """The (transform, target_transform) pair, printed as torchvision prints it."""

    def __init__(self, transform: Optional[Callable] = None, target_transform: Optional[Callable] = None) -> None:
        self.transform = transform
        self.target_transform = target_transform

    def __call__(self, input: Any, target: Any) -> Tuple[Any, Any]:
        if self.transform is not None:
            input = self.transform(input)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return input, target

    @staticmethod
    def _format_transform_repr(transform: Callable, head: str) -> List[str]:
        lines = transform.__repr__().splitlines()
        return [f"{head}{lines[0]}"] + ["{}{}".format(" " * len(head), line) for line in lines[1:]]

    def __repr__(self) -> str:
        body = [self.__class__.__name__]
        if self.transform is not None:
            body += self._format_transform_repr(self.transform, "Transform: ")
        if self.target_transform is not None:
            body += self._format_transform_repr(self.target_transform, "Target transform: ")
        return "\n".join(body)


def _bulk_plan(transform: Optional[Callable]):
    """For a transform made of Resize* (bilinear, on the PIL image), then ToTensor, then Normalize*:
    (the Resize list, the Normalize list); else None (the transform runs per sample)."""
    if transform is None:
        return None
    steps = list(transform.transforms) if type(transform) is _T.Compose else [transform]
    kinds = [type(t) for t in steps]
    if kinds.count(_T.ToTensor) != 1:
        return None
    at = kinds.index(_T.ToTensor)
    resizes, normalizes = steps[:at], steps[at + 1:]
    if not all(type(t) is _T.Resize and t.interpolation is _T.InterpolationMode.BILINEAR for t in resizes):
        return None
    if not all(type(t) is _T.Normalize for t in normalizes):
        return None
    return resizes, normalizes


class FashionMNIST(_fashion_mnist.FashionMNIST):
    """Fashion-MNIST as torchvision.datasets.FashionMNIST: ``root/FashionMNIST/raw`` holds the four
    IDX files (fetched when ``download``); ``.data`` uint8 (N, 28, 28), ``.targets`` int64 (N,),
    ``.classes`` the ten names."""

    def __init__(self, root: str, train: bool = True, transform: Optional[Callable] = None,
                 target_transform: Optional[Callable] = None, download: bool = False) -> None:
        super().__init__(root, train=train, download=download, transform=transform,
                         target_transform=target_transform)
        self.transforms = (StandardTransform(transform, target_transform)
                           if transform is not None or target_transform is not None else None)
        self._cache_key = None
        self._cache: Optional[Tensor] = None
        self._cache_lock = threading.Lock()  # DataLoader's worker threads fetch batches at once

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        del state["_cache_lock"]  # a lock does not pickle; a copy gets its own
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._cache_lock = threading.Lock()

    @property
    def class_to_idx(self):
        return {name: i for i, name in enumerate(self.classes)}

    # --- the bulk path -------------------------------------------------------------------

    def _resized(self, resizes) -> Tensor:
        """All images after the Resize steps, uint8 (N, h, w), computed once per sequence of sizes."""
        shape = tuple(self.data.shape[1:])
        sizes = []
        for r in resizes:
            shape = r.output_size(*shape)
            sizes.append(shape)
        key = (id(self.data), tuple(sizes))
        with self._cache_lock:  # one thread resizes; the others wait for its result
            if self._cache_key != key:
                images = self.data
                for size in sizes:
                    images = _T.resize_uint8(images, size)
                self._cache, self._cache_key = images, key
            return self._cache

    @staticmethod
    def _finish(images: Tensor, channel_dim: int, normalizes) -> Tensor:
        """uint8 images → float32 in [0, 1] with a channel dim (ToTensor), then each Normalize."""
        x = images.float().div(255).unsqueeze(channel_dim)
        for n in normalizes:
            x = n(x)
        return x

    def _pil(self, index: int):
        if _T._PILImage is None:
            raise ImportError("fasttensor.torchvision.datasets.FashionMNIST gives PIL images (as torchvision) when "
                              "there is no transform or the transform is not a Compose of Resize/ToTensor/Normalize, "
                              "and Pillow is not installed: pip install Pillow")
        return _T._PILImage.fromarray(self.data[index].numpy())

    # --- samples ---------------------------------------------------------------------------

    def __getitem__(self, index: int) -> Tuple[Any, Any]:
        index = int(index)
        target: Any = int(self.targets[index])
        plan = _bulk_plan(self.transform)
        if plan is not None:
            resizes, normalizes = plan
            img = self._finish(self._resized(resizes)[index], 0, normalizes)
        else:
            img = self._pil(index)
            if self.transform is not None:
                img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def get_batch(self, indices: Tensor) -> List[Any]:
        """[images (B, C, h, w), labels (B,) int64] for the book's transforms, in one gather per
        tensor from the resized cache; samples one by one for other transforms."""
        from ..utils.data import default_collate

        plan = _bulk_plan(self.transform)
        if plan is None:
            return default_collate([self[i] for i in indices.tolist()])
        resizes, normalizes = plan
        images = self._finish(self._resized(resizes)[indices], 1, normalizes)
        if self.target_transform is None:
            return [images, self.targets[indices]]
        return [images, default_collate([self.target_transform(int(t)) for t in self.targets[indices].tolist()])]

    def __repr__(self) -> str:
        head = "Dataset " + self.__class__.__name__
        body = [f"Number of datapoints: {len(self)}", f"Root location: {self.root}",
                f"Split: {'Train' if self.train is True else 'Test'}"]
        if self.transforms is not None:
            body += [repr(self.transforms)]
        return "\n".join([head] + [" " * 4 + line for line in body])


__all__ = ["FashionMNIST", "StandardTransform"]
