"""SummaryWriter's Graphs dashboard methods: ``add_graph`` (a torch module traced with torch.jit) and ``add_onnx_graph``.

A graph is not a summary: it is written as an ``Event.graph_def`` (step 0),
and ``add_graph`` adds the run metadata torch writes beside it, a
``tagged_run_metadata`` event tagged ``step1``. TensorBoard keeps the last
graph of a run.
"""

from __future__ import annotations

import time
from typing import Any

from tensorboard.compat.proto.config_pb2 import RunMetadata
from tensorboard.compat.proto.event_pb2 import TaggedRunMetadata
from tensorboard.compat.proto.graph_pb2 import GraphDef

from neuroboard.format.codec import Event
from neuroboard.summary.graph import RUN_METADATA_TAG, torch_graph
from neuroboard.summary.onnx_graph import onnx_graph, openvino_graph

__all__ = ["GraphMethods", "graph_events"]


def graph_events(
    graph_def: GraphDef, metadata: RunMetadata | None = None, wall_time: float | None = None
) -> list[Event]:
    """Return the events that carry a graph: its ``graph_def``, and the ``step1`` run metadata if given.

    >>> [event.WhichOneof("what") for event in graph_events(GraphDef(), RunMetadata(), 0.0)]
    ['graph_def', 'tagged_run_metadata']
    """
    wall = time.time() if wall_time is None else wall_time
    events = [Event(wall_time=wall, graph_def=graph_def.SerializeToString())]
    if metadata is not None:
        tagged = TaggedRunMetadata(tag=RUN_METADATA_TAG, run_metadata=metadata.SerializeToString())
        events.append(Event(wall_time=wall, tagged_run_metadata=tagged))
    return events


class GraphMethods:
    """Methods mixed into :class:`~neuroboard.api.summary_writer.SummaryWriter`.

    They write their events through the writer's ``_add_event_to``, which gives them ``use_metadata``'s
    step and wall time (as tensorboardX's ``FileWriter.add_event`` does) and a new file after ``close()``.
    """

    def add_graph(
        self,
        model: Any,
        input_to_model: Any = None,
        verbose: bool = False,
        use_strict_trace: bool = True,
        *,
        check_trace: bool = False,
    ) -> None:
        """Trace ``model`` (a ``torch.nn.Module``) on ``input_to_model`` and write its graph, as torch does.

        ``input_to_model`` is a tensor or a tuple of the ``forward`` arguments.
        ``use_strict_trace=False`` lets a ``forward`` return a dict or a list.
        ``verbose`` logs the traced graph (INFO, logger
        ``neuroboard.summary.graph``) instead of printing it. torch traces the
        model twice to check the trace; ``check_trace=True`` does so too, by
        default it is traced once: the graph is the same. A trace that fails
        raises torch's error and writes nothing.

        >>> import tempfile, torch; from neuroboard import SummaryWriter
        >>> with SummaryWriter(tempfile.mkdtemp()) as w:
        ...     w.add_graph(torch.nn.Linear(3, 2), torch.zeros(1, 3))
        """
        graph_def, metadata = torch_graph(
            model, input_to_model, verbose, use_strict_trace, check_trace=check_trace, caller="add_graph"
        )
        self._write_graph_events(graph_events(graph_def, metadata), "add_graph")

    def add_onnx_graph(self, prototxt: Any = None, *, onnx_model_file: Any = None) -> None:
        """Write the graph of an ONNX model: a path (torch's ``prototxt``, tensorboardX's ``onnx_model_file``).

        A binary file or an ``onnx.ModelProto`` works too. Needs the ``onnx``
        package: ``pip install 'neuroboard[onnx]'``.

        >>> import tempfile; from onnx import TensorProto, helper; from neuroboard import SummaryWriter
        >>> x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])
        >>> model = helper.make_model(helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g", [x], []))
        >>> with SummaryWriter(tempfile.mkdtemp()) as w:
        ...     w.add_onnx_graph(model)
        """
        func = "add_onnx_graph"
        arg, model = _one_of(func, prototxt=prototxt, onnx_model_file=onnx_model_file)
        self._write_graph_events(graph_events(onnx_graph(model, caller=func, arg=arg)), func)

    def add_openvino_graph(self, xmlname: Any) -> None:
        """Write the graph of an OpenVINO IR model, from its ``.xml`` file (tensorboardX's call).

        >>> import io, tempfile; from neuroboard import SummaryWriter
        >>> xml = io.BytesIO(b'<net><layers><layer id="0" name="x" type="Parameter"/></layers><edges/></net>')
        >>> with SummaryWriter(tempfile.mkdtemp()) as w:
        ...     w.add_openvino_graph(xml)
        """
        func = "add_openvino_graph"
        self._write_graph_events(graph_events(openvino_graph(xmlname, caller=func)), func)

    def _write_graph_events(self, events: list[Event], func: str) -> None:
        # One wall time for the graph and its run metadata; the step is use_metadata's, else the events' 0.
        wall = self._when(None, None, func)[1]
        for event in events:
            self._add_event_to("", event, None, wall, func)


def _one_of(func: str, **given: Any) -> tuple[str, Any]:
    """Return the one argument given among the aliases of ``given`` (name, value)."""
    passed = [(name, value) for name, value in given.items() if value is not None]
    if len(passed) != 1:
        names = " or ".join(given)
        raise TypeError(f"{func}: expected one of {names}, got {len(passed)}")
    return passed[0]
