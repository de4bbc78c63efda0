"""EventWriter: flushing, closing, errors from the background thread, threads and crashes."""

from __future__ import annotations

import errno
import math
import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
import tracemalloc

import numpy as np
import pytest

from neuroboard import SummaryWriter, collect_events
from neuroboard.io.reader import read_events, run_files
from neuroboard.io import writer as writer_module
from neuroboard.io.writer import FLUSH_SECS_FLOOR, SERIES_BLOCK, EventWriter, WriterClosedError
from neuroboard.summary.convert import INT64_MAX
from tests.tb import accumulator, scalar_arrays

POLL_TIMEOUT = 30.0


def _scalar_steps(path: str, tag: str = "x") -> list[int]:
    return [e.step for e in read_events(path) for v in e.summary.value if v.tag == tag]


def _poll(condition, timeout: float = POLL_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


def test_file_starts_with_file_version(tmp_path) -> None:
    with EventWriter(str(tmp_path)) as writer:
        pass
    events = list(read_events(writer.path))
    assert [e.file_version for e in events] == ["brain.Event:2"]


def test_flush_reaches_the_os(tmp_path) -> None:
    writer = EventWriter(str(tmp_path), flush_secs=0)
    writer.add_scalar("x", 1.0, 3, 10.0)
    assert _scalar_steps(writer.path) == []
    writer.flush()
    assert _scalar_steps(writer.path) == [3]
    writer.close()


def test_background_flush_writes_without_a_call(tmp_path) -> None:
    writer = EventWriter(str(tmp_path), flush_secs=0.05)
    writer.add_scalar("x", 1.0, 7, 10.0)
    _poll(lambda: _scalar_steps(writer.path) == [7])
    writer.close()


def test_max_queue_forces_a_flush(tmp_path) -> None:
    writer = EventWriter(str(tmp_path), flush_secs=0, max_queue=5)
    for step in range(5):
        writer.add_scalar("x", 0.0, step, 1.0)
    assert _scalar_steps(writer.path) == [0, 1, 2, 3, 4]
    writer.close()


def test_close_is_idempotent_and_later_writes_raise(tmp_path) -> None:
    writer = EventWriter(str(tmp_path))
    writer.add_scalar("x", 1.0, 0, 1.0)
    writer.close()
    writer.close()
    size = os.path.getsize(writer.path)
    with pytest.raises(WriterClosedError, match="closed"):
        writer.add_scalar("x", 2.0, 1, 1.0)
    assert os.path.getsize(writer.path) == size
    assert writer.closed


def test_steps_left_out_follow_each_tag(tmp_path) -> None:
    with EventWriter(str(tmp_path)) as writer:
        for _ in range(3):
            writer.add_scalar("a", 1.0, None, 1.0)
        writer.add_scalar("b", 1.0, None, 1.0)
        writer.add_scalar("a", 1.0, 10, 1.0)
        writer.add_scalar("a", 1.0, None, 1.0)
    assert _scalar_steps(writer.path, "a") == [0, 1, 2, 10, 11]
    assert _scalar_steps(writer.path, "b") == [0]


def _fill_disk(writer: EventWriter) -> int:
    """Point the writer's descriptor at /dev/full, as a full disk; return the saved real one."""
    saved = os.dup(writer._fd)
    full = os.open("/dev/full", os.O_WRONLY)
    os.dup2(full, writer._fd)
    os.close(full)
    return saved


def _free_disk(writer: EventWriter, saved: int) -> None:
    os.dup2(saved, writer._fd)
    os.close(saved)


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full to act as a full disk")
def test_background_error_surfaces_and_nothing_is_lost(tmp_path) -> None:
    writer = EventWriter(str(tmp_path), flush_secs=0.05)
    saved = _fill_disk(writer)
    writer.add_scalar("x", 1.0, 0, 1.0)
    raised: list[BaseException] = []
    logged = [0]

    def next_call_raises() -> bool:
        step = logged[-1] + 1
        try:
            writer.add_scalar("x", 1.0, step, 1.0)
        except OSError as error:
            raised.append(error)
            return True
        logged.append(step)
        return False

    _poll(next_call_raises)
    assert "No space left" in str(raised[0])
    _free_disk(writer, saved)
    # The call that raised logged nothing; the data of the failed flush were kept.
    last = logged[-1] + 2
    writer.add_scalar("x", 1.0, last, 1.0)
    writer.close()
    assert _scalar_steps(writer.path) == [*logged, last]


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full to act as a full disk")
def test_flush_and_close_raise_write_errors_and_close_can_be_retried(tmp_path) -> None:
    writer = EventWriter(str(tmp_path), flush_secs=0)
    saved = _fill_disk(writer)
    writer.add_scalar("x", 1.0, 0, 1.0)
    with pytest.raises(OSError):
        writer.flush()
    with pytest.raises(OSError, match=f"1 event \\(\\d+ bytes\\) wait for {re.escape(writer.path)}"):
        writer.close()
    with pytest.raises(WriterClosedError):
        writer.add_scalar("x", 2.0, 1, 1.0)  # closed to new events, all the same
    _free_disk(writer, saved)
    writer.close()
    writer.close()
    assert _scalar_steps(writer.path) == [0]
    steps, values, _ = scalar_arrays(accumulator(tmp_path), "x")
    assert (steps.tolist(), values.tolist()) == ([0], [1.0])


# -- steps past int64 and options, refused where they enter --------------------------


def test_an_automatic_step_past_int64_is_refused_at_the_call(tmp_path) -> None:
    writer = SummaryWriter(tmp_path, flush_secs=0)
    for step in range(1000):
        writer.add_scalar("good", float(step), step)
    writer.add_scalar("x", 1.0, INT64_MAX)
    with pytest.raises(ValueError, match=rf"step=None.*tag 'x'.*last step is {INT64_MAX}.*pass the steps"):
        writer.add_scalar("x", 2.0)
    with pytest.raises(ValueError, match=r"^add_scalars\(step=None\).*tag 'x'"):
        writer.add_scalars("x", {"a": 1.0})
    writer.close()
    df = collect_events(str(tmp_path), type="scalar")
    assert len(df) == 1001
    assert df[df.tag == "x"]["step"].tolist() == [INT64_MAX]
    steps, _, _ = scalar_arrays(accumulator(tmp_path), "good")
    assert steps.tolist() == list(range(1000))


def test_series_and_claimed_steps_past_int64_are_refused(tmp_path) -> None:
    with SummaryWriter(tmp_path, flush_secs=0) as writer:
        writer.add_scalar("x", 1.0, INT64_MAX - 2)
        with pytest.raises(
            ValueError, match=rf"^add_series\(step=None\).*got 3 step\(s\) of tag 'x' from {INT64_MAX - 1}"
        ):
            writer.add_series("x", [1.0, 2.0, 3.0])
        writer.add_series("x", [1.0, 2.0])  # exactly up to the maximum
        with pytest.raises(ValueError, match=r"^add_histogram\(step=None\).*tag 'x'"):
            writer.add_histogram("x", [1.0])
    steps = collect_events(str(tmp_path), type="scalar")["step"].tolist()
    assert steps == [INT64_MAX - 2, INT64_MAX - 1, INT64_MAX]
    writer = EventWriter(str(tmp_path), flush_secs=0)
    with pytest.raises(ValueError, match="claim_steps"):
        writer.claim_steps("y", 2, first=INT64_MAX)
    assert writer.claim_steps("y") == 0  # the refused claim left the count as it was
    writer.close()


BAD_OPTIONS = [
    ({"flush_secs": math.inf}, ValueError, "flush_secs"),
    ({"flush_secs": math.nan}, ValueError, "flush_secs"),
    ({"flush_secs": 1e308}, ValueError, "flush_secs"),
    ({"flush_secs": 1e-9}, ValueError, "flush_secs"),
    ({"flush_secs": -1.0}, ValueError, "flush_secs"),
    ({"flush_secs": "2"}, TypeError, "flush_secs"),
    ({"flush_secs": True}, TypeError, "flush_secs"),
    ({"max_queue": True}, TypeError, "max_queue"),
    ({"max_queue": 2.5}, TypeError, "max_queue"),
    ({"max_queue": 0}, ValueError, "max_queue"),
    ({"filename_suffix": 123}, TypeError, "filename_suffix"),
    ({"filename_suffix": "/../x"}, ValueError, "filename_suffix"),
    ({"filename_suffix": "a\0b"}, ValueError, "filename_suffix"),
]


@pytest.mark.parametrize("make", [EventWriter, SummaryWriter], ids=["EventWriter", "SummaryWriter"])
@pytest.mark.parametrize(("options", "kind", "arg"), BAD_OPTIONS)
def test_bad_options_are_refused_before_a_file_is_made(tmp_path, make, options, kind, arg) -> None:
    with pytest.raises(kind, match=rf"^{make.__name__}\({arg}=\.\.\.\): expected .*got"):
        make(str(tmp_path / "run"), **options)
    assert not os.path.exists(tmp_path / "run")
    assert [p for p in tmp_path.rglob("*") if "tfevents" in p.name] == []


@pytest.mark.parametrize("flush_secs", [0, FLUSH_SECS_FLOOR, 3600])
def test_flush_secs_zero_and_the_floor_are_accepted(tmp_path, flush_secs) -> None:
    with SummaryWriter(tmp_path, flush_secs=flush_secs, max_queue=1, filename_suffix=".v2") as writer:
        writer.add_scalar("x", 1.0, 0)
    [path] = run_files(str(tmp_path))["."]
    assert path.endswith(".v2")
    assert _scalar_steps(path) == [0]


@pytest.mark.parametrize("make", [EventWriter, SummaryWriter], ids=["EventWriter", "SummaryWriter"])
@pytest.mark.parametrize(("logdir", "kind"), [(123, TypeError), ("runs\0x", ValueError), ("", ValueError)])
def test_a_logdir_that_is_no_path_is_refused_naming_logdir(tmp_path, monkeypatch, make, logdir, kind) -> None:
    if make is SummaryWriter and logdir == "":
        pytest.skip(
            "SummaryWriter, as both peers, takes '' for its default logdir (tests/api/test_writer_peers.py)"
        )
    monkeypatch.chdir(tmp_path)
    with pytest.raises(kind, match=rf"^{make.__name__}\(logdir=\.\.\.\): expected a"):
        make(logdir)
    assert list(tmp_path.iterdir()) == []


def test_threads_share_one_writer(tmp_path) -> None:
    writer = EventWriter(str(tmp_path), max_queue=97)
    per_thread = 3000

    def log(index: int) -> None:
        for step in range(per_thread):
            writer.add_scalar(f"t{index}", float(step), step, 1.0)

    threads = [threading.Thread(target=log, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    writer.close()
    acc = accumulator(tmp_path)
    for index in range(8):
        steps, values, _ = scalar_arrays(acc, f"t{index}")
        assert steps.tolist() == list(range(per_thread))
        assert values.tolist() == [float(s) for s in range(per_thread)]


def _run_child(code: str, tmp_path, **kwargs) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code), str(tmp_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        **kwargs,
    )


def test_interpreter_exit_flushes_open_writers(tmp_path) -> None:
    child = _run_child(
        """
        import sys
        from neuroboard import SummaryWriter
        writer = SummaryWriter(sys.argv[1], flush_secs=1000)
        for step in range(250):
            writer.add_scalar("x", step * 0.5, step)
        writer.add_scalars("pair", {"a": 1.0, "b": 2.0}, 0)
        """,
        tmp_path,
    )
    assert child.wait(timeout=120) == 0
    (path,) = run_files(str(tmp_path))["."]
    assert _scalar_steps(path) == list(range(250))
    assert set(run_files(str(tmp_path))) == {".", "pair_a", "pair_b"}


def test_sigkill_after_flush_keeps_what_was_flushed(tmp_path) -> None:
    child = _run_child(
        """
        import sys
        from neuroboard import SummaryWriter
        writer = SummaryWriter(sys.argv[1], flush_secs=1000)
        for step in range(100):
            writer.add_scalar("x", float(step), step)
        writer.flush()
        for step in range(100, 150):
            writer.add_scalar("x", float(step), step)
        print("flushed", flush=True)
        sys.stdin.read()
        """,
        tmp_path,
    )
    assert child.stdout.readline().strip() == b"flushed"
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=60)
    assert child.returncode == -signal.SIGKILL
    (path,) = run_files(str(tmp_path))["."]
    assert _scalar_steps(path) == list(range(100))
    steps, values, _ = scalar_arrays(accumulator(tmp_path), "x")
    assert steps.tolist() == list(range(100))
    assert values.tolist() == [float(s) for s in range(100)]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_forked_child_writes_a_file_of_its_own(tmp_path) -> None:
    writer = EventWriter(str(tmp_path), flush_secs=0)
    writer.add_scalar("x", 1.0, 0, 1.0)
    pid = os.fork()
    if pid == 0:  # the child logs one point of its own and exits normally
        code = 0
        try:
            writer.add_scalar("x", 2.0, 1, 1.0)
            writer.close()
        except BaseException:  # noqa: BLE001 - report through the exit code
            code = 1
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    writer.close()

    def values(path: str) -> list[tuple[int, float]]:
        return sorted((e.step, v.simple_value) for e in read_events(path) for v in e.summary.value)

    # The parent's queue stays the parent's; the child's point goes to a new file that sorts after it.
    files = sorted(str(p) for p in tmp_path.iterdir())
    assert files[0] == writer.path and len(files) == 2
    assert values(writer.path) == [(0, 1.0)]
    assert values(files[1]) == [(1, 2.0)]


def test_a_long_series_costs_a_bounded_work_space(tmp_path) -> None:
    # Encoded whole, 4 million points took about 118 bytes each of work space (470 MB) at once.
    count = 16 * SERIES_BLOCK
    steps, walls = np.arange(count, dtype=np.int64), np.full(count, 1.7e9)
    values = np.random.default_rng(0).random(count)
    writer = EventWriter(str(tmp_path), flush_secs=0)
    tracemalloc.start()
    try:
        writer.add_scalar_series("v", steps, walls, values)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    writer.close()
    assert peak < 200 * SERIES_BLOCK, f"{peak / count:.1f} bytes a point"
    frame = collect_events(str(tmp_path), type="scalar")
    assert frame["step"].tolist() == steps.tolist()
    assert np.array_equal(frame["value"].to_numpy(), values.astype(np.float32).astype(np.float64))


def test_a_series_whose_write_fails_half_way_is_kept_whole(tmp_path, monkeypatch) -> None:
    count = 3 * SERIES_BLOCK + 5
    writer = EventWriter(str(tmp_path), flush_secs=0)
    real = writer_module._write
    calls = []

    def full_once(fd, data):
        calls.append(len(data))
        if len(calls) == 1:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(fd, data)

    monkeypatch.setattr(writer_module, "_write", full_once)
    values = np.arange(count, dtype=np.float64)
    with pytest.raises(OSError, match=r"wait for") as raised:
        writer.add_scalar_series("v", np.arange(count, dtype=np.int64), np.full(count, 1.0), values)
    assert raised.value.errno == errno.ENOSPC
    writer.close()
    frame = collect_events(str(tmp_path), type="scalar")
    assert frame["step"].tolist() == list(range(count))
    assert frame["value"].tolist() == values.tolist()
    assert accumulator(tmp_path).Scalars("v")[-1].step == count - 1
