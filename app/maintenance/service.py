"""Maintenance of the stored bytes: stale parts, orphan and missing blobs, old trash, integrity.

Used by the admin API and the `atrium` command line. Disk work runs in worker threads.
"""

import logging
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from anyio import to_thread
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app import metrics
from app.config import Settings
from app.db import utcnow
from app.library import trash
from app.maintenance import disk
from app.maintenance.schemas import OrphanReport, PurgeReport, SweepReport, VerifyReport
from app.models import File
from app.storage import keys
from app.storage.base import BlobStore
from app.storage.packed import Stored

logger = logging.getLogger("atrium.maintenance")

BATCH = 500
Progress = Callable[[], None]  # one more file done


async def sweep_parts(session: AsyncSession, *, settings: Settings, storage: BlobStore) -> SweepReport:
    """Remove what crashed uploads left, at once and safely beside live uploads of other processes:
    parts nobody writes, and blobs whose upload died before its rows were committed."""

    async def is_kept(key: str) -> bool:
        storage_key = keys.storage_key_of(key)
        found = await session.scalar(select(File.id).where(File.storage_key == storage_key).limit(1))
        await session.rollback()  # end the read: the next check sees new commits
        return found is not None

    await session.commit()  # the caller's reads end: no connection held while the store is listed
    sweep = await storage.sweep_parts(is_kept=is_kept, older_than_seconds=settings.stale_part_minutes * 60)
    metrics.SWEPT.labels("parts").inc(len(sweep.parts))
    metrics.SWEPT.labels("blobs").inc(len(sweep.blobs))
    if sweep.parts or sweep.blobs:
        logger.info("swept %d parts and %d blobs of crashed uploads", len(sweep.parts), len(sweep.blobs))
    return SweepReport(removed=sweep.parts, removed_blobs=sweep.blobs)


async def find_orphans(
    session: AsyncSession, *, settings: Settings, storage: BlobStore, fix: bool = False
) -> OrphanReport:
    """Blobs no row refers to (deleted when `fix`), and rows whose original is gone (reported).

    A fresh upload's bytes land before its row, so only blobs older than STALE_PART_MINUTES count
    as orphans, and only rows older than the listing can miss their bytes."""
    await session.commit()  # the caller's reads end: no connection held while the store is listed
    listed_at = utcnow()
    cutoff = listed_at - timedelta(minutes=settings.stale_part_minutes)
    originals, old = await _stored_keys(storage, cutoff=cutoff)
    orphans = sorted(old - await _known_keys(session, old))
    missing = await _missing_originals(session, originals=originals, listed_at=listed_at)
    await session.commit()  # nor while the orphans are deleted
    if fix:
        for key in orphans:
            await trash.delete_blobs(storage, key)
        if orphans:
            logger.info("deleted %d orphan blobs", len(orphans))
    return OrphanReport(orphan_keys=orphans, missing_file_ids=missing, removed=len(orphans) if fix else 0)


async def _stored_keys(storage: BlobStore, *, cutoff: datetime) -> tuple[set[str], set[str]]:
    """The storage keys that have an original, and those with any blob older than the cutoff."""
    originals: set[str] = set()
    old: set[str] = set()
    for prefix in (keys.ORIGINALS, keys.RENDITIONS):
        async for entry in storage.scan(prefix):
            storage_key = keys.storage_key_of(entry.key)
            if storage_key is None:
                continue
            if prefix == keys.ORIGINALS:
                originals.add(storage_key)
            if entry.modified < cutoff:
                old.add(storage_key)
    return originals, old


async def _known_keys(session: AsyncSession, keys_: set[str]) -> set[str]:
    ordered = sorted(keys_)
    known: set[str] = set()
    for start in range(0, len(ordered), BATCH):
        batch = ordered[start : start + BATCH]
        known.update(await session.scalars(select(File.storage_key).where(File.storage_key.in_(batch))))
    return known


async def _missing_originals(
    session: AsyncSession, *, originals: set[str], listed_at: datetime
) -> list[uuid.UUID]:
    query = select(File.id, File.storage_key).where(File.created_at < listed_at).order_by(File.id)
    missing: list[uuid.UUID] = []
    async for rows in (await session.stream(query)).partitions(BATCH):
        missing += [file_id for file_id, key in rows if key not in originals]
    return missing


async def purge_trash(session: AsyncSession, *, settings: Settings, storage: BlobStore) -> PurgeReport:
    """Purge files trashed more than TRASH_RETENTION_DAYS ago: rows, then originals and renditions."""
    cutoff = utcnow() - timedelta(days=settings.trash_retention_days)
    purged = freed = 0
    while True:
        batch: Sequence[File] = (
            await session.scalars(
                select(File).where(File.deleted_at.is_not(None), File.deleted_at < cutoff).limit(BATCH)
            )
        ).all()
        if not batch:
            break
        await trash.purge_files(session, storage=storage, files=batch, actor_id=None)
        purged += len(batch)
        freed += sum(file.size for file in batch)
    return PurgeReport(purged=purged, freed=freed)


async def count_files(session: AsyncSession) -> int:
    """Every file row, trash included: what `verify` will check."""
    return await session.scalar(select(func.count()).select_from(File)) or 0


async def verify(
    session: AsyncSession, *, storage: BlobStore, progress: Progress | None = None
) -> VerifyReport:
    """Re-hash every original (trash included) and compare with the row's size and SHA-256.

    Read in batches by id, each read ended before its files are hashed: a run over a large
    library holds no connection, and on SQLite no read transaction that would keep the WAL from
    being checkpointed, while it reads the disk."""
    report = VerifyReport(checked=0, missing=[], corrupt=[])
    batch = (
        select(File.id, File.storage_key, File.size, File.sha256, File.encoding)
        .order_by(File.id)
        .limit(BATCH)
    )
    after: uuid.UUID | None = None
    while rows := (await session.execute(batch if after is None else batch.where(File.id > after))).all():
        await session.commit()
        after = rows[-1].id
        for file_id, key, size, sha256, encoding in rows:
            original = Stored(keys.original(key), size=size, encoding=encoding)
            found = await to_thread.run_sync(disk.digest, storage, original)
            if found is None:
                report.missing.append(file_id)
            elif found.size != size or found.sha256 != sha256:
                report.corrupt.append(file_id)
            report.checked += 1
            if progress is not None:
                progress()
    return report
