"""SummaryWriter, read back by TensorBoard's own reader and served by a real TensorBoard."""

from __future__ import annotations

import math
import os
import re
import socket

import numpy as np
import pytest
from tensorboard.util import tensor_util

from neuroboard import SummaryWriter, collect_events
from neuroboard.io.reader import read_events, run_files
from tests.tb import accumulator, multiplexer, scalar_arrays


def f32(values) -> list[float]:
    return np.asarray(values, dtype=np.float32).astype(np.float64).tolist()


def test_add_scalar_reads_back_in_tensorboard(tmp_path) -> None:
    values = np.random.default_rng(3).normal(size=300) * 1e3
    with SummaryWriter(tmp_path) as writer:
        for step, value in enumerate(values.tolist()):
            writer.add_scalar("loss/train", value, step * 2, walltime=1.7e9 + step)
    steps, got, walls = scalar_arrays(accumulator(tmp_path), "loss/train")
    assert steps.tolist() == list(range(0, 600, 2))
    assert got.tolist() == f32(values)
    assert walls.tolist() == [1.7e9 + s for s in range(300)]


def test_tags_are_written_exactly_as_given(tmp_path) -> None:
    tags = ["with space", "nested/tag name", "ünïcode/数据", "a//b"]
    with SummaryWriter(tmp_path) as writer:
        for tag in tags:
            writer.add_scalar(tag, 1.0, 0)
    assert sorted(accumulator(tmp_path).Tags()["scalars"]) == sorted(tags)


def test_value_types(tmp_path) -> None:
    torch = pytest.importorskip("torch")
    weight = torch.tensor(2.5, requires_grad=True)
    values = [
        1,
        2.5,
        True,
        np.float32(0.25),
        np.int64(7),
        np.array(3.5),
        np.float16(1.5),
        torch.tensor(4.0),
        weight * 2,
        torch.tensor(9, dtype=torch.int32),
    ]
    with SummaryWriter(tmp_path) as writer:
        for step, value in enumerate(values):
            writer.add_scalar("v", value, step)
    _, got, _ = scalar_arrays(accumulator(tmp_path), "v")
    assert got.tolist() == [1.0, 2.5, 1.0, 0.25, 7.0, 3.5, 1.5, 4.0, 5.0, 9.0]


def test_step_left_out_advances_per_tag(tmp_path) -> None:
    with SummaryWriter(tmp_path) as writer:
        for _ in range(4):
            writer.add_scalar("a", 1.0)
            writer.add_scalar("b", 2.0)
        writer.add_scalar("a", 1.0, 100)
        writer.add_scalar("a", 1.0)
    acc = accumulator(tmp_path)
    assert scalar_arrays(acc, "a")[0].tolist() == [0, 1, 2, 3, 100, 101]
    assert scalar_arrays(acc, "b")[0].tolist() == [0, 1, 2, 3]


def test_add_scalars_makes_one_run_per_key(tmp_path) -> None:
    with SummaryWriter(tmp_path / "run") as writer:
        for step in range(50):
            writer.add_scalars(
                "loss/all", {"train": step * 0.5, "val": step * 0.25}, step, walltime=100.0 + step
            )
    mux = multiplexer(tmp_path)
    assert set(mux.Runs()) == {"run", "run/loss_all_train", "run/loss_all_val"}
    for key, scale in (("train", 0.5), ("val", 0.25)):
        events = mux.Scalars(f"run/loss_all_{key}", "loss/all")
        assert [e.step for e in events] == list(range(50))
        assert [e.value for e in events] == f32([s * scale for s in range(50)])
        assert [e.wall_time for e in events] == [100.0 + s for s in range(50)]


def test_add_scalars_step_left_out_is_shared_by_keys(tmp_path) -> None:
    with SummaryWriter(tmp_path) as writer:
        writer.add_scalars("m", {"a": 1.0}, None)
        writer.add_scalars("m", {"a": 1.0, "b": 2.0}, None)
    mux = multiplexer(tmp_path)
    assert [e.step for e in mux.Scalars("m_a", "m")] == [0, 1]
    assert [e.step for e in mux.Scalars("m_b", "m")] == [1]


def test_add_scalars_tags_layout_keeps_one_run(tmp_path) -> None:
    with SummaryWriter(tmp_path) as writer:
        for step in range(10):
            writer.add_scalars("loss", {"train": 1.0, "val": 2.0}, step, layout="tags")
        writer.add_scalars("loss", {"test": 3.0}, 10, layout="tags")
    assert list(run_files(str(tmp_path))) == ["."]
    acc = accumulator(tmp_path)
    assert sorted(acc.Tags()["scalars"]) == ["loss/test", "loss/train", "loss/val"]
    assert scalar_arrays(acc, "loss/val")[0].tolist() == list(range(10))


