"""Values with units, from Brian2 or the ``quantities`` package (Neo's), taken where a time or a value enters.

Neither package is imported unless such a value is handed in: a value is
recognised by the module its type comes from.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["time_in_seconds", "unit_of"]


def _package(value: Any) -> str:
    return type(value).__module__.partition(".")[0]


def time_in_seconds(value: Any, where: str) -> float | None:
    """Return a time quantity (Brian2's ``0.1*ms``, quantities' ``0.1*pq.ms``) in seconds; ``None`` for anything else.

    A quantity of another dimension, or of several values, is refused naming ``where``.

    >>> import quantities as pq
    >>> time_in_seconds(0.1 * pq.ms, "f(dt=...)"), time_in_seconds(0.5, "f(dt=...)")
    (0.0001, None)
    """
    package = _package(value)
    if package == "brian2":
        import brian2

        if not brian2.have_same_dimensions(value, brian2.second) or np.size(value) != 1:
            raise ValueError(f"{where}: expected one time such as 0.1*ms, got {value!r}")
        return float(np.asarray(value / brian2.second))
    if package == "quantities":
        import quantities

        try:
            seconds = value.rescale(quantities.s)
        except ValueError:
            seconds = None
        if seconds is None or np.size(seconds) != 1:
            raise ValueError(f"{where}: expected one time such as 0.1*pq.ms, got {value!r}") from None
        return float(np.asarray(seconds.magnitude))
    return None


def unit_of(value: Any) -> str | None:
    """Return the unit a recorded value's numbers are in, if it came with one: ``"V"``, ``"mV"``; else ``None``.

    A Brian2 quantity's numbers are in SI base units (``np.asarray`` gives
    them so), its unit is the SI one; a ``quantities`` value keeps its own.

    >>> import numpy as np, quantities as pq
    >>> unit_of(np.ones(3) * pq.mV), unit_of(np.ones(3))
    ('mV', None)
    """
    package = _package(value)
    if package == "brian2":
        import brian2

        dim = brian2.get_dimensions(value)
        return None if dim.is_dimensionless else str(brian2.get_unit(dim))
    if package == "quantities":
        text = value.dimensionality.string
        return None if text == "dimensionless" else text
    return None
