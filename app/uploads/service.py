"""Resumable uploads (tus 1.0) on the ingest pipeline: a session row in SQL per upload, its bytes as
a resumable part on the blob store, sniffed once the first bytes are in, and `keep(...)` (every rule
of `POST /api/upload`) when the last byte is in. The row's `received` is the offset clients see;
bytes past it (a writer that crashed) are cut off by the next writer."""

import hashlib
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import datetime, timedelta

import anyio
from anyio import to_thread
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import ClientDisconnect

from app.auth.service import quota_of
from app.config import Settings
from app.db import utcnow
from app.errors import AppError, BadRequest, Conflict, Forbidden, NotFound, PayloadTooLarge
from app.files import service as files
from app.files.ingest import SNIFF_BYTES, Intake, count_upload, keep, open_intake
from app.files.schemas import file_read
from app.models import File, UploadSession, User
from app.names import sanitize_name
from app.storage.base import BlobNotFound, BlobStore, HeldResumable, ResumableBusy
from app.uploads.protocol import Checksum, Concat, checksum_matches
from app.uploads.schemas import UploadDetail, UploadRead
from app.work import ImageWork

BATCH_BYTES = 4 * 1024 * 1024
LIST_LIMIT = 500
DEFAULT_NAME = "upload"
RECEIVING, DONE, REFUSED = "receiving", "done", "refused"
# The SHA-256 of each upload's bytes so far, per process: a PATCH that continues where the last one
# in this process ended goes on hashing; otherwise the bytes are hashed again once, at the end.
RUNNING_HASHES: "OrderedDict[uuid.UUID, tuple[int, hashlib._Hash]]" = OrderedDict()
RUNNING_LIMIT = 256


@dataclass(frozen=True)
class Uploader:
    """Who uploads and where the bytes and image work go."""

    settings: Settings
    store: BlobStore
    work: ImageWork
    user: User


@dataclass(frozen=True)
class Creation:
    length: int | None  # None: deferred
    metadata: dict[str, str]
    concat: Concat


@dataclass(frozen=True)
class Chunk:
    offset: int
    body: AsyncIterator[bytes]
    checksum: Checksum | None = None
    length: int | None = None  # Upload-Length sent with a PATCH of a deferred upload


@dataclass
class Progress:
    upload: UploadSession
    file_id: uuid.UUID | None = None


class _Tee:
    """Hashers fed together, in the writer's thread hop."""

    def __init__(self, *hashers: "hashlib._Hash | None") -> None:
        self.hashers = [hasher for hasher in hashers if hasher is not None]

    def update(self, data: bytes | bytearray | memoryview, /) -> None:
        for hasher in self.hashers:
            hasher.update(data)


def upload_not_found() -> NotFound:
    return NotFound("no such upload", code="upload_not_found")


def _remember(upload_id: uuid.UUID, offset: int, hasher: "hashlib._Hash") -> None:
    RUNNING_HASHES[upload_id] = (offset, hasher)
    RUNNING_HASHES.move_to_end(upload_id)
    while len(RUNNING_HASHES) > RUNNING_LIMIT:
        RUNNING_HASHES.popitem(last=False)


def _running_hash(upload_id: uuid.UUID, offset: int) -> "hashlib._Hash | None":
    """A copy of the hash of the first `offset` bytes, when this process has it."""
    found = RUNNING_HASHES.get(upload_id)
    return found[1].copy() if found is not None and found[0] == offset else None


async def get_upload(session: AsyncSession, *, owner_id: uuid.UUID, upload_id: uuid.UUID) -> UploadSession:
    upload = await session.get(UploadSession, upload_id, populate_existing=True)
    if upload is None or upload.owner_id != owner_id:
        raise upload_not_found()
    return upload


def check_open(upload: UploadSession, *, finished_ok: bool = False) -> None:
    """410 for an upload that expired or was refused (and one that made its file, unless `finished_ok`)."""
    if upload.state == RECEIVING and upload.expires_at <= utcnow():
        raise AppError("the upload expired", code="upload_expired")
    if upload.state == REFUSED or (upload.state == DONE and not finished_ok):
        detail = f"the upload ended: {upload.error_detail}" if upload.error_detail else "the upload ended"
        raise AppError(detail, code="upload_ended")


