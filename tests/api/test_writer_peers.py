"""SummaryWriter beside torch's and tensorboardX's: the same calls, read back by TensorBoard, compared.

Each test makes the same calls on the peers' writers and on ours and reads
every run back with TensorBoard's EventAccumulator: tags, steps, values and
metadata must agree, except where docs/from-tensorboardx.md says neuroboard
differs, which the test then shows.
"""

from __future__ import annotations

import inspect
import os

import numpy as np
import pytest
from tensorboard.plugins.custom_scalar import layout_pb2
from tensorboard.plugins.hparams.plugin_data_pb2 import HParamsPluginData
from tensorboard.util import tensor_util

from neuroboard import SummaryWriter, collect_events
from neuroboard.io.reader import read_events, run_files
from neuroboard.summary.image import decode_image
from neuroboard.summary.tensor import tensor_array
from tests.tb import accumulator, multiplexer, scalar_arrays

torch = pytest.importorskip("torch")
torch_tensorboard = pytest.importorskip("torch.utils.tensorboard")
tensorboardX = pytest.importorskip("tensorboardX")

TORCH = torch_tensorboard.SummaryWriter
TBX = tensorboardX.SummaryWriter
WRITERS = {"torch": TORCH, "tensorboardX": TBX, "neuroboard": SummaryWriter}


def written(tmp_path, call, writers=WRITERS) -> dict:
    """Make ``call(writer)`` with each writer into its own logdir; return {name: logdir}."""
    logdirs = {}
    for name, make in writers.items():
        logdir = str(tmp_path / name)
        writer = make(logdir)
        call(writer)
        writer.close()
        logdirs[name] = logdir
    return logdirs


def _only_file_version(logdir) -> bool:
    return all(
        [e.WhichOneof("what") for e in read_events(path)] == ["file_version"]
        for paths in run_files(str(logdir)).values()
        for path in paths
    )


# -- signatures ----------------------------------------------------------------------------------------------

# SummaryWriter's own signatures: tests/api/test_peer_signatures.py.


def _compatible(ours: inspect.Signature, peer: inspect.Signature) -> list[str]:
    """Return how ``ours`` fails to take every call ``peer`` takes: same names, order, kinds, defaults."""
    problems = []
    mine = list(ours.parameters.values())
    for index, theirs in enumerate(peer.parameters.values()):
        if theirs.kind is inspect.Parameter.VAR_KEYWORD:
            if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in mine):
                problems.append("no **kwargs")
            continue
        if index >= len(mine) or mine[index].name != theirs.name:
            problems.append(f"parameter {index} is not {theirs.name}")
            continue
        if mine[index].kind is not theirs.kind:
            problems.append(f"{theirs.name} is {mine[index].kind}")
        if mine[index].default != theirs.default:
            problems.append(f"{theirs.name} defaults to {mine[index].default!r}")
    return problems


def test_file_writer_has_the_peers_file_writer_methods(tmp_path) -> None:
    from tensorboardX.writer import FileWriter as TbxFileWriter
    from torch.utils.tensorboard.writer import FileWriter as TorchFileWriter

    with SummaryWriter(tmp_path) as writer:
        ours = type(writer.file_writer)
    for peer in (TorchFileWriter, TbxFileWriter):
        for name in ("add_event", "add_summary", "add_graph", "add_onnx_graph", "flush", "close", "reopen"):
            assert (
                _compatible(inspect.signature(getattr(ours, name)), inspect.signature(getattr(peer, name)))
                == []
            )
    assert (
        _compatible(inspect.signature(ours.use_metadata), inspect.signature(TbxFileWriter.use_metadata)) == []
    )


# -- add_scalar ----------------------------------------------------------------------------------------------


def test_add_scalar_takes_one_element_arrays_and_tensors(tmp_path) -> None:
    values = [torch.tensor([0.25]), np.array([0.5]), torch.tensor([[0.75]]), np.array([[[2]]], np.int32)]
    values.append(torch.autograd.Variable(torch.tensor([1.5])))
    # tensorboardX cannot convert a bfloat16 tensor (TypeError from .numpy()): torch and ours only.
    bfloat16 = torch.tensor([3.0], dtype=torch.bfloat16, requires_grad=True)

    def call(writer):
        for step, value in enumerate(values):
            writer.add_scalar("x", value, step)
        if not isinstance(writer, TBX):
            writer.add_scalar("bf16", bfloat16, 0)

    logdirs = written(tmp_path, call)
    got = {name: scalar_arrays(accumulator(logdir), "x") for name, logdir in logdirs.items()}
    assert got["neuroboard"][1].tolist() == [0.25, 0.5, 0.75, 2.0, 1.5]
    for name in ("torch", "tensorboardX"):
        assert got[name][0].tolist() == got["neuroboard"][0].tolist()
        assert got[name][1].tolist() == got["neuroboard"][1].tolist()
    for name in ("torch", "neuroboard"):
        assert scalar_arrays(accumulator(logdirs[name]), "bf16")[1].tolist() == [3.0]


