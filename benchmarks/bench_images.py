"""Images: add_image and add_images, against the peers' SummaryWriters.

Ours and the peers each call their own ``add_image`` / ``add_images``. As in
:mod:`benchmarks.bench_write`, every writer keeps its library's defaults and
each timed run covers a writer's whole life, from construction to
``close()``; the pixel arrays are made before the clock starts.
"""

from __future__ import annotations

import numpy as np

import neuroboard
from benchmarks.common import Row, compare, load_peers, writer_loop

__all__ = ["run"]

IMAGE_CALLS = 2_000
MIN_CALLS = 20
IMAGE_SIZE = 64
BATCH_CALLS = 200
BATCH_SHAPE = (100, 1, 10, 10)

TARGET_IMAGE = 5.0
TARGET_IMAGES = 5.0


def run(scale: float = 1.0, repeats: int = 3) -> list[Row]:
    """Measure add_image and add_images at ``scale`` times the full sizes; print and return the rows."""
    rng = np.random.default_rng(0)
    peers = load_peers()
    rows = []

    calls = max(MIN_CALLS, int(IMAGE_CALLS * scale))
    pixels = rng.random((IMAGE_SIZE, IMAGE_SIZE, 3))
    rows += compare(
        f"add_image {IMAGE_SIZE}x{IMAGE_SIZE} RGB x {calls:,}",
        "calls",
        writer_loop(
            neuroboard.SummaryWriter,
            lambda w, step: w.add_image("img", pixels, step, dataformats="HWC"),
            calls,
        ),
        calls,
        {
            name: writer_loop(cls, lambda w, step: w.add_image("img", pixels, step, dataformats="HWC"), calls)
            for name, cls in peers.items()
        },
        calls,
        TARGET_IMAGE,
        repeats,
    )

    calls = max(MIN_CALLS, int(BATCH_CALLS * scale))
    batch = rng.random(BATCH_SHAPE)
    count, _, height, width = BATCH_SHAPE
    rows += compare(
        f"add_images {count} {height}x{width} grey x {calls:,}",
        "calls",
        writer_loop(
            neuroboard.SummaryWriter,
            lambda w, step: w.add_images("batch", batch, step, dataformats="NCHW"),
            calls,
        ),
        calls,
        {
            name: writer_loop(
                cls, lambda w, step: w.add_images("batch", batch, step, dataformats="NCHW"), calls
            )
            for name, cls in peers.items()
        },
        calls,
        TARGET_IMAGES,
        repeats,
    )
    return rows
