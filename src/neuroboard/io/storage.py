"""Where a logdir's files are: a local folder, or objects behind an fsspec URL, decided once.

:func:`open_storage` looks at a logdir where it enters (a writer, a reader,
a listing) and returns the one object the rest of the code asks from then
on: a :class:`LocalStorage` for a local path (a ``file://`` URL is its
path), a :class:`~neuroboard.io.remote.RemoteStorage` for an fsspec URL.
Both answer the few questions of :class:`Storage`: the runs and their event
files (with the sizes a listing gives), a file opened for ranged reads, a
file's size, how a path is shown to the user. Writing differs by kind, and
``appends`` tells which a storage is: an :class:`AppendingStorage` (a local
folder) creates a new file exclusively and appends to it, a
:class:`PuttingStorage` (an object store) has a new object put whole per
flush.

Local paths never import fsspec: :class:`LocalStorage` calls ``os``
directly, as the readers' and the writer's hot paths need. The local
listing (links, loops, what is not a regular file) lives here too.
"""

from __future__ import annotations

import os
import re
import stat
import warnings
from typing import TYPE_CHECKING, Any, BinaryIO, Literal, Protocol, runtime_checkable

from neuroboard.io.files import create_event_file, is_event_file

if TYPE_CHECKING:
    from neuroboard.io.assets import LocalFiles, RemoteFiles

__all__ = [
    "AppendingStorage",
    "LocalStorage",
    "NotRegularFile",
    "PuttingStorage",
    "SkippedPathWarning",
    "Storage",
    "absolute",
    "folder_prefix",
    "is_url",
    "local_path",
    "open_storage",
    "storage_of",
    "walk_runs",
    "warn_skipped",
]

#: Each run and its event files in name order, with their sizes (None: opening the file tells).
Listing = dict[str, list[tuple[str, int | None]]]

# fsspec's own rule for a URL's protocol (fsspec.utils.get_protocol), kept here so that
# telling a local path from a URL needs no fsspec.
_PROTOCOL = re.compile(r"(::|://)")


def is_url(path: str | os.PathLike) -> bool:
    """Return whether ``path`` names a remote location: a URL whose protocol is not ``file``.

    >>> is_url("s3://bucket/exp"), is_url("runs/exp"), is_url("file:///tmp/exp")
    (True, False, False)
    """
    if not isinstance(path, str):
        return False
    parts = _PROTOCOL.split(path, maxsplit=1)
    return len(parts) > 1 and parts[0] != "file"


def local_path(path: str) -> str:
    """Return the local path ``path`` names: the path of a ``file://`` URL, any other path as it is.

    >>> local_path("file:///tmp/exp"), local_path("runs/exp"), local_path("s3://b/exp")
    ('/tmp/exp', 'runs/exp', 's3://b/exp')
    """
    return path.removeprefix("file://")


def absolute(path: str) -> str:
    """Return ``path`` made absolute against the working directory; a URL is absolute already.

    >>> absolute("s3://b/exp"), absolute("/tmp/exp"), absolute("file:///tmp/exp")
    ('s3://b/exp', '/tmp/exp', '/tmp/exp')
    """
    return path if is_url(path) else os.path.abspath(local_path(path))


def folder_prefix(path: str) -> str:
    """Return what the paths inside the folder ``path`` start with: ``/`` after a URL, ``os.sep`` else.

    >>> folder_prefix("s3://b/exp/")
    's3://b/exp/'
    """
    return path.rstrip("/" + os.sep) + ("/" if is_url(path) else os.sep)


@runtime_checkable
class Storage(Protocol):
    """What the readers ask of a logdir's storage, local or behind a URL; writing is by kind (``appends``).

    ``root`` is the logdir as the storage names it (a local path, or the
    path inside an fsspec file system ``fs``, which is None for local files).
    A storage is also an :class:`AppendingStorage` (``appends`` True) or a
    :class:`PuttingStorage` (``appends`` False), which add how it is written.

    >>> import tempfile
    >>> storage = open_storage(tempfile.mkdtemp()); isinstance(storage, Storage), storage.found()
    (True, True)
    """

    root: str
    fs: Any
    #: Whether a file can grow (an :class:`AppendingStorage`), or each flush puts a new object.
    appends: bool
    #: Whether listing again is cheap, so that a caller may list run by run.
    lists_cheaply: bool
    #: What a logdir that :meth:`found` refuses is told with.
    missing: str

    def found(self) -> bool:
        """Return whether there is something to read at ``root``."""

    def runs(self, warned: set[str] | None = None, *, keep: bool = False, file_run: bool = True) -> Listing:
        """Return each run below ``root`` and its event files with their sizes, in name order."""

    def name(self, path: str) -> str:
        """Return ``path`` as the user names it (a URL for an object)."""

    def size(self, path: str) -> int:
        """Return the size of the file ``path`` in bytes."""

    def open(self, path: str, size: int | None = None) -> tuple[BinaryIO, int]:
        """Return ``path`` open for reading at any offset, and its size."""

    def stamps(self, listing: Listing) -> list[tuple[str, int, int]]:
        """Return ``(name, size, modification time)`` of each file listed: a changed file, a new stamp."""

    def files(self) -> LocalFiles | RemoteFiles:
        """Return the plain files (not event files) below ``root``, read and written whole."""


