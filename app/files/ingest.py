"""The streaming upload: `request.stream()` -> MultipartParser -> sniff -> `tmp/<uuid>.part`, hashed.

Written by hand because Starlette's `request.form()` spools every file to a temporary file first
(two writes) and cannot refuse a part by content, size or quota while it is still arriving.
"""

import hashlib
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import anyio
import magic
from anyio import to_thread
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
from fastapi import Request
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import ClientDisconnect

from app import ratelimit
from app.auth.service import quota_of
from app.config import Settings
from app.db import utcnow
from app.errors import BadRequest, PayloadTooLarge, Unprocessable, UnsupportedMediaType
from app.files import kinds
from app.files import service as files
from app.files.names import sanitize_name
from app.files.previews import ImageWork, image_problem, image_work_of
from app.images.decode import ImageError
from app.images.exif import ImageMetadata, read_metadata
from app.models import File, ImageMeta, User
from app.search import index as search
from app.storage.base import BlobStore

SNIFF_BYTES = 8 * 1024
BATCH_BYTES = 4 * 1024 * 1024
WRITE_QUEUE = 1  # batches waiting for the writer: one being written, one queued, one filling
MAX_FIELD_BYTES = 4096
MAX_FIELDS = 32
FILE_FIELDS = frozenset({"files", "file"})
CLOSE = {"Connection": "close"}

Prepare = Callable[[list[File], dict[str, str]], Awaitable[None]]
Batch = tuple["IncomingFile", bytearray, bool]  # the part, its next bytes, whether they are the last


def malformed(detail: str) -> BadRequest:
    return BadRequest(detail, code="malformed_multipart")


