"""What every BlobStore must do, whatever keeps the bytes: whole-or-nothing visibility, ranges at
the edges, missing keys, listing, parts, and concurrent makers of one rendition."""

import asyncio
import hashlib
import os
import uuid
from stat import S_ISREG
from typing import BinaryIO

import anyio
import anyio.lowlevel
import pytest

from app.storage import keys
from app.storage.base import BlobNotFound, BlobStore, ResumableBusy
from app.storage.local import LocalBlobStore
from app.storage.packed import Stored
from app.work import ImageWork, ensure_derived

pytestmark = pytest.mark.anyio
DATA = bytes(range(256)) * 4096  # 1 MiB, every byte value
OTHER = b"\xff" * len(DATA)


async def never_kept(key: str) -> bool:
    return False


def new_key() -> str:
    return uuid.uuid4().hex


async def read_all(store: BlobStore, key: str, start: int = 0, end: int | None = None) -> bytes:
    return b"".join([chunk async for chunk in store.read(key, start, end)])


async def test_put_then_read_stat_and_peek(store: BlobStore) -> None:
    key = keys.original(new_key())
    stat = await store.put(key, DATA)
    assert stat.size == len(DATA)
    assert (await store.stat(key)).size == len(DATA)
    assert await read_all(store, key) == DATA
    assert await store.read_bytes(key, 10, 20) == DATA[10:20]
    seen, body = await store.peek(key, lambda size: (size - 3, size))
    assert (seen.size, body) == (len(DATA), DATA[-3:])
    _, nothing = await store.peek(key, lambda size: None)
    assert nothing is None
    with store.open_sync(key) as handle:
        handle.seek(1000)
        assert handle.read(5) == DATA[1000:1005]


@pytest.mark.parametrize(
    ("start", "end"),
    [(0, None), (0, len(DATA)), (len(DATA) - 1, None), (5, len(DATA) + 100), (len(DATA), None), (7, 7)],
)
async def test_ranges_at_the_edges(store: BlobStore, start: int, end: int | None) -> None:
    key = keys.original(new_key())
    await store.put(key, DATA)
    assert await read_all(store, key, start, end) == DATA[start:end]
    assert await store.read_bytes(key, start, end) == DATA[start:end]


async def test_an_empty_blob(store: BlobStore) -> None:
    key = keys.original(new_key())
    await store.put(key, b"")
    assert (await store.stat(key)).size == 0
    assert await read_all(store, key) == b""


async def test_missing_keys(store: BlobStore) -> None:
    key = keys.original(new_key())
    for call in (store.stat(key), store.read_bytes(key), store.peek(key, lambda size: None)):
        with pytest.raises(BlobNotFound):
            await call
    with pytest.raises(BlobNotFound):
        await read_all(store, key)
    with pytest.raises(BlobNotFound):
        store.open_sync(key)
    await store.delete(key)  # deleting what is not there is fine
    await store.delete_prefix(keys.renditions_of(new_key()))


async def test_keys_are_never_paths(store: BlobStore) -> None:
    for bad in ("originals/../etc", "originals/" + "A" * 32, "../x", "renditions/" + "a" * 32 + "/.hidden"):
        with pytest.raises(ValueError, match="invalid"):
            await store.put(bad, b"x")


async def test_a_reader_sees_the_old_or_the_new_blob_whole(store: BlobStore) -> None:
    key = keys.original(new_key())
    await store.put(key, DATA)
    seen: set[bytes] = set()

    async def keep_reading() -> None:
        for _ in range(30):
            seen.add(await read_all(store, key))
            await anyio.lowlevel.checkpoint()

    async with anyio.create_task_group() as group:
        group.start_soon(keep_reading)
        for data in (OTHER, DATA, OTHER):
            await store.put(key, data)
    assert seen <= {DATA, OTHER}
    assert await read_all(store, key) == OTHER


async def test_scan_lists_blobs_under_a_prefix(store: BlobStore) -> None:
    first, second = new_key(), new_key()
    await store.put(keys.original(first), b"one")
    await store.put(keys.rendition(first, "small.webp"), b"thumb")
    await store.put(keys.original(second), b"two!")
    part = await store.new_part()
    await part.append(b"in progress")
    originals = {entry.key: entry.size async for entry in store.scan(keys.ORIGINALS)}
    assert originals == {keys.original(first): 3, keys.original(second): 4}
    renditions = [entry.key async for entry in store.scan(keys.renditions_of(first))]
    assert renditions == [keys.rendition(first, "small.webp")]
    await part.discard()


