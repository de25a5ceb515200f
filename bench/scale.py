"""The scale stack: Atrium on S3 (moto's server on loopback) against obstore talking to the same
server directly, and GET /api/search on PostgreSQL with 100,000 files against the raw ranked SQL."""

import asyncio
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import obstore
import sqlalchemy as sa

from bench import curl
from bench.appserver import Uvicorn, app_env
from bench.listing import SEARCH_QUERIES, api_search, file_rows
from bench.report import Outcome
from bench.s3 import S3Server
from bench.stats import MIB, alternate, median, ratio, throughput_mib_s

S3_KEYS = [
    "s3_upload_vs_direct",
    "s3_upload_vs_direct_media",
    "s3_download_vs_direct",
    "s3_range_latency_vs_direct",
]
PG_KEYS = ["pg_search_vs_raw"]
RANGE_READS = 40
DIRECT_KEY = "direct/blob.bin"
RAW_REPEAT = 20


def s3_env(data: Path, server: S3Server) -> dict[str, str]:
    return {**app_env(data), **server.environment, "STORAGE_URL": server.url("atrium")}


@dataclass
class S3Transfers:
    """Atrium (STORAGE_URL on `server`) and obstore straight into the same server, same bytes."""

    app: Uvicorn
    server: S3Server
    token: str
    blob: Path
    work: Path
    rounds: int
    media: Path | None = None  # an MP4-headed file of the same size: a video, extracted at upload
    kept_id: str | None = None

    def __post_init__(self) -> None:
        self.direct = self.server.store("direct").objects

    @property
    def auth(self) -> str:
        return f"Authorization: Bearer {self.token}"

    def app_upload(self) -> float:
        return self._upload(self.blob, "application/gzip")

    def app_upload_media(self) -> float:
        assert self.media is not None
        return self._upload(self.media, "video/mp4")

    def _upload(self, blob: Path, media_type: str) -> float:
        body = self.work / "upload.json"
        args = ["-H", self.auth, "-F", f"files=@{blob};type={media_type}", "-o", str(body)]
        transfer = curl.one([*args, self.app.url("/api/upload")], expect=201, timeout=1800)
        previous, self.kept_id = self.kept_id, json.loads(body.read_text())["files"][0]["id"]
        if previous is not None:  # only the latest upload stays in the (in-memory) server
            url = self.app.url(f"/api/files/{previous}?permanent=true")
            curl.one(["-X", "DELETE", "-H", self.auth, "-o", "/dev/null", url], expect=204)
        return throughput_mib_s(transfer.uploaded, transfer.seconds)

    def direct_put(self) -> float:
        start = time.perf_counter()
        obstore.put(self.direct, DIRECT_KEY, self.blob)  # multipart, as obstore does for a file
        return throughput_mib_s(self.blob.stat().st_size, time.perf_counter() - start)

    def app_download(self) -> float:
        url = self.app.url(f"/api/files/{self.kept_id}/download")
        transfer = curl.one(["-H", self.auth, "-o", "/dev/null", url], expect=200, timeout=1800)
        return throughput_mib_s(transfer.downloaded, transfer.seconds)

    def direct_get(self) -> float:
        start = time.perf_counter()
        size = sum(len(chunk) for chunk in obstore.get(self.direct, DIRECT_KEY).stream(MIB))
        return throughput_mib_s(size, time.perf_counter() - start)

    def _middle(self) -> int:
        return self.blob.stat().st_size // 2

    def app_ranges(self) -> list[float]:
        header = f"Range: bytes={self._middle()}-{self._middle() + MIB - 1}"
        url = self.app.url(f"/api/files/{self.kept_id}/download")
        config = self.work / "ranges.curl"
        transfers = curl.repeated_get(url, count=RANGE_READS + 1, headers=[self.auth, header], config=config)
        if any(t.status != 206 or t.downloaded != MIB for t in transfers):
            raise RuntimeError("a Range read through the API did not answer 206 with 1 MiB")
        return [t.seconds for t in transfers[1:]]  # the first one also opened the connection

    def direct_ranges(self) -> list[float]:
        timings = []
        for _ in range(RANGE_READS + 1):
            start = time.perf_counter()
            data = obstore.get_range(self.direct, DIRECT_KEY, start=self._middle(), length=MIB)
            timings.append(time.perf_counter() - start)
            if len(data) != MIB:
                raise RuntimeError("a direct ranged GET did not answer 1 MiB")
        return timings[1:]


