"""``neuroboard export``: a logdir as one CSV or Parquet table.

The table is written to a hidden temporary file beside the target and moved onto it only when
complete, so a failed export leaves no file, and an existing file is replaced whole or not at all.
The temporary file of an export that was killed outright is removed by the next export to the
same file.
"""

from __future__ import annotations

import contextlib
import fnmatch
import math
import os

import click
import numpy as np
import pandas as pd
from google.protobuf import text_format

from neuroboard.api.frames import TYPES, SummaryValue, collect_events
from neuroboard.cli.common import (
    CommandError,
    Path,
    check_logdir,
    clear_scratch,
    progress,
    reports_errors,
    scratch,
)
from neuroboard.io.reader import run_files
from neuroboard.io.storage import open_storage

__all__ = ["describe", "export", "flat_table"]

FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}
PART = ".part"
# Below this many runs the logdir is read in one call; above it run by run, behind a progress bar.
RUNS_PER_CALL = 8
_TEXT = 80


def describe(summary: SummaryValue) -> tuple[float, str]:
    """Return ``(number, text)`` for a summary value: the number if it is one (else NaN), a short text.

    Images and histograms are described from their headers, without decoding them.

    >>> from neuroboard.summary import scalar
    >>> describe(SummaryValue(scalar("loss", 0.5).value[0], "scalars"))
    (0.5, '')
    """
    proto, plugin = summary.proto, summary.plugin
    kind = proto.WhichOneof("value")
    if kind == "simple_value":
        return float(proto.simple_value), ""
    if kind == "image":
        return math.nan, f"image {proto.image.height}x{proto.image.width}"
    if kind == "histo":
        return math.nan, f"histogram of {proto.histo.num:g} values in {len(proto.histo.bucket)} buckets"
    if kind == "audio":
        return math.nan, f"audio {proto.audio.length_frames} frames at {proto.audio.sample_rate:g} Hz"
    if plugin == "hparams":
        return math.nan, "hparams"
    if kind != "tensor":
        return math.nan, kind or "empty"
    shape = [d.size for d in proto.tensor.tensor_shape.dim]
    if plugin == "images" and proto.tensor.string_val[:2]:
        width, height = (bytes(s).decode(errors="replace") for s in proto.tensor.string_val[:2])
        return math.nan, f"image {height}x{width}"
    if plugin == "histograms":
        return math.nan, f"histogram in {shape[0] if shape else 0} buckets"
    if plugin in ("scalars", "text") or math.prod(shape) == 1:
        decoded = summary.value()
        if plugin == "text" or isinstance(decoded, str):
            text = " ".join(str(decoded).split())
            return math.nan, text if len(text) <= _TEXT else text[: _TEXT - 3] + "..."
        array = np.asarray(decoded)
        if array.size == 1 and array.dtype.kind in "biuf":
            return float(array.reshape(())), ""
    dtype = proto.tensor.dtype
    return math.nan, f"tensor of dtype {dtype} and shape {tuple(shape)}"


def flat_table(frame: pd.DataFrame, type: str) -> pd.DataFrame:
    """Return a ``collect_events`` frame with its objects turned into numbers and text, for CSV or Parquet.

    ``summary``: the ``summary`` column becomes ``value`` (the number, or NaN) and ``text``.
    ``any``: the ``event`` column becomes the event in protobuf text format, on one line.

    >>> import tempfile, neuroboard
    >>> d = tempfile.mkdtemp()
    >>> with neuroboard.SummaryWriter(d) as w: w.add_scalar("x", 2.0, 0)
    >>> flat_table(collect_events(d, type="summary"), "summary")[["tag", "value", "text"]].values.tolist()
    [['x', 2.0, '']]
    """
    if type == "scalar":
        return frame
    frame = frame.copy()
    if type == "summary":
        described = [describe(s) for s in frame.pop("summary")]
        frame["value"] = np.array([d[0] for d in described], np.float64)
        frame["text"] = pd.array([d[1] for d in described], dtype="str")
        return frame
    frame["event"] = pd.array(
        [text_format.MessageToString(e, as_one_line=True) for e in frame["event"]], dtype="str"
    )
    return frame


