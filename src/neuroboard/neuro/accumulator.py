"""Log a component's state step by step into HDF5 and read it back (Sapicore's layout and names).

:class:`DataAccumulator` writes one file per component, ``<directory>/<identifier>.h5``:
the root carries the attributes ``identifier``, ``class`` and one attribute per
configurable property, and each logged attribute is a chunked dataset that grows
along axis 0, one row per step. Rows go through :class:`~neuroboard.neuro.h5series.H5Series`,
so memory stays bounded by ``chunk_bytes`` per attribute however long the run.
:class:`DataAccumulatorHook` drives an accumulator from a torch forward hook, and
:class:`HDFData` reads such a file (or any HDF5 file, nested groups included) into a dict.
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import h5py
import numpy as np

from neuroboard.neuro.buffers import as_numpy
from neuroboard.neuro.h5series import (
    CHUNK_BYTES,
    H5Series,
    check_chunk_bytes,
    declared_bytes,
    flush_and_close,
    read_bounded,
    storable,
)
from neuroboard.summary.convert import as_path, as_run_name, as_text, is_tensor

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["DataAccumulator", "DataAccumulatorHook", "HDFData"]

_NUMERIC_KINDS = "biuf"


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
    reference, or the interpreter exiting) writes the rest. The file is created
    afresh, replacing one of the same name.

    >>> import tempfile
    >>> with DataAccumulator(tempfile.mkdtemp(), "lif", ["voltage"]) as acc:
    ...     for step in range(3): acc.append(voltage=np.full(2, step, np.float32))
    >>> HDFData(acc.path).read()["voltage"].tolist()
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
    ) -> None:
        directory = as_path(directory, "DataAccumulator", "directory")
        _file_name(identifier, "DataAccumulator", "identifier")
        names = None if attributes is None else _attribute_names(attributes, "DataAccumulator", "attributes")
        if component_class is not None:
            as_text(component_class, "DataAccumulator", "component_class")
        root_attrs: dict[str, Any] = {"identifier": identifier, "class": component_class or ""}
        for key, value in (configurables or {}).items():
            where = f"DataAccumulator(configurables[{key!r}]=...)"
            if not isinstance(key, str) or key in root_attrs:
                raise ValueError(f"{where}: expected a str key other than 'identifier' and 'class'")
            as_text(key, "DataAccumulator", "configurables")
            root_attrs[key] = _as_attribute(value, "DataAccumulator", f"configurables[{key!r}]")
        check_chunk_bytes(chunk_bytes, "DataAccumulator")

        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        self._path = directory / f"{identifier}.h5"
        self.identifier = identifier
        self.attributes: tuple[str, ...] | None = names
        self.chunk_bytes = chunk_bytes
        self._steps = 0
        self._file = h5py.File(self._path, "w")
        self._file.attrs.update(root_attrs)
        self._series: dict[str, H5Series] = {}
        self._finalizer = weakref.finalize(self, flush_and_close, self._file, self._series.values())

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
        case; ``attributes`` default to ``component.loggable_props``; the values of
        the names in ``component.configurable_props`` become root attributes.

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
        if attributes is None:
            attributes = getattr(component, "loggable_props", None)
        if "configurables" not in kwargs:
            props = getattr(component, "configurable_props", None) or ()
            kwargs["configurables"] = {name: getattr(component, name) for name in props}
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

        >>> import tempfile
        >>> acc = DataAccumulator(tempfile.mkdtemp(), "n1"); acc.append(v=[1.0, 2.0])
        >>> len(acc.series["v"]), acc.series["v"].row_shape
        (1, (2,))
        """
        return MappingProxyType(self._series)

    def _check_open(self, func: str) -> None:
        if self.closed:
            raise ValueError(f"DataAccumulator.{func}(): {self._path} is closed; open a new DataAccumulator")

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
        expected = self.attributes if self.attributes is not None else tuple(self._series) or None
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
            series = self._series.get(name)
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
            rows[name] = row

        for name, row in rows.items():
            series = self._series.get(name)
            if series is None:
                where = f"DataAccumulator.append({name}=...)"
                series = self._series[name] = H5Series(
                    self._file, name, chunk_bytes=self.chunk_bytes, where=where
                )
            series.append(row)
        self._steps += 1

    def log(self, obj: Any) -> None:
        """Log one step with ``getattr(obj, name)`` for each attribute.

        >>> import tempfile, types
        >>> acc = DataAccumulator(tempfile.mkdtemp(), "n1", ["v"])
        >>> acc.log(types.SimpleNamespace(v=np.zeros(3))); acc.steps
        1
        """
        self._check_open("log")
        names = self.attributes if self.attributes is not None else tuple(self._series)
        if not names:
            raise ValueError(
                "DataAccumulator.log(obj=...): no attributes to read; pass attributes= or append() first"
            )
        values = {}
        for name in names:
            try:
                values[name] = getattr(obj, name)
            except AttributeError:
                raise AttributeError(
                    f"DataAccumulator.log(obj=...): {type(obj).__name__} has no attribute {name!r}"
                ) from None
        self.append(**values)

    def flush(self) -> None:
        """Write the rows waiting in memory to the file and flush it to disk.

        >>> import tempfile
        >>> acc = DataAccumulator(tempfile.mkdtemp(), "n1"); acc.append(v=1.0); acc.flush()
        >>> len(acc.series["v"].dataset)
        1
        """
        self._check_open("flush")
        for series in self._series.values():
            series.flush()
        self._file.flush()

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
    """Log a module's attributes after each forward call into an HDF5 file (a torch forward hook).

    Only ``component.register_forward_hook`` is needed, so torch is never
    imported here. The file is ``<log_dir>/<identifier>.h5`` as in
    :meth:`DataAccumulator.for_component`; keyword arguments go to it.

    >>> import tempfile, torch
    >>> class Soma(torch.nn.Module):
    ...     def forward(self, x): self.v = x * 2; return self.v
    >>> soma = Soma()
    >>> with DataAccumulatorHook(soma, tempfile.mkdtemp(), ["v"]) as hook:
    ...     for _ in range(3): _ = soma(torch.ones(2))
    >>> HDFData(hook.accumulator.path).read()["v"].shape
    (3, 2)
    """

    def __init__(
        self,
        component: Any,
        log_dir: str | os.PathLike[str],
        attributes: Iterable[str] | None = None,
        **kwargs: Any,
    ) -> None:
        if not callable(getattr(component, "register_forward_hook", None)):
            raise TypeError(
                "DataAccumulatorHook(component=...): expected a module with register_forward_hook, "
                f"got {type(component).__name__}"
            )
        if attributes is None and getattr(component, "loggable_props", None) is None:
            # Checked before the file exists, so a refused hook leaves no empty file behind.
            raise ValueError(
                "DataAccumulatorHook(attributes=...): expected names to log, "
                f"got none and {type(component).__name__} has no loggable_props"
            )
        log_dir = as_path(log_dir, "DataAccumulatorHook", "log_dir")
        self.accumulator = DataAccumulator.for_component(component, log_dir, attributes, **kwargs)
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

    def __call__(self, module: Any, inputs: Any, output: Any) -> None:
        """Log ``module``'s attributes as they stand after its forward call (the hook itself).

        >>> import tempfile, types
        >>> hook = DataAccumulatorHook(types.SimpleNamespace(register_forward_hook=lambda f: None, v=1.0),
        ...                            tempfile.mkdtemp(), ["v"])
        >>> hook(hook.module, (), None); hook.accumulator.steps
        1
        """
        self.accumulator.log(module)

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


