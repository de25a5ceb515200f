import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from app.access import policy
from app.albums.schemas import AlbumCreate, AlbumDetail, AlbumImageIds, AlbumRead, AlbumUpdate
from app.auth.dependencies import AUTH_RESPONSES, CurrentUser, OptionalUser
from app.collections import service
from app.db import SessionDep
from app.pagination import Page, PageDep
from app.problems import AUTH, problems

router = APIRouter(prefix="/api/albums", tags=["albums"])

NOT_FOUND = problems(*AUTH, "album_not_found")
WITH_IMAGES = problems(*AUTH, "album_not_found", "image_not_found")


@router.get("", responses=AUTH_RESPONSES)
async def list_albums(
    viewer: OptionalUser,
    session: SessionDep,
    page: PageDep,
    user_id: Annotated[uuid.UUID | None, Query(description="another user's public albums")] = None,
) -> Page[AlbumRead]:
    """The caller's albums, or another user's public albums."""
    views, total = await service.list_visible_collections(
        session, viewer=viewer, kind="album", owner_id=user_id, page=page
    )
    return AlbumRead.page(views, total, page)


@router.post(
    "", status_code=status.HTTP_201_CREATED, responses=problems(*AUTH, "album_not_found", "album_cycle")
)
async def create_album(data: AlbumCreate, user: CurrentUser, session: SessionDep) -> AlbumRead:
    """Create an album, optionally inside another of the caller's albums."""
    view = await service.create_collection(
        session,
        owner=user,
        kind="album",
        name=data.name,
        description=data.description,
        visibility=data.privacy_setting,
        parent_id=data.parent_id,
    )
    return AlbumRead.of(view)


@router.get("/{album_id}", responses=NOT_FOUND)
async def get_album(album_id: uuid.UUID, viewer: OptionalUser, session: SessionDep) -> AlbumDetail:
    """An album with its images in display order (public albums need no token)."""
    detail = await service.get_collection_detail(session, viewer=viewer, kind="album", collection_id=album_id)
    return AlbumDetail.of_detail(detail, principal=policy.principal_of(viewer))


@router.put(
    "/{album_id}",
    responses=problems(*AUTH, "album_not_found", "image_not_found", "cover_not_in_collection", "album_cycle"),
)
async def update_album(
    album_id: uuid.UUID, data: AlbumUpdate, user: CurrentUser, session: SessionDep
) -> AlbumRead:
    """Rename, describe, change privacy, cover or parent of an album."""
    view = await service.update_collection(
        session, owner_id=user.id, kind="album", collection_id=album_id, changes=data.to_changes()
    )
    return AlbumRead.of(view)


@router.delete("/{album_id}", status_code=status.HTTP_204_NO_CONTENT, responses=NOT_FOUND)
async def delete_album(
    album_id: uuid.UUID,
    user: CurrentUser,
    session: SessionDep,
    delete_images: Annotated[bool, Query(description="also move the album's images to the trash")] = False,
) -> Response:
    """Delete an album; its images stay unless `delete_images=true`."""
    await service.delete_collection(
        session, owner_id=user.id, kind="album", collection_id=album_id, delete_images=delete_images
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{album_id}/images", responses=WITH_IMAGES)
async def add_album_images(
    album_id: uuid.UUID, data: AlbumImageIds, user: CurrentUser, session: SessionDep
) -> AlbumDetail:
    """Append the caller's images to an album; any unknown or foreign id changes nothing (404)."""
    detail = await service.add_items(
        session, owner_id=user.id, kind="album", collection_id=album_id, file_ids=data.image_ids
    )
    return AlbumDetail.of_detail(detail, principal=policy.principal_of(user))


@router.delete(
    "/{album_id}/images/{image_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=WITH_IMAGES,
)
async def remove_album_image(
    album_id: uuid.UUID, image_id: uuid.UUID, user: CurrentUser, session: SessionDep
) -> Response:
    """Take an image out of an album (the image stays)."""
    await service.remove_item(
        session, owner_id=user.id, kind="album", collection_id=album_id, file_id=image_id
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put("/{album_id}/order", responses=problems(*AUTH, "album_not_found", "order_mismatch"))
async def reorder_album(
    album_id: uuid.UUID, data: AlbumImageIds, user: CurrentUser, session: SessionDep
) -> AlbumDetail:
    """Set the display order; the ids must be exactly the album's images."""
    detail = await service.reorder_items(
        session, owner_id=user.id, kind="album", collection_id=album_id, file_ids=data.image_ids
    )
    return AlbumDetail.of_detail(detail, principal=policy.principal_of(user))
