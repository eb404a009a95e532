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


# --- Size ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("entries, name", [([2.5], "float"), ([2, 2.5], "float"), ([np.float64(2)], "numpy.float64"),
                                           ([np.bool_(True)], "numpy.bool"), ([None], "NoneType"), ("ab", "str"),
                                           ([np.array([2])], "numpy.ndarray")])
def test_size_takes_only_ints(entries, name):
    index = next(i for i, e in enumerate(entries) if not (type(e) is int))
    raises_like(lambda m: m.Size(entries), TypeError,
                re.escape(f"Size() takes an iterable of 'int' (item {index} is '{name}')"))


def test_size_integer_entries():
    assert both(lambda m: m.Size([True, np.array(3)])) == (1, 3)
    assert both(lambda m: m.Size([m.tensor(2), m.tensor([4])])) == (2, 4)
    assert both(lambda m: type(m.Size([np.int64(2)])[0])) is np.int64  # kept, as PyTorch's
    assert both(lambda m: m.Size([2**63 - 1, -2**63])) == (2**63 - 1, -2**63)


@pytest.mark.parametrize("other, name", [([5], "list"), (5, "int"), ("ab", "str"), (None, "NoneType")])
def test_size_concatenates_only_tuples(other, name):
    raises_like(lambda m: m.Size([2]) + other, TypeError,
                re.escape(f"can only concatenate tuple (not {name}) to ") + r"(torch|fasttensor)\.Size")


def test_size_arithmetic_results():
    for call in (lambda m: m.Size([2]) + (3,), lambda m: (1,) + m.Size([2]), lambda m: m.Size([2]) * 2,
                 lambda m: 2 * m.Size([2]), lambda m: m.Size([2]) * np.int64(2), lambda m: m.zeros(2, 3).shape[1:]):
        r = both(call)
        assert type(r) is fasttensor.Size
    assert both(lambda m: m.Size([2]) + (3,)) == (2, 3)
    raises_like(lambda m: m.Size([2]) + (2.5,), TypeError, re.escape("Size() takes an iterable of 'int' (item 1 is "
                                                                     "'float')"))
    raises_like(lambda m: m.Size([2]) * 2.5, TypeError, re.escape("can't multiply sequence by non-int of type "
                                                                  "'float'"))
    raises_like(lambda m: m.Size([2]) * [2], TypeError, re.escape("can't multiply sequence by non-int of type 'list'"))


# --- attributes ---------------------------------------------------------------------------------


def _nchw(m):
    return m.zeros(2, 3, 4, 5)


@pytest.mark.parametrize("make", [
    _nchw, lambda m: _nchw(m).permute(0, 2, 3, 1), lambda m: m.zeros(2, 4, 5, 3).permute(0, 3, 1, 2),
    lambda m: m.zeros(2, 1, 4, 5), lambda m: m.zeros(0, 3, 4, 5), lambda m: m.zeros(2, 3, 0, 5).permute(0, 2, 3, 1),
    lambda m: m.zeros(2, 4, 5, 3).permute(0, 3, 1, 2)[:, :, ::2], lambda m: m.zeros(1, 1, 1, 1),
    lambda m: _nchw(m)[:, :1], lambda m: m.zeros(2, 4, 5, 6, 3).permute(0, 4, 1, 2, 3), lambda m: m.zeros(2, 3, 4, 5, 6),
    lambda m: m.zeros(2, 3).t(), lambda m: m.zeros(3)])
def test_is_contiguous_memory_format(make):
    got = {}
    for m in MODULES:
        t = make(m)
        got[m] = [t.is_contiguous(memory_format=f) for f in (m.contiguous_format, m.channels_last, m.channels_last_3d,
                                                              m.preserve_format)]
    if HAVE_TORCH:
        assert got[fasttensor] == got[torch]
    assert got[fasttensor][0] == got[fasttensor][3] == fasttensor.Tensor.is_contiguous(make(fasttensor))


def test_is_contiguous_memory_format_expected_values():
    # PyTorch 2.13's answers: NHWC-dense tensors are channels_last contiguous, (N, 1, H, W) both ways
    t = fasttensor.zeros(2, 4, 5, 3).permute(0, 3, 1, 2)
    assert not t.is_contiguous() and t.is_contiguous(memory_format=fasttensor.channels_last)
    u = fasttensor.zeros(2, 1, 4, 5)
    assert u.is_contiguous(memory_format=fasttensor.channels_last) and u.is_contiguous()
    assert not fasttensor.zeros(2, 3, 4, 5).is_contiguous(memory_format=fasttensor.channels_last)


def test_is_contiguous_arguments():
    raises_like(lambda m: m.zeros(2).is_contiguous(m.channels_last), TypeError,
                re.escape("is_contiguous() takes 0 positional arguments but 1 was given"))
    raises_like(lambda m: m.zeros(2).is_contiguous(memory_format=None), TypeError,
                r"is_contiguous\(\): argument 'memory_format' must be (torch|fasttensor)\.memory_format, not NoneType")
    raises_like(lambda m: m.zeros(2).is_contiguous(foo=None), TypeError,
                re.escape("is_contiguous() got an unexpected keyword argument 'foo'"))


@pytest.mark.parametrize("make", [lambda m: m.zeros(0), lambda m: m.zeros(2, 0), lambda m: m.zeros(4)[4:],
                                  lambda m: m.zeros(4)[2:2]])
def test_data_ptr_of_an_empty_tensor_is_zero(make):
    assert both(lambda m: make(m).data_ptr()) == 0


def test_data_ptr_of_views():
    t = fasttensor.zeros(4)
    assert t[1:].data_ptr() - t.data_ptr() == 4 and t.data_ptr() != 0


