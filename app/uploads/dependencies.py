"""The tus request pieces: the version check, the uploader, and the headers of a create or a PATCH."""

from typing import Annotated

from fastapi import Depends, Header, Request

from app.auth.dependencies import CurrentUser, SettingsDep
from app.errors import AppError, UnsupportedMediaType
from app.files.dependencies import storage_of
from app.uploads import protocol
from app.uploads.service import Chunk, Creation, Uploader
from app.work import image_work_of

VERSION_HEADERS = {"Tus-Version": protocol.TUS_VERSION}


# async although it awaits nothing: FastAPI runs a sync dependency in a worker thread
async def tus_resumable(tus_resumable: Annotated[str | None, Header()] = None) -> None:
    """Every tus request but OPTIONS names the protocol version it speaks: 1.0.0, else 412."""
    if tus_resumable != protocol.TUS_VERSION:
        raise AppError(
            f"Tus-Resumable must be {protocol.TUS_VERSION}",
            code="tus_version_unsupported",
            headers=VERSION_HEADERS,
        )


async def uploader(request: Request, settings: SettingsDep, user: CurrentUser) -> Uploader:
    return Uploader(settings=settings, store=storage_of(request), work=image_work_of(request), user=user)


async def creation(
    upload_length: Annotated[str | None, Header()] = None,
    upload_defer_length: Annotated[str | None, Header()] = None,
    upload_metadata: Annotated[str | None, Header()] = None,
    upload_concat: Annotated[str | None, Header()] = None,
) -> Creation:
    concat = protocol.parse_concat(upload_concat)
    if concat.kind == "final":
        length = None
    elif upload_length is not None:
        length = protocol.parse_number("Upload-Length", upload_length)
    elif upload_defer_length == "1" and concat.kind != "partial":
        length = None
    else:
        raise protocol.invalid("a new upload needs Upload-Length (or Upload-Defer-Length: 1)")
    return Creation(length=length, metadata=protocol.parse_metadata(upload_metadata), concat=concat)


def _chunk(request: Request, *, offset: str | None, checksum: str | None, length: str | None) -> Chunk:
    if offset is None:
        raise protocol.invalid("a PATCH needs Upload-Offset")
    return Chunk(
        offset=protocol.parse_number("Upload-Offset", offset),
        body=request.stream(),
        checksum=protocol.parse_checksum(checksum),
        length=None if length is None else protocol.parse_number("Upload-Length", length),
    )


async def patch_chunk(
    request: Request,
    content_type: Annotated[str | None, Header()] = None,
    upload_offset: Annotated[str | None, Header()] = None,
    upload_checksum: Annotated[str | None, Header()] = None,
    upload_length: Annotated[str | None, Header()] = None,
) -> Chunk:
    """The chunk of a PATCH; any other Content-Type than application/offset+octet-stream is 415."""
    if (content_type or "").split(";")[0].strip().lower() != protocol.OFFSET_STREAM:
        raise UnsupportedMediaType(
            f"a PATCH carries Content-Type: {protocol.OFFSET_STREAM}", code="offset_octet_stream_required"
        )
    return _chunk(request, offset=upload_offset, checksum=upload_checksum, length=upload_length)


async def first_chunk(
    request: Request,
    content_type: Annotated[str | None, Header()] = None,
    upload_checksum: Annotated[str | None, Header()] = None,
) -> Chunk | None:
    """creation-with-upload: a create whose body is the first bytes (none without that Content-Type)."""
    if (content_type or "").split(";")[0].strip().lower() != protocol.OFFSET_STREAM:
        return None
    return _chunk(request, offset="0", checksum=upload_checksum, length=None)


TusResumable = Depends(tus_resumable)
UploaderDep = Annotated[Uploader, Depends(uploader)]
CreationDep = Annotated[Creation, Depends(creation)]
PatchChunk = Annotated[Chunk, Depends(patch_chunk)]
FirstChunk = Annotated[Chunk | None, Depends(first_chunk)]
