"""Spike rasters as RGB pixels: time on x, neurons on y, neuron 0 at the top. NumPy only.

A raster comes either dense, as a (steps, neurons) array of spike flags or
counts, or as events, two 1-D integer arrays ``(steps, neurons)`` or one
(n, 2) integer array of (step, neuron) pairs. Both become flat pixel indices
and one :func:`numpy.bincount`, so a million spikes take milliseconds.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from neuroboard.render.limits import check_pixels

__all__ = ["raster_image"]

_EXPECTED = "expected a 2-D binary array or (steps, neurons) event lists"


def _size(value: int | None, default: int, arg: str) -> int:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"raster_image({arg}=...): expected a positive integer, got {value!r}")
    return int(value)


def _event_array(values: Any, what: str) -> np.ndarray:
    array = np.asarray(values)
    if array.size == 0:
        return array.astype(np.int64).ravel()
    if array.dtype.kind not in "iu":
        raise TypeError(f"raster_image(spikes=...): expected integer {what} indices, got dtype {array.dtype}")
    if array.min() < 0:
        raise ValueError(f"raster_image(spikes=...): {what} indices must be >= 0, got {array.min()}")
    return array.astype(np.int64, copy=False)


def _extent(given: int | None, largest: int, arg: str) -> int:
    if given is None:
        return largest + 1
    given = _size(given, 0, arg)
    if given <= largest:
        raise ValueError(
            f"raster_image({arg}=...): expected more than the largest index {largest}, got {given}"
        )
    return given


def _as_events(
    spikes: Any, n_steps: int | None, n_neurons: int | None, events: bool | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, int, int]:
    """Return (steps, neurons, weights or None, n_steps, n_neurons) for any accepted input."""
    if isinstance(spikes, tuple):
        if len(spikes) != 2 or events is False:
            raise ValueError(f"raster_image(spikes=...): {_EXPECTED}, got a tuple of {len(spikes)} items")
        steps, neurons = (np.asarray(part) for part in spikes)
        if steps.ndim != 1 or neurons.ndim != 1 or steps.shape != neurons.shape:
            raise ValueError(
                f"raster_image(spikes=...): {_EXPECTED} of equal length, "
                f"got shapes {steps.shape} and {neurons.shape}"
            )
        pairs = None
    else:
        array = np.asarray(spikes)
        if array.ndim != 2:
            raise ValueError(f"raster_image(spikes=...): {_EXPECTED}, got shape {array.shape}")
        pairs = events if events is not None else (array.shape[1] == 2 and array.dtype.kind in "iu")
        if pairs:
            steps, neurons = array[:, 0], array[:, 1]
    if pairs is None or pairs:
        steps, neurons = _event_array(steps, "step"), _event_array(neurons, "neuron")
        n_steps = _extent(n_steps, int(steps.max(initial=-1)), "n_steps")
        n_neurons = _extent(n_neurons, int(neurons.max(initial=-1)), "n_neurons")
        if n_steps == 0 or n_neurons == 0:
            raise ValueError(
                "raster_image(spikes=...): no events; pass n_steps and n_neurons to draw an empty raster"
            )
        return steps, neurons, None, n_steps, n_neurons

    if array.dtype.kind not in "biuf":
        raise TypeError(
            f"raster_image(spikes=...): expected a numeric or boolean array, got dtype {array.dtype}"
        )
    if 0 in array.shape:
        raise ValueError(
            f"raster_image(spikes=...): expected at least one step and one neuron, got shape {array.shape}"
        )
    for given, actual, arg in (
        (n_steps, array.shape[0], "n_steps"),
        (n_neurons, array.shape[1], "n_neurons"),
    ):
        if given is not None and given != actual:
            raise ValueError(
                f"raster_image({arg}=...): expected {actual} for spikes of shape {array.shape}, got {given}"
            )
    steps, neurons = np.nonzero(array)
    weights = array[steps, neurons].astype(np.float64)
    if not np.all(np.isfinite(weights)) or weights.min(initial=0) < 0:
        raise ValueError("raster_image(spikes=...): expected finite, non-negative spike counts")
    return steps, neurons, weights, array.shape[0], array.shape[1]


def raster_image(
    spikes: Any,
    *,
    n_neurons: int | None = None,
    n_steps: int | None = None,
    width: int | None = None,
    height: int | None = None,
    events: bool | None = None,
    line_size: float = 1.0,
) -> np.ndarray:
    """Return a spike raster as uint8 RGB pixels (height, width, 3): black spikes on white.

    ``spikes`` is a (steps, neurons) array of flags or counts, a tuple of two
    1-D integer arrays ``(steps, neurons)``, or an (n, 2) integer array of
    (step, neuron) pairs. An (n, 2) integer array is read as pairs unless
    ``events=False``; boolean and float arrays are always dense. Events give
    the raster's extent as their largest indices plus one, unless ``n_steps``
    and ``n_neurons`` say otherwise. ``width`` defaults to the number of steps
    and ``height`` to the number of neurons; a smaller size sums the spikes
    falling in each pixel, a larger one repeats pixels. Every pixel holding a
    spike is dark (below 128), the fullest black. An image of more than
    :data:`~neuroboard.render.limits.MAX_PIXELS` pixels is refused unless it
    is one pixel per entry of a dense array. ``line_size`` (0 < line_size <= 1)
    is the share of a neuron's rows a spike's mark covers, centred, when
    neurons take several rows (at least one row each).

    >>> img = raster_image(([0, 2, 2], [1, 0, 1]))
    >>> img.shape, img[..., 0].tolist()
    ((2, 3, 3), [[255, 255, 0], [0, 255, 0]])
    """
    given = {"width": width, "height": height, "n_steps": n_steps, "n_neurons": n_neurons, "spikes": spikes}
    steps, neurons, weights, n_steps, n_neurons = _as_events(spikes, n_steps, n_neurons, events)
    width = _size(width, n_steps, "width")
    height = _size(height, n_neurons, "height")
    # One pixel per entry of a dense array costs what the array does; a size asked for, or the extent of
    # events (a single spike at step 10**9), may be anything and is checked before pixels are allocated.
    sizing = ("width", "height") if weights is not None else tuple(given)
    asked = [arg for arg in sizing if given[arg] is not None]
    if asked:
        check_pixels(width, height, "raster_image", asked[0])
    # Bin at most one pixel per step (neuron); larger images repeat those bins.
    bins_x, bins_y = min(width, n_steps), min(height, n_neurons)
    flat = (neurons * bins_y // n_neurons) * bins_x + steps * bins_x // n_steps
    counts = np.bincount(flat, weights=weights, minlength=bins_x * bins_y).reshape(bins_y, bins_x)
    grey = np.full(counts.shape, 255, dtype=np.uint8)
    occupied = counts > 0
    if occupied.any():
        darkness = counts[occupied] / counts.max()
        grey[occupied] = np.rint(127 * (1 - darkness)).astype(np.uint8)
    if width > bins_x:
        grey = grey[:, np.arange(width) * bins_x // width]
    if height > bins_y:
        band = np.arange(height) * bins_y // height
        grey = grey[band]
        if line_size != 1.0:
            _thin(grey, band, bins_y, _line_size(line_size))
    return np.repeat(grey[:, :, None], 3, axis=2)


def _line_size(value: Any) -> float:
    real = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, (bool, np.bool_)
    )
    if not (real and 0 < value <= 1):
        raise ValueError(f"raster_image(line_size=...): expected a number in (0, 1], got {value!r}")
    return float(value)


def _thin(grey: np.ndarray, band: np.ndarray, bins: int, line_size: float) -> None:
    """Blank, in place, the rows of each band outside its centred ``line_size`` share (one row at least)."""
    rows = np.bincount(band, minlength=bins)
    first = np.concatenate(([0], np.cumsum(rows)[:-1]))
    marked = np.maximum(1, np.rint(line_size * rows)).astype(np.int64)
    start = (rows - marked) // 2
    offset = np.arange(len(band)) - first[band]
    keep = (offset >= start[band]) & (offset < start[band] + marked[band])
    grey[~keep] = 255
