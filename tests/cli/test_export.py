"""neuroboard export: object store failures in one line, a NUL in --output, a killed export's leftovers."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pandas as pd
import pytest

import neuroboard
from neuroboard.cli.main import main
from tests.cli.test_ls import s3_environment, unreachable_s3
from tests.cli.test_main import assert_one_line_error, run
from tests.stopping import signal_after_first_line

# Runs the command with the CSV writer stopped once the table is in the temporary file: it says
# "written" on stdout and waits for stdin, which the test never closes, until it is killed.
STOPPED_EXPORT = """
import sys
import pandas as pd
from neuroboard.cli.main import main

to_csv = pd.DataFrame.to_csv

def stopped(frame, path, *args, **kwargs):
    to_csv(frame, path, *args, **kwargs)
    print("written", flush=True)
    sys.stdin.read()

pd.DataFrame.to_csv = stopped
sys.exit(main(sys.argv[1:]))
"""


def logdir_of_scalars(folder: Path) -> Path:
    logdir = folder / "logs"
    with neuroboard.SummaryWriter(logdir / "a") as writer:
        for step in range(10):
            writer.add_scalar("x", float(step), step)
    return logdir


def killed_export(logdir: Path, output: Path, signum: int) -> int:
    """Start an export to ``output``, send it ``signum`` with its temporary file written; return its code."""
    line, code = signal_after_first_line(STOPPED_EXPORT, ["export", logdir, "-o", output], signum)
    assert line == "written"
    return code


def test_export_with_an_unreachable_endpoint_is_one_line(tmp_path) -> None:
    result = run("export", "s3://bucket/exp", "-o", tmp_path / "x.csv", env=unreachable_s3())
    assert_one_line_error(result, "export")
    assert "connect" in result.stderr.lower()
    assert os.listdir(tmp_path) == []


def test_export_without_credentials_is_one_line(tmp_path) -> None:
    pytest.importorskip("s3fs")
    pytest.importorskip("moto.server")
    from tests.net import moto_s3

    with moto_s3("no-credentials") as options:
        env = {**s3_environment(), "AWS_ENDPOINT_URL": options["client_kwargs"]["endpoint_url"]}
        result = run("export", "s3://no-credentials/exp", "-o", tmp_path / "x.csv", env=env)
    assert_one_line_error(result, "export")
    assert "credentials" in result.stderr
    assert os.listdir(tmp_path) == []


def test_export_refuses_an_output_with_nul(tmp_path, capsys) -> None:
    logdir = logdir_of_scalars(tmp_path)
    assert main(["export", str(logdir), "-o", str(tmp_path / "a\0b.csv")]) == 2
    error = capsys.readouterr().err
    assert len(error.splitlines()) == 1 and error.startswith("neuroboard export: ")
    assert "'--output'" in error and "NUL" in error
    assert os.listdir(tmp_path) == ["logs"]


def test_a_killed_export_leaves_its_temporary_file_to_the_next_export(tmp_path) -> None:
    logdir = logdir_of_scalars(tmp_path)
    output = tmp_path / "out" / "x.csv"
    output.parent.mkdir()
    assert killed_export(logdir, output, signal.SIGKILL) == -signal.SIGKILL
    (left,) = os.listdir(output.parent)
    assert left.startswith(".x.csv.") and left.endswith(".part")

    result = run("export", logdir, "-o", output)
    assert result.returncode == 0, result.stderr
    assert os.listdir(output.parent) == ["x.csv"]
    expected = neuroboard.collect_events(logdir, type="scalar")
    pd.testing.assert_frame_equal(pd.read_csv(output, dtype={"run": "str"}), expected, check_dtype=False)


def test_an_export_asked_to_stop_removes_its_temporary_file(tmp_path) -> None:
    logdir = logdir_of_scalars(tmp_path)
    output = tmp_path / "out" / "x.csv"
    output.parent.mkdir()
    output.write_text("the table of an earlier export\n")
    assert killed_export(logdir, output, signal.SIGTERM) == 128 + signal.SIGTERM
    assert os.listdir(output.parent) == ["x.csv"]
    assert output.read_text() == "the table of an earlier export\n"
