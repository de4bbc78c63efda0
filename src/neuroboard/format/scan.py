"""The framing walk at array speed: records found in runs, checksums checked in batches.

Writers repeat themselves: a scalar logged every step gives records of one
size, and a loop over a few tags gives sizes that repeat with a short period.
:func:`scan_records` walks a few records one by one, guesses the period of
their sizes, and then checks whole runs of predicted headers with NumPy,
falling back to the plain walk wherever the guess breaks. What it returns are
:class:`Block` runs of equal-size records at a fixed stride, so that the
records of one size can be viewed as the rows of a matrix without a copy.

:func:`find_record` finds the next intact record after damage, checking the
length checksums of every candidate offset at once with the same GF(2) tables
as the batched writer. :class:`~neuroboard.format.records.RecordReader`
is the record-at-a-time reference that the tests hold these against.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from neuroboard.format.records import (
    FOOTER_SIZE,
    HEADER_SIZE,
    _crc,
    _mask_array,
    _tables_up_to,
    masked_crc32c,
    payload_intact,
)

__all__ = [
    "Block",
    "Scan",
    "block_rows",
    "blocks_before",
    "find_record",
    "record_positions",
    "rows_by_size",
    "scan_records",
]

_HEADER = struct.Struct("<QI")
# Records walked one by one before guessing a period, and the longest period tried.
_PROBE = 16
_MAX_PERIOD = 8
_FIRST_GALLOP = 64


class Block(NamedTuple):
    """``count`` records of ``size`` bytes (framing included), ``stride`` bytes apart from ``start``."""

    start: int
    stride: int
    size: int
    count: int


@dataclass
class Scan:
    """What :func:`scan_records` found in a buffer.

    ``offset`` is where it stopped; ``status`` says why: ``"end"`` (the buffer
    ends on a record boundary), ``"truncated"`` (an incomplete record starts at
    ``offset``) or ``"corrupt"`` (the length checksum at ``offset`` fails).
    """

    blocks: list[Block] = field(default_factory=list)
    offset: int = 0
    status: str = "end"

    @property
    def count(self) -> int:
        """Return the number of records found."""
        return sum(block.count for block in self.blocks)


def _append_run(blocks: list[Block], start: int, sizes: Sequence[int]) -> None:
    """Append records walked one by one, merging neighbours of equal size."""
    pos = start
    i = 0
    while i < len(sizes):
        size = sizes[i]
        j = i + 1
        while j < len(sizes) and sizes[j] == size:
            j += 1
        blocks.append(Block(pos, size, size, j - i))
        pos += size * (j - i)
        i = j


def _period(sizes: list[int]) -> int:
    """Return the shortest period of ``sizes`` seen at least twice, or 0."""
    n = len(sizes)
    for p in range(1, min(_MAX_PERIOD, n // 2) + 1):
        if all(sizes[i] == sizes[i - p] for i in range(p, n)):
            return p
    return 0


def _matching_cycles(
    data: np.ndarray, base: int, cycle: int, phases: list[tuple[int, int]], first: int, last: int
) -> int:
    """Return how many cycles from ``first`` on (below ``last``) have every predicted header."""
    good = last - first
    for offset, _size in phases:
        start = base + first * cycle + offset
        header = data[base + offset : base + offset + HEADER_SIZE]
        view = np.lib.stride_tricks.as_strided(
            data[start:], shape=(last - first, HEADER_SIZE), strides=(cycle, 1), writeable=False
        )
        # Compared as one 8-byte and one 4-byte integer per record.
        ok = view[:, :8].view("<u8")[:, 0] == header[:8].view("<u8")[0]
        ok &= view[:, 8:].view("<u4")[:, 0] == header[8:].view("<u4")[0]
        if not ok[:good].all():
            good = int(np.argmin(ok[:good]))
        if good == 0:
            break
    return good


def scan_records(buffer: bytes, offset: int = 0, *, verify: bool = True) -> Scan:
    """Find the complete records of ``buffer`` from ``offset`` on, as runs of equal size.

    Length checksums are checked when ``verify`` is true (payload checksums
    are the caller's, see :func:`check_rows`). The scan stops at the end, at
    an incomplete record, or at a bad length checksum.

    >>> from neuroboard.format.records import frame_record
    >>> scan = scan_records(frame_record(b"a") * 3 + frame_record(b"bc"))
    >>> scan.blocks, scan.status
    ([Block(start=0, stride=17, size=17, count=3), Block(start=51, stride=18, size=18, count=1)], 'end')
    """
    data = np.frombuffer(buffer, np.uint8)
    end = len(buffer)
    scan = Scan(offset=offset)
    blocks = scan.blocks
    pos = offset
    unpack = _HEADER.unpack_from
    while pos < end:
        base = pos
        sizes: list[int] = []
        status = "end"
        while len(sizes) < _PROBE and pos < end:
            if end - pos < HEADER_SIZE:
                status = "truncated"
                break
            length, length_crc = unpack(buffer, pos)
            if verify and masked_crc32c(buffer[pos : pos + 8]) != length_crc:
                status = "corrupt"
                break
            size = length + HEADER_SIZE + FOOTER_SIZE
            if pos + size > end:
                status = "truncated"
                break
            sizes.append(size)
            pos += size
        period = _period(sizes) if status == "end" and len(sizes) == _PROBE else 0
        if not period:
            _append_run(blocks, base, sizes)
            if status != "end":
                scan.offset, scan.status = pos, status
                return scan
            continue
        phases = []
        cycle = 0
        for size in sizes[:period]:
            phases.append((cycle, size))
            cycle += size
        cycles = len(sizes) // period
        available = (end - base) // cycle
        step = _FIRST_GALLOP
        while cycles < available:
            last = min(available, cycles + step)
            good = _matching_cycles(data, base, cycle, phases, cycles, last)
            cycles += good
            if cycles < last:
                break
            step *= 8
        for offset_in_cycle, size in phases:
            blocks.append(Block(base + offset_in_cycle, cycle, size, cycles))
        pos = base + cycles * cycle
    scan.offset = pos
    return scan


def block_rows(data: np.ndarray, block: Block) -> np.ndarray:
    """Return the records of ``block`` as a read-only ``(count, size)`` view of ``data``.

    >>> from neuroboard.format.records import frame_record
    >>> data = np.frombuffer(frame_record(b"a") * 2, np.uint8)
    >>> block_rows(data, Block(0, 17, 17, 2)).shape
    (2, 17)
    """
    return np.lib.stride_tricks.as_strided(
        data[block.start :], shape=(block.count, block.size), strides=(block.stride, 1), writeable=False
    )


def _header_crcs(data: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """Return the masked CRC32C of the 8 length bytes at each position."""
    tables = _tables_up_to(7)
    crc = np.full(len(positions), _crc(bytes(8)), np.uint32)
    for i in range(8):
        crc ^= tables[7 - i][data[positions + i]]
    return _mask_array(crc)


def find_record(buffer: bytes, start: int, stop: int | None = None) -> tuple[int, bool] | None:
    """Return the first offset in ``[start, stop)`` where an intact record begins, after damage.

    A candidate's length checksum must hold; if the whole record lies in
    ``buffer`` its payload checksum must hold too. Returns ``(offset,
    complete)``, where ``complete`` is false for a candidate whose record runs
    past the buffer (the caller reads on to check it), or ``None``. Without
    ``stop``, candidates run to the end of ``buffer``.

    >>> from neuroboard.format.records import frame_record
    >>> find_record(b"junk" + frame_record(b"ok"), 0), find_record(b"junk" + frame_record(b"ok"), 0, 4)
    ((4, True), None)
    """
    data = np.frombuffer(buffer, np.uint8)
    end = len(buffer)
    window = 1 << 20
    limit = end - HEADER_SIZE + 1 if stop is None else min(stop, end - HEADER_SIZE + 1)
    for lo in range(start, max(start, limit), window):
        hi = min(lo + window, limit)
        # Lengths beyond 4 GiB are not records: their top four bytes must be zero.
        zero = data[lo + 4 : hi + 7] == 0
        plausible = zero[: hi - lo] & zero[1 : hi - lo + 1] & zero[2 : hi - lo + 2] & zero[3 : hi - lo + 3]
        candidates = lo + np.flatnonzero(plausible)
        if not len(candidates):
            continue
        stored = _stored_u32(data, candidates + 8)
        candidates = candidates[_header_crcs(data, candidates) == stored]
        for pos in candidates.tolist():
            (length,) = struct.unpack_from("<Q", buffer, pos)
            stop = pos + HEADER_SIZE + length
            if stop + FOOTER_SIZE > end:
                return pos, False
            if payload_intact(buffer, pos + HEADER_SIZE, stop):
                return pos, True
    return None


def _stored_u32(data: np.ndarray, positions: np.ndarray) -> np.ndarray:
    parts = [data[positions + i].astype(np.uint32) << np.uint32(8 * i) for i in range(4)]
    return parts[0] | parts[1] | parts[2] | parts[3]


def record_positions(blocks: Sequence[Block]) -> tuple[np.ndarray, np.ndarray]:
    """Return the start and size of every record of ``blocks``, in buffer order.

    >>> record_positions([Block(0, 30, 10, 2), Block(10, 30, 20, 2)])
    (array([ 0, 10, 30, 40]), array([10, 20, 10, 20]))
    """
    if not blocks:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    starts = np.concatenate([b.start + b.stride * np.arange(b.count, dtype=np.int64) for b in blocks])
    sizes = np.concatenate([np.full(b.count, b.size, np.int64) for b in blocks])
    order = np.argsort(starts, kind="stable")
    return starts[order], sizes[order]


def blocks_before(blocks: Sequence[Block], stop: int) -> list[Block]:
    """Return ``blocks`` cut to the records that start before ``stop``.

    >>> blocks_before([Block(0, 30, 10, 3), Block(10, 30, 20, 3)], 40)
    [Block(start=0, stride=30, size=10, count=2), Block(start=10, stride=30, size=20, count=1)]
    """
    out = []
    for block in blocks:
        count = min(block.count, max(0, -(-(stop - block.start) // block.stride)))
        if count:
            out.append(block if count == block.count else block._replace(count=count))
    return out


def rows_by_size(data: np.ndarray, blocks: Sequence[Block]) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Return, per record size, the ``(n, size)`` matrix of those records and their starts.

    A size found in one block is a view of ``data``; several blocks are copied together.

    >>> from neuroboard.format.records import frame_record
    >>> data = np.frombuffer(frame_record(b"a") + frame_record(b"bc") + frame_record(b"d"), np.uint8)
    >>> {size: starts.tolist() for size, (rows, starts) in rows_by_size(data, scan_records(data.tobytes()).blocks).items()}
    {17: [0, 35], 18: [17]}
    """
    by_size: dict[int, list[Block]] = {}
    for block in blocks:
        by_size.setdefault(block.size, []).append(block)
    out = {}
    for size, group in by_size.items():
        starts = [block.start + block.stride * np.arange(block.count, dtype=np.int64) for block in group]
        if len(group) == 1:
            out[size] = (block_rows(data, group[0]), starts[0])
            continue
        all_starts = np.concatenate(starts)
        rows = np.concatenate([block_rows(data, block) for block in group])
        if (np.diff(all_starts) < 0).any():
            order = np.argsort(all_starts, kind="stable")
            rows, all_starts = rows[order], all_starts[order]
        out[size] = (rows, all_starts)
    return out
