"""Record a simulation step by step into growable NumPy buffers (rectipy's Observer surface).

rectipy keeps every recorded value as a live tensor in a Python list. Here
each recorded quantity owns one preallocated array that doubles when full:
recording costs about a copy, torch tensors are detached and moved to the
CPU once, and steps are kept as integers beside ``dt`` so that times are exact.
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import h5py
import numpy as np
import pandas as pd

from neuroboard.neuro.buffers import SPIKES_GROUP, SeriesBuffer, SpikeBuffer, StoredSeries, as_numpy
from neuroboard.neuro.h5series import CHUNK_BYTES, H5Series, check_chunk_bytes, flush_and_close
from neuroboard.summary.convert import INT64_MAX, INT64_MIN, as_path, as_step

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["Observer"]

Key = str | tuple[str, str]
_REDUCERS: dict[str, Callable[[np.ndarray], Any]] = {"mean": np.mean, "sum": np.sum, "std": np.std}


def _create_file(path: str, dt: float, sampling_steps: int) -> h5py.File:
    try:
        folder = os.path.dirname(path)
        if folder:
            os.makedirs(folder, exist_ok=True)
        file = h5py.File(path, "w")
    except OSError as error:
        raise OSError(f"Observer(hdf5=...): cannot create {path!r}: {error}") from error
    file.attrs.update(dt=dt, sampling_steps=sampling_steps)
    return file


_RECORD = "Observer.record"


def _out_of_range(indices: np.ndarray, shape: tuple[int, ...], where: str) -> str | None:
    """Return why ``indices`` (ints or a mask) cannot select neurons from an array of ``shape``, or None."""
    if not shape:
        return f"{where}: expected an array of neurons to select from, got a scalar"
    n = shape[0]
    if indices.dtype.kind == "b":
        if len(indices) != n:
            return f"{where}: a mask of {len(indices)} neurons cannot select from {n}, got shape {shape}"
        return None
    bad = indices[(indices < -n) | (indices >= n)]
    if bad.size:
        return (
            f"{where}: neuron index {int(bad[0])} is out of range for {n} neurons "
            f"(valid: 0 to {n - 1}, or -{n} to -1 counting from the end)"
        )
    return None


def _transform(reducer: Callable | None, indices: np.ndarray | None, where: str) -> Callable | None:
    """Return what turns a recorded value into the stored one, or None when it is stored as it is."""
    if reducer is None and indices is None:
        return None

    def transform(value: Any) -> np.ndarray:
        array = as_numpy(value)
        if indices is not None:
            try:
                array = array[indices]
            except IndexError:
                # The first record checked the indices; a value whose shape changed since lands here.
                problem = _out_of_range(indices, array.shape, where)
                raise ValueError(problem or f"{where}: cannot select neurons from shape {array.shape}") from None
        return array if reducer is None else np.asarray(reducer(array))

    return transform


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

    With ``hdf5=path`` the recordings are streamed to that HDF5 file in chunks
    of at most ``chunk_bytes`` per quantity, so a run may outgrow memory:
    ``<node>/<var>``, ``out`` and ``loss`` datasets (steps on axis 0), the
    step of each row under ``_steps/``, spike events as (step, neuron) rows
    under ``_spikes/``, and ``dt`` as a file attribute. :meth:`close` (or the
    end of a ``with`` block, or the interpreter's exit) writes the last
    chunk; reading keeps working after it.

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
        hdf5: str | os.PathLike[str] | None = None,
        chunk_bytes: int = CHUNK_BYTES,
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
        keys = [key for key, _, _ in self._vars]
        for index, key in enumerate(keys):
            if key in keys[:index]:
                raise ValueError(
                    f"Observer(record_vars[{index}]=...): {key!r} is declared twice; give the second "
                    "recording its own name, e.g. (node, 'v_mean', True)"
                )
        self._spike_keys = [self._check_spikes(i, entry) for i, entry in enumerate(record_spikes or [])]
        check_chunk_bytes(chunk_bytes, "Observer")
        self.chunk_bytes = chunk_bytes
        self.hdf5 = None if hdf5 is None else as_path(hdf5, "Observer", "hdf5")
        self._file: h5py.File | None = None
        self._closed = False
        # Flushing at exit needs the stores but not the Observer, so they live in a list of their own.
        self._stores: list[SeriesBuffer | StoredSeries | SpikeBuffer] = []
        if self.hdf5 is not None:
            self._file = _create_file(self.hdf5, self.dt, self.sampling_steps)
            self._finalizer = weakref.finalize(self, flush_and_close, self._file, self._stores)
        self._saved: dict[Key, Any] = {}
        self._start()

    def _start(self) -> None:
        self._buffers: dict[Key, SeriesBuffer | StoredSeries] = {}
        self._spikes: dict[tuple[str, str], SpikeBuffer] = {}
        self._stores.clear()
        self._buffer("out", f"{_RECORD}(output=...)")
        self._buffer("loss", f"{_RECORD}(loss=...)")
        # One (reducer, indices, store) slot per declared variable, so record() does no lookups.
        self._slots = []
        for i, (key, reducer, indices) in enumerate(self._vars):
            where = f"{_RECORD}(record_vars[{i}]=...) for {'/'.join(key)}"
            self._slots.append((_transform(reducer, indices, where), self._buffer(key, where).append))
        # Neuron indices wait for the shape they select from: the first record_vars checks them all.
        self._unchecked = [i for i, (_, _, indices) in enumerate(self._vars) if indices is not None]
        self._set_fast_path()

    def _set_fast_path(self) -> None:
        # record() tests one thing per call: that the step's type is this one. It is int while the
        # Observer is open and every neuron index has been checked; otherwise no type is, and every
        # call takes the checked path (_enter).
        self._fast_step = int if not (self._closed or self._unchecked) else None

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
        indices = None
        if len(entry) == 4:
            indices = np.asarray(entry[3])
            if indices.size == 0 and indices.dtype.kind == "f":
                indices = indices.astype(np.int64)
            mask = indices.dtype.kind == "b"
            if indices.ndim > 1 or indices.dtype.kind not in "biu" or (mask and indices.ndim == 0):
                raise TypeError(
                    f"Observer(record_vars[{index}]=...): expected the neurons to keep as integer indices or "
                    f"a boolean mask (1-D), got {indices.dtype} of shape {indices.shape}"
                )
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

        ``step`` is an int (or NumPy integer) within int64. ``record_vars``
        holds one value per declared variable, in order. ``record_spikes``
        holds one boolean (or count) array per declared spike variable; spikes
        are kept at every step, whatever ``sampling_steps``, so none is lost
        between samples. Neuron indices of ``record_vars`` entries are checked
        against the first values they select from, before any of that step is
        kept.

        >>> obs = Observer(1.0, record_vars=[("lif", "v", False, [0, 2])])
        >>> obs.record(0, output=0.5, record_vars=[np.array([1.0, 2.0, 3.0])]); obs.to_numpy(("lif", "v"))
        array([[1., 3.]])
        """
        if type(step) is not self._fast_step:
            step = self._enter(step, record_vars)
        try:
            if record_spikes is not None:
                self._record_spikes(step, record_spikes)
            if step % self.sampling_steps:
                return
            if output is not None and self.record_output:
                self._buffers["out"].append(step, output)
            if loss is not None and self.record_loss:
                self._buffers["loss"].append(step, loss)
            if record_vars is None:
                return
            try:
                count = len(record_vars)
            except TypeError:
                raise TypeError(
                    f"{_RECORD}(record_vars=...): expected a list of values, one per declared variable, "
                    f"got {type(record_vars).__name__}"
                ) from None
            if count != len(self._slots):
                raise ValueError(
                    f"{_RECORD}(record_vars=...): expected {len(self._slots)} values, one per declared "
                    f"variable, got {count}"
                )
            # An index loop: zip() costs as much as the copy of a small array.
            index = 0
            for transform, append in self._slots:
                value = record_vars[index]
                append(step, value if transform is None else transform(value))
                index += 1  # noqa: SIM113
        except OverflowError:
            # An int past int64 on the fast path fails in the first store, before anything is kept there.
            if not INT64_MIN <= step <= INT64_MAX:
                as_step(step, _RECORD, "step")
            raise

    def _enter(self, step: Any, record_vars: Sequence[Any] | None) -> int:
        """Check what the fast path of record() takes on trust: an open Observer, the step, neuron indices."""
        if self._closed:
            raise ValueError(f"{_RECORD}(step={step!r}): the Observer is closed")
        # NumPy's signed integers always fit int64: a loop over np.arange stays near the fast path.
        step = int(step) if isinstance(step, np.signedinteger) else as_step(step, _RECORD, "step")
        if not self._unchecked or record_vars is None or step % self.sampling_steps:
            return step
        try:
            count = len(record_vars)
        except TypeError:
            return step  # record() names the argument
        for i in self._unchecked:
            if i < count:
                key, _, indices = self._vars[i]
                where = f"{_RECORD}(record_vars[{i}]=...)"
                problem = _out_of_range(indices, as_numpy(record_vars[i]).shape, where)
                if problem:
                    raise ValueError(f"{problem}; record_vars[{i}] of the Observer is {key!r}")
        if count == len(self._slots):
            self._unchecked = []
            self._set_fast_path()
        return step

    def _record_spikes(self, step: int, record_spikes: Sequence[Any]) -> None:
        if len(record_spikes) != len(self._spike_keys):
            raise ValueError(
                f"Observer.record(record_spikes=...): expected {len(self._spike_keys)} arrays, one per "
                f"declared spike variable, got {len(record_spikes)}"
            )
        if not INT64_MIN <= step <= INT64_MAX:
            as_step(step, _RECORD, "step")
        for key, fired in zip(self._spike_keys, record_spikes):
            buffer = self._spikes.get(key)
            if buffer is None:
                name = "/".join(key)
                sink = None
                if self._file is not None:
                    sink = H5Series(
                        self._file,
                        f"{SPIKES_GROUP}/{name}",
                        chunk_bytes=self.chunk_bytes,
                        where="Observer.record(record_spikes=...)",
                    )
                buffer = self._spikes[key] = SpikeBuffer(name, sink)
                self._stores.append(buffer)
            buffer.append(step, fired)

    def _buffer(self, key: Key, where: str) -> SeriesBuffer | StoredSeries:
        buffer = self._buffers.get(key)
        if buffer is None:
            name = key if isinstance(key, str) else "/".join(key)
            if self._file is None:
                buffer = SeriesBuffer(name, where=where)
            else:
                buffer = StoredSeries(self._file, name, self.chunk_bytes, where=where)
            self._buffers[key] = buffer
            self._stores.append(buffer)
        return buffer

    def _series(self, key: Key) -> SeriesBuffer | StoredSeries:
        buffer = self._buffers.get(key)
        if buffer is None or not len(buffer):
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
        """Forget every recording and saved value (with ``hdf5=``, empty the file too)."""
        self._check_open("reset")
        if self._file is not None:
            for name in list(self._file):
                del self._file[name]
        self._saved.clear()
        self._start()

    def _check_open(self, func: str) -> None:
        if self._closed:
            raise ValueError(f"Observer.{func}(): the Observer is closed")

    def flush(self) -> None:
        """Write the chunks waiting in memory to the HDF5 file (nothing to do without ``hdf5=``).

        >>> import tempfile, os, h5py
        >>> obs = Observer(0.1, hdf5=os.path.join(tempfile.mkdtemp(), "run.h5"))
        >>> obs.record(0, output=1.0); obs.flush(); len(h5py.File(obs.hdf5, "r")["out"])
        1
        """
        if self._file is not None and not self._closed:
            for store in self._stores:
                store.flush()
            self._file.flush()

    def close(self) -> None:
        """Write the last chunks and close the HDF5 file; recordings stay readable. Idempotent.

        >>> import tempfile, os
        >>> obs = Observer(0.1, hdf5=os.path.join(tempfile.mkdtemp(), "run.h5"))
        >>> obs.record(0, output=1.0); obs.close(); obs.close(); obs.to_numpy("out").tolist()
        [1.0]
        """
        if self._file is None or self._closed:
            self._closed = True
            self._set_fast_path()
            return
        self._finalizer()
        self._closed = True
        self._set_fast_path()
        # Reads after close go through the same file, reopened read-only.
        self._file = h5py.File(self.hdf5, "r")
        for store in self._stores:
            if isinstance(store, StoredSeries):
                store.bind(self._file)
            elif store.sink is not None:
                store.sink = H5Series(self._file, store.sink.name, chunk_bytes=self.chunk_bytes)
        self._finalizer = weakref.finalize(self, self._file.close)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def spikes(self, node: str, var: str) -> tuple[np.ndarray, np.ndarray]:
        """Return the recorded spike events of ``(node, var)`` as ``(steps, neurons)`` int arrays.

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

        >>> obs = Observer(1.0, sampling_steps=2, record_spikes=[("lif", "s")])
        >>> for step in range(4): obs.record(step, record_spikes=[np.array([True, step == 3])])
        >>> obs.spike_counts("lif", "s").to_numpy().tolist()
        [[2, 0], [2, 1]]
        """
        buffer = self._spike_buffer(node, var)
        steps, neurons = buffer.events()
        every = self.sampling_steps
        first = -(-buffer.first_step // every) * every if buffer.first_step is not None else 0
        last = buffer.last_step if buffer.last_step is not None else -1
        windows = max(0, (last - first) // every + 1)
        keep = steps >= first
        window = (steps[keep] - first) // every
        counts = np.bincount(
            window * buffer.n_neurons + neurons[keep], minlength=windows * buffer.n_neurons
        ).reshape(windows, buffer.n_neurons)
        times = (first + np.arange(windows) * every) * self.dt
        return pd.DataFrame(counts, index=pd.Index(times, name="time"))

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
        return self._population_rate(node, var, smooth, bin)

    def _population_rate(
        self, node: str, var: str, smooth: Any, bin: Any, spike_steps: np.ndarray | None = None
    ) -> pd.Series:
        buffer = self._spike_buffer(node, var)
        counts, first = buffer.counts_per_step(spike_steps)
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

    def recorded_steps(self, key: Key) -> np.ndarray:
        """Return the step numbers at which ``key`` was recorded (int64).

        >>> obs = Observer(0.5, sampling_steps=2)
        >>> for step in range(5): obs.record(step, output=float(step))
        >>> obs.recorded_steps("out").tolist()
        [0, 2, 4]
        """
        return self._series(key).steps

    @property
    def recorded_spikes(self) -> list[tuple[str, str]]:
        """Return the ``(node, var)`` keys that hold spike recordings.

        >>> obs = Observer(1.0, record_spikes=[("lif", "s")])
        >>> obs.record(0, record_spikes=[np.array([True])]); obs.recorded_spikes
        [('lif', 's')]
        """
        # A buffer whose first array was refused holds nothing.
        return [key for key, buffer in self._spikes.items() if buffer.first_step is not None]

    def to_tensorboard(self, writer_or_logdir: Any, prefix: str = "") -> None:
        """Write the recordings to TensorBoard: traces as scalars, neurons as heatmaps, spikes as rasters.

        ``writer_or_logdir`` is a logdir (written and closed here), a
        :class:`~neuroboard.SummaryWriter` or a
        :class:`~neuroboard.neuro.TensorboardWriter`. Tags start with
        ``prefix``; ``path`` below is ``out``, ``loss`` or ``<node>/<var>``.

        - one value per step (``out``, ``loss``, reduced variables): the scalar
          series ``path`` at the recorded steps, written in bulk;
        - one value per neuron: a heatmap image ``path``, neurons as rows and
          time as columns (at most 2000 × 1000 pixels, averaged beyond), at the
          last recorded step;
        - spikes: a raster image ``<node>/<var>/raster`` and the population
          rate (spikes per neuron per unit of time) as the scalar series
          ``<node>/<var>/rate``, at every step from the first to the last.

        Everything recorded so far is written: call it once at the end, or
        after each chunk of a long run followed by :meth:`reset`.

        >>> import tempfile
        >>> obs = Observer(0.1, record_vars=[("lif", "v", False)], record_spikes=[("lif", "s")])
        >>> for t in range(50): obs.record(t, loss=1 / (t + 1), record_vars=[np.random.rand(8)],
        ...                                record_spikes=[np.random.rand(8) < 0.1])
        >>> obs.to_tensorboard(tempfile.mkdtemp(), prefix="sim/")
        """
        from neuroboard.api.summary_writer import SummaryWriter
        from neuroboard.neuro.tensorboard_writer import TensorboardWriter

        if not isinstance(prefix, str):
            raise TypeError(
                f"Observer.to_tensorboard(prefix=...): expected a str, got {type(prefix).__name__}"
            )
        if isinstance(writer_or_logdir, TensorboardWriter):
            self._write_views(writer_or_logdir, prefix)
        elif isinstance(writer_or_logdir, SummaryWriter):
            with TensorboardWriter(writer_or_logdir) as views:
                self._write_views(views, prefix)
        elif isinstance(writer_or_logdir, (str, os.PathLike)):
            logdir = as_path(writer_or_logdir, "Observer.to_tensorboard", "writer_or_logdir")
            with TensorboardWriter(logdir) as views:
                self._write_views(views, prefix)
        else:
            raise TypeError(
                "Observer.to_tensorboard(writer_or_logdir=...): expected a logdir, a SummaryWriter or a "
                f"TensorboardWriter, got {type(writer_or_logdir).__name__}"
            )

    def _write_views(self, views: Any, prefix: str) -> None:
        writer = views.writer
        for key, buffer in self._buffers.items():
            if not len(buffer):
                continue
            path = prefix + (key if isinstance(key, str) else "/".join(key))
            values = buffer.values
            steps = buffer.steps
            if values.ndim == 1:
                writer.add_series(path, values, steps=steps)
                continue
            name, _, attr = path.rpartition("/")
            neurons = values.reshape(len(values), -1).T
            views.heatmap(name or path, attr, neurons, {"global_step": int(steps[-1])})
        for (node, var), spikes in self._spikes.items():
            if spikes.first_step is None:
                continue
            path = f"{prefix}{node}/{var}"
            times, neurons = spikes.events()
            first, last = spikes.first_step, spikes.last_step
            extent = {"n_steps": last - first + 1, "n_neurons": spikes.n_neurons, "global_step": last}
            views.raster(path, (times - first, neurons), extent)
            # The events just read give the rate too: with hdf5= they are not read from the file again.
            rate = self._population_rate(node, var, None, None, times)
            writer.add_series(f"{path}/rate", rate.to_numpy(), steps=np.arange(first, last + 1))

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
