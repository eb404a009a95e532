"""Python protocols of the tensor against PyTorch 2.13 (a differential hunt): NumPy's
__array__ / __array_wrap__, ``in``, numpy(force=), from_numpy's messages, Size, attributes and
dtype/layout properties. Each case runs on fasttensor and, with torch installed, on torch; the
expected PyTorch 2.13 value or message is also written out so the tests check without torch."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

import fasttensor
from helpers import HAVE_TORCH, TORCH_IS_REFERENCE, both, raises_like, torch

MODULES = [fasttensor] + ([torch] if HAVE_TORCH else [])


def _lib_ids(m) -> str:
    return m.__name__


# --- NumPy's __array__: no copy keyword, as PyTorch's ----------------------------------------


@pytest.mark.parametrize("m", MODULES, ids=_lib_ids)
def test_np_array_of_a_tensor_is_a_copy(m):
    # np.array(t) copies (it used to hand back the tensor's own memory, so writing into the array
    # changed the tensor); np.asarray(t) shares the memory of a CPU tensor.
    t = m.tensor([1.0, 2.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        a = np.array(t)
        b = np.array(t, dtype=np.float32)
    a[0] = 99
    b[1] = 99
    assert t.tolist() == [1.0, 2.0]
    np.asarray(t)[0] = 5
    assert t.tolist() == [5.0, 2.0]


@pytest.mark.parametrize("m", MODULES, ids=_lib_ids)
def test_np_array_copy_false_refused(m):
    # PyTorch's __array__ takes no copy keyword: NumPy warns, then cannot promise not to copy.
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        with pytest.raises(ValueError, match="Unable to avoid copy while creating an array as requested"):
            np.array(m.tensor([1, 2]), copy=False)
    assert any(issubclass(x.category, DeprecationWarning) and "__array__ implementation doesn't accept a copy keyword"
               in str(x.message) for x in w)


@pytest.mark.parametrize("m", MODULES, ids=_lib_ids)
def test_numpy_ufunc_wraps_with_pytorchs_one_argument_array_wrap(m):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        r = np.exp(m.tensor([0.0, 1.0]))
        nan = np.isnan(m.tensor([1.0, float("nan")]))
    assert isinstance(r, m.Tensor) and r.dtype == m.float32
    assert nan.dtype == m.uint8 and nan.tolist() == [0, 1]
    assert any(issubclass(x.category, DeprecationWarning) and "__array_wrap__ must accept context" in str(x.message)
               for x in w)


# --- numpy(force=) ------------------------------------------------------------------------------


def test_numpy_force_is_a_keyword_only_bool():
    raises_like(lambda m: m.tensor([1.0]).numpy(True), TypeError,
                re.escape("numpy() takes 0 positional arguments but 1 was given"))
    raises_like(lambda m: m.tensor([1.0]).numpy(force=1), TypeError,
                re.escape("numpy(): argument 'force' must be bool, not int"))
    raises_like(lambda m: m.tensor([1.0]).numpy(force=np.bool_(True)), TypeError,
                re.escape("numpy(): argument 'force' must be bool, not numpy.bool"))
    raises_like(lambda m: m.tensor([1.0]).numpy(foo=1), TypeError,
                re.escape("numpy() got an unexpected keyword argument 'foo'"))
    raises_like(lambda m: m.tensor([1.0], requires_grad=True).numpy(force=False), RuntimeError,
                re.escape("Can't call numpy() on Tensor that requires grad."))
    a = both(lambda m: m.tensor([1.0, 2.0], requires_grad=True).numpy(force=True).tolist())
    assert a == [1.0, 2.0]


@pytest.mark.parametrize("array, name", [(np.array(["a"]), "str_"), (np.array([b"a"]), "bytes_"),
                                         (np.array([1, 2], dtype=object), "object_"),
                                         (np.zeros(2, dtype=[("a", "i4")]), "void")])
def test_from_numpy_names_the_scalar_type(array, name):
    # PyTorch names the array's scalar type (numpy.str_), not its dtype ('<U1'); its list of
    # supported types is longer than ours (float16, int16, complex...), so only the start is shared.
    raises_like(lambda m: m.from_numpy(array), TypeError,
                re.escape(f"can't convert np.ndarray of type numpy.{name}. The only supported types are: float64, "
                          "float32, "))


# --- x in t -------------------------------------------------------------------------------------


@pytest.mark.parametrize("element, expected", [(2, True), (3, False), (np.int64(2), True), (np.float32(2.0), True),
                                               (2 + 0j, True), (2 + 1j, False), (np.complex128(1), True),
                                               (complex(2, float("nan")), False)])
def test_contains_any_number(element, expected):
    assert both(lambda m: element in m.tensor([1, 2])) is expected


@pytest.mark.parametrize("element", ["a", None, [1], np.bool_(True)])
def test_contains_refuses_other_objects(element):
    raises_like(lambda m: element in m.tensor([1, 2]), RuntimeError,
                re.escape(f"Tensor.__contains__ only supports Tensor or scalar, but you passed in a {type(element)}."))
