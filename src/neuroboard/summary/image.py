"""Images: the ``images`` plugin's name and metadata, and the Summary of an image, a batch or a figure.

Format: the legacy ``Summary.Value.image`` (height, width, colorspace and PNG
bytes), as torch and tensorboardX write it. TensorBoard's images plugin
reads it (it turns it into the plugin's ``[width, height, png]`` string
tensor when it loads the file), and so does every reader of the peers' files.
:func:`image_tensor` writes that string tensor itself, one PNG per image of
a batch, as TensorFlow 2 and R's tfevents do (the functional API's form).

Pixels: a uint8 array is taken as it is. Any other dtype (bool, int, float)
holds intensities in [0, 1]: they are multiplied by 255, rounded to the
nearest integer (halves to even), and clipped to 0..255; NaN becomes 0. So
0..255 integers must come as uint8, and data in any other range should be
stretched first with :func:`neuroboard.render.grid.equalize`.

PNG: :func:`encode_png` writes the file itself with zlib, unfiltered, at
compression level 1. Pillow's encoder (:func:`encode_png_reference`, the
reference the tests compare with) tries five row filters on every row and
costs 2 to 20 times more for the small images a training loop logs, for files
at best a third smaller.

Reading back (:func:`image_value`): the legacy form, and the plugin's
``[width, height, image, ...]`` string tensor that TensorFlow 2 writes and
TensorBoard converts the legacy form to. Pillow decodes the files.
"""

from __future__ import annotations

import io
import struct
import sys
import zlib
from collections.abc import Sequence
from typing import Any

import numpy as np
from tensorboard.compat.proto.tensor_pb2 import TensorProto
from tensorboard.compat.proto.tensor_shape_pb2 import TensorShapeProto
from tensorboard.compat.proto.types_pb2 import DT_STRING
from tensorboard.plugins.image.plugin_data_pb2 import ImagePluginData

from neuroboard.format.codec import Summary, SummaryMetadata
from neuroboard.render.grid import make_grid, transpose_layout
from neuroboard.summary.convert import as_array, as_tag, is_tensor
from neuroboard.summary.metadata import plugin_metadata
from neuroboard.summary.tensor import (
    as_summary_value,
    holding,
    stack_if_equal,
    string_array,
)

__all__ = [
    "PLUGIN_NAME",
    "bomb_message",
    "decode_image",
    "encode_png",
    "encode_png_reference",
    "figure",
    "image",
    "image_metadata",
    "image_tensor",
    "image_value",
    "images",
    "png_size",
    "to_uint8",
]

PLUGIN_NAME = "images"
PNG_COMPRESS_LEVEL = 1

IMAGE_FORMATS = ("CHW", "HWC", "HW")
BATCH_FORMATS = ("NCHW", "NHWC", "NHW")

# Summary.Image.colorspace and the PNG colour type, by number of channels.
_COLORSPACES = {1: 1, 3: 3, 4: 4}
_PNG_COLOR_TYPES = {1: 0, 3: 2, 4: 6}
_PILLOW_MODES = {1: "L", 3: "RGB", 4: "RGBA"}
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_IHDR = struct.Struct(">IIBBBBB")
_U32 = struct.Struct(">I")

ImageLike = Any
Figures = Any | Sequence[Any]


def image_metadata(display_name: str | None = None, description: str | None = None) -> SummaryMetadata:
    """Return the metadata TensorBoard gives an image once it has loaded it.

    :func:`image` writes none (the legacy form needs none); this is for
    readers and for writers of the plugin's tensor form.

    >>> image_metadata().plugin_data.plugin_name
    'images'
    """
    return plugin_metadata(
        PLUGIN_NAME, ImagePluginData(version=0).SerializeToString(), display_name, description
    )