@dataclass
class IncomingFile:
    """One file part on its way to disk. Only the worker thread touches `handle` and `hasher`."""

    name: str
    part_path: Path
    size: int = 0
    mime_type: str = ""
    kind: str = ""
    pending: bytearray = field(default_factory=bytearray)
    complete: bool = False
    closed: bool = False
    handle: BinaryIO | None = None
    hasher: "hashlib._Hash" = field(default_factory=hashlib.sha256)
    metadata: ImageMetadata | None = None

    @property
    def sha256(self) -> str:
        return self.hasher.hexdigest()

    def write_batch(self, data: bytearray, final: bool) -> None:
        """Append and hash one batch (runs in a worker thread: one hop per ~1 MiB)."""
        if self.handle is None:
            fd = os.open(self.part_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            self.handle = os.fdopen(fd, "wb", buffering=0)
        if data:
            self.hasher.update(data)
            self.handle.write(data)
        if final:
            self.handle.close()

    def discard(self) -> None:
        if self.handle is not None:
            self.handle.close()
        self.part_path.unlink(missing_ok=True)


@dataclass
class Limits:
    max_file_size: int
    quota_left: int
    allowed_types: frozenset[str]
    kinds: frozenset[str] | None
    max_files: int | None = None  # file parts per request (empty ones count too); None: no cap


class MultipartReceiver:
    """Parser callbacks (sync) collect parts; `drain` (async) sniffs and writes what is ready."""

    def __init__(self, boundary: bytes, *, new_part_path: Callable[[], Path], limits: Limits) -> None:
        self.limits = limits
        self.new_part_path = new_part_path
        self.files: list[IncomingFile] = []
        self.fields: dict[str, str] = {}
        self.total = 0
        self.ended = False
        self._field_name: str | None = None
        self._field_value = bytearray()
        self._target: IncomingFile | bytearray | None = None
        self._headers: dict[str, str] = {}
        self._header_field = bytearray()
        self._header_value = bytearray()
        self._writer: MemoryObjectSendStream[Batch] | None = None
        self.parser = MultipartParser(
            boundary,
            callbacks={
                "on_part_begin": self._on_part_begin,
                "on_header_field": self._on_header_field,
                "on_header_value": self._on_header_value,
                "on_header_end": self._on_header_end,
                "on_headers_finished": self._on_headers_finished,
                "on_part_data": self._on_part_data,
                "on_part_end": self._on_part_end,
                "on_end": self._on_end,
            },
        )

    def feed(self, chunk: bytes) -> None:
        try:
            self.parser.write(chunk)
        except MultipartParseError as exc:
            raise malformed(f"malformed multipart body: {exc}") from exc

    def _on_part_begin(self) -> None:
        self._headers = {}
        self._target = None

    def _on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]

    def _on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _on_header_end(self) -> None:
        self._headers[self._header_field.decode("latin-1").lower()] = self._header_value.decode("latin-1")
        self._header_field.clear()
        self._header_value.clear()

    def _on_headers_finished(self) -> None:
        kind, options = parse_options_header(self._headers.get("content-disposition"))
        if kind != b"form-data" or b"name" not in options:
            raise malformed("every part needs Content-Disposition: form-data with a name")
        name = options[b"name"].decode("utf-8", "replace")
        filename = options.get(b"filename")
        if filename is None:
            self._start_field(name)
        elif name in FILE_FIELDS:
            self._refuse_one_more_file()
            display = sanitize_name(filename.decode("utf-8", "replace"))
            incoming = IncomingFile(name=display, part_path=self.new_part_path())
            self.files.append(incoming)
            self._target = incoming

    def _refuse_one_more_file(self) -> None:
        cap = self.limits.max_files
        if cap is not None and len(self.files) >= cap:
            raise PayloadTooLarge(
                f"an upload request carries at most {cap} files", code="too_many_files", headers=CLOSE
            )

    def _start_field(self, name: str) -> None:
        if len(self.fields) >= MAX_FIELDS:
            raise malformed("too many form fields")
        self._field_name = name
        self._field_value = bytearray()
        self._target = self._field_value

    def _on_part_data(self, data: bytes, start: int, end: int) -> None:
        target = self._target
        if isinstance(target, IncomingFile):
            self.count_bytes(target, end - start)
            target.pending += memoryview(data)[start:end]
        elif target is not None:
            if len(target) + end - start > MAX_FIELD_BYTES:
                raise malformed(f"a form field is limited to {MAX_FIELD_BYTES} bytes")
            target += memoryview(data)[start:end]

    def count_bytes(self, incoming: IncomingFile, size: int) -> None:
        """Adds bytes about to be written; 413 past the file limit or the quota (the CLI import uses it)."""
        incoming.size += size
        self.total += size
        if incoming.size > self.limits.max_file_size:
            raise PayloadTooLarge(
                f"file '{incoming.name}' exceeds the {self.limits.max_file_size} byte limit",
                code="file_too_large",
                headers=CLOSE,
            )
        if self.total > self.limits.quota_left:
            raise PayloadTooLarge(
                "the upload exceeds your storage quota", code="quota_exceeded", headers=CLOSE
            )

    def _on_part_end(self) -> None:
        if isinstance(self._target, IncomingFile):
            self._target.complete = True
        elif self._target is not None and self._field_name is not None:
            self.fields[self._field_name] = self._field_value.decode("utf-8", "replace")
        self._target = None

    def _on_end(self) -> None:
        self.ended = True

    async def drain(self) -> None:
        """Sniff parts whose first bytes arrived; write batches that are full or final."""
        for incoming in self.files:
            if incoming.closed:
                continue
            if not incoming.mime_type:
                if len(incoming.pending) < SNIFF_BYTES and not incoming.complete:
                    continue
                await self._sniff(incoming)
            if incoming.complete or len(incoming.pending) >= BATCH_BYTES:
                data, incoming.pending = incoming.pending, bytearray()
                incoming.closed = incoming.complete
                await self._write(incoming, data, incoming.closed)

    async def _write(self, incoming: IncomingFile, data: bytearray, final: bool) -> None:
        if self._writer is None:
            await to_thread.run_sync(incoming.write_batch, data, final)
        else:
            await self._writer.send((incoming, data, final))

    @asynccontextmanager
    async def overlapped_writes(self) -> AsyncIterator[None]:
        """Within the block `drain` hands full batches to a writer task, so the body goes on
        being read while the previous batch is hashed and written; every write has ended when
        the block exits (a failure cancels the writer between batches)."""
        send, receive = anyio.create_memory_object_stream[Batch](WRITE_QUEUE)
        async with anyio.create_task_group() as group:
            group.start_soon(_write_batches, receive)
            self._writer = send
            try:
                yield
            finally:
                self._writer = None
                send.close()

    async def _sniff(self, incoming: IncomingFile) -> None:
        head = bytes(memoryview(incoming.pending)[:SNIFF_BYTES])
        sniffed = await to_thread.run_sync(sniff_type, head)
        incoming.mime_type = kinds.refine_type(sniffed, incoming.name)
        incoming.kind = kinds.kind_of(incoming.mime_type)
        check_type(incoming.name, incoming.mime_type, self.limits)

    async def discard(self) -> None:
        with anyio.CancelScope(shield=True):
            for incoming in self.files:
                await to_thread.run_sync(incoming.discard)


async def _write_batches(batches: MemoryObjectReceiveStream[Batch]) -> None:
    async with batches:
        async for incoming, data, final in batches:
            await to_thread.run_sync(incoming.write_batch, data, final)


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


def boundary_of(content_type: str | None) -> bytes:
    kind, options = parse_options_header(content_type)
    if kind != b"multipart/form-data":
        raise malformed("the body must be multipart/form-data")
    boundary = options.get(b"boundary")
    if not boundary or len(boundary) > 200:
        raise malformed("the multipart boundary is missing")
    return boundary


async def receive_files(request: Request, receiver: MultipartReceiver) -> None:
    """Stream the body through the receiver; on any failure no part is left on disk."""
    try:
        async with receiver.overlapped_writes():
            await read_body(request, receiver)
    except BaseExceptionGroup as errors:  # the writer's task group wraps what was raised
        await receiver.discard()
        error = sole_error(errors)
        raise error from error.__cause__
    except BaseException:
        await receiver.discard()
        raise


async def read_body(request: Request, receiver: MultipartReceiver) -> None:
    try:
        async for chunk in request.stream():
            receiver.feed(chunk)
            await receiver.drain()
    except ClientDisconnect as exc:
        raise BadRequest("the client went away mid-upload", code="client_disconnected") from exc
    if not receiver.ended:
        raise malformed("the multipart body is truncated")
    if not receiver.files:
        raise Unprocessable("the request has no file parts ('files' or 'file')", code="no_files")


