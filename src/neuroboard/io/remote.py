"""Logdirs behind fsspec URLs (``s3://``, ``gs://``, ``memory://``…): listing, ranged reads, object names.

Local paths never come here: they keep the ``os`` fast paths of the reader
and the writer. A URL whose protocol is not ``file`` is listed once per read
(one recursive ``find`` with sizes) and each object is read by byte ranges,
a chunk per request. Object stores have no append, so a remote writer puts
one new object per flush, named to sort after the objects already written.
"""

from __future__ import annotations

import os
import posixpath
from typing import Any

import fsspec
from fsspec.utils import get_protocol

from neuroboard.io.files import is_event_file

__all__ = ["RangeFile", "is_url", "latest_event_name", "list_runs", "url_fs"]


def is_url(path: str | os.PathLike) -> bool:
    """Return whether ``path`` names a remote location: a URL whose protocol is not ``file``.

    >>> is_url("s3://bucket/exp"), is_url("runs/exp"), is_url("file:///tmp/exp")
    (True, False, False)
    """
    return isinstance(path, str) and ("://" in path or "::" in path) and get_protocol(path) != "file"


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
