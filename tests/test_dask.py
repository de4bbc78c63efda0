"""read_scalars: a logdir read by a dask cluster gives collect_events' table, partition by partition."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

dask = pytest.importorskip("dask")
distributed = pytest.importorskip("distributed")

from neuroboard import EventWriter, SummaryWriter, collect_events, run_files
from neuroboard.dask import BLOCKSIZE, read_scalars, to_pandas
from neuroboard.format.codec import Event, Summary
from neuroboard.format.records import CorruptRecordWarning
from neuroboard.summary.scalar import scalar

ORDER = ["run", "tag", "step", "wall_time"]


def sorted_frame(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(ORDER, kind="stable").reset_index(drop=True)


def assert_same(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(sorted_frame(got), sorted_frame(expected))


def tensor_event(tag: str, step: int, value: float, *, metadata: bool) -> Event:
    """Return an event of one 0-d float tensor, with the scalars plugin's metadata or without any."""
    summary = scalar(tag, value, new_style=True)
    if not metadata:
        summary.value[0].ClearField("metadata")
    return Event(step=step, wall_time=100.0 + step, summary=summary)


@pytest.fixture(scope="module")
def logdir(tmp_path_factory):
    """Runs of every kind a logdir holds: plain, series, sub-runs, tensor scalars, a second file, tensorboardX."""
    root = tmp_path_factory.mktemp("logdir")
    rng = np.random.default_rng(0)
    with SummaryWriter(str(root / "train")) as writer:
        for step in range(50):
            writer.add_scalar("loss", float(rng.random()), step)
            writer.add_scalar("acc/top1", float(rng.random()), step, new_style=True)
        writer.add_scalars("pair", {"a": 1.0, "b": 2.0}, 3)
    with SummaryWriter(str(root / "train")) as writer:
        writer.add_series("loss", rng.random(500), steps=np.arange(50, 550))
    with SummaryWriter(str(root / "series")) as writer:
        writer.add_series("rate", rng.random((300, 2)), names=["exc", "inh"])
    # The second file's tensors carry no metadata: the first file's registration makes them scalars.
    with EventWriter(str(root / "split")) as writer:
        writer.add_event(tensor_event("t", 0, 0.5, metadata=True))
    with EventWriter(str(root / "split")) as writer:
        for step in range(1, 20):
            writer.add_event(tensor_event("t", step, step / 4, metadata=False))
            writer.add_event(tensor_event("u", step, -step, metadata=False))
    tensorboardx = pytest.importorskip("tensorboardX")
    writer = tensorboardx.SummaryWriter(str(root / "tbx"))
    for step in range(40):
        writer.add_scalar("x", step * 0.5, step)
        writer.add_scalars("pair", {"p": step, "q": -step}, step)
    writer.close()
    return root


@pytest.mark.parametrize(
    ("runs", "tags", "steps"),
    [
        (None, None, None),
        ("train*", None, None),
        (None, ["loss", "t"], None),
        (None, None, (10, 100)),
        (["split", "tbx"], "?", (5, None)),
    ],
)
def test_equals_collect_events_value_for_value(client, logdir, runs, tags, steps) -> None:
    frame = read_scalars(logdir, runs=runs, tags=tags, steps=steps)
    assert_same(frame.compute(), collect_events(logdir, type="scalar", runs=runs, tags=tags, steps=steps))


def test_without_blocksize_partitions_are_the_files_in_reading_order(client, logdir) -> None:
    frame = read_scalars(logdir, blocksize=None)
    files = [path for paths in run_files(str(logdir)).values() for path in paths]
    assert frame.npartitions == len(files)
    parts = [frame.get_partition(i).compute() for i in range(frame.npartitions)]
    expected = collect_events(logdir, type="scalar")
    pd.testing.assert_frame_equal(pd.concat(parts, ignore_index=True), expected)
    assert frame.dtypes.to_dict() == expected.dtypes.to_dict()


