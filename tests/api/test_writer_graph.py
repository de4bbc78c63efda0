"""SummaryWriter.add_graph / add_onnx_graph / add_openvino_graph, written beside torch's and tensorboardX's writers."""

from __future__ import annotations

import inspect
import io
import os
import sys
import urllib.error

import pytest
import torch
from google.protobuf import text_format
from onnx import TensorProto, helper, save
from tensorboard.compat.proto.config_pb2 import RunMetadata
from tensorboard.compat.proto.graph_pb2 import GraphDef
from tensorboardX import SummaryWriter as TbxWriter
from torch.utils.tensorboard import SummaryWriter as TorchWriter

from neuroboard import SummaryWriter, collect_events
from tests.tb import accumulator

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::torch.jit.TracerWarning")


class Net(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.features = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU())
        self.head = torch.nn.Linear(8, 2)

    def forward(self, x):
        return self.head(self.features(x.view(-1, 4)))


class DictOut(Net):
    def forward(self, x):
        return {"logits": self.head(self.features(x))}


def relu_model():
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])
    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "relu", [x], [y])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


@pytest.fixture
def onnx_file(tmp_path) -> str:
    path = str(tmp_path / "relu.onnx")
    save(relu_model(), path)
    return path


def written(run_dir) -> list[str]:
    """What each event of the run holds, file_version first."""
    return [event.WhichOneof("what") for event in collect_events(str(run_dir))["event"]]


# -- the signatures are the peers' -----------------------------------------------


def parameters(method) -> list[tuple]:
    return [(p.name, p.kind, p.default) for p in inspect.signature(method).parameters.values()]


@pytest.mark.parametrize("peer", [TorchWriter, TbxWriter], ids=["torch", "tensorboardX"])
def test_add_graph_takes_the_peers_arguments(peer) -> None:
    theirs = parameters(peer.add_graph)
    ours = parameters(SummaryWriter.add_graph)
    assert ours[: len(theirs)] == theirs
    # One keyword of our own, after theirs.
    assert ours[len(theirs) :] == [("check_trace", inspect.Parameter.KEYWORD_ONLY, False)]


def test_add_onnx_graph_takes_both_peers_names() -> None:
    ours = inspect.signature(SummaryWriter.add_onnx_graph).parameters
    (torch_name,) = list(inspect.signature(TorchWriter.add_onnx_graph).parameters)[1:]
    (tbx_name,) = list(inspect.signature(TbxWriter.add_onnx_graph).parameters)[1:]
    assert list(ours)[1] == torch_name == "prototxt"
    assert ours[tbx_name].kind is inspect.Parameter.KEYWORD_ONLY and tbx_name == "onnx_model_file"


def test_add_openvino_graph_takes_tensorboardxs_argument() -> None:
    assert parameters(SummaryWriter.add_openvino_graph) == parameters(TbxWriter.add_openvino_graph)


# -- add_graph: read back as TensorBoard reads torch's --------------------------------


def test_graph_and_run_metadata_read_back_as_torchs(tmp_path) -> None:
    model, x = Net(), torch.zeros(3, 4)
    with SummaryWriter(str(tmp_path / "ours")) as writer:
        writer.add_graph(model, x)
    with TorchWriter(str(tmp_path / "torch")) as writer:
        writer.add_graph(model, x)
    ours, theirs = accumulator(tmp_path / "ours"), accumulator(tmp_path / "torch")
    assert ours.Tags()["graph"] and ours.Tags()["run_metadata"] == theirs.Tags()["run_metadata"] == ["step1"]
    assert ours.Graph() == theirs.Graph()
    assert ours.RunMetadata("step1") == theirs.RunMetadata("step1")
    assert written(tmp_path / "ours") == written(tmp_path / "torch")
    assert written(tmp_path / "ours") == ["file_version", "graph_def", "tagged_run_metadata"]
    assert set(collect_events(str(tmp_path / "ours"))["step"]) == {0}


