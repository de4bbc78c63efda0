"""ANNarchy's Logger API, read back by TensorBoard's own reader."""

from __future__ import annotations

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
    assert mux.Scalars("run/Accuracy_test", "Accuracy")[0].value == pytest.approx(0.8)
    acc = accumulator(tmp_path / "run")
    assert "Weights" in acc.Tags()["histograms"] or "Weights" in acc.Tags()["tensors"]
    assert acc.SummaryMetadata(SESSION_START_TAG).plugin_data.plugin_name == "hparams"
    assert acc.Scalars("accuracy")[0].value == pytest.approx(0.8)


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
        ({"experiment": ""}, ValueError, r"Logger\(experiment=\.\.\.\): expected a non-empty str"),
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