def test_is_set_to():
    for call, expected in ((lambda m, t: t.is_set_to(t), True), (lambda m, t: t.is_set_to(t[:]), True),
                           (lambda m, t: t.is_set_to(t.view(2, 2)), False), (lambda m, t: t[:2].is_set_to(t[:2]), True),
                           (lambda m, t: t[:2].is_set_to(t[1:3]), False),
                           (lambda m, t: t.is_set_to(m.zeros(4)), False)):
        assert both(lambda m: call(m, m.zeros(4))) is expected
    raises_like(lambda m: m.zeros(4).is_set_to(3), TypeError,
                re.escape("is_set_to(): argument 'tensor' (position 1) must be Tensor, not int"))


@pytest.mark.parametrize("name", ["is_meta", "is_sparse", "is_sparse_csr", "is_quantized", "is_mkldnn", "is_nested",
                                  "is_mps", "is_xpu", "is_ipu", "is_xla", "is_vulkan", "is_maia", "is_mtia"])
def test_other_kinds_of_tensor_flags(name):
    assert both(lambda m: getattr(m.zeros(2), name)) is False


def test_other_kinds_of_tensor_methods():
    assert both(lambda m: m.zeros(2).is_shared()) is False
    assert both(lambda m: m.zeros(2).is_pinned()) is False
    assert both(lambda m: m.zeros(2).is_distributed()) is False
    with pytest.warns(DeprecationWarning, match="The argument 'device' of Tensor.is_pinned"):
        assert fasttensor.zeros(2).is_pinned("cpu") is False
    raises_like(lambda m: m.zeros(2).is_coalesced(), RuntimeError,
                "is_coalesced expected sparse coordinate tensor layout but got Strided")


def test_layout_and_memory_format_types():
    for m in MODULES:
        name = m.__name__
        assert repr(type(m.zeros(2).layout)) == f"<class '{name}.layout'>"
        assert m.zeros(2).layout is m.strided and isinstance(m.strided, m.layout)
        assert repr(type(m.channels_last)) == f"<class '{name}.memory_format'>"


@pytest.mark.parametrize("attr", ["mT", "mH", "H"])
def test_matrix_transposes_of_0d_warn_once(attr):
    from fasttensor import _warn_once

    advice = "This function is the identity in these cases." if attr == "mT" else "Consider using x.conj()."
    message = f"Tensor.{attr} is deprecated on 0-D tensors. {advice}"
    _warn_once._given.discard(message)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        r = getattr(fasttensor.tensor(2.0), attr)
        getattr(fasttensor.tensor(2.0), attr)  # once per process, as PyTorch's TORCH_WARN_ONCE
    assert r.item() == 2.0 and r.dim() == 0
    assert [str(x.message) for x in w] == [message]
    assert w[0].filename == __file__
    if TORCH_IS_REFERENCE:
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            getattr(torch.tensor(2.0), attr)
        assert not w or str(w[0].message).startswith(message)


def test_matrix_transposes_of_matrices_unchanged():
    x = both(lambda m: m.arange(6.0).reshape(2, 3).mT)
    assert x.shape == (3, 2)
    assert both(lambda m: m.arange(24.0).reshape(2, 3, 4).mH).shape == (2, 4, 3)
    assert both(lambda m: m.arange(6.0).reshape(2, 3).H).shape == (3, 2)


def test_dtype_properties():
    for name, abbr in (("float32", "f32"), ("float64", "f64"), ("int64", "i64"), ("int32", "i32"), ("uint8", "u8"),
                       ("bool", "b8")):
        for m in MODULES:
            d = getattr(m, name)
            assert d.is_complex is False and d.to_real() is d and d.abbr == abbr


def test_iinfo_needs_a_type():
    raises_like(lambda m: m.iinfo(), TypeError, re.escape('iinfo() missing 1 required positional arguments: "type"'))


# --- save / load --------------------------------------------------------------------------------


@pytest.mark.parametrize("f", [5, None])
def test_save_to_something_not_a_file(f):
    raises_like(lambda m: m.save(m.tensor([1.0]), f), AttributeError,
                re.escape("expected 'f' to be string, path, or a file-like object with a 'write' attribute"))


def test_save_into_a_missing_directory(tmp_path):
    path = str(tmp_path / "missing" / "x.pt")
    raises_like(lambda m: m.save(m.tensor([1.0]), path), RuntimeError,
                re.escape(f"Parent directory {tmp_path / 'missing'} does not exist."))
    assert not (tmp_path / "missing").exists()


@pytest.mark.parametrize("f", [5, None])
def test_load_from_something_not_seekable(f):
    name = type(f).__name__
    raises_like(lambda m: m.load(f), AttributeError,
                re.escape(f"'{name}' object has no attribute 'seek'. You can only ") + r"(torch|fasttensor)" +
                re.escape(".load from a file that is seekable. Please pre-load the data into a buffer like io.BytesIO "
                          "and try to load from it instead."))


def test_load_of_an_empty_file():
    import io

    raises_like(lambda m: m.load(io.BytesIO()), EOFError, "^$")


@pytest.mark.parametrize("protocol", [2])  # (PyTorch's default; its weights-only load refuses others)
def test_old_pickle_protocols_load_with_weights_only(protocol):
    import io

    def round_trip(m):
        b = io.BytesIO()
        m.save({"w": m.tensor([1.5, 2.0]), "n": m.tensor(3)}, b, pickle_protocol=protocol)
        b.seek(0)
        return m.load(b)

    r = both(lambda m: tuple(round_trip(m).values()))
    assert r[0].tolist() == [1.5, 2.0] and r[1].item() == 3
