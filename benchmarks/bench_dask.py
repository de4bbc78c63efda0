"""Reading in parallel: ``read_scalars`` on a two-worker dask cluster against ``collect_events`` in one process.

The logdir is written once, before any clock starts, by four processes that
each write a quarter of the runs with ``SummaryWriter.add_series``: a
thousand runs of ten thousand scalars (a hundred of two thousand with
``--quick``). Both readers must return every scalar. The cluster (two worker
processes, one thread each) is started before the clock and closed after;
the timed work is building the graph, computing it and gathering the
DataFrame on the client. Two workers that read perfectly in parallel would
double the rate: the target asks for 80 % of that.
"""

from __future__ import annotations

import multiprocessing
import os
import tempfile

import numpy as np

import neuroboard
from benchmarks.common import Row, best_seconds, print_row

__all__ = ["run"]

RUNS = 1_000
SCALARS = 10_000
WRITERS = 4
WORKERS = 2
TARGET = 0.8 * WORKERS


def _write_runs(job: tuple[str, range, int]) -> None:
    logdir, runs, scalars = job
    values = np.random.default_rng(runs.start).random(scalars)
    for index in runs:
        with neuroboard.SummaryWriter(os.path.join(logdir, f"run{index:04d}")) as writer:
            writer.add_series("rate", values)


def _write_logdir(logdir: str, runs: int, scalars: int) -> None:
    share = -(-runs // WRITERS)
    jobs = [(logdir, range(i, min(i + share, runs)), scalars) for i in range(0, runs, share)]
    with multiprocessing.get_context("spawn").Pool(WRITERS) as pool:
        pool.map(_write_runs, jobs)


def run(scale: float = 1.0, repeats: int = 3) -> list[Row]:
    """Read the logdir with both readers; print and return the row."""
    try:
        from distributed import Client, LocalCluster, wait

        from neuroboard.dask import read_scalars
    except ImportError as error:
        print(f"  (skipping dask: {error}; pip install 'neuroboard[dask]')")
        return []
    quick = scale < 1.0
    runs, scalars = (100, 2_000) if quick else (RUNS, SCALARS)
    expected = runs * scalars
    with tempfile.TemporaryDirectory(prefix="neuroboard-bench-") as logdir:
        _write_logdir(logdir, runs, scalars)

        def single(_logdir: str) -> None:
            rows = len(neuroboard.collect_events(logdir, type="scalar"))
            assert rows == expected, f"collect_events returned {rows:,} rows, expected {expected:,}"

        def parallel(_logdir: str, group: int = 1) -> None:
            rows = len(read_scalars(logdir, files_per_partition=group).compute())
            assert rows == expected, f"read_scalars returned {rows:,} rows, expected {expected:,}"

        def kept_on_workers(_logdir: str, group: int = 1) -> None:
            # The table read into the workers' memory, as a cluster job keeps it for what comes next;
            # only the partition lengths come back to the client.
            frame = read_scalars(logdir, files_per_partition=group).persist()
            wait(frame)
            rows = int(frame.map_partitions(len).compute().sum())
            assert rows == expected, f"read_scalars returned {rows:,} rows, expected {expected:,}"

        # A few partitions per worker: the per-task cost is paid per group, not per tiny file.
        group = max(1, runs // (8 * WORKERS))

        peer = expected / best_seconds(single, repeats=repeats)
        with (
            LocalCluster(
                n_workers=WORKERS, threads_per_worker=1, processes=True, dashboard_address=None
            ) as cluster,
            Client(cluster),
        ):
            parallel(logdir)  # the workers import neuroboard and pandas once, off the clock
            ours = expected / best_seconds(parallel, repeats=repeats)
            grouped = expected / best_seconds(lambda d: parallel(d, group), repeats=repeats)
            persisted = expected / best_seconds(lambda d: kept_on_workers(d, group), repeats=repeats)
    rows = [
        Row(
            f"read_scalars {runs:,} files, {WORKERS} workers vs collect_events", "scalars", ours, peer, TARGET
        ),
        Row(
            f"read_scalars {group} files/partition, {WORKERS} workers vs collect_events",
            "scalars",
            grouped,
            peer,
            TARGET,
        ),
        Row(
            f"read_scalars {group} files/partition, persisted on {WORKERS} workers vs collect_events",
            "scalars",
            persisted,
            peer,
            TARGET,
        ),
    ]
    for row in rows:
        print_row(row)
    return rows
