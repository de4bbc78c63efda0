"""The user-facing API: SummaryWriter and ANNarchy's Logger (object API)."""

from neuroboard.api.logger import Logger
from neuroboard.api.summary_writer import SummaryWriter, default_logdir

__all__ = ["Logger", "SummaryWriter", "default_logdir"]
