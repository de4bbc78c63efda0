"""Record a simulation step by step into growable NumPy buffers (rectipy's Observer surface).

rectipy keeps every recorded value as a live tensor in a Python list. Here
each recorded quantity owns one preallocated array that doubles when full:
recording costs about a copy, torch tensors are detached and moved to the
CPU once, and steps are kept as integers beside ``dt`` so that times are exact.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from neuroboard.summary.convert import is_tensor

__all__ = ["Observer", "SeriesBuffer", "SpikeBuffer"]

Key = str | tuple[str, str]
_REDUCERS: dict[str, Callable[[np.ndarray], Any]] = {"mean": np.mean, "sum": np.sum, "std": np.std}


def _as_numpy(value: Any) -> np.ndarray:
    if is_tensor(value):
        value = value.detach().cpu().numpy()
    return np.asarray(value)


class SeriesBuffer:
    """Values of one shape appended step by step into an array that doubles when full.

    >>> b = SeriesBuffer("v")
    >>> for i in range(3): b.append(i, np.array([i, i + 1.0]))
    >>> b.steps.tolist(), b.values.tolist()
    ([0, 1, 2], [[0.0, 1.0], [1.0, 2.0], [2.0, 3.0]])
    """

    def __init__(self, name: str, capacity: int = 1024) -> None:
        self.name = name
        self._capacity = capacity
        self._data: np.ndarray | None = None
        self._steps = np.empty(capacity, np.int64)
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def append(self, step: int, value: Any) -> None:
        """Copy ``value`` in as the entry of ``step``; its shape must not change between steps."""
        array = _as_numpy(value)
        if self._data is None:
            self._data = np.empty(
                (self._capacity, *array.shape), array.dtype if array.dtype.kind in "biuf" else float
            )
        elif array.shape != self._data.shape[1:]:
            raise ValueError(
                f"Observer.record({self.name}=...): expected shape {self._data.shape[1:]} as at the first "
                f"recorded step, got {array.shape}"
            )
        if self._size == len(self._steps):
            self._grow()
        self._data[self._size] = array
        self._steps[self._size] = step
        self._size += 1

    def _grow(self) -> None:
        capacity = 2 * len(self._steps)
        self._steps = np.resize(self._steps, capacity)
        assert self._data is not None
        grown = np.empty((capacity, *self._data.shape[1:]), self._data.dtype)
        grown[: self._size] = self._data[: self._size]
        self._data = grown

    @property
    def steps(self) -> np.ndarray:
        """Return the recorded steps (a view)."""
        return self._steps[: self._size]

    @property
    def values(self) -> np.ndarray:
        """Return the recorded values, steps on axis 0 (a view)."""
        if self._data is None:
            return np.empty(0)
        return self._data[: self._size]


class SpikeBuffer:
    """Spike events kept sparsely as growable (step, neuron) pairs.

    >>> b = SpikeBuffer("spikes"); b.append(3, np.array([False, True, True]))
    >>> [a.tolist() for a in b.events()]
    [[3, 3], [1, 2]]
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.n_neurons = 0
        self._parts_steps: list[np.ndarray] = []
        self._parts_neurons: list[np.ndarray] = []
        self.first_step: int | None = None
        self.last_step: int | None = None

    def append(self, step: int, fired: Any) -> None:
        """Add the spikes of one step: a boolean or count array over the neurons."""
        array = _as_numpy(fired)
        if array.ndim != 1:
            raise ValueError(
                f"Observer.record(record_spikes=...): expected a 1-D array per step, got {array.shape}"
            )
        if self.first_step is None:
            self.n_neurons = len(array)
            self.first_step = step
        elif len(array) != self.n_neurons:
            raise ValueError(
                f"Observer.record(record_spikes=...): expected {self.n_neurons} neurons as at the first step, "
                f"got {len(array)}"
            )
        self.last_step = step
        neurons = np.flatnonzero(array)
        if array.dtype.kind in "iuf":
            neurons = np.repeat(neurons, array[neurons].astype(np.int64))
        if len(neurons):
            self._parts_neurons.append(neurons.astype(np.int64))
            self._parts_steps.append(np.full(len(neurons), step, np.int64))

    def events(self) -> tuple[np.ndarray, np.ndarray]:
        """Return every spike as ``(steps, neurons)`` int64 arrays, in step order."""
        if len(self._parts_steps) > 1:
            self._parts_steps = [np.concatenate(self._parts_steps)]
            self._parts_neurons = [np.concatenate(self._parts_neurons)]
        if not self._parts_steps:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        return self._parts_steps[0], self._parts_neurons[0]

    def counts_per_step(self) -> tuple[np.ndarray, int]:
        """Return the number of spikes at each step from the first recorded one, and that step."""
        if self.first_step is None or self.last_step is None:
            return np.zeros(0), 0
        steps, _ = self.events()
        counts = np.bincount(steps - self.first_step, minlength=self.last_step - self.first_step + 1)
        return counts.astype(np.float64), self.first_step


