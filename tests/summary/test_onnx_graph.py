"""onnx_graph() and openvino_graph(): model files as GraphDefs, against the peers' conversions of the same files."""

from __future__ import annotations

import contextlib
import io
import sys

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper, save
from tensorboard.compat.proto import types_pb2
from tensorboard.compat.proto.graph_pb2 import GraphDef
from tensorboardX.onnx_graph import load_onnx_graph as tbx_onnx
from tensorboardX.openvino_graph import load_openvino_graph as tbx_openvino
from torch.utils.tensorboard._onnx_graph import load_onnx_graph as torch_onnx

from neuroboard.summary.onnx_graph import ONNX_EXTRA, onnx_dtype, onnx_graph, openvino_graph


def mlp(ir_version: int = 3, batch: int | str = 2):
    """Gemm, Relu, Softmax; ONNX IR 3 lists the weights among the graph inputs, later versions do not."""
    weights = [
        numpy_helper.from_array(np.ones((4, 3), np.float32), "W"),
        numpy_helper.from_array(np.zeros(3, np.float32), "B"),
    ]
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, [batch, 4])]
    if ir_version < 4:
        inputs += [
            helper.make_tensor_value_info("W", TensorProto.FLOAT, [4, 3]),
            helper.make_tensor_value_info("B", TensorProto.FLOAT, [3]),
        ]
    nodes = [
        helper.make_node("Gemm", ["x", "W", "B"], ["h"], alpha=1.0, transB=0),
        helper.make_node("Relu", ["h"], ["r"]),
        helper.make_node("Softmax", ["r"], ["y"], axis=1),
    ]
    output = helper.make_tensor_value_info("y", TensorProto.FLOAT, [batch, 3])
    graph = helper.make_graph(nodes, "mlp", inputs, [output], initializer=weights)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 11)])
    model.ir_version = ir_version
    return model


@pytest.fixture
def mlp_file(tmp_path) -> str:
    path = str(tmp_path / "mlp.onnx")
    save(mlp(), path)
    return path


def peer(load, path: str) -> GraphDef:
    """The peer's GraphDef (its own proto classes) as ours; what it prints is dropped."""
    with contextlib.redirect_stdout(io.StringIO()):
        return GraphDef.FromString(load(path).SerializeToString())


# -- against torch's and tensorboardX's conversions ------------------------------


def test_the_peers_agree_with_each_other(mlp_file) -> None:
    assert peer(torch_onnx, mlp_file) == peer(tbx_onnx, mlp_file)


def test_the_graph_is_the_peers_but_for_the_output_sink(mlp_file) -> None:
    theirs = peer(torch_onnx, mlp_file)
    ours = onnx_graph(mlp_file)
    assert len(ours.node) == len(theirs.node)
    assert ours.versions == theirs.versions
    for mine, their in zip(ours.node, theirs.node):
        if their.name == "y" and their.op == "Variable":
            # The peers name the output after the Softmax that makes it: two nodes "y". Ours is a sink it feeds.
            assert (mine.name, list(mine.input)) == ("output/y", ["y"])
            assert (mine.op, mine.attr) == (their.op, their.attr)
        else:
            assert mine == their
    assert [n.name for n in theirs.node].count("y") == 2
    assert len({n.name for n in ours.node}) == len(ours.node)


def test_what_the_nodes_hold(mlp_file) -> None:
    nodes = {node.name: node for node in onnx_graph(mlp_file).node}
    assert nodes["x"].attr["dtype"].type == types_pb2.DT_FLOAT
    assert [d.size for d in nodes["x"].attr["shape"].shape.dim] == [2, 4]
    assert (nodes["h"].op, list(nodes["h"].input)) == ("Gemm", ["x", "W", "B"])
    assert nodes["h"].attr["parameters"].s == b"alpha = 1.0 = 1, transB = 0 = 2"
    assert nodes["r"].attr["parameters"].s == b""


@pytest.mark.parametrize("form", ["path", "pathlib", "file", "proto"])
def test_a_path_a_file_or_a_model_proto(mlp_file, form) -> None:
    import pathlib

    if form == "file":
        with open(mlp_file, "rb") as file:
            graph = onnx_graph(file)
    else:
        graph = onnx_graph({"path": mlp_file, "pathlib": pathlib.Path(mlp_file), "proto": mlp()}[form])
    assert graph == onnx_graph(mlp_file)


def test_nothing_is_printed(mlp_file, capsys) -> None:
    onnx_graph(mlp_file)
    assert capsys.readouterr() == ("", "")


