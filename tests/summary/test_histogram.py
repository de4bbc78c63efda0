"""histogram(): buckets checked against NumPy, read back by TensorBoard's reader and served by TensorBoard."""

from __future__ import annotations

import os
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from neuroboard import SummaryWriter
from neuroboard.summary.histogram import (
    bucket_edges,
    histogram,
    histogram_metadata,
    tensorflow_buckets,
    tensorflow_edges,
)
from tests.tb import accumulator


def histo_of(*args, **kwargs):
    return histogram("w", *args, **kwargs).value[0].histo


def nonempty_buckets(histo) -> list[tuple[float, float, float]]:
    """Return ``(left, right, count)`` of every non-empty bucket, as TensorBoard reads them.

    A bucket's left edge is the previous limit, the first one's is ``min``.
    """
    lefts = [histo.min, *histo.bucket_limit[:-1]]
    return [row for row in zip(lefts, histo.bucket_limit, histo.bucket) if row[2] > 0]


def numpy_buckets(values, edges) -> list[tuple[float, float, float]]:
    """Return what :func:`nonempty_buckets` should give, from :func:`numpy.histogram`."""
    counts, edges = np.histogram(values, bins=edges)
    rows = [(float(edges[i]), float(edges[i + 1]), float(c)) for i, c in enumerate(counts) if c > 0]
    if rows:
        counted = values[(values >= edges[0]) & (values <= edges[-1])]
        rows[0] = (float(counted.min()), *rows[0][1:])
    return rows


finite_values = hnp.arrays(
    np.float64,
    st.integers(1, 300),
    elements=st.floats(-1e12, 1e12, allow_nan=False, allow_infinity=False),
)


# -- buckets ---------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(values=finite_values, bins=st.sampled_from(["tensorflow", 1, 7, 30, "sturges", "sqrt"]))
def test_buckets_match_numpy(values, bins) -> None:
    histo = histo_of(values, bins)
    edges = tensorflow_edges() if bins == "tensorflow" else bins
    assert nonempty_buckets(histo) == numpy_buckets(values, edges)
    assert histo.num == sum(histo.bucket) == len(values)
    assert histo.bucket[0] > 0 and histo.bucket[-1] > 0


def _near_edges() -> st.SearchStrategy[float]:
    """An edge of TensorFlow's buckets, or the finite float just below or above it."""
    edges = tensorflow_edges()
    near = st.tuples(st.integers(0, len(edges) - 1), st.sampled_from([-np.inf, 0.0, np.inf])).map(
        lambda pick: float(np.nextafter(edges[pick[0]], pick[1])) if pick[1] else float(edges[pick[0]])
    )
    return near.filter(np.isfinite)


@settings(max_examples=200, deadline=None)
@given(
    values=hnp.arrays(
        np.float64,
        st.integers(1, 200),
        elements=st.one_of(st.floats(allow_nan=False, allow_infinity=False), _near_edges()),
    )
)
def test_tensorflow_buckets_without_sorting_are_the_ones_a_search_of_the_edges_finds(values) -> None:
    edges = tensorflow_edges()
    # The last bucket also holds DBL_MAX, its right edge.
    searched = np.minimum(edges.searchsorted(values, "right") - 1, len(edges) - 2)
    np.testing.assert_array_equal(tensorflow_buckets(values), searched)


@settings(max_examples=100, deadline=None)
@given(
    values=finite_values,
    edges=hnp.arrays(np.float64, st.integers(2, 20), elements=st.floats(-1e12, 1e12), unique=True).map(
        np.sort
    ),
)
def test_explicit_edges_match_numpy_and_leave_outsiders_out(values, edges) -> None:
    histo = histo_of(values, edges)
    inside = values[(values >= edges[0]) & (values <= edges[-1])]
    assert nonempty_buckets(histo) == numpy_buckets(values, edges)
    assert histo.num == sum(histo.bucket) == len(inside)
    if len(inside):
        assert (histo.min, histo.max) == (inside.min(), inside.max())


