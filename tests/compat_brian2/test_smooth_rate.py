"""Observer.population_rate(smooth=...) against Brian2's PopulationRateMonitor.smooth_rate on the same spikes."""

from __future__ import annotations

import brian2 as b2
import numpy as np
import pytest

from neuroboard.neuro import Observer
from tests.compat_brian2 import brian2_table
from tests.neuro import test_observer_smooth as stored

WINDOWS = [
    *brian2_table.WINDOWS,
    ("gaussian", 2e-4),
    ("gaussian", 7.5e-5),  # 1.5 steps each side, rounded to 2
    ("gaussian", 2.2e-3),
    ("flat", 1e-4),
    ("flat", 3e-4),
    ("flat", 2e-3),
    ("flat", 1.1e-2),  # 55 steps each side in exact numbers, 54.999... in floats: 109 entries
]


def observer_of(spikes, rate, dt: float) -> Observer:
    """Return an Observer holding ``spikes``' events over every step ``rate`` covers, as Brian2's rate does."""
    n = len(spikes.source)
    obs = Observer(dt, record_output=False, record_loss=False, record_spikes=[("p", "spike")])
    steps = np.round(np.asarray(spikes.t / b2.second) / dt).astype(np.int64)
    # The rate runs to the last step of the run, spikes or none.
    neurons = np.asarray(spikes.i, dtype=np.int64)
    obs.record_spike_events("p", "spike", steps, neurons, n_neurons=n, start=0, stop=len(rate.t) - 1)
    return obs


def test_the_stored_table_is_brian2s() -> None:
    pairs, rates = brian2_table.table()
    assert pairs == [tuple(p) for p in stored.SPIKES]
    assert rates.keys() == stored.BRIAN2_RATES.keys()
    for key, values in rates.items():
        np.testing.assert_array_equal(values, stored.BRIAN2_RATES[key])


@pytest.mark.parametrize("window,width", WINDOWS)
def test_poisson_smooth_rate_equals_brian2(window: str, width: float) -> None:
    spikes, rate = brian2_table.run(seed=3, n=50, steps=2000, rate_hz=30.0)
    ours = observer_of(spikes, rate, brian2_table.DT).population_rate("p", "spike", smooth=(window, width))
    theirs = np.asarray(rate.smooth_rate(window=window, width=width * b2.second) / b2.Hz)
    assert len(ours) == len(theirs) == 2000
    np.testing.assert_allclose(ours.to_numpy(), theirs, rtol=0, atol=1e-9)
    np.testing.assert_allclose(ours.index, np.asarray(rate.t / b2.second), rtol=0, atol=1e-15)


def test_lif_network_smooth_rate_equals_brian2() -> None:
    b2.prefs.codegen.target = "numpy"
    b2.start_scope()
    b2.seed(11)
    b2.defaultclock.dt = 0.1 * b2.ms
    group = b2.NeuronGroup(
        200,
        "dv/dt = (-70*mV - v + I) / tau : volt\nI : volt",
        threshold="v > v_th",
        reset="v = -70*mV",
        method="exact",
        namespace={"tau": 10 * b2.ms, "v_th": -50 * b2.mV},
    )
    group.v = "-70*mV + rand() * 20*mV"
    group.I = "15*mV + rand() * 15*mV"
    synapses = b2.Synapses(group, group, on_pre="v += 0.5*mV")
    synapses.connect(p=0.05)
    spikes, rate = b2.SpikeMonitor(group), b2.PopulationRateMonitor(group)
    b2.run(100 * b2.ms)
    assert spikes.num_spikes > 500
    obs = observer_of(spikes, rate, float(b2.defaultclock.dt / b2.second))
    for window, width in [("gaussian", 1e-3), ("gaussian", 5e-3), ("flat", 2e-3), ("flat", 5e-3)]:
        ours = obs.population_rate("p", "spike", smooth=(window, width)).to_numpy()
        theirs = np.asarray(rate.smooth_rate(window=window, width=width * b2.second) / b2.Hz)
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-9)


def test_kernel_longer_than_the_rate() -> None:
    # Brian2's np.convolve(mode="same") returns the kernel's length then; ours keeps the rate's,
    # and those are the centred entries of Brian2's.
    spikes, rate = brian2_table.run(seed=3, n=10, steps=50)
    ours = observer_of(spikes, rate, brian2_table.DT).population_rate("p", "spike", smooth=("flat", 1e-2))
    theirs = np.asarray(rate.smooth_rate(window="flat", width=1e-2 * b2.second) / b2.Hz)
    assert len(ours) == 50 and len(theirs) == 101
    np.testing.assert_allclose(ours.to_numpy(), theirs[25:75], rtol=0, atol=1e-9)
