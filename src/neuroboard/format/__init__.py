"""tfevents bytes: record framing, CRC32C, and Event encoding and decoding."""

from neuroboard.format.codec import (
    FILE_VERSION,
    Event,
    SessionLog,
    Summary,
    SummaryMetadata,
    encode_event,
    encode_scalar_records,
    file_version_event,
    scalar_event_reference,
)
from neuroboard.format.records import (
    CorruptRecordError,
    RecordReader,
    frame_payload_rows,
    frame_record,
    masked_crc32c,
)

__all__ = [
    "FILE_VERSION",
    "CorruptRecordError",
    "Event",
    "RecordReader",
    "SessionLog",
    "Summary",
    "SummaryMetadata",
    "encode_event",
    "encode_scalar_records",
    "file_version_event",
    "frame_payload_rows",
    "frame_record",
    "masked_crc32c",
    "scalar_event_reference",
]
