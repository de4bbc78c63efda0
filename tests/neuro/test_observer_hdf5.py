"""Observer(hdf5=...): recordings streamed to HDF5 in chunks, read back value for value."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import h5py
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neuroboard.neuro import HDFData, Observer

RNG = np.random.default_rng(7)
VARS = [("lif", "v", False), ("lif", "i", "sum", [0, 2])]


def _feed(observers: list[Observer], steps: int, n: int = 6) -> None:
    for step in range(steps):
        v = RNG.normal(size=n).astype(np.float32)
        current = RNG.normal(size=n)
        spikes = RNG.random(n) < 0.2
        for obs in observers:
            obs.record(
                step, output=float(v[0]), loss=step * 0.5, record_vars=[v, current], record_spikes=[spikes]
            )


def _pair(tmp_path, **kwargs) -> tuple[Observer, Observer]:
    common = dict(record_vars=VARS, record_spikes=[("lif", "s")], **kwargs)
    memory = Observer(0.1, **common)
    stored = Observer(0.1, hdf5=tmp_path / "run.h5", chunk_bytes=100, **common)
    return memory, stored


@pytest.mark.parametrize("sampling_steps", [1, 3])
def test_hdf5_recordings_equal_the_in_memory_ones(tmp_path, sampling_steps) -> None:
    memory, stored = _pair(tmp_path, sampling_steps=sampling_steps)
    # 103 steps with chunks of a few rows: many chunk writes and a partial last one.
    _feed([memory, stored], 103)
    for obs in (memory, stored):
        assert obs.recorded_variables == [("lif", "v"), ("lif", "i"), "loss", "out", "steps"]
    for key in memory.recorded_variables:
        np.testing.assert_array_equal(stored.to_numpy(key), memory.to_numpy(key))
        np.testing.assert_array_equal(stored.recorded_steps(key), memory.recorded_steps(key))
        assert stored.to_dataframe(key).equals(memory.to_dataframe(key))
    for a, b in zip(stored.spikes("lif", "s"), memory.spikes("lif", "s")):
        np.testing.assert_array_equal(a, b)
    assert stored.population_rate("lif", "s").equals(memory.population_rate("lif", "s"))
    stored.close()


def test_the_file_holds_every_recording_after_close(tmp_path) -> None:
    memory, stored = _pair(tmp_path)
    with stored:
        _feed([memory, stored], 50)
    with h5py.File(tmp_path / "run.h5", "r") as file:
        assert file.attrs["dt"] == 0.1 and file.attrs["sampling_steps"] == 1
        assert file["lif/v"].maxshape == (None, 6) and file["lif/v"].chunks is not None
        np.testing.assert_array_equal(file["lif/v"][()], memory.to_numpy(("lif", "v")))
        np.testing.assert_array_equal(file["_steps/lif/v"][()], np.arange(50))
        pairs = file["_spikes/lif/s"]
        np.testing.assert_array_equal(pairs[:, 0], memory.spikes("lif", "s")[0])
        np.testing.assert_array_equal(pairs[:, 1], memory.spikes("lif", "s")[1])
        assert dict(pairs.attrs) == {"n_neurons": 6, "first_step": 0, "last_step": 49}
    # Reading goes on after close, from the file.
    np.testing.assert_array_equal(stored.to_numpy("loss"), memory.to_numpy("loss"))
    data = HDFData(tmp_path / "run.h5").read()
    np.testing.assert_array_equal(data["lif/i"], memory.to_numpy(("lif", "i")))
    with pytest.raises(ValueError, match="closed"):
        stored.record(50, loss=0.0)
    stored.close()


def test_a_silent_population_keeps_its_span_in_the_file(tmp_path) -> None:
    with Observer(1.0, record_spikes=[("lif", "s")], hdf5=tmp_path / "events.h5") as obs:
        obs.record_spike_events("lif", "s", [], [], n_neurons=3, start=0, stop=3)
    with Observer(1.0, record_spikes=[("lif", "s")], hdf5=tmp_path / "steps.h5") as obs:
        for step in range(4):
            obs.record(step, record_spikes=[np.zeros(2, bool)])
        assert obs.population_rate("lif", "s").tolist() == [0.0] * 4
    for name, n in (("events.h5", 3), ("steps.h5", 2)):
        with h5py.File(tmp_path / name, "r") as file:
            pairs = file["_spikes/lif/s"]
            assert pairs.shape == (0, 2)
            assert dict(pairs.attrs) == {"n_neurons": n, "first_step": 0, "last_step": 3}


def test_reset_empties_the_file(tmp_path) -> None:
    _, stored = _pair(tmp_path)
    _feed([stored], 10)
    stored.reset()
    assert all(len(stored[key]) == 0 for key in stored.recorded_variables)
    _feed([stored], 4)
    stored.close()
    with h5py.File(tmp_path / "run.h5", "r") as file:
        assert len(file["lif/v"]) == 4 and len(file["_steps/out"]) == 4


def test_a_shape_change_is_refused_and_names_the_variable(tmp_path) -> None:
    obs = Observer(0.1, record_vars=[("lif", "v", False)], hdf5=tmp_path / "run.h5")
    obs.record(0, record_vars=[np.zeros(3)])
    with pytest.raises(ValueError, match=r"lif/v.*\(3,\).*\(4,\)"):
        obs.record(1, record_vars=[np.zeros(4)])
    obs.close()


def test_an_unwritable_path_is_refused(tmp_path) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(OSError, match="hdf5"):
        Observer(0.1, hdf5=tmp_path / "file" / "run.h5")
    with pytest.raises(ValueError, match="chunk_bytes"):
        Observer(0.1, hdf5=tmp_path / "run.h5", chunk_bytes=0)


def test_the_last_chunk_is_written_at_exit_without_close(tmp_path) -> None:
    path = tmp_path / "run.h5"
    script = textwrap.dedent(
        f"""
        import numpy as np
        from neuroboard.neuro import Observer
        obs = Observer(0.5, record_vars=[("n", "v", False)], hdf5={str(path)!r})
        for step in range(1001):
            obs.record(step, output=step, record_vars=[np.full(4, step, np.float32)])
        """
    )
    subprocess.run([sys.executable, "-c", script], check=True)
    with h5py.File(path, "r") as file:
        np.testing.assert_array_equal(file["out"][()], np.arange(1001))
        np.testing.assert_array_equal(file["n/v"][:, 0], np.arange(1001, dtype=np.float32))


MEMORY_SCRIPT = """
import resource, sys
import numpy as np
from neuroboard.neuro import Observer

def rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20

arrays = [np.random.rand(1000).astype(np.float32) for _ in range(16)]
obs = Observer(0.1, record_output=False, record_loss=False, record_vars=[("n", "v", False)], hdf5=sys.argv[1])
start = rss_mb()
peak = start
for step in range(100_000):
    obs.record(step, record_vars=[arrays[step % 16]])
    if step % 5000 == 0:
        peak = max(peak, rss_mb())
obs.close()
peak = max(peak, rss_mb())
print(peak - start, len(obs.recorded_steps(("n", "v"))))
"""


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="reads resident memory from /proc")
def test_recording_past_memory_stays_bounded(tmp_path) -> None:
    # 1e5 steps x 1000 float32 neurons is 400 MB of data: it goes to the file, not to memory.
    result = subprocess.run(
        [sys.executable, "-c", MEMORY_SCRIPT, str(tmp_path / "big.h5")],
        check=True,
        capture_output=True,
        text=True,
    )
    grown, rows = result.stdout.split()
    assert int(rows) == 100_000
    assert float(grown) < 200, f"resident memory grew by {grown} MB"
    assert os.path.getsize(tmp_path / "big.h5") >= 100_000 * 1000 * 4


def test_a_value_the_file_cannot_hold_is_refused_not_truncated(tmp_path) -> None:
    # An HDF5 dataset keeps the dtype of its first step: 0 then 0.7 would store 0.
    obs = Observer(0.1, record_loss=True, hdf5=tmp_path / "run.h5")
    obs.record(0, loss=0)
    with pytest.raises(TypeError, match=r"Observer\.record\(loss=\.\.\.\): expected values that fit .*int64"):
        obs.record(1, loss=0.7)
    obs.record(2, loss=3)
    assert obs.to_numpy("loss").tolist() == [0, 3]


def test_the_file_holds_rectipys_steps_and_obs_key_reads_back_lists(tmp_path) -> None:
    torch = pytest.importorskip("torch")
    path = tmp_path / "run.h5"
    with Observer(0.1, record_vars=[("n", "v", False)], sampling_steps=2, hdf5=path, chunk_bytes=64) as obs:
        for step in range(9):
            obs.record(
                step, output=torch.tensor([step, -step], dtype=torch.float32), record_vars=[np.ones(3)]
            )
    with h5py.File(path, "r") as file:
        assert file["steps"][()].tolist() == [0, 2, 4, 6, 8]
    assert obs["steps"] == [0, 2, 4, 6, 8]
    out = torch.stack(obs["out"])
    assert out.dtype == torch.float32 and out[:, 0].tolist() == [0.0, 1.5, 3.5, 5.5, 7.5]


# -- H5Series: the direct chunk write against the slice assignment it replaces -------------------------


@settings(max_examples=30, deadline=None)
@given(
    rows=st.integers(0, 60),
    width=st.integers(0, 3),
    chunk_bytes=st.integers(1, 200),
    flushes=st.sets(st.integers(0, 60), max_size=6),
    dtype=st.sampled_from(["float32", "int64", "bool"]),
)
def test_direct_chunks_write_what_slice_assignment_writes(rows, width, chunk_bytes, flushes, dtype) -> None:
    import tempfile

    from neuroboard.neuro.h5series import H5Series

    rng = np.random.default_rng(rows)
    shape = (width,) if width else ()
    data = (rng.normal(size=(rows, *shape)) * 10).astype(dtype)
    with tempfile.TemporaryDirectory() as folder, h5py.File(os.path.join(folder, "a.h5"), "w") as file:
        fast = H5Series(file, "fast", chunk_bytes=chunk_bytes)
        reference = H5Series(file, "reference", chunk_bytes=chunk_bytes, direct=False)
        for index, row in enumerate(data):
            for series in (fast, reference):
                series.append(row)
                if index in flushes:
                    # A flush, and a read, in the middle of a chunk: the rest completes it in place.
                    np.testing.assert_array_equal(series.read(), data[: index + 1])
        for series in (fast, reference):
            series.flush()
        if rows:
            assert fast._fast and not reference._fast
            np.testing.assert_array_equal(file["fast"][()], file["reference"][()])
            np.testing.assert_array_equal(file["fast"][()], data)
        assert len(fast) == len(reference) == rows


def test_a_compressed_dataset_takes_the_reference_path(tmp_path) -> None:
    from neuroboard.neuro.h5series import H5Series

    with h5py.File(tmp_path / "a.h5", "w") as file:
        file.create_dataset(
            "v", shape=(0, 2), dtype="f4", maxshape=(None, 2), chunks=(4, 2), compression="gzip"
        )
        series = H5Series(file, "v", chunk_bytes=32)
        for step in range(10):
            series.append(np.full(2, step, np.float32))
        assert not series._fast
        assert series.read()[:, 0].tolist() == list(range(10))


@settings(max_examples=25, deadline=None)
@given(
    plan=st.lists(
        st.tuples(st.booleans(), st.booleans(), st.booleans(), st.sampled_from(["ok", "bad var", "repeat"])),
        max_size=40,
    ),
    sampling_steps=st.sampled_from([1, 2]),
)
def test_series_steps_in_memory_are_those_the_file_keeps(plan, sampling_steps) -> None:
    # In memory, a series' steps are a slice of the Observer's log while it gets a value at every kept
    # step; the HDF5 Observer keeps every series' own steps, as the reference.
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        memory = Observer(0.5, record_vars=[("n", "v", False)], sampling_steps=sampling_steps)
        stored = Observer(
            0.5, record_vars=[("n", "v", False)], sampling_steps=sampling_steps, hdf5=f"{folder}/r.h5"
        )
        step = 0
        for with_output, with_loss, with_vars, event in plan:
            step += event != "repeat"
            values = [np.array(["x", "y"]) if event == "bad var" else np.full(2, step)] if with_vars else None
            for obs in (memory, stored):
                try:
                    obs.record(
                        step,
                        output=float(step) if with_output else None,
                        loss=-step if with_loss else None,
                        record_vars=values,
                    )
                except TypeError:
                    assert event == "bad var"
        for key in memory.recorded_variables:
            np.testing.assert_array_equal(memory.recorded_steps(key), stored.recorded_steps(key))
            np.testing.assert_array_equal(memory.to_numpy(key), stored.to_numpy(key))
        assert memory["steps"] == stored["steps"]
        stored.close()


def test_the_units_of_the_values_are_kept_in_the_file(tmp_path) -> None:
    pq = pytest.importorskip("quantities")
    path = tmp_path / "run.h5"
    with Observer(0.1 * pq.ms, record_vars=[("lif", "v", False)], record_loss=False, hdf5=path) as obs:
        for step in range(3):
            obs.record(step, output=1.0, record_vars=[np.array([-65.0, -70.0]) * pq.mV])
        assert obs.units == {"lif/v": "mV"}
    with h5py.File(path, "r") as file:
        assert file["lif/v"].attrs["units"] == "mV" and "units" not in file["out"].attrs
