"""The photo gallery: who may read an image, listings, edits, tags and batch operations."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app import activity, ratelimit
from app.access import policy
from app.collections import service as albums
from app.config import Settings
from app.db import utcnow
from app.errors import BadRequest, Forbidden, NotFound, Unauthorized
from app.files import service as files
from app.files.download import Download
from app.folders import service as folders
from app.images import renditions
from app.images.renditions import RenderRequest
from app.images.schemas import (
    BatchResult,
    ImageBatch,
    ImageFilters,
    ImageRead,
    ImageSort,
    ImageUpdate,
    ImageView,
    TagCount,
    ThumbnailSize,
    image_file_read,
    image_view,
)
from app.imaging.render import Watermark
from app.ledger import Ledger
from app.library import items as collection_items
from app.library import trash, usage
from app.models import CollectionItem, File, FileTag, ImageMeta, User
from app.pagination import Page, PageParams
from app.storage.base import BlobStore
from app.storage.packed import Stored
from app.work import ImageWork

MAX_TAG_SUGGESTIONS = 200
CACHE_SECONDS = 31_536_000


def image_not_found() -> NotFound:
    return NotFound("image not found", code="image_not_found")


def _live_image() -> list[ColumnElement[bool]]:
    return [File.kind == "image", File.deleted_at.is_(None)]


async def get_readable_image(
    session: AsyncSession, *, image_id: uuid.UUID, principal: policy.Principal, eager: bool = True
) -> File:
    """An image the principal may read (the access policy decides); 404 otherwise, whoever asks.
    Tags and image metadata are loaded unless `eager=False` (serving bytes needs neither)."""
    query = select(File).where(File.id == image_id, *_live_image(), policy.readable_files(principal))
    if eager:
        query = query.options(*files.FILE_LOAD)
    image = await session.scalar(query)
    if image is None:
        raise image_not_found()
    return image


async def get_owned_images(
    session: AsyncSession, *, owner_id: uuid.UUID, image_ids: Sequence[uuid.UUID]
) -> list[File]:
    """Every id must be a live image of the owner, else 404 (and the caller changes nothing)."""
    wanted = set(image_ids)
    found = list(
        await session.scalars(
            select(File)
            .where(File.id.in_(wanted), File.owner_id == owner_id, *_live_image())
            .options(*files.FILE_LOAD)
        )
    )
    if len(found) != len(wanted):
        raise NotFound(f"{len(wanted) - len(found)} image(s) not found", code="image_not_found")
    return found


# --- reading -----------------------------------------------------------------------------------


async def view_image(
    session: AsyncSession, *, ledger: Ledger, image_id: uuid.UUID, viewer: User | None
) -> ImageView:
    """An image's details (the public projection unless the viewer owns it); counts one view in the
    ledger, and answers the stored count with the views this process has not written yet."""
    principal = policy.principal_of(viewer)
    image = await get_readable_image(session, image_id=image_id, principal=principal)
    ledger.view(owner_id=image.owner_id, file_id=image.id, actor_id=viewer.id if viewer else None)
    view = image_view(image, principal=principal)
    view.view_count += ledger.views_pending(image.id)
    return view


async def list_images(
    session: AsyncSession,
    *,
    viewer: User | None,
    filters: ImageFilters,
    sort: ImageSort,
    page: PageParams,
    ledger: Ledger,
) -> Page[ImageView]:
    """The viewer's images, another user's public ones (`user_id`), or an album's (`album_id`);
    sorted by views after this process's pending ones are written."""
    if sort == "view_count":
        await ledger.flush_for_read(session)
    principal = policy.principal_of(viewer)
    query = select(File).outerjoin(ImageMeta, ImageMeta.file_id == File.id).where(*_live_image())
    query = query.where(
        *await _scope(session, principal=principal, filters=filters), *_image_clauses(filters)
    )
    column = {
        "created_at": File.created_at,
        "taken_at": ImageMeta.taken_at,
        "name": File.name,
        "size": File.size,
        "view_count": File.view_count,
    }[sort]
    ordered = column.desc() if page.order == "desc" else column.asc()
    tiebreak = File.id.desc() if page.order == "desc" else File.id.asc()
    query = query.order_by(ordered.nulls_last(), tiebreak)
    total = await _own_total(session, principal=principal, filters=filters)
    if total is None:
        total = await files.count_rows(session, query)
    rows = await session.scalars(query.offset(page.offset).limit(page.per_page).options(*files.FILE_LOAD))
    items = [image_view(row, principal=principal) for row in rows]
    return Page(items=items, total=total, page=page.page, per_page=page.per_page)


