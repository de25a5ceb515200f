import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response, status

from app.auth.dependencies import (
    AUTH_RESPONSES,
    PROBLEM_SCHEMA,
    ClientAddress,
    CurrentUser,
    OptionalUser,
    SettingsDep,
)
from app.db import SessionDep
from app.files.dependencies import StorageDep
from app.images import service
from app.images.render import MAX_RENDER_EDGE, RENDER_MEDIA_TYPES, Fit, RenderFormat
from app.images.renditions import ImageWorkDep, RenderRequest
from app.images.schemas import (
    BatchResult,
    ImageBatch,
    ImageFilters,
    ImageRead,
    ImageSort,
    ImageUpdate,
    ImageView,
    TagCount,
    ThumbnailSize,
)
from app.pagination import Page, PageDep

router = APIRouter(prefix="/api", tags=["images"])

NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "image_not_found", **PROBLEM_SCHEMA}}
BYTES: dict[int | str, dict[str, Any]] = {
    **AUTH_RESPONSES,
    **NOT_FOUND,
    304: {"description": "not modified (If-None-Match)"},
    422: {"description": "bad parameters, or image_unreadable / image_too_large", **PROBLEM_SCHEMA},
}
DOWNLOAD_OK: dict[int | str, dict[str, Any]] = {
    200: {"description": "the original bytes", "content": {"application/octet-stream": {}}},
    206: {"description": "the requested range"},
}
THUMBNAIL_OK: dict[int | str, dict[str, Any]] = {
    200: {"description": "a WebP thumbnail", "content": {"image/webp": {}}}
}
RENDER_OK: dict[int | str, dict[str, Any]] = {
    200: {"description": "the rendition", "content": {t: {} for t in RENDER_MEDIA_TYPES.values()}},
    429: {"description": "too many new (uncached) renditions; see Retry-After", **PROBLEM_SCHEMA},
}
Edge = Annotated[int | None, Query(ge=1, le=MAX_RENDER_EDGE)]

PROTECTED: dict[int | str, dict[str, Any]] = {
    403: {
        "description": "original_protected: an artwork whose artist does not allow downloads",
        **PROBLEM_SCHEMA,
    }
}


@router.get(
    "/images",
    responses={
        **AUTH_RESPONSES,
        400: {"description": "tag_filter_private: `tag` on someone else's images", **PROBLEM_SCHEMA},
    },
)
async def list_images(
    viewer: OptionalUser,
    session: SessionDep,
    page: PageDep,
    album_id: uuid.UUID | None = None,
    tag: str | None = None,
    taken_after: datetime | None = None,
    taken_before: datetime | None = None,
    camera: Annotated[str | None, Query(description="camera make or model contains (any case)")] = None,
    user_id: Annotated[uuid.UUID | None, Query(description="another user's public images")] = None,
    sort: ImageSort = "created_at",
) -> Page[ImageView]:
    """The caller's images, another user's public images, or an album's images."""
    filters = ImageFilters(
        album_id=album_id,
        tag=tag,
        taken_after=taken_after,
        taken_before=taken_before,
        camera=camera,
        user_id=user_id,
    )
    return await service.list_images(session, viewer=viewer, filters=filters, sort=sort, page=page)


@router.post("/images/batch", responses={**AUTH_RESPONSES, **NOT_FOUND})
async def batch(data: ImageBatch, user: CurrentUser, session: SessionDep) -> BatchResult:
    """Apply one operation to many images; any unknown or foreign id changes nothing (404)."""
    return await service.run_batch(session, owner=user, batch=data)


@router.get("/images/{image_id}", responses={**AUTH_RESPONSES, **NOT_FOUND})
async def get_image(image_id: uuid.UUID, viewer: OptionalUser, session: SessionDep) -> ImageView:
    """An image with its dimensions and EXIF (others see no tags, checksum, folder or GPS); counts a view."""
    return await service.view_image(session, image_id=image_id, viewer=viewer)


@router.put("/images/{image_id}", responses={**AUTH_RESPONSES, **NOT_FOUND})
async def update_image(
    image_id: uuid.UUID, data: ImageUpdate, user: CurrentUser, session: SessionDep
) -> ImageRead:
    """Edit title, description and tags; `album_id` adds the image to that album."""
    return await service.update_image(session, owner=user, image_id=image_id, data=data)


@router.delete(
    "/images/{image_id}", status_code=status.HTTP_204_NO_CONTENT, responses={**AUTH_RESPONSES, **NOT_FOUND}
)
async def delete_image(image_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> Response:
    """Move an image to the trash and out of every album."""
    await service.delete_image(session, owner=user, image_id=image_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.head("/images/{image_id}/download", include_in_schema=False)
@router.get(
    "/images/{image_id}/download", response_class=Response, responses={**BYTES, **DOWNLOAD_OK, **PROTECTED}
)
async def download_image(
    request: Request, image_id: uuid.UUID, viewer: OptionalUser, session: SessionDep, storage: StorageDep
) -> Response:
    """The original bytes, as a file download (Range, If-None-Match, HEAD)."""
    return await service.download_image(
        session, storage=storage, request=request, image_id=image_id, viewer=viewer
    )


@router.head("/images/{image_id}/thumbnail", include_in_schema=False)
@router.get("/images/{image_id}/thumbnail", response_class=Response, responses={**BYTES, **THUMBNAIL_OK})
async def get_thumbnail(
    request: Request,
    image_id: uuid.UUID,
    viewer: OptionalUser,
    session: SessionDep,
    storage: StorageDep,
    work: ImageWorkDep,
    size: ThumbnailSize = "small",
) -> Response:
    """A thumbnail (longest side 256, 1024 or 2048), made on first request."""
    served = await service.image_thumbnail(
        session, work=work, storage=storage, image_id=image_id, viewer=viewer, size=size
    )
    return await served.response(request)


@router.head("/images/{image_id}/render", include_in_schema=False)
@router.get("/images/{image_id}/render", response_class=Response, responses={**BYTES, **RENDER_OK})
async def get_render(
    request: Request,
    image_id: uuid.UUID,
    viewer: OptionalUser,
    session: SessionDep,
    storage: StorageDep,
    work: ImageWorkDep,
    settings: SettingsDep,
    client: ClientAddress,
    w: Edge = None,
    h: Edge = None,
    fit: Fit = "contain",
    format: RenderFormat = "jpeg",
    quality: Annotated[int, Query(ge=1, le=100)] = 85,
) -> Response:
    """A cached rendition (never enlarged); of a protected artwork visitors get <=2048 px, q<=85, PNG half."""
    spec = RenderRequest.bounded(w, h, fit, format, quality)
    served = await service.image_rendition(
        session,
        work=work,
        storage=storage,
        image_id=image_id,
        viewer=viewer,
        spec=spec,
        settings=settings,
        client=client,
    )
    return await served.response(request)


@router.get("/tags", responses=AUTH_RESPONSES)
async def list_tags(
    user: CurrentUser,
    session: SessionDep,
    prefix: Annotated[str | None, Query(max_length=64, description="only tags starting with this")] = None,
) -> list[TagCount]:
    """The caller's tags with how many files carry each."""
    return await service.list_tags(session, owner_id=user.id, prefix=prefix)
