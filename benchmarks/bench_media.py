"""Media: add_video, add_mesh and add_image_with_boxes, against torch's SummaryWriter.

Ours and torch each call their own method on the same inputs, built before
the clock starts; each timed run covers a writer's whole life, from
construction to ``close()``. The clip is 16 RGB frames of 64 × 64 floats; the
mesh 10,000 vertices with colours and 20,000 faces; the image 3 × 256 × 256
floats with 10 labelled boxes. torch encodes video with moviepy: when moviepy
is missing (it is not a dependency of either side) torch prints a line and
writes an empty value, so its video row ("torch w/o GIF") measures torch's
work without the encoding and carries no target.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
from collections.abc import Callable

import numpy as np

import neuroboard
from benchmarks.common import Row, compare, load_peers, writer_loop

__all__ = ["run"]

VIDEO_SHAPE = (1, 16, 3, 64, 64)
VIDEO_CALLS = 100
MESH_VERTICES = 10_000
MESH_CALLS = 50
BOXES_IMAGE = (3, 256, 256)
BOXES_COUNT = 10
BOXES_CALLS = 200
MIN_CALLS = 5

TARGET_VIDEO = 1.0
TARGET_MESH = 1.0
TARGET_BOXES = 1.0


def _quiet(work: Callable[[str], None]) -> Callable[[str], None]:
    """Return ``work`` with its stdout swallowed (torch prints a line per video without moviepy)."""

    def run(logdir: str) -> None:
        with contextlib.redirect_stdout(io.StringIO()):
            work(logdir)

    return run


def run(scale: float = 1.0, repeats: int = 3) -> list[Row]:
    """Measure add_video, add_mesh and add_image_with_boxes at ``scale`` times the full sizes; print and return the rows."""
    rng = np.random.default_rng(0)
    peers = load_peers(["torch"])
    rows = []

    calls = max(MIN_CALLS, int(VIDEO_CALLS * scale))
    clip = rng.random(VIDEO_SHAPE)
    _, frames, _, height, width = VIDEO_SHAPE
    encodes = importlib.util.find_spec("moviepy") is not None
    rows += compare(
        f"add_video {frames}x{height}x{width} x {calls:,}",
        "calls",
        writer_loop(neuroboard.SummaryWriter, lambda w, step: w.add_video("clip", clip, step), calls),
        calls,
        {
            (name if encodes else f"{name} w/o GIF"): _quiet(
                writer_loop(cls, lambda w, step: w.add_video("clip", clip, step), calls)
            )
            for name, cls in peers.items()
        },
        calls,
        TARGET_VIDEO if encodes else None,
        repeats,
        target_peer="torch",
    )

    calls = max(MIN_CALLS, int(MESH_CALLS * scale))
    vertices = rng.normal(size=(1, MESH_VERTICES, 3))
    colors = rng.integers(0, 256, size=(1, MESH_VERTICES, 3))
    faces = rng.integers(0, MESH_VERTICES, size=(1, 2 * MESH_VERTICES, 3))

    def add_mesh(writer, step: int) -> None:
        writer.add_mesh("cloud", vertices, colors, faces, global_step=step)

    rows += compare(
        f"add_mesh {MESH_VERTICES:,} vertices x {calls:,}",
        "calls",
        writer_loop(neuroboard.SummaryWriter, add_mesh, calls),
        calls,
        {name: writer_loop(cls, add_mesh, calls) for name, cls in peers.items()},
        calls,
        TARGET_MESH,
        repeats,
        target_peer="torch",
    )

    calls = max(MIN_CALLS, int(BOXES_CALLS * scale))
    img = rng.random(BOXES_IMAGE)
    corners = rng.uniform(0, BOXES_IMAGE[1] - 40, size=(BOXES_COUNT, 2))
    boxes = np.concatenate([corners, corners + rng.uniform(10, 40, size=(BOXES_COUNT, 2))], axis=1)
    labels = [f"cell {index}" for index in range(BOXES_COUNT)]

    def add_boxes(writer, step: int) -> None:
        writer.add_image_with_boxes("det", img, boxes, step, labels=labels)

    _, height, width = BOXES_IMAGE
    rows += compare(
        f"add_image_with_boxes {height}x{width} x {calls:,}",
        "calls",
        writer_loop(neuroboard.SummaryWriter, add_boxes, calls),
        calls,
        {name: writer_loop(cls, add_boxes, calls) for name, cls in peers.items()},
        calls,
        TARGET_BOXES,
        repeats,
        target_peer="torch",
    )
    return rows
