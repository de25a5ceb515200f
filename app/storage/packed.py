"""Blobs kept compressed at rest, read back as their logical bytes through any `BlobStore`.

The encoding is zstd in the seekable format (pyzstd's `SeekableZstdFile`): independent frames of
FRAME_SIZE logical bytes and a seek table at the end, so a read from the middle decompresses
only the frames it touches. A blob's first bytes cannot tell how it is stored (a user may upload
a .zst file): the file row says (`Stored.encoding`). Compression is kept only when it saves
MIN_SAVING, so a compressed blob is never as large as its logical bytes; a reader that meets a
blob whose size differs from the row's logical size reads it as compressed (a row read just
before `atrium archive` replaced the blob, or an archive that stopped before its row commit).
"""

import io
from collections.abc import AsyncGenerator, Iterator
from contextlib import aclosing, contextmanager
from dataclasses import dataclass, replace
from typing import BinaryIO, cast

import anyio
from anyio import to_thread
from pyzstd import CParameter, SeekableFormatError, SeekableZstdFile, ZstdError

from app.storage.base import BlobNotFound, BlobStore, Bytes, Part, RangeChoice

ZSTD = "zstd"
IDENTITY = "identity"  # tried, and stored as it is: compressing saved too little
DECODE_ERRORS = (SeekableFormatError, ZstdError, EOFError)
FRAME_SIZE = 1024 * 1024
LEVEL = 3
MIN_SAVING = 0.10  # keep the compressed form only when it is at least this much smaller
CHUNK = 1024 * 1024  # logical bytes per worker-thread hop
# Past this many bytes read, give up when the frames so far save less than HOPELESS.
PROBE_BYTES = 8 * 1024 * 1024
HOPELESS = 0.03


class BlobDamaged(BlobNotFound):
    """A compressed blob that does not decode (damaged or not what its row says)."""


@dataclass(frozen=True)
class Stored:
    """What reading a blob's logical bytes needs: its key, the size of its logical bytes (None:
    unknown, read as stored) and how its row says it is stored (None: as its bytes)."""

    key: str
    size: int | None = None
    encoding: str | None = None

    @property
    def packed(self) -> bool:
        return self.encoding == ZSTD


class _Decoded(SeekableZstdFile):
    """The logical bytes; no `fileno` (which would hand out the compressed file's descriptor)."""

    def fileno(self) -> int:
        raise io.UnsupportedOperation("a compressed blob has no descriptor of its logical bytes")


def _size_of(handle: BinaryIO) -> int:
    size = handle.seek(0, io.SEEK_END)
    handle.seek(0)
    return size


def is_packed(stored: Stored, stored_size: int) -> bool:
    return stored.packed or (stored.size is not None and stored_size != stored.size)


def logical_size(store: BlobStore, stored: Stored) -> int | None:
    """The logical size a compressed blob's seek table gives; None when it does not decode
    (blocking: call it in a worker thread)."""
    try:
        with open_sync(store, replace(stored, encoding=ZSTD)) as handle:
            return handle.seek(0, io.SEEK_END)
    except BlobDamaged:
        return None


@contextmanager
def open_sync(store: BlobStore, stored: Stored) -> Iterator[BinaryIO]:
    """A seekable reader of the logical bytes (blocking: call it in a worker thread)."""
    with store.open_sync(stored.key) as handle:
        if not is_packed(stored, _size_of(handle)):
            yield handle
            return
        try:
            decoded = _Decoded(handle, "r")
        except DECODE_ERRORS as exc:
            raise BlobDamaged(stored.key) from exc
        with decoded:
            yield cast(BinaryIO, decoded)


class _Reader:
    """Logical bytes from `start`, a chunk per call: the open reader lives across worker-thread hops."""

    def __init__(self, store: BlobStore, stored: Stored, start: int) -> None:
        self._opened = open_sync(store, stored)
        self.handle = self._opened.__enter__()
        try:
            self.handle.seek(start)  # decompresses from the start of the frame `start` is in
        except DECODE_ERRORS as exc:
            self.close()
            raise BlobDamaged(stored.key) from exc
        except BaseException:
            self.close()
            raise

    def read(self, size: int) -> bytes:
        try:
            return self.handle.read(size)
        except DECODE_ERRORS as exc:
            raise BlobDamaged(str(exc)) from exc

    def close(self) -> None:
        self._opened.__exit__(None, None, None)


async def read(
    store: BlobStore, stored: Stored, start: int = 0, end: int | None = None
) -> AsyncGenerator[bytes, None]:
    """The logical bytes of [start, end) in chunks, like `BlobStore.read`."""
    if not stored.packed:
        async with aclosing(store.read(stored.key, start, end)) as chunks:
            async for chunk in chunks:
                yield chunk
        return
    reader = await to_thread.run_sync(_Reader, store, stored, start)
    try:
        position = start
        while end is None or position < end:
            data = await to_thread.run_sync(reader.read, CHUNK if end is None else min(CHUNK, end - position))
            if not data:
                break
            position += len(data)
            yield data
    finally:
        with anyio.CancelScope(shield=True):
            await to_thread.run_sync(reader.close)


