"""A sweep as users run one: many runs written at once by 8 processes, then read and reduced on a cluster.

The same logdir shape as the sweep benchmark (benchmarks/bench_dask.py), smaller: every run is written
step by step with ``add_scalar`` by one of 8 processes into one logdir, on local disk and on an S3
server (moto), then read with ``read_scalars`` on a 2-worker cluster. Every value comes back once, and
the reductions on the workers equal the ones computed from the known values.
"""

from __future__ import annotations

import multiprocessing
import uuid

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("dask")
distributed = pytest.importorskip("distributed")

import neuroboard as nb
from neuroboard.dask import last, mean_curve, read_scalars, tag_stats, to_pandas
from neuroboard.io.storage import open_storage

RUNS, STEPS, WRITERS = 24, 300, 8
BUCKET = "neuroboard-sweep-test"
# Each run is some 26 KB: 64 KiB groups whole runs, 8 KiB reads every run in pieces and its files in ranges.
GROUPED, RANGED = "64KiB", "8KiB"


def loss(run: int, steps: np.ndarray) -> np.ndarray:
    """A value per step that float32 holds exactly, different for every run."""
    return ((run * 131 + steps * 7) % 1024) / 8.0


def _write_share(job: tuple[str, int, dict | None]) -> None:
    root, first, options = job
    for run in range(first, RUNS, WRITERS):
        with nb.SummaryWriter(f"{root}/lr_{run:03d}", storage_options=options) as writer:
            for step, value in enumerate(loss(run, np.arange(STEPS))):
                writer.add_scalar("loss", value, step)
                writer.add_scalar("acc", step / 512, step)


def write_sweep(root: str, options: dict | None = None) -> None:
    """Write the sweep into ``root`` (a folder or a URL) from WRITERS processes at once, each its share of runs."""
    with multiprocessing.get_context("spawn").Pool(WRITERS) as pool:
        pool.map(_write_share, [(root, first, options) for first in range(WRITERS)])


def expected_table() -> pd.DataFrame:
    steps = np.arange(STEPS)
    parts = []
    for run in range(RUNS):
        for tag, values in (("acc", steps / 512), ("loss", loss(run, steps))):
            parts.append(pd.DataFrame({"run": f"lr_{run:03d}", "tag": tag, "step": steps, "value": values}))
    return pd.concat(parts, ignore_index=True)


def assert_every_value_once(frame, expected: pd.DataFrame) -> None:
    table = to_pandas(frame)
    assert len(table) == RUNS * STEPS * 2
    assert not table.duplicated(["run", "tag", "step"]).any()
    ours = table[["run", "tag", "step", "value"]].sort_values(["run", "tag", "step"], ignore_index=True)
    ours = ours.astype({"run": object, "tag": object})
    pd.testing.assert_frame_equal(ours, expected.astype({"run": object, "tag": object}))


def assert_reductions(frame, expected: pd.DataFrame) -> None:
    ends = last(frame).compute()
    final = expected[expected.step == STEPS - 1].set_index(["run", "tag"]).sort_index()
    assert ends.index.tolist() == final.index.tolist()
    np.testing.assert_array_equal(ends["value"].to_numpy(), final["value"].to_numpy())
    stats = tag_stats(frame).compute()
    want = expected.groupby("tag")["value"].agg(["count", "min", "mean", "max"])
    pd.testing.assert_frame_equal(stats, want, check_exact=False, rtol=1e-12)
    curve = mean_curve(frame).compute()
    want = expected.groupby(["tag", "step"])["value"].agg(["mean", "count"])
    pd.testing.assert_frame_equal(curve, want, check_exact=False, rtol=1e-12)
    assert (curve["count"] == RUNS).all()


def assert_read_in_ranges(frame, root: str, options: dict | None = None) -> None:
    """Check that ``frame`` (of RANGED) reads every run in pieces, and files bigger than RANGED in ranges."""
    storage = open_storage(root, options)
    sizes = [
        storage.size(path) if size is None else size
        for files in storage.runs().values()
        for path, size in files
    ]
    blocksize = 8 << 10
    assert sum(size > blocksize for size in sizes) >= RUNS
    # More partitions than files: a partition reads a byte range of a file, not the whole.
    assert frame.npartitions > len(sizes) >= RUNS


@pytest.fixture(scope="module")
def expected() -> pd.DataFrame:
    return expected_table()


def test_a_sweep_on_local_disk(client, tmp_path, expected) -> None:
    root = str(tmp_path / "sweep")
    write_sweep(root)
    frame = read_scalars(root, blocksize=GROUPED)
    assert 2 < frame.npartitions < RUNS
    assert_every_value_once(frame, expected)
    assert_reductions(frame, expected)
    frame = read_scalars(root, blocksize=RANGED)
    assert_read_in_ranges(frame, root)
    # Read once, in ranges; every check below sees what the ranges read.
    frame = frame.persist()
    assert_every_value_once(frame, expected)
    assert_reductions(frame, expected)


def test_a_sweep_on_s3(client, expected) -> None:
    pytest.importorskip("s3fs")
    pytest.importorskip("moto.server")
    from tests.net import moto_s3

    with moto_s3(BUCKET) as options:
        url = f"s3://{BUCKET}/{uuid.uuid4().hex}"
        write_sweep(url, options)
        frame = read_scalars(url, blocksize=RANGED, storage_options=options)
        assert_read_in_ranges(frame, url, options)
        frame = frame.persist()
        assert_every_value_once(frame, expected)
        assert_reductions(frame, expected)
