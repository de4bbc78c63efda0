"""Curves: add_pr_curve of 10^4 predictions and add_histogram_raw, against torch's SummaryWriter.

Ours and torch each call their own method on the same inputs, built before
the clock starts; each timed run covers a writer's whole life, from
construction to ``close()``. add_pr_curve carries the issue's target (3x
torch); add_histogram_raw is reported for reference.
"""

from __future__ import annotations

import numpy as np

import neuroboard
from benchmarks.common import Row, compare, load_peers, writer_loop

__all__ = ["run"]

PREDICTIONS = 10_000
PR_CALLS = 500
RAW_CALLS = 2_000
RAW_BUCKETS = 30
MIN_CALLS = 10

TARGET_PR_CURVE = 3.0


def run(scale: float = 1.0, repeats: int = 3) -> list[Row]:
    """Measure PR curves and raw histograms at ``scale`` times the full sizes; print and return the rows."""
    rng = np.random.default_rng(0)
    peers = load_peers(["torch"])
    rows = []

    calls = max(MIN_CALLS, int(PR_CALLS * scale))
    labels = rng.integers(0, 2, PREDICTIONS)
    # A model's output: float32, leaning towards the labels.
    predictions = np.clip(labels * 0.3 + rng.random(PREDICTIONS) * 0.7, 0, 1).astype(np.float32)

    def pr(writer, step):
        writer.add_pr_curve("pr", labels, predictions, step)

    rows += compare(
        f"add_pr_curve {PREDICTIONS:,} predictions x {calls:,}",
        "calls",
        writer_loop(neuroboard.SummaryWriter, pr, calls),
        calls,
        {name: writer_loop(cls, pr, calls) for name, cls in peers.items()},
        calls,
        TARGET_PR_CURVE,
        repeats,
        target_peer="torch",
    )

    calls = max(MIN_CALLS, int(RAW_CALLS * scale))
    values = rng.normal(size=1000)
    counts, edges = np.histogram(values, bins=RAW_BUCKETS)
    stats = (values.min(), values.max(), len(values), values.sum(), values @ values)
    limits, counts = edges[1:].tolist(), counts.tolist()

    def raw(writer, step):
        writer.add_histogram_raw("raw", *stats, limits, counts, step)

    rows += compare(
        f"add_histogram_raw {RAW_BUCKETS} buckets x {calls:,}",
        "calls",
        writer_loop(neuroboard.SummaryWriter, raw, calls),
        calls,
        {name: writer_loop(cls, raw, calls) for name, cls in peers.items()},
        calls,
        None,
        repeats,
        target_peer="torch",
    )
    return rows
