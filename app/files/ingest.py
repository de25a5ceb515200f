"""The one ingest pipeline: async byte chunks plus a name in, a kept `File` out.

Every way of receiving bytes (multipart uploads, the artwork upload, `atrium import`, and
resumable uploads through `adopt`) is an adapter that calls `Intake` while bytes arrive and `keep` at the end.
`Intake` sniffs the first bytes, checks the allowlist, name agreement, size and quota as bytes
arrive, and hashes and writes them to a blob-store part in batches off the event loop. `keep`
commits the parts as blobs, reads image metadata, then applies folder, quota, duplicates and the
rows in one short transaction. Bytes first, then rows; on any failure nothing is kept.
"""

import hashlib
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import anyio
import magic
from anyio import to_thread
from anyio.abc import TaskGroup
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
from sqlalchemy.ext.asyncio import AsyncSession

from app import activity, kinds, metrics, ratelimit
from app.auth.service import quota_of
from app.config import Settings
from app.db import utcnow
from app.errors import AppError, PayloadTooLarge, UnsupportedMediaType
from app.files import derived as derive
from app.files import service as files
from app.files.originals import compressible, fresh_original
from app.files.previews import image_problem, read_text_head
from app.imaging.decode import ImageError
from app.imaging.exif import ImageMetadata, read_metadata
from app.library import search_text as search
from app.models import File, ImageMeta, User
from app.scanning import policy as scanning
from app.storage import keys, packed
from app.storage.base import BlobStore, Part
from app.storage.packed import Stored
from app.work import ImageWork

logger = logging.getLogger("atrium.ingest")
SNIFF_BYTES = 8 * 1024
BATCH_BYTES = 4 * 1024 * 1024
WRITE_QUEUE = 1  # batches waiting for the writer: one being written, one queued, one filling
CLOSE = {"Connection": "close"}

# Adjusts the new rows inside the keeping transaction (the artwork upload's fields and gallery).
Decorate = Callable[[list[File]], Awaitable[None]]
Batch = tuple["Candidate", bytearray, bool]  # the file, its next bytes, whether they are the last


@dataclass
class Limits:
    max_file_size: int
    quota_left: int
    allowed_types: frozenset[str]
    kinds: frozenset[str] | None
    max_files: int | None = None  # files per request (empty ones count too); None: no cap


@dataclass
class Candidate:
    """One file on its way in. Only the writer touches `part` and `hasher`."""

    name: str
    size: int = 0
    mime_type: str = ""
    kind: str = ""
    pending: bytearray = field(default_factory=bytearray)
    complete: bool = False
    closed: bool = False
    part: Part | None = None
    hasher: "hashlib._Hash" = field(default_factory=hashlib.sha256)
    metadata: ImageMetadata | None = None
    text: str | None = None
    derived: derive.Derived = field(default_factory=derive.Derived)
    storage_key: str = field(default_factory=lambda: uuid.uuid4().hex)
    compressed: packed.Packed | None = None  # compressed at rest (COMPRESS_AT_REST) by its own part
    encoding: str | None = None  # as the row records it: None (not tried), zstd or identity
    streamed: scanning.Streamed | None = None  # clamd's scan of the bytes as they arrived

    @property
    def sha256(self) -> str:
        return self.hasher.hexdigest()

    def parts(self) -> list[Part]:
        """The parts that wrote this file's original: as received, then compressed."""
        return [p for p in (self.part, self.compressed.part if self.compressed else None) if p is not None]

    @property
    def original(self) -> Stored:
        """The original as committed (compression at rest comes after every read of keeping)."""
        return fresh_original(self.storage_key, self.size)


