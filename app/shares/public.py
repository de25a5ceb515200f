"""Share links, the visitor's API under /api/s/{token}: no account, the link is the key."""

import uuid

from fastapi import APIRouter, Request, Response
from starlette.responses import StreamingResponse

from app.auth.dependencies import ClientAddress, SettingsDep
from app.db import SessionDep
from app.files import serve
from app.files.dependencies import StorageDep
from app.images.renditions import ImageWorkDep
from app.images.schemas import ThumbnailSize
from app.ledger import LedgerDep
from app.pagination import PageDep
from app.problems import Responses, problems
from app.shares import links
from app.shares.dependencies import LINK_CODES, LinkDep, ShareToken
from app.shares.schemas import ShareListing, Unlocked, UnlockRequest
from app.zips.respond import ZIP_OK, zip_response

router = APIRouter(prefix="/api/s", tags=["shared"])

DOWNLOAD_CODES = ("download_not_allowed", "share_download_limit", "original_protected")
NOT_MODIFIED: Responses = {304: {"description": "not modified (If-None-Match)"}}


@router.get("/{token}", responses=problems(*LINK_CODES))
async def open_share(link: LinkDep, session: SessionDep, page: PageDep) -> ShareListing:
    """What the link shows: its options, its target and a page of files (the public projection)."""
    return await links.listing(session, link=link, page=page, count_view=page.page == 1)


@router.post(
    "/{token}/unlock",
    responses=problems("share_not_found", "share_expired", "share_password_invalid", "rate_limited"),
)
async def unlock_share(
    token: ShareToken, data: UnlockRequest, session: SessionDep, settings: SettingsDep, client: ClientAddress
) -> Unlocked:
    """Trade the link's password for a short-lived token for this link alone (send it as Bearer)."""
    return await links.unlock(session, settings=settings, token=token, password=data.password, client=client)


@router.head("/{token}/files/{file_id}/download", include_in_schema=False)
@router.get(
    "/{token}/files/{file_id}/download",
    response_class=Response,
    responses={
        **problems(
            *LINK_CODES,
            "file_not_found",
            *DOWNLOAD_CODES,
            "content_missing",
            "range_not_satisfiable",
            "image_unreadable",
            "image_too_large",
        ),
        **NOT_MODIFIED,
    },
)
async def download_shared_file(
    request: Request,
    file_id: uuid.UUID,
    link: LinkDep,
    session: SessionDep,
    storage: StorageDep,
    work: ImageWorkDep,
    ledger: LedgerDep,
) -> Response:
    """A shared file's original, as a download (without its location when the link hides metadata)."""
    download = await links.download(
        session, storage=storage, work=work, ledger=ledger, link=link, file_id=file_id
    )
    return await serve.send(request, download)


@router.head("/{token}/files/{file_id}/thumbnail", include_in_schema=False)
@router.get(
    "/{token}/files/{file_id}/thumbnail",
    response_class=Response,
    responses={
        **problems(*LINK_CODES, "image_not_found", "content_missing", "image_unreadable", "image_too_large"),
        **NOT_MODIFIED,
    },
)
async def shared_thumbnail(
    request: Request,
    file_id: uuid.UUID,
    link: LinkDep,
    session: SessionDep,
    storage: StorageDep,
    work: ImageWorkDep,
    size: ThumbnailSize = "small",
) -> Response:
    """A shared image's thumbnail (watermarked past `small` when its artist sets one)."""
    served = await links.thumbnail(session, storage=storage, work=work, link=link, file_id=file_id, size=size)
    return await serve.send(request, served.download())


@router.get(
    "/{token}/zip",
    response_class=StreamingResponse,
    responses={**problems(*LINK_CODES, *DOWNLOAD_CODES), **ZIP_OK},
)
async def zip_share(
    request: Request, link: LinkDep, session: SessionDep, storage: StorageDep
) -> StreamingResponse:
    """Every downloadable file of the link in one streamed ZIP (counts one download)."""
    return await zip_response(request, storage, await links.archive(session, link=link))
