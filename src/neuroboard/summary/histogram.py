"""Histograms: the ``histograms`` plugin's name and metadata, and the Summary of a bucketed array.

Format: the legacy ``Summary.Value.histo`` (a ``HistogramProto``), as torch and
tensorboardX write it, rather than the plugin's k x 3 ``[left, right, count]``
tensor, because

- it carries the count, min, max, sum and sum of squares, so a reader gets the
  exact extremes, the mean and the standard deviation, which the tensor form
  loses;
- every reader of torch's and tensorboardX's files (``EventAccumulator.Histograms``,
  tbparse, DataFrame exports) reads it unchanged;
- TensorBoard turns it into the plugin's tensor when it loads the file, and
  both the Histograms and the Distributions tabs draw that tensor (the Rust
  loader keeps float64; the Python fallback float32, far finer than a chart
  shows);
- it is smaller: two doubles per bucket instead of three.

Buckets: bucket ``i`` spans ``[edges[i], edges[i + 1])``, the last one closed
(NumPy's rule). The proto lists right edges only and starts at the first
non-empty bucket, whose left edge readers take from ``min``: both of
TensorBoard's loaders do so, and the Rust one (``tensorboard-data-server``)
does not skip leading empty buckets, so an empty bucket carrying the left edge
(as tensorboardX writes) would be served as a bucket running backwards. Inside
the data's range a run of empty buckets is written as one (TensorFlow's own
encoding). ``num`` always equals the sum of the buckets, and
``min``/``max``/``sum``/``sum_squares`` describe the same values.

Non-finite values (NaN, +-inf) are left out with a ``RuntimeWarning``: a
diverged simulation must keep logging, and its histogram of the finite values
(possibly empty) is still worth drawing.

Counting into the default ``"tensorflow"`` buckets needs no sort: their
edges grow by 1.1 from 1e-12 on either side of 0, so a logarithm gives each
value's bucket to within one and a look at the edges either side settles it
(:func:`tensorflow_buckets`, checked against a binary search of the edges).
Other buckets sort the values once and look up in them only the edges
between the smallest and the largest value, and the sort also puts the
non-finite values at the ends, where two looks find them.
:func:`numpy.histogram` is the reference the tests compare the counts with.

Reading back (:func:`histogram_value`) follows TensorBoard's own conversion
of the legacy proto (``tensorboard/data_compat.py``): empty buckets at both
ends are dropped, the first bucket's left edge is ``min`` and the last one's
right edge is ``max``, since TensorFlow's outermost limits are +-DBL_MAX.
The plugin's ``[left, right, count]`` tensor is read as it is (the
functional API writes that form: :mod:`neuroboard.summary.histogram_tensor`).
"""

from __future__ import annotations

import functools
import itertools
import math
import operator
import sys
import warnings
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
from tensorboard.compat.proto.summary_pb2 import HistogramProto
from tensorboard.plugins.histogram.plugin_data_pb2 import HistogramPluginData

from neuroboard.format.codec import Summary, SummaryMetadata
from neuroboard.summary.convert import as_array, as_tag, is_tensor
from neuroboard.summary.metadata import plugin_metadata
from neuroboard.summary.tensor import as_summary_value, holding, tensor_array

__all__ = [
    "MAX_BINS",
    "PLUGIN_NAME",
    "Histogram",
    "bucket_edges",
    "histogram",
    "histogram_metadata",
    "histogram_value",
    "tensorflow_buckets",
    "tensorflow_edges",
    "warn_non_finite",
]

PLUGIN_NAME = "histograms"

# The names np.histogram_bin_edges accepts as ``bins``.
NUMPY_ESTIMATORS = ("auto", "fd", "doane", "scott", "stone", "rice", "sturges", "sqrt")

Bins = str | int | Sequence[float] | np.ndarray

#: The most buckets a histogram may have, however they are chosen (TensorBoard draws about 30).
MAX_BINS = 1_000_000

_BINS_EXPECTED = (
    f"expected 'tensorflow', one of {', '.join(map(repr, NUMPY_ESTIMATORS))}, "
    "a positive int or a 1-D sequence of at least two increasing finite edges"
)


