"""SummaryWriter's PR curves, raw histograms and default_bins, side by side with torch's writer.

Each test writes the same inputs with torch's SummaryWriter into a sibling
run and reads both back with TensorBoard's EventAccumulator, a real
TensorBoard server, and our own collect_events.
"""

from __future__ import annotations

import inspect
import os
import uuid

import numpy as np
import pytest
from tensorboard.plugins.pr_curve.plugin_data_pb2 import PrCurvePluginData
from tensorboard.util.tensor_util import make_ndarray

from neuroboard import SummaryWriter, collect_events
from neuroboard.summary.pr_curve import pr_curve_data
from tests.tb import accumulator

torch = pytest.importorskip("torch")
tensorboard_torch = pytest.importorskip("torch.utils.tensorboard")
tensorboardx = pytest.importorskip("tensorboardX")

METHODS = ("add_pr_curve", "add_pr_curve_raw", "add_histogram_raw")
WALL = 1_700_000_000.0

RAW_CURVE = (
    [75, 64, 21, 5, 0],
    [150, 105, 18, 0, 0],
    [0, 45, 132, 150, 150],
    [0, 11, 54, 70, 75],
    [0.3333333, 0.3786982, 0.5384616, 1.0, 0.0],
    [1.0, 0.8533334, 0.28, 0.0666667, 0.0],
)


def parameters(method) -> list[tuple[str, object, object]]:
    return [(p.name, p.kind, p.default) for p in inspect.signature(method).parameters.values()]


@pytest.mark.parametrize(
    "peer", [tensorboard_torch.SummaryWriter, tensorboardx.SummaryWriter], ids=["torch", "tensorboardX"]
)
@pytest.mark.parametrize("name", METHODS)
def test_signatures_are_the_peers(peer, name) -> None:
    assert parameters(getattr(SummaryWriter, name)) == parameters(getattr(peer, name))


@pytest.mark.parametrize(
    "peer", [tensorboard_torch.SummaryWriter, tensorboardx.SummaryWriter], ids=["torch", "tensorboardX"]
)
def test_default_bins_are_the_peers(peer, tmp_path) -> None:
    with peer(str(tmp_path / "peer")) as theirs, SummaryWriter(tmp_path / "ours") as ours:
        assert ours.default_bins == theirs.default_bins
        assert type(ours.default_bins) is list and len(ours.default_bins) == 1549


def curve_inputs(seed: int, size: int = 500) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, size)
    # Predictions that follow the labels, as a model's would, in float32 as a model gives them.
    predictions = np.clip(labels * 0.3 + rng.random(size) * 0.7, 0, 1).astype(np.float32)
    return labels, predictions, rng.random(size)


def histogram_inputs(seed: int):
    values = np.random.default_rng(seed).normal(size=400)
    counts, edges = np.histogram(values, bins=12)
    return (values.min(), values.max(), len(values), values.sum(), values @ values, edges[1:], counts)


def write_side_by_side(logdir) -> None:
    """Write the same calls with ours and torch's writer, into ``logdir/ours`` and ``logdir/torch``."""
    for name, writer_class in (("ours", SummaryWriter), ("torch", tensorboard_torch.SummaryWriter)):
        with writer_class(os.path.join(logdir, name)) as writer:
            for step in range(3):
                labels, predictions, weights = curve_inputs(step)
                writer.add_pr_curve("pr", labels, predictions, step, walltime=WALL + step)
                writer.add_pr_curve(
                    "pr/weighted", torch.tensor(labels), torch.tensor(predictions), step, 10, weights, WALL
                )
                writer.add_histogram_raw(
                    "raw", *histogram_inputs(step), global_step=step, walltime=WALL + step
                )
            writer.add_pr_curve_raw("pr/raw", *RAW_CURVE, 0, walltime=WALL)


def test_read_back_by_event_accumulator_as_torchs(tmp_path) -> None:
    write_side_by_side(tmp_path)
    ours, theirs = accumulator(tmp_path / "ours"), accumulator(tmp_path / "torch")
    assert ours.Tags()["tensors"] == theirs.Tags()["tensors"] == ["pr", "pr/weighted", "pr/raw"]
    for tag in ("pr", "pr/weighted"):
        assert ours.SummaryMetadata(tag) == theirs.SummaryMetadata(tag)
        got, expected = ours.Tensors(tag), theirs.Tensors(tag)
        assert [(e.step, e.wall_time) for e in got] == [(e.step, e.wall_time) for e in expected]
        for ours_event, torch_event in zip(got, expected):
            np.testing.assert_array_equal(
                make_ndarray(ours_event.tensor_proto), make_ndarray(torch_event.tensor_proto)
            )
    # torch's metadata says 127 whatever the length; ours counts the thresholds.
    assert (
        PrCurvePluginData.FromString(ours.SummaryMetadata("pr/raw").plugin_data.content).num_thresholds == 5
    )
    np.testing.assert_array_equal(
        make_ndarray(ours.Tensors("pr/raw")[0].tensor_proto),
        make_ndarray(theirs.Tensors("pr/raw")[0].tensor_proto),
    )

    assert ours.Tags()["histograms"] == theirs.Tags()["histograms"] == ["raw"]
    got, expected = ours.Histograms("raw"), theirs.Histograms("raw")
    assert [(e.step, e.wall_time) for e in got] == [(e.step, e.wall_time) for e in expected]
    for ours_event, torch_event in zip(got, expected):
        # np.histogram over the values' own range leaves no bucket empty at either end: nothing is left out.
        assert ours_event.histogram_value == torch_event.histogram_value


