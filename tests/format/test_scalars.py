"""The layout-based scalar reader, held against the protobuf reference on odd and random streams."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tensorboard.compat.proto import types_pb2
from tensorboard.compat.proto.event_pb2 import Event, LogMessage
from tensorboard.compat.proto.summary_pb2 import HistogramProto, Summary, SummaryMetadata
from tensorboard.compat.proto.tensor_pb2 import TensorProto
from tensorboard.compat.proto.tensor_shape_pb2 import TensorShapeProto

from neuroboard.format import scalars as scalars_module
from neuroboard.format.codec import (
    FILE_VERSION,
    SCALARS_METADATA,
    encode_scalar_records,
    scalar_event_reference,
)
from neuroboard.format.layout import parse_layout
from neuroboard.format.records import RecordReader, frame_record
from neuroboard.format.scalars import (
    decode_chunk,
    positions,
    scalars_reference,
    select_scalars,
)
from neuroboard.format.scan import scan_records
from neuroboard.io.logdir import EventsLogdir, Filters

TAGS = ["loss", "acc1", "acc2", "ünï", "a/b", "x" * 40, ""]
PLUGINS = [None, "scalars", "text", "images"]


def _shape(*dims: int) -> TensorShapeProto:
    return TensorShapeProto(dim=[TensorShapeProto.Dim(size=d) for d in dims])


def _tensor(kind: str, x: float) -> TensorProto:
    """A tensor of one of the forms writers use; ``kind`` names dtype and storage."""
    with np.errstate(over="ignore"):
        return _tensor_form(kind, float(x))


def _tensor_form(kind: str, f: float) -> TensorProto:
    x = f
    i = int(np.clip(np.nan_to_num(x), -(2**31), 2**31 - 1))
    forms = {
        "f32_content": lambda: TensorProto(
            dtype=types_pb2.DT_FLOAT, tensor_shape=_shape(), tensor_content=np.float32(f).tobytes()
        ),
        "f32_val": lambda: TensorProto(dtype=types_pb2.DT_FLOAT, tensor_shape=_shape(), float_val=[f]),
        "f64_content": lambda: TensorProto(
            dtype=types_pb2.DT_DOUBLE, tensor_shape=_shape(), tensor_content=np.float64(f).tobytes()
        ),
        "f64_val": lambda: TensorProto(dtype=types_pb2.DT_DOUBLE, tensor_shape=_shape(), double_val=[f]),
        "f16_content": lambda: TensorProto(
            dtype=types_pb2.DT_HALF, tensor_shape=_shape(), tensor_content=np.float16(f).tobytes()
        ),
        "f16_val": lambda: TensorProto(
            dtype=types_pb2.DT_HALF, tensor_shape=_shape(), half_val=[int(np.float16(f).view(np.uint16))]
        ),
        "i32_val": lambda: TensorProto(dtype=types_pb2.DT_INT32, tensor_shape=_shape(), int_val=[i]),
        "i64_val": lambda: TensorProto(dtype=types_pb2.DT_INT64, tensor_shape=_shape(), int64_val=[i * 3]),
        "shape_1": lambda: TensorProto(dtype=types_pb2.DT_FLOAT, tensor_shape=_shape(1, 1), float_val=[f]),
        "vector": lambda: TensorProto(dtype=types_pb2.DT_FLOAT, tensor_shape=_shape(3), float_val=[f, f, f]),
        "string": lambda: TensorProto(dtype=types_pb2.DT_STRING, tensor_shape=_shape(), string_val=[b"hi"]),
        "empty": lambda: TensorProto(dtype=types_pb2.DT_FLOAT, tensor_shape=_shape()),
    }
    return forms[kind]()


TENSOR_KINDS = [
    "f32_content", "f32_val", "f64_content", "f64_val", "f16_content", "f16_val",
    "i32_val", "i64_val", "shape_1", "vector", "string", "empty",
]  # fmt: skip
VALUE_KINDS = ["simple", "image", "histo", *TENSOR_KINDS]


def _value(tag: str, kind: str, plugin: str | None, x: float) -> Summary.Value:
    value = Summary.Value(tag=tag)
    if kind == "simple":
        value.simple_value = x
    elif kind == "image":
        value.image.CopyFrom(Summary.Image(height=1, width=1, colorspace=1, encoded_image_string=b"png"))
    elif kind == "histo":
        value.histo.CopyFrom(
            HistogramProto(
                min=0.0, max=x if math.isfinite(x) else 1.0, num=1, bucket_limit=[1.0], bucket=[1.0]
            )
        )
    else:
        value.tensor.CopyFrom(_tensor(kind, x))
    if plugin is not None:
        value.metadata.CopyFrom(SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name=plugin)))
    return value


floats = st.one_of(
    st.floats(width=32),
    st.sampled_from([0.0, -0.0, 1.0, 1e-40, float("inf"), float("nan")]),
)
value_specs = st.tuples(st.sampled_from(TAGS), st.sampled_from(VALUE_KINDS), st.sampled_from(PLUGINS))
# An event shape: several values (or none: a log message), repeated over many steps.
event_shapes = st.lists(value_specs, min_size=0, max_size=3)
steps = st.one_of(st.integers(0, 300), st.sampled_from([0, 2**40, -5, 2**63 - 1, -(2**63)]))
walls = st.one_of(st.just(0.0), st.floats(0, 2e9, allow_nan=False))


@st.composite
def event_streams(draw) -> list[Event]:
    shapes = draw(st.lists(event_shapes, min_size=1, max_size=4))
    events = [Event(wall_time=draw(walls), file_version=FILE_VERSION)]
    for _ in range(draw(st.integers(1, 60))):
        shape = draw(st.sampled_from(shapes))
        event = Event(wall_time=draw(walls), step=draw(steps))
        if not shape:
            event.log_message.CopyFrom(LogMessage(level=LogMessage.INFO, message="note"))
        for tag, kind, plugin in shape:
            event.summary.value.append(_value(tag, kind, plugin, draw(floats)))
        events.append(event)
    return events


def _fast(buffer: bytes, plugins: dict) -> list[tuple]:
    bad: list = []
    rows = decode_chunk(buffer, 0, scan_records(buffer).blocks, on_bad=lambda *a: bad.append(a))
    assert not bad
    keep, registrations = select_scalars(rows, plugins)
    for tag, plugin, _where in registrations:
        plugins.setdefault(tag, plugin)
    chosen = np.flatnonzero(keep)
    chosen = chosen[np.argsort(positions(rows)[chosen], kind="stable")]
    return [
        (rows.tag_names[rows.tag[i]], int(rows.step[i]), float(rows.wall[i]), float(rows.value[i]))
        for i in chosen.tolist()
    ]


def _same(fast: list[tuple], reference: list[tuple]) -> None:
    assert len(fast) == len(reference)
    for got, want in zip(fast, reference):
        assert got[:3] == tuple(want[:3])
        assert (math.isnan(got[3]) and math.isnan(want[3])) or got[3] == want[3]


def _file_bytes(events: list[Event]) -> bytes:
    return b"".join(frame_record(e.SerializeToString()) for e in events)


@settings(max_examples=120, deadline=None)
@given(event_streams())
def test_fast_path_equals_protobuf_reference(events: list[Event]) -> None:
    buffer = _file_bytes(events)
    reference_plugins: dict = {}
    fast_plugins: dict = {}
    _same(_fast(buffer, fast_plugins), scalars_reference(events, reference_plugins))
    assert fast_plugins == reference_plugins


def _repeated(events: list[Event], times: int) -> list[Event]:
    out = []
    for k in range(times):
        for e in events:
            copy = Event()
            copy.CopyFrom(e)
            if copy.HasField("summary"):
                copy.step = e.step + k if e.step < 2**62 else e.step - k
            out.append(copy)
    return out


@settings(max_examples=12, deadline=None)
@given(event_streams(), st.integers(1, 4096))
def test_chunked_file_reads_equal_the_reference(tmp_path_factory, events: list[Event], chunk: int) -> None:
    # Many repeats make every layout a real array path; small chunks cut records and layouts apart.
    events = [events[0], *_repeated(events[1:], 16)]
    path = tmp_path_factory.mktemp("chunks") / "events.out.tfevents.1.host"
    path.write_bytes(_file_bytes(events))
    conn = EventsLogdir(str(path), chunk_size=chunk)
    got = [
        (b.tag_names[t], int(s), float(w), float(v))
        for b in conn.scalars(Filters())
        for t, s, w, v in zip(b.tag.tolist(), b.step, b.wall_time, b.value)
    ]
    _same(got, scalars_reference(events, {}))


def test_several_values_in_one_summary_keep_their_order() -> None:
    event = Event(wall_time=1.0, step=3)
    for tag, x in (("b", 1.0), ("a", 2.0), ("b", 3.0)):
        event.summary.value.append(_value(tag, "simple", None, x))
    buffer = _file_bytes([event] * 50)
    assert _fast(buffer, {})[:3] == [("b", 3, 1.0, 1.0), ("a", 3, 1.0, 2.0), ("b", 3, 1.0, 3.0)]


def test_tensor_before_its_tags_first_metadata_is_not_a_scalar() -> None:
    bare = Event(step=1)
    bare.summary.value.append(_value("t", "f32_val", None, 1.0))
    tagged = Event(step=2)
    tagged.summary.value.append(_value("t", "f32_val", "scalars", 2.0))
    later = Event(step=3)
    later.summary.value.append(_value("t", "f64_val", None, 3.0))
    events = [bare, tagged, later] * 20
    plugins: dict = {}
    got = _fast(_file_bytes(events), plugins)
    assert [g[1] for g in got[:4]] == [2, 3, 1, 2]
    assert plugins == {"t": "scalars"}
    _same(got, scalars_reference(events, {}))


def test_first_metadata_wins_over_later_metadata() -> None:
    text = Event(step=1)
    text.summary.value.append(_value("t", "f32_val", "text", 1.0))
    scalar = Event(step=2)
    scalar.summary.value.append(_value("t", "f32_val", "scalars", 2.0))
    assert _fast(_file_bytes([text, scalar] * 10), {}) == []


def test_damaged_payload_is_reported_and_skipped() -> None:
    records = [frame_record(scalar_event_reference("loss", s, 1.0, float(s))) for s in range(1, 200)]
    buffer = bytearray(b"".join(records))
    where = len(records[0]) * 50
    buffer[where + 30] ^= 0x01
    bad: list = []
    rows = decode_chunk(bytes(buffer), 0, scan_records(bytes(buffer)).blocks, on_bad=lambda *a: bad.append(a))
    assert bad == [(where, "payload")]
    assert sorted(rows.step.tolist()) == [s for s in range(1, 200) if s != 51]


def test_long_records_beside_scalars_are_checked_whole() -> None:
    # Same-size records of several kilobytes share one layout with a wide fixed range of bytes:
    # compared as one array and checksummed one record at a time, a damaged one is still found.
    blob = bytes(range(256)) * 12
    events = []
    for step in range(1, 41):
        events.append(
            Event(
                step=step, wall_time=1.0, summary=Summary(value=[Summary.Value(tag="x", simple_value=step)])
            )
        )
        blob_event = Event(step=step, wall_time=1.0)
        blob_event.summary.value.add(
            tag="blob", tensor=TensorProto(dtype=types_pb2.DT_STRING, string_val=[blob])
        )
        events.append(blob_event)
    records = [frame_record(e.SerializeToString()) for e in events]
    buffer = bytearray(b"".join(records))
    where = sum(len(r) for r in records[:21])
    buffer[where + 2000] ^= 0x10
    bad: list = []
    rows = decode_chunk(bytes(buffer), 0, scan_records(bytes(buffer)).blocks, on_bad=lambda *a: bad.append(a))
    assert bad == [(where, "payload")]
    keep, _ = select_scalars(rows, {})
    assert sorted(rows.step[keep].tolist()) == list(range(1, 41))


def test_layout_spans_of_a_scalar_event() -> None:
    layout = parse_layout(scalar_event_reference("loss", 300, 5.0, 1.0))
    assert layout.wall == 1 and layout.step == (10, 12)
    assert [(s.kind, s.simple) for s in layout.slots] == [("<f4", True)]


def test_scalars_with_metadata_on_every_value_read_by_layout(monkeypatch) -> None:
    # R's tfevents' form, as the functional API writes it: each record names the plugin after the float.
    layout = parse_layout(scalar_event_reference("loss", 300, 5.0, 1.0, SCALARS_METADATA))
    assert [(s.kind, s.simple, s.plugin) for s in layout.slots] == [("<f4", True, "scalars")]
    tags = ["loss", "acc"] * 150
    steps = np.repeat(np.arange(150, dtype=np.int64), 2)
    walls = 1.7e9 + np.arange(300.0)
    values = np.linspace(-1, 1, 300)
    buffer = encode_scalar_records(tags, steps, walls, values, SCALARS_METADATA)
    events = [Event.FromString(payload) for payload in RecordReader(buffer)]

    def no_fallback(*args):
        raise AssertionError("a scalar record with metadata was read record by record")

    monkeypatch.setattr(scalars_module, "_record_by_record", no_fallback)
    plugins: dict = {}
    got = _fast(buffer, plugins)
    assert plugins == {"loss": "scalars", "acc": "scalars"}
    _same(got, scalars_reference(events, {}))
    assert [g[0] for g in got[:3]] == ["loss", "acc", "loss"] and len(got) == 300


@pytest.mark.parametrize("payload", [b"\xff\xff", b"\x0a\x05ab", b"\x0b\x00"])
def test_bytes_that_are_no_message_have_no_layout(payload: bytes) -> None:
    assert parse_layout(payload) is None
