"""Hyperparameters, checked through the hparams plugin of a real TensorBoard."""

from __future__ import annotations

import os

import pytest

from neuroboard import SummaryWriter
from neuroboard.io.reader import read_events, run_files
from neuroboard.summary.hparams import SESSION_END_TAG, SESSION_START_TAG, hparam, metric
from tests.conftest import start_tensorboard
from tests.tb import accumulator

ALL_STATUSES = ["STATUS_UNKNOWN", "STATUS_SUCCESS", "STATUS_FAILURE", "STATUS_RUNNING"]


def session_groups(server, prefix: str) -> dict[str, dict]:
    """Return the HPARAMS tab's rows whose run starts with ``prefix``, by run."""
    answer = server.post(
        "/data/plugin/hparams/session_groups",
        {
            "experimentName": "",
            "allowedStatuses": ALL_STATUSES,
            "colParams": [],
            "startIndex": 0,
            "sliceSize": 10000,
        },
    )
    return {
        group["name"]: group for group in answer.get("sessionGroups", []) if group["name"].startswith(prefix)
    }


def metric_values(group: dict) -> dict[str, float]:
    return {m["name"]["tag"]: m["value"] for m in group.get("metricValues", [])}


def experiment(server) -> dict:
    return server.post("/data/plugin/hparams/experiment", {"experimentName": ""})


def test_sweep_shows_one_row_per_run(tensorboard_server) -> None:
    root = os.path.join(tensorboard_server.logdir, "sweep")
    for index, (lr, optimizer, dropout) in enumerate(
        [(0.1, "adam", True), (0.01, "sgd", False), (0.001, "adam", False)]
    ):
        with SummaryWriter(os.path.join(root, f"run{index}")) as writer:
            # hparams at the start, the metric at the end: they show together.
            writer.add_hparams({"lr": lr, "optimizer": optimizer, "dropout": dropout, "layers": index + 1})
            for step in range(5):
                writer.add_scalar("loss", 1.0 / (step + 1 + index), step)
            writer.add_scalar("accuracy", 0.5 + index / 10, 5)
    groups = tensorboard_server.wait_for(
        lambda: session_groups(tensorboard_server, "sweep/"),
        lambda groups: len(groups) == 3 and all(len(metric_values(g)) >= 2 for g in groups.values()),
    )
    row = groups["sweep/run1"]
    assert row["hparams"] == {"lr": 0.01, "optimizer": "sgd", "dropout": False, "layers": 2.0}
    assert metric_values(row)["accuracy"] == pytest.approx(0.6)
    assert metric_values(groups["sweep/run2"])["loss"] == pytest.approx(1.0 / 7)
    assert row["sessions"][0]["status"] == "STATUS_SUCCESS"
    names = {info["name"] for info in experiment(tensorboard_server)["hparamInfos"]}
    assert {"lr", "optimizer", "dropout", "layers"} <= names


def test_different_hparam_names_each_get_a_column(tensorboard_server) -> None:
    root = os.path.join(tensorboard_server.logdir, "mixed")
    with SummaryWriter(os.path.join(root, "a")) as writer:
        writer.add_hparams({"tau": 10.0}, {"rate": 5.0})
    with SummaryWriter(os.path.join(root, "b")) as writer:
        writer.add_hparams({"g_syn": 0.5, "model": "lif"}, {"rate": 7.0})
    groups = tensorboard_server.wait_for(
        lambda: session_groups(tensorboard_server, "mixed/"),
        lambda groups: len(groups) == 2,
    )
    assert groups["mixed/a"]["hparams"] == {"tau": 10.0}
    assert groups["mixed/b"]["hparams"] == {"g_syn": 0.5, "model": "lif"}
    names = {info["name"] for info in experiment(tensorboard_server)["hparamInfos"]}
    assert {"tau", "g_syn", "model"} <= names


def test_hparams_without_a_metric_still_show(tensorboard_server) -> None:
    with SummaryWriter(os.path.join(tensorboard_server.logdir, "nometric")) as writer:
        writer.add_hparams({"seed": 3, "noise": "white"})
    groups = tensorboard_server.wait_for(
        lambda: session_groups(tensorboard_server, "nometric"),
        lambda groups: "nometric" in groups,
    )
    assert groups["nometric"]["hparams"] == {"seed": 3.0, "noise": "white"}


def test_run_name_makes_a_child_run_and_failure_is_recorded(tensorboard_server) -> None:
    root = os.path.join(tensorboard_server.logdir, "children")
    with pytest.raises(RuntimeError):
        with SummaryWriter(root) as writer:
            writer.add_hparams({"trial": 1}, {"score": 0.5}, run_name="trial1")
            raise RuntimeError("the simulation diverged")
    groups = tensorboard_server.wait_for(
        lambda: session_groups(tensorboard_server, "children/"),
        lambda groups: "children/trial1" in groups,
    )
    assert metric_values(groups["children/trial1"])["score"] == 0.5
    assert groups["children/trial1"]["sessions"][0]["status"] == "STATUS_FAILURE"


