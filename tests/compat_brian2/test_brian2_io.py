"""brian2_to_observer against the Brian2 monitors it reads, on one small network."""

from __future__ import annotations

import brian2 as b2
import numpy as np
import pytest

from neuroboard.neuro import Observer, TensorboardWriter
from neuroboard.neuro.brian2_io import brian2_to_observer, brian2_to_tensorboard
from neuroboard.render import heatmap_image, raster_image
from tests.neuro.test_tensorboard_writer import images
from tests.tb import accumulator, scalar_arrays


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
        refractory=1 * b2.ms,
        events={"up": "v > -62*mV"},
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
        "spikes_v": b2.SpikeMonitor(lif, variables=["v"]),
        "up": b2.EventMonitor(lif, "up", variables=["v", "lastspike"]),
    }
    # run() finds only the objects named in this frame; the monitors live in a dict.
    b2.Network(poisson, lif, synapses, *monitors.values()).run(100 * b2.ms)
    assert monitors["spikes"].num_spikes > 20
    return monitors


def core(network) -> list:
    """Return the network's input and LIF spike monitors, the StateMonitor and the PopulationRateMonitor."""
    return [network[name] for name in ("input", "spikes", "v", "rate")]


def test_spikes_are_the_monitors(network) -> None:
    obs = brian2_to_observer(core(network))
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
    obs = brian2_to_observer(core(network))
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


def test_an_observer_takes_brian2_times_and_values_with_their_units(network, tmp_path) -> None:
    obs = Observer(b2.defaultclock.dt, record_vars=[("lif", "v", False)], record_loss=False)
    v = network["v"]
    for row in range(3):
        obs.record(row, output=float(row) * b2.Hz, record_vars=[v.v[:, row]])
    assert obs.dt == 1e-4
    np.testing.assert_array_equal(obs.to_numpy(("lif", "v")), np.asarray(v.v_[:, :3]).T)
    assert obs.units == {"lif/v": "V", "out": "Hz"}
    with pytest.raises(ValueError, match=r"Observer\(dt=...\): expected one time such as 0.1\*ms"):
        Observer(1 * b2.mV)


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
    # No neuron fired: a silent population, whose rate is 0 at every step of the run.
    assert obs.recorded_spikes == [("g", "spike")]
    assert obs.population_rate("g", "spike").tolist() == [0.0] * 100


def test_raster_to_tensorboard(network, tmp_path) -> None:
    obs = brian2_to_observer(core(network))
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


def test_spike_variables_are_kept_per_spike_in_si(network) -> None:
    obs = brian2_to_observer([network["spikes_v"], network["up"]])
    assert obs.recorded_spikes == [("lif", "spike"), ("lif", "up")]
    assert obs["units"] == {"lif/spike/v": "V", "lif/up/v": "V", "lif/up/lastspike": "s"}
    for (event, name), variables in [(("spike", "spikes_v"), ["v"]), (("up", "up"), ["v", "lastspike"])]:
        monitor = network[name]
        values = obs["spike_values"][f"lif/{event}"]
        assert sorted(values) == sorted(variables)
        steps, neurons = obs.spikes("lif", event)
        # Each spike's values, looked up by (step, neuron) in the monitor's own arrays.
        theirs_steps = np.round(np.asarray(monitor.t / b2.second) / 1e-4).astype(int)
        for var in variables:
            theirs = dict(zip(zip(theirs_steps.tolist(), monitor.i[:].tolist()), getattr(monitor, var)))
            dim = b2.get_dimensions(getattr(monitor, var))
            expected = [
                float(theirs[pair] / b2.get_unit(dim)) for pair in zip(steps.tolist(), neurons.tolist())
            ]
            assert values[var].tolist() == expected
    # Recorded before the reset, in volts: every spike's v is past the -55 mV threshold.
    assert (obs["spike_values"]["lif/spike"]["v"] > -55e-3).all()
    assert len(obs["spike_values"]["lif/up"]["v"]) == network["up"].num_events > network["spikes"].num_spikes


def test_a_monitor_without_times_is_refused() -> None:
    b2.prefs.codegen.target = "numpy"
    b2.start_scope()
    group = b2.NeuronGroup(2, "v : 1", threshold="v > 1", name="quiet")
    blind = b2.SpikeMonitor(group, variables=["v"], record=False)
    with pytest.raises(ValueError, match=r"monitors\[0\]=...\): .* keeps no spike times \(record=False\)"):
        brian2_to_observer([blind])


