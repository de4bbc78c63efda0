"""collect_events, events_logdir and value: what was written comes back row for row, as TensorBoard reads it."""

from __future__ import annotations

import fnmatch
import math
import os
import re

import numpy as np
import pandas as pd
import pytest
from tensorboard.backend.event_processing.event_file_loader import EventFileLoader
from tensorboard.util import tensor_util

from neuroboard import (
    EventWriter,
    Logger,
    SummaryValue,
    SummaryWriter,
    collect_events,
    events_logdir,
    read_events,
    run_files,
    value,
)
from neuroboard.format.codec import Event, Summary
from tests.tb import accumulator, multiplexer, scalar_arrays

TYPES = ("any", "summary", "scalar")
# The string dtype of the scalar table's run and tag columns; every string column should have it.
STR = pd.array([], dtype="str").dtype
COLUMNS = {
    "scalar": {
        "run": STR,
        "tag": STR,
        "step": np.int64,
        "wall_time": np.float64,
        "value": np.float64,
    },
    "summary": {
        "run": STR,
        "tag": STR,
        "step": np.int64,
        "wall_time": np.float64,
        "plugin": STR,
        "summary": object,
    },
    "any": {
        "run": STR,
        "step": np.int64,
        "wall_time": np.float64,
        "what": STR,
        "event": object,
    },
}


def f32(x: float) -> float:
    return float(np.float32(x))


def scalar_frame(rows: list[tuple]) -> pd.DataFrame:
    """Return rows (run, tag, step, wall_time, value) as the scalar table collect_events returns."""
    columns = COLUMNS["scalar"]
    return pd.DataFrame(rows, columns=list(columns)).astype(columns)


def by_series(frame: pd.DataFrame) -> pd.DataFrame:
    """Return the rows grouped by run and tag, each series in its own order."""
    return frame.sort_values(["run", "tag"], kind="stable").reset_index(drop=True)


def tensorboard_scalars(logdir: str | os.PathLike) -> pd.DataFrame:
    """Return every scalar TensorBoard's EventMultiplexer reads: simple values and scalar tensors."""
    mux = multiplexer(logdir)
    rows = []
    for run, tags in sorted(mux.Runs().items()):
        for tag in tags["scalars"]:
            rows += [(run, tag, e.step, e.wall_time, e.value) for e in mux.Scalars(run, tag)]
        for tag in tags["tensors"]:
            if mux.SummaryMetadata(run, tag).plugin_data.plugin_name == "scalars":
                rows += [
                    (
                        run,
                        tag,
                        e.step,
                        e.wall_time,
                        float(tensor_util.make_ndarray(e.tensor_proto)),
                    )
                    for e in mux.Tensors(run, tag)
                ]
    return by_series(scalar_frame(rows))


def assert_same_as_tensorboard(logdir: str | os.PathLike) -> pd.DataFrame:
    """Check the scalar table against TensorBoard's reading of ``logdir``; return the table."""
    scalars = collect_events(logdir, type="scalar")
    pd.testing.assert_frame_equal(by_series(scalars), tensorboard_scalars(logdir))
    return scalars


def assert_columns(frame: pd.DataFrame, type: str) -> None:
    """Check the columns, their order, and the dtypes of the numeric ones."""
    assert list(frame.columns) == list(COLUMNS[type])
    assert frame["step"].dtype == np.int64
    assert frame["wall_time"].dtype == np.float64


def dtypes(type: str) -> dict[str, object]:
    return {name: pd.api.types.pandas_dtype(dtype) for name, dtype in COLUMNS[type].items()}


def loader_events(path: str) -> list:
    return list(EventFileLoader(path).Load())


def decoded(frame: pd.DataFrame) -> dict[tuple[str, str], object]:
    """Return the last decoded value of each (run, tag) of a summary table."""
    return {(row.run, row.tag): row.summary.value() for row in frame.itertuples()}


# -- scalars from our writers --------------------------------------------------------------


def test_add_scalar_reads_back_value_for_value(tmp_path) -> None:
    written = []

    def add(tag: str, x: float, step: int, wall: float, stored: float, **style: bool) -> None:
        writer.add_scalar(tag, x, step, walltime=wall, **style)
        written.append((".", tag, step, wall, stored))

    with SummaryWriter(tmp_path) as writer:
        for step in range(20):
            add("loss", 1 / (step + 1), step, 1.7e9 + step, f32(1 / (step + 1)))
            add("acc/top1", step / 3, step, 1.7e9 + step + 0.5, f32(step / 3))
        add("edge/large", 0.1, 0, 1.0, f32(0.1))
        add("edge/large", math.nan, 2**40, 2.0, math.nan)
        add("edge/negative", math.inf, -7, 3.0, math.inf)
        add("edge/negative", -math.inf, -6, 4.0, -math.inf)
        add("tensor/float32", 0.1, 3, 5.0, f32(0.1), new_style=True)
        add("tensor/float32", math.nan, 4, 6.0, math.nan, new_style=True)
        add("tensor/float64", 0.1, 3, 5.0, 0.1, double_precision=True)
        add(
            "tensor/float64",
            1e300,
            4,
            6.0,
            1e300,
            new_style=True,
            double_precision=True,
        )
    scalars = assert_same_as_tensorboard(tmp_path)
    pd.testing.assert_frame_equal(scalars, scalar_frame(written))


