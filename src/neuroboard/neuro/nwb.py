"""An Observer's recordings written as an NWB file (pynwb, the ``nwb`` extra), ready for DANDI.

- spikes: the file's Units table, one row per neuron of each spike
  population (silent neurons included, so that row ``k`` of a population is
  its neuron ``k``), with the spike times in seconds, ``population`` and
  ``neuron`` columns, and the step size as the table's ``resolution``;
- ``out``, ``loss`` and every recorded variable: a TimeSeries in
  ``acquisition`` named ``<node>_<var>``, steps on axis 0, with ``rate`` and
  ``starting_time`` when the steps are evenly spaced (else ``timestamps``),
  and the neurons its columns hold written in its description and, for a
  program to read, in the ``series_neurons`` table (a DynamicTable in the
  ``misc`` processing module: one row per variable, with its ``series``
  name, ``population``, ``variable``, ``reduction`` and the ``neurons`` of
  its columns, ragged);
- each spike population's rate: a TimeSeries ``<node>_<var>_rate`` in Hz in
  the ``ecephys`` processing module.

The file is written with h5py directly (:mod:`neuroboard.neuro.nwb_h5`),
the HDF5 tree pynwb writes for the same objects; pynwb's own path
(:mod:`neuroboard.neuro.nwb_pynwb`) is the reference it is checked against,
and writes what the direct writer does not cover (a Subject of an
extension, values that are not numbers). pynwb is imported only when a
file is written. The reading half, an NWB
file drawn in TensorBoard, is :mod:`neuroboard.neuro.nwb_read` (its names are
importable from here too).
"""

from __future__ import annotations

import datetime
import os
import uuid
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from neuroboard.neuro.nwb_h5 import Column, Contents, Series, Table
from neuroboard.neuro.nwb_read import MAX_COLUMNS, NEURONS_MODULE, NEURONS_TABLE, is_nwb, nwb_to_tensorboard
from neuroboard.neuro.recorded_keys import (
    even_spacing,
    kept_neurons,
    key_label,
    known_units,
    reducer_name,
    units_by_key,
    variables,
)
from neuroboard.summary.convert import as_path

if TYPE_CHECKING:
    from neuroboard.neuro.observer import Observer

__all__ = [
    "MAX_COLUMNS",
    "NEURONS_MODULE",
    "NEURONS_TABLE",
    "TIME_UNITS",
    "is_nwb",
    "is_recording",
    "nwb_to_tensorboard",
    "observer_to_nwb",
    "recording_to_nwb",
]

#: The units ``dt`` may be given in, as divisors that turn a time in that unit into seconds.
TIME_UNITS: dict[str, float] = {"s": 1.0, "ms": 1e3, "us": 1e6}
#: Rows handed to HDF5 per write when a recording is read from an ``Observer(hdf5=...)`` file.
_READ_BYTES = 1 << 24
#: Spikes sorted by neuron at a time for the Units table.
_SORT_SPIKES = 1 << 16
_WHERE = "Observer.to_nwb"
_DESCRIPTION = "a simulation recorded by neuroboard's Observer"


def _where(arg: str) -> str:
    return f"{_WHERE}({arg}=...)"


def _text(value: Any, arg: str, optional: bool = True) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value:
        raise TypeError(f"{_where(arg)}: expected a non-empty str, got {value!r}")
    return value


def _start_time(value: Any) -> datetime.datetime:
    if value is None:
        return datetime.datetime.now(datetime.timezone.utc).astimezone()
    if not isinstance(value, datetime.datetime):
        raise TypeError(f"{_where('session_start_time')}: expected a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(
            f"{_where('session_start_time')}: expected a datetime with a timezone (NWB requires one), "
            f"got {value.isoformat()}"
        )
    return value


def _experimenter(value: Any) -> list[str] | None:
    if value is None:
        return None
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, Sequence) or not names or not all(isinstance(n, str) and n for n in names):
        raise TypeError(f"{_where('experimenter')}: expected a name or a list of names (str), got {value!r}")
    return list(names)


