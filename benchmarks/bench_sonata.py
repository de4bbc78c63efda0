"""SONATA spikes: a file of 10⁷ spikes to a raster and a rate, against matplotlib's raster of the same spikes.

* Ours: ``sonata_to_tensorboard`` from the file on disk to a closed run, the
  raster image (2000 × 1000 pixels) and the rate as scalars, reading the
  file in chunks. matplotlib (an optional peer; without it the row is
  skipped): ``eventplot`` of the same spikes, one train per node, saved as a
  PNG of the same size by the Agg backend. The trains are split before the
  clock starts, so the peer is not charged for reading the file. Target 20×.
* Peak memory of ours under ``tracemalloc``, against the bytes of the spike
  arrays themselves (float64 times and int64 ids): target at most 2×. The row
  reports the share of that budget left unused, as a ratio of budget to peak.
"""

from __future__ import annotations

import io
import os
import tempfile
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks.bench_neuro import _load_pyplot
from benchmarks.common import MemoryRow, Row, best_seconds, print_row
from neuroboard.neuro import TensorboardWriter
from neuroboard.neuro.sonata import sonata_to_tensorboard, write_sonata_spikes

__all__ = ["run"]

SPIKES = 10_000_000
NODES = 1_000
T_STOP = 10_000.0  # ms
SIZE = (2_000, 1_000)
DPI = 100
TARGET_SPEED = 20.0
TARGET_MEMORY = 2.0


def _ours(path: str) -> Callable[[str], None]:
    def work(logdir: str) -> None:
        with TensorboardWriter(logdir) as views:
            sonata_to_tensorboard(path, views, bin=T_STOP / SIZE[0])

    return work


def _matplotlib(plt: Any, trains: list[np.ndarray]) -> Callable[[str], None]:
    def work(logdir: str) -> None:
        fig, ax = plt.subplots(figsize=(SIZE[0] / DPI, SIZE[1] / DPI), dpi=DPI)
        ax.eventplot(trains)
        fig.savefig(io.BytesIO(), format="png")
        plt.close(fig)

    return work


def _peak_bytes(work: Callable[[str], None]) -> int:
    with tempfile.TemporaryDirectory() as logdir:
        tracemalloc.start()
        try:
            work(logdir)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()


def run(scale: float = 1.0, repeats: int = 3) -> list[Row]:
    """Time and measure a SONATA file to TensorBoard, and return the rows."""
    count = max(10_000, int(SPIKES * scale))
    rng = np.random.default_rng(0)
    times = np.sort(rng.uniform(0.0, T_STOP, count))
    ids = rng.integers(0, NODES, count)
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "spikes.h5")
        write_sonata_spikes(path, times, ids, population="v1")
        spike_bytes = times.nbytes + ids.nbytes
        ours = _ours(path)
        ours_rate = count / best_seconds(ours, repeats=repeats)
        plt = _load_pyplot()
        if plt is not None:
            order = np.argsort(ids, kind="stable")
            trains = np.split(times[order], np.cumsum(np.bincount(ids, minlength=NODES))[:-1])
            peer_rate = count / best_seconds(_matplotlib(plt, trains), repeats=1)
            rows.append(
                Row(
                    f"SONATA {count:,} spikes -> raster+rate vs eventplot",
                    "spikes",
                    ours_rate,
                    peer_rate,
                    TARGET_SPEED,
                )
            )
            print_row(rows[-1])
            del trains
        del times, ids
        peak = _peak_bytes(ours)
        # As a Row: the budget (2 × the arrays) over the peak, so a ratio >= 1 meets the goal.
        row = MemoryRow(
            "SONATA -> raster+rate: peak memory / spike arrays",
            "B",
            peak,
            spike_bytes,
            TARGET_MEMORY,
            reference="spikes",
        )
        print_row(row)
        rows.append(row)
    return rows
