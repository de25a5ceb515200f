"""A download from object storage holds no database connection while the store answers: downloads
waiting for a slow S3 server, more of them than the pool has connections, do not make other
requests wait for the pool (30 s, then a 500)."""

import asyncio
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from app.config import Settings
from tests.conftest import MakeUser
from tests.storage.helpers import S3Server, on_s3
from tests.uploads.helpers import CuttingProxy

WAITING = 20  # more than the pool's 15 (5 kept, 10 overflow)


@pytest.fixture
def valve(s3: S3Server) -> Iterator[CuttingProxy]:
    """The S3 server behind a proxy the test can stop."""
    proxy = CuttingProxy(urlsplit(s3.endpoint).port or 80, cut_after=2**62)
    yield proxy
    proxy.close()


@pytest.fixture
def settings(settings: Settings, s3: S3Server, valve: CuttingProxy) -> Settings:
    return on_s3(settings, s3, aws_endpoint_url=valve.url)


async def test_downloads_waiting_for_the_store_leave_the_pool_to_other_requests(
    client: httpx.AsyncClient, make_user: MakeUser, valve: CuttingProxy
) -> None:
    alice = await make_user()
    files = [("files", (f"{n}.txt", f"words {n}\n".encode(), "text/plain")) for n in range(WAITING)]
    uploaded = await client.post("/api/upload", files=files, headers=alice.headers)
    assert uploaded.status_code == 201, uploaded.text
    ids = [stored["id"] for stored in uploaded.json()["files"]]
    valve.flowing.clear()  # the store stops answering
    try:
        downloads = [
            asyncio.create_task(client.get(f"/api/files/{file_id}/download", headers=alice.headers))
            for file_id in ids
        ]
        for _ in range(1000):  # until every download waits for the store
            if valve.waiting >= WAITING:
                break
            await asyncio.sleep(0.02)
        assert valve.waiting >= WAITING
        listed = await asyncio.wait_for(client.get("/api/files", headers=alice.headers), 10)
        assert listed.status_code == 200
    finally:
        valve.flowing.set()
    answers = await asyncio.wait_for(asyncio.gather(*downloads), 60)
    assert [answer.content for answer in answers] == [f"words {n}\n".encode() for n in range(WAITING)]
