"""annarchy_to_observer without ANNarchy: input checks, and a stand-in Monitor holding what ANNarchy's would.

The stand-in keeps ANNarchy 5.0's state as its Monitor does (``_recorded_variables``,
``get`` moving the end of the last segment to the current step); the real
Monitor is compared in tests/compat/test_annarchy_monitor.py (``make compat``).
"""

from __future__ import annotations

import copy
import sys
import types

import numpy as np
import pytest

from neuroboard.neuro.annarchy_io import annarchy_to_observer, annarchy_to_tensorboard
from tests.tb import accumulator, scalar_arrays


class Monitor:
    """What annarchy_to_observer reads of an ANNarchy Monitor of a Population."""

    def __init__(self, data: dict, segments: dict, now: int, dt: float = 0.5, period: float = 0.5) -> None:
        self.object = types.SimpleNamespace(name="exc", size=3)
        self.name = "Monitor_exc"
        self.cyInstance = object()
        self.dt, self._period, self._period_offset = dt, period, 0
        self.variables = list(data)
        self.data, self.now = data, now
        self._recorded_variables = copy.deepcopy(segments)
        self._last = {}
        self.emptied = False

    def get(self, variables, keep=False, reshape=True, force_dict=False):
        for var in variables:
            self._recorded_variables[var]["stop"][-1] = self.now
            self._last[var] = copy.deepcopy(self._recorded_variables[var])
        found = {var: self.data[var] for var in variables}
        if not keep:
            self.emptied = True
            self.data = {
                var: {r: [] for r in range(3)} if var == "spike" else np.zeros((0, 3)) for var in self.data
            }
        return found

    def times(self, variables):
        return {variables: copy.deepcopy(self._last[variables])}


@pytest.fixture
def annarchy(monkeypatch):
    """Monitors are recognised by ANNarchy's class, found only once ANNarchy is imported: the stand-in's."""
    module = types.ModuleType("ANNarchy.core.Monitor")
    module.Monitor = Monitor
    monkeypatch.setitem(sys.modules, "ANNarchy.core.Monitor", module)


def paused_monitor() -> Monitor:
    """Spikes and v of 3 neurons, recorded over steps [0, 4) and [6, 10), paused at step 4, resumed at 6."""
    v = np.arange(24.0).reshape(8, 3)
    spikes = {0: [1, 7], 1: [], 2: [3, 3, 9]}
    segments = {var: {"start": [0, 6], "stop": [4, None]} for var in ("spike", "v")}
    return Monitor({"spike": spikes, "v": v}, segments, now=10)


def test_spikes_and_variables_at_annarchys_steps(annarchy) -> None:
    monitor = paused_monitor()
    obs = annarchy_to_observer(monitor)
    assert obs.dt == 0.0005
    assert [a.tolist() for a in obs.spikes("exc", "spike")] == [[1, 3, 3, 7, 9], [0, 2, 2, 0, 2]]
    assert obs.recorded_steps(("exc", "v")).tolist() == [0, 1, 2, 3, 6, 7, 8, 9]
    np.testing.assert_array_equal(obs.to_numpy(("exc", "v")), monitor.data["v"])
    assert obs.population_rate("exc", "spike").index.size == 10
    assert obs["neurons"] == {"exc/spike": [0, 1, 2], "exc/v": [0, 1, 2]}
    assert not monitor.emptied and monitor._recorded_variables["v"]["stop"] == [4, 10]


def test_a_paused_monitor_keeps_the_end_of_its_pause(annarchy) -> None:
    monitor = paused_monitor()
    monitor._recorded_variables["v"]["stop"][-1] = 10  # paused again at step 10
    monitor.now = 14
    annarchy_to_observer(monitor)
    assert monitor._recorded_variables["v"]["stop"] == [4, 10]


def test_keep_false_empties_the_monitor_after_the_conversion(annarchy) -> None:
    monitor = paused_monitor()
    obs = annarchy_to_observer(monitor, keep=False)
    assert monitor.emptied and len(obs.to_numpy(("exc", "v"))) == 8


def test_to_tensorboard_empties_the_monitor_only_once_written(annarchy, tmp_path) -> None:
    monitor = paused_monitor()
    with pytest.raises(TypeError, match=r"to_tensorboard\(writer_or_logdir=...\)"):
        annarchy_to_tensorboard(monitor, 3.5, keep=False)
    assert not monitor.emptied
    obs = annarchy_to_tensorboard(monitor, tmp_path, prefix="sim/", keep=False)
    assert monitor.emptied
    steps, values, _ = scalar_arrays(accumulator(tmp_path), "sim/exc/spike/rate")
    assert steps.tolist() == list(range(10))
    np.testing.assert_allclose(values, obs.population_rate("exc", "spike").to_numpy(), rtol=1e-6)


def test_more_samples_than_the_period_fits_are_refused(annarchy) -> None:
    monitor = paused_monitor()
    monitor._period = 1.0  # 2 steps: 4 samples fit, 8 are held
    with pytest.raises(ValueError, match=r"holds 8 samples of 'v', more than its period of 1.0 ms fits"):
        annarchy_to_observer(monitor, keep=False)
    assert not monitor.emptied


@pytest.mark.parametrize(
    ("monitors", "error", "message"),
    [
        (
            "m",
            TypeError,
            r"annarchy_to_observer\(monitors=...\): expected an ANNarchy Monitor or a list of them, got str",
        ),
        ([], ValueError, r"monitors=...\): expected at least one Monitor, got none"),
        ([object()], TypeError, r"monitors\[0\]=...\): expected an ANNarchy Monitor, got object"),
    ],
)
def test_what_is_not_a_monitor_is_refused(monitors, error, message) -> None:
    with pytest.raises(error, match=message):
        annarchy_to_observer(monitors)


def test_wrong_arguments_name_themselves(annarchy) -> None:
    monitor = paused_monitor()
    with pytest.raises(ValueError, match=r"dt=...\): expected a step > 0 in ms, as ANNarchy's dt, got -1"):
        annarchy_to_observer(monitor, dt=-1)
    with pytest.raises(TypeError, match=r"keep=...\): expected True or False, got str"):
        annarchy_to_observer(monitor, keep="no")
    other = paused_monitor()
    other.dt = 0.1
    other.object = types.SimpleNamespace(name="inh", size=3)
    with pytest.raises(ValueError, match=r"dt=None\): the monitors belong to networks of different steps"):
        annarchy_to_observer([monitor, other])
    monitor.cyInstance = None
    with pytest.raises(
        ValueError, match=r"monitors\[0\]=...\): the monitor of 'Monitor_exc' holds no recording"
    ):
        annarchy_to_observer(monitor)