@settings(max_examples=60, deadline=None)
@given(values=finite_values, max_bins=st.integers(1, 12))
def test_max_bins_merges_neighbours(values, max_bins) -> None:
    histo = histo_of(values, 40, max_bins=max_bins)
    assert sum(count > 0 for count in histo.bucket) <= max_bins
    assert histo.num == sum(histo.bucket) == len(values)
    limits = list(histo.bucket_limit)
    assert limits == sorted(limits)
    edges = bucket_edges(values, 40)
    assert set(limits) <= set(edges.tolist())


def test_a_range_of_subnormals_gets_the_buckets_of_equal_values() -> None:
    # NumPy 2 cannot cut [0, 5e-324] into 40 finite-sized buckets and raises (NumPy 1 returns edges).
    values = np.array([5e-324, 0.0])
    if np.lib.NumpyVersion(np.__version__) >= "2.0.0":
        with pytest.raises(ValueError, match="Too many bins"):
            np.histogram_bin_edges(values, 40)
    histo = histo_of(values, 40)
    assert histo.num == sum(histo.bucket) == 2
    assert (histo.min, histo.max) == (0.0, 5e-324)
    assert bucket_edges(values, 40).tolist() == np.histogram_bin_edges([0.0], 40).tolist()


def test_tensorflow_edges_are_tensorboardx_default_bins(tmp_path) -> None:
    tensorboardx = pytest.importorskip("tensorboardX")
    writer = tensorboardx.SummaryWriter(str(tmp_path))
    try:
        assert tensorflow_edges()[1:-1].tolist() == list(writer.default_bins)
    finally:
        writer.close()
    assert tensorflow_edges()[[0, -1]].tolist() == [-1.7976931348623157e308, 1.7976931348623157e308]


def test_statistics_describe_the_values() -> None:
    values = np.random.default_rng(1).normal(size=1000) * 3 + 1
    histo = histo_of(values)
    assert (histo.min, histo.max, histo.num) == (values.min(), values.max(), 1000)
    assert histo.sum == pytest.approx(values.sum(), rel=1e-12)
    assert histo.sum_squares == pytest.approx(values @ values, rel=1e-12)
    assert sum(histo.bucket) == 1000


def test_runs_of_empty_buckets_are_written_once() -> None:
    histo = histo_of([0.05, 0.95], 10)
    assert list(histo.bucket) == [1.0, 0.0, 1.0]
    assert list(histo.bucket_limit) == pytest.approx([0.14, 0.86, 0.95])


def test_int_bins_are_equal_width_over_the_data() -> None:
    values = np.arange(100.0)
    histo = histo_of(values, 4)
    assert nonempty_buckets(histo) == [
        (0.0, 24.75, 25.0),
        (24.75, 49.5, 25.0),
        (49.5, 74.25, 25.0),
        (74.25, 99.0, 25.0),
    ]


@pytest.mark.parametrize("bins", ["tensorflow", 5, 30, "auto", "fd"])
def test_equal_values_fill_one_bucket(bins) -> None:
    histo = histo_of(np.full(50, 0.3), bins)
    assert [count for count in histo.bucket if count] == [50.0]
    assert (histo.min, histo.max, histo.num) == (0.3, 0.3, 50)


@pytest.mark.parametrize("values", [[], np.array([]), np.zeros((0, 3))])
def test_empty_input_gives_an_empty_histogram(values) -> None:
    histo = histo_of(values)
    assert (histo.num, len(histo.bucket), len(histo.bucket_limit)) == (0, 0, 0)


def test_values_outside_every_edge_give_an_empty_histogram() -> None:
    assert histo_of([5.0, 6.0], [0.0, 1.0]).num == 0


