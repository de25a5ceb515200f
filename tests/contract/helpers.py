"""A real server on loopback for contract checks: `uvicorn app.main:create_app` on a free port,
on the test's migrated database and upload dir; and the Node toolchain the TypeScript check needs."""

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from app.config import Settings

TS_PROJECT = Path(__file__).parent / "ts"
NODE = "/usr/bin/node"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def running_server(settings: Settings, secret: str) -> Iterator[str]:
    """The base URL of a server process, stopped (and reaped) on exit."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "UPLOAD_DIR": str(settings.upload_dir),
        "SECRET_KEY": secret,
        "ENVIRONMENT": "test",
    }
    command = [sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory", "--port", str(port)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, process)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=15)


def _wait_ready(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the server exited: {process.stderr.read() if process.stderr else ''!r}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError("the server did not start")


def ensure_node() -> None:
    """Node 20+ and npm from Debian when missing (as root); the suite needs no preinstalled service."""
    if Path(NODE).exists() and shutil.which("npm"):
        return
    if os.geteuid() != 0:
        raise AssertionError("the contract check needs Node 20 and npm: apt-get install nodejs npm")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "nodejs", "npm"], check=True, env=env)


def run(*command: str, timeout: float = 300) -> str:
    """Run a command in the TypeScript project; its output is the failure message."""
    done = subprocess.run(
        command, cwd=TS_PROJECT, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout
