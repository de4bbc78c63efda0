"""Video: a batch of clips as one animated GIF in the Images dashboard, as torch and tensorboardX log it.

Layout (the peers'): ``(N, T, C, H, W)`` clips are tiled frame by frame. N is
padded with black clips up to the next power of two, laid out in
``2 ** ((N.bit_length() - 1) // 2)`` rows with no padding between tiles, so
16 clips of 28 × 28 make 4 × 4 tiles, 112 × 112 pixels, and 3 clips make one
row of 4 tiles. Pixels are read as images are
(:func:`~neuroboard.summary.image.to_uint8`): uint8 as it is, any other dtype
as intensities in [0, 1].

Format: the legacy ``Summary.Image`` holding a GIF89a file, with the height,
width and channel count (``colorspace``) of one tiled frame, as the peers
write it. They encode with moviepy (and write an empty value when it is
missing); Pillow suffices here.

Palette: a GIF frame indexes a palette of at most 256 colours. One palette
serves the whole clip, so colours do not flicker from frame to frame. Grey
clips are exact, and so is any clip of at most 256 distinct colours (255 when
some pixels are transparent). A clip with more colours is quantized with
Pillow's fast octree: on 16 frames of 64 × 64, a smooth colour gradient comes
back within 7.5 levels per channel on average and 45 at worst, random noise
within 15 on average and 34 at worst (the tests hold these bounds, with a
margin). RGBA alpha becomes on or off, opaque from 128 up: GIF has one
transparent palette entry and no partial alpha.

Timing: GIF keeps a frame's delay in hundredths of a second, here
``round(100 / fps)``, at least 2 (browsers play a delay of 0 or 1 at 10 frames
per second) and at most 65535. So ``fps=4`` plays at exactly 4 frames per
second, ``fps=30`` at 33.3, and anything above 50 at 50.

Encoding: :func:`encode_gif` writes the GIF's blocks itself and has Pillow
compress each frame's palette indices (``GifImagePlugin.getdata``). Pillow's
animated-GIF writer (:func:`encode_gif_reference`, the reference the tests
compare with) merges identical consecutive frames into one longer frame, so a
still clip would not have T frames, and it quantizes every frame with median
cut, which takes about 100 ms for 16 noisy frames of 64 × 64.

Reading back (:func:`video_value`): a GIF comes back as uint8 frames
``(T, H, W, C)``, whatever the number of frames; any other image as
:func:`~neuroboard.summary.image.image_value` reads it.
"""

from __future__ import annotations

import io
import math
import struct
from typing import Any

import numpy as np
from tensorboard.compat.proto.types_pb2 import DT_STRING

from neuroboard.format.codec import Summary
from neuroboard.summary.convert import as_float, as_tag
from neuroboard.summary.image import _as_numeric, bomb_message, image_value, to_uint8
from neuroboard.summary.tensor import as_summary_value

__all__ = [
    "decode_gif",
    "encode_gif",
    "encode_gif_reference",
    "frame_delay",
    "tile_clips",
    "video",
    "video_value",
]

VIDEO_FORMAT = "NTCHW"
CHANNELS = (1, 3, 4)
#: Shortest and longest frame delay a GIF holds, in hundredths of a second (see the module's notes).
MIN_DELAY = 2
MAX_DELAY = 0xFFFF
#: GIF stores sizes in 16 bits.
MAX_SIDE = 0xFFFF
OPAQUE_FROM = 128

_GIF_SIGNATURES = (b"GIF87a", b"GIF89a")
_GREYS = np.repeat(np.arange(256, dtype=np.uint8)[:, np.newaxis], 3, axis=1)
_SCREEN = struct.Struct("<HHBBB")
_CONTROL = struct.Struct("<BBHBB")
# Application extension that makes browsers loop the clip forever (loop count 0).
_LOOP = b"!\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"
# Graphic control disposal: 1 leaves an opaque frame in place, 2 clears a transparent one before the next.
_KEEP, _CLEAR = 1, 2


def frame_delay(fps: Any, caller: str = "add_video") -> int:
    """Return the GIF frame delay in hundredths of a second for ``fps`` frames per second.

    >>> frame_delay(4), frame_delay(30), frame_delay(120)
    (25, 3, 2)
    """
    if isinstance(fps, (bool, np.bool_)):
        raise TypeError(f"{caller}(fps=...): expected a real number of frames per second, got bool")
    rate = as_float(fps, caller, "fps")
    if not (math.isfinite(rate) and rate > 0):
        raise ValueError(f"{caller}(fps=...): expected a finite number of frames per second > 0, got {fps!r}")
    delay = round(100 / rate)
    if delay > MAX_DELAY:
        raise ValueError(
            f"{caller}(fps=...): expected at least {100 / MAX_DELAY:.4f} frames per second "
            f"(GIF keeps a frame at most 655.35 s), got {fps!r}"
        )
    return max(MIN_DELAY, delay)


