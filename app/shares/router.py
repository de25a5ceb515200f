"""Share links, the owner's routes: create, list, read, change, revoke."""

import uuid

from fastapi import APIRouter, Request, Response, status

from app.auth.dependencies import CurrentUser
from app.db import SessionDep
from app.pagination import Page, PageDep
from app.problems import AUTH, problems
from app.shares import service
from app.shares.schemas import ShareCreate, ShareRead, ShareUpdate
from app.shares.service import ShareView

router = APIRouter(prefix="/api", tags=["shares"])

NOT_FOUND = problems(*AUTH, "share_not_found")


def share_read(view: ShareView, request: Request) -> ShareRead:
    share = view.share
    return ShareRead(
        id=share.id,
        token=share.token,
        url=str(request.base_url).rstrip("/") + f"/s/{share.token}",
        target=view.target,
        description=share.description,
        expires_at=share.expires_at,
        has_password=share.password_hash is not None,
        allow_download=share.allow_download,
        show_metadata=share.show_metadata,
        max_downloads=share.max_downloads,
        download_count=share.download_count,
        view_count=share.view_count,
        created_at=share.created_at,
        updated_at=share.updated_at,
    )


@router.post(
    "/shares",
    status_code=status.HTTP_201_CREATED,
    responses=problems(*AUTH, "album_not_found", "gallery_not_found", "folder_not_found", "file_not_found"),
)
async def create_share(
    data: ShareCreate, request: Request, user: CurrentUser, session: SessionDep
) -> ShareRead:
    """A link to one of the caller's albums, galleries, folders or a set of their files."""
    return share_read(await service.create_share(session, owner=user, data=data), request)


@router.get("/shares", responses=problems(*AUTH))
async def list_shares(
    request: Request, user: CurrentUser, session: SessionDep, page: PageDep
) -> Page[ShareRead]:
    """The caller's links, newest first, with their view and download counts."""
    found = await service.list_shares(session, owner_id=user.id, page=page)
    items = [share_read(view, request) for view in found.items]
    return Page(items=items, total=found.total, page=page.page, per_page=page.per_page)


@router.get("/shares/{share_id}", responses=NOT_FOUND)
async def get_share(
    share_id: uuid.UUID, request: Request, user: CurrentUser, session: SessionDep
) -> ShareRead:
    """One of the caller's links."""
    return share_read(await service.read_share(session, owner_id=user.id, share_id=share_id), request)


@router.patch("/shares/{share_id}", responses=NOT_FOUND)
async def update_share(
    share_id: uuid.UUID, data: ShareUpdate, request: Request, user: CurrentUser, session: SessionDep
) -> ShareRead:
    """Change any option; `null` removes an expiry, a password or a cap. A new password locks out
    every visitor unlocked with the old one."""
    view = await service.update_share(session, owner_id=user.id, share_id=share_id, data=data)
    return share_read(view, request)


@router.delete("/shares/{share_id}", status_code=status.HTTP_204_NO_CONTENT, responses=NOT_FOUND)
async def delete_share(share_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> Response:
    """Revoke a link at once."""
    await service.delete_share(session, owner_id=user.id, share_id=share_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
