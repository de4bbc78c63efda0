"""summary.image_boxes: boxes and labels drawn as torch draws them, pixel for pixel, and served by TensorBoard."""

from __future__ import annotations

import io
import os

import numpy as np
import pytest
from PIL import Image

from neuroboard import SummaryWriter
from neuroboard.format.codec import Summary
from neuroboard.summary.boxes import BOX_COLOUR, draw_boxes, image_boxes
from neuroboard.summary.image import to_uint8
from tests.tb import accumulator

RNG = np.random.default_rng(5)

BOXES = np.array([[5, 5, 40, 30], [20.5, 10.25, 70.7, 60.1], [-5, 50, 100, 90]])
LABELS = ["cat", "person 0.93", ""]


def pixels_of(summary: Summary) -> np.ndarray:
    (value,) = summary.value
    return np.asarray(Image.open(io.BytesIO(value.image.encoded_image_string)))


def torch_boxes(*args, **kwargs) -> Summary:
    return pytest.importorskip("torch.utils.tensorboard.summary").image_boxes(*args, **kwargs)


@pytest.mark.parametrize("rescale", [1, 0.5, 2.3])
@pytest.mark.parametrize(
    ("shape", "dataformats"),
    [((3, 64, 80), "CHW"), ((1, 64, 80), "CHW"), ((64, 80, 4), "HWC"), ((64, 80), "HW"), ((80, 64), "WH")],
    ids=["rgb", "grey", "rgba", "hw", "wh"],
)
def test_uint8_pixels_equal_torchs(shape, dataformats, rescale) -> None:
    img = RNG.integers(0, 256, size=shape, dtype=np.uint8)
    ours = image_boxes("x", img, BOXES, rescale=rescale, dataformats=dataformats, labels=LABELS)
    theirs = torch_boxes("x", img, BOXES, rescale=rescale, dataformats=dataformats, labels=LABELS)
    assert np.array_equal(pixels_of(ours), pixels_of(theirs))


def test_float_pixels_differ_only_by_torchs_truncation() -> None:
    img = RNG.random((3, 40, 50))
    ours = pixels_of(image_boxes("x", img, BOXES[:2], labels=LABELS[:2]))
    theirs = pixels_of(torch_boxes("x", img, BOXES[:2], labels=LABELS[:2]))
    difference = ours.astype(int) - theirs.astype(int)
    assert set(np.unique(difference)) <= {0, 1}
    # Given our rounded pixels, torch draws exactly our image.
    assert np.array_equal(ours, pixels_of(torch_boxes("x", to_uint8(img), BOXES[:2], labels=LABELS[:2])))


def test_the_image_fields_hold_the_pngs_size_where_torch_holds_the_size_before_rescale() -> None:
    img = np.zeros((3, 20, 30), dtype=np.uint8)
    ours = image_boxes("x", img, BOXES, rescale=0.5).value[0].image
    theirs = torch_boxes("x", img, BOXES, rescale=0.5).value[0].image
    assert (ours.height, ours.width, ours.colorspace) == (10, 15, 3)
    assert (theirs.height, theirs.width, theirs.colorspace) == (20, 30, 3)
    assert pixels_of(image_boxes("x", img, BOXES, rescale=0.5)).shape == (10, 15, 3)
    same = image_boxes("x", img, BOXES).value[0].image
    assert (same.height, same.width) == (torch_boxes("x", img, BOXES).value[0].image.height, 30)


def test_a_box_is_a_red_line_two_pixels_wide() -> None:
    drawn = draw_boxes(np.zeros((20, 20, 3), dtype=np.uint8), np.array([[5, 5, 14, 14]]))
    red = (drawn == BOX_COLOUR).all(axis=2)
    assert red[5, 5:15].all() and red[14, 5:15].all() and red[5:15, 5].all() and red[5:15, 14].all()
    assert not red[7:13, 7:13].any()
    # Pillow centres the width on the path: one more pixel on one side of each edge.
    assert red[4:6, 10].tolist() == [True, True] or red[5:7, 10].tolist() == [True, True]


