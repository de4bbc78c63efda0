"""What the subcommands share: which errors become one line, and which scratch files count as leftovers."""

from __future__ import annotations

import errno
import os
import subprocess
import sys

import click
import pytest

from neuroboard.cli import ls as ls_module
from neuroboard.cli.common import reports_errors
from neuroboard.cli.main import main


@pytest.mark.parametrize(
    ("error", "shown"),
    [
        (MemoryError(), "out of memory"),
        (MemoryError("Unable to allocate 8.00 TiB"), "out of memory: Unable to allocate 8.00 TiB"),
        (OSError(errno.EIO, "Input/output error", "runs/a"), "[Errno 5] Input/output error: 'runs/a'"),
        (ValueError("f(type=...): expected\na type, got 'x'"), "f(type=...): expected a type, got 'x'"),
    ],
)
def test_expected_errors_are_one_line(tmp_path, monkeypatch, capsys, error, shown) -> None:
    def fail(*args, **kwargs):
        raise error

    monkeypatch.setattr(ls_module, "collect_events", fail)
    assert main(["ls", str(tmp_path)]) == 1
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"neuroboard ls: {shown}")


def test_botocore_errors_are_one_line_without_botocore_imported_first() -> None:
    exceptions = pytest.importorskip("botocore.exceptions")
    script = (
        "import sys, click\n"
        "from neuroboard.cli.common import reports_errors\n"
        "assert 'botocore' not in sys.modules\n"
        "from botocore.exceptions import EndpointConnectionError, NoCredentialsError\n"
        "for error in (EndpointConnectionError(endpoint_url='http://127.0.0.1:9'), NoCredentialsError()):\n"
        "    def fail(): raise error\n"
        "    try: reports_errors(fail)()\n"
        "    except click.ClickException as shown: print(shown.format_message())\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        str(exceptions.EndpointConnectionError(endpoint_url="http://127.0.0.1:9")),
        "Unable to locate credentials",
    ]


def test_a_bug_keeps_its_traceback() -> None:
    @reports_errors
    def broken() -> None:
        raise ZeroDivisionError("a bug")

    with pytest.raises(ZeroDivisionError):
        broken()


def test_click_errors_pass_through() -> None:
    @reports_errors
    def refused() -> None:
        raise click.BadParameter("no", param_hint="'--x'")

    with pytest.raises(click.BadParameter):
        refused()


def test_scratch_of_a_process_that_runs_is_kept(tmp_path) -> None:
    from neuroboard.cli.common import clear_scratch, scratch

    # Another export to the same file, still running, is not a leftover.
    path = scratch(str(tmp_path), "x.csv", ".part")
    assert clear_scratch(str(tmp_path), "x.csv", ".part") == []
    assert os.path.exists(path)


def test_scratch_of_a_process_that_ended_is_cleared(tmp_path) -> None:
    from neuroboard.cli.common import clear_scratch

    script = (
        "import sys; from neuroboard.cli.common import scratch\nprint(scratch(sys.argv[1], 'x.csv', '.part'))"
    )
    result = subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True)
    left = result.stdout.strip()
    other = tmp_path / ".y.csv.unrelated.part"
    other.write_text("")
    assert os.path.exists(left)
    assert clear_scratch(str(tmp_path), "x.csv", ".part") == [left]
    assert sorted(os.listdir(tmp_path)) == [other.name]
