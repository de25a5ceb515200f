"""Artist profiles (portfolio columns of the user) and the public artist page."""

import uuid
from collections import defaultdict

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.access import policy
from app.db import utcnow
from app.errors import NotFound, Unprocessable
from app.images import renditions
from app.images import service as images
from app.models import Collection, CollectionItem, File, ImageMeta, User
from app.portfolio.schemas import (
    ArtistPage,
    ArtistRead,
    ArtistUpdate,
    PublicArtwork,
    PublicGallery,
    public_artwork,
)
from app.storage.base import BlobStore
from app.work import ImageWork

GALLERY = "gallery"


def artist_not_found() -> NotFound:
    return NotFound("artist not found", code="artist_not_found")


async def avatar_thumbnail(
    session: AsyncSession, *, work: ImageWork, storage: BlobStore, artist_id: uuid.UUID
) -> images.Served:
    """The small thumbnail of an artist's avatar, for anyone; 404 without a live avatar image."""
    artist = await session.get(User, artist_id)
    if artist is None:
        raise artist_not_found()
    avatar = await session.scalar(
        select(File).where(
            File.id == artist.avatar_file_id,
            File.owner_id == artist.id,
            File.kind == "image",
            File.deleted_at.is_(None),
        )
    )
    if avatar is None:
        raise NotFound("this artist has no avatar", code="avatar_not_found")
    made = await renditions.thumbnail(work, storage, image=avatar, size="small", reader=session)
    public = policy.avatar_cache_scope() == "public"
    return images.served(avatar, made, store=storage, label="avatar", public=public, revalidate=True)


async def get_profile(session: AsyncSession, *, user: User) -> ArtistRead:
    return ArtistRead.of(user)


async def update_profile(session: AsyncSession, *, user: User, data: ArtistUpdate) -> ArtistRead:
    """Only the fields sent change; the avatar must be one of the caller's own live images.
    Owns the unit of work and commits."""
    sent = data.model_fields_set
    if "avatar_file_id" in sent:
        if data.avatar_file_id is not None:
            await _check_avatar(session, owner_id=user.id, file_id=data.avatar_file_id)
        user.avatar_file_id = data.avatar_file_id
    if "display_name" in sent:
        user.display_name = data.display_name or None
    if "bio" in sent:
        user.bio = data.bio or None
    if "website" in sent:
        user.website = None if data.website is None else str(data.website)
    if "watermark" in sent:
        user.watermark = None if data.watermark is None else data.watermark.model_dump()
    user.updated_at = utcnow()
    await session.commit()
    return ArtistRead.of(user)


async def _check_avatar(session: AsyncSession, *, owner_id: uuid.UUID, file_id: uuid.UUID) -> None:
    kind = await session.scalar(
        select(File.kind).where(File.id == file_id, File.owner_id == owner_id, File.deleted_at.is_(None))
    )
    if kind is None:
        raise NotFound("file not found", code="file_not_found")
    if kind != "image":
        raise Unprocessable("the avatar must be one of your images", code="avatar_not_an_image")


async def get_artist_page(session: AsyncSession, *, artist_id: uuid.UUID) -> ArtistPage:
    """Three statements whatever the number of galleries and artworks: artist, galleries, items.
    The page is the artist's public face: what an anonymous visitor may see, whoever asks."""
    row = (
        await session.execute(
            select(User, File.id)
            .outerjoin(File, and_(File.id == User.avatar_file_id, File.deleted_at.is_(None)))
            .where(User.id == artist_id)
        )
    ).first()
    if row is None:
        raise artist_not_found()
    artist, avatar_id = row
    galleries = list(
        await session.scalars(
            select(Collection)
            .where(Collection.owner_id == artist.id, Collection.kind == GALLERY)
            .where(policy.readable_collections(policy.ANONYMOUS))
            .order_by(Collection.created_at.desc(), Collection.id)
        )
    )
    artworks = await _artworks_by_gallery(session, galleries)
    return ArtistPage(
        **ArtistPage.fields_of(artist, has_avatar=avatar_id is not None),
        galleries=[_public_gallery(g, artworks[g.id]) for g in galleries],
    )


async def _artworks_by_gallery(
    session: AsyncSession, galleries: list[Collection]
) -> defaultdict[uuid.UUID, list[PublicArtwork]]:
    """Every live artwork of these galleries, in display order, in one statement."""
    downloadable = {g.id: policy.may_download_originals_of(policy.ANONYMOUS, g) for g in galleries}
    query = (
        select(CollectionItem.collection_id, File, ImageMeta)
        .join(File, File.id == CollectionItem.file_id)
        .outerjoin(ImageMeta, ImageMeta.file_id == File.id)
        .where(CollectionItem.collection_id.in_(list(downloadable)), File.deleted_at.is_(None))
        .order_by(CollectionItem.collection_id, CollectionItem.position, CollectionItem.added_at, File.id)
    )
    grouped: defaultdict[uuid.UUID, list[PublicArtwork]] = defaultdict(list)
    for gallery_id, file, image in (await session.execute(query)).all():
        grouped[gallery_id].append(public_artwork(file, image, downloadable=downloadable[gallery_id]))
    return grouped


def _public_gallery(gallery: Collection, artworks: list[PublicArtwork]) -> PublicGallery:
    return PublicGallery(
        id=gallery.id,
        title=gallery.name,
        description=gallery.description,
        cover_artwork_id=gallery.cover_file_id,
        allow_original_download=gallery.allow_original_download,
        artwork_count=len(artworks),
        created_at=gallery.created_at,
        updated_at=gallery.updated_at,
        artworks=artworks,
    )