@pytest.mark.parametrize("value", [np.ones(3), torch.ones(2, 1), np.zeros((0,))])
def test_add_scalar_refuses_more_or_fewer_elements_like_the_peers(tmp_path, value) -> None:
    for peer in (TORCH, TBX):
        with pytest.raises(AssertionError), peer(str(tmp_path / "peer")) as writer:
            writer.add_scalar("x", value, 0)
    writer = SummaryWriter(tmp_path / "ours")
    with pytest.raises(
        ValueError, match=r"^add_scalar\(scalar_value=\.\.\.\): expected a real scalar \(one element\)"
    ):
        writer.add_scalar("x", value, 0)
    writer.close()
    assert _only_file_version(tmp_path / "ours")


def test_display_name_and_description_as_tensorboardx_writes_them(tmp_path) -> None:
    def call(writer):
        writer.add_scalar("loss", 0.5, 1, display_name="Loss", summary_description="the *mean* loss")
        writer.add_scalar("loss", 0.25, 2)

    logdirs = written(tmp_path, call, {"tensorboardX": TBX, "neuroboard": SummaryWriter})
    accs = {name: accumulator(logdir) for name, logdir in logdirs.items()}
    for acc in accs.values():
        assert [(e.step, e.value) for e in acc.Scalars("loss")] == [(1, 0.5), (2, 0.25)]
        metadata = acc.SummaryMetadata("loss")
        assert (metadata.display_name, metadata.summary_description) == ("Loss", "the *mean* loss")
    # tensorboardX names no plugin (TensorBoard warns); ours names the scalars plugin.
    assert accs["neuroboard"].SummaryMetadata("loss").plugin_data.plugin_name == "scalars"
    assert accs["tensorboardX"].SummaryMetadata("loss").plugin_data.plugin_name == ""


def test_torch_positional_order_stays_and_display_name_is_a_keyword(tmp_path) -> None:
    with SummaryWriter(tmp_path) as writer:
        writer.add_scalar("t", 0.1, 0, 1.0, True, False)  # torch's new_style, double_precision
        writer.add_scalar("d", 0.1, 0, 1.0, True, True, display_name="D")
        with pytest.raises(
            TypeError, match=r"^add_scalar\(new_style=\.\.\.\): expected True or False, got str 'T'"
        ):
            writer.add_scalar("t", 0.1, 0, 1.0, "T")  # tensorboardX's positional display_name
        with pytest.raises(TypeError, match=r"add_scalar\(display_name=\.\.\.\): expected a str"):
            writer.add_scalar("t", 0.1, 1, display_name=3)
    acc = accumulator(tmp_path)
    assert tensor_util.make_ndarray(acc.Tensors("t")[0].tensor_proto).dtype == np.float32
    assert acc.Tensors("t")[0].step == 0 and len(acc.Tensors("t")) == 1
    assert tensor_util.make_ndarray(acc.Tensors("d")[0].tensor_proto).item() == 0.1
    assert acc.SummaryMetadata("d").display_name == "D"


def test_a_step_left_out_counts_on_where_the_peers_write_zero(tmp_path) -> None:
    def call(writer):
        for value in (1.0, 2.0, 3.0):
            writer.add_scalar("x", value)

    logdirs = written(tmp_path, call)
    steps = {name: scalar_arrays(accumulator(logdir), "x")[0].tolist() for name, logdir in logdirs.items()}
    assert steps == {"torch": [0, 0, 0], "tensorboardX": [0, 0, 0], "neuroboard": [0, 1, 2]}


# -- text --------------------------------------------------------------------------------------------------


