"""Search: one entry point, one query builder per SQL dialect.

SQLite ranks with bm25 over the FTS5 index the `search01` migration keeps in step; PostgreSQL
with ts_rank_cd over the weighted tsvector `scale01` keeps in `file_search` (GIN), from the same
query AST. Any other dialect falls back to an unranked ILIKE search over the same fields.
"""

import logging
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import UTCDateTime
from app.errors import Unprocessable
from app.files import service as files
from app.files.schemas import file_fields
from app.library.search_text import DOC_TABLE, FTS_TABLE, PG_TABLE
from app.models import Collection, CollectionItem, File, FileTag, FileText, ImageMeta, User
from app.pagination import Page, PageParams
from app.search.query import Query, QueryError, Term, parse, to_fts5, to_tsquery
from app.search.schemas import SearchFilters, SearchHit

logger = logging.getLogger("atrium.search")

# bm25 weights, in the FTS5 column order: name, title, description, tags, camera, body.
WEIGHTS = (10.0, 6.0, 2.0, 5.0, 3.0, 1.0)

_fts = sa.table(FTS_TABLE, sa.column("rowid", sa.Integer))
_doc = sa.table(
    DOC_TABLE,
    sa.column("id", sa.Integer),
    sa.column("file_id", sa.Uuid),
    sa.column("owner_id", sa.Uuid),
    sa.column("created_at", UTCDateTime),
    sa.column("deleted_at", UTCDateTime),
)
_pg_doc = sa.table(PG_TABLE, sa.column("file_id", sa.Uuid), sa.column("doc", TSVECTOR))


@dataclass(frozen=True)
class _Ranked:
    hits: list[SearchHit]
    total: int


async def search(
    session: AsyncSession, *, user: User, query: str, filters: SearchFilters, page: PageParams
) -> Page[SearchHit]:
    """The caller's live files matching `query` and `filters`, best first (`order=desc`)."""
    try:
        parsed = parse(query)
    except QueryError as exc:
        raise Unprocessable(str(exc), code=exc.code) from exc
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        ranked = await _search_fts5(session, parsed=parsed, user=user, filters=filters, page=page)
    else:
        conditions = filter_conditions(user=user, filters=filters)
        search_in = _search_tsvector if dialect == "postgresql" else _search_ilike
        ranked = await search_in(session, parsed=parsed, conditions=conditions, page=page)
    return Page(items=ranked.hits, total=ranked.total, page=page.page, per_page=page.per_page)


def filter_conditions(*, user: User, filters: SearchFilters) -> list[sa.ColumnElement[bool]]:
    """The file list's conditions (live files of the caller, its filters), plus the album."""
    # files' own filter builder, so both lists filter alike (it is private there; see the report)
    return [File.owner_id == user.id, File.deleted_at.is_(None), *_narrowing(user, filters)]


def _narrowing(user: User, filters: SearchFilters) -> list[sa.ColumnElement[bool]]:
    """The conditions of the filters alone, past the caller's live files."""
    conditions = files.filter_clauses(filters)
    if filters.album_id is not None:
        conditions.append(File.id.in_(_album_members(user, filters.album_id)))
    return conditions


def _album_members(user: User, album_id: Any) -> sa.Select[Any]:
    return (
        sa.select(CollectionItem.file_id)
        .join(Collection, Collection.id == CollectionItem.collection_id)
        .where(Collection.id == album_id, Collection.owner_id == user.id, Collection.kind == "album")
    )


def _ranked_page(
    scored: sa.CTE, conditions: list[sa.ColumnElement[bool]], page: PageParams
) -> sa.Select[Any]:
    """One page of the scored matches the conditions keep, with the total of all of them."""
    ordering = scored.c.score.desc() if page.order == "desc" else scored.c.score.asc()
    return (
        sa.select(File.id, scored.c.score, sa.func.count().over().label("total"))
        .join_from(scored, File, File.id == scored.c.file_id)
        .where(*conditions)
        .order_by(ordering, File.created_at.desc(), File.id)
        .offset(page.offset)
        .limit(page.per_page)
    )


async def _loaded(
    session: AsyncSession, ranked: sa.Select[Any], page: PageParams
) -> tuple[list[SearchHit], int]:
    """The ranked page's files as hits, in one statement (plus one for their tags), read as the
    file list reads its rows: the page is a subquery, joined back to `file` by id in its order."""
    hits = ranked.subquery("hits")
    ordering = hits.c.score.desc() if page.order == "desc" else hits.c.score.asc()
    statement = (
        files.page_rows(sa.select(File).join(hits, File.id == hits.c.id))
        .add_columns(hits.c.score, hits.c.total)
        .order_by(ordering, File.created_at.desc(), File.id)
    )
    rows = await files.fetch_rows(session, statement)
    return await files.read_rows(session, rows, SearchHit), (rows[0].total if rows else 0)


async def _ranked_hits(
    session: AsyncSession, ranked: sa.Select[Any], count: sa.Select[int], page: PageParams
) -> _Ranked:
    """The page of hits; past the end the page has no total, so `count` says it."""
    hits, total = await _loaded(session, ranked, page)
    if not hits and page.offset:
        total = (await session.execute(count)).scalar_one()
    return _Ranked(hits=hits, total=total)


