"""Event messages: the reference protobuf path and the hand-encoded scalar fast path.

The messages are the compiled protos that the ``tensorboard`` package ships.
Scalar events are hot: :func:`encode_scalar_records` writes their bytes
directly, and the tests check it byte for byte against
:func:`scalar_event_reference`, which goes through protobuf.

Wire layout of one scalar event (proto3 omits zero ``wall_time`` and ``step``)::

    Event   09 <wall_time f64>  10 <step varint>  2a <len> Summary
    Summary 0a <len> Value
    Value   0a <len> <tag utf-8>  15 <simple_value f32>  [4a <len> SummaryMetadata]

The metadata, when asked for, is the same on every value, so it is one more
run of fixed bytes after the number: protobuf writes fields in number order,
and ``metadata`` (9) comes after ``simple_value`` (2). R's tfevents needs it
on every scalar (:data:`SCALARS_METADATA`); torch and tensorboardX write none.
"""

from __future__ import annotations

import itertools
import struct
from collections.abc import Sequence

import numpy as np
from tensorboard.compat.proto.event_pb2 import Event, SessionLog
from tensorboard.compat.proto.summary_pb2 import Summary, SummaryMetadata

from neuroboard.format.records import (
    FOOTER_SIZE,
    HEADER_SIZE,
    frame_record,
    frame_rows_in_place,
)

__all__ = [
    "FILE_VERSION",
    "SCALARS_METADATA",
    "Event",
    "SessionLog",
    "Summary",
    "SummaryMetadata",
    "encode_event",
    "encode_scalar_records",
    "file_version_event",
    "scalar_event_reference",
    "to_float32",
]

FILE_VERSION = "brain.Event:2"
#: The ``scalars`` plugin's metadata, its name only, serialised: what R's tfevents puts on every scalar.
SCALARS_METADATA = SummaryMetadata(
    plugin_data=SummaryMetadata.PluginData(plugin_name="scalars")
).SerializeToString()
# Below this many records of one tag and layout, a plain loop beats array set-up.
_SMALL_GROUP = 12
_F64 = struct.Struct("<d")
_VARINT_LIMITS = np.array([1 << (7 * k) for k in range(1, 10)], dtype=np.uint64)


def encode_event(event: Event) -> bytes:
    """Return ``event`` serialised and framed as one tfevents record.

    >>> len(encode_event(file_version_event(0.0))) > 16
    True
    """
    return frame_record(event.SerializeToString())


def file_version_event(wall_time: float) -> Event:
    """Return the ``brain.Event:2`` event that opens every event file.

    >>> file_version_event(1.0).file_version
    'brain.Event:2'
    """
    return Event(wall_time=wall_time, file_version=FILE_VERSION)


def scalar_event_reference(
    tag: str, step: int, wall_time: float, value: float, metadata: bytes = b""
) -> bytes:
    """Return the payload of one scalar event built through protobuf (the reference path).

    ``metadata`` is a serialised ``SummaryMetadata`` for the value, or empty for none.

    >>> scalar_event_reference("a", 1, 0.0, 2.0).hex()
    '10012a0a0a080a01611500000040'
    >>> scalar_event_reference("a", 1, 0.0, 2.0, SCALARS_METADATA).hex()
    '10012a170a150a016115000000404a0b0a090a077363616c617273'
    """
    event = Event(wall_time=wall_time, step=step)
    added = event.summary.value.add(tag=tag, simple_value=value)
    if metadata:
        added.metadata.MergeFromString(metadata)
    return event.SerializeToString()


def to_float32(values: np.ndarray | Sequence[float]) -> np.ndarray:
    """Return ``values`` as little-endian float32, as protobuf stores a ``float``.

    Out-of-range magnitudes become ±inf, as protobuf's own conversion does.

    >>> to_float32([1e40]).tolist()
    [inf]
    """
    with np.errstate(over="ignore"):
        return np.asarray(values, dtype=np.float64).astype("<f4")


def _varint(value: int) -> bytes:
    value &= 0xFFFFFFFFFFFFFFFF
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _value_suffix(tag: str, trailer: bytes) -> bytes:
    """Return the Summary field that wraps one ``tag``'s Value, up to its float bytes.

    ``trailer`` is what follows the float in the Value (its metadata field, or nothing).
    """
    tag_bytes = tag.encode("utf-8")
    value = b"\x0a" + _varint(len(tag_bytes)) + tag_bytes + b"\x15"
    value_len = len(value) + 4 + len(trailer)
    summary = b"\x0a" + _varint(value_len) + value
    return b"\x2a" + _varint(len(summary) + 4 + len(trailer)) + summary


def _step_lengths(steps_u64: np.ndarray) -> np.ndarray:
    """Return the varint length of each step, 0 for a step of 0 (omitted by proto3)."""
    lengths = np.searchsorted(_VARINT_LIMITS, steps_u64, side="right") + 1
    lengths[steps_u64 == 0] = 0
    return lengths


def _encode_small(
    suffix: bytes,
    trailer: bytes,
    steps: np.ndarray,
    walls: np.ndarray,
    values32: np.ndarray,
) -> list[bytes]:
    records = []
    value_bytes = values32.tobytes()
    for i, (step, wall) in enumerate(zip(steps.tolist(), walls.tolist())):
        wall_bytes = _F64.pack(wall)
        parts = b"\x09" + wall_bytes if wall_bytes != b"\0" * 8 else b""
        if step:
            parts += b"\x10" + _varint(step)
        records.append(frame_record(parts + suffix + value_bytes[4 * i : 4 * i + 4] + trailer))
    return records


