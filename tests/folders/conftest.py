"""Helpers for folder tests: create folders over HTTP, read rows straight from the test database."""

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

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
def put_file(client: httpx.AsyncClient, app: FastAPI) -> PutFile:
    """Uploads a text file of `size` bytes into `folder` (None: the top level); returns its id."""

    async def put(
        user: UserHandle, folder: dict[str, Any] | None, size: int, *, trashed: bool = False
    ) -> str:
        content = (f"{uuid.uuid4().hex} text line\n" * (size // 10 + 1)).encode()[:size]
        response = await client.post(
            "/api/upload",
            files={"files": ("notes.txt", content, "text/plain")},
            data={"folder_id": folder["id"]} if folder else {},
            headers=user.headers,
        )
        assert response.status_code == 201, response.text
        uploaded = response.json()["files"][0]
        assert (uploaded["size"], uploaded["folder_id"]) == (size, folder["id"] if folder else None)
        if trashed:
            trash = await client.delete(f"/api/files/{uploaded['id']}", headers=user.headers)
            assert trash.status_code == 204, trash.text
        file_id: str = uploaded["id"]
        return file_id

    return put
