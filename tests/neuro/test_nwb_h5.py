"""The NWB file written with h5py directly: the HDF5 tree pynwb writes for the same Observer, node for node."""

from __future__ import annotations

import datetime
import os
import uuid
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neuroboard.neuro import Observer, nwb, nwb_h5

pynwb = pytest.importorskip("pynwb")
nwbinspector = pytest.importorskip("nwbinspector")
h5py = pytest.importorskip("h5py")

START = datetime.datetime(2024, 5, 1, 12, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=2)))
SUBJECT = {"subject_id": "net-1", "species": "Mus musculus", "sex": "U", "age": "P90D"}
#: Values each writer stamps afresh: checked well-formed, not equal.
STAMPS = {"object_id", "file_create_date"}


def _string(type_id):
    if isinstance(type_id, h5py.h5t.TypeStringID):
        return (type_id.get_cset(), type_id.is_variable_str())
    return None


def _value(file, value):
    if isinstance(value, h5py.Reference):
        return ("reference", file[value].name)
    if isinstance(value, np.ndarray) and value.dtype.kind == "O":
        return [v.decode() if isinstance(v, bytes) else v for v in value.tolist()]
    return value.decode() if isinstance(value, bytes) else value


def _stored_chunks(dataset) -> list | None:
    """Return the chunks of a chunked dataset of numbers as HDF5 stores them: offset, filter mask and bytes."""
    if dataset.chunks is None or dataset.dtype.kind == "O":
        return None
    found = []
    for i in range(dataset.id.get_num_chunks()):
        info = dataset.id.get_chunk_info(i)
        mask, stored = dataset.id.read_direct_chunk(info.chunk_offset)
        found.append((info.chunk_offset, mask, bytes(stored)))
    return found


def _tree(path: str, stamps: set[str] = STAMPS) -> tuple[dict, list]:
    """Return every group, dataset and attribute of the file by path, and the stamps set aside."""
    found, stamped = {}, []
    with h5py.File(path, "r") as file:

        def attributes(obj):
            out = {}
            for name, value in obj.attrs.items():
                attr = obj.attrs.get_id(name)
                if name in stamps:
                    stamped.append((name, value))
                    value = "stamp"
                out[name] = (str(attr.dtype), attr.shape, _string(attr.get_type()), _value(file, value))
            return out

        def visit(name, obj):
            link = obj.parent.get(obj.name.rsplit("/", 1)[-1], getlink=True)
            assert isinstance(link, h5py.HardLink), name
            if isinstance(obj, h5py.Group):
                found[name] = ("group", attributes(obj))
                return
            plist = obj.id.get_create_plist()
            data = obj[()]
            if name.rsplit("/", 1)[-1] in stamps:
                stamped.append((name, data))
                data = "stamp"
            found[name] = (
                "dataset",
                str(obj.dtype),
                obj.shape,
                obj.maxshape,
                obj.chunks,
                obj.compression,
                obj.compression_opts,
                plist.get_layout(),
                _string(obj.id.get_type()),
                _value(file, data) if not isinstance(data, np.ndarray) or data.dtype.kind == "O" else data,
                attributes(obj),
                _stored_chunks(obj),
            )

        found["/"] = ("group", attributes(file))
        file.visititems(visit)
    return found, stamped


def _assert_same_tree(ours: str, theirs: str, stamps: set[str] = STAMPS) -> None:
    expected, their_stamps = _tree(theirs, stamps)
    got, our_stamps = _tree(ours, stamps)
    assert sorted(got) == sorted(expected)
    for where, node in expected.items():
        mine = got[where]
        assert len(mine) == len(node), where
        for a, b in zip(mine, node):
            if isinstance(b, np.ndarray):
                assert isinstance(a, np.ndarray) and a.dtype == b.dtype, where
                np.testing.assert_array_equal(a, b, err_msg=where)
            else:
                assert a == b, where
    assert sorted(name for name, _ in our_stamps) == sorted(name for name, _ in their_stamps)
    ids = [value for name, value in our_stamps if name == "object_id"]
    assert len(set(ids)) == len(ids) and all(uuid.UUID(i).version == 4 for i in ids)
    for name, value in our_stamps:
        if name == "file_create_date":
            assert value.shape == (1,)
            assert datetime.datetime.fromisoformat(value[0].decode()).tzinfo is not None
        if name in ("identifier",):
            uuid.UUID(value.decode())