async def _reserved(session: AsyncSession, *, owner_id: uuid.UUID) -> int:
    """Bytes promised to the owner's unfinished uploads (their lengths, or what arrived if deferred)."""
    total = await session.scalar(
        select(func.coalesce(func.sum(func.coalesce(UploadSession.length, UploadSession.received)), 0)).where(
            UploadSession.owner_id == owner_id,
            UploadSession.state == RECEIVING,
            UploadSession.concat != "final",
            UploadSession.expires_at > utcnow(),
        )
    )
    return int(total or 0)


async def _reserve(session: AsyncSession, uploader: Uploader, *, length: int) -> None:
    """413 when `length` is over MAX_FILE_SIZE, or over what the quota has left beside stored files
    and the other unfinished uploads."""
    settings, user = uploader.settings, uploader.user
    if length > settings.max_file_size:
        raise PayloadTooLarge(
            f"the upload's {length} bytes exceed the {settings.max_file_size} byte limit",
            code="file_too_large",
        )
    used = await files.used_bytes(session, owner_id=user.id) + await _reserved(session, owner_id=user.id)
    if used + length > quota_of(user, settings):
        raise PayloadTooLarge("the upload exceeds your storage quota", code="quota_exceeded")


def _expiry(settings: Settings) -> datetime:
    return utcnow() + timedelta(hours=settings.upload_expiry_hours)


async def _new_session(
    session: AsyncSession, uploader: Uploader, *, creation: Creation, length: int | None
) -> UploadSession:
    """The row first, then its (empty) bytes: bytes never exist without a row to expire them."""
    metadata = creation.metadata
    folder_id = await files.resolve_folder_field(
        session, owner_id=uploader.user.id, raw=metadata.get("folder_id")
    )
    now = utcnow()
    upload = UploadSession(
        id=uuid.uuid4(),
        owner_id=uploader.user.id,
        length=length,
        received=0,
        upload_metadata=metadata,
        filename=sanitize_name(metadata.get("filename") or DEFAULT_NAME),
        folder_id=folder_id,
        concat=creation.concat.kind,
        state=RECEIVING,
        created_at=now,
        updated_at=now,
        expires_at=_expiry(uploader.settings),
    )
    session.add(upload)
    await session.commit()
    try:
        await uploader.store.create_resumable(upload.id.hex)
    except BaseException:
        with anyio.CancelScope(shield=True):
            await session.delete(upload)
            await session.commit()
        raise
    return upload


async def create_upload(
    session: AsyncSession, uploader: Uploader, *, creation: Creation, chunk: Chunk | None
) -> Progress:
    """A new upload (201); with `chunk` its first bytes too (creation-with-upload)."""
    await count_upload(session, settings=uploader.settings, user=uploader.user)
    if creation.concat.kind == "final":
        return await _concatenate(session, uploader, creation=creation)
    if creation.length is not None:
        await _reserve(session, uploader, length=creation.length)
    upload = await _new_session(session, uploader, creation=creation, length=creation.length)
    if chunk is not None:
        return await _append(session, uploader, upload, chunk)
    if upload.length == 0 and upload.concat != "partial":
        return await _append(session, uploader, upload, Chunk(offset=0, body=_nothing()))
    return Progress(upload)


async def _nothing() -> AsyncIterator[bytes]:
    return
    yield b""  # pragma: no cover - makes this an async generator


async def append_chunk(
    session: AsyncSession, uploader: Uploader, *, upload_id: uuid.UUID, chunk: Chunk
) -> Progress:
    """PATCH: write the chunk at the upload's offset; the last byte makes the file."""
    upload = await get_upload(session, owner_id=uploader.user.id, upload_id=upload_id)
    return await _append(session, uploader, upload, chunk)


def _offset_mismatch(upload: UploadSession, offset: int) -> Conflict:
    return Conflict(
        f"Upload-Offset is {offset} but the upload has {upload.received} bytes",
        code="upload_offset_mismatch",
        headers={"Upload-Offset": str(upload.received)},
    )


