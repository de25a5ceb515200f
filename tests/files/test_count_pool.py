"""A read that writes this process's pending counts first does not wait for a connection while
holding one: readers, more of them than the pool has connections, all answer at once."""

import asyncio

import httpx
import pytest

from app.config import Settings
from tests.conftest import MakeUser

READERS = 24  # more than the pool's 15 (5 kept, 10 overflow)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """No flush in the background: the readers find the counts pending."""
    return settings.model_copy(update={"counts_flush_seconds": 3600})


async def test_many_readers_of_pending_counts_answer_at_once(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    alice = await make_user()
    uploaded = await client.post("/api/upload", files={"files": ("a.txt", b"words\n")}, headers=alice.headers)
    file_id = uploaded.json()["files"][0]["id"]
    reads = [f"/api/files/{file_id}", "/api/files?sort=download_count", "/api/storage/stats"]
    for _ in range(3):
        downloaded = await client.get(f"/api/files/{file_id}/download", headers=alice.headers)
        assert downloaded.status_code == 200
        answers = await asyncio.wait_for(
            asyncio.gather(*(client.get(reads[n % 3], headers=alice.headers) for n in range(READERS))), 10
        )
        assert [answer.status_code for answer in answers] == [200] * READERS
    details = await client.get(f"/api/files/{file_id}", headers=alice.headers)
    assert details.json()["download_count"] == 3
