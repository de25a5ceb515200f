"""Resumable (tus) uploads on S3 across processes: each process has its own store on the same
bucket and prefix, as two API workers do. One writer at a time, a dead writer's lock taken over
once stale, and the writer that lost its lock told so before it writes again."""

import uuid

import anyio
import pytest

from app.storage import keys
from app.storage.base import ResumableBusy
from app.storage.s3 import S3BlobStore
from tests.storage.helpers import S3Server

pytestmark = pytest.mark.anyio
DATA = bytes(range(256)) * 64  # 16 KiB


def twins(s3: S3Server, *, lock_stale_seconds: float = 600) -> tuple[S3BlobStore, S3BlobStore]:
    location = s3.location()
    return (
        S3BlobStore(location, lock_stale_seconds=lock_stale_seconds),
        S3BlobStore(location, lock_stale_seconds=lock_stale_seconds),
    )


async def test_one_writer_across_processes_and_the_other_sees_its_bytes(s3: S3Server) -> None:
    first, second = twins(s3)
    upload_id = uuid.uuid4().hex
    await first.create_resumable(upload_id)
    async with first.hold_resumable(upload_id) as held:
        await held.append(DATA[:1000])
        with pytest.raises(ResumableBusy):
            async with second.hold_resumable(upload_id):
                pass
        await held.append(DATA[1000:5000])
    async with second.hold_resumable(upload_id) as held:
        assert held.size == 5000
        assert b"".join([chunk async for chunk in held.read(990, 1010)]) == DATA[990:1010]
        await held.append(DATA[5000:])
    assert await first.resumable_size(upload_id) == len(DATA)
    assert await first.resumable_ids() == [upload_id]


async def test_a_dead_writers_lock_is_taken_over_once_stale(s3: S3Server) -> None:
    dead, alive = twins(s3, lock_stale_seconds=2)
    upload_id = uuid.uuid4().hex
    await dead.create_resumable(upload_id)
    holding = dead.hold_resumable(upload_id)
    lost = await holding.__aenter__()  # never left: the process died holding it
    await lost.append(DATA[:100])
    with pytest.raises(ResumableBusy):
        async with alive.hold_resumable(upload_id):
            pass
    await anyio.sleep(3.5)  # S3 times objects to the second
    async with alive.hold_resumable(upload_id) as held:
        assert held.size == 100
        await held.append(DATA[100:200])
        with pytest.raises(ResumableBusy):  # the old holder woke up: it may not write any more
            await lost.append(DATA[:50])
    assert await alive.resumable_size(upload_id) == 200


async def test_a_finished_upload_streams_into_its_key_and_a_discard_leaves_nothing(s3: S3Server) -> None:
    store, other = twins(s3)
    kept, dropped, key = uuid.uuid4().hex, uuid.uuid4().hex, keys.original(uuid.uuid4().hex)
    for upload_id in (kept, dropped):
        await store.create_resumable(upload_id)
        async with store.hold_resumable(upload_id) as held:
            for start in range(0, len(DATA), 3000):  # pieces of uneven size
                await held.append(DATA[start : start + 3000])
    async with store.hold_resumable(kept) as held:
        part = await held.into_part()
        with pytest.raises(ResumableBusy):  # handed over, still not free
            async with other.hold_resumable(kept):
                pass
        await part.commit(key)
        await part.release()
    assert await other.read_bytes(key) == DATA
    async with store.hold_resumable(dropped) as held:
        part = await held.into_part()
        await part.discard()
    assert await other.resumable_ids() == []
