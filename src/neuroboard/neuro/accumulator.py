"""Log a component's state step by step into HDF5, in Sapicore's layout and names.

:class:`DataAccumulator` writes one file per component, ``<directory>/<identifier>.h5``,
laid out as Sapicore's data hook lays it out: the root carries the attributes
``identifier``, ``class`` and ``version``, a ``/configuration`` group one attribute
per configurable property, and each logged attribute is a chunked, lzf-compressed
dataset that grows along axis 0, one row per step. Rows go through
:class:`~neuroboard.neuro.h5series.H5Series`, so memory stays bounded by
``chunk_bytes`` per attribute however long the run. :class:`DataAccumulatorHook`
drives an accumulator from a torch forward hook, with the arguments Sapicore's
``Network.add_data_hook`` passes; :class:`~neuroboard.neuro.hdf_data.HDFData`
reads such a file back.
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import h5py
import numpy as np

import neuroboard
from neuroboard.neuro.buffers import as_numpy
from neuroboard.neuro.h5series import CHUNK_BYTES, H5Series, check_chunk_bytes, flush_and_close, storable
from neuroboard.neuro.hdf_data import CONFIGURATION, HDFData
from neuroboard.summary.convert import as_path, as_run_name, as_text, is_tensor

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["DataAccumulator", "DataAccumulatorHook", "HDFData"]

_NUMERIC_KINDS = "biuf"

#: What the data hook stores every attribute as, as Sapicore's does (``dtype=None`` keeps each one's own).
HOOK_DTYPE = np.dtype(np.float32)

#: The compression of every dataset, Sapicore's: fast, built into h5py, readable wherever HDF5 is.
COMPRESSION = "lzf"

_ROOT = ("identifier", "class", "version")


def _as_attribute(value: Any, func: str, arg: str) -> Any:
    where = f"{func}({arg}=...)"
    if isinstance(value, str):
        # HDF5 stores UTF-8: a lone surrogate would fail only once the file exists.
        return as_text(value, func, arg)
    if isinstance(value, (bool, int, float, np.bool_, np.integer, np.floating)):
        return value
    if is_tensor(value) or isinstance(value, (np.ndarray, list, tuple)):
        array = as_numpy(value)
        if array.dtype.kind in _NUMERIC_KINDS and array.ndim <= 1:
            return array[()] if array.ndim == 0 else array
        raise TypeError(
            f"{where}: expected a number, bool, str or 1-D numeric array, "
            f"got {array.dtype} of shape {array.shape}"
        )
    raise TypeError(f"{where}: expected a number, bool, str or 1-D numeric array, got {type(value).__name__}")


class DataAccumulator:
    """Log named values once per step into ``<directory>/<identifier>.h5``, one chunked dataset each.

    ``attributes`` declares the names every step must carry; without it the
    names of the first :meth:`append` are fixed for the run, so that every
    dataset keeps one row per step. Rows wait in memory up to ``chunk_bytes``
    per attribute; :meth:`close` (or leaving a ``with`` block, dropping the last
    reference, or the interpreter exiting) writes the rest. With ``entries``,
    the expected number of steps, the file is also written out and released
    once that many steps have come, so that it is complete and readable by any
    process without a close (later steps are still logged, each written at once).
    The file is created afresh, replacing one of the same name.

    Values are stored with their own dtype, or as ``dtype`` (e.g. ``"float32"``,
    what Sapicore stores); datasets are ``compression``-compressed (lzf). The
    root attributes are ``identifier``, ``class`` and ``version`` (neuroboard's);
    ``configurables``, when given, are the attributes of a ``/configuration`` group.

    >>> import tempfile
    >>> with DataAccumulator(tempfile.mkdtemp(), "lif", ["voltage"]) as acc:
    ...     for step in range(3): acc.append(voltage=np.full(2, step, np.float32))
    >>> HDFData(acc.path)["voltage"].tolist()
    [[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]]
    """

    def __init__(
        self,
        directory: str | os.PathLike[str],
        identifier: str,
        attributes: Iterable[str] | None = None,
        *,
        component_class: str | None = None,
        configurables: Mapping[str, Any] | None = None,
        chunk_bytes: int = CHUNK_BYTES,
        entries: int | None = None,
        dtype: Any = None,
        compression: str | None = COMPRESSION,
    ) -> None:
        func = "DataAccumulator"
        directory = as_path(directory, func, "directory")
        _file_name(identifier, func, "identifier")
        names = None if attributes is None else _attribute_names(attributes, func, "attributes")
        if component_class is not None:
            as_text(component_class, func, "component_class")
        root_attrs: dict[str, Any] = {
            "identifier": identifier,
            "class": component_class or "",
            "version": neuroboard.__version__,
        }
        configuration: dict[str, Any] | None = None
        if configurables is not None:
            if not isinstance(configurables, Mapping):
                raise TypeError(
                    f"{func}(configurables=...): expected a dict of name to value, "
                    f"got {type(configurables).__name__}"
                )
            configuration = {}
            for key, value in configurables.items():
                if not isinstance(key, str) or not key:
                    raise ValueError(f"{func}(configurables[{key!r}]=...): expected a non-empty str key")
                as_text(key, func, "configurables")
                configuration[key] = _as_attribute(value, func, f"configurables[{key!r}]")
        check_chunk_bytes(chunk_bytes, func)
        self.entries = _entries(entries, func)
        self.dtype = _dtype(dtype, func)
        if compression not in (None, "lzf", "gzip"):
            raise ValueError(f"{func}(compression=...): expected 'lzf', 'gzip' or None, got {compression!r}")

        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        self._path = directory / f"{identifier}.h5"
        self.identifier = identifier
        self.attributes: tuple[str, ...] | None = names
        self.chunk_bytes = chunk_bytes
        self.compression = compression
        self._steps = 0
        self._store = _Store(h5py.File(self._path, "w"))
        file = self._store.file
        file.attrs.update(root_attrs)
        if configuration is not None:
            file.create_group(CONFIGURATION).attrs.update(configuration)
        self._finalizer = weakref.finalize(self, self._store.release)

    @classmethod
    def for_component(
        cls,
        component: Any,
        directory: str | os.PathLike[str],
        attributes: Iterable[str] | None = None,
        **kwargs: Any,
    ) -> DataAccumulator:
        """Return an accumulator named and described by ``component`` (Sapicore's conventions).

        The identifier is ``component.identifier``, else the class name in lower
        case; ``attributes`` (when empty) default to ``component.loggable_props``;
        the names in ``component.configurable_props`` (Sapicore's ``_config_props``)
        become attributes of the ``/configuration`` group, each value stored as
        it is when HDF5 can hold it (a number, bool, str or 1-D array) and as its
        ``repr`` otherwise, as Sapicore stores every one.

        >>> import tempfile
        >>> class Soma:
        ...     identifier, loggable_props, configurable_props, tau = "soma", ["v"], ["tau"], 20.0
        >>> with DataAccumulator.for_component(Soma(), tempfile.mkdtemp()) as acc:
        ...     acc.path.name, acc.attributes
        ('soma.h5', ('v',))
        """
        identifier = getattr(component, "identifier", None)
        if identifier is None:
            identifier = type(component).__name__.lower()
        if not attributes:
            attributes = getattr(component, "loggable_props", None) or attributes
        if "configurables" not in kwargs:
            props = getattr(component, "configurable_props", None)
            if props is None:
                props = getattr(component, "_config_props", None)
            if props is not None:
                kwargs["configurables"] = {
                    name: _storable_or_repr(getattr(component, name, None)) for name in props
                }
        kwargs.setdefault("component_class", type(component).__name__)
        return cls(directory, identifier, attributes, **kwargs)

    @property
    def path(self) -> Path:
        """Return the path of the HDF5 file.

        >>> import tempfile
        >>> DataAccumulator(tempfile.mkdtemp(), "n1").path.name
        'n1.h5'
        """
        return self._path

    @property
    def steps(self) -> int:
        """Return the number of steps logged so far (rows per dataset, written or waiting).

        >>> import tempfile
        >>> acc = DataAccumulator(tempfile.mkdtemp(), "n1")
        >>> acc.append(v=1.0); acc.append(v=2.0); acc.steps
        2
        """
        return self._steps

    @property
    def closed(self) -> bool:
        """Return whether the file has been closed.

        >>> import tempfile
        >>> acc = DataAccumulator(tempfile.mkdtemp(), "n1"); acc.close(); acc.closed
        True
        """
        return not self._finalizer.alive

    @property
    def series(self) -> Mapping[str, H5Series]:
        """Return a read-only view of the row series, one per logged attribute.

        A file released after ``entries`` steps is opened again for this view;
        the next :meth:`flush` releases it again.

        >>> import tempfile
        >>> acc = DataAccumulator(tempfile.mkdtemp(), "n1"); acc.append(v=[1.0, 2.0])
        >>> len(acc.series["v"]), acc.series["v"].row_shape
        (1, (2,))
        """
        self._store.open()
        return MappingProxyType(self._store.series)

    def _check_open(self, func: str) -> None:
        if self.closed:
            raise ValueError(f"DataAccumulator.{func}(): {self._path} is closed; open a new DataAccumulator")
        self._store.open()

    def append(self, **values: Any) -> None:
        """Log one step: one value (number, array or tensor) per attribute.

        Every value is checked before any is written, so a rejected step leaves
        all datasets as they were.

        >>> import tempfile
        >>> acc = DataAccumulator(tempfile.mkdtemp(), "n1", ["v", "spiked"])
        >>> acc.append(v=[0.5, -1.0], spiked=[False, True]); acc.steps
        1
        """
        self._check_open("append")
        store = self._store
        expected = self.attributes if self.attributes is not None else tuple(store.series) or None
        if expected is not None:
            unknown = [name for name in values if name not in expected]
            if unknown:
                raise ValueError(
                    f"DataAccumulator.append({unknown[0]}=...): unknown attribute; expected {list(expected)}"
                )
            missing = [name for name in expected if name not in values]
            if missing:
                raise ValueError(f"DataAccumulator.append(): missing a value for {missing[0]!r}")
        elif not values:
            raise ValueError("DataAccumulator.append(): expected at least one value, got none")
        else:
            for name in values:
                _attribute_names((name,), "DataAccumulator.append", name)

        rows = {}
        for name, value in values.items():
            where = f"DataAccumulator.append({name}=...)"
            row = storable(as_numpy(value), where)
            if self.dtype is not None and row.dtype != self.dtype:
                row = row.astype(self.dtype)
            series = store.series.get(name)
            if series is not None and series.dataset is not None:
                if row.shape != series.row_shape:
                    raise ValueError(
                        f"{where}: expected shape {series.row_shape} as at the first step, got {row.shape}"
                    )
                # A float stored into an integer dataset would be truncated without a word.
                if not np.can_cast(row.dtype, series.dataset.dtype, casting="same_kind"):
                    raise TypeError(
                        f"{where}: expected values castable to {series.dataset.dtype} as at the first step, "
                        f"got {row.dtype}"
                    )
            elif row.size == 0:
                # HDF5 has no chunk for an empty row: the dataset could never be created.
                raise ValueError(f"{where}: expected a non-empty value, got shape {row.shape}")
            rows[name] = row

        self._create_series(rows)
        for name, row in rows.items():
            store.series[name].append(row)
        self._steps += 1
        self._release_if_complete()

    def _create_series(self, rows: Mapping[str, np.ndarray]) -> None:
        """Create the dataset (compressed) and series of each name in ``rows`` that has none, all or none of them."""
        file = self._store.file
        created: list[str] = []
        try:
            for name, row in rows.items():
                if name in self._store.series:
                    continue
                file.create_dataset(
                    name,
                    shape=(0, *row.shape),
                    maxshape=(None, *row.shape),
                    dtype=row.dtype,
                    chunks=(max(1, self.chunk_bytes // row.nbytes), *row.shape),
                    compression=self.compression,
                )
                created.append(name)
        except (ValueError, TypeError) as error:
            # A refused step leaves the file as it was: no dataset of this step stays behind.
            for name in created:
                del file[name]
            raise ValueError(f"DataAccumulator.append({name}=...): {error}") from None
        for name in created:
            self._store.series[name] = H5Series(
                file, name, chunk_bytes=self.chunk_bytes, where=f"DataAccumulator.append({name}=...)"
            )

    def log(self, obj: Any) -> None:
        """Log one step with ``getattr(obj, name)`` for each attribute.

        >>> import tempfile, types
        >>> acc = DataAccumulator(tempfile.mkdtemp(), "n1", ["v"])
        >>> acc.log(types.SimpleNamespace(v=np.zeros(3))); acc.steps
        1
        """
        self.log_from(obj, None)

    def log_from(self, obj: Any, values: Mapping[str, Any] | None) -> None:
        """Log one step with ``values[name]`` for each attribute, else ``getattr(obj, name)``.

        >>> import tempfile, types
        >>> acc = DataAccumulator(tempfile.mkdtemp(), "n1", ["v", "s"])
        >>> acc.log_from(types.SimpleNamespace(s=1.0), {"v": np.zeros(3)}); acc.steps
        1
        """
        self._check_open("log")
        names = self.attributes if self.attributes is not None else tuple(self._store.series)
        if not names:
            raise ValueError(
                "DataAccumulator.log(obj=...): no attributes to read; pass attributes= or append() first"
            )
        found = {}
        for name in names:
            if values is not None and name in values:
                found[name] = values[name]
                continue
            try:
                found[name] = getattr(obj, name)
            except AttributeError:
                where = "the dict its forward returned nor " if values is not None else ""
                raise AttributeError(
                    f"DataAccumulator.log(obj=...): neither {where}{type(obj).__name__} has {name!r}"
                    if where
                    else f"DataAccumulator.log(obj=...): {type(obj).__name__} has no attribute {name!r}"
                ) from None
        self.append(**found)

    def flush(self) -> None:
        """Write the rows waiting in memory to the file and flush it to disk.

        >>> import tempfile
        >>> acc = DataAccumulator(tempfile.mkdtemp(), "n1"); acc.append(v=1.0); acc.flush()
        >>> len(acc.series["v"].dataset)
        1
        """
        self._check_open("flush")
        for series in self._store.series.values():
            series.flush()
        self._store.file.flush()
        self._release_if_complete()

    def _release_if_complete(self) -> None:
        if self.entries is not None and self._steps >= self.entries:
            # The run is complete (or past it): written out and released, the file is whole for any reader.
            self._store.release()

    def close(self) -> None:
        """Write the rows waiting in memory and close the file; calling it again does nothing.

        >>> import tempfile
        >>> acc = DataAccumulator(tempfile.mkdtemp(), "n1"); acc.close(); acc.close()
        """
        self._finalizer()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else f"{self._steps} steps"
        return f"DataAccumulator({str(self._path)!r}, {state})"


class _Store:
    """The open file of an accumulator and its series; released between writes once a run is complete.

    The finalizer holds this, never the accumulator, so that the accumulator can still be collected.
    """

    def __init__(self, file: h5py.File) -> None:
        self.path = file.filename
        self.file: Any = file
        self.series: dict[str, H5Series] = {}

    def open(self) -> None:
        """Open the file again (to append) if it was released; the series go on where they stopped."""
        if self.file is None:
            self.file = h5py.File(self.path, "a")
            for name in list(self.series):
                self.series[name] = H5Series(
                    self.file, name, chunk_bytes=self.series[name].chunk_bytes, where=self.series[name].where
                )

    def release(self) -> None:
        """Write what waits in memory and close the file; a later :meth:`open` reopens it."""
        if self.file is not None:
            file, self.file = self.file, None
            flush_and_close(file, self.series.values())


def _entries(entries: Any, func: str) -> int | None:
    if entries is None:
        return None
    if isinstance(entries, bool) or not isinstance(entries, (int, np.integer)) or entries < 1:
        raise ValueError(f"{func}(entries=...): expected the number of steps, an int >= 1, got {entries!r}")
    return int(entries)


def _dtype(dtype: Any, func: str) -> np.dtype | None:
    if dtype is None:
        return None
    try:
        found = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{func}(dtype=...): expected a NumPy dtype or None, got {dtype!r}") from None
    if found.kind not in _NUMERIC_KINDS:
        raise TypeError(f"{func}(dtype=...): expected a numeric or bool dtype, got {found}")
    return found


def _storable_or_repr(value: Any) -> Any:
    try:
        return _as_attribute(value, "DataAccumulator", "configurables")
    except (TypeError, ValueError):
        return repr(value)


def _file_name(value: Any, func: str, arg: str) -> str:
    """Return ``value`` if it names one file in its folder: inside it (``as_run_name``) and one part."""
    as_run_name(value, func, arg, f"{value}.h5" if isinstance(value, str) else None)
    if "/" in value or os.sep in value or (os.altsep and os.altsep in value):
        raise ValueError(f"{func}({arg}=...): expected a file name without a folder part, got {value!r}")
    return value


def _attribute_names(attributes: Iterable[str], func: str, arg: str) -> tuple[str, ...]:
    if isinstance(attributes, str):
        attributes = (attributes,)
    names = tuple(attributes)
    for name in names:
        # Each name is a dataset at the root: a "/" would make it a group, "." the root itself.
        if not isinstance(name, str) or not name or "/" in name or name == ".":
            raise ValueError(f"{func}({arg}=...): expected names of datasets (str without '/'), got {name!r}")
        as_run_name(name, func, arg)
    if len(set(names)) != len(names):
        raise ValueError(f"{func}({arg}=...): expected distinct names, got {list(names)}")
    return names


class DataAccumulatorHook:
    """Log a module's state after each forward call into an HDF5 file (a torch forward hook), as Sapicore's.

    The arguments are those Sapicore's ``Network.add_data_hook`` passes,
    positionally or by name: ``attributes`` (when empty, the component's
    ``loggable_props``) and ``entries``, the number of steps of the run, after
    which the file is complete on disk without a close (see
    :class:`DataAccumulator`). Each value comes from the dict the forward call
    returns, as in Sapicore; a name that dict lacks, or any name when the
    forward returns something else (a tensor, a tuple), is read from the
    module's attribute of that name. The file is ``<log_dir>/<identifier>.h5``
    as in :meth:`DataAccumulator.for_component`, every value stored as
    ``float32`` as Sapicore stores it (``dtype=None`` keeps each one's own);
    other keyword arguments go to the accumulator. ``component``, ``attributes``,
    ``entries`` and ``hdf_file_path`` are Sapicore's attribute names. Only
    ``component.register_forward_hook`` is needed, so torch is never imported here.
    ``log_dir``, ``attributes`` (as given) and ``hdf_file_path``
    (``os.path.join(log_dir, identifier + ".h5")``) are kept as Sapicore keeps them.

    >>> import tempfile, torch
    >>> class Soma(torch.nn.Module):
    ...     def forward(self, x): return {"v": x * 2}
    >>> soma = Soma()
    >>> hook = DataAccumulatorHook(soma, tempfile.mkdtemp(), ["v"], 3)
    >>> for _ in range(3): _ = soma(torch.ones(2))
    >>> HDFData(hook.accumulator.path)["v"].tolist()
    [[2.0, 2.0], [2.0, 2.0], [2.0, 2.0]]
    >>> hook.attributes, hook.hdf_file_path.endswith("soma.h5")
    (['v'], True)
    """

    def __init__(
        self,
        component: Any,
        log_dir: str | os.PathLike[str],
        attributes: Iterable[str] | None = None,
        entries: int | None = None,
        **kwargs: Any,
    ) -> None:
        if not callable(getattr(component, "register_forward_hook", None)):
            raise TypeError(
                "DataAccumulatorHook(component=...): expected a module with register_forward_hook, "
                f"got {type(component).__name__}"
            )
        if not attributes and not getattr(component, "loggable_props", None):
            # Checked before the file exists, so a refused hook leaves no empty file behind.
            raise ValueError(
                "DataAccumulatorHook(attributes=...): expected names to log, "
                f"got {attributes!r} and {type(component).__name__} has no loggable_props"
            )
        log_dir = as_path(log_dir, "DataAccumulatorHook", "log_dir")
        _entries(entries, "DataAccumulatorHook")
        kwargs.setdefault("dtype", HOOK_DTYPE)
        self.accumulator = DataAccumulator.for_component(
            component, log_dir, attributes, entries=entries, **kwargs
        )
        self.entries = self.accumulator.entries
        # Sapicore's attributes, as it sets them: the names as given (or the loggable_props) and the path joined.
        self.log_dir = log_dir
        self.attributes = attributes if attributes else component.loggable_props
        self.hdf_file_path = os.path.join(log_dir, self.accumulator.identifier + ".h5")
        # The module holds the hook; holding the module weakly avoids a cycle that only gc can free.
        try:
            self._module: Any = weakref.ref(component)
        except TypeError:
            self._module = lambda: component
        self._handle: Any = component.register_forward_hook(self)

    @property
    def module(self) -> Any:
        """Return the hooked module (None once it has been garbage collected).

        >>> import tempfile, torch
        >>> net = torch.nn.Identity()
        >>> hook = DataAccumulatorHook(net, tempfile.mkdtemp(), ["training"])
        >>> hook.module is net
        True
        """
        return self._module()

    component = module

    def __call__(self, module: Any, inputs: Any, output: Any) -> None:
        """Log the step: values from ``output`` when it is a dict, else ``module``'s attributes (the hook itself).

        >>> import tempfile, types
        >>> hook = DataAccumulatorHook(types.SimpleNamespace(register_forward_hook=lambda f: None, v=1.0),
        ...                            tempfile.mkdtemp(), ["v"])
        >>> hook(hook.module, (), {"v": 2.0}); hook(hook.module, (), None); hook.accumulator.steps
        2
        """
        self.accumulator.log_from(module, output if isinstance(output, Mapping) else None)

    def remove(self) -> None:
        """Detach the hook from the module and close the file; calling it again does nothing.

        >>> import tempfile, torch
        >>> hook = DataAccumulatorHook(torch.nn.Identity(), tempfile.mkdtemp(), ["training"])
        >>> hook.remove(); hook.accumulator.closed
        True
        """
        if self._handle is not None:
            self._handle.remove()
            self._handle = None
        self.accumulator.close()

    close = remove

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()
