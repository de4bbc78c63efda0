"""Observer.to_neo and neo_to_observer: checked with neo's own objects, readers and writers, and elephant."""

from __future__ import annotations

import numpy as np
import pytest

neo = pytest.importorskip("neo")
pq = pytest.importorskip("quantities")

from neuroboard.neuro import Observer
from neuroboard.neuro.neo_io import neo_to_observer, observer_to_neo

ROUND_TRIP = {"group_by": ("node", "var"), "index_by": "neuron"}


def _observer(sampling_steps: int = 2, steps: int = 40) -> Observer:
    rng = np.random.default_rng(19)
    obs = Observer(
        0.1,
        sampling_steps=sampling_steps,
        record_vars=[("lif", "v", False), ("lif", "v_mean", True), ("lif", "v_some", False, [0, 3])],
        record_spikes=[("lif", "s"), ("inh", "s")],
    )
    for step in range(steps):
        v = rng.normal(size=5)
        obs.record(
            step,
            output=rng.normal(size=2),
            loss=float(step),
            record_vars=[v, v, v],
            record_spikes=[rng.random(5) < 0.2, rng.random(3) < 0.3],
        )
    return obs


def test_to_neo_layout_units_and_sampling_rate() -> None:
    obs = _observer()
    block = obs.to_neo(time_unit="ms", units={("lif", "v"): "mV", "loss": "dimensionless"})
    assert isinstance(block, neo.Block) and len(block.segments) == 1
    segment = block.segments[0]
    # One train per neuron of each population, silent or not, in neuron order.
    assert [(t.annotations["population"], t.annotations["neuron"]) for t in segment.spiketrains] == [
        ("lif/s", k) for k in range(5)
    ] + [("inh/s", k) for k in range(3)]
    steps, neurons = obs.spikes("lif", "s")
    for k, train in enumerate(segment.spiketrains[:5]):
        assert train.units == pq.ms
        np.testing.assert_array_equal(train.magnitude, steps[neurons == k] * 0.1)
        assert float(train.t_start) == 0.0 and float(train.t_stop) == 40 * 0.1
    signals = {s.name: s for s in segment.analogsignals}
    assert list(signals) == ["lif/v", "lif/v_mean", "lif/v_some", "loss", "out"]
    v = signals["lif/v"]
    assert v.units == pq.mV and signals["out"].units == pq.dimensionless
    # sampling_rate = 1 / (dt x sampling_steps): 5 per ms, 5 kHz.
    assert v.sampling_rate.rescale("Hz").magnitude == pytest.approx(5000.0)
    assert float(v.t_start) == 0.0 and v.shape == (20, 5)
    np.testing.assert_array_equal(v.magnitude, obs.to_numpy(("lif", "v")))
    np.testing.assert_array_equal(v.array_annotations["neuron"], np.arange(5))
    np.testing.assert_array_equal(signals["lif/v_some"].array_annotations["neuron"], [0, 3])
    assert signals["lif/v_mean"].annotations["reduce"] == "mean"
    np.testing.assert_allclose(signals["lif/v_mean"].magnitude[:, 0], obs.to_numpy(("lif", "v_mean")))


def test_time_unit_in_seconds_gives_the_same_times() -> None:
    obs = Observer(1e-4, record_spikes=[("lif", "s")])
    obs.record_spike_events("lif", "s", [5, 12], [0, 1], n_neurons=2, start=0)
    train = obs.to_neo(time_unit="s").segments[0].spiketrains[0]
    assert train.units == pq.s and float(train.rescale("ms").magnitude[0]) == pytest.approx(0.5)


