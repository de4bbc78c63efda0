"""SONATA spike files: written as NEST and BMTK lay them out, read back value for value, drawn as raster and rate."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from neuroboard.neuro import Observer, TensorboardWriter
from neuroboard.neuro.sonata import (
    MAGIC,
    is_sonata_spikes,
    observer_to_sonata,
    read_sonata_spikes,
    sonata_rate,
    sonata_to_observer,
    sonata_to_tensorboard,
    write_sonata_spikes,
)
from tests.tb import accumulator, scalar_arrays

SORTING_ENUM = h5py.enum_dtype({"none": 0, "by_id": 1, "by_time": 2}, basetype="u1")


def nest_file(path, populations, units="ms", sorting_as="enum"):
    """Lay out populations as BMTK (enum sorting) or NEST (string sorting) write them."""
    with h5py.File(path, "w") as f:
        f.attrs["magic"] = np.uint32(0x0A7A)
        f.attrs["version"] = np.array([0, 1], np.uint32)
        for name, (times, ids) in populations.items():
            group = f.create_group(f"spikes/{name}")
            if sorting_as == "enum":
                group.attrs.create("sorting", 2, dtype=SORTING_ENUM)
            else:
                group.attrs["sorting"] = "by_time"
            group.create_dataset("timestamps", data=np.asarray(times, np.float64)).attrs["units"] = units
            group.create_dataset("node_ids", data=np.asarray(ids, np.uint64))
    return path


def random_spikes(rng, n, n_nodes=50, t_stop=100.0):
    times = np.sort(rng.uniform(0, t_stop, n))
    return times, rng.integers(0, n_nodes, n)


def test_round_trip_value_for_value_with_every_attribute(tmp_path):
    rng = np.random.default_rng(0)
    times, ids = random_spikes(rng, 1000)
    path = tmp_path / "s.h5"
    write_sonata_spikes(path, times, ids, population="v1", units="ms", sorting="by_time")
    with h5py.File(path, "r") as f:
        assert f.attrs["magic"] == MAGIC == 0x0A7A
        assert f.attrs["version"].tolist() == [0, 1]
        group = f["spikes/v1"]
        assert h5py.check_enum_dtype(group.attrs.get_id("sorting").dtype) == {
            "none": 0,
            "by_id": 1,
            "by_time": 2,
        }
        assert group.attrs["sorting"] == 2
        assert group["timestamps"].dtype == np.float64 and group["node_ids"].dtype == np.uint64
        assert group["timestamps"].attrs["units"] == "ms"
        np.testing.assert_array_equal(group["timestamps"][()], times)
        np.testing.assert_array_equal(group["node_ids"][()], ids)
    read = read_sonata_spikes(path)["v1"]
    np.testing.assert_array_equal(read.times, times)
    np.testing.assert_array_equal(read.node_ids, ids)
    assert read.node_ids.dtype == np.int64 and read.sorting == "by_time" and read.n_nodes == ids.max() + 1


def test_sorting_orders_the_rows(tmp_path):
    path = tmp_path / "s.h5"
    write_sonata_spikes(path, [3.0, 1.0, 2.0, 1.0], [0, 2, 0, 1], sorting="by_id")
    read = read_sonata_spikes(path)["default"]
    assert read.node_ids.tolist() == [0, 0, 1, 2] and read.times.tolist() == [2.0, 3.0, 1.0, 1.0]
    write_sonata_spikes(path, [3.0, 1.0], [0, 2], sorting="none")
    assert read_sonata_spikes(path)["default"].times.tolist() == [3.0, 1.0]


@pytest.mark.parametrize("sorting_as", ["enum", "string"])
@pytest.mark.parametrize(("units", "factor"), [("ms", 1.0), ("s", 1000.0)])
def test_reads_nest_and_bmtk_files(tmp_path, units, factor, sorting_as):
    populations = {"exc": ([0.001, 0.002, 0.004], [0, 3, 1]), "inh": ([0.0005], [7])}
    path = nest_file(tmp_path / "s.h5", populations, units=units, sorting_as=sorting_as)
    read = read_sonata_spikes(path)
    assert sorted(read) == ["exc", "inh"]
    np.testing.assert_allclose(read["exc"].times, np.array([0.001, 0.002, 0.004]) * factor, rtol=1e-15)
    assert read["exc"].node_ids.tolist() == [0, 3, 1] and read["inh"].n_nodes == 8
    assert {s.sorting for s in read.values()} == {"by_time"}
    assert list(read_sonata_spikes(path, population="inh")) == ["inh"]
    assert read_sonata_spikes(path, n_nodes=100)["exc"].n_nodes == 100


def test_reads_the_older_layout(tmp_path):
    path = tmp_path / "old.h5"
    with h5py.File(path, "w") as f:
        f["spikes/gids"] = np.array([2, 0], np.uint64)
        f["spikes/timestamps"] = np.array([1.5, 2.5])
    read = read_sonata_spikes(path)
    assert list(read) == ["default"] and read["default"].node_ids.tolist() == [2, 0]
    assert read["default"].times.tolist() == [1.5, 2.5] and read["default"].sorting == "none"


def test_refuses_files_that_are_not_sonata_spikes(tmp_path):
    plain = tmp_path / "plain.h5"
    with h5py.File(plain, "w") as f:
        f["v"] = np.zeros(3)
    with pytest.raises(ValueError, match=r"plain\.h5 is not a SONATA spike file: it has no /spikes group"):
        read_sonata_spikes(plain)
    with h5py.File(plain, "a") as f:
        f["spikes/v1/timestamps"] = np.zeros(3)
    with pytest.raises(ValueError, match="no population with 'timestamps' and 'node_ids'"):
        read_sonata_spikes(plain)
    text = tmp_path / "text.h5"
    text.write_text("not hdf5")
    with pytest.raises(ValueError, match=r"text\.h5 is not a SONATA spike file: not HDF5"):
        read_sonata_spikes(text)
    assert not is_sonata_spikes(plain) and not is_sonata_spikes(text)
    uneven = nest_file(tmp_path / "uneven.h5", {"v1": ([1.0, 2.0], [0, 1])})
    with h5py.File(uneven, "a") as f:
        del f["spikes/v1/node_ids"]
        f["spikes/v1/node_ids"] = np.array([0], np.uint64)
    with pytest.raises(ValueError, match="has 2 rows but /spikes/v1/node_ids has 1"):
        read_sonata_spikes(uneven)
    with pytest.raises(ValueError, match=r"populations \['v1'\], got 'v2'"):
        read_sonata_spikes(nest_file(tmp_path / "a.h5", {"v1": ([1.0], [0])}), population="v2")


def test_refuses_data_outside_the_file(tmp_path):
    outside = nest_file(tmp_path / "outside.h5", {"v1": ([1.0], [0])})
    path = tmp_path / "link.h5"
    with h5py.File(path, "w") as f:
        f["spikes/v1"] = h5py.ExternalLink(str(outside), "/spikes/v1")
    with pytest.raises(ValueError, match="link to data outside the file"):
        read_sonata_spikes(path)
    assert read_sonata_spikes(path, allow_external=True)["v1"].times.tolist() == [1.0]
    assert is_sonata_spikes(path)


def test_a_refused_write_writes_nothing(tmp_path):
    path = tmp_path / "s.h5"
    for kwargs, message in [
        ({"units": "us"}, r"units=\.\.\.\): expected 'ms' or 's'"),
        ({"sorting": "by_gid"}, "sorting=..."),
        ({"population": "a/b"}, "without '/'"),
        ({"node_ids": [0, -1]}, "integers >= 0"),
        ({"node_ids": [0]}, "expected 2 ids"),
        ({"times": [0.0, np.nan]}, "finite numbers"),
    ]:
        call = {"times": [0.0, 1.0], "node_ids": [0, 1], **kwargs}
        with pytest.raises(ValueError, match=message):
            write_sonata_spikes(path, **call)
        assert not path.exists()
    write_sonata_spikes(path, [1.0], [0], population="v1")
    with pytest.raises(ValueError, match="has a population 'v1' already"):
        write_sonata_spikes(path, [2.0], [0], population="v1", mode="a")
    assert read_sonata_spikes(path)["v1"].times.tolist() == [1.0]


def test_rate_is_spikes_per_neuron_per_second(tmp_path):
    rng = np.random.default_rng(1)
    times, ids = random_spikes(rng, 5000, n_nodes=40, t_stop=200.0)
    path = tmp_path / "s.h5"
    write_sonata_spikes(path, times, ids, population="v1")
    rate = sonata_rate(path, bin=5.0)["v1"]
    expected = np.bincount((times // 5.0).astype(int)) / (40 * 5.0e-3)
    np.testing.assert_allclose(rate.to_numpy(), expected)
    assert rate.index[1] == 5.0
    # The same definition as the Observer's: spikes per neuron per unit of time (its unit: 1 ms steps).
    obs = sonata_to_observer(path, dt=1.0)
    per_ms = obs.population_rate("v1", "spikes", bin=5.0).to_numpy()
    steps = np.rint(times).astype(int)
    np.testing.assert_allclose(per_ms[: len(per_ms)], (np.bincount(steps // 5) / (40 * 5.0))[: len(per_ms)])


def test_chunked_views_equal_the_whole_read(tmp_path, monkeypatch):
    from neuroboard.neuro import sonata

    rng = np.random.default_rng(2)
    times, ids = random_spikes(rng, 3000)
    path = tmp_path / "s.h5"
    write_sonata_spikes(path, times, ids, population="v1")
    whole = sonata_rate(path, bin=2.0)["v1"]
    monkeypatch.setattr(sonata, "CHUNK", 7)
    monkeypatch.setattr(sonata._Population.chunks, "__defaults__", (7,))
    np.testing.assert_array_equal(sonata_rate(path, bin=2.0)["v1"].to_numpy(), whole.to_numpy())


def test_to_tensorboard_raster_and_rate_per_population(tmp_path):
    rng = np.random.default_rng(3)
    exc, inh = random_spikes(rng, 2000, n_nodes=80), random_spikes(rng, 500, n_nodes=20)
    path = nest_file(tmp_path / "s.h5", {"exc": exc, "inh": inh}, units="ms")
    run = tmp_path / "run"
    with TensorboardWriter(run) as views:
        assert sonata_to_tensorboard(path, views, bin=1.0) == ["exc", "inh"]
    acc = accumulator(run)
    assert set(acc.Tags()["images"]) == {"exc/raster", "inh/raster"}
    image = acc.Images("exc/raster")[0]
    assert (image.width, image.height) == (100, 80)
    steps, values, _ = scalar_arrays(acc, "inh/rate")
    expected = sonata_rate(path, population="inh")["inh"].to_numpy()
    np.testing.assert_array_equal(steps, np.arange(len(expected)))
    np.testing.assert_allclose(values, expected, rtol=1e-6)


def test_observer_spikes_out_and_back_in(tmp_path):
    rng = np.random.default_rng(4)
    obs = Observer(0.25, record_spikes=[("lif", "s"), ("lif", "i")])
    for step in range(200):
        obs.record(step, record_spikes=[rng.random(30) < 0.05, rng.random(10) < 0.1])
    path = tmp_path / "obs.h5"
    assert observer_to_sonata(obs, path) == ["lif_s", "lif_i"]
    steps, neurons = obs.spikes("lif", "s")
    read = read_sonata_spikes(path)["lif_s"]
    np.testing.assert_array_equal(read.times, steps * 0.25)
    np.testing.assert_array_equal(read.node_ids, neurons)
    back = sonata_to_observer(path, dt=0.25, population="lif_s")
    for got, sent in zip(back.spikes("lif_s", "spikes"), (steps, neurons)):
        np.testing.assert_array_equal(got, sent)
    with pytest.raises(ValueError, match="recorded spikes under"):
        observer_to_sonata(obs, tmp_path / "x.h5", keys=[("lif", "v")])


def test_refuses_a_population_name_that_is_not_utf8(tmp_path):
    path = tmp_path / "latin1.h5"
    with h5py.File(path, "w") as f:
        f.create_group(b"spikes/caf\xe9")
    with pytest.raises(
        ValueError, match=r"latin1\.h5: /spikes holds a population whose name b'caf\\xe9' is not UTF-8"
    ):
        read_sonata_spikes(path)
    assert not is_sonata_spikes(path)
