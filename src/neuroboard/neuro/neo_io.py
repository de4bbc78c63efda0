"""An Observer's recordings as Neo objects and back (neo and quantities, the ``neo`` extra).

- :func:`observer_to_neo`: one ``neo.Block`` holding one ``Segment``: a
  ``SpikeTrain`` per neuron of each spike recording (silent neurons
  included, so that the k-th train of a population is its neuron k), an
  ``AnalogSignal`` per recorded variable, ``out`` and ``loss`` (an
  ``IrregularlySampledSignal`` where the recorded steps are not evenly
  spaced). Times are step × dt in the unit ``dt`` is given in.
- :func:`neo_to_observer`: a Block or Segment into a new Observer, spike
  trains through :meth:`Observer.record_spike_events`, signals on one time
  grid as recorded variables.

neo and quantities are imported only here, and only when called.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from neuroboard.neuro.recorded_keys import (
    by_neuron,
    even_spacing,
    kept_neurons,
    key_label,
    known_units,
    reducer_name,
    units_by_key,
    variables,
)

if TYPE_CHECKING:
    from neuroboard.neuro.observer import Observer

__all__ = ["neo_to_observer", "observer_to_neo"]

_OUT = "Observer.to_neo"
_IN = "neo_to_observer"


def _time_unit(value: Any, func: str) -> Any:
    """Return ``value`` as a quantities unit of time, or raise naming ``func``."""
    import quantities as pq

    try:
        unit = pq.Quantity(1.0, value)
    except (LookupError, ValueError, TypeError, AttributeError, SyntaxError):
        raise ValueError(
            f"{func}(time_unit=...): expected a unit of time such as 'ms', got {value!r}"
        ) from None
    if unit.simplified.dimensionality != pq.s.dimensionality:
        raise ValueError(f"{func}(time_unit=...): expected a unit of time such as 'ms', got {value!r}")
    return unit.units


def _units(value: Any, keys: list[Any]) -> dict[Any, Any]:
    """Return ``units={key: unit}`` as quantities units by recorded key, checked against ``keys``."""
    import quantities as pq

    def convert(key: Any, unit: Any) -> Any:
        try:
            return pq.Quantity(1.0, unit).units
        except (LookupError, ValueError, TypeError, AttributeError, SyntaxError):
            raise ValueError(
                f"{_OUT}(units=...): {unit!r}, the unit of {key!r}, is not known to quantities"
            ) from None

    return units_by_key(value, keys, f"{_OUT}(units=...)", convert)


def _neurons(reducer: Any, indices: np.ndarray | None, width: int) -> dict[str, Any]:
    """Return the annotations saying which neurons a signal's channels hold, or what its one value reduces."""
    kept = kept_neurons(indices)
    if reducer is None:
        return {"neuron": np.arange(width) if kept is None else np.asarray(kept, dtype=np.int64)}
    name = reducer_name(reducer, "reduction")
    return {"reduce": str(name), "neurons": "all" if kept is None else [int(i) for i in kept]}


def _signal(obs: Observer, key: Any, unit: Any, tu: Any, variables: dict) -> Any:
    """Return one recorded quantity as an AnalogSignal (even steps) or an IrregularlySampledSignal."""
    import neo
    import quantities as pq

    values = obs.to_numpy(key)
    values = values.reshape(len(values), -1)
    steps = obs.recorded_steps(key)
    dt = obs.dt
    reducer, indices = variables.get(key, (None, None))
    if key in variables:
        tags = {"node": key[0], "var": key[1], **_neurons(reducer, indices, values.shape[1])}
    else:
        tags = {"node": key, "var": ""}
    channels = tags.pop("neuron", None)
    arrays = {} if channels is None else {"neuron": channels}
    unit = pq.dimensionless if unit is None else unit
    every = even_spacing(steps, obs.sampling_steps)
    if every is not None:
        return neo.AnalogSignal(
            values,
            units=unit,
            sampling_period=every * dt * tu,
            t_start=steps[0] * dt * tu,
            name=key_label(key),
            array_annotations=arrays,
            **tags,
        )
    return neo.IrregularlySampledSignal(
        steps * dt * tu, values, units=unit, name=key_label(key), array_annotations=arrays, **tags
    )