def test_tensorboardx_writes_the_same_graph_with_another_tag(tmp_path) -> None:
    model, x = Net(), torch.zeros(3, 4)
    with SummaryWriter(str(tmp_path / "ours")) as writer:
        writer.add_graph(model, x)
    with TbxWriter(str(tmp_path / "tbx")) as writer:
        writer.add_graph(model, x)
    ours, theirs = accumulator(tmp_path / "ours"), accumulator(tmp_path / "tbx")
    assert ours.Graph() == theirs.Graph()
    assert theirs.Tags()["run_metadata"] == ["profiler"]
    assert ours.RunMetadata("step1") == theirs.RunMetadata("profiler")


def test_use_metadata_gives_the_graph_events_their_step_and_walltime_as_tensorboardx(
    tmp_path, onnx_file
) -> None:
    def timing(run_dir) -> list[tuple]:
        frame = collect_events(str(run_dir))
        kinds = [event.WhichOneof("what") for event in frame["event"]]
        return [
            (what, step, wall)
            for what, step, wall in zip(kinds, frame["step"], frame["wall_time"])
            if what != "file_version"
        ]

    model, x = Net(), torch.zeros(3, 4)
    for name, make in {"ours": SummaryWriter, "tbx": TbxWriter}.items():
        with make(str(tmp_path / name)) as writer, writer.use_metadata(global_step=5, walltime=7.0):
            writer.add_graph(model, x)
    with SummaryWriter(str(tmp_path / "onnx")) as writer, writer.use_metadata(global_step=2, walltime=3.0):
        writer.add_onnx_graph(onnx_file)
    assert timing(tmp_path / "ours") == timing(tmp_path / "tbx")
    assert timing(tmp_path / "ours") == [("graph_def", 5, 7.0), ("tagged_run_metadata", 5, 7.0)]
    assert timing(tmp_path / "onnx") == [("graph_def", 2, 3.0)]


def test_a_dict_output_needs_a_non_strict_trace(tmp_path) -> None:
    model, x = DictOut(), torch.zeros(1, 4)
    with SummaryWriter(str(tmp_path / "ours")) as writer:
        writer.add_graph(model, x, use_strict_trace=False)
    with TorchWriter(str(tmp_path / "torch")) as writer:
        writer.add_graph(model, x, use_strict_trace=False)
    assert accumulator(tmp_path / "ours").Graph() == accumulator(tmp_path / "torch").Graph()


def test_check_trace_writes_the_same_graph(tmp_path) -> None:
    model, x = Net(), torch.zeros(3, 4)
    with SummaryWriter(str(tmp_path / "once")) as writer:
        writer.add_graph(model, x)
    with SummaryWriter(str(tmp_path / "twice")) as writer:
        writer.add_graph(model, x, check_trace=True)
    assert accumulator(tmp_path / "once").Graph() == accumulator(tmp_path / "twice").Graph()


def test_verbose_prints_nothing(tmp_path, capsys) -> None:
    with SummaryWriter(str(tmp_path)) as writer:
        writer.add_graph(Net(), torch.zeros(1, 4), verbose=True)
    assert capsys.readouterr() == ("", "")


def test_collect_events_reads_a_run_with_a_graph(tmp_path) -> None:
    with SummaryWriter(str(tmp_path)) as writer:
        writer.add_scalar("loss", 0.5, 0)
        writer.add_graph(Net(), torch.zeros(1, 4))
    events = collect_events(str(tmp_path))
    assert list(events["what"]) == ["file_version", "summary", "graph_def", "tagged_run_metadata"]
    (graph_event,) = events.loc[events["what"] == "graph_def", "event"]
    graph = GraphDef.FromString(graph_event.graph_def)
    assert "aten::linear" in [node.op for node in graph.node]
    (tagged,) = events.loc[events["what"] == "tagged_run_metadata", "event"]
    assert tagged.tagged_run_metadata.tag == "step1"
    assert RunMetadata.FromString(tagged.tagged_run_metadata.run_metadata).step_stats.dev_stats
    # The summary views hold summaries only: the graph is not one, and reading past it works.
    assert list(collect_events(str(tmp_path), type="summary")["tag"]) == ["loss"]
    assert list(collect_events(str(tmp_path), type="scalar")["value"]) == [0.5]