def _plain(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, np.generic):
        return _plain(value.item())
    if isinstance(value, np.ndarray) and value.dtype.kind in "OS":
        return [_plain(item) for item in value.tolist()]
    return value


class HDFData:
    """Read the datasets of an HDF5 file into a dict of NumPy arrays (Sapicore's reader).

    ``buffer`` starts as a copy of the given dict. :meth:`read` adds every
    dataset, or only ``key`` (a dataset, or a group read whole); datasets in
    groups are keyed ``"group/dataset"``. ``attrs`` and ``identifier`` describe
    the file once read.

    Data stays inside the file: a dataset stored in an external raw file, an
    external link, or a virtual dataset with a source in another file is refused
    (a ValueError naming it) before anything is read, unless ``allow_external=True``.
    Datasets are read in slabs of at most ``READ_BYTES`` (16 MiB); ``max_bytes``
    bounds the sum of the sizes the datasets declare, checked before reading.

    >>> import tempfile
    >>> with DataAccumulator(tempfile.mkdtemp(), "lif", ["v"]) as acc:
    ...     acc.append(v=[1.0, 2.0])
    >>> data = HDFData(acc.path, buffer={"dt": 0.1}); _ = data.read()
    >>> sorted(data.keys()), data.identifier, data["v"].shape
    (['dt', 'v'], 'lif', (1, 2))
    """

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        key: str | None = None,
        buffer: dict | None = None,
        *,
        allow_external: bool = False,
        max_bytes: int | None = None,
    ) -> None:
        self.path = None if path is None else as_path(path, "HDFData", "path")
        self.key = None if key is None else as_text(key, "HDFData", "key")
        if buffer is not None and not isinstance(buffer, Mapping):
            raise TypeError(f"HDFData(buffer=...): expected a dict or None, got {type(buffer).__name__}")
        if not isinstance(allow_external, bool):
            raise TypeError(
                f"HDFData(allow_external=...): expected True or False, got {type(allow_external).__name__}"
            )
        if max_bytes is not None:
            check_chunk_bytes(max_bytes, "HDFData", "max_bytes")
        self.allow_external = allow_external
        self.max_bytes = max_bytes
        self.buffer: dict[str, Any] = dict(buffer) if buffer else {}
        self.attrs: dict[str, Any] = {}
        self.identifier: str | None = None

    def read(self) -> dict[str, Any]:
        """Read the datasets (all, or ``key``) and root attributes into the buffer and return it.

        >>> import tempfile
        >>> with DataAccumulator(tempfile.mkdtemp(), "lif") as acc:
        ...     acc.append(v=1.0, i=2.0)
        >>> HDFData(acc.path, key="i").read()
        {'i': array([2.])}
        """
        if self.path is None:
            raise ValueError("HDFData(path=...): expected the path of an HDF5 file to read, got None")
        path = self.path
        if not os.path.exists(path):
            raise FileNotFoundError(f"HDFData(path=...): no such file: {path}")
        if not os.path.isfile(path) or not h5py.is_hdf5(path):
            raise ValueError(f"HDFData(path=...): not an HDF5 file: {path}")
        with h5py.File(path, "r") as file:
            inside = _Inside(file, path, self.allow_external)
            found = inside.datasets(self.key)
            declared = sum(declared_bytes(dataset) for dataset in found.values())
            if self.max_bytes is not None and declared > self.max_bytes:
                name, largest = max(found.items(), key=lambda item: declared_bytes(item[1]))
                raise ValueError(
                    f"HDFData(max_bytes=...): expected datasets of at most {self.max_bytes} bytes in all, "
                    f"got {declared} bytes declared by {path} (the largest, {name!r}: shape {largest.shape}, "
                    f"{largest.dtype}); pass a larger max_bytes (neuroboard convert: --max-bytes) to read it"
                )
            for name, dataset in found.items():
                self.buffer[name] = read_bounded(dataset)
            self.attrs = {name: _plain(value) for name, value in file.attrs.items()}
        identifier = self.attrs.get("identifier")
        self.identifier = identifier if isinstance(identifier, str) else Path(path).stem
        return self.buffer

    def __getitem__(self, key: str) -> Any:
        return self.buffer[key]

    def __contains__(self, key: object) -> bool:
        return key in self.buffer

    def __iter__(self) -> Iterator[str]:
        return iter(self.buffer)

    def __len__(self) -> int:
        return len(self.buffer)

    def keys(self) -> Any:
        """Return the keys of the buffer.

        >>> HDFData(buffer={"a": 1}).keys()
        dict_keys(['a'])
        """
        return self.buffer.keys()

    def __repr__(self) -> str:
        return f"HDFData(path={self.path!r}, key={self.key!r}, keys={list(self.buffer)})"


