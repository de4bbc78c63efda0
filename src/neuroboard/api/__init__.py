"""The user-facing API: SummaryWriter and ANNarchy's Logger (object API), the functional API, DataFrames of a logdir."""

from neuroboard.api.frames import SummaryValue, collect_events, events_logdir, value
from neuroboard.api.functional import (
    as_event,
    get_default_logdir,
    get_global_step,
    local_logdir,
    log_event,
    log_hparams,
    log_hparams_config,
    set_default_logdir,
    set_global_step,
    with_logdir,
)
from neuroboard.api.logger import Logger
from neuroboard.api.summaries import (
    hparams_hparam,
    hparams_metric,
    summary_audio,
    summary_histogram,
    summary_hparams,
    summary_hparams_config,
    summary_image,
    summary_metadata,
    summary_scalar,
    summary_text,
)
from neuroboard.api.summary_writer import SummaryWriter, default_logdir

__all__ = [
    "Logger",
    "SummaryValue",
    "SummaryWriter",
    "as_event",
    "collect_events",
    "default_logdir",
    "events_logdir",
    "get_default_logdir",
    "get_global_step",
    "hparams_hparam",
    "hparams_metric",
    "local_logdir",
    "log_event",
    "log_hparams",
    "log_hparams_config",
    "set_default_logdir",
    "set_global_step",
    "summary_audio",
    "summary_histogram",
    "summary_hparams",
    "summary_hparams_config",
    "summary_image",
    "summary_metadata",
    "summary_scalar",
    "summary_text",
    "value",
    "with_logdir",
]
