"""Many writers at once: threads sharing a writer, processes sharing a logdir or a run folder, a fork."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import textwrap
import threading

import pytest

import neuroboard
from neuroboard.io.reader import read_events, run_files
from tests.forking import log_in_forked_child
from tests.tb import multiplexer

TIMEOUT = 120.0


def counts(logdir) -> dict[tuple[str, str], list[int]]:
    """Return the sorted steps of every (run, tag), as neuroboard reads them; check TensorBoard agrees."""
    df = neuroboard.collect_events(str(logdir), type="scalar")
    ours = {key: sorted(group["step"].tolist()) for key, group in df.groupby(["run", "tag"])}
    mux = multiplexer(logdir)
    theirs = {
        (run, tag): sorted(e.step for e in mux.Scalars(run, tag))
        for run, tags in mux.Runs().items()
        for tag in tags["scalars"]
    }
    assert {(os.path.normpath(run), tag): steps for (run, tag), steps in theirs.items()} == ours
    return ours


def test_threads_share_one_summary_writer(tmp_path) -> None:
    per_thread = 2000
    writer = neuroboard.SummaryWriter(tmp_path, max_queue=113, flush_secs=0.01)

    def log(index: int) -> None:
        for step in range(per_thread):
            writer.add_scalar(f"t{index}", float(step))

    threads = [threading.Thread(target=log, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    writer.close()
    assert counts(tmp_path) == {(".", f"t{i}"): list(range(per_thread)) for i in range(8)}


PROCESS_WITH_THREADS = textwrap.dedent(
    """
    import sys, threading
    from neuroboard import SummaryWriter

    logdir, process = sys.argv[1], sys.argv[2]
    run = logdir if process in "02" else logdir + "/run" + process  # two processes share the top run
    writer = SummaryWriter(run, flush_secs=0.01, max_queue=50)

    def log(thread):
        for step in range(1500):
            writer.add_scalar(f"p{process}/t{thread}", step * 0.5, step)

    threads = [threading.Thread(target=log, args=(t,)) for t in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    writer.close()
    """
)


def test_processes_with_threads_share_one_logdir(tmp_path) -> None:
    children = [
        subprocess.Popen([sys.executable, "-c", PROCESS_WITH_THREADS, str(tmp_path), str(p)])
        for p in range(4)
    ]
    assert [child.wait(timeout=TIMEOUT) for child in children] == [0] * 4
    expected = {}
    for p in range(4):
        run = "." if p in (0, 2) else f"run{p}"
        expected.update({(run, f"p{p}/t{t}"): list(range(1500)) for t in range(4)})
    assert counts(tmp_path) == expected
    assert len(run_files(str(tmp_path))["."]) == 2


def _log_into_shared_run(run_dir: str, index: int, go) -> None:
    go.wait()
    with neuroboard.SummaryWriter(run_dir, flush_secs=0.01) as writer:
        for step in range(200):
            writer.add_scalar(f"p{index}", float(step), step)


@pytest.mark.skipif(
    "forkserver" not in multiprocessing.get_all_start_methods(), reason="needs the forkserver start method"
)
def test_64_processes_starting_together_in_one_run_folder(tmp_path) -> None:
    # Forked from one server that has imported neuroboard, the processes start in
    # milliseconds instead of a second each, and all open their files at one signal.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["neuroboard"])
    go = context.Event()
    processes = [context.Process(target=_log_into_shared_run, args=(str(tmp_path), i, go)) for i in range(64)]
    for process in processes:
        process.start()
    go.set()
    for process in processes:
        process.join(TIMEOUT)
    assert [process.exitcode for process in processes] == [0] * 64
    assert len(set(run_files(str(tmp_path))["."])) == 64
    assert counts(tmp_path) == {(".", f"p{i}"): list(range(200)) for i in range(64)}


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_forked_child_logs_into_a_file_of_its_own(tmp_path) -> None:
    writer = neuroboard.SummaryWriter(tmp_path, flush_secs=0.01, max_queue=7)
    for step in range(100):
        writer.add_scalar("parent", float(step), step)
    writer.flush()
    for step in range(100, 150):  # queued at the fork: the parent's to write
        writer.add_scalar("parent", float(step), step)
    (parent_file,) = run_files(str(tmp_path))["."]
    log_in_forked_child(writer, 1000)  # the child keeps logging through the same writer, from two threads
    writer.add_scalar("parent", 150.0, 150)
    writer.close()

    files = run_files(str(tmp_path))["."]
    assert len(files) == 2 and files[0] == parent_file
    tags = [{v.tag for e in read_events(path) for v in e.summary.value} for path in files]
    assert tags == [{"parent"}, {"child0", "child1"}]
    assert next(read_events(files[1])).file_version == "brain.Event:2"
    assert counts(tmp_path) == {
        (".", "parent"): list(range(151)),
        (".", "child0"): list(range(1000)),
        (".", "child1"): list(range(1000)),
    }
