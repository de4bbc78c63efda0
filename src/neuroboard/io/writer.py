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
from collections.abc import Iterable

import numpy as np

from neuroboard.format.codec import (
    SCALARS_METADATA,
    Event,
    encode_event,
    encode_scalar_records,
    file_version_event,
)
from neuroboard.format.records import FOOTER_SIZE, HEADER_SIZE
from neuroboard.io.files import next_event_name
from neuroboard.io.storage import AppendingStorage, PuttingStorage, local_path, open_storage
from neuroboard.summary.convert import INT64_MAX, as_path, as_text

__all__ = [
    "FLUSH_SECS_FLOOR",
    "SERIES_BLOCK",
    "EventWriter",
    "Flusher",
    "StepCounts",
    "WriterClosedError",
    "check_file_limits",
    "check_filename_suffix",
    "check_writer_options",
    "flush_each",
]

logger = logging.getLogger(__name__)

DEFAULT_FLUSH_SECS = 2.0
DEFAULT_MAX_QUEUE = 10_000
#: The points of a scalar series encoded at a time (about 30 MB of work space).
SERIES_BLOCK = 1 << 18
#: The shortest background flush interval: below it an idle writer's thread only spins.
FLUSH_SECS_FLOOR = 0.01

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
        # Twice: the first close() may only raise an error kept from a background flush.
        for attempt in (1, 2):
            try:
                writer.close()
                break
            except Exception as error:  # noqa: BLE001 - exit goes on, but says what was lost
                if attempt == 2:
                    logger.error("lost at exit, could not finish %s: %s", writer.path, error)


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


def check_writer_options(flush_secs: float, max_queue: int, filename_suffix: str, func: str) -> None:
    """Raise a TypeError or ValueError naming ``func`` and the option unless all three are usable.

    ``flush_secs`` is 0 (no background flush) or finite seconds from
    :data:`FLUSH_SECS_FLOOR` to ``threading.TIMEOUT_MAX``; ``max_queue`` an int
    >= 1; ``filename_suffix`` a str that can end a file name (no path separator, no NUL).

    >>> check_writer_options(2.0, 10_000, ".v2", "SummaryWriter")
    """
    if isinstance(flush_secs, (bool, np.bool_)) or not isinstance(flush_secs, (int, float, np.number)):
        raise TypeError(
            f"{func}(flush_secs=...): expected seconds (a number), got {type(flush_secs).__name__}"
        )
    # Written so that NaN fails too.
    if not (flush_secs == 0 or FLUSH_SECS_FLOOR <= flush_secs <= threading.TIMEOUT_MAX):
        raise ValueError(
            f"{func}(flush_secs=...): expected 0 (no background flush) or seconds from {FLUSH_SECS_FLOOR} "
            f"to {threading.TIMEOUT_MAX:g}, got {flush_secs!r}"
        )
    if isinstance(max_queue, (bool, np.bool_)) or not isinstance(max_queue, (int, np.integer)):
        raise TypeError(f"{func}(max_queue=...): expected an int >= 1, got {type(max_queue).__name__}")
    if max_queue < 1:
        raise ValueError(f"{func}(max_queue=...): expected an int >= 1, got {max_queue!r}")
    check_filename_suffix(filename_suffix, func)


def check_filename_suffix(filename_suffix: str, func: str) -> None:
    """Raise a TypeError or ValueError naming ``func`` unless ``filename_suffix`` can end a file name.

    It becomes part of each event file's name, so it holds no path separator and no NUL.

    >>> check_filename_suffix(".v2", "SummaryWriter")
    """
    as_text(filename_suffix, func, "filename_suffix")
    if any(sep in filename_suffix for sep in {"/", "\0", os.sep, os.altsep or "/"}):
        raise ValueError(
            f"{func}(filename_suffix=...): expected the end of a file name (no path separator, no NUL), "
            f"got {filename_suffix!r}"
        )


def _past_int64(func: str, tag: str, first: int, count: int, last: int | None) -> ValueError:
    return ValueError(
        f"{func}(step=None): expected steps within int64 (at most {INT64_MAX}), got {count} step(s) of tag "
        f"{tag!r} from {first}, as its last step is {last}: pass the steps explicitly or log under "
        f"another tag"
    )


