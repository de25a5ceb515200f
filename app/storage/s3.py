"""Blobs in an S3-compatible object store (obstore), under `s3://bucket/prefix`.

Uploads stream into multipart uploads (obstore's buffered writer: memory stays at one buffer
whatever the size), and a multipart upload is invisible until it completes, which is what makes a
part invisible until committed. A part told its key up front (`new_part(key)`) writes there
directly; otherwise it writes under `tmp/parts/` and its commit is a server-side copy.

A committed part leaves a claim object (`tmp/claims/<part>`, naming the key) until `release`. The
store cannot tell whether another process's writer is alive, so a sweep settles only claims and
stray parts that this process does not hold and that are older than the age it is given. Bytes of
a multipart upload that a crashed process never completed are not listed by obstore: the bucket's
lifecycle rule `AbortIncompleteMultipartUpload` removes them (README, "Running at scale").

A resumable (tus) upload lives under `resumable/<id>/`: a `lock` object that marks it and names its
holder, and each append as one object named by its offset. One writer at a time across processes:
taking the lock is a conditional PUT on the lock's ETag, so of two racing writers one gets
`ResumableBusy`; a holder that died is taken over once its lock is `STALE_SECONDS` old (a live
holder rewrites it on its appends). S3 cannot append or concatenate small objects server-side, so
the commit streams the pieces, in order, into the multipart upload of the key.
"""

import io
import tempfile
import time
import uuid
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Iterator
from contextlib import AbstractContextManager, asynccontextmanager, contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, BinaryIO, cast
from urllib.parse import urlsplit

import anyio
import obstore
from anyio import to_thread
from obstore.store import S3Store

from app.storage import keys
from app.storage.base import (
    BlobEntry,
    BlobNotFound,
    BlobStat,
    Bytes,
    Hasher,
    KeepCheck,
    RangeChoice,
    ResumableBusy,
    Sweep,
)

if TYPE_CHECKING:
    from obstore import AsyncWritableFile

CHUNK_SIZE = 1024 * 1024
PART_BUFFER = 8 * 1024 * 1024  # one multipart part; the memory an upload holds
PARTS = "tmp/parts/"
CLAIMS = "tmp/claims/"
RESUMABLE = "resumable/"
LOCK = "lock"
STALE_SECONDS = 600.0  # a resumable upload's lock this old has lost its holder (a live one rewrites
# it every tenth of that on its appends)


@dataclass(frozen=True)
class S3Location:
    bucket: str
    prefix: str
    access_key_id: str | None = None
    secret_access_key: str | None = None
    region: str | None = None
    endpoint_url: str | None = None

    @classmethod
    def parse(cls, url: str, **credentials: str | None) -> "S3Location":
        parts = urlsplit(url)
        if parts.scheme != "s3" or not parts.netloc:
            raise ValueError(f"not an s3:// URL: {url!r}")
        return cls(bucket=parts.netloc, prefix=parts.path.strip("/"), **credentials)


def _stat_of(meta: Any) -> BlobStat:
    return BlobStat(size=int(meta["size"]), modified=meta["last_modified"])


class S3Part:
    """An upload in progress: a buffered multipart writer to its target, a claim once committed;
    with `local_copy`, the same bytes in a temporary file too (written in the hasher's thread hop)."""

    def __init__(
        self, store: "S3BlobStore", name: str, target: str | None, *, local_copy: bool = False
    ) -> None:
        self._store = store
        self._name = name
        self._target = target if target is not None else PARTS + name
        self._writer: AsyncWritableFile | None = None
        self._size = 0
        self._committed = False
        self._claimed = False
        self._wants_copy = local_copy
        self._copy: BinaryIO | None = None

    @property
    def name(self) -> str:
        return self._name

    @property
    def size(self) -> int:
        return self._size

    async def append(self, data: Bytes, *, hasher: Hasher | None = None) -> None:
        if hasher is not None or (self._wants_copy and data):
            await to_thread.run_sync(self._hash_and_copy, data, hasher)
        if not data:
            return
        if self._writer is None:
            self._store.held.add(self._name)
            self._writer = obstore.open_writer_async(
                self._store.objects, self._target, buffer_size=PART_BUFFER, max_concurrency=4
            )
        await self._writer.write(data)
        self._size += len(data)

    def _hash_and_copy(self, data: Bytes, hasher: Hasher | None) -> None:
        if hasher is not None:
            hasher.update(data)
        if self._wants_copy and data:
            if self._copy is None:
                # closed on release or discard
                self._copy = cast(BinaryIO, tempfile.TemporaryFile(prefix="atrium-part-"))  # noqa: SIM115
            self._copy.write(data)
            self._copy.flush()

    def local_copy(self) -> BinaryIO | None:
        return self._copy

    async def _drop_copy(self) -> None:
        copy, self._copy = self._copy, None
        if copy is not None:
            await to_thread.run_sync(copy.close)

    async def commit(self, key: str) -> None:
        keys.check_blob_key(key)
        self._store.held.add(self._name)
        await obstore.put_async(self._store.objects, CLAIMS + self._name, key.encode())
        self._claimed = True
        writer, self._writer = self._writer, None
        if writer is None:
            await obstore.put_async(self._store.objects, key, b"")
        else:
            await writer.close()
            if self._target != key:
                await obstore.copy_async(self._store.objects, self._target, key)
                await obstore.delete_async(self._store.objects, self._target)
        self._committed = True

    async def release(self) -> None:
        await self._drop_copy()
        if self._claimed:
            await obstore.delete_async(self._store.objects, CLAIMS + self._name)
            self._claimed = False
        self._store.held.discard(self._name)

    async def discard(self) -> None:
        # An open writer is dropped uncompleted: its multipart upload never becomes an object.
        self._writer = None
        await self.release()