def test_a_registration_in_an_earlier_file_makes_later_tensors_scalars(client, logdir) -> None:
    # A file per partition, and the two files read in one partition by default.
    for blocksize, partitions in ((None, 2), (BLOCKSIZE, 1)):
        frame = read_scalars(logdir, runs="split", blocksize=blocksize)
        assert frame.npartitions == partitions
        got = frame.compute()
        assert got["tag"].tolist() == ["t"] * 20
        assert got["value"].tolist() == [step / 4 if step else 0.5 for step in range(20)]


def test_by_default_a_small_logdir_is_one_task(client, logdir) -> None:
    frame = read_scalars(logdir)
    assert frame.npartitions == 1
    assert len(frame.__dask_graph__()) == 1
    pd.testing.assert_frame_equal(frame.compute(), collect_events(logdir, type="scalar"))


def write_runs(root, runs: int, scalars: int) -> None:
    """Write ``runs`` runs of ``scalars`` scalars each, of one file and the same size."""
    for run in range(runs):
        with SummaryWriter(str(root / f"run{run}")) as writer:
            writer.add_series("x", np.arange(scalars, dtype=float) + run)


def test_by_default_a_logdir_is_shared_out_by_the_clusters_threads(client, tmp_path) -> None:
    # Four runs of about 0.85 MiB: 3.4 MiB, shared out by the cluster's two threads.
    write_runs(tmp_path, 4, 20_000)
    assert sum(client.nthreads().values()) == 2
    frame = read_scalars(tmp_path)
    assert frame.npartitions == 2
    assert len(frame.__dask_graph__()) == 2
    parts = dask.compute(*frame.to_delayed())
    assert [part["run"].unique().tolist() for part in parts] == [["run0", "run1"], ["run2", "run3"]]
    expected = collect_events(tmp_path, type="scalar")
    pd.testing.assert_frame_equal(to_pandas(frame), expected)
    # Each partition has its own index, as dask's readers give.
    pd.testing.assert_frame_equal(frame.compute().reset_index(drop=True), expected)
    # A blocksize given is what it says, and files_per_partition groups by count.
    whole = read_scalars(tmp_path, blocksize=BLOCKSIZE)
    assert whole.npartitions == 1
    # Another layout of the same files is another graph: a cluster never mixes their keys up.
    assert whole._name != frame._name
    assert read_scalars(tmp_path, blocksize="auto", files_per_partition=4).npartitions == 1
    # Only the runs kept are shared out: two runs of 0.85 MiB, a partition each (of the whole logdir's
    # 1.7 MiB share they would be one).
    assert read_scalars(tmp_path, runs=["run0", "run1"]).npartitions == 2


def test_by_default_a_run_under_blocksize_is_one_task_whatever_the_threads(client, tmp_path) -> None:
    # One file of 3.4 MiB: ranges would pass registrations from task to task, which costs more than it saves.
    write_runs(tmp_path, 1, 80_000)
    frame = read_scalars(tmp_path)
    assert frame.npartitions == 1
    assert len(frame.__dask_graph__()) == 1
    pd.testing.assert_frame_equal(to_pandas(frame), collect_events(tmp_path, type="scalar"))


