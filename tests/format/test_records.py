"""Record framing: checked against google-crc32c and against TensorBoard's own record reader."""

from __future__ import annotations

import struct

import google_crc32c
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import masked_crc32c as tb_masked_crc32c

from neuroboard.format.records import (
    TABLE_CRC_MAX,
    CorruptRecordError,
    RecordReader,
    _tables_up_to,
    frame_payload_rows,
    frame_record,
    masked_crc32c,
)


@given(st.binary(max_size=300))
def test_masked_crc_matches_tensorboard(data: bytes) -> None:
    assert masked_crc32c(data) == tb_masked_crc32c(data)


def test_frame_layout() -> None:
    record = frame_record(b"hello")
    (length,) = struct.unpack("<Q", record[:8])
    assert length == 5
    assert struct.unpack("<I", record[8:12])[0] == masked_crc32c(record[:8])
    assert record[12:17] == b"hello"
    assert struct.unpack("<I", record[17:])[0] == masked_crc32c(b"hello")


def test_shift_tables_match_library() -> None:
    tables = _tables_up_to(40)
    rng = np.random.default_rng(1)
    for distance in (0, 1, 7, 40):
        for byte in rng.integers(0, 256, 8).tolist():
            message = bytes([byte]) + bytes(distance)
            # The zero-initialised CRC is the library's CRC of the message XOR that of zeros.
            expected = google_crc32c.value(message) ^ google_crc32c.value(bytes(distance + 1))
            assert int(tables[distance, byte]) == expected


@settings(max_examples=60)
@given(
    st.integers(1, 60).flatmap(
        lambda length: st.tuples(
            st.lists(st.binary(min_size=length, max_size=length), min_size=1, max_size=20),
            st.sets(st.integers(0, length - 1)),
        )
    )
)
def test_batched_framing_matches_frame_record(case: tuple[list[bytes], set[int]]) -> None:
    payloads, varying = case
    rows = np.frombuffer(b"".join(payloads), np.uint8).reshape(len(payloads), -1).copy()
    # Columns not declared varying must be constant: copy row 0 into them.
    fixed = [c for c in range(rows.shape[1]) if c not in varying]
    rows[:, fixed] = rows[0, fixed]
    framed = frame_payload_rows(rows, sorted(varying))
    for row, out in zip(rows, framed):
        assert out.tobytes() == frame_record(row.tobytes())


def test_long_payloads_are_framed_whole_like_frame_record() -> None:
    # Past TABLE_CRC_MAX bytes the checksums come from one C call per row, not from the tables.
    rng = np.random.default_rng(4)
    rows = rng.integers(0, 256, (5, TABLE_CRC_MAX + 7), dtype=np.uint8)
    framed = frame_payload_rows(rows, list(range(rows.shape[1])))
    for row, out in zip(rows, framed):
        assert out.tobytes() == frame_record(row.tobytes())


def test_reader_reads_all_and_reports_offset() -> None:
    data = frame_record(b"a") + frame_record(b"bc")
    reader = RecordReader(data)
    assert list(reader) == [b"a", b"bc"]
    assert reader.offset == len(data)
    assert not reader.truncated


@pytest.mark.parametrize("cut", [1, 11, 12, 13, 17, 18])
def test_truncated_tail_is_not_an_error(cut: int) -> None:
    whole = frame_record(b"first")
    data = whole + frame_record(b"second")[:cut]
    reader = RecordReader(data)
    assert list(reader) == [b"first"]
    assert reader.truncated
    assert reader.offset == len(whole)


def test_payload_corruption_is_reported_with_offset() -> None:
    first = frame_record(b"ok")
    bad = bytearray(frame_record(b"payload"))
    bad[14] ^= 0x01
    reader = RecordReader(first + bytes(bad) + frame_record(b"after"), path="run/file")
    with pytest.raises(CorruptRecordError) as info:
        list(reader)
    assert info.value.offset == len(first)
    assert info.value.part == "payload"
    assert "run/file" in str(info.value)


def test_length_corruption_is_told_apart() -> None:
    bad = bytearray(frame_record(b"payload"))
    bad[0] ^= 0x40
    with pytest.raises(CorruptRecordError) as info:
        list(RecordReader(bytes(bad)))
    assert info.value.part == "length"
    assert info.value.offset == 0


def test_verify_false_skips_checks() -> None:
    bad = bytearray(frame_record(b"payload"))
    bad[-1] ^= 0xFF
    assert list(RecordReader(bytes(bad), verify=False)) == [b"payload"]
