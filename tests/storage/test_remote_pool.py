"""Nothing holds a database connection while object storage answers: downloads waiting for a
slow S3 server, more of them than the pool has connections, do not make other requests wait for
the pool (30 s, then a 500), and maintenance lists the store with no connection held."""

import asyncio
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from app.config import Settings
from app.maintenance import service
from tests.conftest import MakeUser, UserHandle
from tests.files.helpers import PAST_THE_POOL, assert_a_list_answers, jpeg_bytes, until
from tests.storage.helpers import S3Server, on_s3
from tests.uploads.helpers import CuttingProxy


@pytest.fixture
def valve(s3: S3Server) -> Iterator[CuttingProxy]:
    """The S3 server behind a proxy the test can stop."""
    proxy = CuttingProxy(urlsplit(s3.endpoint).port or 80, cut_after=2**62)
    yield proxy
    proxy.close()


@pytest.fixture
def settings(settings: Settings, s3: S3Server, valve: CuttingProxy) -> Settings:
    return on_s3(settings, s3, aws_endpoint_url=valve.url)


async def while_the_store_waits(
    client: httpx.AsyncClient, valve: CuttingProxy, user: UserHandle, paths: list[str]
) -> list[httpx.Response]:
    """GET every path while the store does not answer; once all of them wait for it, a file list
    must still answer. Their answers, after the store is back."""
    valve.flowing.clear()
    try:
        reads = [asyncio.create_task(client.get(path, headers=user.headers)) for path in paths]
        assert await until(lambda: valve.waiting >= len(paths))  # every read waits for the store
        await assert_a_list_answers(client, user)
    finally:
        valve.flowing.set()
    return await asyncio.wait_for(asyncio.gather(*reads), 60)


async def test_downloads_waiting_for_the_store_leave_the_pool_to_other_requests(
    client: httpx.AsyncClient, make_user: MakeUser, valve: CuttingProxy
) -> None:
    alice = await make_user()
    files = [("files", (f"{n}.txt", f"words {n}\n".encode(), "text/plain")) for n in range(PAST_THE_POOL)]
    uploaded = await client.post("/api/upload", files=files, headers=alice.headers)
    assert uploaded.status_code == 201, uploaded.text
    paths = [f"/api/files/{stored['id']}/download" for stored in uploaded.json()["files"]]
    answers = await while_the_store_waits(client, valve, alice, paths)
    assert [answer.content for answer in answers] == [f"words {n}\n".encode() for n in range(PAST_THE_POOL)]


@pytest.mark.parametrize(
    "path", ["/api/images/{id}/thumbnail", "/api/files/{id}/preview", "/api/files/{id}"], ids=str.split
)
async def test_reads_that_ask_the_store_leave_the_pool_to_other_requests(
    client: httpx.AsyncClient, make_user: MakeUser, valve: CuttingProxy, path: str
) -> None:
    alice = await make_user()
    files = [
        ("files", (f"{n}.jpg", jpeg_bytes((32, 24), color=f"#{n:06x}"), "image/jpeg"))
        for n in range(PAST_THE_POOL)
    ]
    uploaded = await client.post("/api/upload", files=files, headers=alice.headers)
    assert uploaded.status_code == 201, uploaded.text
    paths = [path.format(id=stored["id"]) for stored in uploaded.json()["files"]]
    answers = await while_the_store_waits(client, valve, alice, paths)
    assert [answer.status_code for answer in answers] == [200] * PAST_THE_POOL


@pytest.mark.parametrize("task", ["orphans", "sweep"])
async def test_maintenance_holds_no_connection_while_it_lists_the_store(
    app: FastAPI, settings: Settings, valve: CuttingProxy, task: str
) -> None:
    async with app.state.session_factory() as session:
        await session.execute(select(1))  # a read before, as the admin's token check is
        valve.flowing.clear()
        try:
            if task == "orphans":
                running = service.find_orphans(session, settings=settings, storage=app.state.storage)
            else:
                running = service.sweep_parts(session, settings=settings, storage=app.state.storage)
            listing = asyncio.create_task(running)
            assert await until(lambda: valve.waiting > 0)  # it waits for the store
            assert app.state.engine.pool.checkedout() == 0
        finally:
            valve.flowing.set()
        await asyncio.wait_for(listing, 60)
