"""SummaryWriter.add_video, add_image_with_boxes and add_mesh: the peers' signatures, read back, and refused whole."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import neuroboard
from neuroboard import SummaryWriter
from neuroboard.io.reader import read_events, run_files

RNG = np.random.default_rng(2)
METHODS = ("add_video", "add_image_with_boxes", "add_mesh")


def parameters(method) -> list[tuple[str, object]]:
    return [
        (p.name, p.default)
        for p in inspect.signature(method).parameters.values()
        if p.name != "self" and p.kind is not p.VAR_KEYWORD
    ]


@pytest.mark.parametrize("name", METHODS)
def test_signatures_are_torchs(name: str) -> None:
    torch_writer = pytest.importorskip("torch.utils.tensorboard").SummaryWriter
    theirs = parameters(getattr(torch_writer, name))
    ours = parameters(getattr(SummaryWriter, name))
    # add_video adds tensorboardX's dataformats after torch's arguments.
    assert ours[: len(theirs)] == theirs
    assert [n for n, _ in ours[len(theirs) :]] == (["dataformats"] if name == "add_video" else [])


@pytest.mark.parametrize("name", METHODS)
def test_tensorboardx_keywords_are_accepted_with_its_defaults(name: str) -> None:
    tbx_writer = pytest.importorskip("tensorboardX").SummaryWriter
    ours = dict(parameters(getattr(SummaryWriter, name)))
    for keyword, default in parameters(getattr(tbx_writer, name)):
        assert ours[keyword] == default, keyword


def test_every_method_writes_and_collect_events_reads_it(tmp_path) -> None:
    clips = RNG.integers(0, 256, size=(2, 3, 1, 4, 5), dtype=np.uint8)
    img = RNG.integers(0, 256, size=(3, 20, 30), dtype=np.uint8)
    vertices = RNG.normal(size=(1, 6, 3))
    faces = np.array([[[0, 1, 2], [3, 4, 5]]])
    colors = RNG.integers(0, 256, size=(1, 6, 3))
    with SummaryWriter(tmp_path) as writer:
        writer.add_video("clip", clips, 1, fps=2)
        writer.add_image_with_boxes("det", img, [[2, 2, 18, 15]], 1, labels=["a"])
        writer.add_image("plain", img, 1)
        writer.add_mesh("cloud", vertices, colors, faces, global_step=1)
    frame = neuroboard.collect_events(tmp_path, type="summary").set_index("tag")
    assert frame.loc["clip", "summary"].value().shape == (3, 4, 10, 1)
    assert np.array_equal(frame.loc["clip", "summary"].value()[:, :, :5, 0], clips[0, :, 0])
    assert frame.loc["det", "summary"].value().shape == (20, 30, 3)
    assert np.array_equal(frame.loc["plain", "summary"].value(), img.transpose(1, 2, 0))
    assert frame.loc["cloud_VERTEX", "plugin"] == "mesh"
    assert np.array_equal(frame.loc["cloud_VERTEX", "summary"].value(), vertices.astype(np.float32))
    assert np.array_equal(frame.loc["cloud_FACE", "summary"].value(), faces)
    assert np.array_equal(frame.loc["cloud_COLOR", "summary"].value(), colors)
    assert set(frame["step"]) == {1}


def test_without_global_step_each_tag_counts_its_own_steps(tmp_path) -> None:
    vertices = RNG.normal(size=(1, 4, 3))
    with SummaryWriter(tmp_path) as writer:
        for _ in range(3):
            writer.add_mesh("cloud", vertices, faces=[[[0, 1, 2]]])
            writer.add_video("clip", np.zeros((1, 2, 3, 4, 4)))
        writer.add_image_with_boxes("det", np.zeros((3, 8, 8)), [[1, 1, 6, 6]])
    frame = neuroboard.collect_events(tmp_path, type="summary")
    steps = frame.groupby("tag")["step"].apply(list).to_dict()
    assert steps == {"cloud_VERTEX": [0, 1, 2], "cloud_FACE": [0, 1, 2], "clip": [0, 1, 2], "det": [0]}


VIDEO = np.zeros((1, 2, 3, 4, 4))
IMG = np.zeros((3, 16, 16))
BOX = [[1, 1, 8, 8]]
VERTICES = np.zeros((1, 4, 3))


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda w: w.add_video("v", np.zeros((2, 3, 4, 4))),
            ValueError,
            r"add_video\(vid_tensor=...\): expected \(N, T, C, H, W\)",
        ),
        (
            lambda w: w.add_video("v", np.zeros((1, 2, 2, 4, 4))),
            ValueError,
            r"add_video\(vid_tensor=...\).*C = 1, 3 or 4",
        ),
        (
            lambda w: w.add_video("v", np.zeros((1, 0, 3, 4, 4))),
            ValueError,
            r"add_video\(vid_tensor=...\).*N, T, H, W >= 1",
        ),
        (
            lambda w: w.add_video("v", np.full((1, 1, 1, 1, 1), "x")),
            TypeError,
            r"add_video\(vid_tensor=...\): expected a numeric array",
        ),
        (
            lambda w: w.add_video("v", np.zeros((1, 1, 1, 1, 70_000))),
            ValueError,
            r"add_video\(vid_tensor=...\).*GIF's limit",
        ),
        (
            lambda w: w.add_video("v", VIDEO, fps=0),
            ValueError,
            r"add_video\(fps=...\): expected a finite number",
        ),
        (lambda w: w.add_video("v", VIDEO, fps=-2), ValueError, r"add_video\(fps=...\)"),
        (lambda w: w.add_video("v", VIDEO, fps=float("nan")), ValueError, r"add_video\(fps=...\)"),
        (lambda w: w.add_video("v", VIDEO, fps=float("inf")), ValueError, r"add_video\(fps=...\)"),
        (
            lambda w: w.add_video("v", VIDEO, fps=0.001),
            ValueError,
            r"add_video\(fps=...\): expected at least 0.0015",
        ),
        (
            lambda w: w.add_video("v", VIDEO, fps="4"),
            TypeError,
            r"add_video\(fps=...\): expected a real number",
        ),
        (lambda w: w.add_video("v", VIDEO, fps=True), TypeError, r"add_video\(fps=...\)"),
        (lambda w: w.add_video("v", VIDEO, dataformats="NTCH"), ValueError, r"add_video\(dataformats=...\)"),
        (lambda w: w.add_video("", VIDEO), ValueError, r"add_video\(tag=...\)"),
        (lambda w: w.add_video("v", VIDEO, global_step="1"), TypeError, r"add_video\(global_step=...\)"),
        (
            lambda w: w.add_image_with_boxes("b", np.zeros((1, 3, 8, 8)), BOX),
            ValueError,
            r"add_image_with_boxes\(img_tensor=...\): expected \(C, H, W\)",
        ),
        (
            lambda w: w.add_image_with_boxes("b", np.zeros((2, 8, 8)), BOX),
            ValueError,
            r"add_image_with_boxes\(img_tensor=...\).*C = 1, 3 or 4",
        ),
        (
            lambda w: w.add_image_with_boxes("b", IMG, BOX, dataformats="NCHW"),
            ValueError,
            r"add_image_with_boxes\(dataformats=...\)",
        ),
        (
            lambda w: w.add_image_with_boxes("b", IMG, [1, 2, 3, 4]),
            ValueError,
            r"add_image_with_boxes\(box_tensor=...\): expected \(K, 4\)",
        ),
        (
            lambda w: w.add_image_with_boxes("b", IMG, np.zeros((2, 5))),
            ValueError,
            r"add_image_with_boxes\(box_tensor=...\)",
        ),
        (
            lambda w: w.add_image_with_boxes("b", IMG, [[0, 0, np.nan, 4]]),
            ValueError,
            r"add_image_with_boxes\(box_tensor=...\): expected finite",
        ),
        (
            lambda w: w.add_image_with_boxes("b", IMG, [[0, 0, 1e20, 4]]),
            ValueError,
            r"add_image_with_boxes\(box_tensor=...\): expected coordinates within ±2,147,483,647 pixels, got 1e\+20",
        ),
        (
            lambda w: w.add_image_with_boxes("b", IMG, [["a", "b", "c", "d"]]),
            TypeError,
            r"add_image_with_boxes\(box_tensor=...\)",
        ),
        (
            lambda w: w.add_image_with_boxes("b", IMG, BOX, labels=["a", "b"]),
            ValueError,
            r"add_image_with_boxes\(labels=...\): expected 1 labels, one per box, got 2",
        ),
        (
            lambda w: w.add_image_with_boxes("b", IMG, BOX, labels=[3]),
            TypeError,
            r"add_image_with_boxes\(labels=...\): expected str labels, got int",
        ),
        (
            lambda w: w.add_image_with_boxes("b", IMG, BOX, labels=5),
            TypeError,
            r"add_image_with_boxes\(labels=...\)",
        ),
        (
            lambda w: w.add_image_with_boxes("b", IMG, BOX, rescale=0),
            ValueError,
            r"add_image_with_boxes\(rescale=...\): expected a finite number > 0",
        ),
        (
            lambda w: w.add_image_with_boxes("b", IMG, BOX, rescale=float("nan")),
            ValueError,
            r"add_image_with_boxes\(rescale=...\)",
        ),
        (
            lambda w: w.add_image_with_boxes("b", IMG, BOX, rescale=0.01),
            ValueError,
            r"add_image_with_boxes\(rescale=...\).*at least 1 pixel",
        ),
        (
            lambda w: w.add_image_with_boxes("b", IMG, BOX, rescale=1000),
            ValueError,
            r"add_image_with_boxes\(rescale=...\).*at most 16,000,000 pixels",
        ),
        (
            lambda w: w.add_image_with_boxes("b", IMG, BOX, 0, None, "HWC"),
            TypeError,
            r"add_image_with_boxes\(rescale=...\).*pass dataformats by keyword",
        ),
        (
            lambda w: w.add_mesh("m", np.zeros((4, 3))),
            ValueError,
            r"add_mesh\(vertices=...\): expected shape \(B, N, 3\)",
        ),
        (
            lambda w: w.add_mesh("m", np.full((1, 2, 3), np.nan)),
            ValueError,
            r"add_mesh\(vertices=...\): expected finite",
        ),
        (
            lambda w: w.add_mesh("m", np.full((1, 2, 3), 1e39)),
            ValueError,
            r"add_mesh\(vertices=...\).*float32's range",
        ),
        (
            lambda w: w.add_mesh("m", VERTICES, faces=[[[0, 1, 4]]]),
            ValueError,
            r"add_mesh\(faces=...\): expected vertex indices in 0..3",
        ),
        (
            lambda w: w.add_mesh("m", VERTICES, faces=[[[-1, 1, 2]]]),
            ValueError,
            r"add_mesh\(faces=...\): expected vertex indices",
        ),
        (
            lambda w: w.add_mesh("m", VERTICES, faces=[[[0, 1, 2.5]]]),
            ValueError,
            r"add_mesh\(faces=...\): expected whole vertex indices",
        ),
        (
            lambda w: w.add_mesh("m", VERTICES, faces=[[[True, False, True]]]),
            TypeError,
            r"add_mesh\(faces=...\): expected integer",
        ),
        (
            lambda w: w.add_mesh("m", VERTICES, faces=np.zeros((2, 1, 3), int)),
            ValueError,
            r"add_mesh\(faces=...\): expected 1 meshes",
        ),
        (
            lambda w: w.add_mesh("m", VERTICES, faces=np.zeros((1, 1, 4), int)),
            ValueError,
            r"add_mesh\(faces=...\): expected shape \(B, F, 3\)",
        ),
        (
            lambda w: w.add_mesh("m", VERTICES, colors=np.zeros((1, 3, 3))),
            ValueError,
            r"add_mesh\(colors=...\): expected one colour per vertex",
        ),
        (
            lambda w: w.add_mesh("m", VERTICES, colors=np.full((1, 4, 3), 300)),
            ValueError,
            r"add_mesh\(colors=...\): expected colours in 0..255",
        ),
        (
            lambda w: w.add_mesh("m", VERTICES, colors=np.full((1, 4, 3), np.nan)),
            ValueError,
            r"add_mesh\(colors=...\).*NaN",
        ),
        (
            lambda w: w.add_mesh("m", VERTICES, config_dict=[1]),
            TypeError,
            r"add_mesh\(config_dict=...\): expected None or a dict",
        ),
        (
            lambda w: w.add_mesh("m", VERTICES, config_dict={"size": float("nan")}),
            TypeError,
            r"add_mesh\(config_dict=...\): expected values JSON can hold",
        ),
        (
            lambda w: w.add_mesh("m", VERTICES, config_dict={"f": object()}),
            TypeError,
            r"add_mesh\(config_dict=...\)",
        ),
        (lambda w: w.add_mesh("m", VERTICES, walltime=float("inf")), ValueError, r"add_mesh\(walltime=...\)"),
    ],
)
def test_bad_input_raises_and_writes_nothing(tmp_path, call, error, message) -> None:
    with SummaryWriter(tmp_path) as writer, pytest.raises(error, match=message):
        call(writer)
    assert list(run_files(str(tmp_path))) == ["."]
    (path,) = run_files(str(tmp_path))["."]
    assert [e.WhichOneof("what") for e in read_events(path)] == ["file_version"]
