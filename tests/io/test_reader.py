"""Reading event files: our own, tensorboardX's and torch's, truncated and corrupted ones."""

from __future__ import annotations

import os

import numpy as np
import pytest

from neuroboard.format.records import CorruptRecordError
from neuroboard.io.reader import FileRecordReader, iter_events, read_events, run_files
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
    events = [e for e in (read_events(path))]
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
