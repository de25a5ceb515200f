"""The one way files go to the trash and out of it for good. Every path (files, folders, images,
albums, portfolio, maintenance) calls these, so no trashed or purged file stays in a collection
and every album or gallery cover moves on to the next live item."""

import uuid
from collections.abc import Iterable, Sequence

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app import activity
from app.db import utcnow
from app.library import items, usage
from app.models import File
from app.storage import keys
from app.storage.base import BlobStore


async def trash_files(
    session: AsyncSession, *, owner_id: uuid.UUID, file_ids: Iterable[uuid.UUID]
) -> list[File]:
    """Soft-deletes the owner's live files among `file_ids`, records `delete` and takes them out of
    every collection. Returns the files trashed; the caller commits."""
    wanted = set(file_ids)
    if not wanted:
        return []
    query = select(File).where(File.owner_id == owner_id, File.id.in_(wanted), File.deleted_at.is_(None))
    trashed = list(await session.scalars(query))
    tally = usage.Tally()
    tally.take(trashed)
    now = utcnow()
    for file in trashed:
        file.deleted_at = now
        activity.record(session, owner_id=owner_id, file_id=file.id, action="delete", actor_id=owner_id)
    tally.put(trashed)
    await usage.apply(session, tally)
    # after the files are marked: an add racing this trash either waits for it and sees them
    # trashed, or commits first and its items are deleted here (see collections.append_items)
    await items.detach_files(session, file_ids=[file.id for file in trashed])
    return trashed


async def purge_files(
    session: AsyncSession, *, storage: BlobStore, files: Sequence[File], actor_id: uuid.UUID | None
) -> None:
    """Removes files for good (trashed or not) and commits; `files` must be as they are stored.
    Rows first, then bytes: a crash leaves at worst an orphan blob, never a row without bytes."""
    if not files:
        return
    file_ids = [file.id for file in files]
    await items.detach_files(session, file_ids=file_ids)
    await session.execute(delete(File).where(File.id.in_(file_ids)))
    await usage.removed(session, files)
    for file in files:
        activity.record(session, owner_id=file.owner_id, file_id=file.id, action="purge", actor_id=actor_id)
    await session.commit()
    for file in files:
        await delete_blobs(storage, file.storage_key)


async def delete_blobs(storage: BlobStore, storage_key: str) -> None:
    """A file's original and every rendition; missing ones are fine."""
    await storage.delete(keys.original(storage_key))
    await storage.delete_prefix(keys.renditions_of(storage_key))
