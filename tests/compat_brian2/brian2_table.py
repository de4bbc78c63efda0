"""Brian2's smoothed population rates of one small Poisson network, the table the regular suite checks.

``python -m tests.compat_brian2.brian2_table`` (in a venv with Brian2) prints
``SPIKES`` and ``BRIAN2_RATES`` as they stand in tests/neuro/test_observer_smooth.py;
tests/compat_brian2/test_smooth_rate.py checks that they still agree with Brian2.
"""

from __future__ import annotations

import numpy as np

DT = 1e-4  # s: Brian2's default clock, 0.1 ms
N = 20
STEPS = 300
# (window, width in s): tie-to-even rounding (0.125 ms is 2.5 steps), odd flat widths
# from even ones (1 ms is 10 steps, taken as 11), and 1.1 ms, 5.4999... steps in floats.
WINDOWS = [
    ("gaussian", 1.25e-4),
    ("gaussian", 5e-4),
    ("gaussian", 1e-3),
    ("gaussian", 3e-3),
    ("flat", 2.5e-4),
    ("flat", 1e-3),
    ("flat", 1.1e-3),
    ("flat", 5e-3),
]
# The entries the table keeps: both ends (where the kernel runs off the rate) and a few between.
ENTRIES = [0, 1, 2, 5, 10, 30, 60, 100, 150, 200, 250, 270, 290, 295, 297, 298, 299]


def run(seed: int = 7, n: int = N, steps: int = STEPS, rate_hz: float = 100.0):
    """Run a PoissonGroup of ``n`` neurons for ``steps`` steps; return its spike and rate monitors."""
    import brian2 as b2

    b2.prefs.codegen.target = "numpy"  # no compiler needed, and the same numbers
    b2.start_scope()
    b2.seed(seed)
    b2.defaultclock.dt = DT * b2.second
    group = b2.PoissonGroup(n, rate_hz * b2.Hz)
    spikes = b2.SpikeMonitor(group)
    rate = b2.PopulationRateMonitor(group)
    b2.run(steps * DT * b2.second)
    return spikes, rate


def table() -> tuple[list[tuple[int, int]], dict[str, list[float]]]:
    """Return the run's spikes as (step, neuron) pairs and Brian2's smoothed rates at ``ENTRIES``."""
    import brian2 as b2

    spikes, rate = run()
    steps = np.round(np.asarray(spikes.t / b2.second) / DT).astype(int)
    pairs = sorted(zip(steps.tolist(), np.asarray(spikes.i).tolist()))
    rates = {}
    for window, width in WINDOWS:
        smoothed = np.asarray(rate.smooth_rate(window=window, width=width * b2.second) / b2.Hz)
        rates[f"{window} {width!r}"] = smoothed[ENTRIES].tolist()
    return pairs, rates


if __name__ == "__main__":
    pairs, rates = table()
    print(f"SPIKES = {pairs!r}")
    print("BRIAN2_RATES = {")
    for key, values in rates.items():
        print(f"    {key!r}: {[float(repr(v)) for v in values]!r},")
    print("}")
