"""The API.md `File` shape and the bodies of the file routes."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal, Protocol

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from app.models import File
from app.names import sanitize_name
from app.signing import signed_url

MAX_TAGS = 50
MAX_TAG_LENGTH = 64
EXIF_FIELDS = (
    "camera_make",
    "camera_model",
    "lens",
    "taken_at",
    "exposure_time",
    "f_number",
    "iso",
    "focal_length",
    "gps_latitude",
    "gps_longitude",
    "orientation",
)

Kind = Literal["image", "video", "audio", "text", "document", "archive", "other"]
# Response models send every field, defaults included: required in their schemas.
RESPONSE = ConfigDict(json_schema_serialization_defaults_required=True)
SortField = Literal["name", "size", "created_at", "updated_at", "download_count"]


class FileUrls(BaseModel):
    download: str
    preview: str
    # With SIGNED_URL_SECONDS: an image's small thumbnail, signed and expiring, needing no token.
    thumbnail: str | None = None


class ImageDetails(BaseModel):
    """An image's dimensions and EXIF."""

    width: int
    height: int
    exif: dict[str, Any]
    thumbhash: str | None = Field(
        default=None,
        description="a base64 ThumbHash of the image, a placeholder to paint before the thumbnail arrives",
    )


class MediaDetails(BaseModel):
    """Audio and video: how long it plays; video: its frame size."""

    model_config = RESPONSE

    duration_seconds: float
    width: int | None = None
    height: int | None = None


class FileRead(BaseModel):
    model_config = RESPONSE

    id: uuid.UUID
    name: str
    mime_type: str
    kind: Kind
    size: int
    sha256: str
    folder_id: uuid.UUID | None
    title: str | None
    description: str | None
    tags: list[str]
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None = None
    download_count: int
    duplicate_of: uuid.UUID | None
    urls: FileUrls
    image: ImageDetails | None
    media: MediaDetails | None = None


class AccessEntry(BaseModel):
    action: str
    at: datetime
    actor_id: uuid.UUID | None


class FileDetail(FileRead):
    last_accessed_at: datetime | None
    page_count: int | None = Field(default=None, description="PDFs: how many pages")
    integrity: Literal["ok", "missing", "size_mismatch"]
    access_history: list[AccessEntry]


class UploadResult(BaseModel):
    files: list[FileRead]


def normalize_tags(tags: list[str]) -> list[str]:
    """Lowercase, trimmed, without duplicates, in first-seen order."""
    seen: dict[str, None] = {}
    for tag in tags:
        clean = " ".join(tag.split()).lower()
        if not clean:
            continue
        if len(clean) > MAX_TAG_LENGTH:
            raise ValueError(f"a tag is at most {MAX_TAG_LENGTH} characters")
        seen.setdefault(clean, None)
    return list(seen)


# One tag list everywhere (files, images, batches, artworks): capped, then normalised.
Tags = Annotated[list[str], Field(max_length=MAX_TAGS), AfterValidator(normalize_tags)]


class FileUpdate(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"name": "report-2026.pdf", "title": "Annual report", "tags": ["work", "2026"]}]
        }
    )

    name: Annotated[str, Field(min_length=1, max_length=1024)] | None = None
    title: Annotated[str, Field(max_length=255)] | None = None
    description: Annotated[str, Field(max_length=10_000)] | None = None
    tags: Tags | None = None

    @field_validator("name")
    @classmethod
    def clean_name(cls, value: str | None) -> str | None:
        return None if value is None else sanitize_name(value)


class FileMove(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"target_folder_id": "3d6f0a52-8c1e-4d7b-9f2a-5b8e1c0d4a71"}]}
    )

    target_folder_id: uuid.UUID | None


class ImageColumns(Protocol):
    """An `ImageMeta`, or a row of its columns (the file list reads rows, no ORM objects)."""

    @property
    def width(self) -> int: ...
    @property
    def height(self) -> int: ...
    @property
    def exif(self) -> dict[str, Any] | None: ...
    @property
    def thumbhash(self) -> str | None: ...


