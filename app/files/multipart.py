"""The multipart adapter on the ingest pipeline: `POST /api/upload` and the artwork upload.

Written by hand on python-multipart's `MultipartParser` because Starlette's `request.form()`
spools every file to a temporary file first (two writes) and cannot refuse a part by content,
size or quota while it is still arriving.
"""

import uuid
from collections.abc import AsyncIterator, Callable, Collection
from dataclasses import dataclass

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import ClientDisconnect

from app.config import Settings
from app.errors import BadRequest, Unprocessable
from app.files import service as files
from app.files.ingest import Candidate, Decorate, Intake, check_upload, keep, open_intake, receiving
from app.models import File, User
from app.names import sanitize_name
from app.storage.base import BlobStore
from app.work import ImageWork

MAX_FIELD_BYTES = 4096
MAX_FIELDS = 32
FILE_FIELDS = frozenset({"files", "file"})


def malformed(detail: str) -> BadRequest:
    return BadRequest(detail, code="malformed_multipart")


class MultipartReader:
    """Parser callbacks (sync) hand file bytes to the intake and collect the form fields."""

    def __init__(self, boundary: bytes, intake: Intake) -> None:
        self.intake = intake
        self.fields: dict[str, str] = {}
        self.ended = False
        self._field_name: str | None = None
        self._field_value = bytearray()
        self._target: Candidate | bytearray | None = None
        self._headers: dict[str, str] = {}
        self._header_field = bytearray()
        self._header_value = bytearray()
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
            self._target = self.intake.start(sanitize_name(filename.decode("utf-8", "replace")))

    def _start_field(self, name: str) -> None:
        if len(self.fields) >= MAX_FIELDS:
            raise malformed("too many form fields")
        self._field_name = name
        self._field_value = bytearray()
        self._target = self._field_value

    def _on_part_data(self, data: bytes, start: int, end: int) -> None:
        target = self._target
        if isinstance(target, Candidate):
            self.intake.take(target, memoryview(data)[start:end])
        elif target is not None:
            if len(target) + end - start > MAX_FIELD_BYTES:
                raise malformed(f"a form field is limited to {MAX_FIELD_BYTES} bytes")
            target += memoryview(data)[start:end]

    def _on_part_end(self) -> None:
        if isinstance(self._target, Candidate):
            self._target.complete = True
        elif self._target is not None and self._field_name is not None:
            self.fields[self._field_name] = self._field_value.decode("utf-8", "replace")
        self._target = None

    def _on_end(self) -> None:
        self.ended = True


def boundary_of(content_type: str | None) -> bytes:
    kind, options = parse_options_header(content_type)
    if kind != b"multipart/form-data":
        raise malformed("the body must be multipart/form-data")
    boundary = options.get(b"boundary")
    if not boundary or len(boundary) > 200:
        raise malformed("the multipart boundary is missing")
    return boundary


@dataclass(frozen=True)
class Incoming:
    """A multipart body on its way in, and where its bytes and image work go."""

    body: AsyncIterator[bytes]
    content_type: str | None
    store: BlobStore
    work: ImageWork


@dataclass
class Received:
    """A multipart body read to its end: its files in the intake (parts, not yet kept) and fields."""

    intake: Intake
    fields: dict[str, str]
    folder_id: uuid.UUID | None


async def receive(
    session: AsyncSession,
    *,
    settings: Settings,
    user: User,
    incoming: Incoming,
    kinds_allowed: Collection[str] | None = None,
) -> Received:
    """Stream a multipart body through the intake; on any failure no part is left."""
    boundary = boundary_of(incoming.content_type)
    await check_upload(session, settings=settings, user=user)
    intake = await open_intake(
        session,
        settings=settings,
        store=incoming.store,
        user=user,
        kinds_allowed=kinds_allowed,
        max_files=settings.max_files_per_request,
    )
    await session.commit()  # no transaction, and no pooled connection, is held while the body arrives
    reader = MultipartReader(boundary, intake)
    async with receiving(intake):
        folder = await _read_body(session, reader=reader, owner_id=user.id, body=incoming.body)
    return Received(intake=intake, fields=reader.fields, folder_id=folder)


async def _read_body(
    session: AsyncSession, *, reader: MultipartReader, owner_id: uuid.UUID, body: AsyncIterator[bytes]
) -> uuid.UUID | None:
    """Feed the body; a `folder_id` field is checked as soon as it is complete (before the files
    that follow it are read). Returns the folder."""
    checked, folder = False, None
    try:
        async for chunk in body:
            reader.feed(chunk)
            if not checked and "folder_id" in reader.fields:
                checked = True
                folder = await files.resolve_folder_field(
                    session, owner_id=owner_id, raw=reader.fields["folder_id"]
                )
                await session.commit()  # let its connection go again for the rest of the body
            await reader.intake.drain()
    except ClientDisconnect as exc:
        raise BadRequest("the client went away mid-upload", code="client_disconnected") from exc
    if not reader.ended:
        raise malformed("the multipart body is truncated")
    if not reader.intake.files:
        raise Unprocessable("the request has no file parts ('files' or 'file')", code="no_files")
    if not checked:
        folder = await files.resolve_folder_field(
            session, owner_id=owner_id, raw=reader.fields.get("folder_id")
        )
    return folder


async def upload_files(
    session: AsyncSession,
    *,
    settings: Settings,
    user: User,
    incoming: Incoming,
    kinds_allowed: Collection[str] | None = None,
    decorate_with: Callable[[dict[str, str]], Decorate] | None = None,
) -> list[File]:
    """Keep every file part of a multipart body, all or nothing; `decorate_with(fields)` may adjust
    the rows inside the same transaction. Owns the unit of work."""
    received = await receive(
        session, settings=settings, user=user, incoming=incoming, kinds_allowed=kinds_allowed
    )
    return await keep(
        session,
        settings=settings,
        work=incoming.work,
        user=user,
        intake=received.intake,
        folder_id=received.folder_id,
        decorate=None if decorate_with is None else decorate_with(received.fields),
        rate_limited=True,
    )
