"""collect_events beside tbparse's SummaryReader: the same tables, value for value.

The logdirs are written by torch's and tensorboardX's SummaryWriter, by
neuroboard's SummaryWriter and functional API, and with tensorboard's own
summary functions (``scalar_pb``, ``histogram_pb``, ``text_pb``: the wire
form of TensorFlow 2, whose scalars, histograms and images are the plugins'
tensors). Each test builds tbparse's table and the one docs/from-tbparse.md
says gives the same, and compares rows, steps, tags, runs (tbparse's
``dir_name``), file names, wall times and values. Where a kind may be stored in two forms (a legacy field, which
tbparse lists under its kind, or the plugin's tensor, which it lists under
``tensors``), tbparse's table is read in whichever form it holds, so the
comparison does not depend on the wire form a writer chose.

tbparse decodes images and audio with TensorFlow, which is not a test
dependency: its two decoders are stood in for by Pillow (PNG) and the
standard library's ``wave`` (16-bit PCM divided by 32768, as
``tf.audio.decode_wav`` does).
"""

from __future__ import annotations

import io
import os
import types
import wave

import numpy as np
import pandas as pd
import pytest
import torch

import neuroboard as nb
from neuroboard.api.functional import flush_logdir
from neuroboard.summary.tensor import tensor_value

tbparse = pytest.importorskip("tbparse")
summary_reader = pytest.importorskip("tbparse.summary_reader")

WRITERS = ("torch", "tbx", "nb", "fn", "tb")
STEPS = range(3)
WHERE = {"dir_name", "file_name", "wall_time"}
KEYS = ["dir_name", "file_name", "tag", "step", "wall_time"]
HISTOGRAM = ["min", "max", "num", "sum", "sum_squares"]


class _Decoded:
    """What a TensorFlow op returns: ``numpy()`` gives the array."""

    def __init__(self, array: np.ndarray) -> None:
        self.array = array

    def numpy(self) -> np.ndarray:
        return self.array


def _decode_image(data: bytes) -> _Decoded:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as picture:
        pixels = np.asarray(picture)
    return _Decoded(pixels[..., np.newaxis] if pixels.ndim == 2 else pixels)


def _decode_wav(data: bytes) -> tuple[_Decoded, _Decoded]:
    with wave.open(io.BytesIO(data)) as clip:
        assert clip.getsampwidth() == 2, "tf.audio.decode_wav reads 16-bit PCM only"
        frames, channels, rate = clip.readframes(clip.getnframes()), clip.getnchannels(), clip.getframerate()
    samples = np.frombuffer(frames, "<i2").astype(np.float32) / np.float32(32768)
    return _Decoded(samples.reshape(-1, channels)), _Decoded(np.int32(rate))


