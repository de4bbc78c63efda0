"""summary.image: pixels written as PNG decode back to what was logged, here and in a real TensorBoard."""

from __future__ import annotations

import io
import os
import urllib.error

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from PIL import Image

from neuroboard import SummaryWriter
from neuroboard.format.codec import Summary
from neuroboard.render.grid import make_grid
from neuroboard.summary.image import (
    encode_png,
    encode_png_reference,
    figure,
    image,
    image_metadata,
    images,
    to_uint8,
)
from tests.tb import accumulator

RNG = np.random.default_rng(7)


def decode_png(data: bytes) -> np.ndarray:
    """Return the pixels of a PNG as uint8 (H, W, C), C = 1 for grey."""
    pixels = np.asarray(Image.open(io.BytesIO(data)))
    return pixels[..., None] if pixels.ndim == 2 else pixels


def decode(summary: Summary) -> np.ndarray:
    """Return the pixels of a one-image Summary, checking its header fields against the PNG."""
    assert len(summary.value) == 1
    encoded = summary.value[0].image
    pixels = decode_png(encoded.encoded_image_string)
    assert (encoded.height, encoded.width) == pixels.shape[:2]
    assert encoded.colorspace == pixels.shape[2]
    return pixels


def scaled(values: np.ndarray) -> np.ndarray:
    """Return what a non-uint8 image should become: x * 255, rounded, clipped to 0..255."""
    return np.clip(np.rint(np.asarray(values, dtype=np.float64) * 255), 0, 255).astype(np.uint8)


# -- pixel values --------------------------------------------------------------


@pytest.mark.parametrize("channels", [1, 3, 4])
def test_uint8_pixels_are_written_exactly(channels: int) -> None:
    hwc = RNG.integers(0, 256, size=(5, 7, channels), dtype=np.uint8)
    assert np.array_equal(decode(image("img", hwc, dataformats="HWC")), hwc)
    assert np.array_equal(decode(image("img", hwc.transpose(2, 0, 1), dataformats="CHW")), hwc)


def test_hw_is_a_grey_image() -> None:
    hw = RNG.integers(0, 256, size=(6, 4), dtype=np.uint8)
    got = decode(image("img", hw, dataformats="HW"))
    assert got.shape == (6, 4, 1)
    assert np.array_equal(got[..., 0], hw)


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
def test_floats_are_scaled_by_255_and_rounded(dtype: type) -> None:
    chw = RNG.random((3, 8, 9)).astype(dtype)
    assert np.array_equal(decode(image("img", chw)), scaled(chw.transpose(1, 2, 0)))


def test_floats_outside_0_1_are_clipped_and_nan_is_black() -> None:
    values = np.array([[-0.5, 0.0, 0.5 / 255, 1.5 / 255, 2.5 / 255, 0.5, 1.0, 7.0, np.nan, np.inf, -np.inf]])
    assert decode(image("img", values, dataformats="HW"))[0, :, 0].tolist() == [
        0,
        0,
        0,
        2,
        2,
        128,
        255,
        255,
        0,
        255,
        0,
    ]


def test_bool_and_integer_images_are_taken_as_0_1() -> None:
    mask = RNG.random((4, 5)) > 0.5
    assert np.array_equal(decode(image("m", mask, dataformats="HW"))[..., 0], mask * np.uint8(255))
    ints = np.array([[0, 1, 2, -3]], dtype=np.int64)
    assert decode(image("i", ints, dataformats="HW"))[0, :, 0].tolist() == [0, 255, 255, 0]


def test_nested_lists_are_images() -> None:
    rows = [[0.0, 0.25], [0.5, 1.0]]
    assert decode(image("l", rows, dataformats="HW"))[..., 0].tolist() == [[0, 64], [128, 255]]


def test_dataformats_are_case_insensitive() -> None:
    hwc = RNG.integers(0, 256, size=(3, 2, 3), dtype=np.uint8)
    assert np.array_equal(decode(image("img", hwc, dataformats="hwc")), hwc)


