"""SummaryWriter: the object API, a drop-in for torch's and tensorboardX's scalar methods.

Each method checks and converts its arguments, then hands them to an
:class:`~neuroboard.io.writer.EventWriter`. ``add_scalars`` and a 2-D
``add_series`` write one sub-run per key, ``<logdir>/<main_tag>_<key>`` (as
torch names them), so that TensorBoard overlays the keys in one chart.
"""

from __future__ import annotations

import os
import re
import socket
import threading
import time
import warnings
import weakref
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import numpy as np

from neuroboard.format.codec import Event, SessionLog, Summary
from neuroboard.io.writer import (
    DEFAULT_FLUSH_SECS,
    DEFAULT_MAX_QUEUE,
    EventWriter,
    Flusher,
    check_file_limits,
    check_writer_options,
    flush_each,
)
from neuroboard.api.writer_curves import CurveMethods
from neuroboard.api.writer_graph import GraphMethods
from neuroboard.api.writer_media import MediaMethods
from neuroboard.api.writer_projector import ProjectorMethods
from neuroboard.summary.audio import audio
from neuroboard.summary.convert import (
    INT64_MAX,
    INT64_MIN,
    as_array,
    as_float,
    as_path,
    as_step,
    as_steps,
    as_run_name,
    as_tag,
    as_walltime,
)
from neuroboard.summary.custom_scalars import custom_scalars, layout_from_dict
from neuroboard.summary.histogram import histogram
from neuroboard.summary.hparams import hparam_value, hparams_config, session_end, session_start
from neuroboard.summary.image import figure as render_figure
from neuroboard.summary.image import image, images
from neuroboard.summary.scalar import scalar
from neuroboard.summary.text import text

__all__ = ["SummaryWriter", "default_logdir", "run_name"]

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_LAYOUTS = ("runs", "tags")


def run_name(comment: str = "") -> str:
    """Return ``<MonDD_HH-MM-SS>_<hostname><comment>`` for the current time, as the peers name runs.

    >>> run_name("_lr0.1").endswith("_lr0.1")
    True
    """
    now = datetime.now()
    return f"{_MONTHS[now.month - 1]}{now:%d_%H-%M-%S}_{socket.gethostname()}{comment}"


def default_logdir(comment: str = "", root: str = "runs") -> str:
    """Return ``runs/<MonDD_HH-MM-SS>_<hostname><comment>`` for the current time.

    >>> default_logdir("_lr0.1").startswith("runs" + os.sep)
    True
    """
    return os.path.join(root, run_name(comment))


# Every SummaryWriter, so that a forked child gets locks that no thread of the parent held.
_instances: weakref.WeakSet[SummaryWriter] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    for writer in list(_instances):
        writer._lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def _subrun_name(main_tag: str, key: str) -> str:
    return f"{main_tag.replace('/', '_')}_{key}"


def _checked_key(main_tag: str, key: Any, layout: str, func: str) -> str:
    """Return an ``add_scalars`` key: a tag with ``layout="tags"``, else a sub-run that stays inside."""
    if layout == "tags" or not isinstance(key, str):
        return as_tag(key, func, "tag_scalar_dict key")
    return as_run_name(key, func, "tag_scalar_dict key", _subrun_name(main_tag, key))


