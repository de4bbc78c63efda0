"""Reading: one event file of scalars, through our readers and tensorboard's loaders.

The file is written once, by neuroboard, before any clock starts. Every
reader must yield exactly the file_version event plus one event per scalar,
so a reader that stops early (or reads nothing) fails instead of looking fast.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable

import numpy as np

import neuroboard
from benchmarks.common import Row, best_seconds, print_row
from neuroboard.io.reader import FileRecordReader, read_events, run_files

__all__ = ["run"]

SCALARS = 1_000_000


def _counting(name: str, open_reader: Callable[[str], Iterable[object]], path: str, expected: int):
    def work(_logdir: str) -> None:
        # The same bare counting loop for every reader, so only the reader differs.
        count = 0
        for _ in open_reader(path):
            count += 1
        assert count == expected, f"{name} read {count:,} events from {path}, expected {expected:,}"

    return work


def run(scale: float = 1.0, repeats: int = 3) -> list[Row]:
    """Read back ``scale`` times a million scalars with each reader; print and return the rows."""
    # Imported here so that the write area does not pay for tensorboard's loader.
    from tensorboard.backend.event_processing.event_file_loader import (
        EventFileLoader,
        RawEventFileLoader,
    )

    count = int(SCALARS * scale)
    expected = count + 1  # the file_version event comes first
    rows = []
    with tempfile.TemporaryDirectory(prefix="neuroboard-bench-") as logdir:
        with neuroboard.SummaryWriter(logdir) as writer:
            writer.add_series("loss", np.random.default_rng(0).random(count))
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
    return rows
