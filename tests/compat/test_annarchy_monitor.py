"""ANNarchy's Monitor and annarchy_to_observer side by side, on one compiled spiking network.

Every recording is compared with what ``Monitor.get`` returns for it, and the
steps a variable was sampled at with a monitor that records it at every step;
the rates with ANNarchy's ``population_rate`` and ``histogram``. Where ANNarchy
is wrong the test says how, and pins what it does.
"""

from __future__ import annotations

import os
import sys

import ANNarchy as ann
import numpy as np
import pytest
from ANNarchy.intern.ConfigManagement import get_global_config

from neuroboard.neuro.annarchy_io import annarchy_to_observer, annarchy_to_tensorboard
from tests.tb import accumulator, scalar_arrays

DT = 0.5  # ms: not ANNarchy's global default of 1 ms, which its rate functions use whatever the network's
STEPS = 60  # 30 ms


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """One Izhikevich network simulated 30 ms, recorded by monitors of every kind the adapter reads."""
    build = tmp_path_factory.mktemp("annarchy_monitor_build")
    with pytest.MonkeyPatch.context() as patch:
        # ANNarchy's CMake step runs `python3` from PATH: it must be this venv's, which has nanobind.
        patch.setenv("PATH", os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])
        net = ann.Network(dt=DT, seed=1)
        pop = net.create(geometry=(4, 5), neuron=ann.Izhikevich, name="exc")
        pop.i_offset = np.linspace(0.0, 20.0, 20).reshape(4, 5)  # the first neurons stay silent
        inp = net.create(geometry=6, neuron=ann.Izhikevich, name="inp")
        inp.i_offset = 15.0
        synapse = ann.Synapse(parameters="tau = 1000.0", equations="tau * dw/dt = -w")
        proj = net.connect(inp, pop, "exc", synapse=synapse, name="inp_exc")
        proj.fixed_probability(0.5, weights=ann.Uniform(0.0, 0.1))
        mons = {
            "all": net.monitor(pop, ["spike", "v", "u"]),
            "view": net.monitor(pop[3:9], ["spike", "u"], period=2.0),
            "offset": net.monitor(pop, ["v"], period=1.5, period_offset=0.5),
            "proj": net.monitor(proj, ["w"], period=5.0),
            "late": net.monitor(pop, ["spike", "v"], start=False),
            "chunk": net.monitor(inp, ["spike"]),
            "again": net.monitor(pop, ["spike", "v"]),
            "user_get": net.monitor(pop, ["v"], period=2.0),
            "paused_get": net.monitor(pop, ["u"], period=2.0),
        }
        net.compile(directory=str(build), silent=True)
    mons["dendrite"] = net.monitor(proj.dendrite(2), ["w"], period=5.0)
    net.simulate(10.0)
    mons["late"].start()
    # Made at step 20 with a period of 7 steps: ANNarchy samples from step 20, not from a multiple of 7.
    mons["made_late"] = net.monitor(pop, ["v"], period=3.5)
    mons["made_late_chunks"] = net.monitor(pop, ["v"], period=3.5)
    # Converted, or read by get(keep=True), before the network runs on.
    early = {"again": annarchy_to_observer(mons["again"])}
    mons["user_get"].get("v", keep=True)
    net.simulate(10.0)
    mons["view"].pause()
    mons["paused_get"].pause()
    early["made_late_chunks"] = annarchy_to_observer(mons["made_late_chunks"], keep=False)
    net.simulate(5.0)
    mons["paused_get"].get("u", keep=True)  # moves the pause's end from step 40 to 50
    mons["view"].resume()
    mons["paused_get"].resume()
    net.simulate(5.0)
    return net, pop, proj, mons, early


def events(spikes: dict, ranks) -> list[tuple[int, int]]:
    """ANNarchy's ``{rank: [steps]}`` as sorted (step, position of the rank) pairs."""
    where = {rank: i for i, rank in enumerate(ranks)}
    return sorted((int(t), where[rank]) for rank, steps in spikes.items() for t in steps)


def test_spikes_are_the_monitors(run) -> None:
    net, pop, _, mons, _ = run
    obs = annarchy_to_observer(mons["all"])
    steps, neurons = obs.spikes("exc", "spike")
    theirs = mons["all"].get("spike", keep=True)
    assert sorted(theirs) == list(range(pop.size))  # every rank, silent ones too
    assert list(zip(steps.tolist(), neurons.tolist())) == events(theirs, range(pop.size))
    times, ranks = mons["all"].raster_plot(theirs)
    order = np.lexsort((ranks, times))
    np.testing.assert_allclose(steps * obs.dt * 1000.0, times[order], rtol=1e-12)
    assert obs.dt == DT / 1000.0 and net.dt == DT and obs.time_unit == "s"
    buffer = obs._spike_buffer("exc", "spike")
    assert (buffer.first_step, buffer.last_step, buffer.n_neurons) == (0, STEPS - 1, 20)
    assert obs["neurons"]["exc/spike"] == list(range(20))


