"""What a service hands the HTTP layer to send stored bytes: plain values, no Request or Response.
`files.serve` turns them into responses (Range, If-Range, conditional requests, HEAD)."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from app.storage.base import BlobStore
from app.storage.packed import Stored


@dataclass(frozen=True)
class Download:
    """Stored bytes ready to send. `etag` is the bare validator (e.g. the sha256); it goes out quoted."""

    store: BlobStore
    blob: Stored  # the key, and how to read its logical bytes
    media_type: str
    filename: str
    etag: str
    last_modified: datetime
    disposition: str = "attachment"
    # None keeps the default "private, no-cache".
    cache_control: str | None = None
    # The bytes depend on who asks (watermark, owner's copy): caches must key on the token.
    vary_authorization: bool = False
    # Runs once the whole original went out (a full GET answered 200): a range, HEAD or 304 is no
    # download. It owns its unit of work.
    on_full_get: Callable[[], Awaitable[None]] | None = None


@dataclass(frozen=True)
class TextPreview:
    """The beginning of a text file, sent inline as text/plain."""

    text: str
    etag: str
    filename: str
