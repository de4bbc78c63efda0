"""Image arrays: contrast stretching, axis layouts and grids of tiles. NumPy only.

Nothing here knows PNG, Pillow or matplotlib: these functions take NumPy
arrays (or anything :func:`numpy.asarray` accepts) and return NumPy arrays,
so that the summary kinds, the neuro layer and the CLI can share them.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from neuroboard.render.limits import MAX_PIXELS

__all__ = ["MAX_DEFAULT_COLUMNS", "default_columns", "equalize", "make_grid", "transpose_layout"]

# torch's and tensorboardX's add_images put 8 images per row; we do the same
# up to 64 images, then switch to a near-square grid (see default_columns).
MAX_DEFAULT_COLUMNS = 8

_NUMERIC_KINDS = "biuf"


def _numeric(values: Any, func: str, arg: str) -> np.ndarray:
    array = np.asarray(values)
    if array.dtype.kind not in _NUMERIC_KINDS:
        raise TypeError(f"{func}({arg}=...): expected a numeric array, got dtype {array.dtype}")
    return array


def equalize(images: Any, per_image: bool = False) -> np.ndarray:
    """Return ``images`` stretched linearly from their [min, max] to [0, 1], as floats.

    With ``per_image`` each entry along axis 0 gets its own min and max.
    A constant image (max == min) becomes zeros, never NaN. Non-finite
    values take no part in the min and max; then NaN becomes 0, +inf 1 and
    -inf 0. The result is float32 for inputs that fit float32 exactly
    (bool, (u)int8/16, float16/32) and float64 otherwise.

    >>> equalize(np.array([[2, 4], [6, 10]])).tolist()
    [[0.0, 0.25], [0.5, 1.0]]
    >>> equalize([[1, 3], [5, 5]], per_image=True).tolist()
    [[0.0, 1.0], [0.0, 0.0]]
    """
    values = _numeric(images, "equalize", "images")
    if per_image and values.ndim == 0:
        raise ValueError("equalize(images=...): per_image=True needs images along axis 0, got a 0-d array")
    values = values.astype(np.result_type(values.dtype, np.float32), copy=False)
    axes = tuple(range(1, values.ndim)) if per_image else None
    finite = np.isfinite(values)
    all_finite = bool(finite.all())
    mask = True if all_finite else finite
    low = np.min(values, axis=axes, keepdims=True, initial=np.inf, where=mask)
    high = np.max(values, axis=axes, keepdims=True, initial=-np.inf, where=mask)
    span = high - low
    varies = span > 0
    # Dividing (rather than multiplying by 1 / span) keeps the maximum at exactly 1.
    low = np.where(varies, low, 0).astype(values.dtype, copy=False)
    out = np.zeros(values.shape, dtype=values.dtype)
    with np.errstate(invalid="ignore", over="ignore"):
        np.divide(values - low, span, out=out, where=varies)
    if not all_finite:
        np.clip(out, 0, 1, out=out)
        out[np.isnan(out)] = 0
    return out


def transpose_layout(array: Any, source: str, target: str) -> np.ndarray:
    """Return ``array``, whose axes are named by the letters of ``source``, with its axes in ``target`` order.

    Letters of ``target`` missing from ``source`` become axes of length 1,
    so ``"HW"`` to ``"HWC"`` adds a single channel. Returns a view when it can.

    >>> transpose_layout(np.zeros((3, 4, 5)), "CHW", "NHWC").shape
    (1, 4, 5, 3)
    """
    array = np.asarray(array)
    if len(set(source)) != len(source) or len(source) != array.ndim:
        raise ValueError(
            f"transpose_layout(source=...): expected {array.ndim} distinct letters for shape {array.shape}, got {source!r}"
        )
    if len(set(target)) != len(target) or not set(source) <= set(target):
        raise ValueError(
            f"transpose_layout(target=...): expected distinct letters including all of {source!r}, got {target!r}"
        )
    missing = "".join(letter for letter in target if letter not in source)
    expanded = array.reshape(array.shape + (1,) * len(missing))
    names = source + missing
    return expanded.transpose([names.index(letter) for letter in target])


def default_columns(count: int) -> int:
    """Return how many images per row :func:`make_grid` uses for ``count`` images by default.

    Up to 8 per row, as torch and tensorboardX lay out ``add_images``; past
    64 images, ``ceil(sqrt(count))`` per row, so a large batch stays near
    square instead of growing into a tall strip.

    >>> default_columns(3), default_columns(20), default_columns(100)
    (3, 8, 10)
    """
    if count <= MAX_DEFAULT_COLUMNS**2:
        return max(1, min(count, MAX_DEFAULT_COLUMNS))
    return math.isqrt(count - 1) + 1


def make_grid(images_nhwc: Any, ncols: int | None = None, padding: int = 2, pad_value: Any = 0) -> np.ndarray:
    """Return the N images of an (N, H, W, C) array tiled row by row into one (H', W', C) image.

    ``ncols`` images go in each row (default: :func:`default_columns`), with
    ``padding`` pixels of ``pad_value`` between neighbouring tiles and in the
    unused cells of the last row, but no border around the grid, so one
    image tiles into itself. The grid keeps the input's dtype. A grid of more
    than :data:`~neuroboard.render.limits.MAX_PIXELS` pixels that padding makes
    over four times the size of its images is refused before it is allocated.

    >>> grid = make_grid(np.ones((5, 2, 3, 1), dtype=np.uint8), ncols=2, padding=1)
    >>> grid.shape
    (8, 7, 1)
    """
    array = np.asarray(images_nhwc)
    if array.ndim != 4:
        raise ValueError(f"make_grid(images_nhwc=...): expected (N, H, W, C), got shape {array.shape}")
    count, height, width, channels = array.shape
    if count == 0:
        raise ValueError(
            f"make_grid(images_nhwc=...): expected (N, H, W, C) with N >= 1, got shape {array.shape}"
        )
    if ncols is None:
        ncols = default_columns(count)
    elif isinstance(ncols, (bool, np.bool_)) or not isinstance(ncols, (int, np.integer)) or ncols < 1:
        raise ValueError(f"make_grid(ncols=...): expected None or a positive int, got {ncols!r}")
    if isinstance(padding, (bool, np.bool_)) or not isinstance(padding, (int, np.integer)) or padding < 0:
        raise ValueError(f"make_grid(padding=...): expected a non-negative int, got {padding!r}")
    ncols = min(int(ncols), count)
    nrows = -(-count // ncols)
    cell_h, cell_w = height + padding, width + padding
    # The tiles themselves are already in memory; padding and empty cells may add to them only so much.
    drawn = nrows * ncols * cell_h * cell_w
    if drawn > max(MAX_PIXELS, 4 * count * height * width):
        raise ValueError(
            f"make_grid(padding=...): expected a grid of at most {MAX_PIXELS:,} pixels, or four times "
            f"those of its {count} images of {height} × {width}, got padding {padding} for "
            f"{nrows * cell_h - padding} × {ncols * cell_w - padding} pixels"
        )
    # Every tile gets its padding below and to the right; the grid then drops
    # the last row's and column's padding, which would be an outer border.
    cells = np.full((nrows * ncols, cell_h, cell_w, channels), pad_value, dtype=array.dtype)
    cells[:count, :height, :width] = array
    grid = cells.reshape(nrows, ncols, cell_h, cell_w, channels).transpose(0, 2, 1, 3, 4)
    grid = grid.reshape(nrows * cell_h, ncols * cell_w, channels)
    return np.ascontiguousarray(grid[: nrows * cell_h - padding, : ncols * cell_w - padding])
