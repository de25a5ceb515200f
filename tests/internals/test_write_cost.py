"""Writes kept short and few: a download or a view writes nothing in its request, the ledger writes a
batch in one transaction of at most three statements, and a multipart upload commits once (its
rate-limit hit rides in the transaction that keeps the files)."""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.config import Settings
from tests.conftest import MakeUser
from tests.gallery import make_image
from tests.internals.sqlcount import listening, statements

pytestmark = [pytest.mark.anyio, pytest.mark.internals]
WRITE = re.compile(r"\s*(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """No background flush during a test: the test decides when the ledger writes."""
    return settings.model_copy(update={"counts_flush_seconds": 3600})


@contextmanager
def commits(app: FastAPI) -> Iterator[list[int]]:
    seen: list[int] = []

    def record(conn: object) -> None:
        seen.append(1)

    with listening(app, commit=record):
        yield seen


@contextmanager
def write_commits(app: FastAPI) -> Iterator[list[int]]:
    """Commits of transactions that wrote (an upload also ends its read-only transaction before
    its body arrives, to give its connection back)."""
    seen: list[int] = []
    wrote: list[bool] = []

    def record_write(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if WRITE.match(statement):
            wrote.append(True)

    def record_commit(conn: object) -> None:
        if wrote:
            seen.append(1)
            wrote.clear()

    with listening(app, before_cursor_execute=record_write, commit=record_commit):
        yield seen


async def upload(client: httpx.AsyncClient, headers: dict[str, str], name: str, data: bytes) -> str:
    response = await client.post("/api/upload", files={"files": (name, data)}, headers=headers)
    assert response.status_code == 201, response.text
    file_id: str = response.json()["files"][0]["id"]
    return file_id


async def test_downloads_and_views_write_nothing_in_the_request(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    alice = await make_user("alice")
    note = await upload(client, alice.headers, "a.txt", b"words\n")
    image = await upload(client, alice.headers, "dot.png", make_image())
    with statements(app) as seen, commits(app) as committed:
        assert (await client.get(f"/api/files/{note}/download", headers=alice.headers)).status_code == 200
        assert (await client.get(f"/api/images/{image}/download", headers=alice.headers)).status_code == 200
        viewed = await client.get(f"/api/images/{image}", headers=alice.headers)
    assert viewed.json()["view_count"] == 1  # the pending view is in the answer
    assert [statement for statement in seen if WRITE.match(statement)] == []
    assert committed == []
    assert app.state.ledger.pending.counts  # held until a flush


async def test_a_batch_is_one_transaction_of_three_writes(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    alice = await make_user("alice")
    notes = [await upload(client, alice.headers, f"{n}.txt", f"note {n}\n".encode()) for n in range(5)]
    for n in range(20):
        await client.get(f"/api/files/{notes[n % 5]}/download", headers=alice.headers)
    with statements(app) as seen, commits(app) as committed:
        await app.state.ledger.flush()
    assert [statement.split()[0] for statement in seen] == ["UPDATE", "INSERT"]
    assert len(committed) == 1
    detail = (await client.get(f"/api/files/{notes[0]}", headers=alice.headers)).json()
    assert detail["download_count"] == 4


async def test_a_multipart_upload_commits_once(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    alice = await make_user("alice")
    await upload(client, alice.headers, "first.txt", b"first\n")
    with statements(app) as seen, write_commits(app) as committed:
        await upload(client, alice.headers, "second.txt", b"second\n")
    assert len(committed) == 1
    writes = [statement for statement in seen if WRITE.match(statement)]
    assert writes[0].startswith("UPDATE user")  # the transaction opens with the owner's lock
    assert any(statement.startswith("INSERT INTO rate_limit_hit") for statement in writes)


def held(seen: list[str]) -> list[str]:
    """The statements from a transaction's first write on: on SQLite, those made while it holds
    the database's write lock (each a trip to the connection's thread that others wait behind)."""
    first = next(n for n, statement in enumerate(seen) if WRITE.match(statement))
    return seen[first:]


async def test_an_upload_holds_the_write_lock_for_seven_statements(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    alice = await make_user("alice")
    await upload(client, alice.headers, "first.txt", b"first\n")
    with statements(app) as seen:
        await upload(client, alice.headers, "second.txt", b"second\n")
    locked = held(seen)
    assert locked[0].startswith("UPDATE user")
    assert "FROM usage" in locked[0].split("RETURNING")[1]  # the quota's bytes ride along
    assert not [statement for statement in locked[1:] if "FROM usage" in statement.split("ON CONFLICT")[0]]
    assert [statement.split()[0] for statement in locked if "rate_limit_hit" in statement] == ["INSERT"]
    assert len(locked) == 7, locked  # lock, rate hit, duplicates; activity, file, text, counters


async def test_a_trash_or_restore_moves_both_counters_in_one_statement(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    alice = await make_user("alice")
    note = await upload(client, alice.headers, "a.txt", b"words\n")
    with statements(app) as seen:
        assert (await client.delete(f"/api/files/{note}", headers=alice.headers)).status_code == 204
        assert (await client.post(f"/api/files/{note}/restore", headers=alice.headers)).status_code == 200
    counters = [statement for statement in seen if statement.startswith("INSERT INTO usage")]
    assert len(counters) == 2, counters  # live -1 and trashed +1 together, then back
    stats = await client.get("/api/files", headers=alice.headers)
    assert [item["id"] for item in stats.json()["items"]] == [note]


@contextmanager
def uncached(app: FastAPI) -> Iterator[list[str]]:
    """Statements SQLAlchemy compiled without a cache key, so again on every run."""
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        if context is not None and context.cache_hit == context.dialect.NO_CACHE_KEY:
            seen.append(statement)

    with listening(app, before_cursor_execute=record):
        yield seen


async def test_the_write_paths_compile_no_statement_anew(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    """Every statement of an upload, rename, trash, restore and deletion has a cache key: one
    without (the usage counters' upsert had its rows in `values()`) is compiled on every write,
    inside the write lock."""
    alice = await make_user("alice")
    with uncached(app) as seen:
        for round_ in range(2):
            file_id = await upload(client, alice.headers, f"n{round_}.txt", f"words {round_}\n".encode())
            url = f"/api/files/{file_id}"
            renamed = await client.patch(url, json={"name": f"r{round_}.txt"}, headers=alice.headers)
            assert renamed.status_code == 200
            assert (await client.delete(url, headers=alice.headers)).status_code == 204
            assert (await client.post(f"{url}/restore", headers=alice.headers)).status_code == 200
            gone = await client.delete(url, params={"permanent": "true"}, headers=alice.headers)
            assert gone.status_code == 204
    assert seen == []