def _smooth(rate: np.ndarray, smooth: Any, step_time: float) -> np.ndarray:
    if not (isinstance(smooth, tuple) and len(smooth) == 2 and smooth[0] in ("gaussian", "flat")):
        raise ValueError(
            f"Observer.population_rate(smooth=...): expected ('gaussian', sd) or ('flat', width), got {smooth!r}"
        )
    kind, width = smooth
    if not (isinstance(width, (int, float)) and width > 0):
        raise ValueError(f"Observer.population_rate(smooth=...): expected a width > 0, got {width!r}")
    if kind == "gaussian":
        sd = width / step_time
        half = int(np.ceil(4 * sd))
        x = np.arange(-half, half + 1)
        kernel = np.exp(-0.5 * (x / sd) ** 2)
    else:
        kernel = np.ones(max(1, round(width / step_time)))
    kernel /= kernel.sum()
    return np.convolve(rate, kernel, mode="same")


class Observer:
    """Record a network's output, loss and state variables during a simulation or training loop.

    ``record_vars`` lists ``(node, var, reduce)`` entries, optionally with a
    fourth, the indices of the neurons to keep. ``reduce`` is ``False`` (keep
    every neuron), ``True`` or ``"mean"``, ``"sum"``, ``"std"``, or a function
    of the array. Every ``sampling_steps``-th step is kept.

    >>> obs = Observer(0.1, record_vars=[("qif", "v", False)])
    >>> for step in range(4): obs.record(step, output=step * 1.0, loss=0.0, record_vars=[np.ones(3) * step])
    >>> obs.to_numpy(("qif", "v")).shape, obs.to_dataframe("out").index.tolist()
    ((4, 3), [0.0, 0.1, 0.2, 0.30000000000000004])
    """

    def __init__(
        self,
        dt: float,
        record_output: bool = True,
        record_loss: bool = True,
        record_vars: Sequence[tuple] | None = None,
        sampling_steps: int = 1,
        record_spikes: Sequence[tuple[str, str]] | None = None,
    ) -> None:
        if isinstance(dt, bool) or not isinstance(dt, (int, float, np.number)) or not dt > 0:
            raise ValueError(f"Observer(dt=...): expected a step size > 0, got {dt!r}")
        if (
            isinstance(sampling_steps, bool)
            or not isinstance(sampling_steps, (int, np.integer))
            or sampling_steps < 1
        ):
            raise ValueError(f"Observer(sampling_steps=...): expected an int >= 1, got {sampling_steps!r}")
        self.dt = float(dt)
        self.sampling_steps = int(sampling_steps)
        self.record_output = bool(record_output)
        self.record_loss = bool(record_loss)
        self._vars = [self._check_var(i, entry) for i, entry in enumerate(record_vars or [])]
        self._buffers: dict[Key, SeriesBuffer] = {}
        self._saved: dict[Key, Any] = {}
        self._spike_keys = [self._check_spikes(i, entry) for i, entry in enumerate(record_spikes or [])]
        self._spikes: dict[tuple[str, str], SpikeBuffer] = {}

    @staticmethod
    def _check_spikes(index: int, entry: Any) -> tuple[str, str]:
        if not (
            isinstance(entry, (tuple, list)) and len(entry) == 2 and all(isinstance(x, str) for x in entry)
        ):
            raise TypeError(
                f"Observer(record_spikes[{index}]=...): expected (node, var) names, got {entry!r}"
            )
        return (entry[0], entry[1])

    @staticmethod
    def _check_var(index: int, entry: Any) -> tuple[tuple[str, str], Callable | None, Any]:
        if not isinstance(entry, (tuple, list)) or len(entry) not in (3, 4):
            raise TypeError(
                f"Observer(record_vars[{index}]=...): expected (node, var, reduce) or "
                f"(node, var, reduce, indices), got {entry!r}"
            )
        node, var, reduce = entry[:3]
        if not isinstance(node, str) or not isinstance(var, str):
            raise TypeError(
                f"Observer(record_vars[{index}]=...): expected str node and var names, got {entry!r}"
            )
        if reduce is True:
            reducer: Callable | None = np.mean
        elif reduce is False or reduce is None:
            reducer = None
        elif isinstance(reduce, str) and reduce in _REDUCERS:
            reducer = _REDUCERS[reduce]
        elif callable(reduce):
            reducer = reduce
        else:
            raise ValueError(
                f"Observer(record_vars[{index}]=...): expected reduce True/False, 'mean', 'sum', 'std' "
                f"or a function, got {reduce!r}"
            )
        indices = np.asarray(entry[3]) if len(entry) == 4 else None
        return (node, var), reducer, indices

    @property
    def recorded_rnn_variables(self) -> list[tuple[str, str]]:
        """Return the ``(node, var)`` keys declared in ``record_vars``, in order."""
        return [key for key, _reducer, _indices in self._vars]

    recorded_state_variables = recorded_rnn_variables

    @property
    def recorded_variables(self) -> list[Key]:
        """Return every key that holds recordings (``"out"``, ``"loss"``, ``(node, var)``, saved keys)."""
        return [key for key, buffer in self._buffers.items() if len(buffer)] + list(self._saved)

    def record(
        self,
        step: int,
        output: Any = None,
        loss: Any = None,
        record_vars: Sequence[Any] | None = None,
        record_spikes: Sequence[Any] | None = None,
    ) -> None:
        """Record this step's values if ``step`` is a multiple of ``sampling_steps``.

        ``record_vars`` holds one value per declared variable, in order.
        ``record_spikes`` holds one boolean (or count) array per declared spike
        variable; spikes are kept at every step, whatever ``sampling_steps``,
        so none is lost between samples.
        """
        if record_spikes is not None:
            if len(record_spikes) != len(self._spike_keys):
                raise ValueError(
                    f"Observer.record(record_spikes=...): expected {len(self._spike_keys)} arrays, one per "
                    f"declared spike variable, got {len(record_spikes)}"
                )
            for key, fired in zip(self._spike_keys, record_spikes):
                buffer = self._spikes.get(key)
                if buffer is None:
                    buffer = self._spikes[key] = SpikeBuffer("/".join(key))
                buffer.append(step, fired)
        if step % self.sampling_steps:
            return
        if record_vars is not None and len(record_vars) != len(self._vars):
            raise ValueError(
                f"Observer.record(record_vars=...): expected {len(self._vars)} values, one per declared "
                f"variable, got {len(record_vars)}"
            )
        if self.record_output and output is not None:
            self._buffer("out").append(step, output)
        if self.record_loss and loss is not None:
            self._buffer("loss").append(step, loss)
        for (key, reducer, indices), value in zip(self._vars, record_vars or ()):
            array = _as_numpy(value)
            if indices is not None:
                array = array[indices]
            if reducer is not None:
                array = np.asarray(reducer(array))
            self._buffer(key).append(step, array)

    def _buffer(self, key: Key) -> SeriesBuffer:
        buffer = self._buffers.get(key)
        if buffer is None:
            buffer = self._buffers[key] = SeriesBuffer(key if isinstance(key, str) else "/".join(key))
        return buffer

    def _series(self, key: Key) -> SeriesBuffer:
        buffer = self._buffers.get(key)
        if buffer is None:
            known = ", ".join(map(repr, self.recorded_variables)) or "none yet"
            raise KeyError(f"Observer: nothing recorded under {key!r} (recorded: {known})")
        return buffer

    def __getitem__(self, key: Key) -> Any:
        """Return the recorded per-step values of ``key`` (a sequence, steps first), or a saved value."""
        if key in self._saved:
            return self._saved[key]
        return list(self._series(key).values)

    def to_numpy(self, key: Key) -> np.ndarray:
        """Return the recordings of ``key`` as one array: steps × neurons, or steps."""
        if key in self._saved:
            return np.asarray(self._saved[key])
        return self._series(key).values.copy()

    def times(self, key: Key) -> np.ndarray:
        """Return the times of ``key``'s recordings: recorded step × ``dt``."""
        return self._series(key).steps * self.dt

    def to_dataframe(self, key: Key) -> pd.DataFrame:
        """Return ``key``'s recordings with time (step × dt) as the index, one column per neuron."""
        values = self.to_numpy(key)
        frame = pd.DataFrame(values.reshape(len(values), -1) if values.ndim != 1 else values[:, None])
        frame.index = pd.Index(self.times(key), name="time")
        return frame

    @property
    def recordings(self) -> pd.DataFrame:
        """Return every recorded quantity as one DataFrame column of per-step values."""
        return pd.DataFrame(
            {key: list(buffer.values) for key, buffer in self._buffers.items() if len(buffer)}
        )

    def save(self, key: Key, val: Any) -> None:
        """Keep ``val`` under ``key`` alongside the recordings."""
        self._saved[key] = val

    def reset(self) -> None:
        """Forget every recording and saved value."""
        self._buffers.clear()
        self._saved.clear()
        self._spikes.clear()

    def spikes(self, node: str, var: str) -> tuple[np.ndarray, np.ndarray]:
        """Return the recorded spike events of ``(node, var)`` as ``(steps, neurons)`` int arrays.

        >>> obs = Observer(1.0, record_spikes=[("lif", "s")])
        >>> obs.record(4, record_spikes=[np.array([False, True])])
        >>> [a.tolist() for a in obs.spikes("lif", "s")]
        [[4], [1]]
        """
        return self._spike_buffer(node, var).events()

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
        ``("gaussian", sd)`` or ``("flat", width)`` in time units, as Brian2's
        PopulationRateMonitor smooths. The index is the time of each step or bin.

        >>> obs = Observer(0.5, record_spikes=[("lif", "s")])
        >>> for step in range(4): obs.record(step, record_spikes=[np.array([step % 2 == 1, False])])
        >>> obs.population_rate("lif", "s", bin=1.0).tolist()
        [0.5, 0.5]
        """
        buffer = self._spike_buffer(node, var)
        counts, first = buffer.counts_per_step()
        width_steps = 1
        if bin is not None:
            if not (isinstance(bin, (int, float)) and bin >= self.dt):
                raise ValueError(f"Observer.population_rate(bin=...): expected a duration >= dt, got {bin!r}")
            width_steps = round(bin / self.dt)
            usable = len(counts) - len(counts) % width_steps
            counts = counts[:usable].reshape(-1, width_steps).sum(axis=1)
        rate = counts / (buffer.n_neurons * width_steps * self.dt)
        if smooth is not None:
            rate = _smooth(rate, smooth, self.dt * width_steps)
        times = (first + np.arange(len(rate)) * width_steps) * self.dt
        return pd.Series(rate, index=pd.Index(times, name="time"), name=f"{node}/{var} rate")

    def plot(self, y: Key, x: Key | None = None, ax: Any = None, **kwargs: Any) -> Any:
        """Plot ``y`` against time, or against another recorded key ``x``; return the axes (matplotlib)."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots()
        xs = self.times(y) if x is None else self.to_numpy(x)
        ax.plot(xs, self.to_numpy(y), **kwargs)
        ax.set_xlabel("time" if x is None else str(x))
        ax.set_ylabel(str(y))
        return ax

    def matshow(self, v: Key, ax: Any = None, **kwargs: Any) -> Any:
        """Show ``v``'s steps × neurons recordings as an image (matplotlib); return the axes."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots()
        ax.imshow(self.to_numpy(v).T, aspect="auto", interpolation="none", **kwargs)
        ax.set_xlabel("recorded step")
        ax.set_ylabel("neuron")
        return ax