def _both(tmp_path, obs, **options) -> tuple[str, str]:
    ours, theirs = os.fspath(tmp_path / "ours.nwb"), os.fspath(tmp_path / "theirs.nwb")
    obs.to_nwb(ours, **options)
    nwb._write_with_pynwb(obs, theirs, **options)
    return ours, theirs


def _problems(path: str) -> list:
    important = {nwbinspector.Importance.CRITICAL, nwbinspector.Importance.BEST_PRACTICE_VIOLATION}
    return [m for m in nwbinspector.inspect_nwbfile(nwbfile_path=path) if m.importance in important]


def _observer(steps=30, n=12, spikes=True, variables=True, hdf5=None, silent=False, **kwargs) -> Observer:
    rng = np.random.default_rng(3)
    obs = Observer(
        0.25,
        sampling_steps=2,
        record_output=variables,
        record_loss=variables,
        record_vars=[("lif", "v", False), ("lif", "v_mean", "mean", [0, 2, 4]), ("qif", "u", False, [1, 3])]
        if variables
        else [],
        record_spikes=[("lif", "s"), ("qif", "s")] if spikes else [],
        hdf5=hdf5,
        **kwargs,
    )
    for step in range(steps):
        v = rng.normal(size=n).astype(np.float32)
        obs.record(
            step,
            **({"output": float(step), "loss": 1.0 / (step + 1)} if variables else {}),
            record_vars=[v, v, v * 2] if variables else [],
            record_spikes=[rng.random(n) < 0.2, np.zeros(5, bool) if silent else rng.random(5) < 0.3]
            if spikes
            else [],
        )
    return obs