# -- where the peers' graph is wrong ---------------------------------------------


def test_element_types_are_tensorflow_types(tmp_path) -> None:
    ids = helper.make_tensor_value_info("ids", TensorProto.INT64, [3])
    out = helper.make_tensor_value_info("out", TensorProto.DOUBLE, [3])
    model = helper.make_model(
        helper.make_graph(
            [helper.make_node("Cast", ["ids"], ["out"], to=TensorProto.DOUBLE)], "g", [ids], [out]
        )
    )
    path = str(tmp_path / "cast.onnx")
    save(model, path)
    ours = {n.name: n for n in onnx_graph(path).node}
    theirs = {n.name: n for n in peer(torch_onnx, path).node if n.op == "Variable"}
    assert ours["ids"].attr["dtype"].type == types_pb2.DT_INT64
    assert ours["output/out"].attr["dtype"].type == types_pb2.DT_DOUBLE
    # The peers write the ONNX numbers as they are: int64 (7) reads as DT_STRING, double (11) as DT_QINT8.
    assert theirs["ids"].attr["dtype"].type == types_pb2.DT_STRING
    assert theirs["out"].attr["dtype"].type == types_pb2.DT_QINT8
    assert onnx_dtype(TensorProto.FLOAT16) == types_pb2.DT_HALF
    assert onnx_dtype(TensorProto.UNDEFINED) == types_pb2.DT_INVALID


def test_a_free_dimension_is_unknown() -> None:
    nodes = {n.name: n for n in onnx_graph(mlp(batch="N")).node}
    assert [d.size for d in nodes["x"].attr["shape"].shape.dim] == [-1, 4]
    untyped = helper.make_model(
        helper.make_graph(
            [helper.make_node("Relu", ["x"], ["y"])],
            "g",
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, None)],
            [],
        )
    )
    assert onnx_graph(untyped).node[0].attr["shape"].shape.unknown_rank


def test_weights_that_are_not_inputs_are_variables() -> None:
    nodes = {n.name: n for n in onnx_graph(mlp(ir_version=8)).node}
    assert nodes["W"].op == "Variable"
    assert [d.size for d in nodes["W"].attr["shape"].shape.dim] == [4, 3]
    assert nodes["B"].attr["dtype"].type == types_pb2.DT_FLOAT
    assert sorted(nodes) == sorted(n.name for n in onnx_graph(mlp(ir_version=3)).node)


def test_later_outputs_of_an_op_and_omitted_inputs() -> None:
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])
    nodes = [
        helper.make_node("Split", ["x", ""], ["left", "right"], axis=0),
        helper.make_node("Add", ["left", "right"], ["sum"]),
    ]
    out = helper.make_tensor_value_info("right", TensorProto.FLOAT, [2])
    graph = onnx_graph(helper.make_model(helper.make_graph(nodes, "g", [x], [out])))
    by_name = {n.name: n for n in graph.node}
    assert list(by_name["left"].input) == ["x"]
    assert list(by_name["sum"].input) == ["left", "left:1"]
    assert list(by_name["output/right"].input) == ["left:1"]


# -- refusals --------------------------------------------------------------------


def test_without_onnx_the_error_names_the_extra(monkeypatch, mlp_file) -> None:
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(
        ImportError, match=r"^add_onnx_graph needs the onnx package: pip install 'neuroboard\[onnx\]'$"
    ):
        onnx_graph(mlp_file, caller="add_onnx_graph")
    assert ONNX_EXTRA == "pip install 'neuroboard[onnx]'"


def test_not_an_onnx_file(tmp_path) -> None:
    path = tmp_path / "notes.onnx"
    path.write_bytes(b"\xff\xff not a model")
    with pytest.raises(ValueError, match=r"^add_onnx_graph\(prototxt=\.\.\.\): .* is not an ONNX model"):
        onnx_graph(str(path), caller="add_onnx_graph", arg="prototxt")


def test_a_missing_file(tmp_path) -> None:
    with pytest.raises(FileNotFoundError):
        onnx_graph(str(tmp_path / "missing.onnx"))


@pytest.mark.parametrize("model", [3, None, ["m.onnx"]], ids=["int", "None", "list"])
def test_not_a_model(model) -> None:
    with pytest.raises(
        TypeError, match=r"^add_onnx_graph\(onnx_model_file=\.\.\.\): expected the path of an \.onnx"
    ):
        onnx_graph(model, caller="add_onnx_graph", arg="onnx_model_file")


