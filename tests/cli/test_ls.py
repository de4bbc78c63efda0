"""neuroboard ls: an object store that cannot be reached or signed for, damaged files: one line each."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import pytest

import neuroboard
from neuroboard.cli.main import main
from tests.cli.test_main import assert_one_line_error, run
from tests.net import REGION, free_port


def unreachable_s3() -> dict[str, str]:
    """Return an environment whose S3 endpoint is a loopback port nothing listens on, with credentials."""
    pytest.importorskip("s3fs")
    return {
        **s3_environment(),
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}",
    }


def s3_environment() -> dict[str, str]:
    """Return this environment without AWS settings, with no config files and no EC2 metadata lookup."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    env.update(
        AWS_CONFIG_FILE="/nonexistent",
        AWS_SHARED_CREDENTIALS_FILE="/nonexistent",
        AWS_EC2_METADATA_DISABLED="true",
        AWS_DEFAULT_REGION=REGION,
        # One attempt: the endpoint refuses at once, retries would only repeat it.
        AWS_MAX_ATTEMPTS="1",
    )
    return env


def test_ls_with_an_unreachable_endpoint_is_one_line() -> None:
    result = run("ls", "s3://bucket/exp", env=unreachable_s3())
    assert_one_line_error(result, "ls")
    assert "connect" in result.stderr.lower()


def test_ls_without_credentials_is_one_line() -> None:
    pytest.importorskip("s3fs")
    pytest.importorskip("moto.server")
    from tests.net import moto_s3

    with moto_s3("no-credentials") as options:
        env = {**s3_environment(), "AWS_ENDPOINT_URL": options["client_kwargs"]["endpoint_url"]}
        result = run("ls", "s3://no-credentials/exp", env=env)
    assert_one_line_error(result, "ls")
    assert "credentials" in result.stderr


def damaged_logdir(folder: Path) -> tuple[Path, Path]:
    """Write five scalars into one run and flip a byte in two records; return the logdir and the file."""
    logdir = folder / "logs"
    with neuroboard.SummaryWriter(logdir / "a") as writer:
        for step in range(5):
            writer.add_scalar("x", float(step), step)
    (path,) = (logdir / "a").iterdir()
    data = bytearray(path.read_bytes())
    data[60] ^= 0xFF
    data[-10] ^= 0xFF
    path.write_bytes(bytes(data))
    return logdir, path


def test_ls_shows_each_damage_warning_in_one_line(tmp_path) -> None:
    logdir, path = damaged_logdir(tmp_path)
    result = run("ls", logdir)
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 2, result.stderr
    for line in lines:
        assert line.startswith(f"warning: {path}: ") and " byte " in line, line
    assert "neuroboard/io" not in result.stderr
    assert result.stdout.splitlines()[1].split() == ["a", "x", "scalars", "3", "1", "3"]


def test_one_line_warnings_are_the_cli_s_only(tmp_path, capsys) -> None:
    # Importing or running the command leaves Python's own warnings to the rest of the process.
    logdir, path = damaged_logdir(tmp_path)
    shown = warnings.showwarning
    assert main(["ls", str(logdir)]) == 0
    assert capsys.readouterr().err.startswith(f"warning: {path}: ")
    assert warnings.showwarning is shown
    with pytest.warns(neuroboard.io.reader.CorruptRecordWarning):
        neuroboard.collect_events(logdir)


def test_ls_refuses_a_logdir_with_nul(capsys) -> None:
    assert main(["ls", "runs\0x"]) == 2
    error = capsys.readouterr().err
    assert len(error.splitlines()) == 1 and error.startswith("neuroboard ls: ")
    assert "'LOGDIR'" in error and "NUL" in error


def test_ls_takes_a_file_url_as_the_folder_it_names(tmp_path) -> None:
    with neuroboard.SummaryWriter(tmp_path / "logs" / "a") as writer:
        writer.add_scalar("x", 1.0, 0)
    by_path, by_url = run("ls", tmp_path / "logs"), run("ls", f"file://{tmp_path / 'logs'}")
    assert by_url.returncode == 0, by_url.stderr
    assert by_url.stdout == by_path.stdout and "x" in by_url.stdout
