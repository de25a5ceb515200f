"""Artworks (file rows with `is_artwork`) and galleries (collections of kind "gallery").

Galleries go through the shared collection service; this module adds what the portfolio alone has:
the artwork upload, seen-but-not-yours 403s, and the 403 for a protected original (the access
policy decides who may download one).
"""

import uuid
from collections.abc import Sequence

from pydantic import ValidationError
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.access import policy
from app.collections import service as collections
from app.collections.domain import Kind
from app.config import Settings
from app.errors import Forbidden, InvalidFields, NotFound, Unprocessable, UnsupportedMediaType
from app.files import multipart
from app.files import service as files
from app.files.ingest import Decorate
from app.files.schemas import FileUpdate
from app.library import trash
from app.models import Collection, File, User
from app.pagination import Page, PageParams
from app.portfolio.schemas import (
    ArtworkFields,
    ArtworkRead,
    ArtworkUpdate,
    ArtworkView,
    GalleryCreate,
    GalleryDetail,
    GalleryRead,
    GalleryUpdate,
    artwork_read,
    public_artwork,
)
from app.storage.base import BlobStore

GALLERY: Kind = "gallery"
IMAGES = frozenset({"image"})


def artwork_not_found() -> NotFound:
    return NotFound("artwork not found", code="artwork_not_found")


def not_owner(noun: str) -> Forbidden:
    return Forbidden(f"only the artist may change this {noun}", code="not_owner")


# --- artworks ---------------------------------------------------------------------------------------


async def upload_artwork(
    session: AsyncSession, *, settings: Settings, user: User, incoming: multipart.Incoming
) -> ArtworkRead:
    """One image through the shared ingest pipeline, marked as an artwork, optionally into a gallery:
    all in one transaction (owns the unit of work)."""

    def as_artwork(fields: dict[str, str]) -> Decorate:
        async def decorate(rows: list[File]) -> None:
            if len(rows) != 1:
                raise Unprocessable("send exactly one image as the `file` part", code="one_file_expected")
            if rows[0].image is None:
                raise UnsupportedMediaType("the file could not be read as an image", code="not_an_image")
            data = _parse_fields(fields)
            _apply_fields(rows[0], data)
            if data.gallery_id is not None:
                gallery = await _owned_gallery(session, owner_id=user.id, gallery_id=data.gallery_id)
                await collections.append_items(session, collection=gallery, file_ids=[rows[0].id])

        return decorate

    rows = await multipart.upload_files(
        session,
        settings=settings,
        user=user,
        incoming=incoming,
        kinds_allowed=IMAGES,
        decorate_with=as_artwork,
    )
    return artwork_read(rows[0])


def _parse_fields(fields: dict[str, str]) -> ArtworkFields:
    try:
        return ArtworkFields.model_validate(fields)
    except ValidationError as exc:
        raise InvalidFields(
            [{**err, "loc": ("body", *err["loc"])} for err in exc.errors(include_url=False)]
        ) from exc


def _apply_fields(row: File, data: ArtworkFields) -> None:
    row.is_artwork = True
    row.title = data.title
    row.description = data.description
    row.medium = data.medium
    row.year = data.year
    row.dimensions = data.dimensions


def _artworks_of(owner_id: uuid.UUID) -> list[ColumnElement[bool]]:
    return [File.owner_id == owner_id, File.is_artwork.is_(True), File.deleted_at.is_(None)]


async def list_artworks(session: AsyncSession, *, owner_id: uuid.UUID, page: PageParams) -> Page[ArtworkRead]:
    conditions = _artworks_of(owner_id)
    total = await session.scalar(select(func.count()).select_from(File).where(*conditions)) or 0
    newest_first = page.order == "desc"
    direction = (File.created_at.desc(), File.id.desc()) if newest_first else (File.created_at, File.id)
    query = (
        select(File)
        .where(*conditions)
        .order_by(*direction)
        .offset(page.offset)
        .limit(page.per_page)
        .options(*files.FILE_LOAD)
    )
    items = [artwork_read(row) for row in await session.scalars(query)]
    return Page(items=items, total=total, page=page.page, per_page=page.per_page)


async def _viewable_artwork(
    session: AsyncSession, *, principal: policy.Principal, artwork_id: uuid.UUID
) -> File:
    """An artwork the principal may read (the access policy decides); 404 otherwise."""
    file = await session.scalar(
        select(File)
        .where(File.id == artwork_id, File.is_artwork.is_(True), policy.readable_files(principal))
        .options(*files.FILE_LOAD)
    )
    if file is None:
        raise artwork_not_found()
    return file


async def _changeable_artwork(session: AsyncSession, *, user: User, artwork_id: uuid.UUID) -> File:
    """The caller's artwork; 403 for one the caller may only see, 404 for one they cannot."""
    principal = policy.principal_of(user)
    file = await _viewable_artwork(session, principal=principal, artwork_id=artwork_id)
    if not policy.may_change(principal, file.owner_id):
        raise not_owner("artwork")
    return file


async def get_artwork(session: AsyncSession, *, viewer: User | None, artwork_id: uuid.UUID) -> ArtworkView:
    """The owner gets the full `Artwork`; a visitor of a public artwork its public face."""
    principal = policy.principal_of(viewer)
    file = await _viewable_artwork(session, principal=principal, artwork_id=artwork_id)
    if policy.sees_private_metadata(principal, file.owner_id):
        return artwork_read(file)
    subject = await policy.subject(session, principal=principal, file=file)
    downloadable = policy.may_download_original(principal, subject)
    return public_artwork(file, file.image, downloadable=downloadable)


