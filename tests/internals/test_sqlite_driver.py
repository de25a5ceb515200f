"""The SQLite adapter (app/sqlitedriver.py): one hop into aiosqlite's thread per statement, none
for a commit or rollback with no transaction open, and the DBAPI behaviour SQLAlchemy relies on."""

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiosqlite
import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db import create_engine
from tests.conftest import MakeUser, sqlite_only
from tests.files.helpers import upload


@pytest.fixture
def hops(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The functions sent to aiosqlite connections' threads (the calls go through)."""
    seen: list[str] = []
    real = aiosqlite.Connection._execute

    async def counting(self: aiosqlite.Connection, function: Callable[..., Any], *args: Any) -> Any:
        seen.append(getattr(function, "__name__", repr(function)))
        return await real(self, function, *args)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counting)
    return seen


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'driver.db'}")
    async with engine.begin() as conn:
        await conn.execute(sa.text("CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT UNIQUE)"))
    yield engine
    await engine.dispose()


async def test_a_statement_is_one_hop_and_a_read_ends_without_one(
    engine: AsyncEngine, hops: list[str]
) -> None:
    async with engine.connect() as conn:
        await conn.execute(sa.text("SELECT 1"))  # the pool's first connection settles in
    hops.clear()
    async with engine.connect() as conn:
        assert (await conn.execute(sa.text("SELECT count(*) FROM item"))).scalar_one() == 0
    assert hops == ["run_statement"]


async def test_rows_rowcount_lastrowid_and_executemany(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        inserted = await conn.execute(sa.text("INSERT INTO item (name) VALUES ('a')"))
        assert inserted.lastrowid == 1
        await conn.execute(sa.text("INSERT INTO item (name) VALUES (:name)"), [{"name": "b"}, {"name": "c"}])
        updated = await conn.execute(sa.text("UPDATE item SET name = name || '!' WHERE id > 1"))
        assert updated.rowcount == 2
        returned = await conn.execute(sa.text("INSERT INTO item (name) VALUES ('d') RETURNING id, name"))
        assert returned.all() == [(4, "d")]
    async with engine.connect() as conn:
        rows = (await conn.execute(sa.text("SELECT id, name FROM item ORDER BY id"))).all()
    assert rows == [(1, "a"), (2, "b!"), (3, "c!"), (4, "d")]
    assert list(rows[0]._mapping) == ["id", "name"]


async def test_a_rollback_after_a_write_undoes_it(engine: AsyncEngine, hops: list[str]) -> None:
    async with engine.connect() as conn:
        await conn.execute(sa.text("INSERT INTO item (name) VALUES ('gone')"))
        hops.clear()
        await conn.rollback()
        assert hops == ["rollback"]
        count = await conn.execute(sa.text("SELECT count(*) FROM item"))
        assert count.scalar_one() == 0


async def test_errors_are_the_dbapi_errors(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.execute(sa.text("INSERT INTO item (name) VALUES ('twice')"))
    with pytest.raises(IntegrityError):
        async with engine.begin() as conn:
            await conn.execute(sa.text("INSERT INTO item (name) VALUES ('twice')"))
    async with engine.connect() as conn:  # the connection that failed went back usable
        assert (await conn.execute(sa.text("SELECT count(*) FROM item"))).scalar_one() == 1


@sqlite_only
async def test_a_range_download_is_one_hop(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser, hops: list[str]
) -> None:
    """The file row, in one hop; the sign-in is kept since the upload; no rollback of the
    read-only session."""
    alice = await make_user()
    item = await upload(client, alice, b"0123456789" * 1000, "ten.txt")
    hops.clear()
    response = await client.get(item["urls"]["download"], headers={**alice.headers, "Range": "bytes=5-14"})
    assert response.status_code == 206
    assert response.content == b"5678901234"
    assert hops == ["run_statement"]
