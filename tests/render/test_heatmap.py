"""render.heatmap: the viridis-like colormap and heatmaps with limits, NaN and a colorbar."""

from __future__ import annotations

import io
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from PIL import Image

from neuroboard.render import VIRIDIS, heatmap_image
from neuroboard.render.heatmap import NAN_COLOR
from neuroboard.summary.image import encode_png

LUMINANCE = np.array([0.2126, 0.7152, 0.0722])


def lut_index(pixels: np.ndarray) -> np.ndarray:
    """Return, for each RGB pixel, the index of the first matching VIRIDIS entry (-1 if none)."""
    matches = (pixels[..., None, :] == VIRIDIS).all(axis=-1)
    return np.where(matches.any(axis=-1), matches.argmax(axis=-1), -1)


def test_the_colormap_has_256_entries_rising_in_luminance() -> None:
    assert VIRIDIS.shape == (256, 3) and VIRIDIS.dtype == np.uint8
    assert len(np.unique(VIRIDIS, axis=0)) >= 250  # rounding may merge a few neighbours
    luminance = VIRIDIS @ LUMINANCE
    assert luminance[-1] - luminance[0] > 150
    assert np.all(np.diff(luminance) > -0.5)  # rounding to uint8 may wobble by half a level


@settings(max_examples=40, deadline=None)
@given(hnp.arrays(np.float64, st.integers(1, 40), elements=st.floats(-1e6, 1e6)))
def test_larger_values_never_get_an_earlier_colour(row: np.ndarray) -> None:
    img = heatmap_image(row[None, :], colorbar=False)
    assert img.shape == (1, row.size, 3) and img.dtype == np.uint8
    index = lut_index(img[0])
    assert (index >= 0).all()
    order = np.argsort(row, kind="stable")
    assert np.all(np.diff(index[order]) >= 0)


def test_limits_clip_and_the_extremes_take_the_end_colours() -> None:
    img = heatmap_image([[-5.0, 0.0, 0.5, 1.0, 7.0]], vmin=0, vmax=1, colorbar=False)
    np.testing.assert_array_equal(img[0], VIRIDIS[[0, 0, 128, 255, 255]])


def test_symmetric_limits_put_zero_in_the_middle() -> None:
    img = heatmap_image([[-1.0, 0.0, 4.0]], symmetric=True, colorbar=False)
    np.testing.assert_array_equal(img[0], VIRIDIS[[96, 128, 255]])
    mirrored = heatmap_image([[-4.0, 4.0]], symmetric=True, colorbar=False)
    assert lut_index(mirrored[0]).tolist() == [0, 255]


def test_nan_is_grey_and_takes_no_part_in_the_limits() -> None:
    img = heatmap_image([[0.0, np.nan, 2.0]], colorbar=False)
    assert img[0, 1].tolist() == NAN_COLOR.tolist()
    assert lut_index(img[0, [0, 2]]).tolist() == [0, 255]
    assert (heatmap_image([[np.nan]], colorbar=False) == NAN_COLOR).all()


def test_a_constant_input_is_drawn_without_warnings() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        img = heatmap_image(np.full((3, 4), 2.5), colorbar=False)
    assert (img == VIRIDIS[0]).all()


def test_the_colorbar_widens_the_image_and_runs_from_vmax_at_the_top_to_vmin() -> None:
    values = np.arange(12.0).reshape(3, 4)
    plain, with_bar = heatmap_image(values, colorbar=False), heatmap_image(values)
    assert plain.shape == (3, 4, 3) and with_bar.shape[0] == 3 and with_bar.shape[1] > 4
    np.testing.assert_array_equal(with_bar[:, :4], plain)
    bar = with_bar[:, -1]
    np.testing.assert_array_equal(bar, VIRIDIS[[255, 128, 0]])


def test_block_means_downsample_and_ignore_nan() -> None:
    values = np.array([[0.0, 2.0, 4.0, np.nan], [0.0, 2.0, 8.0, 8.0]])
    img = heatmap_image(values, width=2, height=1, vmin=0, vmax=8, colorbar=False)
    assert img.shape == (1, 2, 3)
    # Block means: (0 + 2 + 0 + 2) / 4 = 1 and (4 + 8 + 8) / 3 = 20 / 3.
    np.testing.assert_array_equal(img[0], VIRIDIS[[32, int(20 / 3 / 8 * 256)]])
    assert heatmap_image(values, width=8, height=4, colorbar=False).shape == (4, 8, 3)


def test_the_png_round_trip_gives_back_the_pixels() -> None:
    img = heatmap_image(np.random.default_rng(1).normal(size=(16, 40)), symmetric=True)
    decoded = np.asarray(Image.open(io.BytesIO(encode_png(img))))
    np.testing.assert_array_equal(decoded, img)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (
            {"values": np.zeros(4)},
            ValueError,
            r"heatmap_image\(values=...\): expected a non-empty 2-D .*shape \(4,\)",
        ),
        ({"values": np.zeros((2, 0))}, ValueError, r"values=.*shape \(2, 0\)"),
        ({"values": np.array([["a"]])}, TypeError, r"values=.*numeric"),
        ({"values": np.zeros((2, 2)), "vmin": 2, "vmax": 1}, ValueError, r"vmin=.*vmin <= vmax"),
        ({"values": np.zeros((2, 2)), "height": -1}, ValueError, r"height=.*positive integer"),
    ],
)
def test_errors_name_the_argument(kwargs: dict, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        heatmap_image(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "arg"),
    [
        ({"width": 10**5, "height": 10**5}, "width"),
        ({"height": 10**9}, "height"),
        ({"width": 10**9}, "width"),
    ],
)
def test_an_image_beyond_the_pixel_cap_is_refused_before_allocating(kwargs: dict, arg: str) -> None:
    with pytest.raises(
        ValueError, match=rf"heatmap_image\({arg}=\.\.\.\): expected an image of at most 16,000,000 pixels"
    ):
        heatmap_image(np.ones((3, 4)), **kwargs)


def test_one_pixel_per_entry_is_not_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("neuroboard.render.limits.MAX_PIXELS", 100)
    assert heatmap_image(np.ones((20, 10)), colorbar=False).shape == (20, 10, 3)
    with pytest.raises(ValueError, match=r"heatmap_image\(height=\.\.\.\): expected .*at most 100 pixels"):
        heatmap_image(np.ones((20, 10)), height=20)


@settings(max_examples=40, deadline=None)
@given(
    hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=6),
        elements=st.floats(-5, 5) | st.just(np.nan),
    ),
    st.integers(1, 20),
    st.integers(1, 20),
)
def test_a_larger_image_repeats_the_pixels_of_the_entries(
    values: np.ndarray, width: int, height: int
) -> None:
    rows, cols = values.shape
    width, height = max(width, cols), max(height, rows)
    big = heatmap_image(values, width=width, height=height, colorbar=False)
    small = heatmap_image(values, colorbar=False)
    expected = small[np.arange(height) * rows // height][:, np.arange(width) * cols // width]
    np.testing.assert_array_equal(big, expected)