def _known(obs: Observer, keys: list[Any]) -> dict[Any, Any]:
    """Return the units the Observer knows as quantities units; one quantities cannot read is left out, said."""
    found = {}
    for label, unit in known_units(obs, keys).items():
        try:
            found.update(_units({label: unit}, keys))
        except ValueError:
            warnings.warn(
                f"{_OUT}: {label}'s unit {unit!r} is not one quantities reads; its signal is dimensionless "
                "(pass units={key: unit} to name it)",
                stacklevel=3,
            )
    return found


def observer_to_neo(
    obs: Observer, time_unit: str | None = None, units: Mapping[Any, str] | None = None
) -> Any:
    """Return ``obs``'s spikes and recorded quantities as a ``neo.Block`` of one Segment (see the module).

    ``time_unit`` is the unit of ``obs.dt`` (any unit of time quantities
    knows), by default :attr:`Observer.time_unit`, else ms; ``units={key:
    unit}`` gives the unit of a recorded quantity, by default those in
    :attr:`Observer.units`, dimensionless otherwise. Each spike train spans
    the recording, from its first step to its last step + 1, times dt; it is annotated with its
    ``population`` (``node/var``), ``node``, ``var`` and ``neuron``. Each
    signal is annotated with ``node`` and ``var`` and names its neurons
    (array annotation ``neuron``, one per channel, or ``reduce`` and
    ``neurons`` for a reduced variable).

    >>> from neuroboard.neuro import Observer
    >>> obs = Observer(0.5, record_spikes=[("lif", "s")])
    >>> obs.record_spike_events("lif", "s", [2, 3], [1, 1], n_neurons=2, start=0)
    >>> train = observer_to_neo(obs).segments[0].spiketrains[1]; train.magnitude.tolist(), float(train.t_stop)
    ([1.0, 1.5], 2.0)
    """
    tu = _time_unit(time_unit or obs.time_unit or "ms", _OUT)
    keys = [key for key in obs.recorded_variables if key != "steps" and key in obs._buffers]
    keys = [key for key in keys if len(obs._buffers[key])]
    # The units the Observer knows, and over them those given.
    unit_of = {**_known(obs, keys), **_units(units, keys)}

    import neo

    dt = obs.dt
    segment = neo.Segment(
        name="recording", dt=dt, time_unit=str(time_unit), sampling_steps=obs.sampling_steps
    )
    for node, var in obs.recorded_spikes:
        buffer = obs._spike_buffer(node, var)
        steps, fired = obs.spikes(node, var)
        order, ends = by_neuron(fired, buffer.n_neurons)
        times = steps[order] * dt
        t_start, t_stop = buffer.first_step * dt * tu, (buffer.last_step + 1) * dt * tu
        begin = 0
        for neuron, end in enumerate(ends):
            segment.spiketrains.append(
                neo.SpikeTrain(
                    times[begin:end],
                    t_stop=t_stop,
                    units=tu,
                    t_start=t_start,
                    name=f"{node}/{var} #{neuron}",
                    population=f"{node}/{var}",
                    node=node,
                    var=var,
                    neuron=neuron,
                )
            )
            begin = end
    layouts = variables(obs)
    for key in keys:
        segment.analogsignals.append(_signal(obs, key, unit_of.get(key), tu, layouts))
    block = neo.Block(name="neuroboard Observer", dt=dt, time_unit=str(time_unit))
    block.segments.append(segment)
    block.check_relationships()
    return block


def _segment(data: Any) -> Any:
    import neo

    if isinstance(data, neo.Block):
        if len(data.segments) != 1:
            raise ValueError(
                f"{_IN}(data=...): expected a Block of one Segment (one recording), got {len(data.segments)}; "
                "pass the Segment to read"
            )
        return data.segments[0]
    if isinstance(data, neo.Segment):
        return data
    raise TypeError(f"{_IN}(data=...): expected a neo.Block or neo.Segment, got {type(data).__name__}")


