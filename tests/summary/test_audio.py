"""audio(): 16-bit WAV clips, read back by TensorBoard's reader and served by TensorBoard."""

from __future__ import annotations

import io
import os
import urllib.parse
import wave

import numpy as np
import pytest
from tensorboard.plugins.audio import metadata as reference_metadata
from tensorboard.util import tensor_util

from neuroboard import SummaryWriter
from neuroboard.api.summaries import summary_audio
from neuroboard.summary.audio import audio, audio_metadata, audio_value, decode_wav, encode_wav
from tests.tb import accumulator

# Samples are scaled by 32768 and rounded: half a step, plus float rounding;
# one step at the top, where 32768 is clipped to 32767.
QUANTUM = 0.5 / 32768 + 1e-12
STEP = 1 / 32768 + 1e-12


def decode(wav_bytes: bytes) -> tuple[int, int, np.ndarray]:
    """Return (rate, channels, samples as an (L, C) float array) of a 16-bit WAV file."""
    with wave.open(io.BytesIO(wav_bytes), "rb") as wav:
        assert wav.getsampwidth() == 2
        rate, channels = wav.getframerate(), wav.getnchannels()
        frames = wav.readframes(wav.getnframes())
    return rate, channels, np.frombuffer(frames, dtype="<i2").reshape(-1, channels) / 32768


def tone(frames: int = 4410, frequency: float = 440.0, rate: int = 44100) -> np.ndarray:
    return 0.8 * np.sin(2 * np.pi * frequency * np.arange(frames) / rate)


def wav_of(*args, **kwargs) -> bytes:
    """Return the WAV bytes of ``audio("sound", ...)``, checking the plugin's ``[[wav, label]]`` layout."""
    value = audio("sound", *args, **kwargs).value[0]
    assert [dim.size for dim in value.tensor.tensor_shape.dim] == [1, 2]
    wav, label = value.tensor.string_val
    assert label == b""
    return wav


# -- the proto -------------------------------------------------------------


def test_mono_clip() -> None:
    samples = tone()
    value = audio("sound", samples, 44100).value[0]
    assert value.tag == "sound"
    assert value.metadata == audio_metadata()
    rate, channels, decoded = decode(value.tensor.string_val[0])
    assert (rate, channels, decoded.shape) == (44100, 1, (4410, 1))
    np.testing.assert_allclose(decoded[:, 0], samples, rtol=0, atol=QUANTUM)


def test_channels_are_interleaved_in_order() -> None:
    samples = np.stack([tone(1000), -tone(1000) / 2, np.linspace(-1, 1, 1000)], axis=1)
    rate, channels, decoded = decode(wav_of(samples, 16000))
    assert (rate, channels) == (16000, 3)
    np.testing.assert_allclose(decoded, samples, rtol=0, atol=STEP)


def test_full_scale_is_clipped_to_the_16_bit_range() -> None:
    _, _, decoded = decode(wav_of([-1.0, 0.0, 1.0]))
    assert decoded[:, 0].tolist() == [-1.0, 0.0, 32767 / 32768]


def test_default_rate_and_rounding() -> None:
    assert decode(wav_of([0.0]))[0] == 44100
    assert decode(wav_of([0.0, 0.1], 22050.4))[0] == 22050
    assert decode(wav_of([0.0], np.int32(8000)))[0] == 8000


def test_lists_and_int_arrays() -> None:
    assert decode(wav_of([0.5, -0.5]))[2][:, 0].tolist() == pytest.approx([0.5, -0.5], abs=QUANTUM)
    assert decode(wav_of(np.array([1, 0, -1], dtype=np.int8)))[2][:, 0].tolist() == [32767 / 32768, 0, -1]


def test_torch_tensors() -> None:
    torch = pytest.importorskip("torch")
    samples = torch.sin(torch.linspace(0, 20, 800, requires_grad=True))
    expected = samples.detach().numpy().astype(np.float64)
    for snd in (samples, samples.unsqueeze(0), samples.half(), samples.bfloat16()):
        rate, channels, decoded = decode(wav_of(snd, 8000))
        assert (rate, channels, len(decoded)) == (8000, 1, 800)
        # float16 and bfloat16 round the samples themselves before we do.
        tolerance = STEP if snd.dtype == torch.float32 else 1e-2
        np.testing.assert_allclose(decoded[:, 0], expected, rtol=0, atol=tolerance)
    rate, channels, decoded = decode(wav_of(torch.stack([samples, -samples], dim=1), 8000))
    assert (channels, len(decoded)) == (2, 800)


def test_wav_bytes_are_kept_as_they_are() -> None:
    wav = encode_wav(np.stack([tone(300), tone(300)], axis=1), 11025)
    for data in (wav, bytearray(wav), memoryview(wav)):
        assert wav_of(data) == wav
    assert decode(wav)[:2] == (11025, 2)


