"""The neuroboard command, run as a user runs it: demo, ls, export, serve, convert, and their errors."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import neuroboard
from neuroboard.cli.main import main
from neuroboard.neuro import DataAccumulator
from tests.net import free_port
from tests.tb import multiplexer

COMMANDS = ["demo", "ls", "export", "serve", "convert"]


def run(*args: object, timeout: float = 120, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run ``python -m neuroboard.cli.main ARGS`` (in the environment ``env``) and return what it did."""
    command = [sys.executable, "-m", "neuroboard.cli.main", *map(str, args)]
    return subprocess.run(command, check=False, capture_output=True, text=True, timeout=timeout, env=env)


def assert_one_line_error(result: subprocess.CompletedProcess, command: str, code: int = 1) -> None:
    assert result.returncode == code, result.stderr
    assert result.stderr.startswith(f"neuroboard {command}: ")
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess]:
    logdir = tmp_path_factory.mktemp("cli") / "demo"
    result = run("demo", "--logdir", logdir, "--neurons", 50, "--steps", 300, "--runs", 2)
    assert result.returncode == 0, result.stderr
    return logdir, result


def test_demo_writes_a_sweep_that_tensorboard_reads(demo) -> None:
    logdir, result = demo
    (sweep,) = list(logdir.iterdir())
    assert sorted(p.name for p in sweep.iterdir()) == ["J=-3", "J=5"]
    assert str(sweep.resolve()) in result.stdout
    assert f" serve {sweep.resolve()}" in result.stdout
    assert "mean rate (Hz)" in result.stdout and "J=-3" in result.stdout.splitlines()[-2]

    mux = multiplexer(logdir)
    runs = mux.Runs()
    assert sorted(runs) == [f"{sweep.name}/J=-3", f"{sweep.name}/J=5"]
    for name, tags in runs.items():
        assert {"out", "lif/v_mean", "lif/spikes/rate", "rate/mean", "v/mean"} <= set(tags["scalars"])
        assert {"lif/v", "lif/spikes/raster"} <= set(tags["images"])
        assert {"lif/weights", "lif/v_histogram"} <= set(tags["histograms"])
        assert [e.step for e in mux.Scalars(name, "lif/v_mean")] == list(range(300))
    hparams = mux.PluginRunToTagToContent("hparams")
    assert sorted(hparams) == sorted(runs)


def test_demo_table_matches_what_it_wrote(demo) -> None:
    logdir, result = demo
    metrics = neuroboard.collect_events(logdir, type="scalar", tags="rate/mean")
    rates = metrics.set_index(metrics["run"].str.rpartition("/")[2])["value"]
    table = [line.split() for line in result.stdout.splitlines()[-2:]]
    assert [row[0] for row in table] == ["J=-3", "J=5"]
    for row in table:
        assert float(row[1]) == pytest.approx(rates[row[0]], rel=1e-3)
    assert rates["J=5"] > rates["J=-3"]


def test_demo_twice_into_one_logdir_writes_two_sweeps(tmp_path) -> None:
    for _ in range(2):
        result = run("demo", "--logdir", tmp_path, "--neurons", 10, "--steps", 20, "--runs", 1)
        assert result.returncode == 0, result.stderr
    sweeps = sorted(tmp_path.iterdir())
    assert len(sweeps) == 2
    assert all(os.listdir(sweep) == ["J=1"] for sweep in sweeps)


def test_ls_lists_runs_tags_and_kinds(demo) -> None:
    logdir, _ = demo
    result = run("ls", logdir)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["run", "tag", "kind", "count", "first", "step", "last", "step"]
    rows = {(line.split()[0].rpartition("/")[2], line.split()[1]): line.split()[2:] for line in lines[1:]}
    assert rows["J=-3", "lif/v_mean"] == ["scalars", "300", "0", "299"]
    assert rows["J=5", "lif/spikes/raster"][0] == "images"
    assert rows["J=5", "lif/weights"][0] == "histograms"
    assert rows["J=5", "_hparams_/session_start_info"][0] == "hparams"
    assert [key[0] for key in rows] == sorted(key[0] for key in rows)


@pytest.mark.parametrize("extension", [".csv", ".parquet"])
def test_export_scalars_reads_back_as_collect_events(demo, tmp_path, extension) -> None:
    if extension == ".parquet":
        pytest.importorskip("pyarrow")
    logdir, _ = demo
    output = tmp_path / f"scalars{extension}"
    result = run("export", logdir, "-o", output, "--tag", "lif/*", "--tag", "out")
    assert result.returncode == 0, result.stderr
    back = pd.read_csv(output) if extension == ".csv" else pd.read_parquet(output)
    expected = neuroboard.collect_events(logdir, type="scalar", tags=["lif/*", "out"])
    assert set(expected["tag"]) == {"lif/v_mean", "lif/spikes/rate", "out"}
    pd.testing.assert_frame_equal(back, expected, check_dtype=False)
    assert os.listdir(tmp_path) == [output.name]