def test_collect_events_gives_the_curve_as_a_6_by_k_array(tmp_path) -> None:
    labels, predictions, _ = curve_inputs(0)
    with SummaryWriter(tmp_path) as writer:
        writer.add_pr_curve("pr", labels, predictions, 0, num_thresholds=201)
        writer.add_histogram_raw("raw", *histogram_inputs(0), global_step=0)
    frame = collect_events(tmp_path, type="summary")
    curve = frame[frame.tag == "pr"].summary.iloc[0]
    assert curve.plugin == "pr_curves"
    value = curve.value()
    assert value.shape == (6, 201) and value.dtype == np.float32
    np.testing.assert_array_equal(value, pr_curve_data(labels, predictions, 201).astype(np.float32))
    raw = frame[frame.tag == "raw"].summary.iloc[0].value()
    counts = histogram_inputs(0)[-1]
    np.testing.assert_array_equal(raw.counts, counts)


def test_steps_follow_the_tag_without_global_step(tmp_path) -> None:
    labels, predictions, _ = curve_inputs(0, 20)
    with SummaryWriter(tmp_path) as writer:
        for _ in range(3):
            writer.add_pr_curve("pr", labels, predictions)
            writer.add_histogram_raw("raw", *histogram_inputs(1))
        writer.add_pr_curve_raw("pr/raw", *RAW_CURVE)
    acc = accumulator(tmp_path)
    assert [e.step for e in acc.Tensors("pr")] == [0, 1, 2]
    assert [e.step for e in acc.Histograms("raw")] == [0, 1, 2]
    assert [e.step for e in acc.Tensors("pr/raw")] == [0]


@pytest.mark.parametrize(
    ("method", "args", "kwargs", "error", "message"),
    [
        ("add_pr_curve", ("pr", [1, 0], [0.5, 1.5]), {}, ValueError, r"add_pr_curve\(predictions=\.\.\.\)"),
        ("add_pr_curve", ("pr", [1, 2], [0.5, 0.5]), {}, ValueError, r"add_pr_curve\(labels=\.\.\.\)"),
        (
            "add_pr_curve",
            ("pr", [1, 0], [0.5, 0.5]),
            {"num_thresholds": 1},
            ValueError,
            r"add_pr_curve\(num_thresholds=\.\.\.\)",
        ),
        (
            "add_pr_curve",
            ("pr", [1, 0], [0.5, 0.5]),
            {"weights": -1.0},
            ValueError,
            r"add_pr_curve\(weights=\.\.\.\)",
        ),
        (
            "add_pr_curve",
            ("pr", [1, 0], [0.5, 0.5]),
            {"global_step": 1.5},
            TypeError,
            r"add_pr_curve\(global_step=\.\.\.\)",
        ),
        (
            "add_pr_curve",
            ("pr", [1, 0], [0.5, 0.5]),
            {"walltime": np.nan},
            ValueError,
            r"add_pr_curve\(walltime=\.\.\.\)",
        ),
        (
            "add_pr_curve_raw",
            ("pr", *RAW_CURVE[:5], [1.0]),
            {},
            ValueError,
            r"add_pr_curve_raw\(recall=\.\.\.\)",
        ),
        (
            "add_histogram_raw",
            ("h", 0, 1, 1, 1, 1, [1.0, 2.0], [1]),
            {},
            ValueError,
            r"add_histogram_raw\(bucket_counts=\.\.\.\)",
        ),
        (
            "add_histogram_raw",
            ("h", 0, 1, 1, 1, 1, [1.0], [1]),
            {"global_step": "3"},
            TypeError,
            r"add_histogram_raw\(global_step=\.\.\.\)",
        ),
    ],
)
def test_a_refused_call_writes_nothing(tmp_path, method, args, kwargs, error, message) -> None:
    with SummaryWriter(tmp_path) as writer:
        with pytest.raises(error, match=rf"^{message}"):
            getattr(writer, method)(*args, **kwargs)
        writer.add_scalar("after", 1.0)
    frame = collect_events(tmp_path, type="summary")
    assert frame.tag.tolist() == ["after"]


