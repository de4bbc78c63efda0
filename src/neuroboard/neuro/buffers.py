"""Where an Observer keeps its recordings: growable arrays in memory, or chunks streamed to HDF5.

Each recorded quantity owns one store with ``append(step, value)``,
``steps``, ``values`` and ``len()``: :class:`SeriesBuffer` keeps a
preallocated array that doubles when full; :class:`StoredSeries` streams
values and steps to an HDF5 file in chunks of bounded size. Spike events are
kept sparsely by :class:`SpikeBuffer`, in memory or spilled to HDF5, and the
steps an Observer sampled by :class:`StepLog`.

Both series stores give back rectipy's view of a recording, a list with one
entry per step (:meth:`SeriesBuffer.as_list`), built when asked for: a torch
tensor that requires grad is kept as it came (the live tensor, with its
graph), every other value only as a row of the array.
"""

from __future__ import annotations

import array
from collections.abc import Callable
from typing import Any

import h5py
import numpy as np

from neuroboard.neuro.h5series import CHUNK_BYTES, H5Series, loses_values, storable
from neuroboard.neuro.quantity import is_quantity, strip
from neuroboard.summary.convert import is_tensor

__all__ = [
    "SPIKES_GROUP",
    "STEPS_GROUP",
    "STEP_LOG",
    "SeriesBuffer",
    "SpikeBuffer",
    "StepLog",
    "StoredSeries",
]

#: Size of a series' first block of memory; each next one is twice the last, up to ``block_bytes``.
FIRST_BLOCK_BYTES = 64 << 10
#: Size of every block after the first (at most ``block_bytes``): far above the 4 MiB from which NumPy asks
#: the kernel for huge pages, and few blocks for a long run. Memory is taken only as rows are written.
NEXT_BLOCK_BYTES = 64 << 20
#: HDF5 group holding the recorded step of every row of each series.
STEPS_GROUP = "_steps"
#: HDF5 group holding spike events as (step, neuron) rows.
SPIKES_GROUP = "_spikes"
#: HDF5 dataset holding every step an Observer sampled (rectipy's ``obs["steps"]``).
STEP_LOG = "steps"


def as_numpy(value: Any) -> np.ndarray:
    """Return ``value`` as a NumPy array; a torch tensor is detached and copied to the CPU."""
    if is_tensor(value):
        value = value.detach().cpu().numpy()
    return np.asarray(value)


_FLOAT64 = np.dtype(np.float64)


