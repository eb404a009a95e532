"""torchvision.transforms' basics: Compose, ToTensor, Resize, Normalize, Lambda.

Images are PIL images (as torchvision's datasets give them) or NumPy arrays for
ToTensor. Resize works on PIL images, with PIL's own resampling, as torchvision
does; the Fashion-MNIST dataset applies the same bilinear resize to all its
images at once (``resize_uint8``), with the same pixel values.
"""

from __future__ import annotations

import enum
import numbers
from collections.abc import Sequence
from typing import Any, Callable, List, Optional, Tuple

import numpy as np

from .. import _C

Tensor = _C.Tensor

try:  # Pillow is optional: without it, datasets can still apply Resize/ToTensor/Normalize in bulk.
    from PIL import Image as _PILImage
except ImportError:  # pragma: no cover - Pillow is installed in the test environment
    _PILImage = None


def _is_pil_image(img: Any) -> bool:
    return _PILImage is not None and isinstance(img, _PILImage.Image)


class InterpolationMode(enum.Enum):
    """Interpolation modes, as torchvision.transforms.InterpolationMode."""

    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"
    BOX = "box"
    HAMMING = "hamming"
    LANCZOS = "lanczos"


_PIL_FILTERS = {"nearest": 0, "lanczos": 1, "bilinear": 2, "bicubic": 3, "box": 4, "hamming": 5}
_FROM_INT = {0: InterpolationMode.NEAREST, 2: InterpolationMode.BILINEAR, 3: InterpolationMode.BICUBIC,
             4: InterpolationMode.BOX, 5: InterpolationMode.HAMMING, 1: InterpolationMode.LANCZOS}


class Compose:
    """Applies ``transforms`` one after another."""

    def __init__(self, transforms: List[Callable]) -> None:
        self.transforms = transforms

    def __call__(self, img: Any) -> Any:
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self) -> str:
        format_string = self.__class__.__name__ + "("
        for t in self.transforms:
            format_string += "\n"
            format_string += f"    {t}"
        format_string += "\n)"
        return format_string


def to_tensor(pic: Any) -> Tensor:
    """A PIL image or an ndarray (H, W) / (H, W, C) → a (C, H, W) tensor; uint8 data becomes
    float32 in [0, 1] (divided by 255), other dtypes keep their values, as torchvision's to_tensor."""
    if not (_is_pil_image(pic) or isinstance(pic, np.ndarray)):
        raise TypeError(f"pic should be PIL Image or ndarray. Got {type(pic)}")
    if isinstance(pic, np.ndarray):
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        array = pic
    else:
        array = np.array(pic, copy=True)
        if pic.mode == "1":
            array = 255 * array.astype(np.uint8)
    if array.ndim == 2:
        array = array[:, :, None]
    array = np.ascontiguousarray(array.transpose((2, 0, 1)))
    if array.dtype.byteorder == ">":
        array = array.astype(array.dtype.newbyteorder("="))
    img = _C.from_numpy(array)
    if array.dtype == np.uint8:
        return img.float().div(255)
    return img


class ToTensor:
    """A PIL image or ndarray (H x W x C) in [0, 255] → a float32 tensor (C x H x W) in [0.0, 1.0]."""

    def __call__(self, pic: Any) -> Tensor:
        return to_tensor(pic)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}()"


def _output_size(height: int, width: int, size, max_size: Optional[int]) -> Tuple[int, int]:
    """(h, w) after resizing an image of height x width to ``size``: (h, w) for a pair, else the
    smaller edge matched to ``size`` keeping the aspect ratio (the longer edge capped at max_size)."""
    if isinstance(size, int) or len(size) == 1:
        requested_short = size if isinstance(size, int) else size[0]
        short, long = (width, height) if width <= height else (height, width)
        new_short, new_long = requested_short, int(requested_short * long / short)
        if max_size is not None:
            if max_size <= requested_short:
                raise ValueError(f"max_size = {max_size} must be strictly greater than the requested "
                                 f"size for the smaller edge size = {size}")
            if new_long > max_size:
                new_short, new_long = int(max_size * new_short / new_long), max_size
        return (new_long, new_short) if width <= height else (new_short, new_long)
    return int(size[0]), int(size[1])


def resize_uint8(images: Tensor, size: Tuple[int, int]) -> Tensor:
    """Bilinear (antialiased) resize of a uint8 stack (N, H, W) → (N, h, w) with the pixel values
    PIL's ``Image.resize(..., BILINEAR)`` gives each image, as torchvision's Resize on PIL images.

    Square targets (the book's) go through d2l.resize_images in bulk, which is PIL exact there.
    For other shapes Pillow 13 sometimes runs its two passes in the other order, which moves some
    pixels by 1, so with Pillow installed those are resized by PIL itself, image by image (once).
    """
    from .. import d2l

    h, w = size
    if (h, w) == tuple(images.shape[1:]):
        return images
    if h == w or _PILImage is None:
        return d2l.resize_images(images, (h, w))
    array = images.numpy()
    out = np.empty((array.shape[0], h, w), dtype=np.uint8)
    for i, image in enumerate(array):
        out[i] = np.asarray(_PILImage.fromarray(image).resize((w, h), _PILImage.BILINEAR))
    return _C.from_numpy(out)


