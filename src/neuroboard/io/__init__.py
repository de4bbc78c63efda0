"""Event files and logdirs: the writer with its background flush, and the readers."""

from neuroboard.io.files import create_event_file, event_file_name, is_event_file
from neuroboard.io.logdir import EventEntry, EventsLogdir, Filters
from neuroboard.io.reader import FileRecordReader, iter_events, read_events, read_records, run_files
from neuroboard.io.writer import EventWriter, Flusher, WriterClosedError

__all__ = [
    "EventEntry",
    "EventWriter",
    "EventsLogdir",
    "FileRecordReader",
    "Filters",
    "Flusher",
    "WriterClosedError",
    "create_event_file",
    "event_file_name",
    "is_event_file",
    "iter_events",
    "read_events",
    "read_records",
    "run_files",
]
