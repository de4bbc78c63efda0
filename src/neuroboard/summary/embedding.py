"""The Embedding Projector's files: tensors.tsv, metadata.tsv, sprite.png and the config entry.

The projector reads no events: ``projector_config.pbtxt`` in the run folder
lists each embedding (a ``ProjectorConfig`` proto in text form), and each
entry points at files beside it, in ``<step, 5 digits>/<tag>/`` as torch and
tensorboardX lay them out:

- ``tensors.tsv``: one row per point, values as float32 (the projector's
  type), each written as the shortest decimal that reads back to the same
  float32, in NumPy's notation (``str(numpy.float32(x))``);
- ``metadata.tsv``: one label per point; with several columns, a first line
  of column names (the projector takes a first line holding a tab as the
  header, so one column never has one);
- ``sprite.png``: the label images tiled ``ceil(sqrt(N))`` to a row and
  padded at the bottom to a square, as torch does.

Everything here is pure: values in, file contents out (:func:`embedding`),
and the text of the config with one more entry (:func:`projector_config`).
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from google.protobuf import text_format
from tensorboard.plugins.projector.metadata import PLUGIN_NAME, PROJECTOR_FILENAME
from tensorboard.plugins.projector.projector_config_pb2 import EmbeddingInfo, ProjectorConfig

from neuroboard.render.grid import make_grid
from neuroboard.summary.convert import as_array, as_run_name, as_tag, is_tensor
from neuroboard.summary.float_text import float32_tsv
from neuroboard.summary.image import encode_png, to_uint8

__all__ = [
    "CONFIG_FILE",
    "METADATA_FILE",
    "PLUGIN_NAME",
    "SPRITE_FILE",
    "SPRITE_SIDE_LIMIT",
    "TENSORS_FILE",
    "Embedding",
    "check_tag",
    "embedding",
    "embedding_folder",
    "last_step",
    "metadata_tsv",
    "parse_config",
    "projector_config",
    "sprite_png",
    "tensor_name",
    "tensors_tsv",
]

CONFIG_FILE = PROJECTOR_FILENAME
TENSORS_FILE = "tensors.tsv"
METADATA_FILE = "metadata.tsv"
SPRITE_FILE = "sprite.png"
#: The longest file name most file systems take (NAME_MAX), for the folder a tag becomes.
MAX_FOLDER_BYTES = 255
#: The largest sprite side the projector's frontend loads (tensorboardX refuses larger ones; we warn).
SPRITE_SIDE_LIMIT = 8192

# Warnings point at the user's add_embedding call: add_embedding -> embedding -> here.
_STACKLEVEL = 4
# A tab or line break inside a label would split its cell or its row.
_CLEAN = str.maketrans({"\t": " ", "\n": " ", "\r": " "})
# torch's escapes, so that a tag names one folder: '%' first, so the others stay readable.
_FOLDER_ESCAPES = (("%", "%25"), ("/", "%2f"), ("\\", "%5c"))


def embedding_folder(tag: str, step: int) -> str:
    """Return the folder of an embedding relative to the logdir, ``<step, 5 digits>/<tag, escaped>``.

    >>> embedding_folder("layer/1", 2)
    '00002/layer%2f1'
    """
    for raw, escaped in _FOLDER_ESCAPES:
        tag = tag.replace(raw, escaped)
    return f"{step:05d}/{tag}"


def tensor_name(tag: str, step: int) -> str:
    """Return the name the projector lists an embedding under, ``<tag>:<step, 5 digits>``.

    >>> tensor_name("default", 2)
    'default:00002'
    """
    return f"{tag}:{step:05d}"


def _numeric(value: Any, func: str, arg: str) -> np.ndarray:
    # NumPy has no bfloat16 or float8: widen those tensors before converting.
    if is_tensor(value) and str(value.dtype).startswith(("torch.bfloat16", "torch.float8")):
        value = value.detach().float()
    return as_array(value, func, arg, dtype=None)


def _matrix(mat: Any, func: str) -> np.ndarray:
    array = _numeric(mat, func, "mat")
    if array.ndim != 2 or 0 in array.shape:
        raise ValueError(
            f"{func}(mat=...): expected a 2-D (N, D) array, one row per point, with N, D >= 1, "
            f"got shape {array.shape}"
        )
    with np.errstate(over="ignore"):
        return np.ascontiguousarray(array, dtype=np.float32)


def tensors_tsv(mat: Any, *, func: str = "tensors_tsv") -> bytes:
    """Return tensors.tsv for an (N, D) matrix: its rows as float32, tab-separated, one line each.

    >>> tensors_tsv([[0.1, 2.0], [-1e-5, 3e7]])
    b'0.1\\t2.0\\n-1e-05\\t3e+07\\n'
    """
    return float32_tsv(_matrix(mat, func))


def _cell(value: Any) -> str:
    """Return one label as text: numbers (also 0-d arrays and tensors) as NumPy prints them."""
    if type(value) is not str:
        if is_tensor(value):
            value = _numeric(value, "add_embedding", "metadata")
        if isinstance(value, np.ndarray) and value.size == 1:
            value = value.reshape(())[()]
        value = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    return value.translate(_CLEAN)


def _values(item: Any) -> list | None:
    """Return the values of a row (a list, a tuple, a 1-D array or tensor), or None for one value."""
    if isinstance(item, (list, tuple)):
        return list(item)
    if (isinstance(item, np.ndarray) or is_tensor(item)) and item.ndim >= 1:
        return list(item)
    return None


def _rows(metadata: Any, func: str) -> list | np.ndarray:
    if hasattr(metadata, "to_numpy") and not isinstance(metadata, np.ndarray):  # pandas
        metadata = metadata.to_numpy()
    if is_tensor(metadata):
        metadata = _numeric(metadata, func, "metadata")
    if isinstance(metadata, np.ndarray):
        if metadata.ndim not in (1, 2):
            raise ValueError(
                f"{func}(metadata=...): expected N labels or (N, K) rows, got shape {metadata.shape}"
            )
        return metadata
    if isinstance(metadata, (str, bytes, Mapping)) or not isinstance(metadata, Sequence):
        raise TypeError(
            f"{func}(metadata=...): expected a list, array or tensor of N labels, got {type(metadata).__name__}"
        )
    return list(metadata)


def _header(metadata_header: Any, func: str) -> list[str] | None:
    if metadata_header is None:
        return None
    if isinstance(metadata_header, (str, bytes)) or not isinstance(metadata_header, Sequence):
        raise TypeError(
            f"{func}(metadata_header=...): expected a list of column names, got {type(metadata_header).__name__}"
        )
    # An empty header means none, as in torch.
    return [_cell(name) for name in metadata_header] or None


def metadata_tsv(
    metadata: Any, rows: int, metadata_header: Sequence[Any] | None = None, *, func: str = "metadata_tsv"
) -> bytes:
    """Return metadata.tsv: ``rows`` labels, or rows of values under ``metadata_header``.

    Without a header each item is one label; with one, each item holds one
    value per column and the header line comes first, unless there is only
    one column (the projector would take that line for a label). Tabs and
    line breaks inside labels become spaces.

    >>> metadata_tsv(["cat", "dog"], 2)
    b'cat\\ndog\\n'
    >>> metadata_tsv([(3, "train"), (5, "test")], 2, ["digit", "split"])
    b'digit\\tsplit\\n3\\ttrain\\n5\\ttest\\n'
    """
    items = _rows(metadata, func)
    header = _header(metadata_header, func)
    if len(items) != rows:
        raise ValueError(
            f"{func}(metadata=...): expected {rows} labels, one per row of mat, got {len(items)}"
        )
    columns = 1 if header is None else len(header)
    if isinstance(items, np.ndarray) and items.ndim == 2:
        if items.shape[1] != columns and header is not None:
            raise ValueError(
                f"{func}(metadata_header=...): expected {items.shape[1]} names, one per column of metadata, "
                f"got {len(header)}"
            )
        if items.shape[1] == 1:
            items = items[:, 0]
    if header is None:
        if isinstance(items, np.ndarray) and items.ndim == 1 and items.dtype.kind in "biuf":
            lines = items.astype(str).tolist()
        else:
            lines = [item.translate(_CLEAN) if type(item) is str else _cell(item) for item in items]
            if any(type(item) is not str and _values(item) is not None for item in items):
                warnings.warn(
                    f"{func}(metadata=...): rows of several values but no metadata_header, so each row is "
                    "written as one label; pass metadata_header=[...] to write them as columns",
                    UserWarning,
                    stacklevel=_STACKLEVEL,
                )
    else:
        lines = []
        for index, item in enumerate(items):
            values = _values(item)
            if values is None and columns == 1:
                values = [item]
            if values is None or len(values) != columns:
                got = f"{len(values)} values" if values is not None else type(item).__name__
                raise ValueError(
                    f"{func}(metadata=...): expected rows of {columns} values, one per metadata_header "
                    f"name, got {got} in row {index}"
                )
            lines.append("\t".join(_cell(value) for value in values))
        if columns > 1:
            lines.insert(0, "\t".join(header))
        else:
            warnings.warn(
                f"{func}(metadata_header=...): one column has no header line in the projector's format "
                f"(it would read it as a label), so {header[0]!r} is left out",
                UserWarning,
                stacklevel=_STACKLEVEL,
            )
    return ("\n".join(lines) + "\n").encode("utf-8", "replace")


def sprite_png(label_img: Any, rows: int, *, func: str = "sprite_png") -> tuple[bytes, tuple[int, int]]:
    """Return sprite.png for (N, C, H, W) images and the single image size ``(W, H)``.

    C is 1 (grey), 3 (RGB) or 4 (RGBA); pixels follow
    :func:`neuroboard.summary.image.to_uint8` (uint8 as they are, other
    types as [0, 1]). The images go ``ceil(sqrt(N))`` to a row, without
    gaps, and black rows below make the sprite square when it is wider than
    tall, as torch lays it out.

    >>> png, size = sprite_png(np.ones((5, 1, 4, 4)), 5); size
    (4, 4)
    """
    array = _numeric(label_img, func, "label_img")
    if array.ndim != 4 or array.shape[1] not in (1, 3, 4) or 0 in array.shape[2:]:
        raise ValueError(
            f"{func}(label_img=...): expected (N, C, H, W) with C = 1, 3 or 4 and H, W >= 1, "
            f"got shape {array.shape}"
        )
    if array.shape[0] != rows:
        raise ValueError(
            f"{func}(label_img=...): expected {rows} images, one per row of mat, got {array.shape[0]}"
        )
    pixels = to_uint8(array.transpose(0, 2, 3, 1))
    count, height, width, channels = pixels.shape
    grid = make_grid(pixels, ncols=math.isqrt(count - 1) + 1, padding=0)
    side = grid.shape[1]
    if grid.shape[0] < side:
        square = np.zeros((side, side, channels), np.uint8)
        square[: grid.shape[0]] = grid
        grid = square
    if max(grid.shape[:2]) > SPRITE_SIDE_LIMIT:
        warnings.warn(
            f"{func}(label_img=...): the sprite is {grid.shape[1]} x {grid.shape[0]} pixels, and the "
            f"projector loads sprites of at most {SPRITE_SIDE_LIMIT} a side: use fewer or smaller images",
            UserWarning,
            stacklevel=_STACKLEVEL,
        )
    return encode_png(grid), (width, height)


@dataclasses.dataclass(frozen=True)
class Embedding:
    """The files of one embedding (name -> contents), before it has a step and a folder."""

    files: dict[str, bytes]
    sprite_dim: tuple[int, int] | None = None

    def info(self, tag: str, step: int) -> EmbeddingInfo:
        """Return the config entry of this embedding as ``tag`` at ``step``, its paths relative to the logdir."""
        folder = embedding_folder(tag, step)
        info = EmbeddingInfo(tensor_name=tensor_name(tag, step), tensor_path=f"{folder}/{TENSORS_FILE}")
        if METADATA_FILE in self.files:
            info.metadata_path = f"{folder}/{METADATA_FILE}"
        if self.sprite_dim is not None:
            info.sprite.image_path = f"{folder}/{SPRITE_FILE}"
            info.sprite.single_image_dim.extend(self.sprite_dim)
        return info


def check_tag(tag: Any, func: str) -> str:
    """Return ``tag`` if it is a non-empty str whose escaped folder stays inside the logdir.

    >>> check_tag("layer/1", "add_embedding")
    'layer/1'
    """
    as_tag(tag, func)
    folder = embedding_folder(tag, 0).partition("/")[2]
    if folder == ".":
        raise ValueError(f"{func}(tag=...): expected a name for the embedding's folder, got '.'")
    if len(folder.encode()) > MAX_FOLDER_BYTES:
        raise ValueError(
            f"{func}(tag=...): expected a tag whose folder name {folder[:20]!r}... fits in "
            f"{MAX_FOLDER_BYTES} bytes, got {len(folder.encode())}"
        )
    return as_run_name(tag, func, "tag", folder)


def embedding(
    mat: Any,
    metadata: Any = None,
    label_img: Any = None,
    metadata_header: Sequence[Any] | None = None,
    *,
    func: str = "embedding",
) -> Embedding:
    """Return the files of one embedding: tensors.tsv, and metadata.tsv and sprite.png when given.

    Checks every argument first (see :func:`metadata_tsv` and
    :func:`sprite_png`), so a refused call has built nothing.

    >>> sorted(embedding(np.eye(3), ["a", "b", "c"]).files)
    ['metadata.tsv', 'tensors.tsv']
    """
    matrix = _matrix(mat, func)
    rows = matrix.shape[0]
    files = {}
    if metadata is not None:
        files[METADATA_FILE] = metadata_tsv(metadata, rows, metadata_header, func=func)
    sprite_dim = None
    if label_img is not None:
        files[SPRITE_FILE], sprite_dim = sprite_png(label_img, rows, func=func)
    files[TENSORS_FILE] = float32_tsv(matrix)
    return Embedding(files, sprite_dim)


def parse_config(config: bytes | None, *, func: str = "parse_config") -> ProjectorConfig:
    """Return the ``ProjectorConfig`` in ``config`` (its text; None for an empty one); refuse other text.

    >>> len(parse_config(b'embeddings { tensor_name: "a:00000" }').embeddings)
    1
    """
    parsed = ProjectorConfig()
    if config is not None:
        try:
            text_format.Parse(config.decode("utf-8"), parsed)
        except (text_format.ParseError, UnicodeDecodeError) as error:
            raise ValueError(
                f"{func}: {CONFIG_FILE} in the logdir is not a projector config TensorBoard can read "
                f"({error}); move it away or log into another logdir"
            ) from None
    return parsed


def last_step(config: ProjectorConfig, tag: str) -> int | None:
    """Return the highest step of ``tag`` among the config's entries, or None.

    >>> last_step(parse_config(b'embeddings { tensor_name: "a:00007" }'), "a")
    7
    """
    steps = []
    for entry in config.embeddings:
        name, _, step = entry.tensor_name.rpartition(":")
        if name == tag and step.lstrip("-").isdigit():
            steps.append(int(step))
    return max(steps, default=None)


def projector_config(config: bytes | None, info: EmbeddingInfo, *, func: str = "projector_config") -> bytes:
    """Return the text of a projector config with ``info`` added, or put in place of its namesake.

    ``config`` is the text there so far (None for none); its other entries
    and fields are kept. Text that is not a ``ProjectorConfig`` is refused.

    >>> text = projector_config(None, EmbeddingInfo(tensor_name="a:00000"))
    >>> print(text.decode(), end="")
    embeddings {
      tensor_name: "a:00000"
    }
    """
    parsed = parse_config(config, func=func)
    for entry in parsed.embeddings:
        if entry.tensor_name == info.tensor_name:
            entry.CopyFrom(info)
            break
    else:
        parsed.embeddings.append(info)
    return text_format.MessageToString(parsed).encode("utf-8")