async def read_bytes(store: BlobStore, stored: Stored, start: int = 0, end: int | None = None) -> bytes:
    """A small range of the logical bytes at once."""
    if not stored.packed:
        return await store.read_bytes(stored.key, start, end)
    return await to_thread.run_sync(_read_range, store, stored, start, end)


def _read_range(store: BlobStore, stored: Stored, start: int, end: int | None) -> bytes:
    reader = _Reader(store, stored, start)
    try:
        return reader.read(-1 if end is None else max(0, end - start))
    finally:
        reader.close()


async def peek(store: BlobStore, stored: Stored, choose: RangeChoice) -> tuple[int, bytes | None, Stored]:
    """Like `BlobStore.peek` for the logical bytes: their size, the range `choose(size)` names,
    and how to read the rest (compressed when the blob turned out to be, whatever the row said)."""
    if not stored.packed:
        decided: list[bool] = []

        def choose_plain(size: int) -> tuple[int, int] | None:
            decided.append(not is_packed(stored, size))
            return choose(size) if decided[-1] else None

        stat, body = await store.peek(stored.key, choose_plain)
        if decided and decided[-1]:
            return stat.size, body, stored
        stored = replace(stored, encoding=ZSTD)
    size, body = await to_thread.run_sync(_peek_packed, store, stored, choose)
    return size, body, stored


def _peek_packed(store: BlobStore, stored: Stored, choose: RangeChoice) -> tuple[int, bytes | None]:
    with open_sync(store, stored) as handle:
        size = handle.seek(0, io.SEEK_END)
        wanted = choose(size)
        if wanted is None:
            return size, None
        try:
            handle.seek(wanted[0])
            return size, handle.read(wanted[1] - wanted[0])
        except DECODE_ERRORS as exc:
            raise BlobDamaged(stored.key) from exc


@dataclass(frozen=True)
class Packed:
    """A blob compressed in place: the part that committed it (release it once the row says so),
    and the sizes of the logical and the stored bytes."""

    part: Part
    size: int
    stored_size: int


class _Sink:
    """Where the writer puts frames until they are handed to the part."""

    def __init__(self) -> None:
        self.buffer = bytearray()

    def write(self, data: Bytes) -> int:
        self.buffer += data
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = bytes(self.buffer)
        self.buffer.clear()
        return data


class _Packer:
    """Reads the plain blob and compresses it, CHUNK logical bytes per worker-thread hop."""

    def __init__(self, store: BlobStore, key: str, level: int) -> None:
        self._opened = store.open_sync(key)
        self.source = self._opened.__enter__()
        self.sink = _Sink()
        # each frame carries a checksum of its bytes: damage at rest fails the read, never passes
        options: dict[int, int] = {CParameter.compressionLevel: level, CParameter.checksumFlag: 1}
        self.writer = SeekableZstdFile(
            cast(BinaryIO, self.sink), "w", level_or_option=options, max_frame_content_size=FRAME_SIZE
        )
        self.size = 0
        self.stored_size = 0

    def step(self) -> bytes | None:
        """The next compressed bytes (possibly none yet); None at the end of the source."""
        data = self.source.read(CHUNK)
        if not data:
            return None
        self.writer.write(data)
        self.size += len(data)
        return self._take()

    def finish(self) -> bytes:
        self.writer.close()
        return self._take()

    def _take(self) -> bytes:
        data = self.sink.take()
        self.stored_size += len(data)
        return data

    def hopeless(self) -> bool:
        return self.size >= PROBE_BYTES and self.stored_size > self.size * (1 - HOPELESS)

    def worth_it(self) -> bool:
        return self.size > 0 and self.stored_size <= self.size * (1 - MIN_SAVING)

    def close(self) -> None:
        self._opened.__exit__(None, None, None)


async def pack(store: BlobStore, key: str, *, level: int = LEVEL) -> Packed | None:
    """Compress the plain blob `key` in place when that saves MIN_SAVING: the compressed form is
    committed at `key` by a part (release it once the row records it). None: not worth it, the
    blob is left as it was."""
    packer = await to_thread.run_sync(_Packer, store, key, level)
    part = await store.new_part(key)
    try:
        while (data := await to_thread.run_sync(packer.step)) is not None:
            if data:
                await part.append(data)
            if packer.hopeless():
                break
        else:
            await part.append(await to_thread.run_sync(packer.finish))
            if packer.worth_it():
                await part.commit(key)
                return Packed(part, packer.size, part.size)
        await part.discard()
        return None
    except BaseException:
        with anyio.CancelScope(shield=True):
            await part.discard()
        raise
    finally:
        with anyio.CancelScope(shield=True):
            await to_thread.run_sync(packer.close)
