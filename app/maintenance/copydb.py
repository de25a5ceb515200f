"""`atrium migrate-database --from URL`: every row of another Atrium database into the configured,
empty one (the database half of moving SQLite + local to PostgreSQL + S3).

Both are migrated to the same revision first. Tables go parents first; within a table that refers
to itself, parent rows go before their children (folders, albums) or the reference is set once
every row is in (a file's `duplicate_of_id`). The search index of the target is its own: its
triggers fill it as the rows arrive. On PostgreSQL, the sequences of integer keys are moved past
the copied ids.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

import app.models  # noqa: F401 - every table on the metadata
from app.db import Base

BATCH = 1000
# self-referencing columns set after the table's rows are in (no ordering needed for them)
LATE_REFERENCES = {"file": "duplicate_of_id"}


class TargetNotEmpty(RuntimeError):
    pass


@dataclass
class CopyReport:
    rows: dict[str, int] = field(default_factory=dict)


async def copy_database(
    source: AsyncEngine, target: AsyncEngine, *, progress: Callable[[str, int], None] = lambda t, n: None
) -> CopyReport:
    report = CopyReport()
    async with source.connect() as reading, target.begin() as writing:
        for table in Base.metadata.sorted_tables:
            if await writing.scalar(sa.select(sa.literal(1)).select_from(table).limit(1)) is not None:
                raise TargetNotEmpty(f"the target database already has rows in {table.name}")
        for table in Base.metadata.sorted_tables:
            report.rows[table.name] = await _copy_table(reading, writing, table)
            progress(table.name, report.rows[table.name])
        if writing.dialect.name == "postgresql":
            await _move_sequences(writing)
    return report


async def _copy_table(reading: AsyncConnection, writing: AsyncConnection, table: sa.Table) -> int:
    late = LATE_REFERENCES.get(table.name)
    ordered = _self_reference(table) if late is None else None
    rows = [dict(row._mapping) for row in (await reading.execute(sa.select(table))).all()]
    if ordered is not None:
        rows = _parents_first(rows, ordered)
    pending = [(row["id"], row[late]) for row in rows if late and row[late] is not None]
    for start in range(0, len(rows), BATCH):
        batch = rows[start : start + BATCH]
        if late:
            batch = [{**row, late: None} for row in batch]
        await writing.execute(sa.insert(table), batch)
    if late and pending:
        update = (
            sa.update(table).where(table.c.id == sa.bindparam("row_id")).values({late: sa.bindparam("ref")})
        )
        for start in range(0, len(pending), BATCH):
            chunk = pending[start : start + BATCH]
            await writing.execute(update, [{"row_id": row_id, "ref": ref} for row_id, ref in chunk])
    return len(rows)


def _self_reference(table: sa.Table) -> str | None:
    for fk in table.foreign_keys:
        if fk.column.table is table:
            return fk.parent.name
    return None


def _parents_first(rows: list[dict[str, Any]], column: str) -> list[dict[str, Any]]:
    placed: set[Any] = set()
    ordered: list[dict[str, Any]] = []
    waiting = rows
    while waiting:
        ready = [row for row in waiting if row[column] is None or row[column] in placed]
        if not ready:  # a cycle cannot be inserted parents first; the target's constraint says so
            ready = waiting
        ordered += ready
        placed.update(row["id"] for row in ready)
        waiting = [row for row in waiting if row["id"] not in placed]
    return ordered


async def _move_sequences(writing: AsyncConnection) -> None:
    for table, column in _serial_columns(Base.metadata.sorted_tables):
        sequence = sa.func.pg_get_serial_sequence(table.name, column.name)
        highest = sa.select(sa.func.coalesce(sa.func.max(column), 0)).scalar_subquery()
        await writing.execute(sa.select(sa.func.setval(sequence, highest + 1, False)))


def _serial_columns(tables: Iterable[sa.Table]) -> list[tuple[sa.Table, sa.Column[Any]]]:
    return [
        (table, column)
        for table in tables
        for column in table.primary_key.columns
        if isinstance(column.type, sa.Integer) and column.autoincrement in (True, "auto")
    ]
