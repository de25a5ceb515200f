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


@router.get(
    "/search",
    responses={
        **AUTH_RESPONSES,
        422: {"description": "empty_query, query_too_complex or validation_error", **PROBLEM_SCHEMA},
    },
)
async def search(
    q: Annotated[str, Query(min_length=1, max_length=MAX_QUERY_LENGTH, description=QUERY_HELP)],
    filters: Annotated[SearchFilters, Query()],
    page: PageDep,
    user: CurrentUser,
    session: SessionDep,
) -> Page[SearchHit]:
    """Search the caller's files, best match first."""
    return await service.search(session, user=user, query=q, filters=filters, page=page)
