"""SummaryWriter's files from open to close and after, beside torch's and tensorboardX's.

``file_writer`` and ``all_writers``, a writer used after ``close()``,
``write_to_disk=False``, tensorboardX's constructor arguments,
``use_metadata`` and ``export_scalars_to_json``: the same calls on the peers'
writers and ours, read back by TensorBoard's EventAccumulator.
"""

from __future__ import annotations

import json
import os
import threading

import numpy as np
import pytest

from neuroboard import SummaryWriter, collect_events
from neuroboard.format.codec import Event, Summary
from neuroboard.io.reader import read_events, run_files
from neuroboard.summary import scalar, text
from tests.tb import accumulator, scalar_arrays

torch_tensorboard = pytest.importorskip("torch.utils.tensorboard")
tensorboardX = pytest.importorskip("tensorboardX")

TORCH = torch_tensorboard.SummaryWriter
TBX = tensorboardX.SummaryWriter
PEERS = {"torch": TORCH, "tensorboardX": TBX}


def _events(logdir, what: str) -> list[Event]:
    return [
        event
        for paths in run_files(str(logdir)).values()
        for path in paths
        for event in read_events(path)
        if event.WhichOneof("what") == what
    ]


# -- file_writer and all_writers ---------------------------------------------------------------------------


@pytest.mark.parametrize("peer", ["torch", "tensorboardX"])
def test_all_writers_has_a_file_writer_per_run_as_the_peers(tmp_path, peer) -> None:
    writers = {"peer": PEERS[peer](str(tmp_path / "peer")), "ours": SummaryWriter(tmp_path / "ours")}
    runs = {}
    for name, writer in writers.items():
        writer.add_scalar("x", 1.0, 0)
        writer.add_scalars("loss/all", {"train": 1.0, "val": 2.0}, 0)
        logdir = writer.file_writer.get_logdir()
        assert logdir == str(tmp_path / name)
        runs[name] = {os.path.relpath(key, logdir): type(w).__name__ for key, w in writer.all_writers.items()}
        assert writer.all_writers[logdir] is writer.file_writer
        writer.close()
        assert writer.file_writer is None
        assert writer.all_writers is None
    if peer == "torch":
        assert (
            runs["ours"]
            == runs["peer"]
            == {".": "FileWriter", "loss_all_train": "FileWriter", "loss_all_val": "FileWriter"}
        )
    else:  # tensorboardX names the sub-runs <main_tag>/<key>
        assert set(runs["peer"]) == {".", "loss/all/train", "loss/all/val"}


def test_file_writer_add_summary_and_add_event_as_torch(tmp_path) -> None:
    def call(writer):
        fw = writer.file_writer
        fw.add_summary(scalar("loss", 0.5), 5, walltime=2.0)
        fw.add_event(Event(step=9, summary=scalar("loss", 0.25)), walltime=3.0)
        fw.add_event(Event(step=9, summary=scalar("loss", 0.125)), step=11, walltime=4.0)
        fw.add_summary(text("notes", "hi"), 1, walltime=5.0)
        fw.flush()
        writer.add_scalars("pair", {"a": 1.0}, 0)
        writer.all_writers[os.path.join(fw.get_logdir(), "pair_a")].add_summary(scalar("pair", 2.0), 1, 6.0)

    logdirs = {}
    for name, make in {"torch": TORCH, "neuroboard": SummaryWriter}.items():
        logdirs[name] = str(tmp_path / name)
        writer = make(logdirs[name])
        call(writer)
        writer.close()
    for logdir in logdirs.values():
        acc = accumulator(logdir)
        assert [(e.wall_time, e.step, e.value) for e in acc.Scalars("loss")] == [
            (2.0, 5, 0.5),
            (3.0, 9, 0.25),
            (4.0, 11, 0.125),
        ]
        assert [(e.wall_time, e.step) for e in acc.Tensors("notes")] == [(5.0, 1)]
        assert [(e.step, e.value) for e in accumulator(os.path.join(logdir, "pair_a")).Scalars("pair")] == [
            (0, 1.0),
            (1, 2.0),
        ]


