"""The storage of a logdir: local or behind a URL, decided once; the local side never touches fsspec."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import textwrap

import pytest
from hypothesis import given
from hypothesis import strategies as st

from neuroboard.format.records import frame_record
from neuroboard.io.storage import (
    AppendingStorage,
    LocalStorage,
    NotRegularFile,
    PuttingStorage,
    Storage,
    absolute,
    folder_prefix,
    is_url,
    open_storage,
)

SRC = pathlib.Path(__file__).resolve().parents[2] / "src"


@given(st.text(alphabet=st.sampled_from("ab:/\\.s3file "), max_size=12))
def test_is_url_follows_fsspecs_protocol_rule(path) -> None:
    from fsspec.utils import get_protocol

    assert is_url(path) == (get_protocol(path) != "file")


def test_paths_and_urls_are_told_apart_once(tmp_path) -> None:
    assert type(open_storage(tmp_path)) is LocalStorage
    assert type(open_storage(f"file://{tmp_path}")) is LocalStorage
    assert type(open_storage("memory://exp")).__name__ == "RemoteStorage"
    assert absolute("s3://b/exp") == "s3://b/exp" and absolute("exp") == os.path.abspath("exp")
    assert folder_prefix("s3://b/exp") == "s3://b/exp/"
    assert folder_prefix(str(tmp_path) + os.sep) == str(tmp_path) + os.sep


def test_a_file_url_is_its_local_path(tmp_path) -> None:
    assert open_storage(f"file://{tmp_path}").root == str(tmp_path)
    assert absolute(f"file://{tmp_path}") == str(tmp_path)


def test_a_file_url_round_trip_writes_and_reads_the_local_folder(tmp_path, monkeypatch) -> None:
    import neuroboard as nb

    # A writer that took the URL for a relative path would make ./file: here.
    monkeypatch.chdir(tmp_path)
    logdir = tmp_path / "exp"
    url = f"file://{logdir}"
    with nb.SummaryWriter(url) as writer:
        writer.add_series("loss", [0.5, 0.25])
        writer.add_scalars("m", {"a": 1.0}, 0)
    assert sorted(os.listdir(tmp_path)) == ["exp"]
    table = nb.collect_events(url, type="scalar")
    assert table["run"].tolist() == [".", ".", "m_a"] and table["value"].tolist() == [0.5, 0.25, 1.0]
    assert table.equals(nb.collect_events(logdir, type="scalar"))
    pytest.importorskip("dask")
    from neuroboard.dask import read_scalars

    assert read_scalars(url).compute(scheduler="sync").equals(table)


def test_each_storage_has_the_writing_operations_of_its_kind(tmp_path) -> None:
    local, remote = open_storage(tmp_path), open_storage("memory://kinds")
    assert isinstance(local, Storage) and isinstance(remote, Storage)
    assert isinstance(local, AppendingStorage) and local.appends
    assert not isinstance(local, PuttingStorage) and not hasattr(local, "put")
    assert isinstance(remote, PuttingStorage) and not remote.appends
    assert not isinstance(remote, AppendingStorage) and not hasattr(remote, "create")


def _event_file(folder: pathlib.Path, name: str, payloads: list[bytes]) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"events.out.tfevents.{name}"
    path.write_bytes(b"".join(frame_record(p) for p in payloads))
    return str(path)


def test_local_runs_list_event_files_in_name_order_without_sizes(tmp_path) -> None:
    b = _event_file(tmp_path / "train", "2.h", [b"b"])
    a = _event_file(tmp_path / "train", "1.h", [b"a"])
    top = _event_file(tmp_path, "1.h", [b"t"])
    (tmp_path / "notes.txt").write_text("not an event file")
    storage = open_storage(tmp_path)
    assert storage.found() and storage.appends and storage.lists_cheaply
    assert storage.runs() == {".": [(top, None)], "train": [(a, None), (b, None)]}
    assert [storage.name(path) for path, _ in storage.runs()["train"]] == [a, b]
    # One event file is the run "." where a reader is given it, and no run for a listing of folders.
    one = open_storage(a)
    assert one.runs() == {".": [(a, None)]} and one.runs(file_run=False) == {}
    missing = open_storage(tmp_path / "nowhere")
    assert not missing.found() and missing.runs() == {} and missing.missing == "no such file or directory"


def test_local_open_reads_any_byte_range(tmp_path) -> None:
    path = _event_file(tmp_path, "1.h", [b"abc", b"defgh"])
    storage = open_storage(tmp_path)
    file, size = storage.open(path)
    with file:
        file.seek(12)
        assert file.read(3) == b"abc"
    assert size == storage.size(path) == os.path.getsize(path) == 2 * 16 + 8


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs os.mkfifo")
def test_local_open_refuses_what_is_not_a_regular_file(tmp_path) -> None:
    fifo = tmp_path / "events.out.tfevents.1.h"
    os.mkfifo(fifo)
    with pytest.raises(NotRegularFile, match="a FIFO, not a regular file"):
        LocalStorage(str(tmp_path)).open(str(fifo))


def test_local_create_is_exclusive_and_sorts_after(tmp_path) -> None:
    storage = open_storage(tmp_path / "run")
    paths = []
    for _ in range(3):
        path, fd = storage.create(".v2")
        os.close(fd)
        paths.append(path)
    assert paths == sorted(paths) and len(set(paths)) == 3 and all(p.endswith(".v2") for p in paths)
    assert [path for path, _ in storage.runs()["."]] == paths


def test_local_stamps_change_when_a_file_grows(tmp_path) -> None:
    path = _event_file(tmp_path, "1.h", [b"a"])
    storage = open_storage(tmp_path)
    before = storage.stamps(storage.runs())
    assert before == [(path, 17, os.stat(path).st_mtime_ns)]
    with open(path, "ab") as file:
        file.write(frame_record(b"b"))
    after = storage.stamps(storage.runs())
    assert after[0][:2] == (path, 34) and after != before


def test_local_files_are_written_whole(tmp_path) -> None:
    files = open_storage(tmp_path).files()
    files.write("00000/default/tensors.tsv", b"1\t2\n")
    assert (tmp_path / "00000" / "default" / "tensors.tsv").read_bytes() == b"1\t2\n"


# Runs in a fresh interpreter where importing fsspec fails: every local read and write path
# must get by without it.
_NO_FSSPEC = """
import sys
sys.modules["fsspec"] = None
import os, tempfile
import numpy as np
import neuroboard as nb
from neuroboard.io import EventWriter, iter_events, read_events, read_records, run_files
from neuroboard.io.assets import logdir_files

