"""Loopback servers for the tests: free ports, and a moto S3 server with a bucket ready."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from typing import Any

KEY, SECRET, REGION = "testing", "testing", "us-east-1"


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def moto_s3(bucket: str) -> Iterator[dict[str, Any]]:
    """Run moto's S3 server on a free loopback port with ``bucket`` made; yield s3fs storage options."""
    import boto3
    from moto import server as moto_server

    port = free_port()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        endpoint = f"http://127.0.0.1:{port}"
        boto3.client(
            "s3",
            endpoint_url=endpoint,
            aws_access_key_id=KEY,
            aws_secret_access_key=SECRET,
            region_name=REGION,
        ).create_bucket(Bucket=bucket)
        yield {
            "key": KEY,
            "secret": SECRET,
            "client_kwargs": {"endpoint_url": endpoint},
            "config_kwargs": {"region_name": REGION},
        }
    finally:
        server.stop()
        # s3fs keeps a file system per set of options (and environment): one made for this server
        # would be handed to the next server's tests, which then reach a closed port.
        import s3fs

        s3fs.S3FileSystem.clear_instance_cache()


def aws_environment(options: dict[str, Any]) -> dict[str, str]:
    """Return the environment variables that point botocore (s3fs without options) at the server of ``options``."""
    return {
        "AWS_ACCESS_KEY_ID": options["key"],
        "AWS_SECRET_ACCESS_KEY": options["secret"],
        "AWS_ENDPOINT_URL": options["client_kwargs"]["endpoint_url"],
        "AWS_DEFAULT_REGION": options["config_kwargs"]["region_name"],
    }
