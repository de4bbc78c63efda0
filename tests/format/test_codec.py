"""The scalar fast path, byte for byte against protobuf's own serialisation."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from neuroboard.format.codec import (
    SCALARS_METADATA,
    Event,
    SummaryMetadata,
    encode_event,
    encode_scalar_records,
    file_version_event,
    scalar_event_reference,
)
from neuroboard.format.records import RecordReader, frame_record

INT64 = st.integers(-(2**63), 2**63 - 1)
STEPS = st.one_of(st.sampled_from([0, 1, 127, 128, 2**63 - 1, -1, -(2**63)]), INT64, st.integers(0, 10**6))
FLOATS = st.one_of(
    st.sampled_from([0.0, -0.0, math.nan, math.inf, -math.inf, 5e-324, 1e-310, 1e-45, 1e40, -1e40, 3.4e38]),
    st.floats(allow_nan=True, allow_infinity=True, width=64),
)
WALLS = st.one_of(st.sampled_from([0.0, -0.0, 1.7e9, 5e-324]), st.floats(allow_nan=True, allow_infinity=True))
TAGS = st.one_of(
    st.sampled_from(["loss", "a b/c", "ü/ναι/数据", "x" * 200]), st.text(min_size=1, max_size=40)
)
# No metadata (torch's form), the scalars plugin's name only (R's), and one long enough for a 2-byte length.
METADATA = st.sampled_from(
    [
        b"",
        SCALARS_METADATA,
        SummaryMetadata(
            display_name="Loss " * 30, plugin_data=SummaryMetadata.PluginData(plugin_name="scalars")
        ).SerializeToString(),
    ]
)


def reference(
    tags: list[str], steps: list[int], walls: list[float], values: list[float], metadata: bytes = b""
) -> bytes:
    return b"".join(
        frame_record(scalar_event_reference(tag, step, wall, value, metadata))
        for tag, step, wall, value in zip(tags, steps, walls, values)
    )


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(TAGS, STEPS, WALLS, FLOATS), min_size=1, max_size=40), METADATA)
def test_fast_path_matches_protobuf(events: list[tuple[str, int, float, float]], metadata: bytes) -> None:
    tags, steps, walls, values = (list(column) for column in zip(*events))
    fast = encode_scalar_records(tags, np.array(steps, np.int64), np.array(walls), np.array(values), metadata)
    assert fast == reference(tags, steps, walls, values, metadata)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(TAGS, min_size=1, max_size=4),
    st.integers(0, 600),
    st.integers(0, 2**40),
    st.booleans(),
    st.randoms(use_true_random=False),
    METADATA,
)
def test_large_groups_match_protobuf(tag_pool, count, first_step, shared_wall, rnd, metadata) -> None:
    # Large groups take the vectorised path; interleaved tags take the regrouping path.
    tags = [rnd.choice(tag_pool) for _ in range(count)]
    steps = [first_step + i for i in range(count)]
    walls = [1.7e9] * count if shared_wall else [1.7e9 + rnd.random() for _ in range(count)]
    values = [rnd.uniform(-1e39, 1e39) for _ in range(count)]
    fast = encode_scalar_records(tags, np.array(steps, np.int64), np.array(walls), np.array(values), metadata)
    assert fast == reference(tags, steps, walls, values, metadata)


def test_single_tag_broadcast() -> None:
    steps = np.arange(1000, dtype=np.int64)
    walls = np.full(1000, 1.5e9)
    values = np.linspace(-1, 1, 1000)
    for metadata in (b"", SCALARS_METADATA):
        fast = encode_scalar_records(["v"], steps, walls, values, metadata)
        assert fast == reference(["v"] * 1000, steps.tolist(), walls.tolist(), values.tolist(), metadata)


def test_scalars_metadata_is_the_plugin_name_alone() -> None:
    # What R's tfevents writes on every scalar: no content, display name or data class.
    assert SummaryMetadata.FromString(SCALARS_METADATA) == SummaryMetadata(
        plugin_data=SummaryMetadata.PluginData(plugin_name="scalars")
    )


def test_empty_batch() -> None:
    assert encode_scalar_records([], np.array([], np.int64), np.array([]), np.array([])) == b""


def test_records_parse_back_as_events() -> None:
    data = encode_event(file_version_event(2.0)) + encode_scalar_records(
        ["a", "b"], np.array([3, 4]), np.array([1.0, 2.0]), np.array([0.5, -0.25])
    )
    events = [Event.FromString(payload) for payload in RecordReader(data)]
    assert events[0].file_version == "brain.Event:2"
    assert [(e.step, e.summary.value[0].tag, e.summary.value[0].simple_value) for e in events[1:]] == [
        (3, "a", 0.5),
        (4, "b", -0.25),
    ]


def test_records_with_metadata_parse_back_with_it() -> None:
    data = encode_scalar_records(
        ["a", "b"], np.array([3, 0]), np.array([0.0, 2.0]), np.array([0.5, 1.0]), SCALARS_METADATA
    )
    values = [Event.FromString(payload).summary.value[0] for payload in RecordReader(data)]
    assert [(v.tag, v.simple_value, v.metadata.plugin_data.plugin_name) for v in values] == [
        ("a", 0.5, "scalars"),
        ("b", 1.0, "scalars"),
    ]
