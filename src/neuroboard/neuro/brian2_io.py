"""Brian2 monitors after a run into an Observer or TensorBoard (Brian2 is imported only here, when called).

:func:`brian2_to_observer` takes ``SpikeMonitor`` (or ``EventMonitor``),
``StateMonitor`` and ``PopulationRateMonitor`` objects and returns an
Observer holding:

- each SpikeMonitor's spikes as ``(group name, event)``, e.g.
  ``("neurongroup", "spike")``, as steps ``round(t / dt)`` through
  :meth:`Observer.record_spike_events`, from step 0 to the run's last step;
  the values of its ``variables=`` at each spike, in SI units, as
  ``obs["spike_values"][label][var]`` (``label`` is ``"<group>/<event>"``),
  one entry per spike in the order of :meth:`Observer.spikes`;
- each StateMonitor's variables as recorded variables ``(group name, var)``,
  one column per recorded neuron, in SI base units without the unit;
- each PopulationRateMonitor's rate as the variable ``(group name, "rate")``
  in Hz.

The units stripped are saved as ``obs["units"]`` (key label -> unit, e.g.
``{"neurongroup/v": "V"}``; a spike variable's as ``"neurongroup/spike/v"``),
the neurons each StateMonitor recorded as ``obs["neurons"]`` (key label ->
indices). :func:`brian2_to_tensorboard` writes that Observer to TensorBoard
in the same call.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from neuroboard.neuro.quantity import time_in_seconds
from neuroboard.neuro.recorded_keys import key_label

if TYPE_CHECKING:
    from neuroboard.neuro.observer import Observer

__all__ = ["brian2_to_observer", "brian2_to_tensorboard"]

_FUNC = "brian2_to_observer"


def _seconds(value: Any, what: str) -> float:
    """Return a Brian2 time quantity or a float in seconds as a float in seconds, or raise naming ``what``."""
    seconds = time_in_seconds(value, f"{_FUNC}({what}=...)")
    if seconds is not None:
        value = seconds
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) or not value > 0:
        raise ValueError(
            f"{_FUNC}({what}=...): expected a step > 0 (a Brian2 time, or a float in seconds), got {value!r}"
        )
    return float(value)


def _monitors(monitors: Any) -> tuple[list[Any], list[Any], list[Any]]:
    """Return the spike, state and rate monitors of ``monitors`` (one monitor or a sequence), in order."""
    import brian2 as b2

    items = [monitors] if isinstance(monitors, b2.BrianObject) else monitors
    if not isinstance(items, Sequence) or isinstance(items, str):
        raise TypeError(
            f"{_FUNC}(monitors=...): expected a Brian2 monitor or a list of them, got {type(monitors).__name__}"
        )
    spikes, states, rates = [], [], []
    for i, monitor in enumerate(items):
        if isinstance(monitor, b2.EventMonitor):
            if not monitor.record:
                raise ValueError(
                    f"{_FUNC}(monitors[{i}]=...): {monitor.name} keeps no spike times (record=False); "
                    "make it with record=True"
                )
            spikes.append(monitor)
        elif isinstance(monitor, b2.StateMonitor):
            states.append(monitor)
        elif isinstance(monitor, b2.PopulationRateMonitor):
            rates.append(monitor)
        else:
            raise TypeError(
                f"{_FUNC}(monitors[{i}]=...): expected a SpikeMonitor, EventMonitor, StateMonitor or "
                "PopulationRateMonitor, "
                f"got {type(monitor).__name__}"
            )
    if not items:
        raise ValueError(f"{_FUNC}(monitors=...): expected at least one monitor, got none")
    return spikes, states, rates


def _clock_dt(events: list[Any], states: list[Any]) -> float:
    """Return the simulation's step: the spike and rate monitors' clock, else the finest StateMonitor clock."""
    dts = sorted({float(monitor.clock.dt_) for monitor in events or states})
    if len(dts) > 1 and events:
        raise ValueError(
            f"{_FUNC}(dt=None): the spike and rate monitors run on clocks of different steps {dts} s; "
            "pass dt="
        )
    return dts[0]


def _unit(dim: Any) -> str:
    """Return the name of the SI unit of a Brian2 dimension: ``"V"``, ``"Hz"``; ``""`` without one."""
    import brian2 as b2

    return "" if dim.is_dimensionless else str(b2.get_unit(dim))


def _steps(times: Any, dt: float) -> np.ndarray:
    # Times in seconds without the unit, rounded once to the nearest step.
    return np.rint(np.asarray(times, dtype=np.float64) / dt).astype(np.int64)


def _grid(series: list[tuple[Any, np.ndarray, Any]], dt: float) -> tuple[int, int, int]:
    """Return the (first step, steps between samples, samples) the recorded series share, or raise."""
    grids = {}
    for key, steps, _ in series:
        every = int(steps[1] - steps[0]) if len(steps) > 1 else 1
        if every < 1 or (np.diff(steps) != every).any():
            raise ValueError(f"{_FUNC}(monitors=...): {key_label(key)} is not sampled on evenly spaced steps")
        grids.setdefault((int(steps[0]), every, len(steps)), key)
    if len(grids) > 1:
        shown = ", ".join(
            f"{key_label(key)}: first step {g[0]}, every {g[1]}, {g[2]} samples" for g, key in grids.items()
        )
        raise ValueError(
            f"{_FUNC}(monitors=...): the state and rate monitors are on different time grids of dt={dt} s "
            f"({shown}); convert them in separate calls"
        )
    first, every, count = next(iter(grids))
    if first % every:
        raise ValueError(
            f"{_FUNC}(monitors=...): the recordings start at step {first}, not a multiple of their "
            f"{every}-step sampling"
        )
    return first, every, count


def brian2_to_observer(monitors: Any, dt: Any = None) -> Observer:
    """Return a new Observer holding what Brian2 monitors recorded in a run (see the module).

    ``monitors`` is one monitor or a list of ``SpikeMonitor`` (or
    ``EventMonitor``), ``StateMonitor`` and ``PopulationRateMonitor``
    objects, read after ``run``. A SpikeMonitor's ``variables=`` are kept
    per spike as ``obs["spike_values"]["<group>/<event>"][var]``, in SI units
    and in the order of ``obs.spikes(group, event)``.

    ``dt`` is the Observer's step: a Brian2 time (``0.1 * ms``) or
    a float in seconds; by default the clock of the spike and rate monitors
    (their groups' clock), or of the finest StateMonitor. Times are divided
    by ``dt`` and rounded to the nearest step. A SpikeMonitor's spikes span
    step 0 to the last step of the run so far, a PopulationRateMonitor's
    last when one is given, else the clock's (``population_rate`` counts
    silent steps at either end, as the PopulationRateMonitor does); state and
    rate monitors must share one grid of whole steps (a StateMonitor with
    ``dt=1*ms`` becomes ``sampling_steps=10`` at 0.1 ms). Everything is in
    seconds: rates in Hz, ``obs.dt`` in s.

    >>> import brian2 as b2  # doctest: +SKIP
    >>> group = b2.PoissonGroup(10, 50 * b2.Hz); spikes = b2.SpikeMonitor(group)  # doctest: +SKIP
    >>> b2.run(100 * b2.ms); obs = brian2_to_observer(spikes)  # doctest: +SKIP
    >>> obs.spikes("poissongroup", "spike")[0].max() < 1000  # doctest: +SKIP
    True
    """
    from neuroboard.neuro.observer import Observer

    spike_mons, state_mons, rate_mons = _monitors(monitors)
    if dt is None:
        step = _clock_dt(spike_mons + rate_mons, state_mons)
    else:
        step = _seconds(dt, "dt")
    series: list[tuple[Any, np.ndarray, Any]] = []
    units: dict[str, str] = {}
    neurons: dict[str, list[int]] = {}
    for monitor in state_mons:
        steps = _steps(monitor.t_[:], step)
        for var in monitor.record_variables:
            key = (monitor.source.name, var)
            # Brian2 keeps (times, neurons) and hands out the transpose: its own rows, without a copy
            # and without units, are the Observer's (float64, SI).
            values = np.asarray(getattr(monitor, f"{var}_").T, dtype=np.float64)
            series.append((key, steps, values))
            units[key_label(key)] = _unit(monitor.variables[var].dim)
            neurons[key_label(key)] = np.asarray(monitor.record, dtype=np.int64).tolist()
    for monitor in rate_mons:
        key = (monitor.source.name, "rate")
        # Python floats: the Observer appends them on its fast path, where a NumPy scalar is converted.
        series.append((key, _steps(monitor.t_[:], step), np.asarray(monitor.rate_[:], np.float64).tolist()))
        units[key_label(key)] = "Hz"
    keys = [key for key, _, _ in series]
    clash = next((key for key in keys if keys.count(key) > 1), None)
    spike_keys = [(monitor.source.name, monitor.event) for monitor in spike_mons]
    clash = clash or next((key for key in spike_keys if spike_keys.count(key) > 1), None)
    if clash is not None:
        raise ValueError(f"{_FUNC}(monitors=...): two monitors record {key_label(clash)}")
    series = [entry for entry in series if len(entry[1])]
    first, every, count = _grid(series, step) if series else (0, 1, 0)
    observer = Observer(
        step,
        record_output=False,
        record_loss=False,
        record_vars=[(*key, False) for key, _, _ in series],
        sampling_steps=every,
        record_spikes=spike_keys,
    )
    # A PopulationRateMonitor keeps every step of the run; else the clock stands at the end of the run,
    # one step past its last (the clock is shared: a later run of another network moves it).
    rate_ends = [int(_steps(monitor.t_[-1:], step)[0]) for monitor in rate_mons if len(monitor.t_)]
    spike_values: dict[str, dict[str, np.ndarray]] = {}
    for key, monitor in zip(spike_keys, spike_mons):
        last = max(rate_ends) if rate_ends else int(np.rint(float(monitor.clock.t_[:]) / step)) - 1
        steps = _steps(monitor.t_[:], step)
        extra = sorted(monitor.record_variables - {"i", "t"})
        if extra:
            # record_spike_events sorts the spikes by step, stably: the values follow the same order.
            order = np.argsort(steps, kind="stable")
            label = key_label(key)
            spike_values[label] = {var: np.asarray(getattr(monitor, f"{var}_"))[order] for var in extra}
            units.update({f"{label}/{var}": _unit(monitor.variables[var].dim) for var in extra})
        if last < 0 and not len(steps):
            continue
        observer.record_spike_events(
            *key,
            steps,
            np.asarray(monitor.i[:], dtype=np.int64),
            n_neurons=len(monitor.source),
            start=0,
            stop=max(last, int(steps.max()) if len(steps) else 0),
        )
    columns = [values for _, _, values in series]
    record = observer.record
    for row in range(count):
        record(first + row * every, record_vars=[column[row] for column in columns])
    observer.time_unit = "s"
    observer.save("units", units)
    observer.save("neurons", neurons)
    if spike_values:
        observer.save("spike_values", spike_values)
    return observer


def brian2_to_tensorboard(monitors: Any, writer_or_logdir: Any, dt: Any = None, prefix: str = "") -> Observer:
    """Write what Brian2 monitors recorded in a run to TensorBoard; return the Observer that was written.

    The monitors are read as :func:`brian2_to_observer` reads them, with its
    ``dt``, and written as :meth:`Observer.to_tensorboard` writes, into
    ``writer_or_logdir`` (a logdir, written and closed here, a
    :class:`~neuroboard.SummaryWriter` or a
    :class:`~neuroboard.neuro.TensorboardWriter`), tags starting with
    ``prefix``: each SpikeMonitor's raster ``<group>/<event>/raster`` and rate
    ``<group>/<event>/rate`` (Hz), each PopulationRateMonitor's rate
    ``<group>/rate`` and each StateMonitor's variable as the heatmap
    ``<group>/<var>``, neurons as rows. The arguments are checked before
    anything is written.

    >>> import brian2 as b2, tempfile  # doctest: +SKIP
    >>> group = b2.PoissonGroup(10, 50 * b2.Hz); spikes = b2.SpikeMonitor(group)  # doctest: +SKIP
    >>> b2.run(100 * b2.ms); obs = brian2_to_tensorboard(spikes, tempfile.mkdtemp())  # doctest: +SKIP
    >>> obs.recorded_spikes  # doctest: +SKIP
    [('poissongroup', 'spike')]
    """
    from neuroboard.neuro.observer_views import check_destination

    func = "brian2_to_tensorboard"
    check_destination(writer_or_logdir, prefix, func)
    observer = brian2_to_observer(monitors, dt)
    observer.to_tensorboard(writer_or_logdir, prefix)
    return observer
