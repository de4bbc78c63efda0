"""Sapicore's ``TensorboardWriter``: spike rasters, traces, heatmaps and hparams from recorded arrays.

A :class:`TensorboardWriter` owns one :class:`~neuroboard.api.summary_writer.SummaryWriter`
and turns arrays recorded during a simulation into TensorBoard data: :meth:`~TensorboardWriter.raster`
draws spikes as an image, :meth:`~TensorboardWriter.trace` writes time series as scalars or as
line plots, :meth:`~TensorboardWriter.heatmap` draws a matrix (or one image per frame of a
matrix over time, on TensorBoard's step slider) and :meth:`~TensorboardWriter.hparam` collects
single values as hyperparameters. :meth:`~TensorboardWriter.write` hands every array of a
buffer (a dict, or an ``HDFData`` with ``.buffer``) to one of these, inferring the kind when
it is not given.

Tags and runs are Sapicore's: ``<name>/raster``; ``<name>/<attr>`` for a heatmap; for
neuron ``j`` of a trace, the image ``<name>/N<j>/<attr>`` or the scalar tag ``<name>/N<j>``
in the sub-run ``<name>_N<j>_<attr>``. Unlike Sapicore's, hyperparameters may be added one
after another and need no metric: they are collected and written as one set on
:meth:`~TensorboardWriter.close`.

``size=(width, height)`` is in inches, like matplotlib's ``figsize``, drawn at
``PIXELS_PER_INCH`` pixels per inch (the sizes are constants of
:mod:`neuroboard.neuro.view_settings`). Without it a dense raster is ``RASTER_SIZE``
(Sapicore's 15 × 10 inches) and an event raster takes one pixel per step and per
neuron, at most ``MAX_WIDTH`` × ``MAX_HEIGHT`` (beyond, steps and neurons share
pixels and their spikes are summed); a heatmap one pixel per entry, capped the
same way (beyond, blocks are averaged; the colorbar adds 8 pixels on the right);
a trace image is ``TRACE_SIZE`` pixels (Sapicore's 10 × 5 inches). A ``size`` of
more than ``MAX_PIXELS`` pixels (40 × 40 inches) is refused where it is given.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType, TracebackType
from typing import TYPE_CHECKING, Any

import numpy as np

from neuroboard.api.scalar_input import subrun_name
from neuroboard.api.summary_writer import SummaryWriter
from neuroboard.io.writer import check_filename_suffix
from neuroboard.neuro.view_inputs import (
    Source,
    dense_spikes,
    event_lists,
    hparam_array,
    infer_kind,
    mark_events,
    numeric,
    singleton,
)
from neuroboard.neuro.view_settings import (
    MAX_HEIGHT,
    MAX_WIDTH,
    RASTER_LINE,
    RASTER_SIZE,
    TRACE_SIZE,
    Settings,
    Where,
    color_limits,
    parse_settings,
    time_axis_of,
)
from neuroboard.render import heatmap_image, raster_image, trace_image
from neuroboard.summary.convert import as_path, as_run_name, as_tag

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["TensorboardWriter"]

_CLASS = "TensorboardWriter"
_Plan = Callable[[], None]


def _check_subruns(name: str, attr: str, where: Where) -> None:
    """Refuse, before anything is written, an ``attr`` whose sub-runs ``<name>_N<j>_<attr>`` would leave the logdir."""
    # The neuron index adds no separator: the first sub-run stands for all of them.
    as_run_name(attr, where.func, "attr" if where.nested else where.arg, subrun_name(f"{name}/N0", attr))


class TensorboardWriter:
    """Write recorded neuron data to TensorBoard as rasters, traces, heatmaps and hyperparameters.

    ``log_dir`` is the run folder; ``writer_kwargs`` go to the underlying
    :class:`~neuroboard.api.summary_writer.SummaryWriter` (``flush_secs``,
    ``max_queue``, ...). ``log_dir`` may also be an open SummaryWriter, which
    is written through and left open on :meth:`close`. Hyperparameters are
    written when the TensorboardWriter closes.

    >>> import tempfile, numpy as np
    >>> with TensorboardWriter(tempfile.mkdtemp()) as tw:
    ...     tw.write({"v": np.random.rand(100, 3), "tau": 10.0}, name="L1")
    """

    def __init__(self, log_dir: str | os.PathLike[str] | SummaryWriter, **writer_kwargs: Any) -> None:
        self._owns_writer = not isinstance(log_dir, SummaryWriter)
        if isinstance(log_dir, SummaryWriter):
            if writer_kwargs:
                raise TypeError(
                    f"{_CLASS}(**writer_kwargs): settings for a new SummaryWriter, but log_dir is an open one"
                )
            self._writer = log_dir
        else:
            # The run folder and the suffix of its file names are checked here, so that the error names
            # this call and nothing is created for a name that would not stay inside the folder.
            log_dir = as_path(log_dir, _CLASS, "log_dir")
            if "filename_suffix" in writer_kwargs:
                check_filename_suffix(writer_kwargs["filename_suffix"], _CLASS)
            self._writer = SummaryWriter(log_dir, **writer_kwargs)
        self._hparams: dict[str, str | bool | int | float] = {}
        self._closed = False

    @property
    def writer(self) -> SummaryWriter:
        """The SummaryWriter everything goes through, for anything this class does not draw."""
        return self._writer

    @property
    def log_dir(self) -> str:
        """The run folder."""
        return self._writer.logdir

    @property
    def hparams(self) -> Mapping[str, str | bool | int | float]:
        """A read-only view of the hyperparameters collected so far, written on :meth:`close`.

        >>> import tempfile
        >>> with TensorboardWriter(tempfile.mkdtemp()) as tw:
        ...     tw.hparam("L1", "tau", 10.0); dict(tw.hparams)
        {'L1/tau': 10.0}
        """
        return MappingProxyType(self._hparams)

    # -- the four kinds ----------------------------------------------------------

    def raster(self, name: str, array: Any, settings: Mapping[str, Any] | None = None) -> None:
        """Draw spikes as one raster image, tag ``<name>/raster``: time on x, neuron 0 at the top.

        ``array`` is a 2-D (time × neurons) array of spike flags or counts
        (``settings["time_axis"] = 1`` for neurons × time), or event lists: a
        tuple ``(steps, neurons)`` of 1-D integer arrays or an (n, 2) integer
        array of (step, neuron) pairs. Note that any (n, 2) integer array is
        read as pairs: pass a dense two-neuron array as bool or float.
        Settings: ``time_axis``, ``size``, ``global_step`` (default 0),
        ``line_size`` (the share of a neuron's row a spike covers: 0.25 for a
        dense array, as Sapicore draws it, else 1), ``events`` (times, in
        steps, marked by a half-transparent vertical bar each) and
        ``event_colors`` (one colour per event: a matplotlib name, which needs
        matplotlib, or ``(r, g, b)`` in 0..1), and for event lists
        ``n_steps`` and ``n_neurons``, the raster's extent (by default the
        largest indices plus one; needed for an empty raster; for a dense
        array they must match its shape).

        >>> import tempfile, numpy as np
        >>> with TensorboardWriter(tempfile.mkdtemp()) as tw:
        ...     tw.raster("L1", np.random.rand(500, 40) < 0.02, {"global_step": 1, "line_size": 0.5})
        """
        self._draw("raster", name, None, array, settings)

    def trace(self, name: str, attr: str, array: Any, settings: Mapping[str, Any] | None = None) -> None:
        """Write time series as scalars or line images, one per neuron, under Sapicore's tags and runs.

        ``array`` is (time,) or (time, neurons), ``time_axis`` naming the
        time axis (default 0); other shapes are refused (a 3-D array is a
        heatmap over time, or flatten its neurons into one axis). With
        ``format="scalar"`` (the default for 1-D) neuron j of a 2-D array is
        the tag ``<name>/N<j>`` in the sub-run ``<name>_N<j>_<attr>`` (so that
        the attributes of one neuron overlay in one chart), and a 1-D array
        the tag ``<name>/<attr>``, at steps 0..T-1 or ``steps``. With
        ``format="image"`` (the default for 2-D) neuron j is the image
        ``<name>/N<j>/<attr>`` (a 1-D array ``<name>/<attr>``) at
        ``global_step`` (default 0), :data:`TRACE_SIZE` pixels unless ``size``
        says otherwise, all on one y scale (``vmin``/``vmax``, else the array's extremes).

        >>> import tempfile, numpy as np
        >>> with TensorboardWriter(tempfile.mkdtemp()) as tw:
        ...     tw.trace("L1", "v", np.random.rand(200, 3), {"format": "scalar"})
        """
        self._draw("trace", name, attr, array, settings)

    def heatmap(self, name: str, attr: str, array: Any, settings: Mapping[str, Any] | None = None) -> None:
        """Draw a matrix as a heatmap image ``<name>/<attr>``, or a matrix over time as one image per frame.

        A 2-D array is one image at ``global_step`` (default 0). In a 3-D
        array axis ``time_axis`` (default 0) is time, and frames 0, step,
        2·step, ... become images at their time index as step. All frames
        share one colour scale: ``vmin``/``vmax``, by default the finite
        extremes of the whole array; ``symmetric`` centres it on 0 and
        ``colorbar`` (default True) draws it on the right.

        >>> import tempfile, numpy as np
        >>> with TensorboardWriter(tempfile.mkdtemp()) as tw:
        ...     tw.heatmap("L1", "weights", np.random.randn(30, 8, 8), {"step": 10, "symmetric": True})
        """
        self._draw("heatmap", name, attr, array, settings)

    def hparam(self, name: str, attr: str, array: Any, settings: Mapping[str, Any] | None = None) -> None:
        """Collect a value as the hyperparameter ``<name>/<attr>`` (all are written on close), or one per neuron.

        ``array`` is a number, bool, str, or any array or tensor of size 1;
        NumPy values become Python ones. A later value for the same name
        replaces the earlier one. A 1-D array gives one hyperparameter per
        neuron, ``<name>/N<i>/<attr>``; with ``format="scalar"`` a 1-D array's values
        are written instead as Sapicore writes them, the scalar ``<name>/N<i>`` in
        the sub-run ``<name>_N<i>_<attr>`` at ``global_step`` (default 0).

        >>> import tempfile, numpy as np
        >>> with TensorboardWriter(tempfile.mkdtemp()) as tw:
        ...     tw.hparam("L1", "tau", np.float32(20.0)); tw.hparam("L1", "model", "LIF")
        ...     tw.hparam("L1", "thresh", np.array([-55.0, -50.0]), {"format": "scalar"})
        """
        self._draw("hparam", name, attr, array, settings)

    # -- the buffer --------------------------------------------------------------

    def write(self, data: Any, key: str | Iterable[str] | None = None, **settings: Any) -> None:
        """Write the arrays of a buffer under ``key`` (one key, a list, or None for all) with ``settings``.

        ``data`` is a dict of arrays or an object with a ``.buffer`` dict, such
        as ``HDFData``. Its identifier (``.identifier``, else a str
        ``buffer["identifier"]``) names the tags, else ``name``, else the key;
        each key is the ``attr`` of its tags. With ``kind="hparam"``, keys
        missing from the buffer are read from its ``.attrs``. ``key=None``
        writes every entry but the file's attributes (identifier, class,
        version); a key that an ``HDFData`` was asked for and its file lacks is
        passed over, as in Sapicore, while any other missing key is a KeyError.
        ``kind`` ("raster", "trace", "heatmap", "hparam") is inferred per array
        when absent, where Sapicore writes nothing: size 1 is an hparam, a 2-D
        array of 0/1 or bools or a ``(steps, neurons)`` tuple a raster, other
        1-D and 2-D arrays traces, 3-D heatmaps ((n, 2) event pairs need
        ``kind="raster"``). The other settings (``format``, ``size``, ``step``,
        ``time_axis``, ``global_step``, ``vmin``, ``vmax``, ``symmetric``,
        ``colorbar``, ``steps``, ``line_size``) go to every key, each kind using
        those that concern it. Every key is checked before anything is written.

        >>> import tempfile, numpy as np
        >>> with TensorboardWriter(tempfile.mkdtemp()) as tw:
        ...     tw.write({"spikes": np.random.rand(100, 5) < 0.1, "v": np.random.rand(100, 5)}, name="L1")
        """
        func = f"{_CLASS}.write"
        self._check_open(func)
        source = Source.of(data, func)
        parsed = parse_settings(settings, Where(func, nested=False))
        plans = []
        for k in self._keys(key, source, parsed.kind, func):
            where = Where(func, f"data[{k!r}]", nested=False)
            value = source.buffer[k] if k in source.buffer else source.attrs[k]
            name = parsed.name or (source.identifier if source.identifier is not None else k)
            kind = parsed.kind or infer_kind(value, where)
            plans.append(self._plan(kind, where, name, k, value, parsed))
        for plan in plans:
            plan()

    @staticmethod
    def _keys(key: str | Iterable[str] | None, source: Source, kind: str | None, func: str) -> list[str]:
        buffer, attrs = source.buffer, source.attrs
        if key is None:
            # The file's own attributes (identifier, class, version) describe the data; they are not data.
            return [k for k in buffer if k not in source.described_by]
        if isinstance(key, str):
            keys = [key]
        elif isinstance(key, (list, tuple)):
            keys = list(key)
        else:
            raise TypeError(
                f"{func}(key=...): expected a str, a list of str or None, got {type(key).__name__}"
            )
        found = []
        for k in keys:
            if not isinstance(k, str) or not k:
                raise TypeError(f"{func}(key=...): expected non-empty str keys, got {k!r}")
            if k in buffer or (kind == "hparam" and k in attrs):
                found.append(k)
                continue
            if k in source.missing:
                # Asked of the file and not in it: passed over, so that one loop may ask every file.
                continue
            known = f"data has keys {sorted(buffer)!r}"
            if kind == "hparam":
                known += f" and attributes {sorted(attrs)!r}"
            elif k in attrs:
                known += f"; {k!r} is a file attribute: pass kind='hparam' to write it"
            raise KeyError(f"{func}(key=...): no {k!r} in data; {known}")
        return found

    # -- checking, then writing ---------------------------------------------------
    # Each _plan_* checks and converts everything, then returns the function that
    # writes: write() plans every key before running any plan, so a rejected key
    # leaves nothing half-written.

    def _draw(
        self, kind: str, name: str, attr: str | None, array: Any, settings: Mapping[str, Any] | None
    ) -> None:
        """Check everything one of the four methods was given, then write it."""
        where = Where(f"{_CLASS}.{kind}")
        self._check_open(where.func)
        as_tag(name, where.func, "name")
        if attr is not None:
            as_tag(attr, where.func, "attr")
        self._plan(kind, where, name, attr, array, self._method_settings(settings, kind, where))()

    def _plan(
        self, kind: str, where: Where, name: str, attr: str | None, value: Any, settings: Settings
    ) -> _Plan:
        if kind == "raster":
            return self._plan_raster(where, name, value, settings)
        assert attr is not None
        if kind == "trace":
            return self._plan_trace(where, name, attr, value, settings)
        if kind == "heatmap":
            return self._plan_heatmap(where, name, attr, value, settings)
        return self._plan_hparam(where, name, attr, value, settings)

    def _plan_raster(self, where: Where, name: str, array: Any, settings: Settings) -> _Plan:
        events = event_lists(array, settings, where)
        if events is not None:
            if settings.time_axis not in (None, 0):
                raise ValueError(
                    f"{where.setting('time_axis')}: event lists are (steps, neurons) already; "
                    f"expected 0, got {settings.time_axis}"
                )
            spikes, n_steps, n_neurons = events
        else:
            spikes = dense_spikes(array, where)
            if time_axis_of(settings, 2, where) == 1:
                spikes = spikes.T
            n_steps, n_neurons = spikes.shape
            # A dense raster's extent is its shape: an extent that says otherwise is a mistake, not a wish.
            for key, given, actual in (
                ("n_steps", settings.n_steps, n_steps),
                ("n_neurons", settings.n_neurons, n_neurons),
            ):
                if given is not None and given != actual:
                    raise ValueError(
                        f"{where.setting(key)}: expected {actual} for a dense {where.arg} of "
                        f"{n_steps} steps × {n_neurons} neurons, got {given}"
                    )
        if events is None:
            # A dense array is what Sapicore draws: its figure's size and line size.
            width, height = settings.size or RASTER_SIZE
            line_size = RASTER_LINE if settings.line_size is None else settings.line_size
        else:
            width, height = settings.size or (min(n_steps, MAX_WIDTH), min(n_neurons, MAX_HEIGHT))
            line_size = 1.0 if settings.line_size is None else settings.line_size
        tag = f"{name}/raster"

        def run() -> None:
            image = raster_image(
                spikes,
                n_steps=n_steps,
                n_neurons=n_neurons,
                width=width,
                height=height,
                events=events is not None,
                line_size=line_size,
            )
            if settings.events is not None:
                mark_events(image, settings.events, settings.event_colors, n_steps)
            self._writer.add_image(tag, image, settings.global_step, dataformats="HWC")

        return run

    def _plan_trace(self, where: Where, name: str, attr: str, array: Any, settings: Settings) -> _Plan:
        values = numeric(array, where)
        if values.ndim not in (1, 2) or values.size == 0:
            hint = {
                0: "; write a single value with kind='hparam'",
                3: "; draw a matrix over time with kind='heatmap'",
            }
            raise ValueError(
                f"{where()}: expected a non-empty (time,) or (time, neurons) array, got shape {values.shape}"
                f"{hint.get(values.ndim, '')}"
            )
        series = np.moveaxis(values, time_axis_of(settings, values.ndim, where), 0)
        one = series.ndim == 1
        series = series.reshape(series.shape[0], -1)
        count = series.shape[0]
        image = (settings.format or ("scalar" if one else "image")) == "image"
        if image:
            # One y scale for every neuron, so that their images compare.
            low, high = color_limits(series[None], settings, where)
            width, height = settings.size or TRACE_SIZE
            drawn = (
                [(f"{name}/{attr}", series)]
                if one
                else [(f"{name}/N{j}/{attr}", series[:, j]) for j in range(series.shape[1])]
            )

            def draw() -> None:
                for tag, values in drawn:
                    image = trace_image(values, width=width, height=height, vmin=low, vmax=high)
                    self._writer.add_image(tag, image, settings.global_step, dataformats="HWC")

            return draw

        steps = np.arange(count, dtype=np.int64) if settings.steps is None else settings.steps
        if len(steps) != count:
            raise ValueError(
                f"{where.setting('steps')}: expected {count} steps, one per time point of {where.arg}, got {len(steps)}"
            )

        if not one:
            _check_subruns(name, attr, where)

        def log() -> None:
            if one:
                self._writer.add_series(f"{name}/{attr}", np.ascontiguousarray(series[:, 0]), steps)
                return
            # Sapicore's runs: neuron j is the tag <name>/N<j> in the sub-run <name>_N<j>_<attr>.
            for j in range(series.shape[1]):
                self._writer.add_series(f"{name}/N{j}", series[:, j : j + 1], steps, names=[attr])

        return log

    def _plan_heatmap(self, where: Where, name: str, attr: str, array: Any, settings: Settings) -> _Plan:
        values = numeric(array, where)
        if values.ndim not in (2, 3) or values.size == 0:
            raise ValueError(
                f"{where()}: expected a non-empty 2-D (rows × columns) or 3-D (time × rows × columns) array, "
                f"got shape {values.shape}"
            )
        axis = time_axis_of(settings, values.ndim, where)
        if values.ndim == 2:
            frames, at = values[None], [(0, settings.global_step)]
        else:
            frames = np.moveaxis(values, axis, 0)
            at = [(t, t) for t in range(0, frames.shape[0], settings.step)]
        low, high = color_limits(frames, settings, where)
        rows, columns = frames.shape[1:]
        width, height = settings.size or (min(columns, MAX_WIDTH), min(rows, MAX_HEIGHT))
        tag = f"{name}/{attr}"

        def run() -> None:
            # One frame at a time: a long recording never becomes a stack of images.
            for index, step in at:
                image = heatmap_image(
                    frames[index],
                    vmin=low,
                    vmax=high,
                    symmetric=settings.symmetric,
                    colorbar=settings.colorbar,
                    width=width,
                    height=height,
                )
                self._writer.add_image(tag, image, step, dataformats="HWC")

        return run

    def _plan_hparam(self, where: Where, name: str, attr: str, array: Any, settings: Settings) -> _Plan:
        if not isinstance(array, (str, bytes)):
            values, one_d = hparam_array(array, where)
            if settings.format == "scalar" and one_d:
                _check_subruns(name, attr, where)

                # Sapicore's: element i is the tag <name>/N<i> in the sub-run <name>_N<i>_<attr>, at step 0.
                def log() -> None:
                    for i, value in enumerate(values):
                        self._writer.add_scalars(f"{name}/N{i}", {attr: value}, settings.global_step)

                return log
            if values.size > 1:
                items = {f"{name}/N{i}/{attr}": singleton(value, where) for i, value in enumerate(values)}

                def collect() -> None:
                    self._hparams.update(items)

                return collect
        value = singleton(array, where)
        key = f"{name}/{attr}"

        def run() -> None:
            self._hparams[key] = value

        return run

    def _method_settings(self, settings: Mapping[str, Any] | None, kind: str, where: Where) -> Settings:
        parsed = parse_settings(settings, where)
        if parsed.kind not in (None, kind):
            raise ValueError(f"{where.setting('kind')}: {where.func} draws {kind!r}, got {parsed.kind!r}")
        return parsed

    # -- life cycle --------------------------------------------------------------

    def _check_open(self, func: str) -> None:
        if self._closed:
            raise ValueError(
                f"{func}: TensorboardWriter({self.log_dir!r}) is closed; open a new one to write more"
            )

    def flush(self) -> None:
        """Hand everything written so far to the operating system (hyperparameters wait for close).

        >>> import tempfile
        >>> tw = TensorboardWriter(tempfile.mkdtemp()); tw.trace("L1", "v", [0.0, 1.0]); tw.flush(); tw.close()
        """
        self._check_open(f"{_CLASS}.flush")
        self._writer.flush()

    def close(self) -> None:
        """Write the collected hyperparameters as one set, then close the files; later calls do nothing.

        >>> import tempfile
        >>> tw = TensorboardWriter(tempfile.mkdtemp()); tw.hparam("L1", "tau", 10.0); tw.close(); tw.close()
        """
        self._finish(None, None, None)

    def _finish(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            if self._hparams:
                self._writer.add_hparams(dict(self._hparams), metric_dict=None)
        finally:
            # The SummaryWriter marks the hparams session failed when an exception ended the block.
            if self._owns_writer:
                self._writer.__exit__(exc_type, exc, traceback)
            else:
                self._writer.flush()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self._finish(exc_type, exc, traceback)

    def __repr__(self) -> str:
        return f"<TensorboardWriter {self.log_dir!r}{' closed' if self._closed else ''}>"
