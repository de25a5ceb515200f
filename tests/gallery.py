"""Helpers for the gallery tests: real images made with Pillow, uploaded through the API."""

import io
import uuid
from typing import Any

import httpx
from fastapi import FastAPI
from PIL import Image
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Collection, CollectionItem, File, FileTag
from tests.conftest import UserHandle

EXIF_IFD = 0x8769
MAKE, MODEL, DATETIME_ORIGINAL = 0x010F, 0x0110, 0x9003


def make_image(
    size: tuple[int, int] = (64, 48),
    fmt: str = "PNG",
    color: tuple[int, int, int] = (200, 30, 30),
    camera: tuple[str, str] | None = None,
    taken: str | None = None,
) -> bytes:
    image = Image.new("RGB", size, color)
    buffer = io.BytesIO()
    params: dict[str, Any] = {}
    if camera or taken:
        exif = Image.Exif()
        if camera:
            exif[MAKE], exif[MODEL] = camera
        if taken:
            exif.get_ifd(EXIF_IFD)[DATETIME_ORIGINAL] = taken
        params["exif"] = exif
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


async def upload(
    client: httpx.AsyncClient,
    user: UserHandle,
    name: str = "photo.png",
    data: bytes | None = None,
    **image: Any,
) -> dict[str, Any]:
    """Uploads one image; returns its `File`."""
    if data is None:
        fmt = "JPEG" if name.lower().endswith((".jpg", ".jpeg")) else "PNG"
        data = make_image(fmt=fmt, **image)
    response = await client.post("/api/upload", files={"files": (name, data)}, headers=user.headers)
    assert response.status_code == 201, response.text
    file: dict[str, Any] = response.json()["files"][0]
    return file


async def upload_many(client: httpx.AsyncClient, user: UserHandle, count: int) -> list[str]:
    colors = [(i * 40 % 256, 100, 200 - i * 10) for i in range(count)]
    return [(await upload(client, user, f"p{i}.png", color=c))["id"] for i, c in enumerate(colors)]


async def create_album(
    client: httpx.AsyncClient, user: UserHandle, name: str = "Album", **body: Any
) -> dict[str, Any]:
    response = await client.post("/api/albums", json={"name": name, **body}, headers=user.headers)
    assert response.status_code == 201, response.text
    album: dict[str, Any] = response.json()
    return album


async def add_to_album(
    client: httpx.AsyncClient, user: UserHandle, album_id: str, ids: list[str]
) -> httpx.Response:
    return await client.post(f"/api/albums/{album_id}/images", json={"image_ids": ids}, headers=user.headers)


class Rows:
    """Reads the database behind the app, to check state after a request."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    def session(self) -> AsyncSession:
        session: AsyncSession = self.app.state.session_factory()
        return session

    async def settled(self) -> "Rows":
        """The app's pending download and view counts written, as a read of them would (app/ledger.py)."""
        await self.app.state.ledger.flush()
        return self

    async def file(self, file_id: str) -> File:
        await self.settled()
        async with self.session() as session:
            row = await session.get(File, uuid.UUID(file_id))
            assert row is not None
            return row

    async def tags(self, file_id: str) -> set[str]:
        async with self.session() as session:
            rows = await session.scalars(select(FileTag.name).where(FileTag.file_id == uuid.UUID(file_id)))
            return set(rows)

    async def items(self, album_id: str) -> list[str]:
        async with self.session() as session:
            rows = await session.scalars(
                select(CollectionItem.file_id)
                .where(CollectionItem.collection_id == uuid.UUID(album_id))
                .order_by(CollectionItem.position)
            )
            return [str(r) for r in rows]

    async def collection(self, album_id: str) -> Collection | None:
        async with self.session() as session:
            return await session.get(Collection, uuid.UUID(album_id))
