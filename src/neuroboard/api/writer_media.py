"""SummaryWriter's media methods: video, images with boxes, and 3-D meshes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from neuroboard.summary.boxes import Labels, image_boxes
from neuroboard.summary.mesh import mesh
from neuroboard.summary.video import VIDEO_FORMAT, video

__all__ = ["MediaMethods"]


class MediaMethods:
    """Methods mixed into :class:`~neuroboard.api.summary_writer.SummaryWriter`.

    They use the writer's ``_write_summary(summary, global_step, walltime, tag, func)``.
    """

    def add_video(
        self,
        tag: str,
        vid_tensor: Any,
        global_step: Any = None,
        fps: float = 4,
        walltime: Any = None,
        dataformats: str = VIDEO_FORMAT,
    ) -> None:
        """Log clips ``(N, T, C, H, W)`` as one animated GIF, shown in the Images tab.

        uint8 values are pixels, any other dtype intensities in [0, 1]; the N
        clips are tiled side by side, as torch and tensorboardX tile them.
        ``dataformats`` (tensorboardX's option) names the axes in another order.

        >>> import tempfile, numpy as np; from neuroboard import SummaryWriter
        >>> with SummaryWriter(tempfile.mkdtemp()) as w:
        ...     w.add_video("rollout", np.random.rand(1, 16, 3, 32, 32), 0, fps=8)
        """
        self._write_summary(video(tag, vid_tensor, fps, dataformats), global_step, walltime, tag, "add_video")

    def add_image_with_boxes(
        self,
        tag: str,
        img_tensor: Any,
        box_tensor: Any,
        global_step: Any = None,
        walltime: Any = None,
        rescale: float = 1,
        dataformats: str = "CHW",
        labels: Labels = None,
    ) -> None:
        """Log an image with red ``[x1, y1, x2, y2]`` boxes (K, 4) and one label per box drawn on it.

        >>> import tempfile, numpy as np; from neuroboard import SummaryWriter
        >>> with SummaryWriter(tempfile.mkdtemp()) as w:
        ...     w.add_image_with_boxes("detections", np.zeros((3, 64, 64)), [[8, 8, 40, 30]], 0, labels=["cell"])
        """
        summary = image_boxes(tag, img_tensor, box_tensor, rescale, dataformats, labels)
        self._write_summary(summary, global_step, walltime, tag, "add_image_with_boxes")

    def add_mesh(
        self,
        tag: str,
        vertices: Any,
        colors: Any = None,
        faces: Any = None,
        config_dict: Mapping[str, Any] | None = None,
        global_step: Any = None,
        walltime: Any = None,
    ) -> None:
        """Log a mesh or point cloud for the Mesh tab: vertices (B, N, 3), faces (B, F, 3), colors (B, N, 3).

        >>> import tempfile, numpy as np; from neuroboard import SummaryWriter
        >>> with SummaryWriter(tempfile.mkdtemp()) as w:
        ...     w.add_mesh("cloud", np.random.randn(1, 100, 3), colors=np.full((1, 100, 3), 200), global_step=0)
        """
        summary = mesh(tag, vertices, colors, faces, config_dict)
        self._write_summary(summary, global_step, walltime, tag, "add_mesh")