def test_add_series_one_dimensional(tmp_path) -> None:
    values = np.sin(np.arange(5000) / 100)
    walls = 1.6e9 + np.arange(5000) * 0.001
    with SummaryWriter(tmp_path) as writer:
        writer.add_scalar("v", 0.0, 9)
        writer.add_series("v", values, walltimes=walls)
        writer.add_series("w", values[:10], steps=np.arange(10) * 3, walltimes=5.0)
    acc = accumulator(tmp_path)
    steps, got, got_walls = scalar_arrays(acc, "v")
    assert steps.tolist() == list(range(9, 5010))
    assert got.tolist() == [0.0, *f32(values)]
    assert got_walls[1:].tolist() == walls.tolist()
    steps, got, got_walls = scalar_arrays(acc, "w")
    assert steps.tolist() == list(range(0, 30, 3))
    assert set(got_walls.tolist()) == {5.0}


def test_add_series_two_dimensional(tmp_path) -> None:
    torch = pytest.importorskip("torch")
    trace = torch.randn(400, 3)
    with SummaryWriter(tmp_path) as writer:
        writer.add_series("rate", trace, names=["exc", "inh", "all"], steps=range(100, 500))
    mux = multiplexer(tmp_path)
    for column, name in enumerate(["exc", "inh", "all"]):
        events = mux.Scalars(f"rate_{name}", "rate")
        assert [e.step for e in events] == list(range(100, 500))
        assert [e.value for e in events] == f32(trace[:, column].numpy())


def test_new_style_and_double_precision(tmp_path) -> None:
    with SummaryWriter(tmp_path) as writer:
        writer.add_scalar("f", 0.1, 1, new_style=True)
        writer.add_scalar("d", 0.1, 2, double_precision=True)
    acc = accumulator(tmp_path)
    (f_event,) = acc.Tensors("f")
    (d_event,) = acc.Tensors("d")
    assert tensor_util.make_ndarray(f_event.tensor_proto).dtype == np.float32
    assert tensor_util.make_ndarray(d_event.tensor_proto).item() == 0.1
    assert acc.SummaryMetadata("d").plugin_data.plugin_name == "scalars"


