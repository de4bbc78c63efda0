"""Logdirs on S3 (a moto server on loopback): one new object per flush, read back value for value."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import numpy as np
import pytest

pytest.importorskip("s3fs")
pytest.importorskip("boto3")
pytest.importorskip("moto.server")

import neuroboard as nb
from neuroboard.api.functional import flush_all
from neuroboard.format.records import frame_record
from neuroboard.io import EventsLogdir, EventWriter, read_events, run_files
from neuroboard.io.files import next_event_name
from neuroboard.io.remote import RemoteStorage, is_url, url_fs
from neuroboard.io.storage import open_storage
from tests.forking import log_in_forked_child
from tests.net import aws_environment, moto_s3

BUCKET = "neuroboard-test"


@pytest.fixture(scope="module")
def s3():
    """Return the storage options of a fresh moto S3 server, also set in the environment."""
    with moto_s3(BUCKET) as options, pytest.MonkeyPatch.context() as mp:
        # botocore reads these: s3fs with no options (SummaryWriter, log_event) reaches the server.
        for name, value in aws_environment(options).items():
            mp.setenv(name, value)
        yield options


@pytest.fixture
def url(s3) -> str:
    return f"s3://{BUCKET}/{uuid.uuid4().hex}"


class Spy:
    """Counts the requests one fsspec instance makes, by wrapping its sync methods."""

    def __init__(self, monkeypatch, fs) -> None:
        self.calls: dict[str, int] = {}
        self.uploaded = 0
        for name in ("find", "ls", "cat_file", "pipe_file", "open", "info", "cat"):
            monkeypatch.setattr(fs, name, self._wrap(name, getattr(fs, name)))

    def _wrap(self, name, method):
        def wrapper(*args, **kwargs):
            self.calls[name] = self.calls.get(name, 0) + 1
            if name == "pipe_file":
                self.uploaded += len(args[1] if len(args) > 1 else kwargs["value"])
            return method(*args, **kwargs)

        return wrapper


def _objects(url: str) -> dict[str, int]:
    fs, root = url_fs(url)
    fs.invalidate_cache()
    return {path: info["size"] for path, info in fs.find(root, detail=True).items()}


def test_summary_writer_puts_one_object_per_flush_and_reads_back(url, monkeypatch):
    fs, _root = url_fs(url)
    spy = Spy(monkeypatch, fs)
    rng = np.random.default_rng(0)
    written = rng.normal(size=30)
    paths = []
    with nb.SummaryWriter(url, flush_secs=0) as writer:
        for chunk in np.split(np.arange(30), 3):
            for step in chunk:
                writer.add_scalar("loss", float(written[step]), int(step))
            writer.flush()
            paths.append(writer._writer.path)
            writer.flush()  # nothing new: no object
    objects = _objects(url)
    assert len(objects) == 3 == spy.calls["pipe_file"]
    assert [fs.unstrip_protocol(p) for p in sorted(objects)] == paths
    # Linear: each byte is put once, and nothing is read back or rewritten.
    assert spy.uploaded == sum(objects.values()) == writer._writer.bytes_uploaded
    assert "cat_file" not in spy.calls and "open" not in spy.calls
    for path in paths:
        assert next(read_events(path)).file_version == "brain.Event:2"

    spy.calls.clear()
    frame = nb.collect_events(url, type="scalar")
    np.testing.assert_array_equal(frame["value"].to_numpy(), written.astype(np.float32))
    assert frame["step"].tolist() == list(range(30)) and set(frame["run"]) == {"."}
    # One listing per read, one ranged read per object (they are far below a chunk).
    assert spy.calls == {"find": 1, "cat_file": 3}


def test_small_chunks_read_by_ranges(url):
    with nb.SummaryWriter(url, flush_secs=0) as writer:
        for step in range(200):
            writer.add_scalar("x", float(step), step)
    whole = nb.collect_events(url, type="scalar")
    conn = EventsLogdir(url, final=True, chunk_size=100)
    values = np.concatenate([batch.value for batch in conn.scalars()])
    np.testing.assert_array_equal(values, whole["value"].to_numpy())
    assert len(values) == 200


def test_storage_options_are_passed(url, s3):
    with nb.SummaryWriter(url, flush_secs=0) as writer:
        writer.add_scalars("pair", {"a": 1.0, "b": 2.0}, 0)
    frame = nb.collect_events(url, type="scalar", storage_options=s3)
    assert sorted(zip(frame["run"], frame["value"])) == [("pair_a", 1.0), ("pair_b", 2.0)]
    conn = nb.events_logdir(url, storage_options=s3)
    assert len(nb.collect_events(conn, type="scalar")) == 2
    assert sorted(run_files(url, storage_options=s3)) == ["pair_a", "pair_b"]


def test_writers_take_storage_options(url, s3, monkeypatch):
    # With the environment pointing nowhere, only the options passed can reach the server.
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "wrong")
    with nb.SummaryWriter(url, flush_secs=0, storage_options=s3) as writer:
        writer.add_scalar("loss", 0.5, 0)
    with nb.Logger(url, experiment="trial", storage_options=s3) as logger:
        logger.add_scalar("acc", 0.25, 0)
    frame = nb.collect_events(url, type="scalar", storage_options=s3)
    assert sorted(zip(frame["run"], frame["tag"], frame["value"])) == [
        (".", "loss", 0.5),
        ("trial", "acc", 0.25),
    ]


def test_names_sort_in_write_order_within_one_second(url):
    with EventWriter(url, flush_secs=0) as writer:
        paths = []
        for step in range(25):
            writer.add_scalar("x", float(step), step, 1.0)
            writer.flush()
            paths.append(writer.path)
    assert paths == sorted(paths) and len(set(paths)) == 25
    frame = nb.collect_events(url, type="scalar")
    assert frame["step"].tolist() == list(range(25))


def test_logger_and_log_event(url):
    with nb.Logger(url, experiment="trial1") as logger:
        logger.add_scalar("Accuracy", 0.9, 1)
    with nb.with_logdir(url):
        nb.log_event(loss=0.5, train={"acc": 0.75}, step=3)
        nb.log_event(loss=0.25, step=4)
    frame = nb.collect_events(url, type="scalar")  # flushes what log_event wrote
    flush_all(close=True)
    got = sorted(zip(frame["run"], frame["tag"], frame["step"], frame["value"]))
    assert got == [
        (".", "loss", 3, 0.5),
        (".", "loss", 4, 0.25),
        ("train", "acc", 3, 0.75),
        ("trial1", "Accuracy", 1, float(np.float32(0.9))),
    ]


_WRITER = """
import sys
import neuroboard as nb