def test_zero_and_signs_use_tensorflow_buckets() -> None:
    histo = histo_of([-1.0, 0.0, 0.0, 2.0])
    assert sum(histo.bucket) == 4
    assert (0.0, 1e-12, 2.0) in nonempty_buckets(histo)


@pytest.mark.parametrize("bins", ["tensorflow", 10, "auto", "fd"])
def test_values_near_the_float64_limit(bins) -> None:
    values = [-1e308, 0.0, 1e308, 1.7e308]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        histo = histo_of(values, bins)
    assert (histo.num, sum(histo.bucket), histo.min, histo.max) == (4, 4, -1e308, 1.7e308)
    assert histo.sum_squares == np.inf
    assert list(histo.bucket_limit) == sorted(histo.bucket_limit)


# -- non-finite values -----------------------------------------------------


def test_non_finite_values_are_left_out_with_a_warning() -> None:
    values = np.array([1.0, np.nan, 2.0, np.inf, -np.inf, 3.0])
    with pytest.warns(
        RuntimeWarning, match=r"add_histogram\(values=\.\.\.\): left 3 non-finite value\(s\).*'w'"
    ):
        histo = histo_of(values)
    assert (histo.num, histo.min, histo.max, histo.sum) == (3, 1.0, 3.0, 6.0)


def test_all_non_finite_gives_an_empty_histogram_and_a_warning() -> None:
    with pytest.warns(RuntimeWarning, match=r"log_weights\(values=\.\.\.\): left 4 non-finite.*'layer/w'"):
        summary = histogram("layer/w", [np.nan] * 4, caller="log_weights")
    assert summary.value[0].histo.num == 0


def test_finite_values_give_no_warning() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        histo_of(np.arange(10))


# -- input types -----------------------------------------------------------


@pytest.mark.parametrize(
    "values",
    [
        [1, 2, 3, 4],
        (1.0, 2.0, 3.0, 4.0),
        [[1, 2], [3, 4]],
        np.array([1, 2, 3, 4], dtype=np.int8),
        np.array([1, 2, 3, 4], dtype=np.uint64),
        np.array([1, 2, 3, 4], dtype=np.float16),
    ],
    ids=["list", "tuple", "nested", "int8", "uint64", "float16"],
)
def test_array_likes(values) -> None:
    histo = histo_of(values)
    assert (histo.num, histo.min, histo.max, histo.sum) == (4, 1.0, 4.0, 10.0)


def test_python_number() -> None:
    assert (histo_of(2.5).num, histo_of(2.5).min) == (1, 2.5)


def test_booleans_count_as_zero_and_one() -> None:
    assert histo_of([True, False, True]).sum == 2.0


def test_torch_tensors() -> None:
    torch = pytest.importorskip("torch")
    weight = torch.linspace(-1, 1, 101, requires_grad=True)
    expected = nonempty_buckets(histo_of(weight.detach().numpy().astype(np.float64)))
    assert nonempty_buckets(histo_of(weight * 1)) == expected
    assert nonempty_buckets(histo_of(weight)) == expected
    for dtype in (torch.int32, torch.int64, torch.uint8, torch.float16, torch.bfloat16, torch.bool):
        histo = histo_of(torch.ones(6, dtype=dtype))
        assert (histo.num, histo.sum) == (6, 6.0), dtype


# -- errors ----------------------------------------------------------------


def test_strings_raise_type_error() -> None:
    with pytest.raises(TypeError) as error:
        histogram("w", "abc")
    assert str(error.value) == "add_histogram(values=...): expected a numeric array, got str of shape ()"


@pytest.mark.parametrize(
    ("values", "got"),
    [
        (["a", "b"], "list of shape (2,)"),
        (np.array(["a"]), "ndarray of dtype <U1 and shape (1,)"),
        ([object()], "list of shape (1,)"),
        (None, "NoneType of shape ()"),
        ([1 + 2j], "list of shape (1,)"),
        ([[1], [1, 2]], "list"),
    ],
)
def test_non_numeric_values_raise_type_error(values, got) -> None:
    with pytest.raises(TypeError) as error:
        histogram("w", values, caller="log_w")
    assert str(error.value) == f"log_w(values=...): expected a numeric array, got {got}"


