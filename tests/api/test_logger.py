"""ANNarchy's Logger API, read back by TensorBoard's own reader."""

from __future__ import annotations

import inspect
import io
import os
import re
import socket

import numpy as np
import pytest
from PIL import Image

from neuroboard import Logger
from neuroboard.io.reader import run_files
from neuroboard.summary.hparams import SESSION_START_TAG
from tests.conftest import start_tensorboard
from tests.tb import accumulator, multiplexer


def pixels(acc, tag: str) -> list[np.ndarray]:
    return [np.asarray(Image.open(io.BytesIO(e.encoded_image_string))) for e in acc.Images(tag)]


def test_default_folder_is_time_and_host(tmp_path) -> None:
    with Logger(tmp_path) as logger:
        logger.add_scalar("Accuracy", 0.5, 0)
    (run,) = os.listdir(tmp_path)
    assert re.fullmatch(r"[A-Z][a-z]{2}\d{2}_\d{2}-\d{2}-\d{2}_" + re.escape(socket.gethostname()), run)
    assert logger.run_dir == os.path.join(str(tmp_path), run)


def test_reused_experiment_appends(tmp_path) -> None:
    for trial in range(2):
        with Logger(tmp_path, experiment="trial") as logger:
            for step in range(3):
                logger.add_scalar("Accuracy", trial + step / 10, trial * 3 + step)
    assert len(run_files(str(tmp_path))["trial"]) == 2
    events = accumulator(tmp_path / "trial").Scalars("Accuracy")
    assert [e.step for e in events] == list(range(6))


def test_scalars_histogram_and_parameters(tmp_path) -> None:
    with Logger(tmp_path, experiment="run") as logger:
        logger.add_scalars("Accuracy", {"train": 0.9, "test": 0.8}, 4)
        logger.add_histogram("Weights", np.linspace(0, 1, 100), 4)
        logger.add_parameters({"tau": 10.0, "model": "lif"}, {"accuracy": 0.8})
    mux = multiplexer(tmp_path)
    # tensorboardX's sub-run <tag>/<key>, and its child run for the parameters, named by the time.
    assert mux.Scalars("run/Accuracy/test", "Accuracy")[0].value == pytest.approx(0.8)
    acc = accumulator(tmp_path / "run")
    assert "Weights" in acc.Tags()["histograms"] or "Weights" in acc.Tags()["tensors"]
    (child,) = [run for run in mux.Runs() if re.fullmatch(r"run/\d+\.\d+", run)]
    hparams = accumulator(tmp_path / child)
    assert hparams.SummaryMetadata(SESSION_START_TAG).plugin_data.plugin_name == "hparams"
    assert hparams.Scalars("accuracy")[0].value == pytest.approx(0.8)
    assert "accuracy" not in acc.Tags()["scalars"]


def test_add_image_equalizes_and_constant_image_gives_zeros(tmp_path) -> None:
    ramp = np.arange(12, dtype=np.float64).reshape(3, 4) * 10.0
    with Logger(tmp_path, experiment="img") as logger:
        logger.add_image("ramp", ramp, 0, equalize=True)
        logger.add_image("flat", np.full((3, 4), 7.0), 0, equalize=True)
        logger.add_image("colour", np.ones((2, 2, 3)) * [1.0, 0.5, 0.0], 0)
    acc = accumulator(tmp_path / "img")
    (got,) = pixels(acc, "ramp")
    assert got.shape == (3, 4)
    assert got.tolist() == np.round(np.arange(12).reshape(3, 4) / 11 * 255).astype(int).tolist()
    (flat,) = pixels(acc, "flat")
    assert (flat == 0).all()
    (colour,) = pixels(acc, "colour")
    assert colour[0, 0].tolist() == [255, 128, 0]


def test_add_images_equalize_per_image(tmp_path) -> None:
    images = np.stack([np.full((2, 2), 1.0), np.array([[0.0, 1.0], [2.0, 3.0]]) * 100])
    with Logger(tmp_path, experiment="grid") as logger:
        logger.add_images("fields", images, 0, equalize=True, equalize_per_image=True)
        logger.add_images("fields_global", images, 0, equalize=True)
    acc = accumulator(tmp_path / "grid")
    (per_image,) = pixels(acc, "fields")
    (global_,) = pixels(acc, "fields_global")
    # One grid image each; per-image scaling stretches the second image to full range.
    assert per_image.max() == 255
    assert global_.max() == 255
    assert per_image.shape == global_.shape
    assert not np.array_equal(per_image, global_)