with nb.SummaryWriter(sys.argv[1], flush_secs=0) as writer:
    for half in (range(200), range(200, 400)):
        for step in half:
            writer.add_scalar("v", float(step), step)
            if step % 20 == 19:
                writer.flush()
        print("flushed", step, flush=True)
        if step < 399:
            sys.stdin.readline()  # the reader has seen the first half: go on
"""


def test_a_second_process_reads_every_value_once_while_the_first_writes(url):
    # The writer stops after half its values until this process has read them all,
    # so reads happen both while it writes and between its two halves.
    writer = subprocess.Popen(
        [sys.executable, "-c", _WRITER, url],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    conn = nb.events_logdir(url)
    seen: list[float] = []
    reads = 0
    try:
        while len(seen) < 200:
            assert writer.poll() is None, writer.stderr.read()
            seen.extend(nb.collect_events(conn, type="scalar")["value"].tolist())
            reads += 1
        assert seen == [float(step) for step in range(200)]
        writer.stdin.write("go\n")
        writer.stdin.flush()
        while writer.poll() is None:
            seen.extend(nb.collect_events(conn, type="scalar")["value"].tolist())
            reads += 1
        assert writer.wait() == 0, writer.stderr.read()
    finally:
        writer.kill()
        writer.communicate()
    seen.extend(nb.collect_events(conn, type="scalar")["value"].tolist())
    assert seen == [float(step) for step in range(400)]
    assert reads >= 2


def test_local_paths_stay_local(tmp_path):
    assert not is_url(str(tmp_path)) and not is_url("runs/exp") and is_url("s3://b/k")
    with nb.SummaryWriter(tmp_path, flush_secs=0) as writer:
        writer.add_scalar("x", 1.0, 0)
        writer.flush()
        writer.add_scalar("x", 2.0, 1)
    assert writer._writer._storage.fs is None
    assert len(list(tmp_path.iterdir())) == 1
    conn = EventsLogdir(tmp_path, final=True)
    assert nb.collect_events(conn, type="scalar")["value"].tolist() == [1.0, 2.0]
    assert all(reader.fs is None for reader in conn._readers.values())


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_forked_child_puts_objects_of_its_own(url):
    writer = nb.SummaryWriter(url, flush_secs=0.01, max_queue=7)
    for step in range(100):
        writer.add_scalar("parent", float(step), step)
    writer.flush()
    for step in range(100, 150):  # queued at the fork: the parent's to put
        writer.add_scalar("parent", float(step), step)
    # The child logs on through the same writer, from two threads.
    pid = log_in_forked_child(writer, 300)
    writer.add_scalar("parent", 150.0, 150)
    writer.close()

    frame = nb.collect_events(url, type="scalar")
    steps = {tag: sorted(group["step"].tolist()) for tag, group in frame.groupby("tag")}
    assert steps == {"parent": list(range(151)), "child0": list(range(300)), "child1": list(range(300))}
    # Each object holds one process's values, and its name carries that process's id.
    for path in _objects(url):
        tags = {v.tag for e in read_events(f"s3://{path}") for v in e.summary.value}
        assert tags, path
        owner = str(pid) if tags <= {"child0", "child1"} else str(os.getpid())
        assert tags <= ({"parent"} if owner == str(os.getpid()) else {"child0", "child1"})
        assert path.split(".")[-2] == owner, path


def test_remote_storage_lists_opens_and_puts_objects(url, s3, monkeypatch):
    storage = open_storage(url, s3)
    assert type(storage) is RemoteStorage and not storage.appends and not storage.lists_cheaply
    assert not storage.found() and storage.missing == "no event files there"
    assert storage.latest_name() is None
    first = next_event_name(None)
    second = next_event_name(first)
    data = b"".join(frame_record(bytes([i]) * i) for i in range(1, 4))
    assert storage.put(f"train/{first}", data) == f"{url}/train/{first}"
    storage.put(f"train/{second}", data[:17])
    storage.put("notes.txt", b"not an event object")
    root = storage.root
    listing = {"train": [(f"{root}/train/{first}", len(data)), (f"{root}/train/{second}", 17)]}
    spy = Spy(monkeypatch, storage.fs)
    # found() lists once and keeps the listing for the next runs(); the one after lists again.
    assert storage.found() and storage.runs() == listing and spy.calls == {"find": 1}
    assert storage.runs() == listing and spy.calls == {"find": 2}
    path, size = listing["train"][0]
    assert storage.name(path) == f"{url}/train/{first}" and storage.size(path) == size
    file, known = storage.open(path, size)
    file.seek(16)
    assert known == size and file.read(5) == data[16:21] and spy.calls["cat_file"] == 1
    assert storage.open(path)[1] == size
    assert storage.stamps(listing) == [
        (f"{url}/train/{first}", len(data), 0),
        (f"{url}/train/{second}", 17, 0),
    ]
    assert open_storage(f"{url}/train", s3).latest_name() == second
    one = open_storage(f"{url}/train/{first}", s3)
    assert one.runs() == {".": [(path, size)]}
    assert one.files().read("") is None and storage.files().read("notes.txt") == b"not an event object"


def test_remote_readers_and_writers_share_one_storage(url, s3):
    conn = EventsLogdir(url, storage_options=s3)
    assert type(conn.storage) is RemoteStorage and conn.storage.root == url_fs(url, s3)[1]
    with EventWriter(url, flush_secs=0, storage_options=s3) as writer:
        writer.add_scalar("x", 1.0, 0, 1.0)
    assert writer._storage.fs is conn.storage.fs
    assert [len(batch) for batch in conn.scalars()] == [1]
    assert all(reader.storage is conn.storage for reader in conn._readers.values())
