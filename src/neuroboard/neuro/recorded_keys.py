"""The keys of an Observer's recordings as exporters name them, and ``units={key: unit}`` checked against them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["key_label", "units_by_key"]


def key_label(key: Any) -> str:
    """Return a recording's key as one name: ``"out"``, or ``"node/var"`` for a ``(node, var)`` key.

    >>> key_label("out"), key_label(("lif", "v"))
    ('out', 'lif/v')
    """
    return key if isinstance(key, str) else "/".join(key)


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
