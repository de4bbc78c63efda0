"""``neuroboard convert`` with hostile files and kills: nothing from outside FILE, nothing half-done."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import h5py
import numpy as np
import pytest
from tensorboard.backend.event_processing import io_wrapper

import neuroboard
from neuroboard.cli.common import HOST
from tests.neuro.test_accumulator import HOSTILE, SECRET, hostile_file
from tests.stopping import signal_after_first_line
from tests.tb import accumulator, multiplexer

# The names of convert's private folders and .part files, as docs/cli.md states them.
SCRATCH = "neuroboard-convert"


def run(*args: object, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run ``python -m neuroboard.cli.main convert ARGS`` and return what it did."""
    command = [sys.executable, "-m", "neuroboard.cli.main", "convert", *map(str, args)]
    return subprocess.run(command, check=False, capture_output=True, text=True, timeout=120, env=env)


def assert_one_line_error(result: subprocess.CompletedProcess, code: int = 1) -> str:
    assert result.returncode == code, result.stderr
    assert result.stderr.startswith("neuroboard convert: ")
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return result.stderr


def secrets_in(logs: Path) -> list[str]:
    """Return the tags of ``logs`` whose scalar series, read as bytes, hold the secret."""
    frame = neuroboard.collect_events(logs, type="scalar")
    found = []
    for tag, rows in frame.groupby("tag"):
        values = rows.sort_values("step")["value"].to_numpy()
        if np.all((values >= 0) & (values < 256)) and SECRET in bytes(values.astype(np.uint8).tolist()):
            found.append(tag)
    return found


def small_file(folder: Path) -> Path:
    path = folder / "lif.h5"
    with h5py.File(path, "w") as f:
        f.attrs["identifier"] = "lif"
        f["v"] = np.linspace(0.0, 1.0, 50)
    return path


@pytest.mark.parametrize("case", HOSTILE)
def test_convert_refuses_data_kept_outside_the_file(tmp_path: Path, case: str) -> None:
    path, name = hostile_file(tmp_path, case)
    logs = tmp_path / "logs"
    message = assert_one_line_error(run(path, logs / "run"))
    assert repr(name) in message and str(path) in message and "--allow-external" in message
    assert not logs.exists()


@pytest.mark.parametrize("case", HOSTILE)
def test_convert_reads_data_outside_the_file_with_allow_external(tmp_path: Path, case: str) -> None:
    path, _ = hostile_file(tmp_path, case)
    logs = tmp_path / "logs"
    result = run(path, logs / "run", "--allow-external")
    assert result.returncode == 0, result.stderr
    assert secrets_in(logs), "the opt-in should have read the data outside the file"
    assert f"{case}/ok" in accumulator(logs / "run").Tags()["scalars"]


def test_convert_of_a_file_declaring_2_gb_stays_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "huge.h5"
    with h5py.File(path, "w") as f:
        # 2 GB declared in a 1.4 KB file: nothing is stored but the fill value.
        f.create_dataset("v", shape=(500_000_000,), dtype=np.float32, chunks=(1 << 20,), fillvalue=0.5)
    assert path.stat().st_size < 10_000
    logs = tmp_path / "logs"
    # Under a 1.5 GiB address space, reading the dataset whole would end in a MemoryError.
    limit = 3 << 29
    args = [str(path), str(logs / "run")]
    script = textwrap.dedent(
        f"""
        import json, resource, subprocess, sys
        def limit():
            resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))
        command = [sys.executable, "-m", "neuroboard.cli.main", "convert", *{args!r}]
        done = subprocess.run(command, preexec_fn=limit, capture_output=True, text=True)
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
        print(json.dumps({{"code": done.returncode, "stderr": done.stderr, "peak": peak}}))
        """
    )
    measured = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, text=True)
    report = json.loads(measured.stdout)
    result = subprocess.CompletedProcess([], report["code"], "", report["stderr"])
    message = assert_one_line_error(result)
    assert "--max-bytes" in message and "'v'" in message and "2000000000 bytes" in message
    assert report["peak"] < 512 << 20, report["peak"]
    assert not logs.exists()