def test_add_scalars_sub_runs_show_in_the_run_column(tmp_path) -> None:
    with SummaryWriter(tmp_path / "run") as writer:
        for step in range(5):
            writer.add_scalars(
                "loss/all",
                {"train": step * 0.5, "val": 0.1 + step},
                step,
                walltime=100.0 + step,
            )
    scalars = assert_same_as_tensorboard(tmp_path)
    expected = [
        (
            f"run/loss_all_{key}",
            "loss/all",
            step,
            100.0 + step,
            f32(offset + step * scale),
        )
        for key, offset, scale in (("train", 0.0, 0.5), ("val", 0.1, 1.0))
        for step in range(5)
    ]
    pd.testing.assert_frame_equal(scalars, scalar_frame(expected))


def test_add_series_reads_back_value_for_value(tmp_path) -> None:
    rng = np.random.default_rng(5)
    trace, pair = rng.normal(size=50), rng.normal(size=(30, 2))
    steps, walls = np.arange(50) * 3 - 10, 1e9 + np.arange(50) / 4
    with SummaryWriter(tmp_path) as writer:
        writer.add_series("rate", trace, steps=steps, walltimes=walls)
        writer.add_series("pop", pair, steps=np.arange(30), walltimes=5.0, names=["exc", "inh"])
    scalars = assert_same_as_tensorboard(tmp_path)
    expected = [
        (".", "rate", s, w, f32(x)) for s, w, x in zip(steps.tolist(), walls.tolist(), trace.tolist())
    ]
    for column, name in enumerate(["exc", "inh"]):
        expected += [(f"pop_{name}", "pop", s, 5.0, f32(x)) for s, x in enumerate(pair[:, column].tolist())]
    pd.testing.assert_frame_equal(scalars, scalar_frame(expected))


def test_logger_scalars_read_back(tmp_path) -> None:
    with Logger(tmp_path, experiment="trial1") as logger:
        for step in range(4):
            logger.add_scalar("Accuracy", step / 4, step)
            logger.add_scalars("Rate", {"exc": step * 2.0, "inh": step * 3.0}, step)
        logger.add_parameters({"tau": 10.0}, {"accuracy": 0.75})
    scalars = assert_same_as_tensorboard(tmp_path)
    # add_scalars' sub-runs and add_parameters' child run, as ANNarchy (tensorboardX) names them.
    runs = sorted({re.sub(r"\d+\.\d+$", "<time>", run) for run in scalars["run"]})
    assert runs == ["trial1", "trial1/<time>", "trial1/Rate/exc", "trial1/Rate/inh"]
    accuracy = scalars[scalars["tag"] == "Accuracy"]
    assert accuracy["step"].tolist() == [0, 1, 2, 3]
    assert accuracy["value"].tolist() == [0.0, 0.25, 0.5, 0.75]
    assert scalars[scalars["run"] == "trial1/Rate/inh"]["value"].tolist() == [
        0.0,
        3.0,
        6.0,
        9.0,
    ]
    assert scalars[scalars["tag"] == "accuracy"]["value"].tolist() == [0.75]


# -- other kinds through type="summary" -----------------------------------------------------


def test_image_value_is_the_written_pixels(tmp_path) -> None:
    rng = np.random.default_rng(1)
    rgb = rng.integers(0, 256, (6, 7, 3), dtype=np.uint8)
    rgba = rng.integers(0, 256, (3, 4, 4), dtype=np.uint8)
    grey = rng.integers(0, 256, (5, 2), dtype=np.uint8)
    with SummaryWriter(tmp_path) as writer:
        writer.add_image("rgb", rgb, 0, dataformats="HWC")
        writer.add_image("rgba", rgba, 0, dataformats="HWC")
        writer.add_image("grey", grey, 0, dataformats="HW")
        writer.add_image("chw", rgb.transpose(2, 0, 1), 1)
    summary = collect_events(tmp_path, type="summary")
    assert summary["plugin"].tolist() == ["images"] * 4
    got = decoded(summary)
    for tag, pixels in (
        ("rgb", rgb),
        ("rgba", rgba),
        ("grey", grey[:, :, None]),
        ("chw", rgb),
    ):
        assert got[".", tag].dtype == np.uint8
        np.testing.assert_array_equal(got[".", tag], pixels)


