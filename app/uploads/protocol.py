"""tus 1.0 headers, parsed and written (pure): versions, lengths, metadata, checksums, concatenation."""

import base64
import binascii
import hashlib
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import format_datetime

from app.errors import BadRequest

TUS_VERSION = "1.0.0"
EXTENSIONS = (
    "creation",
    "creation-with-upload",
    "creation-defer-length",
    "expiration",
    "checksum",
    "termination",
    "concatenation",
)
CHECKSUMS: dict[str, Callable[[], "hashlib._Hash"]] = {
    "sha1": hashlib.sha1,
    "sha256": hashlib.sha256,
    "md5": hashlib.md5,
}
OFFSET_STREAM = "application/offset+octet-stream"
TUS_PATH = "/api/uploads/tus"
# What browser clients send and must read (CORS).
REQUEST_HEADERS = (
    "Tus-Resumable",
    "Upload-Length",
    "Upload-Defer-Length",
    "Upload-Offset",
    "Upload-Metadata",
    "Upload-Checksum",
    "Upload-Concat",
)
RESPONSE_HEADERS = (
    "Location",
    "Upload-Offset",
    "Upload-Length",
    "Upload-Defer-Length",
    "Upload-Metadata",
    "Upload-Expires",
    "Upload-Concat",
    "Tus-Resumable",
    "Tus-Version",
    "Tus-Extension",
    "Tus-Max-Size",
    "Tus-Checksum-Algorithm",
    "Atrium-File-Id",
)
_NUMBER = re.compile(r"^[0-9]{1,19}$")
_METADATA_KEY = re.compile(r"^[^\s,]+$")


def invalid(detail: str) -> BadRequest:
    return BadRequest(detail, code="invalid_tus_header")


def parse_number(name: str, raw: str) -> int:
    """A non-negative integer header (Upload-Length, Upload-Offset)."""
    if not _NUMBER.match(raw.strip()):
        raise invalid(f"{name} must be a non-negative integer")
    return int(raw)


def parse_metadata(raw: str | None) -> dict[str, str]:
    """`Upload-Metadata`: comma-separated `key base64value` pairs (a key alone has an empty value)."""
    found: dict[str, str] = {}
    for pair in (raw or "").split(","):
        if not pair.strip():
            continue
        key, _, value = pair.strip().partition(" ")
        if not _METADATA_KEY.match(key) or key in found:
            raise invalid("Upload-Metadata keys must be unique and have no spaces")
        try:
            found[key] = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise invalid(f"Upload-Metadata value of {key!r} is not base64 of UTF-8 text") from exc
    return found


def encode_metadata(metadata: dict[str, str]) -> str:
    return ",".join(
        f"{key} {base64.b64encode(value.encode()).decode()}" if value else key
        for key, value in metadata.items()
    )


@dataclass(frozen=True)
class Checksum:
    algorithm: str
    digest: bytes

    def hasher(self) -> "hashlib._Hash":
        return CHECKSUMS[self.algorithm]()


def parse_checksum(raw: str | None) -> Checksum | None:
    """`Upload-Checksum: <algorithm> <base64 digest>`; an unknown algorithm is 400."""
    if raw is None:
        return None
    algorithm, _, encoded = raw.strip().partition(" ")
    if algorithm.lower() not in CHECKSUMS:
        raise BadRequest(
            f"checksum algorithm {algorithm!r} is not one of {', '.join(CHECKSUMS)}",
            code="checksum_unsupported",
        )
    try:
        digest = base64.b64decode(encoded.strip(), validate=True)
    except binascii.Error as exc:
        raise invalid("Upload-Checksum must carry a base64 digest") from exc
    return Checksum(algorithm.lower(), digest)


@dataclass(frozen=True)
class Concat:
    """`Upload-Concat`: none (""), `partial`, or `final` with the partial uploads' ids in order."""

    kind: str = ""
    parts: list[uuid.UUID] = field(default_factory=list)


def parse_concat(raw: str | None) -> Concat:
    if raw is None or not raw.strip():
        return Concat()
    value = raw.strip()
    if value == "partial":
        return Concat("partial")
    if not value.startswith("final;"):
        raise invalid("Upload-Concat is `partial` or `final;<upload URLs>`")
    urls = value[len("final;") :].split()
    if not urls:
        raise invalid("Upload-Concat: final names no partial upload")
    return Concat("final", [upload_id_of(url) for url in urls])


def upload_id_of(url: str) -> uuid.UUID:
    """The upload id at the end of an upload URL (absolute or a path)."""
    last = url.rstrip("/").rsplit("/", 1)[-1]
    try:
        return uuid.UUID(last)
    except ValueError as exc:
        raise invalid(f"{url!r} is not an upload URL") from exc


def http_date(moment: datetime) -> str:
    """RFC 9110 date, as `Upload-Expires` carries."""
    return format_datetime(moment, usegmt=True)


def checksum_matches(checksum: Checksum, hasher: "hashlib._Hash") -> bool:
    return hasher.digest() == checksum.digest