def test_export_summaries_as_numbers_and_text(demo, tmp_path) -> None:
    logdir, _ = demo
    output = tmp_path / "summaries.csv"
    result = run("export", logdir, "-o", output, "--type", "summary", "--run", "*J=5")
    assert result.returncode == 0, result.stderr
    back = pd.read_csv(output, keep_default_na=False, na_values={"value": [""]})
    expected = neuroboard.collect_events(logdir, type="summary", runs="*J=5")
    assert list(back.columns) == ["run", "tag", "step", "wall_time", "plugin", "value", "text"]
    pd.testing.assert_frame_equal(back[expected.columns[:5]], expected.iloc[:, :5], check_dtype=False)
    scalars = expected["plugin"] == "scalars"
    np.testing.assert_allclose(
        back["value"][scalars], neuroboard.value(expected["summary"][scalars], as_list=True)
    )
    assert back["text"][back["tag"] == "lif/spikes/raster"].tolist() == ["image 50x300"]
    assert back["value"][~scalars].isna().all()


def test_export_events_as_text_with_many_runs(tmp_path) -> None:
    logdir = tmp_path / "logs"
    for i in range(12):
        with neuroboard.SummaryWriter(logdir / f"run{i:02d}") as writer:
            writer.add_scalar("x", float(i), 0)
            writer.add_text("note", f"run {i}", 1)
    output = tmp_path / "events.csv"
    result = run("export", logdir, "-o", output, "--type", "any")
    assert result.returncode == 0, result.stderr
    back = pd.read_csv(output)
    expected = neuroboard.collect_events(logdir)
    pd.testing.assert_frame_equal(back.iloc[:, :4], expected.iloc[:, :4], check_dtype=False)
    assert back["event"].str.contains('tag: "note/text_summary"').sum() == 12


def make_hdf5(folder: Path) -> Path:
    rng = np.random.default_rng(0)
    with DataAccumulator(folder, "lif", configurables={"tau": 20.0}) as acc:
        for _ in range(40):
            acc.append(v=rng.random(4), spikes=rng.random(4) < 0.2, w=rng.random((3, 3)))
    return acc.path


def test_convert_writes_the_datasets_as_tags(tmp_path) -> None:
    path = make_hdf5(tmp_path)
    result = run("convert", path, tmp_path / "logs" / "run")
    assert result.returncode == 0, result.stderr
    result = run(
        "convert", path, tmp_path / "logs" / "traces", "--key", "v", "--format", "scalar", "--name", "L1"
    )
    assert result.returncode == 0, result.stderr
    runs = multiplexer(tmp_path / "logs").Runs()
    assert sorted(runs["run"]["images"]) == [
        "lif/N0/v",
        "lif/N1/v",
        "lif/N2/v",
        "lif/N3/v",
        "lif/raster",
        "lif/w",
    ]
    # Sapicore's runs: neuron j is the tag L1/N<j> of the sub-run L1_N<j>_v.
    assert {run: runs[run]["scalars"] for run in runs if runs[run]["scalars"]} == {
        f"traces/L1_N{j}_v": [f"L1/N{j}"] for j in range(4)
    }
    assert sorted(os.listdir(tmp_path / "logs")) == ["run", "traces"]


def test_convert_rejects_bad_input_without_writing(tmp_path) -> None:
    not_hdf5 = tmp_path / "notes.h5"
    not_hdf5.write_text("not HDF5")
    assert_one_line_error(run("convert", not_hdf5, tmp_path / "out" / "run"), "convert")
    assert_one_line_error(run("convert", tmp_path / "missing.h5", tmp_path / "out" / "run"), "convert")
    path = make_hdf5(tmp_path)
    assert_one_line_error(run("convert", path, tmp_path / "out" / "run", "--key", "nope"), "convert")
    assert_one_line_error(
        run("convert", path, tmp_path / "out" / "run", "--key", "v", "--kind", "raster"), "convert"
    )
    assert sorted(os.listdir(tmp_path)) == ["lif.h5", "notes.h5"]


def test_missing_logdir_is_one_line(tmp_path) -> None:
    missing = tmp_path / "nowhere"
    for args in (["ls"], ["export", "-o", tmp_path / "out.csv"], ["serve", "--port", free_port()]):
        result = run(args[0], missing, *args[1:])
        assert_one_line_error(result, args[0])
        assert result.stderr.strip() == f"neuroboard {args[0]}: no such logdir: {missing}"
    assert os.listdir(tmp_path) == []


def test_export_rejects_bad_options_without_writing(demo, tmp_path) -> None:
    logdir, _ = demo
    assert_one_line_error(run("export", logdir, "-o", tmp_path / "a.csv", "--type", "nope"), "export", code=2)
    assert_one_line_error(run("export", logdir, "-o", tmp_path / "a.json"), "export", code=2)
    result = run("export", logdir, "-o", tmp_path / "missing" / "a.csv")
    assert_one_line_error(result, "export")
    assert "no such folder" in result.stderr
    assert os.listdir(tmp_path) == []


