"""Record a simulation step by step into growable NumPy buffers (rectipy's Observer surface).

rectipy keeps every recorded value in a Python list. Here each recorded
quantity owns one preallocated array that doubles when full: recording costs
about a copy, torch tensors are copied to the CPU once, and steps are kept as
integers beside ``dt`` so that times are exact. ``obs[key]`` still gives
rectipy's list, built when asked for; a tensor that requires grad is kept as
it came, so that rectipy's training code backpropagates through it.
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import h5py
import numpy as np
import pandas as pd

from neuroboard.neuro.buffers import (
    STEP_LOG,
    SeriesBuffer,
    SpikeBuffer,
    StepLog,
    StoredSeries,
    as_numpy,
)
from neuroboard.neuro.h5series import CHUNK_BYTES, H5Series, check_chunk_bytes, flush_and_close
from neuroboard.neuro.observer_outputs import Outputs
from neuroboard.neuro.observer_spikes import SpikeRecording
from neuroboard.neuro.observer_vars import check_var, out_of_range, transform
from neuroboard.neuro.quantity import time_in_seconds
from neuroboard.neuro.recorded_keys import key_label
from neuroboard.summary.convert import INT64_MAX, INT64_MIN, as_path, as_step, is_tensor

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["Observer"]

Key = str | tuple[str, str]


def _create_file(path: str, dt: float, sampling_steps: int, time_unit: str | None) -> h5py.File:
    try:
        folder = os.path.dirname(path)
        if folder:
            os.makedirs(folder, exist_ok=True)
        file = h5py.File(path, "w")
    except OSError as error:
        raise OSError(f"Observer(hdf5=...): cannot create {path!r}: {error}") from error
    file.attrs.update(dt=dt, sampling_steps=sampling_steps)
    if time_unit is not None:
        file.attrs["time_unit"] = time_unit
    return file


_RECORD = "Observer.record"


def _mean_output(outputs: list[Any]) -> Any:
    """Return the mean of the outputs held since the last sample, as rectipy's ``run`` averages them."""
    if is_tensor(outputs[0]):
        import torch

        return torch.mean(torch.stack(outputs, dim=0), dim=0)
    return np.mean(np.stack([as_numpy(output) for output in outputs]), axis=0)


def _by_step(steps: np.ndarray) -> pd.MultiIndex:
    """Return ``(step, how many times it came before)`` pairs: rows of one step line up in their order."""
    return pd.MultiIndex.from_arrays([steps, pd.Series(steps).groupby(steps).cumcount().to_numpy()])


def _saved_array(value: Any) -> np.ndarray:
    """Return a saved value as an array: tensors detached, a list of tensors or numbers stacked."""
    if is_tensor(value):
        return as_numpy(value)
    if isinstance(value, (list, tuple)) and value and any(is_tensor(item) for item in value):
        return np.stack([as_numpy(item) for item in value])
    return np.asarray(value)


