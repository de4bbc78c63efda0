"""Summary constructors of the functional API: values made ready for ``log_event``.

Each returns a ``Summary``; without ``tag`` its value is untagged and
``log_event`` gives it the name it is logged under. ``metadata`` (from
:func:`summary_metadata`) replaces the kind's own metadata, for a display
name or a description.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import PIL.Image

from neuroboard.format.codec import Summary, SummaryMetadata
from neuroboard.summary.audio import audio
from neuroboard.summary.convert import as_array, as_float, as_tag, as_text
from neuroboard.summary.histogram import MAX_BINS
from neuroboard.summary.histogram_tensor import histogram_tensor
from neuroboard.summary.hparams import hparam, hparams_config, metric, session_group_name, session_start
from neuroboard.summary.image import bomb_message, figure, image_metadata, image_tensor
from neuroboard.summary.metadata import plugin_metadata
from neuroboard.summary.scalar import scalar, scalar_metadata
from neuroboard.summary.text import text

__all__ = [
    "hparams_hparam",
    "hparams_metric",
    "summary_audio",
    "summary_histogram",
    "summary_hparams",
    "summary_hparams_config",
    "summary_image",
    "summary_metadata",
    "summary_scalar",
    "summary_text",
]

# A stand-in while building: the encoders want a tag, log_event sets the real one.
_UNTAGGED = "untagged"


def _finish(
    summary: Summary, tag: str | None, metadata: SummaryMetadata | None, func: str, plugin: str
) -> Summary:
    if metadata is not None:
        if not isinstance(metadata, SummaryMetadata):
            raise TypeError(
                f"{func}(metadata=...): expected summary_metadata(...), got {type(metadata).__name__}"
            )
        # TensorBoard, and R's value(), pick the reader by plugin name: another
        # plugin's name would file the value under a kind it is not.
        given = metadata.plugin_data.plugin_name
        if given != plugin:
            raise ValueError(
                f"{func}(metadata=...): expected metadata of the {plugin!r} plugin, got {given!r}; "
                f"use summary_metadata({plugin!r}, display_name=..., description=...)"
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
    """Return a scalar summary of one number: a float32 ``simple_value`` with the ``scalars`` plugin's metadata.

    >>> summary_scalar(1.5).value[0].simple_value
    1.5
    """
    number = as_float(value, "summary_scalar", "value")
    summary = scalar(_UNTAGGED, number)
    summary.value[0].metadata.CopyFrom(scalar_metadata())
    return _finish(summary, tag, metadata, "summary_scalar", "scalars")


def summary_text(txt: Any, *, metadata: SummaryMetadata | None = None, tag: str | None = None) -> Summary:
    """Return a text summary of one string (Markdown in TensorBoard).

    As in R, where a string is a character vector of length 1, a list, tuple
    or array holding exactly one str is that string. Several strings, none, or
    a table are refused: ``SummaryWriter.add_text`` writes tables.

    >>> summary_text("hello").value[0].metadata.plugin_data.plugin_name
    'text'
    >>> summary_text(["hello"]).value[0].tensor.string_val
    [b'hello']
    """
    string = as_text(_one_string(txt), "summary_text", "txt")
    return _finish(text(_UNTAGGED, string, caller="summary_text"), tag, metadata, "summary_text", "text")


def _one_string(txt: Any) -> str:
    """Return the one str that ``txt`` is or holds; anything else raises, naming ``txt``."""
    if isinstance(txt, str):
        return txt
    if not isinstance(txt, (list, tuple, np.ndarray)):
        raise TypeError(f"summary_text(txt=...): expected one str, got {type(txt).__name__}")
    try:
        items = np.array(txt, dtype=object)
    except ValueError:  # ragged rows: several strings in any case
        items = None
    if isinstance(txt, np.ndarray):
        held = f"an ndarray of shape {txt.shape}"
    elif items is not None and items.ndim >= 2:
        held = f"a table of shape {items.shape}"
    else:
        held = f"a {type(txt).__name__} of {len(txt)}"
    if items is not None and items.size == 1:
        (item,) = items.reshape(-1).tolist()
        if isinstance(item, str):
            return item
        raise TypeError(f"summary_text(txt=...): expected one str, got {held} holding {type(item).__name__}")
    raise ValueError(
        f"summary_text(txt=...): expected one str (R's character vector of length 1), got {held}; "
        "join the strings into one, or log a table with SummaryWriter.add_text"
    )


def summary_histogram(
    data: Any, *, buckets: int = 30, metadata: SummaryMetadata | None = None, tag: str | None = None
) -> Summary:
    """Return a histogram of ``data`` in ``buckets`` equal-width buckets, as TensorFlow 2 and R's tfevents write it.

    The value is the ``histograms`` plugin's float64 tensor of shape
    ``(buckets, 3)``, one ``[left edge, right edge, count]`` row per bucket.
    No data gives rows of zeros; data that are all equal give rows whose
    edges are that value, all of it counted in the last bucket. Non-finite
    values are left out with a ``RuntimeWarning``.

    >>> tensor = summary_histogram([1.0, 2.0, 3.0], buckets=3).value[0].tensor
    >>> [d.size for d in tensor.tensor_shape.dim], list(tensor.double_val)[2::3]
    ([3, 3], [1.0, 1.0, 1.0])
    """
    if (
        isinstance(buckets, bool)
        or not isinstance(buckets, (int, np.integer))
        or not 1 <= buckets <= MAX_BINS
    ):
        raise ValueError(
            f"summary_histogram(buckets=...): expected an int from 1 to {MAX_BINS:,}, got {buckets!r}"
        )
    values = as_array(data, "summary_histogram", "data")
    if values.dtype.kind not in "biuf":
        raise TypeError(f"summary_histogram(data=...): expected numbers, got dtype {values.dtype}")
    summary = histogram_tensor(_UNTAGGED, values, int(buckets), caller="summary_histogram")
    return _finish(summary, tag, metadata, "summary_histogram", "histograms")


def summary_image(
    img: Any,
    *,
    width: int | None = None,
    height: int | None = None,
    colorspace: int | None = None,
    metadata: SummaryMetadata | None = None,
    tag: str | None = None,
) -> Summary:
    """Return an image summary of an array, of encoded image bytes, or of a matplotlib figure.

    Arrays are ``(batch, H, W, C)`` or ``(H, W, C)``, values in [0, 1] or
    uint8: they become the ``images`` plugin's string tensor
    ``[width, height, png_1, ..., png_n]``, one PNG per image of the batch,
    as TensorFlow 2 and R's tfevents write it. PNG (or JPEG) bytes are kept
    as they are, in a ``Summary.Image`` with ``width``, ``height`` and
    ``colorspace`` (1 grey, 2 grey+alpha, 3 RGB, 4 RGBA) read from them
    unless given; a figure is drawn into one. Every form carries the
    ``images`` plugin's metadata.

    >>> summary_image(np.zeros((2, 4, 6, 3))).value[0].tensor.string_val[:2]
    [b'6', b'4']
    """
    if isinstance(img, bytes):
        summary = Summary(value=[Summary.Value(image=_encoded_image(img, width, height, colorspace))])
    elif hasattr(img, "savefig"):
        summary = figure(_UNTAGGED, img, close=True, caller="summary_image")
    else:
        pixels = np.asarray(img)
        if pixels.ndim == 3:
            pixels = pixels[None]
        summary = image_tensor(_UNTAGGED, pixels, dataformats="NHWC", caller="summary_image")
    if not summary.value[0].HasField("metadata"):
        summary.value[0].metadata.CopyFrom(image_metadata())
    return _finish(summary, tag, metadata, "summary_image", "images")


_COLORSPACES = {"L": 1, "LA": 2, "RGB": 3, "RGBA": 4}


def _encoded_image(
    data: bytes, width: int | None, height: int | None, colorspace: int | None
) -> Summary.Image:
    try:
        with PIL.Image.open(io.BytesIO(data)) as opened:
            size, mode = opened.size, opened.mode
    except PIL.UnidentifiedImageError:
        raise ValueError(f"summary_image(img=...): expected PNG or JPEG bytes, got {data[:8]!r}...") from None
    except PIL.Image.DecompressionBombError as error:
        raise ValueError(f"summary_image(img=...): {bomb_message(error)}") from None
    return Summary.Image(
        width=size[0] if width is None else int(width),
        height=size[1] if height is None else int(height),
        colorspace=_COLORSPACES.get(mode, 3) if colorspace is None else int(colorspace),
        encoded_image_string=data,
    )


def summary_audio(
    audio_data: Any,
    sample_rate: float = 44100,
    *,
    metadata: SummaryMetadata | None = None,
    tag: str | None = None,
) -> Summary:
    """Return an audio summary of one clip or a batch of clips, samples in [-1, 1] or WAV bytes.

    Arrays are ``(batch, samples, channels)`` (as R's tfevents has them),
    ``(samples, channels)`` or ``(samples,)``; bytes are one WAV file, and a
    list of bytes a batch of them. A batch shows as one event with several clips.

    >>> summary_audio(np.zeros((2, 800, 1)), sample_rate=8000).value[0].tensor.tensor_shape.dim[0].size
    2
    """
    if isinstance(audio_data, (list, tuple)) and audio_data and all(isinstance(c, bytes) for c in audio_data):
        clips: list[Any] = list(audio_data)
    elif isinstance(audio_data, (bytes, bytearray, memoryview)):
        clips = [bytes(audio_data)]
    else:
        samples = as_array(audio_data, "summary_audio", "audio")
        if samples.ndim == 3:
            if len(samples) == 0:
                raise ValueError("summary_audio(audio=...): expected at least one clip, got a batch of 0")
            clips = list(samples)
        else:
            clips = [samples]
    parts = [audio(_UNTAGGED, clip, sample_rate, caller="summary_audio") for clip in clips]
    summary = parts[0]
    if len(parts) > 1:
        strings = [item for part in parts for item in part.value[0].tensor.string_val]
        tensor = summary.value[0].tensor
        tensor.tensor_shape.dim[0].size = len(parts)
        del tensor.string_val[:]
        tensor.string_val.extend(strings)
    return _finish(summary, tag, metadata, "summary_audio", "audio")


def hparams_hparam(
    name: str, domain: Any = None, display_name: str | None = None, description: str | None = None
) -> Any:
    """Return a hyperparameter declaration for :func:`~neuroboard.log_hparams_config`.

    ``domain`` is a list of values (str, bool or numbers), an interval
    ``(min_value, max_value)`` or ``{"min_value": ..., "max_value": ...}``, or ``None``.
    ``display_name`` and ``description`` default to ``name``, as in R.

    >>> hparams_hparam("dropout", {"min_value": 0, "max_value": 0.5}).domain_interval.max_value
    0.5
    >>> hparams_hparam("dropout").description
    'dropout'
    """
    if isinstance(domain, dict):
        if set(domain) != {"min_value", "max_value"}:
            raise TypeError(
                f"hparams_hparam(domain=...): expected a list of values, (min_value, max_value) "
                f"or a dict with exactly min_value and max_value, got {domain!r}"
            )
        domain = (domain["min_value"], domain["max_value"])
    elif domain is not None and not isinstance(domain, (list, tuple)):
        raise TypeError(
            f"hparams_hparam(domain=...): expected a list of values, (min_value, max_value) "
            f"or a dict with min_value and max_value, got {type(domain).__name__}"
        )
    elif isinstance(domain, tuple) and len(domain) != 2:
        raise ValueError(
            f"hparams_hparam(domain=...): a tuple is an interval (min_value, max_value); "
            f"give discrete values as a list, got {domain!r}"
        )
    return hparam(
        name,
        domain,
        name if display_name is None else display_name,
        name if description is None else description,
        func="hparams_hparam",
    )


def hparams_metric(
    tag: str,
    group: str | None = None,
    display_name: str | None = None,
    description: str | None = None,
    dataset_type: str | None = None,
) -> Any:
    """Return a metric declaration (a scalar tag, in sub-run ``group``) for the HPARAMS tab.

    ``display_name`` and ``description`` default to ``tag``, as in R.

    >>> hparams_metric("loss", group="train").name.group
    'train'
    >>> hparams_metric("loss").display_name
    'loss'
    """
    return metric(
        tag,
        group,
        tag if display_name is None else display_name,
        tag if description is None else description,
        dataset_type,
        func="hparams_metric",
    )


def summary_hparams_config(
    hparams: Any, metrics: Any = (), time_created_secs: float | None = None
) -> Summary:
    """Return the experiment config summary: hyperparameters with their domains, and metrics.

    >>> summary_hparams_config([hparams_hparam("lr")], [hparams_metric("loss")]).value[0].tag
    '_hparams_/experiment'
    """
    return hparams_config(list(hparams), list(metrics), time_created_secs)


def summary_hparams(
    trial_id: str | None = None, time_created_secs: float | None = None, **hparams: Any
) -> Summary:
    """Return the summary that gives one run its hyperparameter values.

    ``trial_id`` names the session group; without it, the group is named by
    the hash of the values that TensorFlow's ``hp.hparams`` derives, so runs
    with the same values form one group (one row of the HPARAMS tab), as in
    TensorFlow and R.

    >>> summary_hparams(lr=0.1, optimizer="adam").value[0].tag
    '_hparams_/session_start_info'
    """
    if trial_id is None:
        group_name = session_group_name(hparams, func="summary_hparams", arg="hparams")
    elif isinstance(trial_id, str):
        group_name = trial_id
    else:
        raise TypeError(
            f"summary_hparams(trial_id=...): expected a str or None, got {type(trial_id).__name__}"
        )
    return session_start(
        hparams,
        group_name=group_name,
        start_time_secs=time_created_secs,
        func="summary_hparams",
        arg="hparams",
    )