d = tempfile.mkdtemp()
with nb.SummaryWriter(os.path.join(d, "a"), flush_secs=0, max_file_bytes=200) as w:
    for step in range(40):
        w.add_scalar("x", float(step), step)
        w.flush()
    w.add_series("y", np.arange(5.0))
    w.add_text("note", "hello", 0)
with nb.Logger(d, experiment="b") as logger:
    logger.add_scalar("x", 1.0, 0)
with nb.with_logdir(d):
    nb.log_event(step=0, c={"x": 1.0})
from neuroboard.api.functional import flush_all
flush_all(close=True)
EventWriter(os.path.join(d, "e"), fsync=True).close()
logdir_files(d).write("projector/x.tsv", b"1")
frame = nb.collect_events(d, type="scalar")
assert len(frame) == 40 + 5 + 1 + 1, len(frame)
assert len(nb.collect_events(d, type="summary")) == len(frame) + 1
conn = nb.events_logdir(d)
assert len(nb.collect_events(conn, type="scalar")) == len(frame)
assert len(nb.collect_events(conn, type="scalar")) == 0
runs = run_files(d)
assert len(runs["a"]) > 1, runs
path = runs["a"][0]
assert next(read_events(path)).file_version == "brain.Event:2"
assert len(list(read_records(path))) >= 1 and len(list(iter_events(d))) > len(frame)
assert "fsspec" not in sys.modules or sys.modules["fsspec"] is None
print("ok")
"""


def test_local_paths_never_import_fsspec(tmp_path) -> None:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]))
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_NO_FSSPEC)],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
