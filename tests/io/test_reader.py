"""Reading event files: our own, tensorboardX's and torch's, truncated and corrupted ones."""

from __future__ import annotations

import os
import struct
import warnings

import numpy as np
import pytest

from neuroboard.format.codec import scalar_event_reference
from neuroboard.format.records import CorruptRecordError, CorruptRecordWarning, frame_record, masked_crc32c
from neuroboard.io.logdir import EventsLogdir, Filters
from neuroboard.io.reader import FileRecordReader, iter_events, next_record_start, read_events, run_files
from neuroboard.io.writer import EventWriter


def _scalars(events) -> list[tuple[str, int, float]]:
    return [
        (value.tag, event.step, value.simple_value)
        for event in events
        for value in event.summary.value
        if value.WhichOneof("value") == "simple_value"
    ]


def test_reads_tensorboardx_files(tmp_path) -> None:
    tensorboardX = pytest.importorskip("tensorboardX")
    values = np.random.default_rng(0).normal(size=50).astype(np.float32)
    with tensorboardX.SummaryWriter(str(tmp_path)) as writer:
        for step, value in enumerate(values.tolist()):
            writer.add_scalar("loss/train", value, step)
    (path,) = run_files(str(tmp_path))["."]
    got = _scalars(read_events(path))
    assert got == [("loss/train", step, value) for step, value in enumerate(values.tolist())]


def test_reads_torch_files(tmp_path) -> None:
    tensorboard = pytest.importorskip("torch.utils.tensorboard")
    torch = pytest.importorskip("torch")
    values = torch.linspace(-2, 2, 40)
    writer = tensorboard.SummaryWriter(str(tmp_path))
    for step, value in enumerate(values):
        writer.add_scalar("acc", value, step)
    writer.add_scalars("rates", {"exc": 1.5, "inh": 2.5}, 7)
    writer.close()
    runs = run_files(str(tmp_path))
    assert set(runs) == {".", "rates_exc", "rates_inh"}
    main = [e for path in runs["."] for e in read_events(path)]
    assert _scalars(main) == [("acc", step, float(v)) for step, v in enumerate(values.tolist())]
    inh = [e for path in runs["rates_inh"] for e in read_events(path)]
    assert _scalars(inh) == [("rates", 7, 2.5)]


def _written(tmp_path, count: int = 20) -> str:
    with EventWriter(str(tmp_path)) as writer:
        for step in range(count):
            writer.add_scalar("x", float(step), step, 1.0)
    return writer.path


def test_truncated_file_reads_complete_records(tmp_path) -> None:
    path = _written(tmp_path)
    size = os.path.getsize(path)
    with open(path, "r+b") as file:
        file.truncate(size - 3)
    reader = FileRecordReader(path)
    with pytest.warns(UserWarning, match="incomplete record"):
        events = list(read_events(path))
    assert [step for _, step, _ in _scalars(events)] == list(range(19))
    list(reader)
    assert reader.truncated
    assert reader.offset < size - 3


