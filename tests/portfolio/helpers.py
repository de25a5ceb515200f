"""Artwork uploads and galleries through the API, with real images made by Pillow."""

from typing import Any

import httpx

from tests.files.helpers import multipart, multipart_headers, part, png_bytes

JSON = dict[str, Any]


async def upload_artwork_response(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    *,
    content: bytes | None = None,
    filename: str = "work.png",
    **fields: str,
) -> httpx.Response:
    body = png_bytes((40, 30), "teal") if content is None else content
    form = {"title": "Untitled", **fields}
    parts = [part(name, value.encode()) for name, value in form.items()]
    parts.append(part("file", body, filename=filename, content_type="image/png"))
    return await client.post(
        "/api/artworks/upload", content=multipart(parts), headers=multipart_headers(headers)
    )


async def upload_artwork(
    client: httpx.AsyncClient, headers: dict[str, str], *, content: bytes | None = None, **fields: str
) -> JSON:
    response = await upload_artwork_response(client, headers, content=content, **fields)
    assert response.status_code == 201, response.text
    data: JSON = response.json()
    return data


async def create_gallery(client: httpx.AsyncClient, headers: dict[str, str], **body: Any) -> JSON:
    response = await client.post("/api/galleries", json={"title": "Works", **body}, headers=headers)
    assert response.status_code == 201, response.text
    data: JSON = response.json()
    return data


async def add_to_gallery(
    client: httpx.AsyncClient, headers: dict[str, str], gallery_id: str, *artwork_ids: str
) -> JSON:
    response = await client.post(
        f"/api/galleries/{gallery_id}/artworks", json={"artwork_ids": list(artwork_ids)}, headers=headers
    )
    assert response.status_code == 200, response.text
    data: JSON = response.json()
    return data


async def public_gallery_with(
    client: httpx.AsyncClient, headers: dict[str, str], *, count: int = 1, **body: Any
) -> tuple[JSON, list[JSON]]:
    """A public gallery holding `count` fresh artworks, in upload order."""
    gallery = await create_gallery(client, headers, visibility="public", **body)
    artworks = [await upload_artwork(client, headers, title=f"Work {i}") for i in range(count)]
    await add_to_gallery(client, headers, gallery["id"], *(a["id"] for a in artworks))
    return gallery, artworks


async def plain_upload(client: httpx.AsyncClient, headers: dict[str, str], content: bytes, name: str) -> str:
    body = multipart([part("files", content, filename=name)])
    response = await client.post("/api/upload", content=body, headers=multipart_headers(headers))
    assert response.status_code == 201, response.text
    file_id: str = response.json()["files"][0]["id"]
    return file_id
