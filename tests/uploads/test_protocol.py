"""tus 1.0 on the wire, request by request: every status and header of API.md's table."""

import asyncio
import base64
import hashlib
import itertools
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from app.config import Settings
from app.main import create_app
from app.models import UploadSession
from app.storage import keys, open_store
from tests.conftest import UserHandle
from tests.files.helpers import elf_bytes
from tests.images.factory import png_declaring
from tests.uploads.helpers import OCTET, headers, metadata, photo_bytes, sha256, text_bytes

pytestmark = pytest.mark.anyio


async def create(http: httpx.AsyncClient, user: UserHandle, length: int | None, **extra: str) -> str:
    sizes = {"Upload-Length": str(length)} if length is not None else {"Upload-Defer-Length": "1"}
    response = await http.post("/api/uploads/tus", headers={**headers(user, **extra), **sizes})
    assert response.status_code == 201, response.text
    location = response.headers["location"]
    assert location.startswith("http://testserver/api/uploads/tus/")
    return httpx.URL(location).path


async def patch(
    http: httpx.AsyncClient, user: UserHandle, url: str, offset: int, data: bytes, **extra: str
) -> httpx.Response:
    return await http.patch(
        url, content=data, headers={**headers(user, **extra), **OCTET, "Upload-Offset": str(offset)}
    )


async def offset_of(http: httpx.AsyncClient, user: UserHandle, url: str) -> int:
    response = await http.head(url, headers=headers(user))
    assert response.status_code == 200
    return int(response.headers["upload-offset"])


async def resumable_ids(settings: Settings) -> list[str]:
    """The resumable uploads with bytes, seen through the store (a local directory or S3)."""
    return await open_store(settings).resumable_ids()


async def originals(settings: Settings) -> list[str]:
    return [entry.key async for entry in open_store(settings).scan(keys.ORIGINALS)]


async def test_options_tells_what_the_server_speaks(http: httpx.AsyncClient, settings: Settings) -> None:
    response = await http.options("/api/uploads/tus")
    assert response.status_code == 204
    assert response.headers["tus-resumable"] == "1.0.0"
    assert response.headers["tus-version"] == "1.0.0"
    assert response.headers["tus-max-size"] == str(settings.max_file_size)
    assert {"sha1", "sha256", "md5"} <= set(response.headers["tus-checksum-algorithm"].split(","))
    extensions = set(response.headers["tus-extension"].split(","))
    assert extensions == {
        "creation",
        "creation-with-upload",
        "creation-defer-length",
        "expiration",
        "checksum",
        "termination",
        "concatenation",
    }


async def test_a_file_in_three_patches_with_metadata(
    http: httpx.AsyncClient, alice: UserHandle, settings: Settings
) -> None:
    folder = (await http.post("/api/folders", json={"name": "trips"}, headers=alice.headers)).json()
    photo = photo_bytes()
    meta = metadata(filename="beach.jpg", folder_id=folder["id"], title="Beach", description="at dawn")
    created = await http.post(
        "/api/uploads/tus",
        headers={**headers(alice), "Upload-Length": str(len(photo)), "Upload-Metadata": meta},
    )
    assert created.status_code == 201
    assert created.headers["tus-resumable"] == "1.0.0"
    assert created.headers["upload-expires"].endswith("GMT")
    url = httpx.URL(created.headers["location"]).path
    head = await http.head(url, headers=headers(alice))
    assert head.headers["upload-offset"] == "0"
    assert head.headers["upload-length"] == str(len(photo))
    assert head.headers["cache-control"] == "no-store"
    assert "filename" in head.headers["upload-metadata"]
    cuts = [0, 10_000, 30_000, len(photo)]
    for start, end in itertools.pairwise(cuts):
        response = await patch(http, alice, url, start, photo[start:end])
        assert response.status_code == 204, response.text
        assert response.headers["upload-offset"] == str(end)
    file_id = response.headers["atrium-file-id"]
    file = (await http.get(f"/api/files/{file_id}", headers=alice.headers)).json()
    assert (file["name"], file["sha256"], file["size"]) == ("beach.jpg", sha256(photo), len(photo))
    assert (file["title"], file["description"], file["folder_id"]) == ("Beach", "at dawn", folder["id"])
    assert file["image"]["exif"]["camera_model"] == "EOS R5"
    assert file["image"]["exif"]["gps_latitude"] < 0
    thumbnail = await http.get(f"/api/images/{file_id}/thumbnail", headers=alice.headers)
    assert thumbnail.status_code == 200
    upload = (await http.get(f"/api/uploads/{url.rsplit('/', 1)[1]}", headers=alice.headers)).json()
    assert (upload["state"], upload["file"]["id"], upload["offset"]) == ("done", file_id, len(photo))
    assert await resumable_ids(settings) == []
    assert (await http.get("/api/uploads", headers=alice.headers)).json() == []


