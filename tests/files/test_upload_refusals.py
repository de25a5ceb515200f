"""Bad input: each refused with a 4xx problem, nothing stored, nothing left on disk."""

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from app.config import Settings
from app.main import create_app
from app.models import File, RateLimitHit
from tests.conftest import MakeUser, UserHandle
from tests.files.conftest import CountRows
from tests.files.helpers import (
    BOUNDARY,
    asgi_scope,
    elf_bytes,
    left_parts,
    multipart,
    multipart_headers,
    part,
    png_bytes,
    stored_blobs,
    stored_files,
    tmp_parts,
)


async def assert_refused(
    response: httpx.Response, status: int, code: str, settings: Settings, count_rows: CountRows
) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code
    assert await stored_blobs(settings) == []
    assert await left_parts(settings) == []
    assert await count_rows(File) == 0


async def post(
    client: httpx.AsyncClient, user: UserHandle, body: bytes | AsyncIterator[bytes]
) -> httpx.Response:
    return await client.post("/api/upload", headers=multipart_headers(user.headers), content=body)


async def test_executable_named_jpg_is_type_mismatch(
    client: httpx.AsyncClient, make_user: MakeUser, settings: Settings, count_rows: CountRows
) -> None:
    alice = await make_user()
    body = multipart([part("files", elf_bytes(), filename="cat.jpg", content_type="image/jpeg")])
    await assert_refused(await post(client, alice, body), 415, "type_mismatch", settings, count_rows)


async def test_archive_named_png_is_type_mismatch(
    client: httpx.AsyncClient, make_user: MakeUser, settings: Settings, count_rows: CountRows
) -> None:
    alice = await make_user()
    import gzip

    body = multipart([part("files", gzip.compress(b"x" * 1000), filename="photo.png")])
    await assert_refused(await post(client, alice, body), 415, "type_mismatch", settings, count_rows)


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (elf_bytes(), "tool"),
        (b"#!/bin/sh\nrm -rf /\n", "script.sh"),
        (b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>", "page.html"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "icon.svg"),
    ],
)
async def test_disallowed_types_are_unsupported(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    settings: Settings,
    count_rows: CountRows,
    content: bytes,
    name: str,
) -> None:
    alice = await make_user()
    body = multipart([part("files", content, filename=name)])
    await assert_refused(await post(client, alice, body), 415, "unsupported_type", settings, count_rows)


async def test_one_refused_part_refuses_the_request(
    client: httpx.AsyncClient, make_user: MakeUser, settings: Settings, count_rows: CountRows
) -> None:
    alice = await make_user()
    big_text = b"fine text line\n" * 200_000  # 3 MB: written to tmp/ in batches before the bad part
    body = multipart(
        [
            part("files", png_bytes(), filename="ok.png"),
            part("files", big_text, filename="ok.txt"),
            part("files", elf_bytes(), filename="bad.jpg"),
        ]
    )
    await assert_refused(await post(client, alice, body), 415, "type_mismatch", settings, count_rows)


@pytest.fixture
def small_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"max_file_size": 64 * 1024, "max_request_size": 1024 * 1024})


