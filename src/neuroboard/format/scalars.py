"""Scalar values out of event records, at array speed, with protobuf as the reference.

Records written by one writer share a few *layouts*: the same bytes everywhere
except the wall time, the step, the tag and the number.
:func:`~neuroboard.format.layout.parse_layout` walks one record by hand to find those spans; every record of the same size
whose other bytes equal it (and whose varints end where its varints end)
parses the same way, so its numbers are read from fixed columns of a byte
matrix. :func:`decode_scalar_rows` does that for a matrix of framed records,
checking their payload checksums on the way, and hands the records no layout
explains to :func:`scalar_values_reference`, the per-record protobuf path that
the tests hold it against.

Which values are scalars follows TensorBoard: a ``simple_value`` always is; a
tensor is when the first metadata seen for its tag in the run names the
``scalars`` plugin and it holds exactly one number.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from google.protobuf.message import DecodeError

from neuroboard.format.codec import Event
from neuroboard.format.layout import Layout, Slot, parse_layout
from neuroboard.format.records import (
    FOOTER_SIZE,
    HEADER_SIZE,
    TABLE_CRC_MAX,
    _crc,
    _mask_array,
    _tables_up_to,
    payload_intact,
    row_crcs,
)
from neuroboard.format.scan import Block, rows_by_size

__all__ = [
    "SCALARS_PLUGIN",
    "VALUES_PER_RECORD",
    "Plugins",
    "Registration",
    "ScalarRows",
    "decode_chunk",
    "decode_scalar_rows",
    "empty_rows",
    "field_view",
    "positions",
    "scalar_values_reference",
    "scalars_reference",
    "select_scalars",
    "varying_columns",
]

SCALARS_PLUGIN = "scalars"

# The plugin of each tag of a run: the one its first metadata names.
Plugins = dict[str, str]


def field_view(rows: np.ndarray, start: int, dtype: str) -> np.ndarray:
    """Return column bytes ``[start, start + itemsize)`` of every row read as one ``dtype``, without a copy.

    >>> rows = np.arange(8, dtype=np.uint8).reshape(2, 4)
    >>> field_view(rows, 1, "<u2").tolist()
    [513, 1541]
    """
    width = np.dtype(dtype).itemsize
    return rows[:, start : start + width].view(dtype)[:, 0]


# Widest range of columns compared piece by piece, 8 bytes at a time.
_PIECEWISE_MAX = 64


def _equal_bytes(rows: np.ndarray, start: int, stop: int, expected: np.ndarray) -> np.ndarray:
    """Return which rows hold ``expected`` at columns ``[start, stop)``, comparing 8 bytes at a time."""
    if stop - start > _PIECEWISE_MAX:
        # Wide ranges (the bytes of an image, say): one array comparison beats a Python loop of pieces.
        return (rows[:, start:stop] == expected).all(axis=1)
    ok = np.ones(len(rows), bool)
    for pos, width, dtype in _pieces(start, stop):
        ok &= field_view(rows, pos, dtype) == expected[pos - start : pos - start + width].view(dtype)[0]
    return ok


def _pieces(start: int, stop: int) -> list[tuple[int, int, str]]:
    """Split columns ``[start, stop)`` into 8-, 4-, 2- and 1-byte pieces ``(pos, width, dtype)``."""
    out = []
    pos = start
    while pos < stop:
        width = next(w for w in (8, 4, 2, 1) if w <= stop - pos)
        out.append((pos, width, {8: "<u8", 4: "<u4", 2: "<u2", 1: "u1"}[width]))
        pos += width
    return out


def varying_columns(rows: np.ndarray, start: int, stop: int) -> list[int]:
    """Return the columns in ``[start, stop)`` whose byte is not the same in every row.

    >>> varying_columns(np.array([[1, 2, 3], [1, 5, 3]], np.uint8), 0, 3)
    [1]
    """
    out = []
    for pos, width, dtype in _pieces(start, stop):
        view = field_view(rows, pos, dtype)
        differs = int(np.bitwise_or.reduce(view ^ view[0])) if len(view) else 0
        out.extend(pos + k for k in range(width) if (differs >> (8 * k)) & 0xFF)
    return out


def _read_varints(rows: np.ndarray, start: int, stop: int) -> np.ndarray:
    out = np.zeros(len(rows), np.uint64)
    for k in range(stop - start):
        out |= (rows[:, start + k] & np.uint8(0x7F)).astype(np.uint64) << np.uint64(7 * k)
    return out


def _read_numbers(rows: np.ndarray, slot: Slot) -> np.ndarray:
    if slot.kind == "int":
        return _read_varints(rows, slot.start, slot.stop).view(np.int64).astype(np.float64)
    if slot.kind == "half":
        bits = _read_varints(rows, slot.start, slot.stop).astype(np.uint16)
        return bits.view(np.float16).astype(np.float64)
    return field_view(rows, slot.start, slot.kind).astype(np.float64)


@dataclass
class ScalarRows:
    """Summary values of some records that hold a number or name a plugin, one entry each.

    ``order`` is the record's byte offset and ``index`` the value's position
    in its Summary: together they give file order. ``tag`` and ``plugin``
    index ``tag_names`` and ``plugin_names`` (``plugin`` is -1 for a value
    without metadata). ``numeric`` marks values that hold one number, in
    ``value``; ``simple`` marks ``simple_value``. :func:`select_scalars`
    says which entries are scalars.
    """

    order: np.ndarray
    index: np.ndarray
    tag: np.ndarray
    step: np.ndarray
    wall: np.ndarray
    value: np.ndarray
    numeric: np.ndarray
    simple: np.ndarray
    plugin: np.ndarray
    tag_names: list[str]
    plugin_names: list[str]

    def __len__(self) -> int:
        return len(self.order)

    @classmethod
    def concat(cls, parts: list[ScalarRows]) -> ScalarRows:
        """Return one ScalarRows holding every part's entries."""
        if len(parts) == 1:
            return parts[0]
        tags: dict[str, int] = {}
        plugins: dict[str, int] = {}
        tag_codes, plugin_codes = [], []
        for part in parts:
            tag_map = np.array([tags.setdefault(t, len(tags)) for t in part.tag_names] + [0], np.int32)
            plugin_map = np.array(
                [plugins.setdefault(p, len(plugins)) for p in part.plugin_names] + [-1],
                np.int16,
            )
            tag_codes.append(tag_map[part.tag])
            plugin_codes.append(plugin_map[part.plugin])
        columns = {name: np.concatenate([getattr(p, name) for p in parts]) for name in _COLUMNS}
        columns["tag"] = np.concatenate(tag_codes)
        columns["plugin"] = np.concatenate(plugin_codes)
        return cls(**columns, tag_names=list(tags), plugin_names=list(plugins))


