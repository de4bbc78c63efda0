"""Read event files and logdirs: records, Events, and the runs of a logdir.

A truncated last record is the normal state of a file that is still being
written: reading stops before it, and :attr:`FileRecordReader.offset` tells
where to pick up once it is complete. A checksum that does not match raises
:class:`~neuroboard.format.records.CorruptRecordError` with the file and the
byte offset of the record.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator

from neuroboard.format.codec import Event
from neuroboard.format.records import (
    FOOTER_SIZE,
    HEADER_SIZE,
    CorruptRecordError,
    RecordReader,
)
from neuroboard.io.files import is_event_file

__all__ = ["FileRecordReader", "iter_events", "read_events", "read_records", "run_files"]

_CHUNK = 1 << 24
_LENGTH = struct.Struct("<Q")


class FileRecordReader:
    """Iterate the record payloads of one event file, from ``offset`` on, in bounded memory.

    After iteration ``offset`` is just past the last complete record and
    ``truncated`` tells whether an incomplete record followed it.

    >>> import tempfile; from neuroboard.io import EventWriter
    >>> w = EventWriter(tempfile.mkdtemp()); w.close()
    >>> reader = FileRecordReader(w.path)
    >>> len(list(reader)), reader.truncated
    (1, False)
    """

    def __init__(
        self, path: str, offset: int = 0, *, verify: bool = True, chunk_size: int = _CHUNK
    ) -> None:
        self.path = os.fspath(path)
        self.offset = offset
        self.verify = verify
        self.truncated = False
        self._chunk_size = chunk_size

    def __iter__(self) -> Iterator[bytes]:
        self.truncated = False
        with open(self.path, "rb") as file:
            size = os.fstat(file.fileno()).st_size
            want = self._chunk_size
            while self.offset < size:
                start = self.offset
                file.seek(start)
                data = file.read(min(want, size - start))
                records = RecordReader(data, path=self.path, verify=self.verify)
                try:
                    for payload in records:
                        self.offset = start + records.offset
                        yield payload
                except CorruptRecordError as error:
                    raise CorruptRecordError(self.path, start + error.offset, error.part) from None
                if not records.truncated:
                    want = self._chunk_size
                    continue
                if start + len(data) >= size:
                    self.truncated = True
                    return
                if records.offset == 0:
                    # One record larger than the chunk: read exactly that record next.
                    if len(data) < HEADER_SIZE:
                        want = HEADER_SIZE
                        continue
                    (length,) = _LENGTH.unpack_from(data, 0)
                    want = HEADER_SIZE + length + FOOTER_SIZE
                    if start + want > size:
                        self.truncated = True
                        return
                else:
                    want = self._chunk_size


def read_records(path: str, *, verify: bool = True) -> Iterator[bytes]:
    """Yield the payload of every complete record in the event file at ``path``.

    >>> import tempfile; from neuroboard.io import EventWriter
    >>> w = EventWriter(tempfile.mkdtemp()); w.close()
    >>> len(list(read_records(w.path)))
    1
    """
    return iter(FileRecordReader(path, verify=verify))


def read_events(path: str, *, verify: bool = True) -> Iterator[Event]:
    """Yield every Event of the event file at ``path``, parsed by protobuf.

    >>> import tempfile; from neuroboard.io import EventWriter
    >>> w = EventWriter(tempfile.mkdtemp()); w.close()
    >>> next(read_events(w.path)).file_version
    'brain.Event:2'
    """
    parse = Event.FromString
    for payload in FileRecordReader(path, verify=verify):
        yield parse(payload)


def run_files(logdir: str) -> dict[str, list[str]]:
    """Return each run of ``logdir`` with its event files in the order TensorBoard reads them.

    A run is a folder holding event files, named by its path relative to
    ``logdir`` with ``/`` separators (``"."`` for ``logdir`` itself).

    >>> import tempfile; from neuroboard.io import EventWriter
    >>> d = tempfile.mkdtemp(); EventWriter(os.path.join(d, "train")).close()
    >>> list(run_files(d))
    ['train']
    """
    logdir = os.fspath(logdir)
    runs: dict[str, list[str]] = {}
    for folder, dirs, files in os.walk(logdir):
        dirs.sort()
        names = sorted(name for name in files if is_event_file(name))
        if names:
            run = os.path.relpath(folder, logdir).replace(os.sep, "/")
            runs[run] = [os.path.join(folder, name) for name in names]
    return dict(sorted(runs.items()))


def iter_events(logdir: str, *, verify: bool = True) -> Iterator[tuple[str, Event]]:
    """Yield ``(run, event)`` for every event of every run in ``logdir``, run by run.

    >>> import tempfile; from neuroboard.io import EventWriter
    >>> d = tempfile.mkdtemp(); EventWriter(d).close()
    >>> [(run, e.file_version) for run, e in iter_events(d)]
    [('.', 'brain.Event:2')]
    """
    for run, paths in run_files(logdir).items():
        for path in paths:
            for event in read_events(path, verify=verify):
                yield run, event
