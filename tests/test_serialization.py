"""fasttensor.save / fasttensor.load: tensors of every dtype and layout, state
dicts, parameters, map_location, and weights_only refusing arbitrary objects."""

from __future__ import annotations

import io
import pickle

import numpy as np
import pytest

import fasttensor
from fasttensor import nn
from helpers import ALL_DTYPES, random_array, to_numpy


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("shape", [(), (0,), (3,), (2, 1, 5)])
def test_tensors_round_trip(dtype, shape, tmp_path):
    a = random_array(shape, dtype, np.random.default_rng(1))
    x = fasttensor.tensor(a)
    path = tmp_path / "x.pt"
    fasttensor.save(x, path)
    y = fasttensor.load(path)
    assert y.dtype == x.dtype and y.shape == x.shape and y.device == x.device
    np.testing.assert_array_equal(to_numpy(y), a)


def test_views_save_their_own_values_and_load_as_new_tensors():
    base = fasttensor.arange(12.0).reshape(3, 4)
    buf = io.BytesIO()
    fasttensor.save({"col": base[:, 1], "t": base.T}, buf)
    buf.seek(0)
    got = fasttensor.load(buf)
    assert got["col"].tolist() == [1.0, 5.0, 9.0] and got["t"].shape == (4, 3)
    got["col"][0] = 100  # no longer a view of anything saved
    assert base[0, 1].item() == 1.0


def test_state_dict_round_trip_and_parameters(tmp_path):
    net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    path = str(tmp_path / "net.params")
    fasttensor.save(net.state_dict(), path)
    clone = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    clone.load_state_dict(fasttensor.load(path))
    x = fasttensor.randn(3, 4)
    np.testing.assert_array_equal(to_numpy(clone(x).detach()), to_numpy(net(x).detach()))
    buf = io.BytesIO()
    fasttensor.save([nn.Parameter(fasttensor.ones(2)), fasttensor.Size([2, 3]), fasttensor.float64, 7, "s"], buf)
    buf.seek(0)
    p, size, dt, n, s = fasttensor.load(buf)
    assert isinstance(p, nn.Parameter) and p.requires_grad and p.is_leaf
    assert size == fasttensor.Size([2, 3]) and dt is fasttensor.float64 and (n, s) == (7, "s")


class _Evil:
    ran = False

    def __reduce__(self):
        return (_Evil._run, ())

    @staticmethod
    def _run():
        _Evil.ran = True
        return "ran"


def test_weights_only_refuses_other_objects_without_running_them():
    buf = io.BytesIO()
    fasttensor.save({"x": fasttensor.ones(1), "evil": _Evil()}, buf)
    buf.seek(0)
    with pytest.raises(pickle.UnpicklingError, match="Weights only load failed: unsupported global .*_Evil"):
        fasttensor.load(buf)
    assert not _Evil.ran
    buf.seek(0)
    assert fasttensor.load(buf, weights_only=False)["evil"] == "ran" and _Evil.ran
    buf = io.BytesIO()
    fasttensor.save(nn.Linear(2, 2), buf)
    buf.seek(0)
    with pytest.raises(pickle.UnpicklingError, match="weights_only=False"):
        fasttensor.load(buf)
    buf.seek(0)
    assert isinstance(fasttensor.load(buf, weights_only=False), nn.Linear)


def test_map_location_and_errors(tmp_path):
    buf = io.BytesIO()
    fasttensor.save(fasttensor.ones(2), buf)
    for location in ("cpu", fasttensor.device("cpu"), {"cuda:0": "cpu"}):
        buf.seek(0)
        assert fasttensor.load(buf, map_location=location).device == fasttensor.device("cpu")
    buf.seek(0)
    with pytest.raises(TypeError, match="map_location"):
        fasttensor.load(buf, map_location=3)
    # PyTorch's function form, f(storage, saved_location): here given the tensor on the CPU
    seen = []
    for f in (lambda storage, loc: storage, lambda storage, loc: seen.append(loc)):
        buf.seek(0)
        loaded = fasttensor.load(buf, map_location=f)
        assert loaded.device == fasttensor.device("cpu") and loaded.tolist() == [1.0, 1.0]
    assert seen == ["cpu"]
    with pytest.raises(FileNotFoundError):
        fasttensor.load(tmp_path / "missing.pt")