class Intake:
    """The checks and writes of one request's files, fed by an adapter as bytes arrive."""

    def __init__(self, store: BlobStore, limits: Limits, *, scanning_with: Settings | None = None) -> None:
        self.store = store
        self.limits = limits
        self._scanning_with = scanning_with  # stream each file to clamd as it is written
        self.files: list[Candidate] = []
        self.total = 0
        self._writer: MemoryObjectSendStream[Batch] | None = None

    def start(self, name: str) -> Candidate:
        cap = self.limits.max_files
        if cap is not None and len(self.files) >= cap:
            raise PayloadTooLarge(
                f"an upload request carries at most {cap} files", code="too_many_files", headers=CLOSE
            )
        candidate = Candidate(name=name)
        self.files.append(candidate)
        return candidate

    def take(self, candidate: Candidate, data: bytes | memoryview) -> None:
        """Count bytes as they arrive (413 past the file limit or the quota) and queue them."""
        self._count(candidate, len(data))
        candidate.pending += data

    async def adopt(self, name: str, *, part: Part, hasher: "hashlib._Hash", head: bytes) -> Candidate:
        """A file whose bytes arrived elsewhere (a resumable upload's, already on the store) joins
        as one finished part: the same size, quota and type checks as bytes taken here; `head` is
        its first SNIFF_BYTES and `hasher` has seen every byte."""
        candidate = self.start(name)
        candidate.part, candidate.hasher = part, hasher
        candidate.complete = candidate.closed = True
        self._count(candidate, part.size)
        candidate.pending += head
        await self._sniff(candidate)
        candidate.pending = bytearray()
        return candidate

    def _count(self, candidate: Candidate, size: int) -> None:
        candidate.size += size
        self.total += size
        if candidate.size > self.limits.max_file_size:
            raise PayloadTooLarge(
                f"file '{candidate.name}' exceeds the {self.limits.max_file_size} byte limit",
                code="file_too_large",
                headers=CLOSE,
            )
        if self.total > self.limits.quota_left:
            raise PayloadTooLarge(
                "the upload exceeds your storage quota", code="quota_exceeded", headers=CLOSE
            )

    async def drain(self) -> None:
        """Sniff files whose first bytes arrived; write batches that are full or final."""
        for candidate in self.files:
            if candidate.closed:
                continue
            if not candidate.mime_type:
                if len(candidate.pending) < SNIFF_BYTES and not candidate.complete:
                    continue
                await self._sniff(candidate)
            if candidate.complete or len(candidate.pending) >= BATCH_BYTES:
                data, candidate.pending = candidate.pending, bytearray()
                candidate.closed = candidate.complete
                if self._writer is None:
                    await self._write(candidate, data)
                else:
                    await self._writer.send((candidate, data, candidate.closed))

    async def _write(self, candidate: Candidate, data: bytearray) -> None:
        if candidate.part is None:
            extracted = derive.job_of(candidate.kind, candidate.mime_type) is not None
            key = keys.original(candidate.storage_key)
            candidate.part = await self.store.new_part(key, local_copy=extracted)
        if data:
            await candidate.part.append(data, hasher=candidate.hasher)

    @asynccontextmanager
    async def overlapped_writes(self) -> AsyncIterator[None]:
        """Within the block `drain` hands full batches to a writer task, so the source goes on being
        read while the previous batch is hashed and written; every write has ended when the block
        exits (a failure cancels the writer between batches)."""
        send, receive = anyio.create_memory_object_stream[Batch](WRITE_QUEUE)
        async with anyio.create_task_group() as group:
            group.start_soon(self._write_batches, receive, group)
            self._writer = send
            try:
                yield
            finally:
                self._writer = None
                send.close()

    async def _write_batches(self, batches: MemoryObjectReceiveStream[Batch], group: TaskGroup) -> None:
        async with batches:
            async for candidate, data, last in batches:
                await self._write(candidate, data)
                await self._scan(candidate, data, last, group)
        for candidate in self.files:
            if candidate.streamed is not None and not candidate.closed:  # its scan saw only a part
                candidate.streamed.end()
                candidate.streamed = None

    async def _scan(self, candidate: Candidate, data: bytearray, last: bool, group: TaskGroup) -> None:
        if self._scanning_with is None:
            return
        if candidate.streamed is None:
            candidate.streamed = scanning.Streamed(self._scanning_with)
            group.start_soon(candidate.streamed.run)
        if data:
            await candidate.streamed.feed(data)
        if last:
            candidate.streamed.end()

    async def _sniff(self, candidate: Candidate) -> None:
        head = bytes(memoryview(candidate.pending)[:SNIFF_BYTES])
        candidate.mime_type = await self.check_head(candidate.name, head)
        candidate.kind = kinds.kind_of(candidate.mime_type)

    async def check_head(self, name: str, head: bytes) -> str:
        """The type of a file from its first bytes, refused (415) as this intake's limits say."""
        sniffed = await to_thread.run_sync(sniff_type, head)
        mime_type = kinds.refine_type(sniffed, name)
        check_type(name, mime_type, self.limits)
        return mime_type

    async def discard(self) -> None:
        """Drop every part and stored blob of this intake; nothing of it is kept."""
        with anyio.CancelScope(shield=True):
            for candidate in self.files:
                try:
                    await self.store.delete(keys.original(candidate.storage_key))
                    await self.store.delete_prefix(keys.renditions_of(candidate.storage_key))
                    for part in candidate.parts():
                        await part.discard()
                except Exception:  # the others still go; a sweep settles what is left
                    logger.exception("could not discard the upload of %r", candidate.name)

    async def release(self) -> None:
        """The rows are committed: the blobs are kept for good."""
        for candidate in self.files:
            for part in candidate.parts():
                try:
                    await part.release()
                except Exception:  # the blob stays kept; its claim is settled by the next sweep
                    logger.exception("could not release the claim of %r", candidate.name)


