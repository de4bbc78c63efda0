"""Small NumPy spiking networks (LIF and QIF) for the demo, the examples and the tests.

>>> net = make_network("qif", n=50, seed=0)
>>> net.run(10).v.shape
(50,)
"""

from __future__ import annotations

from neuroboard.sim.lif import LIFNetwork, SimState
from neuroboard.sim.qif import QIFNetwork

__all__ = ["LIFNetwork", "QIFNetwork", "SimState", "make_network"]

_KINDS = {"lif": LIFNetwork, "qif": QIFNetwork}


def make_network(kind: str = "lif", n: int = 100, **kwargs: object) -> LIFNetwork | QIFNetwork:
    """Return a new ``LIFNetwork`` (``kind="lif"``) or ``QIFNetwork`` (``"qif"``) of ``n`` neurons.

    Keyword arguments go to the network's constructor.

    >>> net = make_network("lif", n=20, dt=0.1, seed=1)
    >>> type(net).__name__, net.n
    ('LIFNetwork', 20)
    """
    if not isinstance(kind, str) or kind.lower() not in _KINDS:
        raise ValueError(f"kind: expected one of {sorted(_KINDS)}, got {kind!r}")
    return _KINDS[kind.lower()](n=n, **kwargs)