def test_to_uint8_keeps_uint8_arrays_as_they_are() -> None:
    pixels = np.arange(256, dtype=np.uint8)
    assert to_uint8(pixels) is pixels


# -- torch -----------------------------------------------------------------------


def test_torch_tensors_with_grad_and_any_dtype() -> None:
    torch = pytest.importorskip("torch")
    chw = RNG.random((3, 4, 5))
    weight = torch.tensor(chw, dtype=torch.float32, requires_grad=True)
    expected = scaled(chw.astype(np.float32).transpose(1, 2, 0))
    assert np.array_equal(decode(image("w", weight * 1)), expected)
    assert np.array_equal(
        decode(image("d", torch.tensor(chw, dtype=torch.float64))), scaled(chw.transpose(1, 2, 0))
    )
    ints = torch.tensor([[0, 1], [1, 0]], dtype=torch.int32)
    assert decode(image("i", ints, dataformats="HW"))[..., 0].tolist() == [[0, 255], [255, 0]]
    pixels = torch.randint(0, 256, (4, 5, 3), dtype=torch.uint8)
    assert np.array_equal(decode(image("u", pixels, dataformats="HWC")), pixels.numpy())
    half = torch.tensor(chw, dtype=torch.bfloat16)
    assert np.array_equal(decode(image("b", half)), scaled(half.float().numpy().transpose(1, 2, 0)))


def test_torch_batches() -> None:
    torch = pytest.importorskip("torch")
    batch = torch.rand(6, 1, 3, 3, requires_grad=True)
    expected = make_grid(scaled(batch.detach().numpy().transpose(0, 2, 3, 1)))
    assert np.array_equal(decode(images("b", batch)), expected)


# -- batches ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dataformats", "layout"),
    [("NCHW", (0, 3, 1, 2)), ("NHWC", (0, 1, 2, 3))],
)
@pytest.mark.parametrize("channels", [1, 3, 4])
def test_images_tile_the_batch_into_one_grid(dataformats: str, layout: tuple, channels: int) -> None:
    nhwc = RNG.integers(0, 256, size=(11, 4, 5, channels), dtype=np.uint8)
    got = decode(images("batch", nhwc.transpose(layout), dataformats=dataformats))
    assert np.array_equal(got, make_grid(nhwc))
    assert got.shape == (2 * 4 + 2, 8 * 5 + 7 * 2, channels)


def test_nhw_batches_of_floats_are_grey_grids() -> None:
    nhw = RNG.random((100, 10, 10))
    got = decode(images("batch", nhw, dataformats="NHW"))
    assert np.array_equal(got, make_grid(scaled(nhw)[..., None]))
    assert got.shape == (118, 118, 1)


def test_a_batch_of_one_is_the_image_itself() -> None:
    chw = RNG.random((3, 4, 5))
    assert np.array_equal(decode(images("one", chw[None])), decode(image("one", chw)))


