"""ANNarchy monitors after a simulation into an Observer (ANNarchy is never imported here).

:func:`annarchy_to_observer` takes ``Monitor`` objects (``net.monitor(...)``)
of a ``Population``, ``PopulationView``, ``Projection`` or ``Dendrite`` and
returns an Observer holding:

- each recorded ``spike`` (or ``axon_spike``) as ``(population name, "spike")``
  through :meth:`Observer.record_spike_events`, at ANNarchy's own steps, from
  the step the recording started to the last step simulated;
- each other variable as the recorded variable ``(population name, var)``
  (``(projection name, var)`` for synapses), one column per recorded neuron
  or synapse, at the steps ANNarchy sampled it (every ``period``).

``obs.dt`` is in seconds (ANNarchy's ``dt`` is in ms), so rates are in Hz, as
ANNarchy's ``population_rate`` gives them. The ranks each recording holds are
saved as ``obs["neurons"]`` (key label -> population ranks) and, for
synapses, ``obs["synapses"]`` (key label -> ``[post rank, pre rank]`` pairs).
"""

from __future__ import annotations

import math
import sys
import weakref
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from neuroboard.neuro.recorded_keys import key_label

if TYPE_CHECKING:
    from neuroboard.neuro.observer import Observer

__all__ = ["annarchy_to_observer", "annarchy_to_tensorboard"]

_FUNC = "annarchy_to_observer"
_SPIKES = ("spike", "axon_spike")


def _monitor_class() -> type | None:
    # A Monitor exists only once ANNarchy is imported: nothing else can be one, and importing it costs seconds.
    module = sys.modules.get("ANNarchy.core.Monitor")
    return getattr(module, "Monitor", None)


def _monitors(monitors: Any, func: str) -> list[Any]:
    """Return ``monitors`` (one Monitor or a sequence of them) as a list of compiled, recording monitors."""
    cls = _monitor_class()
    items = [monitors] if cls is not None and isinstance(monitors, cls) else monitors
    if not isinstance(items, Sequence) or isinstance(items, (str, bytes)):
        raise TypeError(
            f"{func}(monitors=...): expected an ANNarchy Monitor or a list of them, got {type(monitors).__name__}"
        )
    if not items:
        raise ValueError(f"{func}(monitors=...): expected at least one Monitor, got none")
    for i, monitor in enumerate(items):
        if cls is None or not isinstance(monitor, cls):
            raise TypeError(
                f"{func}(monitors[{i}]=...): expected an ANNarchy Monitor, got {type(monitor).__name__}"
            )
        if getattr(monitor, "cyInstance", None) is None:
            raise ValueError(
                f"{func}(monitors[{i}]=...): the monitor of {monitor.name!r} holds no recording: its network "
                "is not compiled, or the monitor was stopped (stop() deletes what it recorded)"
            )
    return list(items)


def _dt_ms(monitors: list[Any], func: str) -> float:
    """Return the monitors' network step in ms (``Monitor.dt``), or raise if they do not share one."""
    steps = sorted({float(monitor.dt) for monitor in monitors})
    if len(steps) > 1:
        raise ValueError(
            f"{func}(monitors=...): the monitors belong to networks of different steps {steps} ms; "
            "convert each network's monitors in a call of its own"
        )
    if not (math.isfinite(steps[0]) and steps[0] > 0):
        raise ValueError(
            f"{func}(monitors=...): expected the network's step (Monitor.dt) > 0 ms, got {steps[0]!r}"
        )
    return steps[0]


# The step each monitor's recorder was made at, learnt at its first read: ANNarchy's C++ recorder counts
# its period from it but does not expose it, and times() forgets it once get(keep=False) empties the monitor.
_ORIGINS: weakref.WeakKeyDictionary[Any, int] = weakref.WeakKeyDictionary()


def _origin(monitor: Any, variables: list[str]) -> int:
    """Return the step ``monitor``'s recorder was made at, from ANNarchy's record of when it started."""
    if monitor not in _ORIGINS:
        # Before any get() both records hold the step the recorder was made at; one get(keep=False)
        # restarts the first at the current step and leaves the second as it was.
        records = (monitor._recorded_variables, monitor._last_recorded_variables)
        _ORIGINS[monitor] = min(int(record[var]["start"][0]) for record in records for var in variables)
    return _ORIGINS[monitor]


