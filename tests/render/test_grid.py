"""render.grid: equalize, transpose_layout and make_grid on NumPy arrays."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from neuroboard.render.grid import default_columns, equalize, make_grid, transpose_layout


def quiet(func, *args, **kwargs):
    """Call ``func`` with every warning raised as an error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return func(*args, **kwargs)


# -- equalize -------------------------------------------------------------------


def test_equalize_stretches_the_global_range_to_0_1() -> None:
    images = np.array([[[2.0, 4.0]], [[6.0, 10.0]]])
    assert equalize(images).tolist() == [[[0.0, 0.25]], [[0.5, 1.0]]]


def test_equalize_per_image_uses_each_image_s_own_range() -> None:
    images = np.stack([np.arange(4.0).reshape(2, 2), 10 + 2 * np.arange(4.0).reshape(2, 2)])
    expected = np.arange(4.0).reshape(2, 2) / 3
    got = equalize(images, per_image=True)
    np.testing.assert_allclose(got[0], expected)
    np.testing.assert_allclose(got[1], expected)
    assert equalize(images).max() == 1.0 and equalize(images)[0].max() < 0.2


@pytest.mark.parametrize("per_image", [False, True])
def test_a_constant_image_equalizes_to_zeros_without_nan(per_image: bool) -> None:
    got = quiet(equalize, np.full((2, 3, 4), 7.5), per_image=per_image)
    assert got.shape == (2, 3, 4)
    assert not np.isnan(got).any()
    assert (got == 0).all()


def test_only_the_constant_image_of_a_batch_becomes_zeros() -> None:
    images = np.stack([np.full((2, 2), 3.0), np.array([[0.0, 1.0], [2.0, 4.0]])])
    got = quiet(equalize, images, per_image=True)
    assert got[0].tolist() == [[0.0, 0.0], [0.0, 0.0]]
    assert got[1].tolist() == [[0.0, 0.25], [0.5, 1.0]]


def test_equalize_ignores_non_finite_values_for_the_range() -> None:
    got = quiet(equalize, np.array([np.nan, 1.0, 3.0, np.inf, -np.inf, 2.0]))
    assert got.tolist() == [0.0, 0.0, 1.0, 1.0, 0.0, 0.5]
    assert quiet(equalize, np.array([np.nan, np.nan])).tolist() == [0.0, 0.0]


@pytest.mark.parametrize(
    ("dtype", "result"),
    [
        (np.uint8, np.float32),
        (np.int16, np.float32),
        (np.bool_, np.float32),
        (np.float16, np.float32),
        (np.float32, np.float32),
        (np.int64, np.float64),
        (np.float64, np.float64),
    ],
)
def test_equalize_returns_floats(dtype: type, result: type) -> None:
    got = equalize(np.array([0, 1, 1], dtype=dtype))
    assert got.dtype == result
    assert got.tolist() == [0.0, 1.0, 1.0]


def test_equalize_accepts_lists_and_empty_arrays() -> None:
    assert equalize([[1, 2], [3, 5]]).tolist() == [[0.0, 0.25], [0.5, 1.0]]
    assert equalize(np.zeros((0, 3, 3)), per_image=True).shape == (0, 3, 3)


def test_equalize_rejects_non_numeric_data_and_per_image_of_a_scalar() -> None:
    with pytest.raises(
        TypeError, match=r"equalize\(images=\.\.\.\): expected a numeric array, got dtype <U1"
    ):
        equalize(["a", "b"])
    with pytest.raises(ValueError, match=r"equalize\(images=\.\.\.\): per_image=True"):
        equalize(3.0, per_image=True)


@given(
    hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=2, max_dims=4, max_side=5),
        elements=st.floats(-1e6, 1e6, allow_nan=False),
    ),
    st.booleans(),
)
def test_equalize_maps_each_range_onto_exactly_0_1(images: np.ndarray, per_image: bool) -> None:
    got = quiet(equalize, images, per_image=per_image)
    assert got.shape == images.shape
    assert ((got >= 0) & (got <= 1)).all()
    for original, stretched in zip(images, got) if per_image else [(images, got)]:
        if original.max() > original.min():
            assert stretched.min() == 0.0 and stretched.max() == 1.0
        else:
            assert (stretched == 0).all()


# -- transpose_layout -------------------------------------------------------------


def test_transpose_layout_moves_and_adds_axes() -> None:
    chw = np.arange(24).reshape(2, 3, 4)
    hwc = transpose_layout(chw, "CHW", "HWC")
    assert hwc.shape == (3, 4, 2)
    assert hwc[1, 2, 0] == chw[0, 1, 2]
    assert transpose_layout(np.zeros((3, 4)), "HW", "NHWC").shape == (1, 3, 4, 1)
    assert transpose_layout(np.zeros((5, 3, 4)), "NHW", "NHWC").shape == (5, 3, 4, 1)


