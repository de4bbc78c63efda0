"""Reading in parallel: ``read_scalars`` on a two-worker dask cluster against ``collect_events`` in one process.

The logdir is written once, before any clock starts, by four processes that
each write a quarter of the runs with ``SummaryWriter.add_series``: a
thousand runs of ten thousand scalars (a hundred of two thousand with
``--quick``). Every reader must return every scalar. The cluster (two worker
processes, one thread each) is started before the clock and closed after,
and the readers take turns, round after round, so that a slow spell of the
machine is not charged to one of them.

The target is for the read itself: the table read into the workers' memory
(``persist()``), as a cluster job holds it for what it does next. Two
workers that read perfectly in parallel would double the rate of one
process; the target asks for 80 % of that. The rows without a target show
what bringing all ten million rows to the client costs on top, by
``compute()`` and by gathering the partitions, and the same reads from an
S3 server (moto) that the four processes wrote to with neuroboard's
object-store writer.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import numpy as np

import neuroboard
from benchmarks.common import Row, best_seconds_alternating, print_row

__all__ = ["run"]

RUNS = 1_000
SCALARS = 10_000
WRITERS = 4
WORKERS = 2
TARGET = 0.8 * WORKERS


def _write_runs(job: tuple[str, range, int, dict | None]) -> None:
    logdir, runs, scalars, options = job
    values = np.random.default_rng(runs.start).random(scalars)
    for index in runs:
        with neuroboard.SummaryWriter(f"{logdir}/run{index:04d}", storage_options=options) as writer:
            writer.add_series("rate", values)


def _write_logdir(logdir: str, runs: int, scalars: int, options: dict | None = None) -> None:
    """Write ``runs`` runs of ``scalars`` scalars into ``logdir`` (a path or a URL) from WRITERS processes."""
    share = -(-runs // WRITERS)
    jobs = [(logdir, range(i, min(i + share, runs)), scalars, options) for i in range(0, runs, share)]
    with multiprocessing.get_context("spawn").Pool(WRITERS) as pool:
        pool.map(_write_runs, jobs)


@contextlib.contextmanager
def _cluster() -> Iterator[Any]:
    """Yield a client of a local cluster of WORKERS single-threaded worker processes."""
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=WORKERS, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


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


def _readers(logdir: str, expected: int, group: int, client: Any, options: dict | None = None) -> dict:
    """Return the timed reads of ``logdir``: collect_events, and read_scalars kept, gathered and computed."""
    import pandas as pd
    from distributed import wait

    from neuroboard.dask import read_scalars

    def check(rows: int, who: str) -> None:
        assert rows == expected, f"{who} returned {rows:,} rows, expected {expected:,}"

    def single() -> None:
        check(
            len(neuroboard.collect_events(logdir, type="scalar", storage_options=options)), "collect_events"
        )

    def frame(files: int) -> Any:
        return read_scalars(logdir, files_per_partition=files, storage_options=options)

    def persisted(files: int) -> None:
        # Only the partition lengths come back to the client.
        kept = frame(files).persist()
        wait(kept)
        check(int(kept.map_partitions(len).compute().sum()), "read_scalars")

    def gathered() -> None:
        parts = client.gather(client.compute(frame(group).to_delayed()))
        check(len(pd.concat(parts, ignore_index=True)), "read_scalars")

    def computed() -> None:
        check(len(frame(group).compute()), "read_scalars")

    return {
        "collect_events": single,
        "persisted": lambda: persisted(group),
        "persisted, a partition per file": lambda: persisted(1),
        "gathered": gathered,
        "computed": computed,
    }


def _rows(label: str, best: dict[str, float], expected: int, group: int, target: float | None) -> list[Row]:
    peer = expected / best["collect_events"]
    where = f"{WORKERS} workers vs collect_events"
    names = {
        "persisted": (f"read_scalars {label}, {group} files/partition, persisted on {where}", target),
        "persisted, a partition per file": (
            f"read_scalars {label}, a partition per file, persisted on {where}",
            None,
        ),
        "gathered": (f"read_scalars {label}, partitions gathered to the client from {where}", None),
        "computed": (f"read_scalars {label}, compute() from {where}", None),
    }
    return [
        Row(name, "scalars", expected / best[key], peer, goal)
        for key, (name, goal) in names.items()
        if key in best
    ]


def _s3_rows(runs: int, scalars: int, repeats: int, group: int, local_rate: float) -> list[Row]:
    """Write the logdir into a moto S3 server from WRITERS processes; time the reads from there."""
    try:
        import s3fs
    except ImportError as error:
        print(f"  (skipping S3 rows: {error}; pip install s3fs 'moto[server,s3]')")
        return []
    expected = runs * scalars
    with _moto_server() as options:
        s3fs.S3FileSystem(**options).mkdir("bench")
        url = "s3://bench/exp"
        _write_logdir(url, runs, scalars, options)
        with _cluster() as client:
            readers = _readers(url, expected, group, client, options)
            # Moving ten million rows to the client was measured on local files; here the reading counts.
            readers = {key: readers[key] for key in ("collect_events", "persisted")}
            readers["persisted"]()  # the workers import s3fs and make their clients once, off the clock
            best = best_seconds_alternating(readers, rounds=repeats)
    label = f"{runs:,} runs x {scalars:,} on S3 (moto)"
    remote_rate = expected / best["collect_events"]
    return [
        Row(f"collect_events {label} vs the same from local disk", "scalars", remote_rate, local_rate, None),
        *_rows(label, best, expected, group, None),
    ]


def run(scale: float = 1.0, repeats: int = 3) -> list[Row]:
    """Read the logdir with both readers, locally and from S3; print and return the rows."""
    try:
        import distributed  # noqa: F401

        import neuroboard.dask  # noqa: F401
    except ImportError as error:
        print(f"  (skipping dask: {error}; pip install 'neuroboard[dask]')")
        return []
    quick = scale < 1.0
    runs, scalars = (100, 2_000) if quick else (RUNS, SCALARS)
    expected = runs * scalars
    # A few partitions per worker: the per-task cost is paid per group, not per small file.
    group = max(1, runs // (8 * WORKERS))
    with tempfile.TemporaryDirectory(prefix="neuroboard-bench-") as logdir:
        _write_logdir(logdir, runs, scalars)
        with _cluster() as client:
            readers = _readers(logdir, expected, group, client)
            readers["persisted"]()  # the workers import neuroboard and pandas once, off the clock
            best = best_seconds_alternating(readers, rounds=repeats)
    rows = _rows(f"{runs:,} runs", best, expected, group, TARGET)
    rows += _s3_rows(runs, scalars, repeats, group, expected / best["collect_events"])
    for row in rows:
        print_row(row)
    return rows
