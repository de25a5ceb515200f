"""Request dependencies and OpenAPI pieces shared by every router that serves or lists files."""

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import Depends, Query, Request

from app.db import MAX_SAFE_INT
from app.files.multipart import Incoming
from app.files.schemas import FileFilters
from app.storage.base import BlobStore
from app.work import image_work_of

# The codes every upload through the shared pipeline can answer; routes add their own.
UPLOAD_CODES = (
    "malformed_multipart",
    "client_disconnected",
    "file_too_large",
    "quota_exceeded",
    "too_many_files",
    "request_too_large",
    "unsupported_type",
    "type_mismatch",
    "image_too_large",
    "rate_limited",
    "malware_detected",
    "scanner_unavailable",
)


def multipart_body(properties: dict[str, Any], *, required: list[str]) -> dict[str, Any]:
    """`openapi_extra` for a route that parses its multipart body itself (the streaming upload)."""
    schema = {"type": "object", "properties": properties, "required": required}
    return {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": schema}}}}


FOLDER_HELP = "a folder id (an unknown one matches nothing), or `root` for the top level"


# async although it awaits nothing: FastAPI runs a sync dependency in a worker thread
async def incoming_upload(request: Request) -> Incoming:
    """The request's multipart body for the ingest pipeline, with the app's store and image work."""
    return Incoming(
        body=request.stream(),
        content_type=request.headers.get("content-type"),
        store=storage_of(request),
        work=image_work_of(request),
    )


def storage_of(request: Request) -> BlobStore:
    storage: BlobStore = request.app.state.storage
    return storage


StorageDep = Annotated[BlobStore, Depends(storage_of)]


def _utc(value: datetime | None) -> datetime | None:
    """A timestamp without a zone is read as UTC."""
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


# async although it awaits nothing: FastAPI runs a sync dependency in a worker thread
async def file_filters(
    type: Annotated[str | None, Query(description="a kind (image, video, ...) or a MIME prefix")] = None,
    folder_id: Annotated[uuid.UUID | Literal["root"] | None, Query(description=FOLDER_HELP)] = None,
    created_after: datetime | None = None,
    created_before: datetime | None = None,
    min_size: Annotated[int | None, Query(ge=0, le=MAX_SAFE_INT)] = None,
    max_size: Annotated[int | None, Query(ge=0, le=MAX_SAFE_INT)] = None,
    tag: Annotated[str | None, Query(max_length=64)] = None,
) -> FileFilters:
    """The filters of `GET /api/files`, which `GET /api/search` takes too."""
    return FileFilters(
        type=type,
        folder_id=None if folder_id is None else str(folder_id),
        created_after=_utc(created_after),
        created_before=_utc(created_before),
        min_size=min_size,
        max_size=max_size,
        tag=tag,
    )


FileFiltersDep = Annotated[FileFilters, Depends(file_filters)]

IncomingUpload = Annotated[Incoming, Depends(incoming_upload)]
