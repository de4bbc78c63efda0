"""SummaryWriter.add_embedding beside torch's and tensorboardX's, on disk, in memory:// and in TensorBoard."""

from __future__ import annotations

import inspect
import io
import os
import uuid

import fsspec
import numpy as np
import pytest
from google.protobuf import text_format
from PIL import Image
from tensorboard.plugins.projector.projector_config_pb2 import ProjectorConfig

from neuroboard import SummaryWriter, collect_events

torch = pytest.importorskip("torch")
from torch.utils.tensorboard import SummaryWriter as TorchWriter

RNG = np.random.default_rng(9)


def on_grid(shape) -> np.ndarray:
    """Images whose x * 255 lies a quarter above an integer: rounding (ours) and truncation (torch) agree."""
    return ((RNG.integers(0, 255, shape) + 0.25) / 255).astype(np.float32)


def config(logdir) -> ProjectorConfig:
    with open(os.path.join(logdir, "projector_config.pbtxt"), encoding="utf-8") as file:
        return text_format.Parse(file.read(), ProjectorConfig())


def tensors(path) -> np.ndarray:
    return np.loadtxt(path, delimiter="\t", dtype=np.float64, ndmin=2).astype(np.float32)


def pixels(path_or_bytes) -> np.ndarray:
    source = io.BytesIO(path_or_bytes) if isinstance(path_or_bytes, bytes) else path_or_bytes
    return np.asarray(Image.open(source).convert("RGB"))


def listing(root) -> list[str]:
    return sorted(
        os.path.relpath(os.path.join(folder, name), root)
        for folder, _, names in os.walk(root)
        for name in names
    )


POINTS = 30
CALLS = [
    {
        "mat": torch.from_numpy(RNG.standard_normal((POINTS, 8)).astype(np.float32)),
        "metadata": [f"word{i}" for i in range(POINTS)],
        "label_img": torch.from_numpy(on_grid((POINTS, 3, 8, 8))),
        "global_step": 0,
    },
    {
        "mat": RNG.standard_normal((POINTS, 5)),
        "metadata": [(str(i % 3), "train" if i % 2 else "test") for i in range(POINTS)],
        "metadata_header": ["class", "split"],
        # torch takes only tensors here: it calls label_img.size(0).
        "label_img": torch.from_numpy(on_grid((POINTS, 1, 6, 6))),
        "global_step": 5,
        "tag": "layer/1",
    },
    {"mat": RNG.random((POINTS, 3)), "global_step": 12, "tag": "plain"},
    {"mat": RNG.random((POINTS, 3)), "metadata": np.arange(POINTS), "global_step": 12, "tag": "ids"},
]


def write(writer_class, logdir, calls=CALLS) -> None:
    writer = writer_class(logdir)
    for call in calls:
        writer.add_embedding(**call)
    writer.close()


def test_signature_is_the_peers() -> None:
    tensorboardX = pytest.importorskip("tensorboardX")
    ours = inspect.signature(SummaryWriter.add_embedding).parameters
    for peer in (TorchWriter, tensorboardX.SummaryWriter):
        theirs = inspect.signature(peer.add_embedding).parameters
        assert [(p.name, p.default) for p in ours.values()] == [(p.name, p.default) for p in theirs.values()]


def test_same_files_as_torch(tmp_path) -> None:
    ours, theirs = tmp_path / "ours", tmp_path / "torch"
    write(SummaryWriter, ours)
    write(TorchWriter, theirs)
    assert config(ours) == config(theirs)
    assert len(config(ours).embeddings) == len(CALLS)
    assert [p for p in listing(ours) if "tfevents" not in p] == [
        p for p in listing(theirs) if "tfevents" not in p
    ]
    for entry in config(ours).embeddings:
        assert np.array_equal(tensors(ours / entry.tensor_path), tensors(theirs / entry.tensor_path))
        if entry.metadata_path:
            assert (ours / entry.metadata_path).read_bytes() == (theirs / entry.metadata_path).read_bytes()
        if entry.sprite.image_path:
            assert np.array_equal(
                pixels(ours / entry.sprite.image_path), pixels(theirs / entry.sprite.image_path)
            )


