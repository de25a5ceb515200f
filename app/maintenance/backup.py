"""`atrium backup DEST` and `atrium restore SRC`.

A backup is a directory: the database snapshot (`snapshot`), the originals by key in a local blob
store under `blobs/`, and `manifest.json` (format, version, time, counts, each original's size and
SHA-256). Rows first, then bytes: the originals copied are those the snapshot names, so it never
names a blob it lacks; one purged between the two is listed as `gone` and purged again on restore.
A second backup into the same directory copies only originals it does not hold yet, and drops
those no longer named. Renditions are not kept: they are made again on demand.
"""

import hashlib
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from anyio import to_thread
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.library import trash
from app.maintenance import disk, snapshot
from app.models import File, User
from app.storage import keys
from app.storage.base import BlobNotFound, BlobStore, Bytes
from app.storage.local import LocalBlobStore
from app.storage.packed import Stored

FORMAT = 1
MANIFEST = "manifest.json"
BLOBS = "blobs"
StillThere = Callable[[str], Awaitable[bool]]  # is this file id still a row of the live database?


class BackupError(RuntimeError):
    """A backup or restore that cannot go on; the message says why."""


@dataclass(frozen=True)
class Original:
    """One original in the manifest: `size` and `sha256` are its logical bytes'; it is copied as
    stored (compressed when `encoding` says so, then `stored_size` bytes)."""

    id: str
    storage_key: str
    size: int
    sha256: str
    encoding: str | None = None
    stored_size: int | None = None

    @property
    def blob(self) -> Stored:
        return Stored(keys.original(self.storage_key), size=self.size, encoding=self.encoding)

    @property
    def bytes_stored(self) -> int:
        return self.size if self.stored_size is None else self.stored_size


@dataclass
class BackupReport:
    files: int = 0
    copied: int = 0
    copied_bytes: int = 0
    kept: int = 0  # already in DEST from an earlier backup
    gone: list[str] = field(default_factory=list)  # purged after the snapshot, before the copy
    missing: list[str] = field(default_factory=list)  # rows of the live database without bytes
    corrupt: list[str] = field(default_factory=list)  # bytes that do not hash to the row's SHA-256


@dataclass
class RestoreReport:
    files: int = 0
    restored_bytes: int = 0
    purged: int = 0
    corrupt: list[str] = field(default_factory=list)


def backup_store(directory: Path) -> LocalBlobStore:
    store = LocalBlobStore(directory / BLOBS)
    store.prepare()
    return store


async def take_snapshot(
    engine: AsyncEngine, database_url: str, dest: Path
) -> tuple[str, list[Original], dict[str, int]]:
    """Copy the database into `dest`; return the snapshot's file name, file rows and counts."""
    if snapshot.backend_of(database_url) == "sqlite":
        target = dest / snapshot.SQLITE_FILE
        await to_thread.run_sync(snapshot.copy_sqlite, snapshot.sqlite_path(database_url), target)
        rows, counts = await to_thread.run_sync(snapshot.read_sqlite, target)
    else:
        target = dest / snapshot.PG_FILE
        rows, counts = await _pg_snapshot(engine, database_url, target)
    originals = [
        Original(str(uuid.UUID(str(r[0]))), r[1], int(r[2]), r[3], r[4], None if r[5] is None else int(r[5]))
        for r in rows
    ]
    return target.name, originals, counts


async def _pg_snapshot(
    engine: AsyncEngine, database_url: str, target: Path
) -> tuple[list[Any], dict[str, int]]:
    connection = await engine.connect()
    try:
        connection = await connection.execution_options(isolation_level="REPEATABLE READ")
        async with connection.begin():
            snapshot_id = str(await connection.scalar(text("SELECT pg_export_snapshot()")))
            await to_thread.run_sync(
                lambda: snapshot.pg_dump(database_url, snapshot_id=snapshot_id, target=target)
            )
            rows = list((await connection.execute(text(snapshot.FILES_QUERY))).all())
            counts = {name: int(await connection.scalar(text(q)) or 0) for name, q in snapshot.COUNTS.items()}
    finally:
        await connection.close()
    return rows, counts


async def backup(
    engine: AsyncEngine, *, database_url: str, store: BlobStore, dest: Path, still_there: StillThere
) -> BackupReport:
    """Snapshot the database into `dest`, then copy the originals it names, then the manifest."""
    previous = await to_thread.run_sync(_previous_files, dest)
    snapshot_name, originals, counts = await take_snapshot(engine, database_url, dest)
    target = await to_thread.run_sync(backup_store, dest)
    report = BackupReport(files=len(originals))
    for original in originals:
        await _back_up(original, store, target, previous.get(original.storage_key), report, still_there)
    manifest = {
        "format": FORMAT,
        "version": version("atrium"),
        "created_at": datetime.now(UTC).isoformat(),
        "database": snapshot.backend_of(database_url),
        "snapshot": snapshot_name,
        "counts": counts,
        "files": [asdict(o) for o in originals],
        "gone": report.gone,
    }
    await to_thread.run_sync(_write_json, dest / MANIFEST, manifest)
    await _drop_unnamed(target, {o.storage_key for o in originals})
    return report


