"""The FTS5 search runs MATCH once and walks from the index to the files, never the other way."""

import uuid

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import utcnow
from app.models import File, User
from app.pagination import PageParams
from app.search import service
from app.search.query import parse
from app.search.schemas import SearchFilters
from tests.conftest import MakeUser, UserHandle, sqlite_only
from tests.search.conftest import AddFile

pytestmark = [pytest.mark.anyio, pytest.mark.internals]


async def query_plan(session: AsyncSession, statement: sa.Executable) -> list[str]:
    sql = str(statement.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}))
    rows = await session.execute(sa.text("EXPLAIN QUERY PLAN " + sql))
    return [row[3] for row in rows]


async def seed(session: AsyncSession, owner_id: uuid.UUID, count: int) -> None:
    now = utcnow()
    rows = [
        {
            "id": uuid.uuid4(),
            "owner_id": owner_id,
            "name": f"harbour {i}.txt",
            "storage_key": uuid.uuid4().hex,
            "mime_type": "text/plain",
            "kind": "text",
            "size": 1,
            "sha256": "0" * 64,
            "created_at": now,
            "updated_at": now,
        }
        for i in range(count)
    ]
    await session.execute(sa.insert(File), rows)
    await session.commit()


def index_first(plan: list[str]) -> bool:
    fts = [line for line in plan if "file_fts" in line]
    # ":=" would mean a rowid-constrained MATCH, re-run once per file of the owner
    return bool(fts) and all("INDEX 0:M" in line for line in fts)


@sqlite_only
@pytest.mark.parametrize(
    ("filters", "reads_file"),
    [(SearchFilters(), False), (SearchFilters(type="text"), True)],
    ids=["unfiltered", "filtered"],
)
async def test_ranked_page_and_count_start_from_the_index(
    make_user: MakeUser,
    session_factory: async_sessionmaker[AsyncSession],
    filters: SearchFilters,
    reads_file: bool,
) -> None:
    """Owner, trash and tie order come from search_doc, read by rowid; `file` only for filters."""
    alice = await make_user("alice")
    async with session_factory() as session:
        await seed(session, uuid.UUID(alice.id), 200)
        user = await session.get(User, uuid.UUID(alice.id))
        assert user is not None
        page = PageParams(page=1, per_page=50, order="desc")
        statements = service.fts5_statements(parsed=parse("harbour"), user=user, filters=filters, page=page)
        for statement in statements:
            plan = await query_plan(session, statement)
            assert index_first(plan), plan
            assert any("search_doc USING INTEGER PRIMARY KEY" in line for line in plan), plan
            file_reads = [line for line in plan if line.startswith(("SEARCH file ", "SCAN file "))]
            assert bool(file_reads) is reads_file, plan
            assert all(line.endswith("(id=?)") for line in file_reads), plan  # by id, from a match


async def test_total_is_right_on_a_page_past_the_end(
    client: httpx.AsyncClient, make_user: MakeUser, add_file: AddFile
) -> None:
    alice: UserHandle = await make_user("alice")
    bob: UserHandle = await make_user("bob")
    for i in range(3):
        await add_file(alice.id, f"dock {i}.txt")
    await add_file(alice.id, "dock trashed.txt", deleted_at=utcnow())
    await add_file(bob.id, "dock of bob.txt")
    for page, expected in ((1, 2), (2, 1), (5, 0)):
        response = await client.get(
            "/api/search", params={"q": "dock", "per_page": 2, "page": page}, headers=alice.headers
        )
        body = response.json()
        assert (body["total"], len(body["items"])) == (3, expected), body
