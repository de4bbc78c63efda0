"""The NWB file :func:`~neuroboard.neuro.nwb.observer_to_nwb` writes, written with h5py directly.

pynwb builds and checks one container per object before HDF5 sees any
data: for a file of a dozen objects that is longer than writing 10⁶ spike
times. This module writes, from a :class:`Contents`, the HDF5 tree pynwb
writes for the same objects: the same groups, datasets, attributes, dtypes,
string types (variable-length UTF-8, or ASCII for dates), shapes, chunking
and object references, each typed object with a fresh ``object_id``.

The pynwb path (:mod:`neuroboard.neuro.nwb_pynwb`, from the same
:class:`Contents`) is the reference: the tests write both and compare the
two trees, and read every file back with pynwb.
"""

from __future__ import annotations

import datetime
import uuid
import warnings
from dataclasses import dataclass, field
from typing import Any

import h5py
import numpy as np

__all__ = ["Column", "Contents", "Series", "Table", "chunk_shape", "index_dtype", "write"]

#: The bytes pynwb (hdmf) aims at per chunk of a dataset it chunks itself: 4 MiB.
CHUNK_BYTES = 4 << 20
_CORE, _COMMON = "core", "hdmf-common"
_UTF8 = h5py.string_dtype("utf-8")
_UTF8_TYPE = h5py.h5t.py_create(_UTF8, logical=True)
_SCALAR = h5py.h5s.create(h5py.h5s.SCALAR)


@dataclass
class Series:
    """A TimeSeries: its name, values, unit, description and timing (``rate`` and ``starting_time``, or ``timestamps``).

    ``data`` is an array, or an h5py dataset copied ``rows`` rows at a time;
    ``module`` is the processing module it goes in (None: ``acquisition``).

    >>> Series("out", np.zeros(3), "n/a", "the output", {"rate": 10.0, "starting_time": 0.0}).module is None
    True
    """

    name: str
    data: Any
    unit: str
    description: str
    timing: dict[str, Any]
    module: str | None = None
    rows: int = 0


@dataclass
class Column:
    """A DynamicTable column: its values, and for a ragged column the end of each row's values.

    >>> Column("neuron", "the neuron", np.arange(3)).ends is None
    True
    """

    name: str
    description: str
    data: Any
    ends: np.ndarray | None = None
    attrs: dict[str, Any] = field(default_factory=dict)


@dataclass
class Table:
    """A DynamicTable (``module`` names its processing module) or, with ``module=None``, the file's Units table.

    >>> len(Table("units", "spikes", np.arange(2), []).ids)
    2
    """

    name: str
    description: str
    ids: np.ndarray
    columns: list[Column]
    module: str | None = None


@dataclass
class Contents:
    """Everything an NWB file of an Observer holds: the session's metadata, the series, modules and tables.

    >>> start = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
    >>> Contents("a run", "run-1", start).series
    []
    """

    description: str
    identifier: str
    start: datetime.datetime
    experimenter: list[str] | None = None
    institution: str | None = None
    lab: str | None = None
    subject: Any = None
    compression: str | None = None
    series: list[Series] = field(default_factory=list)
    modules: dict[str, str] = field(default_factory=dict)
    tables: list[Table] = field(default_factory=list)


