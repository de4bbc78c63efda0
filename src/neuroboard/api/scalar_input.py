"""The checks of SummaryWriter's scalar calls: keys that become sub-runs, series, and chart tags.

Each function checks a whole call's arguments before anything is written and
returns them converted, so the methods only write.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from neuroboard.summary.convert import as_array, as_run_name, as_steps, as_tag

__all__ = ["chart_tags", "checked_key", "series_input", "subrun_name"]


def subrun_name(main_tag: str, key: str) -> str:
    """Return the sub-run of ``main_tag``'s ``key``: ``<main_tag>_<key>``, a ``/`` of ``main_tag`` made ``_`` (torch's).

    >>> subrun_name("loss/all", "train")
    'loss_all_train'
    """
    return f"{main_tag.replace('/', '_')}_{key}"


def checked_key(main_tag: str, key: Any, layout: str, func: str) -> str:
    """Return an ``add_scalars`` key: a tag with ``layout="tags"``, else a sub-run that stays inside.

    >>> checked_key("loss", "train", "runs", "add_scalars")
    'train'
    """
    if layout == "tags" or not isinstance(key, str):
        return as_tag(key, func, "tag_scalar_dict key")
    return as_run_name(key, func, "tag_scalar_dict key", subrun_name(main_tag, key))


def chart_tags(tags: Any, count: int | None, func: str) -> list[str]:
    """Return the tags of one Custom Scalars chart, ``count`` of them if given.

    >>> chart_tags(("a", "b"), None, "add_custom_scalars_multilinechart")
    ['a', 'b']
    """
    if isinstance(tags, (str, bytes)) or not isinstance(tags, Sequence):
        raise TypeError(f"{func}(tags=...): expected a list of tags, got {type(tags).__name__}")
    if count is not None and len(tags) != count:
        raise ValueError(f"{func}(tags=...): expected {count} tags [value, lower, upper], got {list(tags)!r}")
    return [as_tag(tag, func, "tags") for tag in tags]


def series_input(
    tag: Any, values: Any, steps: Any, walltimes: Any, names: Sequence[str] | None, now: float, func: str
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray, list[str] | None]:
    """Return ``add_series``' values, steps (None: the next ones), one wall time per step, and sub-run names.

    ``now`` is the wall time of a series given none.

    >>> values, steps, walls, names = series_input("v", [[1, 2]], None, None, None, 5.0, "add_series")
    >>> values.shape, steps, walls.tolist(), names
    ((1, 2), None, [5.0], ['0', '1'])
    """
    as_tag(tag, func)
    array = as_array(values, func, "values")
    if array.ndim not in (1, 2):
        raise ValueError(f"{func}(values=...): expected shape (T,) or (T, N), got shape {array.shape}")
    count = array.shape[0]
    if array.ndim == 2:
        columns = array.shape[1]
        if names is None:
            names = [str(i) for i in range(columns)]
        elif isinstance(names, str) or len(names) != columns:
            raise ValueError(
                f"{func}(names=...): expected {columns} names, one per column of values, got {names!r}"
            )
        names = [as_run_name(name, func, "names", subrun_name(tag, name)) for name in names]
    elif names is not None:
        raise ValueError(f"{func}(names=...): names go with 2-D values (T, N), got shape {array.shape}")
    step_array = None if steps is None else as_steps(steps, count, func)
    if walltimes is None:
        return array, step_array, np.full(count, now), names
    walls = as_array(walltimes, func, "walltimes")
    if walls.ndim == 0:
        walls = np.full(count, float(walls))
    elif walls.shape != (count,):
        raise ValueError(f"{func}(walltimes=...): expected one time or {count}, got shape {walls.shape}")
    if not np.isfinite(walls).all():
        raise ValueError(f"{func}(walltimes=...): expected finite seconds since the epoch")
    return array, step_array, walls, names
