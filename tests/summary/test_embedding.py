"""summary.embedding: the projector's files, compared with the ones torch's own helpers write."""

from __future__ import annotations

import io

import numpy as np
import pytest
from google.protobuf import text_format
from PIL import Image
from tensorboard.plugins.projector.projector_config_pb2 import EmbeddingInfo, ProjectorConfig

from neuroboard.summary.embedding import (
    Embedding,
    check_tag,
    embedding,
    embedding_folder,
    metadata_tsv,
    projector_config,
    sprite_png,
    tensor_name,
    tensors_tsv,
)

torch = pytest.importorskip("torch")
from torch.utils.tensorboard import _embedding as torch_embedding
from torch.utils.tensorboard.writer import SummaryWriter as TorchWriter

RNG = np.random.default_rng(5)


def rgb(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def torch_metadata(tmp_path, metadata, header=None) -> bytes:
    torch_embedding.make_tsv(metadata, str(tmp_path), metadata_header=header)
    return (tmp_path / "metadata.tsv").read_bytes()


def torch_sprite(tmp_path, images) -> np.ndarray:
    torch_embedding.make_sprite(torch.as_tensor(images), str(tmp_path))
    return rgb((tmp_path / "sprite.png").read_bytes())


# -- names ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("tag", ["default", "layer/1", "50% of a\\b", "ünï"])
@pytest.mark.parametrize("step", [0, 2, 123456, -3])
def test_folder_and_name_as_torch_makes_them(tag, step) -> None:
    assert embedding_folder(tag, step) == f"{str(step).zfill(5)}/{TorchWriter._encode(tag)}"
    assert tensor_name(tag, step) == f"{tag}:{str(step).zfill(5)}"


@pytest.mark.parametrize("tag", ["..", ".", "a\0b", "", "x" * 256, "\u00e9" * 128])
def test_tags_whose_folder_would_leave_the_logdir_are_refused(tag) -> None:
    with pytest.raises(ValueError, match=r"add_embedding\(tag=\.\.\.\)"):
        check_tag(tag, "add_embedding")


def test_a_tag_must_be_a_str() -> None:
    with pytest.raises(TypeError, match=r"add_embedding\(tag=\.\.\.\): expected a non-empty str"):
        check_tag(3, "add_embedding")


# -- tensors.tsv ---------------------------------------------------------------------------------------


def test_tensors_read_back_as_the_float32_torch_writes(tmp_path) -> None:
    matrix = RNG.standard_normal((40, 9))
    torch_embedding.make_mat(matrix, str(tmp_path))
    theirs = np.loadtxt(tmp_path / "tensors.tsv", delimiter="\t", dtype=np.float64).astype(np.float32)
    ours = np.loadtxt(io.BytesIO(tensors_tsv(matrix)), delimiter="\t", dtype=np.float64).astype(np.float32)
    assert (ours == theirs).all() and (ours == matrix.astype(np.float32)).all()


def test_tensors_of_any_numeric_type() -> None:
    assert tensors_tsv(np.array([[True, False]])) == b"1.0\t0.0\n"
    assert tensors_tsv(torch.tensor([[1, 2]], dtype=torch.int64)) == b"1.0\t2.0\n"
    assert tensors_tsv(torch.tensor([[0.5, 3.0]], dtype=torch.bfloat16, requires_grad=True)) == b"0.5\t3.0\n"


@pytest.mark.parametrize("shape", [(3,), (2, 3, 4), (0, 3), (3, 0)])
def test_tensors_must_be_a_non_empty_matrix(shape) -> None:
    with pytest.raises(ValueError, match=r"add_embedding\(mat=\.\.\.\): expected a 2-D \(N, D\)"):
        tensors_tsv(np.zeros(shape), func="add_embedding")


def test_tensors_must_be_numbers() -> None:
    with pytest.raises(TypeError, match=r"add_embedding\(mat=\.\.\.\): expected a numeric array"):
        tensors_tsv(np.array([["a", "b"]]), func="add_embedding")


# -- metadata.tsv --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("metadata", "header"),
    [
        (["cat", "dog", "emu"], None),
        ([1, 2.5, True], None),
        (np.array([33.0, 44.0, 55.5], np.float32), None),
        (np.array([3, 1, 2]), None),
        ([("3", "train"), ("5", "test"), ("1", "test")], ["digit", "split"]),
        ([[0, 1], [2, 3], [4, 5]], ["a", "b"]),
    ],
    ids=["str", "python-numbers", "float32", "int64", "rows", "lists"],
)
def test_metadata_text_as_torch_writes_it(tmp_path, metadata, header) -> None:
    assert metadata_tsv(metadata, 3, header) == torch_metadata(tmp_path, metadata, header)


