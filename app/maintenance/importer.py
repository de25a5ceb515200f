"""Bulk import of a local directory tree for one user, through the upload pipeline's own rules.

Each file goes through `app.files.ingest` exactly as an uploaded part would (content sniffing,
allowlist, name/content agreement, size limit, quota, batched hashed writes, bytes-then-rows),
one file per transaction so one refusal does not undo the rest. Directories become folders.
"""

import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import anyio
from anyio import to_thread
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.errors import AppError, Unprocessable
from app.files import ingest
from app.folders import service as folders
from app.folders.schemas import FolderCreate
from app.models import Folder, User
from app.names import sanitize_name
from app.storage.base import BlobStore
from app.work import ImageWork


@dataclass(frozen=True)
class Refusal:
    path: str
    code: str
    detail: str


@dataclass
class ImportReport:
    imported: int = 0
    size: int = 0
    refused: list[Refusal] = field(default_factory=list)


def list_files(root: Path) -> list[PurePosixPath]:
    """Every entry to import, relative to root, sorted; symlinks are listed (and later refused)."""
    found = []
    for directory, subdirs, names in os.walk(root):
        base = Path(directory)
        relative = PurePosixPath(base.relative_to(root).as_posix())
        found += [relative / name for name in names]
        found += [relative / name for name in subdirs if (base / name).is_symlink()]
    return sorted(found)


def is_regular_file(path: Path) -> bool:
    return not path.is_symlink() and path.is_file()


async def import_tree(
    session: AsyncSession,
    *,
    settings: Settings,
    store: BlobStore,
    work: ImageWork,
    user: User,
    root: Path,
    paths: list[PurePosixPath],
    progress: Callable[[], None] | None = None,
) -> ImportReport:
    """Import `paths` (from `list_files(root)`) into folders that mirror their directories."""
    report = ImportReport()
    folder_ids: dict[PurePosixPath, uuid.UUID | None] = {PurePosixPath("."): None}
    for relative in paths:
        try:
            folder_id = await _folder_for(session, user=user, directory=relative.parent, known=folder_ids)
            size = await import_file(
                session,
                settings=settings,
                store=store,
                work=work,
                user=user,
                path=root / relative,
                folder_id=folder_id,
            )
            report.imported += 1
            report.size += size
        except AppError as exc:  # refused: nothing of this file was kept
            report.refused.append(Refusal(path=str(relative), code=exc.code, detail=exc.detail))
            await session.refresh(user)  # a refusal inside `keep` rolled back and expired the user
        if progress is not None:
            progress()
    return report


async def import_file(
    session: AsyncSession,
    *,
    settings: Settings,
    store: BlobStore,
    work: ImageWork,
    user: User,
    path: Path,
    folder_id: uuid.UUID | None,
) -> int:
    """Store one local file for `user` as an upload would (owns the unit of work); return its size."""
    if not await to_thread.run_sync(is_regular_file, path):
        raise Unprocessable(f"'{path.name}' is not a regular file", code="not_a_regular_file")
    intake = await ingest.open_intake(session, settings=settings, store=store, user=user)
    async with ingest.receiving(intake):
        await _feed(intake, path)
    rows = await ingest.keep(
        session, settings=settings, work=work, user=user, intake=intake, folder_id=folder_id
    )
    return rows[0].size


async def _feed(intake: ingest.Intake, path: Path) -> None:
    """The file's bytes through the intake: the same limits, sniffing and writes as an upload."""
    candidate = intake.start(sanitize_name(path.name))
    async with await anyio.open_file(path, "rb") as handle:
        while chunk := await handle.read(ingest.BATCH_BYTES):
            intake.take(candidate, chunk)
            await intake.drain()
    candidate.complete = True
    await intake.drain()


async def _folder_for(
    session: AsyncSession,
    *,
    user: User,
    directory: PurePosixPath,
    known: dict[PurePosixPath, uuid.UUID | None],
) -> uuid.UUID | None:
    """The folder mirroring `directory` (created as needed, an existing one of that name reused)."""
    if directory in known:
        return known[directory]
    parent_id = await _folder_for(session, user=user, directory=directory.parent, known=known)
    try:
        name = FolderCreate(name=directory.name, parent_id=parent_id).name
    except ValidationError as exc:
        raise Unprocessable(
            f"folder name '{directory.name}' is not allowed", code="invalid_folder_name"
        ) from exc
    same_parent = Folder.parent_id.is_(None) if parent_id is None else Folder.parent_id == parent_id
    existing = await session.scalars(select(Folder).where(Folder.owner_id == user.id, same_parent))
    match = next((f.id for f in existing if folders.name_key(f.name) == folders.name_key(name)), None)
    if match is None:
        created = await folders.create_folder(
            session, owner_id=user.id, data=FolderCreate(name=name, parent_id=parent_id)
        )
        match = created.id
    known[directory] = match
    return match
