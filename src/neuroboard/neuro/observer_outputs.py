"""What an Observer's recordings become: TensorBoard runs, NWB files, Neo Blocks and matplotlib plots.

:class:`Outputs` holds these methods of :class:`~neuroboard.neuro.Observer`
(a mixin); each hands the Observer to the module that owns the format.
"""

from __future__ import annotations

import os
from typing import Any

from neuroboard.neuro import observer_plot, observer_views

__all__ = ["Outputs"]

Key = str | tuple[str, str]


class Outputs:
    """The Observer's ways out: ``to_tensorboard``, ``to_nwb``, ``to_neo``, ``plot`` and ``matshow``.

    >>> from neuroboard.neuro import Observer
    >>> issubclass(Observer, Outputs)
    True
    """

    def to_tensorboard(self, writer_or_logdir: Any, prefix: str = "") -> None:
        """Write the recordings to TensorBoard: traces as scalars, neurons as heatmaps, spikes as rasters.

        ``writer_or_logdir`` is a logdir (written and closed here), a
        :class:`~neuroboard.SummaryWriter` or a
        :class:`~neuroboard.neuro.TensorboardWriter`. Tags start with
        ``prefix``; ``path`` below is ``out``, ``loss`` or ``<node>/<var>``.

        - one value per step (``out``, ``loss``, reduced variables): the scalar
          series ``path`` at the recorded steps, written in bulk;
        - one value per neuron: a heatmap image ``path``, neurons as rows and
          time as columns (at most 2000 × 1000 pixels, averaged beyond), at the
          last recorded step;
        - spikes: a raster image ``<node>/<var>/raster`` and the population
          rate (spikes per neuron per unit of time) as the scalar series
          ``<node>/<var>/rate``, at every step from the first to the last.

        Everything recorded so far is written: call it once at the end, or
        after each chunk of a long run followed by :meth:`reset`.

        >>> from neuroboard.neuro import Observer
        >>> import numpy as np
        >>> import tempfile
        >>> obs = Observer(0.1, record_vars=[("lif", "v", False)], record_spikes=[("lif", "s")])
        >>> for t in range(50): obs.record(t, loss=1 / (t + 1), record_vars=[np.random.rand(8)],
        ...                                record_spikes=[np.random.rand(8) < 0.1])
        >>> obs.to_tensorboard(tempfile.mkdtemp(), prefix="sim/")
        """
        observer_views.to_tensorboard(self, writer_or_logdir, prefix)

    def to_nwb(self, path: str | os.PathLike[str], *, time_unit: str | None = None, **metadata: Any) -> None:
        """Write the recordings as the NWB file ``path``: spikes as the Units table, variables as TimeSeries.

        ``time_unit`` (``"s"``, ``"ms"`` or ``"us"``) is ``dt``'s unit, by
        default :attr:`time_unit`, else seconds; every time is written in
        seconds. ``units={key: unit}``
        names the unit of a recorded quantity (by default those in
        :attr:`units`, ``"n/a"`` otherwise); the
        population rates are in Hz. Session metadata (``session_description``,
        ``identifier`` (a uuid4), ``session_start_time`` (now),
        ``experimenter``, ``institution``, ``lab``, ``subject``) and
        ``compression`` are keywords too. Needs pynwb (``pip install
        neuroboard[nwb]``); the layout is in :mod:`neuroboard.neuro.nwb`.

        >>> from neuroboard.neuro import Observer
        >>> import numpy as np
        >>> import tempfile, os
        >>> obs = Observer(0.5, record_spikes=[("lif", "s")]); obs.record(0, record_spikes=[np.ones(2)])
        >>> obs.to_nwb(os.path.join(tempfile.mkdtemp(), "run.nwb"), time_unit="ms")
        """
        from neuroboard.neuro.nwb import observer_to_nwb

        observer_to_nwb(self, path, time_unit=time_unit, **metadata)

    def to_neo(self, time_unit: str | None = None, units: dict[Key, str] | None = None) -> Any:
        """Return the recordings as a ``neo.Block``: a SpikeTrain per neuron, an AnalogSignal per quantity.

        ``time_unit`` is ``dt``'s unit, by default :attr:`time_unit`, else ms (rectipy's); ``units={key: unit}``
        the quantities' (by default those in
        :attr:`units`, dimensionless otherwise).
        Needs neo (``pip install neuroboard[neo]``); the layout is in :mod:`neuroboard.neuro.neo_io`.

        >>> from neuroboard.neuro import Observer
        >>> obs = Observer(0.1, record_loss=False); obs.record(0, output=1.0); obs.to_neo().segments[0].analogsignals[0].name
        'out'
        """
        from neuroboard.neuro.neo_io import observer_to_neo

        return observer_to_neo(self, time_unit=time_unit, units=units)

    def plot(self, y: Key, x: Key | None = None, ax: Any = None, **kwargs: Any) -> Any:
        """Plot ``y`` against time, or against another recorded key ``x``; return the axes (matplotlib).

        Labels are rectipy's (``time``, ``Node: qif, variable: v``);
        ``figsize=`` sizes a new figure; other keywords go to ``ax.plot``.

        >>> import matplotlib; matplotlib.use("Agg")
        >>> from neuroboard.neuro import Observer
        >>> obs = Observer(0.1, record_loss=False); obs.record(0, output=1.0); obs.record(1, output=2.0)
        >>> obs.plot("out").get_xlabel()
        'time'
        """
        return observer_plot.plot(self, y, x, ax, **kwargs)

    def matshow(self, v: Key, ax: Any = None, **kwargs: Any) -> Any:
        """Show ``v``'s steps × neurons recordings as an image with a colorbar (matplotlib); return the axes.

        ``figsize=`` and ``shrink=`` (the colorbar's, 0.6) as in rectipy; other
        keywords, ``aspect=`` among them, go to ``imshow``.

        >>> import matplotlib; matplotlib.use("Agg")
        >>> import numpy as np
        >>> from neuroboard.neuro import Observer
        >>> obs = Observer(0.1, record_output=False, record_loss=False, record_vars=[("lif", "v", False)])
        >>> for step in range(3): obs.record(step, record_vars=[np.ones(4) * step])
        >>> obs.matshow(("lif", "v")).get_images()[0].get_array().shape
        (4, 3)
        """
        return observer_plot.matshow(self, v, ax, **kwargs)
