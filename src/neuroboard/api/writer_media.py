"""SummaryWriter's media methods: video, images with boxes, and 3-D meshes."""

from __future__ import annotations

__all__ = ["MediaMethods"]


class MediaMethods:
    """Methods mixed into :class:`~neuroboard.api.summary_writer.SummaryWriter`.

    They use the writer's ``_write_summary(summary, global_step, walltime, tag, func)``.
    """
