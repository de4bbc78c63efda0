"""SummaryWriter's Graphs dashboard methods: ``add_graph`` (a torch module traced with torch.jit) and ``add_onnx_graph``."""

from __future__ import annotations

__all__ = ["GraphMethods"]


class GraphMethods:
    """Methods mixed into :class:`~neuroboard.api.summary_writer.SummaryWriter`.

    They use the writer's ``_write_summary(summary, global_step, walltime, tag, func)``.
    """
