"""Graphs from model files: an ONNX model or an OpenVINO IR ``.xml``, as a GraphDef for the Graphs dashboard.

:func:`onnx_graph` lays the model out as torch and tensorboardX do: one
``Variable`` node per graph input (with its ``dtype`` and ``shape``), then one
node per ONNX node, named after its first output, with the ONNX op type, its
inputs and its attributes as text (``parameters``). Where the peers' graph is
wrong, it is put right:

- each graph output is a node of its own, ``output/<name>``, fed by the tensor;
  the peers give it the name of the node that produces it, and TensorBoard then
  holds two nodes of one name;
- ``dtype`` is the TensorFlow type of the ONNX element type (the peers copy the
  ONNX number, so an int64 input shows as a string);
- a dimension without a fixed size is ``-1`` (the peers write ``0``), a shape
  without a known rank is marked unknown (the peers write a scalar);
- initializers that are not listed as graph inputs (every model since ONNX IR
  version 4) are ``Variable`` nodes too, so that the weights an op reads show;
- an op's second and later outputs are referred to as ``<first output>:<k>``,
  TensorFlow's spelling, and an omitted optional input (``""``) is left out.

:func:`openvino_graph` reads the ``<layers>`` and ``<edges>`` of an OpenVINO
IR file with the standard library: one node per layer, with the layer's type
as op, every layer that feeds it as input, its ``<data>`` as ``parameters``
and the sizes of its output ports as ``_output_shapes``.
"""

from __future__ import annotations

import os
from typing import Any
from xml.etree import ElementTree

from tensorboard.compat.proto import types_pb2
from tensorboard.compat.proto.graph_pb2 import GraphDef
from tensorboard.compat.proto.tensor_shape_pb2 import TensorShapeProto
from tensorboard.compat.proto.versions_pb2 import VersionDef

from neuroboard.summary.graph import GRAPH_PRODUCER

__all__ = ["ONNX_EXTRA", "onnx_dtype", "onnx_graph", "openvino_graph"]

#: How to install what :func:`onnx_graph` needs.
ONNX_EXTRA = "pip install 'neuroboard[onnx]'"

# ONNX TensorProto.DataType numbers and the TensorFlow DataType of the same element type.
_ONNX_TO_TF = {
    1: "DT_FLOAT",
    2: "DT_UINT8",
    3: "DT_INT8",
    4: "DT_UINT16",
    5: "DT_INT16",
    6: "DT_INT32",
    7: "DT_INT64",
    8: "DT_STRING",
    9: "DT_BOOL",
    10: "DT_HALF",
    11: "DT_DOUBLE",
    12: "DT_UINT32",
    13: "DT_UINT64",
    14: "DT_COMPLEX64",
    15: "DT_COMPLEX128",
    16: "DT_BFLOAT16",
    17: "DT_FLOAT8_E4M3FN",
    18: "DT_FLOAT8_E4M3FNUZ",
    19: "DT_FLOAT8_E5M2",
    20: "DT_FLOAT8_E5M2FNUZ",
    21: "DT_UINT4",
    22: "DT_INT4",
}
_TF_TYPES = {number: types_pb2.DataType.Value(name) for number, name in _ONNX_TO_TF.items()}


def onnx_dtype(elem_type: int) -> int:
    """Return the TensorFlow ``DataType`` of an ONNX element type (``DT_INVALID`` for one TensorFlow lacks).

    >>> onnx_dtype(7) == types_pb2.DT_INT64
    True
    """
    return _TF_TYPES.get(elem_type, types_pb2.DT_INVALID)


def _import_onnx(caller: str) -> Any:
    try:
        import onnx
    except ImportError as error:
        raise ImportError(f"{caller} needs the onnx package: {ONNX_EXTRA}") from error
    return onnx


def _unreadable(error: OSError, path: Any, caller: str, arg: str) -> OSError:
    """Return ``error`` again (the same type and errno) with a message that names the call and argument."""
    return type(error)(error.errno, f"{caller}({arg}=...): cannot read {path!r}: {error.strerror}")


def _load(model: Any, caller: str, arg: str) -> Any:
    onnx = _import_onnx(caller)
    if isinstance(model, onnx.ModelProto):
        return model
    if isinstance(model, (str, os.PathLike)) or hasattr(model, "read"):
        from google.protobuf.message import DecodeError

        try:
            # The graph needs the shapes of the weights, not their values: external data stays on disk.
            return onnx.load(model, load_external_data=False)
        except DecodeError as error:
            raise ValueError(f"{caller}({arg}=...): {model!r} is not an ONNX model ({error})") from None
        except OSError as error:
            raise _unreadable(error, model, caller, arg) from None
    raise TypeError(
        f"{caller}({arg}=...): expected the path of an .onnx file, a binary file or an onnx.ModelProto, "
        f"got {type(model).__name__}"
    )


def _shape(tensor_type: Any) -> TensorShapeProto:
    if not tensor_type.HasField("shape"):
        return TensorShapeProto(unknown_rank=True)
    return TensorShapeProto(
        dim=[
            TensorShapeProto.Dim(size=dim.dim_value if dim.HasField("dim_value") else -1)
            for dim in tensor_type.shape.dim
        ]
    )


def _variable(graph_def: GraphDef, name: str, dtype: int, shape: TensorShapeProto, inputs: list[str]) -> None:
    node = graph_def.node.add(name=name, op="Variable", input=inputs)
    node.attr["dtype"].type = dtype
    node.attr["shape"].shape.CopyFrom(shape)


