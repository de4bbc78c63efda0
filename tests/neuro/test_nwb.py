"""Observer.to_nwb: every file read back with pynwb value for value, and checked by nwbinspector."""

from __future__ import annotations

import datetime
import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neuroboard.neuro import Observer

pynwb = pytest.importorskip("pynwb")
nwbinspector = pytest.importorskip("nwbinspector")

SUBJECT = {"subject_id": "net-1", "species": "Mus musculus", "sex": "U", "age": "P90D"}


def _run(
    tmp_path: os.PathLike[str] | None = None, steps: int = 200, n: int = 20, **kwargs: object
) -> Observer:
    rng = np.random.default_rng(7)
    hdf5 = None if tmp_path is None else os.path.join(tmp_path, "rec.h5")
    obs = Observer(
        0.5,
        sampling_steps=2,
        record_vars=[("lif", "v", False), ("lif", "v_mean", "mean", [0, 2, 4]), ("qif", "u", False, [1, 3])],
        record_spikes=[("lif", "s"), ("qif", "s")],
        hdf5=hdf5,
        **kwargs,
    )
    for step in range(steps):
        v = rng.normal(size=n).astype(np.float32)
        obs.record(
            step,
            output=float(step),
            loss=1.0 / (step + 1),
            record_vars=[v, v, v * 2],
            record_spikes=[rng.random(n) < 0.1, (rng.random(5) < 0.3).astype(np.int64) * 2],
        )
    return obs


def _problems(path: str) -> list:
    important = {nwbinspector.Importance.CRITICAL, nwbinspector.Importance.BEST_PRACTICE_VIOLATION}
    return [m for m in nwbinspector.inspect_nwbfile(nwbfile_path=path) if m.importance in important]


@pytest.mark.parametrize("on_disk", [False, True])
def test_read_back_value_for_value(tmp_path, on_disk):
    obs = _run(tmp_path if on_disk else None)
    path = os.fspath(tmp_path / "run.nwb")
    start = datetime.datetime(2024, 5, 1, 12, 0, tzinfo=datetime.timezone.utc)
    obs.to_nwb(
        path,
        time_unit="ms",
        units={("lif", "v"): "mV", "out": "a.u."},
        session_description="two populations",
        identifier="run-1",
        session_start_time=start,
        experimenter="Doe, Jane",
        institution="Somewhere",
        lab="Models",
        subject=SUBJECT,
    )
    dt_s = 0.5 / 1000
    with pynwb.NWBHDF5IO(path, "r") as io:
        nwb = io.read()
        assert (nwb.identifier, nwb.session_description, nwb.session_start_time) == (
            "run-1",
            "two populations",
            start,
        )
        assert list(nwb.experimenter) == ["Doe, Jane"] and (nwb.institution, nwb.lab) == (
            "Somewhere",
            "Models",
        )
        assert nwb.subject.subject_id == "net-1"
        units = nwb.units
        assert units.resolution == dt_s
        row = 0
        for node, var in obs.recorded_spikes:
            steps, neurons = obs.spikes(node, var)
            n = obs._spike_buffer(node, var).n_neurons
            for neuron in range(n):
                assert units["population"][row] == f"{node}/{var}" and units["neuron"][row] == neuron
                expected = steps[neurons == neuron] * 0.5 / 1000
                np.testing.assert_array_equal(units["spike_times"][row], expected)
                row += 1
            rate = nwb.processing["ecephys"][f"{node}_{var}_rate"]
            np.testing.assert_array_equal(rate.data[:], obs.population_rate(node, var).to_numpy() * 1000)
            assert (rate.unit, rate.rate, rate.starting_time) == ("Hz", 1 / dt_s, 0.0)
        assert len(units) == row == 25
        for key, name, unit in [
            (("lif", "v"), "lif_v", "mV"),
            (("qif", "u"), "qif_u", "n/a"),
            ("out", "out", "a.u."),
            ("loss", "loss", "n/a"),
        ]:
            series = nwb.acquisition[name]
            np.testing.assert_array_equal(series.data[:], obs.to_numpy(key))
            assert (series.unit, series.rate, series.starting_time) == (unit, 1 / (dt_s * 2), 0.0)
        assert "neurons [1, 3] of the population" in nwb.acquisition["qif_u"].description
        assert "all 20 neurons in order" in nwb.acquisition["lif_v"].description
        text = nwb.acquisition["lif_v_mean"].description
        assert "one value per step: the mean over neurons [0, 2, 4]" in text
        np.testing.assert_array_equal(nwb.acquisition["lif_v_mean"].data[:], obs.to_numpy(("lif", "v_mean")))
    assert _problems(path) == []


