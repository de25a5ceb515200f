import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, status

from app.auth.dependencies import AUTH_RESPONSES, PROBLEM_SCHEMA, CurrentUser, SettingsDep
from app.db import SessionDep
from app.files import service
from app.files.ingest import ingest_upload
from app.files.schemas import FileDetail, FileMove, FileRead, FileUpdate, SortField, UploadResult, file_read
from app.files.service import FileFilters
from app.pagination import Page, PageDep
from app.storage.base import BlobStore

router = APIRouter(prefix="/api", tags=["files"])

UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "files": {
                            "type": "array",
                            "items": {"type": "string", "format": "binary"},
                            "description": "one or more files (a single part named `file` is also accepted)",
                        },
                        "folder_id": {
                            "type": "string",
                            "format": "uuid",
                            "description": "the caller's folder to upload into; top level when absent",
                        },
                    },
                    "required": ["files"],
                }
            }
        },
    }
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "not the caller's file (or no such file)", **PROBLEM_SCHEMA}
}


def storage_of(request: Request) -> BlobStore:
    storage: BlobStore = request.app.state.storage
    return storage


@router.post(
    "/upload",
    status_code=status.HTTP_201_CREATED,
    openapi_extra=UPLOAD_BODY,
    responses={
        **AUTH_RESPONSES,
        400: {"description": "malformed_multipart", **PROBLEM_SCHEMA},
        404: {"description": "folder_id is not the caller's folder", **PROBLEM_SCHEMA},
        413: {"description": "file_too_large, quota_exceeded or request_too_large", **PROBLEM_SCHEMA},
        415: {"description": "unsupported_type or type_mismatch", **PROBLEM_SCHEMA},
        422: {"description": "no_files", **PROBLEM_SCHEMA},
        429: {"description": "too many uploads", **PROBLEM_SCHEMA},
    },
)
async def upload(
    request: Request, session: SessionDep, settings: SettingsDep, user: CurrentUser
) -> UploadResult:
    """Upload one or more files (all or nothing)."""
    rows = await ingest_upload(request, session, settings=settings, storage=storage_of(request), user=user)
    return UploadResult(files=[file_read(row) for row in rows])


@router.get("/files", responses=AUTH_RESPONSES)
async def list_files(
    session: SessionDep,
    user: CurrentUser,
    page: PageDep,
    type: Annotated[str | None, Query(description="a kind (image, video, ...) or a MIME prefix")] = None,
    folder_id: Annotated[str | None, Query(description="a folder id, or `root` for the top level")] = None,
    created_after: datetime | None = None,
    created_before: datetime | None = None,
    min_size: Annotated[int | None, Query(ge=0)] = None,
    max_size: Annotated[int | None, Query(ge=0)] = None,
    tag: Annotated[str | None, Query(max_length=64)] = None,
    sort: SortField = "created_at",
) -> Page[FileRead]:
    """The caller's files (not the trashed ones), filtered and sorted."""
    filters = FileFilters(
        type=type,
        folder_id=folder_id,
        created_after=created_after,
        created_before=created_before,
        min_size=min_size,
        max_size=max_size,
        tag=tag,
    )
    return await service.list_files(session, owner_id=user.id, filters=filters, sort=sort, page=page)


@router.get("/files/{file_id}", responses={**AUTH_RESPONSES, **NOT_FOUND})
async def get_file(
    file_id: uuid.UUID, request: Request, session: SessionDep, user: CurrentUser
) -> FileDetail:
    """One file with its checksum, integrity and recent access history."""
    return await service.get_file_detail(
        session, storage=storage_of(request), owner_id=user.id, file_id=file_id
    )


@router.patch("/files/{file_id}", responses={**AUTH_RESPONSES, **NOT_FOUND})
async def update_file(
    file_id: uuid.UUID, data: FileUpdate, session: SessionDep, user: CurrentUser
) -> FileRead:
    """Rename a file or change its title, description or tags."""
    return await service.update_file(session, owner_id=user.id, file_id=file_id, data=data)


@router.put("/files/{file_id}/move", responses={**AUTH_RESPONSES, **NOT_FOUND})
async def move_file(file_id: uuid.UUID, data: FileMove, session: SessionDep, user: CurrentUser) -> FileRead:
    """Move a file into one of the caller's folders (null: the top level)."""
    return await service.move_file(session, owner_id=user.id, file_id=file_id, data=data)