def test_default_logdir(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    with SummaryWriter(comment="_lr0.1") as writer:
        writer.add_scalar("x", 1.0)
    (run,) = os.listdir(tmp_path / "runs")
    pattern = r"[A-Z][a-z]{2}\d{2}_\d{2}-\d{2}-\d{2}_" + re.escape(socket.gethostname()) + r"_lr0\.1"
    assert re.fullmatch(pattern, run)
    assert writer.logdir == os.path.join("runs", run)


def test_two_writers_in_one_second_keep_every_point(tmp_path) -> None:
    with SummaryWriter(tmp_path) as first:
        for step in range(5):
            first.add_scalar("x", float(step), step)
    with SummaryWriter(tmp_path) as second:
        for step in range(5, 10):
            second.add_scalar("x", float(step), step)
    assert len(run_files(str(tmp_path))["."]) == 2
    steps, values, _ = scalar_arrays(accumulator(tmp_path), "x")
    assert steps.tolist() == list(range(10))
    assert values.tolist() == [float(s) for s in range(10)]


def test_purge_step_drops_the_earlier_attempts_points(tmp_path) -> None:
    with SummaryWriter(tmp_path) as writer:
        for step in range(10):
            writer.add_scalar("x", 1.0, step)
            writer.add_scalars("pair", {"a": 1.0}, step)
    with SummaryWriter(tmp_path, purge_step=5) as writer:
        for step in range(5, 8):
            writer.add_scalar("x", 2.0, step)
            writer.add_scalars("pair", {"a": 2.0}, step)
    steps, values, _ = scalar_arrays(accumulator(tmp_path), "x")
    assert steps.tolist() == list(range(8))
    assert values.tolist() == [1.0] * 5 + [2.0] * 3
    sub = accumulator(tmp_path / "pair_a")
    assert scalar_arrays(sub, "pair")[1].tolist() == [1.0] * 5 + [2.0] * 3


def _only_file_version(logdir) -> bool:
    return all(
        [e.WhichOneof("what") for e in read_events(path)] == ["file_version"]
        for paths in run_files(str(logdir)).values()
        for path in paths
    )


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda w: w.add_scalar("x", "1.0", 0),
            TypeError,
            r"add_scalar\(scalar_value=\.\.\.\): expected a real number, got str",
        ),
        (lambda w: w.add_scalar("x", None, 0), TypeError, r"scalar_value=.*got NoneType"),
        (lambda w: w.add_scalar("x", 1 + 2j, 0), TypeError, r"scalar_value=.*got complex"),
        (lambda w: w.add_scalar("x", np.ones(3), 0), ValueError, r"scalar_value=.*shape \(3,\)"),
        (
            lambda w: w.add_scalar("", 1.0, 0),
            ValueError,
            r"add_scalar\(tag=\.\.\.\): expected a non-empty str",
        ),
        (lambda w: w.add_scalar(3, 1.0, 0), TypeError, r"tag=.*got int"),
        (
            lambda w: w.add_scalar("x", 1.0, 1.5),
            TypeError,
            r"global_step=.*expected an integer step, got float",
        ),
        (lambda w: w.add_scalar("x", 1.0, "3"), TypeError, r"global_step=.*got str"),
        (lambda w: w.add_scalar("x", 1.0, True), TypeError, r"global_step=.*got bool"),
        (lambda w: w.add_scalar("x", 1.0, 2**63), ValueError, r"global_step=.*within int64"),
        (lambda w: w.add_scalar("x", 1.0, 0, walltime=math.nan), ValueError, r"walltime=.*finite"),
        (lambda w: w.add_scalars("m", {"a": 1.0, "b": "x"}, 0), TypeError, r"tag_scalar_dict\['b'\]"),
        (lambda w: w.add_scalars("m", [1.0], 0), TypeError, r"tag_scalar_dict=.*mapping"),
        (lambda w: w.add_scalars("m", {"a": 1.0}, 0, layout="x"), ValueError, r"layout=.*'runs' or 'tags'"),
        (
            lambda w: w.add_series("s", np.ones((2, 2, 2))),
            ValueError,
            r"add_series\(values=\.\.\.\): expected shape \(T,\) or \(T, N\), got shape \(2, 2, 2\)",
        ),
        (lambda w: w.add_series("s", ["a", "b"]), TypeError, r"values=.*numeric"),
        (lambda w: w.add_series("s", np.ones((4, 2)), names=["a"]), ValueError, r"names=.*expected 2 names"),
        (lambda w: w.add_series("s", np.ones(4), steps=[0, 1]), ValueError, r"steps=.*expected 4 steps"),
        (lambda w: w.add_series("s", np.ones(2), steps=[0.0, 1.0]), TypeError, r"steps=.*integers"),
        (lambda w: w.add_series("s", np.ones(2), walltimes=[1.0]), ValueError, r"walltimes=.*shape \(1,\)"),
    ],
)
def test_bad_input_names_the_argument_and_writes_nothing(tmp_path, call, error, message) -> None:
    writer = SummaryWriter(tmp_path)
    with pytest.raises(error, match=message):
        call(writer)
    writer.close()
    assert _only_file_version(tmp_path)


def test_served_by_tensorboard(tensorboard_server) -> None:
    logdir = os.path.join(tensorboard_server.logdir, "served")
    values = np.linspace(0, 1, 120)
    with SummaryWriter(logdir) as writer:
        for step, value in enumerate(values.tolist()):
            writer.add_scalar("loss", value, step, walltime=1000.0 + step)
        writer.add_scalars("rate", {"exc": 1.0, "inh": 2.0}, 0)
        writer.add_series("trace", values * 2)
    points = tensorboard_server.scalars("served", "loss", 120)
    assert [p[1] for p in points] == list(range(120))
    assert [p[2] for p in points] == f32(values)
    assert [p[0] for p in points] == [1000.0 + s for s in range(120)]
    assert tensorboard_server.scalars("served/rate_inh", "rate", 1)[0][2] == 2.0
    assert [p[2] for p in tensorboard_server.scalars("served", "trace", 120)] == f32(values * 2)


def test_custom_scalars_layout_is_served(tensorboard_server) -> None:
    logdir = os.path.join(tensorboard_server.logdir, "layout")
    with SummaryWriter(logdir) as writer:
        writer.add_scalars("loss", {"train": 1.0, "val": 2.0}, 0, layout="tags")
        writer.add_scalars("acc", {"train": 0.5}, 0, layout="tags")
        writer.add_scalars("loss", {"test": 3.0}, 1, layout="tags")

    def charts(layout) -> dict:
        return {
            chart["title"]: chart["multiline"]["tag"]
            for category in layout.get("category", [])
            for chart in category["chart"]
        }

    layout = tensorboard_server.wait_for(
        lambda: tensorboard_server.get("/data/plugin/custom_scalars/layout"),
        lambda layout: set(charts(layout)) >= {"loss", "acc"} and len(charts(layout)["loss"]) == 3,
    )
    assert charts(layout)["loss"] == ["^loss/train$", "^loss/val$", "^loss/test$"]
    assert charts(layout)["acc"] == ["^acc/train$"]
    scalars = tensorboard_server.get("/data/plugin/custom_scalars/scalars", run="layout", tag="^loss/train$")
    assert scalars["regex_valid"]