@pytest.mark.parametrize(
    ("bins", "error"),
    [
        ("banana", ValueError),
        (0, ValueError),
        (-3, ValueError),
        (True, TypeError),
        ([1.0], ValueError),
        ([0.0, 2.0, 1.0], ValueError),
        ([0.0, 0.0, 1.0], ValueError),
        ([0.0, np.inf], ValueError),
        ([[0.0, 1.0]], ValueError),
        (["a", "b"], TypeError),
        (None, TypeError),
    ],
)
def test_bad_bins_raise_naming_bins(bins, error) -> None:
    with pytest.raises(error, match=r"^add_histogram\(bins=\.\.\.\): expected 'tensorflow'"):
        histogram("w", [1.0, 2.0], bins)


@pytest.mark.parametrize(
    ("max_bins", "error"),
    [(0, ValueError), (-1, ValueError), (2.5, TypeError), ("3", TypeError), (True, TypeError)],
)
def test_bad_max_bins_raise(max_bins, error) -> None:
    with pytest.raises(error, match=r"^add_histogram\(max_bins=\.\.\.\): expected None or a positive int"):
        histogram("w", [1.0, 2.0], max_bins=max_bins)


@pytest.mark.parametrize(("tag", "error"), [("", ValueError), (3, TypeError), (None, TypeError)])
def test_bad_tags_raise(tag, error) -> None:
    with pytest.raises(error, match=r"^add_histogram\(tag=\.\.\.\)"):
        histogram(tag, [1.0])


def test_errors_come_before_the_warning() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match="bins"):
            histogram("w", [np.nan, 1.0], bins=0)


def test_metadata_names_the_plugin() -> None:
    metadata = histogram_metadata("Weights", "all layers")
    assert (metadata.plugin_data.plugin_name, metadata.display_name) == ("histograms", "Weights")


# -- through TensorBoard ---------------------------------------------------


def served_buckets(histo) -> list[list[float]]:
    """Return the ``[left, right, count]`` buckets TensorBoard makes of ``histo``.

    The Rust loader keeps float64, the Python one float32: compare with ``rel=1e-6``.
    """
    limits = list(histo.bucket_limit)
    return [list(row) for row in zip([histo.min, *limits[:-1]], [*limits[:-1], histo.max], histo.bucket)]


def test_read_back_by_tensorboard(tmp_path) -> None:
    rng = np.random.default_rng(7)
    data = [rng.normal(size=500) * (step + 1) for step in range(5)]
    with SummaryWriter(tmp_path) as writer:
        for step, values in enumerate(data):
            writer.add_summary(histogram("layer/w", values), step * 10)
        writer.add_summary(histogram("layer/b", np.arange(10), bins=[0, 5, 10]), 0)
    acc = accumulator(tmp_path)
    events = acc.Histograms("layer/w")
    assert [event.step for event in events] == [0, 10, 20, 30, 40]
    for event, values in zip(events, data):
        got = event.histogram_value
        assert (got.min, got.max, got.num) == (values.min(), values.max(), 500)
        assert got.sum == pytest.approx(values.sum(), rel=1e-12)
        assert got.sum_squares == pytest.approx(values @ values, rel=1e-12)
        assert sum(got.bucket) == 500
        assert got.bucket_limit[-1] >= values.max()
    bias = acc.Histograms("layer/b")[0].histogram_value
    assert (list(bias.bucket_limit), list(bias.bucket)) == ([5.0, 10.0], [5.0, 5.0])


