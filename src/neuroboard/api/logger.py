"""Logger: ANNarchy's tensorboard logger, on neuroboard's writer.

The surface is ANNarchy's (``add_scalar(tag, value, step)``,
``add_image(..., equalize=)``, ``add_parameters``); each method is a
one-liner over :class:`~neuroboard.api.summary_writer.SummaryWriter`.
"""

from __future__ import annotations

import os
from typing import Any

from neuroboard.api.summary_writer import SummaryWriter, run_name
from neuroboard.io.writer import check_file_limits
from neuroboard.render.grid import equalize as _equalize
from neuroboard.summary.convert import as_array, as_path, as_run_name
from neuroboard.summary.image import image, images

__all__ = ["Logger"]


class Logger:
    """Log a simulation to TensorBoard, with ANNarchy's ``Logger`` API.

    Writes into ``<logdir>/<experiment>``, or ``<logdir>/<MonDD_HH-MM-SS>_<host>``
    when no experiment is named. Reusing an experiment name appends to it: a
    new event file goes beside the old ones, which stay as they are.
    ``fsync``, ``max_file_bytes``, ``rotate_secs`` and ``storage_options``
    (for an fsspec URL as ``logdir``) are the
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
        if experiment is not None:
            as_run_name(experiment, "Logger", "experiment")
        self.experiment = experiment or run_name()
        self._writer = SummaryWriter(
            os.path.join(self.logdir, self.experiment),
            fsync=fsync,
            max_file_bytes=max_file_bytes,
            rotate_secs=rotate_secs,
            storage_options=storage_options,
        )

    @property
    def writer(self) -> SummaryWriter:
        """The SummaryWriter underneath, for everything else it can log."""
        return self._writer

    @property
    def run_dir(self) -> str:
        """The folder this logger writes into."""
        return self._writer.logdir

    def add_scalar(self, tag: str, value: Any, step: Any = None) -> None:
        """Log one scalar, e.g. an accuracy per trial.

        >>> import tempfile
        >>> with Logger(tempfile.mkdtemp()) as logger: logger.add_scalar("Rate", 12.5, 0)
        """
        self._writer.add_scalar(tag, value, step)

    def add_scalars(self, tag: str, value: dict[str, Any], step: Any = None) -> None:
        """Log several scalars shown in one chart, one sub-run per key.

        >>> import tempfile
        >>> with Logger(tempfile.mkdtemp()) as logger:
        ...     logger.add_scalars("Accuracy", {"train": 0.9, "test": 0.8}, 0)
        """
        self._writer.add_scalars(tag, value, step)

    def add_image(self, tag: str, img: Any, step: Any = None, equalize: bool = False) -> None:
        """Log an image: (H, W) grey or (H, W, 3) colour, floats in [0, 1] or integers 0..255.

        ``equalize`` rescales with the image's min and max first.

        >>> import tempfile, numpy as np
        >>> with Logger(tempfile.mkdtemp()) as logger:
        ...     logger.add_image("Population/rate", np.random.rand(10, 10), 0, equalize=True)
        """
        array = as_array(img, "add_image", "img", dtype=None)
        if equalize:
            array = _equalize(array)
        # Built here so that an error names this method's argument, img.
        summary = image(tag, array, "HW" if array.ndim == 2 else "HWC", arg="img")
        self._writer.add_summary(summary, step, tag=tag)

    def add_images(
        self,
        tag: str,
        img: Any,
        step: Any = None,
        equalize: bool = False,
        equalize_per_image: bool = False,
    ) -> None:
        """Log N images, (N, H, W) or (N, H, W, 3), as one grid image.

        ``equalize`` rescales them all with one min and max, or each with its
        own with ``equalize_per_image``.

        >>> import tempfile, numpy as np
        >>> with Logger(tempfile.mkdtemp()) as logger:
        ...     logger.add_images("Receptive fields", np.random.rand(16, 5, 5), 0, equalize=True)
        """
        array = as_array(img, "add_images", "img", dtype=None)
        if equalize or equalize_per_image:
            array = _equalize(array, per_image=equalize_per_image)
        summary = images(tag, array, "NHW" if array.ndim == 3 else "NHWC", arg="img")
        self._writer.add_summary(summary, step, tag=tag)

    def add_histogram(self, tag: str, hist: Any, step: Any = None) -> None:
        """Log the distribution of values, e.g. a projection's weights.

        >>> import tempfile, numpy as np
        >>> with Logger(tempfile.mkdtemp()) as logger:
        ...     logger.add_histogram("Weights", np.random.rand(1000), 0)
        """
        self._writer.add_histogram(tag, hist, step)

    def add_figure(self, tag: str, figure: Any, step: Any = None, close: bool = True) -> None:
        """Log a matplotlib figure (closed afterwards unless ``close=False``).

        >>> import tempfile; import matplotlib; matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt
        >>> with Logger(tempfile.mkdtemp()) as logger:
        ...     logger.add_figure("Activity", plt.figure(), 0)
        """
        self._writer.add_figure(tag, figure, step, close=close)

    def add_parameters(self, params: dict[str, Any], metrics: dict[str, Any]) -> None:
        """Log the run's parameters and its metrics for the HPARAMS tab, once per run.

        >>> import tempfile
        >>> with Logger(tempfile.mkdtemp()) as logger:
        ...     logger.add_parameters({"tau": 10.0, "eta": 0.01}, {"accuracy": 0.92})
        """
        self._writer.add_hparams(params, metrics)

    def flush(self) -> None:
        """Hand everything logged so far to the operating system."""
        self._writer.flush()

    def close(self) -> None:
        """Flush and close; later calls do nothing."""
        self._writer.close()

    def __enter__(self) -> Logger:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._writer.__exit__(*exc_info)

    def __repr__(self) -> str:
        return f"<Logger {self.run_dir!r}>"