# -- errors ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda: image("t", np.zeros((4, 5, 6, 7))),
            ValueError,
            "add_image(img=...): expected (C, H, W) for dataformats 'CHW', got shape (4, 5, 6, 7)",
        ),
        (
            lambda: image("t", np.zeros((5, 6)), dataformats="CHW"),
            ValueError,
            "add_image(img=...): expected (C, H, W) for dataformats 'CHW', got shape (5, 6)",
        ),
        (
            lambda: image("t", np.zeros((5, 6, 3)), dataformats="HW"),
            ValueError,
            "add_image(img=...): expected (H, W) for dataformats 'HW', got shape (5, 6, 3)",
        ),
        (
            lambda: image("t", np.zeros((2, 5, 6))),
            ValueError,
            "add_image(img=...): expected (C, H, W) with C = 1, 3 or 4 for dataformats 'CHW', got shape (2, 5, 6)",
        ),
        (
            lambda: image("t", np.zeros((5, 6, 5)), dataformats="HWC"),
            ValueError,
            "add_image(img=...): expected (H, W, C) with C = 1, 3 or 4 for dataformats 'HWC', got shape (5, 6, 5)",
        ),
        (
            lambda: image("t", np.zeros((3, 0, 6))),
            ValueError,
            "add_image(img=...): expected (C, H, W) with H, W >= 1 for dataformats 'CHW', got shape (3, 0, 6)",
        ),
        (
            lambda: image("t", np.zeros((3, 4, 5)), dataformats="NCHW"),
            ValueError,
            "add_image(dataformats=...): expected 'CHW', 'HWC' or 'HW', got 'NCHW'",
        ),
        (
            lambda: image("t", np.zeros((3, 4, 5)), dataformats=None),
            ValueError,
            "add_image(dataformats=...): expected 'CHW', 'HWC' or 'HW', got None",
        ),
        (
            lambda: image("t", [["a", "b"]], dataformats="HW"),
            TypeError,
            "add_image(img=...): expected a numeric array, got dtype <U1",
        ),
        (
            lambda: image("t", np.zeros((3, 4), dtype=complex), dataformats="HW"),
            TypeError,
            "add_image(img=...): expected a numeric array, got dtype complex128",
        ),
        (
            lambda: image("t", [[1.0], [1.0, 2.0]], dataformats="HW"),
            TypeError,
            "add_image(img=...): expected a numeric array",
        ),
        (lambda: image("", np.zeros((3, 4, 5))), ValueError, "add_image(tag=...): expected a non-empty str"),
        (
            lambda: images("t", np.zeros((3, 4, 5))),
            ValueError,
            "add_images(imgs=...): expected (N, C, H, W) for dataformats 'NCHW', got shape (3, 4, 5)",
        ),
        (
            lambda: images("t", np.zeros((0, 3, 4, 5))),
            ValueError,
            "add_images(imgs=...): expected (N, C, H, W) with N >= 1 for dataformats 'NCHW', got shape (0, 3, 4, 5)",
        ),
        (
            lambda: images("t", np.zeros((2, 4, 5, 2)), dataformats="NHWC"),
            ValueError,
            "add_images(imgs=...): expected (N, H, W, C) with C = 1, 3 or 4 for dataformats 'NHWC', got shape (2, 4, 5, 2)",
        ),
        (
            lambda: images("t", np.zeros((2, 4, 5)), dataformats="CHW"),
            ValueError,
            "add_images(dataformats=...): expected 'NCHW', 'NHWC' or 'NHW', got 'CHW'",
        ),
        (
            lambda: image("t", np.zeros((4, 5, 6, 7)), caller="log_image"),
            ValueError,
            "log_image(img=...): expected (C, H, W) for dataformats 'CHW', got shape (4, 5, 6, 7)",
        ),
    ],
)
def test_bad_input_names_the_caller_argument_and_expected_form(call, error: type, message: str) -> None:
    with pytest.raises(error) as raised:
        call()
    assert str(raised.value).startswith(message)


def test_nothing_is_written_on_bad_input(tmp_path) -> None:
    with SummaryWriter(tmp_path) as writer:
        with pytest.raises(ValueError):
            writer.add_summary(image("bad", np.zeros((4, 5, 6, 7))), 0)
        writer.add_summary(image("good", np.zeros((1, 2, 2))), 0)
    assert accumulator(tmp_path).Tags()["images"] == ["good"]


# -- PNG ---------------------------------------------------------------------------


@given(
    st.sampled_from([1, 3, 4]).flatmap(
        lambda channels: hnp.arrays(
            np.uint8, st.tuples(st.integers(1, 40), st.integers(1, 40), st.just(channels))
        )
    )
)
def test_fast_png_decodes_like_pillow_s(pixels: np.ndarray) -> None:
    fast, reference = decode_png(encode_png(pixels)), decode_png(encode_png_reference(pixels))
    assert np.array_equal(fast, pixels)
    assert np.array_equal(reference, pixels)


