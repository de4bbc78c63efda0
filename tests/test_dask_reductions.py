"""last, tag_stats, mean_curve and to_pandas: reduced on the partitions, equal to pandas on the whole table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

dask = pytest.importorskip("dask")
distributed = pytest.importorskip("distributed")
import dask.dataframe as dd
from dask.callbacks import Callback

from neuroboard import SummaryWriter, collect_events
from neuroboard import _dask_reductions as reductions
from neuroboard.api.frames import scalar_frame
from neuroboard.dask import _read_group, _reduce_group, last, mean_curve, read_scalars, tag_stats, to_pandas
from neuroboard.io.logdir import ScalarBatch, join_scalars

#: Each reduction's first step on a partition's table, and the same from the columns it is read as.
FIRST_STEPS = {
    "last": (reductions._last_rows, reductions._last_columns),
    "tag_stats": (reductions._tag_partials, reductions._tag_columns),
    "mean_curve": (reductions._curve_partials, reductions._curve_columns),
}


def expected_last(table: pd.DataFrame) -> pd.DataFrame:
    return table.drop_duplicates(["run", "tag"], keep="last").set_index(["run", "tag"]).sort_index()


def expected_stats(table: pd.DataFrame) -> pd.DataFrame:
    return table.groupby("tag")["value"].agg(["count", "min", "mean", "max"])


def expected_curve(table: pd.DataFrame) -> pd.DataFrame:
    return table.groupby(["tag", "step"])["value"].agg(["mean", "count"])


def assert_reductions(frame, table: pd.DataFrame, **compute) -> None:
    pd.testing.assert_frame_equal(last(frame, split_every=2).compute(**compute), expected_last(table))
    pd.testing.assert_frame_equal(
        tag_stats(frame, split_every=2).compute(**compute),
        expected_stats(table),
        check_exact=False,
        rtol=1e-12,
    )
    pd.testing.assert_frame_equal(
        mean_curve(frame, split_every=2).compute(**compute),
        expected_curve(table),
        check_exact=False,
        rtol=1e-12,
    )


@st.composite
def tables(draw) -> pd.DataFrame:
    """A scalar table in reading order: runs one after another, tags interleaved, steps that may repeat."""
    rows = draw(st.integers(1, 60))
    pick = st.lists(st.integers(0, 3), min_size=rows, max_size=rows)
    runs = sorted(draw(pick))
    values = draw(st.lists(st.one_of(st.floats(-1e6, 1e6), st.just(np.nan)), min_size=rows, max_size=rows))
    frame = pd.DataFrame(
        {
            "run": [f"run{r}" for r in runs],
            "tag": [f"t{t}" for t in draw(pick)],
            "step": np.array(draw(pick), np.int64),
            "wall_time": np.arange(rows, dtype=np.float64),
            "value": np.array(values, np.float64),
        }
    )
    return frame.astype({"run": "str", "tag": "str"})


@settings(max_examples=60, deadline=None)
@given(table=tables(), partitions=st.integers(1, 7))
def test_each_reduction_equals_pandas_on_the_whole_table(table, partitions) -> None:
    # The table's own string dtype, as read_scalars keeps it.
    with dask.config.set({"dataframe.convert-string": False}):
        frame = dd.from_pandas(table, npartitions=min(partitions, len(table)), sort=False)
    assert_reductions(frame, table, scheduler="sync")
    pd.testing.assert_frame_equal(to_pandas(frame), table)


@st.composite
def batches(draw) -> list[ScalarBatch]:
    """Batches as a partition reads them: runs one after another, each batch naming its own tags.

    Steps are close together or far apart, and tags few or a great many
    (rows are grouped by offsets from the first step and by code in the
    first case, by hashing in the others); values hold NaN and infinities;
    a named tag may have no rows.
    """
    far = draw(st.booleans())
    steps = st.integers(0, 2**62) if far else st.integers(-3, 12)
    values = st.one_of(st.floats(-1e6, 1e6), st.sampled_from([np.nan, np.inf, -np.inf]))
    many = [f"t{index:04d}" for index in range(1_200)] if draw(st.booleans()) else None
    found = []
    for run in sorted(draw(st.lists(st.integers(0, 3), min_size=0, max_size=6))):
        few = st.lists(st.sampled_from(["a", "b", "c", "d"]), min_size=1, max_size=3, unique=True)
        names = many or draw(few)
        rows = draw(st.integers(0, 12))
        pick = st.lists(st.integers(0, len(names) - 1), min_size=rows, max_size=rows)
        found.append(
            ScalarBatch(
                f"run{run}",
                names,
                np.array(draw(pick), np.int32),
                np.array(draw(st.lists(steps, min_size=rows, max_size=rows)), np.int64),
                np.arange(rows, dtype=np.float64),
                np.array(draw(st.lists(values, min_size=rows, max_size=rows)), np.float64),
            )
        )
    return found


# pandas warns of infinity minus infinity in its sums; the columns' sums give the same NaN.
@pytest.mark.filterwarnings("ignore:invalid value encountered in reduceat:RuntimeWarning")
@settings(max_examples=150, deadline=None)
@given(read=batches())
def test_each_first_step_from_the_columns_equals_the_one_from_the_table(read) -> None:
    table = scalar_frame(read)
    columns = join_scalars(read)
    for name, (on_table, on_columns) in FIRST_STEPS.items():
        want, got = on_table(table), on_columns(columns)
        if name != "last":
            # The same groups in another order; sums added in another order.
            want, got = want.sort_index(), got.sort_index()
        pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=1e-9, atol=1e-6, obj=name)


def test_first_steps_of_no_rows_have_the_dtypes_of_the_table_ones() -> None:
    for name, (on_table, on_columns) in FIRST_STEPS.items():
        pd.testing.assert_frame_equal(on_columns(join_scalars([])), on_table(scalar_frame([])), obj=name)


class _Tasks(Callback):
    """Count the tasks of each graph the synchronous scheduler runs."""

    def __init__(self) -> None:
        super().__init__()
        self.counts: list[int] = []

    def _start(self, dsk) -> None:
        self.counts.append(len(dsk))


@pytest.mark.parametrize("name", list(FIRST_STEPS))
def test_a_read_scalars_frame_is_reduced_as_it_is_read_in_one_task_per_partition(sweep, name) -> None:
    table = collect_events(sweep, type="scalar")
    func = {"last": last, "tag_stats": tag_stats, "mean_curve": mean_curve}[name]
    expected = {"last": expected_last, "tag_stats": expected_stats, "mean_curve": expected_curve}[name]
    frame = read_scalars(sweep, files_per_partition=2)
    assert frame.npartitions == 3
    for source, rows in ((frame, table), (frame[frame["step"] >= 20], table[table["step"] >= 20])):
        reduced = func(source, split_every=8)
        tasks = _Tasks()
        with tasks:
            got = reduced.compute(scheduler="sync")
        pd.testing.assert_frame_equal(got, expected(rows), check_exact=False, rtol=1e-12)
        # A task per partition reads it and takes its first step; one more combines them.
        assert tasks.counts == [frame.npartitions + 1]
    # The frame as read is reduced from its columns; a filtered one from its table.
    assert _reading_functions(func(frame)) == {_reduce_group}
    assert _reading_functions(func(frame[frame["step"] >= 20])) == {_read_group}


def _reading_functions(frame) -> set:
    """Return the functions the frame's partitions are made by (its tasks fused or not)."""
    found = set()
    for expr in frame.expr.walk():
        for inner in expr.exprs if type(expr).__name__ == "Fused" else [expr]:
            if type(inner).__name__ == "FromMap":
                found.add(inner.func)
    return found


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    """Five runs of two tags, one stopped early, one with a NaN, one restarted at step 5."""
    root = tmp_path_factory.mktemp("sweep")
    rng = np.random.default_rng(3)
    for run in range(5):
        with SummaryWriter(str(root / f"run{run}")) as writer:
            loss = rng.random(40 - 5 * run)
            if run == 2:
                loss[-1] = np.nan
            writer.add_series("loss", loss)
            writer.add_series("acc", rng.random(40), steps=np.arange(0, 80, 2))
            if run == 4:
                writer.add_series("loss", rng.random(10), steps=np.arange(5, 15))
    return root


