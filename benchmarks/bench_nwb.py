"""NWB: ``Observer.to_nwb`` against writing the same arrays with h5py directly.

One Observer holds 1,000 neurons × 10,000 steps of one float32 variable and
10⁶ spikes, recorded before the clock starts. ``to_nwb`` is timed from the
call to the closed file: reading the buffers, sorting the spikes by neuron,
the population rate, the table of each series' neurons, the HDF5 tree
written with h5py directly and the schema cache. A second row times the
same file through pynwb (``nwb._write_with_pynwb``, the reference the
direct writer is checked against). The stand-in writes
the variable, the spike times (step × dt) and the spike neurons as three
h5py datasets, from arrays made before its clock starts. Goal: within 2×
(a ratio of at least 0.5). pynwb is an optional peer: without it, the row is
skipped.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile

import numpy as np

from benchmarks.common import Row, best_seconds_alternating, print_row
from neuroboard.neuro import Observer

__all__ = ["run"]

NEURONS = 1_000
STEPS = 10_000
SPIKES = 1_000_000
DT = 1e-4
TARGET = 0.5
SUBJECT = {"subject_id": "bench", "species": "Mus musculus", "sex": "U", "age": "P90D"}


def _observer(steps: int, spikes: int, rng: np.random.Generator) -> Observer:
    obs = Observer(
        DT,
        record_output=False,
        record_loss=False,
        record_vars=[("lif", "v", False)],
        record_spikes=[("lif", "s")],
    )
    chance = spikes / (steps * NEURONS)
    for step in range(steps):
        obs.record(
            step,
            record_vars=[rng.random(NEURONS, dtype=np.float32)],
            record_spikes=[rng.random(NEURONS) < chance],
        )
    return obs


def run(scale: float = 1.0, repeats: int = 3) -> list[Row]:
    """Time ``to_nwb`` and the h5py stand-in at ``scale`` times the full size; print and return the row."""
    if importlib.util.find_spec("pynwb") is None:
        print("nwb: pynwb is not installed, skipped")
        return []
    import h5py

    from neuroboard.neuro.nwb import _write_with_pynwb

    rng = np.random.default_rng(0)
    steps = max(100, int(STEPS * scale))
    obs = _observer(steps, int(SPIKES * scale), rng)
    values = obs.to_numpy(("lif", "v"))
    spike_steps, spike_neurons = obs.spikes("lif", "s")
    spike_times = spike_steps * DT
    total = values.nbytes + spike_times.nbytes + spike_neurons.nbytes

    folder = tempfile.mkdtemp(prefix="neuroboard-bench-")

    def ours() -> None:
        obs.to_nwb(os.path.join(folder, "run.nwb"), subject=SUBJECT)

    def through_pynwb() -> None:
        _write_with_pynwb(obs, os.path.join(folder, "pynwb.nwb"), subject=SUBJECT)

    def h5py_direct() -> None:
        with h5py.File(os.path.join(folder, "run.h5"), "w") as file:
            file["v"] = values
            file["spike_times"] = spike_times
            file["spike_neurons"] = spike_neurons

    # Both rewrite one file each round, so the page cache and the disk treat them alike.
    best = best_seconds_alternating(
        {"ours": ours, "pynwb": through_pynwb, "h5py": h5py_direct}, rounds=repeats
    )
    shutil.rmtree(folder, ignore_errors=True)
    ours_seconds, peer_seconds = best["ours"], best["h5py"]
    row = Row(
        f"to_nwb {NEURONS:,} x {steps:,} + {len(spike_steps):,} spikes vs h5py",
        "MB",
        total / 1e6 / ours_seconds,
        total / 1e6 / peer_seconds,
        TARGET,
    )
    reference = Row(
        f"to_nwb through pynwb {NEURONS:,} x {steps:,} + {len(spike_steps):,} spikes vs h5py",
        "MB",
        total / 1e6 / best["pynwb"],
        total / 1e6 / peer_seconds,
    )
    print_row(row)
    print_row(reference)
    return [row, reference]
