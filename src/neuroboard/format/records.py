"""The tfevents record framing.

A record is ``uint64 length | uint32 masked_crc32c(length) | payload |
uint32 masked_crc32c(payload)``, all little-endian. CRC32C is the Castagnoli
checksum; the mask rotates it right by 15 bits and adds a constant so that a
CRC of data that itself holds CRCs does not degenerate.
"""

from __future__ import annotations

import struct
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import google_crc32c
import numpy as np

__all__ = [
    "FOOTER_SIZE",
    "HEADER_SIZE",
    "TABLE_CRC_MAX",
    "CorruptRecordError",
    "CorruptRecordWarning",
    "RecordReader",
    "describe_problem",
    "frame_payload_rows",
    "frame_record",
    "frame_rows_in_place",
    "mask_crc",
    "masked_crc32c",
    "masked_crc32c_of",
    "payload_intact",
    "row_crcs",
    "walk_records",
]

HEADER_SIZE = 12
FOOTER_SIZE = 4
_MASK_DELTA = 0xA282EAD8
_U64 = struct.Struct("<Q")
_U32 = struct.Struct("<I")
_HEADER = struct.Struct("<QI")
_crc = google_crc32c.value


def mask_crc(crc: int) -> int:
    """Return the masked form of a raw CRC32C value.

    >>> hex(mask_crc(0))
    '0xa282ead8'
    """
    return (((crc >> 15) | (crc << 17)) + _MASK_DELTA) & 0xFFFFFFFF


def masked_crc32c(data: bytes) -> int:
    """Return the masked CRC32C of ``data``, as stored in a tfevents record.

    >>> masked_crc32c(b"")
    2726488792
    """
    crc = _crc(data)
    return (((crc >> 15) | (crc << 17)) + _MASK_DELTA) & 0xFFFFFFFF


def masked_crc32c_of(pieces: Iterable[bytes]) -> int:
    """Return the masked CRC32C of the bytes of ``pieces`` one after another, without joining them.

    >>> masked_crc32c_of([b"ab", b"c"]) == masked_crc32c(b"abc")
    True
    """
    crc = 0
    for piece in pieces:
        crc = google_crc32c.extend(crc, piece)
    return mask_crc(crc)


def frame_record(payload: bytes) -> bytes:
    """Return ``payload`` framed as one tfevents record.

    >>> len(frame_record(b"abc"))
    19
    """
    header = _U64.pack(len(payload))
    return b"".join((header, _U32.pack(masked_crc32c(header)), payload, _U32.pack(masked_crc32c(payload))))


_PROBLEMS = {
    "length": "bad length checksum in the record",
    "payload": "bad payload checksum in the record",
    "event": "a record that is not an Event",
    "truncated": "incomplete record (the file ends inside it)",
    "empty": "empty event file, no record",
}


def describe_problem(path: str, offset: int, part: str, detail: str = "") -> str:
    """Return the one-line message for a damaged ``part`` of the record at ``offset`` of ``path``.

    >>> describe_problem("run/f", 40, "payload")
    'run/f: bad payload checksum in the record at byte 40'
    """
    return f"{path}: {_PROBLEMS.get(part, part)} at byte {offset}{detail}"


def payload_intact(buffer: bytes, start: int, stop: int) -> bool:
    """Return whether the payload ``buffer[start:stop]`` matches the checksum stored right after it.

    >>> record = frame_record(b"abc")
    >>> payload_intact(record, 12, 15), payload_intact(record[:13] + b"x" + record[14:], 12, 15)
    (True, False)
    """
    return masked_crc32c(buffer[start:stop]) == _U32.unpack_from(buffer, stop)[0]


class CorruptRecordError(OSError):
    """A record that cannot be read: a bad checksum, a payload that is not an Event, ...

    ``path`` and ``offset`` locate the record's first byte; ``part`` says
    what is wrong: ``"length"`` or ``"payload"`` (that checksum fails),
    ``"event"`` (the payload does not parse), ``"truncated"`` or ``"empty"``.
    """

    def __init__(self, path: str, offset: int, part: str, detail: str = "") -> None:
        self.path = path
        self.offset = offset
        self.part = part
        super().__init__(describe_problem(path, offset, part, detail))


class CorruptRecordWarning(UserWarning):
    """The warning form of :class:`CorruptRecordError`, for readers that go on past damage."""

    def __init__(self, path: str, offset: int, part: str, detail: str = "") -> None:
        self.path = path
        self.offset = offset
        self.part = part
        super().__init__(describe_problem(path, offset, part, detail))