def test_add_text_writes_the_peers_tag_and_plugin(tmp_path) -> None:
    notes = ["**tau** = 10 ms", "a|b\n-|-\nc|d", "ünïcode"]

    def call(writer):
        for step, note in enumerate(notes):
            writer.add_text("notes", note, step)

    logdirs = written(tmp_path, call)
    for name, logdir in logdirs.items():
        acc = accumulator(logdir)
        assert acc.Tags()["tensors"] == ["notes/text_summary"], name
        events = acc.Tensors("notes/text_summary")
        assert [e.step for e in events] == [0, 1, 2]
        strings = [tensor_util.make_ndarray(e.tensor_proto).reshape(-1)[0].decode() for e in events]
        assert strings == notes
        metadata = acc.SummaryMetadata("notes/text_summary")
        assert metadata.plugin_data.plugin_name == "text"
        assert metadata.plugin_data.content == b""  # TextPluginData(version=0)
    # The peers' text is a (1,) table of one cell; ours a 0-d string, which TensorBoard shows as plain Markdown.
    peer = accumulator(logdirs["torch"]).Tensors("notes/text_summary")[0].tensor_proto
    ours = accumulator(logdirs["neuroboard"]).Tensors("notes/text_summary")[0].tensor_proto
    assert [d.size for d in peer.tensor_shape.dim] == [1] and list(ours.tensor_shape.dim) == []
    frame = collect_events(logdirs["neuroboard"], type="summary")
    assert frame["tag"].tolist() == ["notes/text_summary"] * 3
    assert frame["plugin"].tolist() == ["text"] * 3


def test_add_text_tag_is_served_by_the_text_plugin(tensorboard_server) -> None:
    run = "text_tag"
    with SummaryWriter(os.path.join(tensorboard_server.logdir, run)) as writer:
        writer.add_text("notes", "**bold**", 0)
    tags = tensorboard_server.wait_for(
        lambda: tensorboard_server.get("/data/plugin/text/tags"), lambda tags: run in tags
    )
    assert tags[run] == ["notes/text_summary"]
    (entry,) = tensorboard_server.get("/data/plugin/text/text", run=run, tag="notes/text_summary")
    assert "<strong>bold</strong>" in entry["text"]


# -- add_tensor -----------------------------------------------------------------------------------------------

SAME_AS_TORCH = [torch.float32, torch.float64, torch.int8, torch.int16, torch.int32, torch.int64, torch.bool]


def test_add_tensor_reads_back_as_torch_writes_it(tmp_path) -> None:
    tensors = {str(dtype): (torch.arange(12).reshape(3, 4) % 5).to(dtype) for dtype in SAME_AS_TORCH}
    tensors["complex64"] = torch.tensor([[1 + 2j, -3j]], dtype=torch.complex64)
    tensors["scalar"] = torch.tensor(2.5)

    def call(writer):
        for step, (tag, tensor) in enumerate(tensors.items()):
            writer.add_tensor(tag, tensor, step, walltime=100.0 + step)

    logdirs = written(tmp_path, call, {"torch": TORCH, "neuroboard": SummaryWriter})
    peer, ours = accumulator(logdirs["torch"]), accumulator(logdirs["neuroboard"])
    assert sorted(ours.Tags()["tensors"]) == sorted(peer.Tags()["tensors"]) == sorted(tensors)
    for tag in tensors:
        (theirs,), (mine,) = peer.Tensors(tag), ours.Tensors(tag)
        assert (mine.step, mine.wall_time) == (theirs.step, theirs.wall_time)
        assert mine.tensor_proto.dtype == theirs.tensor_proto.dtype
        expected, got = (
            tensor_util.make_ndarray(theirs.tensor_proto),
            tensor_util.make_ndarray(mine.tensor_proto),
        )
        assert got.dtype == expected.dtype and got.shape == expected.shape
        np.testing.assert_array_equal(got, expected)
        assert ours.SummaryMetadata(tag) == peer.SummaryMetadata(tag)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.uint8])
def test_add_tensor_keeps_what_torch_loses(tmp_path, dtype) -> None:
    tensor = torch.tensor([[1.5, 2.0], [250.0, 3.0]]).to(dtype)
    logdirs = written(
        tmp_path, lambda w: w.add_tensor("t", tensor, 0), {"torch": TORCH, "neuroboard": SummaryWriter}
    )
    (theirs,) = accumulator(logdirs["torch"]).Tensors("t")
    # torch writes float16 and bfloat16 as float32 bit patterns, and uint8 in a field no reader looks at.
    try:
        lost = not np.array_equal(tensor_array(theirs.tensor_proto, "test"), tensor.float().numpy())
    except ValueError:
        lost = True
    assert lost
    (mine,) = accumulator(logdirs["neuroboard"]).Tensors("t")
    assert mine.tensor_proto.dtype == theirs.tensor_proto.dtype
    np.testing.assert_array_equal(tensor_array(mine.tensor_proto, "test"), tensor.float().numpy())
    (value,) = collect_events(logdirs["neuroboard"], type="summary")["summary"]
    np.testing.assert_array_equal(value.value(), tensor.float().numpy())


