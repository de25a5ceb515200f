"""An upload whose body is still arriving holds no database connection: slow uploads, more of them
than the pool has connections, do not make every other request wait for the pool (30 s, then a
500)."""

import asyncio
from collections.abc import AsyncIterator

import httpx

from tests.conftest import MakeUser
from tests.files.helpers import BOUNDARY, PAST_THE_POOL, assert_a_list_answers, multipart_headers


async def paused_body(folder: str | None, go: asyncio.Event) -> AsyncIterator[bytes]:
    """A multipart body that stops after its first file bytes until `go` is set."""
    if folder is not None:
        field = 'Content-Disposition: form-data; name="folder_id"'
        yield f"--{BOUNDARY}\r\n{field}\r\n\r\n{folder}\r\n".encode()
    disposition = 'Content-Disposition: form-data; name="files"; filename="slow.txt"'
    yield f"--{BOUNDARY}\r\n{disposition}\r\n\r\nthe first words,".encode()
    await go.wait()
    yield f" and the last\r\n--{BOUNDARY}--\r\n".encode()


async def test_slow_uploads_leave_the_pool_to_other_requests(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    alice = await make_user()
    created = await client.post("/api/folders", json={"name": "slow"}, headers=alice.headers)
    assert created.status_code == 201, created.text
    folder = created.json()["id"]
    go = asyncio.Event()
    uploads = [
        asyncio.create_task(
            client.post(
                "/api/upload",
                headers=multipart_headers(alice.headers),
                content=paused_body(into, go),
            )
        )
        for into in [None, folder]
        for _ in range(PAST_THE_POOL)
    ]
    await asyncio.sleep(0.5)  # every upload is now waiting for the rest of its body
    assert not any(upload.done() for upload in uploads)
    await assert_a_list_answers(client, alice, seconds=5)
    go.set()
    answers = await asyncio.wait_for(asyncio.gather(*uploads), 30)
    assert [answer.status_code for answer in answers] == [201] * 2 * PAST_THE_POOL
    listed = await client.get("/api/files", params={"folder_id": folder}, headers=alice.headers)
    assert listed.json()["total"] == PAST_THE_POOL
