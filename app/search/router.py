import uuid
from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Query

from app.auth.dependencies import CurrentUser
from app.db import SessionDep
from app.files.dependencies import FileFiltersDep
from app.pagination import Page, PageDep
from app.problems import AUTH, problems
from app.search import service
from app.search.schemas import SearchFilters, SearchHit

router = APIRouter(prefix="/api", tags=["search"])

MAX_QUERY_LENGTH = 1000
QUERY_HELP = 'words (all must match), "exact phrase", a OR b, -excluded, prefix*'


@router.get(
    "/search",
    responses=problems(*AUTH, "empty_query", "query_too_complex", "invalid_query"),
)
async def search(
    q: Annotated[str, Query(min_length=1, max_length=MAX_QUERY_LENGTH, description=QUERY_HELP)],
    page: PageDep,
    user: CurrentUser,
    session: SessionDep,
    file_filters: FileFiltersDep,
    album_id: Annotated[uuid.UUID | None, Query(description="only files in this album of the caller")] = None,
) -> Page[SearchHit]:
    """Search the caller's files, best match first (`order=asc` for worst first)."""
    filters = SearchFilters(**asdict(file_filters), album_id=album_id)
    return await service.search(session, user=user, query=q, filters=filters, page=page)
