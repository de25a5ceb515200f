"""Previews: image thumbnails made on demand in bounded worker threads, text heads as plain text."""

import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TypeVar

import anyio
from anyio import to_thread
from fastapi import Request

from app.errors import AppError
from app.images.decode import ImageError
from app.images.thumbnails import THUMBNAIL_FORMAT, make_thumbnails
from app.storage.base import BlobStore

T = TypeVar("T")
TEXT_PREVIEW_BYTES = 64 * 1024


class ImageWork:
    """Image decoding runs under one CapacityLimiter; one maker per rendition at a time."""

    def __init__(self, limit: int) -> None:
        self.limiter = anyio.CapacityLimiter(limit)
        self._locks: dict[str, tuple[anyio.Lock, int]] = {}

    async def run(self, func: Callable[..., T], *args: object) -> T:
        return await to_thread.run_sync(func, *args, limiter=self.limiter)

    @asynccontextmanager
    async def one_maker(self, name: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(name, (anyio.Lock(), 0))
        self._locks[name] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[name]
            if users == 1:
                del self._locks[name]
            else:
                self._locks[name] = (lock, users - 1)


def create_image_work() -> ImageWork:
    return ImageWork(limit=max(1, os.cpu_count() or 1))


def image_work_of(request: Request) -> ImageWork:
    work: ImageWork = request.app.state.image_work
    return work


def image_problem(exc: ImageError) -> AppError:
    return AppError(exc.detail, code=exc.code, status=422)


async def ensure_thumbnail(storage: BlobStore, work: ImageWork, *, key: str, size: str) -> Path:
    """The cached thumbnail of `key` at `size`, made first when missing (422 for a bad image)."""
    target = storage.rendition_path(key, f"{size}.{THUMBNAIL_FORMAT}")
    if await to_thread.run_sync(target.exists):
        return target
    async with work.one_maker(f"{key}/{size}"):
        if not await to_thread.run_sync(target.exists):
            try:
                await work.run(make_thumbnails, storage.original_path(key), {size: target})
            except ImageError as exc:
                raise image_problem(exc) from exc
    return target


def read_text_head(path: Path) -> bytes:
    """The first 64 KiB as UTF-8 (invalid bytes replaced; a cut character dropped)."""
    with open(path, "rb") as handle:
        head = handle.read(TEXT_PREVIEW_BYTES)
    text = head.decode("utf-8", "replace")
    if len(head) == TEXT_PREVIEW_BYTES and text.endswith("\ufffd"):
        text = text.rstrip("\ufffd")
    return text.encode("utf-8")