def _subject(value: Any) -> Any:
    from pynwb.file import Subject

    if value is None or isinstance(value, Subject):
        return value
    if not isinstance(value, Mapping):
        raise TypeError(
            f"{_where('subject')}: expected a pynwb Subject or a dict of its fields, got {type(value).__name__}"
        )
    try:
        return Subject(**value)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{_where('subject')}: pynwb's Subject refused {dict(value)!r}: {error}") from error


def _name(key: Any) -> str:
    # NWB object names may not hold a slash; the key itself goes into the description.
    text = key if isinstance(key, str) else "_".join(key)
    return text.replace("/", "_")


def _units(value: Any, keys: list[Any]) -> dict[Any, str]:
    def convert(key: Any, unit: Any) -> str:
        if not isinstance(unit, str) or not unit:
            raise TypeError(
                f"{_where('units')}: expected a non-empty str as the unit of {key!r}, got {unit!r}"
            )
        return unit

    return units_by_key(value, keys, _where("units"), convert)


#: The reducer of a variable read back from a recording file, which does not keep which neurons it holds.
_FROM_FILE = object()


def _neurons_text(reducer: Any, indices: np.ndarray | None, width: int) -> str:
    """Return which neurons a series holds, in words: its columns, or what its one value reduces."""
    if reducer is _FROM_FILE:
        return f"column i is the i-th of the {width} recorded columns, as the recording file holds them"
    kept = kept_neurons(indices)
    if kept is None:
        chosen = f"all {width} neurons in order" if reducer is None else "all neurons"
    else:
        listed = ", ".join(str(int(i)) for i in kept)
        chosen = f"neurons [{listed}] of the population"
        if (kept < 0).any():
            chosen += " (a negative index counts from the last neuron)"
    if reducer is None:
        return f"column i is the i-th of {chosen}"
    return f"one value per step: the {reducer_name(reducer, 'a reduction')} over {chosen}"


def _neurons_row(key: Any, reducer: Any, indices: np.ndarray | None, width: int) -> tuple | None:
    """Return a variable's row of the neurons table: (series, population, variable, reduction, neurons).

    None when the neurons are not known (a variable read back from a recording file).
    """
    if reducer is _FROM_FILE:
        return None
    kept = kept_neurons(indices)
    if reducer is None:
        if kept is not None and len(kept) != width:
            kept = None  # neurons saved beside the recording that do not match its columns
        neurons = np.arange(width, dtype=np.int64) if kept is None else np.asarray(kept, dtype=np.int64)
        return (_name(key), key[0], key[1], "", neurons)
    # A reduction over all neurons lists none: the population's size is not recorded.
    neurons = np.zeros(0, np.int64) if kept is None else np.asarray(kept, dtype=np.int64)
    return (_name(key), key[0], key[1], reducer_name(reducer, "a reduction"), neurons)


def _neurons_table(rows: list[tuple]) -> Table:
    """Return the table of which neurons each series holds, one row per series."""
    texts = [
        ("series", "the name of the TimeSeries in acquisition"),
        ("population", "the recorded node (population) the series comes from"),
        ("variable", "the recorded variable"),
        (
            "reduction",
            "the reduction of one value per step over the neurons, empty for one column per neuron",
        ),
    ]
    columns = [Column(name, text, [row[i] for row in rows]) for i, (name, text) in enumerate(texts)]
    neurons = Column(
        "neurons",
        "the neuron (index in its population) of each column of the series, in column order; for a "
        "reduced series, the neurons it reduces over (none listed: all of them); a negative index "
        "counts from the last neuron",
        np.concatenate([row[4] for row in rows]),
        ends=np.cumsum([len(row[4]) for row in rows], dtype=np.int64),
    )
    return Table(
        NEURONS_TABLE,
        "which neurons the columns of each recorded variable's TimeSeries hold",
        np.arange(len(rows)),
        [*columns, neurons],
        module=NEURONS_MODULE,
    )


