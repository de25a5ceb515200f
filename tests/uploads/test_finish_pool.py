"""A resumable upload whose last byte is in holds no database connection while its file is stored
and looked at: finishes queued behind busy decoders, more of them than the pool has connections,
do not make other requests wait for the pool."""

import asyncio

import httpx
import pytest
from fastapi import FastAPI

from app.work import ImageWork
from tests.conftest import MakeUser
from tests.files.helpers import PAST_THE_POOL, all_taken, assert_a_list_answers, jpeg_bytes, until_waiting
from tests.uploads.helpers import OCTET, headers, metadata

pytestmark = pytest.mark.anyio


async def test_finishes_waiting_for_a_decoder_leave_the_pool_to_other_requests(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    alice = await make_user()
    photos = [jpeg_bytes((64, 48), color=f"#{n:06x}") for n in range(PAST_THE_POOL)]
    urls = []
    for n, photo in enumerate(photos):
        created = await client.post(
            "/api/uploads/tus",
            headers={
                **headers(alice),
                "Upload-Length": str(len(photo)),
                "Upload-Metadata": metadata(filename=f"p{n}.jpg"),
            },
        )
        assert created.status_code == 201, created.text
        urls.append(httpx.URL(created.headers["location"]).path)
    work: ImageWork = app.state.image_work
    async with all_taken(work.limiter):  # every decoder is busy
        finishing = [
            asyncio.create_task(
                client.patch(url, content=photo, headers={**headers(alice), **OCTET, "Upload-Offset": "0"})
            )
            for url, photo in zip(urls, photos, strict=True)
        ]
        await until_waiting(work.limiter, PAST_THE_POOL)
        await assert_a_list_answers(client, alice)
    answers = await asyncio.wait_for(asyncio.gather(*finishing), 60)
    assert [answer.status_code for answer in answers] == [204] * PAST_THE_POOL
    listed = await client.get("/api/files", headers=alice.headers)
    assert listed.json()["total"] == PAST_THE_POOL