def test_uneven_steps_are_timestamps_and_defaults_are_set(tmp_path):
    obs = Observer(0.001, record_loss=False)
    for step in (0, 1, 5):
        obs.record(step, output=float(step))
    path = os.fspath(tmp_path / "run.nwb")
    obs.to_nwb(path)
    with pynwb.NWBHDF5IO(path, "r") as io:
        nwb = io.read()
        np.testing.assert_array_equal(nwb.acquisition["out"].timestamps[:], [0.0, 0.001, 0.005])
        assert nwb.acquisition["out"].rate is None
        assert len(nwb.identifier) == 36 and nwb.session_start_time.tzinfo is not None
        assert nwb.units is None
    # Without a subject, DANDI's one requirement nwbinspector reports as critical is the missing subject.
    assert [m.check_function_name for m in _problems(path)] == ["check_subject_exists"]


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"time_unit": "min"}, ValueError, r"to_nwb\(time_unit=...\): expected one of s, ms, us, got 'min'"),
        ({"units": {"lif/w": "mV"}}, ValueError, r"to_nwb\(units=...\): 'lif/w' is not a recorded quantity"),
        (
            {"units": {"out": 3}},
            TypeError,
            r"to_nwb\(units=...\): expected a non-empty str as the unit of 'out'",
        ),
        (
            {"session_start_time": datetime.datetime(2024, 1, 1)},
            ValueError,
            r"to_nwb\(session_start_time=...\): expected a datetime with a timezone",
        ),
        ({"subject": "mouse"}, TypeError, r"to_nwb\(subject=...\): expected a pynwb Subject or a dict"),
        ({"identifier": ""}, TypeError, r"to_nwb\(identifier=...\): expected a non-empty str"),
        ({"compression": "zstd"}, ValueError, r"to_nwb\(compression=...\): expected None, 'gzip' or 'lzf'"),
    ],
)
def test_refused_arguments_write_nothing(tmp_path, kwargs, error, match):
    obs = Observer(0.001)
    obs.record(0, output=1.0)
    path = tmp_path / "run.nwb"
    with pytest.raises(error, match=match):
        obs.to_nwb(path, **kwargs)
    assert not path.exists()


def test_compressed_file_reads_back(tmp_path):
    obs = _run(steps=40)
    path = os.fspath(tmp_path / "run.nwb")
    obs.to_nwb(path, time_unit="ms", compression="gzip", subject=SUBJECT)
    with pynwb.NWBHDF5IO(path, "r") as io:
        nwb = io.read()
        np.testing.assert_array_equal(nwb.acquisition["lif_v"].data[:], obs.to_numpy(("lif", "v")))
    assert _problems(path) == []


def _contents(path: str) -> dict:
    """Return every value of an NWB file written from an Observer, by where it is in the file."""
    with pynwb.NWBHDF5IO(path, "r") as io:
        nwb = io.read()
        found = {
            f"acquisition/{name}": (s.data[:], s.unit, s.rate, s.starting_time, s.timestamps)
            for name, s in nwb.acquisition.items()
        }
        for name, s in nwb.processing["ecephys"].data_interfaces.items():
            found[f"ecephys/{name}"] = (s.data[:], s.unit, s.rate, s.starting_time)
        units = nwb.units
        found["units"] = [
            (units["population"][row], units["neuron"][row], units["spike_times"][row].tolist())
            for row in range(len(units))
        ]
        found["resolution"] = units.resolution
    return found


