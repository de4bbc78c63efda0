"""Scalars: the ``scalars`` plugin's metadata and the Summary of one value.

The bulk of scalar writing goes through the hand-encoded fast path in
:mod:`neuroboard.format.codec`; :func:`scalar` is the protobuf path, used for
the tensor forms (``new_style``, ``double_precision``) and as the reference.
"""

from __future__ import annotations

from tensorboard.compat.proto.tensor_pb2 import TensorProto
from tensorboard.compat.proto.tensor_shape_pb2 import TensorShapeProto
from tensorboard.compat.proto.types_pb2 import DT_DOUBLE, DT_FLOAT

from neuroboard.format.codec import Summary, SummaryMetadata
from neuroboard.summary.metadata import plugin_metadata

__all__ = ["PLUGIN_NAME", "scalar", "scalar_metadata"]

PLUGIN_NAME = "scalars"


def scalar_metadata(display_name: str | None = None, description: str | None = None) -> SummaryMetadata:
    """Return the metadata that marks a 0-d tensor as a scalar for TensorBoard.

    >>> scalar_metadata().plugin_data.plugin_name
    'scalars'
    """
    return plugin_metadata(PLUGIN_NAME, display_name=display_name, description=description)


def scalar(
    tag: str, value: float, *, new_style: bool = False, double_precision: bool = False
) -> Summary:
    """Return a Summary holding one scalar.

    The classic form is a ``simple_value`` (float32); ``new_style`` stores a
    0-d tensor with the scalars plugin's metadata, in float64 with
    ``double_precision``.

    >>> scalar("loss", 0.25).value[0].simple_value
    0.25
    """
    if not new_style and not double_precision:
        return Summary(value=[Summary.Value(tag=tag, simple_value=value)])
    if double_precision:
        tensor = TensorProto(dtype=DT_DOUBLE, double_val=[value], tensor_shape=TensorShapeProto())
    else:
        tensor = TensorProto(dtype=DT_FLOAT, float_val=[value], tensor_shape=TensorShapeProto())
    return Summary(value=[Summary.Value(tag=tag, tensor=tensor, metadata=scalar_metadata())])