def test_file_writer_add_event_leaves_the_event_as_it_was(tmp_path) -> None:
    event = Event(step=3, wall_time=1.0, summary=scalar("x", 1.0))
    with SummaryWriter(tmp_path) as writer:
        writer.file_writer.add_event(event, step=4, walltime=2.0)
    assert (event.step, event.wall_time) == (3, 1.0)
    assert [(e.step, e.wall_time) for e in accumulator(tmp_path).Scalars("x")] == [(4, 2.0)]


def test_file_writer_close_and_reopen_go_on_in_a_new_file(tmp_path) -> None:
    with SummaryWriter(tmp_path) as writer:
        writer.add_scalar("x", 1.0)
        writer.file_writer.close()
        writer.add_scalar("x", 2.0)
        writer.file_writer.close()
        writer.file_writer.reopen()
        writer.file_writer.add_summary(scalar("x", 3.0))
    assert len(run_files(str(tmp_path))["."]) == 3
    steps, values, _ = scalar_arrays(accumulator(tmp_path), "x")
    assert (steps.tolist(), values.tolist()) == ([0, 1, 2], [1.0, 2.0, 3.0])


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda fw: fw.add_summary({"x": 1.0}),
            TypeError,
            r"^FileWriter\.add_summary\(summary=\.\.\.\): expected a Summary proto, got dict",
        ),
        (
            lambda fw: fw.add_event(Summary()),
            TypeError,
            r"^FileWriter\.add_event\(event=\.\.\.\): expected a Event proto, got Summary",
        ),
        (
            lambda fw: fw.add_event(Event(), step=1.5),
            TypeError,
            r"^FileWriter\.add_event\(global_step=\.\.\.\): expected an integer step",
        ),
        (
            lambda fw: fw.add_summary(Summary(), walltime=float("nan")),
            ValueError,
            r"^FileWriter\.add_summary\(walltime=\.\.\.\): expected finite",
        ),
        (
            lambda fw: fw.add_graph((1,)),
            ValueError,
            r"^FileWriter\.add_graph\(graph_profile=\.\.\.\): expected a \(GraphDef, RunMetadata\) pair, got 1 item",
        ),
        (
            lambda fw: fw.add_graph(("x", "y")),
            TypeError,
            r"^FileWriter\.add_graph\(graph_profile=\.\.\.\): expected a \(GraphDef, RunMetadata\) pair, got \(str, str\)",
        ),
        (
            lambda fw: fw.add_graph(None),
            TypeError,
            r"^FileWriter\.add_graph\(graph_profile=\.\.\.\): expected a \(GraphDef, RunMetadata\) pair, got NoneType",
        ),
    ],
)
def test_file_writer_refuses_what_is_no_proto(tmp_path, call, error, message) -> None:
    writer = SummaryWriter(tmp_path)
    with pytest.raises(error, match=message):
        call(writer.file_writer)
    writer.close()
    assert [e.WhichOneof("what") for e in read_events(run_files(str(tmp_path))["."][0])] == ["file_version"]


# -- after close() -------------------------------------------------------------------------------------------


