"""nwb_to_tensorboard: tags of a TimeSeries' columns name the neurons the file's table gives them."""

from __future__ import annotations

import datetime
import os

import numpy as np
import pytest

from neuroboard.neuro import Observer, TensorboardWriter
from neuroboard.neuro.nwb_read import column_neurons, nwb_to_tensorboard
from tests.tb import accumulator, scalar_arrays

pynwb = pytest.importorskip("pynwb")


def test_column_tags_are_the_neurons_to_nwb_recorded(tmp_path):
    obs = Observer(0.5, record_loss=False, record_vars=[("lif", "v", False, [2, 5, 7])])
    rng = np.random.default_rng(1)
    for step in range(6):
        obs.record(step, output=float(step), record_vars=[rng.normal(size=9)])
    path = os.fspath(tmp_path / "run.nwb")
    obs.to_nwb(path)
    run = tmp_path / "run"
    with TensorboardWriter(run) as views:
        assert nwb_to_tensorboard(path, views) == ["lif_v", "out"]
    acc = accumulator(run)
    assert {"lif_v/2", "lif_v/5", "lif_v/7"} <= set(acc.Tags()["scalars"])
    assert not {"lif_v/0", "lif_v/1"} & set(acc.Tags()["scalars"])
    values = obs.to_numpy(("lif", "v"))
    for j, neuron in enumerate([2, 5, 7]):
        steps, got, _ = scalar_arrays(acc, f"lif_v/{neuron}")
        assert steps.tolist() == list(range(6))
        np.testing.assert_allclose(got, values[:, j], rtol=1e-6)


def test_a_file_without_the_table_keeps_column_indices(tmp_path):
    nwbfile = pynwb.NWBFile("a series", "id-1", datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc))
    series = np.arange(12.0).reshape(6, 2)
    nwbfile.add_acquisition(pynwb.TimeSeries(name="lfp", data=series, unit="V", rate=100.0))
    path = os.fspath(tmp_path / "direct.nwb")
    with pynwb.NWBHDF5IO(path, "w") as io:
        io.write(nwbfile)
    with pynwb.NWBHDF5IO(path, "r") as io:
        assert column_neurons(io.read()) == {}
    with TensorboardWriter(tmp_path / "run") as views:
        nwb_to_tensorboard(path, views)
    assert {"lfp/0", "lfp/1"} <= set(accumulator(tmp_path / "run").Tags()["scalars"])


def test_max_bytes_counts_what_external_links_point_to(tmp_path):
    import h5py

    from neuroboard.neuro.nwb_read import check_declared_bytes

    path, big = tmp_path / "run.nwb", tmp_path / "big.h5"
    obs = Observer(1.0, record_loss=False)
    for step in range(4):
        obs.record(step, output=float(step))
    obs.to_nwb(path)
    small = check_declared_bytes(path, 1 << 20)
    with h5py.File(big, "w") as file:
        file["x"] = np.arange(100_000.0)
    with h5py.File(path, "a") as file:
        del file["acquisition/out/data"]
        file["acquisition/out/data"] = h5py.ExternalLink(str(big), "x")
    assert check_declared_bytes(path, 1 << 20) == small - 4 * 8 + 800_000
    refused = r"max_bytes=...\): expected datasets of at most 100000 bytes"
    with TensorboardWriter(str(tmp_path / "logs")) as writer, pytest.raises(ValueError, match=refused):
        nwb_to_tensorboard(path, writer, max_bytes=100_000)
