"""Neurons: Observer recording, spike rasters to PNG and TensorboardWriter traces, against their usual stand-ins.

* ``Observer.record`` of one 1,000-neuron float32 variable per step, against
  a Python loop copying the same arrays into a preallocated ``np.empty``
  (the floor any recorder works against; ours must reach 0.67× of it) and
  against rectipy's recorder (a list of copies, ``np.stack`` at the end).
  Each timed run allocates afresh, ours and the stand-ins alike, so page
  faults count for both. ``Observer(hdf5=...)`` up to ``close()`` is measured
  against the same preallocated copy (target 0.5×) and against the floor of
  any recorder that writes a file: the same copies into one chunk of memory,
  each full chunk written with a plain ``file.write``. These runs take turns,
  round after round, so that a busy machine slows each of them alike.
* A raster of random spikes as a PNG: ``raster_image`` and ``encode_png``
  against matplotlib's ``eventplot`` saved by the Agg backend. matplotlib is
  an optional peer: without it, the row is skipped.
* ``TensorboardWriter.trace(..., {"format": "scalar"})`` of 100 neurons
  against tensorboardX's ``add_scalars`` of one dict per step, each writer
  from construction to ``close()``.

The arrays, spike lists and dicts are built before the clock starts.
"""

from __future__ import annotations

import importlib
import io
import os
import tempfile
from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks.common import Row, best_seconds, best_seconds_alternating, load_peers, print_row
from neuroboard.neuro import Observer, TensorboardWriter
from neuroboard.render import raster_image
from neuroboard.summary.image import encode_png

__all__ = ["run"]

RECORD_STEPS = 20_000
RECORD_NEURONS = 1_000
RECORD_ARRAYS = 64
MIN_STEPS = 100

RASTER_SPIKES = 1_000_000
RASTER_STEPS = 10_000
RASTER_NEURONS = 1_000
RASTER_SIZE = (2_000, 1_000)
RASTER_DPI = 100

TRACE_STEPS = 10_000
TRACE_PEER_STEPS = 1_000
TRACE_NEURONS = 100

TARGET_RECORD = 0.67
TARGET_RECORD_LIST = 1.0
TARGET_RECORD_HDF5 = 0.5
#: Rows per chunk of the file-writing floor: the 1 MiB of an Observer(hdf5=) chunk.
FLOOR_CHUNK_BYTES = 1 << 20
TARGET_RASTER = 20.0
TARGET_TRACE = 100.0


def _pair(
    name: str,
    unit: str,
    ours: Callable[[str], object],
    ours_items: int,
    peer: Callable[[str], object],
    peer_items: int,
    target: float | None,
    repeats: int,
) -> Row:
    """Time ``ours`` and one stand-in for the same work; print and return the row."""
    ours_rate = ours_items / best_seconds(ours, repeats=repeats)
    peer_rate = peer_items / best_seconds(peer, repeats=repeats)
    row = Row(name, unit, ours_rate, peer_rate, target)
    print_row(row)
    return row


def _observer_loop(arrays: list[np.ndarray], steps: int, path: str | None = None) -> Callable[[], None]:
    def work() -> None:
        obs = Observer(
            0.1, record_output=False, record_loss=False, record_vars=[("n", "v", False)], hdf5=path
        )
        count = len(arrays)
        for step in range(steps):
            obs.record(step, record_vars=[arrays[step % count]])
        if path is not None:
            obs.close()

    return work


def _preallocated_loop(arrays: list[np.ndarray], steps: int) -> Callable[[], None]:
    def work() -> None:
        buf = np.empty((steps, arrays[0].size), np.float32)
        count = len(arrays)
        for step in range(steps):
            buf[step] = arrays[step % count]

    return work


def _list_loop(arrays: list[np.ndarray], steps: int) -> Callable[[], None]:
    """rectipy's recorder: a copy of each step's array in a list, stacked by ``to_numpy``."""

    def work() -> None:
        lst = []
        count = len(arrays)
        for step in range(steps):
            lst.append(arrays[step % count].copy())
        np.stack(lst)

    return work


