"""neuroboard: record simulations and training runs as TensorBoard event files.

>>> import tempfile, neuroboard
>>> with neuroboard.SummaryWriter(tempfile.mkdtemp()) as writer:
...     writer.add_scalar("loss", 0.5, global_step=0)
"""

from neuroboard.api.logger import Logger
from neuroboard.api.summary_writer import SummaryWriter
from neuroboard.format.records import CorruptRecordError
from neuroboard.io.reader import iter_events, read_events, run_files
from neuroboard.io.writer import EventWriter, WriterClosedError

__version__ = "0.1.0"

__all__ = [
    "CorruptRecordError",
    "EventWriter",
    "Logger",
    "SummaryWriter",
    "WriterClosedError",
    "__version__",
    "iter_events",
    "read_events",
    "run_files",
]
