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


@sqlite_only
async def test_ranked_page_and_count_start_from_the_index(
    make_user: MakeUser, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    alice = await make_user("alice")
    async with session_factory() as session:
        await seed(session, uuid.UUID(alice.id), 200)
        user = await session.get(User, uuid.UUID(alice.id))
        assert user is not None
        conditions = service.filter_conditions(user=user, filters=SearchFilters())
        page = PageParams(page=1, per_page=50, order="desc")
        ranked, count = service.fts5_statements(parsed=parse("harbour"), conditions=conditions, page=page)
        for statement in (ranked, count):
            plan = await query_plan(session, statement)
            fts = [line for line in plan if "file_fts" in line]
            # ":=" would mean a rowid-constrained MATCH, re-run once per file of the owner
            assert fts, plan
            assert all("INDEX 0:M" in line for line in fts), plan
        plan = await query_plan(session, ranked)
        assert any("COVERING INDEX ix_file_id_live" in line for line in plan), plan


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
