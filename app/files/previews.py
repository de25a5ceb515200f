"""Previews: image thumbnails made on demand and kept in the store, text heads as plain text."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import BinaryIO

from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import AppError, NotFound
from app.imaging.decode import ImageError
from app.imaging.thumbnails import THUMBNAIL_FORMAT, make_thumbnails
from app.imaging.watermark import Watermark
from app.storage import keys, packed
from app.storage.base import BlobNotFound, BlobStat, BlobStore
from app.storage.packed import Stored
from app.work import ImageWork, ensure_derived

TEXT_PREVIEW_BYTES = 64 * 1024


def image_problem(exc: ImageError) -> AppError:
    return AppError(exc.detail, code=exc.code, status=422)


def content_missing() -> NotFound:
    return NotFound("the stored bytes of this file are missing", code="content_missing")


@contextmanager
def image_errors() -> Iterator[None]:
    """A bad image is the client's 422; missing bytes are 404 `content_missing`."""
    try:
        yield
    except ImageError as exc:
        raise image_problem(exc) from exc
    except BlobNotFound as exc:
        raise content_missing() from exc


async def ensure_thumbnail(
    store: BlobStore,
    work: ImageWork,
    *,
    storage_key: str,
    source: Stored,
    size: str,
    name: str | None = None,
    watermark: Watermark | None = None,
    reader: AsyncSession | None = None,
    also: Callable[[bytes], None] | None = None,
) -> tuple[str, BlobStat]:
    """The key and stat of the thumbnail of `size` (stored as `name`, by default `<size>.webp`),
    made from the original `source` first when missing; `also` gets the new thumbnail's bytes in
    the same worker job, when it is made here."""
    key = keys.rendition(storage_key, name or f"{size}.{THUMBNAIL_FORMAT}")

    def make(source: BinaryIO) -> bytes:
        data = make_thumbnails(source, [size], watermark=watermark)[size]
        if also is not None:
            also(data)
        return data

    with image_errors():
        stat = await ensure_derived(store, work, key=key, source=source, make=make, reader=reader)
    return key, stat


def decode_text_head(head: bytes, *, limit: int) -> str:
    """The text of a file's first `limit` bytes: invalid UTF-8 becomes U+FFFD, a character cut at
    the limit is dropped, NULs are removed."""
    text = head.decode("utf-8", "replace")
    if len(head) >= limit and text.endswith("\ufffd"):
        text = text.rstrip("\ufffd")
    return text.replace("\x00", "")


async def read_text_head(store: BlobStore, *, source: Stored, limit: int) -> str:
    try:
        head = await packed.read_bytes(store, source, 0, limit)
    except BlobNotFound as exc:
        raise content_missing() from exc
    return decode_text_head(head, limit=limit)
