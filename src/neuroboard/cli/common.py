"""What every ``neuroboard`` subcommand shares: one-line errors, logdir checks, progress bars, tables."""

from __future__ import annotations

import functools
import os
import shutil
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

import click
from tqdm import tqdm

from neuroboard.io.remote import is_url

__all__ = ["CommandError", "check_logdir", "progress", "reports_errors", "table"]

F = TypeVar("F", bound=Callable[..., Any])

# What the library raises for bad input or a failed read or write; anything else is a bug.
LIBRARY_ERRORS = (OSError, ValueError, TypeError, KeyError)


class CommandError(click.ClickException):
    """A runtime failure of a subcommand, shown as ``neuroboard <command>: <message>``, exit code 1.

    >>> CommandError("no such logdir: /x").exit_code
    1
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        # Named now: by the time the error is shown, the command's context is gone.
        context = click.get_current_context(silent=True)
        self.where = context.command_path if context is not None else "neuroboard"

    def show(self, file: Any = None) -> None:
        """Print the error as one line on stderr."""
        click.echo(f"{self.where}: {self.format_message()}", err=True)


def message(error: BaseException) -> str:
    """Return the text of ``error`` on one line (a KeyError's text without its quotes).

    >>> message(KeyError("no 'v' in data"))
    "no 'v' in data"
    """
    text = error.args[0] if isinstance(error, KeyError) and error.args else error
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    return " ".join(lines) or type(error).__name__


def reports_errors(func: F) -> F:
    """Return ``func`` with the library's errors turned into :class:`CommandError`, kept to one line.

    >>> reports_errors(lambda: int("x")).__name__
    '<lambda>'
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except LIBRARY_ERRORS as error:
            raise CommandError(message(error)) from error

    return wrapper  # type: ignore[return-value]


def check_logdir(logdir: str, *, urls: bool = False) -> str:
    """Return ``logdir`` if it is a folder (or one event file), else raise :class:`CommandError`.

    With ``urls``, an fsspec URL (``s3://bucket/exp``) is taken as it is:
    the reader lists it, with credentials from the environment; without,
    a URL is refused.

    >>> import tempfile; check_logdir(tempfile.gettempdir()) == tempfile.gettempdir()
    True
    >>> check_logdir("s3://bucket/exp", urls=True)
    's3://bucket/exp'
    """
    if is_url(logdir):
        if urls:
            return logdir
        raise CommandError(f"expected a local logdir, got the URL {logdir}")
    if not os.path.exists(logdir):
        raise CommandError(f"no such logdir: {logdir}")
    return logdir


def progress(items: Iterable[Any] | None = None, **kwargs: Any) -> tqdm:
    """Return a tqdm bar on stderr that shows itself only when stderr is a terminal.

    >>> list(progress(range(3)))
    [0, 1, 2]
    """
    kwargs.setdefault("file", sys.stderr)
    kwargs.setdefault("disable", None)
    kwargs.setdefault("leave", False)
    kwargs.setdefault("dynamic_ncols", True)
    return tqdm(items, **kwargs)


def table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """Return rows as a plain text table: columns padded, numbers on the right.

    >>> print(table(["run", "count"], [["a", 3], ["bb", 12]]))
    run  count
    a        3
    bb      12
    """
    cells = [[str(h) for h in header]]
    numeric = [True] * len(header)
    for row in rows:
        cells.append([_cell(v) for v in row])
        for i, v in enumerate(row):
            numeric[i] = numeric[i] and isinstance(v, (int, float)) and not isinstance(v, bool)
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = []
    for row in cells:
        parts = [c.rjust(w) if num else c.ljust(w) for c, w, num in zip(row, widths, numeric)]
        lines.append("  ".join(parts).rstrip())
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        # Two decimals for everyday magnitudes keep a column's points aligned.
        return f"{value:.2f}" if 1e-2 <= abs(value) < 1e6 or value == 0 else f"{value:.4g}"
    return str(value)


def command_name() -> str:
    """Return how the user can run this command again: ``neuroboard`` when it is on PATH, else its path.

    After ``make demo`` the command lives in ``.venv/bin``, which is rarely on PATH.

    >>> command_name().endswith(("neuroboard", "neuroboard.cli.main"))
    True
    """
    script = sys.argv[0] if sys.argv else ""
    if os.path.basename(script) == "neuroboard":
        found = shutil.which("neuroboard")
        if found and os.path.realpath(found) == os.path.realpath(script):
            return "neuroboard"
        return os.path.relpath(script) if not os.path.relpath(script).startswith("..") else script
    if shutil.which("neuroboard"):
        return "neuroboard"
    return f"{sys.executable} -m neuroboard.cli.main"
