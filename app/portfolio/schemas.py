"""Artworks, galleries and artists as the API names them; galleries are collections of kind "gallery"."""

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, StringConstraints, field_validator
from typing_extensions import TypeAliasType

from app.collections.domain import CollectionChanges, CollectionView, collection_changes
from app.files.schemas import RESPONSE, FileRead, Tags, file_read
from app.imaging.watermark import MAX_TEXT_LENGTH, WatermarkPosition
from app.models import Collection, File, ImageMeta, User
from app.pagination import Page, PageParams

Visibility = Literal["public", "private"]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
Short = Annotated[str, StringConstraints(strip_whitespace=True, max_length=255)]
Description = Annotated[str, Field(max_length=10_000)]
Year = Annotated[int, Field(ge=-10_000, le=9999)]
ArtworkIds = Annotated[list[uuid.UUID], Field(max_length=1000)]
THUMBNAIL_SIZES = ("small", "medium", "large")
VIEW_HELP = "`owner`: the owner's full view; `public`: what anyone else sees"


# --- artworks ---------------------------------------------------------------------------------------


class ArtworkFields(BaseModel):
    """The portfolio form fields of `POST /api/artworks/upload`."""

    model_config = ConfigDict(extra="ignore")

    title: Title
    description: Description | None = None
    medium: Short | None = None
    year: Year | None = None
    dimensions: Short | None = None
    gallery_id: uuid.UUID | None = None

    @field_validator("description", "medium", "dimensions", "year", "gallery_id", mode="before")
    @classmethod
    def blank_is_absent(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value


class ArtworkUpdate(BaseModel):
    """Only the fields sent change; `null` clears an optional field (the title stays required)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "title": "Harbour at dusk",
                    "medium": "oil on canvas",
                    "year": 2024,
                    "dimensions": "60 x 80 cm",
                }
            ]
        },
    )

    title: Title | None = None
    description: Description | None = None
    medium: Short | None = None
    year: Year | None = None
    dimensions: Short | None = None
    tags: Tags | None = None


class ArtworkRead(FileRead):
    """The `File` shape plus the portfolio fields (the owner's view)."""

    view: Literal["owner"] = Field(default="owner", description=VIEW_HELP)
    medium: str | None
    year: int | None
    dimensions: str | None


def artwork_read(file: File) -> ArtworkRead:
    """Needs `tags` and `image` loaded."""
    return ArtworkRead(
        **file_read(file).model_dump(), medium=file.medium, year=file.year, dimensions=file.dimensions
    )


class ThumbnailUrls(BaseModel):
    small: str
    medium: str
    large: str


class PublicArtworkUrls(BaseModel):
    thumbnail: ThumbnailUrls
    render: str
    download: str | None = Field(description="null when the gallery does not allow original downloads")


class PublicArtwork(BaseModel):
    """An artwork as anyone may see it: no checksum, folder, tags or counters."""

    model_config = RESPONSE

    view: Literal["public"] = Field(default="public", description=VIEW_HELP)
    id: uuid.UUID
    artist_id: uuid.UUID
    title: str | None
    description: str | None
    medium: str | None
    year: int | None
    dimensions: str | None
    mime_type: str
    width: int | None
    height: int | None
    created_at: datetime
    urls: PublicArtworkUrls


ArtworkView = TypeAliasType(
    "ArtworkView", Annotated[ArtworkRead | PublicArtwork, Field(discriminator="view")]
)


def image_urls(file_id: uuid.UUID) -> ThumbnailUrls:
    base = f"/api/images/{file_id}/thumbnail?size="
    return ThumbnailUrls(**{size: base + size for size in THUMBNAIL_SIZES})


def public_artwork(file: File, image: ImageMeta | None, *, downloadable: bool) -> PublicArtwork:
    return PublicArtwork(
        id=file.id,
        artist_id=file.owner_id,
        title=file.title,
        description=file.description,
        medium=file.medium,
        year=file.year,
        dimensions=file.dimensions,
        mime_type=file.mime_type,
        width=image.width if image is not None else None,
        height=image.height if image is not None else None,
        created_at=file.created_at,
        urls=PublicArtworkUrls(
            thumbnail=image_urls(file.id),
            render=f"/api/images/{file.id}/render",
            download=f"/api/images/{file.id}/download" if downloadable else None,
        ),
    )


# --- galleries --------------------------------------------------------------------------------------


class GalleryCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"title": "Seascapes", "visibility": "public", "allow_original_download": False}]
        },
    )

    title: Title
    description: Description | None = None
    visibility: Visibility = "private"
    allow_original_download: bool = False


