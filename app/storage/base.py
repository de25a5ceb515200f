"""Where bytes live: blobs by key and byte streams, never by path.

Keys are server-generated (see `keys`); a client's name never becomes one. Every store gives the
same semantics (pinned by tests/storage/test_contract.py): a blob appears whole or not at all,
ranges past the end are cut at the end, and a missing key raises `BlobNotFound`.
"""

from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import BinaryIO, Protocol

ByteRange = tuple[int, int]  # start, end (exclusive)
# Given a blob's size, the one range worth reading at once (small), or None to read nothing yet.
RangeChoice = Callable[[int], ByteRange | None]
Bytes = bytes | bytearray | memoryview


class Hasher(Protocol):
    def update(self, data: Bytes, /) -> None: ...


class BlobNotFound(LookupError):
    def __init__(self, key: str) -> None:
        super().__init__(f"no blob {key!r}")
        self.key = key


class ResumableBusy(RuntimeError):
    """Another request (in this process or another) holds the resumable upload's bytes."""

    def __init__(self, upload_id: str) -> None:
        super().__init__(f"resumable upload {upload_id!r} is held by another writer")
        self.upload_id = upload_id


@dataclass(frozen=True)
class BlobStat:
    size: int
    modified: datetime


@dataclass(frozen=True)
class BlobEntry:
    key: str
    size: int
    modified: datetime


# Whether the rows of a blob's upload made it in (the sweep keeps the blob then).
KeepCheck = Callable[[str], Awaitable[bool]]


@dataclass
class Sweep:
    """What a sweep removed: parts of uploads that died, and blobs committed by an upload that died
    before its rows were."""

    parts: list[str] = field(default_factory=list)
    blobs: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Capacity:
    free: int
    total: int


class Part(Protocol):
    """An upload in progress: bytes appended in order, then committed under a key or discarded."""

    @property
    def name(self) -> str: ...

    @property
    def size(self) -> int: ...

    async def append(self, data: Bytes, *, hasher: Hasher | None = None) -> None:
        """Add `data` at the end; `hasher` (if any) is updated with it on the way, in the same
        worker-thread hop as the write (one hop per batch, not two)."""
        ...

    async def commit(self, key: str) -> None:
        """Make the bytes the blob `key`, atomically. The part keeps a claim on the blob until
        `release` (or `discard`), so a sweep can tell an upload in progress from a dead one."""
        ...

    async def release(self) -> None:
        """The blob's rows are committed: drop the claim."""
        ...

    async def discard(self) -> None:
        """Drop the bytes not yet committed and any claim; safe to call twice, or after a commit
        (the committed blob stays: the caller deletes it)."""
        ...

    def local_copy(self) -> BinaryIO | None:
        """The bytes appended so far as a seekable regular file, where the part keeps one (asked
        for with `new_part(..., local_copy=True)` from a store whose own reads are remote); None
        otherwise: read the committed blob with `open_sync`. Blocking reads; valid until `release`
        or `discard`, which remove it."""
        ...


class HeldResumable(Protocol):
    """The bytes of a resumable upload while one writer holds them (see `BlobStore.hold_resumable`)."""

    @property
    def size(self) -> int: ...

    async def append(self, data: Bytes, *, hasher: Hasher | None = None) -> None:
        """Add `data` at the end, updating `hasher` in the same worker-thread hop as the write."""
        ...

    async def truncate(self, size: int) -> None:
        """Cut the bytes back to `size` (a chunk that failed its checksum)."""
        ...

    def read(self, start: int = 0, end: int | None = None) -> AsyncGenerator[bytes, None]:
        """The bytes of [start, end) so far, in chunks."""
        ...

    async def into_part(self) -> Part:
        """Hand the bytes over as a `Part` for the ingest pipeline (commit under a key, or discard);
        the resumable upload is gone from its namespace then."""
        ...

    async def delete(self) -> None:
        """Remove the bytes for good (termination, expiry, a refused upload)."""
        ...


class BlobStore(Protocol):
    # True when every call is a network round trip (object storage), which a request should not
    # make while it holds a database connection
    remote: bool

    async def check(self) -> None:
        """Raise when the store cannot be written (readiness probe)."""
        ...

    async def put(self, key: str, data: Bytes) -> BlobStat:
        """Store `data` under `key`, replacing any blob there; readers see the old or the new whole."""
        ...

    async def put_stream(self, key: str, chunks: AsyncIterable[Bytes]) -> BlobStat: ...

    def read(self, key: str, start: int = 0, end: int | None = None) -> AsyncGenerator[bytes, None]:
        """The bytes of [start, end) in chunks; `end` past the size stops at the size."""
        ...

    async def read_bytes(self, key: str, start: int = 0, end: int | None = None) -> bytes:
        """A small range at once (one round trip)."""
        ...

    async def peek(self, key: str, choose: RangeChoice) -> tuple[BlobStat, bytes | None]:
        """Stat, and read the range `choose(size)` names in the same round trip where the store can."""
        ...

    async def stat(self, key: str) -> BlobStat: ...

    async def delete(self, key: str) -> None:
        """Remove `key`; a missing one is fine."""
        ...

    async def delete_prefix(self, prefix: str) -> None:
        """Remove every blob whose key starts with `prefix` (a key's renditions)."""
        ...

    def scan(self, prefix: str) -> AsyncIterator[BlobEntry]:
        """Every blob under `prefix`, in no particular order (for sweeps)."""
        ...

    def open_sync(self, key: str) -> AbstractContextManager[BinaryIO]:
        """A seekable reader for decoders; blocking, so call it in a worker thread."""
        ...

    async def new_part(self, key: str | None = None, *, local_copy: bool = False) -> Part:
        """An upload part; `key` is where it will most likely be committed (a store may write there
        directly while the part stays invisible, as an S3 multipart upload does). `local_copy`: the
        bytes will be read whole right after the commit (a video's poster): a store whose reads are
        remote keeps a local copy of them too (`Part.local_copy`), so they are not fetched back."""
        ...

    async def sweep_parts(self, *, is_kept: KeepCheck, older_than_seconds: float) -> Sweep:
        """Remove what crashed uploads left: parts nobody writes, and blobs whose upload died before
        its rows (unless `is_kept`). A store that cannot tell a dead writer uses the age."""
        ...

    async def create_resumable(self, upload_id: str) -> None:
        """Start the empty bytes of a resumable upload, kept under `upload_id` (a uuid hex) across
        requests and processes, and out of reach of `sweep_parts`, until deleted."""
        ...

    def hold_resumable(self, upload_id: str) -> AbstractAsyncContextManager[HeldResumable]:
        """Hold a resumable upload's bytes for writing: one holder at a time across processes, the
        others get `ResumableBusy` at once; `BlobNotFound` when there are none."""
        ...

    async def resumable_size(self, upload_id: str) -> int:
        """How many bytes a resumable upload has (`BlobNotFound` when none)."""
        ...

    async def delete_resumable(self, upload_id: str) -> None:
        """Remove a resumable upload's bytes, held or not; missing ones are fine."""
        ...

    async def resumable_ids(self) -> list[str]:
        """Every resumable upload that has bytes (for the expiry sweep)."""
        ...

    async def presign_get(self, key: str, *, seconds: int, disposition: str, media_type: str) -> str | None:
        """A short-lived URL that reads `key` with no other credential, answered with this
        Content-Disposition and Content-Type; None where the store cannot (a local directory)."""
        ...

    async def capacity(self) -> Capacity | None:
        """Free and total bytes where the store has a bound (a disk), else None."""
        ...