def test_a_2d_array_with_a_header_is_written_as_its_rows() -> None:
    # torch's make_tsv fails here: [header] + array adds the header to the array.
    rows = metadata_tsv(np.arange(6).reshape(3, 2), 3, ["a", "b"])
    assert rows == metadata_tsv([[0, 1], [2, 3], [4, 5]], 3, ["a", "b"]) == b"a\tb\n0\t1\n2\t3\n4\t5\n"


def test_tensor_labels_are_written_as_numbers_not_as_tensor_reprs(tmp_path) -> None:
    labels = torch.tensor([33.0, 44.0, 55.0])
    # torch's test passes 3 rows: zip stops at the shorter list.
    rows = list(zip(labels, ["test"] * 2 + ["train"] * 2))
    assert metadata_tsv(labels, 3) == b"33.0\n44.0\n55.0\n"
    assert (
        metadata_tsv(rows, 3, ["digit", "dataset"])
        == b"digit\tdataset\n33.0\ttest\n44.0\ttest\n55.0\ttrain\n"
    )
    assert torch_metadata(tmp_path, labels) == b"tensor(33.)\ntensor(44.)\ntensor(55.)\n"
    assert metadata_tsv(torch.tensor([[1, 2], [3, 4]]), 2, ["a", "b"]) == b"a\tb\n1\t2\n3\t4\n"


def test_a_list_of_0d_tensors_is_one_label_each(recwarn) -> None:
    assert metadata_tsv(list(torch.tensor([7, 8])), 2) == b"7\n8\n"
    assert metadata_tsv(torch.tensor([[7], [8]]), 2) == b"7\n8\n"
    assert not recwarn.list


def test_tabs_and_line_breaks_in_labels_become_spaces() -> None:
    assert metadata_tsv(["a\tb", "c\nd", "e\r\nf"], 3) == b"a b\nc d\ne  f\n"


def test_one_column_has_no_header_line() -> None:
    with pytest.warns(UserWarning, match="one column has no header line"):
        assert metadata_tsv([("a",), ("b",)], 2, ["name"]) == b"a\nb\n"
    assert metadata_tsv(["a", "b"], 2, []) == b"a\nb\n"


def test_rows_without_a_header_are_one_label_each_with_a_warning() -> None:
    with pytest.warns(UserWarning, match="pass metadata_header"):
        assert metadata_tsv([(1, "x"), (2, "y")], 2) == b"(1, 'x')\n(2, 'y')\n"


@pytest.mark.parametrize(
    ("metadata", "header", "error", "message"),
    [
        (["a", "b"], None, ValueError, r"metadata=\.\.\.\): expected 3 labels, one per row of mat, got 2"),
        (
            [("a", 1)] * 3,
            ["x"],
            ValueError,
            r"metadata=\.\.\.\): expected rows of 1 values.*got 2 values in row 0",
        ),
        (
            [("a", 1), ("b", 2), "c"],
            ["x", "y"],
            ValueError,
            r"metadata=\.\.\.\): expected rows of 2 .*got str in row 2",
        ),
        (np.zeros((3, 2)), ["x"], ValueError, r"metadata_header=\.\.\.\): expected 2 names"),
        (np.zeros((3, 2, 2)), None, ValueError, r"metadata=\.\.\.\): expected N labels or \(N, K\) rows"),
        ("abc", None, TypeError, r"metadata=\.\.\.\): expected a list, array or tensor"),
        (["a", "b", "c"], "name", TypeError, r"metadata_header=\.\.\.\): expected a list of column names"),
    ],
)
def test_metadata_refusals_name_the_argument(metadata, header, error, message) -> None:
    with pytest.raises(error, match=r"add_embedding\(" + message):
        metadata_tsv(metadata, 3, header, func="add_embedding")


# -- sprite.png ----------------------------------------------------------------------------------------


def on_grid(shape) -> np.ndarray:
    """Images whose x * 255 lies a quarter above an integer: rounding (ours) and truncation (torch) agree."""
    return ((RNG.integers(0, 255, shape) + 0.25) / 255).astype(np.float32)


