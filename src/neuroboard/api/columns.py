"""The columns ``collect_events(columns=...)`` adds: where each row was read, and what its value says of itself.

Every table can name each row's run folder as tbparse does (``dir_name``:
the run, but ``""`` for the logdir itself) and its event file (``file_name``,
the file's base name). The summary table can also give a value's
``display_name`` and ``description`` (from the first metadata of its tag in
its run, as TensorBoard keeps it), and the facts tbparse's
``extra_columns`` offers per kind, read from the value's fields or from a
header, never by decoding pixels or samples:

- histograms: ``min``, ``max``, ``num``, ``sum``, ``sum_squares`` as the
  ``histo`` proto stores them; from the plugin's ``(k, 3)`` tensor, the
  lowest left edge, the highest right edge and the sum of the counts (it
  has no sum or sum of squares: NaN), as tbparse's ``tensor_to_histogram``
  gives them;
- images: ``width`` and ``height`` as stored (the legacy image's fields, or
  the first two strings of the plugin's tensor), else from the first
  image's PNG header;
- audio: ``content_type``, ``length_frames`` and ``sample_rate`` as the
  legacy ``Summary.Audio`` stores them, or from the first clip's WAV header.

Rows of another kind hold NaN (``<NA>`` in the integer columns).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import pandas as pd

from neuroboard.format.codec import Summary
from neuroboard.summary.audio import parse_wav
from neuroboard.summary.image import png_size
from neuroboard.summary.tensor import tensor_array

__all__ = ["EXTRA_COLUMNS", "check_columns", "dir_name", "extra_columns"]

_NAN = math.nan


def dir_name(run: str) -> str:
    """Return tbparse's ``dir_name`` of a run: the run's folder relative to the logdir, ``""`` for the logdir.

    >>> dir_name("."), dir_name("train/a")
    ('', 'train/a')
    """
    return "" if run == "." else run


def _where(entry: Any) -> tuple[str, ...]:
    return (dir_name(entry.run),)


def _file(entry: Any) -> tuple[str, ...]:
    return (os.path.basename(entry.path),)


def _described(entry: Any) -> tuple[str, str]:
    metadata = entry.metadata
    if metadata is None:
        return "", ""
    return metadata.display_name, metadata.summary_description


def _histogram(entry: Any) -> tuple[float, ...]:
    value: Summary.Value = entry.value
    kind = value.WhichOneof("value")
    if kind == "histo":
        h = value.histo
        return h.min, h.max, h.num, h.sum, h.sum_squares
    if kind != "tensor" or entry.plugin != "histograms":
        return _NAN, _NAN, _NAN, _NAN, _NAN
    try:
        buckets = tensor_array(value.tensor, "collect_events")
    except ValueError:
        return _NAN, _NAN, _NAN, _NAN, _NAN
    if buckets.ndim != 2 or buckets.shape[1] != 3 or buckets.dtype.kind not in "biuf":
        return _NAN, _NAN, _NAN, _NAN, _NAN
    if not len(buckets):
        return _NAN, _NAN, 0.0, _NAN, _NAN
    return float(buckets[0, 0]), float(buckets[-1, 1]), float(buckets[:, 2].sum()), _NAN, _NAN


def _image(entry: Any) -> tuple[int | None, int | None]:
    value: Summary.Value = entry.value
    kind = value.WhichOneof("value")
    if kind == "image":
        return value.image.width, value.image.height
    if kind != "tensor" or entry.plugin != "images":
        return None, None
    strings = value.tensor.string_val
    # A PNG says its own size. R's tfevents writes the sizes as one raw byte each, and a size of
    # 48 to 57 is then a decimal digit: the stored strings are trusted only for other encodings.
    size = png_size(strings[2]) if len(strings) > 2 else None
    if size is not None:
        return size
    if len(strings) >= 2 and strings[0].isdigit() and strings[1].isdigit():
        return int(strings[0]), int(strings[1])
    return None, None


def _audio(entry: Any) -> tuple[str | None, int | None, float]:
    value: Summary.Value = entry.value
    kind = value.WhichOneof("value")
    if kind == "audio":
        clip = value.audio
        return clip.content_type, clip.length_frames, clip.sample_rate
    strings = value.tensor.string_val if kind == "tensor" and entry.plugin == "audio" else ()
    if not strings:
        return None, None, _NAN
    try:
        # The header only: what a player reads before any sample.
        _code, channels, width, rate, samples = parse_wav(strings[0])
    except ValueError:
        return None, None, _NAN
    return "audio/wav", len(samples) // (width * channels), float(rate)


_FLOAT, _INT, _STR = np.float64, "Int64", "str"

# Each group of columns, its dtypes, and the function that gives them for one row.
_GROUPS: tuple[tuple[tuple[str, ...], tuple[Any, ...], Callable[[Any], tuple]], ...] = (
    (("dir_name",), (_STR,), _where),
    (("file_name",), (_STR,), _file),
    (("display_name", "description"), (_STR, _STR), _described),
    (("min", "max", "num", "sum", "sum_squares"), (_FLOAT,) * 5, _histogram),
    (("width", "height"), (_INT, _INT), _image),
    (("content_type", "length_frames", "sample_rate"), (_STR, _INT, _FLOAT), _audio),
)
_EVERY_TABLE = ("dir_name", "file_name")

#: The columns ``collect_events(columns=...)`` can add to each type's table, in the order they come.
EXTRA_COLUMNS: dict[str, tuple[str, ...]] = {
    "any": _EVERY_TABLE,
    "summary": tuple(name for names, _dtypes, _func in _GROUPS for name in names),
    "scalar": _EVERY_TABLE,
}


def check_columns(columns: Any, type: str, own: Iterable[str]) -> tuple[str, ...]:
    """Return the extra columns ``columns`` names for ``type``'s table, in table order; raise on others.

    ``own`` are the table's default columns: naming one (``"wall_time"``, say) adds nothing.

    >>> check_columns({"wall_time", "file_name", "dir_name"}, "scalar", ["run", "wall_time"])
    ('dir_name', 'file_name')
    """
    if columns is None:
        return ()
    names = (
        (columns,) if isinstance(columns, str) else tuple(columns) if isinstance(columns, Iterable) else None
    )
    if names is None:
        raise TypeError(
            f"collect_events(columns=...): expected a column name or a list of them, got {columns.__class__.__name__}"
        )
    for name in names:
        if not isinstance(name, str):
            raise TypeError(
                f"collect_events(columns=...): expected column names (str), got an item {name!r} "
                f"({name.__class__.__name__})"
            )
    allowed = EXTRA_COLUMNS[type]
    own = tuple(own)
    unknown = [name for name in names if name not in allowed and name not in own]
    if unknown:
        raise ValueError(
            f"collect_events(columns=...): expected names among {', '.join(map(repr, allowed))} "
            f"for type={type!r} (or of its own columns: {', '.join(own)}), got {unknown[0]!r}"
        )
    return tuple(name for name in allowed if name in names)


def extra_columns(entries: list[Any], columns: tuple[str, ...]) -> dict[str, Any]:
    """Return the ``columns`` (from :func:`check_columns`) of the rows ``entries``, as arrays by name.

    An entry has ``run`` and ``path``; a summary entry also ``value``, ``plugin`` and ``metadata``
    (see :class:`~neuroboard.io.logdir.SummaryEntry`).

    >>> from neuroboard.io.logdir import EventEntry
    >>> out = extra_columns([EventEntry(".", None, "/logs/events.out.tfevents.1.h")], ("dir_name", "file_name"))
    >>> out["dir_name"].tolist(), out["file_name"].tolist()
    ([''], ['events.out.tfevents.1.h'])
    """
    out: dict[str, Any] = {}
    for names, dtypes, func in _GROUPS:
        if not any(name in columns for name in names):
            continue
        rows = [func(entry) for entry in entries]
        for index, (name, dtype) in enumerate(zip(names, dtypes)):
            if name in columns:
                found = [row[index] for row in rows]
                out[name] = np.array(found, dtype) if dtype is _FLOAT else pd.array(found, dtype=dtype)
    return out
