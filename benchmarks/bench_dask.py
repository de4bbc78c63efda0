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

import contextlib
import multiprocessing
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator

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


@contextlib.contextmanager
def _cluster() -> Iterator[None]:
    """Run a client on a local cluster of WORKERS single-threaded worker processes."""
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=WORKERS, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster),
    ):
        yield


# Runs copied to the S3 server for the object-store rows: a tenth of the logdir keeps the upload short.
S3_RUNS = 100


@contextlib.contextmanager
def _moto_server() -> Iterator[dict]:
    """Run moto's S3 server in a process of its own on a free loopback port; yield s3fs options."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(endpoint, timeout=2).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("moto's S3 server did not start") from None
                time.sleep(0.1)
        yield {
            "key": "bench",
            "secret": "bench",
            "client_kwargs": {"endpoint_url": endpoint},
            "config_kwargs": {"region_name": "us-east-1"},
        }
    finally:
        server.terminate()
        server.wait(timeout=30)


def _s3_rows(logdir: str, runs: int, scalars: int, repeats: int, group: int) -> list[Row]:
    """Copy ``runs`` runs to a moto S3 server; time collect_events and read_scalars reading them there."""
    try:
        import s3fs
        from distributed import wait

        from neuroboard.dask import read_scalars
    except ImportError as error:
        print(f"  (skipping S3 rows: {error}; pip install s3fs 'moto[server,s3]')")
        return []
    expected = runs * scalars
    with _moto_server() as options:
        fs = s3fs.S3FileSystem(**options)
        fs.mkdir("bench")
        for index in range(runs):
            name = f"run{index:04d}"
            fs.put(os.path.join(logdir, name), f"bench/exp/{name}", recursive=True)
        url = "s3://bench/exp"

        def local(_logdir: str) -> None:
            assert len(neuroboard.collect_events(logdir, type="scalar", runs="run00[0-9][0-9]")) == expected

        def remote(_logdir: str) -> None:
            assert len(neuroboard.collect_events(url, type="scalar", storage_options=options)) == expected

        def on_workers(_logdir: str) -> None:
            frame = read_scalars(url, storage_options=options, files_per_partition=group).persist()
            wait(frame)
            assert int(frame.map_partitions(len).compute().sum()) == expected

        local_rate = expected / best_seconds(local, repeats=repeats)
        remote_rate = expected / best_seconds(remote, repeats=repeats)
        with _cluster():
            on_workers(logdir)
            dask_rate = expected / best_seconds(on_workers, repeats=repeats)
    label = f"{runs} runs x {scalars:,} on S3 (moto)"
    return [
        Row(f"collect_events {label} vs the same from local disk", "scalars", remote_rate, local_rate, None),
        Row(
            f"read_scalars {label}, persisted on {WORKERS} workers vs collect_events from S3",
            "scalars",
            dask_rate,
            remote_rate,
            None,
        ),
    ]


def run(scale: float = 1.0, repeats: int = 3) -> list[Row]:
    """Read the logdir with both readers; print and return the row."""
    try:
        from distributed import wait

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
        with _cluster():
            parallel(logdir)  # the workers import neuroboard and pandas once, off the clock
            ours = expected / best_seconds(parallel, repeats=repeats)
            grouped = expected / best_seconds(lambda d: parallel(d, group), repeats=repeats)
            persisted = expected / best_seconds(lambda d: kept_on_workers(d, group), repeats=repeats)
        s3_runs = min(runs, S3_RUNS)
        s3_rows = _s3_rows(logdir, s3_runs, scalars, repeats, max(1, s3_runs // (8 * WORKERS)))
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
        *s3_rows,
    ]
    for row in rows:
        print_row(row)
    return rows
