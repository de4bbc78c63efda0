"""PR curves: the ``pr_curves`` plugin's name and metadata, and the Summary of a (6, k) curve tensor.

Format: the plugin's float32 tensor of shape ``(6, k)``, whose rows are the
true positive, false positive, true negative and false negative counts, the
precision and the recall at ``k`` thresholds evenly spaced over [0, 1]
(``tensorboard/plugins/pr_curve/metadata.py`` numbers the rows), with
``PrCurvePluginData(version=0, num_thresholds=k)`` as metadata, under the tag
as given (as torch and tensorboardX write it; TensorFlow appends
``/pr_curves``). The plugin takes ``k`` from the tensor's shape.

Values: as torch, tensorboardX and TensorBoard's own ``pr_curve.pb`` compute
them. A prediction ``p`` falls in bucket ``floor(p * (k - 1))``, the product
taken in the predictions' own float type (so float32 inputs land where they
land in torch); bucket ``i`` counts toward every threshold up to ``i / (k - 1)``,
so the counts are reverse cumulative sums over the buckets;
``precision = tp / max(1e-7, tp + fp)`` and ``recall = tp / max(1e-7, tp + fn)``,
in float64, then stored as float32. Weighted counts are summed in the order
and in the blocks of 65,536 that :func:`numpy.histogram` uses, so they match
the peers bit for bit. The peers run ``numpy.histogram`` twice (one pass over
the data for each class, with its range checks); here one :func:`numpy.bincount`
of ``bucket + k * label`` counts both classes in one pass.
``torch.utils.tensorboard.summary.compute_curve`` is the reference the tests
compare with.

Where this differs from the peers, on purpose:

- predictions outside [0, 1] (or NaN) raise a ``ValueError``: the peers drop
  them from every count without a word (or, just above 1, count them at the
  last threshold);
- labels other than 0/1 raise: the peers would count a label of 2 twice as a
  positive and once negatively as a negative;
- ``num_thresholds`` is kept as asked, from 2 up to :data:`MAX_THRESHOLDS`:
  the peers silently cut it to 127 (TensorBoard's own default is 201 and it
  draws any number).
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
from tensorboard.compat.proto.tensor_pb2 import TensorProto
from tensorboard.compat.proto.tensor_shape_pb2 import TensorShapeProto
from tensorboard.compat.proto.types_pb2 import DT_FLOAT
from tensorboard.plugins.pr_curve.plugin_data_pb2 import PrCurvePluginData

from neuroboard.format.codec import Summary, SummaryMetadata
from neuroboard.summary.convert import as_array, as_tag, is_tensor
from neuroboard.summary.metadata import plugin_metadata

__all__ = [
    "MAX_THRESHOLDS",
    "MIN_COUNT",
    "PLUGIN_NAME",
    "ROWS",
    "pr_curve",
    "pr_curve_data",
    "pr_curve_metadata",
    "pr_curve_raw",
]

PLUGIN_NAME = "pr_curves"

#: The tensor's rows, in the plugin's order.
ROWS = ("true_positives", "false_positives", "true_negatives", "false_negatives", "precision", "recall")

#: The floor of the denominators of precision and recall, as in the peers and TensorBoard.
MIN_COUNT = 1e-7

#: The most thresholds a curve may have (the tensor holds 6 floats per threshold).
MAX_THRESHOLDS = 1_000_000

# numpy.histogram sums weights block by block; matching its blocks matches its rounding.
_BLOCK = 65536

# float16 holds every bucket number exactly only up to 2048.
_FLOAT16_EXACT = 2048


@functools.cache
def _content(num_thresholds: int) -> bytes:
    return PrCurvePluginData(version=0, num_thresholds=num_thresholds).SerializeToString()


def pr_curve_metadata(
    num_thresholds: int, display_name: str | None = None, description: str | None = None
) -> SummaryMetadata:
    """Return the metadata that marks a (6, k) float32 tensor as a PR curve of ``num_thresholds`` points.

    >>> pr_curve_metadata(127).plugin_data.plugin_name
    'pr_curves'
    """
    return plugin_metadata(PLUGIN_NAME, _content(num_thresholds), display_name, description)


def _check_thresholds(num_thresholds: Any, caller: str) -> int:
    expected = f"expected an int from 2 to {MAX_THRESHOLDS:,}"
    if isinstance(num_thresholds, (bool, np.bool_)) or not isinstance(num_thresholds, (int, np.integer)):
        raise TypeError(f"{caller}(num_thresholds=...): {expected}, got {type(num_thresholds).__name__}")
    if not 2 <= num_thresholds <= MAX_THRESHOLDS:
        raise ValueError(f"{caller}(num_thresholds=...): {expected}, got {num_thresholds:,}")
    return int(num_thresholds)


def _as_numbers(value: Any, caller: str, arg: str) -> np.ndarray:
    # NumPy has no bfloat16: widen such tensors (exactly) before converting.
    if is_tensor(value) and str(value.dtype) == "torch.bfloat16":
        value = value.detach().float()
    return as_array(value, caller, arg, dtype=None)


def _positives(labels: np.ndarray, caller: str) -> np.ndarray:
    """Return the labels as a bool array, refusing anything but bool or 0/1."""
    if labels.dtype == np.bool_:
        return labels
    positive = labels == 1
    if np.count_nonzero(positive) + np.count_nonzero(labels == 0) != labels.size:
        odd = labels[(labels != 0) & (labels != 1)].flat[0].item()
        raise ValueError(f"{caller}(labels=...): expected bool or 0/1 labels, got {odd!r} among them")
    return positive


def _scaled(predictions: np.ndarray, scale: int, caller: str) -> np.ndarray:
    """Return ``predictions * scale`` in the type the peers compute it in, refusing values outside [0, 1]."""
    if predictions.dtype.kind in "biu":
        predictions = predictions.astype(np.float64)
    elif predictions.dtype == np.float16 and scale > _FLOAT16_EXACT:
        predictions = predictions.astype(np.float32)
    if predictions.size:
        low, high = predictions.min(), predictions.max()
        # NaN fails both comparisons.
        if not (low >= 0 and high <= 1):
            found = "NaN" if np.isnan(low) or np.isnan(high) else f"values from {low:g} to {high:g}"
            raise ValueError(f"{caller}(predictions=...): expected probabilities in [0, 1], got {found}")
    return predictions * scale


def _weights(weights: Any, shape: tuple[int, ...], caller: str) -> np.ndarray:
    """Return the weights as a flat float64 array of ``shape``'s size, refusing negative or non-finite ones."""
    array = as_array(weights, caller, "weights")
    try:
        array = np.broadcast_to(array, shape)
    except ValueError:
        raise ValueError(
            f"{caller}(weights=...): expected a number or an array that broadcasts to the labels' shape "
            f"{shape}, got shape {array.shape}"
        ) from None
    if array.size and not (np.isfinite(array).all() and array.min() >= 0):
        odd = array[~(np.isfinite(array) & (array >= 0))].flat[0].item()
        raise ValueError(f"{caller}(weights=...): expected finite weights >= 0, got {odd!r} among them")
    return array.reshape(-1)


