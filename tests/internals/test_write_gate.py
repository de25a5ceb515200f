"""SQLite writers queue in the write gate (app/sqlitegate.py) instead of polling SQLite's lock:
inside one process on an asyncio lock, across processes (here: two engines) on a file lock."""

import asyncio
import os
import sys
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from app.config import Settings
from app.db import create_engine
from app.gctune import SWITCH_SECONDS
from app.main import create_app
from app.sqlitegate import gate_of

pytestmark = pytest.mark.anyio


async def make_table(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE IF NOT EXISTS t (n INTEGER)"))


async def write_and_hold(engine: AsyncEngine, n: int, held: asyncio.Event, release: asyncio.Event) -> None:
    async with engine.connect() as conn:
        await conn.execute(text("INSERT INTO t VALUES (:n)"), {"n": n})
        held.set()
        await release.wait()
        await conn.commit()


async def write(engine: AsyncEngine, n: int) -> None:
    async with engine.connect() as conn:
        await conn.execute(text("INSERT INTO t VALUES (:n)"), {"n": n})
        await conn.commit()


async def count(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(text("SELECT count(*) FROM t"))).scalar_one())


@pytest.mark.parametrize("second_process", [False, True], ids=["same process", "other process"])
async def test_a_writer_waits_at_the_gate_for_the_holder(tmp_path: Path, second_process: bool) -> None:
    first = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'gate.db'}")
    second = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'gate.db'}") if second_process else first
    try:
        await make_table(first)
        held, release = asyncio.Event(), asyncio.Event()
        holder = asyncio.create_task(write_and_hold(first, 1, held, release))
        await held.wait()
        waiters = [asyncio.create_task(write(second, n)) for n in range(2, 6)]
        await asyncio.sleep(0.2)
        assert not any(waiter.done() for waiter in waiters)
        gate = gate_of(second)
        assert gate is not None
        assert gate.waiting == 4  # queued in the gate, not polling SQLite
        assert await count(second) == 0  # readers are not held up
        release.set()
        await asyncio.wait_for(asyncio.gather(holder, *waiters), 10)
        assert await count(first) == 5
        assert (tmp_path / "gate.db-writer.lock").exists()
    finally:
        await first.dispose()
        await second.dispose()


async def test_many_writers_from_two_engines_all_get_through(tmp_path: Path) -> None:
    engines = [create_engine(f"sqlite+aiosqlite:///{tmp_path / 'many.db'}") for _ in range(2)]
    try:
        await make_table(engines[0])
        await asyncio.wait_for(asyncio.gather(*(write(engines[n % 2], n) for n in range(60))), 30)
        assert await count(engines[1]) == 60
    finally:
        for engine in engines:
            await engine.dispose()


async def test_a_writer_gives_up_after_the_busy_timeout_and_the_gate_still_works(tmp_path: Path) -> None:
    """The waiter blocked in flock (in a thread) is abandoned at the timeout; the lock it gets later
    is dropped at once, so the next writer passes as soon as the holder leaves."""
    first = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'late.db'}")
    second = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'late.db'}")
    try:
        await make_table(first)
        gate = gate_of(second)
        assert gate is not None
        gate.timeout_seconds = 0.3
        held, release = asyncio.Event(), asyncio.Event()
        holder = asyncio.create_task(write_and_hold(first, 1, held, release))
        await held.wait()
        with pytest.raises(OperationalError, match="database is locked"):
            await write(second, 2)
        release.set()
        await holder
        await asyncio.wait_for(write(second, 3), 5)
        await asyncio.wait_for(write(first, 4), 5)
        assert await count(first) == 3
    finally:
        await first.dispose()
        await second.dispose()


async def test_serving_hands_the_gil_over_sooner(settings: Settings) -> None:
    """A thread with a database result waits for the GIL at most SWITCH_SECONDS, not 5 ms."""
    application = create_app(settings)
    before = sys.getswitchinterval()
    async with application.router.lifespan_context(application):
        assert sys.getswitchinterval() == pytest.approx(SWITCH_SECONDS)
    assert sys.getswitchinterval() == before


def open_paths() -> set[str]:
    return {os.path.realpath(f"/proc/self/fd/{fd}") for fd in os.listdir("/proc/self/fd")}


async def test_disposing_the_engine_closes_the_lock_file(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'gate.db'}")
    lock_file = str(tmp_path / "gate.db-writer.lock")
    await make_table(engine)
    await write(engine, 1)
    assert lock_file in open_paths()
    await engine.dispose()
    assert lock_file not in open_paths()
    await write(engine, 2)  # the engine still works after a dispose, and opens the file again
    assert await count(engine) == 2
    await engine.dispose()
    assert lock_file not in open_paths()


async def test_disposing_leaves_the_lock_file_of_a_writer_in_progress(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'gate.db'}")
    lock_file = str(tmp_path / "gate.db-writer.lock")
    await make_table(engine)
    held, release = asyncio.Event(), asyncio.Event()
    holder = asyncio.create_task(write_and_hold(engine, 1, held, release))
    await held.wait()
    await engine.dispose()  # the holder's connection is checked out: the dispose leaves it alone
    assert lock_file in open_paths()
    release.set()
    await holder
    assert await count(engine) == 1
    await engine.dispose()
    assert lock_file not in open_paths()
