"""The reference path of :func:`~neuroboard.neuro.nwb.observer_to_nwb`: the same file built and written by pynwb.

:mod:`neuroboard.neuro.nwb_h5` writes the file with h5py directly; this
module builds it from the same :class:`~neuroboard.neuro.nwb_h5.Contents`
with pynwb's containers, for the tests to compare the two trees and for
what the direct writer does not cover. It also holds pynwb's schema cache,
which both writers copy into every file.
"""

from __future__ import annotations

import datetime
import functools
from typing import Any

import numpy as np

from neuroboard.neuro.nwb_h5 import Contents

__all__ = ["cache_spec", "manager", "nwb_file", "spec_template", "write"]


@functools.lru_cache(maxsize=1)
def _type_map() -> Any:
    # pynwb deep-copies its type map for every file (about a third of writing a small file) and the copy
    # builds its object mappers afresh; one private copy kept for this process keeps the mappers it built.
    from pynwb import get_type_map

    return get_type_map()


def manager() -> Any:
    """Return a new BuildManager for one file over the process's copy of pynwb's type map.

    >>> manager().type_map is manager().type_map
    True
    """
    from hdmf.build import BuildManager

    return BuildManager(_type_map())


@functools.lru_cache(maxsize=1)
def spec_template() -> Any:
    """Return an in-memory HDF5 file holding the ``specifications`` group pynwb caches in every file it writes.

    >>> sorted(spec_template()["specifications"])
    ['core', 'hdmf-common', 'hdmf-experimental']
    """
    import io

    import h5py
    from pynwb import NWBHDF5IO, NWBFile

    empty = NWBFile(
        session_description="the schema cache",
        identifier="the schema cache",
        session_start_time=datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc),
    )
    written = h5py.File(io.BytesIO(), "w")
    with NWBHDF5IO(file=written, mode="w", manager=manager()) as nwb_io:
        nwb_io.write(empty)
        spec = h5py.File(io.BytesIO(), "w")
        written.copy(written["specifications"], spec, "specifications")
    return spec


def cache_spec(file: Any) -> None:
    """Copy the schema pynwb caches (its namespaces as JSON) into the open file, where pynwb's own cache puts it.

    >>> import io, h5py
    >>> with h5py.File(io.BytesIO(), "w") as f: cache_spec(f); f[f.attrs[".specloc"]].name
    '/specifications'
    """
    from hdmf.backends.hdf5.h5tools import SPEC_LOC_ATTR

    # Exporting the namespaces as JSON is the same work for every file, and about half of writing a small
    # one: it is done once, by pynwb, and its result copied by HDF5 into each file, value for value the same.
    spec = spec_template()
    spec.copy(spec["specifications"], file, "specifications")
    file.attrs[SPEC_LOC_ATTR] = file["specifications"].ref


def nwb_file(contents: Contents) -> Any:
    """Return the NWBFile of ``contents``, built with pynwb's own containers.

    >>> start = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
    >>> nwb_file(Contents("a run", "run-1", start)).identifier
    'run-1'
    """
    from hdmf.backends.hdf5 import H5DataIO
    from hdmf.common import DynamicTable, VectorData, VectorIndex
    from hdmf.data_utils import DataChunkIterator
    from pynwb import NWBFile, TimeSeries
    from pynwb.misc import Units

    nwbfile = NWBFile(
        session_description=contents.description,
        identifier=contents.identifier,
        session_start_time=contents.start,
        experimenter=contents.experimenter,
        institution=contents.institution,
        lab=contents.lab,
        subject=contents.subject,
    )
    for name, description in contents.modules.items():
        nwbfile.create_processing_module(name, description)
    for table in contents.tables:
        columns = []
        for column in table.columns:
            values = VectorData(name=column.name, description=column.description, data=column.data)
            columns.append(values)
            if column.ends is not None:
                columns.append(VectorIndex(name=f"{column.name}_index", data=column.ends, target=values))
        if table.module is None:
            resolution = table.columns[0].attrs["resolution"]
            nwbfile.units = Units(
                name=table.name,
                description=table.description,
                resolution=resolution,
                id=table.ids,
                columns=columns,
            )
        else:
            nwbfile.processing[table.module].add(
                DynamicTable(name=table.name, description=table.description, id=table.ids, columns=columns)
            )
    options = {"compression": contents.compression} if contents.compression else {}
    for series in contents.series:
        data = series.data
        if not isinstance(data, np.ndarray):
            data = DataChunkIterator(data=data, buffer_size=series.rows)
        timeseries = TimeSeries(
            name=series.name,
            data=H5DataIO(data, **options),
            unit=series.unit,
            description=series.description,
            **series.timing,
        )
        if series.module is None:
            nwbfile.add_acquisition(timeseries)
        else:
            nwbfile.processing[series.module].add(timeseries)
    return nwbfile


def write(file: Any, contents: Contents) -> None:
    """Write ``contents`` into the open, empty h5py ``file`` with pynwb, the schema cache included; closes ``file``.

    >>> import io, h5py
    >>> start = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
    >>> write(h5py.File(io.BytesIO(), "w"), Contents("a run", "run-1", start))
    """
    from pynwb import NWBHDF5IO

    with NWBHDF5IO(file=file, mode="w", manager=manager()) as nwb_io:
        nwb_io.write(nwb_file(contents), cache_spec=False)
        cache_spec(file)
