import math

import numpy as np
import pytest

from neuroboard.sim import QIFNetwork


def spike_train(net, steps, input=None):
    spikes = []
    net.run(steps, input=input, callback=lambda i, s: spikes.append(s.spikes))
    return np.array(spikes)


def test_state_shapes_and_dtypes():
    state = QIFNetwork(n=30, coupling=15.0, seed=0).step(input=np.ones(30))
    assert state.v.shape == (30,) and state.v.dtype == np.float32
    assert state.spikes.shape == (30,) and state.spikes.dtype == bool
    assert state.t == pytest.approx(0.01)


def test_positive_eta_fires_at_the_qif_period():
    tau, eta, v_peak, dt = 10.0, 9.0, 100.0, 0.01
    net = QIFNetwork(n=4, dt=dt, seed=0, tau=tau, eta=eta, delta=0.0, v_peak=v_peak)
    spikes = spike_train(net, 6000)
    # Time from -v_peak to v_peak of tau dv/dt = v**2 + eta.
    expected = 2 * tau / math.sqrt(eta) * math.atan(v_peak / math.sqrt(eta))
    intervals = np.diff(np.flatnonzero(spikes[:, 0])) * dt
    assert intervals.size >= 4
    assert intervals.mean() == pytest.approx(expected, rel=0.03)


def test_negative_eta_without_input_stays_silent_and_rests_at_the_stable_point():
    net = QIFNetwork(n=200, seed=0, eta=-10.0, delta=0.0)
    assert not spike_train(net, 5000).any()
    np.testing.assert_allclose(net.state.v, -math.sqrt(10.0), atol=0.05)


def test_input_wakes_a_silent_population():
    net = QIFNetwork(n=100, seed=0, eta=-5.0, delta=0.0)
    assert spike_train(net, 5000, input=10.0).any()


def test_heterogeneous_excitability_follows_the_lorentzian():
    net = QIFNetwork(n=1001, seed=0, eta=-5.0, delta=1.0)
    assert np.median(net.etas) == pytest.approx(-5.0, abs=1e-5)
    q25, q75 = np.percentile(net.etas, [25, 75])
    assert (q75 - q25) / 2 == pytest.approx(1.0, rel=0.02)


def test_excitatory_coupling_raises_and_inhibitory_lowers_the_rate():
    def rate(coupling):
        return spike_train(QIFNetwork(n=200, coupling=coupling, seed=1, eta=1.0), 2000).mean()

    alone, excited, inhibited = rate(0.0), rate(15.0), rate(-15.0)
    assert inhibited < alone < excited


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        ({"n": 0}, ValueError, "n"),
        ({"dt": 0}, ValueError, "dt"),
        ({"delta": -1.0}, ValueError, "delta"),
        ({"v_peak": 0.0}, ValueError, "v_peak"),
        ({"coupling": np.ones((2, 2))}, ValueError, "coupling"),
    ],
)
def test_bad_arguments_name_the_argument(kwargs, error, name):
    with pytest.raises(error, match=rf"^{name}: "):
        QIFNetwork(**{"n": 4, **kwargs})


def test_wrong_input_shape_is_rejected():
    with pytest.raises(ValueError, match="^input: "):
        QIFNetwork(n=4).step(np.zeros((4, 1)))