_COLUMNS = (
    "order",
    "index",
    "tag",
    "step",
    "wall",
    "value",
    "numeric",
    "simple",
    "plugin",
)


def _rows(
    n: int,
    order,
    index,
    tag,
    step,
    wall,
    value,
    numeric,
    simple,
    plugin,
    tag_names,
    plugin_names,
) -> ScalarRows:
    def full(x, dtype):
        return x if isinstance(x, np.ndarray) and x.shape == (n,) else np.full(n, x, dtype)

    return ScalarRows(
        full(order, np.int64),
        full(index, np.int16),
        full(tag, np.int32),
        full(step, np.int64),
        full(wall, np.float64),
        full(value, np.float64),
        full(numeric, bool),
        full(simple, bool),
        full(plugin, np.int16),
        tag_names,
        plugin_names,
    )


def empty_rows() -> ScalarRows:
    """Return a ScalarRows with no entries."""
    return _rows(0, 0, 0, 0, 0, 0.0, 0.0, False, False, -1, [], [])


def scalar_values_reference(
    event: Event,
) -> list[tuple[int, str, bool, str | None, float | None]]:
    """Return ``(index, tag, simple, metadata plugin, number)`` per value that has either, via protobuf.

    ``number`` is ``None`` for a value that holds no single number but whose
    metadata names its tag's plugin.

    >>> from neuroboard.format.codec import scalar_event_reference
    >>> scalar_values_reference(Event.FromString(scalar_event_reference("loss", 3, 0.0, 1.5)))
    [(0, 'loss', True, None, 1.5)]
    """
    out = []
    for index, value in enumerate(event.summary.value):
        plugin = value.metadata.plugin_data.plugin_name if value.HasField("metadata") else None
        kind = value.WhichOneof("value")
        number = None
        if kind == "simple_value":
            number = float(value.simple_value)
        elif kind == "tensor":
            number = _tensor_number(value.tensor)
        if number is not None or plugin is not None:
            out.append((index, value.tag, kind == "simple_value", plugin, number))
    return out


def _tensor_number(tensor) -> float | None:
    try:
        # Imported here: tensor_util pulls in TensorBoard's file-system layer, a third of a second
        # at import, and only the reference path needs it.
        from tensorboard.util.tensor_util import make_ndarray

        array = make_ndarray(tensor)
    except (TypeError, ValueError, OverflowError):
        return None
    if array.size != 1 or array.dtype.kind not in "biuf":
        return None
    return float(array.reshape(-1)[0])