def test_bad_image_names_the_argument(tmp_path) -> None:
    with Logger(tmp_path, experiment="bad") as logger:
        with pytest.raises(ValueError, match=r"add_image\(img=\.\.\.\)"):
            logger.add_image("x", np.zeros((4, 5, 6, 7)), 0)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (
            {"logdir": None},
            TypeError,
            r"Logger\(logdir=\.\.\.\): expected a path \(str or os.PathLike\), got NoneType",
        ),
        ({"logdir": 123}, TypeError, r"Logger\(logdir=\.\.\.\): expected a path.*got int"),
        (
            {"logdir": "runs\0x"},
            ValueError,
            r"Logger\(logdir=\.\.\.\): expected a non-empty path without NUL",
        ),
        (
            {"experiment": "../.."},
            ValueError,
            r"Logger\(experiment=\.\.\.\): expected a relative name inside the logdir",
        ),
        ({"experiment": "a/../../b"}, ValueError, r"Logger\(experiment=\.\.\.\): expected a relative name"),
        ({"experiment": "ABSOLUTE"}, ValueError, r"Logger\(experiment=\.\.\.\): expected a relative name"),
        ({"experiment": 7}, TypeError, r"Logger\(experiment=\.\.\.\): expected a non-empty str, got int"),
    ],
)
def test_bad_folders_name_the_argument_and_make_nothing(
    tmp_path, monkeypatch, kwargs, error, message
) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    monkeypatch.chdir(logs)
    kwargs = {"logdir": str(logs), **kwargs}
    if kwargs.get("experiment") == "ABSOLUTE":
        kwargs["experiment"] = str(tmp_path / "elsewhere")
    with pytest.raises(error, match=message):
        Logger(**kwargs)
    assert sorted(os.listdir(tmp_path)) == ["logs"]
    assert os.listdir(logs) == []


def test_nested_experiment_is_a_run_below_the_logdir(tmp_path) -> None:
    with Logger(tmp_path, experiment="sweep/trial1") as logger:
        logger.add_scalar("Accuracy", 0.5, 0)
    assert list(run_files(str(tmp_path))) == ["sweep/trial1"]


def test_tags_are_written_as_tensorboardx_writes_them(tmp_path) -> None:
    with Logger(tmp_path, experiment="tags") as logger:
        logger.add_scalar("Global performance/Accuracy", 0.5, 0)
        logger.add_scalar("/rate (Hz)", 1.0, 0)
        logger.add_scalar("Température", 2.0, 0)
        logger.add_histogram("Weight distribution", [0.1, 0.2], 0)
        logger.add_image("Firing rate", np.zeros((2, 2)), 0)
    tags = accumulator(tmp_path / "tags").Tags()
    assert sorted(tags["scalars"]) == ["Global_performance/Accuracy", "Température", "rate__Hz_"]
    assert tags["histograms"] == ["Weight_distribution"]
    assert tags["images"] == ["Firing_rate"]


def test_a_tag_of_slashes_only_is_refused(tmp_path) -> None:
    message = r"add_scalar\(tag=\.\.\.\): expected a tag with a character"
    with Logger(tmp_path, experiment="slashes") as logger, pytest.raises(ValueError, match=message):
        logger.add_scalar("//", 1.0, 0)


def test_add_scalars_folders_are_tag_slash_key(tmp_path) -> None:
    with Logger(tmp_path, experiment="run") as logger:
        for step in range(3):
            logger.add_scalars("Global perf/Activity", {"First neuron": step, "Second/neuron": -step})
    mux = multiplexer(tmp_path)
    assert sorted(mux.Runs()) == [
        "run",
        "run/Global perf/Activity/First neuron",
        "run/Global perf/Activity/Second/neuron",
    ]
    points = mux.Scalars("run/Global perf/Activity/Second/neuron", "Global_perf/Activity")
    assert [(e.step, e.value) for e in points] == [(0, 0.0), (1, -1.0), (2, -2.0)]


@pytest.mark.parametrize("key", ["../escape", "/absolute", "a//b", ""])
def test_add_scalars_keys_that_leave_the_run_are_refused_and_write_nothing(tmp_path, key) -> None:
    with (
        Logger(tmp_path, experiment="run") as logger,
        pytest.raises(ValueError, match=r"add_scalars\(value\["),
    ):
        logger.add_scalars("Activity", {"ok": 1.0, key: 2.0}, 0)
    assert list(run_files(str(tmp_path))) == ["run"]


