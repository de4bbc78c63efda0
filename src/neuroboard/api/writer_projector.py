"""SummaryWriter's Projector methods: ``add_embedding`` writes the projector's files beside the run."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

from neuroboard.io.assets import logdir_files
from neuroboard.summary.convert import INT64_MAX, as_step
from neuroboard.summary.embedding import (
    CONFIG_FILE,
    check_tag,
    embedding,
    embedding_folder,
    last_step,
    parse_config,
    projector_config,
)

__all__ = ["ProjectorMethods"]


class ProjectorMethods:
    """Methods mixed into :class:`~neuroboard.api.summary_writer.SummaryWriter`.

    They use the writer's ``logdir``, ``storage_options``, ``write_to_disk``, ``_lock``, ``_defaults``
    (``use_metadata``'s) and ``_check_open()``.
    """

    def add_embedding(
        self,
        mat: Any,
        metadata: Any = None,
        label_img: Any = None,
        global_step: Any = None,
        tag: str = "default",
        metadata_header: Sequence[Any] | None = None,
    ) -> None:
        """Add an embedding to the Projector tab: N points of ``mat`` (N, D), with labels and images.

        ``metadata`` holds one label per point, or with ``metadata_header``
        one row of values per point (one per header name); ``label_img``
        holds one (C, H, W) image per point, C = 1 or 3 (4 for RGBA), uint8
        or floats in [0, 1]. The files go into ``<logdir>/<step, 5
        digits>/<tag>/`` and the run's ``projector_config.pbtxt`` gains the
        entry ``<tag>:<step>``. Without ``global_step`` the step after the
        tag's last one is taken, also the last one a writer before wrote into
        this logdir (the peers take 0 every time, so each call overwrites the
        last); a step and tag used before are overwritten, with a warning, and
        keep one entry.

        >>> import tempfile, numpy as np; from neuroboard import SummaryWriter
        >>> with SummaryWriter(tempfile.mkdtemp()) as w:
        ...     w.add_embedding(np.random.rand(10, 4), metadata=list("abcdefghij"), global_step=0)
        """
        func = "add_embedding"
        self._check_open()
        check_tag(tag, func)
        # use_metadata's step stands in for one left out (its wall time has no place in the files).
        defaults = self._defaults
        if global_step is None and defaults is not None:
            global_step = defaults[0]
        if global_step is not None:
            global_step = as_step(global_step, func)
        built = embedding(mat, metadata, label_img, metadata_header, func=func)
        if not self.write_to_disk:
            return
        files = logdir_files(self.logdir, self.storage_options)
        # Read (and check) the config before any file is written: one that cannot be read is refused.
        existing = parse_config(files.read(CONFIG_FILE), func=func)
        step = self._embedding_step(tag, global_step, last_step(existing, tag), func)
        folder = embedding_folder(tag, step)
        kind = files.kind(folder)
        if kind == "file":
            raise NotADirectoryError(
                f"{func}(tag=...): {files.path(folder)} is a file, where the embedding's folder goes"
            )
        if kind == "dir":
            warnings.warn(
                f"{func}: {files.path(folder)} exists: its files are replaced (pass another global_step "
                "to keep each embedding)",
                UserWarning,
                stacklevel=2,
            )
        for name, data in built.files.items():
            files.write(f"{folder}/{name}", data)
        # Last, and read again under the lock: the config never names a file that is not there yet,
        # and two calls at once both get their entry.
        with self._lock:
            text = projector_config(files.read(CONFIG_FILE), built.info(tag, step), func=func)
            files.write(CONFIG_FILE, text)

    def _embedding_step(self, tag: str, global_step: int | None, on_disk: int | None, func: str) -> int:
        """Return the step of an embedding of ``tag``: ``global_step``, else the one after the tag's last."""
        with self._lock:
            # Kept on the writer's __dict__: SummaryWriter.__init__ belongs to the writer, not to this mixin.
            steps: dict[str, int] = self.__dict__.setdefault("_embedding_steps", {})
            if global_step is None:
                known = [step for step in (steps.get(tag), on_disk) if step is not None]
                global_step = max(known) + 1 if known else 0
                if global_step > INT64_MAX:
                    raise ValueError(f"{func}(global_step=None): tag {tag!r} is at the last int64 step")
            steps[tag] = global_step
            return global_step
