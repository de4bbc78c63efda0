"""Read event files and logdirs: records, Events, and the runs of a logdir.

A truncated last record is the normal state of a file that is still being
written: reading stops before it, and :attr:`FileRecordReader.offset` tells
where to pick up once it is complete. Damage is reported and passed over:
a record whose checksum fails is skipped, and after a bad length the reader
resynchronises on the next record whose length and payload checksums both
hold, so every intact record around the damage is still read.
``on_corrupt`` says how damage is reported: ``"warn"`` (a
:class:`~neuroboard.format.records.CorruptRecordWarning`), ``"raise"`` (a
:class:`~neuroboard.format.records.CorruptRecordError`) or ``"skip"``.
Either names the file and the byte offset.
"""

from __future__ import annotations

import contextlib
import os
import struct
import warnings
from collections.abc import Iterator
from typing import Any, NamedTuple

from google.protobuf.message import DecodeError

from neuroboard.format.codec import Event
from neuroboard.format.records import (
    FOOTER_SIZE,
    HEADER_SIZE,
    CorruptRecordError,
    CorruptRecordWarning,
    masked_crc32c,
    payload_intact,
)
from neuroboard.format.scan import Block, blocks_before, find_record, record_positions, scan_records
from neuroboard.io.files import is_event_file
from neuroboard.io.remote import RangeFile, is_url, list_runs, url_fs

__all__ = [
    "ON_CORRUPT",
    "Chunk",
    "FileRecordReader",
    "iter_events",
    "next_record_start",
    "read_events",
    "read_records",
    "run_files",
]

ON_CORRUPT = ("warn", "raise", "skip")
_CHUNK = 1 << 24
_LENGTH = struct.Struct("<Q")
_U32 = struct.Struct("<I")
# Parts that are states of a file rather than damage: never raised.
_STATES = ("truncated", "empty")


class Chunk(NamedTuple):
    """Bytes read from a file at offset ``base``, and the runs of complete records found in them."""

    data: bytes
    base: int
    blocks: list[Block]


def check_on_corrupt(on_corrupt: str, func: str) -> str:
    """Return ``on_corrupt`` if it is one of :data:`ON_CORRUPT`, else raise a ValueError.

    >>> check_on_corrupt("warn", "read_records")
    'warn'
    """
    if on_corrupt not in ON_CORRUPT:
        raise ValueError(
            f"{func}(on_corrupt=...): expected one of {', '.join(map(repr, ON_CORRUPT))}, got {on_corrupt!r}"
        )
    return on_corrupt


