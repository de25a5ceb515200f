"""Upload, search and preview calls shared by the previews tests."""

from typing import Any

import httpx

from tests.conftest import UserHandle
from tests.files.helpers import multipart, multipart_headers, part


async def upload(client: httpx.AsyncClient, user: UserHandle, data: bytes, name: str) -> dict[str, Any]:
    body = multipart([part("files", data, filename=name)])
    response = await client.post("/api/upload", headers=multipart_headers(user.headers), content=body)
    assert response.status_code == 201, response.text
    item: dict[str, Any] = response.json()["files"][0]
    return item


async def found(client: httpx.AsyncClient, user: UserHandle, q: str) -> list[str]:
    response = await client.get("/api/search", params={"q": q}, headers=user.headers)
    assert response.status_code == 200, response.text
    return [item["name"] for item in response.json()["items"]]


async def detail(client: httpx.AsyncClient, user: UserHandle, item: dict[str, Any]) -> dict[str, Any]:
    response = await client.get(f"/api/files/{item['id']}", headers=user.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def healthy(client: httpx.AsyncClient) -> bool:
    return (await client.get("/healthz")).status_code == 200
