"""collect_events(columns=...): each row's event file and run folder, and what a value says of itself."""

from __future__ import annotations

import os
import re
import struct

import numpy as np
import pandas as pd
import pytest
from tensorboard.compat.proto.tensor_pb2 import TensorProto
from tensorboard.compat.proto.tensor_shape_pb2 import TensorShapeProto
from tensorboard.compat.proto.types_pb2 import DT_DOUBLE, DT_STRING

from neuroboard import EventWriter, SummaryWriter, collect_events, events_logdir, run_files, summary_metadata
from neuroboard.api.columns import EXTRA_COLUMNS
from neuroboard.format.codec import Event, Summary, SummaryMetadata
from neuroboard.summary.image import encode_png

TYPES = ("any", "summary", "scalar")
WHERE = ["dir_name", "file_name"]
STR = pd.array([], dtype="str").dtype


@pytest.fixture
def logdir(tmp_path):
    """Scalars in the logdir itself, and a run "train/a" of two files."""
    with EventWriter(str(tmp_path)) as writer:
        writer.add_scalar("loss", 1.0, 0, 10.0)
    for first in (0, 2):
        with EventWriter(str(tmp_path / "train" / "a")) as writer:
            for step in range(first, first + 2):
                writer.add_scalar("acc", step / 10, step, 20.0 + step)
    return tmp_path


def file_by_file(logdir, type: str) -> pd.DataFrame:
    """Return the rows of each event file read alone, with its run and the file's name."""
    frames = []
    for run, paths in run_files(logdir).items():
        for path in paths:
            frame = collect_events(path, type=type)
            frames.append(
                frame.assign(run=run, dir_name="" if run == "." else run, file_name=os.path.basename(path))
            )
    return pd.concat(frames, ignore_index=True).astype({"run": STR, "dir_name": STR, "file_name": STR})


def comparable(frame: pd.DataFrame) -> pd.DataFrame:
    """Return ``frame`` with its protos as their bytes: each read makes its own protos."""
    protos = {"event": lambda e: e.SerializeToString(), "summary": lambda s: s.proto.SerializeToString()}
    return frame.assign(
        **{name: frame[name].map(to_bytes) for name, to_bytes in protos.items() if name in frame}
    )


@pytest.mark.parametrize("type", TYPES)
def test_file_name_and_dir_name_of_every_row(logdir, type) -> None:
    found = collect_events(logdir, type=type, columns=WHERE)
    pd.testing.assert_frame_equal(comparable(found), comparable(file_by_file(logdir, type)))
    assert found.columns.tolist()[-2:] == WHERE
    assert len(set(found.file_name)) == 3
    assert set(zip(found.run, found.dir_name)) == {(".", ""), ("train/a", "train/a")}


@pytest.mark.parametrize("type", TYPES)
def test_without_columns_the_table_is_as_before(logdir, type) -> None:
    plain = comparable(collect_events(logdir, type=type))
    asked = collect_events(logdir, type=type, columns=WHERE)
    pd.testing.assert_frame_equal(plain, comparable(asked.drop(columns=WHERE)))
    pd.testing.assert_frame_equal(plain, comparable(collect_events(logdir, type=type, columns=[])))


@pytest.mark.parametrize("type", TYPES)
def test_names_of_the_default_columns_add_nothing(logdir, type) -> None:
    plain = collect_events(logdir, type=type)
    asked = collect_events(logdir, type=type, columns={"wall_time", "step", "file_name"})
    assert asked.columns.tolist() == [*plain.columns, "file_name"]


@pytest.mark.parametrize("type", TYPES)
def test_columns_on_a_connection_read_in_slices(logdir, type) -> None:
    whole = collect_events(logdir, type=type, columns=WHERE)
    conn = events_logdir(logdir)
    slices = [collect_events(conn, n=2, type=type, columns="file_name")]
    while len(slices[-1]):
        slices.append(collect_events(conn, n=2, type=type, columns="file_name"))
    assert len(slices) == (len(whole) + 1) // 2 + 1
    joined = pd.concat(slices, ignore_index=True)
    assert joined.file_name.tolist() == whole.file_name.tolist()
    assert joined.dtypes.file_name == STR


