"""The user-facing API: SummaryWriter and ANNarchy's Logger (object API), DataFrames of a logdir."""

from neuroboard.api.frames import SummaryValue, collect_events, events_logdir, value
from neuroboard.api.logger import Logger
from neuroboard.api.summary_writer import SummaryWriter, default_logdir

__all__ = [
    "Logger",
    "SummaryValue",
    "SummaryWriter",
    "collect_events",
    "default_logdir",
    "events_logdir",
    "value",
]