async def _search_fts5(
    session: AsyncSession, *, parsed: Query, user: User, filters: SearchFilters, page: PageParams
) -> _Ranked:
    ranked, count = fts5_statements(parsed=parsed, user=user, filters=filters, page=page)
    try:
        return await _ranked_hits(session, ranked, count, page)
    except OperationalError as exc:  # only a parser bug could get here; answer 422, say so in the log
        if "fts5" not in str(exc.orig):
            raise
        logger.error("FTS5 refused a rendered query %r: %s", to_fts5(parsed), exc.orig)
        raise Unprocessable("this query cannot be searched", code="invalid_query") from exc


def fts5_statements(
    *, parsed: Query, user: User, filters: SearchFilters, page: PageParams
) -> tuple[sa.Select[Any], sa.Select[int]]:
    """The ranked page (file id, score, total) and the count for a page past the end.

    Both start from the FTS index and read `search_doc` by rowid, which answers owner, trash
    and the tie order itself (migration search02). Only filters reach `file`: then the matches
    are scored once first (a materialised CTE, so SQLite cannot turn the join around and re-run
    MATCH per file of the owner), and joined to `file` by id.
    """
    table: sa.ColumnElement[Any] = sa.literal_column(FTS_TABLE)
    score = (-sa.func.bm25(table, *WEIGHTS)).label("score")
    mine = [
        table.op("MATCH")(to_fts5(parsed)),
        _doc.c.owner_id == user.id,
        _doc.c.deleted_at.is_(None),
    ]
    matched = sa.select(_doc.c.file_id, _doc.c.created_at, score)
    matched = matched.select_from(sa.join(_fts, _doc, _doc.c.id == _fts.c.rowid)).where(*mine)
    narrowing = _narrowing(user, filters)
    if narrowing:
        scored = matched.cte("matched").prefix_with("MATERIALIZED")
        matched = sa.select(scored).join_from(scored, File, File.id == scored.c.file_id).where(*narrowing)
    found = matched.subquery("found")
    count = sa.select(sa.func.count()).select_from(found)
    # a second pass over the index is cheaper than a window, unless filters join `file` again
    total = sa.func.count().over() if narrowing else count.scalar_subquery()
    ordering = found.c.score.desc() if page.order == "desc" else found.c.score.asc()
    ranked = (
        sa.select(found.c.file_id.label("id"), found.c.score, total.label("total"))
        .order_by(ordering, found.c.created_at.desc(), found.c.file_id)
        .offset(page.offset)
        .limit(page.per_page)
    )
    return ranked, count


async def _search_tsvector(
    session: AsyncSession, *, parsed: Query, conditions: list[sa.ColumnElement[bool]], page: PageParams
) -> _Ranked:
    ranked, count = tsvector_statements(parsed=parsed, conditions=conditions, page=page)
    return await _ranked_hits(session, ranked, count, page)


def tsvector_statements(
    *, parsed: Query, conditions: list[sa.ColumnElement[bool]], page: PageParams
) -> tuple[sa.Select[Any], sa.Select[int]]:
    """The ranked page (file id, score, total) and the count for a page past the end, on
    PostgreSQL: the GIN index finds the matches, ts_rank_cd (weights D, C, B, A) scores them."""
    tsquery = sa.func.to_tsquery(sa.literal_column("'simple'"), sa.func.unaccent(to_tsquery(parsed)))
    match = _pg_doc.c.doc.op("@@")(tsquery)
    score = sa.func.ts_rank_cd(sa.literal_column("'{0.1, 0.3, 0.6, 1.0}'"), _pg_doc.c.doc, tsquery)
    scored = sa.select(_pg_doc.c.file_id, score.label("score")).where(match).cte("matched")
    ranked = _ranked_page(scored, conditions, page)
    count = sa.select(sa.func.count()).where(
        File.id.in_(sa.select(_pg_doc.c.file_id).where(match)), *conditions
    )
    return ranked, count


async def _search_ilike(
    session: AsyncSession, *, parsed: Query, conditions: list[sa.ColumnElement[bool]], page: PageParams
) -> _Ranked:
    """Unranked (score 0): every clause must appear somewhere, no excluded term anywhere."""
    where = [*conditions, *(_clause_matches(clause) for clause in parsed.required)]
    where += [sa.not_(_term_matches(term)) for term in parsed.excluded]
    direction = File.created_at.desc() if page.order == "desc" else File.created_at.asc()
    rows = sa.select(File, sa.literal(0.0)).where(*where).order_by(direction, File.id)
    rows = rows.options(*files.FILE_LOAD)
    rows = rows.offset(page.offset).limit(page.per_page)
    total = (await session.execute(sa.select(sa.func.count()).select_from(File).where(*where))).scalar_one()
    found = [
        SearchHit(**file_fields(file), score=score) for file, score in (await session.execute(rows)).all()
    ]
    return _Ranked(hits=found, total=total)


def _clause_matches(clause: Term | Any) -> sa.ColumnElement[bool]:
    if isinstance(clause, Term):
        return _term_matches(clause)
    return sa.or_(*(_term_matches(term) for term in clause.terms))


def _term_matches(term: Term) -> sa.ColumnElement[bool]:
    pattern = "%" + term.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"

    def like(column: Any) -> sa.ColumnElement[bool]:
        return sa.func.coalesce(column, "").ilike(pattern, escape="\\")

    return sa.or_(
        like(File.name),
        like(File.title),
        like(File.description),
        sa.exists().where(FileTag.file_id == File.id, like(FileTag.name)),
        sa.exists().where(
            ImageMeta.file_id == File.id,
            sa.or_(like(ImageMeta.camera_make), like(ImageMeta.camera_model), like(ImageMeta.lens)),
        ),
        sa.exists().where(FileText.file_id == File.id, like(FileText.content)),
    )
