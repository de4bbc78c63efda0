"""SummaryWriter: the object API of torch.utils.tensorboard and tensorboardX, one thin method per call.

Each method checks and converts its arguments, builds the Summary with its
kind's module in :mod:`neuroboard.summary`, and writes it through the run
life cycle of :class:`~neuroboard.api.run_writer.RunWriter`. The peers'
other argument names and habits sit in :mod:`neuroboard.api.peer_aliases`.
The scalar methods, and those of the Graphs, Projector, curves and media
dashboards, are mixed in from ``api/writer_*.py``, one module each.
"""

from __future__ import annotations

import json
import time
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

from neuroboard.api.peer_aliases import stacked_images, text_tag, with_aliases
from neuroboard.api.run_writer import RunWriter, default_logdir, run_name
from neuroboard.api.scalars_json import scalar_series
from neuroboard.api.writer_curves import CurveMethods
from neuroboard.api.writer_graph import GraphMethods
from neuroboard.api.writer_media import MediaMethods
from neuroboard.api.writer_projector import ProjectorMethods
from neuroboard.api.writer_scalars import ScalarMethods
from neuroboard.format.codec import Event, Summary
from neuroboard.summary.audio import audio
from neuroboard.summary.convert import (
    as_path,
    as_run_name,
)
from neuroboard.summary.histogram import histogram
from neuroboard.summary.hparams import check_domains, checked_metrics, hparams_config, session_start
from neuroboard.summary.image import figure as render_figure
from neuroboard.summary.image import image, images
from neuroboard.summary.tensor import tensor_summary
from neuroboard.summary.text import text

__all__ = ["SummaryWriter", "default_logdir", "run_name"]

_LAYOUTS = ("runs", "tags")
# Bound once: add_scalar's hot path reads the clock on every call.
_now = time.time


