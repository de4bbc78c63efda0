"""Decoders: every summary kind, as ours, tensorboardX's and TensorBoard's writers make it, read back value for value."""

from __future__ import annotations

import io
import wave

import numpy as np
import pytest
import tensorboardX.summary as tbx
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from PIL import Image
from tensorboard import data_compat
from tensorboard.backend.event_processing.event_file_loader import (
    EventFileLoader,
    LegacyEventFileLoader,
)
from tensorboard.compat.proto import types_pb2
from tensorboard.compat.proto.summary_pb2 import HistogramProto
from tensorboard.compat.proto.tensor_pb2 import TensorProto
from tensorboard.compat.proto.tensor_shape_pb2 import TensorShapeProto
from tensorboard.plugins.audio import metadata as tb_audio_metadata
from tensorboard.plugins.histogram.summary_v2 import histogram_pb
from tensorboard.plugins.hparams import summary_v2 as tb_hparams
from tensorboard.plugins.hparams.plugin_data_pb2 import HParamsPluginData
from tensorboard.plugins.image import metadata as tb_image_metadata
from tensorboard.plugins.scalar.summary_v2 import scalar_pb
from tensorboard.plugins.text.summary_v2 import text_pb
from tensorboard.util import tensor_util

from neuroboard import SummaryWriter
from neuroboard.format.codec import Summary
from neuroboard.io.reader import run_files
from neuroboard.render.grid import make_grid
from neuroboard.summary import (
    Histogram,
    audio,
    decode_value,
    histogram,
    image,
    images,
    scalar,
    session_start,
    text,
)
from neuroboard.summary.audio import audio_value, decode_wav, encode_wav
from neuroboard.summary.histogram import histogram_value, tensorflow_edges
from neuroboard.summary.image import decode_image, encode_png, image_value, to_uint8
from neuroboard.summary.scalar import scalar_value
from neuroboard.summary.tensor import tensor_value
from neuroboard.summary.text import text_value

RNG = np.random.default_rng(11)
# Our WAV samples are x * 32768 rounded: half a step, plus float32 rounding.
HALF_STEP = 0.5 / 32768 + 1e-7


def only(summary) -> Summary.Value:
    """Return the one value of a Summary, of any package's generated class."""
    assert len(summary.value) == 1
    return summary.value[0]


def tensor_summary_value(array, plugin_name: str | None = None, metadata=None, dtype=None) -> Summary.Value:
    """Return a Summary.Value holding ``array`` as TensorBoard's make_tensor_proto writes it."""
    value = Summary.Value(tag="t", tensor=tensor_util.make_tensor_proto(array, dtype=dtype))
    if metadata is not None:
        value.metadata.CopyFrom(metadata)
    elif plugin_name is not None:
        value.metadata.plugin_data.plugin_name = plugin_name
    return value


def hand_tensor(dtype: int, shape: tuple[int, ...], **fields) -> Summary.Value:
    """Return a Summary.Value holding a TensorProto built field by field."""
    dims = [TensorShapeProto.Dim(size=size) for size in shape]
    tensor = TensorProto(dtype=dtype, tensor_shape=TensorShapeProto(dim=dims), **fields)
    return Summary.Value(tag="t", tensor=tensor)


def wav_bytes(ints: np.ndarray, width: int, rate: int = 8000) -> bytes:
    """Return a WAV file of (L, C) integer samples ``width`` bytes wide, as the wave module writes it."""
    if width == 1:
        raw = (ints + 128).astype(np.uint8).tobytes()
    elif width == 3:
        raw = ints.astype("<i4").view(np.uint8).reshape(-1, 4)[:, :3].tobytes()
    else:
        raw = ints.astype(f"<i{width}").tobytes()
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(ints.shape[1])
        wav.setsampwidth(width)
        wav.setframerate(rate)
        wav.writeframes(raw)
    return buffer.getvalue()


def file_of(pixels: np.ndarray, form: str = "PNG", mode: str | None = None) -> bytes:
    """Return ``pixels`` (H, W, C) saved by Pillow as ``form``."""
    picture = Image.fromarray(pixels[..., 0] if pixels.shape[2] == 1 else pixels)
    if mode is not None:
        picture = picture.convert(mode)
    buffer = io.BytesIO()
    picture.save(buffer, format=form)
    return buffer.getvalue()


