"""One app per test: its own SQLite file (copied from a migrated template) and upload dir."""

import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.config import Settings
from app.main import create_app
from app.migrate import upgrade

TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture
def settings(tmp_path: Path, template_db: Path) -> Settings:
    db_path = tmp_path / "atrium.db"
    shutil.copyfile(template_db, db_path)
    return Settings(
        environment="test",
        database_url=f"sqlite+aiosqlite:///{db_path}",
        upload_dir=tmp_path / "uploads",
        secret_key=TEST_SECRET,
    )


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@dataclass
class UserHandle:
    id: str
    username: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


MakeUser = Callable[..., Awaitable[UserHandle]]


@pytest.fixture
def make_user(client: httpx.AsyncClient) -> MakeUser:
    async def make(username: str = "alice", password: str = "correct horse", **extra: Any) -> UserHandle:
        body = {"username": username, "email": f"{username}@example.com", "password": password, **extra}
        response = await client.post("/api/auth/register", json=body)
        assert response.status_code == 201, response.text
        data = response.json()
        return UserHandle(id=data["user"]["id"], username=username, token=data["access_token"])

    return make