def test_same_config_as_tensorboardX(tmp_path) -> None:
    tensorboardX = pytest.importorskip("tensorboardX")
    write(SummaryWriter, tmp_path / "ours")
    write(tensorboardX.SummaryWriter, tmp_path / "tbx")
    assert config(tmp_path / "ours") == config(tmp_path / "tbx")
    for entry in config(tmp_path / "ours").embeddings:
        assert np.array_equal(
            tensors(tmp_path / "ours" / entry.tensor_path), tensors(tmp_path / "tbx" / entry.tensor_path)
        )
        if entry.metadata_path:
            metadata = [(tmp_path / run / entry.metadata_path).read_bytes() for run in ("ours", "tbx")]
            assert metadata[0] == metadata[1]


def test_torchs_own_test_scenario(tmp_path) -> None:
    features = torch.tensor([[1.0, 2.0, 3.0], [5.0, 4.0, 1.0], [3.0, 7.0, 7.0]])
    labels = torch.tensor([33.0, 44.0, 55.0])
    with SummaryWriter(tmp_path) as writer:
        writer.add_embedding(features, metadata=labels, label_img=torch.zeros(3, 3, 5, 5), global_step=2)
        rows = list(zip(labels, ["test"] * 2 + ["train"] * 2))
        with pytest.warns(UserWarning, match="exists: its files are replaced"):
            writer.add_embedding(features, metadata=rows, label_img=torch.zeros(3, 3, 5, 5, dtype=torch.float64),
                                 metadata_header=["digit", "dataset"], global_step=2)  # fmt: skip
    (entry,) = config(tmp_path).embeddings
    assert entry.tensor_name == "default:00002" and list(entry.sprite.single_image_dim) == [5, 5]
    assert (
        tmp_path / entry.metadata_path
    ).read_text() == "digit\tdataset\n33.0\ttest\n44.0\ttest\n55.0\ttrain\n"
    assert (tmp_path / entry.tensor_path).read_text() == "1.0\t2.0\t3.0\n5.0\t4.0\t1.0\n3.0\t7.0\t7.0\n"
    assert pixels(tmp_path / entry.sprite.image_path).shape == (10, 10, 3)


def test_steps_count_up_per_tag_when_left_out(tmp_path) -> None:
    with SummaryWriter(tmp_path) as writer:
        for _ in range(2):
            writer.add_embedding(np.eye(3))
        writer.add_embedding(np.eye(3), tag="other")
        writer.add_embedding(np.eye(3), global_step=10)
        writer.add_embedding(np.eye(3))
    names = [e.tensor_name for e in config(tmp_path).embeddings]
    assert names == ["default:00000", "default:00001", "other:00000", "default:00010", "default:00011"]


def test_a_second_writer_keeps_the_first_ones_embeddings(tmp_path) -> None:
    with SummaryWriter(tmp_path) as writer:
        writer.add_embedding(np.eye(3), global_step=0)
        writer.add_embedding(np.eye(3), global_step=4, tag="t")
    with SummaryWriter(tmp_path) as writer:
        writer.add_embedding(np.eye(3), global_step=1)
        # Without a step, after the last one on disk: the first writer's files are not overwritten.
        writer.add_embedding(np.eye(3), tag="t")
    names = [e.tensor_name for e in config(tmp_path).embeddings]
    assert names == ["default:00000", "t:00004", "default:00001", "t:00005"]


