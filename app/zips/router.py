"""Owners' ZIP downloads of an album, a folder (subfolders as directories) or a list of files."""

import uuid

from fastapi import APIRouter, Request
from starlette.responses import StreamingResponse

from app.auth.dependencies import CurrentUser
from app.db import SessionDep
from app.files.dependencies import StorageDep
from app.problems import AUTH, problems
from app.zips import service
from app.zips.respond import ZIP_OK, zip_response
from app.zips.schemas import FilesZip

router = APIRouter(prefix="/api", tags=["zip"])


@router.get(
    "/albums/{album_id}/zip",
    response_class=StreamingResponse,
    responses={**problems(*AUTH, "album_not_found"), **ZIP_OK},
)
async def zip_album(
    request: Request, album_id: uuid.UUID, user: CurrentUser, session: SessionDep, storage: StorageDep
) -> StreamingResponse:
    """The album's images in one streamed ZIP, in display order."""
    archive = await service.album_archive(session, owner=user, album_id=album_id)
    return await zip_response(request, storage, archive)


@router.get(
    "/folders/{folder_id}/zip",
    response_class=StreamingResponse,
    responses={**problems(*AUTH, "folder_not_found"), **ZIP_OK},
)
async def zip_folder(
    request: Request, folder_id: uuid.UUID, user: CurrentUser, session: SessionDep, storage: StorageDep
) -> StreamingResponse:
    """The folder's live files in one streamed ZIP, subfolders as directories."""
    archive = await service.folder_archive(session, owner=user, folder_id=folder_id)
    return await zip_response(request, storage, archive)


@router.post(
    "/files/zip",
    response_class=StreamingResponse,
    responses={**problems(*AUTH, "file_not_found"), **ZIP_OK},
)
async def zip_files(
    request: Request, data: FilesZip, user: CurrentUser, session: SessionDep, storage: StorageDep
) -> StreamingResponse:
    """The listed files in one streamed ZIP: all of them the caller's, else 404 and nothing sent."""
    archive = await service.files_archive(session, owner=user, file_ids=data.file_ids)
    return await zip_response(request, storage, archive)