def histogram_metadata(display_name: str | None = None, description: str | None = None) -> SummaryMetadata:
    """Return the metadata TensorBoard gives a histogram once it has loaded it.

    :func:`histogram` writes no metadata (the legacy form needs none); this is
    for readers and for writers of the plugin's tensor form.

    >>> histogram_metadata().plugin_data.plugin_name
    'histograms'
    """
    return plugin_metadata(
        PLUGIN_NAME, HistogramPluginData(version=0).SerializeToString(), display_name, description
    )


@functools.cache
def tensorflow_edges() -> np.ndarray:
    """Return TensorFlow's default bucket edges: +-1e-12 * 1.1**k up to 1e20, 0, and +-DBL_MAX.

    Each edge is the previous one times 1.1, multiplied in that order so the
    edges equal TensorFlow's and tensorboardX's bit for bit; the outer
    +-DBL_MAX edges let every finite value land in a bucket.

    >>> edges = tensorflow_edges()
    >>> len(edges), float(edges[len(edges) // 2]), float(edges[776])
    (1551, 0.0, 1e-12)
    """
    count = math.ceil(math.log(1e20 / 1e-12, 1.1))
    positive = [
        v for v in itertools.accumulate(itertools.repeat(1.1, count), operator.mul, initial=1e-12) if v < 1e20
    ]
    biggest = sys.float_info.max
    edges = np.array([-biggest, *(-v for v in reversed(positive)), 0.0, *positive, biggest])
    edges.flags.writeable = False
    return edges


def _describe(values: Any) -> str:
    try:
        shape = tuple(np.shape(values))
    except (TypeError, ValueError):
        return type(values).__name__
    if isinstance(values, np.ndarray):
        return f"ndarray of dtype {values.dtype} and shape {shape}"
    return f"{type(values).__name__} of shape {shape}"


def _as_values(values: Any, caller: str) -> np.ndarray:
    # NumPy has no bfloat16 or float8: widen those tensors before converting.
    if is_tensor(values) and str(values.dtype).startswith(("torch.bfloat16", "torch.float8")):
        values = values.detach().float()
    try:
        return as_array(values, caller, "values").ravel()
    except TypeError:
        raise TypeError(f"{caller}(values=...): expected a numeric array, got {_describe(values)}") from None


def _check_bins(bins: Any, caller: str) -> str | int | np.ndarray:
    if isinstance(bins, str):
        if bins == "tensorflow" or bins in NUMPY_ESTIMATORS:
            return bins
        raise ValueError(f"{caller}(bins=...): {_BINS_EXPECTED}, got {bins!r}")
    if isinstance(bins, (bool, np.bool_)):
        raise TypeError(f"{caller}(bins=...): {_BINS_EXPECTED}, got bool")
    if isinstance(bins, (int, np.integer)):
        if bins > MAX_BINS:
            raise ValueError(f"{caller}(bins=...): expected at most {MAX_BINS:,} buckets, got {bins:,}")
        if bins >= 1:
            return int(bins)
        raise ValueError(f"{caller}(bins=...): {_BINS_EXPECTED}, got {bins}")
    try:
        edges = as_array(bins, caller, "bins")
    except TypeError:
        raise TypeError(f"{caller}(bins=...): {_BINS_EXPECTED}, got {_describe(bins)}") from None
    if edges.ndim != 1 or len(edges) < 2 or not np.isfinite(edges).all() or not (np.diff(edges) > 0).all():
        raise ValueError(f"{caller}(bins=...): {_BINS_EXPECTED}, got {np.array2string(edges, threshold=8)}")
    if len(edges) > MAX_BINS + 1:
        raise ValueError(f"{caller}(bins=...): expected at most {MAX_BINS:,} buckets, got {len(edges) - 1:,}")
    return edges


def _check_max_bins(max_bins: Any, caller: str) -> int | None:
    if max_bins is None:
        return None
    if isinstance(max_bins, (bool, np.bool_)) or not isinstance(max_bins, (int, np.integer)):
        raise TypeError(
            f"{caller}(max_bins=...): expected None or a positive int, got {type(max_bins).__name__}"
        )
    if max_bins < 1:
        raise ValueError(f"{caller}(max_bins=...): expected None or a positive int, got {max_bins}")
    return int(max_bins)


#: Below this spread of values, bucket widths may round to 0.
_TINY_SPREAD = 1e-290
#: How each of TensorFlow's bucket edges grows from the one before, as a logarithm.
_LOG_GROWTH = math.log(1.1)