def test_png_of_non_contiguous_pixels_and_every_level() -> None:
    pixels = RNG.integers(0, 256, size=(9, 12, 3), dtype=np.uint8)[::2, ::3]
    for level in range(10):
        assert np.array_equal(decode_png(encode_png(pixels, level)), pixels)


def test_encode_png_rejects_what_png_cannot_hold() -> None:
    with pytest.raises(ValueError, match=r"encode_png\(pixels=\.\.\.\): expected uint8 \(H, W, C\)"):
        encode_png(np.zeros((2, 2, 3)))
    with pytest.raises(ValueError, match=r"got uint8 of shape \(2, 2, 2\)"):
        encode_png(np.zeros((2, 2, 2), dtype=np.uint8))


def test_image_metadata_names_the_images_plugin() -> None:
    metadata = image_metadata("Digits", "first layer")
    assert (metadata.plugin_data.plugin_name, metadata.display_name) == ("images", "Digits")


# -- matplotlib ----------------------------------------------------------------------


def red_figure(width: float = 2.0, height: float = 1.0, dpi: int = 40):
    matplotlib_figure = pytest.importorskip("matplotlib.figure")
    return matplotlib_figure.Figure(figsize=(width, height), dpi=dpi, facecolor=(1.0, 0.0, 0.0))


def test_figure_is_drawn_at_its_size_and_dpi() -> None:
    got = decode(figure("fig", red_figure(), close=False))
    assert got.shape == (40, 80, 3)
    assert (got == [255, 0, 0]).all()


def test_a_figure_keeps_its_own_canvas() -> None:
    fig = red_figure()
    canvas = fig.canvas
    figure("fig", fig, close=False)
    assert fig.canvas is canvas


def test_a_transparent_figure_is_rgba() -> None:
    fig = red_figure()
    fig.patch.set_alpha(0.0)
    got = decode(figure("fig", fig))
    assert got.shape == (40, 80, 4)
    assert (got[..., 3] == 0).all()


def test_a_list_of_figures_is_a_grid() -> None:
    got = decode(figure("figs", [red_figure(), red_figure(), red_figure(1.0, 1.0)]))
    assert got.shape == (40, 3 * 80 + 2 * 2, 4)
    assert (got[:, :80] == [255, 0, 0, 255]).all()
    assert (got[:, 80:82, 3] == 0).all()
    assert (got[:, 164:204] == [255, 0, 0, 255]).all()
    assert (got[:, 204:, 3] == 0).all()


def test_close_closes_pyplot_figures() -> None:
    pytest.importorskip("matplotlib")
    plt = pytest.importorskip("matplotlib.pyplot")
    kept, closed = plt.figure(), plt.figure()
    try:
        figure("kept", kept, close=False)
        figure("closed", closed)
        assert plt.fignum_exists(kept.number)
        assert not plt.fignum_exists(closed.number)
    finally:
        plt.close(kept)
        plt.close(closed)


def test_figure_rejects_what_is_not_a_figure() -> None:
    pytest.importorskip("matplotlib")
    message = r"add_figure\(figure=\.\.\.\): expected a matplotlib Figure or a non-empty list of Figures, got ndarray"
    with pytest.raises(TypeError, match=message):
        figure("fig", np.zeros((3, 4)))
    with pytest.raises(TypeError, match="got an empty list"):
        figure("fig", [])


# -- read back by TensorBoard ------------------------------------------------------------


def test_images_read_back_with_tensorboard_s_reader(tmp_path) -> None:
    steps = {step: RNG.integers(0, 256, size=(6, 5, 3), dtype=np.uint8) for step in (0, 3, 7)}
    with SummaryWriter(tmp_path) as writer:
        for step, pixels in steps.items():
            writer.add_summary(image("layer/weights", pixels, dataformats="HWC"), step)
    events = accumulator(tmp_path).Images("layer/weights")
    assert [event.step for event in events] == list(steps)
    for event, pixels in zip(events, steps.values()):
        assert (event.height, event.width) == (6, 5)
        assert np.array_equal(decode_png(event.encoded_image_string), pixels)