_OPT_IN = "pass allow_external=True (neuroboard convert: --allow-external) to read it anyway"

# HDF5's own bound on the soft and external links one path may pass through.
_MAX_HOPS = 16


class _Inside:
    """The datasets of one open file that :class:`HDFData` reads, found without following links out.

    Links are looked at with ``getlink=True`` before anything behind them is
    opened, so a refused external link never opens the file it names.
    """

    def __init__(self, file: h5py.File, path: str, allow_external: bool) -> None:
        self.file = file
        self.path = path
        self.allow_external = allow_external
        self._checked: set[Any] = set()

    def _refuse(self, what: str) -> ValueError:
        return ValueError(
            "HDFData(path=...): expected an HDF5 file whose data stays inside it, "
            f"got {what} in {self.path}; {_OPT_IN}"
        )

    def datasets(self, key: str | None) -> dict[str, h5py.Dataset]:
        """Return the datasets under ``key`` (all without it), by name, each checked."""
        found: dict[str, h5py.Dataset] = {}
        name = (key or "").strip("/")
        item = self.file if not name else self.follow(name, "HDFData(key=...)")
        if isinstance(item, h5py.Dataset):
            self.check(name, item)
            found[name] = item
        else:
            self._walk(item, f"{name}/" if name else "", found, set())
        return found

    def follow(self, name: str, where: str, hops: int = 0) -> Any:
        """Return the object at ``name``, refusing (or, allowed, following) external links on the way."""
        if hops > _MAX_HOPS:
            raise ValueError(f"{where}: {name!r} passes through more than {_MAX_HOPS} links in {self.path}")
        item: Any = self.file
        parts = [part for part in name.split("/") if part]
        for index, part in enumerate(parts):
            link = item.get(part, getlink=True) if isinstance(item, h5py.Group) else None
            if link is None:
                found = sorted(_datasets(self.file))
                raise KeyError(f"{where}: {name!r} is not in {self.path}; the file holds {found}")
            if isinstance(link, h5py.SoftLink):
                target = link.path if link.path.startswith("/") else f"{item.name}/{link.path}"
                item = self.follow(target, where, hops + 1)
            elif isinstance(link, h5py.HardLink):
                item = item[part]
            elif self.allow_external:
                item = item[part]
            else:
                at = "/".join(parts[: index + 1])
                raise self._refuse(f"{at!r}, {_describe_link(link)}")
        return item

    def _walk(self, group: h5py.Group, prefix: str, found: dict[str, h5py.Dataset], seen: set[Any]) -> None:
        # Each object once, by its first hard-linked name, as h5py's visititems lists them.
        if group.id in seen:
            return
        seen.add(group.id)
        for part in group:
            name = f"{prefix}{part}"
            link = group.get(part, getlink=True)
            if isinstance(link, h5py.SoftLink):
                continue
            if not isinstance(link, h5py.HardLink) and not self.allow_external:
                raise self._refuse(f"{name!r}, {_describe_link(link)}")
            item = group.get(part)
            if isinstance(item, h5py.Group):
                self._walk(item, f"{name}/", found, seen)
            elif isinstance(item, h5py.Dataset) and item.id not in seen:
                seen.add(item.id)
                self.check(name, item)
                found[name] = item

    def check(self, name: str, dataset: h5py.Dataset, via: str = "") -> None:
        """Raise a ValueError if reading ``dataset`` would read data outside the file (unless allowed)."""
        if self.allow_external or dataset.id in self._checked:
            return
        self._checked.add(dataset.id)
        external = dataset.external
        if external:
            raise self._refuse(f"dataset {name!r}{via} stored in the external file {external[0][0]}")
        if not dataset.is_virtual:
            return
        for source in dataset.virtual_sources():
            if not self._same_file(source.file_name):
                raise self._refuse(f"virtual dataset {name!r}{via} with a source in {source.file_name}")
            # A source in this file can itself be external, or reached through an external link.
            where = f"HDFData(path=...): the source {source.dset_name!r} of virtual dataset {name!r}"
            target = self.follow(source.dset_name, where)
            if isinstance(target, h5py.Dataset):
                self.check(source.dset_name, target, f" (a source of virtual dataset {name!r})")

    def _same_file(self, file_name: str) -> bool:
        if file_name == ".":
            return True
        candidate = os.path.join(os.path.dirname(os.path.abspath(self.path)), file_name)
        try:
            return os.path.samefile(candidate, self.path)
        except OSError:
            return False


def _describe_link(link: Any) -> str:
    if isinstance(link, h5py.ExternalLink):
        return f"an external link to {link.filename}:{link.path}"
    return f"a {type(link).__name__} (a user-defined link)"


def _datasets(group: h5py.Group) -> list[str]:
    names: list[str] = []
    group.visititems(lambda name, item: names.append(name) if isinstance(item, h5py.Dataset) else None)
    return names
