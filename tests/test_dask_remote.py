"""read_scalars on an S3 logdir (a moto server on loopback): listed once, each object read by ranges."""

from __future__ import annotations

import uuid

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("dask")
distributed = pytest.importorskip("distributed")
s3fs = pytest.importorskip("s3fs")
pytest.importorskip("boto3")
pytest.importorskip("moto.server")

import neuroboard as nb
from neuroboard.api.functional import flush_all
from neuroboard.dask import BLOCKSIZE, read_scalars
from neuroboard.io.reader import next_record_start
from neuroboard.io.remote import url_fs
from tests.net import aws_environment, moto_s3

BUCKET = "neuroboard-dask-test"
ORDER = ["run", "tag", "step", "wall_time"]


@pytest.fixture(scope="module")
def s3():
    """Return the storage options of a fresh moto S3 server; nothing is set in the environment.

    Workers of a cluster reach the server only through the options that travel with the graph.
    """
    with moto_s3(BUCKET) as options:
        yield options


@pytest.fixture(scope="module")
def logdir(s3) -> str:
    """A run of four objects (the first big, with the only metadata of its tensor tag) and a small one."""
    url = f"s3://{BUCKET}/{uuid.uuid4().hex}"
    rng = np.random.default_rng(0)
    with nb.SummaryWriter(f"{url}/train", flush_secs=0, storage_options=s3) as writer:
        writer.add_scalar("acc", 0.5, 0, new_style=True)
        writer.add_series("loss", rng.normal(size=50_000))
        writer.flush()
        for step in range(1, 4):
            writer.add_scalar("acc", float(rng.random()), step, new_style=True)
            writer.add_scalar("lr", 0.1 * step, step)
            writer.flush()
    with nb.SummaryWriter(f"{url}/eval", flush_secs=0, storage_options=s3) as writer:
        writer.add_scalar("acc", 0.75, 0, new_style=True)
    return url


@pytest.fixture(scope="module")
def objects(logdir, s3) -> list[tuple[str, int]]:
    """The event objects of ``logdir`` and their sizes, in name order."""
    fs, root = url_fs(logdir, s3)
    fs.invalidate_cache()
    return sorted((path, int(info["size"])) for path, info in fs.find(root, detail=True).items())


@pytest.fixture(scope="module")
def expected(logdir, s3) -> pd.DataFrame:
    return _sorted(nb.collect_events(logdir, type="scalar", storage_options=s3))


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(ORDER, kind="stable").reset_index(drop=True)


def _blocksize(objects: list[tuple[str, int]]) -> int:
    """A blocksize that splits the big object in about five ranges and leaves the small ones whole."""
    sizes = sorted(size for _path, size in objects)
    assert sizes[-1] > 5 * sizes[-2]
    return sizes[-1] // 5 + 1


def test_written_as_objects(objects, expected):
    assert len(objects) == 5
    assert len(expected) == 50_000 + 4 + 3 + 1
    assert set(expected["tag"]) == {"acc", "loss", "lr"}
    # The tensor values of the objects without metadata are scalars by the first object's.
    assert (expected["tag"] == "acc").sum() == 5


def test_whole_objects_sync(logdir, s3, objects, expected):
    frame = read_scalars(logdir, storage_options=s3, blocksize=None)
    assert frame.npartitions == len(objects)
    pd.testing.assert_frame_equal(_sorted(frame.compute(scheduler="sync")), expected)
    # By bytes: the logdir is smaller than the blocksize, so one partition.
    frame = read_scalars(logdir, storage_options=s3, blocksize=BLOCKSIZE)
    assert frame.npartitions == 1
    pd.testing.assert_frame_equal(_sorted(frame.compute(scheduler="sync")), expected)