def test_serve_refuses_a_port_in_use(demo) -> None:
    logdir, _ = demo
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run("serve", logdir, "--port", port)
    assert_one_line_error(result, "serve")
    assert result.stderr.strip() == f"neuroboard serve: port {port} is in use on 127.0.0.1"


def test_serve_runs_tensorboard_on_the_logdir(demo) -> None:
    logdir, _ = demo
    port = free_port()
    command = [sys.executable, "-m", "neuroboard.cli.main", "serve", str(logdir), "--port", str(port)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert process.stdout.readline().strip().endswith(f"at http://127.0.0.1:{port}/ (Ctrl-C to stop)")
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/data/runs", timeout=5) as response:
                    runs = response.read().decode()
                break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline
                time.sleep(0.1)
        assert "J=-3" in runs and "J=5" in runs
        # Every frame is served: the sampling flag must keep images, not drop them.
        run_name = next(name for name in json.loads(runs) if name.endswith("J=5"))
        query = urllib.parse.urlencode({"run": run_name, "tag": "lif/v"})
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/data/plugin/images/images?{query}") as response:
            assert len(json.loads(response.read())) >= 1
    finally:
        process.terminate()
        process.wait(timeout=30)
    # TensorBoard stopped with the command: its port is free again.
    deadline = time.monotonic() + 30
    while True:
        try:
            with socket.socket() as probe:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                probe.bind(("127.0.0.1", port))
            break
        except OSError:
            assert time.monotonic() < deadline
            time.sleep(0.1)


@pytest.mark.parametrize("command", [[], *([c] for c in COMMANDS)])
def test_help_exits_zero(command, capsys) -> None:
    assert main([*command, "--help"]) == 0
    assert capsys.readouterr().out.startswith(f"Usage: neuroboard {' '.join(command)}".rstrip())


def test_console_script_is_installed(tmp_path) -> None:
    script = shutil.which("neuroboard", path=str(Path(sys.executable).parent)) or shutil.which("neuroboard")
    assert script is not None
    result = subprocess.run(
        [script, "ls", tmp_path / "nowhere"], check=False, capture_output=True, text=True, timeout=120
    )
    assert_one_line_error(result, "ls")
    result = subprocess.run([script, "--help"], check=False, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0
    assert all(command in result.stdout for command in COMMANDS)


def test_export_shows_a_progress_bar_on_a_terminal(tmp_path) -> None:
    pty = pytest.importorskip("pty")
    import fcntl
    import struct
    import termios

    logdir = tmp_path / "logs"
    for i in range(12):
        with neuroboard.SummaryWriter(logdir / f"run{i:02d}") as writer:
            writer.add_scalar("x", float(i), 0)
    master, terminal = pty.openpty()
    try:
        fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
        command = [
            sys.executable,
            "-m",
            "neuroboard.cli.main",
            "export",
            str(logdir),
            "-o",
            str(tmp_path / "x.csv"),
        ]
        result = subprocess.run(command, check=False, stdout=subprocess.PIPE, stderr=terminal, timeout=120)
        os.set_blocking(master, False)
        shown = os.read(master, 1 << 16).decode(errors="replace")
    finally:
        os.close(master)
        os.close(terminal)
    assert result.returncode == 0
    assert "export:" in shown and "/12" in shown


def test_ls_and_export_read_an_s3_logdir(tmp_path) -> None:
    pytest.importorskip("s3fs")
    pytest.importorskip("moto.server")
    from tests.net import aws_environment, moto_s3

    with moto_s3("cli-test") as options:
        url = "s3://cli-test/exp"
        values = np.linspace(0.0, 1.0, 20)
        for run_name in ("a", "b"):
            with neuroboard.SummaryWriter(f"{url}/{run_name}", storage_options=options) as writer:
                writer.add_series("loss", values)
                writer.add_text("note", "hello", 0)
        # The command takes its credentials from the environment, as botocore reads them.
        env = {**os.environ, **aws_environment(options)}
        command = [sys.executable, "-m", "neuroboard.cli.main"]
        listed = subprocess.run(
            [*command, "ls", url], env=env, capture_output=True, text=True, timeout=120, check=False
        )
        assert listed.returncode == 0, listed.stderr
        rows = {tuple(line.split()[:3]): line.split()[3:] for line in listed.stdout.splitlines()[1:]}
        assert rows == {
            ("a", "loss", "scalars"): ["20", "0", "19"],
            ("a", "note/text_summary", "text"): ["1", "0", "0"],
            ("b", "loss", "scalars"): ["20", "0", "19"],
            ("b", "note/text_summary", "text"): ["1", "0", "0"],
        }
        output = tmp_path / "loss.csv"
        exported = subprocess.run(
            [*command, "export", url, "-o", str(output)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert exported.returncode == 0, exported.stderr
        pd.testing.assert_frame_equal(
            pd.read_csv(output, dtype={"run": "str", "tag": "str"}),
            neuroboard.collect_events(url, type="scalar", storage_options=options),
            check_dtype=False,
        )
