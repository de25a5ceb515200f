"""One writer at a time on SQLite, queued instead of polled.

SQLite lets one connection write at a time. A connection that finds the write lock taken sleeps in
its busy handler with a back-off that grows to 100 ms a try, so under load a write waits for
seconds while the lock is free most of the time, and a busy process can starve the other. The
gate queues writers before SQLite sees them: an asyncio lock inside the process, then a file lock
beside the database shared by every process, waited for in a blocking flock (no polling). A
connection passes the gate at its first INSERT/UPDATE/DELETE (when the sqlite3 module opens the
write transaction) and leaves it when it goes back to the pool, which the session does right after
its commit or rollback.
"""

import asyncio
import fcntl
import os
import re
import sqlite3
import threading
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.util import await_

WRITE_STATEMENT = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)
HELD = "atrium_write_gate"
_gates: "weakref.WeakKeyDictionary[AsyncEngine, WriteGate]" = weakref.WeakKeyDictionary()


class WriteGate:
    def __init__(self, lock_path: Path | None, timeout_seconds: float) -> None:
        self.lock_path = lock_path
        self.timeout_seconds = timeout_seconds
        self._lock: asyncio.Lock | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._fd: int | None = None
        self.waiting = 0

    def _local_lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        if self._lock is None or self._loop is not loop:
            self._lock, self._loop = asyncio.Lock(), loop
        return self._lock

    async def enter(self) -> None:
        """Queue on the process's lock, then on the file lock; both within the busy timeout."""
        self.waiting += 1
        lock = self._local_lock()
        try:
            async with asyncio.timeout(self.timeout_seconds):
                await lock.acquire()
                try:
                    await self._lock_file()
                except BaseException:
                    lock.release()
                    raise
        except TimeoutError:
            raise sqlite3.OperationalError("database is locked") from None
        finally:
            self.waiting -= 1

    def leave(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        if self._lock is not None and self._lock.locked():
            self._lock.release()

    def close(self) -> None:
        """Close the lock file unless a writer holds it (a dispose leaves checked-out connections
        alone); a later writer opens it again."""
        if self._fd is not None and not (self._lock is not None and self._lock.locked()):
            os.close(self._fd)
            self._fd = None

    async def _lock_file(self) -> None:
        """Only the holder of the process's lock gets here, so one thread at most per process
        blocks in flock (the GIL released) until the other process leaves."""
        if self.lock_path is None:
            return
        if self._fd is None:
            self._fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        if _try_flock(self._fd):
            return
        claim = _Claim(self._fd)
        try:
            await asyncio.to_thread(claim.wait)
        except BaseException:
            if claim.abandon():  # the thread still waits: its descriptor (and later lock) is its own
                self._fd = None
            else:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
            raise


class _Claim:
    """A blocking flock in a worker thread that the waiter may abandon (timeout, cancellation):
    the thread then drops the lock it gets by closing its descriptor."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self._mutex = threading.Lock()
        self._abandoned = self._locked = False

    def wait(self) -> None:
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        with self._mutex:
            self._locked = True
            if self._abandoned:
                os.close(self.fd)

    def abandon(self) -> bool:
        """True when the thread has not got the lock yet (it will close the descriptor)."""
        with self._mutex:
            self._abandoned = True
            return not self._locked


def _try_flock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def file_beside(engine: AsyncEngine, suffix: str) -> Path | None:
    """`<database file><suffix>`, shared by every process on the database (the path resolved, so
    a process that reaches it through a link finds the same file); None unless it is a plain path
    (in memory, or a `file:` URI)."""
    database = engine.url.database
    if not on_disk(engine) or database is None:
        return None
    return Path(f"{os.path.realpath(database)}{suffix}")


def on_disk(engine: AsyncEngine) -> bool:
    database = engine.url.database
    return bool(database) and database != ":memory:" and not str(database).startswith("file:")


def when_returned(engine: AsyncEngine, flag: str, act: Callable[[], None]) -> None:
    """`act()` when a connection whose info has `flag` goes back to the pool (its transaction
    over) or is closed; the flag is cleared."""

    def on_checkin(dbapi_connection: Any, entry: ConnectionPoolEntry) -> None:
        if entry.info.pop(flag, False):
            act()

    event.listen(engine.sync_engine.pool, "checkin", on_checkin)
    event.listen(engine.sync_engine.pool, "close", on_checkin)


def install(engine: AsyncEngine, *, timeout_seconds: float) -> WriteGate:
    gate = WriteGate(file_beside(engine, "-writer.lock"), timeout_seconds)

    def before_execute(conn: Connection, cursor: Any, statement: str, *args: Any) -> None:
        if not conn.info.get(HELD) and WRITE_STATEMENT.match(statement):
            await_(gate.enter())
            conn.info[HELD] = True

    event.listen(engine.sync_engine, "before_cursor_execute", before_execute)
    when_returned(engine, HELD, gate.leave)
    event.listen(engine.sync_engine, "engine_disposed", lambda _: gate.close())
    _gates[engine] = gate
    return gate


def gate_of(engine: AsyncEngine) -> WriteGate | None:
    return _gates.get(engine)