class FileRecordReader:
    """Iterate the record payloads of one event file, from ``offset`` on, in bounded memory.

    After iteration ``offset`` is just past the last complete record and
    ``truncated`` tells whether an incomplete record followed it. With
    ``final`` (a one-off read) that incomplete record, or an empty file, is
    reported as well; a reader that will come back (``final=False``) waits
    for it silently. :meth:`chunks` gives the same records as runs of equal
    size, for readers that work on whole arrays. With an fsspec file system
    ``fs``, ``path`` is an object of ``size`` bytes in it, read by byte ranges.
    With ``end``, reading stops before the first record that starts at or
    after that byte, and reports no damage found beyond it: byte ranges that
    each begin at :func:`next_record_start` and end where the next one
    begins read every record of the file, and report its damage, once.

    >>> import tempfile; from neuroboard.io import EventWriter
    >>> w = EventWriter(tempfile.mkdtemp()); w.close()
    >>> reader = FileRecordReader(w.path)
    >>> len(list(reader)), reader.truncated
    (1, False)
    """

    def __init__(
        self,
        path: str,
        offset: int = 0,
        *,
        verify: bool = True,
        on_corrupt: str = "warn",
        final: bool = False,
        chunk_size: int = _CHUNK,
        fs: Any = None,
        size: int = 0,
        end: int | None = None,
    ) -> None:
        self.path = os.fspath(path)
        self.end = end
        self.fs = fs
        self.size = size
        self.offset = offset
        self.verify = verify
        self.on_corrupt = check_on_corrupt(on_corrupt, "FileRecordReader")
        self.final = final
        self.truncated = False
        # After damage, the next record is searched for rather than trusted at ``offset``.
        self.damaged = False
        self.chunk_size = max(1, chunk_size)

    def report(self, offset: int, part: str, detail: str = "") -> None:
        """Report a problem with the record at ``offset`` as ``on_corrupt`` says."""
        if self.on_corrupt == "skip":
            return
        if self.on_corrupt == "raise" and part not in _STATES:
            raise CorruptRecordError(self.path, offset, part, detail)
        warnings.warn(CorruptRecordWarning(self.path, offset, part, detail), stacklevel=3)

    def __iter__(self) -> Iterator[bytes]:
        verify = self.verify
        for data, base, blocks in self.chunks():
            starts, sizes = record_positions(blocks)
            for start, size in zip(starts.tolist(), sizes.tolist()):
                stop = start + size - FOOTER_SIZE
                payload = data[start + HEADER_SIZE : stop]
                self.offset = base + start + size
                # payload_intact() inlined: this loop runs once per record, and the
                # payload is sliced once for both the check and the caller.
                if verify and masked_crc32c(payload) != _U32.unpack_from(data, stop)[0]:
                    self.report(base + start, "payload")
                    continue
                yield payload

    def chunks(self) -> Iterator[Chunk]:
        """Yield the file's complete records from ``offset`` on, a chunk at a time.

        Length checksums are checked here; payload checksums are the
        caller's to check (and to :meth:`report`). ``offset`` is moved past
        each chunk before the next is read.
        """
        self.truncated = False
        file, size = _open(self.path, self.fs, self.size)
        with contextlib.closing(file):
            if size == 0 and self.final:
                self.report(0, "empty")
            end = size if self.end is None else min(self.end, size)
            # What the record at ``offset`` needs when a chunk ended inside it; else a chunk, or up to ``end``.
            need = 0
            while self.offset < end:
                if self.damaged and (not self._resync(file, size) or self.offset >= end):
                    return
                start = self.offset
                want = need or min(self.chunk_size, max(end - start, HEADER_SIZE))
                need = 0
                file.seek(start)
                data = file.read(min(want, size - start))
                scan = scan_records(data, verify=self.verify)
                if end < start + scan.offset:
                    # The chunk reaches past ``end``: keep the records that start before it.
                    owned = blocks_before(scan.blocks, end - start)
                    starts, sizes = record_positions(owned)
                    self.offset = start + int((starts + sizes).max()) if len(starts) else start
                    if owned:
                        yield Chunk(data, start, owned)
                    return
                if scan.blocks:
                    yield Chunk(data, start, scan.blocks)
                self.offset = start + scan.offset
                if scan.status == "end":
                    continue
                if scan.status == "corrupt":
                    self._damage(self.offset, "length")
                    continue
                if start + len(data) < size:
                    # The chunk ends inside a record: read on, the whole record at least.
                    if scan.offset == 0:
                        need = HEADER_SIZE
                        if len(data) >= HEADER_SIZE:
                            need = _LENGTH.unpack_from(data, 0)[0] + HEADER_SIZE + FOOTER_SIZE
                    continue
                # The file ends inside a record: one still being written, or a bad length.
                if self._intact_record_after(file, size):
                    self._damage(
                        self.offset,
                        "length",
                        "; it claims more bytes than the file holds",
                    )
                    continue
                self.truncated = True
                if self.final:
                    self.report(self.offset, "truncated")
                return

    def _damage(self, offset: int, part: str, detail: str = "") -> None:
        self.report(offset, part, detail + "; reading resumes at the next intact record")
        self.offset = offset + 1
        self.damaged = True

    def _candidates(self, file, size: int) -> Iterator[tuple[int, bool]]:
        """Yield ``(offset, complete)`` of each record from ``offset`` on whose checksums hold.

        ``complete`` is false for one that runs past the end of the file.
        ``offset`` is moved forward as the search goes.
        """
        window = max(self.chunk_size, 1 << 16)
        pos = self.offset
        while pos <= size - HEADER_SIZE:
            file.seek(pos)
            data = file.read(min(window, size - pos))
            hit = find_record(data, 0)
            if hit is None:
                pos += len(data) - HEADER_SIZE + 1
                self.offset = pos
                continue
            found, complete = hit
            found += pos
            if not complete and found + HEADER_SIZE <= size:
                (length,) = _LENGTH.unpack_from(data, found - pos)
                stop = found + HEADER_SIZE + length
                if stop + FOOTER_SIZE <= size:
                    file.seek(found)
                    record = file.read(stop + FOOTER_SIZE - found)
                    complete = payload_intact(record, HEADER_SIZE, len(record) - FOOTER_SIZE)
                    if not complete:
                        pos = found + 1
                        continue
            yield found, complete
            pos = found + 1
        self.offset = max(self.offset, pos)

    def _resync(self, file, size: int) -> bool:
        """Move ``offset`` to the next intact record; return whether one was found."""
        for found, _complete in self._candidates(file, size):
            self.offset = found
            self.damaged = False
            return True
        return False

    def _intact_record_after(self, file, size: int) -> bool:
        """Return whether a complete intact record starts after the incomplete one at ``offset``."""
        start = self.offset
        self.offset = start + 1
        try:
            return any(complete for _found, complete in self._candidates(file, size))
        finally:
            self.offset = start


def _open(path: str, fs: Any, size: int) -> tuple[Any, int]:
    """Return ``path`` open for reading and its size: a local file, or an object of ``size`` bytes in ``fs``."""
    if fs is not None:
        return RangeFile(fs, path, size), size
    file = open(path, "rb")  # noqa: SIM115 - the caller closes it
    return file, os.fstat(file.fileno()).st_size


def _final_reader(path: str, verify: bool, on_corrupt: str, storage_options: dict | None) -> FileRecordReader:
    """Return a one-off reader of the event file (or fsspec URL) ``path``."""
    if is_url(path):
        fs, inner = url_fs(path, storage_options)
        return FileRecordReader(
            inner, verify=verify, on_corrupt=on_corrupt, final=True, fs=fs, size=fs.size(inner)
        )
    return FileRecordReader(path, verify=verify, on_corrupt=on_corrupt, final=True)


