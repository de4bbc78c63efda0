"""SONATA spike files (as NEST, BMTK and NetPyNE write them): read, write, and draw as raster and rate.

A SONATA spike file is HDF5: ``/spikes/<population>`` holds ``timestamps``
(float64, attribute ``units``, "ms" or "s") and ``node_ids`` (uint64, the neuron's
index within the population) of equal length, and the population group says in its
``sorting`` attribute ("none", "by_id", "by_time"; an HDF5 enum or a string) how the
rows are ordered. An older layout keeps ``gids`` and ``timestamps`` directly under
``/spikes``; it is read as the population ``"default"``.

Times are given back in milliseconds (float64), node ids as int64, and rates in
spikes per neuron per second (Hz), whatever the file's unit. The views
(:func:`sonata_to_tensorboard`, :func:`sonata_rate`) read the file in chunks of
:data:`CHUNK` rows and keep only counts, so that a file of 10⁷ spikes never stands
in memory whole.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import h5py
import numpy as np
import pandas as pd

from neuroboard.neuro.view_settings import MAX_HEIGHT, MAX_WIDTH, PIXELS_PER_INCH

if TYPE_CHECKING:
    from neuroboard.neuro.observer import Observer
    from neuroboard.neuro.tensorboard_writer import TensorboardWriter

__all__ = [
    "CHUNK",
    "MAGIC",
    "SORTINGS",
    "SonataSpikes",
    "is_sonata_spikes",
    "observer_to_sonata",
    "read_sonata_spikes",
    "sonata_rate",
    "sonata_to_observer",
    "sonata_to_tensorboard",
    "write_sonata_spikes",
]

#: The root attribute ``magic`` of a SONATA file.
MAGIC = 0x0A7A
#: The values of a population's ``sorting`` attribute, in the order of their enum codes.
SORTINGS = ("none", "by_id", "by_time")
#: Rows read at a time by the views: 4 MiB of times and node ids.
CHUNK = 1 << 18
#: Milliseconds per unit of a ``timestamps`` dataset.
_TO_MS = {"ms": 1.0, "s": 1000.0}
_OLD_POPULATION = "default"


@dataclass(frozen=True)
class SonataSpikes:
    """The spikes of one population: times in ms (float64), node ids (int64), the number of nodes.

    >>> spikes = SonataSpikes("v1", np.array([0.5, 1.5]), np.array([3, 0]), n_nodes=4); len(spikes)
    2
    """

    population: str
    times: np.ndarray
    node_ids: np.ndarray
    n_nodes: int
    sorting: str = "none"

    def __len__(self) -> int:
        return len(self.times)


@dataclass(frozen=True)
class _Population:
    """Where one population's datasets are in an open file, and how to read them."""

    name: str
    times: h5py.Dataset
    node_ids: h5py.Dataset
    to_ms: float
    sorting: str

    def chunks(self, rows: int = CHUNK) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Yield (times in ms, int64 node ids) a chunk at a time."""
        for start in range(0, len(self.times), rows):
            stop = min(start + rows, len(self.times))
            times = self.times[start:stop].astype(np.float64, copy=False)
            if self.to_ms != 1.0:
                times *= self.to_ms
            yield times, self.node_ids[start:stop].astype(np.int64, copy=False)


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, np.ndarray) and value.size == 1:
        return _text(value.item())
    return str(value)


def _sorting(group: h5py.Group) -> str:
    if "sorting" not in group.attrs:
        return "none"
    value = group.attrs["sorting"]
    # NEST and BMTK store an HDF5 enum (read by h5py as its integer code); other writers a string.
    names = h5py.check_enum_dtype(group.attrs.get_id("sorting").dtype)
    if names is not None:
        by_code = {code: name for name, code in names.items()}
        return by_code.get(int(np.asarray(value).item()), "none")
    text = _text(value)
    return text if text in SORTINGS else "none"


def _units(dataset: h5py.Dataset, func: str, path: str) -> float:
    units = _text(dataset.attrs.get("units", "ms")).strip()
    if units not in _TO_MS:
        raise ValueError(
            f"{func}(path=...): {path}: {dataset.name} has units {units!r}; expected 'ms' or 's'"
        )
    return _TO_MS[units]


class _Outside(ValueError):
    """Data a SONATA file keeps outside itself, refused."""


def _inside(parent: h5py.Group, name: str, func: str, path: str, allow_external: bool) -> Any:
    """Return ``parent[name]``, refusing data kept outside the file (links, external or virtual storage)."""
    if name not in parent:
        return None
    if not allow_external:
        link = parent.get(name, getlink=True)
        where = f"{parent.name.rstrip('/')}/{name}"
        if not isinstance(link, h5py.HardLink):
            raise _Outside(
                f"{func}(path=...): {path}: {where} is a link to data outside the file; "
                "pass allow_external=True to read it"
            )
        item = parent[name]
        if isinstance(item, h5py.Dataset) and (item.external or item.is_virtual):
            raise _Outside(
                f"{func}(path=...): {path}: {where} is stored outside the file; pass allow_external=True to read it"
            )
        return item
    return parent[name]


def _names(group: h5py.Group, func: str, path: str) -> list[str]:
    """Return the names in ``group``, refusing one that is not UTF-8 (h5py's own error names no file)."""
    names = []
    for raw in group.id:
        try:
            names.append(raw.decode("utf-8"))
        except UnicodeDecodeError:
            raise ValueError(
                f"{func}(path=...): {path}: {group.name} holds a population whose name {raw!r} is not UTF-8"
            ) from None
    return names


def _populations(
    file: h5py.File, func: str, path: str, allow_external: bool = False
) -> dict[str, _Population]:
    """Return every population of an open SONATA spike file, or refuse it naming what is missing."""
    spikes = _inside(file, "spikes", func, path, allow_external)
    is_group = isinstance(spikes, h5py.Group)
    if not is_group:
        raise ValueError(f"{func}(path=...): {path} is not a SONATA spike file: it has no /spikes group")
    found: dict[str, _Population] = {}
    for name in _names(spikes, func, path):
        group = _inside(spikes, name, func, path, allow_external)
        if isinstance(group, h5py.Group) and "timestamps" in group and "node_ids" in group:
            times = _inside(group, "timestamps", func, path, allow_external)
            ids = _inside(group, "node_ids", func, path, allow_external)
            found[name] = _population(name, group, times, ids, func, path)
    if not found and "timestamps" in spikes and "gids" in spikes:
        times = _inside(spikes, "timestamps", func, path, allow_external)
        ids = _inside(spikes, "gids", func, path, allow_external)
        found[_OLD_POPULATION] = _population(_OLD_POPULATION, spikes, times, ids, func, path)
    if not found:
        raise ValueError(
            f"{func}(path=...): {path} is not a SONATA spike file: /spikes holds no population with "
            "'timestamps' and 'node_ids' datasets (nor 'timestamps' and 'gids' directly)"
        )
    return found


def _population(name: str, group: h5py.Group, times: Any, ids: Any, func: str, path: str) -> _Population:
    for dataset, kinds in ((times, "fiu"), (ids, "iu")):
        if not (isinstance(dataset, h5py.Dataset) and dataset.ndim == 1 and dataset.dtype.kind in kinds):
            what = "numbers" if kinds == "fiu" else "integers"
            raise ValueError(f"{func}(path=...): {path}: {dataset.name} is not a 1-D dataset of {what}")
    if len(times) != len(ids):
        raise ValueError(
            f"{func}(path=...): {path}: {times.name} has {len(times)} rows but {ids.name} has {len(ids)}"
        )
    return _Population(name, times, ids, _units(times, func, path), _sorting(group))


def _open(path: str | os.PathLike[str], func: str) -> tuple[h5py.File, str]:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{func}(path=...): expected a file path, got {type(path).__name__}")
    name = os.fspath(path)
    try:
        return h5py.File(name, "r"), name
    except OSError as error:
        raise ValueError(f"{func}(path=...): {name} is not a SONATA spike file: not HDF5 ({error})") from None


def _chosen(found: dict[str, _Population], population: str | None, func: str, path: str) -> list[_Population]:
    if population is None:
        return list(found.values())
    if population not in found:
        raise ValueError(
            f"{func}(population=...): {path} has populations {sorted(found)!r}, got {population!r}"
        )
    return [found[population]]


def _check_n_nodes(n_nodes: int | None, largest: int, func: str, name: str) -> int:
    if n_nodes is None:
        return largest + 1
    if isinstance(n_nodes, bool) or not isinstance(n_nodes, (int, np.integer)) or n_nodes <= largest:
        raise ValueError(
            f"{func}(n_nodes=...): population {name!r} reaches node id {largest}; expected an int > {largest}, "
            f"got {n_nodes!r}"
        )
    return int(n_nodes)


def is_sonata_spikes(path: str | os.PathLike[str], allow_external: bool = False) -> bool:
    """Return whether ``path`` is an HDF5 file holding SONATA spikes (either layout).

    A file whose spikes would be read through a link, or from storage, outside
    it counts as SONATA (reading it then says why it is refused) unless
    ``allow_external`` follows them.

    >>> import tempfile; p = os.path.join(tempfile.mkdtemp(), "s.h5")
    >>> write_sonata_spikes(p, [1.0, 2.5], [0, 3]); is_sonata_spikes(p)
    True
    """
    try:
        file, name = _open(path, "is_sonata_spikes")
    except (TypeError, ValueError):
        return False
    with file:
        try:
            _populations(file, "is_sonata_spikes", name, allow_external)
        except _Outside:
            return True
        except ValueError:
            return False
    return True


def read_sonata_spikes(
    path: str | os.PathLike[str],
    population: str | None = None,
    n_nodes: int | None = None,
    allow_external: bool = False,
) -> dict[str, SonataSpikes]:
    """Return the spikes of every population of a SONATA file (or of ``population``), times in ms.

    ``n_nodes`` is the size of the population(s), by default the largest node id
    plus one. Each array is read straight into its final dtype: memory is the
    two arrays and no more. Data kept outside the file (external links,
    external or virtual storage) is refused unless ``allow_external=True``.

    >>> import tempfile; p = os.path.join(tempfile.mkdtemp(), "s.h5")
    >>> write_sonata_spikes(p, [0.5, 0.25], [2, 0], population="v1", units="s")
    >>> s = read_sonata_spikes(p)["v1"]; s.times.tolist(), s.node_ids.tolist(), s.n_nodes, s.sorting
    ([250.0, 500.0], [0, 2], 3, 'by_time')
    """
    func = "read_sonata_spikes"
    file, name = _open(path, func)
    with file:
        read = {}
        for pop in _chosen(_populations(file, func, name, allow_external), population, func, name):
            times = np.empty(len(pop.times), np.float64)
            ids = np.empty(len(pop.node_ids), np.int64)
            if len(times):
                # HDF5 converts while reading: no second copy in the file's dtype.
                pop.times.read_direct(times)
                pop.node_ids.read_direct(ids)
            if pop.to_ms != 1.0:
                times *= pop.to_ms
            if len(ids) and ids.min() < 0:
                raise ValueError(f"{func}(path=...): {name}: {pop.node_ids.name} holds negative node ids")
            count = _check_n_nodes(n_nodes, int(ids.max(initial=-1)), func, pop.name)
            read[pop.name] = SonataSpikes(pop.name, times, ids, count, pop.sorting)
    return read


def _check_population(population: Any, func: str) -> str:
    if not isinstance(population, str) or not population or "/" in population or population == ".":
        raise ValueError(f"{func}(population=...): expected a non-empty name without '/', got {population!r}")
    return population


def write_sonata_spikes(
    path: str | os.PathLike[str],
    times: Any,
    node_ids: Any,
    population: str = "default",
    units: str = "ms",
    sorting: str = "by_time",
    mode: str = "w",
) -> None:
    """Write spike ``times`` (in ``units``) and ``node_ids`` as the SONATA population ``population``.

    The rows are put in the order ``sorting`` names ("by_time": by time, ties by
    id; "by_id": by id, then time; "none": as given), which the file's enum
    attribute then states. ``mode="a"`` adds a population to an existing file.
    Everything is checked before the file is opened: a refused call writes nothing.

    >>> import tempfile; p = os.path.join(tempfile.mkdtemp(), "s.h5")
    >>> write_sonata_spikes(p, [3.0, 1.0], [1, 0], population="exc")
    >>> write_sonata_spikes(p, [2.0], [0], population="inh", sorting="by_id", mode="a")
    >>> sorted(read_sonata_spikes(p)), read_sonata_spikes(p)["exc"].times.tolist()
    (['exc', 'inh'], [1.0, 3.0])
    """
    func = "write_sonata_spikes"
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{func}(path=...): expected a file path, got {type(path).__name__}")
    name = _check_population(population, func)
    if units not in _TO_MS:
        raise ValueError(f"{func}(units=...): expected 'ms' or 's', got {units!r}")
    if sorting not in SORTINGS:
        raise ValueError(f"{func}(sorting=...): expected one of {SORTINGS!r}, got {sorting!r}")
    if mode not in ("w", "a"):
        raise ValueError(
            f"{func}(mode=...): expected 'w' (a new file) or 'a' (add a population), got {mode!r}"
        )
    stamps = np.asarray(times)
    ids = np.asarray(node_ids)
    if stamps.ndim != 1 or stamps.dtype.kind not in "fiu" or not np.isfinite(stamps).all():
        raise ValueError(
            f"{func}(times=...): expected a 1-D array of finite numbers, got {stamps.dtype} {stamps.shape}"
        )
    if ids.ndim != 1 or (ids.size and ids.dtype.kind not in "iu") or (ids.size and ids.min() < 0):
        raise ValueError(
            f"{func}(node_ids=...): expected a 1-D array of integers >= 0, got {ids.dtype} {ids.shape}"
        )
    if stamps.shape != ids.shape:
        raise ValueError(f"{func}(node_ids=...): expected {len(stamps)} ids, one per time, got {len(ids)}")
    stamps = stamps.astype(np.float64, copy=False)
    ids = ids.astype(np.uint64, copy=False)
    if sorting != "none":
        first, second = (stamps, ids) if sorting == "by_time" else (ids, stamps)
        order = np.lexsort((second, first))
        stamps, ids = stamps[order], ids[order]
    target = os.fspath(path)
    if mode == "a":
        with h5py.File(target, "r") as file:
            if f"spikes/{name}" in file:
                raise ValueError(f"{func}(population=...): {target} has a population {name!r} already")
    with h5py.File(target, mode) as file:
        file.attrs["magic"] = np.uint32(MAGIC)
        file.attrs["version"] = np.array([0, 1], np.uint32)
        group = file.require_group("spikes").create_group(name)
        enum = h5py.enum_dtype({label: code for code, label in enumerate(SORTINGS)}, basetype="u1")
        group.attrs.create("sorting", SORTINGS.index(sorting), dtype=enum)
        group.create_dataset("timestamps", data=stamps).attrs["units"] = units
        group.create_dataset("node_ids", data=ids)


def observer_to_sonata(
    observer: Observer,
    path: str | os.PathLike[str],
    keys: Sequence[tuple[str, str]] | None = None,
    populations: Sequence[str] | None = None,
) -> list[str]:
    """Write an Observer's spike recordings as SONATA populations, times step × dt; return their names.

    ``keys`` are ``(node, var)`` spike recordings (by default every one);
    each becomes the population named in ``populations``, by default its
    node, or ``<node>_<var>`` when a node has several spike variables.

    >>> import tempfile; from neuroboard.neuro import Observer
    >>> obs = Observer(0.5, record_spikes=[("lif", "s")])
    >>> for step in range(3): obs.record(step, record_spikes=[np.array([step == 2, True])])
    >>> p = os.path.join(tempfile.mkdtemp(), "s.h5"); observer_to_sonata(obs, p)
    ['lif']
    >>> read_sonata_spikes(p)["lif"].times.tolist()
    [0.0, 0.5, 1.0, 1.0]
    """
    func = "observer_to_sonata"
    recorded = observer.recorded_spikes
    chosen = recorded if keys is None else [tuple(key) for key in keys]
    for key in chosen:
        if key not in recorded:
            raise ValueError(
                f"{func}(keys=...): the Observer recorded spikes under {recorded!r}, got {key!r}"
            )
    if not chosen:
        raise ValueError(f"{func}(observer=...): the Observer holds no spike recordings")
    if populations is None:
        nodes = [node for node, _ in chosen]
        names = [node if nodes.count(node) == 1 else f"{node}_{var}" for node, var in chosen]
    else:
        names = list(populations)
        if len(names) != len(chosen):
            raise ValueError(
                f"{func}(populations=...): expected {len(chosen)} names, one per key, got {len(names)}"
            )
    for name in names:
        _check_population(name, func)
    if len(set(names)) != len(names):
        raise ValueError(f"{func}(populations=...): expected distinct names, got {names!r}")
    for index, (key, name) in enumerate(zip(chosen, names)):
        steps, neurons = observer.spikes(*key)
        mode = "w" if index == 0 else "a"
        write_sonata_spikes(path, steps * observer.dt, neurons, population=name, mode=mode)
    return names


def _extent(pop: _Population, n_nodes: int | None, func: str) -> tuple[float, int]:
    """Return the latest spike time (ms) and the number of nodes, reading the file once in chunks."""
    latest, largest = -1.0, -1
    for times, ids in pop.chunks():
        if not len(times):
            continue
        low, high = times.min(), times.max()
        if not (np.isfinite(low) and np.isfinite(high) and low >= 0):
            raise ValueError(f"{func}(path=...): {pop.times.name} holds negative or non-finite times")
        if ids.min() < 0:
            raise ValueError(f"{func}(path=...): {pop.node_ids.name} holds negative node ids")
        latest, largest = max(latest, float(high)), max(largest, int(ids.max()))
    return latest, _check_n_nodes(n_nodes, largest, func, pop.name)


def _check_bin(bin: Any, func: str) -> float:
    real = isinstance(bin, (int, float, np.integer, np.floating)) and not isinstance(bin, (bool, np.bool_))
    if not (real and np.isfinite(bin) and bin > 0):
        raise ValueError(f"{func}(bin=...): expected a duration in ms > 0, got {bin!r}")
    return float(bin)


def _binned(
    pop: _Population, bin: float, n_bins: int, n_nodes: int, width: int, height: int
) -> tuple[np.ndarray, np.ndarray]:
    """Return spikes per rate bin and per raster pixel (time × neurons; none for width 0), reading in chunks."""
    per_bin = np.zeros(n_bins, np.int64)
    pixels = np.zeros(width * height, np.int64)
    span = n_bins * bin
    for times, ids in pop.chunks():
        index = np.minimum((times / bin).astype(np.int64), n_bins - 1)
        per_bin += np.bincount(index, minlength=n_bins)
        if not width:
            continue
        column = np.minimum((times * (width / span)).astype(np.int64), width - 1)
        pixels += np.bincount(column * height + ids * height // n_nodes, minlength=width * height)
    return per_bin, pixels.reshape(width, height)


def _rate_series(per_bin: np.ndarray, bin: float, n_nodes: int, name: str) -> pd.Series:
    # bin is in ms: 1000 / bin turns spikes per bin into spikes per second.
    rate = per_bin * (1000.0 / (n_nodes * bin))
    return pd.Series(rate, index=pd.Index(np.arange(len(rate)) * bin, name="time"), name=f"{name} rate")


def sonata_rate(
    path: str | os.PathLike[str], population: str | None = None, bin: float = 1.0, n_nodes: int | None = None
) -> dict[str, pd.Series]:
    """Return each population's rate in Hz (spikes per neuron per second) over bins of ``bin`` ms.

    Bins start at time 0, the index is each bin's start in ms, and the last bin
    holds the latest spike. As ``Observer.population_rate``: spikes in a bin
    divided by the number of nodes and the bin's duration. Read in chunks.

    >>> import tempfile; p = os.path.join(tempfile.mkdtemp(), "s.h5")
    >>> write_sonata_spikes(p, [0.2, 0.4, 1.5], [0, 1, 1], population="v1")
    >>> sonata_rate(p, bin=1.0)["v1"].tolist()
    [1000.0, 500.0]
    """
    func = "sonata_rate"
    width = _check_bin(bin, func)
    file, name = _open(path, func)
    rates = {}
    with file:
        for pop in _chosen(_populations(file, func, name), population, func, name):
            latest, count = _extent(pop, n_nodes, func)
            n_bins = int(latest // width) + 1 if latest >= 0 else 0
            per_bin, _ = _binned(pop, width, max(n_bins, 1), max(count, 1), 0, 0)
            rates[pop.name] = _rate_series(per_bin[:n_bins], width, max(count, 1), pop.name)
    return rates


def sonata_to_tensorboard(
    path: str | os.PathLike[str],
    views: TensorboardWriter,
    population: str | None = None,
    bin: float = 1.0,
    n_nodes: int | None = None,
    prefix: str = "",
    allow_external: bool = False,
) -> list[str]:
    """Draw each population as the raster ``<prefix><population>/raster`` and the rate ``.../rate``; return the names.

    The raster spans time 0 to the end of the last ``bin``, one pixel per bin
    and per node up to 2000 × 1000 pixels (beyond, bins and nodes share
    pixels and their spikes are summed), node 0 at the top. The rate (Hz, as
    :func:`sonata_rate`) is a scalar series at steps 0, 1, ... (the bin index:
    the bin starts at step × ``bin`` ms). The file is read twice, in chunks,
    and only counts are kept; everything is checked before anything is drawn.
    ``allow_external`` as in :func:`read_sonata_spikes`.

    >>> import tempfile; from neuroboard.neuro import TensorboardWriter
    >>> p = os.path.join(tempfile.mkdtemp(), "s.h5"); write_sonata_spikes(p, [0.5, 3.0], [0, 4], population="v1")
    >>> with TensorboardWriter(tempfile.mkdtemp()) as tw: sonata_to_tensorboard(p, tw)
    ['v1']
    """
    func = "sonata_to_tensorboard"
    width_ms = _check_bin(bin, func)
    if not isinstance(prefix, str):
        raise TypeError(f"{func}(prefix=...): expected a str, got {type(prefix).__name__}")
    file, name = _open(path, func)
    with file:
        pops = _chosen(_populations(file, func, name, allow_external), population, func, name)
        plans = [_plan(pop, width_ms, n_nodes, func, name) for pop in pops]
    return _draw_plans(views, plans, width_ms, prefix)


def _plan(pop: Any, width_ms: float, n_nodes: int | None, func: str, name: str) -> tuple:
    """Return what draws ``pop`` (anything with ``name``, ``times``, ``node_ids`` and ``chunks()``): its counts."""
    latest, count = _extent(pop, n_nodes, func)
    if latest < 0:
        raise ValueError(f"{func}(path=...): {name}: population {pop.name!r} holds no spikes to draw")
    n_bins = int(latest // width_ms) + 1
    width, height = min(n_bins, MAX_WIDTH), min(count, MAX_HEIGHT)
    per_bin, pixels = _binned(pop, width_ms, n_bins, count, width, height)
    return pop.name, per_bin, pixels, count


def _draw_plans(views: TensorboardWriter, plans: list[tuple], width_ms: float, prefix: str) -> list[str]:
    """Draw the counts :func:`_plan` gave as rasters and rates (see :func:`sonata_to_tensorboard`); return the names."""
    for pop_name, per_bin, pixels, count in plans:
        tag = f"{prefix}{pop_name}"
        # The pixel counts are a dense raster of one pixel per entry; a spike's mark fills its row.
        size = (pixels.shape[0] / PIXELS_PER_INCH, pixels.shape[1] / PIXELS_PER_INCH)
        views.raster(tag, pixels, {"size": size, "line_size": 1.0})
        rate = _rate_series(per_bin, width_ms, count, pop_name)
        views.writer.add_series(f"{tag}/rate", rate.to_numpy(), steps=np.arange(len(rate), dtype=np.int64))
    return [pop_name for pop_name, *_ in plans]


def sonata_to_observer(
    path: str | os.PathLike[str], dt: float, population: str | None = None, var: str = "spikes"
) -> Observer:
    """Return an Observer holding each population's spikes as ``(population, var)``, times rounded to steps of ``dt`` ms.

    The spikes are then read as any recording: ``obs.spikes``,
    ``obs.spike_counts``, ``obs.population_rate`` (per ms, as dt is),
    ``obs.to_tensorboard``. Steps start at 0 (time 0) whatever the first spike.

    >>> import tempfile; p = os.path.join(tempfile.mkdtemp(), "s.h5")
    >>> write_sonata_spikes(p, [0.0, 1.0, 1.0], [0, 0, 1], population="v1")
    >>> obs = sonata_to_observer(p, dt=0.5); [a.tolist() for a in obs.spikes("v1", "spikes")]
    [[0, 2, 2], [0, 0, 1]]
    """
    from neuroboard.neuro.observer import Observer

    func = "sonata_to_observer"
    if isinstance(dt, bool) or not isinstance(dt, (int, float, np.number)) or not dt > 0:
        raise ValueError(f"{func}(dt=...): expected a step in ms > 0, got {dt!r}")
    read = read_sonata_spikes(path, population)
    observer = Observer(dt, record_output=False, record_loss=False, record_spikes=[(p, var) for p in read])
    for name, spikes in read.items():
        if not len(spikes):
            # Nothing recorded: the key stays out of recorded_spikes, as for a recording never made.
            continue
        if spikes.times.min() < 0:
            raise ValueError(f"{func}(path=...): population {name!r} holds negative times")
        steps = np.rint(spikes.times / dt).astype(np.int64)
        observer.record_spike_events(name, var, steps, spikes.node_ids, n_neurons=spikes.n_nodes, start=0)
    return observer
