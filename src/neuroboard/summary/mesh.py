"""Meshes: the ``mesh`` plugin's name and metadata, and the Summary of a mesh or point cloud.

TensorBoard's mesh plugin reads up to three tensors per mesh, each under its
own tag, ``<tag>_VERTEX``, ``<tag>_FACE`` and ``<tag>_COLOR`` (written in that
order), and each with ``MeshPluginData`` metadata: the mesh's tag as
``name``, the tensor's ``content_type``, ``components`` (the bitmask
``1 << content_type`` of the parts present, 2 | 4 | 8 for all three), the
tensor's ``shape`` and ``json_config``, the three.js scene configuration
(camera, lights, material) as JSON with sorted keys, ``"{}"`` by default. All
three tensors are ``(B, N, 3)`` or ``(B, F, 3)``: B meshes, which the
dashboard shows one at a time as samples.

dtypes: the plugin serves vertices as float32, faces as int32 and colours as
uint8, and TensorBoard's own mesh summary stores them so; so does this module,
as little-endian ``tensor_content``. torch and tensorboardX store all three as
float32 lists (``float_val``): a vertex index past 2**24 loses its last bits
there, and colours take four times the room. The values read back are the same.

Colours are 0..255 in any numeric dtype, floats rounded. torch's docstring
speaks of floats in [0, 1], but neither peer scales them, and the plugin casts
them to uint8, so such colours show black there: float colours that all lie
in [0, 1] (and are not all 0) warn.

Reading back: each tag's value is its tensor
(:func:`~neuroboard.summary.tensor.tensor_value`).
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
from tensorboard.compat.proto.tensor_pb2 import TensorProto
from tensorboard.compat.proto.tensor_shape_pb2 import TensorShapeProto
from tensorboard.compat.proto.types_pb2 import DT_FLOAT, DT_INT32, DT_UINT8
from tensorboard.plugins.mesh.plugin_data_pb2 import MeshPluginData

from neuroboard.format.codec import Summary, SummaryMetadata
from neuroboard.summary.convert import as_array, as_tag
from neuroboard.summary.metadata import plugin_metadata

__all__ = ["PLUGIN_NAME", "components_mask", "instance_tag", "json_config", "mesh", "mesh_metadata"]

PLUGIN_NAME = "mesh"

VERTEX = MeshPluginData.VERTEX
FACE = MeshPluginData.FACE
COLOR = MeshPluginData.COLOR

# Each part's stored dtype, as the plugin serves it.
_STORED = {
    VERTEX: (np.dtype("<f4"), DT_FLOAT),
    FACE: (np.dtype("<i4"), DT_INT32),
    COLOR: (np.dtype("u1"), DT_UINT8),
}


def instance_tag(tag: str, content_type: int) -> str:
    """Return the tag one part of a mesh is written under: ``<tag>_VERTEX``, ``<tag>_FACE`` or ``<tag>_COLOR``.

    >>> instance_tag("bunny", FACE)
    'bunny_FACE'
    """
    return f"{tag}_{MeshPluginData.ContentType.Name(content_type)}"


def components_mask(content_types: list[int]) -> int:
    """Return the plugin's bitmask of the parts a mesh has, ``1 << content_type`` each.

    >>> components_mask([VERTEX, FACE, COLOR]), components_mask([VERTEX])
    (14, 2)
    """
    mask = 0
    for content_type in content_types:
        mask |= 1 << content_type
    return mask


def json_config(config_dict: Mapping[str, Any] | None, caller: str = "add_mesh") -> str:
    """Return the three.js scene configuration as the JSON string the plugin reads, ``"{}"`` for None.

    >>> json_config({"material": {"size": 0.1}, "camera": {"fov": 75}})
    '{"camera": {"fov": 75}, "material": {"size": 0.1}}'
    """
    if config_dict is None:
        return "{}"
    if not isinstance(config_dict, Mapping):
        raise TypeError(
            f"{caller}(config_dict=...): expected None or a dict of three.js settings, got {type(config_dict).__name__}"
        )
    try:
        # NaN is not JSON: the dashboard's parser would refuse the whole configuration.
        return json.dumps(config_dict, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{caller}(config_dict=...): expected values JSON can hold, got {error}") from None


def mesh_metadata(
    tag: str, content_type: int, components: int, shape: tuple[int, ...], config: str = "{}"
) -> SummaryMetadata:
    """Return the metadata of one part of a mesh: ``MeshPluginData`` in the ``mesh`` plugin's content.

    >>> content = mesh_metadata("bunny", VERTEX, 14, (1, 4, 3)).plugin_data.content
    >>> MeshPluginData.FromString(content).shape
    [1, 4, 3]
    """
    data = MeshPluginData(
        version=0,
        name=tag,
        content_type=content_type,
        components=components,
        shape=list(shape),
        json_config=config,
    )
    return plugin_metadata(PLUGIN_NAME, data.SerializeToString())


def _parts_shape(array: np.ndarray, arg: str, letter: str, caller: str) -> None:
    if array.ndim != 3 or array.shape[2] != 3 or array.shape[0] < 1 or array.shape[1] < 1:
        raise ValueError(
            f"{caller}({arg}=...): expected shape (B, {letter}, 3) with B, {letter} >= 1, got {array.shape}"
        )


def _as_vertices(vertices: Any, caller: str) -> np.ndarray:
    array = as_array(vertices, caller, "vertices", dtype=None)
    _parts_shape(array, "vertices", "N", caller)
    with np.errstate(over="ignore"):
        stored = array.astype("<f4")
    bad = int(np.count_nonzero(~np.isfinite(stored)))
    if bad:
        raise ValueError(
            f"{caller}(vertices=...): expected finite coordinates within float32's range, "
            f"got {bad} NaN, infinite or too large"
        )
    return stored


def _as_faces(faces: Any, batch: int, count: int, caller: str) -> np.ndarray:
    array = as_array(faces, caller, "faces", dtype=None)
    _parts_shape(array, "faces", "F", caller)
    if array.shape[0] != batch:
        raise ValueError(
            f"{caller}(faces=...): expected {batch} meshes as vertices has, shape ({batch}, F, 3), got {array.shape}"
        )
    if array.dtype.kind == "f":
        whole = np.isfinite(array) & (array == np.round(array))
        if not whole.all():
            raise ValueError(
                f"{caller}(faces=...): expected whole vertex indices, got {int(np.count_nonzero(~whole))} "
                "that are not"
            )
    elif array.dtype.kind not in "iu":
        raise TypeError(f"{caller}(faces=...): expected integer vertex indices, got {array.dtype}")
    low, high = array.min(), array.max()
    if low < 0 or high >= count:
        raise ValueError(
            f"{caller}(faces=...): expected vertex indices in 0..{count - 1} ({count} vertices), "
            f"got indices in {int(low)}..{int(high)}"
        )
    return array.astype("<i4")


def _as_colors(colors: Any, shape: tuple[int, ...], caller: str) -> np.ndarray:
    array = as_array(colors, caller, "colors", dtype=None)
    _parts_shape(array, "colors", "N", caller)
    if array.shape != shape:
        raise ValueError(
            f"{caller}(colors=...): expected one colour per vertex, shape {shape}, got {array.shape}"
        )
    if array.dtype == np.uint8:
        return array
    if array.dtype.kind == "f":
        if np.isnan(array).any():
            raise ValueError(f"{caller}(colors=...): expected colours in 0..255, got NaN")
        rounded = np.rint(array)
    else:
        rounded = array
    low, high = rounded.min(), rounded.max()
    if low < 0 or high > 255:
        raise ValueError(
            f"{caller}(colors=...): expected colours in 0..255 (floats rounded), got values in {low:g}..{high:g}"
        )
    if array.dtype.kind == "f" and 0 < array.max() <= 1:
        warnings.warn(
            f"{caller}(colors=...): every colour lies in [0, 1], but colours are 0..255 (the mesh "
            "plugin shows these almost black): multiply by 255",
            UserWarning,
            stacklevel=4,
        )
    return rounded.astype(np.uint8)


def _value(tag: str, content_type: int, array: np.ndarray, components: int, config: str) -> Summary.Value:
    dtype, code = _STORED[content_type]
    shape = TensorShapeProto(dim=[TensorShapeProto.Dim(size=size) for size in array.shape])
    tensor = TensorProto(
        dtype=code, tensor_shape=shape, tensor_content=array.astype(dtype, copy=False).tobytes()
    )
    return Summary.Value(
        tag=instance_tag(tag, content_type),
        tensor=tensor,
        metadata=mesh_metadata(tag, content_type, components, array.shape, config),
    )


def mesh(
    tag: str,
    vertices: Any,
    colors: Any = None,
    faces: Any = None,
    config_dict: Mapping[str, Any] | None = None,
    *,
    caller: str = "add_mesh",
) -> Summary:
    """Return a Summary holding a mesh or point cloud: vertices, and faces and colours when given.

    ``vertices`` is (B, N, 3) coordinates, ``faces`` (B, F, 3) vertex
    indices of triangles, ``colors`` (B, N, 3) values in 0..255 (one colour per
    vertex), ``config_dict`` the three.js scene settings.

    >>> cube = np.array([[[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]]])
    >>> [value.tag for value in mesh("tetra", cube, faces=[[[0, 1, 2], [0, 1, 3]]]).value]
    ['tetra_VERTEX', 'tetra_FACE']
    """
    tag = as_tag(tag, caller)
    config = json_config(config_dict, caller)
    stored = _as_vertices(vertices, caller)
    parts = [(VERTEX, stored)]
    if faces is not None:
        parts.append((FACE, _as_faces(faces, stored.shape[0], stored.shape[1], caller)))
    if colors is not None:
        parts.append((COLOR, _as_colors(colors, stored.shape, caller)))
    components = components_mask([content_type for content_type, _ in parts])
    return Summary(
        value=[_value(tag, content_type, array, components, config) for content_type, array in parts]
    )
