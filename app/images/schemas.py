"""The photo gallery's view of files: an image is a `File` with `image` filled and a `view_count`."""

import uuid
from datetime import datetime
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator
from typing_extensions import TypeAliasType

from app.access import policy
from app.files.schemas import (
    EXIF_FIELDS,
    RESPONSE,
    FileRead,
    FileUpdate,
    FileUrls,
    ImageDetails,
    Kind,
    Tags,
    file_read,
    image_read,
)
from app.models import File

ThumbnailSize = Literal["small", "medium", "large"]
ImageSort = Literal["created_at", "taken_at", "name", "size", "view_count"]
BatchOperation = Literal["delete", "move", "tag", "untag", "add_to_album", "remove_from_album"]
MAX_BATCH = 1000


# Whose view a response is: generated clients narrow `ImageView` on it.
VIEW_HELP = "`owner`: the owner's full view; `public`: what anyone else sees"


class ImageRead(FileRead):
    """An image as its owner sees it."""

    view: Literal["owner"] = Field(default="owner", description=VIEW_HELP)
    view_count: int


def image_file_read(file: File) -> ImageRead:
    """An image as the gallery serves it: its URLs are the image routes, which visitors may use."""
    base = file_read(file).model_dump()
    base["urls"] = FileUrls(
        download=f"/api/images/{file.id}/download", preview=f"/api/images/{file.id}/thumbnail"
    )
    return ImageRead(**base, view_count=file.view_count)


# What anyone may learn of a photo's EXIF: the camera and exposure, never where it was taken.
PUBLIC_EXIF = frozenset(EXIF_FIELDS) - {"gps_latitude", "gps_longitude"}


class PublicImageRead(BaseModel):
    """An image as anyone but its owner sees it: no checksum, folder, tags, download counter or
    duplicate link, and of the EXIF only the camera and exposure summary (no GPS, no raw tags)."""

    model_config = RESPONSE

    view: Literal["public"] = Field(default="public", description=VIEW_HELP)
    id: uuid.UUID
    name: str
    mime_type: str
    kind: Kind
    size: int
    title: str | None
    description: str | None
    created_at: datetime
    updated_at: datetime
    view_count: int
    urls: FileUrls
    image: ImageDetails | None


ImageView = TypeAliasType("ImageView", Annotated[ImageRead | PublicImageRead, Field(discriminator="view")])


def public_image_read(file: File) -> PublicImageRead:
    details = image_read(file.image)
    if details is not None:
        details.exif = {key: value for key, value in details.exif.items() if key in PUBLIC_EXIF}
    return PublicImageRead(
        id=file.id,
        name=file.name,
        mime_type=file.mime_type,
        kind=file.kind,
        size=file.size,
        title=file.title,
        description=file.description,
        created_at=file.created_at,
        updated_at=file.updated_at,
        view_count=file.view_count,
        urls=FileUrls(download=f"/api/images/{file.id}/download", preview=f"/api/images/{file.id}/thumbnail"),
        image=details,
    )


def image_view(file: File, *, principal: policy.Principal) -> ImageView:
    """The owner's full view, or the public projection for everyone else (the policy decides)."""
    if policy.sees_private_metadata(principal, file.owner_id):
        return image_file_read(file)
    return public_image_read(file)


class ImageFilters(BaseModel):
    album_id: uuid.UUID | None = None
    tag: str | None = None
    taken_after: datetime | None = None
    taken_before: datetime | None = None
    camera: str | None = None
    user_id: uuid.UUID | None = None


class ImageUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"title": "Tram 28", "tags": ["lisbon", "street"]}]}
    )

    title: Annotated[str, Field(max_length=255)] | None = None
    description: Annotated[str, Field(max_length=10_000)] | None = None
    tags: Tags | None = None
    album_id: uuid.UUID | None = Field(default=None, description="also add the image to this album")

    def file_update(self) -> FileUpdate:
        return FileUpdate.model_validate(
            self.model_dump(include={"title", "description", "tags"}, exclude_unset=True)
        )


class TagCount(BaseModel):
    name: str
    count: int


class ImageBatch(BaseModel):
    """One operation over many of the caller's images, all or nothing."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "operation": "tag",
                    "image_ids": [
                        "3d6f0a52-8c1e-4d7b-9f2a-5b8e1c0d4a71",
                        "9a1c2e3f-4b5d-4e6f-8a7b-0c1d2e3f4a5b",
                    ],
                    "tags": ["lisbon"],
                }
            ]
        },
    )

    operation: BatchOperation
    image_ids: Annotated[list[uuid.UUID], Field(min_length=1, max_length=MAX_BATCH)]
    folder_id: uuid.UUID | None = Field(
        default=None, description="`move`: the target folder, null for the top"
    )
    album_id: uuid.UUID | None = Field(default=None, description="`add_to_album` and `remove_from_album`")
    tags: Tags | None = Field(default=None, description="`tag` and `untag`")

    @model_validator(mode="after")
    def require_arguments(self) -> Self:
        if self.operation in ("add_to_album", "remove_from_album") and self.album_id is None:
            raise ValueError(f"{self.operation} needs album_id")
        if self.operation in ("tag", "untag") and not self.tags:
            raise ValueError(f"{self.operation} needs at least one tag")
        return self


class BatchResult(BaseModel):
    operation: BatchOperation
    image_ids: list[uuid.UUID]
    count: int