@asynccontextmanager
async def receiving(intake: Intake) -> AsyncIterator[None]:
    """Run an adapter's reading with overlapped writes; on any failure no part is left."""
    try:
        async with intake.overlapped_writes():
            yield
    except BaseExceptionGroup as errors:  # the writer's task group wraps what was raised
        await intake.discard()
        error = sole_error(errors)
        count_refusal(error)
        raise error from error.__cause__
    except BaseException as exc:
        await intake.discard()
        count_refusal(exc)
        raise


def count_refusal(exc: BaseException) -> None:
    if isinstance(exc, AppError):
        metrics.REFUSED.labels(exc.code).inc()


def sole_error(errors: BaseExceptionGroup[BaseException]) -> BaseException:
    """The first error of a (possibly nested) group: the refusal or failure to answer with."""
    first = errors.exceptions[0]
    return sole_error(first) if isinstance(first, BaseExceptionGroup) else first


def sniff_type(head: bytes) -> str:
    if not head:
        return kinds.EMPTY_TYPE
    return str(magic.from_buffer(head, mime=True))


def check_type(name: str, mime_type: str, limits: Limits) -> None:
    if not kinds.names_agree(name, mime_type):
        raise type_mismatch(name, mime_type)
    if mime_type not in limits.allowed_types:
        raise UnsupportedMediaType(f"'{name}': files of type {mime_type} are not accepted")
    if limits.kinds is not None and kinds.kind_of(mime_type) not in limits.kinds:
        raise UnsupportedMediaType(f"'{name}': only {', '.join(sorted(limits.kinds))} files are accepted")


def type_mismatch(name: str, mime_type: str) -> UnsupportedMediaType:
    active = kinds.active_extension(name, mime_type)
    claim = f"an active or executable .{active} file" if active else kinds.claimed_kind(name)
    return UnsupportedMediaType(
        f"'{name}' is named like {claim} but its content is {mime_type}", code="type_mismatch"
    )


async def open_intake(
    session: AsyncSession,
    *,
    settings: Settings,
    store: BlobStore,
    user: User,
    kinds_allowed: Collection[str] | None = None,
    max_files: int | None = None,
) -> Intake:
    """An intake with the owner's limits: what the settings allow and what the quota has left."""
    used = await files.used_bytes(session, owner_id=user.id)
    limits = Limits(
        max_file_size=settings.max_file_size,
        quota_left=quota_of(user, settings) - used,
        allowed_types=settings.allowed_type_set,
        kinds=frozenset(kinds_allowed) if kinds_allowed is not None else None,
        max_files=max_files,
    )
    return Intake(store, limits, scanning_with=settings if settings.clamd_address else None)


