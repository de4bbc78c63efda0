"""neuroboard: record simulations and training runs as TensorBoard event files.

>>> import tempfile, neuroboard
>>> with neuroboard.SummaryWriter(tempfile.mkdtemp()) as writer:
...     writer.add_scalar("loss", 0.5, global_step=0)
"""

from neuroboard.api import (
    as_event,
    get_default_logdir,
    get_global_step,
    hparams_hparam,
    hparams_metric,
    local_logdir,
    log_event,
    log_hparams,
    log_hparams_config,
    set_default_logdir,
    set_global_step,
    summary_audio,
    summary_histogram,
    summary_hparams,
    summary_hparams_config,
    summary_image,
    summary_metadata,
    summary_scalar,
    summary_text,
    with_logdir,
)
from neuroboard.api.frames import SummaryValue, collect_events, events_logdir, value
from neuroboard.api.logger import Logger
from neuroboard.api.summary_writer import SummaryWriter
from neuroboard.format.records import CorruptRecordError, CorruptRecordWarning
from neuroboard.io.logdir import EventsLogdir
from neuroboard.io.reader import iter_events, read_events, run_files
from neuroboard.io.writer import EventWriter, WriterClosedError

__version__ = "0.1.0"

__all__ = [
    "CorruptRecordError",
    "CorruptRecordWarning",
    "EventWriter",
    "EventsLogdir",
    "Logger",
    "SummaryValue",
    "SummaryWriter",
    "WriterClosedError",
    "__version__",
    "as_event",
    "collect_events",
    "events_logdir",
    "get_default_logdir",
    "get_global_step",
    "hparams_hparam",
    "hparams_metric",
    "iter_events",
    "local_logdir",
    "log_event",
    "log_hparams",
    "log_hparams_config",
    "read_events",
    "run_files",
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
