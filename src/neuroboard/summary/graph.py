"""Graphs: a torch module traced with torch.jit, as the GraphDef and RunMetadata the Graphs dashboard draws.

:func:`torch_graph` traces a module and :func:`graph_def_from_trace` turns the
traced graph into a ``GraphDef`` laid out as ``torch.utils.tensorboard`` lays
it out, so that a run reads the same in TensorBoard whichever library wrote it:

- one node per graph input (``input/<name>``, op ``IO Node``), one per graph
  output (``output/output.<i>``, op ``IO Node``, fed by the value it returns),
  and one per value an operation produces, named
  ``<Model>/<Type>[<attribute>]/.../<value>`` after the modules that produced it;
- each node's ``attr`` holds ``attr`` (the operation's attributes as text) and,
  for tensors of known size, ``_output_shapes``;
- an input names the node that produced the value, or, for a value that has no
  node of its own (a submodule), the scope of its last user and the value's
  name, as torch names it.

The ``RunMetadata`` says the graph ran on ``/device:CPU:0`` (torch writes the
same, whatever the device). torch is imported only when a graph is traced.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from tensorboard.compat.proto.attr_value_pb2 import AttrValue
from tensorboard.compat.proto.config_pb2 import RunMetadata
from tensorboard.compat.proto.graph_pb2 import GraphDef
from tensorboard.compat.proto.step_stats_pb2 import DeviceStepStats, StepStats
from tensorboard.compat.proto.tensor_shape_pb2 import TensorShapeProto
from tensorboard.compat.proto.versions_pb2 import VersionDef

__all__ = [
    "GRAPH_DEVICE",
    "GRAPH_PRODUCER",
    "RUN_METADATA_TAG",
    "graph_def_from_trace",
    "run_metadata",
    "torch_graph",
]

logger = logging.getLogger(__name__)

#: The tag of the run metadata written beside the graph (torch's; tensorboardX writes "profiler").
RUN_METADATA_TAG = "step1"
#: The GraphDef version both peers write.
GRAPH_PRODUCER = 22
#: The one device the run metadata names.
GRAPH_DEVICE = "/device:CPU:0"

_GETATTR = "prim::GetAttr"
_CLASS = "ClassType"
_IO = "IO Node"
_ROOT = "__module"


def run_metadata() -> RunMetadata:
    """Return the RunMetadata written beside a traced graph: step stats of one CPU device.

    >>> run_metadata().step_stats.dev_stats[0].device
    '/device:CPU:0'
    """
    return RunMetadata(step_stats=StepStats(dev_stats=[DeviceStepStats(device=GRAPH_DEVICE)]))


def _is_module(model: Any) -> bool:
    # A torch module can only exist once torch is imported: no need to import it to say no.
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(model, torch.nn.Module)


def _describe(model: Any) -> str:
    kind = type(model)
    return kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"


def torch_graph(
    model: Any,
    input_to_model: Any = None,
    verbose: bool = False,
    use_strict_trace: bool = True,
    *,
    check_trace: bool = False,
    caller: str = "torch_graph",
) -> tuple[GraphDef, RunMetadata]:
    """Trace ``model`` on ``input_to_model`` with ``torch.jit.trace``; return its GraphDef and RunMetadata.

    ``input_to_model`` is what ``torch.jit.trace`` takes: a tensor, or a tuple
    of the ``forward`` arguments (``None``: no arguments). The model is traced
    in eval mode and every module gets its own mode back afterwards.
    ``use_strict_trace=False`` lets the trace record mutable containers (a
    ``forward`` that returns a dict); ``verbose`` logs the traced graph at
    INFO on this module's logger. ``check_trace=True`` traces a second time to
    check that both traces agree, as torch does; it doubles the work and does
    not change the graph. Errors of the trace (a wrong input size, a dict
    output with a strict trace) are torch's RuntimeErrors, raised as they are.

    >>> import torch
    >>> graph_def, _ = torch_graph(torch.nn.Linear(3, 2), torch.zeros(1, 3))
    >>> [node.op for node in graph_def.node]
    ['IO Node', 'IO Node', 'prim::GetAttr', 'prim::GetAttr', 'aten::linear']
    """
    if not _is_module(model):
        raise TypeError(f"{caller}(model=...): expected a torch.nn.Module, got {_describe(model)}")
    import torch

    args = () if input_to_model is None else input_to_model
    modes = [(module, module.training) for module in model.modules()]
    model.train(False)
    try:
        traced = torch.jit.trace(model, args, strict=bool(use_strict_trace), check_trace=bool(check_trace))
    finally:
        # As torch does, through the model's own train(); then each submodule gets back its own mode,
        # where torch would give them all the model's.
        model.train(modes[0][1])
        for module, training in modes:
            if module.training != training:
                module.training = training
    graph = traced.graph
    if traced is model:
        # A ScriptModule is "traced" as itself: inline a copy, not the user's own graph.
        graph = graph.copy()
    torch._C._jit_pass_inline(graph)
    if verbose:
        logger.info("%s: the traced graph of %s:\n%s", caller, _describe(model), graph)
    return graph_def_from_trace(traced, graph), run_metadata()


def _module_label(module: Any, traced_type: type) -> str:
    # A traced module knows the class it was traced from; a scripted one its original name.
    if isinstance(module, traced_type):
        return module._name
    return getattr(module, "original_name", "Module")


class _Scopes:
    """Display scopes: ``__module.a/__module.a.b`` becomes ``Model/TypeA[a]/TypeB[b]``, each computed once."""

    def __init__(self, traced: Any) -> None:
        from torch.jit import TracedModule

        self.root = _module_label(traced, TracedModule)
        self.labels = {
            path: f"{_module_label(module, TracedModule)}[{path.rpartition('.')[2]}]"
            for path, module in traced.named_modules(prefix=_ROOT)
        }
        self.done: dict[str, str] = {}

    def __call__(self, raw: str) -> str:
        scope = self.done.get(raw)
        if scope is None:
            labels = self.labels
            parts = [labels.get(part) or part.rpartition(".")[2] for part in raw.split("/")]
            scope = f"{self.root}/{'/'.join(parts)}" if any(parts) else self.root
            self.done[raw] = scope
        return scope


def _io_shape(value: Any) -> list[int] | None:
    try:
        return value.type().sizes()
    except RuntimeError:
        # Not a tensor (a tuple, a dict): torch draws it as one element.
        return [1]


def _attributes(node: Any) -> str:
    names = node.attributeNames()
    if not names:
        return "{}"
    # The text of the dict of attributes, with torch's quotes blanked (they upset the dashboard).
    return str({name: getattr(node, node.kindOf(name))(name) for name in names}).replace("'", " ")


def graph_def_from_trace(traced: Any, graph: Any) -> GraphDef:
    """Return the GraphDef of ``graph``, the inlined graph of the traced module ``traced``.

    >>> import torch
    >>> traced = torch.jit.trace(torch.nn.ReLU(), torch.zeros(2))
    >>> [node.name.split("/")[0] for node in graph_def_from_trace(traced, traced.graph).node]
    ['input', 'output', 'ReLU']
    """
    scopes = _Scopes(traced)
    # Nodes in torch's order: the inputs, then the outputs, then each value an operation produces.
    # Each row: (name, op, value names of the inputs, shape or None, attribute text).
    rows: list[tuple[str, str, list[str], Any, str]] = []
    names: dict[str, str] = {}  # a value's name -> its node's name
    inputs_named: dict[str, str] = {}
    for value in graph.inputs():
        if value.uses() and value.type().kind() != _CLASS:
            name = inputs_named[value.debugName()] = f"input/{value.debugName()}"
            rows.append((name, _IO, [], _io_shape(value), ""))
    sinks = [
        (f"output/output.{number}", _IO, [value.debugName()], _io_shape(value), "")
        for number, value in enumerate(graph.outputs(), start=1)
    ]
    ops: list[tuple[str, str, list[str], Any, str]] = []
    user_scope: dict[str, str] = {}  # a value's name -> the scope of its last user
    attribute_scope: dict[str, str] = {}  # a GetAttr's value -> its raw scope
    for node in graph.nodes():
        kind = node.kind()
        if kind == _GETATTR:
            out = node.output()
            key = out.debugName()
            parent = node.input().node()
            if parent.kind() == _GETATTR:
                above = attribute_scope[parent.output().debugName()]
                raw = f"{above}/{above.rpartition('/')[2]}.{node.s('name')}"
            else:
                raw = f"{_ROOT}.{node.s('name')}"
            attribute_scope[key] = raw
            if out.type().kind() == _CLASS:
                continue
            scope = scopes(raw)
            outputs = (out,)
        else:
            scope = scopes(node.scopeName())
            # inputsAt/outputsAt: walking pybind's inputs()/outputs() iterators costs ~3 us a value.
            outputs = [node.outputsAt(i) for i in range(node.outputsSize())]
        inputs = [node.inputsAt(i).debugName() for i in range(node.inputsSize())]
        for name in inputs:
            user_scope[name] = scope
        text = _attributes(node)
        for out in outputs:
            shape = out.type().sizes() if out.isCompleteTensor() else None
            name = out.debugName()
            ops.append((f"{scope}/{name}", kind, inputs, shape, text))
            names[name] = f"{scope}/{name}"
    for name, scope in user_scope.items():
        names.setdefault(name, f"{scope}/{name}")
    names.update(inputs_named)
    return _graph_def(rows + sinks + ops, names)


def _graph_def(rows: list[tuple[str, str, list[str], Any, str]], names: dict[str, str]) -> GraphDef:
    graph_def = GraphDef(versions=VersionDef(producer=GRAPH_PRODUCER))
    nodes = graph_def.node
    shapes: dict[tuple[int, ...], AttrValue] = {}
    for name, op, inputs, shape, text in rows:
        node = nodes.add(name=name, op=op, input=[names[value] for value in inputs])
        node.attr["attr"].s = text.encode("utf-8")
        if shape is not None:
            key = tuple(shape)
            attr = shapes.get(key)
            if attr is None:
                attr = shapes[key] = AttrValue(
                    list=AttrValue.ListValue(
                        shape=[TensorShapeProto(dim=[TensorShapeProto.Dim(size=size) for size in key])]
                    )
                )
            node.attr["_output_shapes"].CopyFrom(attr)
    return graph_def
