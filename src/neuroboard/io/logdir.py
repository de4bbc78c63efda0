"""A logdir read incrementally: where reading stopped in every file, and what came since.

:class:`EventsLogdir` is a connection to a logdir (or to one event file).
Each read goes on from where the last one stopped in every file, picks up
files and runs that appeared since, and leaves an incomplete record (one a
writer is still writing) for the next read, so that nothing is read twice
and nothing is lost. A read that stops after ``n`` rows in the middle of a
record remembers how many of its values it returned.

Scalars are read at array speed (:mod:`neuroboard.format.scalars`); events
and summary values are parsed by protobuf one record at a time.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
from google.protobuf.message import DecodeError

from neuroboard.format.codec import Event, Summary, SummaryMetadata
from neuroboard.format.records import FOOTER_SIZE, HEADER_SIZE
from neuroboard.format.scalars import (
    VALUES_PER_RECORD,
    Plugins,
    positions,
    select_scalars,
)
from neuroboard.io.reader import FileRecordReader, check_on_corrupt
from neuroboard.io.storage import Storage, open_storage

__all__ = [
    "EventEntry",
    "EventsLogdir",
    "Filters",
    "ScalarBatch",
    "ScalarColumns",
    "SummaryEntry",
    "join_scalars",
]

# Bytes read at a time. A few MiB keep the arrays of one chunk in cache-friendly
# sizes and bound the reader's memory to a small multiple of the result.
_CHUNK = 1 << 21


def _patterns(value: str | Iterable[str] | None, func: str, arg: str) -> tuple[str, ...] | None:
    if value is None:
        return None
    items = (value,) if isinstance(value, str) else tuple(value) if isinstance(value, Iterable) else None
    if items is None or not all(isinstance(item, str) for item in items):
        raise TypeError(
            f"{func}({arg}=...): expected a name, a glob pattern or a list of them, got {value!r}"
        )
    return items


def _bound(value: object, func: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{func}(steps=...): expected (start, stop) of ints or None, got a bound {value!r}")
    return int(value)


@dataclass(frozen=True)
class Filters:
    """What a read keeps: runs and tags by name or glob pattern, steps in ``[start, stop)``.

    >>> f = Filters.make(runs="train*", tags=["loss"], steps=(10, None))
    >>> f.keep_run("train/a"), f.keep_tag("acc"), f.start, f.stop
    (True, False, 10, None)
    """

    runs: tuple[str, ...] | None = None
    tags: tuple[str, ...] | None = None
    start: int | None = None
    stop: int | None = None

    @classmethod
    def make(
        cls,
        runs: str | Iterable[str] | None = None,
        tags: str | Iterable[str] | None = None,
        steps: Sequence[int | None] | None = None,
        func: str = "collect_events",
    ) -> Filters:
        """Return Filters from the user's arguments, checking them."""
        start = stop = None
        if steps is not None:
            if isinstance(steps, (str, bytes)) or not isinstance(steps, Sequence) or len(steps) != 2:
                raise TypeError(f"{func}(steps=...): expected (start, stop), got {steps!r}")
            start, stop = _bound(steps[0], func), _bound(steps[1], func)
        return cls(_patterns(runs, func, "runs"), _patterns(tags, func, "tags"), start, stop)

    def keep_run(self, run: str) -> bool:
        """Return whether ``run`` is read."""
        return self.runs is None or any(fnmatch.fnmatchcase(run, p) for p in self.runs)

    def keep_tag(self, tag: str) -> bool:
        """Return whether values of ``tag`` are kept."""
        return self.tags is None or any(fnmatch.fnmatchcase(tag, p) for p in self.tags)

    def keep_step(self, step: int) -> bool:
        """Return whether ``step`` lies in ``[start, stop)``."""
        return (self.start is None or step >= self.start) and (self.stop is None or step < self.stop)

    def step_mask(self, steps: np.ndarray) -> np.ndarray | None:
        """Return which ``steps`` are kept, or ``None`` when all are."""
        mask = None
        if self.start is not None:
            mask = steps >= self.start
        if self.stop is not None:
            below = steps < self.stop
            mask = below if mask is None else mask & below
        return mask


