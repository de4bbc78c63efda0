"""The peers' ``FileWriter`` over one run of a SummaryWriter, and the writer of ``write_to_disk=False``.

torch's and tensorboardX's ``SummaryWriter.file_writer`` (and each value of
``all_writers``) is a ``FileWriter``: scripts call its ``add_summary``,
``add_event``, ``get_logdir`` and ``flush``. :class:`FileWriter` offers those
calls over the run's :class:`~neuroboard.io.writer.EventWriter`, through the
SummaryWriter, so that steps, ``use_metadata`` and reopening after
``close()`` work as they do for the writer's own methods.
:class:`DiscardingWriter` stands in for an EventWriter when nothing may
reach the disk: it checks and counts steps as one does, and keeps nothing.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from neuroboard.api.writer_graph import graph_events
from neuroboard.format.codec import Event
from neuroboard.io.writer import StepCounts, WriterClosedError

if TYPE_CHECKING:
    from neuroboard.api.run_writer import RunWriter

__all__ = ["DiscardingWriter", "FileWriter"]


class FileWriter:
    """One run of a SummaryWriter, with the methods of the peers' ``FileWriter``.

    ``run`` is ``""`` for the writer's own run, else the sub-run's name.
    A step left out of :meth:`add_summary` continues the tag's count, as in
    ``SummaryWriter.add_summary``; :meth:`add_event` keeps the event's own
    step unless ``step`` is given, and, as in the peers, sets its wall time
    (``walltime``, else now).

    >>> import tempfile; from neuroboard import SummaryWriter
    >>> from neuroboard.summary import scalar
    >>> with SummaryWriter(tempfile.mkdtemp()) as w:
    ...     w.file_writer.add_summary(scalar("loss", 0.5), 3)
    """

    def __init__(self, owner: RunWriter, run: str) -> None:
        self._owner = owner
        self._run = run

    @property
    def event_writer(self) -> Any:
        """The run's current :class:`~neuroboard.io.writer.EventWriter` (after a close, the closed one)."""
        return self._owner._current(self._run)

    def get_logdir(self) -> str:
        """Return the run's folder.

        >>> import tempfile; from neuroboard import SummaryWriter
        >>> with SummaryWriter(tempfile.mkdtemp()) as w: w.file_writer.get_logdir() == w.logdir
        True
        """
        return self._owner._run_folder(self._run)

    def add_event(self, event: Any, step: Any = None, walltime: Any = None) -> None:
        """Write an Event proto (TensorBoard's or tensorboardX's), with ``step`` and ``walltime`` if given.

        The event passed in is left as it is; a copy is written.

        >>> import tempfile; from neuroboard import SummaryWriter; from neuroboard.format import Event
        >>> with SummaryWriter(tempfile.mkdtemp()) as w:
        ...     w.file_writer.add_event(Event(step=2), walltime=1.0)
        """
        self._owner._add_event_to(self._run, event, step, walltime, "FileWriter.add_event")

    def add_summary(self, summary: Any, global_step: Any = None, walltime: Any = None) -> None:
        """Write a Summary proto (TensorBoard's or tensorboardX's) as one event of the run.

        >>> import tempfile; from neuroboard import SummaryWriter; from neuroboard.summary import text
        >>> with SummaryWriter(tempfile.mkdtemp()) as w:
        ...     w.file_writer.add_summary(text("notes", "hi"), 0)
        """
        self._owner._write_summary_to(
            self._run, summary, global_step, walltime, None, "FileWriter.add_summary"
        )

    def add_graph(self, graph_profile: Any, walltime: Any = None) -> None:
        """Write a ``(GraphDef, RunMetadata)`` pair as the peers do: a graph event, then its run metadata.

        >>> import tempfile; from neuroboard import SummaryWriter
        >>> from tensorboard.compat.proto.graph_pb2 import GraphDef
        >>> from tensorboard.compat.proto.config_pb2 import RunMetadata
        >>> with SummaryWriter(tempfile.mkdtemp()) as w:
        ...     w.file_writer.add_graph((GraphDef(), RunMetadata()))
        """
        graph, run_metadata = _graph_pair(graph_profile, "FileWriter.add_graph")
        for event in graph_events(graph, run_metadata):
            self.add_event(event, None, walltime)

    def add_onnx_graph(self, graph: Any, walltime: Any = None) -> None:
        """Write a GraphDef as a graph event.

        >>> import tempfile; from neuroboard import SummaryWriter
        >>> from tensorboard.compat.proto.graph_pb2 import GraphDef
        >>> with SummaryWriter(tempfile.mkdtemp()) as w: w.file_writer.add_onnx_graph(GraphDef())
        """
        for event in graph_events(graph):
            self.add_event(event, None, walltime)

    def flush(self) -> None:
        """Hand the run's queued events to the operating system.

        >>> import tempfile; from neuroboard import SummaryWriter
        >>> with SummaryWriter(tempfile.mkdtemp()) as w: w.file_writer.flush()
        """
        self._owner._current(self._run).flush()

    def close(self) -> None:
        """Flush and close the run's file; the next write to the run opens a new one.

        >>> import tempfile; from neuroboard import SummaryWriter
        >>> with SummaryWriter(tempfile.mkdtemp()) as w: w.file_writer.close()
        """
        self._owner._current(self._run).close()

    def reopen(self) -> None:
        """Open a new file for the run if its file was closed; else do nothing.

        >>> import tempfile; from neuroboard import SummaryWriter
        >>> with SummaryWriter(tempfile.mkdtemp()) as w: w.file_writer.close(); w.file_writer.reopen()
        """
        self._owner._live(self._run)

    @contextlib.contextmanager
    def use_metadata(self, *, global_step: Any = None, walltime: Any = None) -> Iterator[FileWriter]:
        """Default ``global_step`` and ``walltime`` for the calls inside, as the SummaryWriter's ``use_metadata``.

        >>> import tempfile; from neuroboard import SummaryWriter; from neuroboard.summary import text
        >>> with SummaryWriter(tempfile.mkdtemp()) as w, w.file_writer.use_metadata(global_step=4) as f:
        ...     f.add_summary(text("notes", "hi"))
        """
        with self._owner.use_metadata(global_step=global_step, walltime=walltime):
            yield self

    def __repr__(self) -> str:
        return f"<FileWriter {self.get_logdir()!r}>"


