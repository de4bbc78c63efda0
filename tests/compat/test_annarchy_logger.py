"""ANNarchy's Logger and ours, side by side: the same calls into sibling logdirs, read back by TensorBoard.

ANNarchy 5.0.4.1 writes through tensorboardX 2.6.5, so what is compared is what
its users have on disk: run folders, tags, steps, values, image sizes and
pixels, histograms and hparams records. Where ANNarchy is broken the test
says how, and checks that ours does what its documentation promises.
"""

from __future__ import annotations

import inspect
import io
import os
import re
import sys

import ANNarchy as ann
import matplotlib
import numpy as np
import pytest
from ANNarchy.extensions.tensorboard import Logger as AnnarchyLogger
from PIL import Image
from tensorboard.plugins.hparams import metadata as hparams_metadata

import neuroboard
from tests.conftest import start_tensorboard
from tests.tb import multiplexer

matplotlib.use("Agg")
import matplotlib.pyplot as plt

LOGGERS = {"annarchy": AnnarchyLogger, "neuroboard": neuroboard.Logger}
# add_parameters' child run is named by the time of the call: compared under one name.
TIME_RUN = re.compile(r"(^|/)\d+\.\d+$")
TRIALS = 4


def log_both(root, calls, experiment: str = "run") -> dict:
    """Make the same ``calls(logger)`` through both Loggers into ``root/<name>``; return the loaded multiplexers."""
    for name, cls in LOGGERS.items():
        with cls(logdir=str(root / name), experiment=experiment) as logger:
            calls(logger)
    return {name: multiplexer(root / name) for name in LOGGERS}


def runs(mux) -> dict[str, dict]:
    return {TIME_RUN.sub(r"\1<time>", run): tags for run, tags in mux.Runs().items()}


def real_run(mux, run: str) -> str:
    (name,) = [r for r in mux.Runs() if TIME_RUN.sub(r"\1<time>", r) == run]
    return name


def pixels(event) -> np.ndarray:
    """The decoded PNG as (H, W, 3): ours writes grey as one channel, tensorboardX as three."""
    array = np.asarray(Image.open(io.BytesIO(event.encoded_image_string))).astype(int)
    return np.repeat(array[..., np.newaxis], 3, axis=2) if array.ndim == 2 else array[..., :3]


@pytest.fixture(scope="module")
def network(tmp_path_factory):
    """A compiled rate-coded ANNarchy network: 100 noisy neurons fed through all-to-all weights from 25 inputs."""
    build = tmp_path_factory.mktemp("annarchy_build")
    with pytest.MonkeyPatch.context() as patch:
        # ANNarchy's CMake step runs `python3` from PATH: it must be this venv's, which has nanobind.
        patch.setenv("PATH", os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])
        net = ann.Network(seed=1)
        inputs = net.create(geometry=25, neuron=ann.Neuron(parameters="rate = 0.0", equations="r = rate"))
        neuron = ann.Neuron(
            parameters="tau = 10.0",
            equations="tau * dr/dt + r = sum(exc) + Uniform(0.0, 0.2) : min=0.0",
        )
        pop = net.create(geometry=(10, 10), neuron=neuron)
        proj = net.connect(inputs, pop, "exc")
        proj.all_to_all(weights=ann.Uniform(0.0, 0.1))
        net.compile(directory=str(build), silent=True)
    return net, inputs, pop, proj


