"""Python and NumPy values to Summary protos, one module per kind of data."""

from neuroboard.summary.audio import audio
from neuroboard.summary.custom_scalars import custom_scalars, layout_from_dict
from neuroboard.summary.histogram import histogram
from neuroboard.summary.hparams import hparam, hparams_config, metric, session_end, session_start
from neuroboard.summary.image import figure, image, images
from neuroboard.summary.scalar import scalar, scalar_metadata
from neuroboard.summary.text import text

__all__ = [
    "audio",
    "custom_scalars",
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