def _piece(prefix: str, offset: int) -> str:
    return f"{prefix}{offset:016d}"


class S3HeldResumable:
    """A resumable upload's pieces while this writer holds its lock (the ETag of its last write)."""

    def __init__(
        self, store: "S3BlobStore", upload_id: str, e_tag: str, pieces: list[tuple[int, int]]
    ) -> None:
        self._store = store
        self.upload_id = upload_id
        self.prefix = f"{RESUMABLE}{upload_id}/"
        self.e_tag: str | None = e_tag
        self.locked_at = time.monotonic()
        self.pieces = pieces  # (offset, size) in order, contiguous from 0
        self.handed_over = False

    @property
    def size(self) -> int:
        return self.pieces[-1][0] + self.pieces[-1][1] if self.pieces else 0

    async def _check_lock(self) -> None:
        """Still ours? Rewrite the lock now and then, so that nobody takes it as a dead holder's."""
        if self.e_tag is None:
            raise ResumableBusy(self.upload_id)
        if time.monotonic() - self.locked_at >= self._store.lock_stale_seconds / 10:
            self.e_tag = await self._store.write_lock(self.upload_id, self.e_tag, held=True)
            self.locked_at = time.monotonic()

    async def append(self, data: Bytes, *, hasher: Hasher | None = None) -> None:
        await self._check_lock()
        if hasher is not None:
            await to_thread.run_sync(hasher.update, data)
        if not data:
            return
        offset = self.size
        await obstore.put_async(self._store.objects, _piece(self.prefix, offset), bytes(data))
        self.pieces.append((offset, len(data)))

    async def truncate(self, size: int) -> None:
        await self._check_lock()
        while self.pieces and self.pieces[-1][0] >= size:
            offset, _ = self.pieces.pop()
            await obstore.delete_async(self._store.objects, _piece(self.prefix, offset))
        if self.pieces and self.size > size:  # the last piece straddles `size`: keep its head
            offset, _length = self.pieces[-1]
            head = await obstore.get_range_async(
                self._store.objects, _piece(self.prefix, offset), start=0, end=size - offset
            )
            await obstore.put_async(self._store.objects, _piece(self.prefix, offset), bytes(head))
            self.pieces[-1] = (offset, size - offset)

    async def read(self, start: int = 0, end: int | None = None) -> AsyncGenerator[bytes, None]:
        stop = self.size if end is None else min(end, self.size)
        for offset, length in list(self.pieces):
            first, last = max(start, offset), min(stop, offset + length)
            if first >= last:
                continue
            result = await obstore.get_async(
                self._store.objects,
                _piece(self.prefix, offset),
                options={"range": (first - offset, last - offset)},
            )
            async for chunk in result.stream(min_chunk_size=CHUNK_SIZE):
                yield bytes(chunk)

    async def into_part(self) -> "S3ResumablePart":
        """The pieces become a part; the lock stays taken until the part is committed or discarded."""
        await self._check_lock()
        self.handed_over = True
        return S3ResumablePart(self._store, self)

    async def delete(self) -> None:
        await self._store.delete_resumable(self.upload_id)
        self.e_tag = None


