"""Custom scalars: a layout of charts that overlay several tags.

TensorBoard shows, for each run, the last layout it finds, and merges the
layouts of all runs by category title; a writer that grows its layout must
therefore write the whole layout again each time.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from tensorboard.compat.proto.tensor_pb2 import TensorProto
from tensorboard.compat.proto.tensor_shape_pb2 import TensorShapeProto
from tensorboard.compat.proto.types_pb2 import DT_STRING
from tensorboard.plugins.custom_scalar.layout_pb2 import (
    Category,
    Chart,
    Layout,
    MarginChartContent,
    MultilineChartContent,
)

from neuroboard.format.codec import Summary
from neuroboard.summary.convert import as_tag
from neuroboard.summary.metadata import plugin_metadata

__all__ = ["CONFIG_TAG", "PLUGIN_NAME", "custom_scalars", "layout_from_dict"]

PLUGIN_NAME = "custom_scalars"
CONFIG_TAG = "custom_scalars__config__"

LayoutDict = dict[str, dict[str, list]]


def layout_from_dict(layout: LayoutDict, func: str = "add_custom_scalars") -> Layout:
    """Return a Layout proto from ``{category: {chart: [kind, tags]}}``.

    ``kind`` is ``"Multiline"`` (``tags``: regular expressions of the tags to
    overlay) or ``"Margin"`` (``tags``: ``[value, lower, upper]`` tag names).
    Errors name ``func``, the call that passed the layout.

    >>> layout = layout_from_dict({"loss": {"all": ["Multiline", ["loss/.*"]]}})
    >>> layout.category[0].chart[0].multiline.tag[0]
    'loss/.*'
    """
    where = f"{func}(layout=...)"
    if not isinstance(layout, Mapping):
        raise TypeError(f"{where}: expected a dict of categories, got {type(layout).__name__}")
    categories = []
    for title, charts in layout.items():
        as_tag(title, func, "layout category")
        if not isinstance(charts, Mapping):
            raise TypeError(
                f"{where}: category {title!r} must be a dict of charts, got {type(charts).__name__}"
            )
        categories.append(
            Category(title=title, chart=[_chart(title, name, chart, func) for name, chart in charts.items()])
        )
    return Layout(category=categories)


def _chart(category: str, title: Any, chart: Any, func: str) -> Chart:
    """Return the Chart proto of ``[kind, tags]``, checked whole."""
    where = f"{func}(layout[{category!r}][{title!r}]=...)"
    as_tag(title, func, f"layout[{category!r}] chart title")
    if isinstance(chart, (str, bytes)) or not isinstance(chart, Sequence) or len(chart) != 2:
        raise ValueError(f"{where}: expected [kind, tags], such as ['Multiline', ['loss/.*']], got {chart!r}")
    kind, tags = chart
    if isinstance(tags, (str, bytes)) or not isinstance(tags, Sequence):
        raise TypeError(f"{where}: expected a list of tags, got {type(tags).__name__}")
    tags = [as_tag(tag, func, f"layout[{category!r}][{title!r}] tag") for tag in tags]
    if kind == "Multiline":
        for tag in tags:
            # The dashboard matches each one as a regular expression; a broken one only fails there.
            try:
                re.compile(tag)
            except re.error as error:
                raise ValueError(
                    f"{where}: expected regular expressions of tags, got {tag!r} ({error})"
                ) from None
        return Chart(title=title, multiline=MultilineChartContent(tag=tags))
    if kind == "Margin":
        if len(tags) != 3:
            raise ValueError(f"{where}: a Margin chart takes [value, lower, upper] tags, got {tags!r}")
        series = MarginChartContent.Series(value=tags[0], lower=tags[1], upper=tags[2])
        return Chart(title=title, margin=MarginChartContent(series=[series]))
    raise ValueError(f"{where}: expected chart kind 'Multiline' or 'Margin', got {kind!r}")


def custom_scalars(layout: Layout) -> Summary:
    """Return the Summary that carries ``layout`` for the custom scalars dashboard.

    >>> custom_scalars(Layout()).value[0].tag
    'custom_scalars__config__'
    """
    tensor = TensorProto(
        dtype=DT_STRING, string_val=[layout.SerializeToString()], tensor_shape=TensorShapeProto()
    )
    return Summary(
        value=[Summary.Value(tag=CONFIG_TAG, tensor=tensor, metadata=plugin_metadata(PLUGIN_NAME))]
    )
