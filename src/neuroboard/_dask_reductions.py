"""What a sweep is read for, reduced where the rows are: last values, per-tag statistics, mean curves.

Each helper takes the frame of :func:`neuroboard.dask.read_scalars` (or any
dask DataFrame with its columns, filtered or not) and returns a lazy one-
partition dask DataFrame: every partition is reduced on the worker that
holds it, the small partial results are combined in a tree (``split_every``
of them at a time, as dask's own reductions do), and only the final table
comes back with ``compute()``. Each equals a pandas reduction of the whole
table, which the docstrings name; means are combined from per-partition
sums and counts, so they match it to float rounding.

A frame of ``read_scalars`` as it came (not filtered, not changed) is
reduced as it is read: each task takes the first step from the codes and
numbers it decodes (``*_columns`` below, each checked against its table
twin), without building the table of run and tag strings that the first
step would group by and throw away. Either way the reading and the first
step of a partition are one task.

:func:`to_pandas` is for the other case, when the whole table is wanted in
this process: each partition comes here as it is and is concatenated here,
instead of being concatenated on one worker and sent again.

Re-exported by :mod:`neuroboard.dask`, where the examples import them from.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from neuroboard.api.frames import string_array
from neuroboard.io.logdir import ScalarColumns

if TYPE_CHECKING:
    import dask.dataframe

__all__ = ["last", "mean_curve", "tag_stats", "to_pandas"]

_RUN_TAG = ["run", "tag"]


def _checked(frame: object, func: str, columns: tuple[str, ...]) -> None:
    from dask.dataframe import DataFrame

    if not isinstance(frame, DataFrame):
        raise TypeError(
            f"{func}(frame=...): expected a dask DataFrame of read_scalars, got {type(frame).__name__}"
        )
    missing = [name for name in columns if name not in frame.columns]
    if missing:
        raise ValueError(f"{func}(frame=...): expected the columns {list(columns)}, missing {missing}")


def _reduce(frame: dask.dataframe.DataFrame, chunk, partials, combine, aggregate, split_every: int | None):
    """Reduce ``frame``: ``chunk`` per partition (``partials`` of its columns, where it is reduced as read)."""
    # Imported here: neuroboard.dask imports this module.
    from neuroboard.dask import _reduced_as_read

    first = chunk(frame._meta)
    meta = aggregate(combine(first))
    as_read = _reduced_as_read(frame, partials, first)
    if as_read is not None:
        frame, chunk = as_read, _as_is
    reduced = frame.reduction(chunk, combine=combine, aggregate=aggregate, meta=meta, split_every=split_every)
    # compute() would run each partition's first step as a task of its own, after the partition was kept
    # in memory whole: optimized, they are one task.
    return reduced.optimize()


def _as_is(part: pd.DataFrame) -> pd.DataFrame:
    return part


def last(frame: dask.dataframe.DataFrame, *, split_every: int | None = None) -> dask.dataframe.DataFrame:
    """Return each (run, tag)'s last row in reading order, its step, wall_time and value, reduced on the workers.

    The lazy result is indexed by ``run`` and ``tag``, sorted; computed, it
    equals ``table.drop_duplicates(["run", "tag"], keep="last")
    .set_index(["run", "tag"]).sort_index()`` of the computed ``table``
    (a NaN value stays the last value, unlike ``groupby(...).last()``).

    >>> import tempfile, neuroboard
    >>> from neuroboard.dask import read_scalars, last
    >>> d = tempfile.mkdtemp()
    >>> with neuroboard.SummaryWriter(d) as w: w.add_series("loss", [0.5, 0.25, 0.125])
    >>> last(read_scalars(d)).compute(scheduler="sync")["value"].tolist()
    [0.125]
    """
    _checked(frame, "last", ("run", "tag"))
    return _reduce(frame, _last_rows, _last_columns, _last_rows, _last_table, split_every)


def _last_rows(part: pd.DataFrame) -> pd.DataFrame:
    # Partitions and their partial results are concatenated in reading order, so "last" stays last.
    return part.drop_duplicates(_RUN_TAG, keep="last")


def _last_columns(columns: ScalarColumns) -> pd.DataFrame:
    """Return :func:`_last_rows` of the table of ``columns``, found from the codes, not the strings."""
    pair = columns.run.astype(np.int64) * len(columns.tags) + columns.tag
    pairs = len(columns.runs) * len(columns.tags)
    if pairs <= 2 * len(pair) + 1024:
        # Few pairs: each one's last position, found without sorting the rows.
        latest = np.full(pairs, -1, np.int64)
        np.maximum.at(latest, pair, np.arange(len(pair)))
        rows = np.sort(latest[latest >= 0])
    else:
        _pairs, first = np.unique(pair[::-1], return_index=True)
        rows = np.sort(len(pair) - 1 - first)
    return pd.DataFrame(
        {
            "run": string_array(columns.runs, columns.run[rows]),
            "tag": string_array(columns.tags, columns.tag[rows]),
            "step": columns.step[rows],
            "wall_time": columns.wall_time[rows],
            "value": columns.value[rows],
        },
        index=pd.Index(rows, dtype=np.int64),
    )


def _last_table(part: pd.DataFrame) -> pd.DataFrame:
    return _last_rows(part).set_index(_RUN_TAG).sort_index()


def tag_stats(frame: dask.dataframe.DataFrame, *, split_every: int | None = None) -> dask.dataframe.DataFrame:
    """Return each tag's count, min, mean and max of values over every run and step, reduced on the workers.

    The lazy result is indexed by ``tag``, sorted; computed, it equals
    ``table.groupby("tag")["value"].agg(["count", "min", "mean", "max"])``
    (NaN values left out, as pandas leaves them), the mean to float rounding.

    >>> import tempfile, neuroboard
    >>> from neuroboard.dask import read_scalars, tag_stats
    >>> d = tempfile.mkdtemp()
    >>> with neuroboard.SummaryWriter(d) as w: w.add_series("loss", [0.5, 0.25, 0.75])
    >>> tag_stats(read_scalars(d)).compute(scheduler="sync").loc["loss"].tolist()
    [3.0, 0.25, 0.5, 0.75]
    """
    _checked(frame, "tag_stats", ("tag", "value"))
    return _reduce(frame, _tag_partials, _tag_columns, _tag_combined, _tag_table, split_every)


def _tag_partials(part: pd.DataFrame) -> pd.DataFrame:
    return part.groupby("tag", sort=False)["value"].agg(["count", "sum", "min", "max"])


def _tag_columns(columns: ScalarColumns) -> pd.DataFrame:
    """Return :func:`_tag_partials` of the table of ``columns`` (its rows in another order), from the tag codes."""
    tags, value = columns.tag, columns.value
    seen = np.flatnonzero(np.bincount(tags, minlength=len(columns.tags)))
    counted, total = _counts_and_sums(tags, value, len(columns.tags))
    low = np.full(len(columns.tags), np.nan)
    high = low.copy()
    # fmin and fmax leave NaN out, as pandas does; a tag of NaN values only stays NaN.
    np.fmin.at(low, tags, value)
    np.fmax.at(high, tags, value)
    return pd.DataFrame(
        {"count": counted[seen], "sum": total[seen], "min": low[seen], "max": high[seen]},
        index=pd.Index(string_array(columns.tags, seen), name="tag"),
    )


def _counts_and_sums(groups: np.ndarray, value: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Return the number of values that are not NaN in each of ``size`` groups, and their sum."""
    kept = ~np.isnan(value)
    counted = np.bincount(groups[kept], minlength=size)
    # bincount of no values gives ints.
    total = np.bincount(groups, weights=np.where(kept, value, 0.0), minlength=size).astype(
        np.float64, copy=False
    )
    return counted, total