def _record_ends(data: bytes | memoryview) -> list[int]:
    """Return the end offset of each record in ``data``, which starts at a record boundary."""
    ends = []
    start = 0
    while start + HEADER_SIZE <= len(data):
        start += HEADER_SIZE + int.from_bytes(data[start : start + 8], "little") + FOOTER_SIZE
        ends.append(start)
    if start < len(data):
        ends.append(len(data))
    return ends


def flush_each(writers: Iterable[EventWriter], *, close: bool = False) -> list[Exception]:
    """Flush (with ``close``, close) every writer, also those after one that fails; return the errors.

    >>> import tempfile
    >>> flush_each([EventWriter(tempfile.mkdtemp()) for _ in range(2)], close=True)
    []
    """
    errors = []
    for writer in writers:
        try:
            if close:
                writer.close()
            else:
                writer.flush()
        except Exception as error:  # noqa: BLE001 - every writer is tried; the caller raises
            errors.append(error)
    return errors


def _sync_folder(path: str) -> None:
    # A new file's name is durable only once its folder is synced; Windows has no such call.
    if os.name != "posix":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        _fsync(fd)
    finally:
        os.close(fd)


class StepCounts:
    """The last step of each tag a run's writer has written or claimed, and the claiming of new ones.

    A base of :class:`EventWriter` (and of any writer that stands in for one):
    the subclass sets ``_lock`` (a lock) and ``_last_step`` (a dict) in its
    ``__init__``, and its hot paths may read and update ``_last_step`` under
    that lock themselves.
    """

    _lock: threading.Lock
    _last_step: dict[str, int]

    def claim_steps(
        self, tag: str, count: int = 1, first: int | None = None, func: str = "claim_steps"
    ) -> int:
        """Record ``count`` steps of ``tag`` from ``first`` (default: after its last); return the first.

        Steps that would pass int64 raise a ValueError naming ``func``, the caller.

        >>> import tempfile; w = EventWriter(tempfile.mkdtemp(), flush_secs=0)
        >>> w.claim_steps("a", 3), w.claim_steps("a"), w.claim_steps("a", first=10), w.claim_steps("a")
        (0, 3, 10, 11)
        >>> w.close()
        """
        with self._lock:
            if first is None:
                first = self._last_step.get(tag, -1) + 1
            if first + count - 1 > INT64_MAX:
                raise _past_int64(func, tag, first, count, self._last_step.get(tag))
            self._last_step[tag] = first + count - 1
            return first

    def last_steps(self) -> dict[str, int]:
        """Return the last step of every tag written or claimed so far (a copy).

        A writer that continues the run in a new file starts its counters from these.

        >>> import tempfile; w = EventWriter(tempfile.mkdtemp(), flush_secs=0)
        >>> w.claim_steps("a", 3); w.last_steps()
        0
        {'a': 2}
        >>> w.close()
        """
        with self._lock:
            return dict(self._last_step)