def read_records(
    path: str, *, verify: bool = True, on_corrupt: str = "warn", storage_options: dict | None = None
) -> Iterator[bytes]:
    """Yield the payload of every complete, intact record in the event file (or fsspec URL) ``path``.

    >>> import tempfile; from neuroboard.io import EventWriter
    >>> w = EventWriter(tempfile.mkdtemp()); w.close()
    >>> len(list(read_records(w.path)))
    1
    """
    return iter(_final_reader(path, verify, on_corrupt, storage_options))


def next_record_start(path: str, offset: int, size: int | None = None, *, fs: Any = None) -> int:
    """Return where a read that starts at ``offset`` of ``path`` begins: the next intact record.

    Intact means its length and payload checksums hold, as the reader
    resynchronises after damage; past the last such record, the file's size.
    Byte ranges of one file that each start here agree on their boundaries.
    With an fsspec file system ``fs``, ``path`` is an object in it, read by
    byte ranges (its ``size`` is asked for when not given).

    >>> import tempfile, os
    >>> from neuroboard.format.records import frame_record
    >>> path = os.path.join(tempfile.mkdtemp(), "events.out.tfevents.1.h")
    >>> with open(path, "wb") as f: _ = f.write(frame_record(b"ab") + frame_record(b"cd"))
    >>> next_record_start(path, 1), next_record_start(path, 0)
    (18, 0)
    """
    if size is None:
        size = os.path.getsize(path) if fs is None else int(fs.size(path))
    if offset <= 0:
        return 0
    if offset >= size:
        return size
    reader = FileRecordReader(path, offset, on_corrupt="skip", chunk_size=1 << 16)
    file, _size = _open(path, fs, size)
    with contextlib.closing(file):
        return reader.offset if reader._resync(file, size) else size


def read_events(
    path: str, *, verify: bool = True, on_corrupt: str = "warn", storage_options: dict | None = None
) -> Iterator[Event]:
    """Yield every Event of the event file (or fsspec URL) ``path``, parsed by protobuf.

    >>> import tempfile; from neuroboard.io import EventWriter
    >>> w = EventWriter(tempfile.mkdtemp()); w.close()
    >>> next(read_events(w.path)).file_version
    'brain.Event:2'
    """
    yield from _parse_events(_final_reader(path, verify, on_corrupt, storage_options))


def _parse_events(reader: FileRecordReader) -> Iterator[Event]:
    parse = Event.FromString
    for payload in reader:
        try:
            event = parse(payload)
        except DecodeError:
            # An intact record whose bytes are not an Event is damage like any other.
            reader.report(reader.offset - len(payload) - HEADER_SIZE - FOOTER_SIZE, "event")
            continue
        yield event


def run_files(logdir: str, *, storage_options: dict | None = None) -> dict[str, list[str]]:
    """Return each run of ``logdir`` with its event files in the order TensorBoard reads them.

    A run is a folder holding event files, named by its path relative to
    ``logdir`` with ``/`` separators (``"."`` for ``logdir`` itself). Files
    whose names do not mark them as event files are not read. An fsspec URL
    is listed once, and its files are given as URLs.

    >>> import tempfile; from neuroboard.io import EventWriter
    >>> d = tempfile.mkdtemp(); EventWriter(os.path.join(d, "train")).close()
    >>> list(run_files(d))
    ['train']
    """
    logdir = os.fspath(logdir)
    if is_url(logdir):
        fs, root = url_fs(logdir, storage_options)
        return {
            run: [fs.unstrip_protocol(path) for path, _size in files]
            for run, files in list_runs(fs, root).items()
        }
    runs: dict[str, list[str]] = {}
    for folder, dirs, files in os.walk(logdir):
        dirs.sort()
        names = sorted(name for name in files if is_event_file(name))
        if names:
            run = os.path.relpath(folder, logdir).replace(os.sep, "/")
            runs[run] = [os.path.join(folder, name) for name in names]
    return dict(sorted(runs.items()))


def iter_events(
    logdir: str, *, verify: bool = True, on_corrupt: str = "warn", storage_options: dict | None = None
) -> Iterator[tuple[str, Event]]:
    """Yield ``(run, event)`` for every event of every run in ``logdir``, run by run.

    >>> import tempfile; from neuroboard.io import EventWriter
    >>> d = tempfile.mkdtemp(); EventWriter(d).close()
    >>> [(run, e.file_version) for run, e in iter_events(d)]
    [('.', 'brain.Event:2')]
    """
    if is_url(logdir):
        fs, root = url_fs(logdir, storage_options)
        for run, files in list_runs(fs, root).items():
            for path, size in files:
                reader = FileRecordReader(
                    path, verify=verify, on_corrupt=on_corrupt, final=True, fs=fs, size=size
                )
                for event in _parse_events(reader):
                    yield run, event
        return
    for run, paths in run_files(logdir).items():
        for path in paths:
            for event in read_events(path, verify=verify, on_corrupt=on_corrupt):
                yield run, event