def test_without_a_client_a_logdir_is_shared_out_by_the_cores(tmp_path) -> None:
    write_runs(tmp_path, 8, 20_000)
    code = (
        "import sys; import dask.system; from neuroboard.dask import read_scalars; "
        f"frame = read_scalars({str(tmp_path)!r}); "
        "print(frame.npartitions, dask.system.CPU_COUNT, 'distributed' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    partitions, cores, distributed_imported = done.stdout.split()
    assert distributed_imported == "False"
    # Eight runs of 0.85 MiB: their bytes over the cores, but no partition under 1 MiB.
    sizes = sizes_of_runs(tmp_path)
    blocksize = max(-(-sum(sizes) // int(cores)), 1 << 20)
    assert int(partitions) == len(greedy_groups(sizes, blocksize))
    assert (int(partitions) > 1) == (int(cores) > 1)


def sizes_of_runs(root) -> list[int]:
    return [sum(os.path.getsize(p) for p in paths) for paths in run_files(str(root)).values()]


def greedy_groups(sizes: list[int], blocksize: int) -> list[int]:
    """Return how many runs of ``sizes`` each partition holds: in order, a new one where the next would pass."""
    groups, filled = [], blocksize
    for size in sizes:
        if filled + size > blocksize:
            groups.append(0)
            filled = 0
        groups[-1] += 1
        filled += size
    return groups


def test_small_runs_share_partitions_up_to_blocksize_bytes(client, tmp_path) -> None:
    for run in range(12):
        with SummaryWriter(str(tmp_path / f"run{run:02d}")) as writer:
            writer.add_series("x", np.arange(100.0 * (run + 1)))
    sizes = sizes_of_runs(tmp_path)
    blocksize = 3 * max(sizes)
    frame = read_scalars(tmp_path, blocksize=blocksize)
    groups = greedy_groups(sizes, blocksize)
    assert frame.npartitions == len(groups) >= 3
    assert len(frame.__dask_graph__()) == frame.npartitions
    parts = dask.compute(*frame.to_delayed())
    assert [part["run"].nunique() for part in parts] == groups
    pd.testing.assert_frame_equal(
        pd.concat(parts, ignore_index=True), collect_events(tmp_path, type="scalar")
    )
    assert read_scalars(tmp_path, blocksize=f"{blocksize}B").npartitions == len(groups)


def test_a_run_bigger_than_blocksize_is_read_in_pieces_of_files(client, tmp_path) -> None:
    # Only the first file registers "w": its later files hold tensors that are scalars by it.
    with EventWriter(str(tmp_path / "big")) as writer:
        writer.add_event(tensor_event("w", 0, 1.0, metadata=True))
    for index in range(1, 12):
        with EventWriter(str(tmp_path / "big")) as writer:
            for step in range(index * 100, index * 100 + 100):
                writer.add_event(tensor_event("w", step, float(step), metadata=False))
    with SummaryWriter(str(tmp_path / "small")) as writer:
        writer.add_scalar("x", 1.0, 0)
    files = run_files(str(tmp_path))["big"]
    blocksize = 3 * os.path.getsize(files[-1]) + 10
    frame = read_scalars(tmp_path, blocksize=blocksize)
    # Pieces of three files, then the small run.
    assert frame.npartitions == 4 + 1
    parts = dask.compute(*frame.to_delayed())
    assert [len(part) for part in parts] == [1 + 200, 300, 300, 300, 1]
    pd.testing.assert_frame_equal(
        pd.concat(parts, ignore_index=True), collect_events(tmp_path, type="scalar")
    )


def test_files_per_partition_groups_whole_runs(client, logdir) -> None:
    frame = read_scalars(logdir, files_per_partition=3)
    found = run_files(str(logdir))
    # Runs of two files (train, split) are read a file per partition; runs of one file are grouped.
    single = sum(len(paths) == 1 for paths in found.values())
    assert frame.npartitions < sum(map(len, found.values())) - single // 2
    assert_same(frame.compute(), collect_events(logdir, type="scalar"))


def test_a_file_bigger_than_blocksize_is_split_whatever_files_per_partition(tmp_path) -> None:
    with SummaryWriter(str(tmp_path / "big")) as writer:
        writer.add_series("x", np.arange(20_000.0))
    with SummaryWriter(str(tmp_path / "small")) as writer:
        writer.add_series("x", np.arange(10.0))
    (big,) = run_files(str(tmp_path))["big"]
    blocksize = 1 << 16
    ranges = -(-os.path.getsize(big) // blocksize)
    assert ranges > 2
    expected = collect_events(tmp_path, type="scalar")
    for files in (1, 2):
        # The big file's ranges, a partition each, then the small run.
        frame = read_scalars(tmp_path, blocksize=blocksize, files_per_partition=files)
        assert frame.npartitions == ranges + 1
        assert_same(frame.compute(scheduler="sync"), expected)
    # Without blocksize every file is read whole.
    frame = read_scalars(tmp_path, blocksize=None, files_per_partition=1)
    assert frame.npartitions == 2
    assert_same(frame.compute(scheduler="sync"), expected)


def test_runs_of_one_file_cost_one_task_per_partition(tmp_path) -> None:
    for run in range(5):
        with SummaryWriter(str(tmp_path / f"run{run}")) as writer:
            writer.add_series("x", np.arange(10.0) + run)
    for files in (1, 2):
        frame = read_scalars(tmp_path, files_per_partition=files)
        assert frame.npartitions == -(-5 // files)
        # Nothing passes between such partitions: no task besides the reads.
        assert len(frame.__dask_graph__()) == frame.npartitions
        assert_same(frame.compute(scheduler="sync"), collect_events(tmp_path, type="scalar"))


@pytest.fixture(scope="module")
def big_file(tmp_path_factory):
    """One file of 200k scalars whose tensor tag is registered only by its first record."""
    root = tmp_path_factory.mktemp("big")
    with EventWriter(str(root)) as writer:
        writer.add_event(tensor_event("w", 0, 1.0, metadata=True))
        for step in range(1, 2_000):
            writer.add_event(tensor_event("w", step, float(step), metadata=False))
    with EventWriter(str(root)) as writer:
        writer.add_event(Event(step=0, wall_time=1.0, summary=Summary(value=[Summary.Value(tag="w")])))
        writer.add_event(tensor_event("w", 1, 3.0, metadata=False))
    with SummaryWriter(str(root)) as writer:
        writer.add_series("loss", np.random.default_rng(1).random(200_000))
    (path,) = [p for p in run_files(str(root))["."] if os.path.getsize(p) > 1 << 20]
    return root, path


def test_byte_ranges_give_the_whole_file_read(client, big_file) -> None:
    root, _path = big_file
    whole = collect_events(root, type="scalar")
    ranged = read_scalars(root, blocksize=1 << 16, files_per_partition=1)
    sizes = [os.path.getsize(p) for p in run_files(str(root))["."]]
    assert ranged.npartitions == sum(-(-size // (1 << 16)) for size in sizes) > 100
    parts = [ranged.get_partition(i) for i in range(ranged.npartitions)]
    pd.testing.assert_frame_equal(pd.concat(dask.compute(*parts), ignore_index=True), whole)
    # By bytes, the small second file shares the partition of the first file's short last range.
    ranged = read_scalars(root, blocksize=1 << 16)
    assert ranged.npartitions == sum(-(-size // (1 << 16)) for size in sizes) - 1
    pd.testing.assert_frame_equal(ranged.compute().reset_index(drop=True), whole)
    parts = [ranged.get_partition(i) for i in range(ranged.npartitions)]
    pd.testing.assert_frame_equal(pd.concat(dask.compute(*parts), ignore_index=True), whole)


def test_ranges_of_one_file_take_registrations_from_range_zero(client, tmp_path) -> None:
    with EventWriter(str(tmp_path)) as writer:
        writer.add_event(tensor_event("w", 0, 1.0, metadata=True))
        for step in range(1, 5_000):
            writer.add_event(tensor_event("w", step, float(step), metadata=False))
    frame = read_scalars(tmp_path, blocksize=4096)
    assert frame.npartitions > 10
    got = frame.compute()
    assert got["value"].tolist() == [1.0] + [float(s) for s in range(1, 5_000)]
    assert_same(got, collect_events(tmp_path, type="scalar"))


@pytest.mark.parametrize("where", [0.37, 0.5, 0.81])
def test_a_corrupt_byte_in_one_range_is_reported_and_the_rest_kept(client, tmp_path, where) -> None:
    with SummaryWriter(str(tmp_path)) as writer:
        writer.add_series("x", np.arange(20_000, dtype=float))
    (path,) = run_files(str(tmp_path))["."]
    data = bytearray(Path(path).read_bytes())
    data[int(len(data) * where)] ^= 0x55
    Path(path).write_bytes(bytes(data))
    with pytest.warns(CorruptRecordWarning) as expected_warnings:
        expected = collect_events(tmp_path, type="scalar")
    # The sync scheduler runs in this process, so the warnings can be counted.
    with pytest.warns(CorruptRecordWarning) as got_warnings:
        got = read_scalars(tmp_path, blocksize=1 << 14).compute(scheduler="sync")
    assert [str(w.message) for w in got_warnings] == [str(w.message) for w in expected_warnings]
    assert len(got) == 20_000 - 1
    pd.testing.assert_frame_equal(got.reset_index(drop=True), expected)
    # On the cluster the rows are the same (the warnings are the workers').
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert_same(read_scalars(tmp_path, blocksize=1 << 14).compute(), expected)


def test_a_corrupt_length_at_a_range_boundary_is_reported_once(tmp_path) -> None:
    with SummaryWriter(str(tmp_path)) as writer:
        writer.add_series("x", np.arange(5_000, dtype=float))
    (path,) = run_files(str(tmp_path))["."]
    data = bytearray(Path(path).read_bytes())
    blocksize = 4096
    # The first record that starts at or after the second range's start: damage its length.
    starts = []
    pos = 0
    while pos < len(data):
        starts.append(pos)
        pos += int.from_bytes(data[pos : pos + 8], "little") + 16
    first = next(s for s in starts if s >= blocksize)
    data[first + 2] ^= 0x01
    Path(path).write_bytes(bytes(data))
    with pytest.warns(CorruptRecordWarning) as expected_warnings:
        expected = collect_events(tmp_path, type="scalar")
    with pytest.warns(CorruptRecordWarning) as got_warnings:
        got = read_scalars(tmp_path, blocksize=blocksize).compute(scheduler="sync")
    assert [str(w.message) for w in got_warnings] == [str(w.message) for w in expected_warnings]
    pd.testing.assert_frame_equal(got.reset_index(drop=True), expected)


def test_meta_is_given_not_computed(tmp_path) -> None:
    with SummaryWriter(str(tmp_path)) as writer:
        writer.add_scalar("x", 1.0, 0)
    frame = read_scalars(tmp_path)
    assert list(frame.columns) == ["run", "tag", "step", "wall_time", "value"]
    assert frame.dtypes.to_dict() == collect_events(tmp_path, type="scalar").dtypes.to_dict()


def test_an_empty_logdir_gives_one_empty_partition(tmp_path) -> None:
    got = read_scalars(tmp_path).compute(scheduler="sync")
    pd.testing.assert_frame_equal(got, collect_events(tmp_path, type="scalar"))


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"blocksize": 0}, ValueError, "blocksize"),
        ({"blocksize": "lots"}, ValueError, "blocksize"),
        ({"blocksize": True}, ValueError, "blocksize"),
        ({"files_per_partition": 0}, ValueError, "files_per_partition"),
        ({"on_corrupt": "ignore"}, ValueError, "on_corrupt"),
        ({"steps": 3}, TypeError, "steps"),
    ],
)
def test_bad_arguments_raise_naming_them(tmp_path, kwargs, error, match) -> None:
    with pytest.raises(error, match=match):
        read_scalars(tmp_path, **kwargs)


def test_without_dask_the_error_says_what_to_install(tmp_path, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "dask", None)
    with pytest.raises(ImportError, match=r"pip install 'neuroboard\[dask\]'"):
        read_scalars(tmp_path)


def test_without_fsspec_the_error_names_fsspec(tmp_path) -> None:
    # A fresh interpreter: dask.dataframe imports fsspec when it is first imported.
    code = f"""
import sys
sys.modules["fsspec"] = None
from neuroboard.dask import read_scalars
try:
    read_scalars({str(tmp_path)!r})
except ImportError as error:
    print(error)
"""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("neuroboard.dask.read_scalars needs fsspec, which did not import"), (
        done.stdout
    )
    assert "pip install 'neuroboard[dask]'" in done.stdout
