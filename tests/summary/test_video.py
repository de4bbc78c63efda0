"""summary.video: clips tiled as the peers tile them, written as an animated GIF, decoded back, and served."""

from __future__ import annotations

import io
import os
import urllib.request

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from PIL import Image

from neuroboard import SummaryWriter
from neuroboard.format.codec import Summary
from neuroboard.summary.image import image
from neuroboard.summary.values import decode_value
from neuroboard.summary.video import (
    decode_gif,
    encode_gif,
    encode_gif_reference,
    frame_delay,
    tile_clips,
    video,
    video_value,
)
from tests.tb import accumulator

RNG = np.random.default_rng(11)


def gradient(frames: int = 16, size: int = 64) -> np.ndarray:
    """Return a moving colour gradient (T, H, W, 3) with thousands of colours."""
    y, x = np.mgrid[0:size, 0:size]
    clip = np.zeros((frames, size, size, 3), dtype=np.uint8)
    for t in range(frames):
        clip[t, ..., 0] = (x * 4 + t * 8) % 256
        clip[t, ..., 1] = (y * 4) % 256
        clip[t, ..., 2] = ((x + y) * 2 + t * 4) % 256
    return clip


def few_colours(frames: int, height: int, width: int, count: int = 200) -> np.ndarray:
    palette = RNG.integers(0, 256, size=(count, 3), dtype=np.uint8)
    return palette[RNG.integers(0, count, size=(frames, height, width))]


