"""Bytes the test clamd flags or passes, and a clamd address nobody answers on."""

import os
import sqlite3
import subprocess
from pathlib import Path

from bench.clamd import EICAR, MARKER
from bench.procs import free_port
from tests.files.helpers import png_bytes

__all__ = ["EICAR", "MARKER", "STREAM_MAX", "Atrium", "infected_png", "unreachable"]

ATRIUM = str(Path(__file__).resolve().parents[2] / ".venv" / "bin" / "atrium")
Result = subprocess.CompletedProcess[str]
STREAM_MAX = 1024 * 1024  # the test clamd's limit: small, so a file past it is cheap to send


def infected_png() -> bytes:
    """A valid PNG that carries the body signature after its end."""
    return png_bytes((20, 20), "navy") + MARKER


def unreachable() -> str:
    """A loopback port nobody listens on: clamd stopped."""
    return f"tcp://127.0.0.1:{free_port()}"


class Atrium:
    """The installed `atrium` command on a temporary deployment (SQLite and a local directory)."""

    def __init__(self, root: Path, **env: str) -> None:
        self.root = root
        self.db = root / "atrium.db"
        self.uploads = root / "uploads"
        self.env = {
            **os.environ,
            "DATABASE_URL": f"sqlite+aiosqlite:///{self.db}",
            "UPLOAD_DIR": str(self.uploads),
            "ENVIRONMENT": "test",
            **env,
        }

    def __call__(self, *args: str, stdin: str = "", **env: str) -> Result:
        return subprocess.run(
            [ATRIUM, *args],
            cwd=self.root,
            env={**self.env, **env},
            input=stdin,
            capture_output=True,
            text=True,
        )

    def create_user(self, name: str) -> None:
        result = self(
            "create-user",
            name,
            "--email",
            f"{name}@example.com",
            "--password-stdin",
            stdin="pw-long-enough\n",
        )
        assert result.returncode == 0, result.stderr

    def rows(self, sql: str) -> list[tuple[object, ...]]:
        with sqlite3.connect(self.db) as db:
            return db.execute(sql).fetchall()