def _json_or_none(server, route: str, **query: str):
    try:
        return server.get(route, **query)
    except urllib.error.HTTPError:
        return None


def served_pngs(server, run: str, tag: str, count: int) -> list[tuple[int, np.ndarray]]:
    """Wait until TensorBoard serves ``count`` images of run/tag; return (step, pixels) pairs."""
    server.wait_for(
        lambda: _json_or_none(server, "/data/plugin/images/tags"),
        lambda tags: tag in tags.get(run, {}),
    )
    entries = server.wait_for(
        lambda: _json_or_none(server, "/data/plugin/images/images", run=run, tag=tag),
        lambda found: len(found) >= count,
    )
    served = []
    for entry in entries:
        # The entry's query is "blob_key=..." for the individualImage route.
        data = server.read(f"/data/plugin/images/individualImage?{entry['query']}")
        served.append((entry["step"], decode_png(data)))
    return served


def test_a_real_tensorboard_serves_the_pixels_written(tensorboard_server) -> None:
    run = "summary_image_pixels"
    rgb = {step: RNG.integers(0, 256, size=(7, 9, 3), dtype=np.uint8) for step in (0, 1, 2)}
    rgba = RNG.integers(0, 256, size=(3, 4, 4), dtype=np.uint8)
    batch = RNG.random((12, 1, 5, 5))
    with SummaryWriter(os.path.join(tensorboard_server.logdir, run)) as writer:
        for step, pixels in rgb.items():
            writer.add_summary(image("rgb", pixels, dataformats="HWC"), step)
        writer.add_summary(image("rgba", rgba.transpose(2, 0, 1)), 0)
        writer.add_summary(images("batch", batch), 5)
    served = served_pngs(tensorboard_server, run, "rgb", len(rgb))
    assert [step for step, _ in served] == list(rgb)
    for (_, got), pixels in zip(served, rgb.values()):
        assert np.array_equal(got, pixels)
    [(_, got)] = served_pngs(tensorboard_server, run, "rgba", 1)
    assert np.array_equal(got, rgba)
    [(step, got)] = served_pngs(tensorboard_server, run, "batch", 1)
    assert step == 5
    assert np.array_equal(got, make_grid(scaled(batch.transpose(0, 2, 3, 1))))


def test_a_real_tensorboard_serves_a_figure(tensorboard_server) -> None:
    run = "summary_image_figure"
    with SummaryWriter(os.path.join(tensorboard_server.logdir, run)) as writer:
        writer.add_summary(figure("fig", red_figure()), 1)
    [(step, got)] = served_pngs(tensorboard_server, run, "fig", 1)
    assert step == 1
    assert got.shape == (40, 80, 3)
    assert (got == [255, 0, 0]).all()


def _bomb_png(width: int, height: int) -> bytes:
    """Return a small PNG file whose header declares ``width`` × ``height`` grey pixels."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b""))
        + chunk(b"IEND", b"")
    )


def test_a_decompression_bomb_is_a_value_error_with_the_cap() -> None:
    import neuroboard as nb
    from neuroboard.summary.image import decode_image

    png = _bomb_png(20_000, 20_000)
    assert len(png) < 100
    cap = f"{2 * Image.MAX_IMAGE_PIXELS:,}"
    with pytest.raises(
        ValueError, match=rf"decode_image\(data=\.\.\.\): expected an image of at most {cap} pixels"
    ):
        decode_image(png)
    with pytest.raises(
        ValueError, match=rf"summary_image\(img=\.\.\.\): expected an image of at most {cap} pixels"
    ):
        nb.summary_image(png)
