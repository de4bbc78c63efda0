"""SummaryWriter's curve and distribution methods: PR curves, raw histograms and ``default_bins``."""

from __future__ import annotations

from typing import Any

from neuroboard.summary.histogram import tensorflow_edges
from neuroboard.summary.histogram_raw import histogram_raw
from neuroboard.summary.pr_curve import pr_curve, pr_curve_raw

__all__ = ["CurveMethods"]


class CurveMethods:
    """Methods mixed into :class:`~neuroboard.api.summary_writer.SummaryWriter`.

    They use the writer's ``_write_summary(summary, global_step, walltime, tag, func)``.
    """

    @property
    def default_bins(self) -> list[float]:
        """TensorFlow's histogram bucket edges, as the peers' writers carry them: +-1e-12 * 1.1**k and 0.

        ``add_histogram``'s ``bins="tensorflow"`` uses them, with +-DBL_MAX
        outside. A new list on each read: changing it changes nothing.

        >>> import tempfile; from neuroboard import SummaryWriter
        >>> with SummaryWriter(tempfile.mkdtemp()) as w:
        ...     len(w.default_bins), w.default_bins[773:776]
        (1549, [-1e-12, 0.0, 1e-12])
        """
        return tensorflow_edges()[1:-1].tolist()

    def add_pr_curve(
        self,
        tag: str,
        labels: Any,
        predictions: Any,
        global_step: Any = None,
        num_thresholds: int = 127,
        weights: Any = None,
        walltime: Any = None,
    ) -> None:
        """Log a precision-recall curve of ``predictions`` (in [0, 1]) against bool or 0/1 ``labels``.

        The curve has ``num_thresholds`` points evenly spaced over [0, 1]
        (kept as asked: the peers cut it to 127); ``weights`` multiplies each
        example's count. Shown in the PR Curves tab.

        >>> import tempfile, numpy as np; from neuroboard import SummaryWriter
        >>> with SummaryWriter(tempfile.mkdtemp()) as w:
        ...     w.add_pr_curve("pr", np.random.randint(2, size=100), np.random.rand(100), 0)
        """
        func = "add_pr_curve"
        summary = pr_curve(tag, labels, predictions, num_thresholds, weights, caller=func)
        self._write_summary(summary, global_step, walltime, tag, func)

    def add_pr_curve_raw(
        self,
        tag: str,
        true_positive_counts: Any,
        false_positive_counts: Any,
        true_negative_counts: Any,
        false_negative_counts: Any,
        precision: Any,
        recall: Any,
        global_step: Any = None,
        num_thresholds: int = 127,
        weights: Any = None,
        walltime: Any = None,
    ) -> None:
        """Log a PR curve computed elsewhere: six 1-D arrays with one value per threshold.

        ``num_thresholds`` and ``weights`` are there for the peers' signature
        and, as in the peers, change nothing: the curve has as many points as
        the arrays have values, and the metadata says so.

        >>> import tempfile; from neuroboard import SummaryWriter
        >>> with SummaryWriter(tempfile.mkdtemp()) as w:
        ...     w.add_pr_curve_raw("pr", [3, 1], [2, 0], [0, 2], [0, 2], [0.6, 1.0], [1.0, 0.33], 0)
        """
        func = "add_pr_curve_raw"
        summary = pr_curve_raw(
            tag,
            true_positive_counts,
            false_positive_counts,
            true_negative_counts,
            false_negative_counts,
            precision,
            recall,
            caller=func,
        )
        self._write_summary(summary, global_step, walltime, tag, func)

    def add_histogram_raw(
        self,
        tag: str,
        min: Any,
        max: Any,
        num: Any,
        sum: Any,
        sum_squares: Any,
        bucket_limits: Any,
        bucket_counts: Any,
        global_step: Any = None,
        walltime: Any = None,
    ) -> None:
        """Log a histogram counted elsewhere: its statistics and its buckets' right edges and counts.

        See :func:`neuroboard.summary.histogram_raw.histogram_raw` for what is checked.

        >>> import tempfile, numpy as np; from neuroboard import SummaryWriter
        >>> values = np.random.rand(50)
        >>> counts, edges = np.histogram(values, bins=[0.0, 0.25, 0.5, 0.75, 1.0])
        >>> with SummaryWriter(tempfile.mkdtemp()) as w:
        ...     w.add_histogram_raw("w", values.min(), values.max(), len(values), values.sum(),
        ...                         values @ values, edges[1:], counts, global_step=0)
        """
        func = "add_histogram_raw"
        summary = histogram_raw(
            tag, min, max, num, sum, sum_squares, bucket_limits, bucket_counts, caller=func
        )
        self._write_summary(summary, global_step, walltime, tag, func)
