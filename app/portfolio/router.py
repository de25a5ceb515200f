import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from app.auth.dependencies import AUTH_RESPONSES, CurrentUser, OptionalUser, SettingsDep
from app.db import SessionDep
from app.files import serve
from app.files.dependencies import UPLOAD_CODES, IncomingUpload, StorageDep, multipart_body, storage_of
from app.images.renditions import ImageWorkDep
from app.pagination import Page, PageDep
from app.portfolio import artists, service
from app.portfolio.schemas import (
    ArtistPage,
    ArtistRead,
    ArtistUpdate,
    ArtworkFields,
    ArtworkRead,
    ArtworkUpdate,
    ArtworkView,
    GalleryArtworkIds,
    GalleryCreate,
    GalleryDetail,
    GalleryRead,
    GalleryUpdate,
)
from app.problems import AUTH, problems

artworks_router = APIRouter(prefix="/api/artworks", tags=["portfolio"])
galleries_router = APIRouter(prefix="/api/galleries", tags=["portfolio"])
artists_router = APIRouter(prefix="/api/artists", tags=["portfolio"])

ARTWORK = problems(*AUTH, "artwork_not_found")
ARTWORK_NOT_YOURS = problems(*AUTH, "artwork_not_found", "not_owner")
GALLERY = problems(*AUTH, "gallery_not_found")
GALLERY_NOT_YOURS = problems(*AUTH, "gallery_not_found", "not_owner")
GALLERY_ITEMS = problems(*AUTH, "gallery_not_found", "not_owner", "artwork_not_found")
# The form fields are ArtworkFields' own schema, so the document states every bound the server checks.
UPLOAD_BODY = multipart_body(
    {
        "file": {"type": "string", "format": "binary", "description": "the artwork image"},
        **ArtworkFields.model_json_schema()["properties"],
    },
    required=["file", "title"],
)


# --- artworks ---------------------------------------------------------------------------------------


@artworks_router.post(
    "/upload",
    status_code=status.HTTP_201_CREATED,
    openapi_extra=UPLOAD_BODY,
    responses=problems(*AUTH, *UPLOAD_CODES, "gallery_not_found", "not_an_image", "one_file_expected"),
)
async def upload_artwork(
    incoming: IncomingUpload, session: SessionDep, settings: SettingsDep, user: CurrentUser
) -> ArtworkRead:
    """Upload one image as an artwork with its portfolio fields."""
    return await service.upload_artwork(session, settings=settings, user=user, incoming=incoming)


@artworks_router.get("", responses=AUTH_RESPONSES)
async def list_artworks(session: SessionDep, user: CurrentUser, page: PageDep) -> Page[ArtworkRead]:
    """The caller's artworks, newest first."""
    return await service.list_artworks(session, owner_id=user.id, page=page)


@artworks_router.get("/{artwork_id}", responses=ARTWORK)
async def get_artwork(artwork_id: uuid.UUID, session: SessionDep, viewer: OptionalUser) -> ArtworkView:
    """One artwork: the full record for its artist, the public face for anyone else."""
    return await service.get_artwork(session, viewer=viewer, artwork_id=artwork_id)


@artworks_router.put("/{artwork_id}", responses=ARTWORK_NOT_YOURS)
async def update_artwork(
    artwork_id: uuid.UUID, data: ArtworkUpdate, session: SessionDep, user: CurrentUser
) -> ArtworkRead:
    """Change an artwork's title, description, medium, year, dimensions or tags."""
    return await service.update_artwork(session, user=user, artwork_id=artwork_id, data=data)