def test_variables_are_get_at_every_step(run) -> None:
    _, _, _, mons, _ = run
    obs = annarchy_to_observer(mons["all"])
    for var in ("v", "u"):
        np.testing.assert_array_equal(
            obs.to_numpy(("exc", var)), mons["all"].get(var, keep=True, reshape=False)
        )
        assert obs.recorded_steps(("exc", var)).tolist() == list(range(STEPS))
    assert mons["all"].get("v", keep=True).shape == (STEPS, 4, 5)  # still there: keep=True by default


def test_a_period_with_an_offset_samples_the_steps_ANNarchy_keeps(run) -> None:
    _, _, _, mons, _ = run
    obs = annarchy_to_observer(mons["offset"])
    steps = obs.recorded_steps(("exc", "v"))
    assert steps.tolist() == list(range(1, STEPS, 3))  # period 1.5 ms = 3 steps, offset 0.5 ms = 1 step
    every_step = mons["all"].get("v", keep=True, reshape=False)
    np.testing.assert_array_equal(obs.to_numpy(("exc", "v")), every_step[steps])
    assert obs.sampling_steps == 1


def test_a_paused_view_keeps_its_ranks_and_the_steps_it_recorded(run) -> None:
    _, _, _, mons, _ = run
    view = mons["view"]
    obs = annarchy_to_observer(view)
    steps = obs.recorded_steps(("exc", "u"))
    # Every 4 steps while recording: [0, 40) and, after the pause, [50, 60) on the same grid.
    assert steps.tolist() == [*range(0, 40, 4), 52, 56]
    assert obs.sampling_steps == 4
    np.testing.assert_array_equal(obs.to_numpy(("exc", "u")), view.get("u", keep=True))
    ranks = list(range(3, 9))
    np.testing.assert_array_equal(
        obs.to_numpy(("exc", "u")), mons["all"].get("u", keep=True, reshape=False)[steps][:, ranks]
    )
    assert obs["neurons"]["exc/u"] == obs["neurons"]["exc/spike"] == ranks
    spikes = view.get("spike", keep=True)
    got = list(zip(*(a.tolist() for a in obs.spikes("exc", "spike"))))
    assert got == events(spikes, ranks)
    full = events(mons["all"].get("spike", keep=True), range(20))
    assert got == [(t, r - 3) for t, r in full if 3 <= r < 9 and not 40 <= t < 50]
    # The call leaves ANNarchy's own record of the pause as it found it.
    assert view.times("u")["u"] == {"start": [0, 50], "stop": [40, STEPS]}


def test_a_monitor_started_late_holds_the_last_steps(run) -> None:
    _, _, _, mons, _ = run
    obs = annarchy_to_observer(mons["late"])
    assert obs.recorded_steps(("exc", "v")).tolist() == list(range(20, STEPS))
    np.testing.assert_array_equal(
        obs.to_numpy(("exc", "v")), mons["all"].get("v", keep=True, reshape=False)[20:]
    )
    # ANNarchy's times() says the recording began at step 0, when the monitor was made, not at
    # start(): the spikes' span follows it, so rates count the 20 steps before as silent.
    assert mons["late"].times("spike")["spike"]["start"] == [0]
    assert obs._spike_buffer("exc", "spike").first_step == 0
    full = events(mons["all"].get("spike", keep=True), range(20))
    assert list(zip(*(a.tolist() for a in obs.spikes("exc", "spike")))) == [e for e in full if e[0] >= 20]


def test_synapses_of_a_projection_and_of_a_dendrite(run) -> None:
    _, _, proj, mons, _ = run
    obs = annarchy_to_observer(mons["proj"])
    pairs = [[post, pre] for post in proj.post_ranks for pre in proj.dendrite(post).pre_ranks]
    assert obs["synapses"]["inp_exc/w"] == pairs
    w = mons["proj"].get("w", keep=True)
    expected = np.array([np.concatenate([np.asarray(d, float) for d in sample]) for sample in w])
    np.testing.assert_array_equal(obs.to_numpy(("inp_exc", "w")), expected)
    assert obs.recorded_steps(("inp_exc", "w")).tolist() == list(range(0, STEPS, 10))
    one = annarchy_to_observer(mons["dendrite"])
    columns = [i for i, (post, _) in enumerate(pairs) if post == 2]
    np.testing.assert_array_equal(one.to_numpy(("inp_exc", "w")), expected[:, columns])
    assert one["synapses"]["inp_exc/w"] == [pairs[i] for i in columns]


