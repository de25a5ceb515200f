"""A range of a compressed original decompresses only the frames it touches: with every other
frame damaged (reading such a frame to its end fails its checksum), ranges inside the intact
frame still read, through the store and through the download API."""

import struct
import uuid

import httpx
import pytest
from fastapi import FastAPI

from app.config import Settings
from app.storage import keys, packed
from app.storage.base import BlobStore
from app.storage.packed import BlobDamaged, Stored
from tests.compression.helpers import prose, row_of
from tests.conftest import MakeUser
from tests.files.helpers import upload

pytestmark = pytest.mark.anyio
MIB = 1024 * 1024
TEXT = prose(4 * MIB)


def frame_spans(raw: bytes) -> list[tuple[int, int]]:
    """Where each frame lies in the blob, from the seek table at its end (the format's layout:
    entries of compressed and logical size, then the frame count, a descriptor and the magic)."""
    count, _, magic = struct.unpack("<IBI", raw[-9:])
    assert magic == 0x8F92EAB1
    table = raw[-9 - 8 * count : -9]
    spans, offset = [], 0
    for index in range(count):
        compressed, _ = struct.unpack_from("<II", table, 8 * index)
        spans.append((offset, offset + compressed))
        offset += compressed
    return spans


def damaged_but(raw: bytes, keep: int) -> bytes:
    """Every frame but `keep` with a byte flipped in its middle."""
    out = bytearray(raw)
    for index, (start, end) in enumerate(frame_spans(raw)):
        if index != keep:
            out[(start + end) // 2] ^= 0xFF
    return bytes(out)


async def test_a_range_decompresses_only_its_frames(store: BlobStore) -> None:
    key = keys.original(uuid.uuid4().hex)
    await store.put(key, TEXT)
    made = await packed.pack(store, key)
    assert made is not None
    await made.part.release()
    raw = await store.read_bytes(key)
    assert len(frame_spans(raw)) == 4
    await store.put(key, damaged_but(raw, keep=2))
    stored = Stored(key, size=len(TEXT), encoding=packed.ZSTD)
    for start, end in ((2 * MIB, 2 * MIB + 10), (2 * MIB + 500_000, 3 * MIB)):
        assert await packed.read_bytes(store, stored, start, end) == TEXT[start:end]
    for start, end in ((0, MIB), (3 * MIB, 4 * MIB)):  # whole damaged frames: their checksums fail
        with pytest.raises(BlobDamaged):
            await packed.read_bytes(store, stored, start, end)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"compress_at_rest": True})


async def test_a_range_download_decompresses_only_its_frames(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    alice = await make_user()
    item = await upload(client, alice, TEXT, "book.txt")
    row = await row_of(app, item["id"])
    key = keys.original(row.storage_key)
    storage: BlobStore = app.state.storage
    await storage.put(key, damaged_but(await storage.read_bytes(key), keep=1))
    headers = {**alice.headers, "Range": f"bytes={MIB + 1000}-{2 * MIB - 1}"}
    response = await client.get(item["urls"]["download"], headers=headers)
    assert (response.status_code, response.content) == (206, TEXT[MIB + 1000 : 2 * MIB])
    whole_frame = {**alice.headers, "Range": f"bytes=0-{MIB - 1}"}
    touching = await client.get(item["urls"]["download"], headers=whole_frame)
    assert (touching.status_code, touching.json()["code"]) == (404, "content_missing")
