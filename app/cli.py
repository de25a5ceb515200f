"""The `atrium` command line."""

import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import anyio
import httpx
import typer
import uvicorn
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.config import ConfigError, Settings, get_settings
from app.storage import open_store
from app.storage.base import BlobStore

if TYPE_CHECKING:
    from app.maintenance.importer import Refusal as ImportRefusal
    from app.uploads.client import Refusal as UploadRefusal

cli = typer.Typer(
    help="Atrium: files, photo galleries and artist portfolios.\n\n"
    "Settings come from the environment (DATABASE_URL, UPLOAD_DIR, ...), as for the server.",
    no_args_is_help=True,
)
T = TypeVar("T")


def _settings() -> Settings:
    try:
        settings = get_settings()
        settings.signing_key  # noqa: B018 - fail now, with one line, not inside the server
    except (ConfigError, ValueError) as exc:
        typer.echo(f"atrium: {exc}".splitlines()[0], err=True)
        raise typer.Exit(2) from exc
    return settings


@cli.command()
def migrate() -> None:
    """Apply every pending database migration."""
    from app.migrate import upgrade

    settings = _settings()
    upgrade(settings.database_url)
    typer.echo("database is up to date")


@cli.command()
def serve(
    workers: int = typer.Option(1, min=1, help="uvicorn worker processes"),
    migrate_first: bool = typer.Option(True, "--migrate/--no-migrate", help="apply migrations first"),
) -> None:
    """Serve the API on HOST:PORT."""
    settings = _settings()
    if migrate_first:
        from app.migrate import upgrade

        upgrade(settings.database_url)
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=workers,
        proxy_headers=True,
    )


@asynccontextmanager
async def _database(settings: Settings) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    from app.db import create_engine, create_session_factory

    engine = create_engine(settings.database_url)
    try:
        yield create_session_factory(engine)
    finally:
        await engine.dispose()


def _storage(settings: Settings) -> BlobStore:
    return open_store(settings)