class GalleryUpdate(BaseModel):
    """Only the fields sent change; `description: null` clears it."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"title": "Seascapes 2024", "cover_artwork_id": "3d6f0a52-8c1e-4d7b-9f2a-5b8e1c0d4a71"}
            ]
        },
    )

    title: Title | None = None
    description: Description | None = None
    visibility: Visibility | None = None
    allow_original_download: bool | None = None
    cover_artwork_id: uuid.UUID | None = None

    def to_changes(self) -> CollectionChanges:
        return collection_changes(
            self,
            if_given={
                "title": "name",
                "visibility": "visibility",
                "allow_original_download": "allow_original_download",
            },
            if_sent={"description": "description", "cover_artwork_id": "cover_file_id"},
        )


class GalleryArtworkIds(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "artwork_ids": [
                        "3d6f0a52-8c1e-4d7b-9f2a-5b8e1c0d4a71",
                        "9a1c2e3f-4b5d-4e6f-8a7b-0c1d2e3f4a5b",
                    ]
                }
            ]
        },
    )

    artwork_ids: ArtworkIds


class GalleryRead(BaseModel):
    id: uuid.UUID
    artist_id: uuid.UUID
    title: str
    description: str | None
    visibility: Visibility
    allow_original_download: bool
    cover_artwork_id: uuid.UUID | None
    artwork_count: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, collection: Collection, count: int) -> "GalleryRead":
        return cls(
            id=collection.id,
            artist_id=collection.owner_id,
            title=collection.name,
            description=collection.description,
            visibility=collection.visibility,
            allow_original_download=collection.allow_original_download,
            cover_artwork_id=collection.cover_file_id,
            artwork_count=count,
            created_at=collection.created_at,
            updated_at=collection.updated_at,
        )

    @classmethod
    def of_view(cls, view: CollectionView) -> "GalleryRead":
        return cls.of(view.collection, view.item_count)

    @classmethod
    def page(cls, views: list[CollectionView], total: int, params: PageParams) -> Page["GalleryRead"]:
        return Page[GalleryRead](
            items=[cls.of_view(v) for v in views], total=total, page=params.page, per_page=params.per_page
        )


class GalleryDetail(GalleryRead):
    artwork_ids: list[uuid.UUID] = Field(description="the gallery's artworks in display order")
    artworks: list[PublicArtwork]


# --- artists ----------------------------------------------------------------------------------------


class WatermarkSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TEXT_LENGTH)]
    opacity: Annotated[float, Field(gt=0, le=1)] = 0.5
    position: WatermarkPosition = "bottom-right"


class ArtistUpdate(BaseModel):
    """Only the fields sent change; `null` clears one."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "display_name": "Alice Martin",
                    "bio": "Painter of harbours.",
                    "website": "https://alice.example.com",
                }
            ]
        },
    )

    display_name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=128)] | None = None
    bio: Annotated[str, Field(max_length=10_000)] | None = None
    website: AnyHttpUrl | None = Field(default=None, description="an http or https URL")
    avatar_file_id: uuid.UUID | None = Field(default=None, description="one of the caller's own images")
    watermark: WatermarkSettings | None = None

    @field_validator("website")
    @classmethod
    def http_only(cls, value: AnyHttpUrl | None) -> AnyHttpUrl | None:
        if value is not None and len(str(value)) > 2048:
            raise ValueError("a website URL is at most 2048 characters")
        return value


def avatar_url(user_id: uuid.UUID) -> str:
    return f"/api/artists/{user_id}/avatar"


class ArtistProfile(BaseModel):
    """What anyone may see of an artist."""

    id: uuid.UUID
    username: str
    display_name: str | None
    bio: str | None
    website: str | None
    avatar_url: str | None

    @staticmethod
    def fields_of(user: User, *, has_avatar: bool) -> dict[str, Any]:
        return {
            "id": user.id,
            "username": user.username,
            "display_name": user.display_name,
            "bio": user.bio,
            "website": user.website,
            "avatar_url": avatar_url(user.id) if has_avatar else None,
        }


class ArtistRead(ArtistProfile):
    """The caller's own profile, watermark included."""

    avatar_file_id: uuid.UUID | None
    watermark: WatermarkSettings | None

    @classmethod
    def of(cls, user: User) -> "ArtistRead":
        return cls(
            **cls.fields_of(user, has_avatar=user.avatar_file_id is not None),
            avatar_file_id=user.avatar_file_id,
            watermark=WatermarkSettings.model_validate(user.watermark) if user.watermark else None,
        )


class PublicGallery(BaseModel):
    id: uuid.UUID
    title: str
    description: str | None
    cover_artwork_id: uuid.UUID | None
    allow_original_download: bool
    artwork_count: int
    created_at: datetime
    updated_at: datetime
    artworks: list[PublicArtwork]


class ArtistPage(ArtistProfile):
    """A public artist page: public galleries only, artworks in display order, no private data."""

    galleries: list[PublicGallery]
