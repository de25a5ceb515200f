import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query

from app.auth.dependencies import AUTH_RESPONSES, PROBLEM_SCHEMA, CurrentUser
from app.db import SessionDep
from app.pagination import Page, PageDep
from app.search import service
from app.search.schemas import SearchFilters, SearchHit

router = APIRouter(prefix="/api", tags=["search"])

MAX_QUERY_LENGTH = 1000
QUERY_HELP = 'words (all must match), "exact phrase", a OR b, -excluded, prefix*'


def _utc(value: datetime | None) -> datetime | None:
    """A timestamp without a zone is read as UTC."""
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


@router.get(
    "/search",
    responses={
        **AUTH_RESPONSES,
        404: {"description": "folder_id is not the caller's folder", **PROBLEM_SCHEMA},
        422: {"description": "empty_query, query_too_complex or validation_error", **PROBLEM_SCHEMA},
    },
)
async def search(
    q: Annotated[str, Query(min_length=1, max_length=MAX_QUERY_LENGTH, description=QUERY_HELP)],
    page: PageDep,
    user: CurrentUser,
    session: SessionDep,
    type: Annotated[str | None, Query(description="a kind (image, video, ...) or a MIME prefix")] = None,
    folder_id: Annotated[str | None, Query(description="a folder id, or `root` for the top level")] = None,
    created_after: datetime | None = None,
    created_before: datetime | None = None,
    min_size: Annotated[int | None, Query(ge=0)] = None,
    max_size: Annotated[int | None, Query(ge=0)] = None,
    tag: Annotated[str | None, Query(max_length=64)] = None,
    album_id: Annotated[uuid.UUID | None, Query(description="only files in this album of the caller")] = None,
) -> Page[SearchHit]:
    """Search the caller's files, best match first (`order=asc` for worst first)."""
    filters = SearchFilters(
        type=type,
        folder_id=folder_id,
        created_after=_utc(created_after),
        created_before=_utc(created_before),
        min_size=min_size,
        max_size=max_size,
        tag=tag,
        album_id=album_id,
    )
    return await service.search(session, user=user, query=q, filters=filters, page=page)
