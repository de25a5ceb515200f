"""What a file list costs: every sort read in index order, few statements, a calm collector."""

import gc
import re
import uuid
from typing import Any, get_args

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from sqlalchemy.dialects import sqlite

from app.config import Settings
from app.files import service
from app.files.schemas import FileFilters, SortField
from app.gctune import YOUNG_THRESHOLD
from app.images.service import tags_query
from app.main import create_app
from app.pagination import Cursor
from tests.conftest import MakeUser, sqlite_only
from tests.files.helpers import png_bytes
from tests.internals.sqlcount import sign_in_reads, statements


@sqlite_only
@pytest.mark.parametrize("order", ["asc", "desc"])
@pytest.mark.parametrize("sort", get_args(SortField))
async def test_each_sort_reads_a_page_in_index_order(app: FastAPI, sort: Any, order: str) -> None:
    query = service.list_query(owner_id=uuid.uuid4(), filters=FileFilters(), sort=sort, order=order)
    # the statement the list runs: the page's columns with its image rows joined by key
    for statement in (query.limit(50), service.page_rows(query.limit(50))):
        sql = str(statement.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}))
        async with app.state.session_factory() as session:
            plan = [row[3] for row in await session.execute(sa.text("EXPLAIN QUERY PLAN " + sql))]
        assert any("USING INDEX ix_file_owner_" in line for line in plan), plan
        assert not any("TEMP B-TREE" in line for line in plan), plan  # no sort of every live file


async def test_a_page_of_images_takes_three_statements_after_the_sign_in(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    alice = await make_user()
    files = [("files", (f"p{i}.png", png_bytes(color=c), "image/png")) for i, c in enumerate(["red", "blue"])]
    assert (await client.post("/api/upload", headers=alice.headers, files=files)).status_code == 201
    with statements(app) as seen:
        response = await client.get("/api/files", headers=alice.headers)
    assert response.status_code == 200
    assert all(item["image"]["width"] == 16 for item in response.json()["items"])
    # the sign-in (kept since the upload), count, page with its image rows, tags
    assert len(seen) == sign_in_reads(app) + 3, seen


async def test_serving_freezes_the_startup_heap_and_collects_less_often(settings: Settings) -> None:
    application = create_app(settings)
    before = gc.get_threshold()
    gc.unfreeze()  # the test process froze its heap once (tests/conftest.py)
    try:
        async with application.router.lifespan_context(application):
            assert gc.get_freeze_count() > 0
            assert gc.get_threshold()[0] == YOUNG_THRESHOLD
        assert gc.get_threshold() == before
        assert gc.get_freeze_count() == 0
    finally:
        gc.freeze()


async def test_serving_leaves_a_heap_frozen_by_its_embedder_as_it_is(settings: Settings) -> None:
    application = create_app(settings)
    assert gc.get_freeze_count() > 0
    async with application.router.lifespan_context(application):
        assert gc.get_threshold()[0] == YOUNG_THRESHOLD
    assert gc.get_freeze_count() > 0  # still frozen: the app's unfreezing would have made it 0


@sqlite_only
@pytest.mark.parametrize("order", ["asc", "desc"])
@pytest.mark.parametrize("sort", get_args(SortField))
async def test_a_cursor_page_seeks_its_index_instead_of_walking_an_offset(
    app: FastAPI, sort: Any, order: str
) -> None:
    value = "x" if sort == "name" else "2026-01-01T00:00:00+00:00" if sort.endswith("_at") else 7
    after = Cursor(f"{sort}:{order}", value, uuid.uuid4(), 2)
    query = service.list_query(owner_id=uuid.uuid4(), filters=FileFilters(), sort=sort, order=order)
    query = query.where(service._beyond(after, sort=sort, order=order)).limit(51)
    sql = str(query.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}))
    async with app.state.session_factory() as session:
        plan = [row[3] for row in await session.execute(sa.text("EXPLAIN QUERY PLAN " + sql))]
    assert len(plan) == 1, plan  # one index search: no sort, no second pass
    assert f"({sort},id){'<' if order == 'desc' else '>'}(?,?)" in plan[0], plan
    assert "USING INDEX ix_file_owner_" in plan[0], plan


READS_FILES = re.compile(r"\bFROM file\b(?!_)|\bJOIN file\b(?!_)")


@pytest.mark.parametrize(
    "url",
    [
        "/api/auth/user",
        "/api/storage/stats",
        "/api/folders",
        "/api/files?per_page=1",
        "/api/trash?per_page=1",
    ],
)
async def test_totals_and_stats_read_the_counters_not_the_files(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser, url: str
) -> None:
    alice = await make_user()
    files = [("files", (f"p{i}.png", png_bytes(color=c), "image/png")) for i, c in enumerate(["red", "blue"])]
    assert (await client.post("/api/upload", headers=alice.headers, files=files)).status_code == 201
    with statements(app) as seen:
        response = await client.get(url, headers=alice.headers)
    assert response.status_code == 200
    counting = [s for s in seen if READS_FILES.search(s) and ("count(" in s.lower() or "sum(" in s.lower())]
    assert counting == [], counting
    if not url.startswith(
        ("/api/files", "/api/trash", "/api/images")
    ):  # a list reads its page of rows, nothing more
        assert not [s for s in seen if READS_FILES.search(s)], seen


@sqlite_only
async def test_tags_are_found_from_the_owners_tag_rows_not_the_owners_files(app: FastAPI) -> None:

    sql = str(
        tags_query(owner_id=uuid.uuid4(), prefix=None).compile(
            dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}
        )
    )
    async with app.state.session_factory() as session:
        plan = [row[3] for row in await session.execute(sa.text("EXPLAIN QUERY PLAN " + sql))]
    assert any(
        "file_tag USING COVERING INDEX ix_file_tag_owner_name (owner_id=?)" in line for line in plan
    ), plan
    assert any("SEARCH file USING INDEX" in line and "(id=?)" in line for line in plan), plan