def test_a_writer_used_after_close_writes_a_new_file_as_the_peers(tmp_path) -> None:
    for name, make in {**PEERS, "neuroboard": SummaryWriter}.items():
        logdir = tmp_path / name
        writer = make(str(logdir))
        writer.add_scalar("x", 1.0, 0)
        writer.add_scalars("pair", {"a": 1.0}, 0)
        writer.close()
        writer.add_scalar("x", 2.0, 1)
        writer.add_text("notes", "after close", 1)
        writer.add_scalars("pair", {"a": 2.0}, 1)
        assert writer.file_writer is not None
        writer.close()
        writer.close()
        steps, values, _ = scalar_arrays(accumulator(logdir), "x")
        assert accumulator(logdir).Tags()["tensors"] == ["notes/text_summary"], name
        if name == "tensorboardX":
            # Its file is named by the second alone: reopened within the same second, the new
            # file replaces the first one, and what was logged before close() is gone.
            assert (steps.tolist()[-1:], values.tolist()[-1:]) == ([1], [2.0])
            continue
        assert len(run_files(str(logdir))["."]) == 2, name
        assert (steps.tolist(), values.tolist()) == ([0, 1], [1.0, 2.0]), name
    sub = accumulator(tmp_path / "neuroboard" / "pair_a")
    assert scalar_arrays(sub, "pair")[1].tolist() == [1.0, 2.0]


def test_steps_left_out_go_on_after_close(tmp_path) -> None:
    writer = SummaryWriter(tmp_path)
    writer.add_scalar("x", 1.0)
    writer.add_scalars("pair", {"a": 1.0})
    writer.add_series("s", [1.0, 2.0])
    writer.close()
    writer.add_scalar("x", 2.0)
    writer.add_scalars("pair", {"a": 2.0})
    writer.add_series("s", [3.0])
    writer.close()
    acc = accumulator(tmp_path)
    assert scalar_arrays(acc, "x")[0].tolist() == [0, 1]
    assert scalar_arrays(acc, "s")[0].tolist() == [0, 1, 2]
    assert scalar_arrays(accumulator(tmp_path / "pair_a"), "pair")[0].tolist() == [0, 1]


def test_hparams_session_ends_once_and_purge_step_marks_the_first_file_only(tmp_path) -> None:
    writer = SummaryWriter(tmp_path, purge_step=5)
    writer.add_hparams({"lr": 0.1}, {"accuracy": 0.5})
    writer.close()
    writer.close()
    with pytest.warns(UserWarning, match="already has hparams"):
        writer.add_hparams({"lr": 0.2})
    writer.add_scalar("accuracy", 0.75, 6)
    writer.close()
    ends = [
        v
        for e in _events(tmp_path, "summary")
        for v in e.summary.value
        if v.tag == "_hparams_/session_end_info"
    ]
    assert len(ends) == 1
    first, second = run_files(str(tmp_path))["."]
    assert [e.session_log.status for e in read_events(first) if e.HasField("session_log")] == [1]
    assert not any(e.HasField("session_log") for e in read_events(second))


def test_a_closed_writers_repr_says_so_until_it_is_used(tmp_path) -> None:
    writer = SummaryWriter(tmp_path)
    writer.close()
    assert repr(writer).endswith("closed>")
    writer.add_scalar("x", 1.0)
    assert not repr(writer).endswith("closed>")
    writer.close()


# -- the constructor's other arguments ------------------------------------------------------------------------