def test_to_tensorboard_in_one_call(network, tmp_path) -> None:
    run = tmp_path / "net"
    obs = brian2_to_tensorboard(core(network), str(run), prefix="net/")
    acc = accumulator(run)
    assert set(acc.Tags()["images"]) == {"net/input/spike/raster", "net/lif/spike/raster", "net/lif/v"}
    assert set(acc.Tags()["scalars"]) == {"net/input/spike/rate", "net/lif/spike/rate", "net/lif/rate"}
    rate = np.asarray(network["rate"].rate / b2.Hz)
    for tag in ("net/lif/rate", "net/lif/spike/rate"):
        steps, values, _ = scalar_arrays(acc, tag)
        np.testing.assert_array_equal(steps, np.arange(1000))
        # TensorBoard keeps float32; the SpikeMonitor's rate is the PopulationRateMonitor's.
        np.testing.assert_allclose(values, rate.astype(np.float32), rtol=1e-6, atol=0)
    for name, monitor, n in [("input", network["input"], 40), ("lif", network["spikes"], 30)]:
        steps = np.round(np.asarray(monitor.t / b2.second) / 1e-4).astype(np.int64)
        [(step, image)] = images(run, f"net/{name}/spike/raster")
        expected = raster_image(
            (steps, monitor.i[:].astype(np.int64)), n_steps=1000, n_neurons=n, width=1000, height=n
        )
        assert step == 999
        np.testing.assert_array_equal(image, expected)
    v = np.asarray(network["v"].v / b2.volt)
    [(step, image)] = images(run, "net/lif/v")
    assert step == 999
    expected = heatmap_image(v, width=1000, height=3, vmin=float(v.min()), vmax=float(v.max()))
    np.testing.assert_array_equal(image, expected)
    assert obs["units"] == {"lif/v": "V", "lif/rate": "Hz"}
    with TensorboardWriter(str(tmp_path / "writer")) as writer:
        brian2_to_tensorboard(network["spikes"], writer)
    assert set(accumulator(tmp_path / "writer").Tags()["images"]) == {"lif/spike/raster"}


def test_to_tensorboard_refuses_before_writing(network, tmp_path) -> None:
    with pytest.raises(TypeError, match=r"brian2_to_tensorboard\(writer_or_logdir=...\): expected a logdir"):
        brian2_to_tensorboard(network["spikes"], 3)
    with pytest.raises(TypeError, match=r"brian2_to_tensorboard\(prefix=...\): expected a str, got int"):
        brian2_to_tensorboard(network["spikes"], str(tmp_path / "a"), prefix=1)
    with pytest.raises(ValueError, match=r"brian2_to_observer\(dt=...\)"):
        brian2_to_tensorboard(network["spikes"], str(tmp_path / "b"), dt=1 * b2.mV)
    assert not any(tmp_path.iterdir())


def test_a_subgroups_monitors_count_from_its_first_neuron() -> None:
    b2.prefs.codegen.target = "numpy"
    b2.start_scope()
    group = b2.NeuronGroup(
        20, "dv/dt = (1.2 - v) / (10*ms) : 1", threshold="v > 1", reset="v = 0", method="exact", name="g"
    )
    group.v = "rand()"
    sub = group[5:15]
    spikes, state = b2.SpikeMonitor(sub, variables=["v"]), b2.StateMonitor(sub, "v", record=[0, 3])
    b2.run(50 * b2.ms)
    obs = brian2_to_observer([spikes, state])
    assert obs.recorded_spikes == [("g_subgroup", "spike")] and obs["neurons"] == {"g_subgroup/v": [0, 3]}
    steps, neurons = obs.spikes("g_subgroup", "spike")
    assert neurons.tolist() == spikes.i[:].tolist() and neurons.max() < 10
    assert steps.tolist() == np.round(np.asarray(spikes.t / b2.second) / 1e-4).astype(int).tolist()
    np.testing.assert_array_equal(obs.to_numpy(("g_subgroup", "v")), np.asarray(state.v).T)
    np.testing.assert_array_equal(obs["spike_values"]["g_subgroup/spike"]["v"], np.asarray(spikes.v))