class S3ResumablePart:
    """A finished resumable upload on its way to a key: the commit streams its pieces, in order,
    into a part written at the key (one multipart upload), then removes them."""

    def __init__(self, store: "S3BlobStore", held: S3HeldResumable) -> None:
        self._store = store
        self._held = held
        self._part = S3Part(store, uuid.uuid4().hex, None)
        self._committed = False

    @property
    def name(self) -> str:
        return self._part.name

    @property
    def size(self) -> int:
        return self._held.size

    async def append(self, data: Bytes, *, hasher: Hasher | None = None) -> None:
        raise RuntimeError("a finished resumable upload takes no more bytes")

    async def commit(self, key: str) -> None:
        self._part = S3Part(self._store, self._part.name, keys.check_blob_key(key))
        async for chunk in self._held.read():
            await self._part.append(chunk)
        await self._part.commit(key)
        self._committed = True
        await self._store.delete_resumable(self._held.upload_id)

    async def release(self) -> None:
        await self._part.release()

    def local_copy(self) -> BinaryIO | None:
        return None  # its bytes came in earlier requests, into the store only

    async def discard(self) -> None:
        await self._part.discard()
        if not self._committed:
            await self._store.delete_resumable(self._held.upload_id)


class S3BlobStore:
    remote = True

    def __init__(self, location: S3Location, *, lock_stale_seconds: float = STALE_SECONDS) -> None:
        self.location = location
        self.lock_stale_seconds = lock_stale_seconds
        config: dict[str, str] = {}
        for name, value in (
            ("access_key_id", location.access_key_id),
            ("secret_access_key", location.secret_access_key),
            ("region", location.region),
            ("endpoint", location.endpoint_url),
        ):
            if value:
                config[name] = value
        allow_http = bool(location.endpoint_url and location.endpoint_url.startswith("http://"))
        self.objects = S3Store(
            location.bucket,
            prefix=location.prefix or None,
            config=cast(Any, config),
            client_options={"allow_http": allow_http},
        )
        self.held: set[str] = set()  # parts and claims of this process's live uploads
        self._presigner: Any = None

    async def check(self) -> None:
        probe = f"tmp/probe-{uuid.uuid4().hex}"
        await obstore.put_async(self.objects, probe, b"ok")
        await obstore.delete_async(self.objects, probe)

    async def put(self, key: str, data: Bytes) -> BlobStat:
        await obstore.put_async(self.objects, keys.check_blob_key(key), bytes(data))
        return BlobStat(size=len(data), modified=datetime.now(UTC))

    async def put_stream(self, key: str, chunks: AsyncIterable[Bytes]) -> BlobStat:
        part = await self.new_part(key)
        try:
            async for chunk in chunks:
                await part.append(chunk)
            await part.commit(key)
        finally:
            await part.discard()
        return await self.stat(key)

    async def read(self, key: str, start: int = 0, end: int | None = None) -> AsyncGenerator[bytes, None]:
        keys.check_blob_key(key)
        if end is not None and end <= start:
            await self.stat(key)
            return
        options: Any = None
        if end is not None:
            options = {"range": (start, end)}
        elif start:
            options = {"range": {"offset": start}}
        try:
            result = await obstore.get_async(self.objects, key, options=options)
        except FileNotFoundError:
            raise BlobNotFound(key) from None
        except obstore.exceptions.BaseError:
            if start < (await self.stat(key)).size:  # not a range past the end: a real failure
                raise
            return
        async for chunk in result.stream(min_chunk_size=CHUNK_SIZE):
            yield bytes(chunk)

    async def read_bytes(self, key: str, start: int = 0, end: int | None = None) -> bytes:
        return b"".join([chunk async for chunk in self.read(key, start, end)])

    async def peek(self, key: str, choose: RangeChoice) -> tuple[BlobStat, bytes | None]:
        """Two round trips: a HEAD for the size, then a ranged GET of what `choose` names."""
        stat = await self.stat(key)
        wanted = choose(stat.size)
        if wanted is None:
            return stat, None
        return stat, await self.read_bytes(key, *wanted)

    async def stat(self, key: str) -> BlobStat:
        try:
            return _stat_of(await obstore.head_async(self.objects, keys.check_blob_key(key)))
        except FileNotFoundError:
            raise BlobNotFound(key) from None

    async def delete(self, key: str) -> None:
        await obstore.delete_async(self.objects, keys.check_blob_key(key))

    async def delete_prefix(self, prefix: str) -> None:
        doomed = [entry.key async for entry in self.scan(prefix)]
        for start in range(0, len(doomed), 1000):
            await obstore.delete_async(self.objects, doomed[start : start + 1000])

    async def scan(self, prefix: str) -> AsyncIterator[BlobEntry]:
        if not prefix.startswith((keys.ORIGINALS, keys.RENDITIONS, keys.QUARANTINE)):
            return
        async for entry in self._list(prefix):
            try:
                keys.check_blob_key(entry.key)
            except ValueError:
                continue
            yield entry

    async def _list(self, prefix: str) -> AsyncIterator[BlobEntry]:
        """Every object whose key starts with `prefix` (obstore lists by whole path segments)."""
        directory = prefix[: prefix.rfind("/") + 1]
        async for batch in obstore.list(self.objects, prefix=directory or None):
            for meta in batch:
                if meta["path"].startswith(prefix):
                    yield BlobEntry(key=meta["path"], **_stat_of(meta).__dict__)

    def open_sync(self, key: str) -> AbstractContextManager[BinaryIO]:
        """A seekable reader (ranged GETs of CHUNK_SIZE); a missing key raises here, not on entry."""
        try:
            reader = obstore.open_reader(self.objects, keys.check_blob_key(key), buffer_size=CHUNK_SIZE)
        except FileNotFoundError:
            raise BlobNotFound(key) from None
        return _closing(cast(BinaryIO, _Reader(reader)))

    async def new_part(self, key: str | None = None, *, local_copy: bool = False) -> S3Part:
        target = None if key is None else keys.check_blob_key(key)
        return S3Part(self, uuid.uuid4().hex, target, local_copy=local_copy)

    async def sweep_parts(self, *, is_kept: KeepCheck, older_than_seconds: float) -> Sweep:
        sweep = Sweep()
        cutoff = datetime.now(UTC) - timedelta(seconds=older_than_seconds)
        async for entry in self._list(PARTS):
            name = entry.key[len(PARTS) :]
            if name not in self.held and entry.modified <= cutoff:
                await obstore.delete_async(self.objects, entry.key)
                sweep.parts.append(name)
        async for entry in self._list(CLAIMS):
            name = entry.key[len(CLAIMS) :]
            if name in self.held or entry.modified > cutoff:
                continue
            if (key := await self._settle_claim(entry.key, is_kept)) is not None:
                sweep.blobs.append(key)
        sweep.parts.sort()
        return sweep

    async def _settle_claim(self, claim: str, is_kept: KeepCheck) -> str | None:
        """A dead upload's claim: delete its blob unless its rows made it in; the key deleted."""
        try:
            result = await obstore.get_async(self.objects, claim)
            key = bytes(await result.bytes_async()).decode("utf-8", "replace")
        except FileNotFoundError:
            return None
        storage_key = keys.storage_key_of(key)
        kept = storage_key is None or await is_kept(key)
        if not kept and storage_key is not None:
            await self.delete(key)
            await self.delete_prefix(keys.renditions_of(storage_key))
        await obstore.delete_async(self.objects, claim)
        return None if kept else key

    def _resumable(self, upload_id: str) -> str:
        return f"{RESUMABLE}{keys.check_storage_key(upload_id)}/"

    async def create_resumable(self, upload_id: str) -> None:
        with suppress(obstore.exceptions.AlreadyExistsError):
            await obstore.put_async(self.objects, self._resumable(upload_id) + LOCK, b"", mode="create")

    async def write_lock(self, upload_id: str, e_tag: str, *, held: bool) -> str | None:
        """Replace the lock whose ETag is `e_tag` (taken when `held`, else free); its new ETag, or
        `ResumableBusy` when someone else changed it first."""
        body = f"{uuid.uuid4().hex} {time.time()}".encode() if held else b""
        try:
            result = await obstore.put_async(
                self.objects, self._resumable(upload_id) + LOCK, body, mode={"e_tag": e_tag}
            )
        except (obstore.exceptions.PreconditionError, FileNotFoundError):
            raise ResumableBusy(upload_id) from None
        return result["e_tag"]

    async def _take_lock(self, upload_id: str) -> str:
        try:
            result = await obstore.get_async(self.objects, self._resumable(upload_id) + LOCK)
            body = bytes(await result.bytes_async())
        except FileNotFoundError:
            raise BlobNotFound(upload_id) from None
        age = datetime.now(UTC) - result.meta["last_modified"]
        e_tag = result.meta["e_tag"]
        if e_tag is None or (body and age < timedelta(seconds=self.lock_stale_seconds)):
            raise ResumableBusy(upload_id)
        taken = await self.write_lock(upload_id, e_tag, held=True)
        assert taken is not None
        return taken

    async def _pieces(self, upload_id: str) -> list[tuple[int, int]]:
        """The pieces contiguous from offset 0; anything after a gap (a crashed cut) is dropped."""
        prefix, found = self._resumable(upload_id), []
        async for entry in self._list(prefix):
            name = entry.key[len(prefix) :]
            if name.isdigit():
                found.append((int(name), entry.size))
        pieces: list[tuple[int, int]] = []
        for offset, size in sorted(found):
            if offset == (pieces[-1][0] + pieces[-1][1] if pieces else 0):
                pieces.append((offset, size))
        return pieces

    @asynccontextmanager
    async def hold_resumable(self, upload_id: str) -> AsyncIterator[S3HeldResumable]:
        e_tag = await self._take_lock(upload_id)
        held = S3HeldResumable(self, upload_id, e_tag, [])
        try:
            held.pieces = await self._pieces(upload_id)
            yield held
        finally:
            if not held.handed_over and held.e_tag is not None:
                with anyio.CancelScope(shield=True):
                    await self._free_lock(upload_id, held.e_tag)

    async def _free_lock(self, upload_id: str, e_tag: str) -> None:
        with suppress(ResumableBusy):  # deleted, or taken over as stale: not ours to free any more
            await self.write_lock(upload_id, e_tag, held=False)

    async def resumable_size(self, upload_id: str) -> int:
        try:
            await obstore.head_async(self.objects, self._resumable(upload_id) + LOCK)
        except FileNotFoundError:
            raise BlobNotFound(upload_id) from None
        pieces = await self._pieces(upload_id)
        return pieces[-1][0] + pieces[-1][1] if pieces else 0

    async def delete_resumable(self, upload_id: str) -> None:
        doomed = [entry.key async for entry in self._list(self._resumable(upload_id))]
        doomed.sort(key=lambda key: key.endswith(LOCK))  # the lock last: no half-deleted upload is free
        for start in range(0, len(doomed), 1000):
            await obstore.delete_async(self.objects, doomed[start : start + 1000])

    async def resumable_ids(self) -> list[str]:
        """Every upload with an object under `resumable/` (pieces whose lock is gone too)."""
        found = {entry.key[len(RESUMABLE) :].split("/", 1)[0] async for entry in self._list(RESUMABLE)}
        return sorted(upload_id for upload_id in found if keys.STORAGE_KEY.match(upload_id))

    async def capacity(self) -> None:
        return None

    async def presign_get(self, key: str, *, seconds: int, disposition: str, media_type: str) -> str | None:
        """A URL that GETs `key` for `seconds` with no other credential; S3 answers it with the
        given Content-Disposition and Content-Type (signed into the URL, so they cannot be changed)."""
        keys.check_blob_key(key)
        return await to_thread.run_sync(self._presign, key, seconds, disposition, media_type)

    def _presign(self, key: str, seconds: int, disposition: str, media_type: str) -> str:
        if self._presigner is None:
            self._presigner = _botocore_client(self.location)
        path = f"{self.location.prefix}/{key}" if self.location.prefix else key
        params = {
            "Bucket": self.location.bucket,
            "Key": path,
            "ResponseContentDisposition": disposition,
            "ResponseContentType": media_type,
        }
        url = self._presigner.generate_presigned_url("get_object", Params=params, ExpiresIn=seconds)
        return cast(str, url)


class _Reader(io.RawIOBase):
    """obstore's ReadableFile as a file of bytes (it reads obstore `Bytes`, which decoders refuse)."""

    def __init__(self, reader: Any) -> None:
        self._reader = reader

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = memoryview(self._reader.read(len(buffer)))
        buffer[: len(data)] = data
        return len(data)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return int(self._reader.seek(offset, whence))

    def tell(self) -> int:
        return int(self._reader.tell())

    def close(self) -> None:
        self._reader.close()
        super().close()


@contextmanager
def _closing(reader: BinaryIO) -> Iterator[BinaryIO]:
    try:
        yield reader
    finally:
        reader.close()


def _botocore_client(location: S3Location) -> Any:
    """botocore signs the URL: obstore's `sign` cannot sign the response-content-* parameters."""
    from botocore.config import Config  # type: ignore[import-untyped]
    from botocore.session import get_session  # type: ignore[import-untyped]

    return get_session().create_client(
        "s3",
        region_name=location.region or "us-east-1",
        endpoint_url=location.endpoint_url,
        aws_access_key_id=location.access_key_id,
        aws_secret_access_key=location.secret_access_key,
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )
