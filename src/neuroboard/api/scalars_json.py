"""tensorboardX's ``export_scalars_to_json``: the scalars of a writer's files, read back, in its JSON layout.

tensorboardX keeps every ``add_scalars`` value in memory to export it; this
reads the writer's own event files instead, so the export costs nothing
while logging and holds every scalar the writer wrote (``add_scalar``,
``add_scalars``, ``add_series``, hparams metrics). The layout is
tensorboardX's, ``{series: [[wall_time, step, value], ...]}``, each series
named ``<logdir>/<tag>`` or, for a key of ``add_scalars``,
``<logdir>/<main_tag>/<key>`` as tensorboardX names it.
"""

from __future__ import annotations

from collections.abc import Mapping

from neuroboard.api.peer_aliases import json_key
from neuroboard.io.reader import read_events
from neuroboard.summary.scalar import PLUGIN_NAME as SCALARS
from neuroboard.summary.scalar import scalar_value

__all__ = ["scalar_series"]


def _series_name(logdir: str, run: str, tag: str, keyed_runs: Mapping[str, tuple[str, str]]) -> str:
    main_tag, key = keyed_runs.get(run, (None, None))
    if tag == main_tag:
        return json_key(logdir, main_tag, key)
    return json_key(logdir, run, tag) if run else json_key(logdir, tag)


def scalar_series(
    logdir: str,
    files: Mapping[str, list[str]],
    keyed_runs: Mapping[str, tuple[str, str]],
    storage_options: dict | None = None,
) -> dict[str, list[list]]:
    """Return ``{series: [[wall_time, step, value], ...]}`` of the scalars in ``files`` (``{run: paths}``).

    ``keyed_runs`` names the sub-runs of ``add_scalars`` keys: ``{run: (main_tag, key)}``.

    >>> import tempfile; from neuroboard.io import EventWriter
    >>> w = EventWriter(tempfile.mkdtemp()); w.add_scalar("loss", 0.5, 3, 1.0); w.close()
    >>> series = scalar_series(w.logdir, {"": w.paths}, {})
    >>> list(series.values())
    [[[1.0, 3, 0.5]]]
    """
    series: dict[str, list[list]] = {}
    for run, paths in files.items():
        scalar_tags: set[str] = set()
        for path in sorted(set(paths)):
            for event in read_events(path, storage_options=storage_options):
                for value in event.summary.value:
                    kind = value.WhichOneof("value")
                    if value.metadata.plugin_data.plugin_name == SCALARS:
                        scalar_tags.add(value.tag)
                    if kind != "simple_value" and not (kind == "tensor" and value.tag in scalar_tags):
                        continue
                    name = _series_name(logdir, run, value.tag, keyed_runs)
                    series.setdefault(name, []).append([event.wall_time, event.step, scalar_value(value)])
    return series
