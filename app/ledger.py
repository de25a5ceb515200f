"""Download and view counts and their activity rows, kept in memory and written in batches.

Counting inside the request made every download and every image view a write transaction, queued
behind every other writer of the database. The ledger takes them in memory instead; one short
transaction writes everything pending every `flush_seconds` (COUNTS_FLUSH_SECONDS, 1 s), as soon
as MAX_PENDING events wait, and at shutdown. A read that shows these figures flushes its own process
first (`flush`), so a process shows its own counts at once and another process's within
`flush_seconds`; a process killed with SIGKILL loses at most its last `flush_seconds` of counts.
"""

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, cast

import anyio
from fastapi import Depends, Request
from sqlalchemy import Table, bindparam, case, exists, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.activity import Action
from app.db import utcnow
from app.models import Activity, File, User

FLUSH_SECONDS = 1.0
MAX_PENDING = 500
# What a database that stays down may cost in memory: past this, the oldest activity rows go.
MAX_KEPT_ENTRIES = 100_000
logger = logging.getLogger("atrium.ledger")

# Core tables: an executemany of the ORM classes would be its bulk UPDATE by primary key.
FILES = cast(Table, File.__table__)
ACTIVITY = cast(Table, Activity.__table__)
USERS = cast(Table, User.__table__)


@dataclass
class Counts:
    downloads: int = 0
    views: int = 0
    last_downloaded_at: datetime | None = None

    def add(self, other: "Counts") -> None:
        self.downloads += other.downloads
        self.views += other.views
        if other.last_downloaded_at is not None:
            self.last_downloaded_at = max(
                self.last_downloaded_at or other.last_downloaded_at, other.last_downloaded_at
            )


@dataclass(frozen=True)
class Entry:
    owner_id: uuid.UUID
    file_id: uuid.UUID
    action: Action
    actor_id: uuid.UUID | None
    at: datetime


@dataclass
class Batch:
    counts: dict[uuid.UUID, Counts] = field(default_factory=dict)
    entries: list[Entry] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.entries)

    def merge(self, older: "Batch") -> None:
        """Put back a batch that could not be written, ahead of what came since."""
        for file_id, counts in older.counts.items():
            self.counts.setdefault(file_id, Counts()).add(counts)
        self.entries[:0] = older.entries
        del self.entries[: max(0, len(self.entries) - MAX_KEPT_ENTRIES)]


class Ledger:
    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        *,
        flush_seconds: float = FLUSH_SECONDS,
        max_pending: int = MAX_PENDING,
    ) -> None:
        self.session_factory = session_factory
        self.flush_seconds = flush_seconds
        self.max_pending = max_pending
        self.pending = Batch()
        self.writing: Batch | None = None
        self._lock = asyncio.Lock()
        self._full: asyncio.Event | None = None  # made by each run, on its own loop

    def download(self, *, owner_id: uuid.UUID, file_id: uuid.UUID, actor_id: uuid.UUID | None) -> None:
        """A full download: `download_count`, `last_accessed_at` and a `download` activity row."""
        now = utcnow()
        self._count(file_id, Counts(downloads=1, last_downloaded_at=now))
        self._log(Entry(owner_id, file_id, "download", actor_id, now))

    def view(self, *, owner_id: uuid.UUID, file_id: uuid.UUID, actor_id: uuid.UUID | None) -> None:
        """An image's detail shown: `view_count` and a `view` activity row."""
        self._count(file_id, Counts(views=1))
        self._log(Entry(owner_id, file_id, "view", actor_id, utcnow()))

    def views_pending(self, file_id: uuid.UUID) -> int:
        """Views of the file this process holds: pending, or being written right now."""
        held = [self.pending] if self.writing is None else [self.pending, self.writing]
        return sum(batch.counts[file_id].views for batch in held if file_id in batch.counts)

    def _count(self, file_id: uuid.UUID, counts: Counts) -> None:
        self.pending.counts.setdefault(file_id, Counts()).add(counts)

    def _log(self, entry: Entry) -> None:
        self.pending.entries.append(entry)
        if len(self.pending) >= self.max_pending and self._full is not None:
            self._full.set()

    async def flush(self) -> None:
        """Write everything pending in one transaction; on failure it stays pending (and raises)."""
        async with self._lock:
            batch, self.pending = self.pending, Batch()
            if not batch.counts and not batch.entries:
                return
            self.writing, written = batch, False
            try:
                with anyio.CancelScope(shield=True):  # a batch is written whole or put back whole
                    async with self.session_factory() as session:
                        await write(session, batch)
                        await session.commit()
                        written = True
            finally:
                self.writing = None
                if not written:
                    self.pending.merge(batch)

    async def flush_for_read(self, session: AsyncSession) -> None:
        """Before a read that shows the counts: when anything is pending, or being written, the
        reader's transaction ends first (its objects stay loaded) and it waits for the write.
        Readers that kept their connection while the write waited for one, as many as the pool
        holds, would wait out the pool's timeout."""
        if self.pending.counts or self.pending.entries or self.writing is not None:
            await session.commit()
            await self.flush_quietly()

    async def flush_quietly(self) -> None:
        """A failed flush leaves the figures a little behind, never a read failed."""
        try:
            await self.flush()
        except Exception:
            logger.warning("could not write the pending download and view counts", exc_info=True)

    async def _run(self) -> None:
        self._full = full = asyncio.Event()
        while True:
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a cancel that
            # lands as its timeout fires, and the shutdown would wait for this loop forever
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.flush_seconds):
                    await full.wait()
            full.clear()
            await self.flush_quietly()

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator["Ledger"]:
        """Flushes in the background while the block runs, and once more at its end."""
        task = asyncio.create_task(self._run(), name="ledger-flush")
        try:
            yield self
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await self.flush_quietly()


