"""Share links through the API: albums, folders and files to share, and the links themselves."""

import io
import zipfile
from typing import Any

import httpx
from PIL import Image

from tests.conftest import UserHandle
from tests.files.helpers import upload
from tests.images.factory import camera_exif, noisy

JSON = dict[str, Any]


def jpeg_with_gps(size: tuple[int, int] = (64, 48)) -> bytes:
    buffer = io.BytesIO()
    noisy(size).save(buffer, "JPEG", exif=camera_exif(), quality=90)
    return buffer.getvalue()


def png_with_gps(size: tuple[int, int] = (32, 24)) -> bytes:
    buffer = io.BytesIO()
    noisy(size).save(buffer, "PNG", exif=camera_exif())
    return buffer.getvalue()


async def album_with(
    client: httpx.AsyncClient, user: UserHandle, contents: list[tuple[str, bytes]], **body: Any
) -> tuple[JSON, list[JSON]]:
    response = await client.post("/api/albums", json={"name": "Holiday", **body}, headers=user.headers)
    assert response.status_code == 201, response.text
    album: JSON = response.json()
    files = [await upload(client, user, data, name) for name, data in contents]
    response = await client.post(
        f"/api/albums/{album['id']}/images",
        json={"image_ids": [f["id"] for f in files]},
        headers=user.headers,
    )
    assert response.status_code == 200, response.text
    return album, files


async def make_folder(
    client: httpx.AsyncClient, user: UserHandle, name: str, parent_id: str | None = None
) -> str:
    response = await client.post(
        "/api/folders", json={"name": name, "parent_id": parent_id}, headers=user.headers
    )
    assert response.status_code == 201, response.text
    folder_id: str = response.json()["id"]
    return folder_id


async def move(client: httpx.AsyncClient, user: UserHandle, file_id: str, folder_id: str | None) -> None:
    response = await client.put(
        f"/api/files/{file_id}/move", json={"target_folder_id": folder_id}, headers=user.headers
    )
    assert response.status_code == 200, response.text


async def share(client: httpx.AsyncClient, user: UserHandle, **body: Any) -> JSON:
    response = await client.post("/api/shares", json=body, headers=user.headers)
    assert response.status_code == 201, response.text
    data: JSON = response.json()
    return data


def zip_contents(data: bytes) -> dict[str, bytes]:
    """Every member of a ZIP by name (directories as b""), checked by zipfile's CRC test."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        return {info.filename: archive.read(info) for info in archive.infolist()}


def scan_data(jpeg: bytes) -> bytes:
    """A JPEG's bytes from its first start-of-scan marker on (the compressed image data)."""
    position = 2
    while jpeg[position + 1] != 0xDA:
        position += 2 + int.from_bytes(jpeg[position + 2 : position + 4], "big")
    return jpeg[position:]


def gps_of(data: bytes) -> dict[int, Any]:
    with Image.open(io.BytesIO(data)) as image:
        return dict(image.getexif().get_ifd(0x8825))
