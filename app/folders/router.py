import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from app.auth.dependencies import AUTH_RESPONSES, CurrentUser
from app.db import SessionDep
from app.folders import service
from app.folders.schemas import FolderCreate, FolderDetail, FolderNode, FolderUpdate
from app.problems import AUTH, problems

router = APIRouter(prefix="/api/folders", tags=["folders"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses=problems(*AUTH, "folder_not_found", "folder_exists", "folder_too_deep"),
)
async def create_folder(data: FolderCreate, user: CurrentUser, session: SessionDep) -> FolderDetail:
    """Create a folder at the top level or inside one of the caller's folders."""
    return await service.create_folder(session, owner_id=user.id, data=data)


@router.get("", responses=AUTH_RESPONSES)
async def list_folders(user: CurrentUser, session: SessionDep) -> list[FolderNode]:
    """The caller's folder tree with recursive file counts and sizes."""
    return await service.list_tree(session, owner_id=user.id)


@router.get("/{folder_id}", responses=problems(*AUTH, "folder_not_found"))
async def get_folder(folder_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> FolderDetail:
    """One folder with its direct subfolders, counts and path."""
    return await service.read_folder(session, owner_id=user.id, folder_id=folder_id)


@router.patch(
    "/{folder_id}",
    responses=problems(*AUTH, "folder_not_found", "folder_exists", "folder_cycle", "folder_too_deep"),
)
async def update_folder(
    folder_id: uuid.UUID, data: FolderUpdate, user: CurrentUser, session: SessionDep
) -> FolderDetail:
    """Rename, describe or move a folder (`parent_id: null` moves it to the top level)."""
    return await service.update_folder(session, owner_id=user.id, folder_id=folder_id, data=data)


@router.delete(
    "/{folder_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problems(*AUTH, "folder_not_found", "folder_not_empty"),
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
