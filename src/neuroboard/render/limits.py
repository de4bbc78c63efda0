"""The largest image the render functions draw when its size comes from the caller's arguments.

An image asked for by ``width``/``height`` (or by the extent of event lists)
is checked before anything is allocated, so a size typed in the wrong unit
gives a ValueError that says so, not a MemoryError. An image drawn one pixel
per entry of an array the caller already holds is not capped: its size is
that of the input.
"""

from __future__ import annotations

__all__ = ["MAX_PIXELS", "check_pixels"]

#: Pixels in one image asked for by its arguments: 4000 × 4000, eight times the 2000 × 1000 that
#: TensorboardWriter draws at most by default, and twice a 4K screen: 100 to 200 MB to draw.
MAX_PIXELS = 16_000_000


def check_pixels(width: int, height: int, func: str, arg: str) -> None:
    """Raise ValueError naming ``func(arg=...)`` when ``width`` × ``height`` is more than :data:`MAX_PIXELS`.

    >>> check_pixels(4000, 4000, "raster_image", "width")
    >>> check_pixels(100_000, 100_000, "raster_image", "width")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ValueError: raster_image(width=...): expected ... at most 16,000,000 pixels ..., got 100000 × 100000
    """
    if width * height > MAX_PIXELS:
        raise ValueError(
            f"{func}({arg}=...): expected an image of at most {MAX_PIXELS:,} pixels (width × height, "
            f"e.g. 4000 × 4000), got {width} × {height}"
        )
