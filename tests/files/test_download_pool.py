"""A long body being sent holds no database connection: clients that read downloads or ZIPs slowly
(or stop), more of them than the pool has connections, do not make other requests wait out the
pool's 30 s and fail."""

import asyncio
import os
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import MakeUser
from tests.files.helpers import PAST_THE_POOL, asgi_scope, assert_a_list_answers

LONG = "\n".join(os.urandom(16).hex() for _ in range(8000)).encode()  # longer than the server writes at once


@dataclass
class Readers:
    """Clients that stop at the first body bytes until `go` is set."""

    go: asyncio.Event = field(default_factory=asyncio.Event)
    all_begun: asyncio.Event = field(default_factory=asyncio.Event)
    begun: int = 0


async def stalled_get(app: FastAPI, path: str, headers: dict[str, str], readers: Readers) -> int:
    """Run a GET whose client takes no byte of the body until `readers.go` is set; its status."""
    status = 0

    async def receive() -> dict[str, Any]:
        await readers.go.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            readers.begun += 1
            if readers.begun == PAST_THE_POOL:
                readers.all_begun.set()
            await readers.go.wait()

    await app(asgi_scope("GET", path, headers), receive, send)
    return status


@pytest.mark.parametrize("what", ["download", "zip"])
async def test_stalled_readers_leave_the_pool_to_other_requests(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser, what: str
) -> None:
    alice = await make_user()
    folder = await client.post("/api/folders", json={"name": "long"}, headers=alice.headers)
    assert folder.status_code == 201, folder.text
    uploaded = await client.post(
        "/api/upload",
        data={"folder_id": folder.json()["id"]},
        files={"files": ("long.txt", LONG)},
        headers=alice.headers,
    )
    assert uploaded.status_code == 201, uploaded.text
    if what == "download":
        path = f"/api/files/{uploaded.json()['files'][0]['id']}/download"
    else:
        path = f"/api/folders/{folder.json()['id']}/zip"
    readers = Readers()
    tasks = [
        asyncio.create_task(stalled_get(app, path, alice.headers, readers)) for _ in range(PAST_THE_POOL)
    ]
    try:
        await asyncio.wait_for(readers.all_begun.wait(), 20)  # each one is sending its body
        await assert_a_list_answers(client, alice)
    finally:
        readers.go.set()
        statuses = await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 60)
    assert statuses == [200] * PAST_THE_POOL


async def test_a_released_download_still_sends_every_byte(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    alice = await make_user()
    uploaded = await client.post("/api/upload", files={"files": ("long.txt", LONG)}, headers=alice.headers)
    file_id = uploaded.json()["files"][0]["id"]
    whole = await client.get(f"/api/files/{file_id}/download", headers=alice.headers)
    assert whole.status_code == 200
    assert whole.content == LONG
    ranged = await client.get(
        f"/api/files/{file_id}/download", headers={**alice.headers, "Range": "bytes=1000-199999"}
    )
    assert ranged.status_code == 206
    assert ranged.content == LONG[1000:200000]
    details = await client.get(f"/api/files/{file_id}", headers=alice.headers)
    assert details.json()["download_count"] == 1
