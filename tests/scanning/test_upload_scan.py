"""Every upload path streams its bytes to the real clamd before the rows commit."""

from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import anyio
import httpx
import pytest
from fastapi import FastAPI

from app.config import Settings
from app.files.ingest import BATCH_BYTES
from app.models import Activity, File
from app.storage import keys
from bench.clamd import EICAR_SIGNATURE, MARKER_SIGNATURE, Clamd
from tests.conftest import MakeUser
from tests.files.helpers import multipart, multipart_headers, part, png_bytes, upload
from tests.portfolio.helpers import upload_artwork, upload_artwork_response
from tests.scanning.helpers import EICAR, MARKER, STREAM_MAX, infected_png, unreachable
from tests.uploads.helpers import CuttingProxy, metadata


async def count(app: FastAPI, model: type[File] | type[Activity]) -> int:
    from sqlalchemy import func, select

    async with app.state.session_factory() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def originals(app: FastAPI) -> list[str]:
    """The originals in the app's store (a directory or a bucket)."""
    return [entry.key async for entry in app.state.storage.scan(keys.ORIGINALS)]


async def upload_response(
    client: httpx.AsyncClient, headers: dict[str, str], *files: tuple[str, bytes]
) -> httpx.Response:
    body = multipart([part("files", data, filename=name) for name, data in files])
    return await client.post("/api/upload", content=body, headers=multipart_headers(headers))


async def test_eicar_is_refused_and_nothing_is_kept(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser, settings: Settings
) -> None:
    alice = await make_user()
    response = await upload_response(client, alice.headers, ("clean.png", png_bytes()), ("eicar.txt", EICAR))
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["code"] == "malware_detected"
    assert EICAR_SIGNATURE in problem["detail"]
    assert await count(app, File) == 0
    assert await originals(app) == []
    listing = await client.get("/api/storage/stats", headers=alice.headers)
    assert [entry["action"] for entry in listing.json()["recent_activity"]] == ["malware"]


async def test_clean_files_pass(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    alice = await make_user()
    item = await upload(client, alice, b"just some notes\n" * 100, "notes.txt")
    assert item["size"] == 1600


async def test_a_body_signature_over_the_unix_socket(
    settings: Settings, clamd: Clamd, make_user: MakeUser, client: httpx.AsyncClient
) -> None:
    settings.clamd_address = clamd.unix
    alice = await make_user()
    response = await upload_response(client, alice.headers, ("notes.txt", b"hello\n" * 5000 + MARKER))
    assert response.status_code == 422
    assert MARKER_SIGNATURE in response.json()["detail"]


async def test_artwork_upload_is_scanned(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    alice = await make_user()
    response = await upload_artwork_response(client, alice.headers, content=infected_png())
    assert response.status_code == 422
    assert response.json()["code"] == "malware_detected"
    assert await count(app, File) == 0
    await upload_artwork(client, alice.headers)
    assert await count(app, File) == 1


@pytest.mark.parametrize("too_long", [False, True], ids=["unreachable", "past-stream-limit"])
async def test_no_verdict_fails_closed(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser, settings: Settings, too_long: bool
) -> None:
    alice = await make_user()
    if too_long:
        data = b"a long and harmless text\n" * (STREAM_MAX // 20)
    else:
        settings.clamd_address, data = unreachable(), b"harmless\n"
    response = await upload_response(client, alice.headers, ("notes.txt", data))
    assert response.status_code == 503, response.text
    assert response.json()["code"] == "scanner_unavailable"
    assert await count(app, File) == 0
    assert await originals(app) == []


@pytest.mark.parametrize("too_long", [False, True], ids=["unreachable", "past-stream-limit"])
async def test_no_verdict_fails_open_when_told(
    client: httpx.AsyncClient, make_user: MakeUser, settings: Settings, too_long: bool
) -> None:
    settings.scan_fail_mode = "open"
    alice = await make_user()
    if too_long:
        data = b"a long and harmless text\n" * (STREAM_MAX // 20)
    else:
        settings.clamd_address, data = unreachable(), b"harmless\n"
    item = await upload(client, alice, data, "notes.txt")
    assert item["size"] == len(data)


async def test_malware_still_refused_when_failing_open(
    client: httpx.AsyncClient, make_user: MakeUser, settings: Settings
) -> None:
    settings.scan_fail_mode = "open"
    alice = await make_user()
    response = await upload_response(client, alice.headers, ("eicar.com.txt", EICAR))
    assert response.json()["code"] == "malware_detected"


async def test_a_resumable_upload_is_scanned_when_it_completes(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    alice = await make_user()
    tus = {**alice.headers, "Tus-Resumable": "1.0.0"}
    created = await client.post(
        "/api/uploads/tus",
        headers={
            **tus,
            "Upload-Length": str(len(EICAR)),
            "Upload-Metadata": metadata(filename="eicar.txt"),
        },
    )
    assert created.status_code == 201, created.text
    url = httpx.URL(created.headers["location"]).path
    patched = await client.patch(
        url,
        content=EICAR,
        headers={**tus, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"},
    )
    assert patched.status_code == 422, patched.text
    assert patched.json()["code"] == "malware_detected"
    assert await count(app, File) == 0
    again = await client.head(url, headers=tus)
    assert again.status_code == 410


def proxied(settings: Settings, *, cut_after: int) -> CuttingProxy:
    """Point the app at clamd through a proxy that breaks its first connection after `cut_after` bytes."""
    proxy = CuttingProxy(urlsplit(settings.clamd_address).port or 0, cut_after)
    settings.clamd_address = f"tcp://127.0.0.1:{proxy.port}"
    return proxy


async def test_the_scan_overlaps_with_the_upload(
    client: httpx.AsyncClient, make_user: MakeUser, settings: Settings
) -> None:
    """clamd has bytes of the file while its last bytes are still on their way."""
    proxy = proxied(settings, cut_after=1 << 40)
    settings.scan_fail_mode = "open"  # 8 MiB is past the test clamd's stream limit
    alice = await make_user()
    head, tail = multipart([part("files", b"\0", filename="notes.txt")]).split(b"\0")
    batch = b"harmless words\n" * (BATCH_BYTES // 15 + 1)
    seen_while_uploading: list[int] = []

    async def body() -> AsyncIterator[bytes]:
        yield head + batch + batch
        with anyio.move_on_after(30):
            while not proxy.forwarded:  # noqa: ASYNC110 (a count kept by the proxy's threads)
                await anyio.sleep(0.02)
        seen_while_uploading.append(proxy.forwarded)
        yield b"the last words\n" + tail

    try:
        response = await client.post("/api/upload", content=body(), headers=multipart_headers(alice.headers))
    finally:
        proxy.close()
    assert response.status_code == 201, response.text
    assert seen_while_uploading[0] > 0


async def test_a_scan_cut_while_the_bytes_arrive_is_done_again_from_the_stored_bytes(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser, settings: Settings
) -> None:
    proxy = proxied(settings, cut_after=64)
    alice = await make_user()
    try:
        flagged = await upload_response(client, alice.headers, ("notes.txt", b"hello\n" * 5000 + MARKER))
        kept = await upload(client, alice, b"just some notes\n" * 100, "notes.txt")
    finally:
        proxy.close()
    assert proxy.cut.is_set()
    assert flagged.status_code == 422, flagged.text
    assert MARKER_SIGNATURE in flagged.json()["detail"]
    assert kept["size"] == 1600
    assert await count(app, File) == 1
