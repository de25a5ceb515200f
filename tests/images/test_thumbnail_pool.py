"""A request waiting for image work holds no database connection: thumbnails and renditions
queued behind busy decoders, more of them than the pool has connections, do not make other
requests wait for the pool (30 s, then a 500)."""

import asyncio

import httpx
import pytest
from fastapi import FastAPI

from app.work import ImageWork
from tests.conftest import MakeUser
from tests.files.helpers import PAST_THE_POOL, all_taken, assert_a_list_answers, jpeg_bytes, until_waiting


@pytest.mark.parametrize("made", ["thumbnail?size=medium", "render?w=40&format=png"])
async def test_images_waiting_for_a_decoder_leave_the_pool_to_other_requests(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser, made: str
) -> None:
    alice = await make_user()
    files = [("files", (f"p{n}.jpg", jpeg_bytes((64, 48)), "image/jpeg")) for n in range(PAST_THE_POOL)]
    uploaded = await client.post("/api/upload", files=files, headers=alice.headers)
    assert uploaded.status_code == 201, uploaded.text
    paths = [f"/api/images/{stored['id']}/{made}" for stored in uploaded.json()["files"]]
    work: ImageWork = app.state.image_work
    async with all_taken(work.limiter):  # every decoder is busy
        made_now = [asyncio.create_task(client.get(path, headers=alice.headers)) for path in paths]
        await until_waiting(work.limiter, PAST_THE_POOL)
        await assert_a_list_answers(client, alice)
    answers = await asyncio.wait_for(asyncio.gather(*made_now), 60)
    assert [answer.status_code for answer in answers] == [200] * PAST_THE_POOL
