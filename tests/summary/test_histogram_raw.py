"""histogram_raw(): the proto torch writes, the checks the peers make and those TensorBoard needs."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from tensorboard import data_compat
from tensorboard.util.tensor_util import make_ndarray

from neuroboard.summary.histogram import histogram, histogram_value
from neuroboard.summary.histogram_raw import histogram_raw

torch = pytest.importorskip("torch")
torch_summary = pytest.importorskip("torch.utils.tensorboard.summary")


def stats(values: np.ndarray) -> tuple[float, float, int, float, float]:
    return values.min(), values.max(), len(values), values.sum(), values @ values


def migrated(value) -> np.ndarray:
    """The ``[left, right, count]`` buckets TensorBoard's Python loader makes of a legacy histogram."""
    return make_ndarray(data_compat.migrate_value(value).tensor)


def occupied(histo) -> list[tuple[float, float, float]]:
    """Return ``(left, right, count)`` of the non-empty buckets (add_histogram writes a run of empty ones as one)."""
    return [
        (float(left), float(right), float(count))
        for left, right, count in zip(histo.edges[:-1], histo.edges[1:], histo.counts)
        if count
    ]


finite_values = hnp.arrays(np.float64, st.integers(1, 200), elements=st.floats(-1e6, 1e6))
edges = hnp.arrays(np.float64, st.integers(2, 12), elements=st.floats(-2e6, 2e6), unique=True).map(np.sort)


@settings(max_examples=150, deadline=None)
@given(values=finite_values, edges=edges)
def test_numpy_buckets_read_back_as_torchs_and_as_add_histograms(values, edges) -> None:
    counts, _ = np.histogram(values, edges)
    inside = values[(values >= edges[0]) & (values <= edges[-1])]
    if not len(inside):
        return
    ours = histogram_raw("w", *stats(inside), edges[1:], counts).value[0]
    theirs = torch_summary.histogram_raw("w", *stats(inside), edges[1:].tolist(), counts.tolist()).value[0]
    # TensorBoard's view of both is the same, and our reader gives add_histogram's buckets.
    np.testing.assert_array_equal(migrated(ours), migrated(theirs))
    assert occupied(histogram_value(ours)) == occupied(
        histogram_value(histogram("w", values, edges).value[0])
    )
    if counts[0] and counts[-1]:
        assert ours.histo == theirs.histo


def test_empty_end_buckets_are_left_out() -> None:
    value = histogram_raw("w", 0.3, 0.6, 2, 0.9, 0.45, [0.25, 0.5, 0.75, 1.0], [0, 1, 1, 0]).value[0]
    assert (list(value.histo.bucket_limit), list(value.histo.bucket)) == ([0.5, 0.75], [1.0, 1.0])
    torchs = torch_summary.histogram_raw("w", 0.3, 0.6, 2, 0.9, 0.45, [0.25, 0.5, 0.75, 1.0], [0, 1, 1, 0])
    np.testing.assert_array_equal(migrated(value), migrated(torchs.value[0]))
    np.testing.assert_allclose(migrated(value), [[0.3, 0.5, 1.0], [0.5, 0.6, 1.0]], rtol=1e-7)


def test_empty_buckets_inside_are_kept_as_torch_writes_them() -> None:
    value = histogram_raw("w", 0.1, 0.9, 2, 1.0, 0.82, [0.25, 0.5, 0.75, 1.0], [1, 0, 0, 1]).value[0]
    assert list(value.histo.bucket) == [1.0, 0.0, 0.0, 1.0]


def test_statistics_are_written_as_given() -> None:
    histo = histogram_raw("w", -1, 2, 7, 3.5, 12.25, [0.0, 1.0, 2.0], [2, 1, 4]).value[0].histo
    assert (histo.min, histo.max, histo.num, histo.sum, histo.sum_squares) == (-1.0, 2.0, 7.0, 3.5, 12.25)


def test_torchs_histc_case_float_counts_and_a_num_that_disagrees() -> None:
    # torch's own test: histc's float counts, limits 0..99, and num left at 50 from an earlier call.
    ints = torch.arange(100).float()
    counts = torch.histc(ints, bins=100, min=0, max=99)
    args = (0.0, 99.0, 50, float(ints.sum()), float(ints.dot(ints)), list(range(100)), counts.tolist())
    ours = histogram_raw("h", *args).value[0]
    assert ours.histo == torch_summary.histogram_raw("h", *args).value[0].histo
    assert ours.histo.num == 50 and sum(ours.histo.bucket) == 100


def test_an_empty_histogram() -> None:
    histo = histogram_raw("w", 0, 0, 0, 0, 0, [], []).value[0].histo
    assert (histo.num, len(histo.bucket), len(histo.bucket_limit)) == (0, 0, 0)
    # All-empty buckets are written as none; TensorFlow's empty histogram has min > max.
    histo = histogram_raw("w", 1.7976931348623157e308, -1.7976931348623157e308, 0, 0, 0, [1.0, 2.0], [0, 0])
    assert len(histo.value[0].histo.bucket) == 0


