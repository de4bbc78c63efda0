"""The functional API's wire form: what R's tfevents writes and reads, still read value for value elsewhere.

R's reader needs metadata naming the plugin on every value, one value per
event, histograms as the plugin's (k, 3) float64 tensor in ``double_val``
and images as the plugin's string tensor. These tests pin that form and
read it back with TensorBoard's reader, tbparse and collect_events.
"""

from __future__ import annotations

import io
import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from PIL import Image
from tensorboard.compat.proto.types_pb2 import DT_DOUBLE, DT_STRING
from tensorboard.plugins.histogram.summary_v2 import histogram_pb
from tensorboard.util.tensor_util import make_ndarray

import neuroboard
from neuroboard import (
    as_event,
    collect_events,
    log_event,
    summary_audio,
    summary_histogram,
    summary_image,
    summary_scalar,
    summary_text,
    value,
    with_logdir,
)
from neuroboard.api.functional import flush_all, writer_for
from neuroboard.format.codec import Event, Summary
from neuroboard.format.records import RecordReader
from neuroboard.summary.histogram_tensor import bucket_rows
from neuroboard.summary.image import encode_png
from tests.tb import accumulator

RNG = np.random.default_rng(18)
BATCH = RNG.integers(0, 256, size=(2, 4, 6, 3), dtype=np.uint8)
WEIGHTS = RNG.normal(size=500)


class Spikes:
    def __init__(self, count: int) -> None:
        self.count = count


@as_event.register
def _(x: Spikes, step: int, wall_time: float) -> Event:
    return as_event(x.count, step, wall_time)


def _events(run_dir) -> list[Event]:
    """Every event of a run folder but the file-version one, as protobuf parses them."""
    flush_all()
    out = []
    for path in sorted(p for p in os.listdir(run_dir) if "tfevents" in p):
        with open(os.path.join(run_dir, path), "rb") as f:
            out.extend(Event.FromString(payload) for payload in RecordReader(f.read()))
    return [e for e in out if not e.file_version]


def _log_every_kind(root) -> None:
    # Two untagged values: both take the name they are logged under.
    pair = Summary()
    pair.value.add(simple_value=1.0)
    pair.value.add(simple_value=2.0)
    with with_logdir(root):
        log_event(loss=0.5, step=0)  # the one-float fast path
        log_event(
            step=1,
            loss=0.25,
            count=3,
            half=np.float32(0.5),
            spikes=Spikes(12),
            named=summary_scalar(1.5),
            pair=pair,
            train={"acc": 0.75},
            note="hello",
            text=summary_text("some *markdown*"),
            weights=summary_histogram(WEIGHTS),
            batch=summary_image(BATCH),
            png=summary_image(encode_png(BATCH[0])),
            tone=summary_audio(np.sin(np.arange(400) / 5.0) / 2, sample_rate=8000),
        )


PLUGINS = {
    "loss": "scalars",
    "count": "scalars",
    "half": "scalars",
    "spikes": "scalars",
    "named": "scalars",
    "pair": "scalars",
    "note": "text",
    "text": "text",
    "weights": "histograms",
    "batch": "images",
    "png": "images",
    "tone": "audio",
}


@pytest.fixture(scope="module")
def logdir(tmp_path_factory):
    root = tmp_path_factory.mktemp("wire")
    _log_every_kind(root)
    flush_all()
    return root


def test_every_event_holds_one_value(logdir) -> None:
    events = _events(logdir)
    assert all(len(e.summary.value) == 1 for e in events)
    assert sorted(e.summary.value[0].tag for e in events) == sorted([*PLUGINS, "loss", "pair"])
    # The values of one summary share its step and wall time.
    first, second = (e for e in events if e.summary.value[0].tag == "pair")
    assert (first.step, first.wall_time) == (second.step, second.wall_time) == (1, first.wall_time)
    assert (first.summary.value[0].simple_value, second.summary.value[0].simple_value) == (1.0, 2.0)