async def _own_total(
    session: AsyncSession, *, principal: policy.Principal, filters: ImageFilters
) -> int | None:
    """The caller's live images from the counters, when the list is all of them; None otherwise."""
    owner_id = principal.user_id
    narrowed = filters.model_dump(exclude_none=True).keys() - {"user_id"}
    if owner_id is None or narrowed or filters.user_id not in (None, owner_id):
        return None
    return (await usage.count(session, owner_id=owner_id, trashed=False, kind="image")).files


async def _scope(
    session: AsyncSession, *, principal: policy.Principal, filters: ImageFilters
) -> list[ColumnElement[bool]]:
    """Whose images the listing may show: a viewable album's, another owner's readable ones, or the
    caller's own."""
    if filters.album_id is not None:
        album = await albums.get_viewable_collection(
            session, principal=principal, kind="album", collection_id=filters.album_id
        )
        in_album = select(CollectionItem.file_id).where(CollectionItem.collection_id == album.id)
        _require_own_tags(filters, principal=principal, owner_id=album.owner_id)
        return [File.id.in_(in_album), File.owner_id == album.owner_id]
    if filters.user_id is not None and not policy.is_owner(principal, filters.user_id):
        _require_own_tags(filters, principal=principal, owner_id=filters.user_id)
        return [File.owner_id == filters.user_id, policy.readable_files(principal)]
    if principal.user_id is None:
        raise Unauthorized("a bearer token is required unless user_id or a public album_id is given")
    return [File.owner_id == principal.user_id]


def _require_own_tags(filters: ImageFilters, *, principal: policy.Principal, owner_id: uuid.UUID) -> None:
    """Tags are the owner's private labels: filtering someone else's images by one would reveal them."""
    if filters.tag and not policy.sees_private_metadata(principal, owner_id):
        raise BadRequest("the tag filter applies to your own images only", code="tag_filter_private")


def _image_clauses(filters: ImageFilters) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = []
    if filters.tag:
        clauses.append(File.tags.any(FileTag.name == " ".join(filters.tag.split()).lower()))
    if filters.taken_after is not None:
        clauses.append(ImageMeta.taken_at >= filters.taken_after)
    if filters.taken_before is not None:
        clauses.append(ImageMeta.taken_at < filters.taken_before)
    if filters.camera:
        clauses.append(
            or_(
                ImageMeta.camera_make.icontains(filters.camera, autoescape=True),
                ImageMeta.camera_model.icontains(filters.camera, autoescape=True),
            )
        )
    return clauses


async def list_tags(session: AsyncSession, *, owner_id: uuid.UUID, prefix: str | None) -> list[TagCount]:
    """The owner's tags on live files with how many files carry each, most used first."""
    query = tags_query(owner_id=owner_id, prefix=prefix)
    return [TagCount(name=name, count=count) for name, count in (await session.execute(query)).all()]


def tags_query(*, owner_id: uuid.UUID, prefix: str | None) -> Select[str, int]:
    """Read from the owner's tag rows (their index), each checked against its file's trash state."""
    query = (
        select(FileTag.name, func.count())
        .join(File, File.id == FileTag.file_id)
        .where(FileTag.owner_id == owner_id, File.deleted_at.is_(None))
        .group_by(FileTag.name)
        .order_by(func.count().desc(), FileTag.name)
        .limit(MAX_TAG_SUGGESTIONS)
    )
    clean = " ".join((prefix or "").split()).lower()
    if clean:
        query = query.where(FileTag.name.startswith(clean, autoescape=True))
    return query


# --- bytes -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Served:
    """A derived image ready to send: public ones may sit in shared caches, others only in the viewer's.
    One URL always names the same bytes, unless `revalidate` (a URL whose image can change)."""

    store: BlobStore
    key: str
    media_type: str
    etag: str
    filename: str
    last_modified: datetime
    public: bool
    revalidate: bool = False

    @property
    def cache_control(self) -> str:
        scope = "public" if self.public else "private"
        return f"{scope}, no-cache" if self.revalidate else f"{scope}, max-age={CACHE_SECONDS}, immutable"

    def download(self) -> Download:
        """Inline, with this cache scope; the bytes may depend on who asks, so caches key on the token."""
        return Download(
            store=self.store,
            blob=Stored(self.key),
            media_type=self.media_type,
            filename=self.filename,
            etag=self.etag,
            last_modified=self.last_modified,
            disposition="inline",
            cache_control=self.cache_control,
            vary_authorization=True,
        )


