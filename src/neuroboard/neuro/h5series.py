"""Append rows to a resizable HDF5 dataset in chunks of bounded size, time on axis 0.

A simulation rarely knows its step count in advance, and a copy of every step
kept in memory is what makes long runs fail. :class:`H5Series` keeps one
chunk of rows in a preallocated array and writes it out when it is full, so
memory stays bounded by ``chunk_bytes`` whatever the length of the run.
:func:`read_bounded` reads a dataset back the same way, at most ``READ_BYTES``
per read, so that what HDF5 allocates besides the result stays one slab.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import h5py
import numpy as np

__all__ = [
    "CHUNK_BYTES",
    "READ_BYTES",
    "H5Series",
    "check_chunk_bytes",
    "declared_bytes",
    "flush_and_close",
    "loses_values",
    "read_bounded",
    "storable",
]

#: Default bound of the rows held in memory per dataset, and of an HDF5 chunk.
CHUNK_BYTES = 1 << 20

#: Bound of one read from a dataset: a larger dataset is read in slabs of at most this many bytes.
READ_BYTES = 16 << 20


def check_chunk_bytes(chunk_bytes: Any, func: str, arg: str = "chunk_bytes") -> int:
    """Return ``chunk_bytes`` if it is an int >= 1; else raise a ValueError naming ``func``'s ``arg``.

    >>> check_chunk_bytes(4096, "Observer")
    4096
    """
    if isinstance(chunk_bytes, bool) or not isinstance(chunk_bytes, int) or chunk_bytes < 1:
        raise ValueError(f"{func}({arg}=...): expected an int >= 1, got {chunk_bytes!r}")
    return chunk_bytes


def storable(array: np.ndarray, where: str) -> np.ndarray:
    """Return ``array`` as HDF5 can store it: numbers or booleans, objects cast to float64.

    >>> storable(np.array([1, 2.5], dtype=object), "f").dtype
    dtype('float64')
    """
    if array.dtype.kind in "biuf":
        return array
    if array.dtype.kind == "O":
        try:
            return array.astype(np.float64)
        except (TypeError, ValueError):
            pass
    raise TypeError(
        f"{where}: expected numbers or booleans (a number, array or tensor), got dtype {array.dtype}"
    )


def loses_values(recorded: np.dtype, row: np.dtype) -> bool:
    """Return whether storing values of ``row``'s dtype as ``recorded`` would change them.

    Floats stored in a float recording of less precision are rounded, as the
    recording's first value chose; anything else that is not a safe cast
    (floats into integers, wider integers into narrower or unsigned ones) would
    truncate or wrap.

    >>> i8, f4, f8 = np.dtype(np.int64), np.dtype(np.float32), np.dtype(np.float64)
    >>> loses_values(i8, f8), loses_values(f4, f8), loses_values(f8, i8)
    (True, False, False)
    """
    return not (np.can_cast(row, recorded, "safe") or row.kind == recorded.kind == "f")


def _check_kind(recorded: np.dtype, row: np.dtype, where: str) -> None:
    if row is not recorded and loses_values(recorded, row):
        raise TypeError(
            f"{where}: expected values that fit the HDF5 dataset's {recorded} (the first step's dtype), "
            f"got {row}: the file cannot change its dtype, so record the first step as {row} "
            "(e.g. 0.0 for a loss)"
        )


class H5Series:
    """Rows of one shape appended to ``group[name]``, a chunked dataset that grows along axis 0.

    The dataset is created at the first row, with that row's shape and dtype
    and ``maxshape=(None, ...)``; each HDF5 chunk holds the rows of
    ``chunk_bytes``. Rows wait in one chunk's worth of memory and go to the
    file a chunk at a time; :meth:`flush` writes a partial chunk too, and the
    rows after it complete that chunk in place. Reading (:meth:`read`)
    flushes first.

    A dataset without filters takes the fast path: each chunk is handed to
    HDF5 as it lies in memory (``write_direct_chunk``), skipping the selection
    and conversion machinery of a slice assignment, which is the reference
    path (``direct=False``, and any dataset with compression or other filters).

    >>> import tempfile, os
    >>> with h5py.File(os.path.join(tempfile.mkdtemp(), "run.h5"), "w") as f:
    ...     s = H5Series(f, "node/v")
    ...     for step in range(5): s.append(np.full(3, step, np.float32))
    ...     s.read().shape, f["node/v"].maxshape
    ((5, 3), (None, 3))
    """

    def __init__(
        self,
        group: h5py.Group,
        name: str,
        *,
        chunk_bytes: int = CHUNK_BYTES,
        where: str = "H5Series",
        direct: bool = True,
    ) -> None:
        check_chunk_bytes(chunk_bytes, "H5Series")
        self.group = group
        self.name = name
        self.chunk_bytes = chunk_bytes
        self.where = where
        self.direct = bool(direct)
        self.dataset: h5py.Dataset | None = group.get(name)
        self._pending: np.ndarray | None = None
        # Rows of the current chunk: `_count` in `_pending`, of which `_written` are in the file already
        # (a flush between two chunks writes a partial one); the chunk starts at dataset row `_base`.
        self._count = 0
        self._written = 0
        self._base = 0 if self.dataset is None else len(self.dataset)
        self._rows = 0
        # The dtype object of the rows that need no check (the first row's); None before the first.
        self._accepted: np.dtype | None = None
        self._row_shape: tuple[int, ...] | None = None
        self._fast = False
        #: Called after each full chunk is written: an owner that keeps rows of its own beside these
        #: (an Observer's steps) moves them out at the same pace, so that its memory stays bounded too.
        self.on_chunk: Callable[[], None] | None = None

    def __len__(self) -> int:
        return self._base + self._count if self._pending is not None else self._base

    @property
    def row_shape(self) -> tuple[int, ...] | None:
        """Return the shape of one row, or None before the first."""
        if self._pending is not None:
            return self._pending.shape[1:]
        return None if self.dataset is None else self.dataset.shape[1:]

    def _start(self, row: np.ndarray) -> None:
        rows = max(1, self.chunk_bytes // max(1, row.nbytes))
        if self.dataset is None:
            self.dataset = self.group.create_dataset(
                self.name,
                shape=(0, *row.shape),
                maxshape=(None, *row.shape),
                dtype=row.dtype,
                chunks=(rows, *row.shape) if row.ndim else (rows,),
            )
        dataset = self.dataset
        if dataset.chunks is not None:
            # Rows fill whole HDF5 chunks, so that each chunk is written once, or completed in place.
            rows = dataset.chunks[0]
        self._rows = rows
        self._pending = np.empty((rows, *row.shape), dataset.dtype)
        self._row_shape = row.shape
        # A chunk goes to the file as its bytes only where HDF5 would store them unchanged.
        self._fast = (
            self.direct
            and dataset.chunks == self._pending.shape
            and dataset.compression is None
            and not dataset.shuffle
            and not dataset.fletcher32
            and dataset.scaleoffset is None
            and self._pending.dtype.isnative
            and self._base % rows == 0
        )

    def _checked(self, row: np.ndarray) -> np.ndarray:
        """Return ``row`` as it can be stored, starting the dataset at the first; raise if it cannot."""
        row = storable(row, self.where)
        if self._pending is None:
            self._start(row)
        assert self._pending is not None
        if row.shape != self._row_shape:
            raise ValueError(
                f"{self.where}: expected shape {self._row_shape} as at the first step, got {row.shape}"
            )
        _check_kind(self._pending.dtype, row.dtype, self.where)
        if row.dtype == self._pending.dtype:
            self._accepted = row.dtype
        return row

    def append(self, value: Any) -> None:
        """Add one row; its shape must be the first row's."""
        # One test per row: a row of the first row's dtype object and shape needs no other (a number has
        # no dtype, a tensor torch's: both take the checked path).
        try:
            dtype = value.dtype
        except AttributeError:
            dtype = None
        row = value
        if dtype is not self._accepted or dtype is None or row.shape != self._row_shape:
            row = self._checked(np.asarray(value))
        count = self._count
        self._pending[count] = row  # type: ignore[index]
        count += 1
        self._count = count
        if count == self._rows:
            self.flush()

    def create(self, row: np.ndarray) -> None:
        """Make the dataset for rows like ``row`` now, so that a series with no rows yet can hold attributes.

        >>> import tempfile, os
        >>> with h5py.File(os.path.join(tempfile.mkdtemp(), "s.h5"), "w") as f:
        ...     series = H5Series(f, "pairs"); series.create(np.zeros(2, np.int64)); f["pairs"].shape
        (0, 2)
        """
        if self._pending is None:
            self._start(np.asarray(row))

    def extend(self, values: Any) -> None:
        """Add several rows at once: ``values`` has the rows on axis 0."""
        block = storable(np.asarray(values), self.where)
        if block.ndim == 0:
            raise ValueError(f"{self.where}: expected rows on axis 0, got a scalar")
        if not len(block):
            return
        if self._pending is None:
            self._start(block[0])
        assert self._pending is not None
        if block.shape[1:] != self._pending.shape[1:]:
            raise ValueError(
                f"{self.where}: expected rows of shape {self._pending.shape[1:]}, got {block.shape[1:]}"
            )
        _check_kind(self._pending.dtype, block.dtype, self.where)
        done = 0
        while done < len(block):
            take = min(self._rows - self._count, len(block) - done)
            self._pending[self._count : self._count + take] = block[done : done + take]
            self._count += take
            done += take
            if self._count == self._rows:
                self.flush()

    def flush(self) -> None:
        """Write the rows waiting in memory to the dataset."""
        count = self._count
        if count == self._written or self._pending is None:
            return
        dataset = self.dataset
        assert dataset is not None
        base = self._base
        dataset.resize(base + count, axis=0)
        if self._fast:
            if count < self._rows:
                # The unused rows of a partial chunk are zeros in the file, not leftover memory.
                self._pending[count:] = 0
            dataset.id.write_direct_chunk((base,) + (0,) * (self._pending.ndim - 1), self._pending)
        else:
            dataset[base + self._written : base + count] = self._pending[self._written : count]
        if count == self._rows:
            self._base = base + count
            self._count = self._written = 0
            if self.on_chunk is not None:
                self.on_chunk()
        else:
            self._written = count

    def read(self) -> np.ndarray:
        """Return every row so far as one array (rows on axis 0)."""
        self.flush()
        if self.dataset is None:
            return np.empty(0)
        return self.dataset[()]