def image_tensor(*files: bytes, width: int = 0, height: int = 0) -> Summary.Value:
    """Return the images plugin's ``[width, height, image, ...]`` tensor, as TF2's summary_v2 writes it."""
    strings = [str(width).encode(), str(height).encode(), *files]
    metadata = tb_image_metadata.create_summary_metadata(display_name=None, description=None)
    return tensor_summary_value(np.array(strings, dtype=object), metadata=metadata)


def audio_tensor(*wavs: bytes) -> Summary.Value:
    """Return the audio plugin's ``[k, 2]`` tensor of (WAV, label) rows, as TF2's summary_v2 writes it."""
    rows = np.array([[wav, b"label"] for wav in wavs], dtype=object).reshape(-1, 2)
    metadata = tb_audio_metadata.create_summary_metadata(
        display_name=None,
        description=None,
        encoding=tb_audio_metadata.Encoding.Value("WAV"),
    )
    return tensor_summary_value(rows, metadata=metadata)


# -- scalars ---------------------------------------------------------------


@pytest.mark.parametrize("number", [0.0, 0.25, -3.5, 1e-3, 123456.789])
def test_our_scalars_in_every_form(number: float) -> None:
    assert scalar_value(only(scalar("s", number))) == float(np.float32(number))
    assert scalar_value(only(scalar("s", number, new_style=True))) == float(np.float32(number))
    assert scalar_value(only(scalar("s", number, double_precision=True))) == number


def test_tensorboardx_scalar() -> None:
    assert scalar_value(only(tbx.scalar("loss", 0.1))) == float(np.float32(0.1))


@pytest.mark.parametrize("number", [0.1, 3, True, np.float16(2.5)])
def test_tensorboard_scalar_pb(number) -> None:
    assert scalar_value(only(scalar_pb("s", number))) == float(np.float32(number))


HALF_BITS = int(np.array(1.5, dtype=np.float16).view(np.uint16))
BFLOAT_BITS = int(np.array(1.5, dtype=np.float32).view(np.uint32)) >> 16


@pytest.mark.parametrize(
    "value",
    [
        hand_tensor(types_pb2.DT_HALF, (), half_val=[HALF_BITS]),
        hand_tensor(types_pb2.DT_HALF, (1,), tensor_content=np.float16([1.5]).tobytes()),
        hand_tensor(types_pb2.DT_BFLOAT16, (), half_val=[BFLOAT_BITS]),
        hand_tensor(
            types_pb2.DT_BFLOAT16,
            (1, 1),
            tensor_content=np.uint16([BFLOAT_BITS]).tobytes(),
        ),
        hand_tensor(types_pb2.DT_FLOAT, (), float_val=[1.5]),
        hand_tensor(types_pb2.DT_FLOAT, (), tensor_content=np.float32(1.5).tobytes()),
        hand_tensor(types_pb2.DT_DOUBLE, (), double_val=[1.5]),
        hand_tensor(types_pb2.DT_DOUBLE, (1,), tensor_content=np.float64([1.5]).tobytes()),
    ],
    ids=[
        "f16-val",
        "f16-content",
        "bf16-val",
        "bf16-content",
        "f32-val",
        "f32-content",
        "f64-val",
        "f64-content",
    ],
)
def test_tensor_scalars_of_every_float_dtype(value: Summary.Value) -> None:
    assert scalar_value(value) == 1.5


@pytest.mark.parametrize(
    "value",
    [
        hand_tensor(types_pb2.DT_INT32, (), int_val=[-7]),
        hand_tensor(types_pb2.DT_INT64, (), int64_val=[-7]),
        hand_tensor(types_pb2.DT_INT8, (), tensor_content=np.int8(-7).tobytes()),
    ],
)
def test_tensor_scalars_of_integer_dtypes(value: Summary.Value) -> None:
    assert scalar_value(value) == -7.0


