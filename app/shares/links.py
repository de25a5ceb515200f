"""Share links, the visitor's side: open a link (unknown 404, expired 410, locked 401), unlock it,
list what it shows, and serve its files, thumbnails and ZIP. What a visitor may do is the access
policy's call, asked with the link's grant as the principal."""

import hashlib
import uuid
from dataclasses import dataclass
from datetime import timedelta

from anyio import to_thread
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased, joinedload

from app import ratelimit
from app.access import policy
from app.auth import security
from app.config import Settings
from app.db import utcnow
from app.errors import AppError, Forbidden, NotFound, Unauthorized
from app.files.download import Download
from app.files.originals import original_of
from app.files.previews import image_errors
from app.files.schemas import image_read
from app.folders import service as folders
from app.images import service as images
from app.images.schemas import ThumbnailSize
from app.imaging.location import without_location
from app.ledger import Ledger
from app.models import Collection, CollectionItem, File, Folder, Share
from app.pagination import Page, PageParams
from app.shares.schemas import (
    PUBLIC_EXIF,
    PublicShare,
    SharedFile,
    SharedImage,
    SharedUrls,
    ShareListing,
    ShareTarget,
    Unlocked,
)
from app.shares.service import share_not_found, target_of
from app.storage import keys
from app.storage.base import BlobStore
from app.storage.packed import Stored
from app.work import ImageWork, ensure_derived
from app.zips import service as zips
from app.zips.stream import Archive

LOCATION_FREE = "nolocation-1"  # the rendition name of an original served without its location


@dataclass(frozen=True)
class Link:
    """An open link: its row and the grant the policy reads."""

    share: Share
    grant: policy.ShareGrant

    @property
    def principal(self) -> policy.Principal:
        return policy.through_grant(self.grant)

    @property
    def downloads_left(self) -> int | None:
        if self.share.max_downloads is None:
            return None
        return max(0, self.share.max_downloads - self.share.download_count)


def password_binding(share: Share) -> str:
    """What an unlock token is bound to: the current password hash (a new salt each time it is set)."""
    if share.password_hash is None:
        return ""
    return hashlib.sha256(share.password_hash.encode()).hexdigest()[:32]


async def find_share(session: AsyncSession, *, token: str) -> Share:
    """The live link of `token`: 404 `share_not_found` (unknown or revoked), 410 `share_expired`."""
    share = await session.scalar(select(Share).where(Share.token == token)) if len(token) <= 64 else None
    if share is None:
        raise share_not_found()
    if share.expires_at is not None and share.expires_at <= utcnow():
        raise AppError("this share link has expired", code="share_expired", status=410)
    return share


def is_unlocked(settings: Settings, share: Share, unlock: str | None) -> bool:
    if share.password_hash is None:
        return True
    if not unlock:
        return False
    try:
        share_id, binding = security.decode_share_token(settings.signing_key, unlock)
    except security.InvalidToken:
        return False
    return share_id == share.id and binding == password_binding(share)


async def open_link(session: AsyncSession, *, settings: Settings, token: str, unlock: str | None) -> Link:
    """The link, checked (404, 410, and 401 `share_locked` while its password is not given)."""
    share = await find_share(session, token=token)
    if not is_unlocked(settings, share, unlock):
        raise Unauthorized("this share link needs its password", code="share_locked")
    return Link(share=share, grant=await grant_of(session, share))


async def grant_of(session: AsyncSession, share: Share) -> policy.ShareGrant:
    """What the link opens now: a folder's live subtree is resolved at each request."""
    folder_ids: frozenset[uuid.UUID] = frozenset()
    if share.folder_id is not None:
        folder_ids = frozenset(
            await folders.subtree_paths(session, owner_id=share.owner_id, folder_id=share.folder_id)
        )
    return policy.ShareGrant(
        share_id=share.id,
        owner_id=share.owner_id,
        file_ids=frozenset(uuid.UUID(raw) for raw in share.file_ids or []),
        folder_ids=folder_ids,
        collection_id=share.collection_id,
        allow_download=share.allow_download,
        show_metadata=share.show_metadata,
    )


