"""What survives: SIGKILL at random points, fsync, a full disk, and files rotated by size or age."""

from __future__ import annotations

import errno
import os
import random
import re
import signal
import stat
import subprocess
import sys
import textwrap
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import neuroboard
from neuroboard.io import storage as storage_module
from neuroboard.io import writer as writer_module
from neuroboard.io.reader import read_events, run_files
from neuroboard.io.writer import EventWriter
from tests.tb import accumulator, scalar_arrays

KILLS = 20
TIMEOUT = 60.0

# Logs scalars in batches, flushes after each batch and prints the last step flushed.
CHILD = textwrap.dedent(
    """
    import sys
    from neuroboard import SummaryWriter

    logdir, batch, max_file_bytes, fsync = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "1"
    sys.stdout.reconfigure(line_buffering=True)
    writer = SummaryWriter(logdir, flush_secs=0.01, max_file_bytes=max_file_bytes or None, fsync=fsync)
    step = 0
    while True:
        for _ in range(batch):
            writer.add_scalar("x", (step % 4096) * 0.25 - 100.0, step)
            step += 1
        writer.flush()
        print(step - 1)
    """
)


def expected(steps: np.ndarray) -> np.ndarray:
    """The values the child logs at ``steps`` (exact in float32)."""
    return (steps % 4096) * 0.25 - 100.0


def _scalar_rows(logdir) -> tuple[list[int], list[float]]:
    with warnings.catch_warnings():
        # A record cut by the kill is reported as truncated, and read up to it.
        warnings.simplefilter("ignore", neuroboard.CorruptRecordWarning)
        df = neuroboard.collect_events(str(logdir), type="scalar")
    assert set(df["tag"]) <= {"x"}
    return df["step"].tolist(), df["value"].tolist()


def kill_at_random_point(logdir, seed: int) -> tuple[int, int]:
    """Kill a logging child after a random number of flushes; return (last step acknowledged, steps read)."""
    rng = random.Random(seed)
    acks = rng.randint(1, 15)
    batch = rng.choice([1, 7, 100, 500])
    max_file_bytes = rng.choice([0, 0, 1500, 40_000])
    fsync = rng.random() < 0.25
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(logdir), str(batch), str(max_file_bytes), "1" if fsync else "0"],
        stdout=subprocess.PIPE,
    )
    try:
        for _ in range(acks):
            line = child.stdout.readline()
            assert line, "the child ended before it was killed"
            acknowledged = int(line)
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(timeout=TIMEOUT) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        child.stdout.close()

    steps, values = _scalar_rows(logdir)
    # Everything acknowledged, in order, once; perhaps some of what followed, never a gap.
    assert steps == list(range(len(steps)))
    assert len(steps) > acknowledged
    assert values == expected(np.array(steps, np.float64)).tolist()
    tb_steps, tb_values, _ = scalar_arrays(accumulator(logdir), "x")
    assert tb_steps.tolist() == steps
    assert tb_values.tolist() == values
    for path in run_files(str(logdir))["."]:
        # The last file may have been cut before its first record was complete.
        first = [e.file_version for e in read_events(path, on_corrupt="skip")][:1]
        assert first == ["brain.Event:2"] or path == run_files(str(logdir))["."][-1]
    return acknowledged + 1, len(steps)


def test_sigkill_at_random_points_keeps_every_acknowledged_value(tmp_path) -> None:
    seeds = range(KILLS)
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(lambda seed: kill_at_random_point(tmp_path / str(seed), seed), seeds))
    assert len(results) == KILLS
    assert all(read >= acknowledged for acknowledged, read in results)


# -- fsync -----------------------------------------------------------------------


@pytest.fixture
def fsyncs(monkeypatch) -> list[str]:
    """Count the writer's fsync calls: "file" for an event file, "folder" for a run folder."""
    calls: list[str] = []
    real = os.fsync

    def counting(fd: int) -> None:
        calls.append("file" if stat.S_ISREG(os.fstat(fd).st_mode) else "folder")
        real(fd)

    monkeypatch.setattr(writer_module, "_fsync", counting)
    return calls


