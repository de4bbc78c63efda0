"""``neuroboard convert``: an HDF5 file of recordings as a TensorBoard run.

Nothing is written into LOGDIR until everything is: the run is written into a hidden folder
beside LOGDIR, then moved in (renamed to LOGDIR when it does not exist, its files moved into
LOGDIR when it does). A failure removes the hidden folder and any parent folder made for it.
"""

from __future__ import annotations

import os
import shutil
import tempfile

import click

from neuroboard.cli.common import reports_errors
from neuroboard.neuro import HDFData, TensorboardWriter
from neuroboard.neuro.view_settings import FORMATS, KINDS

__all__ = ["convert", "write_run"]


def _missing_parents(folder: str) -> list[str]:
    """Return the ancestors of ``folder`` that do not exist yet, outermost first."""
    missing = []
    parent = os.path.dirname(folder)
    while parent and not os.path.exists(parent):
        missing.append(parent)
        parent = os.path.dirname(parent)
    return missing[::-1]


def _move_into(source: str, target: str) -> None:
    for folder, _, files in os.walk(source):
        destination = os.path.join(target, os.path.relpath(folder, source))
        os.makedirs(destination, exist_ok=True)
        for name in files:
            os.replace(os.path.join(folder, name), os.path.join(destination, name))


def write_run(data: HDFData, logdir: str, keys: list[str] | None, settings: dict) -> None:
    """Write ``data`` as the run ``logdir`` with ``TensorboardWriter.write``, all of it or nothing.

    >>> import tempfile, numpy as np
    >>> d = tempfile.mkdtemp(); run = os.path.join(d, "a", "run")
    >>> write_run(HDFData(buffer={"v": np.random.rand(10)}), run, None, {"name": "L1"})
    >>> sorted(os.listdir(d)), os.listdir(run)[0].startswith("events.out.tfevents.")
    (['a'], True)
    """
    logdir = os.path.abspath(logdir)
    if os.path.exists(logdir) and not os.path.isdir(logdir):
        raise NotADirectoryError(f"LOGDIR is not a folder: {logdir}")
    created = _missing_parents(logdir)
    os.makedirs(os.path.dirname(logdir), exist_ok=True)
    try:
        staging = tempfile.mkdtemp(dir=os.path.dirname(logdir), prefix=f".{os.path.basename(logdir)}.")
        try:
            # mkdtemp makes a private folder; the run gets the permissions of any new folder.
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(staging, 0o777 & ~umask)
            with TensorboardWriter(staging) as views:
                views.write(data, keys, **settings)
            if os.path.exists(logdir):
                _move_into(staging, logdir)
            else:
                os.rename(staging, logdir)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    except BaseException:
        for folder in reversed(created):
            try:
                os.rmdir(folder)
            except OSError:
                break
        raise


@click.command(short_help="Write an HDF5 file of recordings as a run.")
@click.argument("file", type=click.Path())
@click.argument("logdir", type=click.Path())
@click.option("--key", "keys", multiple=True, help="Write only this dataset; repeatable (default: all).")
@click.option("--kind", type=click.Choice(KINDS), help="Draw every key as this (default: inferred per key).")
@click.option("--format", "format_", type=click.Choice(FORMATS), help="Traces as one image or as scalars.")
@click.option("--step", type=click.IntRange(min=1), help="Heatmaps over time: keep every N-th frame.")
@click.option("--time-axis", type=click.IntRange(min=0), help="The axis of time in the arrays (default 0).")
@click.option("--name", help="The first part of every tag (default: the file's identifier).")
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
) -> None:
    """Write the datasets of the HDF5 FILE as the TensorBoard run LOGDIR.

    Spikes become rasters, traces scalars or line images, 3-D arrays heatmaps, single values
    hyperparameters (see TensorboardWriter.write). Tags are <name>/<key>.
    """
    data = HDFData(file)
    data.read()
    given = {"kind": kind, "format": format_, "step": step, "time_axis": time_axis, "name": name}
    settings = {key: value for key, value in given.items() if value is not None}
    write_run(data, logdir, list(keys) or None, settings)
    written = ", ".join(keys or data.keys())
    click.echo(f"wrote {written} from {file} to {os.path.abspath(logdir)}")