def test_audio_value_is_the_written_samples(tmp_path) -> None:
    mono = np.sin(np.arange(800) / 7) * 0.9
    stereo = np.stack([mono, -mono / 2], axis=1)
    with SummaryWriter(tmp_path) as writer:
        writer.add_audio("mono", mono, 0, sample_rate=8000)
        writer.add_audio("stereo", stereo, 0, sample_rate=22050)
    summary = collect_events(tmp_path, type="summary")
    assert summary["plugin"].tolist() == ["audio", "audio"]
    got = decoded(summary)
    for tag, samples, rate in (
        ("mono", mono[:, None], 8000),
        ("stereo", stereo, 22050),
    ):
        sound, got_rate = got[".", tag]
        assert got_rate == rate
        assert sound.shape == samples.shape
        assert np.abs(sound - samples).max() <= 1 / 32768 + 1e-7


def test_text_value_is_the_written_str(tmp_path) -> None:
    notes = ["**tau** = 10 ms", "ünïcode 数据", ""]
    with SummaryWriter(tmp_path) as writer:
        for step, note in enumerate(notes):
            writer.add_text("notes", note, step)
    summary = collect_events(tmp_path, type="summary")
    assert summary["plugin"].tolist() == ["text"] * 3
    assert value(summary["summary"], as_list=True) == notes


def test_histogram_value_has_the_written_counts_and_edges(tmp_path) -> None:
    values = np.random.default_rng(2).normal(size=500)
    with SummaryWriter(tmp_path) as writer:
        writer.add_histogram("default", values, 0)
        writer.add_histogram("ten", values, 0, bins=10)
    summary = collect_events(tmp_path, type="summary")
    assert summary["plugin"].tolist() == ["histograms", "histograms"]
    got = decoded(summary)
    counts, edges = np.histogram(values, bins=10)
    np.testing.assert_array_equal(got[".", "ten"].counts, counts)
    np.testing.assert_allclose(got[".", "ten"].edges, edges, rtol=1e-12)
    mux = multiplexer(tmp_path)
    for tag in ("default", "ten"):
        histogram = got[".", tag]
        (event,) = mux.Histograms(".", tag)
        proto = event.histogram_value
        occupied = np.flatnonzero(proto.bucket)
        first, last = occupied[0], occupied[-1]
        assert histogram.counts.sum() == 500
        assert histogram.counts.tolist() == list(proto.bucket)[first : last + 1]
        assert histogram.edges.tolist() == [
            values.min(),
            *list(proto.bucket_limit)[first:last],
            values.max(),
        ]


def test_plugin_column_names_each_kind(tmp_path) -> None:
    with SummaryWriter(tmp_path) as writer:
        writer.add_scalar("loss", 0.5, 0)
        writer.add_scalar("tensor", 0.5, 0, new_style=True)
        writer.add_image("frame", np.zeros((2, 2), np.uint8), 0, dataformats="HW")
        writer.add_audio("tone", np.zeros(10), 0, sample_rate=100)
        writer.add_text("notes", "hi", 0)
        writer.add_histogram("weights", np.arange(10.0), 0)
        writer.add_custom_scalars({"losses": {"both": ["Multiline", ["loss"]]}})
        writer.add_hparams({"lr": 0.1}, {"accuracy": 0.9})
    summary = collect_events(tmp_path, type="summary")
    assert dict(zip(summary["tag"], summary["plugin"])) == {
        "loss": "scalars",
        "tensor": "scalars",
        "frame": "images",
        "tone": "audio",
        "notes/text_summary": "text",
        "weights": "histograms",
        "custom_scalars__config__": "custom_scalars",
        "_hparams_/session_start_info": "hparams",
        "accuracy": "scalars",
        "_hparams_/session_end_info": "hparams",
    }
    assert [v.plugin for v in summary["summary"]] == summary["plugin"].tolist()
    start = value(summary[summary["tag"] == "_hparams_/session_start_info"]["summary"])
    assert start.session_start_info.hparams["lr"].number_value == 0.1


def test_value_as_list_gives_one_entry_per_row(tmp_path) -> None:
    with SummaryWriter(tmp_path) as writer:
        writer.add_scalar("loss", 0.5, 0)
        writer.add_text("notes", "hi", 0)
        writer.add_scalar("loss", 0.25, 1)
    column = collect_events(tmp_path, type="summary")["summary"]
    assert value(column, as_list=True) == [0.5, "hi", 0.25]
    assert value(list(column), as_list=True) == [0.5, "hi", 0.25]
    assert value(column[1]) == "hi"
    assert value(column[1], as_list=True) == ["hi"]
    assert value(column[column.index == 2]) == 0.25
    assert isinstance(column[0], SummaryValue)
    assert value(column.iloc[:0], as_list=True) == []


