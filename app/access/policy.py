"""Who may see a thing, download its original, see its private metadata or change it: decided here only.

A `Principal` is whoever asks: a signed-in user (the owner of some things, a visitor of others), nobody
(anonymous), or a share-link visitor holding a `ShareGrant`. Lookups and listings filter with the SQL
clauses below; answers about one file come from its `Subject` (the facts the verdicts need, read in
one statement). This module imports models and SQLAlchemy only, so every domain may ask it.
"""

import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import ColumnElement, and_, exists, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Collection, CollectionItem, File, User

PUBLIC = "public"
GALLERY = "gallery"

CacheScope = Literal["public", "private"]
# What is served of an image: small thumbnails are never watermarked, renders honour protection.
Rendering = Literal["small_thumbnail", "thumbnail", "render"]


@dataclass(frozen=True)
class ShareGrant:
    """What one share link opens: some of its owner's files (by id, by folder, or the items of one
    album or gallery) with the link's options. The share-links service builds it (resolving a
    folder's subtree into `folder_ids`); the policy only reads it."""

    share_id: uuid.UUID
    owner_id: uuid.UUID
    file_ids: frozenset[uuid.UUID] = frozenset()
    folder_ids: frozenset[uuid.UUID] = frozenset()
    collection_id: uuid.UUID | None = None
    allow_download: bool = True
    show_metadata: bool = True


@dataclass(frozen=True)
class Principal:
    """Whoever asks: a user (`user_id`), a share-link visitor (`grant`), or neither (anonymous)."""

    user_id: uuid.UUID | None = None
    grant: ShareGrant | None = None

    def __post_init__(self) -> None:
        if self.user_id is not None and self.grant is not None:
            raise ValueError("a principal is a user or a share grant, not both")


ANONYMOUS = Principal()


def principal_of(user: User | None) -> Principal:
    """The principal of a request's (optional) signed-in user."""
    return ANONYMOUS if user is None else Principal(user_id=user.id)


def through_grant(grant: ShareGrant) -> Principal:
    """The principal of a visitor who came through a share link."""
    return Principal(grant=grant)


def is_owner(principal: Principal, owner_id: uuid.UUID) -> bool:
    """The owner sees and may do everything with their things; a grant never owns anything."""
    return principal.user_id is not None and principal.user_id == owner_id


def may_change(principal: Principal, owner_id: uuid.UUID) -> bool:
    """Only the owner changes or deletes a thing (API.md, Ownership)."""
    return is_owner(principal, owner_id)


# --- SQL clauses -------------------------------------------------------------------------------


def _in_public_collection() -> ColumnElement[bool]:
    return exists(
        select(CollectionItem.file_id)
        .join(Collection, Collection.id == CollectionItem.collection_id)
        .where(CollectionItem.file_id == File.id, Collection.visibility == PUBLIC)
    )


def _granted_files(grant: ShareGrant) -> ColumnElement[bool]:
    opened: list[ColumnElement[bool]] = []
    if grant.file_ids:
        opened.append(File.id.in_(grant.file_ids))
    if grant.folder_ids:
        opened.append(File.folder_id.in_(grant.folder_ids))
    if grant.collection_id is not None:
        opened.append(
            exists(
                select(CollectionItem.file_id).where(
                    CollectionItem.file_id == File.id, CollectionItem.collection_id == grant.collection_id
                )
            )
        )
    # The owner check keeps a grant to its owner's files whatever ids it was built from.
    return and_(File.owner_id == grant.owner_id, or_(false(), *opened))


def readable_files(principal: Principal) -> ColumnElement[bool]:
    """Over `File`: the live files this principal may read. The owner reads their own, anyone reads
    a file in a public album or gallery; a grant reads exactly its files (a file outside the share
    is 404 through it, even a public one). Trashed files are nobody's to read here."""
    live = File.deleted_at.is_(None)
    if principal.grant is not None:
        return and_(live, _granted_files(principal.grant))
    if principal.user_id is None:
        return and_(live, _in_public_collection())
    return and_(live, or_(File.owner_id == principal.user_id, _in_public_collection()))


def readable_collections(principal: Principal) -> ColumnElement[bool]:
    """Over `Collection`: the albums and galleries this principal may view. A `shared` album is
    private except through its own link."""
    if principal.grant is not None:
        if principal.grant.collection_id is None:
            return false()
        return Collection.id == principal.grant.collection_id
    public = Collection.visibility == PUBLIC
    if principal.user_id is None:
        return public
    return or_(Collection.owner_id == principal.user_id, public)


def may_view_collection(principal: Principal, collection: Collection) -> bool:
    """`readable_collections` for a row already loaded."""
    if principal.grant is not None:
        return collection.id == principal.grant.collection_id
    return collection.visibility == PUBLIC or is_owner(principal, collection.owner_id)


def _releasing_galleries(principal: Principal) -> ColumnElement[bool]:
    """Over `Collection`: galleries that release their artworks' originals to this principal: public
    ones allowing it, and a shared gallery allowing it for its link's visitors."""
    shown = Collection.visibility == PUBLIC
    if principal.grant is not None and principal.grant.collection_id is not None:
        shown = or_(shown, Collection.id == principal.grant.collection_id)
    return and_(Collection.kind == GALLERY, Collection.allow_original_download.is_(True), shown)