def _parameters(node: Any) -> bytes:
    # Each attribute as the text of its set fields (name, value, type), as the peers show them.
    return ", ".join(
        " = ".join(str(value) for _, value in attribute.ListFields()) for attribute in node.attribute
    ).encode("utf-8")


def onnx_graph(model: Any, *, caller: str = "onnx_graph", arg: str = "model") -> GraphDef:
    """Return the GraphDef of an ONNX model: a path, a binary file, or an ``onnx.ModelProto``.

    Needs the ``onnx`` package (``pip install 'neuroboard[onnx]'``).

    >>> from onnx import TensorProto, helper
    >>> x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])
    >>> y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])
    >>> model = helper.make_model(helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g", [x], [y]))
    >>> [(node.name, node.op) for node in onnx_graph(model).node]
    [('x', 'Variable'), ('output/y', 'Variable'), ('y', 'Relu')]
    """
    graph = _load(model, caller, arg).graph
    graph_def = GraphDef(versions=VersionDef(producer=GRAPH_PRODUCER))
    listed = set()
    for value in graph.input:
        listed.add(value.name)
        tensor_type = value.type.tensor_type
        _variable(graph_def, value.name, onnx_dtype(tensor_type.elem_type), _shape(tensor_type), [])
    for tensor in graph.initializer:
        if tensor.name not in listed:
            shape = TensorShapeProto(dim=[TensorShapeProto.Dim(size=size) for size in tensor.dims])
            _variable(graph_def, tensor.name, onnx_dtype(tensor.data_type), shape, [])
    # A later output of an op is "<its first output>:<k>", the way TensorFlow names the k-th output.
    later = {name: f"{node.output[0]}:{k}" for node in graph.node for k, name in enumerate(node.output) if k}
    for value in graph.output:
        tensor_type = value.type.tensor_type
        _variable(
            graph_def,
            f"output/{value.name}",
            onnx_dtype(tensor_type.elem_type),
            _shape(tensor_type),
            [later.get(value.name, value.name)],
        )
    for node in graph.node:
        graph_def.node.add(
            name=node.output[0],
            op=node.op_type,
            input=[later.get(name, name) for name in node.input if name],
        ).attr["parameters"].s = _parameters(node)
    return graph_def


def _openvino_root(xmlname: Any, caller: str, arg: str) -> ElementTree.Element:
    if not (isinstance(xmlname, (str, os.PathLike)) or hasattr(xmlname, "read")):
        raise TypeError(
            f"{caller}({arg}=...): expected the path of an OpenVINO .xml file or a file, got {type(xmlname).__name__}"
        )
    try:
        root = ElementTree.parse(xmlname).getroot()
    except ElementTree.ParseError as error:
        raise ValueError(f"{caller}({arg}=...): {xmlname!r} is not XML ({error})") from None
    except OSError as error:
        raise _unreadable(error, xmlname, caller, arg) from None
    if root.find("layers") is None or root.find("edges") is None:
        raise ValueError(
            f"{caller}({arg}=...): expected an OpenVINO IR file, with <layers> and <edges> in <{root.tag}>, "
            f"got {xmlname!r}"
        )
    return root


def _size(text: str | None) -> int:
    # A dynamic dimension is "?" or "-1" (newer IR versions): unknown, as TensorFlow writes it.
    try:
        return max(int(text or ""), -1)
    except ValueError:
        return -1


def openvino_graph(xmlname: Any, *, caller: str = "openvino_graph", arg: str = "xmlname") -> GraphDef:
    """Return the GraphDef of an OpenVINO IR model, from the path of its ``.xml`` file (or the file).

    >>> import io
    >>> xml = io.BytesIO(b'''<net><layers><layer id="0" name="x" type="Parameter"/>
    ...   <layer id="1" name="relu" type="ReLU"/></layers>
    ...   <edges><edge from-layer="0" from-port="0" to-layer="1" to-port="0"/></edges></net>''')
    >>> [(node.name, node.op, list(node.input)) for node in openvino_graph(xml).node]
    [('x', 'Parameter', []), ('relu', 'ReLU', ['x'])]
    """
    root = _openvino_root(xmlname, caller, arg)
    layers = root.find("layers")
    names = {layer.get("id"): layer.get("name", layer.get("id")) for layer in layers}
    inputs: dict[str, list[str]] = {}
    for edge in root.find("edges"):
        source = names.get(edge.get("from-layer"))
        if source is not None:
            inputs.setdefault(edge.get("to-layer"), []).append(source)
    graph_def = GraphDef(versions=VersionDef(producer=GRAPH_PRODUCER))
    for layer in layers:
        node = graph_def.node.add(
            name=names[layer.get("id")], op=layer.get("type", ""), input=inputs.get(layer.get("id"), [])
        )
        data = layer.find("data")
        node.attr["parameters"].s = ", ".join(
            f"{key} = {value}" for key, value in (data.attrib.items() if data is not None else ())
        ).encode("utf-8")
        ports = layer.find("output")
        if ports is not None:
            shapes = node.attr["_output_shapes"].list.shape
            for port in ports:
                shapes.add(dim=[TensorShapeProto.Dim(size=_size(dim.text)) for dim in port.findall("dim")])
    return graph_def
