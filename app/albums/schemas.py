"""Albums as the API names them (`name`, `privacy_setting`); the table says `name`, `visibility`."""

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.access import policy
from app.collections.domain import CollectionChanges, CollectionDetail, CollectionView, collection_changes
from app.images.schemas import ImageView, image_view
from app.pagination import Page, PageParams

Privacy = Literal["private", "public", "shared"]
AlbumName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
Description = Annotated[str, Field(max_length=10_000)]
ImageIds = Annotated[list[uuid.UUID], Field(max_length=1000)]


class AlbumCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"name": "Lisbon", "description": "A week in May", "privacy_setting": "public"}]
        },
    )

    name: AlbumName
    description: Description | None = None
    privacy_setting: Privacy | None = Field(
        default=None, description="defaults to the caller's `default_album_privacy` preference"
    )
    parent_id: uuid.UUID | None = None


class AlbumUpdate(BaseModel):
    """Only the fields sent change; `cover_image_id: null` clears the cover, `parent_id: null` un-nests."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"name": "Lisbon 2026", "cover_image_id": "3d6f0a52-8c1e-4d7b-9f2a-5b8e1c0d4a71"}]
        },
    )

    name: AlbumName | None = None
    description: Description | None = None
    privacy_setting: Privacy | None = None
    cover_image_id: uuid.UUID | None = None
    parent_id: uuid.UUID | None = None

    def to_changes(self) -> CollectionChanges:
        return collection_changes(
            self,
            if_given={"name": "name", "privacy_setting": "visibility"},
            if_sent={
                "description": "description",
                "cover_image_id": "cover_file_id",
                "parent_id": "parent_id",
            },
        )


class AlbumImageIds(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "image_ids": [
                        "3d6f0a52-8c1e-4d7b-9f2a-5b8e1c0d4a71",
                        "9a1c2e3f-4b5d-4e6f-8a7b-0c1d2e3f4a5b",
                    ]
                }
            ]
        },
    )

    image_ids: ImageIds


class AlbumRead(BaseModel):
    id: uuid.UUID
    name: str
    description: str | None
    privacy_setting: Privacy
    cover_image_id: uuid.UUID | None
    image_count: int
    parent_id: uuid.UUID | None
    owner_id: uuid.UUID
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, view: CollectionView) -> "AlbumRead":
        c = view.collection
        return cls(
            id=c.id,
            name=c.name,
            description=c.description,
            privacy_setting=c.visibility,
            cover_image_id=c.cover_file_id,
            image_count=view.item_count,
            parent_id=c.parent_id,
            owner_id=c.owner_id,
            created_at=c.created_at,
            updated_at=c.updated_at,
        )

    @classmethod
    def page(cls, views: list[CollectionView], total: int, params: PageParams) -> Page["AlbumRead"]:
        return Page[AlbumRead](
            items=[cls.of(v) for v in views], total=total, page=params.page, per_page=params.per_page
        )


class AlbumDetail(AlbumRead):
    images: list[ImageView] = Field(description="the album's images in display order")
    image_ids: list[uuid.UUID] = Field(description="the same images' ids")

    @classmethod
    def of_detail(cls, detail: CollectionDetail, *, principal: policy.Principal) -> "AlbumDetail":
        """Visitors see each image's public projection."""
        base = AlbumRead.of(detail).model_dump()
        images = [image_view(f, principal=principal) for f in detail.files]
        return cls(**base, images=images, image_ids=[f.id for f in detail.files])