async def unlock(
    session: AsyncSession, *, settings: Settings, token: str, password: str, client: str
) -> Unlocked:
    """A short-lived token for this link alone. Failures count per link and per address (429 past
    the limit); a success forgets this attempt. Owns the unit of work."""
    share = await find_share(session, token=token)
    limit = settings.share_unlock_attempts
    buckets = [
        ratelimit.Bucket(f"share-unlock:ip:{client}", limit),
        ratelimit.Bucket(f"share-unlock:share:{share.id}", limit * 5),
    ]
    hit_ids = await ratelimit.hit(
        session, buckets=buckets, window_seconds=settings.share_unlock_window_seconds, what="unlock attempts"
    )
    if share.password_hash is not None:
        await session.commit()  # the hits are in: no connection held while hashing
        valid, _ = await to_thread.run_sync(security.verify_password, password, share.password_hash)
        if not valid:
            raise Unauthorized("wrong password for this share link", code="share_password_invalid")
    await ratelimit.forget(session, hit_ids=hit_ids)
    await session.commit()
    lifetime = timedelta(minutes=settings.share_unlock_minutes)
    access_token = security.create_share_token(
        settings.signing_key,
        share_id=share.id,
        binding=password_binding(share),
        expires_at=utcnow() + lifetime,
    )
    return Unlocked(access_token=access_token, expires_in=int(lifetime.total_seconds()))


# --- what the link shows -----------------------------------------------------------------------


def public_share(link: Link) -> PublicShare:
    share = link.share
    return PublicShare(
        description=share.description,
        expires_at=share.expires_at,
        allow_download=share.allow_download,
        show_metadata=share.show_metadata,
        has_password=share.password_hash is not None,
        downloads_left=link.downloads_left,
    )


async def link_target(session: AsyncSession, link: Link) -> ShareTarget:
    target_id = link.share.collection_id or link.share.folder_id
    names: dict[uuid.UUID, str] = {}
    if link.share.collection_id is not None:
        names[link.share.collection_id] = (
            await session.scalar(select(Collection.name).where(Collection.id == link.share.collection_id))
            or ""
        )
    elif target_id is not None:
        names[target_id] = await session.scalar(select(Folder.name).where(Folder.id == target_id)) or ""
    return target_of(link.share, names)


async def listing(session: AsyncSession, *, link: Link, page: PageParams, count_view: bool) -> ShareListing:
    """A page of the shared files as visitors see them; `count_view` counts one view (and commits)."""
    principal = link.principal
    query = select(File, policy.downloadable_files(principal)).where(policy.readable_files(principal))
    if link.grant.collection_id is not None:
        item = aliased(CollectionItem)  # the policy's own subqueries over CollectionItem stay apart
        query = query.join(
            item, (item.file_id == File.id) & (item.collection_id == link.grant.collection_id)
        ).order_by(item.position, item.added_at, File.id)
    else:
        query = query.order_by(File.name, File.id)
    total = await session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    rows = await session.execute(
        query.offset(page.offset).limit(page.per_page).options(joinedload(File.image))
    )
    items = [shared_file(link, file, bool(downloadable)) for file, downloadable in rows.all()]
    target = await link_target(session, link)
    if count_view:
        await session.execute(
            update(Share).where(Share.id == link.share.id).values(view_count=Share.view_count + 1)
        )
        await session.commit()
    return ShareListing(
        share=public_share(link),
        target=target,
        items=Page(items=items, total=total, page=page.page, per_page=page.per_page),
    )


def shared_file(link: Link, file: File, downloadable: bool) -> SharedFile:
    base = f"/api/s/{link.share.token}/files/{file.id}"
    details = image_read(file.image) if file.kind == "image" else None
    image = None
    if details is not None:
        shown = policy.sees_metadata(link.principal)
        exif = {k: v for k, v in details.exif.items() if k in PUBLIC_EXIF} if shown else {}
        image = SharedImage(
            width=details.width, height=details.height, exif=exif, thumbhash=details.thumbhash
        )
    return SharedFile(
        id=file.id,
        name=file.name,
        mime_type=file.mime_type,
        kind=file.kind,
        size=file.size,
        title=file.title,
        description=file.description,
        created_at=file.created_at,
        urls=SharedUrls(
            download=f"{base}/download" if downloadable and link.downloads_left != 0 else None,
            thumbnail=f"{base}/thumbnail" if file.kind == "image" else None,
        ),
        image=image,
    )


