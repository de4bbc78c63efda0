"""Event file names: TensorBoard's pattern, exclusive creation, and sorting after older files."""

from __future__ import annotations

import multiprocessing
import os
import re
import socket

from neuroboard.io.files import create_event_file, event_file_name

NAME = re.compile(r"events\.out\.tfevents\.(\d{10})\.(.+)\.(\d+)\.(\d+)(.*)$")


def _create(args: tuple[str, multiprocessing.synchronize.Barrier]) -> str:
    logdir, barrier = args
    barrier.wait()
    path, fd = create_event_file(logdir)
    os.write(fd, str(os.getpid()).encode())
    os.close(fd)
    return path


def test_name_follows_tensorboard(tmp_path) -> None:
    path, fd = create_event_file(str(tmp_path), ".v2")
    os.close(fd)
    match = NAME.match(os.path.basename(path))
    assert match is not None
    assert match.group(2) == socket.gethostname()
    assert int(match.group(3)) == os.getpid()
    assert match.group(5) == ".v2"


def test_new_file_sorts_after_existing_ones(tmp_path) -> None:
    # A file from the future, or from a host and pid that sort high, is already there.
    for name in (
        event_file_name(4_000_000_000, "zzz-host", 999_999, 99),
        event_file_name(1_000_000_000, "zzz", 1, 1),
    ):
        (tmp_path / name).write_bytes(b"")
    path, fd = create_event_file(str(tmp_path))
    os.close(fd)
    assert os.path.basename(path) == sorted(os.listdir(tmp_path))[-1]


def test_many_writers_in_one_second_each_get_a_file(tmp_path) -> None:
    paths = []
    for _ in range(12):
        path, fd = create_event_file(str(tmp_path))
        os.close(fd)
        paths.append(os.path.basename(path))
    # One after the other, each new file sorts after the previous one.
    assert paths == sorted(paths)
    assert len(set(paths)) == 12


def test_processes_starting_together_never_share_a_file(tmp_path) -> None:
    context = multiprocessing.get_context("spawn")
    count = 16
    barrier = context.Manager().Barrier(count)
    with context.Pool(count) as pool:
        paths = pool.map(_create, [(str(tmp_path), barrier)] * count)
    assert len(set(paths)) == count
    contents = {open(path).read() for path in paths}
    assert len(contents) == count
