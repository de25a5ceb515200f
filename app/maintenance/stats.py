"""Storage statistics of one user, and the administrator's quota override."""

import uuid

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.service import quota_of
from app.config import Settings
from app.errors import NotFound
from app.files import service as files
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
from app.models import Activity, File, Folder, User
from app.storage.base import BlobStore

RECENT_ACTIVITY = 20
ROOT_NAME = "root"


async def storage_stats(
    session: AsyncSession, *, settings: Settings, storage: BlobStore, user: User
) -> StorageStats:
    live = (File.owner_id == user.id, File.deleted_at.is_(None))
    by_type = await _by_type(session, live)
    capacity = await storage.capacity()
    disk = Disk(free=capacity.free, total=capacity.total) if capacity else Disk(free=0, total=0)
    return StorageStats(
        total_files=sum(usage.count for usage in by_type),
        total_size=sum(usage.size for usage in by_type),
        by_type=by_type,
        by_folder=await _by_folder(session, live),
        recent_activity=await _recent_activity(session, user.id),
        quota=Quota(used=await files.used_bytes(session, owner_id=user.id), limit=quota_of(user, settings)),
        disk=disk,
    )


async def _by_type(session: AsyncSession, live: tuple[ColumnElement[bool], ...]) -> list[TypeUsage]:
    size = func.coalesce(func.sum(File.size), 0)
    rows = await session.execute(
        select(File.kind, func.count(), size)
        .where(*live)
        .group_by(File.kind)
        .order_by(size.desc(), File.kind)
    )
    return [TypeUsage(type=kind, count=count, size=int(total)) for kind, count, total in rows]


async def _by_folder(session: AsyncSession, live: tuple[ColumnElement[bool], ...]) -> list[FolderUsage]:
    size = func.coalesce(func.sum(File.size), 0)
    rows = await session.execute(
        select(File.folder_id, Folder.name, func.count(), size)
        .outerjoin(Folder, Folder.id == File.folder_id)
        .where(*live)
        .group_by(File.folder_id, Folder.name)
        .order_by(size.desc(), Folder.name)
    )
    return [
        FolderUsage(folder_id=folder_id, name=name or ROOT_NAME, count=count, size=int(total))
        for folder_id, name, count, total in rows
    ]


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