@pytest.mark.parametrize("version", [None, "0.2.2"])
async def test_another_protocol_version_is_412(
    http: httpx.AsyncClient, alice: UserHandle, version: str | None
) -> None:
    sent = {**alice.headers, "Upload-Length": "5"} | ({"Tus-Resumable": version} if version else {})
    response = await http.post("/api/uploads/tus", headers=sent)
    assert response.status_code == 412
    assert response.json()["code"] == "tus_version_unsupported"
    assert response.headers["tus-version"] == "1.0.0"


async def test_a_wrong_offset_is_409_and_writes_nothing(http: httpx.AsyncClient, alice: UserHandle) -> None:
    url = await create(http, alice, 100)
    assert (await patch(http, alice, url, 0, b"a" * 10)).status_code == 204
    for wrong in (0, 5, 11):
        response = await patch(http, alice, url, wrong, b"b" * 10)
        assert response.status_code == 409
        assert response.json()["code"] == "upload_offset_mismatch"
    assert await offset_of(http, alice, url) == 10


async def test_a_wrong_content_type_is_415_and_writes_nothing(
    http: httpx.AsyncClient, alice: UserHandle
) -> None:
    url = await create(http, alice, 100)
    sent = {**headers(alice), "Upload-Offset": "0", "Content-Type": "application/octet-stream"}
    response = await http.patch(url, content=b"x" * 10, headers=sent)
    assert response.status_code == 415
    assert response.json()["code"] == "offset_octet_stream_required"
    assert await offset_of(http, alice, url) == 0


@pytest.mark.parametrize("algorithm", ["sha1", "sha256", "md5"])
async def test_checksums_keep_good_chunks_and_discard_bad_ones(
    http: httpx.AsyncClient, alice: UserHandle, algorithm: str
) -> None:
    data = text_bytes(20_000)
    url = await create(http, alice, len(data), Upload_Metadata=metadata(filename="notes.txt"))

    def checksum(chunk: bytes) -> str:
        return f"{algorithm} {base64.b64encode(hashlib.new(algorithm, chunk).digest()).decode()}"

    bad = await patch(http, alice, url, 0, data[:9000], Upload_Checksum=checksum(b"something else"))
    assert bad.status_code == 460
    assert bad.json()["code"] == "checksum_mismatch"
    assert await offset_of(http, alice, url) == 0
    good = await patch(http, alice, url, 0, data[:9000], Upload_Checksum=checksum(data[:9000]))
    assert (good.status_code, good.headers["upload-offset"]) == (204, "9000")
    last = await patch(http, alice, url, 9000, data[9000:], Upload_Checksum=checksum(data[9000:]))
    assert last.status_code == 204
    file = (await http.get(f"/api/files/{last.headers['atrium-file-id']}", headers=alice.headers)).json()
    assert file["sha256"] == sha256(data)


async def test_an_unknown_checksum_algorithm_is_400(http: httpx.AsyncClient, alice: UserHandle) -> None:
    url = await create(http, alice, 10)
    response = await patch(http, alice, url, 0, b"x" * 10, Upload_Checksum="crc32 AAAAAA==")
    assert (response.status_code, response.json()["code"]) == (400, "checksum_unsupported")
    assert await offset_of(http, alice, url) == 0


async def test_another_users_upload_is_404_everywhere(
    http: httpx.AsyncClient, alice: UserHandle, bob: UserHandle
) -> None:
    url = await create(http, alice, 10)
    upload_id = url.rsplit("/", 1)[1]
    assert (await http.head(url, headers=headers(bob))).status_code == 404
    response = await patch(http, bob, url, 0, b"x" * 10)
    assert (response.status_code, response.json()["code"]) == (404, "upload_not_found")
    assert (await http.delete(url, headers=headers(bob))).status_code == 404
    assert (await http.get(f"/api/uploads/{upload_id}", headers=bob.headers)).status_code == 404
    assert (await http.get("/api/uploads", headers=bob.headers)).json() == []
    assert await offset_of(http, alice, url) == 0