def _run(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run `work` with a session on a fresh engine, in an event loop of its own."""

    async def main() -> T:
        async with _database(settings) as factory, factory() as session:
            return await work(session)

    return anyio.run(main)


def _fail(message: str, status: int = 1) -> typer.Exit:
    typer.echo(f"atrium: {message}", err=True)
    return typer.Exit(status)


@cli.command("create-user")
def create_user(
    username: str = typer.Argument(..., help="3-64 characters: letters, digits, _ . -"),
    email: str = typer.Option(..., "--email", help="the account's email address"),
    admin: bool = typer.Option(False, "--admin", help="may call /api/admin/* (quotas, maintenance)"),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="read the password from the first line of stdin instead of prompting"
    ),
) -> None:
    """Create an account (the password is prompted for, or read with --password-stdin)."""
    from app.auth import service as auth
    from app.auth.schemas import UserRegister
    from app.errors import AppError

    settings = _settings()
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        data = UserRegister(username=username, email=email, password=password)
    except ValidationError as exc:
        reasons = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise _fail(reasons, 2) from exc

    async def work(session: AsyncSession) -> None:
        await auth.add_user(session, data=data, is_admin=admin)
        await session.commit()

    try:
        _run(settings, work)
    except AppError as exc:
        raise _fail(exc.detail) from exc
    typer.echo(f"created {'administrator' if admin else 'user'} {data.username}")


@cli.command("import")
def import_dir(
    directory: Path = typer.Argument(
        ..., exists=True, file_okay=False, dir_okay=True, resolve_path=True, help="the tree to import"
    ),
    user: str = typer.Option(..., "--user", help="the username that will own the files"),
) -> None:
    """Import a directory tree for a user: subdirectories become folders, files are checked like uploads.

    Exit status 1 when any file was refused (the summary says which and why).
    """
    from app.maintenance import importer
    from app.models import User
    from app.work import create_image_work

    settings = _settings()
    storage = _storage(settings)
    paths = importer.list_files(directory)

    async def work(session: AsyncSession) -> importer.ImportReport:
        owner = await session.scalar(select(User).where(User.username_key == user.lower()))
        if owner is None:
            raise _fail(f"no user named {user!r}", 2)
        with typer.progressbar(length=len(paths), label="importing", file=sys.stderr) as bar:
            return await importer.import_tree(
                session,
                settings=settings,
                store=storage,
                work=create_image_work(),
                user=owner,
                root=directory,
                paths=paths,
                progress=lambda: bar.update(1),
            )

    report = _run(settings, work)
    typer.echo(f"imported {report.imported} files ({report.size} bytes), refused {len(report.refused)}")
    _exit_if_refused(report.refused)


def _list_problems(*groups: tuple[str, Sequence[object]]) -> bool:
    """Print each item under its label, one a line; whether there was any."""
    for label, items in groups:
        for item in items:
            typer.echo(f"  {label} {item}")
    return any(items for _, items in groups)


def _exit_if_refused(refused: "Sequence[ImportRefusal | UploadRefusal]") -> None:
    """List each refused file with its reason; exit 1 when there is any."""
    from app.uploads.client import Refusal as UploadRefusal

    for refusal in refused:
        status = f"{refusal.status} " if isinstance(refusal, UploadRefusal) else ""
        typer.echo(f"  refused {refusal.path}: {status}{refusal.code}: {refusal.detail}")
    if refused:
        raise typer.Exit(1)


@cli.command()
def verify(
    rescan: bool = typer.Option(
        False, "--rescan", help="also scan every original with clamd (CLAMD_ADDRESS)"
    ),
    quarantine: bool = typer.Option(
        False,
        "--quarantine",
        help="with --rescan: move flagged originals to quarantine/ and purge their files",
    ),
) -> None:
    """Re-hash every stored original against its recorded SHA-256 (and rescan it for malware).

    Exit status 1 when any original is missing or corrupt, flagged, or could not be scanned.
    """
    from app.maintenance import service as maintenance
    from app.maintenance.schemas import VerifyReport

    settings = _settings()
    storage = _storage(settings)
    if (rescan or quarantine) and not settings.clamd_address:
        raise _fail("--rescan needs CLAMD_ADDRESS (tcp://host:port or unix:///path)", 2)

    async def work(session: AsyncSession) -> VerifyReport:
        total = await maintenance.count_files(session)
        with typer.progressbar(length=total, label="verifying", file=sys.stderr) as bar:
            return await maintenance.verify(session, storage=storage, progress=lambda: bar.update(1))

    report = _run(settings, work)
    typer.echo(
        f"checked {report.checked} files: {len(report.missing)} missing, {len(report.corrupt)} corrupt"
    )
    _list_problems(("missing", report.missing), ("corrupt", report.corrupt))
    clean = _rescan(settings, storage, quarantine=quarantine) if rescan or quarantine else True
    if not report.healthy or not clean:
        raise typer.Exit(1)


def _rescan(settings: Settings, storage: BlobStore, *, quarantine: bool) -> bool:
    """Scan every original, print the hits; True when every file was scanned and none was flagged."""
    from app.maintenance import rescan

    def work(session: AsyncSession) -> Awaitable[rescan.RescanReport]:
        return rescan.rescan(session, settings=settings, storage=storage, quarantine=quarantine)

    report = _run(settings, work)
    typer.echo(
        f"scanned {report.scanned} files: {len(report.hits)} flagged, {len(report.unscanned)} unscanned"
    )
    for hit in report.hits:
        typer.echo(f"  flagged {hit.file_id} {hit.name!r}: {hit.signature}")
    for file_id, reason in report.unscanned:
        typer.echo(f"  unscanned {file_id}: {reason}")
    if report.quarantined:
        typer.echo(f"quarantined {report.quarantined} files")
    return not report.hits and not report.unscanned


@cli.command()
def archive(
    older_than: float = typer.Option(
        ..., "--older-than", min=0, help="compress originals nobody has read for this many days"
    ),
) -> None:
    """Compress (zstd, seekable) the originals of compressible types not read for DAYS days.

    Idempotent: files already compressed, or tried and found not worth it, are left alone.
    """
    from app.maintenance import archive as archiving

    settings = _settings()
    storage = _storage(settings)

    def work(session: AsyncSession) -> Awaitable[archiving.ArchiveReport]:
        return archiving.archive(session, storage=storage, older_than_days=older_than)

    report = _run(settings, work)
    for done in report.compressed:
        typer.echo(f"  compressed {done.file_id} {done.name!r}: {done.size} -> {done.stored_size} bytes")
    for file_id in report.missing:
        typer.echo(f"  missing {file_id}")
    typer.echo(
        f"compressed {len(report.compressed)} files, saved {report.saved} bytes; "
        f"{report.kept_plain} not worth compressing"
    )
    if report.missing:
        raise typer.Exit(1)


@cli.command()
def backup(
    dest: Path = typer.Argument(..., file_okay=False, resolve_path=True, help="the backup directory"),
) -> None:
    """Back up the database, every original and a manifest into DEST, while the server runs.

    A second backup into the same DEST copies only what changed. Exit status 1 when an original
    is missing or does not match its SHA-256.
    """
    from app.db import create_engine
    from app.maintenance import backup as backups
    from app.maintenance.snapshot import SnapshotError

    settings = _settings()
    storage = _storage(settings)

    async def main() -> backups.BackupReport:
        engine = create_engine(settings.database_url)
        try:
            return await backups.backup(
                engine,
                database_url=settings.database_url,
                store=storage,
                dest=dest,
                still_there=lambda file_id: _file_exists(engine, file_id),
            )
        finally:
            await engine.dispose()

    try:
        report = anyio.run(main)
    except (SnapshotError, backups.BackupError) as exc:
        raise _fail(str(exc)) from exc
    typer.echo(
        f"backed up {report.files} files into {dest}: copied {report.copied} ({report.copied_bytes} bytes),"
        f" {report.kept} already there, {len(report.gone)} deleted meanwhile"
    )
    if _list_problems(("missing", report.missing), ("corrupt", report.corrupt)):
        raise typer.Exit(1)


async def _file_exists(engine: AsyncEngine, file_id: str) -> bool:
    import uuid

    from app.models import File

    async with engine.connect() as connection:
        found = await connection.scalar(select(File.id).where(File.id == uuid.UUID(file_id)))
    return found is not None


@cli.command()
def restore(
    src: Path = typer.Argument(
        ..., exists=True, file_okay=False, resolve_path=True, help="a backup directory"
    ),
) -> None:
    """Rebuild an empty deployment (DATABASE_URL, UPLOAD_DIR) from a backup; then run `atrium verify`.

    Refuses a deployment that has any user, file or stored original (exit status 2).
    """
    from app.maintenance import backup as backups
    from app.maintenance.snapshot import SnapshotError
    from app.migrate import upgrade

    settings = _settings()
    storage = _storage(settings)
    try:
        manifest = backups.read_manifest(src)
        upgrade(settings.database_url)
        if not _run(settings, lambda session: backups.is_empty(session, storage)):
            raise _fail("the deployment is not empty: restore needs a fresh database and store", 2)
        anyio.run(lambda: backups.restore_database(manifest, database_url=settings.database_url, src=src))
        upgrade(settings.database_url)
    except (SnapshotError, backups.BackupError) as exc:
        raise _fail(str(exc)) from exc

    def work(session: AsyncSession) -> Awaitable[backups.RestoreReport]:
        return backups.restore_blobs(session, manifest, store=storage, src=src)

    report = _run(settings, work)
    typer.echo(f"restored {report.files} files ({report.restored_bytes} bytes) from {src}")
    if _list_problems(("corrupt in the backup:", report.corrupt)):
        raise typer.Exit(1)


@cli.command("migrate-storage")
def migrate_storage(
    to: str = typer.Option(
        ..., "--to", help="the target store: s3://bucket/prefix (credentials from AWS_*) or a directory"
    ),
) -> None:
    """Copy every blob by key from the configured store (STORAGE_URL or UPLOAD_DIR) into another,
    each one's SHA-256 checked; keys already there with the same size and hash are skipped, so an
    interrupted run is run again. Then point STORAGE_URL (or UPLOAD_DIR) at the target.

    Exit status 1 when an original does not match its recorded SHA-256 (not copied) or a copy
    did not read back the same.
    """
    from app.maintenance import relocate

    settings = _settings()
    source = _storage(settings)
    if to.startswith("s3://"):
        target_settings = settings.model_copy(update={"storage_url": to})
    else:
        target_settings = settings.model_copy(update={"storage_url": "", "upload_dir": Path(to).resolve()})
    if (target_settings.storage_url, target_settings.upload_dir.resolve()) == (
        settings.storage_url,
        settings.upload_dir.resolve(),
    ):
        raise _fail("the target is the configured store", 2)
    target = _storage(target_settings)

    async def work(session: AsyncSession) -> relocate.RelocateReport:
        recorded = await relocate.recorded_hashes(session)
        return await relocate.relocate(source, target, recorded=recorded)

    report = _run(settings, work)
    typer.echo(
        f"copied {report.copied} blobs ({report.copied_bytes} bytes) to {to}, {report.skipped} already there,"
        f" {len(report.corrupt)} corrupt, {len(report.mismatched)} read back different"
    )
    if _list_problems(("corrupt", report.corrupt), ("read back different", report.mismatched)):
        raise typer.Exit(1)


@cli.command("migrate-database")
def migrate_database(
    source_url: str = typer.Option(
        ..., "--from", help="the old database, e.g. sqlite+aiosqlite:////srv/atrium/atrium.db"
    ),
) -> None:
    """Copy every row of another Atrium database into the configured, empty one (DATABASE_URL),
    e.g. SQLite into PostgreSQL. Both are migrated first. Stop the old server before.

    Exit status 2 when the configured database already holds rows.
    """
    from app.db import create_engine
    from app.maintenance import copydb
    from app.migrate import upgrade

    settings = _settings()
    if source_url == settings.database_url:
        raise _fail("the source is the configured database", 2)
    upgrade(source_url)
    upgrade(settings.database_url)

    async def main() -> copydb.CopyReport:
        source, target = create_engine(source_url), create_engine(settings.database_url)
        try:
            return await copydb.copy_database(source, target)
        finally:
            await source.dispose()
            await target.dispose()

    try:
        report = anyio.run(main)
    except copydb.TargetNotEmpty as exc:
        raise _fail(f"{exc}: migrate-database needs a fresh database", 2) from exc
    typer.echo(f"copied {sum(report.rows.values())} rows in {len(report.rows)} tables")
    for table, count in report.rows.items():
        typer.echo(f"  {table}: {count}")


@cli.command()
def upload(
    paths: list[Path] = typer.Argument(..., exists=True, help="files, and folders (every file under them)"),
    url: str = typer.Option(..., "--url", help="the server, e.g. http://localhost:5005"),
    token: str = typer.Option(..., "--token", envvar="ATRIUM_TOKEN", help="a bearer token (or ATRIUM_TOKEN)"),
    state: Path = typer.Option(
        Path(".atrium-upload.json"), "--state", help="where unfinished uploads are remembered between runs"
    ),
    chunk_mib: int = typer.Option(8, "--chunk-mib", min=1, help="MiB per PATCH"),
) -> None:
    """Upload files through tus (resumable): a progress bar per file and a total; run it again after
    an interruption or Ctrl-C and it resumes where the server is.

    Exit status 1 when the server refused any file (the summary says which and why), 130 on Ctrl-C.
    """
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TaskID, TextColumn, TransferSpeedColumn

    from app.uploads import client

    files = client.collect(paths)
    console = Console(stderr=True)
    uploader = client.Uploader(url, token, client.State(state), chunk_bytes=chunk_mib * 1024 * 1024)
    report = client.Report()
    columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn())
    try:
        with Progress(*columns, console=console) as progress:
            total = progress.add_task("total", total=sum(file.stat().st_size for file in files))
            for file in files:
                task = progress.add_task(file.name, total=file.stat().st_size)

                def advance(size: int, task: TaskID = task) -> None:
                    progress.advance(task, size)
                    progress.advance(total, size)

                try:
                    report.uploaded.append(
                        (file, uploader.upload(file, advance=advance, announce=progress.console.print))
                    )
                except client.Refused as refused:
                    report.refused.append(refused.refusal)
    except KeyboardInterrupt:
        typer.echo("interrupted: run the same command again to resume", err=True)
        raise typer.Exit(130) from None
    except (httpx.TransportError, client.Resync) as exc:
        raise _fail(f"the server cannot be reached or keeps the upload busy: {exc}") from exc
    finally:
        uploader.close()
    typer.echo(f"uploaded {len(report.uploaded)} files, refused {len(report.refused)}")
    for path, file_id in report.uploaded:
        typer.echo(f"  uploaded {path} as {file_id}")
    _exit_if_refused(report.refused)


@cli.command()
def cleanup(
    backfill: bool = typer.Option(
        False, "--backfill", help="also read previews, ThumbHash, duration and search text of older files"
    ),
    batch_size: int = typer.Option(50, "--batch-size", min=1, help="files per backfill commit"),
    max_batches: int | None = typer.Option(None, "--max-batches", min=1, help="stop after N (resumable)"),
) -> None:
    """Delete expired resumable uploads, stale upload parts and orphan blobs, purge trash older than
    TRASH_RETENTION_DAYS.

    Files whose bytes are missing are listed, not deleted (see `atrium verify`).
    """
    from app.maintenance import service as maintenance
    from app.uploads import service as uploads

    settings = _settings()
    storage = _storage(settings)
    if backfill:
        _backfill(settings, storage, batch_size=batch_size, max_batches=max_batches)

    async def work(session: AsyncSession) -> None:
        expired = await uploads.remove_expired(session, store=storage)
        typer.echo(f"removed {expired} expired resumable uploads")
        swept = await maintenance.sweep_parts(session, settings=settings, storage=storage)
        typer.echo(f"removed {len(swept.removed)} stale upload parts")
        if swept.removed_blobs:
            typer.echo(f"removed {len(swept.removed_blobs)} blobs of uploads that crashed before their rows")
        orphans = await maintenance.find_orphans(session, settings=settings, storage=storage, fix=True)
        typer.echo(f"removed {orphans.removed} orphan blobs")
        purged = await maintenance.purge_trash(session, settings=settings, storage=storage)
        typer.echo(f"purged {purged.purged} trashed files ({purged.freed} bytes)")
        for file_id in orphans.missing_file_ids:
            typer.echo(f"  bytes missing for file {file_id}")

    _run(settings, work)


def _backfill(settings: Settings, storage: BlobStore, *, batch_size: int, max_batches: int | None) -> None:
    from app.maintenance.backfill import backfill
    from app.work import create_image_work

    async def work(session: AsyncSession) -> None:
        report = await backfill(
            session,
            storage=storage,
            work=create_image_work(),
            batch_size=batch_size,
            max_batches=max_batches,
            progress=lambda done: typer.echo(f"backfill: {done} files read"),
        )
        state = "every file is read" if report.complete else "stopped early; run again to go on"
        typer.echo(f"backfill: read {report.files} files in {report.batches} batches, {state}")

    _run(settings, work)


def main() -> None:
    cli()
