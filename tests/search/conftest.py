"""Rows for search tests, written through the ORM (the index follows by triggers)."""

import hashlib
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.models import File, FileTag, FileText, ImageMeta
from tests.conftest import UserHandle

AddFile = Callable[..., Awaitable[uuid.UUID]]


@pytest.fixture
def session_factory(app: FastAPI) -> async_sessionmaker[AsyncSession]:
    factory: async_sessionmaker[AsyncSession] = app.state.session_factory
    return factory


@pytest.fixture
def add_file(session_factory: async_sessionmaker[AsyncSession]) -> AddFile:
    async def add(
        owner_id: str,
        name: str,
        *,
        tags: tuple[str, ...] = (),
        text: str | None = None,
        camera: tuple[str, str, str] | None = None,
        **fields: Any,
    ) -> uuid.UUID:
        fields.setdefault("mime_type", "text/plain" if text is not None else "application/octet-stream")
        fields.setdefault("kind", "text" if text is not None else "other")
        fields.setdefault("size", 10)
        file = File(
            owner_id=uuid.UUID(owner_id),
            name=name,
            storage_key=uuid.uuid4().hex,
            sha256=hashlib.sha256(name.encode()).hexdigest(),
            **fields,
        )
        async with session_factory() as session:
            session.add(file)
            await session.flush()
            session.add_all(FileTag(file_id=file.id, owner_id=file.owner_id, name=tag) for tag in tags)
            if text is not None:
                session.add(FileText(file_id=file.id, content=text))
            if camera is not None:
                make, model, lens = camera
                session.add(
                    ImageMeta(
                        file_id=file.id, width=1, height=1, camera_make=make, camera_model=model, lens=lens
                    )
                )
            await session.commit()
        return file.id

    return add


Upload = Callable[..., Awaitable[dict[str, Any]]]


@pytest.fixture
def upload(client: httpx.AsyncClient) -> Upload:
    """Upload one file through POST /api/upload; returns its `File`."""

    async def send(user: UserHandle, name: str, content: bytes, **form: str) -> dict[str, Any]:
        response = await client.post(
            "/api/upload", headers=user.headers, files={"files": (name, content)}, data=form
        )
        assert response.status_code == 201, response.text
        file: dict[str, Any] = response.json()["files"][0]
        return file

    return send