def test_write_to_disk_false_writes_nothing_and_still_checks(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    with TBX("peer", write_to_disk=False) as writer:
        writer.add_scalar("x", 1.0, 0)
    with SummaryWriter("ours", write_to_disk=False) as writer:
        writer.add_scalar("x", 1.0)
        writer.add_scalars("m", {"a": 0.1, "b": 0.2}, 0)
        writer.add_series("s", np.ones((3, 2)))
        writer.add_text("t", "hi", 0)
        writer.add_hparams({"lr": 0.1}, {"acc": 1.0}, run_name="trial")
        writer.file_writer.add_summary(scalar("y", 1.0))
        with writer.use_metadata(global_step=3):
            writer.add_scalar("x", 2.0)
        with pytest.raises(ValueError, match=r"add_scalar\(scalar_value=\.\.\.\)"):
            writer.add_scalar("x", np.ones(3))
        with pytest.raises(ValueError, match=r"add_scalars\(tag_scalar_dict key=\.\.\.\)"):
            writer.add_scalars("m", {"../../../x": 1.0})
        writer.flush()
        writer.export_scalars_to_json(str(tmp_path / "scalars.json"))
    writer.add_scalar("x", 3.0)  # after close, still nothing
    writer.close()
    assert sorted(os.listdir(tmp_path)) == ["scalars.json"]
    assert json.loads((tmp_path / "scalars.json").read_text()) == {}
    with SummaryWriter("/", write_to_disk=False) as writer:
        writer.add_scalar("test", 1)
        writer.flush()


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (
            {"comet_config": {"api_key": "k"}},
            ValueError,
            r"^SummaryWriter\(comet_config=\.\.\.\): neuroboard does not log to Comet",
        ),
        ({"comet_config": {"disabled": False}}, ValueError, r"comet_config=.*got \{'disabled': False\}"),
        (
            {"write_to_disk": "no"},
            TypeError,
            r"^SummaryWriter\(write_to_disk=\.\.\.\): expected True or False, got str",
        ),
        ({"flush_sec": 1}, TypeError, r"^SummaryWriter\(\) got an unexpected keyword argument 'flush_sec'"),
    ],
)
def test_tensorboardx_arguments_are_refused_by_name(tmp_path, kwargs, error, message) -> None:
    with pytest.raises(error, match=message):
        SummaryWriter(tmp_path / "run", **kwargs)
    assert not (tmp_path / "run").exists()


def test_comet_config_asking_for_nothing_is_taken(tmp_path) -> None:
    for config in (None, {"disabled": True}, {"disabled": True, "project_name": "p"}):
        with SummaryWriter(tmp_path, comet_config=config) as writer:
            writer.add_scalar("x", 1.0)
    assert len(run_files(str(tmp_path))["."]) == 3


