"""A change mark for chosen tables, shared by every process using one SQLite database.

Eight bytes in a file beside the database, mapped into each process's memory: reading it is a
memory read (no system call), so a cache may look at it on every request. A transaction that
wrote one of the watched tables sets new random bytes when its connection goes back to the pool,
which is after its COMMIT (or ROLLBACK: a needless change of mark costs only a cache miss). So a
cache entry filled under the old mark is stale before the writer's response can leave, in every
process. Random rather than counted: two processes marking at once need no lock to differ.

Only SQLite gets one: its processes share a machine. On other databases `epoch_of` is None.
"""

import mmap
import os
import re
import weakref
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from app import sqlitegate

SIZE = 8
WROTE = "atrium_epoch_wrote"
# An UPDATE of a watched table that changes nothing (a row lock) opts out with this option.
UNCHANGED = "epoch_unchanged"
_epochs: "weakref.WeakKeyDictionary[AsyncEngine, Epoch]" = weakref.WeakKeyDictionary()


class Epoch:
    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._map: mmap.mmap | bytearray | None = None

    def read(self) -> bytes:
        return bytes(self._mapping()[:SIZE])

    def advance(self) -> None:
        self._mapping()[:SIZE] = os.urandom(SIZE)

    def close(self) -> None:
        """Unmap the file (an engine's dispose); a later use maps it again."""
        if isinstance(self._map, mmap.mmap):
            self._map.close()
            self._map = None

    def _mapping(self) -> mmap.mmap | bytearray:
        if self._map is None:
            self._map = _mapped(self.path) if self.path is not None else bytearray(SIZE)
        return self._map


def _mapped(path: Path) -> mmap.mmap:
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        if os.fstat(fd).st_size < SIZE:
            os.ftruncate(fd, SIZE)
        return mmap.mmap(fd, SIZE)
    finally:
        os.close(fd)  # the map keeps its own reference


def _writes_to(tables: Iterable[str]) -> re.Pattern[str]:
    """A statement that writes one of `tables`, wherever it stands (after a WITH, a comment)."""
    names = "|".join(re.escape(table) for table in tables)
    verbs = r"UPDATE(?:\s+OR\s+\w+)?|DELETE\s+FROM|INSERT(?:\s+OR\s+\w+)?\s+INTO|REPLACE\s+INTO"
    table = rf'(?:["`\[]?main["`\]]?\.)?["`\[]?(?:{names})["`\]]?'
    return re.compile(rf"\b(?:{verbs})\s+{table}(?=[\s(;]|$)", re.IGNORECASE)


def install(engine: AsyncEngine, *, tables: Iterable[str]) -> Epoch | None:
    """None for a `file:` URI: its processes would each have a mark of their own."""
    if str(engine.url.database or "").startswith("file:"):
        return None
    epoch = Epoch(sqlitegate.file_beside(engine, "-epoch"))  # None in memory: one process, its own
    epoch.read()  # mapped now, at start, rather than in the first request
    watched = _writes_to(tables)

    def after_execute(
        conn: Connection, cursor: Any, statement: str, parameters: Any, context: Any, *_: Any
    ) -> None:
        if watched.search(statement) and not context.execution_options.get(UNCHANGED):
            conn.info[WROTE] = True

    event.listen(engine.sync_engine, "after_cursor_execute", after_execute)
    sqlitegate.when_returned(engine, WROTE, epoch.advance)
    event.listen(engine.sync_engine, "engine_disposed", lambda _: epoch.close())
    _epochs[engine] = epoch
    return epoch


def epoch_of(engine: AsyncEngine) -> Epoch | None:
    return _epochs.get(engine)
