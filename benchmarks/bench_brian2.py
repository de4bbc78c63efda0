"""Brian2: what ``brian2_to_observer`` and ``brian2_to_tensorboard`` add to a run recorded by its monitors.

The network: 1,000 leaky integrate-and-fire neurons (10 ms membrane, 2 ms
refractory), each driven by a constant input drawn between 15 and 25 mV
above rest (threshold 20 mV above), with 2 % random recurrent synapses of
0.2 mV: neurons fire from not at all to about 80 Hz, about 30 Hz on average.
It runs 1 s at dt = 0.1 ms (10,000 steps) recorded by a SpikeMonitor, a
StateMonitor of ``v`` of 100 neurons (a set of traces to look at: all 1,000
would be 80 MB a simulated second, more than the network itself) and a
PopulationRateMonitor. Each round builds a fresh network before the clock
starts and times its ``run``, then ``brian2_to_observer`` of its monitors,
then ``brian2_to_tensorboard`` of them into a fresh logdir; the rows compare
the best run plus the best call with the best run. Goal: the adapter
(``brian2_to_observer``) adds at most 10 % (a ratio of at least 1 / 1.1);
drawing to TensorBoard is shown without a goal.

Brian2 2.9 imports only with NumPy < 2, so it lives in a venv of its own,
``.venv/brian2`` (``make compat-brian2`` and ``make bench`` make it); this
module runs the measurement there, as ``python -m benchmarks.bench_brian2``
with this checkout's ``src`` first on the path, and reads the seconds back.
Brian2's default code generation target (``"auto"``) is used: Cython where
it compiles, NumPy otherwise; the row names the one that ran. Code is
compiled, and cached, by one short run before any is timed. Without the
venv the rows are skipped.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import Row, print_row

__all__ = ["run"]

ROOT = Path(__file__).parents[1]
#: The interpreter the Makefile's compat-brian2 and bench targets make (BRIAN2_VENV).
PYTHON = ROOT / ".venv" / "brian2" / "bin" / "python"
NEURONS = 1_000
RECORDED = 100
DURATION = 1.0  # s
TARGET = 0.91  # 1 / 1.1, rounded up


def _network():
    """Build the network and its three monitors; return ``(network, monitors)``, not yet run."""
    import brian2 as b2

    b2.start_scope()
    b2.seed(1)
    b2.defaultclock.dt = 0.1 * b2.ms
    # Fixed names: the generated code, and so Cython's cache, is the same for every network built.
    group = b2.NeuronGroup(
        NEURONS,
        "dv/dt = (-70*mV - v + I) / (10*ms) : volt (unless refractory)\nI : volt (constant)",
        threshold="v > -50*mV",
        reset="v = -70*mV",
        refractory=2 * b2.ms,
        method="exact",
        name="lif",
    )
    group.v = "-70*mV + rand() * 20*mV"
    group.I = "15*mV + rand() * 10*mV"
    synapses = b2.Synapses(group, group, on_pre="v += 0.2*mV", name="recurrent")
    synapses.connect(p=0.02)
    monitors = [
        b2.SpikeMonitor(group, name="spikes"),
        b2.StateMonitor(group, "v", record=range(RECORDED), name="traces"),
        b2.PopulationRateMonitor(group, name="rate"),
    ]
    return b2.Network(group, synapses, *monitors), monitors


def measure(duration: float, rounds: int) -> dict[str, object]:
    """Return the best seconds of the run alone and of each call after it on its monitors (in the Brian2 venv)."""
    import gc

    import brian2 as b2

    from neuroboard.neuro.brian2_io import brian2_to_observer, brian2_to_tensorboard

    # One short run compiles every code object before any is timed.
    network, _ = _network()
    network.run(1 * b2.ms)
    target = b2.prefs.codegen.target
    if target == "auto":
        from brian2.codegen.runtime.cython_rt import CythonCodeObject

        target = "cython" if CythonCodeObject.is_available() else "numpy"

    best = {"run": float("inf"), "observer": float("inf"), "tensorboard": float("inf")}
    rate = 0.0
    for _ in range(max(1, rounds)):
        # The adapter's calls are timed after the run they read, on its monitors: a difference of two
        # whole runs would be lost in the noise of the runs themselves.
        network, monitors = _network()
        gc.collect()
        start = time.perf_counter()
        network.run(duration * b2.second)
        best["run"] = min(best["run"], time.perf_counter() - start)
        rate = monitors[0].num_spikes / NEURONS / duration
        start = time.perf_counter()
        brian2_to_observer(monitors)
        best["observer"] = min(best["observer"], time.perf_counter() - start)
        logdir = tempfile.mkdtemp(prefix="neuroboard-bench-")
        start = time.perf_counter()
        brian2_to_tensorboard(monitors, logdir)
        best["tensorboard"] = min(best["tensorboard"], time.perf_counter() - start)
        shutil.rmtree(logdir, ignore_errors=True)
    return {**best, "target": target, "rate_hz": rate}


def run(scale: float = 1.0, repeats: int = 3) -> list[Row]:
    """Time a Brian2 run with and without the adapter in the Brian2 venv; print and return the rows."""
    python = Path(os.environ.get("NEUROBOARD_BRIAN2_PYTHON", PYTHON))
    if not python.exists():
        print(f"brian2: no Brian2 venv at {python} (make compat-brian2 makes one), skipped")
        return []
    duration = DURATION * scale
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    command = ["-m", "benchmarks.bench_brian2", "--duration", repr(duration), "--rounds", str(repeats)]
    done = subprocess.run(
        [str(python), *command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        print(f"brian2: the measurement failed in {python}: {tail}, skipped")
        return []
    seconds = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"  ({seconds['target']} code, {NEURONS:,} neurons firing {seconds['rate_hz']:.0f} Hz on average)")
    rows = []
    # The adapter's goal is on reading the monitors; drawing them is shown beside it, with no goal.
    for name, goal in (("observer", TARGET), ("tensorboard", None)):
        label = f"Brian2 {NEURONS:,} LIF {duration:g} s + brian2_to_{name} vs the run alone"
        row = Row(label, "run", 1 / (seconds["run"] + seconds[name]), 1 / seconds["run"], goal)
        print_row(row)
        rows.append(row)
    return rows


def _main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_brian2", description=measure.__doc__)
    parser.add_argument("--duration", type=float, default=DURATION, help="simulated seconds (default: 1)")
    parser.add_argument("--rounds", type=int, default=3, help="best of this many turns (default: 3)")
    args = parser.parse_args(argv)
    # Brian2 and NumPy warn about their own internals; the parent reads the last line, the seconds.
    import warnings

    warnings.filterwarnings("ignore")
    print(json.dumps(measure(args.duration, args.rounds)))
    return 0


if __name__ == "__main__":
    sys.exit(_main())
