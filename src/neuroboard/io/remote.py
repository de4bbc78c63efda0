"""Logdirs behind fsspec URLs (``s3://``, ``gs://``, ``memory://``…): listing, ranged reads, object names.

:class:`RemoteStorage` is the fsspec side of :mod:`neuroboard.io.storage`,
made by :func:`~neuroboard.io.storage.open_storage` for a URL; local paths
never come here (nor import fsspec). A URL whose protocol is not ``file`` is
listed once per read (one recursive ``find`` with sizes) and each object is
read by byte ranges, a chunk per request. Object stores have no append, so
a remote writer puts one new object per flush, named to sort after the
objects already written.
"""

from __future__ import annotations

import os
import posixpath
from typing import Any

import fsspec

from neuroboard.io.assets import RemoteFiles
from neuroboard.io.files import is_event_file
from neuroboard.io.storage import Listing, is_url

__all__ = ["RangeFile", "RemoteStorage", "is_url", "latest_event_name", "list_runs", "url_fs"]


def url_fs(url: str, storage_options: dict[str, Any] | None = None) -> tuple[fsspec.AbstractFileSystem, str]:
    """Return the fsspec file system of ``url`` and the path inside it, without a trailing ``/``.

    >>> fs, path = url_fs("memory://exp/"); path
    '/exp'
    """
    if storage_options is not None and not isinstance(storage_options, dict):
        raise TypeError(f"storage_options=...: expected a dict or None, got {type(storage_options).__name__}")
    fs, path = fsspec.core.url_to_fs(url, **(storage_options or {}))
    return fs, path.rstrip("/") or path


def list_runs(fs: fsspec.AbstractFileSystem, root: str) -> dict[str, list[tuple[str, int]]]:
    """Return each run below ``root`` with its event objects and their sizes, in name order.

    One listing: the sizes it gives are the read bounds, so no object is
    asked for its size again. ``root`` that is itself an event object is the
    run ``"."``.

    >>> fs, root = url_fs("memory://doc-list-runs")
    >>> fs.pipe_file(root + "/train/events.out.tfevents.1.h.1.0", b"")
    >>> list_runs(fs, root)
    {'train': [('/doc-list-runs/train/events.out.tfevents.1.h.1.0', 0)]}
    """
    # A listing cache would hide the objects that writers added since the last read.
    fs.invalidate_cache(root)
    try:
        found = fs.find(root, detail=True)
    except FileNotFoundError:
        return {}
    runs: dict[str, list[tuple[str, int]]] = {}
    inside = root + "/"
    for path, info in found.items():
        path = path.rstrip("/")
        if info.get("type", "file") != "file" or not is_event_file(posixpath.basename(path)):
            continue
        if path == root:
            return {".": [(path, int(info["size"]))]}
        if not path.startswith(inside):
            continue
        folder = posixpath.dirname(path)
        run = "." if folder == root else folder[len(inside) :]
        runs.setdefault(run, []).append((path, int(info["size"])))
    for files in runs.values():
        files.sort(key=lambda item: posixpath.basename(item[0]))
    return dict(sorted(runs.items()))


def latest_event_name(fs: fsspec.AbstractFileSystem, folder: str) -> str | None:
    """Return the name of the last event object directly in ``folder`` in name order, or None.

    >>> fs, root = url_fs("memory://doc-latest"); latest_event_name(fs, root) is None
    True
    """
    fs.invalidate_cache(folder)
    try:
        paths = fs.ls(folder, detail=False)
    except FileNotFoundError:
        return None
    names = [posixpath.basename(path.rstrip("/")) for path in paths]
    return max((name for name in names if is_event_file(name)), default=None)


class RangeFile:
    """A read-only file over one object of known ``size``: each ``read`` is one ranged request.

    >>> fs, root = url_fs("memory://doc-range"); fs.pipe_file(root + "/a", b"abcdef")
    >>> f = RangeFile(fs, root + "/a", 6); f.seek(2); f.read(3)
    b'cde'
    """

    def __init__(self, fs: fsspec.AbstractFileSystem, path: str, size: int) -> None:
        self.fs = fs
        self.path = path
        self.size = size
        self._pos = 0

    def seek(self, pos: int) -> None:
        """Move to byte ``pos``."""
        self._pos = pos

    def read(self, n: int) -> bytes:
        """Return up to ``n`` bytes from the current position, and move past them."""
        stop = min(self.size, self._pos + n)
        if stop <= self._pos:
            return b""
        data = self.fs.cat_file(self.path, start=self._pos, end=stop)
        self._pos += len(data)
        return data

    def close(self) -> None:
        """Do nothing: no connection is held between reads."""


