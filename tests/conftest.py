"""One app per test: its own database (a copy of a migrated template) and upload dir.

SQLite files by default; with ATRIUM_TEST_POSTGRES=postgresql+asyncpg://user@host:port the same
suite runs on PostgreSQL, each test in a database cloned from a migrated template.
"""

import asyncio
import gc
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from starlette.routing import compile_path

from app.config import Settings
from app.errors import PROBLEM_JSON
from app.main import create_app
from app.migrate import upgrade
from app.problems import documented_codes
from app.storage.base import BlobStore
from app.storage.local import LocalBlobStore
from tests.storage.helpers import S3Server, s3_server

TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


POSTGRES = os.environ.get("ATRIUM_TEST_POSTGRES")
pytest_plugins = ["tests.maintenance.helpers"]  # the `deployment` and `fresh` fixtures
# Query plans and FTS5 ranking are SQLite's; PostgreSQL search is an unranked fallback so far.
sqlite_only = pytest.mark.skipif(POSTGRES is not None, reason="SQLite query plans / FTS5 only")


def _postgres(statement: str) -> None:
    import asyncpg

    async def run() -> None:
        assert POSTGRES is not None
        connection = await asyncpg.connect(POSTGRES.replace("postgresql+asyncpg", "postgresql") + "/postgres")
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    asyncio.run(run())


@pytest.fixture(scope="session", autouse=True)
def frozen_heap() -> Iterator[None]:
    """Freeze the test process's heap once, so each test's app does not collect and freeze it again
    at start (app/gctune.py: a tenth of a second or more per test)."""
    gc.collect()
    gc.freeze()
    yield
    gc.unfreeze()


@pytest.fixture(scope="session")
def s3() -> Iterator[S3Server]:
    """One S3 server (moto, on loopback) per test process; each user of it takes its own prefix."""
    with s3_server() as server:
        yield server


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStore:
    """Every blob store the app can run on, empty (the store contract runs against each)."""
    if request.param == "s3":
        server: S3Server = request.getfixturevalue("s3")
        return server.store()
    local = LocalBlobStore(tmp_path / "blobs")
    local.prepare()
    return local


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if POSTGRES:
        name = f"atrium_template_{uuid.uuid4().hex[:8]}"
        _postgres(f"CREATE DATABASE {name}")
        upgrade(f"{POSTGRES}/{name}")
        yield name
        _postgres(f"DROP DATABASE {name} WITH (FORCE)")
        return
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    yield str(path)


@contextmanager
def fresh_database(directory: Path, template_db: str) -> Iterator[str]:
    """A migrated database of its own: a PostgreSQL clone of the template, or a SQLite copy."""
    if POSTGRES:
        name = f"atrium_test_{uuid.uuid4().hex[:12]}"
        _postgres(f"CREATE DATABASE {name} TEMPLATE {template_db}")
        yield f"{POSTGRES}/{name}"
        _postgres(f"DROP DATABASE {name} WITH (FORCE)")
        return
    db_path = directory / "atrium.db"
    shutil.copyfile(template_db, db_path)
    yield f"sqlite+aiosqlite:///{db_path}"


@pytest.fixture
def database_url(tmp_path: Path, template_db: str) -> Iterator[str]:
    with fresh_database(tmp_path, template_db) as url:
        yield url


# With ATRIUM_TEST_S3=1 every app of the suite keeps its blobs in a real S3 server (moto, loopback).
ON_S3 = bool(os.environ.get("ATRIUM_TEST_S3"))
local_store_only = pytest.mark.skipif(ON_S3, reason="looks at the local directory store itself")


def settings_for(request: pytest.FixtureRequest, directory: Path, database_url: str) -> Settings:
    """A test's settings: its database, an upload dir under `directory`, its own S3 prefix if ON_S3."""
    object_storage: dict[str, Any] = {}
    if ON_S3:
        server: S3Server = request.getfixturevalue("s3")
        object_storage = {"storage_url": server.url(), **server.settings}
    return Settings(
        environment="test",
        database_url=database_url,
        upload_dir=directory / "uploads",
        secret_key=TEST_SECRET,
        **object_storage,
    )


@pytest.fixture
def settings(request: pytest.FixtureRequest, tmp_path: Path, database_url: str) -> Settings:
    return settings_for(request, tmp_path, database_url)


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    hooks = {"response": [documented_problems_only(app)]}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver", event_hooks=hooks
    ) as http:
        yield http


def documented_problems_only(app: FastAPI) -> Callable[[httpx.Response], Awaitable[None]]:
    """A response hook: every problem a test provokes must be documented on its operation, with
    its status and code, so the OpenAPI document cannot drift from what the server answers."""

    async def check(response: httpx.Response) -> None:
        if (
            not response.headers.get("content-type", "").startswith(PROBLEM_JSON)
            or response.status_code == 500
        ):
            return
        operation = _operation(app, response.request)
        if operation is None:  # no route (404/405), or a route outside the document
            return
        await response.aread()
        code = response.json()["code"] if response.request.method != "HEAD" else None
        documented = operation["responses"].get(str(response.status_code))
        where = f"{response.request.method} {response.request.url.path}"
        assert documented is not None, f"{where} answered an undocumented {response.status_code} ({code})"
        if code is not None:
            assert code in documented_codes(documented), f"{where}: {code} is not documented"

    return check


_document: dict[str, Any] = {}


def document_of(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document, made once per test process: making it takes about a second, and it is
    the same whatever the settings (tests/test_openapi.py)."""
    if not _document:
        _document.update(app.openapi())
    return _document


def _operation(app: FastAPI, request: httpx.Request) -> dict[str, Any] | None:
    """The documented operation of a request: the matching path template with fewest parameters."""
    method = "get" if request.method == "HEAD" else request.method.lower()
    paths: dict[str, dict[str, Any]] = document_of(app)["paths"]
    matching = [t for t in paths if method in paths[t] and compile_path(t)[0].fullmatch(request.url.path)]
    if not matching:
        return None
    operation: dict[str, Any] = paths[min(matching, key=lambda t: t.count("{"))][method]
    return operation


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
