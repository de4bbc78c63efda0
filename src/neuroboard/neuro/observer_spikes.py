"""Spikes of an Observer's recordings: their store, counts per sampling window and the population rate.

The functions work on a :class:`~neuroboard.neuro.buffers.SpikeBuffer` (the
sparse (step, neuron) events of one spike variable) and the Observer's
``dt``; :class:`SpikeRecording` holds the Observer's methods over them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import h5py
import numpy as np
import pandas as pd

from neuroboard.neuro.buffers import SPIKES_GROUP, SpikeBuffer
from neuroboard.neuro.h5series import H5Series
from neuroboard.summary.convert import INT64_MAX, INT64_MIN, as_step

_RECORD = "Observer.record"

__all__ = [
    "SpikeRecording",
    "check_events",
    "population_rate",
    "smooth_kernel",
    "smooth_rate",
    "spike_counts",
]


def smooth_rate(rate: np.ndarray, smooth: Any, step_time: float) -> np.ndarray:
    """Return ``rate`` smoothed as Brian2's ``PopulationRateMonitor.smooth_rate`` smooths it.

    ``smooth`` is, in time units (``step_time`` is one entry of ``rate``):

    - ``("gaussian", sd)``: a Gaussian of standard deviation ``sd``, cut at
      +-2 sd, as Brian2 cuts it: ``round(2 * sd / step_time)`` entries each
      side (half-way rounds to even, as ``np.round`` does);
      ``("gaussian", sd, cutoff)`` cuts it at +-``cutoff`` sd instead
      (4 for a kernel that keeps 99.99 % of the Gaussian's weight);
    - ``("flat", width)``: a box of ``width`` rounded to the nearest odd
      number of entries, ``int(width / 2 / step_time) * 2 + 1``, so that the
      rate is not shifted in time (a width of 50 steps is 51 entries).

    The kernel is normalised to a sum of 1 and centred on each entry; beyond
    both ends the rate counts as 0 (``np.convolve(..., mode="same")``).
    A kernel longer than ``rate`` keeps ``len(rate)`` entries, the centred ones.

    >>> smooth_rate(np.array([0.0, 3.0, 0.0]), ("flat", 3.0), 1.0).tolist()
    [1.0, 1.0, 1.0]
    >>> smooth_rate(np.array([0.0, 4.0, 0.0]), ("flat", 2.0), 1.0).tolist()  # 2 steps: 3 entries
    [1.3333333333333333, 1.3333333333333333, 1.3333333333333333]
    """
    kernel = smooth_kernel(smooth, step_time)
    full = np.convolve(rate, kernel)
    first = (len(kernel) - 1) // 2
    return full[first : first + len(rate)]


def smooth_kernel(smooth: Any, step_time: float) -> np.ndarray:
    """Return the normalised kernel of ``smooth`` (see :func:`smooth_rate`), odd in length.

    >>> smooth_kernel(("gaussian", 1.0), 1.0).round(3).tolist()
    [0.054, 0.244, 0.403, 0.244, 0.054]
    """
    func = "Observer.population_rate(smooth=...)"
    kinds = {"gaussian": (2, 3), "flat": (2,)}
    if not (isinstance(smooth, tuple) and smooth and smooth[0] in kinds and len(smooth) in kinds[smooth[0]]):
        raise ValueError(
            f"{func}: expected ('gaussian', sd), ('gaussian', sd, cutoff) or ('flat', width), got {smooth!r}"
        )
    for value in smooth[1:]:
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float, np.integer, np.floating))
            or not value > 0
        ):
            raise ValueError(f"{func}: expected a width and cutoff > 0, got {value!r}")
    if smooth[0] == "gaussian":
        sd = float(smooth[1])
        cutoff = float(smooth[2]) if len(smooth) == 3 else 2.0
        # The same operations as Brian2's, in its order, so that the
        # rounding of the kernel's length agrees with it to the last bit.
        half = int(np.round(cutoff * sd / step_time))
        kernel = np.exp(-(np.arange(-half, half + 1) ** 2) * 1.0 / (2 * (sd / step_time) ** 2))
    else:
        kernel = np.ones(int(float(smooth[1]) / 2 / step_time) * 2 + 1)
    return kernel / kernel.sum()


def spike_counts(buffer: SpikeBuffer, every: int, dt: float) -> pd.DataFrame:
    """Return the spikes of ``buffer`` summed per neuron over windows of ``every`` steps, time as the index.

    Windows start at the multiples of ``every``, as the sampled steps do.

    >>> b = SpikeBuffer("s")
    >>> for step in range(4): b.append(step, np.array([True, step == 3]))
    >>> spike_counts(b, 2, 1.0).to_numpy().tolist()
    [[2, 0], [2, 1]]
    """
    steps, neurons = buffer.events()
    first = -(-buffer.first_step // every) * every if buffer.first_step is not None else 0
    last = buffer.last_step if buffer.last_step is not None else -1
    windows = max(0, (last - first) // every + 1)
    keep = steps >= first
    window = (steps[keep] - first) // every
    counts = np.bincount(
        window * buffer.n_neurons + neurons[keep], minlength=windows * buffer.n_neurons
    ).reshape(windows, buffer.n_neurons)
    times = (first + np.arange(windows) * every) * dt
    return pd.DataFrame(counts, index=pd.Index(times, name="time"))


def population_rate(
    buffer: SpikeBuffer, dt: float, smooth: Any, bin: Any, spike_steps: np.ndarray | None = None
) -> pd.Series:
    """Return spikes per neuron per unit of time at each step (or ``bin``), optionally smoothed.

    ``spike_steps`` are the events' steps when they were read already.

    >>> b = SpikeBuffer("s")
    >>> for step in range(4): b.append(step, np.array([step % 2 == 1, False]))
    >>> population_rate(b, 0.5, None, 1.0).tolist()
    [0.5, 0.5]
    """
    counts, first = buffer.counts_per_step(spike_steps)
    width_steps = 1
    if bin is not None:
        if not (isinstance(bin, (int, float)) and bin >= dt):
            raise ValueError(f"Observer.population_rate(bin=...): expected a duration >= dt, got {bin!r}")
        width_steps = round(bin / dt)
        usable = len(counts) - len(counts) % width_steps
        counts = counts[:usable].reshape(-1, width_steps).sum(axis=1)
    rate = counts / (buffer.n_neurons * width_steps * dt)
    if smooth is not None:
        rate = smooth_rate(rate, smooth, dt * width_steps)
    times = (first + np.arange(len(rate)) * width_steps) * dt
    return pd.Series(rate, index=pd.Index(times, name="time"))


def _silent_span(
    n_neurons: Any, start: Any, stop: Any, buffer: SpikeBuffer | None, func: str
) -> tuple[np.ndarray, np.ndarray, int, int | None, int] | None:
    """Return no spikes over a known span (a silent population still has a rate of 0); ``None`` if unknown."""
    first = buffer.first_step if buffer is not None else start
    if stop is None or first is None or (n_neurons is None and buffer is None):
        return None
    if n_neurons is None:
        n_neurons = buffer.n_neurons  # type: ignore[union-attr]
    elif isinstance(n_neurons, bool) or not isinstance(n_neurons, (int, np.integer)) or n_neurons < 1:
        raise ValueError(f"{func}(n_neurons=...): expected an int >= 1, got {n_neurons!r}")
    if start is not None and buffer is not None:
        raise ValueError(
            f"{func}(start=...): {buffer.name!r} is recorded already, from step {buffer.first_step}"
        )
    stop = as_step(stop, func, "stop")
    floor = as_step(first, func, "start") if buffer is None else buffer.last_step
    if floor is not None and stop < floor:
        raise ValueError(f"{func}(stop=...): expected a step >= {floor}, got {stop}")
    empty = np.zeros(0, np.int64)
    return empty, empty, int(n_neurons), None if start is None else int(start), stop


def check_events(
    steps: Any, neurons: Any, n_neurons: Any, start: Any, stop: Any, buffer: SpikeBuffer | None, func: str
) -> tuple[np.ndarray, np.ndarray, int, int | None, int | None] | None:
    """Return spike events as :meth:`SpikeBuffer.extend` takes them, sorted by step; ``None`` for none.

    >>> [a.tolist() if hasattr(a, "tolist") else a for a in check_events([3, 1], [0, 2], None, None, 9, None, "f")]
    [[1, 3], [2, 0], 3, None, 9]
    """
    steps = np.asarray(steps)
    neurons = np.asarray(neurons)
    for arg, array in (("steps", steps), ("neurons", neurons)):
        if array.ndim != 1 or (len(array) and array.dtype.kind not in "iu"):
            raise TypeError(
                f"{func}({arg}=...): expected a 1-D array of ints, got {array.dtype} {array.shape}"
            )
    if len(steps) != len(neurons):
        raise ValueError(
            f"{func}(neurons=...): expected {len(steps)} neurons, one per step, got {len(neurons)}"
        )
    if not len(steps):
        return _silent_span(n_neurons, start, stop, buffer, func)
    order = np.argsort(steps, kind="stable")
    steps, neurons = steps[order].astype(np.int64), neurons[order].astype(np.int64)
    if neurons.min() < 0:
        raise ValueError(f"{func}(neurons=...): expected neuron indices >= 0, got {int(neurons.min())}")
    largest = int(neurons.max()) + 1
    if n_neurons is None:
        n_neurons = largest
    elif isinstance(n_neurons, bool) or not isinstance(n_neurons, (int, np.integer)) or n_neurons < largest:
        raise ValueError(f"{func}(n_neurons=...): expected an int >= {largest}, got {n_neurons!r}")
    if buffer is not None and buffer.last_step is not None and steps[0] < buffer.last_step:
        raise ValueError(
            f"{func}(steps=...): expected steps from {buffer.last_step} on, the last recorded, "
            f"got {int(steps[0])}"
        )
    as_step(int(steps[0]), func, "steps")
    as_step(int(steps[-1]), func, "steps")
    if start is not None and buffer is not None:
        raise ValueError(
            f"{func}(start=...): {buffer.name!r} is recorded already, from step {buffer.first_step}"
        )
    if start is not None and as_step(start, func, "start") > steps[0]:
        raise ValueError(
            f"{func}(start=...): expected a step <= {int(steps[0])}, the first spike's, got {start}"
        )
    if stop is not None and as_step(stop, func, "stop") < steps[-1]:
        raise ValueError(
            f"{func}(stop=...): expected a step >= {int(steps[-1])}, the last spike's, got {stop}"
        )
    return (
        steps,
        neurons,
        int(n_neurons),
        None if start is None else int(start),
        None if stop is None else int(stop),
    )


class SpikeRecording:
    """The Observer's spike store: spikes kept at every step, and their counts and rates (a mixin of Observer).

    >>> from neuroboard.neuro import Observer
    >>> issubclass(Observer, SpikeRecording)
    True
    """

    dt: float
    sampling_steps: int
    chunk_bytes: int
    _file: h5py.File | None
    _spike_keys: list[tuple[str, str]]
    _spikes: dict[tuple[str, str], SpikeBuffer]
    _stores: list[Any]

    def _record_spikes(self, step: int, record_spikes: Sequence[Any]) -> None:
        if len(record_spikes) != len(self._spike_keys):
            raise ValueError(
                f"Observer.record(record_spikes=...): expected {len(self._spike_keys)} arrays, one per "
                f"declared spike variable, got {len(record_spikes)}"
            )
        if not INT64_MIN <= step <= INT64_MAX:
            as_step(step, _RECORD, "step")
        for key, fired in zip(self._spike_keys, record_spikes):
            self._spike_store(key, "Observer.record(record_spikes=...)").append(step, fired)

    def _spike_store(self, key: tuple[str, str], where: str) -> SpikeBuffer:
        buffer = self._spikes.get(key)
        if buffer is None:
            name = "/".join(key)
            sink = None
            if self._file is not None:
                sink = H5Series(
                    self._file, f"{SPIKES_GROUP}/{name}", chunk_bytes=self.chunk_bytes, where=where
                )
            buffer = self._spikes[key] = SpikeBuffer(name, sink)
            self._stores.append(buffer)
        return buffer

    def record_spike_events(
        self,
        node: str,
        var: str,
        steps: Any,
        neurons: Any,
        n_neurons: int | None = None,
        start: int | None = None,
        stop: int | None = None,
    ) -> None:
        """Add many spikes of a declared ``(node, var)`` at once, as ``(step, neuron)`` pairs.

        This is the way in for spikes a simulator's monitor or a file already
        holds. ``steps`` must not go back before the last recorded step;
        they are sorted (stably) here. ``n_neurons`` defaults to the largest
        neuron index + 1; ``start``, the step the recording began at (rates
        count from it), to the first spike's step; ``stop``, the last step
        recorded, to the last spike's. No spikes at all, with ``n_neurons``,
        ``start`` and ``stop``, record a silent span: its rate is 0, not missing.

        >>> from neuroboard.neuro import Observer
        >>> obs = Observer(0.5, record_spikes=[("lif", "s")])
        >>> obs.record_spike_events("lif", "s", [3, 1, 3], [0, 2, 1], n_neurons=4)
        >>> [a.tolist() for a in obs.spikes("lif", "s")]
        [[1, 3, 3], [2, 0, 1]]
        """
        func = "Observer.record_spike_events"
        key = (node, var)
        if key not in self._spike_keys:
            raise KeyError(f"{func}(node=..., var=...): {key!r} is not declared in record_spikes")
        buffer = self._spikes.get(key)
        checked = check_events(steps, neurons, n_neurons, start, stop, buffer, func)
        if checked is not None:
            self._spike_store(key, f"{func}(...)").extend(*checked)

    def spikes(self, node: str, var: str) -> tuple[np.ndarray, np.ndarray]:
        """Return the recorded spike events of ``(node, var)`` as ``(steps, neurons)`` int arrays.

        >>> from neuroboard.neuro import Observer
        >>> obs = Observer(1.0, record_spikes=[("lif", "s")])
        >>> obs.record(4, record_spikes=[np.array([False, True])])
        >>> [a.tolist() for a in obs.spikes("lif", "s")]
        [[4], [1]]
        """
        return self._spike_buffer(node, var).events()

    def spike_counts(self, node: str, var: str) -> pd.DataFrame:
        """Return the spikes of ``(node, var)`` summed per neuron over each ``sampling_steps`` window.

        Row ``k`` counts the spikes of steps ``[s, s + sampling_steps)`` where
        ``s`` is the k-th recorded step, so the counts line up with the sampled
        recordings and no spike between two samples is lost. The index is the
        time of ``s``; columns are neurons.

        >>> from neuroboard.neuro import Observer
        >>> obs = Observer(1.0, sampling_steps=2, record_spikes=[("lif", "s")])
        >>> for step in range(4): obs.record(step, record_spikes=[np.array([True, step == 3])])
        >>> obs.spike_counts("lif", "s").to_numpy().tolist()
        [[2, 0], [2, 1]]
        """
        return spike_counts(self._spike_buffer(node, var), self.sampling_steps, self.dt)

    def _spike_buffer(self, node: str, var: str) -> SpikeBuffer:
        buffer = self._spikes.get((node, var))
        if buffer is None:
            raise KeyError(f"Observer: no spikes recorded under {(node, var)!r}")
        return buffer

    def population_rate(
        self, node: str, var: str, smooth: tuple[str, float] | None = None, bin: float | None = None
    ) -> pd.Series:
        """Return the population rate of ``(node, var)``: spikes per neuron per unit of ``dt``'s time.

        ``bin`` sums spikes over windows of that duration; ``smooth`` is
        ``("gaussian", sd)`` (cut at 2 sd; ``("gaussian", sd, 4)`` at 4) or
        ``("flat", width)`` in time units, Brian2's PopulationRateMonitor.smooth_rate
        to 1e-9 (see :func:`~neuroboard.neuro.observer_spikes.smooth_rate`).
        The index is the time of each step or bin.

        >>> from neuroboard.neuro import Observer
        >>> obs = Observer(0.5, record_spikes=[("lif", "s")])
        >>> for step in range(4): obs.record(step, record_spikes=[np.array([step % 2 == 1, False])])
        >>> obs.population_rate("lif", "s", bin=1.0).tolist()
        [0.5, 0.5]
        """
        return self._population_rate(node, var, smooth, bin)

    def _population_rate(
        self, node: str, var: str, smooth: Any, bin: Any, spike_steps: np.ndarray | None = None
    ) -> pd.Series:
        buffer = self._spike_buffer(node, var)
        rate = population_rate(buffer, self.dt, smooth, bin, spike_steps)
        rate.name = f"{node}/{var} rate"
        return rate

    @property
    def recorded_spikes(self) -> list[tuple[str, str]]:
        """Return the ``(node, var)`` keys that hold spike recordings.

        >>> from neuroboard.neuro import Observer
        >>> obs = Observer(1.0, record_spikes=[("lif", "s")])
        >>> obs.record(0, record_spikes=[np.array([True])]); obs.recorded_spikes
        [('lif', 's')]
        """
        # A buffer whose first array was refused holds nothing.
        return [key for key, buffer in self._spikes.items() if buffer.first_step is not None]
