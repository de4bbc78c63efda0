"""Heatmaps as RGB pixels through a 256-entry viridis-like colormap. NumPy only.

The colormap is rebuilt from a few anchor colours sampled along viridis
(dark purple, blue, teal, green, yellow) by linear interpolation in RGB. The
anchors' luminance rises from one to the next, so brighter means larger.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from neuroboard.render.limits import check_pixels

__all__ = ["NAN_COLOR", "VIRIDIS", "heatmap_image", "viridis_lut"]

_ANCHORS = np.array(
    [
        (68, 1, 84),
        (71, 44, 122),
        (59, 82, 139),
        (44, 114, 142),
        (33, 145, 140),
        (39, 173, 129),
        (94, 201, 98),
        (170, 220, 50),
        (253, 231, 37),
    ],
    dtype=np.float64,
)

NAN_COLOR = np.array([128, 128, 128], dtype=np.uint8)

# Pixels between the heatmap and its colorbar, and the bar's own width.
_BAR_GAP = 2
_BAR_WIDTH = 6


def viridis_lut(n: int = 256) -> np.ndarray:
    """Return an (n, 3) uint8 colormap from dark purple to yellow, interpolated between anchor colours.

    >>> lut = viridis_lut()
    >>> lut.shape, lut[0].tolist(), lut[-1].tolist()
    ((256, 3), [68, 1, 84], [253, 231, 37])
    """
    where = np.linspace(0, 1, len(_ANCHORS))
    at = np.linspace(0, 1, n)
    channels = [np.interp(at, where, _ANCHORS[:, c]) for c in range(3)]
    return np.rint(np.stack(channels, axis=1)).astype(np.uint8)


VIRIDIS = viridis_lut()


def _size(value: int | None, default: int, arg: str) -> int:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"heatmap_image({arg}=...): expected a positive integer, got {value!r}")
    return int(value)


def _block_mean(values: np.ndarray, height: int, width: int) -> np.ndarray:
    """Return ``values`` shrunk to (height, width), no larger than it is: means of blocks ignoring NaN."""
    present = ~np.isnan(values)
    sums, counts = np.where(present, values, 0.0), present.astype(np.int64)
    for axis, size in ((0, height), (1, width)):
        n = values.shape[axis]
        if size < n:
            # Entry j goes to pixel j * size // n, the same rule as the raster's.
            starts = -(-np.arange(size) * n // size)
            sums = np.add.reduceat(sums, starts, axis=axis)
            counts = np.add.reduceat(counts, starts, axis=axis)
    means = np.full(sums.shape, np.nan)
    np.divide(sums, counts, out=means, where=counts > 0)
    return means


def _limits(
    values: np.ndarray, vmin: float | None, vmax: float | None, symmetric: bool
) -> tuple[float, float]:
    finite = values[np.isfinite(values)]
    low = float(vmin) if vmin is not None else float(finite.min()) if finite.size else 0.0
    high = float(vmax) if vmax is not None else float(finite.max()) if finite.size else 0.0
    if symmetric:
        high = max(abs(low), abs(high))
        low = -high
    if not low <= high:
        raise ValueError(f"heatmap_image(vmin=...): expected vmin <= vmax, got vmin={low} and vmax={high}")
    return low, high


def heatmap_image(
    values: Any,
    *,
    vmin: float | None = None,
    vmax: float | None = None,
    symmetric: bool = False,
    colorbar: bool = True,
    width: int | None = None,
    height: int | None = None,
) -> np.ndarray:
    """Return a (rows, cols) array coloured through :data:`VIRIDIS` as uint8 RGB pixels (H, W, 3).

    Row 0 is the top row. ``vmin`` and ``vmax`` default to the finite
    minimum and maximum; values outside are clipped. ``symmetric`` makes the
    limits -m and +m, m the largest of their magnitudes, for signed data.
    NaN is drawn grey (:data:`NAN_COLOR`); a constant input takes the lowest
    colour. ``width`` and ``height`` (of the heatmap itself) default to cols
    and rows; a smaller size averages blocks, ignoring NaN, a larger one
    repeats pixels. ``colorbar`` adds a strip on the right, vmax at its top.
    A ``width`` × ``height`` of more than :data:`~neuroboard.render.limits.MAX_PIXELS`
    is refused before anything is drawn.

    >>> img = heatmap_image([[0.0, 1.0]], colorbar=False)
    >>> img.shape, img[0, 0].tolist(), img[0, 1].tolist()
    ((1, 2, 3), [68, 1, 84], [253, 231, 37])
    """
    array = np.asarray(values)
    if array.ndim != 2 or 0 in array.shape:
        raise ValueError(
            f"heatmap_image(values=...): expected a non-empty 2-D array, got shape {array.shape}"
        )
    if array.dtype.kind not in "biuf":
        raise TypeError(f"heatmap_image(values=...): expected a numeric array, got dtype {array.dtype}")
    array = array.astype(np.float64)
    rows, cols = array.shape
    asked = [arg for arg, value in (("width", width), ("height", height)) if value is not None]
    height, width = _size(height, rows, "height"), _size(width, cols, "width")
    if asked:
        check_pixels(width, height, "heatmap_image", asked[0])
    # Colours are computed at most once per entry; a larger image repeats the coloured pixels.
    bins_h, bins_w = min(height, rows), min(width, cols)
    if (bins_h, bins_w) != (rows, cols):
        array = _block_mean(array, bins_h, bins_w)
    low, high = _limits(array, vmin, vmax, symmetric)

    index = np.zeros(array.shape, dtype=np.intp)
    nan = np.isnan(array)
    if high > low:
        scaled = np.where(nan, low, array)
        scaled = np.clip((scaled - low) / (high - low) * len(VIRIDIS), 0, len(VIRIDIS) - 1)
        index = scaled.astype(np.intp)
    pixels = VIRIDIS[index]
    pixels[nan] = NAN_COLOR
    if height > bins_h:
        pixels = pixels[np.arange(height) * bins_h // height]
    if width > bins_w:
        pixels = pixels[:, np.arange(width) * bins_w // width]
    if not colorbar:
        return pixels

    rows = height
    # vmax at the top row, vmin at the bottom one.
    bar_index = (
        np.rint(np.linspace(len(VIRIDIS) - 1, 0, rows)).astype(np.intp) if rows > 1 else [len(VIRIDIS) - 1]
    )
    bar = np.repeat(VIRIDIS[bar_index][:, None, :], _BAR_WIDTH, axis=1)
    gap = np.full((rows, _BAR_GAP, 3), 255, dtype=np.uint8)
    return np.concatenate([pixels, gap, bar], axis=1)
