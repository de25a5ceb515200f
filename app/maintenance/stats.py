"""Storage statistics of one user, and the administrator's quota override."""

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.service import quota_of
from app.config import Settings
from app.errors import NotFound
from app.files import service as files
from app.ledger import Ledger
from app.library import usage
from app.maintenance.schemas import (
    ActivityEntry,
    Disk,
    FolderUsage,
    Quota,
    QuotaUpdate,
    StorageStats,
    TypeUsage,
    UserQuota,
)
from app.models import Activity, Folder, User
from app.storage.base import BlobStore

RECENT_ACTIVITY = 20
ROOT_NAME = "root"


async def storage_stats(
    session: AsyncSession, *, settings: Settings, storage: BlobStore, ledger: Ledger, user: User
) -> StorageStats:
    """With this process's pending downloads and views written first (see app/ledger.py)."""
    await ledger.flush_for_read(session)
    counters = await usage.of_owner(session, owner_id=user.id)
    live = usage.summed(counters, trashed=False)
    capacity = await storage.capacity()
    disk = Disk(free=capacity.free, total=capacity.total) if capacity else Disk(free=0, total=0)
    return StorageStats(
        total_files=live.files,
        total_size=live.bytes,
        stored_size=live.bytes - live.saved,
        by_type=_by_type(counters),
        by_folder=await _by_folder(session, owner_id=user.id, live=live),
        recent_activity=await _recent_activity(session, user.id),
        quota=Quota(used=usage.summed(counters, trashed=None).bytes, limit=quota_of(user, settings)),
        disk=disk,
    )


def _by_type(counters: dict[tuple[str, bool], usage.Counts]) -> list[TypeUsage]:
    rows = [
        TypeUsage(type=kind, count=c.files, size=c.bytes)
        for (kind, trashed), c in counters.items()
        if not trashed
    ]
    return sorted((row for row in rows if row.count), key=lambda row: (-row.size, row.type))


async def _by_folder(session: AsyncSession, *, owner_id: uuid.UUID, live: usage.Counts) -> list[FolderUsage]:
    """Folders with live files, biggest first; the top level holds what no folder counts."""
    rows = await session.execute(
        select(Folder.id, Folder.name, Folder.live_files, Folder.live_bytes).where(
            Folder.owner_id == owner_id, Folder.live_files > 0
        )
    )
    folders = [FolderUsage(folder_id=i, name=name, count=n, size=size) for i, name, n, size in rows]
    root = FolderUsage(
        folder_id=None,
        name=ROOT_NAME,
        count=live.files - sum(f.count for f in folders),
        size=live.bytes - sum(f.size for f in folders),
    )
    # ties keep the top level first, as SQLite's order of a NULL name did
    ordered = sorted(folders, key=lambda f: (-f.size, f.name))
    return sorted(([root] if root.count else []) + ordered, key=lambda f: -f.size)


async def _recent_activity(session: AsyncSession, owner_id: uuid.UUID) -> list[ActivityEntry]:
    rows = await session.scalars(
        select(Activity)
        .where(Activity.owner_id == owner_id)
        .order_by(Activity.at.desc(), Activity.id.desc())
        .limit(RECENT_ACTIVITY)
    )
    return [ActivityEntry(action=row.action, file_id=row.file_id, at=row.at) for row in rows]


async def set_quota(
    session: AsyncSession, *, settings: Settings, user_id: uuid.UUID, data: QuotaUpdate
) -> UserQuota:
    """Owns the unit of work and commits."""
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound("user not found", code="user_not_found")
    user.storage_quota = data.storage_quota
    await session.commit()
    return UserQuota(
        user_id=user.id,
        username=user.username,
        storage_quota=user.storage_quota,
        limit=quota_of(user, settings),
        used=await files.used_bytes(session, owner_id=user.id),
    )