class Observer(SpikeRecording, Outputs):
    """Record a network's output, loss and state variables during a simulation or training loop.

    ``record_vars`` lists ``(node, var, reduce)`` entries, optionally with a
    fourth, the indices of the neurons to keep. As in rectipy, a true
    ``reduce`` is the mean over the neurons and a false one keeps every
    neuron; ``"mean"``, ``"sum"``, ``"std"`` or a function of the array name
    other reductions. Every ``sampling_steps``-th step is kept: state
    variables and the loss as they are at that step, the output as the mean
    of the outputs recorded since the last kept step (rectipy's ``run``
    averages the same way).

    ``dt`` is a number, or a time quantity (Brian2's ``defaultclock.dt``,
    ``0.1 * pq.ms``), taken in seconds. Values that come with units (Brian2
    quantities, ``quantities`` arrays) are recorded as numbers, their unit in
    :attr:`units`.

    With ``hdf5=path`` the recordings are streamed to that HDF5 file in chunks
    of at most ``chunk_bytes`` per quantity, so a run may outgrow memory:
    ``<node>/<var>``, ``out`` and ``loss`` datasets (steps on axis 0), the
    step of each row under ``_steps/``, every kept step in ``steps``, spike
    events as (step, neuron) rows under ``_spikes/``, and ``dt`` as a file
    attribute. :meth:`close` (or the end of a ``with`` block, or the
    interpreter's exit) writes the last chunk; reading keeps working after it.

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
        seconds = time_in_seconds(dt, "Observer(dt=...)")
        #: The unit of ``dt`` when it is known (``"s"`` for a time quantity; an adapter sets it), else None.
        self.time_unit: str | None = None if seconds is None else "s"
        if seconds is not None:
            dt = seconds
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
        self._vars = [check_var(i, entry) for i, entry in enumerate(record_vars or [])]
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
        self._stores: list[SeriesBuffer | StoredSeries | SpikeBuffer | StepLog] = []
        if self.hdf5 is not None:
            self._file = _create_file(self.hdf5, self.dt, self.sampling_steps, self.time_unit)
            self._finalizer = weakref.finalize(self, flush_and_close, self._file, self._stores)
        self._saved: dict[Key, Any] = {}
        self._start()

    def _start(self) -> None:
        self._buffers: dict[Key, SeriesBuffer | StoredSeries] = {}
        self._spikes: dict[tuple[str, str], SpikeBuffer] = {}
        self._stores.clear()
        sink = None
        if self._file is not None:
            sink = H5Series(self._file, STEP_LOG, chunk_bytes=self.chunk_bytes, where=f"{_RECORD}(step=...)")
        # Every kept step, logged before its values; in memory, the series' steps are slices of it.
        self._steps = StepLog(sink, self.chunk_bytes)
        self._stores.append(self._steps)
        # In memory, the array's own append; streaming, the log's append, which spills a chunk when due.
        self._log_step = self._steps.appender() if sink is None else self._steps.append
        self._out = self._buffer("out", f"{_RECORD}(output=...)") if self.record_output else None
        self._loss = self._buffer("loss", f"{_RECORD}(loss=...)") if self.record_loss else None
        # Outputs of the steps between two samples, averaged into the next sample's.
        self._held: list[Any] = []
        # One (transform, append) slot per declared variable, so record() does no lookups.
        self._slots = []
        for i, (key, reducer, indices) in enumerate(self._vars):
            where = f"{_RECORD}(record_vars[{i}]=...) for {'/'.join(key)}"
            buffer = self._buffer(key, where)
            self._slots.append((transform(reducer, indices, where, buffer.plain), buffer.append))
        self._n_slots = len(self._slots)
        self._var_buffers = [self._buffers[key] for key, _, _ in self._vars]
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

    @property
    def recorded_rnn_variables(self) -> list[tuple[str, str]]:
        """Return the ``(node, var)`` keys declared in ``record_vars``, in order.

        >>> Observer(1.0, record_vars=[("qif", "v", False)]).recorded_state_variables
        [('qif', 'v')]
        """
        return [key for key, _reducer, _indices in self._vars]

    recorded_state_variables = recorded_rnn_variables

    @property
    def recorded_variables(self) -> list[Key]:
        """Return the keys this Observer records, in rectipy's order: variables, ``"loss"``, ``"out"``, ``"steps"``.

        As in rectipy, a key is listed from the start, before anything is
        recorded under it; saved values (:meth:`save`) are not listed.

        >>> Observer(1.0, record_loss=False, record_vars=[("qif", "v", False)]).recorded_variables
        [('qif', 'v'), 'out', 'steps']
        """
        keys: list[Key] = list(self.recorded_rnn_variables)
        if self.record_loss:
            keys.append("loss")
        if self.record_output:
            keys.append("out")
        return [*keys, "steps"]

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
        between samples. The output of a step between two samples is held and
        averaged into the next sample's. Neuron indices of ``record_vars``
        entries are checked against the first values they select from, before
        any of that step is kept.

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
                if output is not None and self._out is not None:
                    # A copy: a simulation may write each step's output into the same array.
                    self._held.append(output.copy() if type(output) is np.ndarray else output)
                return
            if record_vars is not None:
                try:
                    count = len(record_vars)
                except TypeError:
                    raise TypeError(
                        f"{_RECORD}(record_vars=...): expected a list of values, one per declared variable, "
                        f"got {type(record_vars).__name__}"
                    ) from None
                if count != self._n_slots:
                    raise ValueError(
                        f"{_RECORD}(record_vars=...): expected {len(self._slots)} values, one per declared "
                        f"variable, got {count}"
                    )
            # The step first: one past int64 fails here, before anything of it is kept.
            self._log_step(step)
            # The values inline, not in a method: a call costs as much as a check of each row.
            try:
                out = self._out
                if out is not None:
                    if self._held:
                        output = _mean_output(self._held if output is None else [*self._held, output])
                        self._held = []
                    if output is not None:
                        out.append(step, output)
                    elif out.aligned:
                        out.unalign()
                if loss is not None:
                    if self._loss is not None:
                        self._loss.append(step, loss)
                elif self._loss is not None and self._loss.aligned:
                    self._loss.unalign()
                if record_vars is None:
                    for buffer in self._var_buffers:
                        buffer.unalign()
                else:
                    # An index loop: zip() costs as much as the copy of a small array.
                    index = 0
                    for apply, append in self._slots:
                        value = record_vars[index]
                        append(step, value if apply is None else apply(value))
                        index += 1  # noqa: SIM113
            except BaseException:
                self._take_back(step)
                raise
        except OverflowError:
            # An int past int64 on the fast path fails in the step log, before anything is kept.
            if not INT64_MIN <= step <= INT64_MAX:
                as_step(step, _RECORD, "step")
            raise

    def _take_back(self, step: int) -> None:
        """Undo the logging of a step whose values were refused; rows already kept keep their step."""
        self._steps.pop()
        for buffer in self._buffers.values():
            buffer.take_back_unlogged(step)

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
                value = record_vars[i]
                shape = tuple(value.shape) if is_tensor(value) else as_numpy(value).shape
                problem = out_of_range(indices, shape, where)
                if problem:
                    raise ValueError(f"{problem}; record_vars[{i}] of the Observer is {key!r}")
        if count == len(self._slots):
            self._unchecked = []
            self._set_fast_path()
        return step

    def _buffer(self, key: Key, where: str) -> SeriesBuffer | StoredSeries:
        buffer = self._buffers.get(key)
        if buffer is None:
            name = key if isinstance(key, str) else "/".join(key)
            if self._file is None:
                buffer = SeriesBuffer(name, where=where, log=self._steps.memory)
            else:
                buffer = StoredSeries(self._file, name, self.chunk_bytes, where=where)
            self._buffers[key] = buffer
            self._stores.append(buffer)
        return buffer

    def _series(self, key: Key) -> SeriesBuffer | StoredSeries | StepLog:
        if isinstance(key, str) and key == "steps":
            return self._steps
        buffer = self._buffers.get(key)
        if buffer is None:
            known = ", ".join(map(repr, self.recorded_variables))
            raise KeyError(
                f"Observer: {key!r} is not recorded (recorded: {known}; saved: {list(self._saved)})"
            )
        return buffer

    def __getitem__(self, key: Key) -> Any:
        """Return rectipy's view of ``key``: a list with one entry per recorded step, or a saved value.

        Entries come as they were recorded: tensors (the recorded tensor
        itself when it required grad, else one rebuilt with its dtype and
        device), Python numbers, or arrays. ``obs["steps"]`` lists the kept
        steps. The list is built when asked for, never while recording.

        >>> obs = Observer(0.1, record_loss=False)
        >>> for step in range(3): obs.record(step, output=step / 2)
        >>> obs["out"], obs["steps"]
        ([0.0, 0.5, 1.0], [0, 1, 2])
        """
        if key in self._saved and not (key == "steps" or key in self._buffers):
            return self._saved[key]
        return self._series(key).as_list()

    def to_numpy(self, key: Key) -> np.ndarray:
        """Return the recordings of ``key`` as one array: steps × neurons, or steps; a saved value as an array.

        >>> obs = Observer(0.1); obs.record(0, output=np.array([1.0, 2.0])); obs.to_numpy("out").shape
        (1, 2)
        """
        if key in self._saved and not (key == "steps" or key in self._buffers):
            return _saved_array(self._saved[key])
        return self._series(key).values.copy()

    def times(self, key: Key) -> np.ndarray:
        """Return the times of ``key``'s recordings: recorded step × ``dt``."""
        return self._series(key).steps * self.dt

    def to_dataframe(self, key: Key) -> pd.DataFrame:
        """Return ``key``'s recordings with time (step × dt) as the index, one column per neuron.

        A saved value with one row per kept step is indexed by their times too.

        >>> obs = Observer(0.5, record_loss=False); obs.record(0, output=1.0); obs.record(1, output=2.0)
        >>> obs.to_dataframe("out")[0].tolist(), obs.to_dataframe("steps").index.tolist()
        ([1.0, 2.0], [0.0, 0.5])
        """
        values = self.to_numpy(key)
        frame = pd.DataFrame(values.reshape(len(values), -1) if values.ndim != 1 else values[:, None])
        if key in self._saved and not (key == "steps" or key in self._buffers):
            times = self._steps.steps * self.dt
            if len(times) != len(values):
                return frame
        else:
            times = self.times(key)
        frame.index = pd.Index(times, name="time")
        return frame

    @property
    def recordings(self) -> pd.DataFrame:
        """Return the variables, ``"out"`` and ``"loss"`` as columns of one DataFrame, time as the index.

        Columns come in rectipy's order, those holding recordings; a quantity of one number per step is a
        numeric column, one of several neurons a column of per-step arrays.
        Rows are the kept steps; a step where a quantity was not given holds NaN.

        >>> obs = Observer(0.5, record_vars=[("qif", "v", True)])
        >>> obs.record(0, output=1.0, loss=0.5, record_vars=[np.ones(3)]); obs.recordings.columns.tolist()
        [('qif', 'v'), 'out', 'loss']
        """
        keys: list[Key] = [*self.recorded_rnn_variables, "out", "loss"]
        kept = [(key, self._buffers[key]) for key in keys if len(self._buffers.get(key, ()))]
        steps = self._steps.steps
        columns = {}
        for number, (_, buffer) in enumerate(kept):
            values = buffer.values
            column = values if values.ndim == 1 else list(values.reshape(len(values), -1))
            index = _by_step(buffer.steps)
            columns[number] = pd.Series(column, index=index, dtype=None if values.ndim == 1 else object)
        frame = pd.DataFrame(columns, index=_by_step(steps))
        frame.columns = pd.Index([key for key, _ in kept], tupleize_cols=False)
        frame.index = pd.Index(steps * self.dt, name="time")
        return frame

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

    def recorded_steps(self, key: Key) -> np.ndarray:
        """Return the step numbers at which ``key`` was recorded (int64).

        >>> obs = Observer(0.5, sampling_steps=2)
        >>> for step in range(5): obs.record(step, output=float(step))
        >>> obs.recorded_steps("out").tolist()
        [0, 2, 4]
        """
        return self._series(key).steps

    @property
    def units(self) -> dict[str, str]:
        """Return the unit of each recorded quantity that has one, by key label (``"lif/v"``).

        A quantity has a unit when its first value came with one (a Brian2
        quantity, in SI, or a ``quantities`` array), or when an adapter saved
        it as ``obs["units"]``. The exports (NWB, Neo) use them by default.

        >>> import quantities as pq
        >>> obs = Observer(0.1 * pq.ms, record_vars=[("lif", "v", False)])
        >>> obs.record(0, record_vars=[np.array([-65.0, -70.0]) * pq.mV]); obs.dt, obs.units
        (0.0001, {'lif/v': 'mV'})
        """
        found = {key_label(key): buffer.unit for key, buffer in self._buffers.items() if buffer.unit}
        saved = self._saved.get("units")
        if isinstance(saved, Mapping):
            found.update({str(label): str(unit) for label, unit in saved.items() if unit})
        return found
