"""Audio: the ``audio`` plugin's name and metadata, and the Summary of one clip as a 16-bit PCM WAV.

Format: the plugin's own form, a ``[1, 2]`` string tensor ``[[wav, label]]``
with metadata that names the WAV encoding, rather than the legacy
``Summary.Audio`` that torch and tensorboardX write, because TensorBoard's
Rust loader (``tensorboard-data-server``, used whenever it is installed)
converts a legacy clip without its encoding, so the audio dashboard serves it
as ``application/octet-stream``, which browsers need not play. This form is
served as ``audio/wav`` by both loaders. The rate and channel count live in
the WAV header, where every player reads them.

Samples are scaled by 32768, rounded and clipped to the 16-bit range, as
TensorFlow's ``encode_wav`` does; decoding divides by 32768, as
``tf.audio.decode_wav``, libsndfile and TensorBoard do, so a sample comes back
within half a step (1/65536) of what was written, and 1 comes back as
32767/32768.

Reading back (:func:`audio_value`): this form, TensorFlow's (the same
tensor with k clips), and the legacy ``Summary.Audio``. The WAV header, not
the legacy ``sample_rate`` field, gives the rate, as it does to a player.
WAV files are parsed here rather than by ``wave``, which reads integer PCM
only: R's tfevents writes 32-bit float WAV.
"""

from __future__ import annotations

import io
import math
import struct
import wave
from typing import Any

import numpy as np
from tensorboard.compat.proto.tensor_pb2 import TensorProto
from tensorboard.compat.proto.tensor_shape_pb2 import TensorShapeProto
from tensorboard.compat.proto.types_pb2 import DT_STRING
from tensorboard.plugins.audio.plugin_data_pb2 import AudioPluginData

from neuroboard.format.codec import Summary, SummaryMetadata
from neuroboard.summary.convert import as_array, as_float, as_tag, is_tensor
from neuroboard.summary.metadata import plugin_metadata
from neuroboard.summary.tensor import (
    as_summary_value,
    holding,
    stack_if_equal,
    string_array,
)

__all__ = [
    "CONTENT_TYPE",
    "PLUGIN_NAME",
    "audio",
    "audio_metadata",
    "audio_value",
    "decode_wav",
    "encode_wav",
    "parse_wav",
]

PLUGIN_NAME = "audio"
CONTENT_TYPE = "audio/wav"

_FULL_SCALE = 32768
_MAX_RATE = (1 << 32) - 1  # a WAV header holds the rate in 32 bits
_EXPECTED = "expected samples of shape (L,) or (L, C), floats in [-1, 1], or the bytes of a WAV file"


def audio_metadata(display_name: str | None = None, description: str | None = None) -> SummaryMetadata:
    """Return the metadata that marks a ``[k, 2]`` string tensor as WAV clips for TensorBoard.

    >>> audio_metadata().plugin_data.plugin_name
    'audio'
    """
    content = AudioPluginData(version=0, encoding=AudioPluginData.Encoding.WAV)
    return plugin_metadata(PLUGIN_NAME, content.SerializeToString(), display_name, description)


def encode_wav(samples: np.ndarray, sample_rate: int) -> bytes:
    """Return a 16-bit PCM WAV file of ``samples``, an (L, C) float array in [-1, 1].

    >>> wav = encode_wav(np.zeros((8, 2)), 8000)
    >>> wav[:4], len(wav)
    (b'RIFF', 76)
    """
    pcm = np.clip(np.rint(samples * _FULL_SCALE), -_FULL_SCALE, _FULL_SCALE - 1).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(samples.shape[1])
        wav.setsampwidth(2)
        wav.setframerate(sample_rate)
        wav.writeframes(np.ascontiguousarray(pcm).tobytes())
    return buffer.getvalue()


def _as_rate(sample_rate: Any, caller: str) -> int:
    if isinstance(sample_rate, (bool, np.bool_)):
        raise TypeError(f"{caller}(sample_rate=...): expected a real number, got bool")
    seconds = as_float(sample_rate, caller, "sample_rate")
    rate = round(seconds) if math.isfinite(seconds) else 0
    if not 1 <= rate <= _MAX_RATE:
        raise ValueError(
            f"{caller}(sample_rate=...): expected a positive number of samples per second, got {sample_rate!r}"
        )
    return rate


def _check_wav(data: bytes, caller: str) -> None:
    """Raise unless ``data`` is a PCM or float WAV file that :func:`decode_wav` can read."""
    try:
        parse_wav(data)
    except ValueError as error:
        raise ValueError(
            f"{caller}(snd_tensor=...): {_EXPECTED}, got {len(data)} bytes that are not a PCM or float WAV file "
            f"({error})"
        ) from None


def _describe(value: Any) -> str:
    try:
        return f"{type(value).__name__} of shape {np.shape(value)}"
    except (TypeError, ValueError):
        return type(value).__name__