class EventWriter(StepCounts):
    """Write events into one new event file in ``logdir``.

    ``flush_secs`` sets the background flush interval (``0`` turns it off);
    ``max_queue`` is how many events may wait in memory before the adding
    call flushes them itself. ``flusher`` shares one background thread among
    several writers. Steps left out advance a counter per tag. ``fsync``
    makes every flush wait until the disk holds the bytes. Once the file
    holds ``max_file_bytes`` bytes or is ``rotate_secs`` seconds old, the next
    flush starts a new file in the same run. A forked child that uses the
    writer writes into a new file of its own. With ``scalar_metadata`` every
    scalar of :meth:`add_scalar` and :meth:`add_scalar_series` carries the
    ``scalars`` plugin's metadata (its name only), as R's tfevents writes and
    needs to read them; the functional API's writers turn it on, and torch's
    form, which other writers keep, has none.

    A ``logdir`` that is an fsspec URL, opened with ``storage_options``,
    gets one new object per flush that has data (see the module's notes);
    ``fsync``, ``max_file_bytes`` and ``rotate_secs`` do not apply there.
    ``objects`` and ``bytes_uploaded`` count what it put; ``paths`` lists
    every file (or object) it has written into, oldest first.

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
        scalar_metadata: bool = False,
    ) -> None:
        check_writer_options(flush_secs, max_queue, filename_suffix, "EventWriter")
        check_file_limits(max_file_bytes, rotate_secs, "EventWriter")
        # A file:// URL is its local path, from here on.
        self.logdir = local_path(as_path(logdir, "EventWriter", "logdir"))
        self.filename_suffix = filename_suffix
        self.fsync = bool(fsync)
        self.max_file_bytes = max_file_bytes
        self.rotate_secs = rotate_secs
        self.objects = 0
        self.bytes_uploaded = 0
        # Local or remote is decided here, once: a local folder appends to files, a store puts objects.
        self._storage: AppendingStorage | PuttingStorage = open_storage(self.logdir, storage_options)
        self._puts = not self._storage.appends
        if self._puts:
            _close_before_thread_pools_stop()
            # Until the first object is put, the run folder stands for it.
            self.path, self._fd = self.logdir, None
            self._last_name = self._storage.latest_name()
            self.paths: list[str] = []
        else:
            self.path, self._fd = self._storage.create(filename_suffix)
            self.paths = [self.path]
        self._file_bytes = 0
        self._file_opened = _monotonic()
        if self.fsync and not self._puts:
            _sync_folder(self.logdir)
        self.max_queue = int(max_queue)
        self._lock = threading.Lock()
        # A remote object gets its file-version event when it is put.
        self._chunks: list[bytes] = [] if self._puts else [encode_event(file_version_event(time.time()))]
        self._chunks.extend(encode_event(event) for event in first_events)
        # The rest of a record that a failed write began: it goes into the same file before anything else.
        self._tail = b""
        # Pending scalars, one list per column: cheaper to fill and to turn into arrays.
        self._tags: list[str] = []
        self._steps: list[int] = []
        self._walls: list[float] = []
        self._values: list[float] = []
        self._scalar_metadata = SCALARS_METADATA if scalar_metadata else b""
        self._queued = 0
        self._last_step: dict[str, int] = {}
        self._closed = False
        # Set once close() has written everything and closed the file; until then close() can be retried.
        self._done = False
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
                if step > INT64_MAX:
                    raise _past_int64("add_scalar", tag, step, 1, step - 1)
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
        """Queue a whole series of one tag (int64 steps, float64 wall times and values).

        A long series is encoded and written ``SERIES_BLOCK`` points at a time,
        so that what it costs besides its arrays stays bounded. When a write
        fails, the rest of the series is still queued before the error is
        raised: the call keeps all of it or, with the error, says so.
        """
        with self._lock:
            if self._closed or self._error is not None or self._forked:
                self._check_usable()
            self._encode_scalars()
            count = len(steps)
            if count:
                self._last_step[tag] = int(steps[-1])
            failure = None
            for start in range(0, count, SERIES_BLOCK):
                stop = start + SERIES_BLOCK
                self._chunks.append(
                    encode_scalar_records(
                        [tag],
                        steps[start:stop],
                        wall_times[start:stop],
                        values[start:stop],
                        self._scalar_metadata,
                    )
                )
                self._queued += min(stop, count) - start
                if failure is None and self._queued >= self.max_queue:
                    try:
                        self._write_pending()
                    except Exception as error:  # noqa: BLE001 - raised once the whole series is queued
                        failure = error
            if failure is not None:
                raise failure

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

        Raises the error of a failed background flush, if there was one. A
        failed write keeps every event that did not reach the file, in order,
        and says how many wait; the next flush that succeeds writes them.
        """
        with self._lock:
            if self._error is not None:
                self._raise_pending()
            if not self._done:
                self._write_pending()

    def close(self) -> None:
        """Flush and close the file; once that has succeeded, later calls do nothing.

        A failed write raises its error, which says how many events and bytes
        wait for which file; they stay queued and the file open, so close()
        can be called again (once space is freed, say) and writes them all.
        What is still queued at interpreter exit is tried once more, then logged.
        """
        with self._lock:
            if self._done:
                return
            first = not self._closed
            self._closed = True
            if first and self._flusher is not None:
                self._flusher.discard(self)
        # Outside the lock: the thread may be waiting for it to flush this writer.
        if first and self._own_flusher:
            self._flusher.stop()
        with self._lock:
            if self._done:
                return
            if self._error is not None:
                self._raise_pending()
            self._write_pending()
            self._done = True
            with _open_lock:
                _open_writers.discard(self)
            self._release_file()

    def take_error(self) -> BaseException | None:
        """Return the error of a failed background flush and forget it (None if there was none).

        What that flush could not write stays queued for the next one.

        >>> import tempfile; w = EventWriter(tempfile.mkdtemp()); w.take_error(); w.close()
        """
        with self._lock:
            error, self._error = self._error, None
            return error

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
        self._tail = b""
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
        self.path, self._fd = self._storage.create(self.filename_suffix)
        self.paths.append(self.path)
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
        record = encode_scalar_records(
            self._tags,
            np.array(self._steps, np.int64),
            np.array(self._walls, np.float64),
            np.array(self._values, np.float64),
            self._scalar_metadata,
        )
        # Cleared only once encoded: a failure leaves every scalar queued.
        self._chunks.append(record)
        self._tags, self._steps, self._walls, self._values = [], [], [], []

    def _write_pending(self) -> None:
        try:
            self._encode_scalars()
            self._queued = 0
            if self._puts:
                if self._chunks:
                    self._put_object()
                return
            if self._tail:
                self._write_tail()
            if not self._chunks:
                return
            if self._fd is None or self._rotation_due():
                self._next_file()
            self._write_chunks()
            if self.fsync:
                _fsync(self._fd)
        except Exception as error:
            explained = self._explained(error)
            if explained is error:
                raise
            raise explained from error

    def _write_out(self, data: memoryview) -> tuple[int, BaseException | None]:
        """Write ``data`` to the file; return how many bytes got there, and the error that stopped it."""
        done = 0
        try:
            while done < len(data):
                written = _write(self._fd, data[done:])
                self._file_bytes += written
                done += written
        except BaseException as error:  # noqa: BLE001 - the caller keeps what did not get there, then raises
            return done, error
        return done, None

    def _write_tail(self) -> None:
        view = memoryview(self._tail)
        done, error = self._write_out(view)
        self._tail = bytes(view[done:])
        if error is not None:
            raise error

    def _write_chunks(self) -> None:
        data = memoryview(b"".join(self._chunks))
        done, error = self._write_out(data)
        if error is not None:
            # A record the failure cut in two must be finished in this file, before any rotation;
            # the records after it stay queued.
            ends = _record_ends(data)
            start = max((end for end in ends if end <= done), default=0)
            end = start if start == done else next(end for end in ends if end > done)
            self._tail = bytes(data[done:end])
            self._chunks = [bytes(data[end:])] if end < len(data) else []
            raise error
        self._chunks = []

    def _waiting(self) -> str:
        """Say how many events and bytes wait, and where they go."""
        events = sum(len(_record_ends(chunk)) for chunk in self._chunks) + bool(self._tail)
        size = len(self._tail) + sum(len(chunk) for chunk in self._chunks)
        unencoded = f", and {len(self._tags)} scalars not yet encoded" if self._tags else ""
        if self._puts:
            where = f"a new object in {self.logdir}"
        elif self._fd is None:
            where = f"a new file in {self.logdir}"
        else:
            where = self.path
        events += len(self._tags)
        return (
            f"{events} event{'' if events == 1 else 's'} ({size} bytes{unencoded}) wait for {where}; "
            f"the next flush() or close() that succeeds writes them, in order"
        )

    def _explained(self, error: Exception) -> Exception:
        """Return ``error`` with what waits in the queue: an OSError of the same errno, else with a note."""
        waiting = self._waiting()
        if isinstance(error, OSError) and error.errno is not None:
            try:
                explained = type(error)(error.errno, f"{error.strerror}: {waiting}")
            except TypeError:
                explained = OSError(error.errno, f"{error.strerror}: {waiting}")
            return explained
        if hasattr(error, "add_note"):
            error.add_note(waiting)
        else:  # Python 3.10 has no notes: the message carries it
            error.args = (f"{error.args[0] if error.args else error}; {waiting}", *error.args[1:])
        return error

    def _put_object(self) -> None:
        """Put the queued events into a new object of the run, after a file-version event."""
        body = b"".join(self._chunks)
        self._chunks = []
        name = next_event_name(self._last_name, self.filename_suffix)
        data = encode_event(file_version_event(time.time())) + body
        try:
            url = self._storage.put(name, data)
        except BaseException:
            # Kept for a retry, which puts them under a new name.
            self._chunks = [body]
            raise
        self._last_name = name
        self.path = url
        self.paths.append(self.path)
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
