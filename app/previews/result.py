"""What the extraction child answers, validated by the parent before anything is kept."""

from pydantic import BaseModel, ConfigDict, Field

from app.previews.found import PREVIEW_EDGE, TEXT_LIMIT

__all__ = ["PREVIEW_EDGE", "PREVIEW_LIMIT", "TEXT_LIMIT", "Extracted"]

PREVIEW_LIMIT = 1024 * 1024  # bytes of one preview image (a 256 px WebP is a few KiB)


class Extracted(BaseModel):
    """Text for search, a WebP preview (base64 on the wire) and what the detail shows."""

    model_config = ConfigDict(extra="forbid", ser_json_bytes="base64", val_json_bytes="base64")

    text: str | None = Field(default=None, max_length=TEXT_LIMIT)
    preview: bytes | None = Field(default=None, max_length=PREVIEW_LIMIT)
    page_count: int | None = Field(default=None, ge=0)
    duration_seconds: float | None = Field(default=None, ge=0)
    width: int | None = Field(default=None, ge=0)
    height: int | None = Field(default=None, ge=0)
