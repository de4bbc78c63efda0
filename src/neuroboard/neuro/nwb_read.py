"""An NWB file drawn in TensorBoard: its Units table as rasters and rates, its TimeSeries as scalars or heatmaps.

The reading half of :mod:`neuroboard.neuro.nwb` (which re-exports it). pynwb is
imported only when a file is read; data is read in chunks, so that memory stays
bounded whatever the file's size.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from neuroboard.summary.convert import as_path

__all__ = [
    "MAX_COLUMNS",
    "NEURONS_MODULE",
    "NEURONS_TABLE",
    "check_declared_bytes",
    "column_neurons",
    "is_nwb",
    "nwb_to_tensorboard",
]

#: Bytes of a TimeSeries read at a time.
_READ_BYTES = 1 << 24
#: Spike times of a Units table read at a time: 2 MiB of float64.
_SPIKE_ROWS = 1 << 18
#: A TimeSeries of more columns than this is drawn as one heatmap image, not as one scalar tag per column.
MAX_COLUMNS = 16
#: The table of which neurons each acquisition series holds (``Observer.to_nwb``), and its processing module.
NEURONS_TABLE = "series_neurons"
NEURONS_MODULE = "misc"


def is_nwb(path: str | os.PathLike[str]) -> bool:
    """Return whether ``path`` is an NWB file written with HDF5 (its root holds ``nwb_version``).

    >>> import tempfile; is_nwb(os.path.join(tempfile.mkdtemp(), "none.nwb"))
    False
    """
    import h5py

    try:
        with h5py.File(path, "r") as file:
            return "nwb_version" in file.attrs
    except (OSError, ValueError):
        return False


class _UnitRows:
    """The spikes of some rows of a Units table, read in chunks as (times in ms, node ids) for sonata's views."""

    def __init__(self, name: str, times: Any, index: Any, ends: np.ndarray, nodes: np.ndarray) -> None:
        self.name, self.times, self.node_ids = name, times, index
        self._ends, self._nodes = ends, nodes

    def n_spikes(self) -> int:
        """Return how many spikes the rows of this population hold."""
        per_row = np.diff(np.r_[0, self._ends])
        return int(per_row[self._nodes[:-1] >= 0].sum())

    def chunks(self, rows: int | None = None) -> Any:
        """Yield (times in ms, node ids) of this population's spikes, ``rows`` spikes of the table at a time."""
        rows = rows or _SPIKE_ROWS
        for start in range(0, len(self.times), rows):
            stop = min(start + rows, len(self.times))
            # Spike k belongs to the first row whose end lies beyond k.
            row = np.searchsorted(self._ends, np.arange(start, stop), side="right")
            node = self._nodes[row]
            kept = node >= 0
            times = np.asarray(self.times[start:stop], dtype=np.float64)[kept] * 1000.0
            yield times, node[kept]


def _strings(values: Any) -> list[str]:
    return [v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for v in values]


def _unit_populations(units: Any) -> list[_UnitRows]:
    """Split a Units table by its ``population`` column (else one population, ``units``): node k is its k-th row."""
    times = units.spike_times.data
    index = units.spike_times_index.data
    ends = np.asarray(index[:], dtype=np.int64)
    n_rows = len(ends)
    labels = _strings(units["population"].data[:]) if "population" in units.colnames else ["units"] * n_rows
    found = []
    for label in dict.fromkeys(labels):
        nodes = np.full(n_rows + 1, -1, np.int64)
        rows = np.flatnonzero(np.array([x == label for x in labels], dtype=bool))
        nodes[rows] = np.arange(len(rows))
        found.append(_UnitRows(label, times, index, ends, nodes))
    return found


def _series(nwbfile: Any) -> list[tuple[str, Any]]:
    """Return the numeric TimeSeries of acquisition and of each processing module, with their tags."""
    from pynwb import TimeSeries

    found = [(name, obj) for name, obj in nwbfile.acquisition.items()]
    for module_name, module in nwbfile.processing.items():
        found += [(f"{module_name}/{name}", obj) for name, obj in module.data_interfaces.items()]
    kept = []
    for tag, obj in found:
        data = getattr(obj, "data", None) if isinstance(obj, TimeSeries) else None
        shape = getattr(data, "shape", None)
        if shape and shape[0] and np.dtype(getattr(data, "dtype", object)).kind in "biuf":
            kept.append((tag, obj))
    return kept


