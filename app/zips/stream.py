"""ZIP archives streamed as they are built (zipstream-ng): stored, not compressed (photos and most
files do not shrink), ZIP64 when needed, sized up front so the response carries a Content-Length.

The archive is generated in a thread of its own, a batch or two ahead of the sender, reading each
member through the store's `open_sync` 1 MiB at a time (so it works on any store): memory stays
flat whatever the archive's size, and the first bytes go out before the first member is read.
"""

import posixpath
import queue
import threading
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass, field

import anyio
from anyio import to_thread
from zipstream import ZipStream

from app.storage import packed
from app.storage.base import BlobStore
from app.storage.packed import Stored

READ_CHUNK = 1024 * 1024
FIRST_BATCH = 64 * 1024  # a small first batch: the first byte at once
BATCH = 1024 * 1024


@dataclass(frozen=True)
class Member:
    """One file of an archive: its path inside the archive and where its bytes live."""

    path: str
    blob: Stored
    size: int


@dataclass
class Archive:
    """What goes into one ZIP: files (with unique paths) and directories (kept even when empty)."""

    name: str
    members: list[Member] = field(default_factory=list)
    directories: list[str] = field(default_factory=list)


def safe_segment(name: str) -> str:
    """A display name as one path segment: no separators, no `.`/`..`, never empty."""
    cleaned = name.replace("/", "_").replace("\\", "_").strip()
    return "_" if cleaned in ("", ".", "..") else cleaned


def numbered(path: str, number: int) -> str:
    """`a/b.jpg` -> `a/b (2).jpg`; a leading dot is no extension (`.bashrc (2)`)."""
    head, tail = posixpath.split(path)
    stem, dot, ext = tail.rpartition(".")
    named = f"{stem} ({number}).{ext}" if dot and stem else f"{tail} ({number})"
    return posixpath.join(head, named) if head else named


def unique_paths(paths: Iterable[str], *, taken: Iterable[str] = ()) -> list[str]:
    """Each path as given, or with ` (2)`, ` (3)`... when an earlier one (compared without case,
    as Windows and macOS unpack them) has it already."""
    seen = {p.casefold() for p in taken}
    unique: list[str] = []
    for path in paths:
        candidate, number = path, 1
        while candidate.casefold() in seen:
            number += 1
            candidate = numbered(path, number)
        seen.add(candidate.casefold())
        unique.append(candidate)
    return unique


def _member_bytes(store: BlobStore, blob: Stored) -> Iterator[bytes]:
    """A member's (logical) bytes, read when the archive reaches it (in a worker thread)."""
    with packed.open_sync(store, blob) as handle:
        while chunk := handle.read(READ_CHUNK):
            yield chunk


def build(store: BlobStore, archive: Archive) -> ZipStream:
    """The archive's stream (nothing read yet); `len()` of it is the archive's exact size."""
    zipped = ZipStream(sized=True)
    for directory in archive.directories:
        zipped.mkdir(directory)
    for member in archive.members:
        zipped.add(_member_bytes(store, member.blob), member.path, size=member.size)
    return zipped


def _next_batch(chunks: Iterator[bytes], limit: int) -> list[bytes]:
    """The next chunks of at least `limit` bytes in all (fewer at the end); not joined: no copy."""
    batch: list[bytes] = []
    size = 0
    for chunk in chunks:
        batch.append(chunk)
        size += len(chunk)
        if size >= limit:
            break
    return batch


class _Producer:
    """Builds the archive's batches in one thread of its own, a few ahead of the sender, so reading
    and checksumming the next batch overlaps sending this one. At most `depth` batches wait."""

    def __init__(self, chunks: Iterator[bytes], depth: int = 2) -> None:
        self.chunks = chunks
        self.queue: queue.Queue[list[bytes] | BaseException] = queue.Queue(maxsize=depth)
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, name="zip-stream", daemon=True)

    def _run(self) -> None:
        try:
            limit = FIRST_BATCH
            while not self.stopped.is_set():
                batch = _next_batch(self.chunks, limit)
                self._put(batch)
                if not batch:
                    return
                limit = BATCH
        except Exception as exc:
            self._put(exc)
        finally:
            close = getattr(self.chunks, "close", None)
            if close is not None:
                close()  # in this thread, the one that iterates: closes the member being read

    def _put(self, item: list[bytes] | BaseException) -> None:
        while not self.stopped.is_set():
            try:
                self.queue.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def stop(self) -> None:
        self.stopped.set()
        self.thread.join()


async def stream(zipped: ZipStream) -> AsyncIterator[bytes]:
    """The archive's bytes, made a batch or two ahead in a thread; stopping early (the client went away)
    stops that thread and closes the member being read."""
    producer = _Producer(iter(zipped))
    producer.thread.start()
    try:
        while True:
            item = await to_thread.run_sync(producer.queue.get)
            if isinstance(item, BaseException):
                raise item
            if not item:
                return
            for chunk in item:
                yield chunk
    finally:
        with anyio.CancelScope(shield=True):
            await to_thread.run_sync(producer.stop)