def test_a_recording_file_becomes_the_nwb_file_to_nwb_writes(tmp_path):
    from neuroboard.neuro.nwb import recording_to_nwb

    obs = _run(tmp_path)
    obs.close()
    direct, converted = os.fspath(tmp_path / "direct.nwb"), os.fspath(tmp_path / "converted.nwb")
    start = datetime.datetime(2024, 5, 1, 12, 0, tzinfo=datetime.timezone.utc)
    metadata = {"time_unit": "ms", "identifier": "run-1", "session_start_time": start, "subject": SUBJECT}
    obs.to_nwb(direct, **metadata)
    recording_to_nwb(obs.hdf5, converted, **metadata)
    expected, got = _contents(direct), _contents(converted)
    assert sorted(got) == sorted(expected)
    for where, values in expected.items():
        if where == "units" or where == "resolution":
            assert got[where] == values, where
            continue
        np.testing.assert_array_equal(got[where][0], values[0])
        assert got[where][1:] == values[1:], where
    with pynwb.NWBHDF5IO(converted, "r") as io:
        text = io.read().acquisition["qif_u"].description
    assert "the 2 recorded columns" in text
    assert _problems(converted) == []


def test_recording_to_nwb_refuses_a_file_observer_did_not_write(tmp_path):
    import h5py

    from neuroboard.neuro.nwb import recording_to_nwb

    path = os.fspath(tmp_path / "other.h5")
    with h5py.File(path, "w") as file:
        file["x"] = np.arange(3)
    with pytest.raises(
        ValueError, match=r"recording_to_nwb\(h5_path=...\): expected a file written by Observer"
    ):
        recording_to_nwb(path, tmp_path / "out.nwb")
    assert not os.path.exists(tmp_path / "out.nwb")


def test_the_neurons_of_each_series_are_a_table_a_program_reads(tmp_path):
    from neuroboard.neuro.nwb import NEURONS_MODULE, NEURONS_TABLE

    obs = _run()
    path = os.fspath(tmp_path / "run.nwb")
    obs.to_nwb(path, time_unit="ms", subject=SUBJECT)
    with pynwb.NWBHDF5IO(path, "r") as io:
        table = io.read().processing[NEURONS_MODULE][NEURONS_TABLE]
        rows = {
            table["series"][i]: (
                table["population"][i],
                table["variable"][i],
                table["reduction"][i],
                list(table["neurons"][i]),
            )
            for i in range(len(table))
        }
    assert rows == {
        "lif_v": ("lif", "v", "", list(range(20))),
        "lif_v_mean": ("lif", "v_mean", "mean", [0, 2, 4]),
        "qif_u": ("qif", "u", "", [1, 3]),
    }
    assert _problems(path) == []


def test_a_reduction_over_all_neurons_lists_none_and_a_mask_lists_the_neurons_it_sets(tmp_path):
    from neuroboard.neuro.nwb_read import column_neurons

    obs = Observer(
        1.0,
        record_vars=[("lif", "v_max", np.max), ("lif", "v", False, np.array([False, True, True, False]))],
    )
    for step in range(3):
        v = np.arange(4.0) + step
        obs.record(step, record_vars=[v, v])
    path = os.fspath(tmp_path / "run.nwb")
    obs.to_nwb(path, subject=SUBJECT)
    with pynwb.NWBHDF5IO(path, "r") as io:
        nwb = io.read()
        table = nwb.processing["misc"]["series_neurons"]
        assert (table["reduction"][0], list(table["neurons"][0])) == ("max", [])
        assert {k: v.tolist() for k, v in column_neurons(nwb).items()} == {"lif_v": [1, 2]}


def test_a_recording_file_does_not_say_its_neurons_so_no_table_is_written(tmp_path):
    from neuroboard.neuro.nwb import recording_to_nwb

    obs = _run(tmp_path, steps=10)
    obs.close()
    path = os.fspath(tmp_path / "rec.nwb")
    recording_to_nwb(obs.hdf5, path, subject=SUBJECT)
    with pynwb.NWBHDF5IO(path, "r") as io:
        assert "misc" not in io.read().processing


def test_the_schema_cached_in_the_file_is_the_one_pynwb_caches(tmp_path):
    import h5py

    obs = _run(steps=10)
    ours, theirs = os.fspath(tmp_path / "ours.nwb"), os.fspath(tmp_path / "theirs.nwb")
    obs.to_nwb(ours, subject=SUBJECT)
    nwbfile = pynwb.NWBFile(
        "pynwb's own", "id-1", datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
    )
    with pynwb.NWBHDF5IO(theirs, "w") as io:
        io.write(nwbfile)

    def specifications(path: str) -> dict:
        found = {}
        with h5py.File(path, "r") as file:
            assert file[file.attrs[".specloc"]].name == "/specifications"
            file["specifications"].visititems(
                lambda name, item: (
                    found.__setitem__(name, item[()]) if isinstance(item, h5py.Dataset) else None
                )
            )
        return found

    assert specifications(ours) == specifications(theirs) != {}
    assert pynwb.NWBHDF5IO.get_namespaces(ours) == pynwb.NWBHDF5IO.get_namespaces(theirs)