def test_a_simulated_network_logs_the_same(tmp_path, network) -> None:
    net, inputs, pop, proj = network
    rng = np.random.default_rng(0)
    trials = []
    for _ in range(TRIALS):
        inputs.rate = rng.random(25)
        net.simulate(50.0)
        trials.append((np.array(pop.r, dtype=np.float64).reshape(10, 10), np.array(proj.w, dtype=np.float64)))

    def calls(logger) -> None:
        for trial, (r, w) in enumerate(trials):
            logger.add_scalar("Global performance/Mean rate", r.mean(), trial)
            logger.add_scalar("Trial", float(trial))
            logger.add_scalars("Activity", {"First neuron": r.flat[0], "Second neuron": r.flat[1]}, trial)
            logger.add_image("Population/Firing rate", r / r.max(), trial)
            logger.add_image("Population/Levels", np.round(r / r.max() * 255).astype(np.uint8), trial)
            logger.add_images("Projection/Receptive fields", w.reshape(100, 5, 5) / w.max(), trial)
            logger.add_histogram("Projection/Weight distribution", w.flatten(), trial)
        fig = plt.figure(figsize=(3, 2), dpi=50)
        plt.plot(trials[-1][0].flatten())
        logger.add_figure("Activity plot", fig, TRIALS)
        logger.add_parameters(
            {"tau": 10.0, "noise": "uniform", "plastic": False, "inputs": 25},
            {"accuracy": float(trials[-1][0].mean()), "Global performance/Error": 0.25},
        )

    muxes = log_both(tmp_path, calls)
    theirs, ours = (runs(muxes[name]) for name in LOGGERS)
    # Run folders, and the tags of each kind in each, as tensorboardX names them.
    assert (
        sorted(ours)
        == sorted(theirs)
        == ["run", "run/<time>", "run/Activity/First neuron", "run/Activity/Second neuron"]
    )
    for run in theirs:
        for kind in ("scalars", "images", "histograms"):
            assert sorted(ours[run][kind]) == sorted(theirs[run][kind]), (run, kind)
    assert "Global_performance/Mean rate" not in theirs["run"]["scalars"]
    assert "Global_performance/Mean_rate" in theirs["run"]["scalars"]
    assert theirs["run/<time>"]["scalars"] == ["accuracy", "Global_performance/Error"]

    # Scalars: steps and values, run by run.
    a, n = muxes["annarchy"], muxes["neuroboard"]
    for run in theirs:
        for tag in theirs[run]["scalars"]:
            mine = [(e.step, e.value) for e in n.Scalars(real_run(n, run), tag)]
            peer = [(e.step, e.value) for e in a.Scalars(real_run(a, run), tag)]
            if tag == "Trial":
                # Without a step, tensorboardX records step 0 every time; ours counts per tag.
                assert [s for s, _ in peer] == [0] * TRIALS
                assert mine == [(s, v) for s, (_, v) in enumerate(peer)]
            else:
                assert mine == peer, (run, tag)

    # Images: sizes and decoded pixels.
    for tag in theirs["run"]["images"]:
        for mine, peer in zip(n.Images("run", tag), a.Images("run", tag), strict=True):
            assert (mine.step, mine.width, mine.height) == (peer.step, peer.width, peer.height), tag
            difference = np.abs(pixels(mine) - pixels(peer))
            # uint8 pixels are taken as they are; floats are scaled by 255, rounded here, truncated there.
            assert difference.max() <= (0 if tag in ("Population/Levels", "Activity_plot") else 1), tag
    assert (
        n.Images("run", "Projection/Receptive_fields")[0].width,
        n.Images("run", "Projection/Receptive_fields")[0].height,
    ) == (40, 65)

    # Histograms: the same buckets.
    tag = "Projection/Weight_distribution"
    for mine, peer in zip(n.Histograms("run", tag), a.Histograms("run", tag), strict=True):
        assert mine.step == peer.step
        ours_h, theirs_h = mine.histogram_value, peer.histogram_value
        assert (ours_h.min, ours_h.max, ours_h.num) == (theirs_h.min, theirs_h.max, theirs_h.num)
        assert ours_h.sum == pytest.approx(theirs_h.sum)
        assert ours_h.sum_squares == pytest.approx(theirs_h.sum_squares)
        # The same counts on the same edges: ours writes a run of empty buckets as one, and no empty
        # bucket before the first (docs/summaries.md), so the non-empty ones are compared.
        assert filled(ours_h) == filled(theirs_h)

    # hparams: the start record, the experiment summary and the end record, in the child run.
    records = {name: hparams_records(muxes[name]) for name in LOGGERS}
    mine, peer = records["neuroboard"], records["annarchy"]
    assert mine["run"] == peer["run"] == "run/<time>"
    assert (
        mine["hparams"]
        == peer["hparams"]
        == {
            "tau": 10.0,
            "noise": "uniform",
            "plastic": False,
            "inputs": 25.0,
        }
    )
    assert mine["types"] == peer["types"]
    assert mine["status"] == peer["status"] == "STATUS_SUCCESS"
    # tensorboardX lists the metric as given but writes its scalar under the cleaned tag.
    assert peer["metrics"] == ["accuracy", "Global performance/Error"]
    assert mine["metrics"] == ["accuracy", "Global_performance/Error"]


