"""`atrium archive --older-than DAYS`: compress the originals nobody has read for that long.

A file qualifies when its type is worth trying (app.files.originals), it was never tried
(`encoding` is null) and it was last read (`last_accessed_at`, else `created_at`) before the
cutoff. Each is compressed in place (app.storage.packed), then its row and the owner's counters
record it in a transaction of its own, only if no other run recorded it first. Whatever it
meets, a run leaves every original readable: a rerun skips what was done, records a blob an
interrupted run compressed but did not record, and marks files whose compression saves too
little (`identity`), so a rerun does nothing.
"""

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from anyio import to_thread
from sqlalchemy import ColumnElement, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import utcnow
from app.files.originals import COMPRESSIBLE_TYPES, original_of
from app.library import usage
from app.models import File
from app.storage import packed
from app.storage.base import BlobNotFound, BlobStore

logger = logging.getLogger("atrium.archive")
BATCH = 200


@dataclass(frozen=True)
class Archived:
    file_id: uuid.UUID
    name: str
    size: int
    stored_size: int


@dataclass
class ArchiveReport:
    compressed: list[Archived] = field(default_factory=list)
    kept_plain: int = 0  # tried: compressing saved less than 10%
    missing: list[uuid.UUID] = field(default_factory=list)

    @property
    def saved(self) -> int:
        return sum(a.size - a.stored_size for a in self.compressed)


def _idle_candidates(cutoff_days: float) -> list[ColumnElement[bool]]:
    cutoff = utcnow() - timedelta(days=cutoff_days)
    return [
        File.encoding.is_(None),
        File.size > 0,
        or_(File.mime_type.like("text/%"), File.mime_type.in_(COMPRESSIBLE_TYPES)),
        func.coalesce(File.last_accessed_at, File.created_at) < cutoff,
    ]


async def archive(
    session: AsyncSession,
    *,
    storage: BlobStore,
    older_than_days: float,
    progress: Callable[[], None] | None = None,
) -> ArchiveReport:
    """Compress every qualifying original (owns its commits: one per file)."""
    report = ArchiveReport()
    conditions = _idle_candidates(older_than_days)
    after: uuid.UUID | None = None
    while True:
        query = select(File.id).where(*conditions).order_by(File.id).limit(BATCH)
        if after is not None:
            query = query.where(File.id > after)
        ids = list(await session.scalars(query))
        await session.rollback()  # no transaction stays open while bytes are compressed
        if not ids:
            return report
        for file_id in ids:
            await _archive_one(session, storage, file_id, report)
            if progress is not None:
                progress()
        after = ids[-1]


async def _archive_one(
    session: AsyncSession, storage: BlobStore, file_id: uuid.UUID, report: ArchiveReport
) -> None:
    file = await session.get(File, file_id)
    if file is None or file.encoding is not None:
        await session.rollback()
        return
    session.expunge(file)  # changed below as a plain value: only the guarded update writes it
    await session.rollback()
    original = original_of(file)
    try:
        stat = await storage.stat(original.key)
        if stat.size != file.size:  # compressed by a run that stopped before its row
            done = await to_thread.run_sync(packed.logical_size, storage, original) == file.size
            result = packed.ZSTD if done else None
            stored_size = stat.size
            part = None
        else:
            made = await packed.pack(storage, original.key)
            result = packed.ZSTD if made else packed.IDENTITY
            stored_size = made.stored_size if made else file.size
            part = made.part if made else None
    except BlobNotFound:
        report.missing.append(file.id)
        return
    if result is None:
        logger.warning(
            "archive: the original of %s is neither its bytes nor decodes; see `atrium verify`", file.id
        )
        report.missing.append(file.id)
        return
    recorded = await _record(session, file, encoding=result, stored_size=stored_size)
    if part is not None:
        if not recorded and await session.get(File, file.id) is None:
            await storage.delete(original.key)  # purged meanwhile: the compressed copy is an orphan
        await session.rollback()
        await part.release()
    if recorded and result == packed.ZSTD:
        report.compressed.append(Archived(file.id, file.name, file.size, stored_size))
    elif recorded:
        report.kept_plain += 1


async def _record(session: AsyncSession, file: File, *, encoding: str, stored_size: int) -> bool:
    """The row and the owner's counters say how the original is stored now, unless another run
    recorded it first; commits."""
    tally = usage.Tally()
    tally.take([file])
    file.encoding = encoding
    file.stored_size = stored_size if encoding == packed.ZSTD else None
    tally.put([file])
    result = await session.execute(
        update(File)
        .where(File.id == file.id, File.encoding.is_(None))
        .values(encoding=file.encoding, stored_size=file.stored_size, updated_at=File.updated_at)
        .execution_options(synchronize_session=False)
    )
    recorded = bool(getattr(result, "rowcount", 0))
    if recorded:
        await usage.apply(session, tally)
    await session.commit()
    return recorded
