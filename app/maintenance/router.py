import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from app.auth.dependencies import (
    ADMIN_RESPONSES,
    AUTH_RESPONSES,
    AdminUser,
    CurrentUser,
    SettingsDep,
)
from app.db import SessionDep
from app.files.dependencies import StorageDep
from app.ledger import LedgerDep
from app.maintenance import service, stats
from app.maintenance.schemas import (
    OrphanReport,
    PurgeReport,
    QuotaUpdate,
    StorageStats,
    SweepReport,
    UserQuota,
    VerifyReport,
)
from app.problems import problems

router = APIRouter(prefix="/api", tags=["storage"])
admin = APIRouter(prefix="/api/admin", tags=["admin"], responses=ADMIN_RESPONSES)


Storage = StorageDep


@router.get("/storage/stats", responses=AUTH_RESPONSES)
async def storage_stats(
    user: CurrentUser, session: SessionDep, settings: SettingsDep, storage: Storage, ledger: LedgerDep
) -> StorageStats:
    """The caller's usage by type and folder, recent activity, quota and free disk space."""
    return await stats.storage_stats(session, settings=settings, storage=storage, ledger=ledger, user=user)


@admin.put("/users/{user_id}/quota", responses=problems("user_not_found"))
async def set_quota(
    user_id: uuid.UUID, data: QuotaUpdate, _: AdminUser, session: SessionDep, settings: SettingsDep
) -> UserQuota:
    """Set a user's storage quota in bytes (null: back to DEFAULT_STORAGE_QUOTA)."""
    return await stats.set_quota(session, settings=settings, user_id=user_id, data=data)


@admin.post("/maintenance/sweep")
async def sweep(_: AdminUser, session: SessionDep, settings: SettingsDep, storage: Storage) -> SweepReport:
    """Delete what crashed uploads left: parts nobody writes, blobs whose rows never came."""
    return await service.sweep_parts(session, settings=settings, storage=storage)


@admin.post("/maintenance/orphans")
async def orphans(
    _: AdminUser,
    session: SessionDep,
    settings: SettingsDep,
    storage: Storage,
    fix: Annotated[bool, Query(description="delete the orphan blobs found")] = False,
) -> OrphanReport:
    """Find blobs without a file row (and delete them with fix=true) and rows without bytes."""
    return await service.find_orphans(session, settings=settings, storage=storage, fix=fix)


@admin.post("/maintenance/purge-trash")
async def purge_trash(
    _: AdminUser, session: SessionDep, settings: SettingsDep, storage: Storage
) -> PurgeReport:
    """Purge every file trashed more than TRASH_RETENTION_DAYS ago."""
    return await service.purge_trash(session, settings=settings, storage=storage)


@admin.post("/maintenance/verify")
async def verify(_: AdminUser, session: SessionDep, storage: Storage) -> VerifyReport:
    """Re-hash every stored original against its recorded SHA-256 (slow on large stores)."""
    return await service.verify(session, storage=storage)
