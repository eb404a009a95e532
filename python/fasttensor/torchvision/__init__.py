"""A small stand-in for torchvision, enough for Dive into Deep Learning's Fashion-MNIST code:

    from fasttensor import torchvision
    from fasttensor.torchvision import transforms
    trans = transforms.Compose([transforms.Resize((32, 32)), transforms.ToTensor()])
    train = torchvision.datasets.FashionMNIST(root="../data", train=True, transform=trans, download=True)

``transforms`` holds Compose, Resize, ToTensor, Normalize and Lambda; ``datasets``
holds FashionMNIST, which applies a Compose of Resize / ToTensor / Normalize to
the whole dataset at once (cached) so that DataLoader gathers batches in one op.
"""

from . import datasets, transforms

__all__ = ["datasets", "transforms"]