def test_convert_max_bytes_is_an_option(tmp_path: Path) -> None:
    path = small_file(tmp_path)
    message = assert_one_line_error(run(path, tmp_path / "logs" / "run", "--max-bytes", 100))
    assert "max_bytes" in message and "400 bytes" in message
    assert_one_line_error(run(path, tmp_path / "logs" / "run", "--max-bytes", 0), code=2)
    assert not (tmp_path / "logs").exists()
    assert run(path, tmp_path / "logs" / "run", "--max-bytes", 400).returncode == 0
    from neuroboard.cli import convert

    assert convert.MAX_BYTES == 1 << 30 and convert.SCRATCH == SCRATCH


KILLED = """
import sys
import neuroboard.cli.convert as convert
from neuroboard.cli.main import main

class Paused(convert.TensorboardWriter):
    # The run is complete in its staging folder and not yet moved: tell the parent, wait to be killed.
    def __exit__(self, *exc):
        super().__exit__(*exc)
        print(self.log_dir, flush=True)
        sys.stdin.readline()

convert.TensorboardWriter = Paused
sys.exit(main(sys.argv[1:]))
"""


def listed_runs(logs: Path) -> list[str]:
    """Return the runs TensorBoard lists below ``logs``, by its own walk and by its multiplexer."""
    walked = sorted(os.path.relpath(d, logs) for d in io_wrapper.GetLogdirSubdirectories(str(logs)))
    assert sorted(multiplexer(logs).Runs()) == walked
    return walked


def test_a_killed_convert_leaves_nothing_tensorboard_lists(tmp_path: Path) -> None:
    path = small_file(tmp_path)
    logs, scratch = tmp_path / "logs", tmp_path / "scratch"
    logs.mkdir()
    scratch.mkdir()
    (logs / "before").mkdir()
    with neuroboard.SummaryWriter(logs / "before") as writer:
        writer.add_scalar("x", 1.0, 0)
    env = {**os.environ, "TMPDIR": str(scratch)}
    staging, code = signal_after_first_line(KILLED, ["convert", path, logs / "run"], signal.SIGKILL, env)
    assert code == -signal.SIGKILL
    assert any("tfevents" in name for name in os.listdir(staging)), "killed before anything was written"

    assert listed_runs(logs) == ["before"]
    assert sorted(neuroboard.collect_events(logs)["run"].unique()) == ["before"]

    result = run(path, logs / "run", env=env)
    assert result.returncode == 0, result.stderr
    assert not os.path.exists(staging), "the next convert clears what the killed one left"
    assert [name for name in os.listdir(scratch) if SCRATCH in name] == []
    assert listed_runs(logs) == ["before", "run"]
    assert sorted(neuroboard.collect_events(logs)["run"].unique()) == ["before", "run"]
    assert accumulator(logs / "run").Tags()["scalars"] == ["lif/v"]