def test_round_trip_value_for_value() -> None:
    obs = _observer()
    back = neo_to_observer(obs.to_neo(), dt=obs.dt, **ROUND_TRIP)
    assert back.dt == obs.dt and back.sampling_steps == obs.sampling_steps
    assert sorted(back.recorded_spikes) == sorted(obs.recorded_spikes)
    for key in obs.recorded_spikes:
        for a, b in zip(obs.spikes(*key), back.spikes(*key)):
            np.testing.assert_array_equal(a, b)
        # t_start and t_stop carry the recording's extent: the rates line up step for step.
        np.testing.assert_array_equal(
            obs.population_rate(*key).to_numpy(), back.population_rate(*key).to_numpy()
        )
        np.testing.assert_array_equal(obs.spike_counts(*key).to_numpy(), back.spike_counts(*key).to_numpy())
    for key in ["out", "loss", ("lif", "v"), ("lif", "v_mean"), ("lif", "v_some")]:
        np.testing.assert_array_equal(back.to_numpy(key), obs.to_numpy(key))
        np.testing.assert_array_equal(back.recorded_steps(key), obs.recorded_steps(key))
    assert back["units"]["lif/v"] == "dimensionless"


def test_spike_trains_in_other_units_are_converted() -> None:
    segment = neo.Segment()
    segment.spiketrains.append(neo.SpikeTrain([0.001, 0.0025], t_stop=0.004, units="s", pop="a"))
    segment.spiketrains.append(neo.SpikeTrain([1.5], t_stop=4.0, units="ms", pop="b"))
    segment.spiketrains.append(neo.SpikeTrain([], t_stop=4.0, units="ms", pop="a"))
    obs = neo_to_observer(segment, dt=500 * pq.us, group_by="pop")
    assert obs.dt == 0.5
    assert [a.tolist() for a in obs.spikes("a", "spikes")] == [[2, 5], [0, 0]]
    assert [a.tolist() for a in obs.spikes("b", "spikes")] == [[3], [0]]
    # Two trains, one silent: two neurons; t_stop 4 ms is the end of step 7.
    assert len(obs.population_rate("a", "spikes")) == 8
    assert obs.population_rate("a", "spikes").sum() == pytest.approx(2 / (2 * 0.5))
    one = neo_to_observer(segment, dt=0.5)
    assert one.recorded_spikes == [("neo", "spikes")]
    assert one.spikes("neo", "spikes")[1].tolist() == [0, 1, 0]


def test_refused_arguments() -> None:
    obs = _observer(steps=4)
    with pytest.raises(ValueError, match=r"Observer.to_neo\(time_unit=...\)"):
        obs.to_neo(time_unit="mV")
    with pytest.raises(ValueError, match=r"Observer.to_neo\(units=...\): 'v' is not a recorded"):
        obs.to_neo(units={"v": "mV"})
    with pytest.raises(ValueError, match="not known to quantities"):
        obs.to_neo(units={"out": "parsecs per fortnight"})
    block = obs.to_neo()
    block.segments.append(neo.Segment())
    with pytest.raises(ValueError, match=r"neo_to_observer\(data=...\): expected a Block of one Segment"):
        neo_to_observer(block, dt=0.1)
    with pytest.raises(TypeError, match=r"neo_to_observer\(data=...\)"):
        neo_to_observer([1, 2], dt=0.1)
    with pytest.raises(ValueError, match=r"neo_to_observer\(dt=...\)"):
        neo_to_observer(block.segments[0], dt=1 * pq.mV)
    with pytest.raises(ValueError, match=r"not on whole steps"):
        neo_to_observer(block.segments[0], dt=0.3)
    with pytest.raises(
        ValueError, match=r"neo_to_observer\(group_by=...\): spiketrains\[0\] has no annotation"
    ):
        neo_to_observer(block.segments[0], dt=0.1, group_by="layer")


def test_neo_writers_and_checks_accept_the_block(tmp_path) -> None:
    from neo.io import PickleIO
    from neo.test.tools import assert_neo_object_is_compliant, assert_same_sub_schema

    block = _observer().to_neo(units={("lif", "v"): "mV"})
    assert_neo_object_is_compliant(block)
    path = str(tmp_path / "run.pkl")
    PickleIO(path).write_block(block)
    read = PickleIO(path).read_block()
    assert_same_sub_schema(block, read)
    back = neo_to_observer(read, dt=0.1, **ROUND_TRIP)
    np.testing.assert_array_equal(back.to_numpy(("lif", "v")), read.segments[0].analogsignals[0].magnitude)


