"""A logdir as a pandas DataFrame: ``collect_events``, ``events_logdir`` and ``value``.

``collect_events`` reads every point (no sampling) of a logdir, one event
file, or a connection from ``events_logdir`` that goes on where its last
read stopped. ``type`` chooses the table: ``"any"`` (one row per event),
``"summary"`` (one row per summary value) or ``"scalar"`` (one row per
scalar, the tidy table). Scalars are read without a protobuf object per
record; the other two parse each event. ``columns`` adds columns by name
(see :mod:`neuroboard.api.columns`): the event file and run folder of each
row, as tbparse's ``extra_columns`` gives them, and for summary values what
their metadata and headers say.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from neuroboard.api.columns import check_columns, dir_name, extra_columns
from neuroboard.api.functional import flush_logdir, get_default_logdir
from neuroboard.format.codec import Summary
from neuroboard.io.logdir import EventEntry, EventsLogdir, Filters, ScalarBatch, SummaryEntry, join_scalars
from neuroboard.summary.values import decode_value

__all__ = ["SummaryValue", "collect_events", "events_logdir", "value"]

TYPES = ("any", "summary", "scalar")
#: The columns of each type's table, before any that ``columns=`` adds.
COLUMNS = {
    "any": ("run", "step", "wall_time", "what", "event"),
    "summary": ("run", "tag", "step", "wall_time", "plugin", "summary"),
    "scalar": ("run", "tag", "step", "wall_time", "value"),
}


class SummaryValue:
    """One summary value as ``collect_events(type="summary")`` returns it; :func:`value` decodes it.

    ``proto`` is the ``Summary.Value``; ``plugin`` the plugin its tag has in
    its run (its metadata may sit on an earlier event only).

    >>> from neuroboard.summary import scalar
    >>> v = SummaryValue(scalar("loss", 0.5).value[0], "scalars")
    >>> v, v.value()
    (<SummaryValue loss (scalars)>, 0.5)
    """

    __slots__ = ("plugin", "proto")

    def __init__(self, proto: Summary.Value, plugin: str) -> None:
        self.proto = proto
        self.plugin = plugin

    @property
    def tag(self) -> str:
        """Return the value's tag."""
        return self.proto.tag

    def value(self) -> Any:
        """Return the decoded value (see :func:`value`)."""
        return decode_value(self.proto, self.plugin or None)

    def __repr__(self) -> str:
        return f"<SummaryValue {self.proto.tag} ({self.plugin or 'no plugin'})>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SummaryValue) and (self.proto, self.plugin) == (other.proto, other.plugin)

    __hash__ = None  # type: ignore[assignment]


def events_logdir(
    logdir: str | os.PathLike | None = None, *, storage_options: dict | None = None
) -> EventsLogdir:
    """Return a connection to ``logdir`` from which each ``collect_events`` returns only what is new.

    The logdir may not exist yet; files and runs that appear later are read
    when they do. An fsspec URL (``s3://bucket/exp``) is opened with
    ``storage_options``.

    >>> import tempfile, neuroboard
    >>> d = tempfile.mkdtemp(); conn = events_logdir(d)
    >>> with neuroboard.SummaryWriter(d) as w: w.add_scalar("x", 1.0, 0)
    >>> len(collect_events(conn, type="scalar")), len(collect_events(conn, type="scalar"))
    (1, 0)
    """
    if logdir is None:
        logdir = get_default_logdir()
    if not isinstance(logdir, (str, os.PathLike)):
        raise TypeError(f"events_logdir(logdir=...): expected a path, got {type(logdir).__name__}")
    return EventsLogdir(logdir, storage_options=storage_options)


def _source(logdir: Any, storage_options: dict | None) -> EventsLogdir:
    """Return what ``collect_events`` reads, after flushing what ``log_event`` wrote into it.

    Writers of other logdirs are left alone, with their errors. The flush comes before any
    listing: a remote writer's flush adds an object.
    """
    if logdir is None:
        logdir = get_default_logdir()
    if isinstance(logdir, EventsLogdir):
        flush_logdir(logdir.logdir)
        return logdir
    if not isinstance(logdir, (str, os.PathLike)):
        raise TypeError(
            f"collect_events(logdir=...): expected a path or a connection from events_logdir(), "
            f"got {type(logdir).__name__}"
        )
    if os.fspath(logdir):
        flush_logdir(logdir)
    source = EventsLogdir(logdir, final=True, storage_options=storage_options)
    # A remote store is listed here once, and the listing kept for the read.
    if not source.storage.found():
        raise FileNotFoundError(f"collect_events(logdir={os.fspath(logdir)!r}): {source.storage.missing}")
    return source