# --- bytes -------------------------------------------------------------------------------------


def file_not_found() -> NotFound:
    return NotFound("file not found in this share", code="file_not_found")


def require_downloads(link: Link) -> None:
    """403 when the link forbids downloads, 410 once its download cap is reached."""
    if not link.share.allow_download:
        raise Forbidden("this share link does not allow downloads", code="download_not_allowed")
    if link.downloads_left == 0:
        raise AppError(
            "this share link has reached its download limit", code="share_download_limit", status=410
        )


async def count_download(session: AsyncSession, *, share_id: uuid.UUID) -> None:
    """Counts a full download through the link. Owns the unit of work and commits."""
    await session.execute(
        update(Share).where(Share.id == share_id).values(download_count=Share.download_count + 1)
    )
    await session.commit()


async def download(
    session: AsyncSession,
    *,
    storage: BlobStore,
    work: ImageWork,
    ledger: Ledger,
    link: Link,
    file_id: uuid.UUID,
) -> Download:
    """An original through the link: without its location when the link hides metadata."""
    principal = link.principal
    file = await session.scalar(
        select(File)
        .where(File.id == file_id, policy.readable_files(principal))
        .options(joinedload(File.image))
    )
    if file is None:
        raise file_not_found()
    require_downloads(link)
    await images.require_original_download(session, file=file, principal=principal)

    async def count() -> None:
        """The file's count waits in the ledger; the link's is written now, as its cap depends on it."""
        ledger.download(owner_id=file.owner_id, file_id=file.id, actor_id=None)
        await count_download(session, share_id=link.share.id)

    blob, etag = original_of(file), file.sha256
    if policy.strips_location(principal, file.owner_id) and carries_location(file):
        source, blob = blob, Stored(keys.rendition(file.storage_key, LOCATION_FREE))
        etag = f"{file.sha256[:32]}-{LOCATION_FREE}"
        with image_errors():
            await ensure_derived(
                storage,
                work,
                key=blob.key,
                source=source,
                make=without_location,
                reader=session,
            )
    return Download(
        store=storage,
        blob=blob,
        media_type=file.mime_type,
        filename=file.name,
        etag=etag,
        last_modified=file.created_at,
        on_full_get=count,
    )


def carries_location(file: File) -> bool:
    """Every JPEG goes through the splice (cheap, and its EXIF may hold GPS we did not parse);
    another image only when a location was read from it."""
    if file.kind != "image":
        return False
    if file.mime_type == "image/jpeg":
        return True
    meta = file.image
    return meta is not None and (meta.gps_latitude is not None or "GPSInfo" in (meta.exif or {}))


async def thumbnail(
    session: AsyncSession,
    *,
    storage: BlobStore,
    work: ImageWork,
    link: Link,
    file_id: uuid.UUID,
    size: ThumbnailSize,
) -> images.Served:
    return await images.thumbnail_for(
        session, work=work, storage=storage, image_id=file_id, principal=link.principal, size=size
    )


async def archive(session: AsyncSession, *, link: Link) -> Archive:
    """Every file of the link whose original visitors may download; protected originals stay out,
    and a link with none to give is 403 `original_protected`. Starting it counts one download."""
    require_downloads(link)
    principal = link.principal
    name = (await link_target(session, link)).name or "share"
    share = link.share
    if share.collection_id is not None:
        found = await zips.collection_files(session, principal=principal, collection_id=share.collection_id)
        result = zips.flat_archive(name, found)
    elif share.folder_id is not None:
        paths = await folders.subtree_paths(session, owner_id=share.owner_id, folder_id=share.folder_id)
        found = await zips.folder_files(session, principal=principal, folder_ids=list(paths))
        result = zips.tree_archive(name, paths, found)
    else:
        found = await zips.listed_files(session, principal=principal, file_ids=sorted(link.grant.file_ids))
        result = zips.flat_archive(name, found)
    if not found:
        await _refuse_protected(session, link)
    await count_download(session, share_id=share.id)
    return result


async def _refuse_protected(session: AsyncSession, link: Link) -> None:
    readable = await session.scalar(
        select(func.count()).select_from(File).where(policy.readable_files(link.principal))
    )
    if readable:
        raise Forbidden("the artist does not allow downloading these originals", code="original_protected")
