"""Where an Observer keeps its recordings: growable arrays in memory, or chunks streamed to HDF5.

Each recorded quantity owns one store with ``append(step, value)``,
``steps``, ``values`` and ``len()``: :class:`SeriesBuffer` keeps a
preallocated array that doubles when full; :class:`StoredSeries` streams
values and steps to an HDF5 file in chunks of bounded size. Spike events are
kept sparsely by :class:`SpikeBuffer`, in memory or spilled to HDF5.
"""

from __future__ import annotations

import array
from typing import Any

import h5py
import numpy as np

from neuroboard.neuro.h5series import CHUNK_BYTES, H5Series, loses_values, storable
from neuroboard.summary.convert import is_tensor

__all__ = ["SPIKES_GROUP", "STEPS_GROUP", "SeriesBuffer", "SpikeBuffer", "StoredSeries"]

#: Size of a series' first block of memory; each next one is twice the last, up to ``block_bytes``.
FIRST_BLOCK_BYTES = 64 << 10
#: Size from which NumPy asks the kernel for huge pages.
HUGE_PAGE_BYTES = 4 << 20
#: HDF5 group holding the recorded step of every row of each series.
STEPS_GROUP = "_steps"
#: HDF5 group holding spike events as (step, neuron) rows.
SPIKES_GROUP = "_spikes"


def as_numpy(value: Any) -> np.ndarray:
    """Return ``value`` as a NumPy array; a torch tensor is detached and copied to the CPU."""
    if is_tensor(value):
        value = value.detach().cpu().numpy()
    return np.asarray(value)


class SeriesBuffer:
    """Values of one shape appended step by step into preallocated blocks, joined when read.

    A full block is kept and a new one begun, so growing never copies what is
    recorded; reading joins the blocks once and keeps the joined array.

    >>> b = SeriesBuffer("v")
    >>> for i in range(3): b.append(i, np.array([i, i + 1.0]))
    >>> b.steps.tolist(), b.values.tolist()
    ([0, 1, 2], [[0.0, 1.0], [1.0, 2.0], [2.0, 3.0]])
    """

    def __init__(self, name: str, block_bytes: int = 64 << 20, where: str | None = None) -> None:
        self.name = name
        self.block_bytes = block_bytes
        # The call and argument that errors name.
        self.where = where or f"Observer.record({name}=...)"
        # Full blocks of values; the current block is filled up to _fill. Steps go to one array.array,
        # whose append costs half a NumPy item assignment.
        self._full: list[np.ndarray] = []
        self._steps = array.array("q")
        self._data: np.ndarray | None = None
        self._fill = 0
        self._limit = 0
        self._shape: tuple[int, ...] | None = None

    def __len__(self) -> int:
        return len(self._steps)

    def append(self, step: int, value: Any) -> None:
        """Copy ``value`` in as the entry of ``step``; its shape must not change between steps."""
        row = value if type(value) is np.ndarray else as_numpy(value)
        if row.shape != self._shape:
            self._first_or_fail(row)
        # Numbers the recording's dtype would truncate or wrap widen it; anything else fails below.
        if row.dtype is not self._dtype and row.dtype.kind in "biuf" and loses_values(self._dtype, row.dtype):
            self._promote(row)
        fill = self._fill
        if fill == self._limit:
            self._new_block()
            fill = 0
        try:
            self._data[fill] = row  # type: ignore[index]
        except (TypeError, ValueError):
            raise TypeError(
                f"{self.where}: expected numbers or booleans like those of the first recorded step "
                f"({self._dtype}), got {row.dtype}"
            ) from None
        # A step past int64 raises OverflowError here, before it is counted: the row is not recorded.
        self._steps.append(step)
        self._fill = fill + 1

    def _first_or_fail(self, row: np.ndarray) -> None:
        if self._shape is not None:
            raise ValueError(
                f"{self.where}: expected shape {self._shape} as at the first recorded step, got {row.shape}"
            )
        # Text or dates are refused before they fix the shape and dtype of the recording.
        self._dtype = storable(row, self.where).dtype
        self._shape = row.shape

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
            # After the first, blocks are above 4 MiB, where NumPy asks for huge pages (one page fault per
            # 2 MiB written instead of one per 4 KiB), and double up to a cap: few blocks for long runs.
            rows = max(2 * len(self._data), HUGE_PAGE_BYTES // row_bytes + 1)
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
        self._fill = self._limit = 0
        return values

    @property
    def steps(self) -> np.ndarray:
        """Return the recorded steps."""
        return np.frombuffer(self._steps, np.int64).copy()

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
            self._parts_neurons.append(neurons.astype(np.int64))
            self._parts_steps.append(np.full(len(neurons), step, np.int64))
            self._pending += len(neurons)
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


class StoredSeries:
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
        self.bind(file)

    def bind(self, file: h5py.Group) -> None:
        """Attach to ``file`` (the same file, reopened), picking up the datasets already there."""
        where = self.where
        self._values = H5Series(file, self.name, chunk_bytes=self.chunk_bytes, where=where)
        self._steps = H5Series(file, f"{STEPS_GROUP}/{self.name}", chunk_bytes=self.chunk_bytes, where=where)

    def __len__(self) -> int:
        return len(self._steps)

    def append(self, step: int, value: Any) -> None:
        """Add ``value`` as the entry of ``step``; its shape must not change between steps."""
        # A step past int64 fails here, before the value is written.
        stored_step = np.int64(step)
        self._values.append(value if type(value) is np.ndarray else as_numpy(value))
        self._steps.append(stored_step)

    def flush(self) -> None:
        """Write what waits in memory to the file."""
        self._values.flush()
        self._steps.flush()

    @property
    def steps(self) -> np.ndarray:
        """Return the recorded steps, read from the file."""
        return self._steps.read().astype(np.int64, copy=False)

    @property
    def values(self) -> np.ndarray:
        """Return the recorded values, steps on axis 0, read from the file."""
        return self._values.read()