def test_value_of_several_rows_without_as_list_raises(tmp_path) -> None:
    with SummaryWriter(tmp_path) as writer:
        writer.add_scalar("loss", 0.5, 0)
        writer.add_scalar("loss", 0.25, 1)
    column = collect_events(tmp_path, type="summary")["summary"]
    with pytest.raises(ValueError, match="as_list"):
        value(column)
    with pytest.raises(ValueError, match="as_list"):
        value(column.iloc[:0])
    with pytest.raises(TypeError, match="value"):
        value(0.5)


# -- files of the peers ----------------------------------------------------------------------


def assert_any_counts_every_event(logdir: str | os.PathLike) -> None:
    events = collect_events(logdir)
    assert len(events) == sum(len(loader_events(p)) for paths in run_files(logdir).values() for p in paths)
    assert len(events) == sum(
        len(list(read_events(p))) for paths in run_files(logdir).values() for p in paths
    )


def test_tensorboardx_files_read_for_every_type(tmp_path) -> None:
    tensorboardx = pytest.importorskip("tensorboardX")
    rng = np.random.default_rng(3)
    pixels = rng.integers(0, 256, (3, 4, 5), dtype=np.uint8)
    sound = np.sin(np.arange(400) / 3) * 0.5
    weights = rng.normal(size=200)
    writer = tensorboardx.SummaryWriter(str(tmp_path))
    for step in range(5):
        writer.add_scalar("loss", 1 / (step + 1), step, walltime=1e9 + step)
    writer.add_scalars("pair", {"a": 1.5, "b": 2.5}, 7, walltime=5.0)
    writer.add_histogram("weights", weights, 0)
    writer.add_image("frame", pixels, 0)
    writer.add_text("note", "hello", 0)
    writer.add_audio("tone", sound, 0, sample_rate=8000)
    writer.add_hparams({"lr": 0.1, "optimizer": "adam"}, {"hp/accuracy": 0.5})
    writer.close()

    scalars = assert_same_as_tensorboard(tmp_path)
    loss = scalars[scalars["tag"] == "loss"]
    assert loss["value"].tolist() == [f32(1 / (s + 1)) for s in range(5)]
    assert scalars[scalars["tag"] == "pair"]["run"].tolist() == ["pair/a", "pair/b"]

    summary = collect_events(tmp_path, type="summary")
    got = decoded(summary)
    np.testing.assert_array_equal(got[".", "frame"], pixels.transpose(1, 2, 0))
    assert got[".", "note/text_summary"] == "hello"
    assert got[".", "weights"].counts.sum() == 200
    samples, rate = got[".", "tone"]
    assert rate == 8000
    # tensorboardX writes through soundfile, which scales by 32768 and truncates: up to one step off.
    assert np.abs(samples[:, 0] - sound).max() <= 1 / 32768 + 1e-7
    plugins = dict(zip(summary["tag"], summary["plugin"]))
    assert [plugins[t] for t in ("loss", "weights", "frame", "note/text_summary", "tone")] == [
        "scalars",
        "histograms",
        "images",
        "text",
        "audio",
    ]
    hparams = summary[summary["plugin"] == "hparams"]
    assert set(hparams["tag"]) == {
        "_hparams_/experiment",
        "_hparams_/session_start_info",
        "_hparams_/session_end_info",
    }
    (hparams_run,) = set(hparams["run"])
    start = got[hparams_run, "_hparams_/session_start_info"]
    assert start.session_start_info.hparams["optimizer"].string_value == "adam"
    assert got[hparams_run, "hp/accuracy"] == 0.5
    assert_any_counts_every_event(tmp_path)