def _slabs(shape: tuple[int, ...], itemsize: int, chunks: tuple[int, ...] | None, limit: int) -> Any:
    """Yield index tuples that cover ``shape`` in slabs of at most ``limit`` bytes (one element at least)."""
    # Whole trailing axes as long as they fit; the axis before them is cut into runs of `count`.
    inner = itemsize
    axis = len(shape)
    while axis > 0 and inner * shape[axis - 1] <= limit:
        axis -= 1
        inner *= shape[axis]
    if axis == 0:
        yield ()
        return
    split = axis - 1
    count = max(1, limit // inner)
    if chunks is not None and count >= chunks[split]:
        # Whole HDF5 chunks per slab: a compressed chunk is then inflated once, not once per slab.
        count -= count % chunks[split]
    for outer in np.ndindex(*shape[:split]):
        for start in range(0, shape[split], count):
            yield (*outer, slice(start, min(start + count, shape[split])))


def declared_bytes(dataset: h5py.Dataset) -> int:
    """Return the bytes ``dataset`` takes once read, from its shape and dtype alone (0 for an empty one).

    >>> import tempfile, os
    >>> with h5py.File(os.path.join(tempfile.mkdtemp(), "a.h5"), "w") as f:
    ...     declared_bytes(f.create_dataset("v", shape=(10**9,), dtype=np.float32))
    4000000000
    """
    return 0 if dataset.shape is None else dataset.size * dataset.dtype.itemsize


def check_declared(datasets: dict[str, h5py.Dataset], max_bytes: int | None, func: str, path: str) -> int:
    """Return the bytes ``datasets`` (by name) declare in all; a ValueError naming ``func``'s ``max_bytes`` if over.

    >>> import tempfile, os
    >>> with h5py.File(os.path.join(tempfile.mkdtemp(), "a.h5"), "w") as f:
    ...     check_declared({"v": f.create_dataset("v", shape=(100,), dtype=np.float64)}, 800, "f", "a.h5")
    800
    """
    sizes = {name: declared_bytes(dataset) for name, dataset in datasets.items()}
    total = sum(sizes.values())
    if max_bytes is not None and total > max_bytes:
        name = max(sizes, key=sizes.__getitem__)
        largest = datasets[name]
        raise ValueError(
            f"{func}(max_bytes=...): expected datasets of at most {max_bytes} bytes in all, got {total} bytes "
            f"declared by {path} (the largest, {name!r}: shape {largest.shape}, {largest.dtype}); pass a larger "
            "max_bytes (neuroboard convert: --max-bytes) to read it"
        )
    return total


def read_bounded(dataset: h5py.Dataset, limit: int = READ_BYTES) -> Any:
    """Return the whole of ``dataset`` as an array, read in slabs of at most ``limit`` bytes each.

    Memory is the result plus one slab, however the file is chunked or filled.

    >>> import tempfile, os
    >>> with h5py.File(os.path.join(tempfile.mkdtemp(), "a.h5"), "w") as f:
    ...     f["v"] = np.arange(12.0).reshape(3, 4); read_bounded(f["v"], limit=16)[2].tolist()
    [8.0, 9.0, 10.0, 11.0]
    """
    shape = dataset.shape
    if declared_bytes(dataset) <= limit:
        return np.asarray(dataset[()])
    out = np.empty(shape, dataset.dtype)
    for where in _slabs(shape, dataset.dtype.itemsize, dataset.chunks, limit):
        out[where] = dataset[where]
    return out


def flush_and_close(file: h5py.File, stores: Iterable[Any]) -> None:
    """Flush every store (anything with ``flush()``) and close ``file``, if still open.

    Meant for ``weakref.finalize``: it runs from ``close()``, from garbage
    collection or at interpreter exit, and holds only the file and its stores,
    never their owner, so that the owner can still be collected.

    >>> import tempfile, os
    >>> f = h5py.File(os.path.join(tempfile.mkdtemp(), "a.h5"), "w")
    >>> s = H5Series(f, "x"); s.append(1.0); flush_and_close(f, [s]); bool(f.id.valid)
    False
    """
    try:
        if file.id.valid:
            for store in stores:
                store.flush()
            file.flush()
    finally:
        if file.id.valid:
            file.close()