def _tag_combined(partials: pd.DataFrame) -> pd.DataFrame:
    return partials.groupby(level=0, sort=False).agg(
        {"count": "sum", "sum": "sum", "min": "min", "max": "max"}
    )


def _tag_table(partials: pd.DataFrame) -> pd.DataFrame:
    whole = _tag_combined(partials).sort_index()
    whole.insert(2, "mean", whole.pop("sum") / whole["count"])
    return whole


def mean_curve(
    frame: dask.dataframe.DataFrame, *, split_every: int | None = None
) -> dask.dataframe.DataFrame:
    """Return each tag's mean value at each step over the runs, and how many values it averages, reduced on the workers.

    The lazy result is indexed by ``tag`` and ``step``, sorted, with columns
    ``mean`` and ``count``; computed, it equals ``table.groupby(["tag",
    "step"])["value"].agg(["mean", "count"])``, the mean to float rounding.
    A run that logged a step twice counts twice, as in pandas.

    >>> import tempfile, neuroboard
    >>> from neuroboard.dask import read_scalars, mean_curve
    >>> d = tempfile.mkdtemp()
    >>> for run, start in (("a", 1.0), ("b", 3.0)):
    ...     with neuroboard.SummaryWriter(f"{d}/{run}") as w: w.add_series("loss", [start, start / 2])
    >>> mean_curve(read_scalars(d)).compute(scheduler="sync")["mean"].tolist()
    [2.0, 1.0]
    """
    _checked(frame, "mean_curve", ("tag", "step", "value"))
    return _reduce(frame, _curve_partials, _curve_columns, _curve_combined, _curve_table, split_every)