def test_population_rate_is_annarchys_with_the_networks_dt(run) -> None:
    net, _, _, mons, _ = run
    obs = annarchy_to_observer(mons["all"])
    ours = obs.population_rate("exc", "spike")
    theirs = mons["all"].population_rate(mons["all"].get("spike", keep=True))
    # ANNarchy's rate has one bin more (stop - start + 1: the step at `stop` is never recorded, its bin
    # is 0) and divides by the global dt (1 ms), not the network's (0.5 ms): it is half the rate.
    assert get_global_config("dt") == 1.0 and len(theirs) == STEPS + 1 and theirs[-1] == 0.0
    np.testing.assert_allclose(ours.to_numpy(), theirs[:STEPS] * get_global_config("dt") / net.dt, rtol=1e-12)
    np.testing.assert_allclose(ours.index.to_numpy(), np.arange(STEPS) * DT / 1000.0, rtol=1e-12)
    # A view's rate is per recorded neuron, as ANNarchy's (it divides by the ranks it holds).
    view = annarchy_to_observer(mons["view"]).population_rate("exc", "spike")
    counts = np.bincount(
        obs.spikes("exc", "spike")[0][
            (obs.spikes("exc", "spike")[1] >= 3) & (obs.spikes("exc", "spike")[1] < 9)
        ],
        minlength=STEPS,
    )
    counts[40:50] = 0
    np.testing.assert_allclose(view.to_numpy(), counts / 6 / (DT / 1000.0), rtol=1e-12)
    # After pause() and resume(), ANNarchy counts from the last resume: earlier spikes index before it.
    with pytest.raises(IndexError):
        mons["view"].population_rate(mons["view"].get("spike", keep=True))


def test_binned_rate_is_annarchys_histogram(run) -> None:
    _, _, _, mons, _ = run
    obs = annarchy_to_observer(mons["all"])
    spikes = mons["all"].get("spike", keep=True)
    # bins in ms; recording_window in steps: without it, ANNarchy's bins start at the first spike.
    theirs = mons["all"].histogram(spikes, bins=5.0, recording_window=(0, STEPS))
    ours = obs.population_rate("exc", "spike", bin=5.0 / 1000.0)
    counts = ours.to_numpy() * 20 * 5.0 / 1000.0
    assert len(theirs) == len(ours) + 1 and theirs[-1] == 0  # its last bin starts at `stop`
    np.testing.assert_allclose(counts, theirs[:-1], rtol=1e-12)


def test_a_run_drawn_to_tensorboard(tmp_path, run) -> None:
    _, _, _, mons, _ = run
    obs = annarchy_to_tensorboard(mons["all"], tmp_path, prefix="sim/")
    acc = accumulator(tmp_path)
    steps, values, _ = scalar_arrays(acc, "sim/exc/spike/rate")
    assert steps.tolist() == list(range(STEPS))
    np.testing.assert_allclose(values, obs.population_rate("exc", "spike").to_numpy(), rtol=1e-6)
    images = acc.Tags()["images"]
    assert "sim/exc/spike/raster" in images
    raster = acc.Images("sim/exc/spike/raster")[-1]
    assert raster.step == STEPS - 1 and raster.width >= STEPS
    assert any(tag.startswith("sim/exc/v") for tag in images) and any(
        tag.startswith("sim/exc/u") for tag in images
    )


def test_keep_false_empties_the_monitor_once_converted(run) -> None:
    _, _, _, mons, _ = run
    before = mons["chunk"].get("spike", keep=True)
    obs = annarchy_to_observer(mons["chunk"], keep=False)
    assert list(zip(*(a.tolist() for a in obs.spikes("inp", "spike")))) == events(before, range(6))
    assert len(obs.spikes("inp", "spike")[0]) > 0
    assert all(not steps for steps in mons["chunk"].get("spike").values())