def scalars_reference(events: list[Event], plugins: Plugins) -> list[tuple[str, int, float, float]]:
    """Return ``(tag, step, wall_time, value)`` of every scalar in ``events``, in order, via protobuf.

    ``plugins`` maps each tag of the run to the plugin of its first metadata;
    it is updated as the events are read.

    >>> from neuroboard.format.codec import scalar_event_reference
    >>> scalars_reference([Event.FromString(scalar_event_reference("a", 2, 1.0, 0.5))], {})
    [('a', 2, 1.0, 0.5)]
    """
    out = []
    for event in events:
        for _index, tag, simple, plugin, number in scalar_values_reference(event):
            if plugin is not None:
                plugins.setdefault(tag, plugin)
            if number is not None and (simple or plugins.get(tag) == SCALARS_PLUGIN):
                out.append((tag, event.step, event.wall_time, number))
    return out


def _fixed_ranges(layout: Layout) -> list[tuple[int, int]]:
    ranges = []
    pos = 0
    for a, b in layout.variable():
        if a > pos:
            ranges.append((pos, a))
        pos = max(pos, b)
    if pos < layout.size:
        ranges.append((pos, layout.size))
    return ranges


def _matches(payloads: np.ndarray, template: np.ndarray, layout: Layout) -> np.ndarray:
    """Return which rows share the template's fixed bytes and varint ends."""
    ok = np.ones(len(payloads), bool)
    for a, b in _fixed_ranges(layout):
        ok &= _equal_bytes(payloads, a, b, template[a:b])
    for a, b in layout.varints():
        for column in range(a, b - 1):
            ok &= payloads[:, column] >= 0x80
        ok &= payloads[:, b - 1] < 0x80
    return ok


def _checksums_hold(rows: np.ndarray, layout: Layout) -> np.ndarray:
    """Return which framed rows' payload checksums hold, reading only the variable columns.

    Every row must share ``layout``: the bytes outside its spans are the same in all.
    """
    n, size = rows.shape
    length = size - HEADER_SIZE - FOOTER_SIZE
    payloads = rows[:, HEADER_SIZE : size - FOOTER_SIZE]
    if length > TABLE_CRC_MAX:
        return _mask_array(row_crcs(payloads)) == field_view(rows, size - FOOTER_SIZE, "<u4")
    # Columns that hold one byte in every row are folded into the template.
    columns = [c for a, b in layout.variable() for c in varying_columns(payloads, a, b)]
    base = np.array(payloads[0])
    base[columns] = 0
    crc = np.full(n, _crc(base.tobytes()), np.uint32)
    tables = _tables_up_to(length - 1)
    for column in columns:
        crc ^= tables[length - 1 - column][rows[:, HEADER_SIZE + column]]
    return _mask_array(crc) == field_view(rows, size - FOOTER_SIZE, "<u4")


def _decode_tags(payloads: np.ndarray, span: tuple[int, int]) -> tuple[list[str], np.ndarray]:
    """Return the distinct tags at ``span`` of every row and each row's index into them."""
    a, b = span
    n = len(payloads)
    varying = varying_columns(payloads, a, b)
    if not varying:
        return [bytes(payloads[0, a:b]).decode("utf-8")], np.zeros(n, np.int32)
    if len(varying) == 1:
        # One byte tells the tags apart: index by it rather than sort.
        column = payloads[:, varying[0]]
        seen = np.zeros(256, bool)
        seen[column] = True
        values = np.flatnonzero(seen)
        codes = np.cumsum(seen, dtype=np.int32) - 1
        first = [int(np.argmax(column == v)) for v in values.tolist()]
        names = [bytes(payloads[i, a:b]).decode("utf-8") for i in first]
        return names, codes[column]
    if len(varying) <= 8:
        key = np.zeros(n, np.uint64)
        for k, column in enumerate(varying):
            key |= payloads[:, column].astype(np.uint64) << np.uint64(8 * k)
    else:
        key = np.ascontiguousarray(payloads[:, a:b]).view(f"V{b - a}").reshape(n)
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    names = [bytes(payloads[i, a:b]).decode("utf-8") for i in first.tolist()]
    return names, inverse.reshape(n).astype(np.int32)