@dataclass
class RecordReader:
    """Read tfevents records from a bytes-like buffer, resumably.

    ``offset`` is where the next record starts; after iteration it points just
    past the last complete record, so a reader of a growing file can reopen
    it there. ``truncated`` tells whether the buffer ended inside a record,
    the normal state of a file that is still being written.

    >>> buf = frame_record(b"x") + frame_record(b"yz")[:5]
    >>> r = RecordReader(buf, path="f")
    >>> list(r), r.offset, r.truncated
    ([b'x'], 17, True)
    """

    buffer: bytes
    path: str = "<buffer>"
    offset: int = 0
    verify: bool = True
    truncated: bool = False

    def __iter__(self) -> Iterator[bytes]:
        """Yield each complete record's payload."""
        view = self.buffer
        end = len(view)
        pos = self.offset
        verify = self.verify
        unpack_header = _HEADER.unpack_from
        unpack_u32 = _U32.unpack_from
        self.truncated = False
        while pos < end:
            if end - pos < HEADER_SIZE:
                self.truncated = True
                break
            length, length_crc = unpack_header(view, pos)
            if verify and masked_crc32c(view[pos : pos + 8]) != length_crc:
                self.offset = pos
                raise CorruptRecordError(self.path, pos, "length")
            start = pos + HEADER_SIZE
            stop = start + length
            if stop + FOOTER_SIZE > end:
                self.truncated = True
                break
            payload = view[start:stop]
            if verify and masked_crc32c(payload) != unpack_u32(view, stop)[0]:
                self.offset = pos
                raise CorruptRecordError(self.path, pos, "payload")
            pos = stop + FOOTER_SIZE
            self.offset = pos
            yield payload


def _candidate(buffer: bytes, pos: int) -> tuple[bool, bool]:
    """Return whether a record may start at ``pos`` (its length checksum holds, and its payload's if
    it ends inside ``buffer``), and whether it ends inside ``buffer``."""
    end = len(buffer)
    if pos + HEADER_SIZE > end:
        return False, False
    if masked_crc32c(buffer[pos : pos + 8]) != _U32.unpack_from(buffer, pos + 8)[0]:
        return False, False
    (length,) = _U64.unpack_from(buffer, pos)
    if length >> 32:
        # Not a record: no writer frames 4 GiB in one record (the search of scan.find_record agrees).
        return False, False
    stop = pos + HEADER_SIZE + length
    if stop + FOOTER_SIZE > end:
        return True, False
    return payload_intact(buffer, pos + HEADER_SIZE, stop), True


def _search(buffer: bytes, start: int, stop: int | None = None, *, complete: bool = False) -> int | None:
    """Return the first offset in ``[start, stop)`` where a record may start (one that ends inside
    ``buffer`` with ``complete``), or None."""
    for pos in range(start, len(buffer) if stop is None else min(stop, len(buffer))):
        found, whole = _candidate(buffer, pos)
        if found and (whole or not complete):
            return pos
    return None


def walk_records(buffer: bytes) -> tuple[list[tuple[int, bytes]], list[tuple[int, str]]]:
    """Return the records a reader takes from a whole file's bytes and the damage it meets on the way.

    Records are ``(offset, payload)``, damage is ``(offset, part)``. This is
    the slow, plain statement of how readers resynchronise, and the reference
    the fast readers are tested against:

    - a length whose checksum fails: search for the next record from the byte after it;
    - a length that holds but runs past the end: damage if an intact record
      follows it, else the file ends inside its last record (``"truncated"``);
    - a payload whose checksum fails: the length may lie, so the next record is
      the first that starts inside the claimed span after the header, or else
      the one at the span's end.

    A search takes the first offset whose length checksum holds and whose
    payload checksum holds too, or that runs past the end of the file.

    >>> head = _U64.pack(18)  # a record of 1 byte that claims 18: "b" lies inside the claim
    >>> lying = head + _U32.pack(masked_crc32c(head)) + frame_record(b"a")[HEADER_SIZE:]
    >>> walk_records(lying + frame_record(b"b") + frame_record(b"c"))
    ([(17, b'b'), (34, b'c')], [(0, 'payload')])
    """
    end = len(buffer)
    records: list[tuple[int, bytes]] = []
    damage: list[tuple[int, str]] = [(0, "empty")] if not end else []
    pos: int | None = 0
    while pos is not None and pos < end:
        if end - pos < HEADER_SIZE:
            damage.append((pos, "truncated"))
            break
        length, length_crc = _HEADER.unpack_from(buffer, pos)
        if masked_crc32c(buffer[pos : pos + 8]) != length_crc:
            damage.append((pos, "length"))
            pos = _search(buffer, pos + 1)
            continue
        stop = pos + HEADER_SIZE + length
        if stop + FOOTER_SIZE > end:
            if _search(buffer, pos + 1, complete=True) is None:
                damage.append((pos, "truncated"))
                break
            damage.append((pos, "length"))
            pos = _search(buffer, pos + 1)
            continue
        if not payload_intact(buffer, pos + HEADER_SIZE, stop):
            damage.append((pos, "payload"))
            inside = _search(buffer, pos + HEADER_SIZE, stop + FOOTER_SIZE)
            pos = stop + FOOTER_SIZE if inside is None else inside
            continue
        records.append((pos, buffer[pos + HEADER_SIZE : stop]))
        pos = stop + FOOTER_SIZE
    return records, damage