def test_default_bins_is_a_fresh_list(tmp_path) -> None:
    with SummaryWriter(tmp_path) as writer:
        writer.default_bins.clear()
        assert len(writer.default_bins) == 1549
        with pytest.raises(AttributeError):
            writer.default_bins = [0.0, 1.0]


# -- through TensorBoard ---------------------------------------------------


def test_pr_curves_served_as_torchs(tensorboard_server) -> None:
    base = f"curves_{uuid.uuid4().hex[:8]}"
    write_side_by_side(os.path.join(tensorboard_server.logdir, base))
    ours, theirs = f"{base}/ours", f"{base}/torch"

    def served(run: str, tag: str):
        return tensorboard_server.get("/data/plugin/pr_curves/pr_curves", run=run, tag=tag)[run]

    def ready(run: str):
        # "pr/raw" is the last event of each file: once it is served, so is everything before it.
        return tensorboard_server.wait_for(lambda: served(run, "pr/raw"), lambda entries: len(entries) == 1)

    assert ready(ours) == ready(theirs)
    for tag in ("pr", "pr/weighted"):
        got, expected = served(ours, tag), served(theirs, tag)
        assert len(got) == 3
        assert got == expected
    entry = served(ours, "pr/weighted")[0]
    assert entry["thresholds"] == np.linspace(0, 1, 10)[: len(entry["precision"])].tolist()
    tags = tensorboard_server.get("/data/plugin/pr_curves/tags")
    assert tags[ours] == tags[theirs]


def test_more_than_127_thresholds_served(tensorboard_server) -> None:
    run = f"curves_{uuid.uuid4().hex[:8]}"
    labels, predictions, _ = curve_inputs(5, 2000)
    with SummaryWriter(os.path.join(tensorboard_server.logdir, run)) as writer:
        writer.add_pr_curve("pr", labels, predictions, 0, num_thresholds=501)
    entries = tensorboard_server.wait_for(
        lambda: tensorboard_server.get("/data/plugin/pr_curves/pr_curves", run=run, tag="pr")[run],
        lambda entries: len(entries) == 1,
    )
    expected = pr_curve_data(labels, predictions, 501)
    served = len(entries[0]["true_positives"])
    assert served > 127
    assert entries[0]["true_positives"] == expected[0, :served].astype(int).tolist()


def test_raw_histograms_served_as_add_histograms(tensorboard_server) -> None:
    base = f"curves_{uuid.uuid4().hex[:8]}"
    values = np.random.default_rng(9).random(300) * 0.5 + 0.3
    edges = np.linspace(0.0, 1.0, 11)
    counts, _ = np.histogram(values, edges)
    stats = (values.min(), values.max(), len(values), values.sum(), values @ values)
    for name, writer_class in (("ours", SummaryWriter), ("torch", tensorboard_torch.SummaryWriter)):
        with writer_class(os.path.join(tensorboard_server.logdir, base, name)) as writer:
            # Buckets [0, 0.3) and [0.8, 1] are empty: the ends torch writes and TensorBoard's Rust loader keeps.
            writer.add_histogram_raw("raw", *stats, edges[1:].tolist(), counts.tolist(), 0, WALL)
            if name == "ours":
                writer.add_histogram("counted", values, 0, bins=edges, walltime=WALL)

    def served(run: str, tag: str):
        return tensorboard_server.get("/data/plugin/histograms/histograms", run=run, tag=tag)

    torchs = tensorboard_server.wait_for(
        lambda: served(f"{base}/torch", "raw"), lambda events: len(events) == 1
    )
    counted = tensorboard_server.wait_for(
        lambda: served(f"{base}/ours", "counted"), lambda events: len(events) == 1
    )
    ours = served(f"{base}/ours", "raw")
    occupied = [bucket for bucket in ours[0][2] if bucket[2]]
    assert occupied == [bucket for bucket in counted[0][2] if bucket[2]]
    assert all(left <= right for left, right, _ in ours[0][2])
    assert sum(count for _, _, count in ours[0][2]) == 300
    assert ours[0][2][0][0] == pytest.approx(values.min()) and ours[0][2][-1][1] == pytest.approx(
        values.max()
    )
    # torch's empty end buckets are served: the first runs backwards from min down to 0.1, the
    # last from 0.9 down to max, and the non-empty ones span the limits instead of min and max.
    first, last = torchs[0][2][0], torchs[0][2][-1]
    assert first == [pytest.approx(values.min()), pytest.approx(0.1), 0.0]
    assert last == [pytest.approx(0.9), pytest.approx(values.max()), 0.0]
    assert [bucket[2] for bucket in torchs[0][2] if bucket[2]] == [bucket[2] for bucket in occupied]
