"""Compression at rest on every store: `packed.pack` keeps the seekable zstd form only when it
saves 10%, and reads (ranges, seekable readers, a row read before the blob was compressed) give
the logical bytes back; damage at rest fails the read instead of passing wrong bytes."""

import io
import uuid

import pytest
from pyzstd import SeekableZstdFile

from app.storage import keys, packed
from app.storage.base import BlobStore
from app.storage.packed import BlobDamaged, Stored
from tests.compression.helpers import noise, prose

pytestmark = pytest.mark.anyio
TEXT = prose(3 * 1024 * 1024 + 777)


async def put_packed(store: BlobStore, data: bytes) -> Stored:
    key = keys.original(uuid.uuid4().hex)
    await store.put(key, data)
    made = await packed.pack(store, key)
    assert made is not None
    await made.part.release()
    assert (made.size, made.stored_size) == (len(data), (await store.stat(key)).size)
    return Stored(key, size=len(data), encoding=packed.ZSTD)


async def test_a_packed_blob_is_the_seekable_format_in_frames_of_a_mib(store: BlobStore) -> None:
    stored = await put_packed(store, TEXT)
    raw = await store.read_bytes(stored.key)
    assert len(raw) < len(TEXT) * 0.9
    with SeekableZstdFile(io.BytesIO(raw), "r") as reader:
        frames, _, logical = reader.seek_table_info or (0, 0, 0)
        assert (frames, logical) == (4, len(TEXT))  # a third-party reader of the format agrees
        assert reader.read() == TEXT


async def test_ranges_and_readers_give_the_logical_bytes(store: BlobStore) -> None:
    stored = await put_packed(store, TEXT)
    for start, end in ((0, 10), (1024 * 1024 - 5, 1024 * 1024 + 5), (2_000_000, None), (len(TEXT) - 1, None)):
        assert await packed.read_bytes(store, stored, start, end) == TEXT[start:end]
        chunks = [chunk async for chunk in packed.read(store, stored, start, end)]
        assert b"".join(chunks) == TEXT[start:end]
    with packed.open_sync(store, stored) as handle:
        handle.seek(1_500_000)
        assert handle.read(100) == TEXT[1_500_000:1_500_100]
        with pytest.raises(io.UnsupportedOperation):
            handle.fileno()  # never the compressed file's descriptor


async def test_a_row_read_before_the_blob_was_compressed_still_reads_right(store: BlobStore) -> None:
    """The row still says "stored as its bytes", but the blob's size differs from the logical
    size (compression always saves 10%): it is read as compressed."""
    stored = await put_packed(store, TEXT)
    stale = Stored(stored.key, size=len(TEXT))
    size, body, found = await packed.peek(store, stale, lambda n: (n - 100, n))
    assert (size, body, found.packed) == (len(TEXT), TEXT[-100:], True)
    with packed.open_sync(store, stale) as handle:
        assert handle.read() == TEXT


async def test_what_compresses_too_little_is_left_as_it_was(store: BlobStore) -> None:
    key = keys.original(uuid.uuid4().hex)
    data = noise(2_000_000)
    await store.put(key, data)
    assert await packed.pack(store, key) is None
    assert await store.read_bytes(key) == data
    assert [entry.key async for entry in store.scan(keys.ORIGINALS)] == [key]


async def test_damage_at_rest_fails_the_read(store: BlobStore) -> None:
    stored = await put_packed(store, TEXT)
    raw = bytearray(await store.read_bytes(stored.key))
    raw[len(raw) // 2] ^= 0xFF  # inside a frame: its checksum no longer holds
    await store.put(stored.key, raw)
    with pytest.raises(BlobDamaged):
        await packed.read_bytes(store, stored)
    await store.put(stored.key, b"not zstd at all" * 10)
    with pytest.raises(BlobDamaged):
        await packed.read_bytes(store, stored, 0, 10)