def test_torch_files_read_for_every_type(tmp_path) -> None:
    pytest.importorskip("torch")
    from torch.utils.tensorboard import SummaryWriter as TorchSummaryWriter

    rng = np.random.default_rng(4)
    pixels = rng.integers(0, 256, (3, 4, 5), dtype=np.uint8)
    writer = TorchSummaryWriter(str(tmp_path))
    for step in range(5):
        writer.add_scalar("loss", 1 / (step + 1), step, walltime=1e9 + step)
        writer.add_scalar("new", 1 / (step + 3), step, walltime=2e9 + step, new_style=True)
        writer.add_scalar("double", 1 / (step + 3), step, new_style=True, double_precision=True)
    writer.add_scalars("pair", {"a": 1.5, "b": 2.5}, 7, walltime=5.0)
    writer.add_histogram("weights", rng.normal(size=300), 0)
    writer.add_image("frame", pixels, 0)
    writer.add_text("note", "hello", 0)
    writer.add_hparams({"lr": 0.1}, {"hp/accuracy": 0.5})
    writer.close()

    scalars = assert_same_as_tensorboard(tmp_path)
    series = {tag: group["value"].tolist() for tag, group in scalars.groupby("tag", sort=False)}
    assert series["loss"] == [f32(1 / (s + 1)) for s in range(5)]
    assert series["new"] == [f32(1 / (s + 3)) for s in range(5)]
    assert series["double"] == [1 / (s + 3) for s in range(5)]
    assert scalars[scalars["tag"] == "pair"]["run"].tolist() == ["pair_a", "pair_b"]

    summary = collect_events(tmp_path, type="summary")
    got = decoded(summary)
    np.testing.assert_array_equal(got[".", "frame"], pixels.transpose(1, 2, 0))
    assert got[".", "note/text_summary"] == "hello"
    assert got[".", "weights"].counts.sum() == 300
    assert set(summary[summary["tag"].isin(["loss", "new", "double"])]["plugin"]) == {"scalars"}
    hparams = summary[summary["plugin"] == "hparams"]
    assert set(hparams["tag"]) == {
        "_hparams_/experiment",
        "_hparams_/session_start_info",
        "_hparams_/session_end_info",
    }
    assert_any_counts_every_event(tmp_path)


# -- type="any" ------------------------------------------------------------------------------


def test_any_has_one_row_per_event_with_file_version_first_in_every_file(
    tmp_path,
) -> None:
    with SummaryWriter(tmp_path / "train", purge_step=3) as writer:
        writer.add_scalar("loss", 0.5, 3)
        writer.add_scalars("pair", {"a": 1.0, "b": 2.0}, 3)
        writer.add_text("notes", "hi", 3)
    with SummaryWriter(tmp_path / "train") as writer:
        writer.add_scalar("loss", 0.25, 4)
    events = collect_events(tmp_path)
    assert_columns(events, "any")
    start = 0
    for run, paths in run_files(tmp_path).items():
        for path in paths:
            written = list(read_events(path))
            assert len(written) == len(loader_events(path))
            rows = events.iloc[start : start + len(written)]
            start += len(written)
            assert rows["what"].iloc[0] == "file_version"
            assert rows["run"].tolist() == [run] * len(written)
            assert rows["event"].tolist() == written
            assert rows["what"].tolist() == [e.WhichOneof("what") for e in written]
            assert rows["step"].tolist() == [e.step for e in written]
            assert rows["wall_time"].tolist() == [e.wall_time for e in written]
    assert start == len(events)
    assert sorted(set(events["run"])) == ["train", "train/pair_a", "train/pair_b"]
    assert events[events["run"] == "train"]["what"].tolist() == [
        "file_version",
        "session_log",
        "summary",
        "summary",
        "file_version",
        "summary",
    ]


# -- the R package's examples ------------------------------------------------------------------


def test_the_r_examples(tmp_path) -> None:
    logged = np.random.default_rng(6).random(5)
    with SummaryWriter(tmp_path) as writer:
        for step, x in enumerate(logged.tolist(), start=1):
            writer.add_scalar("my_log", x, step)
    assert len(collect_events(tmp_path)) == 6
    assert len(collect_events(tmp_path, type="summary")) == 5
    assert len(collect_events(tmp_path, type="scalar")) == 5
    summary = collect_events(tmp_path, n=1, type="summary")
    first = value(summary["summary"])
    assert isinstance(first, float)
    assert first == f32(logged[0])
    assert summary["step"].tolist() == [1]


# -- n and connections ---------------------------------------------------------------------------


def summary_event(step: int, wall: float, values: dict[str, float]) -> Event:
    return Event(
        step=step,
        wall_time=wall,
        summary=Summary(value=[Summary.Value(tag=t, simple_value=v) for t, v in values.items()]),
    )


@pytest.fixture
def two_runs(tmp_path):
    """A logdir whose run "train" has an event with three values and a second file; "val" plain scalars."""
    with EventWriter(str(tmp_path / "train")) as writer:
        writer.add_scalar("a", 0.0, 0, 10.0)
        writer.add_event(summary_event(1, 11.0, {"a": 1.0, "b": 10.0, "c": 100.0}))
        writer.add_scalar("a", 2.0, 2, 12.0)
    with EventWriter(str(tmp_path / "train")) as writer:
        writer.add_scalar("b", 30.0, 3, 13.0)
    with EventWriter(str(tmp_path / "val")) as writer:
        for step in range(4):
            writer.add_scalar("a", -float(step), step, 20.0 + step)
    return tmp_path