def _curve_partials(part: pd.DataFrame) -> pd.DataFrame:
    return part.groupby(["tag", "step"], sort=False)["value"].agg(["sum", "count"])


def _curve_columns(columns: ScalarColumns) -> pd.DataFrame:
    """Return :func:`_curve_partials` of the table of ``columns`` (its rows in another order), from the tag codes."""
    groups, tag, step = _tag_step_groups(columns.tag, columns.step, len(columns.tags))
    counted, total = _counts_and_sums(groups, columns.value, len(step))
    index = pd.MultiIndex.from_arrays([string_array(columns.tags, tag), step], names=["tag", "step"])
    return pd.DataFrame({"sum": total, "count": counted}, index=index)


def _tag_step_groups(
    tag: np.ndarray, step: np.ndarray, tags: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return each row's group, one per (tag code, step) pair, and each group's tag code and step.

    Steps that span little more than there are rows are numbered by their
    offset from the first (no hashing); others by a hash table.
    """
    low = int(step.min()) if len(step) else 0
    span = int(step.max()) - low + 1 if len(step) else 0
    if tags * span <= 2 * len(step) + 1024:
        pair = tag.astype(np.int64) * span + (step - low)
        present = np.flatnonzero(np.bincount(pair, minlength=tags * span))
        number = np.zeros(tags * span, np.int64)
        number[present] = np.arange(len(present))
        return number[pair], present // max(span, 1), present % max(span, 1) + low
    steps, distinct = pd.factorize(step)
    groups, pairs = pd.factorize(tag.astype(np.int64) * len(distinct) + steps)
    return groups, pairs // len(distinct), distinct[pairs % len(distinct)]


def _curve_combined(partials: pd.DataFrame) -> pd.DataFrame:
    return partials.groupby(level=[0, 1], sort=False).sum()


def _curve_table(partials: pd.DataFrame) -> pd.DataFrame:
    whole = _curve_combined(partials).sort_index()
    whole.insert(0, "mean", whole.pop("sum") / whole["count"])
    return whole


def to_pandas(frame: dask.dataframe.DataFrame) -> pd.DataFrame:
    """Return the whole table in this process: each partition brought here and concatenated here, in order.

    The same rows, index and dtypes as ``frame.compute()``, concatenated
    as dask concatenates (categories of a categorical column are united
    across partitions), except that a frame whose index is an unnamed
    ``RangeIndex`` (a frame of ``read_scalars``, filtered or not) gets a
    fresh ``RangeIndex``, as ``collect_events`` gives, instead of each
    partition's own. ``compute()`` has one worker concatenate every
    partition and then send the whole; here each partition is sent once,
    straight to this process, which on a cluster of few cores is faster
    (docs/dask.md has the figures).

    >>> import tempfile, neuroboard
    >>> from neuroboard.dask import read_scalars, to_pandas
    >>> d = tempfile.mkdtemp()
    >>> with neuroboard.SummaryWriter(d) as w: w.add_series("loss", [0.5, 0.25])
    >>> to_pandas(read_scalars(d))["value"].tolist()
    [0.5, 0.25]
    """
    import dask
    from dask.dataframe.dispatch import concat

    _checked(frame, "to_pandas", ())
    meta = frame._meta
    # Empty partitions are left out, as compute() leaves them: their dtypes may differ from the rest.
    parts = [part for part in dask.compute(*frame.to_delayed()) if len(part)]
    whole = concat(parts, uniform=True) if parts else meta
    fresh = type(meta.index) is pd.RangeIndex and meta.index.name is None
    return whole.reset_index(drop=True) if fresh else whole