@pytest.fixture
async def small_client(small_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    application = create_app(small_settings)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


async def register(client: httpx.AsyncClient, username: str = "alice") -> UserHandle:
    body = {"username": username, "email": f"{username}@example.com", "password": "correct horse"}
    data = (await client.post("/api/auth/register", json=body)).json()
    return UserHandle(id=data["user"]["id"], username=username, token=data["access_token"])


async def test_oversize_file_is_refused_without_reading_the_rest(
    small_client: httpx.AsyncClient, small_settings: Settings, app: FastAPI, count_rows: CountRows
) -> None:
    alice = await register(small_client)
    sent = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal sent
        head = part("files", b"", filename="big.txt")[: -len(b"\r\n")]
        yield head
        for _ in range(100):  # up to 6.4 MB if the server kept reading
            sent += 64 * 1024
            yield b"a" * (64 * 1024)
        yield b"\r\n--" + BOUNDARY.encode() + b"--\r\n"

    response = await small_client.post(
        "/api/upload",
        headers={**alice.headers, "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
        content=body(),
    )
    assert response.status_code == 413
    assert response.json()["code"] == "file_too_large"
    assert response.headers["connection"] == "close"
    assert sent <= 3 * 64 * 1024
    assert await stored_blobs(small_settings) == []
    assert await left_parts(small_settings) == []


async def test_declared_length_over_request_limit_is_refused_before_reading(
    small_client: httpx.AsyncClient, small_settings: Settings
) -> None:
    alice = await register(small_client)
    body = multipart([part("files", b"x" * (1024 * 1024 + 10), filename="a.txt")])
    response = await small_client.post(
        "/api/upload",
        headers={**alice.headers, "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
        content=body,
    )
    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"
    assert await stored_blobs(small_settings) == []


async def test_quota_is_enforced(
    client: httpx.AsyncClient, make_user: MakeUser, settings: Settings, app: FastAPI, count_rows: CountRows
) -> None:
    app.state.settings = settings.model_copy(update={"default_storage_quota": 3000})
    alice = await make_user()
    first = await post(client, alice, multipart([part("files", b"a" * 2000 + b"\n", filename="a.txt")]))
    assert first.status_code == 201
    before = await stored_blobs(settings)
    second = await post(client, alice, multipart([part("files", b"b" * 2000 + b"\n", filename="b.txt")]))
    assert second.status_code == 413
    assert second.json()["code"] == "quota_exceeded"
    assert await stored_blobs(settings) == before
    assert await left_parts(settings) == []
    assert await count_rows(File) == 1


async def test_upload_rate_limit(
    client: httpx.AsyncClient, make_user: MakeUser, settings: Settings, app: FastAPI, count_rows: CountRows
) -> None:
    app.state.settings = settings.model_copy(
        update={"upload_rate_limit": 2, "upload_rate_window_seconds": 60}
    )
    alice = await make_user()
    body = multipart([part("files", b"hello\n", filename="a.txt")])
    assert (await post(client, alice, body)).status_code == 201
    assert (await post(client, alice, body)).status_code == 201
    third = await post(client, alice, body)
    assert third.status_code == 429
    assert third.json()["code"] == "rate_limited"
    assert 1 <= int(third.headers["retry-after"]) <= 60
    assert await count_rows(File) == 2
    # Kept uploads are recorded in the transaction that keeps them; the refused one is not.
    assert await count_rows(RateLimitHit) == 2


@pytest.mark.parametrize(
    ("content_type", "body", "status", "code"),
    [
        (
            "multipart/form-data",
            multipart([part("files", b"hi\n", filename="a.txt")]),
            400,
            "malformed_multipart",
        ),
        ("application/json", b"{}", 400, "malformed_multipart"),
        (
            f"multipart/form-data; boundary={BOUNDARY}",
            multipart([part("files", b"hello\n" * 3000, filename="a.txt")])[:-40],
            400,
            "malformed_multipart",
        ),
        (f"multipart/form-data; boundary={BOUNDARY}", b"not multipart at all", 400, "malformed_multipart"),
        (
            f"multipart/form-data; boundary={BOUNDARY}",
            multipart([part("folder_id", b"root")]),
            422,
            "no_files",
        ),
        (f"multipart/form-data; boundary={BOUNDARY}", multipart([]), 422, "no_files"),
        (
            f"multipart/form-data; boundary={BOUNDARY}",
            multipart([part("other", b"hello\n", filename="a.txt")]),
            422,
            "no_files",
        ),
    ],
)
async def test_malformed_multipart(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    settings: Settings,
    count_rows: CountRows,
    content_type: str,
    body: bytes,
    status: int,
    code: str,
) -> None:
    alice = await make_user()
    response = await client.post(
        "/api/upload", headers={**alice.headers, "Content-Type": content_type}, content=body
    )
    await assert_refused(response, status, code, settings, count_rows)


async def test_client_disconnect_leaves_nothing(
    app: FastAPI, make_user: MakeUser, settings: Settings, count_rows: CountRows
) -> None:
    alice = await make_user()
    head = part("files", b"", filename="a.txt")[:-2] + b"text line\n" * 300_000
    messages = [
        {"type": "http.request", "body": head, "more_body": True},
        {"type": "http.disconnect"},
    ]
    sent: list[dict[str, object]] = []

    async def receive() -> dict[str, object]:
        return messages.pop(0)

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    headers = {
        "Host": "testserver",
        "Authorization": f"Bearer {alice.token}",
        "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
    }
    scope = asgi_scope("POST", "/api/upload", headers)
    await app(scope, receive, send)
    assert sent[0]["status"] == 400
    assert await stored_blobs(settings) == []
    assert await left_parts(settings) == []
    assert await count_rows(File) == 0


def test_helpers_find_nothing_in_an_empty_dir(tmp_path: Path) -> None:
    (tmp_path / "tmp").mkdir()
    assert stored_files(tmp_path) == []
    assert tmp_parts(tmp_path) == []
