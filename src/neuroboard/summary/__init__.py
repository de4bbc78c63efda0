"""Python and NumPy values to Summary protos and back, one module per kind of data."""

from neuroboard.summary.audio import audio
from neuroboard.summary.boxes import image_boxes
from neuroboard.summary.custom_scalars import custom_scalars, layout_from_dict
from neuroboard.summary.histogram import Histogram, histogram
from neuroboard.summary.histogram_raw import histogram_raw
from neuroboard.summary.hparams import (
    hparam,
    hparams_config,
    metric,
    session_end,
    session_start,
)
from neuroboard.summary.image import figure, image, images
from neuroboard.summary.mesh import mesh
from neuroboard.summary.pr_curve import pr_curve, pr_curve_raw
from neuroboard.summary.scalar import scalar, scalar_metadata
from neuroboard.summary.tensor import tensor_summary
from neuroboard.summary.text import text
from neuroboard.summary.values import decode_value
from neuroboard.summary.video import video

__all__ = [
    "Histogram",
    "audio",
    "custom_scalars",
    "decode_value",
    "figure",
    "histogram",
    "histogram_raw",
    "hparam",
    "hparams_config",
    "image",
    "image_boxes",
    "images",
    "layout_from_dict",
    "mesh",
    "metric",
    "pr_curve",
    "pr_curve_raw",
    "scalar",
    "scalar_metadata",
    "session_end",
    "session_start",
    "tensor_summary",
    "text",
    "video",
]