@pytest.mark.parametrize("type", TYPES)
def test_empty_tables_have_the_columns_and_dtypes(tmp_path, type) -> None:
    empty = collect_events(tmp_path, type=type, columns=EXTRA_COLUMNS[type])
    assert len(empty) == 0
    assert empty.columns.tolist()[-len(EXTRA_COLUMNS[type]) :] == list(EXTRA_COLUMNS[type])
    assert empty.dtypes.file_name == empty.dtypes.dir_name == STR


@pytest.mark.parametrize(
    ("type", "columns", "error", "message"),
    [
        ("scalar", ["min"], ValueError, "expected names among 'dir_name', 'file_name' for type='scalar'"),
        ("any", ["file_name", "display_name"], ValueError, "got 'display_name'"),
        ("summary", ["filename"], ValueError, "'sample_rate' for type='summary'"),
        ("summary", [3], TypeError, "expected column names (str), got an item 3 (int)"),
        ("scalar", 3, TypeError, "expected a column name or a list of them, got int"),
    ],
)
def test_unknown_columns_are_refused_naming_the_argument_and_the_allowed_names(
    logdir, type, columns, error, message
) -> None:
    with pytest.raises(error, match=re.escape("collect_events(columns=...): ") + ".*" + re.escape(message)):
        collect_events(logdir, type=type, columns=columns)


def test_refused_columns_read_nothing_from_a_connection(logdir) -> None:
    conn = events_logdir(logdir)
    with pytest.raises(ValueError, match="columns"):
        collect_events(conn, type="scalar", columns=["nope"])
    assert len(collect_events(conn, type="scalar")) == 5


# -- what a summary value says of itself -----------------------------------------------------------


def _metadata(
    plugin: str, display_name: str = "", description: str = "", content: bytes = b""
) -> SummaryMetadata:
    metadata = SummaryMetadata(display_name=display_name, summary_description=description)
    metadata.plugin_data.plugin_name = plugin
    metadata.plugin_data.content = content
    return metadata


def _event(step: int, value: Summary.Value) -> Event:
    return Event(step=step, wall_time=1.0 + step, summary=Summary(value=[value]))


def test_display_name_and_description_are_those_of_the_tags_first_metadata(tmp_path) -> None:
    with EventWriter(str(tmp_path)) as writer:
        first = Summary.Value(
            tag="loss", simple_value=1.0, metadata=_metadata("scalars", "Loss", "the *loss*")
        )
        writer.add_event(_event(0, first))
        writer.add_event(_event(1, Summary.Value(tag="loss", simple_value=0.5)))
        writer.add_event(_event(2, Summary.Value(tag="bare", simple_value=0.5)))
    found = collect_events(tmp_path, type="summary", columns=["display_name", "description"])
    assert found[["tag", "display_name", "description"]].values.tolist() == [
        ["loss", "Loss", "the *loss*"],
        ["loss", "Loss", "the *loss*"],
        ["bare", "", ""],
    ]


def _wav_float32(samples: np.ndarray, rate: int) -> bytes:
    """Return a 32-bit float WAV (format 3), as R's tfevents writes audio."""
    data = samples.astype("<f4").tobytes()
    fmt = struct.pack("<HHIIHH", 3, 1, rate, rate * 4, 4, 32)
    return (
        b"RIFF"
        + struct.pack("<I", 36 + len(data))
        + b"WAVEfmt "
        + struct.pack("<I", 16)
        + fmt
        + b"data"
        + (struct.pack("<I", len(data)) + data)
    )


def _strings(*items: bytes) -> TensorProto:
    shape = TensorShapeProto(dim=[TensorShapeProto.Dim(size=len(items))])
    return TensorProto(dtype=DT_STRING, tensor_shape=shape, string_val=list(items))


