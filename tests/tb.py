"""Reading back with TensorBoard's own reader, for comparisons in the tests."""

from __future__ import annotations

import os

import numpy as np
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboard.backend.event_processing.event_multiplexer import EventMultiplexer

ALL = {"scalars": 0, "tensors": 0, "images": 0, "histograms": 0, "audio": 0}


def accumulator(run_dir: str | os.PathLike) -> EventAccumulator:
    """Return a loaded EventAccumulator over one run folder, keeping every point."""
    acc = EventAccumulator(os.fspath(run_dir), size_guidance=ALL)
    acc.Reload()
    return acc


def multiplexer(logdir: str | os.PathLike) -> EventMultiplexer:
    """Return a loaded EventMultiplexer over every run of ``logdir``, keeping every point."""
    mux = EventMultiplexer(size_guidance=ALL)
    mux.AddRunsFromDirectory(os.fspath(logdir))
    mux.Reload()
    return mux


def scalar_arrays(acc: EventAccumulator, tag: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (steps, values, wall_times) of one scalar tag as read by TensorBoard."""
    events = acc.Scalars(tag)
    return (
        np.array([e.step for e in events], dtype=np.int64),
        np.array([e.value for e in events], dtype=np.float64),
        np.array([e.wall_time for e in events], dtype=np.float64),
    )
