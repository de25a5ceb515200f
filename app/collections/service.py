"""Ordered collections of files: albums (`kind="album"`) and the portfolio's galleries (`kind="gallery"`).

Every function takes the collection `kind`, so both faces share one implementation.
"""

import uuid
from collections.abc import Iterable, Sequence

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.access import policy
from app.auth.schemas import Preferences
from app.collections.domain import CollectionChanges, CollectionDetail, CollectionView, Kind
from app.db import utcnow
from app.errors import Conflict, NotFound, Unauthorized, Unprocessable
from app.library import items, trash
from app.models import Collection, CollectionItem, File, User
from app.pagination import PageParams


def _item_filter(kind: Kind) -> ColumnElement[bool]:
    """What may go into a collection of this kind: images into albums, artworks into galleries."""
    if kind == "gallery":
        return File.is_artwork.is_(True)
    return File.kind == "image"


def kind_of(collection: Collection) -> Kind:
    return "gallery" if collection.kind == "gallery" else "album"


def default_visibility(user: User, kind: Kind) -> str:
    if kind == "album":
        return Preferences.model_validate(user.preferences or {}).default_album_privacy
    return "private"


# --- reads and creation ------------------------------------------------------------------------


async def create_collection(
    session: AsyncSession,
    *,
    owner: User,
    kind: Kind,
    name: str,
    description: str | None = None,
    visibility: str | None = None,
    parent_id: uuid.UUID | None = None,
    allow_original_download: bool = False,
) -> CollectionView:
    """Owns the unit of work and commits."""
    if parent_id is not None:
        await get_owned_collection(session, owner_id=owner.id, kind=kind, collection_id=parent_id)
    collection = Collection(
        owner_id=owner.id,
        kind=kind,
        name=name,
        description=description,
        visibility=visibility or default_visibility(owner, kind),
        parent_id=parent_id,
        allow_original_download=allow_original_download,
    )
    session.add(collection)
    await session.commit()
    return CollectionView(collection=collection, item_count=0)


async def get_owned_collection(
    session: AsyncSession, *, owner_id: uuid.UUID, kind: Kind, collection_id: uuid.UUID
) -> Collection:
    """The owner's collection of this kind; 404 for a missing or foreign one."""
    collection = await session.scalar(
        select(Collection).where(
            Collection.id == collection_id, Collection.owner_id == owner_id, Collection.kind == kind
        )
    )
    if collection is None:
        raise NotFound(f"{kind} not found", code=f"{kind}_not_found")
    return collection


async def get_viewable_collection(
    session: AsyncSession, *, principal: policy.Principal, kind: Kind, collection_id: uuid.UUID
) -> Collection:
    """A collection the principal may view (the policy decides); 404 otherwise, whoever asks."""
    query = select(Collection).where(Collection.id == collection_id, Collection.kind == kind)
    collection = await session.scalar(query)
    if collection is None or not policy.may_view_collection(principal, collection):
        raise NotFound(f"{kind} not found", code=f"{kind}_not_found")
    return collection


async def get_collection_detail(
    session: AsyncSession, *, viewer: User | None, kind: Kind, collection_id: uuid.UUID
) -> CollectionDetail:
    """A collection with its files in display order: the owner's, or anyone's public one."""
    collection = await get_viewable_collection(
        session, principal=policy.principal_of(viewer), kind=kind, collection_id=collection_id
    )
    return await _detail(session, collection)


async def list_visible_collections(
    session: AsyncSession,
    *,
    viewer: User | None,
    kind: Kind,
    owner_id: uuid.UUID | None,
    page: PageParams,
) -> tuple[list[CollectionView], int]:
    """The viewer's own collections, or another owner's public ones (anonymous callers name the owner)."""
    if owner_id is None:
        if viewer is None:
            raise Unauthorized("a bearer token is required unless an owner is named")
        owner_id = viewer.id
    visible = policy.readable_collections(policy.principal_of(viewer))
    return await list_collections(session, kind=kind, owner_id=owner_id, visible=visible, page=page)


