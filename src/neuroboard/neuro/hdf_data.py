"""Read an HDF5 file into a dict of NumPy arrays, as Sapicore's ``HDFData`` does, without its limits.

:class:`HDFData` reads at construction, as Sapicore's does: the root attributes
(``identifier``, ``class``, ``version``) and every dataset go into ``buffer``;
datasets in groups are keyed ``"group/dataset"``. The attributes of the
``/configuration`` group, where Sapicore's data hook keeps a component's
configurable properties, are in ``configuration`` (and in ``attrs``), and in the
buffer when ``key`` names one.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from neuroboard.neuro.h5series import check_chunk_bytes, check_declared, read_bounded
from neuroboard.summary.convert import as_path, as_text

__all__ = ["CONFIGURATION", "HDFData", "check_self_contained"]

#: The group whose attributes hold a component's configurable properties (Sapicore's layout).
CONFIGURATION = "configuration"


def _plain(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, np.generic):
        return _plain(value.item())
    if isinstance(value, np.ndarray) and value.dtype.kind in "OS":
        return [_plain(item) for item in value.tolist()]
    return value


class HDFData:
    """Read the datasets and attributes of an HDF5 file into a dict of NumPy arrays (Sapicore's reader).

    Given a ``path``, the file is read at once (as Sapicore's reader does);
    :meth:`read` reads it again. ``buffer`` starts as a copy of the given dict
    and receives every root attribute and every dataset, or only ``key``: a
    dataset, a group (read whole), a root attribute or an attribute of the
    ``/configuration`` group. A ``key`` the file does not hold is no error, as
    in Sapicore: it is listed in ``missing``, and
    :meth:`TensorboardWriter.write <neuroboard.neuro.TensorboardWriter.write>`
    passes over it, so that one loop may ask every file of a run for every key.
    ``attrs`` holds the root attributes and those of ``/configuration`` (the
    root's win), ``configuration`` the latter alone, and ``identifier`` the
    file's identifier (its name without ``.h5`` when it has none).

    Data stays inside the file: a dataset stored in an external raw file, an
    external link, or a virtual dataset with a source in another file is refused
    (a ValueError naming it) before anything is read, unless ``allow_external=True``.
    Datasets are read in slabs of at most ``READ_BYTES`` (16 MiB); ``max_bytes``
    bounds the sum of the sizes the datasets declare, checked before reading.

    >>> import tempfile
    >>> from neuroboard.neuro import DataAccumulator
    >>> with DataAccumulator(tempfile.mkdtemp(), "lif", ["v"]) as acc:
    ...     acc.append(v=[1.0, 2.0])
    >>> data = HDFData(acc.path, buffer={"dt": 0.1})
    >>> sorted(data.keys()), data["identifier"], data["v"].shape
    (['class', 'dt', 'identifier', 'v', 'version'], 'lif', (1, 2))
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
        self.configuration: dict[str, Any] = {}
        self.missing: tuple[str, ...] = ()
        self.identifier: str | None = None
        if self.path:
            self.read()

    def read(self) -> dict[str, Any]:
        """Read the root attributes and datasets (all, or ``key``) into the buffer and return it.

        >>> import tempfile
        >>> from neuroboard.neuro import DataAccumulator
        >>> with DataAccumulator(tempfile.mkdtemp(), "lif") as acc:
        ...     acc.append(v=1.0, i=2.0)
        >>> HDFData(acc.path, key="i").read()
        {'identifier': 'lif', 'class': '', 'i': array([2.])}
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
            root = {name: _plain(value) for name, value in file.attrs.items()}
            configuration = _configuration(file)
            key = self.key
            named = key is not None and (key in root or key in configuration)
            # A key the file does not hold is missing, not an error: Sapicore's loops ask every file.
            found = inside.datasets(key) if key is None or inside.holds(key) else {}
            check_declared(found, self.max_bytes, "HDFData", path)
            # The component's identifier and class come first, whatever the key, as in Sapicore's reader.
            for name in ("identifier", "class"):
                if name in root:
                    self.buffer[name] = root[name]
            if key is None:
                self.buffer.update(root)
            elif key in root:
                self.buffer[key] = root[key]
            elif key in configuration:
                self.buffer[key] = configuration[key]
            for name, dataset in found.items():
                # Read again, a dataset replaces its earlier copy: drop that first, so that one copy is held.
                self.buffer.pop(name, None)
                self.buffer[name] = read_bounded(dataset)
            self.missing = (key,) if key is not None and not named and not found else ()
            self.configuration = configuration
            self.attrs = {**configuration, **root}
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


def _configuration(file: h5py.File) -> dict[str, Any]:
    link = file.get(CONFIGURATION, getlink=True)
    # Only a group inside the file: its attributes are read without following a link out.
    if not isinstance(link, h5py.HardLink) or not isinstance(file[CONFIGURATION], h5py.Group):
        return {}
    return {name: _plain(value) for name, value in file[CONFIGURATION].attrs.items()}


_OPT_IN = "pass allow_external=True (neuroboard convert: --allow-external) to read it anyway"


def check_self_contained(path: str | os.PathLike[str]) -> None:
    """Raise a ValueError if any data of the HDF5 file at ``path`` lives outside it (links, external storage).

    For readers that follow links themselves (pynwb does): check first, then open.

    >>> import tempfile, h5py; p = os.path.join(tempfile.mkdtemp(), "a.h5")
    >>> with h5py.File(p, "w") as f: f["x"] = [1, 2]
    >>> check_self_contained(p)
    """
    with h5py.File(path, "r") as file:
        _Inside(file, os.fspath(path), False).datasets(None)


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

    def holds(self, key: str) -> bool:
        """Return whether ``key`` names something in the file (a link out counts; it is refused later)."""
        item: Any = self.file
        for part in [part for part in key.split("/") if part]:
            if not isinstance(item, h5py.Group):
                return False
            link = item.get(part, getlink=True)
            if link is None:
                return False
            if not isinstance(link, h5py.HardLink):
                return True
            item = item[part]
        return True

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
            elif isinstance(link, h5py.HardLink) or self.allow_external:
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
