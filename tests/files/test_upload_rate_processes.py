"""The upload rate limit is counted in the transaction that keeps the files, under the owner's lock:
exact however many requests race, in one process or in two sharing the database."""

import asyncio
from collections import Counter

import httpx
import pytest
from fastapi import FastAPI

from app.config import Settings
from tests.conftest import MakeUser
from tests.servers import Server

pytestmark = pytest.mark.anyio
LIMIT = 3


async def post_note(http: httpx.AsyncClient, url: str, token: str, n: int) -> int:
    response = await http.post(
        f"{url}/api/upload",
        files={"files": (f"n{n}.txt", f"note {n}\n".encode())},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code in (201, 429), response.text
    return response.status_code


async def test_racing_uploads_in_one_process_stop_at_the_limit(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser, settings: Settings
) -> None:
    app.state.settings = settings.model_copy(update={"upload_rate_limit": LIMIT})
    alice = await make_user("alice")
    statuses = await asyncio.gather(*(post_note(client, "", alice.token, n) for n in range(8)))
    assert Counter(statuses) == {201: LIMIT, 429: 8 - LIMIT}


async def test_uploads_through_two_processes_share_one_limit(settings: Settings) -> None:
    servers = [Server(settings, UPLOAD_RATE_LIMIT=str(LIMIT)) for _ in range(2)]
    try:
        urls = [server.url for server in servers]
        async with httpx.AsyncClient(timeout=60) as http:
            one_by_one = servers[0].register("alice")
            statuses = [await post_note(http, urls[n % 2], one_by_one, n) for n in range(6)]
            assert statuses == [201, 201, 201, 429, 429, 429]
            at_once = servers[1].register("bob")
            raced = await asyncio.gather(*(post_note(http, urls[n % 2], at_once, n) for n in range(8)))
            assert Counter(raced) == {201: LIMIT, 429: 8 - LIMIT}
    finally:
        for server in servers:
            server.stop()