def test_fsync_is_called_on_every_flush_and_values_round_trip(tmp_path, fsyncs) -> None:
    with neuroboard.SummaryWriter(tmp_path, flush_secs=0, fsync=True) as writer:
        assert fsyncs == ["folder", "file"]  # the new file's name, then its file-version event
        for step in range(3):
            writer.add_scalar("loss", step / 4, step)
            writer.flush()
        writer.add_scalar("loss", 0.75, 3)
    assert fsyncs.count("file") == 1 + 3 + 1  # opening, three flushes, close
    steps, values, _ = scalar_arrays(accumulator(tmp_path), "loss")
    assert steps.tolist() == [0, 1, 2, 3]
    assert values.tolist() == [0.0, 0.25, 0.5, 0.75]


def test_background_flush_syncs_too(tmp_path, fsyncs, monkeypatch) -> None:
    synced = threading.Event()
    counting = writer_module._fsync

    def signalling(fd: int) -> None:
        counting(fd)
        if fsyncs.count("file") >= 2:
            synced.set()

    monkeypatch.setattr(writer_module, "_fsync", signalling)
    writer = EventWriter(str(tmp_path), flush_secs=0.01, fsync=True)
    writer.add_scalar("x", 1.0, 0, 1.0)
    assert synced.wait(TIMEOUT)
    writer.close()
    assert [e.step for e in read_events(writer.path) if e.summary.value] == [0]


def test_without_fsync_nothing_is_synced(tmp_path, fsyncs) -> None:
    with neuroboard.Logger(str(tmp_path), experiment="run") as logger:
        logger.add_scalar("x", 1.0, 0)
        logger.flush()
    assert fsyncs == []


# -- a full disk -------------------------------------------------------------------


def _full_disk(monkeypatch, after: int = 0) -> threading.Event:
    """Make the writer's writes fail with ENOSPC once ``after`` bytes got through; return an Event set on failure."""
    failed = threading.Event()
    budget = [after]
    real = os.write

    def write(fd: int, data) -> int:
        if budget[0] > 0:
            written = real(fd, data[: budget[0]])
            budget[0] -= written
            return written
        failed.set()
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(writer_module, "_write", write)
    return failed


def test_enospc_surfaces_on_flush_and_nothing_is_lost(tmp_path, monkeypatch) -> None:
    writer = neuroboard.SummaryWriter(tmp_path, flush_secs=0)
    _full_disk(monkeypatch, after=50)  # the first record gets partly through
    for step in range(10):
        writer.add_scalar("x", float(step), step)
    with pytest.raises(OSError) as raised:
        writer.flush()
    assert raised.value.errno == errno.ENOSPC
    monkeypatch.undo()  # space again: what was kept goes out, in order
    writer.add_scalar("x", 10.0, 10)
    writer.close()
    steps, values = _scalar_rows(tmp_path)
    assert steps == list(range(11))
    assert values == [float(s) for s in range(11)]


def _background_flush_meets_a_full_disk(writer, monkeypatch) -> None:
    """Log one scalar into a full disk, let the background flush fail, and check close() says so."""
    failed = _full_disk(monkeypatch)
    writer.add_scalar("x", 1.0, 0)
    assert failed.wait(TIMEOUT)
    with pytest.raises(OSError) as raised:
        writer.close()
    assert raised.value.errno == errno.ENOSPC


def test_enospc_in_the_background_surfaces_on_close_and_close_can_be_retried(tmp_path, monkeypatch) -> None:
    writer = neuroboard.SummaryWriter(tmp_path, flush_secs=0.01)
    _background_flush_meets_a_full_disk(writer, monkeypatch)
    with pytest.raises(OSError, match=r"1 event \(\d+ bytes\) wait for .*events\.out\.tfevents"):
        writer.close()  # still no space: still waiting, still said
    monkeypatch.undo()
    writer.close()  # space again: the retry writes what waited
    writer.close()  # and from then on does nothing
    assert _scalar_rows(tmp_path) == ([0], [1.0])