class FileColumns(Protocol):
    """The `File` columns a `FileRead` is made of: a `File`, or a row of `READ_COLUMNS`."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def name(self) -> str: ...
    @property
    def mime_type(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def size(self) -> int: ...
    @property
    def sha256(self) -> str: ...
    @property
    def folder_id(self) -> uuid.UUID | None: ...
    @property
    def title(self) -> str | None: ...
    @property
    def description(self) -> str | None: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def updated_at(self) -> datetime: ...
    @property
    def deleted_at(self) -> datetime | None: ...
    @property
    def download_count(self) -> int: ...
    @property
    def duplicate_of_id(self) -> uuid.UUID | None: ...
    @property
    def duration_seconds(self) -> float | None: ...
    @property
    def media_width(self) -> int | None: ...
    @property
    def media_height(self) -> int | None: ...


READ_COLUMNS = (
    File.id,
    File.name,
    File.mime_type,
    File.kind,
    File.size,
    File.sha256,
    File.folder_id,
    File.title,
    File.description,
    File.created_at,
    File.updated_at,
    File.deleted_at,
    File.download_count,
    File.duplicate_of_id,
    File.duration_seconds,
    File.media_width,
    File.media_height,
)


def image_read(meta: ImageColumns | None) -> ImageDetails | None:
    return None if meta is None else ImageDetails(**image_fields(meta))


def image_fields(meta: ImageColumns) -> dict[str, Any]:
    """ImageDetails' fields: the EXIF object with the columns kept beside it folded in."""
    exif: dict[str, Any] = dict(meta.exif or {})
    for field in EXIF_FIELDS:
        value = getattr(meta, field)
        if value is not None:
            exif[field] = value.isoformat() if isinstance(value, datetime) else value
    return {"width": meta.width, "height": meta.height, "exif": exif, "thumbhash": meta.thumbhash}


def media_fields(file: FileColumns) -> dict[str, Any] | None:
    if file.kind not in ("audio", "video") or file.duration_seconds is None:
        return None
    return {"duration_seconds": file.duration_seconds, "width": file.media_width, "height": file.media_height}


def file_read(file: File) -> FileRead:
    """Needs `tags` and `image` loaded (see `service.FILE_LOAD`)."""
    return FileRead(**file_fields(file))


def file_fields(file: File) -> dict[str, Any]:
    """FileRead's fields (needs `tags` and `image` loaded); subclasses add theirs beside them."""
    return columns_fields(file, tags=sorted(tag.name for tag in file.tags), image=file.image)


def columns_fields(file: FileColumns, *, tags: list[str], image: ImageColumns | None) -> dict[str, Any]:
    """FileRead's fields from the file's columns, its sorted tag names and its image metadata."""
    return {
        "id": file.id,
        "name": file.name,
        "mime_type": file.mime_type,
        "kind": file.kind,
        "size": file.size,
        "sha256": file.sha256,
        "folder_id": file.folder_id,
        "title": file.title,
        "description": file.description,
        "tags": tags,
        "created_at": file.created_at,
        "updated_at": file.updated_at,
        "deleted_at": file.deleted_at,
        "download_count": file.download_count,
        "duplicate_of": file.duplicate_of_id,
        "urls": {
            "download": f"/api/files/{file.id}/download",
            "preview": f"/api/files/{file.id}/preview",
            "thumbnail": signed_url(f"/api/images/{file.id}/thumbnail?size=small")
            if file.kind == "image"
            else None,
        },
        "image": None if image is None else image_fields(image),
        "media": media_fields(file),
    }


def file_detail(file: File, *, integrity: str, history: list[AccessEntry]) -> FileDetail:
    return FileDetail(
        **file_fields(file),
        last_accessed_at=file.last_accessed_at,
        page_count=file.page_count,
        integrity=integrity,
        access_history=history,
    )


@dataclass
class FileFilters:
    """The listing filters of files and search, already parsed by the router's dependency."""

    type: str | None = None
    folder_id: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    min_size: int | None = None
    max_size: int | None = None
    tag: str | None = None

    def narrowed(self) -> set[str]:
        """The names of the filters given."""
        return {name for name, value in vars(self).items() if value is not None}
