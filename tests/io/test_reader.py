"""Reading event files: our own, tensorboardX's and torch's, truncated and corrupted ones."""

from __future__ import annotations

import os
import socket
import struct
import tracemalloc
import warnings

import numpy as np
import pytest

import neuroboard
from neuroboard.format.codec import scalar_event_reference
from neuroboard.format.records import (
    CorruptRecordError,
    CorruptRecordWarning,
    frame_record,
    masked_crc32c,
    walk_records,
)
from neuroboard.io.logdir import EventsLogdir, Filters
from neuroboard.io.reader import (
    FileRecordReader,
    SkippedPathWarning,
    iter_events,
    next_record_start,
    read_events,
    read_records,
    run_files,
)
from neuroboard.io.writer import EventWriter
from tests import tb
from tests.stopping import fails_after


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
        _claim_length(8, 12 * _SIZE + 3),
    ],
    ids=["intact", "length", "payload", "overwritten", "deleted", "lying length"],
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


def _all_of(*changes):
    def change(data: bytearray) -> None:
        for one in changes:
            one(data)

    return change


@pytest.mark.parametrize("chunk_size", [1, 50, 3 * _SIZE, 1 << 20])
@pytest.mark.parametrize(
    "change",
    [
        _claim_length(10, 3 * _SIZE),
        _claim_length(10, 3 * _SIZE - 16),
        _claim_length(0, 39 * _SIZE - 16),
        _claim_length(10, 5),
        _all_of(_claim_length(4, 9 * _SIZE), _flip(6 * _SIZE + 20), _flip(30 * _SIZE + 1)),
    ],
    ids=["misaligned", "aligned", "to the end", "short", "with more damage"],
)
def test_every_chunk_size_reads_what_the_reference_walk_reads(tmp_path, change, chunk_size: int) -> None:
    path, data = _damaged(tmp_path, change)
    records, damage = walk_records(data)
    reader = FileRecordReader(path, final=True, chunk_size=chunk_size)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        payloads = list(reader)
    assert payloads == [payload for _offset, payload in records]
    assert [(w.message.offset, w.message.part) for w in caught] == damage
    conn = EventsLogdir(str(tmp_path), final=True, chunk_size=chunk_size)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        steps = [int(s) for b in conn.scalars(Filters()) for s in b.step]
    assert steps == [e.step for e in read_events(path, on_corrupt="skip")]
    assert [(w.message.offset, w.message.part) for w in caught] == damage


def test_a_lying_length_larger_than_a_chunk_is_checked_in_bounded_memory(tmp_path) -> None:
    # A header that claims almost the whole file: it is checked a window at a time, never read whole.
    # Steps of one varint length give records of one size; 4 MB, of which the header claims all but 3 records.
    steps = range(1 << 14, (1 << 14) + 100_000)
    records = [frame_record(scalar_event_reference("x", s, 1.0, s / 2)) for s in steps]
    size = len(records[0])
    data = bytearray(b"".join(records))
    header = struct.pack("<Q", len(data) - 3 * size - 16)
    data[2 * size : 2 * size + 12] = header + struct.pack("<I", masked_crc32c(header))
    path = str(tmp_path / "events.out.tfevents.1.host")
    with open(path, "wb") as file:
        file.write(data)
    tracemalloc.start()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            count = sum(1 for _ in FileRecordReader(path, final=True, chunk_size=1 << 14))
            conn = EventsLogdir(str(tmp_path), final=True, chunk_size=1 << 14)
            rows = sum(len(b) for b in conn.scalars(Filters()))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == rows == 100_000 - 1
    assert [(w.message.offset, w.message.part) for w in caught] == [(2 * size, "payload")] * 2
    # A bound of the read window (64 KiB here), not of the claim: 4 MB claimed, 1 MiB allowed.
    assert peak < 1 << 20, f"peak {peak} bytes reading a {len(data)}-byte file"