async def test_termination_removes_the_bytes_and_later_requests_are_404(
    http: httpx.AsyncClient, alice: UserHandle, settings: Settings
) -> None:
    url = await create(http, alice, 100)
    await patch(http, alice, url, 0, b"x" * 50)
    assert len(await resumable_ids(settings)) == 1
    assert (await http.delete(url, headers=headers(alice))).status_code == 204
    assert await resumable_ids(settings) == []
    assert (await http.head(url, headers=headers(alice))).status_code == 404
    response = await patch(http, alice, url, 50, b"x" * 50)
    assert (response.status_code, response.json()["code"]) == (404, "upload_not_found")
    assert (await http.delete(url, headers=headers(alice))).status_code == 404


async def expire(app: FastAPI, url: str) -> None:
    upload_id = uuid.UUID(url.rsplit("/", 1)[1])
    async with app.state.session_factory() as session:
        past = datetime(2000, 1, 1, tzinfo=UTC)
        await session.execute(
            update(UploadSession).where(UploadSession.id == upload_id).values(expires_at=past)
        )
        await session.commit()


async def test_an_expired_upload_is_410_then_gone_with_its_bytes_after_a_restart(
    http: httpx.AsyncClient, app: FastAPI, alice: UserHandle, settings: Settings
) -> None:
    url = await create(http, alice, 100)
    await patch(http, alice, url, 0, b"x" * 50)
    await expire(app, url)
    response = await http.head(url, headers=headers(alice))
    assert response.status_code == 410
    response = await patch(http, alice, url, 50, b"x" * 50)
    assert (response.status_code, response.json()["code"]) == (410, "upload_expired")
    assert (await http.get("/api/uploads", headers=alice.headers)).json() == []
    restarted = create_app(settings)
    async with restarted.router.lifespan_context(restarted):
        assert await resumable_ids(settings) == []
    assert (await http.head(url, headers=headers(alice))).status_code == 404


async def test_over_the_file_limit_is_413_at_creation(
    http: httpx.AsyncClient, alice: UserHandle, settings: Settings
) -> None:
    sent = {**headers(alice), "Upload-Length": str(settings.max_file_size + 1)}
    over = await http.post("/api/uploads/tus", headers=sent)
    assert (over.status_code, over.json()["code"]) == (413, "file_too_large")
    assert await resumable_ids(settings) == []


async def test_quota_is_reserved_at_creation(settings: Settings) -> None:
    small = Settings(**{**settings.model_dump(), "default_storage_quota": 1000})
    app = create_app(small)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            body = {"username": "carol", "email": "carol@example.com", "password": "correct horse"}
            token = (await http.post("/api/auth/register", json=body)).json()["access_token"]
            carol = UserHandle(id="", username="carol", token=token)
            assert (
                await http.post("/api/uploads/tus", headers={**headers(carol), "Upload-Length": "600"})
            ).status_code == 201
            second = await http.post("/api/uploads/tus", headers={**headers(carol), "Upload-Length": "600"})
            assert (second.status_code, second.json()["code"]) == (413, "quota_exceeded")
            assert (
                await http.post("/api/uploads/tus", headers={**headers(carol), "Upload-Length": "400"})
            ).status_code == 201


async def test_an_unknown_folder_is_404_at_creation(http: httpx.AsyncClient, alice: UserHandle) -> None:
    sent = {**headers(alice), "Upload-Length": "5", "Upload-Metadata": metadata(folder_id="9" * 32)}
    response = await http.post("/api/uploads/tus", headers=sent)
    assert (response.status_code, response.json()["code"]) == (404, "folder_not_found")


async def test_a_refused_type_ends_the_upload_at_its_first_bytes(
    http: httpx.AsyncClient, alice: UserHandle, settings: Settings
) -> None:
    url = await create(http, alice, 10 * 1024 * 1024, Upload_Metadata=metadata(filename="tool.bin"))
    head = elf_bytes() + b"\0" * 8192
    response = await patch(http, alice, url, 0, head)
    assert (response.status_code, response.json()["code"]) == (415, "unsupported_type")
    assert await resumable_ids(settings) == []
    assert (await http.head(url, headers=headers(alice))).status_code == 410
    upload = (await http.get(f"/api/uploads/{url.rsplit('/', 1)[1]}", headers=alice.headers)).json()
    assert (upload["state"], upload["error"], upload["file"]) == ("refused", "unsupported_type", None)
    again = await patch(http, alice, url, len(head), b"x")
    assert (again.status_code, again.json()["code"]) == (410, "upload_ended")


