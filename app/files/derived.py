"""What a file's bytes give beyond EXIF: ThumbHash placeholders for images; for PDFs, office
documents, videos and audio, search text, a preview image, a page count, duration and size.

Runs at upload (ingest, bytes first) and in the backfill. Decoding runs off the event loop under
the thumbnail limiter; untrusted formats are read in a bounded child process (app.previews.sandbox).
A file that cannot be read gets nothing and a logged warning, never a refusal.
"""

import contextlib
import logging
from dataclasses import dataclass
from typing import BinaryIO

from app.errors import AppError
from app.files.previews import ensure_thumbnail
from app.imaging.decode import ImageError
from app.models import File
from app.previews.office import DOCX_TYPE, ODT_TYPE
from app.previews.result import Extracted
from app.previews.sandbox import run_isolated
from app.previews.thumbhash import thumbhash_of
from app.storage import keys, packed
from app.storage.base import BlobNotFound, BlobStore
from app.storage.packed import Stored
from app.work import ImageWork

logger = logging.getLogger("atrium.previews")

# Bump when a new reading should reach existing files (the backfill re-reads older versions).
DERIVED_VERSION = 1
PREVIEW_NAME = "preview.webp"
PREVIEWED_JOBS = frozenset({"pdf", "video"})


@dataclass
class Derived:
    extracted: Extracted | None = None
    thumbhash: str | None = None

    @property
    def text(self) -> str | None:
        return None if self.extracted is None else self.extracted.text


def job_of(kind: str, mime_type: str) -> str | None:
    """The extraction a file gets, by its sniffed type; None: nothing to read."""
    if mime_type == "application/pdf":
        return "pdf"
    if mime_type in (DOCX_TYPE, ODT_TYPE):
        return f"office:{mime_type}"
    return kind if kind in ("video", "audio") else None


def has_preview(file: File) -> bool:
    """Whether a preview image was made for this PDF or video (missing blobs are checked later)."""
    return file.derived_version is not None and job_of(file.kind, file.mime_type) in PREVIEWED_JOBS


def preview_key(storage_key: str) -> str:
    return keys.rendition(storage_key, PREVIEW_NAME)


async def derive(
    store: BlobStore,
    work: ImageWork,
    *,
    storage_key: str,
    source: Stored,
    kind: str,
    mime_type: str,
    local: BinaryIO | None = None,
) -> Derived:
    """Read the stored original `source` of a file, or `local`, the same bytes in a local file that
    the upload kept (`Part.local_copy`: a remote store's blob is not fetched back); no database."""
    if kind == "image":
        return Derived(thumbhash=await image_thumbhash(store, work, storage_key=storage_key, source=source))
    job = job_of(kind, mime_type)
    if job is None:
        return Derived()
    extracted = await work.run(_extract, store, source, job, local)
    if extracted is not None and extracted.preview is not None:
        await store.put(preview_key(storage_key), extracted.preview)
    return Derived(extracted=extracted)


async def image_thumbhash(
    store: BlobStore, work: ImageWork, *, storage_key: str, source: Stored
) -> str | None:
    """The ThumbHash of the small thumbnail, which is made (and kept) first when missing: in the
    same worker job then, rather than read back and queued for a decoder a second time."""
    hashes: list[str] = []

    def hash_new(thumbnail: bytes) -> None:  # a hash that fails must not lose the thumbnail
        with contextlib.suppress(ImageError, OSError, ValueError):
            hashes.append(thumbhash_of(thumbnail))

    try:
        key, stat = await ensure_thumbnail(
            store, work, storage_key=storage_key, source=source, size="small", also=hash_new
        )
        if hashes:
            return hashes[0]
        thumbnail = await store.read_bytes(key, 0, stat.size)  # made before, or its hash failed
        return await work.run(thumbhash_of, thumbnail)
    except (AppError, ImageError, BlobNotFound, OSError, ValueError) as exc:  # a damaged image is kept
        logger.warning("no ThumbHash for %s: %s", storage_key, exc)
        return None


def _extract(store: BlobStore, source: Stored, job: str, local: BinaryIO | None) -> Extracted | None:
    if local is not None:
        return run_isolated(job, local)
    with packed.open_sync(store, source) as handle:
        return run_isolated(job, handle)


def apply(file: File, derived: Derived) -> None:
    """Put what was read on the file's row (and its image row when loaded)."""
    extracted = derived.extracted
    if extracted is not None:
        file.page_count = extracted.page_count
        file.duration_seconds = extracted.duration_seconds
        file.media_width = extracted.width
        file.media_height = extracted.height
    file.derived_version = DERIVED_VERSION
