"""GET /api/files with 100,000 files under wrk, beside the bare FastAPI ceiling; search vs raw FTS."""

import contextlib
import random
import sqlite3
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from bench.report import Outcome, unmeasured
from bench.stats import alternate, median, ratio
from bench.wrk import WrkResult, lua_script, wrk

FILE_COUNT = 100_000
SEARCH_REPEAT = 20
SEARCH_BUDGET_S = 10.0
SEARCH_QUERIES = ("harbour", "harbour sunset")
CONNECTIONS = 50
WORDS = [
    "harbour",
    "sunset",
    "portrait",
    "mountain",
    "river",
    "forest",
    "autumn",
    "winter",
    "city",
    "night",
    "market",
    "bridge",
    "garden",
    "wedding",
    "beach",
    "desert",
    "studio",
    "concert",
    "street",
    "festival",
    "snow",
    "lake",
    "castle",
    "train",
    "harvest",
]
KINDS = [
    ("image/jpeg", "image", ".jpg"),
    ("application/pdf", "document", ".pdf"),
    ("text/plain", "text", ".txt"),
]


def sync_url(async_url: str) -> str:
    return async_url.replace("sqlite+aiosqlite://", "sqlite://", 1)


def file_rows(owner_id: uuid.UUID, count: int, *, seed: int = 7) -> list[dict[str, Any]]:
    """Rows for the file table: a few words per name and title so search has something to rank."""
    rng = random.Random(seed)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    rows = []
    for index in range(count):
        words = rng.sample(WORDS, 3)
        mime, kind, ext = KINDS[index % len(KINDS)]
        created = start + timedelta(minutes=index)
        rows.append(
            {
                "id": uuid.UUID(int=rng.getrandbits(128), version=4),
                "owner_id": owner_id,
                "name": f"{words[0]}_{words[1]}_{index:06d}{ext}",
                "title": " ".join(words),
                "description": f"{words[2]} shot number {index}",
                "storage_key": uuid.uuid4().hex,
                "mime_type": mime,
                "kind": kind,
                "size": 1000 + index,
                "sha256": f"{index:064x}",
                "created_at": created,
                "updated_at": created,
            }
        )
    return rows


def seed_files(database_url: str, owner_id: str, count: int = FILE_COUNT) -> float:
    """Insert `count` files owned by `owner_id` straight into the database; answers seconds taken."""
    from app.library import usage
    from app.models import File

    engine = sa.create_engine(sync_url(database_url))
    start = time.perf_counter()
    rows = file_rows(uuid.UUID(owner_id), count)
    with engine.begin() as connection:
        for offset in range(0, len(rows), 10_000):
            connection.execute(sa.insert(File), rows[offset : offset + 10_000])
        for statement in usage.rebuild():  # the rows came around the app: recount its counters
            connection.execute(statement)
    engine.dispose()
    return time.perf_counter() - start


def measure_list(
    *, app_url: str, ceiling_url: str, token: str, work: Path, rounds: int, seconds: int, available: bool
) -> Outcome:
    script = work / "auth.lua"
    script.write_text(lua_script(token))

    def load(url: str) -> Callable[[], WrkResult]:
        return lambda: wrk(url, script=script, connections=CONNECTIONS, seconds=seconds)

    atrium_url = f"{app_url}/api/files?per_page=50" if available else None
    for url in [atrium_url, f"{ceiling_url}/items"]:  # warm both up
        if url:
            wrk(url, script=script, connections=CONNECTIONS, seconds=2)
    atrium, ceiling = alternate(
        rounds, load(atrium_url) if atrium_url else None, load(f"{ceiling_url}/items")
    )
    if any(result.non_2xx or result.errors for result in atrium):
        raise RuntimeError(f"GET /api/files answered errors under load: {atrium}")
    if available:
        outcome = Outcome()
        outcome.metrics["list_p99_ms"] = median([r.p99_ms for r in atrium])
        outcome.metrics["list_vs_ceiling"] = ratio(
            median([r.rps for r in atrium]), median([r.rps for r in ceiling])
        )
    else:
        outcome = unmeasured(["list_p99_ms", "list_vs_ceiling"], "GET /api/files is not on this branch yet")
    outcome.details["list"] = {
        "atrium": _wrk_summary(atrium),
        "ceiling": _wrk_summary(ceiling),
        "atrium_rounds": [asdict(r) for r in atrium],
        "ceiling_rounds": [asdict(r) for r in ceiling],
        "connections": CONNECTIONS,
        "seconds_per_round": seconds,
    }
    return outcome


def _wrk_summary(results: list[WrkResult]) -> dict[str, float] | None:
    if not results:
        return None
    return {
        "req_s": median([r.rps for r in results]),
        "p50_ms": median([r.p50_ms for r in results]),
        "p99_ms": median([r.p99_ms for r in results]),
    }


def raw_fts(database: Path, match: str) -> Callable[[], list[float]]:
    """SEARCH_REPEAT timings of the ranked FTS5 query alone, straight through sqlite3."""
    from app.library.search_text import FTS_TABLE
    from app.search.service import WEIGHTS

    weights = ", ".join(str(w) for w in WEIGHTS)
    sql = (
        f"SELECT rowid, -bm25({FTS_TABLE}, {weights}) AS score FROM {FTS_TABLE} "  # noqa: S608 - constants, the match is bound
        f"WHERE {FTS_TABLE} MATCH ? ORDER BY score DESC LIMIT 50"
    )

    def run() -> list[float]:
        with contextlib.closing(sqlite3.connect(database)) as connection:
            return [
                _timed(lambda: connection.execute(sql, (match,)).fetchall()) for _ in range(SEARCH_REPEAT)
            ]

    return run


def api_search(url: str, token: str, query: str) -> Callable[[], list[float]]:
    """Up to SEARCH_REPEAT timings (SEARCH_BUDGET_S at most) of GET /api/search on one connection."""

    def run() -> list[float]:
        timings: list[float] = []
        deadline = time.monotonic() + SEARCH_BUDGET_S
        with httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=600) as client:
            while len(timings) < SEARCH_REPEAT and (not timings or time.monotonic() < deadline):
                timings.append(_timed(lambda: client.get(url, params={"q": query}).raise_for_status()))
        return timings

    return run


def _timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return (time.perf_counter() - start) * 1000


def measure_search(*, app_url: str, token: str, database: Path, rounds: int, available: bool) -> Outcome:
    if not available:
        return unmeasured(["search_vs_raw"], "GET /api/search is not on this branch yet")
    from app.search.query import parse, to_fts5

    outcome = Outcome()
    details: dict[str, Any] = {}
    for query in SEARCH_QUERIES:
        atrium, raw = alternate(
            rounds,
            api_search(f"{app_url}/api/search", token, query),
            raw_fts(database, to_fts5(parse(query))),
        )
        app_ms = median([ms for batch in atrium for ms in batch])
        raw_ms = median([ms for batch in raw for ms in batch])
        details[query] = {
            "atrium_median_ms": app_ms,
            "raw_fts_median_ms": raw_ms,
            "ratio": ratio(app_ms, raw_ms),
        }
    outcome.metrics["search_vs_raw"] = details[SEARCH_QUERIES[0]]["ratio"]
    outcome.reasons["search_vs_raw"] = (
        f"query {SEARCH_QUERIES[0]!r}; raw = the same FTS5 MATCH ranked by bm25, top 50, through sqlite3"
    )
    outcome.details["search"] = details
    return outcome