def _recording(monitor: Any, var: str) -> bool | None:
    """Return whether ``monitor``'s recorder records ``var`` now (False when paused), None if it cannot say."""
    name = "_sum_" + var[4:-1] if var.startswith("sum(") else var
    return getattr(monitor.cyInstance, "record_" + name, None)


def _read(monitor: Any, variables: list[str]) -> tuple[dict[str, Any], dict[str, list[tuple[int, int]]]]:
    """Return what ``monitor`` holds of ``variables`` (left in it) and the ``[start, stop)`` steps of each.

    ``get()`` ends the last segment at the current step, even with
    ``keep=True`` and for a paused monitor: ANNarchy's record of the segments
    is put back as it was, and the last one ends now only while the recorder
    records (its ``record_<var>`` flag).
    """
    _origin(monitor, variables)
    recorded, last = monitor._recorded_variables, monitor._last_recorded_variables
    saved = {var: (recorded[var]["stop"][-1], last[var]["start"], last[var]["stop"]) for var in variables}
    try:
        data = monitor.get(variables, keep=True, reshape=False, force_dict=True)
        now = {var: recorded[var]["stop"][-1] for var in variables}
    finally:
        for var, (stop, last_start, last_stop) in saved.items():
            recorded[var]["stop"][-1] = stop
            last[var]["start"], last[var]["stop"] = last_start, last_stop
    segments = {}
    for var in variables:
        starts, stops = list(recorded[var]["start"]), list(recorded[var]["stop"])
        on = _recording(monitor, var)
        if on or (on is None and stops[-1] is None):
            stops[-1] = now[var]
        # A segment ANNarchy never closed while the recorder is off (paused when get(keep=False) emptied
        # it, or never started) recorded nothing.
        segments[var] = [(int(a), int(a if b is None else b)) for a, b in zip(starts, stops)]
    return data, segments


def _sampled_steps(
    monitor: Any, var: str, rows: int, segments: list[tuple[int, int]], where: str
) -> np.ndarray:
    """Return the steps of the ``rows`` samples of ``var``, or raise if they do not fit its grid.

    ANNarchy's C++ recorder keeps step ``t`` when ``(t - offset) % period ==
    period_offset`` while it records, ``offset`` being the step it was made
    at modulo ``period``: a monitor made before ``compile()`` counts from step 0.
    """
    # Truncated as ANNarchy truncates them for its recorder (0.3 ms / 0.1 ms is 2 steps there too).
    period = max(1, int(monitor._period / monitor.dt))
    phase = int(monitor._period_offset / monitor.dt)
    first = _ORIGINS[monitor] + phase
    grid = [np.arange(start + (first - start) % period, stop, period) for start, stop in segments]
    steps = np.concatenate(grid) if grid and phase < period else np.zeros(0, np.int64)
    # A monitor made with start=False reports the step it was made at as its start, not the step of
    # start(): it then holds fewer rows, the last ones of the grid.
    if rows == len(steps) or (rows < len(steps) and monitor._start is False):
        return steps[len(steps) - rows :].astype(np.int64)
    raise ValueError(
        f"{_FUNC}({where}=...): the monitor of {monitor.name!r} holds {rows} samples of {var!r} where its "
        f"period of {monitor._period} ms ({period} steps from step {first % period}) gives {len(steps)} in "
        f"the steps times() says it recorded, {segments}: its record is wrong (a get() while paused moves "
        "the pause's end to the current step)"
    )


def _synapse_values(monitor: Any, values: np.ndarray) -> tuple[np.ndarray, list[list[int]]]:
    """Return a Projection or Dendrite recording as (samples, synapses) floats and the [post, pre] of each."""
    obj = monitor.object
    if hasattr(obj, "proj"):  # a Dendrite: ANNarchy squeezes one sample, or one synapse, away
        pairs = [[int(obj.post_rank), int(pre)] for pre in obj.pre_ranks]
        return np.asarray(values.tolist(), dtype=np.float64).reshape(-1, len(pairs)), pairs
    pairs = [[int(post), int(pre)] for post in obj.post_ranks for pre in obj.dendrite(post).pre_ranks]
    rows = [np.concatenate([np.asarray(d, dtype=np.float64) for d in sample]) for sample in values]
    return (np.stack(rows) if rows else np.zeros((0, len(pairs)))), pairs


