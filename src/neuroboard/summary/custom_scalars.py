"""Custom scalars: a layout of charts that overlay several tags.

TensorBoard shows, for each run, the last layout it finds, and merges the
layouts of all runs by category title; a writer that grows its layout must
therefore write the whole layout again each time.
"""

from __future__ import annotations

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
from neuroboard.summary.metadata import plugin_metadata

__all__ = ["CONFIG_TAG", "PLUGIN_NAME", "custom_scalars", "layout_from_dict"]

PLUGIN_NAME = "custom_scalars"
CONFIG_TAG = "custom_scalars__config__"

LayoutDict = dict[str, dict[str, list]]


def layout_from_dict(layout: LayoutDict) -> Layout:
    """Return a Layout proto from ``{category: {chart: [kind, tags]}}``.

    ``kind`` is ``"Multiline"`` (``tags``: regular expressions of the tags to
    overlay) or ``"Margin"`` (``tags``: ``[value, lower, upper]`` tag names).

    >>> layout = layout_from_dict({"loss": {"all": ["Multiline", ["loss/.*"]]}})
    >>> layout.category[0].chart[0].multiline.tag[0]
    'loss/.*'
    """
    categories = []
    for title, charts in layout.items():
        chart_protos = []
        for chart_title, (kind, tags) in charts.items():
            if kind == "Multiline":
                chart_protos.append(Chart(title=chart_title, multiline=MultilineChartContent(tag=list(tags))))
            elif kind == "Margin":
                if len(tags) != 3:
                    raise ValueError(
                        f"add_custom_scalars(layout=...): a Margin chart takes [value, lower, upper] tags, got {tags!r}"
                    )
                series = MarginChartContent.Series(value=tags[0], lower=tags[1], upper=tags[2])
                chart_protos.append(Chart(title=chart_title, margin=MarginChartContent(series=[series])))
            else:
                raise ValueError(
                    f"add_custom_scalars(layout=...): expected chart kind 'Multiline' or 'Margin', got {kind!r}"
                )
        categories.append(Category(title=title, chart=chart_protos))
    return Layout(category=categories)


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