def _read(logdir: str, type: str, runs: tuple[str, ...], tags: tuple[str, ...]) -> pd.DataFrame:
    patterns = list(runs) or None
    tag_patterns = list(tags) or None
    # Run by run, behind a bar; an object store is read in one call, which lists it once.
    cheap = open_storage(logdir).lists_cheaply
    names = list(run_files(logdir)) if cheap and os.path.isdir(logdir) else []
    names = [
        name for name in names if patterns is None or any(fnmatch.fnmatchcase(name, p) for p in patterns)
    ]
    if len(names) <= RUNS_PER_CALL:
        return flat_table(collect_events(logdir, type=type, runs=patterns, tags=tag_patterns), type)
    parts = [
        flat_table(collect_events(logdir, type=type, runs=[_escape(name)], tags=tag_patterns), type)
        for name in progress(names, desc="export", unit="run")
    ]
    return pd.concat(parts, ignore_index=True)


def _escape(name: str) -> str:
    """Return a glob pattern that matches the run ``name`` alone.

    >>> _escape("J=[1]*")
    'J=[[]1][*]'
    """
    return "".join(f"[{c}]" if c in "*?[" else c for c in name)


def _write(frame: pd.DataFrame, path: str, engine: str | None) -> None:
    """Write ``frame`` to ``path`` as CSV (``engine`` None) or Parquet, through a temporary file beside it."""
    folder, name = os.path.split(os.path.abspath(path))
    clear_scratch(folder, name, PART)
    temp = scratch(folder, name, PART)
    try:
        if engine is None:
            frame.to_csv(temp, index=False)
        elif engine == "polars":
            import polars

            polars.from_pandas(frame).write_parquet(temp)
        else:
            frame.to_parquet(temp, index=False, engine=engine)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def _parquet_engine() -> str:
    for engine in ("pyarrow", "polars"):
        try:
            __import__(engine)
        except ImportError:
            continue
        return engine
    raise CommandError("writing Parquet needs pyarrow or polars: pip install 'neuroboard[export]'")


def _output(context: click.Context, param: click.Parameter, value: str) -> str:
    extension = os.path.splitext(value)[1].lower()
    if extension not in FORMATS:
        raise click.BadParameter(f"expected a .csv, .parquet or .pq file, got {value!r}")
    return value


@click.command(short_help="Write a logdir as a CSV or Parquet table.")
@click.argument("logdir", type=Path())
@click.option(
    "-o",
    "--output",
    type=Path(),
    required=True,
    callback=_output,
    help="The file to write: .csv, .parquet or .pq.",
)
@click.option(
    "--type",
    "type_",
    type=click.Choice(TYPES[::-1]),
    default="scalar",
    show_default=True,
    help="scalar: one row per scalar; summary: one per summary value; any: one per event.",
)
@click.option("--run", "runs", multiple=True, help="Keep runs with this name or glob; repeatable.")
@click.option("--tag", "tags", multiple=True, help="Keep tags with this name or glob; repeatable.")
@reports_errors
def export(logdir: str, output: str, type_: str, runs: tuple[str, ...], tags: tuple[str, ...]) -> None:
    """Write every point of LOGDIR as one table, CSV or Parquet by the extension of --output.

    Columns: run, tag, step, wall_time, value (scalar); run, tag, step, wall_time, plugin,
    value (the number, when the summary holds one) and text (a short description otherwise)
    (summary); run, step, wall_time, what, event (in protobuf text format) (any).
    LOGDIR may be an fsspec URL (s3://bucket/exp), with credentials from the environment.
    """
    logdir = check_logdir(logdir, urls=True)
    kind = FORMATS[os.path.splitext(output)[1].lower()]
    folder = os.path.dirname(os.path.abspath(output))
    if not os.path.isdir(folder):
        raise CommandError(f"no such folder for the output: {folder}")
    engine = _parquet_engine() if kind == "parquet" else None
    frame = _read(logdir, type_, runs, tags)
    _write(frame, output, engine)
    click.echo(f"wrote {len(frame)} rows to {os.path.abspath(output)}")
