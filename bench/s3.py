"""A real S3-compatible server for tests and benches: moto's server, on a free loopback port
(tests import it through tests/storage/helpers.py)."""

import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx

from app.storage.s3 import S3BlobStore, S3Location
from bench.procs import free_port

ACCESS_KEY = "atrium-test"
SECRET_KEY = "atrium-test-secret"
REGION = "us-east-1"


@dataclass(frozen=True)
class S3Server:
    endpoint: str
    bucket: str

    def location(self, prefix: str | None = None) -> S3Location:
        return S3Location(
            bucket=self.bucket,
            prefix=prefix if prefix is not None else uuid.uuid4().hex,
            access_key_id=ACCESS_KEY,
            secret_access_key=SECRET_KEY,
            region=REGION,
            endpoint_url=self.endpoint,
        )

    def store(self, prefix: str | None = None) -> S3BlobStore:
        return S3BlobStore(self.location(prefix))

    def url(self, prefix: str | None = None) -> str:
        return f"s3://{self.bucket}/{prefix if prefix is not None else uuid.uuid4().hex}"

    @property
    def settings(self) -> dict[str, str]:
        """The Settings fields naming this server (storage_url aside)."""
        return {name.lower(): value for name, value in self.environment.items()}

    @property
    def environment(self) -> dict[str, str]:
        return {
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_REGION": REGION,
            "AWS_ENDPOINT_URL": self.endpoint,
        }


def _wait_for(port: int, process: subprocess.Popen[bytes], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the S3 server exited at start")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("the S3 server did not start")


@contextmanager
def s3_server() -> Iterator[S3Server]:
    """Start moto's S3 server on loopback with one bucket; stop it afterwards."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(port, process)
        endpoint = f"http://127.0.0.1:{port}"
        bucket = "atrium-" + uuid.uuid4().hex[:8]
        create = httpx.put(f"{endpoint}/{bucket}", timeout=10)
        create.raise_for_status()
        yield S3Server(endpoint=endpoint, bucket=bucket)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