def check_declared_bytes(
    path: str | os.PathLike[str], max_bytes: int, func: str = "nwb_to_tensorboard"
) -> int:
    """Return the bytes the datasets of the HDF5 file ``path`` declare in all; a ValueError if over ``max_bytes``.

    The bound ``HDFData(max_bytes=...)`` and ``neuroboard convert --max-bytes``
    put on other files, from the datasets' shapes and dtypes alone: nothing is
    read. What external links point to is counted too, as pynwb reads through
    them; external and virtual datasets count by their declared shape.

    >>> import tempfile, h5py; p = os.path.join(tempfile.mkdtemp(), "a.h5")
    >>> with h5py.File(p, "w") as f: f["x"] = np.zeros(100)
    >>> check_declared_bytes(p, 800)
    800
    """
    import h5py

    from neuroboard.neuro.h5series import check_chunk_bytes, check_declared

    check_chunk_bytes(max_bytes, func, "max_bytes")
    found: dict[str, Any] = {}
    seen: set[tuple[str, str]] = set()

    def count(group: Any, prefix: str) -> None:
        def visit(name: str, item: Any) -> None:
            if isinstance(item, h5py.Dataset):
                found[prefix + name] = item

        def visit_link(name: str, link: Any) -> None:
            # h5py's walk does not go through external links; pynwb does, so the bound does too, once each.
            if isinstance(link, h5py.ExternalLink) and (link.filename, link.path) not in seen:
                seen.add((link.filename, link.path))
                target = group.get(name)
                if isinstance(target, h5py.Dataset):
                    visit(name, target)
                elif isinstance(target, h5py.Group):
                    count(target, f"{prefix}{name}/")

        group.visititems(visit)
        group.visititems_links(visit_link)

    with h5py.File(path, "r") as file:
        count(file, "")
        return check_declared(found, max_bytes, func, os.fspath(path))


def column_neurons(nwbfile: Any) -> dict[str, np.ndarray]:
    """Return, by acquisition series name, the neuron of each of its columns, from the ``series_neurons`` table.

    Only series of one column per neuron (no reduction) are listed; a file
    without the table (not written by ``Observer.to_nwb``) gives ``{}``.

    >>> import tempfile, pynwb; from neuroboard.neuro import Observer
    >>> obs = Observer(1.0, record_vars=[("lif", "v", False, [2, 5])]); obs.record(0, record_vars=[[0.0] * 8])
    >>> p = os.path.join(tempfile.mkdtemp(), "run.nwb"); obs.to_nwb(p)
    >>> with pynwb.NWBHDF5IO(p, "r") as io: {k: v.tolist() for k, v in column_neurons(io.read()).items()}
    {'lif_v': [2, 5]}
    """
    from hdmf.common import DynamicTable, VectorIndex

    module = nwbfile.processing.get(NEURONS_MODULE)
    table = None if module is None else module.data_interfaces.get(NEURONS_TABLE)
    needed = {"series", "reduction", "neurons"}
    if not isinstance(table, DynamicTable) or not needed <= set(table.colnames) or not len(table.id):
        return {}
    names = _strings(table["series"].data[:])
    reductions = _strings(table["reduction"].data[:])
    # A ragged column is looked up as its index, whose target holds the values.
    index = table["neurons"]
    if not isinstance(index, VectorIndex):
        return {}
    ends = np.asarray(index.data[:], dtype=np.int64)
    values = np.asarray(index.target.data[:], dtype=np.int64)
    starts = np.r_[0, ends[:-1]]
    return {
        name: values[start:end]
        for name, reduction, start, end in zip(names, reductions, starts, ends)
        if not reduction
    }


