"""render.traces: time series drawn as connected lines, one colour per series."""

from __future__ import annotations

import io

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from PIL import Image

from neuroboard.render import trace_image
from neuroboard.render.traces import TRACE_COLORS
from neuroboard.summary.image import encode_png


def drawn(img: np.ndarray) -> np.ndarray:
    return (img != 255).any(axis=-1)


def test_a_constant_series_is_one_horizontal_line_at_its_row() -> None:
    img = trace_image(np.full(50, 0.25), width=60, height=101, vmin=0, vmax=1)
    assert img.shape == (101, 60, 3) and img.dtype == np.uint8
    rows = np.nonzero(drawn(img))[0]
    assert set(rows.tolist()) == {75} and len(rows) == 60
    assert (img[75] == TRACE_COLORS[0]).all()


def test_a_constant_series_without_limits_lies_on_the_middle_row() -> None:
    img = trace_image(np.full(10, 3.0), width=20, height=9)
    assert np.nonzero(drawn(img))[0].tolist() == [4] * 20


@settings(max_examples=40, deadline=None)
@given(
    hnp.arrays(np.float64, st.integers(2, 300), elements=st.floats(-100, 100)),
    st.integers(2, 80),
    st.integers(2, 40),
)
def test_every_column_is_drawn_and_the_line_spans_the_range(
    series: np.ndarray, width: int, height: int
) -> None:
    mask = drawn(trace_image(series, width=width, height=height))
    assert mask.any(axis=0).all()
    if series.max() > series.min():
        assert mask[0].any() and mask[-1].any()


def test_consecutive_columns_connect() -> None:
    series = np.array([0.0, 1.0, 0.0, 1.0])
    mask = drawn(trace_image(series, width=4, height=10))
    for column in range(3):
        here, there = np.nonzero(mask[:, column])[0], np.nonzero(mask[:, column + 1])[0]
        assert here.min() <= there.max() + 1 and there.min() <= here.max() + 1


def test_each_series_gets_its_own_colour() -> None:
    values = np.stack([np.zeros(20), np.ones(20)], axis=1)
    img = trace_image(values, width=20, height=11)
    assert (img[10] == TRACE_COLORS[0]).all() and (img[0] == TRACE_COLORS[1]).all()


def test_nan_samples_leave_a_gap() -> None:
    series = np.array([0.0, 0.0, np.nan, np.nan, 0.0, 0.0, 0.0])
    mask = drawn(trace_image(series, width=7, height=5, vmin=-1, vmax=1))
    assert mask.any(axis=0).tolist() == [True, True, False, False, True, True, True]


def test_the_png_round_trip_gives_back_the_pixels() -> None:
    values = np.cumsum(np.random.default_rng(2).normal(size=(500, 3)), axis=0)
    img = trace_image(values)
    decoded = np.asarray(Image.open(io.BytesIO(encode_png(img))))
    np.testing.assert_array_equal(decoded, img)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (
            {"values": np.zeros((2, 2, 2))},
            ValueError,
            r"trace_image\(values=...\): expected .*shape \(2, 2, 2\)",
        ),
        ({"values": []}, ValueError, r"values=.*shape \(0,\)"),
        ({"values": ["a"]}, TypeError, r"values=.*numeric"),
        ({"values": [1.0], "width": 0}, ValueError, r"width=.*positive integer"),
        ({"values": [1.0], "vmin": 1, "vmax": 0}, ValueError, r"vmin=.*vmin <= vmax"),
    ],
)
def test_errors_name_the_argument(kwargs: dict, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        trace_image(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "arg"), [({"width": 10**5, "height": 10**5}, "width"), ({"height": 10**9}, "height")]
)
def test_an_image_beyond_the_pixel_cap_is_refused_before_allocating(kwargs: dict, arg: str) -> None:
    with pytest.raises(
        ValueError, match=rf"trace_image\({arg}=\.\.\.\): expected an image of at most 16,000,000 pixels"
    ):
        trace_image(np.arange(5.0), **kwargs)