async def write(session: AsyncSession, batch: Batch) -> None:
    """Counters first, then activity rows: every statement a write, so the transaction takes the
    write lock at its first statement and never upgrades from a read. The caller commits."""
    downloads = [
        {"file": file_id, "n": counts.downloads, "at": counts.last_downloaded_at}
        for file_id, counts in batch.counts.items()
        if counts.downloads
    ]
    views = [{"file": file_id, "n": counts.views} for file_id, counts in batch.counts.items() if counts.views]
    if downloads:
        await session.execute(DOWNLOADED, downloads)
    if views:
        await session.execute(VIEWED, views)
    if batch.entries:
        rows = [
            {"owner": e.owner_id, "actor": e.actor_id, "file": e.file_id, "action": e.action, "at": e.at}
            for e in batch.entries
        ]
        await session.execute(LOGGED, rows)


# updated_at stays: a download or a view does not change the file. Processes flush in any order,
# so last_accessed_at only moves forward.
_AT = bindparam("at", type_=FILES.c.last_accessed_at.type)
DOWNLOADED = (
    update(FILES)
    .where(FILES.c.id == bindparam("file", type_=FILES.c.id.type))
    .values(
        download_count=FILES.c.download_count + bindparam("n"),
        last_accessed_at=case(
            (FILES.c.last_accessed_at.is_(None) | (FILES.c.last_accessed_at < _AT), _AT),
            else_=FILES.c.last_accessed_at,
        ),
        updated_at=FILES.c.updated_at,
    )
)
VIEWED = (
    update(FILES)
    .where(FILES.c.id == bindparam("file", type_=FILES.c.id.type))
    .values(view_count=FILES.c.view_count + bindparam("n"), updated_at=FILES.c.updated_at)
)
# Activity outlives its file, not its owner: a row whose owner is gone by now is dropped.
LOGGED = insert(ACTIVITY).from_select(
    ["owner_id", "actor_id", "file_id", "action", "at"],
    select(
        bindparam("owner", type_=ACTIVITY.c.owner_id.type),
        bindparam("actor", type_=ACTIVITY.c.actor_id.type),
        bindparam("file", type_=ACTIVITY.c.file_id.type),
        bindparam("action", type_=ACTIVITY.c.action.type),
        bindparam("at", type_=ACTIVITY.c.at.type),
    ).where(exists().where(USERS.c.id == bindparam("owner", type_=ACTIVITY.c.owner_id.type))),
)


async def get_ledger(request: Request) -> Ledger:
    """Async, so FastAPI does not send it to a worker thread."""
    ledger: Ledger = request.app.state.ledger
    return ledger


LedgerDep = Annotated[Ledger, Depends(get_ledger)]