def measure_s3(t: S3Transfers) -> Outcome:
    # The video first: the gzip-headed upload kept last is the one downloaded and read by range.
    media_app, media_direct = alternate(t.rounds, t.app_upload_media if t.media else None, t.direct_put)
    up_app, up_direct = alternate(t.rounds, t.app_upload, t.direct_put)
    t.app_download()  # warm both up
    t.direct_get()
    down_app, down_direct = alternate(t.rounds, t.app_download, t.direct_get)
    range_app, range_direct = alternate(t.rounds, t.app_ranges, t.direct_ranges)
    app_ms = [s * 1000 for batch in range_app for s in batch]
    direct_ms = [s * 1000 for batch in range_direct for s in batch]
    outcome = Outcome()
    outcome.metrics["s3_upload_vs_direct"] = ratio(median(up_app), median(up_direct))
    if media_app:
        outcome.metrics["s3_upload_vs_direct_media"] = ratio(median(media_app), median(media_direct))
    outcome.metrics["s3_download_vs_direct"] = ratio(median(down_app), median(down_direct))
    outcome.metrics["s3_range_latency_vs_direct"] = ratio(median(app_ms), median(direct_ms))
    size = t.blob.stat().st_size
    for key in S3_KEYS:
        outcome.reasons[key] = f"{size // MIB} MiB file, moto's S3 server on loopback (in memory)"
    outcome.details["s3"] = {
        "bytes": size,
        "upload_atrium_mib_s": up_app,
        "upload_obstore_put_mib_s": up_direct,
        "upload_media_atrium_mib_s": media_app,
        "upload_media_obstore_put_mib_s": media_direct,
        "download_atrium_mib_s": down_app,
        "download_obstore_get_mib_s": down_direct,
        "range_atrium_median_ms": median(app_ms),
        "range_obstore_median_ms": median(direct_ms),
        "range_reads_each": len(direct_ms),
    }
    return outcome


# -- search on PostgreSQL -------------------------------------------------------------------------


def seed_postgres(database_url: str, owner_id: str, count: int) -> float:
    """`count` files inserted in batches (executemany; the search triggers index each row)."""
    from sqlalchemy.ext.asyncio import create_async_engine

    from app.library import usage
    from app.models import File

    rows = file_rows(uuid.UUID(owner_id), count)

    async def insert() -> None:
        engine = create_async_engine(database_url)
        try:
            async with engine.begin() as connection:
                for offset in range(0, len(rows), 5_000):
                    await connection.execute(sa.insert(File), rows[offset : offset + 5_000])
                for statement in usage.rebuild():
                    await connection.execute(statement)
                await connection.exec_driver_sql("ANALYZE")
        finally:
            await engine.dispose()

    start = time.perf_counter()
    asyncio.run(insert())
    return time.perf_counter() - start


def ranked_sql(owner_id: str, query: str) -> tuple[str, list[Any]]:
    """The ranked statement GET /api/search runs (first page of 50), as asyncpg SQL and arguments."""
    from sqlalchemy.dialects.postgresql import asyncpg as pg_asyncpg

    from app.models import User
    from app.pagination import PageParams
    from app.search.query import parse
    from app.search.schemas import SearchFilters
    from app.search.service import filter_conditions, tsvector_statements

    conditions = filter_conditions(user=User(id=uuid.UUID(owner_id)), filters=SearchFilters())
    page = PageParams(page=1, per_page=50, order="desc")
    ranked, _ = tsvector_statements(parsed=parse(query), conditions=conditions, page=page)
    compiled = ranked.compile(dialect=pg_asyncpg.dialect())  # type: ignore[no-untyped-call]
    return compiled.string, [compiled.params[name] for name in compiled.positiontup or []]


def raw_ranked(database_url: str, owner_id: str, query: str) -> Callable[[], list[float]]:
    """RAW_REPEAT timings of the ranked statement alone, through asyncpg on one connection."""
    import asyncpg  # type: ignore[import-untyped]

    sql, args = ranked_sql(owner_id, query)
    dsn = database_url.replace("postgresql+asyncpg://", "postgresql://", 1)

    async def timings() -> list[float]:
        connection = await asyncpg.connect(dsn)
        try:
            found: list[float] = []
            for _ in range(RAW_REPEAT):
                start = time.perf_counter()
                await connection.fetch(sql, *args)
                found.append((time.perf_counter() - start) * 1000)
            return found
        finally:
            await connection.close()

    return lambda: asyncio.run(timings())


def measure_pg_search(
    *, app_url: str, token: str, database_url: str, owner_id: str, rounds: int, files: int
) -> Outcome:
    details: dict[str, Any] = {}
    for query in SEARCH_QUERIES:
        atrium, raw = alternate(
            rounds,
            api_search(f"{app_url}/api/search", token, query),
            raw_ranked(database_url, owner_id, query),
        )
        app_ms = median([ms for batch in atrium for ms in batch])
        raw_ms = median([ms for batch in raw for ms in batch])
        details[query] = {
            "atrium_median_ms": app_ms,
            "raw_sql_median_ms": raw_ms,
            "ratio": ratio(app_ms, raw_ms),
        }
    outcome = Outcome()
    outcome.metrics["pg_search_vs_raw"] = details[SEARCH_QUERIES[0]]["ratio"]
    outcome.reasons["pg_search_vs_raw"] = (
        f"query {SEARCH_QUERIES[0]!r}, {files:,} files; raw = the service's ranked statement "
        "(tsvector @@ tsquery, ts_rank_cd, top 50) through asyncpg"
    )
    outcome.details["pg_search"] = details
    return outcome
