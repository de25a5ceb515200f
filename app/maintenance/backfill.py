"""`atrium cleanup --backfill`: give files kept before app.previews existed (or an older version of
it) their ThumbHash, preview, page count, duration and search text.

In batches, each read outside any transaction and then written in one short commit, so a stop
at any point loses at most one batch and the next run goes on from where this one stopped
(files are picked by `derived_version`, which the commit sets).
"""

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from app.files import derived as derive
from app.models import File, FileText
from app.storage import keys
from app.storage.base import BlobNotFound, BlobStore
from app.storage.packed import Stored
from app.work import ImageWork

logger = logging.getLogger("atrium.maintenance")

BATCH = 50


@dataclass
class BackfillReport:
    files: int = 0  # files read (and marked as read, even when nothing could be read)
    batches: int = 0
    complete: bool = False  # no file is left for this version


async def backfill(
    session: AsyncSession,
    *,
    storage: BlobStore,
    work: ImageWork,
    batch_size: int = BATCH,
    max_batches: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> BackfillReport:
    """Read every file not read by the current version yet; commits once per batch (owns its
    units of work). `max_batches` stops early: the next call resumes."""
    report = BackfillReport()
    after: uuid.UUID | None = None
    while max_batches is None or report.batches < max_batches:
        files = await _next_batch(session, after=after, size=batch_size)
        if not files:
            report.complete = True
            break
        await _read_batch(session, storage=storage, work=work, files=files)
        report.files += len(files)
        report.batches += 1
        after = files[-1].id
        if progress is not None:
            progress(report.files)
    return report


@dataclass(frozen=True)
class _Pending:
    id: uuid.UUID
    storage_key: str
    kind: str
    mime_type: str
    size: int
    encoding: str | None


async def _next_batch(session: AsyncSession, *, after: uuid.UUID | None, size: int) -> list[_Pending]:
    stale = or_(File.derived_version.is_(None), File.derived_version < derive.DERIVED_VERSION)
    query = select(File.id, File.storage_key, File.kind, File.mime_type, File.size, File.encoding).where(
        stale
    )
    if after is not None:  # progress within a run even past a file whose commit failed
        query = query.where(File.id > after)
    rows = (await session.execute(query.order_by(File.id).limit(size))).all()
    await session.rollback()  # no transaction stays open while the batch is read
    return [_Pending(*row) for row in rows]


async def _read_batch(
    session: AsyncSession, *, storage: BlobStore, work: ImageWork, files: list[_Pending]
) -> None:
    read = {pending.id: await _read(storage, work, pending) for pending in files}
    query = select(File).where(File.id.in_(read)).options(joinedload(File.image))
    for file in (await session.scalars(query)).unique():  # a file purged meanwhile is skipped
        found = read[file.id]
        derive.apply(file, found)
        if file.image is not None and found.thumbhash is not None:
            file.image.thumbhash = found.thumbhash
        if found.text is not None:
            await _put_text(session, file_id=file.id, text=found.text)
    await session.commit()


async def _read(storage: BlobStore, work: ImageWork, file: _Pending) -> derive.Derived:
    try:
        source = Stored(keys.original(file.storage_key), size=file.size, encoding=file.encoding)
        return await derive.derive(
            storage,
            work,
            storage_key=file.storage_key,
            source=source,
            kind=file.kind,
            mime_type=file.mime_type,
        )
    except BlobNotFound:
        logger.warning("backfill: the bytes of file %s are missing (see `atrium verify`)", file.id)
        return derive.Derived()


async def _put_text(session: AsyncSession, *, file_id: uuid.UUID, text: str) -> None:
    row = await session.get(FileText, file_id)
    if row is None:
        session.add(FileText(file_id=file_id, content=text))
    elif row.content != text:
        row.content = text
