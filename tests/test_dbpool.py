"""The connection pool serves waiting requests in the order they came, under SQLAlchemy's pool."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.util import greenlet_spawn
from sqlalchemy.util.queue import Empty, Full

from app.db import create_engine
from app.dbpool import FairPool, FairQueue

pytestmark = pytest.mark.anyio


@asynccontextmanager
async def one_connection(tmp_path: Path, *, wait_seconds: float = 10) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(
        f"sqlite+aiosqlite:///{tmp_path / 'pool.db'}",
        poolclass=FairPool,
        pool_size=1,
        max_overflow=0,
        pool_timeout=wait_seconds,
        pool_reset_on_return=None,  # hand back without a rollback: no await between close and the hand-over
    )
    try:
        yield engine
    finally:
        await engine.dispose()


def checked_out(engine: AsyncEngine) -> int:
    assert isinstance(engine.pool, FairPool)
    return engine.pool.checkedout()


async def connect(engine: AsyncEngine) -> AsyncConnection:
    return await engine.connect()


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


async def test_the_app_engine_uses_the_fair_pool(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'app.db'}")
    try:
        assert isinstance(engine.pool, FairPool)
        async with engine.connect() as connection:
            assert (await connection.execute(sa.text("SELECT 1"))).scalar_one() == 1
    finally:
        await engine.dispose()


async def test_waiters_are_served_in_arrival_order_before_newcomers(tmp_path: Path) -> None:
    served: list[str] = []

    async def use(engine: AsyncEngine, name: str) -> None:
        async with engine.connect() as connection:
            served.append(name)
            await connection.execute(sa.text("SELECT 1"))

    async with one_connection(tmp_path) as engine:
        holder = await engine.connect()
        waiters = []
        for name in ("first", "second", "third"):
            waiters.append(asyncio.create_task(use(engine, name)))
            await settle()  # each is queued before the next arrives
        newcomer = asyncio.create_task(use(engine, "newcomer"))  # runs its first step after the release below
        await holder.close()
        await asyncio.gather(*waiters, newcomer)
        assert served == ["first", "second", "third", "newcomer"]


async def test_a_waiter_times_out_with_the_pools_error_and_loses_nothing(tmp_path: Path) -> None:
    async with one_connection(tmp_path, wait_seconds=0.05) as engine:
        holder = await engine.connect()
        with pytest.raises(PoolTimeout):
            await engine.connect()
        await holder.close()
        assert checked_out(engine) == 0
        async with engine.connect() as connection:  # the one connection is still there to take
            assert (await connection.execute(sa.text("SELECT 1"))).scalar_one() == 1


async def test_a_cancelled_waiter_gives_back_what_it_was_handed(tmp_path: Path) -> None:
    async with one_connection(tmp_path, wait_seconds=1) as engine:
        holder = await engine.connect()
        waiting = asyncio.create_task(connect(engine))
        await settle()
        await holder.close()  # handed to the waiter, whose task has not run yet
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        assert checked_out(engine) == 0
        connection = await asyncio.wait_for(connect(engine), 1)
        await connection.close()


async def test_queue_keeps_what_is_put_when_nobody_waits_and_refuses_past_its_size() -> None:
    queue = FairQueue(maxsize=1)
    first: Any = object()
    with pytest.raises(Empty):
        queue.get_nowait()
    queue.put(first, False)
    assert (queue.qsize(), queue.full(), queue.empty()) == (1, True, False)
    with pytest.raises(Full):
        queue.put(object(), False)  # the pool closes such a connection
    assert await greenlet_spawn(queue.get, True, 1.0) is first
    with pytest.raises(Empty):
        await greenlet_spawn(queue.get, True, 0.01)


async def test_a_hand_over_to_a_cancelled_waiter_is_kept_even_in_a_full_queue() -> None:
    queue = FairQueue(maxsize=1)
    handed: Any = object()
    returned: Any = object()
    waiting = asyncio.create_task(greenlet_spawn(queue.get, True, 1.0))
    await settle()
    queue.put(handed, False)  # to the waiter, whose task has not run yet
    queue.put(returned, False)  # kept: the queue is full now
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert [queue.get_nowait(), queue.get_nowait()] == [returned, handed]  # nothing lost


async def test_in_memory_sqlite_keeps_its_one_shared_connection() -> None:
    engine = create_engine("sqlite+aiosqlite://")
    try:
        assert not isinstance(engine.pool, FairPool)
        async with engine.begin() as connection:
            await connection.execute(sa.text("CREATE TABLE t (x INTEGER)"))
        async with engine.connect() as connection:  # the same database, not a new empty one
            assert (await connection.execute(sa.text("SELECT count(*) FROM t"))).scalar_one() == 0
    finally:
        await engine.dispose()