@runtime_checkable
class AppendingStorage(Storage, Protocol):
    """A storage whose files grow (a local folder): a writer creates a new event file and appends to it.

    >>> import tempfile
    >>> storage = open_storage(tempfile.mkdtemp()); isinstance(storage, AppendingStorage), storage.appends
    (True, True)
    """

    appends: Literal[True]

    def create(self, suffix: str = "") -> tuple[str, int]:
        """Create a new event file in ``root`` exclusively; return its path and an open descriptor."""


@runtime_checkable
class PuttingStorage(Storage, Protocol):
    """A storage of objects put whole (an object store): a writer puts a new object per flush.

    >>> storage = open_storage("memory://doc-putting"); isinstance(storage, PuttingStorage), storage.appends
    (True, False)
    >>> isinstance(open_storage("runs/exp"), PuttingStorage)
    False
    """

    appends: Literal[False]

    def latest_name(self) -> str | None:
        """Return the name of the last event object directly in ``root``, or None."""

    def put(self, name: str, data: bytes) -> str:
        """Put ``data`` whole as the object ``name`` in ``root``; return its URL."""


def open_storage(
    logdir: str | os.PathLike, storage_options: dict[str, Any] | None = None
) -> AppendingStorage | PuttingStorage:
    """Return the storage of ``logdir``: remote for an fsspec URL (opened with ``storage_options``), else local.

    A ``file://`` URL is local, its path the folder (see :func:`local_path`).

    >>> type(open_storage("memory://exp")).__name__, open_storage("file:///tmp/exp")
    ('RemoteStorage', LocalStorage('/tmp/exp'))
    """
    logdir = os.fspath(logdir)
    if is_url(logdir):
        # Imported here: fsspec is loaded only once a URL is met.
        from neuroboard.io.remote import RemoteStorage

        return RemoteStorage(logdir, storage_options)
    return LocalStorage(local_path(logdir))


def storage_of(fs: Any) -> Storage:
    """Return the storage that reads paths through the fsspec file system ``fs``; local files for None.

    >>> type(storage_of(None)).__name__
    'LocalStorage'
    """
    if fs is None:
        return LocalStorage("")
    from neuroboard.io.remote import RemoteStorage

    return RemoteStorage.over(fs)


class NotRegularFile(OSError):
    """A local path that is not a regular file (a FIFO, a socket, a device): nothing is read from it.

    Raised by :meth:`LocalStorage.open`; ``mode`` is the path's ``st_mode``.

    >>> error = NotRegularFile(stat.S_IFIFO); str(error), stat.S_ISFIFO(error.mode)
    ('a FIFO, not a regular file', True)
    """

    def __init__(self, mode: int) -> None:
        super().__init__(f"{file_kind(mode)}, not a regular file")
        self.mode = mode


class LocalStorage:
    """A local folder (or one event file) at ``root``, read and written with ``os``: an :class:`AppendingStorage`.

    >>> import tempfile; from neuroboard.io import EventWriter
    >>> d = tempfile.mkdtemp(); EventWriter(os.path.join(d, "train")).close()
    >>> storage = open_storage(d); list(storage.runs()), storage.appends
    (['train'], True)
    """

    fs = None
    appends = True
    lists_cheaply = True
    missing = "no such file or directory"

    def __init__(self, root: str) -> None:
        self.root = root

    def __repr__(self) -> str:
        return f"LocalStorage({self.root!r})"

    def found(self) -> bool:
        """Return whether ``root`` exists."""
        return os.path.exists(self.root)

    def runs(self, warned: set[str] | None = None, *, keep: bool = False, file_run: bool = True) -> Listing:
        """Return each run below ``root`` and its event files, sizes None (see :func:`walk_runs`).

        A ``root`` that is a regular file is the run ``"."`` with ``file_run``,
        else no run. ``keep`` changes nothing: a local listing is cheap.
        """
        warned = set() if warned is None else warned
        if file_run:
            try:
                mode = os.stat(self.root).st_mode
            except OSError:
                return {}
            if stat.S_ISREG(mode):
                return {".": [(self.root, None)]}
        return {run: [(path, None) for path in paths] for run, paths in walk_runs(self.root, warned).items()}

    def name(self, path: str) -> str:
        """Return ``path`` as it is."""
        return path

    def size(self, path: str) -> int:
        """Return the size of ``path`` in bytes."""
        return os.path.getsize(path)

    def open(self, path: str, size: int | None = None) -> tuple[BinaryIO, int]:
        """Return ``path`` open for reading and its size (``size`` is not needed: the file tells).

        What is not a regular file raises :class:`NotRegularFile` and is
        never read: it is checked before it is opened (a socket cannot be
        opened at all) and again on the open descriptor, as the path can change.
        """
        mode = os.stat(path).st_mode
        if not stat.S_ISREG(mode):
            raise NotRegularFile(mode)
        # Opened without waiting: a FIFO opened for reading waits for a writer, for ever if none comes.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            os.close(fd)
            raise NotRegularFile(info.st_mode)
        return os.fdopen(fd, "rb"), info.st_size

    def stamps(self, listing: Listing) -> list[tuple[str, int, int]]:
        """Return each listed file's path, size and modification time in nanoseconds."""
        out = []
        for files in listing.values():
            for path, _size in files:
                info = os.stat(path)
                out.append((path, info.st_size, info.st_mtime_ns))
        return out

    def create(self, suffix: str = "") -> tuple[str, int]:
        """Create a new event file in ``root`` exclusively; return its path and an open descriptor."""
        return create_event_file(self.root, suffix)

    def files(self) -> LocalFiles:
        """Return the plain files below ``root``."""
        # Imported here: assets opens its logdir through this module.
        from neuroboard.io.assets import LocalFiles

        return LocalFiles(self.root)


