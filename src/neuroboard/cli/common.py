"""What every ``neuroboard`` subcommand shares: one-line errors and warnings, path and logdir checks,
scratch files that a killed command leaves for the next one to clear, progress bars, tables."""

from __future__ import annotations

import contextlib
import functools
import os
import re
import shutil
import socket
import sys
import tempfile
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar

import click
from tqdm import tqdm

from neuroboard.io.storage import is_url, local_path
from neuroboard.summary.convert import as_path

__all__ = [
    "CommandError",
    "HOST",
    "check_logdir",
    "clear_scratch",
    "Path",
    "one_line_warnings",
    "progress",
    "reports_errors",
    "scratch",
    "table",
]

F = TypeVar("F", bound=Callable[..., Any])

# What the library raises for bad input or a failed read or write; anything else is a bug.
LIBRARY_ERRORS = (OSError, MemoryError, ValueError, TypeError, KeyError)
# botocore's own roots (s3fs lets its connection and credential errors through as they are);
# aiobotocore's errors derive from them. Looked up by name: the CLI does not import botocore.
BOTOCORE_ERRORS = ("BotoCoreError", "ClientError")


def expected(error: BaseException) -> bool:
    """Return whether ``error`` is one the library or the storage under it raises, rather than a bug.

    >>> expected(FileNotFoundError("x")), expected(MemoryError()), expected(ZeroDivisionError())
    (True, True, False)
    """
    if isinstance(error, LIBRARY_ERRORS):
        return True
    # Only an imported botocore can have raised one of its errors.
    exceptions = sys.modules.get("botocore.exceptions")
    roots = tuple(getattr(exceptions, name) for name in BOTOCORE_ERRORS if hasattr(exceptions, name))
    return bool(roots) and isinstance(error, roots)


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
    >>> message(MemoryError())
    'out of memory'
    """
    text = error.args[0] if isinstance(error, KeyError) and error.args else error
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    if isinstance(error, MemoryError):
        # NumPy's text says how much it asked for; Python's MemoryError usually says nothing.
        lines.insert(0, "out of memory" + (":" if lines else ""))
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
        except click.ClickException:
            raise
        except Exception as error:
            if not expected(error):
                raise
            raise CommandError(message(error)) from error

    return wrapper  # type: ignore[return-value]


def _show_warning(shown: Warning | str, category: type, filename: str, lineno: int, *rest: Any) -> None:
    # The library's warnings name what they are about (a file and an offset); where in the
    # library they were raised is of no use to someone at a shell.
    click.echo(f"warning: {message(shown if isinstance(shown, Warning) else Warning(shown))}", err=True)


@contextlib.contextmanager
def one_line_warnings() -> Iterator[None]:
    """Show every warning inside the block as one line on stderr, ``warning: <message>``.

    >>> import io; shown = io.StringIO()
    >>> with contextlib.redirect_stderr(shown), one_line_warnings():
    ...     warnings.warn("a.tfevents: bad record at byte 40")
    >>> print(shown.getvalue(), end="")
    warning: a.tfevents: bad record at byte 40
    """
    with warnings.catch_warnings():
        warnings.showwarning = _show_warning
        yield


class Path(click.Path):
    """click's path type, that refuses a path with NUL as click's error naming the option (exit 2).

    The OS's own error would not say which option held it.

    >>> Path().convert("runs/demo", None, None)
    'runs/demo'
    """

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        """Return ``value`` checked by :func:`~neuroboard.summary.convert.as_path`, then by click."""
        name = param.name if param is not None and param.name else "path"
        try:
            as_path(value, ctx.command_path if ctx else "neuroboard", name)
        except (TypeError, ValueError) as error:
            # click names the option already; keep what was expected and what was given.
            self.fail(str(error).partition("): ")[2] or str(error), param, ctx)
        return super().convert(value, param, ctx)


def check_logdir(logdir: str, *, urls: bool = False) -> str:
    """Return ``logdir`` if it is a folder (or one event file), else raise :class:`CommandError`.

    With ``urls``, an fsspec URL (``s3://bucket/exp``) is taken as it is:
    the reader lists it, with credentials from the environment; without,
    a URL is refused. A ``file://`` URL is the local path it names.

    >>> import tempfile; check_logdir(tempfile.gettempdir()) == tempfile.gettempdir()
    True
    >>> check_logdir("file://" + tempfile.gettempdir()) == tempfile.gettempdir()
    True
    >>> check_logdir("s3://bucket/exp", urls=True)
    's3://bucket/exp'
    """
    if is_url(logdir):
        if urls:
            return logdir
        raise CommandError(f"expected a local logdir, got the URL {logdir}")
    logdir = local_path(logdir)
    if not os.path.exists(logdir):
        raise CommandError(f"no such logdir: {logdir}")
    return logdir


# Scratch names are ``.<name>.<host>.<pid>-<random><suffix>``: whether their maker still runs.
HOST = re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname()) or "host"


def scratch(folder: str, name: str, suffix: str, *, directory: bool = False) -> str:
    """Create and return a hidden file (or folder) in ``folder`` for ``name``.

    :func:`clear_scratch` removes it once this process is gone.

    It has the permissions of any new file or folder, not mkstemp's private ones.

    >>> import tempfile; d = tempfile.mkdtemp(); path = scratch(d, "a.csv", ".part")
    >>> os.path.basename(path).startswith(".a.csv."), path.endswith(".part")
    (True, True)
    """
    prefix = f".{name}.{HOST}.{os.getpid()}-"
    if directory:
        path = tempfile.mkdtemp(suffix, prefix, folder)
        mode = 0o777
    else:
        handle, path = tempfile.mkstemp(suffix, prefix, folder)
        os.close(handle)
        mode = 0o666
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, mode & ~umask)
    return path


def clear_scratch(folder: str, name: str, suffix: str) -> list[str]:
    """Remove the scratch files and folders of ``name`` in ``folder`` whose processes are gone; return them.

    Those of processes still running (another export to the same file) are kept.

    >>> import tempfile; d = tempfile.mkdtemp(); path = scratch(d, "a.csv", ".part")
    >>> clear_scratch(d, "a.csv", ".part"), os.path.exists(path)
    ([], True)
    """
    # Only this host's: a process of another host sharing the folder cannot be asked whether it runs.
    pattern = re.compile(rf"\.{re.escape(name)}\.{re.escape(HOST)}\.(\d+)-.*{re.escape(suffix)}\Z")
    try:
        entries = os.listdir(folder)
    except OSError:
        return []
    cleared = []
    for entry in entries:
        found = pattern.match(entry)
        if found is None or _running(int(found.group(1))):
            continue
        path = os.path.join(folder, entry)
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                os.unlink(path)
        cleared.append(path)
    return cleared


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if os.name == "nt":
        # No signal 0 on Windows; a file another process holds open cannot be removed there anyway.
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # another user's process
    return True


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