def _check_n(n: Any) -> int | None:
    # n=0 is refused, as R's collect_events refuses it: a cap of no rows is a mistake, not a read.
    if n is None:
        return None
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"collect_events(n=...): expected None or an int >= 1, got {n!r}")
    return int(n)


def collect_events(
    logdir: str | os.PathLike | EventsLogdir | None = None,
    n: int | None = None,
    type: str = "any",
    *,
    runs: str | Iterable[str] | None = None,
    tags: str | Iterable[str] | None = None,
    steps: Sequence[int | None] | None = None,
    verify: bool = True,
    on_corrupt: str = "warn",
    storage_options: dict | None = None,
    columns: str | Iterable[str] | None = None,
) -> pd.DataFrame:
    """Return the events of ``logdir`` as a DataFrame, every point of them.

    ``logdir`` is a folder of runs, one event file, or a connection from
    :func:`events_logdir` (then only what is new since its last read); by
    default the functional API's default logdir (``get_default_logdir()``).
    ``n`` (>= 1) caps the rows (events for ``"any"``, values otherwise). ``runs``
    and ``tags`` keep names or glob patterns, ``steps=(start, stop)`` keeps
    ``start <= step < stop``; they apply while reading. ``verify=False``
    skips the checksums. Damaged records are reported as ``on_corrupt``
    says (``"warn"``, ``"raise"`` or ``"skip"``) and passed over. An fsspec
    URL (``s3://bucket/exp``) is opened with ``storage_options``.

    Columns: ``"scalar"``: run, tag, step, wall_time, value. ``"summary"``:
    run, tag, step, wall_time, plugin, summary (a :class:`SummaryValue`).
    ``"any"``: run, step, wall_time, what (which field the event holds:
    ``file_version``, ``summary``, ...), event (the ``Event``). ``columns``
    names more, after these: for every type ``dir_name`` (the run as
    tbparse names it: ``""`` for the logdir itself, whose run is ``"."``)
    and ``file_name`` (the event file's base name); for ``"summary"`` also
    ``display_name``, ``description``, ``min``, ``max``, ``num``, ``sum``,
    ``sum_squares`` (histograms), ``width``, ``height`` (images),
    ``content_type``, ``length_frames``, ``sample_rate`` (audio); see
    :mod:`neuroboard.api.columns`. Naming a default column adds nothing.

    >>> import tempfile, neuroboard
    >>> d = tempfile.mkdtemp()
    >>> with neuroboard.SummaryWriter(d) as w:
    ...     for i in range(5): w.add_scalar("my_log", i / 10, i)
    >>> len(collect_events(d)), len(collect_events(d, type="summary")), len(collect_events(d, type="scalar"))
    (6, 5, 5)
    >>> collect_events(d, type="scalar", columns=["dir_name", "file_name"]).columns.tolist()[-2:]
    ['dir_name', 'file_name']
    """
    if type not in TYPES:
        raise ValueError(
            f"collect_events(type=...): expected one of {', '.join(map(repr, TYPES))}, got {type!r}"
        )
    n = _check_n(n)
    extra = check_columns(columns, type, COLUMNS[type])
    filters = Filters.make(runs, tags, steps)
    # What log_event wrote into this logdir is read back without waiting for the background flush.
    source = _source(logdir, storage_options)
    options = {"verify": bool(verify), "on_corrupt": on_corrupt}
    if type == "scalar":
        return scalar_frame(source.scalars(filters, n, **options), extra)
    if type == "summary":
        return _summary_frame(source.summary_values(filters, n, **options), extra)
    return _event_frame(source.events(filters, n, **options), extra)


