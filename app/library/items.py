"""Collection membership that other domains change: taking files out of albums and galleries while
keeping every cover on a live item. Imports no service, so `files` can use it without a cycle."""

import uuid
from collections.abc import Sequence

from sqlalchemy import Select, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, selectinload

from app.db import utcnow
from app.models import Collection, CollectionItem, File


def live_items(collection_id: uuid.UUID | InstrumentedAttribute[uuid.UUID]) -> Select[uuid.UUID]:
    """The ids of a collection's files that are not in the trash, in display order."""
    return (
        select(File.id)
        .join(CollectionItem, CollectionItem.file_id == File.id)
        .where(CollectionItem.collection_id == collection_id, File.deleted_at.is_(None))
        .order_by(CollectionItem.position, CollectionItem.added_at, File.id)
    )


def ordered_files_query(collection_id: uuid.UUID) -> Select[File]:
    """The live files of a collection in display order, with tags and image metadata loaded."""
    return (
        live_items(collection_id)
        .with_only_columns(File)
        .options(selectinload(File.tags), selectinload(File.image))
    )


async def first_item(session: AsyncSession, collection_id: uuid.UUID) -> uuid.UUID | None:
    return (await session.scalars(live_items(collection_id).limit(1))).first()


async def remove_items(
    session: AsyncSession, *, collection: Collection, file_ids: Sequence[uuid.UUID]
) -> int:
    """Takes files out of one collection and keeps its cover valid; the caller commits."""
    result = await session.execute(
        delete(CollectionItem).where(
            CollectionItem.collection_id == collection.id, CollectionItem.file_id.in_(file_ids)
        )
    )
    removed: int = result.rowcount  # type: ignore[attr-defined]
    if removed:
        collection.updated_at = utcnow()
        if collection.cover_file_id in set(file_ids):
            collection.cover_file_id = await first_item(session, collection.id)
    return removed


async def detach_files(session: AsyncSession, *, file_ids: Sequence[uuid.UUID]) -> None:
    """Takes files out of every collection; covers move to the first remaining item. The caller
    commits. Two writes and no read: the covers are chosen inside the write lock, in one statement."""
    if not file_ids:
        return
    await session.execute(delete(CollectionItem).where(CollectionItem.file_id.in_(file_ids)))
    await session.execute(
        update(Collection)
        .where(Collection.cover_file_id.in_(file_ids))
        .values(cover_file_id=live_items(Collection.id).limit(1).scalar_subquery())
        .execution_options(synchronize_session="fetch")
    )
