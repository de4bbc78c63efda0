"""The SummaryWriter methods over every summary kind: written, read back, and refused whole."""

from __future__ import annotations

import numpy as np
import pytest

from neuroboard import SummaryWriter
from neuroboard.io.reader import read_events, run_files
from tests.tb import accumulator


def test_every_kind_reads_back(tmp_path) -> None:
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    torch = pytest.importorskip("torch")
    weights = torch.randn(500, requires_grad=True)
    with SummaryWriter(tmp_path) as writer:
        writer.add_histogram("weights", weights, 3)
        writer.add_image("frame", np.random.rand(3, 8, 6), 3)
        writer.add_images("fields", np.random.rand(4, 1, 5, 5), 3)
        writer.add_figure("plot", [plt.figure(), plt.figure()], 3)
        writer.add_text("notes", "**tau** = 10 ms", 3)
        writer.add_audio("tone", np.sin(np.arange(800) / 5.0), 3, sample_rate=8000)
        writer.add_histogram("weights", weights * 2)
    acc = accumulator(tmp_path)
    tags = acc.Tags()
    assert [e.step for e in acc.Histograms("weights")] == [3, 4]
    assert acc.Histograms("weights")[0].histogram_value.num == 500
    (frame,) = acc.Images("frame")
    assert (frame.height, frame.width) == (8, 6)
    assert {"fields", "plot"} <= set(tags["images"])
    assert {"notes/text_summary", "tone"} <= set(tags["tensors"])
    assert plt.get_fignums() == []


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda w: w.add_image("x", np.zeros((4, 5, 6, 7))),
            ValueError,
            r"add_image\(img_tensor=\.\.\.\): expected .*got shape \(4, 5, 6, 7\)",
        ),
        (
            lambda w: w.add_image("x", np.zeros((5, 6)), dataformats="CHW"),
            ValueError,
            r"add_image\(img_tensor=\.\.\.\).*'CHW'",
        ),
        (
            lambda w: w.add_image("x", np.zeros((5, 6)), dataformats="XYZ"),
            ValueError,
            r"add_image\(dataformats=\.\.\.\)",
        ),
        (
            lambda w: w.add_images("x", np.zeros((5, 6)), dataformats="NCHW"),
            ValueError,
            r"add_images\(img_tensor=\.\.\.\)",
        ),
        (
            lambda w: w.add_histogram("x", ["a", "b"]),
            TypeError,
            r"add_histogram\(values=\.\.\.\): expected a numeric array",
        ),
        (
            lambda w: w.add_audio("x", np.array([0.0, 1.5])),
            ValueError,
            r"add_audio\(snd_tensor=\.\.\.\).*\[-1, 1\]",
        ),
        (lambda w: w.add_text("x", 42), TypeError, r"add_text\(text_string=\.\.\.\)"),
        (lambda w: w.add_figure("x", "not a figure"), TypeError, r"add_figure\(figure=\.\.\.\)"),
        (
            lambda w: w.add_hparams({"layers": [1, 2]}),
            TypeError,
            r"add_hparams\(hparam_dict\['layers'\]=\.\.\.\)",
        ),
    ],
)
def test_bad_input_raises_and_writes_nothing(tmp_path, call, error, message) -> None:
    pytest.importorskip("matplotlib")
    with SummaryWriter(tmp_path) as writer:
        with pytest.raises(error, match=message):
            call(writer)
    assert list(run_files(str(tmp_path))) == ["."]
    (path,) = run_files(str(tmp_path))["."]
    assert [e.WhichOneof("what") for e in read_events(path)] == ["file_version"]
