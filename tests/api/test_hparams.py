"""Hyperparameters, checked through the hparams plugin of a real TensorBoard."""

from __future__ import annotations

import os

import numpy as np
import pytest
from tensorboard.compat.proto import event_pb2 as tf_event_pb2
from tensorboard.compat.proto import summary_pb2 as tf_summary_pb2
from tensorboard.plugins.hparams import plugin_data_pb2, summary_v2
from tensorboard.summary.writer.event_file_writer import EventFileWriter

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


def _start_info(summary) -> plugin_data_pb2.SessionStartInfo:
    content = summary.value[0].metadata.plugin_data.content
    return plugin_data_pb2.HParamsPluginData.FromString(content).session_start_info


def test_the_functional_declarations_default_to_their_names_as_in_r() -> None:
    from neuroboard import hparams_hparam, hparams_metric

    info = hparams_hparam("dropout", {"min_value": 0, "max_value": 0.5})
    assert (info.display_name, info.description) == ("dropout", "dropout")
    given = hparams_hparam("lr", display_name="learning rate", description="")
    assert (given.display_name, given.description) == ("learning rate", "")
    loss = hparams_metric("loss", group="train")
    assert (loss.display_name, loss.description) == ("loss", "loss")
    # The SummaryWriter's declarations keep TensorBoard's empty defaults.
    assert (hparam("lr").display_name, metric("loss").description) == ("", "")


@pytest.mark.parametrize(
    "values",
    [
        {"optimizer": "adam", "lr": 0.1},
        {"units": 16, "dropout": np.float32(0.5), "use_cnn": True, "seed": np.int64(3)},
        {"lr": float("nan"), "name": "ünï"},
        {},
    ],
)
def test_without_trial_id_the_group_is_named_as_tensorflow_names_it(values) -> None:
    from neuroboard import summary_hparams

    # hparams_pb is the summary TensorFlow's hp.hparams writes.
    expected = _start_info(summary_v2.hparams_pb(values)).group_name
    assert _start_info(summary_hparams(**values)).group_name == expected
    assert len(expected) == 64


def test_a_trial_id_names_the_group_and_only_a_str_does() -> None:
    from neuroboard import log_hparams, summary_hparams

    assert _start_info(summary_hparams("trial-7", lr=0.1)).group_name == "trial-7"
    assert _start_info(summary_hparams("", lr=0.1)).group_name == ""
    with pytest.raises(
        TypeError, match=r"^summary_hparams\(trial_id=\.\.\.\): expected a str or None, got int"
    ):
        summary_hparams(7, lr=0.1)
    with pytest.raises(TypeError, match=r"^summary_hparams\(trial_id=\.\.\.\)"):
        log_hparams(7, lr=0.1)


def test_add_hparams_keeps_an_empty_group_name(tmp_path) -> None:
    with SummaryWriter(tmp_path) as writer:
        writer.add_hparams({"lr": 0.1})
    (start,) = [
        e.summary
        for e in read_events(run_files(str(tmp_path))["."][0])
        if e.HasField("summary") and e.summary.value[0].tag == SESSION_START_TAG
    ]
    assert _start_info(start).group_name == ""


def test_same_values_without_trial_id_are_one_row_as_with_tensorflow(tensorboard_server) -> None:
    from neuroboard import log_event, log_hparams, with_logdir
    from neuroboard.api.functional import flush_all

    root = os.path.join(tensorboard_server.logdir, "identical")
    values = {"optimizer": "identical-adam", "lr": 0.25}
    for index in range(2):
        with with_logdir(os.path.join(root, f"nb{index}")):
            log_hparams(**values)
            log_event(acc=0.5 + index / 4, step=1)
        # TensorFlow's hp.hparams summary, written by tensorboard's own writer.
        writer = EventFileWriter(os.path.join(root, f"tf{index}"))
        writer.add_event(tf_event_pb2.Event(wall_time=1.0, summary=summary_v2.hparams_pb(values)))
        scalar = tf_summary_pb2.Summary(value=[{"tag": "acc", "simple_value": 0.5 + index / 4}])
        writer.add_event(tf_event_pb2.Event(wall_time=2.0, step=1, summary=scalar))
        writer.close()
    flush_all()
    sessions = {"identical/nb0", "identical/nb1", "identical/tf0", "identical/tf1"}

    def groups_of_these_runs() -> list[dict]:
        return [
            group
            for group in session_groups(tensorboard_server, "").values()
            if any(session["name"].startswith("identical/") for session in group["sessions"])
        ]

    (group,) = tensorboard_server.wait_for(
        groups_of_these_runs,
        lambda groups: (
            {s["name"] for g in groups for s in g["sessions"] if s.get("metricValues")} == sessions
        ),
    )
    # One row named by the hash of the values, holding all four runs: ours and TensorFlow's
    # are the same group. The row shows the mean of the metric; each run keeps its own.
    assert group["name"] == _start_info(summary_v2.hparams_pb(values)).group_name
    assert group["hparams"] == values
    assert metric_values(group)["acc"] == pytest.approx(0.625)
    by_run = {s["name"]: s["metricValues"][0]["value"] for s in group["sessions"]}
    assert by_run == pytest.approx(
        {"identical/nb0": 0.5, "identical/nb1": 0.75, "identical/tf0": 0.5, "identical/tf1": 0.75}
    )
