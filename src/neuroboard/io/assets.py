"""Plain files beside a run's event files (the projector's TSV, PNG and config), on disk or behind a URL.

:func:`logdir_files` asks the logdir's storage (:mod:`neuroboard.io.storage`)
for the object that reads and writes whole files there, local or behind an fsspec URL, by
names relative to the logdir (``"00002/default/tensors.tsv"``, always with
``/``). A local file is written to a temporary name in its folder and then
renamed over the old one, so a reader (a TensorBoard server) sees the old
file or the new one, never half of one; an object store puts each object
whole anyway.
"""

from __future__ import annotations

import os
import posixpath
import stat
import uuid
from typing import Any

from neuroboard.io.storage import open_storage

__all__ = ["LocalFiles", "RemoteFiles", "logdir_files"]


class LocalFiles:
    """Whole files below a local ``root`` folder.

    >>> import tempfile; files = LocalFiles(tempfile.mkdtemp())
    >>> files.write("a/b.txt", b"hi"); files.read("a/b.txt"), files.kind("a"), files.kind("c")
    (b'hi', 'dir', None)
    """

    def __init__(self, root: str) -> None:
        self.root = root

    def path(self, name: str) -> str:
        """Return the local path of ``name``."""
        return os.path.join(self.root, *name.split("/"))

    def kind(self, name: str) -> str | None:
        """Return ``"dir"``, ``"file"`` or None (nothing there) for ``name``."""
        try:
            mode = os.stat(self.path(name)).st_mode
        except (FileNotFoundError, NotADirectoryError):
            return None
        return "dir" if stat.S_ISDIR(mode) else "file"

    def read(self, name: str) -> bytes | None:
        """Return the bytes of ``name``, or None if there is no such file."""
        try:
            with open(self.path(name), "rb") as file:
                return file.read()
        except (FileNotFoundError, NotADirectoryError):
            return None

    def write(self, name: str, data: bytes) -> None:
        """Replace ``name`` with ``data`` in one step, making its folders first."""
        path = self.path(name)
        folder = os.path.dirname(path)
        os.makedirs(folder, exist_ok=True)
        temporary = os.path.join(folder, f".{os.path.basename(path)}.{uuid.uuid4().hex}.tmp")
        # Created as open() creates files (0666 less the umask), not mkstemp's 0600: a TensorBoard
        # server running as another user must read the projector's files as it reads the events.
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(data)
            os.replace(temporary, path)
        except BaseException:
            try:
                os.unlink(temporary)
            except OSError:
                pass
            raise


class RemoteFiles:
    """Whole objects below an fsspec ``url``, opened with ``storage_options``.

    >>> files = RemoteFiles("memory://doc-assets")
    >>> files.write("a/b.txt", b"hi"); files.read("a/b.txt"), files.kind("a/b.txt")
    (b'hi', 'file')
    """

    def __init__(self, url: str, storage_options: dict[str, Any] | None = None) -> None:
        # Imported here: fsspec is loaded only once a URL is met.
        from neuroboard.io.remote import url_fs

        self.url = url
        self.fs, self.root = url_fs(url, storage_options)

    def path(self, name: str) -> str:
        """Return the path of ``name`` inside the file system."""
        return posixpath.join(self.root, name)

    def kind(self, name: str) -> str | None:
        """Return ``"dir"``, ``"file"`` or None (nothing there) for ``name``."""
        path = self.path(name)
        # Another process may have written since the listing was cached.
        self.fs.invalidate_cache(posixpath.dirname(path))
        try:
            info = self.fs.info(path)
        except FileNotFoundError:
            return None
        return "dir" if info.get("type") == "directory" else "file"

    def read(self, name: str) -> bytes | None:
        """Return the bytes of ``name``, or None if there is no such object."""
        try:
            return self.fs.cat_file(self.path(name))
        except FileNotFoundError:
            return None

    def write(self, name: str, data: bytes) -> None:
        """Put ``data`` as the object ``name``."""
        self.fs.pipe_file(self.path(name), data)


def logdir_files(logdir: str, storage_options: dict[str, Any] | None = None) -> LocalFiles | RemoteFiles:
    """Return the files of ``logdir``: :class:`RemoteFiles` for an fsspec URL, else :class:`LocalFiles`.

    >>> type(logdir_files("memory://exp")).__name__, type(logdir_files("runs/exp")).__name__
    ('RemoteFiles', 'LocalFiles')
    """
    return open_storage(logdir, storage_options).files()
