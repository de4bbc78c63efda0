"""neuroboard convert and NWB: the session's metadata as options, and --max-bytes for an NWB input."""

from __future__ import annotations

import datetime

import numpy as np
import pytest
from click.testing import CliRunner

import neuroboard
from neuroboard.cli.convert import convert
from tests.cli.test_convert import _nwb_observer, assert_one_line_error, run

pynwb = pytest.importorskip("pynwb")


def _recording(tmp_path) -> str:
    path = tmp_path / "rec.h5"
    with neuroboard.neuro.Observer(0.5, record_spikes=[("lif", "s")], hdf5=path) as obs:
        for step in range(5):
            obs.record(step, output=step * 2.0, record_spikes=[np.arange(3) == step % 3])
    return str(path)


def test_the_session_metadata_options_reach_the_nwb_file(tmp_path):
    from tests.neuro.test_nwb import _problems

    out = tmp_path / "out.nwb"
    options = [
        *("--session-description", "a LIF network", "--identifier", "run-7"),
        *("--session-start-time", "2024-05-01T12:00:00+02:00"),
        *("--experimenter", "Doe, Jane", "--experimenter", "Roe, Rick", "--institution", "Somewhere"),
        *("--lab", "Models", "--subject-id", "net-1", "--species", "Mus musculus", "--sex", "F"),
        *("--age", "P90D", "--time-unit", "ms"),
    ]
    result = run(_recording(tmp_path), out, *options)
    assert result.returncode == 0, result.stderr
    with pynwb.NWBHDF5IO(str(out), "r") as io:
        nwb = io.read()
        assert (nwb.session_description, nwb.identifier) == ("a LIF network", "run-7")
        start = datetime.datetime(2024, 5, 1, 12, tzinfo=datetime.timezone(datetime.timedelta(hours=2)))
        assert nwb.session_start_time == start
        assert list(nwb.experimenter) == ["Doe, Jane", "Roe, Rick"]
        assert (nwb.institution, nwb.lab) == ("Somewhere", "Models")
        subject = nwb.subject
        assert (subject.subject_id, subject.species, subject.sex, subject.age) == (
            "net-1",
            "Mus musculus",
            "F",
            "P90D",
        )
        # dt is 0.5 ms: the spike of neuron 1 at step 1 is at 0.5 ms.
        assert nwb.units["spike_times"][1].tolist() == [0.0005, 0.002]
    assert _problems(str(out)) == []


@pytest.mark.parametrize(
    ("option", "value", "words"),
    [
        ("--session-start-time", "2024-05-01T12:00:00", "with a timezone"),
        ("--session-start-time", "yesterday", "ISO 8601"),
        ("--age", "90 days", "ISO 8601 duration"),
        ("--sex", "X", "'X' is not one of"),
        ("--identifier", " ", "non-empty"),
        ("--experimenter", "", "non-empty"),
        ("--time-unit", "min", "'min' is not one of"),
    ],
)
def test_a_bad_metadata_value_is_refused_naming_its_option_before_any_file(tmp_path, option, value, words):
    out = tmp_path / "sub" / "out.nwb"
    result = CliRunner().invoke(convert, [_recording(tmp_path), str(out), option, value])
    assert result.exit_code == 2, result.output
    assert option in result.output and words in result.output
    assert not (tmp_path / "sub").exists()


def test_metadata_options_for_a_run_are_refused(tmp_path):
    result = CliRunner().invoke(convert, [_recording(tmp_path), str(tmp_path / "logs"), "--lab", "Models"])
    assert result.exit_code == 2 and "--lab: only for an NWB output" in result.output
    assert not (tmp_path / "logs").exists()


def test_max_bytes_bounds_an_nwb_input_before_anything_is_written(tmp_path):
    path = tmp_path / "run.nwb"
    _nwb_observer().to_nwb(path)
    message = assert_one_line_error(run(path, tmp_path / "logs", "--max-bytes", 1000))
    assert "max_bytes" in message and "--max-bytes" in message and "bytes declared by" in message
    assert not (tmp_path / "logs").exists()
    result = CliRunner().invoke(convert, [str(path), str(tmp_path / "logs"), "--max-bytes", 1 << 20])
    assert result.exit_code == 0, result.output


def test_max_bytes_bounds_a_recording_made_an_nwb_file(tmp_path):
    recording = _recording(tmp_path)
    message = assert_one_line_error(run(recording, tmp_path / "out.nwb", "--max-bytes", 100))
    assert "recording_to_nwb(max_bytes=...)" in message and "--max-bytes" in message
    assert not (tmp_path / "out.nwb").exists()
    result = CliRunner().invoke(convert, [recording, str(tmp_path / "out.nwb"), "--max-bytes", 1 << 20])
    assert result.exit_code == 0, result.output