@artworks_router.delete("/{artwork_id}", status_code=status.HTTP_204_NO_CONTENT, responses=ARTWORK_NOT_YOURS)
async def delete_artwork(
    artwork_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    permanent: Annotated[bool, Query(description="remove bytes and metadata now")] = False,
) -> Response:
    """Take an artwork out of its galleries and move it to the trash."""
    await service.delete_artwork(
        session, storage=storage_of(request), user=user, artwork_id=artwork_id, permanent=permanent
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- galleries --------------------------------------------------------------------------------------


@galleries_router.get("", responses=AUTH_RESPONSES)
async def list_galleries(
    session: SessionDep,
    viewer: OptionalUser,
    page: PageDep,
    artist_id: Annotated[uuid.UUID | None, Query(description="an artist's public galleries")] = None,
) -> Page[GalleryRead]:
    """The caller's galleries, or an artist's public galleries."""
    return await service.list_galleries(session, viewer=viewer, artist_id=artist_id, page=page)


@galleries_router.post("", status_code=status.HTTP_201_CREATED, responses=AUTH_RESPONSES)
async def create_gallery(data: GalleryCreate, session: SessionDep, user: CurrentUser) -> GalleryRead:
    """Create a gallery (private, originals protected, unless said otherwise)."""
    return await service.create_gallery(session, owner=user, data=data)


@galleries_router.get("/{gallery_id}", responses=GALLERY)
async def get_gallery(gallery_id: uuid.UUID, session: SessionDep, viewer: OptionalUser) -> GalleryDetail:
    """A gallery with its artworks in display order (public galleries need no token)."""
    return await service.get_gallery(session, viewer=viewer, gallery_id=gallery_id)


@galleries_router.put(
    "/{gallery_id}", responses=problems(*AUTH, "gallery_not_found", "not_owner", "cover_not_in_collection")
)
async def update_gallery(
    gallery_id: uuid.UUID, data: GalleryUpdate, session: SessionDep, user: CurrentUser
) -> GalleryRead:
    """Change a gallery's title, description, visibility, downloads or cover."""
    return await service.update_gallery(session, user=user, gallery_id=gallery_id, data=data)


@galleries_router.delete("/{gallery_id}", status_code=status.HTTP_204_NO_CONTENT, responses=GALLERY_NOT_YOURS)
async def delete_gallery(gallery_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> Response:
    """Delete a gallery; its artworks stay."""
    await service.delete_gallery(session, user=user, gallery_id=gallery_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@galleries_router.post("/{gallery_id}/artworks", responses=GALLERY_ITEMS)
async def add_gallery_artworks(
    gallery_id: uuid.UUID, data: GalleryArtworkIds, session: SessionDep, user: CurrentUser
) -> GalleryDetail:
    """Append the caller's artworks; any unknown or foreign id changes nothing (404)."""
    return await service.add_artworks(session, user=user, gallery_id=gallery_id, artwork_ids=data.artwork_ids)


@galleries_router.delete(
    "/{gallery_id}/artworks/{artwork_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=GALLERY_ITEMS,
)
async def remove_gallery_artwork(
    gallery_id: uuid.UUID, artwork_id: uuid.UUID, session: SessionDep, user: CurrentUser
) -> Response:
    """Take an artwork out of a gallery (the artwork stays)."""
    await service.remove_artwork(session, user=user, gallery_id=gallery_id, artwork_id=artwork_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@galleries_router.put(
    "/{gallery_id}/order",
    responses=problems(*AUTH, "gallery_not_found", "not_owner", "order_mismatch"),
)
async def reorder_gallery(
    gallery_id: uuid.UUID, data: GalleryArtworkIds, session: SessionDep, user: CurrentUser
) -> GalleryDetail:
    """Set the display order; the ids must be exactly the gallery's artworks."""
    return await service.reorder_artworks(
        session, user=user, gallery_id=gallery_id, artwork_ids=data.artwork_ids
    )


# --- artists ----------------------------------------------------------------------------------------


@artists_router.get("/me", responses=AUTH_RESPONSES)
async def get_my_profile(session: SessionDep, user: CurrentUser) -> ArtistRead:
    """The caller's artist profile, watermark included."""
    return await artists.get_profile(session, user=user)


@artists_router.put(
    "/me",
    responses=problems(*AUTH, "file_not_found", "avatar_not_an_image"),
)
async def update_my_profile(data: ArtistUpdate, session: SessionDep, user: CurrentUser) -> ArtistRead:
    """Update the caller's display name, bio, website, avatar or watermark."""
    return await artists.update_profile(session, user=user, data=data)


@artists_router.head("/{artist_id}/avatar", include_in_schema=False)
@artists_router.get(
    "/{artist_id}/avatar",
    response_class=Response,
    responses={
        **problems(
            "artist_not_found", "avatar_not_found", "content_missing", "image_unreadable", "image_too_large"
        ),
        **serve.served("a WebP thumbnail (longest side 256)", ("image/webp",)),
    },
)
async def get_avatar(
    artist_id: uuid.UUID, request: Request, session: SessionDep, storage: StorageDep, work: ImageWorkDep
) -> Response:
    """An artist's avatar as a small thumbnail; no token needed."""
    served = await artists.avatar_thumbnail(session, work=work, storage=storage, artist_id=artist_id)
    return await serve.send(request, served.download())


@artists_router.get("/{artist_id}", responses=problems("artist_not_found"))
async def get_artist(artist_id: uuid.UUID, session: SessionDep) -> ArtistPage:
    """An artist's public page with their public galleries and artworks; no token needed."""
    return await artists.get_artist_page(session, artist_id=artist_id)


router = APIRouter()
router.include_router(artworks_router)
router.include_router(galleries_router)
router.include_router(artists_router)
