"""Share links, the owner's side: create, list, read, change and revoke. Every query starts from
the owner; a foreign id is a missing one (404)."""

import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from anyio import to_thread
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import security
from app.collections import service as collections
from app.collections.domain import Kind
from app.errors import NotFound
from app.folders import service as folders
from app.models import Collection, File, Folder, Share, User
from app.pagination import PageParams
from app.shares.schemas import ShareCreate, ShareTarget, ShareUpdate

TOKEN_BYTES = 24  # 192 random bits, 32 URL-safe characters


def share_not_found() -> NotFound:
    return NotFound("share link not found", code="share_not_found")


@dataclass(frozen=True)
class ShareView:
    share: Share
    target: ShareTarget


async def create_share(session: AsyncSession, *, owner: User, data: ShareCreate) -> ShareView:
    """A new link to one of the owner's things (404 when it is not theirs). Owns the unit of work."""
    share = Share(
        owner_id=owner.id,
        token=secrets.token_urlsafe(TOKEN_BYTES),
        file_ids=[],
        description=data.description,
        expires_at=data.expires_at,
        allow_download=data.allow_download,
        show_metadata=data.show_metadata,
        max_downloads=data.max_downloads,
        download_count=0,
        view_count=0,
    )
    await _aim(session, share=share, owner_id=owner.id, data=data)
    if data.password is not None:
        share.password_hash = await to_thread.run_sync(security.hash_password, data.password)
    session.add(share)
    await session.commit()
    return (await _views(session, [share]))[0]


async def _aim(session: AsyncSession, *, share: Share, owner_id: uuid.UUID, data: ShareCreate) -> None:
    if data.album_id is not None or data.gallery_id is not None:
        kind: Kind = "album" if data.album_id is not None else "gallery"
        collection_id = data.album_id or data.gallery_id
        assert collection_id is not None
        collection = await collections.get_owned_collection(
            session, owner_id=owner_id, kind=kind, collection_id=collection_id
        )
        share.target_type, share.collection_id = kind, collection.id
    elif data.folder_id is not None:
        folder = await folders.get_owned_folder(session, owner_id=owner_id, folder_id=data.folder_id)
        share.target_type, share.folder_id = "folder", folder.id
    else:
        wanted = set(data.file_ids or [])
        found = set(
            await session.scalars(
                select(File.id).where(
                    File.id.in_(wanted), File.owner_id == owner_id, File.deleted_at.is_(None)
                )
            )
        )
        if found != wanted:
            raise NotFound(f"{len(wanted - found)} file(s) not found", code="file_not_found")
        share.target_type = "files"
        share.file_ids = [str(file_id) for file_id in dict.fromkeys(data.file_ids or [])]


async def get_owned_share(session: AsyncSession, *, owner_id: uuid.UUID, share_id: uuid.UUID) -> Share:
    share = await session.scalar(select(Share).where(Share.id == share_id, Share.owner_id == owner_id))
    if share is None:
        raise share_not_found()
    return share


async def read_share(session: AsyncSession, *, owner_id: uuid.UUID, share_id: uuid.UUID) -> ShareView:
    share = await get_owned_share(session, owner_id=owner_id, share_id=share_id)
    return (await _views(session, [share]))[0]


@dataclass(frozen=True)
class ShareViews:
    items: list[ShareView]
    total: int


async def list_shares(session: AsyncSession, *, owner_id: uuid.UUID, page: PageParams) -> ShareViews:
    query = select(Share).where(Share.owner_id == owner_id)
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    newest = Share.created_at.desc() if page.order == "desc" else Share.created_at.asc()
    rows = list(
        await session.scalars(query.order_by(newest, Share.id).offset(page.offset).limit(page.per_page))
    )
    return ShareViews(items=await _views(session, rows), total=total)


async def update_share(
    session: AsyncSession, *, owner_id: uuid.UUID, share_id: uuid.UUID, data: ShareUpdate
) -> ShareView:
    """Changes the options sent; a new or removed password invalidates every unlock token at once
    (they are bound to the password hash). Owns the unit of work."""
    share = await get_owned_share(session, owner_id=owner_id, share_id=share_id)
    changes = data.model_dump(exclude_unset=True)
    if "password" in changes:
        password = changes.pop("password")
        share.password_hash = (
            None if password is None else await to_thread.run_sync(security.hash_password, password)
        )
    for name, value in changes.items():
        setattr(share, name, value)
    await session.commit()
    await session.refresh(share)
    return (await _views(session, [share]))[0]


async def delete_share(session: AsyncSession, *, owner_id: uuid.UUID, share_id: uuid.UUID) -> None:
    """Revokes the link at once: its token and unlock tokens answer 404 from now on. Owns the unit of work."""
    share = await get_owned_share(session, owner_id=owner_id, share_id=share_id)
    await session.delete(share)
    await session.commit()


async def _views(session: AsyncSession, shares: Sequence[Share]) -> list[ShareView]:
    """Each link with its target's type, id and current name (two queries for a page)."""
    collection_ids = {s.collection_id for s in shares if s.collection_id is not None}
    folder_ids = {s.folder_id for s in shares if s.folder_id is not None}
    names: dict[uuid.UUID, str] = {}
    if collection_ids:
        rows = await session.execute(
            select(Collection.id, Collection.name).where(Collection.id.in_(collection_ids))
        )
        names.update({row_id: name for row_id, name in rows.all()})
    if folder_ids:
        rows = await session.execute(select(Folder.id, Folder.name).where(Folder.id.in_(folder_ids)))
        names.update({row_id: name for row_id, name in rows.all()})
    return [ShareView(share=s, target=target_of(s, names)) for s in shares]


def target_of(share: Share, names: dict[uuid.UUID, str]) -> ShareTarget:
    target_id = share.collection_id or share.folder_id
    if target_id is None:
        count = len(share.file_ids)
        return ShareTarget(type="files", id=None, name=f"{count} file" + ("" if count == 1 else "s"))
    return ShareTarget.model_validate(
        {"type": share.target_type, "id": target_id, "name": names.get(target_id, "")}
    )
