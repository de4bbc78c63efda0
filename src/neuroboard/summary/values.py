"""One ``Summary.Value`` back to a Python value: the dispatch from plugin name or value kind to a decoder.

The legacy kinds (``simple_value``, ``image``, ``histo``, ``audio``) say what
they are, so they are decoded as such whatever the plugin name, as
TensorBoard's loaders do. A tensor is only bytes and a dtype: the plugin
names how to read it, given as ``plugin`` (a time series carries its
metadata only on its first value) or found in the value's own metadata.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from google.protobuf.message import DecodeError
from tensorboard.plugins.hparams.plugin_data_pb2 import HParamsPluginData

from neuroboard.format.codec import Summary
from neuroboard.summary.audio import audio_value
from neuroboard.summary.histogram import histogram_value
from neuroboard.summary.scalar import scalar_value
from neuroboard.summary.tensor import as_summary_value, holding, tensor_value
from neuroboard.summary.text import text_value
from neuroboard.summary.video import video_value

__all__ = ["HPARAMS_PLUGIN_NAME", "decode_value"]

HPARAMS_PLUGIN_NAME = "hparams"

_BY_KIND: dict[str, Callable[[Summary.Value], Any]] = {
    "simple_value": scalar_value,
    # A GIF is a video: its frames; any other image as image_value reads it.
    "image": video_value,
    "histo": histogram_value,
    "audio": audio_value,
}

# The plugin names, as each kind's module spells them in PLUGIN_NAME.
_BY_PLUGIN: dict[str, Callable[[Summary.Value], Any]] = {
    "scalars": scalar_value,
    "images": video_value,
    "histograms": histogram_value,
    "audio": audio_value,
    "text": text_value,
}


def _hparams(value: Summary.Value) -> HParamsPluginData:
    # The hparams plugin keeps its records in the metadata; the tensor, if any, is empty.
    try:
        return HParamsPluginData.FromString(value.metadata.plugin_data.content)
    except DecodeError as error:
        raise ValueError(
            f"decode_value(value=...): expected HParamsPluginData in the metadata's plugin content ({error})"
        ) from None


def decode_value(value: Summary.Value, plugin: str | None = None) -> Any:
    """Return the Python value a ``Summary.Value`` holds, decoded as its kind or plugin says.

    ``plugin`` names the plugin of the value's time series; without it the
    value's own ``metadata.plugin_data.plugin_name`` is used. Decoders:
    ``"scalars"`` :func:`~neuroboard.summary.scalar.scalar_value`,
    ``"images"`` :func:`~neuroboard.summary.image.image_value` (a GIF's frames:
    :func:`~neuroboard.summary.video.video_value`),
    ``"histograms"`` :func:`~neuroboard.summary.histogram.histogram_value`,
    ``"audio"`` :func:`~neuroboard.summary.audio.audio_value`,
    ``"text"`` :func:`~neuroboard.summary.text.text_value`, ``"hparams"``
    the ``HParamsPluginData`` proto, any other plugin's tensor
    :func:`~neuroboard.summary.tensor.tensor_value`.

    >>> from neuroboard.summary import scalar
    >>> decode_value(scalar("loss", 0.5, new_style=True).value[0])
    0.5
    """
    value = as_summary_value(value, "decode_value")
    if plugin is not None and not isinstance(plugin, str):
        raise TypeError(
            f"decode_value(plugin=...): expected None or a plugin name (str), got {type(plugin).__name__}"
        )
    kind = value.WhichOneof("value")
    if kind in _BY_KIND:
        return _BY_KIND[kind](value)
    name = plugin if plugin is not None else value.metadata.plugin_data.plugin_name
    if name == HPARAMS_PLUGIN_NAME:
        return _hparams(value)
    if kind != "tensor":
        raise ValueError(
            "decode_value(value=...): expected a Summary.Value holding simple_value, image, histo, audio "
            f"or tensor, or hparams metadata, got {holding(value)} (plugin {name!r})"
        )
    return _BY_PLUGIN.get(name, tensor_value)(value)