def test_every_value_names_its_plugin_and_nothing_else(logdir) -> None:
    values = [e.summary.value[0] for e in _events(logdir)] + [
        e.summary.value[0] for e in _events(logdir / "train")
    ]
    got = {v.tag: v.metadata.plugin_data.plugin_name for v in values}
    assert got == {**PLUGINS, "acc": "scalars"}
    assert len(values) == len(got) + 2  # loss and pair twice
    for v in values:
        assert (v.metadata.display_name, v.metadata.summary_description) == ("", "")
        if v.tag not in ("tone",):
            # R writes no plugin content but audio's (its WAV encoding).
            assert v.metadata.plugin_data.content == b"", v.tag
    scalars = [v for v in values if got[v.tag] == "scalars"]
    assert {v.WhichOneof("value") for v in scalars} == {"simple_value"}
    assert len(scalars) == 9


def test_the_histogram_is_the_plugins_float64_tensor_in_double_val(logdir) -> None:
    (event,) = [e for e in _events(logdir) if e.summary.value[0].tag == "weights"]
    tensor = event.summary.value[0].tensor
    assert tensor.dtype == DT_DOUBLE
    assert [d.size for d in tensor.tensor_shape.dim] == [30, 3]
    assert tensor.tensor_content == b"" and len(tensor.double_val) == 90
    rows = np.array(tensor.double_val).reshape(30, 3)
    assert rows[:, 2].sum() == len(WEIGHTS)
    assert rows[0, 0] == WEIGHTS.min() and rows[-1, 1] == WEIGHTS.max()
    np.testing.assert_array_equal(rows[1:, 0], rows[:-1, 1])


def test_the_image_is_the_plugins_string_tensor_of_one_png_per_image(logdir) -> None:
    by_tag = {e.summary.value[0].tag: e.summary.value[0] for e in _events(logdir)}
    tensor = by_tag["batch"].tensor
    assert tensor.dtype == DT_STRING and [d.size for d in tensor.tensor_shape.dim] == [4]
    # TensorBoard's ASCII width and height, as tbparse reads them with int().
    assert tensor.string_val[:2] == [b"6", b"4"]
    for png, pixels in zip(tensor.string_val[2:], BATCH):
        assert np.array_equal(np.asarray(Image.open(io.BytesIO(png))), pixels)
    # Encoded bytes stay a Summary.Image, with the plugin named.
    assert by_tag["png"].WhichOneof("value") == "image"


def test_a_figure_is_an_image_with_the_plugin_named() -> None:
    figure = pytest.importorskip("matplotlib.figure")
    (image,) = summary_image(figure.Figure(figsize=(1, 1), dpi=10)).value
    assert image.WhichOneof("value") == "image" and image.metadata.plugin_data.plugin_name == "images"


def test_audio_and_text_keep_their_tensors(logdir) -> None:
    by_tag = {e.summary.value[0].tag: e.summary.value[0] for e in _events(logdir)}
    assert by_tag["tone"].tensor.dtype == DT_STRING
    assert by_tag["note"].tensor.string_val == [b"hello"]


def test_collect_events_reads_back_every_value(logdir) -> None:
    scalars = collect_events(logdir, type="scalar")
    got = sorted(zip(scalars.run, scalars.tag, scalars.step, scalars.value))
    assert got == sorted(
        [
            (".", "loss", 0, 0.5),
            (".", "loss", 1, 0.25),
            (".", "count", 1, 3.0),
            (".", "half", 1, 0.5),
            (".", "spikes", 1, 12.0),
            (".", "named", 1, 1.5),
            (".", "pair", 1, 1.0),
            (".", "pair", 1, 2.0),
            ("train", "acc", 1, 0.75),
        ]
    )
    # The fast scalar reader equals protobuf's, value for value.
    reference = sorted(
        ("." if run == "" else run, v.tag, e.step, float(np.float32(v.simple_value)))
        for run in ("", "train")
        for e in _events(logdir / run)
        for v in e.summary.value
        if v.WhichOneof("value") == "simple_value"
    )
    assert got == reference
    summaries = collect_events(logdir, type="summary")
    decoded = {tag: value(s) for tag, s in zip(summaries.tag, summaries.summary)}
    assert decoded["note"] == "hello"
    histogram = decoded["weights"]
    assert histogram.counts.sum() == len(WEIGHTS) and len(histogram.edges) == 31
    assert decoded["batch"].shape == (2, 4, 6, 3) and np.array_equal(decoded["batch"], BATCH)
    assert np.array_equal(decoded["png"], BATCH[0])
    samples, rate = decoded["tone"]
    assert rate == 8000 and samples.shape[0] == 400