def test_stale_part_files_of_a_killed_copy_are_cleared(tmp_path: Path) -> None:
    path = small_file(tmp_path)
    logs = tmp_path / "logs"
    (logs / "run").mkdir(parents=True)
    # What a copy across file systems, killed half-way, leaves: a hidden .part of a process that is gone.
    getpid = [sys.executable, "-c", "import os; print(os.getpid())"]
    dead = subprocess.run(getpid, capture_output=True, text=True, check=True)
    stale = logs / "run" / f".{SCRATCH}.{HOST}.{int(dead.stdout)}-0123.part"
    stale.write_bytes(b"half an event file")
    assert listed_runs(logs) == []
    result = run(path, logs / "run", env={**os.environ, "TMPDIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert not stale.exists()
    assert listed_runs(logs) == ["run"]


@pytest.mark.skipif(
    not os.path.isdir("/dev/shm") or os.stat("/dev/shm").st_dev == os.stat(os.getcwd()).st_dev,
    reason="needs a temporary directory on another file system",
)
def test_convert_with_the_temporary_directory_on_another_file_system(tmp_path: Path) -> None:
    path = small_file(tmp_path)
    logs = tmp_path / "logs"
    scratch = Path("/dev/shm") / f"neuroboard-test-{os.getpid()}-{tmp_path.name}"
    scratch.mkdir()
    try:
        for run_name in ("run", "run"):
            result = run(path, logs / run_name, env={**os.environ, "TMPDIR": str(scratch)})
            assert result.returncode == 0, result.stderr
        assert os.listdir(scratch) == []
    finally:
        os.rmdir(scratch)
    names = os.listdir(logs / "run")
    assert len(names) == 2 and all(name.startswith("events.out.tfevents.") for name in names)
    assert listed_runs(logs) == ["run"]
    frame = neuroboard.collect_events(logs, type="scalar")
    assert len(frame) == 100 and set(frame["tag"]) == {"lif/v"}


def test_sonata_spikes_become_a_raster_and_a_rate_per_population(tmp_path):
    from neuroboard.neuro.sonata import sonata_rate
    from tests.neuro.test_sonata import nest_file
    from tests.tb import scalar_arrays

    rng = np.random.default_rng(5)
    exc = (np.sort(rng.uniform(0, 0.05, 800)), rng.integers(0, 40, 800))
    inh = (np.sort(rng.uniform(0, 0.05, 200)), rng.integers(0, 10, 200))
    path = nest_file(tmp_path / "spikes.h5", {"exc": exc, "inh": inh}, units="s", sorting_as="string")
    result = run(path, tmp_path / "logs", "--bin", "2")
    assert result.returncode == 0, result.stderr
    assert "exc, inh" in result.stdout
    acc = accumulator(tmp_path / "logs")
    assert set(acc.Tags()["images"]) == {"exc/raster", "inh/raster"}
    assert (acc.Images("inh/raster")[0].width, acc.Images("inh/raster")[0].height) == (25, 10)
    for name in ("exc", "inh"):
        steps, values, _ = scalar_arrays(acc, f"{name}/rate")
        expected = sonata_rate(path, population=name, bin=2.0)[name].to_numpy()
        np.testing.assert_array_equal(steps, np.arange(len(expected)))
        np.testing.assert_allclose(values, expected, rtol=1e-6)


def test_a_sonata_file_with_a_link_outside_is_refused(tmp_path):
    from tests.neuro.test_sonata import nest_file

    outside = nest_file(tmp_path / "outside.h5", {"v1": ([1.0], [0])})
    path = tmp_path / "link.h5"
    with h5py.File(path, "w") as f:
        f["spikes/v1"] = h5py.ExternalLink(str(outside), "/spikes/v1")
    assert "link to data outside the file" in assert_one_line_error(run(path, tmp_path / "logs"))
    assert not (tmp_path / "logs").exists()
    result = run(path, tmp_path / "logs", "--allow-external")
    assert result.returncode == 0, result.stderr
    assert set(accumulator(tmp_path / "logs").Tags()["images"]) == {"v1/raster"}


def _nwb_observer() -> neuroboard.neuro.Observer:
    rng = np.random.default_rng(3)
    obs = neuroboard.neuro.Observer(
        0.5,
        record_vars=[("lif", "v", False), ("wide", "w", False)],
        record_spikes=[("lif", "s"), ("inh", "s")],
    )
    for step in range(40):
        obs.record(
            step,
            output=float(step),
            record_vars=[rng.normal(size=3), rng.normal(size=30)],
            record_spikes=[rng.random(6) < 0.3, rng.random(4) < 0.2],
        )
    return obs


def test_an_nwb_file_from_to_nwb_becomes_rasters_rates_and_scalars(tmp_path):
    pynwb = pytest.importorskip("pynwb")
    from neuroboard.cli.convert import write_nwb_run
    from tests.tb import scalar_arrays

    path = tmp_path / "run.nwb"
    obs = _nwb_observer()
    obs.to_nwb(path)
    written = write_nwb_run(str(path), str(tmp_path / "logdir"), 500.0)
    assert written == ["lif/s", "inh/s", "lif_v", "out", "wide_w", "ecephys/inh_s_rate", "ecephys/lif_s_rate"]
    acc = accumulator(tmp_path / "logdir")
    assert {"lif/s/raster", "inh/s/raster", "wide_w/heatmap"} <= set(acc.Tags()["images"])
    assert (acc.Images("lif/s/raster")[0].height, acc.Images("inh/s/raster")[0].height) == (6, 4)
    with pynwb.NWBHDF5IO(str(path), "r") as io:
        nwbfile = io.read()
        v = nwbfile.acquisition["lif_v"].data[:]
        out = nwbfile.acquisition["out"].data[:]
        expected = nwbfile.processing["ecephys"]["lif_s_rate"].data[:]
    for j in range(3):
        steps, values, _ = scalar_arrays(acc, f"lif_v/{j}")
        assert steps.tolist() == list(range(40))
        np.testing.assert_allclose(values, v[:, j], rtol=1e-6)
    np.testing.assert_allclose(scalar_arrays(acc, "out")[1], out)
    # Over bins of one step (dt is 0.5 s) the rate is the one to_nwb wrote, in Hz.
    steps, values, _ = scalar_arrays(acc, "lif/s/rate")
    np.testing.assert_allclose(values, expected[: len(values)], rtol=1e-5)
    assert not expected[len(values) :].any()


def test_an_nwb_file_written_with_pynwb_becomes_a_raster_and_scalars(tmp_path):
    pynwb = pytest.importorskip("pynwb")
    import datetime

    from tests.tb import scalar_arrays

    nwbfile = pynwb.NWBFile(
        "units and a series", "id-1", datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
    )
    for times in ([0.001, 0.0035], [], [0.002]):
        nwbfile.add_unit(spike_times=times)
    series = np.arange(12.0).reshape(6, 2)
    nwbfile.add_acquisition(pynwb.TimeSeries(name="lfp", data=series, unit="V", rate=100.0))
    module = nwbfile.create_processing_module("behavior", "speeds")
    module.add(pynwb.TimeSeries(name="speed", data=np.array([1.0, 2.0, 4.0]), unit="m/s", rate=10.0))
    path = tmp_path / "direct.nwb"
    with pynwb.NWBHDF5IO(str(path), "w") as io:
        io.write(nwbfile)
    result = run(path, tmp_path / "logdir")
    assert result.returncode == 0, result.stderr
    acc = accumulator(tmp_path / "logdir")
    image = acc.Images("units/raster")[0]
    assert (image.width, image.height) == (4, 3)
    np.testing.assert_allclose(scalar_arrays(acc, "units/rate")[1], [0.0, 1000 / 3, 1000 / 3, 1000 / 3])
    np.testing.assert_allclose(scalar_arrays(acc, "lfp/1")[1], series[:, 1])
    np.testing.assert_allclose(scalar_arrays(acc, "behavior/speed")[1], [1.0, 2.0, 4.0])


def test_a_recording_file_becomes_an_nwb_file(tmp_path):
    pynwb = pytest.importorskip("pynwb")
    h5 = tmp_path / "rec.h5"
    with neuroboard.neuro.Observer(0.5, record_spikes=[("lif", "s")], hdf5=h5) as obs:
        for step in range(5):
            obs.record(step, output=step * 2.0, record_spikes=[np.arange(3) == step % 3])
    out = tmp_path / "sub" / "out.nwb"
    result = run(h5, out)
    assert result.returncode == 0, result.stderr
    assert sorted(os.listdir(out.parent)) == ["out.nwb"]
    with pynwb.NWBHDF5IO(str(out), "r") as io:
        nwb = io.read()
        np.testing.assert_array_equal(nwb.acquisition["out"].data[:], [0.0, 2.0, 4.0, 6.0, 8.0])
        assert nwb.units["spike_times"][1].tolist() == [0.5, 2.0]
    again = run(h5, out)
    assert "exists already" in assert_one_line_error(again)


def test_an_nwb_file_read_in_small_chunks_gives_the_same_run(tmp_path, monkeypatch):
    pytest.importorskip("pynwb")
    from neuroboard.cli.convert import write_nwb_run
    from neuroboard.neuro import nwb_read
    from tests.tb import scalar_arrays

    path = tmp_path / "run.nwb"
    _nwb_observer().to_nwb(path)
    write_nwb_run(str(path), str(tmp_path / "whole"), 500.0)
    # 7 spikes and 64 bytes (8 values, under 3 rows of lif_v) per read.
    monkeypatch.setattr(nwb_read, "_SPIKE_ROWS", 7)
    monkeypatch.setattr(nwb_read, "_READ_BYTES", 64)
    write_nwb_run(str(path), str(tmp_path / "chunked"), 500.0)
    whole, chunked = accumulator(tmp_path / "whole"), accumulator(tmp_path / "chunked")
    assert chunked.Tags()["scalars"] == whole.Tags()["scalars"] and len(whole.Tags()["scalars"]) == 8
    for tag in whole.Tags()["scalars"]:
        for got, expected in zip(scalar_arrays(chunked, tag)[:2], scalar_arrays(whole, tag)[:2]):
            np.testing.assert_array_equal(got, expected)
    for tag in whole.Tags()["images"]:
        assert chunked.Images(tag)[0].encoded_image_string == whole.Images(tag)[0].encoded_image_string


def test_an_nwb_file_with_nothing_to_draw_is_refused_and_writes_nothing(tmp_path):
    pynwb = pytest.importorskip("pynwb")
    import datetime

    nwbfile = pynwb.NWBFile("empty", "id-2", datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc))
    path = tmp_path / "empty.nwb"
    with pynwb.NWBHDF5IO(str(path), "w") as io:
        io.write(nwbfile)
    result = run(path, tmp_path / "logdir")
    assert "holds no spikes and no numeric TimeSeries" in assert_one_line_error(result)
    assert not (tmp_path / "logdir").exists()


def test_an_nwb_file_linking_outside_itself_is_refused_unless_allow_external(tmp_path):
    pytest.importorskip("pynwb")
    path = tmp_path / "run.nwb"
    _nwb_observer().to_nwb(path)
    with h5py.File(tmp_path / "other.h5", "w") as other:
        other["secret"] = np.arange(3)
    with h5py.File(path, "a") as file:
        file["acquisition"]["elsewhere"] = h5py.ExternalLink(str(tmp_path / "other.h5"), "/secret")
    result = run(path, tmp_path / "logs")
    message = assert_one_line_error(result)
    assert "'acquisition/elsewhere'" in message and "--allow-external" in message
    assert not (tmp_path / "logs").exists()
    # pynwb reads what it knows of the file; the link is to data it does not know.
    result = run(path, tmp_path / "logs", "--allow-external")
    assert result.returncode == 0, result.stderr
    assert "lif/s/raster" in accumulator(tmp_path / "logs").Tags()["images"]


def test_a_recording_linking_outside_itself_is_refused_as_an_nwb_source(tmp_path):
    pytest.importorskip("pynwb")
    path = tmp_path / "rec.h5"
    with neuroboard.neuro.Observer(1.0, hdf5=path) as obs:
        obs.record(0, output=1.0)
    del obs
    with h5py.File(tmp_path / "other.h5", "w") as other:
        other["secret"] = np.arange(3)
    with h5py.File(path, "a") as file:
        file["elsewhere"] = h5py.ExternalLink(str(tmp_path / "other.h5"), "/secret")
    result = run(path, tmp_path / "out.nwb")
    assert "'elsewhere'" in assert_one_line_error(result)
    assert not (tmp_path / "out.nwb").exists()
