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
import dataclasses
import os
import struct
import warnings
from collections.abc import Iterator
from typing import Any, NamedTuple

import numpy as np
from google.protobuf.message import DecodeError

from neuroboard.format.codec import Event
from neuroboard.format.records import (
    FOOTER_SIZE,
    HEADER_SIZE,
    CorruptRecordError,
    CorruptRecordWarning,
    masked_crc32c,
    masked_crc32c_of,
)
from neuroboard.format.scalars import ScalarRows, decode_chunk
from neuroboard.format.scan import Block, blocks_before, find_record, record_positions, scan_records
from neuroboard.io.storage import (
    NotRegularFile,
    SkippedPathWarning,
    Storage,
    file_kind,
    open_storage,
    storage_of,
    warn_skipped,
)

__all__ = [
    "ON_CORRUPT",
    "Chunk",
    "FileRecordReader",
    "SkippedPathWarning",
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
    size, for readers that work on whole arrays. ``storage`` (see
    :mod:`neuroboard.io.storage`) opens ``path``: with a remote one, or an
    fsspec file system ``fs``, ``path`` is an object of ``size`` bytes in it
    (None: asked for at the read), read by byte ranges; without either, a local file.
    With ``end``, reading stops before the first record that starts at or
    after that byte, and reports no damage found beyond it: byte ranges that
    each begin at :func:`next_record_start` and end where the next one
    begins read every record of the file, and report its damage, once.
    A local path that is not a regular file (a FIFO, a socket, a device) is
    never opened: it is passed over with a :class:`SkippedPathWarning`.

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
        size: int | None = 0,
        end: int | None = None,
        storage: Storage | None = None,
    ) -> None:
        self.path = os.fspath(path)
        self.end = end
        self.storage = storage_of(fs) if storage is None else storage
        self.fs = self.storage.fs
        self.size = size
        self.offset = offset
        self.verify = verify
        self.on_corrupt = check_on_corrupt(on_corrupt, "FileRecordReader")
        self.final = final
        self.truncated = False
        # After damage, the next record is searched for rather than trusted at ``offset``.
        self.damaged = False
        self.chunk_size = max(1, chunk_size)
        # Searches and checksums of records larger than a chunk read this much at a time.
        self._window = max(self.chunk_size, 1 << 14)
        # While chunks() runs: the open file, its size, the chunk handed out, and whether
        # the caller moved ``offset`` back into it (see payload_damaged).
        self._file: Any = None
        self._size = 0
        self._chunk: Chunk | None = None
        self._rewound = False
        self._warned: set[str] = set()

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
                    if self.payload_damaged(base + start):
                        continue
                    break
                yield payload

    def scalar_entries(self) -> Iterator[ScalarRows]:
        """Yield the summary values of each chunk that hold a number or name a plugin (see decode_chunk).

        Damage is reported in file order, and a record whose payload checksum
        fails costs that record alone, as in :meth:`__iter__`.
        """
        chunks = self.chunks()
        try:
            for data, base, blocks in chunks:
                damage: list[tuple[int, str]] = []
                entries = decode_chunk(
                    data, base, blocks, verify=self.verify, on_bad=lambda at, part: damage.append((at, part))
                )
                for offset, part in sorted(damage):
                    if part != "payload":
                        self.report(offset, part)
                    elif not self.payload_damaged(offset):
                        entries = _entries_before(entries, offset)
                        break
                yield entries
        finally:
            chunks.close()

    def payload_damaged(self, offset: int) -> bool:
        """Report the record at ``offset`` of the current chunk, whose payload checksum fails; return
        whether the chunk's records after it are still the file's.

        Its length's checksum held, yet the length may lie: the next record is
        the first intact one that starts inside the bytes it claims, after its
        header, or else the one where its claim ends. When there is one
        inside, reading resumes there once the caller lets go of the chunk,
        and the caller drops the chunk's records after ``offset``.
        """
        data, base, _blocks = self._chunk
        (length,) = _LENGTH.unpack_from(data, offset - base)
        inside = self._after_bad_payload(offset, length, data, base)
        if inside is None:
            return True
        self.offset = inside
        self._rewound = True
        return False

    def chunks(self) -> Iterator[Chunk]:
        """Yield the file's complete records from ``offset`` on, a chunk at a time.

        Length checksums are checked here; payload checksums are the
        caller's to check, and a failed one is the caller's to hand to
        :meth:`payload_damaged` (which may move ``offset`` back inside the
        chunk) before it uses the records after it. Otherwise ``offset`` is
        moved past each chunk before the next is read. A record larger than a
        chunk is checked here, a window at a time, before it is read whole;
        a length that runs past the end of the file is never read.
        """
        self.truncated = False
        opened = self._open()
        if opened is None:
            return
        file, size = self._file, self._size = opened
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
                        self._chunk, self._rewound = Chunk(data, start, owned), False
                        yield self._chunk
                        if self._rewound:
                            continue
                    return
                if scan.blocks:
                    self._chunk, self._rewound = Chunk(data, start, scan.blocks), False
                    yield self._chunk
                    if self._rewound:
                        continue
                self.offset = start + scan.offset
                if scan.status == "end":
                    continue
                if scan.status == "corrupt":
                    self._damage(self.offset, "length")
                    continue
                if start + len(data) < size and scan.offset:
                    # The chunk ends inside a record after complete ones: read on from it.
                    continue
                if start + len(data) < size:
                    # The chunk ends inside its first record: read it whole, once it is known to hold.
                    if len(data) < HEADER_SIZE:
                        need = HEADER_SIZE
                        continue
                    (length,) = _LENGTH.unpack_from(data, 0)
                    record = HEADER_SIZE + length + FOOTER_SIZE
                    if start + record <= size:
                        if not self.verify or self._payload_holds(start, length):
                            need = record
                        else:
                            # Checked a window at a time: a lying length costs no more than a window.
                            inside = self._after_bad_payload(start, length)
                            self.offset = start + record if inside is None else inside
                        continue
                    # Its length runs past the end of the file: decided without reading it.
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

    def _after_bad_payload(self, offset: int, length: int, data: bytes = b"", base: int = 0) -> int | None:
        """Report the record at ``offset`` whose payload checksum fails; return the first offset inside
        its claimed bytes, after its header, where reading resumes, or None for the end of its claim."""
        self.report(offset, "payload")
        claimed = offset + HEADER_SIZE + length + FOOTER_SIZE
        return self._first_candidate(offset + HEADER_SIZE, claimed, data, base)

    def _open(self) -> tuple[Any, int] | None:
        """Return the file open for reading and its size, or None for a local non-regular file."""
        try:
            return self.storage.open(self.path, self.size)
        except NotRegularFile as error:
            warn_skipped(self._warned, self.path, f"{file_kind(error.mode)}, not a regular file; not read")
            return None

    def _damage(self, offset: int, part: str, detail: str = "") -> None:
        self.report(offset, part, detail + "; reading resumes at the next intact record")
        self.offset = offset + 1
        self.damaged = True

    def _payload_holds(self, offset: int, length: int) -> bool:
        """Return whether the payload of the record at ``offset`` (of ``length`` bytes, inside the file)
        matches its checksum, read a window at a time."""
        file = self._file

        def pieces() -> Iterator[bytes]:
            file.seek(offset + HEADER_SIZE)
            left = length
            while left:
                piece = file.read(min(self._window, left))
                if not piece:
                    return
                left -= len(piece)
                yield piece

        crc = masked_crc32c_of(pieces())
        file.seek(offset + HEADER_SIZE + length)
        footer = file.read(FOOTER_SIZE)
        return len(footer) == FOOTER_SIZE and crc == _U32.unpack(footer)[0]

    def _checked(self, found: int) -> bool | None:
        """Return whether the record at ``found``, whose length checksum holds, is intact: None when it
        runs past the end of the file (a record still being written, as far as anyone can tell)."""
        self._file.seek(found)
        (length,) = _LENGTH.unpack_from(self._file.read(HEADER_SIZE))
        if found + HEADER_SIZE + length + FOOTER_SIZE > self._size:
            return None
        return self._payload_holds(found, length)

    def _first_candidate(self, start: int, stop: int, data: bytes = b"", base: int = 0) -> int | None:
        """Return the first offset in ``[start, stop)`` where the resynchronisation would stop, or None.

        That is a record whose length and payload checksums hold, or whose
        length holds and runs past the end of the file. Bytes of ``data``
        (read from ``base``) are searched where they reach.
        """
        size = self._size
        pos = start
        while pos < stop and pos <= size - HEADER_SIZE:
            if base <= pos and pos + HEADER_SIZE <= base + len(data):
                buffer, at = data, base
            else:
                self._file.seek(pos)
                buffer, at = self._file.read(min(self._window, size - pos)), pos
            hit = find_record(buffer, pos - at, stop - at)
            if hit is None:
                pos = max(pos + 1, at + len(buffer) - HEADER_SIZE + 1)
                continue
            found = at + hit[0]
            if hit[1] or self._checked(found) is not False:
                return found
            pos = found + 1
        return None

    def _candidates(self, file, size: int) -> Iterator[tuple[int, bool]]:
        """Yield ``(offset, complete)`` of each record from ``offset`` on whose checksums hold.

        ``complete`` is false for one that runs past the end of the file.
        ``offset`` is moved forward as the search goes.
        """
        pos = self.offset
        while pos <= size - HEADER_SIZE:
            file.seek(pos)
            data = file.read(min(self._window, size - pos))
            hit = find_record(data, 0)
            if hit is None:
                pos += len(data) - HEADER_SIZE + 1
                self.offset = pos
                continue
            found, complete = hit
            found += pos
            if not complete:
                intact = self._checked(found)
                if intact is False:
                    pos = found + 1
                    continue
                complete = bool(intact)
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