class SkippedPathWarning(UserWarning):
    """A file or folder of a logdir that is passed over: not a regular file, not listable, a loop.

    ``path`` names it; the message, one line, says why.
    """

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")


def warn_skipped(warned: set[str], path: str, reason: str) -> None:
    """Warn that ``path`` is passed over with a :class:`SkippedPathWarning`, once per ``warned`` set.

    A follower keeps its set and asks again at every read: it is told once.

    >>> warned = set()
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     for _ in range(2): warn_skipped(warned, "runs/fifo", "a FIFO, not a regular file; not read")
    >>> [str(warning.message) for warning in caught], warned
    (['runs/fifo: a FIFO, not a regular file; not read'], {'runs/fifo'})
    """
    if path in warned:
        return
    warned.add(path)
    warnings.warn(SkippedPathWarning(path, reason), stacklevel=4)


_KINDS = (
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISDIR, "a folder"),
)


def file_kind(mode: int) -> str:
    """Return what a file of ``mode`` is, in words (``"a FIFO"``).

    >>> file_kind(stat.S_IFIFO)
    'a FIFO'
    """
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def walk_runs(logdir: str, warned: set[str]) -> dict[str, list[str]]:
    """Return the runs of the local folder ``logdir``, each with its event files, warning once per ``warned``.

    A run is a folder holding event files, named by its path relative to
    ``logdir`` with ``/`` separators (``"."`` for ``logdir`` itself).
    Links to folders are followed, as TensorBoard does, and runs are named by
    the path through the link; a link back to a folder that holds it is not
    (TensorBoard would loop). Nothing that is not a regular file is opened: a
    FIFO, socket or device with an event file's name, a link that leads
    nowhere, a folder that cannot be listed and such a loop are each passed
    over with a :class:`SkippedPathWarning` naming them, once per path in
    ``warned`` (a follower keeps its set, so it is not told at every read).

    >>> import tempfile; from neuroboard.io import EventWriter
    >>> d = tempfile.mkdtemp(); EventWriter(os.path.join(d, "a")).close()
    >>> os.symlink(os.path.join(d, "a"), os.path.join(d, "b")); list(walk_runs(d, set()))
    ['a', 'b']
    """
    runs: dict[str, list[str]] = {}
    try:
        top = os.stat(logdir)
    except OSError:
        return runs
    if not stat.S_ISDIR(top.st_mode):
        if not stat.S_ISREG(top.st_mode):
            warn_skipped(
                warned, logdir, f"{file_kind(top.st_mode)}, not a folder or a regular file; not read"
            )
        return runs
    pending = [(logdir, ".", ((top.st_dev, top.st_ino),))]
    while pending:
        folder, run, ancestors = pending.pop()
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except OSError as error:
            reason = error.strerror or str(error)
            warn_skipped(warned, folder, f"cannot be listed ({reason}); the runs in it are not read")
            continue
        names = []
        for entry in entries:
            try:
                info = entry.stat() if entry.is_dir() else None
            except OSError:
                info = None
            if info is not None:
                key = (info.st_dev, info.st_ino)
                if key in ancestors:
                    warn_skipped(warned, entry.path, "a link back to a folder that holds it; not followed")
                    continue
                name = entry.name if run == "." else f"{run}/{entry.name}"
                pending.append((entry.path, name, (*ancestors, key)))
            elif is_event_file(entry.name):
                kind = _not_regular(entry)
                if kind:
                    warn_skipped(warned, entry.path, f"{kind}, not a regular file; not read")
                else:
                    names.append(entry.path)
        if names:
            runs[run] = names
    return dict(sorted(runs.items()))


def _not_regular(entry: os.DirEntry) -> str:
    """Return what ``entry`` is if not a regular file (or a link to one), else ``""``; never opened."""
    try:
        if entry.is_file():
            return ""
        return file_kind(entry.stat().st_mode)
    except OSError:
        return "a link that leads nowhere"