def test_memory_logdir() -> None:
    url = f"memory://projector-{uuid.uuid4().hex}/run"
    with SummaryWriter(url) as writer:
        writer.add_embedding(np.eye(4), metadata=list("abcd"), label_img=np.ones((4, 3, 2, 2)), tag="x")
        writer.add_embedding(np.eye(4), tag="y")
    fs = fsspec.filesystem("memory")
    root = url[len("memory://") :]
    parsed = text_format.Parse(fs.cat_file(f"{root}/projector_config.pbtxt").decode(), ProjectorConfig())
    assert [e.tensor_name for e in parsed.embeddings] == ["x:00000", "y:00000"]
    assert fs.cat_file(f"{root}/00000/x/metadata.tsv") == b"a\nb\nc\nd\n"
    assert fs.cat_file(f"{root}/00000/y/tensors.tsv").startswith(b"1.0\t0.0\t0.0\t0.0\n")
    assert pixels(fs.cat_file(f"{root}/00000/x/sprite.png")).shape == (4, 4, 3)


def test_our_reader_passes_over_the_projector_files(tmp_path) -> None:
    with SummaryWriter(tmp_path) as writer:
        writer.add_scalar("loss", 0.5, 0)
        writer.add_embedding(np.eye(3), metadata=["a", "b", "c"])
    # The projector's files are no events: the run's events are the file version and the scalar.
    assert collect_events(str(tmp_path))["what"].tolist() == ["file_version", "summary"]
    assert collect_events(str(tmp_path), type="summary")["tag"].tolist() == ["loss"]


# -- refusals: each names the call and the argument, and writes nothing --------------------------------

N = 4
REFUSALS = [
    ({"mat": np.zeros(N)}, ValueError, r"add_embedding\(mat=\.\.\.\): expected a 2-D \(N, D\)"),
    ({"mat": np.zeros((0, 3))}, ValueError, r"add_embedding\(mat=\.\.\.\): expected a 2-D"),
    ({"mat": [["a"]]}, TypeError, r"add_embedding\(mat=\.\.\.\): expected a numeric array"),
    ({"metadata": ["a"] * 3}, ValueError, r"add_embedding\(metadata=\.\.\.\): expected 4 labels"),
    ({"metadata": [("a", 1)] * N, "metadata_header": ["x", "y", "z"]}, ValueError, r"add_embedding\(metadata=\.\.\.\): expected rows of 3"),
    ({"metadata": np.zeros((N, 2)), "metadata_header": ["x"]}, ValueError, r"add_embedding\(metadata_header=\.\.\.\): expected 2 names"),
    ({"metadata": ["a"] * N, "metadata_header": "x"}, TypeError, r"add_embedding\(metadata_header=\.\.\.\)"),
    ({"label_img": np.zeros((3, 3, 2, 2))}, ValueError, r"add_embedding\(label_img=\.\.\.\): expected 4 images"),
    ({"label_img": np.zeros((N, 2, 2))}, ValueError, r"add_embedding\(label_img=\.\.\.\): expected \(N, C, H, W\)"),
    ({"tag": ".."}, ValueError, r"add_embedding\(tag=\.\.\.\): expected a relative name inside the logdir"),
    ({"tag": ""}, ValueError, r"add_embedding\(tag=\.\.\.\): expected a non-empty str"),
    ({"tag": None}, TypeError, r"add_embedding\(tag=\.\.\.\): expected a non-empty str"),
    ({"global_step": 1.5}, TypeError, r"add_embedding\(global_step=\.\.\.\): expected an integer step"),
]  # fmt: skip


@pytest.mark.parametrize(("arguments", "error", "message"), REFUSALS)
def test_refused_calls_write_nothing(tmp_path, arguments, error, message) -> None:
    with SummaryWriter(tmp_path) as writer:
        before = listing(tmp_path)
        with pytest.raises(error, match=message):
            writer.add_embedding(**{"mat": np.eye(N), **arguments})
        assert listing(tmp_path) == before