CASES = {
    "spikes only": (lambda: _observer(variables=False), {"subject": SUBJECT}),
    "variables only": (lambda: _observer(spikes=False), {"time_unit": "ms", "units": {"lif/v": "mV"}}),
    "reduced, indexed and several populations": (_observer, {"time_unit": "us"}),
    "a silent population": (lambda: _observer(silent=True), {}),
    "gzip": (lambda: _observer(steps=40), {"compression": "gzip"}),
    "a pynwb Subject": (
        lambda: _observer(steps=8),
        {"subject": pynwb.file.Subject(subject_id="m-2", species="Mus musculus", age="P30D")},
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_tree_is_pynwbs(tmp_path, case):
    make, options = CASES[case]
    ours, theirs = _both(tmp_path, make(), identifier="run-1", session_start_time=START, **options)
    _assert_same_tree(ours, theirs)


def test_uneven_steps_are_timestamps_and_defaults_are_stamps(tmp_path):
    obs = Observer(0.001, record_loss=False, record_spikes=[("lif", "s")])
    for step in (0, 1, 5, 6):
        obs.record(step, output=float(step), record_spikes=[np.array([step % 2 == 1, True])])
    ours, theirs = _both(tmp_path, obs)
    stamps = STAMPS | {"identifier", "session_start_time", "timestamps_reference_time"}
    _assert_same_tree(ours, theirs, stamps)
    with h5py.File(ours, "r") as file:
        assert "acquisition/out/timestamps" in file
        assert file["session_start_time"][()] == file["timestamps_reference_time"][()]


def test_all_metadata_and_every_subject_field(tmp_path):
    subject = {
        "age": datetime.timedelta(days=90),
        "age__reference": "gestational",
        "description": "a model mouse",
        "genotype": "wild type",
        "sex": "F",
        "species": "Mus musculus",
        "strain": "C57BL/6J",
        "subject_id": "m-7",
        "weight": 0.02,
        "date_of_birth": datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc),
    }
    ours, theirs = _both(
        tmp_path,
        _observer(steps=10),
        session_description="everything set",
        identifier="run-2",
        session_start_time=START,
        experimenter=["Doe, Jane", "Roe, Rich"],
        institution="Somewhere",
        lab="Models",
        subject=subject,
    )
    _assert_same_tree(ours, theirs)
    with pynwb.NWBHDF5IO(ours, "r") as io:
        read = io.read()
        assert (read.subject.weight, read.subject.age, read.subject.age__reference) == (
            "0.02 kg",
            "P90DT0H0M0S",
            "gestational",
        )
        assert read.subject.date_of_birth == subject["date_of_birth"]
        assert list(read.experimenter) == ["Doe, Jane", "Roe, Rich"]
        assert read.session_start_time == START


def test_lzf_warns_as_pynwb_does_and_writes_the_same_tree(tmp_path):
    obs = _observer(steps=20)
    ours, theirs = os.fspath(tmp_path / "ours.nwb"), os.fspath(tmp_path / "theirs.nwb")
    options = {"identifier": "run-1", "session_start_time": START, "compression": "lzf"}
    with pytest.warns(UserWarning, match="lzf"):
        obs.to_nwb(ours, **options)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        nwb._write_with_pynwb(obs, theirs, **options)
    _assert_same_tree(ours, theirs)


def test_an_observer_that_recorded_nothing(tmp_path):
    ours, theirs = _both(tmp_path, Observer(0.001), identifier="empty", session_start_time=START)
    _assert_same_tree(ours, theirs)


@pytest.mark.parametrize("compression", [None, "gzip"])
def test_a_recording_file_streams_into_pynwbs_chunks(tmp_path, compression):
    from neuroboard.neuro.nwb import _Recording, recording_to_nwb

    obs = _observer(n=300, hdf5=os.fspath(tmp_path / "rec.h5"))
    obs.close()
    ours, theirs = os.fspath(tmp_path / "ours.nwb"), os.fspath(tmp_path / "theirs.nwb")
    options = {
        "identifier": "rec",
        "session_start_time": START,
        "compression": compression,
        "subject": SUBJECT,
    }
    recording_to_nwb(obs.hdf5, ours, **options)
    with h5py.File(obs.hdf5, "r") as file:
        nwb._write_with_pynwb(_Recording(file), theirs, **options)
    _assert_same_tree(ours, theirs)
    with h5py.File(ours, "r") as file:
        assert file["acquisition/lif_v/data"].chunks == (15, 300)


def test_a_recording_read_in_slabs_is_copied_whole(tmp_path, monkeypatch):
    from neuroboard.neuro.nwb import recording_to_nwb

    obs = _observer(steps=25, n=7, hdf5=os.fspath(tmp_path / "rec.h5"))
    obs.close()
    monkeypatch.setattr(nwb, "_READ_BYTES", 64)
    path = os.fspath(tmp_path / "ours.nwb")
    recording_to_nwb(obs.hdf5, path, subject=SUBJECT)
    with pynwb.NWBHDF5IO(path, "r") as io:
        read = io.read()
        np.testing.assert_array_equal(read.acquisition["lif_v"].data[:], obs.to_numpy(("lif", "v")))
        np.testing.assert_array_equal(read.acquisition["out"].data[:], obs.to_numpy("out"))


def test_pynwb_validates_the_file_and_nwbinspector_finds_nothing(tmp_path):
    path = os.fspath(tmp_path / "run.nwb")
    _observer().to_nwb(path, time_unit="ms", subject=SUBJECT)
    assert pynwb.validate(path=path) == []
    assert _problems(path) == []


def test_pynwb_reads_the_fast_file_value_for_value(tmp_path):
    obs = _observer()
    path = os.fspath(tmp_path / "run.nwb")
    obs.to_nwb(path, time_unit="ms", subject=SUBJECT)
    with pynwb.NWBHDF5IO(path, "r") as io:
        read = io.read()
        units, row = read.units, 0
        for node, var in obs.recorded_spikes:
            steps, neurons = obs.spikes(node, var)
            for neuron in range(obs._spike_buffer(node, var).n_neurons):
                expected = steps[neurons == neuron] * 0.25 / 1000
                np.testing.assert_array_equal(units["spike_times"][row], expected)
                assert (units["population"][row], units["neuron"][row]) == (f"{node}/{var}", neuron)
                row += 1
        assert len(units) == row
        np.testing.assert_array_equal(read.acquisition["qif_u"].data[:], obs.to_numpy(("qif", "u")))


@settings(max_examples=8, deadline=None)
@given(
    st.integers(1, 12),
    st.integers(1, 6),
    st.lists(st.integers(0, 40), min_size=1, max_size=12, unique=True),
    st.floats(0.0, 1.0),
    st.sampled_from([None, "gzip"]),
)
def test_random_observers_make_the_same_tree_both_ways(
    tmp_path_factory, n, every, steps, chance, compression
):
    tmp_path = tmp_path_factory.mktemp("random")
    rng = np.random.default_rng(n * 100 + every)
    obs = Observer(0.1, sampling_steps=every, record_vars=[("a", "x", False)], record_spikes=[("a", "s")])
    for step in sorted(steps):
        obs.record(
            step, output=float(step), record_vars=[rng.normal(size=n)], record_spikes=[rng.random(n) < chance]
        )
    ours, theirs = _both(tmp_path, obs, identifier="r", session_start_time=START, compression=compression)
    _assert_same_tree(ours, theirs)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(0, 3000), min_size=1, max_size=3).map(tuple),
    st.sampled_from([1, 2, 4, 8]),
)
def test_chunks_are_hdmfs(shape, itemsize):
    from hdmf.backends.hdf5.h5tools import HDF5IO

    dtype = {1: np.uint8, 2: np.int16, 4: np.float32, 8: np.float64}[itemsize]
    assert nwb_h5.chunk_shape(shape, itemsize) == HDF5IO.compute_default_chunk_shape(shape, dtype)


