"""Protobuf wire format, walked by hand: where each field of a message lies in its bytes.

The protobuf library parses a message into objects but does not say where a
field's bytes are. The scalar reader needs exactly that, once per record
layout, to read the same bytes out of thousands of records with NumPy.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

__all__ = ["Field", "WireError", "fields", "read_varint"]

VARINT, FIXED64, LENGTH, FIXED32 = 0, 1, 2, 5


class WireError(ValueError):
    """Bytes that are not a well-formed protobuf message."""


class Field(NamedTuple):
    """One field: its number, wire type, and the span of its value (contents, for LENGTH)."""

    number: int
    wire: int
    start: int
    stop: int


def read_varint(buffer: bytes, pos: int, stop: int) -> tuple[int, int]:
    """Return the varint at ``pos`` and the position after it.

    >>> read_varint(bytes([0xAC, 0x02]), 0, 2)
    (300, 2)
    """
    result = 0
    shift = 0
    while True:
        if pos >= stop or shift > 63:
            raise WireError(f"unterminated varint before byte {pos}")
        byte = buffer[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
        shift += 7


def fields(buffer: bytes, start: int = 0, stop: int | None = None) -> Iterator[Field]:
    """Yield every field of the message in ``buffer[start:stop]``, in order.

    >>> [tuple(f) for f in fields(bytes([0x08, 0x96, 0x01, 0x12, 0x01, 0x41]))]
    [(1, 0, 1, 3), (2, 2, 5, 6)]
    """
    if stop is None:
        stop = len(buffer)
    pos = start
    while pos < stop:
        key, pos = read_varint(buffer, pos, stop)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise WireError(f"field number 0 at byte {pos}")
        if wire == VARINT:
            _, end = read_varint(buffer, pos, stop)
        elif wire == FIXED64:
            end = pos + 8
        elif wire == FIXED32:
            end = pos + 4
        elif wire == LENGTH:
            length, pos = read_varint(buffer, pos, stop)
            end = pos + length
        else:
            raise WireError(f"wire type {wire} (groups are not used by event files) at byte {pos}")
        if end > stop:
            raise WireError(f"field {number} runs past the end of its message")
        yield Field(number, wire, pos, end)
        pos = end
