"""SummaryWriter: the object API of torch.utils.tensorboard and tensorboardX, one thin method per call.

Each method checks and converts its arguments, builds the Summary with its
kind's module in :mod:`neuroboard.summary`, and writes it through the run
life cycle of :class:`~neuroboard.api.run_writer.RunWriter`. The peers'
other argument names and habits sit in :mod:`neuroboard.api.peer_aliases`.
``add_scalars`` and a 2-D ``add_series`` write one sub-run per key,
``<logdir>/<main_tag>_<key>`` (as torch names them), so that TensorBoard
overlays the keys in one chart.
"""

from __future__ import annotations

import json
import re
import time
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from neuroboard.api.peer_aliases import check_flags, stacked_images, text_tag, with_aliases
from neuroboard.api.run_writer import RunWriter, default_logdir, run_name
from neuroboard.api.scalar_input import chart_tags, checked_key, series_input, subrun_name
from neuroboard.api.scalars_json import scalar_series
from neuroboard.api.writer_curves import CurveMethods
from neuroboard.api.writer_graph import GraphMethods
from neuroboard.api.writer_media import MediaMethods
from neuroboard.api.writer_projector import ProjectorMethods
from neuroboard.format.codec import Event, Summary
from neuroboard.io.writer import WriterClosedError
from neuroboard.summary.audio import audio
from neuroboard.summary.convert import (
    INT64_MAX,
    INT64_MIN,
    as_float,
    as_path,
    as_run_name,
    as_step,
    as_tag,
    as_text,
    as_walltime,
)
from neuroboard.summary.custom_scalars import custom_scalars, layout_from_dict
from neuroboard.summary.histogram import histogram
from neuroboard.summary.hparams import check_domains, checked_metrics, hparams_config, session_start
from neuroboard.summary.image import figure as render_figure
from neuroboard.summary.image import image, images
from neuroboard.summary.scalar import scalar
from neuroboard.summary.tensor import tensor_summary
from neuroboard.summary.text import text

__all__ = ["SummaryWriter", "default_logdir", "run_name"]

_LAYOUTS = ("runs", "tags")
# Bound once: add_scalar's hot path reads the clock on every call.
_now = time.time


