"""The `atrium` command line."""

import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TypeVar

import anyio
import typer
import uvicorn
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.config import ConfigError, Settings, get_settings
from app.storage import open_store
from app.storage.base import BlobStore

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
    for refusal in report.refused:
        typer.echo(f"  refused {refusal.path}: {refusal.code}: {refusal.detail}")
    if report.refused:
        raise typer.Exit(1)


@cli.command()
def verify() -> None:
    """Re-hash every stored original against its recorded SHA-256.

    Exit status 1 when any original is missing or corrupt.
    """
    from app.maintenance import service as maintenance
    from app.maintenance.schemas import VerifyReport

    settings = _settings()
    storage = _storage(settings)

    async def work(session: AsyncSession) -> VerifyReport:
        total = await maintenance.count_files(session)
        with typer.progressbar(length=total, label="verifying", file=sys.stderr) as bar:
            return await maintenance.verify(session, storage=storage, progress=lambda: bar.update(1))

    report = _run(settings, work)
    typer.echo(
        f"checked {report.checked} files: {len(report.missing)} missing, {len(report.corrupt)} corrupt"
    )
    for file_id in report.missing:
        typer.echo(f"  missing {file_id}")
    for file_id in report.corrupt:
        typer.echo(f"  corrupt {file_id}")
    if not report.healthy:
        raise typer.Exit(1)


@cli.command()
def cleanup(
    backfill: bool = typer.Option(
        False, "--backfill", help="also read previews, ThumbHash, duration and search text of older files"
    ),
    batch_size: int = typer.Option(50, "--batch-size", min=1, help="files per backfill commit"),
    max_batches: int | None = typer.Option(None, "--max-batches", min=1, help="stop after N (resumable)"),
) -> None:
    """Delete stale upload parts and orphan blobs, purge trash older than TRASH_RETENTION_DAYS.

    Files whose bytes are missing are listed, not deleted (see `atrium verify`).
    """
    from app.maintenance import service as maintenance

    settings = _settings()
    storage = _storage(settings)
    if backfill:
        _backfill(settings, storage, batch_size=batch_size, max_batches=max_batches)

    async def work(session: AsyncSession) -> None:
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