def test_second_call_for_a_run_warns(tmp_path) -> None:
    with SummaryWriter(tmp_path) as writer:
        writer.add_hparams({"lr": 0.1})
        with pytest.warns(UserWarning, match="keeps the first set.*run_name"):
            writer.add_hparams({"lr": 0.2})
        writer.add_hparams({"lr": 0.3}, run_name="other")
    acc = accumulator(tmp_path)
    assert acc.SummaryMetadata(SESSION_START_TAG).plugin_data.plugin_name == "hparams"
    assert SESSION_END_TAG in acc.Tags()["tensors"]
    assert set(run_files(str(tmp_path))) == {".", "other"}


def test_metrics_are_scalars_of_the_run(tmp_path) -> None:
    with SummaryWriter(tmp_path) as writer:
        writer.add_hparams({"lr": 0.1}, {"accuracy": 0.75, "loss": 0.25}, global_step=10)
    acc = accumulator(tmp_path)
    assert [(e.step, e.value) for e in acc.Scalars("accuracy")] == [(10, 0.75)]
    assert [(e.step, e.value) for e in acc.Scalars("loss")] == [(10, 0.25)]


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (
            {"hparam_dict": {"layers": [1, 2]}},
            TypeError,
            r"add_hparams\(hparam_dict\['layers'\]=\.\.\.\): expected a str, bool, int or float, got list",
        ),
        ({"hparam_dict": [("lr", 0.1)]}, TypeError, r"hparam_dict=.*dict"),
        ({"hparam_dict": {"lr": 0.1}, "metric_dict": {"acc": "high"}}, TypeError, r"metric_dict\['acc'\]"),
        (
            {"hparam_dict": {"opt": "adam"}, "hparam_domain_discrete": {"opt": ["sgd"]}},
            ValueError,
            r"hparam_dict\['opt'\].*expected one of \['sgd'\]",
        ),
        ({"hparam_dict": {"lr": 0.1}, "run_name": ""}, ValueError, r"run_name="),
    ],
)
def test_bad_hparams_raise_and_write_nothing(tmp_path, kwargs, error, message) -> None:
    with SummaryWriter(tmp_path) as writer:
        with pytest.raises(error, match=message):
            writer.add_hparams(**kwargs)
    assert list(run_files(str(tmp_path))) == ["."]
    (path,) = run_files(str(tmp_path))["."]
    assert [e.WhichOneof("what") for e in read_events(path)] == ["file_version"]


def test_config_declares_domains_and_metrics(tmp_path) -> None:
    # A config pins the columns of the whole logdir, so this test has a server of its own.
    with SummaryWriter(tmp_path) as root:
        root.add_hparams_config(
            [
                hparam("lr", (1e-4, 1.0), display_name="learning rate", description="step size"),
                hparam("optimizer", ["adam", "sgd"]),
                hparam("dropout", [True, False]),
            ],
            [metric("accuracy", display_name="Accuracy", dataset_type="validation")],
        )
    for index in range(2):
        with SummaryWriter(tmp_path / f"run{index}") as writer:
            writer.add_hparams(
                {"lr": 0.01 * (index + 1), "optimizer": "adam", "dropout": bool(index)}, {"accuracy": 0.9}
            )
    with start_tensorboard(
        str(tmp_path), str(tmp_path.parent / f"{tmp_path.name}-tensorboard.log")
    ) as server:
        config = server.wait_for(lambda: experiment(server), lambda answer: bool(answer.get("hparamInfos")))
        groups = server.wait_for(lambda: session_groups(server, "run"), lambda groups: len(groups) == 2)
    infos = {info["name"]: info for info in config["hparamInfos"]}
    assert infos["lr"]["domainInterval"] == {"minValue": 1e-4, "maxValue": 1.0}
    assert infos["lr"]["displayName"] == "learning rate"
    assert infos["lr"]["description"] == "step size"
    assert infos["optimizer"]["domainDiscrete"] == ["adam", "sgd"]
    assert infos["dropout"]["domainDiscrete"] == [True, False]
    assert config["metricInfos"][0]["displayName"] == "Accuracy"
    assert config["metricInfos"][0]["datasetType"] == "DATASET_VALIDATION"
    assert metric_values(groups["run1"])["accuracy"] == pytest.approx(0.9)


@pytest.mark.parametrize("domain", [(1,), (0.0, 0.5, 1.0), ()])
def test_a_tuple_domain_is_an_interval_of_two(domain) -> None:
    from neuroboard import hparams_hparam

    with pytest.raises(
        ValueError, match=r"hparams_hparam\(domain=\.\.\.\): a tuple is an interval \(min_value, max_value\)"
    ):
        hparams_hparam("lr", domain=domain)
    assert list(hparams_hparam("lr", domain=[1]).domain_discrete) == [1.0]
