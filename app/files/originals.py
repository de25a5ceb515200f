"""Where a file's original is and how to read its logical bytes: every reader of originals
(downloads, renditions, previews, ZIPs, shares, verify, rescan, backup) starts from `original_of`
and reads through `app.storage.packed`, which decompresses what compression at rest stored."""

from typing import Protocol

from app.storage import keys
from app.storage.packed import Stored

# Types worth trying to compress (the try decides: kept only when it saves 10%). Formats that
# compress their own bytes (JPEG, PNG, WebP, ZIP-based documents, audio and video codecs) are not.
COMPRESSIBLE_TYPES = frozenset(
    {
        "application/json",
        "application/xml",
        "application/pdf",
        "application/rtf",
        "application/x-tar",
        "application/sql",
        "application/msword",
        "application/vnd.ms-excel",
        "application/vnd.ms-powerpoint",
        "application/vnd.oasis.opendocument.text-flat-xml",
        "image/bmp",
        "image/x-ms-bmp",
        "image/tiff",
        "image/svg+xml",
        "image/x-portable-pixmap",
        "image/x-portable-graymap",
        "image/x-portable-bitmap",
        "audio/wav",
        "audio/x-wav",
        "audio/vnd.wave",
        "audio/aiff",
        "audio/x-aiff",
    }
)


def compressible(mime_type: str) -> bool:
    return mime_type.startswith("text/") or mime_type in COMPRESSIBLE_TYPES


class OriginalColumns(Protocol):
    """A `File`, or a row of the columns that say where its original is."""

    @property
    def storage_key(self) -> str: ...
    @property
    def size(self) -> int: ...
    @property
    def encoding(self) -> str | None: ...


def original_of(file: OriginalColumns) -> Stored:
    """The file's original: its key, logical size and how it is stored."""
    return Stored(keys.original(file.storage_key), size=file.size, encoding=file.encoding)


def fresh_original(storage_key: str, size: int) -> Stored:
    """An original just received, stored as its bytes (before its rows exist)."""
    return Stored(keys.original(storage_key), size=size)
