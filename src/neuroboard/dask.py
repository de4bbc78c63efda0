"""A logdir's scalars as a dask DataFrame, in partitions of about ``blocksize`` bytes of event files.

:func:`read_scalars` lists the runs and event files of a logdir once, as
:func:`~neuroboard.collect_events` finds them, and returns a lazy
``dask.dataframe.DataFrame`` with the columns and dtypes of
``collect_events(logdir, type="scalar")``. Each partition reads consecutive
small files, one file, or the records that *start* in one byte range of a
big file, with the same array-speed decoder, so that a cluster reads many
files, or one huge one, in parallel. Every task costs the scheduler
milliseconds whatever it reads: grouping small files by bytes, as dask's
``read_parquet`` does, keeps a thousand small files from costing a thousand
tasks.

Byte ranges. A range that does not start the file finds its first record as
the reader does after damage: the next offset whose length and payload
checksums both hold. It reads on past its end to finish the last record it
owns, and on to the first intact record after its end (where the next range
begins), so that damage between two ranges is reported once, by the range
that reaches it by walking its records, as a whole-file read reports it.

Plugin registrations. A tensor is a scalar when the first metadata of its
tag *in its run* names the ``scalars`` plugin, and that metadata may sit in
an earlier file or range of the run. A partition therefore decodes its bytes
without waiting for anything, noting each tag's first metadata in it and
keeping the tensor values whose verdict could change; a small task per piece
passes the registrations of the run on, piece after piece, and a last cheap
task per partition settles those tensor values against the registrations of
everything before it. Only the small registration dicts travel between
workers. A run read whole in one partition needs none of this and is one
task: it hands the registrations on from file to file itself.

Object stores. A logdir may be an fsspec URL (``s3://bucket/exp``): it is
listed once, with the sizes of its objects, and each partition reads its
object, or byte range of it, by ranged requests through a file system it
makes from the URL and ``storage_options`` (which travel in the graph, so
workers need no credentials of their own).

Reductions. :func:`last`, :func:`tag_stats` and :func:`mean_curve` reduce
the frame on the workers and bring back only their small tables;
:func:`to_pandas` brings the whole table here, partition by partition.

dask is an optional dependency: ``pip install 'neuroboard[dask]'``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from neuroboard._dask_reductions import last, mean_curve, tag_stats, to_pandas
from neuroboard.format.scalars import SCALARS_PLUGIN, Plugins, positions, select_scalars
from neuroboard.io.logdir import Filters, ScalarBatch, ScalarColumns, join_scalars
from neuroboard.io.reader import FileRecordReader, check_on_corrupt, next_record_start
from neuroboard.io.storage import open_storage

if TYPE_CHECKING:
    import dask.dataframe

__all__ = ["last", "mean_curve", "read_scalars", "tag_stats", "to_pandas"]

_INSTALL = "pip install 'neuroboard[dask]'"
# Bytes read at a time, as the whole-logdir reader reads them.
_CHUNK = 1 << 21
#: The biggest partition of read_scalars' default, in bytes of event files. In memory a partition takes 1.1
#: to 1.9 times that: the run and tag strings of every row decide where (short names to long run names).
BLOCKSIZE = "16MiB"
#: The smallest partition the default makes to give every thread one: a task costs milliseconds whatever it reads.
MIN_BLOCKSIZE = "1MiB"


@dataclass(frozen=True)
class _Part:
    """The records of ``path`` that start in ``[start, stop)`` (``stop`` None: to the end of the file).

    ``size`` is given for an object behind an fsspec URL ``path``, opened with ``storage_options``.
    """

    run: str
    path: str
    start: int = 0
    stop: int | None = None
    size: int | None = None
    storage_options: dict[str, Any] | None = field(default=None, compare=False)


@dataclass
class _Decoded:
    """A part of ``run`` read without knowing the registrations of the parts before it in its run.

    ``batches`` hold every candidate row, ``tensor`` marks the tensor values
    among them and ``local`` what the part alone says of each row.
    """

    run: str
    registrations: Plugins
    batches: list[ScalarBatch] = field(default_factory=list)
    tensor: list[np.ndarray] = field(default_factory=list)
    local: list[np.ndarray] = field(default_factory=list)


def _import_dask():
    try:
        import dask
        import dask.dataframe as dd
    except ImportError as error:
        # dask.dataframe needs fsspec (and pandas, pyarrow...): name the module that is missing.
        missing = (error.name or "dask").partition(".")[0]
        raise ImportError(
            f"neuroboard.dask.read_scalars needs {missing}, which did not import ({error}): {_INSTALL}"
        ) from error
    return dask, dd


def read_scalars(
    logdir: str | os.PathLike,
    *,
    runs: str | Iterable[str] | None = None,
    tags: str | Iterable[str] | None = None,
    steps: Sequence[int | None] | None = None,
    verify: bool = True,
    on_corrupt: str = "warn",
    blocksize: int | str | None = "auto",
    files_per_partition: int | None = None,
    storage_options: dict[str, Any] | None = None,
) -> dask.dataframe.DataFrame:
    """Return the scalars of ``logdir`` as a lazy dask DataFrame, in partitions of about ``blocksize`` bytes.

    The columns, dtypes and rows are those of ``collect_events(logdir,
    type="scalar")``, with its ``runs``, ``tags``, ``steps``, ``verify`` and
    ``on_corrupt``; the partitions follow the runs and their files in
    reading order, and each keeps that order. Files are listed once, now:
    files written later are not read.

    ``blocksize`` (bytes, or a string such as ``"64MiB"``), as in dask's
    ``read_parquet``: consecutive runs whose files are smaller than that
    share a partition of up to that many bytes of event files, a run bigger
    than that is read in consecutive pieces of about that size, and a file
    bigger than that is split into byte ranges. ``None``: one partition
    per file, each read whole. ``files_per_partition`` groups by count
    instead: that many runs of one file per partition, the files of runs
    of several files one each. A file bigger than ``blocksize`` is split
    into byte ranges, a partition each, whatever ``files_per_partition``
    (a cluster reads a huge file in parallel); with ``blocksize=None`` every
    file is read whole. ``"auto"`` (the default) is :data:`BLOCKSIZE`,
    16 MiB, except that in a logdir too small to give every thread that
    runs the tasks a partition of that size, whole runs are shared out by
    the threads (the workers' threads of the default distributed client,
    else this machine's cores), at least :data:`MIN_BLOCKSIZE` of them per
    partition, so that a small logdir of several runs is read in parallel
    too; a run or file under 16 MiB is still read whole, in one task. With
    ``files_per_partition``, ``"auto"`` is 16 MiB. ``logdir`` may also be
    one event file (run ``"."``), or an fsspec URL (``s3://bucket/exp``) opened with ``storage_options``:
    listed once, with its objects' sizes, and read by ranged requests.

    >>> import tempfile, neuroboard
    >>> d = tempfile.mkdtemp()
    >>> with neuroboard.SummaryWriter(d) as w: w.add_series("loss", [0.5, 0.25, 0.125])
    >>> read_scalars(d).compute(scheduler="sync")["value"].tolist()
    [0.5, 0.25, 0.125]
    """
    dask, dd = _import_dask()
    from dask.delayed import Delayed
    from dask.highlevelgraph import HighLevelGraph

    func = "read_scalars"
    if not isinstance(logdir, (str, os.PathLike)):
        raise TypeError(f"{func}(logdir=...): expected a path, got {type(logdir).__name__}")
    logdir = os.fspath(logdir)
    storage = open_storage(logdir, storage_options)
    # A remote store is listed here, and the listing kept for the graph.
    if not storage.found():
        raise FileNotFoundError(f"{func}(logdir={logdir!r}): {storage.missing}")
    auto = isinstance(blocksize, str) and blocksize == "auto"
    blocksize = _as_bytes(BLOCKSIZE if auto else blocksize, func)
    if files_per_partition is not None and (
        isinstance(files_per_partition, (bool, np.bool_))
        or not isinstance(files_per_partition, (int, np.integer))
        or files_per_partition < 1
    ):
        raise ValueError(
            f"{func}(files_per_partition=...): expected None or an int >= 1, got {files_per_partition!r}"
        )
    # Grouping by count (one file per partition when blocksize is None), else by bytes.
    count = files_per_partition if files_per_partition is not None or blocksize is not None else 1
    filters = Filters.make(runs, tags, steps, func=func)
    check_on_corrupt(on_corrupt, func)
    options = (filters, bool(verify), on_corrupt)

    listing = storage.runs()
    # Sizes are given for objects behind a URL (from the listing), None for local files.
    sized = {run: [(storage.name(path), size) for path, size in files] for run, files in listing.items()}
    # Each file's size and time: a changed file gives a new graph.
    stamps = storage.stamps(listing)
    lengths = {path: size for path, size, _time in stamps}
    # Whole runs share a partition up to this many bytes: by default, the logdir's share per thread.
    shared = blocksize
    if auto and count is None:
        kept = sum(
            lengths[path] for run, paths in sized.items() if filters.keep_run(run) for path, _ in paths
        )
        shared = _shared_out(kept, blocksize)
    token = dask.base.tokenize(logdir, options, blocksize, shared, count, storage_options, stamps)
    name = f"read-scalars-{token}"
    graph: dict[Any, Any] = {}
    keys: list[Any] = []
    group: list[_Part] = []
    group_bytes = 0
    # The partitions that are groups of whole runs, by key: they need nothing from other tasks.
    groups: dict[Any, tuple[_Part, ...]] = {}

    def close_group() -> None:
        nonlocal group_bytes
        if group:
            keys.append((name, len(keys)))
            groups[keys[-1]] = tuple(group)
            group.clear()
        group_bytes = 0

    for run, paths in sized.items():
        if not filters.keep_run(run):
            continue
        parts = [
            part
            for path, size in paths
            for part in _split(run, path, blocksize, lengths[path], size, storage_options)
        ]
        nbytes = [_nbytes(part, lengths[part.path]) for part in parts]
        if count is not None and len(parts) == 1:
            group.append(parts[0])
            if len(group) >= count:
                close_group()
            continue
        if count is None and sum(nbytes) <= blocksize:
            # A run read whole in one partition needs no registrations from elsewhere.
            if group and group_bytes + sum(nbytes) > shared:
                close_group()
            group.extend(parts)
            group_bytes += sum(nbytes)
            continue
        close_group()
        pieces = [(part,) for part in parts] if count is not None else _pack(parts, nbytes, blocksize)
        known: Any = {}
        for piece in pieces:
            index = len(keys)
            decoded = (f"{name}-decode", index)
            graph[decoded] = (_decode_piece, piece, *options)
            keys.append((name, index))
            graph[keys[-1]] = (_settle, decoded, known)
            # Only this small dict travels on to the next piece of the run, never the decoded rows.
            registered = (f"{name}-registered", index)
            graph[registered] = (_registrations, decoded)
            after = (f"{name}-known", index)
            graph[after] = (_known_after, known, registered)
            known = after
    close_group()
    meta = _empty_frame()
    # The frame's own string dtype, not dask's conversion of object columns.
    with dask.config.set({"dataframe.convert-string": False}):
        if len(groups) == len(keys):
            # No partition depends on another: one task each, half the scheduler's cost of from_delayed.
            return dd.from_map(
                _read_group,
                list(groups.values()) or [()],
                args=options,
                meta=meta,
                label=name,
                enforce_metadata=False,
            )
        graph.update({key: (_read_group, parts, *options) for key, parts in groups.items()})
        layer = HighLevelGraph.from_collections(name, graph, dependencies=())
        parts = [Delayed(key, layer, layer=name) for key in keys]
        return dd.from_delayed(parts, meta=meta, verify_meta=False)


def _as_bytes(blocksize: Any, func: str) -> int | None:
    """Return ``blocksize`` as a number of bytes: an int >= 1, a string dask reads (``"64MiB"``) or None."""
    if isinstance(blocksize, str):
        from dask.utils import parse_bytes

        try:
            number = parse_bytes(blocksize)
        except ValueError:
            number = 0
        if number >= 1:
            return number
    elif blocksize is None or (
        isinstance(blocksize, (int, np.integer))
        and not isinstance(blocksize, (bool, np.bool_))
        and blocksize >= 1
    ):
        return None if blocksize is None else int(blocksize)
    raise ValueError(
        f"{func}(blocksize=...): expected 'auto', None, an int >= 1 of bytes or a size such as '64MiB', "
        f"got {blocksize!r}"
    )


def _shared_out(total: int, blocksize: int) -> int:
    """Return the bytes of whole runs per partition that give each thread running the tasks a part of ``total``.

    Never more than ``blocksize``, never less than :data:`MIN_BLOCKSIZE`. The
    threads are those of the default distributed client's workers, else this
    machine's cores, as dask's threaded scheduler uses.
    """
    from dask.utils import parse_bytes

    smallest = parse_bytes(MIN_BLOCKSIZE)
    if total <= smallest:
        # One partition whatever the threads: no need to ask a cluster how many it has.
        return smallest
    return max(min(blocksize, -(-total // _threads())), smallest)


def _threads() -> int:
    """Return how many threads will run the tasks: the default distributed client's workers', or the cores."""
    from dask.system import CPU_COUNT

    distributed = sys.modules.get("distributed")
    if distributed is None:
        return CPU_COUNT
    try:
        client = distributed.default_client()
    except ValueError:
        return CPU_COUNT
    if client.asynchronous:
        # Its calls would return awaitables to a loop this function does not run.
        return CPU_COUNT
    # A cluster without workers yet (scaling up) reads on whatever joins: one partition per core here.
    return sum(client.nthreads().values()) or CPU_COUNT


def _split(
    run: str,
    path: str,
    blocksize: int | None,
    total: int,
    size: int | None = None,
    storage_options: dict[str, Any] | None = None,
) -> list[_Part]:
    """Return the parts of ``path`` of ``total`` bytes; ``size`` is given for an object behind a URL."""
    remote = {} if size is None else {"size": size, "storage_options": storage_options}
    if blocksize is None or total <= blocksize:
        return [_Part(run, path, **remote)]
    starts = list(range(0, total, blocksize))
    stops = starts[1:] + [None]
    return [_Part(run, path, start, stop, **remote) for start, stop in zip(starts, stops)]


def _nbytes(part: _Part, total: int) -> int:
    """Return the bytes of its file of ``total`` bytes that ``part`` reads."""
    return (total if part.stop is None else part.stop) - part.start


def _pack(parts: list[_Part], nbytes: list[int], blocksize: int) -> list[tuple[_Part, ...]]:
    """Return consecutive parts in pieces of up to ``blocksize`` bytes (a bigger part alone)."""
    pieces: list[list[_Part]] = []
    filled = blocksize
    for part, size in zip(parts, nbytes):
        if filled + size > blocksize:
            pieces.append([])
            filled = 0
        pieces[-1].append(part)
        filled += size
    return [tuple(piece) for piece in pieces]


def _reader(part: _Part, verify: bool, on_corrupt: str) -> FileRecordReader:
    """Return a one-off reader of the records ``part`` owns; an object through its fsspec file system.

    A range owns the records from where a read from its start begins up to
    where a read from its end begins, and reports the damage between them:
    whatever the next range passes over to find its first record is reported
    here, where the walk from record to record meets it, and nothing twice.
    """
    # Made here, in the task, from the path (or URL) and the options that travelled with the graph.
    storage = open_storage(part.path, part.storage_options)
    path, size = storage.root, part.size
    first, end = part.start, part.stop
    if first or end is not None:
        size = storage.size(path) if size is None else size
        first = next_record_start(path, first, size, storage=storage)
        end = size if end is None else next_record_start(path, end, size, storage=storage)
    return FileRecordReader(
        path,
        first,
        verify=verify,
        on_corrupt=on_corrupt,
        final=True,
        chunk_size=_CHUNK,
        size=size or 0,
        end=end,
        storage=storage,
    )


def _empty_frame() -> pd.DataFrame:
    from neuroboard.api.frames import scalar_frame

    return scalar_frame([])


def _read_group(parts: tuple[_Part, ...], filters: Filters, verify: bool, on_corrupt: str) -> pd.DataFrame:
    """Return the scalars of consecutive parts that together are the whole of their runs, as one frame."""
    from neuroboard.api.frames import scalar_frame

    return scalar_frame(_group_batches(parts, filters, verify, on_corrupt))


def _reduce_group(
    parts: tuple[_Part, ...],
    filters: Filters,
    verify: bool,
    on_corrupt: str,
    partials: Callable[[ScalarColumns], pd.DataFrame],
) -> pd.DataFrame:
    """Return ``partials`` of the scalars of whole runs, as :func:`_read_group` reads them, without their table."""
    return partials(join_scalars(_group_batches(parts, filters, verify, on_corrupt)))


def _group_batches(
    parts: tuple[_Part, ...], filters: Filters, verify: bool, on_corrupt: str
) -> Iterator[ScalarBatch]:
    decoded = (_decode_part(part, filters, verify, on_corrupt) for part in parts)
    return _settled_parts(decoded, {})


def _reduced_as_read(
    frame: dask.dataframe.DataFrame, partials: Callable[[ScalarColumns], pd.DataFrame], meta: pd.DataFrame
) -> dask.dataframe.DataFrame | None:
    """Return ``partials`` of each partition of ``frame``, reduced as it is read, or None if that cannot be.

    It can when ``frame`` is read_scalars' own frame of whole runs, as it
    came: each task then reduces the columns it decodes, and never builds
    the table of strings that a reduction of the frame would build first
    and throw away.
    """
    from dask.dataframe.dask_expr.io.io import FromMap

    _dask, dd = _import_dask()
    expr = frame.expr
    if type(expr) is not FromMap or expr.func is not _read_group:
        return None
    (groups,) = expr.iterables
    # The expression's own choice of partitions: all of them, unless an optimization narrowed it.
    groups = [groups[index] for index in expr._partitions]
    with _dask.config.set({"dataframe.convert-string": False}):
        return dd.from_map(
            _reduce_group,
            groups,
            args=(*expr.args, partials),
            meta=meta,
            label=f"{expr.label}-{partials.__name__.strip('_')}",
            enforce_metadata=False,
        )


def _decode_piece(
    parts: tuple[_Part, ...], filters: Filters, verify: bool, on_corrupt: str
) -> list[_Decoded]:
    """Read consecutive parts of one run on their own, without the registrations of the parts before them."""
    return [_decode_part(part, filters, verify, on_corrupt) for part in parts]


def _known_after(known: Plugins, registered: Plugins) -> Plugins:
    """Return the run's registrations after a part: the earlier ones win, as TensorBoard keeps the first."""
    return {**registered, **known}


def _registrations(decoded: list[_Decoded]) -> Plugins:
    """Return the registrations a piece of a run makes, the first of each tag."""
    registrations: Plugins = {}
    for part in decoded:
        for tag, plugin in part.registrations.items():
            registrations.setdefault(tag, plugin)
    return registrations


def _settle(decoded: list[_Decoded], known: Plugins) -> pd.DataFrame:
    """Return a piece's scalars, given the registrations its run made before it."""
    from neuroboard.api.frames import scalar_frame

    return scalar_frame(_settled_parts(decoded, known))


def _settled_parts(decoded: Iterable[_Decoded], known: Plugins) -> Iterator[ScalarBatch]:
    """Yield the scalars of consecutive parts; ``known``: the registrations before the first, in its run."""
    run = None
    for part in decoded:
        if run is not None and part.run != run:
            known = {}
        run = part.run
        yield from _settled(part, known)
        known = _known_after(known, part.registrations)


def _settled(decoded: _Decoded, known: Plugins) -> Iterator[ScalarBatch]:
    """Yield a part's scalars, given the registrations its run made before it."""
    for batch, tensor, local in zip(decoded.batches, decoded.tensor, decoded.local):
        if not tensor.any():
            yield batch
            continue
        # Per tag name: 1 if an earlier part registered it as a scalar, 0 as anything else, -1 not at all.
        earlier = np.array(
            [-1 if name not in known else int(known[name] == SCALARS_PLUGIN) for name in batch.tag_names],
            np.int8,
        ).reshape(len(batch.tag_names))
        verdict = earlier[batch.tag] if len(earlier) else np.full(len(batch), -1, np.int8)
        keep = np.where(tensor & (verdict >= 0), verdict == 1, local)
        yield ScalarBatch(
            batch.run,
            batch.tag_names,
            batch.tag[keep],
            batch.step[keep],
            batch.wall_time[keep],
            batch.value[keep],
        )


def _decode_part(part: _Part, filters: Filters, verify: bool, on_corrupt: str) -> _Decoded:
    """Read a part on its own: the rows it holds, and what it cannot settle without the parts before it."""
    registrations: Plugins = {}
    decoded = _Decoded(part.run, registrations)
    reader = _reader(part, verify, on_corrupt)
    for entries in reader.scalar_entries():
        keep, registered = select_scalars(entries, registrations)
        for tag, plugin, _position in registered:
            registrations.setdefault(tag, plugin)
        wanted = entries.numeric.copy()
        names = entries.tag_names
        if filters.tags is not None:
            wanted &= np.array([filters.keep_tag(n) for n in names], bool).reshape(len(names))[entries.tag]
        in_steps = filters.step_mask(entries.step)
        if in_steps is not None:
            wanted &= in_steps
        chosen = np.flatnonzero(wanted)
        order = positions(entries)[chosen]
        if len(chosen) > 1 and (np.diff(order) < 0).any():
            chosen = chosen[np.argsort(order, kind="stable")]
        decoded.batches.append(
            ScalarBatch(
                part.run,
                names,
                entries.tag[chosen],
                entries.step[chosen],
                entries.wall[chosen],
                entries.value[chosen],
            )
        )
        decoded.tensor.append(~entries.simple[chosen])
        decoded.local.append(keep[chosen])
    return decoded
