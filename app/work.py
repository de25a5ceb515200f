"""Heavy work off the event loop: decoders run in worker threads under one CapacityLimiter, and a
derived blob (thumbnail, render) is made once per key at a time, then kept in the store."""

import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import BinaryIO, TypeVar

import anyio
from anyio import to_thread
from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from app import metrics
from app.storage import packed
from app.storage.base import BlobNotFound, BlobStat, BlobStore
from app.storage.packed import Stored

T = TypeVar("T")
BeforeMaking = Callable[[], Awaitable[None]]  # runs when a derived blob is missing (and may refuse)


class ImageWork:
    """Decoding runs under one CapacityLimiter; one maker per derived blob at a time."""

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


async def end_read_before(store: BlobStore, session: AsyncSession) -> None:
    """Ends the caller's read before it asks a remote store, so no pooled connection waits on
    object storage; a local store answers at once and the read goes on."""
    if store.remote:
        await session.commit()


async def stat_or_none(store: BlobStore, key: str) -> BlobStat | None:
    try:
        return await store.stat(key)
    except BlobNotFound:
        return None


async def ensure_derived(
    store: BlobStore,
    work: ImageWork,
    *,
    key: str,
    source: Stored,
    make: Callable[[BinaryIO], bytes],
    reader: AsyncSession | None = None,
    before_making: BeforeMaking | None = None,
) -> BlobStat:
    """The blob `key`, made by `make` from the blob `source` when missing (`before_making` first,
    which may refuse). One maker per key in this process; another process making it at the same
    time is harmless (each put is whole).

    `reader`, the caller's session, ends its read before a remote store is asked and before the
    wait for a decoder: no pooled connection is held meanwhile."""
    if reader is not None:
        await end_read_before(store, reader)
    if (found := await stat_or_none(store, key)) is not None:
        return found
    if before_making is not None:
        await before_making()
    if reader is not None:
        await reader.commit()
    async with work.one_maker(key):
        if (found := await stat_or_none(store, key)) is not None:
            return found  # another request made it while we waited
        data = await work.run(_make_from, store, source, make)
        stat = await store.put(key, data)
        metrics.RENDITIONS.inc()
        return stat


def _make_from(store: BlobStore, source: Stored, make: Callable[[BinaryIO], bytes]) -> bytes:
    with packed.open_sync(store, source) as handle:
        return make(handle)