def _as_samples(snd_tensor: Any, caller: str) -> np.ndarray:
    """Return checked samples as an (L, C) float64 array."""
    # NumPy has no bfloat16 or float8: widen those tensors before converting.
    if is_tensor(snd_tensor) and str(snd_tensor.dtype).startswith(("torch.bfloat16", "torch.float8")):
        snd_tensor = snd_tensor.detach().float()
    try:
        samples = as_array(snd_tensor, caller, "snd_tensor")
    except TypeError:
        raise TypeError(f"{caller}(snd_tensor=...): {_EXPECTED}, got {_describe(snd_tensor)}") from None
    shape = samples.shape
    # torch's add_audio takes mono clips as (1, L).
    if samples.ndim == 2 and shape[0] == 1:
        samples = samples[0]
    if samples.ndim == 1:
        samples = samples[:, np.newaxis]
    if samples.ndim == 2 and samples.size == 0:
        raise ValueError(f"{caller}(snd_tensor=...): expected at least one sample, got shape {shape}")
    if samples.ndim != 2 or samples.shape[1] > samples.shape[0]:
        hint = "; transpose a channels-first (C, L) array" if samples.ndim == 2 else ""
        raise ValueError(f"{caller}(snd_tensor=...): {_EXPECTED}, got shape {shape}{hint}")
    nans = int(np.count_nonzero(np.isnan(samples)))
    if nans:
        raise ValueError(f"{caller}(snd_tensor=...): expected samples in [-1, 1], got {nans} NaN value(s)")
    low, high = float(samples.min()), float(samples.max())
    if low < -1 or high > 1:
        raise ValueError(
            f"{caller}(snd_tensor=...): expected samples in [-1, 1], got values in [{low:g}, {high:g}]"
        )
    return samples


def audio(tag: str, snd_tensor: Any, sample_rate: float = 44100, *, caller: str = "add_audio") -> Summary:
    """Return a Summary holding one clip as a 16-bit PCM WAV.

    ``snd_tensor`` is ``(L,)`` mono or ``(L, C)`` samples in [-1, 1] with no
    more channels than frames (torch's ``(1, L)`` is mono too; a channels-first
    ``(C, L)`` array is refused rather than read as L channels), or the bytes of
    a WAV file, kept as they are with the file's own rate and channels
    (``sample_rate`` is then ignored).
    The rate is rounded to whole samples per second, as WAV stores it.

    >>> value = audio("tone", np.sin(np.linspace(0, 100, 800)), 8000).value[0]
    >>> wav, label = value.tensor.string_val
    >>> wav[:4], len(wav), label
    (b'RIFF', 1644, b'')
    """
    tag = as_tag(tag, caller)
    if isinstance(snd_tensor, (bytes, bytearray, memoryview)):
        data = bytes(snd_tensor)
        _as_rate(sample_rate, caller)
        _check_wav(data, caller)
    else:
        samples = _as_samples(snd_tensor, caller)
        data = encode_wav(samples, _as_rate(sample_rate, caller))
    shape = TensorShapeProto(dim=[TensorShapeProto.Dim(size=1), TensorShapeProto.Dim(size=2)])
    # One clip with an empty Markdown label, as the plugin's [k, 2] layout has it.
    tensor = TensorProto(dtype=DT_STRING, tensor_shape=shape, string_val=[data, b""])
    return Summary(value=[Summary.Value(tag=tag, tensor=tensor, metadata=audio_metadata())])