def read_in_slices(logdir, n: int, type: str) -> list[pd.DataFrame]:
    """Return the reads of one connection, ``n`` rows at a time, up to the first empty one."""
    conn = events_logdir(logdir)
    slices = [collect_events(conn, n=n, type=type)]
    while len(slices[-1]):
        slices.append(collect_events(conn, n=n, type=type))
        assert len(slices) < 100
    return slices


@pytest.mark.parametrize("n", [1, 2, 3, 5, 100])
@pytest.mark.parametrize("type", TYPES)
def test_reads_of_n_rows_follow_on_without_overlap(two_runs, type, n) -> None:
    whole = collect_events(two_runs, type=type)
    slices = read_in_slices(two_runs, n, type)
    assert [len(s) for s in slices[:-1]] == [min(n, len(whole) - i) for i in range(0, len(whole), n)]
    assert len(slices[-1]) == 0
    assert_columns(slices[-1], type)
    pd.testing.assert_frame_equal(pd.concat(slices[:-1], ignore_index=True), whole)


def test_the_one_shot_read_of_the_event_with_three_values(two_runs) -> None:
    expected = [
        ("train", "a", 0, 10.0, 0.0),
        ("train", "a", 1, 11.0, 1.0),
        ("train", "b", 1, 11.0, 10.0),
        ("train", "c", 1, 11.0, 100.0),
        ("train", "a", 2, 12.0, 2.0),
        ("train", "b", 3, 13.0, 30.0),
    ] + [("val", "a", step, 20.0 + step, -float(step)) for step in range(4)]
    pd.testing.assert_frame_equal(collect_events(two_runs, type="scalar"), scalar_frame(expected))
    summary = collect_events(two_runs, type="summary")
    pd.testing.assert_frame_equal(
        summary.drop(columns=["plugin", "summary"]),
        scalar_frame(expected).drop(columns="value"),
    )
    assert value(summary["summary"], as_list=True) == [row[-1] for row in expected]
    # A file_version event opens each of the three files.
    assert len(collect_events(two_runs)) == (1 + 3) + (1 + 1) + (1 + 4)


@pytest.mark.parametrize("type", ["summary", "scalar"])
def test_n_may_cut_an_event_between_its_values(two_runs, type) -> None:
    conn = events_logdir(two_runs)
    assert collect_events(conn, n=2, type=type)["tag"].tolist() == ["a", "a"]
    assert collect_events(conn, n=1, type=type)["tag"].tolist() == ["b"]
    assert collect_events(conn, n=2, type=type)[["tag", "step"]].values.tolist() == [
        ["c", 1],
        ["a", 2],
    ]


@pytest.mark.parametrize(
    "type",
    [
        "any",
        "summary",
        "scalar",
    ],
)
def test_n_zero_is_refused_as_r_refuses_it_and_loses_nothing(two_runs, type) -> None:
    conn = events_logdir(two_runs)
    with pytest.raises(
        ValueError, match=re.escape("collect_events(n=...): expected None or an int >= 1, got 0")
    ):
        collect_events(conn, n=0, type=type)
    pd.testing.assert_frame_equal(collect_events(conn, type=type), collect_events(two_runs, type=type))


@pytest.mark.parametrize("type", TYPES)
def test_a_connection_picks_up_new_records_files_and_runs(tmp_path, type) -> None:
    logdir = tmp_path / "logs"
    conn = events_logdir(logdir)
    assert len(collect_events(conn, type=type)) == 0
    writer = SummaryWriter(logdir / "a", flush_secs=0)
    writer.add_scalar("x", 1.0, 0, walltime=1.0)
    writer.flush()
    first = collect_events(conn, type=type)
    assert first["step"].tolist() == ([0, 0] if type == "any" else [0])
    writer.add_scalar("x", 2.0, 1, walltime=2.0)
    writer.flush()
    second = collect_events(conn, type=type)
    assert second["wall_time"].tolist() == [2.0]
    writer.close()
    with SummaryWriter(logdir / "a") as again:
        again.add_scalar("x", 3.0, 2, walltime=3.0)
    with SummaryWriter(logdir / "b") as other:
        other.add_scalar("y", 4.0, 0, walltime=4.0)
    new = collect_events(conn, type=type)
    if type == "any":
        assert new["what"].tolist() == [
            "file_version",
            "summary",
            "file_version",
            "summary",
        ]
        assert new["run"].tolist() == ["a", "a", "b", "b"]
    else:
        assert new[["run", "step", "wall_time"]].values.tolist() == [
            ["a", 2, 3.0],
            ["b", 0, 4.0],
        ]
    nothing = collect_events(conn, type=type)
    assert len(nothing) == 0
    assert_columns(nothing, type)
    whole = collect_events(logdir, type=type)
    pd.testing.assert_frame_equal(pd.concat([first, second, new], ignore_index=True), whole)