def filled(histogram) -> list[tuple[float, float]]:
    return [(limit, count) for limit, count in zip(histogram.bucket_limit, histogram.bucket) if count]


def hparams_records(mux) -> dict:
    content = mux.PluginRunToTagToContent("hparams")
    (run,) = content
    tags = content[run]
    start = hparams_metadata.parse_session_start_info_plugin_data(
        tags[hparams_metadata.SESSION_START_INFO_TAG]
    )
    experiment = hparams_metadata.parse_experiment_plugin_data(tags[hparams_metadata.EXPERIMENT_TAG])
    end = hparams_metadata.parse_session_end_info_plugin_data(tags[hparams_metadata.SESSION_END_INFO_TAG])
    values = {}
    for name, value in start.hparams.items():
        values[name] = getattr(value, value.WhichOneof("kind"))
    return {
        "run": TIME_RUN.sub(r"\1<time>", run),
        "hparams": values,
        "types": {info.name: info.type for info in experiment.hparam_infos},
        "metrics": [info.name.tag for info in experiment.metric_infos],
        "status": type(end).DESCRIPTOR.fields_by_name["status"].enum_type.values_by_number[end.status].name,
    }


def test_integer_pixels_are_values_0_to_255(tmp_path) -> None:
    levels = np.arange(256, dtype=np.int64).reshape(16, 16)
    muxes = log_both(tmp_path, lambda logger: logger.add_image("Levels", levels, 0))
    (mine,) = muxes["neuroboard"].Images("run", "Levels")
    (peer,) = muxes["annarchy"].Images("run", "Levels")
    assert pixels(mine)[..., 0].tolist() == levels.tolist()
    # tensorboardX multiplies every non-uint8 image by 255 before its uint8 cast: 0..255 come out wrapped.
    assert not np.array_equal(pixels(peer)[..., 0], levels)


def test_equalize(tmp_path) -> None:
    ramp = np.arange(12, dtype=np.float64).reshape(3, 4) * 10.0
    with AnnarchyLogger(logdir=str(tmp_path / "annarchy"), experiment="run") as logger:
        # ANNarchy equalizes with np.float, which NumPy 1.24 removed.
        with pytest.raises(AttributeError, match="float"):
            logger.add_image("ramp", ramp, 0, equalize=True)
        logger.add_image("ramp", (ramp - ramp.min()) / (ramp.max() - ramp.min()), 0)
        fields = np.stack([ramp, ramp * 2])
        with pytest.raises(AttributeError, match="float"):
            logger.add_images("fields", fields, 0, equalize=True)
        logger.add_images("fields", (fields - fields.min()) / (fields.max() - fields.min()), 0)
        # Without equalize, equalize_per_image does nothing.
        logger.add_images("alone", fields / 300, 0, equalize_per_image=True)
    with neuroboard.Logger(logdir=str(tmp_path / "neuroboard"), experiment="run") as logger:
        logger.add_image("ramp", ramp, 0, equalize=True)
        logger.add_images("fields", fields, 0, equalize=True)
        logger.add_images("alone", fields / 300, 0, equalize_per_image=True)
    a, n = multiplexer(tmp_path / "annarchy"), multiplexer(tmp_path / "neuroboard")
    for tag in ("ramp", "fields", "alone"):
        (mine,), (peer,) = n.Images("run", tag), a.Images("run", tag)
        assert (mine.width, mine.height) == (peer.width, peer.height)
        assert np.abs(pixels(mine) - pixels(peer)).max() <= 1, tag