def string_array(names: list[str], codes: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """Return the strings ``names[codes]`` in pandas' ``str`` dtype, taken from the few distinct names.

    >>> string_array(["a", "b"], np.array([1, 1, 0])).tolist()
    ['b', 'b', 'a']
    """
    # Taking from the few distinct strings skips pandas' check of every row.
    return pd.array(names, dtype="str").take(codes)


def _strings(names: list[str], codes: np.ndarray) -> pd.Series:
    return pd.Series(string_array(names, codes), copy=False)


def scalar_frame(batches: Iterable[ScalarBatch], columns: Sequence[str] = ()) -> pd.DataFrame:
    """Return scalar batches as ``collect_events(type="scalar")``'s table: run, tag, step, wall_time, value.

    ``columns`` may add ``dir_name`` and ``file_name``, built like the run
    column from a code per batch, not a string per row.

    >>> scalar_frame([]).columns.tolist()
    ['run', 'tag', 'step', 'wall_time', 'value']
    """
    joined = join_scalars(batches, files="file_name" in columns)
    table = {
        "run": _strings(joined.runs, joined.run),
        "tag": _strings(joined.tags, joined.tag),
        "step": joined.step,
        "wall_time": joined.wall_time,
        "value": joined.value,
    }
    if "dir_name" in columns:
        table["dir_name"] = _strings([dir_name(run) for run in joined.runs], joined.run)
    if joined.file is not None:
        table["file_name"] = _strings(joined.files, joined.file)
    return pd.DataFrame(table, copy=False)


def _summary_frame(entries: Iterable[SummaryEntry], columns: tuple[str, ...] = ()) -> pd.DataFrame:
    if columns:
        entries = list(entries)
    rows = [
        (e.run, e.value.tag, e.event.step, e.event.wall_time, e.plugin, SummaryValue(e.value, e.plugin))
        for e in entries
    ]
    frame = _frame(rows, list(COLUMNS["summary"]))
    return frame.assign(**extra_columns(entries, columns)) if columns else frame


def _event_frame(events: Iterable[EventEntry], columns: tuple[str, ...] = ()) -> pd.DataFrame:
    if columns:
        events = list(events)
    rows = [(e.run, e.event.step, e.event.wall_time, e.event.WhichOneof("what"), e.event) for e in events]
    frame = _frame(rows, list(COLUMNS["any"]))
    return frame.assign(**extra_columns(events, columns)) if columns else frame


def _frame(rows: list[tuple], columns: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(rows, columns=columns)
    # Named so that an empty frame has the dtypes of a full one.
    strings = {name: "str" for name in ("run", "tag", "plugin", "what") if name in columns}
    return frame.astype({"step": np.int64, "wall_time": np.float64, **strings})


def value(x: Any, as_list: bool = False) -> Any:
    """Return what a summary value holds: a float, an image array, (audio, rate), a str, ...

    ``x`` is a :class:`SummaryValue`, or a column (Series or list) of them.
    A single value is returned as it is; a column must hold exactly one
    unless ``as_list=True``, which returns a list with one entry per value.
    Scalars give a float; images an ``(H, W, C)`` uint8 array (``(N, H, W, C)``
    for a batch, as ``summary_image`` writes one); audio
    ``(samples, rate)``; text a str; histograms ``Histogram(edges, counts)``;
    other tensors an array.

    >>> import tempfile, neuroboard
    >>> d = tempfile.mkdtemp()
    >>> with neuroboard.SummaryWriter(d) as w: w.add_text("note", "hello", 0)
    >>> value(collect_events(d, type="summary")["summary"])
    'hello'
    """
    if isinstance(x, SummaryValue):
        return [x.value()] if as_list else x.value()
    if isinstance(x, (pd.Series, list, tuple, np.ndarray)):
        items = list(x)
        bad = next((item for item in items if not isinstance(item, SummaryValue)), None)
        if bad is not None:
            raise TypeError(f"value(x=...): expected SummaryValue entries, got a {type(bad).__name__}")
        if as_list:
            return [item.value() for item in items]
        if len(items) != 1:
            raise ValueError(
                f"value(x=...): got {len(items)} summary values; pass as_list=True to decode each of them"
            )
        return items[0].value()
    raise TypeError(
        f"value(x=...): expected a SummaryValue or a column of them "
        f"(collect_events(type='summary')['summary']), got {type(x).__name__}"
    )