def _encode_group(
    suffix: bytes,
    trailer: bytes,
    has_wall: bool,
    step_len: int,
    steps_u64: np.ndarray,
    walls: np.ndarray,
    values32: np.ndarray,
) -> np.ndarray:
    """Return framed records, one row each, for events that share tag and layout."""
    n = len(steps_u64)
    length = (9 if has_wall else 0) + (1 + step_len if step_len else 0) + len(suffix) + 4 + len(trailer)
    records = np.empty((n, HEADER_SIZE + length + FOOTER_SIZE), np.uint8)
    rows = records[:, HEADER_SIZE : HEADER_SIZE + length]
    varying: list[int] = []
    sources: list[np.ndarray] = []
    pos = 0
    if has_wall:
        rows[:, 0] = 0x09
        wall_bytes = walls.astype("<f8", copy=False).view(np.uint8).reshape(n, 8)
        rows[:, 1:9] = wall_bytes
        # A series logged at once shares one wall time: then those bytes are fixed.
        if not (walls == walls[0]).all():
            varying.extend(range(1, 9))
            sources.extend(np.ascontiguousarray(wall_bytes.T))
        pos = 9
    if step_len:
        rows[:, pos] = 0x10
        for k in range(step_len):
            byte = (steps_u64 >> np.uint64(7 * k)) & np.uint64(0x7F)
            if k < step_len - 1:
                byte |= np.uint64(0x80)
            byte = byte.astype(np.uint8)
            rows[:, pos + 1 + k] = byte
            varying.append(pos + 1 + k)
            sources.append(byte)
        pos += 1 + step_len
    rows[:, pos : pos + len(suffix)] = np.frombuffer(suffix, np.uint8)
    pos += len(suffix)
    value_bytes = values32.view(np.uint8).reshape(n, 4)
    rows[:, pos : pos + 4] = value_bytes
    rows[:, pos + 4 :] = np.frombuffer(trailer, np.uint8)
    varying.extend(range(pos, pos + 4))
    sources.extend(np.ascontiguousarray(value_bytes.T))
    return frame_rows_in_place(records, varying, sources)


def encode_scalar_records(
    tags: Sequence[str],
    steps: np.ndarray,
    wall_times: np.ndarray,
    values: np.ndarray,
    metadata: bytes = b"",
) -> bytes:
    """Return framed scalar events, in input order, encoded without protobuf objects.

    ``tags`` holds one tag per event, or a single tag for all; ``steps`` are
    int64, ``wall_times`` float64, ``values`` any float (stored as float32).
    ``metadata``, a serialised ``SummaryMetadata`` (such as
    :data:`SCALARS_METADATA`), goes on every value; empty, none does.
    The bytes equal :func:`scalar_event_reference` framed with
    :func:`~neuroboard.format.records.frame_record`, event by event.

    >>> data = encode_scalar_records(["a"], np.array([1]), np.array([0.0]), np.array([2.0]))
    >>> data == frame_record(scalar_event_reference("a", 1, 0.0, 2.0))
    True
    >>> data = encode_scalar_records(["a"], np.array([1]), np.array([0.0]), np.array([2.0]), SCALARS_METADATA)
    >>> data == frame_record(scalar_event_reference("a", 1, 0.0, 2.0, SCALARS_METADATA))
    True
    """
    steps = np.asarray(steps, dtype=np.int64)
    n = len(steps)
    if n == 0:
        return b""
    walls = np.asarray(wall_times, dtype=np.float64)
    values32 = to_float32(values)
    steps_u64 = steps.view(np.uint64)
    if len(tags) == 1 or tags.count(tags[0]) == n:
        tag_ids = np.zeros(n, np.intp)
        unique_tags = [tags[0]]
    else:
        index: dict[str, int] = {}
        tag_ids = np.fromiter((index.setdefault(t, len(index)) for t in tags), np.intp, n)
        unique_tags = list(index)
    step_lens = _step_lengths(steps_u64)
    has_wall = walls.view(np.uint64) != 0
    # Records of one tag and one layout (wall time present, step varint length)
    # share a length and are encoded together.
    keys = (tag_ids * 2 + has_wall) * 11 + step_lens
    trailer = b"\x4a" + _varint(len(metadata)) + metadata if metadata else b""
    suffixes = [_value_suffix(tag, trailer) for tag in unique_tags]
    cuts = np.flatnonzero(keys[1:] != keys[:-1]) + 1
    if len(cuts) <= n // 64:
        bounds = [0, *cuts.tolist(), n]
        return b"".join(
            _group_records(
                int(keys[a]), suffixes, trailer, steps[a:b], steps_u64[a:b], walls[a:b], values32[a:b]
            )
            for a, b in itertools.pairwise(bounds)
        )
    # Interleaved tags: encode each group at once, then put records back in order.
    order = np.argsort(keys, kind="stable")
    group_cuts = np.flatnonzero(np.diff(keys[order])) + 1
    records: list = [None] * n
    for idx in np.split(order, group_cuts):
        blob = _group_records(
            int(keys[idx[0]]), suffixes, trailer, steps[idx], steps_u64[idx], walls[idx], values32[idx]
        )
        size = len(blob) // len(idx)
        for i, start in zip(idx.tolist(), range(0, len(blob), size)):
            records[i] = blob[start : start + size]
    return b"".join(records)


def _group_records(
    key: int,
    suffixes: list[bytes],
    trailer: bytes,
    steps: np.ndarray,
    steps_u64: np.ndarray,
    walls: np.ndarray,
    values32: np.ndarray,
) -> bytes:
    """Return the records of one group, all of one length, concatenated."""
    step_len = key % 11
    has_wall = bool((key // 11) % 2)
    suffix = suffixes[key // 22]
    if len(steps) < _SMALL_GROUP:
        return b"".join(_encode_small(suffix, trailer, steps, walls, values32))
    return _encode_group(suffix, trailer, has_wall, step_len, steps_u64, walls, values32).tobytes()
