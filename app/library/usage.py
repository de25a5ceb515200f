"""Exact counts and bytes of each owner's files (per kind, live or trashed) and of each folder's
live files, changed in the same transaction as the files themselves.

Every path that adds, trashes, restores, moves or removes file rows tallies the rows before and
after the change and applies the difference here, so totals, storage stats and quota checks read
a few rows instead of every file. tests/library/test_usage.py recounts after every kind of change.
"""

import functools
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from sqlalchemy import (
    Boolean,
    Delete,
    Executable,
    Insert,
    Update,
    bindparam,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import File, Folder, Usage

OwnerKey = tuple[uuid.UUID, str, bool]  # owner, kind, trashed


class Counted(Protocol):
    """A `File`, or a row of `COUNTED_COLUMNS`: what the counters count of a file."""

    @property
    def owner_id(self) -> uuid.UUID: ...
    @property
    def kind(self) -> str: ...
    @property
    def size(self) -> int: ...
    @property
    def stored_size(self) -> int | None: ...
    @property
    def folder_id(self) -> uuid.UUID | None: ...
    @property
    def deleted_at(self) -> datetime | None: ...


COUNTED_COLUMNS = (File.owner_id, File.kind, File.size, File.stored_size, File.folder_id, File.deleted_at)


@dataclass
class Tally:
    """Signed file counts and bytes per owner key and per folder: `take` the rows before a change,
    change them, `put` them after, then `apply`."""

    owners: dict[OwnerKey, list[int]] = field(default_factory=dict)
    folders: dict[uuid.UUID, list[int]] = field(default_factory=dict)

    def put(self, files: Iterable[Counted]) -> None:
        self._count(files, 1)

    def take(self, files: Iterable[Counted], *, trashed: bool | None = None) -> None:
        """`trashed`: the state the files were in, when they were changed already."""
        self._count(files, -1, trashed)

    def _count(self, files: Iterable[Counted], sign: int, was_trashed: bool | None = None) -> None:
        for file in files:
            trashed = file.deleted_at is not None if was_trashed is None else was_trashed
            owner = self.owners.setdefault((file.owner_id, file.kind, trashed), [0, 0, 0])
            _bump(owner, sign, file.size)
            owner[2] += sign * saved_by(file)
            if not trashed and file.folder_id is not None:
                _bump(self.folders.setdefault(file.folder_id, [0, 0]), sign, file.size)


def saved_by(file: Counted) -> int:
    """The bytes compression at rest saves on the file's original (0 when stored as it is)."""
    return 0 if file.stored_size is None else file.size - file.stored_size


def _bump(counts: list[int], sign: int, size: int) -> None:
    counts[0] += sign
    counts[1] += sign * size


async def apply(session: AsyncSession, tally: Tally) -> None:
    """Adds the tally to the counters; the caller commits. Rows are touched in key order, so two
    transactions changing the same counters wait for each other instead of deadlocking."""
    dialect = session.get_bind().dialect.name
    rows = [
        {
            "owner_id": owner_id,
            "kind": kind,
            "trashed": trashed,
            "files": files,
            "bytes": size,
            "saved": saved,
        }
        for (owner_id, kind, trashed), (files, size, saved) in sorted(tally.owners.items(), key=_owner_order)
        if files or size or saved
    ]
    if rows:  # one statement for every counter (a trash or restore moves two)
        await session.flush()  # the file rows first, as everywhere: locks are taken in one order
        connection = await session.connection()
        await connection.execute(_upsert(dialect), rows)
    for folder_id, (files, size) in sorted(tally.folders.items(), key=lambda item: str(item[0])):
        if files or size:
            await session.execute(
                update(Folder)
                .where(Folder.id == folder_id)
                .values(live_files=Folder.live_files + files, live_bytes=Folder.live_bytes + size)
                .execution_options(synchronize_session=False)
            )


def _owner_order(item: tuple[OwnerKey, list[int]]) -> tuple[str, str, bool]:
    owner_id, kind, trashed = item[0]
    return str(owner_id), kind, trashed


@functools.cache
def _upsert(dialect: str) -> Executable:
    """Built once and run with the rows as parameters: SQLAlchemy compiles an INSERT with its rows
    in `values()` anew on every call (no cache key), which cost each write a compile."""
    keys = [Usage.owner_id, Usage.kind, Usage.trashed]
    statement = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(Usage)
    excluded = statement.excluded
    return statement.on_conflict_do_update(
        index_elements=keys,
        set_={
            "files": Usage.files + excluded.files,
            "bytes": Usage.bytes + excluded.bytes,
            "saved": Usage.saved + excluded.saved,
        },
    )


async def added(session: AsyncSession, files: Sequence[File]) -> None:
    """New rows were added (the caller commits)."""
    tally = Tally()
    tally.put(files)
    await apply(session, tally)


async def removed(session: AsyncSession, files: Sequence[Counted]) -> None:
    """Rows are being deleted for good (the caller commits)."""
    tally = Tally()
    tally.take(files)
    await apply(session, tally)


@dataclass(frozen=True)
class Counts:
    files: int = 0
    bytes: int = 0
    saved: int = 0  # of `bytes`, by compression at rest


# Built once: lists, uploads and the user's stats read it on every request.
OWNERS_COUNTERS = select(Usage.kind, Usage.trashed, Usage.files, Usage.bytes, Usage.saved).where(
    Usage.owner_id == bindparam("owner_id")
)
# The bytes an owner stores, trash included: read alone, or as a value inside another statement.
STORED_BYTES_OF = select(func.coalesce(func.sum(Usage.bytes), 0)).where(
    Usage.owner_id == bindparam("owner_id")
)
STORED_BYTES = STORED_BYTES_OF.scalar_subquery()


async def of_owner(session: AsyncSession, *, owner_id: uuid.UUID) -> dict[tuple[str, bool], Counts]:
    """The owner's counters by (kind, trashed); kinds the owner never kept are absent."""
    rows = await session.execute(OWNERS_COUNTERS, {"owner_id": owner_id})
    return {(kind, trashed): Counts(files, size, saved) for kind, trashed, files, size, saved in rows}


def summed(
    counters: dict[tuple[str, bool], Counts], *, trashed: bool | None, kind: str | None = None
) -> Counts:
    """The sum over kinds (or one kind) of live (`trashed=False`), trashed or all (`None`) files."""
    chosen = [
        counts
        for (row_kind, row_trashed), counts in counters.items()
        if (trashed is None or row_trashed == trashed) and (kind is None or row_kind == kind)
    ]
    return Counts(sum(c.files for c in chosen), sum(c.bytes for c in chosen), sum(c.saved for c in chosen))


async def count(
    session: AsyncSession, *, owner_id: uuid.UUID, trashed: bool | None, kind: str | None = None
) -> Counts:
    return summed(await of_owner(session, owner_id=owner_id), trashed=trashed, kind=kind)


def rebuild() -> list[Delete | Insert | Update]:
    """Statements that recount every counter from the file rows (for rows written straight into
    the database, as the benchmark's seeding does); run them in one transaction."""
    trashed = File.deleted_at.is_not(None).cast(Boolean)
    live = select(func.count(File.id)).where(File.folder_id == Folder.id, File.deleted_at.is_(None))
    live_bytes = select(func.coalesce(func.sum(File.size), 0)).where(
        File.folder_id == Folder.id, File.deleted_at.is_(None)
    )
    return [
        delete(Usage),
        insert(Usage).from_select(
            ["owner_id", "kind", "trashed", "files", "bytes", "saved"],
            select(
                File.owner_id,
                File.kind,
                trashed,
                func.count(),
                func.coalesce(func.sum(File.size), 0),
                func.coalesce(func.sum(File.size - func.coalesce(File.stored_size, File.size)), 0),
            ).group_by(File.owner_id, File.kind, trashed),
        ),
        update(Folder).values(live_files=live.scalar_subquery(), live_bytes=live_bytes.scalar_subquery()),
    ]
