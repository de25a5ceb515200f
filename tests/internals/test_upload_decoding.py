"""An image upload queues for a decoder once: its small thumbnail and ThumbHash come out of one
worker job, not a second job on the thumbnail read back."""

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.work import ImageWork
from tests.conftest import MakeUser
from tests.files.helpers import png_bytes

pytestmark = pytest.mark.anyio


async def test_an_image_upload_makes_its_thumbnail_and_thumbhash_in_one_job(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    jobs: list[str] = []
    real = ImageWork.run

    async def counting(self: ImageWork, func: Callable[..., Any], *args: object) -> Any:
        jobs.append(func.__name__)
        return await real(self, func, *args)

    monkeypatch.setattr(ImageWork, "run", counting)
    alice = await make_user()
    response = await client.post(
        "/api/upload", headers=alice.headers, files={"files": ("p.png", png_bytes())}
    )
    assert response.status_code == 201, response.text
    assert response.json()["files"][0]["image"]["thumbhash"]
    assert jobs.count("_make_from") == 1
    assert "thumbhash_of" not in jobs
