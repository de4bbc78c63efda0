"""Event file names: TensorBoard's convention, exclusive creation, and run order."""

from __future__ import annotations

import itertools
import os
import re
import socket
import time

__all__ = ["EVENT_FILE_MARKER", "create_event_file", "event_file_name", "is_event_file", "next_event_name"]

EVENT_FILE_MARKER = "tfevents"
_PREFIX = "events.out.tfevents."
_SECONDS = re.compile(r"events\.out\.tfevents\.(\d+)")
# Shared by every writer in the process: two writers opened in one second differ here.
_counter = itertools.count()


def is_event_file(name: str) -> bool:
    """Return whether a file name is one TensorBoard reads as an event file.

    >>> is_event_file("events.out.tfevents.1700000000.lab1.42.0"), is_event_file("x.txt")
    (True, False)
    """
    return EVENT_FILE_MARKER in name


def event_file_name(seconds: int, host: str, pid: int, counter: int, suffix: str = "") -> str:
    """Return ``events.out.tfevents.<secs>.<host>.<pid>.<counter><suffix>``.

    >>> event_file_name(1700000000, "lab1", 42, 0)
    'events.out.tfevents.1700000000.lab1.42.0'
    """
    return f"{_PREFIX}{seconds:010d}.{host}.{pid}.{counter}{suffix}"


def _sort_after(candidate_seconds: int, latest: str, make) -> int:
    """Return the seconds field that makes ``make(seconds)`` sort after the name ``latest``."""
    if make(candidate_seconds) > latest:
        return candidate_seconds
    match = _SECONDS.match(latest)
    if match is None:
        return candidate_seconds
    # The latest file's own second first: a writer that rotates many times a
    # second then moves its names ahead of the clock only when needed.
    seconds = int(match.group(1))
    if seconds >= candidate_seconds and make(seconds) > latest:
        return seconds
    return max(candidate_seconds, seconds + 1)


def create_event_file(logdir: str, suffix: str = "") -> tuple[str, int]:
    """Create a new event file in ``logdir``; return its path and an open file descriptor.

    The file is created exclusively, so two writers never share one, and
    named so that it sorts after the event files already in ``logdir``:
    TensorBoard reads a run's files in name order and never goes back.

    >>> import tempfile; d = tempfile.mkdtemp()
    >>> path, fd = create_event_file(d); os.close(fd)
    >>> os.path.basename(path).startswith("events.out.tfevents.")
    True
    """
    os.makedirs(logdir, exist_ok=True)
    while True:
        latest = max((n for n in os.listdir(logdir) if is_event_file(n)), default=None)
        path = os.path.join(logdir, next_event_name(latest, suffix))
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o644)
        except FileExistsError:
            continue
        return path, fd


def next_event_name(latest: str | None, suffix: str = "") -> str:
    """Return a new event file name of this process that sorts after ``latest`` (a name, or None).

    The counter, shared by the process, keeps its names unique (so a store
    without exclusive creation needs nothing more), and the seconds field
    moves ahead of the clock only when the counter alone would sort before
    ``latest``.

    >>> a = next_event_name(None); b = next_event_name(a); c = next_event_name(b)
    >>> a < b < c
    True
    """
    host = socket.gethostname()
    pid = os.getpid()
    counter = next(_counter)

    def make(seconds: int) -> str:
        return event_file_name(seconds, host, pid, counter, suffix)

    seconds = int(time.time())
    if latest is not None:
        seconds = _sort_after(seconds, latest, make)
    return make(seconds)
