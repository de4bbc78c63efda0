"""``neuroboard serve``: TensorBoard on a logdir, keeping every image and histogram."""

from __future__ import annotations

import errno
import ipaddress
import os
import signal
import socket
import subprocess
import sys

import click

from neuroboard.cli.common import CommandError, Path, check_logdir, reports_errors

__all__ = ["check_port", "exposes", "serve", "tensorboard_command"]

# Samples kept per tag: each frame of a heatmap or raster series stays on the step slider, where
# TensorBoard alone keeps 10 images and 500 histograms per tag at random. Not 0, which the Python
# loader reads as "all" but TensorBoard's default (Rust) data server as "none".
SAMPLES_PER_PLUGIN = "images=100000,histograms=100000"


def tensorboard_command(logdir: str, host: str, port: int) -> list[str]:
    """Return the command that runs TensorBoard on ``logdir`` at ``host:port``, keeping every sample.

    >>> tensorboard_command("runs", "127.0.0.1", 6006)[-2:]
    ['--samples_per_plugin', 'images=100000,histograms=100000']
    """
    return [
        sys.executable,
        "-m",
        "tensorboard.main",
        "--logdir",
        logdir,
        "--host",
        host,
        "--port",
        str(port),
        "--samples_per_plugin",
        SAMPLES_PER_PLUGIN,
    ]


def check_port(host: str, port: int) -> None:
    """Raise :class:`CommandError` unless ``port`` can be bound on ``host`` right now.

    >>> check_port("127.0.0.1", 0)
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise CommandError(f"unknown host {host}: {error.strerror}") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        if os.name != "nt":
            # As TensorBoard's server does, so that a port left in TIME_WAIT counts as free.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise CommandError(f"port {port} is in use on {host}") from None
            raise CommandError(f"cannot listen on {host}:{port}: {error.strerror}") from None


def exposes(host: str) -> bool:
    """Return whether listening on ``host`` lets other machines connect: any address that is not loopback.

    >>> exposes("127.0.0.1"), exposes("localhost"), exposes("::1"), exposes("0.0.0.0")
    (False, False, False, True)
    """
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except socket.gaierror:
        return True
    # An IPv6 address may carry its interface: fe80::1%eth0.
    return not all(ipaddress.ip_address(str(info[4][0]).partition("%")[0]).is_loopback for info in infos)


@click.command(short_help="Run TensorBoard on a logdir.")
@click.argument("logdir", type=Path())
@click.option(
    "--port", type=click.IntRange(1, 65535), default=6006, show_default=True, help="Port to listen on."
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on (0.0.0.0 or :: for every interface: the logs are then open to the network).",
)
@reports_errors
def serve(logdir: str, port: int, host: str) -> None:
    """Run TensorBoard on LOGDIR in the foreground until Ctrl-C.

    Unlike plain `tensorboard --logdir`, every image and histogram is kept
    (up to 100,000 per tag), so each frame can be scrubbed.
    """
    logdir = check_logdir(logdir)
    check_port(host, port)
    shown = f"[{host}]" if ":" in host else host
    if exposes(host):
        # TensorBoard has no login: whoever reaches the port reads every run.
        click.echo(
            f"warning: listening on {host}, the logs are visible to the network"
            f" (anyone who can reach port {port}); --host 127.0.0.1 keeps them on this machine",
            err=True,
        )
    click.echo(f"TensorBoard on {os.path.abspath(logdir)} at http://{shown}:{port}/ (Ctrl-C to stop)")
    process = subprocess.Popen(tensorboard_command(logdir, host, port))
    # Asked to stop by a signal other than Ctrl-C, stop TensorBoard too rather than orphan it.
    previous = {}
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            number = getattr(signal, name)
            previous[number] = signal.signal(number, lambda signum, frame: process.send_signal(signum))
    try:
        code = process.wait()
    except KeyboardInterrupt:
        # The terminal sent SIGINT to TensorBoard as well; give it a moment to stop by itself.
        try:
            code = process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.terminate()
            code = process.wait()
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    if code < 0:
        code = 128 - code
    raise click.exceptions.Exit(code)
