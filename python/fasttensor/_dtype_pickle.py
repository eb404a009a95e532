"""Pickle support for dtypes: a dtype is pickled by name."""


def dtype_from_name(name: str):
    from . import _C

    return getattr(_C, name)