def bucket_edges(values: np.ndarray, bins: str | int | np.ndarray) -> np.ndarray:
    """Return the bucket edges that ``bins`` gives for the finite float64 ``values``.

    >>> bucket_edges(np.array([0.0, 1.0]), 4).tolist()
    [0.0, 0.25, 0.5, 0.75, 1.0]
    """
    if isinstance(bins, np.ndarray):
        return bins
    if bins == "tensorflow":
        return tensorflow_edges()
    with np.errstate(over="ignore"):
        spread = values.max() - values.min()
    if not np.isfinite(spread):
        # The range overflows float64; bucket widths scale with the data, so halve it and double back.
        return 2 * np.histogram_bin_edges(values / 2, bins=bins)
    try:
        edges = np.histogram_bin_edges(values, bins=bins)
    except ValueError:
        edges = None
    # A range of a few subnormals cannot be cut into finite-sized buckets: NumPy 2 raises, NumPy 1 returns
    # equal edges. NumPy's rule for values that are all equal, buckets over the smallest value +- 0.5,
    # holds them all.
    if edges is None or (spread < _TINY_SPREAD and not (np.diff(edges) > 0).all()):
        return np.histogram_bin_edges(np.array([values.min()]), bins=bins)
    return edges


def _estimated_edges(ordered: np.ndarray, bins: str, caller: str) -> np.ndarray:
    """Return the edges of a named estimator, refusing more than ``MAX_BINS`` buckets."""
    try:
        edges = bucket_edges(ordered, bins)
    except MemoryError:
        # A skewed sample gives "fd" a tiny width over a wide range: billions of buckets.
        edges = None
    if edges is None or len(edges) > MAX_BINS + 1:
        raise ValueError(
            f"{caller}(bins={bins!r}): the estimator asks for more than {MAX_BINS:,} buckets on these values; "
            "pass an int number of buckets or the edges instead"
        )
    return edges


def _span_counts(ordered: np.ndarray, edges: np.ndarray) -> tuple[int, np.ndarray]:
    """Return the first occupied bucket and the counts from it to the last occupied one."""
    last_bucket = len(edges) - 2
    first = min(int(edges.searchsorted(ordered[0], "right")) - 1, last_bucket)
    last = min(int(edges.searchsorted(ordered[-1], "right")) - 1, last_bucket)
    # How many values lie below each edge of the span; the counts are the steps between.
    below = np.empty(last - first + 2, dtype=np.int64)
    below[0] = 0
    below[1:-1] = ordered.searchsorted(edges[first + 1 : last + 1], "left")
    below[-1] = len(ordered)
    return first, below[1:] - below[:-1]


