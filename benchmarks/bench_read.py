"""Reading: one event file of scalars, through our readers, tbparse and tensorboard's readers.

The file is written once, by neuroboard, before any clock starts: a training
loop of ``add_scalar`` calls over four interleaved tags, each call with its
own wall time. Every reader must yield exactly what the file holds (the
file_version event plus one event per scalar, or one row per scalar), so a
reader that stops early (or reads nothing) fails instead of looking fast.

The tables are compared like for like: ``collect_events(type="scalar")``
against tbparse's ``SummaryReader(...).scalars`` and against a DataFrame of
the same columns built from tensorboard's ``EventAccumulator`` with sampling
off. tbparse and the accumulator take tens of seconds for a million scalars,
so they run once; a run that long is steady enough to time once.
"""

from __future__ import annotations

import gc
import struct
import tempfile
import tracemalloc
from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd

import neuroboard
from benchmarks.common import MemoryRow, Row, best_seconds, print_row
from neuroboard.io.reader import FileRecordReader, read_events, run_files

__all__ = ["run"]

SCALARS = 1_000_000
TAGS = ("loss", "accuracy", "lr", "grad_norm")

TARGET_TBPARSE = 30.0
TARGET_ACCUMULATOR = 10.0
# "Within 2x of a loop that only walks the framing": at least half its rate.
TARGET_FRAMING = 0.5
# Peak traced memory of collect_events over the size of the DataFrame it returns.
TARGET_PEAK_MEMORY = 3.0


def _write_training_log(logdir: str, steps: int) -> None:
    # One call per scalar, as a training loop logs, so each has its own wall time.
    values = np.random.default_rng(0).random((steps, len(TAGS))).tolist()
    with neuroboard.SummaryWriter(logdir) as writer:
        for step, row in enumerate(values):
            for tag, value in zip(TAGS, row):
                writer.add_scalar(tag, value, step)


def _counting(name: str, open_reader: Callable[[str], Iterable[object]], path: str, expected: int):
    def work(_logdir: str) -> None:
        # The same bare counting loop for every reader, so only the reader differs.
        count = 0
        for _ in open_reader(path):
            count += 1
        assert count == expected, f"{name} read {count:,} events from {path}, expected {expected:,}"

    return work


def _table(name: str, read: Callable[[str], pd.DataFrame], logdir: str, expected: int):
    def work(_logdir: str) -> None:
        rows = len(read(logdir))
        assert rows == expected, f"{name} returned {rows:,} rows from {logdir}, expected {expected:,}"

    return work


def _collect_scalars(logdir: str) -> pd.DataFrame:
    return neuroboard.collect_events(logdir, type="scalar")


