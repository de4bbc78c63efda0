"""neuroboard: record simulations and training runs as TensorBoard event files.

>>> import tempfile, neuroboard
>>> with neuroboard.SummaryWriter(tempfile.mkdtemp()) as writer:
...     writer.add_scalar("loss", 0.5, global_step=0)
"""

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
    "collect_events",
    "events_logdir",
    "iter_events",
    "read_events",
    "run_files",
    "value",
]
