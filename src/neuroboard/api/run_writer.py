"""The life cycle of a SummaryWriter's run folder and sub-runs: options, files, reopening, closing.

:class:`RunWriter` is the base of :class:`~neuroboard.api.summary_writer.SummaryWriter`:
it owns one :class:`~neuroboard.io.writer.EventWriter` per run (``""`` is the
writer's own run, other names its sub-runs), the background flusher they
share, the hparams sessions to end on close, and the defaults of
:meth:`RunWriter.use_metadata`. As in both peers, a writer used after
``close()`` opens new files and goes on; each run's step counters carry on
across the new file, so TensorBoard does not take the new points for a restart.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from neuroboard.api.file_writer import DiscardingWriter, FileWriter
from neuroboard.api.peer_aliases import check_comet_config
from neuroboard.format.codec import Event, SessionLog, Summary
from neuroboard.io.storage import local_path
from neuroboard.io.writer import (
    DEFAULT_FLUSH_SECS,
    DEFAULT_MAX_QUEUE,
    EventWriter,
    Flusher,
    WriterClosedError,
    check_file_limits,
    check_writer_options,
    flush_each,
)
from neuroboard.summary.convert import as_path, as_step, as_walltime
from neuroboard.summary.hparams import session_end
from neuroboard.summary.tensor import as_proto

__all__ = ["RunWriter", "default_logdir", "run_name"]

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def run_name(comment: str = "") -> str:
    """Return ``<MonDD_HH-MM-SS>_<hostname><comment>`` for the current time, as the peers name runs.

    >>> run_name("_lr0.1").endswith("_lr0.1")
    True
    """
    now = datetime.now()
    return f"{_MONTHS[now.month - 1]}{now:%d_%H-%M-%S}_{socket.gethostname()}{comment}"


def default_logdir(comment: str = "", root: str = "runs") -> str:
    """Return ``runs/<MonDD_HH-MM-SS>_<hostname><comment>`` for the current time.

    >>> default_logdir("_lr0.1").startswith("runs" + os.sep)
    True
    """
    return os.path.join(root, run_name(comment))


# Every writer, so that a forked child gets locks that no thread of the parent held.
_instances: weakref.WeakSet[RunWriter] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    for writer in list(_instances):
        writer._lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def _merged(blocks: list[tuple[int | None, float | None]]) -> tuple[int | None, float | None] | None:
    """Return the defaults of the open ``use_metadata`` blocks, oldest first: a later one wins where it names one."""
    if not blocks:
        return None
    step = wall = None
    for block_step, block_wall in blocks:
        step = step if block_step is None else block_step
        wall = wall if block_wall is None else block_wall
    return step, wall


class RunWriter:
    """The run folder ``logdir`` and its sub-runs, each with an event file that is opened when needed.

    See :class:`~neuroboard.api.summary_writer.SummaryWriter` for the
    arguments. ``file_writer`` and ``all_writers`` are the peers'
    ``FileWriter`` objects of the open runs, None once closed.

    >>> import tempfile
    >>> w = RunWriter(tempfile.mkdtemp()); w.close(); w.file_writer is None
    True
    """

    def __init__(
        self,
        logdir: str | os.PathLike[str] | None = None,
        comment: str = "",
        purge_step: int | None = None,
        max_queue: int = DEFAULT_MAX_QUEUE,
        flush_secs: float = DEFAULT_FLUSH_SECS,
        filename_suffix: str = "",
        write_to_disk: bool = True,
        log_dir: str | os.PathLike[str] | None = None,
        comet_config: dict | None = None,
        *,
        fsync: bool = False,
        max_file_bytes: int | None = None,
        rotate_secs: float | None = None,
        storage_options: dict | None = None,
        **kwargs: Any,
    ) -> None:
        func = "SummaryWriter"
        if kwargs:
            # tensorboardX hands its **kwargs to its FileWriter, which takes none either.
            raise TypeError(f"{func}() got an unexpected keyword argument {next(iter(kwargs))!r}")
        # Both peers take an empty logdir, like None, as "make the default one".
        if logdir is None or logdir == "":
            logdir = log_dir
        if logdir is None or logdir == "":
            logdir = default_logdir(comment)
        # A file:// URL is its local path, from here on.
        self.logdir = local_path(as_path(logdir, func, "logdir"))
        if purge_step is not None:
            purge_step = as_step(purge_step, func, "purge_step")
        check_writer_options(flush_secs, max_queue, filename_suffix, func)
        check_file_limits(max_file_bytes, rotate_secs, func)
        if not isinstance(write_to_disk, bool):
            raise TypeError(
                f"{func}(write_to_disk=...): expected True or False, got {type(write_to_disk).__name__}"
            )
        check_comet_config(comet_config, func)
        self.write_to_disk = write_to_disk
        self.fsync = bool(fsync)
        self.max_file_bytes = max_file_bytes
        self.rotate_secs = rotate_secs
        self.storage_options = storage_options
        self.purge_step = purge_step
        self.max_queue = max_queue
        self.flush_secs = flush_secs
        self.filename_suffix = filename_suffix
        self._lock = threading.Lock()
        _instances.add(self)
        self._flusher = self._new_flusher()
        # Every run by name, "" for this one; a closed writer stays until its run is used again.
        self._runs: dict[str, Any] = {}
        # Writers replaced by a new file of their run: a close that failed is retried with the others.
        self._retired: list[Any] = []
        # The files of writers let go once closed, by run: export_scalars_to_json reads them all.
        self._written: dict[str, list[str]] = {}
        # add_scalars' and add_series' sub-runs by (main tag, key), and their writers.
        self._keyed_runs: dict[str, tuple[str, str]] = {}
        self._key_writers: dict[str, dict[str, Any]] = {}
        # Runs holding hparams: those whose session close() ends, and every one so far.
        self._sessions: list[str] = []
        self._hparam_runs: set[str] = set()
        self._layout: dict[str, dict[str, list]] = {}
        self._facades: dict[str, FileWriter] = {}
        # use_metadata's (global_step, walltime), None outside it, built from the open blocks (any thread's).
        self._defaults: tuple[int | None, float | None] | None = None
        self._blocks: list[tuple[int | None, float | None]] = []
        self._closed = False
        self._main = self._runs[""] = self._open("", None)

    # -- the runs' files ----------------------------------------------------------

    @property
    def log_dir(self) -> str:
        """The run's folder (torch's name for :attr:`logdir`)."""
        return self.logdir

    def get_logdir(self) -> str:
        """Return the run's folder.

        >>> import tempfile; d = tempfile.mkdtemp()
        >>> with RunWriter(d) as w: w.get_logdir() == d
        True
        """
        return self.logdir

    def _new_flusher(self) -> Flusher | None:
        return Flusher(self.flush_secs) if self.flush_secs > 0 and self.write_to_disk else None

    def _run_folder(self, run: str) -> str:
        return os.path.join(self.logdir, run) if run else self.logdir

    def _open(self, run: str, previous: Any) -> Any:
        """Return a new writer of ``run``, whose step counters go on from ``previous``'s."""
        folder = self._run_folder(run)
        if not self.write_to_disk:
            writer = DiscardingWriter(folder)
        else:
            first: tuple[Event, ...] = ()
            # The purge marker belongs in a run's first file of this writer only: in a later one
            # it would drop the points this writer logged before.
            if self.purge_step is not None and previous is None:
                start = SessionLog(status=SessionLog.START)
                first = (Event(step=self.purge_step, wall_time=time.time(), session_log=start),)
            writer = EventWriter(
                folder,
                filename_suffix=self.filename_suffix,
                flush_secs=0,
                max_queue=self.max_queue,
                flusher=self._flusher,
                first_events=first,
                fsync=self.fsync,
                max_file_bytes=self.max_file_bytes,
                rotate_secs=self.rotate_secs,
                storage_options=self.storage_options,
            )
        if previous is not None:
            for tag, step in previous.last_steps().items():
                writer.claim_steps(tag, first=step)
        return writer

    def _current(self, run: str) -> Any:
        """Return the writer ``run`` has now, open or closed, opening it if it has none."""
        writer = self._runs.get(run)
        return writer if writer is not None else self._live(run)

    def _live(self, run: str) -> Any:
        """Return an open writer of ``run``: its own, or a new file when it has none or it was closed."""
        writer = self._runs.get(run)
        if writer is not None and not writer.closed:
            return writer
        with self._lock:
            if self._closed:
                self._reopen()
            writer = self._runs.get(run)
            if writer is None or writer.closed:
                if writer is not None:
                    self._retired.append(writer)
                writer = self._runs[run] = self._open(run, writer)
                if not run:
                    self._main = writer
            return writer

    def _reopen(self) -> None:
        """After close(): a new flusher and a new file for this run, as the peers' next call does."""
        self._closed = False
        self._flusher = self._new_flusher()
        self._facades = {}
        main = self._runs[""]
        if main.closed:
            self._retired.append(main)
            self._main = self._runs[""] = self._open("", main)

    @property
    def _writer(self) -> Any:
        """This run's EventWriter: open, unless the writer (or its file_writer) was closed since.

        After :meth:`_check_open` it is open.
        """
        return self._main

    def _key_writer(self, main_tag: str, key: str, name: str) -> Any:
        """Return the open writer of the sub-run ``name`` that holds ``main_tag``'s ``key``."""
        writer = self._live(name)
        self._keyed_runs.setdefault(name, (main_tag, key))
        self._key_writers.setdefault(main_tag, {})[key] = writer
        return writer

    def _files(self) -> dict[str, list[str]]:
        """Return every file this writer has written into, by run (``""``: this one), oldest first."""
        with self._lock:
            files = {run: list(paths) for run, paths in self._written.items()}
            for run, paths in self._paths_of(self._retired).items():
                files.setdefault(run, []).extend(paths)
            for run, writer in self._runs.items():
                files.setdefault(run, []).extend(writer.paths)
        return files

    def _paths_of(self, writers: list[Any]) -> dict[str, list[str]]:
        """Return the files of ``writers`` (each a past writer of one of the runs) by run, in order."""
        folders = {self._run_folder(run): run for run in self._runs}
        paths: dict[str, list[str]] = {}
        for writer in writers:
            paths.setdefault(folders[writer.logdir], []).extend(writer.paths)
        return paths

    def _check_open(self) -> None:
        """Make sure this run's file is open: after close(), open a new one (as the peers do)."""
        if self._closed or self._main.closed:
            self._live("")

    @property
    def file_writer(self) -> FileWriter | None:
        """The peers' ``FileWriter`` of this run; None once the writer is closed (until it is used again)."""
        if self._closed:
            return None
        return self._facade("")

    def _get_file_writer(self) -> FileWriter:
        """Return this run's ``FileWriter``, opening a new file after close(), as torch's method of that name.

        It is private in torch, but the common recipe for writing hparams
        summaries into the run itself calls it, so it is kept.

        >>> import tempfile; from neuroboard import SummaryWriter
        >>> w = SummaryWriter(tempfile.mkdtemp()); w.close()
        >>> w._get_file_writer() is w.file_writer
        True
        """
        self._check_open()
        return self._facade("")

    @property
    def all_writers(self) -> dict[str, FileWriter] | None:
        """Each open run's folder and its ``FileWriter``, this run's first; None once closed."""
        if self._closed:
            return None
        with self._lock:
            runs = [run for run, writer in self._runs.items() if not run or not writer.closed]
        return {self._run_folder(run): self._facade(run) for run in runs}

    def _facade(self, run: str) -> FileWriter:
        facade = self._facades.get(run)
        if facade is None:
            facade = self._facades.setdefault(run, FileWriter(self, run))
        return facade

    # -- steps, wall times and events ---------------------------------------------

    @contextlib.contextmanager
    def use_metadata(self, *, global_step: Any = None, walltime: Any = None) -> Iterator[RunWriter]:
        """Give the calls inside a default ``global_step`` and/or ``walltime``; explicit arguments win.

        As in tensorboardX, the defaults hold for every thread that uses the
        writer. Unlike it, they hold for sub-runs too, and a nested block
        overrides what it names and keeps the outer block's other default.

        >>> import tempfile
        >>> with RunWriter(tempfile.mkdtemp()) as w, w.use_metadata(global_step=10):
        ...     w._when(None, None, "add_scalar")[0]
        10
        """
        func = "use_metadata"
        if global_step is None and walltime is None:
            raise ValueError(f"{func}(): expected global_step=, walltime= or both, got neither")
        step = None if global_step is None else as_step(global_step, func)
        wall = None if walltime is None else as_walltime(walltime, func)
        # Blocks of two threads may end in any order: each takes out its own entry (a new tuple, so
        # found by identity) and the defaults are rebuilt from the blocks still open.
        block = (step, wall)
        with self._lock:
            self._blocks.append(block)
            self._defaults = _merged(self._blocks)
        try:
            yield self
        finally:
            with self._lock:
                self._blocks = [open_block for open_block in self._blocks if open_block is not block]
                self._defaults = _merged(self._blocks)

    def _when(self, global_step: Any, walltime: Any, func: str) -> tuple[int | None, float]:
        """Return the checked step (None: the tag's next) and wall time of a call, defaults filled in."""
        defaults = self._defaults
        if defaults is not None:
            global_step = defaults[0] if global_step is None else global_step
            walltime = defaults[1] if walltime is None else walltime
        if global_step is not None:
            global_step = as_step(global_step, func)
        return global_step, time.time() if walltime is None else as_walltime(walltime, func)

    def _write_summary(
        self, summary: Summary, global_step: Any, walltime: Any, tag: str | None, func: str
    ) -> None:
        """Write ``summary`` into this run; without a step, the next of ``tag`` (default: the first value's)."""
        self._write_summary_to("", summary, global_step, walltime, tag, func)

    def _write_summary_to(
        self, run: str, summary: Any, global_step: Any, walltime: Any, tag: str | None, func: str
    ) -> None:
        summary = as_proto(summary, Summary, func, "summary")
        global_step, wall = self._when(global_step, walltime, func)
        key = tag if tag is not None else (summary.value[0].tag if summary.value else "")
        writer = self._live(run)
        step = writer.claim_steps(key, first=global_step, func=func)
        self._write_to(
            run, writer, lambda live: live.add_event(Event(wall_time=wall, step=step, summary=summary))
        )

    def _add_event_to(self, run: str, event: Any, step: Any, walltime: Any, func: str) -> None:
        copy = Event()
        copy.CopyFrom(as_proto(event, Event, func, "event"))
        given_step, copy.wall_time = self._when(step, walltime, func)
        if given_step is not None:
            copy.step = given_step
        self._write_to(run, self._live(run), lambda live: live.add_event(copy))

    def _write_to(self, run: str, writer: Any, write: Callable[[Any], None]) -> Any:
        """Call ``write(writer)``, ``writer`` being ``run``'s; return the writer that took the write.

        Another thread's close() may close ``writer`` between the moment it is
        taken and the write: then the write goes, once, into the run's new
        file, whose step counters are brought up to the closed one's (steps
        claimed on it after the new file was opened included), and nothing is lost.
        """
        try:
            write(writer)
            return writer
        except WriterClosedError:
            return self._write_again(run, writer, write)

    def _write_again(self, run: str, closed: Any, write: Callable[[Any], None]) -> Any:
        """Call ``write`` on ``run``'s new file, once ``closed`` (its old writer) refused it; return the new writer."""
        live = self._live(run)
        known = live.last_steps()
        for tag, last in closed.last_steps().items():
            if known.get(tag, -1) < last:
                live.claim_steps(tag, first=last)
        write(live)
        return live

    # -- life cycle -----------------------------------------------------------------

    def flush(self) -> None:
        """Hand everything logged so far to the operating system.

        >>> import tempfile
        >>> w = RunWriter(tempfile.mkdtemp()); w.flush(); w.close()
        """
        errors = flush_each(self._writers())
        if errors:
            raise errors[0]

    def close(self) -> None:
        """Flush and close every file of this writer; a later call does nothing, a later write opens new files.

        If a file cannot be written (a full disk), the error says what waits
        for it; what waits stays queued, and calling close() again (once space
        is freed) writes it and closes the files that are left.

        >>> import tempfile
        >>> w = RunWriter(tempfile.mkdtemp()); w.close(); w.close()
        """
        self._close("success")

    def _close(self, status: str) -> None:
        with self._lock:
            first = not self._closed
            sessions, self._sessions = (self._sessions, []) if first else ([], self._sessions)
        errors = []
        for run in sessions:
            # A background flush's error is reported, but does not keep the session's end out.
            kept = self._runs[run].take_error()
            if kept is not None:
                errors.append(kept)
            try:
                # A run whose file_writer was closed gets its end in a new file.
                self._live(run).add_event(Event(wall_time=time.time(), summary=session_end(status)))
            except Exception as error:  # noqa: BLE001 - close every file first, raise after
                errors.append(error)
        with self._lock:
            self._closed = True
            flusher = self._flusher if first else None
        # A writer closed earlier returns at once; one whose close failed tries again.
        failed = flush_each(self._writers(), close=True)
        if not failed:
            with self._lock:
                # The handles go, their files are remembered.
                for run, paths in self._paths_of(self._retired).items():
                    self._written.setdefault(run, []).extend(paths)
                self._retired = []
        if flusher is not None:
            flusher.stop()
        errors += failed
        if errors:
            raise errors[0]

    def _writers(self) -> list[Any]:
        with self._lock:
            return [*self._retired, *self._runs.values()]

    def __enter__(self) -> RunWriter:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *exc_info: object) -> None:
        # A run left by an exception is marked failed in the HPARAMS tab.
        self._close("success" if exc_type is None else "failure")

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.logdir!r}{' closed' if self._closed else ''}>"