def to_uint8(pixels: np.ndarray) -> np.ndarray:
    """Return a numeric array as uint8 pixels: uint8 as is, anything else as [0, 1] scaled by 255.

    >>> to_uint8(np.array([0.0, 0.5, 1.0, 2.0, -1.0, np.nan])).tolist()
    [0, 128, 255, 255, 0, 0]
    """
    if pixels.dtype == np.uint8:
        return pixels
    if pixels.dtype == np.bool_:
        return pixels.view(np.uint8) * np.uint8(255)
    # float64 holds x * 255 exactly for every float32 or float16 x, so the
    # rounding is the same whatever the input's precision.
    scaled = np.multiply(pixels, 255.0, dtype=np.float64)
    np.rint(scaled, out=scaled)
    # fmax/fmin, unlike clip, send NaN to the bound.
    np.fmax(scaled, 0.0, out=scaled)
    np.fmin(scaled, 255.0, out=scaled)
    return scaled.astype(np.uint8)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return _U32.pack(len(data)) + kind + data + _U32.pack(zlib.crc32(data, zlib.crc32(kind)))


def _check_pixels(pixels: np.ndarray, func: str) -> tuple[int, int, int]:
    if (
        pixels.dtype != np.uint8
        or pixels.ndim != 3
        or pixels.shape[2] not in _COLORSPACES
        or 0 in pixels.shape
    ):
        raise ValueError(
            f"{func}(pixels=...): expected uint8 (H, W, C) with C = 1, 3 or 4 and H, W >= 1, "
            f"got {pixels.dtype} of shape {pixels.shape}"
        )
    return pixels.shape


def encode_png(pixels: np.ndarray, compress_level: int = PNG_COMPRESS_LEVEL) -> bytes:
    """Return the PNG file of uint8 (H, W, C) pixels, C = 1 (grey), 3 (RGB) or 4 (RGBA).

    >>> encode_png(np.zeros((2, 3, 1), dtype=np.uint8))[:8]
    b'\\x89PNG\\r\\n\\x1a\\n'
    """
    height, width, channels = _check_pixels(pixels, "encode_png")
    # Each PNG row starts with its filter type; 0 means unfiltered.
    rows = np.zeros((height, width * channels + 1), dtype=np.uint8)
    rows[:, 1:] = pixels.reshape(height, width * channels)
    header = _IHDR.pack(width, height, 8, _PNG_COLOR_TYPES[channels], 0, 0, 0)
    return b"".join(
        (
            _PNG_SIGNATURE,
            _chunk(b"IHDR", header),
            _chunk(b"IDAT", zlib.compress(rows.data, compress_level)),
            _chunk(b"IEND", b""),
        )
    )


def png_size(data: bytes) -> tuple[int, int] | None:
    """Return ``(width, height)`` from the header of a PNG file, or None for bytes that are not one.

    Only the header is read: the IHDR chunk comes first, at a fixed offset.

    >>> png_size(encode_png(np.zeros((2, 3, 1), dtype=np.uint8)))
    (3, 2)
    """
    if data[:8] != _PNG_SIGNATURE or data[12:16] != b"IHDR" or len(data) < 24:
        return None
    width, height = _U32.unpack_from(data, 16)[0], _U32.unpack_from(data, 20)[0]
    return width, height


def encode_png_reference(pixels: np.ndarray) -> bytes:
    """Return the PNG file of uint8 (H, W, C) pixels as Pillow writes it: the reference for :func:`encode_png`.

    >>> encode_png_reference(np.zeros((2, 3, 3), dtype=np.uint8))[:8]
    b'\\x89PNG\\r\\n\\x1a\\n'
    """
    from PIL import Image

    _, _, channels = _check_pixels(pixels, "encode_png_reference")
    buffer = io.BytesIO()
    mode = _PILLOW_MODES[channels]
    Image.fromarray(np.ascontiguousarray(pixels[..., 0] if channels == 1 else pixels), mode=mode).save(
        buffer, format="PNG"
    )
    return buffer.getvalue()


def _summary(tag: str, pixels: np.ndarray) -> Summary:
    height, width, channels = pixels.shape
    encoded = Summary.Image(
        height=height, width=width, colorspace=_COLORSPACES[channels], encoded_image_string=encode_png(pixels)
    )
    return Summary(value=[Summary.Value(tag=tag, image=encoded)])