def test_add_scalar_without_step_counts_per_tag(tmp_path) -> None:
    with Logger(tmp_path, experiment="run") as logger:
        for value in (1.0, 2.0, 3.0):
            logger.add_scalar("Error", value)
        logger.add_scalar("Other", 5.0)
    acc = accumulator(tmp_path / "run")
    assert [(e.step, e.value) for e in acc.Scalars("Error")] == [(0, 1.0), (1, 2.0), (2, 3.0)]
    assert [e.step for e in acc.Scalars("Other")] == [0]


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.int16, np.uint16, np.uint8])
def test_integer_images_are_pixel_values(tmp_path, dtype) -> None:
    levels = np.arange(256).reshape(16, 16).astype(dtype)
    with Logger(tmp_path, experiment="img") as logger:
        logger.add_image("levels", levels, 0)
        logger.add_image("colour", np.stack([levels, levels, levels], axis=2), 0)
        logger.add_images("grid", np.stack([levels, levels]), 0)
    acc = accumulator(tmp_path / "img")
    (grey,) = pixels(acc, "levels")
    assert grey.tolist() == levels.tolist()
    assert grey.mean() == pytest.approx(127.5)
    (colour,) = pixels(acc, "colour")
    assert colour[..., 1].tolist() == levels.tolist()
    (grid,) = pixels(acc, "grid")
    assert grid.tolist() == np.hstack([levels, levels]).tolist()


def test_integers_outside_0_to_255_are_clipped(tmp_path) -> None:
    with Logger(tmp_path, experiment="img") as logger:
        logger.add_image("clipped", np.array([[-5, 0, 255, 1000]], dtype=np.int64), 0)
    (got,) = pixels(accumulator(tmp_path / "img"), "clipped")
    assert got.tolist() == [[0, 0, 255, 255]]


def test_equalize_per_image_without_equalize_does_nothing(tmp_path) -> None:
    images = np.stack([np.full((2, 2), 0.25), np.array([[0.0, 0.5], [0.5, 0.5]])])
    with Logger(tmp_path, experiment="grid") as logger:
        logger.add_images("alone", images, 0, equalize_per_image=True)
        logger.add_images("plain", images, 0)
    acc = accumulator(tmp_path / "grid")
    (alone,), (plain,) = pixels(acc, "alone"), pixels(acc, "plain")
    assert alone.tolist() == plain.tolist() == np.round(np.hstack(list(images)) * 255).astype(int).tolist()


def test_add_images_tiles_eight_per_row_without_gaps(tmp_path) -> None:
    with Logger(tmp_path, experiment="grid") as logger:
        logger.add_images("fields", np.ones((100, 5, 5)), 0)
        logger.add_images("colour", np.ones((3, 4, 5, 3)), 0)
    acc = accumulator(tmp_path / "grid")
    (fields,), (colour,) = pixels(acc, "fields"), pixels(acc, "colour")
    assert fields.shape == (65, 40)
    assert colour.shape == (4, 15, 3)
    message = r"add_images\(img=\.\.\.\): expected \(N, H, W\) or \(N, H, W, C\)"
    with Logger(tmp_path, experiment="grid") as logger, pytest.raises(ValueError, match=message):
        logger.add_images("bad", np.ones((2, 3)), 0)


def test_currentlogdir_and_experiment_are_annarchys(tmp_path) -> None:
    with Logger(tmp_path, experiment="trial1") as named, Logger(tmp_path) as dated:
        assert named.currentlogdir == named.run_dir == os.path.join(str(tmp_path), "trial1")
        assert named.experiment == "trial1"
        assert dated.experiment is None
        assert os.path.dirname(dated.currentlogdir) == str(tmp_path)
        assert named.logdir == dated.logdir == str(tmp_path)
    # ANNarchy takes any false experiment as none: the folder is named by time and host.
    with Logger(tmp_path / "empty", experiment="") as empty:
        assert empty.experiment == ""
        assert os.path.dirname(empty.currentlogdir) == str(tmp_path / "empty")
        assert os.path.basename(empty.currentlogdir) != ""


