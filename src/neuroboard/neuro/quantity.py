"""Values with units, from Brian2 or the ``quantities`` package (Neo's), taken where a time or a value enters.

Neither package is imported unless such a value is handed in: a value is
recognised by the module its type comes from.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["is_quantity", "strip", "time_in_seconds", "unit_of"]


_PACKAGES = ("brian2", "quantities")


def _package(value: Any) -> str:
    return type(value).__module__.partition(".")[0]


def is_quantity(value: Any) -> bool:
    """Return whether ``value`` carries a unit (a Brian2 quantity or a ``quantities`` array).

    >>> import quantities as pq
    >>> is_quantity(1.0 * pq.mV), is_quantity(1.0)
    (True, False)
    """
    return _package(value) in _PACKAGES


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


def strip(value: Any, unit: str | None, where: str) -> tuple[np.ndarray, str | None]:
    """Return a quantity's numbers in ``unit`` (its own unit when ``None``) and that unit.

    The unit of a series is that of its first value: a later value in another
    unit of the same dimension is converted to it (a Brian2 quantity's numbers
    are always SI), one of another dimension is refused naming ``where``.

    >>> import quantities as pq
    >>> strip([1.0, 2.0] * pq.V, "mV", "f(v=...)")
    (array([1000., 2000.]), 'mV')
    """
    own = unit_of(value)
    if unit is None or own == unit:
        return np.asarray(value), own
    if _package(value) == "quantities":
        try:
            return np.asarray(value.rescale(unit).magnitude), unit
        except ValueError:
            pass
    raise ValueError(
        f"{where}: expected values in {unit} as at the first recorded step, got {own or 'no unit'}"
    )
