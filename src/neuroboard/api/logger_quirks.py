"""What Logger takes from ANNarchy's Logger beyond its signatures: the tags, folders and pixels of tensorboardX, in one place.

ANNarchy's ``extensions.tensorboard.Logger`` hands every call to a
tensorboardX ``SummaryWriter``, so the runs its users have on disk carry
tensorboardX's habits. :class:`~neuroboard.api.logger.Logger` writes the same,
so that old and new runs share their charts and rows; the habits are the small
functions below, so that no method of the Logger carries an ``if`` for them.
Where tensorboardX loses data (integer pixels, metrics the HPARAMS tab cannot
find), these functions do what its documentation promises instead.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

import numpy as np

from neuroboard.format.codec import Summary
from neuroboard.render.grid import make_grid
from neuroboard.summary.convert import as_run_name, as_tag
from neuroboard.summary.hparams import hparam, hparam_type, hparam_value, hparams_config, metric
from neuroboard.summary.image import to_uint8

__all__ = [
    "GRID_COLUMNS",
    "clean_tag",
    "experiment_summary",
    "grid_pixels",
    "hparams_values",
    "image_pixels",
    "subrun_folder",
]

_log = logging.getLogger("neuroboard.api.logger")

# tensorboardX's rule for a summary's name: any character but a word character, '-', '/' or '.'
# becomes '_' (\w is Unicode's: accented letters stay), and leading '/' go.
_NOT_IN_TAG = re.compile(r"[^-/\w.]")

#: Images per row of ``add_images``' grid, as tensorboardX tiles them, however many there are.
GRID_COLUMNS = 8

# (H, W, C) colour images take 1, 3 or 4 channels.
_CHANNELS = (1, 3, 4)


def clean_tag(tag: Any, func: str, arg: str = "tag") -> str:
    """Return ``tag`` as tensorboardX writes it: ``Global performance/Accuracy`` as ``Global_performance/Accuracy``.

    Each character other than a letter, a digit, ``_``, ``-``, ``/`` or
    ``.`` becomes ``_`` and leading ``/`` are dropped. A changed tag is
    logged (level INFO), as tensorboardX does.

    >>> clean_tag("Global performance/Accuracy", "add_scalar")
    'Global_performance/Accuracy'
    >>> clean_tag("/rate (Hz)", "add_scalar")
    'rate__Hz_'
    """
    as_tag(tag, func, arg)
    cleaned = _NOT_IN_TAG.sub("_", tag).lstrip("/")
    if cleaned != tag:
        if not cleaned:
            raise ValueError(
                f"{func}({arg}=...): expected a tag with a character other than '/', got {tag!r}"
            )
        _log.info("%s: tag %r is written as %r, as tensorboardX writes it", func, tag, cleaned)
    return cleaned


def subrun_folder(main_tag: Any, key: Any, func: str = "add_scalars") -> str:
    """Return the sub-run of ``add_scalars``' ``key``: ``<main_tag>/<key>``, both as given, as tensorboardX names it.

    A ``/`` in either nests folders. A folder that would leave the run
    (``..``, an absolute key) is refused, where tensorboardX writes there.

    >>> subrun_folder("Activity", "First neuron")
    'Activity/First neuron'
    """
    # The tag is a folder too: a refusal names the argument that leaves the run.
    as_run_name(main_tag, func, "tag")
    if not isinstance(key, str):
        as_tag(key, func, "value key")
    folder = f"{main_tag}/{key}"
    as_run_name(key, func, f"value[{key!r}]", folder)
    return folder


def image_pixels(array: np.ndarray) -> np.ndarray:
    """Return an image's pixels as uint8: integers of any dtype as 0..255 values (clipped), floats as [0, 1].

    >>> image_pixels(np.array([0, 128, 255, 300], dtype=np.int64)).tolist()
    [0, 128, 255, 255]
    >>> image_pixels(np.array([0.0, 0.5, 1.0])).tolist()
    [0, 128, 255]
    """
    if array.dtype.kind in "iu" and array.dtype != np.uint8:
        return np.clip(array, 0, 255).astype(np.uint8)
    return to_uint8(array)


def grid_pixels(array: np.ndarray, func: str = "add_images", arg: str = "img") -> np.ndarray:
    """Return (N, H, W) or (N, H, W, C) images tiled as tensorboardX tiles them: 8 per row, no gap, as uint8 (H', W', C).

    >>> grid_pixels(np.zeros((10, 2, 3), dtype=np.uint8)).shape
    (4, 24, 1)
    """
    if array.ndim == 3:
        array = array[..., np.newaxis]
    if array.ndim != 4 or array.shape[3] not in _CHANNELS or 0 in array.shape:
        raise ValueError(
            f"{func}({arg}=...): expected (N, H, W) or (N, H, W, C) with C = 1, 3 or 4 and N, H, W >= 1, "
            f"got shape {array.shape}"
        )
    return make_grid(image_pixels(array), ncols=min(array.shape[0], GRID_COLUMNS), padding=0)


def hparams_values(params: Any, func: str = "add_parameters", arg: str = "params") -> dict[str, Any]:
    """Return ``params`` as the HPARAMS tab's values: None left out and a function by its name, as tensorboardX does.

    Numbers of any kind (NumPy's too) stay numbers; any other value is kept as its text.

    >>> hparams_values({"tau": np.int64(10), "f": np.tanh, "unused": None, "shape": (2, 3)})
    {'tau': 10, 'f': 'tanh', 'shape': '(2, 3)'}
    """
    if not isinstance(params, Mapping):
        raise TypeError(f"{func}({arg}=...): expected a dict of names to values, got {type(params).__name__}")
    values = {}
    for name, value in params.items():
        if not isinstance(name, str) or not name:
            raise TypeError(f"{func}({arg}=...): expected non-empty str names, got {name!r}")
        if value is None:
            continue
        try:
            values[name] = hparam_value(value, func, f"{arg}[{name!r}]")
        except TypeError:
            label = getattr(value, "__name__", None) if callable(value) else None
            values[name] = label if isinstance(label, str) else str(value)
    return values


def experiment_summary(values: Mapping[str, Any], metric_tags: list[str]) -> Summary:
    """Return the experiment summary tensorboardX writes beside a run's hparams: each hparam's name and type, each metric.

    The metrics are named by the tags their scalars are written under, so
    that the HPARAMS tab finds their values.

    >>> summary = experiment_summary({"tau": 10.0}, ["accuracy"])
    >>> summary.value[0].tag
    '_hparams_/experiment'
    """
    infos = []
    for name, value in values.items():
        info = hparam(name, func="add_parameters")
        info.type = hparam_type(value)
        infos.append(info)
    return hparams_config(infos, [metric(tag, func="add_parameters") for tag in metric_tags])