def test_bfloat16_tensors_widen_to_float32() -> None:
    bits = np.array([1.0, -2.5, 0.15625], dtype=np.float32).view(np.uint32) >> 16
    value = hand_tensor(types_pb2.DT_BFLOAT16, (3,), tensor_content=bits.astype("<u2").tobytes())
    array = tensor_value(value)
    assert array.dtype == np.float32
    assert array.tolist() == [1.0, -2.5, 0.15625]


# -- images ----------------------------------------------------------------


@pytest.mark.parametrize("channels", [1, 3, 4])
def test_our_images_come_back_pixel_for_pixel(channels: int) -> None:
    pixels = RNG.integers(0, 256, size=(6, 9, channels), dtype=np.uint8)
    assert np.array_equal(image_value(only(image("i", pixels, dataformats="HWC"))), pixels)


def test_our_grey_and_float_images_come_back_after_the_uint8_conversion() -> None:
    grey = RNG.random((5, 4))
    assert np.array_equal(image_value(only(image("i", grey, dataformats="HW"))), to_uint8(grey)[..., None])
    chw = RNG.random((3, 5, 4))
    expected = to_uint8(chw.transpose(1, 2, 0))
    assert np.array_equal(image_value(only(image("i", chw))), expected)


def test_our_image_batch_comes_back_as_its_grid() -> None:
    batch = RNG.integers(0, 256, size=(5, 3, 4, 6), dtype=np.uint8)
    expected = make_grid(batch.transpose(0, 2, 3, 1))
    assert np.array_equal(image_value(only(images("b", batch))), expected)


@pytest.mark.parametrize("channels", [3, 4])
def test_tensorboardx_images(channels: int) -> None:
    pixels = RNG.integers(0, 256, size=(7, 5, channels), dtype=np.uint8)
    assert np.array_equal(image_value(only(tbx.image("i", pixels, dataformats="HWC"))), pixels)


def test_tensorboardx_grey_image_is_stored_as_rgb() -> None:
    grey = RNG.integers(0, 256, size=(7, 5), dtype=np.uint8)
    assert np.array_equal(
        image_value(only(tbx.image("i", grey, dataformats="HW"))),
        np.repeat(grey[..., None], 3, 2),
    )


def test_tf2_image_tensor_of_one_image() -> None:
    pixels = RNG.integers(0, 256, size=(4, 6, 3), dtype=np.uint8)
    assert np.array_equal(image_value(image_tensor(file_of(pixels), width=6, height=4)), pixels)


def test_tf2_image_tensor_of_several_images_of_one_shape_stacks_them() -> None:
    batch = RNG.integers(0, 256, size=(3, 4, 6, 4), dtype=np.uint8)
    decoded = image_value(image_tensor(*(file_of(pixels) for pixels in batch), width=6, height=4))
    assert decoded.shape == (3, 4, 6, 4)
    assert np.array_equal(decoded, batch)


def test_image_tensor_of_images_of_different_shapes_is_a_list() -> None:
    small, large = np.zeros((2, 3, 1), np.uint8), np.full((4, 5, 3), 9, np.uint8)
    decoded = image_value(image_tensor(encode_png(small), encode_png(large)))
    assert isinstance(decoded, list)
    assert [item.shape for item in decoded] == [(2, 3, 1), (4, 5, 3)]
    assert np.array_equal(decoded[1], large)


def test_image_tensor_without_images_is_an_empty_list() -> None:
    assert image_value(image_tensor(width=6, height=4)) == []


def test_tensorboard_s_conversion_of_a_legacy_image_reads_the_same() -> None:
    value = only(image("i", RNG.integers(0, 256, size=(5, 7, 3), dtype=np.uint8), dataformats="HWC"))
    converted = data_compat.migrate_value(value)
    assert converted.WhichOneof("value") == "tensor"
    assert np.array_equal(image_value(converted), image_value(value))


def test_jpeg_images_decode_to_their_channels() -> None:
    rgb = np.full((8, 8, 3), (200, 40, 90), dtype=np.uint8)
    decoded = decode_image(file_of(rgb, "JPEG"))
    assert decoded.shape == (8, 8, 3)
    assert np.abs(decoded.astype(int) - rgb).max() <= 3
    assert decode_image(file_of(np.full((8, 8, 1), 77, np.uint8), "JPEG")).shape == (
        8,
        8,
        1,
    )


