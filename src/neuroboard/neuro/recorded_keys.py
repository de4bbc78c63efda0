"""What the exporters of an Observer's recordings (NWB, Neo) share.

The keys as one name and ``units={key: unit}`` checked against them; which
neurons a recorded variable holds; whether its steps are evenly spaced; and
spikes grouped by neuron.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from neuroboard.neuro.observer import Observer

__all__ = [
    "by_neuron",
    "even_spacing",
    "kept_neurons",
    "key_label",
    "known_units",
    "reducer_name",
    "units_by_key",
    "variables",
]


def key_label(key: Any) -> str:
    """Return a recording's key as one name: ``"out"``, or ``"node/var"`` for a ``(node, var)`` key.

    >>> key_label("out"), key_label(("lif", "v"))
    ('out', 'lif/v')
    """
    return key if isinstance(key, str) else "/".join(key)


def known_units(obs: Observer, keys: list[Any]) -> dict[str, str]:
    """Return the units ``obs`` knows (:attr:`Observer.units`) of the recorded ``keys``, by label.

    >>> from neuroboard.neuro import Observer
    >>> obs = Observer(1.0, record_vars=[("lif", "v", False)]); obs.save("units", {"lif/v": "V", "lif/s": "1"})
    >>> known_units(obs, [("lif", "v")])
    {'lif/v': 'V'}
    """
    labels = {key_label(key) for key in keys}
    return {label: unit for label, unit in obs.units.items() if label in labels}


def units_by_key(
    value: Any, keys: list[Any], where: str, convert: Callable[[Any, Any], Any]
) -> dict[Any, Any]:
    """Return ``units={key: unit}`` by recorded key, each unit through ``convert(key, unit)``.

    A key is a recorded key, or its label (``"lif/v"``); ``where`` names the
    argument in errors, ``convert`` raises for a unit it refuses.

    >>> units_by_key({"lif/v": "mV"}, [("lif", "v")], "f(units=...)", lambda key, unit: unit)
    {('lif', 'v'): 'mV'}
    """
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise TypeError(f"{where}: expected a dict of key -> unit, got {type(value).__name__}")
    by_label = {key_label(key): key for key in keys}
    found = {}
    for key, unit in value.items():
        label = key if isinstance(key, str) else key_label(key) if isinstance(key, tuple) else None
        if label not in by_label:
            known = ", ".join(map(repr, by_label)) or "none"
            raise ValueError(f"{where}: {key!r} is not a recorded quantity (recorded: {known})")
        found[by_label[label]] = convert(key, unit)
    return found


def variables(obs: Observer) -> dict[Any, tuple[Any, np.ndarray | None]]:
    """Return each recorded variable's ``(reducer, indices)`` by key, as ``record_vars`` declared them.

    A variable that keeps every column it was given takes its neurons from
    ``obs["neurons"]`` (key label -> neuron of each column), where an adapter
    saved those of a monitor that recorded some neurons only.

    >>> from neuroboard.neuro import Observer
    >>> obs = Observer(1.0, record_vars=[("lif", "v", False), ("lif", "i", False)])
    >>> obs.save("neurons", {"lif/i": [4, 0, 2]}); variables(obs)
    {('lif', 'v'): (None, None), ('lif', 'i'): (None, array([4, 0, 2]))}
    """
    saved = getattr(obs, "_saved", {}).get("neurons")
    given = saved if isinstance(saved, Mapping) else {}
    found = {}
    for key, reducer, indices in obs._vars:
        columns = given.get(key_label(key)) if reducer is None and indices is None else None
        if columns is not None:
            columns = np.asarray(columns)
            indices = columns if columns.ndim == 1 and columns.dtype.kind in "iu" else None
        found[key] = (reducer, indices)
    return found


def kept_neurons(indices: np.ndarray | None) -> np.ndarray | None:
    """Return the neuron indices a selection keeps (a boolean mask as the indices it sets), None for all.

    >>> kept_neurons(np.array([True, False, True])).tolist(), kept_neurons(None)
    ([0, 2], None)
    """
    if indices is None:
        return None
    return np.flatnonzero(indices) if indices.dtype.kind == "b" else indices


def reducer_name(reducer: Any, default: str) -> str:
    """Return the name of a variable's reduction (``"mean"``, ...), or ``default`` for one without a name.

    >>> reducer_name(np.mean, "a reduction")
    'mean'
    """
    return getattr(reducer, "name", None) or getattr(reducer, "__name__", default)


def even_spacing(steps: np.ndarray, default: int) -> int | None:
    """Return the spacing of ``steps`` when they are evenly spaced (``default`` for fewer than two), else None.

    >>> even_spacing(np.array([0, 2, 4]), 1), even_spacing(np.array([0, 1, 3]), 1), even_spacing(np.array([5]), 3)
    (2, None, 3)
    """
    gaps = np.diff(steps)
    if len(gaps) == 0:
        return default
    return int(gaps[0]) if gaps[0] > 0 and (gaps == gaps[0]).all() else None


def by_neuron(neurons: np.ndarray, n_neurons: int) -> tuple[np.ndarray, np.ndarray]:
    """Return the order that groups spikes by neuron, each neuron's in step order, and where each neuron's end.

    ``neurons`` are the spikes' neurons, in step order; neuron ``k``'s
    spikes are ``order[ends[k - 1]:ends[k]]``.

    >>> order, ends = by_neuron(np.array([1, 0, 1]), 3)
    >>> order.tolist(), ends.tolist()
    ([1, 0, 2], [1, 3, 3])
    """
    # A stable sort keeps each neuron's spikes in step order; 16-bit keys sort by radix, in one pass.
    keys = neurons.astype(np.uint16) if n_neurons <= 1 << 16 else neurons
    order = np.argsort(keys, kind="stable")
    return order, np.cumsum(np.bincount(neurons, minlength=n_neurons))
