"""`atrium verify --rescan`: every stored original through the malware scanner again (new
signatures find old files); `--quarantine` takes the flagged ones out of service."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app import activity
from app.config import Settings
from app.files.originals import original_of
from app.library import trash
from app.models import File
from app.scanning.clamd import ScanUnavailable
from app.scanning.policy import scan_blob
from app.storage import keys, packed
from app.storage.base import BlobStore

BATCH = 500


@dataclass(frozen=True)
class Hit:
    file_id: uuid.UUID
    name: str
    signature: str


@dataclass
class RescanReport:
    scanned: int = 0
    hits: list[Hit] = field(default_factory=list)
    unscanned: list[tuple[uuid.UUID, str]] = field(default_factory=list)  # file, why
    quarantined: int = 0


async def rescan(
    session: AsyncSession,
    *,
    settings: Settings,
    storage: BlobStore,
    quarantine: bool = False,
    progress: Callable[[], None] | None = None,
) -> RescanReport:
    """Scan every original (trash included); with `quarantine`, move each flagged one's bytes to
    the quarantine key and purge its file (owns the unit of work then)."""
    report = RescanReport()
    query = select(File).order_by(File.id)
    async for files in (await session.stream_scalars(query)).partitions(BATCH):
        for file in files:
            file_id, name = file.id, file.name
            try:
                verdict = await scan_blob(settings, storage, original_of(file))
                if verdict.signature is not None:
                    report.hits.append(Hit(file_id, name, verdict.signature))
                report.scanned += 1
            except ScanUnavailable as exc:
                report.unscanned.append((file_id, exc.reason))
            if progress is not None:
                progress()
    if quarantine and report.hits:
        report.quarantined = await _quarantine(session, storage, [hit.file_id for hit in report.hits])
    return report


async def _quarantine(session: AsyncSession, storage: BlobStore, file_ids: list[uuid.UUID]) -> int:
    """Copy the bytes aside first, then purge the files (rows, then original and renditions)."""
    files = (await session.scalars(select(File).where(File.id.in_(file_ids)))).all()
    for file in files:
        await storage.put_stream(keys.quarantined(file.storage_key), packed.read(storage, original_of(file)))
    for file in files:
        activity.record(session, owner_id=file.owner_id, file_id=file.id, action="quarantine")
    await trash.purge_files(session, storage=storage, files=files, actor_id=None)
    return len(files)
