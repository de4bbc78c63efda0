"""neuroboard demo: bad options named, and no partial sweep among the runs after a full disk or a kill."""

from __future__ import annotations

import errno
import os
import signal

import neuroboard
from neuroboard.cli import demo as demo_module
from neuroboard.cli.main import main
from neuroboard.io import writer as writer_module
from tests.cli.test_main import assert_one_line_error, run
from tests.stopping import signal_after_first_line
from tests.tb import multiplexer

SMALL = ["--neurons", "10", "--steps", "20", "--runs", "2"]

# Runs the demo with its first network written and flushed, then says "written" on stdout and
# waits for stdin, which the test never closes, until it is killed.
STOPPED_DEMO = """
import sys
from neuroboard.cli import demo
from neuroboard.cli import demo as demo_module
from neuroboard.cli.main import main

simulate = demo._simulate

def stopped(writer, *args):
    simulate(writer, *args)
    writer.flush()
    print("written", flush=True)
    sys.stdin.read()

demo._simulate = stopped
sys.exit(main(sys.argv[1:]))
"""


def assert_nothing_listed(logdir) -> None:
    assert multiplexer(logdir).Runs() == {}
    assert neuroboard.collect_events(logdir).empty


def test_demo_names_a_negative_seed() -> None:
    result = run("demo", "--seed", -1, *SMALL)
    assert_one_line_error(result, "demo", code=2)
    assert "'--seed'" in result.stderr


def test_demo_refuses_a_logdir_with_nul(tmp_path, capsys) -> None:
    assert main(["demo", "--logdir", str(tmp_path / "a\0b"), *SMALL]) == 2
    error = capsys.readouterr().err
    assert len(error.splitlines()) == 1 and error.startswith("neuroboard demo: ")
    assert "'--logdir'" in error and "NUL" in error
    assert os.listdir(tmp_path) == []


def full(fd: int, data: bytes) -> int:
    """The writer's ``_write`` on a full disk."""
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_demo_into_a_full_disk_leaves_no_partial_sweep(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setattr(writer_module, "_write", full)
    assert main(["demo", "--logdir", str(tmp_path / "logs" / "demo"), *SMALL]) == 1
    error = capsys.readouterr().err
    assert len(error.splitlines()) == 1 and error.startswith("neuroboard demo: ")
    assert os.strerror(errno.ENOSPC) in error
    # Neither the sweep nor its staging folder, nor the folders made for them.
    assert os.listdir(tmp_path) == []


def test_demo_into_a_full_disk_keeps_the_earlier_sweeps(tmp_path, monkeypatch) -> None:
    logdir = tmp_path / "demo"
    assert run("demo", "--logdir", logdir, *SMALL).returncode == 0
    before = neuroboard.collect_events(logdir)
    monkeypatch.setattr(writer_module, "_write", full)
    assert main(["demo", "--logdir", str(logdir), *SMALL]) == 1
    assert os.listdir(tmp_path) == ["demo"]
    assert len(os.listdir(logdir)) == 1
    assert neuroboard.collect_events(logdir).equals(before)


def test_a_killed_demo_leaves_nothing_tensorboard_lists(tmp_path) -> None:
    logdir = tmp_path / "demo"
    line, code = signal_after_first_line(STOPPED_DEMO, ["demo", "--logdir", logdir, *SMALL], signal.SIGKILL)
    assert (line, code) == ("written", -signal.SIGKILL)
    assert os.listdir(logdir) == []
    assert_nothing_listed(logdir)
    (staging,) = (name for name in os.listdir(tmp_path) if name != "demo")
    assert staging.startswith(".demo.") and os.listdir(tmp_path / staging) == ["J=-3"]

    # The next demo clears what the killed one left.
    result = run("demo", "--logdir", logdir, *SMALL)
    assert result.returncode == 0, result.stderr
    assert os.listdir(tmp_path) == ["demo"]
    (sweep,) = os.listdir(logdir)
    assert sorted(multiplexer(logdir).Runs()) == [f"{sweep}/J=-3", f"{sweep}/J=5"]


def test_demo_stages_inside_a_logdir_whose_parent_it_cannot_write(tmp_path, monkeypatch, capsys) -> None:
    logdir = tmp_path / "demo"
    logdir.mkdir()
    staged = []
    sweep = demo_module._sweep
    monkeypatch.setattr(demo_module.os, "access", lambda path, mode: os.path.realpath(path) != str(tmp_path))
    monkeypatch.setattr(
        demo_module, "_sweep", lambda folder, *args: staged.append(folder) or sweep(folder, *args)
    )
    assert main(["demo", "--logdir", str(logdir), *SMALL]) == 0, capsys.readouterr().err
    assert os.path.dirname(staged[0]) == str(logdir)
    assert os.path.basename(staged[0]).startswith(".sweep.")
    assert os.listdir(tmp_path) == ["demo"]
    (name,) = os.listdir(logdir)
    assert sorted(multiplexer(logdir).Runs()) == [f"{name}/J=-3", f"{name}/J=5"]
