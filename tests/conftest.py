"""Fixtures shared by the whole suite: one real TensorBoard server per test session."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.net import free_port

SERVER_START_TIMEOUT = 120.0
DATA_TIMEOUT = 60.0


class TensorBoardServer:
    """A real ``tensorboard`` process on 127.0.0.1, serving one session-wide logdir."""

    def __init__(self, logdir: str, port: int, process: subprocess.Popen) -> None:
        self.logdir = logdir
        self.port = port
        self.process = process

    def url(self, route: str, **query: str) -> str:
        suffix = f"?{urllib.parse.urlencode(query)}" if query else ""
        return f"http://127.0.0.1:{self.port}{route}{suffix}"

    def get(self, route: str, **query: str) -> Any:
        """Return the decoded JSON of one GET, or raise ``urllib.error.HTTPError``."""
        with urllib.request.urlopen(self.url(route, **query), timeout=10) as response:
            return json.loads(response.read())

    def post(self, route: str, body: Any) -> Any:
        """Return the decoded JSON answer to a POST of ``body`` as JSON."""
        request = urllib.request.Request(
            self.url(route), data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def read(self, route: str, **query: str) -> bytes:
        """Return the raw bytes of one GET (images, audio)."""
        with urllib.request.urlopen(self.url(route, **query), timeout=10) as response:
            return response.read()

    def wait_for(
        self, fetch: Callable[[], Any], ready: Callable[[Any], bool], timeout: float = DATA_TIMEOUT
    ) -> Any:
        """Poll ``fetch`` until ``ready`` accepts its result; return that result."""
        deadline = time.monotonic() + timeout
        last: Any = None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"tensorboard exited with code {self.process.returncode}")
            try:
                last = fetch()
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                last = None
            if last is not None and ready(last):
                return last
            time.sleep(0.2)
        raise AssertionError(
            f"tensorboard did not serve the expected data in {timeout}s; last answer: {last!r}"
        )

    def scalars(self, run: str, tag: str, count: int) -> list[list[float]]:
        """Wait until ``run``/``tag`` has ``count`` points; return ``[[wall_time, step, value], ...]``."""
        return self.wait_for(
            lambda: self._scalars_or_none(run, tag),
            lambda points: len(points) >= count,
        )

    def _scalars_or_none(self, run: str, tag: str) -> Any:
        try:
            return self.get("/data/plugin/scalars/scalars", run=run, tag=tag)
        except urllib.error.HTTPError:
            return None


@contextlib.contextmanager
def start_tensorboard(logdir: str, log_path: str) -> Iterator[TensorBoardServer]:
    """Run a real TensorBoard on ``logdir`` on a free loopback port until the block ends."""
    port = free_port()
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tensorboard.main",
                "--logdir",
                logdir,
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--reload_interval",
                "0.5",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        server = TensorBoardServer(logdir, port, process)
        try:
            server.wait_for(
                lambda: server.get("/data/runs"), lambda runs: isinstance(runs, list), SERVER_START_TIMEOUT
            )
            yield server
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture(scope="session")
def tensorboard_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TensorBoardServer]:
    """One TensorBoard server for the session; tests write their runs into its logdir."""
    logdir = str(tmp_path_factory.mktemp("tensorboard_logdir"))
    with start_tensorboard(
        logdir, os.path.join(str(tmp_path_factory.getbasetemp()), "tensorboard.log")
    ) as server:
        yield server


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    """A dask client of a local cluster of 2 worker processes, one thread each, for a test module."""
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client