@settings(max_examples=60, deadline=None)
@given(
    st.one_of(
        st.lists(st.integers(0, 20_000), max_size=40), st.lists(st.integers(-(1 << 40), 1 << 40), max_size=40)
    ),
    st.sampled_from([0.5, 1e-4, 0.1]),
    st.sampled_from([1.0, 1e3, 1e6]),
    st.randoms(use_true_random=False),
)
def test_spike_seconds_are_step_times_dt_then_divided_whatever_the_steps(values, dt, divisor, random):
    from neuroboard.neuro.nwb import _seconds

    steps = np.sort(np.array(values, dtype=np.int64))
    order = np.arange(len(steps))
    random.shuffle(order)
    np.testing.assert_array_equal(_seconds(steps, order, dt, divisor), (steps[order] * dt) / divisor)


def test_units_the_observer_knows_are_the_series_by_default(tmp_path):
    pq = pytest.importorskip("quantities")
    obs = Observer(0.1 * pq.ms, record_vars=[("lif", "v", False)], record_output=False, record_loss=False)
    for step in range(4):
        obs.record(step, record_vars=[np.array([-65.0, -70.0]) * pq.mV])
    obs.to_nwb(tmp_path / "known.nwb")
    obs.to_nwb(tmp_path / "given.nwb", units={"lif/v": "V"})
    for name, unit in (("known.nwb", "mV"), ("given.nwb", "V")):
        with pynwb.NWBHDF5IO(str(tmp_path / name), "r") as io:
            series = io.read().acquisition["lif_v"]
            assert series.unit == unit and series.rate == 10_000.0


def test_a_recording_file_keeps_its_units_in_the_nwb_file(tmp_path):
    pq = pytest.importorskip("quantities")
    from neuroboard.neuro.nwb import recording_to_nwb

    path = tmp_path / "run.h5"
    with Observer(0.1 * pq.ms, record_vars=[("lif", "v", False)], record_loss=False, hdf5=path) as obs:
        for step in range(3):
            obs.record(step, output=1.0, record_vars=[np.array([-65.0, -70.0]) * pq.mV])
    recording_to_nwb(path, tmp_path / "run.nwb")
    with pynwb.NWBHDF5IO(str(tmp_path / "run.nwb"), "r") as io:
        assert io.read().acquisition["lif_v"].unit == "mV"


def test_the_time_unit_the_observer_knows_is_the_default(tmp_path):
    pq = pytest.importorskip("quantities")
    from neuroboard.neuro.nwb import recording_to_nwb

    path = tmp_path / "run.h5"
    with Observer(0.1 * pq.ms, record_spikes=[("lif", "s")], hdf5=path) as obs:
        obs.record_spike_events("lif", "s", [10], [0], n_neurons=1, start=0, stop=20)
        obs.to_nwb(tmp_path / "observer.nwb")
    recording_to_nwb(path, tmp_path / "recording.nwb")
    for name in ("observer.nwb", "recording.nwb"):
        with pynwb.NWBHDF5IO(str(tmp_path / name), "r") as io:
            assert io.read().units.get_unit_spike_times(0).tolist() == pytest.approx([0.001])


def test_the_neurons_a_monitor_recorded_are_the_columns_neurons(tmp_path):
    from neuroboard.neuro.nwb_read import column_neurons

    # As the Brian2 and ANNarchy adapters give them: every column kept, the neurons saved beside.
    obs = Observer(1e-4, record_vars=[("g", "v", False)], record_output=False, record_loss=False)
    for step in range(3):
        obs.record(step, record_vars=[np.array([1.0, 2.0, 3.0]) * step])
    obs.save("neurons", {"g/v": [4, 0, 2]})
    path = os.fspath(tmp_path / "run.nwb")
    obs.to_nwb(path, subject=SUBJECT)
    with pynwb.NWBHDF5IO(path, "r") as io:
        assert {k: v.tolist() for k, v in column_neurons(io.read()).items()} == {"g_v": [4, 0, 2]}
    assert _problems(path) == []
