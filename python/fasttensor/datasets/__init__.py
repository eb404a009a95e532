"""fasttensor.datasets: Fashion-MNIST (IDX files, optional download), scikit-learn's
8×8 digits, and synthetic linear-regression data."""

from .digits import digits
from .fashion_mnist import FashionMNIST, read_idx, write_idx
from .synthetic import synthetic_regression

__all__ = ["FashionMNIST", "read_idx", "write_idx", "digits", "synthetic_regression"]