def test_an_empty_logdir_is_the_default_one_as_in_the_peers(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    peer = TORCH("", comment="_peer")
    peer.close()
    with SummaryWriter("", comment="_ours") as ours, SummaryWriter(log_dir="", comment="_too") as too:
        pass
    assert (
        os.path.dirname(ours.logdir) == os.path.dirname(too.logdir) == os.path.dirname(peer.log_dir) == "runs"
    )
    assert sorted(name.rsplit("_", 1)[1] for name in os.listdir("runs")) == ["ours", "peer", "too"]


# -- use_metadata -------------------------------------------------------------------------------------------


def test_use_metadata_as_tensorboardx(tmp_path) -> None:
    def call(writer):
        with writer.use_metadata(global_step=17, walltime=13.0):
            writer.add_scalar("defaults", 0.1)
            writer.add_scalar("step_given", 0.2, global_step=7)
            writer.add_scalar("walltime_given", 0.3, walltime=18.0)
            writer.add_text("notes", "hi")
        writer.add_scalar("after", 0.4, walltime=20.0)

    got = {}
    for name, make in {"tensorboardX": TBX, "neuroboard": SummaryWriter}.items():
        writer = make(str(tmp_path / name))
        call(writer)
        writer.close()
        acc = accumulator(tmp_path / name)
        got[name] = {tag: [(e.step, e.wall_time) for e in acc.Scalars(tag)] for tag in acc.Tags()["scalars"]}
        got[name]["notes"] = [(e.step, e.wall_time) for e in acc.Tensors("notes/text_summary")]
    assert (
        got["neuroboard"]
        == got["tensorboardX"]
        == {
            "defaults": [(17, 13.0)],
            "step_given": [(7, 13.0)],
            "walltime_given": [(17, 18.0)],
            "after": [(0, 20.0)],
            "notes": [(17, 13.0)],
        }
    )


def test_use_metadata_nests_reaches_sub_runs_and_ends_with_its_block(tmp_path) -> None:
    with SummaryWriter(tmp_path) as writer:
        with writer.use_metadata(walltime=5.0):
            with writer.use_metadata(global_step=3):
                writer.add_scalars("pair", {"a": 1.0})
                writer.file_writer.add_summary(scalar("raw", 1.0))
            writer.add_scalar("outer", 1.0)
        with pytest.raises(RuntimeError), writer.use_metadata(global_step=50):
            raise RuntimeError
        writer.add_scalar("outer", 2.0, walltime=6.0)
    assert [(e.step, e.wall_time) for e in accumulator(tmp_path / "pair_a").Scalars("pair")] == [(3, 5.0)]
    assert [(e.step, e.wall_time) for e in accumulator(tmp_path).Scalars("raw")] == [(3, 5.0)]
    assert [(e.step, e.wall_time) for e in accumulator(tmp_path).Scalars("outer")] == [(0, 5.0), (1, 6.0)]


def test_use_metadata_blocks_of_two_threads_that_overlap_end_each_its_own(tmp_path) -> None:
    # Two threads' blocks, driven by hand: A opens, B opens, A closes (B still open), B closes.
    with SummaryWriter(tmp_path) as writer:
        block_a = writer.use_metadata(global_step=10, walltime=1.0)
        block_b = writer.use_metadata(walltime=2.0)
        block_a.__enter__()
        block_b.__enter__()
        writer.add_scalar("both", 1.0)
        block_a.__exit__(None, None, None)
        assert writer._defaults == (None, 2.0)  # B's own, A's step is gone with A
        writer.add_scalar("b_only", 1.0)
        block_b.__exit__(None, None, None)
        assert writer._defaults is None
        writer.add_scalar("after", 1.0, walltime=3.0)
    acc = accumulator(tmp_path)
    assert [(e.step, e.wall_time) for e in acc.Scalars("both")] == [(10, 2.0)]
    assert [(e.step, e.wall_time) for e in acc.Scalars("b_only")] == [(0, 2.0)]
    assert [(e.step, e.wall_time) for e in acc.Scalars("after")] == [(0, 3.0)]


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({}, ValueError, r"^use_metadata\(\): expected global_step=, walltime= or both, got neither"),
        ({"global_step": 1.5}, TypeError, r"^use_metadata\(global_step=\.\.\.\): expected an integer step"),
        ({"walltime": float("inf")}, ValueError, r"^use_metadata\(walltime=\.\.\.\): expected finite"),
    ],
)
def test_use_metadata_refuses_bad_defaults(tmp_path, kwargs, error, message) -> None:
    with SummaryWriter(tmp_path) as writer:
        with pytest.raises(error, match=message), writer.use_metadata(**kwargs):
            pass
        assert writer._defaults is None


# -- export_scalars_to_json -------------------------------------------------------------------------------------


def test_export_scalars_to_json_has_tensorboardxs_layout(tmp_path) -> None:
    def call(writer):
        for step in range(3):
            writer.add_scalars(
                "data/group", {"xsinx": step * 0.5, "arctan": step * 0.25}, step, walltime=10.0 + step
            )

    exported = {}
    for name, make in {"tensorboardX": TBX, "neuroboard": SummaryWriter}.items():
        logdir = str(tmp_path / name)
        writer = make(logdir)
        call(writer)
        path = tmp_path / f"{name}.json"
        writer.export_scalars_to_json(str(path))
        writer.close()
        exported[name] = {
            os.path.relpath(key, logdir): points for key, points in json.loads(path.read_text()).items()
        }
    assert exported["neuroboard"] == exported["tensorboardX"]
    assert exported["neuroboard"][os.path.join("data", "group", "arctan")] == [
        [10.0, 0, 0.0],
        [11.0, 1, 0.25],
        [12.0, 2, 0.5],
    ]


