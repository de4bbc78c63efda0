"""EventWriter: one event file, buffered, flushed in the background.

Scalars are kept as plain tuples until a flush encodes them all at once with
the batched fast path; other events are framed when they are added. Every
flush hands the bytes to the OS in one ``write`` loop, so a crash loses at
most what was added since the last flush; with ``fsync=True`` it also waits
for the disk, so a power loss does too.

A writer moves to a new file of its run when the current one is full or old
(``max_file_bytes``, ``rotate_secs``) and in a forked child, which must not
write into its parent's file. New files are named to sort after the old
ones and start with their own file-version event.

An fsspec URL (``s3://bucket/exp``) as ``logdir`` makes a remote writer:
object stores cannot append, so every flush that has data puts one new,
complete object (a file-version event, then the flushed events), named to
sort after the objects before it. Each byte is uploaded once; the flush
interval sets how many objects a run has.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
import weakref

import numpy as np

from neuroboard.format.codec import Event, encode_event, encode_scalar_records, file_version_event
from neuroboard.io.files import create_event_file, next_event_name
from neuroboard.io.remote import is_url, latest_event_name, url_fs

__all__ = ["EventWriter", "Flusher", "WriterClosedError", "check_file_limits"]

logger = logging.getLogger(__name__)

DEFAULT_FLUSH_SECS = 2.0
DEFAULT_MAX_QUEUE = 10_000

# Looked up at each call rather than bound: the seam where the tests inject a
# full disk and count the syncs, and where rotation reads the time.
_write = os.write
_fsync = os.fsync
_monotonic = time.monotonic


class WriterClosedError(ValueError):
    """Raised by a write to a writer that has been closed."""


class Flusher:
    """A daemon thread that flushes a set of writers every ``interval`` seconds.

    A writer's flush error is kept on that writer and raised by its next call.

    >>> f = Flusher(60.0); f.stop()
    """

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._writers: weakref.WeakSet[EventWriter] = weakref.WeakSet()
        self._stopped = threading.Event()
        self._start()

    def _start(self) -> None:
        self._pid = os.getpid()
        self._thread = threading.Thread(target=self._run, name="neuroboard-flush", daemon=True)
        self._thread.start()

    def revive(self) -> None:
        """Start the thread again in a forked child, where it does not exist; else do nothing."""
        if self._pid != os.getpid() and not self._stopped.is_set():
            self._start()

    def _after_fork(self) -> None:
        # The parent's thread may have held the event's lock at the fork: use a fresh one.
        stopped = self._stopped.is_set()
        self._stopped = threading.Event()
        if stopped:
            self._stopped.set()

    def add(self, writer: EventWriter) -> None:
        """Flush ``writer`` on every tick from now on."""
        self._writers.add(writer)

    def discard(self, writer: EventWriter) -> None:
        """Stop flushing ``writer``."""
        self._writers.discard(writer)

    def stop(self) -> None:
        """End the thread; the writers are left open."""
        self._stopped.set()
        if self._thread is not threading.current_thread():
            self._thread.join()

    def _run(self) -> None:
        while not self._stopped.wait(self.interval):
            for writer in list(self._writers):
                writer._background_flush()


# Open writers, held strongly so that unreferenced ones still reach the disk at exit.
_open_writers: set[EventWriter] = set()
_open_lock = threading.Lock()


@atexit.register
def _close_all() -> None:
    with _open_lock:
        writers = list(_open_writers)
    for writer in writers:
        try:
            writer.close()
        except Exception as error:  # noqa: BLE001 - exit goes on, but says what was lost
            logger.error("could not finish %s at exit: %s", writer.path, error)


_early_exit_hook = False


def _close_before_thread_pools_stop() -> None:
    # Remote file systems upload through thread pools, which refuse work once
    # the interpreter starts to exit, before atexit handlers run. Hooks that
    # threading runs at exit run newest first: this one before the pools stop.
    global _early_exit_hook
    register = getattr(threading, "_register_atexit", None)
    if register is None or _early_exit_hook:
        return
    _early_exit_hook = True
    register(_close_all)


def _after_fork_in_child() -> None:
    # The parent writes what it had queued and owns its file: a child that wrote
    # either would duplicate events or interleave its records with the parent's.
    global _open_lock
    _open_lock = threading.Lock()
    for writer in _open_writers:
        writer._leave_parents_file()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def _close_quietly(fd: int) -> None:
    try:
        os.close(fd)
    except OSError:
        pass


def check_file_limits(max_file_bytes: int | None, rotate_secs: float | None, func: str) -> None:
    """Raise a ValueError naming ``func`` unless both limits are None or positive.

    >>> check_file_limits(1 << 20, None, "EventWriter")
    """
    if max_file_bytes is not None and (
        isinstance(max_file_bytes, bool) or not isinstance(max_file_bytes, int) or max_file_bytes < 1
    ):
        raise ValueError(f"{func}(max_file_bytes=...): expected an int >= 1 or None, got {max_file_bytes!r}")
    if rotate_secs is not None and (
        isinstance(rotate_secs, bool) or not isinstance(rotate_secs, (int, float)) or not rotate_secs > 0
    ):
        raise ValueError(f"{func}(rotate_secs=...): expected seconds > 0 or None, got {rotate_secs!r}")


def _sync_folder(path: str) -> None:
    # A new file's name is durable only once its folder is synced; Windows has no such call.
    if os.name != "posix":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        _fsync(fd)
    finally:
        os.close(fd)


class EventWriter:
    """Write events into one new event file in ``logdir``.

    ``flush_secs`` sets the background flush interval (``0`` turns it off);
    ``max_queue`` is how many events may wait in memory before the adding
    call flushes them itself. ``flusher`` shares one background thread among
    several writers. Steps left out advance a counter per tag. ``fsync``
    makes every flush wait until the disk holds the bytes. Once the file
    holds ``max_file_bytes`` bytes or is ``rotate_secs`` seconds old, the next
    flush starts a new file in the same run. A forked child that uses the
    writer writes into a new file of its own.

    A ``logdir`` that is an fsspec URL, opened with ``storage_options``,
    gets one new object per flush that has data (see the module's notes);
    ``fsync``, ``max_file_bytes`` and ``rotate_secs`` do not apply there.
    ``objects`` and ``bytes_uploaded`` count what it put.

    >>> import tempfile
    >>> with EventWriter(tempfile.mkdtemp()) as w:
    ...     w.add_scalar("loss", 0.5, step=1, wall_time=1.0)
    """

    def __init__(
        self,
        logdir: str,
        *,
        filename_suffix: str = "",
        flush_secs: float = DEFAULT_FLUSH_SECS,
        max_queue: int = DEFAULT_MAX_QUEUE,
        flusher: Flusher | None = None,
        first_events: tuple[Event, ...] = (),
        fsync: bool = False,
        max_file_bytes: int | None = None,
        rotate_secs: float | None = None,
        storage_options: dict | None = None,
    ) -> None:
        check_file_limits(max_file_bytes, rotate_secs, "EventWriter")
        self.logdir = os.fspath(logdir)
        self.filename_suffix = filename_suffix
        self.fsync = bool(fsync)
        self.max_file_bytes = max_file_bytes
        self.rotate_secs = rotate_secs
        self._fs = None
        self.objects = 0
        self.bytes_uploaded = 0
        if is_url(self.logdir):
            self._fs, self._folder = url_fs(self.logdir, storage_options)
            # A forked child makes a file system of its own: fsspec's are not fork-safe.
            self._storage_options, self._fs_pid = storage_options, os.getpid()
            _close_before_thread_pools_stop()
            # Until the first object is put, the run folder stands for it.
            self.path, self._fd = self.logdir, None
            self._last_name = latest_event_name(self._fs, self._folder)
        else:
            self.path, self._fd = create_event_file(self.logdir, filename_suffix)
        self._file_bytes = 0
        self._file_opened = _monotonic()
        if self.fsync and self._fs is None:
            _sync_folder(self.logdir)
        self.max_queue = max(1, int(max_queue))
        self._lock = threading.Lock()
        # A remote object gets its file-version event when it is put.
        self._chunks: list[bytes] = [] if self._fs else [encode_event(file_version_event(time.time()))]
        self._chunks.extend(encode_event(event) for event in first_events)
        # Pending scalars, one list per column: cheaper to fill and to turn into arrays.
        self._tags: list[str] = []
        self._steps: list[int] = []
        self._walls: list[float] = []
        self._values: list[float] = []
        self._queued = 0
        self._last_step: dict[str, int] = {}
        self._closed = False
        self._error: BaseException | None = None
        # Set in a forked child until the writer is used there: see _leave_parents_file.
        self._forked = False
        self._own_flusher = flusher is None and flush_secs > 0
        self._flusher = Flusher(flush_secs) if self._own_flusher else flusher
        with _open_lock:
            _open_writers.add(self)
        self.flush()
        if self._flusher is not None:
            self._flusher.add(self)

    # -- steps ---------------------------------------------------------------

    def claim_steps(self, tag: str, count: int = 1, first: int | None = None) -> int:
        """Record ``count`` steps of ``tag`` from ``first`` (default: after its last); return the first.

        >>> import tempfile; w = EventWriter(tempfile.mkdtemp(), flush_secs=0)
        >>> w.claim_steps("a", 3), w.claim_steps("a"), w.claim_steps("a", first=10), w.claim_steps("a")
        (0, 3, 10, 11)
        >>> w.close()
        """
        with self._lock:
            if first is None:
                first = self._last_step.get(tag, -1) + 1
            self._last_step[tag] = first + count - 1
            return first

    # -- writing -------------------------------------------------------------

    def add_scalar(self, tag: str, value: float, step: int | None, wall_time: float) -> None:
        """Queue one scalar event; ``step=None`` takes the tag's next step.

        Arguments are trusted: the API layer has converted and checked them.
        """
        with self._lock:
            if self._closed or self._error is not None or self._forked:
                self._check_usable()
            if step is None:
                step = self._last_step.get(tag, -1) + 1
            self._last_step[tag] = step
            self._tags.append(tag)
            self._steps.append(step)
            self._walls.append(wall_time)
            self._values.append(value)
            self._queued += 1
            if self._queued >= self.max_queue:
                self._write_pending()

    def add_scalar_series(
        self, tag: str, steps: np.ndarray, wall_times: np.ndarray, values: np.ndarray
    ) -> None:
        """Queue a whole series of one tag (int64 steps, float64 wall times and values)."""
        with self._lock:
            if self._closed or self._error is not None or self._forked:
                self._check_usable()
            self._encode_scalars()
            self._chunks.append(encode_scalar_records([tag], steps, wall_times, values))
            if len(steps):
                self._last_step[tag] = int(steps[-1])
            self._queued += len(steps)
            if self._queued >= self.max_queue:
                self._write_pending()

    def add_event(self, event: Event) -> None:
        """Queue any Event message as it is.

        >>> import tempfile; from neuroboard.format import Event
        >>> with EventWriter(tempfile.mkdtemp()) as w:
        ...     w.add_event(Event(step=1, wall_time=2.0))
        """
        record = encode_event(event)
        with self._lock:
            if self._closed or self._error is not None or self._forked:
                self._check_usable()
            self._encode_scalars()
            self._chunks.append(record)
            self._queued += 1
            if self._queued >= self.max_queue:
                self._write_pending()

    def flush(self) -> None:
        """Hand every queued event to the operating system, and with ``fsync`` to the disk.

        Raises the error of a failed background flush, if there was one.
        """
        with self._lock:
            if self._error is not None:
                self._raise_pending()
            if not self._closed:
                self._write_pending()

    def close(self) -> None:
        """Flush and close the file; later calls do nothing.

        Raises the error of a failed flush; the file is closed all the same.
        """
        with self._lock:
            if self._closed:
                return
            self._closed = True
            with _open_lock:
                _open_writers.discard(self)
            if self._flusher is not None:
                self._flusher.discard(self)
            try:
                if self._error is not None:
                    self._raise_pending()
                self._write_pending()
            except BaseException:
                self._release_file(quietly=True)
                raise
            else:
                self._release_file()
            finally:
                self._forget_queue()
        if self._own_flusher:
            self._flusher.stop()

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` has been called."""
        return self._closed

    def __enter__(self) -> EventWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<EventWriter {self.path!r} {state}>"

    # -- internals -----------------------------------------------------------

    def _check_usable(self) -> None:
        if self._closed or self._error is not None:
            self._raise_pending()
        # First use in a forked child: its flushes need a thread of its own.
        self._forked = False
        if self._flusher is not None:
            with _open_lock:
                self._flusher.revive()

    def _leave_parents_file(self) -> None:
        """In a forked child: drop the parent's queue, error and file without writing them."""
        self._lock = threading.Lock()
        self._forget_queue()
        self._error = None
        self._release_file(quietly=True)
        self._forked = True
        if self._flusher is not None:
            self._flusher._after_fork()

    def _release_file(self, quietly: bool = False) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            if quietly:
                _close_quietly(fd)
            else:
                os.close(fd)

    def _rotation_due(self) -> bool:
        if self.max_file_bytes is not None and self._file_bytes >= self.max_file_bytes:
            return True
        return self.rotate_secs is not None and _monotonic() - self._file_opened >= self.rotate_secs

    def _next_file(self) -> None:
        """Move to a new file of the run, which starts with a file-version event."""
        self._release_file()
        self.path, self._fd = create_event_file(self.logdir, self.filename_suffix)
        self._file_bytes = 0
        self._file_opened = _monotonic()
        self._chunks.insert(0, encode_event(file_version_event(time.time())))
        if self.fsync:
            _sync_folder(self.logdir)

    def _raise_pending(self) -> None:
        error = self._error
        if error is not None:
            self._error = None
            raise error
        raise WriterClosedError(f"the writer of {self.path} is closed: open a new writer to log more")

    def _encode_scalars(self) -> None:
        if not self._tags:
            return
        tags, steps, walls, values = self._tags, self._steps, self._walls, self._values
        self._tags, self._steps, self._walls, self._values = [], [], [], []
        self._chunks.append(
            encode_scalar_records(
                tags,
                np.array(steps, np.int64),
                np.array(walls, np.float64),
                np.array(values, np.float64),
            )
        )

    def _write_pending(self) -> None:
        self._encode_scalars()
        self._queued = 0
        if not self._chunks:
            return
        if self._fs is not None:
            self._put_object()
            return
        if self._fd is None or self._rotation_due():
            self._next_file()
        data = memoryview(b"".join(self._chunks))
        self._chunks = []
        try:
            while data:
                written = _write(self._fd, data)
                self._file_bytes += written
                data = data[written:]
        except BaseException:
            # Keep what did not reach the file, so that a retry writes it in order.
            self._chunks = [bytes(data)]
            raise
        if self.fsync:
            _fsync(self._fd)

    def _put_object(self) -> None:
        """Put the queued events into a new object of the run, after a file-version event."""
        body = b"".join(self._chunks)
        self._chunks = []
        if self._fs_pid != os.getpid():
            self._fs, self._folder = url_fs(self.logdir, self._storage_options)
            self._fs_pid = os.getpid()
        name = next_event_name(self._last_name, self.filename_suffix)
        data = encode_event(file_version_event(time.time())) + body
        path = f"{self._folder}/{name}"
        try:
            self._fs.pipe_file(path, data)
        except BaseException:
            # Kept for a retry, which puts them under a new name.
            self._chunks = [body]
            raise
        self._last_name = name
        self.path = self._fs.unstrip_protocol(path)
        self.objects += 1
        self.bytes_uploaded += len(data)

    def _forget_queue(self) -> None:
        self._chunks = []
        self._tags, self._steps, self._walls, self._values = [], [], [], []
        self._queued = 0

    def _background_flush(self) -> None:
        with self._lock:
            if self._closed or self._error is not None:
                return
            try:
                self._write_pending()
            except Exception as error:  # noqa: BLE001 - surfaced by the writer's next call
                self._error = error