@pytest.mark.parametrize("type", TYPES)
def test_reading_again_with_nothing_new_keeps_the_dtypes(two_runs, type) -> None:
    conn = events_logdir(two_runs)
    whole = collect_events(conn, type=type)
    empty = collect_events(conn, type=type)
    assert len(empty) == 0
    assert empty.dtypes.to_dict() == whole.dtypes.to_dict()
    pd.testing.assert_frame_equal(pd.concat([whole, empty], ignore_index=True), whole)


# -- filters -----------------------------------------------------------------------------------------


@pytest.fixture
def three_runs(tmp_path):
    """Runs train/a, train/b and val, each with tags loss, acc/top1 and acc/top5 at steps 0..5."""
    for run in ("train/a", "train/b", "val"):
        with EventWriter(str(tmp_path / run)) as writer:
            for step in range(6):
                for tag in ("loss", "acc/top1", "acc/top5"):
                    writer.add_scalar(tag, step + len(tag), step, 1.0 + step)
        # One event with values of two tags, kept whole by type="any" if either is kept.
        with EventWriter(str(tmp_path / run)) as writer:
            writer.add_event(summary_event(6, 7.0, {"loss": 1.0, "acc/top1": 2.0}))
    return tmp_path


def event_tags(frame: pd.DataFrame) -> pd.Series:
    """Return the tags of each row: the row's own, or the tags of its event's values."""
    if "tag" in frame:
        return frame["tag"].map(lambda tag: [tag])
    return frame["event"].map(lambda event: [v.tag for v in event.summary.value])


def matches(names: pd.Series, patterns: list[str]) -> pd.Series:
    return names.map(lambda name: any(fnmatch.fnmatchcase(name, p) for p in patterns)).astype(bool)


@pytest.mark.parametrize("type", TYPES)
@pytest.mark.parametrize(
    ("runs", "tags", "steps"),
    [
        ("train/*", None, None),
        (["val", "train/a"], None, None),
        ("train", None, None),
        (None, "acc/*", None),
        (None, ["loss"], None),
        (None, ["loss", "acc/top5"], None),
        (None, None, (2, 4)),
        (None, None, (None, 2)),
        (None, None, (4, None)),
        (None, None, (None, None)),
        (None, None, (3, 3)),
        ("val", "loss", (2, 5)),
        ("train/[ab]", "acc/top?", (-10, 6)),
    ],
)
def test_filters_keep_what_pandas_would(three_runs, type, runs, tags, steps) -> None:
    whole = collect_events(three_runs, type=type)
    keep = pd.Series(True, index=whole.index)
    if runs is not None:
        keep &= matches(whole["run"], [runs] if isinstance(runs, str) else runs)
    if tags is not None:
        patterns = [tags] if isinstance(tags, str) else tags
        keep &= event_tags(whole).map(
            lambda names: any(fnmatch.fnmatchcase(n, p) for n in names for p in patterns)
        )
    start, stop = steps if steps is not None else (None, None)
    if start is not None:
        keep &= whole["step"] >= start
    if stop is not None:
        keep &= whole["step"] < stop
    expected = whole[keep.astype(bool)].reset_index(drop=True)
    got = collect_events(three_runs, type=type, runs=runs, tags=tags, steps=steps)
    if len(expected):
        pd.testing.assert_frame_equal(got, expected)
    else:
        assert len(got) == 0
        assert_columns(got, type)
    for n in (1, 4):
        head = collect_events(three_runs, n=n, type=type, runs=runs, tags=tags, steps=steps)
        assert len(head) == min(n, len(expected))
        if len(head):
            pd.testing.assert_frame_equal(head, expected.head(n))


def test_filters_on_a_connection_go_on_where_the_last_read_stopped(three_runs) -> None:
    conn = events_logdir(three_runs)
    first = collect_events(conn, n=5, type="scalar", runs="train/*", tags="loss")
    rest = collect_events(conn, type="scalar", runs="train/*", tags="loss")
    whole = collect_events(three_runs, type="scalar", runs="train/*", tags="loss")
    pd.testing.assert_frame_equal(pd.concat([first, rest], ignore_index=True), whole)
    assert len(whole) == 2 * 7


# -- bad arguments --------------------------------------------------------------------------------


