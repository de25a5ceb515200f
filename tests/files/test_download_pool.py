"""A response being sent holds no database connection: the request's session ends when the route
returns, so clients that read a download slowly (or stop), more of them than the pool has
connections, do not make other requests wait out the pool's 30 s and fail."""

import asyncio
from typing import Any

import httpx
from fastapi import FastAPI

from tests.conftest import MakeUser
from tests.files.helpers import asgi_scope

STALLED = 20  # more than the pool's 15 (5 kept, 10 overflow)


async def stalled_download(
    app: FastAPI, path: str, headers: dict[str, str], go: asyncio.Event, begun: list[int]
) -> int:
    """Run a download whose client takes no byte of the body until `go` is set."""
    status = 0

    async def receive() -> dict[str, Any]:
        await go.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            begun.append(1)
            await go.wait()

    scope = asgi_scope("GET", path, headers)
    await app(scope, receive, send)
    return status


async def test_stalled_downloads_leave_the_pool_to_other_requests(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    alice = await make_user()
    uploaded = await client.post(
        "/api/upload", files={"files": ("a.txt", b"words\n" * 1000)}, headers=alice.headers
    )
    assert uploaded.status_code == 201, uploaded.text
    path = f"/api/files/{uploaded.json()['files'][0]['id']}/download"
    go, begun = asyncio.Event(), []
    downloads = [
        asyncio.create_task(stalled_download(app, path, alice.headers, go, begun)) for _ in range(STALLED)
    ]
    try:
        await asyncio.sleep(0.5)
        assert len(begun) == STALLED  # each one is sending its body, none has finished
        listed = await asyncio.wait_for(client.get("/api/files", headers=alice.headers), 10)
        assert listed.status_code == 200
    finally:
        go.set()
        statuses = await asyncio.wait_for(asyncio.gather(*downloads, return_exceptions=True), 60)
    assert statuses == [200] * STALLED