def _accumulator_scalars(logdir: str) -> pd.DataFrame:
    """Return tensorboard's EventAccumulator's scalars, sampling off, as collect_events' table."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    accumulator = EventAccumulator(logdir, size_guidance={"scalars": 0})
    accumulator.Reload()
    tags, steps, walls, values = [], [], [], []
    for tag in accumulator.Tags()["scalars"]:
        events = accumulator.Scalars(tag)
        tags += [tag] * len(events)
        steps += [event.step for event in events]
        walls += [event.wall_time for event in events]
        values += [event.value for event in events]
    # The logdir is its own run: collect_events names it ".".
    return pd.DataFrame(
        {"run": ["."] * len(tags), "tag": tags, "step": steps, "wall_time": walls, "value": values}
    )


def _tbparse_scalars(logdir: str) -> pd.DataFrame:
    import tbparse

    # Its defaults: long format, columns step, tag and value (fewer than ours).
    return tbparse.SummaryReader(logdir, pivot=False).scalars


def _framing_walk(path: str, expected: int):
    """Return the work of a bare Python loop that only walks the record framing, decoding nothing."""

    def work(_logdir: str) -> None:
        with open(path, "rb") as file:
            data = file.read()
        pos, end, count = 0, len(data), 0
        while pos < end:
            (length,) = struct.unpack_from("<Q", data, pos)
            # 8 bytes of length, 4 of its CRC, the payload, 4 of the payload's CRC.
            pos += length + 16
            count += 1
        assert count == expected, (
            f"the framing walk counted {count:,} records in {path}, expected {expected:,}"
        )

    return work


def _peak_memory(logdir: str, expected: int) -> tuple[int, int]:
    """Return the peak bytes traced while ``collect_events`` runs, and the bytes of its DataFrame."""
    gc.collect()
    # NumPy reports its buffers to tracemalloc, so the columns are counted too.
    tracemalloc.start()
    try:
        frame = _collect_scalars(logdir)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(frame) == expected, f"collect_events returned {len(frame):,} rows, expected {expected:,}"
    return peak, int(frame.memory_usage(deep=False).sum())


def run(scale: float = 1.0, repeats: int = 3) -> list[Row]:
    """Read back ``scale`` times a million scalars with each reader; print and return the rows."""
    # Imported here so that the write area does not pay for tensorboard's loader.
    from tensorboard.backend.event_processing.event_file_loader import (
        EventFileLoader,
        RawEventFileLoader,
    )

    try:
        import tbparse  # noqa: F401
    except ImportError as error:
        has_tbparse = False
        print(f"  (skipping tbparse: {error})")
    else:
        has_tbparse = True

    steps = int(SCALARS * scale) // len(TAGS)
    count = steps * len(TAGS)
    expected = count + 1  # the file_version event comes first
    rows = []
    with tempfile.TemporaryDirectory(prefix="neuroboard-bench-") as logdir:
        _write_training_log(logdir, steps)
        (path,) = run_files(logdir)["."]

        def rate(name: str, open_reader: Callable[[str], Iterable[object]]) -> float:
            return expected / best_seconds(_counting(name, open_reader, path, expected), repeats=repeats)

        loader = rate("EventFileLoader", lambda p: EventFileLoader(p).Load())
        raw_loader = rate("RawEventFileLoader", lambda p: RawEventFileLoader(p).Load())
        ours = rate("read_events", read_events)
        raw = rate("FileRecordReader", FileRecordReader)
        for row in (
            Row(f"read_events {count:,} vs EventFileLoader", "events", ours, loader),
            Row(f"FileRecordReader {count:,} vs EventFileLoader", "events", raw, loader),
            # Raw records against raw records: the like-for-like comparison of the framing layer.
            Row(f"FileRecordReader {count:,} vs RawEventFileLoader", "events", raw, raw_loader),
        ):
            print_row(row)
            rows.append(row)

        def table_rate(name: str, read: Callable[[str], pd.DataFrame], times: int) -> float:
            return count / best_seconds(_table(name, read, logdir, count), repeats=times)

        collect = table_rate("collect_events", _collect_scalars, repeats)
        # Per scalar on both sides, so the ratio is the walk's time over ours for the same file.
        walk = count / best_seconds(_framing_walk(path, expected), repeats=repeats)
        peers = {}
        if has_tbparse:
            peers["tbparse"] = (table_rate("tbparse", _tbparse_scalars, 1), TARGET_TBPARSE)
        peers["EventAccumulator (no sampling)"] = (
            table_rate("EventAccumulator", _accumulator_scalars, 1),
            TARGET_ACCUMULATOR,
        )
        peers["bare framing walk"] = (walk, TARGET_FRAMING)
        for name, (peer, target) in peers.items():
            row = Row(f"collect_events scalar vs {name}", "scalars", collect, peer, target)
            print_row(row)
            rows.append(row)

        peak, frame = _peak_memory(logdir, count)
        row = MemoryRow(
            "collect_events scalar: peak memory / DataFrame", "B", peak, frame, TARGET_PEAK_MEMORY
        )
        print_row(row)
        rows.append(row)
    return rows