def _dt(dt: Any, tu: Any) -> float:
    import quantities as pq

    if isinstance(dt, pq.Quantity):
        if dt.simplified.dimensionality != pq.s.dimensionality or dt.size != 1:
            raise ValueError(f"{_IN}(dt=...): expected one time, got {dt!r}")
        dt = float(dt.rescale(tu).magnitude)
    if isinstance(dt, bool) or not isinstance(dt, (int, float, np.number)) or not dt > 0:
        raise ValueError(
            f"{_IN}(dt=...): expected a step > 0 (a number in time_unit, or a time quantity), got {dt!r}"
        )
    return float(dt)


def _groups(trains: list[Any], group_by: Any, node: str, var: str) -> dict[tuple[str, str], list[Any]]:
    """Return the spike trains by the (node, var) key their annotations give, in their order."""
    names = [] if group_by is None else [group_by] if isinstance(group_by, str) else list(group_by)
    if not (len(names) <= 2 and all(isinstance(name, str) for name in names)):
        raise TypeError(
            f"{_IN}(group_by=...): expected None, an annotation name or (node, var) annotation names, "
            f"got {group_by!r}"
        )
    groups: dict[tuple[str, str], list[Any]] = {}
    for i, train in enumerate(trains):
        missing = [name for name in names if name not in train.annotations]
        if missing:
            raise ValueError(f"{_IN}(group_by=...): spiketrains[{i}] has no annotation {missing[0]!r}")
        found = [str(train.annotations[name]) for name in names]
        key = (node, var) if not found else (found[0], var) if len(found) == 1 else (found[0], found[1])
        groups.setdefault(key, []).append(train)
    return groups


def _steps(times: Any, tu: Any, dt: float) -> np.ndarray:
    # rescale converts whatever unit the file holds; the times are then rounded to the nearest step.
    return np.rint(np.asarray(times.rescale(tu).magnitude, dtype=np.float64) / dt).astype(np.int64)


def _index(trains: list[Any], index_by: str | None, key: tuple[str, str]) -> np.ndarray:
    if index_by is None:
        return np.arange(len(trains))
    try:
        index = np.array([train.annotations[index_by] for train in trains])
    except KeyError:
        raise ValueError(
            f"{_IN}(index_by=...): a spike train of {key!r} has no annotation {index_by!r}"
        ) from None
    if index.dtype.kind not in "iu" or (index < 0).any() or len(np.unique(index)) != len(index):
        raise ValueError(
            f"{_IN}(index_by=...): expected distinct neuron indices >= 0 in {key!r}, got {index.tolist()[:10]}"
        )
    return index


def _grid(signals: list[Any], tu: Any, dt: float) -> tuple[int, int, int]:
    """Return the (first step, steps between samples, samples) all the signals share, or raise."""
    grids = set()
    for signal in signals:
        every = float(signal.sampling_period.rescale(tu).magnitude) / dt
        start = float(signal.t_start.rescale(tu).magnitude) / dt
        if abs(every - round(every)) > 1e-6 * every or round(every) < 1 or abs(start - round(start)) > 1e-6:
            raise ValueError(
                f"{_IN}(dt=...): the signal {signal.name!r} is sampled every {signal.sampling_period} from "
                f"{signal.t_start}, not on whole steps of {dt} {tu.dimensionality}"
            )
        grids.add((round(start), round(every), len(signal)))
    if len(grids) > 1:
        raise ValueError(f"{_IN}(data=...): the analog signals are on different time grids {sorted(grids)}")
    first, every, count = grids.pop()
    if first % every:
        raise ValueError(
            f"{_IN}(data=...): the signals start at step {first}, not a multiple of their {every}-step sampling"
        )
    return first, every, count


def _column(signal: Any, key: Any) -> np.ndarray:
    """Return a signal's values as the Observer keeps them: one number per step where it is one value."""
    values = np.asarray(signal.magnitude)
    one = "reduce" in signal.annotations if not isinstance(key, str) else values.shape[1] == 1
    return values[:, 0] if one and values.shape[1] == 1 else values


def _signal_key(signal: Any, i: int) -> Any:
    tags = signal.annotations
    if tags.get("node") in ("out", "loss") and tags.get("var") == "":
        return tags["node"]
    if isinstance(tags.get("node"), str) and isinstance(tags.get("var"), str) and tags["var"]:
        return (tags["node"], tags["var"])
    return (signal.name or f"signal_{i}", "signal")