def test_a_file_where_the_folder_goes_is_refused(tmp_path) -> None:
    (tmp_path / "00000").mkdir()
    (tmp_path / "00000" / "default").write_text("")
    with SummaryWriter(tmp_path) as writer:
        before = listing(tmp_path)
        with pytest.raises(NotADirectoryError, match=r"^add_embedding\(tag=\.\.\.\): .*default is a file"):
            writer.add_embedding(np.eye(2))
        assert listing(tmp_path) == before


def test_use_metadata_gives_the_embedding_its_step(tmp_path) -> None:
    with SummaryWriter(tmp_path) as writer, writer.use_metadata(global_step=7):
        writer.add_embedding(np.eye(2), tag="points")
        writer.add_embedding(np.eye(2), tag="points", global_step=9)  # the call's own step wins
    assert sorted(e.tensor_name for e in config(tmp_path).embeddings) == ["points:00007", "points:00009"]
    assert os.path.isdir(tmp_path / "00007" / "points")


def test_a_config_that_cannot_be_read_is_refused(tmp_path) -> None:
    (tmp_path / "projector_config.pbtxt").write_text("not a config")
    with SummaryWriter(tmp_path) as writer:
        before = listing(tmp_path)
        with pytest.raises(
            ValueError, match=r"add_embedding: projector_config.pbtxt .* is not a projector config"
        ):
            writer.add_embedding(np.eye(2))
        assert listing(tmp_path) == before
    assert (tmp_path / "projector_config.pbtxt").read_text() == "not a config"


def test_a_closed_writer_writes_again_as_the_peers(tmp_path) -> None:
    writer = SummaryWriter(tmp_path)
    writer.close()
    writer.add_embedding(np.eye(2), global_step=3)
    writer.close()
    assert (tmp_path / "00003" / "default" / "tensors.tsv").read_text() == "1.0\t0.0\n0.0\t1.0\n"
    assert "00003/default" in (tmp_path / "projector_config.pbtxt").read_text()


def test_write_to_disk_false_writes_nothing_but_checks(tmp_path) -> None:
    logdir = tmp_path / "run"
    with SummaryWriter(logdir, write_to_disk=False) as writer:
        writer.add_embedding(np.eye(2), metadata=["a", "b"])
        with pytest.raises(ValueError, match="metadata"):
            writer.add_embedding(np.eye(2), metadata=["a"])
    assert not logdir.exists()


# -- a real TensorBoard ---------------------------------------------------------------------------------


def test_served_by_the_projector_as_torchs(tensorboard_server, tmp_path) -> None:
    name = uuid.uuid4().hex[:8]
    runs = {"ours": f"projector-{name}-ours", "torch": f"projector-{name}-torch"}
    for writer_class, key in ((SummaryWriter, "ours"), (TorchWriter, "torch")):
        staging = tmp_path / key
        write(writer_class, staging, CALLS[:2])
        # Moved in whole, so that the server never sees the run before its config.
        os.rename(staging, os.path.join(tensorboard_server.logdir, runs[key]))

    def get(route, **query):
        return tensorboard_server.get(f"/data/plugin/projector/{route}", **query)

    def read(route, **query):
        return tensorboard_server.read(f"/data/plugin/projector/{route}", **query)

    tensorboard_server.wait_for(lambda: get("runs"), lambda served: set(runs.values()) <= set(served))
    infos = {key: get("info", run=run) for key, run in runs.items()}
    assert infos["ours"]["embeddings"] == infos["torch"]["embeddings"]
    for entry in infos["ours"]["embeddings"]:
        served = {}
        for key, run in runs.items():
            query = {"run": run, "name": entry["tensorName"]}
            served[key] = (
                np.frombuffer(read("tensor", **query), np.float32),
                read("metadata", **query),
                pixels(read("sprite_image", **query)),
            )
        (values, metadata, sprite), (peer_values, peer_metadata, peer_sprite) = (
            served["ours"],
            served["torch"],
        )
        assert np.array_equal(values, peer_values) and values.size == POINTS * int(entry["tensorShape"][1])
        assert metadata == peer_metadata
        assert np.array_equal(sprite, peer_sprite)
