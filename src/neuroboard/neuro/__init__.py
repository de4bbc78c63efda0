"""Neurons: recording simulations (Observer)."""

from neuroboard.neuro.observer import Observer, SeriesBuffer

__all__ = ["Observer", "SeriesBuffer"]