def test_export_scalars_to_json_holds_every_scalar_this_writer_wrote(tmp_path) -> None:
    logdir = str(tmp_path / "run")
    with SummaryWriter(logdir, max_file_bytes=200) as other:
        other.add_scalar("loss", 9.0, 0)  # another writer's file in the same run: not exported
    writer = SummaryWriter(logdir, max_file_bytes=200)
    for step in range(40):
        writer.add_scalar("loss", step / 4, step, walltime=float(step))
        if step % 10 == 0:
            writer.flush()  # a new file every 200 bytes
    writer.add_scalar("precise", 0.1, 0, walltime=1.0, new_style=True, double_precision=True)
    writer.add_series("trace", np.ones((2, 2)), walltimes=2.0, names=["exc", "inh"])
    writer.add_hparams({"lr": 0.1}, {"accuracy": 0.5}, run_name="trial")
    writer.close()
    writer.add_scalars("pair", {"a": 1.0}, 0, walltime=3.0)  # after close: a new file
    out = tmp_path / "scalars.json"
    writer.export_scalars_to_json(out)
    writer.close()
    assert len(run_files(logdir)["."]) > 3
    series = {os.path.relpath(key, logdir): points for key, points in json.loads(out.read_text()).items()}
    assert sorted(series) == sorted(
        [
            "loss",
            "precise",
            os.path.join("trace", "exc"),
            os.path.join("trace", "inh"),
            os.path.join("trial", "accuracy"),
            os.path.join("pair", "a"),
        ]
    )
    assert series["loss"] == [[float(step), step, step / 4] for step in range(40)]
    assert series["precise"] == [[1.0, 0, 0.1]]
    assert series[os.path.join("trace", "inh")] == [[2.0, 0, 1.0], [2.0, 1, 1.0]]
    assert [point[1:] for point in series[os.path.join("trial", "accuracy")]] == [[0, 0.5]]
    assert series[os.path.join("pair", "a")] == [[3.0, 0, 1.0]]
    assert len(collect_events(logdir, type="scalar")) == 40 + 1 + 4 + 1 + 1 + 1


def test_export_scalars_to_json_keeps_the_files_of_every_close(tmp_path) -> None:
    # Each close() used to forget the files it closed: only the last two opens were exported.
    writer = SummaryWriter(tmp_path)
    for step in range(3):
        writer.add_scalar("a", float(step), step, walltime=float(step))
        writer.add_scalars("pair", {"k": float(step)}, step, walltime=float(step))
        if step < 2:
            writer.close()
    out = tmp_path / "scalars.json"
    writer.export_scalars_to_json(out)
    writer.close()
    series = {os.path.relpath(key, tmp_path): points for key, points in json.loads(out.read_text()).items()}
    assert series["a"] == [[float(step), step, float(step)] for step in range(3)]
    assert series[os.path.join("pair", "k")] == [[float(step), step, float(step)] for step in range(3)]


def test_the_hparams_recipe_through_get_file_writer_as_torch(tmp_path) -> None:
    # A common torch recipe writes hparams into the run itself through the private _get_file_writer().
    from torch.utils.tensorboard.summary import hparams

    def recipe(writer_class, logdir) -> None:
        writer = writer_class(str(logdir))
        writer.close()  # after close() the method opens a new file, in torch as here
        for summary in hparams({"lr": 0.1, "opt": "adam"}, {"loss": 0.5}):
            writer._get_file_writer().add_summary(summary)
        writer.add_scalar("loss", 0.5, 1)
        writer.close()

    recipe(TORCH, tmp_path / "torch")
    recipe(SummaryWriter, tmp_path / "ours")
    theirs, ours = accumulator(tmp_path / "torch"), accumulator(tmp_path / "ours")
    assert ours.Tags()["tensors"] == theirs.Tags()["tensors"]
    for tag in theirs.Tags()["tensors"]:
        assert ours.SummaryMetadata(tag) == theirs.SummaryMetadata(tag)
    assert scalar_arrays(ours, "loss")[1].tolist() == [0.5]


# -- logging while another thread closes the writer -------------------------------------------------------------