async def test_delete_prefix_takes_one_files_renditions_only(store: BlobStore) -> None:
    mine, other = new_key(), new_key()
    for storage_key in (mine, other):
        await store.put(keys.rendition(storage_key, "small.webp"), b"s")
        await store.put(keys.rendition(storage_key, "large.webp"), b"l")
    await store.delete_prefix(keys.renditions_of(mine))
    left = sorted([entry.key async for entry in store.scan(keys.RENDITIONS)])
    assert left == sorted([keys.rendition(other, "large.webp"), keys.rendition(other, "small.webp")])


async def test_a_part_is_invisible_until_committed(store: BlobStore) -> None:
    key = keys.original(new_key())
    part = await store.new_part()
    hasher = hashlib.sha256()
    for piece in (DATA[:1000], DATA[1000:], b""):
        await part.append(piece, hasher=hasher)
    assert part.size == len(DATA)
    assert hasher.hexdigest() == hashlib.sha256(DATA).hexdigest()
    with pytest.raises(BlobNotFound):
        await store.stat(key)
    await part.commit(key)
    assert await read_all(store, key) == DATA
    await part.discard()  # after a commit: nothing to drop, the blob stays
    assert (await store.stat(key)).size == len(DATA)


async def test_a_local_copy_holds_the_appended_bytes_until_release(store: BlobStore) -> None:
    """Asked for, a store whose reads are remote keeps the bytes in a local file too (the upload's
    extraction reads it instead of fetching the blob back); a local store's blob is that already."""
    key = keys.original(new_key())
    plain = await store.new_part(key)
    await plain.append(DATA)
    assert plain.local_copy() is None
    await plain.discard()
    part = await store.new_part(key, local_copy=True)
    for piece in (DATA[:1000], b"", DATA[1000:]):
        await part.append(piece)
    copy = part.local_copy()
    if isinstance(store, LocalBlobStore):
        assert copy is None
    else:
        assert copy is not None
        assert S_ISREG(os.fstat(copy.fileno()).st_mode)
        assert os.pread(copy.fileno(), len(DATA) + 1, 0) == DATA
    await part.commit(key)
    assert await read_all(store, key) == DATA
    await part.release()
    assert part.local_copy() is None
    assert copy is None or copy.closed


async def test_a_discarded_part_leaves_nothing(store: BlobStore) -> None:
    part = await store.new_part()
    await part.append(b"half an upload")
    await part.discard()
    await part.discard()
    assert (await store.sweep_parts(is_kept=never_kept, older_than_seconds=0)).parts == []
    assert [entry async for entry in store.scan(keys.ORIGINALS)] == []


async def test_an_empty_part_commits_an_empty_blob(store: BlobStore) -> None:
    key = keys.original(new_key())
    part = await store.new_part()
    await part.commit(key)
    assert await store.read_bytes(key) == b""


async def test_a_sweep_leaves_live_uploads_alone(store: BlobStore) -> None:
    """Parts being written, and blobs committed whose rows are not in yet, belong to live uploads."""
    writing = await store.new_part()
    await writing.append(b"arriving")
    committed = await store.new_part()
    await committed.append(b"bytes in, rows not yet")
    key = keys.original(new_key())
    await committed.commit(key)
    sweep = await store.sweep_parts(is_kept=never_kept, older_than_seconds=0)
    assert (sweep.parts, sweep.blobs) == ([], [])
    await writing.append(b" and more")
    await writing.commit(keys.original(new_key()))
    assert await store.read_bytes(key) == b"bytes in, rows not yet"
    for part in (writing, committed):
        await part.release()
    sweep = await store.sweep_parts(is_kept=never_kept, older_than_seconds=0)
    assert (sweep.parts, sweep.blobs) == ([], [])  # released: the rows are in, nothing to settle
    assert await store.read_bytes(key) == b"bytes in, rows not yet"


async def test_concurrent_makers_of_one_rendition_make_it_once(store: BlobStore) -> None:
    source = keys.original(new_key())
    await store.put(source, DATA)
    target = keys.rendition(source.split("/")[1], "small.webp")
    made: list[int] = []

    def make(handle: BinaryIO) -> bytes:
        made.append(1)
        return handle.read()[::-1]

    work = ImageWork(limit=2)
    stats = await asyncio.gather(
        *(ensure_derived(store, work, key=target, source=Stored(source), make=make) for _ in range(8))
    )
    assert len(made) == 1
    assert {stat.size for stat in stats} == {len(DATA)}
    assert await store.read_bytes(target) == DATA[::-1]


async def test_two_processes_making_one_rendition_leave_it_whole(store: BlobStore) -> None:
    """Another process has its own ImageWork: both may make it, and the blob stays whole."""
    source = keys.original(new_key())
    await store.put(source, DATA)
    target = keys.rendition(source.split("/")[1], "render.png")

    def make(handle: BinaryIO) -> bytes:
        return handle.read()

    await asyncio.gather(
        *(
            ensure_derived(store, ImageWork(limit=1), key=target, source=Stored(source), make=make)
            for _ in range(4)
        )
    )
    assert await read_all(store, target) == DATA