def test_metadata_names_the_plugin_and_wav() -> None:
    metadata = audio_metadata("Voice")
    assert (metadata.plugin_data.plugin_name, metadata.display_name) == ("audio", "Voice")
    parsed = reference_metadata.parse_plugin_metadata(metadata.plugin_data.content)
    assert (parsed.version, parsed.encoding) == (0, reference_metadata.Encoding.Value("WAV"))


# -- errors ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("samples", "message"),
    [
        ([0.0, 1.5, -0.2], r"expected samples in \[-1, 1\], got values in \[-0.2, 1.5\]$"),
        (np.array([0.0, -3.0]), r"expected samples in \[-1, 1\], got values in \[-3, 0\]$"),
        ([0.0, np.nan, np.nan], r"expected samples in \[-1, 1\], got 2 NaN value\(s\)$"),
        ([0.0, np.inf], r"expected samples in \[-1, 1\], got values in \[0, inf\]$"),
        (np.zeros((2, 100)), r"got shape \(2, 100\); transpose a channels-first \(C, L\) array$"),
        (np.zeros((4, 1, 1)), r"got shape \(4, 1, 1\)$"),
        (0.5, r"got shape \(\)$"),
        ([], r"got shape \(0,\)$"),
        (np.zeros((0, 2)), r"expected at least one sample, got shape \(0, 2\)$"),
        (b"RIFF but not a wave", r"got 19 bytes that are not a PCM or float WAV file"),
    ],
)
def test_bad_samples_raise_value_error(samples, message) -> None:
    with pytest.raises(ValueError, match=r"^add_audio\(snd_tensor=\.\.\.\): .*" + message):
        audio("sound", samples)


@pytest.mark.parametrize(
    ("samples", "got"),
    [
        ("loud", "str of shape ()"),
        (["a"], "list of shape (1,)"),
        (None, "NoneType of shape ()"),
        ([1j], "list of shape (1,)"),
    ],
)
def test_non_numeric_samples_raise_type_error(samples, got) -> None:
    with pytest.raises(TypeError) as error:
        audio("sound", samples, caller="log_voice")
    assert str(error.value) == (
        "log_voice(snd_tensor=...): expected samples of shape (L,) or (L, C), floats in [-1, 1], "
        f"or the bytes of a WAV file, got {got}"
    )


@pytest.mark.parametrize(
    ("rate", "error"),
    [
        (0, ValueError),
        (-8000, ValueError),
        (0.4, ValueError),
        (float("nan"), ValueError),
        (float("inf"), ValueError),
        (2.0**40, ValueError),
        ("44100", TypeError),
        (True, TypeError),
        (None, TypeError),
    ],
)
def test_bad_sample_rates_raise(rate, error) -> None:
    with pytest.raises(error, match=r"^add_audio\(sample_rate=\.\.\.\): expected a"):
        audio("sound", [0.0], rate)
    with pytest.raises(error, match=r"^add_audio\(sample_rate=\.\.\.\)"):
        audio("sound", encode_wav(np.zeros((1, 1)), 8000), rate)


@pytest.mark.parametrize(("tag", "error"), [("", ValueError), (None, TypeError)])
def test_bad_tags_raise(tag, error) -> None:
    with pytest.raises(error, match=r"^add_audio\(tag=\.\.\.\)"):
        audio(tag, [0.0])


# -- through TensorBoard ---------------------------------------------------


def test_read_back_by_tensorboard(tmp_path) -> None:
    clips = [tone(2205, 220.0 * (step + 1), 22050) for step in range(3)]
    stereo = np.stack([tone(500), tone(500, 880.0)], axis=1)
    with SummaryWriter(tmp_path) as writer:
        for step, samples in enumerate(clips):
            writer.add_summary(audio("voice", samples, 22050), step)
        writer.add_summary(audio("stereo", stereo), 0)
    acc = accumulator(tmp_path)
    parsed = reference_metadata.parse_plugin_metadata(acc.SummaryMetadata("voice").plugin_data.content)
    assert parsed.encoding == reference_metadata.Encoding.Value("WAV")
    events = acc.Tensors("voice")
    assert [event.step for event in events] == [0, 1, 2]
    for event, samples in zip(events, clips):
        ((wav, label),) = tensor_util.make_ndarray(event.tensor_proto).tolist()
        rate, channels, decoded = decode(wav)
        assert (rate, channels, label) == (22050, 1, b"")
        np.testing.assert_allclose(decoded[:, 0], samples, rtol=0, atol=QUANTUM)
    rate, channels, decoded = decode(acc.Tensors("stereo")[0].tensor_proto.string_val[0])
    assert (rate, channels) == (44100, 2)
    np.testing.assert_allclose(decoded, stereo, rtol=0, atol=QUANTUM)


