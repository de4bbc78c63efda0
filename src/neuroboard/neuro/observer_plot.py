"""An Observer's recordings drawn with matplotlib: line plots and a steps × neurons image, as rectipy labels them.

Axis labels follow rectipy: ``time`` along the steps, ``Node: <node>,
variable: <var>`` for a ``(node, var)`` key and the key itself otherwise.
``figsize=`` sizes the figure made when no ``ax`` is given.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from neuroboard.neuro.observer import Key, Observer

__all__ = ["axis_label", "matshow", "plot"]


def axis_label(key: Any) -> str:
    """Return rectipy's axis label of ``key``.

    >>> axis_label(("qif", "v")), axis_label("out")
    ('Node: qif, variable: v', 'out')
    """
    if isinstance(key, tuple):
        return f"Node: {key[0]}, variable: {key[-1]}"
    return str(key)


def _axes(ax: Any, kwargs: dict[str, Any]) -> Any:
    figsize = kwargs.pop("figsize", None)
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(**({} if figsize is None else {"figsize": figsize}))
    return ax


def plot(obs: Observer, y: Key, x: Key | None = None, ax: Any = None, **kwargs: Any) -> Any:
    """Plot ``y`` against time, or against another recorded key ``x``; return the axes.

    >>> import matplotlib; matplotlib.use("Agg")
    >>> from neuroboard.neuro import Observer
    >>> obs = Observer(0.5); obs.record(0, output=1.0); obs.record(1, output=2.0)
    >>> ax = plot(obs, "out", figsize=(4, 3)); ax.get_xlabel(), ax.lines[0].get_xdata().tolist()
    ('time', [0.0, 0.5])
    """
    ax = _axes(ax, kwargs)
    xs = obs.times(y) if x is None else obs.to_numpy(x)
    ax.plot(xs, obs.to_numpy(y), **kwargs)
    ax.set_xlabel("time" if x is None else axis_label(x))
    ax.set_ylabel(axis_label(y))
    return ax


def matshow(obs: Observer, v: Key, ax: Any = None, **kwargs: Any) -> Any:
    """Show ``v``'s recordings as an image, neurons as rows and steps as columns, with a colorbar.

    ``shrink`` (default 0.6, as rectipy's) sizes the colorbar; other keywords
    go to ``imshow``. The image fills the axes (``aspect="auto"``) and shows
    each value as one cell (``interpolation="none"``) unless told otherwise.

    >>> import matplotlib; matplotlib.use("Agg")
    >>> from neuroboard.neuro import Observer
    >>> import numpy as np
    >>> obs = Observer(0.5, record_vars=[("qif", "v", False)])
    >>> for step in range(3): obs.record(step, record_vars=[np.arange(4.0) * step])
    >>> ax = matshow(obs, ("qif", "v")); ax.images[0].get_array().shape, len(ax.figure.axes)
    ((4, 3), 2)
    """
    import matplotlib.pyplot as plt

    ax = _axes(ax, kwargs)
    shrink = kwargs.pop("shrink", 0.6)
    kwargs.setdefault("aspect", "auto")
    kwargs.setdefault("interpolation", "none")
    values = obs.to_numpy(v)
    image = ax.imshow(values.reshape(len(values), -1).T, **kwargs)
    plt.colorbar(image, ax=ax, shrink=shrink)
    ax.set_xlabel("time")
    ax.set_ylabel(axis_label(v))
    return ax