def sole_error(errors: BaseExceptionGroup[BaseException]) -> BaseException:
    """The first error of a (possibly nested) group: the refusal or failure to answer with."""
    first = errors.exceptions[0]
    return sole_error(first) if isinstance(first, BaseExceptionGroup) else first


async def ingest_upload(
    request: Request,
    session: AsyncSession,
    *,
    settings: Settings,
    storage: BlobStore,
    user: User,
    kinds_allowed: Collection[str] | None = None,
    prepare: Prepare | None = None,
) -> list[File]:
    """Store every file part of a multipart request, all or nothing; `prepare` may adjust rows."""
    boundary = boundary_of(request.headers.get("content-type"))
    await _count_upload(session, settings=settings, user=user)
    used = await files.used_bytes(session, owner_id=user.id)
    limits = Limits(
        max_file_size=settings.max_file_size,
        quota_left=quota_of(user, settings) - used,
        allowed_types=settings.allowed_type_set,
        kinds=frozenset(kinds_allowed) if kinds_allowed is not None else None,
        max_files=settings.max_files_per_request,
    )
    receiver = MultipartReceiver(boundary, new_part_path=storage.new_part_path, limits=limits)
    await receive_files(request, receiver)
    try:
        await read_image_metadata(receiver.files, image_work_of(request))
        return await store_uploads(
            session, settings=settings, storage=storage, user=user, receiver=receiver, prepare=prepare
        )
    except BaseException:
        await receiver.discard()
        raise


async def store_uploads(
    session: AsyncSession,
    *,
    settings: Settings,
    storage: BlobStore,
    user: User,
    receiver: MultipartReceiver,
    prepare: Prepare | None,
) -> list[File]:
    """Bytes first, then rows: move every part into place, insert the rows, commit.

    The quota is checked again under the owner's write lock, so concurrent uploads of one
    owner cannot all pass a check made before any of them was inserted.
    """
    committed: list[str] = []
    try:
        await files.lock_owner(session, owner_id=user.id)
        rows = await _checked_rows(session, settings=settings, user=user, receiver=receiver, prepare=prepare)
        for incoming, row in zip(receiver.files, rows, strict=True):
            await storage.commit(incoming.part_path, row.storage_key)
            committed.append(row.storage_key)
            if row.kind == "text":
                await search.index_text(session, file_id=row.id, path=storage.original_path(row.storage_key))
        await files.insert_uploaded(session, rows=rows)
    except BaseException:
        with anyio.CancelScope(shield=True):
            await session.rollback()  # ends the transaction: the owner's lock is released now
            for key in committed:
                await storage.delete(key)
        raise
    return rows


async def _checked_rows(
    session: AsyncSession,
    *,
    settings: Settings,
    user: User,
    receiver: MultipartReceiver,
    prepare: Prepare | None,
) -> list[File]:
    folder_id = await files.resolve_folder_field(
        session, owner_id=user.id, raw=receiver.fields.get("folder_id")
    )
    if await files.used_bytes(session, owner_id=user.id) + receiver.total > quota_of(user, settings):
        raise PayloadTooLarge("the upload exceeds your storage quota", code="quota_exceeded")
    rows = [new_file_row(incoming, owner_id=user.id, folder_id=folder_id) for incoming in receiver.files]
    await files.link_duplicates(session, owner_id=user.id, rows=rows)
    if prepare is not None:
        await prepare(rows, receiver.fields)
    return rows


async def read_image_metadata(incoming: list[IncomingFile], work: ImageWork) -> None:
    """Size and EXIF of each image; a decompression bomb refuses the upload, a damaged image is kept."""
    for item in incoming:
        if item.kind != "image":
            continue
        try:
            item.metadata = await work.run(read_metadata, item.part_path)
        except ImageError as exc:
            if exc.code == "image_too_large":
                raise image_problem(exc) from exc


def image_meta_row(file_id: uuid.UUID, metadata: ImageMetadata | None) -> ImageMeta | None:
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
    )


def new_file_row(incoming: IncomingFile, *, owner_id: uuid.UUID, folder_id: uuid.UUID | None) -> File:
    now = utcnow()
    file_id = uuid.uuid4()
    return File(
        id=file_id,
        owner_id=owner_id,
        folder_id=folder_id,
        name=incoming.name,
        storage_key=uuid.uuid4().hex,
        mime_type=incoming.mime_type,
        kind=incoming.kind,
        size=incoming.size,
        sha256=incoming.sha256,
        created_at=now,
        updated_at=now,
        download_count=0,
        view_count=0,
        tags=[],
        image=image_meta_row(file_id, incoming.metadata),
    )


async def _count_upload(session: AsyncSession, *, settings: Settings, user: User) -> None:
    await ratelimit.throttle(
        session,
        key=f"upload:{user.id}",
        limit=settings.upload_rate_limit,
        window_seconds=settings.upload_rate_window_seconds,
        what="uploads",
    )
