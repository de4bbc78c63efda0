"""SummaryWriter's scalar methods: add_scalar, add_scalars, add_series and the Custom Scalars layout.

``add_scalars`` and a 2-D ``add_series`` write one sub-run per key,
``<logdir>/<main_tag>_<key>`` (as torch names them), so that TensorBoard
overlays the keys in one chart; ``layout="tags"`` keeps the keys in the run
and overlays them on the Custom Scalars dashboard.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from neuroboard.api.peer_aliases import check_flags
from neuroboard.api.scalar_input import chart_tags, checked_key, series_input, subrun_name
from neuroboard.io.writer import WriterClosedError
from neuroboard.summary.convert import INT64_MAX, INT64_MIN, as_float, as_step, as_tag, as_text, as_walltime
from neuroboard.summary.custom_scalars import custom_scalars, layout_from_dict
from neuroboard.summary.scalar import scalar

__all__ = ["ScalarMethods"]

_LAYOUTS = ("runs", "tags")
# Bound once: add_scalar's hot path reads the clock on every call.
_now = time.time


class ScalarMethods:
    """Methods mixed into :class:`~neuroboard.api.summary_writer.SummaryWriter`.

    They use the run life cycle of :class:`~neuroboard.api.run_writer.RunWriter`.
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

        >>> import tempfile; from neuroboard import SummaryWriter
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
        main = self._main
        try:
            main.add_scalar(tag, value, global_step, wall)
        except WriterClosedError:
            self._write_again("", main, lambda live: live.add_scalar(tag, value, global_step, wall))

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

        >>> import tempfile; from neuroboard import SummaryWriter
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
                    main = self._write_again(
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
                self._write_again(
                    name,
                    writer,
                    lambda live, value=value: live.add_scalar(main_tag, value, global_step, wall),
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

        >>> import tempfile, numpy as np; from neuroboard import SummaryWriter
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

        >>> import tempfile; from neuroboard import SummaryWriter
        >>> with SummaryWriter(tempfile.mkdtemp()) as w:
        ...     w.add_custom_scalars({"loss": {"both": ["Multiline", ["loss/train", "loss/val"]]}})
        """
        self._add_layout(layout, "add_custom_scalars")

    def add_custom_scalars_multilinechart(
        self, tags: Sequence[str], category: str = "default", title: str = "untitled"
    ) -> None:
        """Add one chart that overlays ``tags`` (regular expressions) to the Custom Scalars dashboard.

        >>> import tempfile; from neuroboard import SummaryWriter
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

        >>> import tempfile; from neuroboard import SummaryWriter
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