def upload_bucket(settings: Settings, user: User) -> ratelimit.Bucket:
    """Uploads per user are rate-limited (429 past UPLOAD_RATE_LIMIT in the window)."""
    return ratelimit.Bucket(f"upload:{user.id}", settings.upload_rate_limit)


async def count_upload(session: AsyncSession, *, settings: Settings, user: User) -> None:
    """Records the upload at once, in a write of its own (resumable uploads, at their creation)."""
    await ratelimit.throttle(
        session,
        key=upload_bucket(settings, user).key,
        limit=settings.upload_rate_limit,
        window_seconds=settings.upload_rate_window_seconds,
        what="uploads",
    )


async def check_upload(session: AsyncSession, *, settings: Settings, user: User) -> None:
    """Refuses an upload over the limit before its bytes arrive; `keep(..., rate_limited=True)`
    records it in the transaction that keeps the files."""
    await ratelimit.check(
        session,
        bucket=upload_bucket(settings, user),
        window_seconds=settings.upload_rate_window_seconds,
        what="uploads",
    )


async def keep(
    session: AsyncSession,
    *,
    settings: Settings,
    work: ImageWork,
    user: User,
    intake: Intake,
    folder_id: uuid.UUID | None,
    decorate: Decorate | None = None,
    rate_limited: bool = False,
) -> list[File]:
    """Keep every file of a finished intake, all or nothing, and commit (owns the unit of work).

    The quota is checked again under the owner's write lock, so concurrent uploads of one owner
    cannot all pass a check made before any of them was inserted; so is the upload rate limit
    with `rate_limited` (the upload's hit is recorded in this transaction).
    """
    owner_id = user.id  # the rollback below expires `user`
    try:
        await _store_blobs(intake, work, settings)
        used = await files.lock_owner(session, owner_id=user.id)
        if rate_limited:
            await ratelimit.record_locked(
                session,
                bucket=upload_bucket(settings, user),
                window_seconds=settings.upload_rate_window_seconds,
                what="uploads",
            )
        if used + intake.total > quota_of(user, settings):
            raise PayloadTooLarge("the upload exceeds your storage quota", code="quota_exceeded")
        rows = [new_file_row(candidate, owner_id=user.id, folder_id=folder_id) for candidate in intake.files]
        await files.link_duplicates(session, owner_id=user.id, rows=rows)
        # Staged before the one flush of add_uploaded: each table written once, no UPDATE after.
        for candidate, row in zip(intake.files, rows, strict=True):
            derive.apply(row, candidate.derived)
            if candidate.text is not None:
                search.index_text(session, file_id=row.id, content=candidate.text)
        await files.add_uploaded(session, rows=rows)
        if decorate is not None:
            await decorate(rows)
        with anyio.CancelScope(shield=True):  # once it runs, its outcome decides what is kept
            await session.commit()
    except BaseException as exc:
        count_refusal(exc)
        with anyio.CancelScope(shield=True):
            await session.rollback()  # ends the transaction: the owner's lock is released now
            await intake.discard()
            if isinstance(exc, scanning.MalwareDetected):
                await _record_malware(session, owner_id=owner_id)
        raise
    with anyio.CancelScope(shield=True):  # the rows are in: never discard their bytes from here on
        await intake.release()
    metrics.FILES_KEPT.inc(len(rows))
    metrics.UPLOAD_BYTES.inc(intake.total)
    return rows


async def _record_malware(session: AsyncSession, *, owner_id: uuid.UUID) -> None:
    """The refused upload's entry in the owner's activity log, in a transaction of its own."""
    try:
        activity.record(session, owner_id=owner_id, file_id=None, action="malware")
        await session.commit()
    except Exception:  # the refusal stands; only its log entry is lost
        logger.exception("could not log a malware refusal")
        await session.rollback()