def test_add_tensor_takes_numpy_arrays(tmp_path) -> None:
    array = np.arange(6, dtype=np.uint16).reshape(2, 3)
    with SummaryWriter(tmp_path) as writer:
        writer.add_tensor("u16", array, 0)
        writer.add_tensor("list", [[1.0, 2.0]])
    acc = accumulator(tmp_path)
    np.testing.assert_array_equal(tensor_util.make_ndarray(acc.Tensors("u16")[0].tensor_proto), array)
    assert tensor_util.make_ndarray(acc.Tensors("list")[0].tensor_proto).tolist() == [[1.0, 2.0]]


@pytest.mark.parametrize(
    ("tensor", "error", "message"),
    [
        (
            np.array(["a"]),
            TypeError,
            r"add_tensor\(tensor=\.\.\.\): expected bool, integer, float or complex",
        ),
        (object(), TypeError, r"add_tensor\(tensor=\.\.\.\): expected"),
        (
            torch.zeros(2, dtype=torch.float8_e4m3fn),
            TypeError,
            r"add_tensor\(tensor=\.\.\.\): expected a tensor",
        ),
    ],
)
def test_add_tensor_refuses_what_has_no_tensorboard_dtype(tmp_path, tensor, error, message) -> None:
    writer = SummaryWriter(tmp_path)
    with pytest.raises(error, match=message):
        writer.add_tensor("t", tensor, 0)
    writer.close()
    assert _only_file_version(tmp_path)


# -- custom scalars -----------------------------------------------------------------------------------------


def _layout(logdir) -> layout_pb2.Layout:
    events = accumulator(logdir).Tensors("custom_scalars__config__")
    return layout_pb2.Layout.FromString(tensor_util.make_ndarray(events[-1].tensor_proto).item())


def test_chart_helpers_write_the_peers_layout(tmp_path) -> None:
    for helper, tags in (
        ("add_custom_scalars_multilinechart", ["loss/train", "loss/val"]),
        ("add_custom_scalars_marginchart", ["rate", "rate/low", "rate/high"]),
    ):
        logdirs = written(
            tmp_path / helper, lambda w, helper=helper, tags=tags: getattr(w, helper)(tags, title="chart")
        )
        layouts = {name: _layout(logdir) for name, logdir in logdirs.items()}
        assert layouts["neuroboard"] == layouts["torch"] == layouts["tensorboardX"]
        assert layouts["neuroboard"].category[0].title == "default"


def test_chart_helpers_add_to_the_layout_where_the_peers_replace_it(tmp_path) -> None:
    def call(writer):
        writer.add_custom_scalars_multilinechart(["a"], title="first")
        writer.add_custom_scalars_marginchart(["v", "lo", "hi"], category="other", title="second")

    logdirs = written(tmp_path, call, {"torch": TORCH, "neuroboard": SummaryWriter})
    titles = {
        name: [(c.title, [chart.title for chart in c.chart]) for c in _layout(logdir).category]
        for name, logdir in logdirs.items()
    }
    assert titles["torch"] == [("other", ["second"])]
    assert titles["neuroboard"] == [("default", ["first"]), ("other", ["second"])]


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda w: w.add_custom_scalars_marginchart(["a", "b"]),
            ValueError,
            r"^add_custom_scalars_marginchart\(tags=\.\.\.\): expected 3 tags \[value, lower, upper\], got \['a', 'b'\]",
        ),
        (
            lambda w: w.add_custom_scalars_multilinechart("loss"),
            TypeError,
            r"^add_custom_scalars_multilinechart\(tags=\.\.\.\): expected a list of tags, got str",
        ),
        (
            lambda w: w.add_custom_scalars_multilinechart(["a", 1]),
            TypeError,
            r"^add_custom_scalars_multilinechart\(tags=\.\.\.\): expected a non-empty str, got int",
        ),
        (
            lambda w: w.add_custom_scalars_multilinechart(["a"], category=""),
            ValueError,
            r"^add_custom_scalars_multilinechart\(layout category=\.\.\.\)",
        ),
    ],
)
def test_chart_helpers_refuse_bad_tags(tmp_path, call, error, message) -> None:
    writer = SummaryWriter(tmp_path)
    with pytest.raises(error, match=message):
        call(writer)
    writer.close()
    assert _only_file_version(tmp_path)