def test_other_png_modes_are_widened_to_grey_rgb_or_rgba() -> None:
    rgb = np.zeros((2, 2, 3), dtype=np.uint8)
    rgb[0, 0] = (255, 0, 0)
    assert np.array_equal(decode_image(file_of(rgb, mode="P")), rgb)
    grey_alpha = decode_image(file_of(np.full((2, 2, 1), 60, np.uint8), mode="LA"))
    assert grey_alpha.shape == (2, 2, 4)
    assert grey_alpha[0, 0].tolist() == [60, 60, 60, 255]
    sixteen = Image.fromarray(np.array([[0, 257 * 100], [65535, 257 * 3]], dtype=np.uint16))
    buffer = io.BytesIO()
    sixteen.save(buffer, format="PNG")
    assert decode_image(buffer.getvalue())[..., 0].tolist() == [[0, 100], [255, 3]]


# -- audio -----------------------------------------------------------------


def tone(frames: int = 800, frequency: float = 440.0, rate: int = 8000) -> np.ndarray:
    return 0.8 * np.sin(2 * np.pi * frequency * np.arange(frames) / rate)


def test_our_mono_clip() -> None:
    samples, rate = audio_value(only(audio("a", tone(), 8000)))
    assert (samples.dtype, samples.shape, rate) == (np.float32, (800, 1), 8000)
    np.testing.assert_allclose(samples[:, 0], tone(), rtol=0, atol=HALF_STEP)


def test_our_stereo_clip() -> None:
    clip = np.stack([tone(), -tone(frequency=220.0) / 2], axis=1)
    samples, rate = audio_value(only(audio("a", clip, 16000)))
    assert (samples.shape, rate) == ((800, 2), 16000)
    np.testing.assert_allclose(samples, clip, rtol=0, atol=HALF_STEP)


@pytest.mark.parametrize("channels", [1, 2])
def test_tensorboardx_clip(channels: int) -> None:
    pytest.importorskip("soundfile")
    clip = np.stack([tone(), tone(frequency=330.0)][:channels], axis=1)
    samples, rate = audio_value(only(tbx.audio("a", clip, 8000)))
    assert (samples.shape, rate) == ((800, channels), 8000)
    # libsndfile scales by 32768 and truncates: up to one step off.
    np.testing.assert_allclose(samples, clip, rtol=0, atol=1 / 32768 + 1e-7)


def test_tf2_audio_tensor_of_several_clips_stacks_them() -> None:
    clips = [
        np.stack([tone(), tone() / 2], axis=1),
        np.stack([-tone(), tone() / 4], axis=1),
    ]
    samples, rate = audio_value(audio_tensor(*(encode_wav(clip, 8000) for clip in clips)))
    assert (samples.shape, rate) == ((2, 800, 2), 8000)
    np.testing.assert_allclose(samples, np.stack(clips), rtol=0, atol=HALF_STEP)


def test_audio_tensor_of_clips_of_different_lengths_is_a_list() -> None:
    samples, rate = audio_value(
        audio_tensor(encode_wav(tone(10)[:, None], 8000), encode_wav(tone(20)[:, None], 8000))
    )
    assert [clip.shape for clip in samples] == [(10, 1), (20, 1)]
    assert rate == 8000


def test_audio_tensor_of_wav_files_only_as_tensorboard_keeps_it() -> None:
    value = audio_tensor(encode_wav(tone()[:, None], 8000), encode_wav(tone()[:, None], 8000))
    value.tensor.CopyFrom(tensor_util.make_tensor_proto(tensor_value(value)[:, 0]))
    samples, rate = audio_value(value)
    assert (samples.shape, rate) == ((2, 800, 1), 8000)


def test_audio_tensor_of_clips_of_different_rates_raises() -> None:
    value = audio_tensor(encode_wav(tone(10)[:, None], 8000), encode_wav(tone(10)[:, None], 16000))
    with pytest.raises(
        ValueError,
        match=r"^audio_value\(value=\.\.\.\): expected clips of one sample rate",
    ):
        audio_value(value)


