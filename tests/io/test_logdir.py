"""A connection to a logdir resumes where it stopped, while another process keeps writing."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from neuroboard.format.codec import scalar_event_reference
from neuroboard.format.records import frame_record
from neuroboard.io.logdir import EventsLogdir, Filters
from neuroboard.io.writer import EventWriter

# The child appends framed scalar events by hand, so that it can stop in the middle of one.
_CHILD = textwrap.dedent(
    """
    import os, sys
    from neuroboard.format.codec import scalar_event_reference
    from neuroboard.format.records import frame_record

    logdir = sys.argv[1]
    step = 0
    pending = b""
    path = None

    def open_run(run):
        folder = os.path.join(logdir, run)
        os.makedirs(folder, exist_ok=True)
        return os.path.join(folder, "events.out.tfevents.1.child")

    path = open_run("a")
    for line in sys.stdin:
        command, _, arg = line.strip().partition(" ")
        with open(path, "ab") as f:
            if command == "batch":
                for _ in range(int(arg)):
                    step += 1
                    f.write(frame_record(scalar_event_reference("x", step, 1.0, step / 4)))
            elif command == "half":
                step += 1
                record = frame_record(scalar_event_reference("x", step, 1.0, step / 4))
                cut = int(arg)
                f.write(record[:cut])
                pending = record[cut:]
            elif command == "rest":
                f.write(pending)
                pending = b""
            elif command == "run":
                path = open_run(arg)
        print("ok", flush=True)
    """
)


def _steps(conn: EventsLogdir, **kwargs) -> list[tuple[str, int]]:
    return [(b.run, int(s)) for b in conn.scalars(Filters(), **kwargs) for s in b.step]


@pytest.fixture
def child(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(tmp_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )

    def send(command: str) -> None:
        proc.stdin.write(command + "\n")
        proc.stdin.flush()
        assert proc.stdout.readline().strip() == "ok"

    yield send
    proc.stdin.close()
    assert proc.wait(timeout=60) == 0


def test_resumes_across_half_written_records_and_new_runs(tmp_path, child) -> None:
    conn = EventsLogdir(tmp_path)
    assert _steps(conn) == []
    child("batch 3")
    assert _steps(conn) == [("a", 1), ("a", 2), ("a", 3)]
    record_size = len(frame_record(scalar_event_reference("x", 4, 1.0, 1.0)))
    for step, cut in zip((4, 5, 6), (5, 12, record_size - 1)):
        child(f"half {cut}")
        assert _steps(conn) == []
        child("rest")
        assert _steps(conn) == [("a", step)]
    child("run b")
    child("batch 2")
    child("run a")
    child("batch 1")
    assert _steps(conn) == [("a", 9), ("b", 7), ("b", 8)]
    assert _steps(conn) == []


def test_n_cuts_reads_into_consecutive_slices(tmp_path, child) -> None:
    child("batch 10")
    conn = EventsLogdir(tmp_path)
    slices = [_steps(conn, n=3) for _ in range(5)]
    assert [len(s) for s in slices] == [3, 3, 3, 1, 0]
    assert [s for part in slices for _, s in part] == list(range(1, 11))


def test_reads_while_a_writer_process_keeps_flushing(tmp_path) -> None:
    total = 20_000
    script = textwrap.dedent(
        f"""
        import sys
        from neuroboard.io.writer import EventWriter
        w = EventWriter(sys.argv[1], flush_secs=3600, max_queue=10**9)
        for step in range({total}):
            w.add_scalar("loss", step / 8, step, 1.0)
            if step % 997 == 0:
                w.flush()
        w.close()
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script, str(tmp_path)])
    conn = EventsLogdir(tmp_path)
    seen: list[int] = []
    reads = 0
    # Read as fast as the writer writes: partial records are met at random places.
    while True:
        finished = proc.poll() is not None
        seen.extend(s for _, s in _steps(conn))
        reads += 1
        if finished:
            break
    assert proc.wait() == 0
    seen.extend(s for _, s in _steps(conn))
    assert seen == list(range(total))
    assert reads > 1


def test_a_single_file_is_a_run_of_its_own(tmp_path) -> None:
    writer = EventWriter(tmp_path)
    writer.add_scalar("x", 1.0, 3, 1.0)
    writer.close()
    conn = EventsLogdir(writer.path)
    assert _steps(conn) == [(".", 3)]


def test_missing_logdir_reads_nothing_until_it_exists(tmp_path) -> None:
    conn = EventsLogdir(tmp_path / "later")
    assert _steps(conn) == []
    writer = EventWriter(tmp_path / "later" / "run")
    writer.add_scalar("x", 1.0, 1, 1.0)
    writer.close()
    assert _steps(conn) == [("run", 1)]


def test_filters_of_runs_leave_other_runs_unread(tmp_path) -> None:
    for run in ("train", "valid"):
        with EventWriter(tmp_path / run) as writer:
            writer.add_scalar("x", 1.0, 1, 1.0)
    conn = EventsLogdir(tmp_path)
    assert _steps(conn, n=None) == [("train", 1), ("valid", 1)]
    conn = EventsLogdir(tmp_path)
    assert [(b.run, len(b)) for b in conn.scalars(Filters.make(runs="tr*"))] == [("train", 1)]
    assert [(b.run, len(b)) for b in conn.scalars(Filters())] == [("valid", 1)]


def test_step_filter_is_half_open() -> None:
    f = Filters.make(steps=(2, 5))
    assert f.step_mask(np.arange(7)).tolist() == [False, False, True, True, True, False, False]
    assert Filters.make(steps=(None, 2)).keep_step(1) and not Filters.make(steps=(3, None)).keep_step(2)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"steps": (1,)}, TypeError),
        ({"steps": (1.5, 2)}, TypeError),
        ({"tags": 3}, TypeError),
        ({"runs": [1]}, TypeError),
    ],
)
def test_bad_filters_name_the_argument(kwargs, error) -> None:
    with pytest.raises(error, match=next(iter(kwargs))):
        Filters.make(**kwargs)


def test_connection_keeps_no_file_open(tmp_path) -> None:
    with EventWriter(tmp_path) as writer:
        writer.add_scalar("x", 1.0, 1, 1.0)
    conn = EventsLogdir(tmp_path)
    before = len(os.listdir(f"/proc/{os.getpid()}/fd"))
    _steps(conn)
    assert len(os.listdir(f"/proc/{os.getpid()}/fd")) == before
