"""The API.md `Share` shape, the bodies of the share routes and the public projection of files."""

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from app.db import MAX_SAFE_INT
from app.files.schemas import EXIF_FIELDS
from app.pagination import Page

TargetType = Literal["album", "gallery", "folder", "files"]
MAX_SHARED_FILES = 1000
MIN_PASSWORD = 4
MAX_PASSWORD = 256
# What anyone may learn of a photo's EXIF through a link that shows metadata: never the location.
PUBLIC_EXIF = frozenset(EXIF_FIELDS) - {"gps_latitude", "gps_longitude"}

Password = Annotated[str, Field(min_length=MIN_PASSWORD, max_length=MAX_PASSWORD)]
Description = Annotated[str, Field(max_length=10_000)]
Downloads = Annotated[int, Field(ge=1, le=MAX_SAFE_INT)]


class ShareTarget(BaseModel):
    type: TargetType
    id: uuid.UUID | None = Field(description="null for a set of files")
    name: str


class ShareCreate(BaseModel):
    """Exactly one of `album_id`, `gallery_id`, `folder_id`, `file_ids`."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "album_id": "3d6f0a52-8c1e-4d7b-9f2a-5b8e1c0d4a71",
                    "expires_at": "2026-12-31T23:59:59Z",
                    "password": "tide pools",
                    "allow_download": True,
                    "show_metadata": False,
                    "description": "Lisbon, for the family",
                }
            ]
        },
    )

    album_id: uuid.UUID | None = None
    gallery_id: uuid.UUID | None = None
    folder_id: uuid.UUID | None = None
    file_ids: Annotated[list[uuid.UUID], Field(min_length=1, max_length=MAX_SHARED_FILES)] | None = None
    expires_at: AwareDatetime | None = None
    password: Password | None = None
    allow_download: bool = True
    show_metadata: bool = True
    max_downloads: Downloads | None = None
    description: Description | None = None

    @model_validator(mode="after")
    def one_target(self) -> Self:
        given = [self.album_id, self.gallery_id, self.folder_id, self.file_ids]
        if sum(value is not None for value in given) != 1:
            raise ValueError("give exactly one of album_id, gallery_id, folder_id, file_ids")
        return self


class ShareUpdate(BaseModel):
    """Any option; null removes an expiry, a password or a download cap."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"expires_at": None, "max_downloads": 20, "allow_download": True}]},
    )

    expires_at: AwareDatetime | None = None
    password: Password | None = None
    allow_download: bool | None = None
    show_metadata: bool | None = None
    max_downloads: Downloads | None = None
    description: Description | None = None

    @model_validator(mode="after")
    def no_null_flags(self) -> Self:
        for flag in ("allow_download", "show_metadata"):
            if flag in self.model_fields_set and getattr(self, flag) is None:
                raise ValueError(f"{flag} must be true or false")
        return self


class ShareRead(BaseModel):
    id: uuid.UUID
    token: str
    url: str
    target: ShareTarget
    description: str | None
    expires_at: datetime | None
    has_password: bool
    allow_download: bool
    show_metadata: bool
    max_downloads: int | None
    download_count: int
    view_count: int
    created_at: datetime
    updated_at: datetime


class PublicShare(BaseModel):
    description: str | None
    expires_at: datetime | None
    allow_download: bool
    show_metadata: bool
    has_password: bool
    downloads_left: int | None = Field(description="downloads before the link's cap; null without one")


class SharedUrls(BaseModel):
    download: str | None = Field(description="null when the link forbids downloading this file")
    thumbnail: str | None = Field(description="null for files without a thumbnail")


class SharedImage(BaseModel):
    width: int
    height: int
    exif: dict[str, Any]
    thumbhash: str | None = Field(
        default=None, description="a base64 ThumbHash, a placeholder to paint before the thumbnail arrives"
    )


class SharedFile(BaseModel):
    """A file as a link's visitors see it: no tags, checksum, folder or counters; EXIF only when the
    link shows metadata, and never the location."""

    id: uuid.UUID
    name: str
    mime_type: str
    kind: str
    size: int
    title: str | None
    description: str | None
    created_at: datetime
    urls: SharedUrls
    image: SharedImage | None


class ShareListing(BaseModel):
    share: PublicShare
    target: ShareTarget
    items: Page[SharedFile]


class UnlockRequest(BaseModel):
    """The link's password, as JSON to the API or as the share page's form."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"password": "tide pools"}]})

    password: Annotated[str, Field(max_length=MAX_PASSWORD)]


class Unlocked(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int