@with_aliases
class SummaryWriter(RunWriter, ScalarMethods, GraphMethods, ProjectorMethods, CurveMethods, MediaMethods):
    """Write scalars (and, through the summary kinds, everything else) into one run.

    ``logdir`` (or ``log_dir``) defaults to :func:`default_logdir` with
    ``comment``; ``purge_step`` marks a resumed run so that TensorBoard drops
    the points at and after that step from the earlier attempt. Data reach
    the disk every ``flush_secs`` seconds, when ``max_queue`` events wait, on
    :meth:`flush`, on :meth:`close` and at interpreter exit; with ``fsync``
    each flush also waits for the disk. ``max_file_bytes`` and
    ``rotate_secs`` start a new file in each run folder once the current one
    is that large or that old. An fsspec URL as ``logdir``
    (``s3://bucket/exp``) is opened with ``storage_options``, and each flush
    puts a new object there. With ``write_to_disk=False`` every call is
    checked and nothing is written. ``comet_config`` is tensorboardX's: only
    None or a disabled config is taken. A writer used after :meth:`close`
    opens new files, as the peers' do.

    >>> import tempfile
    >>> with SummaryWriter(tempfile.mkdtemp()) as writer:
    ...     writer.add_scalar("loss", 0.5, global_step=1)
    """

    # -- other kinds ------------------------------------------------------------

    def add_histogram(
        self,
        tag: str,
        values: Any,
        global_step: Any = None,
        bins: Any = "tensorflow",
        walltime: Any = None,
        max_bins: int | None = None,
    ) -> None:
        """Log the distribution of ``values`` (Histograms and Distributions tabs).

        NaN and infinite values are left out with a warning.

        >>> import tempfile, numpy as np
        >>> with SummaryWriter(tempfile.mkdtemp()) as w:
        ...     w.add_histogram("weights", np.random.randn(1000), 0)
        """
        self._write_summary(
            histogram(tag, values, bins, max_bins=max_bins), global_step, walltime, tag, "add_histogram"
        )

    def add_image(
        self,
        tag: str,
        img_tensor: Any,
        global_step: Any = None,
        walltime: Any = None,
        dataformats: str = "CHW",
    ) -> None:
        """Log one image: uint8 as is, other numbers as values in [0, 1]; grey, RGB or RGBA (``img=`` works too).

        >>> import tempfile, numpy as np
        >>> with SummaryWriter(tempfile.mkdtemp()) as w:
        ...     w.add_image("rate", np.random.rand(32, 32), 0, dataformats="HW")
        """
        summary = image(tag, img_tensor, dataformats, arg="img_tensor")
        self._write_summary(summary, global_step, walltime, tag, "add_image")

    def add_images(
        self,
        tag: str,
        img_tensor: Any,
        global_step: Any = None,
        walltime: Any = None,
        dataformats: str = "NCHW",
    ) -> None:
        """Log a batch of images, or a list of images of one shape, as one grid image (``imgs=`` works too).

        A list takes the ``dataformats`` of one image (``"CHW"``, ``"HWC"``, ``"HW"``).

        >>> import tempfile, numpy as np
        >>> with SummaryWriter(tempfile.mkdtemp()) as w:
        ...     w.add_images("fields", np.random.rand(16, 1, 8, 8), 0)
        """
        img_tensor, dataformats = stacked_images(img_tensor, dataformats)
        summary = images(tag, img_tensor, dataformats, arg="img_tensor")
        self._write_summary(summary, global_step, walltime, tag, "add_images")

    def add_figure(
        self, tag: str, figure: Any, global_step: Any = None, close: bool = True, walltime: Any = None
    ) -> None:
        """Log a matplotlib figure, or a list of them as a grid, rendered with Agg.

        >>> import tempfile; import matplotlib; matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt
        >>> with SummaryWriter(tempfile.mkdtemp()) as w:
        ...     w.add_figure("activity", plt.figure(), 0)
        """
        self._write_summary(render_figure(tag, figure, close), global_step, walltime, tag, "add_figure")

    def add_text(self, tag: str, text_string: Any, global_step: Any = None, walltime: Any = None) -> None:
        """Log text, shown as markdown in the Text tab, as the tag ``<tag>/text_summary`` (the peers' tag).

        >>> import tempfile
        >>> with SummaryWriter(tempfile.mkdtemp()) as w:
        ...     w.add_text("notes", "**tau** = 10 ms", 0)
        """
        tag = text_tag(tag)
        self._write_summary(text(tag, text_string), global_step, walltime, tag, "add_text")

    def add_audio(
        self,
        tag: str,
        snd_tensor: Any,
        global_step: Any = None,
        sample_rate: float = 44100,
        walltime: Any = None,
    ) -> None:
        """Log a sound: samples in [-1, 1], (L,) mono or (L, C), stored as WAV.

        >>> import tempfile, numpy as np
        >>> with SummaryWriter(tempfile.mkdtemp()) as w:
        ...     w.add_audio("tone", np.sin(np.arange(8000) / 10), 0, sample_rate=8000)
        """
        self._write_summary(audio(tag, snd_tensor, sample_rate), global_step, walltime, tag, "add_audio")

    def add_tensor(self, tag: str, tensor: Any, global_step: Any = None, walltime: Any = None) -> None:
        """Log a whole array or tensor, its dtype and shape kept, with the ``tensor`` plugin's metadata.

        >>> import tempfile, numpy as np
        >>> with SummaryWriter(tempfile.mkdtemp()) as w:
        ...     w.add_tensor("weights", np.eye(3, dtype=np.float32), 0)
        """
        self._write_summary(tensor_summary(tag, tensor), global_step, walltime, tag, "add_tensor")

    # -- hyperparameters -------------------------------------------------------

    def add_hparams(
        self,
        hparam_dict: Mapping[str, Any],
        metric_dict: Mapping[str, Any] | None = None,
        hparam_domain_discrete: Mapping[str, Sequence[Any]] | None = None,
        run_name: str | None = None,
        global_step: Any = None,
    ) -> None:
        """Give this run (or the child run ``run_name``, tensorboardX's ``name=``) its hyperparameters, and log metrics.

        Values may be str, bool, int or float. Each metric is written as a
        scalar of the same run, and any scalar logged in the run later shows as
        a metric too, so hparams may be logged first and metrics at the end,
        or no metric at all. ``hparam_domain_discrete`` checks each value
        against its allowed values; to show domains in TensorBoard declare them
        once for the logdir with :meth:`add_hparams_config`. A run keeps its
        first set of hparams (TensorBoard ignores later ones): a second call
        for the same run warns.

        >>> import tempfile
        >>> with SummaryWriter(tempfile.mkdtemp()) as w:
        ...     w.add_hparams({"lr": 0.1, "optimizer": "adam"}, {"accuracy": 0.93})
        """
        func = "add_hparams"
        summary = session_start(hparam_dict, func=func)
        metrics = checked_metrics(metric_dict, func)
        check_domains(hparam_dict, hparam_domain_discrete, func)
        run = "" if run_name is None else as_run_name(run_name, func, "run_name")
        global_step, wall = self._when(global_step, None, func)
        writer = self._live(run)
        with self._lock:
            repeated = run in self._hparam_runs
            if not repeated:
                self._hparam_runs.add(run)
                self._sessions.append(run)
        if repeated:
            warnings.warn(
                f"{func}: run {writer.logdir!r} already has hparams, and TensorBoard keeps the first set "
                "it sees for a run: these will not show. Pass run_name='...' to log them as another run.",
                UserWarning,
                stacklevel=2,
            )
        writer = self._write_to(
            run, writer, lambda live: live.add_event(Event(wall_time=wall, step=0, summary=summary))
        )
        for tag, value in metrics:
            writer = self._write_to(
                run, writer, lambda live, tag=tag, value=value: live.add_scalar(tag, value, global_step, wall)
            )

    def add_hparams_config(
        self, hparams: Sequence[Any], metrics: Sequence[Any] = (), time_created_secs: float | None = None
    ) -> None:
        """Declare the HPARAMS tab's columns for the whole logdir: domains and metrics.

        ``hparams`` and ``metrics`` come from :func:`neuroboard.summary.hparams.hparam`
        and :func:`~neuroboard.summary.hparams.metric`. Write it once, from a
        writer at the root of the logdir: TensorBoard takes the first config it
        finds, and then shows only the hparams and metrics it declares.

        >>> import tempfile; from neuroboard.summary.hparams import hparam, metric
        >>> with SummaryWriter(tempfile.mkdtemp()) as w:
        ...     w.add_hparams_config([hparam("lr", (1e-4, 1.0))], [metric("accuracy")])
        """
        self.add_summary(hparams_config(hparams, metrics, time_created_secs), 0)

    # -- any summary, and the scalars back ----------------------------------------

    def add_summary(
        self, summary: Summary, global_step: Any = None, walltime: Any = None, *, tag: str | None = None
    ) -> None:
        """Write a Summary proto (TensorBoard's or tensorboardX's) as one event of this run.

        Without ``global_step`` the step follows ``tag`` (by default the
        first value's tag).

        >>> import tempfile; from neuroboard.summary import scalar
        >>> with SummaryWriter(tempfile.mkdtemp()) as w:
        ...     w.add_summary(scalar("loss", 0.1), 5)
        """
        self._write_summary(summary, global_step, walltime, tag, "add_summary")

    def export_scalars_to_json(self, path: str | Any) -> None:
        """Write every scalar this writer has logged to the JSON file ``path``, in tensorboardX's layout.

        ``{series: [[wall_time, step, value], ...]}``, a series named
        ``<logdir>/<tag>``, or ``<logdir>/<main_tag>/<key>`` for a key of
        :meth:`add_scalars` (see :mod:`neuroboard.api.scalars_json`). The
        scalars are read back from the writer's files: with
        ``write_to_disk=False`` there are none.

        >>> import tempfile, os, json; d = tempfile.mkdtemp()
        >>> with SummaryWriter(d) as w:
        ...     w.add_scalars("loss", {"train": 0.5}, 3, walltime=1.0)
        ...     w.export_scalars_to_json(os.path.join(d, "scalars.json"))
        >>> json.load(open(os.path.join(d, "scalars.json")))[os.path.join(d, "loss", "train")]
        [[1.0, 3, 0.5]]
        """
        path = as_path(path, "export_scalars_to_json", "path")
        self.flush()
        series = scalar_series(self.logdir, self._files(), dict(self._keyed_runs), self.storage_options)
        try:
            with open(path, "w", encoding="utf-8") as file:
                json.dump(series, file)
        except OSError as error:
            raise type(error)(
                error.errno, f"export_scalars_to_json(path=...): cannot write {path!r}: {error.strerror}"
            ) from None