def test_served_by_tensorboard_histograms_and_distributions(tensorboard_server) -> None:
    run = "histogram_served"
    rng = np.random.default_rng(11)
    data = [rng.normal(loc=step, size=2000) for step in range(3)]
    with SummaryWriter(os.path.join(tensorboard_server.logdir, run)) as writer:
        for step, values in enumerate(data):
            writer.add_summary(histogram("w", values), step, walltime=100.0 + step)
        with pytest.warns(RuntimeWarning, match="left 2 non-finite"):
            writer.add_summary(histogram("diverged", [np.nan, np.inf]), 0)
        writer.add_summary(histogram("flat", np.full(20, 2.0)), 0)

    def histograms(tag: str):
        return tensorboard_server.get("/data/plugin/histograms/histograms", run=run, tag=tag)

    # "flat" is the last event of the file: once it is served, so is everything before it.
    flat = tensorboard_server.wait_for(lambda: histograms("flat"), lambda events: len(events) == 1)
    assert flat[0][2] == [[2.0, 2.0, 20.0]]
    served = histograms("w")
    assert len(served) == 3
    for (wall_time, step, buckets), values in zip(served, data):
        assert (wall_time, step) == (100.0 + step, step)
        np.testing.assert_allclose(buckets, served_buckets(histo_of(values)), rtol=1e-6)
        assert sum(count for _, _, count in buckets) == 2000
        assert buckets[0][0] == pytest.approx(values.min(), rel=1e-6)
        assert buckets[-1][1] == pytest.approx(values.max(), rel=1e-6)

    distributions = tensorboard_server.get("/data/plugin/distributions/distributions", run=run, tag="w")
    assert [step for _, step, _ in distributions] == [0, 1, 2]
    for (_, _, points), values in zip(distributions, data):
        basis_points = [bp for bp, _ in points]
        positions = [value for _, value in points]
        assert basis_points == [0, 668, 1587, 3085, 5000, 6915, 8413, 9332, 10000]
        assert positions == sorted(positions)
        assert positions[0] == pytest.approx(values.min(), rel=1e-6)
        assert positions[-1] == pytest.approx(values.max(), rel=1e-6)
        # TensorFlow's buckets are 10% wide: the median lands within one of them.
        assert positions[4] == pytest.approx(np.median(values), abs=0.1 * abs(np.median(values)) + 0.05)

    assert [buckets for _, _, buckets in histograms("diverged")] == [[]]
    points = tensorboard_server.get("/data/plugin/distributions/distributions", run=run, tag="diverged")[0][2]
    assert [value for _, value in points] == [0.0] * 9
    assert set(tensorboard_server.get("/data/plugin/histograms/tags")[run]) == {"w", "diverged", "flat"}
    assert set(tensorboard_server.get("/data/plugin/distributions/tags")[run]) == {"w", "diverged", "flat"}


def test_more_buckets_than_the_cap_are_refused_before_allocating() -> None:
    from neuroboard.summary.histogram import MAX_BINS

    with pytest.raises(
        ValueError,
        match=r"add_histogram\(bins=\.\.\.\): expected at most 1,000,000 buckets, got 1,000,000,000",
    ):
        histogram("h", [0.0, 1.0], bins=10**9)
    with pytest.raises(ValueError, match=r"bins=\.\.\.\): expected at most 1,000,000 buckets, got 1,000,001"):
        histogram("h", [0.0, 1.0], bins=np.arange(MAX_BINS + 2, dtype=np.float64))
    assert len(histogram("h", np.linspace(0, 1, 10), bins=MAX_BINS).value[0].histo.bucket) <= 20


def test_an_estimator_that_asks_for_billions_of_buckets_is_refused() -> None:
    # Skewed values give "fd" a tiny width over a wide range: NumPy asks for 200 GiB of edges.
    values = np.concatenate([np.zeros(10_000), np.linspace(0, 1e-3, 10_000), [1e6]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(
            ValueError, match=r"add_histogram\(bins='fd'\): the estimator asks for more than 1,000,000"
        ):
            histogram("h", values, bins="fd")
        assert histogram("h", values, bins="sturges").value[0].histo.num == len(values)
