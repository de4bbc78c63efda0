"""Tensors: an array as the Summary that torch's ``add_tensor`` writes, and a ``Summary.Value``'s tensor back.

:func:`tensor_summary` packs the array's bytes into ``tensor_content``
(torch lists the values one by one in ``float_val``, ``int_val`` ...: the
same array to every reader, for more bytes and time). Arrays read back come from :func:`tensorboard.util.tensor_util.make_ndarray`, so a
string tensor is an object array of ``bytes``. bfloat16, which NumPy lacks
and ``make_ndarray`` cannot read without TensorFlow, comes back as float32,
which holds every bfloat16 exactly.
"""

from __future__ import annotations

from typing import Any, TypeVar

import numpy as np
from google.protobuf.message import DecodeError, Message
from tensorboard.compat.proto import types_pb2
from tensorboard.compat.proto.tensor_pb2 import TensorProto
from tensorboard.compat.proto.tensor_shape_pb2 import TensorShapeProto
from tensorboard.compat.proto.types_pb2 import DT_BFLOAT16, DT_STRING, DataType

from neuroboard.format.codec import Summary
from neuroboard.summary.convert import as_tag, is_tensor
from neuroboard.summary.metadata import plugin_metadata

__all__ = [
    "PLUGIN_NAME",
    "as_proto",
    "as_summary_value",
    "holding",
    "stack_if_equal",
    "string_array",
    "tensor_array",
    "tensor_of",
    "tensor_summary",
    "tensor_value",
]

#: torch's ``add_tensor`` names this plugin; no dashboard reads it, readers see a plain tensor.
PLUGIN_NAME = "tensor"
#: protobuf refuses a message of 2 GiB or more.
MAX_TENSOR_BYTES = (1 << 31) - 1

_DATA_TYPES = {
    np.dtype(name): getattr(types_pb2, data_type)
    for name, data_type in [
        ("bool", "DT_BOOL"),
        ("int8", "DT_INT8"),
        ("uint8", "DT_UINT8"),
        ("int16", "DT_INT16"),
        ("uint16", "DT_UINT16"),
        ("int32", "DT_INT32"),
        ("uint32", "DT_UINT32"),
        ("int64", "DT_INT64"),
        ("uint64", "DT_UINT64"),
        ("float16", "DT_HALF"),
        ("float32", "DT_FLOAT"),
        ("float64", "DT_DOUBLE"),
        ("complex64", "DT_COMPLEX64"),
        ("complex128", "DT_COMPLEX128"),
    ]
}

Proto = TypeVar("Proto", bound=Message)


def as_proto(value: object, message_class: type[Proto], caller: str, arg: str) -> Proto:
    """Return ``value`` as ``message_class``, re-reading a message of the same name from another package.

    tensorboardX builds ``Summary`` and ``Event`` from its own generated
    classes; their bytes are TensorBoard's, so they are parsed once here.

    >>> as_proto(Summary(), Summary, "add_summary", "summary") == Summary()
    True
    """
    if isinstance(value, message_class):
        return value
    name = message_class.DESCRIPTOR.name
    full_name = getattr(getattr(value, "DESCRIPTOR", None), "full_name", "")
    if isinstance(value, Message) and full_name.rsplit(".", 1)[-1] == name:
        try:
            return message_class.FromString(value.SerializeToString())
        except DecodeError as error:
            raise ValueError(
                f"{caller}({arg}=...): expected a {name} proto, got a {full_name} ({error})"
            ) from None
    raise TypeError(f"{caller}({arg}=...): expected a {name} proto, got {type(value).__name__}")


def _tensor_content(tensor: Any, caller: str) -> tuple[int, np.ndarray]:
    """Return the TensorBoard dtype of ``tensor`` and its elements as a little-endian array."""
    where = f"{caller}(tensor=...)"
    if is_tensor(tensor):
        tensor = tensor.detach().cpu()
        if str(tensor.dtype) == "torch.bfloat16":
            # float32 holds a bfloat16 exactly, in its top 16 bits.
            bits = (tensor.float().numpy().view(np.uint32) >> 16).astype("<u2")
            return DT_BFLOAT16, bits
        try:
            tensor = tensor.numpy()
        except TypeError as error:
            raise TypeError(
                f"{where}: expected a tensor of a dtype NumPy holds, got {tensor.dtype} ({error})"
            ) from None
    try:
        array = np.asarray(tensor)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{where}: expected an array or tensor, got {type(tensor).__name__}") from error
    data_type = _DATA_TYPES.get(array.dtype.newbyteorder("="))
    if data_type is None:
        raise TypeError(f"{where}: expected bool, integer, float or complex values, got dtype {array.dtype}")
    return data_type, array.astype(array.dtype.newbyteorder("<"), copy=False)


def tensor_summary(tag: str, tensor: Any, *, caller: str = "add_tensor") -> Summary:
    """Return a Summary holding a whole array or tensor, with the ``tensor`` plugin's metadata as torch writes it.

    Every NumPy dtype of bool, integers, floats and complex numbers is kept,
    and bfloat16 tensors too; the shape is the input's.

    >>> tensor_value(tensor_summary("w", np.arange(6, dtype=np.int32).reshape(2, 3)).value[0]).tolist()
    [[0, 1, 2], [3, 4, 5]]
    """
    tag = as_tag(tag, caller)
    data_type, array = _tensor_content(tensor, caller)
    if array.nbytes > MAX_TENSOR_BYTES:
        raise ValueError(
            f"{caller}(tensor=...): expected less than 2 GiB (protobuf's limit on a message), "
            f"got {array.nbytes:,} bytes of shape {array.shape}"
        )
    proto = TensorProto(
        dtype=data_type,
        tensor_shape=TensorShapeProto(dim=[TensorShapeProto.Dim(size=size) for size in array.shape]),
        tensor_content=np.ascontiguousarray(array).tobytes(),
    )
    return Summary(value=[Summary.Value(tag=tag, tensor=proto, metadata=plugin_metadata(PLUGIN_NAME))])


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
    # OverflowError: values that do not fit the dtype's field (torch's float16 in half_val, say).
    except (TypeError, ValueError, OverflowError) as error:
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
