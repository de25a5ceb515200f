import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status

from app.auth.dependencies import AUTH_RESPONSES, PROBLEM_SCHEMA, CurrentUser
from app.db import SessionDep
from app.folders import service
from app.folders.schemas import FolderCreate, FolderDetail, FolderNode, FolderUpdate

router = APIRouter(prefix="/api/folders", tags=["folders"])

NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "folder_not_found (missing or not the caller's)", **PROBLEM_SCHEMA}
}


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses={
        **AUTH_RESPONSES,
        404: {"description": "folder_not_found: the parent is missing or not the caller's", **PROBLEM_SCHEMA},
        409: {"description": "folder_exists: a sibling has this name (case-insensitive)", **PROBLEM_SCHEMA},
    },
)
async def create_folder(data: FolderCreate, user: CurrentUser, session: SessionDep) -> FolderDetail:
    """Create a folder at the top level or inside one of the caller's folders."""
    return await service.create_folder(session, owner_id=user.id, data=data)


@router.get("", responses=AUTH_RESPONSES)
async def list_folders(user: CurrentUser, session: SessionDep) -> list[FolderNode]:
    """The caller's folder tree with recursive file counts and sizes."""
    return await service.list_tree(session, owner_id=user.id)


@router.get("/{folder_id}", responses={**AUTH_RESPONSES, **NOT_FOUND})
async def get_folder(folder_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> FolderDetail:
    """One folder with its direct subfolders, counts and path."""
    return await service.read_folder(session, owner_id=user.id, folder_id=folder_id)


@router.patch(
    "/{folder_id}",
    responses={
        **AUTH_RESPONSES,
        **NOT_FOUND,
        409: {"description": "folder_exists at the target, or folder_cycle", **PROBLEM_SCHEMA},
    },
)
async def update_folder(
    folder_id: uuid.UUID, data: FolderUpdate, user: CurrentUser, session: SessionDep
) -> FolderDetail:
    """Rename, describe or move a folder (`parent_id: null` moves it to the top level)."""
    return await service.update_folder(session, owner_id=user.id, folder_id=folder_id, data=data)


@router.delete(
    "/{folder_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={
        **AUTH_RESPONSES,
        **NOT_FOUND,
        409: {"description": "folder_not_empty (send recursive=true)", **PROBLEM_SCHEMA},
    },
)
async def delete_folder(
    folder_id: uuid.UUID,
    user: CurrentUser,
    session: SessionDep,
    recursive: Annotated[
        bool, Query(description="also delete subfolders; their live files go to the trash")
    ] = False,
) -> Response:
    """Delete a folder; a non-empty one only with `recursive=true`."""
    await service.delete_folder(session, owner_id=user.id, folder_id=folder_id, recursive=recursive)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
