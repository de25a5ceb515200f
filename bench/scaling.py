"""Reads that should not grow with the library: each endpoint's single-request median with
`large` files over the same with `small` files, both servers up at once, rounds alternating."""

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from bench.appserver import Uvicorn, app_env, migrate, register
from bench.listing import file_rows, sync_url
from bench.report import Outcome
from bench.stats import median, ratio

SMALL = 1_000
REQUESTS = 15
WARMUP = 3
RARE_WORD = "kingfisher"  # in one file of every thousand
RARE_EVERY = 1_000
FOLDERS = 10
DEEP_POSITION = 49_950  # where page 1000 of 50 starts
# figure name -> path (the deep page and search are filled in per library)
ENDPOINTS = {
    "scaling_files": "/api/files?per_page=50",
    "scaling_images": "/api/images?per_page=50",
    "scaling_auth_user": "/api/auth/user",
    "scaling_storage_stats": "/api/storage/stats",
    "scaling_tags": "/api/tags",
    "scaling_albums": "/api/albums",
    "scaling_folders": "/api/folders",
    "scaling_search": f"/api/search?q={RARE_WORD}",
    "scaling_deep_page": "",
}


@dataclass
class Library:
    """One server over a library of `files` files owned by one user."""

    files: int
    app: Uvicorn
    token: str
    deep_page: str
    seed_seconds: float

    def paths(self) -> dict[str, str]:
        return {**ENDPOINTS, "scaling_deep_page": self.deep_page}


def open_library(root: Path, logs: Path, files: int) -> Library:
    """A fresh database with `files` files (SQL bulk inserts, counters rebuilt), then the server."""
    data = root / f"scaling-{files}"
    data.mkdir()
    env = app_env(data)
    migrate(env)
    seeder = Uvicorn(f"atrium-scaling-seed-{files}", "app.main:create_app", env=env, logs=logs)
    try:
        owner_id, token = register(seeder.url(""), "reader")
        for name in ("holidays", "family", "work"):
            body = {"name": name, "privacy_setting": "private"}
            httpx.post(
                seeder.url("/api/albums"), json=body, headers=_auth(token), timeout=60
            ).raise_for_status()
    finally:
        seeder.stop()
    seconds = seed(env["DATABASE_URL"], uuid.UUID(owner_id), files)
    app = Uvicorn(f"atrium-scaling-{files}", "app.main:create_app", env=env, logs=logs)
    return Library(files, app, token, deep_page_path(env["DATABASE_URL"], files), seconds)


def seed(database_url: str, owner_id: uuid.UUID, count: int) -> float:
    """Files spread over the top level and FOLDERS folders, a rare word in one of every thousand."""
    from app.library import usage
    from app.models import File, Folder

    start = time.perf_counter()
    folder_ids = [uuid.uuid4() for _ in range(FOLDERS)]
    rows = file_rows(owner_id, count)
    for index, row in enumerate(rows):
        row["folder_id"] = folder_ids[index % (FOLDERS + 1)] if index % (FOLDERS + 1) < FOLDERS else None
        if index % RARE_EVERY == 0:
            row["title"] = f"{row['title']} {RARE_WORD}"
    engine = sa.create_engine(sync_url(database_url))
    with engine.begin() as connection:
        folders = [{"id": f, "owner_id": owner_id, "name": f"folder {i}"} for i, f in enumerate(folder_ids)]
        connection.execute(sa.insert(Folder), folders)
        for offset in range(0, len(rows), 10_000):
            connection.execute(sa.insert(File), rows[offset : offset + 10_000])
        for statement in usage.rebuild():
            connection.execute(statement)
        connection.exec_driver_sql("ANALYZE")
    engine.dispose()
    return time.perf_counter() - start


def deep_page_path(database_url: str, files: int) -> str:
    """The newest-first list after DEEP_POSITION files (or halfway, in a smaller library), by cursor."""
    from app.models import File
    from app.pagination import Cursor

    position = min(DEEP_POSITION, files // 2)
    engine = sa.create_engine(sync_url(database_url))
    with engine.connect() as connection:
        created_at, file_id = connection.execute(
            sa.select(File.created_at, File.id)
            .where(File.deleted_at.is_(None))
            .order_by(File.created_at.desc(), File.id.desc())
            .offset(position - 1)
            .limit(1)
        ).one()
    engine.dispose()
    cursor = Cursor("created_at:desc", created_at.isoformat(), file_id, position // 50 + 1)
    return f"/api/files?per_page=50&cursor={cursor.encode()}"


def timings(library: Library, path: str) -> Callable[[], list[float]]:
    """REQUESTS timings (ms) of one GET on a kept-alive connection, after WARMUP unmeasured ones."""

    def run() -> list[float]:
        with httpx.Client(base_url=library.app.url(""), headers=_auth(library.token), timeout=600) as client:
            for _ in range(WARMUP):
                client.get(path).raise_for_status()
            measured = []
            for _ in range(REQUESTS):
                start = time.perf_counter()
                client.get(path).raise_for_status()
                measured.append((time.perf_counter() - start) * 1000)
            return measured

    return run


def measure_scaling(small: Library, large: Library, *, rounds: int) -> Outcome:
    outcome = Outcome()
    details: dict[str, Any] = {"files": {"small": small.files, "large": large.files}, "endpoints": {}}
    details["seed_seconds"] = {"small": small.seed_seconds, "large": large.seed_seconds}
    for key in ENDPOINTS:
        small_ms: list[float] = []
        large_ms: list[float] = []
        for index in range(rounds):  # alternate which library goes first
            order = [(small, small_ms), (large, large_ms)]
            for library, into in order if index % 2 == 0 else reversed(order):
                into += timings(library, library.paths()[key])()
        figure = ratio(median(large_ms), median(small_ms))
        outcome.metrics[key] = figure
        details["endpoints"][key] = {
            "path": large.paths()[key].split("&cursor=")[0]
            + ("&cursor=..." if "cursor" in large.paths()[key] else ""),
            f"median_ms_{small.files}": median(small_ms),
            f"median_ms_{large.files}": median(large_ms),
            "ratio": figure,
        }
    outcome.details["scaling"] = details
    return outcome


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
