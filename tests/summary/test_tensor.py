"""summary.tensor: whole arrays as the tensor plugin's Summary, checked against TensorBoard's own encoder."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from tensorboard.util import tensor_util

from neuroboard.format.codec import Event, Summary
from neuroboard.summary.tensor import PLUGIN_NAME, as_proto, tensor_summary, tensor_value

# TensorBoard's own encoder lists uint32 and uint64 in fields its decoder cannot read: they are checked apart.
DTYPES = ["bool", "int8", "uint8", "int16", "uint16", "int32", "int64"]
DTYPES += ["float16", "float32", "float64", "complex64", "complex128"]


@settings(max_examples=60, deadline=None)
@given(
    hnp.arrays(
        dtype=st.sampled_from(DTYPES).map(np.dtype),
        shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4),
    )
)
def test_packed_bytes_read_back_as_tensorboards_own_encoding(array) -> None:
    # The reference path: TensorBoard's make_tensor_proto, which lists small arrays value by value.
    ours = tensor_summary("t", array).value[0].tensor
    reference = tensor_util.make_tensor_proto(array)
    assert ours.dtype == reference.dtype
    assert ours.tensor_shape == reference.tensor_shape
    got, expected = tensor_util.make_ndarray(ours), tensor_util.make_ndarray(reference)
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("dtype", [np.uint32, np.uint64])
def test_wide_unsigned_integers_read_back_whole(dtype) -> None:
    array = np.array([[0, 1], [np.iinfo(dtype).max, 7]], dtype=dtype)
    got = tensor_util.make_ndarray(tensor_summary("t", array).value[0].tensor)
    assert got.dtype == array.dtype
    np.testing.assert_array_equal(got, array)


def test_big_endian_arrays_are_stored_little_endian() -> None:
    array = np.arange(5, dtype=">f8")
    np.testing.assert_array_equal(tensor_value(tensor_summary("t", array).value[0]), array)


def test_metadata_names_the_tensor_plugin() -> None:
    value = tensor_summary("weights", np.zeros(2)).value[0]
    assert (value.tag, value.metadata.plugin_data.plugin_name) == ("weights", PLUGIN_NAME)


def test_more_than_protobufs_limit_is_refused(monkeypatch) -> None:
    monkeypatch.setattr("neuroboard.summary.tensor.MAX_TENSOR_BYTES", 15)
    tensor_summary("t", np.zeros(1, np.float64) + np.zeros(1))
    with pytest.raises(
        ValueError, match=r"^add_tensor\(tensor=\.\.\.\): expected less than 2 GiB .*got 16 bytes"
    ):
        tensor_summary("t", np.zeros(2))


def test_as_proto_reads_tensorboardxs_messages() -> None:
    pytest.importorskip("tensorboardX")
    from tensorboardX.proto import event_pb2, summary_pb2

    theirs = summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag="x", simple_value=0.5)])
    ours = as_proto(theirs, Summary, "add_summary", "summary")
    assert isinstance(ours, Summary) and ours.value[0].simple_value == 0.5
    event = as_proto(event_pb2.Event(step=3, summary=theirs), Event, "add_event", "event")
    assert (event.step, event.summary.value[0].tag) == (3, "x")
    with pytest.raises(TypeError, match=r"^add_event\(event=\.\.\.\): expected a Event proto, got Summary"):
        as_proto(theirs, Event, "add_event", "event")