async def test_a_name_that_lies_about_the_content_is_415(http: httpx.AsyncClient, alice: UserHandle) -> None:
    data = text_bytes(12_000)
    url = await create(http, alice, len(data), Upload_Metadata=metadata(filename="photo.jpg"))
    response = await patch(http, alice, url, 0, data)
    assert (response.status_code, response.json()["code"]) == (415, "type_mismatch")


async def test_a_deferred_length_is_given_by_a_later_patch(
    http: httpx.AsyncClient, alice: UserHandle
) -> None:
    data = text_bytes(30_000)
    url = await create(http, alice, None, Upload_Metadata=metadata(filename="log.txt"))
    head = await http.head(url, headers=headers(alice))
    assert head.headers["upload-defer-length"] == "1"
    assert "upload-length" not in head.headers
    assert (await patch(http, alice, url, 0, data[:10_000])).status_code == 204
    last = await patch(http, alice, url, 10_000, data[10_000:], Upload_Length=str(len(data)))
    assert last.status_code == 204
    fixed = await patch(http, alice, url, len(data), b"", Upload_Length="5")
    assert fixed.status_code == 410  # the upload made its file
    file = (await http.get(f"/api/files/{last.headers['atrium-file-id']}", headers=alice.headers)).json()
    assert file["sha256"] == sha256(data)


async def test_creation_with_upload_can_finish_in_one_request(
    http: httpx.AsyncClient, alice: UserHandle
) -> None:
    data = text_bytes(5000)
    sent = {
        **headers(alice),
        **OCTET,
        "Upload-Length": str(len(data)),
        "Upload-Metadata": metadata(filename="a.txt"),
    }
    response = await http.post("/api/uploads/tus", headers=sent, content=data)
    assert response.status_code == 201
    assert response.headers["upload-offset"] == str(len(data))
    file = (await http.get(f"/api/files/{response.headers['atrium-file-id']}", headers=alice.headers)).json()
    assert file["sha256"] == sha256(data)
    partial = await http.post("/api/uploads/tus", headers={**sent, "Upload-Length": "9000"}, content=data)
    assert (partial.status_code, partial.headers["upload-offset"]) == (201, "5000")


async def test_a_chunk_past_the_length_is_413_and_writes_nothing(
    http: httpx.AsyncClient, alice: UserHandle
) -> None:
    url = await create(http, alice, 10)
    response = await patch(http, alice, url, 0, b"x" * 11)
    assert (response.status_code, response.json()["code"]) == (413, "upload_length_exceeded")
    assert await offset_of(http, alice, url) == 0


async def test_an_empty_upload_is_a_file_at_creation(http: httpx.AsyncClient, alice: UserHandle) -> None:
    sent = {**headers(alice), "Upload-Length": "0", "Upload-Metadata": metadata(filename="empty.txt")}
    response = await http.post("/api/uploads/tus", headers=sent)
    assert response.status_code == 201
    assert response.headers["atrium-file-id"]


async def test_duplicates_are_linked_as_with_post_upload(http: httpx.AsyncClient, alice: UserHandle) -> None:
    data = text_bytes(9000)
    ids = []
    for _ in range(2):
        sent = {
            **headers(alice),
            **OCTET,
            "Upload-Length": str(len(data)),
            "Upload-Metadata": metadata(filename="d.txt"),
        }
        ids.append(
            (await http.post("/api/uploads/tus", headers=sent, content=data)).headers["atrium-file-id"]
        )
    second = (await http.get(f"/api/files/{ids[1]}", headers=alice.headers)).json()
    assert second["duplicate_of"] == ids[0]


async def test_unfinished_uploads_are_listed_with_their_progress(
    http: httpx.AsyncClient, alice: UserHandle
) -> None:
    url = await create(http, alice, 100, Upload_Metadata=metadata(filename="big.txt"))
    await patch(http, alice, url, 0, text_bytes(40))
    listed = (await http.get("/api/uploads", headers=alice.headers)).json()
    assert [
        (item["id"].replace("-", ""), item["filename"], item["offset"], item["length"]) for item in listed
    ] == [(url.rsplit("/", 1)[1].replace("-", ""), "big.txt", 40, 100)]