def test_resumes_where_it_stopped(tmp_path) -> None:
    path = _written(tmp_path)
    data = open(path, "rb").read()
    with open(path, "wb") as file:
        file.write(data[: len(data) // 2])
    reader = FileRecordReader(path)
    first = list(reader)
    with open(path, "wb") as file:
        file.write(data)
    second = list(reader)
    assert len(first) + len(second) == 21
    assert not reader.truncated


def test_small_chunks_and_large_records(tmp_path) -> None:
    path = _written(tmp_path)
    expected = list(FileRecordReader(path))
    assert list(FileRecordReader(path, chunk_size=7)) == expected


def test_corruption_names_file_and_offset(tmp_path) -> None:
    path = _written(tmp_path)
    records = list(FileRecordReader(path))
    offset = sum(16 + len(p) for p in records[:5])
    with open(path, "r+b") as file:
        file.seek(offset + 14)
        byte = file.read(1)
        file.seek(offset + 14)
        file.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(CorruptRecordError) as info:
        list(read_events(path, on_corrupt="raise"))
    assert info.value.path == path
    assert info.value.offset == offset


def test_runs_are_folders_with_event_files(tmp_path) -> None:
    for run in ("a", "a/b", "c/d"):
        EventWriter(str(tmp_path / run)).close()
    (tmp_path / "empty").mkdir()
    (tmp_path / "c" / "notes.txt").write_text("not events")
    assert list(run_files(str(tmp_path))) == ["a", "a/b", "c/d"]
    assert sorted({run for run, _ in iter_events(str(tmp_path))}) == ["a", "a/b", "c/d"]


# Damage: each case is read through the record reader and through the scalar reader of a logdir.


_RECORDS = [frame_record(scalar_event_reference("x", step, 1.0, step / 2)) for step in range(1, 41)]
_SIZE = len(_RECORDS[0])


def _damaged(tmp_path, change) -> tuple[str, bytes]:
    data = bytearray(b"".join(_RECORDS))
    change(data)
    path = tmp_path / "events.out.tfevents.1.host"
    path.write_bytes(bytes(data))
    return str(path), bytes(data)


def _read_both(tmp_path, path: str, on_corrupt: str = "warn"):
    """Return (steps via read_events, steps via the scalar reader, warnings raised)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        by_record = [e.step for e in read_events(path, on_corrupt=on_corrupt)]
        conn = EventsLogdir(str(tmp_path), final=True)
        by_array = [int(s) for b in conn.scalars(Filters(), on_corrupt=on_corrupt) for s in b.step]
    found = [w.message for w in caught if issubclass(w.category, CorruptRecordWarning)]
    return by_record, by_array, found


def _flip(position: int):
    def change(data: bytearray) -> None:
        data[position] ^= 0x10

    return change


@pytest.mark.parametrize(
    ("where", "part"),
    [(2, "length"), (9, "length"), (_SIZE // 2, "payload"), (_SIZE - 2, "payload")],
)
def test_a_flipped_byte_costs_one_record(tmp_path, where: int, part: str) -> None:
    k = 17
    path, _ = _damaged(tmp_path, _flip(k * _SIZE + where))
    by_record, by_array, found = _read_both(tmp_path, path)
    expected = [s for s in range(1, 41) if s != k + 1]
    assert by_record == expected and by_array == expected
    assert {(w.path, w.offset, w.part) for w in found} == {(path, k * _SIZE, part)}
    assert f"byte {k * _SIZE}" in str(found[0]) and path in str(found[0])


def test_raise_names_file_and_offset(tmp_path) -> None:
    path, _ = _damaged(tmp_path, _flip(5 * _SIZE + 3))
    with pytest.raises(CorruptRecordError) as info:
        list(read_events(path, on_corrupt="raise"))
    assert (info.value.path, info.value.offset, info.value.part) == (path, 5 * _SIZE, "length")
    with pytest.raises(CorruptRecordError):
        list(EventsLogdir(str(tmp_path)).scalars(Filters(), on_corrupt="raise"))


def test_skip_reads_past_damage_silently(tmp_path) -> None:
    path, _ = _damaged(tmp_path, _flip(5 * _SIZE + 20))
    by_record, by_array, found = _read_both(tmp_path, path, on_corrupt="skip")
    assert len(by_record) == len(by_array) == 39 and not found


def test_a_truncated_file_returns_every_complete_record(tmp_path) -> None:
    def cut(data: bytearray) -> None:
        del data[len(data) - 7 :]

    path, _ = _damaged(tmp_path, cut)
    by_record, by_array, found = _read_both(tmp_path, path)
    assert by_record == by_array == list(range(1, 40))
    assert [(w.offset, w.part) for w in found] == [(39 * _SIZE, "truncated")] * 2


def _claim_length(k: int, length: int):
    def change(data: bytearray) -> None:
        header = struct.pack("<Q", length)
        data[k * _SIZE : k * _SIZE + 12] = header + struct.pack("<I", masked_crc32c(header))

    return change


def test_a_length_larger_than_the_file_is_passed_over(tmp_path) -> None:
    # The length's own checksum holds: only what follows shows that it lies.
    path, _ = _damaged(tmp_path, _claim_length(10, 1 << 40))
    by_record, by_array, found = _read_both(tmp_path, path)
    expected = [s for s in range(1, 41) if s != 11]
    assert by_record == expected and by_array == expected
    assert {(w.offset, w.part) for w in found} == {(10 * _SIZE, "length")}


def test_a_huge_length_at_the_end_is_an_incomplete_record(tmp_path) -> None:
    path, _ = _damaged(tmp_path, _claim_length(39, 1 << 40))
    by_record, by_array, found = _read_both(tmp_path, path)
    assert by_record == by_array == list(range(1, 40))
    assert {(w.offset, w.part) for w in found} == {(39 * _SIZE, "truncated")}


def test_empty_and_foreign_files_in_a_logdir(tmp_path) -> None:
    run = tmp_path / "run"
    with EventWriter(str(run)) as writer:
        writer.add_scalar("x", 1.0, 1, 1.0)
    empty = run / "events.out.tfevents.0.empty"
    empty.write_bytes(b"")
    junk = run / "events.out.tfevents.9.junk"
    junk.write_bytes(b"this is not an event file\n" * 20)
    (run / "notes.txt").write_text("ignored: not an event file name")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        steps = [int(s) for b in EventsLogdir(str(tmp_path), final=True).scalars(Filters()) for s in b.step]
    assert steps == [1]
    found = {(w.message.path, w.message.offset, w.message.part) for w in caught}
    assert found == {(str(empty), 0, "empty"), (str(junk), 0, "length")}


def test_a_connection_waits_for_an_incomplete_record_without_warning(tmp_path) -> None:
    path, data = _damaged(tmp_path, lambda data: None)
    with open(path, "wb") as f:
        f.write(data[: 3 * _SIZE + 5])
    conn = EventsLogdir(str(tmp_path))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert [int(s) for b in conn.scalars(Filters()) for s in b.step] == [1, 2, 3]
    with open(path, "ab") as f:
        f.write(data[3 * _SIZE + 5 :])
    assert [int(s) for b in conn.scalars(Filters()) for s in b.step] == list(range(4, 41))


def test_damage_in_a_growing_file_is_reported_once(tmp_path) -> None:
    path, data = _damaged(tmp_path, _flip(2 * _SIZE + 1))
    with open(path, "wb") as f:
        f.write(data[: 2 * _SIZE + 30])
    conn = EventsLogdir(str(tmp_path))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        first = [int(s) for b in conn.scalars(Filters()) for s in b.step]
        with open(path, "ab") as f:
            f.write(data[2 * _SIZE + 30 :])
        second = [int(s) for b in conn.scalars(Filters()) for s in b.step]
    assert first == [1, 2] and second == list(range(4, 41))
    assert len(caught) == 1


def _read_range(path: str, start: int, stop: int | None, chunk_size: int) -> tuple[list[bytes], list]:
    """Return the payloads a reader of ``[start, stop)`` owns, and the damage it reports."""
    size = os.path.getsize(path)
    first = next_record_start(path, start, size)
    end = None if stop is None else next_record_start(path, stop, size)
    reader = FileRecordReader(path, first, final=True, chunk_size=chunk_size, end=end)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        payloads = list(reader)
    return payloads, [(w.message.offset, w.message.part) for w in caught]


@pytest.mark.parametrize(
    "change",
    [
        lambda data: None,
        _flip(11 * _SIZE + 3),
        _flip(11 * _SIZE + _SIZE // 2),
        lambda data: data.__setitem__(slice(20 * _SIZE, 20 * _SIZE + 5), b"\xff" * 5),
        lambda data: data.__delitem__(slice(30 * _SIZE + 4, 30 * _SIZE + 9)),
    ],
    ids=["intact", "length", "payload", "overwritten", "deleted"],
)
@pytest.mark.parametrize("chunk_size", [1, 50, 1 << 20])
def test_byte_ranges_read_every_record_once(tmp_path, change, chunk_size: int) -> None:
    path, data = _damaged(tmp_path, change)
    whole, reported = _read_range(path, 0, None, 1 << 20)
    assert len(whole) >= 38
    rng = np.random.default_rng(chunk_size)
    for count in (2, 3, 7):
        for _ in range(8):
            cuts = sorted(rng.choice(np.arange(1, len(data)), count - 1, replace=False).tolist())
            bounds = list(zip([0, *cuts], [*cuts, None]))
            parts = [_read_range(path, start, stop, chunk_size) for start, stop in bounds]
            assert [p for payloads, _ in parts for p in payloads] == whole, bounds
            assert [w for _, found in parts for w in found] == reported, bounds


# A length whose own checksum holds but whose payload checksum fails: the length may lie.


@pytest.mark.parametrize("claim", [3 * _SIZE, 20 * _SIZE + 5, 28 * _SIZE - 16])
def test_a_lying_length_inside_the_file_costs_its_record_alone(tmp_path, claim: int) -> None:
    # The header of record 10 now claims ``claim`` bytes, with a valid checksum: every intact
    # record inside the claimed span is still read, and only record 10 is reported.
    path, _ = _damaged(tmp_path, _claim_length(10, claim))
    by_record, by_array, found = _read_both(tmp_path, path)
    expected = [s for s in range(1, 41) if s != 11]
    assert by_record == expected and by_array == expected
    assert {(w.path, w.offset, w.part) for w in found} == {(path, 10 * _SIZE, "payload")}
