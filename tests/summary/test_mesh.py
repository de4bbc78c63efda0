"""summary.mesh: the mesh plugin's three tensors and metadata, as torch writes them, and served by TensorBoard."""

from __future__ import annotations

import json
import os
import urllib.error

import numpy as np
import pytest
from tensorboard.compat.proto.types_pb2 import DT_FLOAT, DT_INT32, DT_UINT8
from tensorboard.plugins.mesh import metadata as reference
from tensorboard.plugins.mesh.plugin_data_pb2 import MeshPluginData
from tensorboard.util.tensor_util import make_ndarray

from neuroboard import SummaryWriter
from neuroboard.summary.mesh import components_mask, json_config, mesh
from tests.tb import accumulator

RNG = np.random.default_rng(3)

VERTICES = np.array([[[1, 1, 1], [-1, -1, 1], [1, -1, -1], [-1, 1, -1]]], dtype=float)
COLORS = np.array([[[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 0, 255]]], dtype=int)
FACES = np.array([[[0, 2, 3], [0, 3, 1], [0, 1, 2], [1, 3, 2]]], dtype=int)
CONFIG = {
    "camera": {"cls": "PerspectiveCamera", "fov": 75},
    "material": {"cls": "PointsMaterial", "size": 0.1},
}


def torch_mesh(*args):
    return pytest.importorskip("torch.utils.tensorboard.summary").mesh(*args)