def test_enospc_in_the_background_surfaces_on_the_next_call(tmp_path, monkeypatch) -> None:
    writer = EventWriter(str(tmp_path), flush_secs=0.01)
    failed = _full_disk(monkeypatch)
    writer.add_scalar("x", 1.0, 0, 1.0)
    assert failed.wait(TIMEOUT)
    with writer._lock:  # the background flush has stored its error once it lets go
        pass
    with pytest.raises(OSError):
        writer.add_scalar("x", 2.0, 1, 1.0)
    monkeypatch.undo()
    writer.close()
    assert [e.step for e in read_events(writer.path) if e.summary.value] == [0]


def test_enospc_when_rotating_surfaces_and_nothing_is_lost(tmp_path, monkeypatch) -> None:
    writer = EventWriter(str(tmp_path), flush_secs=0, max_file_bytes=1)

    def no_space(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(storage_module, "create_event_file", no_space)
    writer.add_scalar("x", 1.0, 0, 1.0)
    with pytest.raises(OSError):
        writer.flush()
    monkeypatch.undo()
    writer.add_scalar("x", 2.0, 1, 1.0)
    writer.close()
    steps, values = _scalar_rows(tmp_path)
    assert (steps, values) == ([0, 1], [1.0, 2.0])
    assert len(run_files(str(tmp_path))["."]) == 2


def test_a_failed_write_says_how_many_events_and_bytes_wait_for_which_file(tmp_path, monkeypatch) -> None:
    writer = EventWriter(str(tmp_path), flush_secs=0)
    before = os.path.getsize(writer.path)
    _full_disk(monkeypatch, after=50)  # the second record is cut
    for step in range(10):
        writer.add_scalar("x", float(step), step, 1.0)
    with pytest.raises(OSError) as raised:
        writer.flush()
    assert raised.value.errno == errno.ENOSPC
    assert isinstance(raised.value.__cause__, OSError)
    cut = os.path.getsize(writer.path)
    monkeypatch.undo()
    writer.close()
    waiting = os.path.getsize(writer.path) - cut
    assert 0 < cut - before < waiting
    assert f"9 events ({waiting} bytes) wait for {writer.path}" in str(raised.value)
    assert [e.step for e in read_events(writer.path) if e.summary.value] == list(range(10))


def test_an_encoding_failure_keeps_the_whole_batch_and_a_retry_writes_it(tmp_path, monkeypatch) -> None:
    writer = EventWriter(str(tmp_path), flush_secs=0)
    for step in range(1000):
        writer.add_scalar("x", float(step), step, 1.0)
    real = writer_module.encode_scalar_records

    def failing(*args):
        raise MemoryError("no room to encode")

    monkeypatch.setattr(writer_module, "encode_scalar_records", failing)
    with pytest.raises(MemoryError) as raised:
        writer.flush()
    assert "1000 events (0 bytes, and 1000 scalars not yet encoded) wait for" in raised.value.__notes__[0]
    monkeypatch.setattr(writer_module, "encode_scalar_records", real)
    writer.add_scalar("x", 1000.0, 1000, 1.0)
    writer.close()
    steps, values = _scalar_rows(tmp_path)
    assert steps == list(range(1001))
    assert values == [float(s) for s in range(1001)]


def test_full_disk_mid_batch_with_rotation_loses_no_record(tmp_path, monkeypatch) -> None:
    writer = EventWriter(str(tmp_path), flush_secs=0, max_queue=100_000, max_file_bytes=10_000)
    for step in range(6000):
        writer.add_scalar("x", expected(np.array(step)).item(), step, 1.0)
        if step % 500 == 499:
            if step == 2999:
                _full_disk(monkeypatch, after=10_017)  # past max_file_bytes, inside a record
                with pytest.raises(OSError) as raised:
                    writer.flush()
                assert raised.value.errno == errno.ENOSPC
                monkeypatch.undo()
            writer.flush()
    writer.close()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a damaged record would be reported as a warning
        df = neuroboard.collect_events(str(tmp_path), type="scalar", on_corrupt="raise")
    assert df["step"].tolist() == list(range(6000))
    assert df["value"].tolist() == expected(np.arange(6000)).tolist()
    tb_steps, tb_values, _ = scalar_arrays(accumulator(tmp_path), "x")
    assert tb_steps.tolist() == list(range(6000))
    assert tb_values.tolist() == expected(np.arange(6000)).tolist()
    assert len(run_files(str(tmp_path))["."]) > 5


def test_close_on_a_full_disk_says_what_waits_and_a_second_close_writes_it(tmp_path, monkeypatch) -> None:
    writer = neuroboard.SummaryWriter(tmp_path, flush_secs=0)
    for step in range(100):
        writer.add_scalars("pair", {"a": float(step), "b": -float(step)}, step)
        writer.add_scalar("x", float(step), step)
    _full_disk(monkeypatch)
    with pytest.raises(OSError) as raised:
        writer.close()
    assert raised.value.errno == errno.ENOSPC
    assert re.search(r"\d+ events \(\d+ bytes\) wait for .*events\.out\.tfevents", str(raised.value))
    monkeypatch.undo()
    writer.close()
    for run, tag, sign in ((".", "x", 1), ("pair_a", "pair", 1), ("pair_b", "pair", -1)):
        steps, values, _ = scalar_arrays(accumulator(tmp_path / run), tag)
        assert steps.tolist() == list(range(100))
        assert values.tolist() == [sign * float(s) for s in range(100)]
    df = neuroboard.collect_events(str(tmp_path), type="scalar")
    assert len(df) == 300


def test_a_retried_close_ends_the_hparams_session_once(tmp_path, monkeypatch) -> None:
    writer = neuroboard.SummaryWriter(tmp_path, flush_secs=0.01)
    writer.add_hparams({"lr": 0.1}, {"loss": 0.5})
    writer.flush()  # nothing waits when the disk fills, so only the background flush meets it
    _background_flush_meets_a_full_disk(writer, monkeypatch)
    monkeypatch.undo()
    writer.close()
    paths = run_files(str(tmp_path))["."]
    tags = [v.tag for path in paths for e in read_events(path) for v in e.summary.value]
    assert tags.count("_hparams_/session_start_info") == 1
    assert tags.count("_hparams_/session_end_info") == 1
    assert _scalar_rows_of(tmp_path, "x") == [(0, 1.0)]


def _scalar_rows_of(logdir, tag: str) -> list[tuple[int, float]]:
    df = neuroboard.collect_events(str(logdir), type="scalar", tags=tag)
    return list(zip(df["step"].tolist(), df["value"].tolist()))


def test_what_cannot_be_written_at_exit_is_logged_with_counts(tmp_path, monkeypatch, caplog) -> None:
    writer = EventWriter(str(tmp_path), flush_secs=0)
    for step in range(3):
        writer.add_scalar("x", float(step), step, 1.0)
    _full_disk(monkeypatch)
    # The other tests' writers are not this test's to close.
    monkeypatch.setattr(writer_module, "_open_writers", {writer})
    with caplog.at_level("ERROR", logger="neuroboard.io.writer"):
        writer_module._close_all()
    logged = rf"lost at exit.*: 3 events \(\d+ bytes\) wait for {re.escape(writer.path)}"
    assert re.search(logged, caplog.text)
    monkeypatch.undo()
    writer.close()
    assert [e.step for e in read_events(writer.path) if e.summary.value] == [0, 1, 2]


# -- rotation ----------------------------------------------------------------------


def test_max_file_bytes_rotates_and_the_run_reads_as_one(tmp_path) -> None:
    with neuroboard.SummaryWriter(tmp_path, flush_secs=0, max_file_bytes=400) as writer:
        for step in range(1000):
            writer.add_scalar("x", step * 0.5)  # steps left out continue across files
            writer.add_scalars("pair", {"a": 1.0, "b": float(step)}, step)
            if step % 25 == 24:
                writer.flush()
    paths = run_files(str(tmp_path))["."]
    assert len(paths) > 5
    for path in paths:
        assert next(read_events(path)).file_version == "brain.Event:2"
    assert all(os.path.getsize(path) >= 400 for path in paths[:-1])
    df = neuroboard.collect_events(str(tmp_path), type="scalar", runs=".")
    assert df["step"].tolist() == list(range(1000))
    assert df["value"].tolist() == [s * 0.5 for s in range(1000)]
    tb_steps, tb_values, _ = scalar_arrays(accumulator(tmp_path), "x")
    assert tb_steps.tolist() == list(range(1000))
    assert tb_values.tolist() == [s * 0.5 for s in range(1000)]
    b_steps, b_values, _ = scalar_arrays(accumulator(tmp_path / "pair_b"), "pair")
    assert b_steps.tolist() == list(range(1000))
    assert b_values.tolist() == [float(s) for s in range(1000)]
    assert len(run_files(str(tmp_path))["pair_b"]) > 1


def test_rotated_files_do_not_repeat_the_purge_marker(tmp_path) -> None:
    with neuroboard.SummaryWriter(tmp_path, flush_secs=0, max_file_bytes=200, purge_step=5) as writer:
        for step in range(5, 60):
            writer.add_scalar("x", float(step), step)
            writer.flush()
    assert len(run_files(str(tmp_path))["."]) > 5
    steps, _, _ = scalar_arrays(accumulator(tmp_path), "x")
    assert steps.tolist() == list(range(5, 60))


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_rotate_secs_starts_a_new_file_once_the_current_is_that_old(tmp_path, monkeypatch) -> None:
    clock = FakeClock()
    monkeypatch.setattr(writer_module, "_monotonic", clock)
    writer = EventWriter(str(tmp_path), flush_secs=0, rotate_secs=60)
    for step in range(6):
        writer.add_scalar("x", float(step), None, 1.0)
        writer.flush()
        clock.now += 25  # a new file at steps 3 (75 s) and 6 (a further 75 s)
    writer.add_scalar("x", 6.0, None, 1.0)
    writer.close()
    paths = run_files(str(tmp_path))["."]
    by_file = [[e.step for e in read_events(path) if e.summary.value] for path in paths]
    assert by_file == [[0, 1, 2], [3, 4, 5], [6]]
    steps, values, _ = scalar_arrays(accumulator(tmp_path), "x")
    assert steps.tolist() == list(range(7))
    assert values.tolist() == [float(s) for s in range(7)]


def test_an_idle_writer_does_not_rotate(tmp_path, monkeypatch) -> None:
    clock = FakeClock()
    monkeypatch.setattr(writer_module, "_monotonic", clock)
    with neuroboard.Logger(str(tmp_path), experiment="run", rotate_secs=1) as logger:
        for _ in range(5):
            clock.now += 10
            logger.flush()
    assert len(run_files(str(tmp_path))["run"]) == 1


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"max_file_bytes": 0}, r"SummaryWriter\(max_file_bytes=...\): expected an int >= 1 or None, got 0"),
        ({"max_file_bytes": 1.5}, r"max_file_bytes=.*got 1.5"),
        ({"rotate_secs": 0}, r"SummaryWriter\(rotate_secs=...\): expected seconds > 0 or None, got 0"),
        ({"rotate_secs": "1"}, r"rotate_secs=.*got '1'"),
    ],
)
def test_bad_limits_are_refused(tmp_path, options, message) -> None:
    with pytest.raises(ValueError, match=message):
        neuroboard.SummaryWriter(tmp_path, **options)
    assert run_files(str(tmp_path)) == {}
