"""neuroboard serve: a host that other machines reach is said on stderr in one line, and served."""

from __future__ import annotations

import socket

import pytest

from neuroboard.cli import serve as serve_module
from neuroboard.cli.main import main
from tests.net import free_port

NEEDS_IPV6 = pytest.mark.skipif(not socket.has_ipv6, reason="no IPv6")


class Started:
    """Stands in for the TensorBoard process: records its command and exits at once."""

    commands: list[list[str]] = []

    def __init__(self, command: list[str]) -> None:
        self.commands.append(command)

    def wait(self, timeout: float | None = None) -> int:
        return 0

    def send_signal(self, signum: int) -> None:
        pass


def serve(logdir, host: str, monkeypatch, capsys) -> tuple[int, str, list[str]]:
    """Run ``serve`` up to TensorBoard's start; return the exit code, stderr, and TensorBoard's command."""
    Started.commands = []
    monkeypatch.setattr(serve_module.subprocess, "Popen", Started)
    code = main(["serve", str(logdir), "--host", host, "--port", str(free_port())])
    (command,) = Started.commands
    return code, capsys.readouterr().err, command


@pytest.mark.parametrize("host", ["0.0.0.0", pytest.param("::", marks=NEEDS_IPV6)])
def test_serve_on_every_interface_says_so(tmp_path, monkeypatch, capsys, host) -> None:
    code, error, command = serve(tmp_path, host, monkeypatch, capsys)
    assert code == 0
    (line,) = error.splitlines()
    assert line.startswith("warning: ") and host in line and "visible to the network" in line
    assert command[command.index("--host") + 1] == host


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", pytest.param("::1", marks=NEEDS_IPV6)])
def test_serve_on_loopback_says_nothing(tmp_path, monkeypatch, capsys, host) -> None:
    code, error, command = serve(tmp_path, host, monkeypatch, capsys)
    assert code == 0
    assert error == ""
    assert command[command.index("--host") + 1] == host
