"""A simulation recorded end to end: Observer -> TensorBoard and HDF5 -> read back, value for value."""

from __future__ import annotations

import os
import urllib.error
from pathlib import Path

import h5py
import matplotlib
import numpy as np
import pytest

from neuroboard import collect_events
from neuroboard.neuro import HDFData, Observer, TensorboardWriter
from neuroboard.render import heatmap_image, raster_image, trace_image
from neuroboard.sim import LIFNetwork, QIFNetwork
from neuroboard.summary.image import decode_image
from tests.neuro.test_tensorboard_writer import images, session_hparams, tags

matplotlib.use("Agg")

N, STEPS = 1000, 10_000


def test_the_rectipy_walkthrough_on_the_built_in_qif_network() -> None:
    import matplotlib.pyplot as plt

    n = 5
    weights = np.random.default_rng(0).random((n, n)) * 20.0
    net = QIFNetwork(n=n, dt=1e-3, coupling=weights, seed=0)
    obs = Observer(net.dt, record_output=True, record_loss=False, record_vars=[("qif", "v", False)])
    steps = 10_000
    inp = np.zeros((steps, n), np.float32) + 15.0
    for step in range(steps):
        out = net.step(inp[step, :])
        obs.record(step, output=out.output, loss=0.0, record_vars=[out.v])
    assert obs.recorded_rnn_variables == [("qif", "v")]
    v = obs.to_dataframe(("qif", "v"))
    s_raw = obs["out"]
    s_numpy = obs.to_numpy("out")
    assert v.shape == (steps, n) and v.index[1] == pytest.approx(1e-3) and v.index.name == "time"
    assert isinstance(s_raw, list) and len(s_raw) == steps and s_numpy.shape == (steps,)
    np.testing.assert_array_equal(v.to_numpy()[-1], net.state.v)
    assert obs.plot(("qif", "v")).get_lines()[0].get_xdata()[-1] == pytest.approx((steps - 1) * 1e-3)
    assert len(obs.plot(y=("qif", "v"), x="out").get_lines()) == n

    def run(sampling_steps: int) -> Observer:
        again = QIFNetwork(n=n, dt=1e-3, coupling=weights, seed=0)
        observer = Observer(again.dt, record_vars=[("qif", "v", True)], sampling_steps=sampling_steps)
        again.run(steps, inp, callback=lambda i, s: observer.record(i, output=s.output, record_vars=[s.v]))
        return observer

    obs1, obs2 = run(1), run(2)
    assert (len(obs1[("qif", "v")]), len(obs2[("qif", "v")])) == (steps, steps // 2)
    np.testing.assert_array_equal(obs2.to_numpy(("qif", "v")), obs1.to_numpy(("qif", "v"))[::2])
    ax = obs1.plot(("qif", "v"))
    obs2.plot(("qif", "v"), ax=ax)
    assert [len(line.get_xdata()) for line in ax.get_lines()] == [steps, steps // 2]
    plt.close("all")


@pytest.fixture(scope="module")
def recorded(tmp_path_factory) -> tuple[Observer, Path]:
    """A 1000-neuron LIF network run for 10,000 steps, recorded in memory and streamed to HDF5."""
    h5 = tmp_path_factory.mktemp("h5") / "lif.h5"
    declared = {
        "record_vars": [("lif", "v", False), ("lif", "v_mean", True)],
        "record_spikes": [("lif", "s")],
    }
    memory = Observer(0.1, record_loss=False, **declared)
    stored = Observer(0.1, record_loss=False, hdf5=h5, **declared)
    net = LIFNetwork(n=N, coupling=2.0, seed=1)

    def record(step: int, state) -> None:
        for obs in (memory, stored):
            obs.record(
                step, output=state.output, record_vars=[state.v, state.v], record_spikes=[state.spikes]
            )

    net.run(STEPS, input=20.0, callback=record)
    stored.close()
    return memory, h5


def test_hdf5_holds_what_was_recorded(recorded) -> None:
    memory, h5 = recorded
    data = HDFData(h5).read()
    np.testing.assert_array_equal(data["lif/v"], memory.to_numpy(("lif", "v")))
    assert data["lif/v"].shape == (STEPS, N) and data["lif/v"].dtype == np.float32
    np.testing.assert_array_equal(data["lif/v_mean"], memory.to_numpy(("lif", "v_mean")))
    np.testing.assert_array_equal(data["out"], memory.to_numpy("out"))
    np.testing.assert_array_equal(data["_steps/lif/v"], np.arange(STEPS))
    steps, neurons = memory.spikes("lif", "s")
    assert len(steps) > 10_000, "the network should fire"
    np.testing.assert_array_equal(data["_spikes/lif/s"], np.column_stack([steps, neurons]))


def _expected_views(memory: Observer) -> dict[str, np.ndarray]:
    steps, neurons = memory.spikes("lif", "s")
    v = memory.to_numpy(("lif", "v"))
    return {
        "lif/s/raster": raster_image((steps, neurons), n_steps=STEPS, n_neurons=N, width=2000, height=1000),
        # One colour scale for the whole recording: the extremes of the values, not of the pixels' means.
        "lif/v": heatmap_image(v.T, width=2000, height=1000, vmin=float(v.min()), vmax=float(v.max())),
    }


def test_tensorboard_gets_traces_heatmaps_and_the_raster(recorded, tmp_path) -> None:
    memory, _ = recorded
    memory.to_tensorboard(tmp_path)
    scalars = collect_events(tmp_path, type="scalar")
    series = {tag: frame for tag, frame in scalars.groupby("tag")}
    assert set(series) == {"out", "lif/v_mean", "lif/s/rate"}
    for tag, key in (("out", "out"), ("lif/v_mean", ("lif", "v_mean"))):
        np.testing.assert_array_equal(series[tag].step, np.arange(STEPS))
        np.testing.assert_array_equal(series[tag].value, memory.to_numpy(key).astype(np.float32))
    rate = memory.population_rate("lif", "s")
    np.testing.assert_array_equal(series["lif/s/rate"].value, rate.to_numpy().astype(np.float32))
    for tag, pixels in _expected_views(memory).items():
        [(step, image)] = images(tmp_path, tag)
        assert step == STEPS - 1
        np.testing.assert_array_equal(image, pixels)
    assert tags(tmp_path) == {"out", "lif/v_mean", "lif/s/rate", "lif/s/raster", "lif/v"}


def _served_image(server, run: str, tag: str) -> np.ndarray:
    def fetch():
        try:
            return server.get("/data/plugin/images/images", run=run, tag=tag)
        except urllib.error.HTTPError:
            return None

    [entry] = server.wait_for(fetch, lambda found: len(found) >= 1)
    return decode_image(server.read(f"/data/plugin/images/individualImage?{entry['query']}"))


def test_a_real_tensorboard_shows_the_recording(recorded, tensorboard_server) -> None:
    memory, _ = recorded
    run = "neuro_recording"
    memory.to_tensorboard(os.path.join(tensorboard_server.logdir, run), prefix="net/")
    # TensorBoard keeps a reservoir sample of 1,000 points per scalar tag, always with the last one.
    for tag, expected in (
        ("net/lif/v_mean", memory.to_numpy(("lif", "v_mean"))),
        ("net/lif/s/rate", memory.population_rate("lif", "s").to_numpy()),
    ):
        points = tensorboard_server.wait_for(
            lambda tag=tag: tensorboard_server._scalars_or_none(run, tag),
            lambda found: len(found) >= 1000 and found[-1][1] == STEPS - 1,
        )
        steps = np.array([p[1] for p in points])
        np.testing.assert_array_equal([p[2] for p in points], expected[steps].astype(np.float32))
    for tag, pixels in _expected_views(memory).items():
        np.testing.assert_array_equal(_served_image(tensorboard_server, run, f"net/{tag}"), pixels)


@pytest.fixture()
def sapicore_file(tmp_path) -> Path:
    """An HDF5 file in the layout Sapicore's DataAccumulatorHook writes, made with h5py alone."""
    rng = np.random.default_rng(3)
    path = tmp_path / "L1.h5"
    with h5py.File(path, "w") as file:
        file.attrs.update(identifier="L1", **{"class": "LIFLayer"}, tau_mem=20.0, num_units=8, mode="spiking")
        for name, data in {
            "voltage": rng.normal(-60, 5, (40, 8)).astype(np.float32),
            "spiked": (rng.random((40, 8)) < 0.1).astype(np.uint8),
            "weights": rng.normal(size=(40, 8, 8)).astype(np.float32),
        }.items():
            file.create_dataset(
                name, data=data, maxshape=(None, *data.shape[1:]), chunks=(10, *data.shape[1:])
            )
    return path


def test_a_sapicore_file_through_hdfdata_and_every_kind(sapicore_file, tmp_path) -> None:
    data = HDFData(str(sapicore_file))
    # The root attributes are in the buffer, as Sapicore's HDFData puts them.
    assert data.identifier == "L1" and set(data.keys()) == {
        "voltage",
        "spiked",
        "weights",
        "identifier",
        "class",
        "tau_mem",
        "num_units",
        "mode",
    }
    run = tmp_path / "tb"
    with TensorboardWriter(run) as tw:
        tw.write(data, "spiked", kind="raster")
        tw.write(data, "voltage", kind="trace", format="scalar")
        tw.write(data, "voltage", kind="trace", format="image", name="L1/plot")
        tw.write(data, "weights", kind="heatmap", step=10, time_axis=0)
        tw.write(data, ["tau_mem", "num_units", "mode"], kind="hparam")
    # Sapicore's tags and runs: an image per neuron, scalars in one sub-run per neuron and attribute.
    expected = {"L1/raster", "L1/weights"} | {f"L1/plot/N{j}/voltage" for j in range(8)}
    assert tags(run) >= expected
    [(_, raster)] = images(run, "L1/raster")
    np.testing.assert_array_equal(
        raster, raster_image(data["spiked"], width=1500, height=1000, line_size=0.25)
    )
    [(_, plot)] = images(run, "L1/plot/N2/voltage")
    low, high = float(data["voltage"].min()), float(data["voltage"].max())
    np.testing.assert_array_equal(
        plot, trace_image(data["voltage"][:, 2], width=1000, height=500, vmin=low, vmax=high)
    )
    assert [step for step, _ in images(run, "L1/weights")] == [0, 10, 20, 30]
    scalars = collect_events(run / "L1_N3_voltage", type="scalar", tags=["L1/N3"])
    np.testing.assert_array_equal(scalars.value, data["voltage"][:, 3])
    assert session_hparams(run) == {"L1/tau_mem": 20.0, "L1/num_units": 8.0, "L1/mode": "spiking"}
    with pytest.raises(ValueError, match="time_axis"):
        TensorboardWriter(tmp_path / "bad").write(data, "weights", kind="heatmap", time_axis=3)