def neo_to_observer(
    data: Any,
    dt: Any,
    time_unit: str = "ms",
    group_by: str | tuple[str, str] | None = None,
    index_by: str | None = None,
    node: str = "neo",
    var: str = "spikes",
) -> Observer:
    """Return a new Observer holding a Neo Segment's spike trains and analog signals as its recordings.

    ``data`` is a Segment or a Block of one Segment; ``dt`` a step in
    ``time_unit`` or a time quantity. Spike times are converted into
    ``time_unit`` and rounded to the nearest step. ``group_by=None`` puts
    every train into one population ``(node, var)``; an annotation name
    makes one population ``(value, var)`` per value; two names, ``(node,
    var)`` keys from two annotations. Neuron k of a population is its k-th
    train, or the one whose ``index_by`` annotation is k. Each population
    spans its trains' ``t_start`` to ``t_stop``.

    Analog signals become recorded variables, each neuron a column, when
    they share one grid of whole steps: keys from their ``node``/``var``
    annotations (``out`` and ``loss`` as such), else ``(name, "signal")``.
    Values keep the signals' own units, saved as ``obs["units"]``
    (key label -> unit). The round trip of :func:`observer_to_neo` is
    ``neo_to_observer(block, dt, group_by=("node", "var"), index_by="neuron")``.

    >>> import neo, quantities as pq
    >>> seg = neo.Segment(); seg.spiketrains.append(neo.SpikeTrain([0.5, 1.0], t_stop=2, units="ms"))
    >>> obs = neo_to_observer(seg, dt=0.5 * pq.ms); [a.tolist() for a in obs.spikes("neo", "spikes")]
    [[1, 2], [0, 0]]
    """
    from neuroboard.neuro.observer import Observer

    tu = _time_unit(time_unit, _IN)
    step = _dt(dt, tu)
    segment = _segment(data)
    if not isinstance(node, str) or not isinstance(var, str):
        raise TypeError(f"{_IN}(node=..., var=...): expected str names, got {node!r} and {var!r}")
    groups = _groups(list(segment.spiketrains), group_by, node, var)
    events = {}
    for key, trains in groups.items():
        index = _index(trains, index_by, key)
        steps = [_steps(train.times, tu, step) for train in trains]
        neurons = np.repeat(index, [len(s) for s in steps])
        first = int(min(_steps(train.t_start, tu, step) for train in trains))
        # t_stop is the end of the last step: the recording's last step is one before it.
        last = int(max(_steps(train.t_stop, tu, step) for train in trains)) - 1
        events[key] = (np.concatenate(steps), neurons, int(index.max()) + 1 if len(index) else 0, first, last)
    signals = list(segment.analogsignals)
    keys = [_signal_key(signal, i) for i, signal in enumerate(signals)]
    clash = next((key for key in keys if keys.count(key) > 1), None)
    if clash is not None:
        raise ValueError(f"{_IN}(data=...): two analog signals would share the key {clash!r}")
    first, every, count = _grid(signals, tu, step) if signals else (0, 1, 0)
    var_keys = [key for key in keys if not isinstance(key, str)]
    observer = Observer(
        step,
        record_output="out" in keys,
        record_loss="loss" in keys,
        record_vars=[(*key, False) for key in var_keys],
        sampling_steps=every,
        record_spikes=list(events),
    )
    for key, (steps, neurons, n_neurons, start, last) in events.items():
        # The trains say the recording ran from t_start to t_stop, whatever its spikes: trains without
        # any are a silent population over that span.
        stop = max(last, int(steps.max())) if len(steps) else last
        observer.record_spike_events(*key, steps, neurons, n_neurons=n_neurons, start=start, stop=stop)
    if signals:
        by_key = {key: _column(signal, key) for key, signal in zip(keys, signals)}
        columns = [by_key[key] for key in var_keys]
        out, loss = by_key.get("out"), by_key.get("loss")
        for row in range(count):
            observer.record(
                first + row * every,
                output=None if out is None else out[row],
                loss=None if loss is None else loss[row],
                record_vars=[column[row] for column in columns] if columns else None,
            )
        observer.save(
            "units",
            {key_label(key): signal.units.dimensionality.string for key, signal in zip(keys, signals)},
        )
    observer.time_unit = time_unit
    return observer
