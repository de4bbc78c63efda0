"""brian2_to_observer against the Brian2 monitors it reads, on one small network."""

from __future__ import annotations

import brian2 as b2
import numpy as np
import pytest

from neuroboard.neuro import TensorboardWriter
from neuroboard.neuro.brian2_io import brian2_to_observer
from tests.tb import accumulator


@pytest.fixture(scope="module")
def network():
    """Run a PoissonGroup driving a LIF group for 100 ms; return its monitors."""
    b2.prefs.codegen.target = "numpy"
    b2.start_scope()
    b2.seed(5)
    b2.defaultclock.dt = 0.1 * b2.ms
    poisson = b2.PoissonGroup(40, 40 * b2.Hz, name="input")
    lif = b2.NeuronGroup(
        30,
        "dv/dt = (-70*mV - v) / (10*ms) : volt",
        threshold="v > -55*mV",
        reset="v = -70*mV",
        method="exact",
        name="lif",
    )
    lif.v = "-70*mV + rand() * 10*mV"
    synapses = b2.Synapses(poisson, lif, on_pre="v += 3*mV")
    synapses.connect(p=0.5)
    monitors = {
        "input": b2.SpikeMonitor(poisson),
        "spikes": b2.SpikeMonitor(lif),
        "v": b2.StateMonitor(lif, "v", record=[0, 3, 7]),
        "rate": b2.PopulationRateMonitor(lif),
    }
    # run() finds only the objects named in this frame; the monitors live in a dict.
    b2.Network(poisson, lif, synapses, *monitors.values()).run(100 * b2.ms)
    assert monitors["spikes"].num_spikes > 20
    return monitors


def test_spikes_are_the_monitors(network) -> None:
    obs = brian2_to_observer(list(network.values()))
    assert obs.dt == pytest.approx(1e-4, rel=0, abs=0)
    assert obs.recorded_spikes == [("input", "spike"), ("lif", "spike")]
    for key, name in [(("input", "spike"), "input"), (("lif", "spike"), "spikes")]:
        monitor = network[name]
        steps, neurons = obs.spikes(*key)
        expected = sorted(
            zip(
                np.round(np.asarray(monitor.t / b2.second) / 1e-4).astype(int).tolist(), monitor.i[:].tolist()
            )
        )
        assert sorted(zip(steps.tolist(), neurons.tolist())) == expected


def test_variables_are_the_state_monitors(network) -> None:
    obs = brian2_to_observer(list(network.values()))
    v = network["v"]
    np.testing.assert_array_equal(obs.to_numpy(("lif", "v")), np.asarray(v.v / b2.volt).T)
    np.testing.assert_array_equal(obs.recorded_steps(("lif", "v")), np.arange(1000))
    np.testing.assert_array_equal(obs.to_numpy(("lif", "rate")), np.asarray(network["rate"].rate / b2.Hz))
    assert obs["units"] == {"lif/v": "V", "lif/rate": "Hz"}
    assert obs["neurons"] == {"lif/v": [0, 3, 7]}


def test_population_rate_is_smooth_rate(network) -> None:
    obs = brian2_to_observer([network["spikes"]])
    for window, width in [("gaussian", 5 * b2.ms), ("flat", 2 * b2.ms)]:
        ours = obs.population_rate("lif", "spike", smooth=(window, float(width / b2.second)))
        theirs = np.asarray(network["rate"].smooth_rate(window=window, width=width) / b2.Hz)
        assert len(ours) == len(theirs) == 1000
        np.testing.assert_allclose(ours.to_numpy(), theirs, rtol=0, atol=1e-9)


def test_dt_as_a_quantity_or_seconds(network) -> None:
    coarse = brian2_to_observer([network["spikes"], network["v"]], dt=0.1 * b2.ms)
    assert coarse.dt == 1e-4
    assert brian2_to_observer(network["spikes"], dt=1e-4).spikes("lif", "spike")[0].tolist() == (
        coarse.spikes("lif", "spike")[0].tolist()
    )
    with pytest.raises(ValueError, match=r"brian2_to_observer\(dt=...\): expected one time"):
        brian2_to_observer(network["spikes"], dt=1 * b2.mV)
    with pytest.raises(ValueError, match="a float in seconds"):
        brian2_to_observer(network["spikes"], dt=-1.0)
    with pytest.raises(TypeError, match=r"monitors\[0\]"):
        brian2_to_observer([object()])


def test_a_coarser_state_monitor_is_sampled_steps() -> None:
    b2.prefs.codegen.target = "numpy"
    b2.start_scope()
    b2.defaultclock.dt = 0.1 * b2.ms
    group = b2.NeuronGroup(2, "dv/dt = -v / (5*ms) : 1", threshold="v > 2", method="exact", name="g")
    group.v = 1
    state, spikes = b2.StateMonitor(group, "v", record=True, dt=1 * b2.ms), b2.SpikeMonitor(group)
    b2.run(10 * b2.ms)
    obs = brian2_to_observer([state, spikes])
    assert obs.sampling_steps == 10
    np.testing.assert_array_equal(obs.recorded_steps(("g", "v")), np.arange(0, 100, 10))
    np.testing.assert_array_equal(obs.to_numpy(("g", "v")), np.asarray(state.v).T)
    assert obs["units"] == {"g/v": ""}
    assert obs.recorded_spikes == []


def test_raster_to_tensorboard(network, tmp_path) -> None:
    obs = brian2_to_observer(list(network.values()))
    obs.to_tensorboard(str(tmp_path / "obs"))
    tags = accumulator(str(tmp_path / "obs")).Tags()
    assert "lif/spike/raster" in tags["images"] and "input/spike/raster" in tags["images"]
    assert "lif/spike/rate" in tags["scalars"]
    with TensorboardWriter(str(tmp_path / "writer")) as writer:
        obs.to_tensorboard(writer, prefix="net/")
    assert "net/lif/spike/raster" in accumulator(str(tmp_path / "writer")).Tags()["images"]


def test_monitors_on_two_grids_are_refused(network) -> None:
    b2.prefs.codegen.target = "numpy"
    b2.start_scope()
    b2.defaultclock.dt = 0.1 * b2.ms
    group = b2.NeuronGroup(2, "dv/dt = -v / (5*ms) : 1", threshold="v > 2", method="exact", name="h")
    fine, coarse = (
        b2.StateMonitor(group, "v", record=True),
        b2.StateMonitor(group, "v", record=True, dt=1 * b2.ms),
    )
    b2.run(5 * b2.ms)
    with pytest.raises(ValueError, match="two monitors record h/v"):
        brian2_to_observer([fine, coarse])
    with pytest.raises(ValueError, match="different time grids"):
        brian2_to_observer([fine, network["rate"]])
