"""Where the numbers of one Event record lie in its bytes: its *layout*.

:func:`parse_layout` walks the protobuf wire format of one record by hand and
returns the spans of its wall time, step, tags and one-number values. Every
other byte is fixed: a record of the same size whose other bytes are equal
(and whose varints end in the same places) parses the same way, which is what
lets :mod:`neuroboard.format.scalars` read thousands of records as columns.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from google.protobuf.message import DecodeError
from tensorboard.compat.proto import types_pb2
from tensorboard.compat.proto.summary_pb2 import SummaryMetadata
from tensorboard.compat.proto.tensor_shape_pb2 import TensorShapeProto

from neuroboard.format.wire import FIXED32, FIXED64, LENGTH, VARINT, WireError, fields, read_varint

__all__ = ["Layout", "Slot", "parse_layout"]

# dtype -> how a one-element tensor stores its number in tensor_content.
_CONTENT_DTYPES = {
    types_pb2.DT_FLOAT: "<f4",
    types_pb2.DT_DOUBLE: "<f8",
    types_pb2.DT_HALF: "<f2",
    types_pb2.DT_INT8: "i1",
    types_pb2.DT_UINT8: "u1",
    types_pb2.DT_INT16: "<i2",
    types_pb2.DT_UINT16: "<u2",
    types_pb2.DT_INT32: "<i4",
    types_pb2.DT_INT64: "<i8",
    types_pb2.DT_BOOL: "?",
}
# dtype -> (TensorProto field of the typed values, how one value is read from its bytes).
_VALUE_FIELDS = {
    types_pb2.DT_FLOAT: (5, "<f4"),
    types_pb2.DT_DOUBLE: (6, "<f8"),
    types_pb2.DT_HALF: (13, "half"),
    types_pb2.DT_INT8: (7, "int"),
    types_pb2.DT_UINT8: (7, "int"),
    types_pb2.DT_INT16: (7, "int"),
    types_pb2.DT_UINT16: (7, "int"),
    types_pb2.DT_INT32: (7, "int"),
    types_pb2.DT_INT64: (10, "int"),
    types_pb2.DT_BOOL: (11, "int"),
}
_WIDTHS = {"<f4": 4, "<f8": 8}


@dataclass(frozen=True)
class Slot:
    """Where one Summary value's number lies in a layout: ``[start, stop)`` read as ``kind``.

    ``kind`` is a NumPy dtype string for fixed-width bytes, or ``"int"`` /
    ``"half"`` for a varint holding an integer or float16 bits. ``plugin`` is
    the plugin named by the value's own metadata (``None`` without metadata).
    """

    index: int
    tag: tuple[int, int]
    start: int
    stop: int
    kind: str
    simple: bool
    plugin: str | None


@dataclass
class Layout:
    """The spans of one record layout; every byte outside them is fixed."""

    size: int
    wall: int | None = None
    step: tuple[int, int] | None = None
    tags: list[tuple[int, int]] = field(default_factory=list)
    slots: list[Slot] = field(default_factory=list)
    # Tags whose values carry metadata, with its plugin, in value order.
    metadata: list[tuple[int, str]] = field(default_factory=list)

    def variable(self) -> list[tuple[int, int]]:
        """Return the spans that may differ between records of this layout, sorted."""
        spans = list(self.tags)
        if self.wall is not None:
            spans.append((self.wall, self.wall + 8))
        if self.step is not None:
            spans.append(self.step)
        spans.extend((slot.start, slot.stop) for slot in self.slots)
        return sorted(spans)

    def varints(self) -> list[tuple[int, int]]:
        """Return the varint spans among :meth:`variable`: their continuation bits must match."""
        spans = [self.step] if self.step is not None else []
        spans.extend((s.start, s.stop) for s in self.slots if s.kind in ("int", "half"))
        return spans


def _tensor_slot(payload: bytes, start: int, stop: int) -> tuple[int, int, str] | None:
    """Return ``(start, stop, kind)`` of a one-number tensor's value, or ``None``."""
    dtype = 0
    shape: tuple[int, int] | None = None
    content: tuple[int, int] | None = None
    typed: dict[int, list] = {}
    seen = set()
    for number, wire, a, b in fields(payload, start, stop):
        if number in seen:
            return None
        seen.add(number)
        if number == 1 and wire == VARINT:
            dtype = read_varint(payload, a, b)[0]
        elif number == 2 and wire == LENGTH:
            shape = (a, b)
        elif number == 4 and wire == LENGTH:
            content = (a, b)
        elif number == 3:
            continue
        else:
            typed[number] = [wire, a, b]
    if shape is not None:
        dims = TensorShapeProto.FromString(payload[shape[0] : shape[1]])
        if dims.unknown_rank or int(np.prod([d.size for d in dims.dim], dtype=np.int64)) != 1:
            return None
    if content is not None and content[1] > content[0]:
        kind = _CONTENT_DTYPES.get(dtype)
        if typed or kind is None or content[1] - content[0] != np.dtype(kind).itemsize:
            return None
        return content[0], content[1], kind
    known = _VALUE_FIELDS.get(dtype)
    if known is None or set(typed) != {known[0]}:
        return None
    wire, a, b = typed[known[0]]
    kind = known[1]
    width = _WIDTHS.get(kind)
    if width is not None:
        expected_wire = FIXED32 if width == 4 else FIXED64
        if (wire == LENGTH and b - a == width) or wire == expected_wire:
            return a, b, kind
        return None
    if wire == VARINT:
        return a, b, kind
    if wire == LENGTH and b > a and read_varint(payload, a, b)[1] == b:
        return a, b, kind
    return None


