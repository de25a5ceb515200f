import uuid
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, Field, field_validator

KINDS = ("image", "video", "audio", "text", "document", "archive", "other")


class SearchFilters(BaseModel):
    """The file list's filters, plus `album_id`."""

    type: str | None = Field(default=None, description="a kind (image, video, ..., other) or a MIME prefix")
    folder_id: uuid.UUID | Literal["root"] | None = Field(default=None, description="`root` for top level")
    created_after: datetime | None = None
    created_before: datetime | None = None
    min_size: int | None = Field(default=None, ge=0)
    max_size: int | None = Field(default=None, ge=0)
    tag: str | None = Field(default=None, max_length=64)
    album_id: uuid.UUID | None = None

    @field_validator("type")
    @classmethod
    def known_type(cls, value: str | None) -> str | None:
        if value is None or "/" in value:
            return value.lower() if value else value
        if value.lower() not in KINDS:
            raise ValueError(f"type must be one of {', '.join(KINDS)} or a MIME prefix like image/")
        return value.lower()

    @field_validator("created_after", "created_before")
    @classmethod
    def assume_utc(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class SearchHit(BaseModel):
    """Provisional: becomes the `File` shape plus `score` once the files branch lands."""

    id: uuid.UUID
    name: str
    score: float
