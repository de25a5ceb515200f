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


async def test_parts_per_request_are_capped_and_empty_files_count(
    client: httpx.AsyncClient, make_user: MakeUser, settings: Settings, count_rows: CountRows
) -> None:
    assert settings.max_files_per_request == 100
    alice = await make_user()
    headers = multipart_headers(alice.headers)
    body = multipart(part("files", b"", filename=f"e{i}.txt") for i in range(101))
    refused = await client.post("/api/upload", content=body, headers=headers)
    assert refused.status_code == 413
    assert refused.json()["code"] == "too_many_files"
    assert await count_rows(File) == 0
    assert tmp_parts(settings.upload_dir) == []
    body = multipart(part("files", b"", filename=f"e{i}.txt") for i in range(100))
    accepted = await client.post("/api/upload", content=body, headers=headers)
    assert accepted.status_code == 201, accepted.text
    assert {file["size"] for file in accepted.json()["files"]} == {0}  # empty files are kept
    assert await count_rows(File) == 100


async def test_the_part_cap_is_a_setting(
    client: httpx.AsyncClient, make_user: MakeUser, settings: Settings, count_rows: CountRows
) -> None:
    settings.max_files_per_request = 2
    alice = await make_user()
    body = multipart(part("files", b"x%d" % i, filename=f"f{i}.txt") for i in range(3))
    response = await client.post("/api/upload", content=body, headers=multipart_headers(alice.headers))
    assert response.status_code == 413
    assert response.json()["code"] == "too_many_files"
    assert await count_rows(File) == 0