def _chunked_write_loop(arrays: list[np.ndarray], steps: int, path: str) -> Callable[[], None]:
    """The floor of a recorder that writes a file: copies into one chunk, each full chunk written as it is."""

    def work() -> None:
        rows = max(1, FLOOR_CHUNK_BYTES // arrays[0].nbytes)
        chunk = np.empty((rows, arrays[0].size), np.float32)
        count = len(arrays)
        fill = 0
        with open(path, "wb") as file:
            for step in range(steps):
                chunk[fill] = arrays[step % count]
                fill += 1
                if fill == rows:
                    file.write(chunk)
                    fill = 0
            file.write(chunk[:fill])

    return work


def _observer_rows(arrays: list[np.ndarray], steps: int, repeats: int) -> list[Row]:
    """Time the Observer and its stand-ins in turns; print and return the four rows."""
    label = f"{RECORD_NEURONS // 1000}k x {steps:,}"
    with tempfile.TemporaryDirectory(prefix="neuroboard-bench-") as folder:
        runs = {
            "ours": _observer_loop(arrays, steps),
            "prealloc": _preallocated_loop(arrays, steps),
            "list": _list_loop(arrays, steps),
            "hdf5": _observer_loop(arrays, steps, os.path.join(folder, "observer.h5")),
            "write": _chunked_write_loop(arrays, steps, os.path.join(folder, "floor.bin")),
        }
        best = best_seconds_alternating(runs, rounds=max(repeats, 5))
    rate = {name: steps / seconds for name, seconds in best.items()}
    rows = [
        Row(f"Observer.record {label} vs prealloc", "steps", rate["ours"], rate["prealloc"], TARGET_RECORD),
        Row(
            f"Observer.record {label} vs rectipy list",
            "steps",
            rate["ours"],
            rate["list"],
            TARGET_RECORD_LIST,
        ),
        Row(
            f"Observer(hdf5=) {label} vs prealloc",
            "steps",
            rate["hdf5"],
            rate["prealloc"],
            TARGET_RECORD_HDF5,
        ),
        Row(f"Observer(hdf5=) {label} vs chunked write", "steps", rate["hdf5"], rate["write"], None),
    ]
    for row in rows:
        print_row(row)
    return rows


def _raster_ours(steps: np.ndarray, neurons: np.ndarray) -> Callable[[str], None]:
    width, height = RASTER_SIZE

    def work(logdir: str) -> None:
        pixels = raster_image(
            (steps, neurons), n_steps=RASTER_STEPS, n_neurons=RASTER_NEURONS, width=width, height=height
        )
        encode_png(pixels)

    return work


def _raster_matplotlib(plt: Any, trains: list[np.ndarray]) -> Callable[[str], None]:
    width, height = RASTER_SIZE

    def work(logdir: str) -> None:
        fig, ax = plt.subplots(figsize=(width / RASTER_DPI, height / RASTER_DPI), dpi=RASTER_DPI)
        ax.eventplot(trains)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
        plt.close(fig)

    return work


def _load_pyplot() -> Any:
    """Return matplotlib.pyplot on the Agg backend, or None, saying why, when matplotlib does not import."""
    try:
        matplotlib = importlib.import_module("matplotlib")
        matplotlib.use("Agg")
        return importlib.import_module("matplotlib.pyplot")
    except ImportError as error:
        print(f"  (skipping matplotlib: {error})")
        return None


def _trace_ours(values: np.ndarray) -> Callable[[str], None]:
    def work(logdir: str) -> None:
        writer = TensorboardWriter(logdir)
        writer.trace("L1", "v", values, {"format": "scalar"})
        writer.close()

    return work


def _trace_peer(writer_class: type, dicts: list[dict[str, float]]) -> Callable[[str], None]:
    def work(logdir: str) -> None:
        writer = writer_class(logdir)
        for step, values in enumerate(dicts):
            writer.add_scalars("L1/v", values, step)
        writer.close()

    return work


def run(scale: float = 1.0, repeats: int = 3) -> list[Row]:
    """Measure recording, rasters and traces at ``scale`` times the full sizes; print and return the rows."""
    rng = np.random.default_rng(0)
    rows = []

    steps = max(MIN_STEPS, int(RECORD_STEPS * scale))
    arrays = [rng.random(RECORD_NEURONS, dtype=np.float32) for _ in range(RECORD_ARRAYS)]
    rows += _observer_rows(arrays, steps, repeats)

    plt = _load_pyplot()
    if plt is not None:
        spikes = max(1_000, int(RASTER_SPIKES * scale))
        spike_steps = rng.integers(0, RASTER_STEPS, spikes)
        spike_neurons = rng.integers(0, RASTER_NEURONS, spikes)
        # eventplot takes one spike-time list per neuron; sorting them out is not timed.
        order = np.argsort(spike_neurons, kind="stable")
        bounds = np.searchsorted(spike_neurons[order], np.arange(1, RASTER_NEURONS))
        trains = np.split(spike_steps[order], bounds)
        rows.append(
            _pair(
                f"raster {spikes:,} spikes PNG vs matplotlib",
                "spikes",
                _raster_ours(spike_steps, spike_neurons),
                spikes,
                _raster_matplotlib(plt, trains),
                spikes,
                TARGET_RASTER,
                repeats,
            )
        )

    peers = load_peers(["tensorboardX"])
    if "tensorboardX" in peers:
        trace_steps = max(MIN_STEPS, int(TRACE_STEPS * scale))
        peer_steps = min(trace_steps, max(MIN_STEPS, int(TRACE_PEER_STEPS * scale)))
        values = rng.random((trace_steps, TRACE_NEURONS), dtype=np.float32)
        dicts = [{f"N{j}": float(v) for j, v in enumerate(row)} for row in values[:peer_steps]]
        if peer_steps < trace_steps:
            # A loop of 10,000 peer calls would take most of a minute; its per-value
            # rate is steady, so a shorter loop gives the same rate.
            print(
                f"  (trace: ours writes {trace_steps:,} steps in one call; "
                f"tensorboardX loops add_scalars over {peer_steps:,})"
            )
        per_value = " (per value)" if peer_steps < trace_steps else ""
        rows.append(
            _pair(
                f"trace {TRACE_NEURONS} x {trace_steps:,}{per_value} vs tensorboardX",
                "values",
                _trace_ours(values),
                trace_steps * TRACE_NEURONS,
                _trace_peer(peers["tensorboardX"], dicts),
                peer_steps * TRACE_NEURONS,
                TARGET_TRACE,
                repeats,
            )
        )
    return rows