def expanded(frames: np.ndarray, delays: list[int], delay: int) -> np.ndarray:
    """Return frames repeated as often as their delay lasts in units of ``delay``: Pillow's merges undone."""
    return np.repeat(frames, [d // delay for d in delays], axis=0)


def torch_frames(clips_ntchw: np.ndarray) -> np.ndarray:
    """Return what torch hands to moviepy for the same clips: its tiling and its scaling to uint8."""
    prepare = pytest.importorskip("torch.utils.tensorboard._utils")._prepare_video
    frames = prepare(clips_ntchw)
    scale = 1 if frames.dtype == np.uint8 else 255
    return (frames.astype(np.float32) * scale).clip(0, 255).astype(np.uint8)


# -- layout ------------------------------------------------------------------------


@pytest.mark.parametrize("count", [1, 2, 3, 4, 5, 8, 9, 16])
def test_clips_are_tiled_as_torch_tiles_them(count: int) -> None:
    clips = RNG.integers(0, 256, size=(count, 3, 2, 5, 7), dtype=np.uint8)
    ours = tile_clips(clips.transpose(0, 1, 3, 4, 2))
    assert np.array_equal(ours, torch_frames(clips))


def test_sixteen_clips_make_a_four_by_four_grid() -> None:
    value = video("v", RNG.random((16, 2, 1, 28, 28))).value[0]
    assert (value.image.height, value.image.width, value.image.colorspace) == (112, 112, 1)


@pytest.mark.parametrize(
    ("fps", "delay"), [(4, 25), (30, 3), (0.5, 200), (50, 2), (120, 2), (np.float32(10), 10)]
)
def test_frame_delay_is_fps_in_hundredths_of_a_second(fps, delay) -> None:
    assert frame_delay(fps) == delay


# -- the GIF -------------------------------------------------------------------------


@pytest.mark.parametrize("fps", [4, 10, 24])
def test_pillow_sees_t_frames_of_the_delay_fps_asks(fps: float) -> None:
    clip = few_colours(7, 6, 5)
    with Image.open(io.BytesIO(encode_gif(clip, fps))) as gif:
        assert gif.n_frames == 7
        assert gif.info["loop"] == 0
        delays = []
        for index in range(gif.n_frames):
            gif.seek(index)
            delays.append(gif.info["duration"])
    assert delays == [frame_delay(fps) * 10] * 7


def test_a_still_clip_keeps_its_frames_where_pillow_merges_them() -> None:
    still = np.repeat(few_colours(1, 4, 4), 5, axis=0)
    frames, delays = decode_gif(encode_gif(still, 4))
    assert delays == [250] * 5
    assert np.array_equal(frames, still)
    # Pillow's writer stores one frame that lasts as long as the five.
    assert decode_gif(encode_gif_reference(still, 4))[1] == [1250]


def test_grey_clips_are_exact() -> None:
    clip = RNG.integers(0, 256, size=(6, 9, 8, 1), dtype=np.uint8)
    frames, _ = decode_gif(encode_gif(clip))
    assert np.array_equal(frames, np.repeat(clip, 3, axis=3))


def test_clips_of_256_colours_are_exact() -> None:
    palette = np.stack([np.arange(256), RNG.permutation(256), RNG.permutation(256)], axis=1).astype(np.uint8)
    clip = palette[RNG.permutation(np.resize(np.arange(256), 4 * 16 * 16)).reshape(4, 16, 16)]
    assert np.array_equal(decode_gif(encode_gif(clip))[0], clip)


def test_alpha_becomes_on_or_off_at_128() -> None:
    clip = np.concatenate([few_colours(3, 8, 8), RNG.integers(0, 256, (3, 8, 8, 1), dtype=np.uint8)], axis=3)
    frames, _ = decode_gif(encode_gif(clip))
    opaque = clip[..., 3] >= 128
    assert np.array_equal(frames[..., 3], np.where(opaque, 255, 0))
    assert np.array_equal(frames[opaque][:, :3], clip[opaque][:, :3])


def test_an_opaque_rgba_clip_reads_as_rgb() -> None:
    clip = few_colours(2, 4, 4)
    rgba = np.concatenate([clip, np.full((2, 4, 4, 1), 200, dtype=np.uint8)], axis=3)
    assert np.array_equal(decode_gif(encode_gif(rgba))[0], clip)


@pytest.mark.parametrize(
    ("clip", "mean", "worst"),
    [
        # The bounds the module's notes state, per channel, with a margin of a level or two.
        (gradient(), 8.0, 48),
        (RNG.integers(0, 256, size=(16, 64, 64, 3), dtype=np.uint8), 16.0, 40),
    ],
    ids=["gradient", "noise"],
)
def test_many_colours_come_back_close(clip: np.ndarray, mean: float, worst: int) -> None:
    frames, _ = decode_gif(encode_gif(clip))
    error = np.abs(frames.astype(int) - clip.astype(int))
    assert (error.mean(axis=(0, 1, 2)) <= mean).all()
    assert (error.max(axis=(0, 1, 2)) <= worst).all()


@settings(max_examples=15, deadline=None)
@given(
    clip=hnp.arrays(
        np.uint8,
        st.tuples(st.integers(1, 4), st.integers(1, 6), st.integers(1, 6), st.sampled_from([1, 3])),
    ),
    fps=st.sampled_from([1, 4, 25]),
)
def test_fast_and_reference_writers_decode_to_the_same_frames(clip: np.ndarray, fps: int) -> None:
    # At most 144 pixels: few enough colours for both writers to be exact. Not RGBA: Pillow's
    # writer quantizes RGBA frames with its octree, which merges close colours even then.
    delay = frame_delay(fps) * 10
    ours, ours_delays = decode_gif(encode_gif(clip, fps))
    theirs, their_delays = decode_gif(encode_gif_reference(clip, fps))
    assert ours_delays == [delay] * len(clip)
    assert sum(their_delays) == delay * len(clip)
    assert np.array_equal(ours, expanded(theirs, their_delays, delay))


# -- the Summary ----------------------------------------------------------------------


@pytest.mark.parametrize(("count", "channels"), [(1, 3), (3, 1), (4, 4), (6, 3)])
def test_the_image_fields_are_those_torch_writes(count: int, channels: int) -> None:
    clips = RNG.integers(0, 256, size=(count, 3, channels, 6, 5), dtype=np.uint8)
    expected = torch_frames(clips)
    value = video("clip", clips).value[0]
    assert value.tag == "clip"
    assert not value.HasField("metadata")
    _, height, width, colorspace = expected.shape
    assert (value.image.height, value.image.width, value.image.colorspace) == (height, width, colorspace)


def test_the_frames_are_torchs_frames() -> None:
    # uint8 clips of few colours: the GIF holds exactly what torch would give moviepy.
    clips = few_colours(3 * 5, 6, 5, count=40).reshape(3, 5, 6, 5, 3).transpose(0, 1, 4, 2, 3)
    frames = video_value(video("clip", clips).value[0])
    assert np.array_equal(frames, torch_frames(np.ascontiguousarray(clips)))


def test_floats_are_scaled_by_255_and_rounded() -> None:
    clips = np.array([0.0, 0.2, 0.5, 1.0, 1.5, -1.0]).reshape(1, 6, 1, 1, 1)
    frames = video_value(video("clip", clips).value[0])
    assert frames[:, 0, 0, 0].tolist() == [0, 51, 128, 255, 255, 0]


def test_dataformats_names_the_axes_as_tensorboardx_does() -> None:
    clips = RNG.integers(0, 256, size=(2, 3, 1, 4, 5), dtype=np.uint8)
    ntchw = video("a", clips).value[0].image
    nthwc = video("a", clips.transpose(0, 1, 3, 4, 2), dataformats="nthwc").value[0].image
    assert ntchw == nthwc


def test_a_torch_tensor_is_accepted() -> None:
    torch = pytest.importorskip("torch")
    clips = torch.rand(2, 3, 3, 4, 4, requires_grad=True)
    expected = video("v", clips.detach().numpy()).value[0]
    assert video("v", clips).value[0] == expected
    assert video("v", clips.to(torch.bfloat16)).value[0].image.width == 8


# -- reading back --------------------------------------------------------------------


def test_video_value_reads_the_frames_with_their_channels() -> None:
    grey = RNG.integers(0, 256, size=(1, 4, 1, 3, 3), dtype=np.uint8)
    assert np.array_equal(video_value(video("g", grey).value[0]), grey[0].transpose(0, 2, 3, 1))
    rgba = np.full((1, 2, 4, 3, 3), 255, dtype=np.uint8)
    assert video_value(video("a", rgba).value[0]).shape == (2, 3, 3, 4)


def test_video_value_reads_the_plugins_tensor_form() -> None:
    from tensorboard.util import tensor_util

    gif = video("v", few_colours(3, 4, 5).transpose(0, 3, 1, 2)[np.newaxis]).value[0].image
    tensor = tensor_util.make_tensor_proto([b"5", b"4", gif.encoded_image_string])
    frames = decode_value(Summary.Value(tag="v", tensor=tensor), plugin="images")
    assert frames.shape == (3, 4, 5, 3)


def test_other_images_read_as_before() -> None:
    pixels = RNG.integers(0, 256, size=(4, 5, 3), dtype=np.uint8)
    assert np.array_equal(decode_value(image("i", pixels, dataformats="HWC").value[0]), pixels)
    broken = Summary.Value(image=Summary.Image(encoded_image_string=b"GIF89a broken"))
    with pytest.raises(ValueError, match=r"image_value\(value=\.\.\.\): expected PNG or JPEG bytes"):
        decode_value(broken)


def test_tensorboard_reads_the_gif_as_an_image(tmp_path) -> None:
    clips = few_colours(8, 6, 7).reshape(2, 4, 6, 7, 3).transpose(0, 1, 4, 2, 3)
    with SummaryWriter(tmp_path) as writer:
        writer.add_video("rollout", clips, 3, fps=8, walltime=5.0)
    (event,) = accumulator(tmp_path).Images("rollout")
    assert (event.step, event.wall_time, event.height, event.width) == (3, 5.0, 6, 14)
    frames, delays = decode_gif(event.encoded_image_string)
    assert delays == [120] * 4
    assert np.array_equal(frames, torch_frames(np.ascontiguousarray(clips)))


def test_a_real_tensorboard_serves_the_gif(tensorboard_server) -> None:
    run = "summary_video_served"
    clips = few_colours(5, 8, 8).reshape(1, 5, 8, 8, 3).transpose(0, 1, 4, 2, 3)
    with SummaryWriter(os.path.join(tensorboard_server.logdir, run)) as writer:
        writer.add_video("clip", clips, 2, fps=5)
    expected = video("clip", clips, 5).value[0].image.encoded_image_string

    def entries():
        try:
            return tensorboard_server.get("/data/plugin/images/images", run=run, tag="clip")
        except OSError:
            return None

    (entry,) = tensorboard_server.wait_for(entries, lambda found: len(found) == 1)
    assert entry["step"] == 2
    url = tensorboard_server.url(f"/data/plugin/images/individualImage?{entry['query']}")
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.headers["Content-Type"] == "image/gif"
        served = response.read()
    assert served == expected
    assert np.array_equal(decode_gif(served)[0], clips[0].transpose(0, 2, 3, 1))
    assert tensorboard_server.get("/data/plugin/images/tags")[run]["clip"]["samples"] == 1