async def update_artwork(
    session: AsyncSession, *, user: User, artwork_id: uuid.UUID, data: ArtworkUpdate
) -> ArtworkRead:
    """Edits the artist's artwork: portfolio fields and the file's own, one commit (owns the unit of work)."""
    file = await _changeable_artwork(session, user=user, artwork_id=artwork_id)
    changes = data.model_dump(exclude_unset=True)
    if changes.get("title") is None:
        changes.pop("title", None)
    for key in ("medium", "year", "dimensions"):
        if key in changes:
            setattr(file, key, changes[key])
    shared = FileUpdate(**{k: changes[k] for k in ("title", "description", "tags") if k in changes})
    await files.apply_file_update(session, file=file, data=shared)
    await session.commit()
    return artwork_read(await files.get_owned_file(session, owner_id=user.id, file_id=file.id))


async def delete_artwork(
    session: AsyncSession, *, storage: BlobStore, user: User, artwork_id: uuid.UUID, permanent: bool
) -> None:
    """Out of every gallery, then to the trash (or gone for good with `permanent`).
    Owns the unit of work and commits."""
    file = await _changeable_artwork(session, user=user, artwork_id=artwork_id)
    if permanent:
        await trash.purge_files(session, storage=storage, files=[file], actor_id=user.id)
        return
    await trash.trash_files(session, owner_id=user.id, file_ids=[file.id])
    await session.commit()


# --- galleries --------------------------------------------------------------------------------------


async def _owned_gallery(session: AsyncSession, *, owner_id: uuid.UUID, gallery_id: uuid.UUID) -> Collection:
    return await collections.get_owned_collection(
        session, owner_id=owner_id, kind=GALLERY, collection_id=gallery_id
    )


async def _changeable_gallery(session: AsyncSession, *, user: User, gallery_id: uuid.UUID) -> Collection:
    """The caller's gallery; 403 for someone else's public one, 404 for a private or missing one."""
    principal = policy.principal_of(user)
    gallery = await collections.get_viewable_collection(
        session, principal=principal, kind=GALLERY, collection_id=gallery_id
    )
    if not policy.may_change(principal, gallery.owner_id):
        raise not_owner("gallery")
    return gallery


async def list_galleries(
    session: AsyncSession, *, viewer: User | None, artist_id: uuid.UUID | None, page: PageParams
) -> Page[GalleryRead]:
    views, total = await collections.list_visible_collections(
        session, viewer=viewer, kind=GALLERY, owner_id=artist_id, page=page
    )
    return GalleryRead.page(views, total, page)


async def create_gallery(session: AsyncSession, *, owner: User, data: GalleryCreate) -> GalleryRead:
    view = await collections.create_collection(
        session,
        owner=owner,
        kind=GALLERY,
        name=data.title,
        description=data.description,
        visibility=data.visibility,
        allow_original_download=data.allow_original_download,
    )
    return GalleryRead.of_view(view)


async def get_gallery(session: AsyncSession, *, viewer: User | None, gallery_id: uuid.UUID) -> GalleryDetail:
    detail = await collections.get_collection_detail(
        session, viewer=viewer, kind=GALLERY, collection_id=gallery_id
    )
    return gallery_detail(detail.collection, detail.files, principal=policy.principal_of(viewer))


def gallery_detail(
    gallery: Collection, artworks: Sequence[File], *, principal: policy.Principal
) -> GalleryDetail:
    downloadable = policy.may_download_originals_of(principal, gallery)
    return GalleryDetail(
        **GalleryRead.of(gallery, len(artworks)).model_dump(),
        artwork_ids=[f.id for f in artworks],
        artworks=[public_artwork(f, f.image, downloadable=downloadable) for f in artworks],
    )


async def update_gallery(
    session: AsyncSession, *, user: User, gallery_id: uuid.UUID, data: GalleryUpdate
) -> GalleryRead:
    await _changeable_gallery(session, user=user, gallery_id=gallery_id)
    view = await collections.update_collection(
        session, owner_id=user.id, kind=GALLERY, collection_id=gallery_id, changes=data.to_changes()
    )
    return GalleryRead.of_view(view)


async def delete_gallery(session: AsyncSession, *, user: User, gallery_id: uuid.UUID) -> None:
    """The gallery goes; its artworks stay."""
    await _changeable_gallery(session, user=user, gallery_id=gallery_id)
    await collections.delete_collection(session, owner_id=user.id, kind=GALLERY, collection_id=gallery_id)


async def add_artworks(
    session: AsyncSession, *, user: User, gallery_id: uuid.UUID, artwork_ids: Sequence[uuid.UUID]
) -> GalleryDetail:
    await _changeable_gallery(session, user=user, gallery_id=gallery_id)
    detail = await collections.add_items(
        session, owner_id=user.id, kind=GALLERY, collection_id=gallery_id, file_ids=artwork_ids
    )
    return gallery_detail(detail.collection, detail.files, principal=policy.principal_of(user))


async def remove_artwork(
    session: AsyncSession, *, user: User, gallery_id: uuid.UUID, artwork_id: uuid.UUID
) -> None:
    await _changeable_gallery(session, user=user, gallery_id=gallery_id)
    await collections.remove_item(
        session, owner_id=user.id, kind=GALLERY, collection_id=gallery_id, file_id=artwork_id
    )


async def reorder_artworks(
    session: AsyncSession, *, user: User, gallery_id: uuid.UUID, artwork_ids: Sequence[uuid.UUID]
) -> GalleryDetail:
    await _changeable_gallery(session, user=user, gallery_id=gallery_id)
    detail = await collections.reorder_items(
        session, owner_id=user.id, kind=GALLERY, collection_id=gallery_id, file_ids=artwork_ids
    )
    return gallery_detail(detail.collection, detail.files, principal=policy.principal_of(user))
