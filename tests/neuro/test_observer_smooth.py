"""Observer.population_rate(smooth=...) against Brian2's PopulationRateMonitor.smooth_rate, to 1e-9.

``SPIKES`` and ``BRIAN2_RATES`` come from Brian2 2.9.0 itself: a PoissonGroup of
20 neurons at 100 Hz, 300 steps of 0.1 ms, seed 7, its SpikeMonitor's spikes as
(step, neuron) and its PopulationRateMonitor's ``smooth_rate(window, width)`` at
the entries ``ENTRIES``, printed by ``python -m tests.compat_brian2.brian2_table``
in a venv with Brian2 (``make compat-brian2`` makes one and checks the table
against Brian2 again).
"""

from __future__ import annotations

import numpy as np
import pytest

from neuroboard.neuro import Observer
from neuroboard.neuro.observer_spikes import smooth_kernel

DT = 1e-4
N = 20
STEPS = 300
ENTRIES = [0, 1, 2, 5, 10, 30, 60, 100, 150, 200, 250, 270, 290, 295, 297, 298, 299]

# fmt: off
SPIKES = [
    (2, 15), (5, 8), (7, 6), (15, 2), (16, 16), (18, 13), (26, 2), (27, 18), (30, 16), (32, 12), (40, 5),
    (41, 12), (49, 7), (55, 5), (56, 0), (59, 12), (66, 11), (67, 8), (71, 10), (72, 10), (74, 9), (83, 14),
    (90, 1), (107, 1), (112, 9), (117, 0), (121, 2), (121, 12), (128, 4), (135, 16), (143, 18), (149, 5),
    (157, 2), (160, 10), (161, 1), (162, 6), (166, 7), (167, 17), (171, 5), (178, 1), (180, 17), (186, 18),
    (189, 10), (191, 1), (192, 6), (199, 15), (205, 19), (216, 12), (220, 13), (226, 8), (231, 1), (234, 3),
    (234, 12), (237, 14), (238, 16), (247, 5), (250, 5), (250, 10), (261, 18), (264, 10), (266, 19),
    (269, 11), (272, 6), (277, 18), (280, 9), (282, 0), (284, 15),
]
BRIAN2_RATES = {
    "gaussian 0.000125": [
        46.21058134830729, 120.68801234220624, 166.20281261897287, 212.41339396728017, 0.0,
        212.41339396728017, 120.68801234220624, 0.0, 120.68801234220624, 120.68801234220624,
        332.40562523794574, 166.8985936905135, 0.0, 0.0, 0.0,
        0.0, 0.0,
    ],
    "gaussian 0.0005": [
        78.78760554425271, 90.70493183975684, 100.99101043311654, 119.6821149891486, 127.84793906606735,
        149.71508198753963, 131.3131536056742, 21.11994254361407, 77.18278663589516, 85.31025546908342,
        117.26460043793253, 158.1891965079091, 37.22847270110804, 0.0, 0.0,
        0.0, 0.0,
    ],
    "gaussian 0.001": [
        71.62256327795765, 76.6756515995912, 81.50367396747842, 93.91105545194576, 117.59105049459784,
        132.2529326797317, 138.68598536491493, 48.79079043488122, 104.7159169879357, 98.5328673435665,
        123.80712816361464, 143.8804303236098, 58.1006396113124, 31.13872861380053, 23.388423157697915,
        17.69260046453568, 15.065999531165748,
    ],
    "gaussian 0.003": [
        67.04435651303095, 68.595652760135, 70.12464363474204, 74.54949588793043, 83.57951986982377,
        110.64892125627898, 112.5589196001745, 88.94780535333385, 111.43861329608622, 116.46910891070345,
        116.44416912847272, 99.52638420832602, 66.52037658727419, 55.49003402230589, 52.380449881234355,
        49.941658248701174, 47.56189128936248,
    ],
    "flat 0.00025": [
        0.0, 166.66666666666666, 166.66666666666666, 166.66666666666666, 0.0,
        166.66666666666666, 166.66666666666666, 0.0, 166.66666666666666, 166.66666666666666,
        333.3333333333333, 166.66666666666666, 0.0, 0.0, 0.0,
        0.0, 0.0,
    ],
    "flat 0.001": [
        90.9090909090909, 90.9090909090909, 136.36363636363637, 136.36363636363637, 136.36363636363637,
        181.8181818181818, 136.36363636363637, 0.0, 45.45454545454545, 90.9090909090909,
        136.36363636363637, 136.36363636363637, 0.0, 0.0, 0.0,
        0.0, 0.0,
    ],
    "flat 0.0011": [
        90.9090909090909, 90.9090909090909, 136.36363636363637, 136.36363636363637, 136.36363636363637,
        181.8181818181818, 136.36363636363637, 0.0, 45.45454545454545, 90.9090909090909,
        136.36363636363637, 136.36363636363637, 0.0, 0.0, 0.0,
        0.0, 0.0,
    ],
    "flat 0.005": [
        58.82352941176471, 68.62745098039215, 78.4313725490196, 88.23529411764704, 98.03921568627452,
        127.45098039215686, 117.6470588235294, 68.62745098039215, 107.84313725490196, 98.03921568627452,
        137.2549019607843, 117.64705882352942, 68.62745098039215, 49.01960784313726, 49.01960784313726,
        39.21568627450981, 39.21568627450981,
    ],
}
# fmt: on


