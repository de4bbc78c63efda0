"""Histograms in the ``histograms`` plugin's tensor form, as TensorFlow 2 and R's tfevents write them.

Format: a float64 tensor of shape ``(k, 3)``, one row ``[left edge, right
edge, count]`` per bucket, its values listed in ``double_val`` in C order,
and the plugin's metadata (its name only) on the value. R's tfevents reads
no other form: it ignores ``tensor_content`` (the values come out as NA)
and cannot read the legacy ``histo`` proto that
:func:`~neuroboard.summary.histogram.histogram` writes.

Buckets: TensorFlow's ``summary_v2`` rule, which R's tfevents follows:
``buckets`` equal-width buckets from the smallest to the largest value, a
value going to bucket ``floor((x - min) / width)``, the largest ones to the
last bucket. No data gives ``buckets`` rows of zeros; data that are all
equal give rows whose edges are all that value, every count in the last
row. R's copy clamps the bucket index to ``buckets`` instead of
``buckets - 1``, so the values equal to the maximum are counted nowhere;
here they are in the last bucket, as in TensorFlow.

Non-finite values (NaN, +-inf) are left out with a ``RuntimeWarning``, as
:func:`~neuroboard.summary.histogram.histogram` does (TensorFlow's rule
gives NaN edges for them). A range too wide or too narrow for float64
arithmetic is cut on values scaled by a power of two, which is exact.
"""

from __future__ import annotations

import numpy as np
from tensorboard.compat.proto.tensor_pb2 import TensorProto
from tensorboard.compat.proto.tensor_shape_pb2 import TensorShapeProto
from tensorboard.compat.proto.types_pb2 import DT_DOUBLE

from neuroboard.format.codec import Summary
from neuroboard.summary.histogram import histogram_metadata, warn_non_finite

__all__ = ["bucket_rows", "histogram_tensor"]

_TINY = np.finfo(np.float64).tiny


def bucket_rows(values: np.ndarray, buckets: int) -> np.ndarray:
    """Return ``(buckets, 3)`` float64 rows ``[left, right, count]`` over finite float64 ``values``.

    >>> bucket_rows(np.array([0.0, 1.0, 1.0, 3.0]), 3).tolist()
    [[0.0, 1.0, 1.0], [1.0, 2.0, 2.0], [2.0, 3.0, 1.0]]
    >>> bucket_rows(np.array([2.0, 2.0]), 2).tolist()
    [[2.0, 2.0, 0.0], [2.0, 2.0, 2.0]]
    """
    rows = np.zeros((buckets, 3))
    if not len(values):
        return rows
    low, high = float(values.min()), float(values.max())
    if low == high:
        rows[:, :2] = low
        rows[-1, 2] = len(values)
        return rows
    with np.errstate(over="ignore"):
        spread = high - low
    # Powers of two scale exactly: the edges and indices are those of the unscaled rule.
    scale = 0.5 if spread == np.inf else 2.0**600 if spread / buckets < _TINY else 1.0
    if scale != 1.0:
        values, low, high = values * scale, low * scale, high * scale
    width = (high - low) / buckets
    index = np.floor((values - low) / width)
    counts = np.bincount(np.minimum(index, buckets - 1).astype(np.intp), minlength=buckets)
    edges = np.linspace(low, high, buckets + 1) / scale
    rows[:, 0] = edges[:-1]
    rows[:, 1] = edges[1:]
    rows[:, 2] = counts
    return rows


def histogram_tensor(tag: str, values: np.ndarray, buckets: int = 30, *, caller: str) -> Summary:
    """Return a Summary holding the ``(buckets, 3)`` histogram tensor of float64 ``values`` (flattened).

    ``caller`` names the API call in the warning about non-finite values.

    >>> tensor = histogram_tensor("w", np.array([0.0, 1.0, 2.0]), 2, caller="doc").value[0].tensor
    >>> [d.size for d in tensor.tensor_shape.dim], list(tensor.double_val)
    ([2, 3], [0.0, 1.0, 1.0, 1.0, 2.0, 2.0])
    """
    flat = values.ravel()
    finite = np.isfinite(flat)
    if not finite.all():
        warn_non_finite(int((~finite).sum()), f"{caller}(data=...)", "the histogram", 3)
        flat = flat[finite]
    rows = bucket_rows(flat, buckets)
    shape = TensorShapeProto(dim=[TensorShapeProto.Dim(size=buckets), TensorShapeProto.Dim(size=3)])
    tensor = TensorProto(dtype=DT_DOUBLE, tensor_shape=shape, double_val=rows.ravel().tolist())
    return Summary(value=[Summary.Value(tag=tag, tensor=tensor, metadata=histogram_metadata())])
