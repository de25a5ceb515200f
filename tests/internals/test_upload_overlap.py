"""The body goes on being read while earlier batches are hashed and written, within a bound."""

import hashlib
from pathlib import Path

import anyio
from anyio import to_thread

from app.files import ingest
from app.files.multipart import MultipartReader
from app.kinds import DEFAULT_ALLOWED_TYPES
from app.storage import keys
from app.storage.local import LocalBlobStore
from tests.files.helpers import BOUNDARY, multipart, part

LINE = b"0123456789abcdef" * 4 + b"\n"
CHUNK = 64 * 1024


def reader_in(store: LocalBlobStore) -> MultipartReader:
    limits = ingest.Limits(
        max_file_size=1 << 30, quota_left=1 << 30, allowed_types=frozenset(DEFAULT_ALLOWED_TYPES), kinds=None
    )
    return MultipartReader(BOUNDARY.encode(), ingest.Intake(store, limits))


async def test_reading_goes_on_while_the_writer_is_busy(tmp_path: Path) -> None:
    content = LINE * (4 * ingest.BATCH_BYTES // len(LINE))
    body = multipart([part("files", content, filename="big.txt")])
    chunks = [body[i : i + CHUNK] for i in range(0, len(body), CHUNK)]
    store = LocalBlobStore(tmp_path)
    store.prepare()
    reader = reader_in(store)
    receiver = reader.intake
    limiter = to_thread.current_default_thread_limiter()
    holders = [object() for _ in range(int(limiter.total_tokens))]
    async with receiver.overlapped_writes():
        reader.feed(chunks.pop(0))
        await receiver.drain()  # sniffed while a worker thread was free
        (incoming,) = receiver.files
        for holder in holders:  # now no worker thread is free: nothing can be written
            await limiter.acquire_on_behalf_of(holder)
        handed = 0
        while handed < 2:  # one batch taken by the writer (waiting for a thread), one queued
            reader.feed(chunks.pop(0))
            handed += len(incoming.pending) >= ingest.BATCH_BYTES
            with anyio.fail_after(5):
                await receiver.drain()
        while len(incoming.pending) < ingest.BATCH_BYTES:
            reader.feed(chunks.pop(0))
        drained = anyio.Event()

        async def drain_third() -> None:
            await receiver.drain()
            drained.set()

        async with anyio.create_task_group() as group:
            group.start_soon(drain_third)
            await anyio.sleep(0.3)
            assert not drained.is_set()  # a third full batch waits: memory stays bounded
            for holder in holders:
                limiter.release_on_behalf_of(holder)
        for chunk in chunks:
            reader.feed(chunk)
            await receiver.drain()
    assert incoming.part is not None
    await incoming.part.commit(keys.original(incoming.storage_key))
    assert await store.read_bytes(keys.original(incoming.storage_key)) == content
    assert incoming.sha256 == hashlib.sha256(content).hexdigest()
