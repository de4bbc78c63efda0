"""Python and NumPy values to Summary protos and back, one module per kind of data."""

from neuroboard.summary.audio import audio
from neuroboard.summary.custom_scalars import custom_scalars, layout_from_dict
from neuroboard.summary.histogram import Histogram, histogram
from neuroboard.summary.hparams import (
    hparam,
    hparams_config,
    metric,
    session_end,
    session_start,
)
from neuroboard.summary.image import figure, image, images
from neuroboard.summary.scalar import scalar, scalar_metadata
from neuroboard.summary.text import text
from neuroboard.summary.values import decode_value

__all__ = [
    "Histogram",
    "audio",
    "custom_scalars",
    "decode_value",
    "figure",
    "histogram",
    "hparam",
    "hparams_config",
    "image",
    "images",
    "layout_from_dict",
    "metric",
    "scalar",
    "scalar_metadata",
    "session_end",
    "session_start",
    "text",
]
