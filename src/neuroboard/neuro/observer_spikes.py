"""Spike statistics of an Observer's recordings: counts per sampling window and the population rate.

Both work on a :class:`~neuroboard.neuro.buffers.SpikeBuffer` (the sparse
(step, neuron) events of one spike variable) and the Observer's ``dt``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from neuroboard.neuro.buffers import SpikeBuffer
from neuroboard.summary.convert import as_step

__all__ = ["check_events", "population_rate", "smooth_kernel", "smooth_rate", "spike_counts"]


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