@dataclass
class ScalarBatch:
    """Scalars of one run read together: ``tag`` indexes ``tag_names``; ``path`` is their event file."""

    run: str
    tag_names: list[str]
    tag: np.ndarray
    step: np.ndarray
    wall_time: np.ndarray
    value: np.ndarray
    path: str = ""

    def __len__(self) -> int:
        return len(self.step)


@dataclass
class ScalarColumns:
    """Scalar batches joined into columns: ``run``, ``tag`` and ``file`` are codes into ``runs``, ``tags`` and ``files``.

    ``files`` holds the event files' base names, and ``file`` is None unless
    :func:`join_scalars` was asked for them.

    >>> batch = ScalarBatch("a", ["loss", "acc"], np.array([1, 0], np.int32), np.arange(2), np.zeros(2), np.ones(2))
    >>> columns = join_scalars([batch]); columns.tags, columns.tag.tolist()
    (['loss', 'acc'], [1, 0])
    """

    runs: list[str]
    run: np.ndarray
    tags: list[str]
    tag: np.ndarray
    step: np.ndarray
    wall_time: np.ndarray
    value: np.ndarray
    files: list[str] = field(default_factory=list)
    file: np.ndarray | None = None


def join_scalars(batches: Iterable[ScalarBatch], files: bool = False) -> ScalarColumns:
    """Return the rows of ``batches`` in order as columns, a code per row for its run, tag and (``files``) file.

    Codes number the names in order of first appearance, so that a table
    builds its string columns from a few distinct strings.

    >>> batch = ScalarBatch("a", ["loss"], np.zeros(2, np.int32), np.arange(2), np.zeros(2), np.ones(2))
    >>> join_scalars([batch, batch]).tag.tolist()
    [0, 0, 0, 0]
    """
    runs: dict[str, int] = {}
    tags: dict[str, int] = {}
    names: dict[str, int] = {}
    run_codes, tag_codes, file_codes, steps, walls, values = [], [], [], [], [], []
    for batch in batches:
        code = runs.setdefault(batch.run, len(runs))
        lookup = np.array([tags.setdefault(t, len(tags)) for t in batch.tag_names], np.int32)
        run_codes.append(np.full(len(batch), code, np.int32))
        tag_codes.append(lookup[batch.tag] if len(lookup) else batch.tag)
        steps.append(batch.step)
        walls.append(batch.wall_time)
        values.append(batch.value)
        if files:
            name = os.path.basename(batch.path)
            file_codes.append(np.full(len(batch), names.setdefault(name, len(names)), np.int32))
    return ScalarColumns(
        list(runs),
        _joined(run_codes, np.int32),
        list(tags),
        _joined(tag_codes, np.int32),
        _joined(steps, np.int64),
        _joined(walls, np.float64),
        _joined(values, np.float64),
        list(names),
        _joined(file_codes, np.int32) if files else None,
    )


def _joined(parts: list[np.ndarray], dtype: type) -> np.ndarray:
    # Each column's chunks are freed as soon as they are joined, to bound peak memory.
    out = np.concatenate(parts) if parts else np.zeros(0, dtype)
    parts.clear()
    return out


@dataclass
class SummaryEntry:
    """One summary value with its event and event file, and the plugin its tag has in its run.

    ``metadata`` is the first metadata of its tag in its run that the
    connection's event and summary reads have met (TensorBoard keeps that
    one), None while there is none.
    """

    run: str
    event: Event
    value: Summary.Value
    plugin: str
    path: str = ""
    metadata: SummaryMetadata | None = None


class EventEntry(NamedTuple):
    """One event, with its run and its event file (a tuple: ``run, event, path = entry``)."""

    run: str
    event: Event
    path: str


