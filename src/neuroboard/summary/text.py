"""Text: the ``text`` plugin's name and metadata, and the Summary of a string or a table of strings.

TensorBoard renders each string as Markdown; a 1-D or 2-D array of strings
shows as a table, one cell per string. :func:`text_value` reads the tensor back.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from tensorboard.compat.proto.tensor_pb2 import TensorProto
from tensorboard.compat.proto.tensor_shape_pb2 import TensorShapeProto
from tensorboard.compat.proto.types_pb2 import DT_STRING
from tensorboard.plugins.text.plugin_data_pb2 import TextPluginData

from neuroboard.format.codec import Summary, SummaryMetadata
from neuroboard.summary.convert import as_tag, as_text
from neuroboard.summary.metadata import plugin_metadata
from neuroboard.summary.tensor import string_array

__all__ = ["PLUGIN_NAME", "text", "text_metadata", "text_value"]

PLUGIN_NAME = "text"

Text = str | Sequence[str] | Sequence[Sequence[str]] | np.ndarray

_EXPECTED = "expected a str, or a 1-D or 2-D array of str"


def text_metadata(display_name: str | None = None, description: str | None = None) -> SummaryMetadata:
    """Return the metadata that marks a string tensor as text for TensorBoard.

    >>> text_metadata().plugin_data.plugin_name
    'text'
    """
    return plugin_metadata(
        PLUGIN_NAME, TextPluginData(version=0).SerializeToString(), display_name, description
    )


def _describe(value: Any, array: np.ndarray | None) -> str:
    if array is None:
        return type(value).__name__
    if isinstance(value, np.ndarray):
        return f"ndarray of dtype {value.dtype} and shape {value.shape}"
    kinds = (
        sorted({type(item).__name__ for item in array.reshape(-1).tolist()}) if array.dtype == object else []
    )
    holding = f" holding {', '.join(kinds)}" if kinds else ""
    return f"{type(value).__name__} of shape {array.shape}{holding}"


def _as_strings(text_string: Any, caller: str) -> np.ndarray:
    """Return ``text_string`` as an object array of str, 0-d for a single string."""
    if isinstance(text_string, str):
        return np.array(text_string, dtype=object)
    array = None
    if isinstance(text_string, (list, tuple, np.ndarray)):
        try:
            array = np.array(text_string, dtype=object)
        except ValueError:
            pass
    if array is None or not all(isinstance(item, str) for item in array.reshape(-1).tolist()):
        raise TypeError(f"{caller}(text_string=...): {_EXPECTED}, got {_describe(text_string, array)}")
    if array.ndim > 2 or (array.ndim == 0 and not isinstance(text_string, np.ndarray)):
        raise ValueError(f"{caller}(text_string=...): {_EXPECTED}, got shape {array.shape}")
    return array


def text(tag: str, text_string: Text, *, caller: str = "add_text") -> Summary:
    """Return a Summary holding ``text_string`` (Markdown), or a table of strings.

    >>> tensor = text("notes", "*fast* run").value[0].tensor
    >>> tensor.string_val
    [b'*fast* run']
    """
    tag = as_tag(tag, caller)
    strings = _as_strings(text_string, caller)
    tensor = TensorProto(
        dtype=DT_STRING,
        string_val=[
            as_text(item, caller, "text_string").encode("utf-8") for item in strings.reshape(-1).tolist()
        ],
        tensor_shape=TensorShapeProto(dim=[TensorShapeProto.Dim(size=size) for size in strings.shape]),
    )
    return Summary(value=[Summary.Value(tag=tag, tensor=tensor, metadata=text_metadata())])


def _utf8(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(
            f"text_value(value=...): expected UTF-8 strings, got {data[:20]!r}... ({error})"
        ) from None


def text_value(value: Summary.Value) -> str | np.ndarray:
    """Return the text a ``Summary.Value`` holds: a ``str`` for one string, else an array of ``str``.

    One string is a 0-d tensor (ours) or a 1-D tensor of one (what torch,
    tensorboardX and R's tfevents write for a text): both come back as a
    ``str``, as tbparse and R read them. Any other tensor comes back as an
    array of its shape, dtype object: a table.

    >>> text_value(text("notes", "*fast* run").value[0])
    '*fast* run'
    >>> text_value(text("table", [["a", "b"]]).value[0])
    array([['a', 'b']], dtype=object)
    """
    strings = string_array(value, "text_value")
    decoded = [_utf8(item) for item in strings.reshape(-1).tolist()]
    if strings.ndim == 0 or strings.shape == (1,):
        return decoded[0]
    return np.array(decoded, dtype=object).reshape(strings.shape)