# Batched framing. CRC32C is affine over GF(2): for messages of one length, the
# CRC of a message is the CRC of a template with its varying bytes zeroed,
# XOR-ed with one table lookup per varying byte. The lookup table for a byte
# depends only on how many bytes follow it, so one table serves every layout.

_POLY = 0x82F63B78


def _byte_table() -> np.ndarray:
    table = np.arange(256, dtype=np.uint32)
    for _ in range(8):
        table = np.where(table & 1, (table >> 1) ^ np.uint32(_POLY), table >> 1).astype(np.uint32)
    return table


_BYTE_TABLE = _byte_table()
_shift_tables = _BYTE_TABLE[None, :].copy()
_shift_lock = threading.Lock()


def _tables_up_to(distance: int) -> np.ndarray:
    """Return tables T with T[d, v] = zero-initialised CRC32C of byte v followed by d zeros."""
    global _shift_tables
    tables = _shift_tables
    if distance < len(tables):
        return tables
    with _shift_lock:
        tables = _shift_tables
        rows = [tables]
        last = tables[-1]
        for _ in range(max(distance + 1, 2 * len(tables)) - len(tables)):
            last = (last >> 8) ^ _BYTE_TABLE[last & 0xFF]
            rows.append(last[None, :])
        _shift_tables = tables = np.concatenate(rows)
    return tables


#: Longest payload whose checksums come from table lookups of its varying bytes. The tables
#: take 1 KiB per byte of distance to the end, so longer payloads are checksummed whole, in C.
TABLE_CRC_MAX = 1024


def row_crcs(payloads: np.ndarray) -> np.ndarray:
    """Return the (unmasked) CRC32C of each row of an ``(n, L)`` uint8 array, one C call per row.

    >>> int(row_crcs(np.frombuffer(b"ab", np.uint8).reshape(1, 2))[0]) == google_crc32c.value(b"ab")
    True
    """
    return np.fromiter((_crc(row.tobytes()) for row in payloads), np.uint32, len(payloads))


def _mask_array(crc: np.ndarray) -> np.ndarray:
    return ((crc >> 15) | (crc << 17)) + np.uint32(_MASK_DELTA)


def frame_payload_rows(payloads: np.ndarray, varying: Sequence[int]) -> np.ndarray:
    """Frame equal-length payloads in one pass; return an ``(n, L + 16)`` uint8 array.

    ``payloads`` is ``(n, L)`` uint8; ``varying`` lists the columns that may
    differ between rows (every other column must equal row 0's). Each output
    row equals :func:`frame_record` of the matching payload row.

    >>> rows = np.frombuffer(b"ab", np.uint8).reshape(2, 1)
    >>> frame_payload_rows(rows, [0])[1].tobytes() == frame_record(b"b")
    True
    """
    n, length = payloads.shape
    records = np.empty((n, HEADER_SIZE + length + FOOTER_SIZE), np.uint8)
    records[:, HEADER_SIZE : HEADER_SIZE + length] = payloads
    return frame_rows_in_place(records, varying)


def frame_rows_in_place(
    records: np.ndarray,
    varying: Sequence[int],
    sources: Sequence[np.ndarray] | None = None,
) -> np.ndarray:
    """Fill the header and checksums of ``(n, 12 + L + 4)`` records whose payloads are in place.

    ``varying`` indexes the payload columns (0 is the payload's first byte)
    that may differ between rows; every other column must equal row 0's.
    ``sources``, if given, holds each varying column's bytes as a contiguous
    array, which reads faster than the strided column. Returns ``records``.

    >>> rec = np.zeros((1, 17), np.uint8); rec[0, 12] = ord("x")
    >>> frame_rows_in_place(rec, [])[0].tobytes() == frame_record(b"x")
    True
    """
    n, width = records.shape
    length = width - HEADER_SIZE - FOOTER_SIZE
    header = _U64.pack(length)
    records[:, :8] = np.frombuffer(header, np.uint8)
    records[:, 8:12] = np.frombuffer(_U32.pack(masked_crc32c(header)), np.uint8)
    if n == 0:
        return records
    payloads = records[:, HEADER_SIZE : HEADER_SIZE + length]
    if length > TABLE_CRC_MAX:
        crc = row_crcs(payloads)
        varying = ()
    else:
        template = payloads[0].copy()
        template[list(varying)] = 0
        crc = np.full(n, _crc(template.tobytes()), np.uint32)
    if len(varying):
        tables = _tables_up_to(length - 1)
        if sources is None:
            sources = [payloads[:, column] for column in varying]
        for column, source in zip(varying, sources):
            crc ^= tables[length - 1 - column][source]
    records[:, HEADER_SIZE + length :] = (
        _mask_array(crc).astype("<u4", copy=False).view(np.uint8).reshape(n, 4)
    )
    return records