class _ListView:
    """What turns a store's rows back into rectipy's list of per-step values, and keeps live tensors.

    A store says how its first value came (``_kind``): ``"tensor"`` (and its
    device), ``"number"`` (a Python or NumPy scalar) or ``"array"``. Tensors
    that require grad are kept by row in ``_live``: :meth:`as_list` hands them
    back as they came, so a loss computed from them backpropagates.
    """

    where: str
    _kind: str | None
    _device: Any
    _live: dict[int, Any]
    _cache: tuple[int, list] | None

    def __len__(self) -> int:
        raise NotImplementedError

    def append(self, step: int, value: Any) -> None:
        raise NotImplementedError

    @property
    def values(self) -> np.ndarray:
        raise NotImplementedError

    def _start_view(self) -> None:
        self._kind = None
        self._device = None
        self._live = {}
        self._cache = None
        #: The unit of the values, when the first came with one (a Brian2 or ``quantities`` value).
        self.unit: str | None = None

    def _append_other(self, step: int, value: Any) -> None:
        """Append a value that is not an ndarray: a tensor (kept live if it requires grad) or a number."""
        first = len(self) == 0
        if is_tensor(value):
            self.append(step, value.detach().cpu().numpy())
            if value.requires_grad:
                self._live[len(self) - 1] = value
            if first:
                self._kind, self._device = "tensor", value.device
            return
        if is_quantity(value):
            value = self.plain(value)
        row = np.asarray(value)
        self.append(step, row)
        if first:
            self._kind = "number" if row.ndim == 0 and not isinstance(value, np.ndarray) else "array"

    def plain(self, value: Any) -> np.ndarray:
        """Return a value with a unit as plain numbers in this series' unit, the first value's (kept as ``unit``)."""
        array, unit = strip(value, self.unit, self.where)
        if unit != self.unit:
            self._keep_unit(unit)
        return array

    def _keep_unit(self, unit: str | None) -> None:
        self.unit = unit

    def as_list(self) -> list:
        """Return one entry per recorded step, as it came: tensors, numbers or arrays (copies).

        Tensors that required grad are the recorded tensors themselves; other
        tensors are rebuilt from the array, with their dtype and device. The
        list is built at the first call after a record and kept until the next.

        >>> b = SeriesBuffer("loss")
        >>> for step, loss in enumerate([0.5, 0.25]): b.append(step, loss)
        >>> b.as_list()
        [0.5, 0.25]
        """
        count = len(self)
        if self._cache is None or self._cache[0] != count:
            self._cache = (count, self._build_list(count))
        return list(self._cache[1])

    def _build_list(self, count: int) -> list:
        if not count:
            return []
        if self._kind == "tensor":
            if len(self._live) == count:
                return [self._live[i] for i in range(count)]
            import torch

            rows = list(torch.from_numpy(np.array(self.values)).to(self._device).unbind(0))
            for index, tensor in self._live.items():
                rows[index] = tensor
            return rows
        if self._kind == "number":
            return self.values.tolist()
        return list(np.array(self.values))


