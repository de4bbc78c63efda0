"""An Observer's recordings written to TensorBoard: traces as scalars, neurons as heatmaps, spikes as rasters."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import numpy as np

from neuroboard.summary.convert import as_path

if TYPE_CHECKING:
    from neuroboard.neuro.observer import Observer

__all__ = ["check_destination", "to_tensorboard", "write_views"]


def to_tensorboard(obs: Observer, writer_or_logdir: Any, prefix: str = "") -> None:
    """Write ``obs``'s recordings through a TensorboardWriter, a SummaryWriter or into a logdir.

    >>> import tempfile
    >>> from neuroboard.neuro import Observer
    >>> obs = Observer(0.1); obs.record(0, output=1.0); to_tensorboard(obs, tempfile.mkdtemp())
    """
    from neuroboard.api.summary_writer import SummaryWriter
    from neuroboard.neuro.tensorboard_writer import TensorboardWriter

    check_destination(writer_or_logdir, prefix, "Observer.to_tensorboard")
    if isinstance(writer_or_logdir, TensorboardWriter):
        write_views(obs, writer_or_logdir, prefix)
    elif isinstance(writer_or_logdir, SummaryWriter):
        with TensorboardWriter(writer_or_logdir) as views:
            write_views(obs, views, prefix)
    else:
        logdir = as_path(writer_or_logdir, "Observer.to_tensorboard", "writer_or_logdir")
        with TensorboardWriter(logdir) as views:
            write_views(obs, views, prefix)


def check_destination(writer_or_logdir: Any, prefix: Any, func: str) -> None:
    """Refuse, naming ``func``'s argument, what :func:`to_tensorboard` cannot write to or tag with.

    >>> check_destination(3.5, "", "f")
    Traceback (most recent call last):
    TypeError: f(writer_or_logdir=...): expected a logdir, a SummaryWriter or a TensorboardWriter, got float
    """
    from neuroboard.api.summary_writer import SummaryWriter
    from neuroboard.neuro.tensorboard_writer import TensorboardWriter

    if not isinstance(writer_or_logdir, (str, os.PathLike, SummaryWriter, TensorboardWriter)):
        raise TypeError(
            f"{func}(writer_or_logdir=...): expected a logdir, a SummaryWriter or a TensorboardWriter, "
            f"got {type(writer_or_logdir).__name__}"
        )
    if not isinstance(prefix, str):
        raise TypeError(f"{func}(prefix=...): expected a str, got {type(prefix).__name__}")


def write_views(obs: Observer, views: Any, prefix: str) -> None:
    """Write every recording of ``obs`` through the TensorboardWriter ``views``, tags starting with ``prefix``.

    >>> import tempfile
    >>> from neuroboard.neuro import Observer, TensorboardWriter
    >>> obs = Observer(0.1); obs.record(0, output=1.0)
    >>> with TensorboardWriter(tempfile.mkdtemp()) as views: write_views(obs, views, "sim/")
    """
    writer = views.writer
    for key, buffer in obs._buffers.items():
        if not len(buffer):
            continue
        path = prefix + (key if isinstance(key, str) else "/".join(key))
        values = buffer.values
        steps = buffer.steps
        if values.ndim == 1:
            writer.add_series(path, values, steps=steps)
            continue
        name, _, attr = path.rpartition("/")
        neurons = values.reshape(len(values), -1).T
        views.heatmap(name or path, attr, neurons, {"global_step": int(steps[-1])})
    for (node, var), spikes in obs._spikes.items():
        if spikes.first_step is None:
            continue
        path = f"{prefix}{node}/{var}"
        times, neurons = spikes.events()
        first, last = spikes.first_step, spikes.last_step
        extent = {"n_steps": last - first + 1, "n_neurons": spikes.n_neurons, "global_step": last}
        views.raster(path, (times - first, neurons), extent)
        # The events just read give the rate too: with hdf5= they are not read from the file again.
        rate = obs._population_rate(node, var, None, None, times)
        writer.add_series(f"{path}/rate", rate.to_numpy(), steps=np.arange(first, last + 1))