def test_the_label_sits_inside_the_box_at_its_bottom_left_corner() -> None:
    blank = np.full((60, 60, 3), 255, dtype=np.uint8)
    drawn = draw_boxes(blank, np.array([[10, 5, 55, 50]]), ["dog"])
    plain = draw_boxes(blank, np.array([[10, 5, 55, 50]]))
    changed = np.argwhere((drawn != plain).any(axis=2))
    (top, left), (bottom, right) = changed.min(axis=0), changed.max(axis=0)
    # Column 10 and row 50 are the box's own red line already.
    assert left == 11 and bottom <= 50 and 30 < top and right < 40
    # Red behind black text.
    label = drawn[top : bottom + 1, left : right + 1]
    assert (label == BOX_COLOUR).all(axis=2).any() and (label.max(axis=2) < 60).any()


def test_no_boxes_and_empty_labels_leave_the_image_as_it_is() -> None:
    img = RNG.integers(0, 256, size=(8, 9, 3), dtype=np.uint8)
    assert np.array_equal(pixels_of(image_boxes("x", img, np.zeros((0, 4)), dataformats="HWC")), img)
    assert np.array_equal(pixels_of(image_boxes("x", img, [], dataformats="HWC")), img)
    boxed = image_boxes("x", img, [[1, 1, 5, 5]], dataformats="HWC")
    assert image_boxes("x", img, [[1, 1, 5, 5]], dataformats="HWC", labels=[""]) == boxed


def test_one_label_may_be_a_str() -> None:
    img = np.zeros((3, 30, 40), dtype=np.uint8)
    assert image_boxes("x", img, [[1, 1, 30, 25]], labels="ant") == image_boxes(
        "x", img, [[1, 1, 30, 25]], labels=["ant"]
    )


def test_torch_tensors_are_accepted() -> None:
    torch = pytest.importorskip("torch")
    img = torch.rand(3, 16, 16, requires_grad=True)
    boxes = torch.tensor([[2.0, 2.0, 12.0, 12.0]])
    assert image_boxes("x", img, boxes) == image_boxes("x", img.detach().numpy(), boxes.numpy())


def test_tensorboard_reads_the_same_pixels_as_from_torchs_writer(tmp_path) -> None:
    torch_tensorboard = pytest.importorskip("torch.utils.tensorboard")
    img = RNG.integers(0, 256, size=(3, 48, 64), dtype=np.uint8)
    for root, cls in (("ours", SummaryWriter), ("torch", torch_tensorboard.SummaryWriter)):
        writer = cls(str(tmp_path / root))
        writer.add_image_with_boxes("det", img, BOXES, 4, walltime=9.0, labels=LABELS)
        writer.close()
    (ours,), (theirs,) = (accumulator(tmp_path / root).Images("det") for root in ("ours", "torch"))
    assert (ours.step, ours.wall_time, ours.height, ours.width) == (
        theirs.step,
        theirs.wall_time,
        theirs.height,
        theirs.width,
    )
    decoded = [np.asarray(Image.open(io.BytesIO(e.encoded_image_string))) for e in (ours, theirs)]
    assert np.array_equal(*decoded)


def test_a_real_tensorboard_serves_the_png(tensorboard_server) -> None:
    run = "summary_boxes_served"
    img = RNG.integers(0, 256, size=(3, 40, 50), dtype=np.uint8)
    with SummaryWriter(os.path.join(tensorboard_server.logdir, run)) as writer:
        writer.add_image_with_boxes("det", img, BOXES[:2], 7, labels=LABELS[:2], rescale=2)

    def entries():
        try:
            return tensorboard_server.get("/data/plugin/images/images", run=run, tag="det")
        except OSError:
            return None

    (entry,) = tensorboard_server.wait_for(entries, lambda found: len(found) == 1)
    assert entry["step"] == 7
    served = tensorboard_server.read(f"/data/plugin/images/individualImage?{entry['query']}")
    expected = pixels_of(image_boxes("det", img, BOXES[:2], rescale=2, labels=LABELS[:2]))
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(served))), expected)
    assert expected.shape == (80, 100, 3)
