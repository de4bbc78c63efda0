"""Audio: the ``audio`` plugin's name and metadata, and the Summary of one clip as a 16-bit PCM WAV.

Format: the plugin's own form, a ``[1, 2]`` string tensor ``[[wav, label]]``
with metadata that names the WAV encoding, rather than the legacy
``Summary.Audio`` that torch and tensorboardX write, because TensorBoard's
Rust loader (``tensorboard-data-server``, used whenever it is installed)
converts a legacy clip without its encoding, so the audio dashboard serves it
as ``application/octet-stream``, which browsers need not play. This form is
served as ``audio/wav`` by both loaders. The rate and channel count live in
the WAV header, where every player reads them.

Samples are scaled by 32767 and rounded, so decoding divides by 32767 and is
off by at most half a step.
"""

from __future__ import annotations

import io
import math
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

__all__ = ["CONTENT_TYPE", "PLUGIN_NAME", "audio", "audio_metadata", "encode_wav"]

PLUGIN_NAME = "audio"
CONTENT_TYPE = "audio/wav"

_FULL_SCALE = 32767
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
    pcm = np.rint(samples * _FULL_SCALE).astype("<i2")
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
    """Raise unless ``data`` is a WAV file that ``wave`` can read."""
    try:
        with wave.open(io.BytesIO(data), "rb") as wav:
            wav.getparams()
    except (wave.Error, EOFError) as error:
        raise ValueError(
            f"{caller}(snd_tensor=...): {_EXPECTED}, got {len(data)} bytes that are not a PCM WAV file ({error})"
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
        raise ValueError(f"{caller}(snd_tensor=...): expected samples in [-1, 1], got values in [{low:g}, {high:g}]")
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
