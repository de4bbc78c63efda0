"""Quadratic integrate-and-fire population in NumPy, the network of the rectipy examples.

Time is in milliseconds; the potential ``v`` and the drives ``eta`` and ``input`` are in the
dimensionless units of the QIF normal form (Montbrio, Pazo & Roxin 2015).
"""

from __future__ import annotations

import numpy as np

from neuroboard.sim.lif import _as_float32, _check_float, _SpikingNetwork

__all__ = ["QIFNetwork"]


class QIFNetwork(_SpikingNetwork):
    """Return a population of quadratic integrate-and-fire neurons (times in ms).

    Each neuron follows ``tau * dv/dt = v**2 + eta_i + input + tau * sum_j W[i, j] * s_j``
    (explicit Euler), spikes when ``v >= v_peak`` and is reset to ``-v_peak``.  ``s_j`` is the
    synaptic trace of neuron ``j`` in 1/ms: it decays with ``tau_s`` and jumps by ``1 / tau_s``
    per spike, so its mean over time is the neuron's rate and the population mean is the
    network ``output`` (reported in Hz).

    Defaults: ``dt=0.01``, ``tau=10``, ``eta=-5``, ``delta=1``, ``v_peak=100``, ``tau_s=2``.
    The excitabilities ``eta_i`` follow a Lorentzian of centre ``eta`` and half-width
    ``delta`` (deterministic quantiles in a seeded random order; ``delta=0`` makes them all
    ``eta``).  A lone neuron fires for ``eta + input > 0``, with period close to
    ``pi * tau / sqrt(eta + input)``, and rests at ``-sqrt(-eta)`` otherwise.  ``coupling``
    is a number ``J`` -- pairs connected with probability ``p`` (default 1.0, all-to-all,
    no self-connections) with weight ``J / (p * (n - 1))`` -- or an ``(n, n)`` matrix ``W``.
    ``v0`` is the initial potential (number or ``(n,)``); by default uniform in ``[-2, 0)``.

    >>> net = QIFNetwork(n=1000, coupling=15.0, seed=0)
    >>> state = net.run(100, input=3.0)
    >>> state.v.shape, state.spikes.dtype, round(state.t, 6)
    ((1000,), dtype('bool'), 1.0)
    """

    def __init__(
        self,
        n: int = 100,
        dt: float = 0.01,
        coupling: object = 0.0,
        seed: int | None = None,
        *,
        p: float = 1.0,
        tau: float = 10.0,
        eta: float = -5.0,
        delta: float = 1.0,
        v_peak: float = 100.0,
        tau_s: float = 2.0,
        v0: object = None,
    ):
        super().__init__(n, dt, coupling, p, tau_s, seed)
        self.tau = _check_float("tau", tau, positive=True)
        self.eta = _check_float("eta", eta)
        self.delta = _check_float("delta", delta)
        if self.delta < 0:
            raise ValueError(f"delta: expected >= 0, got {self.delta}")
        self.v_peak = _check_float("v_peak", v_peak, positive=True)
        quantiles = (2.0 * np.arange(1, self.n + 1) - self.n - 1) / (self.n + 1)
        etas = self.eta + self.delta * np.tan(0.5 * np.pi * quantiles)
        self.etas = self._rng.permutation(etas).astype(np.float32)
        if v0 is None:
            v = self._rng.uniform(-2.0, 0.0, self.n)
        else:
            v = _as_float32("v0", v0)
            if v.ndim != 0 and v.shape != (self.n,):
                raise ValueError(f"v0: expected a number or shape ({self.n},), got shape {v.shape}")
        self._v = np.broadcast_to(v, (self.n,)).astype(np.float32)
        # Synaptic input sum_j W[i, j] * s_j; every s_j decays with the same tau_s, so the sum
        # itself decays with tau_s and only the spiking neurons' rows need adding.
        self._u = np.zeros(self.n, np.float32)
        self._gain = np.float32(self.dt / self.tau)

    def _advance(self, current: np.ndarray | np.float32) -> np.ndarray:
        v = self._v
        v = v + self._gain * (v * v + self.etas + current + np.float32(self.tau) * self._u)
        spikes = v >= self.v_peak
        v[spikes] = -self.v_peak
        self._v = v
        if self._w_out is not None:
            self._u *= self._s_decay
            arrived = self._deliver(spikes)
            if arrived is not None:
                self._u += arrived * np.float32(1.0 / self.tau_s)
        return spikes
