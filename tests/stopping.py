"""Children that stop at a point of the test's choosing, for tests that kill them there."""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence


def signal_after_first_line(
    source: str, args: Sequence[str], signum: int, env: Mapping[str, str] | None = None
) -> tuple[str, int]:
    """Run ``source`` in a child Python with ``args``; once it prints a line, send it ``signum``.

    The child prints when it has reached the point to stop at, then waits on its stdin, which
    is never written. Returns the line it printed (without the newline) and its exit code.
    """
    process = subprocess.Popen(
        [sys.executable, "-c", source, *map(str, args)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=None if env is None else dict(env),
    )
    try:
        line = process.stdout.readline()
        assert line, f"the child ended before it reached its stop: {process.stderr.read()}"
        process.send_signal(signum)
        return line.rstrip("\n"), process.wait(timeout=60)
    finally:
        process.kill()
        process.wait()
        for stream in (process.stdin, process.stdout, process.stderr):
            stream.close()


class Hang(BaseException):
    """A block that did not finish in time: not an Exception, so that no ``except Exception`` hides it."""


@contextlib.contextmanager
def fails_after(seconds: int, what: str = "the read") -> Iterator[None]:
    """Raise :class:`Hang` in the block if it runs longer than ``seconds`` (POSIX), instead of hanging."""
    if not hasattr(signal, "SIGALRM"):
        yield
        return

    def expire(signum, frame):
        raise Hang(f"{what} did not finish in {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