def test_tensorboards_reader_reads_every_kind(logdir) -> None:
    acc = accumulator(logdir)
    tags = acc.Tags()
    assert {"loss", "count", "half", "spikes", "named", "pair"} <= set(tags["scalars"])
    assert [(e.step, e.value) for e in acc.Scalars("loss")] == [(0, 0.5), (1, 0.25)]
    (histogram,) = acc.Tensors("weights")
    rows = make_ndarray(histogram.tensor_proto)
    assert rows.shape == (30, 3) and rows[:, 2].sum() == len(WEIGHTS)
    assert acc.SummaryMetadata("weights").plugin_data.plugin_name == "histograms"
    (batch,) = acc.Tensors("batch")
    strings = make_ndarray(batch.tensor_proto)
    assert (int(strings[0]), int(strings[1]), len(strings) - 2) == (6, 4, 2)
    assert [i.width for i in acc.Images("png")] == [6]
    assert accumulator(logdir / "train").Scalars("acc")[0].value == 0.75


def test_tbparse_reads_every_kind(logdir) -> None:
    tbparse = pytest.importorskip("tbparse")
    reader = tbparse.SummaryReader(str(logdir))
    scalars = reader.scalars
    assert sorted(zip(scalars.tag, scalars.step, scalars.value)) == sorted(
        [
            ("acc", 1, 0.75),
            ("loss", 0, 0.5),
            ("loss", 1, 0.25),
            ("count", 1, 3.0),
            ("half", 1, 0.5),
            ("spikes", 1, 12.0),
            ("named", 1, 1.5),
            ("pair", 1, 1.0),
            ("pair", 1, 2.0),
        ]
    )
    # As for TensorFlow 2's files, the plugins' tensors are in tbparse's tensors table.
    tensors = dict(zip(reader.tensors.tag, reader.tensors.value))
    histogram = tbparse.SummaryReader.tensor_to_histogram(tensors["weights"])
    assert histogram["num"] == len(WEIGHTS) and histogram["min"] == WEIGHTS.min()
    assert (int(tensors["batch"][0]), int(tensors["batch"][1])) == (6, 4)


def test_a_summary_of_several_values_is_one_event_each(tmp_path) -> None:
    both = Summary(value=[*summary_scalar(1.0).value, *summary_histogram([1.0, 2.0]).value])
    with with_logdir(tmp_path):
        log_event(metrics=both, step=4)
    events = _events(tmp_path)
    assert [(e.step, e.summary.value[0].tag, len(e.summary.value)) for e in events] == [
        (4, "metrics", 1),
        (4, "metrics", 1),
    ]
    assert [e.summary.value[0].metadata.plugin_data.plugin_name for e in events] == ["scalars", "histograms"]


def test_as_event_of_a_number_names_the_scalars_plugin() -> None:
    for x in (0.5, 2, np.float64(1.5)):
        assert as_event(x, 1, 2.0).summary.value[0].metadata.plugin_data.plugin_name == "scalars"


def test_writer_for_gives_r_s_scalars_while_summary_writer_keeps_torch_s(tmp_path) -> None:
    writer_for(str(tmp_path / "r")).add_scalar("x", 1.0, 0, 1.0)
    with neuroboard.SummaryWriter(str(tmp_path / "torch")) as writer:
        writer.add_scalar("x", 1.0, 0)
    (r_event,) = _events(tmp_path / "r")
    (torch_event,) = _events(tmp_path / "torch")
    assert r_event.summary.value[0].metadata.plugin_data.plugin_name == "scalars"
    assert not torch_event.summary.value[0].HasField("metadata")


def test_the_given_metadata_replaces_the_plugins(tmp_path) -> None:
    meta = neuroboard.summary_metadata("scalars", display_name="Loss")
    with with_logdir(tmp_path):
        log_event(loss=summary_scalar(0.5, metadata=meta), step=0)
    (event,) = _events(tmp_path)
    assert event.summary.value[0].metadata.display_name == "Loss"


# -- buckets: TensorFlow's rule, which R follows but for the largest values


# Away from the float64 limits, where TensorFlow's arithmetic gives NaN edges or loses values.
SANE = st.floats(-1e6, 1e6, allow_nan=False, allow_subnormal=False).filter(
    lambda x: x == 0 or abs(x) > 1e-200
)


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, st.integers(1, 200), elements=SANE), st.integers(1, 40))
def test_buckets_equal_tensorflows(data: np.ndarray, buckets: int) -> None:
    expected = make_ndarray(histogram_pb("h", data, buckets=buckets).value[0].tensor)
    np.testing.assert_array_equal(bucket_rows(data, buckets), expected)