def test_refused_calls_name_the_argument_and_keep_the_data(run) -> None:
    _, pop, _, mons, _ = run
    with pytest.raises(
        ValueError, match=r"annarchy_to_observer\(monitors=...\): inp_exc/w and exc/v .*different"
    ):
        annarchy_to_observer([mons["all"], mons["proj"]], keep=False)
    assert mons["all"].get("v", keep=True).shape[0] == STEPS
    assert mons["proj"].get("w", keep=True).shape[0] == STEPS // 10
    with pytest.raises(ValueError, match=r"two monitors record exc/spike"):
        annarchy_to_observer([mons["all"], mons["late"]])
    with pytest.raises(TypeError, match=r"monitors\[1\]=...\): expected an ANNarchy Monitor, got Population"):
        annarchy_to_observer([mons["all"], pop])
    # Monitor.period reads the C++ recorder's `period`, which it does not have: the adapter reads _period.
    with pytest.raises(AttributeError, match="period"):
        mons["view"].period  # noqa: B018
    with pytest.raises(TypeError, match=r"keep=...\): expected True or False, got str"):
        annarchy_to_observer(mons["all"], keep="no")
    with pytest.raises(
        TypeError, match=r"^annarchy_to_tensorboard\(writer_or_logdir=...\): expected a logdir, .* got float"
    ):
        annarchy_to_tensorboard(mons["all"], 3.5, keep=False)
    with pytest.raises(TypeError, match=r"^annarchy_to_tensorboard\(prefix=...\): expected a str, got int"):
        annarchy_to_tensorboard(mons["all"], "unused", prefix=3, keep=False)
    assert mons["all"].get("v", keep=True).shape[0] == STEPS
    # The step is the monitors' network's, always: another dt would only relabel ANNarchy's steps.
    with pytest.raises(TypeError, match="dt"):
        annarchy_to_observer(mons["all"], dt=0.1)  # type: ignore[call-arg]
    assert annarchy_to_observer(mons["all"]).dt == DT / 1000.0


def test_a_second_call_after_the_network_ran_on_reads_every_step(run) -> None:
    _, _, _, mons, early = run
    every_step = mons["all"].get("v", keep=True, reshape=False)
    first = early["again"]  # converted at step 20, with keep=True
    assert first.recorded_steps(("exc", "v")).tolist() == list(range(20))
    np.testing.assert_array_equal(first.to_numpy(("exc", "v")), every_step[:20])
    assert first._spike_buffer("exc", "spike").last_step == 19
    # ANNarchy's get(keep=True) set the recording's end to step 20; the call put it back.
    assert mons["again"]._recorded_variables["v"]["stop"] == [None]
    obs = annarchy_to_observer(mons["again"])
    assert obs.recorded_steps(("exc", "v")).tolist() == list(range(STEPS))
    np.testing.assert_array_equal(obs.to_numpy(("exc", "v")), every_step)
    buffer = obs._spike_buffer("exc", "spike")
    assert (buffer.first_step, buffer.last_step) == (0, STEPS - 1)
    assert list(zip(*(a.tolist() for a in obs.spikes("exc", "spike")))) == events(
        mons["all"].get("spike", keep=True), range(20)
    )
    # The same after the user's own get(keep=True) at step 20, which ends ANNarchy's recording there.
    user = annarchy_to_observer(mons["user_get"])
    assert user.recorded_steps(("exc", "v")).tolist() == list(range(0, STEPS, 4))
    np.testing.assert_array_equal(user.to_numpy(("exc", "v")), every_step[::4])


def test_a_monitor_made_after_compile_counts_its_period_from_its_step(run) -> None:
    _, _, _, mons, early = run
    every_step = mons["all"].get("v", keep=True, reshape=False)
    assert mons["made_late"].times("v")["v"]["start"] == [20]  # 20 % 7 == 6: not on a grid from 0
    obs = annarchy_to_observer(mons["made_late"])
    steps = obs.recorded_steps(("exc", "v"))
    assert steps.tolist() == list(range(20, STEPS, 7))
    np.testing.assert_array_equal(obs.to_numpy(("exc", "v")), every_step[steps])
    # Emptied at step 40 (keep=False): ANNarchy's times() then starts at 40, the grid still at 20.
    chunk = early["made_late_chunks"]
    assert chunk.recorded_steps(("exc", "v")).tolist() == [20, 27, 34]
    assert mons["made_late_chunks"].times("v")["v"] == {"start": [20], "stop": [40]}  # what get() emptied
    assert mons["made_late_chunks"]._recorded_variables["v"]["start"] == [40]  # 40 % 7 == 5
    rest = annarchy_to_observer(mons["made_late_chunks"])
    assert rest.recorded_steps(("exc", "v")).tolist() == [41, 48, 55]
    np.testing.assert_array_equal(rest.to_numpy(("exc", "v")), every_step[[41, 48, 55]])


def test_samples_that_do_not_fit_the_recorded_steps_are_refused(run) -> None:
    _, _, _, mons, _ = run
    # get() while paused moved the pause's end from step 40 to 50: ANNarchy says it recorded [0, 50).
    assert mons["paused_get"].times("u")["u"] == {"start": [0, 50], "stop": [50, None]}
    with pytest.raises(
        ValueError,
        match=r"^annarchy_to_observer\(monitors\[1\]=...\): the monitor of 'Monitor_exc' holds 12 samples "
        r"of 'u' where its period .* gives 15",
    ):
        annarchy_to_observer([mons["chunk"], mons["paused_get"]])
    assert mons["paused_get"].get("u", keep=True).shape[0] == 12
