"""Thumbnails and renditions on disk: made on demand in worker threads, one maker per file and name."""

import asyncio
import hashlib
import json
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated
from weakref import WeakValueDictionary

import anyio
from anyio import to_thread
from fastapi import Depends, Request

from app.errors import Unprocessable
from app.images.render import RENDER_MEDIA_TYPES, Fit, RenderFormat, Watermark, render
from app.images.thumbnails import THUMBNAIL_FORMAT, THUMBNAIL_MEDIA_TYPE, ImageError, make_thumbnails
from app.models import File, User
from app.storage.base import BlobStore

# Bump when the image code changes its output, so cached files and ETags are renewed.
RENDITION_VERSION = "1"


@dataclass(frozen=True)
class Rendition:
    path: Path
    media_type: str
    etag: str


class ImageWork:
    """Per-app: bounds CPU-heavy image work and keeps one maker per (file, rendition) at a time."""

    def __init__(self, workers: int) -> None:
        self.limiter = anyio.CapacityLimiter(workers)
        # A lock lives only while a maker holds or waits on it.
        self._locks: WeakValueDictionary[tuple[uuid.UUID, str], asyncio.Lock] = WeakValueDictionary()

    def lock_for(self, key: tuple[uuid.UUID, str]) -> asyncio.Lock:
        lock = self._locks.get(key)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[key] = lock
        return lock

    async def ensure(self, file_id: uuid.UUID, target: Path, make: Callable[[Path], None]) -> None:
        """Make `target` unless it exists; writers go to a temporary name and replace atomically."""
        if await anyio.Path(target).exists():
            return
        async with self.lock_for((file_id, target.name)):
            if await anyio.Path(target).exists():
                return  # another request made it while we waited
            part = target.with_name(f".{uuid.uuid4().hex}.{target.name}")
            try:
                await to_thread.run_sync(make, part, limiter=self.limiter)
                await to_thread.run_sync(os.replace, part, target)
            except ImageError as exc:
                raise Unprocessable(exc.detail, code=exc.code) from exc
            finally:
                await to_thread.run_sync(lambda: part.unlink(missing_ok=True))


def get_image_work(request: Request) -> ImageWork:
    # `app.state.image_work` is the files branch's preview ImageWork; the two are to be unified.
    work: ImageWork | None = getattr(request.app.state, "rendition_work", None)
    if work is None:
        work = ImageWork(request.app.state.settings.image_workers)
        request.app.state.rendition_work = work
    return work


ImageWorkDep = Annotated[ImageWork, Depends(get_image_work)]


def watermark_for(owner: User, viewer: User | None) -> Watermark | None:
    """The owner's watermark when someone else looks; none for the owner or without one."""
    if not owner.watermark or (viewer is not None and viewer.id == owner.id):
        return None
    try:
        return Watermark(**owner.watermark)
    except (TypeError, ValueError):
        return None


def _mark_suffix(watermark: Watermark | None) -> str:
    if watermark is None:
        return ""
    digest = hashlib.sha256(json.dumps(watermark.__dict__, sort_keys=True).encode()).hexdigest()
    return f"-w{digest[:10]}"


def _etag(image: File, name: str) -> str:
    """Bare validator (the response quotes it): the source bytes, the code version, the rendition."""
    return f"{image.sha256[:32]}-{RENDITION_VERSION}-{name}"


async def thumbnail(
    work: ImageWork, storage: BlobStore, *, image: File, size: str, watermark: Watermark | None = None
) -> Rendition:
    """The thumbnail of `size` (small thumbnails are never watermarked)."""
    mark = None if size == "small" else watermark
    name = f"thumb-{size}{_mark_suffix(mark)}.{THUMBNAIL_FORMAT}"
    target = storage.rendition_path(image.storage_key, name)
    source = storage.original_path(image.storage_key)
    await work.ensure(image.id, target, lambda part: make_thumbnails(source, {size: part}, watermark=mark))
    return Rendition(path=target, media_type=THUMBNAIL_MEDIA_TYPE, etag=_etag(image, name))


@dataclass(frozen=True)
class RenderRequest:
    width: int | None
    height: int | None
    fit: Fit
    fmt: RenderFormat
    quality: int

    def name(self, watermark: Watermark | None) -> str:
        box = f"{self.width or 0}x{self.height or 0}"
        return f"render-{box}-{self.fit}-q{self.quality}{_mark_suffix(watermark)}.{self.fmt}"


async def rendition(
    work: ImageWork,
    storage: BlobStore,
    *,
    image: File,
    spec: RenderRequest,
    watermark: Watermark | None = None,
) -> Rendition:
    """A resized, cropped or converted copy, cached on disk by its parameters."""
    name = spec.name(watermark)
    target = storage.rendition_path(image.storage_key, name)
    source = storage.original_path(image.storage_key)

    def make(part: Path) -> None:
        render(
            source,
            part,
            width=spec.width,
            height=spec.height,
            fit=spec.fit,
            fmt=spec.fmt,
            quality=spec.quality,
            watermark=watermark,
        )

    await work.ensure(image.id, target, make)
    return Rendition(path=target, media_type=RENDER_MEDIA_TYPES[spec.fmt], etag=_etag(image, name))
