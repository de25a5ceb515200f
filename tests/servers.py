"""A real server process on loopback, for the tests that need one: real protocol clients, browsers,
crashes. `uvicorn app.main:create_app` on a free port, on the test's database and upload dir."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from app.config import Settings
from bench.procs import free_port
from tests.conftest import TEST_SECRET

REPO = Path(__file__).resolve().parents[1]
START_SECONDS = 60  # a loaded 2-core machine can take a while to import the app


def object_storage(settings: Settings) -> dict[str, str]:
    """The test's bucket for the server process too (ATRIUM_TEST_S3), else nothing."""
    if not settings.storage_url:
        return {}
    named = {
        "STORAGE_URL": settings.storage_url,
        "AWS_ACCESS_KEY_ID": settings.aws_access_key_id,
        "AWS_SECRET_ACCESS_KEY": settings.aws_secret_access_key,
        "AWS_REGION": settings.aws_region,
        "AWS_ENDPOINT_URL": settings.aws_endpoint_url,
    }
    return {name: value for name, value in named.items() if value}


class Server:
    """Started at construction; `wait_ready` (called unless `wait=False`) waits for /healthz."""

    def __init__(
        self, settings: Settings, *, secret: str = TEST_SECRET, wait: bool = True, **env: str
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        environment = {
            **os.environ,
            "DATABASE_URL": settings.database_url,
            "UPLOAD_DIR": str(settings.upload_dir),
            "SECRET_KEY": secret,
            "ENVIRONMENT": "test",
            "MAX_FILE_SIZE": str(settings.max_file_size),
            **object_storage(settings),
            **env,
        }
        command = [sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory"]
        self.process = subprocess.Popen(
            [*command, "--host", "127.0.0.1", "--port", str(self.port)],
            env=environment,
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if wait:
            self.wait_ready()

    def wait_ready(self) -> None:
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"the server exited with {self.process.returncode}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        self.stop()
        raise AssertionError("the server did not start")

    def register(self, username: str) -> str:
        body = {"username": username, "email": f"{username}@example.com", "password": "correct horse"}
        response = httpx.post(f"{self.url}/api/auth/register", json=body, timeout=10)
        assert response.status_code == 201, response.text
        token: str = response.json()["access_token"]
        return token

    def get(self, path: str, token: str) -> Any:
        response = httpx.get(f"{self.url}{path}", headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@contextmanager
def running_server(settings: Settings, secret: str = TEST_SECRET, **env: str) -> Iterator[str]:
    """The base URL of a server process, stopped (and reaped) on exit."""
    server = Server(settings, secret=secret, **env)
    try:
        yield server.url
    finally:
        server.stop()


@contextmanager
def server_pair(settings: Settings, **env: str) -> Iterator[tuple[Server, Server]]:
    """Two server processes on one database and one store (started together), stopped on exit."""
    servers = [Server(settings, wait=False, **env) for _ in range(2)]
    try:
        for server in servers:
            server.wait_ready()
        yield servers[0], servers[1]
    finally:
        for server in servers:
            server.stop()