def test_the_largest_values_are_counted_where_r_loses_them() -> None:
    # R clamps the bucket index to `buckets`, one past the last bucket: its counts add up to 2 here.
    rows = bucket_rows(np.array([0.0, 1.0, 3.0, 3.0]), 3)
    assert rows[:, 2].tolist() == [1.0, 1.0, 2.0]


def test_no_data_and_equal_data_follow_tensorflow() -> None:
    for data in ([], [2.5, 2.5, 2.5]):
        expected = make_ndarray(histogram_pb("h", np.array(data), buckets=5).value[0].tensor)
        np.testing.assert_array_equal(bucket_rows(np.array(data, dtype=np.float64), 5), expected)


def test_ranges_past_float64_arithmetic_are_still_cut_evenly() -> None:
    # TensorFlow's edges are NaN and inf for the first, its counts lost for tiny widths.
    wide = bucket_rows(np.array([-1e308, 1e308]), 4)
    assert wide[:, 0].tolist() == [-1e308, -5e307, 0.0, 5e307] and wide[:, 2].tolist() == [1, 0, 0, 1]
    narrow = bucket_rows(np.array([0.0, 5e-324 * 3]), 3)
    assert narrow[:, 2].tolist() == [1, 0, 1] and np.isfinite(narrow).all()


def test_non_finite_values_are_left_out_with_a_warning() -> None:
    with pytest.warns(RuntimeWarning, match=r"summary_histogram\(data=\.\.\.\): left 2 non-finite"):
        summary = summary_histogram([1.0, np.nan, 2.0, np.inf], buckets=2)
    assert list(summary.value[0].tensor.double_val)[2::3] == [1.0, 1.0]


@pytest.mark.parametrize("buckets", [0, -1, 1.5, True, 10**7])
def test_a_bucket_count_out_of_range_is_refused(buckets) -> None:
    with pytest.raises(ValueError, match=r"summary_histogram\(buckets=\.\.\.\): expected an int from 1"):
        summary_histogram([1.0], buckets=buckets)


# -- a real TensorBoard


def test_tensorboard_serves_each_image_of_the_batch(tensorboard_server) -> None:
    run = "functional_wire_images"
    with with_logdir(os.path.join(tensorboard_server.logdir, run)):
        log_event(batch=summary_image(BATCH), step=2)
    flush_all()
    tags = tensorboard_server.wait_for(
        lambda: tensorboard_server.get("/data/plugin/images/tags"),
        lambda answer: "batch" in answer.get(run, {}),
    )
    assert tags[run]["batch"]["samples"] == 2
    for sample, pixels in enumerate(BATCH):
        (entry,) = tensorboard_server.wait_for(
            lambda sample=sample: tensorboard_server.get(
                "/data/plugin/images/images", run=run, tag="batch", sample=str(sample)
            ),
            lambda found: len(found) == 1,
        )
        assert entry["step"] == 2
        served = tensorboard_server.read(f"/data/plugin/images/individualImage?{entry['query']}")
        assert np.array_equal(np.asarray(Image.open(io.BytesIO(served))), pixels)


def test_a_scalar_whose_metadata_names_no_plugin_gets_the_scalars_plugin(tmp_path) -> None:
    # A converter's display name alone would leave R without a reader for the value.
    event = as_event(0.5, 0, 0.0)
    event.summary.value[0].metadata.CopyFrom(neuroboard.format.codec.SummaryMetadata(display_name="Loss"))
    with with_logdir(tmp_path):
        log_event(loss=event, step=0)
    (written,) = _events(tmp_path)
    metadata = written.summary.value[0].metadata
    assert (metadata.plugin_data.plugin_name, metadata.display_name) == ("scalars", "Loss")


def test_the_callers_event_is_left_as_it_was_given(tmp_path) -> None:
    event = as_event(0.5, 7, 1.0)
    given = event.SerializeToString()
    with with_logdir(tmp_path):
        log_event(a=event, step=1)
        log_event(b=event, step=2)
    assert event.SerializeToString() == given
    assert [(e.step, e.summary.value[0].tag) for e in _events(tmp_path)] == [(1, "a"), (2, "b")]