class SeriesBuffer(_ListView):
    """Values of one shape appended step by step into preallocated blocks, joined when read.

    A full block is kept and a new one begun, so growing never copies what is
    recorded; reading joins the blocks once and keeps the joined array.

    Given an Observer's ``log`` (the ``array.array`` of the steps it kept), the
    buffer keeps no steps of its own while it holds one row per logged step
    from its first on (``aligned``): its steps are a slice of the log. The
    Observer calls :meth:`unalign` when a kept step passes the buffer by, and
    the buffer keeps its own steps from then on.

    >>> b = SeriesBuffer("v")
    >>> for i in range(3): b.append(i, np.array([i, i + 1.0]))
    >>> b.steps.tolist(), b.values.tolist()
    ([0, 1, 2], [[0.0, 1.0], [1.0, 2.0], [2.0, 3.0]])
    """

    def __init__(
        self,
        name: str,
        block_bytes: int = 64 << 20,
        where: str | None = None,
        log: array.array | None = None,
    ) -> None:
        self.name = name
        self.block_bytes = block_bytes
        # The call and argument that errors name.
        self.where = where or f"Observer.record({name}=...)"
        # Full blocks of values (`_done` rows); the current block is filled up to _fill. Steps go to one
        # array.array, whose append costs half a NumPy item assignment, or are a slice of the log.
        self._full: list[np.ndarray] = []
        self._done = 0
        self._log = log
        self._steps: array.array | None = array.array("q") if log is None else None
        #: Whether the rows are those of the log's steps from `_start` on, one each.
        self.aligned = False
        self._start = 0
        self._data: np.ndarray | None = None
        self._fill = 0
        self._limit = 0
        self._shape: tuple[int, ...] | None = None
        self._dtype: np.dtype | None = None
        self._start_view()

    def __len__(self) -> int:
        return self._done + self._fill

    def append(self, step: int, value: Any) -> None:
        """Copy ``value`` in as the entry of ``step``; its shape must not change between steps."""
        # One test per step: an array of the recording's dtype object and shape needs no other; a float
        # goes in as it is where floats are recorded; anything else is converted first.
        if type(value) is not np.ndarray:
            if type(value) is not float or self._dtype is not _FLOAT64 or self._shape:
                self._append_other(step, value)
                return
        elif value.dtype is not self._dtype or value.shape != self._shape:
            self._check_row(value)
        fill = self._fill
        if fill == self._limit:
            self._new_block()
            fill = 0
        try:
            self._data[fill] = value  # type: ignore[index]
        except (TypeError, ValueError):
            raise TypeError(
                f"{self.where}: expected numbers or booleans like those of the first recorded step "
                f"({self._dtype}), got {value.dtype}"
            ) from None
        # A step past int64 raises OverflowError here, before it is counted: the row is not recorded.
        # (With a log, the Observer logged the step first and checked it there.)
        steps = self._steps
        if steps is not None:
            steps.append(step)
        self._fill = fill + 1

    def unalign(self, extra_step: int | None = None) -> None:
        """Keep steps of its own from now on, the logged ones so far (and ``extra_step`` for a row the log lacks).

        >>> import array
        >>> log = array.array("q", [0]); b = SeriesBuffer("v", log=log); b.append(0, 1.0)
        >>> log.append(1); b.unalign(); b.append(2, 3.0); b.steps.tolist()
        [0, 2]
        """
        if not self.aligned:
            return
        count = len(self)
        own = array.array("q")
        own.frombytes(np.frombuffer(self._log, np.int64)[self._start : self._start + count].tobytes())
        if len(own) < count and extra_step is not None:
            own.append(extra_step)
        self._steps = own
        self.aligned = False

    def take_back_unlogged(self, step: int) -> None:
        """After a record that failed and took its step back from the log: keep ``step`` for a row of it."""
        if self.aligned and len(self) > len(self._log) - self._start:  # type: ignore[arg-type]
            self.unalign(step)

    def _check_row(self, row: np.ndarray) -> None:
        """Check a row whose dtype object or shape is not the recording's: fix both at the first, or widen."""
        if self._shape is None:
            # Text or dates are refused before they fix the shape and dtype of the recording.
            self._dtype = storable(row, self.where).dtype
            self._shape = row.shape
            self._kind = "array"
            if self._log is not None:
                # The Observer logs a step before it records its values: this row is the last logged step's.
                self._start = len(self._log) - 1
                self.aligned = True
            return
        if row.shape != self._shape:
            raise ValueError(
                f"{self.where}: expected shape {self._shape} as at the first recorded step, got {row.shape}"
            )
        # Numbers the recording's dtype would truncate or wrap widen it; anything else fails in append.
        if row.dtype.kind in "biuf" and loses_values(self._dtype, row.dtype):  # type: ignore[arg-type]
            self._promote(row)

    def _promote(self, row: np.ndarray) -> None:
        """Widen what is recorded to a dtype that holds ``row`` too: 0 then 0.7 is 0.0 and 0.7, not 0 and 0."""
        dtype = np.result_type(self._dtype, row.dtype)
        self._full = [block.astype(dtype) for block in self._full]
        if self._data is not None:
            self._data = self._data.astype(dtype)
        self._dtype = dtype

    def _new_block(self) -> None:
        row_bytes = max(1, int(np.prod(self._shape)) * self._dtype.itemsize)
        if self._data is None:
            rows = max(16, FIRST_BLOCK_BYTES // row_bytes)
        else:
            if self._fill:
                self._full.append(self._data[: self._fill])
                self._done += self._fill
            # After the first, blocks are huge-page backed (one page fault per 2 MiB written instead of one
            # per 4 KiB), and double up to a cap.
            rows = max(2 * len(self._data), NEXT_BLOCK_BYTES // row_bytes + 1)
            rows = max(len(self._data), min(rows, self.block_bytes // row_bytes))
        self._data = np.empty((rows, *self._shape), self._dtype)  # type: ignore[misc]
        self._fill, self._limit = 0, rows

    def _joined(self) -> np.ndarray:
        if self._data is None:
            return np.empty(0)
        if not self._full:
            return self._data[: self._fill]
        if not self._fill and len(self._full) == 1:
            return self._full[0]
        values = np.concatenate([*self._full, self._data[: self._fill]])
        # The joined array becomes the only full block; recording goes on in a fresh one.
        self._full = [values]
        self._done = len(values)
        self._fill = self._limit = 0
        return values

    @property
    def steps(self) -> np.ndarray:
        """Return the recorded steps."""
        if self._steps is not None:
            return np.frombuffer(self._steps, np.int64).copy()
        return np.frombuffer(self._log, np.int64)[self._start : self._start + len(self)].copy()  # type: ignore[arg-type]

    @property
    def values(self) -> np.ndarray:
        """Return the recorded values, steps on axis 0."""
        return self._joined()


class SpikeBuffer:
    """Spike events kept sparsely as growable (step, neuron) pairs.

    >>> b = SpikeBuffer("spikes"); b.append(3, np.array([False, True, True]))
    >>> [a.tolist() for a in b.events()]
    [[3, 3], [1, 2]]
    """

    def __init__(self, name: str, sink: H5Series | None = None, spill_events: int = 1 << 16) -> None:
        self.name = name
        self.n_neurons = 0
        self._parts_steps: list[np.ndarray] = []
        self._parts_neurons: list[np.ndarray] = []
        self._pending = 0
        self.first_step: int | None = None
        self.last_step: int | None = None
        self.sink = sink
        self.spill_events = spill_events
        self._dirty = False

    def append(self, step: int, fired: Any) -> None:
        """Add the spikes of one step: a boolean or count array over the neurons."""
        array = as_numpy(fired)
        if array.dtype.kind not in "biuf":
            raise TypeError(
                f"Observer.record(record_spikes=...): expected boolean or count arrays, got {array.dtype}"
            )
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
        self._dirty = True
        neurons = np.flatnonzero(array)
        if array.dtype.kind in "iuf":
            neurons = np.repeat(neurons, array[neurons].astype(np.int64))
        if len(neurons):
            self._add(np.full(len(neurons), step, np.int64), neurons.astype(np.int64))

    def extend(
        self,
        steps: np.ndarray,
        neurons: np.ndarray,
        n_neurons: int,
        start: int | None = None,
        stop: int | None = None,
    ) -> None:
        """Add many spikes at once: int64 ``steps`` in order, none before the last recorded step.

        ``start`` is the first recorded step when these are the first spikes
        (by default the first of ``steps``); ``stop`` the last recorded step
        (by default the last of ``steps``).

        The caller has checked them (see ``Observer.record_spike_events``).

        >>> b = SpikeBuffer("spikes"); b.extend(np.array([2, 5]), np.array([0, 3]), 4)
        >>> [a.tolist() for a in b.events()], b.n_neurons, (b.first_step, b.last_step)
        ([[2, 5], [0, 3]], 4, (2, 5))
        """
        if self.first_step is None:
            self.first_step = int(steps[0] if start is None else start)
        self.n_neurons = max(self.n_neurons, n_neurons)
        self.last_step = int(steps[-1] if stop is None else stop)
        self._dirty = True
        self._add(steps, neurons)

    def _add(self, steps: np.ndarray, neurons: np.ndarray) -> None:
        """Keep int64 spike events, and spill them to the sink once enough wait."""
        self._parts_steps.append(steps)
        self._parts_neurons.append(neurons)
        self._pending += len(steps)
        if self.sink is not None and self._pending >= self.spill_events:
            self.flush()

    def _joined(self) -> tuple[np.ndarray, np.ndarray]:
        if len(self._parts_steps) > 1:
            self._parts_steps = [np.concatenate(self._parts_steps)]
            self._parts_neurons = [np.concatenate(self._parts_neurons)]
        if not self._parts_steps:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        return self._parts_steps[0], self._parts_neurons[0]

    def flush(self) -> None:
        """Move the events held in memory to the HDF5 sink, if there is one, with the extent as attributes."""
        if self.sink is None or not self._dirty:
            return
        self._dirty = False
        steps, neurons = self._joined()
        if len(steps):
            self.sink.extend(np.column_stack([steps, neurons]))
            self._parts_steps, self._parts_neurons, self._pending = [], [], 0
        if self.first_step is not None:
            # A silent population keeps its span in the file, as an empty table of (step, neuron) pairs.
            self.sink.create(np.zeros(2, np.int64))
        self.sink.flush()
        if self.sink.dataset is not None and self.first_step is not None:
            self.sink.dataset.attrs.update(
                n_neurons=self.n_neurons, first_step=self.first_step, last_step=self.last_step
            )

    def events(self) -> tuple[np.ndarray, np.ndarray]:
        """Return every spike as ``(steps, neurons)`` int64 arrays, in step order."""
        if self.sink is None:
            return self._joined()
        self.flush()
        pairs = self.sink.read()
        if not len(pairs):
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        return pairs[:, 0], pairs[:, 1]

    def counts_per_step(self, steps: np.ndarray | None = None) -> tuple[np.ndarray, int]:
        """Return the number of spikes at each step from the first recorded one, and that step.

        ``steps`` are the spikes' steps when :meth:`events` was read already (from HDF5, a
        second read of the file).
        """
        if self.first_step is None or self.last_step is None:
            return np.zeros(0), 0
        if steps is None:
            steps, _ = self.events()
        counts = np.bincount(steps - self.first_step, minlength=self.last_step - self.first_step + 1)
        return counts.astype(np.float64), self.first_step


class StepLog:
    """Steps appended one by one: in memory, or streamed to an HDF5 dataset in chunks of ``chunk_bytes``.

    Steps wait in an ``array.array`` (an append costs less than a NumPy item
    assignment) and go to the sink a chunk at a time: :meth:`append` checks
    the bound itself; the C-level append of :meth:`appender` does not, for an
    owner that calls :meth:`spill` at least as often (a :class:`StoredSeries`
    does at each chunk of its values).

    >>> log = StepLog()
    >>> for step in (0, 5, 10): log.append(step)
    >>> log.steps.tolist(), len(log)
    ([0, 5, 10], 3)
    """

    def __init__(self, sink: H5Series | None = None, chunk_bytes: int = CHUNK_BYTES) -> None:
        self.sink = sink
        # One array for the whole life of the log: appender() hands out its bound append.
        self._pending = array.array("q")
        # Without a sink every step stays in memory: the bound is never reached.
        self._rows = max(1, chunk_bytes // 8) if sink is not None else 1 << 62

    def __len__(self) -> int:
        return len(self._pending) + (len(self.sink) if self.sink is not None else 0)

    def append(self, step: int) -> None:
        """Add ``step``; an int past int64 raises OverflowError and adds nothing."""
        # Full steps go out before the next comes, so that the last one stays in memory for pop().
        if len(self._pending) >= self._rows:
            self.spill()
        self._pending.append(step)

    @property
    def memory(self) -> array.array:
        """Return the array that holds the steps waiting in memory (all of them without a sink)."""
        return self._pending

    def appender(self) -> Callable[[int], None]:
        """Return the array's own append (C): the caller spills (:meth:`spill`) when streaming to a sink."""
        return self._pending.append

    def pop(self) -> None:
        """Take back the last step, appended for a row that was then refused."""
        if self._pending:
            self._pending.pop()

    def spill(self) -> None:
        """Move the steps held in memory to the sink, which writes whole chunks of them."""
        if self.sink is None or not self._pending:
            return
        view = np.frombuffer(self._pending, np.int64)
        block = view.copy()
        # The array cannot shrink while a view of its memory exists.
        del view
        del self._pending[:]
        self.sink.extend(block)

    def flush(self) -> None:
        """Write every step to the sink, a partial chunk too (nothing to do without a sink)."""
        if self.sink is not None:
            self.spill()
            self.sink.flush()

    @property
    def steps(self) -> np.ndarray:
        """Return every step so far (int64)."""
        if self.sink is None:
            return np.frombuffer(self._pending, np.int64).copy()
        self.flush()
        return self.sink.read().astype(np.int64, copy=False)

    #: rectipy's ``obs["steps"]`` holds the steps as its values.
    values = steps

    def as_list(self) -> list[int]:
        """Return the steps as Python ints, as rectipy's ``obs["steps"]``."""
        return self.steps.tolist()


class StoredSeries(_ListView):
    """One recorded quantity streamed to HDF5: values at ``name``, their steps at ``_steps/<name>``.

    At most one chunk of each (``chunk_bytes``) waits in memory; reading
    flushes and returns the whole dataset.

    >>> import tempfile, os
    >>> with h5py.File(os.path.join(tempfile.mkdtemp(), "obs.h5"), "w") as f:
    ...     s = StoredSeries(f, "qif/v")
    ...     for step in (0, 2, 4): s.append(step, np.full(2, step / 2))
    ...     s.steps.tolist(), s.values.tolist()
    ([0, 2, 4], [[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]])
    """

    def __init__(
        self, file: h5py.Group, name: str, chunk_bytes: int = CHUNK_BYTES, where: str | None = None
    ) -> None:
        self.name = name
        self.chunk_bytes = chunk_bytes
        self.where = where or f"Observer.record({name}=...)"
        self._start_view()
        self.bind(file)

    def bind(self, file: h5py.Group) -> None:
        """Attach to ``file`` (the same file, reopened), picking up the datasets already there."""
        where = self.where
        self._values = H5Series(file, self.name, chunk_bytes=self.chunk_bytes, where=where)
        sink = H5Series(file, f"{STEPS_GROUP}/{self.name}", chunk_bytes=self.chunk_bytes, where=where)
        self._steps = StepLog(sink, self.chunk_bytes)
        self._log_step = self._steps.appender()
        # The steps wait in memory no longer than a chunk of the values they belong to.
        self._values.on_chunk = self._steps.spill
        dataset = self._values.dataset
        self._unit_written = dataset is not None and "units" in dataset.attrs
        if self._unit_written:
            self.unit = str(dataset.attrs["units"])

    def _keep_unit(self, unit: str | None) -> None:
        # The file says it too, as the attribute ``units`` of the values, once they have a dataset.
        self.unit = unit
        self._unit_written = False

    def _write_unit(self) -> None:
        dataset = self._values.dataset
        if self.unit and not self._unit_written and dataset is not None:
            dataset.attrs["units"] = self.unit
            self._unit_written = True

    #: It keeps steps of its own, always: the file holds them beside the values.
    aligned = False

    def __len__(self) -> int:
        return len(self._steps)

    def unalign(self, extra_step: int | None = None) -> None:
        """Nothing to do: the steps are kept beside the values."""

    def take_back_unlogged(self, step: int) -> None:
        """Nothing to do: the steps are kept beside the values."""

    def append(self, step: int, value: Any) -> None:
        """Add ``value`` as the entry of ``step``; its shape must not change between steps."""
        if type(value) is not np.ndarray:
            self._append_other(step, value)
            return
        # The step first: one past int64 fails there, before the value is written.
        self._log_step(step)
        try:
            self._values.append(value)
        except BaseException:
            self._steps.pop()
            raise

    def flush(self) -> None:
        """Write what waits in memory to the file."""
        self._values.flush()
        self._steps.flush()
        self._write_unit()

    @property
    def steps(self) -> np.ndarray:
        """Return the recorded steps, read from the file."""
        return self._steps.steps

    @property
    def values(self) -> np.ndarray:
        """Return the recorded values, steps on axis 0, read from the file."""
        return self._values.read()