async def _settle_length(
    session: AsyncSession, uploader: Uploader, upload: UploadSession, length: int | None
) -> None:
    if length is None or length == upload.length:
        return
    if upload.length is not None:
        raise Conflict(f"the upload's length is {upload.length}", code="upload_length_fixed")
    if length < upload.received:
        raise BadRequest("Upload-Length is less than the bytes already received", code="invalid_tus_header")
    await _reserve(session, uploader, length=length - upload.received)
    upload.length = length


async def _append(session: AsyncSession, uploader: Uploader, upload: UploadSession, chunk: Chunk) -> Progress:
    if upload.concat == "final":
        raise Forbidden("a final upload is made of its partial uploads", code="upload_is_final")
    check_open(upload)
    await _settle_length(session, uploader, upload, chunk.length)
    if chunk.offset != upload.received:
        raise _offset_mismatch(upload, chunk.offset)
    await session.commit()  # no transaction stays open while the body arrives
    try:
        async with uploader.store.hold_resumable(upload.id.hex) as held:
            upload = await get_upload(session, owner_id=uploader.user.id, upload_id=upload.id)
            check_open(upload)
            if held.size > upload.received:  # a writer died after writing, before its row
                await held.truncate(upload.received)
            if chunk.offset != upload.received or held.size != upload.received:
                raise _offset_mismatch(upload, chunk.offset)
            await session.commit()
            return await _receive(session, uploader, upload, held, chunk)
    except ResumableBusy as exc:
        raise AppError("another request is writing this upload", code="upload_locked") from exc
    except BlobNotFound as exc:
        raise upload_not_found() from exc


async def _read_into(held: HeldResumable, chunk: Chunk, *, limit: int, hasher: _Tee) -> bool:
    """Append the body in batches; past `limit` is 413. True when the client went away mid-body
    (what arrived is written)."""
    pending = bytearray()
    try:
        async for data in chunk.body:
            if held.size + len(pending) + len(data) > limit:
                raise PayloadTooLarge(
                    f"the chunk goes past the upload's {limit} bytes", code="upload_length_exceeded"
                )
            pending += data
            if len(pending) >= BATCH_BYTES:
                await held.append(pending, hasher=hasher)
                pending = bytearray()
    except ClientDisconnect:
        await held.append(pending, hasher=hasher)
        return True
    await held.append(pending, hasher=hasher)
    return False


async def _receive(
    session: AsyncSession, uploader: Uploader, upload: UploadSession, held: HeldResumable, chunk: Chunk
) -> Progress:
    start = held.size
    running = hashlib.sha256() if start == 0 else _running_hash(upload.id, start)
    check = chunk.checksum.hasher() if chunk.checksum is not None else None
    limit = upload.length if upload.length is not None else uploader.settings.max_file_size
    try:
        cut = await _read_into(held, chunk, limit=limit, hasher=_Tee(running, check))
        if chunk.checksum is not None and check is not None:
            if cut:
                raise BadRequest(
                    "the client went away mid-chunk; nothing of it was kept", code="client_disconnected"
                )
            if not checksum_matches(chunk.checksum, check):
                raise AppError(
                    f"the chunk does not match its {chunk.checksum.algorithm} checksum",
                    code="checksum_mismatch",
                )
    except BaseException:
        with anyio.CancelScope(shield=True):
            await held.truncate(start)
        raise
    await _sniff(session, uploader, upload, held)
    upload.received = held.size
    upload.expires_at = _expiry(uploader.settings)
    await session.commit()
    if running is not None:
        _remember(upload.id, held.size, running)
    if cut:
        raise BadRequest(
            "the client went away mid-chunk; the bytes that arrived are kept", code="client_disconnected"
        )
    if upload.length == held.size and upload.concat != "partial":
        return await _finish(session, uploader, upload, held)
    return Progress(upload)


async def _head(held: HeldResumable) -> bytes:
    return b"".join([data async for data in held.read(0, SNIFF_BYTES)])