class EventsLogdir:
    """A connection to a logdir (or one event file) that remembers where each read stopped.

    ``logdir`` may be an fsspec URL (``s3://bucket/exp``), opened with
    ``storage_options``: each read lists it once and reads the new bytes of
    each object by byte ranges, ``chunk_size`` at a time. ``storage`` is
    where its files are (:func:`~neuroboard.io.storage.open_storage`).

    >>> import tempfile, neuroboard
    >>> d = tempfile.mkdtemp(); conn = EventsLogdir(d)
    >>> with neuroboard.SummaryWriter(d) as w: w.add_scalar("x", 1.0, 0)
    >>> sum(len(b) for b in conn.scalars()), sum(len(b) for b in conn.scalars())
    (1, 0)
    """

    def __init__(
        self,
        logdir: str | os.PathLike,
        *,
        final: bool = False,
        chunk_size: int = _CHUNK,
        storage_options: dict | None = None,
    ) -> None:
        self.logdir = os.fspath(logdir)
        self.storage: Storage = open_storage(self.logdir, storage_options)
        # Object sizes from the latest listing: the bounds of the next read.
        self._sizes: dict[str, int] = {}
        self.final = final
        self.chunk_size = chunk_size
        self._readers: dict[str, FileRecordReader] = {}
        # Per file: (offset of a record, how many of its values were already returned).
        self._skip: dict[str, tuple[int, int]] = {}
        self._plugins: dict[str, Plugins] = {}
        # Per run and tag: the first metadata met, for the columns that describe a value.
        self._metadata: dict[str, dict[str, SummaryMetadata]] = {}
        # Paths passed over with a warning: each is told once, not at every read.
        self._warned: set[str] = set()

    def __repr__(self) -> str:
        return f"EventsLogdir({self.logdir!r}, files={len(self._readers)})"

    def runs(self, *, keep: bool = False) -> dict[str, list[str]]:
        """Return each run and its event files as they are now (one run, ``"."``, for a file).

        With ``keep``, the next call returns the same listing instead of
        asking a remote store again.
        """
        listing = self.storage.runs(self._warned, keep=keep)
        self._sizes = {path: size for files in listing.values() for path, size in files if size is not None}
        return {run: [path for path, _size in files] for run, files in listing.items()}

    def _reader(self, path: str, verify: bool, on_corrupt: str) -> FileRecordReader:
        reader = self._readers.get(path)
        if reader is None:
            reader = self._readers[path] = FileRecordReader(
                path, final=self.final, chunk_size=self.chunk_size, storage=self.storage
            )
        if self._sizes:
            reader.size = self._sizes.get(path, reader.size)
        reader.verify = verify
        reader.on_corrupt = on_corrupt
        return reader

    def _files(
        self, filters: Filters, verify: bool, on_corrupt: str
    ) -> Iterator[tuple[str, FileRecordReader, Plugins]]:
        check_on_corrupt(on_corrupt, "collect_events")
        for run, paths in self.runs().items():
            if not filters.keep_run(run):
                continue
            plugins = self._plugins.setdefault(run, {})
            for path in paths:
                yield run, self._reader(path, verify, on_corrupt), plugins

    def scalars(
        self,
        filters: Filters = Filters(),
        n: int | None = None,
        *,
        verify: bool = True,
        on_corrupt: str = "warn",
    ) -> Iterator[ScalarBatch]:
        """Yield the scalars that are new since the last read, a batch per run and chunk of file.

        Stops after ``n`` scalars when ``n`` is given.
        """
        budget = n
        for run, reader, plugins in self._files(filters, verify, on_corrupt):
            if budget is not None and budget <= 0:
                return
            for batch in self._file_scalars(run, reader, plugins, filters, budget):
                if len(batch):
                    yield batch
                if budget is not None:
                    budget -= len(batch)
            if budget is not None and budget <= 0:
                return

    def _file_scalars(
        self,
        run: str,
        reader: FileRecordReader,
        plugins: Plugins,
        filters: Filters,
        budget: int | None,
    ) -> Iterator[ScalarBatch]:
        saved = self._skip.pop(reader.path, None)
        chunks = reader.scalar_entries()
        for entries in chunks:
            keep, registrations = select_scalars(entries, plugins)
            position = positions(entries)
            if saved is not None:
                keep &= position >= saved[0] * VALUES_PER_RECORD + saved[1]
                saved = None
            keep &= _tag_mask(entries.tag_names, filters)[entries.tag]
            steps = filters.step_mask(entries.step)
            if steps is not None:
                keep &= steps
            chosen = np.flatnonzero(keep)
            if len(chosen) > 1 and (np.diff(position[chosen]) < 0).any():
                chosen = chosen[np.argsort(position[chosen], kind="stable")]
            cut = None
            if budget is not None and len(chosen) >= budget:
                chosen = chosen[:budget]
                cut = int(position[chosen[-1]]) if len(chosen) else None
            for tag, plugin, where in registrations:
                if cut is None or where <= cut:
                    plugins.setdefault(tag, plugin)
            yield ScalarBatch(
                run,
                entries.tag_names,
                entries.tag[chosen],
                entries.step[chosen],
                entries.wall[chosen],
                entries.value[chosen],
                reader.path,
            )
            if cut is not None:
                chunks.close()
                offset, index = divmod(cut, VALUES_PER_RECORD)
                reader.offset = offset
                self._skip[reader.path] = (offset, index + 1)
                return
            if budget is not None:
                budget -= len(chosen)

    def events(
        self,
        filters: Filters = Filters(),
        n: int | None = None,
        *,
        verify: bool = True,
        on_corrupt: str = "warn",
    ) -> Iterator[EventEntry]:
        """Yield each event that is new since the last read, at most ``n``."""
        count = 0
        for run, event, offset, reader in self._records(filters, verify, on_corrupt):
            if filters.tags is not None and not any(filters.keep_tag(v.tag) for v in event.summary.value):
                continue
            if n is not None and count >= n:
                reader.offset = offset
                return
            yield EventEntry(run, event, reader.path)
            count += 1

    def summary_values(
        self,
        filters: Filters = Filters(),
        n: int | None = None,
        *,
        verify: bool = True,
        on_corrupt: str = "warn",
    ) -> Iterator[SummaryEntry]:
        """Yield each summary value that is new since the last read, at most ``n``."""
        count = 0
        for run, event, offset, reader in self._records(filters, verify, on_corrupt):
            plugins = self._plugins[run]
            described = self._metadata[run]
            skip = self._skipped(reader, offset)
            for index, value in enumerate(event.summary.value):
                tag = value.tag
                plugin = plugins.get(tag)
                if plugin is None:
                    plugin = _own_plugin(value)
                if index < skip or not filters.keep_tag(tag):
                    continue
                if n is not None and count >= n:
                    reader.offset = offset
                    self._skip[reader.path] = (offset, index)
                    return
                yield SummaryEntry(run, event, value, plugin, reader.path, described.get(tag))
                count += 1

    def _skipped(self, reader: FileRecordReader, offset: int) -> int:
        """Return how many values of the record at ``offset`` an earlier read returned."""
        saved = self._skip.pop(reader.path, None)
        return saved[1] if saved is not None and saved[0] == offset else 0

    def _records(
        self, filters: Filters, verify: bool, on_corrupt: str
    ) -> Iterator[tuple[str, Event, int, FileRecordReader]]:
        """Yield ``(run, event, record offset, reader)`` for each new event in the step range.

        ``reader.offset`` is past the event's record while the caller holds
        it; a caller that stops before using it all moves it back.
        """
        for run, reader, _plugins in self._files(filters, verify, on_corrupt):
            for payload in reader:
                offset = reader.offset - len(payload) - HEADER_SIZE - FOOTER_SIZE
                try:
                    event = Event.FromString(payload)
                except DecodeError:
                    reader.report(offset, "event")
                    continue
                # Every event counts for its tags' plugins and first metadata, in the step range or not.
                self._note_metadata(run, event)
                if filters.keep_step(event.step):
                    yield run, event, offset, reader

    def _note_metadata(self, run: str, event: Event) -> None:
        """Remember, per tag of ``run``, the plugin and the metadata of its first value that has any."""
        plugins = self._plugins[run]
        described = self._metadata.setdefault(run, {})
        for value in event.summary.value:
            if value.HasField("metadata"):
                tag = value.tag
                if tag not in plugins:
                    plugins[tag] = _own_plugin(value)
                if tag not in described:
                    described[tag] = value.metadata


def _own_plugin(value: Summary.Value) -> str:
    """Return the plugin a value names, or the one TensorBoard gives its kind."""
    if value.HasField("metadata") and value.metadata.plugin_data.plugin_name:
        return value.metadata.plugin_data.plugin_name
    return _KIND_PLUGINS.get(value.WhichOneof("value") or "", "")


_KIND_PLUGINS = {
    "simple_value": "scalars",
    "image": "images",
    "histo": "histograms",
    "audio": "audio",
}


def _tag_mask(names: list[str], filters: Filters) -> np.ndarray:
    return np.array([filters.keep_tag(name) for name in names], bool).reshape(len(names))