def test_served_by_tensorboard(tensorboard_server) -> None:
    run = "audio_served"
    clips = [tone(1600, 300.0 * (step + 1), 16000) for step in range(2)]
    with SummaryWriter(os.path.join(tensorboard_server.logdir, run)) as writer:
        for step, samples in enumerate(clips):
            writer.add_summary(audio("voice", samples, 16000), step, walltime=50.0 + step)
        writer.add_summary(audio("stereo", np.stack([clips[0], -clips[0]], axis=1), 16000), 0)

    def served(tag: str):
        return tensorboard_server.get("/data/plugin/audio/audio", run=run, tag=tag)

    # "stereo" is the last event of the file: once it is served, so is everything before it.
    stereo = tensorboard_server.wait_for(lambda: served("stereo"), lambda entries: len(entries) == 1)
    voice = served("voice")
    assert [(entry["step"], entry["wall_time"]) for entry in voice] == [(0, 50.0), (1, 51.0)]
    assert {entry["contentType"] for entry in voice + stereo} == {"audio/wav"}
    for entry, samples in zip(voice, clips):
        query = dict(urllib.parse.parse_qsl(entry["query"]))
        assert query["content_type"] == "audio/wav"
        wav = tensorboard_server.read("/data/plugin/audio/individualAudio", **query)
        rate, channels, decoded = decode(wav)
        assert (rate, channels) == (16000, 1)
        np.testing.assert_allclose(decoded[:, 0], samples, rtol=0, atol=QUANTUM)
    query = dict(urllib.parse.parse_qsl(stereo[0]["query"]))
    assert decode(tensorboard_server.read("/data/plugin/audio/individualAudio", **query))[1] == 2
    tags = tensorboard_server.get("/data/plugin/audio/tags")[run]
    assert set(tags) == {"voice", "stereo"} and tags["voice"]["samples"] == 1


# -- reading back ------------------------------------------------------------


def test_random_clips_read_back_within_one_step() -> None:
    rng = np.random.default_rng(18)
    clip = np.concatenate([rng.uniform(-1, 1, (997, 2)), [[-1.0, 1.0]]])
    samples, rate = audio_value(audio("noise", clip, 8000).value[0])
    assert (samples.shape, rate) == ((998, 2), 8000)
    np.testing.assert_allclose(samples, clip, rtol=0, atol=STEP)


def test_a_torch_clip_decodes_as_soundfile_decodes_it() -> None:
    soundfile = pytest.importorskip("soundfile")
    torch_summary = pytest.importorskip("torch.utils.tensorboard.summary")
    clip = np.random.default_rng(5).uniform(-1, 1, 800)
    wav = torch_summary.audio("a", clip, 8000).value[0].audio.encoded_audio_string
    samples, rate = decode_wav(wav)
    expected, expected_rate = soundfile.read(io.BytesIO(wav), dtype="float32", always_2d=True)
    assert rate == expected_rate and np.array_equal(samples, expected)


@pytest.mark.parametrize("subtype", ["FLOAT", "DOUBLE"])
@pytest.mark.parametrize("channels", [1, 2])
def test_float_wav_decodes_as_soundfile_decodes_it(subtype: str, channels: int) -> None:
    soundfile = pytest.importorskip("soundfile")
    clip = np.random.default_rng(7).uniform(-1, 1, (500, channels))
    buffer = io.BytesIO()
    soundfile.write(buffer, clip, 16000, format="WAV", subtype=subtype)
    wav = buffer.getvalue()
    assert wav[20:22] == b"\x03\x00"  # format code 3, IEEE float
    samples, rate = decode_wav(wav)
    expected, _ = soundfile.read(io.BytesIO(wav), dtype="float32", always_2d=True)
    assert (samples.dtype, rate) == (np.float32, 16000)
    assert np.array_equal(samples, expected)


def test_summary_audio_keeps_float_wav_bytes() -> None:
    soundfile = pytest.importorskip("soundfile")
    buffer = io.BytesIO()
    soundfile.write(buffer, tone(800), 8000, format="WAV", subtype="FLOAT")
    wav = buffer.getvalue()
    value = summary_audio(wav).value[0]
    assert value.tensor.string_val[0] == wav
    samples, rate = audio_value(value)
    assert rate == 8000 and np.array_equal(samples[:, 0], tone(800).astype(np.float32))


def _with_format_code(wav: bytes, code: int) -> bytes:
    return wav[:20] + code.to_bytes(2, "little") + wav[22:]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (_with_format_code(encode_wav(np.zeros((4, 1)), 8000), 6), "format code 6 with 16-bit samples"),
        (encode_wav(np.zeros((4, 1)), 8000)[:36], "no data chunk"),
        (b"RIFF\x04\x00\x00\x00WAVE", "no fmt chunk"),
        (b"RIFX" + bytes(40), "no RIFF/WAVE header"),
    ],
)
def test_other_wav_files_are_refused_saying_why(data: bytes, reason: str) -> None:
    with pytest.raises(
        ValueError, match=r"^decode_wav\(data=\.\.\.\): expected the bytes of a PCM or float WAV"
    ) as e:
        decode_wav(data)
    assert reason in str(e.value)
    with pytest.raises(
        ValueError, match=r"^summary_audio\(snd_tensor=\.\.\.\): .*not a PCM or float WAV file"
    ) as e:
        summary_audio(data)
    assert reason in str(e.value)