@pytest.mark.parametrize("length", [0, 1, 255, 256, 65535, 65536, (1 << 32) - 1, 1 << 32])
def test_index_dtype_is_vector_index_s(length):
    from hdmf.common import VectorData, VectorIndex

    class Long(list):
        def __len__(self):
            return length

    index = VectorIndex(
        name="x_index",
        data=np.array([length], np.int64),
        target=VectorData(name="x", description="x", data=Long()),
    )
    assert nwb_h5.index_dtype(length) == index.data.dtype


@settings(max_examples=150, deadline=None)
@given(
    st.integers(0, 300),
    st.integers(1, 40),
    st.sampled_from([1, 7, 64, 1 << 16]),
    st.sampled_from([0, 1 << 40]),
    st.sampled_from([(0.5, 1.0), (1e-4, 1e3), (0.1, 1e6)]),
    st.integers(0, 2**32 - 1),
)
def test_spikes_grouped_a_chunk_at_a_time_are_the_stable_argsorts(spikes, n, chunk, offset, timing, seed):
    from neuroboard.neuro.recorded_keys import by_neuron

    rng = np.random.default_rng(seed)
    steps = np.sort(rng.integers(0, 500, spikes)).astype(np.int64) + offset
    fired = rng.integers(0, n, spikes).astype(np.int64)
    dt, divisor = timing
    times, ends = nwb._spike_seconds(steps, fired, n, dt, divisor, chunk=chunk)
    order, expected_ends = by_neuron(fired, n)
    np.testing.assert_array_equal(times, nwb._seconds(steps, order, dt, divisor))
    np.testing.assert_array_equal(ends, expected_ends)
    assert times.dtype == np.float64 and ends.dtype == expected_ends.dtype


def test_spikes_of_more_neurons_than_16_bits_are_grouped_too():
    from neuroboard.neuro.recorded_keys import by_neuron

    rng = np.random.default_rng(5)
    n = 70_000
    steps, fired = np.sort(rng.integers(0, 50, 3000)), rng.integers(0, n, 3000)
    times, ends = nwb._spike_seconds(steps, fired, n, 0.1, 1.0, chunk=256)
    order, expected_ends = by_neuron(fired, n)
    np.testing.assert_array_equal(times, nwb._seconds(steps, order, 0.1, 1.0))
    np.testing.assert_array_equal(ends, expected_ends)


def test_what_the_direct_writer_does_not_cover_goes_through_pynwb(tmp_path):
    from pynwb.file import Subject

    class LabSubject(Subject):
        pass

    start = START
    contents = nwb_h5.Contents(
        "a run", "run-1", start, subject=Subject(subject_id="m-1", species="Mus musculus")
    )
    assert nwb._fast_path_covers(contents)
    contents.subject = LabSubject(subject_id="m-1", species="Mus musculus")
    assert not nwb._fast_path_covers(contents)
    contents.subject = None
    contents.series.append(
        nwb_h5.Series("s", np.array(["a"], dtype=object), "n/a", "text", {"rate": 1.0, "starting_time": 0.0})
    )
    assert not nwb._fast_path_covers(contents)
