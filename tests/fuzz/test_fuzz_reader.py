"""Damaged event files, drawn by hypothesis, read through every reader path.

Real files (neuroboard's own writer and tensorboardX) are mutated: flipped bits,
truncation, inserted, deleted and overwritten bytes, lengths that claim far more
than the file holds, lengths with a valid checksum that claim a span inside the
file (and so hide the records in it from a reader that trusts them), duplicated
and swapped records, and combinations. Whatever the damage, a read may only
return intact records, return what the plain reference walk
(:func:`~neuroboard.format.records.walk_records`) returns at any chunk size,
report damage as documented, and finish in bounded time and memory.

``NEUROBOARD_FUZZ_EXAMPLES`` sets the number of cases shared by the tests (CI
keeps the default; ``make fuzz`` runs 10**5, not derandomized).
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import math
import os
import struct
import tracemalloc
import warnings
from collections.abc import Iterator

import numpy as np
import pytest
from google.protobuf.message import DecodeError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import neuroboard
from neuroboard.format.codec import Event, scalar_event_reference
from neuroboard.format.records import (
    FOOTER_SIZE,
    HEADER_SIZE,
    CorruptRecordError,
    CorruptRecordWarning,
    frame_record,
    masked_crc32c,
    walk_records,
)
from neuroboard.format.scalars import scalar_values_reference, scalars_reference
from neuroboard.io.logdir import EventsLogdir, Filters
from neuroboard.io.reader import FileRecordReader, read_events, run_files
from tests.stopping import Hang, fails_after

_EXAMPLES = int(os.environ.get("NEUROBOARD_FUZZ_EXAMPLES", "200"))
_LONG_RUN = _EXAMPLES > 1000
# The readers read at most 16 MiB at a time, whatever a length field claims.
_CHUNK_BOUND = 16 << 20
# Read 16 KiB at a time, a record that lies about its length costs at most this much, however
# much it claims: a small multiple of the 16 KiB its checks and searches read at a time.
_SMALL_CHUNK = 16 << 10
_WINDOW_BOUND = 384 << 10
# The file the lying lengths are tried in, past the bound: a reader that took a claim at its
# word read up to this much at once, and copied it.
_LARGE_FILE = 512 << 10
# A guard against hangs, far above the few milliseconds a case takes: not a timing assert.
_HANG_SECONDS = 20
_HUGE = (1 << 40, 1 << 63, 0xFFFFFFFFFFFFFFFF)
_U64 = struct.Struct("<Q")
_U32 = struct.Struct("<I")


def _settings(share: float):
    """Return hypothesis settings for a test that gets ``share`` of the case budget."""
    return settings(
        max_examples=max(1, round(_EXAMPLES * share)),
        deadline=None,
        derandomize=not _LONG_RUN,
        # CI keeps no database; a long run remembers its failures in .hypothesis.
        database=settings.default.database if _LONG_RUN else None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        print_blob=True,
    )


# -- the files to damage ----------------------------------------------------------------------------


class Source:
    """One real event file: its bytes, its records and what each reader makes of it intact."""

    # A plain class, not a dataclass: hypothesis would print every byte of it with a failure.
    def __init__(self, name: str, data: bytes, path: str) -> None:
        self.name = name
        self.data = data
        self.payloads = list(FileRecordReader(path, final=True))
        self.scalars = set(_scalar_rows(path))
        self.summaries = set(_summary_rows(path))
        self.events = set(_event_rows(path))

    def __repr__(self) -> str:
        return f"<Source {self.name}: {len(self.data)} bytes, {len(self.payloads)} records>"


def _write_neuroboard(root: str) -> None:
    rng = np.random.default_rng(0)
    with neuroboard.SummaryWriter(os.path.join(root, "scalars")) as w:
        for step in range(24):
            w.add_scalar("loss", 1.0 / (step + 1), step)
            w.add_scalar("acc", step / 24, step)
        w.add_scalars("rates", {"exc": 1.5, "inh": 2.5}, 30, layout="tags")
        w.add_series("trace", rng.normal(size=40))
    with neuroboard.SummaryWriter(os.path.join(root, "mixed")) as w:
        w.add_hparams({"lr": 0.1, "optimizer": "adam"}, {"accuracy": 0.93})
        w.add_histogram("weights", rng.normal(size=200), 0)
        w.add_image("field", rng.random((6, 5)), 0, dataformats="HW")
        w.add_text("note", "tau = 10 ms", 0)
        for step in range(6):
            w.add_scalar("loss", step * 0.5, step)
        w.add_histogram("weights", rng.normal(size=200), 1)


def _write_tensorboardx(root: str) -> None:
    tensorboardX = pytest.importorskip("tensorboardX")
    with tensorboardX.SummaryWriter(os.path.join(root, "tbx")) as w:
        for step in range(20):
            w.add_scalar("loss/train", 2.0 - step / 10, step)
        w.add_histogram("weights", np.arange(50, dtype=np.float64), 3)
        w.add_text("note", "hello", 3)


def _scalar_rows(path: str, **options) -> list[tuple]:
    frame = neuroboard.collect_events(path, type="scalar", **options)
    return [
        (run, tag, int(step), _float_key(value))
        for run, tag, step, value in zip(frame["run"], frame["tag"], frame["step"], frame["value"])
    ]


def _summary_rows(path: str, **options) -> list[tuple]:
    frame = neuroboard.collect_events(path, type="summary", **options)
    return [
        (tag, int(step), summary.proto.SerializeToString())
        for tag, step, summary in zip(frame["tag"], frame["step"], frame["summary"])
    ]


def _event_rows(path: str, **options) -> list[bytes]:
    frame = neuroboard.collect_events(path, type="any", **options)
    return [event.SerializeToString() for event in frame["event"]]


def _float_key(value: float) -> float | str:
    # NaN never equals itself: compare it by name.
    return "nan" if math.isnan(value) else float(value)


@pytest.fixture(scope="module")
def sources(tmp_path_factory) -> list[Source]:
    """Every event file of a few small runs, read intact once."""
    root = str(tmp_path_factory.mktemp("fuzz_sources"))
    _write_neuroboard(root)
    _write_tensorboardx(root)
    out = []
    for run, paths in run_files(root).items():
        for path in paths:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                with open(path, "rb") as file:
                    data = file.read()
                out.append(Source(run, data, path))
    assert len(out) >= 3 and all(len(s.payloads) > 2 for s in out)
    return out


@pytest.fixture(scope="module")
def target(tmp_path_factory) -> str:
    """The path every damaged file is written to, one at a time."""
    return str(tmp_path_factory.mktemp("fuzz_target") / "events.out.tfevents.1.fuzz")


@pytest.fixture(scope="module")
def failures(tmp_path_factory) -> str:
    """Where the bytes of a failing case are saved, to replay it."""
    return os.environ.get("NEUROBOARD_FUZZ_FAILURES") or str(tmp_path_factory.mktemp("fuzz_failures"))


# -- mutations ------------------------------------------------------------------------------------------


def _frames(data: bytes) -> list[tuple[int, int]]:
    """Return ``(start, stop)`` of the records framed from the file's start, checksums unchecked."""
    out = []
    pos = 0
    while pos + HEADER_SIZE <= len(data):
        (length,) = _U64.unpack_from(data, pos)
        stop = pos + HEADER_SIZE + length + FOOTER_SIZE
        if stop > len(data):
            break
        out.append((pos, stop))
        pos = stop
    return out