def _node(obj: Any) -> str:
    """Return the name a recording is keyed by: the population's (of a view too) or the projection's.

    A PopulationView has ``population``, a Dendrite ``proj``, a Projection
    ``post_ranks``: read by attribute, without importing ANNarchy's classes.
    """
    if hasattr(obj, "population"):
        return obj.population.name
    return obj.proj.name if hasattr(obj, "proj") else obj.name


def _recordings(monitors: list[Any]) -> tuple[list[tuple], list[tuple], dict, dict]:
    """Read every monitor once: spike entries, variable entries, neuron ranks and synapse pairs by label."""
    spikes, series, neurons, synapses = [], [], {}, {}
    for i, monitor in enumerate(monitors):
        obj = monitor.object
        variables = list(monitor.variables)
        if not variables:
            continue
        # Kept in the monitor until every check has passed: a refused call empties nothing.
        data, segments = _read(monitor, variables)
        node = _node(obj)
        if hasattr(obj, "proj") or hasattr(obj, "post_ranks"):
            for var in variables:
                values, pairs = _synapse_values(monitor, np.asarray(data[var], dtype=object))
                key = (node, var)
                series.append(
                    (key, _sampled_steps(monitor, var, len(values), segments[var], f"monitors[{i}]"), values)
                )
                synapses[key_label(key)] = pairs
            continue
        view = hasattr(obj, "population")
        ranks = [int(r) for r in obj.ranks] if view else list(range(int(obj.size)))
        for var in variables:
            key = (node, var)
            neurons[key_label(key)] = ranks
            if var in _SPIKES:
                spikes.append((key, segments[var], data[var], ranks))
                continue
            values = np.asarray(data[var], dtype=np.float64).reshape(-1, len(ranks))
            series.append(
                (key, _sampled_steps(monitor, var, len(values), segments[var], f"monitors[{i}]"), values)
            )
    return spikes, series, neurons, synapses