def test_transpose_layout_rejects_letters_that_do_not_fit() -> None:
    with pytest.raises(ValueError, match="transpose_layout\\(source=...\\): expected 2 distinct letters"):
        transpose_layout(np.zeros((3, 4)), "CHW", "HWC")
    with pytest.raises(ValueError, match="transpose_layout\\(target=...\\)"):
        transpose_layout(np.zeros((3, 4)), "HW", "H")


# -- make_grid -----------------------------------------------------------------------


def numbered(count: int, height: int, width: int, channels: int = 1) -> np.ndarray:
    """Return ``count`` uint8 images, image i filled with i + 1 (0 is left for padding)."""
    return np.broadcast_to(
        np.arange(1, count + 1, dtype=np.uint8)[:, None, None, None], (count, height, width, channels)
    ).copy()


def test_make_grid_places_images_row_by_row_with_padding_between() -> None:
    grid = make_grid(numbered(5, 2, 3), ncols=2, padding=1)
    assert grid.shape == (3 * 2 + 2, 2 * 3 + 1, 1)
    assert grid[..., 0].tolist() == [
        [1, 1, 1, 0, 2, 2, 2],
        [1, 1, 1, 0, 2, 2, 2],
        [0, 0, 0, 0, 0, 0, 0],
        [3, 3, 3, 0, 4, 4, 4],
        [3, 3, 3, 0, 4, 4, 4],
        [0, 0, 0, 0, 0, 0, 0],
        [5, 5, 5, 0, 0, 0, 0],
        [5, 5, 5, 0, 0, 0, 0],
    ]


@pytest.mark.parametrize("count", [1, 7, 8, 9, 64, 65, 100])
def test_make_grid_default_layout(count: int) -> None:
    height, width, padding = 4, 3, 2
    grid = make_grid(numbered(count, height, width, 3))
    ncols = default_columns(count)
    nrows = -(-count // ncols)
    assert ncols == (min(count, 8) if count <= 64 else int(np.ceil(np.sqrt(count))))
    assert grid.shape == (nrows * (height + padding) - padding, ncols * (width + padding) - padding, 3)
    for index in range(count):
        row, col = divmod(index, ncols)
        top, left = row * (height + padding), col * (width + padding)
        assert (grid[top : top + height, left : left + width] == index + 1).all()
    assert grid.dtype == np.uint8


def test_one_image_tiles_into_itself() -> None:
    image = np.random.default_rng(0).random((1, 5, 6, 4))
    assert np.array_equal(make_grid(image), image[0])


def test_make_grid_pad_value_ncols_beyond_n_and_float_input() -> None:
    grid = make_grid(np.zeros((2, 1, 1, 1)), ncols=10, padding=1, pad_value=0.5)
    assert grid[..., 0].tolist() == [[0.0, 0.5, 0.0]]
    assert grid.dtype == np.float64
    assert make_grid(numbered(3, 2, 2), ncols=1, padding=0).shape == (6, 2, 1)


@pytest.mark.parametrize(
    ("images", "kwargs", "message"),
    [
        (
            np.zeros((2, 3, 4)),
            {},
            r"make_grid\(images_nhwc=\.\.\.\): expected \(N, H, W, C\), got shape \(2, 3, 4\)",
        ),
        (np.zeros((0, 3, 4, 1)), {}, r"expected \(N, H, W, C\) with N >= 1, got shape \(0, 3, 4, 1\)"),
        (
            np.zeros((2, 3, 4, 1)),
            {"ncols": 0},
            r"make_grid\(ncols=\.\.\.\): expected None or a positive int, got 0",
        ),
        (
            np.zeros((2, 3, 4, 1)),
            {"padding": -1},
            r"make_grid\(padding=\.\.\.\): expected a non-negative int",
        ),
    ],
)
def test_make_grid_rejects_bad_input(images: np.ndarray, kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make_grid(images, **kwargs)


def test_padding_that_would_dwarf_the_images_is_refused_before_allocating() -> None:
    with pytest.raises(ValueError, match=r"make_grid\(padding=\.\.\.\): expected a grid of at most 16,000"):
        make_grid(np.zeros((2, 3, 4, 1)), padding=10**5)
    # Tiny tiles with the default padding stay a small grid, whatever the ratio.
    assert make_grid(np.zeros((1000, 1, 1, 1))).shape == (94, 94, 1)  # 32 × 32 cells of 3 pixels