def _header(length: int, valid_crc: bool) -> bytes:
    head = _U64.pack(length)
    crc = masked_crc32c(head)
    return head + _U32.pack(crc if valid_crc else crc ^ 0x5A5A5A5A)


def _apply(data: bytes, mutation: tuple) -> bytes:
    """Return ``data`` with one mutation applied; positions wrap around the current size."""
    kind, *args = mutation
    buf = bytearray(data)
    n = len(buf)
    frames = _frames(data)
    if kind == "flip":
        pos, bits = args
        if n:
            for bit in bits:
                buf[(pos + bit // 8) % n] ^= 1 << (bit % 8)
    elif kind == "truncate":
        del buf[args[0] % (n + 1) :]
    elif kind == "insert":
        pos, chunk = args
        buf[pos % (n + 1) : pos % (n + 1)] = chunk
    elif kind == "delete":
        pos, size = args
        del buf[pos % (n + 1) : pos % (n + 1) + size]
    elif kind == "overwrite":
        pos, chunk = args
        buf[pos % (n + 1) : pos % (n + 1) + len(chunk)] = chunk
    elif kind == "huge":
        where, length, valid_crc, at_record = args
        pos = frames[where % len(frames)][0] if at_record and frames else where % (n + 1)
        buf[pos : pos + HEADER_SIZE] = _header(length, valid_crc)
    elif kind == "lie":
        # A valid length checksum over a length that ends inside the file: only the payload's fails.
        where, claim, at_record = args
        pos = frames[where % len(frames)][0] if at_record and frames else where % (n + 1)
        room = n - pos - HEADER_SIZE - FOOTER_SIZE
        if room >= 0:
            buf[pos : pos + HEADER_SIZE] = _header(claim % (room + 1), True)
    elif kind == "framed":
        # A correctly framed record of bytes that need not be an Event.
        pos, payload, at_record = args
        if at_record and frames:
            pos = frames[pos % len(frames)][0]
        buf[pos % (n + 1) : pos % (n + 1)] = frame_record(payload)
    elif kind in ("duplicate", "swap") and frames:
        i, j = (k % len(frames) for k in args)
        (a0, a1), (b0, b1) = sorted([frames[i], frames[j]])
        first, second = data[a0:a1], data[b0:b1]
        if kind == "duplicate":
            buf[b1:b1] = first
        elif a1 <= b0:
            buf[b0:b1] = first
            buf[a0:a1] = second
    return bytes(buf)


_positions = st.integers(0, 1 << 20)
_bytes = st.binary(min_size=1, max_size=64)
_mutation = st.one_of(
    st.tuples(st.just("flip"), _positions, st.lists(st.integers(0, 63), min_size=1, max_size=8)),
    st.tuples(st.just("truncate"), _positions),
    st.tuples(st.just("insert"), _positions, _bytes),
    st.tuples(st.just("delete"), _positions, st.integers(1, 300)),
    st.tuples(st.just("overwrite"), _positions, _bytes),
    st.tuples(
        st.just("huge"),
        _positions,
        st.sampled_from(_HUGE) | st.integers(1 << 32, (1 << 64) - 1),
        st.booleans(),
        st.booleans(),
    ),
    st.tuples(st.just("lie"), _positions, _positions, st.booleans()),
    st.tuples(st.just("framed"), _positions, st.binary(max_size=48), st.booleans()),
    st.tuples(st.just("duplicate"), _positions, _positions),
    st.tuples(st.just("swap"), _positions, _positions),
)
_mutations = st.lists(_mutation, min_size=1, max_size=4)


# -- guards ---------------------------------------------------------------------------------------------


def _save(failures: str, data: bytes) -> str:
    path = os.path.join(failures, hashlib.sha1(data).hexdigest()[:16] + ".tfevents")
    with open(path, "wb") as file:
        file.write(data)
    return path


@contextlib.contextmanager
def _case(failures: str, data: bytes, what: str) -> Iterator[None]:
    """Turn anything but an assertion into a failure that names the saved input."""
    try:
        with fails_after(_HANG_SECONDS):
            yield
    except AssertionError:
        raise
    except (Exception, Hang) as error:
        saved = _save(failures, data)
        raise AssertionError(f"{what}: {type(error).__name__}: {error} (input saved to {saved})") from error


def _write(target: str, data: bytes) -> str:
    with open(target, "wb") as file:
        file.write(data)
    return target


# -- properties -------------------------------------------------------------------------------------------


def _intact_records(data: bytes) -> dict[int, bytes]:
    """Return every offset of ``data`` where a correctly framed record starts, and its payload."""
    out = {}
    for pos in range(len(data) - HEADER_SIZE - FOOTER_SIZE + 1):
        head = data[pos : pos + 8]
        if masked_crc32c(head) != _U32.unpack_from(data, pos + 8)[0]:
            continue
        (length,) = _U64.unpack_from(head)
        stop = pos + HEADER_SIZE + length
        if stop + FOOTER_SIZE <= len(data):
            payload = data[pos + HEADER_SIZE : stop]
            if masked_crc32c(payload) == _U32.unpack_from(data, stop)[0]:
                out[pos] = payload
    return out


def _parsed(payloads) -> list[Event]:
    out = []
    for payload in payloads:
        try:
            out.append(Event.FromString(payload))
        except DecodeError:
            pass
    return out


def _read_records(
    path: str, data: bytes, on_corrupt: str, chunk_size: int = 1 << 24
) -> tuple[list[bytes], list, Exception | None]:
    """Return the payloads, the warnings and the error (with ``"raise"``) of one record read.

    Each payload is checked against the bytes it came from: its framing and both checksums.
    """
    reader = FileRecordReader(path, on_corrupt=on_corrupt, final=True, chunk_size=chunk_size)
    payloads: list[bytes] = []
    error = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            for payload in reader:
                start = reader.offset - len(payload) - HEADER_SIZE - FOOTER_SIZE
                stop = start + HEADER_SIZE + len(payload)
                assert data[start + HEADER_SIZE : stop] == payload, f"payload at {start} is not the file's"
                assert data[start : start + HEADER_SIZE] == _header(len(payload), True), f"header at {start}"
                assert _U32.unpack_from(data, stop)[0] == masked_crc32c(payload), f"payload CRC at {start}"
                payloads.append(payload)
        except CorruptRecordError as raised:
            if on_corrupt != "raise":
                raise
            error = raised
    return payloads, list(caught), error


def _check_reports(path: str, data: bytes, caught: list, error: Exception | None, on_corrupt: str) -> None:
    """Check that damage was reported only as documented, naming the file and an offset in it."""
    reports = [w.message for w in caught if issubclass(w.category, CorruptRecordWarning)]
    others = [w for w in caught if not issubclass(w.category, CorruptRecordWarning)]
    assert not others, f"unexpected warnings: {[str(w.message) for w in others]}"
    if on_corrupt == "skip":
        assert not reports
    if error is not None:
        reports.append(error)
    for report in reports:
        assert report.path == path and 0 <= report.offset <= len(data), str(report)
        assert path in str(report) and f"byte {report.offset}" in str(report)
    if error is not None:
        assert error.part not in ("truncated", "empty"), "a state of the file was raised as damage"


def _check_record_readers(path: str, data: bytes, chunk_size: int) -> list[bytes]:
    skipped, caught, _ = _read_records(path, data, "skip")
    _check_reports(path, data, caught, None, "skip")
    warned, caught, _ = _read_records(path, data, "warn", chunk_size)
    _check_reports(path, data, caught, None, "warn")
    assert warned == skipped, "warn and skip return different records"
    records, damage = walk_records(data)
    assert skipped == [payload for _offset, payload in records], "the reader and the reference walk differ"
    assert [(w.message.offset, w.message.part) for w in caught] == damage, "damage differs from the walk's"
    raised, caught, error = _read_records(path, data, "raise")
    _check_reports(path, data, caught, error, "raise")
    assert raised == skipped[: len(raised)], "raise returned records skip did not"
    if error is None:
        assert raised == skipped
    return skipped


def _check_read_events(path: str, data: bytes, payloads: list[bytes]) -> list[Event]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        events = list(read_events(path, on_corrupt="warn"))
    _check_reports(path, data, caught, None, "warn")
    assert events == _parsed(payloads), "read_events differs from the records it reads"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            raised = list(read_events(path, on_corrupt="raise"))
        except CorruptRecordError as error:
            _check_reports(path, data, caught, error, "raise")
        else:
            _check_reports(path, data, caught, None, "raise")
            assert raised == events
    return events


def _extra_scalars(data: bytes) -> set[tuple]:
    """Return what any correctly framed record of ``data`` could yield as a scalar row (tag, step, value)."""
    out = set()
    for event in _parsed(_intact_records(data).values()):
        for _index, tag, _simple, _plugin, number in scalar_values_reference(event):
            if number is not None:
                out.add((tag, event.step, _float_key(number)))
    return out


def _check_frames(source: Source, path: str, data: bytes, events: list[Event], raising: str) -> None:
    """Check the three DataFrames: rows the intact file has, or that an intact record of ``data`` holds."""
    readers = {"scalar": _scalar_rows, "summary": _summary_rows, "any": _event_rows}
    rows = {}
    for kind, read in readers.items():
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            rows[kind] = read(path, verify=True, on_corrupt="warn")
        _check_reports(path, data, caught, None, "warn")
    extra = None
    for row in rows["scalar"]:
        if row in source.scalars:
            continue
        extra = _extra_scalars(data) if extra is None else extra
        assert row[1:] in extra, f"scalar {row} is in neither the intact file nor an intact record"
    # The array fast path and protobuf agree on which scalars a damaged file holds.
    reference = [
        (".", tag, step, _float_key(value)) for tag, step, _wall, value in scalars_reference(events, {})
    ]
    assert sorted(rows["scalar"], key=repr) == sorted(reference, key=repr)
    framed = None
    for tag, step, value in rows["summary"]:
        if (tag, step, value) in source.summaries:
            continue
        framed = _parsed(_intact_records(data).values()) if framed is None else framed
        assert any(
            e.step == step and any(v.SerializeToString() == value for v in e.summary.value) for e in framed
        ), f"summary value {tag}@{step} is in neither the intact file nor an intact record"
    assert rows["any"] == [e.SerializeToString() for e in events]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            got = readers[raising](path, verify=True, on_corrupt="raise")
        except CorruptRecordError as error:
            _check_reports(path, data, caught, error, "raise")
        else:
            _check_reports(path, data, caught, None, "raise")
            assert got == rows[raising]


# -- the tests ---------------------------------------------------------------------------------------------


@_settings(0.4)
@given(
    choice=st.integers(0, 1 << 8),
    mutations=_mutations,
    raising=st.sampled_from(["scalar", "summary", "any"]),
    chunk_size=st.sampled_from([1, 7, 64, 1 << 24]),
)
def test_damaged_files_read_only_intact_records(
    sources, target, failures, choice, mutations, raising, chunk_size
) -> None:
    source = sources[choice % len(sources)]
    data = source.data
    for mutation in mutations:
        data = _apply(data, mutation)
    path = _write(target, data)
    with _case(failures, data, f"{source.name} {mutations}"):
        payloads = _check_record_readers(path, data, chunk_size)
        events = _check_read_events(path, data, payloads)
        _check_frames(source, path, data, events, raising)


@_settings(0.25)
@given(
    choice=st.integers(0, 1 << 8),
    where=_positions,
    length=st.sampled_from(_HUGE),
    valid_crc=st.booleans(),
    more=st.lists(_mutation, max_size=2),
)
def test_a_huge_length_allocates_nothing_near_it(
    sources, target, failures, choice, where, length, valid_crc, more
) -> None:
    source = sources[choice % len(sources)]
    k = where % len(source.payloads)
    data = _apply(source.data, ("huge", k, length, valid_crc, True))
    intact = data
    for mutation in more:
        data = _apply(data, mutation)
    path = _write(target, data)
    bound = 10 * len(data) + _CHUNK_BOUND
    with _case(failures, data, f"{source.name} huge length {length} at record {k}, then {more}"):
        tracemalloc.start()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", CorruptRecordWarning)
                payloads = list(FileRecordReader(path, on_corrupt="skip", final=True))
                _scalar_rows(path)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert peak < bound, f"peak {peak} bytes reading a {len(data)}-byte file"
    if data is intact:
        # Only the record whose length lies is lost.
        assert payloads == source.payloads[:k] + source.payloads[k + 1 :]


@pytest.fixture(scope="module")
def large(sources, tmp_path_factory) -> Source:
    """One file past the memory bound: the records of the scalar run, over and over.

    Scalars, whose records come in few sizes: a mix of many sizes read 16 KiB at a time
    is decoded a few records per call, and would take seconds a case.
    """
    (source,) = (s for s in sources if s.name == "scalars")
    records = [source.data[a:b] for a, b in _frames(source.data)[1:]]
    parts = [source.data[slice(*_frames(source.data)[0])]]
    size = len(parts[0])
    while size < _LARGE_FILE:
        parts.extend(records)
        size += sum(len(r) for r in records)
    data = b"".join(parts)
    path = str(tmp_path_factory.mktemp("fuzz_large") / "events.out.tfevents.1.large")
    with open(path, "wb") as file:
        file.write(data)
    return Source("large", data, path)


@_settings(0.03)
@given(where=_positions, claim=st.integers(0, 1 << 62))
def test_a_lying_length_costs_its_record_alone_in_bounded_memory(
    large, target, failures, where, claim
) -> None:
    # The header of record k keeps a valid checksum but claims ``claim`` bytes (cut to the file):
    # a reader that trusted it read the claim whole and lost every record inside it.
    frames = _frames(large.data)
    k = 1 + where % (len(frames) - 1)
    start, stop = frames[k]
    claim %= len(large.data) - start - HEADER_SIZE - FOOTER_SIZE + 1
    data = _apply(large.data, ("lie", start, claim, False))
    path = _write(target, data)
    expected = large.payloads if data == large.data else large.payloads[:k] + large.payloads[k + 1 :]
    assert [payload for _offset, payload in walk_records(data)[0]] == expected
    scalars = len(scalars_reference(_parsed(expected), {}))
    with _case(failures, data, f"large: record {k} claims {claim} bytes"):
        tracemalloc.start()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", CorruptRecordWarning)
                # Compared as they come: a list of them would hold the whole file.
                reader = FileRecordReader(path, on_corrupt="skip", final=True, chunk_size=_SMALL_CHUNK)
                same = all(a == b for a, b in itertools.zip_longest(reader, expected))
                conn = EventsLogdir(path, final=True, chunk_size=_SMALL_CHUNK)
                rows = sum(len(batch) for batch in conn.scalars(Filters(), on_corrupt="skip"))
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert peak < _WINDOW_BOUND, f"peak {peak} bytes reading a {len(data)}-byte file"
    assert same, "the records read are not those of the file but the lying one"
    # The scalar fast path keeps to the same records.
    assert rows == scalars


def _tensorboard_count(path: str) -> int:
    """Return how many events TensorBoard's own reader returns from the file at ``path``."""
    from tensorboard.backend.event_processing.event_file_loader import EventFileLoader

    return sum(1 for _ in EventFileLoader(path).Load())


@_settings(0.3)
@given(choice=st.integers(0, 1 << 8), where=_positions, inside=_positions, mask=st.integers(1, 255))
def test_a_flipped_byte_costs_one_record(sources, target, failures, choice, where, inside, mask) -> None:
    # TensorBoard's EventFileLoader stops at the first bad checksum; we pass over the record.
    # One byte flipped in the middle record of each source (records: TensorBoard / ours):
    #   neuroboard scalars, 92 records, damage in record 46:  46 / 91
    #   neuroboard mixed,   14 records, damage in record 7:    7 / 13
    #   tensorboardX,       23 records, damage in record 11:  11 / 22
    source = sources[choice % len(sources)]
    frames = _frames(source.data)
    k = where % len(frames)
    start, stop = frames[k]
    pos = start + inside % (stop - start)
    data = bytearray(source.data)
    data[pos] ^= mask
    data = bytes(data)
    path = _write(target, data)
    with _case(failures, data, f"{source.name}: byte {pos} of record {k} ^= {mask:#x}"):
        payloads = list(FileRecordReader(path, on_corrupt="skip", final=True))
        theirs = _tensorboard_count(path)
    assert payloads == source.payloads[:k] + source.payloads[k + 1 :]
    assert theirs == k
    if k < len(frames) - 1:
        assert len(payloads) > theirs


# -- bugs the fuzzer found, kept as plain tests ---------------------------------------------------------


def _file(tmp_path, records: list[bytes]) -> tuple[str, bytes]:
    data = b"".join(records)
    path = tmp_path / "events.out.tfevents.1.case"
    path.write_bytes(data)
    return str(path), data


def test_an_intact_record_that_is_not_an_event_is_reported_by_read_events(tmp_path) -> None:
    # Found as "framed b'\x00' inserted": read_events let protobuf's DecodeError escape.
    good = [frame_record(scalar_event_reference("x", step, 0.0, 1.0)) for step in range(3)]
    path, _ = _file(tmp_path, good[:1] + [frame_record(b"\x00")] + good[1:])
    with pytest.warns(CorruptRecordWarning) as caught:
        steps = [event.step for event in read_events(path)]
    assert steps == [0, 1, 2]
    assert [(w.message.offset, w.message.part) for w in caught] == [(len(good[0]), "event")]
    with pytest.raises(CorruptRecordError) as info:
        list(read_events(path, on_corrupt="raise"))
    assert (info.value.path, info.value.offset, info.value.part) == (path, len(good[0]), "event")


def test_a_damaged_record_alone_of_its_size_is_skipped_by_the_scalar_reader(tmp_path) -> None:
    # Found as "one byte inserted in the text record of a neuroboard run": the only record of
    # its size failed its checksum, and decoding the empty rest raised IndexError.
    records = [frame_record(scalar_event_reference("x", step, 0.0, 1.0)) for step in (1, 2, 3)]
    lone = bytearray(frame_record(scalar_event_reference("longer tag", 9, 0.0, 2.0)))
    lone[-FOOTER_SIZE - 1] ^= 0x01  # in the number: the record still parses as a scalar
    path, _ = _file(tmp_path, records + [bytes(lone)])
    with pytest.warns(CorruptRecordWarning) as caught:
        rows = _scalar_rows(path)
    assert rows == [(".", "x", step, 1.0) for step in (1, 2, 3)]
    assert [(w.message.offset, w.message.part) for w in caught] == [(len(b"".join(records)), "payload")]