@pytest.mark.parametrize("type", TYPES)
@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"n": -1}, ValueError, r"collect_events\(n=.*-1"),
        ({"n": 1.5}, ValueError, r"collect_events\(n=.*1\.5"),
        ({"n": True}, ValueError, r"collect_events\(n="),
        ({"steps": (1,)}, TypeError, r"collect_events\(steps=.*\(1,\)"),
        ({"steps": (1, 2, 3)}, TypeError, r"collect_events\(steps="),
        ({"steps": (1.5, 2)}, TypeError, r"collect_events\(steps=.*1\.5"),
        ({"steps": "12"}, TypeError, r"collect_events\(steps="),
        ({"tags": ["loss", 3]}, TypeError, r"collect_events\(tags="),
        ({"runs": [None]}, TypeError, r"collect_events\(runs="),
        ({"tags": 3}, TypeError, r"collect_events\(tags=.*3"),
        ({"runs": 3}, TypeError, r"collect_events\(runs=.*3"),
        ({"on_corrupt": "bogus"}, ValueError, r"collect_events\(on_corrupt=.*bogus"),
    ],
)
def test_bad_arguments_raise_naming_the_argument(two_runs, type, kwargs, error, message) -> None:
    with pytest.raises(error, match=message):
        collect_events(two_runs, type=type, **kwargs)


def test_bad_type_logdir_and_path_raise_naming_the_argument(tmp_path) -> None:
    with pytest.raises(ValueError, match=r"collect_events\(type=.*bogus"):
        collect_events(tmp_path, type="bogus")
    with pytest.raises(TypeError, match=r"collect_events\(logdir=.*int"):
        collect_events(42)
    with pytest.raises(FileNotFoundError, match=r"collect_events\(logdir=.*missing"):
        collect_events(tmp_path / "missing")
    with pytest.raises(TypeError, match=r"events_logdir\(logdir=.*int"):
        events_logdir(42)


# -- one file, and an empty logdir ------------------------------------------------------------------


@pytest.mark.parametrize("type", TYPES)
def test_logdir_may_be_one_event_file(two_runs, type) -> None:
    first, second = run_files(two_runs)["train"]
    whole = collect_events(two_runs, type=type, runs="train")
    one = collect_events(first, type=type)
    assert len(one) + len(collect_events(second, type=type)) == len(whole)
    expected = whole.head(len(one)).assign(run=pd.array(["."] * len(one), dtype=STR))
    pd.testing.assert_frame_equal(one, expected)
    conn = events_logdir(second)
    assert len(collect_events(conn, type=type)) == (2 if type == "any" else 1)
    assert len(collect_events(conn, type=type)) == 0


@pytest.mark.parametrize("type", TYPES)
def test_empty_logdir_gives_the_columns(tmp_path, type) -> None:
    empty = collect_events(tmp_path, type=type)
    assert len(empty) == 0
    assert_columns(empty, type)


@pytest.mark.parametrize("type", TYPES)
def test_empty_logdir_gives_the_dtypes(tmp_path, type) -> None:
    assert collect_events(tmp_path, type=type).dtypes.to_dict() == dtypes(type)
    assert collect_events(events_logdir(tmp_path / "not yet"), type=type).dtypes.to_dict() == dtypes(type)


@pytest.mark.parametrize("type", TYPES)
def test_full_frames_have_the_dtypes(two_runs, type) -> None:
    assert collect_events(two_runs, type=type).dtypes.to_dict() == dtypes(type)


def test_a_logdirs_write_error_surfaces_on_that_logdirs_next_call_only(tmp_path, monkeypatch) -> None:
    import errno

    from neuroboard.api.functional import flush_all, log_event, with_logdir, writer_for
    from neuroboard.io import writer as writer_module

    full, fine = tmp_path / "full", tmp_path / "fine"
    with with_logdir(fine):
        log_event(y=1.0, step=0)
    with with_logdir(full):
        log_event(x=1.0, step=0, run={"z": 2.0})
    flush_all()
    failing = writer_for(str(full))._fd
    real = os.write

    def write(fd: int, data) -> int:
        if fd == failing:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(fd, data)

    monkeypatch.setattr(writer_module, "_write", write)
    with with_logdir(full):
        log_event(x=3.0, step=1, run={"z": 4.0})
    # Other logdirs, the failing writer's own sub-run included, are read without its error.
    assert collect_events(str(fine), type="scalar")["value"].tolist() == [1.0]
    assert collect_events(str(full / "run"), type="scalar")["value"].tolist() == [2.0, 4.0]
    with pytest.raises(OSError, match=r"1 event \(\d+ bytes\) wait for .*full") as raised:
        collect_events(str(full), type="scalar")
    assert raised.value.errno == errno.ENOSPC
    monkeypatch.undo()
    df = collect_events(str(full), type="scalar")
    assert sorted(zip(df.run, df.tag, df.step, df.value)) == [
        (".", "x", 0, 1.0),
        (".", "x", 1, 3.0),
        ("run", "z", 0, 2.0),
        ("run", "z", 1, 4.0),
    ]
    steps, values, _ = scalar_arrays(accumulator(full), "x")
    assert (steps.tolist(), values.tolist()) == ([0, 1], [1.0, 3.0])
