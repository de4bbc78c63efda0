"""Images with boxes: bounding boxes and their labels drawn with Pillow on one image, as the peers draw them.

The drawing follows torch's and tensorboardX's, so that the pixels are theirs:

- The image becomes RGB (grey is repeated into three channels) or stays RGBA.
- A box ``[x1, y1, x2, y2]``, in pixels of the image as given, is a red
  (255, 0, 0) line 2 pixels wide along the closed path (x1, y1), (x1, y2),
  (x2, y2), (x2, y1); Pillow centres the width on the path.
- A label is black text in Pillow's default font (``ImageFont.load_default()``:
  Aileron at 10 px when Pillow has FreeType, a bitmap font otherwise) on a
  red rectangle as wide as the text, inside the box at its bottom-left corner:
  it rises from y2 by the text's height plus two margins of
  ``ceil(5% of the height)``, and the text starts one margin in.
- Last, the image is resized by ``rescale`` with Lanczos to
  ``int(W * rescale)`` × ``int(H * rescale)``, boxes and labels with it.

Where this differs from the peers, on purpose:

- A float image is rounded to 0..255 as :func:`~neuroboard.summary.image.to_uint8`
  rounds every image; the peers truncate, so their pixels may be one level lower.
- ``Summary.Image`` holds the PNG's own size; the peers write the size before ``rescale``.
- Labels whose count is not the number of boxes are refused; the peers drop all
  the labels (torch silently, tensorboardX with a logged warning).
- The PNG comes from :func:`~neuroboard.summary.image.encode_png`: other bytes, same pixels.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from neuroboard.format.codec import Summary
from neuroboard.render.grid import transpose_layout
from neuroboard.render.limits import check_pixels
from neuroboard.summary.convert import as_array, as_float, as_tag
from neuroboard.summary.image import _as_numeric, encode_png, to_uint8

__all__ = ["BOX_COLOUR", "LINE_WIDTH", "TEXT_COLOUR", "draw_boxes", "image_boxes"]

BOX_COLOUR = (255, 0, 0)
TEXT_COLOUR = (0, 0, 0)
LINE_WIDTH = 2
#: The label's margin, as a fraction of the text's height (rounded up to whole pixels).
LABEL_MARGIN = 0.05
#: The farthest a box corner may lie from the origin, in pixels.
MAX_COORDINATE = 2**31 - 1

_CHANNELS = (1, 3, 4)

Labels = str | Sequence[str] | None


@functools.cache
def _font() -> Any:
    from PIL import ImageFont

    return ImageFont.load_default()


def draw_boxes(pixels: np.ndarray, boxes: np.ndarray, labels: Sequence[str] | None = None) -> np.ndarray:
    """Return uint8 RGB or RGBA pixels ``(H, W, C)`` with red ``[x1, y1, x2, y2]`` boxes and labels drawn.

    >>> drawn = draw_boxes(np.zeros((8, 8, 3), dtype=np.uint8), np.array([[1, 1, 6, 6]]))
    >>> drawn[1, 3].tolist(), drawn[3, 3].tolist()
    ([255, 0, 0], [0, 0, 0])
    """
    from PIL import Image, ImageDraw

    picture = Image.fromarray(np.ascontiguousarray(pixels))
    pen = ImageDraw.Draw(picture)
    for index, (x1, y1, x2, y2) in enumerate(np.asarray(boxes, dtype=np.float64).tolist()):
        pen.line([(x1, y1), (x1, y2), (x2, y2), (x2, y1), (x1, y1)], fill=BOX_COLOUR, width=LINE_WIDTH)
        label = labels[index] if labels is not None else ""
        if not label:
            continue
        left, top, right, bottom = _font().getbbox(label)
        height = bottom - top
        margin = math.ceil(LABEL_MARGIN * height)
        pen.rectangle([(x1, y2 - height - 2 * margin), (x1 + right - left, y2)], fill=BOX_COLOUR)
        pen.text((x1 + margin, y2 - height - margin), label, fill=TEXT_COLOUR, font=_font())
    return np.asarray(picture)


def _as_image(img_tensor: Any, dataformats: Any, caller: str) -> np.ndarray:
    """Return the image checked against ``dataformats`` as uint8 (H, W, 3) or (H, W, 4)."""
    form = dataformats.upper() if isinstance(dataformats, str) else None
    if form is None or len(set(form)) != len(form) or set(form) not in ({"C", "H", "W"}, {"H", "W"}):
        raise ValueError(
            f"{caller}(dataformats=...): expected the letters C, H, W or H, W in any order, such as 'CHW', "
            f"'HWC' or 'HW', got {dataformats!r}"
        )
    array = _as_numeric(img_tensor, caller, "img_tensor")
    where = f"{caller}(img_tensor=...): expected ({', '.join(form)}) for dataformats {form!r}"
    if array.ndim != len(form):
        raise ValueError(f"{where}, got shape {array.shape}")
    sizes = dict(zip(form, array.shape))
    if sizes.get("C", 1) not in _CHANNELS:
        raise ValueError(f"{where} with C = 1, 3 or 4, got shape {array.shape}")
    if sizes["H"] < 1 or sizes["W"] < 1:
        raise ValueError(f"{where} with H, W >= 1, got shape {array.shape}")
    pixels = to_uint8(transpose_layout(array, form, "HWC"))
    if pixels.shape[2] == 1:
        pixels = np.repeat(pixels, 3, axis=2)
    return pixels


def _as_boxes(box_tensor: Any, caller: str) -> np.ndarray:
    boxes = as_array(box_tensor, caller, "box_tensor")
    if boxes.size == 0:
        return np.zeros((0, 4))
    if boxes.ndim != 2 or boxes.shape[1] != 4:
        raise ValueError(
            f"{caller}(box_tensor=...): expected (K, 4) rows of [x1, y1, x2, y2], got shape {boxes.shape}"
        )
    bad = int(np.count_nonzero(~np.isfinite(boxes)))
    if bad:
        raise ValueError(f"{caller}(box_tensor=...): expected finite coordinates, got {bad} NaN or infinite")
    # Pillow draws at integer positions: beyond 64 bits it fails with a SystemError.
    far = float(np.abs(boxes).max())
    if far > MAX_COORDINATE:
        raise ValueError(
            f"{caller}(box_tensor=...): expected coordinates within ±{MAX_COORDINATE:,} pixels, got {far:g}"
        )
    return boxes


def _as_labels(labels: Any, count: int, caller: str) -> list[str] | None:
    if labels is None:
        return None
    if isinstance(labels, str):
        labels = [labels]
    elif isinstance(labels, np.ndarray):
        labels = labels.tolist()
    elif not isinstance(labels, Sequence):
        raise TypeError(
            f"{caller}(labels=...): expected None, a str or a list of str, got {type(labels).__name__}"
        )
    kinds = sorted({type(label).__name__ for label in labels if not isinstance(label, str)})
    if kinds:
        raise TypeError(f"{caller}(labels=...): expected str labels, got {', '.join(kinds)}")
    if len(labels) != count:
        raise ValueError(f"{caller}(labels=...): expected {count} labels, one per box, got {len(labels)}")
    return list(labels)


def _as_size(rescale: Any, height: int, width: int, caller: str) -> tuple[int, int]:
    """Return the (width, height) the image is resized to, ``int(side * rescale)`` as the peers size it."""
    if isinstance(rescale, (bool, np.bool_)):
        raise TypeError(f"{caller}(rescale=...): expected a real number, got bool")
    if isinstance(rescale, str):
        # tensorboardX's sixth argument is dataformats, torch's (and ours) is rescale.
        raise TypeError(
            f"{caller}(rescale=...): expected a real number, got str {rescale!r}: pass dataformats by keyword"
        )
    factor = as_float(rescale, caller, "rescale")
    if not (math.isfinite(factor) and factor > 0):
        raise ValueError(f"{caller}(rescale=...): expected a finite number > 0, got {rescale!r}")
    size = (int(width * factor), int(height * factor))
    if min(size) < 1:
        raise ValueError(
            f"{caller}(rescale=...): expected a factor that leaves at least 1 pixel a side of the "
            f"{height} × {width} image, got {rescale!r}"
        )
    check_pixels(size[0], size[1], caller, "rescale")
    return size


def image_boxes(
    tag: str,
    img_tensor: Any,
    box_tensor: Any,
    rescale: float = 1,
    dataformats: str = "CHW",
    labels: Labels = None,
    *,
    caller: str = "add_image_with_boxes",
) -> Summary:
    """Return a Summary holding one image, as PNG, with bounding boxes and their labels drawn on it.

    ``img_tensor`` is laid out as ``dataformats`` (the letters C, H, W or H,
    W in any order), 1, 3 or 4 channels; uint8 values are pixels, any other
    dtype holds intensities in [0, 1]. ``box_tensor`` is (K, 4) rows of
    ``[x1, y1, x2, y2]`` in pixels; ``labels`` one str per box (or one str for
    one box). ``rescale`` resizes the drawn image.

    >>> img = np.zeros((3, 32, 48))
    >>> value = image_boxes("cars", img, [[2, 2, 20, 20]], rescale=2, labels=["car"]).value[0]
    >>> value.image.width, value.image.height, value.image.colorspace
    (96, 64, 3)
    """
    tag = as_tag(tag, caller)
    pixels = _as_image(img_tensor, dataformats, caller)
    boxes = _as_boxes(box_tensor, caller)
    labels = _as_labels(labels, len(boxes), caller)
    height, width, channels = pixels.shape
    size = _as_size(rescale, height, width, caller)
    drawn = draw_boxes(pixels, boxes, labels)
    if size != (width, height):
        from PIL import Image

        drawn = np.asarray(Image.fromarray(drawn).resize(size, Image.Resampling.LANCZOS))
    encoded = Summary.Image(
        height=drawn.shape[0],
        width=drawn.shape[1],
        colorspace=channels,
        encoded_image_string=encode_png(drawn),
    )
    return Summary(value=[Summary.Value(tag=tag, image=encoded)])
