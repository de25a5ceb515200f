import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from app import signing
from app.auth.dependencies import (
    AUTH_RESPONSES,
    ClientAddress,
    CurrentUser,
    OptionalUser,
    SettingsDep,
)
from app.db import SessionDep
from app.files import serve
from app.files.dependencies import StorageDep
from app.images import service
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
from app.imaging.render import MAX_RENDER_EDGE, RENDER_MEDIA_TYPES, Fit, RenderFormat
from app.ledger import LedgerDep
from app.pagination import Page, PageDep
from app.problems import AUTH, problems

router = APIRouter(prefix="/api", tags=["images"])

NOT_FOUND = problems(*AUTH, "image_not_found")
# the codes of every route that serves an image's bytes
SERVED = (*AUTH, "image_not_found", "content_missing")
RENDERED = (*SERVED, "image_unreadable", "image_too_large")
DOWNLOAD_OK = serve.served("the original bytes, with their stored media type")
THUMBNAIL_OK = serve.served("a WebP thumbnail", ("image/webp",))
RENDER_OK = serve.served("the rendition", tuple(RENDER_MEDIA_TYPES.values()))
Edge = Annotated[int | None, Query(ge=1, le=MAX_RENDER_EDGE)]


@router.get(
    "/images",
    responses=problems(*AUTH, "tag_filter_private", "album_not_found"),
)
async def list_images(
    viewer: OptionalUser,
    session: SessionDep,
    page: PageDep,
    ledger: LedgerDep,
    album_id: Annotated[
        uuid.UUID | None, Query(description="an album the caller may see (else 404 album_not_found)")
    ] = None,
    tag: Annotated[str | None, Query(max_length=64, description="one of your own tags")] = None,
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
    return await service.list_images(
        session, viewer=viewer, filters=filters, sort=sort, page=page, ledger=ledger
    )


@router.post(
    "/images/batch", responses=problems(*AUTH, "image_not_found", "album_not_found", "folder_not_found")
)
async def batch(data: ImageBatch, user: CurrentUser, session: SessionDep) -> BatchResult:
    """Apply one operation to many images; any unknown or foreign id changes nothing (404)."""
    return await service.run_batch(session, owner=user, batch=data)


@router.get("/images/{image_id}", responses=NOT_FOUND)
async def get_image(
    image_id: uuid.UUID, viewer: OptionalUser, session: SessionDep, ledger: LedgerDep
) -> ImageView:
    """An image with its dimensions and EXIF (others see no tags, checksum, folder or GPS); counts a view."""
    return await service.view_image(session, ledger=ledger, image_id=image_id, viewer=viewer)


@router.put("/images/{image_id}", responses=problems(*AUTH, "image_not_found", "album_not_found"))
async def update_image(
    image_id: uuid.UUID, data: ImageUpdate, user: CurrentUser, session: SessionDep
) -> ImageRead:
    """Edit title, description and tags; `album_id` adds the image to that album."""
    return await service.update_image(session, owner=user, image_id=image_id, data=data)


@router.delete("/images/{image_id}", status_code=status.HTTP_204_NO_CONTENT, responses=NOT_FOUND)
async def delete_image(image_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> Response:
    """Move an image to the trash and out of every album."""
    await service.delete_image(session, owner=user, image_id=image_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.head("/images/{image_id}/download", include_in_schema=False)
@router.get(
    "/images/{image_id}/download",
    response_class=Response,
    responses={
        **problems(*SERVED, "range_not_satisfiable", "original_protected"),
        **DOWNLOAD_OK,
    },
)
async def download_image(
    request: Request,
    image_id: uuid.UUID,
    viewer: OptionalUser,
    session: SessionDep,
    storage: StorageDep,
    ledger: LedgerDep,
) -> Response:
    """The original bytes, as a file download (Range, If-None-Match, HEAD)."""
    download = await service.download_image(
        session, storage=storage, ledger=ledger, image_id=image_id, viewer=viewer
    )
    return await serve.send(request, download)


@router.head("/images/{image_id}/thumbnail", include_in_schema=False)
@router.get(
    "/images/{image_id}/thumbnail",
    response_class=Response,
    responses={**problems(*RENDERED, "signed_url_invalid", "signed_url_expired"), **THUMBNAIL_OK},
)
async def get_thumbnail(
    request: Request,
    image_id: uuid.UUID,
    viewer: OptionalUser,
    session: SessionDep,
    storage: StorageDep,
    work: ImageWorkDep,
    settings: SettingsDep,
    size: ThumbnailSize = "small",
    expires: Annotated[int | None, Query(description="with `signature`: a signed URL's expiry")] = None,
    signature: Annotated[str | None, Query(max_length=64, description="a signed URL's signature")] = None,
) -> Response:
    """A thumbnail (longest side 256, 1024 or 2048), made on first request. A signed URL (from
    `urls.thumbnail`) needs no token and may be cached publicly until it expires."""
    left = None
    if expires is not None or signature is not None:
        path = f"/api/images/{image_id}/thumbnail?size={size}"
        left = signing.verify(settings, path, expires=expires, signature=signature)
        viewer = await service.signed_url_viewer(session, image_id=image_id)
    served = await service.image_thumbnail(
        session, work=work, storage=storage, image_id=image_id, viewer=viewer, size=size
    )
    response = await serve.send(request, served.download())
    if left is not None:
        response.headers["Cache-Control"] = f"public, max-age={left}"
    return response


@router.head("/images/{image_id}/render", include_in_schema=False)
@router.get(
    "/images/{image_id}/render",
    response_class=Response,
    responses={**problems(*RENDERED, "rate_limited"), **RENDER_OK},
)
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
    return await serve.send(request, served.download())


@router.get("/tags", responses=AUTH_RESPONSES)
async def list_tags(
    user: CurrentUser,
    session: SessionDep,
    prefix: Annotated[str | None, Query(max_length=64, description="only tags starting with this")] = None,
) -> list[TagCount]:
    """The caller's tags with how many files carry each."""
    return await service.list_tags(session, owner_id=user.id, prefix=prefix)
