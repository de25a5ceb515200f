"""Upload rules from the security review: an atomic quota, a cap on parts, no active names."""

import asyncio

import httpx
import pytest

from app.config import Settings
from app.models import File
from app.storage import keys
from tests.conftest import MakeUser
from tests.files.conftest import CountRows
from tests.files.helpers import (
    jpeg_bytes,
    left_parts,
    multipart,
    multipart_headers,
    part,
    stored_blobs,
)


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
    assert len(await stored_blobs(settings, keys.ORIGINALS)) == 1
    assert await left_parts(settings) == []


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
    assert await left_parts(settings) == []
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


ACTIVE_NAMES = ["photo.html", "photo.HTM", "photo.svg", "photo.js", "photo.exe", "photo.html."]


@pytest.mark.parametrize("name", ACTIVE_NAMES)
async def test_an_active_or_executable_name_is_refused(
    client: httpx.AsyncClient, make_user: MakeUser, settings: Settings, count_rows: CountRows, name: str
) -> None:
    alice = await make_user()
    data = jpeg_bytes() + b"<script>alert(1)</script>"
    body = multipart([part("files", data, filename=name)])
    response = await client.post("/api/upload", content=body, headers=multipart_headers(alice.headers))
    assert response.status_code == 415
    assert response.json()["code"] == "type_mismatch"
    assert await count_rows(File) == 0
    assert await stored_blobs(settings, keys.ORIGINALS) == []
    assert await left_parts(settings) == []


async def test_other_unknown_extensions_and_slips_keep_their_name(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    alice = await make_user()
    files = [("files", (name, jpeg_bytes(), "image/jpeg")) for name in ("a.jpeg", "b.png", "c.photo")]
    response = await client.post("/api/upload", headers=alice.headers, files=files)
    assert response.status_code == 201, response.text
    assert [(f["name"], f["mime_type"]) for f in response.json()["files"]] == [
        ("a.jpeg", "image/jpeg"),
        ("b.png", "image/jpeg"),
        ("c.photo", "image/jpeg"),
    ]


async def test_a_rename_cannot_make_an_image_active(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    alice = await make_user()
    response = await client.post(
        "/api/upload", headers=alice.headers, files={"files": ("photo.jpg", jpeg_bytes(), "image/jpeg")}
    )
    file = response.json()["files"][0]
    url = f"/api/files/{file['id']}"
    renamed = await client.patch(url, json={"name": "photo.html"}, headers=alice.headers)
    assert renamed.status_code == 415
    assert renamed.json()["code"] == "type_mismatch"
    download = await client.get(file["urls"]["download"], headers=alice.headers)
    assert 'filename="photo.jpg"' in download.headers["content-disposition"]
    fine = await client.patch(url, json={"name": "holiday.jpeg"}, headers=alice.headers)
    assert fine.status_code == 200
    assert fine.json()["name"] == "holiday.jpeg"