class Resize:
    """Resizes a PIL image to ``size``: (h, w), or an int / 1-sequence for the smaller edge (keeping
    the aspect ratio), with PIL's resampling (bilinear by default; PIL always antialiases).

    Tensors are not resized here: put Resize before ToTensor (as the book does); a tensor input
    raises TypeError."""

    def __init__(self, size, interpolation=InterpolationMode.BILINEAR, max_size: Optional[int] = None,
                 antialias: Optional[bool] = True) -> None:
        if not isinstance(size, (int, Sequence)) or isinstance(size, (bool, str)):
            raise TypeError(f"Size should be int or sequence. Got {type(size)}")
        if isinstance(size, Sequence) and len(size) not in (1, 2):
            raise ValueError("If size is a sequence, it should have 1 or 2 values")
        if max_size is not None and not (isinstance(size, int) or len(size) == 1):
            raise ValueError("max_size should only be passed if size specifies the length of the smaller edge, "
                             "i.e. size should be an int or a sequence of length 1 in torchscript mode.")
        self.size = size
        self.max_size = max_size
        if isinstance(interpolation, int):
            if interpolation not in _FROM_INT:
                raise ValueError(f"interpolation should be one of {sorted(_FROM_INT)}, got {interpolation}")
            interpolation = _FROM_INT[interpolation]
        if not isinstance(interpolation, InterpolationMode):
            raise TypeError("Argument interpolation should be a InterpolationMode or a corresponding Pillow integer "
                            "constant")
        self.interpolation = interpolation
        self.antialias = antialias

    def output_size(self, height: int, width: int) -> Tuple[int, int]:
        """(h, w) of an image of height x width after this Resize."""
        return _output_size(height, width, self.size, self.max_size)

    def __call__(self, img: Any) -> Any:
        if isinstance(img, Tensor):
            raise TypeError("fasttensor.torchvision.transforms.Resize resizes PIL images only, not tensors "
                            f"(got a tensor of shape {tuple(img.shape)}, dtype {img.dtype}); put Resize before "
                            "ToTensor, as in Compose([Resize(size), ToTensor()])")
        if not _is_pil_image(img):
            raise TypeError(f"img should be PIL Image. Got {type(img)}")
        if self.interpolation.value not in _PIL_FILTERS:
            raise ValueError(f"Interpolation mode {self.interpolation} is unsupported with PIL images")
        width, height = img.size
        h, w = self.output_size(height, width)
        if (h, w) == (height, width):
            return img
        return img.resize((w, h), _PIL_FILTERS[self.interpolation.value])

    def __repr__(self) -> str:
        detail = (f"(size={self.size}, interpolation={self.interpolation.value}, max_size={self.max_size}, "
                  f"antialias={self.antialias})")
        return f"{self.__class__.__name__}{detail}"


def normalize(tensor: Tensor, mean: Sequence[float], std: Sequence[float], inplace: bool = False) -> Tensor:
    """(tensor - mean) / std per channel of a float tensor image (..., C, H, W)."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"img should be Tensor Image. Got {type(tensor)}")
    if not tensor.is_floating_point():
        raise TypeError(f"Input tensor should be a float tensor. Got {tensor.dtype}.")
    if tensor.dim() < 3:
        raise ValueError("Expected tensor to be a tensor image of size (..., C, H, W). Got tensor.size() = "
                         f"{tensor.size()}")
    if not inplace:
        tensor = tensor.clone()
    dtype = tensor.dtype
    mean_t = _C.from_numpy(np.asarray(mean, dtype=np.float64).reshape(-1)).to(dtype)
    std_t = _C.from_numpy(np.asarray(std, dtype=np.float64).reshape(-1)).to(dtype)
    if bool((std_t == 0).any()):
        raise ValueError(f"std evaluated to zero after conversion to {dtype}, leading to division by zero.")
    return tensor.sub_(mean_t.view(-1, 1, 1)).div_(std_t.view(-1, 1, 1))


class Normalize:
    """Normalizes a float tensor image channel by channel: (input - mean) / std."""

    def __init__(self, mean, std, inplace: bool = False) -> None:
        self.mean = mean
        self.std = std
        self.inplace = inplace

    def __call__(self, tensor: Tensor) -> Tensor:
        return normalize(tensor, self.mean, self.std, self.inplace)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(mean={self.mean}, std={self.std})"


class Lambda:
    """Applies a user function as a transform."""

    def __init__(self, lambd: Callable) -> None:
        if not callable(lambd):
            raise TypeError(f"Argument lambd should be callable, got {repr(type(lambd).__name__)}")
        self.lambd = lambd

    def __call__(self, img: Any) -> Any:
        return self.lambd(img)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}()"


__all__ = ["Compose", "InterpolationMode", "Lambda", "Normalize", "Resize", "ToTensor", "normalize", "resize_uint8",
           "to_tensor"]