@pytest.mark.parametrize("tag", ["/abs", "../up", "a/../.."])
def test_add_scalars_a_tag_that_leaves_the_run_is_refused_by_its_name(tmp_path, tag) -> None:
    message = re.escape("add_scalars(tag=...): expected a relative name")
    with Logger(tmp_path, experiment="run") as logger, pytest.raises(ValueError, match=message):
        logger.add_scalars(tag, {"k": 1.0}, 0)
    assert sorted(p.name for p in (tmp_path / "run").iterdir() if p.is_dir()) == []


def test_add_parameters_errors_name_the_metrics_argument(tmp_path) -> None:
    message = re.escape("add_parameters(metrics['acc']=...)")
    with Logger(tmp_path, experiment="run") as logger, pytest.raises(TypeError, match=message):
        logger.add_parameters({"a": 1}, {"acc": "x"})
    assert [p.name for p in (tmp_path / "run").iterdir() if p.is_dir()] == []


EMPTY = inspect.Parameter.empty
# ANNarchy 5.0.4.1's Logger, read from its source: each method's parameters and defaults
# (tests/compat checks this table against the installed package).
ANNARCHY_SIGNATURES = {
    "__init__": [("logdir", "runs/"), ("experiment", None)],
    "add_scalar": [("tag", EMPTY), ("value", EMPTY), ("step", None)],
    "add_scalars": [("tag", EMPTY), ("value", EMPTY), ("step", None)],
    "add_image": [("tag", EMPTY), ("img", EMPTY), ("step", None), ("equalize", False)],
    "add_images": [
        ("tag", EMPTY),
        ("img", EMPTY),
        ("step", None),
        ("equalize", False),
        ("equalize_per_image", False),
    ],
    "add_parameters": [("params", EMPTY), ("metrics", EMPTY)],
    "add_histogram": [("tag", EMPTY), ("hist", EMPTY), ("step", None)],
    "add_figure": [("tag", EMPTY), ("figure", EMPTY), ("step", None), ("close", True)],
    "flush": [],
    "close": [],
    "__enter__": [],
    "__exit__": [("exc_type", EMPTY), ("exc_val", EMPTY), ("exc_tb", EMPTY)],
}


@pytest.mark.parametrize("name", sorted(ANNARCHY_SIGNATURES))
def test_every_method_takes_annarchys_arguments(name) -> None:
    parameters = list(inspect.signature(getattr(Logger, name)).parameters.values())[1:]
    expected = ANNARCHY_SIGNATURES[name]
    ours = [(p.name, p.default) for p in parameters[: len(expected)]]
    assert ours == expected
    assert all(p.kind is p.POSITIONAL_OR_KEYWORD for p in parameters[: len(expected)])
    assert all(p.kind is p.KEYWORD_ONLY and p.default is not p.empty for p in parameters[len(expected) :])


def test_parameters_row_shows_in_the_hparams_tab(tmp_path) -> None:
    from tests.api.test_hparams import experiment, metric_values, session_groups

    for index in range(2):
        with Logger(tmp_path, experiment=f"trial{index}") as logger:
            logger.add_scalar("Accuracy", 0.1, 0)
            logger.add_parameters(
                {"tau": 10.0 + index, "model": "rate", "plastic": bool(index), "unused": None, "f": np.tanh},
                {"accuracy": 0.5 + index / 10, "Error rate": 0.25},
            )
    # The experiment summary (as ANNarchy writes one) pins the columns of its logdir: a server of its own.
    with start_tensorboard(
        str(tmp_path), str(tmp_path.parent / f"{tmp_path.name}-tensorboard.log")
    ) as server:
        groups = server.wait_for(lambda: session_groups(server, "trial"), lambda groups: len(groups) == 2)
        columns = experiment(server)
    assert {info["name"] for info in columns["hparamInfos"]} == {"tau", "model", "plastic", "f"}
    assert sorted(info["name"]["tag"] for info in columns["metricInfos"]) == ["Error_rate", "accuracy"]
    rows = {name.split("/")[0]: group for name, group in groups.items()}
    assert rows["trial1"]["hparams"] == {"tau": 11.0, "model": "rate", "plastic": True, "f": "tanh"}
    assert metric_values(rows["trial1"]) == {"accuracy": pytest.approx(0.6), "Error_rate": 0.25}
    assert rows["trial0"]["sessions"][0]["status"] == "STATUS_SUCCESS"