def cloud(batch: int = 2, count: int = 50) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    vertices = RNG.normal(size=(batch, count, 3))
    faces = RNG.integers(0, count, size=(batch, count // 2, 3))
    colors = RNG.integers(0, 256, size=(batch, count, 3))
    return vertices, colors, faces


@pytest.mark.parametrize("config", [None, CONFIG], ids=["no config", "config"])
@pytest.mark.parametrize(
    "parts", [("colors", "faces"), ("faces",), ("colors",), ()], ids=["all", "faces", "colors", "vertices"]
)
def test_tags_metadata_and_values_are_torchs(parts, config) -> None:
    vertices, colors, faces = cloud()
    colors = colors if "colors" in parts else None
    faces = faces if "faces" in parts else None
    ours = mesh("cloud", vertices, colors, faces, config)
    theirs = torch_mesh("cloud", vertices, colors, faces, config)
    assert [v.tag for v in ours.value] == [v.tag for v in theirs.value]
    for mine, peer in zip(ours.value, theirs.value):
        assert mine.metadata == peer.metadata
        assert np.array_equal(make_ndarray(mine.tensor), make_ndarray(peer.tensor))


def test_the_metadata_says_what_the_plugin_reads() -> None:
    vertices, colors, faces = cloud(batch=3, count=10)
    values = mesh("m", vertices, colors, faces, CONFIG).value
    assert [v.tag for v in values] == ["m_VERTEX", "m_FACE", "m_COLOR"]
    read = [reference.parse_plugin_metadata(v.metadata.plugin_data.content) for v in values]
    assert {v.metadata.plugin_data.plugin_name for v in values} == {"mesh"}
    assert [r.content_type for r in read] == [
        MeshPluginData.VERTEX,
        MeshPluginData.FACE,
        MeshPluginData.COLOR,
    ]
    assert {r.components for r in read} == {0b1110}
    assert [list(r.shape) for r in read] == [[3, 10, 3], [3, 5, 3], [3, 10, 3]]
    assert {r.name for r in read} == {"m"} and {r.version for r in read} == {0}
    assert {r.json_config for r in read} == {json.dumps(CONFIG, sort_keys=True)}


def test_components_match_tensorboards_bitmask() -> None:
    for parts in ([1], [1, 2], [1, 3], [1, 2, 3]):
        assert components_mask(parts) == reference.get_components_bitmask(parts)


def test_json_config_defaults_to_an_empty_object() -> None:
    assert json_config(None) == "{}"
    assert json_config({"b": 1, "a": {"d": 2, "c": 3}}) == '{"a": {"c": 3, "d": 2}, "b": 1}'


def test_tensors_are_stored_in_the_dtypes_the_plugin_serves() -> None:
    vertices, colors, faces = cloud()
    values = mesh("m", vertices, colors, faces).value
    assert [v.tensor.dtype for v in values] == [DT_FLOAT, DT_INT32, DT_UINT8]
    assert [make_ndarray(v.tensor).dtype for v in values] == [np.float32, np.int32, np.uint8]
    assert np.array_equal(make_ndarray(values[0].tensor), vertices.astype(np.float32))
    assert np.array_equal(make_ndarray(values[1].tensor), faces)
    assert np.array_equal(make_ndarray(values[2].tensor), colors)


def test_torch_rounds_a_vertex_index_past_2_to_the_24() -> None:
    # torch stores faces as float32, whose integers stop being exact at 2**24; int32 holds them all.
    faces = np.array([[[0, 1, 2**24 + 1]]])
    stored = make_ndarray(torch_mesh("m", VERTICES, None, faces, None).value[1].tensor)
    assert stored[0, 0, 2] == 2**24


def test_float_colours_are_rounded_and_whole_float_faces_accepted() -> None:
    values = mesh("m", VERTICES, COLORS + 0.4, FACES.astype(float)).value
    assert np.array_equal(make_ndarray(values[2].tensor), COLORS)
    assert np.array_equal(make_ndarray(values[1].tensor), FACES)


def test_colours_in_0_to_1_warn_that_the_plugin_reads_0_to_255() -> None:
    with pytest.warns(UserWarning, match=r"add_mesh\(colors=\.\.\.\): every colour lies in \[0, 1\]"):
        mesh("m", VERTICES, COLORS / 255.0)


def test_torch_tensors_are_accepted() -> None:
    torch = pytest.importorskip("torch")
    vertices = torch.tensor(VERTICES, dtype=torch.float32, requires_grad=True)
    ours = mesh("m", vertices, torch.tensor(COLORS), torch.tensor(FACES, dtype=torch.int32))
    assert ours == mesh("m", VERTICES, COLORS, FACES)


def test_tensorboard_reads_the_same_tensors_as_from_torchs_writer(tmp_path) -> None:
    torch_tensorboard = pytest.importorskip("torch.utils.tensorboard")
    vertices, colors, faces = cloud()
    for root, cls in (("ours", SummaryWriter), ("torch", torch_tensorboard.SummaryWriter)):
        writer = cls(str(tmp_path / root))
        writer.add_mesh("cloud", vertices, colors, faces, CONFIG, global_step=2, walltime=3.0)
        writer.close()
    ours, theirs = (accumulator(tmp_path / root) for root in ("ours", "torch"))
    assert (
        sorted(ours.Tags()["tensors"])
        == sorted(theirs.Tags()["tensors"])
        == [
            "cloud_COLOR",
            "cloud_FACE",
            "cloud_VERTEX",
        ]
    )
    for tag in ("cloud_VERTEX", "cloud_FACE", "cloud_COLOR"):
        (mine,), (peer,) = ours.Tensors(tag), theirs.Tensors(tag)
        assert (mine.step, mine.wall_time) == (peer.step, peer.wall_time) == (2, 3.0)
        assert np.array_equal(make_ndarray(mine.tensor_proto), make_ndarray(peer.tensor_proto))
        assert ours.SummaryMetadata(tag) == theirs.SummaryMetadata(tag)


def test_a_real_tensorboard_serves_the_mesh(tensorboard_server) -> None:
    run = "summary_mesh_served"
    vertices, colors, faces = cloud(batch=2, count=30)
    with SummaryWriter(os.path.join(tensorboard_server.logdir, run)) as writer:
        writer.add_mesh("cloud", vertices, colors, faces, CONFIG, global_step=4, walltime=6.0)

    def tags():
        try:
            return tensorboard_server.get("/data/plugin/mesh/tags").get(run)
        except urllib.error.HTTPError:
            return None

    assert tensorboard_server.wait_for(tags, lambda found: found == {"cloud": {"samples": 2}})
    meshes = tensorboard_server.get("/data/plugin/mesh/meshes", run=run, tag="cloud", sample="0")
    assert sorted((m["content_type"], tuple(m["data_shape"])) for m in meshes) == [
        (1, (2, 30, 3)),
        (2, (2, 15, 3)),
        (3, (2, 30, 3)),
    ]
    assert {(m["step"], m["wall_time"], m["components"], m["config"]) for m in meshes} == {
        (4, 6.0, 14, json.dumps(CONFIG, sort_keys=True))
    }
    for content_type, dtype, expected in (
        ("VERTEX", np.float32, vertices),
        ("FACE", np.int32, faces),
        ("COLOR", np.uint8, colors),
    ):
        data = tensorboard_server.read(
            "/data/plugin/mesh/data", run=run, tag="cloud", sample="1", content_type=content_type, step="4"
        )
        assert np.array_equal(np.frombuffer(data, dtype=dtype), expected[1].astype(dtype).reshape(-1))