async def require_original_download(
    session: AsyncSession, *, file: File, principal: policy.Principal
) -> None:
    """403 `original_protected` when a visitor may see an artwork but not download its original."""
    subject = await policy.subject(session, principal=principal, file=file)
    if not policy.may_download_original(principal, subject):
        raise Forbidden("the artist does not allow downloading this original", code="original_protected")


async def download_image(
    session: AsyncSession, *, storage: BlobStore, ledger: Ledger, image_id: uuid.UUID, viewer: User | None
) -> Download:
    principal = policy.principal_of(viewer)
    image = await get_readable_image(session, image_id=image_id, principal=principal, eager=False)
    await require_original_download(session, file=image, principal=principal)
    actor_id = viewer.id if viewer else None
    return files.original_download(storage=storage, ledger=ledger, file=image, actor_id=actor_id)


async def signed_url_viewer(session: AsyncSession, *, image_id: uuid.UUID) -> User | None:
    """Whom a signed thumbnail URL speaks for: the image's owner, to whom `urls` in `File` (the
    owner's own view of a file) gave it; None (a visitor) when the image is gone."""
    owner_id = await session.scalar(select(File.owner_id).where(File.id == image_id))
    return None if owner_id is None else await session.get(User, owner_id)


async def image_thumbnail(
    session: AsyncSession,
    *,
    work: ImageWork,
    storage: BlobStore,
    image_id: uuid.UUID,
    viewer: User | None,
    size: ThumbnailSize,
) -> Served:
    return await thumbnail_for(
        session,
        work=work,
        storage=storage,
        image_id=image_id,
        principal=policy.principal_of(viewer),
        size=size,
    )


async def thumbnail_for(
    session: AsyncSession,
    *,
    work: ImageWork,
    storage: BlobStore,
    image_id: uuid.UUID,
    principal: policy.Principal,
    size: ThumbnailSize,
) -> Served:
    """A thumbnail for any principal (a user, anybody, a share link's visitor); the policy decides
    whether it is readable, watermarked and how it may be cached."""
    image = await get_readable_image(session, image_id=image_id, principal=principal, eager=False)
    subject = await policy.subject(session, principal=principal, file=image)
    rendering = policy.rendering_of_thumbnail(size)
    mark = _watermark(principal, subject, rendering)
    made = await renditions.thumbnail(work, storage, image=image, size=size, watermark=mark, reader=session)
    scope = policy.cache_scope(principal, subject, rendering)
    return served(image, made, store=storage, label=size, public=scope == "public")


async def image_rendition(
    session: AsyncSession,
    *,
    work: ImageWork,
    storage: BlobStore,
    image_id: uuid.UUID,
    viewer: User | None,
    spec: RenderRequest,
    settings: Settings,
    client: str,
) -> Served:
    """A rendition; making one that is not cached counts against the caller's render limit."""
    principal = policy.principal_of(viewer)
    image = await get_readable_image(session, image_id=image_id, principal=principal)
    subject = await policy.subject(session, principal=principal, file=image)
    protected = not policy.may_download_original(principal, subject)
    shown = (image.image.width, image.image.height) if image.image else None
    spec = spec.for_source(shown, protected=protected)
    mark = _watermark(principal, subject, "render")

    async def count_render() -> None:
        await _count_render(session, settings=settings, key=f"user:{viewer.id}" if viewer else f"ip:{client}")

    made = await renditions.rendition(
        work, storage, image=image, spec=spec, watermark=mark, reader=session, before_making=count_render
    )
    label = f"{spec.width or 0}x{spec.height or 0}"
    scope = policy.cache_scope(principal, subject, "render")
    return served(image, made, store=storage, label=label, public=scope == "public")


async def _count_render(session: AsyncSession, *, settings: Settings, key: str) -> None:
    """Each uncached render decodes a whole original: 429 past the limit per user or address."""
    await ratelimit.throttle(
        session,
        key=f"render:{key}",
        limit=settings.render_rate_limit,
        window_seconds=settings.render_rate_window_seconds,
        what="new renditions",
    )


def _watermark(
    principal: policy.Principal, subject: policy.Subject, rendering: policy.Rendering
) -> Watermark | None:
    """The owner's watermark when the policy says this viewer gets one on this rendering."""
    if not policy.gets_watermark(principal, subject, rendering):
        return None
    return renditions.watermark_of(subject.watermark)