def test_tensorboard_s_conversion_of_a_legacy_clip_reads_the_same() -> None:
    pytest.importorskip("soundfile")
    legacy = Summary.Value.FromString(only(tbx.audio("a", tone(), 8000)).SerializeToString())
    converted = data_compat.migrate_value(legacy)
    assert converted.WhichOneof("value") == "tensor"
    (samples, rate), (expected, expected_rate) = (
        audio_value(converted),
        audio_value(legacy),
    )
    assert rate == expected_rate and np.array_equal(samples, expected)


@pytest.mark.parametrize("width", [1, 2, 3, 4])
def test_pcm_widths(width: int) -> None:
    full = 1 << (8 * width - 1)
    ints = np.array([[0, full - 1], [-full + 1, full // 2], [-full, 1]])
    samples, rate = decode_wav(wav_bytes(ints, width, 22050))
    assert (samples.dtype, samples.shape, rate) == (np.float32, (3, 2), 22050)
    expected = (ints / full).astype(np.float32)
    assert np.array_equal(samples, expected)


# -- text ------------------------------------------------------------------


@pytest.mark.parametrize("string", ["plain", "", "ünïcödé ✓ 🎉", "**markdown**\n\n| a | b |"])
def test_our_text_and_tensorboard_s_text_pb(string: str) -> None:
    assert text_value(only(text("t", string))) == string
    assert text_value(only(text_pb("t", string))) == string


def test_our_text_tables_keep_their_shape() -> None:
    rows = [["α", "b", "c"], ["d", "é", "🎉"]]
    decoded = text_value(only(text("t", rows)))
    assert (decoded.dtype, decoded.shape, decoded.tolist()) == (
        np.dtype(object),
        (2, 3),
        rows,
    )
    assert text_value(only(text("t", ["x", "y"]))).tolist() == ["x", "y"]


def test_tensorboard_s_text_pb_of_a_2d_array() -> None:
    table = np.array([["a", "b"], ["ç", "d"]])
    decoded = text_value(only(text_pb("t", table)))
    assert decoded.shape == (2, 2) and decoded.tolist() == table.tolist()
    assert all(type(item) is str for item in decoded.ravel())


def test_tensorboardx_text_of_one_string_is_a_str() -> None:
    assert text_value(only(tbx.text("t", "héllo"))) == "héllo"


def test_a_text_of_one_string_reads_as_tbparse_reads_it(tmp_path) -> None:
    """torch and tensorboardX write one text as a (1,) tensor, as R's tfevents does: tbparse gives a str."""
    import tensorboardX
    import torch.utils.tensorboard
    from tbparse import SummaryReader

    import neuroboard

    writers = (("torch", torch.utils.tensorboard.SummaryWriter), ("tbx", tensorboardX.SummaryWriter))
    for name, writer_class in writers:
        with writer_class(str(tmp_path / name)) as writer:
            writer.add_text("note", "héllo **there**", 3)
    expected = SummaryReader(str(tmp_path), extra_columns={"dir_name"}).text
    found = neuroboard.collect_events(tmp_path, type="summary")
    for name in ("torch", "tbx"):
        ours = [neuroboard.value(s) for s in found[found.run == name].summary]
        theirs = expected[expected.dir_name == name].value.tolist()
        assert ours == theirs == ["héllo **there**"]
        assert type(ours[0]) is str
    # A table of one cell stays a table.
    table = text_value(only(text("t", [["only"]])))
    assert table.shape == (1, 1) and table.tolist() == [["only"]]


# -- histograms ------------------------------------------------------------


def test_our_histogram_with_explicit_edges() -> None:
    values = RNG.normal(size=500)
    edges = np.linspace(-5, 5, 21)
    value = only(histogram("h", values, bins=edges))
    decoded = histogram_value(value)
    counts, _ = np.histogram(values, bins=edges)
    occupied = np.flatnonzero(counts)
    first, last = occupied[0], occupied[-1]
    assert decoded.counts.sum() == len(values)
    np.testing.assert_array_equal(decoded.counts, counts[first : last + 1])
    expected_edges = [values.min(), *edges[first + 1 : last + 1], values.max()]
    np.testing.assert_array_equal(decoded.edges, expected_edges)


@pytest.mark.parametrize("bins", ["tensorflow", 7, "auto"])
def test_our_histogram_edges_are_the_written_limits_between_min_and_max(bins) -> None:
    values = RNG.exponential(size=300) - 0.5
    histo = only(histogram("h", values, bins=bins)).histo
    decoded = histogram_value(Summary.Value(histo=histo))
    assert (decoded.edges.dtype, decoded.counts.dtype) == (np.float64, np.float64)
    assert len(decoded.edges) == len(decoded.counts) + 1
    assert decoded.counts.sum() == len(values) == histo.num
    np.testing.assert_array_equal(decoded.edges, [histo.min, *histo.bucket_limit[:-1], histo.max])


def test_tensorboardx_histogram_matches_numpy() -> None:
    values = RNG.normal(size=1000)
    decoded = histogram_value(only(tbx.histogram("h", values, bins=12)))
    counts, edges = np.histogram(values, bins=12)
    np.testing.assert_array_equal(decoded.counts, counts)
    np.testing.assert_allclose(decoded.edges, edges, rtol=1e-15)


def test_tensorboardx_histogram_with_tensorflow_buckets() -> None:
    values = RNG.normal(size=1000)
    # add_histogram turns "tensorflow" into these edges before calling tbx.histogram.
    decoded = histogram_value(only(tbx.histogram("h", values, bins=tensorflow_edges())))
    assert decoded.counts.sum() == 1000
    assert decoded.edges[0] == values.min() and decoded.edges[-1] == values.max()
    assert (np.diff(decoded.edges) > 0).all()


def test_tensorboard_s_histogram_pb() -> None:
    values = RNG.uniform(-2, 3, size=400)
    decoded = histogram_value(only(histogram_pb("h", values, buckets=8)))
    counts, edges = np.histogram(values, bins=8)
    np.testing.assert_array_equal(decoded.counts, counts)
    np.testing.assert_allclose(decoded.edges, edges, rtol=1e-12)


def test_tensorboard_s_histogram_pb_of_no_data_is_zero_buckets() -> None:
    decoded = histogram_value(only(histogram_pb("h", [], buckets=4)))
    assert decoded.counts.tolist() == [0.0] * 4 and decoded.edges.tolist() == [0.0] * 5


def test_empty_histograms_have_no_buckets_and_no_edges() -> None:
    for value in (
        only(histogram("h", [])),
        tensor_summary_value(np.zeros((0, 3)), "histograms"),
    ):
        decoded = histogram_value(value)
        assert isinstance(decoded, Histogram)
        assert decoded.edges.shape == (0,) and decoded.counts.shape == (0,)


def test_legacy_histogram_drops_empty_end_buckets_and_uses_min_and_max() -> None:
    biggest = np.finfo(np.float64).max
    histo = HistogramProto(
        min=-0.5,
        max=2.5,
        num=6,
        bucket_limit=[-1.0, 0.0, 1.0, 2.0, 3.0, biggest],
        bucket=[0, 1, 0, 2, 3, 0],
    )
    decoded = histogram_value(Summary.Value(histo=histo))
    assert decoded.edges.tolist() == [-0.5, 0.0, 1.0, 2.0, 2.5]
    assert decoded.counts.tolist() == [1.0, 0.0, 2.0, 3.0]


@settings(max_examples=60, deadline=None)
@given(
    hnp.arrays(np.float64, st.integers(1, 200), elements=st.floats(-1e6, 1e6)),
    st.sampled_from(["tensorflow", 5]),
)
def test_legacy_reading_agrees_with_tensorboard_s_conversion(values: np.ndarray, bins) -> None:
    value = only(histogram("h", values, bins=bins))
    ours = histogram_value(value)
    theirs = histogram_value(data_compat.migrate_value(value))
    # TensorBoard's converter stores float32.
    np.testing.assert_array_equal(ours.edges.astype(np.float32), theirs.edges)
    np.testing.assert_array_equal(ours.counts, theirs.counts)


# -- the dispatcher --------------------------------------------------------


def test_dispatch_by_value_kind() -> None:
    assert decode_value(only(scalar("s", 0.5))) == 0.5
    pixels = RNG.integers(0, 256, size=(3, 4, 3), dtype=np.uint8)
    assert np.array_equal(decode_value(only(image("i", pixels, dataformats="HWC"))), pixels)
    assert decode_value(only(histogram("h", [1.0, 2.0], bins=[0, 1.5, 3]))).counts.tolist() == [1.0, 1.0]
    assert decode_value(only(tbx.scalar("s", 2.0))) == 2.0


def test_dispatch_by_the_value_s_own_plugin_name() -> None:
    assert decode_value(only(text("t", "hi"))) == "hi"
    assert decode_value(only(scalar("s", 0.5, new_style=True))) == 0.5
    assert decode_value(only(audio("a", tone(), 8000)))[1] == 8000
    assert decode_value(only(histogram_pb("h", [1.0, 2.0], buckets=2))).counts.tolist() == [1.0, 1.0]


def test_dispatch_by_the_given_plugin_for_tensors_without_metadata() -> None:
    bare = Summary.Value(tag="t", tensor=only(text("t", "hi")).tensor)
    assert decode_value(bare, plugin="text") == "hi"
    assert decode_value(bare).tolist() == b"hi"
    scalar_tensor = Summary.Value(tag="s", tensor=only(scalar("s", 0.5, new_style=True)).tensor)
    assert decode_value(scalar_tensor, plugin="scalars") == 0.5
    assert decode_value(scalar_tensor).dtype == np.float32


def test_unknown_plugins_give_the_tensor() -> None:
    value = tensor_summary_value(np.arange(6, dtype=np.int32).reshape(2, 3), "pr_curves")
    assert decode_value(value).tolist() == [[0, 1, 2], [3, 4, 5]]
    assert decode_value(value, plugin="my_plugin").dtype == np.int32


def test_hparams_give_their_plugin_data() -> None:
    ours = decode_value(only(session_start({"lr": 0.1, "optimizer": "adam"})))
    assert isinstance(ours, HParamsPluginData)
    assert ours.session_start_info.hparams["lr"].number_value == 0.1
    assert ours.session_start_info.hparams["optimizer"].string_value == "adam"
    _, start, _ = tbx.hparams({"lr": 0.2}, {"loss": 1.0})
    # tensorboardX sets no value at all: the data is all in the metadata.
    assert decode_value(only(start)).session_start_info.hparams["lr"].number_value == 0.2
    tensorboard_s = decode_value(only(tb_hparams.hparams_pb({"units": 64})))
    assert tensorboard_s.session_start_info.hparams["units"].number_value == 64


def test_foreign_summary_value_protos_are_read() -> None:
    value = only(tbx.scalar("s", 1.5))
    assert not isinstance(value, Summary.Value)
    assert scalar_value(value) == decode_value(value) == 1.5


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda: decode_value(Summary.Value(tag="t")),
            ValueError,
            "decode_value(value=...): expected a Summary.Value",
        ),
        (
            lambda: decode_value(b"\x08\x01"),
            TypeError,
            "decode_value(value=...): expected a Summary.Value, got bytes",
        ),
        (
            lambda: decode_value(only(text("t", "x")), plugin=3),
            TypeError,
            "decode_value(plugin=...): expected None",
        ),
        (
            lambda: decode_value(Summary.Value(image=Summary.Image(encoded_image_string=b"GIF87a no"))),
            ValueError,
            "image_value(value=...): expected PNG or JPEG bytes, got 9 bytes",
        ),
        (
            lambda: image_value(only(text("t", [["a", "b"]]))),
            ValueError,
            "image_value(value=...): expected a 1-D string tensor [width, height, image, ...], got shape (1, 2)",
        ),
        (
            lambda: decode_value(Summary.Value(audio=Summary.Audio(encoded_audio_string=b"RIFF"))),
            ValueError,
            "audio_value(value=...): expected the bytes of a PCM or float WAV file, got 4 bytes",
        ),
        (
            lambda: scalar_value(tensor_summary_value(np.zeros(2))),
            ValueError,
            "scalar_value(value=...): expected a simple_value or a tensor of one real number, got float64 of shape (2,)",
        ),
        (
            lambda: scalar_value(only(text("t", "x"))),
            ValueError,
            "scalar_value(value=...): expected a simple_value or a tensor of one real number, got object of shape ()",
        ),
        (
            lambda: scalar_value(only(histogram("h", [1.0]))),
            ValueError,
            (
                "scalar_value(value=...): expected a simple_value or a tensor of one real number, "
                "got a Summary.Value holding histo"
            ),
        ),
        (
            lambda: text_value(tensor_summary_value(np.float32(1))),
            ValueError,
            "text_value(value=...): expected a string tensor, got DT_FLOAT of shape ()",
        ),
        (
            lambda: text_value(tensor_summary_value(np.array(b"\xff\xfe", dtype=object))),
            ValueError,
            "text_value(value=...): expected UTF-8 strings",
        ),
        (
            lambda: tensor_value(hand_tensor(types_pb2.DT_FLOAT, (3,), tensor_content=b"\0" * 8)),
            ValueError,
            "tensor_value(value=...): expected a tensor whose contents fit its dtype and shape, got DT_FLOAT of shape (3,)",
        ),
        (
            lambda: histogram_value(tensor_summary_value(np.array([[0.0, 1.0, 2.0], [1.5, 2.0, 1.0]]))),
            ValueError,
            (
                "histogram_value(value=...): expected a (k, 3) tensor of adjoining [left, right, count] rows, "
                "got buckets with gaps or overlaps"
            ),
        ),
        (
            lambda: histogram_value(
                Summary.Value(histo=HistogramProto(bucket_limit=[1.0], bucket=[1.0, 2.0]))
            ),
            ValueError,
            "histogram_value(value=...): expected a HistogramProto with one bucket_limit per bucket",
        ),
        (
            lambda: audio_value(only(scalar("s", 1.0))),
            ValueError,
            (
                "audio_value(value=...): expected a Summary.Value holding audio or a string tensor, "
                "got a Summary.Value holding simple_value"
            ),
        ),
    ],
)
def test_undecodable_values_raise_naming_the_function_and_argument(call, error: type, message: str) -> None:
    with pytest.raises(error) as raised:
        call()
    assert str(raised.value).startswith(message)