def _spike_events(data: dict, ranks: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Return ANNarchy's ``{rank: [steps]}`` as (steps, positions in ``ranks``) arrays."""
    position = {rank: i for i, rank in enumerate(ranks)}
    counts = [len(data[rank]) for rank in data]
    steps = np.fromiter((t for rank in data for t in data[rank]), dtype=np.int64, count=sum(counts))
    where = np.repeat(np.array([position[int(rank)] for rank in data], dtype=np.int64), counts)
    return steps, where


def _check_keep(keep: Any, func: str) -> None:
    """Raise unless ``keep`` is a bool, naming ``func``."""
    if not isinstance(keep, (bool, np.bool_)):
        raise TypeError(f"{func}(keep=...): expected True or False, got {type(keep).__name__}")


def _empty(monitors: list[Any]) -> None:
    """Empty the monitors as ANNarchy's ``get()`` does, once what they held is converted."""
    for monitor in monitors:
        if monitor.variables:
            monitor.get(list(monitor.variables), keep=False, reshape=False, force_dict=True)


def _shared_steps(series: list[tuple]) -> tuple[np.ndarray, int]:
    """Return the steps the variables share and the Observer's ``sampling_steps`` for them, or raise."""
    steps = series[0][1]
    for key, other, _ in series[1:]:
        if not np.array_equal(other, steps):
            raise ValueError(
                f"{_FUNC}(monitors=...): {key_label(key)} and {key_label(series[0][0])} are sampled at "
                "different steps (another period, offset or pause); convert their monitors in separate calls"
            )
    every = math.gcd(*steps.tolist()) if len(steps) else 1
    return steps, every or 1


def annarchy_to_observer(monitors: Any, keep: bool = True) -> Observer:
    """Return a new Observer holding what ANNarchy monitors recorded (see the module).

    ``monitors`` is one ``Monitor`` or a list of them, of one network, read
    after ``net.simulate``: steps stay ANNarchy's and ``obs.dt`` is the
    network's ``dt`` in seconds. Each monitor is read through
    ``get(keep=True, reshape=False)``, its record of when it recorded
    (``times()``) left as it was: with ``keep=True`` (the default) it keeps
    its data, and a later ``get()`` or call returns it again with what came
    since; ``keep=False`` then empties it, as ANNarchy's own ``get()`` does,
    so a long run converts chunk by chunk; a refused call empties nothing.
    Spikes span the recording's first step (``times()``) to the last step
    simulated, paused steps counting as silent in rates; a PopulationView's
    neurons are numbered in the view's order (``obs["neurons"]`` keeps their
    ranks), so rates are per recorded neuron, as ANNarchy's. Variables of all
    the monitors must be sampled at the same steps (one ``period``, offset
    and pauses): convert others in another call. A variable's samples are
    placed on its grid: every ``period`` from the step its monitor was made
    at, plus ``period_offset``; a monitor holding another number of samples
    than the grid gives is refused.

    >>> import ANNarchy as ann  # doctest: +SKIP
    >>> net = ann.Network(dt=0.1); pop = net.create(10, ann.Izhikevich); m = net.monitor(pop, ["spike", "v"])  # doctest: +SKIP
    >>> net.compile(); net.simulate(100.0); obs = annarchy_to_observer(m)  # doctest: +SKIP
    >>> obs.to_numpy((pop.name, "v")).shape  # doctest: +SKIP
    (1000, 10)
    """
    from neuroboard.neuro.observer import Observer

    items = _monitors(monitors, _FUNC)
    _check_keep(keep, _FUNC)
    step_ms = _dt_ms(items, _FUNC)
    labels = [key_label((_node(m.object), var)) for m in items for var in m.variables]
    clash = next((label for label in labels if labels.count(label) > 1), None)
    if clash is not None:
        raise ValueError(f"{_FUNC}(monitors=...): two monitors record {clash}")
    spikes, series, neurons, synapses = _recordings(items)
    # A variable not sampled yet (a monitor made with start=False) has no steps to share.
    series = [entry for entry in series if len(entry[1])]
    steps, every = _shared_steps(series) if series else (np.zeros(0, np.int64), 1)
    observer = Observer(
        step_ms / 1000.0,
        record_output=False,
        record_loss=False,
        record_vars=[(*key, False) for key, _, _ in series],
        sampling_steps=every,
        record_spikes=[key for key, *_ in spikes],
    )
    for key, segments, data, ranks in spikes:
        times, where = _spike_events(data, ranks)
        starts, stops = [start for start, _ in segments], [stop - 1 for _, stop in segments]
        if len(times):
            starts.append(int(times.min()))
            stops.append(int(times.max()))
        if not starts:
            continue
        first, last = min(starts), max(stops)
        observer.record_spike_events(
            *key, times, where, n_neurons=len(ranks), start=first, stop=max(first, last)
        )
    columns = [values for _, _, values in series]
    for row, step in enumerate(steps.tolist()):
        observer.record(step, record_vars=[column[row] for column in columns])
    observer.time_unit = "s"
    observer.save("neurons", neurons)
    if synapses:
        observer.save("synapses", synapses)
    if not keep:
        _empty(items)
    return observer


def annarchy_to_tensorboard(
    monitors: Any, writer_or_logdir: Any, prefix: str = "", keep: bool = True
) -> Observer:
    """Draw what ANNarchy monitors recorded in TensorBoard in one call; return the Observer in between.

    The recordings go through :func:`annarchy_to_observer` and
    :meth:`Observer.to_tensorboard`, into ``writer_or_logdir`` (a logdir,
    written and closed here, a :class:`~neuroboard.SummaryWriter` or a
    :class:`~neuroboard.neuro.TensorboardWriter`), tags starting with
    ``prefix``: a raster and a rate per spike recording, a heatmap per
    variable. The arguments are checked before anything is read or written;
    with ``keep=False`` the monitors are emptied once it is written.

    >>> import ANNarchy as ann, tempfile  # doctest: +SKIP
    >>> net = ann.Network(dt=0.5); pop = net.create(10, ann.Izhikevich, name="exc")  # doctest: +SKIP
    >>> m = net.monitor(pop, ["spike", "v"]); net.compile(); net.simulate(50.0)  # doctest: +SKIP
    >>> obs = annarchy_to_tensorboard(m, tempfile.mkdtemp(), prefix="sim/")  # doctest: +SKIP
    >>> obs.recorded_spikes  # doctest: +SKIP
    [('exc', 'spike')]
    """
    from neuroboard.neuro.observer_views import check_destination

    func = "annarchy_to_tensorboard"
    check_destination(writer_or_logdir, prefix, func)
    _check_keep(keep, func)
    observer = annarchy_to_observer(monitors)
    observer.to_tensorboard(writer_or_logdir, prefix)
    if not keep:
        _empty(_monitors(monitors, func))
    return observer