# -- names that become folders, and values a flush could not write ------------------------------------


def _log_good_then(tmp_path, call) -> None:
    """Log 1,000 good scalars into logs/run, make the bad ``call``, close, and check every good one is kept."""
    run = tmp_path / "logs" / "run"
    writer = SummaryWriter(run)
    for step in range(1000):
        writer.add_scalar("good", step / 8, step)
    try:
        call(writer)
    finally:
        writer.close()
    # Nothing was made outside the logdir, and nothing but the run inside it.
    assert sorted(os.listdir(tmp_path)) == ["logs"]
    assert sorted(os.listdir(tmp_path / "logs")) == ["run"]
    assert list(run_files(str(tmp_path))) == ["logs/run"]
    frame = collect_events(str(tmp_path), type="scalar")
    assert frame["tag"].unique().tolist() == ["good"]
    assert frame["value"].tolist() == [step / 8 for step in range(1000)]
    steps, values, _ = scalar_arrays(accumulator(run), "good")
    assert steps.tolist() == list(range(1000))
    assert accumulator(run).Tags()["scalars"] == ["good"]


# Keys of add_scalars and names of add_series are the end of a sub-run "<tag>_<key>": ".." and a
# leading "/" are harmless there ("loss_..", "loss_/x"), a second part is not.
_KEY_ESCAPES = ["../../../x", "a/../../..", "a/b/../../..", "a//b", "a/", "x\0y"]
_RUN_ESCAPES = [*_KEY_ESCAPES, "..", "../..", "ABSOLUTE"]


@pytest.mark.parametrize(
    ("call", "argument", "name"),
    [
        *[
            (
                lambda w, name: w.add_scalars("loss", {"train": 0.1, name: 0.5}, 0),
                r"tag_scalar_dict key",
                name,
            )
            for name in _KEY_ESCAPES
        ],
        *[
            (lambda w, name: w.add_series("v", np.ones((3, 2)), names=["ok", name]), r"names", name)
            for name in _KEY_ESCAPES
        ],
        *[
            (lambda w, name: w.add_hparams({"lr": 0.1}, run_name=name), r"run_name", name)
            for name in _RUN_ESCAPES
        ],
    ],
    ids=[f"add_scalars-{n!r}" for n in _KEY_ESCAPES]
    + [f"add_series-{n!r}" for n in _KEY_ESCAPES]
    + [f"add_hparams-{n!r}" for n in _RUN_ESCAPES],
)
def test_names_that_become_folders_stay_inside_the_logdir(tmp_path, call, argument, name) -> None:
    if name == "ABSOLUTE":
        name = str(tmp_path / "elsewhere")

    def bad(writer):
        with pytest.raises(
            ValueError, match=rf"\({argument}=\.\.\.\): expected a relative name inside the logdir"
        ):
            call(writer, name)

    _log_good_then(tmp_path, bad)


def test_tags_are_not_paths(tmp_path) -> None:
    # A tag with '..' or a leading '/' is only a name in the file: it stays as given.
    with SummaryWriter(tmp_path) as writer:
        writer.add_scalar("../up", 1.0, 0)
        writer.add_scalar("/abs", 2.0, 0)
        writer.add_scalars("m", {"a/b": 3.0}, 0, layout="tags")
    assert sorted(accumulator(tmp_path).Tags()["scalars"]) == ["../up", "/abs", "m/a/b"]
    assert sorted(os.listdir(tmp_path)) == [
        name for name in sorted(os.listdir(tmp_path)) if "tfevents" in name
    ]