def _pcm_ints(frames: bytes, width: int) -> np.ndarray:
    """Return little-endian PCM samples of ``width`` bytes as signed integers."""
    if width == 1:
        # 8-bit WAV is the one unsigned width, centred on 128.
        return np.frombuffer(frames, dtype=np.uint8).astype(np.int16) - 128
    if width == 3:
        # Put each 3-byte sample in the top of an int32; the shift back keeps its sign.
        padded = np.zeros((len(frames) // 3, 4), dtype=np.uint8)
        padded[:, 1:] = np.frombuffer(frames, dtype=np.uint8).reshape(-1, 3)
        return padded.view("<i4")[:, 0] >> 8
    return np.frombuffer(frames, dtype=f"<i{width}")


_PCM, _FLOAT, _EXTENSIBLE = 1, 3, 0xFFFE
_FLOAT_DTYPES = {4: "<f4", 8: "<f8"}


def parse_wav(data: bytes) -> tuple[int, int, int, int, bytes]:
    """Return (format code, channels, bytes per sample, rate, sample bytes) of a WAV file.

    Raise ``ValueError`` saying what is wrong with anything but integer PCM
    of 1 to 4 bytes or float of 4 or 8 bytes. A file cut short keeps the
    samples it has.

    >>> parse_wav(encode_wav(np.zeros((4, 2)), 8000))[:4]
    (1, 2, 2, 8000)
    """
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ValueError("no RIFF/WAVE header")
    fmt = samples = None
    offset = 12
    while offset + 8 <= len(data) and samples is None:
        chunk, size = data[offset : offset + 4], struct.unpack_from("<I", data, offset + 4)[0]
        body = data[offset + 8 : offset + 8 + size]
        if chunk == b"fmt ":
            fmt = body
        elif chunk == b"data":
            if fmt is None:
                raise ValueError("data chunk before the fmt chunk")
            samples = body
        offset += 8 + size + size % 2  # chunks are padded to an even size
    if fmt is None or len(fmt) < 16:
        raise ValueError(
            "no fmt chunk" if fmt is None else f"fmt chunk of {len(fmt)} bytes, expected 16 or more"
        )
    code, channels, rate, _, _, bits = struct.unpack_from("<HHIIHH", fmt)
    if code == _EXTENSIBLE and len(fmt) >= 26:
        # The first two bytes of the sub-format GUID are the format code.
        code = struct.unpack_from("<H", fmt, 24)[0]
    if samples is None:
        raise ValueError("no data chunk")
    if channels == 0:
        raise ValueError("0 channels")
    width = bits // 8
    if not (code == _PCM and bits in (8, 16, 24, 32) or code == _FLOAT and bits in (32, 64)):
        raise ValueError(
            f"format code {code} with {bits}-bit samples, expected PCM (1) of 8 to 32 bits or float (3) of 32 or 64"
        )
    return code, channels, width, rate, samples


def _decode_wav(data: bytes, where: str) -> tuple[np.ndarray, int]:
    try:
        code, channels, width, rate, frames = parse_wav(data)
    except ValueError as error:
        raise ValueError(
            f"{where}: expected the bytes of a PCM or float WAV file, got {len(data)} bytes ({error})"
        ) from None
    # A truncated file can end inside a frame; that frame is dropped.
    frames = frames[: len(frames) - len(frames) % (width * channels)]
    if code == _FLOAT:
        samples = np.frombuffer(frames, dtype=_FLOAT_DTYPES[width])
    else:
        samples = _pcm_ints(frames, width) / float(1 << (8 * width - 1))
    return samples.astype(np.float32).reshape(-1, channels), rate


def decode_wav(data: bytes) -> tuple[np.ndarray, int]:
    """Return the samples of a PCM or float WAV file as float32 (L, C), and its sample rate.

    8-, 16-, 24- and 32-bit integer files are read, an n-bit sample divided
    by ``2**(n-1)`` as TensorFlow and libsndfile do, so they come back in
    [-1, 1); 32- and 64-bit float files (format 3, which R's tfevents
    writes) come back as stored.

    >>> samples, rate = decode_wav(encode_wav(np.array([[0.0, 0.5], [-1.0, 0.25]]), 8000))
    >>> samples.tolist(), rate
    ([[0.0, 0.5], [-1.0, 0.25]], 8000)
    """
    return _decode_wav(bytes(data), "decode_wav(data=...)")


def _wav_files(value: Summary.Value) -> list[bytes]:
    """Return the WAV files of the plugin's ``[k, 2]`` string tensor of (WAV, label) rows, or of ``[k]`` WAVs."""
    strings = string_array(value, "audio_value")
    # TensorBoard's loader keeps only the first column, so its copy of the tensor is [k].
    if strings.ndim == 1:
        return strings.tolist()
    if strings.ndim != 2 or strings.shape[1] != 2:
        raise ValueError(
            "audio_value(value=...): expected a string tensor of (WAV, label) rows, shape (k, 2), "
            f"or of WAV files, shape (k,), got shape {strings.shape}"
        )
    return strings[:, 0].tolist()


def audio_value(value: Summary.Value) -> tuple[np.ndarray | list[np.ndarray], int]:
    """Return the clip(s) a ``Summary.Value`` holds as float32 samples in [-1, 1], and the sample rate.

    One clip comes back as (L, C); several as (k, L, C) when they have the
    same length and channels, else as a list of (L, C) arrays (an empty list
    and a rate of 0 when the tensor holds no clip). See :func:`decode_wav`.

    >>> samples, rate = audio_value(audio("tone", np.array([0.0, 0.5, -0.5]), 8000).value[0])
    >>> samples.shape, rate
    ((3, 1), 8000)
    """
    value = as_summary_value(value, "audio_value")
    kind = value.WhichOneof("value")
    if kind == "audio":
        files = [value.audio.encoded_audio_string]
    elif kind == "tensor":
        files = _wav_files(value)
    else:
        raise ValueError(
            f"audio_value(value=...): expected a Summary.Value holding audio or a string tensor, got {holding(value)}"
        )
    clips = [_decode_wav(data, "audio_value(value=...)") for data in files]
    rates = sorted({rate for _, rate in clips})
    if len(rates) > 1:
        raise ValueError(f"audio_value(value=...): expected clips of one sample rate, got rates {rates}")
    return stack_if_equal([samples for samples, _ in clips]), rates[0] if rates else 0
