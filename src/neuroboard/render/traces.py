"""Time series as line plots in RGB pixels, one colour per series. NumPy only.

Each column is drawn as one vertical span covering the line from this
column to the next and every sample falling in the column, so a long
series squeezed into few columns keeps its peaks, and a short one stretched
over many columns stays connected.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from neuroboard.render.limits import check_pixels

__all__ = ["TRACE_COLORS", "trace_image"]

# The Okabe-Ito colour-blind-safe palette, black moved last.
TRACE_COLORS = np.array(
    [
        (0, 114, 178),
        (213, 94, 0),
        (0, 158, 115),
        (204, 121, 167),
        (230, 159, 0),
        (86, 180, 233),
        (240, 228, 66),
        (0, 0, 0),
    ],
    dtype=np.uint8,
)


def _size(value: int, arg: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"trace_image({arg}=...): expected a positive integer, got {value!r}")
    return int(value)


def _limits(values: np.ndarray, vmin: float | None, vmax: float | None) -> tuple[float, float]:
    finite = values[np.isfinite(values)]
    low = float(vmin) if vmin is not None else float(finite.min()) if finite.size else 0.0
    high = float(vmax) if vmax is not None else float(finite.max()) if finite.size else 0.0
    if not low <= high:
        raise ValueError(f"trace_image(vmin=...): expected vmin <= vmax, got vmin={low} and vmax={high}")
    return low, high


def _column_spans(rows: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Return the lowest and highest (float) row the line covers in each column; NaN where it has none."""
    count = len(rows)
    if count == 1:
        return np.full(width, rows[0]), np.full(width, rows[0])
    xs = np.arange(count) * ((width - 1) / (count - 1)) if width > 1 else np.zeros(count)
    columns = np.arange(width, dtype=np.float64)
    at_column = np.interp(columns, xs, rows)
    # np.interp skips over NaN neighbours silently; a gap in the data should stay a gap.
    if np.isnan(rows).any():
        gap = np.interp(columns, xs, np.isnan(rows).astype(np.float64)) > 0
        at_column[gap] = np.nan
    following = np.append(at_column[1:], at_column[-1])
    # fmin/fmax let a column before a gap keep its own point; the gap's columns stay NaN.
    low = np.where(np.isnan(at_column), np.nan, np.fmin(at_column, following))
    high = np.where(np.isnan(at_column), np.nan, np.fmax(at_column, following))
    # Samples inside column c are those with c - 0.5 <= x < c + 0.5.
    column_of = np.floor(xs + 0.5).astype(np.intp)
    starts = np.searchsorted(column_of, np.arange(width))
    ends = np.searchsorted(column_of, np.arange(width), side="right")
    has = ends > starts
    if has.any():
        safe = np.minimum(starts, count - 1)
        low[has] = np.minimum(low[has], np.fmin.reduceat(rows, safe)[has])
        high[has] = np.maximum(high[has], np.fmax.reduceat(rows, safe)[has])
    return low, high


def trace_image(
    values: Any,
    *,
    width: int = 400,
    height: int = 120,
    vmin: float | None = None,
    vmax: float | None = None,
) -> np.ndarray:
    """Return one or more time series drawn as lines on white, as uint8 RGB pixels (height, width, 3).

    ``values`` is (T,) or (T, k): k series of T samples each, spread across
    the full width, series i in ``TRACE_COLORS[i % 8]`` and drawn over the
    earlier ones. ``vmin`` (bottom row) and ``vmax`` (top row) default to the
    finite extremes of all series; values outside are clipped to the edge.
    A constant plot lies on the middle row; NaN samples leave gaps. A
    ``width`` × ``height`` of more than :data:`~neuroboard.render.limits.MAX_PIXELS`
    is refused before anything is drawn.

    >>> img = trace_image([1.0, 1.0, 1.0], width=5, height=3)
    >>> img.shape, bool((img[1] == TRACE_COLORS[0]).all()), bool((img[[0, 2]] == 255).all())
    ((3, 5, 3), True, True)
    """
    array = np.asarray(values)
    if array.ndim not in (1, 2) or 0 in array.shape:
        raise ValueError(
            f"trace_image(values=...): expected a non-empty (T,) or (T, k) array, got shape {array.shape}"
        )
    if array.dtype.kind not in "biuf":
        raise TypeError(f"trace_image(values=...): expected a numeric array, got dtype {array.dtype}")
    width, height = _size(width, "width"), _size(height, "height")
    check_pixels(width, height, "trace_image", "height" if height > width else "width")
    array = array.astype(np.float64).reshape(array.shape[0], -1)
    low, high = _limits(array, vmin, vmax)
    if high > low:
        rows = np.clip((high - array) / (high - low) * (height - 1), 0, height - 1)
    else:
        rows = np.where(np.isnan(array), np.nan, (height - 1) // 2)

    pixels = np.full((height, width, 3), 255, dtype=np.uint8)
    row_index = np.arange(height, dtype=np.float64)[:, None]
    for series in range(rows.shape[1]):
        top, bottom = _column_spans(rows[:, series], width)
        # NaN bounds compare False, leaving those columns empty.
        drawn = (row_index >= np.floor(top + 0.5)) & (row_index <= np.floor(bottom + 0.5))
        pixels[drawn] = TRACE_COLORS[series % len(TRACE_COLORS)]
    return pixels