def test_kind_columns_from_fields_and_headers_in_every_form(tmp_path) -> None:
    png = encode_png(np.zeros((4, 5, 3), np.uint8))
    buckets = TensorProto(
        dtype=DT_DOUBLE,
        tensor_shape=TensorShapeProto(dim=[TensorShapeProto.Dim(size=2), TensorShapeProto.Dim(size=3)]),
        double_val=[0.0, 1.0, 3.0, 1.0, 2.5, 4.0],
    )
    with SummaryWriter(str(tmp_path / "legacy")) as writer:
        writer.add_histogram("h", np.array([0.5, 1.5, 1.5, 2.0]), 0)
        writer.add_image("i", np.zeros((6, 7, 3)), 0, dataformats="HWC")
        writer.add_scalar("s", 1.0, 0)
    with EventWriter(str(tmp_path / "tensors")) as writer:
        writer.add_event(_event(0, Summary.Value(tag="h", tensor=buckets, metadata=_metadata("histograms"))))
        # R's tfevents writes an image's sizes as one raw byte each: they are read from the PNG.
        image = _strings(b"\x05", b"\x04", png)
        writer.add_event(_event(0, Summary.Value(tag="i", tensor=image, metadata=_metadata("images"))))
        # Sizes of 48 to 57 are then the bytes of the digits 0 to 9: still the PNG's.
        digits = _strings(bytes([56]), bytes([52]), encode_png(np.zeros((52, 56, 3), np.uint8)))
        writer.add_event(_event(0, Summary.Value(tag="j", tensor=digits, metadata=_metadata("images"))))
        clip = _strings(_wav_float32(np.linspace(-1, 1, 30), 16000))
        writer.add_event(_event(0, Summary.Value(tag="a", tensor=clip, metadata=_metadata("audio"))))
    columns = EXTRA_COLUMNS["summary"][2:]
    found = collect_events(tmp_path, type="summary", columns=columns).set_index(["run", "tag"])
    legacy_h = found.loc[("legacy", "h")]
    assert [legacy_h[name] for name in ("min", "max", "num", "sum", "sum_squares")] == [
        0.5,
        2.0,
        4.0,
        5.5,
        0.25 + 2.25 + 2.25 + 4.0,
    ]
    tensor_h = found.loc[("tensors", "h")]
    assert [tensor_h[name] for name in ("min", "max", "num")] == [0.0, 2.5, 7.0]
    assert np.isnan(tensor_h["sum"]) and np.isnan(tensor_h["sum_squares"])
    assert (found.loc[("legacy", "i"), "width"], found.loc[("legacy", "i"), "height"]) == (7, 6)
    assert (found.loc[("tensors", "i"), "width"], found.loc[("tensors", "i"), "height"]) == (5, 4)
    assert (found.loc[("tensors", "j"), "width"], found.loc[("tensors", "j"), "height"]) == (56, 52)
    audio = found.loc[("tensors", "a")]
    assert (audio.content_type, audio.length_frames, audio.sample_rate) == ("audio/wav", 30, 16000.0)
    # Rows of another kind: missing values.
    scalar = found.loc[("legacy", "s")]
    assert np.isnan(scalar["min"]) and pd.isna(scalar.width) and pd.isna(scalar.content_type)
    assert found.dtypes.width == "Int64" and found.dtypes.sample_rate == np.float64


def test_display_names_survive_a_step_range_and_a_scalar_free_any_read(tmp_path) -> None:
    # The first metadata of a tag may sit on an event outside the steps asked for.
    meta = summary_metadata("scalars", display_name="Loss", description="training loss")
    with EventWriter(str(tmp_path)) as writer:
        first = Summary.Value(tag="loss", simple_value=1.0, metadata=meta)
        writer.add_event(_event(0, first))
        for step in (1, 2):
            writer.add_event(_event(step, Summary.Value(tag="loss", simple_value=float(step))))
    found = collect_events(tmp_path, type="summary", steps=(1, None), columns=["display_name", "description"])
    assert found[["step", "plugin", "display_name", "description"]].values.tolist() == [
        [1, "scalars", "Loss", "training loss"],
        [2, "scalars", "Loss", "training loss"],
    ]
    conn = events_logdir(tmp_path)
    # The file's version event, then the event with the metadata, read as events.
    assert collect_events(conn, n=2).step.tolist() == [0, 0]
    later = collect_events(conn, type="summary", columns=["display_name"])
    assert later.display_name.tolist() == ["Loss", "Loss"]
