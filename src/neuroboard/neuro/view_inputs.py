"""What :class:`~neuroboard.neuro.TensorboardWriter` is given, checked: spikes, values, hyperparameters, buffers.

Each function takes the :class:`~neuroboard.neuro.view_settings.Where` of the call, so that
an error names the method (or ``write``'s key) and the argument.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from neuroboard.neuro.view_settings import EVENT_COLOR, Settings, Where
from neuroboard.summary.convert import as_array, as_tag, is_tensor
from neuroboard.summary.hparams import hparam_value

__all__ = [
    "Source",
    "dense_spikes",
    "event_lists",
    "hparam_array",
    "infer_kind",
    "mark_events",
    "numeric",
    "singleton",
]

_RASTER = "expected a 2-D binary array (time × neurons) or event lists"


def numeric(array: Any, where: Where) -> np.ndarray:
    """Return ``array`` (array, list or tensor) as a NumPy array of its own dtype, the call named in errors.

    >>> numeric([[0, 1]], Where("f")).dtype.kind
    'i'
    """
    return as_array(array, where.func, where.arg, dtype=None)


def event_lists(array: Any, settings: Settings, where: Where) -> tuple[Any, int, int] | None:
    """Return (spikes, n_steps, n_neurons) for event lists, None for a dense array.

    The extent is ``n_steps``/``n_neurons`` from the settings, else the largest indices plus one.

    >>> event_lists(([0, 4], [1, 0]), Settings(), Where("f"))[1:]
    (5, 2)
    """
    if isinstance(array, tuple):
        if len(array) != 2:
            raise ValueError(f"{where()}: {_RASTER}, got a tuple of {len(array)} items")
        parts = [numeric(part, where) for part in array]
        if any(part.ndim != 1 for part in parts) or parts[0].shape != parts[1].shape:
            raise ValueError(
                f"{where()}: {_RASTER} (two 1-D integer arrays of equal length), "
                f"got shapes {parts[0].shape} and {parts[1].shape}"
            )
        steps, neurons = parts
    else:
        pairs = numeric(array, where)
        if not (pairs.ndim == 2 and pairs.shape[1] == 2 and pairs.dtype.kind in "iu"):
            return None
        steps, neurons = pairs[:, 0], pairs[:, 1]
    for part, what in ((steps, "step"), (neurons, "neuron")):
        if part.size and part.dtype.kind not in "iu":
            raise ValueError(f"{where()}: {_RASTER}, got {what} indices of dtype {part.dtype}")
        if part.size and part.min() < 0:
            raise ValueError(f"{where()}: {_RASTER}, got a negative {what} index {part.min()}")
    if steps.size == 0 and (settings.n_steps is None or settings.n_neurons is None):
        raise ValueError(f"{where()}: {_RASTER}, got no events (an empty raster needs n_steps and n_neurons)")
    steps, neurons = steps.astype(np.int64, copy=False), neurons.astype(np.int64, copy=False)
    extent = []
    for part, given, key in (
        (steps, settings.n_steps, "n_steps"),
        (neurons, settings.n_neurons, "n_neurons"),
    ):
        largest = int(part.max()) + 1 if part.size else 0
        if given is not None and given < largest:
            raise ValueError(f"{where.setting(key)}: the events reach index {largest - 1}, got {given}")
        extent.append(largest if given is None else given)
    return (steps, neurons), extent[0], extent[1]


def dense_spikes(array: Any, where: Where) -> np.ndarray:
    """Return a dense raster (time × neurons) of flags or counts, checked: whole, non-negative numbers.

    >>> dense_spikes([[0.0, 2.0]], Where("f")).shape
    (1, 2)
    """
    spikes = numeric(array, where)
    got = f"got shape {spikes.shape} and dtype {spikes.dtype}"
    if spikes.ndim != 2 or spikes.size == 0:
        raise ValueError(f"{where()}: {_RASTER}, {got}")
    if spikes.dtype.kind != "b":
        # Counts are allowed; anything that cannot be a count is not spikes.
        if spikes.dtype.kind == "f" and not (
            np.isfinite(spikes).all() and (spikes == np.round(spikes)).all()
        ):
            raise ValueError(f"{where()}: {_RASTER}, {got} with values that are not whole numbers")
        if spikes.min() < 0:
            raise ValueError(f"{where()}: {_RASTER}, {got} with negative values")
    return spikes


def mark_events(
    image: np.ndarray, times: np.ndarray, colors: tuple[tuple[int, int, int], ...] | None, n_steps: int
) -> None:
    """Draw a half-transparent vertical bar at each event time (in steps) across the raster, in place.

    >>> image = np.full((1, 4, 3), 255, np.uint8); mark_events(image, np.array([2.0]), ((255, 0, 0),), 4)
    >>> image[0, 2].tolist()
    [255, 127, 127]
    """
    width = image.shape[1]
    for index, time in enumerate(times):
        column = int(time * width // n_steps)
        if 0 <= column < width:
            color = np.array(EVENT_COLOR if colors is None else colors[index], dtype=np.uint16)
            image[:, column] = ((image[:, column].astype(np.uint16) + color) // 2).astype(np.uint8)


def singleton(value: Any, where: Where) -> str | bool | int | float:
    """Return a hyperparameter value as a Python str, bool, int or float (arrays of size 1 included).

    >>> singleton(np.array([20.0], np.float32), Where("f")), singleton(b"LIF", Where("f"))
    (20.0, 'LIF')
    """
    if is_tensor(value):
        value = value.detach().cpu().numpy()
    if not isinstance(value, (str, bytes)):
        try:
            array = np.asarray(value)
        except (TypeError, ValueError):
            raise TypeError(
                f"{where()}: expected a single number, bool or str, got {type(value).__name__}"
            ) from None
        if array.size != 1:
            raise ValueError(
                f"{where()}: expected a singleton (a number, bool, str or array of size 1), got shape "
                f"{array.shape}; write arrays with kind='trace' or kind='heatmap'"
            )
        value = array.reshape(()).item()
    if isinstance(value, bytes):
        # HDF5 attributes often hold strings as bytes.
        value = value.decode("utf-8", errors="replace")
    return hparam_value(value, where.func, where.arg)


def _as_array(value: Any, where: Where, expected: str) -> np.ndarray:
    if is_tensor(value):
        value = value.detach().cpu().numpy()
    try:
        return np.asarray(value)
    except (TypeError, ValueError):
        raise TypeError(f"{where()}: expected {expected}, got {type(value).__name__}") from None


def hparam_array(value: Any, where: Where) -> tuple[np.ndarray, bool]:
    """Return the values of a hyperparameter as a 1-D array (one per neuron) and whether it was 1-D.

    >>> hparam_array(5.0, Where("f"))[1], hparam_array([1.0, 2.0], Where("f"))[0].tolist()
    (False, [1.0, 2.0])
    """
    array = _as_array(value, where, "a number, bool, str or 1-D array")
    if array.size != 1 and (array.ndim != 1 or array.dtype.kind not in "biuf"):
        raise ValueError(
            f"{where()}: expected a singleton or a 1-D numeric array (one value per neuron), got "
            f"{array.dtype} of shape {array.shape}; write other arrays with kind='trace' or kind='heatmap'"
        )
    return array.reshape(-1), array.ndim == 1


def infer_kind(value: Any, where: Where) -> str:
    """Return the kind ``write`` draws ``value`` as when none is given: hparam, raster, trace or heatmap.

    >>> [infer_kind(v, Where("f")) for v in (3.0, np.eye(2), np.ones((5, 2)) * 0.5, np.ones((2, 2, 2)))]
    ['hparam', 'raster', 'trace', 'heatmap']
    """
    if isinstance(value, (str, bytes)):
        return "hparam"
    if isinstance(value, tuple) and len(value) == 2:
        return "raster"
    array = _as_array(value, where, "an array, a number or a str")
    if array.size == 1:
        return "hparam"
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{where()}: expected a numeric array, got dtype {array.dtype}")
    if array.ndim == 2 and (array.dtype.kind == "b" or ((array == 0) | (array == 1)).all()):
        return "raster"
    if array.ndim in (1, 2):
        return "trace"
    if array.ndim == 3:
        return "heatmap"
    raise ValueError(
        f"{where()}: cannot infer what to draw from shape {array.shape}; "
        "pass kind='raster', 'trace', 'heatmap' or 'hparam'"
    )


class Source:
    """What :meth:`TensorboardWriter.write` reads: the buffer, the identifier, the file's attributes.

    ``described_by`` names the buffer entries that describe the data (the file's attributes), which
    ``key=None`` does not write; ``missing`` the keys an ``HDFData`` was asked for and its file lacks.

    >>> Source.of({"v": [1.0]}, "f").identifier is None
    True
    """

    def __init__(
        self,
        buffer: Mapping[str, Any],
        identifier: str | None,
        attrs: Mapping[str, Any],
        described_by: frozenset[str],
        missing: frozenset[str],
    ) -> None:
        self.buffer = buffer
        self.identifier = identifier
        self.attrs = attrs
        self.described_by = described_by
        self.missing = missing

    @classmethod
    def of(cls, data: Any, func: str) -> Source:
        """Return what ``data`` (a dict, or an object with a ``.buffer`` dict) holds, checked.

        >>> Source.of({"identifier": "L1", "v": [1.0]}, "f").described_by
        frozenset({'identifier'})
        """
        if isinstance(data, Mapping):
            identifier = data.get("identifier")
            if isinstance(identifier, str):
                as_tag(identifier, func, "data['identifier']")
                return cls(data, identifier, {}, frozenset({"identifier"}), frozenset())
            return cls(data, None, {}, frozenset(), frozenset())
        buffer = getattr(data, "buffer", None)
        if not isinstance(buffer, Mapping):
            raise TypeError(
                f"{func}(data=...): expected a dict of arrays or an object with a .buffer dict (HDFData), "
                f"got {type(data).__name__}"
            )
        identifier = getattr(data, "identifier", None)
        if identifier is None and isinstance(buffer.get("identifier"), str):
            identifier = buffer["identifier"]
        if identifier is not None:
            as_tag(identifier, func, "data.identifier")
        attrs = getattr(data, "attrs", None)
        if attrs is None:
            attrs = {}
        elif not isinstance(attrs, Mapping):
            raise TypeError(
                f"{func}(data.attrs=...): expected a dict of file attributes, got {type(attrs).__name__}"
            )
        # Buffer entries that are the file's attributes, or its identifier, describe the data.
        described = {k for k in buffer if k in attrs and buffer[k] is attrs[k]}
        if identifier is not None and isinstance(buffer.get("identifier"), str):
            described.add("identifier")
        missing = getattr(data, "missing", None) or ()
        return cls(buffer, identifier, attrs, frozenset(described), frozenset(missing))
