"""One writer at a time on SQLite, queued instead of polled.

SQLite lets one connection write at a time. A connection that finds the write lock taken sleeps in
its busy handler with a back-off that grows to 100 ms a try, so under load a write waits for
seconds while the lock is free most of the time, and a busy process can starve the other. The
gate queues writers before SQLite sees them: an asyncio lock inside the process, then a file lock
beside the database shared by every process, waited for in a blocking flock (no polling). A
connection passes the gate at its first INSERT/UPDATE/DELETE (when the sqlite3 module opens the
write transaction) and leaves it when it goes back to the pool, which the session does right after
its commit or rollback.

Across processes the writer that has waited longest goes next. Each gate posts when its oldest
waiting writer started to wait on a board every gate of the database maps (`Board`); a leaving
writer keeps the file lock for its process's next writer only when that one is older than every
other gate's. Without it the file lock alternates between processes, so the process with more
writers queued made each of them wait longer.
"""

import asyncio
import fcntl
import math
import mmap
import os
import re
import sqlite3
import struct
import threading
import time
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.util import await_

# A process keeps the file lock for its own next writer at most this often in a row: a gate that
# found no slot on the board (all taken) is invisible to the others, and still gets its turn.
KEEP_RUN = 8
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
        self._kept = False  # the file lock is held for this process's next writer
        self._kept_run = 0  # times in a row it was
        self._since: list[float] = []  # when each writer still waiting began, oldest first
        self._board = Board.join(lock_path.with_name(f"{lock_path.name}.board")) if lock_path else None
        self.waiting = 0

    def _local_lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        if self._lock is None or self._loop is not loop:
            self._lock, self._loop = asyncio.Lock(), loop
        return self._lock

    async def enter(self) -> None:
        """Queue on the process's lock, then on the file lock; both within the busy timeout."""
        self.waiting += 1
        since = time.monotonic()
        self._queue(since)
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
            self._unqueue(since)
            if self.waiting == 0 and self._kept and not lock.locked():
                self._drop_file_lock()  # kept for a writer that gave up: nobody else would free it

    def leave(self) -> None:
        if self._fd is not None:
            if self._next_is_oldest() and self._kept_run < KEEP_RUN:
                self._kept, self._kept_run = True, self._kept_run + 1
            else:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
                self._kept_run = 0
        if self._lock is not None and self._lock.locked():
            self._lock.release()

    def _queue(self, since: float) -> None:
        self._since.append(since)
        self._post()

    def _unqueue(self, since: float) -> None:
        self._since.remove(since)
        self._post()

    def _post(self) -> None:
        if self._board is not None:
            self._board.post(self._since[0] if self._since else 0.0)

    def _next_is_oldest(self) -> bool:
        """Without a board (every slot taken) the file lock is always passed on, as it was."""
        return self._board is not None and bool(self._since) and self._oldest_elsewhere() > self._since[0]

    def _older_elsewhere(self, since: float) -> bool:
        return self._oldest_elsewhere() < since

    def _oldest_elsewhere(self) -> float:
        return math.inf if self._board is None else self._board.oldest_elsewhere()

    def _drop_file_lock(self) -> None:
        self._kept = False
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    async def _lock_file(self) -> None:
        """Only the holder of the process's lock gets here, so one thread at most per process
        blocks in flock (the GIL released) until the other process leaves."""
        if self.lock_path is None:
            return
        if self._fd is None:
            self._fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        since = self._since[0]  # this writer's: the oldest of the process
        if self._kept:
            self._kept = False
            if not self._older_elsewhere(since):
                return
            fcntl.flock(self._fd, fcntl.LOCK_UN)  # kept for one that gave up; an older one waits elsewhere
        if not self._older_elsewhere(since):
            if _try_flock(self._fd):
                return
            claim = _Claim(self._fd)
        else:  # that writer's thread may not have woken yet: not ahead of it
            claim = _Claim(self._fd, yield_while=lambda: self._older_elsewhere(since))
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
    the thread then drops the lock it gets by closing its descriptor. With `yield_while`, a lock
    taken while that holds (another gate's older writer, woken by the lock just let go, had not
    run yet) is given back for a moment, for up to YIELD_SECONDS: that writer goes first."""

    YIELD_SECONDS = 0.02

    def __init__(self, fd: int, yield_while: Callable[[], bool] | None = None) -> None:
        self.fd = fd
        self._yield_while = yield_while
        self._mutex = threading.Lock()
        self._abandoned = self._locked = False

    def wait(self) -> None:
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        deadline = time.monotonic() + self.YIELD_SECONDS
        while self._yield_while is not None and self._yield_while() and time.monotonic() < deadline:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            time.sleep(0.001)
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


class Board:
    """One slot per gate of a database, in a small file every process maps: the CLOCK_MONOTONIC
    time (one clock for every process) at which the gate's oldest waiting writer began, 0 for
    none. Posting and reading are memory accesses, no system call. A slot is held with a POSIX
    record lock for the gate's life: a time posted longer than REAP_AFTER ago whose slot lock can
    be taken belongs to a process that died, and is cleared."""

    SLOTS = 128
    SLOT = struct.Struct("d")
    REAP_AFTER = 1.0
    _files: "dict[Path, tuple[int, mmap.mmap, set[int]]]" = {}  # this process's maps, by real path

    def __init__(self, path: Path, slot: int) -> None:
        self._fd, self._map, self._taken = self._files[path]
        self._slot = slot
        self.post(0.0)
        weakref.finalize(self, Board._free, path, slot)

    @classmethod
    def join(cls, path: Path) -> "Board | None":
        """A slot on the board at `path`, or None when all are taken or the file cannot be made
        (the gate then works alone)."""
        path = path.resolve()  # one map, and one set of record locks, per file in a process
        if path not in cls._files:
            try:
                cls._files[path] = cls._map_file(path)
            except OSError:
                return None
        fd, _, taken = cls._files[path]
        for slot in range(cls.SLOTS):
            if slot not in taken and _try_lockf(fd, slot * cls.SLOT.size, cls.SLOT.size):
                taken.add(slot)
                return cls(path, slot)
        return None

    @classmethod
    def _map_file(cls, path: Path) -> tuple[int, mmap.mmap, set[int]]:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            size = cls.SLOTS * cls.SLOT.size
            if os.fstat(fd).st_size < size:
                os.ftruncate(fd, size)
            return fd, mmap.mmap(fd, size), set()
        except OSError:
            os.close(fd)
            raise

    def post(self, since: float) -> None:
        self.SLOT.pack_into(self._map, self._slot * self.SLOT.size, since)

    def oldest_elsewhere(self) -> float:
        times = struct.unpack_from(f"{self.SLOTS}d", self._map)
        posted = [(since, slot) for slot, since in enumerate(times) if since and slot != self._slot]
        stale = time.monotonic() - self.REAP_AFTER
        return min(
            (since for since, slot in posted if since > stale or not self._reap(slot)), default=math.inf
        )

    def _reap(self, slot: int) -> bool:
        """Clear the slot if the gate that posted in it is gone (its record lock is free)."""
        offset = slot * self.SLOT.size
        if slot in self._taken or not _try_lockf(self._fd, offset, self.SLOT.size):
            return False
        self.SLOT.pack_into(self._map, offset, 0.0)
        fcntl.lockf(self._fd, fcntl.LOCK_UN, self.SLOT.size, offset)
        return True

    @classmethod
    def _free(cls, path: Path, slot: int) -> None:
        """Clear and give back the slot; the last slot of this process closes the map."""
        fd, board, taken = cls._files[path]
        offset = slot * cls.SLOT.size
        cls.SLOT.pack_into(board, offset, 0.0)
        fcntl.lockf(fd, fcntl.LOCK_UN, cls.SLOT.size, offset)
        taken.discard(slot)
        if not taken:
            del cls._files[path]
            board.close()
            os.close(fd)


def _try_lockf(fd: int, offset: int, length: int) -> bool:
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, length, offset)
    except OSError:
        return False
    return True


def _try_flock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def install(engine: AsyncEngine, *, timeout_seconds: float) -> WriteGate:
    database = engine.url.database
    on_disk = bool(database) and database != ":memory:" and not str(database).startswith("file:")
    gate = WriteGate(Path(f"{database}-writer.lock") if on_disk else None, timeout_seconds)

    def before_execute(conn: Connection, cursor: Any, statement: str, *args: Any) -> None:
        if not conn.info.get(HELD) and WRITE_STATEMENT.match(statement):
            await_(gate.enter())
            conn.info[HELD] = True

    def on_checkin(dbapi_connection: Any, entry: ConnectionPoolEntry) -> None:
        if entry.info.pop(HELD, False):
            gate.leave()

    event.listen(engine.sync_engine, "before_cursor_execute", before_execute)
    event.listen(engine.sync_engine.pool, "checkin", on_checkin)
    event.listen(engine.sync_engine.pool, "close", on_checkin)
    _gates[engine] = gate
    return gate


def gate_of(engine: AsyncEngine) -> WriteGate | None:
    return _gates.get(engine)
