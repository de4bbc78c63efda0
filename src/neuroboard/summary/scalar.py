"""Scalars: the ``scalars`` plugin's metadata and the Summary of one value.

The bulk of scalar writing goes through the hand-encoded fast path in
:mod:`neuroboard.format.codec`; :func:`scalar` is the protobuf path, used for
the tensor forms (``new_style``, ``double_precision``) and as the reference.
:func:`scalar_value` reads any of these forms back.
"""

from __future__ import annotations

from tensorboard.compat.proto.tensor_pb2 import TensorProto
from tensorboard.compat.proto.tensor_shape_pb2 import TensorShapeProto
from tensorboard.compat.proto.types_pb2 import DT_DOUBLE, DT_FLOAT

from neuroboard.format.codec import Summary, SummaryMetadata
from neuroboard.summary.metadata import plugin_metadata
from neuroboard.summary.tensor import as_summary_value, holding, tensor_array

__all__ = ["PLUGIN_NAME", "scalar", "scalar_metadata", "scalar_value"]

PLUGIN_NAME = "scalars"


def scalar_metadata(display_name: str | None = None, description: str | None = None) -> SummaryMetadata:
    """Return the metadata that marks a 0-d tensor as a scalar for TensorBoard.

    >>> scalar_metadata().plugin_data.plugin_name
    'scalars'
    """
    return plugin_metadata(PLUGIN_NAME, display_name=display_name, description=description)


def scalar(
    tag: str,
    value: float,
    *,
    new_style: bool = False,
    double_precision: bool = False,
    display_name: str = "",
    description: str = "",
) -> Summary:
    """Return a Summary holding one scalar.

    The classic form is a ``simple_value`` (float32); ``new_style`` stores a
    0-d tensor with the scalars plugin's metadata, in float64 with
    ``double_precision``. ``display_name`` (the chart's title) and
    ``description`` (shown under its info icon) go into the value's metadata,
    with the scalars plugin named there, as tensorboardX's
    ``add_scalar(display_name=, summary_description=)`` writes them.

    >>> scalar("loss", 0.25).value[0].simple_value
    0.25
    >>> scalar("loss", 0.25, display_name="Loss").value[0].metadata.display_name
    'Loss'
    """
    if not new_style and not double_precision:
        if not display_name and not description:
            return Summary(value=[Summary.Value(tag=tag, simple_value=value)])
        metadata = scalar_metadata(display_name, description)
        return Summary(value=[Summary.Value(tag=tag, simple_value=value, metadata=metadata)])
    if double_precision:
        tensor = TensorProto(dtype=DT_DOUBLE, double_val=[value], tensor_shape=TensorShapeProto())
    else:
        tensor = TensorProto(dtype=DT_FLOAT, float_val=[value], tensor_shape=TensorShapeProto())
    metadata = scalar_metadata(display_name, description)
    return Summary(value=[Summary.Value(tag=tag, tensor=tensor, metadata=metadata)])


def scalar_value(value: Summary.Value) -> float:
    """Return the number a scalar ``Summary.Value`` holds: its ``simple_value`` or its one-element tensor.

    The tensor may be of any real dtype (bool, int, float16, bfloat16, ...)
    and any shape holding exactly one element.

    >>> scalar_value(scalar("loss", 0.25, double_precision=True).value[0])
    0.25
    """
    value = as_summary_value(value, "scalar_value")
    kind = value.WhichOneof("value")
    if kind == "simple_value":
        return float(value.simple_value)
    expected = "scalar_value(value=...): expected a simple_value or a tensor of one real number"
    if kind != "tensor":
        raise ValueError(f"{expected}, got {holding(value)}")
    array = tensor_array(value.tensor, "scalar_value")
    if array.size != 1 or array.dtype.kind not in "biuf":
        raise ValueError(f"{expected}, got {array.dtype} of shape {array.shape}")
    return float(array.reshape(-1)[0])
