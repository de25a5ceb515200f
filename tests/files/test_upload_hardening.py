"""Upload rules from the security review: an atomic quota, a cap on parts, no active names."""

import asyncio

import httpx

from app.config import Settings
from app.models import File
from tests.conftest import MakeUser
from tests.files.conftest import CountRows
from tests.files.helpers import multipart, multipart_headers, part, stored_files, tmp_parts


async def test_concurrent_uploads_cannot_pass_the_quota_together(
    client: httpx.AsyncClient, make_user: MakeUser, settings: Settings, count_rows: CountRows
) -> None:
    settings.default_storage_quota = 10_000
    alice = await make_user()
    headers = multipart_headers(alice.headers)
    bodies = [multipart([part("files", b"%d" % i + b"a" * 7999, filename=f"r{i}.txt")]) for i in range(5)]
    responses = await asyncio.gather(
        *(client.post("/api/upload", content=body, headers=headers) for body in bodies)
    )
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [201, 413, 413, 413, 413], [r.text for r in responses]
    assert {r.json()["code"] for r in responses if r.status_code == 413} == {"quota_exceeded"}
    stats = (await client.get("/api/auth/user", headers=alice.headers)).json()["stats"]
    assert stats["storage_used"] == 8000
    assert await count_rows(File) == 1
    assert len(stored_files(settings.upload_dir / "originals")) == 1
    assert tmp_parts(settings.upload_dir) == []