def _entries_before(entries: ScalarRows, offset: int) -> ScalarRows:
    """Return the entries of the records that start before ``offset``."""
    keep = entries.order < offset
    if keep.all():
        return entries
    arrays = [getattr(entries, f.name) for f in dataclasses.fields(entries)]
    return ScalarRows(*(a[keep] if isinstance(a, np.ndarray) else a for a in arrays))


def _final_reader(path: str, verify: bool, on_corrupt: str, storage_options: dict | None) -> FileRecordReader:
    """Return a one-off reader of the event file (or fsspec URL) ``path``; an object's size is asked at the read."""
    storage = open_storage(path, storage_options)
    return FileRecordReader(
        storage.root, verify=verify, on_corrupt=on_corrupt, final=True, size=None, storage=storage
    )


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


def next_record_start(
    path: str, offset: int, size: int | None = None, *, fs: Any = None, storage: Storage | None = None
) -> int:
    """Return where a read that starts at ``offset`` of ``path`` begins: the next intact record.

    Intact means its length and payload checksums hold, as the reader
    resynchronises after damage; past the last such record, the file's size.
    Byte ranges of one file that each start here agree on their boundaries.
    With an fsspec file system ``fs`` (or a ``storage`` that already holds
    one), ``path`` is an object in it, read by byte ranges (its ``size`` is
    asked for when not given).

    >>> import tempfile, os
    >>> from neuroboard.format.records import frame_record
    >>> path = os.path.join(tempfile.mkdtemp(), "events.out.tfevents.1.h")
    >>> with open(path, "wb") as f: _ = f.write(frame_record(b"ab") + frame_record(b"cd"))
    >>> next_record_start(path, 1), next_record_start(path, 0)
    (18, 0)
    """
    storage = storage_of(fs) if storage is None else storage
    if size is None:
        size = storage.size(path)
    if offset <= 0:
        return 0
    if offset >= size:
        return size
    reader = FileRecordReader(path, offset, on_corrupt="skip", chunk_size=1 << 16, storage=storage)
    file, _size = storage.open(path, size)
    reader._file, reader._size = file, size
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
    whose names do not mark them as event files are not read. Links to
    folders are followed, and what cannot be read is passed over with a
    warning (see :func:`~neuroboard.io.storage.walk_runs`). An fsspec URL is
    listed once, and its files are given as URLs.

    >>> import tempfile; from neuroboard.io import EventWriter
    >>> d = tempfile.mkdtemp(); EventWriter(os.path.join(d, "train")).close()
    >>> list(run_files(d))
    ['train']
    """
    storage = open_storage(logdir, storage_options)
    return {
        run: [storage.name(path) for path, _size in files]
        for run, files in storage.runs(set(), file_run=False).items()
    }


def iter_events(
    logdir: str, *, verify: bool = True, on_corrupt: str = "warn", storage_options: dict | None = None
) -> Iterator[tuple[str, Event]]:
    """Yield ``(run, event)`` for every event of every run in ``logdir``, run by run.

    >>> import tempfile; from neuroboard.io import EventWriter
    >>> d = tempfile.mkdtemp(); EventWriter(d).close()
    >>> [(run, e.file_version) for run, e in iter_events(d)]
    [('.', 'brain.Event:2')]
    """
    storage = open_storage(logdir, storage_options)
    for run, files in storage.runs(set(), file_run=False).items():
        for path, size in files:
            reader = FileRecordReader(
                path, verify=verify, on_corrupt=on_corrupt, final=True, size=size, storage=storage
            )
            for event in _parse_events(reader):
                yield run, event
