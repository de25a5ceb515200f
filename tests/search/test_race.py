"""A file purged while a search runs never makes a 500 (issue 18)."""

import asyncio
import sqlite3
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event

from app.config import Settings
from tests.conftest import MakeUser, UserHandle
from tests.search.conftest import AddFile


@pytest.fixture
async def alice(make_user: MakeUser) -> UserHandle:
    return await make_user("alice")


def purge_on_postgres(url: str, names: list[str]) -> None:
    """Delete from another connection, in a thread of its own (the caller's loop is busy)."""
    import asyncpg

    async def run() -> None:
        other = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
        try:
            await other.execute("DELETE FROM file WHERE name = any($1::text[])", names)
        finally:
            await other.close()

    worker = threading.Thread(target=asyncio.run, args=(run(),))
    worker.start()
    worker.join()


@pytest.fixture
def purge_after_ranking(app: FastAPI, settings: Settings) -> Iterator[list[str]]:
    """Deletes the named files' rows from another connection right after the ranking statement,
    before the search loads the rows: the race of issue 18, made deterministic."""
    names: list[str] = []
    url = settings.database_url

    def purge(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if ("bm25" not in statement and "ts_rank_cd" not in statement) or not names:
            return
        if url.startswith("sqlite"):
            with sqlite3.connect(url.removeprefix("sqlite+aiosqlite:///")) as other:  # foreign keys off
                other.executemany("DELETE FROM file WHERE name = ?", [(name,) for name in names])
        else:
            purge_on_postgres(url, names)
        names.clear()

    engine = app.state.engine.sync_engine
    event.listen(engine, "after_cursor_execute", purge)
    yield names
    event.remove(engine, "after_cursor_execute", purge)


async def test_a_file_purged_right_after_ranking_is_answered_as_ranked(
    client: httpx.AsyncClient, alice: UserHandle, add_file: AddFile, purge_after_ranking: list[str]
) -> None:
    """The ranked page and its rows are one statement: a purge after it changes neither the
    items nor the total (only the tags, read after, could miss it), and answers no 500."""
    for name in ("zebra-1.txt", "zebra-2.txt", "zebra-3.txt"):
        await add_file(alice.id, name, text="a zebra")
    purge_after_ranking.append("zebra-2.txt")
    response = await client.get("/api/search", params={"q": "zebra"}, headers=alice.headers)
    assert response.status_code == 200, response.text
    names = sorted(item["name"] for item in response.json()["items"])
    assert names == ["zebra-1.txt", "zebra-2.txt", "zebra-3.txt"]
    assert response.json()["total"] == 3
    assert purge_after_ranking == []  # the purge did run


async def test_concurrent_purges_and_searches_never_answer_500(
    client: httpx.AsyncClient, alice: UserHandle, add_file: AddFile
) -> None:
    ids = [await add_file(alice.id, f"zebra-{n}.txt", text="zebra stripes") for n in range(40)]
    done = asyncio.Event()
    statuses: list[int] = []

    async def search() -> None:
        while not done.is_set():
            response = await client.get("/api/search", params={"q": "zebra"}, headers=alice.headers)
            statuses.append(response.status_code)

    async def purge() -> None:
        for file_id in ids:
            url = f"/api/files/{file_id}"
            statuses.append(
                (await client.delete(url, params={"permanent": "true"}, headers=alice.headers)).status_code
            )
        done.set()

    await asyncio.gather(purge(), *(search() for _ in range(4)))
    assert 500 not in statuses
    assert set(statuses) <= {200, 204}