def test_every_method_has_annarchys_signature() -> None:
    names = [name for name, member in inspect.getmembers(AnnarchyLogger) if callable(member)]
    public = [name for name in names if not name.startswith("_")] + ["__init__", "__enter__", "__exit__"]
    assert len(public) == 12
    for name in public:
        peer = list(inspect.signature(getattr(AnnarchyLogger, name)).parameters.values())
        mine = list(inspect.signature(getattr(neuroboard.Logger, name)).parameters.values())
        assert [(p.name, p.kind, p.default) for p in mine[: len(peer)]] == [
            (p.name, p.kind, p.default) for p in peer
        ], name
        # Ours may take more, by keyword and with a default only.
        assert all(p.kind is p.KEYWORD_ONLY and p.default is not p.empty for p in mine[len(peer) :]), name


@pytest.mark.parametrize("experiment", ["trial1", None])
def test_public_attributes(tmp_path, monkeypatch, experiment) -> None:
    monkeypatch.chdir(tmp_path)
    with AnnarchyLogger(experiment=experiment) as peer, neuroboard.Logger(experiment=experiment) as mine:
        public = {name: value for name, value in vars(peer).items() if not name.startswith("_")}
        assert sorted(public) == ["currentlogdir", "experiment", "logdir"]
        assert mine.logdir == peer.logdir == "runs/"
        assert mine.experiment == peer.experiment == experiment
        if experiment:
            # ANNarchy joins the names with "/" after the logdir's own "/": the same folder.
            assert peer.currentlogdir == "runs//trial1"
            assert (
                mine.currentlogdir == os.path.normpath(peer.currentlogdir) == os.path.join("runs", "trial1")
            )
        else:
            pattern = r"runs/[A-Z][a-z]{2}\d{2}_\d{2}-\d{2}-\d{2}_" + re.escape(os.uname().nodename)
            assert re.fullmatch(pattern, mine.currentlogdir)
            assert re.fullmatch(pattern, peer.currentlogdir)


def test_the_hparams_tab_shows_both_rows_alike(tmp_path) -> None:
    from tests.api.test_hparams import experiment, metric_values, session_groups

    for index in range(2):
        log_both(
            tmp_path,
            lambda logger, index=index: logger.add_parameters(
                {"tau": 10.0 + index, "model": "rate"}, {"accuracy": 0.5 + index / 10}
            ),
            experiment=f"trial{index}",
        )
    # Each run writes an experiment summary, which pins the columns of its logdir: a server of its own.
    with start_tensorboard(
        str(tmp_path), str(tmp_path.parent / f"{tmp_path.name}-tensorboard.log")
    ) as server:
        groups = server.wait_for(lambda: session_groups(server, ""), lambda groups: len(groups) == 4)
        columns = experiment(server)
    assert {info["name"] for info in columns["hparamInfos"]} == {"tau", "model"}
    assert [info["name"]["tag"] for info in columns["metricInfos"]] == ["accuracy"]
    rows = {TIME_RUN.sub(r"\1<time>", name): group for name, group in groups.items()}
    for index in range(2):
        mine, peer = rows[f"neuroboard/trial{index}/<time>"], rows[f"annarchy/trial{index}/<time>"]
        assert mine["hparams"] == peer["hparams"] == {"tau": 10.0 + index, "model": "rate"}
        assert metric_values(mine) == metric_values(peer) == {"accuracy": pytest.approx(0.5 + index / 10)}
        assert mine["sessions"][0]["status"] == peer["sessions"][0]["status"] == "STATUS_SUCCESS"