async def _sniff(
    session: AsyncSession, uploader: Uploader, upload: UploadSession, held: HeldResumable
) -> None:
    """Once the first bytes are in, a type the allowlist refuses ends the upload (bytes deleted)."""
    complete = upload.length == held.size
    if (
        upload.mime_type is not None
        or upload.concat == "partial"
        or (held.size < SNIFF_BYTES and not complete)
    ):
        return
    upload_id, intake = upload.id, await _intake(session, uploader)
    try:
        upload.mime_type = await intake.check_head(upload.filename, await _head(held))
    except AppError as refusal:
        with anyio.CancelScope(shield=True):
            await held.delete()
            await _refuse(session, upload_id, refusal)
        raise


async def _intake(session: AsyncSession, uploader: Uploader) -> Intake:
    return await open_intake(session, settings=uploader.settings, store=uploader.store, user=uploader.user)


async def _refuse(session: AsyncSession, upload_id: uuid.UUID, refusal: AppError) -> None:
    """Record why the upload ended (its bytes are gone by now)."""
    await session.rollback()
    RUNNING_HASHES.pop(upload_id, None)
    upload = await session.get(UploadSession, upload_id, populate_existing=True)
    if upload is not None:
        upload.state, upload.error_code, upload.error_detail = REFUSED, refusal.code, refusal.detail
        await session.commit()


async def _hash_all(held: HeldResumable) -> "hashlib._Hash":
    hasher = hashlib.sha256()
    async for data in held.read():
        await to_thread.run_sync(hasher.update, data)
    return hasher


async def _finish(
    session: AsyncSession, uploader: Uploader, upload: UploadSession, held: HeldResumable
) -> Progress:
    """The last byte is in: keep the file under every rule of `POST /api/upload`, or refuse it."""
    upload_id = upload.id  # the row expires if `keep` rolls back
    head = await _head(held)
    hasher = _running_hash(upload.id, held.size) or await _hash_all(held)
    RUNNING_HASHES.pop(upload.id, None)
    intake = await _intake(session, uploader)
    part = await held.into_part()
    metadata = upload.upload_metadata

    async def record(rows: list[File]) -> None:
        rows[0].title = (metadata.get("title") or "")[:255] or None
        rows[0].description = metadata.get("description") or None
        upload.state, upload.file_id = DONE, rows[0].id

    try:
        await intake.adopt(upload.filename, part=part, hasher=hasher, head=head)
        folder_id = await files.resolve_folder_field(
            session, owner_id=upload.owner_id, raw=None if upload.folder_id is None else str(upload.folder_id)
        )
        await session.commit()  # only reads so far: no connection held while the blobs are stored
        rows = await keep(
            session,
            settings=uploader.settings,
            work=uploader.work,
            user=uploader.user,
            intake=intake,
            folder_id=folder_id,
            decorate=record,
        )
    except AppError as refusal:
        with anyio.CancelScope(shield=True):
            await intake.discard()
            await part.discard()
            await _refuse(session, upload_id, refusal)
        raise
    return Progress(upload, file_id=rows[0].id)


async def _concatenate(session: AsyncSession, uploader: Uploader, *, creation: Creation) -> Progress:
    """A final upload: the partial uploads' bytes in order, then kept as one file; the partials go."""
    ids = creation.concat.parts
    if len(set(ids)) != len(ids):
        raise BadRequest("Upload-Concat names a partial upload twice", code="invalid_tus_header")
    parts = [await get_upload(session, owner_id=uploader.user.id, upload_id=part_id) for part_id in ids]
    for part in parts:
        check_open(part)
        if part.concat != "partial":
            raise BadRequest(f"upload {part.id} is not a partial upload", code="invalid_tus_header")
        if part.length is None or part.received != part.length:
            raise Conflict(f"partial upload {part.id} is not complete", code="upload_not_complete")
    length = sum(part.received for part in parts)
    if length > uploader.settings.max_file_size:
        raise PayloadTooLarge(
            f"the upload's {length} bytes exceed the {uploader.settings.max_file_size} byte limit",
            code="file_too_large",
        )
    await session.commit()
    async with AsyncExitStack() as stack:
        try:
            sources = [
                await stack.enter_async_context(uploader.store.hold_resumable(part.id.hex)) for part in parts
            ]
        except ResumableBusy as exc:
            raise AppError("a partial upload is being written", code="upload_locked") from exc
        except BlobNotFound as exc:
            raise upload_not_found() from exc
        upload = await _new_session(session, uploader, creation=creation, length=length)
        async with uploader.store.hold_resumable(upload.id.hex) as held:
            hasher = hashlib.sha256()
            for source in sources:
                async for data in source.read():
                    await held.append(data, hasher=hasher)
            for source in sources:
                await source.delete()
            await session.execute(delete(UploadSession).where(UploadSession.id.in_(ids)))
            upload.received = held.size
            await session.commit()
            await _sniff(session, uploader, upload, held)
            await session.commit()
            _remember(upload.id, held.size, hasher)
            return await _finish(session, uploader, upload, held)
    raise AssertionError("unreachable")  # pragma: no cover


