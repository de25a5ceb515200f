"""Atrium under uvicorn on loopback, with its database and uploads in a temporary directory."""

import contextlib
import os
import secrets
import sys
from pathlib import Path
from typing import Any

import httpx

from bench.procs import Service, free_port

REPO = Path(__file__).resolve().parent.parent
GIB = 1024**3


def app_env(data: Path) -> dict[str, str]:
    """The bench server's settings: its own data, and limits raised for 1 GiB files."""
    return {
        **os.environ,
        "ENVIRONMENT": "production",
        "DATABASE_URL": f"sqlite+aiosqlite:///{data / 'atrium.db'}",
        "UPLOAD_DIR": str(data / "uploads"),
        "SECRET_KEY": secrets.token_urlsafe(48),
        "MAX_FILE_SIZE": str(2 * GIB),
        "MAX_REQUEST_SIZE": str(3 * GIB),
        "DEFAULT_STORAGE_QUOTA": str(1024 * GIB),
        "UPLOAD_RATE_LIMIT": "100000",
    }


def migrate(env: dict[str, str]) -> None:
    from app.migrate import upgrade

    upgrade(env["DATABASE_URL"])


def uvicorn_argv(target: str, *, port: int, workers: int, factory: bool) -> list[str]:
    argv = [sys.executable, "-m", "uvicorn", target, "--host", "127.0.0.1", "--port", str(port)]
    argv += ["--workers", str(workers), "--no-access-log", "--log-level", "warning"]
    return [*argv, "--factory"] if factory else argv


class Uvicorn:
    """One uvicorn serving `target` (`app.main:create_app` or the ceiling app)."""

    def __init__(
        self,
        name: str,
        target: str,
        *,
        env: dict[str, str],
        logs: Path,
        workers: int = 1,
        factory: bool = True,
        ready_path: str = "/healthz",
    ) -> None:
        self.port = free_port()
        argv = uvicorn_argv(target, port=self.port, workers=workers, factory=factory)
        self.service = Service(name, argv, log=logs / f"{name}.log", env=env, cwd=REPO)
        self.service.wait_http(self.url(ready_path))

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self) -> None:
        self.service.stop()

    def purge(self, file_id: str, token: str) -> None:
        """Delete a file for good; a failure only leaves it on disk until the bench ends."""
        with contextlib.suppress(httpx.HTTPError):
            httpx.delete(
                self.url(f"/api/files/{file_id}"),
                params={"permanent": "true"},
                headers={"Authorization": f"Bearer {token}"},
                timeout=60,
            )

    def has_route(self, method: str, path: str) -> bool:
        paths: dict[str, Any] = httpx.get(self.url("/openapi.json"), timeout=30).json().get("paths", {})
        return method.lower() in paths.get(path, {})


def register(base_url: str, username: str) -> tuple[str, str]:
    """A new user; answers (user id, access token)."""
    body = {"username": username, "email": f"{username}@example.com", "password": "bench-password-1"}
    response = httpx.post(f"{base_url}/api/auth/register", json=body, timeout=60)
    response.raise_for_status()
    data = response.json()
    return str(data["user"]["id"]), str(data["access_token"])
