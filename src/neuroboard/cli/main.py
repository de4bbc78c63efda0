"""The ``neuroboard`` command: ``demo``, ``ls``, ``export``, ``serve`` and ``convert``.

Exit codes: 0 when the command did its work, 1 when it could not (a missing logdir, a file
that is not HDF5, a port in use, ...), 2 for a command line it does not understand. Every
error is one line on stderr, and so is every warning (``warning: <message>``).

>>> main(["--help"])  # doctest: +ELLIPSIS
Usage: neuroboard [OPTIONS] COMMAND [ARGS]...
...
0
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from collections.abc import Iterator
from typing import Any

import click

from neuroboard import __version__
from neuroboard.cli.common import one_line_warnings
from neuroboard.cli.convert import convert
from neuroboard.cli.demo import demo
from neuroboard.cli.export import export
from neuroboard.cli.ls import ls
from neuroboard.cli.serve import serve

__all__ = ["cli", "main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="neuroboard")
def cli() -> None:
    """Write simulations as TensorBoard runs, look into logdirs, export them, serve them."""


for _command in (demo, ls, export, serve, convert):
    cli.add_command(_command)


def main(argv: list[str] | None = None) -> int:
    """Run the ``neuroboard`` command with ``argv`` (default: the process's arguments); return its exit code.

    >>> main(["ls", "/no/such/logdir"])
    1
    """
    with one_line_warnings(), _terminate_as_exit():
        return _run(argv)


@contextlib.contextmanager
def _terminate_as_exit() -> Iterator[None]:
    """Turn SIGTERM into SystemExit inside the block, so that a command's cleanup runs when it is killed."""
    if not hasattr(signal, "SIGTERM") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _run(argv: list[str] | None) -> int:
    try:
        code = cli.main(args=argv, prog_name="neuroboard", standalone_mode=False)
    except click.exceptions.NoArgsIsHelpError as error:
        click.echo(error.ctx.get_help() if error.ctx else error.format_message(), err=True)
        return error.exit_code
    except click.UsageError as error:
        where = error.ctx.command_path if error.ctx else "neuroboard"
        click.echo(f"{where}: {error.format_message().rstrip('.')} (see '{where} --help')", err=True)
        return error.exit_code
    except click.ClickException as error:
        error.show()
        return error.exit_code
    except click.Abort:
        click.echo("neuroboard: interrupted", err=True)
        return 130
    return code if isinstance(code, int) else 0


if __name__ == "__main__":
    sys.exit(main())