def _graph_pair(graph_profile: Any, func: str) -> tuple[Any, Any]:
    """Return ``graph_profile`` as its (GraphDef, RunMetadata), checked before anything is written."""
    expected = f"{func}(graph_profile=...): expected a (GraphDef, RunMetadata) pair"
    if not isinstance(graph_profile, (tuple, list)):
        raise TypeError(f"{expected}, got {type(graph_profile).__name__}")
    if len(graph_profile) != 2:
        raise ValueError(f"{expected}, got {len(graph_profile)} item{'' if len(graph_profile) == 1 else 's'}")
    # Any protobuf message serialises: TensorBoard's protos and tensorboardX's alike.
    if not all(callable(getattr(part, "SerializeToString", None)) for part in graph_profile):
        names = ", ".join(type(part).__name__ for part in graph_profile)
        raise TypeError(f"{expected}, got ({names})")
    return graph_profile[0], graph_profile[1]


class DiscardingWriter(StepCounts):
    """An EventWriter that writes nothing: it checks steps and counts them per tag, and drops every event.

    >>> w = DiscardingWriter("/"); w.add_scalar("loss", 0.5, None, 1.0); w.last_steps()
    {'loss': 0}
    """

    def __init__(self, logdir: str) -> None:
        self.logdir = logdir
        self.path = logdir
        self.paths: list[str] = []
        self._lock = threading.Lock()
        self._last_step: dict[str, int] = {}
        self._closed = False

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` has been called."""
        return self._closed

    def _check_open(self) -> None:
        if self._closed:
            raise WriterClosedError(f"the writer of {self.logdir} is closed: open a new writer to log more")

    def add_scalar(self, tag: str, value: float, step: int | None, wall_time: float) -> None:
        """Count the step of one scalar, and drop it."""
        self._check_open()
        self.claim_steps(tag, first=step, func="add_scalar")

    def add_scalar_series(
        self, tag: str, steps: np.ndarray, wall_times: np.ndarray, values: np.ndarray
    ) -> None:
        """Count the last step of a series, and drop it."""
        self._check_open()
        if len(steps):
            self._last_step[tag] = int(steps[-1])

    def add_event(self, event: Event) -> None:
        """Drop an event."""
        self._check_open()

    def flush(self) -> None:
        """Do nothing: nothing waits."""

    def close(self) -> None:
        """Refuse further events."""
        self._closed = True

    def take_error(self) -> None:
        """Return None: nothing can fail."""