def test_margin_chart_is_served(tensorboard_server) -> None:
    run = "margin"
    with SummaryWriter(os.path.join(tensorboard_server.logdir, run)) as writer:
        for step in range(3):
            writer.add_scalar("rate", 1.0 + step, step)
            writer.add_scalar("rate/low", 0.5 + step, step)
            writer.add_scalar("rate/high", 1.5 + step, step)
        writer.add_custom_scalars_marginchart(["rate", "rate/low", "rate/high"], "neurons", "rate band")

    def margins(layout) -> dict:
        return {
            chart["title"]: chart["margin"]["series"]
            for category in layout.get("category", [])
            for chart in category["chart"]
            if "margin" in chart
        }

    layout = tensorboard_server.wait_for(
        lambda: tensorboard_server.get("/data/plugin/custom_scalars/layout"),
        lambda layout: "rate band" in margins(layout),
    )
    assert margins(layout)["rate band"] == [{"value": "rate", "lower": "rate/low", "upper": "rate/high"}]


# -- images ---------------------------------------------------------------------------------------------------


def _pixels(logdir, tag) -> np.ndarray:
    (event,) = accumulator(logdir).Images(tag)
    return decode_image(event.encoded_image_string)


def test_img_tensor_keyword_and_the_old_names(tmp_path) -> None:
    # uint8: the peers truncate floats to pixels where neuroboard rounds them.
    rng = np.random.default_rng(1)
    one = rng.integers(0, 256, (3, 6, 5), dtype=np.uint8)
    logdirs = written(tmp_path, lambda w: w.add_image("one", img_tensor=one, global_step=0))
    with SummaryWriter(tmp_path / "old") as writer:
        writer.add_image("one", img=one, global_step=0)
        writer.add_images("batch", imgs=one[None], global_step=0)
        writer.add_images("batch2", img_tensor=one[None], global_step=0)
    expected = _pixels(logdirs["torch"], "one")
    np.testing.assert_array_equal(expected, one.transpose(1, 2, 0))
    for logdir, tag in [
        (logdirs["tensorboardX"], "one"),
        (logdirs["neuroboard"], "one"),
        (tmp_path / "old", "one"),
        (tmp_path / "old", "batch"),
        (tmp_path / "old", "batch2"),
    ]:
        np.testing.assert_array_equal(_pixels(logdir, tag), expected)


def test_both_names_of_one_argument_are_refused(tmp_path) -> None:
    writer = SummaryWriter(tmp_path)
    with pytest.raises(TypeError, match=r"add_image\(\) got img_tensor= and img=, two names of one argument"):
        writer.add_image("x", img=np.zeros((1, 2, 2)), img_tensor=np.zeros((1, 2, 2)))
    with pytest.raises(TypeError, match=r"add_hparams\(\) got run_name= and name="):
        writer.add_hparams({"lr": 0.1}, {}, run_name="a", name="b")
    writer.close()
    assert _only_file_version(tmp_path)


def _tiles(grid: np.ndarray, count: int, width: int, gap: int) -> list[np.ndarray]:
    return [grid[:, i * (width + gap) : i * (width + gap) + width] for i in range(count)]


def test_add_images_takes_a_list_of_images_as_tensorboardx_does(tmp_path) -> None:
    rng = np.random.default_rng(2)
    chw = [rng.integers(0, 256, (3, 10, 11), dtype=np.uint8) for _ in range(5)]
    hwc = [torch.randint(0, 256, (10, 11, 3), dtype=torch.uint8) for _ in range(3)]

    def call(writer):
        writer.add_images("chw", chw, 0, dataformats="CHW")
        writer.add_images("hwc", hwc, 0, dataformats="HWC")

    logdirs = written(tmp_path, call, {"tensorboardX": TBX, "neuroboard": SummaryWriter})
    for tag, images, hwc_images in (("chw", chw, [i.transpose(1, 2, 0) for i in chw]), ("hwc", hwc, hwc)):
        count = len(images)
        # The peers butt the tiles together; neuroboard's grid leaves 2 black pixels between them.
        theirs = _tiles(_pixels(logdirs["tensorboardX"], tag), count, 11, 0)
        ours = _tiles(_pixels(logdirs["neuroboard"], tag), count, 11, 2)
        for mine, peer, image in zip(ours, theirs, hwc_images):
            np.testing.assert_array_equal(mine, peer)
            np.testing.assert_array_equal(mine, np.asarray(image))