def _data(buffer: Any) -> tuple[Any, int]:
    """Return a series' values, an array or the HDF5 dataset it streams to, and the rows to copy at a time."""
    dataset = getattr(getattr(buffer, "_values", None), "dataset", None)
    if dataset is not None and dataset.ndim <= 2:
        # Observer(hdf5=...): read the file in slabs, so that memory stays bounded whatever its size.
        buffer.flush()
        row_bytes = max(1, dataset.dtype.itemsize * int(np.prod(dataset.shape[1:], dtype=np.int64)))
        return dataset, max(1, _READ_BYTES // row_bytes)
    values = buffer.values
    return (values.reshape(len(values), -1) if values.ndim > 2 else values), 0


def _timing(steps: np.ndarray, dt_s: float, sampling_steps: int) -> dict[str, Any]:
    """Return the TimeSeries timing of ``steps``: rate and starting time if evenly spaced, else timestamps."""
    every = even_spacing(steps, sampling_steps)
    if every is not None:
        return {"rate": 1.0 / (every * dt_s), "starting_time": float(steps[0] * dt_s) if len(steps) else 0.0}
    return {"timestamps": steps * dt_s}


def _seconds(steps: np.ndarray, order: np.ndarray, dt: float, divisor: float) -> np.ndarray:
    """Return ``steps[order]`` in seconds: step x dt first, as ``Observer.times`` gives it, then one division."""
    # Steps come in step order: when the first and the last fit 32 bits, all do, and a gather of half the
    # bytes is about twice as fast; an int32 step times dt is the same float64 as the int64 one.
    narrow = len(steps) and -(1 << 31) <= steps[0] and steps[-1] < 1 << 31
    times = (steps.astype(np.int32) if narrow else steps).take(order) * dt
    if divisor != 1.0:
        times /= divisor
    return times


def _spike_seconds(
    steps: np.ndarray, fired: np.ndarray, n: int, dt: float, divisor: float, chunk: int = _SORT_SPIKES
) -> tuple[np.ndarray, np.ndarray]:
    """Return the spike times in seconds grouped by neuron, each neuron's in step order, and where each neuron's end.

    The same as ``_seconds(steps, order, dt, divisor)`` and ``ends`` of
    ``order, ends = by_neuron(fired, n)``, sorted ``chunk`` spikes (at least
    8 per neuron) at a time.
    """
    size = max(chunk, 8 * n)
    bounds = range(0, len(fired), size)
    counts = np.zeros((len(bounds), n), np.int64)
    for i, start in enumerate(bounds):
        counts[i] = np.bincount(fired[start : start + size], minlength=n)
    per_neuron = counts.sum(axis=0)
    ends = np.cumsum(per_neuron)
    # A chunk's spikes of neuron k go after neuron k's spikes of the chunks before it.
    shifts = (ends - per_neuron) + (np.cumsum(counts, axis=0) - counts) - (np.cumsum(counts, axis=1) - counts)
    times = np.empty(len(steps), np.float64)
    ranks = np.arange(min(size, len(fired)))
    for i, start in enumerate(bounds):
        part = fired[start : start + size]
        # One chunk's keys, order and steps stay in the CPU's cache: its sort is about twice as fast per spike
        # as one sort of them all, and its step x dt is made there too.
        order = np.argsort(part.astype(np.uint16) if n <= 1 << 16 else part, kind="stable")
        at = np.repeat(shifts[i], counts[i])
        at += ranks[: len(part)]
        times[at] = steps[start : start + size].take(order) * dt
    if divisor != 1.0:
        times /= divisor
    return times, ends


def _spikes(obs: Observer, dt: float, divisor: float) -> tuple[Table | None, list[Series]]:
    """Return the Units table (None without spikes) and each population's rate as a TimeSeries."""
    times_parts, ends_parts, populations, neurons, rates = [], [], [], [], []
    total = 0
    dt_s = dt / divisor
    for node, var in obs.recorded_spikes:
        buffer = obs._spike_buffer(node, var)
        steps, fired = buffer.events()
        n = buffer.n_neurons
        times, ends = _spike_seconds(steps, fired, n, dt, divisor)
        times_parts.append(times)
        ends_parts.append(total + ends)
        total += len(steps)
        populations += [f"{node}/{var}"] * n
        neurons.append(np.arange(n))
        # The rate comes from the events just read: with hdf5= they are not read from the file again.
        rate = obs._population_rate(node, var, None, None, steps).to_numpy()
        rates.append(
            Series(
                _name((node, var, "rate")),
                rate * divisor if divisor != 1.0 else rate,
                "Hz",
                f"spikes per neuron per second of {node}/{var}, at every step",
                {"rate": 1.0 / dt_s, "starting_time": float(buffer.first_step * dt_s)},
                module="ecephys",
            )
        )
    if not populations:
        return None, rates
    columns = [
        Column(
            "spike_times",
            "the spike times of each neuron, in seconds (step x dt)",
            # One population's times are written as they are: no copy of them joined to nothing.
            times_parts[0] if len(times_parts) == 1 else np.concatenate(times_parts),
            ends=np.concatenate(ends_parts),
            attrs={"resolution": dt_s},
        ),
        Column("population", "the recorded (node, var) as node/var", populations),
        Column("neuron", "the neuron's index in its population", np.concatenate(neurons)),
    ]
    units = Table(
        "units",
        "spikes recorded by neuroboard's Observer, one row per neuron of each population",
        np.arange(len(populations)),
        columns,
    )
    return units, rates


def _contents(
    obs: Observer,
    *,
    time_unit: str | None = None,
    units: Mapping[Any, str] | None = None,
    session_description: str = _DESCRIPTION,
    identifier: str | None = None,
    session_start_time: datetime.datetime | None = None,
    experimenter: str | Sequence[str] | None = None,
    institution: str | None = None,
    lab: str | None = None,
    subject: Any = None,
    compression: str | None = None,
) -> Contents:
    """Return what the NWB file of ``obs`` holds, every argument checked first (see :func:`observer_to_nwb`)."""
    if time_unit is None:
        time_unit = obs.time_unit or "s"
    if time_unit not in TIME_UNITS:
        raise ValueError(f"{_where('time_unit')}: expected one of {', '.join(TIME_UNITS)}, got {time_unit!r}")
    divisor = TIME_UNITS[time_unit]
    keys = [key for key, buffer in obs._buffers.items() if len(buffer)]
    # The units the Observer knows, and over them those given.
    unit_of = {**_units(known_units(obs, keys), keys), **_units(units, keys)}
    description = _text(session_description, "session_description", optional=False)
    identifier = _text(identifier, "identifier") or str(uuid.uuid4())
    start = _start_time(session_start_time)
    names = _experimenter(experimenter)
    institution, lab = _text(institution, "institution"), _text(lab, "lab")
    if compression is not None and compression not in ("gzip", "lzf"):
        raise ValueError(f"{_where('compression')}: expected None, 'gzip' or 'lzf', got {compression!r}")
    spike_names = [_name((*key, "rate")) for key in obs.recorded_spikes]
    series_names = [_name(key) for key in keys] + spike_names
    clash = next((name for name in series_names if series_names.count(name) > 1), None)
    if clash is not None:
        raise ValueError(f"{_WHERE}: two recorded quantities would share the NWB name {clash!r}")
    contents = Contents(
        description, identifier, start, names, institution, lab, _subject(subject), compression
    )

    dt = obs.dt
    dt_s = dt / divisor
    layouts = variables(obs)
    neuron_rows = []
    for key in keys:
        buffer = obs._buffers[key]
        data, rows = _data(buffer)
        reducer, indices = layouts.get(key, (None, None))
        width = int(np.prod(data.shape[1:], dtype=np.int64)) if data.ndim > 1 else 1
        if key in layouts:
            text = f"{key_label(key)} recorded every {obs.sampling_steps} step(s); " + _neurons_text(
                reducer, indices, width
            )
            neuron_rows.append(_neurons_row(key, reducer, indices, width))
        else:
            text = f"the network's {'output' if key == 'out' else 'loss'} recorded by neuroboard's Observer"
        timing = _timing(buffer.steps, dt_s, obs.sampling_steps)
        contents.series.append(Series(_name(key), data, unit_of.get(key, "n/a"), text, timing, rows=rows))
    neuron_rows = [row for row in neuron_rows if row is not None]
    if neuron_rows:
        contents.modules[NEURONS_MODULE] = "which neurons the recorded series hold"
        contents.tables.append(_neurons_table(neuron_rows))
    table, rates = _spikes(obs, dt, divisor)
    if table is not None:
        contents.tables.append(table)
        contents.modules["ecephys"] = "population rates of the Units table's spikes"
        contents.series += rates
    return contents


def _fast_path_covers(contents: Contents) -> bool:
    """Return whether :mod:`neuroboard.neuro.nwb_h5` writes ``contents`` as pynwb would.

    It writes numbers, and pynwb's own Subject; anything else (a Subject of
    an extension, values of another kind) goes through pynwb.
    """
    from pynwb.file import Subject

    if contents.subject is not None and type(contents.subject) is not Subject:
        return False
    return all(np.dtype(series.data.dtype).kind in "iuf" for series in contents.series)


def _write(target: str, contents: Contents, fast: bool) -> None:
    """Write ``contents`` as the NWB file ``target``: with h5py directly when ``fast`` and it covers them."""
    import h5py

    from neuroboard.neuro import nwb_h5, nwb_pynwb

    # The file is opened here, so that the schema is copied into it before it is closed.
    file = h5py.File(target, "w")
    try:
        if fast and _fast_path_covers(contents):
            version = next(iter(nwb_pynwb.spec_template()["specifications/core"]))
            nwb_h5.write(file, contents, version)
            nwb_pynwb.cache_spec(file)
        else:
            nwb_pynwb.write(file, contents)
    finally:
        file.close()


def _write_with_pynwb(obs: Observer, path: str | os.PathLike[str], **options: Any) -> None:
    """Write the file :func:`observer_to_nwb` writes, through pynwb: the reference its h5py writer is checked against."""
    target = as_path(path, _WHERE, "path")
    _write(target, _contents(obs, **options), fast=False)


def observer_to_nwb(
    obs: Observer,
    path: str | os.PathLike[str],
    *,
    time_unit: str | None = None,
    units: Mapping[Any, str] | None = None,
    session_description: str = _DESCRIPTION,
    identifier: str | None = None,
    session_start_time: datetime.datetime | None = None,
    experimenter: str | Sequence[str] | None = None,
    institution: str | None = None,
    lab: str | None = None,
    subject: Any = None,
    compression: str | None = None,
) -> None:
    """Write ``obs``'s spikes, variables and population rates as the NWB file ``path`` (see the module).

    Arguments are checked before anything is written; see :meth:`Observer.to_nwb`.
    The file is written with h5py directly (:mod:`neuroboard.neuro.nwb_h5`),
    the same HDF5 tree pynwb writes.

    >>> import tempfile, os
    >>> from neuroboard.neuro import Observer
    >>> obs = Observer(0.001); obs.record(0, output=1.0)
    >>> observer_to_nwb(obs, os.path.join(tempfile.mkdtemp(), "run.nwb"))
    """
    target = as_path(path, _WHERE, "path")
    contents = _contents(
        obs,
        time_unit=time_unit,
        units=units,
        session_description=session_description,
        identifier=identifier,
        session_start_time=session_start_time,
        experimenter=experimenter,
        institution=institution,
        lab=lab,
        subject=subject,
        compression=compression,
    )
    _write(target, contents, fast=True)


# -- an Observer(hdf5=...) recording file as NWB -----------------------------------------------------


def is_recording(path: str | os.PathLike[str]) -> bool:
    """Return whether ``path`` is a file written by ``Observer(hdf5=...)`` (root attributes ``dt``, ``sampling_steps``).

    >>> import tempfile; is_recording(os.path.join(tempfile.mkdtemp(), "none.h5"))
    False
    """
    import h5py

    try:
        with h5py.File(path, "r") as file:
            return {"dt", "sampling_steps"} <= set(file.attrs) and "nwb_version" not in file.attrs
    except (OSError, ValueError):
        return False


class _Recording:
    """An ``Observer(hdf5=...)`` file opened read-only, with what :func:`observer_to_nwb` reads of an Observer."""

    def __init__(self, file: Any) -> None:
        import h5py

        from neuroboard.neuro.buffers import SPIKES_GROUP, STEPS_GROUP, SpikeBuffer, StoredSeries
        from neuroboard.neuro.h5series import H5Series

        self.dt = float(file.attrs["dt"])
        self.sampling_steps = int(file.attrs["sampling_steps"])
        self.time_unit = str(file.attrs["time_unit"]) if "time_unit" in file.attrs else None
        self._buffers: dict[Any, Any] = {}
        self._vars: list[tuple[Any, Any, Any]] = []
        self._spikes: dict[tuple[str, str], Any] = {}
        for name in ("out", "loss"):
            if isinstance(file.get(name), h5py.Dataset):
                self._buffers[name] = StoredSeries(file, name)
        for node, group in file.items():
            if node in (STEPS_GROUP, SPIKES_GROUP) or not isinstance(group, h5py.Group):
                continue
            for var, dataset in group.items():
                if isinstance(dataset, h5py.Dataset):
                    key = (node, var)
                    self._buffers[key] = StoredSeries(file, f"{node}/{var}")
                    self._vars.append((key, _FROM_FILE, None))
        for node, group in file.get(SPIKES_GROUP, {}).items():
            for var, dataset in group.items():
                if "first_step" not in dataset.attrs:
                    continue
                buffer = SpikeBuffer(f"{node}/{var}", H5Series(file, f"{SPIKES_GROUP}/{node}/{var}"))
                buffer.n_neurons = int(dataset.attrs["n_neurons"])
                buffer.first_step = int(dataset.attrs["first_step"])
                buffer.last_step = int(dataset.attrs["last_step"])
                self._spikes[(node, var)] = buffer

    @property
    def recorded_spikes(self) -> list[tuple[str, str]]:
        return list(self._spikes)

    @property
    def units(self) -> dict[str, str]:
        # The units the Observer wrote beside the values (the attribute ``units``).
        return {key_label(key): buffer.unit for key, buffer in self._buffers.items() if buffer.unit}

    def _spike_buffer(self, node: str, var: str) -> Any:
        return self._spikes[(node, var)]

    def _population_rate(self, node: str, var: str, smooth: Any, bin: Any, spike_steps: Any = None) -> Any:
        from neuroboard.neuro import observer_spikes

        return observer_spikes.population_rate(self._spikes[(node, var)], self.dt, smooth, bin, spike_steps)


def recording_to_nwb(
    h5_path: str | os.PathLike[str], nwb_path: str | os.PathLike[str], **options: Any
) -> None:
    """Write the ``Observer(hdf5=...)`` file ``h5_path`` as the NWB file ``nwb_path``, as :func:`observer_to_nwb` does.

    ``options`` are :func:`observer_to_nwb`'s (``time_unit``, the session's
    metadata, ``compression``). The file is read in slabs; it does not say
    which neurons a reduced or indexed variable held, so each column is
    described as the file's column.

    >>> import tempfile; from neuroboard.neuro import Observer
    >>> d = tempfile.mkdtemp(); h5 = os.path.join(d, "rec.h5")
    >>> with Observer(1.0, hdf5=h5) as obs: obs.record(0, output=1.0)
    >>> recording_to_nwb(h5, os.path.join(d, "rec.nwb"))
    """
    import h5py

    source = as_path(h5_path, "recording_to_nwb", "h5_path")
    if not is_recording(source):
        raise ValueError(
            f"recording_to_nwb(h5_path=...): expected a file written by Observer(hdf5=...) "
            f"(root attributes dt and sampling_steps), got {source!r}"
        )
    with h5py.File(source, "r") as file:
        observer_to_nwb(_Recording(file), nwb_path, **options)  # type: ignore[arg-type]