def chunk_shape(shape: tuple[int, ...], itemsize: int) -> tuple[int, ...] | bool:
    """Return the chunks pynwb gives a dataset it chunks itself: about 4 MiB, full rows, at least one row.

    True (h5py's own guess) when a row holds no bytes.

    >>> chunk_shape((10,), 8), chunk_shape((10**6,), 8), chunk_shape((0,), 8)
    ((10,), (524288,), (1,))
    """
    row = [int(n) for n in shape[1:]]
    row_bytes = itemsize * int(np.prod(row, dtype=np.int64))
    if row_bytes == 0:
        return True
    if row_bytes <= CHUNK_BYTES:
        return (max(1, min(CHUNK_BYTES // row_bytes, int(shape[0]))), *row)
    # One row is already larger than a chunk: its largest axis is halved until it fits.
    while itemsize * int(np.prod(row, dtype=np.int64)) > CHUNK_BYTES:
        largest = int(np.argmax(row))
        if row[largest] <= 1:
            break
        row[largest] //= 2
    return (1, *row)


def index_dtype(length: int) -> np.dtype:
    """Return the dtype of a ragged column's index into ``length`` values: the smallest unsigned one that holds it.

    >>> index_dtype(255), index_dtype(256), index_dtype(10**6)
    (dtype('uint8'), dtype('uint16'), dtype('uint32'))
    """
    for bits in (8, 16, 32):
        if length < 1 << bits:
            return np.dtype(f"uint{bits}")
    return np.dtype(np.uint64)


def _attrs(obj: Any, **values: Any) -> None:
    """Set scalar attributes on a new object: a str as variable-length UTF-8, a float as float64, as pynwb does."""
    # h5py's attrs[...] = works out the type and replaces an attribute of the same name: about three times
    # the work of creating the attribute, which counts for a file of some hundred attributes.
    for name, value in values.items():
        if isinstance(value, str):
            type_id, data = _UTF8_TYPE, np.array(value, dtype=_UTF8)
        elif isinstance(value, float):
            type_id, data = h5py.h5t.IEEE_F64LE, np.array(value, np.float64)
        else:
            obj.attrs[name] = value
            continue
        h5py.h5a.create(obj.id, name.encode(), type_id, _SCALAR).write(data)


def _typed(obj: Any, namespace: str, kind: str, **values: Any) -> None:
    _attrs(obj, namespace=namespace, neurodata_type=kind, object_id=str(uuid.uuid4()), **values)


def _text(parent: Any, name: str, value: Any, ascii: bool = False) -> Any:
    """Write one string, or a list of them as a 1-d dataset, as pynwb does: UTF-8, or ASCII for dates."""
    return parent.create_dataset(name, data=value, dtype=h5py.string_dtype("ascii" if ascii else "utf-8"))


def _values(parent: Any, name: str, data: Any, compression: str | None, rows: int) -> Any:
    """Write a series' values: an array at once, or an h5py dataset slab by slab into pynwb's chunks."""
    options = {"compression": compression} if compression else {}
    if isinstance(data, np.ndarray):
        # Compressed data take h5py's chunks, as pynwb leaves them to h5py.
        return parent.create_dataset(name, data=data, **options)
    shape = tuple(data.shape)
    out = parent.create_dataset(
        name, shape=shape, dtype=data.dtype, chunks=chunk_shape(shape, data.dtype.itemsize), **options
    )
    step = max(1, rows)
    for start in range(0, shape[0], step):
        out[start : start + step] = data[start : start + step]
    return out


def _series(parent: Any, series: Series, compression: str | None) -> None:
    group = parent.create_group(series.name)
    _typed(group, _CORE, "TimeSeries", comments="no comments", description=series.description)
    data = _values(group, "data", series.data, compression, series.rows)
    _attrs(data, conversion=1.0, offset=0.0, resolution=-1.0, unit=series.unit)
    if "timestamps" in series.timing:
        times = group.create_dataset("timestamps", data=np.asarray(series.timing["timestamps"], np.float64))
        _attrs(times, interval=np.int64(1), unit="seconds")
    else:
        times = group.create_dataset("starting_time", data=float(series.timing["starting_time"]))
        _attrs(times, rate=float(series.timing["rate"]), unit="seconds")


def _column(group: Any, name: str, data: Any, kind: str, **attrs: Any) -> Any:
    """Write a table column or id as pynwb does: growable along its one axis, in chunks of about 4 MiB."""
    values = np.asarray(data, dtype=_UTF8) if isinstance(data, list) else np.asarray(data)
    length = len(values)
    out = group.create_dataset(
        name,
        shape=(length,),
        dtype=values.dtype,
        maxshape=(None,),
        chunks=chunk_shape((length,), values.dtype.itemsize),
    )
    if values.dtype.kind == "O":
        out[:] = values
    elif length:
        _chunks(out, values)
    _typed(out, _COMMON, kind, **attrs)
    return out


def _chunks(out: Any, values: np.ndarray) -> None:
    """Write a 1-d array of numbers into the new chunked, unfiltered dataset ``out``, chunk by chunk, as stored."""
    # HDF5 passes each chunk through its conversion buffer on the way to the file; a chunk handed over as it
    # is stored (native numbers, no filter) skips that copy: about half the time of 10^6 spike times. The
    # last chunk is padded with the fill value (0), as HDF5 pads the part past the dataset's end.
    values = np.ascontiguousarray(values, dtype=out.dtype)
    size = out.chunks[0]
    for start in range(0, len(values), size):
        part = values[start : start + size]
        if len(part) < size:
            part = np.concatenate([part, np.zeros(size - len(part), values.dtype)])
        out.id.write_direct_chunk((start,), part)


def _table(group: Any, table: Table) -> None:
    if table.module is None:
        _typed(group, _CORE, "Units", description=table.description)
    else:
        _typed(group, _COMMON, "DynamicTable", description=table.description)
    group.attrs["colnames"] = np.array([c.name for c in table.columns], dtype=_UTF8)
    _column(group, "id", np.asarray(table.ids, np.int64), "ElementIdentifiers")
    for column in table.columns:
        values = _column(group, column.name, column.data, "VectorData", description=column.description)
        _attrs(values, **column.attrs)
        if column.ends is not None:
            ends = np.asarray(column.ends).astype(index_dtype(len(values)))
            index = _column(
                group,
                f"{column.name}_index",
                ends,
                "VectorIndex",
                description=f"Index for VectorData '{column.name}'",
            )
            index.attrs["target"] = values.ref


def _subject(general: Any, subject: Any) -> None:
    group = general.create_group("subject")
    _typed(group, _CORE, "Subject")
    for name in ("age", "description", "genotype", "sex", "species", "strain", "subject_id", "weight"):
        value = getattr(subject, name, None)
        if value is None:
            continue
        written = _text(group, name, value)
        if name == "age" and subject.age__reference is not None:
            _attrs(written, reference=subject.age__reference)
    if subject.date_of_birth is not None:
        _text(group, "date_of_birth", subject.date_of_birth.isoformat(), ascii=True)


def _session(file: Any, contents: Contents, version: str) -> None:
    _typed(file, _CORE, "NWBFile", nwb_version=version)
    # pynwb stamps the file with the local time and its zone.
    _text(file, "file_create_date", [datetime.datetime.now().astimezone().isoformat()], ascii=True)
    _text(file, "identifier", contents.identifier)
    _text(file, "session_description", contents.description)
    start = contents.start.isoformat()
    _text(file, "session_start_time", start, ascii=True)
    _text(file, "timestamps_reference_time", start, ascii=True)
    for name in ("acquisition", "analysis", "processing", "stimulus/presentation", "stimulus/templates"):
        file.create_group(name)
    general = file.create_group("general")
    if contents.experimenter is not None:
        _text(general, "experimenter", contents.experimenter)
    for name in ("institution", "lab"):
        if getattr(contents, name) is not None:
            _text(general, name, getattr(contents, name))
    if contents.subject is not None:
        _subject(general, contents.subject)


def write(file: Any, contents: Contents, version: str) -> None:
    """Write ``contents`` into the open, empty h5py ``file`` as pynwb writes an NWB file of schema ``version``.

    The cached schema (``specifications``) is not written here: the caller copies it.

    >>> import io, h5py
    >>> start = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
    >>> with h5py.File(io.BytesIO(), "w") as f: write(f, Contents("a run", "run-1", start), "2.9.0"); sorted(f)[:2]
    ['acquisition', 'analysis']
    """
    if contents.compression == "lzf":
        warnings.warn(
            "NWB with lzf compression: not every HDF5 build reads lzf; gzip is the portable choice",
            UserWarning,
            stacklevel=3,
        )
    _session(file, contents, version)
    processing = file["processing"]
    for name, description in contents.modules.items():
        module = processing.create_group(name)
        _typed(module, _CORE, "ProcessingModule", description=description)
    for series in contents.series:
        parent = file["acquisition"] if series.module is None else processing[series.module]
        _series(parent, series, contents.compression)
    for table in contents.tables:
        parent = file if table.module is None else processing[table.module]
        _table(parent.create_group(table.name), table)