def _layout_rows(layout: Layout, payloads: np.ndarray, offsets: np.ndarray) -> ScalarRows:
    """Return the entries of records that all share ``layout``."""
    n = len(payloads)
    wall = field_view(payloads, layout.wall, "<f8").copy() if layout.wall is not None else 0.0
    step = _read_varints(payloads, *layout.step).view(np.int64) if layout.step is not None else 0
    numbered = {slot.index: slot for slot in layout.slots}
    plugins = {index: plugin for index, plugin in layout.metadata}
    parts = []
    for index in sorted(set(numbered) | set(plugins)):
        slot = numbered.get(index)
        plugin = plugins.get(index)
        names, tag = _decode_tags(payloads, layout.tags[index])
        parts.append(
            _rows(
                n,
                offsets,
                index,
                tag,
                step,
                wall,
                _read_numbers(payloads, slot) if slot is not None else np.nan,
                slot is not None,
                slot is not None and slot.simple,
                0 if plugin is not None else -1,
                names,
                [plugin] if plugin is not None else [],
            )
        )
    return ScalarRows.concat(parts) if parts else empty_rows()


def _reference_rows(events: list[Event], offsets: list[int]) -> ScalarRows:
    entries = []
    tags: dict[str, int] = {}
    plugins: dict[str, int] = {}
    for event, offset in zip(events, offsets):
        for index, tag, simple, plugin, number in scalar_values_reference(event):
            entries.append(
                (
                    offset,
                    index,
                    tags.setdefault(tag, len(tags)),
                    event.step,
                    event.wall_time,
                    np.nan if number is None else number,
                    number is not None,
                    simple,
                    -1 if plugin is None else plugins.setdefault(plugin, len(plugins)),
                )
            )
    if not entries:
        return empty_rows()
    columns = list(zip(*entries))
    dtypes = (
        np.int64,
        np.int16,
        np.int32,
        np.int64,
        np.float64,
        np.float64,
        bool,
        bool,
        np.int16,
    )
    arrays = [np.array(column, dtype) for column, dtype in zip(columns, dtypes)]
    return ScalarRows(*arrays, list(tags), list(plugins))


# After this many layouts of one size that each explain few of its records,
# the rest of that size is read record by record: irregular records (images,
# text) would otherwise cost one pass over the matrix each.
_MAX_SPARSE_LAYOUTS = 4


def decode_scalar_rows(
    rows: np.ndarray,
    offsets: np.ndarray,
    *,
    verify: bool = True,
    on_bad: Callable[[int, str], None],
) -> ScalarRows:
    """Return the entries of a ``(n, size)`` matrix of framed records of one size.

    ``offsets`` gives each record's byte offset. A record whose payload
    checksum fails (when ``verify``) or that is not an Event is reported to
    ``on_bad(offset, part)`` and skipped. :func:`select_scalars` then says
    which entries are scalars.

    >>> from neuroboard.format.records import frame_record
    >>> from neuroboard.format.codec import scalar_event_reference
    >>> data = b"".join(frame_record(scalar_event_reference("x", s, 0.0, s / 2)) for s in (1, 2))
    >>> rows = np.frombuffer(data, np.uint8).reshape(2, -1)
    >>> decode_scalar_rows(rows, np.array([0, len(data) // 2]), on_bad=print).value.tolist()
    [0.5, 1.0]
    """
    n, size = rows.shape
    payloads = rows[:, HEADER_SIZE : size - FOOTER_SIZE]
    parts: list[ScalarRows] = []
    pool = np.arange(n)
    sparse = 0
    by_record: list[int] = []
    while len(pool) and sparse < _MAX_SPARSE_LAYOUTS:
        first = int(pool[0])
        template = np.array(payloads[first])
        layout = parse_layout(template.tobytes())
        if layout is None:
            by_record.append(first)
            pool = pool[1:]
            continue
        whole = len(pool) == n
        matched = _matches(payloads if whole else payloads[pool], template, layout)
        if matched.all():
            chosen, pool = pool, pool[:0]
        else:
            chosen, pool = pool[matched], pool[~matched]
        if len(chosen) * 64 < len(matched):
            sparse += 1
        chosen_rows = rows if len(chosen) == n else rows[chosen]
        chosen_offsets = offsets[chosen]
        if verify:
            good = _checksums_hold(chosen_rows, layout)
            if not good.all():
                for offset in chosen_offsets[~good].tolist():
                    on_bad(offset, "payload")
                chosen_rows, chosen_offsets = chosen_rows[good], chosen_offsets[good]
                if not len(chosen_offsets):
                    # Every record of this layout was damaged: nothing is left to decode.
                    continue
        try:
            parts.append(
                _layout_rows(
                    layout,
                    chosen_rows[:, HEADER_SIZE : size - FOOTER_SIZE],
                    chosen_offsets,
                )
            )
        except UnicodeDecodeError:
            # A tag that is not UTF-8 makes the record invalid: protobuf reports it, record by record.
            by_record.extend(np.searchsorted(offsets, chosen_offsets).tolist())
    by_record.extend(pool.tolist())
    if by_record:
        parts.append(_record_by_record(rows, offsets, sorted(by_record), verify, on_bad))
    return ScalarRows.concat(parts) if parts else empty_rows()


