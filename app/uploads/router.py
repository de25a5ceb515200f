"""Resumable uploads: tus 1.0 at /api/uploads/tus, and the caller's uploads' progress.

Written here on the ingest pipeline rather than wrapping a PyPI tus server: none has the checksum
extension, and one writes the bytes of a PATCH it refuses with 415.
"""

import uuid

from fastapi import APIRouter, Request, Response, status

from app.auth.dependencies import AUTH_RESPONSES, CurrentUser
from app.db import SessionDep
from app.files.dependencies import storage_of
from app.models import UploadSession
from app.problems import AUTH, problems
from app.uploads import protocol, service
from app.uploads.dependencies import CreationDep, FirstChunk, PatchChunk, TusResumable, UploaderDep
from app.uploads.schemas import UploadDetail, UploadRead

router = APIRouter(prefix="/api/uploads", tags=["uploads"])
tus = [TusResumable]

TUS = ("tus_version_unsupported", "invalid_tus_header", *AUTH)
# What writing bytes can answer: the chunk's own checks, then the rules of POST /api/upload.
WRITE = (
    "upload_offset_mismatch",
    "upload_length_fixed",
    "upload_locked",
    "upload_length_exceeded",
    "checksum_unsupported",
    "checksum_mismatch",
    "client_disconnected",
    "upload_expired",
    "upload_ended",
    "file_too_large",
    "quota_exceeded",
    "unsupported_type",
    "type_mismatch",
    "image_too_large",
    "malware_detected",
    "scanner_unavailable",
    "folder_not_found",
    "upload_not_found",
)
OCTET_BODY = {
    "requestBody": {
        "required": False,
        "content": {protocol.OFFSET_STREAM: {"schema": {"type": "string", "format": "binary"}}},
    }
}
OFFSET_HEADERS = {
    name: {"schema": {"type": "string"}}
    for name in ("Upload-Offset", "Upload-Length", "Upload-Defer-Length", "Upload-Metadata", "Upload-Concat")
}


def _location(request: Request, upload_id: uuid.UUID) -> str:
    return str(request.url_for("get_upload_offset", upload_id=upload_id))


def _progress_headers(progress: service.Progress) -> dict[str, str]:
    upload = progress.upload
    headers = {"Upload-Offset": str(upload.received), "Upload-Expires": protocol.http_date(upload.expires_at)}
    if progress.file_id is not None:
        headers["Atrium-File-Id"] = str(progress.file_id)
    return headers


@router.options("/tus", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
async def tus_options(request: Request) -> Response:
    """What this tus server speaks: version, extensions, the size limit and checksum algorithms."""
    settings = request.app.state.settings
    headers = {
        "Tus-Version": protocol.TUS_VERSION,
        "Tus-Extension": ",".join(protocol.EXTENSIONS),
        "Tus-Max-Size": str(settings.max_file_size),
        "Tus-Checksum-Algorithm": ",".join(protocol.CHECKSUMS),
    }
    return Response(status_code=status.HTTP_204_NO_CONTENT, headers=headers)


@router.post(
    "/tus",
    status_code=status.HTTP_201_CREATED,
    response_class=Response,
    dependencies=tus,
    openapi_extra=OCTET_BODY,
    responses={
        **problems(*TUS, *WRITE, "upload_not_complete", "rate_limited"),
        201: {"description": "created; `Location` is the upload's URL", "headers": OFFSET_HEADERS},
    },
)
async def create_upload(
    request: Request, session: SessionDep, uploader: UploaderDep, creation: CreationDep, chunk: FirstChunk
) -> Response:
    """Create an upload (`Upload-Length`, or `Upload-Defer-Length: 1`, or `Upload-Concat`); a body of
    type application/offset+octet-stream is its first bytes."""
    progress = await service.create_upload(session, uploader, creation=creation, chunk=chunk)
    headers = {"Location": _location(request, progress.upload.id), **_progress_headers(progress)}
    return Response(status_code=status.HTTP_201_CREATED, headers=headers)


def _status_headers(upload: UploadSession) -> dict[str, str]:
    headers = {
        "Upload-Offset": str(upload.received),
        "Cache-Control": "no-store",
        "Upload-Expires": protocol.http_date(upload.expires_at),
    }
    if upload.length is None:
        headers["Upload-Defer-Length"] = "1"
    else:
        headers["Upload-Length"] = str(upload.length)
    if upload.upload_metadata:
        headers["Upload-Metadata"] = protocol.encode_metadata(upload.upload_metadata)
    if upload.concat:
        headers["Upload-Concat"] = upload.concat
    if upload.file_id is not None:
        headers["Atrium-File-Id"] = str(upload.file_id)
    return headers


@router.head(
    "/tus/{upload_id}",
    response_class=Response,
    dependencies=tus,
    responses={
        **problems(*TUS, "upload_not_found", "upload_expired", "upload_ended"),
        200: {"description": "the upload's offset", "headers": OFFSET_HEADERS},
    },
)
async def get_upload_offset(upload_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> Response:
    """How many bytes the upload has (`Upload-Offset`) of how many (`Upload-Length`)."""
    upload = await service.upload_status(session, owner_id=user.id, upload_id=upload_id)
    return Response(status_code=status.HTTP_200_OK, headers=_status_headers(upload))


@router.patch(
    "/tus/{upload_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    dependencies=tus,
    openapi_extra=OCTET_BODY,
    responses={
        **problems(*TUS, *WRITE, "upload_is_final", "offset_octet_stream_required"),
        204: {"description": "written; `Upload-Offset` is the new offset, `Atrium-File-Id` the file made"},
    },
)
async def append_upload(
    upload_id: uuid.UUID, session: SessionDep, uploader: UploaderDep, chunk: PatchChunk
) -> Response:
    """Write bytes at `Upload-Offset`; the last byte makes the file under the rules of POST /api/upload."""
    progress = await service.append_chunk(session, uploader, upload_id=upload_id, chunk=chunk)
    return Response(status_code=status.HTTP_204_NO_CONTENT, headers=_progress_headers(progress))


@router.delete(
    "/tus/{upload_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    dependencies=tus,
    responses=problems(*TUS, "upload_not_found", "upload_locked"),
)
async def terminate_upload(
    upload_id: uuid.UUID, request: Request, session: SessionDep, user: CurrentUser
) -> Response:
    """Stop an upload: its bytes are gone and later requests are 404."""
    await service.terminate(session, store=storage_of(request), owner_id=user.id, upload_id=upload_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("", responses=AUTH_RESPONSES)
async def list_uploads(session: SessionDep, user: CurrentUser) -> list[UploadRead]:
    """The caller's unfinished uploads and how far each got (for a client that lost its state)."""
    return await service.list_uploads(session, owner_id=user.id)


@router.get("/{upload_id}", responses=problems(*AUTH, "upload_not_found", "upload_expired"))
async def get_upload(upload_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> UploadDetail:
    """One upload: its progress, and the File it made (or why it was refused)."""
    return await service.get_upload_detail(session, owner_id=user.id, upload_id=upload_id)