@pytest.fixture(scope="module")
def tensorflow_stand_in():
    stand_in = types.SimpleNamespace(
        image=types.SimpleNamespace(decode_image=_decode_image),
        audio=types.SimpleNamespace(decode_wav=_decode_wav),
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(summary_reader, "tensorflow", stand_in)
        yield


def _rng_for(name: str) -> np.random.Generator:
    return np.random.default_rng(WRITERS.index(name))


def _write_with_a_writer(folder: str, writer_class, name: str) -> None:
    rng = _rng_for(name)
    with writer_class(folder) as writer:
        for step in STEPS:
            writer.add_scalar("loss", 1 / (step + 1), step)
            writer.add_scalars("rate", {"exc": 5.0 + step, "inh": 12.0 - step}, step)
            writer.add_histogram("weights", rng.normal(size=200), step)
            writer.add_image("frame", rng.random((3, 4, 5)), step)
            writer.add_image("grey", rng.random((6, 7)), step, dataformats="HW")
            writer.add_audio("tone", rng.uniform(-1, 1, 60), step, sample_rate=8000)
            writer.add_text("note", f"step **{step}**", step)
        if name == "torch":
            writer.add_scalar("styled", 0.25, 0, new_style=True)
            writer.add_tensor("raw", torch.arange(6.0).reshape(2, 3), 0)
        if name == "nb":
            writer.add_tensor("raw", np.arange(6.0).reshape(2, 3), 0)
        writer.add_hparams({"lr": 0.1, "optimizer": "adam", "batch": 32}, {"hp/acc": 0.9})


def _write_functionally(folder: str) -> None:
    rng = _rng_for("fn")
    with nb.with_logdir(folder):
        for step in STEPS:
            nb.log_event(loss=1 / (step + 1), rate={"exc": 5.0 + step}, step=step)
            nb.log_event(weights=nb.summary_histogram(rng.normal(size=200)), step=step)
            nb.log_event(frame=nb.summary_image(rng.random((4, 5, 3))), step=step)
            nb.log_event(tone=nb.summary_audio(rng.uniform(-1, 1, 60), 8000), step=step)
            nb.log_event(note=f"step **{step}**", step=step)
        nb.log_hparams(lr=0.1, optimizer="adam", batch=32)
    # tbparse reads the files as they are: what log_event holds in memory must be on disk first.
    flush_logdir(folder)


def _write_tensorflow_2_form(folder: str) -> None:
    from tensorboard.plugins.histogram.summary_v2 import histogram_pb
    from tensorboard.plugins.image.metadata import create_summary_metadata
    from tensorboard.plugins.scalar.summary_v2 import scalar_pb
    from tensorboard.plugins.text.summary_v2 import text_pb
    from tensorboard.util.tensor_util import make_tensor_proto

    from neuroboard.format.codec import Summary
    from neuroboard.summary.image import encode_png

    rng = _rng_for("tb")
    with nb.SummaryWriter(folder) as writer:
        for step in STEPS:
            writer.add_summary(scalar_pb("loss", 1 / (step + 1), description="the loss"), step)
            writer.add_summary(histogram_pb("weights", rng.normal(size=200), buckets=30), step)
            pixels = rng.integers(0, 256, (4, 5, 3), dtype=np.uint8)
            # The images plugin's tensor as TensorFlow 2 writes it: width and height in decimal, then PNGs.
            tensor = make_tensor_proto([b"5", b"4", encode_png(pixels)])
            metadata = create_summary_metadata(display_name="a frame", description="pixels")
            writer.add_summary(
                Summary(value=[Summary.Value(tag="frame", tensor=tensor, metadata=metadata)]), step
            )
            writer.add_summary(text_pb("note", f"step **{step}**"), step)
            writer.add_audio("tone", rng.uniform(-1, 1, 60), step, sample_rate=8000)


@pytest.fixture(scope="module")
def logdir(tmp_path_factory) -> str:
    import tensorboardX
    import torch.utils.tensorboard

    root = tmp_path_factory.mktemp("side-by-side")
    classes = {
        "torch": torch.utils.tensorboard.SummaryWriter,
        "tbx": tensorboardX.SummaryWriter,
        "nb": nb.SummaryWriter,
    }
    for name, writer_class in classes.items():
        _write_with_a_writer(str(root / name), writer_class, name)
    _write_functionally(str(root / "fn"))
    _write_tensorflow_2_form(str(root / "tb"))
    return str(root)


@pytest.fixture(scope="module")
def reader(logdir, tensorflow_stand_in):
    """tbparse's reader of every event type, with every extra column it offers."""
    return tbparse.SummaryReader(
        logdir,
        pivot=False,
        extra_columns=set(summary_reader.ALL_EXTRA_COLUMNS),
        event_types=set(summary_reader.ALL_EVENT_TYPES),
    )


@pytest.fixture(scope="module")
def summaries(logdir) -> pd.DataFrame:
    frame = nb.collect_events(logdir, type="summary", columns=["dir_name", "file_name"])
    return frame.assign(kind=[s.proto.WhichOneof("value") for s in frame.summary])


def plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Return ``frame`` with string columns as object columns, sorted as tbparse sorts, stably."""
    strings = {name: object for name in frame.columns if frame[name].dtype == "str"}
    return frame.astype(strings).sort_values(KEYS, kind="stable").reset_index(drop=True)


def by_key(frame: pd.DataFrame) -> dict[tuple, pd.Series]:
    rows = plain(frame)
    return {tuple(row[KEYS]): row for _, row in rows.iterrows()}


def assert_same_keys(theirs: pd.DataFrame, ours: pd.DataFrame) -> list[tuple[pd.Series, pd.Series]]:
    """Assert that both tables hold the same rows by key; return the pairs, for the values."""
    mine, found = by_key(ours), by_key(theirs)
    assert list(mine) == list(found)
    assert (len(mine), len(found)) == (len(ours), len(theirs))
    return [(found[key], mine[key]) for key in found]


def tensor_rows(reader, kind_tags: set[tuple[str, str]]) -> pd.DataFrame:
    """Return the rows of tbparse's ``tensors`` whose run and tag are in ``kind_tags``."""
    tensors = reader.tensors
    keep = [(d, t) in kind_tags for d, t in zip(tensors.dir_name, tensors.tag)]
    return tensors[keep]


def either_form(reader, summaries: pd.DataFrame, kind: str, plugin: str) -> pd.DataFrame:
    """Return tbparse's table of ``kind`` and its tensors of ``plugin``, a column ``form`` telling which."""
    legacy = getattr(reader, kind).assign(form="legacy")
    tensors = tensor_rows(reader, plugin_tags(summaries, plugin)).assign(form="tensor")
    return pd.concat([legacy, tensors], ignore_index=True)


def plugin_tags(summaries: pd.DataFrame, plugin: str) -> set[tuple[str, str]]:
    rows = summaries[summaries.plugin == plugin]
    return set(zip(rows.dir_name, rows.tag))


# -- scalars -----------------------------------------------------------------------------------------


def test_scalars_are_tbparse_s_scalars_with_its_one_number_scalar_tensors(logdir, summaries) -> None:
    reader = tbparse.SummaryReader(logdir, pivot=False, extra_columns=WHERE)
    theirs = reader.scalars
    ours = nb.collect_events(logdir, type="scalar", columns=["dir_name", "file_name", "wall_time"])
    assert ours.columns.tolist() == ["run", "tag", "step", "wall_time", "value", "dir_name", "file_name"]
    assert (ours.file_name.dtype, ours.dir_name.dtype) == (ours.run.dtype,) * 2
    # A tensor of the scalars plugin (TensorFlow 2's, add_scalar(new_style=True)) is a scalar to
    # TensorBoard and to us; tbparse lists it under tensors.
    styled = tensor_rows(reader, plugin_tags(summaries, "scalars"))
    assert sorted(set(zip(styled.dir_name, styled.tag))) == [("tb", "loss"), ("torch", "styled")]
    expected = pd.concat([theirs, styled.astype({"value": np.float64})], ignore_index=True)
    mine = ours[["step", "tag", "value", "wall_time", "dir_name", "file_name"]]
    pd.testing.assert_frame_equal(plain(mine), plain(expected[mine.columns.tolist()]))
    assert {*WRITERS, "torch/rate_exc", "tbx/rate/inh", "nb/rate_exc", "fn/rate"} <= set(ours.dir_name)
    assert (ours.dir_name == ours.run).all()
    # Without extra columns tbparse's rows are the same, sorted by tag and step across runs.
    bare = tbparse.SummaryReader(logdir).scalars
    assert bare.columns.tolist() == ["step", "tag", "value"]
    pd.testing.assert_frame_equal(
        bare.astype({"tag": object}).sort_values(["tag", "step", "value"], ignore_index=True),
        plain(theirs)[bare.columns].sort_values(["tag", "step", "value"], ignore_index=True),
    )


def test_dir_name_is_the_run_and_empty_for_the_logdir_itself(tmp_path) -> None:
    import torch.utils.tensorboard

    with torch.utils.tensorboard.SummaryWriter(str(tmp_path)) as writer:
        writer.add_scalars("rate", {"exc": 1.0}, 0)
        writer.add_scalar("loss", 0.5, 0)
    (path,) = nb.run_files(tmp_path)["."]
    for source in (str(tmp_path), path):
        theirs = tbparse.SummaryReader(source, extra_columns=WHERE).scalars
        ours = nb.collect_events(source, type="scalar", columns=["dir_name", "file_name"])
        assert sorted(zip(theirs.dir_name, theirs.file_name, theirs.tag)) == sorted(
            zip(ours.dir_name, ours.file_name, ours.tag)
        )
        assert dict(zip(ours.run, ours.dir_name)) == (
            {".": "", "rate_exc": "rate_exc"} if source == str(tmp_path) else {".": ""}
        )


def test_pivot_is_a_pivot_of_the_scalar_table(logdir) -> None:
    folder = os.path.join(logdir, "tbx")
    theirs = tbparse.SummaryReader(folder, pivot=True, extra_columns={"dir_name"}).scalars
    ours = nb.collect_events(folder, type="scalar", columns=["dir_name"])
    wide = ours.astype({"dir_name": object}).pivot(index=["dir_name", "step"], columns="tag", values="value")
    wide = wide.reset_index()[theirs.columns.tolist()]
    pd.testing.assert_frame_equal(wide.rename_axis(columns=None), theirs, check_dtype=False)


# -- tensors -----------------------------------------------------------------------------------------


def test_tensors_are_the_tensor_values_outside_text_and_hparams(reader, summaries) -> None:
    theirs = reader.tensors
    rows = summaries[(summaries.kind == "tensor") & ~summaries.plugin.isin(["text", "hparams"])]
    ours = rows[["dir_name", "file_name", "tag", "step", "wall_time"]].assign(
        value=[tensor_value(s.proto) for s in rows.summary]
    )
    assert {"raw", "styled", "tone"} <= set(theirs.tag)
    for their, mine in assert_same_keys(theirs, ours):
        expected = np.asarray(their.value)
        assert mine.value.shape == expected.shape and mine.value.tolist() == expected.tolist()


# -- histograms --------------------------------------------------------------------------------------


def _trimmed(limits: np.ndarray, counts: np.ndarray, low: float, high: float) -> tuple[np.ndarray, ...]:
    """Return tbparse's legacy buckets as nb.value gives them: the occupied span, from min to max."""
    occupied = np.flatnonzero(counts > 0)
    first, last = occupied[0], occupied[-1]
    return np.concatenate(([low], limits[first:last], [high])), counts[first : last + 1]


def test_histograms_in_either_form(logdir, reader, summaries) -> None:
    theirs = either_form(reader, summaries, "histograms", "histograms")
    ours = nb.collect_events(
        logdir, type="summary", tags="weights", columns=["dir_name", "file_name", *HISTOGRAM]
    )
    assert len(ours) == len(theirs) == len(WRITERS) * len(STEPS)
    assert set(theirs.form) == {"legacy", "tensor"}
    for their, mine in assert_same_keys(theirs, ours):
        found = nb.value(mine.summary)
        if their.form == "legacy":
            edges, counts = _trimmed(their.limits, their.counts, their["min"], their["max"])
            facts = their
        else:
            # tbparse's limits are the first left edge and every right edge, its counts a 0 and then each.
            facts = tbparse.SummaryReader.tensor_to_histogram(their.value)
            edges, counts = facts["limits"], facts["counts"][1:]
        np.testing.assert_array_equal(found.edges, edges)
        np.testing.assert_array_equal(found.counts, counts)
        for name in HISTOGRAM:
            assert mine[name] == facts[name] or np.isnan(mine[name]) and np.isnan(facts[name]), name


# -- images and audio --------------------------------------------------------------------------------


def test_images_in_either_form(logdir, reader, summaries) -> None:
    theirs = either_form(reader, summaries, "images", "images")
    columns = ["dir_name", "file_name", "width", "height"]
    ours = nb.collect_events(logdir, type="summary", tags=["frame", "grey"], columns=columns)
    # torch, tensorboardX and SummaryWriter log two images a step, the functional API and TensorFlow one.
    assert len(ours) == len(theirs) == (3 * 2 + 2) * len(STEPS)
    assert set(theirs.form) == {"legacy", "tensor"}
    for their, mine in assert_same_keys(theirs, ours):
        facts = their if their.form == "legacy" else tbparse.SummaryReader.tensor_to_image(their.value)
        pixels = their.value if their.form == "legacy" else facts["image"]
        np.testing.assert_array_equal(nb.value(mine.summary), pixels)
        assert (mine.width, mine.height) == (facts["width"], facts["height"]) == pixels.shape[1::-1]


def test_audio_in_either_form(logdir, reader, summaries) -> None:
    theirs = either_form(reader, summaries, "audio", "audio")
    columns = ["dir_name", "file_name", "content_type", "length_frames", "sample_rate"]
    ours = nb.collect_events(logdir, type="summary", tags="tone", columns=columns)
    assert len(ours) == len(theirs) == len(WRITERS) * len(STEPS)
    # torch and tensorboardX write Summary.Audio, which tbparse lists as audio; neuroboard the plugin's tensor.
    assert set(theirs.form) == {"legacy", "tensor"}
    for their, mine in assert_same_keys(theirs, ours):
        facts = their if their.form == "legacy" else tbparse.SummaryReader.tensor_to_audio(their.value)
        samples = their.value if their.form == "legacy" else facts["audio"]
        found, rate = nb.value(mine.summary)
        np.testing.assert_array_equal(found, samples)
        assert rate == facts["sample_rate"] == mine.sample_rate == 8000
        assert mine.length_frames == facts["length_frames"] == len(samples) == 60
        assert mine.content_type == facts["content_type"] == "audio/wav"


# -- text and hparams --------------------------------------------------------------------------------


def test_text_with_tbparse_s_tags(reader, summaries) -> None:
    theirs = reader.text
    rows = summaries[summaries.plugin == "text"]
    # tbparse drops the "/text_summary" that torch and tensorboardX (and SummaryWriter, as torch) append.
    ours = rows[KEYS].assign(
        tag=rows.tag.str.removesuffix("/text_summary"), value=nb.value(rows.summary, as_list=True)
    )
    assert len(theirs) == len(WRITERS) * len(STEPS)
    for their, mine in assert_same_keys(theirs, ours):
        assert mine.value == their.value and type(mine.value) is str


def _hparams_rows(summaries: pd.DataFrame) -> list[tuple]:
    starts = summaries[summaries.tag == "_hparams_/session_start_info"]
    return sorted(
        (where, name, file, getattr(v, v.WhichOneof("kind")))
        for where, file, s in zip(starts.dir_name, starts.file_name, starts.summary)
        for name, v in nb.value(s).session_start_info.hparams.items()
    )


def test_hparams_are_the_session_start_values(reader, summaries) -> None:
    theirs = reader.hparams
    expected = sorted(zip(theirs.dir_name, theirs.tag, theirs.file_name, theirs.value))
    assert _hparams_rows(summaries) == expected
    assert {(name, value) for _d, name, _f, value in expected} == {
        ("lr", 0.1),
        ("optimizer", "adam"),
        ("batch", 32),
    }


def test_hparams_of_every_session_where_tbparse_keeps_the_first(tmp_path) -> None:
    with nb.SummaryWriter(str(tmp_path)) as writer:
        writer.add_hparams({"lr": 0.1}, {"acc": 0.5}, run_name=".")
        with pytest.warns(UserWarning, match="already has hparams"):
            writer.add_hparams({"lr": 0.2}, {"acc": 0.6}, run_name=".")
    theirs = tbparse.SummaryReader(str(tmp_path), extra_columns={"dir_name", "file_name"}).hparams
    ours = _hparams_rows(nb.collect_events(tmp_path, type="summary", columns=["dir_name", "file_name"]))
    assert theirs.value.tolist() == [0.1]
    assert [value for *_, value in ours] == [0.1, 0.2]


def test_text_read_alone_keeps_every_value_where_tbparse_keeps_the_last(logdir) -> None:
    folder = os.path.join(logdir, "torch")
    theirs = tbparse.SummaryReader(folder, event_types={"text"}).text
    ours = nb.collect_events(folder, type="summary", tags="*/text_summary")
    assert theirs.value.tolist() == [f"step **{STEPS[-1]}**"]
    assert nb.value(ours.summary, as_list=True) == [f"step **{step}**" for step in STEPS]


def test_a_text_table_reads_where_tbparse_raises(tmp_path) -> None:
    with nb.SummaryWriter(str(tmp_path)) as writer:
        writer.add_text("table", [["a", "b"], ["c", "d"]], 0)
    with pytest.raises(ValueError, match="size 1"):
        tbparse.SummaryReader(str(tmp_path)).text  # noqa: B018
    assert nb.value(nb.collect_events(tmp_path, type="summary").summary).tolist() == [["a", "b"], ["c", "d"]]