# -- OpenVINO IR -------------------------------------------------------------------

OPENVINO = b"""<?xml version="1.0" ?>
<net name="tiny" version="10">
  <layers>
    <layer id="0" name="image" type="Parameter">
      <output><port id="0"><dim>1</dim><dim>3</dim><dim>8</dim><dim>8</dim></port></output>
    </layer>
    <layer id="1" name="conv" type="Convolution">
      <data strides="1,1" pads_begin="0,0" dilations="1,1"/>
      <input><port id="0"><dim>1</dim><dim>3</dim><dim>8</dim><dim>8</dim></port></input>
      <output><port id="2"><dim>1</dim><dim>4</dim><dim>6</dim><dim>?</dim></port></output>
    </layer>
    <layer id="2" name="relu" type="ReLU">
      <output><port id="1"><dim>1</dim><dim>4</dim><dim>6</dim><dim>6</dim></port></output>
    </layer>
    <layer id="3" name="sum" type="Add">
      <output><port id="2"><dim>1</dim><dim>4</dim><dim>6</dim><dim>6</dim></port></output>
    </layer>
  </layers>
  <edges>
    <edge from-layer="0" from-port="0" to-layer="1" to-port="0"/>
    <edge from-layer="1" from-port="2" to-layer="2" to-port="0"/>
    <edge from-layer="1" from-port="2" to-layer="3" to-port="0"/>
    <edge from-layer="2" from-port="1" to-layer="3" to-port="1"/>
  </edges>
</net>
"""


@pytest.fixture
def openvino_file(tmp_path) -> str:
    path = tmp_path / "tiny.xml"
    path.write_bytes(OPENVINO)
    return str(path)


def test_openvino_one_node_per_layer(openvino_file) -> None:
    nodes = {n.name: n for n in openvino_graph(openvino_file).node}
    assert list(nodes) == ["image", "conv", "relu", "sum"]
    assert [(n.op, list(n.input)) for n in nodes.values()] == [
        ("Parameter", []),
        ("Convolution", ["image"]),
        ("ReLU", ["conv"]),
        ("Add", ["conv", "relu"]),
    ]
    assert nodes["conv"].attr["parameters"].s == b"strides = 1,1, pads_begin = 0,0, dilations = 1,1"
    assert [d.size for d in nodes["conv"].attr["_output_shapes"].list.shape[0].dim] == [1, 4, 6, -1]


def test_openvino_against_tensorboardx(openvino_file) -> None:
    theirs = peer(tbx_openvino, openvino_file)
    ours = {n.name: n for n in openvino_graph(openvino_file).node}
    # tensorboardX writes a node per edge: the input layer has none, a layer fed twice has two of one name.
    assert [(n.name, list(n.input)) for n in theirs.node] == [
        ("conv", ["image"]),
        ("relu", ["conv"]),
        ("sum", ["conv"]),
        ("sum", ["relu"]),
    ]
    for node in theirs.node:
        assert set(node.input) <= set(ours[node.name].input)
    assert {n.op for n in theirs.node} == {"op"}


def test_openvino_from_a_file_object(openvino_file) -> None:
    assert openvino_graph(io.BytesIO(OPENVINO)) == openvino_graph(openvino_file)


def test_openvino_not_xml() -> None:
    with pytest.raises(ValueError, match=r"^add_openvino_graph\(xmlname=\.\.\.\): .* is not XML"):
        openvino_graph(io.BytesIO(b"<net><layers>"), caller="add_openvino_graph")


def test_openvino_xml_that_is_not_a_model() -> None:
    with pytest.raises(ValueError, match=r"^openvino_graph\(xmlname=\.\.\.\): expected an OpenVINO IR file"):
        openvino_graph(io.BytesIO(b"<html><body/></html>"))


def test_openvino_not_a_path() -> None:
    with pytest.raises(TypeError, match=r"^openvino_graph\(xmlname=\.\.\.\): expected the path"):
        openvino_graph(42)


@pytest.mark.parametrize(
    ("convert", "arg"), [(onnx_graph, "prototxt"), (openvino_graph, "xmlname")], ids=["onnx", "openvino"]
)
def test_a_missing_file_is_named_with_the_call_and_argument(tmp_path, convert, arg) -> None:
    caller = "add_onnx_graph" if convert is onnx_graph else "add_openvino_graph"
    with pytest.raises(FileNotFoundError, match=rf"{caller}\({arg}=\.\.\.\): cannot read .*missing"):
        convert(str(tmp_path / "missing"), caller=caller, arg=arg)
