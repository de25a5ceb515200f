"""A consistent copy of the database, and putting one back: SQLite's online backup API, or
`pg_dump`/`pg_restore` on PostgreSQL (the dump taken in the snapshot the caller's transaction
exported, so the rows the caller reads are exactly the dumped ones). Blocking: run in threads."""

import os
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

SQLITE_FILE = "database.sqlite"
PG_FILE = "database.pgdump"
FILES_QUERY = "SELECT id, storage_key, size, sha256, encoding, stored_size FROM file"
COUNTS = {
    "users": 'SELECT count(*) FROM "user"',
    "files": "SELECT count(*) FROM file",
    "folders": "SELECT count(*) FROM folder",
    "collections": "SELECT count(*) FROM collection",
    "bytes": "SELECT coalesce(sum(size), 0) FROM file",
}
Row = tuple[Any, ...]


class SnapshotError(RuntimeError):
    """The database could not be copied or put back; the message says why."""


def backend_of(database_url: str) -> str:
    """ "sqlite" or "postgresql"."""
    return make_url(database_url).get_backend_name()


def sqlite_path(database_url: str) -> Path:
    database = make_url(database_url).database
    if not database or database == ":memory:":
        raise SnapshotError("an in-memory SQLite database cannot be backed up")
    return Path(database)


def libpq_url(database_url: str) -> str:
    """The URL pg_dump and pg_restore take (no SQLAlchemy driver name)."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


def copy_sqlite(source: Path, target: Path) -> None:
    """Copy a live SQLite database page by page (writers go on meanwhile), atomically into place."""
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    with closing(sqlite3.connect(source, timeout=30)) as live, closing(sqlite3.connect(partial)) as copy:
        live.backup(copy)
    os.replace(partial, target)


def read_sqlite(path: Path) -> tuple[list[Row], dict[str, int]]:
    """The file rows and the counts of a SQLite snapshot."""
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        rows = db.execute(FILES_QUERY).fetchall()
        counts = {name: int(db.execute(query).fetchone()[0]) for name, query in COUNTS.items()}
    return rows, counts


def restore_sqlite(snapshot: Path, target: Path) -> None:
    """Replace the (empty) database at `target` with the snapshot, through the backup API."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(snapshot)) as source, closing(sqlite3.connect(target, timeout=30)) as db:
        source.backup(db)


def pg_dump(database_url: str, *, snapshot_id: str, target: Path) -> None:
    partial = target.with_name(target.name + ".partial")
    argv = ["pg_dump", "--format=custom", f"--snapshot={snapshot_id}", f"--file={partial}"]
    _run([*argv, f"--dbname={libpq_url(database_url)}"])
    os.replace(partial, target)


def pg_restore(database_url: str, dump: Path) -> None:
    """Load a dump into an empty database (its empty tables, if migrated, are replaced)."""
    argv = ["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction"]
    _run([*argv, f"--dbname={libpq_url(database_url)}", str(dump)])


def _run(argv: list[str]) -> None:
    try:
        subprocess.run(argv, check=True, capture_output=True, text=True)  # noqa: S603 - fixed tools
    except FileNotFoundError as exc:
        raise SnapshotError(f"{argv[0]} is not installed (Debian: postgresql-client)") from exc
    except subprocess.CalledProcessError as exc:
        raise SnapshotError(f"{argv[0]} failed: {exc.stderr.strip()[-500:]}") from exc