@with_aliases
class SummaryWriter(RunWriter, GraphMethods, ProjectorMethods, CurveMethods, MediaMethods):
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

    # -- scalars ---------------------------------------------------------------

    def add_scalar(
        self,
        tag: str,
        scalar_value: Any,
        global_step: Any = None,
        walltime: Any = None,
        new_style: bool = False,
        double_precision: bool = False,
        display_name: str = "",
        summary_description: str = "",
    ) -> None:
        """Log one scalar; without ``global_step`` the tag's last step plus one.

        Values may be Python or NumPy numbers, and arrays or torch tensors of
        one element (``torch.rand(1)``). ``new_style`` writes a 0-d tensor
        (float64 with ``double_precision``) instead of a float32
        ``simple_value``. tensorboardX's ``display_name`` and
        ``summary_description`` (by keyword: they follow torch's arguments)
        title and describe the chart.

        >>> import tempfile
        >>> with SummaryWriter(tempfile.mkdtemp()) as w:
        ...     w.add_scalar("accuracy", 0.9, 10)
        """
        if type(tag) is not str or not tag or not tag.isascii():
            as_tag(tag, "add_scalar")
        value = (
            scalar_value
            if type(scalar_value) is float
            else as_float(scalar_value, "add_scalar", "scalar_value")
        )
        # One test sends everything but a plain point of this run down the Summary path.
        if new_style or double_precision or display_name or summary_description or self._defaults is not None:
            check_flags(new_style, double_precision)
            summary = scalar(
                tag,
                value,
                new_style=new_style,
                double_precision=double_precision,
                display_name=as_text(display_name, "add_scalar", "display_name"),
                description=as_text(summary_description, "add_scalar", "summary_description"),
            )
            self._write_summary(summary, global_step, walltime, tag, "add_scalar")
            return
        if global_step is not None and not (
            type(global_step) is int and INT64_MIN <= global_step <= INT64_MAX
        ):
            global_step = as_step(global_step, "add_scalar")
        wall = _now() if walltime is None else as_walltime(walltime, "add_scalar")
        try:
            self._main.add_scalar(tag, value, global_step, wall)
        except WriterClosedError:
            self._live("").add_scalar(tag, value, global_step, wall)

    def add_scalars(
        self,
        main_tag: str,
        tag_scalar_dict: Mapping[str, Any],
        global_step: Any = None,
        walltime: Any = None,
        *,
        layout: str = "runs",
    ) -> None:
        """Log several scalars to be shown in one chart.

        With ``layout="runs"`` (the peers' behaviour) each key is a sub-run
        ``<main_tag>_<key>`` holding the tag ``main_tag``, and TensorBoard
        overlays the runs. With ``layout="tags"`` every key stays in this run
        as the tag ``<main_tag>/<key>``, and a custom-scalars layout overlays
        them on the Custom Scalars dashboard.

        >>> import tempfile
        >>> with SummaryWriter(tempfile.mkdtemp()) as w:
        ...     w.add_scalars("loss", {"train": 0.5, "val": 0.7}, 3)
        """
        func = "add_scalars"
        as_tag(main_tag, func, "main_tag")
        if not isinstance(tag_scalar_dict, Mapping):
            raise TypeError(
                f"{func}(tag_scalar_dict=...): expected a mapping of str to numbers, got {type(tag_scalar_dict).__name__}"
            )
        if layout not in _LAYOUTS:
            raise ValueError(f"{func}(layout=...): expected 'runs' or 'tags', got {layout!r}")
        writers = self._key_writers.get(main_tag, {})
        items = [
            (
                # A key whose sub-run is open was checked when it was opened.
                key if key in writers else checked_key(main_tag, key, layout, func),
                value if type(value) is float else as_float(value, func, f"tag_scalar_dict[{key!r}]"),
            )
            for key, value in tag_scalar_dict.items()
        ]
        global_step, wall = self._when(global_step, walltime, func)
        if layout == "tags":
            self._extend_layout(main_tag, [key for key, _ in items])
            main = self._live("")
            global_step = main.claim_steps(main_tag, first=global_step, func=func)
            for key, value in items:
                try:
                    main.add_scalar(f"{main_tag}/{key}", value, global_step, wall)
                except WriterClosedError:
                    main = self._write_to(
                        "",
                        main,
                        lambda live, key=key, value=value: live.add_scalar(
                            f"{main_tag}/{key}", value, global_step, wall
                        ),
                    )
            return
        global_step = self._live("").claim_steps(main_tag, first=global_step, func=func)
        writers = self._key_writers.get(main_tag, {})
        for key, value in items:
            writer = writers.get(key)
            if writer is None:
                writer = self._key_writer(main_tag, key, subrun_name(main_tag, key))
            # The hot path writes straight away; only a writer closed since goes through the retry.
            try:
                writer.add_scalar(main_tag, value, global_step, wall)
            except WriterClosedError:
                # The key's sub-run goes on in a new file, which becomes the key's writer.
                name = subrun_name(main_tag, key)
                self._write_to(
                    name, writer, lambda live, value=value: live.add_scalar(main_tag, value, global_step, wall)
                )
                self._key_writer(main_tag, key, name)

    def add_series(
        self,
        tag: str,
        values: Any,
        steps: Any = None,
        walltimes: Any = None,
        *,
        names: Sequence[str] | None = None,
    ) -> None:
        """Log a whole series at once: the fast way to write a recorded trace.

        1-D ``values`` of length T become T points of ``tag``. 2-D ``(T, N)``
        values become N series, one sub-run ``<tag>_<name>`` each (``names``
        defaults to the column numbers), overlaid like :meth:`add_scalars`.
        ``steps`` defaults to the T steps after the tag's last one;
        ``walltimes`` to now (or ``use_metadata``'s), and may be one time or one per step.

        >>> import tempfile, numpy as np
        >>> with SummaryWriter(tempfile.mkdtemp()) as w:
        ...     w.add_series("rate", np.random.rand(1000, 2), names=["exc", "inh"])
        """
        func = "add_series"
        array, step_array, walls, names = series_input(
            tag, values, steps, walltimes, names, self._when(0, None, func)[1], func
        )
        count = array.shape[0]
        main = self._live("")
        if step_array is None:
            step_array = np.arange(count, dtype=np.int64) + main.claim_steps(tag, count, func=func)
        elif count:
            main.claim_steps(tag, first=int(step_array[-1]), func=func)
        if array.ndim == 1:
            self._write_to("", main, lambda live: live.add_scalar_series(tag, step_array, walls, array))
            return
        for column, name in enumerate(names):
            run = subrun_name(tag, name)
            column_values = np.ascontiguousarray(array[:, column])
            self._write_to(
                run,
                self._key_writer(tag, name, run),
                lambda live, values=column_values: live.add_scalar_series(tag, step_array, walls, values),
            )

    # -- custom scalars --------------------------------------------------------

    def add_custom_scalars(self, layout: Mapping[str, Mapping[str, list]]) -> None:
        """Add charts to the Custom Scalars dashboard: ``{category: {chart: [kind, tags]}}``.

        ``kind`` is ``"Multiline"`` with a list of tag regular expressions, or
        ``"Margin"`` with ``[value, lower, upper]`` tags. Later calls add to
        (and may replace charts of) the layout written before.

        >>> import tempfile
        >>> with SummaryWriter(tempfile.mkdtemp()) as w:
        ...     w.add_custom_scalars({"loss": {"both": ["Multiline", ["loss/train", "loss/val"]]}})
        """
        self._add_layout(layout, "add_custom_scalars")

    def add_custom_scalars_multilinechart(
        self, tags: Sequence[str], category: str = "default", title: str = "untitled"
    ) -> None:
        """Add one chart that overlays ``tags`` (regular expressions) to the Custom Scalars dashboard.

        >>> import tempfile
        >>> with SummaryWriter(tempfile.mkdtemp()) as w:
        ...     w.add_custom_scalars_multilinechart(["loss/train", "loss/val"], title="loss")
        """
        func = "add_custom_scalars_multilinechart"
        tags = chart_tags(tags, None, func)
        self._add_layout({category: {title: ["Multiline", tags]}}, func)

    def add_custom_scalars_marginchart(
        self, tags: Sequence[str], category: str = "default", title: str = "untitled"
    ) -> None:
        """Add one chart of a value and its margins, ``tags`` = ``[value, lower, upper]``.

        >>> import tempfile
        >>> with SummaryWriter(tempfile.mkdtemp()) as w:
        ...     w.add_custom_scalars_marginchart(["rate", "rate/low", "rate/high"], title="rate")
        """
        func = "add_custom_scalars_marginchart"
        tags = chart_tags(tags, 3, func)
        self._add_layout({category: {title: ["Margin", tags]}}, func)

    def _add_layout(self, layout: Any, func: str) -> None:
        if not isinstance(layout, Mapping):
            raise TypeError(f"{func}(layout=...): expected a dict, got {type(layout).__name__}")
        layout_from_dict(layout, func)
        with self._lock:
            for category, charts in layout.items():
                self._layout.setdefault(category, {}).update(charts)
            summary = custom_scalars(layout_from_dict(self._layout, func))
        self._write_summary(summary, 0, None, None, func)

    def _extend_layout(self, main_tag: str, keys: list[str]) -> None:
        chart = self._layout.get(main_tag, {}).get(main_tag)
        known = set(chart[1]) if chart else set()
        wanted = [f"^{re.escape(f'{main_tag}/{key}')}$" for key in keys]
        if not known.issuperset(wanted):
            tags = (chart[1] if chart else []) + [t for t in wanted if t not in known]
            self.add_custom_scalars({main_tag: {main_tag: ["Multiline", tags]}})

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
