"""usage counters: files and bytes per owner, kind and trash state; live files per folder

Revision ID: perf02
Revises: perf01
Create Date: 2026-12-01 01:50:00

`usage` holds, per owner, kind and trashed flag, how many files there are and their bytes;
`folder.live_files` / `folder.live_bytes` the live files directly in each folder. The app keeps
them exact in the transaction of every change (app/library/usage.py); this backfills them from
the rows that exist. The SQL is frozen here on purpose: a migration must not change when app
code does.
"""

from collections.abc import Sequence

from alembic import op
import sqlalchemy as sa


revision: str = "perf02"
down_revision: str | None = "perf01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BACKFILL = [
    # `deleted_at IS NOT NULL` is a boolean on PostgreSQL and 0/1 on SQLite: both store as the column wants
    "INSERT INTO usage (owner_id, kind, trashed, files, bytes) "
    "SELECT owner_id, kind, deleted_at IS NOT NULL, count(*), coalesce(sum(size), 0) FROM file "
    "GROUP BY owner_id, kind, deleted_at IS NOT NULL",
    "UPDATE folder SET "
    "live_files = (SELECT count(*) FROM file WHERE file.folder_id = folder.id AND file.deleted_at IS NULL), "
    "live_bytes = (SELECT coalesce(sum(size), 0) FROM file "
    "WHERE file.folder_id = folder.id AND file.deleted_at IS NULL)",
]


def upgrade() -> None:
    op.create_table(
        "usage",
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("trashed", sa.Boolean(), nullable=False),
        sa.Column("files", sa.BigInteger(), nullable=False),
        sa.Column("bytes", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["user.id"], name=op.f("fk_usage_owner_id_user"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("owner_id", "kind", "trashed", name=op.f("pk_usage")),
    )
    # ADD COLUMN with a default: no table rebuild on SQLite
    op.add_column("folder", sa.Column("live_files", sa.BigInteger(), server_default="0", nullable=False))
    op.add_column("folder", sa.Column("live_bytes", sa.BigInteger(), server_default="0", nullable=False))
    for statement in BACKFILL:
        op.execute(statement)


def downgrade() -> None:
    with op.batch_alter_table("folder", schema=None) as batch_op:
        batch_op.drop_column("live_bytes")
        batch_op.drop_column("live_files")
    op.drop_table("usage")
