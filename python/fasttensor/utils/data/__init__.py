"""fasttensor.utils.data: Dataset, TensorDataset, Subset, random_split, DataLoader."""

from .dataloader import DataLoader, default_collate, default_convert
from .dataset import Dataset, Subset, TensorDataset, random_split

__all__ = ["Dataset", "TensorDataset", "Subset", "random_split", "DataLoader", "default_collate", "default_convert"]
