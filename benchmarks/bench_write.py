"""Writing: add_scalar, log_event, add_scalars and add_series, against the peers' SummaryWriters.

One row sets the writer against itself: scalars with the ``scalars``
plugin's metadata on every value (the form ``log_event`` writes, for R's
tfevents) and without (torch's form, ``SummaryWriter``'s).

Every writer runs with its library's defaults (ours flushes every 2 s and
queues up to 10,000 events; the peers flush every 120 s and queue 10), since
that is what a user gets. Each timed run covers the whole life of a writer,
from construction to ``close()``, so every event is in the file when the
clock stops. Inputs (values, dicts) are built before the clock starts, for
every writer alike.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

import neuroboard
from benchmarks.common import Row, compare, load_peers
from neuroboard.api.functional import flush_all
from neuroboard.io.writer import EventWriter

__all__ = ["run"]

SCALAR_CALLS = 200_000
SCALARS_STEPS = 2_000
SCALARS_KEYS = 100
SERIES_VALUES = 1_000_000
SERIES_PEER_VALUES = 200_000

TARGET_SCALAR = 50.0
TARGET_SCALARS = 100.0
TARGET_SERIES = 300.0
TARGET_LOG_EVENT = 20.0


def _scalar_loop(writer_class: type, values: list[float], tag: str = "loss") -> Callable[[str], None]:
    def work(logdir: str) -> None:
        writer = writer_class(logdir)
        for step, value in enumerate(values):
            writer.add_scalar(tag, value, step)
        writer.close()

    return work


def _scalars_loop(writer_class: type, dicts: list[dict[str, float]]) -> Callable[[str], None]:
    def work(logdir: str) -> None:
        writer = writer_class(logdir)
        for step, values in enumerate(dicts):
            writer.add_scalars("metrics", values, step)
        writer.close()

    return work


def _log_event_loop(values: list[float]) -> Callable[[str], None]:
    def work(logdir: str) -> None:
        with neuroboard.with_logdir(logdir):
            for value in values:
                neuroboard.log_event(loss=value)
        # The functional API keeps its writers open; close them so every event is on disk.
        flush_all(close=True)

    return work


def _event_writer_loop(values: list[float], scalar_metadata: bool) -> Callable[[str], None]:
    def work(logdir: str) -> None:
        writer = EventWriter(logdir, scalar_metadata=scalar_metadata)
        for step, value in enumerate(values):
            writer.add_scalar("loss", value, step, 1.7e9)
        writer.close()

    return work


def _series_call(values: np.ndarray) -> Callable[[str], None]:
    def work(logdir: str) -> None:
        writer = neuroboard.SummaryWriter(logdir)
        writer.add_series("v", values)
        writer.close()

    return work


def run(scale: float = 1.0, repeats: int = 3) -> list[Row]:
    """Measure the three write paths at ``scale`` times the full sizes; print and return the rows."""
    rng = np.random.default_rng(0)
    peers = load_peers()
    rows = []

    calls = int(SCALAR_CALLS * scale)
    values = rng.random(calls).tolist()
    rows += compare(
        f"add_scalar x {calls:,}",
        "calls",
        _scalar_loop(neuroboard.SummaryWriter, values),
        calls,
        {name: _scalar_loop(cls, values) for name, cls in peers.items()},
        calls,
        TARGET_SCALAR,
        repeats,
    )

    rows += compare(
        f"log_event(loss=x) x {calls:,}",
        "calls",
        _log_event_loop(values),
        calls,
        {name: _scalar_loop(cls, values) for name, cls in peers.items() if name == "tensorboardX"},
        calls,
        TARGET_LOG_EVENT,
        repeats,
    )

    # What the scalars plugin's metadata on every value (R's form, log_event's) costs the writer.
    rows += compare(
        f"add_scalar + metadata x {calls:,}",
        "calls",
        _event_writer_loop(values, scalar_metadata=True),
        calls,
        {"without": _event_writer_loop(values, scalar_metadata=False)},
        calls,
        None,
        repeats,
    )

    steps = int(SCALARS_STEPS * scale)
    dicts = [{f"k{j}": float(v) for j, v in enumerate(rng.random(SCALARS_KEYS))} for _ in range(steps)]
    rows += compare(
        f"add_scalars {steps:,} x {SCALARS_KEYS} keys",
        "values",
        _scalars_loop(neuroboard.SummaryWriter, dicts),
        steps * SCALARS_KEYS,
        {name: _scalars_loop(cls, dicts) for name, cls in peers.items()},
        steps * SCALARS_KEYS,
        TARGET_SCALARS,
        repeats,
    )

    count = int(SERIES_VALUES * scale)
    peer_count = int(SERIES_PEER_VALUES * scale)
    series = rng.random(count)
    if "tensorboardX" in peers:
        # A loop of a million peer calls would take most of a minute; its per-value
        # rate is steady, so a shorter loop gives the same rate.
        print(
            f"  (add_series: ours writes {count:,} values in one call; tensorboardX loops add_scalar over {peer_count:,})"
        )
        rows += compare(
            f"add_series {count:,} (per value)",
            "values",
            _series_call(series),
            count,
            {"tensorboardX": _scalar_loop(peers["tensorboardX"], series[:peer_count].tolist(), "v")},
            peer_count,
            TARGET_SERIES,
            repeats,
        )
    return rows
