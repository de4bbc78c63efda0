"""The neuroboard command: the demo writes a run that TensorBoard reads."""

from __future__ import annotations

import subprocess
import sys

from neuroboard.cli.main import main
from tests.tb import multiplexer


def test_demo_writes_a_readable_run(tmp_path, capsys) -> None:
    logdir = tmp_path / "demo"
    assert main(["demo", "--logdir", str(logdir), "--steps", "40"]) == 0
    out = capsys.readouterr().out
    assert str(logdir) in out
    assert f"tensorboard --logdir {tmp_path}" in out
    mux = multiplexer(tmp_path)
    assert "demo" in mux.Runs()
    assert [e.step for e in mux.Scalars("demo", "loss/train")] == list(range(40))
    assert len(mux.Scalars("demo/rate_exc", "rate")) == 40
    assert len(mux.Scalars("demo/membrane_mean_v_pop2", "membrane/mean_v")) == 40


def test_console_script_reports_errors_in_one_line(tmp_path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    result = subprocess.run(
        [sys.executable, "-m", "neuroboard.cli.main", "demo", "--logdir", str(blocker / "run"), "--steps", "5"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert result.stderr.startswith("neuroboard demo: ")
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