async def test_a_derived_blob_of_a_missing_source(store: BlobStore) -> None:
    source = keys.original(new_key())
    with pytest.raises(BlobNotFound):
        await ensure_derived(
            store,
            ImageWork(limit=1),
            key=keys.rendition(source.split("/")[1], "x.webp"),
            source=Stored(source),
            make=lambda handle: handle.read(),
        )


async def test_a_quarantined_original_is_a_blob_of_its_own(store: BlobStore) -> None:
    storage_key = new_key()
    await store.put(keys.original(storage_key), DATA)
    await store.put_stream(keys.quarantined(storage_key), store.read(keys.original(storage_key)))
    await store.delete(keys.original(storage_key))
    assert [entry.key async for entry in store.scan(keys.QUARANTINE)] == [keys.quarantined(storage_key)]
    assert [entry async for entry in store.scan(keys.ORIGINALS)] == []
    assert await read_all(store, keys.quarantined(storage_key)) == DATA


async def test_resumable_bytes_outlive_their_writers_and_sweeps(store: BlobStore) -> None:
    upload_id = new_key()
    await store.create_resumable(upload_id)
    for start in range(0, len(DATA), len(DATA) // 4):
        async with store.hold_resumable(upload_id) as held:
            assert held.size == start
            await held.append(DATA[start : start + len(DATA) // 4])
    swept = await store.sweep_parts(is_kept=never_kept, older_than_seconds=0)
    assert swept.parts == []
    assert await store.resumable_size(upload_id) == len(DATA)
    assert await store.resumable_ids() == [upload_id]
    async with store.hold_resumable(upload_id) as held:
        assert b"".join([chunk async for chunk in held.read()]) == DATA
        assert b"".join([chunk async for chunk in held.read(10, 20)]) == DATA[10:20]


async def test_a_resumable_upload_has_one_holder_at_a_time(store: BlobStore) -> None:
    upload_id = new_key()
    await store.create_resumable(upload_id)
    async with store.hold_resumable(upload_id):
        with pytest.raises(ResumableBusy):
            async with store.hold_resumable(upload_id):
                pass
    async with store.hold_resumable(upload_id) as held:
        await held.append(b"free again")
    assert await store.resumable_size(upload_id) == 10


async def test_a_resumable_upload_cuts_back_and_hashes_what_it_writes(store: BlobStore) -> None:
    upload_id = new_key()
    await store.create_resumable(upload_id)
    hasher = hashlib.sha256()
    async with store.hold_resumable(upload_id) as held:
        await held.append(DATA[:1000], hasher=hasher)
        await held.append(OTHER[:500])
        await held.truncate(1000)
        assert held.size == 1000
        await held.append(DATA[1000:2000], hasher=hasher)
    assert hasher.hexdigest() == hashlib.sha256(DATA[:2000]).hexdigest()
    assert await store.resumable_size(upload_id) == 2000


async def test_a_resumable_upload_cuts_back_inside_what_one_append_wrote(store: BlobStore) -> None:
    upload_id = new_key()
    await store.create_resumable(upload_id)
    async with store.hold_resumable(upload_id) as held:
        await held.append(DATA[:1000])
        await held.append(OTHER[:500])
        await held.truncate(1200)
        await held.append(DATA[:10])
    async with store.hold_resumable(upload_id) as held:
        assert held.size == 1210
        assert b"".join([chunk async for chunk in held.read()]) == DATA[:1000] + OTHER[:200] + DATA[:10]


async def test_a_resumable_upload_becomes_a_blob_through_a_part(store: BlobStore) -> None:
    upload_id, key = new_key(), keys.original(new_key())
    await store.create_resumable(upload_id)
    async with store.hold_resumable(upload_id) as held:
        await held.append(DATA)
        part = await held.into_part()
        assert part.size == len(DATA)
        await part.commit(key)
        await part.release()
    assert await read_all(store, key) == DATA
    assert await store.resumable_ids() == []
    with pytest.raises(BlobNotFound):
        await store.resumable_size(upload_id)


async def test_a_deleted_resumable_upload_is_gone(store: BlobStore) -> None:
    upload_id, other = new_key(), new_key()
    await store.create_resumable(upload_id)
    await store.create_resumable(other)
    async with store.hold_resumable(upload_id) as held:
        await held.append(DATA[:10])
        await held.delete()
    await store.delete_resumable(other)
    await store.delete_resumable(other)  # twice is fine
    assert await store.resumable_ids() == []
    for gone in (upload_id, other):
        with pytest.raises(BlobNotFound):
            async with store.hold_resumable(gone):
                pass