@pytest.mark.parametrize(
    "convert",
    [
        lambda a: a,
        np.asarray,
        lambda a: torch.tensor(a),
        lambda a: torch.tensor(a, dtype=torch.bfloat16),
        lambda a: tuple(a),
    ],
    ids=["list", "ndarray", "tensor", "bfloat16", "tuple"],
)
def test_sequences_of_any_kind(convert) -> None:
    histo = histogram_raw("w", 0.5, 3.5, 4, 8.0, 20.0, convert([1.0, 2.0, 4.0]), convert([1.0, 1.0, 2.0]))
    assert (list(histo.value[0].histo.bucket_limit), list(histo.value[0].histo.bucket)) == (
        [1.0, 2.0, 4.0],
        [1.0, 1.0, 2.0],
    )


@pytest.mark.parametrize(
    "number",
    [np.float32(0.5), np.array(0.5), torch.tensor(0.5), torch.tensor([0.5]), np.array([0.5])],
    ids=["np-scalar", "0-d", "0-d tensor", "1-element tensor", "1-element array"],
)
def test_numbers_of_any_kind(number) -> None:
    assert histogram_raw("w", number, 1.0, 1, number, number, [1.0], [1]).value[0].histo.min == 0.5


# -- refusals --------------------------------------------------------------

GOOD = {
    "min": 0.5,
    "max": 3.5,
    "num": 4,
    "sum": 8.0,
    "sum_squares": 20.0,
    "bucket_limits": [1.0, 2.0, 4.0],
    "bucket_counts": [1, 1, 2],
}


def raw(**changes):
    return histogram_raw("w", **dict(GOOD, **changes))


def test_the_peers_check_limits_and_counts_of_different_lengths(tmp_path) -> None:
    with pytest.raises(ValueError) as error:
        raw(bucket_counts=[1, 3])
    assert str(error.value) == (
        "add_histogram_raw(bucket_counts=...): expected one count per bucket limit, "
        "as many as bucket_limits (3), got 2"
    )
    # torch's writer makes this one check, before its summary function.
    from torch.utils.tensorboard import SummaryWriter

    with SummaryWriter(str(tmp_path)) as writer, pytest.raises(ValueError, match="len"):
        writer.add_histogram_raw("w", **dict(GOOD, bucket_counts=[1, 3]))


@pytest.mark.parametrize(
    ("changes", "arg", "message"),
    [
        ({"bucket_limits": [1.0, 1.0, 4.0]}, "bucket_limits", "expected increasing limits, got [1., 1., 4.]"),
        ({"bucket_limits": [2.0, 1.0, 4.0]}, "bucket_limits", "expected increasing limits, got [2., 1., 4.]"),
        (
            {"bucket_limits": [1.0, np.nan, 4.0]},
            "bucket_limits",
            "expected increasing limits, got [ 1., nan,  4.]",
        ),
        ({"bucket_limits": [[1.0, 2.0, 4.0]]}, "bucket_limits", "expected a 1-D sequence, got shape (1, 3)"),
        ({"bucket_counts": [1, -1, 2]}, "bucket_counts", "expected finite counts >= 0, got [ 1., -1.,  2.]"),
        (
            {"bucket_counts": [1, np.inf, 2]},
            "bucket_counts",
            "expected finite counts >= 0, got [ 1., inf,  2.]",
        ),
        ({"min": np.nan}, "min", "expected a finite number, got nan"),
        ({"max": np.inf}, "max", "expected a finite number, got inf"),
        ({"num": -1}, "num", "expected a number of values >= 0, got -1"),
        ({"num": np.nan}, "num", "expected a finite number, got nan"),
        ({"sum": [1.0, 2.0]}, "sum", "expected a real number, got an array of shape (2,)"),
        ({"sum_squares": -0.5}, "sum_squares", "expected a sum of squares >= 0, got -0.5"),
        ({"min": 3.6}, "min", "expected min <= max (3.5), got 3.6"),
        ({"min": 1.5}, "min", "expected at most 1, the right edge of the first non-empty bucket, got 1.5"),
        ({"max": 1.5}, "max", "expected at least 2, the left edge of the last non-empty bucket, got 1.5"),
    ],
)
def test_refusals_name_the_argument(changes, arg, message) -> None:
    with pytest.raises(ValueError) as error:
        raw(**changes)
    assert str(error.value) == f"add_histogram_raw({arg}=...): {message}"


@pytest.mark.parametrize(
    ("changes", "arg"),
    [
        ({"min": "0"}, "min"),
        ({"sum_squares": None}, "sum_squares"),
        ({"num": True}, "num"),
        ({"bucket_limits": ["a"]}, "bucket_limits"),
    ],
)
def test_non_numbers_raise_type_error(changes, arg) -> None:
    with pytest.raises(
        TypeError, match=rf"^add_histogram_raw\({arg}=\.\.\.\): expected a (real number|numeric array)"
    ):
        raw(**changes)
