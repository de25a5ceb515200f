"""What the extraction child answers: one JSON object, validated again by the parent."""

from pydantic import BaseModel, ConfigDict, Field

TEXT_LIMIT = 1024 * 1024  # characters of search text kept per file
PREVIEW_LIMIT = 1024 * 1024  # bytes of one preview image (a 256 px WebP is a few KiB)
PREVIEW_EDGE = 256  # the longest side of a preview, as the small image thumbnail


class Extracted(BaseModel):
    """Text for search, a WebP preview (base64 on the wire) and what the detail shows."""

    model_config = ConfigDict(extra="forbid", ser_json_bytes="base64", val_json_bytes="base64")

    text: str | None = Field(default=None, max_length=TEXT_LIMIT)
    preview: bytes | None = Field(default=None, max_length=PREVIEW_LIMIT)
    page_count: int | None = Field(default=None, ge=0)
    duration_seconds: float | None = Field(default=None, ge=0)
    width: int | None = Field(default=None, ge=0)
    height: int | None = Field(default=None, ge=0)
