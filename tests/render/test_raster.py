"""render.raster: spike rasters from dense arrays and event lists, binned by pixel."""

from __future__ import annotations

import io

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from PIL import Image

from neuroboard.render import raster_image
from neuroboard.summary.image import encode_png

dense_rasters = hnp.arrays(np.bool_, hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=30))


def test_a_tiny_raster_is_pixel_exact() -> None:
    spikes = np.array([[1, 0], [0, 1], [1, 1]], dtype=bool)  # 3 steps x 2 neurons
    img = raster_image(spikes)
    assert img.dtype == np.uint8 and img.shape == (2, 3, 3)
    expected = np.array([[0, 255, 0], [255, 0, 0]], dtype=np.uint8)
    for channel in range(3):
        np.testing.assert_array_equal(img[..., channel], expected)


def test_counts_set_the_darkness_and_the_fullest_pixel_is_black() -> None:
    img = raster_image(np.array([[2.0, 1.0, 0.0]]))
    assert img[:, 0, 0].tolist() == [0, 64, 255]


@settings(max_examples=40, deadline=None)
@given(dense_rasters)
def test_dense_and_event_forms_of_the_same_spikes_draw_the_same_image(spikes: np.ndarray) -> None:
    steps, neurons = np.nonzero(spikes)
    n_steps, n_neurons = spikes.shape
    dense = raster_image(spikes)
    assert dense.shape == (n_neurons, n_steps, 3)
    if steps.size:
        from_lists = raster_image((steps, neurons), n_steps=n_steps, n_neurons=n_neurons)
        from_pairs = raster_image(np.stack([steps, neurons], axis=1), n_steps=n_steps, n_neurons=n_neurons)
        np.testing.assert_array_equal(from_lists, dense)
        np.testing.assert_array_equal(from_pairs, dense)


@settings(max_examples=40, deadline=None)
@given(dense_rasters, st.integers(1, 12), st.integers(1, 12))
def test_binning_keeps_every_occupied_pixel_dark(spikes: np.ndarray, width: int, height: int) -> None:
    img = raster_image(spikes, width=width, height=height)
    assert img.shape == (height, width, 3)
    steps, neurons = np.nonzero(spikes)
    n_steps, n_neurons = spikes.shape
    bins_x, bins_y = min(width, n_steps), min(height, n_neurons)
    occupied = {(n * bins_y // n_neurons, s * bins_x // n_steps) for s, n in zip(steps, neurons)}
    dark = img[..., 0] < 128
    assert int(dark.sum()) >= len(occupied)
    if (bins_x, bins_y) == (width, height):
        assert int(dark.sum()) == len(occupied) and all(dark[cell] for cell in occupied)


def test_a_million_spikes_bin_into_a_small_image() -> None:
    rng = np.random.default_rng(0)
    steps, neurons = rng.integers(0, 100_000, 1_000_000), rng.integers(0, 1_000, 1_000_000)
    img = raster_image((steps, neurons), width=1000, height=500)
    assert img.shape == (500, 1000, 3) and img[..., 0].min() == 0


def test_larger_images_repeat_pixels() -> None:
    img = raster_image(([1], [0]), n_steps=2, n_neurons=1, width=4, height=2)
    assert img[..., 0].tolist() == [[255, 255, 0, 0], [255, 255, 0, 0]]


def test_the_png_round_trip_gives_back_the_pixels() -> None:
    img = raster_image((np.arange(20), np.arange(20) % 7), width=10)
    decoded = np.asarray(Image.open(io.BytesIO(encode_png(img))))
    np.testing.assert_array_equal(decoded, img)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (
            {"spikes": np.zeros(5)},
            ValueError,
            r"raster_image\(spikes=...\): expected a 2-D .* got shape \(5,\)",
        ),
        ({"spikes": ([0, -1], [0, 0])}, ValueError, r"spikes=.*step indices must be >= 0"),
        ({"spikes": ([0.5], [0])}, TypeError, r"spikes=.*integer step indices, got dtype float64"),
        ({"spikes": ([0, 1], [0])}, ValueError, r"spikes=.*equal length"),
        ({"spikes": np.array([[1.0, -1.0]])}, ValueError, r"spikes=.*non-negative"),
        ({"spikes": ([3], [0]), "n_steps": 2}, ValueError, r"n_steps=.*largest index 3"),
        ({"spikes": np.ones((2, 3), bool), "n_neurons": 4}, ValueError, r"n_neurons=.*expected 3"),
        ({"spikes": np.ones((2, 3), bool), "width": 0}, ValueError, r"width=.*positive integer"),
        ({"spikes": ([], [])}, ValueError, r"spikes=.*n_steps and n_neurons"),
    ],
)
def test_errors_name_the_argument(kwargs: dict, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        raster_image(**kwargs)


def test_events_false_reads_an_integer_two_column_array_as_dense() -> None:
    counts = np.array([[0, 1], [1, 0], [0, 0]])
    assert raster_image(counts, events=False).shape == (2, 3, 3)
    assert raster_image(counts).shape == (2, 2, 3)  # read as (step, neuron) pairs


@pytest.mark.parametrize(
    ("kwargs", "arg"),
    [
        ({"spikes": ([10**9], [0])}, "spikes"),  # the extent of one late event: 10**9 × 1 pixels
        ({"spikes": ([0], [0]), "n_steps": 10**6, "n_neurons": 10**3}, "n_steps"),
        ({"spikes": np.ones((2, 3), bool), "width": 10**5, "height": 10**5}, "width"),
        ({"spikes": ([0], [0]), "height": 10**10}, "height"),
    ],
)
def test_an_image_beyond_the_pixel_cap_is_refused_before_allocating(kwargs: dict, arg: str) -> None:
    with pytest.raises(
        ValueError, match=rf"raster_image\({arg}=\.\.\.\): expected an image of at most 16,000,000 pixels"
    ):
        raster_image(**kwargs)


def test_one_pixel_per_entry_of_a_dense_array_is_not_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("neuroboard.render.limits.MAX_PIXELS", 100)
    spikes = np.ones((20, 10), bool)
    assert raster_image(spikes).shape == (10, 20, 3)
    with pytest.raises(ValueError, match=r"raster_image\(width=\.\.\.\): expected .*at most 100 pixels"):
        raster_image(spikes, width=20)
    with pytest.raises(ValueError, match=r"raster_image\(spikes=\.\.\.\)"):
        raster_image((np.array([19]), np.array([9])))