def observer() -> Observer:
    """Return an Observer that recorded ``SPIKES`` step by step, as a network's monitor would."""
    obs = Observer(DT, record_output=False, record_loss=False, record_spikes=[("p", "spike")])
    fired = np.zeros((STEPS, N), bool)
    steps, neurons = np.array(SPIKES).T
    fired[steps, neurons] = True
    for step in range(STEPS):
        obs.record(step, record_spikes=[fired[step]])
    return obs


@pytest.mark.parametrize("key", sorted(BRIAN2_RATES))
def test_smooth_rate_equals_brian2(key: str) -> None:
    window, width = key.split()
    rate = observer().population_rate("p", "spike", smooth=(window, float(width)))
    assert len(rate) == STEPS
    np.testing.assert_allclose(rate.to_numpy()[ENTRIES], BRIAN2_RATES[key], rtol=0, atol=1e-9)


def test_unsmoothed_rate_is_brian2s_rate() -> None:
    rate = observer().population_rate("p", "spike")
    steps, _ = np.array(SPIKES).T
    expected = np.bincount(steps, minlength=STEPS) / (N * DT)  # Brian2's rate_: spikes / (N dt)
    np.testing.assert_array_equal(rate.to_numpy(), expected)
    np.testing.assert_allclose(rate.index, np.arange(STEPS) * DT)


def test_kernel_lengths_round_as_brian2s() -> None:
    # Gaussian: round(2 sd / dt) each side, half-way to even; flat: the nearest odd number of steps.
    assert [len(smooth_kernel(("gaussian", sd), 1.0)) for sd in (1.0, 1.25, 1.75, 2.5)] == [5, 5, 9, 11]
    assert [len(smooth_kernel(("flat", w), 1.0)) for w in (1, 2, 2.9, 3, 50)] == [1, 3, 3, 3, 51]
    assert len(smooth_kernel(("gaussian", 1.0, 4), 1.0)) == 9


def test_kernel_longer_than_the_rate_keeps_its_length() -> None:
    obs = observer()
    rate = obs.population_rate("p", "spike", smooth=("flat", 2 * STEPS * DT))
    assert len(rate) == STEPS
    np.testing.assert_allclose(rate.sum(), len(SPIKES) / (N * DT) * STEPS / (2 * STEPS + 1))


def test_bad_smooth_is_refused() -> None:
    obs = observer()
    for smooth in (("box", 1.0), ("flat", 1.0, 4), ("gaussian",), ("gaussian", -1.0), ("flat", True)):
        with pytest.raises(ValueError, match="population_rate\\(smooth=...\\)"):
            obs.population_rate("p", "spike", smooth=smooth)