def test_byte_ranges_sync(logdir, s3, objects, expected):
    blocksize = _blocksize(objects)
    big = max(size for _path, size in objects)
    frame = read_scalars(logdir, storage_options=s3, blocksize=blocksize, files_per_partition=1)
    assert frame.npartitions == len(objects) - 1 + -(-big // blocksize)
    sizes = [len(part.compute(scheduler="sync")) for part in frame.to_delayed()]
    assert sum(1 for size in sizes if size) > len(objects)
    pd.testing.assert_frame_equal(_sorted(frame.compute(scheduler="sync")), expected)
    # Filters, and the graph token: the same listing gives the same graph.
    loss = read_scalars(
        logdir, storage_options=s3, blocksize=blocksize, files_per_partition=1, tags="loss", runs="train"
    )
    # The run's three small objects and the big one's ranges; the other run is not read.
    assert loss.npartitions == 3 + -(-big // blocksize)
    pd.testing.assert_frame_equal(
        _sorted(loss.compute(scheduler="sync")),
        expected[expected["tag"] == "loss"].reset_index(drop=True),
    )
    assert read_scalars(logdir, storage_options=s3).dask.keys() == (
        read_scalars(logdir, storage_options=s3).dask.keys()
    )
    # By bytes: the big object's ranges, the run's three small objects in one piece, the other run.
    frame = read_scalars(logdir, storage_options=s3, blocksize=blocksize)
    assert frame.npartitions == -(-big // blocksize) + 2
    pd.testing.assert_frame_equal(_sorted(frame.compute(scheduler="sync")), expected)


def test_cluster(logdir, s3, objects, expected, client):
    whole = read_scalars(logdir, storage_options=s3).compute()
    pd.testing.assert_frame_equal(_sorted(whole), expected)
    ranges = read_scalars(logdir, storage_options=s3, blocksize=_blocksize(objects)).compute()
    pd.testing.assert_frame_equal(_sorted(ranges), expected)


def test_one_object_and_missing(logdir, s3, objects, expected):
    fs, _root = url_fs(logdir, s3)
    path, _size = min(objects, key=lambda item: item[1])
    url = fs.unstrip_protocol(path)
    frame = read_scalars(url, storage_options=s3)
    assert frame.npartitions == 1
    one = frame.compute(scheduler="sync")
    assert set(one["run"]) == {"."} and len(one) == 1
    with pytest.raises(FileNotFoundError, match="no event files"):
        read_scalars(f"s3://{BUCKET}/{uuid.uuid4().hex}", storage_options=s3)


def test_damaged_object_by_ranges(logdir, s3, objects):
    """Damage inside a split object: ranges find their records through the object store as a file does."""
    fs, _root = url_fs(logdir, s3)
    path, size = max(objects, key=lambda item: item[1])
    data = bytearray(fs.cat_file(path))
    for offset in (size // 3, size // 3 + 1, 2 * size // 3):
        data[offset] ^= 0xFF
    url = f"s3://{BUCKET}/{uuid.uuid4().hex}"
    damaged = fs._strip_protocol(f"{url}/run/{path.rsplit('/', 1)[1]}")
    fs.pipe_file(damaged, bytes(data))
    for offset in (0, 1, size // 3, size - 1, size):
        assert next_record_start(damaged, offset, size, fs=fs) == next_record_start(damaged, offset, fs=fs)
    expected = _sorted(nb.collect_events(url, type="scalar", storage_options=s3, on_corrupt="skip"))
    assert 0 < len(expected) < 50_001
    for blocksize in (None, size // 7 + 1):
        frame = read_scalars(url, storage_options=s3, blocksize=blocksize, on_corrupt="skip")
        pd.testing.assert_frame_equal(_sorted(frame.compute(scheduler="sync")), expected)


def test_each_writing_api_read_back_value_for_value(s3, client, monkeypatch):
    url = f"s3://{BUCKET}/{uuid.uuid4().hex}"
    values = np.random.default_rng(1).normal(size=100)
    with nb.SummaryWriter(f"{url}/writer", flush_secs=0, storage_options=s3) as writer:
        for step in range(50):
            writer.add_scalar("x", float(values[step]), step)
        writer.flush()
        writer.add_series("x", values[50:], steps=np.arange(50, 100))
    with nb.Logger(url, experiment="logger", storage_options=s3) as logger:
        for step in range(100):
            logger.add_scalar("x", float(values[step]), step)
    # log_event takes its file system from the environment, as it has no options of its own.
    for name, value in aws_environment(s3).items():
        monkeypatch.setenv(name, value)
    # fsspec keeps one instance per set of options: one made earlier still points at another server.
    s3fs.S3FileSystem.clear_instance_cache()
    with nb.with_logdir(url):
        for step in range(100):
            nb.log_event(step=step, event={"x": float(values[step])})
    flush_all(close=True)

    written = values.astype(np.float32).astype(np.float64)
    expected = {run: (list(range(100)), written.tolist()) for run in ("writer", "logger", "event")}
    for frame in (
        nb.collect_events(url, type="scalar", storage_options=s3),
        read_scalars(url, storage_options=s3).compute(),  # on the cluster's workers
    ):
        got = {
            run: (group["step"].tolist(), group["value"].tolist())
            for run, group in _sorted(frame).groupby("run")
        }
        assert got == expected
        assert set(frame["tag"]) == {"x"}
