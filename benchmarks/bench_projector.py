"""Projector: add_embedding, against the peers' SummaryWriters.

Each timed run covers a writer's whole life, from construction to
``close()``, with one ``add_embedding`` call; the inputs (a float32 tensor,
one label per point, label images) are built before the clock starts. The
target is against torch: tensors.tsv is most of the work, and torch writes
it one ``str(value)`` at a time. tensorboardX is reported for reference.
"""

from __future__ import annotations

import numpy as np

import neuroboard
from benchmarks.common import Row, compare, load_peers, writer_loop

__all__ = ["run"]

POINTS = 10_000
DIMENSIONS = 128
MIN_POINTS = 500
IMAGE_SIZE = 28

TARGET_EMBEDDING = 3.0
TARGET_SPRITE = 1.0


def _embed(**arguments):
    return lambda writer, step: writer.add_embedding(global_step=step, **arguments)


def run(scale: float = 1.0, repeats: int = 3) -> list[Row]:
    """Measure add_embedding at ``scale`` times the full sizes; print and return the rows."""
    import torch

    rng = np.random.default_rng(0)
    peers = load_peers(["torch", "tensorboardX"])
    points = max(MIN_POINTS, int(POINTS * scale))
    mat = torch.from_numpy(rng.standard_normal((points, DIMENSIONS)).astype(np.float32))
    labels = [f"class{i % 10}" for i in range(points)]
    rows = []

    arguments = {"mat": mat, "metadata": labels}
    rows += compare(
        f"add_embedding {points:,} x {DIMENSIONS} + labels",
        "calls",
        writer_loop(neuroboard.SummaryWriter, _embed(**arguments), 1),
        1,
        {name: writer_loop(cls, _embed(**arguments), 1) for name, cls in peers.items()},
        1,
        TARGET_EMBEDDING,
        repeats,
        target_peer="torch",
    )

    images = torch.from_numpy(rng.random((points, 1, IMAGE_SIZE, IMAGE_SIZE), dtype=np.float32))
    arguments = {"mat": mat[:, :8], "label_img": images}
    rows += compare(
        f"add_embedding {points:,} x 8 + {IMAGE_SIZE}x{IMAGE_SIZE} sprite",
        "calls",
        writer_loop(neuroboard.SummaryWriter, _embed(**arguments), 1),
        1,
        {name: writer_loop(cls, _embed(**arguments), 1) for name, cls in peers.items()},
        1,
        TARGET_SPRITE,
        repeats,
        target_peer="torch",
    )
    return rows
