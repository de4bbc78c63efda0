"""SummaryWriter's Projector methods: ``add_embedding`` writes the projector's files beside the run."""

from __future__ import annotations

__all__ = ["ProjectorMethods"]


class ProjectorMethods:
    """Methods mixed into :class:`~neuroboard.api.summary_writer.SummaryWriter`.

    They use the writer's ``_write_summary(summary, global_step, walltime, tag, func)``.
    """
