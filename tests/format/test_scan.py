"""The block framing walk, held against the record-at-a-time RecordReader."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from neuroboard.format.records import RecordReader, frame_record
from neuroboard.format.scan import (
    Block,
    block_rows,
    find_record,
    record_positions,
    rows_by_size,
    scan_records,
)


def _payloads_of(buffer: bytes, blocks: list[Block]) -> list[bytes]:
    starts, sizes = record_positions(blocks)
    return [buffer[s + 12 : s + n - 4] for s, n in zip(starts.tolist(), sizes.tolist())]


# Segments of records that repeat a pattern of sizes, as writers do, with breaks between them.
_segment = st.tuples(
    st.lists(st.integers(0, 40), min_size=1, max_size=5),
    st.integers(1, 80),
)


def _stream(segments: list[tuple[list[int], int]]) -> list[bytes]:
    payloads = []
    for i, (pattern, repeats) in enumerate(segments):
        for r in range(repeats):
            for j, length in enumerate(pattern):
                payloads.append(bytes([(i + r + j) % 256]) * length)
    return payloads


@settings(max_examples=150, deadline=None)
@given(st.lists(_segment, min_size=1, max_size=6), st.data())
def test_blocks_hold_every_record_in_order(segments, data) -> None:
    payloads = _stream(segments)
    buffer = b"".join(frame_record(p) for p in payloads)
    cut = data.draw(st.integers(0, len(buffer)))
    head = buffer[:cut]
    scan = scan_records(head)
    reference = RecordReader(head)
    expected = list(reference)
    assert _payloads_of(head, scan.blocks) == expected
    assert scan.offset == reference.offset
    assert scan.status == ("truncated" if reference.truncated else "end")


def test_periodic_sizes_become_few_blocks() -> None:
    payloads = [b"a" * 10, b"bb" * 10, b"c" * 3] * 10_000
    buffer = b"".join(frame_record(p) for p in payloads)
    scan = scan_records(buffer)
    assert scan.count == len(payloads)
    assert len(scan.blocks) <= 12
    assert _payloads_of(buffer, scan.blocks) == payloads


def test_bad_length_checksum_stops_the_scan_there() -> None:
    records = [frame_record(bytes([i]) * 5) for i in range(40)]
    buffer = bytearray(b"".join(records))
    bad = 30 * len(records[0])
    buffer[bad + 2] ^= 0x40
    scan = scan_records(bytes(buffer))
    assert (scan.status, scan.offset, scan.count) == ("corrupt", bad, 30)
    # Without checks the same bytes are taken at their word.
    assert scan_records(bytes(buffer), verify=False).status != "corrupt"


def test_offset_starts_mid_buffer() -> None:
    buffer = b"".join(frame_record(bytes([i])) for i in range(5))
    scan = scan_records(buffer, 17 * 2)
    assert _payloads_of(buffer, scan.blocks) == [bytes([2]), bytes([3]), bytes([4])]


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=200), st.binary(min_size=1, max_size=60))
def test_find_record_after_junk(junk: bytes, payload: bytes) -> None:
    record = frame_record(payload)
    found = find_record(junk + record, 0)
    assert found is not None
    offset, complete = found
    assert complete
    # A false match inside the junk is allowed only if it is itself an intact record.
    assert offset <= len(junk)
    if offset < len(junk):
        assert list(RecordReader((junk + record)[offset:]))


def test_find_record_reports_a_record_cut_by_the_buffer_end() -> None:
    record = frame_record(b"x" * 30)
    assert find_record(b"\x01\x02" + record[:20], 0) == (2, False)
    assert find_record(bytes(1000), 0) is None
    assert find_record(b"", 0) is None


def test_rows_by_size_views_and_copies() -> None:
    payloads = [b"aa", b"bbb", b"cc", b"ddd", b"ee"]
    buffer = b"".join(frame_record(p) for p in payloads)
    data = np.frombuffer(buffer, np.uint8)
    groups = rows_by_size(data, scan_records(buffer).blocks)
    rows, starts = groups[18]
    assert [bytes(r[12:-4]) for r in rows] == [b"aa", b"cc", b"ee"]
    assert starts.tolist() == [0, 37, 74]
    (block,) = scan_records(frame_record(b"q") * 3).blocks
    assert block_rows(np.frombuffer(frame_record(b"q") * 3, np.uint8), block).shape == (3, 17)