def test_a_key_below_its_sub_run_is_a_nested_run(tmp_path) -> None:
    with SummaryWriter(tmp_path) as writer:
        writer.add_scalars("loss", {"train/fold1": 0.5}, 0)
    assert list(run_files(str(tmp_path))) == [".", "loss_train/fold1"]


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda w: w.add_scalar("bad\ud800", 1.0, 0), r"add_scalar\(tag=\.\.\.\)"),
        (lambda w: w.add_scalar("bad\udfff/x", 1.0), r"add_scalar\(tag=\.\.\.\)"),
        (lambda w: w.add_scalars("m", {"bad\ud800": 1.0}, 0), r"add_scalars\(tag_scalar_dict key=\.\.\.\)"),
        (lambda w: w.add_scalars("bad\ud800", {"a": 1.0}, 0), r"add_scalars\(main_tag=\.\.\.\)"),
        (lambda w: w.add_text("notes", "bad\ud800", 0), r"add_text\(text_string=\.\.\.\)"),
        (lambda w: w.add_text("notes", ["ok", "bad\ud800"], 0), r"add_text\(text_string=\.\.\.\)"),
        (lambda w: w.add_histogram("bad\ud800", [1.0, 2.0], 0), r"add_histogram\(tag=\.\.\.\)"),
        (lambda w: w.add_series("bad\ud800", [1.0, 2.0]), r"add_series\(tag=\.\.\.\)"),
        (
            lambda w: w.add_image("bad\ud800", np.zeros((2, 2)), 0, dataformats="HW"),
            r"add_image\(tag=\.\.\.\)",
        ),
    ],
)
def test_text_utf8_cannot_encode_is_refused_at_the_call(tmp_path, call, argument) -> None:
    # Accepted, a lone surrogate made the flush fail and lost every good scalar of the batch.
    def bad(writer):
        with pytest.raises(ValueError, match=rf"{argument}: expected text that UTF-8 can encode"):
            call(writer)

    _log_good_then(tmp_path, bad)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda w: w.add_scalar("x", 10**400, 0),
            ValueError,
            r"add_scalar\(scalar_value=\.\.\.\): .*float64's range",
        ),
        (lambda w: w.add_scalars("m", {"a": -(10**400)}, 0), ValueError, r"tag_scalar_dict\['a'\].*float64"),
        (
            lambda w: w.add_custom_scalars({"c": {"chart": ["Multiline"]}}),
            ValueError,
            r"add_custom_scalars\(layout\['c'\]\['chart'\]=\.\.\.\): expected \[kind, tags\]",
        ),
        (
            lambda w: w.add_custom_scalars({"c": {"chart": "Multiline"}}),
            ValueError,
            r"layout\['c'\]\['chart'\]=.*expected \[kind, tags\]",
        ),
        (
            lambda w: w.add_custom_scalars({"c": {"chart": ["Multiline", "loss"]}}),
            TypeError,
            r"layout\['c'\]\['chart'\]=.*expected a list of tags, got str",
        ),
        (
            lambda w: w.add_custom_scalars({"c": ["Multiline", ["loss"]]}),
            TypeError,
            r"add_custom_scalars\(layout=\.\.\.\): category 'c' must be a dict of charts, got list",
        ),
        (
            lambda w: w.add_custom_scalars({"c": {"chart": ["Margin", ["a", "b"]]}}),
            ValueError,
            r"layout\['c'\]\['chart'\]=.*\[value, lower, upper\]",
        ),
        (
            lambda w: w.add_custom_scalars({"c": {"chart": ["Multiline", [1]]}}),
            TypeError,
            r"layout\['c'\]\['chart'\] tag=",
        ),
        (
            lambda w: w.add_histogram("h", [1.0, 2.0], 0, bins=10**9),
            ValueError,
            r"add_histogram\(bins=\.\.\.\): expected at most 1,000,000",
        ),
    ],
)
def test_values_no_flush_could_write_are_refused(tmp_path, call, error, message) -> None:
    def bad(writer):
        with pytest.raises(error, match=message):
            call(writer)

    _log_good_then(tmp_path, bad)


def test_the_peers_write_such_names_outside_the_logdir(tmp_path, monkeypatch) -> None:
    # What docs/from-tensorboardx.md says of the peers: the run lands where the name points.
    tensorboardX = pytest.importorskip("tensorboardX")
    torch_tensorboard = pytest.importorskip("torch.utils.tensorboard")
    monkeypatch.chdir(tmp_path)
    writer = tensorboardX.SummaryWriter("logs/run")
    writer.add_scalars("loss", {"../../../x": 1.0}, 0)
    writer.close()
    writer = torch_tensorboard.SummaryWriter("logs/run2")
    writer.add_hparams({"lr": 0.1}, {"m": 1.0}, run_name="../../z")
    writer.close()
    assert any("tfevents" in name for name in os.listdir(tmp_path / "x"))
    assert any("tfevents" in name for name in os.listdir(tmp_path / "z"))
    with SummaryWriter("logs/ours") as ours:
        for call in (
            lambda: ours.add_scalars("loss", {"../../../x": 1.0}, 0),
            lambda: ours.add_hparams({"lr": 0.1}, {"m": 1.0}, run_name="../../z"),
        ):
            with pytest.raises(ValueError, match="expected a relative name inside the logdir"):
                call()
    assert list(run_files("logs/ours")) == ["."]
