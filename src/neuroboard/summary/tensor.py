"""Tensors: a ``Summary.Value``'s tensor as a NumPy array, and the checks every decoder shares.

Arrays come from :func:`tensorboard.util.tensor_util.make_ndarray`, so a
string tensor is an object array of ``bytes``. bfloat16, which NumPy lacks
and ``make_ndarray`` cannot read without TensorFlow, comes back as float32,
which holds every bfloat16 exactly.
"""

from __future__ import annotations

import numpy as np
from google.protobuf.message import DecodeError, Message
from tensorboard.compat.proto.tensor_pb2 import TensorProto
from tensorboard.compat.proto.types_pb2 import DT_BFLOAT16, DT_STRING, DataType

from neuroboard.format.codec import Summary

__all__ = [
    "as_summary_value",
    "holding",
    "stack_if_equal",
    "string_array",
    "tensor_array",
    "tensor_of",
    "tensor_value",
]


def as_summary_value(value: object, caller: str) -> Summary.Value:
    """Return ``value`` as TensorBoard's ``Summary.Value``, re-reading another package's copy of that proto.

    tensorboardX and TensorFlow build the same message from their own
    generated classes; its bytes are the same, so it is parsed once here.

    >>> as_summary_value(Summary.Value(tag="loss"), "scalar_value").tag
    'loss'
    """
    if isinstance(value, Summary.Value):
        return value
    full_name = getattr(getattr(value, "DESCRIPTOR", None), "full_name", "")
    if isinstance(value, Message) and full_name.endswith(".Summary.Value"):
        try:
            return Summary.Value.FromString(value.SerializeToString())
        except DecodeError as error:
            raise ValueError(
                f"{caller}(value=...): expected a Summary.Value, got a {full_name} ({error})"
            ) from None
    raise TypeError(f"{caller}(value=...): expected a Summary.Value, got {type(value).__name__}")


def holding(value: Summary.Value) -> str:
    """Return what a ``Summary.Value`` holds, for error messages.

    >>> holding(Summary.Value(simple_value=1.0)), holding(Summary.Value())
    ('a Summary.Value holding simple_value', 'a Summary.Value holding nothing')
    """
    return f"a Summary.Value holding {value.WhichOneof('value') or 'nothing'}"


def _dtype_name(dtype: int) -> str:
    return DataType.Name(dtype) if dtype in DataType.values() else f"dtype {dtype}"


def _shape(tensor: TensorProto) -> tuple[int, ...]:
    return tuple(dim.size for dim in tensor.tensor_shape.dim)


def _bfloat16(tensor: TensorProto, shape: tuple[int, ...]) -> np.ndarray:
    if tensor.tensor_content:
        bits = np.frombuffer(tensor.tensor_content, dtype="<u2")
    else:
        bits = np.array(tensor.half_val, dtype=np.uint16)
    # As in make_ndarray, a single stored value fills the whole tensor.
    if bits.size == 1:
        bits = np.repeat(bits, int(np.prod(shape, dtype=np.int64)))
    # A bfloat16 is the top half of a float32.
    return (bits.astype(np.uint32) << 16).view(np.float32).reshape(shape)


def tensor_array(tensor: TensorProto, caller: str) -> np.ndarray:
    """Return a ``TensorProto`` as a NumPy array, bfloat16 widened to float32.

    >>> from tensorboard.util import tensor_util
    >>> tensor_array(tensor_util.make_tensor_proto(np.float32(0.5)), "tensor_value")
    array(0.5, dtype=float32)
    """
    shape = _shape(tensor)
    try:
        if tensor.dtype == DT_BFLOAT16:
            return _bfloat16(tensor, shape)
        # Imported here: tensor_util costs a third of a second at import (TensorBoard's gfile layer).
        from tensorboard.util.tensor_util import make_ndarray

        return make_ndarray(tensor)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"{caller}(value=...): expected a tensor whose contents fit its dtype and shape, "
            f"got {_dtype_name(tensor.dtype)} of shape {shape} ({error})"
        ) from None


def tensor_of(value: Summary.Value, caller: str = "tensor_value") -> TensorProto:
    """Return the ``TensorProto`` a ``Summary.Value`` holds, or raise ``ValueError`` naming ``caller``.

    >>> tensor_of(Summary.Value(tensor=TensorProto(dtype=DT_STRING))).dtype == DT_STRING
    True
    """
    value = as_summary_value(value, caller)
    if value.WhichOneof("value") != "tensor":
        raise ValueError(
            f"{caller}(value=...): expected a Summary.Value holding a tensor, got {holding(value)}"
        )
    return value.tensor


def tensor_value(value: Summary.Value) -> np.ndarray:
    """Return the tensor a ``Summary.Value`` holds as a NumPy array (strings as an object array of bytes).

    >>> from tensorboard.util import tensor_util
    >>> tensor = tensor_util.make_tensor_proto(np.arange(6.0).reshape(2, 3))
    >>> tensor_value(Summary.Value(tensor=tensor)).tolist()
    [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    """
    return tensor_array(tensor_of(value, "tensor_value"), "tensor_value")


def string_array(value: Summary.Value, caller: str) -> np.ndarray:
    """Return the string tensor a ``Summary.Value`` holds as an object array of ``bytes``.

    >>> from tensorboard.util import tensor_util
    >>> string_array(Summary.Value(tensor=tensor_util.make_tensor_proto([b"a", b"b"])), "text_value")
    array([b'a', b'b'], dtype=object)
    """
    tensor = tensor_of(value, caller)
    if tensor.dtype != DT_STRING:
        raise ValueError(
            f"{caller}(value=...): expected a string tensor, got {_dtype_name(tensor.dtype)} of shape {_shape(tensor)}"
        )
    return tensor_array(tensor, caller)


def stack_if_equal(arrays: list[np.ndarray]) -> np.ndarray | list[np.ndarray]:
    """Return one array as it is, several of one shape stacked on a new first axis, else the list.

    >>> stack_if_equal([np.zeros(2), np.ones(2)]).shape, len(stack_if_equal([np.zeros(2), np.ones(3)]))
    ((2, 2), 2)
    """
    if len(arrays) == 1:
        return arrays[0]
    if arrays and all(array.shape == arrays[0].shape for array in arrays):
        return np.stack(arrays)
    return arrays