def test_a_large_record_still_being_written_is_waited_for_without_reading_it(tmp_path) -> None:
    # An honest writer half-way through a record far larger than a chunk: pending, not damage.
    big = frame_record(scalar_event_reference("y" * 300_000, 5, 1.0, 2.0))
    path = tmp_path / "events.out.tfevents.1.host"
    path.write_bytes(b"".join(_RECORDS[:3]) + big[:100_000])
    conn = EventsLogdir(str(tmp_path), chunk_size=1 << 12)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert [int(s) for b in conn.scalars(Filters()) for s in b.step] == [1, 2, 3]
        assert [int(s) for b in conn.scalars(Filters()) for s in b.step] == []
    with pytest.warns(CorruptRecordWarning) as caught:
        assert len(list(FileRecordReader(str(path), final=True, chunk_size=1 << 12))) == 3
    assert [(w.message.offset, w.message.part) for w in caught] == [(3 * _SIZE, "truncated")]
    with open(path, "ab") as file:
        file.write(big[100_000:] + _RECORDS[3])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert [int(s) for b in conn.scalars(Filters()) for s in b.step] == [5, 4]


# Listing a logdir: what is not a regular file is never opened, links to folders are followed.


def _one_run(folder) -> str:
    with EventWriter(str(folder)) as writer:
        writer.add_scalar("x", 1.0, 1, 1.0)
    return writer.path


def _skipped(caught) -> list[str]:
    return [w.message.path for w in caught if issubclass(w.category, SkippedPathWarning)]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_socket_or_device_named_like_an_event_file_is_passed_over_unopened(tmp_path) -> None:
    run = tmp_path / "run"
    _one_run(run)
    fifo = run / "events.out.tfevents.2.fifo"
    os.mkfifo(fifo)
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(run / "events.out.tfevents.3.sock"))
    (run / "events.out.tfevents.4.dev").symlink_to(os.devnull)
    (run / "events.out.tfevents.5.gone").symlink_to(tmp_path / "nowhere")
    try:
        with fails_after(60), warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            frame = neuroboard.collect_events(str(tmp_path), type="scalar")
            events = list(iter_events(str(tmp_path)))
    finally:
        sock.close()
    assert frame["step"].tolist() == [1] and len(events) == 2
    names = ["events.out.tfevents.2.fifo", "events.out.tfevents.3.sock", "events.out.tfevents.4.dev"]
    expected = [str(run / name) for name in [*names, "events.out.tfevents.5.gone"]] * 2
    assert _skipped(caught) == expected
    messages = [str(w.message) for w in caught]
    assert all("\n" not in m for m in messages)
    assert "a FIFO, not a regular file" in messages[0] and "a socket" in messages[1]
    assert "character device" in messages[2] and "leads nowhere" in messages[3]
    # The FIFO itself, as a file or as the logdir: passed over too, not waited on.
    with fails_after(60), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert list(read_events(str(fifo))) == []
        assert neuroboard.collect_events(str(fifo)).empty
    assert _skipped(caught) == [str(fifo)] * 2


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_follower_is_told_of_a_fifo_once(tmp_path) -> None:
    path = _one_run(tmp_path / "run")
    os.mkfifo(tmp_path / "run" / "events.out.tfevents.2.fifo")
    conn = EventsLogdir(str(tmp_path))
    with fails_after(60), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        first = [int(s) for b in conn.scalars(Filters()) for s in b.step]
        with EventWriter(os.path.dirname(path)) as writer:
            writer.add_scalar("x", 2.0, 2, 1.0)
        second = [int(s) for b in conn.scalars(Filters()) for s in b.step]
        third = [int(s) for b in conn.scalars(Filters()) for s in b.step]
    assert (first, second, third) == ([1], [2], [])
    assert _skipped(caught) == [str(tmp_path / "run" / "events.out.tfevents.2.fifo")]