def test_a_list_of_images_of_several_shapes_is_refused(tmp_path) -> None:
    writer = SummaryWriter(tmp_path)
    with pytest.raises(ValueError, match=r"^add_images\(img_tensor=\.\.\.\): expected images of one shape"):
        writer.add_images("x", [np.zeros((3, 4, 4)), np.zeros((3, 5, 5))], 0, dataformats="CHW")
    writer.close()
    assert _only_file_version(tmp_path)


# -- hparams ---------------------------------------------------------------------------------------------------


def _hparams_runs(logdir) -> dict[str, dict]:
    """Return {run: {hparam: value}} of each run holding a session start, as TensorBoard reads them."""
    mux = multiplexer(logdir)
    found = {}
    for run, content in mux.PluginRunToTagToContent("hparams").items():
        for tag, data in content.items():
            if tag == "_hparams_/session_start_info":
                start = HParamsPluginData.FromString(data).session_start_info
                found[run] = {name: getattr(v, v.WhichOneof("kind")) for name, v in start.hparams.items()}
    return found


def test_tensorboardx_name_keyword_names_the_run(tmp_path) -> None:
    def call(writer):
        for trial, lr in enumerate((0.1, 0.01)):
            writer.add_hparams({"lr": lr, "bn": True}, {"accuracy": 0.5 + trial}, name=f"trial{trial}")

    logdirs = written(tmp_path, call, {"tensorboardX": TBX, "neuroboard": SummaryWriter})
    runs = {name: _hparams_runs(logdir) for name, logdir in logdirs.items()}
    assert (
        runs["neuroboard"]
        == runs["tensorboardX"]
        == {
            "trial0": {"lr": 0.1, "bn": True},
            "trial1": {"lr": 0.01, "bn": True},
        }
    )
    for name, logdir in logdirs.items():
        assert [e.value for e in accumulator(os.path.join(logdir, "trial1")).Scalars("accuracy")] == [1.5], (
            name
        )


def test_a_run_name_in_torchs_domain_position_says_where_it_goes(tmp_path) -> None:
    writer = SummaryWriter(tmp_path)
    with pytest.raises(
        TypeError,
        match=r"hparam_domain_discrete=\.\.\.\): .*got str \(a run name goes in run_name= or name=\)",
    ):
        writer.add_hparams({"lr": 0.1}, {}, "trial1")
    writer.close()
    assert _only_file_version(tmp_path)


def test_tensorboardx_summaries_go_through_add_summary(tmp_path) -> None:
    from tensorboardX.summary import scalar as tbx_scalar

    with SummaryWriter(tmp_path) as writer:
        writer.add_summary(tbx_scalar("loss", 0.5), 3)
        writer.file_writer.add_summary(tbx_scalar("loss", 0.25), 4)
        with pytest.raises(
            TypeError, match=r"^add_summary\(summary=\.\.\.\): expected a Summary proto, got dict"
        ):
            writer.add_summary({"loss": 1.0}, 5)
    assert [(e.step, e.value) for e in accumulator(tmp_path).Scalars("loss")] == [(3, 0.5), (4, 0.25)]


def test_a_bfloat16_scalar_keeps_its_value_where_torch_makes_it_inf(tmp_path) -> None:
    big = torch.tensor(1e10, dtype=torch.bfloat16)
    logdirs = written(
        tmp_path, lambda w: w.add_scalar("x", big, 0), {"torch": TORCH, "neuroboard": SummaryWriter}
    )
    assert scalar_arrays(accumulator(logdirs["torch"]), "x")[1].tolist() == [float("inf")]
    assert scalar_arrays(accumulator(logdirs["neuroboard"]), "x")[1].tolist() == [big.item()]


def test_export_scalars_to_json_into_a_folder_names_the_call(tmp_path) -> None:
    with SummaryWriter(tmp_path / "run") as writer:
        writer.add_scalar("a", 1.0, 0)
        with pytest.raises(IsADirectoryError, match=r"export_scalars_to_json\(path=\.\.\.\): cannot write"):
            writer.export_scalars_to_json(tmp_path)