async def _store_blobs(intake: Intake, work: ImageWork, settings: Settings) -> None:
    """Commit each part as its original, have the malware scanner check it (when CLAMD_ADDRESS is
    set), then read what the rows need from the stored bytes: image size and EXIF (a decompression
    bomb refuses the upload; a damaged image is kept) and text."""
    for candidate in intake.files:
        assert candidate.part is not None, "keep() runs after the intake has drained"
        await candidate.part.commit(keys.original(candidate.storage_key))
    for candidate in intake.files:
        key = keys.original(candidate.storage_key)
        await scanning.check_blob(
            settings, intake.store, key=key, name=candidate.name, streamed=candidate.streamed
        )
    for candidate in intake.files:
        if candidate.kind == "image":
            candidate.metadata = await _image_metadata(intake.store, work, candidate.storage_key)
        elif candidate.kind == "text":
            candidate.text = await read_text_head(
                intake.store, source=candidate.original, limit=search.TEXT_LIMIT
            )
        if candidate.kind != "image" or candidate.metadata is not None:
            candidate.derived = await derive.derive(
                intake.store,
                work,
                storage_key=candidate.storage_key,
                source=candidate.original,
                kind=candidate.kind,
                mime_type=candidate.mime_type,
                local=None if candidate.part is None else candidate.part.local_copy(),
            )
            candidate.text = candidate.derived.text or candidate.text
    if settings.compress_at_rest:
        for candidate in intake.files:
            await _compress(intake.store, candidate)


async def _compress(store: BlobStore, candidate: Candidate) -> None:
    """Compress the original in place when its type is worth trying and the try saves enough;
    after every read of keeping, before the rows (which record it) commit."""
    if candidate.size and compressible(candidate.mime_type):
        candidate.compressed = await packed.pack(store, keys.original(candidate.storage_key))
        candidate.encoding = packed.ZSTD if candidate.compressed else packed.IDENTITY


async def _image_metadata(store: BlobStore, work: ImageWork, storage_key: str) -> ImageMetadata | None:
    def read(key: str) -> ImageMetadata:
        with store.open_sync(key) as handle:
            return read_metadata(handle)

    try:
        return await work.run(read, keys.original(storage_key))
    except ImageError as exc:
        if exc.code == "image_too_large":
            raise image_problem(exc) from exc
        return None


def image_meta_row(
    file_id: uuid.UUID, metadata: ImageMetadata | None, *, thumbhash: str | None = None
) -> ImageMeta | None:
    if metadata is None:
        return None
    return ImageMeta(
        file_id=file_id,
        width=metadata.width,
        height=metadata.height,
        taken_at=metadata.taken_at,
        camera_make=metadata.camera_make,
        camera_model=metadata.camera_model,
        lens=metadata.lens,
        exposure_time=metadata.exposure_time,
        f_number=metadata.f_number,
        iso=metadata.iso,
        focal_length=metadata.focal_length,
        gps_latitude=metadata.gps_latitude,
        gps_longitude=metadata.gps_longitude,
        orientation=metadata.orientation,
        exif=metadata.exif,
        thumbhash=thumbhash,
    )


def new_file_row(candidate: Candidate, *, owner_id: uuid.UUID, folder_id: uuid.UUID | None) -> File:
    now = utcnow()
    file_id = uuid.uuid4()
    return File(
        id=file_id,
        owner_id=owner_id,
        folder_id=folder_id,
        name=candidate.name,
        storage_key=candidate.storage_key,
        mime_type=candidate.mime_type,
        kind=candidate.kind,
        size=candidate.size,
        sha256=candidate.sha256,
        created_at=now,
        updated_at=now,
        download_count=0,
        view_count=0,
        tags=[],
        image=image_meta_row(file_id, candidate.metadata, thumbhash=candidate.derived.thumbhash),
        encoding=candidate.encoding,
        stored_size=candidate.compressed.stored_size if candidate.compressed else None,
    )
