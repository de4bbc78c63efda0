"""Reading in parallel: ``read_scalars`` on a two-worker dask cluster against ``collect_events`` in one process.

Two logdirs are written once, before any reading clock starts, by eight
processes at once, each every eighth run, step by step with
``SummaryWriter.add_scalar`` as a training loop writes: a new user's first
try, forty runs of five thousand scalars, and a sweep, a thousand runs of ten
thousand scalars (a hundred of two thousand with ``--quick``). The sweep's
writing is timed against one process writing the same runs alone. Every
reader must return every scalar, and after the timed rounds the sweep's
table is checked value by value: each written value once, at its run and
step. Each cluster (two worker
processes, one thread each) is started before the clock and closed after,
and the readers take turns, round after round, so that a slow spell of the
machine is not charged to one of them.

The sweep's targets are for what a cluster job does with it: read it into
the workers' memory (``persist()``) with the default partitions, at 80 % of
twice the rate of one process, and within 10 % of the best
``files_per_partition`` found by hand; and reduce it on the workers
(``last``, ``tag_stats``, ``mean_curve``) at 80 % of twice
``collect_events`` followed by the same reduction in pandas. The small
logdir's target is for the whole table brought here, each partition
straight to this process (``to_pandas()``): no slower than
``collect_events``. ``compute()`` has a worker concatenate the partitions
and send the whole, which costs more than reading the logdir here: the row
of ``compute()`` of the table already in the workers' memory measures that
cost alone. The other rows without a target show what bringing every row
of the sweep to the client costs, the first read of a fresh cluster, and
the same reads and reductions from an S3 server (moto) that the eight
processes wrote to with neuroboard's object-store writer.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import shutil
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
WRITERS = 8
WORKERS = 2
TARGET = 0.8 * WORKERS
#: The default partitions against the best files_per_partition found by hand: within 10 %.
DEFAULT_VS_TUNED = 0.9
#: A first try: a small logdir read on a fresh cluster, against collect_events.
SMALL_RUNS = 40
SMALL_SCALARS = 5_000


def _values(run: int, scalars: int) -> np.ndarray:
    """The values of one run: whole numbers below 2**24, which float32 holds exactly, different per run."""
    return ((run * 7919 + np.arange(scalars) * 31) % 65536).astype(np.float64)


def _write_runs(job: tuple[str, int, int, int, dict | None]) -> None:
    logdir, first, runs, scalars, options = job
    for index in range(first, runs, WRITERS):
        with neuroboard.SummaryWriter(f"{logdir}/run{index:04d}", storage_options=options) as writer:
            # Step by step, as a training loop writes them.
            for step, value in enumerate(_values(index, scalars).tolist()):
                writer.add_scalar("rate", value, step)


def _write_logdir(logdir: str, runs: int, scalars: int, options: dict | None = None) -> float:
    """Write ``runs`` runs of ``scalars`` scalars into ``logdir`` (a path or a URL) from WRITERS processes.

    Each process writes every WRITERS-th run, all at once into the same logdir; return the seconds taken.
    """
    jobs = [(logdir, first, runs, scalars, options) for first in range(WRITERS)]
    context = multiprocessing.get_context("spawn")
    ready = context.Barrier(WRITERS + 1)
    with context.Pool(WRITERS, initializer=_ready, initargs=(ready,)) as pool:
        ready.wait()  # every process is up, with neuroboard imported, before the clock starts
        start = time.perf_counter()
        pool.map(_write_runs, jobs, chunksize=1)
        return time.perf_counter() - start


def _ready(barrier: Any) -> None:
    """Start a writing process: neuroboard is imported (at this module's import), then wait for the others."""
    barrier.wait()


def _check_every_value(frame: Any, runs: int, scalars: int) -> None:
    """Check that the table holds each written value once, at its run and step."""
    table = frame.sort_values(["run", "step"], ignore_index=True)
    assert len(table) == runs * scalars and (table["tag"] == "rate").all(), len(table)
    names = [f"run{index:04d}" for index in range(runs)]
    assert (table["run"].to_numpy() == np.repeat(names, scalars)).all(), "runs"
    assert (table["step"].to_numpy() == np.tile(np.arange(scalars), runs)).all(), "steps"
    expected = np.concatenate([_values(index, scalars) for index in range(runs)])
    assert (table["value"].to_numpy() == expected).all(), "values"


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
    from distributed import wait

    from neuroboard.dask import read_scalars, to_pandas

    def check(rows: int, who: str) -> None:
        assert rows == expected, f"{who} returned {rows:,} rows, expected {expected:,}"

    def single() -> None:
        check(
            len(neuroboard.collect_events(logdir, type="scalar", storage_options=options)), "collect_events"
        )

    def frame(**layout: Any) -> Any:
        return read_scalars(logdir, storage_options=options, **layout)

    def persisted(**layout: Any) -> None:
        # Only the partition lengths come back to the client.
        kept = frame(**layout).persist()
        wait(kept)
        check(int(kept.map_partitions(len).compute().sum()), "read_scalars")

    return {
        "collect_events": single,
        "persisted": persisted,
        "persisted, tuned": lambda: persisted(files_per_partition=group),
        "persisted, a partition per file": lambda: persisted(blocksize=None),
        "to_pandas": lambda: check(len(to_pandas(frame())), "to_pandas"),
        "computed": lambda: check(len(frame().compute()), "read_scalars"),
    }


def _rows(label: str, best: dict[str, float], expected: int, group: int, target: float | None) -> list[Row]:
    peer = expected / best["collect_events"]
    where = f"{WORKERS} workers vs collect_events"
    names = {
        "persisted": (f"read_scalars {label}, default partitions, persisted on {where}", target),
        "persisted, tuned": (f"read_scalars {label}, {group} files/partition, persisted on {where}", None),
        "persisted, a partition per file": (
            f"read_scalars {label}, a partition per file, persisted on {where}",
            None,
        ),
        "to_pandas": (f"read_scalars {label}, to_pandas() from {where}", None),
        "computed": (f"read_scalars {label}, compute() from {where}", None),
    }
    rows = [
        Row(name, "scalars", expected / best[key], peer, goal)
        for key, (name, goal) in names.items()
        if key in best
    ]
    if "persisted, tuned" in best:
        rows.append(
            Row(
                f"read_scalars {label}, default partitions vs {group} files/partition, persisted",
                "scalars",
                expected / best["persisted"],
                expected / best["persisted, tuned"],
                DEFAULT_VS_TUNED,
            )
        )
    return rows


def _reducers(logdir: str, runs: int, options: dict | None = None) -> dict:
    """Return the timed reductions: each in pandas after collect_events, and on the workers."""
    from neuroboard import dask as nd

    pandas_forms = {
        "last": lambda t: (
            t.drop_duplicates(["run", "tag"], keep="last").set_index(["run", "tag"]).sort_index()
        ),
        "tag_stats": lambda t: t.groupby("tag")["value"].agg(["count", "min", "mean", "max"]),
        "mean_curve": lambda t: t.groupby(["tag", "step"])["value"].agg(["mean", "count"]),
    }
    sizes = {"last": runs, "tag_stats": 1, "mean_curve": None}
    timed = {}
    for name, form in pandas_forms.items():

        def in_pandas(form=form, name=name) -> None:
            result = form(neuroboard.collect_events(logdir, type="scalar", storage_options=options))
            assert sizes[name] in (None, len(result))

        def on_workers(name=name) -> None:
            result = getattr(nd, name)(nd.read_scalars(logdir, storage_options=options)).compute()
            assert sizes[name] in (None, len(result))

        timed[f"{name} in pandas"] = in_pandas
        timed[f"{name} on the workers"] = on_workers
    return timed


def _reduction_rows(
    label: str, best: dict[str, float], expected: int, target: float | None = TARGET
) -> list[Row]:
    where = f"{WORKERS} workers vs collect_events + the same in pandas"
    return [
        Row(
            f"{name}(read_scalars) {label}, reduced on {where}",
            "scalars",
            expected / best[f"{name} on the workers"],
            expected / best[f"{name} in pandas"],
            target,
        )
        for name in ("last", "tag_stats", "mean_curve")
    ]


def _writing_row(logdir: str, alone: str, runs: int, scalars: int) -> Row:
    """Write the sweep from WRITERS processes at once, and the same runs from this one process alone."""
    together = _write_logdir(logdir, runs, scalars)
    start = time.perf_counter()
    for first in range(WRITERS):
        _write_runs((alone, first, runs, scalars, None))
    one = time.perf_counter() - start
    shutil.rmtree(alone)
    return Row(
        f"add_scalar, {runs:,} runs x {scalars:,} into one logdir by {WRITERS} processes vs one process",
        "scalars",
        runs * scalars / together,
        runs * scalars / one,
        None,
    )


def sweep_rows(logdir: str, runs: int, scalars: int, repeats: int) -> list[Row]:
    """Time the reads and the reductions of a written local logdir of ``runs`` runs of ``scalars``."""
    from neuroboard.dask import read_scalars, to_pandas

    expected = runs * scalars
    # The tuned layout: a few partitions per worker, the per-task cost paid per group, not per small file.
    group = max(1, runs // (8 * WORKERS))
    with _cluster() as client:
        readers = _readers(logdir, expected, group, client)
        readers["persisted"]()  # the workers import neuroboard and pandas once, off the clock
        readers.update(_reducers(logdir, runs))
        # The default against the tuned layout is a comparison within a few per cent: more rounds.
        best = best_seconds_alternating(readers, rounds=max(repeats, 5))
        _check_every_value(to_pandas(read_scalars(logdir)), runs, scalars)
    label = f"{runs:,} runs"
    return _rows(label, best, expected, group, TARGET) + _reduction_rows(label, best, expected)


def small_rows(logdir: str, runs: int, scalars: int, repeats: int) -> list[Row]:
    """Time the reads of a small written logdir, as a new user's first try on a fresh cluster does."""
    from distributed import wait

    from neuroboard.dask import read_scalars

    expected = runs * scalars
    with _cluster() as client:
        readers = _readers(logdir, expected, 1, client)
        readers = {key: readers[key] for key in ("collect_events", "computed", "to_pandas", "persisted")}
        # The first read of a fresh cluster: the workers import neuroboard, pandas and pyarrow.
        first = time.perf_counter()
        readers["computed"]()
        first = time.perf_counter() - first
        # What compute() costs with nothing left to read: the table, already in the workers' memory, brought here.
        kept = read_scalars(logdir).persist()
        wait(kept)
        readers["kept"] = lambda: len(kept.compute())
        best = best_seconds_alternating(readers, rounds=max(repeats, 5))
    label = f"{runs:,} runs x {scalars:,}"
    peer = expected / best["collect_events"]
    where = f"{WORKERS} workers vs collect_events"
    return [
        Row(
            f"read_scalars {label}, to_pandas() from {where}",
            "scalars",
            expected / best["to_pandas"],
            peer,
            1.0,
        ),
        Row(
            f"read_scalars {label}, compute() from {where}",
            "scalars",
            expected / best["computed"],
            peer,
            None,
        ),
        Row(
            f"read_scalars {label}, persisted on {where}", "scalars", expected / best["persisted"], peer, None
        ),
        Row(
            f"read_scalars {label}, compute() of the table already on {where} (bringing it alone)",
            "scalars",
            expected / best["kept"],
            peer,
            None,
        ),
        Row(
            f"read_scalars {label}, first compute() of a fresh cluster vs collect_events",
            "scalars",
            expected / first,
            peer,
            None,
        ),
    ]


def _s3_rows(runs: int, scalars: int, repeats: int, group: int, local_rate: float) -> list[Row]:
    """Write the logdir into a moto S3 server from WRITERS processes; time the reads from there."""
    from neuroboard.dask import read_scalars, to_pandas

    try:
        import s3fs
    except ImportError as error:
        print(f"  (skipping S3 rows: {error}; pip install s3fs 'moto[server,s3]')")
        return []
    expected = runs * scalars
    with _moto_server() as options:
        s3fs.S3FileSystem(**options).mkdir("bench")
        url = "s3://bench/exp"
        seconds = _write_logdir(url, runs, scalars, options)
        print(f"  {runs:,} runs x {scalars:,} written to S3 (moto) by {WRITERS} processes in {seconds:.1f} s")
        with _cluster() as client:
            readers = _readers(url, expected, group, client, options)
            # Moving ten million rows to the client was measured on local files; here the reading counts.
            readers = {key: readers[key] for key in ("collect_events", "persisted")}
            readers["persisted"]()  # the workers import s3fs and make their clients once, off the clock
            readers.update(_reducers(url, runs, options))
            best = best_seconds_alternating(readers, rounds=repeats)
            _check_every_value(to_pandas(read_scalars(url, storage_options=options)), runs, scalars)
    label = f"{runs:,} runs x {scalars:,} on S3 (moto)"
    remote_rate = expected / best["collect_events"]
    return [
        Row(f"collect_events {label} vs the same from local disk", "scalars", remote_rate, local_rate, None),
        *_rows(label, best, expected, group, None),
        *_reduction_rows(label, best, expected, None),
    ]


def run(scale: float = 1.0, repeats: int = 3) -> list[Row]:
    """Read the logdirs with both readers, locally and from S3; print and return the rows."""
    try:
        import distributed  # noqa: F401

        import neuroboard.dask  # noqa: F401
    except ImportError as error:
        print(f"  (skipping dask: {error}; pip install 'neuroboard[dask]')")
        return []
    quick = scale < 1.0
    runs, scalars = (100, 2_000) if quick else (RUNS, SCALARS)
    with tempfile.TemporaryDirectory(prefix="neuroboard-bench-") as logdir:
        _write_logdir(f"{logdir}/small", SMALL_RUNS, SMALL_SCALARS)
        rows = [_writing_row(f"{logdir}/sweep", f"{logdir}/one", runs, scalars)]
        rows += small_rows(f"{logdir}/small", SMALL_RUNS, SMALL_SCALARS, repeats)
        rows += sweep_rows(f"{logdir}/sweep", runs, scalars, repeats)
    local_rate = next(row.peer for row in rows if "default partitions, persisted" in row.name)
    rows += _s3_rows(runs, scalars, repeats, max(1, runs // (8 * WORKERS)), local_rate)
    for row in rows:
        print_row(row)
    return rows