def test_a_linked_run_folder_is_read_as_tensorboard_reads_it(tmp_path) -> None:
    elsewhere = tmp_path / "elsewhere"
    _one_run(elsewhere / "run")
    _one_run(elsewhere / "run" / "inner")
    logdir = tmp_path / "logdir"
    _one_run(logdir / "own")
    (logdir / "linked").symlink_to(elsewhere / "run", target_is_directory=True)
    (logdir / "own" / "again").symlink_to(elsewhere, target_is_directory=True)
    runs = run_files(str(logdir))
    assert list(runs) == ["linked", "linked/inner", "own", "own/again/run", "own/again/run/inner"]
    assert runs["linked/inner"][0].startswith(str(logdir / "linked" / "inner") + os.sep)
    assert sorted(tb.multiplexer(logdir).Runs()) == sorted(runs)
    frame = neuroboard.collect_events(str(logdir), type="scalar")
    assert sorted(frame["run"]) == sorted(runs)


def test_a_link_back_to_a_folder_that_holds_it_is_not_followed(tmp_path) -> None:
    _one_run(tmp_path / "a")
    (tmp_path / "a" / "up").symlink_to(tmp_path, target_is_directory=True)
    (tmp_path / "a" / "self").symlink_to(tmp_path / "a", target_is_directory=True)
    (tmp_path / "b").symlink_to(tmp_path / "a", target_is_directory=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        runs = run_files(str(tmp_path))
    # "b" is "a" by another name, shown twice as TensorBoard does; "b/up" is the loop seen through "b".
    assert list(runs) == ["a", "b"]
    assert sorted(_skipped(caught)) == sorted(
        str(tmp_path / run / name) for run in ("a", "b") for name in ("self", "up")
    )
    assert all("not followed" in str(w.message) for w in caught)


def _unlistable(monkeypatch, folder) -> None:
    """Make listing ``folder`` fail as a folder without read permission does (root reads through chmod)."""
    real = os.scandir

    def scandir(path=".", *args):
        if os.fspath(path) == str(folder):
            raise PermissionError(13, "Permission denied", str(folder))
        return real(path, *args)

    monkeypatch.setattr(os, "scandir", scandir)


def test_a_run_folder_that_cannot_be_listed_is_named_in_a_warning(tmp_path, monkeypatch) -> None:
    _one_run(tmp_path / "open")
    _one_run(tmp_path / "locked" / "inner")
    _unlistable(monkeypatch, tmp_path / "locked")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert list(run_files(str(tmp_path))) == ["open"]
        conn = EventsLogdir(str(tmp_path))
        for _ in range(3):
            list(conn.scalars(Filters()))
    assert _skipped(caught) == [str(tmp_path / "locked")] * 2
    assert "cannot be listed (Permission denied)" in str(caught[0].message)


def test_a_run_folder_without_read_permission_is_named_in_a_warning(tmp_path) -> None:
    _one_run(tmp_path / "open")
    locked = tmp_path / "locked"
    _one_run(locked / "inner")
    locked.chmod(0)
    try:
        if os.access(locked, os.R_OK):
            pytest.skip("permissions do not stop this user (root): the scandir test covers the path")
        with pytest.warns(SkippedPathWarning, match="locked: cannot be listed"):
            assert list(run_files(str(tmp_path))) == ["open"]
    finally:
        locked.chmod(0o755)


def test_a_file_swapped_for_a_fifo_after_its_check_is_not_waited_on(tmp_path, monkeypatch) -> None:
    # Between the check of a path and its opening, a regular file can become a FIFO: the
    # descriptor is opened without waiting and checked again.
    run = tmp_path / "run"
    with EventWriter(str(run)) as writer:
        writer.add_scalar("x", 1.0, 0, 1.0)
    (path,) = run_files(str(tmp_path))["run"]
    real_stat = os.stat
    seen = []

    def stat_then_swap(target, *args, **kwargs):
        result = real_stat(target, *args, **kwargs)
        if os.fspath(target) == path and not seen:
            seen.append(target)
            os.remove(path)
            os.mkfifo(path)
        return result

    monkeypatch.setattr(os, "stat", stat_then_swap)
    with fails_after(60), pytest.warns(SkippedPathWarning, match=r"a FIFO, not a regular file; not read"):
        assert list(read_records(path)) == []
    assert seen
