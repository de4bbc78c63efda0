"""Summary constructors of the functional API: values made ready for ``log_event``.

Each returns a ``Summary``; without ``tag`` its value is untagged and
``log_event`` gives it the name it is logged under. ``metadata`` (from
:func:`summary_metadata`) replaces the kind's own metadata, for a display
name or a description.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from neuroboard.format.codec import Summary, SummaryMetadata
from neuroboard.summary.audio import audio
from neuroboard.summary.convert import as_array, as_float, as_tag
from neuroboard.summary.histogram import histogram
from neuroboard.summary.image import images
from neuroboard.summary.metadata import plugin_metadata
from neuroboard.summary.scalar import scalar
from neuroboard.summary.text import text

__all__ = [
    "summary_audio",
    "summary_histogram",
    "summary_image",
    "summary_metadata",
    "summary_scalar",
    "summary_text",
]

# A stand-in while building: the encoders want a tag, log_event sets the real one.
_UNTAGGED = "untagged"


def _finish(summary: Summary, tag: str | None, metadata: SummaryMetadata | None, func: str) -> Summary:
    if metadata is not None and not isinstance(metadata, SummaryMetadata):
        raise TypeError(
            f"{func}(metadata=...): expected summary_metadata(...), got {type(metadata).__name__}"
        )
    name = "" if tag is None else as_tag(tag, func)
    for value in summary.value:
        value.tag = name
        if metadata is not None:
            value.metadata.CopyFrom(metadata)
    return summary


def summary_metadata(
    plugin_name: str,
    display_name: str | None = None,
    description: str | None = None,
    plugin_content: bytes | None = None,
) -> SummaryMetadata:
    """Return summary metadata naming a plugin, with an optional display name and description.

    >>> summary_metadata("scalars", display_name="Loss").display_name
    'Loss'
    """
    if not isinstance(plugin_name, str) or not plugin_name:
        raise TypeError(f"summary_metadata(plugin_name=...): expected a non-empty str, got {plugin_name!r}")
    if plugin_content is not None and not isinstance(plugin_content, bytes):
        raise TypeError(
            f"summary_metadata(plugin_content=...): expected bytes, got {type(plugin_content).__name__}"
        )
    return plugin_metadata(plugin_name, plugin_content or b"", display_name, description)


def summary_scalar(value: Any, *, metadata: SummaryMetadata | None = None, tag: str | None = None) -> Summary:
    """Return a scalar summary of one number.

    >>> summary_scalar(1.5).value[0].simple_value
    1.5
    """
    number = as_float(value, "summary_scalar", "value")
    return _finish(scalar(_UNTAGGED, number), tag, metadata, "summary_scalar")


def summary_text(txt: Any, *, metadata: SummaryMetadata | None = None, tag: str | None = None) -> Summary:
    """Return a text summary (Markdown in TensorBoard).

    >>> summary_text("hello").value[0].metadata.plugin_data.plugin_name
    'text'
    """
    return _finish(text(_UNTAGGED, txt, caller="summary_text"), tag, metadata, "summary_text")


def summary_histogram(
    data: Any, *, buckets: int = 30, metadata: SummaryMetadata | None = None, tag: str | None = None
) -> Summary:
    """Return a histogram of ``data`` in ``buckets`` equal-width buckets.

    No data gives no buckets; data that are all equal give one non-empty bucket.

    >>> len(summary_histogram([1.0, 2.0, 3.0], buckets=3).value[0].histo.bucket)
    3
    """
    if isinstance(buckets, bool) or not isinstance(buckets, (int, np.integer)) or buckets < 1:
        raise ValueError(f"summary_histogram(buckets=...): expected an int >= 1, got {buckets!r}")
    values = as_array(data, "summary_histogram", "data")
    if values.dtype.kind not in "biuf":
        raise TypeError(f"summary_histogram(data=...): expected numbers, got dtype {values.dtype}")
    summary = histogram(_UNTAGGED, values, bins=int(buckets), caller="summary_histogram")
    return _finish(summary, tag, metadata, "summary_histogram")


def summary_image(img: Any, *, metadata: SummaryMetadata | None = None, tag: str | None = None) -> Summary:
    """Return an image summary of ``(batch, H, W, C)`` (or ``(H, W, C)``) values in [0, 1], or uint8.

    Several images are laid out in one grid, as ``add_images`` does.

    >>> summary_image(np.zeros((2, 4, 4, 3))).value[0].image.width > 4
    True
    """
    pixels = np.asarray(img)
    if pixels.ndim == 3:
        pixels = pixels[None]
    summary = images(_UNTAGGED, pixels, dataformats="NHWC", caller="summary_image")
    return _finish(summary, tag, metadata, "summary_image")


def summary_audio(
    audio_data: Any,
    sample_rate: float = 44100,
    *,
    metadata: SummaryMetadata | None = None,
    tag: str | None = None,
) -> Summary:
    """Return an audio summary of samples in [-1, 1] (``(samples,)`` or ``(samples, channels)``) or WAV bytes.

    >>> summary_audio(np.zeros(800), sample_rate=8000).value[0].metadata.plugin_data.plugin_name
    'audio'
    """
    summary = audio(_UNTAGGED, audio_data, sample_rate, caller="summary_audio")
    return _finish(summary, tag, metadata, "summary_audio")
