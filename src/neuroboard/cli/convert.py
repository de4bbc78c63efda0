"""``neuroboard convert``: an HDF5 file of recordings, or a SONATA spike file, as a TensorBoard run.

Nothing is written into LOGDIR until everything is, and nothing TensorBoard would list is left
behind by a convert that is killed. TensorBoard lists every folder that holds a file with
"tfevents" in its name, hidden or not, anywhere below the folder it serves; so the run is
written into a private folder in the system's temporary directory, outside any logdir, then
moved in: renamed to LOGDIR when it does not exist, its files moved into LOGDIR when it does.
When the temporary directory is on another file system, each file is copied under a ``.part``
name (no "tfevents" in it) and renamed into place. A failure removes the private folder and any
parent folder made for it; the folders and ``.part`` files of converts that were killed are
removed by the next convert.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable
from typing import Any

import click

from neuroboard.cli import nwb_options
from neuroboard.cli.common import HOST, clear_scratch, reports_errors, scratch
from neuroboard.neuro import HDFData, TensorboardWriter
from neuroboard.neuro.hdf_data import check_self_contained
from neuroboard.neuro.view_settings import FORMATS, KINDS

__all__ = [
    "MAX_BYTES",
    "SCRATCH",
    "clear_stale",
    "convert",
    "write_nwb_file",
    "write_nwb_run",
    "write_run",
    "write_sonata_run",
]

#: Default bound of the bytes the datasets of one file may declare (``--max-bytes``).
MAX_BYTES = 1 << 30

#: The name of convert's private folders and ``.part`` files (see :func:`~neuroboard.cli.common.scratch`).
SCRATCH = "neuroboard-convert"
_PART = ".part"
_NWB_PART = ".part.nwb"


def _missing_parents(folder: str) -> list[str]:
    """Return the ancestors of ``folder`` that do not exist yet, outermost first."""
    missing = []
    parent = os.path.dirname(folder)
    while parent and not os.path.exists(parent):
        missing.append(parent)
        parent = os.path.dirname(parent)
    return missing[::-1]


def clear_stale(root: str, logdir: str) -> list[str]:
    """Remove what killed converts left: private folders in ``root``, ``.part`` files below ``logdir``.

    Returns the paths removed.

    >>> import tempfile; d = tempfile.mkdtemp(); os.mkdir(os.path.join(d, f".{SCRATCH}.{HOST}.999999999-x"))
    >>> [os.path.basename(p) for p in clear_stale(d, d)] == [f".{SCRATCH}.{HOST}.999999999-x"]
    True
    """
    removed = clear_scratch(root, SCRATCH, "")
    for folder, _, _ in os.walk(logdir):
        removed += clear_scratch(folder, SCRATCH, _PART)
    return removed


def _same_device(a: str, b: str) -> bool:
    while not os.path.exists(b):
        b = os.path.dirname(b)
    return os.stat(a).st_dev == os.stat(b).st_dev


def _move_into(source: str, target: str, rename: bool) -> None:
    for folder, _, files in os.walk(source):
        destination = os.path.join(target, os.path.relpath(folder, source))
        os.makedirs(destination, exist_ok=True)
        for name in sorted(files):
            final = os.path.join(destination, name)
            if rename:
                os.replace(os.path.join(folder, name), final)
                continue
            # Across file systems a move is a copy: under a name TensorBoard skips until it is whole.
            part = scratch(destination, SCRATCH, _PART)
            try:
                shutil.copyfile(os.path.join(folder, name), part)
                os.replace(part, final)
            finally:
                with contextlib.suppress(FileNotFoundError):
                    os.remove(part)


def write_run(data: HDFData, logdir: str, keys: list[str] | None, settings: dict) -> None:
    """Write ``data`` as the run ``logdir`` with ``TensorboardWriter.write``, all of it or nothing.

    >>> import tempfile, numpy as np
    >>> d = tempfile.mkdtemp(); run = os.path.join(d, "a", "run")
    >>> write_run(HDFData(buffer={"v": np.random.rand(10)}), run, None, {"name": "L1"})
    >>> sorted(os.listdir(d)), os.listdir(run)[0].startswith("events.out.tfevents.")
    (['a'], True)
    """
    _write_staged(logdir, lambda views: views.write(data, keys, **settings))


def write_sonata_run(path: str, logdir: str, bin: float, allow_external: bool) -> list[str]:
    """Write each population of the SONATA spike file ``path`` as a raster and a rate in the run ``logdir``.

    Returns the populations written; all of them or nothing (see :func:`write_run`).

    >>> import tempfile; from neuroboard.neuro.sonata import write_sonata_spikes
    >>> d = tempfile.mkdtemp(); p = os.path.join(d, "s.h5"); write_sonata_spikes(p, [1.0, 2.0], [0, 1], "v1")
    >>> write_sonata_run(p, os.path.join(d, "run"), 1.0, False)
    ['v1']
    """
    from neuroboard.neuro.sonata import sonata_to_tensorboard

    written: list[str] = []
    _write_staged(
        logdir,
        lambda views: written.extend(
            sonata_to_tensorboard(path, views, bin=bin, allow_external=allow_external)
        ),
    )
    return written


def write_nwb_run(path: str, logdir: str, bin: float, max_bytes: int | None = None) -> list[str]:
    """Write the NWB file ``path``'s spikes as rasters and rates, its TimeSeries as scalars, as the run ``logdir``.

    Returns the tags' roots written; all of them or nothing (see :func:`write_run`). A file whose
    datasets declare more than ``max_bytes`` in all is refused before anything is made.

    >>> import tempfile; from neuroboard.neuro import Observer
    >>> obs = Observer(1.0); obs.record(0, output=1.0); d = tempfile.mkdtemp(); p = os.path.join(d, "r.nwb")
    >>> obs.to_nwb(p); write_nwb_run(p, os.path.join(d, "run"), 1.0)
    ['out']
    """
    from neuroboard.neuro.nwb_read import check_declared_bytes, nwb_to_tensorboard

    if max_bytes is not None:
        check_declared_bytes(path, max_bytes)
    written: list[str] = []
    _write_staged(logdir, lambda views: written.extend(nwb_to_tensorboard(path, views, bin=bin)))
    return written


def write_nwb_file(path: str, nwb_path: str, **options: Any) -> None:
    """Write the ``Observer(hdf5=...)`` file ``path`` as the NWB file ``nwb_path``, whole or not at all.

    The file is written under a ``.part.nwb`` name beside ``nwb_path`` and renamed when it is whole;
    an existing ``nwb_path`` is refused. ``options`` are :meth:`Observer.to_nwb`'s (the session's metadata).

    >>> import tempfile; from neuroboard.neuro import Observer
    >>> d = tempfile.mkdtemp(); h5 = os.path.join(d, "rec.h5")
    >>> with Observer(1.0, hdf5=h5) as obs: obs.record(0, output=1.0)
    >>> write_nwb_file(h5, os.path.join(d, "rec.nwb")); sorted(os.listdir(d))
    ['rec.h5', 'rec.nwb']
    """
    from neuroboard.neuro.nwb import recording_to_nwb

    target = os.path.abspath(nwb_path)
    if os.path.exists(target):
        raise FileExistsError(f"the NWB file exists already, remove it first: {target}")
    created = _missing_parents(target)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    part = None
    try:
        # pynwb wants the .nwb ending; the leading dot and the name keep the file out of listings.
        clear_scratch(os.path.dirname(target), SCRATCH, _NWB_PART)
        part = scratch(os.path.dirname(target), SCRATCH, _NWB_PART)
        recording_to_nwb(path, part, **options)
        os.replace(part, target)
    except BaseException:
        if part is not None:
            with contextlib.suppress(FileNotFoundError):
                os.remove(part)
        _remove_folders(created)
        raise


def _remove_folders(created: list[str]) -> None:
    """Remove the folders a failed conversion made, deepest first, stopping at one that is not empty."""
    for folder in reversed(created):
        try:
            os.rmdir(folder)
        except OSError:
            break


def _write_staged(logdir: str, fill: Callable[[TensorboardWriter], object]) -> None:
    """Run ``fill`` on a TensorboardWriter in a private folder, then move what it wrote into ``logdir``."""
    logdir = os.path.abspath(logdir)
    if os.path.exists(logdir) and not os.path.isdir(logdir):
        raise NotADirectoryError(f"LOGDIR is not a folder: {logdir}")
    root = tempfile.gettempdir()
    clear_stale(root, logdir)
    created = _missing_parents(logdir)
    os.makedirs(os.path.dirname(logdir), exist_ok=True)
    try:
        staging = scratch(root, SCRATCH, "", directory=True)
        try:
            with TensorboardWriter(staging) as views:
                fill(views)
            rename = _same_device(staging, logdir)
            if rename and not os.path.exists(logdir):
                os.rename(staging, logdir)
            else:
                _move_into(staging, logdir, rename)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    except BaseException:
        _remove_folders(created)
        raise


@click.command(short_help="Write an HDF5 file of recordings, SONATA spikes or an NWB file as a run.")
@click.argument("file", type=click.Path())
@click.argument("logdir", type=click.Path())
@click.option("--key", "keys", multiple=True, help="Write only this dataset; repeatable (default: all).")
@click.option("--kind", type=click.Choice(KINDS), help="Draw every key as this (default: inferred per key).")
@click.option("--format", "format_", type=click.Choice(FORMATS), help="Traces as one image or as scalars.")
@click.option("--step", type=click.IntRange(min=1), help="Heatmaps over time: keep every N-th frame.")
@click.option("--time-axis", type=click.IntRange(min=0), help="The axis of time in the arrays (default 0).")
@click.option("--name", help="The first part of every tag (default: the file's identifier).")
@click.option(
    "--bin",
    "bin_ms",
    type=click.FloatRange(min=0, min_open=True),
    default=1.0,
    show_default=True,
    help="SONATA and NWB spikes: the width of a rate bin, in ms.",
)
@click.option(
    "--allow-external",
    is_flag=True,
    help="Read datasets kept outside FILE: external storage, external links, virtual sources.",
)
@click.option(
    "--max-bytes",
    type=click.IntRange(min=1),
    default=MAX_BYTES,
    show_default=True,
    help="Refuse a file (of recordings, or NWB) whose datasets declare more bytes than this in all.",
)
@nwb_options.nwb_metadata_options
@reports_errors
def convert(
    file: str,
    logdir: str,
    keys: tuple[str, ...],
    kind: str | None,
    format_: str | None,
    step: int | None,
    time_axis: int | None,
    name: str | None,
    bin_ms: float,
    allow_external: bool,
    max_bytes: int,
    nwb_metadata: dict[str, Any],
) -> None:
    """Write the datasets of the HDF5 FILE as the TensorBoard run LOGDIR.

    Spikes become rasters, traces scalars or line images, 3-D arrays heatmaps, single values
    hyperparameters (see TensorboardWriter.write), under Sapicore's tags. Data kept outside FILE
    is refused unless --allow-external is given.

    A SONATA spike file (/spikes/<population>/timestamps and node_ids, as NEST, BMTK and
    NetPyNE write) becomes, per population, the raster <population>/raster and the rate in Hz,
    <population>/rate, over bins of --bin ms.

    An NWB file: its Units table as <population>/raster and <population>/rate (per value of its
    population column, else "units"), and each TimeSeries of acquisition and of the processing
    modules as scalars at its row index, one tag per column (<name>/<j>) up to 16 columns, else
    the heatmap image <name>/heatmap.

    A file written by Observer(hdf5=...) with a LOGDIR ending in .nwb becomes that NWB file, as
    Observer.to_nwb writes it (an existing one is refused), with the session's metadata of the
    "NWB output" options.
    """
    from neuroboard.neuro.nwb import is_nwb, is_recording
    from neuroboard.neuro.sonata import is_sonata_spikes

    to_nwb = logdir.endswith(".nwb") and is_recording(file)
    nwb_given = nwb_options.given(nwb_metadata)
    if not to_nwb and nwb_given:
        raise click.UsageError(
            f"{', '.join(nwb_given)}: only for an NWB output (an Observer(hdf5=...) file and a "
            f"LOGDIR ending in .nwb), got FILE {file} and LOGDIR {logdir}"
        )
    from_nwb = not to_nwb and is_nwb(file)
    if (to_nwb or from_nwb) and not allow_external:
        # pynwb and the recording's reader follow links out of the file: refuse them before either opens it.
        check_self_contained(file)
    if to_nwb:
        from neuroboard.neuro.nwb_read import check_declared_bytes

        check_declared_bytes(file, max_bytes, "recording_to_nwb")
        write_nwb_file(file, logdir, **nwb_options.to_nwb_arguments(nwb_metadata))
        click.echo(f"wrote the recordings of {file} as the NWB file {os.path.abspath(logdir)}")
        return
    if from_nwb:
        tags = ", ".join(write_nwb_run(file, logdir, bin_ms, max_bytes))
        click.echo(f"wrote {tags} from {file} to {os.path.abspath(logdir)}")
        return
    if is_sonata_spikes(file, allow_external):
        written_populations = write_sonata_run(file, logdir, bin_ms, allow_external)
        populations = ", ".join(written_populations)
        click.echo(f"wrote the spikes of {populations} from {file} to {os.path.abspath(logdir)}")
        return
    data = HDFData(file, allow_external=allow_external, max_bytes=max_bytes)
    given = {"kind": kind, "format": format_, "step": step, "time_axis": time_axis, "name": name}
    settings = {key: value for key, value in given.items() if value is not None}
    write_run(data, logdir, list(keys) or None, settings)
    # The file's attributes describe the run; only the datasets become tags.
    written = ", ".join(keys or [key for key in data.keys() if key not in data.attrs])
    click.echo(f"wrote {written} from {file} to {os.path.abspath(logdir)}")
