"""fasttensor.utils: data loading (fasttensor.utils.data)."""

from . import data

__all__ = ["data"]
