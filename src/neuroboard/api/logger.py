"""Logger: ANNarchy's tensorboard logger, on neuroboard's writer.

The surface is ANNarchy's (``add_scalar(tag, value, step)``,
``add_image(..., equalize=)``, ``add_parameters``), and so is what lands on
disk: ANNarchy writes through tensorboardX, whose tags, ``add_scalars``
folders, image grids and hparams runs its users' dashboards rely on. Those
habits live in :mod:`neuroboard.api.logger_quirks`; each method converts its
arguments with them and writes through
:class:`~neuroboard.api.summary_writer.SummaryWriter`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from typing import Any

from neuroboard.api.logger_quirks import (
    clean_tag,
    experiment_summary,
    grid_pixels,
    hparams_values,
    image_pixels,
    subrun_folder,
)
from neuroboard.api.summary_writer import SummaryWriter, run_name
from neuroboard.io.writer import check_file_limits
from neuroboard.render.grid import equalize as _equalize
from neuroboard.summary.convert import as_array, as_float, as_path, as_run_name
from neuroboard.summary.hparams import checked_metrics
from neuroboard.summary.image import image
from neuroboard.summary.scalar import scalar

__all__ = ["Logger"]


class Logger:
    """Log a simulation to TensorBoard, with ANNarchy's ``Logger`` API.

    Writes into ``<logdir>/<experiment>``, or ``<logdir>/<MonDD_HH-MM-SS>_<host>``
    when no experiment is named; :attr:`currentlogdir` is that folder.
    Reusing an experiment name appends to it: a new event file goes beside
    the old ones, which stay as they are. Tags are written as tensorboardX
    writes them (``Global performance/Accuracy`` as
    ``Global_performance/Accuracy``), so runs logged by ANNarchy and by this
    Logger share their charts. ``fsync``, ``max_file_bytes``, ``rotate_secs``
    and ``storage_options`` (for an fsspec URL as ``logdir``) are the
    :class:`~neuroboard.api.summary_writer.SummaryWriter`'s.

    >>> import tempfile
    >>> with Logger(tempfile.mkdtemp(), experiment="trial1") as logger:
    ...     logger.add_scalar("Accuracy", 0.9, 1)
    """

    def __init__(
        self,
        logdir: str | os.PathLike[str] = "runs/",
        experiment: str | None = None,
        *,
        fsync: bool = False,
        max_file_bytes: int | None = None,
        rotate_secs: float | None = None,
        storage_options: dict | None = None,
    ) -> None:
        check_file_limits(max_file_bytes, rotate_secs, "Logger")
        self.logdir = as_path(logdir, "Logger", "logdir")
        # ANNarchy names the folder by time and host for any false experiment, "" too.
        if experiment:
            as_run_name(experiment, "Logger", "experiment")
        # As ANNarchy's: the name given, None when the folder is named by time and host.
        self.experiment = experiment
        self._writer = SummaryWriter(
            os.path.join(self.logdir, experiment or run_name()),
            fsync=fsync,
            max_file_bytes=max_file_bytes,
            rotate_secs=rotate_secs,
            storage_options=storage_options,
        )
        # The child runs add_parameters has named, one per call.
        self._parameter_runs: set[str] = set()

    @property
    def writer(self) -> SummaryWriter:
        """The SummaryWriter underneath, for everything else it can log."""
        return self._writer

    @property
    def run_dir(self) -> str:
        """The folder this logger writes into."""
        return self._writer.logdir

    @property
    def currentlogdir(self) -> str:
        """The folder this logger writes into (ANNarchy's name for :attr:`run_dir`).

        >>> import os, tempfile
        >>> root = tempfile.mkdtemp()
        >>> with Logger(root, experiment="trial1") as logger: logger.currentlogdir == os.path.join(root, "trial1")
        True
        """
        return self._writer.logdir

    def add_scalar(self, tag: str, value: float, step: int | None = None) -> None:
        """Log one scalar, e.g. an accuracy per trial; without ``step``, the tag's last step plus one.

        >>> import tempfile
        >>> with Logger(tempfile.mkdtemp()) as logger: logger.add_scalar("Rate", 12.5, 0)
        """
        self._writer.add_scalar(clean_tag(tag, "add_scalar"), value, step)

    def add_scalars(self, tag: str, value: dict, step: int | None = None) -> None:
        """Log several scalars shown in one chart: each key is a sub-run ``<tag>/<key>`` holding ``tag``.

        >>> import tempfile
        >>> with Logger(tempfile.mkdtemp()) as logger:
        ...     logger.add_scalars("Accuracy", {"train": 0.9, "test": 0.8}, 0)
        """
        func = "add_scalars"
        chart = clean_tag(tag, func)
        if not isinstance(value, Mapping):
            raise TypeError(
                f"{func}(value=...): expected a dict of names to numbers, got {type(value).__name__}"
            )
        points = [
            (subrun_folder(tag, key, func), scalar(chart, as_float(number, func, f"value[{key!r}]")))
            for key, number in value.items()
        ]
        writer = self._writer
        step, wall = writer._when(step, None, func)
        # One count per chart, kept by this run, so that keys logged in different calls stay in step.
        step = writer._live("").claim_steps(chart, first=step, func=func)
        for folder, summary in points:
            writer._write_summary_to(folder, summary, step, wall, chart, func)

    def add_image(self, tag: str, img: Any, step: int | None = None, equalize: bool = False) -> None:
        """Log an image: (H, W) grey or (H, W, 3) colour, floats in [0, 1] or integers 0..255 of any dtype.

        ``equalize`` rescales with the image's min and max first.

        >>> import tempfile, numpy as np
        >>> with Logger(tempfile.mkdtemp()) as logger:
        ...     logger.add_image("Population/rate", np.random.rand(10, 10), 0, equalize=True)
        """
        tag = clean_tag(tag, "add_image")
        array = as_array(img, "add_image", "img", dtype=None)
        if equalize:
            array = _equalize(array)
        # Built here so that an error names this method's argument, img.
        summary = image(tag, image_pixels(array), "HW" if array.ndim == 2 else "HWC", arg="img")
        self._writer.add_summary(summary, step, tag=tag)

    def add_images(
        self,
        tag: str,
        img: Any,
        step: int | None = None,
        equalize: bool = False,
        equalize_per_image: bool = False,
    ) -> None:
        """Log N images, (N, H, W) or (N, H, W, 3), as one grid image of up to 8 per row.

        ``equalize`` rescales them all with one min and max, or each with its
        own with ``equalize_per_image`` (which does nothing without ``equalize``).

        >>> import tempfile, numpy as np
        >>> with Logger(tempfile.mkdtemp()) as logger:
        ...     logger.add_images("Receptive fields", np.random.rand(16, 5, 5), 0, equalize=True)
        """
        tag = clean_tag(tag, "add_images")
        array = as_array(img, "add_images", "img", dtype=None)
        if equalize:
            array = _equalize(array, per_image=bool(equalize_per_image))
        summary = image(tag, grid_pixels(array), "HWC", caller="add_images", arg="img")
        self._writer.add_summary(summary, step, tag=tag)

    def add_histogram(self, tag: str, hist: Any, step: int | None = None) -> None:
        """Log the distribution of values, e.g. a projection's weights.

        >>> import tempfile, numpy as np
        >>> with Logger(tempfile.mkdtemp()) as logger:
        ...     logger.add_histogram("Weights", np.random.rand(1000), 0)
        """
        self._writer.add_histogram(clean_tag(tag, "add_histogram"), hist, step)

    def add_figure(self, tag: str, figure: Any, step: int | None = None, close: bool = True) -> None:
        """Log a matplotlib figure (closed afterwards unless ``close=False``).

        >>> import tempfile; import matplotlib; matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt
        >>> with Logger(tempfile.mkdtemp()) as logger:
        ...     logger.add_figure("Activity", plt.figure(), 0)
        """
        self._writer.add_figure(clean_tag(tag, "add_figure"), figure, step, close=close)

    def add_parameters(self, params: dict, metrics: dict) -> None:
        """Log the run's parameters and its metrics as one row of the HPARAMS tab.

        The row is a child run ``<currentlogdir>/<time.time()>``, as ANNarchy
        writes it: it holds the parameters, the experiment summary (their
        names and types, and the metrics) and the metrics as scalars at step 0.
        A parameter that is None is left out, a function is shown by its name.

        >>> import tempfile
        >>> with Logger(tempfile.mkdtemp()) as logger:
        ...     logger.add_parameters({"tau": 10.0, "eta": 0.01}, {"accuracy": 0.92})
        """
        func = "add_parameters"
        values = hparams_values(params, func)
        if not isinstance(metrics, Mapping):
            raise TypeError(
                f"{func}(metrics=...): expected a dict of tags to numbers, got {type(metrics).__name__}"
            )
        points = {clean_tag(tag, func, "metrics key"): number for tag, number in metrics.items()}
        checked_metrics(points, func, "metrics")
        run = str(time.time())
        while run in self._parameter_runs:
            run = str(time.time())
        self._parameter_runs.add(run)
        self._writer._write_summary_to(run, experiment_summary(values, list(points)), 0, None, None, func)
        self._writer.add_hparams(values, points, run_name=run)

    def flush(self) -> None:
        """Hand everything logged so far to the operating system."""
        self._writer.flush()

    def close(self) -> None:
        """Flush and close; later calls do nothing."""
        self._writer.close()

    def __enter__(self) -> Logger:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc_val: object, exc_tb: object) -> None:
        self._writer.__exit__(exc_type, exc_val, exc_tb)

    def __repr__(self) -> str:
        return f"<Logger {self.run_dir!r}>"
