"""Each statement on SQLite is one trip to aiosqlite's thread (app/sqlitetrips.py): SQLAlchemy's
own aiosqlite cursor made four (cursor, execute, fetchall, close), each a turn of the event loop
that a writer holding the write gate waited for."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError

from app.db import create_engine

pytestmark = pytest.mark.anyio


async def test_a_statement_is_one_trip_and_rows_ids_and_counts_come_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'trips.db'}")
    trips: list[str] = []
    real = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        trips.append(getattr(fn, "__name__", repr(fn)))
        return await real(self, fn, *args, **kwargs)

    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER)"))
        monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
        async with engine.connect() as conn:
            trips.clear()
            inserted = await conn.execute(text("INSERT INTO t (n) VALUES (:n)"), {"n": 7})
            assert inserted.lastrowid == 1
            await conn.execute(text("INSERT INTO t (n) VALUES (:n)"), [{"n": 8}, {"n": 9}])
            changed = await conn.execute(text("UPDATE t SET n = n + 1 WHERE n > 7"))
            assert changed.rowcount == 2
            rows = await conn.execute(text("SELECT id, n FROM t ORDER BY id"))
            assert rows.all() == [(1, 7), (2, 9), (3, 10)]
            assert trips == ["_run"] * 4
            await conn.commit()
    finally:
        await engine.dispose()


async def test_errors_keep_their_dbapi_classes(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'errors.db'}")
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE u (k TEXT PRIMARY KEY)"))
            await conn.execute(text("INSERT INTO u VALUES ('a')"))
        async with engine.connect() as conn:
            with pytest.raises(IntegrityError):
                await conn.execute(text("INSERT INTO u VALUES ('a')"))
            await conn.rollback()
            with pytest.raises(OperationalError):
                await conn.execute(text("SELECT * FROM missing"))
    finally:
        await engine.dispose()
