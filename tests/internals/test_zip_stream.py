"""How a ZIP streams: the first bytes go out before the archive is read, chunks stay bounded by
the read size (memory flat), and the sized archive is exactly as long as announced."""

import io
import os
import zipfile
from pathlib import Path

import pytest

from app.storage.local import LocalBlobStore
from app.storage.packed import Stored
from app.zips.stream import (
    READ_CHUNK,
    Archive,
    Member,
    build,
    numbered,
    stream,
    unique_paths,
)

pytestmark = pytest.mark.anyio


async def test_chunks_are_bounded_and_the_first_comes_at_once(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    store.prepare()
    contents = {f"originals/{index:032x}": os.urandom(3 * 1024 * 1024 + index) for index in range(3)}
    for key, data in contents.items():
        await store.put(key, data)
    archive = Archive(
        name="x",
        members=[
            Member(f"f{i}.bin", Stored(key), len(data)) for i, (key, data) in enumerate(contents.items())
        ],
        directories=["empty/"],
    )
    zipped = build(store, archive)
    announced = len(zipped)
    chunks = [chunk async for chunk in stream(zipped)]
    assert len(chunks[0]) < 1024  # the first entry's header, before any member is read in full
    assert max(len(c) for c in chunks) <= READ_CHUNK
    body = b"".join(chunks)
    assert len(body) == announced
    with zipfile.ZipFile(io.BytesIO(body)) as unpacked:
        assert unpacked.namelist() == ["empty/", "f0.bin", "f1.bin", "f2.bin"]
        assert [unpacked.read(f"f{i}.bin") for i in range(3)] == list(contents.values())


async def test_stopping_early_closes_the_member_being_read(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    store.prepare()
    await store.put("originals/" + "a" * 32, os.urandom(4 * 1024 * 1024))
    zipped = build(
        store, Archive(name="x", members=[Member("a.bin", Stored("originals/" + "a" * 32), 4 * 1024 * 1024)])
    )
    chunks = stream(zipped)
    assert await anext(chunks)
    await chunks.aclose()  # no error, no open file left behind (ResourceWarnings fail the suite)


def test_names_are_numbered_before_the_extension_ignoring_case() -> None:
    assert numbered("a/b.jpg", 2) == "a/b (2).jpg"
    assert numbered(".bashrc", 3) == ".bashrc (3)"
    assert numbered("README", 2) == "README (2)"
    assert unique_paths(["a.jpg", "A.JPG", "a.jpg", "a (2).jpg"]) == [
        "a.jpg",
        "A (2).JPG",
        "a (3).jpg",
        "a (2) (2).jpg",
    ]
    assert unique_paths(["Drafts"], taken=["drafts"]) == ["Drafts (2)"]