def _close_after_next_live(writer) -> None:
    """Make the next ``_live`` hand out its writer, then have another thread close the SummaryWriter.

    The call under test thus holds a writer that is closed before it writes: the interleaving of a
    close() in another thread between the two steps, made certain.
    """
    live = writer._live

    def live_then_closed(run):
        got = live(run)
        del writer._live  # once: close() and the retry use the real one
        closer = threading.Thread(target=writer.close)
        closer.start()
        closer.join()
        assert got.closed
        return got

    writer._live = live_then_closed


def _graph_kinds(logdir) -> list[str]:
    return [event.WhichOneof("what") for event in _events(logdir, "graph_def")]


CLOSED_MEANWHILE = {
    "add_text": (lambda w: w.add_text("notes", "hi", 4), lambda d: accumulator(d).Tags()["tensors"]),
    "add_summary": (
        lambda w: w.add_summary(scalar("raw", 1.0), 4),
        lambda d: accumulator(d).Tags()["scalars"],
    ),
    "file_writer.add_event": (
        lambda w: w.file_writer.add_event(Event(summary=scalar("raw", 1.0)), step=4),
        lambda d: accumulator(d).Tags()["scalars"],
    ),
    "add_onnx_graph": (
        lambda w: w.add_onnx_graph(_relu_onnx()),
        lambda d: _graph_kinds(d),
    ),
    "add_hparams": (
        lambda w: w.add_hparams({"lr": 0.1}, {"accuracy": 0.5}),
        lambda d: sorted(accumulator(d).Tags()["scalars"] + accumulator(d).Tags()["tensors"]),
    ),
    "add_scalars_tags": (
        lambda w: w.add_scalars("pair", {"a": 1.0, "b": 2.0}, 4, layout="tags"),
        lambda d: accumulator(d).Tags()["scalars"],
    ),
    "add_scalars_runs": (
        lambda w: w.add_scalars("pair", {"a": 1.0}, 4),
        lambda d: accumulator(os.path.join(d, "pair_a")).Tags()["scalars"],
    ),
    "add_series": (lambda w: w.add_series("trace", np.ones(3)), lambda d: accumulator(d).Tags()["scalars"]),
    "add_series_2d": (
        lambda w: w.add_series("trace", np.ones((3, 2)), names=["x", "y"]),
        lambda d: accumulator(os.path.join(d, "trace_y")).Tags()["scalars"],
    ),
}
EXPECTED_AFTER_CLOSE = {
    "add_text": ["notes/text_summary"],
    "add_summary": ["raw"],
    "file_writer.add_event": ["raw"],
    "add_onnx_graph": ["graph_def"],
    "add_hparams": ["_hparams_/session_end_info", "_hparams_/session_start_info", "accuracy"],
    "add_scalars_tags": ["pair/a", "pair/b"],
    "add_scalars_runs": ["pair"],
    "add_series": ["trace"],
    "add_series_2d": ["trace"],
}


def _relu_onnx():
    onnx = pytest.importorskip("onnx")
    helper = onnx.helper
    x = helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [4])
    return helper.make_model(helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g", [x], []))


@pytest.mark.parametrize("call", sorted(CLOSED_MEANWHILE))
def test_a_call_whose_writer_another_thread_closes_writes_into_a_new_file(tmp_path, call) -> None:
    write, read = CLOSED_MEANWHILE[call]
    writer = SummaryWriter(tmp_path)
    if call == "add_scalars_tags":
        writer.add_scalars("pair", {"a": 0.0, "b": 0.0}, 0, layout="tags")  # the layout is written first
    if call == "add_scalars_runs":
        writer.add_scalars("pair", {"a": 0.0}, 0)  # the key's sub-run is known
    _close_after_next_live(writer)
    write(writer)
    writer.close()
    assert "_live" not in vars(writer)  # the close did happen in between
    assert read(str(tmp_path)) == EXPECTED_AFTER_CLOSE[call]