def _grid(count: int) -> tuple[int, int]:
    """Return the rows and columns of tiles for ``count`` clips: the peers' layout."""
    tiles = 1 << (count - 1).bit_length()
    rows = 1 << ((count.bit_length() - 1) // 2)
    return rows, tiles // rows


def tile_clips(clips: np.ndarray) -> np.ndarray:
    """Return N clips ``(N, T, H, W, C)`` tiled into one clip ``(T, H', W', C)``, as the peers lay them out.

    >>> tile_clips(np.ones((3, 2, 4, 5, 1), dtype=np.uint8)).shape
    (2, 4, 20, 1)
    """
    count, frames, height, width, channels = clips.shape
    if count == 1:
        return clips[0]
    rows, columns = _grid(count)
    tiles = rows * columns
    if tiles != count:
        padded = np.zeros((tiles, *clips.shape[1:]), dtype=clips.dtype)
        padded[:count] = clips
        clips = padded
    grid = clips.reshape(rows, columns, frames, height, width, channels).transpose(2, 0, 3, 1, 4, 5)
    return np.ascontiguousarray(grid.reshape(frames, rows * height, columns * width, channels))


def _check_frames(frames: Any, caller: str) -> np.ndarray:
    frames = np.asarray(frames)
    if frames.dtype != np.uint8 or frames.ndim != 4 or frames.shape[3] not in CHANNELS or 0 in frames.shape:
        raise ValueError(
            f"{caller}(frames=...): expected uint8 (T, H, W, C) with C = 1, 3 or 4 and T, H, W >= 1, "
            f"got {frames.dtype} of shape {frames.shape}"
        )
    if max(frames.shape[1:3]) > MAX_SIDE:
        raise ValueError(
            f"{caller}(frames=...): expected frames of at most {MAX_SIDE} pixels a side (GIF's limit), "
            f"got {frames.shape[1]} × {frames.shape[2]}"
        )
    return frames


def _packed(rgb: np.ndarray) -> np.ndarray:
    return (rgb[..., 0].astype(np.uint32) << 16) | (rgb[..., 1].astype(np.uint32) << 8) | rgb[..., 2]


def _palette(frames: np.ndarray) -> tuple[np.ndarray, np.ndarray, int | None]:
    """Return the frames as palette indices (T, H, W), the palette (K, 3), and the transparent index or None."""
    from PIL import Image

    count, height, width, channels = frames.shape
    if channels == 1:
        return frames[..., 0], _GREYS, None
    rgb = frames[..., :3]
    clear = frames[..., 3] < OPAQUE_FROM if channels == 4 else None
    if clear is not None and not clear.any():
        clear = None
    if clear is not None:
        rgb = np.where(clear[..., np.newaxis], np.uint8(0), rgb)
    colours = 256 if clear is None else 255
    picture = Image.fromarray(np.ascontiguousarray(rgb).reshape(count * height, width, 3))
    found = picture.getcolors(colours)
    if found is not None:
        # Few enough colours for a palette of exactly those: each pixel finds its own entry.
        palette = np.array([colour for _, colour in found], dtype=np.uint8)
        # A table over all 2**24 colours costs only the pages the palette's entries fall on
        # (zeroed memory is mapped lazily), and looks up faster than a search.
        lookup = np.zeros(1 << 24, dtype=np.uint8)
        lookup[_packed(palette)] = np.arange(len(palette), dtype=np.uint8)
        indices = lookup[_packed(rgb)]
    else:
        quantized = picture.quantize(colours, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
        indices = np.asarray(quantized).reshape(count, height, width)
        palette = np.array(quantized.getpalette()[: 3 * colours], dtype=np.uint8).reshape(-1, 3)
    if clear is None:
        return indices, palette, None
    indices = indices.copy()
    indices[clear] = colours
    full = np.zeros((256, 3), dtype=np.uint8)
    full[: len(palette)] = palette
    return indices, full, colours


def encode_gif(frames: np.ndarray, fps: float = 4) -> bytes:
    """Return an animated GIF that loops over uint8 frames ``(T, H, W, C)``, C = 1, 3 or 4, at ``fps``.

    >>> gif = encode_gif(np.zeros((3, 2, 2, 3), dtype=np.uint8), fps=10)
    >>> gif[:6], decode_gif(gif)[1]
    (b'GIF89a', [100, 100, 100])
    """
    return _gif(_check_frames(frames, "encode_gif"), frame_delay(fps, "encode_gif"))


def _gif(frames: np.ndarray, delay: int) -> bytes:
    from PIL import GifImagePlugin, Image

    _, height, width, _ = frames.shape
    indices, palette, clear = _palette(frames)
    # The colour table holds 2 ** (size + 1) entries.
    size = max(0, (len(palette) - 1).bit_length() - 1)
    table = np.zeros((2 << size, 3), dtype=np.uint8)
    table[: len(palette)] = palette
    flags = _KEEP << 2 if clear is None else _CLEAR << 2 | 1
    control = b"!\xf9" + _CONTROL.pack(4, flags, delay, clear or 0, 0)
    parts = [b"GIF89a", _SCREEN.pack(width, height, 0xF0 | size, 0, 0), table.tobytes(), _LOOP]
    for frame in indices:
        parts.append(control)
        # Image descriptor (no colour table of its own), LZW code size, the LZW sub-blocks, terminator.
        parts += GifImagePlugin.getdata(Image.fromarray(np.ascontiguousarray(frame)))
    parts.append(b";")
    return b"".join(parts)


def encode_gif_reference(frames: np.ndarray, fps: float = 4) -> bytes:
    """Return an animated GIF of uint8 frames ``(T, H, W, C)`` as Pillow's own writer makes it: the reference.

    Pillow merges identical consecutive frames into one that lasts longer,
    and picks a palette for each frame.

    >>> from PIL import Image
    >>> Image.open(io.BytesIO(encode_gif_reference(np.zeros((3, 2, 2, 1), dtype=np.uint8)))).n_frames
    1
    """
    from PIL import Image

    frames = _check_frames(frames, "encode_gif_reference")
    delay = frame_delay(fps, "encode_gif_reference")
    channels = frames.shape[3]
    if channels == 4:
        # Pillow's writer keeps alpha only as one transparent palette entry, as encode_gif does.
        frames = frames.copy()
        frames[..., 3] = np.where(frames[..., 3] < OPAQUE_FROM, 0, 255)
    # A uint8 array of 2, 3 or 4 dimensions is L, RGB or RGBA to Pillow.
    pictures = [
        Image.fromarray(np.ascontiguousarray(frame[..., 0] if channels == 1 else frame)) for frame in frames
    ]
    buffer = io.BytesIO()
    pictures[0].save(
        buffer,
        format="GIF",
        save_all=True,
        append_images=pictures[1:],
        duration=delay * 10,
        loop=0,
        disposal=_CLEAR if channels == 4 else _KEEP,
    )
    return buffer.getvalue()


def _frames(data: bytes, where: str) -> tuple[np.ndarray, list[int]] | None:
    """Return the frames (T, H, W, 4) and delays in ms of a GIF file, or None if Pillow cannot read it."""
    from PIL import Image, ImageSequence

    try:
        with Image.open(io.BytesIO(data)) as picture:
            if picture.format != "GIF":
                return None
            frames, delays = [], []
            for frame in ImageSequence.Iterator(picture):
                frames.append(np.asarray(frame.convert("RGBA")))
                delays.append(int(frame.info.get("duration", 0)))
    except Image.DecompressionBombError as error:
        raise ValueError(f"{where}: {bomb_message(error)}") from None
    except (OSError, SyntaxError, ValueError, EOFError):
        return None
    return np.stack(frames), delays


def _channels(frames: np.ndarray, colorspace: int) -> np.ndarray:
    """Return RGBA frames with the channels ``colorspace`` asks for, keeping what the pixels need."""
    opaque = bool((frames[..., 3] == 255).all())
    if colorspace == 4 or not opaque:
        return frames
    rgb = frames[..., :3]
    if colorspace == 1 and (rgb[..., :1] == rgb).all():
        return np.ascontiguousarray(rgb[..., :1])
    return np.ascontiguousarray(rgb)


def decode_gif(data: bytes) -> tuple[np.ndarray, list[int]]:
    """Return the frames of a GIF file as uint8 ``(T, H, W, C)`` and each frame's delay in milliseconds.

    C is 3, or 4 when some pixel is transparent.

    >>> frames, delays = decode_gif(encode_gif(np.full((2, 3, 4, 1), 9, dtype=np.uint8), fps=4))
    >>> frames.shape, int(frames[0, 0, 0, 0]), delays
    ((2, 3, 4, 3), 9, [250, 250])
    """
    where = "decode_gif(data=...)"
    data = bytes(data)
    found = _frames(data, where)
    if found is None:
        raise ValueError(
            f"{where}: expected the bytes of a GIF file, got {len(data)} bytes starting {data[:8]!r}"
        )
    frames, delays = found
    return _channels(frames, 3), delays


def _is_gif(data: bytes) -> bool:
    return data[:6] in _GIF_SIGNATURES


def video_value(value: Summary.Value) -> np.ndarray | list[np.ndarray]:
    """Return a video's frames as uint8 ``(T, H, W, C)``; any other image as ``image_value`` does.

    C is the ``colorspace`` written with the clip (1 only if every frame is
    grey), or 3 (RGB), 4 when some pixel is transparent. The plugin's tensor
    form holding one GIF is read the same way.

    >>> clip = np.zeros((1, 5, 3, 2, 2), dtype=np.uint8)
    >>> video_value(video("clip", clip).value[0]).shape
    (5, 2, 2, 3)
    """
    value = as_summary_value(value, "video_value")
    kind = value.WhichOneof("value")
    tensor = value.tensor
    if kind == "image":
        data, colorspace = value.image.encoded_image_string, value.image.colorspace
    elif (
        kind == "tensor"
        and tensor.dtype == DT_STRING
        and [dim.size for dim in tensor.tensor_shape.dim] == [3]
    ):
        data, colorspace = tensor.string_val[2], 3
    else:
        return image_value(value)
    found = _frames(data, "video_value(value=...)") if _is_gif(data) else None
    if found is None:
        # Not a GIF, or a damaged one: the image decoder says what it expected.
        return image_value(value)
    return _channels(found[0], colorspace)


def _as_clips(vid_tensor: Any, dataformats: Any, caller: str) -> np.ndarray:
    """Return ``vid_tensor`` checked against ``dataformats`` as uint8 clips (N, T, H, W, C)."""
    form = dataformats.upper() if isinstance(dataformats, str) else None
    if form is None or len(form) != 5 or set(form) != set(VIDEO_FORMAT):
        raise ValueError(
            f"{caller}(dataformats=...): expected the letters N, T, C, H, W in any order, such as "
            f"{VIDEO_FORMAT!r}, got {dataformats!r}"
        )
    array = _as_numeric(vid_tensor, caller, "vid_tensor")
    where = f"{caller}(vid_tensor=...): expected ({', '.join(form)})"
    if array.ndim != 5:
        raise ValueError(f"{where} for dataformats {form!r}, got shape {array.shape}")
    sizes = dict(zip(form, array.shape))
    if sizes["C"] not in CHANNELS:
        raise ValueError(f"{where} with C = 1, 3 or 4, got shape {array.shape}")
    if min(sizes[letter] for letter in "NTHW") < 1:
        raise ValueError(f"{where} with N, T, H, W >= 1, got shape {array.shape}")
    rows, columns = _grid(sizes["N"])
    height, width = rows * sizes["H"], columns * sizes["W"]
    if max(height, width) > MAX_SIDE:
        raise ValueError(
            f"{where} whose {sizes['N']} clips tile into frames of at most {MAX_SIDE} pixels a side "
            f"(GIF's limit), got {height} × {width}"
        )
    clips = array.transpose([form.index(letter) for letter in "NTHWC"])
    return to_uint8(clips)


def video(
    tag: str, vid_tensor: Any, fps: float = 4, dataformats: str = VIDEO_FORMAT, *, caller: str = "add_video"
) -> Summary:
    """Return a Summary holding clips ``(N, T, C, H, W)`` tiled into one animated GIF.

    ``dataformats`` names the axes in another order (tensorboardX's option).
    uint8 values are pixels; any other dtype holds intensities in [0, 1].

    >>> image = video("clip", np.random.rand(4, 8, 3, 16, 16), fps=8).value[0].image
    >>> image.height, image.width, image.colorspace, image.encoded_image_string[:6]
    (32, 32, 3, b'GIF89a')
    """
    tag = as_tag(tag, caller)
    delay = frame_delay(fps, caller)
    frames = tile_clips(_as_clips(vid_tensor, dataformats, caller))
    _, height, width, channels = frames.shape
    gif = _gif(frames, delay)
    encoded = Summary.Image(height=height, width=width, colorspace=channels, encoded_image_string=gif)
    return Summary(value=[Summary.Value(tag=tag, image=encoded)])