def _bucket_sums(keys: np.ndarray, weights: np.ndarray | None, length: int) -> np.ndarray:
    if weights is None:
        return np.bincount(keys, minlength=length).astype(np.float64)
    sums = np.zeros(length)
    for start in range(0, len(keys), _BLOCK):
        sums += np.bincount(keys[start : start + _BLOCK], weights[start : start + _BLOCK], minlength=length)
    return sums


def pr_curve_data(
    labels: Any,
    predictions: Any,
    num_thresholds: int = 127,
    weights: Any = None,
    *,
    caller: str = "add_pr_curve",
) -> np.ndarray:
    """Return the (6, ``num_thresholds``) float64 curve: tp, fp, tn, fn, precision and recall per threshold.

    ``labels`` are bool or 0/1, ``predictions`` probabilities in [0, 1] of the
    same shape (arrays, lists or torch tensors); ``weights`` (a number or an
    array that broadcasts to that shape) multiplies each example's count.

    >>> pr_curve_data([True, False, True], [0.9, 0.4, 0.2], num_thresholds=3)[:4].tolist()
    [[2.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 1.0], [0.0, 1.0, 2.0]]
    """
    count = _check_thresholds(num_thresholds, caller)
    labels = _as_numbers(labels, caller, "labels")
    predictions = _as_numbers(predictions, caller, "predictions")
    if predictions.shape != labels.shape:
        raise ValueError(
            f"{caller}(predictions=...): expected the labels' shape {labels.shape}, got {predictions.shape}"
        )
    positive = _positives(labels, caller).reshape(-1)
    scaled = _scaled(predictions, count - 1, caller).reshape(-1)
    flat_weights = None if weights is None else _weights(weights, labels.shape, caller)

    # Truncation is floor here: every scaled prediction is >= 0. Negatives fill
    # keys [0, count), positives [count, 2 * count).
    keys = scaled.astype(np.intp)
    # A multiply-add, several times faster than adding through the boolean mask.
    keys += positive * count
    sums = _bucket_sums(keys, flat_weights, 2 * count)
    curve = np.empty((6, count))
    tp, fp, tn, fn, precision, recall = curve
    # A threshold counts every bucket at or above it: reverse cumulative sums.
    np.cumsum(sums[: count - 1 : -1], out=tp[::-1])
    np.cumsum(sums[count - 1 :: -1], out=fp[::-1])
    np.subtract(fp[0], fp, out=tn)
    np.subtract(tp[0], tp, out=fn)
    np.divide(tp, np.maximum(MIN_COUNT, tp + fp), out=precision)
    np.divide(tp, np.maximum(MIN_COUNT, tp + fn), out=recall)
    return curve


