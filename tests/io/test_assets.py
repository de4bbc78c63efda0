"""io.assets: whole files beside the event files, replaced in one step on disk, put whole behind a URL."""

from __future__ import annotations

import os
import uuid

import pytest

from neuroboard.io import assets
from neuroboard.io.assets import LocalFiles, RemoteFiles, logdir_files


@pytest.fixture(params=["local", "memory"])
def files(request, tmp_path) -> LocalFiles | RemoteFiles:
    if request.param == "local":
        return logdir_files(str(tmp_path))
    return logdir_files(f"memory://assets-{uuid.uuid4().hex}/run")


def test_write_read_and_kind(files) -> None:
    assert files.read("a/b.txt") is None and files.kind("a") is None
    files.write("a/b.txt", b"one")
    files.write("a/b.txt", b"two")
    assert files.read("a/b.txt") == b"two"
    assert (files.kind("a"), files.kind("a/b.txt"), files.kind("a/c")) == ("dir", "file", None)


def test_a_local_write_leaves_no_temporary_file(tmp_path) -> None:
    LocalFiles(str(tmp_path)).write("x/config.pbtxt", b"data")
    assert os.listdir(tmp_path / "x") == ["config.pbtxt"]


def test_a_failed_local_write_keeps_the_old_file(tmp_path, monkeypatch) -> None:
    files = LocalFiles(str(tmp_path))
    files.write("config.pbtxt", b"old")

    def fail(*args) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(assets.os, "replace", fail)
    with pytest.raises(OSError, match="No space left"):
        files.write("config.pbtxt", b"new")
    assert files.read("config.pbtxt") == b"old"
    assert os.listdir(tmp_path) == ["config.pbtxt"]


def test_a_local_file_gets_the_mode_open_gives_it(tmp_path) -> None:
    # Written under a temporary name and renamed: mkstemp's 0600 would keep other users out.
    umask = os.umask(0o022)
    try:
        LocalFiles(str(tmp_path)).write("x/config.pbtxt", b"data")
    finally:
        os.umask(umask)
    assert os.stat(tmp_path / "x" / "config.pbtxt").st_mode & 0o777 == 0o644