async def upload_status(session: AsyncSession, *, owner_id: uuid.UUID, upload_id: uuid.UUID) -> UploadSession:
    """HEAD: the upload's offset and length (an expired or refused one is 410)."""
    upload = await get_upload(session, owner_id=owner_id, upload_id=upload_id)
    check_open(upload, finished_ok=True)
    return upload


async def terminate(
    session: AsyncSession, *, store: BlobStore, owner_id: uuid.UUID, upload_id: uuid.UUID
) -> None:
    """DELETE: the bytes and the row go; later requests are 404."""
    upload = await get_upload(session, owner_id=owner_id, upload_id=upload_id)
    await session.commit()
    try:
        async with store.hold_resumable(upload.id.hex) as held:
            await held.delete()
    except ResumableBusy as exc:
        raise AppError("another request is writing this upload", code="upload_locked") from exc
    except BlobNotFound:
        pass  # a finished or refused upload has no bytes left
    RUNNING_HASHES.pop(upload.id, None)
    await session.execute(delete(UploadSession).where(UploadSession.id == upload.id))
    await session.commit()


def upload_read(upload: UploadSession) -> UploadRead:
    return UploadRead(
        id=upload.id,
        filename=upload.filename,
        offset=upload.received,
        length=upload.length,
        created_at=upload.created_at,
        expires_at=upload.expires_at,
    )


async def list_uploads(session: AsyncSession, *, owner_id: uuid.UUID) -> list[UploadRead]:
    """The caller's unfinished uploads, newest first."""
    query = (
        select(UploadSession)
        .where(
            UploadSession.owner_id == owner_id,
            UploadSession.state == RECEIVING,
            UploadSession.expires_at > utcnow(),
        )
        .order_by(UploadSession.created_at.desc(), UploadSession.id)
        .limit(LIST_LIMIT)
    )
    return [upload_read(upload) for upload in await session.scalars(query)]


async def get_upload_detail(
    session: AsyncSession, *, owner_id: uuid.UUID, upload_id: uuid.UUID
) -> UploadDetail:
    upload = await get_upload(session, owner_id=owner_id, upload_id=upload_id)
    if upload.state == RECEIVING and upload.expires_at <= utcnow():
        raise AppError("the upload expired", code="upload_expired")
    file = None
    if upload.file_id is not None:
        try:
            file = file_read(
                await files.get_owned_file(session, owner_id=owner_id, file_id=upload.file_id, trashed=None)
            )
        except NotFound:
            file = None
    return UploadDetail(
        **upload_read(upload).model_dump(),
        state=upload.state,
        file=file,
        error=upload.error_code,
        detail=upload.error_detail,
    )


async def remove_expired(session: AsyncSession, *, store: BlobStore) -> int:
    """Remove uploads past their expiry with their bytes, and bytes no upload row names; how many."""
    expired = list(
        await session.scalars(select(UploadSession.id).where(UploadSession.expires_at <= utcnow()))
    )
    for upload_id in expired:
        await store.delete_resumable(upload_id.hex)
        RUNNING_HASHES.pop(upload_id, None)
    if expired:
        await session.execute(delete(UploadSession).where(UploadSession.id.in_(expired)))
    await session.commit()
    stored = await store.resumable_ids()
    known = (
        {upload_id.hex for upload_id in await session.scalars(select(UploadSession.id))} if stored else set()
    )
    await session.rollback()
    for orphan in set(stored) - known:
        await store.delete_resumable(orphan)
    return len(expired)
