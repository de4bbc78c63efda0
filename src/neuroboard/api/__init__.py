"""The user-facing API: SummaryWriter (object API)."""

from neuroboard.api.summary_writer import SummaryWriter, default_logdir

__all__ = ["SummaryWriter", "default_logdir"]