def _write_series(
    views: Any, tag: str, data: Any, max_columns: int, neurons: np.ndarray | None = None
) -> None:
    """Write a TimeSeries' data, read ``_READ_BYTES`` at a time: scalars per column, or one binned heatmap.

    ``neurons`` are the neurons of the columns (their tags end in these); without them, the column index.
    """
    from neuroboard.neuro.view_settings import MAX_HEIGHT, MAX_WIDTH

    n_rows = data.shape[0]
    width = int(np.prod(data.shape[1:], dtype=np.int64))
    rows = max(1, _READ_BYTES // max(1, width * data.dtype.itemsize))
    wide = width > max_columns
    # A neuron listed twice would give two columns one tag: then the columns keep their index.
    if neurons is None or len(neurons) != width or len(np.unique(neurons)) != width:
        neurons = np.arange(width)
    # A wide series is summed into at most MAX_WIDTH time bins and MAX_HEIGHT column groups, then averaged.
    per_bin = -(-n_rows // MAX_WIDTH)
    groups = np.arange(0, width, -(-width // MAX_HEIGHT))
    sums = np.zeros((-(-n_rows // per_bin), len(groups)))
    counts = np.zeros_like(sums)
    for start in range(0, n_rows, rows):
        stop = min(start + rows, n_rows)
        chunk = np.asarray(data[start:stop], dtype=np.float64).reshape(stop - start, width)
        steps = np.arange(start, stop, dtype=np.int64)
        if not wide:
            for j in range(width):
                name = tag if data.ndim == 1 else f"{tag}/{neurons[j]}"
                views.writer.add_series(name, np.ascontiguousarray(chunk[:, j]), steps=steps)
            continue
        finite = np.isfinite(chunk)
        grouped = np.add.reduceat(np.where(finite, chunk, 0.0), groups, axis=1)
        seen = np.add.reduceat(finite.astype(np.float64), groups, axis=1)
        np.add.at(sums, steps // per_bin, grouped)
        np.add.at(counts, steps // per_bin, seen)
    if wide:
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
        views.heatmap(tag, "heatmap", mean.T)


def nwb_to_tensorboard(
    path: str | os.PathLike[str],
    views: Any,
    bin: float = 1.0,
    max_columns: int = MAX_COLUMNS,
    prefix: str = "",
    max_bytes: int | None = None,
) -> list[str]:
    """Draw an NWB file's Units table as rasters and rates, and its TimeSeries as scalars; return the tags' roots.

    Units: one raster ``<population>/raster`` and rate ``<population>/rate``
    (Hz, over bins of ``bin`` ms, at the bin index as step) per value of its
    ``population`` column (``units`` when it has none), as
    :func:`~neuroboard.neuro.sonata.sonata_to_tensorboard` draws them. Each
    numeric TimeSeries of ``acquisition`` (tag ``<name>``) and of the
    processing modules (``<module>/<name>``) at its row index as step: 1-D,
    the tag itself; up to ``max_columns`` columns, ``<tag>/<j>`` per column,
    where ``j`` is the column's neuron when the file's ``series_neurons``
    table (see :func:`column_neurons`) lists it, else the column index;
    wider, the heatmap image ``<tag>/heatmap`` (columns on y, time on x,
    averaged into at most 2000 × 1000 pixels). Data is read in chunks of rows.
    ``max_bytes`` bounds the bytes the file's datasets declare in all (see
    :func:`check_declared_bytes`), checked before anything is read or drawn.

    >>> import tempfile; from neuroboard.neuro import Observer, TensorboardWriter
    >>> obs = Observer(1.0); obs.record(0, output=1.0); obs.record(1, output=2.0)
    >>> p = os.path.join(tempfile.mkdtemp(), "run.nwb"); obs.to_nwb(p)
    >>> with TensorboardWriter(tempfile.mkdtemp()) as tw: nwb_to_tensorboard(p, tw)
    ['out']
    """
    from pynwb import NWBHDF5IO

    from neuroboard.neuro.sonata import _check_bin, _draw_plans, _plan

    func = "nwb_to_tensorboard"
    width_ms = _check_bin(bin, func)
    if isinstance(max_columns, bool) or not isinstance(max_columns, int) or max_columns < 1:
        raise ValueError(f"{func}(max_columns=...): expected an int >= 1, got {max_columns!r}")
    if not isinstance(prefix, str):
        raise TypeError(f"{func}(prefix=...): expected a str, got {type(prefix).__name__}")
    target = as_path(path, func, "path")
    if max_bytes is not None:
        check_declared_bytes(target, max_bytes, func)
    with NWBHDF5IO(target, "r") as io:
        nwbfile = io.read()
        plans = []
        units = nwbfile.units
        if units is not None and len(units.id) and "spike_times" in units.colnames:
            for pop in _unit_populations(units):
                # A population of silent rows has nothing to draw; the others keep their silent rows.
                if pop.n_spikes():
                    plans.append(_plan(pop, width_ms, int((pop._nodes >= 0).sum()), func, target))
        series = _series(nwbfile)
        by_series = column_neurons(nwbfile)
        if not plans and not series:
            raise ValueError(f"{func}(path=...): {target} holds no spikes and no numeric TimeSeries to draw")
        written = _draw_plans(views, plans, width_ms, prefix)
        for tag, obj in series:
            _write_series(views, f"{prefix}{tag}", obj.data, max_columns, by_series.get(tag))
            written.append(f"{prefix}{tag}")
    return written