class RemoteStorage:
    """A logdir behind the fsspec URL ``url``, opened with ``storage_options``, where objects are put whole.

    A :class:`~neuroboard.io.storage.PuttingStorage`.
    ``root`` is the logdir's path inside the file system ``fs``. A listing
    asked for with ``keep`` is given once more to the next call, so that a
    check that something is there costs no second listing.

    >>> storage = RemoteStorage("memory://doc-storage"); storage.found(), storage.missing
    (False, 'no event files there')
    >>> storage.put("events.out.tfevents.1.h.1.0", b"")
    'memory:///doc-storage/events.out.tfevents.1.h.1.0'
    >>> storage.runs(), storage.latest_name()
    ({'.': [('/doc-storage/events.out.tfevents.1.h.1.0', 0)]}, 'events.out.tfevents.1.h.1.0')
    """

    appends = False
    lists_cheaply = False
    missing = "no event files there"

    def __init__(self, url: str, storage_options: dict[str, Any] | None = None) -> None:
        self.url = url
        self.storage_options = storage_options
        self.fs, self.root = url_fs(url, storage_options)
        # A forked child makes a file system of its own to put objects: fsspec's are not fork-safe.
        self._pid = os.getpid()
        self._kept: Listing | None = None

    @classmethod
    def over(cls, fs: fsspec.AbstractFileSystem) -> RemoteStorage:
        """Return a storage that reads the objects of ``fs`` by their paths in it (no root of its own)."""
        storage = cls.__new__(cls)
        storage.url, storage.storage_options, storage.fs, storage.root = "", None, fs, ""
        storage._pid, storage._kept = os.getpid(), None
        return storage

    def __repr__(self) -> str:
        return f"RemoteStorage({self.url!r})"

    def found(self) -> bool:
        """Return whether ``root`` holds event objects; the listing is kept for the next :meth:`runs`."""
        return bool(self.runs(keep=True))

    def runs(self, warned: set[str] | None = None, *, keep: bool = False, file_run: bool = True) -> Listing:
        """Return each run and its event objects with their sizes (see :func:`list_runs`).

        ``root`` that is one object is the run ``"."`` (``file_run`` is not
        asked); ``warned`` is not used. With ``keep``, the next call returns
        the same listing instead of asking the store again.
        """
        listing = self._kept or list_runs(self.fs, self.root)
        self._kept = listing if keep else None
        return listing

    def name(self, path: str) -> str:
        """Return the URL of the object ``path``."""
        return self.fs.unstrip_protocol(path)

    def size(self, path: str) -> int:
        """Return the size of the object ``path`` (one request)."""
        return int(self.fs.size(path))

    def open(self, path: str, size: int | None = None) -> tuple[RangeFile, int]:
        """Return the object ``path`` of ``size`` bytes (asked for when None) for ranged reads, and its size."""
        if size is None:
            size = self.size(path)
        return RangeFile(self.fs, path, size), size

    def stamps(self, listing: Listing) -> list[tuple[str, int, int]]:
        """Return each listed object's URL and size, and 0 for its time: objects are put whole, never grown."""
        return [(self.name(path), size, 0) for files in listing.values() for path, size in files]

    def latest_name(self) -> str | None:
        """Return the name of the last event object directly in ``root``, or None."""
        return latest_event_name(self.fs, self.root)

    def put(self, name: str, data: bytes) -> str:
        """Put ``data`` as the object ``name`` in ``root``, whole; return its URL."""
        if self._pid != os.getpid():
            self.fs, self.root = url_fs(self.url, self.storage_options)
            self._pid = os.getpid()
        path = f"{self.root}/{name}"
        self.fs.pipe_file(path, data)
        return self.fs.unstrip_protocol(path)

    def files(self) -> RemoteFiles:
        """Return the plain objects below ``root``, read and written whole."""
        return RemoteFiles(self.url, self.storage_options)