def _summary(tag: str, curve: np.ndarray) -> Summary:
    rows, columns = curve.shape
    tensor = TensorProto(
        dtype=DT_FLOAT,
        tensor_shape=TensorShapeProto(
            dim=[TensorShapeProto.Dim(size=rows), TensorShapeProto.Dim(size=columns)]
        ),
        tensor_content=curve.astype("<f4").tobytes(),
    )
    return Summary(value=[Summary.Value(tag=tag, metadata=pr_curve_metadata(columns), tensor=tensor)])


def pr_curve(
    tag: str,
    labels: Any,
    predictions: Any,
    num_thresholds: int = 127,
    weights: Any = None,
    *,
    caller: str = "add_pr_curve",
) -> Summary:
    """Return a Summary holding the PR curve of ``predictions`` against ``labels`` (see :func:`pr_curve_data`).

    >>> value = pr_curve("pr", [1, 0, 1, 1], [0.9, 0.6, 0.4, 0.8], num_thresholds=5).value[0]
    >>> value.metadata.plugin_data.plugin_name, [dim.size for dim in value.tensor.tensor_shape.dim]
    ('pr_curves', [6, 5])
    """
    tag = as_tag(tag, caller)
    return _summary(tag, pr_curve_data(labels, predictions, num_thresholds, weights, caller=caller))


def pr_curve_raw(
    tag: str,
    true_positive_counts: Any,
    false_positive_counts: Any,
    true_negative_counts: Any,
    false_negative_counts: Any,
    precision: Any,
    recall: Any,
    *,
    caller: str = "add_pr_curve_raw",
) -> Summary:
    """Return a Summary holding a PR curve computed elsewhere: six 1-D arrays of one length k >= 1.

    The metadata records k thresholds. Values must be finite: TensorBoard
    sends them to the browser as JSON, which has no NaN.

    >>> value = pr_curve_raw("pr", [3, 1], [2, 0], [0, 2], [0, 2], [0.6, 1.0], [1.0, 0.33]).value[0]
    >>> [dim.size for dim in value.tensor.tensor_shape.dim]
    [6, 2]
    """
    tag = as_tag(tag, caller)
    named = {
        "true_positive_counts": true_positive_counts,
        "false_positive_counts": false_positive_counts,
        "true_negative_counts": true_negative_counts,
        "false_negative_counts": false_negative_counts,
        "precision": precision,
        "recall": recall,
    }
    rows = []
    for arg, value in named.items():
        row = as_array(value.detach().float() if is_tensor(value) else value, caller, arg)
        if row.ndim != 1 or not len(row):
            raise ValueError(f"{caller}({arg}=...): expected a non-empty 1-D array, got shape {row.shape}")
        if rows and len(row) != len(rows[0]):
            raise ValueError(
                f"{caller}({arg}=...): expected {len(rows[0])} values, as many as true_positive_counts, "
                f"got {len(row)}"
            )
        if not np.isfinite(row).all():
            raise ValueError(f"{caller}({arg}=...): expected finite values, got {row[~np.isfinite(row)][0]}")
        rows.append(row)
    return _summary(tag, np.stack(rows))
