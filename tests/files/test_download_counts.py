"""Download counts are kept in memory and written in batches (app/ledger.py): a download shows at once
in the process that served it, in another process within the flush interval, and survives a clean
shutdown."""

import time
import uuid
from typing import Any

import anyio
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from app.config import Settings
from app.db import create_engine, create_session_factory
from app.main import create_app
from app.models import Activity, File
from tests.conftest import MakeUser
from tests.servers import Server

pytestmark = pytest.mark.anyio


async def upload_note(
    client: httpx.AsyncClient, headers: dict[str, str], name: str = "note.txt", url: str = ""
) -> str:
    response = await client.post(
        f"{url}/api/upload", files={"files": (name, b"some words\n")}, headers=headers
    )
    assert response.status_code == 201, response.text
    file_id: str = response.json()["files"][0]["id"]
    return file_id


async def stored_counts(settings: Settings, file_id: str) -> tuple[int, int]:
    """download_count and the number of download rows, read by an engine of the test's own."""
    engine = create_engine(settings.database_url)
    try:
        async with create_session_factory(engine)() as session:
            count = await session.scalar(select(File.download_count).where(File.id == uuid.UUID(file_id)))
            rows = await session.scalar(
                select(func.count())
                .select_from(Activity)
                .where(Activity.file_id == uuid.UUID(file_id), Activity.action == "download")
            )
    finally:
        await engine.dispose()
    return count or 0, rows or 0


async def test_a_download_shows_in_the_list_and_the_stats_at_once(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    alice = await make_user("alice")
    quiet = await upload_note(client, alice.headers, "quiet.txt")
    popular = await upload_note(client, alice.headers, "popular.txt")
    for _ in range(2):
        assert (await client.get(f"/api/files/{popular}/download", headers=alice.headers)).status_code == 200
    listing = await client.get("/api/files", params={"sort": "download_count"}, headers=alice.headers)
    assert [(item["id"], item["download_count"]) for item in listing.json()["items"]] == [
        (popular, 2),
        (quiet, 0),
    ]
    stats = (await client.get("/api/storage/stats", headers=alice.headers)).json()
    assert [entry["action"] for entry in stats["recent_activity"][:2]] == ["download", "download"]


async def test_the_counts_are_written_without_a_read(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser, settings: Settings
) -> None:
    alice = await make_user("alice")
    file_id = await upload_note(client, alice.headers)
    await client.get(f"/api/files/{file_id}/download", headers=alice.headers)
    deadline = time.monotonic() + 10 * settings.counts_flush_seconds
    while await stored_counts(settings, file_id) != (1, 1):
        assert time.monotonic() < deadline, "the ledger did not write the download on its own"
        await anyio.sleep(0.1)


async def test_the_counts_survive_a_clean_shutdown(settings: Settings) -> None:
    # Held for longer than the test runs: only the shutdown can write them.
    application = create_app(settings.model_copy(update={"counts_flush_seconds": 3600}))
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            body = {"username": "alice", "email": "alice@example.com", "password": "correct horse"}
            token = (await http.post("/api/auth/register", json=body)).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            file_id = await upload_note(http, headers)
            for _ in range(3):
                assert (await http.get(f"/api/files/{file_id}/download", headers=headers)).status_code == 200
    assert await stored_counts(settings, file_id) == (3, 3)


async def test_two_processes_counts_add_up(settings: Settings) -> None:
    first = Server(settings)
    second = Server(settings)
    try:
        token = first.register("alice")
        async with httpx.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=30) as http:
            file_id = await upload_note(http, {}, url=first.url)

            async def download(server: Server) -> None:
                assert (await http.get(f"{server.url}/api/files/{file_id}/download")).status_code == 200

            async def detail() -> Any:
                return (await http.get(f"{first.url}/api/files/{file_id}")).json()

            for server, times in ((first, 3), (second, 2)):
                for _ in range(times):
                    await download(server)
            # Each process shows its own at once, the other's within the flush interval.
            assert (await detail())["download_count"] >= 3
            deadline = time.monotonic() + 20 * settings.counts_flush_seconds
            while (shown := await detail())["download_count"] < 5:
                assert time.monotonic() < deadline, shown
                await anyio.sleep(0.1)
            assert shown["download_count"] == 5
            assert [entry["action"] for entry in shown["access_history"]].count("download") == 5
            for _ in range(2):
                await download(second)
        second.stop()  # SIGTERM: a clean shutdown writes what is pending
        assert await stored_counts(settings, file_id) == (7, 7)
    finally:
        first.stop()
        second.stop()
