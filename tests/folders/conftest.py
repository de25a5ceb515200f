"""Helpers for folder tests: create folders over HTTP, read rows straight from the test database."""

import hashlib
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import utcnow
from app.models import Activity, File, Folder
from tests.conftest import UserHandle

MakeFolder = Callable[..., Awaitable[dict[str, Any]]]
PutFile = Callable[..., Awaitable[str]]


@pytest.fixture
def make_folder(client: httpx.AsyncClient) -> MakeFolder:
    async def make(
        user: UserHandle, name: str, parent: dict[str, Any] | None = None, **extra: Any
    ) -> dict[str, Any]:
        body = {"name": name, "parent_id": parent["id"] if parent else None, **extra}
        response = await client.post("/api/folders", json=body, headers=user.headers)
        assert response.status_code == 201, response.text
        folder: dict[str, Any] = response.json()
        return folder

    return make


class Rows:
    """Reads the state the API left behind."""

    def __init__(self, app: FastAPI) -> None:
        self.factory: async_sessionmaker[AsyncSession] = app.state.session_factory

    async def folders(self, owner_id: str) -> list[Folder]:
        async with self.factory() as session:
            query = select(Folder).where(Folder.owner_id == uuid.UUID(owner_id))
            return list((await session.scalars(query)).all())

    async def file(self, file_id: str) -> File:
        async with self.factory() as session:
            found = await session.get(File, uuid.UUID(file_id))
            assert found is not None
            return found

    async def activities(self, file_id: str) -> list[str]:
        async with self.factory() as session:
            query = select(Activity.action).where(Activity.file_id == uuid.UUID(file_id))
            return list((await session.scalars(query)).all())


@pytest.fixture
def rows(app: FastAPI) -> Rows:
    return Rows(app)


@pytest.fixture
def put_file(app: FastAPI) -> PutFile:
    """A stored text file (bytes on disk, row in SQL) until the upload endpoint lands on this branch."""
    factory: async_sessionmaker[AsyncSession] = app.state.session_factory

    async def put(
        user: UserHandle, folder: dict[str, Any] | None, size: int, *, trashed: bool = False
    ) -> str:
        key = uuid.uuid4().hex
        data = b"x" * size
        (app.state.storage.originals_dir / key).write_bytes(data)
        row = File(
            owner_id=uuid.UUID(user.id),
            folder_id=uuid.UUID(folder["id"]) if folder else None,
            name=f"{key[:8]}.txt",
            storage_key=key,
            mime_type="text/plain",
            kind="text",
            size=size,
            sha256=hashlib.sha256(data).hexdigest(),
            deleted_at=utcnow() if trashed else None,
        )
        async with factory() as session:
            session.add(row)
            await session.commit()
        return str(row.id)

    return put
