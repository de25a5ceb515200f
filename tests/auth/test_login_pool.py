"""A sign-in holds no database connection while its password is hashed: sign-ins waiting for a
hashing thread, more of them than the pool has connections, do not make other requests wait."""

import asyncio

import httpx
import pytest
from anyio import to_thread

from app.config import Settings
from tests.conftest import MakeUser
from tests.files.helpers import PAST_THE_POOL, all_taken, assert_a_list_answers, until_waiting


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"login_attempts": 100})


async def test_sign_ins_waiting_to_hash_leave_the_pool_to_other_requests(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    alice = await make_user()
    threads = to_thread.current_default_thread_limiter()
    async with all_taken(threads):  # every worker thread is busy
        signing_in = [
            asyncio.create_task(
                client.post("/api/auth/login", json={"username": "alice", "password": "correct horse"})
            )
            for _ in range(PAST_THE_POOL)
        ]
        await until_waiting(threads, PAST_THE_POOL)
        await assert_a_list_answers(client, alice)
    answers = await asyncio.wait_for(asyncio.gather(*signing_in), 60)
    assert [answer.status_code for answer in answers] == [200] * PAST_THE_POOL
