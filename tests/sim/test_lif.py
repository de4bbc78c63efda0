import math

import numpy as np
import pytest

from neuroboard.sim import LIFNetwork, QIFNetwork, SimState, make_network


def spike_train(net, steps, input=None):
    spikes = []
    net.run(steps, input=input, callback=lambda i, s: spikes.append(s.spikes))
    return np.array(spikes)


def test_step_returns_float32_potentials_bool_spikes_and_output():
    net = LIFNetwork(n=50, coupling=1.0, seed=0)
    state = net.step(input=20.0)
    assert isinstance(state, SimState)
    assert state.v.shape == (50,) and state.v.dtype == np.float32
    assert state.spikes.shape == (50,) and state.spikes.dtype == bool
    assert isinstance(state.output, float)
    assert state.step == 1 and state.t == pytest.approx(0.1)


def test_returned_state_is_a_snapshot():
    net = LIFNetwork(n=10, seed=0)
    first = net.step(input=10.0)
    v = first.v.copy()
    net.run(5, input=10.0)
    np.testing.assert_array_equal(first.v, v)


@pytest.mark.parametrize("cls", [LIFNetwork, QIFNetwork])
def test_same_seed_same_run_other_seed_other_run(cls):
    def trajectory(seed):
        vs = []
        cls(n=100, coupling=5.0, seed=seed).run(300, input=20.0, callback=lambda i, s: vs.append(s.v))
        return np.array(vs)

    np.testing.assert_array_equal(trajectory(3), trajectory(3))
    assert not np.array_equal(trajectory(3), trajectory(4))


def test_run_calls_callback_every_step_and_returns_the_last_state():
    net = LIFNetwork(n=8, seed=0)
    seen = []
    last = net.run(25, input=np.full(8, 20.0), callback=lambda i, s: seen.append((i, s.step)))
    assert seen == [(i, i + 1) for i in range(25)]
    assert last.step == 25


def test_run_accepts_one_input_row_per_step():
    a, b = LIFNetwork(n=4, seed=1), LIFNetwork(n=4, seed=1)
    rows = np.random.default_rng(0).uniform(0, 30, (50, 4))
    for row in rows:
        expected = a.step(row)
    np.testing.assert_array_equal(b.run(50, input=rows).v, expected.v)


def test_subthreshold_neurons_without_input_or_coupling_never_spike():
    assert not spike_train(LIFNetwork(n=200, seed=0), 2000).any()


@pytest.mark.parametrize("current", [20.0, 30.0, 60.0])
def test_constant_input_fires_at_the_lif_rate(current):
    tau, t_ref, v_rest, v_reset, v_th, dt = 20.0, 2.0, -65.0, -65.0, -50.0, 0.1
    net = LIFNetwork(n=3, dt=dt, seed=0, tau=tau, t_ref=t_ref, v_rest=v_rest, v_reset=v_reset, v_th=v_th)
    spikes = spike_train(net, 5000, input=current)
    v_inf = v_rest + current
    expected = t_ref + tau * math.log((v_inf - v_reset) / (v_inf - v_th))
    for i in range(3):
        intervals = np.diff(np.flatnonzero(spikes[:, i])) * dt
        assert intervals.size > 10
        assert intervals.mean() == pytest.approx(expected, abs=dt)
        assert np.ptp(intervals) <= dt + 1e-9


def test_excitatory_coupling_raises_and_inhibitory_lowers_the_rate():
    def rate(coupling):
        return spike_train(LIFNetwork(n=300, coupling=coupling, seed=2), 1500, input=18.0).mean()

    alone, excited, inhibited = rate(0.0), rate(10.0), rate(-10.0)
    assert inhibited < alone < excited


def test_weights_are_sparse_and_scaled_or_taken_as_given():
    net = LIFNetwork(n=400, coupling=4.0, p=0.1, seed=0)
    w = net.weights
    assert w.dtype == np.float32 and not np.diag(w).any()
    assert (w != 0).mean() == pytest.approx(0.1, abs=0.01)
    assert w.sum(axis=1).mean() == pytest.approx(4.0, rel=0.05)
    given = np.random.default_rng(0).normal(size=(5, 5))
    np.testing.assert_array_equal(LIFNetwork(n=5, coupling=given).weights, given.astype(np.float32))


def test_a_spike_moves_its_targets_by_the_weight():
    w = np.zeros((2, 2))
    w[1, 0] = 3.0
    net = LIFNetwork(n=2, coupling=w, v0=[-49.0, -60.0], tau=1e9, t_ref=0.0)
    assert net.step().spikes.tolist() == [True, False]
    assert net.step().v[1] == pytest.approx(-57.0, abs=1e-3)


def test_output_is_the_population_rate_in_hz():
    net = LIFNetwork(n=100, seed=0)
    spikes = spike_train(net, 5000, input=30.0)
    measured = spikes.mean() / 0.1 * 1000
    assert net.state.output == pytest.approx(measured, rel=0.25)


def test_make_network_builds_either_kind():
    assert isinstance(make_network("lif", n=3), LIFNetwork)
    assert isinstance(make_network("QIF", n=3, eta=1.0), QIFNetwork)
    with pytest.raises(ValueError, match="kind"):
        make_network("hh", n=3)


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        ({"n": 0}, ValueError, "n"),
        ({"n": -3}, ValueError, "n"),
        ({"n": 2.5}, TypeError, "n"),
        ({"n": True}, TypeError, "n"),
        ({"dt": 0.0}, ValueError, "dt"),
        ({"dt": -0.1}, ValueError, "dt"),
        ({"dt": "0.1"}, TypeError, "dt"),
        ({"coupling": np.ones((3, 3))}, ValueError, "coupling"),
        ({"coupling": "strong"}, TypeError, "coupling"),
        ({"p": 0.0}, ValueError, "p"),
        ({"seed": 1.5}, TypeError, "seed"),
        ({"v0": np.zeros(3)}, ValueError, "v0"),
        ({"v_reset": -40.0}, ValueError, "v_reset"),
        ({"tau": 0.0}, ValueError, "tau"),
    ],
)
def test_bad_arguments_name_the_argument(kwargs, error, name):
    with pytest.raises(error, match=rf"^{name}: "):
        LIFNetwork(**{"n": 4, **kwargs})


def test_bad_inputs_name_the_argument():
    net = LIFNetwork(n=4, seed=0)
    with pytest.raises(ValueError, match="^input: .*got shape \\(3,\\)"):
        net.step(np.zeros(3))
    with pytest.raises(ValueError, match="^input: "):
        net.run(5, input=np.zeros((4, 4)))
    with pytest.raises(TypeError, match="^input: "):
        net.step("loud")
    with pytest.raises(ValueError, match="^steps: "):
        net.run(0)
    with pytest.raises(TypeError, match="^callback: "):
        net.run(2, callback=3)