class SummaryWriter(GraphMethods, ProjectorMethods, CurveMethods, MediaMethods):
    """Write scalars (and, through the summary kinds, everything else) into one run.

    ``logdir`` defaults to :func:`default_logdir` with ``comment``;
    ``purge_step`` marks a resumed run so that TensorBoard drops the points
    at and after that step from the earlier attempt. Data reach the disk every
    ``flush_secs`` seconds, when ``max_queue`` events wait, on :meth:`flush`,
    on :meth:`close` and at interpreter exit; with ``fsync`` each flush also
    waits for the disk. ``max_file_bytes`` and ``rotate_secs`` start a new
    file in each run folder once the current one is that large or that old.
    An fsspec URL as ``logdir`` (``s3://bucket/exp``) is opened with
    ``storage_options``, and each flush puts a new object there.

    >>> import tempfile
    >>> with SummaryWriter(tempfile.mkdtemp()) as writer:
    ...     writer.add_scalar("loss", 0.5, global_step=1)
    """

    def __init__(
        self,
        logdir: str | os.PathLike[str] | None = None,
        comment: str = "",
        purge_step: int | None = None,
        max_queue: int = DEFAULT_MAX_QUEUE,
        flush_secs: float = DEFAULT_FLUSH_SECS,
        filename_suffix: str = "",
        *,
        log_dir: str | os.PathLike[str] | None = None,
        fsync: bool = False,
        max_file_bytes: int | None = None,
        rotate_secs: float | None = None,
        storage_options: dict | None = None,
    ) -> None:
        if logdir is None:
            logdir = log_dir
        if logdir is None:
            logdir = default_logdir(comment)
        self.logdir = as_path(logdir, "SummaryWriter", "logdir")
        if purge_step is not None:
            purge_step = as_step(purge_step, "SummaryWriter", "purge_step")
        check_writer_options(flush_secs, max_queue, filename_suffix, "SummaryWriter")
        check_file_limits(max_file_bytes, rotate_secs, "SummaryWriter")
        self.fsync = bool(fsync)
        self.max_file_bytes = max_file_bytes
        self.rotate_secs = rotate_secs
        self.storage_options = storage_options
        self.purge_step = purge_step
        self.max_queue = max_queue
        self.flush_secs = flush_secs
        self.filename_suffix = filename_suffix
        self._lock = threading.Lock()
        _instances.add(self)
        self._flusher = Flusher(flush_secs) if flush_secs > 0 else None
        self._writer = self._open(self.logdir)
        self._subwriters: dict[str, EventWriter] = {}
        # add_scalars' writers by main tag and key, to skip building run names per value.
        self._key_writers: dict[str, dict[str, EventWriter]] = {}
        self._layout: dict[str, dict[str, list]] = {}
        # Writers whose run holds hparams: their sessions are closed on close().
        self._sessions: list[EventWriter] = []
        self._closed = False

    # -- the run's files -------------------------------------------------------

    @property
    def log_dir(self) -> str:
        """The run's folder (torch's name for :attr:`logdir`)."""
        return self.logdir

    def get_logdir(self) -> str:
        """Return the run's folder.

        >>> import tempfile; d = tempfile.mkdtemp()
        >>> with SummaryWriter(d) as w: w.get_logdir() == d
        True
        """
        return self.logdir

    def _open(self, logdir: str) -> EventWriter:
        first: tuple[Event, ...] = ()
        if self.purge_step is not None:
            first = (
                Event(
                    step=self.purge_step,
                    wall_time=time.time(),
                    session_log=SessionLog(status=SessionLog.START),
                ),
            )
        return EventWriter(
            logdir,
            filename_suffix=self.filename_suffix,
            flush_secs=0,
            max_queue=self.max_queue,
            flusher=self._flusher,
            first_events=first,
            fsync=self.fsync,
            max_file_bytes=self.max_file_bytes,
            rotate_secs=self.rotate_secs,
            storage_options=self.storage_options,
        )

    def _subwriter(self, name: str) -> EventWriter:
        writer = self._subwriters.get(name)
        if writer is None:
            with self._lock:
                writer = self._subwriters.get(name)
                if writer is None:
                    self._check_open()
                    writer = self._open(os.path.join(self.logdir, name))
                    self._subwriters[name] = writer
        return writer

    def _check_open(self) -> None:
        if self._closed:
            raise ValueError(f"SummaryWriter({self.logdir!r}) is closed: open a new one to log more")

    # -- scalars ---------------------------------------------------------------

    def add_scalar(
        self,
        tag: str,
        scalar_value: Any,
        global_step: Any = None,
        walltime: Any = None,
        new_style: bool = False,
        double_precision: bool = False,
    ) -> None:
        """Log one scalar; without ``global_step`` the tag's last step plus one.

        Values may be Python or NumPy numbers, 0-d arrays and 0-d torch
        tensors. ``new_style`` writes a 0-d tensor (float64 with
        ``double_precision``) instead of a float32 ``simple_value``.

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
        if global_step is not None and not (
            type(global_step) is int and INT64_MIN <= global_step <= INT64_MAX
        ):
            global_step = as_step(global_step, "add_scalar")
        wall = time.time() if walltime is None else as_walltime(walltime, "add_scalar")
        if new_style or double_precision:
            self._write_summary(
                scalar(tag, value, new_style=new_style, double_precision=double_precision),
                global_step,
                wall,
                tag,
                "add_scalar",
            )
            return
        self._writer.add_scalar(tag, value, global_step, wall)

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
                key if key in writers else _checked_key(main_tag, key, layout, func),
                value if type(value) is float else as_float(value, func, f"tag_scalar_dict[{key!r}]"),
            )
            for key, value in tag_scalar_dict.items()
        ]
        if global_step is not None:
            global_step = as_step(global_step, func)
        wall = time.time() if walltime is None else as_walltime(walltime, func)
        self._check_open()
        if layout == "tags":
            self._extend_layout(main_tag, [key for key, _ in items])
            global_step = self._writer.claim_steps(main_tag, first=global_step, func=func)
            for key, value in items:
                self._writer.add_scalar(f"{main_tag}/{key}", value, global_step, wall)
            return
        global_step = self._writer.claim_steps(main_tag, first=global_step, func=func)
        writers = self._key_writers.get(main_tag)
        if writers is None:
            writers = self._key_writers[main_tag] = {}
        for key, value in items:
            writer = writers.get(key)
            if writer is None:
                writer = writers[key] = self._subwriter(_subrun_name(main_tag, key))
            writer.add_scalar(main_tag, value, global_step, wall)

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
        ``walltimes`` to now, and may be one time or one per step.

        >>> import tempfile, numpy as np
        >>> with SummaryWriter(tempfile.mkdtemp()) as w:
        ...     w.add_series("rate", np.random.rand(1000, 2), names=["exc", "inh"])
        """
        func = "add_series"
        as_tag(tag, func)
        array = as_array(values, func, "values")
        if array.ndim not in (1, 2):
            raise ValueError(f"{func}(values=...): expected shape (T,) or (T, N), got shape {array.shape}")
        count = array.shape[0]
        if array.ndim == 2:
            columns = array.shape[1]
            if names is None:
                names = [str(i) for i in range(columns)]
            elif isinstance(names, str) or len(names) != columns:
                raise ValueError(
                    f"{func}(names=...): expected {columns} names, one per column of values, got {names!r}"
                )
            names = [as_run_name(name, func, "names", _subrun_name(tag, name)) for name in names]
        elif names is not None:
            raise ValueError(f"{func}(names=...): names go with 2-D values (T, N), got shape {array.shape}")
        step_array = None if steps is None else as_steps(steps, count, func)
        if walltimes is None:
            walls = np.full(count, time.time())
        else:
            walls = as_array(walltimes, func, "walltimes")
            if walls.ndim == 0:
                walls = np.full(count, float(walls))
            elif walls.shape != (count,):
                raise ValueError(
                    f"{func}(walltimes=...): expected one time or {count}, got shape {walls.shape}"
                )
            if not np.isfinite(walls).all():
                raise ValueError(f"{func}(walltimes=...): expected finite seconds since the epoch")
        self._check_open()
        if step_array is None:
            step_array = np.arange(count, dtype=np.int64) + self._writer.claim_steps(tag, count, func=func)
        elif count:
            self._writer.claim_steps(tag, first=int(step_array[-1]), func=func)
        if array.ndim == 1:
            self._writer.add_scalar_series(tag, step_array, walls, array)
            return
        for column, name in enumerate(names):
            self._subwriter(_subrun_name(tag, name)).add_scalar_series(
                tag, step_array, walls, np.ascontiguousarray(array[:, column])
            )

    def add_custom_scalars(self, layout: Mapping[str, Mapping[str, list]]) -> None:
        """Add charts to the Custom Scalars dashboard: ``{category: {chart: [kind, tags]}}``.

        ``kind`` is ``"Multiline"`` with a list of tag regular expressions, or
        ``"Margin"`` with ``[value, lower, upper]`` tags. Later calls add to
        (and may replace charts of) the layout written before.

        >>> import tempfile
        >>> with SummaryWriter(tempfile.mkdtemp()) as w:
        ...     w.add_custom_scalars({"loss": {"both": ["Multiline", ["loss/train", "loss/val"]]}})
        """
        if not isinstance(layout, Mapping):
            raise TypeError(f"add_custom_scalars(layout=...): expected a dict, got {type(layout).__name__}")
        layout_from_dict(layout)
        with self._lock:
            for category, charts in layout.items():
                self._layout.setdefault(category, {}).update(charts)
            summary = custom_scalars(layout_from_dict(self._layout))
        self.add_summary(summary, 0)

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
        self, tag: str, img: Any, global_step: Any = None, walltime: Any = None, dataformats: str = "CHW"
    ) -> None:
        """Log one image: uint8 as is, other numbers as values in [0, 1]; grey, RGB or RGBA.

        >>> import tempfile, numpy as np
        >>> with SummaryWriter(tempfile.mkdtemp()) as w:
        ...     w.add_image("rate", np.random.rand(32, 32), 0, dataformats="HW")
        """
        self._write_summary(image(tag, img, dataformats), global_step, walltime, tag, "add_image")

    def add_images(
        self, tag: str, imgs: Any, global_step: Any = None, walltime: Any = None, dataformats: str = "NCHW"
    ) -> None:
        """Log a batch of images as one grid image.

        >>> import tempfile, numpy as np
        >>> with SummaryWriter(tempfile.mkdtemp()) as w:
        ...     w.add_images("fields", np.random.rand(16, 1, 8, 8), 0)
        """
        self._write_summary(images(tag, imgs, dataformats), global_step, walltime, tag, "add_images")

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
        """Log text, shown as markdown in the Text tab.

        >>> import tempfile
        >>> with SummaryWriter(tempfile.mkdtemp()) as w:
        ...     w.add_text("notes", "**tau** = 10 ms", 0)
        """
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

    # -- hyperparameters -------------------------------------------------------

    def add_hparams(
        self,
        hparam_dict: Mapping[str, Any],
        metric_dict: Mapping[str, Any] | None = None,
        hparam_domain_discrete: Mapping[str, Sequence[Any]] | None = None,
        run_name: str | None = None,
        global_step: Any = None,
    ) -> None:
        """Give this run (or the child run ``run_name``) its hyperparameters, and log metrics.

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
        if metric_dict is not None and not isinstance(metric_dict, Mapping):
            raise TypeError(
                f"{func}(metric_dict=...): expected a dict of tags to numbers, got {type(metric_dict).__name__}"
            )
        metrics = [
            (as_tag(tag, func, "metric_dict key"), as_float(value, func, f"metric_dict[{tag!r}]"))
            for tag, value in (metric_dict or {}).items()
        ]
        self._check_domains(hparam_dict, hparam_domain_discrete)
        if run_name is not None:
            as_run_name(run_name, func, "run_name")
        if global_step is not None:
            global_step = as_step(global_step, func)
        self._check_open()
        writer = self._writer if run_name is None else self._subwriter(run_name)
        with self._lock:
            repeated = writer in self._sessions
            if not repeated:
                self._sessions.append(writer)
        if repeated:
            warnings.warn(
                f"{func}: run {writer.logdir!r} already has hparams, and TensorBoard keeps the first set "
                "it sees for a run: these will not show. Pass run_name='...' to log them as another run.",
                UserWarning,
                stacklevel=2,
            )
        wall = time.time()
        writer.add_event(Event(wall_time=wall, step=0, summary=summary))
        for tag, value in metrics:
            writer.add_scalar(tag, value, global_step, wall)

    @staticmethod
    def _check_domains(hparam_dict: Mapping[str, Any], domains: Mapping[str, Sequence[Any]] | None) -> None:
        func = "add_hparams"
        if domains is None:
            return
        if not isinstance(domains, Mapping):
            raise TypeError(
                f"{func}(hparam_domain_discrete=...): expected a dict of names to lists, got {type(domains).__name__}"
            )
        for name, allowed in domains.items():
            arg = f"hparam_domain_discrete[{name!r}]"
            if isinstance(allowed, (str, bytes)) or not isinstance(allowed, Sequence):
                raise TypeError(f"{func}({arg}=...): expected a list of values, got {type(allowed).__name__}")
            values = [hparam_value(v, func, arg) for v in allowed]
            if (
                name in hparam_dict
                and hparam_value(hparam_dict[name], func, f"hparam_dict[{name!r}]") not in values
            ):
                raise ValueError(
                    f"{func}(hparam_dict[{name!r}]=...): expected one of {values!r}, got {hparam_dict[name]!r}"
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

    # -- any summary -----------------------------------------------------------

    def add_summary(
        self, summary: Summary, global_step: Any = None, walltime: Any = None, *, tag: str | None = None
    ) -> None:
        """Write a Summary proto as one event of this run.

        Without ``global_step`` the step follows ``tag`` (by default the
        first value's tag).

        >>> import tempfile; from neuroboard.summary import scalar
        >>> with SummaryWriter(tempfile.mkdtemp()) as w:
        ...     w.add_summary(scalar("loss", 0.1), 5)
        """
        if not isinstance(summary, Summary):
            raise TypeError(
                f"add_summary(summary=...): expected a Summary proto, got {type(summary).__name__}"
            )
        self._write_summary(summary, global_step, walltime, tag, "add_summary")

    def _write_summary(
        self, summary: Summary, global_step: Any, walltime: Any, tag: str | None, func: str
    ) -> None:
        if global_step is not None:
            global_step = as_step(global_step, func)
        wall = time.time() if walltime is None else as_walltime(walltime, func)
        key = tag if tag is not None else (summary.value[0].tag if summary.value else "")
        global_step = self._writer.claim_steps(key, first=global_step, func=func)
        self._writer.add_event(Event(wall_time=wall, step=global_step, summary=summary))

    # -- life cycle ------------------------------------------------------------

    def flush(self) -> None:
        """Hand everything logged so far to the operating system.

        >>> import tempfile
        >>> w = SummaryWriter(tempfile.mkdtemp()); w.add_scalar("a", 1.0); w.flush(); w.close()
        """
        errors = flush_each(self._writers())
        if errors:
            raise errors[0]

    def close(self) -> None:
        """Flush and close every file of this writer; once that has succeeded, later calls do nothing.

        If a file cannot be written (a full disk), the error says what waits
        for it; what waits stays queued, and calling close() again (once space
        is freed) writes it and closes the files that are left.

        >>> import tempfile
        >>> w = SummaryWriter(tempfile.mkdtemp()); w.close(); w.close()
        """
        self._close("success")

    def _close(self, status: str) -> None:
        with self._lock:
            first = not self._closed
            self._closed = True
        errors = []
        if first:
            for writer in self._sessions:
                # A background flush's error is reported, but does not keep the session's end out.
                kept = writer.take_error()
                if kept is not None:
                    errors.append(kept)
                try:
                    writer.add_event(Event(wall_time=time.time(), summary=session_end(status)))
                except Exception as error:  # noqa: BLE001 - close every file first, raise after
                    errors.append(error)
        # A writer closed earlier returns at once; one whose close failed tries again.
        errors += flush_each(self._writers(), close=True)
        if first and self._flusher is not None:
            self._flusher.stop()
        if errors:
            raise errors[0]

    def _writers(self) -> list[EventWriter]:
        with self._lock:
            return [self._writer, *self._subwriters.values()]

    def __enter__(self) -> SummaryWriter:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *exc_info: object) -> None:
        # A run left by an exception is marked failed in the HPARAMS tab.
        self._close("success" if exc_type is None else "failure")

    def __repr__(self) -> str:
        return f"<SummaryWriter {self.logdir!r}{' closed' if self._closed else ''}>"