def _as_numeric(value: Any, caller: str, arg: str) -> np.ndarray:
    # NumPy has no bfloat16 or float8: widen those tensors before converting.
    if is_tensor(value) and str(value.dtype).startswith(("torch.bfloat16", "torch.float8")):
        value = value.detach().float()
    return as_array(value, caller, arg, dtype=None)


def _check_dataformats(dataformats: Any, allowed: tuple[str, ...], caller: str) -> str:
    if isinstance(dataformats, str) and dataformats.upper() in allowed:
        return dataformats.upper()
    choices = ", ".join(repr(name) for name in allowed[:-1]) + f" or {allowed[-1]!r}"
    raise ValueError(f"{caller}(dataformats=...): expected {choices}, got {dataformats!r}")


def _as_nhwc(value: Any, dataformats: str, caller: str, arg: str) -> np.ndarray:
    """Return ``value`` checked against ``dataformats`` and laid out as uint8 (N, H, W, C)."""
    array = _as_numeric(value, caller, arg)
    form = f"({', '.join(dataformats)})"
    where = f"{caller}({arg}=...): expected {form}"
    if array.ndim != len(dataformats):
        raise ValueError(f"{where} for dataformats {dataformats!r}, got shape {array.shape}")
    sizes = dict(zip(dataformats, array.shape))
    if sizes.get("C", 1) not in _COLORSPACES:
        raise ValueError(
            f"{where} with C = 1, 3 or 4 for dataformats {dataformats!r}, got shape {array.shape}"
        )
    if sizes["H"] < 1 or sizes["W"] < 1:
        raise ValueError(f"{where} with H, W >= 1 for dataformats {dataformats!r}, got shape {array.shape}")
    if sizes.get("N", 1) < 1:
        raise ValueError(f"{where} with N >= 1 for dataformats {dataformats!r}, got shape {array.shape}")
    return to_uint8(transpose_layout(array, dataformats, "NHWC"))


def image(
    tag: str, img: ImageLike, dataformats: str = "CHW", *, caller: str = "add_image", arg: str = "img"
) -> Summary:
    """Return a Summary holding one image as PNG.

    ``img`` is a NumPy array, a nested list or a torch tensor laid out as
    ``dataformats``: ``"CHW"``, ``"HWC"`` or ``"HW"`` (any case), with 1
    (grey), 3 (RGB) or 4 (RGBA) channels. uint8 values are pixels as they
    are; any other dtype holds intensities in [0, 1], scaled by 255, rounded
    and clipped to 0..255. Errors name ``caller`` and ``arg``, the argument
    that held the image.

    >>> summary = image("digit", np.eye(8), dataformats="HW")
    >>> summary.value[0].image.width, summary.value[0].image.colorspace
    (8, 1)
    """
    tag = as_tag(tag, caller)
    dataformats = _check_dataformats(dataformats, IMAGE_FORMATS, caller)
    return _summary(tag, _as_nhwc(img, dataformats, caller, arg)[0])


def images(
    tag: str, imgs: ImageLike, dataformats: str = "NCHW", *, caller: str = "add_images", arg: str = "imgs"
) -> Summary:
    """Return a Summary holding a batch of images tiled into one grid image.

    ``imgs`` is laid out as ``dataformats``: ``"NCHW"``, ``"NHWC"`` or
    ``"NHW"``; pixel values follow :func:`image`. The grid is
    :func:`neuroboard.render.grid.make_grid` with its defaults: up to 8
    images per row (``ceil(sqrt(N))`` past 64), 2 black pixels between tiles.

    >>> summary = images("batch", np.zeros((16, 3, 4, 4)))
    >>> summary.value[0].image.width, summary.value[0].image.height
    (46, 10)
    """
    tag = as_tag(tag, caller)
    dataformats = _check_dataformats(dataformats, BATCH_FORMATS, caller)
    return _summary(tag, make_grid(_as_nhwc(imgs, dataformats, caller, arg)))


