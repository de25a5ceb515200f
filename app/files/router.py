import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from app.auth.dependencies import AUTH_RESPONSES, CurrentUser, SettingsDep
from app.db import SessionDep
from app.files import multipart, serve, service
from app.files.dependencies import UPLOAD_CODES, FileFiltersDep, IncomingUpload, multipart_body, storage_of
from app.files.schemas import FileDetail, FileMove, FileRead, FileUpdate, SortField, UploadResult, file_read
from app.ledger import LedgerDep
from app.pagination import CursorPage, CursorQuery, Page, PageDep
from app.problems import AUTH, problems
from app.work import image_work_of

router = APIRouter(prefix="/api", tags=["files"])

UPLOAD_BODY = multipart_body(
    {
        "files": {
            "type": "array",
            "items": {"type": "string", "format": "binary"},
            "description": "one or more files (a single part named `file` is also accepted)",
        },
        "folder_id": {
            "type": "string",
            "default": "root",
            "description": "the id of the caller's folder to upload into; `root` (or empty): the top level",
        },
    },
    required=["files"],
)
NOT_FOUND = problems(*AUTH, "file_not_found")


@router.post(
    "/upload",
    status_code=status.HTTP_201_CREATED,
    openapi_extra=UPLOAD_BODY,
    responses=problems(*AUTH, *UPLOAD_CODES, "folder_not_found", "no_files"),
)
async def upload(
    incoming: IncomingUpload, session: SessionDep, settings: SettingsDep, user: CurrentUser
) -> UploadResult:
    """Upload one or more files (all or nothing)."""
    rows = await multipart.upload_files(session, settings=settings, user=user, incoming=incoming)
    return UploadResult(files=[file_read(row) for row in rows])


@router.get("/files", responses=problems(*AUTH, "invalid_cursor"))
async def list_files(
    session: SessionDep,
    user: CurrentUser,
    page: PageDep,
    filters: FileFiltersDep,
    ledger: LedgerDep,
    sort: SortField = "created_at",
    cursor: CursorQuery = None,
) -> CursorPage[FileRead]:
    """The caller's files (not the trashed ones), filtered and sorted."""
    return await service.list_files(
        session, owner_id=user.id, filters=filters, sort=sort, page=page, cursor=cursor, ledger=ledger
    )


@router.get("/files/{file_id}", responses=NOT_FOUND)
async def get_file(
    file_id: uuid.UUID, request: Request, session: SessionDep, user: CurrentUser, ledger: LedgerDep
) -> FileDetail:
    """One file with its checksum, integrity and recent access history."""
    return await service.get_file_detail(
        session, storage=storage_of(request), ledger=ledger, owner_id=user.id, file_id=file_id
    )


@router.patch(
    "/files/{file_id}",
    responses=problems(*AUTH, "file_not_found", "type_mismatch"),
)
async def update_file(
    file_id: uuid.UUID, data: FileUpdate, session: SessionDep, user: CurrentUser
) -> FileRead:
    """Rename a file or change its title, description or tags."""
    return await service.update_file(session, owner_id=user.id, file_id=file_id, data=data)


@router.put("/files/{file_id}/move", responses=problems(*AUTH, "file_not_found", "folder_not_found"))
async def move_file(file_id: uuid.UUID, data: FileMove, session: SessionDep, user: CurrentUser) -> FileRead:
    """Move a file into one of the caller's folders (null: the top level)."""
    return await service.move_file(session, owner_id=user.id, file_id=file_id, data=data)


@router.head("/files/{file_id}/download", include_in_schema=False)
@router.get(
    "/files/{file_id}/download",
    response_class=Response,
    responses={
        **problems(*AUTH, "file_not_found", "content_missing", "range_not_satisfiable"),
        **serve.served("the original bytes, with their stored media type"),
        **serve.REDIRECTED,
    },
)
async def download_file(
    file_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    settings: SettingsDep,
    ledger: LedgerDep,
) -> Response:
    """The original bytes, as an attachment; honours Range, If-Range and If-None-Match. With
    DOWNLOAD_REDIRECT on object storage, a 302 to a short-lived presigned URL instead."""
    download = await service.download_file(
        session, storage=storage_of(request), ledger=ledger, owner_id=user.id, file_id=file_id
    )
    return await serve.send(request, download, redirect=settings.download_redirect)


@router.delete("/files/{file_id}", status_code=status.HTTP_204_NO_CONTENT, responses=NOT_FOUND)
async def delete_file(
    file_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    permanent: Annotated[bool, Query(description="remove bytes, previews and metadata now")] = False,
) -> None:
    """Move a file to the trash, or delete it for good with `permanent=true`."""
    await service.trash_file(
        session, storage=storage_of(request), owner_id=user.id, file_id=file_id, permanent=permanent
    )


@router.post("/files/{file_id}/restore", responses=NOT_FOUND)
async def restore_file(file_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> FileRead:
    """Bring a file back from the trash."""
    return await service.restore_file(session, owner_id=user.id, file_id=file_id)


@router.get("/trash", responses=AUTH_RESPONSES)
async def list_trash(session: SessionDep, user: CurrentUser, page: PageDep) -> Page[FileRead]:
    """The caller's trashed files, most recently deleted first."""
    return await service.list_trash(session, owner_id=user.id, page=page)


@router.delete("/trash", status_code=status.HTTP_204_NO_CONTENT, responses=AUTH_RESPONSES)
async def empty_trash(request: Request, session: SessionDep, user: CurrentUser) -> None:
    """Delete every trashed file of the caller for good."""
    await service.empty_trash(session, storage=storage_of(request), owner_id=user.id)


@router.get(
    "/files/{file_id}/preview",
    response_class=Response,
    responses={
        **problems(
            *AUTH,
            "file_not_found",
            "preview_unavailable",
            "content_missing",
            "image_unreadable",
            "image_too_large",
        ),
        **serve.served(
            "a WebP thumbnail (images, PDFs' first page, a video frame) or the first 64 KiB as"
            " text/plain (text files)",
            ("image/webp", "text/plain"),
        ),
    },
)
async def preview_file(
    file_id: uuid.UUID, request: Request, session: SessionDep, user: CurrentUser
) -> Response:
    """A small preview: a thumbnail of images, PDFs and videos, the beginning of text files."""
    preview = await service.preview_file(
        session, storage=storage_of(request), work=image_work_of(request), owner_id=user.id, file_id=file_id
    )
    return await serve.send_preview(request, preview)
