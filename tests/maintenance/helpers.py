"""The installed `atrium` command on a deployment of the test's own (a database URL and an upload dir)."""

import os
import sqlite3
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from app.config import Settings
from tests.conftest import POSTGRES, _postgres

ATRIUM = str(Path(__file__).resolve().parents[2] / ".venv" / "bin" / "atrium")
Result = subprocess.CompletedProcess[str]


class Atrium:
    def __init__(self, root: Path, *, database_url: str | None = None, uploads: Path | None = None) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.db = root / "atrium.db"
        self.database_url = database_url or f"sqlite+aiosqlite:///{self.db}"
        self.uploads = uploads or root / "uploads"
        self.env = {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "UPLOAD_DIR": str(self.uploads),
            "ENVIRONMENT": "test",
        }

    def __call__(self, *args: str, stdin: str = "", **env: str) -> Result:
        environment = {**self.env, **env}
        return subprocess.run(
            [ATRIUM, *args], cwd=self.root, env=environment, input=stdin, capture_output=True, text=True
        )

    def create_user(self, name: str) -> None:
        email = f"{name}@example.com"
        result = self("create-user", name, "--email", email, "--password-stdin", stdin="pw-long-enough\n")
        assert result.returncode == 0, result.stderr

    def rows(self, sql: str) -> list[tuple[object, ...]]:
        """SQLite deployments only."""
        with sqlite3.connect(self.db) as db:
            return db.execute(sql).fetchall()


@contextmanager
def empty_deployment(directory: Path) -> Iterator[Atrium]:
    """An empty deployment to restore into (a new database and upload dir), on the suite's kind
    of database."""
    if not POSTGRES:
        yield Atrium(directory)
        return
    name = f"atrium_restore_{uuid.uuid4().hex[:12]}"
    _postgres(f"CREATE DATABASE {name}")
    try:
        yield Atrium(directory, database_url=f"{POSTGRES}/{name}")
    finally:
        _postgres(f"DROP DATABASE {name} WITH (FORCE)")


@pytest.fixture
def deployment(request: pytest.FixtureRequest, settings: Settings, tmp_path: Path) -> Atrium:
    """The CLI on the test app's own database and store."""
    atrium = Atrium(tmp_path / "cli", database_url=settings.database_url, uploads=settings.upload_dir)
    if settings.storage_url:
        atrium.env.update({"STORAGE_URL": settings.storage_url, **request.getfixturevalue("s3").environment})
    return atrium


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[Atrium]:
    """An empty deployment to restore into."""
    with empty_deployment(tmp_path / "restored") as atrium:
        yield atrium