# -- written, read by TensorBoard's loaders, decoded --------------------------


def test_a_logdir_written_by_us_decodes_raw_and_as_tensorboard_converts_it(
    tmp_path,
) -> None:
    pixels = RNG.integers(0, 256, size=(4, 5, 3), dtype=np.uint8)
    values = RNG.normal(size=100)
    with SummaryWriter(tmp_path) as writer:
        for step in range(2):
            writer.add_scalar("loss", 0.5 * step, step)
            writer.add_image("picture", pixels, step, dataformats="HWC")
            writer.add_histogram("weights", values + step, step)
            writer.add_audio("sound", tone(), step, sample_rate=8000)
            writer.add_text("notes", f"step {step}", step)
    (path,) = run_files(tmp_path)["."]
    for loader in (LegacyEventFileLoader, EventFileLoader):
        plugins: dict[str, str] = {}
        decoded: dict[str, list] = {}
        for event in loader(str(path)).Load():
            for value in event.summary.value:
                # Metadata may come only with a tag's first value: remember its plugin.
                plugins.setdefault(value.tag, value.metadata.plugin_data.plugin_name)
                decoded.setdefault(value.tag, []).append(decode_value(value, plugins[value.tag]))
        assert decoded["loss"] == [0.0, 0.5]
        assert all(np.array_equal(item, pixels) for item in decoded["picture"])
        for step, buckets in enumerate(decoded["weights"]):
            assert buckets.counts.sum() == 100
            assert buckets.edges[0] == pytest.approx(values.min() + step)
        for samples, rate in decoded["sound"]:
            assert rate == 8000
            np.testing.assert_allclose(samples[:, 0], tone(), rtol=0, atol=HALF_STEP)
        assert decoded["notes/text_summary"] == ["step 0", "step 1"]