async def test_three_partial_uploads_made_in_parallel_concatenate(
    http: httpx.AsyncClient, alice: UserHandle, settings: Settings
) -> None:
    data = text_bytes(3 * 50_000 + 7)
    pieces = [data[:50_000], data[50_000:100_000], data[100_000:]]
    urls = [await create(http, alice, len(piece), Upload_Concat="partial") for piece in pieces]

    async def send(url: str, piece: bytes) -> None:
        for start in range(0, len(piece), 20_000):
            response = await patch(http, alice, url, start, piece[start : start + 20_000])
            assert response.status_code == 204, response.text
        assert "atrium-file-id" not in response.headers  # a partial upload is no file

    await asyncio.gather(*(send(url, piece) for url, piece in zip(urls, pieces, strict=True)))
    final = await http.post(
        "/api/uploads/tus",
        headers={
            **headers(alice),
            "Upload-Concat": "final;" + " ".join(urls),
            "Upload-Metadata": metadata(filename="joined.txt"),
        },
    )
    assert final.status_code == 201, final.text
    file = (await http.get(f"/api/files/{final.headers['atrium-file-id']}", headers=alice.headers)).json()
    assert (file["sha256"], file["name"]) == (sha256(data), "joined.txt")
    for url in urls:
        assert (await http.head(url, headers=headers(alice))).status_code == 404
    final_url = httpx.URL(final.headers["location"]).path
    head = await http.head(final_url, headers=headers(alice))
    assert (head.headers["upload-concat"], head.headers["upload-offset"]) == ("final", str(len(data)))
    refused = await patch(http, alice, final_url, len(data), b"x")
    assert (refused.status_code, refused.json()["code"]) == (403, "upload_is_final")
    assert await resumable_ids(settings) == []


async def test_an_unfinished_partial_cannot_be_concatenated(
    http: httpx.AsyncClient, alice: UserHandle
) -> None:
    url = await create(http, alice, 100, Upload_Concat="partial")
    final = await http.post("/api/uploads/tus", headers={**headers(alice), "Upload-Concat": f"final;{url}"})
    assert (final.status_code, final.json()["code"]) == (409, "upload_not_complete")


async def test_two_patches_at_once_do_not_both_write(http: httpx.AsyncClient, alice: UserHandle) -> None:
    url = await create(http, alice, 200_000, Upload_Metadata=metadata(filename="race.txt"))
    data = text_bytes(200_000)
    started, release = asyncio.Event(), asyncio.Event()

    async def slow() -> AsyncIterator[bytes]:
        yield data[:100_000]
        started.set()
        await release.wait()
        yield data[100_000:150_000]

    first = asyncio.create_task(
        http.patch(url, content=slow(), headers={**headers(alice), **OCTET, "Upload-Offset": "0"})
    )
    await asyncio.wait_for(started.wait(), 10)
    await asyncio.sleep(0.2)
    second = await patch(http, alice, url, 0, data[:50_000])
    assert (second.status_code, second.json()["code"]) == (423, "upload_locked")
    release.set()
    assert (await first).status_code == 204
    assert await offset_of(http, alice, url) == 150_000
    last = await patch(http, alice, url, 150_000, data[150_000:])
    file = (await http.get(f"/api/files/{last.headers['atrium-file-id']}", headers=alice.headers)).json()
    assert file["sha256"] == sha256(data)


async def test_cors_allows_and_exposes_the_tus_headers(http: httpx.AsyncClient) -> None:
    preflight = await http.options(
        "/api/uploads/tus/abc",
        headers={
            "Origin": "http://localhost:5173",
            "Access-Control-Request-Method": "PATCH",
            "Access-Control-Request-Headers": "tus-resumable,upload-offset,upload-checksum,authorization",
        },
    )
    assert preflight.status_code == 200
    response = await http.options("/api/uploads/tus", headers={"Origin": "http://localhost:5173"})
    exposed = {name.strip().lower() for name in response.headers["access-control-expose-headers"].split(",")}
    assert {
        "location",
        "upload-offset",
        "upload-length",
        "upload-expires",
        "tus-resumable",
        "atrium-file-id",
    } <= exposed


async def test_a_rule_that_refuses_the_finished_file_answers_the_last_patch(
    http: httpx.AsyncClient, alice: UserHandle, settings: Settings, tmp_path: Path
) -> None:
    bomb = png_declaring(tmp_path / "bomb.png", 30_000, 30_000).read_bytes()
    url = await create(http, alice, len(bomb), Upload_Metadata=metadata(filename="bomb.png"))
    response = await patch(http, alice, url, 0, bomb)
    assert (response.status_code, response.json()["code"]) == (422, "image_too_large")
    upload = (await http.get(f"/api/uploads/{url.rsplit('/', 1)[1]}", headers=alice.headers)).json()
    assert (upload["state"], upload["error"]) == ("refused", "image_too_large")
    assert await resumable_ids(settings) == []
    assert await originals(settings) == []
    assert (await http.get("/api/files", headers=alice.headers)).json()["total"] == 0
