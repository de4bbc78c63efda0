"""Images: add_image and add_images, against the peers' SummaryWriters.

Ours builds the Summary with :func:`neuroboard.summary.image.image` /
:func:`~neuroboard.summary.image.images` and writes it with ``add_summary``;
the peers call their own ``add_image`` / ``add_images``. As in
:mod:`benchmarks.bench_write`, every writer keeps its library's defaults and
each timed run covers a writer's whole life, from construction to
``close()``; the pixel arrays are made before the clock starts.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

import neuroboard
from benchmarks.common import Row, compare, load_peers
from neuroboard.summary.image import image, images

__all__ = ["run"]

IMAGE_CALLS = 2_000
MIN_CALLS = 20
IMAGE_SIZE = 64
BATCH_CALLS = 200
BATCH_SHAPE = (100, 1, 10, 10)

TARGET_IMAGE = 5.0
TARGET_IMAGES = 5.0


def _ours_image(pixels: np.ndarray, calls: int) -> Callable[[str], None]:
    def work(logdir: str) -> None:
        writer = neuroboard.SummaryWriter(logdir)
        for step in range(calls):
            writer.add_summary(image("img", pixels, dataformats="HWC"), step)
        writer.close()

    return work


def _peer_image(writer_class: type, pixels: np.ndarray, calls: int) -> Callable[[str], None]:
    def work(logdir: str) -> None:
        writer = writer_class(logdir)
        for step in range(calls):
            writer.add_image("img", pixels, step, dataformats="HWC")
        writer.close()

    return work


def _ours_images(batch: np.ndarray, calls: int) -> Callable[[str], None]:
    def work(logdir: str) -> None:
        writer = neuroboard.SummaryWriter(logdir)
        for step in range(calls):
            writer.add_summary(images("batch", batch, dataformats="NCHW"), step)
        writer.close()

    return work


def _peer_images(writer_class: type, batch: np.ndarray, calls: int) -> Callable[[str], None]:
    def work(logdir: str) -> None:
        writer = writer_class(logdir)
        for step in range(calls):
            writer.add_images("batch", batch, step, dataformats="NCHW")
        writer.close()

    return work


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
        _ours_image(pixels, calls),
        calls,
        {name: _peer_image(cls, pixels, calls) for name, cls in peers.items()},
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
        _ours_images(batch, calls),
        calls,
        {name: _peer_images(cls, batch, calls) for name, cls in peers.items()},
        calls,
        TARGET_IMAGES,
        repeats,
    )
    return rows
