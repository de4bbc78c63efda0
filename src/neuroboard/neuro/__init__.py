"""Neurons: recording simulations (Observer, spike events, population rates)."""

from neuroboard.neuro.observer import Observer, SeriesBuffer, SpikeBuffer

__all__ = ["Observer", "SeriesBuffer", "SpikeBuffer"]