def served(
    image: File,
    made: renditions.Rendition,
    *,
    store: BlobStore,
    label: str,
    public: bool,
    revalidate: bool = False,
) -> Served:
    """`public` only when every viewer gets these same bytes: the owner's unmarked copy or a
    visitor's watermarked one must stay out of shared caches."""
    stem = image.name.rsplit(".", 1)[0] or "image"
    return Served(
        store=store,
        key=made.key,
        media_type=made.media_type,
        etag=made.etag,
        filename=f"{stem}-{label}{made.extension}",
        last_modified=made.stat.modified,
        public=public,
        revalidate=revalidate,
    )


# --- changes -----------------------------------------------------------------------------------


async def update_image(
    session: AsyncSession, *, owner: User, image_id: uuid.UUID, data: ImageUpdate
) -> ImageRead:
    """Edit title, description, tags; `album_id` also adds the image to that album. Owns the unit of
    work: one commit for both."""
    image = (await get_owned_images(session, owner_id=owner.id, image_ids=[image_id]))[0]
    if data.album_id is not None:
        album = await albums.get_owned_collection(
            session, owner_id=owner.id, kind="album", collection_id=data.album_id
        )
        await albums.append_items(session, collection=album, file_ids=[image.id])
    await files.apply_file_update(session, file=image, data=data.file_update())
    await session.commit()
    readable = await get_readable_image(session, image_id=image.id, principal=policy.principal_of(owner))
    return image_file_read(readable)


async def delete_image(session: AsyncSession, *, owner: User, image_id: uuid.UUID) -> None:
    """To the trash like any file, and out of every album (covers move on).
    Owns the unit of work and commits."""
    await get_owned_images(session, owner_id=owner.id, image_ids=[image_id])
    await trash.trash_files(session, owner_id=owner.id, file_ids=[image_id])
    await session.commit()


async def run_batch(session: AsyncSession, *, owner: User, batch: ImageBatch) -> BatchResult:
    """Checks every id and argument first, then applies the operation in one transaction.
    Owns the unit of work and commits."""
    images = await get_owned_images(session, owner_id=owner.id, image_ids=batch.image_ids)
    ids = [image.id for image in images]
    if batch.operation == "delete":
        await trash.trash_files(session, owner_id=owner.id, file_ids=ids)
    elif batch.operation == "move":
        await _move(session, owner=owner, images=images, folder_id=batch.folder_id)
    elif batch.operation in ("tag", "untag"):
        await _retag(session, images=images, tags=batch.tags or [], add=batch.operation == "tag")
    else:
        album = await albums.get_owned_collection(
            session, owner_id=owner.id, kind="album", collection_id=batch.album_id or uuid.uuid4()
        )
        if batch.operation == "add_to_album":
            await albums.append_items(session, collection=album, file_ids=batch.image_ids)
        else:
            await collection_items.remove_items(session, collection=album, file_ids=ids)
    await session.commit()
    return BatchResult(
        operation=batch.operation, image_ids=list(dict.fromkeys(batch.image_ids)), count=len(ids)
    )


async def _move(
    session: AsyncSession, *, owner: User, images: Sequence[File], folder_id: uuid.UUID | None
) -> None:
    """Only stages (the caller commits)."""
    if folder_id is not None:
        await folders.get_owned_folder(session, owner_id=owner.id, folder_id=folder_id)
    now = utcnow()
    moving = [image for image in images if image.folder_id != folder_id]
    tally = usage.Tally()
    tally.take(moving)
    for image in moving:
        image.folder_id = folder_id
        image.updated_at = now
        activity.record(session, owner_id=owner.id, file_id=image.id, action="move", actor_id=owner.id)
    tally.put(moving)
    await usage.apply(session, tally)


async def _retag(session: AsyncSession, *, images: Sequence[File], tags: list[str], add: bool) -> None:
    """`tags` come normalised (the `Tags` type). Only stages (the caller commits)."""
    ids = [image.id for image in images]
    now = utcnow()
    if add:
        rows = await session.execute(select(FileTag.file_id, FileTag.name).where(FileTag.file_id.in_(ids)))
        present = {(file_id, name) for file_id, name in rows}
        session.add_all(
            FileTag(file_id=image.id, owner_id=image.owner_id, name=tag)
            for image in images
            for tag in tags
            if (image.id, tag) not in present
        )
    else:
        await session.execute(delete(FileTag).where(FileTag.file_id.in_(ids), FileTag.name.in_(tags)))
    for image in images:
        image.updated_at = now