async def list_collections(
    session: AsyncSession,
    *,
    kind: Kind,
    owner_id: uuid.UUID,
    visible: ColumnElement[bool],
    page: PageParams,
) -> tuple[list[CollectionView], int]:
    """One owner's collections of this kind that pass `visible` (a policy clause), newest first by default."""
    conditions = [Collection.owner_id == owner_id, Collection.kind == kind, visible]
    total = await session.scalar(select(func.count()).select_from(Collection).where(*conditions)) or 0
    order = Collection.created_at.desc() if page.order == "desc" else Collection.created_at.asc()
    query = select(Collection).where(*conditions).order_by(order, Collection.id)
    collections = list(await session.scalars(query.offset(page.offset).limit(page.per_page)))
    counts = await count_items(session, [c.id for c in collections])
    return [CollectionView(collection=c, item_count=counts.get(c.id, 0)) for c in collections], total


async def count_items(session: AsyncSession, collection_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
    if not collection_ids:
        return {}
    query = (
        select(CollectionItem.collection_id, func.count())
        .join(File, File.id == CollectionItem.file_id)
        .where(CollectionItem.collection_id.in_(collection_ids), File.deleted_at.is_(None))
        .group_by(CollectionItem.collection_id)
    )
    return {row[0]: row[1] for row in (await session.execute(query)).all()}


async def _detail(session: AsyncSession, collection: Collection) -> CollectionDetail:
    files = list(await session.scalars(items.ordered_files_query(collection.id)))
    return CollectionDetail(collection=collection, item_count=len(files), files=files)


# --- changes -----------------------------------------------------------------------------------


async def update_collection(
    session: AsyncSession,
    *,
    owner_id: uuid.UUID,
    kind: Kind,
    collection_id: uuid.UUID,
    changes: CollectionChanges,
) -> CollectionView:
    """Owns the unit of work and commits."""
    collection = await get_owned_collection(
        session, owner_id=owner_id, kind=kind, collection_id=collection_id
    )
    if "parent_id" in changes and changes["parent_id"] is not None:
        await _check_parent(session, collection=collection, parent_id=changes["parent_id"])
    if "cover_file_id" in changes and changes["cover_file_id"] is not None:
        await _check_cover(session, collection=collection, file_id=changes["cover_file_id"])
    for key, value in changes.items():
        setattr(collection, key, value)
    collection.updated_at = utcnow()
    await session.commit()
    counts = await count_items(session, [collection.id])
    return CollectionView(collection=collection, item_count=counts.get(collection.id, 0))


async def _check_parent(session: AsyncSession, *, collection: Collection, parent_id: uuid.UUID) -> None:
    """The parent is one of the owner's collections of the same kind and not inside this one."""
    parent = await get_owned_collection(
        session, owner_id=collection.owner_id, kind=kind_of(collection), collection_id=parent_id
    )
    ancestor: uuid.UUID | None = parent.id
    seen: set[uuid.UUID] = set()
    while ancestor is not None and ancestor not in seen:
        if ancestor == collection.id:
            raise Conflict(
                f"a {collection.kind} cannot be moved into itself or its own children",
                code=f"{collection.kind}_cycle",
            )
        seen.add(ancestor)
        ancestor = await session.scalar(select(Collection.parent_id).where(Collection.id == ancestor))


async def _check_cover(session: AsyncSession, *, collection: Collection, file_id: uuid.UUID) -> None:
    found = await session.scalar(
        select(CollectionItem.file_id)
        .join(File, File.id == CollectionItem.file_id)
        .where(
            CollectionItem.collection_id == collection.id,
            CollectionItem.file_id == file_id,
            File.deleted_at.is_(None),
        )
    )
    if found is None:
        raise Unprocessable(
            f"the cover must be an image of this {collection.kind}", code="cover_not_in_collection"
        )


async def delete_collection(
    session: AsyncSession,
    *,
    owner_id: uuid.UUID,
    kind: Kind,
    collection_id: uuid.UUID,
    delete_images: bool = False,
) -> None:
    """Deletes the collection (children move to the top level). With `delete_images` its files go
    to the trash and leave every other collection too. Owns the unit of work and commits."""
    collection = await get_owned_collection(
        session, owner_id=owner_id, kind=kind, collection_id=collection_id
    )
    if delete_images:
        file_ids = list(await session.scalars(items.live_items(collection.id)))
        await trash.trash_files(session, owner_id=owner_id, file_ids=file_ids)
    await session.execute(
        update(Collection).where(Collection.parent_id == collection.id).values(parent_id=None)
    )
    await session.delete(collection)
    await session.commit()


async def add_items(
    session: AsyncSession,
    *,
    owner_id: uuid.UUID,
    kind: Kind,
    collection_id: uuid.UUID,
    file_ids: Sequence[uuid.UUID],
) -> CollectionDetail:
    """Appends the owner's files in the given order; any foreign or unknown id is 404 and nothing changes.
    Owns the unit of work and commits."""
    collection = await get_owned_collection(
        session, owner_id=owner_id, kind=kind, collection_id=collection_id
    )
    await append_items(session, collection=collection, file_ids=file_ids)
    await session.commit()
    return await _detail(session, collection)


async def require_owned_items(
    session: AsyncSession,
    *,
    owner_id: uuid.UUID,
    kind: Kind,
    file_ids: Iterable[uuid.UUID],
    locking: bool = False,
) -> None:
    """404 unless every id is a live file of the owner that fits a collection of this kind;
    `locking` holds the files against a trash until the caller's transaction ends (PostgreSQL)."""
    wanted = set(file_ids)
    if not wanted:
        return
    query = select(File.id).where(
        File.id.in_(wanted), File.owner_id == owner_id, File.deleted_at.is_(None), _item_filter(kind)
    )
    found = set(await session.scalars(query.with_for_update(read=True) if locking else query))
    if found != wanted:
        noun = "artwork" if kind == "gallery" else "image"
        raise NotFound(f"{len(wanted - found)} {noun}(s) not found", code=f"{noun}_not_found")


async def append_items(
    session: AsyncSession, *, collection: Collection, file_ids: Sequence[uuid.UUID]
) -> None:
    """Adds files after the last item (already present ones stay where they are); the caller commits.
    A collection without a cover takes the first of its images."""
    await require_owned_items(
        session, owner_id=collection.owner_id, kind=kind_of(collection), file_ids=file_ids
    )
    present = set(
        await session.scalars(
            select(CollectionItem.file_id).where(CollectionItem.collection_id == collection.id)
        )
    )
    last = await session.scalar(
        select(func.max(CollectionItem.position)).where(CollectionItem.collection_id == collection.id)
    )
    position = -1 if last is None else last
    for file_id in dict.fromkeys(file_ids):
        if file_id in present:
            continue
        position += 1
        session.add(CollectionItem(collection_id=collection.id, file_id=file_id, position=position))
    await session.flush()
    # Again under the write lock (SQLite) or a share lock on the files (PostgreSQL): a trash that
    # committed since the first check is seen, one still to come deletes these items itself.
    await require_owned_items(
        session, owner_id=collection.owner_id, kind=kind_of(collection), file_ids=file_ids, locking=True
    )
    if collection.cover_file_id is None:
        collection.cover_file_id = await items.first_item(session, collection.id)
    collection.updated_at = utcnow()


async def remove_item(
    session: AsyncSession, *, owner_id: uuid.UUID, kind: Kind, collection_id: uuid.UUID, file_id: uuid.UUID
) -> None:
    """Owns the unit of work and commits."""
    collection = await get_owned_collection(
        session, owner_id=owner_id, kind=kind, collection_id=collection_id
    )
    removed = await items.remove_items(session, collection=collection, file_ids=[file_id])
    if not removed:
        noun = "artwork" if kind == "gallery" else "image"
        raise NotFound(f"that {noun} is not in this {kind}", code=f"{noun}_not_found")
    await session.commit()


async def reorder_items(
    session: AsyncSession,
    *,
    owner_id: uuid.UUID,
    kind: Kind,
    collection_id: uuid.UUID,
    file_ids: Sequence[uuid.UUID],
) -> CollectionDetail:
    """Sets the display order; the ids must be exactly the collection's items, each once (else 422).
    Owns the unit of work and commits."""
    collection = await get_owned_collection(
        session, owner_id=owner_id, kind=kind, collection_id=collection_id
    )
    live = items.live_items(collection.id).order_by(None).subquery()
    present = {
        item.file_id: item
        for item in await session.scalars(
            select(CollectionItem).where(
                CollectionItem.collection_id == collection.id, CollectionItem.file_id.in_(select(live.c.id))
            )
        )
    }
    if len(set(file_ids)) != len(file_ids) or set(file_ids) != set(present):
        raise Unprocessable(
            f"the order must list each of the {len(present)} items of this {kind} exactly once",
            code="order_mismatch",
        )
    for position, file_id in enumerate(file_ids):
        present[file_id].position = position
    collection.updated_at = utcnow()
    await session.commit()
    return await _detail(session, collection)
