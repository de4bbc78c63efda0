"""Raw histograms: the Summary of buckets counted elsewhere, in the legacy ``histo`` form.

The form is the one :func:`~neuroboard.summary.histogram.histogram` writes
(its module says why): a ``HistogramProto`` whose ``bucket_limit[i]`` is the
right edge of bucket ``i``; the first bucket's left edge is ``min``. torch
and tensorboardX write the arguments into that proto as they come, checking
only that there are as many limits as counts. Here the arguments are also
checked for what TensorBoard needs to draw them, and empty buckets at either
end are left out: TensorBoard's Python loader drops them when it reads, but
the Rust one (``tensorboard-data-server``) serves a leading empty bucket as
``[min, bucket_limit[0]]``, which runs backwards when ``min`` lies past that
limit (and a trailing one as ``[limit, max]``), so the Histograms tab shows
them as given here and as the Python loader gives them, the same for this
form and for :func:`~neuroboard.summary.histogram.histogram`'s.

As in the peers, ``num`` is written as given, even when the counts add up to
another number, and counts may be floats (``torch.histc`` gives floats).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from tensorboard.compat.proto.summary_pb2 import HistogramProto

from neuroboard.format.codec import Summary
from neuroboard.summary.convert import as_array, as_tag, is_tensor

__all__ = ["histogram_raw"]


def _number(value: Any, caller: str, arg: str) -> float:
    """Return a number, a NumPy scalar, or a one-element array or tensor as a float (torch takes all of these)."""
    if type(value) is float:
        return value
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{caller}({arg}=...): expected a real number, got bool")
    if is_tensor(value) and str(value.dtype) == "torch.bfloat16":
        value = value.detach().float()
    array = as_array(value, caller, arg)
    if array.size != 1:
        raise ValueError(f"{caller}({arg}=...): expected a real number, got an array of shape {array.shape}")
    return float(array.reshape(-1)[0])


def _finite(value: Any, caller: str, arg: str) -> float:
    number = _number(value, caller, arg)
    if not math.isfinite(number):
        raise ValueError(f"{caller}({arg}=...): expected a finite number, got {number}")
    return number


def _buckets(value: Any, caller: str, arg: str) -> np.ndarray:
    if is_tensor(value) and str(value.dtype) == "torch.bfloat16":
        value = value.detach().float()
    array = as_array(value, caller, arg)
    if array.ndim != 1:
        raise ValueError(f"{caller}({arg}=...): expected a 1-D sequence, got shape {array.shape}")
    return array


def _show(array: np.ndarray) -> str:
    return np.array2string(array, threshold=8, separator=", ")


def histogram_raw(
    tag: str,
    min: Any,
    max: Any,
    num: Any,
    sum: Any,
    sum_squares: Any,
    bucket_limits: Any,
    bucket_counts: Any,
    *,
    caller: str = "add_histogram_raw",
) -> Summary:
    """Return a Summary holding a histogram given by its statistics and buckets.

    ``bucket_limits[i]`` is the right edge of the bucket that holds
    ``bucket_counts[i]`` values; the limits increase, the counts are finite
    and >= 0. ``min`` and ``max`` are the extremes of the values: the first
    non-empty bucket's left edge and the last one's right edge. Refused with
    a ``ValueError`` naming the argument: limits and counts of different
    lengths (the peers' one check), limits that do not increase, negative or
    non-finite counts, non-finite ``min``, ``max`` or ``num``, a negative
    ``num`` or ``sum_squares``, and, when a bucket is not empty, ``min > max`` or extremes that
    lie outside the non-empty buckets.

    >>> histo = histogram_raw("w", 0.5, 1.5, 3, 3.5, 4.75, [1.0, 2.0], [1, 2]).value[0].histo
    >>> list(histo.bucket_limit), list(histo.bucket), histo.num
    ([1.0, 2.0], [1.0, 2.0], 3.0)
    """
    tag = as_tag(tag, caller)
    low = _finite(min, caller, "min")
    high = _finite(max, caller, "max")
    count = _finite(num, caller, "num")
    if count < 0:
        raise ValueError(f"{caller}(num=...): expected a number of values >= 0, got {count:g}")
    total = _number(sum, caller, "sum")
    squares = _number(sum_squares, caller, "sum_squares")
    if squares < 0:
        raise ValueError(f"{caller}(sum_squares=...): expected a sum of squares >= 0, got {squares:g}")
    limits = _buckets(bucket_limits, caller, "bucket_limits")
    counts = _buckets(bucket_counts, caller, "bucket_counts")
    if len(limits) != len(counts):
        raise ValueError(
            f"{caller}(bucket_counts=...): expected one count per bucket limit, as many as bucket_limits "
            f"({len(limits)}), got {len(counts)}"
        )
    # NaN fails the comparison, so it is refused too.
    if len(limits) > 1 and not (limits[1:] > limits[:-1]).all():
        raise ValueError(f"{caller}(bucket_limits=...): expected increasing limits, got {_show(limits)}")
    if not (np.isfinite(counts).all() and (counts >= 0).all()):
        raise ValueError(f"{caller}(bucket_counts=...): expected finite counts >= 0, got {_show(counts)}")

    occupied = np.flatnonzero(counts)
    if len(occupied):
        first, last = int(occupied[0]), int(occupied[-1])
        if low > high:
            raise ValueError(f"{caller}(min=...): expected min <= max ({high:g}), got {low:g}")
        if low > limits[first]:
            raise ValueError(
                f"{caller}(min=...): expected at most {limits[first]:g}, the right edge of the first "
                f"non-empty bucket, got {low:g}"
            )
        if last > first and high < limits[last - 1]:
            raise ValueError(
                f"{caller}(max=...): expected at least {limits[last - 1]:g}, the left edge of the last "
                f"non-empty bucket, got {high:g}"
            )
        limits, counts = limits[first : last + 1], counts[first : last + 1]
    else:
        limits, counts = limits[:0], counts[:0]
    histo = HistogramProto(
        min=low,
        max=high,
        num=count,
        sum=total,
        sum_squares=squares,
        bucket_limit=limits.tolist(),
        bucket=counts.tolist(),
    )
    return Summary(value=[Summary.Value(tag=tag, histo=histo)])