def test_read_scalars_on_a_cluster_reduces_to_the_pandas_results(sweep) -> None:
    table = collect_events(sweep, type="scalar")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster),
    ):
        frame = read_scalars(sweep, files_per_partition=1)
        assert frame.npartitions == 5
        assert_reductions(frame, table)
        pd.testing.assert_frame_equal(to_pandas(frame), table)
        # A filtered frame reduces the same way.
        late = frame[frame["step"] >= 20]
        assert_reductions(late, table[table["step"] >= 20])


def test_last_keeps_a_nan_that_is_last(sweep) -> None:
    got = last(read_scalars(sweep)).compute(scheduler="sync")
    assert np.isnan(got.loc[("run2", "loss"), "value"])
    assert got.loc[("run4", "loss"), "step"] == 14


@pytest.mark.parametrize("func", [last, tag_stats, mean_curve, to_pandas])
def test_a_frame_that_is_not_dask_or_lacks_columns_is_refused(func) -> None:
    with pytest.raises(TypeError, match=rf"{func.__name__}\(frame=...\): expected a dask DataFrame"):
        func(pd.DataFrame({"run": [], "tag": []}))
    if func is not to_pandas:
        with pytest.raises(ValueError, match=rf"{func.__name__}\(frame=...\): expected the columns"):
            func(dd.from_pandas(pd.DataFrame({"x": [1.0]}), npartitions=1))


def test_to_pandas_keeps_the_index_compute_keeps(sweep) -> None:
    frame = read_scalars(sweep, files_per_partition=2)
    assert frame.npartitions > 1
    ends = last(frame, split_every=2)
    pd.testing.assert_frame_equal(to_pandas(ends), ends.compute(scheduler="sync"))
    by_time = frame.set_index("wall_time", sort=False)
    assert by_time.npartitions > 1
    pd.testing.assert_frame_equal(to_pandas(by_time), by_time.compute(scheduler="sync"))
    # A frame of read_scalars, filtered or not, has a fresh RangeIndex, as collect_events gives.
    table = collect_events(sweep, type="scalar")
    late = to_pandas(frame[frame["step"] >= 20])
    pd.testing.assert_frame_equal(late, table[table["step"] >= 20].reset_index(drop=True))


def test_to_pandas_unites_categories_as_compute_does(sweep) -> None:
    frame = read_scalars(sweep, files_per_partition=1).astype({"run": "category", "tag": "category"})
    assert frame.npartitions == 5
    got, want = to_pandas(frame), frame.compute(scheduler="sync")
    pd.testing.assert_series_equal(got.dtypes, want.dtypes)
    assert set(got["run"].cat.categories) == {f"run{run}" for run in range(5)}
    pd.testing.assert_frame_equal(got, want.reset_index(drop=True))