def downloadable_files(principal: Principal) -> ColumnElement[bool]:
    """Over `File`: the readable files whose original this principal may download (what a ZIP may
    hold): the owner's own, ordinary files, and artworks a gallery releases; nothing through a link
    that forbids downloads. The SQL form of `may_download_original`."""
    readable = readable_files(principal)
    if principal.grant is not None and not principal.grant.allow_download:
        return false()
    released = or_(
        File.is_artwork.is_(False),
        exists(
            select(CollectionItem.file_id)
            .join(Collection, Collection.id == CollectionItem.collection_id)
            .where(CollectionItem.file_id == File.id, _releasing_galleries(principal))
        ),
    )
    if principal.user_id is not None:
        released = or_(File.owner_id == principal.user_id, released)
    return and_(readable, released)


# --- one file's facts and the verdicts on them ------------------------------------------------


@dataclass(frozen=True)
class Subject:
    """What the verdicts need to know about one file, as one principal sees it."""

    file_id: uuid.UUID
    owner_id: uuid.UUID
    is_artwork: bool
    readable: bool  # by this principal (`readable_files`)
    public: bool  # readable by anyone without a token
    released: bool  # a gallery releases this artwork's original to this principal
    watermark: dict[str, Any] | None = field(default=None, hash=False)  # the owner's settings


async def subject(session: AsyncSession, *, principal: Principal, file: File) -> Subject:
    """Reads the facts about `file` for `principal` in one statement (with the owner's watermark)."""
    this = File.id == file.id
    readable = exists(select(File.id).where(this, readable_files(principal)))
    public = exists(select(File.id).where(this, readable_files(ANONYMOUS)))
    released = exists(
        select(CollectionItem.file_id)
        .join(Collection, Collection.id == CollectionItem.collection_id)
        .where(CollectionItem.file_id == file.id, _releasing_galleries(principal))
    )
    query = select(User.watermark, readable, public, released).where(User.id == file.owner_id)
    watermark, is_readable, is_public, is_released = (await session.execute(query)).one()
    return Subject(
        file_id=file.id,
        owner_id=file.owner_id,
        is_artwork=file.is_artwork,
        readable=bool(is_readable),
        public=bool(is_public),
        released=bool(is_released),
        watermark=watermark or None,
    )


def may_read(principal: Principal, subject: Subject) -> bool:
    return subject.readable


def may_download_original(principal: Principal, subject: Subject) -> bool:
    """Whoever may read an ordinary image may download it; an artwork's original stays the artist's
    unless a gallery releases it. A share link adds its own `allow_download` on top; the owner
    always may."""
    if not subject.readable:
        return False
    if is_owner(principal, subject.owner_id):
        return True
    if principal.grant is not None and not principal.grant.allow_download:
        return False
    return not subject.is_artwork or subject.released


def may_download_originals_of(principal: Principal, gallery: Collection) -> bool:
    """The `downloadable` shown on a gallery's artworks: the owner always, a visitor of a viewable
    gallery when it allows original downloads (and, through a link, when the link does too)."""
    if is_owner(principal, gallery.owner_id):
        return True
    if principal.grant is not None and not principal.grant.allow_download:
        return False
    return may_view_collection(principal, gallery) and gallery.allow_original_download


def sees_private_metadata(principal: Principal, owner_id: uuid.UUID) -> bool:
    """Tags, checksum, folder, GPS, download counter: the owner's alone; everyone else gets the
    public projection."""
    return is_owner(principal, owner_id)


def sees_metadata(principal: Principal) -> bool:
    """The public EXIF summary (camera, exposure): everyone, except through a link that hides it."""
    return principal.grant is None or principal.grant.show_metadata


def strips_location(principal: Principal, owner_id: uuid.UUID) -> bool:
    """Whether an original leaves without its location: through a link that hides metadata (the
    owner, never through a link, always gets their bytes as stored)."""
    return not is_owner(principal, owner_id) and not sees_metadata(principal)


def rendering_of_thumbnail(size: str) -> Rendering:
    return "small_thumbnail" if size == "small" else "thumbnail"


def gets_watermark(principal: Principal, subject: Subject, rendering: Rendering = "render") -> bool:
    """The owner's watermark is drawn for anyone but the owner, on everything larger than a small
    thumbnail (small ones stay shared with the file previews)."""
    if rendering == "small_thumbnail" or not subject.watermark or not subject.readable:
        return False
    return not is_owner(principal, subject.owner_id)


def cache_scope(principal: Principal, subject: Subject, rendering: Rendering) -> CacheScope:
    """ "public" (shared caches may keep it) only when every viewer gets these same bytes: a file
    anyone may read, asked by someone who is not its owner (the owner gets the unmarked copy), with
    no watermark drawn and, for renders, no protection applied. Through a link: always private."""
    if principal.grant is not None or is_owner(principal, subject.owner_id):
        return "private"
    if not (subject.readable and subject.public) or gets_watermark(principal, subject, rendering):
        return "private"
    if rendering == "render" and not may_download_original(principal, subject):
        return "private"
    return "public"


def avatar_cache_scope() -> CacheScope:
    """An avatar belongs to the public artist profile: anyone reads it and gets the same bytes."""
    return "public"