def image_tensor(
    tag: str, imgs: ImageLike, dataformats: str = "NHWC", *, caller: str = "summary_image", arg: str = "img"
) -> Summary:
    """Return a Summary holding a batch of images as the images plugin's string tensor, one PNG each.

    The tensor is ``[width, height, png_1, ..., png_n]``, the sizes in ASCII
    decimal (``b"6"``), as ``tf.summary.image`` writes it and tbparse reads
    it, with the plugin's metadata. ``imgs`` is laid out as ``dataformats``
    (``"NHWC"``, ``"NCHW"`` or ``"NHW"``); pixel values follow :func:`image`.

    >>> tensor = image_tensor("batch", np.zeros((2, 4, 6, 3))).value[0].tensor
    >>> tensor.string_val[:2], len(tensor.string_val)
    ([b'6', b'4'], 4)
    """
    tag = as_tag(tag, caller)
    dataformats = _check_dataformats(dataformats, BATCH_FORMATS, caller)
    pixels = _as_nhwc(imgs, dataformats, caller, arg)
    _, height, width, _ = pixels.shape
    strings = [str(width).encode(), str(height).encode(), *(encode_png(item) for item in pixels)]
    tensor = TensorProto(
        dtype=DT_STRING,
        tensor_shape=TensorShapeProto(dim=[TensorShapeProto.Dim(size=len(strings))]),
        string_val=strings,
    )
    return Summary(value=[Summary.Value(tag=tag, tensor=tensor, metadata=image_metadata())])