def _record_by_record(
    rows: np.ndarray,
    offsets: np.ndarray,
    indexes: list[int],
    verify: bool,
    on_bad: Callable[[int, str], None],
) -> ScalarRows:
    size = rows.shape[1]
    events, kept = [], []
    for i in indexes:
        record = rows[i].tobytes()
        payload = record[HEADER_SIZE : size - FOOTER_SIZE]
        offset = int(offsets[i])
        if verify and not payload_intact(record, HEADER_SIZE, size - FOOTER_SIZE):
            on_bad(offset, "payload")
            continue
        try:
            events.append(Event.FromString(payload))
        except DecodeError:
            on_bad(offset, "event")
            continue
        kept.append(offset)
    return _reference_rows(events, kept)


def decode_chunk(
    data: bytes,
    base: int,
    blocks: Sequence[Block],
    *,
    verify: bool = True,
    on_bad: Callable[[int, str], None],
) -> ScalarRows:
    """Return the entries of every record in ``blocks`` of ``data``, read from file offset ``base``.

    >>> from neuroboard.format.records import frame_record
    >>> from neuroboard.format.codec import scalar_event_reference
    >>> from neuroboard.format.scan import scan_records
    >>> data = frame_record(scalar_event_reference("x", 1, 0.0, 2.0))
    >>> decode_chunk(data, 0, scan_records(data).blocks, on_bad=print).value.tolist()
    [2.0]
    """
    array = np.frombuffer(data, np.uint8)
    parts = [
        decode_scalar_rows(rows, base + starts, verify=verify, on_bad=on_bad)
        for rows, starts in rows_by_size(array, blocks).values()
    ]
    return ScalarRows.concat(parts) if parts else empty_rows()


# Positions leave room for this many values per record (value indexes are stored as int16).
VALUES_PER_RECORD = 65536


def positions(rows: ScalarRows) -> np.ndarray:
    """Return each entry's place in file order: ``order * VALUES_PER_RECORD + index``."""
    return rows.order * VALUES_PER_RECORD + rows.index.astype(np.int64)


Registration = tuple[str, str, int]


def select_scalars(rows: ScalarRows, plugins: Plugins) -> tuple[np.ndarray, list[Registration]]:
    """Return which entries of ``rows`` are scalars, and the tags whose first metadata they hold.

    ``plugins`` maps each tag of the run already read to the plugin of its
    first metadata. Each registration is ``(tag, plugin, position)``, with
    ``position = order * VALUES_PER_RECORD + index``: the caller adds to ``plugins``
    those it keeps. Entries are judged in file order, as
    :func:`scalars_reference` judges them.

    >>> from neuroboard.format.records import frame_record
    >>> from neuroboard.format.codec import scalar_event_reference
    >>> rows = np.frombuffer(frame_record(scalar_event_reference("x", 1, 0.0, 2.0)), np.uint8)[None]
    >>> select_scalars(decode_scalar_rows(rows, np.array([0]), on_bad=print), {})[0].tolist()
    [True]
    """
    tensor = rows.numeric & ~rows.simple
    if not tensor.any() and (rows.plugin < 0).all():
        return rows.numeric.copy(), []
    position = positions(rows)
    names = rows.tag_names
    first = np.full(len(names), np.iinfo(np.int64).max, np.int64)
    first_plugin = [plugins.get(name) for name in names]
    known = np.array([p is not None for p in first_plugin], bool).reshape(len(names))
    first[known] = -1
    registrations = []
    with_metadata = np.flatnonzero((rows.plugin >= 0) & ~known[rows.tag])
    if len(with_metadata):
        ordered = with_metadata[np.argsort(position[with_metadata], kind="stable")]
        codes, where = np.unique(rows.tag[ordered], return_index=True)
        for code, i in zip(codes.tolist(), ordered[where].tolist()):
            first[code] = position[i]
            first_plugin[code] = rows.plugin_names[rows.plugin[i]]
            registrations.append((names[code], first_plugin[code], int(position[i])))
    is_scalars = np.array([p == SCALARS_PLUGIN for p in first_plugin], bool).reshape(len(names))
    tensor_ok = tensor & is_scalars[rows.tag] & (position >= first[rows.tag])
    return rows.numeric & (rows.simple | tensor_ok), registrations