def test_neo_matlab_io_writes_and_reads_the_spikes(tmp_path) -> None:
    pytest.importorskip("scipy")
    from neo.io import NeoMatlabIO

    obs = _observer()
    path = str(tmp_path / "run.mat")
    NeoMatlabIO(path).write_block(obs.to_neo())
    read = NeoMatlabIO(path).read_block()
    trains = read.segments[0].spiketrains
    steps, neurons = obs.spikes("lif", "s")
    np.testing.assert_allclose(trains[2].rescale("ms").magnitude, steps[neurons == 2] * 0.1)
    assert read.segments[0].analogsignals[0].shape == (20, 5)


def _poisson(n: int, steps: int, dt: float, hz: float, seed: int = 5) -> Observer:
    """Return an Observer of ``n`` neurons firing at ``hz`` for ``steps`` steps of ``dt`` ms."""
    fired = np.random.default_rng(seed).random((steps, n)) < hz * dt * 1e-3
    obs = Observer(dt, record_output=False, record_loss=False, record_spikes=[("pop", "s")])
    step, neuron = np.nonzero(fired)
    obs.record_spike_events("pop", "s", step, neuron, n_neurons=n, start=0)
    if step[-1] < steps - 1:
        obs.record(steps - 1, record_spikes=[np.zeros(n, bool)])
    return obs


@pytest.mark.parametrize("sd", [2.0, 5.0])
def test_population_rate_against_elephant_instantaneous_rate(sd: float) -> None:
    """Our Gaussian population rate against elephant's, bounded by the two kernels' largest difference.

    Both rates are linear in the spikes: each spike adds one copy of the kernel (per neuron and per
    ms here, per neuron in Hz there), and both convolve in 'same' mode, so a spike near a border
    loses the same part of it. The difference at any time is then at most the kernels' largest
    difference times the most spikes any kernel-wide window holds, over the number of neurons.
    """
    statistics = pytest.importorskip("elephant.statistics")
    kernels = pytest.importorskip("elephant.kernels")
    n, steps, dt = 100, 10_000, 0.1
    obs = _poisson(n, steps, dt, 10.0)
    trains = observer_to_neo(obs).segments[0].spiketrains
    kernel = kernels.GaussianKernel(sd * pq.ms)
    theirs = statistics.instantaneous_rate(trains, dt * pq.ms, kernel=kernel, pool_spike_trains=True)
    theirs = theirs.rescale("Hz").magnitude[:, 0]
    # dt is in ms: our rate is per neuron per ms.
    ours = obs.population_rate("pop", "s", smooth=("gaussian", sd)).to_numpy() * 1e3
    assert ours.shape == theirs.shape == (steps,)

    # Each kernel is the rate of one spike of one neuron, in the middle of a window wider than both.
    half = int(np.ceil(6 * sd / dt))
    one = Observer(dt, record_output=False, record_loss=False, record_spikes=[("one", "s")])
    one.record_spike_events("one", "s", [half], [0], n_neurons=1, start=0)
    one.record(2 * half, record_spikes=[np.zeros(1, bool)])
    ours_kernel = one.population_rate("one", "s", smooth=("gaussian", sd)).to_numpy() * 1e3
    train = observer_to_neo(one).segments[0].spiketrains[0]
    theirs_kernel = (
        statistics.instantaneous_rate(train, dt * pq.ms, kernel=kernel).rescale("Hz").magnitude[:, 0]
    )
    largest = np.abs(ours_kernel - theirs_kernel).max()
    counts = np.bincount(obs.spikes("pop", "s")[0], minlength=steps)
    crowded = np.convolve(counts, np.ones(2 * half + 1)).max()
    bound = largest * crowded / n
    difference = np.abs(ours - theirs).max()
    assert difference <= bound + 1e-9 * np.abs(theirs).max()

    # Elephant's mean over the neurons' rates is its rate of the pooled train over n.
    pooled = neo.SpikeTrain(
        np.sort(np.concatenate([t.magnitude for t in trains])), t_stop=trains[0].t_stop, units="ms"
    )
    whole = statistics.instantaneous_rate(pooled, dt * pq.ms, kernel=kernel).rescale("Hz").magnitude[:, 0]
    np.testing.assert_allclose(whole / n, theirs, rtol=1e-9, atol=1e-9)