def _render(fig: Any) -> np.ndarray:
    """Return ``fig`` drawn by matplotlib's Agg renderer as uint8 (H, W, 4)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = fig.canvas
    if isinstance(canvas, FigureCanvasAgg):
        canvas.draw()
        return np.array(canvas.buffer_rgba())
    # A figure shown by a non-Agg backend (macosx, a web canvas) is drawn
    # through a borrowed Agg canvas, and gets its own canvas back after.
    try:
        agg = FigureCanvasAgg(fig)
        agg.draw()
        return np.array(agg.buffer_rgba())
    finally:
        fig.set_canvas(canvas)


def _pad_to(pixels: np.ndarray, height: int, width: int) -> np.ndarray:
    if pixels.shape[:2] == (height, width):
        return pixels
    padded = np.zeros((height, width, pixels.shape[2]), dtype=pixels.dtype)
    padded[: pixels.shape[0], : pixels.shape[1]] = pixels
    return padded


def figure(tag: str, figure: Figures, close: bool = True, *, caller: str = "add_figure") -> Summary:
    """Return a Summary holding a matplotlib figure, or a list of figures tiled as a grid, as PNG.

    Figures are drawn with matplotlib's Agg renderer at their own size and
    dpi; figures of different sizes are aligned top left in grid cells of
    the largest size, with transparent padding. The image is RGB when every
    pixel is opaque, RGBA otherwise. With ``close`` the figures are closed
    in pyplot afterwards, as the peers do.

    >>> from matplotlib.figure import Figure
    >>> figure("plot", Figure(figsize=(2, 1), dpi=50)).value[0].image.width
    100
    """
    tag = as_tag(tag, caller)
    try:
        from matplotlib.figure import Figure
    except ImportError as error:
        raise ImportError(f"{caller} draws matplotlib figures: pip install matplotlib") from error
    figures = list(figure) if isinstance(figure, (list, tuple)) else [figure]
    if not figures or not all(isinstance(item, Figure) for item in figures):
        kinds = ", ".join(sorted({type(item).__name__ for item in figures})) or "an empty list"
        raise TypeError(
            f"{caller}(figure=...): expected a matplotlib Figure or a non-empty list of Figures, got {kinds}"
        )
    try:
        drawn = [_render(item) for item in figures]
    finally:
        # A figure can only be open in pyplot if pyplot was imported; importing
        # it here would pick a GUI backend as a side effect.
        pyplot = sys.modules.get("matplotlib.pyplot")
        if close and pyplot is not None:
            for item in figures:
                pyplot.close(item)
    if len(drawn) == 1:
        pixels = drawn[0]
    else:
        height = max(item.shape[0] for item in drawn)
        width = max(item.shape[1] for item in drawn)
        pixels = make_grid(np.stack([_pad_to(item, height, width) for item in drawn]))
    if (pixels[..., 3] == 255).all():
        pixels = np.ascontiguousarray(pixels[..., :3])
    return _summary(tag, pixels)


def _as_stored(picture: Any) -> np.ndarray:
    """Return a Pillow image as uint8 (H, W, C): grey, RGB and RGBA as they are, other modes widened."""
    if picture.mode in ("I", "I;16", "I;16B", "I;16L"):
        # 16-bit grey: 257 maps 0..65535 onto 0..255, as 8-bit grey is widened to 16.
        grey = np.rint(np.asarray(picture, dtype=np.float64) / 257)
        return np.clip(grey, 0, 255).astype(np.uint8)[..., np.newaxis]
    if picture.mode == "1":
        picture = picture.convert("L")
    elif picture.mode not in _PILLOW_MODES.values():
        alpha = "A" in picture.getbands() or "transparency" in picture.info
        picture = picture.convert("RGBA" if alpha else "RGB")
    pixels = np.asarray(picture, dtype=np.uint8)
    return pixels[..., np.newaxis] if pixels.ndim == 2 else pixels


def _decode(data: bytes, where: str) -> np.ndarray:
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as picture:
            picture.load()
            return _as_stored(picture)
    except Image.DecompressionBombError as error:
        raise ValueError(f"{where}: {bomb_message(error)}") from None
    except (OSError, SyntaxError, ValueError) as error:
        raise ValueError(
            f"{where}: expected PNG or JPEG bytes, got {len(data)} bytes starting {data[:8]!r} ({error})"
        ) from None


def bomb_message(error: Exception) -> str:
    """Return why Pillow refused to open an image (``DecompressionBombError``), with the cap it applies.

    >>> from PIL import Image
    >>> bomb_message(Image.DecompressionBombError("too big")).startswith("expected an image of at most")
    True
    """
    from PIL import Image

    return (
        f"expected an image of at most {2 * Image.MAX_IMAGE_PIXELS:,} pixels (Pillow's limit), got: {error}"
    )


def decode_image(data: bytes) -> np.ndarray:
    """Return the pixels of an image file (PNG, JPEG, ...) as uint8 (H, W, C), C = 1, 3 or 4.

    Grey, RGB and RGBA come back as stored; 16-bit grey is scaled to 8 bits,
    palette and other modes become RGB, or RGBA when they carry transparency.

    >>> decode_image(encode_png(np.full((2, 3, 1), 7, dtype=np.uint8))).shape
    (2, 3, 1)
    """
    return _decode(bytes(data), "decode_image(data=...)")


def _encoded_images(value: Summary.Value) -> list[bytes]:
    """Return the image files of the plugin's ``[width, height, image, ...]`` string tensor."""
    strings = string_array(value, "image_value")
    if strings.ndim != 1 or len(strings) < 2:
        raise ValueError(
            "image_value(value=...): expected a 1-D string tensor [width, height, image, ...], "
            f"got shape {strings.shape}"
        )
    return strings[2:].tolist()


def image_value(value: Summary.Value) -> np.ndarray | list[np.ndarray]:
    """Return the image(s) a ``Summary.Value`` holds as uint8 pixels.

    One image comes back as (H, W, C), C = 1, 3 or 4 as stored (see
    :func:`decode_image`); several, from the plugin's tensor form, as
    (N, H, W, C) when they share a shape, else as a list of (H, W, C)
    arrays (an empty list when the tensor holds no image).

    >>> pixels = np.arange(24, dtype=np.uint8).reshape(2, 4, 3)
    >>> np.array_equal(image_value(image("i", pixels, dataformats="HWC").value[0]), pixels)
    True
    """
    value = as_summary_value(value, "image_value")
    kind = value.WhichOneof("value")
    if kind == "image":
        return _decode(value.image.encoded_image_string, "image_value(value=...)")
    if kind != "tensor":
        raise ValueError(
            f"image_value(value=...): expected a Summary.Value holding an image or a string tensor, got {holding(value)}"
        )
    return stack_if_equal([_decode(data, "image_value(value=...)") for data in _encoded_images(value)])
