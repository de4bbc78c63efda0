"""``neuroboard ls``: what a logdir holds, one line per run and tag."""

from __future__ import annotations

import click
import pandas as pd

from neuroboard.api.frames import collect_events
from neuroboard.cli.common import Path, check_logdir, reports_errors, table

__all__ = ["ls", "tag_table"]


def tag_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Return run, tag, kind, count, first and last step of a ``collect_events(type="summary")`` frame.

    >>> import tempfile, neuroboard
    >>> d = tempfile.mkdtemp()
    >>> with neuroboard.SummaryWriter(d) as w:
    ...     for i in range(3): w.add_scalar("loss", 1 / (i + 1), i)
    >>> tag_table(collect_events(d, type="summary")).to_numpy().tolist()
    [['.', 'loss', 'scalars', 3, 0, 2]]
    """
    columns = ["run", "tag", "kind", "count", "first", "last"]
    if frame.empty:
        return pd.DataFrame(columns=columns)
    grouped = frame.groupby(["run", "tag"], sort=True)
    out = grouped.agg(
        kind=("plugin", lambda p: ",".join(sorted({name or "?" for name in p}))),
        count=("step", "size"),
        first=("step", "min"),
        last=("step", "max"),
    ).reset_index()
    return out[columns]


@click.command(short_help="List the runs and tags of a logdir.")
@click.argument("logdir", type=Path())
@reports_errors
def ls(logdir: str) -> None:
    """List the runs and tags of LOGDIR: kind (TensorBoard plugin), count, first and last step.

    LOGDIR may be an fsspec URL (s3://bucket/exp), with credentials from the environment.
    """
    logdir = check_logdir(logdir, urls=True)
    tags = tag_table(collect_events(logdir, type="summary"))
    if tags.empty:
        click.echo(f"no events in {logdir}", err=True)
        return
    rows = [[r.run, r.tag, r.kind, int(r.count), int(r.first), int(r.last)] for r in tags.itertuples()]
    click.echo(table(["run", "tag", "kind", "count", "first step", "last step"], rows))