def _merge(counts: np.ndarray, right_edges: np.ndarray, max_bins: int) -> tuple[np.ndarray, np.ndarray]:
    """Return counts and right edges with neighbours summed so that at most ``max_bins`` remain."""
    group = -(-len(counts) // max_bins)
    starts = np.arange(0, len(counts), group)
    ends = np.minimum(starts + group, len(counts)) - 1
    return np.add.reduceat(counts, starts), right_edges[ends]


def _empty(tag: str) -> Summary:
    return Summary(value=[Summary.Value(tag=tag, histo=HistogramProto())])


def warn_non_finite(count: int, where: str, what: str, stacklevel: int) -> None:
    """Warn that ``count`` non-finite values given at ``where`` were left out of ``what``.

    ``stacklevel`` counts from the caller of this function, as ``warnings.warn``'s does.

    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always"); warn_non_finite(2, "f(x=...)", "the histogram", 1)
    >>> str(caught[0].message)
    'f(x=...): left 2 non-finite value(s) (NaN or +-inf) out of the histogram'
    """
    warnings.warn(
        f"{where}: left {count} non-finite value(s) (NaN or +-inf) out of {what}",
        RuntimeWarning,
        stacklevel=stacklevel + 1,
    )


def histogram(
    tag: str,
    values: Any,
    bins: Bins = "tensorflow",
    *,
    max_bins: int | None = None,
    caller: str = "add_histogram",
) -> Summary:
    """Return a Summary holding the histogram of ``values`` (any shape, flattened).

    ``bins`` is ``"tensorflow"`` (TensorFlow's exponential buckets, as torch and
    tensorboardX use), an int (that many equal-width buckets over the data), a
    sequence of increasing edges (values outside them are left out), or a
    NumPy estimator name (``"auto"``, ``"fd"``, ...). ``max_bins`` merges
    neighbouring buckets until at most that many remain. Non-finite values
    are left out with a ``RuntimeWarning``; ``caller`` names the API call in
    warnings and errors.

    >>> histo = histogram("w", [0.5, 1.5, 1.5], bins=[0, 1, 2]).value[0].histo
    >>> list(histo.bucket_limit), list(histo.bucket), histo.min
    ([1.0, 2.0], [1.0, 2.0], 0.5)
    """
    tag = as_tag(tag, caller)
    array = _as_values(values, caller)
    bins = _check_bins(bins, caller)
    max_bins = _check_max_bins(max_bins, caller)

    if isinstance(bins, str) and bins == "tensorflow":
        finite = array
        if not np.isfinite(array).all():
            finite = array[np.isfinite(array)]
            warn_non_finite(len(array) - len(finite), f"{caller}(values=...)", f"the histogram {tag!r}", 2)
        if not len(finite):
            return _empty(tag)
        first, counts = _tensorflow_counts(finite)
        return _summary(
            tag, finite, float(finite.min()), float(finite.max()), first, counts, tensorflow_edges(), max_bins
        )

    # Sorting first puts NaN last and the infinities at the ends, so finding
    # them costs two looks in the common case where there are none.
    ordered = np.sort(array)
    if len(ordered) and not (math.isfinite(ordered[0]) and math.isfinite(ordered[-1])):
        finite = ordered[np.isfinite(ordered)]
        warn_non_finite(len(ordered) - len(finite), f"{caller}(values=...)", f"the histogram {tag!r}", 2)
        ordered = finite
    if not len(ordered):
        return _empty(tag)
    edges = _estimated_edges(ordered, bins, caller) if isinstance(bins, str) else bucket_edges(ordered, bins)
    if isinstance(bins, np.ndarray):
        ordered = ordered[ordered.searchsorted(edges[0], "left") : ordered.searchsorted(edges[-1], "right")]
        if not len(ordered):
            return _empty(tag)
    first, counts = _span_counts(ordered, edges)
    return _summary(tag, ordered, float(ordered[0]), float(ordered[-1]), first, counts, edges, max_bins)


def _summary(
    tag: str,
    values: np.ndarray,
    low: float,
    high: float,
    first: int,
    counts: np.ndarray,
    edges: np.ndarray,
    max_bins: int | None,
) -> Summary:
    """Return the Summary of the histogram of ``values`` (between ``low`` and ``high``), whose buckets from
    ``first`` on hold ``counts``."""
    right_edges = edges[first + 1 : first + 1 + len(counts)]
    if max_bins is not None and len(counts) > max_bins:
        counts, right_edges = _merge(counts, right_edges, max_bins)
    # Keep the non-empty buckets and the last of each run of empty ones, whose
    # limit is the left edge of the next non-empty bucket.
    nonempty = counts > 0
    keep = nonempty.copy()
    keep[:-1] |= nonempty[1:]
    # Values near the float64 limit make the sums infinite, which is the honest answer.
    with np.errstate(over="ignore"):
        total, squares = float(values.sum()), float(values @ values)
    histo = HistogramProto(
        min=low,
        max=high,
        num=float(len(values)),
        sum=total,
        sum_squares=squares,
        bucket_limit=right_edges[keep].tolist(),
        bucket=counts[keep].astype(np.float64).tolist(),
    )
    return Summary(value=[Summary.Value(tag=tag, histo=histo)])


def tensorflow_buckets(values: np.ndarray) -> np.ndarray:
    """Return the bucket of :func:`tensorflow_edges` that holds each finite value, without sorting them.

    Bucket ``i`` holds ``edges[i] <= value < edges[i + 1]`` (the last one
    also ``DBL_MAX``), as ``edges.searchsorted(values, "right") - 1`` finds,
    which the tests check it against. The edges grow by 1.1 from 1e-12 on
    either side of 0, so a logarithm gives each value's bucket to within
    one, and a look at the edges either side settles it.

    >>> tensorflow_buckets(np.array([-1e-13, 0.0, 1e-12, 1.0])).tolist()
    [774, 775, 776, 1065]
    """
    edges, rights = tensorflow_edges(), _tensorflow_rights()
    zero = len(edges) // 2
    # 0 has no logarithm and the biggest magnitudes overflow: both are clipped to the ends next.
    with np.errstate(divide="ignore", over="ignore"):
        # How many times 1.1 the magnitude is above 1e-12, from -1 (below it, and 0) to the last edge.
        powers = np.log(np.abs(values) * 1e12)
    powers /= _LOG_GROWTH
    np.floor(powers, out=powers)
    np.clip(powers, -1, zero - 2, out=powers)
    # zero + 1 + powers above 0, zero - 2 - powers below (-0.0 is put one low and moved up below).
    powers += 1.5
    np.copysign(powers, values, out=powers)
    powers += zero - 0.5
    bucket = powers.astype(np.intp)
    while True:
        lower = values < edges.take(bucket)
        higher = values >= rights.take(bucket)
        if not (lower.any() or higher.any()):
            return bucket
        # Each value moves toward its bucket, never past it: the edges increase.
        bucket += higher
        bucket -= lower


@functools.cache
def _tensorflow_rights() -> np.ndarray:
    """Return the right edge of each bucket of :func:`tensorflow_edges`, the last one +inf (it holds DBL_MAX)."""
    rights = tensorflow_edges()[1:].copy()
    rights[-1] = math.inf
    rights.flags.writeable = False
    return rights


def _tensorflow_counts(values: np.ndarray) -> tuple[int, np.ndarray]:
    """Return :func:`_span_counts` of the finite ``values`` (in any order) over :func:`tensorflow_edges`."""
    counts = np.bincount(tensorflow_buckets(values), minlength=len(tensorflow_edges()) - 1)
    occupied = np.flatnonzero(counts)
    return int(occupied[0]), counts[occupied[0] : occupied[-1] + 1]


class Histogram(NamedTuple):
    """Buckets read back: bucket ``i`` spans ``edges[i]`` to ``edges[i + 1]`` and holds ``counts[i]`` values.

    Both are float64; ``edges`` has one more element than ``counts``, or none
    for an empty histogram.
    """

    edges: np.ndarray
    counts: np.ndarray


def _empty_histogram() -> Histogram:
    return Histogram(np.zeros(0), np.zeros(0))


def _from_proto(histo: HistogramProto) -> Histogram:
    counts = np.array(histo.bucket, dtype=np.float64)
    limits = np.array(histo.bucket_limit, dtype=np.float64)
    if len(counts) != len(limits):
        raise ValueError(
            "histogram_value(value=...): expected a HistogramProto with one bucket_limit per bucket, "
            f"got {len(limits)} limits and {len(counts)} buckets"
        )
    occupied = np.flatnonzero(counts > 0)
    if not len(occupied):
        return _empty_histogram()
    first, last = occupied[0], occupied[-1]
    edges = np.concatenate(([histo.min], limits[first:last], [histo.max]))
    return Histogram(edges, counts[first : last + 1])


def _from_buckets(buckets: np.ndarray) -> Histogram:
    expected = "histogram_value(value=...): expected a (k, 3) tensor of adjoining [left, right, count] rows"
    if buckets.ndim != 2 or buckets.shape[1] != 3 or buckets.dtype.kind not in "biuf":
        raise ValueError(f"{expected}, got {buckets.dtype} of shape {buckets.shape}")
    if not len(buckets):
        return _empty_histogram()
    left, right, counts = buckets.astype(np.float64).T
    if not np.array_equal(left[1:], right[:-1]):
        raise ValueError(f"{expected}, got buckets with gaps or overlaps")
    return Histogram(np.append(left, right[-1]), counts.copy())


def histogram_value(value: Summary.Value) -> Histogram:
    """Return the buckets a ``Summary.Value`` holds: its ``histo`` proto or the plugin's (k, 3) tensor.

    >>> histogram_value(histogram("w", [0.5, 1.5, 1.5], bins=[0, 1, 2]).value[0])
    Histogram(edges=array([0.5, 1. , 1.5]), counts=array([1., 2.]))
    """
    value = as_summary_value(value, "histogram_value")
    kind = value.WhichOneof("value")
    if kind == "histo":
        return _from_proto(value.histo)
    if kind != "tensor":
        raise ValueError(
            f"histogram_value(value=...): expected a Summary.Value holding a histo or a tensor, got {holding(value)}"
        )
    return _from_buckets(tensor_array(value.tensor, "histogram_value"))