@pytest.mark.parametrize("shape", [(3, 3, 5, 5), (10, 1, 4, 4), (17, 3, 6, 6), (7, 3, 3, 8), (1, 3, 2, 2)])
def test_sprite_pixels_as_torch_lays_them_out(tmp_path, shape) -> None:
    images = on_grid(shape)
    png, size = sprite_png(images, shape[0])
    assert size == (shape[3], shape[2])
    assert np.array_equal(rgb(png), torch_sprite(tmp_path, images))


def test_sprite_of_any_floats_is_within_one_level_of_torch(tmp_path) -> None:
    images = RNG.random((20, 3, 7, 7)).astype(np.float32)
    ours = rgb(sprite_png(images, 20)[0]).astype(int)
    assert np.abs(ours - torch_sprite(tmp_path, images).astype(int)).max() <= 1
    # Ours rounds, as add_image does.
    assert np.array_equal(ours[:7, :7], np.rint(images[0].transpose(1, 2, 0) * 255.0))


def test_sprite_keeps_uint8_pixels_and_grey() -> None:
    pixels = RNG.integers(0, 256, (4, 1, 3, 3), dtype=np.uint8)
    sprite = np.asarray(Image.open(io.BytesIO(sprite_png(pixels, 4)[0])))
    assert sprite.shape == (6, 6)
    assert np.array_equal(sprite[:3, 3:], pixels[1, 0])


def test_tall_images_are_not_padded_to_a_square() -> None:
    # torch fails here (it pads to the grid's width, which is less than its height).
    png, size = sprite_png(np.ones((5, 3, 6, 2)), 5)
    assert size == (2, 6) and rgb(png).shape == (12, 6, 3)


def test_a_sprite_too_large_for_the_projector_warns() -> None:
    with pytest.warns(UserWarning, match="at most 8192 a side"):
        # Tall images: the sprite is not padded to a square, so the test stays small.
        sprite_png(np.zeros((4, 1, 4100, 1), np.uint8), 4)


@pytest.mark.parametrize(
    ("images", "message"),
    [
        (np.zeros((3, 2, 4, 4)), r"expected \(N, C, H, W\) with C = 1, 3 or 4"),
        (np.zeros((3, 4, 4)), r"expected \(N, C, H, W\)"),
        (np.zeros((2, 3, 4, 4)), r"expected 3 images, one per row of mat, got 2"),
    ],
)
def test_sprite_refusals_name_the_argument(images, message) -> None:
    with pytest.raises(ValueError, match=r"add_embedding\(label_img=\.\.\.\): " + message):
        sprite_png(images, 3, func="add_embedding")


# -- the embedding and its config entry ----------------------------------------------------------------


def test_embedding_holds_the_files_given_and_its_entry_names_them() -> None:
    built = embedding(np.eye(4), ["a", "b", "c", "d"], np.zeros((4, 3, 2, 2)))
    assert isinstance(built, Embedding) and sorted(built.files) == [
        "metadata.tsv",
        "sprite.png",
        "tensors.tsv",
    ]
    info = built.info("layer/1", 7)
    assert info == EmbeddingInfo(
        tensor_name="layer/1:00007",
        tensor_path="00007/layer%2f1/tensors.tsv",
        metadata_path="00007/layer%2f1/metadata.tsv",
        sprite=EmbeddingInfo().sprite.__class__(
            image_path="00007/layer%2f1/sprite.png", single_image_dim=[2, 2]
        ),
    )
    assert embedding(np.eye(2)).info("t", 0) == EmbeddingInfo(
        tensor_name="t:00000", tensor_path="00000/t/tensors.tsv"
    )


def test_config_grows_by_one_entry_and_replaces_its_namesake() -> None:
    first, second = EmbeddingInfo(tensor_name="a:00000"), EmbeddingInfo(tensor_name="b:00000")
    old = ProjectorConfig(model_checkpoint_path="ckpt", embeddings=[first])
    text = projector_config(text_format.MessageToString(old).encode(), second)
    again = projector_config(text, EmbeddingInfo(tensor_name="a:00000", tensor_path="x.tsv"))
    parsed = text_format.Parse(again.decode(), ProjectorConfig())
    assert parsed.model_checkpoint_path == "ckpt"
    assert [(e.tensor_name, e.tensor_path) for e in parsed.embeddings] == [
        ("a:00000", "x.tsv"),
        ("b:00000", ""),
    ]


def test_a_config_that_is_not_one_is_refused() -> None:
    with pytest.raises(
        ValueError, match=r"add_embedding: projector_config.pbtxt in the logdir is not a projector"
    ):
        projector_config(b"embeddings { nonsense: 1 }", EmbeddingInfo(), func="add_embedding")
