"""The one way files go to the trash and out of it for good. Every path (files, folders, images,
albums, portfolio, maintenance) calls these, so no trashed or purged file stays in a collection
and every album or gallery cover moves on to the next live item."""

import uuid
from collections.abc import Iterable, Sequence

from sqlalchemy import delete, select, update
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
    trashed = await _move(session, owner_id=owner_id, file_ids=file_ids, into_trash=True)
    for file in trashed:
        activity.record(session, owner_id=owner_id, file_id=file.id, action="delete", actor_id=owner_id)
    # after the files are marked: an add racing this trash either waits for it and sees them
    # trashed, or commits first and its items are deleted here (see collections.append_items)
    await items.detach_files(session, file_ids=[file.id for file in trashed])
    return trashed


async def restore_files(
    session: AsyncSession, *, owner_id: uuid.UUID, file_ids: Iterable[uuid.UUID]
) -> list[File]:
    """Brings the owner's trashed files among `file_ids` back and records `restore`. Returns the
    files restored; the caller commits."""
    restored = await _move(session, owner_id=owner_id, file_ids=file_ids, into_trash=False)
    for file in restored:
        activity.record(session, owner_id=owner_id, file_id=file.id, action="restore", actor_id=owner_id)
    return restored


async def _move(
    session: AsyncSession, *, owner_id: uuid.UUID, file_ids: Iterable[uuid.UUID], into_trash: bool
) -> list[File]:
    """Moves files into or out of the trash, with their counters, by one UPDATE that picks them
    in the other state: requests racing over one file move it, and count it, once."""
    wanted = set(file_ids)
    if not wanted:
        return []
    now = utcnow()
    before = File.deleted_at.is_(None) if into_trash else File.deleted_at.is_not(None)
    statement = (
        update(File)
        .where(File.owner_id == owner_id, File.id.in_(wanted), before)
        .values(deleted_at=now if into_trash else None, updated_at=now)
        .returning(File)
        .execution_options(synchronize_session="fetch")
    )
    moved = list(await session.scalars(statement))
    tally = usage.Tally()
    tally.take(moved, trashed=not into_trash)
    tally.put(moved)
    await usage.apply(session, tally)
    return moved


async def purge_files(
    session: AsyncSession, *, storage: BlobStore, files: Sequence[File], actor_id: uuid.UUID | None
) -> None:
    """Removes files for good (trashed or not) and commits; `files` must be as they are stored.
    Rows first, then bytes: a crash leaves at worst an orphan blob, never a row without bytes."""
    if not files:
        return
    file_ids = [file.id for file in files]
    # The rows first, as a trash takes them (its UPDATE): so a trash and a purge of one file never
    # wait for each other crosswise over its album items (PostgreSQL; SQLite has one writer).
    await session.execute(select(File.id).where(File.id.in_(file_ids)).with_for_update())
    await items.detach_files(session, file_ids=file_ids)
    # Counted as the rows are when deleted, not as `files` were read: a trash or purge that raced
    # this one has moved or removed them already.
    statement = (
        delete(File).where(File.id.in_(file_ids)).returning(File.id, File.storage_key, *usage.COUNTED_COLUMNS)
    )
    gone = (await session.execute(statement)).all()
    await usage.removed(session, gone)
    for file in gone:
        activity.record(session, owner_id=file.owner_id, file_id=file.id, action="purge", actor_id=actor_id)
    await session.commit()
    for file in gone:
        await delete_blobs(storage, file.storage_key)


async def delete_blobs(storage: BlobStore, storage_key: str) -> None:
    """A file's original and every rendition; missing ones are fine."""
    await storage.delete(keys.original(storage_key))
    await storage.delete_prefix(keys.renditions_of(storage_key))