def test_binned_population_rate_equals_elephant_time_histogram() -> None:
    statistics = pytest.importorskip("elephant.statistics")
    obs = _poisson(100, 10_000, 0.1, 10.0)
    trains = obs.to_neo().segments[0].spiketrains
    for bin in (0.1, 1.0, 5.0):
        theirs = statistics.time_histogram(trains, bin * pq.ms, output="rate").rescale("Hz").magnitude[:, 0]
        ours = obs.population_rate("pop", "s", bin=bin).to_numpy() * 1e3
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-9)


def test_units_the_observer_knows_are_the_signals_by_default() -> None:
    obs = Observer(0.1 * pq.ms, record_vars=[("lif", "v", False)], record_output=False, record_loss=False)
    for step in range(4):
        obs.record(step, record_vars=[np.array([-65.0, -70.0]) * pq.mV])
    signal = obs.to_neo(time_unit="s").segments[0].analogsignals[0]
    assert signal.units == pq.mV and signal.magnitude[:, 1].tolist() == [-70.0] * 4
    assert obs.to_neo(time_unit="s", units={"lif/v": "V"}).segments[0].analogsignals[0].units == pq.V


def test_the_time_unit_the_observer_knows_is_the_default() -> None:
    obs = Observer(0.1 * pq.ms, record_spikes=[("lif", "s")])
    obs.record_spike_events("lif", "s", [10], [0], n_neurons=1, start=0, stop=20)
    assert obs.time_unit == "s"
    train = obs.to_neo().segments[0].spiketrains[0]
    assert train.times.rescale(pq.ms).magnitude.tolist() == pytest.approx([1.0])
    back = neo_to_observer(obs.to_neo(), dt=0.1, time_unit="ms")
    assert back.time_unit == "ms" and back.spikes("neo", "spikes")[0].tolist() == [10]
    assert back.to_neo().segments[0].spiketrains[0].times.rescale(pq.ms).magnitude.tolist() == pytest.approx(
        [1.0]
    )


def test_the_neurons_a_monitor_recorded_are_the_channels_neurons() -> None:
    obs = Observer(1e-4, record_vars=[("g", "v", False)], record_output=False, record_loss=False)
    for step in range(3):
        obs.record(step, record_vars=[np.array([1.0, 2.0, 3.0]) * step])
    obs.save("neurons", {"g/v": [4, 0, 2]})
    signal = obs.to_neo().segments[0].analogsignals[0]
    assert signal.array_annotations["neuron"].tolist() == [4, 0, 2]


def test_given_units_go_over_the_known_ones_and_an_unknown_one_is_said() -> None:
    obs = Observer(1e-3, record_vars=[("a", "v", False), ("a", "r", False)], record_output=False)
    obs.record(0, loss=0.0, record_vars=[np.ones(2) * pq.mV, np.ones(2)])
    obs.save("units", {"a/r": "ohm m"})
    with pytest.warns(UserWarning, match=r"a/r's unit 'ohm m' is not one quantities reads"):
        block = obs.to_neo()
    assert [s.units for s in block.segments[0].analogsignals if s.name != "loss"] == [pq.mV, pq.dimensionless]
    block = obs.to_neo(units={"a/r": "ohm*m"})
    assert [s.units for s in block.segments[0].analogsignals if s.name != "loss"] == [pq.mV, pq.ohm * pq.m]


def test_trains_without_spikes_are_a_silent_population() -> None:
    neo = pytest.importorskip("neo")
    segment = neo.Segment()
    segment.spiketrains.extend([neo.SpikeTrain([], t_stop=2.0, units="ms") for _ in range(3)])
    obs = neo_to_observer(segment, dt=0.5 * pq.ms)
    assert obs.recorded_spikes == [("neo", "spikes")]
    assert obs.population_rate("neo", "spikes").tolist() == [0.0] * 4