# -- refusals: one error each, naming the call, and nothing written ---------------------

NOT_OPENVINO = b"<html/>"

REFUSALS = {
    "wrong-input-size": (
        lambda w: w.add_graph(torch.nn.Linear(3, 5), torch.rand(1, 9)),
        RuntimeError,
        "cannot be multiplied",
    ),
    "strict-dict-output": (
        lambda w: w.add_graph(DictOut(), torch.zeros(1, 4)),
        RuntimeError,
        "strict=False",
    ),
    "not-a-module": (
        lambda w: w.add_graph(lambda x: x, torch.zeros(1)),
        TypeError,
        r"^add_graph\(model=\.\.\.\): expected a torch.nn.Module, got function",
    ),
    "onnx-neither-name": (
        lambda w: w.add_onnx_graph(),
        TypeError,
        r"^add_onnx_graph: expected one of prototxt or onnx_model_file, got 0",
    ),
    "onnx-both-names": (
        lambda w: w.add_onnx_graph("a.onnx", onnx_model_file="b.onnx"),
        TypeError,
        r"^add_onnx_graph: expected one of prototxt or onnx_model_file, got 2",
    ),
    "onnx-not-a-model": (
        lambda w: w.add_onnx_graph(12),
        TypeError,
        r"^add_onnx_graph\(prototxt=\.\.\.\): expected the path of an \.onnx file, .* got int",
    ),
    "openvino-not-openvino": (
        lambda w: w.add_openvino_graph(io.BytesIO(NOT_OPENVINO)),
        ValueError,
        r"^add_openvino_graph\(xmlname=\.\.\.\): expected an OpenVINO IR file",
    ),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_refused_calls_write_nothing(tmp_path, case) -> None:
    call, error, message = REFUSALS[case]
    run = tmp_path / "run"
    with SummaryWriter(str(run)) as writer, pytest.raises(error, match=message):
        call(writer)
    assert written(run) == ["file_version"]


def test_onnx_graph_without_onnx_names_the_extra(tmp_path, onnx_file, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "onnx", None)
    run = tmp_path / "run"
    with (
        SummaryWriter(str(run)) as writer,
        pytest.raises(ImportError, match=r"pip install 'neuroboard\[onnx\]'"),
    ):
        writer.add_onnx_graph(onnx_file)
    assert written(run) == ["file_version"]


# -- add_onnx_graph and add_openvino_graph ------------------------------------------


@pytest.mark.parametrize("keyword", ["prototxt", "onnx_model_file"])
def test_onnx_graph_reads_back_as_the_peers_but_for_the_sink(tmp_path, onnx_file, keyword) -> None:
    with SummaryWriter(str(tmp_path / "ours")) as writer:
        writer.add_onnx_graph(**{keyword: onnx_file})
    with TorchWriter(str(tmp_path / "torch")) as writer:
        writer.add_onnx_graph(onnx_file)
    with TbxWriter(str(tmp_path / "tbx")) as writer:
        writer.add_onnx_graph(onnx_file)
    ours = accumulator(tmp_path / "ours").Graph()
    theirs = accumulator(tmp_path / "torch").Graph()
    assert theirs == accumulator(tmp_path / "tbx").Graph()
    assert [(n.name, n.op, list(n.input)) for n in ours.node] == [
        ("x", "Variable", []),
        ("output/y", "Variable", ["y"]),
        ("y", "Relu", ["x"]),
    ]
    assert [(n.name, n.op, list(n.input)) for n in theirs.node] == [
        ("x", "Variable", []),
        ("y", "Variable", []),
        ("y", "Relu", ["x"]),
    ]
    assert [n.attr for n in ours.node] == [n.attr for n in theirs.node]
    assert written(tmp_path / "ours") == written(tmp_path / "torch") == ["file_version", "graph_def"]


def test_onnx_graph_of_a_model_in_memory(tmp_path, onnx_file) -> None:
    with SummaryWriter(str(tmp_path / "file")) as writer:
        writer.add_onnx_graph(onnx_file)
    with SummaryWriter(str(tmp_path / "proto")) as writer:
        writer.add_onnx_graph(relu_model())
    assert accumulator(tmp_path / "file").Graph() == accumulator(tmp_path / "proto").Graph()


OPENVINO = b"""<net name="pair" version="10"><layers>
  <layer id="0" name="x" type="Parameter"/><layer id="1" name="relu" type="ReLU"/></layers>
  <edges><edge from-layer="0" from-port="0" to-layer="1" to-port="0"/></edges></net>"""


def test_openvino_graph_reads_back(tmp_path) -> None:
    path = tmp_path / "pair.xml"
    path.write_bytes(OPENVINO)
    with SummaryWriter(str(tmp_path / "ours")) as writer:
        writer.add_openvino_graph(str(path))
    with TbxWriter(str(tmp_path / "tbx")) as writer:
        writer.add_openvino_graph(str(path))
    ours = accumulator(tmp_path / "ours").Graph()
    theirs = accumulator(tmp_path / "tbx").Graph()
    assert [(n.name, n.op, list(n.input)) for n in ours.node] == [
        ("x", "Parameter", []),
        ("relu", "ReLU", ["x"]),
    ]
    assert [(n.name, n.op, list(n.input)) for n in theirs.node] == [("relu", "op", ["x"])]
    assert written(tmp_path / "ours") == ["file_version", "graph_def"]


# -- through a real TensorBoard: the Graphs dashboard's routes --------------------------


def test_served_by_the_graphs_dashboard_as_torchs(tensorboard_server, tmp_path, onnx_file) -> None:
    folder = "graphs_served"
    model, x = Net(), torch.zeros(2, 4)
    with SummaryWriter(os.path.join(tensorboard_server.logdir, folder, "ours")) as writer:
        writer.add_graph(model, x)
    with TorchWriter(os.path.join(tensorboard_server.logdir, folder, "torch")) as writer:
        writer.add_graph(model, x)
    with SummaryWriter(os.path.join(tensorboard_server.logdir, folder, "onnx")) as writer:
        writer.add_onnx_graph(onnx_file)

    def graph(run: str):
        def fetch():
            try:
                return tensorboard_server.read(
                    "/data/plugin/graphs/graph", run=f"{folder}/{run}", conversions="false"
                )
            except urllib.error.HTTPError:
                return None

        body = tensorboard_server.wait_for(fetch, lambda body: b"node" in body)
        return text_format.Parse(body.decode("utf-8"), GraphDef())

    ours, theirs = graph("ours"), graph("torch")
    assert ours == theirs
    assert "aten::linear" in [n.op for n in ours.node]
    assert [n.op for n in graph("onnx").node] == ["Variable", "Variable", "Relu"]

    info = tensorboard_server.get("/data/plugin/graphs/info")
    for run in ("ours", "torch"):
        entry = info[f"{folder}/{run}"]
        assert entry["run_graph"] is True
        assert entry["tags"]["step1"]["profile"] is True
    metadata = {
        run: tensorboard_server.read("/data/plugin/graphs/run_metadata", run=f"{folder}/{run}", tag="step1")
        for run in ("ours", "torch")
    }
    assert metadata["ours"] == metadata["torch"]
    assert b"/device:CPU:0" in metadata["ours"]
