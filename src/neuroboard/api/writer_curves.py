"""SummaryWriter's curve and distribution methods: PR curves and raw histograms."""

from __future__ import annotations

__all__ = ["CurveMethods"]


class CurveMethods:
    """Methods mixed into :class:`~neuroboard.api.summary_writer.SummaryWriter`.

    They use the writer's ``_write_summary(summary, global_step, walltime, tag, func)``.
    """