def _previous_files(dest: Path) -> dict[str, Original]:
    """The originals an earlier backup into `dest` holds (none for a new one)."""
    dest.mkdir(parents=True, exist_ok=True)
    if not (dest / MANIFEST).exists():
        return {}
    return {o.storage_key: o for o in read_manifest(dest)["files"]}


async def _back_up(
    original: Original,
    source: BlobStore,
    target: BlobStore,
    previous: Original | None,
    report: BackupReport,
    still_there: StillThere,
) -> None:
    key = keys.original(original.storage_key)
    if previous == original and await _holds(target, key, original.bytes_stored):
        report.kept += 1
        return
    try:
        digest = await copy_blob(source, target, key)
    except BlobNotFound:
        (report.missing if await still_there(original.id) else report.gone).append(original.id)
        return
    if not await holds_logical(target, original, digest):
        report.corrupt.append(original.id)
    report.copied += 1
    report.copied_bytes += original.bytes_stored


async def holds_logical(store: BlobStore, original: Original, copied_sha256: str) -> bool:
    """Whether the copy (whose own SHA-256 is `copied_sha256`) holds the original's logical bytes:
    at once for one stored as it is, by decoding the copy for a compressed one."""
    if copied_sha256 == original.sha256:
        return True
    found = await to_thread.run_sync(disk.digest, store, original.blob)
    return found is not None and (found.size, found.sha256) == (original.size, original.sha256)


async def _holds(store: BlobStore, key: str, size: int) -> bool:
    try:
        return (await store.stat(key)).size == size
    except BlobNotFound:
        return False


async def copy_blob(source: BlobStore, target: BlobStore, key: str) -> str:
    """Copy one blob by key (atomically on the target); return the SHA-256 of what was copied."""
    hasher = hashlib.sha256()

    async def hashed() -> AsyncIterator[Bytes]:
        async for chunk in source.read(key):
            await to_thread.run_sync(hasher.update, chunk)
            yield chunk

    await target.put_stream(key, hashed())
    return hasher.hexdigest()


async def _drop_unnamed(store: BlobStore, named: set[str]) -> None:
    stale = [
        entry.key async for entry in store.scan(keys.ORIGINALS) if keys.storage_key_of(entry.key) not in named
    ]
    for key in stale:
        await store.delete(key)


def _write_json(path: Path, data: dict[str, Any]) -> None:
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(data, indent=1))
    partial.replace(path)


def read_manifest(src: Path) -> dict[str, Any]:
    try:
        manifest: dict[str, Any] = json.loads((src / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise BackupError(f"{src} holds no readable {MANIFEST}: {exc}") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{src}: backup format {manifest.get('format')!r} is not {FORMAT}")
    manifest["files"] = [Original(**o) for o in manifest.get("files", [])]
    return manifest


async def is_empty(session: AsyncSession, store: BlobStore) -> bool:
    """No user, no file row and no original: a deployment a backup may be restored into."""
    if await session.scalar(select(User.id).limit(1)) is not None:
        return False
    if await session.scalar(select(File.id).limit(1)) is not None:
        return False
    async for _ in store.scan(keys.ORIGINALS):
        return False
    return True


async def restore_database(manifest: dict[str, Any], *, database_url: str, src: Path) -> None:
    """Put the snapshot in place of the (empty) database; migrations run after this."""
    backend = snapshot.backend_of(database_url)
    if manifest["database"] != backend:
        raise BackupError(f"the backup holds a {manifest['database']} database; DATABASE_URL is {backend}")
    dump = src / manifest["snapshot"]
    if backend == "sqlite":
        await to_thread.run_sync(snapshot.restore_sqlite, dump, snapshot.sqlite_path(database_url))
    else:
        await to_thread.run_sync(snapshot.pg_restore, database_url, dump)


async def restore_blobs(
    session: AsyncSession, manifest: dict[str, Any], *, store: BlobStore, src: Path
) -> RestoreReport:
    """Copy every original back, then purge the files the backup lists as gone (owns its commits)."""
    source = await to_thread.run_sync(backup_store, src)
    report = RestoreReport()
    gone = set(manifest.get("gone", []))
    for original in manifest["files"]:
        if original.id in gone:
            continue
        digest = await copy_blob(source, store, keys.original(original.storage_key))
        if not await holds_logical(store, original, digest):
            report.corrupt.append(original.id)
        report.files += 1
        report.restored_bytes += original.bytes_stored
    if gone:
        ids = [uuid.UUID(file_id) for file_id in gone]
        files = (await session.scalars(select(File).where(File.id.in_(ids)))).all()
        await trash.purge_files(session, storage=store, files=files, actor_id=None)
        report.purged = len(files)
    return report
