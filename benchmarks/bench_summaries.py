"""Summaries: add_histogram, add_text and add_audio, against the peers' SummaryWriters.

Ours and the peers each call their own ``add_*`` method. Each
timed run covers the whole life of a writer, from construction to
``close()``, and the inputs are built before the clock starts. Only the
histogram carries a target (against tensorboardX); text and audio are
reported for reference. tensorboardX encodes audio with the optional
``soundfile`` package: without it, its audio row is skipped.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable

import numpy as np

import neuroboard
from benchmarks.common import Row, compare, load_peers, writer_loop

__all__ = ["run"]

HISTOGRAM_VALUES = 10_000
HISTOGRAM_CALLS = 500
TEXT_CALLS = 5_000
AUDIO_CALLS = 200
AUDIO_SECONDS = 1.0
SAMPLE_RATE = 44_100
MIN_CALLS = 10

TARGET_HISTOGRAM = 10.0

NOTE = "## Step report\n\n*loss* went **down**; rates: `exc=4.2 Hz`, `inh=9.1 Hz`."


def _works(work: Callable[[str], None], name: str) -> bool:
    """Return whether one peer call runs at all, saying why not when it does not."""
    with tempfile.TemporaryDirectory(prefix="neuroboard-bench-") as logdir:
        try:
            work(logdir)
        except ImportError as error:
            print(f"  (skipping {name}: {error})")
            return False
    return True


def run(scale: float = 1.0, repeats: int = 3) -> list[Row]:
    """Measure histogram, text and audio logging at ``scale`` times the full sizes; print and return the rows."""
    rng = np.random.default_rng(0)
    peers = load_peers()
    rows = []

    calls = max(MIN_CALLS, int(HISTOGRAM_CALLS * scale))
    values = rng.normal(size=HISTOGRAM_VALUES)
    rows += compare(
        f"add_histogram {HISTOGRAM_VALUES:,} values x {calls:,}",
        "calls",
        writer_loop(neuroboard.SummaryWriter, lambda w, step: w.add_histogram("w", values, step), calls),
        calls,
        {
            name: writer_loop(cls, lambda w, step: w.add_histogram("w", values, step), calls)
            for name, cls in peers.items()
        },
        calls,
        TARGET_HISTOGRAM,
        repeats,
    )

    calls = max(MIN_CALLS, int(TEXT_CALLS * scale))
    rows += compare(
        f"add_text x {calls:,}",
        "calls",
        writer_loop(neuroboard.SummaryWriter, lambda w, step: w.add_text("notes", NOTE, step), calls),
        calls,
        {
            name: writer_loop(cls, lambda w, step: w.add_text("notes", NOTE, step), calls)
            for name, cls in peers.items()
        },
        calls,
        None,
        repeats,
    )

    calls = max(MIN_CALLS, int(AUDIO_CALLS * scale))
    frames = int(AUDIO_SECONDS * SAMPLE_RATE)
    clip = 0.5 * np.sin(2 * np.pi * 440.0 * np.arange(frames) / SAMPLE_RATE)
    audio_peers = {}
    for name, cls in peers.items():
        work = writer_loop(cls, lambda w, step: w.add_audio("a", clip, step, sample_rate=SAMPLE_RATE), calls)
        if _works(
            writer_loop(cls, lambda w, step: w.add_audio("a", clip, step, sample_rate=SAMPLE_RATE), 1), name
        ):
            audio_peers[name] = work
    if not audio_peers:
        return rows
    rows += compare(
        f"add_audio {AUDIO_SECONDS:g} s mono x {calls:,}",
        "calls",
        writer_loop(
            neuroboard.SummaryWriter,
            lambda w, step: w.add_audio("a", clip, step, sample_rate=SAMPLE_RATE),
            calls,
        ),
        calls,
        audio_peers,
        calls,
        None,
        repeats,
    )
    return rows