def _value_spans(payload: bytes, start: int, stop: int) -> dict[int, tuple[int, int, int]] | None:
    spans: dict[int, tuple[int, int, int]] = {}
    for number, wire, a, b in fields(payload, start, stop):
        if number in spans:
            return None
        spans[number] = (wire, a, b)
    return spans


def parse_layout(payload: bytes) -> Layout | None:
    """Return the layout of one Event's bytes, or ``None`` if it cannot serve as one.

    >>> from neuroboard.format.codec import scalar_event_reference
    >>> layout = parse_layout(scalar_event_reference("loss", 3, 0.0, 1.5))
    >>> layout.step, layout.tags, [(s.start, s.stop, s.kind) for s in layout.slots]
    ((1, 2), [(8, 12)], [(13, 17, '<f4')])
    """
    layout = Layout(len(payload))
    try:
        event_fields = _value_spans(payload, 0, len(payload))
        if event_fields is None:
            return None
        if 1 in event_fields:
            wire, a, _ = event_fields[1]
            if wire != FIXED64:
                return None
            layout.wall = a
        if 2 in event_fields:
            wire, a, b = event_fields[2]
            if wire != VARINT:
                return None
            layout.step = (a, b)
        if 5 in event_fields:
            wire, a, b = event_fields[5]
            if wire != LENGTH or not _parse_summary(payload, a, b, layout):
                return None
    except (WireError, DecodeError):
        return None
    return layout


def _parse_summary(payload: bytes, start: int, stop: int, layout: Layout) -> bool:
    index = 0
    for number, wire, a, b in fields(payload, start, stop):
        if number != 1:
            continue
        if wire != LENGTH:
            return False
        spans = _value_spans(payload, a, b)
        if spans is None:
            return False
        tag = spans.get(1)
        tag_span = (tag[1], tag[2]) if tag is not None and tag[0] == LENGTH else (a, a)
        if tag is not None and tag[0] != LENGTH:
            return False
        layout.tags.append(tag_span)
        plugin = None
        if 9 in spans:
            _, ma, mb = spans[9]
            plugin = SummaryMetadata.FromString(payload[ma:mb]).plugin_data.plugin_name
            layout.metadata.append((index, plugin))
        kinds = set(spans) & {2, 3, 4, 5, 6, 8}
        if kinds == {2}:
            wire, sa, sb = spans[2]
            if wire != FIXED32:
                return False
            layout.slots.append(Slot(index, tag_span, sa, sb, "<f4", True, plugin))
        elif kinds == {8}:
            _, ta, tb = spans[8]
            found = _tensor_slot(payload, ta, tb)
            if found is not None:
                layout.slots.append(Slot(index, tag_span, *found, False, plugin))
        index += 1
    return True
